//! Diagnostics: every problem found while reading the configuration.

use crate::model::Location;
use std::collections::HashSet;
use std::fmt;

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
