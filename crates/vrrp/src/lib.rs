#![forbid(unsafe_code)]
//! VRRPv2/v3 (IPv4 and IPv6) for keepalived-rs: a panic-free packet codec and a sans-IO
//! per-instance state machine.
//!
//! The crate does no I/O and reads no clock. The daemon feeds [`Instance::handle`]
//! with inputs stamped by a [`Timestamp`], drains [`Instance::poll_action`] and
//! sleeps until [`Instance::poll_timeout`]. That keeps the election logic
//! deterministic and testable on a virtual clock.

pub mod instance;
pub mod packet;
pub mod time;

pub use instance::{
    Action, Input, Instance, InstanceConfig, State, StateChangeReason, Stats, Tuning,
};
pub use packet::{
    Advert, AdvertView, AuthData, DecodeError, EncodeError, Ipv4Meta, Ipv6Meta, VRRP_MCAST_V4,
    VRRP_MCAST_V6, VRRP_PROTO,
};
pub use time::Timestamp;
