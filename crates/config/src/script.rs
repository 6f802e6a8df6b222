//! keepalived's second tokenizer, used by script keywords (reference §1.2).
//!
//! `notify*`, `script`, `*_fifo_script`, … are "quoted" keywords: their line is
//! not taken from the ordinary word split but re-split from the raw text,
//! in two passes:
//!
//! 1. **Outer pass** ([`split_outer`]): words separated by blanks; text in
//!    `"…"` or `'…'` is grouped with the quote characters removed, adjacent
//!    pieces are joined into one word (`a"b c"'d'` → `ab cd`), and backslashes
//!    are left alone.  Word 1 is the command string, word 2 the user, word 3
//!    the group.
//! 2. **Inner pass** ([`split_command`]): the command string is split into
//!    argv with the same quote grouping, now also processing escapes
//!    (`\a \b \E \f \n \r \t \v`, `\nnn` octal, `\xHH`, `\cC`, `\X` → X).
//!
//! We follow keepalived HEAD, where escapes are processed once, in the inner
//! pass.  Up to v2.3.1 (including Debian's 2.2.7) the outer pass processed
//! escapes too, so they were applied twice: `notify "/bin/echo c\tz"` ran with
//! argv `c`, `z` there (the tab made by the first pass split the word in the
//! second), and `c<TAB>z` as one argument at HEAD and here.  Likewise `\\x41`
//! was `A` under 2.2.7 and is `\x41` here.  Configs that relied on the double
//! processing are rare; the HEAD behaviour is the one that matches the
//! documentation.

use crate::diag::Diags;
use crate::lexer::is_blank;
use crate::model::Script;
use crate::tree::Node;

/// Parse the arguments of a script keyword (`notify_master "/x y" user grp`).
///
/// Returns `None`, with an error, when there is no command at all.
pub(crate) fn parse_script(node: &Node, diags: &mut Diags) -> Option<Script> {
    let raw = node.raw_args();
    let raw_loc = node.raw_loc();
    let outer = split_outer(&raw);
    if outer.unterminated {
        diags.error(
            &raw_loc,
            format!(
                "'{}': unterminated quote in script command `{raw}` - taken up to the end of the line",
                node.kw.text
            ),
        );
    }
    let mut words = outer.words.into_iter();
    let Some(command) = words.next() else {
        diags.error(
            &node.kw.loc,
            format!("'{}': missing script command - ignored", node.kw.text),
        );
        return None;
    };
    let argv = split_command(&command);
    if argv.first().is_none_or(|a| a.is_empty()) {
        diags.error(
            &raw_loc,
            format!("'{}': empty script command `{raw}` - ignored", node.kw.text),
        );
        return None;
    }
    let user = words.next();
    let group = words.next();
    let rest: Vec<String> = words.collect();
    if !rest.is_empty() {
        diags.error(
            &raw_loc,
            format!(
                "'{}': extra words after the user and group ignored: `{}` \
                 (quote the command if these were meant as its arguments)",
                node.kw.text,
                rest.join(" ")
            ),
        );
    }
    Some(Script {
        argv,
        raw: command,
        user,
        group,
        location: raw_loc,
    })
}

/// Result of [`split_outer`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Outer {
    pub words: Vec<String>,
    /// A quote was opened and never closed (the word runs to the end).
    pub unterminated: bool,
}

