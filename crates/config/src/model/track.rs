//! Tracker references (`track_interface`, `track_script`, `track_file`,
//! `track_process`, `track_bfd` entries) as written in an instance or sync group.

use super::Location;

/// Which kind of tracker an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackKind {
    Interface,
    Script,
    File,
    Process,
    Bfd,
}

/// One entry of a `track_*` block: `NAME [weight W [reverse|noreverse]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    pub kind: TrackKind,
    /// Interface name or the name of the vrrp_script / track_file /
    /// vrrp_track_process / bfd_instance block.
    pub name: String,
    /// `weight W`; `None` = the tracker's own default.
    pub weight: Option<i32>,
    /// `reverse` (`Some(true)`), `noreverse` (`Some(false)`), or the default.
    pub reverse: Option<bool>,
    pub location: Location,
}
