//! The control socket and the management tasks (control socket, metrics
//! exporter), plus the client side of `keepalived-rs status|reload|garp`.
//!
//! Protocol: the client connects to a Unix stream socket, writes one JSON
//! request line (`{"cmd":"status"}`, `{"cmd":"reload"}`,
//! `{"cmd":"garp","instance":"VI_1"}`) and reads one JSON response line
//! (`{"ok":true,...}` or `{"ok":false,"error":"..."}`). The socket is 0600
//! and peers that are not root are refused (SO_PEERCRED), because `garp`
//! and `reload` act on the network.
//!
//! Management never delays the protocol: every connection is its own task,
//! reads and writes have timeouts, and the engine is only borrowed to copy
//! a [`Status`] (or to queue a GARP burst), never across an await.

use crate::engine::Engine;
use crate::status::Status;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};
use vrrp::Timestamp;

/// Where control sockets live by default.
pub const RUN_DIR: &str = "/run/keepalived-rs";
/// Longest request line accepted.
const MAX_REQUEST: u64 = 64 * 1024;
/// How long a client may take to send its request, and to read the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// Control connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 16;

/// What the daemon's management side should serve.
#[derive(Debug, Clone, Default)]
pub struct ManagementOptions {
    /// The control socket path (`None`: no control socket).
    pub control_socket: Option<PathBuf>,
    /// Prometheus exporter address (`None`: off, the default).
    pub metrics_listen: Option<SocketAddr>,
}

/// A control request (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "lowercase")]
pub enum Request {
    Status,
    Reload,
    Garp { instance: String },
}

/// A control response (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Box<Status>>,
}

impl Response {
    fn error(e: impl Into<String>) -> Self {
        Response {
            ok: false,
            error: Some(e.into()),
            message: None,
            status: None,
        }
    }
    fn message(m: impl Into<String>) -> Self {
        Response {
            ok: true,
            error: None,
            message: Some(m.into()),
            status: None,
        }
    }
}

/// Asks the daemon to reload its configuration, with a message for the
/// client or why it cannot. The reload code provides it (the same path as
/// SIGHUP); until it does, `keepalived-rs reload` answers that reload is
/// not supported.
pub type ReloadFn = Rc<dyn Fn() -> Result<String, String>>;

/// The default control socket path, named like keepalived names its pid
/// files (reference §7.3): with a network namespace, a directory of its
/// own (`keepalived_<ns>`); with an instance name (`instance` / `-i`), the
/// name in the file name. So one daemon per namespace never collides.
pub fn default_socket_path(namespace: Option<&str>, instance: Option<&str>) -> PathBuf {
    // A name with '/' would escape the directory: keep its last part.
    let clean = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let mut dir = PathBuf::from(RUN_DIR);
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        dir.push(format!("keepalived_{}", clean(ns)));
    }
    match instance.filter(|i| !i.is_empty()) {
        Some(i) => dir.join(format!("control_{}.sock", clean(i))),
        None => dir.join("control.sock"),
    }
}

/// The `ip netns` name of the network namespace this process is in, if it
/// has one (a daemon started with `ip netns exec NS` and its client then
/// agree on the socket without any flag).
pub fn current_netns_name() -> Option<String> {
    let me = std::fs::metadata("/proc/self/ns/net").ok()?;
    let init = std::fs::metadata("/proc/1/ns/net").ok();
    if init.is_some_and(|i| i.dev() == me.dev() && i.ino() == me.ino()) {
        return None;
    }
    for entry in std::fs::read_dir("/run/netns").ok()?.flatten() {
        if let Ok(m) = std::fs::metadata(entry.path()) {
            if m.dev() == me.dev() && m.ino() == me.ino() {
                return entry.file_name().into_string().ok();
            }
        }
    }
    None
}

/// The socket path: `--control-socket` if given, else derived from the
/// namespace (`-s`, `net_namespace`, or the current `ip netns` one) and
/// the instance name (`instance`, or `-i`).
pub fn resolve_socket_path(
    explicit: Option<&Path>,
    namespace: Option<&str>,
    instance: Option<&str>,
) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let current;
    let ns = match namespace {
        Some(n) => Some(n),
        None => {
            current = current_netns_name();
            current.as_deref()
        }
    };
    default_socket_path(ns, instance)
}

/// State shared by the management tasks.
pub(crate) struct Shared {
    engine: Rc<RefCell<Engine>>,
    wake: Rc<Notify>,
    now: Box<dyn Fn() -> Timestamp>,
    started: Instant,
    reload: Option<ReloadFn>,
}

impl Shared {
    /// Copies the engine's state (a short borrow; no I/O under it).
    pub(crate) fn snapshot(&self) -> Result<Status, String> {
        let eng = self
            .engine
            .try_borrow()
            .map_err(|_| "engine busy, try again".to_string())?;
        Ok(Status::build(&eng, (self.now)(), self.started.elapsed()))
    }

