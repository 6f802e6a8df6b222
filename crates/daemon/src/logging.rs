//! Where log lines go, chosen by keepalived's flags so that existing unit
//! files and log pipelines keep working:
//!
//! * syslog (default; `-G` turns it off) as RFC 3164 datagrams to
//!   `/dev/log`, facility from `-S` (default `daemon`), ident
//!   `Keepalived_vrrp` like keepalived's VRRP process, so rsyslog filters on
//!   `programname` still match;
//! * under systemd (`$JOURNAL_STREAM` set) journald's native protocol
//!   instead of syslog, which keeps the structured fields;
//! * `-l` the console (stderr), `-g[FILE]` a file (default
//!   `$TMPDIR/keepalived_vrrp.log`), `-D` more detail.
//!
//! `KEEPALIVED_RS_LOG` (an EnvFilter) overrides the level;
//! `KEEPALIVED_RS_SYSLOG_FORMAT=rfc5424` sends RFC 5424 instead of 3164.
//!
//! The syslog layer is ours (a few dozen lines) rather than a crate: one
//! datagram per event, no buffering, never blocking the protocol path (a
//! full or missing `/dev/log` drops the line).

use std::fmt::Write as _;
use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// The syslog ident keepalived's VRRP process uses.
pub const IDENT: &str = "Keepalived_vrrp";
/// Where the local syslog daemon listens.
pub const DEV_LOG: &str = "/dev/log";

/// A syslog facility code (RFC 5424 §6.2.1), already shifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facility(u8);

impl Facility {
    pub const USER: Facility = Facility(1 << 3);
    pub const DAEMON: Facility = Facility(3 << 3);

    /// keepalived's `-S` argument: `0`..`7` (= local0..local7),
    /// `local0`..`local7`, `user` or `daemon`.
    pub fn parse(s: &str) -> Option<Facility> {
        let local = |n: u8| Facility((16 + n) << 3);
        match s {
            "user" => Some(Facility::USER),
            "daemon" => Some(Facility::DAEMON),
            _ => {
                let digits = s.strip_prefix("local").unwrap_or(s);
                match digits.parse::<u8>() {
                    Ok(n) if n <= 7 && digits.len() == 1 => Some(local(n)),
                    _ => None,
                }
            }
        }
    }

    pub fn code(self) -> u8 {
        self.0
    }
}

/// The syslog wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogFormat {
    /// `<PRI>ident[pid]: msg` — what glibc's syslog() sends locally, minus
    /// the local-time stamp (the receiver stamps it, RFC 3164 §4.3.2).
    Rfc3164,
    /// `<PRI>1 TIMESTAMP - ident pid - - msg` with a UTC timestamp.
    Rfc5424,
}

