//! The kernel's process events connector (`NETLINK_CONNECTOR`,
//! `CN_IDX_PROC`).
//!
//! [`ConnectorSource::open`] binds a netlink socket to the `CN_IDX_PROC`
//! multicast group, sends `PROC_CN_MCAST_LISTEN` and waits (at most
//! [`ACK_TIMEOUT`]) for the kernel's acknowledgement: the kernel only answers
//! callers in the initial user and pid namespaces with `CAP_NET_ADMIN`, and the
//! send itself fails with `ECONNREFUSED` outside the initial network
//! namespace. Afterwards the socket is non-blocking and
//! [`ConnectorSource::read_observations`] drains it.
//!
//! Events map to [`Observation`]s: fork, exec and comm of a thread group
//! leader become `Appeared` (the identity read from `/proc` at once; skipped
//! if the process is already gone), exit of a leader becomes `Exited`. Thread
//! events (pid != tgid) are ignored. `ENOBUFS` (the socket queue overflowed,
//! events were lost) doubles the receive buffer, up to a cap, and yields one
//! `Observation::Rescan` from a fresh `/proc` scan.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use netlink_sys::{protocols::NETLINK_CONNECTOR, Socket, SocketAddr};
use nix::sys::socket::{getsockopt, setsockopt, sockopt};

use super::procfs;
use super::wire::{self, Message, ProcEvent, ProcMessage};
use super::{Error, ReadOutcome};
use crate::event::{Appearance, Observation, Pid, ProcessInfo};

/// How long [`ConnectorSource::open`] waits for the kernel to acknowledge the
/// subscription. The kernel answers synchronously while handling the send, so
/// this only matters when it does not answer at all.
pub const ACK_TIMEOUT: Duration = Duration::from_millis(250);

/// Default upper bound for the receive buffer when `ENOBUFS` makes us grow it.
pub const DEFAULT_RCVBUF_CAP: usize = 32 * 1024 * 1024;

/// At most this many datagrams are handled per
/// [`ConnectorSource::read_observations`] call, so a fork storm cannot starve
/// the caller's event loop.
pub const MAX_BATCH: usize = 4096;

/// Receive buffer for one datagram (a proc event is well under 100 bytes).
const DATAGRAM_BUF: usize = 8192;

/// Statistics, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectorStats {
    /// Datagrams received.
    pub datagrams: u64,
    /// `ENOBUFS` (or `NLMSG_OVERRUN`) seen.
    pub overruns: u64,
    /// Rescans emitted after lost events.
    pub rescans: u64,
    /// Messages missing according to the per-CPU sequence numbers.
    pub seq_gaps: u64,
    /// Datagrams or messages that did not parse.
    pub malformed: u64,
}

/// A subscribed proc connector socket.
#[derive(Debug)]
pub struct ConnectorSource {
    socket: Socket,
    buf: Vec<u8>,
    /// Last sequence number per CPU (gap detection, logged only).
    last_seq: HashMap<u32, u32>,
    rcvbuf_cap: usize,
    /// Events were lost: discard what is queued and rescan.
    lost: bool,
    /// The kernel acknowledged our `PROC_CN_MCAST_LISTEN` (so dropping sends
    /// `PROC_CN_MCAST_IGNORE`; otherwise it would decrement another
    /// listener's count on kernels that keep one global counter).
    subscribed: bool,
    stats: ConnectorStats,
    /// What every live process looked like when last read: a forked child
    /// has its parent's comm and command line until it execs, so fork events
    /// (most of a fork storm) are answered from here without touching /proc.
    known: HashMap<Pid, ProcessInfo>,
    /// Whether any consumer matches on command lines; when not, only `comm`
    /// is read after an event.
    need_cmdline: bool,
}

fn sock_err(op: &'static str) -> impl FnOnce(io::Error) -> Error {
    move |source| Error::Socket { op, source }
}

fn errno_err(op: &'static str) -> impl FnOnce(nix::errno::Errno) -> Error {
    move |e| Error::Socket {
        op,
        source: io::Error::from(e),
    }
}

/// Convert a kernel pid (`__kernel_pid_t`) to ours; `None` if not positive.
fn pid_of(raw: i32) -> Option<Pid> {
    Pid::try_from(raw).ok().filter(|&p| p != 0)
}