/// The outer pass (HEAD `alloc_strvec_quoted`): blanks separate words, `"…"`
/// and `'…'` group (quotes removed, pieces joined), backslashes kept as is.
pub(crate) fn split_outer(raw: &str) -> Outer {
    let mut out = Outer::default();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in raw.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if is_blank(c) => {
                if in_word {
                    out.words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        out.unterminated = true;
    }
    if in_word {
        out.words.push(cur);
    }
    out
}

/// The inner pass (HEAD `alloc_strvec_quoted_escaped`): split a command
/// string into argv, grouping `"…"`/`'…'` and processing escapes.  An escaped
/// blank or quote is an ordinary character, and characters produced by an
/// escape never split a word.
pub(crate) fn split_command(cmd: &str) -> Vec<String> {
    let chars: Vec<char> = cmd.chars().collect();
    let mut argv = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let (value, used) = escape(&chars[i + 1..]);
            cur.push_str(&value);
            in_word = true;
            i += 1 + used;
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if is_blank(c) => {
                if in_word {
                    argv.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    if in_word {
        argv.push(cur);
    }
    argv
}

/// Decode the escape whose text (after the `\`) starts `rest`; returns the
/// produced text and how many characters of `rest` it used.  A `\` at the
/// very end stays a backslash.
fn escape(rest: &[char]) -> (String, usize) {
    let Some(&c) = rest.first() else {
        return ("\\".into(), 0);
    };
    let simple = |ch: char| (ch.to_string(), 1);
    match c {
        'a' => simple('\x07'),
        'b' => simple('\x08'),
        'E' => simple('\x1b'),
        'f' => simple('\x0c'),
        'n' => simple('\n'),
        'r' => simple('\r'),
        't' => simple('\t'),
        'v' => simple('\x0b'),
        '0'..='7' => {
            let digits: Vec<u32> = rest.iter().take(3).map_while(|d| d.to_digit(8)).collect();
            let v = digits.iter().fold(0u32, |a, d| a * 8 + d) & 0xff;
            (byte_char(v), digits.len())
        }
        'x' => {
            let digits: Vec<u32> = rest[1..]
                .iter()
                .take(2)
                .map_while(|d| d.to_digit(16))
                .collect();
            if digits.is_empty() {
                // No hex digits: keepalived keeps the letter.
                return simple('x');
            }
            let v = digits.iter().fold(0u32, |a, d| a * 16 + d);
            (byte_char(v), 1 + digits.len())
        }
        'c' => match rest.get(1) {
            // `\c?` is DEL, as in bash's `$'…'`; otherwise the low 5 bits.
            Some('?') => ("\x7f".into(), 2),
            Some(&k) if k.is_ascii() => (byte_char(u32::from(k) & 0x1f), 2),
            _ => simple('c'),
        },
        other => simple(other),
    }
}

/// keepalived works on bytes; a value 0x80–0xff becomes the code point of
/// the same number so that it survives in a `String` (NUL is kept too; the
/// runner decides what to do with it).
fn byte_char(v: u32) -> String {
    char::from_u32(v).map(String::from).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;
    use crate::tree::Word;

    fn node(kw: &str, raw: &str) -> Node {
        let loc = Location {
            file: "f".into(),
            line: 3,
            col: 5,
        };
        Node {
            kw: Word {
                text: kw.into(),
                loc,
            },
            args: Vec::new(),
            raw: Some(raw.into()),
            raw_col: 20,
            block: None,
        }
    }

    #[test]
    fn outer_groups_and_joins() {
        assert_eq!(
            split_outer(r#""/bin/x 'a b'" root  wheel"#).words,
            ["/bin/x 'a b'", "root", "wheel"]
        );
        assert_eq!(split_outer(r#"a"b c"'d e'f"#).words, ["ab cd ef"]);
        assert_eq!(split_outer(r"/bin/x\ y").words, [r"/bin/x\", "y"]);
        assert_eq!(split_outer("''").words, [""]);
        let o = split_outer("'abc def");
        assert!(o.unterminated);
        assert_eq!(o.words, ["abc def"]);
    }

    #[test]
    fn inner_splits_with_escapes() {
        assert_eq!(
            split_command(r"/bin/echo 'a b' \x41 c\tz"),
            ["/bin/echo", "a b", "A", "c\tz"]
        );
        assert_eq!(
            split_command(r#"x "q \"r\"" s\ t"#),
            ["x", "q \"r\"", "s t"]
        );
        assert_eq!(
            split_command(r"e \a\b\E\f\n\r\v \101\0 \cA\c? \q \xg \x414"),
            [
                "e",
                "\x07\x08\x1b\x0c\n\r\x0b",
                "A\0",
                "\x01\x7f",
                "q",
                "xg",
                "A4"
            ]
        );
        assert_eq!(split_command(r"tail\"), [r"tail\"]);
        assert_eq!(split_command("  "), Vec::<String>::new());
    }

    #[test]
    fn whole_keyword() {
        let mut d = Diags::default();
        let s = parse_script(
            &node("notify", r#""/bin/n.sh 'x y' 1" nobody :grp"#),
            &mut d,
        );
        let Some(s) = s else {
            panic!("no script");
        };
        assert_eq!(s.argv, ["/bin/n.sh", "x y", "1"]);
        assert_eq!(s.raw, "/bin/n.sh 'x y' 1");
        assert_eq!(s.user.as_deref(), Some("nobody"));
        assert_eq!(s.group.as_deref(), Some(":grp"));
        assert_eq!(s.location.col, 20);
        assert!(d.into_vec().is_empty());

        let mut d = Diags::default();
        assert!(parse_script(&node("notify", ""), &mut d).is_none());
        let v = d.into_vec();
        assert_eq!(v.len(), 1);
        assert!(v[0]
            .to_string()
            .starts_with("f:3:5: error: 'notify': missing"));

        let mut d = Diags::default();
        let s = parse_script(&node("script", "/bin/x u g extra"), &mut d);
        assert!(s.is_some());
        let v = d.into_vec();
        assert_eq!(v.len(), 1);
        assert!(v[0].message.contains("`extra`"));
    }
}
