//! Root tracker blocks: `vrrp_script` (§2.5), `vrrp_track_process` (§2.6),
//! `track_file` / `vrrp_track_file` (§2.7), and the small root blocks
//! `track_group`, `garp_group`, `linkbeat_interfaces`,
//! `interface_up_down_delays` (§2.1).
//!
//! A definition missing its mandatory part (script, process, file) is removed
//! with an error, as keepalived does; entries naming it are then reported as
//! undefined by [`crate::checks`].

use crate::decimal::{format_us, parse_scaled};
use crate::diag::Diags;
use crate::global::{ifname_ok, run_as, sint};
use crate::model::{
    GarpGroup, InitFile, InterfaceDelay, LinkbeatInterface, LinkbeatKind, ParamMatch, TrackFile,
    TrackGroup, TrackProcess, VrrpScript,
};
use crate::semantic::{need_arg, no_block, require_block, seconds, uint, unknown_in};
use crate::tree::{Block, Node, Word};

const SCRIPT_KWS: &[&str] = &[
    "script",
    "interval",
    "timeout",
    "weight",
    "rise",
    "fall",
    "user",
    "init_fail",
];
const PROCESS_KWS: &[&str] = &[
    "process",
    "param_match",
    "weight",
    "quorum",
    "quorum_max",
    "delay",
    "fork_delay",
    "terminate_delay",
    "full_command",
];
const FILE_KWS: &[&str] = &["file", "weight", "init_file"];

/// The NAME of `KEYWORD NAME { ... }` and its block.
fn named_block<'a>(node: &'a Node, diags: &mut Diags) -> Option<(&'a Word, &'a Block)> {
    let Some(name) = node.args.first() else {
        diags.fatal(&node.kw.loc, format!("missing name for '{}'", node.kw.text));
        return None;
    };
    if let Some(x) = node.args.get(1) {
        diags.error(
            &x.loc,
            format!(
                "{} '{}': unexpected '{}' after the name - ignored",
                node.kw.text, name.text, x.text
            ),
        );
    }
    let block = require_block(node, diags)?;
    Some((name, block))
}

/// `weight W [reverse|noreverse]` shared by the three tracker kinds.
fn weight(what: &str, node: &Node, min: i64, max: i64, diags: &mut Diags) -> Option<(i32, bool)> {
    let w = need_arg(node, diags)?;
    let v = sint(w, &format!("{what} weight"), min, max, diags)? as i32;
    let mut reverse = false;
    if let Some(o) = node.args.get(1) {
        match o.text.as_str() {
            "reverse" => reverse = true,
            "noreverse" => {}
            _ => diags.error(
                &o.loc,
                format!(
                    "{what}: unknown weight option '{}' (expected reverse|noreverse) - ignored",
                    o.text
                ),
            ),
        }
    }
    if let Some(x) = node.args.get(2) {
        diags.error(
            &x.loc,
            format!("{what}: unexpected '{}' after the weight - ignored", x.text),
        );
    }
    Some((v, reverse))
}

/// Decimal seconds with millisecond resolution (vrrp_script timers), in µs.
fn millis(w: &Word, kw: &str, diags: &mut Diags) -> Option<u64> {
    match parse_scaled(&w.text, 3) {
        Ok(s) if s.value <= 4_294_967_000 => {
            if s.rounded {
                diags.error(
                    &w.loc,
                    format!(
                        "{kw} '{}' has more than 3 decimal places; rounded to {}",
                        w.text,
                        format_us(s.value * 1000)
                    ),
                );
            }
            Some(s.value * 1000)
        }
        _ => {
            diags.error(
                &w.loc,
                format!(
                    "invalid {kw} '{}' (must be 0.001..4294967 seconds) - ignored",
                    w.text
                ),
            );
            None
        }
    }
}

