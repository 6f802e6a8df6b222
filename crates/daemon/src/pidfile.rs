//! The pid file named by `-p` (default /run/keepalived.pid, as keepalived's, so the
//! same unit files work). It is the only file the daemon writes, so two daemons in
//! different namespaces never collide as long as their `-p` differ.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    #[error("daemon is already running (pid {pid} in {path})")]
    AlreadyRunning { pid: i32, path: PathBuf },
    #[error("cannot write pid file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A pid file that is removed again when dropped.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    pub fn create(path: &Path) -> Result<Self, PidFileError> {
        if let Some(pid) = read_pid(path) {
            let me = std::process::id() as i32;
            if pid != me && process_alive(pid) {
                return Err(PidFileError::AlreadyRunning {
                    pid,
                    path: path.to_path_buf(),
                });
            }
        }
        let write = || -> io::Result<()> {
            if let Some(dir) = path.parent() {
                if !dir.as_os_str().is_empty() {
                    fs::create_dir_all(dir)?;
                }
            }
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o644)
                .open(path)?;
            writeln!(f, "{}", std::process::id())
        };
        write().map_err(|source| PidFileError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(PidFile {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn read_pid(path: &Path) -> Option<i32> {
    let text = fs::read_to_string(path).ok()?;
    text.trim().parse::<i32>().ok().filter(|p| *p > 0)
}

fn process_alive(pid: i32) -> bool {
    use nix::sys::signal::kill;
    use nix::unistd::Pid;
    match kill(Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_pid_file_is_replaced_and_removed_on_drop() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("krs-pid-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        let path = dir.join("k.pid");
        // A pid that cannot be alive (above pid_max).
        fs::write(&path, "2147483647\n")?;
        {
            let _pf = PidFile::create(&path)?;
            let text = fs::read_to_string(&path)?;
            assert_eq!(text.trim(), std::process::id().to_string());
        }
        assert!(!path.exists());
        fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn live_pid_file_refuses() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("krs-pid2-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        let path = dir.join("k.pid");
        // pid 1 is always alive.
        fs::write(&path, "1\n")?;
        assert!(matches!(
            PidFile::create(&path),
            Err(PidFileError::AlreadyRunning { pid: 1, .. })
        ));
        fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
