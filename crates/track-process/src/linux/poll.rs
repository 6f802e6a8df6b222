//! The fallback when the proc connector is refused: scan `/proc` at an
//! interval and diff against the previous scan.
//!
//! Each [`PollSource::poll`] emits, in this order, `Exited` for every pid that
//! disappeared (ascending pid), then for every pid that is new
//! `Appeared { how: Fork }`, and for a pid whose identity changed
//! `Appeared { how: Exec }` (cmdline changed) or `Appeared { how: Comm }`
//! (only comm changed). So trackers see the same kinds of observations as with
//! the connector, and fork_delay/terminate_delay apply as usual. What polling
//! cannot see: processes that live less than one interval, and a pid that is
//! reused between two scans shows up as an exec of that pid.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{procfs, Error};
use crate::event::{Appearance, Observation, Pid, ProcessInfo};

/// Default interval between two scans.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Intervals below this are raised to it.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Periodic `/proc` scanner.
#[derive(Debug, Clone)]
pub struct PollSource {
    interval: Duration,
    previous: BTreeMap<Pid, ProcessInfo>,
}

impl PollSource {
    /// Take the baseline scan now.
    pub fn new(interval: Duration) -> Result<Self, Error> {
        Ok(Self::with_baseline(interval, procfs::scan()?))
    }

    /// Use `baseline` (a scan the caller already has) as the previous scan.
    pub fn with_baseline(interval: Duration, baseline: Vec<ProcessInfo>) -> Self {
        PollSource {
            interval: interval.max(MIN_POLL_INTERVAL),
            previous: baseline.into_iter().map(|p| (p.pid, p)).collect(),
        }
    }

    /// The interval the caller should call [`Self::poll`] at.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Scan now, and make this scan the baseline of the next diff.
    pub fn rescan(&mut self) -> Result<Vec<ProcessInfo>, Error> {
        let now = procfs::scan()?;
        self.previous = now.iter().map(|p| (p.pid, p.clone())).collect();
        Ok(now)
    }

    /// Scan `/proc` and append the differences from the previous scan.
    pub fn poll(&mut self, out: &mut Vec<Observation>) -> Result<(), Error> {
        let now = procfs::scan()?;
        self.apply(now, out);
        Ok(())
    }

    /// Diff `now` (a scan) against the previous one and adopt it (sans-IO
    /// part of [`Self::poll`]).
    pub fn apply(&mut self, now: Vec<ProcessInfo>, out: &mut Vec<Observation>) {
        let now: BTreeMap<Pid, ProcessInfo> = now.into_iter().map(|p| (p.pid, p)).collect();
        for pid in self.previous.keys() {
            if !now.contains_key(pid) {
                out.push(Observation::Exited { pid: *pid });
            }
        }
        for (pid, info) in &now {
            let how = match self.previous.get(pid) {
                None => Appearance::Fork,
                Some(old) if old.cmdline != info.cmdline => Appearance::Exec,
                Some(old) if old.comm != info.comm => Appearance::Comm,
                Some(_) => continue,
            };
            out.push(Observation::Appeared {
                info: info.clone(),
                how,
            });
        }
        self.previous = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: Pid, comm: &str, args: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid,
            comm: comm.into(),
            cmdline: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn diff_reports_exits_forks_execs_renames() {
        let mut src = PollSource::with_baseline(
            Duration::ZERO,
            vec![
                p(1, "init", &["/sbin/init"]),
                p(2, "gone", &["gone"]),
                p(3, "sh", &["sh"]),
                p(4, "old", &["srv"]),
            ],
        );
        assert_eq!(src.interval(), MIN_POLL_INTERVAL);
        let mut out = Vec::new();
        src.apply(
            vec![
                p(1, "init", &["/sbin/init"]),
                p(3, "haproxy", &["/usr/sbin/haproxy"]),
                p(4, "new", &["srv"]),
                p(5, "born", &["born"]),
            ],
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                Observation::Exited { pid: 2 },
                Observation::Appeared {
                    info: p(3, "haproxy", &["/usr/sbin/haproxy"]),
                    how: Appearance::Exec
                },
                Observation::Appeared {
                    info: p(4, "new", &["srv"]),
                    how: Appearance::Comm
                },
                Observation::Appeared {
                    info: p(5, "born", &["born"]),
                    how: Appearance::Fork
                },
            ]
        );
        out.clear();
        src.apply(
            vec![
                p(1, "init", &["/sbin/init"]),
                p(3, "haproxy", &["/usr/sbin/haproxy"]),
                p(4, "new", &["srv"]),
                p(5, "born", &["born"]),
            ],
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }
}