/// `vrrp_script NAME { }`.
pub(crate) fn vrrp_script(node: &Node, diags: &mut Diags) -> Option<VrrpScript> {
    let (name, block) = named_block(node, diags)?;
    let what = format!("vrrp_script '{}'", name.text);
    let mut script = None;
    let mut interval_us = 1_000_000;
    let mut timeout_us: Option<u64> = None;
    let (mut weight_v, mut weight_reverse) = (0, false);
    let (mut rise, mut fall) = (1u32, 1u32);
    let mut user = None;
    let mut init_fail = false;
    for n in &block.nodes {
        let kw = n.kw.text.as_str();
        match kw {
            "" => {}
            "script" => {
                no_block(n, diags);
                if let Some(s) = crate::script::parse_script(n, diags) {
                    script = Some(s);
                }
            }
            "interval" | "timeout" => {
                let Some(w) = need_arg(n, diags) else {
                    continue;
                };
                let Some(mut v) = millis(w, kw, diags) else {
                    continue;
                };
                if v == 0 {
                    diags.error(
                        &w.loc,
                        format!("{what}: {kw} must be greater than 0; using 1"),
                    );
                    v = 1_000_000;
                }
                if kw == "interval" {
                    interval_us = v;
                } else {
                    timeout_us = Some(v);
                }
            }
            "weight" => {
                if let Some((v, r)) = weight(&what, n, -253, 253, diags) {
                    (weight_v, weight_reverse) = (v, r);
                }
            }
            "rise" | "fall" => {
                let Some(w) = need_arg(n, diags) else {
                    continue;
                };
                let v = uint(w, kw, 1, i32::MAX as u64, diags).map_or(1, |v| v as u32);
                if kw == "rise" {
                    rise = v;
                } else {
                    fall = v;
                }
            }
            "user" => {
                if let Some(r) = run_as(n, diags) {
                    user = Some(r);
                }
            }
            "init_fail" => {
                no_block(n, diags);
                init_fail = true;
            }
            _ => unknown_in(n, SCRIPT_KWS, diags),
        }
    }
    let Some(script) = script else {
        diags.error(
            &node.kw.loc,
            format!("{what} has no 'script' - the vrrp_script is removed"),
        );
        return None;
    };
    Some(VrrpScript {
        name: name.text.clone(),
        script,
        interval_us,
        timeout_us: timeout_us.unwrap_or(interval_us),
        weight: weight_v,
        weight_reverse,
        rise,
        fall,
        user,
        init_fail,
        location: node.kw.loc.clone(),
    })
}

/// `vrrp_track_process NAME { }`.
pub(crate) fn track_process(node: &Node, diags: &mut Diags) -> Option<TrackProcess> {
    let (name, block) = named_block(node, diags)?;
    let what = format!("vrrp_track_process '{}'", name.text);
    let mut p = TrackProcess {
        name: name.text.clone(),
        process: String::new(),
        params: Vec::new(),
        param_match: ParamMatch::Unset,
        weight: 0,
        weight_reverse: false,
        quorum: 1,
        quorum_max: None,
        delay_us: None,
        fork_delay_us: None,
        terminate_delay_us: None,
        full_command: false,
        location: node.kw.loc.clone(),
    };
    let mut process_at: Option<&Word> = None;
    let mut quorum_at: Option<&Word> = None;
    let mut quorum_max_at: Option<&Word> = None;
    for n in &block.nodes {
        let kw = n.kw.text.as_str();
        match kw {
            "" => {}
            "process" => {
                let Some(w) = need_arg(n, diags) else {
                    continue;
                };
                if let Some(first) = process_at {
                    diags.error(
                        &w.loc,
                        format!(
                            "{what}: process already set at {} - '{}' ignored",
                            first.loc, w.text
                        ),
                    );
                    continue;
                }
                process_at = Some(w);
                p.process = w.text.clone();
                p.params = n.args[1..].iter().map(|a| a.text.clone()).collect();
            }
            "param_match" => {
                no_block(n, diags);
                p.param_match = match n.args.first().map(|w| w.text.as_str()) {
                    None => ParamMatch::Exact,
                    Some("initial") => ParamMatch::Initial,
                    Some("partial") => ParamMatch::Partial,
                    Some(_) => {
                        if let Some(w) = n.args.first() {
                            diags.error(
                                &w.loc,
                                format!(
                                    "{what}: invalid param_match '{}' (must be initial|partial, or nothing for exact) - ignored",
                                    w.text
                                ),
                            );
                        }
                        continue;
                    }
                };
            }
            "weight" => {
                if let Some((v, r)) = weight(&what, n, -254, 254, diags) {
                    (p.weight, p.weight_reverse) = (v, r);
                }
            }
            "quorum" => {
                let Some(w) = need_arg(n, diags) else {
                    continue;
                };
                if let Some(v) = uint(w, kw, 1, 65535, diags) {
                    p.quorum = v as u32;
                    quorum_at = Some(w);
                }
            }
            "quorum_max" => {
                let Some(w) = need_arg(n, diags) else {
                    continue;
                };
                if let Some(v) = uint(w, kw, 0, 65535, diags) {
                    p.quorum_max = Some(v as u32);
                    quorum_max_at = Some(w);
                }
            }
            "delay" | "fork_delay" | "terminate_delay" => {
                let Some(w) = need_arg(n, diags) else {
                    continue;
                };
                let Some(v) = seconds(w, kw, 1, 3_600_000_000, diags) else {
                    continue;
                };
                match kw {
                    "delay" => p.delay_us = Some(v),
                    "fork_delay" => p.fork_delay_us = Some(v),
                    _ => p.terminate_delay_us = Some(v),
                }
            }
            "full_command" => {
                no_block(n, diags);
                p.full_command = true;
            }
            _ => unknown_in(n, PROCESS_KWS, diags),
        }
    }
    if process_at.is_none() {
        diags.error(
            &node.kw.loc,
            format!("{what} has no 'process' - the vrrp_track_process is removed"),
        );
        return None;
    }
    if let (Some(max), Some(w)) = (p.quorum_max, quorum_max_at) {
        if max < p.quorum {
            let at = quorum_at
                .map(|q| format!(" (quorum at {})", q.loc))
                .unwrap_or_default();
            diags.error(
                &w.loc,
                format!(
                    "{what}: quorum_max {max} is less than quorum {}{at}; quorum_max ignored",
                    p.quorum
                ),
            );
            p.quorum_max = None;
        }
    }
    Some(p)
}

