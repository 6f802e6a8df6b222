//! `vrrp_instance NAME { }` (reference §2.3, §2.8, §2.9, §3.3, §3.9) and the
//! cross-instance checks that make keepalived's VRRP process exit (§1.8).
//!
//! Structure: [`parse`] records what is written into a [`Builder`] (values
//! range-checked, with their locations); [`complete_all`] then applies
//! keepalived's defaults, global values and strict-mode rules the way
//! `vrrp_complete_instance` does, once the whole file is known.

use crate::address::{self, AddrBlock};
use crate::decimal::format_us;
use crate::diag::Diags;
use crate::global::garp_repeat;
use crate::model::{
    AuthHmac, Authentication, GarpExtraIf, GlobalDefs, HmacAntiReplay, HmacKey, HmacKeySource,
    HmacMode, InitialState, InstanceOpts, Ipvlan, IpvlanMode, Location, OldUnicastChecksum, Route,
    Rule, TrackRef, UnicastPeer, VirtualIp, Vmac, VrrpInstance,
};
use crate::semantic::{need_arg, no_block, opt_bool, require_block, seconds, uint, uint_or};
use crate::tree::{Node, Word};
use std::net::IpAddr;

/// Every keyword of the block, most common first (ties in "did you mean"
/// go to the earlier one).
const KEYWORDS: &[&str] = &[
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "virtual_ipaddress",
    "authentication",
    "nopreempt",
    "preempt",
    "preempt_delay",
    "unicast_src_ip",
    "unicast_peer",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "notify_deleted",
    "version",
    "virtual_ipaddress_excluded",
    "no_virtual_ipaddress",
    "accept",
    "no_accept",
    "promote_secondaries",
    "mcast_src_ip",
    "track_src_ip",
    "mcast_dst_ip",
    "unicast_fault_no_peer",
    "check_unicast_src",
    "unicast_ttl",
    "old_unicast_checksum",
    "v3_checksum_as_v2",
    "use_vmac",
    "use_vmac_addr",
    "vmac_xmit_base",
    "use_ipvlan",
    "vrf",
    "garp_master_delay",
    "garp_master_repeat",
    "garp_extra_if",
    "vmac_garp_intvl",
    "timer_expired_backup",
    "thread_timer_expired",
    "skip_check_adv_addr",
    "strict_mode",
    "auth_hmac",
    "smtp_alert",
    "kernel_rx_buf_size",
    "debug",
    "native_ipv6",
    "linkbeat_use_polling",
    "lvs_sync_daemon_interface",
    "virtual_routes",
    "virtual_rules",
    "dont_track_primary",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "down_timer_adverts",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "owner_ignore_adverts",
    "notify_master_rx_lower_pri",
    "notify_priority_changes",
];

/// Keywords whose value is parsed and kept in the model but that the
/// keepalived-rs daemon does not act on yet: one warning per keyword.
const NOT_RUN_YET: &[&str] = &[
    "promote_secondaries",
    "track_src_ip",
    "mcast_dst_ip",
    "use_vmac_addr",
    "use_ipvlan",
    "vrf",
    "garp_extra_if",
    "timer_expired_backup",
    "skip_check_adv_addr",
    "auth_hmac",
    "notify_deleted",
];

/// `authentication { }` as written, judged once the version is known.
#[derive(Debug, Clone, Default)]
struct AuthSpec {
    ty: Option<Word>,
    pass: Option<Word>,
}

/// A `[BOOL]`/flag keyword as written: value and where.
type Flag = Option<(bool, Location)>;

/// An instance as written, before defaults and normalisation.
#[derive(Debug, Clone)]
pub(crate) struct Builder {
    name: String,
    loc: Location,
    state: Option<InitialState>,
    interface: Option<(String, Location)>,
    vrid: Option<(u8, Location)>,
    priority: Option<u8>,
    advert_us: Option<(u64, Location)>,
    version: Option<u8>,
    nopreempt: Option<Location>,
    preempt_delay: Option<(u64, Location)>,
    vips: Vec<VirtualIp>,
    excluded: Vec<VirtualIp>,
    routes: Vec<Route>,
    rules: Vec<Rule>,
    no_virtual_ipaddress: Option<Location>,
    auth: Option<(AuthSpec, Location)>,
    auth_hmac: Option<(AuthHmac, Location)>,
    unicast_src: Option<(IpAddr, Location)>,
    mcast_src: Option<(IpAddr, Location)>,
    mcast_dst: Option<(IpAddr, Location)>,
    peers: Vec<UnicastPeer>,
    track: Vec<TrackRef>,
    dont_track_primary: bool,
    track_src_ip: Option<Location>,
    unicast_fault_no_peer: Flag,
    check_unicast_src: Flag,
    unicast_ttl: Option<(u8, Location)>,
    old_unicast_checksum: Option<(OldUnicastChecksum, Location)>,
    v3_checksum_as_v2: bool,
    use_vmac: Option<(Vmac, Location)>,
    vmac_mac5: Option<[u8; 5]>,
    use_vmac_addr: bool,
    vmac_xmit_base: Flag,
    use_ipvlan: Option<Ipvlan>,
    vrf: Option<(String, Location)>,
    garp_delay_s: u32,
    garp_repeat: u32,
    garp_refresh_s: u32,
    garp_refresh_repeat: u32,
    garp_lower_prio_delay: Option<(u32, Location)>,
    garp_lower_prio_repeat: Option<(u32, Location)>,
    garp_extra_if: Option<GarpExtraIf>,
    down_timer_adverts: u8,
    down_timer_loc: Option<Location>,
    lower_prio_no_advert: Flag,
    higher_prio_send_advert: Flag,
    owner_ignore_adverts: Flag,
    timer_expired_backup: Option<(u8, Location)>,
    skip_check_adv_addr: bool,
    strict_mode: Option<bool>,
    accept: Flag,
    promote_secondaries: bool,
    notify: crate::model::NotifyBox,
    notify_priority_changes: Option<bool>,
    smtp_alert: Option<bool>,
    kernel_rx_buf_size: Option<u64>,
    debug: Option<u8>,
    /// A fatal problem was reported; the instance is left out.
    failed: bool,
}

impl Builder {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
    pub(crate) fn location(&self) -> &Location {
        &self.loc
    }
}

/// Instance defaults that keepalived copies from `global_defs` when the
/// instance is *allocated* (so a later `global_defs` does not change them,
/// §2.2 "Order dependence").
struct AllocDefaults {
    garp_delay_s: u32,
    garp_repeat: u32,
    garp_refresh_s: u32,
    garp_refresh_repeat: u32,
    down_timer_adverts: u8,
    skip_check_adv_addr: bool,
    v3_checksum_as_v2: bool,
}

/// Global values applied when the instance is completed (after the whole
/// file), as `vrrp_complete_instance` reads them.
struct CompleteDefaults {
    strict: bool,
    garp_lower_prio_delay_s: Option<u32>,
    garp_lower_prio_repeat: Option<u32>,
    garp_extra_if: Option<GarpExtraIf>,
    lower_prio_no_advert: bool,
    higher_prio_send_advert: bool,
    owner_ignore_adverts: bool,
    check_unicast_src: bool,
}

fn alloc_defaults(g: &GlobalDefs) -> AllocDefaults {
    AllocDefaults {
        garp_delay_s: g.garp_master_delay_s,
        garp_repeat: g.garp_master_repeat,
        garp_refresh_s: g.garp_master_refresh_s,
        garp_refresh_repeat: g.garp_master_refresh_repeat,
        down_timer_adverts: u8::try_from(g.down_timer_adverts).unwrap_or(3),
        skip_check_adv_addr: g.skip_check_adv_addr,
        v3_checksum_as_v2: g.v3_checksum_as_v2,
    }
}

