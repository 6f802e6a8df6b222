//! The proc connector's wire format, parsed by hand with bounds checks.
//!
//! A datagram from the kernel holds one or more netlink messages
//! (`nlmsghdr`, 16 bytes, each padded to 4 bytes). A connector message
//! (type `NLMSG_DONE`) carries a `cn_msg` header (20 bytes) whose payload,
//! for `CN_IDX_PROC`/`CN_VAL_PROC`, is a `proc_event`: `what`, `cpu`,
//! `timestamp_ns` (16 bytes) and then a per-event union. All integers are in
//! host byte order. Every read below is checked; arbitrary bytes yield
//! [`ParseError`]s or skipped messages, never a panic.

/// Connector index of the process events connector (`CN_IDX_PROC`).
pub const CN_IDX_PROC: u32 = 1;
/// Connector value of the process events connector (`CN_VAL_PROC`).
pub const CN_VAL_PROC: u32 = 1;
/// `PROC_CN_MCAST_LISTEN`: subscribe to process events.
pub const PROC_CN_MCAST_LISTEN: u32 = 1;
/// `PROC_CN_MCAST_IGNORE`: unsubscribe.
pub const PROC_CN_MCAST_IGNORE: u32 = 2;

/// `sizeof(struct nlmsghdr)`.
pub const NLMSG_HDRLEN: usize = 16;
/// `sizeof(struct cn_msg)` without its payload.
pub const CN_MSG_HDRLEN: usize = 20;
/// `what`, `cpu`, `timestamp_ns` of `struct proc_event`.
pub const PROC_EVENT_HDRLEN: usize = 16;

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;

pub const PROC_EVENT_NONE: u32 = 0;
pub const PROC_EVENT_FORK: u32 = 0x0000_0001;
pub const PROC_EVENT_EXEC: u32 = 0x0000_0002;
pub const PROC_EVENT_COMM: u32 = 0x0000_0200;
pub const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// Why bytes could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("netlink header truncated: {available} bytes left")]
    NlmsgTruncated { available: usize },
    #[error("netlink message length {len} invalid ({available} bytes left)")]
    NlmsgLength { len: u32, available: usize },
    #[error("connector header truncated: {available} bytes")]
    CnMsgTruncated { available: usize },
    #[error("connector payload length {len} exceeds the {available} bytes present")]
    CnMsgLength { len: u16, available: usize },
    #[error("proc_event truncated: {available} bytes for event {what:#x} (need {needed})")]
    ProcEventTruncated {
        what: u32,
        available: usize,
        needed: usize,
    },
}

/// One netlink message of a datagram, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// A process event from the proc connector.
    Proc(ProcMessage),
    /// A netlink error message (`NLMSG_ERROR`) with this (negative) errno;
    /// 0 is an acknowledgement.
    NetlinkError(i32),
    /// `NLMSG_OVERRUN`: data was lost.
    Overrun,
    /// Anything else (another connector, `NLMSG_NOOP`, unknown types).
    Ignored,
}

/// `cn_msg` header fields plus the parsed `proc_event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcMessage {
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub cpu: u32,
    pub timestamp_ns: u64,
    pub event: ProcEvent,
}

/// The `proc_event` union, for the kinds we use. Pids are the kernel's
/// `__kernel_pid_t` (signed 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcEvent {
    /// `PROC_EVENT_NONE`: acknowledgement of a listen/ignore request.
    Ack {
        err: u32,
    },
    Fork {
        parent_pid: i32,
        parent_tgid: i32,
        child_pid: i32,
        child_tgid: i32,
    },
    Exec {
        process_pid: i32,
        process_tgid: i32,
    },
    Comm {
        process_pid: i32,
        process_tgid: i32,
        comm: [u8; 16],
    },
    Exit {
        process_pid: i32,
        process_tgid: i32,
        exit_code: u32,
        exit_signal: u32,
        /// Absent (0) on kernels older than 4.x, which sent 16 bytes.
        parent_pid: i32,
        parent_tgid: i32,
    },
    /// uid/gid/sid/ptrace/coredump/... : not used here.
    Other {
        what: u32,
    },
}

impl ProcEvent {
    /// The comm bytes of a `Comm` event up to the first NUL.
    pub fn comm_bytes(comm: &[u8; 16]) -> &[u8] {
        let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
        comm.get(..end).unwrap_or(&[])
    }
}