/// `track_file NAME { }` (`vrrp_track_file` deprecated).
pub(crate) fn track_file(node: &Node, diags: &mut Diags) -> Option<TrackFile> {
    if node.kw.text == "vrrp_track_file" {
        diags.error(
            &node.kw.loc,
            "'vrrp_track_file' is deprecated - use 'track_file' instead (applied as 'track_file')",
        );
    }
    let (name, block) = named_block(node, diags)?;
    let what = format!("track_file '{}'", name.text);
    let mut file = None;
    let (mut weight_v, mut weight_reverse) = (1, false);
    let mut init_file = None;
    for n in &block.nodes {
        let kw = n.kw.text.as_str();
        match kw {
            "" => {}
            "file" => {
                if let Some(w) = need_arg(n, diags) {
                    file = Some(std::path::PathBuf::from(&w.text));
                }
            }
            "weight" => {
                if let Some((v, r)) = weight(&what, n, -254, 254, diags) {
                    (weight_v, weight_reverse) = (v, r);
                }
            }
            "init_file" => {
                no_block(n, diags);
                let mut f = InitFile {
                    value: 0,
                    overwrite: false,
                };
                let mut ok = true;
                for (i, w) in n.args.iter().enumerate() {
                    if w.text == "overwrite" {
                        f.overwrite = true;
                    } else if i == 0 {
                        match int_base0(&w.text) {
                            Some(v) => f.value = v,
                            None => {
                                ok = false;
                                diags.error(
                                    &w.loc,
                                    format!(
                                        "{what}: unknown init_file option '{}' (expected a number and/or 'overwrite') - init_file ignored",
                                        w.text
                                    ),
                                );
                            }
                        }
                    } else {
                        ok = false;
                        diags.error(
                            &w.loc,
                            format!(
                                "{what}: unknown init_file option '{}' (expected a number and/or 'overwrite') - init_file ignored",
                                w.text
                            ),
                        );
                    }
                }
                if ok {
                    init_file = Some(f);
                }
            }
            _ => unknown_in(n, FILE_KWS, diags),
        }
    }
    let Some(file) = file else {
        diags.error(
            &node.kw.loc,
            format!("{what} has no 'file' - the track_file is removed"),
        );
        return None;
    };
    Some(TrackFile {
        name: name.text.clone(),
        file,
        weight: weight_v,
        weight_reverse,
        init_file,
        location: node.kw.loc.clone(),
    })
}

