//! What the event source tells the tracker. Shared by [`crate::linux`] (which
//! produces these) and [`crate::tracker`] (which consumes them).

/// A process id (the kernel's tgid: threads are ignored).
pub type Pid = u32;

/// A process as seen in `/proc` (or right after an event, by reading it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: Pid,
    /// The kernel's comm name (at most 15 bytes).
    pub comm: String,
    /// `/proc/PID/cmdline` split at NULs (empty for kernel threads/zombies).
    pub cmdline: Vec<String>,
}

/// Why a process now has the identity in an [`Observation::Appeared`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appearance {
    /// A new process (fork/clone of a new thread group).
    Fork,
    /// An existing process ran exec: its comm and cmdline may have changed.
    Exec,
    /// An existing process renamed itself (prctl PR_SET_NAME).
    Comm,
}

/// One observation, in the order the kernel reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// `info.pid` exists with this identity (new, or changed by exec/rename).
    Appeared { info: ProcessInfo, how: Appearance },
    /// The process exited.
    Exited { pid: Pid },
    /// Events were lost (ENOBUFS) or tracking (re)starts: this is the complete
    /// list of processes now, from a `/proc` scan.
    Rescan { processes: Vec<ProcessInfo> },
}
