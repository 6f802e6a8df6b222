//! `no_accept` (reference §3.10): a MASTER that is not the address owner
//! must not accept packets addressed to its virtual addresses (RFC 5798
//! §6.4.3), so while such an instance is MASTER its VIPs are in an nftables
//! set whose rules drop traffic to (and from) them.
//!
//! The ruleset is the one keepalived 2.2.7 builds when no firewall is
//! configured (observed with `nft list ruleset`): table `keepalived` per
//! family, set `vips`, chains `in` (input hook, destination in the set:
//! drop) and `out` (output hook, source in the set: drop), priority
//! `filter - 1`. Operators who look at that table see the same thing.
//!
//! The rules are applied by running `nft -f -` (package nftables): the
//! kernel's nf_tables netlink API has no client among the chosen crates, and
//! `nft` is what an operator would use to inspect or undo the rules. A
//! missing `nft` is logged once; the VIPs then accept traffic.

use std::net::IpAddr;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// The nftables family of an address.
fn family(addr: &IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(_) => "ip",
        IpAddr::V6(_) => "ip6",
    }
}

/// What the firewall tables must hold, decided once at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FwPlan {
    /// Families ("ip", "ip6") with `no_accept` instances: the `vips` drop
    /// set and its rules.
    pub vip_families: Vec<&'static str>,
    /// IPv4 VMACs and their parents: IGMP reports leaving a VMAC are sent
    /// from the parent instead (keepalived's `vmac_map` rule).
    pub vmacs4: Vec<(String, String)>,
    /// IPv6 VMACs and their parents: MLDv2 reports likewise, and router
    /// solicitations from a VMAC are dropped (`vmac_set`).
    pub vmacs6: Vec<(String, String)>,
}

impl FwPlan {
    pub fn is_empty(&self) -> bool {
        self.vip_families.is_empty() && self.vmacs4.is_empty() && self.vmacs6.is_empty()
    }

    /// The families whose table this plan creates.
    pub fn families(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.vip_families.contains(&"ip") || !self.vmacs4.is_empty() {
            f.push("ip");
        }
        if self.vip_families.contains(&"ip6") || !self.vmacs6.is_empty() {
            f.push("ip6");
        }
        f
    }

    /// The nft script that (re)creates our tables from scratch, as
    /// keepalived 2.2.7 lays them out (observed with `nft list ruleset`):
    /// table `keepalived` per family, set `vips` with `in` (input hook,
    /// destination) and `out` (output hook, source) drop rules, and for
    /// VMACs the map `vmac_map` (and, for IPv6, the set `vmac_set`) with
    /// their `out` rules; every chain at priority `filter - 1`.
    pub fn setup_script(&self) -> String {
        let mut s = String::new();
        for fam in self.families() {
            let (ty, vmacs) = if fam == "ip" {
                ("ipv4_addr", &self.vmacs4)
            } else {
                ("ipv6_addr", &self.vmacs6)
            };
            let vips = self.vip_families.contains(&fam);
            // A table left by an earlier run is replaced whole.
            s.push_str(&format!(
                "add table {fam} keepalived\ndelete table {fam} keepalived\nadd table {fam} keepalived\n"
            ));
            s.push_str(&format!(
                "add chain {fam} keepalived out {{ type filter hook output priority filter - 1; policy accept; }}\n"
            ));
            if vips {
                s.push_str(&format!(
                    "add set {fam} keepalived vips {{ type {ty}; }}\n\
                     add chain {fam} keepalived in {{ type filter hook input priority filter - 1; policy accept; }}\n\
                     add rule {fam} keepalived in {fam} daddr @vips drop\n\
                     add rule {fam} keepalived out {fam} saddr @vips drop\n"
                ));
            }
            if !vmacs.is_empty() {
                s.push_str(&format!(
                    "add map {fam} keepalived vmac_map {{ type iface_index : iface_index; }}\n"
                ));
                if fam == "ip" {
                    s.push_str(
                        "add rule ip keepalived out ip protocol igmp meta oifkind \"macvlan\" \
                         dup to ip daddr device oif map @vmac_map drop\n",
                    );
                } else {
                    s.push_str(
                        "add set ip6 keepalived vmac_set { type iface_index; }\n\
                         add rule ip6 keepalived out icmpv6 type mld2-listener-report meta oifkind \"macvlan\" \
                         dup to ip6 daddr device oif map @vmac_map drop\n\
                         add rule ip6 keepalived out icmpv6 type nd-router-solicit meta oifkind \"macvlan\" \
                         oif @vmac_set drop\n",
                    );
                }
                for (vmac, parent) in vmacs {
                    s.push_str(&format!(
                        "add element {fam} keepalived vmac_map {{ \"{vmac}\" : \"{parent}\" }}\n"
                    ));
                    if fam == "ip6" {
                        s.push_str(&format!(
                            "add element ip6 keepalived vmac_set {{ \"{vmac}\" }}\n"
                        ));
                    }
                }
            }
        }
        s
    }
}