fn u16_at(buf: &[u8], off: usize) -> Option<u16> {
    let b = buf.get(off..off.checked_add(2)?)?;
    Some(u16::from_ne_bytes([
        b.first().copied()?,
        b.get(1).copied()?,
    ]))
}

fn u32_at(buf: &[u8], off: usize) -> Option<u32> {
    let b: [u8; 4] = buf.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_ne_bytes(b))
}

fn i32_at(buf: &[u8], off: usize) -> Option<i32> {
    let b: [u8; 4] = buf.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(i32::from_ne_bytes(b))
}

fn u64_at(buf: &[u8], off: usize) -> Option<u64> {
    let b: [u8; 8] = buf.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_ne_bytes(b))
}

/// Iterator over the netlink messages of one datagram. After an error about
/// the framing itself it stops (the rest cannot be located).
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
    done: bool,
}

/// Parse a datagram received on the connector socket.
pub fn messages(datagram: &[u8]) -> Messages<'_> {
    Messages {
        rest: datagram,
        done: false,
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let available = self.rest.len();
        let (Some(len), Some(kind)) = (u32_at(self.rest, 0), u16_at(self.rest, 4)) else {
            self.done = true;
            return Some(Err(ParseError::NlmsgTruncated { available }));
        };
        let len_usize = usize::try_from(len).unwrap_or(usize::MAX);
        if len_usize < NLMSG_HDRLEN || len_usize > available {
            self.done = true;
            return Some(Err(ParseError::NlmsgLength { len, available }));
        }
        let payload = self.rest.get(NLMSG_HDRLEN..len_usize).unwrap_or(&[]);
        // Messages are padded to 4 bytes; the last one may omit the padding.
        let aligned = len_usize.saturating_add(3) & !3;
        self.rest = self.rest.get(aligned..).unwrap_or(&[]);
        Some(match kind {
            NLMSG_DONE => parse_cn_msg(payload),
            NLMSG_ERROR => Ok(Message::NetlinkError(i32_at(payload, 0).unwrap_or(0))),
            NLMSG_OVERRUN => Ok(Message::Overrun),
            _ => Ok(Message::Ignored),
        })
    }
}

/// Parse a `cn_msg` (the payload of an `NLMSG_DONE` message).
pub fn parse_cn_msg(buf: &[u8]) -> Result<Message, ParseError> {
    let available = buf.len();
    let truncated = ParseError::CnMsgTruncated { available };
    let idx = u32_at(buf, 0).ok_or(truncated)?;
    let val = u32_at(buf, 4).ok_or(truncated)?;
    let seq = u32_at(buf, 8).ok_or(truncated)?;
    let ack = u32_at(buf, 12).ok_or(truncated)?;
    let len = u16_at(buf, 16).ok_or(truncated)?;
    let flags = u16_at(buf, 18).ok_or(truncated)?;
    let data = buf
        .get(CN_MSG_HDRLEN..CN_MSG_HDRLEN + usize::from(len))
        .ok_or(ParseError::CnMsgLength {
            len,
            available: available.saturating_sub(CN_MSG_HDRLEN),
        })?;
    if idx != CN_IDX_PROC || val != CN_VAL_PROC {
        return Ok(Message::Ignored);
    }
    let (_what, cpu, timestamp_ns, event) = parse_proc_event(data)?;
    Ok(Message::Proc(ProcMessage {
        seq,
        ack,
        flags,
        cpu,
        timestamp_ns,
        event,
    }))
}

