//! Integer monotonic time. The daemon maps its own clock onto this; tests use any
//! value they like. Microseconds: the finest unit keepalived's timers use.

/// A point on a monotonic clock, in microseconds since an arbitrary origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub const fn from_micros(us: u64) -> Self {
        Timestamp(us)
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// `self + us`, saturating.
    pub const fn add_micros(self, us: u64) -> Self {
        Timestamp(self.0.saturating_add(us))
    }
    /// Microseconds from `earlier` to `self` (0 if `earlier` is later).
    pub const fn micros_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}
