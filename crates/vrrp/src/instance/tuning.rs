//! keepalived options that change the protocol engine's behaviour beyond
//! RFC 5798. They have no place in [`super::InstanceConfig`] (which mirrors
//! the RFC's per-instance variables), and all default to "off".

/// Optional keepalived behaviours. The default is RFC 5798 plus keepalived's "forcing
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
    /// `garp_master_refresh`: while MASTER, repeat a GARP burst this often, so
    /// that switches and hosts whose caches expired keep pointing at us
    /// (0 = off). The first refresh is due `garp_master_delay + refresh` after
    /// becoming MASTER, i.e. one period after the delayed second burst.
    pub garp_master_refresh_us: u64,
    /// `garp_master_refresh_repeat`: GARPs per VIP in each refresh burst.
    /// keepalived's default is 1; 0 disables the refresh like a zero period.
    pub garp_master_refresh_repeat: u32,
    /// The instance belongs to a `vrrp_sync_group`. It then never becomes
    /// MASTER on its own: where it would (down timer expiry, preemption,
    /// priority-0 skew, owner start-up) it emits
    /// [`super::Action::WantMaster`] and waits for the daemon's group logic to
    /// feed [`super::Input::SyncMaster`], because keepalived moves a group to
    /// MASTER only when every member wants it.
    pub sync_member: bool,
    /// How the checksum of VRRPv3 adverts over IPv4 is computed and checked
    /// (`v3_checksum_as_v2`, `old_unicast_checksum`). Applied by the daemon,
    /// which checks it before the advert reaches the instance (the VRID is
    /// needed to find the policy), and by [`super::Instance::encode_advert_ipv4`].
    pub checksum: crate::packet::ChecksumPolicy,
}
