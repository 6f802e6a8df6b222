//! Notifications (reference §6): which `notify*` scripts run for an event,
//! with which arguments and in which order; the `notify_fifo` line format; a
//! FIFO writer that never blocks the daemon; and spawning a script without a
//! shell, detached from the daemon (reference §5.3).
//!
//! Decisions where the reference is silent (documented here once):
//! - `INIT` is never notified (no script, no FIFO line): keepalived's state
//!   words for notifications are MASTER/BACKUP/FAULT/STOP/DELETED only.
//! - A deleted instance without `notify_deleted` is reported exactly as FAULT:
//!   `notify_fault` runs, then the generic `notify` with `FAULT`.
//!   With `notify_deleted`, its optional script runs, then the generic
//!   `notify` with `DELETED`.
//! - Groups have no `notify_deleted`; a group DELETED is reported as FAULT.
//! - `notify_master_rx_lower_pri` is not a state change, so the generic
//!   `notify` does not run for it (FIFO line `MASTER_RX_LOWER_PRI` only).
//! - Suppressing an instance notify when the instance is already in its sync
//!   group's state (§3.13) is the caller's decision, not this module's.
//! - Script users/groups are looked up in `/etc/passwd` and `/etc/group`
//!   (numeric ids are accepted too); supplementary groups (`:group`) are not
//!   set — std only drops them when a uid is given.
//! - `PR_SET_PDEATHSIG` is not set: that needs `pre_exec`, i.e. unsafe code.

use keepalived_config::{NotifyScripts, Script, SyncGroup};
use nix::errno::Errno;
use nix::sys::stat::Mode;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A state as notifications report it (reference §3.1, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyState {
    Init,
    Backup,
    Master,
    Fault,
    Stop,
    Deleted,
}

impl NotifyState {
    /// The upper-case word used in script arguments and FIFO lines; `None`
    /// for INIT, which is never notified.
    pub fn word(self) -> Option<&'static str> {
        match self {
            NotifyState::Init => None,
            NotifyState::Backup => Some("BACKUP"),
            NotifyState::Master => Some("MASTER"),
            NotifyState::Fault => Some("FAULT"),
            NotifyState::Stop => Some("STOP"),
            NotifyState::Deleted => Some("DELETED"),
        }
    }
}

/// One event to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// A `vrrp_instance` changed state; `priority` is the effective priority.
    Instance {
        name: String,
        state: NotifyState,
        priority: u8,
    },
    /// A `vrrp_sync_group` changed state (reported with priority 0).
    Group { name: String, state: NotifyState },
    /// A MASTER received an advert with a lower priority.
    MasterRxLowerPri { name: String, priority: u8 },
    /// The effective priority changed while MASTER or BACKUP (FIFO only, and
    /// only with `notify_priority_changes`); `master` selects
    /// `MASTER_PRIORITY` vs `BACKUP_PRIORITY`.
    PriorityChange {
        name: String,
        master: bool,
        priority: u8,
    },
}

/// Which configured script a [`ScriptRun`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptRole {
    Master,
    Backup,
    Fault,
    Stop,
    Deleted,
    /// The generic `notify` (with the four appended arguments).
    Generic,
    MasterRxLowerPri,
}

/// A script to start: final argv plus the user/group it runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRun {
    pub role: ScriptRole,
    pub argv: Vec<String>,
    pub user: Option<String>,
    pub group: Option<String>,
}

/// `notify_stop` is killed if still running this long after it started
/// (reference §6.1); every other notify script is fire-and-forget.
pub const STOP_SCRIPT_TIMEOUT: Duration = Duration::from_secs(1);

impl ScriptRun {
    fn from_script(role: ScriptRole, s: &Script) -> Self {
        ScriptRun {
            role,
            argv: s.argv.clone(),
            user: s.user.clone(),
            group: s.group.clone(),
        }
    }

    /// How long the caller should let this run before killing its process
    /// group (`None` = never: fire-and-forget).
    pub fn kill_after(&self) -> Option<Duration> {
        (self.role == ScriptRole::Stop).then_some(STOP_SCRIPT_TIMEOUT)
    }

