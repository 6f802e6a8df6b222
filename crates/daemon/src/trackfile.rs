//! `track_file`: files holding a number that moves the priority of the
//! instances tracking them (reference §2.7, §3.5).
//!
//! Three parts:
//! - [`parse_value`] reads a file's contents the way keepalived does
//!   (`strtol` base 0, so `010` is 8 and `0x10` is 16);
//! - start-up checks and `init_file` ([`check_filesystem`],
//!   [`apply_init_file`], [`start`]);
//! - [`FileWatcher`], one non-blocking inotify instance watching the
//!   *directories* of the tracked files. Watching the directory rather than the
//!   file is what makes a file that is replaced by `rename(2)` (the usual
//!   atomic update), created later, or deleted visible: a watch on the file
//!   itself would follow the old inode and go silent after the first rename.
//!
//! What the values mean for priorities is [`crate::priority`]'s business; this
//! module only turns file system events into `(file index, new value)` pairs.

use keepalived_config::{InitFile, TrackFile};
use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use nix::sys::statfs::statfs;
use nix::sys::statvfs::{statvfs, FsFlags};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use tracing::{debug, warn};

/// Why a `track_file` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrackFileError {
    #[error("track_file {path}: the path names no file")]
    NoFileName { path: PathBuf },
    #[error("track_file {path}: directory {dir} does not exist")]
    ParentMissing { path: PathBuf, dir: PathBuf },
    #[error("track_file {path}: cannot query the filesystem: {source}")]
    FsQuery { path: PathBuf, source: Errno },
    #[error("track_file {path}: it is on a {kind} filesystem, which inotify cannot watch")]
    UnwatchableFs { path: PathBuf, kind: &'static str },
    #[error("track_file {path}: it is on a read-only filesystem")]
    ReadOnlyFs { path: PathBuf },
    #[error("track_file {path}: cannot write the init_file value: {source}")]
    InitFile { path: PathBuf, source: io::Error },
    #[error("cannot create the inotify instance for track_file: {0}")]
    Inotify(Errno),
    #[error("track_file {path}: cannot watch directory {dir}: {source}")]
    Watch {
        path: PathBuf,
        dir: PathBuf,
        source: Errno,
    },
}

/// Largest prefix of a file that is parsed. `strtol` stops at the first byte
/// that is not part of the number anyway; the bound only keeps a huge file
/// (or one full of leading blanks) from being read into memory whole.
const READ_LIMIT: u64 = 64 * 1024;

/// The value of a `track_file`'s contents, as C's `strtol(s, NULL, 0)`:
/// leading white space, an optional sign, then `0x`/`0X` hex, `0` octal or
/// decimal; parsing stops at the first byte that does not fit; no digits at
/// all gives 0; out-of-range values saturate at the `i64` bounds (`LONG_MAX`
/// / `LONG_MIN` on the 64-bit systems keepalived runs on).
pub fn parse_value(bytes: &[u8]) -> i64 {
    let mut i = 0;
    // C isspace in the "C" locale.
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        negative = bytes[i] == b'-';
        i += 1;
    }
    let radix: u32 = if bytes.get(i) == Some(&b'0') {
        // "0x" only counts as a prefix when a hex digit follows; otherwise
        // strtol parses the "0" and stops at the 'x'.
        if matches!(bytes.get(i + 1), Some(b'x' | b'X'))
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            i += 2;
            16
        } else {
            8
        }
    } else {
        10
    };
    // The magnitude is kept in u64, which holds |i64::MIN|; anything above is
    // an overflow and saturates.
    let limit: u64 = if negative {
        i64::MIN.unsigned_abs()
    } else {
        i64::MAX.unsigned_abs()
    };
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    for &b in &bytes[i..] {
        let Some(d) = char::from(b).to_digit(radix) else {
            break;
        };
        if !overflow {
            match magnitude
                .checked_mul(u64::from(radix))
                .and_then(|m| m.checked_add(u64::from(d)))
            {
                Some(m) if m <= limit => magnitude = m,
                _ => overflow = true,
            }
        }
    }
    match (negative, overflow) {
        (false, true) => i64::MAX,
        (true, true) => i64::MIN,
        (false, false) => i64::try_from(magnitude).unwrap_or(i64::MAX),
        // magnitude <= |i64::MIN| here, so the subtraction cannot overflow.
        (true, false) => 0i64.saturating_sub_unsigned(magnitude),
    }
}

