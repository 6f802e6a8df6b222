//! `vrrp_instance NAME { }` (reference §2.3, §2.8, §3.3) and the
//! cross-instance checks that make keepalived's VRRP process exit (§1.8).

use crate::decimal::format_us;
use crate::diag::Diags;
use crate::global::garp_repeat;
use crate::model::{Authentication, GlobalDefs, InitialState, Location, VirtualIp, VrrpInstance};
use crate::semantic::{
    need_arg, no_block, not_supported, opt_bool, require_block, seconds, uint, uint_or, unknown,
};
use crate::tree::{Node, Word};
use std::net::IpAddr;

/// Instance keywords that change nothing in keepalived-rs (no effect in
/// keepalived either, the default, or deprecated); accepted silently.
const SILENT: &[&str] = &[
    "debug",
    "smtp_alert",
    "kernel_rx_buf_size",
    "accept",
    "native_ipv6",
    "linkbeat_use_polling",
    "lvs_sync_daemon_interface",
];

/// Instance keywords keepalived knows but keepalived-rs does not implement
/// yet: "not yet supported" warning (once per keyword), never "unknown".
const UNSUPPORTED: &[&str] = &[
    "no_accept",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "promote_secondaries",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "dont_track_primary",
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
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "garp_extra_if",
    "vmac_garp_intvl",
    "down_timer_adverts",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "owner_ignore_adverts",
    "timer_expired_backup",
    "thread_timer_expired",
    "skip_check_adv_addr",
    "strict_mode",
    "auth_hmac",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "notify_master_rx_lower_pri",
    "notify_deleted",
    "notify_priority_changes",
];

/// `virtual_ipaddress` entry options that take a value and are not modelled.
const VIP_VALUE_OPTS: &[&str] = &[
    "brd",
    "broadcast",
    "scope",
    "peer",
    "preferred_lft",
    "track_group",
];
/// `virtual_ipaddress` entry flags that are not modelled.
const VIP_FLAG_OPTS: &[&str] = &[
    "home",
    "-nodad",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "no_track",
    "use_vmac",
];

/// `authentication { }` as written, judged once the version is known.
#[derive(Debug, Clone, Default)]
struct AuthSpec {
    ty: Option<Word>,
    pass: Option<Word>,
}

/// An instance as written, before defaults and normalisation.
#[derive(Debug, Clone)]
pub(crate) struct Builder {
    name: String,
    loc: Location,
    state: Option<InitialState>,
    interface: Option<String>,
    vrid: Option<(u8, Location)>,
    priority: Option<u8>,
    advert_us: Option<(u64, Location)>,
    version: Option<u8>,
    nopreempt: Option<Location>,
    preempt_delay: Option<(u64, Location)>,
    vips: Vec<VirtualIp>,
    no_virtual_ipaddress: bool,
    auth: Option<(AuthSpec, Location)>,
    unicast_src: Option<(IpAddr, Location)>,
    peers: Vec<(IpAddr, Location)>,
    garp_delay_s: u32,
    garp_repeat: u32,
    /// A fatal problem was reported; the instance is left out.
    failed: bool,
}

/// Parse one `vrrp_instance` node.  GARP defaults are copied from the global
/// values current *now*, as keepalived's `alloc_vrrp` does (§2.2).
pub(crate) fn parse(
    node: &Node,
    global: &GlobalDefs,
    earlier: &[Builder],
    diags: &mut Diags,
) -> Option<Builder> {
    let Some(name) = node.args.first() else {
        diags.fatal(
            &node.kw.loc,
            "missing parameter for 'vrrp_instance' (instance name)",
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
    if let Some(prev) = earlier.iter().find(|b| b.name == name.text) {
        diags.error(
            &name.loc,
            format!(
                "duplicate vrrp_instance '{}' (first defined at {}) - ignored",
                name.text, prev.loc
            ),
        );
        return None;
    }
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
        no_virtual_ipaddress: false,
        auth: None,
        unicast_src: None,
        peers: Vec::new(),
        garp_delay_s: global.garp_master_delay_s,
        garp_repeat: global.garp_master_repeat,
        failed: false,
    };
    for n in &block.nodes {
        keyword(&mut b, n, diags);
    }
    Some(b)
}

/// Like [`need_arg`], but a missing value also marks the instance failed.
fn arg<'a>(b: &mut Builder, n: &'a Node, diags: &mut Diags) -> Option<&'a Word> {
    let w = need_arg(n, diags);
    if w.is_none() {
        b.failed = true;
    }
    w
}