/// Map one proc event to an observation. `read` looks the process up in
/// `/proc` (`None` if it is gone). Thread events (pid != tgid), acks and other
/// event kinds give `None`.
pub fn observation_for(
    event: &ProcEvent,
    read: impl FnOnce(Pid) -> Option<ProcessInfo>,
) -> Option<Observation> {
    let appeared = |pid: i32, tgid: i32, how: Appearance| {
        if pid != tgid {
            return None;
        }
        let info = read(pid_of(tgid)?)?;
        Some(Observation::Appeared { info, how })
    };
    match *event {
        ProcEvent::Fork {
            child_pid,
            child_tgid,
            ..
        } => appeared(child_pid, child_tgid, Appearance::Fork),
        ProcEvent::Exec {
            process_pid,
            process_tgid,
        } => appeared(process_pid, process_tgid, Appearance::Exec),
        ProcEvent::Comm {
            process_pid,
            process_tgid,
            ..
        } => appeared(process_pid, process_tgid, Appearance::Comm),
        ProcEvent::Exit {
            process_pid,
            process_tgid,
            ..
        } => {
            if process_pid != process_tgid {
                return None;
            }
            Some(Observation::Exited {
                pid: pid_of(process_tgid)?,
            })
        }
        ProcEvent::Ack { .. } | ProcEvent::Other { .. } => None,
    }
}

/// Read a process for an event; errors other than "gone" are logged and the
/// event skipped (one unreadable process must not stop event handling).
fn read_for_event(pid: Pid, need_cmdline: bool) -> Option<ProcessInfo> {
    let read = if need_cmdline {
        procfs::read_process(pid)
    } else {
        procfs::read_process_comm(pid)
    };
    match read {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(pid, error = %e, "cannot read process after proc event; skipped");
            None
        }
    }
}

impl ConnectorSource {
    /// Open the socket, subscribe and wait for the kernel's acknowledgement.
    ///
    /// Errors: [`Error::Refused`] when the kernel refuses (`ECONNREFUSED` in a
    /// non-initial network namespace, or an error in the acknowledgement such
    /// as `EPERM`), [`Error::NoAck`] when it does not answer (no proc events
    /// in the kernel, non-initial user/pid namespace, missing
    /// `CAP_NET_ADMIN`), [`Error::Socket`] otherwise.
    ///
    /// Events that arrive before the acknowledgement are dropped: take the
    /// initial `/proc` scan *after* this returns.
    pub fn open() -> Result<Self, Error> {
        let mut socket = Socket::new(NETLINK_CONNECTOR).map_err(sock_err("socket"))?;
        socket
            .bind(&SocketAddr::new(0, 1 << (wire::CN_IDX_PROC - 1)))
            .map_err(sock_err("bind"))?;
        let mut local = SocketAddr::new(0, 0);
        socket
            .get_address(&mut local)
            .map_err(sock_err("getsockname"))?;
        socket
            .set_non_blocking(true)
            .map_err(sock_err("set non-blocking"))?;
        let mut this = ConnectorSource {
            socket,
            buf: Vec::with_capacity(DATAGRAM_BUF),
            last_seq: HashMap::new(),
            rcvbuf_cap: DEFAULT_RCVBUF_CAP,
            lost: false,
            subscribed: false,
            stats: ConnectorStats::default(),
            known: HashMap::new(),
            need_cmdline: true,
        };
        this.subscribe(local.port_number())?;
        Ok(this)
    }

