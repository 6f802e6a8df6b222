//! Prometheus exporter (off by default: `--metrics-listen ADDR:PORT` or
//! `global_defs { metrics_listen ADDR:PORT }`).
//!
//! A minimal HTTP/1.1 responder, not a framework: `GET /metrics` answers
//! the OpenMetrics text of a fresh [`Status`] copy, anything else 404/405,
//! and every response closes the connection. Each connection is its own
//! task with read and write timeouts, so a slow or stuck scraper costs a
//! task and a socket, never protocol time.

use crate::status::Status;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, warn};

/// Time allowed to send the request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed to take the whole response.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// Scrapes served at once; further connections are closed at once.
const MAX_CONNECTIONS: usize = 32;

/// `application/openmetrics-text`: what prometheus-client's encoder writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Binds the exporter's listening socket (synchronously, so a bad address
/// is reported at start).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let l = std::net::TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    TcpListener::from_std(l)
}

/// A fresh copy of the daemon's state, or why there is none.
pub type Snapshot = Rc<dyn Fn() -> Result<Status, String>>;

/// Accepts scrapers until the task is aborted.
pub async fn serve(listener: TcpListener, snapshot: Snapshot) {
    let active = Rc::new(Cell::new(0usize));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!(error = %e, "metrics accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if active.get() >= MAX_CONNECTIONS {
            debug!("metrics: too many connections; closing one");
            continue;
        }
        active.set(active.get() + 1);
        let snapshot = snapshot.clone();
        let active = active.clone();
        tokio::task::spawn_local(async move {
            if let Err(e) = connection(stream, &snapshot).await {
                debug!(error = %e, "metrics connection ended");
            }
            active.set(active.get() - 1);
        });
    }
}

async fn connection(mut stream: TcpStream, snapshot: &Snapshot) -> std::io::Result<()> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(h) => h?,
        Err(_) => return Err(std::io::Error::other("request head timed out")),
    };
    let (code, ctype, body) = respond(&head, snapshot);
    let mut out = format!(
        "HTTP/1.1 {code}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head.starts_with("HEAD ") {
        out.extend_from_slice(body.as_bytes());
    }
    match tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&out)).await {
        Ok(r) => r?,
        Err(_) => return Err(std::io::Error::other("response write timed out")),
    }
    let _ = tokio::time::timeout(WRITE_TIMEOUT, stream.shutdown()).await;
    Ok(())
}

