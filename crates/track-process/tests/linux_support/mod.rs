//! Helpers for the Linux event-source tests: uniquely named copies of small
//! binaries, started by the test and killed by PID (never by name).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use track_process::event::{Observation, Pid, ProcessInfo};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A per-test temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("tp-linux-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A name unique to this test process: "tp" + tag + our pid (<= 15 bytes
/// for tags of up to 4 characters).
pub fn unique_name(tag: &str) -> String {
    let name = format!("tp{tag}{}", std::process::id());
    assert!(name.len() <= 15, "{name} too long for comm");
    name
}

/// Find a system binary such as `sleep` or `true`.
pub fn system_binary(name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    for dir in ["/usr/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return Ok(p);
        }
    }
    Err(format!("{name} not found").into())
}

/// Copy `binary` into `dir` under `name`.
pub fn copy_binary(
    binary: &str,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dest = dir.join(name);
    std::fs::copy(system_binary(binary)?, &dest)?;
    Ok(dest)
}

/// A child that is killed (by its PID) and reaped on drop.
pub struct Proc {
    pub child: Child,
}

impl Proc {
    /// Spawn with stdin piped (so `read` blocks) and stdout discarded.
    /// Retries `ETXTBSY` a bounded number of times: a binary copied a moment
    /// ago can still be open for writing in a child another test thread is
    /// forking concurrently.
    pub fn spawn(cmd: &mut Command) -> std::io::Result<Self> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::null());
        let mut last = None;
        for _ in 0..50 {
            match cmd.spawn() {
                Ok(child) => return Ok(Proc { child }),
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                    last = Some(e);
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("spawn retries exhausted")))
    }

    pub fn pid(&self) -> Pid {
        self.child.id()
    }

    /// Kill (SIGKILL to this PID) and reap.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Call `step` every 10 ms until it returns `true` or `timeout` passes
/// (bounded in time and in iterations).
pub fn wait_until(
    timeout: Duration,
    mut step: impl FnMut() -> Result<bool, Box<dyn std::error::Error>>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let max_iters = timeout.as_millis() / 10 + 2;
    for _ in 0..max_iters {
        if step()? {
            return Ok(true);
        }
        if start.elapsed() >= timeout {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(false)
}

/// A minimal consumer model: the set of live processes implied by a stream of
/// observations (idempotent, as the tracker must be).
#[derive(Default, Debug)]
pub struct Model {
    pub procs: std::collections::BTreeMap<Pid, ProcessInfo>,
}

impl Model {
    pub fn apply(&mut self, obs: &Observation) {
        match obs {
            Observation::Appeared { info, .. } => {
                self.procs.insert(info.pid, info.clone());
            }
            Observation::Exited { pid } => {
                self.procs.remove(pid);
            }
            Observation::Rescan { processes } => {
                self.procs = processes.iter().map(|p| (p.pid, p.clone())).collect();
            }
        }
    }

    pub fn count_comm(&self, comm: &str) -> usize {
        self.procs.values().filter(|p| p.comm == comm).count()
    }
}

/// Look `bin` up in PATH.
pub fn which(bin: &str) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let path = std::env::var_os("PATH").ok_or("no PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{bin} not in PATH").into())
}
