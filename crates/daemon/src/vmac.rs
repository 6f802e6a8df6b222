//! `use_vmac`: the per-instance macvlan that carries the RFC virtual MAC
//! (reference §3.12), and the sysctls keepalived changes around it.
//!
//! The pieces:
//! - [`VmacSpec::for_instance`] works out the interface's MAC and the names it
//!   may take, from the instance's interface, VRID, family and `use_vmac`.
//! - [`Netlink::ensure_macvlan`](crate::netlink::Netlink::ensure_macvlan)
//!   creates (or reuses) the macvlan in private mode, applies the sysctls
//!   through a [`SysctlGuard`], turns IPv6 address generation off, gives an
//!   IPv6 instance's VMAC the parent's link-local address and sets it up.
//! - [`SysctlGuard::restore`] puts every changed sysctl back on exit, after
//!   the VMACs have been deleted with
//!   [`Netlink::delete_link`](crate::netlink::Netlink::delete_link).
//!
//! IPv6 link-local addresses, as keepalived 2.2.7 does them (observed in a
//! namespace: `ip -d link`, `ip -6 addr` and a capture of its adverts):
//! - every VMAC, IPv4 or IPv6, gets `addrgenmode none` before it first comes
//!   up, so the kernel derives no link-local from the virtual MAC. Both
//!   routers of a group share that MAC, so an EUI-64 link-local would be the
//!   same on both (DAD failure, or two routers owning one address);
//! - an IPv6 instance's VMAC gets a copy of the *parent's* link-local
//!   address (same prefix length), added with `IFA_F_NODAD` and a preferred
//!   lifetime of 0 (deprecated, so the kernel never picks it as the source
//!   of other traffic). Adverts leave the VMAC from that address with the
//!   virtual MAC: on the wire, source MAC 00:00:5e:00:02:VRID and source
//!   address the parent's link-local;
//! - nodad is what makes the VMAC usable at once: a link-local of its own
//!   would stay tentative for about a second (DAD), during which adverts
//!   could not be sent from it. No `accept_dad` sysctl is changed, and no
//!   IPv4 sysctl either for an IPv6 VMAC (ARP does not concern it).
//!
//! Sysctls are written through `/proc/sys/net/...`. That tree is resolved
//! per *thread*: the kernel picks the sysctl set of the network namespace of
//! the task opening the file (not of the mount or of the thread-group
//! leader), so a thread that unshared CLONE_NEWNET sees and changes only its
//! own namespace. The test `proc_sys_net_follows_the_thread_netns` checks
//! this before any other test writes a sysctl. (`/proc/net`, by contrast,
//! is `/proc/self/net` and follows the thread-group leader.)

use crate::netlink::NetlinkError;
use keepalived_config::Vmac;
use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use tracing::{debug, warn};

/// Longest interface name the kernel takes (IFNAMSIZ − 1).
pub const IFNAME_MAX: usize = 15;

/// `ARPHRD_ETHER`: the only parent type macvlan (and keepalived) accept.
pub const ARPHRD_ETHER: u16 = 1;

/// Where `/proc/sys` is; tests use the real one inside a private netns.
const PROC_SYS: &str = "/proc/sys";

/// Highest `<prefix><n>` tried before giving up on a name.
const MAX_NAME_SUFFIX: u32 = 99;

/// Address family of the instance: selects the virtual MAC and the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

#[derive(Debug, thiserror::Error)]
pub enum VmacError {
    #[error("{0}")]
    Netlink(#[from] NetlinkError),
    #[error("interface '{0}' for use_vmac does not exist")]
    NoParent(String),
    #[error(
        "use_vmac needs an Ethernet interface, '{name}' has link type {link_type} (ARPHRD_ETHER is 1)"
    )]
    NotEthernet { name: String, link_type: u16 },
    #[error("use_vmac name '{0}' is taken by an interface that is not this instance's VMAC")]
    NameTaken(String),
    #[error("use_vmac name '{0}' is longer than {IFNAME_MAX} characters")]
    NameTooLong(String),
    #[error("no free VMAC name for VRID {vrid} on '{base}' (tried {tried})")]
    NoFreeName {
        base: String,
        vrid: u8,
        tried: String,
    },
    #[error("macvlan '{0}' was created but cannot be found")]
    Vanished(String),
    #[error(transparent)]
    Sysctl(#[from] SysctlError),
}

