//! Timer arithmetic: interval normalisation, Skew_Time, Master_Down_Interval.
//! All integer microseconds, so that results are exact and reproducible.

/// One second.
pub const SECOND_US: u64 = 1_000_000;
/// One centisecond: the resolution of the VRRPv3 interval field.
pub const CENTISECOND_US: u64 = 10_000;
/// Largest VRRPv3 interval: 12 bits of centiseconds (40.95 s).
pub const V3_MAX_INTERVAL_US: u64 = 4095 * CENTISECOND_US;
/// Largest VRRPv2 interval: one byte of seconds.
pub const V2_MAX_INTERVAL_US: u64 = 255 * SECOND_US;

/// Rounds a configured interval to what the version can carry, the way
/// keepalived does: v2 to whole seconds (half up, 0 → 1 s, ≥ 256 s → 255 s);
/// v3 to centiseconds (half up, 0 → 10 ms, > 40.95 s → 40.95 s).
pub fn normalise_interval(version: u8, us: u64) -> u64 {
    let unit = if version == 2 {
        SECOND_US
    } else {
        CENTISECOND_US
    };
    let max = if version == 2 {
        V2_MAX_INTERVAL_US
    } else {
        V3_MAX_INTERVAL_US
    };
    let rounded = us.saturating_add(unit / 2) / unit * unit;
    rounded.clamp(unit, max)
}

/// The interval as carried on the wire, in centiseconds (v2 adverts carry
/// `cs / 100` seconds).
pub fn interval_cs(us: u64) -> u16 {
    u16::try_from(us / CENTISECOND_US).unwrap_or(u16::MAX)
}

/// An advert's interval in µs. Zero is not a valid interval (RFC 5798 requires
/// at least 1 cs); it is raised to 1 cs so a bogus peer cannot make timers fire
/// immediately forever.
pub fn advert_interval_us(cs: u16) -> u64 {
    u64::from(cs).max(1) * CENTISECOND_US
}

/// Skew_Time. v2 (RFC 3768): `(256 − prio)/256` s whatever the interval;
/// v3 (RFC 5798): `(256 − prio) × Master_Adver_Interval / 256`.
pub fn skew_us(version: u8, priority: u8, master_adver_int_us: u64) -> u64 {
    let weight = 256 - u64::from(priority);
    let base = if version == 2 {
        SECOND_US
    } else {
        master_adver_int_us
    };
    weight.saturating_mul(base) / 256
}

/// Master_Down_Interval = `down_timer_adverts × Master_Adver_Interval + Skew_Time`.
pub fn master_down_us(
    version: u8,
    priority: u8,
    master_adver_int_us: u64,
    down_timer_adverts: u32,
) -> u64 {
    u64::from(down_timer_adverts)
        .saturating_mul(master_adver_int_us)
        .saturating_add(skew_us(version, priority, master_adver_int_us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_skew_is_independent_of_interval() {
        assert_eq!(skew_us(2, 100, SECOND_US), 609_375);
        assert_eq!(skew_us(2, 100, 5 * SECOND_US), 609_375);
        assert_eq!(master_down_us(2, 100, SECOND_US, 3), 3_609_375);
        assert_eq!(master_down_us(2, 100, 5 * SECOND_US, 3), 15_609_375);
        assert_eq!(skew_us(2, 255, SECOND_US), 3_906);
        assert_eq!(skew_us(2, 1, SECOND_US), 996_093);
    }

    #[test]
    fn v3_skew_scales() {
        assert_eq!(skew_us(3, 100, SECOND_US), 609_375);
        assert_eq!(skew_us(3, 100, 2 * SECOND_US), 1_218_750);
        assert_eq!(skew_us(3, 200, 500_000), 109_375);
        assert_eq!(master_down_us(3, 200, 500_000, 3), 1_609_375);
    }

    #[test]
    fn interval_normalisation() {
        assert_eq!(normalise_interval(2, 0), SECOND_US);
        assert_eq!(normalise_interval(2, 499_999), SECOND_US);
        assert_eq!(normalise_interval(2, 1_500_000), 2 * SECOND_US);
        assert_eq!(normalise_interval(2, 1_499_999), SECOND_US);
        assert_eq!(normalise_interval(2, 300 * SECOND_US), 255 * SECOND_US);
        assert_eq!(normalise_interval(3, 0), 10_000);
        assert_eq!(normalise_interval(3, 14_999), 10_000);
        assert_eq!(normalise_interval(3, 15_000), 20_000);
        assert_eq!(normalise_interval(3, 50 * SECOND_US), 40_950_000);
        assert_eq!(normalise_interval(3, u64::MAX), 40_950_000);
        assert_eq!(interval_cs(40_950_000), 4095);
        assert_eq!(advert_interval_us(0), 10_000);
    }
}