fn flag(n: &Node, diags: &mut Diags) {
    no_block(n, diags);
}

fn keyword(b: &mut Builder, n: &Node, diags: &mut Diags) {
    let kw = n.kw.text.as_str();
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
            if w.text.is_empty() || w.text.len() >= 16 || w.text.contains(['/', ' ']) {
                diags.fatal(
                    &w.loc,
                    format!(
                        "invalid interface '{}' (interface names are 1..15 characters)",
                        w.text
                    ),
                );
                b.failed = true;
            } else {
                b.interface = Some(w.text.clone());
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
            let Some(block) = require_block(n, diags) else {
                return;
            };
            block_extra_params(n, diags);
            for e in &block.nodes {
                vip_entry(b, e, diags);
            }
        }
        "no_virtual_ipaddress" => {
            flag(n, diags);
            b.no_virtual_ipaddress = true;
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
                    _ => unknown(c, diags),
                }
            }
            b.auth = Some((spec, n.kw.loc.clone()));
        }
        "unicast_src_ip" => {
            let Some(w) = arg(b, n, diags) else { return };
            match w.text.parse::<IpAddr>() {
                Ok(a) => b.unicast_src = Some((a, w.loc.clone())),
                Err(_) => diags.error(&w.loc, format!("invalid unicast_src_ip '{}'", w.text)),
            }
        }
        "unicast_peer" => {
            let Some(block) = require_block(n, diags) else {
                return;
            };
            block_extra_params(n, diags);
            for e in &block.nodes {
                peer_entry(b, e, diags);
            }
        }
        "garp_master_delay" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                b.garp_delay_s = v as u32;
            }
        }
        "garp_master_repeat" => {
            let Some(w) = arg(b, n, diags) else { return };
            if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                b.garp_repeat = garp_repeat(v as u32, w, kw, diags);
            }
        }
        "smtp_alert" => {
            let _ = opt_bool(n, diags);
        }
        _ if SILENT.contains(&kw) => {}
        _ if UNSUPPORTED.contains(&kw) => not_supported(n, diags),
        _ => unknown(n, diags),
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