/// Reads and parses one file. A missing file is 0 (reference §2.7); so is
/// one that cannot be read, with a warning, because keepalived treats any
/// file it cannot get a number from the same way.
///
/// Opened with `O_NONBLOCK` so that a FIFO (or other special file) put in
/// the tracked file's place cannot block the daemon; regular files ignore it.
pub fn read_value(path: &Path) -> i64 {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return 0,
        Err(e) => {
            warn!(
                "track_file {}: cannot open: {e}; reading as 0",
                path.display()
            );
            return 0;
        }
    };
    let mut buf = Vec::new();
    if let Err(e) = (&mut file).take(READ_LIMIT).read_to_end(&mut buf) {
        if e.kind() != io::ErrorKind::WouldBlock {
            warn!(
                "track_file {}: cannot read: {e}; reading as 0",
                path.display()
            );
            return 0;
        }
    }
    parse_value(&buf)
}

/// Filesystem types inotify cannot watch reliably: pseudo filesystems whose
/// contents change without write events, and network / userspace
/// filesystems where changes made elsewhere produce no local events.
const UNWATCHABLE_FS: &[(u64, &str)] = &[
    (0x9fa0, "proc"),
    (0x6265_6572, "sysfs"),
    (0x6969, "NFS"),
    (0x6573_5546, "FUSE"),
    (0x517b, "SMB"),
    (0xff53_4d42, "CIFS"),
    (0xfe53_4d42, "SMB2"),
];

/// Why a filesystem is refused, from its `statfs` type and whether it is
/// mounted read-only (pure so every case can be tested without mounts).
fn refusal(fs_type: u64, read_only: bool) -> Option<&'static str> {
    // f_type is a signed long on some ABIs; the magic numbers are 32-bit.
    let fs_type = fs_type & 0xffff_ffff;
    if let Some((_, kind)) = UNWATCHABLE_FS.iter().find(|(m, _)| *m == fs_type) {
        return Some(kind);
    }
    read_only.then_some("read-only")
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The start-up check of a `track_file` path: its directory must exist and
/// be on a writable filesystem that inotify can watch. The directory is what
/// gets watched, so it is the one examined; the file itself (if present) is
/// examined too, in case it is a symlink or mount point elsewhere.
pub fn check_filesystem(path: &Path) -> Result<(), TrackFileError> {
    if path.file_name().is_none() {
        return Err(TrackFileError::NoFileName {
            path: path.to_path_buf(),
        });
    }
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(TrackFileError::ParentMissing {
            path: path.to_path_buf(),
            dir,
        });
    }
    let mut targets = vec![dir];
    if path.exists() {
        targets.push(path.to_path_buf());
    }
    for target in targets {
        let query = |e| TrackFileError::FsQuery {
            path: path.to_path_buf(),
            source: e,
        };
        let fs = statfs(&target).map_err(query)?;
        let vfs = statvfs(&target).map_err(query)?;
        #[allow(clippy::unnecessary_cast)] // fs_type_t differs between ABIs
        let fs_type = fs.filesystem_type().0 as u64;
        match refusal(fs_type, vfs.flags().contains(FsFlags::ST_RDONLY)) {
            None => {}
            Some("read-only") => {
                return Err(TrackFileError::ReadOnlyFs {
                    path: path.to_path_buf(),
                })
            }
            Some(kind) => {
                return Err(TrackFileError::UnwatchableFs {
                    path: path.to_path_buf(),
                    kind,
                })
            }
        }
    }
    Ok(())
}