    /// Start the script (see [`spawn_script`]).
    pub fn spawn(&self) -> io::Result<Child> {
        spawn_script(&self.argv, self.user.as_deref(), self.group.as_deref())
    }
}

/// The scripts of one instance or group, as borrowed slots.
struct Slots<'a> {
    master: Option<&'a Script>,
    backup: Option<&'a Script>,
    fault: Option<&'a Script>,
    stop: Option<&'a Script>,
    generic: Option<&'a Script>,
}

impl<'a> Slots<'a> {
    fn specific(&self, state: NotifyState) -> Option<(ScriptRole, &'a Script)> {
        match state {
            NotifyState::Master => self.master.map(|s| (ScriptRole::Master, s)),
            NotifyState::Backup => self.backup.map(|s| (ScriptRole::Backup, s)),
            NotifyState::Fault => self.fault.map(|s| (ScriptRole::Fault, s)),
            NotifyState::Stop => self.stop.map(|s| (ScriptRole::Stop, s)),
            NotifyState::Init | NotifyState::Deleted => None,
        }
    }

    /// The specific script then the generic one (reference §6.1).
    fn plan(
        &self,
        kind: &str,
        name: &str,
        state: NotifyState,
        priority: u8,
        deleted: Option<Option<&'a Script>>,
    ) -> Vec<ScriptRun> {
        let mut out = Vec::new();
        let specific = match (state, deleted) {
            (NotifyState::Deleted, Some(script)) => script.map(|s| (ScriptRole::Deleted, s)),
            _ => self.specific(state),
        };
        if let Some((role, s)) = specific {
            out.push(ScriptRun::from_script(role, s));
        }
        if let (Some(g), Some(word)) = (self.generic, state.word()) {
            out.push(ScriptRun {
                role: ScriptRole::Generic,
                argv: generic_argv(g, kind, name, word, priority),
                user: g.user.clone(),
                group: g.group.clone(),
            });
        }
        out
    }
}

/// The generic `notify` argv: the configured argv, then `INSTANCE`|`GROUP`,
/// the name, the state word and the priority.
pub fn generic_argv(script: &Script, kind: &str, name: &str, word: &str, prio: u8) -> Vec<String> {
    let mut argv = script.argv.clone();
    argv.extend([
        kind.to_owned(),
        name.to_owned(),
        word.to_owned(),
        prio.to_string(),
    ]);
    argv
}

/// A `*_fifo_script` argv: the configured argv with the FIFO path appended.
pub fn fifo_script_argv(script: &Script, fifo: &Path) -> Vec<String> {
    let mut argv = script.argv.clone();
    argv.push(fifo.to_string_lossy().into_owned());
    argv
}

/// Reported state of a deleted instance: DELETED only with `notify_deleted`.
fn instance_report_state(scripts: &NotifyScripts, state: NotifyState) -> NotifyState {
    if state == NotifyState::Deleted && !scripts.deleted {
        NotifyState::Fault
    } else {
        state
    }
}

impl Notification {
    /// Map a DELETED instance to FAULT unless `notify_deleted` is set, and a
    /// DELETED group to FAULT; everything else is returned unchanged. Apply
    /// this before [`Notification::fifo_line`].
    pub fn resolve(self, scripts: &NotifyScripts) -> Self {
        match self {
            Notification::Instance {
                name,
                state,
                priority,
            } => Notification::Instance {
                name,
                state: instance_report_state(scripts, state),
                priority,
            },
            Notification::Group {
                name,
                state: NotifyState::Deleted,
            } => Notification::Group {
                name,
                state: NotifyState::Fault,
            },
            other => other,
        }
    }

