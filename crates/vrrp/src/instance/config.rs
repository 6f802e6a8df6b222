//! Per-instance configuration and the keepalived rules that normalise it.

use std::net::IpAddr;

use super::timing;
use crate::packet::AuthData;

/// What one `vrrp_instance` block means to the protocol engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    pub name: String,
    pub vrid: u8,
    /// 2 or 3.
    pub version: u8,
    /// Base priority, 1..=255; 255 = address owner.
    pub priority: u8,
    pub advert_int_us: u64,
    /// `false` = keepalived `nopreempt`.
    pub preempt: bool,
    pub preempt_delay_us: u64,
    /// keepalived `state MASTER`.
    pub start_as_master: bool,
    /// v2 only.
    pub auth: AuthData,
    /// Addresses carried in adverts and installed as MASTER; all of the
    /// instance's family (the family of `local_addr`).
    pub vips: Vec<IpAddr>,
    /// Our source address: the one the IP tie-break compares against (for
    /// IPv6, the interface's link-local address adverts are sent from).
    pub local_addr: IpAddr,
    pub garp_master_delay_us: u64,
    pub garp_master_repeat: u32,
    /// Adverts missed before the master is declared down (keepalived: 1..=100,
    /// default 3).
    pub down_timer_adverts: u32,
}

impl InstanceConfig {
    /// A configuration with keepalived's defaults (v2, priority 100, 1 s,
    /// preempt, GARP 5 × after 5 s, 3 adverts), for tests and tools.
    /// Takes IPv4 or IPv6 addresses (`Ipv4Addr`, `Ipv6Addr` or `IpAddr`).
    pub fn with_defaults<A: Into<IpAddr>>(
        name: &str,
        vrid: u8,
        local_addr: impl Into<IpAddr>,
        vips: Vec<A>,
    ) -> Self {
        InstanceConfig {
            name: name.to_owned(),
            vrid,
            version: 2,
            priority: 100,
            advert_int_us: timing::SECOND_US,
            preempt: true,
            preempt_delay_us: 0,
            start_as_master: false,
            auth: AuthData::None,
            vips: vips.into_iter().map(Into::into).collect(),
            local_addr: local_addr.into(),
            garp_master_delay_us: 5 * timing::SECOND_US,
            garp_master_repeat: 5,
            down_timer_adverts: 3,
        }
    }

    /// Whether the instance runs over IPv6 (its source address is IPv6).
    pub fn is_ipv6(&self) -> bool {
        self.local_addr.is_ipv6()
    }

    /// Applies keepalived's completion rules so the engine never sees a value
    /// it cannot put on the wire. Each change is logged at warn level; the
    /// config crate should already have made (and reported) the same ones.
    pub fn normalised(mut self) -> Self {
        let name = self.name.clone();
        let fix = |what: &str| tracing::warn!(instance = %name, "{what}");
        if self.version != 2 && self.version != 3 {
            fix("VRRP version must be 2 or 3: using 2");
            self.version = 2;
        }
        if self.priority == 0 {
            fix("priority 0 is reserved: using 100");
            self.priority = 100;
        }
        let int = timing::normalise_interval(self.version, self.advert_int_us);
        if int != self.advert_int_us {
            fix("advert interval not representable for this version: rounded");
            self.advert_int_us = int;
        }
        if self.version == 3 && self.auth != AuthData::None {
            fix("authentication is VRRPv2 only: removed");
            self.auth = AuthData::None;
        }
        if self.down_timer_adverts == 0 {
            fix("down_timer_adverts 0 is invalid: using 3");
            self.down_timer_adverts = 3;
        } else if self.down_timer_adverts > 100 {
            fix("down_timer_adverts above 100: using 100");
            self.down_timer_adverts = 100;
        }
        if !self.preempt && (self.priority == 255 || self.start_as_master) {
            fix("nopreempt ignored for an address owner or state MASTER");
            self.preempt = true;
        }
        if self.preempt_delay_us > 0 && (self.start_as_master || !self.preempt) {
            fix("preempt_delay ignored with state MASTER or nopreempt");
            self.preempt_delay_us = 0;
        }
        self
    }
}
