//! Address entries of `virtual_ipaddress`, `virtual_ipaddress_excluded` and
//! `static_ipaddress` (reference §2.8), plus the small value grammars that
//! routes and rules share with them (addresses with prefixes, scopes,
//! interface names).

use crate::diag::Diags;
use crate::model::{Broadcast, IpPrefix, PreferredLft, Scope, VirtualIp};
use crate::tree::{Node, Word};
use nom::bytes::complete::take_while1;
use nom::character::complete::{char, digit1};
use nom::combinator::{all_consuming, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use std::net::IpAddr;

/// Which block an address entry is in; the options allowed differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddrBlock {
    Vip,
    Excluded,
    Static,
}

impl AddrBlock {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            AddrBlock::Vip => "virtual_ipaddress",
            AddrBlock::Excluded => "virtual_ipaddress_excluded",
            AddrBlock::Static => "static_ipaddress",
        }
    }
}

/// Options of an address entry, for "did you mean".
const ADDR_OPTS: &[&str] = &[
    "dev",
    "brd",
    "broadcast",
    "scope",
    "label",
    "peer",
    "home",
    "-nodad",
    "mngtmpaddr",
    "noprefixroute",
    "autojoin",
    "no_track",
    "preferred_lft",
    "use_vmac",
    "track_group",
];

fn addr_part(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_hexdigit() || c == '.' || c == ':')(i)
}

/// `ADDR[/LEN]` split by nom; the pieces are checked by the caller.
fn prefix_parts(i: &str) -> IResult<&str, (&str, Option<&str>)> {
    all_consuming((addr_part, opt(preceded(char('/'), digit1)))).parse(i)
}

/// Why `ADDR[/LEN]` was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrefixError {
    /// Not an address (with an optional `/digits`) at all.
    Syntax,
    /// The prefix length is above the family's maximum (given).
    Length(u8),
}

/// `ADDR[/LEN]`: the address, and the length if one was written.
/// The family comes from the text (a `:` means IPv6), as in keepalived.
pub(crate) fn parse_prefix(text: &str) -> Result<(IpAddr, Option<u8>), PrefixError> {
    let (_, (a, l)) = prefix_parts(text).map_err(|_| PrefixError::Syntax)?;
    let addr: IpAddr = a.parse().map_err(|_| PrefixError::Syntax)?;
    let max = max_len(&addr);
    let len = match l {
        None => None,
        Some(l) => match l.parse::<u16>() {
            Ok(v) if v <= u16::from(max) => Some(v as u8),
            _ => return Err(PrefixError::Length(max)),
        },
    };
    Ok((addr, len))
}

pub(crate) fn max_len(a: &IpAddr) -> u8 {
    if a.is_ipv4() {
        32
    } else {
        128
    }
}

/// `ADDR[/LEN]` as an [`IpPrefix`] (host length when none is written), with
/// an error naming `what` and the value.
pub(crate) fn prefix_value(w: &Word, what: &str, diags: &mut Diags) -> Option<IpPrefix> {
    match parse_prefix(&w.text) {
        Ok((addr, len)) => Some(IpPrefix {
            addr,
            len: len.unwrap_or(max_len(&addr)),
        }),
        Err(e) => {
            prefix_error(w, what, &e, diags);
            None
        }
    }
}

pub(crate) fn prefix_error(w: &Word, what: &str, e: &PrefixError, diags: &mut Diags) {
    let msg = match e {
        PrefixError::Syntax => format!("invalid {what} '{}' (not an IP address)", w.text),
        PrefixError::Length(max) => format!(
            "invalid {what} '{}' (prefix length must be 0..{max})",
            w.text
        ),
    };
    diags.error(&w.loc, msg);
}

/// A plain IP address value (no prefix).
pub(crate) fn ip_value(w: &Word, what: &str, diags: &mut Diags) -> Option<IpAddr> {
    match w.text.parse::<IpAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            diags.error(
                &w.loc,
                format!("invalid {what} '{}' (not an IP address)", w.text),
            );
            None
        }
    }
}

/// Linux interface names: 1..15 bytes, no `/`, blank or `:`-free not
/// required (aliases such as `eth0:1` are accepted by keepalived).
pub(crate) fn valid_ifname(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 16
        && s != "."
        && s != ".."
        && !s.bytes().any(|b| b == b'/' || b.is_ascii_whitespace())
}

