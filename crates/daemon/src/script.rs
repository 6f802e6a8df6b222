//! `vrrp_script` in the daemon (reference §2.5, §5): the rise/fall counter,
//! resolving a script and checking its security at load time, running it once
//! with a timeout that kills its whole process group, and the periodic runner.
//!
//! Decisions where we differ from keepalived on purpose (also in
//! docs/keepalived-differences.md):
//! - A script that cannot be executed when it is run (execve fails: missing,
//!   not executable, no `#!` line and not ELF, bad interpreter) counts as
//!   **failed**. keepalived's child exits 0 in that case, so it counts as
//!   succeeded (reference §5.3, §10 item 23).
//! - No shell, ever: commands starting with `<` or `>` and files without `#!`
//!   are not handed to `/bin/sh`. glibc's `execvp` (used by std) would run a
//!   file without `#!` through `/bin/sh` on ENOEXEC, so [`run_once`] checks
//!   the first bytes itself and refuses anything that is neither `#!` nor
//!   ELF. binfmt_misc formats are therefore not run.
//!
//! `PR_SET_PDEATHSIG` is not set on the child (keepalived sets SIGTERM): that
//! needs `pre_exec`, i.e. unsafe code, which the workspace denies. If the
//! daemon dies, a running script finishes on its own (bounded by what the
//! script does); a run abandoned while the daemon lives (its future dropped,
//! e.g. the runner task aborted) has its process group killed.
//!
//! Supplementary groups (`user :group`) are not set, like notify scripts
//! (see `notify.rs`): std drops them when it sets a uid.

use crate::notify::resolve_ids;
use keepalived_config::{RunAs, VrrpScript};
use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::ffi::OsStr;
use std::fmt;
use std::fs::Metadata;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::process::Child;
use tokio::time::Instant;
use tracing::{debug, info, warn};

// ---------------------------------------------------------------------------
// Rise / fall

/// The result counter of one script (reference §5.2), without I/O.
///
/// The counter lives in `[0, rise+fall-1]` and the script is OK iff it is
/// `>= rise`. Becoming OK jumps to the top and becoming failed jumps to 0, so
/// from OK it takes `fall` *consecutive* failures to fail and from failed
/// `rise` consecutive successes to recover; a single contrary result in
/// between restarts the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiseFall {
    rise: u64,
    fall: u64,
    result: u64,
    has_result: bool,
}

impl RiseFall {
    /// A new counter: at `rise-1` (one success makes it OK, and it is not OK
    /// yet), or at 0 with `init_fail` (it needs `rise` successes). `rise` and
    /// `fall` below 1 are taken as 1 (the configuration never gives 0).
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> Self {
        let rise = u64::from(rise.max(1));
        let fall = u64::from(fall.max(1));
        RiseFall {
            rise,
            fall,
            result: if init_fail { 0 } else { rise - 1 },
            has_result: false,
        }
    }

    fn top(&self) -> u64 {
        self.rise + self.fall - 1
    }

    /// Record one run. Returns `Some(new_ok)` only when the OK/failed state
    /// flips.
    pub fn record(&mut self, success: bool) -> Option<bool> {
        let was = self.is_ok();
        if success {
            if self.result < self.rise {
                self.result += 1;
            }
            if self.result >= self.rise {
                self.result = self.top();
            }
        } else if self.result >= self.rise {
            self.result -= 1;
            if self.result < self.rise {
                self.result = 0;
            }
        } else {
            self.result = 0;
        }
        self.has_result = true;
        let now = self.is_ok();
        (now != was).then_some(now)
    }

    /// The script counts as up (`result >= rise`). False before the first
    /// result: see [`RiseFall::has_result`] for whether that is known.
    pub fn is_ok(&self) -> bool {
        self.result >= self.rise
    }

    /// False until the first run has finished. An instance that tracks the
    /// script with weight 0 stays in FAULT/INIT until then (reference §5.2).
    pub fn has_result(&self) -> bool {
        self.has_result
    }

    /// The raw counter, for status dumps.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn result(&self) -> u64 {
        self.result
    }
}

// ---------------------------------------------------------------------------
// Resolution and security

/// The uid/gid a script runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunIds {
    pub uid: u32,
    pub gid: u32,
}

impl RunIds {
    /// keepalived counts a script as running as root when either id is 0.
    fn is_root(self) -> bool {
        self.uid == 0 || self.gid == 0
    }
}

/// What is wrong with one component of a script's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafeReason {
    NotOwnedByRoot { uid: u32 },
    GroupWritable,
    OtherWritable,
    GroupAndOtherWritable,
}

impl fmt::Display for UnsafeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafeReason::NotOwnedByRoot { uid } => write!(f, "is owned by uid {uid}, not root"),
            UnsafeReason::GroupWritable => f.write_str("is writable by its group"),
            UnsafeReason::OtherWritable => f.write_str("is writable by others"),
            UnsafeReason::GroupAndOtherWritable => {
                f.write_str("is writable by its group and by others")
            }
        }
    }
}

/// Why a script is not used (or, for [`ScriptRefusal::Unsafe`] without
/// `enable_script_security`, what to warn about). The caller adds the
/// script's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptRefusal {
    #[error("empty command")]
    EmptyCommand,
    #[error("{program}: not found{}", if *.path_searched { " in PATH" } else { "" })]
    NotFound {
        program: String,
        path_searched: bool,
    },
    #[error("{}: cannot resolve the path: {error}", .path.display())]
    BadPath { path: PathBuf, error: String },
    #[error("{}: not a regular file", .path.display())]
    NotAFile { path: PathBuf },
    #[error("{}: not executable by uid {uid} gid {gid} (mode {mode:04o}, owner {owner}:{group})", .path.display())]
    NotExecutable {
        path: PathBuf,
        uid: u32,
        gid: u32,
        mode: u32,
        owner: u32,
        group: u32,
    },
    #[error("cannot find {what} {name:?}: {error}")]
    UnknownUser {
        what: &'static str,
        name: String,
        error: String,
    },
    #[error(
        "no user to run it as: enable_script_security is set, there is no script_user \
         and no 'keepalived_script' account"
    )]
    NoDefaultUser,
    #[error(
        "unsafe permissions: {} runs as root but {} {reason} (mode {mode:04o})",
        .script.display(),
        .component.display()
    )]
    Unsafe {
        script: PathBuf,
        component: PathBuf,
        reason: UnsafeReason,
        mode: u32,
    },
}