/// Parse a `proc_event`: returns `(what, cpu, timestamp_ns, event)`.
pub fn parse_proc_event(buf: &[u8]) -> Result<(u32, u32, u64, ProcEvent), ParseError> {
    let available = buf.len();
    let header = ParseError::ProcEventTruncated {
        what: u32_at(buf, 0).unwrap_or(0),
        available,
        needed: PROC_EVENT_HDRLEN,
    };
    let what = u32_at(buf, 0).ok_or(header)?;
    let cpu = u32_at(buf, 4).ok_or(header)?;
    let timestamp_ns = u64_at(buf, 8).ok_or(header)?;
    let d = buf.get(PROC_EVENT_HDRLEN..).unwrap_or(&[]);
    let short = |needed: usize| ParseError::ProcEventTruncated {
        what,
        available,
        needed: PROC_EVENT_HDRLEN + needed,
    };
    let event = match what {
        PROC_EVENT_NONE => ProcEvent::Ack {
            err: u32_at(d, 0).ok_or(short(4))?,
        },
        PROC_EVENT_FORK => ProcEvent::Fork {
            parent_pid: i32_at(d, 0).ok_or(short(16))?,
            parent_tgid: i32_at(d, 4).ok_or(short(16))?,
            child_pid: i32_at(d, 8).ok_or(short(16))?,
            child_tgid: i32_at(d, 12).ok_or(short(16))?,
        },
        PROC_EVENT_EXEC => ProcEvent::Exec {
            process_pid: i32_at(d, 0).ok_or(short(8))?,
            process_tgid: i32_at(d, 4).ok_or(short(8))?,
        },
        PROC_EVENT_COMM => {
            let comm: [u8; 16] = d
                .get(8..24)
                .and_then(|c| c.try_into().ok())
                .ok_or(short(24))?;
            ProcEvent::Comm {
                process_pid: i32_at(d, 0).ok_or(short(24))?,
                process_tgid: i32_at(d, 4).ok_or(short(24))?,
                comm,
            }
        }
        PROC_EVENT_EXIT => ProcEvent::Exit {
            process_pid: i32_at(d, 0).ok_or(short(16))?,
            process_tgid: i32_at(d, 4).ok_or(short(16))?,
            exit_code: u32_at(d, 8).ok_or(short(16))?,
            exit_signal: u32_at(d, 12).ok_or(short(16))?,
            parent_pid: i32_at(d, 16).unwrap_or(0),
            parent_tgid: i32_at(d, 20).unwrap_or(0),
        },
        other => ProcEvent::Other { what: other },
    };
    Ok((what, cpu, timestamp_ns, event))
}

