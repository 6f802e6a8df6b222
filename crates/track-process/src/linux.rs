//! The Linux event source: process events from the kernel's proc connector,
//! or, where that is refused, periodic `/proc` scans. No async runtime: the
//! daemon watches [`Source::fd`] (connector) or calls [`Source::poll`] every
//! [`Source::poll_interval`] (fallback).
//!
//! Start-up order: [`Source::open`] first, then [`Source::scan`] (or
//! [`Source::initial_scan`]) and feed it as an `Observation::Rescan`; events
//! read afterwards can only be newer than what the scan may have missed. An
//! event may repeat what the scan already showed (a process forked between
//! subscribing and scanning is in the scan *and* reported by its fork event),
//! so consumers treat `Appeared` of a known pid with the same identity, and
//! `Exited` of an unknown pid, as no-ops. The same holds for events still
//! queued behind an `Observation::Rescan` after lost events.

pub mod connector;
pub mod poll;
pub mod procfs;
pub mod wire;

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

pub use connector::ConnectorSource;
pub use poll::{PollSource, DEFAULT_POLL_INTERVAL};
pub use procfs::ProcfsError;

use crate::event::{Observation, ProcessInfo};

/// Errors of the event source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Procfs(#[from] ProcfsError),
    #[error("proc connector: {op}: {source}")]
    Socket {
        op: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("proc connector subscription refused: {0}")]
    Refused(#[source] io::Error),
    #[error(
        "proc connector: no acknowledgement within {0:?} (kernel without proc events, \
         not in the initial user/pid namespace, or no CAP_NET_ADMIN)"
    )]
    NoAck(Duration),
}

/// Why [`Source::read_observations`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum ReadOutcome {
    /// The socket is empty (`EAGAIN`): wait for readability.
    WouldBlock,
    /// A batch limit was reached: more may be queued, call again.
    BatchLimit,
}

/// The event source the daemon uses.
#[derive(Debug)]
pub enum Source {
    /// Kernel process events (initial network namespace).
    Connector(ConnectorSource),
    /// `/proc` scanned at an interval (connector refused).
    Poll(PollSource),
}

impl Source {
    /// Open the proc connector; when that fails (refused in a non-initial
    /// network namespace, no permission, no proc events in the kernel), log
    /// one warning and fall back to scanning `/proc` every `poll_interval`
    /// ([`DEFAULT_POLL_INTERVAL`] is keepalived-rs's default). Fails only if
    /// the fallback's baseline `/proc` scan fails.
    pub fn open(poll_interval: Duration) -> Result<Self, Error> {
        match ConnectorSource::open() {
            Ok(c) => Ok(Source::Connector(c)),
            Err(e) => {
                let poll = PollSource::new(poll_interval)?;
                tracing::warn!(
                    error = %e,
                    interval = ?poll.interval(),
                    "process events unavailable; tracking processes by scanning /proc at an interval"
                );
                Ok(Source::Poll(poll))
            }
        }
    }

    /// Open the `/proc` polling source directly.
    pub fn open_poll(poll_interval: Duration) -> Result<Self, Error> {
        Ok(Source::Poll(PollSource::new(poll_interval)?))
    }

    /// A full `/proc` scan (live, non-zombie processes, ascending pid).
    pub fn initial_scan() -> Result<Vec<ProcessInfo>, Error> {
        Ok(procfs::scan()?)
    }

    /// A full `/proc` scan that, for the polling source, also becomes the
    /// baseline of the next diff (so nothing is reported twice).
    pub fn scan(&mut self) -> Result<Vec<ProcessInfo>, Error> {
        match self {
            Source::Connector(c) => {
                let processes = Self::initial_scan()?;
                c.seed(&processes);
                Ok(processes)
            }
            Source::Poll(p) => p.rescan(),
        }
    }

    /// Whether observations must carry command lines; see
    /// [`ConnectorSource::set_need_cmdline`]. The polling source always reads
    /// them (it detects execs by a changed command line).
    pub fn set_need_cmdline(&mut self, need: bool) {
        if let Source::Connector(c) = self {
            c.set_need_cmdline(need);
        }
    }

    /// The connector socket to wait on for readability; `None` when polling.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Source::Connector(c) => Some(c.fd()),
            Source::Poll(_) => None,
        }
    }

    /// How often to call [`Self::poll`]; `None` for the connector.
    pub fn poll_interval(&self) -> Option<Duration> {
        match self {
            Source::Connector(_) => None,
            Source::Poll(p) => Some(p.interval()),
        }
    }

    /// Connector: drain the socket without blocking (see
    /// [`ConnectorSource::read_observations`]). Polling: does nothing and
    /// returns `WouldBlock`.
    pub fn read_observations(&mut self, out: &mut Vec<Observation>) -> Result<ReadOutcome, Error> {
        match self {
            Source::Connector(c) => c.read_observations(out),
            Source::Poll(_) => Ok(ReadOutcome::WouldBlock),
        }
    }

    /// Polling: scan and append the differences from the previous scan (see
    /// [`PollSource::poll`]). Connector: does nothing.
    pub fn poll(&mut self, out: &mut Vec<Observation>) -> Result<(), Error> {
        match self {
            Source::Connector(_) => Ok(()),
            Source::Poll(p) => p.poll(out),
        }
    }

    /// Whether kernel events are used (as opposed to polling).
    pub fn is_connector(&self) -> bool {
        matches!(self, Source::Connector(_))
    }
}