/// `init_file [VALUE] [overwrite]`: writes `VALUE\n` when the file is
/// missing, or always with `overwrite`. Returns whether it wrote. Creation
/// uses mode 0644 (less the umask). Without `overwrite` the file is created
/// with `O_EXCL`, so a file that appears meanwhile is left alone.
pub fn apply_init_file(path: &Path, init: &InitFile) -> Result<bool, TrackFileError> {
    let mut opts = OpenOptions::new();
    opts.write(true).mode(0o644);
    if init.overwrite {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if !init.overwrite && e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(source) => {
            return Err(TrackFileError::InitFile {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    file.write_all(format!("{}\n", init.value).as_bytes())
        .map_err(|source| TrackFileError::InitFile {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(true)
}

/// Start-up of all `track_file`s: checks each path, applies `init_file`
/// when `initialise` (true at start, false on reload, reference §2.7), and
/// starts watching. Indices in the returned watcher are positions in `files`.
pub fn start(files: &[TrackFile], initialise: bool) -> Result<FileWatcher, TrackFileError> {
    for f in files {
        check_filesystem(&f.file)?;
        if initialise {
            if let Some(init) = &f.init_file {
                if apply_init_file(&f.file, init)? {
                    debug!(
                        "track_file {}: wrote init_file value {}",
                        f.name, init.value
                    );
                }
            }
        }
    }
    FileWatcher::new(files.iter().map(|f| f.file.as_path()))
}

/// Directory events that can change what reading a tracked file gives.
///
/// `IN_MODIFY` is deliberately absent: a plain `echo 5 > file` truncates
/// first (one `IN_MODIFY`) and writes afterwards, so reacting to it could
/// report a transient 0 and flap an instance into FAULT. Writers that close
/// the file produce `IN_CLOSE_WRITE` once the contents are complete, and
/// atomic writers (`mv tmp file`) produce `IN_MOVED_TO`.
fn watch_mask() -> AddWatchFlags {
    AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_ONLYDIR
}

/// One tracked file.
#[derive(Debug)]
struct Watched {
    path: PathBuf,
    /// The name matched against directory events.
    name: OsString,
    wd: WatchDescriptor,
    value: i64,
}

/// Upper bound on `read(2)` calls per [`FileWatcher::read_changes`]. Only a
/// writer faster than the daemon reaches it; the remaining events are then
/// treated like a queue overflow (every file re-read) and the rest are read
/// on the next readiness.
const MAX_READS_PER_DRAIN: usize = 1024;

/// Watches the tracked files' directories with one inotify instance.
#[derive(Debug)]
pub struct FileWatcher {
    inotify: Inotify,
    files: Vec<Watched>,
}

impl FileWatcher {
    /// Watches `paths` (index = position). Directories shared by several
    /// files get one watch (the kernel returns the same descriptor for the
    /// same directory inode). Reads every file's initial value.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<Self, TrackFileError> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
            .map_err(TrackFileError::Inotify)?;
        let mut files = Vec::new();
        for path in paths {
            let name = path
                .file_name()
                .ok_or_else(|| TrackFileError::NoFileName {
                    path: path.to_path_buf(),
                })?
                .to_os_string();
            let dir = parent_dir(path);
            let wd =
                inotify
                    .add_watch(&dir, watch_mask())
                    .map_err(|source| TrackFileError::Watch {
                        path: path.to_path_buf(),
                        dir: dir.clone(),
                        source,
                    })?;
            // Read after the watch exists, so a change between the two is
            // not lost: at worst it is reported as an event with no change.
            let value = read_value(path);
            files.push(Watched {
                path: path.to_path_buf(),
                name,
                wd,
                value,
            });
        }
        Ok(Self { inotify, files })
    }

    /// The inotify descriptor, for registration with the event loop
    /// (`sys::register_borrowed`); it becomes readable when events are queued.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.inotify.as_fd()
    }

    /// The last value read of each file, by index.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn initial_values(&self) -> Vec<i64> {
        self.files.iter().map(|f| f.value).collect()
    }

    /// The last value read of file `index`.
    pub fn value(&self, index: usize) -> Option<i64> {
        self.files.get(index).map(|f| f.value)
    }

    /// Drains the pending events (non-blocking; `EAGAIN` ends the drain),
    /// re-reads each affected file once, and returns the files whose value
    /// changed, in index order, with their new values.
    pub fn read_changes(&mut self) -> Vec<(usize, i64)> {
        let mut affected = BTreeSet::new();
        let mut reread_all = false;
        let mut drained = false;
        for _ in 0..MAX_READS_PER_DRAIN {
            let events = match self.inotify.read_events() {
                Ok(ev) => ev,
                Err(Errno::EAGAIN) => {
                    drained = true;
                    break;
                }
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    warn!("track_file: reading inotify events failed: {e}; re-reading all files");
                    reread_all = true;
                    break;
                }
            };
            if events.is_empty() {
                drained = true;
                break;
            }
            for ev in events {
                if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                    warn!("track_file: inotify queue overflowed; re-reading all files");
                    reread_all = true;
                    continue;
                }
                if ev.mask.contains(AddWatchFlags::IN_IGNORED) {
                    // The directory went away (deleted or unmounted): the
                    // files read as missing from now on.
                    for f in self.files.iter().filter(|f| f.wd == ev.wd) {
                        warn!(
                            "track_file {}: its directory is no longer watched",
                            f.path.display()
                        );
                    }
                    affected.extend(
                        self.files
                            .iter()
                            .enumerate()
                            .filter(|(_, f)| f.wd == ev.wd)
                            .map(|(i, _)| i),
                    );
                    continue;
                }
                let Some(name) = ev.name else { continue };
                affected.extend(
                    self.files
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.wd == ev.wd && f.name == name)
                        .map(|(i, _)| i),
                );
            }
        }
        if !drained && !reread_all {
            warn!(
                "track_file: inotify events arrive faster than they are read; re-reading all files"
            );
            reread_all = true;
        }
        if reread_all {
            affected.extend(0..self.files.len());
        }
        let mut changes = Vec::new();
        for i in affected {
            let f = &mut self.files[i];
            let value = read_value(&f.path);
            if value != f.value {
                debug!(
                    "track_file {}: value {} -> {value}",
                    f.path.display(),
                    f.value
                );
                f.value = value;
                changes.push((i, value));
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    #[test]
    fn parse_decimal() {
        assert_eq!(parse_value(b"42"), 42);
        assert_eq!(parse_value(b"42\n"), 42);
        assert_eq!(parse_value(b"  \t\n-17 trailing"), -17);
        assert_eq!(parse_value(b"+5"), 5);
        assert_eq!(parse_value(b"12abc"), 12);
        assert_eq!(parse_value(b"9223372036854775807"), i64::MAX);
        assert_eq!(parse_value(b"9223372036854775808"), i64::MAX);
        assert_eq!(parse_value(b"-9223372036854775808"), i64::MIN);
        assert_eq!(parse_value(b"-9223372036854775809"), i64::MIN);
        assert_eq!(parse_value(b"99999999999999999999999999"), i64::MAX);
    }

    #[test]
    fn parse_octal_and_hex() {
        assert_eq!(parse_value(b"010"), 8);
        assert_eq!(parse_value(b"-010"), -8);
        assert_eq!(parse_value(b"0"), 0);
        assert_eq!(parse_value(b"08"), 0); // '8' is not octal: stops after "0"
        assert_eq!(parse_value(b"0777"), 511);
        assert_eq!(parse_value(b"0x10"), 16);
        assert_eq!(parse_value(b"0XfF"), 255);
        assert_eq!(parse_value(b"-0x1"), -1);
        assert_eq!(parse_value(b"0x"), 0); // no hex digit: the "0" alone
        assert_eq!(parse_value(b"0xg"), 0);
        assert_eq!(parse_value(b"0x7fffffffffffffff"), i64::MAX);
        assert_eq!(parse_value(b"0x8000000000000000"), i64::MAX);
        assert_eq!(parse_value(b"-0x8000000000000000"), i64::MIN);
    }

    #[test]
    fn parse_non_numeric_is_zero() {
        assert_eq!(parse_value(b""), 0);
        assert_eq!(parse_value(b"   "), 0);
        assert_eq!(parse_value(b"abc"), 0);
        assert_eq!(parse_value(b"-"), 0);
        assert_eq!(parse_value(b"+ 5"), 0);
        assert_eq!(parse_value(b"--5"), 0);
        assert_eq!(parse_value(b"\x005"), 0);
    }

    /// Reference model for decimal text: the sign and digits handed to
    /// Rust's own integer parser, saturating on its overflow errors.
    fn decimal_model(sign: &str, digits: &str) -> i64 {
        match format!("{sign}{digits}").parse::<i64>() {
            Ok(v) => v,
            Err(e) => match e.kind() {
                std::num::IntErrorKind::PosOverflow => i64::MAX,
                std::num::IntErrorKind::NegOverflow => i64::MIN,
                _ => 0,
            },
        }
    }

    proptest! {
        #[test]
        fn parse_matches_decimal_model(
            ws in "[ \t\n\r]{0,3}",
            sign in "[+-]?",
            digits in "(0|[1-9][0-9]{0,25})",
            // A tail never extends the number: no digit, and an 'x' only
            // when no hex digit follows (after a "0", "0x1" would be hex).
            tail in "([^0-9xX].*|[xX]([^0-9a-fA-F].*)?)?",
        ) {
            let text = format!("{ws}{sign}{digits}{tail}");
            prop_assert_eq!(parse_value(text.as_bytes()), decimal_model(&sign, &digits));
        }

        #[test]
        fn parse_round_trips_octal_and_hex(n in any::<i64>()) {
            let sign = if n < 0 { "-" } else { "" };
            let m = n.unsigned_abs();
            prop_assert_eq!(parse_value(format!("{sign}0{m:o}\n").as_bytes()), n);
            prop_assert_eq!(parse_value(format!("{sign}0x{m:x}").as_bytes()), n);
            prop_assert_eq!(parse_value(format!("{sign}0X{m:X}z").as_bytes()), n);
            prop_assert_eq!(parse_value(format!(" {n} ").as_bytes()), n);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_value(&bytes);
        }
    }

    /// A directory under /tmp removed (with its contents) on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let p = PathBuf::from(format!(
                "/tmp/keepalived-rs-trackfile-{tag}-{}-{nanos}",
                std::process::id()
            ));
            std::fs::create_dir(&p).expect("create temp dir");
            Self(p)
        }
        fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Polls `read_changes` (10 ms steps, at most 2 s) until it reports
    /// something; returns everything reported by then.
    fn wait_changes(w: &mut FileWatcher) -> Vec<(usize, i64)> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let c = w.read_changes();
            if !c.is_empty() || Instant::now() >= deadline {
                return c;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).expect("write file");
    }

    #[test]
    fn watcher_follows_writes_renames_and_deletes() {
        let dir = TempDir::new("watch");
        let a = dir.join("a");
        let b = dir.join("b");
        write(&a, "3\n");
        let mut w = FileWatcher::new([a.as_path(), b.as_path()]).expect("watcher");
        assert_eq!(w.initial_values(), vec![3, 0]);
        assert!(w.read_changes().is_empty());

        // Created later.
        write(&b, "7\n");
        assert_eq!(wait_changes(&mut w), vec![(1, 7)]);

        // In-place truncate + write (what `echo 5 > a` does).
        write(&a, "5\n");
        assert_eq!(wait_changes(&mut w), vec![(0, 5)]);

        // Atomic replace: `mv tmp a`.
        let tmp = dir.join("a.tmp");
        write(&tmp, "-12\n");
        std::fs::rename(&tmp, &a).expect("rename");
        assert_eq!(wait_changes(&mut w), vec![(0, -12)]);

        // Octal and hex contents.
        write(&b, "010\n");
        assert_eq!(wait_changes(&mut w), vec![(1, 8)]);
        write(&b, "0x1F");
        assert_eq!(wait_changes(&mut w), vec![(1, 31)]);

        // Deleted: reads as 0.
        std::fs::remove_file(&a).expect("remove");
        assert_eq!(wait_changes(&mut w), vec![(0, 0)]);

        // Moved away (rename out of the name) also reads as 0.
        std::fs::rename(&b, dir.join("elsewhere")).expect("rename away");
        assert_eq!(wait_changes(&mut w), vec![(1, 0)]);

        // Unrelated files in the same directory report nothing, and a
        // rewrite with the same value is not a change.
        write(&dir.join("other"), "99\n");
        write(&a, "0\n");
        std::thread::sleep(Duration::from_millis(50));
        assert!(w.read_changes().is_empty());
        assert_eq!(w.value(0), Some(0));
    }

    #[test]
    fn watcher_reports_only_the_final_value_of_a_burst() {
        let dir = TempDir::new("burst");
        let a = dir.join("a");
        let mut w = FileWatcher::new([a.as_path()]).expect("watcher");
        for v in 1..=5 {
            write(&a, &format!("{v}\n"));
        }
        // All events are queued before the drain: one re-read, one change.
        assert_eq!(w.read_changes(), vec![(0, 5)]);
        assert!(w.read_changes().is_empty());
    }

    #[test]
    fn watcher_handles_two_names_for_one_file() {
        let dir = TempDir::new("dup");
        let a = dir.join("a");
        let mut w = FileWatcher::new([a.as_path(), a.as_path()]).expect("watcher");
        write(&a, "4");
        let mut got = wait_changes(&mut w);
        got.sort_unstable();
        assert_eq!(got, vec![(0, 4), (1, 4)]);
    }

    #[test]
    fn watcher_needs_the_directory() {
        let dir = TempDir::new("nodir");
        let missing = dir.join("nope/file");
        assert!(matches!(
            FileWatcher::new([missing.as_path()]),
            Err(TrackFileError::Watch { .. })
        ));
    }

    /// The path the lead uses: the descriptor registered with tokio wakes
    /// the reader when a tracked file changes, and is quiet otherwise.
    #[test]
    fn fd_wakes_tokio_on_change() {
        let dir = TempDir::new("tokio");
        let a = dir.join("a");
        let mut w = FileWatcher::new([a.as_path()]).expect("watcher");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let afd = crate::sys::register_borrowed(w.fd()).expect("register");
            let quiet = tokio::time::timeout(Duration::from_millis(100), afd.readable()).await;
            assert!(quiet.is_err(), "readable with no change");
            write(&a, "1");
            let mut guard = tokio::time::timeout(Duration::from_secs(2), afd.readable())
                .await
                .expect("woken within 2 s")
                .expect("readable");
            guard.clear_ready();
        });
        assert_eq!(w.read_changes(), vec![(0, 1)]);
    }

    #[test]
    fn filesystem_check_refuses_proc_and_sys() {
        match check_filesystem(Path::new("/proc/keepalived-rs-track")) {
            Err(TrackFileError::UnwatchableFs { kind: "proc", .. }) => {}
            other => panic!("expected a proc refusal, got {other:?}"),
        }
        match check_filesystem(Path::new("/sys/kernel/keepalived-rs-track")) {
            Err(TrackFileError::UnwatchableFs { kind: "sysfs", .. }) => {}
            other => panic!("expected a sysfs refusal, got {other:?}"),
        }
        let err = check_filesystem(Path::new("/proc/keepalived-rs-track"))
            .expect_err("refused")
            .to_string();
        assert!(err.contains("proc"), "{err}");
    }

    #[test]
    fn filesystem_check_accepts_tmp_and_needs_the_directory() {
        let dir = TempDir::new("fs");
        check_filesystem(&dir.join("file")).expect("a tmp directory is fine");
        assert!(matches!(
            check_filesystem(&dir.join("missing/file")),
            Err(TrackFileError::ParentMissing { .. })
        ));
        assert!(matches!(
            check_filesystem(Path::new("/")),
            Err(TrackFileError::NoFileName { .. })
        ));
    }

    #[test]
    fn refusal_by_type_and_flags() {
        const EXT4: u64 = 0xef53;
        const TMPFS: u64 = 0x0102_1994;
        assert_eq!(refusal(EXT4, false), None);
        assert_eq!(refusal(TMPFS, false), None);
        assert_eq!(refusal(EXT4, true), Some("read-only"));
        assert_eq!(refusal(0x6969, false), Some("NFS"));
        assert_eq!(refusal(0x6573_5546, false), Some("FUSE"));
        assert_eq!(refusal(0x517b, false), Some("SMB"));
        assert_eq!(refusal(0xff53_4d42, false), Some("CIFS"));
        // Sign-extended CIFS magic, as a signed 64-bit f_type would hold it.
        assert_eq!(refusal(0xffff_ffff_ff53_4d42, false), Some("CIFS"));
        assert_eq!(refusal(0xfe53_4d42, true), Some("SMB2"));
        assert_eq!(refusal(0x9fa0, false), Some("proc"));
        assert_eq!(refusal(0x6265_6572, false), Some("sysfs"));
    }

    #[test]
    fn init_file_writes_when_missing_or_overwrite() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new("init");
        let f = dir.join("f");
        let keep = InitFile {
            value: 0,
            overwrite: false,
        };
        assert!(apply_init_file(&f, &keep).expect("create"));
        assert_eq!(std::fs::read_to_string(&f).expect("read"), "0\n");
        let mode = std::fs::metadata(&f).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode & !0o644, 0, "mode {mode:o}");

        write(&f, "17\n");
        let keep = InitFile {
            value: 5,
            overwrite: false,
        };
        assert!(!apply_init_file(&f, &keep).expect("exists"));
        assert_eq!(read_value(&f), 17);

        let over = InitFile {
            value: -3,
            overwrite: true,
        };
        assert!(apply_init_file(&f, &over).expect("overwrite"));
        assert_eq!(std::fs::read_to_string(&f).expect("read"), "-3\n");

        let bad = dir.join("missing/f");
        assert!(matches!(
            apply_init_file(&bad, &over),
            Err(TrackFileError::InitFile { .. })
        ));
    }

    #[test]
    fn start_initialises_checks_and_watches() {
        let dir = TempDir::new("start");
        let tf = |name: &str, file: PathBuf, init: Option<InitFile>| TrackFile {
            name: name.to_string(),
            file,
            weight: 1,
            weight_reverse: false,
            init_file: init,
            location: Default::default(),
        };
        let a = dir.join("a");
        write(&a, "9");
        let files = vec![
            tf(
                "a",
                a.clone(),
                Some(InitFile {
                    value: 2,
                    overwrite: true,
                }),
            ),
            tf(
                "b",
                dir.join("b"),
                Some(InitFile {
                    value: 10,
                    overwrite: false,
                }),
            ),
        ];
        let w = start(&files, true).expect("start");
        assert_eq!(w.initial_values(), vec![2, 10]);

        // On reload init_file is not applied.
        write(&a, "6");
        let w = start(&files, false).expect("start");
        assert_eq!(w.initial_values(), vec![6, 10]);

        let proc_file = vec![tf("p", PathBuf::from("/proc/keepalived-rs-x"), None)];
        assert!(matches!(
            start(&proc_file, true),
            Err(TrackFileError::UnwatchableFs { kind: "proc", .. })
        ));
    }

    #[test]
    fn read_value_of_special_files_does_not_block() {
        let dir = TempDir::new("fifo");
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("mkfifo");
        assert_eq!(read_value(&fifo), 0);
        assert_eq!(read_value(&dir.0), 0); // a directory
    }
}
