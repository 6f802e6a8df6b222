//! systemd's readiness protocol (`sd_notify(3)`), spoken directly: one
//! datagram of `KEY=VALUE` lines to the socket named by `$NOTIFY_SOCKET`.
//! It is a few lines of code, so no libsystemd binding: the daemon stays a
//! static-friendly binary and the same calls are no-ops outside systemd.
//!
//! Unit files for keepalived use `Type=forking` or `Type=simple`; with
//! `Type=notify` (or `notify-reload`) systemd waits for [`ready`], shows
//! reloads via [`reloading`]/[`ready`], and restarts a hung daemon when
//! `WatchdogSec=` is set and [`spawn_watchdog`]'s pings stop.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;
use std::time::Duration;

/// Environment variable naming the notification socket.
const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// The address `$NOTIFY_SOCKET` names: a path, or (leading '@') a Linux
/// abstract socket name.
fn socket_addr(name: &str) -> io::Result<SocketAddr> {
    if let Some(abs) = name.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(abs.as_bytes())
    } else {
        SocketAddr::from_pathname(Path::new(name))
    }
}

/// Send `state` (newline-separated `KEY=VALUE` assignments) to the socket
/// `name`. Returns the number of bytes sent.
pub fn notify_to(name: &str, state: &str) -> io::Result<usize> {
    if name.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "empty notification socket name",
        ));
    }
    let addr = socket_addr(name)?;
    let sock = UnixDatagram::unbound()?;
    sock.send_to_addr(state.as_bytes(), &addr)
}

/// Send `state` to `$NOTIFY_SOCKET`. Not running under systemd (no
/// variable) is not an error: `Ok(false)`.
pub fn notify(state: &str) -> io::Result<bool> {
    match std::env::var(NOTIFY_SOCKET) {
        Ok(name) if !name.is_empty() => notify_to(&name, state).map(|_| true),
        _ => Ok(false),
    }
}

/// Send and log (debug) a failure: a lost notification must never stop
/// the daemon, and systemd's own timeout reports a missing READY=1.
fn send(state: &str) {
    if let Err(e) = notify(state) {
        tracing::warn!(error = %e, "cannot notify systemd ({})", state.replace('\n', " "));
    }
}

/// Start-up complete: sockets open, instances started.
pub fn ready() {
    send(&format!(
        "READY=1\nSTATUS=running\nMAINPID={}",
        std::process::id()
    ));
}

/// A reload begins. `Type=notify-reload` requires `MONOTONIC_USEC` (the
/// CLOCK_MONOTONIC time of the request) beside `RELOADING=1`; call
/// [`ready`] when the new configuration runs.
pub fn reloading() {
    send(&format!(
        "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC={}",
        monotonic_usec()
    ));
}

/// Shutdown begins (before VIPs are removed and stop scripts run).
pub fn stopping() {
    send("STOPPING=1\nSTATUS=stopping");
}

/// One watchdog keep-alive.
pub fn watchdog_ping() {
    send("WATCHDOG=1");
}

fn monotonic_usec() -> u64 {
    match nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC) {
        Ok(ts) => {
            u64::try_from(ts.tv_sec()).unwrap_or(0) * 1_000_000
                + u64::try_from(ts.tv_nsec()).unwrap_or(0) / 1_000
        }
        Err(_) => 0,
    }
}

/// The watchdog interval systemd asks for: `$WATCHDOG_USEC`, when
/// `$WATCHDOG_PID` is unset or names this process (it is inherited by
/// children, which must not ping on our behalf).
pub fn watchdog_interval() -> Option<Duration> {
    watchdog_interval_from(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
    )
}

fn watchdog_interval_from(usec: Option<&str>, pid: Option<&str>, me: u32) -> Option<Duration> {
    if let Some(p) = pid {
        if p.trim().parse::<u32>().ok() != Some(me) {
            return None;
        }
    }
    let us: u64 = usec?.trim().parse().ok()?;
    (us > 0).then(|| Duration::from_micros(us))
}

/// Ping the watchdog at half the interval systemd set, from a task on the
/// daemon's own (single-threaded) runtime: if the event loop stalls, the
/// pings stop and systemd restarts the daemon, which is the point. Returns
/// `None` when no watchdog is configured. Must be called inside a tokio
/// `LocalSet` or runtime.
pub fn spawn_watchdog() -> Option<tokio::task::JoinHandle<()>> {
    let interval = watchdog_interval()?;
    let period = interval / 2;
    tracing::info!(?interval, "systemd watchdog enabled");
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            watchdog_ping();
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("krs-sdn-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn sends_to_a_path_socket() {
        let dir = temp_dir("path");
        let path = dir.join("notify");
        let srv = UnixDatagram::bind(&path).expect("bind");
        let name = path.to_str().expect("utf-8 path");
        notify_to(name, "READY=1\nSTATUS=x").expect("send");
        let mut buf = [0u8; 256];
        let n = srv.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=x");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let abs = format!("krs-sdn-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(abs.as_bytes()).expect("addr");
        let srv = UnixDatagram::bind_addr(&addr).expect("bind abstract");
        notify_to(&format!("@{abs}"), "STOPPING=1").expect("send");
        let mut buf = [0u8; 64];
        let n = srv.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"STOPPING=1");
    }

    #[test]
    fn missing_socket_is_an_error_and_empty_name_refused() {
        let dir = temp_dir("missing");
        let path = dir.join("nobody");
        assert!(notify_to(path.to_str().expect("utf-8"), "READY=1").is_err());
        assert!(notify_to("", "READY=1").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn watchdog_interval_rules() {
        assert_eq!(
            watchdog_interval_from(Some("30000000"), None, 7),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            watchdog_interval_from(Some("30000000"), Some("7"), 7),
            Some(Duration::from_secs(30))
        );
        // Inherited from a parent: not ours.
        assert_eq!(watchdog_interval_from(Some("30000000"), Some("8"), 7), None);
        assert_eq!(watchdog_interval_from(Some("0"), None, 7), None);
        assert_eq!(watchdog_interval_from(Some("x"), None, 7), None);
        assert_eq!(watchdog_interval_from(None, None, 7), None);
    }

    #[test]
    fn monotonic_is_nonzero() {
        assert!(monotonic_usec() > 0);
    }
}
