//! `vrrp_sync_group NAME { }` (reference §2.4).

use super::{Location, Script, TrackRef};

/// A sync group: its members change state together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    pub name: String,
    /// Member instance names, as written (unknown names and instances already
    /// in another group are removed with an error after parsing).
    pub members: Vec<String>,
    /// Where each member name was written (parallel to `members`).
    pub member_locations: Vec<Location>,
    /// `track_*` entries applied to every member.
    pub track: Vec<TrackRef>,
    pub notify_master: Option<Script>,
    pub notify_backup: Option<Script>,
    pub notify_fault: Option<Script>,
    pub notify_stop: Option<Script>,
    pub notify: Option<Script>,
    /// `smtp_alert [BOOL]`; `None` = the global value.
    pub smtp_alert: Option<bool>,
    /// `notify_priority_changes BOOL`; `None` = the global value.
    pub notify_priority_changes: Option<bool>,
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`):
    /// members keep their weighted trackers.
    pub tracking_weight: bool,
    pub location: Location,
}
