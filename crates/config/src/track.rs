//! Tracker entries inside instance and sync-group blocks (reference §2.10):
//! `track_interface`, `track_script`, `track_file`, `track_process`,
//! `track_bfd`, each entry `NAME [weight W [reverse|noreverse]]`.
//!
//! Whether the named tracker exists is checked later (crate::checks), because
//! the same entries are used by instances and by sync groups.

use crate::diag::Diags;
use crate::model::{TrackKind, TrackRef};
use crate::tree::{Node, Word};

/// The keyword of the block holding entries of `kind`, for messages.
pub(crate) fn block_keyword(kind: TrackKind) -> &'static str {
    match kind {
        TrackKind::Interface => "track_interface",
        TrackKind::Script => "track_script",
        TrackKind::File => "track_file",
        TrackKind::Process => "track_process",
        TrackKind::Bfd => "track_bfd",
    }
}

/// The `track_*` block keyword to its kind.
pub(crate) fn kind_of(kw: &str) -> Option<TrackKind> {
    Some(match kw {
        "track_interface" => TrackKind::Interface,
        "track_script" => TrackKind::Script,
        "track_file" => TrackKind::File,
        "track_process" => TrackKind::Process,
        "track_bfd" => TrackKind::Bfd,
        _ => return None,
    })
}

/// Accepted weight range per kind. keepalived reads interface/script/process
/// weights as −254..254 and file weights as −254..254 too; BFD as −253..253.
fn weight_range(kind: TrackKind) -> (i32, i32) {
    match kind {
        TrackKind::Bfd => (-253, 253),
        _ => (-254, 254),
    }
}

/// Whether ±254 is pulled back to ±253 (with a warning), as keepalived does
/// for interfaces and scripts: a tracker alone must not be able to move a
/// priority-1 instance to 255 (owner) or a 255 one to 0.
fn clamps_254(kind: TrackKind) -> bool {
    matches!(kind, TrackKind::Interface | TrackKind::Script)
}

/// Signed decimal, base 10, optional sign, no trailing garbage.
fn int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

/// Parse one `track_*` block of an instance or sync group.
///
/// Bad options are dropped with an error and the entry kept (keepalived does
/// the same: "... - ignoring" refers to the option, not the entry).
/// Duplicate names are dropped with a warning, keeping the first.
pub(crate) fn parse_track_block(kind: TrackKind, node: &Node, diags: &mut Diags) -> Vec<TrackRef> {
    let bkw = block_keyword(kind);
    let mut out: Vec<TrackRef> = Vec::new();
    let Some(block) = crate::semantic::require_block(node, diags) else {
        return out;
    };
    if let Some(w) = node.args.first() {
        diags.error(
            &w.loc,
            format!("{bkw}: unexpected '{}' before '{{' - ignored", w.text),
        );
    }
    for e in &block.nodes {
        if e.kw.text.is_empty() {
            continue;
        }
        if let Some(b) = &e.block {
            diags.error(
                &b.loc,
                format!(
                    "{bkw} entry '{}' cannot have a '{{' block - block ignored",
                    e.kw.text
                ),
            );
        }
        let Some(r) = entry(kind, e, diags) else {
            continue;
        };
        if let Some(first) = out.iter().find(|t| t.name == r.name) {
            diags.warn(
                &r.location,
                format!(
                    "duplicate {bkw} entry '{}' (first at {}) - ignored",
                    r.name, first.location
                ),
            );
            continue;
        }
        out.push(r);
    }
    out
}

/// One entry line.
fn entry(kind: TrackKind, e: &Node, diags: &mut Diags) -> Option<TrackRef> {
    let bkw = block_keyword(kind);
    let name = &e.kw;
    let mut r = TrackRef {
        kind,
        name: name.text.clone(),
        weight: None,
        reverse: None,
        location: name.loc.clone(),
    };
    if kind == TrackKind::Interface && name.text.len() >= 16 {
        diags.error(
            &name.loc,
            format!(
                "{bkw}: interface name '{}' is longer than 15 characters - entry ignored",
                name.text
            ),
        );
        return None;
    }
    let mut args = e.args.iter();
    let Some(first) = args.next() else {
        return Some(r);
    };
    if first.text != "weight" {
        diags.error(
            &first.loc,
            format!(
                "{bkw} '{}': unknown option '{}' (expected 'weight W') - ignored",
                name.text, first.text
            ),
        );
        return Some(r);
    }
    let Some(w) = args.next() else {
        diags.error(
            &first.loc,
            format!("{bkw} '{}': 'weight' without a value - ignored", name.text),
        );
        return Some(r);
    };
    r.weight = weight(kind, &name.text, w, diags);
    if r.weight.is_none() {
        // keepalived ignores the rest of the entry once the weight is bad.
        return Some(r);
    }
    if let Some(opt) = args.next() {
        match opt.text.as_str() {
            "reverse" => r.reverse = Some(true),
            // keepalived accepts `noreverse` for every kind but interfaces.
            "noreverse" if kind != TrackKind::Interface => r.reverse = Some(false),
            _ => {
                let allowed = if kind == TrackKind::Interface {
                    "reverse"
                } else {
                    "reverse|noreverse"
                };
                diags.error(
                    &opt.loc,
                    format!(
                        "{bkw} '{}': unknown weight option '{}' (expected {allowed}) - ignored",
                        name.text, opt.text
                    ),
                );
            }
        }
    }
    if let Some(extra) = args.next() {
        diags.error(
            &extra.loc,
            format!(
                "{bkw} '{}': unexpected '{}' after the weight - ignored",
                name.text, extra.text
            ),
        );
    }
    Some(r)
}

