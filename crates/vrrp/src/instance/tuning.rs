//! Optional keepalived knobs beyond the core RFC behaviour. They live apart
//! from [`super::InstanceConfig`] so that adding one never breaks code that
//! builds a configuration literal.

/// keepalived per-instance options that change how a MASTER reacts to other
/// routers' adverts. The default is plain RFC 5798 plus keepalived's "forcing
/// new election" advert, i.e. what [`super::Instance::new`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tuning {
    /// `lower_prio_no_advert`: do not answer a losing advert with our own
    /// (strict mode sets this).
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`: send one advert before yielding to a
    /// winning peer, so that it learns about us at once.
    pub higher_prio_send_advert: bool,
    /// `garp_lower_prio_repeat`: GARPs per VIP sent when a losing advert is
    /// heard as MASTER (0 = none).
    pub garp_lower_prio_repeat: u32,
    /// `garp_lower_prio_delay`: the same burst again after this delay (0 = no
    /// second burst). A burst already scheduled is not postponed by more
    /// losing adverts.
    pub garp_lower_prio_delay_us: u64,
    /// `owner_ignore_adverts`: an address owner (priority 255) drops every
    /// advert it receives. Ignored for non-owners.
    pub owner_ignore_adverts: bool,
}