/// One `virtual_ipaddress` line: `ADDR[/PREFIX] [dev IF] [label L] …` (§2.8).
fn vip_entry(b: &mut Builder, e: &Node, diags: &mut Diags) {
    no_block(e, diags);
    let first = &e.kw;
    let (addr_text, prefix_text) = match first.text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (first.text.as_str(), None),
    };
    let Ok(addr) = addr_text.parse::<IpAddr>() else {
        diags.error(
            &first.loc,
            format!("invalid virtual_ipaddress '{}' - ignored", first.text),
        );
        return;
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix_len = match prefix_text {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(v) if v <= max && p.bytes().all(|c| c.is_ascii_digit()) => v,
            _ => {
                diags.error(
                    &first.loc,
                    format!(
                        "invalid prefix length '{p}' in virtual_ipaddress '{}' (must be 0..{max}) - ignored",
                        first.text
                    ),
                );
                return;
            }
        },
    };
    let mut vip = VirtualIp {
        addr,
        prefix_len,
        dev: None,
        label: None,
        location: first.loc.clone(),
    };
    let mut i = 0;
    while i < e.args.len() {
        let w = &e.args[i];
        let opt = w.text.as_str();
        let takes_value = opt == "dev" || opt == "label" || VIP_VALUE_OPTS.contains(&opt);
        if takes_value {
            let Some(v) = e.args.get(i + 1) else {
                diags.error(
                    &w.loc,
                    format!(
                        "missing value for '{opt}' in virtual_ipaddress '{}'",
                        first.text
                    ),
                );
                break;
            };
            match opt {
                "dev" => vip.dev = Some(v.text.clone()),
                "label" if addr.is_ipv6() => diags.warn(
                    &w.loc,
                    format!(
                        "label '{}' ignored for IPv6 virtual_ipaddress '{}'",
                        v.text, first.text
                    ),
                ),
                "label" => vip.label = Some(v.text.clone()),
                _ => vip_opt_unsupported(opt, w, diags),
            }
            i += 2;
        } else if VIP_FLAG_OPTS.contains(&opt) {
            vip_opt_unsupported(opt, w, diags);
            i += 1;
        } else {
            diags.warn(
                &w.loc,
                format!(
                    "unknown virtual_ipaddress option '{opt}' for '{}' - ignored (address kept)",
                    first.text
                ),
            );
            i += 1;
        }
    }
    if let Some(fam) = b.vips.first().map(|v| family_name(&v.addr)) {
        if fam != family_name(&addr) {
            diags.error(
                &first.loc,
                format!(
                    "virtual_ipaddress '{}' is {} but vrrp_instance '{}' is {fam} - ignored",
                    first.text,
                    family_name(&addr),
                    b.name
                ),
            );
            return;
        }
    }
    if let Some(prev) = b
        .vips
        .iter()
        .find(|v| v.addr == vip.addr && v.dev == vip.dev)
    {
        diags.warn(
            &first.loc,
            format!(
                "duplicate virtual_ipaddress '{}' (first at {}) - ignored",
                first.text, prev.location
            ),
        );
        return;
    }
    b.vips.push(vip);
}

fn vip_opt_unsupported(opt: &str, w: &Word, diags: &mut Diags) {
    diags.warn_once(
        &format!("\0vip:{opt}"),
        &w.loc,
        format!(
            "virtual_ipaddress option '{opt}' is not yet supported by keepalived-rs and is ignored"
        ),
    );
}