/// The weight value, range-checked for `kind`.
fn weight(kind: TrackKind, name: &str, w: &Word, diags: &mut Diags) -> Option<i32> {
    let bkw = block_keyword(kind);
    let (min, max) = weight_range(kind);
    let v = match int(&w.text) {
        Some(v) if (i64::from(min)..=i64::from(max)).contains(&v) => v as i32,
        _ => {
            diags.error(
                &w.loc,
                format!(
                    "{bkw} '{name}': invalid weight '{}' (must be {min}..{max}) - ignored",
                    w.text
                ),
            );
            return None;
        }
    };
    if clamps_254(kind) && v.abs() == 254 {
        let nv = v.signum() * 253;
        diags.warn(
            &w.loc,
            format!("{bkw} '{name}': weight {v} cannot be +/-254; using {nv}"),
        );
        return Some(nv);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer;
    use std::path::Path;

    /// Token lines of `text` (no includes or definitions), as the tree
    /// builder's own tests make them.
    pub(crate) fn lines_of(text: &str) -> Vec<lexer::Line> {
        let mut lines = Vec::new();
        for (i, l) in text.lines().enumerate() {
            let d = lexer::decomment(&lexer::chars_of(l));
            let t = lexer::tokenize(&d.chars, Path::new("f"), i as u32 + 1);
            if !t.tokens.is_empty() {
                lines.push(lexer::Line {
                    tokens: t.tokens,
                    chars: d.chars,
                });
            }
        }
        lines
    }

    /// Parse `kw {\n entry\n entry ...}` through the real pipeline; entry i
    /// is on line i+2, words at their source columns.
    fn run(kind: TrackKind, entries: &[&str]) -> (Vec<TrackRef>, Vec<String>) {
        let mut text = format!("{} {{\n", block_keyword(kind));
        for e in entries {
            text.push_str(e);
            text.push('\n');
        }
        text.push_str("}\n");
        let mut d = Diags::default();
        let nodes = crate::tree::build(lines_of(&text), &mut d);
        let mut r = Vec::new();
        for n in &nodes {
            r.extend(parse_track_block(kind, n, &mut d));
        }
        (r, d.into_vec().iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn plain_and_weighted() {
        let (r, m) = run(
            TrackKind::Script,
            &[
                "chk",
                "a weight -5",
                "b weight 7 reverse",
                "c weight 3 noreverse",
            ],
        );
        assert!(m.is_empty(), "{m:?}");
        let got: Vec<_> = r
            .iter()
            .map(|t| (t.name.as_str(), t.weight, t.reverse))
            .collect();
        assert_eq!(
            got,
            [
                ("chk", None, None),
                ("a", Some(-5), None),
                ("b", Some(7), Some(true)),
                ("c", Some(3), Some(false)),
            ]
        );
    }

    #[test]
    fn weight_254_is_clamped_for_interface_and_script_only() {
        let (r, m) = run(TrackKind::Interface, &["eth0 weight -254"]);
        assert_eq!(r[0].weight, Some(-253));
        assert_eq!(
            m,
            ["f:2:13: warning: track_interface 'eth0': weight -254 cannot be +/-254; using -253"]
        );
        let (r, m) = run(TrackKind::File, &["f weight 254"]);
        assert_eq!(r[0].weight, Some(254));
        assert!(m.is_empty());
        let (r, _) = run(TrackKind::Process, &["p weight 254"]);
        assert_eq!(r[0].weight, Some(254));
    }

    #[test]
    fn bad_weights() {
        let (r, m) = run(TrackKind::Bfd, &["b weight 254", "c weight 3x", "d weight"]);
        assert_eq!(r.len(), 3);
        assert!(r.iter().all(|t| t.weight.is_none()));
        assert_eq!(
            m,
            [
                "f:2:10: error: track_bfd 'b': invalid weight '254' (must be -253..253) - ignored",
                "f:3:10: error: track_bfd 'c': invalid weight '3x' (must be -253..253) - ignored",
                "f:4:3: error: track_bfd 'd': 'weight' without a value - ignored",
            ]
        );
    }

    #[test]
    fn options_and_duplicates() {
        let (r, m) = run(
            TrackKind::Interface,
            &[
                "eth0 weight 2 noreverse",
                "eth1 foo",
                "eth0",
                "eth2 weight 1 reverse x",
            ],
        );
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].weight, Some(2));
        assert_eq!(r[0].reverse, None);
        assert_eq!(
            m,
            [
                "f:2:15: error: track_interface 'eth0': unknown weight option 'noreverse' (expected reverse) - ignored",
                "f:3:6: error: track_interface 'eth1': unknown option 'foo' (expected 'weight W') - ignored",
                "f:4:1: warning: duplicate track_interface entry 'eth0' (first at f:2:1) - ignored",
                "f:5:23: error: track_interface 'eth2': unexpected 'x' after the weight - ignored",
            ]
        );
    }
}