fn complete_defaults(g: &GlobalDefs) -> CompleteDefaults {
    CompleteDefaults {
        strict: g.strict,
        garp_lower_prio_delay_s: g.garp_lower_prio_delay_s,
        garp_lower_prio_repeat: g.garp_lower_prio_repeat,
        garp_extra_if: g.garp_extra_if,
        lower_prio_no_advert: g.lower_prio_no_advert,
        higher_prio_send_advert: g.higher_prio_send_advert,
        owner_ignore_adverts: g.owner_ignore_adverts,
        check_unicast_src: g.check_unicast_src,
    }
}

/// Parse one `vrrp_instance` node.  GARP defaults are copied from the global
/// values current *now*, as keepalived's `alloc_vrrp` does (§2.2).
pub(crate) fn parse(
    node: &Node,
    global: &GlobalDefs,
    earlier: &std::collections::HashMap<String, Location>,
    diags: &mut Diags,
) -> Option<Builder> {
    let Some(name) = node.args.first() else {
        // keepalived reports this and skips the block (it still runs).
        diags.error(
            &node.kw.loc,
            "missing parameter for 'vrrp_instance' (instance name) - block ignored",
        );
        return None;
    };
    let Some(block) = &node.block else {
        diags.fatal(
            &node.kw.loc,
            format!(
                "missing '{{' at the beginning of vrrp_instance '{}'",
                name.text
            ),
        );
        return None;
    };
    if let Some(extra) = node.args.get(1) {
        diags.warn(
            &extra.loc,
            format!(
                "extra parameter '{}' after vrrp_instance name ignored",
                extra.text
            ),
        );
    }
    if let Some(prev_loc) = earlier.get(&name.text) {
        diags.error(
            &name.loc,
            format!(
                "duplicate vrrp_instance '{}' (first defined at {}) - ignored",
                name.text, prev_loc
            ),
        );
        return None;
    }
    let d = alloc_defaults(global);
    let mut b = Builder {
        name: name.text.clone(),
        loc: node.kw.loc.clone(),
        state: None,
        interface: None,
        vrid: None,
        priority: None,
        advert_us: None,
        version: None,
        nopreempt: None,
        preempt_delay: None,
        vips: Vec::new(),
        excluded: Vec::new(),
        routes: Vec::new(),
        rules: Vec::new(),
        no_virtual_ipaddress: None,
        auth: None,
        auth_hmac: None,
        unicast_src: None,
        mcast_src: None,
        mcast_dst: None,
        peers: Vec::new(),
        track: Vec::new(),
        dont_track_primary: false,
        track_src_ip: None,
        unicast_fault_no_peer: None,
        check_unicast_src: None,
        unicast_ttl: None,
        old_unicast_checksum: None,
        v3_checksum_as_v2: d.v3_checksum_as_v2,
        use_vmac: None,
        vmac_mac5: None,
        use_vmac_addr: false,
        vmac_xmit_base: None,
        use_ipvlan: None,
        vrf: None,
        garp_delay_s: d.garp_delay_s,
        garp_repeat: d.garp_repeat,
        garp_refresh_s: d.garp_refresh_s,
        garp_refresh_repeat: d.garp_refresh_repeat,
        garp_lower_prio_delay: None,
        garp_lower_prio_repeat: None,
        garp_extra_if: None,
        down_timer_adverts: d.down_timer_adverts,
        down_timer_loc: None,
        lower_prio_no_advert: None,
        higher_prio_send_advert: None,
        owner_ignore_adverts: None,
        timer_expired_backup: None,
        skip_check_adv_addr: d.skip_check_adv_addr,
        strict_mode: None,
        accept: None,
        promote_secondaries: false,
        notify: crate::model::NotifyBox::default(),
        notify_priority_changes: None,
        smtp_alert: None,
        kernel_rx_buf_size: None,
        debug: None,
        failed: false,
    };
    for n in &block.nodes {
        keyword(&mut b, n, diags);
    }
    Some(b)
}

/// Like [`need_arg`], but a missing value also marks the instance failed
/// (keepalived exits on a missing mandatory parameter).
fn arg<'a>(b: &mut Builder, n: &'a Node, diags: &mut Diags) -> Option<&'a Word> {
    let w = need_arg(n, diags);
    if w.is_none() {
        b.failed = true;
    }
    w
}

/// A flag keyword: no value expected; extra words are reported.
fn flag(n: &Node, diags: &mut Diags) {
    no_block(n, diags);
    if let Some(w) = n.args.first() {
        diags.warn(
            &w.loc,
            format!("'{}' takes no value; '{}' ignored", n.kw.text, w.text),
        );
    }
}

/// `[BOOL]` keyword with its location.
fn bool_kw(n: &Node, diags: &mut Diags) -> Flag {
    opt_bool(n, diags).map(|v| (v, n.kw.loc.clone()))
}

/// A keyword keepalived reads that has a replacement (or none): error class
/// like keepalived's CONFIG_DEPRECATED (`-t` exits 5).
fn deprecated(n: &Node, replacement: &str, diags: &mut Diags) {
    diags.error(
        &n.kw.loc,
        format!("'{}' is deprecated; {replacement}", n.kw.text),
    );
}

/// "Not run yet" warning, once per keyword for the whole file.
fn not_run_yet(kw: &str, loc: &Location, diags: &mut Diags) {
    diags.warn_once(
        &format!("\0inst:{kw}"),
        loc,
        format!("'{kw}' is parsed but not yet supported by keepalived-rs (it has no effect yet)"),
    );
}

/// Any valid IP address value of keyword `kw`.
fn ip_arg(w: &Word, kw: &str, diags: &mut Diags) -> Option<IpAddr> {
    address::ip_value(w, kw, diags)
}