/// A `vrrp_script` ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedScript {
    /// The `vrrp_script` name.
    pub name: String,
    /// What is executed: the PATH-searched, symlink-free path.
    pub program: PathBuf,
    /// The arguments as configured (argv\[0\] is passed unchanged).
    pub argv: Vec<String>,
    pub ids: RunIds,
    pub interval: Duration,
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
    /// Set when the path is unsafe for a root script but
    /// `enable_script_security` is off: the script runs, the caller warns.
    pub insecure: Option<ScriptRefusal>,
}

impl ResolvedScript {
    /// A fresh counter for this script.
    pub fn rise_fall(&self) -> RiseFall {
        RiseFall::new(self.rise, self.fall, self.init_fail)
    }
}

/// The account keepalived runs scripts as by default when it exists.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// Where PATH searches go when the daemon has no PATH.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn ids_of(run_as: &RunAs) -> Result<RunIds, ScriptRefusal> {
    match resolve_ids(Some(&run_as.user), run_as.group.as_deref()) {
        Ok((Some(uid), Some(gid))) => Ok(RunIds { uid, gid }),
        Ok(_) => Err(ScriptRefusal::UnknownUser {
            what: "user",
            name: run_as.user.clone(),
            error: "no uid/gid".into(),
        }),
        Err(e) => Err(ScriptRefusal::UnknownUser {
            what: "user/group",
            name: match &run_as.group {
                Some(g) => format!("{}:{g}", run_as.user),
                None => run_as.user.clone(),
            },
            error: e.to_string(),
        }),
    }
}

/// Who a script runs as (reference §5.4): its own `user`, else the global
/// `script_user`, else `keepalived_script` if that account exists, else the
/// daemon's own ids — except that with `enable_script_security` that last
/// fallback is refused, so such scripts are dropped (keepalived: "Unable to
/// set default user").
pub fn script_ids(
    own: Option<&RunAs>,
    script_user: Option<&RunAs>,
    enable_script_security: bool,
) -> Result<RunIds, ScriptRefusal> {
    if let Some(r) = own.or(script_user) {
        return ids_of(r);
    }
    if let Ok((Some(uid), Some(gid))) = resolve_ids(Some(DEFAULT_SCRIPT_USER), None) {
        return Ok(RunIds { uid, gid });
    }
    if enable_script_security {
        return Err(ScriptRefusal::NoDefaultUser);
    }
    Ok(RunIds {
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
    })
}

/// Whether `ids` may execute a file with this metadata (primary group only:
/// supplementary groups are not set for scripts).
fn executable_by(meta: &Metadata, ids: RunIds) -> bool {
    let mode = meta.mode();
    if ids.uid == 0 {
        mode & 0o111 != 0
    } else if meta.uid() == ids.uid {
        mode & 0o100 != 0
    } else if meta.gid() == ids.gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// execvp-style PATH search: the first regular file executable by `ids`;
/// failing that, the first regular file (so the error says "not
/// executable"). An empty PATH entry means the current directory.
fn search_path(name: &str, path_var: &OsStr, ids: RunIds) -> Option<PathBuf> {
    let mut first_file = None;
    for dir in std::env::split_paths(path_var) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(name);
        let Ok(meta) = std::fs::metadata(&candidate) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        if executable_by(&meta, ids) {
            return Some(candidate);
        }
        first_file.get_or_insert(candidate);
    }
    first_file
}

/// The first unsafe component of `path` (canonical), from `/` down, for a
/// script that runs as root: each must be owned by root and writable by
/// neither group nor others, except that sticky directories (like /tmp) may
/// be writable.
fn unsafe_component(path: &Path) -> Result<Option<(PathBuf, UnsafeReason, u32)>, ScriptRefusal> {
    let mut components: Vec<&Path> = path.ancestors().collect();
    components.reverse();
    for c in components {
        let meta = std::fs::metadata(c).map_err(|e| ScriptRefusal::BadPath {
            path: c.to_path_buf(),
            error: e.to_string(),
        })?;
        let mode = meta.mode() & 0o7777;
        if meta.uid() != 0 {
            return Ok(Some((
                c.to_path_buf(),
                UnsafeReason::NotOwnedByRoot { uid: meta.uid() },
                mode,
            )));
        }
        let sticky_dir = meta.is_dir() && mode & 0o1000 != 0;
        if sticky_dir {
            continue;
        }
        let reason = match (mode & 0o020 != 0, mode & 0o002 != 0) {
            (true, true) => UnsafeReason::GroupAndOtherWritable,
            (true, false) => UnsafeReason::GroupWritable,
            (false, true) => UnsafeReason::OtherWritable,
            (false, false) => continue,
        };
        return Ok(Some((c.to_path_buf(), reason, mode)));
    }
    Ok(None)
}

/// Resolve a program as it will run as `ids` (reference §5.4): PATH search
/// for a bare name (using `path_var`, or the default PATH), realpath, must be
/// a regular file executable by `ids`. Returns the path and, when the script
/// runs as root and its path is unsafe without `enable_script_security`, the
/// warning; with `enable_script_security` an unsafe path is refused.
pub fn resolve_program(
    argv0: &str,
    ids: RunIds,
    enable_script_security: bool,
    path_var: Option<&OsStr>,
) -> Result<(PathBuf, Option<ScriptRefusal>), ScriptRefusal> {
    if argv0.is_empty() {
        return Err(ScriptRefusal::EmptyCommand);
    }
    let found = if argv0.contains('/') {
        PathBuf::from(argv0)
    } else {
        search_path(argv0, path_var.unwrap_or(OsStr::new(DEFAULT_PATH)), ids).ok_or_else(|| {
            ScriptRefusal::NotFound {
                program: argv0.to_owned(),
                path_searched: true,
            }
        })?
    };
    let path = std::fs::canonicalize(&found).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            ScriptRefusal::NotFound {
                program: argv0.to_owned(),
                path_searched: false,
            }
        } else {
            ScriptRefusal::BadPath {
                path: found.clone(),
                error: e.to_string(),
            }
        }
    })?;
    let meta = std::fs::metadata(&path).map_err(|e| ScriptRefusal::BadPath {
        path: path.clone(),
        error: e.to_string(),
    })?;
    if !meta.is_file() {
        return Err(ScriptRefusal::NotAFile { path });
    }
    if !executable_by(&meta, ids) {
        return Err(ScriptRefusal::NotExecutable {
            path,
            uid: ids.uid,
            gid: ids.gid,
            mode: meta.mode() & 0o7777,
            owner: meta.uid(),
            group: meta.gid(),
        });
    }
    let mode = meta.mode();
    let setuid_root = mode & 0o4000 != 0 && meta.uid() == 0;
    let setgid_root = mode & 0o2000 != 0 && meta.gid() == 0;
    let mut warning = None;
    if ids.is_root() || setuid_root || setgid_root {
        if let Some((component, reason, mode)) = unsafe_component(&path)? {
            let refusal = ScriptRefusal::Unsafe {
                script: path.clone(),
                component,
                reason,
                mode,
            };
            if enable_script_security {
                return Err(refusal);
            }
            warning = Some(refusal);
        }
    }
    Ok((path, warning))
}

