//! `--dump-config`: the fully resolved configuration written back in
//! keepalived.conf syntax. Includes, definitions and conditionals are already
//! expanded and every default is filled in, so the output is a single file
//! that parses back to the same model (locations aside) — a round-trip the
//! tests check, which also keeps this writer complete as the model grows.
//!
//! Order of the output follows keepalived's order dependences (§2.2, §2.10):
//! root globals and `global_defs` first, then the tracker definitions
//! (`vrrp_script`, `vrrp_track_process`, `track_file`, `bfd_instance`), the
//! static blocks and small root blocks, the instances, the sync groups
//! (whose trackers must also be defined before them) and the track groups.
//!
//! Instance values that keepalived copies from `global_defs` (when the
//! instance is allocated or completed) are written explicitly in the
//! instance, so the dump does not depend on where the original `global_defs`
//! blocks were. The one exception is `skip_check_adv_addr`, which keepalived
//! turns on for any value: an instance that had it off while the global
//! value is on is handled by writing `vrrp_skip_check_adv_addr` in a second
//! `global_defs` after the instances.

use crate::decimal::format_us;
use crate::model::*;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

/// Writes keepalived.conf text with consistent indentation.
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn line<S: AsRef<str>>(&mut self, words: &[S]) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        let mut first = true;
        for w in words {
            if !first {
                self.out.push(' ');
            }
            first = false;
            self.out.push_str(w.as_ref());
        }
        self.out.push('\n');
    }

    /// A line whose text is already assembled (script keywords).
    fn raw(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn kv(&mut self, kw: &str, value: impl std::fmt::Display) {
        self.line(&[kw.to_string(), value.to_string()]);
    }

    fn flag(&mut self, kw: &str, on: bool) {
        if on {
            self.line(&[kw]);
        }
    }

    fn boolean(&mut self, kw: &str, v: bool) {
        self.line(&[kw, if v { "true" } else { "false" }]);
    }

    fn open<S: AsRef<str>>(&mut self, words: &[S]) {
        let mut w: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
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

/// One word of a script keyword's line (command, user or group), written so
/// that keepalived's outer script tokenizer (blanks separate, `"…"` and
/// `'…'` group and adjacent pieces join) gives `word` back, while the line
/// tokenizer and comment stripping (which only know `"`) see every `#`, `!`,
/// brace and blank as quoted.
///
/// Runs without `"` are wrapped in the quote that keeps the line-level `"`
/// parity "inside": `"…"` while the parity is even, `'…'` (with any `'`
/// written as `"'"`) once an odd number of literal `"` has been written;
/// each literal `"` is written as `'"'`.
pub fn script_word(word: &str) -> String {
    if word.is_empty() {
        return "\"\"".to_string();
    }
    let simple = !word.chars().any(|c| {
        crate::lexer::is_blank(c) || matches!(c, '#' | '!' | '{' | '}' | '"' | '\'' | '$' | '~')
    });
    if simple {
        return word.to_string();
    }
    let mut out = String::new();
    let mut odd = false;
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String, odd: bool| {
        if run.is_empty() {
            return;
        }
        if odd {
            out.push('\'');
            out.push_str(run);
            out.push('\'');
        } else {
            out.push('"');
            out.push_str(run);
            out.push('"');
        }
        run.clear();
    };
    for c in word.chars() {
        match c {
            '"' => {
                flush(&mut run, &mut out, odd);
                out.push_str("'\"'");
                odd = !odd;
            }
            '\'' if odd => {
                flush(&mut run, &mut out, odd);
                out.push_str("\"'\"");
            }
            _ => run.push(c),
        }
    }
    flush(&mut run, &mut out, odd);
    out
}

fn path(p: &Path) -> String {
    quote(&p.to_string_lossy())
}

/// `KW COMMAND [USER [GROUP]]`.
fn script(w: &mut Writer, kw: &str, s: &Script) {
    let mut text = format!("{kw} {}", script_word(&s.raw));
    // A group can only be given after a user.
    if s.user.is_some() || s.group.is_some() {
        let _ = write!(text, " {}", script_word(s.user.as_deref().unwrap_or("")));
    }
    if let Some(g) = &s.group {
        let _ = write!(text, " {}", script_word(g));
    }
    w.raw(&text);
}

fn opt_script(w: &mut Writer, kw: &str, s: &Option<Script>) {
    if let Some(s) = s {
        script(w, kw, s);
    }
}

/// `USER[:GROUP]` as `run_as` reads it back.
fn run_as(r: &RunAs) -> String {
    match &r.group {
        Some(g) => quote(&format!("{}:{g}", r.user)),
        None => quote(&r.user),
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
    root_globals(&mut w, &config.root);
    // skip_check_adv_addr cannot be turned off in an instance (any value
    // turns it on): when an instance has it off but the global is on, the
    // global is set only after the instances.
    let late_skip = config.global.skip_check_adv_addr
        && config.instances.iter().any(|i| !i.opts.skip_check_adv_addr);
    global(&mut w, &config.global, !late_skip);
    for s in &config.scripts {
        vrrp_script(&mut w, s);
    }
    for p in &config.track_processes {
        track_process(&mut w, p);
    }
    for f in &config.track_files {
        track_file(&mut w, f);
    }
    for b in &config.bfd_instances {
        w.open(&["bfd_instance", &quote(b)]);
        w.close();
    }
    if !config.static_ipaddress.is_empty() {
        w.open(&["static_ipaddress"]);
        for v in &config.static_ipaddress {
            vip(&mut w, v);
        }
        w.close();
    }
    if !config.static_routes.is_empty() {
        w.open(&["static_routes"]);
        for r in &config.static_routes {
            w.line(&route(r));
        }
        w.close();
    }
    if !config.static_rules.is_empty() {
        w.open(&["static_rules"]);
        for r in &config.static_rules {
            w.line(&rule(r));
        }
        w.close();
    }
    for g in &config.garp_groups {
        garp_group(&mut w, g);
    }
    if !config.linkbeat_interfaces.is_empty() {
        w.open(&["linkbeat_interfaces"]);
        for l in &config.linkbeat_interfaces {
            let mut words = vec![quote(&l.name)];
            match l.kind {
                LinkbeatKind::Default => {}
                LinkbeatKind::Mii => words.push("MII".into()),
                LinkbeatKind::Ethtool => words.push("ETHTOOL".into()),
                LinkbeatKind::Ioctl => words.push("IOCTL".into()),
            }
            w.line(&words);
        }
        w.close();
    }
    if !config.interface_delays.is_empty() {
        w.open(&["interface_up_down_delays"]);
        for d in &config.interface_delays {
            w.line(&[quote(&d.name), format_us(d.down_us), format_us(d.up_us)]);
        }
        w.close();
    }
    for inst in &config.instances {
        instance(&mut w, inst, &config.global);
    }
    if late_skip {
        w.open(&["global_defs"]);
        w.line(&["vrrp_skip_check_adv_addr"]);
        w.close();
    }
    for g in &config.sync_groups {
        sync_group(&mut w, g);
    }
    for g in &config.track_groups {
        w.open(&["track_group", &quote(&g.name)]);
        w.open(&["group"]);
        for m in &g.members {
            w.line(&[quote(m)]);
        }
        w.close();
        w.close();
    }
    w.out
}

fn root_globals(w: &mut Writer, r: &RootGlobals) {
    if let Some(ns) = &r.net_namespace {
        w.kv("net_namespace", quote(ns));
    }
    match r.net_namespace_ipvs.as_deref() {
        None => {}
        Some("") => w.line(&["net_namespace_ipvs"]),
        Some(ns) => w.kv("net_namespace_ipvs", quote(ns)),
    }
    w.flag("namespace_with_ipsets", r.namespace_with_ipsets);
    w.flag("use_pid_dir", r.use_pid_dir);
    if let Some(i) = &r.instance {
        w.kv("instance", quote(i));
    }
    if let Some(t) = r.child_wait_time_s {
        w.kv("child_wait_time", t);
    }
    w.flag("linkbeat_use_polling", r.linkbeat_use_polling);
}

fn fifo(w: &mut Writer, kw: &str, f: &Option<NotifyFifo>) {
    if let Some(f) = f {
        let mut words = vec![kw.to_string(), path(&f.path)];
        if let Some(u) = &f.user {
            words.push(quote(u));
            if let Some(g) = &f.group {
                words.push(quote(g));
            }
        }
        w.line(&words);
    }
}

fn global(w: &mut Writer, g: &GlobalDefs, with_skip_check: bool) {
    w.open(&["global_defs"]);
    if let Some(id) = &g.router_id {
        w.kv("router_id", quote(id));
    }
    w.kv("vrrp_version", g.vrrp_version);
    w.boolean("vrrp_strict", g.strict);
    w.kv("vrrp_mcast_group4", g.mcast_group4);
    w.kv("vrrp_mcast_group6", g.mcast_group6);
    if let Some(i) = &g.default_interface {
        w.kv("default_interface", quote(i));
    }
    w.kv("vrrp_garp_master_delay", g.garp_master_delay_s);
    w.kv("vrrp_garp_master_repeat", g.garp_master_repeat);
    w.kv("vrrp_garp_master_refresh", g.garp_master_refresh_s);
    w.kv(
        "vrrp_garp_master_refresh_repeat",
        g.garp_master_refresh_repeat,
    );
    if let Some(v) = g.garp_lower_prio_delay_s {
        w.kv("vrrp_garp_lower_prio_delay", v);
    }
    if let Some(v) = g.garp_lower_prio_repeat {
        w.kv("vrrp_garp_lower_prio_repeat", v);
    }
    // 0 = not set (the keyword's minimum is 1 µs).
    if g.garp_interval_us > 0 {
        w.kv("vrrp_garp_interval", format_us(g.garp_interval_us));
    }
    if g.gna_interval_us > 0 {
        w.kv("vrrp_gna_interval", format_us(g.gna_interval_us));
    }
    w.boolean("vrrp_min_garp", g.min_garp);
    if let Some(x) = &g.garp_extra_if {
        garp_extra_if(w, "vrrp_garp_extra_if", x);
    }
    w.kv("vrrp_down_timer_adverts", g.down_timer_adverts);
    w.boolean("vrrp_lower_prio_no_advert", g.lower_prio_no_advert);
    w.boolean("vrrp_higher_prio_send_advert", g.higher_prio_send_advert);
    w.flag("vrrp_check_unicast_src", g.check_unicast_src);
    if with_skip_check {
        w.boolean("vrrp_skip_check_adv_addr", g.skip_check_adv_addr);
    }
    w.boolean("vrrp_owner_ignore_adverts", g.owner_ignore_adverts);
    w.boolean("v3_checksum_as_v2", g.v3_checksum_as_v2);
    w.boolean("vrrp_notify_priority_changes", g.notify_priority_changes);
    fifo(w, "notify_fifo", &g.notify_fifo);
    opt_script(w, "notify_fifo_script", &g.notify_fifo_script);
    fifo(w, "vrrp_notify_fifo", &g.vrrp_notify_fifo);
    opt_script(w, "vrrp_notify_fifo_script", &g.vrrp_notify_fifo_script);
    w.flag(
        "fifo_write_vrrp_states_on_reload",
        g.fifo_write_vrrp_states_on_reload,
    );
    if let Some(r) = &g.script_user {
        w.kv("script_user", run_as(r));
    }
    w.flag("enable_script_security", g.enable_script_security);
    if g.dynamic_interfaces_allow_if_changes {
        w.line(&["dynamic_interfaces", "allow_if_changes"]);
    } else {
        w.flag("dynamic_interfaces", g.dynamic_interfaces);
    }
    if g.startup_delay_us > 0 {
        w.kv("vrrp_startup_delay", format_us(g.startup_delay_us));
    }
    if g.delay_after_boot_us > 0 {
        w.kv("vrrp_delay_after_boot", format_us(g.delay_after_boot_us));
    }
    w.flag("log_unknown_vrids", g.log_unknown_vrids);
    if let Some(p) = &g.vmac_prefix {
        w.kv("vmac_prefix", quote(p));
    }
    if let Some(p) = &g.vmac_addr_prefix {
        w.kv("vmac_addr_prefix", quote(p));
    }
    if let Some(t) = &g.nftables {
        w.kv("nftables", quote(t));
    }
    w.kv("nftables_priority", g.nftables_priority);
    w.flag("nftables_counters", g.nftables_counters);
    w.flag("nftables_ifindex", g.nftables_ifindex);
    if let Some(ipt) = &g.iptables {
        let mut words = vec!["vrrp_iptables".to_string()];
        if let Some(i) = &ipt.in_chain {
            words.push(quote(i));
            if let Some(o) = &ipt.out_chain {
                words.push(quote(o));
            }
        }
        w.line(&words);
    }
    if let Some(sets) = &g.ipsets {
        let mut words = vec!["vrrp_ipsets".to_string()];
        words.extend(sets.iter().map(|s| quote(s)));
        w.line(&words);
    }
    w.flag("disable_local_igmp", g.disable_local_igmp);
    match g.rx_bufs_policy {
        None => {}
        Some(RxBufsPolicy::Mtu) => w.kv("vrrp_rx_bufs_policy", "MTU"),
        Some(RxBufsPolicy::Advert) => w.kv("vrrp_rx_bufs_policy", "ADVERT"),
        Some(RxBufsPolicy::Size(n)) => w.kv("vrrp_rx_bufs_policy", n),
    }
    w.kv("vrrp_rx_bufs_multiplier", g.rx_bufs_multiplier);
    if let Some(b) = g.smtp_alert {
        w.boolean("smtp_alert", b);
    }
    if let Some(b) = g.smtp_alert_vrrp {
        w.boolean("smtp_alert_vrrp", b);
    }
    if !g.notification_email.is_empty() {
        w.open(&["notification_email"]);
        for e in &g.notification_email {
            w.line(&[quote(e)]);
        }
        w.close();
    }
    if let Some(f) = &g.notification_email_from {
        w.kv("notification_email_from", quote(f));
    }
    if let Some(s) = &g.smtp_server {
        w.line(&[
            "smtp_server".to_string(),
            quote(&s.host),
            s.port.to_string(),
        ]);
    }
    if let Some(h) = &g.smtp_helo_name {
        w.kv("smtp_helo_name", quote(h));
    }
    w.kv("smtp_connect_timeout", g.smtp_connect_timeout_s);
    w.flag("no_email_faults", g.no_email_faults);
    if let Some(p) = g.vrrp_priority {
        w.kv("vrrp_priority", p);
    }
    w.flag("vrrp_no_swap", g.vrrp_no_swap);
    if let Some(p) = g.vrrp_rt_priority {
        w.kv("vrrp_rt_priority", p);
    }
    if !g.vrrp_cpu_affinity.is_empty() {
        let mut words = vec!["vrrp_cpu_affinity".to_string()];
        words.extend(g.vrrp_cpu_affinity.iter().map(u32::to_string));
        w.line(&words);
    }
    if let Some(v) = g.vrrp_rlimit_rttime_us {
        w.kv("vrrp_rlimit_rttime", v);
    }
    if let Some(v) = g.max_auto_priority {
        w.kv("max_auto_priority", v);
    }
    if let Some(v) = g.min_auto_priority_delay_us {
        w.kv("min_auto_priority_delay", v);
    }
    for (kw, v) in [
        ("vrrp_process_name", &g.vrrp_process_name),
        ("process_name", &g.process_name),
    ] {
        match v.as_deref() {
            None => {}
            Some("") => w.line(&[kw]),
            Some(n) => w.kv(kw, quote(n)),
        }
    }
    w.flag("process_names", g.process_names);
    for (kw, v) in [
        ("state_dump_file", &g.state_dump_file),
        ("stats_dump_file", &g.stats_dump_file),
        ("json_dump_file", &g.json_dump_file),
    ] {
        if let Some(p) = v {
            w.kv(kw, path(p));
        }
    }
    w.kv("json_version", g.json_version);
    if let Some(a) = g.metrics_listen {
        w.kv("metrics_listen", a);
    }
    opt_script(w, "startup_script", &g.startup_script);
    w.kv("startup_script_timeout", g.startup_script_timeout_s);
    opt_script(w, "shutdown_script", &g.shutdown_script);
    w.kv("shutdown_script_timeout", g.shutdown_script_timeout_s);
    w.boolean("use_symlink_paths", g.use_symlink_paths);
    for (kw, args, _) in &g.other {
        let mut words = vec![kw.clone()];
        words.extend(args.iter().map(|a| quote(a)));
        w.line(&words);
    }
    w.close();
}

fn garp_extra_if(w: &mut Writer, kw: &str, x: &GarpExtraIf) {
    if x.all {
        w.line(&[kw.to_string(), "all".into(), x.interval_s.to_string()]);
    } else {
        w.kv(kw, x.interval_s);
    }
}

/// `weight W [reverse]` of a tracker definition.
fn def_weight(w: &mut Writer, weight: i32, reverse: bool) {
    let mut words = vec!["weight".to_string(), weight.to_string()];
    if reverse {
        words.push("reverse".into());
    }
    w.line(&words);
}

fn vrrp_script(w: &mut Writer, s: &VrrpScript) {
    w.open(&["vrrp_script", &quote(&s.name)]);
    script(w, "script", &s.script);
    w.kv("interval", format_us(s.interval_us));
    w.kv("timeout", format_us(s.timeout_us));
    def_weight(w, s.weight, s.weight_reverse);
    w.kv("rise", s.rise);
    w.kv("fall", s.fall);
    if let Some(u) = &s.user {
        w.kv("user", run_as(u));
    }
    w.flag("init_fail", s.init_fail);
    w.close();
}

fn track_process(w: &mut Writer, p: &TrackProcess) {
    w.open(&["vrrp_track_process", &quote(&p.name)]);
    let mut words = vec!["process".to_string(), quote(&p.process)];
    words.extend(p.params.iter().map(|a| quote(a)));
    w.line(&words);
    match p.param_match {
        ParamMatch::Unset => {}
        ParamMatch::Exact => w.line(&["param_match"]),
        ParamMatch::Initial => w.kv("param_match", "initial"),
        ParamMatch::Partial => w.kv("param_match", "partial"),
    }
    def_weight(w, p.weight, p.weight_reverse);
    w.kv("quorum", p.quorum);
    if let Some(m) = p.quorum_max {
        w.kv("quorum_max", m);
    }
    for (kw, v) in [
        ("delay", p.delay_us),
        ("fork_delay", p.fork_delay_us),
        ("terminate_delay", p.terminate_delay_us),
    ] {
        if let Some(v) = v {
            w.kv(kw, format_us(v));
        }
    }
    w.flag("full_command", p.full_command);
    w.close();
}

fn track_file(w: &mut Writer, f: &TrackFile) {
    w.open(&["track_file", &quote(&f.name)]);
    w.kv("file", path(&f.file));
    def_weight(w, f.weight, f.weight_reverse);
    if let Some(i) = &f.init_file {
        let mut words = vec!["init_file".to_string(), i.value.to_string()];
        if i.overwrite {
            words.push("overwrite".into());
        }
        w.line(&words);
    }
    w.close();
}

fn garp_group(w: &mut Writer, g: &GarpGroup) {
    w.open(&["garp_group"]);
    if let Some(v) = g.garp_interval_us {
        w.kv("garp_interval", format_us(v));
    }
    if let Some(v) = g.gna_interval_us {
        w.kv("gna_interval", format_us(v));
    }
    w.open(&["interfaces"]);
    for i in &g.interfaces {
        w.line(&[quote(i)]);
    }
    w.close();
    w.close();
}

fn sync_group(w: &mut Writer, g: &SyncGroup) {
    w.open(&["vrrp_sync_group", &quote(&g.name)]);
    w.open(&["group"]);
    for m in &g.members {
        w.line(&[quote(m)]);
    }
    w.close();
    track(w, &g.track);
    opt_script(w, "notify_master", &g.notify_master);
    opt_script(w, "notify_backup", &g.notify_backup);
    opt_script(w, "notify_fault", &g.notify_fault);
    opt_script(w, "notify_stop", &g.notify_stop);
    opt_script(w, "notify", &g.notify);
    if let Some(b) = g.smtp_alert {
        w.boolean("smtp_alert", b);
    }
    if let Some(b) = g.notify_priority_changes {
        w.boolean("notify_priority_changes", b);
    }
    w.flag("sync_group_tracking_weight", g.tracking_weight);
    w.close();
}

fn mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn instance(w: &mut Writer, i: &VrrpInstance, g: &GlobalDefs) {
    let o = &i.opts;
    w.open(&["vrrp_instance", &quote(&i.name)]);
    let state = match i.state {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    };
    w.kv("state", state);
    if let Some(ifname) = &i.interface {
        w.kv("interface", quote(ifname));
    }
    w.kv("virtual_router_id", i.virtual_router_id);
    w.kv("priority", i.priority);
    w.kv("version", i.version);
    w.kv("advert_int", format_us(i.advert_int_us));
    w.boolean("strict_mode", o.strict_mode);
    w.flag("nopreempt", i.nopreempt);
    if i.preempt_delay_us > 0 {
        w.kv("preempt_delay", format_us(i.preempt_delay_us));
    }
    w.line(&[if o.accept { "accept" } else { "no_accept" }]);
    w.flag("promote_secondaries", o.promote_secondaries);
    w.flag("dont_track_primary", o.dont_track_primary);
    match &i.authentication {
        None => {}
        Some(Authentication::Pass(p)) => authentication(w, "PASS", p),
        Some(Authentication::Ah(p)) => authentication(w, "AH", p),
    }
    if let Some(h) = &o.auth_hmac {
        auth_hmac(w, h);
    }
    if let Some(src) = &o.mcast_src_ip {
        w.kv("mcast_src_ip", src);
    }
    if let Some(src) = &i.unicast_src_ip {
        w.kv("unicast_src_ip", src);
    }
    w.flag("track_src_ip", o.track_src_ip);
    if let Some(dst) = &o.mcast_dst_ip {
        w.kv("mcast_dst_ip", dst);
    }
    if !o.unicast_peer.is_empty() {
        w.open(&["unicast_peer"]);
        for p in &o.unicast_peer {
            let mut words = vec![p.addr.to_string()];
            if let Some(t) = p.min_ttl {
                words.push("min_ttl".into());
                words.push(t.to_string());
            }
            if let Some(t) = p.max_ttl {
                words.push("max_ttl".into());
                words.push(t.to_string());
            }
            w.line(&words);
        }
        w.close();
    }
    w.flag("unicast_fault_no_peer", o.unicast_fault_no_peer);
    // check_unicast_src also comes from the global keyword and from peer
    // TTL limits; written only when neither explains it (writing it marks
    // the instance "unicast configured").
    let ttl_limits = o
        .unicast_peer
        .iter()
        .any(|p| p.min_ttl.is_some() || p.max_ttl.is_some());
    w.flag(
        "check_unicast_src",
        o.check_unicast_src && !g.check_unicast_src && !ttl_limits,
    );
    if let Some(t) = o.unicast_ttl {
        w.kv("unicast_ttl", t);
    }
    match o.old_unicast_checksum {
        OldUnicastChecksum::Auto => {}
        OldUnicastChecksum::Always => w.line(&["old_unicast_checksum"]),
        OldUnicastChecksum::Never => w.kv("old_unicast_checksum", "never"),
    }
    w.boolean("v3_checksum_as_v2", o.v3_checksum_as_v2);
    if let Some(v) = &o.use_vmac {
        let mut words = vec!["use_vmac".to_string()];
        if let Some(n) = &v.name {
            words.push("name".into());
            words.push(quote(n));
        }
        if let Some(m) = &v.mac {
            words.push(mac(m));
        }
        if v.netlink_notify_msg {
            words.push("netlink_notify_msg".into());
        }
        if let Some(gr) = v.group {
            words.push("group".into());
            words.push(gr.to_string());
        }
        w.line(&words);
    }
    w.flag("use_vmac_addr", o.use_vmac_addr);
    w.flag("vmac_xmit_base", o.vmac_xmit_base);
    if let Some(v) = &o.use_ipvlan {
        let mut words = vec!["use_ipvlan".to_string()];
        if let Some(n) = &v.name {
            words.push("name".into());
            words.push(quote(n));
        }
        if let Some((a, l)) = &v.addr {
            words.push(format!("{a}/{l}"));
        }
        words.push(
            match v.mode {
                IpvlanMode::Bridge => "bridge",
                IpvlanMode::Private => "private",
                IpvlanMode::Vepa => "vepa",
            }
            .into(),
        );
        if let Some(gr) = v.group {
            words.push("group".into());
            words.push(gr.to_string());
        }
        w.line(&words);
    }
    if let Some(v) = &o.vrf {
        w.kv("vrf", quote(v));
    }
    w.kv("garp_master_delay", i.garp_master_delay_s);
    w.kv("garp_master_repeat", i.garp_master_repeat);
    w.kv("garp_master_refresh", o.garp_master_refresh_s);
    w.kv("garp_master_refresh_repeat", o.garp_master_refresh_repeat);
    w.kv("garp_lower_prio_delay", o.garp_lower_prio_delay_s);
    w.kv("garp_lower_prio_repeat", o.garp_lower_prio_repeat);
    if let Some(x) = &o.garp_extra_if {
        garp_extra_if(w, "garp_extra_if", x);
    }
    w.kv("down_timer_adverts", o.down_timer_adverts);
    w.boolean("lower_prio_no_advert", o.lower_prio_no_advert);
    w.boolean("higher_prio_send_advert", o.higher_prio_send_advert);
    // Only meaningful (and only kept) for the address owner.
    if i.priority == 255 {
        w.boolean("owner_ignore_adverts", o.owner_ignore_adverts);
    }
    if let Some(p) = o.timer_expired_backup {
        w.kv("timer_expired_backup", p);
    }
    w.flag("skip_check_adv_addr", o.skip_check_adv_addr);
    if !i.virtual_ipaddress.is_empty() {
        w.open(&["virtual_ipaddress"]);
        for v in &i.virtual_ipaddress {
            vip(w, v);
        }
        w.close();
    }
    w.flag("no_virtual_ipaddress", o.no_virtual_ipaddress);
    if !o.virtual_ipaddress_excluded.is_empty() {
        w.open(&["virtual_ipaddress_excluded"]);
        for v in &o.virtual_ipaddress_excluded {
            vip(w, v);
        }
        w.close();
    }
    if !o.virtual_routes.is_empty() {
        w.open(&["virtual_routes"]);
        for r in &o.virtual_routes {
            w.line(&route(r));
        }
        w.close();
    }
    if !o.virtual_rules.is_empty() {
        w.open(&["virtual_rules"]);
        for r in &o.virtual_rules {
            w.line(&rule(r));
        }
        w.close();
    }
    track(w, &i.track);
    let n = &o.notify;
    opt_script(w, "notify_master", &n.master);
    opt_script(w, "notify_backup", &n.backup);
    opt_script(w, "notify_fault", &n.fault);
    opt_script(w, "notify_stop", &n.stop);
    opt_script(w, "notify", &n.notify);
    opt_script(w, "notify_master_rx_lower_pri", &n.master_rx_lower_pri);
    if n.deleted {
        match &n.deleted_script {
            Some(s) => script(w, "notify_deleted", s),
            None => w.line(&["notify_deleted"]),
        }
    }
    if let Some(b) = o.notify_priority_changes {
        w.boolean("notify_priority_changes", b);
    }
    if let Some(b) = o.smtp_alert {
        w.boolean("smtp_alert", b);
    }
    if let Some(v) = o.kernel_rx_buf_size {
        w.kv("kernel_rx_buf_size", v);
    }
    if let Some(v) = o.debug {
        w.kv("debug", v);
    }
    w.close();
}

fn authentication(w: &mut Writer, ty: &str, p: &[u8; 8]) {
    let len = p.iter().position(|b| *b == 0).unwrap_or(p.len());
    let pass = String::from_utf8_lossy(&p[..len]).into_owned();
    w.open(&["authentication"]);
    w.kv("auth_type", ty);
    w.kv("auth_pass", quote(&pass));
    w.close();
}

fn auth_hmac(w: &mut Writer, h: &AuthHmac) {
    w.open(&["auth_hmac"]);
    for k in &h.keys {
        let secret = match &k.key {
            HmacKeySource::Bytes(b) => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                format!("hex:{hex}")
            }
            HmacKeySource::File(p) => quote(&format!("file:{}", p.to_string_lossy())),
        };
        w.line(&["key".to_string(), k.id.to_string(), secret]);
    }
    if let Some(a) = h.active_key {
        w.kv("active_key", a);
    }
    w.kv(
        "anti_replay",
        match h.anti_replay {
            HmacAntiReplay::Time => "time",
            HmacAntiReplay::Monotonic => "monotonic",
        },
    );
    if let Some(t) = h.time_window_s {
        w.kv("time_window", t);
    }
    w.kv(
        "mode",
        match h.mode {
            HmacMode::Enforce => "enforce",
            HmacMode::Permissive => "permissive",
            HmacMode::ReceiveOnly => "receive-only",
        },
    );
    w.close();
}

fn scope(s: Scope) -> String {
    match s {
        Scope::Global => "global".into(),
        Scope::Site => "site".into(),
        Scope::Link => "link".into(),
        Scope::Host => "host".into(),
        Scope::Nowhere => "nowhere".into(),
        Scope::Other(v) => v.to_string(),
    }
}

fn max_len(a: &IpAddr) -> u8 {
    if a.is_ipv4() {
        32
    } else {
        128
    }
}

fn vip(w: &mut Writer, v: &VirtualIp) {
    // `peer` does not combine with a written prefix length (the model then
    // has the host length).
    let addr = if v.peer.is_some() && v.prefix_len == max_len(&v.addr) {
        v.addr.to_string()
    } else {
        format!("{}/{}", v.addr, v.prefix_len)
    };
    let mut words: Vec<String> = vec![addr];
    if let Some(dev) = &v.dev {
        words.push("dev".into());
        words.push(quote(dev));
    }
    if let Some(b) = &v.broadcast {
        words.push("brd".into());
        words.push(match b {
            Broadcast::Addr(a) => a.to_string(),
            Broadcast::HostBitsSet => "+".into(),
            Broadcast::HostBitsClear => "-".into(),
        });
    }
    if let Some(s) = v.scope {
        words.push("scope".into());
        words.push(scope(s));
    }
    if let Some(label) = &v.label {
        words.push("label".into());
        words.push(quote(label));
    }
    if let Some((a, l)) = &v.peer {
        words.push("peer".into());
        words.push(format!("{a}/{l}"));
    }
    for (on, kw) in [
        (v.home, "home"),
        (v.nodad, "-nodad"),
        (v.mngtmpaddr, "mngtmpaddr"),
        (v.noprefixroute, "noprefixroute"),
        (v.autojoin, "autojoin"),
        (v.no_track, "no_track"),
        (v.use_vmac, "use_vmac"),
    ] {
        if on {
            words.push(kw.into());
        }
    }
    match v.preferred_lft {
        None => {}
        Some(PreferredLft::Forever) => {
            words.push("preferred_lft".into());
            words.push("forever".into());
        }
        Some(PreferredLft::Seconds(s)) => {
            words.push("preferred_lft".into());
            words.push(s.to_string());
        }
    }
    if let Some(g) = &v.track_group {
        words.push("track_group".into());
        words.push(quote(g));
    }
    w.line(&words);
}

fn table(t: &RouteTable) -> String {
    match t {
        RouteTable::Id(n) => n.to_string(),
        RouteTable::Name(n) => quote(n),
    }
}

fn realms(r: &Realms) -> String {
    match r.from {
        Some(f) => format!("{f}/{}", r.to),
        None => r.to.to_string(),
    }
}

fn metric(words: &mut Vec<String>, kw: &str, m: &Option<Metric>) {
    if let Some(m) = m {
        words.push(kw.into());
        if m.lock {
            words.push("lock".into());
        }
        words.push(m.value.to_string());
    }
}

fn time_metric(words: &mut Vec<String>, kw: &str, m: &Option<TimeMetric>) {
    if let Some(m) = m {
        words.push(kw.into());
        if m.lock {
            words.push("lock".into());
        }
        words.push(format!("{}us", m.us));
    }
}

fn route(r: &Route) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let ty = match r.route_type {
        RouteType::Unicast => None,
        RouteType::Local => Some("local"),
        RouteType::Broadcast => Some("broadcast"),
        RouteType::Multicast => Some("multicast"),
        RouteType::Throw => Some("throw"),
        RouteType::Unreachable => Some("unreachable"),
        RouteType::Prohibit => Some("prohibit"),
        RouteType::Blackhole => Some("blackhole"),
    };
    if let Some(t) = ty {
        words.push(t.into());
    }
    words.push(match &r.dst {
        Some(d) => format!("{}/{}", d.addr, d.len),
        None => "default".into(),
    });
    if let Some(a) = &r.src {
        words.push("src".into());
        words.push(a.to_string());
    }
    if let Some(p) = &r.from {
        words.push("from".into());
        words.push(format!("{}/{}", p.addr, p.len));
    }
    if let Some(a) = &r.via {
        words.push("via".into());
        words.push(a.to_string());
    }
    if let Some(d) = &r.dev {
        words.push("dev".into());
        words.push(quote(d));
    }
    if let Some(t) = &r.table {
        words.push("table".into());
        words.push(table(t));
    }
    if let Some(m) = r.metric {
        words.push("metric".into());
        words.push(m.to_string());
    }
    if let Some(s) = r.scope {
        words.push("scope".into());
        words.push(scope(s));
    }
    if let Some(p) = r.protocol {
        words.push("protocol".into());
        words.push(p.to_string());
    }
    if let Some(t) = r.tos {
        words.push("tos".into());
        words.push(t.to_string());
    }
    if r.onlink {
        words.push("onlink".into());
    }
    if let Some(re) = &r.realms {
        words.push("realms".into());
        words.push(realms(re));
    }
    metric(&mut words, "mtu", &r.mtu);
    metric(&mut words, "advmss", &r.advmss);
    metric(&mut words, "hoplimit", &r.hoplimit);
    time_metric(&mut words, "rtt", &r.rtt);
    time_metric(&mut words, "rttvar", &r.rttvar);
    metric(&mut words, "reordering", &r.reordering);
    metric(&mut words, "window", &r.window);
    metric(&mut words, "cwnd", &r.cwnd);
    metric(&mut words, "ssthresh", &r.ssthresh);
    time_metric(&mut words, "rto_min", &r.rto_min);
    metric(&mut words, "initcwnd", &r.initcwnd);
    metric(&mut words, "initrwnd", &r.initrwnd);
    if r.features_ecn {
        words.push("features".into());
        words.push("ecn".into());
    }
    if let Some(q) = r.quickack {
        words.push("quickack".into());
        words.push(if q { "1" } else { "0" }.into());
    }
    if let Some((name, lock)) = &r.congctl {
        words.push("congctl".into());
        if *lock {
            words.push("lock".into());
        }
        words.push(quote(name));
    }
    if let Some(p) = r.pref {
        words.push("pref".into());
        words.push(
            match p {
                RoutePref::Low => "low",
                RoutePref::Medium => "medium",
                RoutePref::High => "high",
            }
            .into(),
        );
    }
    if let Some(f) = r.fastopen_no_cookie {
        words.push("fastopen_no_cookie".into());
        words.push(if f { "1" } else { "0" }.into());
    }
    if let Some(t) = r.ttl_propagate {
        words.push("ttl-propagate".into());
        words.push(if t { "enabled" } else { "disabled" }.into());
    }
    if let Some(e) = r.expires_s {
        words.push("expires".into());
        words.push(e.to_string());
    }
    for nh in &r.nexthops {
        words.push("nexthop".into());
        if let Some(a) = &nh.via {
            words.push("via".into());
            words.push(a.to_string());
        }
        if let Some(d) = &nh.dev {
            words.push("dev".into());
            words.push(quote(d));
        }
        words.push("weight".into());
        words.push(nh.weight.to_string());
        if nh.onlink {
            words.push("onlink".into());
        }
    }
    if let Some(v) = &r.vrf {
        words.push("vrf".into());
        words.push(quote(v));
    }
    match r.family_v6 {
        None => {}
        Some(false) => words.push("inet".into()),
        Some(true) => words.push("inet6".into()),
    }
    match r.op {
        RouteOp::Add => {}
        RouteOp::Prepend => words.push("prepend".into()),
        RouteOp::Append => words.push("append".into()),
    }
    if r.no_track {
        words.push("no_track".into());
    }
    if let Some(g) = &r.track_group {
        words.push("track_group".into());
        words.push(quote(g));
    }
    // Last: `encap` takes every following word up to a route option.
    if let Some(e) = &r.encap {
        words.push("encap".into());
        words.extend(e.iter().map(|x| quote(x)));
    }
    words
}

fn port_range(p: &PortRange) -> String {
    if p.start == p.end {
        p.start.to_string()
    } else {
        format!("{}-{}", p.start, p.end)
    }
}

fn rule(r: &Rule) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let prefix = |p: &Option<IpPrefix>| match p {
        Some(p) => format!("{}/{}", p.addr, p.len),
        None => "all".into(),
    };
    if r.from.is_some() || r.to.is_none() {
        words.push("from".into());
        words.push(prefix(&r.from));
    }
    if r.to.is_some() {
        words.push("to".into());
        words.push(prefix(&r.to));
    }
    if r.invert {
        words.push("not".into());
    }
    if let Some(i) = &r.iif {
        words.push("iif".into());
        words.push(quote(i));
    }
    if let Some(i) = &r.oif {
        words.push("oif".into());
        words.push(quote(i));
    }
    if let Some(t) = r.tos {
        words.push("tos".into());
        words.push(t.to_string());
    }
    if let Some((v, m)) = r.fwmark {
        words.push("fwmark".into());
        words.push(match m {
            Some(m) => format!("{v}/{m}"),
            None => v.to_string(),
        });
    }
    if let Some(p) = r.priority {
        words.push("priority".into());
        words.push(p.to_string());
    }
    match &r.action {
        None => {}
        Some(RuleAction::Table(t)) => {
            words.push("table".into());
            words.push(table(t));
        }
        Some(RuleAction::Goto(n)) => {
            words.push("goto".into());
            words.push(n.to_string());
        }
        Some(RuleAction::Nop) => words.push("nop".into()),
        Some(RuleAction::Blackhole) => {
            words.push("type".into());
            words.push("blackhole".into());
        }
        Some(RuleAction::Unreachable) => {
            words.push("type".into());
            words.push("unreachable".into());
        }
        Some(RuleAction::Prohibit) => {
            words.push("type".into());
            words.push("prohibit".into());
        }
    }
    if let Some(re) = &r.realms {
        words.push("realms".into());
        words.push(realms(re));
    }
    if let Some(v) = r.suppress_prefixlength {
        words.push("suppress_prefixlength".into());
        words.push(v.to_string());
    }
    if let Some(v) = r.suppress_ifgroup {
        words.push("suppress_ifgroup".into());
        words.push(v.to_string());
    }
    if let Some((a, b)) = r.uidrange {
        words.push("uidrange".into());
        words.push(format!("{a}-{b}"));
    }
    if r.l3mdev {
        words.push("l3mdev".into());
    }
    if let Some(p) = r.protocol {
        words.push("protocol".into());
        words.push(p.to_string());
    }
    if let Some(p) = r.ipproto {
        words.push("ipproto".into());
        words.push(p.to_string());
    }
    if let Some(p) = &r.sport {
        words.push("sport".into());
        words.push(port_range(p));
    }
    if let Some(p) = &r.dport {
        words.push("dport".into());
        words.push(port_range(p));
    }
    if let Some(t) = r.tunnel_id {
        words.push("tunnel-id".into());
        words.push(t.to_string());
    }
    match r.family_v6 {
        None => {}
        Some(false) => words.push("inet".into()),
        Some(true) => words.push("inet6".into()),
    }
    if r.no_track {
        words.push("no_track".into());
    }
    if let Some(g) = &r.track_group {
        words.push("track_group".into());
        words.push(quote(g));
    }
    words
}