/// An integer as C's `strtol(s, NULL, 0)` reads a whole word: optional sign,
/// `0x` hex, leading-`0` octal, else decimal (the track file's own format).
pub(crate) fn int_base0(text: &str) -> Option<i64> {
    let (neg, t) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()?
    } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

/// Names listed in a block: every word of every line.
fn words(block: &Block, diags: &mut Diags) -> Vec<Word> {
    let mut out = Vec::new();
    for n in &block.nodes {
        if n.kw.text.is_empty() {
            continue;
        }
        no_block(n, diags);
        out.push(n.kw.clone());
        out.extend(n.args.iter().cloned());
    }
    out
}

/// `track_group NAME { group { INSTANCE... } }`.
pub(crate) fn track_group(node: &Node, diags: &mut Diags) -> Option<TrackGroup> {
    let (name, block) = named_block(node, diags)?;
    let mut members = Vec::new();
    for n in &block.nodes {
        match n.kw.text.as_str() {
            "" => {}
            "group" => {
                if let Some(b) = require_block(n, diags) {
                    members.extend(words(b, diags).into_iter().map(|w| w.text));
                }
            }
            _ => unknown_in(n, &["group"], diags),
        }
    }
    if members.is_empty() {
        diags.error(
            &node.kw.loc,
            format!("track_group '{}' has no members - removed", name.text),
        );
        return None;
    }
    Some(TrackGroup {
        name: name.text.clone(),
        members,
        location: node.kw.loc.clone(),
    })
}

/// `garp_group { garp_interval S; gna_interval S; interface IF; interfaces { IF... } }`.
pub(crate) fn garp_group(node: &Node, diags: &mut Diags) -> Option<GarpGroup> {
    let block = require_block(node, diags)?;
    let mut g = GarpGroup {
        location: node.kw.loc.clone(),
        ..GarpGroup::default()
    };
    const KWS: &[&str] = &["garp_interval", "gna_interval", "interface", "interfaces"];
    for n in &block.nodes {
        let kw = n.kw.text.as_str();
        match kw {
            "" => {}
            "garp_interval" | "gna_interval" => {
                let Some(w) = need_arg(n, diags) else {
                    continue;
                };
                let v = seconds(w, kw, 0, u64::from(u32::MAX), diags);
                if kw == "garp_interval" {
                    g.garp_interval_us = v.or(g.garp_interval_us);
                } else {
                    g.gna_interval_us = v.or(g.gna_interval_us);
                }
            }
            "interface" => {
                if let Some(w) = need_arg(n, diags) {
                    if ifname_ok(w, kw, diags) {
                        g.interfaces.push(w.text.clone());
                    }
                }
            }
            "interfaces" => {
                if let Some(b) = require_block(n, diags) {
                    for w in words(b, diags) {
                        if ifname_ok(&w, kw, diags) {
                            g.interfaces.push(w.text);
                        }
                    }
                }
            }
            _ => unknown_in(n, KWS, diags),
        }
    }
    if g.interfaces.is_empty() {
        diags.error(&node.kw.loc, "garp_group has no interface - removed");
        return None;
    }
    Some(g)
}

/// `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] ... }`.
pub(crate) fn linkbeat_interfaces(node: &Node, diags: &mut Diags) -> Vec<LinkbeatInterface> {
    let Some(block) = require_block(node, diags) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for n in &block.nodes {
        if n.kw.text.is_empty() {
            continue;
        }
        no_block(n, diags);
        if !ifname_ok(&n.kw, "linkbeat_interfaces entry", diags) {
            continue;
        }
        let kind = match n.args.first().map(|w| w.text.to_ascii_uppercase()) {
            None => LinkbeatKind::Default,
            Some(k) if k == "MII" => LinkbeatKind::Mii,
            Some(k) if k == "ETHTOOL" => LinkbeatKind::Ethtool,
            Some(k) if k == "IOCTL" => LinkbeatKind::Ioctl,
            Some(_) => {
                if let Some(w) = n.args.first() {
                    diags.error(
                        &w.loc,
                        format!(
                            "linkbeat_interfaces '{}': unknown type '{}' (must be MII|ETHTOOL|IOCTL) - default used",
                            n.kw.text, w.text
                        ),
                    );
                }
                LinkbeatKind::Default
            }
        };
        out.push(LinkbeatInterface {
            name: n.kw.text.clone(),
            kind,
            location: n.kw.loc.clone(),
        });
    }
    out
}

