//! Decimal numbers without floating point.
//!
//! keepalived reads times such as `advert_int 0.1` as decimal seconds and
//! converts them to integer units (`read_decimal_unsigned`).  Using floats would
//! make `0.1` not exactly 100 ms, so we parse the digits ourselves and scale to
//! an integer with a fixed number of fractional digits.

use nom::bytes::complete::take_while;
use nom::character::complete::char;
use nom::combinator::{all_consuming, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};

/// Why a decimal could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("not a decimal number")]
    Syntax,
    #[error("number too large")]
    Overflow,
}

/// A parsed decimal scaled to `10^-digits` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaled {
    /// The value in the requested unit (e.g. microseconds).
    pub value: u64,
    /// True when more fractional digits were given than the unit can hold and
    /// the value was rounded half-up (callers report this, like keepalived).
    pub rounded: bool,
}

fn digits(i: &str) -> IResult<&str, &str> {
    take_while(|c: char| c.is_ascii_digit())(i)
}

fn decimal_parts(i: &str) -> IResult<&str, (&str, Option<&str>)> {
    all_consuming((digits, opt(preceded(char('.'), digits)))).parse(i)
}

/// Parse an unsigned decimal `INT[.FRAC]` (also `.5` and `5.`) into units of
/// `10^-frac_digits`; `frac_digits` is at most 18.
pub fn parse_scaled(text: &str, frac_digits: u32) -> Result<Scaled, DecimalError> {
    let (_, (int, frac)) = decimal_parts(text).map_err(|_| DecimalError::Syntax)?;
    let frac = frac.unwrap_or("");
    if int.is_empty() && frac.is_empty() {
        return Err(DecimalError::Syntax);
    }
    let frac_digits = frac_digits.min(18);
    let scale = 10u64.pow(frac_digits);
    let mut value: u64 = 0;
    for b in int.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(DecimalError::Overflow)?;
    }
    value = value.checked_mul(scale).ok_or(DecimalError::Overflow)?;
    let fb = frac.as_bytes();
    let mut f: u64 = 0;
    for i in 0..frac_digits as usize {
        let d = fb.get(i).map_or(0, |b| u64::from(b - b'0'));
        f = f * 10 + d;
    }
    let mut rounded = false;
    if fb.len() > frac_digits as usize {
        rounded = true;
        if fb[frac_digits as usize] >= b'5' {
            f += 1;
        }
    }
    value = value.checked_add(f).ok_or(DecimalError::Overflow)?;
    Ok(Scaled { value, rounded })
}

/// Decimal seconds to microseconds (keepalived's timer resolution).
pub fn parse_seconds_us(text: &str) -> Result<Scaled, DecimalError> {
    parse_scaled(text, 6)
}

/// Render microseconds as decimal seconds without trailing zeros, for messages.
pub fn format_us(us: u64) -> String {
    let s = us / 1_000_000;
    let f = us % 1_000_000;
    if f == 0 {
        return s.to_string();
    }
    let frac = format!("{f:06}");
    format!("{s}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn us(s: &str) -> Option<(u64, bool)> {
        parse_seconds_us(s).ok().map(|v| (v.value, v.rounded))
    }

    #[test]
    fn basics() {
        assert_eq!(us("0.1"), Some((100_000, false)));
        assert_eq!(us("3.5"), Some((3_500_000, false)));
        assert_eq!(us("1"), Some((1_000_000, false)));
        assert_eq!(us("1."), Some((1_000_000, false)));
        assert_eq!(us(".25"), Some((250_000, false)));
        assert_eq!(us("0.000001"), Some((1, false)));
        assert_eq!(us("0.0000005"), Some((1, true)));
        assert_eq!(us("0.0000004"), Some((0, true)));
        assert_eq!(us("0.9999999"), Some((1_000_000, true)));
        assert_eq!(us(""), None);
        assert_eq!(us("."), None);
        assert_eq!(us("-1"), None);
        assert_eq!(us("1e3"), None);
        assert_eq!(us("10abc"), None);
        assert_eq!(us(" 1"), None);
        assert_eq!(
            parse_seconds_us("99999999999999999999"),
            Err(DecimalError::Overflow)
        );
    }

    #[test]
    fn formatting() {
        assert_eq!(format_us(100_000), "0.1");
        assert_eq!(format_us(3_000_000), "3");
        assert_eq!(format_us(40_950_000), "40.95");
    }

    proptest! {
        #[test]
        fn round_trip(s in 0u64..1_000_000_000, f in 0u64..1_000_000) {
            let text = format!("{s}.{f:06}");
            let got = parse_seconds_us(&text);
            prop_assert_eq!(got, Ok(Scaled { value: s * 1_000_000 + f, rounded: false }));
        }

        #[test]
        fn format_round_trip(v in 0u64..10_000_000_000_000) {
            let got = parse_seconds_us(&format_us(v));
            prop_assert_eq!(got, Ok(Scaled { value: v, rounded: false }));
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse_seconds_us(&s);
        }

        #[test]
        fn never_panics_digits(s in "[0-9.]{0,40}") {
            let _ = parse_seconds_us(&s);
        }
    }
}