    /// The scripts of an instance to run for this event, in order. Group
    /// events give nothing here (see [`Notification::group_scripts`]).
    pub fn instance_scripts(&self, scripts: &NotifyScripts) -> Vec<ScriptRun> {
        match self {
            Notification::Instance {
                name,
                state,
                priority,
            } => {
                let slots = Slots {
                    master: scripts.master.as_ref(),
                    backup: scripts.backup.as_ref(),
                    fault: scripts.fault.as_ref(),
                    stop: scripts.stop.as_ref(),
                    generic: scripts.notify.as_ref(),
                };
                let state = instance_report_state(scripts, *state);
                let deleted = scripts.deleted.then_some(scripts.deleted_script.as_ref());
                slots.plan("INSTANCE", name, state, *priority, deleted)
            }
            Notification::MasterRxLowerPri { .. } => scripts
                .master_rx_lower_pri
                .iter()
                .map(|s| ScriptRun::from_script(ScriptRole::MasterRxLowerPri, s))
                .collect(),
            Notification::Group { .. } | Notification::PriorityChange { .. } => Vec::new(),
        }
    }

    /// The scripts of a sync group to run for this event, in order (the
    /// generic `notify` gets priority 0).
    pub fn group_scripts(&self, group: &SyncGroup) -> Vec<ScriptRun> {
        let Notification::Group { name, state } = self else {
            return Vec::new();
        };
        let state = if *state == NotifyState::Deleted {
            NotifyState::Fault
        } else {
            *state
        };
        let slots = Slots {
            master: group.notify_master.as_ref(),
            backup: group.notify_backup.as_ref(),
            fault: group.notify_fault.as_ref(),
            stop: group.notify_stop.as_ref(),
            generic: group.notify.as_ref(),
        };
        slots.plan("GROUP", name, state, 0, None)
    }

    /// The `notify_fifo` line, newline included (reference §6.2), e.g.
    /// `INSTANCE "VI_1" MASTER 110\n` or `GROUP "G1" BACKUP 0\n`. `None`
    /// for INIT. Call [`Notification::resolve`] first for deleted instances.
    pub fn fifo_line(&self) -> Option<String> {
        let (kind, name, word, prio) = match self {
            Notification::Instance {
                name,
                state,
                priority,
            } => ("INSTANCE", name, state.word()?, *priority),
            Notification::Group { name, state } => {
                let word = match state {
                    NotifyState::Deleted => "FAULT",
                    s => s.word()?,
                };
                ("GROUP", name, word, 0)
            }
            Notification::MasterRxLowerPri { name, priority } => {
                ("INSTANCE", name, "MASTER_RX_LOWER_PRI", *priority)
            }
            Notification::PriorityChange {
                name,
                master,
                priority,
            } => {
                let word = if *master {
                    "MASTER_PRIORITY"
                } else {
                    "BACKUP_PRIORITY"
                };
                ("INSTANCE", name, word, *priority)
            }
        };
        Some(format!("{kind} \"{name}\" {word} {prio}\n"))
    }
}

// ---------------------------------------------------------------------------
// FIFO writer

/// How the FIFO is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FifoOpenMode {
    /// `O_RDWR|O_NONBLOCK`, as keepalived does (reference §6.2): the open
    /// never waits for a reader, and lines queue in the pipe until a reader
    /// comes or the pipe fills (then lines are dropped).
    #[default]
    ReadWrite,
    /// `O_WRONLY|O_NONBLOCK`: the open fails with ENXIO while nobody reads
    /// (the line is dropped and the open retried later), and a reader going
    /// away (EPIPE) closes the FIFO until the next retry.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    WriteOnly,
}

/// What happened to one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FifoWrite {
    Written,
    /// Dropped: the pipe was full (EAGAIN).
    DroppedFull,
    /// Dropped: the FIFO is not open (no reader yet, or open failed, or
    /// waiting for the retry interval).
    DroppedNotOpen,
    /// Dropped: longer than PIPE_BUF, so it could not be written atomically.
    DroppedTooLong,
    /// Dropped: another write error (the FIFO is closed and reopened later).
    DroppedError,
}

/// Writes atomic lines must not exceed (POSIX PIPE_BUF, 4096 on Linux).
const PIPE_BUF: usize = 4096;

/// A notify FIFO that never blocks its writer.
#[derive(Debug)]
pub struct FifoWriter {
    path: PathBuf,
    mode: FifoOpenMode,
    file: Option<File>,
    /// Earliest time to try opening again after a failure.
    next_open: Option<Instant>,
    retry_interval: Duration,
    dropped: u64,
    written: u64,
}

