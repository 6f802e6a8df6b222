//! `virtual_rules` / `static_rules` entries (reference §2.9): the `ip rule`
//! grammar keepalived accepts, option names in full.  A bad value or unknown
//! word drops the rule with an error.

use crate::address::{ifname_value, prefix_value, ranged, small_uint};
use crate::diag::Diags;
use crate::model::{PortRange, Rule, RuleAction};
use crate::route::{protocol_value, realms_value, table_value};
use crate::tree::{Node, Word};
use nom::bytes::complete::take_while1;
use nom::character::complete::char;
use nom::combinator::{all_consuming, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};

const RULE_OPTS: &[&str] = &[
    "from",
    "to",
    "not",
    "iif",
    "oif",
    "tos",
    "dsfield",
    "fwmark",
    "priority",
    "preference",
    "order",
    "table",
    "lookup",
    "goto",
    "nop",
    "realms",
    "suppress_prefixlength",
    "suppress_ifgroup",
    "uidrange",
    "l3mdev",
    "protocol",
    "ipproto",
    "sport",
    "dport",
    "tunnel-id",
    "type",
    "inet",
    "inet6",
    "no_track",
    "track_group",
];

fn num(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric())(i)
}

/// `A[SEP B]` split by nom; both halves checked by the caller.
fn pair(sep: char) -> impl FnMut(&str) -> IResult<&str, (&str, Option<&str>)> {
    move |i| all_consuming((num, opt(preceded(char(sep), num)))).parse(i)
}

/// `fwmark V[/M]` (decimal or 0x hex).
fn fwmark_value(w: &Word, diags: &mut Diags) -> Option<(u32, Option<u32>)> {
    let u32v = |s: &str| {
        small_uint(s)
            .filter(|v| *v <= u64::from(u32::MAX))
            .map(|v| v as u32)
    };
    let r = pair('/')(&w.text).ok().and_then(|(_, (v, m))| {
        let v = u32v(v)?;
        match m {
            None => Some((v, None)),
            Some(m) => u32v(m).map(|m| (v, Some(m))),
        }
    });
    if r.is_none() {
        diags.error(
            &w.loc,
            format!("invalid fwmark '{}' (must be VALUE[/MASK], 32-bit)", w.text),
        );
    }
    r
}

/// `sport|dport N[-M]`, 0..65535, N ≤ M.
fn port_range(w: &Word, opt: &str, diags: &mut Diags) -> Option<PortRange> {
    let p = |s: &str| small_uint(s).filter(|v| *v <= 65535).map(|v| v as u16);
    let r = pair('-')(&w.text).ok().and_then(|(_, (a, b))| {
        let start = p(a)?;
        let end = match b {
            None => start,
            Some(b) => p(b)?,
        };
        (start <= end).then_some(PortRange { start, end })
    });
    if r.is_none() {
        diags.error(
            &w.loc,
            format!(
                "invalid {opt} '{}' (must be PORT or FIRST-LAST, 0..65535)",
                w.text
            ),
        );
    }
    r
}

/// `uidrange A-B`.
fn uidrange(w: &Word, diags: &mut Diags) -> Option<(u32, u32)> {
    let u = |s: &str| {
        small_uint(s)
            .filter(|v| *v <= u64::from(u32::MAX))
            .map(|v| v as u32)
    };
    let r = pair('-')(&w.text).ok().and_then(|(_, (a, b))| {
        let a = u(a)?;
        let b = u(b?)?;
        (a <= b).then_some((a, b))
    });
    if r.is_none() {
        diags.error(
            &w.loc,
            format!("invalid uidrange '{}' (must be FIRST-LAST uids)", w.text),
        );
    }
    r
}

/// `ipproto NAME|N`.
fn ipproto(w: &Word, diags: &mut Diags) -> Option<u8> {
    Some(match w.text.as_str() {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "dccp" => 33,
        "ipv6-icmp" | "icmpv6" => 58,
        "sctp" => 132,
        _ => return ranged(w, "ipproto", 0, 255, diags).map(|v| v as u8),
    })
}