/// Build the datagram that subscribes (`PROC_CN_MCAST_LISTEN`) or
/// unsubscribes (`PROC_CN_MCAST_IGNORE`).
pub fn listen_request(op: u32, seq: u32, ack: u32, nl_pid: u32) -> Vec<u8> {
    let total = NLMSG_HDRLEN + CN_MSG_HDRLEN + 4;
    let mut b = Vec::with_capacity(total);
    // nlmsghdr
    b.extend_from_slice(&(total as u32).to_ne_bytes());
    b.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
    b.extend_from_slice(&0u16.to_ne_bytes()); // flags
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&nl_pid.to_ne_bytes());
    // cn_msg
    b.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    b.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&ack.to_ne_bytes());
    b.extend_from_slice(&4u16.to_ne_bytes()); // len
    b.extend_from_slice(&0u16.to_ne_bytes()); // flags
                                              // enum proc_cn_mcast_op
    b.extend_from_slice(&op.to_ne_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-build one kernel datagram: nlmsghdr + cn_msg + proc_event.
    fn datagram(what: u32, cpu: u32, seq: u32, ack: u32, data: &[u8]) -> Vec<u8> {
        let mut ev = Vec::new();
        ev.extend_from_slice(&what.to_ne_bytes());
        ev.extend_from_slice(&cpu.to_ne_bytes());
        ev.extend_from_slice(&123_456_789u64.to_ne_bytes());
        ev.extend_from_slice(data);
        let mut cn = Vec::new();
        cn.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        cn.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        cn.extend_from_slice(&seq.to_ne_bytes());
        cn.extend_from_slice(&ack.to_ne_bytes());
        cn.extend_from_slice(&(ev.len() as u16).to_ne_bytes());
        cn.extend_from_slice(&0u16.to_ne_bytes());
        cn.extend_from_slice(&ev);
        let mut nl = Vec::new();
        nl.extend_from_slice(&((NLMSG_HDRLEN + cn.len()) as u32).to_ne_bytes());
        nl.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        nl.extend_from_slice(&0u16.to_ne_bytes());
        nl.extend_from_slice(&seq.to_ne_bytes());
        nl.extend_from_slice(&0u32.to_ne_bytes());
        nl.extend_from_slice(&cn);
        nl
    }

    fn ints(v: &[i32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    fn only(buf: &[u8]) -> Result<Message, ParseError> {
        let all: Vec<_> = messages(buf).collect();
        assert_eq!(all.len(), 1, "{all:?}");
        all.into_iter().next().unwrap_or(Ok(Message::Ignored))
    }

    fn event(buf: &[u8]) -> ProcEvent {
        match only(buf) {
            Ok(Message::Proc(m)) => m.event,
            other => panic!("not a proc message: {other:?}"),
        }
    }

    #[test]
    fn fork_event() {
        let buf = datagram(PROC_EVENT_FORK, 1, 7, 0, &ints(&[10, 10, 20, 20]));
        match only(&buf) {
            Ok(Message::Proc(m)) => {
                assert_eq!(m.seq, 7);
                assert_eq!(m.cpu, 1);
                assert_eq!(m.timestamp_ns, 123_456_789);
                assert_eq!(
                    m.event,
                    ProcEvent::Fork {
                        parent_pid: 10,
                        parent_tgid: 10,
                        child_pid: 20,
                        child_tgid: 20
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exec_event() {
        let buf = datagram(PROC_EVENT_EXEC, 0, 1, 0, &ints(&[33, 33]));
        assert_eq!(
            event(&buf),
            ProcEvent::Exec {
                process_pid: 33,
                process_tgid: 33
            }
        );
    }

    #[test]
    fn comm_event() {
        let mut data = ints(&[44, 44]);
        let mut comm = [0u8; 16];
        comm[..7].copy_from_slice(b"renamed");
        data.extend_from_slice(&comm);
        let buf = datagram(PROC_EVENT_COMM, 0, 1, 0, &data);
        let ProcEvent::Comm {
            process_pid,
            process_tgid,
            comm,
        } = event(&buf)
        else {
            panic!("not comm")
        };
        assert_eq!((process_pid, process_tgid), (44, 44));
        assert_eq!(ProcEvent::comm_bytes(&comm), b"renamed");
    }

    #[test]
    fn comm_full_16_bytes_without_nul() {
        let mut data = ints(&[1, 1]);
        data.extend_from_slice(b"abcdefghijklmnop");
        let ProcEvent::Comm { comm, .. } = event(&datagram(PROC_EVENT_COMM, 0, 1, 0, &data)) else {
            panic!("not comm")
        };
        assert_eq!(ProcEvent::comm_bytes(&comm), b"abcdefghijklmnop");
    }

    #[test]
    fn exit_event_new_and_old_layout() {
        let mut data = ints(&[55, 56]);
        data.extend_from_slice(&9u32.to_ne_bytes());
        data.extend_from_slice(&17u32.to_ne_bytes());
        let old = datagram(PROC_EVENT_EXIT, 0, 1, 0, &data);
        data.extend_from_slice(&ints(&[1, 1]));
        let new = datagram(PROC_EVENT_EXIT, 0, 1, 0, &data);
        assert_eq!(
            event(&new),
            ProcEvent::Exit {
                process_pid: 55,
                process_tgid: 56,
                exit_code: 9,
                exit_signal: 17,
                parent_pid: 1,
                parent_tgid: 1
            }
        );
        assert_eq!(
            event(&old),
            ProcEvent::Exit {
                process_pid: 55,
                process_tgid: 56,
                exit_code: 9,
                exit_signal: 17,
                parent_pid: 0,
                parent_tgid: 0
            }
        );
    }

    #[test]
    fn ack_and_other_events() {
        let buf = datagram(PROC_EVENT_NONE, u32::MAX, 5, 6, &0u32.to_ne_bytes());
        assert_eq!(event(&buf), ProcEvent::Ack { err: 0 });
        let buf = datagram(0x4, 0, 5, 6, &ints(&[1, 1, 0, 0]));
        assert_eq!(event(&buf), ProcEvent::Other { what: 4 });
    }

    #[test]
    fn truncated_event_payloads_are_errors() {
        for (what, full) in [
            (PROC_EVENT_FORK, 16),
            (PROC_EVENT_EXEC, 8),
            (PROC_EVENT_COMM, 24),
            (PROC_EVENT_EXIT, 16),
            (PROC_EVENT_NONE, 4),
        ] {
            for n in 0..full {
                let buf = datagram(what, 0, 1, 0, &vec![0u8; n]);
                assert!(
                    matches!(only(&buf), Err(ParseError::ProcEventTruncated { .. })),
                    "what {what:#x} with {n} bytes"
                );
            }
        }
    }

    #[test]
    fn cn_len_beyond_buffer_is_error() {
        let mut buf = datagram(PROC_EVENT_EXEC, 0, 1, 0, &ints(&[1, 1]));
        // cn_msg.len lives at nlmsghdr(16) + 16
        buf[32..34].copy_from_slice(&200u16.to_ne_bytes());
        assert!(matches!(only(&buf), Err(ParseError::CnMsgLength { .. })));
    }

    #[test]
    fn bad_nlmsg_lengths() {
        let mut buf = datagram(PROC_EVENT_EXEC, 0, 1, 0, &ints(&[1, 1]));
        buf[0..4].copy_from_slice(&4u32.to_ne_bytes());
        assert!(matches!(only(&buf), Err(ParseError::NlmsgLength { .. })));
        buf[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(matches!(only(&buf), Err(ParseError::NlmsgLength { .. })));
        assert!(matches!(
            only(&[1, 2, 3]),
            Err(ParseError::NlmsgTruncated { available: 3 })
        ));
    }

    #[test]
    fn other_connector_is_ignored() {
        let mut buf = datagram(PROC_EVENT_EXEC, 0, 1, 0, &ints(&[1, 1]));
        buf[16..20].copy_from_slice(&7u32.to_ne_bytes());
        assert_eq!(only(&buf), Ok(Message::Ignored));
    }

    #[test]
    fn several_messages_in_one_datagram() {
        let mut buf = datagram(PROC_EVENT_EXEC, 0, 1, 0, &ints(&[1, 1]));
        // exec datagram is 16+20+24 = 60 bytes: already aligned
        buf.extend(datagram(PROC_EVENT_EXEC, 0, 2, 0, &ints(&[2, 2])));
        let all: Vec<_> = messages(&buf).collect();
        assert_eq!(all.len(), 2);
        // unaligned first message: comm with a 1-byte extra payload
        let mut odd = datagram(PROC_EVENT_EXEC, 0, 1, 0, &[1, 0, 0, 0, 1, 0, 0, 0, 9]);
        odd.extend_from_slice(&[0, 0, 0]);
        odd.extend(datagram(PROC_EVENT_EXEC, 0, 2, 0, &ints(&[2, 2])));
        let all: Vec<_> = messages(&odd).collect();
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all.iter().all(|m| matches!(m, Ok(Message::Proc(_)))));
    }

    #[test]
    fn netlink_error_and_noop() {
        let mut b = Vec::new();
        b.extend_from_slice(&20u32.to_ne_bytes());
        b.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        b.extend_from_slice(&[0; 10]);
        b.extend_from_slice(&(-111i32).to_ne_bytes());
        assert_eq!(only(&b), Ok(Message::NetlinkError(-111)));
        b[4..6].copy_from_slice(&NLMSG_NOOP.to_ne_bytes());
        assert_eq!(only(&b), Ok(Message::Ignored));
        b[4..6].copy_from_slice(&NLMSG_OVERRUN.to_ne_bytes());
        assert_eq!(only(&b), Ok(Message::Overrun));
    }

    #[test]
    fn listen_request_round_trips() {
        let req = listen_request(PROC_CN_MCAST_LISTEN, 9, 4, 77);
        assert_eq!(req.len(), 40);
        let all: Vec<_> = messages(&req).collect();
        // The op (4 bytes) is shorter than a proc_event header.
        assert!(matches!(
            all.as_slice(),
            [Err(ParseError::ProcEventTruncated { .. })]
        ));
        assert_eq!(u32_at(&req, 36), Some(PROC_CN_MCAST_LISTEN));
        assert_eq!(u32_at(&req, 12), Some(77));
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn never_panics_on_arbitrary_bytes(buf in proptest::collection::vec(any::<u8>(), 0..512)) {
                for m in messages(&buf).take(1000) {
                    let _ = m;
                }
                let _ = parse_cn_msg(&buf);
                let _ = parse_proc_event(&buf);
            }

            #[test]
            fn never_panics_on_mutated_valid_datagrams(
                what in prop_oneof![Just(PROC_EVENT_FORK), Just(PROC_EVENT_EXEC),
                                    Just(PROC_EVENT_COMM), Just(PROC_EVENT_EXIT),
                                    Just(PROC_EVENT_NONE), any::<u32>()],
                data in proptest::collection::vec(any::<u8>(), 0..40),
                flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
                cut in any::<usize>(),
            ) {
                let mut buf = super::datagram(what, 0, 1, 0, &data);
                let n = buf.len();
                for (at, v) in flips {
                    buf[at % n] = v;
                }
                let buf = &buf[..cut % (n + 1)];
                let count = messages(buf).count();
                prop_assert!(count <= buf.len() / NLMSG_HDRLEN + 1);
            }
        }
    }
}
