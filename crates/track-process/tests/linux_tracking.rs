//! End to end with real processes: the proc-connector source feeding real
//! trackers. Every process is a uniquely named copy started here and killed
//! by its PID.

mod linux_support;

use std::process::Command;
use std::time::{Duration, Instant};

use linux_support::{copy_binary, system_binary, wait_until, Proc, TempDir, TestResult};
use track_process::event::Observation;
use track_process::linux::{ConnectorSource, ReadOutcome, Source};
use track_process::tracker::{ParamMatch, Tracker, TrackerConfig};

/// Trackers driven by the connector on a real monotonic clock (µs).
struct Rig {
    src: ConnectorSource,
    start: Instant,
    trackers: Vec<Tracker>,
}

impl Rig {
    fn new(configs: Vec<TrackerConfig>) -> Result<Self, Box<dyn std::error::Error>> {
        let mut src = ConnectorSource::open()?;
        let start = Instant::now();
        let mut trackers = configs
            .into_iter()
            .map(Tracker::new)
            .collect::<Result<Vec<_>, _>>()?;
        let processes = Source::initial_scan()?;
        src.seed(&processes);
        let scan = Observation::Rescan { processes };
        for t in &mut trackers {
            t.handle(0, &scan);
            while t.poll_event().is_some() {}
        }
        Ok(Rig {
            src,
            start,
            trackers,
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Reads what is pending and runs due timers.
    fn pump(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        loop {
            let mut out = Vec::new();
            let outcome = self.src.read_observations(&mut out)?;
            let now = self.now();
            for t in &mut self.trackers {
                for o in &out {
                    t.handle(now, o);
                }
                if t.poll_timeout().is_some_and(|d| d <= now) {
                    t.on_timeout(now);
                }
                while t.poll_event().is_some() {}
            }
            if matches!(outcome, ReadOutcome::WouldBlock) {
                return Ok(());
            }
        }
    }

    /// Pumps until tracker `i` has `count` processes and status `up`.
    fn wait_for(
        &mut self,
        i: usize,
        count: usize,
        up: bool,
    ) -> Result<bool, Box<dyn std::error::Error>> {
        wait_until(Duration::from_secs(5), || {
            self.pump()?;
            Ok(self.trackers[i].count() == count && self.trackers[i].is_up() == up)
        })
    }
}

fn name(tag: &str) -> String {
    format!("tk{tag}{}", std::process::id())
}

#[test]
fn comm_names_match_up_to_the_kernel_limit() -> TestResult {
    let dir = TempDir::new("tkcomm")?;
    // 16 bytes: the kernel keeps the first 15 as comm.
    let long = format!("{}xxxxxxxxxxxxxxxx", name("l"));
    let long = &long[..16];
    let exe = copy_binary("sleep", &dir.0, long)?;
    let mut rig = Rig::new(vec![
        TrackerConfig::new("full", long),
        TrackerConfig::new("cut", &long[..15]),
    ])?;
    // Comm-only trackers: the source may skip command lines.
    rig.src.set_need_cmdline(false);
    let _p = Proc::spawn(Command::new(&exe).arg("30"))?;
    assert!(rig.wait_for(1, 1, true)?, "the 15-byte comm matches");
    assert_eq!(
        rig.trackers[0].count(),
        0,
        "a 16-byte name never matches comm"
    );
    Ok(())
}

#[test]
fn command_line_matching_modes() -> TestResult {
    let dir = TempDir::new("tkcmd")?;
    let n = name("c");
    let exe = copy_binary("sleep", &dir.0, &n)?;
    let exe_s = exe.display().to_string();
    let cfg = |label: &str, params: &[&str], pm: Option<ParamMatch>| {
        let mut c = TrackerConfig::new(label, exe_s.clone());
        c.full_command = true;
        c.params = params.iter().map(|s| s.to_string()).collect();
        c.param_match = pm;
        c
    };
    let mut rig = Rig::new(vec![
        cfg("exact", &["30", "7"], Some(ParamMatch::Exact)),
        // initial: the last configured parameter only needs to be a prefix.
        cfg("initial", &["30", ""], Some(ParamMatch::Initial)),
        // partial: the first n parameters match exactly, more may follow.
        cfg("partial", &["30"], Some(ParamMatch::Partial)),
        cfg("exact-short", &["30"], Some(ParamMatch::Exact)),
        cfg("partial-miss", &["7"], Some(ParamMatch::Partial)),
    ])?;
    // `sleep 30 7` sleeps 37 s: two arguments to match against.
    let _p = Proc::spawn(Command::new(&exe).args(["30", "7"]))?;
    assert!(rig.wait_for(0, 1, true)?, "exact parameters match");
    rig.pump()?;
    assert_eq!(rig.trackers[1].count(), 1, "initial parameters match");
    assert_eq!(rig.trackers[2].count(), 1, "partial parameters match");
    assert_eq!(rig.trackers[3].count(), 0, "exact needs every parameter");
    assert_eq!(
        rig.trackers[4].count(),
        0,
        "partial compares from the first argument"
    );
    Ok(())
}

#[test]
fn quorum_and_quorum_max_with_several_copies() -> TestResult {
    let dir = TempDir::new("tkquo")?;
    let n = name("q");
    let exe = copy_binary("sleep", &dir.0, &n)?;
    let mut c = TrackerConfig::new("q", n.clone());
    c.quorum = 2;
    c.quorum_max = Some(3);
    let mut rig = Rig::new(vec![c])?;
    let mut procs = Vec::new();
    procs.push(Proc::spawn(Command::new(&exe).arg("30"))?);
    assert!(rig.wait_for(0, 1, false)?, "one copy: below quorum");
    procs.push(Proc::spawn(Command::new(&exe).arg("30"))?);
    procs.push(Proc::spawn(Command::new(&exe).arg("30"))?);
    assert!(rig.wait_for(0, 3, true)?, "three copies: within quorum");
    procs.push(Proc::spawn(Command::new(&exe).arg("30"))?);
    assert!(rig.wait_for(0, 4, false)?, "four copies: above quorum_max");
    for mut p in procs.drain(..2) {
        p.kill()?;
    }
    assert!(rig.wait_for(0, 2, true)?, "two copies again: quorum");
    Ok(())
}

#[test]
fn a_rename_is_seen_through_the_comm_event() -> TestResult {
    let n = name("r");
    let mut rig = Rig::new(vec![TrackerConfig::new("r", n.clone())])?;
    let sh = system_binary("sh")?;
    // The shell renames itself (what prctl(PR_SET_NAME) does), then waits.
    let script = format!("printf %s {n} > /proc/$$/comm; read x");
    let _p = Proc::spawn(Command::new(&sh).args(["-c", &script]))?;
    assert!(rig.wait_for(0, 1, true)?, "renamed process counted");
    Ok(())
}

#[test]
fn restart_by_fork_then_exec_waits_fork_delay() -> TestResult {
    let dir = TempDir::new("tkfd")?;
    let n = name("f");
    let exe = copy_binary("sleep", &dir.0, &n)?;
    let mut c = TrackerConfig::new("f", n.clone());
    c.fork_delay_us = Some(1_000_000);
    let mut rig = Rig::new(vec![c])?;
    let sh = system_binary("sh")?;
    // What a service manager does: fork a shell, which execs the service.
    let script = format!("exec {} 30", exe.display());
    let started = Instant::now();
    let _p = Proc::spawn(Command::new(&sh).args(["-c", &script]))?;
    assert!(rig.wait_for(0, 1, true)?, "quorum after fork_delay");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(950),
        "quorum came back {took:?} after the restart, before fork_delay"
    );
    Ok(())
}

#[test]
fn lost_events_rescan_counts_right_and_keeps_fork_delay() -> TestResult {
    let dir = TempDir::new("tkenob")?;
    let n = name("e");
    let exe = copy_binary("sleep", &dir.0, &n)?;
    let truebin = system_binary("true")?;
    let mut c = TrackerConfig::new("e", n.clone());
    c.fork_delay_us = Some(1_000_000);
    c.terminate_delay_us = Some(1_000_000);
    let mut rig = Rig::new(vec![c])?;
    rig.src.set_receive_buffer(1)?; // the kernel raises it to its minimum

    // A fork storm nobody reads, with our tracked process started inside it:
    // its fork event is lost with the rest.
    let storm = Instant::now();
    let mut tracked = None;
    for i in 0..400 {
        if storm.elapsed() > Duration::from_secs(60) {
            break;
        }
        Command::new(&truebin).status()?;
        if i == 200 {
            tracked = Some(Proc::spawn(Command::new(&exe).arg("60"))?);
        }
    }
    let _tracked = tracked.ok_or("storm too short")?;

    // The source notices the overrun and rescans: the count is right at once,
    // the status follows only after fork_delay.
    let mut counted_at = None;
    let became_up = wait_until(Duration::from_secs(10), || {
        rig.pump()?;
        if counted_at.is_none() && rig.trackers[0].count() == 1 {
            counted_at = Some(Instant::now());
        }
        Ok(rig.trackers[0].is_up())
    })?;
    assert!(became_up, "quorum never regained after the rescan");
    let counted_at = counted_at.ok_or("count never reached 1")?;
    assert!(
        counted_at.elapsed() >= Duration::from_millis(900),
        "quorum regained {:?} after the rescan counted the process, before fork_delay",
        counted_at.elapsed()
    );
    assert!(
        rig.src.stats().rescans >= 1,
        "no rescan: the storm did not overrun"
    );
    assert_eq!(rig.trackers[0].count(), 1);
    Ok(())
}
