//! The pid files: `-p` (default /run/keepalived.pid) and `-r`, the VRRP
//! process's (default /run/vrrp.pid), at keepalived's paths so the same unit
//! files and scripts work. keepalived-rs is one process, so both hold the
//! same pid: tools that signal keepalived's VRRP child through vrrp.pid
//! reach us too. `-p` without `-r` writes no VRRP file (see [`PidPaths::vrrp`]).
//!
//! With `instance NAME`, `net_namespace NS` or `use_pid_dir`, keepalived
//! keeps them under /run/keepalived/ (observed with 2.2.7: `instance foo`
//! gives /run/keepalived/keepalived_foo.pid and vrrp_foo.pid; `net_namespace
//! kaorc` gives /run/keepalived/kaorc/keepalived.pid and vrrp.pid), and
//! removes the directories it made on exit.
//!
//! A pid file naming a live process (any process, as keepalived checks)
//! stops start-up: "daemon is already running", exit 0 like keepalived.

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

/// A pid file that is removed again when dropped (with the directories
/// created for it, when empty).
pub struct PidFile {
    path: PathBuf,
    created_dirs: Vec<PathBuf>,
}

/// The pid files of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidPaths {
    pub main: PathBuf,
    /// `None` when `-p` is given without `-r`: several keepalived-rs in
    /// different namespaces, told apart by `-p` alone, must not all claim
    /// the one default /run/vrrp.pid (keepalived has the same clash, but
    /// its VRRP child needs a file; ours is only a convenience).
    pub vrrp: Option<PathBuf>,
}

/// keepalived's pid directory.
pub const RUN_DIR: &str = "/run";

impl PidPaths {
    /// `-p`/`-r` if given, else keepalived's defaults under `run_dir`
    /// (/run) for the namespace (`-s` or `net_namespace`), `instance` and
    /// `use_pid_dir`; no VRRP file for `-p` without `-r`.
    pub fn resolve(
        pid: Option<&Path>,
        vrrp_pid: Option<&Path>,
        namespace: Option<&str>,
        instance: Option<&str>,
        use_pid_dir: bool,
        run_dir: &Path,
    ) -> PidPaths {
        let mut dir = run_dir.to_path_buf();
        if namespace.is_some() || instance.is_some() || use_pid_dir {
            dir.push("keepalived");
        }
        if let Some(ns) = namespace {
            dir.push(ns);
        }
        let name = |base: &str| match instance {
            Some(i) => dir.join(format!("{base}_{i}.pid")),
            None => dir.join(format!("{base}.pid")),
        };
        PidPaths {
            main: pid.map_or_else(|| name("keepalived"), Path::to_path_buf),
            vrrp: match (pid, vrrp_pid) {
                (_, Some(v)) => Some(v.to_path_buf()),
                (Some(_), None) => None,
                (None, None) => Some(name("vrrp")),
            },
        }
    }

    /// Refuse early (before daemonising, while stderr still reaches the
    /// caller) when either file names a live process.
    pub fn check(&self) -> Result<(), PidFileError> {
        for path in std::iter::once(&self.main).chain(&self.vrrp) {
            if let Some(pid) = live_pid(path) {
                return Err(PidFileError::AlreadyRunning {
                    pid,
                    path: path.clone(),
                });
            }
        }
        Ok(())
    }

    /// Create both files (main first); on any failure nothing is left.
    pub fn create(&self) -> Result<(PidFile, Option<PidFile>), PidFileError> {
        let main = PidFile::create(&self.main)?;
        let vrrp = self.vrrp.as_deref().map(PidFile::create).transpose()?;
        Ok((main, vrrp))
    }
}