    fn subscribe(&mut self, port: u32) -> Result<(), Error> {
        // The acknowledgement echoes our `ack` + 1 (its `seq` is the kernel's
        // per-CPU counter on current kernels, not ours). Pick a value unlikely
        // to collide with another listener's request: their acknowledgements
        // reach us too.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let ack = nanos ^ port.rotate_left(16);
        let seq = 0;
        let req = wire::listen_request(wire::PROC_CN_MCAST_LISTEN, seq, ack, port);
        match self.socket.send_to(&req, &SocketAddr::new(0, 0), 0) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ECONNREFUSED) | Some(libc::EPERM) | Some(libc::EACCES)
                ) =>
            {
                return Err(Error::Refused(e));
            }
            Err(e) => {
                return Err(Error::Socket {
                    op: "send",
                    source: e,
                })
            }
        }
        let deadline = Instant::now() + ACK_TIMEOUT;
        // Bounded: at most one pass per millisecond of the timeout plus the
        // datagrams we may drain on the way.
        for _ in 0..(ACK_TIMEOUT.as_millis() as usize + MAX_BATCH) {
            if Instant::now() >= deadline {
                break;
            }
            self.buf.clear();
            match self.socket.recv_from(&mut self.buf, 0) {
                Ok((_, from)) if from.port_number() != 0 => {}
                Ok(_) => {
                    for msg in wire::messages(&self.buf) {
                        if let Ok(Message::Proc(ProcMessage {
                            ack: a,
                            event: ProcEvent::Ack { err },
                            ..
                        })) = msg
                        {
                            if a == ack.wrapping_add(1) {
                                if err == 0 {
                                    self.subscribed = true;
                                    return Ok(());
                                }
                                let errno = i32::try_from(err).unwrap_or(libc::EINVAL);
                                return Err(Error::Refused(io::Error::from_raw_os_error(errno)));
                            }
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Events before our subscription counts are covered by the
                // initial scan the caller takes afterwards.
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {}
                Err(e) => {
                    return Err(Error::Socket {
                        op: "recv",
                        source: e,
                    })
                }
            }
        }
        Err(Error::NoAck(ACK_TIMEOUT))
    }

    /// The socket, for the caller's reactor (readable ⇒ call
    /// [`Self::read_observations`]).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }

    /// Statistics so far.
    pub fn stats(&self) -> ConnectorStats {
        self.stats
    }

    /// The receive buffer size as the kernel reports it (twice the value
    /// set, see socket(7)).
    pub fn receive_buffer(&self) -> Result<usize, Error> {
        getsockopt(&self.socket, sockopt::RcvBuf).map_err(errno_err("getsockopt SO_RCVBUF"))
    }

    /// Set the receive buffer (`SO_RCVBUFFORCE`, or `SO_RCVBUF` when that is
    /// not permitted); returns the size the kernel now reports.
    pub fn set_receive_buffer(&mut self, bytes: usize) -> Result<usize, Error> {
        match setsockopt(&self.socket, sockopt::RcvBufForce, &bytes) {
            Ok(()) => {}
            Err(nix::errno::Errno::EPERM) => setsockopt(&self.socket, sockopt::RcvBuf, &bytes)
                .map_err(errno_err("setsockopt SO_RCVBUF"))?,
            Err(e) => return Err(errno_err("setsockopt SO_RCVBUFFORCE")(e)),
        }
        self.receive_buffer()
    }

    /// Upper bound (as reported by the kernel) for the automatic growth after
    /// `ENOBUFS`. Default [`DEFAULT_RCVBUF_CAP`].
    pub fn set_receive_buffer_cap(&mut self, bytes: usize) {
        self.rcvbuf_cap = bytes;
    }

    /// Events were lost: grow the buffer and arrange a rescan.
    fn overrun(&mut self) {
        self.stats.overruns += 1;
        self.lost = true;
        self.last_seq.clear();
        let current = match self.receive_buffer() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "proc connector lost events; cannot read receive buffer size");
                return;
            }
        };
        if current >= self.rcvbuf_cap {
            tracing::debug!(
                bytes = current,
                "proc connector lost events; receive buffer already at its cap"
            );
            return;
        }
        // The kernel doubles the value we set: setting `current` doubles it.
        let target = current.saturating_mul(2).min(self.rcvbuf_cap) / 2;
        match self.set_receive_buffer(target) {
            Ok(now) => tracing::warn!(
                from = current,
                to = now,
                "proc connector lost events (ENOBUFS): receive buffer enlarged, rescanning /proc"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "proc connector lost events; cannot enlarge receive buffer")
            }
        }
    }

    fn check_seq(&mut self, m: &ProcMessage) {
        if matches!(m.event, ProcEvent::Ack { .. }) {
            return;
        }
        if let Some(prev) = self.last_seq.insert(m.cpu, m.seq) {
            let expected = prev.wrapping_add(1);
            if m.seq != expected {
                let missed = m.seq.wrapping_sub(expected);
                self.stats.seq_gaps = self.stats.seq_gaps.saturating_add(u64::from(missed));
                tracing::debug!(cpu = m.cpu, missed, "proc connector: missed messages");
            }
        }
    }

    /// Whether observations must carry command lines (a tracker uses
    /// `full_command`, parameters or `param_match`). Default: yes.
    pub fn set_need_cmdline(&mut self, need: bool) {
        self.need_cmdline = need;
    }

    /// Replaces what is known about every process (after a scan).
    pub fn seed(&mut self, processes: &[ProcessInfo]) {
        self.known = processes.iter().map(|p| (p.pid, p.clone())).collect();
    }

    fn handle_datagram(&mut self, out: &mut Vec<Observation>) {
        let buf = std::mem::take(&mut self.buf);
        for msg in wire::messages(&buf) {
            match msg {
                Ok(Message::Proc(m)) => {
                    self.check_seq(&m);
                    // A child forked by a process's main thread starts as a copy
                    // of it (a child of another thread gets that thread's comm,
                    // so those are read).
                    let need_cmdline = self.need_cmdline;
                    let parent = match m.event {
                        ProcEvent::Fork {
                            parent_pid,
                            parent_tgid,
                            ..
                        } if parent_pid == parent_tgid => {
                            pid_of(parent_tgid).and_then(|p| self.known.get(&p))
                        }
                        _ => None,
                    };
                    let read = |pid: Pid| match parent {
                        Some(p) => Some(ProcessInfo {
                            pid,
                            comm: p.comm.clone(),
                            cmdline: p.cmdline.clone(),
                        }),
                        None => read_for_event(pid, need_cmdline),
                    };
                    if let Some(obs) = observation_for(&m.event, read) {
                        match &obs {
                            Observation::Appeared { info, .. } => {
                                self.known.insert(info.pid, info.clone());
                            }
                            Observation::Exited { pid } => {
                                self.known.remove(pid);
                            }
                            Observation::Rescan { processes } => {
                                self.known = processes.iter().map(|p| (p.pid, p.clone())).collect();
                            }
                        }
                        out.push(obs);
                    }
                }
                Ok(Message::Overrun) => self.overrun(),
                Ok(Message::NetlinkError(0)) | Ok(Message::Ignored) => {}
                Ok(Message::NetlinkError(errno)) => {
                    tracing::debug!(errno, "proc connector: netlink error message")
                }
                Err(e) => {
                    self.stats.malformed += 1;
                    tracing::debug!(error = %e, "proc connector: malformed message");
                }
            }
        }
        self.buf = buf;
    }

    /// Drain the socket (non-blocking), appending observations to `out`.
    ///
    /// Returns [`ReadOutcome::WouldBlock`] when the socket is empty, or
    /// [`ReadOutcome::BatchLimit`] after [`MAX_BATCH`] datagrams (call again).
    /// After `ENOBUFS` the rest of the batch is discarded and one
    /// `Observation::Rescan` ends it.
    pub fn read_observations(&mut self, out: &mut Vec<Observation>) -> Result<ReadOutcome, Error> {
        let mut outcome = ReadOutcome::BatchLimit;
        let mut handled = 0usize;
        while handled < MAX_BATCH {
            self.buf.clear();
            match self.socket.recv_from(&mut self.buf, 0) {
                Ok((_, from)) => {
                    handled += 1;
                    self.stats.datagrams += 1;
                    if from.port_number() != 0 {
                        // Not from the kernel.
                        continue;
                    }
                    if self.lost {
                        // Superseded by the rescan below.
                        continue;
                    }
                    self.handle_datagram(out);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    outcome = ReadOutcome::WouldBlock;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => self.overrun(),
                Err(e) => {
                    return Err(Error::Socket {
                        op: "recv",
                        source: e,
                    })
                }
            }
        }
        if self.lost {
            let processes = procfs::scan()?;
            self.lost = false;
            self.stats.rescans += 1;
            self.seed(&processes);
            out.push(Observation::Rescan { processes });
        }
        Ok(outcome)
    }
}

