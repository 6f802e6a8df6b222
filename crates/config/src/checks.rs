//! Cross-object checks run once the whole file is read (end of
//! `semantic::build`): references between instances, trackers and sync
//! groups, and conflicts between instances.  Where two places are involved
//! the message names both, so the operator does not have to search.

use crate::diag::Diags;
use crate::model::{Config, Location, TrackKind, TrackRef};
use crate::suggest::did_you_mean;
use crate::track::block_keyword;

use crate::model::SourcePath;
use std::collections::HashMap;

/// A root block's position: the path is a shared `Arc`, not a copy.
type Key = (SourcePath, u32, u32);

fn key(l: &Location) -> Key {
    (l.file.clone(), l.line, l.col)
}

/// File order of root blocks.  keepalived looks trackers up while it reads
/// an instance or sync group, so a tracker defined further down the file is
/// "not found"; comparing root positions reproduces that across includes.
#[derive(Default)]
pub(crate) struct Order(HashMap<Key, usize>);

impl Order {
    /// Records the next root block's keyword location.
    pub(crate) fn push(&mut self, l: &Location) {
        let i = self.0.len();
        self.0.insert(key(l), i);
    }

    fn pos(&self, l: &Location) -> usize {
        self.0.get(&key(l)).copied().unwrap_or(usize::MAX)
    }
}

/// Run every check, fixing the model the way keepalived would.
pub(crate) fn run(order: &Order, config: &mut Config, diags: &mut Diags) {
    resolve_instance_trackers(order, config, diags);
    resolve_sync_group_trackers(order, config, diags);
    sync_groups(config, diags);
    track_groups(config, diags);
    owner_trackers(config, diags);
    shared_vips(config, diags);
    missing_track_scripts(config, diags);
    script_security(config, diags);
    // Unicast peers in strict mode (Fatal) and a missing VRID/interface
    // are checked where the instance is completed (vrrp.rs), as is the
    // duplicate VRID per interface and family.
}

/// What a tracker entry resolves to: definition location, or why not.
enum Lookup {
    Ok,
    Later(Location),
    Skipped,
    Missing(Option<String>),
}

fn lookup(r: &TrackRef, owner_pos: usize, order: &Order, config: &Config) -> Lookup {
    let defs: Vec<(&str, &Location)> = match r.kind {
        TrackKind::Interface => return Lookup::Ok,
        TrackKind::Script => config
            .scripts
            .iter()
            .map(|s| (s.name.as_str(), &s.location))
            .collect(),
        TrackKind::Process => config
            .track_processes
            .iter()
            .map(|s| (s.name.as_str(), &s.location))
            .collect(),
        TrackKind::File => config
            .track_files
            .iter()
            .map(|s| (s.name.as_str(), &s.location))
            .collect(),
        TrackKind::Bfd => {
            if config.bfd_instances.contains(&r.name) {
                return Lookup::Skipped;
            }
            Vec::new()
        }
    };
    match defs.iter().find(|(n, _)| *n == r.name) {
        Some((_, loc)) if order.pos(loc) < owner_pos => Lookup::Ok,
        Some((_, loc)) => Lookup::Later((*loc).clone()),
        None => {
            let names: Vec<&str> = defs.iter().map(|(n, _)| *n).collect();
            Lookup::Missing(did_you_mean(&r.name, &names).map(str::to_string))
        }
    }
}

fn def_keyword(kind: TrackKind) -> &'static str {
    match kind {
        TrackKind::Interface => "interface",
        TrackKind::Script => "vrrp_script",
        TrackKind::File => "track_file",
        TrackKind::Process => "vrrp_track_process",
        TrackKind::Bfd => "bfd_instance",
    }
}