fn keyword(b: &mut Builder, n: &Node, diags: &mut Diags) {
    let kw = n.kw.text.as_str();
    if NOT_RUN_YET.contains(&kw) {
        not_run_yet(kw, &n.kw.loc, diags);
    }
    match kw {
        "" => {}
        "state" => {
            let Some(w) = arg(b, n, diags) else { return };
            match w.text.as_str() {
                "MASTER" => b.state = Some(InitialState::Master),
                "BACKUP" => {
                    if b.state == Some(InitialState::Master) {
                        diags.warn(
                            &w.loc,
                            "state 'BACKUP' after 'MASTER' is ignored (as keepalived does)",
                        );
                    } else {
                        b.state = Some(InitialState::Backup);
                    }
                }
                other => {
                    diags.error(
                        &w.loc,
                        format!("invalid state '{other}' (must be MASTER or BACKUP); using BACKUP"),
                    );
                    if b.state != Some(InitialState::Master) {
                        b.state = Some(InitialState::Backup);
                    }
                }
            }
        }
        "interface" => {
            let Some(w) = arg(b, n, diags) else { return };
            if !address::valid_ifname(&w.text) {
                diags.fatal(
                    &w.loc,
                    format!(
                        "invalid interface '{}' (interface names are 1..15 characters)",
                        w.text
                    ),
                );
                b.failed = true;
            } else if w.text == "lo" {
                diags.fatal(
                    &w.loc,
                    "interface 'lo' is the loopback interface; VRRP cannot run on it",
                );
                b.failed = true;
            } else {
                b.interface = Some((w.text.clone(), w.loc.clone()));
            }
        }
        "virtual_router_id" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 1, 255, diags) {
                b.vrid = Some((v as u8, w.loc.clone()));
            }
        }
        "priority" => {
            let Some(w) = arg(b, n, diags) else { return };
            b.priority =
                Some(uint_or(w, kw, 1, 255, "; using 100", diags).map_or(100, |v| v as u8));
        }
        "advert_int" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = seconds(w, kw, 10_000, 255_000_000, diags) {
                b.advert_us = Some((v, w.loc.clone()));
            }
        }
        "version" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 2, 3, diags) {
                match b.version {
                    Some(old) if old != v as u8 => diags.warn(
                        &w.loc,
                        format!("conflicting version '{v}' ignored (already {old})"),
                    ),
                    _ => b.version = Some(v as u8),
                }
            }
        }
        "nopreempt" => {
            flag(n, diags);
            b.nopreempt = Some(n.kw.loc.clone());
        }
        "preempt" => {
            flag(n, diags);
            b.nopreempt = None;
        }
        "preempt_delay" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = seconds(w, kw, 0, 1_000_000_000, diags) {
                b.preempt_delay = Some((v, w.loc.clone()));
            }
        }
        "virtual_ipaddress" => {
            // Entry by entry, so the family check is reported in line order.
            let Some(block) = require_block(n, diags) else {
                return;
            };
            block_extra_params(n, diags);
            for e in block.nodes.iter().filter(|e| !e.kw.text.is_empty()) {
                if let Some(vip) = address::parse_entry(e, AddrBlock::Vip, diags) {
                    push_vip(b, vip, diags);
                }
            }
        }
        "virtual_ipaddress_excluded" => {
            for vip in address::parse_block(n, AddrBlock::Excluded, diags) {
                address::push_unique(&mut b.excluded, vip, AddrBlock::Excluded, diags);
            }
        }
        "virtual_routes" => b.routes.extend(crate::route::parse_block(n, diags)),
        "virtual_rules" => b.rules.extend(crate::rule::parse_block(n, diags)),
        "no_virtual_ipaddress" => {
            flag(n, diags);
            b.no_virtual_ipaddress = Some(n.kw.loc.clone());
        }
        "authentication" => {
            let Some(block) = require_block(n, diags) else {
                return;
            };
            let mut spec = AuthSpec::default();
            for c in &block.nodes {
                match c.kw.text.as_str() {
                    "" => {}
                    "auth_type" => {
                        let Some(w) = arg(b, c, diags) else { continue };
                        if w.text == "PASS" || w.text == "AH" {
                            spec.ty = Some(w.clone());
                        } else {
                            diags.error(
                                &w.loc,
                                format!("invalid auth_type '{}' (must be PASS or AH)", w.text),
                            );
                        }
                    }
                    "auth_pass" => {
                        let Some(w) = arg(b, c, diags) else { continue };
                        spec.pass = Some(w.clone());
                    }
                    _ => crate::semantic::unknown_in(c, &["auth_type", "auth_pass"], diags),
                }
            }
            b.auth = Some((spec, n.kw.loc.clone()));
        }
        "auth_hmac" => {
            if let Some(h) = auth_hmac(n, diags) {
                b.auth_hmac = Some((h, n.kw.loc.clone()));
            }
        }
        "unicast_src_ip" | "mcast_src_ip" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(a) = ip_arg(w, kw, diags) {
                if kw == "unicast_src_ip" {
                    b.unicast_src = Some((a, w.loc.clone()));
                } else {
                    b.mcast_src = Some((a, w.loc.clone()));
                }
            }
        }
        "mcast_dst_ip" => {
            let Some(w) = arg(b, n, diags) else { return };
            let Some(a) = ip_arg(w, kw, diags) else {
                return;
            };
            let ok = match a {
                IpAddr::V4(v4) => v4.is_multicast(),
                // ffX2::/16: multicast with link-local scope (adverts never
                // leave the link).
                IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
            };
            if ok {
                b.mcast_dst = Some((a, w.loc.clone()));
            } else {
                diags.error(
                    &w.loc,
                    format!(
                        "invalid mcast_dst_ip '{}' (must be an IPv4 multicast address or an IPv6 link-local multicast address ffX2::/16) - ignored",
                        w.text
                    ),
                );
            }
        }
        "unicast_peer" => {
            let Some(block) = require_block(n, diags) else {
                return;
            };
            block_extra_params(n, diags);
            for e in &block.nodes {
                if !e.kw.text.is_empty() {
                    peer_entry(b, e, diags);
                }
            }
        }
        "track_src_ip" => {
            flag(n, diags);
            b.track_src_ip = Some(n.kw.loc.clone());
        }
        "dont_track_primary" => {
            flag(n, diags);
            b.dont_track_primary = true;
        }
        "unicast_fault_no_peer" => {
            flag(n, diags);
            b.unicast_fault_no_peer = Some((true, n.kw.loc.clone()));
        }
        "check_unicast_src" => {
            flag(n, diags);
            b.check_unicast_src = Some((true, n.kw.loc.clone()));
        }
        "unicast_ttl" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 0, 255, diags) {
                b.unicast_ttl = Some((v as u8, w.loc.clone()));
            }
        }
        "old_unicast_checksum" => {
            no_block(n, diags);
            let v = match n.args.first() {
                None => Some(OldUnicastChecksum::Always),
                Some(w) if w.text == "never" => Some(OldUnicastChecksum::Never),
                Some(w) => {
                    diags.error(
                        &w.loc,
                        format!(
                            "invalid old_unicast_checksum '{}' (only 'never' may follow) - ignored",
                            w.text
                        ),
                    );
                    None
                }
            };
            if let Some(v) = v {
                b.old_unicast_checksum = Some((v, n.kw.loc.clone()));
            }
        }
        "v3_checksum_as_v2" => {
            if let Some(v) = opt_bool(n, diags) {
                b.v3_checksum_as_v2 = v;
            }
        }
        "use_vmac" => use_vmac(b, n, diags),
        "use_vmac_addr" => {
            flag(n, diags);
            b.use_vmac_addr = true;
        }
        "vmac_xmit_base" => {
            flag(n, diags);
            b.vmac_xmit_base = Some((true, n.kw.loc.clone()));
        }
        "use_ipvlan" => use_ipvlan(b, n, diags),
        "vrf" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = address::ifname_value(w, kw, diags) {
                b.vrf = Some((v, w.loc.clone()));
            }
        }
        "garp_master_delay" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                b.garp_delay_s = v as u32;
            }
        }
        "garp_master_repeat" | "garp_master_refresh_repeat" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                let v = garp_repeat(v as u32, w, kw, diags);
                if kw == "garp_master_repeat" {
                    b.garp_repeat = v;
                } else {
                    b.garp_refresh_repeat = v;
                }
            }
        }
        "garp_master_refresh" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                b.garp_refresh_s = v as u32;
            }
        }
        "garp_lower_prio_delay" | "garp_lower_prio_repeat" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                let v = Some((v as u32, w.loc.clone()));
                if kw == "garp_lower_prio_delay" {
                    b.garp_lower_prio_delay = v;
                } else {
                    b.garp_lower_prio_repeat = v;
                }
            }
        }
        "garp_extra_if" | "vmac_garp_intvl" => {
            if kw == "vmac_garp_intvl" {
                deprecated(n, "use 'garp_extra_if' instead", diags);
                not_run_yet("garp_extra_if", &n.kw.loc, diags);
            }
            no_block(n, diags);
            let mut args = n.args.iter().peekable();
            let all = args.next_if(|w| w.text == "all").is_some();
            let Some(w) = args.next() else {
                diags.fatal(&n.kw.loc, format!("missing parameter for '{kw}'"));
                b.failed = true;
                return;
            };
            if let Some(v) = uint(w, kw, 0, 86_400, diags) {
                b.garp_extra_if = Some(GarpExtraIf {
                    all,
                    interval_s: v as u32,
                });
            }
            if let Some(x) = args.next() {
                diags.warn(
                    &x.loc,
                    format!("extra parameter '{}' after {kw} ignored", x.text),
                );
            }
        }
        "down_timer_adverts" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 1, 100, diags) {
                b.down_timer_adverts = v as u8;
                b.down_timer_loc = Some(w.loc.clone());
            }
        }
        "lower_prio_no_advert" => b.lower_prio_no_advert = bool_kw(n, diags),
        "higher_prio_send_advert" => b.higher_prio_send_advert = bool_kw(n, diags),
        "owner_ignore_adverts" => b.owner_ignore_adverts = bool_kw(n, diags),
        "timer_expired_backup" | "thread_timer_expired" => {
            if kw == "thread_timer_expired" {
                not_run_yet("timer_expired_backup", &n.kw.loc, diags);
            }
            no_block(n, diags);
            let v = match n.args.first() {
                None => Some(254),
                Some(w) => uint(w, kw, 1, 254, diags).map(|v| v as u8),
            };
            if let Some(v) = v {
                b.timer_expired_backup = Some((v, n.kw.loc.clone()));
            }
        }
        "skip_check_adv_addr" => {
            if let Some(v) = opt_bool(n, diags) {
                if !v {
                    if let Some(w) = n.args.first() {
                        diags.warn(
                            &w.loc,
                            format!(
                                "'skip_check_adv_addr {}' turns the option ON: keepalived enables it for any valid value (a long-standing bug), and keepalived-rs does the same for compatibility; remove the keyword to leave it off",
                                w.text
                            ),
                        );
                    }
                }
                b.skip_check_adv_addr = true;
            }
        }
        "strict_mode" => {
            if let Some(v) = opt_bool(n, diags) {
                b.strict_mode = Some(v);
            }
        }
        "accept" => {
            flag(n, diags);
            b.accept = Some((true, n.kw.loc.clone()));
        }
        "no_accept" => {
            flag(n, diags);
            b.accept = Some((false, n.kw.loc.clone()));
        }
        "promote_secondaries" => {
            flag(n, diags);
            b.promote_secondaries = true;
        }
        "track_interface" | "track_script" | "track_file" | "track_process" | "track_bfd" => {
            if let Some(kind) = crate::track::kind_of(kw) {
                b.track
                    .extend(crate::track::parse_track_block(kind, n, diags));
            }
        }
        "notify_master"
        | "notify_backup"
        | "notify_fault"
        | "notify_stop"
        | "notify"
        | "notify_master_rx_lower_pri" => {
            no_block(n, diags);
            let s = crate::script::parse_script(n, diags);
            let slot = match kw {
                "notify_master" => &mut b.notify.master,
                "notify_backup" => &mut b.notify.backup,
                "notify_fault" => &mut b.notify.fault,
                "notify_stop" => &mut b.notify.stop,
                "notify" => &mut b.notify.notify,
                _ => &mut b.notify.master_rx_lower_pri,
            };
            if s.is_some() {
                *slot = s;
            }
        }
        "notify_deleted" => {
            no_block(n, diags);
            b.notify.deleted = true;
            if !n.args.is_empty() {
                b.notify.deleted_script = crate::script::parse_script(n, diags);
            }
        }
        "notify_priority_changes" => {
            if let Some(v) = opt_bool(n, diags) {
                b.notify_priority_changes = Some(v);
            }
        }
        "smtp_alert" => {
            if let Some(v) = opt_bool(n, diags) {
                b.smtp_alert = Some(v);
            }
        }
        "kernel_rx_buf_size" => {
            let Some(w) = arg(b, n, diags) else { return };
            b.kernel_rx_buf_size = uint(w, kw, 0, u64::from(u32::MAX), diags);
        }
        "debug" => {
            no_block(n, diags);
            b.debug = match n.args.first() {
                None => Some(0),
                Some(w) => uint(w, kw, 0, 4, diags).map(|v| v as u8),
            };
        }
        "native_ipv6" => {
            flag(n, diags);
            deprecated(
                n,
                "remove it: the address family comes from the virtual addresses",
                diags,
            );
        }
        "linkbeat_use_polling" => {
            no_block(n, diags);
            deprecated(
                n,
                "use 'linkbeat_use_polling' at the top level (or 'linkbeat_interfaces') instead",
                diags,
            );
        }
        "lvs_sync_daemon_interface" => {
            no_block(n, diags);
            deprecated(
                n,
                "use 'lvs_sync_daemon' in global_defs instead (LVS is not part of keepalived-rs)",
                diags,
            );
        }
        _ => crate::semantic::unknown_in(n, KEYWORDS, diags),
    }
}

