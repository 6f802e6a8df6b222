//! The /proc polling fallback: diffs against real processes, and
//! `Source::open` falling back (with one warning) outside the initial network
//! namespace.

mod linux_support;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use linux_support::{
    copy_binary, unique_name, wait_until, which, Model, Proc, TempDir, TestResult,
};
use track_process::event::{Appearance, Observation};
use track_process::linux::{ConnectorSource, Error, ReadOutcome, Source};

#[test]
fn poll_source_sees_a_started_and_a_killed_process() -> TestResult {
    let mut src = Source::open_poll(Duration::from_millis(20))?;
    assert!(!src.is_connector());
    assert!(src.fd().is_none());
    assert_eq!(src.poll_interval(), Some(Duration::from_millis(20)));
    let mut model = Model::default();
    model.apply(&Observation::Rescan {
        processes: src.scan()?,
    });
    let dir = TempDir::new("poll")?;
    let name = unique_name("pol");
    let bin = copy_binary("sleep", &dir.0, &name)?;
    let mut p = Proc::spawn(Command::new(&bin).arg("30"))?;
    let pid = p.pid();
    let mut seen = Vec::new();
    let ok = wait_until(Duration::from_secs(5), || {
        let mut out = Vec::new();
        src.poll(&mut out)?;
        // read_observations is a no-op when polling
        assert_eq!(src.read_observations(&mut out)?, ReadOutcome::WouldBlock);
        out.iter().for_each(|o| model.apply(o));
        seen.extend(out);
        Ok(model.count_comm(&name) == 1)
    })?;
    assert!(ok, "started process not seen");
    // First sighting is a Fork (possibly with the pre-exec identity, then an
    // Exec once the identity changes).
    assert!(seen.iter().any(|o| matches!(o,
        Observation::Appeared { info, how: Appearance::Fork } if info.pid == pid)));
    p.kill()?;
    let ok = wait_until(Duration::from_secs(5), || {
        let mut out = Vec::new();
        src.poll(&mut out)?;
        out.iter().for_each(|o| model.apply(o));
        Ok(out
            .iter()
            .any(|o| matches!(o, Observation::Exited { pid: q } if *q == pid)))
    })?;
    assert!(ok, "killed process not reported as exited");
    assert_eq!(model.count_comm(&name), 0);
    Ok(())
}

/// Counts WARN events (a minimal `tracing` subscriber).
struct WarnCounter(Arc<AtomicUsize>);

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

const CHILD_ENV: &str = "TP_LINUX_FALLBACK_CHILD";

/// Re-runs itself under `unshare --net` (a new network namespace, where the
/// connector is refused with ECONNREFUSED) and checks the fallback there.
#[test]
fn open_falls_back_to_polling_outside_the_initial_netns() -> TestResult {
    if std::env::var_os(CHILD_ENV).is_some() {
        match ConnectorSource::open() {
            Err(Error::Refused(e)) => {
                assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED), "{e}")
            }
            other => panic!("expected ECONNREFUSED, got {other:?}"),
        }
        let warns = Arc::new(AtomicUsize::new(0));
        let sub = WarnCounter(warns.clone());
        let src =
            tracing::subscriber::with_default(sub, || Source::open(Duration::from_millis(30)))?;
        assert!(!src.is_connector(), "connector opened in a new netns?");
        assert_eq!(src.poll_interval(), Some(Duration::from_millis(30)));
        assert_eq!(warns.load(Ordering::SeqCst), 1, "exactly one warning");
        // And it works: sees a process we start.
        let mut src = src;
        let dir = TempDir::new("fbk")?;
        let name = unique_name("fbk");
        let bin = copy_binary("sleep", &dir.0, &name)?;
        let mut model = Model::default();
        model.apply(&Observation::Rescan {
            processes: src.scan()?,
        });
        let _p = Proc::spawn(Command::new(&bin).arg("30"))?;
        let ok = wait_until(Duration::from_secs(5), || {
            let mut out = Vec::new();
            src.poll(&mut out)?;
            out.iter().for_each(|o| model.apply(o));
            Ok(model.count_comm(&name) == 1)
        })?;
        assert!(ok, "fallback did not see the process");
        return Ok(());
    }
    let Ok(unshare) = which("unshare") else {
        eprintln!("unshare(1) not found: fallback test skipped");
        return Ok(());
    };
    let exe = std::env::current_exe()?;
    let out = Command::new(unshare)
        .args(["--net", "--"])
        .arg(exe)
        .args([
            "--exact",
            "open_falls_back_to_polling_outside_the_initial_netns",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "child did not run the test: {stdout}"
    );
    Ok(())
}
