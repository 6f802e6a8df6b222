//! Typed model from the keyword tree: root level dispatch and shared helpers.

use crate::diag::Diags;
use crate::global;
use crate::model::Config;
use crate::tree::{Block, Node, Word};
use crate::vrrp;

/// Root keywords keepalived knows that keepalived-rs does not implement yet.
/// Their blocks are skipped with brace counting and one warning per keyword.
const UNSUPPORTED_ROOTS: &[&str] = &[];

/// Build the configuration and run the cross-instance checks.
/// The `global_defs` values as they stand after the whole file: keepalived
/// applies most of them to instances only after reading everything, so the
/// loader reads every `global_defs` block in a first pass (its diagnostics are
/// dropped: the real pass reports them) to complete instances as they come.
pub(crate) fn final_global(global_blocks: &[Node]) -> crate::model::GlobalDefs {
    let mut g = crate::model::GlobalDefs::default();
    let mut scratch = Diags::default();
    for n in global_blocks {
        if let Some(block) = &n.block {
            global::parse(block, &mut g, &mut scratch);
        }
    }
    g
}

/// Builds the model from root nodes handed over one at a time, so each
/// block is freed as soon as it is parsed: peak memory is the model, not the
/// model plus the tree.
pub(crate) struct Semantic {
    config: Config,
    order: crate::checks::Order,
    completer: vrrp::Completer,
    /// Instance names seen so far, for the duplicate-name check.
    names: std::collections::HashMap<String, crate::model::Location>,
}

impl Semantic {
    pub(crate) fn new(final_global: crate::model::GlobalDefs) -> Self {
        Semantic {
            config: Config::default(),
            order: crate::checks::Order::default(),
            completer: vrrp::Completer::new(final_global),
            names: std::collections::HashMap::new(),
        }
    }

    /// One root node, in file order.
    pub(crate) fn node(&mut self, node: Node, diags: &mut Diags) {
        let Semantic {
            config,
            order,
            completer,
            names,
        } = self;
        order.push(&node.kw.loc);
        let node = &node;
        let kw = node.kw.text.as_str();
        match kw {
            // A '{' with no keyword, already reported by the tree builder.
            "" => {}
            "global_defs" => {
                if let Some(block) = require_block(node, diags) {
                    global::parse(block, &mut config.global, diags);
                }
            }
            "static_ipaddress" | "static_routes" | "static_rules" => {
                crate::static_cfg::parse(node, config, diags)
            }
            "vrrp_instance" => {
                if let Some(b) = vrrp::parse(node, &config.global, names, diags) {
                    names.insert(b.name().to_string(), b.location().clone());
                    completer.add(b, &mut config.instances, diags);
                }
            }
            _ if crate::trackers::ROOTS.contains(&kw) => crate::trackers::root(node, config, diags),
            _ if UNSUPPORTED_ROOTS.contains(&kw) => not_supported(node, diags),
            _ => unknown_in(node, &crate::trackers::root_candidates(), diags),
        }
    }

    /// The cross-object checks, once everything is read.
    pub(crate) fn finish(mut self, diags: &mut Diags) -> Config {
        // Drop what only the streaming pass needed before the checks build
        // their own indexes, and return the growth slack of the instance list.
        drop(std::mem::take(&mut self.names));
        self.config.instances.shrink_to_fit();
        crate::checks::run(&self.order, &mut self.config, diags);
        self.config
    }
}

/// "Unknown keyword", plus a louder note when it owns a block.
///
/// keepalived does *not* skip the block of an unknown keyword: it reports the
/// `{` as unexpected and parses the lines inside as keywords of the enclosing
/// level, and the block's `}` then closes the enclosing block (§1.3, §10.4).
/// We deliberately skip the whole block instead and say so, because copying
/// that behaviour silently changes what later lines mean.
#[allow(dead_code)] // for blocks that have no keyword list yet
pub(crate) fn unknown(node: &Node, diags: &mut Diags) {
    unknown_in(node, &[], diags);
}

/// [`unknown`] with the keywords of the enclosing block, for "did you mean".
/// keepalived reports unknown keywords as errors (`-t` exits 5), and so do we.
pub(crate) fn unknown_in(node: &Node, candidates: &[&str], diags: &mut Diags) {
    let kw = &node.kw.text;
    let hint = crate::suggest::did_you_mean(kw, candidates)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    if node.block.is_some() {
        diags.error(
            &node.kw.loc,
            format!(
                "unknown keyword '{kw}' with a '{{' block: the whole block is skipped \
                 (keepalived would instead read its contents as part of the enclosing block){hint}"
            ),
        );
    } else {
        diags.error(&node.kw.loc, format!("unknown keyword '{kw}'{hint}"));
    }
}