impl FifoWriter {
    /// A writer for `path`; nothing is opened until [`FifoWriter::open`] or
    /// the first [`FifoWriter::write_line`].
    pub fn new(path: impl Into<PathBuf>, mode: FifoOpenMode) -> Self {
        FifoWriter {
            path: path.into(),
            mode,
            file: None,
            next_open: None,
            retry_interval: Duration::from_secs(1),
            dropped: 0,
            written: 0,
        }
    }

    /// How long to wait after a failed open before trying again.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn set_retry_interval(&mut self, d: Duration) {
        self.retry_interval = d;
    }

    /// Lines dropped so far (never blocked on).
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Lines written so far.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Create the FIFO if missing (mode 0644, masked by the umask) and open
    /// it non-blocking. On failure the next attempt waits for the retry
    /// interval.
    pub fn open(&mut self) -> io::Result<()> {
        match self.try_open() {
            Ok(f) => {
                self.file = Some(f);
                self.next_open = None;
                Ok(())
            }
            Err(e) => {
                self.file = None;
                self.next_open = Some(Instant::now() + self.retry_interval);
                Err(e)
            }
        }
    }

    fn try_open(&self) -> io::Result<File> {
        match std::fs::metadata(&self.path) {
            Ok(m) if !m.file_type().is_fifo() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} exists and is not a FIFO", self.path.display()),
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mode = Mode::from_bits_truncate(0o644);
                match nix::unistd::mkfifo(&self.path, mode) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e),
        }
        let mut opts = OpenOptions::new();
        match self.mode {
            FifoOpenMode::ReadWrite => opts.read(true).write(true),
            FifoOpenMode::WriteOnly => opts.write(true),
        };
        opts.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&self.path)
    }

    /// Close the FIFO (e.g. on reload); the next write reopens it.
    pub fn close(&mut self) {
        self.file = None;
        self.next_open = None;
    }

    fn drop_line(&mut self, why: FifoWrite) -> FifoWrite {
        self.dropped += 1;
        why
    }

    /// Write one whole line (a trailing newline is added if missing). Never
    /// blocks: a full pipe or a missing reader drops the line.
    pub fn write_line(&mut self, line: &str) -> FifoWrite {
        let mut buf = line.as_bytes().to_vec();
        if buf.last() != Some(&b'\n') {
            buf.push(b'\n');
        }
        if buf.len() > PIPE_BUF {
            return self.drop_line(FifoWrite::DroppedTooLong);
        }
        if self.file.is_none() {
            let due = self.next_open.is_none_or(|t| Instant::now() >= t);
            if !due || self.open().is_err() {
                return self.drop_line(FifoWrite::DroppedNotOpen);
            }
        }
        let Some(file) = self.file.as_mut() else {
            return self.drop_line(FifoWrite::DroppedNotOpen);
        };
        match file.write(&buf) {
            // At most PIPE_BUF bytes to a pipe: all or nothing.
            Ok(n) if n == buf.len() => {
                self.written += 1;
                FifoWrite::Written
            }
            Ok(_) => self.drop_line(FifoWrite::DroppedError),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.drop_line(FifoWrite::DroppedFull)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.drop_line(FifoWrite::DroppedFull)
            }
            Err(_) => {
                // EPIPE (reader gone, write-only mode) or worse: reopen later.
                self.file = None;
                self.next_open = Some(Instant::now() + self.retry_interval);
                self.drop_line(FifoWrite::DroppedError)
            }
        }
    }

    /// Write the FIFO line of a notification (nothing for INIT).
    pub fn notify(&mut self, n: &Notification) -> Option<FifoWrite> {
        n.fifo_line().map(|l| self.write_line(&l))
    }
}

// ---------------------------------------------------------------------------
// Script execution

/// Look a user up by name or number in a passwd-format file: (uid, gid).
fn lookup_user_in(passwd: &str, user: &str) -> Option<(u32, u32)> {
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 4 && f[0] == user {
            return Some((f[2].parse().ok()?, f[3].parse().ok()?));
        }
    }
    let uid: u32 = user.parse().ok()?;
    let gid = passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 4 && f[2].parse::<u32>().ok() == Some(uid)).then(|| f[3].parse().ok())?
    });
    Some((uid, gid.unwrap_or(uid)))
}

