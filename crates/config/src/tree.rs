//! Block layer: token lines → keyword tree (reference §1.3).
//!
//! Every run of words on one line up to a brace is one [`Node`] (keyword plus
//! arguments).  A node directly followed by `{` — on the same line or a later
//! one — owns the block up to the matching `}`.  Building is iterative, so
//! deeply nested input cannot overflow the stack, and nesting is bounded.

use crate::diag::Diags;
use crate::lexer::{self, Line, TokKind};
use crate::model::Location;

/// Deeper nesting is skipped with one error; real configs use 3–4 levels.
const MAX_DEPTH: usize = 64;

/// A word with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    pub loc: Location,
}

/// `keyword args… [{ children }]`.  A node with an empty keyword stands for a
/// `{` that followed no keyword (already reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub kw: Word,
    pub args: Vec<Word>,
    /// See [`Node::raw_args`]; `None` when it is just `args` joined by
    /// single spaces, which is almost always, so most nodes allocate nothing.
    pub raw: Option<Box<str>>,
    /// Column where the raw arguments start (the keyword's when empty).
    pub raw_col: u32,
    pub block: Option<Block>,
}

impl Node {
    /// The line's text after the keyword, up to the next brace outside
    /// double quotes, trimmed; comments already stripped and `$NAME`s
    /// substituted.  Script keywords re-split this with keepalived's
    /// second tokenizer (see `script.rs`), which the word split cannot
    /// reproduce (`'…'` grouping, adjacent pieces joined).
    pub(crate) fn raw_args(&self) -> std::borrow::Cow<'_, str> {
        match &self.raw {
            Some(r) => std::borrow::Cow::Borrowed(r),
            None => {
                let words: Vec<&str> = self.args.iter().map(|w| w.text.as_str()).collect();
                std::borrow::Cow::Owned(words.join(" "))
            }
        }
    }

    /// Where [`Node::raw_args`] starts.
    pub(crate) fn raw_loc(&self) -> Location {
        Location {
            col: self.raw_col,
            ..self.kw.loc.clone()
        }
    }
}

/// The `{ … }` part of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// Location of the `{`.
    pub loc: Location,
    pub nodes: Vec<Node>,
}

struct Frame {
    owner: Node,
    open: Location,
    nodes: Vec<Node>,
}

/// Build the tree; brace problems are reported here.
#[cfg(test)]
pub(crate) fn build(lines: Vec<Line>, diags: &mut Diags) -> Vec<Node> {
    let mut b = Builder::default();
    for line in lines {
        b.push_line(line, diags);
    }
    b.finish(diags)
}

/// Incremental tree building: the preprocessor hands over each logical line
/// as soon as it is tokenized, so the per-character line buffers never pile
/// up (a 10,000-instance configuration would otherwise hold ~100 MB of them).
#[derive(Default)]
pub(crate) struct Builder {
    root: Vec<Node>,
    frames: Vec<Frame>,
    /// A node that may still take a following `{`.
    can_open: bool,
    /// `{`s beyond MAX_DEPTH still open.
    overflow: usize,
}

