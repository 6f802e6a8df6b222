//! Reader for keepalived.conf (VRRP side) producing a typed [`Config`].
//!
//! keepalived-rs must accept existing keepalived.conf files unchanged, so this
//! crate reproduces keepalived's lexical rules (comments, quoting, braces
//! anywhere on a line, `include`, `@ID` conditionals, `$NAME` definitions and
//! `~SEQ`/`~LST` loops) before building the typed model.  Every problem found is
//! reported as a [`Diagnostic`] carrying `file:line:col`, and parsing goes on
//! whenever keepalived would go on, so `keepalived-rs -t` can list every
//! problem in one run.
//!
//! Pipeline: [`preprocess`] (files, lines, expansions, tokens) →
//! [`tree`] (keyword/argument/block tree with brace counting) →
//! [`semantic`] (typed model, defaults, normalisation, fatal checks).
#![forbid(unsafe_code)]

mod address;
mod checks;
pub mod decimal;
mod diag;
pub mod dump;
mod global;
mod lexer;
pub mod model;
mod preprocess;
mod route;
mod rule;
mod script;
mod semantic;
mod static_cfg;
mod suggest;
mod sync;
mod track;
mod trackers;
mod tree;
mod vrrp;

pub use diag::{Diagnostic, Severity, Sources};
pub use dump::dump;
pub use model::*;

use std::path::{Path, PathBuf};

/// Options that change how a file is read (not what it means).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Config id matched by `@ID` / `@^ID` lines and expanded by `${_INSTANCE}`.
    /// `None` means what keepalived does by default: the host name cut at the
    /// first `.` (if the host name cannot be read, every `@ID` line is dropped).
    pub config_id: Option<String>,
    /// `-e` / `--all-config`: every include problem (unreadable file, no
    /// match, brace alternative matching nothing) is an error, as if every
    /// `include` were `includea`.
    pub all_config: bool,
    /// Do not read included files at all (each include line gets a
    /// warning).  For fuzzing, where reading the host's files would make runs
    /// slow and irreproducible.
    pub no_includes: bool,
}

/// Result of reading a configuration: the model plus every diagnostic.
///
/// The model is always produced, even with fatal diagnostics, so that callers
/// (`-t`, tests) can show everything; instances that had a fatal problem are
/// left out of [`Config::instances`].
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
    /// Text of every file read, for [`Loaded::render`].
    pub sources: Sources,
}

impl Loaded {
    /// True when keepalived's VRRP process would refuse to run (it exits 2).
    pub fn has_fatal(&self) -> bool {
        self.worst() == Some(Severity::Fatal)
    }

    /// `d` with its source line and a caret under the offending token (see
    /// [`Diagnostic::render`]); what `-t` prints.
    pub fn render(&self, d: &Diagnostic) -> String {
        d.render(&self.sources)
    }

    /// The most severe diagnostic, if any (used for `-t` exit codes).
    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
    }
}

/// Errors that prevent reading anything at all.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The main configuration file could not be read.
    #[error("{path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Read the main file (relative to the cwd) and everything it includes.
///
/// Only failing to read the main file itself is an `Err`; everything else
/// (including unreadable included files) becomes a diagnostic.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(parse_bytes(&bytes, path, opts))
}

/// Parse text as if it were the file `name` (includes resolve relative to
/// `name`'s directory). For tests and fuzzing.
pub fn parse_str(text: &str, name: &Path, opts: &LoadOptions) -> Loaded {
    load_text(text, name, opts, diag::Diags::default())
}

fn parse_bytes(bytes: &[u8], name: &Path, opts: &LoadOptions) -> Loaded {
    let mut diags = diag::Diags::default();
    let text = preprocess::decode(bytes, name, &mut diags);
    load_text(&text, name, opts, diags)
}

/// Two passes over the text, both streaming root blocks: the first keeps only
/// `global_defs` (keepalived applies most of its values to instances after
/// reading the whole file), the second builds the model block by block.
fn load_text(text: &str, name: &Path, opts: &LoadOptions, mut diags: diag::Diags) -> Loaded {
    let popts = pre_opts(opts);
    let mut globals = Vec::new();
    let mut scratch = diag::Diags::default();
    preprocess::run_streaming(text, name, &popts, &mut scratch, &mut |n, _| {
        if n.kw.text == "global_defs" {
            globals.push(n);
        }
    });
    let mut sem = semantic::Semantic::new(semantic::final_global(&globals));
    drop(globals);
    let sources =
        preprocess::run_streaming(text, name, &popts, &mut diags, &mut |n, d| sem.node(n, d));
    let config = sem.finish(&mut diags);
    Loaded {
        config,
        diagnostics: diags.into_vec(),
        sources,
    }
}

/// keepalived's default config id is `uname().nodename` up to the first `.`.
fn effective_config_id(opts: &LoadOptions) -> Option<String> {
    if let Some(id) = &opts.config_id {
        return Some(id.clone());
    }
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    let name = name.trim();
    let short = name.split('.').next().unwrap_or(name);
    if short.is_empty() {
        None
    } else {
        Some(short.to_string())
    }
}

fn pre_opts(opts: &LoadOptions) -> preprocess::Opts {
    preprocess::Opts {
        config_id: effective_config_id(opts),
        all_config: opts.all_config,
        no_includes: opts.no_includes,
    }
}