/// keepalived: "Block X has extra parameters".
fn block_extra_params(n: &Node, diags: &mut Diags) {
    if let Some(w) = n.args.first() {
        diags.warn(
            &w.loc,
            format!(
                "'{}' block has extra parameters ('{}') - ignored",
                n.kw.text, w.text
            ),
        );
    }
}

fn family_name(a: &IpAddr) -> &'static str {
    if a.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

/// A VIP must have the instance's family (that of the first VIP), and is
/// added once.
fn push_vip(b: &mut Builder, vip: VirtualIp, diags: &mut Diags) {
    if let Some(fam) = b.vips.first().map(|v| family_name(&v.addr)) {
        if fam != family_name(&vip.addr) {
            diags.error(
                &vip.location,
                format!(
                    "virtual_ipaddress '{}' is {} but vrrp_instance '{}' is {fam} - ignored",
                    vip.addr,
                    family_name(&vip.addr),
                    b.name
                ),
            );
            return;
        }
    }
    address::push_unique(&mut b.vips, vip, AddrBlock::Vip, diags);
}

/// One `unicast_peer` line: `IP [min_ttl N] [max_ttl N]`.
fn peer_entry(b: &mut Builder, e: &Node, diags: &mut Diags) {
    no_block(e, diags);
    let Some(addr) = ip_arg(&e.kw, "unicast_peer", diags) else {
        return;
    };
    let mut peer = UnicastPeer {
        addr,
        min_ttl: None,
        max_ttl: None,
        location: e.kw.loc.clone(),
    };
    let mut i = 0;
    while i < e.args.len() {
        let w = &e.args[i];
        match w.text.as_str() {
            "min_ttl" | "max_ttl" => {
                match e.args.get(i + 1) {
                    Some(v) => {
                        if let Some(t) = uint(v, &w.text, 0, 255, diags) {
                            if w.text == "min_ttl" {
                                peer.min_ttl = Some(t as u8);
                            } else {
                                peer.max_ttl = Some(t as u8);
                            }
                        }
                    }
                    None => diags.error(
                        &w.loc,
                        format!(
                            "missing value for '{}' in unicast_peer '{}'",
                            w.text, e.kw.text
                        ),
                    ),
                }
                i += 2;
            }
            other => {
                let hint = crate::suggest::did_you_mean(other, &["min_ttl", "max_ttl"])
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                diags.error(
                    &w.loc,
                    format!(
                        "unknown unicast_peer option '{other}' for '{}' - ignored{hint}",
                        e.kw.text
                    ),
                );
                i += 1;
            }
        }
    }
    if let (Some(lo), Some(hi)) = (peer.min_ttl, peer.max_ttl) {
        if lo > hi {
            diags.error(
                &e.kw.loc,
                format!(
                    "unicast_peer '{}' has min_ttl {lo} above max_ttl {hi} - peer ignored",
                    e.kw.text
                ),
            );
            return;
        }
    }
    if let Some(prev) = b.peers.iter().find(|p| p.addr == addr) {
        diags.error(
            &e.kw.loc,
            format!(
                "duplicate unicast_peer '{}' (first at {}) - ignored",
                e.kw.text, prev.location
            ),
        );
        return;
    }
    b.peers.push(peer);
}