/// Resolve a `vrrp_script` at load time. An `Err` means the script is not
/// used: keepalived removes such a script from the instances that track it
/// (so it never causes FAULT); the caller logs the reason with the name.
/// `Ok` with [`ResolvedScript::insecure`] set means: run it, but warn.
pub fn resolve_script(
    script: &VrrpScript,
    script_user: Option<&RunAs>,
    enable_script_security: bool,
) -> Result<ResolvedScript, ScriptRefusal> {
    let ids = script_ids(script.user.as_ref(), script_user, enable_script_security)?;
    let argv0 = script
        .script
        .argv
        .first()
        .ok_or(ScriptRefusal::EmptyCommand)?;
    let path_var = std::env::var_os("PATH");
    let (program, insecure) =
        resolve_program(argv0, ids, enable_script_security, path_var.as_deref())?;
    let or_one_second = |us: u64| {
        if us == 0 {
            Duration::from_secs(1)
        } else {
            Duration::from_micros(us)
        }
    };
    Ok(ResolvedScript {
        name: script.name.clone(),
        program,
        argv: script.script.argv.clone(),
        ids,
        interval: or_one_second(script.interval_us),
        timeout: or_one_second(script.timeout_us),
        rise: script.rise,
        fall: script.fall,
        init_fail: script.init_fail,
        insecure,
    })
}

// ---------------------------------------------------------------------------
// Running once

/// After SIGTERM to a timed-out script's group, SIGKILL follows this much
/// later if anything in the group is still alive (reference §5.1).
pub const KILL_DELAY: Duration = Duration::from_secs(2);

/// How long to wait for the leader to be reaped after SIGKILL before leaving
/// it to tokio's background reaper (a process stuck in the kernel must not
/// stop the runner for ever).
const REAP_LIMIT: Duration = Duration::from_secs(10);

/// How often the group is polled while waiting for SIGKILL time.
const GROUP_POLL: Duration = Duration::from_millis(50);

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exited with this code; only 0 is a success.
    Exited(i32),
    /// Killed by a signal that we did not send.
    Signalled(i32),
    /// Still running at the timeout; its process group was killed.
    TimedOut,
    /// Could not be executed (missing, not executable, no `#!` and not ELF,
    /// bad interpreter, user change failed). Counts as a failure, unlike
    /// keepalived.
    CannotExecute(String),
    /// Started but could not be waited for (should not happen).
    WaitFailed(String),
}

impl Outcome {
    pub fn success(&self) -> bool {
        *self == Outcome::Exited(0)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited(c) => write!(f, "exited with status {c}"),
            Outcome::Signalled(s) => match Signal::try_from(*s) {
                Ok(sig) => write!(f, "killed by {sig}"),
                Err(_) => write!(f, "killed by signal {s}"),
            },
            Outcome::TimedOut => f.write_str("timed out"),
            Outcome::CannotExecute(e) => write!(f, "cannot be executed: {e}"),
            Outcome::WaitFailed(e) => write!(f, "cannot be waited for: {e}"),
        }
    }
}

fn from_status(status: ExitStatus) -> Outcome {
    match (status.code(), status.signal()) {
        (Some(c), _) => Outcome::Exited(c),
        (None, Some(s)) => Outcome::Signalled(s),
        (None, None) => Outcome::WaitFailed(format!("unknown status {status:?}")),
    }
}

/// Refuse what the kernel cannot execute directly. glibc's execvp (which std
/// uses) would run a file without `#!` through /bin/sh on ENOEXEC, which is
/// exactly the shell fallback we do not want.
fn check_format(program: &Path) -> Result<(), String> {
    let mut head = [0u8; 4];
    let mut file = std::fs::File::open(program).map_err(|e| e.to_string())?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let head = &head[..n];
    if head.starts_with(b"#!") || head == b"\x7fELF" {
        Ok(())
    } else {
        Err(format!(
            "{}: no #! line and not an ELF binary (exec format error)",
            program.display()
        ))
    }
}

/// Whether any process (zombies included) is still in the group.
fn group_alive(pgid: Pid) -> bool {
    killpg(pgid, None) != Err(Errno::ESRCH)
}

/// Kills the script's process group if a run is abandoned (its future
/// dropped) while the script is still going; tokio reaps the dropped child.
struct GroupGuard {
    pgid: Pid,
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = killpg(self.pgid, Signal::SIGKILL);
        }
    }
}

/// SIGTERM the group now, SIGKILL it [`KILL_DELAY`] later if anything in it
/// is still alive, and reap the leader.
async fn terminate(name: &str, child: &mut Child, pgid: Pid) {
    if let Err(e) = killpg(pgid, Signal::SIGTERM) {
        debug!(script = name, error = %e, "SIGTERM to the script's process group");
    }
    let deadline = Instant::now() + KILL_DELAY;
    let leader_reaped = tokio::time::timeout_at(deadline, child.wait())
        .await
        .is_ok();
    if leader_reaped {
        // The leader is gone; others in its group get until the deadline.
        while group_alive(pgid) && Instant::now() < deadline {
            tokio::time::sleep(GROUP_POLL).await;
        }
    }
    if group_alive(pgid) {
        debug!(
            script = name,
            "script still running after SIGTERM; sending SIGKILL"
        );
        let _ = killpg(pgid, Signal::SIGKILL);
    }
    if !leader_reaped
        && tokio::time::timeout(REAP_LIMIT, child.wait())
            .await
            .is_err()
    {
        warn!(
            script = name,
            "script did not exit after SIGKILL; it will be reaped when it does"
        );
    }
}

