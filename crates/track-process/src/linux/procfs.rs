//! Reading processes from `/proc`.
//!
//! A full scan ([`scan`]) lists the numeric directories of `/proc` (thread
//! group leaders only: threads live under `/proc/PID/task`), takes comm and
//! state from `/proc/PID/stat`, skips zombies and reads `/proc/PID/cmdline`.
//! A single process ([`read_process`]) is read after an event, with comm from
//! `/proc/PID/comm`. Processes that vanish while being read are skipped (scan)
//! or reported as `Ok(None)` (single read); nothing here panics.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::event::{Pid, ProcessInfo};

/// Where procfs is mounted.
pub const PROC_ROOT: &str = "/proc";

/// At most this many bytes of `/proc/PID/cmdline` are read (a longer command
/// line is cut; its last argument is then incomplete).
pub const MAX_CMDLINE: u64 = 64 * 1024;

/// At most this many bytes of `/proc/PID/stat` / `comm` are read.
const MAX_SMALL_FILE: u64 = 4096;

/// An error reading `/proc`.
#[derive(Debug, thiserror::Error)]
pub enum ProcfsError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: malformed stat line", path.display())]
    MalformedStat { path: PathBuf },
}

impl ProcfsError {
    /// The process is gone (it exited while we were reading it).
    pub fn is_gone(&self) -> bool {
        match self {
            ProcfsError::Io { source, .. } => is_gone(source),
            ProcfsError::MalformedStat { .. } => false,
        }
    }
}

fn is_gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}

/// The fields of `/proc/PID/stat` we need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The text between the first `(` and the *last* `)`: comm may itself
    /// contain `)`, spaces or anything else but NUL and newline.
    pub comm: String,
    /// The state letter (`R`, `S`, `Z`, ...).
    pub state: u8,
}

/// Parse the content of `/proc/PID/stat`: `PID (COMM) STATE ...`.
pub fn parse_stat(bytes: &[u8]) -> Option<Stat> {
    let open = bytes.iter().position(|&b| b == b'(')?;
    let close = bytes.iter().rposition(|&b| b == b')')?;
    if close <= open {
        return None;
    }
    let comm = bytes.get(open + 1..close)?;
    let mut rest = bytes.get(close + 1..)?.iter().copied();
    if rest.next()? != b' ' {
        return None;
    }
    let state = rest.next()?;
    if !state.is_ascii_alphabetic() {
        return None;
    }
    Some(Stat {
        comm: String::from_utf8_lossy(comm).into_owned(),
        state,
    })
}

/// Split `/proc/PID/cmdline` at NULs. The terminating NUL does not make an
/// empty last argument; empty arguments in the middle are kept. Invalid
/// UTF-8 is replaced (lossy).
pub fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    body.split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// Parse `/proc/PID/comm` (one line).
pub fn parse_comm(bytes: &[u8]) -> String {
    let line = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    String::from_utf8_lossy(line).into_owned()
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ProcfsError> {
    let io_err = |source| ProcfsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io_err)?;
    let mut buf = Vec::new();
    file.take(limit).read_to_end(&mut buf).map_err(io_err)?;
    Ok(buf)
}

fn pid_dir(root: &Path, pid: Pid) -> PathBuf {
    root.join(pid.to_string())
}

/// Scan `/proc`: every live, non-zombie process.
pub fn scan() -> Result<Vec<ProcessInfo>, ProcfsError> {
    scan_root(Path::new(PROC_ROOT))
}

/// [`scan`] with procfs mounted at `root` (tests use a fake tree).
///
/// Fails only if `root` itself cannot be listed. A process that vanishes
/// mid-scan is skipped silently; one that cannot be read for another reason
/// (malformed, permission) is skipped with a debug log.
pub fn scan_root(root: &Path) -> Result<Vec<ProcessInfo>, ProcfsError> {
    let io_err = |source| ProcfsError::Io {
        path: root.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in fs::read_dir(root).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<Pid>().ok()) else {
            continue;
        };
        if pid == 0 {
            continue;
        }
        match read_scanned(root, pid) {
            Ok(Some(info)) => out.push(info),
            Ok(None) => {}
            Err(e) if e.is_gone() => {}
            Err(e) => tracing::debug!(pid, error = %e, "skipping process in /proc scan"),
        }
    }
    out.sort_by_key(|p| p.pid);
    Ok(out)
}

/// One process as the full scan sees it: comm from `stat`; `None` for a zombie.
fn read_scanned(root: &Path, pid: Pid) -> Result<Option<ProcessInfo>, ProcfsError> {
    let dir = pid_dir(root, pid);
    let stat_path = dir.join("stat");
    let stat_bytes = read_limited(&stat_path, MAX_SMALL_FILE)?;
    let stat = parse_stat(&stat_bytes).ok_or(ProcfsError::MalformedStat { path: stat_path })?;
    if stat.state == b'Z' {
        return Ok(None);
    }
    let cmdline = parse_cmdline(&read_limited(&dir.join("cmdline"), MAX_CMDLINE)?);
    Ok(Some(ProcessInfo {
        pid,
        comm: stat.comm,
        cmdline,
    }))
}

