//! `--dump-config`: the fully resolved configuration written back in
//! keepalived.conf syntax. Includes, definitions and conditionals are already
//! expanded and every default is filled in, so the output is a single file
//! that parses back to the same model (locations aside) — a round-trip the
//! tests check, which also keeps this writer complete as the model grows.

use crate::decimal::format_us;
use crate::model::*;
use std::fmt::Write as _;

/// Writes keepalived.conf text with consistent indentation.
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn line(&mut self, words: &[&str]) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        self.out.push_str(&words.join(" "));
        self.out.push('\n');
    }

    fn open(&mut self, words: &[&str]) {
        let mut w: Vec<&str> = words.to_vec();
        w.push("{");
        self.line(&w);
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.line(&["}"]);
    }
}

/// A word as keepalived's tokenizer will read it back: quoted when it holds
/// blanks, comment characters, braces or quotes' neighbours. keepalived has no
/// escapes, so a value containing `"` itself cannot be quoted; it is written
/// bare (such values cannot come from a config keepalived reads either).
pub fn quote(word: &str) -> String {
    let needs = word.is_empty()
        || word.chars().any(|c| {
            c.is_whitespace() || matches!(c, '#' | '!' | '{' | '}' | '"' | '$' | '@' | '~')
        });
    if needs && !word.contains('"') {
        format!("\"{word}\"")
    } else {
        word.to_string()
    }
}

/// The whole configuration as keepalived.conf text.
pub fn dump(config: &Config) -> String {
    let mut w = Writer {
        out: String::new(),
        depth: 0,
    };
    let _ = writeln!(
        w.out,
        "# keepalived-rs --dump-config: resolved configuration (includes, definitions and conditionals expanded, defaults filled)"
    );
    global(&mut w, &config.global);
    for inst in &config.instances {
        instance(&mut w, inst);
    }
    w.out
}

fn global(w: &mut Writer, g: &GlobalDefs) {
    w.open(&["global_defs"]);
    if let Some(id) = &g.router_id {
        w.line(&["router_id", &quote(id)]);
    }
    w.line(&["vrrp_version", &g.vrrp_version.to_string()]);
    w.line(&["vrrp_garp_master_delay", &g.garp_master_delay_s.to_string()]);
    w.line(&["vrrp_garp_master_repeat", &g.garp_master_repeat.to_string()]);
    w.line(&["vrrp_mcast_group4", &g.mcast_group4.to_string()]);
    w.close();
}

fn instance(w: &mut Writer, i: &VrrpInstance) {
    w.open(&["vrrp_instance", &quote(&i.name)]);
    let state = match i.state {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    };
    w.line(&["state", state]);
    if let Some(ifname) = &i.interface {
        w.line(&["interface", &quote(ifname)]);
    }
    w.line(&["virtual_router_id", &i.virtual_router_id.to_string()]);
    w.line(&["priority", &i.priority.to_string()]);
    w.line(&["version", &i.version.to_string()]);
    w.line(&["advert_int", &format_us(i.advert_int_us)]);
    if i.nopreempt {
        w.line(&["nopreempt"]);
    }
    if i.preempt_delay_us > 0 {
        w.line(&["preempt_delay", &format_us(i.preempt_delay_us)]);
    }
    w.line(&["garp_master_delay", &i.garp_master_delay_s.to_string()]);
    w.line(&["garp_master_repeat", &i.garp_master_repeat.to_string()]);
    if let Some(Authentication::Pass(p)) = &i.authentication {
        let len = p.iter().position(|b| *b == 0).unwrap_or(p.len());
        let pass = String::from_utf8_lossy(&p[..len]).into_owned();
        w.open(&["authentication"]);
        w.line(&["auth_type", "PASS"]);
        w.line(&["auth_pass", &quote(&pass)]);
        w.close();
    }
    if let Some(src) = &i.unicast_src_ip {
        w.line(&["unicast_src_ip", &src.to_string()]);
    }
    if !i.unicast_peers.is_empty() {
        w.open(&["unicast_peer"]);
        for p in &i.unicast_peers {
            w.line(&[&p.to_string()]);
        }
        w.close();
    }
    if !i.virtual_ipaddress.is_empty() {
        w.open(&["virtual_ipaddress"]);
        for v in &i.virtual_ipaddress {
            vip(w, v);
        }
        w.close();
    }
    track(w, &i.track);
    w.close();
}

fn vip(w: &mut Writer, v: &VirtualIp) {
    let addr = format!("{}/{}", v.addr, v.prefix_len);
    let mut words: Vec<String> = vec![addr];
    if let Some(dev) = &v.dev {
        words.push("dev".into());
        words.push(quote(dev));
    }
    if let Some(label) = &v.label {
        words.push("label".into());
        words.push(quote(label));
    }
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    w.line(&refs);
}

fn track(w: &mut Writer, entries: &[TrackRef]) {
    for kind in [
        TrackKind::Interface,
        TrackKind::Script,
        TrackKind::File,
        TrackKind::Process,
        TrackKind::Bfd,
    ] {
        let of_kind: Vec<&TrackRef> = entries.iter().filter(|t| t.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let kw = match kind {
            TrackKind::Interface => "track_interface",
            TrackKind::Script => "track_script",
            TrackKind::File => "track_file",
            TrackKind::Process => "track_process",
            TrackKind::Bfd => "track_bfd",
        };
        w.open(&[kw]);
        for t in of_kind {
            let mut words = vec![quote(&t.name)];
            if let Some(weight) = t.weight {
                words.push("weight".into());
                words.push(weight.to_string());
            }
            match t.reverse {
                Some(true) => words.push("reverse".into()),
                Some(false) => words.push("noreverse".into()),
                None => {}
            }
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            w.line(&refs);
        }
        w.close();
    }
}
