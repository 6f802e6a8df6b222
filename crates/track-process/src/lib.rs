//! keepalived's `vrrp_track_process`, rebuilt.
//!
//! [`tracker`] is the sans-IO core: one [`tracker::Tracker`] per
//! `vrrp_track_process` block, fed process observations with an explicit time
//! and returning quorum status changes plus `poll_timeout()`. [`linux`] is the
//! event source: NETLINK_CONNECTOR process events and `/proc` scans, turned
//! into the [`event`] types the tracker consumes. The daemon glues the two.
#![deny(unsafe_code)]

pub mod event;
pub mod linux;
pub mod tracker;