#[derive(Debug, thiserror::Error)]
#[error("sysctl {path}: {source}")]
pub struct SysctlError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// How the VMAC gets its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmacName {
    /// `use_vmac NAME`: this name or nothing.
    Configured(String),
    /// Generated from `vmac_prefix` and the VRID (see
    /// [`VmacSpec::candidate_names`]).
    Generated {
        prefix: String,
        vrid: u8,
        family: Family,
    },
}

/// Everything needed to create one instance's VMAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmacSpec {
    /// The instance's `interface`, the macvlan's parent.
    pub base_if: String,
    /// IPv4 VMACs get the ARP sysctls, IPv6 ones the parent's link-local.
    pub family: Family,
    pub name: VmacName,
    pub mac: [u8; 6],
    /// `use_vmac group G`: IFLA_GROUP of the new link.
    pub group: Option<u32>,
}

/// What [`VmacSpec`] needs to know about an existing link to decide whether
/// a name is free or the link is a VMAC to reuse. Filled by
/// [`Netlink::vmac_links`](crate::netlink::Netlink::vmac_links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDetail {
    pub index: u32,
    pub name: String,
    /// `ARPHRD_*` of the link.
    pub link_type: u16,
    pub mac: Option<[u8; 6]>,
    /// IFLA_LINK: the parent's index (macvlan, vlan, veth peer …).
    pub parent: Option<u32>,
    /// `Some(mode)` when the link is a macvlan (`MACVLAN_MODE_*` value).
    pub macvlan_mode: Option<u32>,
    /// IPv6 `addrgenmode` (`IN6_ADDR_GEN_MODE_*`), when IPv6 is on.
    pub addr_gen_mode: Option<u8>,
    /// Administratively up (IFF_UP).
    pub up: bool,
}

/// `MACVLAN_MODE_PRIVATE`: the VMAC never talks to the parent or to other
/// macvlans on it, as with keepalived.
pub const MACVLAN_MODE_PRIVATE: u32 = 1;
/// `IN6_ADDR_GEN_MODE_NONE` (see the module comment).
pub const IN6_ADDR_GEN_MODE_NONE: u8 = 1;

/// The VMAC as it now exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmacLink {
    pub index: u32,
    pub name: String,
    pub mac: [u8; 6],
    /// IPv6 VMAC: the parent's link-local address copied onto it, the
    /// source of its adverts. `None` for IPv4, or when the parent had no
    /// usable link-local (the instance then waits for one).
    pub link_local: Option<std::net::Ipv6Addr>,
    /// False when an existing macvlan was reused (for example one left by a
    /// daemon that was killed): still ours to delete on exit.
    pub created: bool,
}

impl VmacSpec {
    /// The VMAC of one instance. `prefix` is the global `vmac_prefix`
    /// (`vrrp` by default). The MAC is the configured one (the config
    /// already completed a 5-octet MAC with the VRID) or the RFC virtual MAC
    /// `00:00:5e:00:01:VRID` (IPv4) / `00:00:5e:00:02:VRID` (IPv6).
    pub fn for_instance(
        prefix: Option<&str>,
        base_if: &str,
        vrid: u8,
        family: Family,
        configured: &Vmac,
    ) -> VmacSpec {
        let mac = configured.mac.unwrap_or(match family {
            Family::V4 => [0, 0, 0x5e, 0, 1, vrid],
            Family::V6 => [0, 0, 0x5e, 0, 2, vrid],
        });
        let name = match &configured.name {
            Some(n) => VmacName::Configured(n.clone()),
            None => VmacName::Generated {
                prefix: prefix.unwrap_or("vrrp").to_string(),
                vrid,
                family,
            },
        };
        VmacSpec {
            base_if: base_if.to_string(),
            family,
            name,
            mac,
            group: configured.group,
        }
    }

    /// The names to try, in order. Generated names are `<prefix>.<VRID>`,
    /// then `<prefix><n>.<VRID>`. keepalived's IPv6 VMAC tries
    /// `<prefix>6.<VRID>` as its first alternative, so an IPv4 and an IPv6
    /// instance with the same VRID on one host get `vrrp.N` and `vrrp6.N`;
    /// the numbering after that is ours (IPv4: 1, 2, …; IPv6: 6, then 1, 2,
    /// … skipping 6), since the reference does not fix it. Names longer
    /// than IFNAMSIZ are left out.
    pub fn candidate_names(&self) -> Vec<String> {
        match &self.name {
            VmacName::Configured(n) => vec![n.clone()],
            VmacName::Generated {
                prefix,
                vrid,
                family,
            } => {
                let mut out = vec![format!("{prefix}.{vrid}")];
                if *family == Family::V6 {
                    out.push(format!("{prefix}6.{vrid}"));
                }
                out.extend(
                    (1..=MAX_NAME_SUFFIX)
                        .filter(|n| !(*family == Family::V6 && *n == 6))
                        .map(|n| format!("{prefix}{n}.{vrid}")),
                );
                out.retain(|n| n.len() <= IFNAME_MAX);
                out
            }
        }
    }