    fn garp(&self, instance: &str) -> Result<usize, String> {
        let mut eng = self
            .engine
            .try_borrow_mut()
            .map_err(|_| "engine busy, try again".to_string())?;
        let before = eng.next_deadline();
        let r = eng.announce(instance, (self.now)());
        let after = eng.next_deadline();
        drop(eng);
        // The timer loop sleeps until the deadline it last saw: wake it
        // when the burst's pacing brought one forward.
        if after.is_some() && (before.is_none() || after < before) {
            self.wake.notify_one();
        }
        r.map_err(|e| e.to_string())
    }

    fn handle(&self, req: Request) -> Response {
        match req {
            Request::Status => match self.snapshot() {
                Ok(s) => Response {
                    ok: true,
                    error: None,
                    message: None,
                    status: Some(Box::new(s)),
                },
                Err(e) => Response::error(e),
            },
            Request::Reload => match &self.reload {
                Some(f) => match f() {
                    Ok(m) => Response::message(m),
                    Err(e) => Response::error(e),
                },
                None => Response::error(
                    "configuration reload is not supported yet by this keepalived-rs",
                ),
            },
            Request::Garp { instance } => match self.garp(&instance) {
                Ok(n) => Response::message(format!(
                    "({instance}) gratuitous ARP / NA burst queued for {n} address(es)"
                )),
                Err(e) => Response::error(e),
            },
        }
    }
}

/// The running management tasks; dropping it stops them and removes the
/// control socket. Drop it before the engine is shut down: the tasks hold
/// the engine.
pub struct Management {
    tasks: Vec<JoinHandle<()>>,
    socket: Option<PathBuf>,
    /// The socket's directory, if we created it (removed again when empty,
    /// so per-namespace directories do not pile up).
    created_dir: Option<PathBuf>,
}

impl Management {
    /// Starts the control socket and (if configured) the metrics exporter
    /// on the current `LocalSet`. A socket that cannot be opened is logged
    /// and skipped: management problems never stop VRRP.
    pub fn start(
        engine: Rc<RefCell<Engine>>,
        wake: Rc<Notify>,
        now: impl Fn() -> Timestamp + 'static,
        opts: &ManagementOptions,
        reload: Option<ReloadFn>,
    ) -> Management {
        let shared = Rc::new(Shared {
            engine,
            wake,
            now: Box::new(now),
            started: Instant::now(),
            reload,
        });
        let mut m = Management {
            tasks: Vec::new(),
            socket: None,
            created_dir: None,
        };
        if let Some(path) = &opts.control_socket {
            m.created_dir = path.parent().filter(|d| !d.exists()).map(Path::to_path_buf);
            match bind_control(path) {
                Ok(listener) => {
                    info!(socket = %path.display(), "control socket listening");
                    m.socket = Some(path.clone());
                    m.tasks.push(tokio::task::spawn_local(serve_control(
                        listener,
                        shared.clone(),
                    )));
                }
                Err(e) => {
                    error!(socket = %path.display(), error = %e, "cannot open the control socket")
                }
            }
        }
        if let Some(addr) = opts.metrics_listen {
            match crate::metrics::bind(addr) {
                Ok(listener) => {
                    info!(%addr, "metrics exporter listening");
                    let s = shared.clone();
                    m.tasks.push(tokio::task::spawn_local(crate::metrics::serve(
                        listener,
                        Rc::new(move || s.snapshot()),
                    )));
                }
                Err(e) => error!(%addr, error = %e, "cannot open the metrics listener"),
            }
        }
        m
    }

    /// Stops the tasks and removes the control socket.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Management {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some(p) = self.socket.take() {
            let _ = std::fs::remove_file(p);
        }
        if let Some(d) = self.created_dir.take() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("another daemon is already listening on it")]
    InUse,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Binds the control socket: parent directory created, a stale socket
/// (nobody listening) replaced, a live one left alone; mode 0600.
fn bind_control(path: &Path) -> Result<UnixListener, BindError> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(BindError::InUse);
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

async fn serve_control(listener: UnixListener, shared: Rc<Shared>) {
    let active = Rc::new(Cell::new(0usize));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!(error = %e, "control socket accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if active.get() >= MAX_CONNECTIONS {
            debug!("control socket: too many connections; refusing one");
            continue;
        }
        active.set(active.get() + 1);
        let shared = shared.clone();
        let active = active.clone();
        tokio::task::spawn_local(async move {
            if let Err(e) = control_conn(stream, &shared).await {
                debug!(error = %e, "control connection ended");
            }
            active.set(active.get() - 1);
        });
    }
}

