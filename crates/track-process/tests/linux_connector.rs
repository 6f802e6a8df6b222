//! The proc connector against real processes started by the test (needs
//! root in the initial network namespace).

mod linux_support;

use std::process::Command;
use std::time::Duration;

use linux_support::{copy_binary, unique_name, wait_until, which, Proc, TempDir, TestResult};
use track_process::event::{Appearance, Observation, Pid};
use track_process::linux::{ConnectorSource, ReadOutcome, Source};

/// Read observations until `done` holds for the ones collected (bounded).
fn collect_until(
    src: &mut ConnectorSource,
    seen: &mut Vec<Observation>,
    timeout: Duration,
    done: impl Fn(&[Observation]) -> bool,
) -> Result<bool, Box<dyn std::error::Error>> {
    wait_until(timeout, || {
        for _ in 0..100 {
            if src.read_observations(seen)? == ReadOutcome::WouldBlock {
                break;
            }
        }
        Ok(done(seen))
    })
}

fn appeared(seen: &[Observation], pid: Pid, how: Appearance, comm: Option<&str>) -> bool {
    seen.iter().any(|o| {
        matches!(o, Observation::Appeared { info, how: h }
            if info.pid == pid && *h == how && comm.is_none_or(|c| info.comm == c))
    })
}

fn exited(seen: &[Observation], pid: Pid) -> bool {
    seen.iter()
        .any(|o| matches!(o, Observation::Exited { pid: p } if *p == pid))
}

#[test]
fn source_open_uses_the_connector_in_the_initial_namespace() -> TestResult {
    let src = Source::open(Duration::from_secs(1))?;
    assert!(src.is_connector());
    assert!(src.fd().is_some());
    assert_eq!(src.poll_interval(), None);
    Ok(())
}

#[test]
fn fork_exec_exit_of_a_spawned_process() -> TestResult {
    let mut src = ConnectorSource::open()?;
    let dir = TempDir::new("conn")?;
    let name = unique_name("cfe");
    let bin = copy_binary("sleep", &dir.0, &name)?;
    let mut p = Proc::spawn(Command::new(&bin).arg("30"))?;
    let pid = p.pid();
    let mut seen = Vec::new();
    let ok = collect_until(&mut src, &mut seen, Duration::from_secs(10), |s| {
        appeared(s, pid, Appearance::Fork, None) && appeared(s, pid, Appearance::Exec, Some(&name))
    })?;
    assert!(ok, "no fork+exec for {pid} ({name}) in {seen:?}");
    // The exec's identity carries the full command line.
    let exec = seen.iter().find_map(|o| match o {
        Observation::Appeared {
            info,
            how: Appearance::Exec,
        } if info.pid == pid => Some(info),
        _ => None,
    });
    let exec = exec.ok_or("no exec")?;
    assert_eq!(
        exec.cmdline,
        vec![bin.to_string_lossy().into_owned(), "30".to_string()]
    );
    // Order: the fork comes before the exec.
    let pos = |how| {
        seen.iter().position(
            |o| matches!(o, Observation::Appeared { info, how: h } if info.pid == pid && *h == how),
        )
    };
    assert!(pos(Appearance::Fork) < pos(Appearance::Exec));

    seen.clear();
    p.kill()?;
    let ok = collect_until(&mut src, &mut seen, Duration::from_secs(10), |s| {
        exited(s, pid)
    })?;
    assert!(ok, "no exit for {pid}");
    Ok(())
}

#[test]
fn threads_do_not_appear() -> TestResult {
    let mut src = ConnectorSource::open()?;
    let own = std::process::id();
    // Threads of this process: their clone/exit (and a rename of one) must
    // be ignored.
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                if i == 0 {
                    let _ = std::fs::write("/proc/thread-self/comm", "tpthreadrename");
                }
                std::thread::sleep(Duration::from_millis(5));
                nix::unistd::gettid().as_raw()
            })
        })
        .collect();
    let mut tids = Vec::new();
    for h in handles {
        tids.push(h.join().map_err(|_| "thread panicked")?);
    }
    let mut seen = Vec::new();
    // Drain for a while; nothing may concern one of those threads.
    collect_until(&mut src, &mut seen, Duration::from_millis(300), |_| false)?;
    for o in &seen {
        let pid = match o {
            Observation::Appeared { info, .. } => info.pid,
            Observation::Exited { pid } => *pid,
            Observation::Rescan { .. } => continue,
        };
        assert_ne!(pid, own, "{o:?}");
        assert!(
            !tids.iter().any(|&t| t as Pid == pid),
            "thread reported: {o:?}"
        );
    }
    Ok(())
}

#[test]
fn rename_through_proc_comm_is_a_comm_event() -> TestResult {
    let mut src = ConnectorSource::open()?;
    let name = unique_name("ren");
    // sh renames itself, then blocks on its piped stdin.
    let script = format!("printf %s {name} > /proc/$$/comm; read x");
    let p = Proc::spawn(Command::new("sh").args(["-c", &script]))?;
    let pid = p.pid();
    let mut seen = Vec::new();
    let ok = collect_until(&mut src, &mut seen, Duration::from_secs(10), |s| {
        appeared(s, pid, Appearance::Comm, Some(&name))
    })?;
    assert!(ok, "no comm event for {pid} -> {name}");
    Ok(())
}

#[test]
fn prctl_rename_is_a_comm_event() -> TestResult {
    let Ok(py) = which("python3") else {
        eprintln!("python3 not found: prctl rename test skipped");
        return Ok(());
    };
    let mut src = ConnectorSource::open()?;
    let name = unique_name("prc");
    // PR_SET_NAME = 15, through libc via ctypes; then block on stdin.
    let code = format!(
        "import ctypes,sys\nctypes.CDLL(None).prctl(15, b'{name}', 0, 0, 0)\nsys.stdin.read()"
    );
    let p = Proc::spawn(Command::new(py).args(["-c", &code]))?;
    let pid = p.pid();
    let mut seen = Vec::new();
    let ok = collect_until(&mut src, &mut seen, Duration::from_secs(15), |s| {
        appeared(s, pid, Appearance::Comm, Some(&name))
    })?;
    assert!(ok, "no comm event for {pid} -> {name}");
    Ok(())
}