    /// An existing macvlan on this parent with this MAC: keepalived reuses
    /// it (the kernel would refuse a second one with the same MAC anyway).
    pub fn find_reusable<'a>(
        &self,
        links: &'a [LinkDetail],
        base_ifindex: u32,
    ) -> Option<&'a LinkDetail> {
        links.iter().find(|l| {
            l.macvlan_mode.is_some() && l.parent == Some(base_ifindex) && l.mac == Some(self.mac)
        })
    }

    /// The first candidate name no link has. `claimed` holds names already
    /// promised to other instances that have not been created yet.
    pub fn pick_name(
        &self,
        links: &[LinkDetail],
        claimed: &HashSet<String>,
    ) -> Result<String, VmacError> {
        let taken = |n: &str| claimed.contains(n) || links.iter().any(|l| l.name == n);
        let candidates = self.candidate_names();
        match &self.name {
            VmacName::Configured(n) if n.len() > IFNAME_MAX => {
                Err(VmacError::NameTooLong(n.clone()))
            }
            VmacName::Configured(n) if taken(n) => Err(VmacError::NameTaken(n.clone())),
            VmacName::Configured(n) => Ok(n.clone()),
            VmacName::Generated { vrid, .. } => candidates
                .iter()
                .find(|n| !taken(n))
                .cloned()
                .ok_or_else(|| VmacError::NoFreeName {
                    base: self.base_if.clone(),
                    vrid: *vrid,
                    tried: format!(
                        "{} … {}",
                        candidates.first().map_or("", String::as_str),
                        candidates.last().map_or("", String::as_str)
                    ),
                }),
        }
    }
}