/// Run the script once (reference §5.3), without a shell: the resolved path
/// is executed with the configured argv, as the script's user and group, in
/// a new process group, with IFS, LD_PRELOAD and LD_LIBRARY_PATH removed
/// and stdin/stdout/stderr on /dev/null. After `timeout` the whole group
/// gets SIGTERM, then SIGKILL [`KILL_DELAY`] later; the run is then
/// [`Outcome::TimedOut`]. The child is always reaped.
pub async fn run_once(script: &ResolvedScript) -> Outcome {
    if let Err(why) = check_format(&script.program) {
        return Outcome::CannotExecute(why);
    }
    let mut cmd = std::process::Command::new(&script.program);
    if let Some((arg0, args)) = script.argv.split_first() {
        cmd.arg0(arg0).args(args);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("IFS")
        .env_remove("LD_PRELOAD")
        .env_remove("LD_LIBRARY_PATH")
        .process_group(0)
        .gid(script.ids.gid)
        .uid(script.ids.uid);
    let mut cmd = tokio::process::Command::from(cmd);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::CannotExecute(e.to_string()),
    };
    let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) else {
        // Only possible once the child has been reaped.
        return match child.wait().await {
            Ok(st) => from_status(st),
            Err(e) => Outcome::WaitFailed(e.to_string()),
        };
    };
    let pgid = Pid::from_raw(pid);
    let mut guard = GroupGuard { pgid, armed: true };
    let outcome = match tokio::time::timeout(script.timeout, child.wait()).await {
        Ok(Ok(status)) => from_status(status),
        Ok(Err(e)) => Outcome::WaitFailed(e.to_string()),
        Err(_) => {
            debug!(script = %script.name, timeout = ?script.timeout, "script timed out");
            terminate(&script.name, &mut child, pgid).await;
            Outcome::TimedOut
        }
    };
    guard.armed = false;
    outcome
}

// ---------------------------------------------------------------------------
// Periodic runner

/// One finished run, as given to the runner's callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptReport<'a> {
    /// The `vrrp_script` name.
    pub name: &'a str,
    pub outcome: &'a Outcome,
    /// This run succeeded (exit 0).
    pub success: bool,
    /// The script's state after this run (rise/fall applied).
    pub ok: bool,
    /// `Some(ok)` when this run flipped the state.
    pub changed: Option<bool>,
    /// This is the script's first result (the state is known from now on,
    /// even if it did not flip: the counter starts "not OK").
    pub first: bool,
}

