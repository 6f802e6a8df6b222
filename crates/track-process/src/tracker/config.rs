//! One `vrrp_track_process` block's settings, their validation, and the
//! process-matching rules of reference §4.1.

use thiserror::Error;

use crate::event::ProcessInfo;

/// The kernel keeps at most this many bytes of a process name (comm):
/// `TASK_COMM_LEN` is 16 including the terminating NUL.
pub const COMM_MAX_LEN: usize = 15;

/// Largest accepted quorum / quorum_max (keepalived's range).
pub const QUORUM_MAX_VALUE: u32 = 65_535;

/// Largest accepted delay, fork_delay or terminate_delay: 3600 s in µs.
pub const MAX_DELAY_US: u64 = 3_600_000_000;

/// How configured parameters are compared with a process's arguments
/// (`param_match`, reference §4.1). Only used in full-command mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    /// The argument list must be identical to the configured parameters. With
    /// no configured parameters the process must have no arguments at all.
    Exact,
    /// The first n arguments must equal the n configured parameters; more
    /// arguments may follow.
    Partial,
    /// Like `Partial`, but the last configured parameter only needs to be a
    /// prefix of the corresponding argument.
    Initial,
}

/// The settings of one `vrrp_track_process NAME { … }` block, as the tracker
/// needs them. Times are integer microseconds: the config parser turns
/// keepalived's decimal seconds into µs, so the core never rounds floats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerConfig {
    /// The block's name, for messages only.
    pub name: String,
    /// `process NAME`: the comm name, or argv\[0\] in full-command mode.
    pub process: String,
    /// The parameters given after the process name (`process NAME p1 p2`).
    pub params: Vec<String>,
    /// `param_match`; `None` when the keyword is absent.
    pub param_match: Option<ParamMatch>,
    /// `full_command`. Also implied by parameters or `param_match`.
    pub full_command: bool,
    /// `quorum`, 1..=65535 (forced to 0 by `quorum_max 0`).
    pub quorum: u32,
    /// `quorum_max`, 0..=65535; `None` means unlimited.
    pub quorum_max: Option<u32>,
    /// `delay`: the default for both `fork_delay` and `terminate_delay`.
    pub delay_us: Option<u64>,
    /// `fork_delay`: how long a status change caused by a process appearing
    /// waits before it is reported.
    pub fork_delay_us: Option<u64>,
    /// `terminate_delay`: how long a status change caused by a process going
    /// away waits before it is reported.
    pub terminate_delay_us: Option<u64>,
}