/// Reads until the blank line that ends the request head (or `MAX_HEAD`).
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while buf.len() < MAX_HEAD {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Status line, content type and body for a request head.
fn respond(head: &str, snapshot: &Snapshot) -> (&'static str, &'static str, String) {
    let mut words = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    if method != "GET" && method != "HEAD" {
        return (
            "405 Method Not Allowed",
            "text/plain",
            "GET /metrics\n".into(),
        );
    }
    match path {
        "/metrics" => match snapshot().map(|s| encode(&s)) {
            Ok(Ok(text)) => ("200 OK", CONTENT_TYPE, text),
            Ok(Err(e)) => (
                "500 Internal Server Error",
                "text/plain",
                format!("encoding failed: {e}\n"),
            ),
            Err(e) => ("503 Service Unavailable", "text/plain", format!("{e}\n")),
        },
        "/" => (
            "200 OK",
            "text/plain",
            "keepalived-rs metrics: GET /metrics\n".into(),
        ),
        _ => ("404 Not Found", "text/plain", "not found\n".into()),
    }
}

type Labels = Vec<(String, String)>;

fn counter_family(reg: &mut Registry, name: &str, help: &str) -> Family<Labels, Counter> {
    let f = Family::<Labels, Counter>::default();
    reg.register(name, help, f.clone());
    f
}

fn gauge_family(reg: &mut Registry, name: &str, help: &str) -> Family<Labels, Gauge> {
    let f = Family::<Labels, Gauge>::default();
    reg.register(name, help, f.clone());
    f
}

fn with(labels: &Labels, k: &str, v: &str) -> Labels {
    let mut l = labels.clone();
    l.push((k.to_string(), v.to_string()));
    l
}

fn gauge_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The exposition text for one status copy (metric names are prefixed
/// `keepalived_rs_`; counters get `_total`).
pub fn encode(s: &Status) -> Result<String, std::fmt::Error> {
    let mut reg = Registry::with_prefix("keepalived_rs");
    let uptime = Gauge::<i64>::default();
    reg.register(
        "uptime_seconds",
        "Seconds since the daemon started",
        uptime.clone(),
    );
    uptime.set(gauge_i64(s.uptime_secs));

    let state = gauge_family(
        &mut reg,
        "instance_state",
        "1 for the instance's current VRRP state, 0 for the others",
    );
    let prio = gauge_family(&mut reg, "instance_priority", "Configured priority");
    let eprio = gauge_family(
        &mut reg,
        "instance_effective_priority",
        "Priority after trackers (what adverts carry)",
    );
    let transitions = counter_family(&mut reg, "instance_transitions", "State changes");
    let sent = counter_family(&mut reg, "instance_adverts_sent", "Adverts sent");
    let rcvd = counter_family(&mut reg, "instance_adverts_received", "Adverts received");
    let became = counter_family(&mut reg, "instance_became_master", "Transitions to MASTER");
    let released = counter_family(
        &mut reg,
        "instance_released_master",
        "Transitions out of MASTER",
    );
    let p0_sent = counter_family(
        &mut reg,
        "instance_priority_zero_sent",
        "Priority-0 adverts sent",
    );
    let p0_rcvd = counter_family(
        &mut reg,
        "instance_priority_zero_received",
        "Priority-0 adverts received",
    );
    let rx_err = counter_family(
        &mut reg,
        "instance_rx_errors",
        "Adverts the instance dropped, by reason",
    );
    let rx_ev = counter_family(
        &mut reg,
        "instance_rx_events",
        "Adverts accepted with a remark (mismatches, ignored lower priority), by kind",
    );
    let track = gauge_family(
        &mut reg,
        "instance_tracker_up",
        "1 while a tracker of the instance is up, 0 while down (scripts without a result and files omitted)",
    );
    for i in &s.instances {
        let l: Labels = vec![
            ("instance".into(), i.name.clone()),
            ("interface".into(), i.interface.clone()),
            ("vrid".into(), i.vrid.to_string()),
            ("family".into(), i.family.clone()),
        ];
        for st in ["INIT", "BACKUP", "MASTER", "FAULT"] {
            state
                .get_or_create(&with(&l, "state", st))
                .set(i64::from(i.state == st));
        }
        prio.get_or_create(&l).set(i64::from(i.base_priority));
        eprio.get_or_create(&l).set(i64::from(i.effective_priority));
        let c = &i.counters;
        transitions.get_or_create(&l).inc_by(i.transitions);
        sent.get_or_create(&l).inc_by(c.adverts_sent);
        rcvd.get_or_create(&l).inc_by(c.adverts_received);
        became.get_or_create(&l).inc_by(c.became_master);
        released.get_or_create(&l).inc_by(c.released_master);
        p0_sent.get_or_create(&l).inc_by(c.priority_zero_sent);
        p0_rcvd.get_or_create(&l).inc_by(c.priority_zero_received);
        for (reason, n) in c.rx_errors() {
            rx_err.get_or_create(&with(&l, "reason", reason)).inc_by(n);
        }
        for (kind, n) in c.rx_events() {
            rx_ev.get_or_create(&with(&l, "kind", kind)).inc_by(n);
        }
        for t in &i.trackers {
            let up = match t.state.as_str() {
                "up" => 1,
                "down" => 0,
                _ => continue,
            };
            let tl = vec![
                ("instance".to_string(), i.name.clone()),
                ("kind".to_string(), t.kind.clone()),
                ("tracker".to_string(), t.name.clone()),
            ];
            track.get_or_create(&tl).set(up);
        }
    }

    let src_up = gauge_family(
        &mut reg,
        "tracker_up",
        "1 while a tracker is up, 0 while down (scripts without a result omitted)",
    );
    let file_val = gauge_family(&mut reg, "track_file_value", "Value of a track_file");
    for t in &s.trackers {
        let l: Labels = vec![
            ("kind".into(), t.kind.clone()),
            ("tracker".into(), t.name.clone()),
        ];
        if let Some(up) = t.up {
            src_up.get_or_create(&l).set(i64::from(up));
        }
        if let Some(v) = t.value {
            file_val.get_or_create(&l).set(v);
        }
    }

    let d = &s.dispatch;
    let malformed = counter_family(
        &mut reg,
        "rx_malformed",
        "Malformed VRRP datagrams, by decode error",
    );
    for (r, n) in &d.malformed_by_reason {
        malformed
            .get_or_create(&vec![("reason".into(), r.clone())])
            .inc_by(*n);
    }
    let refused = counter_family(
        &mut reg,
        "rx_refused",
        "Adverts refused before an instance saw them (unicast checks), by reason",
    );
    for (r, n) in &d.refused {
        refused
            .get_or_create(&vec![("reason".into(), r.clone())])
            .inc_by(*n);
    }
    for (name, help, v) in [
        ("rx_truncated", "Truncated datagrams", d.truncated),
        (
            "rx_unknown_vrid",
            "Adverts for a VRID no instance has",
            d.unknown_vrid,
        ),
        (
            "rx_ah_rejected",
            "AH adverts refused (SPI, ICV, replay)",
            d.ah_rejected,
        ),
        (
            "tx_errors",
            "Adverts or GARPs that could not be sent",
            d.send_errors,
        ),
    ] {
        let c = Counter::<u64>::default();
        c.inc_by(v);
        reg.register(name, help, c);
    }

    let groups = gauge_family(
        &mut reg,
        "sync_group_state",
        "1 for the sync group's state (MIXED while members differ)",
    );
    for g in &s.groups {
        for st in ["INIT", "BACKUP", "MASTER", "FAULT", "MIXED"] {
            groups
                .get_or_create(&vec![
                    ("group".into(), g.name.clone()),
                    ("state".into(), st.into()),
                ])
                .set(i64::from(g.state == st));
        }
    }

    let runs = counter_family(&mut reg, "script_runs", "vrrp_script runs completed");
    let failures = counter_family(
        &mut reg,
        "script_failures",
        "vrrp_script runs that failed (non-zero exit, killed or timed out)",
    );
    for sc in &s.scripts {
        let l: Labels = vec![("script".into(), sc.name.clone())];
        runs.get_or_create(&l).inc_by(sc.runs);
        failures.get_or_create(&l).inc_by(sc.failures);
    }

    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &reg)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn exposition_has_every_instance_series() {
        let s = crate::status::tests::sample();
        let text = encode(&s).expect("encode");
        let l = r#"instance="VI_1",interface="eth0",vrid="51",family="inet""#;
        assert_eq!(
            value(
                &text,
                &format!("keepalived_rs_instance_state{{{l},state=\"MASTER\"}}")
            ),
            Some(1.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("keepalived_rs_instance_state{{{l},state=\"BACKUP\"}}")
            ),
            Some(0.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("keepalived_rs_instance_effective_priority{{{l}}}")
            ),
            Some(140.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("keepalived_rs_instance_adverts_sent_total{{{l}}}")
            ),
            Some(340.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("keepalived_rs_instance_rx_errors_total{{{l},reason=\"ttl\"}}")
            ),
            Some(2.0)
        );
        assert_eq!(
            value(
                &text,
                r#"keepalived_rs_instance_tracker_up{instance="VI_1",kind="track_script",tracker="chk_web"}"#
            ),
            Some(0.0)
        );
        assert_eq!(
            value(
                &text,
                r#"keepalived_rs_rx_malformed_total{reason="bad checksum"}"#
            ),
            Some(3.0)
        );
        assert_eq!(
            value(&text, "keepalived_rs_rx_unknown_vrid_total"),
            Some(1.0)
        );
        assert_eq!(
            value(
                &text,
                r#"keepalived_rs_sync_group_state{group="G1",state="MIXED"}"#
            ),
            Some(1.0)
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn script_runs_and_failures_are_counters() {
        let mut s = crate::status::tests::sample();
        let text = encode(&s).expect("encode");
        assert_eq!(
            value(
                &text,
                r#"keepalived_rs_script_runs_total{script="chk_web"}"#
            ),
            Some(17.0)
        );
        assert_eq!(
            value(
                &text,
                r#"keepalived_rs_script_failures_total{script="chk_web"}"#
            ),
            Some(5.0)
        );
        assert!(text.contains("# TYPE keepalived_rs_script_runs counter"));
        // No script: no series, but the family is still described.
        s.scripts.clear();
        let text = encode(&s).expect("encode");
        assert!(!text.contains("keepalived_rs_script_runs_total{"));
    }

    #[test]
    fn only_get_metrics_is_served() {
        let snap: Snapshot = Rc::new(|| Ok(crate::status::tests::sample()));
        assert_eq!(respond("GET /metrics HTTP/1.1\r\n\r\n", &snap).0, "200 OK");
        assert_eq!(
            respond("GET /nope HTTP/1.1\r\n\r\n", &snap).0,
            "404 Not Found"
        );
        assert_eq!(
            respond("POST /metrics HTTP/1.1\r\n\r\n", &snap).0,
            "405 Method Not Allowed"
        );
        let busy: Snapshot = Rc::new(|| Err("engine busy".into()));
        assert_eq!(
            respond("GET /metrics HTTP/1.1\r\n\r\n", &busy).0,
            "503 Service Unavailable"
        );
    }
}