/// Formats a MAC as `aa:bb:cc:dd:ee:ff`.
pub fn mac_string(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Sysctls changed on behalf of VMACs, with the value each had before the
/// first change, so [`SysctlGuard::restore`] can put them back on exit.
/// One guard for the whole daemon: a sysctl changed twice (the parent shared
/// by several VMACs, `all/rp_filter`) keeps its *original* value.
#[derive(Debug)]
pub struct SysctlGuard {
    root: PathBuf,
    /// Relative path and original value, in the order first changed.
    saved: Vec<(String, String)>,
}

impl Default for SysctlGuard {
    fn default() -> Self {
        SysctlGuard::new()
    }
}

impl SysctlGuard {
    pub fn new() -> Self {
        SysctlGuard {
            root: PathBuf::from(PROC_SYS),
            saved: Vec::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Reads a sysctl (`rel` is relative to /proc/sys, e.g.
    /// `net/ipv4/conf/eth0/arp_ignore`), trimmed.
    pub fn read(&self, rel: &str) -> Result<String, SysctlError> {
        std::fs::read_to_string(self.path(rel))
            .map(|s| s.trim().to_string())
            .map_err(|source| SysctlError {
                path: rel.to_string(),
                source,
            })
    }

    /// Writes a sysctl, remembering its value before our first change.
    pub fn set(&mut self, rel: &str, value: &str) -> Result<(), SysctlError> {
        let old = self.read(rel)?;
        if !self.saved.iter().any(|(p, _)| p == rel) {
            self.saved.push((rel.to_string(), old.clone()));
        }
        if old == value {
            return Ok(());
        }
        debug!("sysctl {rel}: {old} -> {value}");
        write_sysctl(&self.path(rel), value).map_err(|source| SysctlError {
            path: rel.to_string(),
            source,
        })
    }

    /// The sysctls changed so far with their original values.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn saved(&self) -> &[(String, String)] {
        &self.saved
    }

    /// Puts every recorded sysctl back, newest change first. Sysctls of
    /// interfaces that are gone (the VMACs themselves, once deleted) are
    /// skipped. Every entry is tried; the first failure is returned.
    pub fn restore(&mut self) -> Result<(), SysctlError> {
        let mut first_err = None;
        for (rel, old) in self.saved.drain(..).rev() {
            let path = self.root.join(&rel);
            match write_sysctl(&path, &old) {
                Ok(()) => debug!("sysctl {rel} restored to {old}"),
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    debug!("sysctl {rel}: gone, nothing to restore")
                }
                Err(source) => {
                    warn!("cannot restore sysctl {rel} to {old}: {source}");
                    first_err.get_or_insert(SysctlError { path: rel, source });
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// The sysctls keepalived sets for an IPv4 VMAC (reference §3.12; an
    /// IPv6 VMAC gets none of them, as with keepalived 2.2.7):
    /// - the VMAC: `arp_ignore=1` (answer ARP only for its own addresses, so
    ///   the VIPs are answered with the virtual MAC from the VMAC alone),
    ///   `accept_local=1` and `rp_filter=0` (adverts and traffic arrive with
    ///   sources the host owns or routes elsewhere), `promote_secondaries=1`
    ///   (removing one VIP must not flush the others);
    /// - the parent: `arp_ignore=1` and `arp_filter=1`, so the parent does
    ///   not answer ARP for the VIPs with its own MAC;
    /// - `all`/`default` `rp_filter`: see [`SysctlGuard::clear_all_rp_filter`].
    pub fn apply_vmac(&mut self, vmac: &str, parent: &str) -> Result<(), SysctlError> {
        self.clear_all_rp_filter()?;
        let conf = |ifname: &str, key: &str| format!("net/ipv4/conf/{ifname}/{key}");
        self.set(&conf(parent, "arp_ignore"), "1")?;
        self.set(&conf(parent, "arp_filter"), "1")?;
        self.set(&conf(vmac, "arp_ignore"), "1")?;
        self.set(&conf(vmac, "accept_local"), "1")?;
        self.set(&conf(vmac, "rp_filter"), "0")?;
        self.set(&conf(vmac, "promote_secondaries"), "1")?;
        Ok(())
    }

    /// The kernel applies max(`all/rp_filter`, `IF/rp_filter`), so the
    /// VMAC's `rp_filter=0` only holds with `all/rp_filter=0`. To keep every
    /// other interface filtered as before, each interface's own value (and
    /// `default`, for interfaces created later) is first raised to the old
    /// `all` value, then `all` is set to 0. A no-op when `all` is already 0.
    pub fn clear_all_rp_filter(&mut self) -> Result<(), SysctlError> {
        let all_rel = "net/ipv4/conf/all/rp_filter";
        let all: u32 = self.read(all_rel)?.parse().unwrap_or(0);
        if all == 0 {
            return Ok(());
        }
        let conf_dir = self.path("net/ipv4/conf");
        let entries = std::fs::read_dir(&conf_dir).map_err(|source| SysctlError {
            path: "net/ipv4/conf".into(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n != "all")
            .collect();
        names.sort();
        for name in names {
            let rel = format!("net/ipv4/conf/{name}/rp_filter");
            let own: u32 = match self.read(&rel) {
                Ok(v) => v.parse().unwrap_or(0),
                // The interface went away meanwhile.
                Err(e) if e.source.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if own < all {
                self.set(&rel, &all.to_string())?;
            }
        }
        self.set(all_rel, "0")
    }
}

fn write_sysctl(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, format!("{value}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::tests::{in_netns, ip};
    use crate::netlink::Netlink;
    use serde_json::Value;
    use std::time::Duration;

    fn vmac(name: Option<&str>, mac: Option<[u8; 6]>) -> Vmac {
        Vmac {
            name: name.map(str::to_string),
            mac,
            ..Default::default()
        }
    }

    fn link(name: &str) -> LinkDetail {
        LinkDetail {
            index: 100,
            name: name.into(),
            link_type: ARPHRD_ETHER,
            mac: None,
            parent: None,
            macvlan_mode: None,
            addr_gen_mode: None,
            up: true,
        }
    }

    #[test]
    fn rfc_macs_and_configured_mac() {
        let s = VmacSpec::for_instance(None, "eth0", 7, Family::V4, &vmac(None, None));
        assert_eq!(s.mac, [0, 0, 0x5e, 0, 1, 7]);
        assert_eq!(s.base_if, "eth0");
        let s = VmacSpec::for_instance(None, "eth0", 255, Family::V6, &vmac(None, None));
        assert_eq!(s.mac, [0, 0, 0x5e, 0, 2, 255]);
        let m = [2, 0x11, 0x22, 0x33, 0x44, 0x55];
        let s = VmacSpec::for_instance(None, "eth0", 7, Family::V6, &vmac(None, Some(m)));
        assert_eq!(s.mac, m);
        assert_eq!(mac_string(&s.mac), "02:11:22:33:44:55");
    }

    #[test]
    fn generated_names_and_fallbacks() {
        let v4 = VmacSpec::for_instance(None, "eth0", 51, Family::V4, &vmac(None, None));
        let c = v4.candidate_names();
        assert_eq!(&c[..3], ["vrrp.51", "vrrp1.51", "vrrp2.51"]);
        let v6 = VmacSpec::for_instance(None, "eth0", 51, Family::V6, &vmac(None, None));
        let c6 = v6.candidate_names();
        assert_eq!(&c6[..3], ["vrrp.51", "vrrp6.51", "vrrp1.51"]);
        assert_eq!(c6.iter().filter(|n| *n == "vrrp6.51").count(), 1);

        let none = HashSet::new();
        assert_eq!(v4.pick_name(&[], &none).expect("free"), "vrrp.51");
        // vrrp.51 already taken (by the IPv4 VMAC): the IPv6 one moves on.
        let links = [link("lo"), link("vrrp.51")];
        assert_eq!(v6.pick_name(&links, &none).expect("free"), "vrrp6.51");
        assert_eq!(v4.pick_name(&links, &none).expect("free"), "vrrp1.51");
        let claimed: HashSet<String> = ["vrrp1.51".to_string()].into();
        assert_eq!(v4.pick_name(&links, &claimed).expect("free"), "vrrp2.51");

        let p = VmacSpec::for_instance(Some("vm"), "eth0", 3, Family::V4, &vmac(None, None));
        assert_eq!(p.candidate_names()[0], "vm.3");
        // Names are cut at IFNAMSIZ, never truncated into something else.
        let long = VmacSpec::for_instance(
            Some("averylongpf"),
            "eth0",
            200,
            Family::V4,
            &vmac(None, None),
        );
        assert_eq!(long.candidate_names(), ["averylongpf.200"]);
        let all_taken: Vec<LinkDetail> = long.candidate_names().iter().map(|n| link(n)).collect();
        assert!(matches!(
            long.pick_name(&all_taken, &none),
            Err(VmacError::NoFreeName { vrid: 200, .. })
        ));
    }

    #[test]
    fn configured_name_is_used_or_refused() {
        let s = VmacSpec::for_instance(None, "eth0", 1, Family::V4, &vmac(Some("vm1"), None));
        assert_eq!(s.candidate_names(), vec!["vm1"]);
        let none = HashSet::new();
        assert_eq!(s.pick_name(&[link("eth0")], &none).expect("free"), "vm1");
        assert!(matches!(
            s.pick_name(&[link("vm1")], &none),
            Err(VmacError::NameTaken(n)) if n == "vm1"
        ));
    }

    #[test]
    fn reuse_needs_macvlan_parent_and_mac() {
        let s = VmacSpec::for_instance(None, "eth0", 1, Family::V4, &vmac(None, None));
        let mut l = link("whatever");
        l.mac = Some(s.mac);
        l.parent = Some(2);
        assert!(s.find_reusable(&[l.clone()], 2).is_none(), "not a macvlan");
        l.macvlan_mode = Some(4);
        assert_eq!(s.find_reusable(&[l.clone()], 2), Some(&l));
        assert!(s.find_reusable(&[l.clone()], 3).is_none(), "other parent");
        l.mac = Some([0, 0, 0x5e, 0, 1, 2]);
        assert!(s.find_reusable(&[l], 2).is_none(), "other MAC");
    }

    fn ip_json(args: &str) -> Vec<Value> {
        match serde_json::from_str(&ip(args)).expect("ip -j output is JSON") {
            Value::Array(v) => v,
            other => panic!("ip {args}: expected an array, got {other}"),
        }
    }

    fn conf_dirs() -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir("/proc/sys/net/ipv4/conf")
            .expect("read conf dir")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
            .collect();
        v.sort();
        v
    }

    /// The premise of writing sysctls from a thread that unshared its
    /// network namespace: /proc/sys/net shows *that thread's* namespace.
    /// Only reads; every test that writes sysctls asserts the same first.
    #[test]
    fn proc_sys_net_follows_the_thread_netns() {
        let outside = conf_dirs();
        assert!(outside.contains(&"lo".to_string()));
        in_netns(|| async {
            assert_eq!(conf_dirs(), ["all", "default", "lo"]);
            ip("link add vmtst0 type veth peer name vmtst1");
            assert_eq!(conf_dirs(), ["all", "default", "lo", "vmtst0", "vmtst1"]);
        });
        assert!(!conf_dirs().contains(&"vmtst0".to_string()));
    }

    fn sysctl(rel: &str) -> String {
        std::fs::read_to_string(format!("/proc/sys/{rel}"))
            .expect("read sysctl")
            .trim()
            .to_string()
    }

    fn set_sysctl(rel: &str, v: &str) {
        std::fs::write(format!("/proc/sys/{rel}"), v).expect("write sysctl");
    }

    /// Starts every writing test: we are in a fresh namespace (never the
    /// host's), with a veth pair `veth0`/`veth1` up as the parent.
    fn fresh_ns_with_veth() {
        assert_eq!(
            conf_dirs(),
            ["all", "default", "lo"],
            "not in a fresh netns"
        );
        ip("link set lo up");
        ip("link add veth0 type veth peer name veth1");
        ip("link set veth0 up");
        ip("link set veth1 up");
    }

    fn link_json(name: &str) -> Value {
        let v = ip_json(&format!("-j -d link show dev {name}"));
        assert_eq!(v.len(), 1, "{v:?}");
        v[0].clone()
    }

    /// The IPv6 link-local addresses of `dev` now, as `ip -j` shows them.
    fn link_local_entries(dev: &str) -> Vec<Value> {
        ip_json(&format!("-j -6 addr show dev {dev}"))
            .iter()
            .flat_map(|l| l["addr_info"].as_array().cloned().unwrap_or_default())
            .filter(|a| a["scope"] == "link")
            .collect()
    }

    /// Waits (bounded) for the IPv6 link-local addresses of `dev`.
    async fn link_locals(dev: &str) -> Vec<std::net::Ipv6Addr> {
        for _ in 0..50 {
            let addrs: Vec<std::net::Ipv6Addr> = ip_json(&format!("-j -6 addr show dev {dev}"))
                .iter()
                .flat_map(|l| l["addr_info"].as_array().cloned().unwrap_or_default())
                .filter(|a| a["scope"] == "link")
                .filter_map(|a| a["local"].as_str().and_then(|s| s.parse().ok()))
                .collect();
            if !addrs.is_empty() {
                return addrs;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no link-local address on {dev}");
    }

    /// The modified EUI-64 interface identifier of a MAC.
    fn eui64(mac: [u8; 6]) -> [u8; 8] {
        [
            mac[0] ^ 2,
            mac[1],
            mac[2],
            0xff,
            0xfe,
            mac[3],
            mac[4],
            mac[5],
        ]
    }

    #[test]
    fn vmac_created_reused_and_deleted() {
        in_netns(|| async {
            fresh_ns_with_veth();
            let nl = Netlink::open().expect("netlink");
            let base = nl.link_info("veth0").await.expect("veth0").index;
            let spec = VmacSpec::for_instance(None, "veth0", 42, Family::V6, &vmac(None, None));
            let mut guard = SysctlGuard::new();

            let vm = nl
                .ensure_macvlan(&spec, base, &mut guard)
                .await
                .expect("create vmac");
            assert_eq!(vm.name, "vrrp.42");
            assert!(vm.created);
            assert_eq!(vm.mac, [0, 0, 0x5e, 0, 2, 42]);

            let j = link_json("vrrp.42");
            assert_eq!(j["ifindex"], vm.index);
            assert_eq!(j["address"], "00:00:5e:00:02:2a");
            assert_eq!(j["link"], "veth0");
            assert_eq!(j["linkinfo"]["info_kind"], "macvlan");
            assert_eq!(j["linkinfo"]["info_data"]["mode"], "private");
            assert_eq!(j["inet6_addr_gen_mode"], "none");
            let flags: Vec<&str> = j["flags"]
                .as_array()
                .expect("flags")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(flags.contains(&"UP"), "{flags:?}");

            // No link-local derived from the virtual MAC (every router
            // of the group would get the same one): the VMAC carries the
            // parent's, past DAD on the parent (the wait in
            // copy_link_local), nodad and deprecated, as keepalived's.
            let parent_ll: Vec<std::net::Ipv6Addr> = link_locals("veth0").await;
            let entries = link_local_entries("vrrp.42");
            assert_eq!(entries.len(), 1, "{entries:?}");
            let e = &entries[0];
            let ll: std::net::Ipv6Addr = e["local"].as_str().expect("local").parse().expect("ip");
            assert_eq!(vm.link_local, Some(ll));
            assert!(parent_ll.contains(&ll), "{ll} is not veth0's {parent_ll:?}");
            assert_ne!(ll.octets()[8..], eui64(vm.mac), "{ll} is EUI-64");
            assert_eq!(e["prefixlen"], 64);
            assert_eq!(e["nodad"], true, "{e}");
            assert_eq!(e["deprecated"], true, "{e}");
            assert!(e.get("tentative").is_none(), "{e}");
            assert_eq!(e["preferred_life_time"], 0, "{e}");
            // An IPv6 VMAC changes no (IPv4, ARP) sysctl.
            assert!(guard.saved().is_empty(), "{:?}", guard.saved());

            // Twice: the existing macvlan is reused, nothing new appears.
            let again = nl
                .ensure_macvlan(&spec, base, &mut guard)
                .await
                .expect("reuse vmac");
            assert_eq!(again.index, vm.index);
            assert_eq!(again.name, vm.name);
            assert_eq!(again.link_local, vm.link_local);
            assert!(!again.created);
            assert_eq!(link_local_entries("vrrp.42").len(), 1);
            let macvlans = ip_json("-j -d link show type macvlan");
            assert_eq!(macvlans.len(), 1, "{macvlans:?}");

            // The IPv4 instance with the same VRID needs its own VMAC (other
            // MAC); vrrp.42 is the IPv6 one's, so it falls back to vrrp1.42.
            let mut with_group = vmac(None, None);
            with_group.group = Some(7);
            let v4 = VmacSpec::for_instance(None, "veth0", 42, Family::V4, &with_group);
            let vm4 = nl
                .ensure_macvlan(&v4, base, &mut guard)
                .await
                .expect("second vmac");
            assert_eq!(vm4.name, "vrrp1.42");
            let j4 = link_json("vrrp1.42");
            assert_eq!(j4["address"], "00:00:5e:00:01:2a");
            assert_eq!(j4["group"], "7", "use_vmac group");
            assert_eq!(j4["inet6_addr_gen_mode"], "none");
            // An IPv4 VMAC has no IPv6 address at all, as keepalived's.
            assert_eq!(vm4.link_local, None);
            assert!(ip_json("-j -6 addr show dev vrrp1.42")
                .iter()
                .all(|l| l["addr_info"].as_array().is_none_or(Vec::is_empty)));

            nl.delete_link(vm.index).await.expect("delete");
            nl.delete_link(vm4.index).await.expect("delete");
            assert!(ip_json("-j link show type macvlan").is_empty());
            // Deleting what is gone is not an error (shutdown after an
            // admin removed it).
            nl.delete_link(vm.index).await.expect("delete again");
            guard.restore().expect("restore");
        });
    }

    #[test]
    fn reused_vmac_in_bridge_mode_becomes_private() {
        in_netns(|| async {
            fresh_ns_with_veth();
            ip("link add leftover link veth0 address 00:00:5e:00:01:09 type macvlan mode bridge");
            // Up, as a killed daemon leaves it: it already has the EUI-64
            // link-local of the virtual MAC.
            ip("link set leftover up");
            let eui = eui64([0, 0, 0x5e, 0, 1, 9]);
            assert!(
                link_locals("leftover")
                    .await
                    .iter()
                    .any(|ll| ll.octets()[8..] == eui),
                "expected an EUI-64 link-local before"
            );
            let nl = Netlink::open().expect("netlink");
            let base = nl.link_info("veth0").await.expect("veth0").index;
            let spec = VmacSpec::for_instance(None, "veth0", 9, Family::V4, &vmac(None, None));
            let mut guard = SysctlGuard::new();
            let vm = nl
                .ensure_macvlan(&spec, base, &mut guard)
                .await
                .expect("reuse");
            assert!(!vm.created);
            assert_eq!(vm.name, "leftover");
            let j = link_json("leftover");
            assert_eq!(j["linkinfo"]["info_data"]["mode"], "private");
            assert_eq!(j["inet6_addr_gen_mode"], "none");
            // Down and up again in mode none: the EUI-64 link-local is gone
            // and an IPv4 VMAC gets none instead.
            let left = link_local_entries("leftover");
            assert!(left.is_empty(), "{left:?}");
        });
    }

    #[test]
    fn non_ethernet_parent_is_refused() {
        in_netns(|| async {
            fresh_ns_with_veth();
            // Loopback (ARPHRD_LOOPBACK, 772) is there in every namespace,
            // unlike tunnel modules.
            let nl = Netlink::open().expect("netlink");
            let base = nl.link_info("lo").await.expect("lo").index;
            let spec = VmacSpec::for_instance(None, "lo", 1, Family::V4, &vmac(None, None));
            let mut guard = SysctlGuard::new();
            let err = nl
                .ensure_macvlan(&spec, base, &mut guard)
                .await
                .expect_err("loopback is not Ethernet");
            assert!(
                matches!(&err, VmacError::NotEthernet { name, link_type: 772 } if name == "lo"),
                "{err:?}"
            );
            assert!(guard.saved().is_empty(), "nothing changed");
            assert!(ip_json("-j link show type macvlan").is_empty());
        });
    }

    #[test]
    fn sysctls_set_and_restored() {
        in_netns(|| async {
            fresh_ns_with_veth();
            // Make every value we change observable: start from the
            // opposite of what the VMAC needs.
            set_sysctl("net/ipv4/conf/all/rp_filter", "2");
            set_sysctl("net/ipv4/conf/default/rp_filter", "0");
            set_sysctl("net/ipv4/conf/veth1/rp_filter", "1");
            set_sysctl("net/ipv4/conf/veth0/arp_ignore", "0");
            set_sysctl("net/ipv4/conf/veth0/arp_filter", "0");
            let before: Vec<(String, String)> = [
                "all/rp_filter",
                "default/rp_filter",
                "lo/rp_filter",
                "veth0/rp_filter",
                "veth1/rp_filter",
                "veth0/arp_ignore",
                "veth0/arp_filter",
            ]
            .iter()
            .map(|k| {
                let rel = format!("net/ipv4/conf/{k}");
                let v = sysctl(&rel);
                (rel, v)
            })
            .collect();

            let nl = Netlink::open().expect("netlink");
            let base = nl.link_info("veth0").await.expect("veth0").index;
            let spec = VmacSpec::for_instance(None, "veth0", 5, Family::V4, &vmac(None, None));
            let mut guard = SysctlGuard::new();
            let vm = nl
                .ensure_macvlan(&spec, base, &mut guard)
                .await
                .expect("create vmac");

            let c = |k: &str| sysctl(&format!("net/ipv4/conf/{k}"));
            assert_eq!(c("vrrp.5/arp_ignore"), "1");
            assert_eq!(c("vrrp.5/accept_local"), "1");
            assert_eq!(c("vrrp.5/rp_filter"), "0");
            assert_eq!(c("vrrp.5/promote_secondaries"), "1");
            assert_eq!(c("veth0/arp_ignore"), "1");
            assert_eq!(c("veth0/arp_filter"), "1");
            // all = 0 so the VMAC's 0 holds; the others keep filtering as
            // strictly as before (max of all and their own value).
            assert_eq!(c("all/rp_filter"), "0");
            assert_eq!(c("default/rp_filter"), "2");
            assert_eq!(c("veth0/rp_filter"), "2");
            assert_eq!(c("veth1/rp_filter"), "2");
            assert_eq!(c("lo/rp_filter"), "2");

            // A second VMAC on the same parent changes nothing more and the
            // originals stay recorded once.
            let n_saved = guard.saved().len();
            let spec2 = VmacSpec::for_instance(None, "veth0", 6, Family::V4, &vmac(None, None));
            let vm2 = nl
                .ensure_macvlan(&spec2, base, &mut guard)
                .await
                .expect("second vmac");
            assert_eq!(c("vrrp.6/rp_filter"), "0");
            assert_eq!(guard.saved().len(), n_saved + 4, "{:?}", guard.saved());
            assert_eq!(
                guard
                    .saved()
                    .iter()
                    .filter(|(p, _)| p == "net/ipv4/conf/all/rp_filter")
                    .count(),
                1
            );

            // Shutdown order: delete the VMACs, then restore.
            nl.delete_link(vm.index).await.expect("delete");
            nl.delete_link(vm2.index).await.expect("delete");
            guard.restore().expect("restore");
            for (rel, v) in &before {
                assert_eq!(&sysctl(rel), v, "{rel}");
            }
            assert!(guard.saved().is_empty());
        });
    }
}
