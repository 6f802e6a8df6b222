//! Per-instance counters (RFC 6527-style), cheap enough to bump per packet.

/// Counters since the instance was created. `adverts_received` counts every
/// advert handed to a running (BACKUP/MASTER) instance, including the ones a
/// `dropped_*` counter then rejects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub adverts_received: u64,
    pub adverts_sent: u64,
    pub became_master: u64,
    pub released_master: u64,
    pub priority_zero_received: u64,
    pub priority_zero_sent: u64,
    /// Multicast advert with TTL ≠ 255 (RFC 5798 §7.1: may be off-link).
    pub dropped_ttl: u64,
    pub dropped_version: u64,
    /// v2 authentication type or password mismatch.
    pub dropped_auth: u64,
    /// v2 advert interval ≠ ours (dropped, as keepalived does).
    pub dropped_interval: u64,
    /// Advert's address list differs from our VIPs (counted, still accepted).
    pub address_list_mismatch: u64,
    /// VRID is not ours: the daemon dispatched it wrongly.
    pub dropped_vrid: u64,
    /// Advert arrived while the instance was in `Initialize`.
    pub dropped_not_running: u64,
    /// v3 advert interval ≠ ours (logged only; a backup adopts it).
    pub interval_mismatch: u64,
    /// BACKUP ignored a lower-priority advert (so it will preempt).
    pub ignored_lower_priority: u64,
    /// MASTER answered a losing advert with its own ("forcing new election").
    pub master_rx_lower_priority: u64,
    /// Equal-priority advert carrying our own source address.
    pub own_address_ignored: u64,
    /// Dropped by an owner with `owner_ignore_adverts` ([`super::Tuning`]).
    pub owner_ignored: u64,
}