/// A change of the drop set (the table exists: see [`FwPlan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FwOp {
    /// Drop traffic to/from the address (the instance became a non-owner
    /// MASTER without `accept`).
    Block(IpAddr),
    /// Accept it again.
    Unblock(IpAddr),
}

impl FwOp {
    /// The nft script for this change.
    pub fn script(&self) -> String {
        let (verb, addr) = match self {
            FwOp::Block(a) => ("add", a),
            FwOp::Unblock(a) => ("delete", a),
        };
        let fam = family(addr);
        let mut s = String::new();
        if let FwOp::Unblock(_) = self {
            // `delete element` of an absent element fails the whole
            // script; adding it first makes the delete always valid.
            s.push_str(&format!("add element {fam} keepalived vips {{ {addr} }}\n"));
        }
        s.push_str(&format!(
            "{verb} element {fam} keepalived vips {{ {addr} }}\n"
        ));
        s
    }
}

/// The script that brings the tables from plan `old` to plan `new` when a
/// reload changed the plan (a first `no_accept` instance of a family, a VMAC
/// added or removed): tables of families `new` no longer needs are removed,
/// `new`'s are recreated from scratch by [`FwPlan::setup_script`], and the
/// drop set gets back the addresses in `blocked` (the VIPs of the current
/// non-owner `no_accept` MASTERs) of the families that have one.
///
/// Recreating and refilling, rather than editing the live tables in place,
/// keeps one code path for start and reload and leaves no stale element or
/// map entry behind (keepalived 2.2.7 keeps the `vmac_map` entry of a
/// removed VMAC); the script is applied by one `nft -f` run, which the
/// kernel commits as one transaction, so no packet sees the set empty.
pub fn rebuild_script(old: &FwPlan, new: &FwPlan, blocked: &[IpAddr]) -> String {
    let keep = new.families();
    let gone: Vec<&str> = old
        .families()
        .into_iter()
        .filter(|f| !keep.contains(f))
        .collect();
    let mut s = cleanup_script(&gone);
    s.push_str(&new.setup_script());
    let mut seen: Vec<IpAddr> = Vec::new();
    for a in blocked {
        if seen.contains(a) || !new.vip_families.contains(&family(a)) {
            continue;
        }
        seen.push(*a);
        s.push_str(&FwOp::Block(*a).script());
    }
    s
}

/// The script that removes our tables at exit.
pub fn cleanup_script(families: &[&str]) -> String {
    families
        .iter()
        .map(|fam| format!("add table {fam} keepalived\ndelete table {fam} keepalived\n"))
        .collect()
}

/// Errors running `nft`.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("cannot run nft (install the nftables package): {0}")]
    Spawn(std::io::Error),
    #[error("nft failed ({status}): {stderr}")]
    Failed { status: String, stderr: String },
}

