//! Invalid-config corpus: every `tests/invalid/*.conf` holds exactly one
//! defect and states, in its header, the diagnostics it must produce.
//!
//! Header format (one line per expected diagnostic, anywhere in the file, but
//! by convention at the top, before any configuration):
//!
//! ```text
//! # expect: SEVERITY WHERE FRAGMENT [&& FRAGMENT]...
//! ```
//!
//! * `SEVERITY` is `warning`, `error`, `security` or `fatal` and must equal the
//!   diagnostic's severity exactly (the severity decides the `-t` exit code).
//! * `WHERE` is `LINE:COL` in the corpus file itself, `PATH:LINE:COL` with
//!   `PATH` relative to the corpus directory (for diagnostics inside included
//!   files), or `*` for "any location" (keepalived's whole-config checks such
//!   as script security have no natural token).
//! * each `FRAGMENT` must occur in the message (ASCII case-insensitive); they
//!   name the keyword and the value, as every diagnostic must.
//!
//! Each expectation consumes one distinct diagnostic.  Any diagnostic of
//! severity `error` or worse that no expectation consumed fails the test, so a
//! defect cannot silently produce follow-on errors.  Warnings may be extra.
//!
//! The same files feed the differential test against Debian's keepalived
//! (`tests/tests/config_diff.rs`), which is why every file is also a complete,
//! otherwise valid configuration using only eth0..eth3 and documentation
//! addresses.

use keepalived_config::{load_file, Diagnostic, LoadOptions, Severity};
use std::path::{Path, PathBuf};

/// Fewer files than this means the corpus went missing, not that it passed.
const MIN_FILES: usize = 60;

#[derive(Debug)]
enum Where {
    Any,
    At { file: PathBuf, line: u32, col: u32 },
}

#[derive(Debug)]
struct Expect {
    severity: Severity,
    at: Where,
    fragments: Vec<String>,
    /// The header line, for failure messages.
    text: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    v.sort();
    v
}

fn severity(word: &str) -> Option<Severity> {
    match word {
        "warning" => Some(Severity::Warning),
        "error" => Some(Severity::Error),
        "security" => Some(Severity::Security),
        "fatal" => Some(Severity::Fatal),
        _ => None,
    }
}

/// `LINE:COL` or `PATH:LINE:COL` (PATH relative to the corpus directory).
fn parse_where(s: &str, file: &Path) -> Result<Where, String> {
    if s == "*" {
        return Ok(Where::Any);
    }
    let mut parts = s.rsplitn(3, ':');
    let col = parts.next().and_then(|c| c.parse().ok());
    let line = parts.next().and_then(|l| l.parse().ok());
    let path = match parts.next() {
        Some(p) => corpus_dir().join(p),
        None => file.to_path_buf(),
    };
    match (line, col) {
        (Some(line), Some(col)) => Ok(Where::At {
            file: path,
            line,
            col,
        }),
        _ => Err(format!(
            "bad location '{s}' (want LINE:COL, PATH:LINE:COL or *)"
        )),
    }
}

fn parse_header(file: &Path, text: &str) -> Result<Vec<Expect>, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# expect:") else {
            continue;
        };
        let rest = rest.trim();
        let mut it = rest.splitn(3, ' ');
        let sev_word = it.next().unwrap_or_default();
        let sev =
            severity(sev_word).ok_or_else(|| format!("bad severity '{sev_word}' in '{line}'"))?;
        let at = parse_where(it.next().unwrap_or_default(), file)?;
        let fragments: Vec<String> = it
            .next()
            .unwrap_or_default()
            .split("&&")
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty())
            .collect();
        if fragments.is_empty() {
            return Err(format!("'{line}' names no message fragment"));
        }
        out.push(Expect {
            severity: sev,
            at,
            fragments,
            text: rest.to_string(),
        });
    }
    if out.is_empty() {
        return Err("no '# expect:' line".into());
    }
    Ok(out)
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
}

fn matches(e: &Expect, d: &Diagnostic) -> bool {
    if d.severity != e.severity {
        return false;
    }
    if let Where::At { file, line, col } = &e.at {
        if d.location.line != *line || d.location.col != *col || !same_file(&d.location.file, file)
        {
            return false;
        }
    }
    let msg = d.message.to_ascii_lowercase();
    e.fragments.iter().all(|f| msg.contains(f.as_str()))
}

/// Check one file; `Err` carries a human-readable account of what differs.
fn check(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read: {e}"))?;
    let expects = parse_header(file, &text)?;
    let opts = LoadOptions {
        config_id: Some("corpus".into()),
        ..LoadOptions::default()
    };
    let loaded = load_file(file, &opts).map_err(|e| format!("load_file failed: {e}"))?;
    let diags = &loaded.diagnostics;
    let mut used = vec![false; diags.len()];
    let mut problems = Vec::new();
    for e in &expects {
        let hit = diags
            .iter()
            .enumerate()
            .find(|(i, d)| !used[*i] && matches(e, d));
        match hit {
            Some((i, _)) => used[i] = true,
            None => problems.push(format!("  missing:    {}", e.text)),
        }
    }
    for (d, u) in diags.iter().zip(&used) {
        if !u && d.severity >= Severity::Error {
            problems.push(format!("  unexpected: {:?} {d}", d.severity));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let got: Vec<String> = diags
        .iter()
        .map(|d| format!("    {:?} {d}", d.severity))
        .collect();
    Err(format!(
        "{}\n  got:\n{}",
        problems.join("\n"),
        if got.is_empty() {
            "    (no diagnostics)".to_string()
        } else {
            got.join("\n")
        }
    ))
}

#[test]
fn corpus_has_enough_files() {
    let n = corpus_files().len();
    assert!(
        n >= MIN_FILES,
        "only {n} corpus files, want at least {MIN_FILES}"
    );
}

#[test]
fn every_corpus_file_gives_exactly_its_diagnostics() {
    let files = corpus_files();
    let mut failures = Vec::new();
    for f in &files {
        if let Err(why) = check(f) {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            failures.push(format!("{}:\n{why}", name.unwrap_or_default()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files disagree with their '# expect:' header:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn header_parser_understands_every_form() {
    let f = corpus_dir().join("x.conf");
    let e = parse_header(
        &f,
        "# expect: error 3:7 unknown keyword && foo\n# expect: fatal inc/a.inc:1:2 loop\n# expect: security * script\n",
    );
    let e = match e {
        Ok(e) => e,
        Err(why) => panic!("header rejected: {why}"),
    };
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].severity, Severity::Error);
    assert_eq!(e[0].fragments, ["unknown keyword", "foo"]);
    assert!(matches!(&e[1].at, Where::At { file, line: 1, col: 2 } if file.ends_with("inc/a.inc")));
    assert!(matches!(e[2].at, Where::Any));
    assert!(parse_header(&f, "# expect: bogus 1:1 x\n").is_err());
    assert!(parse_header(&f, "# expect: error 1:1\n").is_err());
    assert!(parse_header(&f, "vrrp_instance x {}\n").is_err());
}
