//! A script command line as written for `notify*`, `script`, `*_fifo_script`.

use super::Location;

/// A command as keepalived would run it: argv after its quote/escape rules,
/// plus the optional user and group words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The command split into arguments (argv[0] is the program).
    pub argv: Vec<String>,
    /// The command text as written (after the outer tokenizer), for messages
    /// and `--dump-config`.
    pub raw: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub location: Location,
}