/// `aa:bb:cc:dd:ee[:ff]` → 5 or 6 octets.
fn parse_mac(t: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = t.split(':').collect();
    if !(5..=6).contains(&parts.len()) {
        return None;
    }
    parts
        .iter()
        .map(|p| {
            if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
                None
            } else {
                u8::from_str_radix(p, 16).ok()
            }
        })
        .collect()
}

/// `use_vmac [[name] IFNAME] [MAC] [netlink_notify_msg] [group G]`.
fn use_vmac(b: &mut Builder, n: &Node, diags: &mut Diags) {
    no_block(n, diags);
    let mut v = Vmac::default();
    let mut i = 0;
    let args = &n.args;
    while i < args.len() {
        let w = &args[i];
        i += 1;
        match w.text.as_str() {
            "netlink_notify_msg" => v.netlink_notify_msg = true,
            "group" | "name" => {
                let Some(x) = args.get(i) else {
                    diags.error(&w.loc, format!("missing value for '{}' in use_vmac", w.text));
                    break;
                };
                i += 1;
                if w.text == "group" {
                    v.group = uint(x, "use_vmac group", 0, u64::from(u32::MAX), diags)
                        .map(|g| g as u32);
                } else {
                    v.name = address::ifname_value(x, "use_vmac name", diags);
                }
            }
            t if t.contains(':') && t.len() > 8 => match parse_mac(t) {
                Some(m) if m[0] & 1 == 1 => diags.error(
                    &w.loc,
                    format!("use_vmac MAC '{t}' is a multicast address - ignored"),
                ),
                Some(m) if m[..5] == [0, 0, 0x5e, 0, 1] || m[..5] == [0, 0, 0x5e, 0, 2] => {
                    diags.error(
                        &w.loc,
                        format!(
                            "use_vmac MAC '{t}' is in the VRRP virtual MAC range (00:00:5e:00:01/02:XX, used by default) - ignored"
                        ),
                    )
                }
                Some(m) if m.len() == 5 => {
                    b.vmac_mac5 = Some([m[0], m[1], m[2], m[3], m[4]]);
                }
                Some(m) => v.mac = Some([m[0], m[1], m[2], m[3], m[4], m[5]]),
                None => diags.error(
                    &w.loc,
                    format!("invalid use_vmac MAC '{t}' (5 or 6 hex octets separated by ':') - ignored"),
                ),
            },
            _ if v.name.is_none() => {
                v.name = address::ifname_value(w, "use_vmac interface name", diags);
            }
            t => diags.error(
                &w.loc,
                format!("unknown use_vmac option '{t}' - ignored"),
            ),
        }
    }
    b.use_vmac = Some((v, n.kw.loc.clone()));
}

/// `use_ipvlan [[name] IF] [IP[/P]] [bridge|private|vepa] [group G]`.
fn use_ipvlan(b: &mut Builder, n: &Node, diags: &mut Diags) {
    no_block(n, diags);
    let mut v = Ipvlan::default();
    let mut i = 0;
    let args = &n.args;
    while i < args.len() {
        let w = &args[i];
        i += 1;
        match w.text.as_str() {
            "bridge" => v.mode = IpvlanMode::Bridge,
            "private" => v.mode = IpvlanMode::Private,
            "vepa" => v.mode = IpvlanMode::Vepa,
            "group" | "name" => {
                let Some(x) = args.get(i) else {
                    diags.error(
                        &w.loc,
                        format!("missing value for '{}' in use_ipvlan", w.text),
                    );
                    break;
                };
                i += 1;
                if w.text == "group" {
                    v.group = uint(x, "use_ipvlan group", 0, u64::from(u32::MAX), diags)
                        .map(|g| g as u32);
                } else {
                    v.name = address::ifname_value(x, "use_ipvlan name", diags);
                }
            }
            t => match address::parse_prefix(t) {
                Ok((a, l)) => v.addr = Some((a, l.unwrap_or(address::max_len(&a)))),
                Err(_) if v.name.is_none() => {
                    v.name = address::ifname_value(w, "use_ipvlan interface name", diags);
                }
                Err(e) => address::prefix_error(w, "use_ipvlan address", &e, diags),
            },
        }
    }
    b.use_ipvlan = Some(v);
}

/// `auth_hmac { key ID SECRET; active_key ID; anti_replay …; time_window N;
/// mode … }` (keepalived 2.4.0+).
fn auth_hmac(n: &Node, diags: &mut Diags) -> Option<AuthHmac> {
    let block = require_block(n, diags)?;
    let mut h = AuthHmac::default();
    const KWS: &[&str] = &["key", "active_key", "anti_replay", "time_window", "mode"];
    for c in &block.nodes {
        let kw = c.kw.text.as_str();
        if kw.is_empty() {
            continue;
        }
        if !KWS.contains(&kw) {
            crate::semantic::unknown_in(c, KWS, diags);
            continue;
        }
        let Some(w) = need_arg(c, diags) else {
            continue;
        };
        match kw {
            "key" => {
                let Some(id) = uint(w, "auth_hmac key id", 1, 255, diags) else {
                    continue;
                };
                let Some(secret) = c.args.get(1) else {
                    diags.error(
                        &w.loc,
                        format!("auth_hmac key {id} has no secret - ignored"),
                    );
                    continue;
                };
                let t = secret.text.as_str();
                let key = if let Some(path) = t.strip_prefix("file:") {
                    HmacKeySource::File(path.into())
                } else {
                    let bytes = match t.strip_prefix("hex:") {
                        Some(hex) => {
                            if hex.len() % 2 == 1 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                                diags.error(
                                    &secret.loc,
                                    format!("auth_hmac key {id}: invalid hex '{hex}' - ignored"),
                                );
                                continue;
                            }
                            (0..hex.len())
                                .step_by(2)
                                .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                                .collect()
                        }
                        None => t.as_bytes().to_vec(),
                    };
                    if !(32..=64).contains(&bytes.len()) {
                        diags.error(
                            &secret.loc,
                            format!(
                                "auth_hmac key {id} is {} bytes (must be 32..64) - ignored",
                                bytes.len()
                            ),
                        );
                        continue;
                    }
                    HmacKeySource::Bytes(bytes)
                };
                if h.keys.iter().any(|k| k.id == id as u8) {
                    diags.error(&w.loc, format!("duplicate auth_hmac key id {id} - ignored"));
                    continue;
                }
                h.keys.push(HmacKey {
                    id: id as u8,
                    key,
                    location: c.kw.loc.clone(),
                });
            }
            "active_key" => {
                h.active_key = uint(w, "active_key", 1, 255, diags).map(|v| v as u8);
            }
            "anti_replay" => match w.text.as_str() {
                "time" => h.anti_replay = HmacAntiReplay::Time,
                "monotonic" => h.anti_replay = HmacAntiReplay::Monotonic,
                t => diags.error(
                    &w.loc,
                    format!("invalid anti_replay '{t}' (must be time|monotonic)"),
                ),
            },
            "time_window" => {
                h.time_window_s = uint(w, "time_window", 1, 300, diags).map(|v| v as u16);
            }
            _ => match w.text.as_str() {
                "enforce" => h.mode = HmacMode::Enforce,
                "permissive" => h.mode = HmacMode::Permissive,
                "receive-only" => h.mode = HmacMode::ReceiveOnly,
                t => diags.error(
                    &w.loc,
                    format!("invalid mode '{t}' (must be enforce|permissive|receive-only)"),
                ),
            },
        }
    }
    if let Some(a) = h.active_key {
        if !h.keys.iter().any(|k| k.id == a) {
            diags.error(
                &n.kw.loc,
                format!("auth_hmac active_key {a} is not one of the configured keys - auth_hmac ignored"),
            );
            return None;
        }
    } else if let Some(k) = h.keys.first() {
        h.active_key = Some(k.id);
    }
    if h.keys.is_empty() {
        diags.error(&n.kw.loc, "auth_hmac has no valid key - ignored");
        return None;
    }
    Some(h)
}

