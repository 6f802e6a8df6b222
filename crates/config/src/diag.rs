//! Diagnostics: every problem found while reading the configuration.

use crate::model::Location;
use std::collections::HashSet;
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How bad a problem is.
///
/// Ordered so that `max()` gives the worst one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Accepted, possibly with a changed meaning (unsupported, deprecated…).
    Warning,
    /// The value or keyword was dropped or replaced by a default; keepalived
    /// would still run ("runs anyway" class, `-t` exit 5).
    Error,
    /// A script-security problem (keepalived's CONFIG_SECURITY_ERROR, `-t` exit 6).
    Security,
    /// keepalived's VRRP process would exit with status 2 ("cannot run", `-t` exit 4).
    Fatal,
}

/// One problem, with the location of the offending token.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: warning: MESSAGE`; fatal problems are printed as
    /// `error:` like a compiler would, the severity stays available in the field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.severity {
            Severity::Warning => "warning",
            Severity::Error | Severity::Security | Severity::Fatal => "error",
        };
        write!(f, "{}: {}: {}", self.location, word, self.message)
    }
}

impl Diagnostic {
    /// The header line plus the source line and a caret under the offending
    /// token, like rustc:
    ///
    /// ```text
    /// keepalived.conf:7:14: error: priority 300 out of range [1..255]
    ///   |
    /// 7 |     priority 300
    ///   |              ^^^
    /// ```
    ///
    /// Falls back to the header alone when the line is not in `sources`
    /// (e.g. a file that could not be read).
    pub fn render(&self, sources: &Sources) -> String {
        let mut out = self.to_string();
        let Some(line) = sources.line(&self.location.file, self.location.line) else {
            return out;
        };
        let num = self.location.line.to_string();
        let pad = " ".repeat(num.len());
        let chars: Vec<char> = line.chars().collect();
        let start = usize::try_from(self.location.col.max(1) - 1).unwrap_or(usize::MAX);
        // Keep tabs in the caret line so it lines up under tab-indented text.
        let mut lead: String = chars
            .iter()
            .take(start)
            .map(|&c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        // A column just past the end (e.g. "missing value") still lines up.
        let short = start.saturating_sub(chars.len()).min(MAX_CARET_PAD);
        lead.extend(std::iter::repeat_n(' ', short));
        let width = token_width(chars.get(start..).unwrap_or(&[]));
        let _ = write!(
            out,
            "\n{pad} |\n{num} | {line}\n{pad} | {lead}{}",
            "^".repeat(width)
        );
        out
    }
}

/// A bogus column must not make rendering allocate without bound.
const MAX_CARET_PAD: usize = 1024;

/// Width of the token starting a slice: a `"…"` word with its quotes, or a
/// run up to a blank, quote or brace; at least 1 so a caret always shows.
fn token_width(rest: &[char]) -> usize {
    let w = match rest.first() {
        Some('"') => rest[1..]
            .iter()
            .position(|&c| c == '"')
            .map_or(rest.len(), |p| p + 2),
        Some('{' | '}') => 1,
        Some(_) => rest
            .iter()
            .position(|&c| crate::lexer::is_blank(c) || matches!(c, '"' | '{' | '}'))
            .unwrap_or(rest.len()),
        None => 1,
    };
    w.max(1)
}

/// The text of every file read, so diagnostics can quote their line.
///
/// Files are kept whole (one `Arc<str>` each, shared, never copied again)
/// with an index of line starts, which keeps rendering cheap even for
/// configurations with thousands of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    files: Vec<SourceFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceFile {
    path: PathBuf,
    text: Arc<str>,
    /// Byte offset of the start of every line.
    /// (u32: files are far below 4 GiB, and this index is kept for every line.)
    starts: Vec<u32>,
}

impl Sources {
    /// Remember a file; a file read twice (included from two places) is kept once.
    pub(crate) fn add(&mut self, path: &Path, text: Arc<str>) {
        if self.files.iter().any(|f| f.path == path) {
            return;
        }
        let mut starts = vec![0u32];
        starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        starts.shrink_to_fit();
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            text,
            starts,
        });
    }

    /// Physical line `line` (1-based) of `file`, without its line ending.
    pub fn line(&self, file: &Path, line: u32) -> Option<&str> {
        // Byte comparison first: `Path`'s `==` walks components, and this
        // runs once per rendered diagnostic.
        let f = self
            .files
            .iter()
            .find(|f| f.path.as_os_str() == file.as_os_str())
            .or_else(|| self.files.iter().find(|f| f.path == file))?;
        let idx = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = usize::try_from(*f.starts.get(idx)?).ok()?;
        let end = f.starts.get(idx + 1).map_or(f.text.len(), |&e| {
            usize::try_from(e.saturating_sub(1)).unwrap_or(usize::MAX)
        });
        let l = f.text.get(start..end)?;
        Some(l.strip_suffix('\r').unwrap_or(l))
    }

    /// Every file read, in the order first read, with its text.
    pub fn files(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files.iter().map(|f| (f.path.as_path(), &*f.text))
    }
}

/// Collector used by every stage.
#[derive(Debug, Default)]
pub(crate) struct Diags {
    list: Vec<Diagnostic>,
    once: HashSet<String>,
}

impl Diags {
    pub(crate) fn push(&mut self, severity: Severity, location: &Location, message: String) {
        tracing::debug!(%location, ?severity, %message, "config diagnostic");
        self.list.push(Diagnostic {
            severity,
            location: location.clone(),
            message,
        });
    }

    pub(crate) fn warn(&mut self, location: &Location, message: impl Into<String>) {
        self.push(Severity::Warning, location, message.into());
    }

    pub(crate) fn error(&mut self, location: &Location, message: impl Into<String>) {
        self.push(Severity::Error, location, message.into());
    }

    pub(crate) fn fatal(&mut self, location: &Location, message: impl Into<String>) {
        self.push(Severity::Fatal, location, message.into());
    }

    /// Report only the first time `key` is seen; used for "not supported"
    /// warnings that would otherwise repeat for every instance.
    pub(crate) fn warn_once(&mut self, key: &str, location: &Location, message: impl Into<String>) {
        if self.once.insert(key.to_string()) {
            self.warn(location, message);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(line: u32, col: u32) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            location: Location {
                file: "k.conf".into(),
                line,
                col,
            },
            message: "bad".into(),
        }
    }

    #[test]
    fn render_with_caret() {
        let mut s = Sources::default();
        s.add(
            Path::new("k.conf"),
            Arc::from("a {\r\n\tpriority 300 # x\n  name \"V I\" {\n"),
        );
        assert_eq!(
            diag(2, 11).render(&s),
            "k.conf:2:11: error: bad\n  |\n2 | \tpriority 300 # x\n  | \t         ^^^"
        );
        assert_eq!(
            diag(3, 8).render(&s),
            "k.conf:3:8: error: bad\n  |\n3 |   name \"V I\" {\n  |        ^^^^^"
        );
        assert_eq!(
            diag(1, 1).render(&s),
            "k.conf:1:1: error: bad\n  |\n1 | a {\n  | ^"
        );
        // Past the end of the line: one caret after it.
        assert!(diag(1, 9).render(&s).ends_with("|         ^"));
        // Unknown line or file: header only.
        assert_eq!(diag(9, 1).render(&s), "k.conf:9:1: error: bad");
        assert_eq!(s.line(Path::new("k.conf"), 4), Some(""));
        assert_eq!(s.line(Path::new("k.conf"), 0), None);
    }
}