impl TrackerConfig {
    /// keepalived's defaults for a block that only names its process: comm
    /// mode, quorum 1, no quorum_max, no delays.
    pub fn new(name: impl Into<String>, process: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            process: process.into(),
            params: Vec::new(),
            param_match: None,
            full_command: false,
            quorum: 1,
            quorum_max: None,
            delay_us: None,
            fork_delay_us: None,
            terminate_delay_us: None,
        }
    }

    /// True when processes are matched on their command line rather than on
    /// comm: `full_command`, or implied by parameters or `param_match`.
    pub fn full_command_mode(&self) -> bool {
        self.full_command || !self.params.is_empty() || self.param_match.is_some()
    }

    /// The lower quorum bound actually used: `quorum_max 0` means "must not be
    /// running", so it forces the lower bound to 0 whatever `quorum` says.
    pub fn effective_quorum(&self) -> u32 {
        if self.quorum_max == Some(0) {
            0
        } else {
            self.quorum
        }
    }

    /// `fork_delay`, falling back to `delay`.
    pub fn effective_fork_delay_us(&self) -> Option<u64> {
        self.fork_delay_us.or(self.delay_us)
    }

    /// `terminate_delay`, falling back to `delay`.
    pub fn effective_terminate_delay_us(&self) -> Option<u64> {
        self.terminate_delay_us.or(self.delay_us)
    }

    /// True when `count` matching processes mean "quorum achieved":
    /// `quorum <= count <= quorum_max`.
    pub fn quorum_ok(&self, count: usize) -> bool {
        // usize -> u64 never truncates on the targets we build for; saturate
        // anyway rather than cast.
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        let low = u64::from(self.effective_quorum());
        let high_ok = self.quorum_max.is_none_or(|max| count <= u64::from(max));
        count >= low && high_ok
    }

    /// Checks the ranges keepalived's parser enforces, so a tracker built by
    /// other code than the parser cannot hold a meaningless setting (a zero
    /// delay would, for example, turn "delayed" into "immediate" silently).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let name = || self.name.clone();
        if self.process.is_empty() {
            return Err(ConfigError::NoProcess { name: name() });
        }
        if self.quorum_max != Some(0) && !(1..=QUORUM_MAX_VALUE).contains(&self.quorum) {
            return Err(ConfigError::Quorum {
                name: name(),
                quorum: self.quorum,
            });
        }
        if let Some(max) = self.quorum_max {
            if max > QUORUM_MAX_VALUE {
                return Err(ConfigError::QuorumMax {
                    name: name(),
                    quorum_max: max,
                });
            }
            if self.effective_quorum() > max {
                return Err(ConfigError::QuorumAboveMax {
                    name: name(),
                    quorum: self.quorum,
                    quorum_max: max,
                });
            }
        }
        for (keyword, value) in [
            ("delay", self.delay_us),
            ("fork_delay", self.fork_delay_us),
            ("terminate_delay", self.terminate_delay_us),
        ] {
            if let Some(us) = value {
                if !(1..=MAX_DELAY_US).contains(&us) {
                    return Err(ConfigError::Delay {
                        name: name(),
                        keyword,
                        us,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether `info` is one of the processes this block tracks (§4.1).
    pub fn matches(&self, info: &ProcessInfo) -> bool {
        if !self.full_command_mode() {
            // The kernel truncates comm to 15 bytes, so a longer configured
            // name can never be equal to any comm: say so explicitly instead
            // of relying on the event source never handing us a longer comm.
            return self.process.len() <= COMM_MAX_LEN && info.comm == self.process;
        }
        let Some((argv0, args)) = info.cmdline.split_first() else {
            // Kernel threads and zombies have an empty cmdline.
            return false;
        };
        // argv[0] is compared as written: no basename matching, so
        // "/usr/sbin/haproxy" and "haproxy" are different processes.
        argv0 == &self.process && self.params_match(args)
    }

    fn params_match(&self, args: &[String]) -> bool {
        let want = &self.params;
        match self.param_match {
            // Neither parameters nor param_match: argv[0] alone decides.
            None if want.is_empty() => true,
            None | Some(ParamMatch::Exact) => args == want.as_slice(),
            Some(ParamMatch::Partial) => args.get(..want.len()) == Some(want.as_slice()),
            Some(ParamMatch::Initial) => {
                let Some((last_want, head_want)) = want.split_last() else {
                    // Zero parameters: "the first zero match" holds for all.
                    return true;
                };
                let Some(head_args) = args.get(..head_want.len()) else {
                    return false;
                };
                head_args == head_want
                    && args
                        .get(head_want.len())
                        .is_some_and(|arg| arg.starts_with(last_want.as_str()))
            }
        }
    }
}

/// A setting outside the range keepalived accepts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("vrrp_track_process {name}: no process name")]
    NoProcess { name: String },
    #[error("vrrp_track_process {name}: quorum {quorum} is outside 1..=65535")]
    Quorum { name: String, quorum: u32 },
    #[error("vrrp_track_process {name}: quorum_max {quorum_max} is outside 0..=65535")]
    QuorumMax { name: String, quorum_max: u32 },
    #[error("vrrp_track_process {name}: quorum {quorum} is above quorum_max {quorum_max}")]
    QuorumAboveMax {
        name: String,
        quorum: u32,
        quorum_max: u32,
    },
    #[error("vrrp_track_process {name}: {keyword} of {us} µs is outside 1 µs..=3600 s")]
    Delay {
        name: String,
        keyword: &'static str,
        us: u64,
    },
}