/// An interface name value, with the rule in the message.
pub(crate) fn ifname_value(w: &Word, what: &str, diags: &mut Diags) -> Option<String> {
    if valid_ifname(&w.text) {
        Some(w.text.clone())
    } else {
        diags.error(
            &w.loc,
            format!(
                "invalid {what} '{}' (interface names are 1..15 characters without '/' or blanks)",
                w.text
            ),
        );
        None
    }
}

/// `scope global|site|link|host|nowhere|0..255`.
pub(crate) fn scope_value(w: &Word, diags: &mut Diags) -> Option<Scope> {
    let s = match w.text.as_str() {
        "global" | "universe" => Scope::Global,
        "site" => Scope::Site,
        "link" => Scope::Link,
        "host" => Scope::Host,
        "nowhere" => Scope::Nowhere,
        t => match small_uint(t).filter(|v| *v <= 255) {
            Some(0) => Scope::Global,
            Some(200) => Scope::Site,
            Some(253) => Scope::Link,
            Some(254) => Scope::Host,
            Some(255) => Scope::Nowhere,
            Some(v) => Scope::Other(v as u8),
            None => {
                diags.error(
                    &w.loc,
                    format!(
                        "invalid scope '{}' (must be global|site|link|host|nowhere or 0..255)",
                        w.text
                    ),
                );
                return None;
            }
        },
    };
    Some(s)
}