impl Builder {
    /// Add one logical line.
    pub(crate) fn push_line(&mut self, line: Line, diags: &mut Diags) {
        let Builder {
            root,
            frames,
            can_open,
            overflow,
        } = self;
        let Line { tokens, chars } = line;
        let mut seg: Vec<Word> = Vec::new();
        // Char index where the current segment's keyword ends.
        let mut kw_end = 0usize;
        let mut toks = tokens.into_iter().peekable();
        while let Some(tok) = toks.next() {
            match tok.kind {
                TokKind::Word(text) => {
                    if seg.is_empty() {
                        kw_end = tok.end;
                    }
                    seg.push(Word { text, loc: tok.loc });
                    let next = toks.peek();
                    let seg_ends = !matches!(next, Some(t) if matches!(t.kind, TokKind::Word(_)));
                    if seg_ends {
                        let seg_end = next.map_or(chars.len(), |t| t.start);
                        if *overflow == 0 {
                            let mut words = std::mem::take(&mut seg).into_iter();
                            if let Some(kw) = words.next() {
                                // Exact capacity: the tree of a big config
                                // holds hundreds of thousands of these.
                                let mut args = Vec::with_capacity(words.len());
                                args.extend(words);
                                let (raw, raw_col) = raw_after(&chars, kw_end, seg_end, &kw, &args);
                                let node = Node {
                                    kw,
                                    args,
                                    raw,
                                    raw_col,
                                    block: None,
                                };
                                current(root, frames).push(node);
                                *can_open = true;
                            }
                        } else {
                            seg.clear();
                        }
                    }
                }
                TokKind::Open => {
                    if *overflow > 0 || frames.len() >= MAX_DEPTH {
                        if *overflow == 0 {
                            diags.error(
                                &tok.loc,
                                format!(
                                    "blocks nested more than {MAX_DEPTH} deep - contents skipped"
                                ),
                            );
                        }
                        *overflow += 1;
                        continue;
                    }
                    let owner = if *can_open {
                        current(root, frames).pop()
                    } else {
                        None
                    };
                    let owner = owner.unwrap_or_else(|| {
                        diags.error(
                            &tok.loc,
                            "unexpected '{' (no keyword before it) - block contents ignored",
                        );
                        Node {
                            kw: Word {
                                text: String::new(),
                                loc: tok.loc.clone(),
                            },
                            args: Vec::new(),
                            raw: None,
                            raw_col: tok.loc.col,
                            block: None,
                        }
                    });
                    frames.push(Frame {
                        owner,
                        open: tok.loc,
                        nodes: Vec::new(),
                    });
                    *can_open = false;
                }
                TokKind::Close => {
                    *can_open = false;
                    if *overflow > 0 {
                        *overflow -= 1;
                        continue;
                    }
                    match frames.pop() {
                        Some(f) => close(f, root, frames),
                        None => diags.error(&tok.loc, "extra '}' - ignored"),
                    }
                }
            }
        }
    }

    /// Root nodes that are complete, in order: every root node except a last
    /// one that may still take a `{` from the next line. Taking them as they
    /// complete lets the caller process and free each block immediately.
    pub(crate) fn take_ready(&mut self) -> Vec<Node> {
        if self.root.is_empty() {
            return Vec::new();
        }
        let keep_last = self.frames.is_empty() && self.can_open;
        let keep = usize::from(keep_last);
        let ready = self.root.len().saturating_sub(keep);
        let rest = self.root.split_off(ready);
        std::mem::replace(&mut self.root, rest)
    }

    /// End of input: report and close blocks still open.
    pub(crate) fn finish(mut self, diags: &mut Diags) -> Vec<Node> {
        while let Some(f) = self.frames.pop() {
            diags.error(
                &f.open,
                format!(
                    "missing '}}' for the '{{' of '{}' opened here",
                    f.owner.kw.text
                ),
            );
            close(f, &mut self.root, &mut self.frames);
        }
        self.root
    }
}

/// Text of `chars[from..to]` with blanks trimmed (`None` when it equals
/// `args` joined by single spaces), and the column where it starts.
fn raw_after(
    chars: &[lexer::Ch],
    from: usize,
    to: usize,
    kw: &Word,
    args: &[Word],
) -> (Option<Box<str>>, u32) {
    let part = chars.get(from..to).unwrap_or(&[]);
    let start = part
        .iter()
        .position(|c| !lexer::is_blank(c.c))
        .unwrap_or(part.len());
    let end = part
        .iter()
        .rposition(|c| !lexer::is_blank(c.c))
        .map_or(start, |e| e + 1);
    let part = &part[start..end.max(start)];
    let col = part.first().map_or(kw.loc.col, |c| c.col);
    let mut joined = args
        .iter()
        .enumerate()
        .flat_map(|(i, w)| (i > 0).then_some(' ').into_iter().chain(w.text.chars()));
    let same = part.iter().all(|c| joined.next() == Some(c.c)) && joined.next().is_none();
    if same {
        (None, col)
    } else {
        (Some(lexer::text_of(part).into_boxed_str()), col)
    }
}

