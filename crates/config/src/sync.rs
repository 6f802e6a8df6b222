//! `vrrp_sync_group NAME { }` (reference §2.4).  Members are only names
//! here; they are resolved against the instances after the whole file is
//! read (order does not matter), in [`crate::checks`].

use crate::diag::Diags;
use crate::model::SyncGroup;
use crate::semantic::{need_arg, no_block, opt_bool, require_block, unknown_in};
use crate::tree::Node;

const KWS: &[&str] = &[
    "group",
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
    "smtp_alert",
    "notify_priority_changes",
    "sync_group_tracking_weight",
    "global_tracking",
];

/// Parse one sync group.  `None` when it has no name or no block.
pub(crate) fn parse(node: &Node, diags: &mut Diags) -> Option<SyncGroup> {
    let Some(name) = node.args.first() else {
        diags.fatal(&node.kw.loc, "missing name for 'vrrp_sync_group'");
        return None;
    };
    if let Some(x) = node.args.get(1) {
        diags.error(
            &x.loc,
            format!(
                "vrrp_sync_group '{}': unexpected '{}' after the name - ignored",
                name.text, x.text
            ),
        );
    }
    let block = require_block(node, diags)?;
    let mut g = SyncGroup {
        name: name.text.clone(),
        members: Vec::new(),
        member_locations: Vec::new(),
        track: Vec::new(),
        notify_master: None,
        notify_backup: None,
        notify_fault: None,
        notify_stop: None,
        notify: None,
        smtp_alert: None,
        notify_priority_changes: None,
        tracking_weight: false,
        location: node.kw.loc.clone(),
    };
    let mut saw_group = false;
    for n in &block.nodes {
        let kw = n.kw.text.as_str();
        if let Some(kind) = crate::track::kind_of(kw) {
            for r in crate::track::parse_track_block(kind, n, diags) {
                if let Some(first) = g
                    .track
                    .iter()
                    .find(|t| t.kind == r.kind && t.name == r.name)
                {
                    diags.warn(
                        &r.location,
                        format!(
                            "duplicate {kw} entry '{}' (first at {}) - ignored",
                            r.name, first.location
                        ),
                    );
                } else {
                    g.track.push(r);
                }
            }
            continue;
        }
        match kw {
            "" => {}
            "group" => {
                saw_group = true;
                let Some(b) = require_block(n, diags) else { continue };
                for e in &b.nodes {
                    if e.kw.text.is_empty() {
                        continue;
                    }
                    no_block(e, diags);
                    for w in std::iter::once(&e.kw).chain(e.args.iter()) {
                        if g.members.contains(&w.text) {
                            diags.warn(
                                &w.loc,
                                format!(
                                    "vrrp_sync_group '{}': '{}' listed twice - ignored",
                                    g.name, w.text
                                ),
                            );
                        } else {
                            g.members.push(w.text.clone());
                            g.member_locations.push(w.loc.clone());
                        }
                    }
                }
            }
            "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify" => {
                no_block(n, diags);
                let Some(s) = crate::script::parse_script(n, diags) else { continue };
                let slot = match kw {
                    "notify_master" => &mut g.notify_master,
                    "notify_backup" => &mut g.notify_backup,
                    "notify_fault" => &mut g.notify_fault,
                    "notify_stop" => &mut g.notify_stop,
                    _ => &mut g.notify,
                };
                *slot = Some(s);
            }
            "smtp_alert" => {
                if let Some(b) = opt_bool(n, diags) {
                    g.smtp_alert = Some(b);
                }
            }
            "notify_priority_changes" => {
                // A value is required here (BOOL, not [BOOL]).
                if need_arg(n, diags).is_some() {
                    if let Some(b) = opt_bool(n, diags) {
                        g.notify_priority_changes = Some(b);
                    }
                }
            }
            "sync_group_tracking_weight" => {
                no_block(n, diags);
                g.tracking_weight = true;
            }
            "global_tracking" => {
                no_block(n, diags);
                diags.error(
                    &n.kw.loc,
                    format!(
                        "vrrp_sync_group '{}': 'global_tracking' is deprecated - use \
                         'sync_group_tracking_weight' or track_* blocks on the sync group \
                         (applied as 'sync_group_tracking_weight')",
                        g.name
                    ),
                );
                g.tracking_weight = true;
            }
            "notify_deleted" => diags.error(
                &n.kw.loc,
                "'notify_deleted' is not valid in a vrrp_sync_group (only in vrrp_instance) - ignored",
            ),
            // keepalived's own sample writes members straight in the block.
            _ if n.args.is_empty()
                && n.block.is_none()
                && crate::suggest::did_you_mean(kw, KWS).is_none() =>
            {
                diags.error(
                    &n.kw.loc,
                    format!(
                        "unknown keyword '{kw}' in vrrp_sync_group '{}'; if '{kw}' is a \
                         vrrp_instance, list it inside 'group {{ … }}'",
                        g.name
                    ),
                )
            }
            _ => unknown_in(n, KWS, diags),
        }
    }
    if !saw_group {
        diags.error(
            &node.kw.loc,
            format!("vrrp_sync_group '{}' has no 'group' block", g.name),
        );
    }
    Some(g)
}