/// Run `script` for ever: at once, then every `interval`, never two runs at
/// a time. A run still going when the next is due makes that one (and any
/// further ones that fall due) skipped. Each result goes through rise/fall
/// and then to `report`, synchronously, so the callback may borrow the
/// engine (`Rc<RefCell<_>>`) from a `spawn_local` task: no borrow is held
/// across an await. Stop it by aborting the task; a script still running
/// then has its process group killed.
pub async fn run_loop<F>(script: ResolvedScript, mut report: F)
where
    F: FnMut(&ScriptReport<'_>),
{
    let mut counter = script.rise_fall();
    let mut last_failure: Option<String> = None;
    let mut next = Instant::now();
    loop {
        tokio::time::sleep_until(next).await;
        let outcome = run_once(&script).await;
        let success = outcome.success();
        let first = !counter.has_result();
        let changed = counter.record(success);
        log_outcome(&script.name, &outcome, &mut last_failure);
        match changed {
            Some(true) => info!("VRRP_Script({}) succeeded", script.name),
            Some(false) => info!("VRRP_Script({}) failed ({outcome})", script.name),
            None => {}
        }
        report(&ScriptReport {
            name: &script.name,
            outcome: &outcome,
            success,
            ok: counter.is_ok(),
            changed,
            first,
        });
        next = next_due(next, script.interval, Instant::now(), &script.name);
    }
}

/// Warn about a run that could not even start, once per distinct reason;
/// everything else at debug.
fn log_outcome(name: &str, outcome: &Outcome, last_failure: &mut Option<String>) {
    match outcome {
        Outcome::CannotExecute(why) | Outcome::WaitFailed(why) => {
            if last_failure.as_deref() != Some(why.as_str()) {
                warn!("VRRP_Script({name}) {outcome}; counted as failed");
                *last_failure = Some(why.clone());
            }
        }
        _ => {
            *last_failure = None;
            debug!(script = name, "run {outcome}");
        }
    }
}

/// The next run time: one interval after the previous due time, moved on by
/// whole intervals past any due times that passed while the run was going.
fn next_due(prev: Instant, interval: Duration, now: Instant, name: &str) -> Instant {
    let interval = interval.max(Duration::from_millis(1));
    let next = prev + interval;
    if next >= now {
        return next;
    }
    let behind = (now - next).as_nanos() / interval.as_nanos();
    let skipped = u32::try_from(behind + 1).unwrap_or(u32::MAX);
    debug!(
        script = name,
        skipped, "previous run still going when the next was due; run skipped"
    );
    next + interval.saturating_mul(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::RefCell;
    use std::os::unix::fs::PermissionsExt;
    use std::rc::Rc;

    // ----- rise/fall

    /// Feed a sequence and return the flips.
    fn feed(rf: &mut RiseFall, seq: &str) -> Vec<Option<bool>> {
        seq.chars().map(|c| rf.record(c == '+')).collect()
    }

    #[test]
    fn rise_fall_start_states() {
        let rf = RiseFall::new(3, 2, false);
        assert_eq!(rf.result(), 2);
        assert!(!rf.is_ok());
        assert!(!rf.has_result());
        let rf = RiseFall::new(3, 2, true);
        assert_eq!(rf.result(), 0);
        assert!(!rf.is_ok());
        // rise/fall 0 are treated as 1.
        let rf = RiseFall::new(0, 0, false);
        assert_eq!(rf.result(), 0);
    }

    #[test]
    fn rise_fall_table() {
        /// (rise, fall, init_fail, sequence, flips, final ok, final result)
        type Case = (
            u32,
            u32,
            bool,
            &'static str,
            &'static [Option<bool>],
            bool,
            u64,
        );
        let cases: &[Case] = &[
            // Default start: one success makes it OK.
            (1, 1, false, "+", &[Some(true)], true, 1),
            (3, 2, false, "+", &[Some(true)], true, 4),
            // Default start: first failure -> failed (no flip: it was not OK).
            (3, 2, false, "-", &[None], false, 0),
            // ... and then it needs `rise` successes.
            (
                3,
                2,
                false,
                "-+++",
                &[None, None, None, Some(true)],
                true,
                4,
            ),
            // init_fail: rise successes.
            (3, 2, true, "++", &[None, None], false, 2),
            (3, 2, true, "+++", &[None, None, Some(true)], true, 4),
            // OK: fall consecutive failures.
            (1, 3, false, "+--", &[Some(true), None, None], true, 1),
            (
                1,
                3,
                false,
                "+---",
                &[Some(true), None, None, Some(false)],
                false,
                0,
            ),
            // A success in between restarts the fall count.
            (
                1,
                3,
                false,
                "+--+--",
                &[Some(true), None, None, None, None, None],
                true,
                1,
            ),
            // A failure in between restarts the rise count.
            (
                3,
                1,
                true,
                "++-++",
                &[None, None, None, None, None],
                false,
                2,
            ),
            // rise 1 fall 1: every result decides.
            (
                1,
                1,
                false,
                "+-+-",
                &[Some(true), Some(false), Some(true), Some(false)],
                false,
                0,
            ),
            // Repeated successes keep it at the top.
            (
                2,
                2,
                false,
                "++++",
                &[Some(true), None, None, None],
                true,
                3,
            ),
        ];
        for &(rise, fall, init_fail, seq, flips, ok, result) in cases {
            let mut rf = RiseFall::new(rise, fall, init_fail);
            let got = feed(&mut rf, seq);
            assert_eq!(
                got, flips,
                "rise {rise} fall {fall} init_fail {init_fail} {seq}"
            );
            assert_eq!(rf.is_ok(), ok, "{seq}");
            assert_eq!(rf.result(), result, "{seq}");
            assert!(rf.has_result());
        }
    }

    #[test]
    fn rise_fall_large_values_do_not_overflow() {
        let max = i32::MAX as u32;
        let mut rf = RiseFall::new(max, max, false);
        assert_eq!(rf.record(true), Some(true));
        assert_eq!(rf.result(), 2 * u64::from(max) - 1);
        assert_eq!(rf.record(false), None);
        assert!(rf.is_ok());
    }

    proptest! {
        #[test]
        fn rise_fall_properties(
            rise in 1u32..6,
            fall in 1u32..6,
            init_fail: bool,
            prefix in proptest::collection::vec(any::<bool>(), 0..30),
        ) {
            let mut rf = RiseFall::new(rise, fall, init_fail);
            let top = u64::from(rise + fall - 1);
            for &s in &prefix {
                let before = rf.is_ok();
                let flip = rf.record(s);
                // Range invariant, and a flip is reported exactly when the
                // state changes, in the direction of the result.
                prop_assert!(rf.result() <= top);
                prop_assert_eq!(flip.is_some(), before != rf.is_ok());
                if let Some(now) = flip {
                    prop_assert_eq!(now, s);
                }
                // A result never moves the state against itself.
                if s { prop_assert!(rf.is_ok() || !before); } else { prop_assert!(!rf.is_ok() || before); }
            }
            // `fall` failures from any state: failed.
            let mut f = rf.clone();
            for _ in 0..fall { f.record(false); }
            prop_assert!(!f.is_ok());
            // Then `rise` successes: OK, and not one earlier.
            for i in 0..rise {
                prop_assert!(!f.is_ok());
                let flip = f.record(true);
                prop_assert_eq!(flip.is_some(), i + 1 == rise);
            }
            prop_assert!(f.is_ok());
            // From OK, fall-1 failures keep it OK.
            for _ in 0..fall - 1 { prop_assert_eq!(f.record(false), None); }
            prop_assert!(f.is_ok());
            // `rise` successes from any state: OK.
            let mut r = rf.clone();
            for _ in 0..rise { r.record(true); }
            prop_assert!(r.is_ok());
        }
    }

    // ----- helpers for file-system tests

    /// A fresh directory under /tmp, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let d = PathBuf::from("/tmp")
                .join(format!("keepalived-rs-script-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).expect("create temp dir");
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))
                .expect("chmod temp dir");
            TempDir(d)
        }
        fn path(&self) -> &Path {
            &self.0
        }
        fn file(&self, name: &str, body: &str, mode: u32) -> PathBuf {
            let p = self.0.join(name);
            std::fs::write(&p, body).expect("write script");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
            p
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const ROOT: RunIds = RunIds { uid: 0, gid: 0 };

    fn resolved(program: &Path, argv: &[&str], timeout: Duration) -> ResolvedScript {
        ResolvedScript {
            name: "test".into(),
            program: program.to_path_buf(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            ids: ROOT,
            interval: Duration::from_secs(1),
            timeout,
            rise: 1,
            fall: 1,
            init_fail: false,
            insecure: None,
        }
    }

    fn vrrp_script(argv: &[&str], user: Option<&str>) -> VrrpScript {
        VrrpScript {
            name: "chk".into(),
            script: keepalived_config::Script {
                argv: argv.iter().map(|s| s.to_string()).collect(),
                raw: argv.join(" "),
                user: None,
                group: None,
                location: Default::default(),
            },
            interval_us: 2_000_000,
            timeout_us: 500_000,
            weight: 0,
            weight_reverse: false,
            rise: 2,
            fall: 3,
            user: user.map(|u| RunAs {
                user: u.into(),
                group: None,
                location: Default::default(),
            }),
            init_fail: true,
            location: Default::default(),
        }
    }

    /// Dead = no /proc entry, or a zombie waiting for a parent that is not
    /// ours to reap (an orphan's new parent).
    fn is_dead(pid: i32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state == "Z" || state == "X"),
        }
    }

    fn read_pid(p: &Path) -> i32 {
        std::fs::read_to_string(p)
            .expect("script wrote its pid")
            .trim()
            .parse()
            .expect("pid")
    }

    // ----- resolution

    #[test]
    fn resolve_absolute_and_path_search() {
        let d = TempDir::new("resolve");
        let s = d.file("check.sh", "#!/bin/sh\nexit 0\n", 0o755);
        let (p, warn) = resolve_program(s.to_str().expect("utf8"), ROOT, true, None)
            .expect("safe script resolves");
        assert_eq!(p, s);
        assert!(warn.is_none());
        // Bare name found through the given PATH (first executable entry).
        let other = TempDir::new("resolve-other");
        other.file("check.sh", "#!/bin/sh\n", 0o644); // not executable: skipped
        let path_var = format!("{}:{}", other.path().display(), d.path().display());
        let (p, _) = resolve_program("check.sh", ROOT, true, Some(OsStr::new(&path_var)))
            .expect("found in PATH");
        assert_eq!(p, s);
        // Not in PATH.
        assert_eq!(
            resolve_program("no-such-check", ROOT, true, Some(OsStr::new(&path_var))),
            Err(ScriptRefusal::NotFound {
                program: "no-such-check".into(),
                path_searched: true
            })
        );
        // Symlinks are resolved to the real file.
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&s, &link).expect("symlink");
        let (p, _) = resolve_program(link.to_str().expect("utf8"), ROOT, true, None)
            .expect("symlink resolves");
        assert_eq!(p, s);
    }

    #[test]
    fn resolve_refuses_missing_directory_and_non_executable() {
        let d = TempDir::new("refuse");
        let missing = d.path().join("missing.sh");
        assert!(matches!(
            resolve_program(missing.to_str().expect("utf8"), ROOT, false, None),
            Err(ScriptRefusal::NotFound { .. })
        ));
        assert!(matches!(
            resolve_program(d.path().to_str().expect("utf8"), ROOT, false, None),
            Err(ScriptRefusal::NotAFile { .. })
        ));
        let s = d.file("noexec.sh", "#!/bin/sh\n", 0o644);
        let e = resolve_program(s.to_str().expect("utf8"), ROOT, false, None)
            .expect_err("not executable");
        assert!(matches!(e, ScriptRefusal::NotExecutable { .. }), "{e}");
        assert!(e.to_string().contains("not executable"), "{e}");
        // Executable by its owner only: fine for the owner, not for others.
        let s = d.file("owner.sh", "#!/bin/sh\n", 0o700);
        std::os::unix::fs::chown(&s, Some(4242), Some(4242)).expect("chown");
        let owner = RunIds {
            uid: 4242,
            gid: 4242,
        };
        let other = RunIds {
            uid: 4243,
            gid: 4243,
        };
        assert!(resolve_program(s.to_str().expect("utf8"), owner, true, None).is_ok());
        assert!(matches!(
            resolve_program(s.to_str().expect("utf8"), other, true, None),
            Err(ScriptRefusal::NotExecutable { uid: 4243, .. })
        ));
    }

    #[test]
    fn resolve_unsafe_paths_for_root() {
        let d = TempDir::new("unsafe");
        let sub = d.path().join("open");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let s = sub.join("check.sh");
        std::fs::write(&s, "#!/bin/sh\nexit 0\n").expect("write");
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let arg = s.to_str().expect("utf8");

        // enable_script_security: refused, naming the directory and why.
        let e = resolve_program(arg, ROOT, true, None).expect_err("world-writable dir");
        assert_eq!(
            e,
            ScriptRefusal::Unsafe {
                script: s.clone(),
                component: sub.clone(),
                reason: UnsafeReason::GroupAndOtherWritable,
                mode: 0o777,
            }
        );
        let msg = e.to_string();
        assert!(msg.contains(sub.to_str().expect("utf8")), "{msg}");
        assert!(msg.contains("writable by its group and by others"), "{msg}");
        // Without it: allowed, with the same warning.
        let (p, warn) = resolve_program(arg, ROOT, false, None).expect("allowed");
        assert_eq!(p, s);
        assert_eq!(warn, Some(e));

        // /tmp itself is world-writable but sticky: allowed.
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(
            resolve_program(arg, ROOT, true, None).map(|r| r.1),
            Ok(None)
        );

        // The script itself group-writable.
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o775)).expect("chmod");
        assert!(matches!(
            resolve_program(arg, ROOT, true, None),
            Err(ScriptRefusal::Unsafe { reason: UnsafeReason::GroupWritable, ref component, .. })
                if *component == s
        ));
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).expect("chmod");

        // A component not owned by root.
        std::os::unix::fs::chown(&sub, Some(4242), None).expect("chown");
        let e = resolve_program(arg, ROOT, true, None).expect_err("not root-owned");
        assert!(
            matches!(e, ScriptRefusal::Unsafe { reason: UnsafeReason::NotOwnedByRoot { uid: 4242 }, ref component, .. } if *component == sub),
            "{e}"
        );
        assert!(e.to_string().contains("owned by uid 4242"), "{e}");
        // ... does not matter for a script that does not run as root.
        let user = RunIds {
            uid: 4242,
            gid: 4242,
        };
        assert_eq!(
            resolve_program(arg, user, true, None).map(|r| r.1),
            Ok(None)
        );
        // ... unless the file is setuid root.
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o4755)).expect("chmod");
        assert!(matches!(
            resolve_program(arg, user, true, None),
            Err(ScriptRefusal::Unsafe { .. })
        ));
    }

    #[test]
    fn resolve_script_users_and_timings() {
        let d = TempDir::new("vrrp-script");
        let s = d.file("check.sh", "#!/bin/sh\nexit 0\n", 0o755);
        let arg = s.to_str().expect("utf8");
        // Explicit user: root by name.
        let r =
            resolve_script(&vrrp_script(&[arg, "x"], Some("root")), None, true).expect("resolves");
        assert_eq!(r.ids, ROOT);
        assert_eq!(r.program, s);
        assert_eq!(r.argv, vec![arg.to_string(), "x".to_string()]);
        assert_eq!(r.interval, Duration::from_secs(2));
        assert_eq!(r.timeout, Duration::from_millis(500));
        assert_eq!(r.rise_fall(), RiseFall::new(2, 3, true));
        // Unknown user.
        assert!(matches!(
            resolve_script(&vrrp_script(&[arg], Some("no-such-user-xyz")), None, true),
            Err(ScriptRefusal::UnknownUser { .. })
        ));
        // The global script_user is used when the script has none.
        let global = RunAs {
            user: "0".into(),
            group: None,
            location: Default::default(),
        };
        assert_eq!(
            resolve_script(&vrrp_script(&[arg], None), Some(&global), true).map(|r| r.ids),
            Ok(ROOT)
        );
        // No user anywhere: keepalived_script if it exists; else the daemon's
        // ids, but not with enable_script_security.
        let has_default = resolve_ids(Some(DEFAULT_SCRIPT_USER), None).is_ok();
        if !has_default {
            assert_eq!(
                script_ids(None, None, true),
                Err(ScriptRefusal::NoDefaultUser)
            );
            assert_eq!(script_ids(None, None, false), Ok(ROOT));
        }
        // Empty command.
        assert_eq!(
            resolve_script(&vrrp_script(&[], Some("root")), None, true),
            Err(ScriptRefusal::EmptyCommand)
        );
    }

    // ----- running

    #[tokio::test]
    async fn exit_status_decides() {
        let d = TempDir::new("exit");
        let ok = d.file("ok.sh", "#!/bin/sh\nexit 0\n", 0o755);
        let bad = d.file("bad.sh", "#!/bin/sh\nexit 1\n", 0o755);
        let t = Duration::from_secs(5);
        let o = run_once(&resolved(&ok, &["ok.sh"], t)).await;
        assert_eq!(o, Outcome::Exited(0));
        assert!(o.success());
        let o = run_once(&resolved(&bad, &["bad.sh"], t)).await;
        assert_eq!(o, Outcome::Exited(1));
        assert!(!o.success());
        // Arguments are passed without a shell; the environment is cleaned
        // (cargo runs tests with LD_LIBRARY_PATH set, so that one is a real
        // check whenever it is in our environment).
        let args_out = d.path().join("args.txt");
        let env_out = d.path().join("env.txt");
        let args = d.file(
            "args.sh",
            &format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\ntr '\\0' '\\n' < /proc/$$/environ > {}\n",
                args_out.display(),
                env_out.display()
            ),
            0o755,
        );
        let o = run_once(&resolved(&args, &["args.sh", "a b", "$HOME", "*"], t)).await;
        assert_eq!(o, Outcome::Exited(0));
        assert_eq!(
            std::fs::read_to_string(&args_out).expect("args written"),
            "a b\n$HOME\n*\n"
        );
        let env = std::fs::read_to_string(&env_out).expect("env written");
        assert!(env.lines().any(|l| l.starts_with("PATH=")), "{env}");
        for var in ["IFS=", "LD_PRELOAD=", "LD_LIBRARY_PATH="] {
            assert!(!env.lines().any(|l| l.starts_with(var)), "{var} in {env}");
        }
        // Killed by a signal it sent itself: failure.
        let sig = d.file("sig.sh", "#!/bin/sh\nkill -USR1 $$\nsleep 5\n", 0o755);
        let o = run_once(&resolved(&sig, &["sig.sh"], t)).await;
        assert_eq!(o, Outcome::Signalled(libc::SIGUSR1));
        assert!(!o.success());
    }

    #[tokio::test]
    async fn cannot_execute_is_failure() {
        let d = TempDir::new("noexec");
        let t = Duration::from_secs(5);
        // No shebang: glibc's execvp would run it with /bin/sh and it would
        // succeed; we refuse it.
        let plain = d.file("plain.sh", "exit 0\n", 0o755);
        let o = run_once(&resolved(&plain, &["plain.sh"], t)).await;
        assert!(
            matches!(&o, Outcome::CannotExecute(m) if m.contains("no #! line")),
            "{o}"
        );
        assert!(!o.success());
        // Empty file: same.
        let empty = d.file("empty", "", 0o755);
        assert!(matches!(
            run_once(&resolved(&empty, &["empty"], t)).await,
            Outcome::CannotExecute(_)
        ));
        // Executable bit removed after resolution.
        let s = d.file("later.sh", "#!/bin/sh\nexit 0\n", 0o644);
        let o = run_once(&resolved(&s, &["later.sh"], t)).await;
        assert!(matches!(&o, Outcome::CannotExecute(_)), "{o}");
        // Missing at run time.
        let gone = d.path().join("gone.sh");
        let o = run_once(&resolved(&gone, &["gone.sh"], t)).await;
        assert!(matches!(&o, Outcome::CannotExecute(_)), "{o}");
        // A missing interpreter.
        let interp = d.file("interp.sh", "#!/nonexistent/shell\nexit 0\n", 0o755);
        let o = run_once(&resolved(&interp, &["interp.sh"], t)).await;
        assert!(matches!(&o, Outcome::CannotExecute(_)), "{o}");
        // Runs as the script user: uid 4242 cannot execute a root-only file.
        let root_only = d.file("rootonly.sh", "#!/bin/sh\nexit 0\n", 0o700);
        let mut r = resolved(&root_only, &["rootonly.sh"], t);
        r.ids = RunIds {
            uid: 4242,
            gid: 4242,
        };
        let o = run_once(&r).await;
        assert!(matches!(&o, Outcome::CannotExecute(_)), "{o}");
    }

    #[tokio::test]
    async fn runs_as_the_script_user() {
        let d = TempDir::new("user");
        let out = d.path().join("ids");
        let s = d.file(
            "ids.sh",
            &format!(
                "#!/bin/sh\necho \"$(id -u) $(id -g)\" > {}\n",
                out.display()
            ),
            0o755,
        );
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod dir");
        let mut r = resolved(&s, &["ids.sh"], Duration::from_secs(5));
        r.ids = RunIds {
            uid: 4242,
            gid: 4343,
        };
        assert_eq!(run_once(&r).await, Outcome::Exited(0));
        assert_eq!(
            std::fs::read_to_string(&out).expect("ids written").trim(),
            "4242 4343"
        );
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        let d = TempDir::new("timeout");
        let gc_pid = d.path().join("gc.pid");
        let sh_pid = d.path().join("sh.pid");
        let s = d.file(
            "slow.sh",
            &format!(
                "#!/bin/sh\nsleep 30 &\necho $! > {}\necho $$ > {}\nsleep 30\n",
                gc_pid.display(),
                sh_pid.display()
            ),
            0o755,
        );
        let timeout = Duration::from_millis(1000);
        let start = std::time::Instant::now();
        // Halfway through the SIGKILL delay, SIGTERM to the group must
        // already have killed both (not SIGKILL later).
        let check = async {
            tokio::time::sleep(timeout + KILL_DELAY / 2).await;
            let (sh, gc) = (read_pid(&sh_pid), read_pid(&gc_pid));
            (sh, gc, is_dead(sh), is_dead(gc))
        };
        let r = resolved(&s, &["slow.sh"], timeout);
        let (o, (sh, gc, sh_dead, gc_dead)) = tokio::join!(run_once(&r), check);
        let took = start.elapsed();
        assert_eq!(o, Outcome::TimedOut);
        assert!(!o.success());
        assert!(took >= timeout, "{took:?}");
        assert!(sh_dead, "script {sh} survived SIGTERM");
        assert!(gc_dead, "grandchild {gc} survived SIGTERM");
        assert!(is_dead(sh) && is_dead(gc));
        // The leader was reaped by us: not even a zombie.
        assert!(!Path::new(&format!("/proc/{sh}")).exists());
        assert!(
            took < timeout + KILL_DELAY + Duration::from_secs(2),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn sigterm_ignored_then_sigkill() {
        let d = TempDir::new("term");
        let sh_pid = d.path().join("sh.pid");
        let s = d.file(
            "stubborn.sh",
            &format!(
                "#!/bin/sh\ntrap '' TERM\necho $$ > {}\nsleep 30\nexit 0\n",
                sh_pid.display()
            ),
            0o755,
        );
        let timeout = Duration::from_millis(500);
        let start = std::time::Instant::now();
        let o = run_once(&resolved(&s, &["stubborn.sh"], timeout)).await;
        let took = start.elapsed();
        assert_eq!(o, Outcome::TimedOut);
        assert!(
            took >= timeout + KILL_DELAY,
            "SIGKILL came too early: {took:?}"
        );
        assert!(
            took < timeout + KILL_DELAY + Duration::from_secs(2),
            "SIGKILL came too late: {took:?}"
        );
        let sh = read_pid(&sh_pid);
        assert!(
            !Path::new(&format!("/proc/{sh}")).exists(),
            "{sh} not reaped"
        );
    }

    #[tokio::test]
    async fn dropped_run_kills_the_group() {
        let d = TempDir::new("drop");
        let sh_pid = d.path().join("sh.pid");
        let s = d.file(
            "long.sh",
            &format!("#!/bin/sh\necho $$ > {}\nsleep 30\n", sh_pid.display()),
            0o755,
        );
        let r = resolved(&s, &["long.sh"], Duration::from_secs(60));
        let res = tokio::time::timeout(Duration::from_millis(700), run_once(&r)).await;
        assert!(res.is_err(), "a 30 s script finished early");
        let sh = read_pid(&sh_pid);
        let mut waited = 0;
        while !is_dead(sh) && waited < 50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += 1;
        }
        assert!(is_dead(sh), "abandoned script {sh} still alive");
    }

    // ----- runner

    #[tokio::test]
    async fn runner_reports_results_and_flips() {
        let d = TempDir::new("runner");
        let flag = d.path().join("fail");
        let s = d.file(
            "flag.sh",
            &format!("#!/bin/sh\n[ -e {} ] && exit 1\nexit 0\n", flag.display()),
            0o755,
        );
        let mut r = resolved(&s, &["flag.sh"], Duration::from_secs(5));
        r.interval = Duration::from_millis(100);
        r.rise = 2;
        r.fall = 2;
        type Row = (bool, bool, Option<bool>, bool);
        let seen: Rc<RefCell<Vec<Row>>> = Rc::default();
        let sink = seen.clone();
        let flag2 = flag.clone();
        let task = run_loop(r, move |rep: &ScriptReport<'_>| {
            assert_eq!(rep.name, "test");
            let mut v = sink.borrow_mut();
            v.push((rep.success, rep.ok, rep.changed, rep.first));
            // Fail from the 4th run on.
            if v.len() == 3 {
                std::fs::write(&flag2, "").expect("flag");
            }
        });
        let _ = tokio::time::timeout(Duration::from_millis(1050), task).await;
        let v = seen.borrow();
        assert!(v.len() >= 6, "{v:?}");
        // rise 2 from rise-1: the first success flips to OK.
        assert_eq!(v[0], (true, true, Some(true), true));
        assert_eq!(v[1], (true, true, None, false));
        assert_eq!(v[2], (true, true, None, false));
        // fall 2: the second failure flips.
        assert_eq!(v[3], (false, true, None, false));
        assert_eq!(v[4], (false, false, Some(false), false));
        assert!(v[5..].iter().all(|x| *x == (false, false, None, false)));
        assert!(v.len() <= 12, "ran more often than every interval: {v:?}");
    }

    #[tokio::test]
    async fn runner_never_overlaps_and_skips() {
        let d = TempDir::new("overlap");
        let lock = d.path().join("lock");
        // A run takes ~250 ms with a 100 ms interval; an overlapping run
        // would fail to create the lock directory.
        let s = d.file(
            "slow.sh",
            &format!(
                "#!/bin/sh\nmkdir {l} || exit 3\nsleep 0.25\nrmdir {l}\nexit 0\n",
                l = lock.display()
            ),
            0o755,
        );
        let mut r = resolved(&s, &["slow.sh"], Duration::from_secs(5));
        r.interval = Duration::from_millis(100);
        let runs: Rc<RefCell<Vec<Outcome>>> = Rc::default();
        let sink = runs.clone();
        let task = run_loop(r, move |rep: &ScriptReport<'_>| {
            sink.borrow_mut().push(rep.outcome.clone())
        });
        let _ = tokio::time::timeout(Duration::from_millis(1500), task).await;
        let v = runs.borrow();
        assert!(v.iter().all(Outcome::success), "{v:?}");
        // ~1.5 s / 300 ms (250 ms run, next 100 ms boundary): 4-5 runs, not 15.
        assert!((3..=6).contains(&v.len()), "{} runs: {v:?}", v.len());
    }

    #[test]
    fn next_due_skips_whole_intervals() {
        let t0 = Instant::now();
        let i = Duration::from_millis(100);
        // On time: one interval later.
        assert_eq!(next_due(t0, i, t0 + Duration::from_millis(50), "x"), t0 + i);
        assert_eq!(next_due(t0, i, t0 + i, "x"), t0 + i);
        // The run overran by 250 ms: the due times at 100 and 200 are skipped.
        assert_eq!(
            next_due(t0, i, t0 + Duration::from_millis(250), "x"),
            t0 + Duration::from_millis(300)
        );
    }
}