/// One `unicast_peer` line: `IP [min_ttl N] [max_ttl N]`.
fn peer_entry(b: &mut Builder, e: &Node, diags: &mut Diags) {
    no_block(e, diags);
    let Ok(addr) = e.kw.text.parse::<IpAddr>() else {
        diags.error(
            &e.kw.loc,
            format!("invalid unicast_peer '{}' - ignored", e.kw.text),
        );
        return;
    };
    let mut i = 0;
    while i < e.args.len() {
        let w = &e.args[i];
        match w.text.as_str() {
            "min_ttl" | "max_ttl" => {
                match e.args.get(i + 1) {
                    Some(v) => {
                        let _ = uint(v, &w.text, 0, 255, diags);
                        diags.warn_once(
                            "\0peer-ttl",
                            &w.loc,
                            "unicast_peer min_ttl/max_ttl are not yet supported by keepalived-rs and are ignored",
                        );
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
                diags.warn(
                    &w.loc,
                    format!(
                        "unknown unicast_peer option '{other}' for '{}' - ignored",
                        e.kw.text
                    ),
                );
                i += 1;
            }
        }
    }
    if b.peers.iter().any(|(p, _)| *p == addr) {
        diags.warn(
            &e.kw.loc,
            format!("duplicate unicast_peer '{}' - ignored", e.kw.text),
        );
        return;
    }
    b.peers.push((addr, e.kw.loc.clone()));
}

/// Apply defaults and normalisation (keepalived's `vrrp_complete_instance`)
/// to every instance, then the cross-instance checks.
pub(crate) fn complete_all(
    builders: Vec<Builder>,
    global: &GlobalDefs,
    diags: &mut Diags,
) -> Vec<VrrpInstance> {
    let mut out: Vec<VrrpInstance> = Vec::new();
    for b in builders {
        let Some(inst) = complete(b, global, diags) else {
            continue;
        };
        let fam = inst
            .virtual_ipaddress
            .first()
            .map(|v| family_name(&v.addr))
            .unwrap_or_else(|| inst.unicast_src_ip.as_ref().map_or("IPv4", family_name));
        let clash = out.iter().find(|o| {
            o.virtual_router_id == inst.virtual_router_id
                && o.interface == inst.interface
                && o.virtual_ipaddress
                    .first()
                    .map(|v| family_name(&v.addr))
                    .unwrap_or_else(|| o.unicast_src_ip.as_ref().map_or("IPv4", family_name))
                    == fam
        });
        if let Some(o) = clash {
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
            continue;
        }
        out.push(inst);
    }
    out
}

fn complete(b: Builder, global: &GlobalDefs, diags: &mut Diags) -> Option<VrrpInstance> {
    let name = &b.name;
    let mut ok = !b.failed;
    let Some((vrid, _)) = b.vrid.clone() else {
        diags.fatal(
            &b.loc,
            format!("vrrp_instance '{name}' has no virtual_router_id"),
        );
        return None;
    };
    if b.interface.is_none() && b.unicast_src.is_none() {
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
            .map(|(a, _)| a.is_ipv6())
            .or_else(|| b.peers.first().map(|(a, _)| a.is_ipv6()))
            .unwrap_or(false)
    });
    let version = match b.version {
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
    let state = b.state.unwrap_or(if priority == 255 {
        InitialState::Master
    } else {
        InitialState::Backup
    });
    let mut nopreempt = b.nopreempt.is_some();
    if let Some(l) = &b.nopreempt {
        if priority == 255 || state == InitialState::Master {
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
        if *v > 0 && (state == InitialState::Master || nopreempt) {
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
    if b.vips.is_empty() {
        if version == 3 && !b.no_virtual_ipaddress {
            diags.fatal(
                &b.loc,
                format!("VRRPv3 vrrp_instance '{name}' has no virtual_ipaddress (at least one is required)"),
            );
            ok = false;
        } else if !b.no_virtual_ipaddress {
            diags.warn(
                &b.loc,
                format!(
                    "vrrp_instance '{name}' has no virtual_ipaddress; at least one is sensible"
                ),
            );
        }
    }
    let unicast_src_ip = match b.unicast_src {
        Some((a, l)) if a.is_ipv6() != is_v6 => {
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
    let mut unicast_peers = Vec::new();
    for (a, l) in b.peers {
        if a.is_ipv6() != is_v6 {
            diags.error(
                &l,
                format!(
                    "unicast_peer '{a}' family does not match vrrp_instance '{name}' - ignored"
                ),
            );
        } else {
            unicast_peers.push(a);
        }
    }
    // Authentication (VRRPv2 only).
    let authentication = match b.auth {
        None => None,
        Some((spec, l)) => auth(spec, &l, name, version, diags),
    };
    if !ok {
        return None;
    }
    Some(VrrpInstance {
        name: b.name,
        state,
        interface: b.interface,
        virtual_router_id: vrid,
        priority,
        advert_int_us,
        version,
        nopreempt,
        preempt_delay_us,
        virtual_ipaddress: b.vips,
        authentication,
        unicast_src_ip,
        unicast_peers,
        garp_master_delay_s: b.garp_delay_s,
        garp_master_repeat: b.garp_repeat,
        track: Vec::new(),
        location: b.loc,
    })
}

fn auth(
    spec: AuthSpec,
    l: &Location,
    name: &str,
    version: u8,
    diags: &mut Diags,
) -> Option<Authentication> {
    if version == 3 {
        diags.warn(
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
    if ty.text == "AH" {
        diags.warn(
            &ty.loc,
            format!("auth_type 'AH' is not supported by keepalived-rs; authentication removed from vrrp_instance '{name}'"),
        );
        return None;
    }
    let Some(pass) = spec.pass else {
        diags.warn(l, format!("auth_type PASS without auth_pass in vrrp_instance '{name}' - authentication removed"));
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
    Some(Authentication::Pass(key))
}