/// A known keyword that keepalived-rs ignores; warned once per keyword.
pub(crate) fn not_supported(node: &Node, diags: &mut Diags) {
    let kw = &node.kw.text;
    diags.warn_once(
        kw,
        &node.kw.loc,
        format!("'{kw}' is not yet supported by keepalived-rs and is ignored"),
    );
}

/// The block of a block keyword; reports its absence.
pub(crate) fn require_block<'a>(node: &'a Node, diags: &mut Diags) -> Option<&'a Block> {
    if node.block.is_none() {
        diags.error(
            &node.kw.loc,
            format!(
                "missing '{{' at the beginning of the '{}' block",
                node.kw.text
            ),
        );
    }
    node.block.as_ref()
}

/// Report a block after a keyword that takes none (keepalived: "Unexpected '{'").
pub(crate) fn no_block(node: &Node, diags: &mut Diags) {
    if let Some(b) = &node.block {
        diags.error(
            &b.loc,
            format!("unexpected '{{' after '{}' - block ignored", node.kw.text),
        );
    }
}

/// The first argument of a keyword that needs a value.
///
/// keepalived exits the process (status 2) when a mandatory parameter is
/// missing (`null_strvec`), so this is reported as [`crate::Severity::Fatal`];
/// we carry on parsing to show every other problem too.
pub(crate) fn need_arg<'a>(node: &'a Node, diags: &mut Diags) -> Option<&'a Word> {
    no_block(node, diags);
    let a = node.args.first();
    if a.is_none() {
        diags.fatal(
            &node.kw.loc,
            format!("missing parameter for '{}'", node.kw.text),
        );
    }
    a
}

/// Unsigned integer in `min..=max`, base 10, no sign, no trailing garbage.
///
/// keepalived accepts `10abc` as 10 with a warning at runtime but rejects it
/// under `-t`; we always reject it, which is the safer of the two.
pub(crate) fn uint(word: &Word, kw: &str, min: u64, max: u64, diags: &mut Diags) -> Option<u64> {
    uint_or(word, kw, min, max, "", diags)
}

/// [`uint`] whose error message ends with `suffix` (e.g. "; using 100").
pub(crate) fn uint_or(
    word: &Word,
    kw: &str,
    min: u64,
    max: u64,
    suffix: &str,
    diags: &mut Diags,
) -> Option<u64> {
    let ok = !word.text.is_empty() && word.text.bytes().all(|b| b.is_ascii_digit());
    let v = if ok {
        word.text.parse::<u64>().ok()
    } else {
        None
    };
    match v {
        Some(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            diags.error(
                &word.loc,
                format!(
                    "invalid {kw} '{}' (must be {min}..{max}){suffix}",
                    word.text
                ),
            );
            None
        }
    }
}

/// Decimal seconds in `min_us..=max_us`, as integer microseconds.
pub(crate) fn seconds(
    word: &Word,
    kw: &str,
    min_us: u64,
    max_us: u64,
    diags: &mut Diags,
) -> Option<u64> {
    let range = format!(
        "must be {}..{} seconds",
        crate::decimal::format_us(min_us),
        crate::decimal::format_us(max_us)
    );
    match crate::decimal::parse_seconds_us(&word.text) {
        Ok(s) if (min_us..=max_us).contains(&s.value) => {
            if s.rounded {
                diags.error(
                    &word.loc,
                    format!(
                        "{kw} '{}' has more than 6 decimal places; rounded to {}",
                        word.text,
                        crate::decimal::format_us(s.value)
                    ),
                );
            }
            Some(s.value)
        }
        _ => {
            diags.error(&word.loc, format!("invalid {kw} '{}' ({range})", word.text));
            None
        }
    }
}

/// keepalived's `[BOOL]`: a bare keyword is true.
pub(crate) fn opt_bool(node: &Node, diags: &mut Diags) -> Option<bool> {
    no_block(node, diags);
    let Some(w) = node.args.first() else {
        return Some(true);
    };
    match w.text.as_str() {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => {
            diags.error(
                &w.loc,
                format!(
                    "invalid {} '{}' (must be on|off|true|false|yes|no)",
                    node.kw.text, w.text
                ),
            );
            None
        }
    }
}