/// Unsigned decimal (or `0x` hex) without sign or trailing garbage.
pub(crate) fn small_uint(t: &str) -> Option<u64> {
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return u64::from_str_radix(h, 16).ok();
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// An unsigned value in `min..=max` for option `opt` of `what`, with the
/// range in the message.
pub(crate) fn ranged(w: &Word, opt: &str, min: u64, max: u64, diags: &mut Diags) -> Option<u64> {
    match small_uint(&w.text) {
        Some(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            diags.error(
                &w.loc,
                format!("invalid {opt} '{}' (must be {min}..{max})", w.text),
            );
            None
        }
    }
}

/// "; did you mean `X`?" for an unknown option word: an option it
/// abbreviates (keepalived accepts no abbreviations, unlike `ip`), else a
/// close spelling; empty when nothing fits.
pub(crate) fn option_hint(word: &str, opts: &[&str]) -> String {
    let abbrev = (word.len() >= 2)
        .then(|| {
            opts.iter()
                .find(|o| o.starts_with(word) && o.len() > word.len())
        })
        .flatten()
        .copied();
    abbrev
        .or_else(|| crate::suggest::did_you_mean(word, opts))
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// Parse one address entry.  `None` when the address itself is unusable
/// (the entry is dropped); bad options are reported and skipped, and the
/// address is kept, as keepalived does.
pub(crate) fn parse_entry(e: &Node, block: AddrBlock, diags: &mut Diags) -> Option<VirtualIp> {
    crate::semantic::no_block(e, diags);
    let bkw = block.keyword();
    let first = &e.kw;
    let (addr, len) = match parse_prefix(&first.text) {
        Ok(v) => v,
        Err(PrefixError::Syntax) => {
            diags.error(
                &first.loc,
                format!("invalid {bkw} '{}' - ignored", first.text),
            );
            return None;
        }
        Err(PrefixError::Length(max)) => {
            let p = first.text.split_once('/').map_or("", |(_, p)| p);
            diags.error(
                &first.loc,
                format!(
                    "invalid prefix length '{p}' in {bkw} '{}' (must be 0..{max}) - ignored",
                    first.text
                ),
            );
            return None;
        }
    };
    let v6 = addr.is_ipv6();
    let mut vip = VirtualIp::new(addr, len.unwrap_or(max_len(&addr)), first.loc.clone());
    // (option word, value word) pairs kept for the cross-option checks.
    let mut brd_word: Option<&Word> = None;
    let mut peer_word: Option<&Word> = None;
    let mut i = 0;
    let args = &e.args;
    while i < args.len() {
        let w = &args[i];
        let opt = w.text.as_str();
        let takes_value = matches!(
            opt,
            "dev"
                | "brd"
                | "broadcast"
                | "scope"
                | "label"
                | "peer"
                | "preferred_lft"
                | "track_group"
        );
        let value = if takes_value {
            let Some(v) = args.get(i + 1) else {
                diags.error(
                    &w.loc,
                    format!("missing value for '{opt}' in {bkw} '{}'", first.text),
                );
                break;
            };
            i += 2;
            v
        } else {
            i += 1;
            w
        };
        if block == AddrBlock::Vip && opt != "dev" && opt != "label" && ADDR_OPTS.contains(&opt) {
            // The daemon installs VIPs with address, prefix, dev and label only.
            diags.warn_once(
                &format!("\0vip:{opt}"),
                &w.loc,
                format!(
                    "virtual_ipaddress option '{opt}' is parsed but not yet supported by keepalived-rs (it has no effect yet)"
                ),
            );
        }
        match opt {
            "dev" => vip.dev = ifname_value(value, "dev", diags),
            "brd" | "broadcast" => {
                if v6 {
                    diags.warn(
                        &w.loc,
                        format!("'{opt}' ignored for IPv6 {bkw} '{}'", first.text),
                    );
                    continue;
                }
                let b = match value.text.as_str() {
                    "+" => Broadcast::HostBitsSet,
                    "-" => Broadcast::HostBitsClear,
                    t => match t.parse::<std::net::Ipv4Addr>() {
                        Ok(a) => Broadcast::Addr(a),
                        Err(_) => {
                            diags.error(
                                &value.loc,
                                format!(
                                    "invalid {opt} '{t}' in {bkw} '{}' (must be an IPv4 address, + or -)",
                                    first.text
                                ),
                            );
                            continue;
                        }
                    },
                };
                if matches!(b, Broadcast::HostBitsSet | Broadcast::HostBitsClear)
                    && vip.prefix_len > 30
                {
                    diags.error(
                        &value.loc,
                        format!(
                            "'{opt} {}' needs a prefix length of 30 or less, '{}' has /{} - ignored",
                            value.text, first.text, vip.prefix_len
                        ),
                    );
                    continue;
                }
                vip.broadcast = Some(b);
                brd_word = Some(w);
            }
            "scope" => {
                let Some(s) = scope_value(value, diags) else {
                    continue;
                };
                if v6 {
                    diags.warn(
                        &w.loc,
                        format!(
                            "scope '{}' ignored for IPv6 {bkw} '{}'",
                            value.text, first.text
                        ),
                    );
                } else {
                    vip.scope = Some(s);
                }
            }
            "label" => {
                if v6 {
                    diags.warn(
                        &w.loc,
                        format!(
                            "label '{}' ignored for IPv6 {bkw} '{}'",
                            value.text, first.text
                        ),
                    );
                } else if value.text.len() >= 16 {
                    diags.error(
                        &value.loc,
                        format!(
                            "invalid label '{}' in {bkw} '{}' (at most 15 characters) - ignored",
                            value.text, first.text
                        ),
                    );
                } else {
                    vip.label = Some(value.text.clone());
                }
            }
            "peer" => {
                let (pa, pl) = match parse_prefix(&value.text) {
                    Ok(v) => v,
                    Err(err) => {
                        prefix_error(value, "peer", &err, diags);
                        continue;
                    }
                };
                if pa.is_ipv6() != v6 {
                    diags.error(
                        &value.loc,
                        format!(
                            "peer '{}' is not the same family as {bkw} '{}' - ignored",
                            value.text, first.text
                        ),
                    );
                    continue;
                }
                vip.peer = Some((pa, pl.unwrap_or(max_len(&pa))));
                peer_word = Some(w);
            }
            "preferred_lft" => {
                if value.text == "forever" {
                    vip.preferred_lft = Some(PreferredLft::Forever);
                } else if let Some(v) =
                    ranged(value, "preferred_lft", 0, u64::from(u32::MAX), diags)
                {
                    vip.preferred_lft = Some(PreferredLft::Seconds(v as u32));
                }
            }
            "track_group" => {
                if block == AddrBlock::Static {
                    vip.track_group = Some(value.text.clone());
                } else {
                    diags.error(
                        &w.loc,
                        format!(
                            "'track_group' is only valid in static_ipaddress, not {bkw} ('{}') - ignored",
                            first.text
                        ),
                    );
                }
            }
            "home" => vip.home = true,
            "-nodad" => vip.nodad = true,
            "mngtmpaddr" => vip.mngtmpaddr = true,
            "noprefixroute" => vip.noprefixroute = true,
            "autojoin" => vip.autojoin = true,
            "no_track" => vip.no_track = true,
            "use_vmac" => {
                if block == AddrBlock::Static {
                    diags.error(
                        &w.loc,
                        format!(
                            "'use_vmac' is not valid in static_ipaddress ('{}') - ignored",
                            first.text
                        ),
                    );
                } else {
                    vip.use_vmac = true;
                }
            }
            _ => {
                let hint = option_hint(opt, ADDR_OPTS);
                diags.error(
                    &w.loc,
                    format!(
                        "unknown {bkw} option '{opt}' for '{}' - ignored (address kept){hint}",
                        first.text
                    ),
                );
            }
        }
    }
    if let Some(p) = peer_word {
        if let Some(b) = brd_word {
            diags.error(
                &b.loc,
                format!(
                    "'{}' cannot be combined with 'peer' in {bkw} '{}' - broadcast ignored",
                    b.text, first.text
                ),
            );
            vip.broadcast = None;
        }
        if len.is_some() {
            diags.error(
                &p.loc,
                format!(
                    "'peer' cannot be combined with a prefix length in {bkw} '{}' (put the prefix on the peer) - peer ignored",
                    first.text
                ),
            );
            vip.peer = None;
        }
    }
    Some(vip)
}

/// Parse every entry of an address block, dropping duplicates (same
/// address, prefix-independent, on the same device) with a warning.
pub(crate) fn parse_block(node: &Node, block: AddrBlock, diags: &mut Diags) -> Vec<VirtualIp> {
    let mut out: Vec<VirtualIp> = Vec::new();
    let Some(b) = crate::semantic::require_block(node, diags) else {
        return out;
    };
    if let Some(w) = node.args.first() {
        diags.warn(
            &w.loc,
            format!(
                "'{}' block has extra parameters ('{}') - ignored",
                node.kw.text, w.text
            ),
        );
    }
    for e in &b.nodes {
        if e.kw.text.is_empty() {
            continue;
        }
        let Some(vip) = parse_entry(e, block, diags) else {
            continue;
        };
        push_unique(&mut out, vip, block, diags);
    }
    out
}

/// `ADDR` or `ADDR/LEN` as it would be written (no host-length suffix).
fn shown(v: &VirtualIp) -> String {
    if v.prefix_len == max_len(&v.addr) {
        v.addr.to_string()
    } else {
        format!("{}/{}", v.addr, v.prefix_len)
    }
}

/// Add `vip` unless the same address on the same device is already there.
pub(crate) fn push_unique(
    out: &mut Vec<VirtualIp>,
    vip: VirtualIp,
    block: AddrBlock,
    diags: &mut Diags,
) {
    if let Some(prev) = out.iter().find(|v| v.addr == vip.addr && v.dev == vip.dev) {
        diags.warn(
            &vip.location,
            format!(
                "duplicate {} '{}' (first at {}) - ignored",
                block.keyword(),
                shown(&vip),
                prev.location
            ),
        );
        return;
    }
    out.push(vip);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn prefixes() {
        let v4 = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(parse_prefix("10.0.0.1"), Ok((v4, None)));
        assert_eq!(parse_prefix("10.0.0.1/24"), Ok((v4, Some(24))));
        assert_eq!(parse_prefix("10.0.0.1/33"), Err(PrefixError::Length(32)));
        assert_eq!(parse_prefix("fe80::1/129"), Err(PrefixError::Length(128)));
        assert!(matches!(
            parse_prefix("fe80::1/64"),
            Ok((IpAddr::V6(_), Some(64)))
        ));
        assert_eq!(parse_prefix("10.0.0.1/"), Err(PrefixError::Syntax));
        assert_eq!(parse_prefix("10.0.0.1/-1"), Err(PrefixError::Syntax));
        assert_eq!(parse_prefix("eth0"), Err(PrefixError::Syntax));
        assert_eq!(parse_prefix("10.0.0.256"), Err(PrefixError::Syntax));
        assert_eq!(parse_prefix(""), Err(PrefixError::Syntax));
    }

    #[test]
    fn numbers() {
        assert_eq!(small_uint("0x10"), Some(16));
        assert_eq!(small_uint("17"), Some(17));
        assert_eq!(small_uint("+1"), None);
        assert_eq!(small_uint("0x"), None);
        assert_eq!(small_uint("1k"), None);
    }

    #[test]
    fn ifnames() {
        assert!(valid_ifname("eth0"));
        assert!(valid_ifname("eth0:1"));
        assert!(!valid_ifname("abcdefghijklmnop"));
        assert!(!valid_ifname("a/b"));
        assert!(!valid_ifname(""));
    }
}