impl Drop for ConnectorSource {
    fn drop(&mut self) {
        if !self.subscribed {
            return;
        }
        let mut local = SocketAddr::new(0, 0);
        if self.socket.get_address(&mut local).is_ok() {
            let req = wire::listen_request(wire::PROC_CN_MCAST_IGNORE, 0, 0, local.port_number());
            // Best effort: the socket closes right after anyway.
            let _ = self.socket.send_to(&req, &SocketAddr::new(0, 0), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pid: Pid) -> Option<ProcessInfo> {
        Some(ProcessInfo {
            pid,
            comm: "x".into(),
            cmdline: vec!["/x".into()],
        })
    }

    #[test]
    fn threads_are_ignored() {
        let thread_fork = ProcEvent::Fork {
            parent_pid: 1,
            parent_tgid: 1,
            child_pid: 11,
            child_tgid: 10,
        };
        assert_eq!(observation_for(&thread_fork, info), None);
        let thread_exec = ProcEvent::Exec {
            process_pid: 11,
            process_tgid: 10,
        };
        assert_eq!(observation_for(&thread_exec, info), None);
        let thread_exit = ProcEvent::Exit {
            process_pid: 11,
            process_tgid: 10,
            exit_code: 0,
            exit_signal: 0,
            parent_pid: 1,
            parent_tgid: 1,
        };
        assert_eq!(observation_for(&thread_exit, info), None);
        let thread_comm = ProcEvent::Comm {
            process_pid: 11,
            process_tgid: 10,
            comm: [0; 16],
        };
        assert_eq!(observation_for(&thread_comm, info), None);
    }

    #[test]
    fn process_events_map() {
        let fork = ProcEvent::Fork {
            parent_pid: 1,
            parent_tgid: 1,
            child_pid: 10,
            child_tgid: 10,
        };
        assert_eq!(
            observation_for(&fork, info),
            Some(Observation::Appeared {
                info: info(10).unwrap_or_else(|| unreachable!()),
                how: Appearance::Fork
            })
        );
        // A thread of process 1 forking a new process: still a new process.
        let fork_from_thread = ProcEvent::Fork {
            parent_pid: 2,
            parent_tgid: 1,
            child_pid: 10,
            child_tgid: 10,
        };
        assert!(observation_for(&fork_from_thread, info).is_some());
        let exec = ProcEvent::Exec {
            process_pid: 10,
            process_tgid: 10,
        };
        assert!(matches!(
            observation_for(&exec, info),
            Some(Observation::Appeared {
                how: Appearance::Exec,
                ..
            })
        ));
        let comm = ProcEvent::Comm {
            process_pid: 10,
            process_tgid: 10,
            comm: [0; 16],
        };
        assert!(matches!(
            observation_for(&comm, info),
            Some(Observation::Appeared {
                how: Appearance::Comm,
                ..
            })
        ));
        let exit = ProcEvent::Exit {
            process_pid: 10,
            process_tgid: 10,
            exit_code: 0,
            exit_signal: 17,
            parent_pid: 1,
            parent_tgid: 1,
        };
        assert_eq!(
            observation_for(&exit, info),
            Some(Observation::Exited { pid: 10 })
        );
    }

    #[test]
    fn gone_or_invalid_pids_are_skipped() {
        let fork = ProcEvent::Fork {
            parent_pid: 1,
            parent_tgid: 1,
            child_pid: 10,
            child_tgid: 10,
        };
        assert_eq!(observation_for(&fork, |_| None), None);
        let neg = ProcEvent::Exit {
            process_pid: -5,
            process_tgid: -5,
            exit_code: 0,
            exit_signal: 0,
            parent_pid: 0,
            parent_tgid: 0,
        };
        assert_eq!(observation_for(&neg, info), None);
        let zero = ProcEvent::Exec {
            process_pid: 0,
            process_tgid: 0,
        };
        assert_eq!(observation_for(&zero, info), None);
        assert_eq!(observation_for(&ProcEvent::Ack { err: 0 }, info), None);
        assert_eq!(observation_for(&ProcEvent::Other { what: 4 }, info), None);
    }
}