/// Keep the entries that resolve; report the others.
fn filter_track(
    owner: &str,
    owner_pos: usize,
    track: Vec<TrackRef>,
    order: &Order,
    config: &Config,
    diags: &mut Diags,
) -> Vec<TrackRef> {
    let mut kept = Vec::new();
    for r in track {
        let bkw = block_keyword(r.kind);
        let def = def_keyword(r.kind);
        match lookup(&r, owner_pos, order, config) {
            Lookup::Ok => kept.push(r),
            Lookup::Later(at) => diags.error(
                &r.location,
                format!(
                    "{bkw} '{}' of {owner}: {def} '{}' is defined later, at {at}; keepalived only \
                     finds trackers defined before use - entry ignored (move the {def} up)",
                    r.name, r.name
                ),
            ),
            Lookup::Skipped => diags.warn(
                &r.location,
                format!(
                    "{bkw} '{}' of {owner}: bfd_instance '{}' is skipped (BFD is not supported \
                     by keepalived-rs) - entry ignored",
                    r.name, r.name
                ),
            ),
            Lookup::Missing(hint) => {
                let hint = hint
                    .map(|h| format!("; did you mean `{h}`?"))
                    .unwrap_or_default();
                diags.error(
                    &r.location,
                    format!(
                        "{bkw} '{}' of {owner}: no {def} '{}' is defined - entry ignored{hint}",
                        r.name, r.name
                    ),
                );
            }
        }
    }
    kept
}

fn resolve_instance_trackers(order: &Order, config: &mut Config, diags: &mut Diags) {
    let mut instances = std::mem::take(&mut config.instances);
    for inst in &mut instances {
        let owner = format!("vrrp_instance '{}'", inst.name);
        let pos = order.pos(&inst.location);
        let track = std::mem::take(&mut inst.track);
        inst.track = filter_track(&owner, pos, track, order, config, diags);
    }
    config.instances = instances;
}

fn resolve_sync_group_trackers(order: &Order, config: &mut Config, diags: &mut Diags) {
    let mut groups = std::mem::take(&mut config.sync_groups);
    for g in &mut groups {
        let owner = format!("vrrp_sync_group '{}'", g.name);
        let pos = order.pos(&g.location);
        let track = std::mem::take(&mut g.track);
        g.track = filter_track(&owner, pos, track, order, config, diags);
    }
    config.sync_groups = groups;
}

/// Members must name an instance and belong to one group only; groups with
/// no member left are removed, one member gets a warning.
fn sync_groups(config: &mut Config, diags: &mut Diags) {
    let names: Vec<&str> = config.instances.iter().map(|i| i.name.as_str()).collect();
    let mut taken: HashMap<String, (String, Location)> = HashMap::new();
    let mut groups = std::mem::take(&mut config.sync_groups);
    for g in &mut groups {
        let mut kept = Vec::new();
        let mut kept_locs = Vec::new();
        let locs = std::mem::take(&mut g.member_locations);
        for (i, m) in std::mem::take(&mut g.members).into_iter().enumerate() {
            let loc = locs.get(i).unwrap_or(&g.location).clone();
            if !names.contains(&m.as_str()) {
                let hint = did_you_mean(&m, &names)
                    .map(|h| format!("; did you mean `{h}`?"))
                    .unwrap_or_default();
                diags.error(
                    &loc,
                    format!(
                        "vrrp_sync_group '{}': member '{m}' is not a (valid) vrrp_instance - ignored{hint}",
                        g.name
                    ),
                );
                continue;
            }
            if let Some((other, at)) = taken.get(&m) {
                diags.error(
                    &loc,
                    format!(
                        "vrrp_sync_group '{}': vrrp_instance '{m}' is already a member of \
                         vrrp_sync_group '{other}' at {at} - ignored here",
                        g.name
                    ),
                );
                continue;
            }
            taken.insert(m.clone(), (g.name.clone(), loc.clone()));
            kept.push(m);
            kept_locs.push(loc);
        }
        g.members = kept;
        g.member_locations = kept_locs;
    }
    groups.retain(|g| match g.members.len() {
        0 => {
            // keepalived only warns ("sync group has empty group block").
            diags.warn(
                &g.location,
                format!(
                    "vrrp_sync_group '{}' has no valid members - removed",
                    g.name
                ),
            );
            false
        }
        1 => {
            diags.warn(
                &g.location,
                format!(
                    "vrrp_sync_group '{}' has only one member ('{}'): a sync group needs at least two to be useful",
                    g.name, g.members[0]
                ),
            );
            true
        }
        _ => true,
    });
    config.sync_groups = groups;
}

