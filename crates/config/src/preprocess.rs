//! File layer: physical lines → token lines (reference §1.1, §1.4–1.7).
//!
//! Handles, per line and in keepalived's order: length/NUL checks, comments,
//! `@ID`/`@^ID` conditionals, `$NAME=` definitions (also multi-line), the
//! `~SEQ`/`~SEQx`/`~LST` loops, `$NAME`/`${NAME}` substitution, `include*`
//! and finally tokenizing.  Lines produced by expansions are fed back through
//! the same steps, as keepalived does.

use crate::diag::{Diags, Sources};
use crate::lexer::{self, Ch, Line};
use crate::model::{Location, SourcePath};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// keepalived reads lines into a 1024-byte buffer; longer lines are dropped.
const MAX_LINE: usize = 1024;
/// Bound on include nesting; keepalived has none, but a loop would never end.
const MAX_INCLUDE_DEPTH: usize = 32;
/// Bound on re-scans of one line after substitution (recursive definitions).
const MAX_EXPANSION_DEPTH: usize = 32;
/// Bound on the logical lines one physical line may expand into (all
/// `~SEQ`/`~LST`/definition expansions together); nesting could otherwise grow
/// exponentially (`$S=~SEQ(i,1,3) $S`).
const MAX_EXPANSIONS_PER_LINE: u32 = 100_000;
/// Bound on the number of lines one `~SEQ`/`~LST` may produce.
const MAX_LOOP_VALUES: i64 = 65_536;

/// Include problem classes (keepalived's `include_t`).
const INC_READ: u8 = 1;
const INC_MATCH: u8 = 2;
const INC_WILDCARD: u8 = 4;
const INC_BRACE: u8 = 8;
const INC_ALL: u8 = INC_READ | INC_MATCH | INC_WILDCARD | INC_BRACE;

/// `include_check` argument words and their bits.
const CHECK_WORDS: [(&str, u8); 4] = [
    ("read", INC_READ),
    ("match", INC_MATCH),
    ("wildcard_match", INC_WILDCARD),
    ("brace_match", INC_BRACE),
];

/// How to preprocess (from [`crate::LoadOptions`]).
pub(crate) struct Opts {
    pub config_id: Option<String>,
    pub all_config: bool,
    pub no_includes: bool,
}

