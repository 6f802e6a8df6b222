//! Line-level lexical rules of keepalived.conf (reference §1.1–1.2).
//!
//! A line is kept as a vector of characters that each remember their original
//! column, so that after comment stripping and `$NAME` substitution every token
//! can still point at the column where it was written (substituted text points
//! at the `$` that produced it).

use crate::model::{Location, SourcePath};
#[cfg(test)]
use std::path::Path;

/// One character of a logical line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ch {
    pub c: char,
    /// 1-based column in the physical line.
    pub col: u32,
    /// Came from `\#` or `\!`: never starts a comment, even after a later
    /// re-scan of a substituted line.
    pub lit: bool,
}

/// Turn a physical line into characters with their columns.
pub(crate) fn chars_of(line: &str) -> Vec<Ch> {
    line.chars()
        .enumerate()
        .map(|(i, c)| Ch {
            c,
            col: u32::try_from(i + 1).unwrap_or(u32::MAX),
            lit: false,
        })
        .collect()
}

/// Characters back to a plain string.
pub(crate) fn text_of(chars: &[Ch]) -> String {
    chars.iter().map(|ch| ch.c).collect()
}

/// Whitespace as keepalived's tokenizer sees it (space, tab, FF, LF, CR, VT).
pub(crate) fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c' | '\n' | '\r' | '\x0b')
}

/// Result of [`decomment`].
pub(crate) struct Decommented {
    pub chars: Vec<Ch>,
    /// Column of a `"` that was never closed, if any.
    pub unterminated_quote: Option<u32>,
}

/// keepalived's `decomment()`: drop leading blanks; outside double quotes `#`
/// and `!` start a comment anywhere on the line, `\#`/`\!` give the literal
/// character; drop trailing blanks.  Single quotes do not protect anything.
pub(crate) fn decomment(chars: &[Ch]) -> Decommented {
    let start = chars
        .iter()
        .position(|ch| !is_blank(ch.c))
        .unwrap_or(chars.len());
    let mut out = Vec::with_capacity(chars.len());
    let mut in_quote = false;
    let mut quote_col = 0;
    let mut i = start;
    while i < chars.len() {
        let ch = chars[i];
        if ch.c == '"' && !ch.lit {
            in_quote = !in_quote;
            quote_col = ch.col;
        } else if !in_quote && !ch.lit {
            if ch.c == '\\' {
                if let Some(next) = chars.get(i + 1) {
                    if next.c == '#' || next.c == '!' {
                        out.push(Ch {
                            c: next.c,
                            col: ch.col,
                            lit: true,
                        });
                        i += 2;
                        continue;
                    }
                }
            } else if ch.c == '#' || ch.c == '!' {
                break;
            }
        }
        out.push(ch);
        i += 1;
    }
    while out.last().is_some_and(|ch| is_blank(ch.c)) {
        out.pop();
    }
    Decommented {
        chars: out,
        unterminated_quote: in_quote.then_some(quote_col),
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word(String),
    Open,
    Close,
}

/// One token with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokKind,
    pub loc: Location,
    /// Index of the token's first character in the line's `Ch` vector.
    pub start: usize,
    /// Index one past the token's last character (closing quote included).
    pub end: usize,
}

/// One logical line after preprocessing: its tokens plus the characters they
/// were cut from.  Script keywords re-split the raw text of their line with
/// other quoting rules (§1.2), so the characters must survive tokenizing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub tokens: Vec<Token>,
    pub chars: Vec<Ch>,
}

/// Result of [`tokenize`].
pub(crate) struct Tokens {
    pub tokens: Vec<Token>,
    /// Column of an unmatched `"`, if any (callers normally learn this from
    /// [`decomment`] already).
    #[cfg_attr(not(test), allow(dead_code))]
    pub unmatched_quote: Option<u32>,
}

