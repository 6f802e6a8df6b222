//! Block layer: token lines → keyword tree (reference §1.3).
//!
//! Every run of words on one line up to a brace is one [`Node`] (keyword plus
//! arguments).  A node directly followed by `{` — on the same line or a later
//! one — owns the block up to the matching `}`.  Building is iterative, so
//! deeply nested input cannot overflow the stack, and nesting is bounded.

use crate::diag::Diags;
use crate::lexer::{TokKind, Token};
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
    pub block: Option<Block>,
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
pub(crate) fn build(lines: Vec<Vec<Token>>, diags: &mut Diags) -> Vec<Node> {
    let mut root: Vec<Node> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    // A node that may still take a following `{`.
    let mut can_open = false;
    // `{`s beyond MAX_DEPTH still open.
    let mut overflow = 0usize;
    for line in lines {
        let mut seg: Vec<Word> = Vec::new();
        let mut toks = line.into_iter().peekable();
        while let Some(tok) = toks.next() {
            match tok.kind {
                TokKind::Word(text) => {
                    seg.push(Word { text, loc: tok.loc });
                    let seg_ends =
                        !matches!(toks.peek(), Some(t) if matches!(t.kind, TokKind::Word(_)));
                    if seg_ends {
                        if overflow == 0 {
                            let mut words = std::mem::take(&mut seg).into_iter();
                            if let Some(kw) = words.next() {
                                let node = Node {
                                    kw,
                                    args: words.collect(),
                                    block: None,
                                };
                                current(&mut root, &mut frames).push(node);
                                can_open = true;
                            }
                        } else {
                            seg.clear();
                        }
                    }
                }
                TokKind::Open => {
                    if overflow > 0 || frames.len() >= MAX_DEPTH {
                        if overflow == 0 {
                            diags.error(
                                &tok.loc,
                                format!(
                                    "blocks nested more than {MAX_DEPTH} deep - contents skipped"
                                ),
                            );
                        }
                        overflow += 1;
                        continue;
                    }
                    let owner = if can_open {
                        current(&mut root, &mut frames).pop()
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
                            block: None,
                        }
                    });
                    frames.push(Frame {
                        owner,
                        open: tok.loc,
                        nodes: Vec::new(),
                    });
                    can_open = false;
                }
                TokKind::Close => {
                    can_open = false;
                    if overflow > 0 {
                        overflow -= 1;
                        continue;
                    }
                    match frames.pop() {
                        Some(f) => close(f, &mut root, &mut frames),
                        None => diags.error(&tok.loc, "extra '}' - ignored"),
                    }
                }
            }
        }
    }
    while let Some(f) = frames.pop() {
        diags.error(
            &f.open,
            format!(
                "missing '}}' for the '{{' of '{}' opened here",
                f.owner.kw.text
            ),
        );
        close(f, &mut root, &mut frames);
    }
    root
}

fn current<'a>(root: &'a mut Vec<Node>, frames: &'a mut [Frame]) -> &'a mut Vec<Node> {
    match frames.last_mut() {
        Some(f) => &mut f.nodes,
        None => root,
    }
}

fn close(f: Frame, root: &mut Vec<Node>, frames: &mut [Frame]) {
    let mut owner = f.owner;
    owner.block = Some(Block {
        loc: f.open,
        nodes: f.nodes,
    });
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
                lines.push(t.tokens);
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
    fn deep_nesting_is_bounded() {
        let text = "a {".repeat(10_000) + &"}".repeat(10_000);
        let (_, m) = tree(&text);
        assert_eq!(m.len(), 1);
    }
}