fn track_keyword(kind: TrackKind) -> &'static str {
    match kind {
        TrackKind::Interface => "track_interface",
        TrackKind::Script => "track_script",
        TrackKind::File => "track_file",
        TrackKind::Process => "track_process",
        TrackKind::Bfd => "track_bfd",
    }
}

/// `track_*` blocks in model order: one block per run of entries of the same
/// kind, split where a name repeats (a block drops its own duplicates).
fn track(w: &mut Writer, entries: &[TrackRef]) {
    let mut i = 0;
    while i < entries.len() {
        let kind = entries[i].kind;
        let mut names: Vec<&str> = Vec::new();
        w.open(&[track_keyword(kind)]);
        while let Some(t) = entries.get(i) {
            if t.kind != kind || names.contains(&t.name.as_str()) {
                break;
            }
            names.push(&t.name);
            let mut words = vec![quote(&t.name)];
            if let Some(weight) = t.weight {
                words.push("weight".into());
                words.push(weight.to_string());
                match t.reverse {
                    Some(true) => words.push("reverse".into()),
                    Some(false) => words.push("noreverse".into()),
                    None => {}
                }
            }
            w.line(&words);
            i += 1;
        }
        w.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{split_command, split_outer};

    #[test]
    fn script_words_survive_the_outer_split() {
        for raw in [
            "/bin/x",
            "/bin/x 'a b' c",
            "/bin/echo \"hi there\" # ! { }",
            "a\"b#c\"d'e f'g",
            "it's \"x 'y' z\"",
            "\\x41\\t",
        ] {
            let enc = script_word(raw);
            let line = format!("{enc} user grp");
            let outer = split_outer(&line);
            assert_eq!(outer.words, [raw, "user", "grp"], "{enc}");
            assert_eq!(split_command(&outer.words[0]), split_command(raw));
        }
    }
}