/// Runs an nft script.
pub async fn apply(script: &str) -> Result<(), FirewallError> {
    let mut child = tokio::process::Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(FirewallError::Spawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .await
            .map_err(FirewallError::Spawn)?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(FirewallError::Spawn)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(FirewallError::Failed {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> FwPlan {
        FwPlan {
            vip_families: vec!["ip"],
            vmacs4: vec![("vrrp.51".into(), "eth0".into())],
            vmacs6: vec![("vrrp.52".into(), "eth0".into())],
        }
    }

    #[test]
    fn setup_lays_out_keepalived_tables() {
        let s = plan().setup_script();
        assert!(s.contains("add set ip keepalived vips { type ipv4_addr; }"));
        assert!(s.contains("hook input priority filter - 1"));
        assert!(s.contains("add rule ip keepalived in ip daddr @vips drop"));
        assert!(s.contains("add rule ip keepalived out ip saddr @vips drop"));
        assert!(s.contains("ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop"));
        assert!(s.contains("add element ip keepalived vmac_map { \"vrrp.51\" : \"eth0\" }"));
        assert!(
            s.contains("icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set drop")
        );
        assert!(s.contains("add element ip6 keepalived vmac_set { \"vrrp.52\" }"));
        // No vips set for IPv6: no no_accept instance of that family.
        assert!(!s.contains("add set ip6 keepalived vips"));
        assert_eq!(plan().families(), ["ip", "ip6"]);
        assert!(FwPlan::default().is_empty());
    }

    #[test]
    fn element_scripts() {
        let s = FwOp::Block("192.0.2.100".parse().expect("ip")).script();
        assert_eq!(s, "add element ip keepalived vips { 192.0.2.100 }\n");
        let s = FwOp::Unblock("2001:db8::1".parse().expect("ip")).script();
        assert_eq!(
            s,
            "add element ip6 keepalived vips { 2001:db8::1 }\ndelete element ip6 keepalived vips { 2001:db8::1 }\n"
        );
    }

    #[test]
    fn rebuild_drops_old_families_and_refills_the_set() {
        let old = FwPlan {
            vip_families: vec!["ip"],
            vmacs6: vec![("vrrp.52".into(), "eth0".into())],
            ..FwPlan::default()
        };
        let new = FwPlan {
            vip_families: vec!["ip"],
            vmacs4: vec![("vrrp.51".into(), "eth0".into())],
            ..FwPlan::default()
        };
        let a: IpAddr = "192.0.2.100".parse().expect("ip");
        let v6: IpAddr = "2001:db8::1".parse().expect("ip");
        let s = rebuild_script(&old, &new, &[a, a, v6]);
        // The ip6 table goes (no VMAC of that family any more).
        assert!(s.starts_with("add table ip6 keepalived\ndelete table ip6 keepalived\n"));
        assert!(s.contains("add element ip keepalived vmac_map { \"vrrp.51\" : \"eth0\" }"));
        // The blocked address comes back once, after the set is created;
        // the IPv6 one has no set to go in.
        let set = s.find("add set ip keepalived vips").expect("set");
        let elem = s
            .find("add element ip keepalived vips { 192.0.2.100 }")
            .expect("element");
        assert!(elem > set);
        assert_eq!(s.matches("192.0.2.100").count(), 1);
        assert!(!s.contains("2001:db8::1"));
        // Nothing left: the tables go.
        let s = rebuild_script(&new, &FwPlan::default(), &[a]);
        assert_eq!(s, cleanup_script(&["ip"]));
    }

    /// Runs the scripts in a private network namespace (this test thread
    /// only) when `nft` is installed; nothing outside the namespace changes.
    #[test]
    fn scripts_apply_and_clean_up_in_a_private_namespace() {
        if std::process::Command::new("nft")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("nft not installed: skipping the kernel part");
            return;
        }
        std::thread::spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let list = |args: &'static [&'static str]| async move {
                    let out = tokio::process::Command::new("nft")
                        .args(args)
                        .output()
                        .await
                        .expect("nft list");
                    String::from_utf8_lossy(&out.stdout).into_owned()
                };
                let plan = FwPlan {
                    vip_families: vec!["ip", "ip6"],
                    ..FwPlan::default()
                };
                apply(&plan.setup_script()).await.expect("setup");
                // Twice: a table left behind is replaced, not duplicated.
                apply(&plan.setup_script()).await.expect("setup again");
                let a: IpAddr = "192.0.2.100".parse().expect("ip");
                apply(&FwOp::Block(a).script()).await.expect("block");
                apply(&FwOp::Block(a).script()).await.expect("block twice");
                assert!(list(&["list", "set", "ip", "keepalived", "vips"])
                    .await
                    .contains("192.0.2.100"));
                let ruleset = list(&["list", "ruleset"]).await;
                assert_eq!(ruleset.matches("daddr @vips drop").count(), 2, "{ruleset}");
                apply(&FwOp::Unblock(a).script()).await.expect("unblock");
                apply(&FwOp::Unblock(a).script())
                    .await
                    .expect("unblock twice");
                assert!(!list(&["list", "set", "ip", "keepalived", "vips"])
                    .await
                    .contains("192.0.2.100"));
                apply(&cleanup_script(&plan.families()))
                    .await
                    .expect("cleanup");
                assert!(
                    !list(&["list", "ruleset"]).await.contains("keepalived"),
                    "tables left behind"
                );
            });
        })
        .join()
        .expect("namespace thread");
    }
}