/// Look a group up by name or number in a group-format file.
fn lookup_group_in(groups: &str, group: &str) -> Option<u32> {
    for line in groups.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 3 && f[0] == group {
            return f[2].parse().ok();
        }
    }
    group.parse().ok()
}

fn not_found(what: &str, name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("unknown {what} {name:?}"))
}

/// Resolve the script user/group to (uid, gid). A group written `:grp`
/// (supplementary groups requested) is treated as `grp`.
pub fn resolve_ids(
    user: Option<&str>,
    group: Option<&str>,
) -> io::Result<(Option<u32>, Option<u32>)> {
    let group = group
        .map(|g| g.trim_start_matches(':'))
        .filter(|g| !g.is_empty());
    let mut uid = None;
    let mut gid = None;
    if let Some(u) = user {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let (id, primary) = lookup_user_in(&passwd, u).ok_or_else(|| not_found("user", u))?;
        uid = Some(id);
        gid = Some(primary);
    }
    if let Some(g) = group {
        let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        gid = Some(lookup_group_in(&groups, g).ok_or_else(|| not_found("group", g))?);
    }
    Ok((uid, gid))
}

/// Start a script the way keepalived does (reference §5.3), without a shell:
/// argv[0] is found via PATH when it has no `/` (like execvp); stdin, stdout
/// and stderr go to /dev/null; it gets its own process group; IFS,
/// LD_PRELOAD and LD_LIBRARY_PATH are removed from its environment; it runs
/// as `user`/`group` when given. The child is not waited for: the caller
/// reaps it (and kills its process group if it needs a timeout).
pub fn spawn_script(argv: &[String], user: Option<&str>, group: Option<&str>) -> io::Result<Child> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty script command"))?;
    let (uid, gid) = resolve_ids(user, group)?;
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("IFS")
        .env_remove("LD_PRELOAD")
        .env_remove("LD_LIBRARY_PATH")
        .process_group(0);
    if let Some(gid) = gid {
        cmd.gid(gid);
    }
    if let Some(uid) = uid {
        cmd.uid(uid);
    }
    cmd.spawn()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read};
    use std::os::unix::fs::PermissionsExt;

    fn tmpdir(tag: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("keepalived-rs-notify-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("create temp dir");
        d
    }

    fn script(argv: &[&str]) -> Script {
        Script {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            raw: argv.join(" "),
            user: None,
            group: None,
            location: Default::default(),
        }
    }

    fn inst(name: &str, state: NotifyState, priority: u8) -> Notification {
        Notification::Instance {
            name: name.into(),
            state,
            priority,
        }
    }

    fn argvs(runs: &[ScriptRun]) -> Vec<Vec<String>> {
        runs.iter().map(|r| r.argv.clone()).collect()
    }

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn all_scripts() -> NotifyScripts {
        NotifyScripts {
            master: Some(script(&["/m", "x"])),
            backup: Some(script(&["/b"])),
            fault: Some(script(&["/f"])),
            stop: Some(script(&["/s"])),
            notify: Some(script(&["/n", "arg one"])),
            master_rx_lower_pri: Some(script(&["/rx", "y"])),
            deleted: false,
            deleted_script: None,
        }
    }

    #[test]
    fn instance_specific_then_generic() {
        let s = all_scripts();
        let runs = inst("VI_1", NotifyState::Master, 110).instance_scripts(&s);
        assert_eq!(
            argvs(&runs),
            vec![
                v(&["/m", "x"]),
                v(&["/n", "arg one", "INSTANCE", "VI_1", "MASTER", "110"])
            ]
        );
        assert_eq!(runs[0].role, ScriptRole::Master);
        assert_eq!(runs[1].role, ScriptRole::Generic);
        for (st, spec, word) in [
            (NotifyState::Backup, "/b", "BACKUP"),
            (NotifyState::Fault, "/f", "FAULT"),
            (NotifyState::Stop, "/s", "STOP"),
        ] {
            let runs = inst("VI_1", st, 90).instance_scripts(&s);
            assert_eq!(
                argvs(&runs),
                vec![
                    v(&[spec]),
                    v(&["/n", "arg one", "INSTANCE", "VI_1", word, "90"])
                ]
            );
        }
        let stop = inst("VI_1", NotifyState::Stop, 90).instance_scripts(&s);
        assert_eq!(stop[0].kill_after(), Some(STOP_SCRIPT_TIMEOUT));
        assert_eq!(stop[1].kill_after(), None);
        assert!(inst("VI_1", NotifyState::Init, 90)
            .instance_scripts(&s)
            .is_empty());
    }

    #[test]
    fn only_configured_scripts_run() {
        let mut s = NotifyScripts::default();
        assert!(inst("A", NotifyState::Master, 1)
            .instance_scripts(&s)
            .is_empty());
        s.notify = Some(script(&["n"]));
        assert_eq!(
            argvs(&inst("A", NotifyState::Master, 1).instance_scripts(&s)),
            vec![v(&["n", "INSTANCE", "A", "MASTER", "1"])]
        );
    }

    #[test]
    fn deleted_instance() {
        let mut s = all_scripts();
        // Without notify_deleted: reported as FAULT.
        let n = inst("VI_1", NotifyState::Deleted, 100);
        assert_eq!(
            argvs(&n.instance_scripts(&s)),
            vec![
                v(&["/f"]),
                v(&["/n", "arg one", "INSTANCE", "VI_1", "FAULT", "100"])
            ]
        );
        assert_eq!(
            n.clone().resolve(&s).fifo_line().as_deref(),
            Some("INSTANCE \"VI_1\" FAULT 100\n")
        );
        // notify_deleted without a script: generic only, DELETED.
        s.deleted = true;
        assert_eq!(
            argvs(&n.instance_scripts(&s)),
            vec![v(&["/n", "arg one", "INSTANCE", "VI_1", "DELETED", "100"])]
        );
        assert_eq!(
            n.clone().resolve(&s).fifo_line().as_deref(),
            Some("INSTANCE \"VI_1\" DELETED 100\n")
        );
        s.deleted_script = Some(script(&["/d"]));
        let runs = n.instance_scripts(&s);
        assert_eq!(runs[0].role, ScriptRole::Deleted);
        assert_eq!(argvs(&runs)[0], v(&["/d"]));
    }

    #[test]
    fn rx_lower_pri_and_priority_changes() {
        let s = all_scripts();
        let n = Notification::MasterRxLowerPri {
            name: "VI_1".into(),
            priority: 100,
        };
        assert_eq!(argvs(&n.instance_scripts(&s)), vec![v(&["/rx", "y"])]);
        assert_eq!(
            n.fifo_line().as_deref(),
            Some("INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100\n")
        );
        let p = Notification::PriorityChange {
            name: "VI_1".into(),
            master: false,
            priority: 80,
        };
        assert!(p.instance_scripts(&s).is_empty());
        assert_eq!(
            p.fifo_line().as_deref(),
            Some("INSTANCE \"VI_1\" BACKUP_PRIORITY 80\n")
        );
    }

    #[test]
    fn group_scripts_and_lines() {
        let g = SyncGroup {
            name: "G1".into(),
            members: vec![],
            member_locations: vec![],
            track: vec![],
            notify_master: Some(script(&["/gm"])),
            notify_backup: None,
            notify_fault: None,
            notify_stop: None,
            notify: Some(script(&["/gn"])),
            smtp_alert: None,
            notify_priority_changes: None,
            tracking_weight: false,
            location: Default::default(),
        };
        let n = Notification::Group {
            name: "G1".into(),
            state: NotifyState::Master,
        };
        assert_eq!(
            argvs(&n.group_scripts(&g)),
            vec![v(&["/gm"]), v(&["/gn", "GROUP", "G1", "MASTER", "0"])]
        );
        let b = Notification::Group {
            name: "G1".into(),
            state: NotifyState::Backup,
        };
        assert_eq!(
            argvs(&b.group_scripts(&g)),
            vec![v(&["/gn", "GROUP", "G1", "BACKUP", "0"])]
        );
        assert_eq!(b.fifo_line().as_deref(), Some("GROUP \"G1\" BACKUP 0\n"));
        assert!(n.instance_scripts(&NotifyScripts::default()).is_empty());
    }

    #[test]
    fn fifo_lines() {
        assert_eq!(
            inst("VI_1", NotifyState::Master, 110)
                .fifo_line()
                .as_deref(),
            Some("INSTANCE \"VI_1\" MASTER 110\n")
        );
        assert_eq!(
            inst("VI Q", NotifyState::Stop, 0).fifo_line().as_deref(),
            Some("INSTANCE \"VI Q\" STOP 0\n")
        );
        assert_eq!(inst("VI_1", NotifyState::Init, 1).fifo_line(), None);
    }

    #[test]
    fn fifo_script_path_appended() {
        let s = script(&["/r", "a"]);
        assert_eq!(
            fifo_script_argv(&s, Path::new("/run/f")),
            v(&["/r", "a", "/run/f"])
        );
    }

    #[test]
    fn user_lookup() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1002::/home/bob:/bin/sh\n";
        assert_eq!(lookup_user_in(passwd, "bob"), Some((1001, 1002)));
        assert_eq!(lookup_user_in(passwd, "1001"), Some((1001, 1002)));
        assert_eq!(lookup_user_in(passwd, "4000"), Some((4000, 4000)));
        assert_eq!(lookup_user_in(passwd, "nobody-here"), None);
        let groups = "root:x:0:\nstaff:x:50:bob\n";
        assert_eq!(lookup_group_in(groups, "staff"), Some(50));
        assert_eq!(lookup_group_in(groups, "7"), Some(7));
        assert_eq!(lookup_group_in(groups, "nope"), None);
        assert!(resolve_ids(Some("no-such-user-xyz"), None).is_err());
        assert_eq!(resolve_ids(None, None).expect("no ids"), (None, None));
    }

    #[test]
    fn fifo_write_only_waits_for_reader() {
        let dir = tmpdir("wronly");
        let path = dir.join("notify.fifo");
        let mut w = FifoWriter::new(&path, FifoOpenMode::WriteOnly);
        w.set_retry_interval(Duration::ZERO);
        // No reader: the FIFO is created, the open fails (ENXIO), line dropped.
        assert_eq!(w.write_line("lost"), FifoWrite::DroppedNotOpen);
        assert_eq!(w.dropped(), 1);
        let meta = std::fs::metadata(&path).expect("fifo created");
        assert!(meta.file_type().is_fifo());
        assert_eq!(meta.permissions().mode() & 0o022, 0);

        let reader_path = path.clone();
        let reader = std::thread::spawn(move || {
            let f = File::open(&reader_path).expect("open fifo for reading");
            BufReader::new(f)
                .lines()
                .map(|l| l.expect("read line"))
                .collect::<Vec<_>>()
        });
        // Retry until the reader's open is in place.
        let deadline = Instant::now() + Duration::from_secs(10);
        while w.write_line("INSTANCE \"VI_1\" MASTER 100") != FifoWrite::Written {
            assert!(Instant::now() < deadline, "reader never appeared");
            std::thread::sleep(Duration::from_millis(5));
        }
        let dropped_before = w.dropped();
        assert_eq!(
            w.notify(&inst("VI_1", NotifyState::Backup, 90)),
            Some(FifoWrite::Written)
        );
        w.close();
        let lines = reader.join().expect("reader thread");
        assert_eq!(
            lines,
            vec![
                "INSTANCE \"VI_1\" MASTER 100",
                "INSTANCE \"VI_1\" BACKUP 90"
            ]
        );
        assert_eq!(w.written(), 2);
        assert_eq!(w.dropped(), dropped_before);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fifo_full_pipe_drops_whole_lines_without_blocking() {
        let dir = tmpdir("full");
        let path = dir.join("notify.fifo");
        let mut w = FifoWriter::new(&path, FifoOpenMode::ReadWrite);
        w.open().expect("open read-write without a reader");
        let line = format!("INSTANCE \"{}\" MASTER 100", "x".repeat(100));
        let total = 2000; // ~230 KB, far more than a default 64 KB pipe
        for _ in 0..total {
            w.write_line(&line);
        }
        assert!(w.dropped() > 0, "a full pipe must drop lines");
        assert_eq!(w.written() + w.dropped(), total);
        // Drain the pipe from another thread: only whole lines came through.
        let written = w.written();
        let reader_path = path.clone();
        let reader = std::thread::spawn(move || {
            let mut f = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&reader_path)
                .expect("open reader");
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                match f.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read: {e}"),
                }
            }
            buf
        });
        let buf = reader.join().expect("reader thread");
        let text = String::from_utf8(buf).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, written);
        assert!(lines.iter().all(|l| *l == line));
        assert!(text.ends_with('\n'));
        // Room again: the next line goes through.
        assert_eq!(w.write_line(&line), FifoWrite::Written);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fifo_refuses_non_fifo_and_long_lines() {
        let dir = tmpdir("nonfifo");
        let path = dir.join("plain");
        std::fs::write(&path, b"").expect("write file");
        let mut w = FifoWriter::new(&path, FifoOpenMode::ReadWrite);
        assert!(w.open().is_err());
        assert_eq!(w.write_line("x"), FifoWrite::DroppedNotOpen);
        assert_eq!(
            w.write_line(&"y".repeat(PIPE_BUF + 1)),
            FifoWrite::DroppedTooLong
        );
        assert_eq!(w.dropped(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn scripts_run_with_keepalived_arguments_in_order() {
        let dir = tmpdir("run");
        let log = dir.join("log");
        let sh = dir.join("record.sh");
        std::fs::write(
            &sh,
            format!(
                "#!/bin/sh\nprintf '%s|' \"$@\" >> '{}'\necho >> '{}'\n",
                log.display(),
                log.display()
            ),
        )
        .expect("write script");
        std::fs::set_permissions(&sh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let shp = sh.to_string_lossy().into_owned();
        let s = NotifyScripts {
            master: Some(script(&[&shp, "master"])),
            backup: Some(script(&[&shp, "backup"])),
            fault: Some(script(&[&shp, "fault"])),
            stop: Some(script(&[&shp, "stop"])),
            notify: Some(script(&[&shp, "generic", "two words"])),
            ..Default::default()
        };
        for (state, prio) in [
            (NotifyState::Master, 100),
            (NotifyState::Backup, 90),
            (NotifyState::Fault, 0),
            (NotifyState::Stop, 90),
        ] {
            for run in inst("VI_1", state, prio).instance_scripts(&s) {
                let mut child = run.spawn().expect("spawn script");
                let status = child.wait().expect("wait script");
                assert!(status.success());
            }
        }
        let got = std::fs::read_to_string(&log).expect("read log");
        let want = "\
master|
generic|two words|INSTANCE|VI_1|MASTER|100|
backup|
generic|two words|INSTANCE|VI_1|BACKUP|90|
fault|
generic|two words|INSTANCE|VI_1|FAULT|0|
stop|
generic|two words|INSTANCE|VI_1|STOP|90|
";
        assert_eq!(got, want);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn spawn_uses_path_own_process_group_and_null_stdio() {
        // `sh` found via PATH; our argv is passed as is, not through a shell.
        let argv = v(&[
            "sh",
            "-c",
            "read -r _ _ _ _ pgrp _ < /proc/$$/stat && [ \"$pgrp\" = \"$$\" ] && ! [ -t 0 ] && [ -z \"$LD_PRELOAD\" ]",
        ]);
        let mut child = spawn_script(&argv, None, None).expect("spawn sh");
        let st = child.wait().expect("wait");
        assert!(st.success(), "not its own process group, or stdin not null");
        assert!(spawn_script(&[], None, None).is_err());
        assert!(spawn_script(&v(&["/nonexistent/script-xyz"]), None, None).is_err());
    }
}