/// Decode file bytes; keepalived works on bytes, we need UTF-8, so invalid
/// sequences are replaced and reported once.
pub(crate) fn decode(bytes: &[u8], name: &Path, diags: &mut Diags) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => {
            let before = &bytes[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let loc = Location {
                file: name.into(),
                line: u32::try_from(line).unwrap_or(u32::MAX),
                col: 1,
            };
            diags.warn(&loc, "file is not valid UTF-8; invalid bytes replaced");
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Receives each root node of the tree as soon as it is complete.
pub(crate) type RootSink<'s> = dyn FnMut(crate::tree::Node, &mut Diags) + 's;

/// Preprocess the main text, handing every root node to `sink` as soon as
/// its block is closed, so the whole tree never has to exist at once (the
/// tree of a 10,000-instance configuration is tens of megabytes). Returns
/// the text of every file read, for diagnostics.
pub(crate) fn run_streaming(
    text: &str,
    name: &Path,
    opts: &Opts,
    diags: &mut Diags,
    sink: &mut RootSink<'_>,
) -> Sources {
    let mut pp = Pre {
        sink,
        config_id: opts.config_id.clone(),
        defs: HashMap::new(),
        out: crate::tree::Builder::default(),
        diags,
        stack: Vec::new(),
        rng: seed(),
        budget: MAX_EXPANSIONS_PER_LINE,
        check: if opts.all_config { INC_ALL } else { 0 },
        all_config: opts.all_config,
        no_includes: opts.no_includes,
        sources: Sources::default(),
    };
    let canon = name.canonicalize().unwrap_or_else(|_| name.to_path_buf());
    pp.stack.push((canon, name.to_path_buf()));
    pp.sources.add(name, Arc::from(text));
    pp.file(text, name);
    for node in pp.out.finish(pp.diags) {
        (pp.sink)(node, pp.diags);
    }
    pp.sources
}

/// Where the current line comes from.
#[derive(Clone)]
struct Ctx {
    file: SourcePath,
    dir: PathBuf,
    line: u32,
}

impl Ctx {
    fn loc(&self, col: u32) -> Location {
        Location {
            file: self.file.clone(),
            line: self.line,
            col,
        }
    }
}

/// A multi-line `$NAME=… \` definition being collected.
struct PendingDef {
    name: String,
    lines: Vec<String>,
}

struct Pre<'a> {
    config_id: Option<String>,
    /// Definitions; a value is a list of lines (one for ordinary definitions).
    defs: HashMap<String, Vec<String>>,
    /// Lines go straight into the tree as they are produced.
    out: crate::tree::Builder,
    /// Completed root nodes go here at once.
    sink: &'a mut RootSink<'a>,
    diags: &'a mut Diags,
    /// Files being read, outermost first: canonical path (loop guard) and
    /// the path as shown in messages.
    stack: Vec<(PathBuf, PathBuf)>,
    rng: u64,
    /// Remaining expansions for the current physical line.
    budget: u32,
    /// `include_check` level (INC_* bits) in force; saved and restored
    /// around each included file, as keepalived does.
    check: u8,
    all_config: bool,
    no_includes: bool,
    sources: Sources,
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    t | 1
}

fn dir_of(name: &Path) -> PathBuf {
    match name.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn trim_start(chars: &[Ch]) -> &[Ch] {
    let s = chars
        .iter()
        .position(|c| !lexer::is_blank(c.c))
        .unwrap_or(chars.len());
    &chars[s..]
}

/// Whether the line's text starts with `prefix`.
fn starts_with(chars: &[Ch], prefix: &str) -> bool {
    let mut it = chars.iter();
    prefix.chars().all(|p| it.next().is_some_and(|c| c.c == p))
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Pre<'_> {
    fn file(&mut self, text: &str, name: &Path) {
        let mut ctx = Ctx {
            file: name.into(),
            dir: dir_of(name),
            line: 0,
        };
        let mut pending: Option<PendingDef> = None;
        for (idx, raw) in text.split('\n').enumerate() {
            ctx.line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.len() > MAX_LINE {
                self.diags.error(
                    &ctx.loc(1),
                    format!(
                        "line too long ({} bytes, limit {MAX_LINE}) - ignoring",
                        raw.len()
                    ),
                );
                continue;
            }
            if raw.contains('\0') {
                self.diags
                    .error(&ctx.loc(1), "line contains a NUL byte - ignoring");
                continue;
            }
            let d = lexer::decomment(&lexer::chars_of(raw));
            if let Some(col) = d.unterminated_quote {
                self.diags.error(&ctx.loc(col), "unterminated quote");
            }
            if let Some(mut p) = pending.take() {
                if d.chars.is_empty() {
                    self.defs.insert(p.name, p.lines);
                    continue;
                }
                let text = lexer::text_of(&d.chars);
                if let Some(body) = text.strip_suffix('\\') {
                    p.lines.push(body.trim_end().to_string());
                    pending = Some(p);
                } else {
                    p.lines.push(text);
                    self.defs.insert(p.name, p.lines);
                }
                continue;
            }
            if d.chars.is_empty() {
                continue;
            }
            let saved = std::mem::replace(&mut self.budget, MAX_EXPANSIONS_PER_LINE);
            pending = self.logical(d.chars, &ctx, 0);
            self.budget = saved;
        }
        if let Some(p) = pending {
            self.defs.insert(p.name, p.lines);
        }
    }

    /// Process one decommented logical line.  Returns a multi-line definition
    /// that continues on the next physical line, if this line started one.
    fn logical(&mut self, chars: Vec<Ch>, ctx: &Ctx, depth: usize) -> Option<PendingDef> {
        if self.budget == 0 {
            return None;
        }
        self.budget -= 1;
        if self.budget == 0 {
            let col = chars.first().map_or(1, |c| c.col);
            self.diags.error(
                &ctx.loc(col),
                format!(
                    "line expands into more than {MAX_EXPANSIONS_PER_LINE} lines - rest ignored"
                ),
            );
            return None;
        }
        if depth > MAX_EXPANSION_DEPTH {
            let col = chars.first().map_or(1, |c| c.col);
            self.diags.error(
                &ctx.loc(col),
                "definitions expand too deeply (recursive $ definition?) - line ignored",
            );
            return None;
        }
        let mut chars = chars;
        // §1.5 conditional prefix.
        if chars.first().is_some_and(|c| c.c == '@') {
            let end = chars
                .iter()
                .position(|c| c.c == ' ' || c.c == '\t')
                .unwrap_or(chars.len());
            let (neg, id) = match chars.get(1) {
                Some(c) if c.c == '^' => (true, lexer::text_of(&chars[2..end])),
                _ => (false, lexer::text_of(&chars[1..end])),
            };
            let rest = trim_start(&chars[end..]).to_vec();
            if rest.is_empty() {
                return None;
            }
            let matches = self.config_id.as_deref() == Some(id.as_str());
            if matches == neg {
                return None;
            }
            chars = rest;
        }
        // §1.6 definition.
        if chars.first().is_some_and(|c| c.c == '$') {
            if let Some(p) = self.definition(&chars) {
                return p;
            }
        }
        // §1.7 loops.
        if chars.first().is_some_and(|c| c.c == '~') {
            let text = lexer::text_of(&chars);
            if text.starts_with("~SEQ(") || text.starts_with("~SEQx(") || text.starts_with("~LST(")
            {
                self.loop_line(&chars, ctx, depth);
                return None;
            }
        }
        // §1.6 substitution.
        if chars.iter().any(|c| c.c == '$' && !c.lit) {
            let (new, extra, changed) = self.substitute(&chars, ctx);
            if changed {
                let d = lexer::decomment(&new);
                if !d.chars.is_empty() {
                    let p = self.logical(d.chars, ctx, depth + 1);
                    self.finish_pending(p, ctx);
                }
                for line in extra {
                    let d = lexer::decomment(&line);
                    if !d.chars.is_empty() {
                        let p = self.logical(d.chars, ctx, depth + 1);
                        self.finish_pending(p, ctx);
                    }
                }
                return None;
            }
        }
        // §1.4 include.
        if self.include_line(&chars, ctx) {
            return None;
        }
        self.include_check_line(&chars, ctx);
        // An unmatched quote was already reported as unterminated by decomment.
        let t = lexer::tokenize(&chars, &ctx.file, ctx.line);
        if !t.tokens.is_empty() {
            self.out.push_line(
                Line {
                    tokens: t.tokens,
                    chars,
                },
                self.diags,
            );
            for node in self.out.take_ready() {
                (self.sink)(node, self.diags);
            }
        }
        None
    }

    /// A multi-line definition started inside an expansion has no following
    /// physical lines to continue on; store what it has.
    fn finish_pending(&mut self, p: Option<PendingDef>, ctx: &Ctx) {
        if let Some(p) = p {
            self.diags.warn(
                &ctx.loc(1),
                format!(
                    "multi-line definition '${}' produced by an expansion ends here",
                    p.name
                ),
            );
            self.defs.insert(p.name, p.lines);
        }
    }

    /// `$NAME=VALUE`.  Returns `None` when the line is not a definition,
    /// `Some(pending)` when it was one.
    fn definition(&mut self, chars: &[Ch]) -> Option<Option<PendingDef>> {
        let text = lexer::text_of(chars);
        let body = text.strip_prefix('$')?;
        let mut it = body.char_indices();
        let (_, first) = it.next()?;
        if !is_name_start(first) {
            return None;
        }
        let end = body
            .char_indices()
            .find(|&(_, c)| !is_name_char(c))
            .map_or(body.len(), |(i, _)| i);
        let (name, rest) = body.split_at(end);
        let value = rest.strip_prefix('=')?;
        let value = value.trim_start_matches([' ', '\t']);
        if let Some(v) = value.strip_suffix('\\') {
            let v = v.trim_end();
            let lines = if v.is_empty() {
                Vec::new()
            } else {
                vec![v.to_string()]
            };
            return Some(Some(PendingDef {
                name: name.to_string(),
                lines,
            }));
        }
        self.defs.insert(name.to_string(), vec![value.to_string()]);
        Some(None)
    }

    /// Value of a definition reference `NAME ARGS…`; `None` = leave untouched.
    fn lookup(&mut self, name: &str, args: &[&str], ctx: &Ctx) -> Option<Vec<String>> {
        if let Some(v) = self.defs.get(name) {
            return Some(v.clone());
        }
        let one = |s: String| Some(vec![s]);
        match name {
            "_PWD" => one(ctx
                .dir
                .canonicalize()
                .unwrap_or_else(|_| ctx.dir.clone())
                .display()
                .to_string()),
            "_INSTANCE" => one(self.config_id.clone().unwrap_or_default()),
            "_HASH" => one("#".into()),
            "_BANG" => one("!".into()),
            "_ENV" => one(args
                .first()
                .and_then(|v| std::env::var(v).ok())
                .unwrap_or_default()),
            "_RANDOM" => {
                let min = args
                    .first()
                    .and_then(|a| a.parse::<i64>().ok())
                    .unwrap_or(0);
                let max = args
                    .get(1)
                    .and_then(|a| a.parse::<i64>().ok())
                    .unwrap_or(32767);
                // xorshift64: only needs to be "some number", as in keepalived.
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 7;
                self.rng ^= self.rng << 17;
                let span = max.saturating_sub(min).saturating_add(1).max(1) as u64;
                one(min.saturating_add((self.rng % span) as i64).to_string())
            }
            _ => None,
        }
    }

    /// One pass of `$NAME` / `${NAME args}` replacement.  Returns the new line,
    /// extra lines from a multi-line definition used last on the line, and
    /// whether anything changed.
    fn substitute(&mut self, chars: &[Ch], ctx: &Ctx) -> (Vec<Ch>, Vec<Vec<Ch>>, bool) {
        let mut out: Vec<Ch> = Vec::with_capacity(chars.len());
        let mut extra = Vec::new();
        let mut changed = false;
        let mut i = 0;
        while i < chars.len() {
            let ch = chars[i];
            if ch.c != '$' || ch.lit {
                out.push(ch);
                i += 1;
                continue;
            }
            // Find the reference.
            let (name, args, end) = if chars.get(i + 1).is_some_and(|c| c.c == '{') {
                match chars[i + 2..].iter().position(|c| c.c == '}') {
                    Some(p) => {
                        let inner = lexer::text_of(&chars[i + 2..i + 2 + p]);
                        let mut words = inner.split_whitespace();
                        let name = words.next().unwrap_or("").to_string();
                        let args: Vec<String> = words.map(str::to_string).collect();
                        (name, args, i + 3 + p)
                    }
                    None => (String::new(), Vec::new(), i + 1),
                }
            } else {
                let mut j = i + 1;
                while j < chars.len() && is_name_char(chars[j].c) {
                    j += 1;
                }
                let ok_end = chars
                    .get(j)
                    .is_none_or(|c| lexer::is_blank(c.c) || c.c == ',' || c.c == ')');
                let name = lexer::text_of(&chars[i + 1..j]);
                if ok_end && name.chars().next().is_some_and(is_name_start) {
                    (name, Vec::new(), j)
                } else {
                    (String::new(), Vec::new(), i + 1)
                }
            };
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let value = if name.is_empty() {
                None
            } else {
                self.lookup(&name, &argv, ctx)
            };
            let Some(value) = value else {
                out.extend_from_slice(&chars[i..end]);
                i = end;
                continue;
            };
            changed = true;
            let mk = |s: &str| -> Vec<Ch> {
                s.chars()
                    .map(|c| Ch {
                        c,
                        col: ch.col,
                        lit: false,
                    })
                    .collect()
            };
            let last_on_line = chars[end..].iter().all(|c| lexer::is_blank(c.c));
            if value.len() > 1 && last_on_line {
                out.extend(mk(&value[0]));
                extra.extend(value[1..].iter().map(|l| mk(l)));
            } else {
                out.extend(mk(&value.join(" ")));
            }
            i = end;
        }
        // keepalived's limit is on bytes (its line buffer), not characters.
        let bytes: usize = out.iter().map(|c| c.c.len_utf8()).sum();
        if bytes > MAX_LINE {
            self.diags.error(
                &ctx.loc(chars.first().map_or(1, |c| c.col)),
                format!(
                    "line too long after substitution ({bytes} bytes, limit {MAX_LINE}) - \
                     substitution refused"
                ),
            );
            return (chars.to_vec(), Vec::new(), false);
        }
        (out, extra, changed)
    }

    /// `~SEQ(var, …)`, `~SEQx(var, …)`, `~LST(var, v…)`: emit the rest of the
    /// line once per value.
    fn loop_line(&mut self, chars: &[Ch], ctx: &Ctx, depth: usize) {
        let loc = ctx.loc(chars.first().map_or(1, |c| c.col));
        let open = chars.iter().position(|c| c.c == '(').unwrap_or(0);
        let kind = lexer::text_of(&chars[1..open]);
        // Matching ')' (LST values may contain braces, not parentheses).
        let Some(close) = chars.iter().position(|c| c.c == ')') else {
            self.diags.error(&loc, format!("~{kind}: missing ')'"));
            return;
        };
        let inner = lexer::text_of(&chars[open + 1..close]);
        let rest = trim_start(&chars[close + 1..]).to_vec();
        let args = split_top_commas(&inner);
        let mut runs: Vec<Vec<(String, String)>> = Vec::new();
        if kind == "LST" {
            let Some(vars) = args.first() else {
                self.diags.error(&loc, "~LST: missing variable");
                return;
            };
            let vars = brace_list(vars);
            for v in &args[1..] {
                let vals = brace_list(v);
                runs.push(
                    vars.iter()
                        .enumerate()
                        .map(|(k, n)| (n.clone(), vals.get(k).cloned().unwrap_or_default()))
                        .collect(),
                );
            }
        } else {
            let hex = kind == "SEQx";
            let Some(var) = args.first().cloned() else {
                self.diags.error(&loc, format!("~{kind}: missing variable"));
                return;
            };
            let mut nums = Vec::new();
            for a in &args[1..] {
                let (v, _, _) = self.substitute(&lexer::chars_of(a), ctx);
                let s = lexer::text_of(&v);
                match parse_c_long(s.trim()) {
                    Some(n) => nums.push(n),
                    None => {
                        self.diags
                            .error(&loc, format!("~{kind}: invalid number '{}'", s.trim()));
                        return;
                    }
                }
            }
            let (start, step, end) = match nums.as_slice() {
                [end] => {
                    let e = *end;
                    (if e < 0 { -1 } else { 1 }, if e < 1 { -1 } else { 1 }, e)
                }
                [s, e] => (*s, if e < s { -1 } else { 1 }, *e),
                [s, st, e] => (*s, *st, *e),
                _ => {
                    self.diags.error(
                        &loc,
                        format!("~{kind}: needs 1 to 3 numbers after the variable"),
                    );
                    return;
                }
            };
            if step == 0 || (step > 0 && end < start) || (step < 0 && end > start) {
                self.diags.error(
                    &loc,
                    format!("~{kind}: step {step} never reaches {end} from {start}"),
                );
                return;
            }
            let count = (i128::from(end) - i128::from(start)) / i128::from(step) + 1;
            if count > i128::from(MAX_LOOP_VALUES) {
                self.diags
                    .error(&loc, format!("~{kind}: too many values ({count})"));
                return;
            }
            if hex && (start < 0 || end < 0) {
                self.diags
                    .error(&loc, "~SEQx: negative values are not allowed");
                return;
            }
            let mut v = start;
            for _ in 0..count {
                let s = if hex { format!("{v:x}") } else { v.to_string() };
                runs.push(vec![(var.clone(), s)]);
                v += step;
            }
        }
        for run in runs {
            for (n, v) in run {
                self.defs.insert(n, vec![v]);
            }
            if !rest.is_empty() {
                let p = self.logical(rest.clone(), ctx, depth + 1);
                self.finish_pending(p, ctx);
            }
        }
    }

    /// `include_check [[+|-]read|match|wildcard_match|brace_match …]`
    /// (a `global_defs` keyword) changes how later includes report problems,
    /// so it must be seen here, in text order; the line still goes on to the
    /// `global_defs` parser.  No argument sets every check; a word without a
    /// sign replaces the level (the first one clears it), `+`/`-` add/remove.
    fn include_check_line(&mut self, chars: &[Ch], ctx: &Ctx) {
        if !starts_with(chars, "include_check") {
            return;
        }
        let t = lexer::tokenize(chars, &ctx.file, ctx.line);
        let mut words = t.tokens.iter().filter_map(|tok| match &tok.kind {
            lexer::TokKind::Word(w) => Some((w.as_str(), &tok.loc)),
            _ => None,
        });
        if !matches!(words.next(), Some(("include_check", _))) {
            return;
        }
        let args: Vec<(&str, &Location)> = words.collect();
        if self.all_config {
            return;
        }
        if args.is_empty() {
            self.check = INC_ALL;
            return;
        }
        let mut cleared = false;
        for (w, loc) in args {
            let (sign, name) = match w.as_bytes().first() {
                Some(b'+') => (Some(true), &w[1..]),
                Some(b'-') => (Some(false), &w[1..]),
                _ => (None, w),
            };
            let Some(&(_, bit)) = CHECK_WORDS.iter().find(|(n, _)| *n == name) else {
                let names: Vec<&str> = CHECK_WORDS.iter().map(|(n, _)| *n).collect();
                let hint = crate::suggest::did_you_mean(name, &names)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                self.diags.error(
                    loc,
                    format!(
                        "include_check: unknown check '{w}' - ignored (expected {}{hint})",
                        names.join(", ")
                    ),
                );
                continue;
            };
            match sign {
                Some(true) => self.check |= bit,
                Some(false) => self.check &= !bit,
                None => {
                    if !cleared {
                        self.check = 0;
                        cleared = true;
                    }
                    self.check |= bit;
                }
            }
        }
    }

    /// Handle `include*` lines; returns true if the line was one.
    fn include_line(&mut self, chars: &[Ch], ctx: &Ctx) -> bool {
        // Cheap test first: this runs for every line of the configuration.
        if !starts_with(chars, "include") {
            return false;
        }
        let text = lexer::text_of(chars);
        let word_end = text.find(lexer::is_blank).unwrap_or(text.len());
        let flags = match &text[..word_end] {
            "include" => 0,
            "includer" => INC_READ,
            "includem" => INC_READ | INC_MATCH,
            "includew" => INC_READ | INC_MATCH | INC_WILDCARD,
            "includeb" => INC_READ | INC_BRACE,
            "includea" => INC_READ | INC_MATCH | INC_WILDCARD | INC_BRACE,
            _ => return false,
        };
        let loc = ctx.loc(chars.first().map_or(1, |c| c.col));
        let mut pattern = text[word_end..].trim();
        if pattern.len() >= 2 && pattern.starts_with('"') && pattern.ends_with('"') {
            pattern = &pattern[1..pattern.len() - 1];
        }
        if pattern.is_empty() {
            self.diags.fatal(
                &loc,
                format!("missing parameter for '{}'", &text[..word_end]),
            );
            return true;
        }
        if self.no_includes {
            self.diags.warn(
                &loc,
                format!("include '{pattern}' not read (includes disabled)"),
            );
            return true;
        }
        self.include(pattern, flags | self.check, ctx, &loc);
        true
    }

    fn include(&mut self, pattern: &str, flags: u8, ctx: &Ctx, loc: &Location) {
        // Flagged problems are keepalived's CONFIG_FILE_NOT_FOUND, a "cannot
        // run" class; unflagged ones are only logged there.
        let sev = |bit: u8| {
            if flags & bit != 0 {
                crate::Severity::Fatal
            } else {
                crate::Severity::Warning
            }
        };
        let alts = expand_braces(pattern);
        let has_wild = pattern.contains(['*', '?', '[']);
        let mut files = Vec::new();
        for alt in &alts {
            let full = if Path::new(alt).is_absolute() {
                alt.clone()
            } else {
                let dir = glob::Pattern::escape(&ctx.dir.to_string_lossy());
                format!("{dir}/{alt}")
            };
            let mut found: Vec<PathBuf> = match glob::glob(&full) {
                Ok(paths) => paths.filter_map(Result::ok).collect(),
                Err(e) => {
                    self.diags
                        .error(loc, format!("invalid include pattern '{pattern}': {e}"));
                    continue;
                }
            };
            found.sort();
            if found.is_empty() && alts.len() > 1 {
                self.diags.push(
                    sev(INC_BRACE),
                    loc,
                    format!("include '{pattern}': alternative '{alt}' matches no file"),
                );
            }
            files.extend(found);
        }
        if files.is_empty() {
            let bit = if has_wild { INC_WILDCARD } else { INC_MATCH };
            self.diags.push(
                sev(bit),
                loc,
                format!("include '{pattern}': no file matches"),
            );
            return;
        }
        for path in files {
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    self.diags.push(
                        sev(INC_READ),
                        loc,
                        format!("include '{}': {e}", path.display()),
                    );
                    continue;
                }
            };
            if !meta.is_file() {
                self.diags.push(
                    sev(INC_READ),
                    loc,
                    format!("include '{}': not a regular file - skipped", path.display()),
                );
                continue;
            }
            if is_executable(&meta) {
                self.diags.push(
                    sev(INC_READ),
                    loc,
                    format!(
                        "include '{}': file has an execute bit set - skipped",
                        path.display()
                    ),
                );
                continue;
            }
            let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
            if let Some(pos) = self.stack.iter().position(|(c, _)| *c == canon) {
                let chain: Vec<String> = self.stack[pos..]
                    .iter()
                    .map(|(_, shown)| shown.display().to_string())
                    .chain(std::iter::once(path.display().to_string()))
                    .collect();
                self.diags.error(
                    loc,
                    format!(
                        "include '{}': include loop ({}) - skipped",
                        path.display(),
                        chain.join(" -> ")
                    ),
                );
                continue;
            }
            if self.stack.len() > MAX_INCLUDE_DEPTH {
                self.diags.error(
                    loc,
                    format!("include '{}': includes nested more than {MAX_INCLUDE_DEPTH} deep - skipped", path.display()),
                );
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    self.diags.push(
                        sev(INC_READ),
                        loc,
                        format!("include '{}': {e}", path.display()),
                    );
                    continue;
                }
            };
            let text: Arc<str> = Arc::from(decode(&bytes, &path, self.diags));
            self.sources.add(&path, Arc::clone(&text));
            self.stack.push((canon, path.clone()));
            let saved = self.check;
            self.file(&text, &path);
            self.check = saved;
            self.stack.pop();
        }
    }
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// `strtol(…, 0)`: decimal, `0x` hex or leading-`0` octal, optional sign.
fn parse_c_long(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Split at commas that are not inside `{…}`, trimming each piece.
fn split_top_commas(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// `{a,b}` → `[a, b]`; a plain word → `[word]`.
fn brace_list(s: &str) -> Vec<String> {
    match s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        Some(inner) => inner.split(',').map(|p| p.trim().to_string()).collect(),
        None => vec![s.to_string()],
    }
}

/// csh-style brace expansion (`a{b,c}d` → `abd`, `acd`), as glob's
/// GLOB_BRACE does; the Rust `glob` crate has no such option.
pub(crate) fn expand_braces(pattern: &str) -> Vec<String> {
    expand_braces_capped(pattern, MAX_BRACE_ALTERNATIVES)
}

/// Bound on brace alternatives, so `{a,b}{a,b}…` cannot explode.
const MAX_BRACE_ALTERNATIVES: usize = 1024;

fn expand_braces_capped(pattern: &str, cap: usize) -> Vec<String> {
    let bytes: Vec<char> = pattern.chars().collect();
    // First '{' that has a matching '}' with a top-level ',' inside.
    for (start, &c) in bytes.iter().enumerate() {
        if c != '{' {
            continue;
        }
        let mut depth = 0usize;
        let mut commas = Vec::new();
        let mut end = None;
        for (j, &d) in bytes.iter().enumerate().skip(start) {
            match d {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
                ',' if depth == 1 => commas.push(j),
                _ => {}
            }
        }
        let Some(end) = end else { continue };
        if commas.is_empty() {
            continue;
        }
        let prefix: String = bytes[..start].iter().collect();
        let suffix: String = bytes[end + 1..].iter().collect();
        let mut bounds = vec![start];
        bounds.extend(commas);
        bounds.push(end);
        let mut out = Vec::new();
        for w in bounds.windows(2) {
            if out.len() >= cap {
                return out;
            }
            let part: String = bytes[w[0] + 1..w[1]].iter().collect();
            for e in expand_braces_capped(&format!("{prefix}{part}{suffix}"), cap) {
                if out.len() >= cap {
                    return out;
                }
                out.push(e);
            }
        }
        return out;
    }
    vec![pattern.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces() {
        assert_eq!(expand_braces("a{b,c}d"), ["abd", "acd"]);
        assert_eq!(
            expand_braces("x/{1,2}/{a,b}.conf"),
            ["x/1/a.conf", "x/1/b.conf", "x/2/a.conf", "x/2/b.conf"]
        );
        assert_eq!(expand_braces("plain"), ["plain"]);
        assert_eq!(expand_braces("{single}"), ["{single}"]);
        assert_eq!(expand_braces("a{b,{c,d}}"), ["ab", "ac", "ad"]);
        assert_eq!(expand_braces("a{"), ["a{"]);
    }

    #[test]
    fn c_long() {
        assert_eq!(parse_c_long("10"), Some(10));
        assert_eq!(parse_c_long("0x10"), Some(16));
        assert_eq!(parse_c_long("010"), Some(8));
        assert_eq!(parse_c_long("-3"), Some(-3));
        assert_eq!(parse_c_long("x"), None);
    }
}