/// Read one process after an event: comm from `/proc/PID/comm`, and cmdline.
/// `Ok(None)` if it is already gone.
pub fn read_process(pid: Pid) -> Result<Option<ProcessInfo>, ProcfsError> {
    read_process_at(Path::new(PROC_ROOT), pid)
}

/// [`read_process`] with procfs mounted at `root`.
pub fn read_process_at(root: &Path, pid: Pid) -> Result<Option<ProcessInfo>, ProcfsError> {
    let dir = pid_dir(root, pid);
    let result = (|| -> Result<ProcessInfo, ProcfsError> {
        let comm = parse_comm(&read_limited(&dir.join("comm"), MAX_SMALL_FILE)?);
        let cmdline = parse_cmdline(&read_limited(&dir.join("cmdline"), MAX_CMDLINE)?);
        Ok(ProcessInfo { pid, comm, cmdline })
    })();
    match result {
        Ok(info) => Ok(Some(info)),
        Err(e) if e.is_gone() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Like [`read_process`] but reads only `comm` (the command line is left
/// empty): enough when no tracker matches on command lines, and one file
/// read per event instead of two.
pub fn read_process_comm(pid: Pid) -> Result<Option<ProcessInfo>, ProcfsError> {
    let dir = pid_dir(Path::new(PROC_ROOT), pid);
    match read_limited(&dir.join("comm"), MAX_SMALL_FILE) {
        Ok(bytes) => Ok(Some(ProcessInfo {
            pid,
            comm: parse_comm(&bytes),
            cmdline: Vec::new(),
        })),
        Err(e) if e.is_gone() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_nasty_comm() {
        let s = parse_stat(b"123 (a) b) (c ) S 1 2 3").unwrap_or_else(|| panic!("parse"));
        assert_eq!(s.comm, "a) b) (c ");
        assert_eq!(s.state, b'S');
        let s = parse_stat(b"7 () Z 0").unwrap_or_else(|| panic!("parse"));
        assert_eq!(s.comm, "");
        assert_eq!(s.state, b'Z');
        let s = parse_stat(b"9 (x\xffy) R 0").unwrap_or_else(|| panic!("parse"));
        assert_eq!(s.comm, "x\u{fffd}y");
    }

    #[test]
    fn malformed_stat() {
        for bad in [
            &b""[..],
            b"123",
            b"123 (abc",
            b"123 )abc( S",
            b"123 (abc)",
            b"123 (abc) ",
            b"123 (abc)S",
            b"123 (abc) 5",
        ] {
            assert_eq!(parse_stat(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn cmdline_splitting() {
        assert_eq!(parse_cmdline(b""), Vec::<String>::new());
        assert_eq!(parse_cmdline(b"sleep\x0010\x00"), vec!["sleep", "10"]);
        assert_eq!(parse_cmdline(b"a\x00\x00b\x00"), vec!["a", "", "b"]);
        // setproctitle-style rewrites may drop the final NUL
        assert_eq!(parse_cmdline(b"nginx: master"), vec!["nginx: master"]);
        assert_eq!(parse_cmdline(b"\x00"), vec![""]);
    }

    #[test]
    fn comm_line() {
        assert_eq!(parse_comm(b"sleep\n"), "sleep");
        assert_eq!(parse_comm(b"a b\n"), "a b");
    }

    #[test]
    fn fake_tree_scan_skips_zombies_and_junk() -> Result<(), Box<dyn std::error::Error>> {
        let root = std::env::temp_dir().join(format!("tp-procfs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let mk = |pid: &str, stat: &[u8], cmdline: &[u8]| -> io::Result<()> {
            let d = root.join(pid);
            fs::create_dir_all(&d)?;
            fs::write(d.join("stat"), stat)?;
            fs::write(d.join("cmdline"), cmdline)?;
            fs::write(d.join("comm"), b"fromcomm\n")
        };
        mk("10", b"10 (live) S 1", b"/bin/live\x00-x\x00")?;
        mk("11", b"11 (dead) Z 1", b"")?;
        mk("12", b"garbage", b"")?;
        mk("notapid", b"1 (x) S", b"")?;
        fs::create_dir_all(root.join("13"))?; // vanished: no files
        fs::create_dir_all(root.join("self"))?;
        let got = scan_root(&root)?;
        assert_eq!(
            got,
            vec![ProcessInfo {
                pid: 10,
                comm: "live".into(),
                cmdline: vec!["/bin/live".into(), "-x".into()]
            }]
        );
        let one = read_process_at(&root, 10)?.ok_or("gone")?;
        assert_eq!(one.comm, "fromcomm");
        assert_eq!(read_process_at(&root, 13)?, None);
        assert_eq!(read_process_at(&root, 99)?, None);
        fs::remove_dir_all(&root)?;
        assert!(scan_root(&root).is_err());
        Ok(())
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parsers_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
                let _ = parse_stat(&b);
                let _ = parse_cmdline(&b);
                let _ = parse_comm(&b);
            }

            #[test]
            fn stat_comm_round_trips(comm in "[^\n\x00]{0,15}", state in "[RSDZTtXI]") {
                let line = format!("42 ({comm}) {state} 1 42 42 0 -1");
                let s = parse_stat(line.as_bytes());
                prop_assert_eq!(s, Some(Stat { comm, state: state.as_bytes()[0] }));
            }
        }
    }
}