/// keepalived's `alloc_strvec_r` plus its brace splitting: words separated by
/// blanks; a word that starts with `"` runs to the next `"` (no escapes, quotes
/// dropped); an unquoted word ends at a blank, a `"` or a brace; `{` and `}`
/// outside quotes are tokens of their own wherever they appear.
///
/// `file` is anything naming the file (`&SourcePath` in the preprocessor,
/// a `&Path` in tests); it is converted once per line, not per token.
pub(crate) fn tokenize(chars: &[Ch], file: impl Into<SourcePath>, line: u32) -> Tokens {
    let file: SourcePath = file.into();
    let loc = |col: u32| Location {
        file: file.clone(),
        line,
        col,
    };
    let mut tokens = Vec::new();
    let mut unmatched_quote = None;
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if is_blank(ch.c) {
            i += 1;
            continue;
        }
        match ch.c {
            '{' => {
                tokens.push(Token {
                    kind: TokKind::Open,
                    loc: loc(ch.col),
                    start: i,
                    end: i + 1,
                });
                i += 1;
            }
            '}' => {
                tokens.push(Token {
                    kind: TokKind::Close,
                    loc: loc(ch.col),
                    start: i,
                    end: i + 1,
                });
                i += 1;
            }
            '"' => {
                let rest = &chars[i + 1..];
                let end = rest.iter().position(|c| c.c == '"');
                let body = &rest[..end.unwrap_or(rest.len())];
                if end.is_none() {
                    unmatched_quote = Some(ch.col);
                }
                let next = i + 1 + body.len() + usize::from(end.is_some());
                tokens.push(Token {
                    kind: TokKind::Word(text_of(body)),
                    loc: loc(ch.col),
                    start: i,
                    end: next,
                });
                i = next;
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !is_blank(chars[i].c)
                    && !matches!(chars[i].c, '"' | '{' | '}')
                {
                    i += 1;
                }
                tokens.push(Token {
                    kind: TokKind::Word(text_of(&chars[start..i])),
                    loc: loc(ch.col),
                    start,
                    end: i,
                });
            }
        }
    }
    Tokens {
        tokens,
        unmatched_quote,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> String {
        text_of(&decomment(&chars_of(s)).chars)
    }

    fn toks(s: &str) -> Vec<String> {
        let d = decomment(&chars_of(s));
        tokenize(&d.chars, Path::new("t"), 1)
            .tokens
            .into_iter()
            .map(|t| match t.kind {
                TokKind::Word(w) => w,
                TokKind::Open => "{".into(),
                TokKind::Close => "}".into(),
            })
            .collect()
    }

    fn cols(s: &str) -> Vec<u32> {
        let d = decomment(&chars_of(s));
        tokenize(&d.chars, Path::new("t"), 1)
            .tokens
            .into_iter()
            .map(|t| t.loc.col)
            .collect()
    }

    #[test]
    fn comments() {
        assert_eq!(dec("  priority 100 # comment"), "priority 100");
        assert_eq!(dec("auth_pass abc!def"), "auth_pass abc");
        assert_eq!(dec("auth_pass \"abc!def\" ! x"), "auth_pass \"abc!def\"");
        assert_eq!(dec("auth_pass 'abc!def'"), "auth_pass 'abc");
        assert_eq!(dec("auth_pass abc\\!def\\#x"), "auth_pass abc!def#x");
        assert_eq!(dec("! whole line"), "");
        assert_eq!(dec("# whole line"), "");
        assert_eq!(dec("\t \t"), "");
    }

    #[test]
    fn unterminated() {
        let d = decomment(&chars_of("a \"b # c"));
        assert_eq!(d.unterminated_quote, Some(3));
        assert_eq!(text_of(&d.chars), "a \"b # c");
    }

    #[test]
    fn words() {
        assert_eq!(
            toks("vrrp_instance \"VI Q\" {"),
            ["vrrp_instance", "VI Q", "{"]
        );
        assert_eq!(toks("abc\"d e\""), ["abc", "d e"]);
        assert_eq!(
            toks("} vrrp_instance X {"),
            ["}", "vrrp_instance", "X", "{"]
        );
        assert_eq!(toks("a{b}c"), ["a", "{", "b", "}", "c"]);
        assert_eq!(toks("x \"{ not a brace }\""), ["x", "{ not a brace }"]);
        assert_eq!(toks("it's fine"), ["it's", "fine"]);
        assert_eq!(
            toks("interface kt0 ; virtual_router_id 52"),
            ["interface", "kt0", ";", "virtual_router_id", "52"]
        );
        assert_eq!(toks("\"\""), [""]);
    }

    #[test]
    fn columns() {
        assert_eq!(cols("   priority  100"), [4, 14]);
        assert_eq!(cols("\tstate \"MASTER\"{"), [2, 8, 16]);
    }

    #[test]
    fn unmatched() {
        let d = chars_of("a \"bc");
        let t = tokenize(&d, Path::new("t"), 1);
        assert_eq!(t.unmatched_quote, Some(3));
        assert_eq!(t.tokens.len(), 2);
    }
}