/// `track_group` members must be instances.
fn track_groups(config: &mut Config, diags: &mut Diags) {
    let names: Vec<String> = config.instances.iter().map(|i| i.name.clone()).collect();
    for g in &mut config.track_groups {
        let loc = g.location.clone();
        let gname = g.name.clone();
        g.members.retain(|m| {
            let ok = names.contains(m);
            if !ok {
                diags.error(
                    &loc,
                    format!("track_group '{gname}': member '{m}' is not a vrrp_instance - ignored"),
                );
            }
            ok
        });
    }
    // As at parse time, a group left without members is removed (keeping
    // it would make the normalisation non-idempotent: --dump-config).
    config.track_groups.retain(|g| {
        if g.members.is_empty() {
            diags.error(
                &g.location,
                format!("track_group '{}' has no valid members - removed", g.name),
            );
        }
        !g.members.is_empty()
    });
}

/// The weight an entry has once the tracker's own default is applied.
fn effective_weight(r: &TrackRef, config: &Config) -> i32 {
    if let Some(w) = r.weight {
        return w;
    }
    match r.kind {
        TrackKind::Script => config
            .scripts
            .iter()
            .find(|s| s.name == r.name)
            .map_or(0, |s| s.weight),
        TrackKind::File => config
            .track_files
            .iter()
            .find(|s| s.name == r.name)
            .map_or(1, |s| s.weight),
        TrackKind::Process => config
            .track_processes
            .iter()
            .find(|s| s.name == r.name)
            .map_or(0, |s| s.weight),
        TrackKind::Interface | TrackKind::Bfd => 0,
    }
}

/// An address owner (priority 255) never changes priority, so keepalived
/// removes its weighted trackers (§3.4); a track_file at the default
/// weight 1 is turned into an unweighted one instead.
fn owner_trackers(config: &mut Config, diags: &mut Diags) {
    let mut instances = std::mem::take(&mut config.instances);
    for inst in instances.iter_mut().filter(|i| i.priority == 255) {
        let track = std::mem::take(&mut inst.track);
        for mut r in track {
            let w = effective_weight(&r, config);
            let bkw = block_keyword(r.kind);
            if w == 0 || r.kind == TrackKind::Process {
                inst.track.push(r);
            } else if r.kind == TrackKind::File && w == 1 && r.weight.is_none() {
                r.weight = Some(0);
                inst.track.push(r);
            } else {
                diags.error(
                    &r.location,
                    format!(
                        "{bkw} '{}' has weight {w}, but vrrp_instance '{}' is the address owner \
                         (priority 255, at {}) whose priority never changes - entry removed",
                        r.name, inst.name, inst.location
                    ),
                );
            }
        }
    }
    config.instances = instances;
}

/// The same virtual address in two instances on the same interface: both
/// masters would add it to one link, and whichever leaves MASTER removes the
/// other's address. The same address on two different interfaces is a valid
/// setup (and keepalived accepts it), so it is not reported.
fn shared_vips(config: &Config, diags: &mut Diags) {
    type Key<'a> = (std::net::IpAddr, Option<&'a str>);
    let mut seen: HashMap<Key<'_>, (&str, &Location)> = HashMap::new();
    for inst in &config.instances {
        for v in &inst.virtual_ipaddress {
            let dev = v.dev.as_deref().or(inst.interface.as_deref());
            match seen.get(&(v.addr, dev)) {
                Some((other, at)) if *other != inst.name => diags.error(
                    &v.location,
                    format!(
                        "virtual_ipaddress {} of vrrp_instance '{}' is also in vrrp_instance '{other}' at {at}{}",
                        v.addr,
                        inst.name,
                        dev.map(|d| format!(" (both on {d})")).unwrap_or_default()
                    ),
                ),
                Some(_) => {}
                None => {
                    seen.insert((v.addr, dev), (inst.name.as_str(), &v.location));
                }
            }
        }
    }
}

