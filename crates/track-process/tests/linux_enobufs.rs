//! Lost events: a fork storm against a tiny receive buffer forces ENOBUFS;
//! the source grows the buffer, emits a Rescan, and a consumer ends up with
//! the true set of (our uniquely named) processes.

mod linux_support;

use std::process::Command;
use std::time::{Duration, Instant};

use linux_support::{
    copy_binary, system_binary, unique_name, wait_until, Model, Proc, TempDir, TestResult,
};
use track_process::event::Observation;
use track_process::linux::{ConnectorSource, ReadOutcome};

#[test]
fn fork_storm_with_tiny_buffer_rescans_and_recounts() -> TestResult {
    let mut src = ConnectorSource::open()?;
    let mut model = Model::default();
    model.apply(&Observation::Rescan {
        processes: track_process::linux::Source::initial_scan()?,
    });
    let tiny = src.set_receive_buffer(1)?; // the kernel raises it to its minimum
    assert!(tiny < 16 * 1024, "receive buffer {tiny} not small");

    let dir = TempDir::new("nobuf")?;
    let name = unique_name("nob");
    let sleeper = copy_binary("sleep", &dir.0, &name)?;
    let truebin = system_binary("true")?;

    // The storm: ~300 short-lived processes, while nobody reads the socket;
    // meanwhile start 3 uniquely named sleepers and kill one of them.
    let started = Instant::now();
    let mut keep = Vec::new();
    let mut killed = None;
    for i in 0..300 {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        Command::new(&truebin).status()?;
        if i == 50 || i == 150 || i == 250 {
            keep.push(Proc::spawn(Command::new(&sleeper).arg("60"))?);
        }
        if i == 200 {
            let mut first = keep.remove(0);
            first.kill()?;
            killed = Some(first.pid());
        }
    }
    let killed = killed.ok_or("storm too short")?;

    // Drain: bounded in reads and in time.
    let mut saw_rescan = false;
    let drained = wait_until(Duration::from_secs(10), || {
        let mut out = Vec::new();
        let outcome = src.read_observations(&mut out)?;
        for o in &out {
            saw_rescan |= matches!(o, Observation::Rescan { .. });
            model.apply(o);
        }
        Ok(outcome == ReadOutcome::WouldBlock)
    })?;
    assert!(drained, "socket never drained");
    let stats = src.stats();
    assert!(stats.overruns >= 1, "no ENOBUFS: {stats:?}");
    assert!(saw_rescan, "no Rescan emitted: {stats:?}");
    assert!(stats.rescans >= 1);
    assert!(src.receive_buffer()? > tiny, "receive buffer not enlarged");

    // The sleepers' exec may still be racing the drain: settle (bounded).
    let live: Vec<_> = keep.iter().map(Proc::pid).collect();
    let settled = wait_until(Duration::from_secs(5), || {
        let mut out = Vec::new();
        let _ = src.read_observations(&mut out)?;
        out.iter().for_each(|o| model.apply(o));
        Ok(model.count_comm(&name) == 2)
    })?;
    assert!(
        settled,
        "count of {name} is {} (want 2): {:?}",
        model.count_comm(&name),
        model
            .procs
            .values()
            .filter(|p| p.comm == name)
            .collect::<Vec<_>>()
    );
    for pid in &live {
        assert_eq!(
            model.procs.get(pid).map(|p| p.comm.as_str()),
            Some(name.as_str())
        );
    }
    assert!(!model.procs.contains_key(&killed));
    Ok(())
}