impl PidFile {
    pub fn create(path: &Path) -> Result<Self, PidFileError> {
        if let Some(pid) = live_pid(path) {
            return Err(PidFileError::AlreadyRunning {
                pid,
                path: path.to_path_buf(),
            });
        }
        let mut created_dirs = Vec::new();
        let mut write = || -> io::Result<()> {
            if let Some(dir) = path.parent() {
                // Remember which directories we make, innermost first.
                let mut d = Some(dir);
                while let Some(p) = d {
                    if p.as_os_str().is_empty() || p.exists() {
                        break;
                    }
                    created_dirs.push(p.to_path_buf());
                    d = p.parent();
                }
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
            created_dirs,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Only our own file: a second daemon that refused to start must
        // not remove the first one's.
        if read_pid(&self.path) == Some(std::process::id() as i32) {
            let _ = fs::remove_file(&self.path);
        }
        for d in &self.created_dirs {
            // Fails (and stops) when another file is still there.
            if fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
}

/// The pid in `path` if it is a live process other than us.
fn live_pid(path: &Path) -> Option<i32> {
    let pid = read_pid(path)?;
    (pid != std::process::id() as i32 && process_alive(pid)).then_some(pid)
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
    fn default_paths_follow_keepalived() {
        let run = Path::new("/run");
        let p = |ns, inst, dir| PidPaths::resolve(None, None, ns, inst, dir, run);
        assert_eq!(
            p(None, None, false),
            PidPaths {
                main: "/run/keepalived.pid".into(),
                vrrp: Some("/run/vrrp.pid".into())
            }
        );
        assert_eq!(
            p(None, Some("foo"), false),
            PidPaths {
                main: "/run/keepalived/keepalived_foo.pid".into(),
                vrrp: Some("/run/keepalived/vrrp_foo.pid".into())
            }
        );
        assert_eq!(
            p(Some("kaorc"), None, false),
            PidPaths {
                main: "/run/keepalived/kaorc/keepalived.pid".into(),
                vrrp: Some("/run/keepalived/kaorc/vrrp.pid".into())
            }
        );
        assert_eq!(
            p(Some("n"), Some("i"), false).main,
            PathBuf::from("/run/keepalived/n/keepalived_i.pid")
        );
        assert_eq!(
            p(None, None, true).main,
            PathBuf::from("/run/keepalived/keepalived.pid")
        );
        let given = PidPaths::resolve(
            Some(Path::new("/x/a.pid")),
            Some(Path::new("/x/b.pid")),
            Some("n"),
            Some("i"),
            true,
            run,
        );
        assert_eq!(given.main, PathBuf::from("/x/a.pid"));
        assert_eq!(given.vrrp, Some(PathBuf::from("/x/b.pid")));
        let only_p = PidPaths::resolve(Some(Path::new("/x/a.pid")), None, None, None, false, run);
        assert_eq!(only_p.vrrp, None);
    }

    #[test]
    fn created_directories_are_removed() -> Result<(), Box<dyn std::error::Error>> {
        let base = std::env::temp_dir().join(format!("krs-pid3-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base)?;
        let paths = PidPaths::resolve(None, None, Some("ns"), Some("i"), false, &base);
        {
            let (_a, _b) = paths.create()?;
            let vrrp = paths.vrrp.as_deref().expect("default vrrp pid file");
            assert!(paths.main.exists() && vrrp.exists());
            assert_eq!(
                fs::read_to_string(vrrp)?.trim(),
                std::process::id().to_string()
            );
        }
        assert!(!base.join("keepalived").exists());
        fs::remove_dir_all(&base)?;
        Ok(())
    }

    #[test]
    fn refused_vrrp_file_leaves_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("krs-pid4-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        let paths = PidPaths {
            main: dir.join("k.pid"),
            vrrp: Some(dir.join("v.pid")),
        };
        let vrrp = dir.join("v.pid");
        fs::write(&vrrp, "1\n")?;
        assert!(matches!(
            paths.create(),
            Err(PidFileError::AlreadyRunning { pid: 1, .. })
        ));
        assert!(!paths.main.exists());
        // The other daemon's file is untouched.
        assert_eq!(fs::read_to_string(&vrrp)?, "1\n");
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
