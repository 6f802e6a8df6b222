//! One precise timer for the whole daemon, on a Linux timerfd.
//!
//! tokio's timer wheel has millisecond resolution and rounds every deadline up, so
//! a takeover scheduled for Master_Down_Interval would fire up to a millisecond
//! late. A timerfd is an hrtimer: it fires within the kernel's timer slack (50 µs
//! by default), which keeps our overhead beyond the RFC interval at keepalived's
//! level or below.

use nix::sys::time::TimeSpec;
use nix::sys::timer::{Expiration, TimerSetTimeFlags};
use nix::sys::timerfd::{ClockId, TimerFd, TimerFlags};
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use vrrp::Timestamp;

/// A timerfd that exposes its raw descriptor, as tokio's `AsyncFd` requires.
pub struct TimerHandle(TimerFd);

impl AsRawFd for TimerHandle {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

pub struct PreciseTimer {
    fd: AsyncFd<TimerHandle>,
    /// The deadline the timerfd is set for, if any.
    armed: Option<Timestamp>,
}

impl PreciseTimer {
    pub fn new() -> io::Result<Self> {
        let tfd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        Ok(PreciseTimer {
            fd: crate::sys::register_timer(TimerHandle(tfd))?,
            armed: None,
        })
    }

    /// Sets the timer to fire at `at` (`now` is the current time on the same
    /// clock), or disarms it. A no-op when nothing changed.
    pub fn arm(&mut self, at: Option<Timestamp>, now: Timestamp) -> io::Result<()> {
        if at == self.armed {
            return Ok(());
        }
        let tfd = &self.fd.get_ref().0;
        match at {
            None => tfd.unset()?,
            Some(t) => {
                // A zero expiry would disarm the timerfd: a due deadline fires
                // after one microsecond instead.
                let us = t.micros_since(now).max(1);
                tfd.set(
                    Expiration::OneShot(TimeSpec::from_duration(Duration::from_micros(us))),
                    TimerSetTimeFlags::empty(),
                )?;
            }
        }
        self.armed = at;
        Ok(())
    }

    /// Waits until the armed deadline passes. Cancel-safe.
    pub async fn expired(&mut self) -> io::Result<()> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|inner| inner.get_ref().0.wait().map_err(io::Error::from)) {
                Ok(Ok(())) => {
                    self.armed = None;
                    return Ok(());
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
    }
}
