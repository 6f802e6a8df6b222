//! `virtual_rules` / `static_rules` entries (reference §2.9), in `ip rule`
//! terms.

use super::{IpPrefix, Location, RouteTable};

/// The action of a rule (`type` / `goto` / `nop` / a table lookup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    /// `table|lookup T` (the default action, with the `main` table if none).
    Table(RouteTable),
    /// `goto N`: jump to the rule with preference N.
    Goto(u32),
    /// `nop`.
    Nop,
    /// `type blackhole|unreachable|prohibit`.
    Blackhole,
    Unreachable,
    Prohibit,
}

/// A port or port range (`sport 80` / `dport 1000-2000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

/// One rule entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `from PREFIX|all`; `None` = all.
    pub from: Option<IpPrefix>,
    /// `to PREFIX|all`; `None` = all.
    pub to: Option<IpPrefix>,
    /// `not`: invert the selector.
    pub invert: bool,
    pub iif: Option<String>,
    pub oif: Option<String>,
    /// `tos|dsfield N`.
    pub tos: Option<u8>,
    /// `fwmark V[/M]`.
    pub fwmark: Option<(u32, Option<u32>)>,
    /// `priority|preference|order N`; `None` = assigned by the kernel.
    pub priority: Option<u32>,
    pub action: Option<RuleAction>,
    pub realms: Option<super::Realms>,
    pub suppress_prefixlength: Option<u32>,
    pub suppress_ifgroup: Option<u32>,
    /// `uidrange A-B`.
    pub uidrange: Option<(u32, u32)>,
    pub l3mdev: bool,
    pub protocol: Option<u8>,
    pub ipproto: Option<u8>,
    pub sport: Option<PortRange>,
    pub dport: Option<PortRange>,
    pub tunnel_id: Option<u64>,
    /// `inet|inet6` when given explicitly.
    pub family_v6: Option<bool>,
    pub no_track: bool,
    /// `track_group G` (static rules only).
    pub track_group: Option<String>,
    pub location: Location,
}

impl Rule {
    /// A rule with every selector at its default.
    pub fn new(location: Location) -> Self {
        Rule {
            from: None,
            to: None,
            invert: false,
            iif: None,
            oif: None,
            tos: None,
            fwmark: None,
            priority: None,
            action: None,
            realms: None,
            suppress_prefixlength: None,
            suppress_ifgroup: None,
            uidrange: None,
            l3mdev: false,
            protocol: None,
            ipproto: None,
            sport: None,
            dport: None,
            tunnel_id: None,
            family_v6: None,
            no_track: false,
            track_group: None,
            location,
        }
    }
}