fn current<'a>(root: &'a mut Vec<Node>, frames: &'a mut [Frame]) -> &'a mut Vec<Node> {
    match frames.last_mut() {
        Some(f) => &mut f.nodes,
        None => root,
    }
}

fn close(f: Frame, root: &mut Vec<Node>, frames: &mut [Frame]) {
    let mut owner = f.owner;
    let mut nodes = f.nodes;
    nodes.shrink_to_fit();
    owner.block = Some(Block { loc: f.open, nodes });
    current(root, frames).push(owner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer;
    use std::path::Path;

    fn tree(text: &str) -> (Vec<Node>, Vec<String>) {
        let mut lines = Vec::new();
        for (i, l) in text.lines().enumerate() {
            let d = lexer::decomment(&lexer::chars_of(l));
            let t = lexer::tokenize(&d.chars, Path::new("f"), i as u32 + 1);
            if !t.tokens.is_empty() {
                lines.push(Line {
                    tokens: t.tokens,
                    chars: d.chars,
                });
            }
        }
        let mut diags = Diags::default();
        let nodes = build(lines, &mut diags);
        let msgs = diags.into_vec().iter().map(|d| d.to_string()).collect();
        (nodes, msgs)
    }

    fn shape(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| {
                let mut s = n.kw.text.clone();
                for a in &n.args {
                    s.push(' ');
                    s.push_str(&a.text);
                }
                if let Some(b) = &n.block {
                    s.push_str(" {");
                    s.push_str(&shape(&b.nodes));
                    s.push('}');
                }
                s
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    #[test]
    fn shapes() {
        let (n, m) = tree("a {\n b 1\n c {\n d\n }\n}\n");
        assert_eq!(shape(&n), "a {b 1;c {d}}");
        assert!(m.is_empty());
        let (n, _) = tree("a\n{\nb\n}\n");
        assert_eq!(shape(&n), "a {b}");
        let (n, _) = tree("a { b } c { d }");
        assert_eq!(shape(&n), "a {b};c {d}");
        let (n, _) = tree("x {\n} y Z {\nq 1 }");
        assert_eq!(shape(&n), "x {};y Z {q 1}");
        let (n, _) = tree("v { 1.2.3.4 dev x\n5.6.7.8 }");
        assert_eq!(shape(&n), "v {1.2.3.4 dev x;5.6.7.8}");
    }

    #[test]
    fn brace_errors() {
        let (_, m) = tree("a {\n}\n}\n");
        assert_eq!(m, ["f:3:1: error: extra '}' - ignored"]);
        let (n, m) = tree("a {\n b {\n");
        assert_eq!(shape(&n), "a {b {}}");
        assert_eq!(
            m,
            [
                "f:2:4: error: missing '}' for the '{' of 'b' opened here",
                "f:1:3: error: missing '}' for the '{' of 'a' opened here"
            ]
        );
        let (n, m) = tree("{ x }");
        assert_eq!(shape(&n), " {x}");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn raw_args_keep_the_line() {
        let (n, _) = tree("notify  '/bin/x a'  \"b c\" { y }\nk\nplain a b\n");
        assert_eq!(n[0].raw_args(), "'/bin/x a'  \"b c\"");
        assert_eq!(n[0].raw_loc().col, 9);
        assert_eq!(n[1].raw_args(), "");
        assert_eq!(n[1].raw_loc().col, 1);
        assert_eq!(n[2].raw_args(), "a b");
        assert!(n[2].raw.is_none());
        assert_eq!(n[2].raw_loc().col, 7);
        let b = n[0]
            .block
            .as_ref()
            .map(|b| b.nodes[0].raw_args().into_owned());
        assert_eq!(b.as_deref(), Some(""));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = "a {".repeat(10_000) + &"}".repeat(10_000);
        let (_, m) = tree(&text);
        assert_eq!(m.len(), 1);
    }
}