async fn control_conn(stream: UnixStream, shared: &Shared) -> std::io::Result<()> {
    let uid = stream.peer_cred()?.uid();
    let (rd, mut wr) = stream.into_split();
    let resp = if uid != 0 {
        warn!(uid, "control socket: refusing a non-root client");
        Response::error("permission denied: the control socket is for root only")
    } else {
        let mut line = String::new();
        let mut rd = tokio::io::BufReader::new(rd.take(MAX_REQUEST));
        match tokio::time::timeout(IO_TIMEOUT, rd.read_line(&mut line)).await {
            Err(_) => Response::error("timed out waiting for the request"),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(_)) => match serde_json::from_str::<Request>(line.trim()) {
                Ok(req) => {
                    debug!(?req, "control request");
                    shared.handle(req)
                }
                Err(e) => Response::error(format!("bad request: {e}")),
            },
        }
    };
    let mut out = serde_json::to_vec(&resp).map_err(std::io::Error::other)?;
    out.push(b'\n');
    match tokio::time::timeout(IO_TIMEOUT, wr.write_all(&out)).await {
        Ok(r) => r?,
        Err(_) => return Err(std::io::Error::other("timed out writing the response")),
    }
    let _ = wr.shutdown().await;
    Ok(())
}

/// Why a client request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {path} (is keepalived-rs running? use --control-socket, -s or -i to find it): {source}")]
    Connect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("control socket I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad response from the daemon: {0}")]
    Protocol(#[from] serde_json::Error),
}

/// Sends one request and waits (at most `timeout` per read/write) for the
/// response.
pub fn request(path: &Path, req: &Request, timeout: Duration) -> Result<Response, ClientError> {
    let mut s =
        std::os::unix::net::UnixStream::connect(path).map_err(|source| ClientError::Connect {
            path: path.to_path_buf(),
            source,
        })?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let mut line = serde_json::to_vec(req)?;
    line.push(b'\n');
    s.write_all(&line)?;
    let mut resp = String::new();
    BufReader::new(s).read_line(&mut resp)?;
    Ok(serde_json::from_str(resp.trim())?)
}

/// Runs a client subcommand against the daemon at `path`; returns the exit
/// code (0 done, 1 failed).
pub fn run_client(cmd: &crate::cli::Command, path: &Path) -> u8 {
    use crate::cli::Command;
    let req = match cmd {
        Command::Status { .. } => Request::Status,
        Command::Reload => Request::Reload,
        Command::Garp { instance } => Request::Garp {
            instance: instance.clone(),
        },
    };
    let resp = match request(path, &req, Duration::from_secs(10)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("keepalived-rs: {e}");
            return 1;
        }
    };
    if !resp.ok {
        eprintln!(
            "keepalived-rs: {}",
            resp.error.as_deref().unwrap_or("request failed")
        );
        return 1;
    }
    match (cmd, resp.status) {
        (Command::Status { json: true }, Some(s)) => match serde_json::to_string_pretty(&s) {
            Ok(t) => println!("{t}"),
            Err(e) => {
                eprintln!("keepalived-rs: {e}");
                return 1;
            }
        },
        (Command::Status { json: false }, Some(s)) => {
            print!("{}", crate::status::render_table(&s))
        }
        (Command::Status { .. }, None) => {
            eprintln!("keepalived-rs: the daemon sent no status");
            return 1;
        }
        _ => {
            if let Some(m) = resp.message {
                println!("{m}");
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_follow_namespace_and_instance() {
        assert_eq!(
            default_socket_path(None, None),
            Path::new("/run/keepalived-rs/control.sock")
        );
        assert_eq!(
            default_socket_path(Some("blue"), None),
            Path::new("/run/keepalived-rs/keepalived_blue/control.sock")
        );
        assert_eq!(
            default_socket_path(Some("blue"), Some("lb1")),
            Path::new("/run/keepalived-rs/keepalived_blue/control_lb1.sock")
        );
        assert_eq!(
            default_socket_path(None, Some("../x")),
            Path::new("/run/keepalived-rs/control_x.sock")
        );
        assert_eq!(
            resolve_socket_path(Some(Path::new("/tmp/c.sock")), Some("blue"), None),
            Path::new("/tmp/c.sock")
        );
    }

    #[test]
    fn requests_are_json_lines() {
        let r = Request::Garp {
            instance: "VI_1".into(),
        };
        let text = serde_json::to_string(&r).expect("serialise");
        assert_eq!(text, r#"{"cmd":"garp","instance":"VI_1"}"#);
        assert_eq!(
            serde_json::from_str::<Request>(r#"{"cmd":"status"}"#).expect("parse"),
            Request::Status
        );
        assert!(serde_json::from_str::<Request>(r#"{"cmd":"explode"}"#).is_err());
        let e = serde_json::to_string(&Response::error("no")).expect("serialise");
        assert_eq!(e, r#"{"ok":false,"error":"no"}"#);
    }
}