/// Syslog severity for a tracing level (keepalived logs most things at
/// LOG_INFO, problems at LOG_WARNING/LOG_ERR, detail at LOG_DEBUG).
fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One syslog datagram.
pub fn format_syslog(
    format: SyslogFormat,
    facility: Facility,
    level: &Level,
    ident: &str,
    pid: u32,
    now: std::time::SystemTime,
    msg: &str,
) -> String {
    let pri = facility.code() | severity(level);
    match format {
        SyslogFormat::Rfc3164 => format!("<{pri}>{ident}[{pid}]: {msg}"),
        SyslogFormat::Rfc5424 => {
            format!("<{pri}>1 {} - {ident} {pid} - - {msg}", rfc3339_utc(now))
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss.uuuuuuZ` (civil-from-days, Howard Hinnant's
/// algorithm), so no date crate is needed for one timestamp.
pub fn rfc3339_utc(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Collects an event's message and fields into one line
/// (`message key=value ...`).
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.push_front(value);
        } else {
            let _ = write!(self.0, " {}={}", field.name(), value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.push_front(&format!("{value:?}"));
        } else {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
    }
}

impl Line {
    fn push_front(&mut self, msg: &str) {
        self.0.insert_str(0, msg);
    }
}

/// A tracing layer that sends each event as one syslog datagram.
pub struct SyslogLayer {
    path: PathBuf,
    format: SyslogFormat,
    facility: Facility,
    ident: String,
    pid: u32,
    /// Connected lazily and again after an error (syslogd restarted).
    sock: Mutex<Option<UnixDatagram>>,
}

impl SyslogLayer {
    pub fn new(path: &Path, format: SyslogFormat, facility: Facility, ident: &str) -> Self {
        SyslogLayer {
            path: path.to_path_buf(),
            format,
            facility,
            ident: ident.to_string(),
            pid: std::process::id(),
            sock: Mutex::new(None),
        }
    }

    fn connect(&self) -> io::Result<UnixDatagram> {
        let s = UnixDatagram::unbound()?;
        s.connect(&self.path)?;
        // A stalled syslogd must not block the protocol path: drop instead.
        s.set_nonblocking(true)?;
        Ok(s)
    }

    fn send(&self, datagram: &[u8]) {
        let Ok(mut guard) = self.sock.lock() else {
            return;
        };
        for _ in 0..2 {
            if guard.is_none() {
                match self.connect() {
                    Ok(s) => *guard = Some(s),
                    Err(_) => return,
                }
            }
            if let Some(s) = guard.as_ref() {
                match s.send(datagram) {
                    Ok(_) => return,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                    Err(_) => *guard = None,
                }
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for SyslogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = Line::default();
        event.record(&mut line);
        let text = format_syslog(
            self.format,
            self.facility,
            event.metadata().level(),
            &self.ident,
            self.pid,
            std::time::SystemTime::now(),
            line.0.trim_start(),
        );
        self.send(text.as_bytes());
    }
}

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// `-D` count.
    pub detail: u8,
    /// `-l`.
    pub console: bool,
    /// `-S`; `None` = daemon.
    pub facility: Option<String>,
    /// `-G`.
    pub no_syslog: bool,
    /// `-g[FILE]`: `Some("")` = the default file.
    pub log_file: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("invalid log facility '{0}' (0-7, local0-7, user or daemon)")]
    Facility(String),
    #[error("cannot open log file {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// keepalived's `-g` file: `$TMPDIR/keepalived.log` by default, with
/// `_vrrp` inserted before the last '.' of the file name (keepalived's
/// VRRP process writes `keepalived_vrrp.log`).
pub fn log_file_path(arg: &str, tmp_dir: &Path) -> PathBuf {
    let base = if arg.is_empty() {
        tmp_dir.join("keepalived.log")
    } else {
        PathBuf::from(arg)
    };
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let new = match name.rfind('.') {
        Some(i) if i > 0 => format!("{}_vrrp{}", &name[..i], &name[i..]),
        _ => format!("{name}_vrrp"),
    };
    base.with_file_name(new)
}

/// Install the global subscriber. `KEEPALIVED_RS_LOG` (an EnvFilter) still
/// overrides the `-D` level for debugging.
pub fn init(opts: &LogOptions) -> Result<(), LogError> {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::EnvFilter;

    let facility = match opts.facility.as_deref() {
        None => Facility::DAEMON,
        Some(s) => Facility::parse(s).ok_or_else(|| LogError::Facility(s.to_string()))?,
    };
    let level = match opts.detail {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter =
        EnvFilter::try_from_env("KEEPALIVED_RS_LOG").unwrap_or_else(|_| EnvFilter::new(level));

    let console = opts.console.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_target(false)
    });
    let file = match &opts.log_file {
        Some(arg) => {
            let path = log_file_path(arg, &crate::dump::tmp_dir());
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|source| LogError::File { path, source })?;
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(Mutex::new(f))
                    .with_ansi(false)
                    .with_target(false),
            )
        }
        None => None,
    };
    // Under systemd, stderr is the journal: use its native protocol for
    // structured fields instead of syslog (journald would also take
    // /dev/log, but flattened).
    let under_journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let journald = if !opts.no_syslog && under_journal {
        tracing_journald::layer()
            .ok()
            .map(|l| l.with_syslog_identifier(IDENT.to_string()))
    } else {
        None
    };
    // RFC 3164 is what every local syslogd parses; RFC 5424 (UTC stamps,
    // structured) on request for receivers that prefer it.
    let format = match std::env::var("KEEPALIVED_RS_SYSLOG_FORMAT").as_deref() {
        Ok("rfc5424") | Ok("5424") => SyslogFormat::Rfc5424,
        _ => SyslogFormat::Rfc3164,
    };
    let syslog = (!opts.no_syslog && journald.is_none())
        .then(|| SyslogLayer::new(Path::new(DEV_LOG), format, facility, IDENT));
    tracing_subscriber::registry()
        .with(filter)
        .with(console)
        .with(file)
        .with(journald)
        .with(syslog)
        .init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};
    use tracing_subscriber::prelude::*;

    #[test]
    fn facilities() {
        assert_eq!(Facility::parse("daemon"), Some(Facility::DAEMON));
        assert_eq!(Facility::parse("user").map(Facility::code), Some(8));
        assert_eq!(Facility::parse("0").map(Facility::code), Some(128));
        assert_eq!(Facility::parse("local0").map(Facility::code), Some(128));
        assert_eq!(Facility::parse("local7").map(Facility::code), Some(184));
        assert_eq!(Facility::parse("7").map(Facility::code), Some(184));
        assert_eq!(Facility::parse("8"), None);
        assert_eq!(Facility::parse("local8"), None);
        assert_eq!(Facility::parse("local"), None);
        assert_eq!(Facility::parse("kern"), None);
    }

    #[test]
    fn rfc3164_and_5424() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_755_287_228_106);
        let l = format_syslog(
            SyslogFormat::Rfc3164,
            Facility::DAEMON,
            &Level::INFO,
            IDENT,
            42,
            t,
            "(VI_1) Entering MASTER STATE",
        );
        assert_eq!(l, "<30>Keepalived_vrrp[42]: (VI_1) Entering MASTER STATE");
        let l = format_syslog(
            SyslogFormat::Rfc5424,
            Facility::parse("local1").expect("facility"),
            &Level::ERROR,
            IDENT,
            42,
            t,
            "x",
        );
        assert_eq!(
            l,
            "<139>1 2026-11-27T04:54:47.228106Z - Keepalived_vrrp 42 - - x"
        );
    }

    #[test]
    fn utc_dates() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        // 2000-02-29 (leap day) 12:34:56
        let t = UNIX_EPOCH + Duration::from_secs(951_827_696);
        assert_eq!(rfc3339_utc(t), "2000-02-29T12:34:56.000000Z");
    }

    #[test]
    fn log_file_names() {
        let tmp = Path::new("/tmp/x");
        assert_eq!(
            log_file_path("", tmp),
            PathBuf::from("/tmp/x/keepalived_vrrp.log")
        );
        assert_eq!(
            log_file_path("/var/log/ka.d/k.log", tmp),
            PathBuf::from("/var/log/ka.d/k_vrrp.log")
        );
        assert_eq!(
            log_file_path("/var/log/klog", tmp),
            PathBuf::from("/var/log/klog_vrrp")
        );
    }

    #[test]
    fn layer_sends_datagrams_to_a_fake_dev_log() {
        let dir = std::env::temp_dir().join(format!("krs-syslog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("log");
        let srv = UnixDatagram::bind(&path).expect("bind fake /dev/log");
        srv.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let layer = SyslogLayer::new(
            &path,
            SyslogFormat::Rfc3164,
            Facility::parse("local3").expect("facility"),
            IDENT,
        );
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            tracing::warn!(instance = "VI_1", "(VI_1) Entering FAULT STATE");
            tracing::info!("second");
        });
        let mut buf = [0u8; 512];
        let n = srv.recv(&mut buf).expect("first datagram");
        let pid = std::process::id();
        assert_eq!(
            std::str::from_utf8(&buf[..n]).expect("utf-8"),
            format!("<156>Keepalived_vrrp[{pid}]: (VI_1) Entering FAULT STATE instance=VI_1")
        );
        let n = srv.recv(&mut buf).expect("second datagram");
        assert_eq!(
            std::str::from_utf8(&buf[..n]).expect("utf-8"),
            format!("<158>Keepalived_vrrp[{pid}]: second")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn layer_without_a_listener_drops_silently() {
        let layer = SyslogLayer::new(
            Path::new("/nonexistent/krs/log"),
            SyslogFormat::Rfc3164,
            Facility::DAEMON,
            IDENT,
        );
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || tracing::error!("nobody listens"));
    }
}