/// keepalived reports any configured script, used or not, as a security
/// violation when `enable_script_security` is off (`-t` exits 6); the
/// scripts still run.  Reported once, at the first script.
/// Whether the program a script runs exists: argv[0] as a path, or searched
/// in PATH like `execvp` when it has no `/` (keepalived -t checks the host).
fn program_exists(script: &crate::model::Script) -> bool {
    let Some(prog) = script.argv.first() else {
        return false;
    };
    let is_file = |p: &std::path::Path| std::fs::metadata(p).is_ok_and(|m| m.is_file());
    if prog.contains('/') {
        return is_file(std::path::Path::new(prog));
    }
    let path = std::env::var_os("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path).any(|dir| is_file(&dir.join(prog)))
}

/// A vrrp_script whose program does not exist is disabled, as keepalived
/// does ("Disabling track script … since not found/accessible"): the block is
/// dropped with an error and the instances and sync groups that track it
/// simply stop tracking it (it never causes FAULT).
fn missing_track_scripts(config: &mut Config, diags: &mut Diags) {
    let mut disabled: Vec<String> = Vec::new();
    config.scripts.retain(|s| {
        if program_exists(&s.script) {
            return true;
        }
        diags.error(
            &s.script.location,
            format!(
                "vrrp_script '{}': program '{}' not found or not accessible - the script is disabled and not tracked",
                s.name,
                s.script.argv.first().map_or("", String::as_str)
            ),
        );
        disabled.push(s.name.clone());
        false
    });
    if disabled.is_empty() {
        return;
    }
    let gone = |t: &TrackRef| t.kind == TrackKind::Script && disabled.contains(&t.name);
    for inst in &mut config.instances {
        inst.track.retain(|t| !gone(t));
    }
    for grp in &mut config.sync_groups {
        grp.track.retain(|t| !gone(t));
    }
}

/// keepalived reports the scripts it would run (those whose program exists)
/// as a security violation when `enable_script_security` is off.
fn script_security(config: &Config, diags: &mut Diags) {
    if config.global.enable_script_security {
        return;
    }
    let g = &config.global;
    let mut all: Vec<(String, &crate::model::Script)> = Vec::new();
    for (kw, s) in [
        ("notify_fifo_script", &g.notify_fifo_script),
        ("vrrp_notify_fifo_script", &g.vrrp_notify_fifo_script),
        ("startup_script", &g.startup_script),
        ("shutdown_script", &g.shutdown_script),
    ] {
        if let Some(s) = s {
            all.push((format!("global_defs {kw}"), s));
        }
    }
    for s in &config.scripts {
        all.push((format!("vrrp_script '{}'", s.name), &s.script));
    }
    for grp in &config.sync_groups {
        for s in [
            &grp.notify_master,
            &grp.notify_backup,
            &grp.notify_fault,
            &grp.notify_stop,
            &grp.notify,
        ]
        .into_iter()
        .flatten()
        {
            all.push((format!("vrrp_sync_group '{}' notify", grp.name), s));
        }
    }
    for inst in &config.instances {
        let n = &inst.opts.notify;
        for s in [
            &n.master,
            &n.backup,
            &n.fault,
            &n.stop,
            &n.notify,
            &n.master_rx_lower_pri,
            &n.deleted_script,
        ]
        .into_iter()
        .flatten()
        {
            all.push((format!("vrrp_instance '{}' notify", inst.name), s));
        }
    }
    // File order is not the order above; report the earliest in the file
    // when they share one, else the first found.
    let first = all
        .iter()
        .filter(|(_, s)| program_exists(s))
        .min_by_key(|(_, s)| (s.location.file.clone(), s.location.line, s.location.col));
    if let Some((what, s)) = first {
        diags.push(
            crate::diag::Severity::Security,
            &s.location,
            format!(
                "SECURITY VIOLATION: scripts are configured (first: {what} `{}`) but \
                 enable_script_security is not set in global_defs; keepalived runs them anyway \
                 and reports this as a security error",
                s.raw
            ),
        );
    }
}
