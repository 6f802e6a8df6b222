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

/// The nftables family a table lives in.
fn family(addr: &IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(_) => "ip",
        IpAddr::V6(_) => "ip6",
    }
}

fn addr_type(fam: &str) -> &'static str {
    if fam == "ip" {
        "ipv4_addr"
    } else {
        "ipv6_addr"
    }
}

/// The script that creates the table of `fam` (idempotent: `add` of what
/// exists is a no-op in nft).
pub fn table_script(fam: &str) -> String {
    let ty = addr_type(fam);
    format!(
        "add table {fam} keepalived\n\
         add set {fam} keepalived vips {{ type {ty}; }}\n\
         add chain {fam} keepalived in {{ type filter hook input priority filter - 1; policy accept; }}\n\
         add chain {fam} keepalived out {{ type filter hook output priority filter - 1; policy accept; }}\n\
         flush chain {fam} keepalived in\n\
         flush chain {fam} keepalived out\n\
         add rule {fam} keepalived in {fam} daddr @vips drop\n\
         add rule {fam} keepalived out {fam} saddr @vips drop\n"
    )
}

/// A change of the drop set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FwOp {
    /// Drop traffic to/from the address (the instance became a non-owner
    /// MASTER without `accept`).
    Block(IpAddr),
    /// Accept it again.
    Unblock(IpAddr),
}

impl FwOp {
    /// The nft script for this change, table creation included.
    pub fn script(&self) -> String {
        let (verb, addr) = match self {
            FwOp::Block(a) => ("add", a),
            FwOp::Unblock(a) => ("delete", a),
        };
        let fam = family(addr);
        let mut s = table_script(fam);
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

    #[test]
    fn scripts_name_keepalived_table_set_and_chains() {
        let s = FwOp::Block("192.0.2.100".parse().expect("ip")).script();
        assert!(s.contains("add table ip keepalived\n"));
        assert!(s.contains("add set ip keepalived vips { type ipv4_addr; }"));
        assert!(s.contains("hook input priority filter - 1"));
        assert!(s.contains("add rule ip keepalived in ip daddr @vips drop"));
        assert!(s.contains("add rule ip keepalived out ip saddr @vips drop"));
        assert!(s.ends_with("add element ip keepalived vips { 192.0.2.100 }\n"));
        let s = FwOp::Unblock("2001:db8::1".parse().expect("ip")).script();
        assert!(s.contains("add table ip6 keepalived\n"));
        assert!(s.contains("type ipv6_addr"));
        assert!(s.ends_with(
            "add element ip6 keepalived vips { 2001:db8::1 }\ndelete element ip6 keepalived vips { 2001:db8::1 }\n"
        ));
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
                let a: IpAddr = "192.0.2.100".parse().expect("ip");
                apply(&FwOp::Block(a).script()).await.expect("block");
                apply(&FwOp::Block(a).script()).await.expect("block twice");
                let list = |what: &'static str| async move {
                    let out = tokio::process::Command::new("nft")
                        .args(["list", "set", "ip", "keepalived", what])
                        .output()
                        .await
                        .expect("nft list");
                    String::from_utf8_lossy(&out.stdout).into_owned()
                };
                assert!(list("vips").await.contains("192.0.2.100"));
                apply(&FwOp::Unblock(a).script()).await.expect("unblock");
                apply(&FwOp::Unblock(a).script())
                    .await
                    .expect("unblock twice");
                assert!(!list("vips").await.contains("192.0.2.100"));
                apply(&cleanup_script(&["ip", "ip6"]))
                    .await
                    .expect("cleanup");
                let out = tokio::process::Command::new("nft")
                    .args(["list", "ruleset"])
                    .output()
                    .await
                    .expect("nft list ruleset");
                assert!(
                    !String::from_utf8_lossy(&out.stdout).contains("keepalived"),
                    "tables left behind"
                );
            });
        })
        .join()
        .expect("namespace thread");
    }
}