/// `interface_up_down_delays { IF DOWN_SECS [UP_SECS] ... }`.
pub(crate) fn interface_up_down_delays(node: &Node, diags: &mut Diags) -> Vec<InterfaceDelay> {
    let Some(block) = require_block(node, diags) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for n in &block.nodes {
        if n.kw.text.is_empty() {
            continue;
        }
        let Some(dw) = need_arg(n, diags) else {
            continue;
        };
        if !ifname_ok(&n.kw, "interface_up_down_delays entry", diags) {
            continue;
        }
        let Some(down_us) = seconds(dw, "interface down delay", 0, 255_000_000, diags) else {
            continue;
        };
        let up_us = match n.args.get(1) {
            None => down_us,
            Some(uw) => match seconds(uw, "interface up delay", 0, 255_000_000, diags) {
                Some(v) => v,
                None => continue,
            },
        };
        out.push(InterfaceDelay {
            name: n.kw.text.clone(),
            down_us,
            up_us,
            location: n.kw.loc.clone(),
        });
    }
    out
}

/// Root keywords handled by [`root`].
pub(crate) const ROOTS: &[&str] = &[
    "vrrp_script",
    "vrrp_track_process",
    "track_file",
    "vrrp_track_file",
    "vrrp_sync_group",
    "track_group",
    "garp_group",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "use_pid_dir",
    "instance",
    "child_wait_time",
    "linkbeat_use_polling",
    "bfd_instance",
    "virtual_server",
    "virtual_server_group",
    "SSL",
];

/// Every root keyword, for "did you mean" on an unknown one.
pub(crate) fn root_candidates() -> Vec<&'static str> {
    [
        "global_defs",
        "vrrp_instance",
        "static_ipaddress",
        "static_routes",
        "static_rules",
    ]
    .into_iter()
    .chain(ROOTS.iter().copied())
    .collect()
}

/// Report a second definition with the same name; the first one is kept
/// (keepalived's lookups find the first).
fn duplicate<'a>(
    what: &str,
    name: &str,
    loc: &crate::model::Location,
    mut existing: impl Iterator<Item = (&'a str, &'a crate::model::Location)>,
    diags: &mut Diags,
) -> bool {
    if let Some((_, first)) = existing.find(|(n, _)| *n == name) {
        diags.error(
            loc,
            format!("duplicate {what} '{name}' (first defined at {first}) - ignored"),
        );
        true
    } else {
        false
    }
}