/// Applies defaults and normalisation (keepalived's `vrrp_complete_instance`)
/// to each instance as soon as it is parsed, plus the duplicate-VRID check.
///
/// keepalived completes instances after the whole file is read, with the
/// final `global_defs` values; the caller gets those from a first pass over
/// the `global_defs` blocks, so completing early gives the same result while
/// only one instance's builder is alive at a time (a 10,000-instance
/// configuration would otherwise hold 10,000 builders at the peak).
pub(crate) struct Completer {
    global: GlobalDefs,
    defaults: CompleteDefaults,
    /// (VRID, interface, family) -> index in the output: duplicate check in O(1).
    seen: std::collections::HashMap<(u8, Option<String>, &'static str), usize>,
}

impl Completer {
    /// `global` must be the final global_defs (after every block in the file).
    pub(crate) fn new(global: GlobalDefs) -> Self {
        Completer {
            defaults: complete_defaults(&global),
            global,
            seen: std::collections::HashMap::new(),
        }
    }

    /// Completes `b` and appends it to `out` unless it has a fatal problem.
    pub(crate) fn add(&mut self, b: Builder, out: &mut Vec<VrrpInstance>, diags: &mut Diags) {
        let Some(inst) = complete(b, &self.defaults, &self.global, diags) else {
            return;
        };
        let fam = inst
            .virtual_ipaddress
            .first()
            .map(|v| family_name(&v.addr))
            .unwrap_or_else(|| inst.unicast_src_ip.as_ref().map_or("IPv4", family_name));
        let key = (inst.virtual_router_id, inst.interface.clone(), fam);
        if let Some(o) = self.seen.get(&key).and_then(|i| out.get(*i)) {
            diags.fatal(
                &inst.location,
                format!(
                    "duplicate virtual_router_id {} on interface {} ({fam}): vrrp_instance '{}' conflicts with '{}' at {}",
                    inst.virtual_router_id,
                    inst.interface.as_deref().unwrap_or("(none)"),
                    inst.name,
                    o.name,
                    o.location
                ),
            );
            return;
        }
        self.seen.insert(key, out.len());
        out.push(inst);
    }
}

fn complete(
    b: Builder,
    g: &CompleteDefaults,
    global: &GlobalDefs,
    diags: &mut Diags,
) -> Option<VrrpInstance> {
    let name = b.name.clone();
    let name = name.as_str();
    let mut ok = !b.failed;
    let Some((vrid, _)) = b.vrid.clone() else {
        diags.fatal(
            &b.loc,
            format!("vrrp_instance '{name}' has no virtual_router_id"),
        );
        return None;
    };
    let strict = b.strict_mode.unwrap_or(g.strict);
    let unicast = !b.peers.is_empty();
    // vrf: only for unicast instances without an interface.
    let mut vrf = b.vrf.clone();
    if let Some((v, l)) = &vrf {
        if b.interface.is_some() || !unicast {
            diags.error(
                l,
                format!("vrf '{v}' of vrrp_instance '{name}' is only valid for a unicast instance without 'interface' - ignored"),
            );
            vrf = None;
        }
    }
    // A bad or missing `interface` value was already reported as fatal.
    if b.interface.is_none() && b.unicast_src.is_none() && !b.failed {
        let msg = if b.peers.is_empty() {
            format!(
                "vrrp_instance '{name}' has no interface (required unless unicast_src_ip is set)"
            )
        } else {
            format!("unicast vrrp_instance '{name}' has neither an interface nor a unicast_src_ip")
        };
        diags.fatal(&b.loc, msg);
        ok = false;
    }
    let is_v6 = b.vips.first().map(|v| v.addr.is_ipv6()).unwrap_or_else(|| {
        b.unicast_src
            .as_ref()
            .or(b.mcast_src.as_ref())
            .map(|(a, _)| a.is_ipv6())
            .or_else(|| b.peers.first().map(|p| p.addr.is_ipv6()))
            .unwrap_or(false)
    });
    let version = match b.version {
        Some(2) if is_v6 && strict => {
            diags.error(
                &b.loc,
                format!(
                    "vrrp_instance '{name}': IPv6 requires VRRPv3 in strict mode; using version 3"
                ),
            );
            3
        }
        Some(2) if is_v6 => {
            diags.warn(
                &b.loc,
                format!(
                    "vrrp_instance '{name}' uses VRRPv2 over IPv6 (non-standard, as configured)"
                ),
            );
            2
        }
        Some(v) => v,
        None if is_v6 => 3,
        None => global.vrrp_version,
    };
    // State and priority (§2.3, §10.11).
    let priority = b
        .priority
        .unwrap_or(if b.state == Some(InitialState::Master) {
            255
        } else {
            100
        });
    let mut state = b.state.unwrap_or(if priority == 255 {
        InitialState::Master
    } else {
        InitialState::Backup
    });
    let owner = priority == 255;
    if strict {
        let want = if owner {
            InitialState::Master
        } else {
            InitialState::Backup
        };
        if state != want {
            diags.error(
                &b.loc,
                format!(
                    "vrrp_instance '{name}': strict mode requires state {} for priority {priority}; changed",
                    if owner { "MASTER" } else { "BACKUP" }
                ),
            );
            state = want;
        }
    }
    // keepalived: an AH-authenticated instance may not start as MASTER.
    if let Some((spec, _)) = &b.auth {
        if let Some(ty) = spec.ty.as_ref().filter(|t| t.text == "AH") {
            if state == InitialState::Master && version == 2 && !is_v6 && !strict {
                diags.error(
                    &ty.loc,
                    format!("vrrp_instance '{name}': initial state MASTER is incompatible with auth_type AH; using BACKUP"),
                );
                state = InitialState::Backup;
            }
        }
    }
    let mut nopreempt = b.nopreempt.is_some();
    if let Some(l) = &b.nopreempt {
        if owner || state == InitialState::Master {
            diags.warn(
                l,
                format!(
                    "nopreempt ignored for vrrp_instance '{name}' (state MASTER or priority 255)"
                ),
            );
            nopreempt = false;
        }
    }
    let mut preempt_delay_us = 0;
    if let Some((v, l)) = &b.preempt_delay {
        if *v > 0 && strict {
            diags.error(
                l,
                format!("preempt_delay is not allowed in strict mode; cleared for vrrp_instance '{name}'"),
            );
        } else if *v > 0 && (state == InitialState::Master || nopreempt) {
            diags.warn(
                l,
                format!(
                    "preempt_delay ignored for vrrp_instance '{name}' (state MASTER or nopreempt)"
                ),
            );
        } else {
            preempt_delay_us = *v;
        }
    }
    // Advert interval normalisation (§3.3).
    let (configured, adv_loc) = b.advert_us.clone().unwrap_or((1_000_000, b.loc.clone()));
    let advert_int_us = if version == 2 {
        let s = ((configured + 500_000) / 1_000_000).clamp(1, 255);
        s * 1_000_000
    } else {
        let cs = ((configured + 5_000) / 10_000).clamp(1, 4095);
        cs * 10_000
    };
    if advert_int_us != configured {
        diags.error(
            &adv_loc,
            format!(
                "advert_int '{}' of vrrp_instance '{name}' is not valid for VRRPv{version} ({}); using {}",
                format_us(configured),
                if version == 2 { "whole seconds 1..255" } else { "multiples of 0.01 s, 0.01..40.95" },
                format_us(advert_int_us)
            ),
        );
    }
    // Addresses.
    let mut no_vip = b.no_virtual_ipaddress.is_some();
    if let (true, Some(l)) = (strict, &b.no_virtual_ipaddress) {
        diags.error(
            l,
            format!("no_virtual_ipaddress is not allowed in strict mode; cleared for vrrp_instance '{name}'"),
        );
        no_vip = false;
    }
    let mut vips = b.vips;
    let mut excluded = b.excluded;
    if vips.is_empty() {
        if (version == 3 || strict) && !no_vip {
            diags.fatal(
                &b.loc,
                format!(
                    "{} vrrp_instance '{name}' has no virtual_ipaddress (at least one is required)",
                    if strict { "strict mode" } else { "VRRPv3" }
                ),
            );
            ok = false;
        } else if !no_vip {
            diags.warn(
                &b.loc,
                format!(
                    "vrrp_instance '{name}' has no virtual_ipaddress; at least one is sensible"
                ),
            );
        }
    } else if let Some(l) = &b.no_virtual_ipaddress {
        diags.warn(
            l,
            format!("no_virtual_ipaddress in vrrp_instance '{name}' that has virtual addresses - no effect"),
        );
    }
    // An advert carries at most 255 addresses; keepalived moves the rest
    // to the excluded list.
    if vips.len() > 255 {
        let extra = vips.split_off(255);
        if let Some(f) = extra.first() {
            diags.warn(
                &f.location,
                format!(
                    "vrrp_instance '{name}' has {} virtual addresses, more than fit in an advert (255); the rest are treated as virtual_ipaddress_excluded",
                    255 + extra.len()
                ),
            );
        }
        excluded.extend(extra);
    }
    if let (true, Some(f)) = (is_v6, vips.first()) {
        if let IpAddr::V6(a) = f.addr {
            if a.segments()[0] & 0xffc0 != 0xfe80 {
                let msg = format!(
                    "first IPv6 virtual_ipaddress '{a}' of vrrp_instance '{name}' is not link-local (RFC 5798 expects one)"
                );
                if strict {
                    diags.error(&f.location, msg);
                } else {
                    diags.warn(&f.location, msg);
                }
            }
        }
    }
    let fam_ok = |a: &IpAddr| a.is_ipv6() == is_v6;
    let unicast_src_configured = b.unicast_src.is_some();
    let unicast_src_ip = match b.unicast_src {
        Some((a, l)) if !fam_ok(&a) => {
            diags.error(
                &l,
                format!(
                    "unicast_src_ip '{a}' family does not match vrrp_instance '{name}' - ignored"
                ),
            );
            None
        }
        other => other.map(|(a, _)| a),
    };
    let mcast_src_ip = match b.mcast_src {
        Some((a, l)) if !fam_ok(&a) => {
            diags.error(
                &l,
                format!(
                    "mcast_src_ip '{a}' family does not match vrrp_instance '{name}' - ignored"
                ),
            );
            None
        }
        other => other.map(|(a, _)| a),
    };
    let mut peers = Vec::new();
    for p in b.peers {
        if !fam_ok(&p.addr) {
            diags.error(
                &p.location,
                format!(
                    "unicast_peer '{}' family does not match vrrp_instance '{name}' - ignored",
                    p.addr
                ),
            );
        } else {
            peers.push(p);
        }
    }
    let unicast = !peers.is_empty();
    if unicast && strict {
        diags.fatal(
            &b.loc,
            format!("vrrp_instance '{name}': unicast peers are not allowed in strict mode"),
        );
        ok = false;
    }
    let mut mcast_dst_ip = None;
    if let Some((a, l)) = b.mcast_dst {
        if !fam_ok(&a) {
            diags.error(
                &l,
                format!(
                    "mcast_dst_ip '{a}' family does not match vrrp_instance '{name}' - ignored"
                ),
            );
        } else if unicast {
            diags.warn(
                &l,
                format!("mcast_dst_ip ignored: vrrp_instance '{name}' uses unicast"),
            );
        } else {
            mcast_dst_ip = Some(a);
        }
    }
    let mut track_src_ip = b.track_src_ip.is_some();
    if let Some(l) = &b.track_src_ip {
        if unicast_src_ip.is_none() && mcast_src_ip.is_none() {
            diags.warn(
                l,
                format!(
                    "track_src_ip ignored: vrrp_instance '{name}' has no configured source address"
                ),
            );
            track_src_ip = false;
        }
    }
    // Unicast-only settings without peers (§3.11).
    let unicast_fault_no_peer = b.unicast_fault_no_peer.is_some();
    let unicast_configured = unicast_src_configured
        || b.check_unicast_src.is_some()
        || b.old_unicast_checksum.is_some()
        || unicast_fault_no_peer;
    if !unicast && unicast_configured && !unicast_fault_no_peer {
        diags.error(
            &b.loc,
            format!("vrrp_instance '{name}' has unicast settings but no unicast_peer; falling back to multicast (this fallback is deprecated: add peers or 'unicast_fault_no_peer')"),
        );
    }
    let mut unicast_ttl = b.unicast_ttl.as_ref().map(|(t, _)| *t);
    if let (false, Some((_, l))) = (unicast, &b.unicast_ttl) {
        // keepalived resets it to 0 here, which then sends multicast adverts
        // with TTL 0 (§3.11); we drop it instead so 255 applies.
        diags.warn(
            l,
            format!("unicast_ttl ignored: vrrp_instance '{name}' has no unicast_peer"),
        );
        unicast_ttl = None;
    }
    let ttl_limits = peers
        .iter()
        .any(|p| p.min_ttl.is_some() || p.max_ttl.is_some());
    let check_unicast_src = b.check_unicast_src.is_some() || g.check_unicast_src || ttl_limits;
    let old_unicast_checksum = b
        .old_unicast_checksum
        .as_ref()
        .map_or(OldUnicastChecksum::Auto, |(v, _)| *v);
    if let Some((_, l)) = &b.old_unicast_checksum {
        if version != 3 || is_v6 {
            diags.warn(
                l,
                format!("old_unicast_checksum only applies to VRRPv3 over IPv4; no effect for vrrp_instance '{name}'"),
            );
        }
    }
    // VMAC.
    let use_vmac = b.use_vmac.map(|(mut v, l)| {
        if let Some(m) = b.vmac_mac5 {
            v.mac = Some([m[0], m[1], m[2], m[3], m[4], vrid]);
        }
        if strict && v.mac.is_some() {
            diags.error(
                &l,
                format!("a configured use_vmac MAC is not allowed in strict mode; cleared for vrrp_instance '{name}'"),
            );
            v.mac = None;
        }
        v
    });
    let mut vmac_xmit_base = b.vmac_xmit_base.is_some();
    if strict {
        if let Some((_, l)) = &b.vmac_xmit_base {
            diags.error(
                l,
                format!("vmac_xmit_base is not allowed in strict mode; cleared for vrrp_instance '{name}'"),
            );
        }
        vmac_xmit_base = false;
    } else if unicast && use_vmac.is_some() {
        // Unicast adverts must leave from the base interface.
        vmac_xmit_base = true;
    }
    if use_vmac.is_some() && b.use_ipvlan.is_some() {
        diags.error(
            &b.loc,
            format!("vrrp_instance '{name}' has both use_vmac and use_ipvlan; use_ipvlan ignored"),
        );
    }
    let use_ipvlan = if use_vmac.is_some() {
        None
    } else {
        b.use_ipvlan
    };
    // Lower-priority GARPs, advert behaviour (§3.9).
    let strict_zero = |v: Option<(u32, Location)>, kw: &str, diags: &mut Diags| -> Option<u32> {
        match v {
            Some((x, l)) if strict && x != 0 => {
                diags.error(
                    &l,
                    format!("{kw} must be 0 in strict mode; set to 0 for vrrp_instance '{name}'"),
                );
                Some(0)
            }
            Some((x, _)) => Some(x),
            None if strict => Some(0),
            None => None,
        }
    };
    let garp_lower_prio_delay_s =
        strict_zero(b.garp_lower_prio_delay, "garp_lower_prio_delay", diags)
            .or(g.garp_lower_prio_delay_s)
            .unwrap_or(b.garp_delay_s);
    let garp_lower_prio_repeat =
        strict_zero(b.garp_lower_prio_repeat, "garp_lower_prio_repeat", diags)
            .or(g.garp_lower_prio_repeat)
            .unwrap_or(b.garp_repeat);
    let forced = |v: Flag, global: bool, want: bool, kw: &str, diags: &mut Diags| -> bool {
        match v {
            Some((x, l)) if strict && x != want => {
                diags.error(
                    &l,
                    format!("{kw} must be {want} in strict mode; set to {want} for vrrp_instance '{name}'"),
                );
                want
            }
            Some((x, _)) => x,
            None if strict => want,
            None => global,
        }
    };
    let lower_prio_no_advert = forced(
        b.lower_prio_no_advert,
        g.lower_prio_no_advert,
        true,
        "lower_prio_no_advert",
        diags,
    );
    let higher_prio_send_advert = forced(
        b.higher_prio_send_advert,
        g.higher_prio_send_advert,
        false,
        "higher_prio_send_advert",
        diags,
    );
    let owner_ignore_adverts = if owner {
        forced(
            b.owner_ignore_adverts,
            g.owner_ignore_adverts,
            true,
            "owner_ignore_adverts",
            diags,
        )
    } else {
        if let Some((true, l)) = &b.owner_ignore_adverts {
            diags.warn(
                l,
                format!("owner_ignore_adverts only applies to priority 255; ignored for vrrp_instance '{name}'"),
            );
        }
        false
    };
    let mut down_timer_adverts = b.down_timer_adverts;
    if strict && down_timer_adverts != 3 {
        if let Some(l) = &b.down_timer_loc {
            diags.error(
                l,
                format!("down_timer_adverts must be 3 in strict mode; set to 3 for vrrp_instance '{name}'"),
            );
        }
        down_timer_adverts = 3;
    }
    let mut timer_expired_backup = b.timer_expired_backup.as_ref().map(|(v, _)| *v);
    if let (Some((_, l)), false) = (&b.timer_expired_backup, nopreempt) {
        diags.warn(
            l,
            format!("timer_expired_backup needs nopreempt; ignored for vrrp_instance '{name}'"),
        );
        timer_expired_backup = None;
    }
    // accept / no_accept (§3.10).
    let accept = match &b.accept {
        Some((true, l)) if strict && version == 2 && !owner => {
            diags.error(
                l,
                format!("accept is not allowed in strict mode for a VRRPv2 non-owner; cleared for vrrp_instance '{name}'"),
            );
            false
        }
        Some((v, _)) => *v,
        None => !strict || owner,
    };
    // Authentication (VRRPv2 only) and auth_hmac.
    let authentication = match b.auth {
        None => None,
        Some((_, l)) if strict => {
            diags.error(
                &l,
                format!("authentication is not allowed in strict mode; removed from vrrp_instance '{name}'"),
            );
            None
        }
        Some((spec, l)) => auth(spec, &l, name, version, is_v6, diags),
    };
    let auth_hmac = match b.auth_hmac {
        Some((_, l)) if authentication.is_some() => {
            diags.error(
                &l,
                format!("auth_hmac and authentication are mutually exclusive; auth_hmac ignored for vrrp_instance '{name}'"),
            );
            None
        }
        Some((mut h, l)) => {
            if strict && h.mode != crate::model::HmacMode::Enforce {
                diags.error(
                    &l,
                    format!("auth_hmac mode must be enforce in strict mode; changed for vrrp_instance '{name}'"),
                );
                h.mode = crate::model::HmacMode::Enforce;
            }
            Some(h)
        }
        None => None,
    };
    if !ok {
        return None;
    }
    let unicast_peers = peers.iter().map(|p| p.addr).collect();
    // Exact capacities: a big configuration holds many instances, and a Vec
    // grown by push keeps room for four VIPs where most have one.
    vips.shrink_to_fit();
    let mut track = b.track;
    track.shrink_to_fit();
    Some(VrrpInstance {
        name: b.name,
        state,
        interface_location: b.interface.as_ref().map(|(_, l)| l.clone()),
        interface: b.interface.map(|(i, _)| i),
        virtual_router_id: vrid,
        priority,
        advert_int_us,
        version,
        nopreempt,
        preempt_delay_us,
        virtual_ipaddress: vips,
        authentication,
        unicast_src_ip,
        unicast_peers,
        garp_master_delay_s: b.garp_delay_s,
        garp_master_repeat: b.garp_repeat,
        track,
        opts: Box::new(InstanceOpts {
            dont_track_primary: b.dont_track_primary,
            mcast_src_ip,
            track_src_ip,
            mcast_dst_ip,
            unicast_peer: peers,
            unicast_fault_no_peer,
            check_unicast_src,
            unicast_ttl,
            old_unicast_checksum,
            v3_checksum_as_v2: b.v3_checksum_as_v2,
            use_vmac,
            use_vmac_addr: b.use_vmac_addr,
            vmac_xmit_base,
            use_ipvlan,
            vrf: vrf.map(|(v, _)| v),
            garp_master_refresh_s: b.garp_refresh_s,
            garp_master_refresh_repeat: b.garp_refresh_repeat,
            garp_lower_prio_delay_s,
            garp_lower_prio_repeat,
            garp_extra_if: b.garp_extra_if.or(g.garp_extra_if),
            down_timer_adverts,
            lower_prio_no_advert,
            higher_prio_send_advert,
            owner_ignore_adverts,
            timer_expired_backup,
            skip_check_adv_addr: b.skip_check_adv_addr,
            strict_mode: strict,
            accept,
            promote_secondaries: b.promote_secondaries,
            no_virtual_ipaddress: no_vip,
            virtual_ipaddress_excluded: excluded,
            virtual_routes: b.routes,
            virtual_rules: b.rules,
            auth_hmac,
            notify: b.notify,
            notify_priority_changes: b.notify_priority_changes,
            smtp_alert: b.smtp_alert,
            kernel_rx_buf_size: b.kernel_rx_buf_size,
            debug: b.debug,
        }),
        location: b.loc,
    })
}

fn auth(
    spec: AuthSpec,
    l: &Location,
    name: &str,
    version: u8,
    is_v6: bool,
    diags: &mut Diags,
) -> Option<Authentication> {
    if version == 3 {
        diags.error(
            l,
            format!("authentication is not used with VRRPv3; removed from vrrp_instance '{name}'"),
        );
        return None;
    }
    let Some(ty) = spec.ty else {
        diags.warn(
            l,
            format!("authentication without auth_type in vrrp_instance '{name}' - ignored"),
        );
        return None;
    };
    let ah = ty.text == "AH";
    if ah && is_v6 {
        diags.warn(
            &ty.loc,
            format!("auth_type AH is not available with IPv6; authentication removed from vrrp_instance '{name}'"),
        );
        return None;
    }
    let Some(pass) = spec.pass else {
        diags.warn(
            l,
            format!(
                "auth_type {} without auth_pass in vrrp_instance '{name}' - authentication removed",
                ty.text
            ),
        );
        return None;
    };
    let bytes = pass.text.as_bytes();
    if bytes.len() > 8 {
        diags.warn(
            &pass.loc,
            format!(
                "auth_pass '{}' is longer than 8 bytes; truncated",
                pass.text
            ),
        );
    }
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(bytes) {
        *k = *b;
    }
    if ah {
        Some(Authentication::Ah(key))
    } else {
        Some(Authentication::Pass(key))
    }
}