/// Parse one rule entry; `None` (with an error) drops it.
pub(crate) fn parse_rule(e: &Node, bkw: &str, diags: &mut Diags) -> Option<Rule> {
    crate::semantic::no_block(e, diags);
    let stat = bkw == "static_rules";
    let words: Vec<&Word> = std::iter::once(&e.kw).chain(e.args.iter()).collect();
    let mut r = Rule::new(e.kw.loc.clone());
    let mut ok = true;
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let opt = w.text.as_str();
        i += 1;
        let takes_value = !matches!(
            opt,
            "not" | "nop" | "l3mdev" | "inet" | "inet6" | "no_track"
        ) && RULE_OPTS.contains(&opt);
        let v = if takes_value {
            let Some(v) = words.get(i) else {
                diags.error(&w.loc, format!("missing value for '{opt}' in {bkw} entry"));
                ok = false;
                break;
            };
            i += 1;
            Some(*v)
        } else {
            None
        };
        macro_rules! set {
            ($field:expr, $e:expr) => {
                match $e {
                    Some(x) => $field = Some(x),
                    None => ok = false,
                }
            };
        }
        match (opt, v) {
            ("from" | "to", Some(v)) => {
                let p = if v.text == "all" {
                    None
                } else {
                    match prefix_value(v, opt, diags) {
                        Some(p) => Some(p),
                        None => {
                            ok = false;
                            continue;
                        }
                    }
                };
                if opt == "from" {
                    r.from = p;
                } else {
                    r.to = p;
                }
            }
            ("not", _) => r.invert = true,
            ("iif", Some(v)) => set!(r.iif, ifname_value(v, "iif", diags)),
            ("oif", Some(v)) => set!(r.oif, ifname_value(v, "oif", diags)),
            ("tos" | "dsfield", Some(v)) => {
                set!(r.tos, ranged(v, opt, 0, 255, diags).map(|v| v as u8))
            }
            ("fwmark", Some(v)) => set!(r.fwmark, fwmark_value(v, diags)),
            ("priority" | "preference" | "order", Some(v)) => set!(
                r.priority,
                ranged(v, opt, 0, u64::from(u32::MAX), diags).map(|v| v as u32)
            ),
            ("table" | "lookup", Some(v)) => {
                set!(r.action, table_value(v, diags).map(RuleAction::Table))
            }
            ("goto", Some(v)) => set!(
                r.action,
                ranged(v, opt, 0, u64::from(u32::MAX), diags).map(|v| RuleAction::Goto(v as u32))
            ),
            ("nop", _) => r.action = Some(RuleAction::Nop),
            ("realms", Some(v)) => set!(r.realms, realms_value(v, diags)),
            ("suppress_prefixlength", Some(v)) => set!(
                r.suppress_prefixlength,
                ranged(v, opt, 0, 128, diags).map(|v| v as u32)
            ),
            ("suppress_ifgroup", Some(v)) => set!(
                r.suppress_ifgroup,
                ranged(v, opt, 0, u64::from(u32::MAX), diags).map(|v| v as u32)
            ),
            ("uidrange", Some(v)) => set!(r.uidrange, uidrange(v, diags)),
            ("l3mdev", _) => r.l3mdev = true,
            ("protocol", Some(v)) => set!(r.protocol, protocol_value(v, diags)),
            ("ipproto", Some(v)) => set!(r.ipproto, ipproto(v, diags)),
            ("sport", Some(v)) => set!(r.sport, port_range(v, opt, diags)),
            ("dport", Some(v)) => set!(r.dport, port_range(v, opt, diags)),
            ("tunnel-id", Some(v)) => set!(r.tunnel_id, ranged(v, opt, 0, u64::MAX, diags)),
            ("type", Some(v)) => {
                let a = match v.text.as_str() {
                    "blackhole" => Some(RuleAction::Blackhole),
                    "unreachable" => Some(RuleAction::Unreachable),
                    "prohibit" => Some(RuleAction::Prohibit),
                    "unicast" => r
                        .action
                        .clone()
                        .or(Some(RuleAction::Table(crate::model::RouteTable::Id(254)))),
                    _ => {
                        diags.error(
                            &v.loc,
                            format!(
                                "invalid type '{}' (must be unicast|blackhole|unreachable|prohibit)",
                                v.text
                            ),
                        );
                        None
                    }
                };
                set!(r.action, a);
            }
            ("inet", _) => r.family_v6 = Some(false),
            ("inet6", _) => r.family_v6 = Some(true),
            ("no_track", _) => r.no_track = true,
            ("track_group", Some(v)) => {
                if stat {
                    r.track_group = Some(v.text.clone());
                } else {
                    diags.error(
                        &w.loc,
                        format!("'track_group' is only valid in static_rules, not {bkw}"),
                    );
                    ok = false;
                }
            }
            _ => {
                let hint = crate::address::option_hint(opt, RULE_OPTS);
                diags.error(
                    &w.loc,
                    format!("unknown {bkw} option '{opt}' (options must be written in full){hint}"),
                );
                ok = false;
                // The entry is dropped; its remaining words would only
                // produce follow-on noise (the value of a misspelt option).
                break;
            }
        }
    }
    if ok {
        let fams: Vec<bool> = [r.from, r.to]
            .iter()
            .flatten()
            .map(|p| p.addr.is_ipv6())
            .chain(r.family_v6)
            .collect();
        if fams.windows(2).any(|p| p[0] != p[1]) {
            diags.error(&e.kw.loc, format!("{bkw} entry mixes address families"));
            ok = false;
        }
    }
    if !ok {
        diags.error(&e.kw.loc, format!("{bkw} entry '{}' ignored", e.kw.text));
        return None;
    }
    Some(r)
}

/// Parse a whole rules block.
pub(crate) fn parse_block(node: &Node, diags: &mut Diags) -> Vec<Rule> {
    let Some(b) = crate::semantic::require_block(node, diags) else {
        return Vec::new();
    };
    b.nodes
        .iter()
        .filter(|e| !e.kw.text.is_empty())
        .filter_map(|e| parse_rule(e, &node.kw.text, diags))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    fn w(t: &str) -> Word {
        Word {
            text: t.into(),
            loc: Location::default(),
        }
    }

    #[test]
    fn value_grammars() {
        let mut d = Diags::default();
        assert_eq!(fwmark_value(&w("0x10/0xff"), &mut d), Some((16, Some(255))));
        assert_eq!(fwmark_value(&w("7"), &mut d), Some((7, None)));
        assert_eq!(fwmark_value(&w("7/"), &mut d), None);
        assert_eq!(
            port_range(&w("80-443"), "dport", &mut d),
            Some(PortRange {
                start: 80,
                end: 443
            })
        );
        assert_eq!(port_range(&w("443-80"), "dport", &mut d), None);
        assert_eq!(uidrange(&w("0-4294967295"), &mut d), Some((0, u32::MAX)));
        assert_eq!(uidrange(&w("5"), &mut d), None);
        assert_eq!(ipproto(&w("udp"), &mut d), Some(17));
        assert_eq!(d.into_vec().len(), 3);
    }
}