/// Parse one root keyword of [`ROOTS`] into `config`.
pub(crate) fn root(node: &Node, config: &mut crate::model::Config, diags: &mut Diags) {
    let kw = node.kw.text.as_str();
    match kw {
        "vrrp_script" => {
            if let Some(s) = vrrp_script(node, diags) {
                let existing = config
                    .scripts
                    .iter()
                    .map(|s| (s.name.as_str(), &s.location));
                if !duplicate(kw, &s.name, &s.location, existing, diags) {
                    config.scripts.push(s);
                }
            }
        }
        "vrrp_track_process" => {
            if let Some(s) = track_process(node, diags) {
                let existing = config
                    .track_processes
                    .iter()
                    .map(|s| (s.name.as_str(), &s.location));
                if !duplicate(kw, &s.name, &s.location, existing, diags) {
                    config.track_processes.push(s);
                }
            }
        }
        "track_file" | "vrrp_track_file" => {
            if let Some(s) = track_file(node, diags) {
                let existing = config
                    .track_files
                    .iter()
                    .map(|s| (s.name.as_str(), &s.location));
                if !duplicate("track_file", &s.name, &s.location, existing, diags) {
                    config.track_files.push(s);
                }
            }
        }
        "vrrp_sync_group" => {
            if let Some(g) = crate::sync::parse(node, diags) {
                let existing = config
                    .sync_groups
                    .iter()
                    .map(|s| (s.name.as_str(), &s.location));
                if !duplicate(kw, &g.name, &g.location, existing, diags) {
                    config.sync_groups.push(g);
                }
            }
        }
        "track_group" => {
            if let Some(g) = track_group(node, diags) {
                let existing = config
                    .track_groups
                    .iter()
                    .map(|s| (s.name.as_str(), &s.location));
                if !duplicate(kw, &g.name, &g.location, existing, diags) {
                    config.track_groups.push(g);
                }
            }
        }
        "garp_group" => {
            if let Some(g) = garp_group(node, diags) {
                config.garp_groups.push(g);
            }
        }
        "linkbeat_interfaces" => config
            .linkbeat_interfaces
            .extend(linkbeat_interfaces(node, diags)),
        "interface_up_down_delays" => config
            .interface_delays
            .extend(interface_up_down_delays(node, diags)),
        "net_namespace" | "instance" => {
            if let Some(w) = need_arg(node, diags) {
                let slot = if kw == "net_namespace" {
                    &mut config.root.net_namespace
                } else {
                    &mut config.root.instance
                };
                *slot = Some(w.text.clone());
            }
        }
        "net_namespace_ipvs" => {
            no_block(node, diags);
            config.root.net_namespace_ipvs = Some(
                node.args
                    .first()
                    .map(|w| w.text.clone())
                    .unwrap_or_default(),
            );
        }
        "namespace_with_ipsets" => {
            no_block(node, diags);
            config.root.namespace_with_ipsets = true;
        }
        "use_pid_dir" => {
            no_block(node, diags);
            config.root.use_pid_dir = true;
        }
        "linkbeat_use_polling" => {
            no_block(node, diags);
            config.root.linkbeat_use_polling = true;
        }
        "child_wait_time" => {
            if let Some(w) = need_arg(node, diags) {
                if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                    config.root.child_wait_time_s = Some(v as u32);
                }
            }
        }
        "bfd_instance" => {
            if let Some(w) = node.args.first() {
                config.bfd_instances.push(w.text.clone());
            }
            skipped(
                node,
                "BFD is not supported; track_bfd entries naming it are ignored",
                diags,
            );
        }
        _ => {
            skipped(
                node,
                "keepalived-rs runs the VRRP side only (LVS/checker not supported)",
                diags,
            );
            fwmark_protocol(node, diags);
        }
    }
}

/// The one check keepalived's `-t` makes inside an LVS block that a VRRP-only
/// reader can still make without interpreting it: a fwmark service matches
/// packets by mark, so a `protocol` there is meaningless (keepalived warns and
/// `-t` exits 5). Everything else in the block stays unread.
fn fwmark_protocol(node: &Node, diags: &mut Diags) {
    if node.kw.text != "virtual_server" || node.args.first().is_none_or(|a| a.text != "fwmark") {
        return;
    }
    let Some(block) = &node.block else {
        return;
    };
    if let Some(p) = block.nodes.iter().find(|n| n.kw.text == "protocol") {
        let mark = node.args.get(1).map_or("", |w| w.text.as_str());
        diags.error(
            &p.kw.loc,
            format!("virtual_server fwmark {mark}: 'protocol' is ignored for a fwmark service"),
        );
    }
}

/// One warning per skipped block, naming it the way it was written.
fn skipped(node: &Node, why: &str, diags: &mut Diags) {
    let mut head = node.kw.text.clone();
    for a in &node.args {
        head.push(' ');
        head.push_str(&a.text);
    }
    let body = if node.block.is_some() { " { … }" } else { "" };
    diags.warn(&node.kw.loc, format!("{head}{body} skipped: {why}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_base0() {
        assert_eq!(int_base0("10"), Some(10));
        assert_eq!(int_base0("010"), Some(8));
        assert_eq!(int_base0("0x1f"), Some(31));
        assert_eq!(int_base0("-5"), Some(-5));
        assert_eq!(int_base0("0"), Some(0));
        assert_eq!(int_base0("x"), None);
        assert_eq!(int_base0("09"), None);
        assert_eq!(int_base0(""), None);
    }
}
