//! `--dump-config` round-trip: the dump of a configuration parses back to an
//! equal model (locations aside), for the shipped examples, Debian's samples
//! when installed, and generated configurations.

use keepalived_config::{dump, load_file, parse_str, Config, LoadOptions, Loaded};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// `Debug` of the model with every `Location { .. }` removed: a reparsed dump
/// has its tokens at other places, everything else must be equal.
fn without_locations(config: &Config) -> String {
    let text = format!("{config:#?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("Location {") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        // Location's Debug has no nested braces: skip to its closing brace.
        match after.find('}') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn opts() -> LoadOptions {
    LoadOptions {
        config_id: Some("lb1".to_string()),
        ..LoadOptions::default()
    }
}

/// Diagnostics of Error severity or worse.
fn errors(loaded: &Loaded) -> Vec<String> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity >= keepalived_config::Severity::Error)
        .map(|d| d.to_string())
        .collect()
}

/// The dump of `loaded` parses back to an equal model and, when `loaded` had
/// no Error/Security/Fatal diagnostic, so does the dump.
fn assert_round_trip(loaded: &Loaded, what: &str) {
    let config = &loaded.config;
    let text = dump(config);
    let again = parse_str(&text, Path::new("dump.conf"), &opts());
    let errors = if errors(loaded).is_empty() {
        errors(&again)
    } else {
        Vec::new()
    };
    assert!(
        errors.is_empty(),
        "{what}: the dump does not parse cleanly:\n{}\n--- dump ---\n{text}",
        errors.join("\n")
    );
    let (want, got) = (without_locations(config), without_locations(&again.config));
    if want != got {
        // Only the differing lines: the whole model is long.
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(12)
            .map(|(i, (a, b))| format!("line {i}:\n  want {a}\n  got  {b}"))
            .collect();
        panic!(
            "{what}: the dump parses back to a different model ({} vs {} lines):\n{}\n--- dump ---\n{text}",
            want.lines().count(),
            got.lines().count(),
            diff.join("\n")
        );
    }
}

fn conf_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("tests/data/keepalived.conf")];
    for dir in [
        root.join("../../conf"),
        PathBuf::from("/usr/share/doc/keepalived/samples"),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".conf") || n.starts_with("keepalived.conf"))
                })
                .collect();
            found.sort();
            files.extend(found);
        }
    }
    files
}

#[test]
fn dumps_of_example_configs_round_trip() -> Result<(), Box<dyn std::error::Error>> {
    let files = conf_files();
    assert!(
        files.len() >= 4,
        "expected the example configs, found {files:?}"
    );
    for f in files {
        let loaded = load_file(&f, &opts())?;
        assert_round_trip(&loaded, &f.display().to_string());
    }
    Ok(())
}

/// Option lines (or groups of lines) drawn as a random subsequence.
fn some_of(lines: &[&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    let n = lines.len();
    prop::sample::subsequence(lines.to_vec(), 0..=n)
}

/// `global_defs` values (instances copy several of them, §2.2).
fn global_text() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9_]{0,10}",
        some_of(&[
            "vrrp_version 3",
            "vrrp_mcast_group4 224.0.0.19",
            "vrrp_mcast_group6 ff02::13",
            "default_interface eth3",
            "vrrp_garp_master_delay 2",
            "vrrp_garp_master_repeat 3",
            "vrrp_garp_master_refresh 60",
            "vrrp_garp_master_refresh_repeat 2",
            "vrrp_garp_lower_prio_delay 7",
            "vrrp_garp_lower_prio_repeat 4",
            "vrrp_garp_interval 0.001",
            "vrrp_gna_interval 0.25",
            "vrrp_min_garp true",
            "vrrp_garp_extra_if all 30",
            "vrrp_down_timer_adverts 5",
            "vrrp_lower_prio_no_advert",
            "vrrp_higher_prio_send_advert true",
            "vrrp_check_unicast_src",
            "vrrp_skip_check_adv_addr",
            "vrrp_owner_ignore_adverts",
            "v3_checksum_as_v2 yes",
            "vrrp_notify_priority_changes on",
            "notify_fifo /run/k.fifo root wheel",
            "vrrp_notify_fifo /run/v.fifo",
            "vrrp_notify_fifo_script \"/usr/bin/fifo 'a b'\" nobody",
            "fifo_write_vrrp_states_on_reload",
            "script_user nobody:nogroup",
            "dynamic_interfaces allow_if_changes",
            "vrrp_startup_delay 2.5",
            "vrrp_delay_after_boot 30",
            "log_unknown_vrids",
            "vmac_prefix vr",
            "vmac_addr_prefix va",
            "nftables kt",
            "nftables_priority -5",
            "nftables_counters",
            "nftables_ifindex",
            "vrrp_iptables IN OUT",
            "vrrp_ipsets a b c",
            "disable_local_igmp",
            "vrrp_rx_bufs_policy ADVERT",
            "vrrp_rx_bufs_multiplier 4",
            "smtp_alert",
            "smtp_alert_vrrp false",
            "notification_email {\n  a@example.org b@example.org\n  c@example.org\n}",
            "notification_email_from k@example.org",
            "smtp_server 192.0.2.25 2525",
            "smtp_helo_name mx",
            "smtp_connect_timeout 12",
            "no_email_faults",
            "vrrp_priority -10",
            "vrrp_no_swap",
            "vrrp_rt_priority 50",
            "vrrp_cpu_affinity 0 2",
            "vrrp_rlimit_rttime 10000",
            "max_auto_priority",
            "min_auto_priority_delay 500",
            "vrrp_process_name",
            "process_name kad",
            "process_names",
            "state_dump_file /tmp/s.txt",
            "json_dump_file \"/tmp/j k.json\"",
            "json_version 2",
            "metrics_listen [2001:db8::9]:9650",
            "startup_script \"/bin/start 'x y'\" root",
            "startup_script_timeout 20",
            "shutdown_script /bin/stop",
            "use_symlink_paths",
            "umask 022",
            "enable_snmp_vrrp",
        ]),
    )
        .prop_map(|(router, lines)| {
            let mut s = format!("global_defs {{\n  router_id {router}\n  enable_script_security\n");
            for l in lines {
                s.push_str(l);
                s.push('\n');
            }
            s.push_str("}\n");
            s
        })
}

/// Tracker definitions, named `chk_N`, `proc_N`, `file_N`.
fn trackers_text() -> impl Strategy<Value = (String, usize, usize, usize)> {
    let script = (
        prop::sample::select(vec![
            "/bin/true",
            "\"/bin/check 'a b' c\"",
            "'/bin/echo \"x # y\" z'",
            "\"/bin/x \\t\\x41 {q}\"",
        ]),
        some_of(&[
            "interval 1.5",
            "timeout 3",
            "weight -20 reverse",
            "weight 10",
            "rise 3",
            "fall 2",
            "user nobody",
            "init_fail",
        ]),
    );
    let process = some_of(&[
        "param_match initial",
        "weight 5 reverse",
        "quorum 2",
        "quorum_max 4",
        "delay 0.5",
        "fork_delay 1",
        "terminate_delay 2",
        "full_command",
    ]);
    let file = some_of(&["weight -7", "weight 3 reverse", "init_file 5 overwrite"]);
    (
        prop::collection::vec(script, 0..3),
        prop::collection::vec(process, 0..3),
        prop::collection::vec(file, 0..3),
    )
        .prop_map(|(scripts, procs, files)| {
            let mut s = String::new();
            for (i, (cmd, opts)) in scripts.iter().enumerate() {
                s.push_str(&format!("vrrp_script chk_{i} {{\n  script {cmd}\n"));
                for o in opts {
                    s.push_str(&format!("  {o}\n"));
                }
                s.push_str("}\n");
            }
            for (i, opts) in procs.iter().enumerate() {
                s.push_str(&format!(
                    "vrrp_track_process proc_{i} {{\n  process \"my daemon\" -c x\n"
                ));
                for o in opts {
                    s.push_str(&format!("  {o}\n"));
                }
                s.push_str("}\n");
            }
            for (i, opts) in files.iter().enumerate() {
                s.push_str(&format!("track_file file_{i} {{\n  file /run/f{i}\n"));
                for o in opts {
                    s.push_str(&format!("  {o}\n"));
                }
                s.push_str("}\n");
            }
            (s, scripts.len(), procs.len(), files.len())
        })
}

const ROUTES: &[&str] = &[
    "10.1.0.0/16 via 192.0.2.1 dev eth1 table 100 metric 5 protocol 18",
    "blackhole 10.2.0.0/16",
    "default via 192.0.2.254 src 192.0.2.10 onlink",
    "10.3.0.0/24 dev eth2 scope link mtu lock 1400 rtt 30ms rto_min lock 2s initcwnd 10",
    "unreachable 10.4.0.0/16 table main realms 2/3 features ecn quickack 1",
    "10.5.0.0/16 nexthop via 192.0.2.1 weight 2 nexthop via 192.0.2.2 dev eth1 onlink",
    "to 10.6.0.0/16 via 192.0.2.1 congctl lock cubic pref high expires 30 no_track",
    "2001:db8:1::/48 via fe80::1 dev eth1 fastopen_no_cookie 0 ttl-propagate enabled",
    "10.7.0.0/16 dev eth1 table custom append tos 8 advmss 1300 hoplimit 64",
    "10.8.0.0/16 dev eth1 encap mpls 200",
];

const RULES: &[&str] = &[
    "from 10.1.0.0/16 table 100",
    "from all to 10.2.0.0/16 priority 200 goto 300",
    "from 192.0.2.0/24 not iif eth1 oif eth2 tos 16 fwmark 0x10/0xff lookup main",
    "to 10.3.0.0/16 type blackhole priority 10",
    "from all nop realms 4 suppress_prefixlength 8",
    "from 10.4.0.0/16 uidrange 100-200 l3mdev protocol 4 ipproto udp sport 53 dport 1000-2000",
    "from 2001:db8::/32 table 200 inet6 tunnel-id 7 no_track",
    "from all suppress_ifgroup 3 type unreachable",
];

/// Instance options that strict mode leaves alone.
const STRICT_OK: &[&str] = &[
    "promote_secondaries",
    "dont_track_primary",
    "mcast_src_ip",
    "track_src_ip",
    "mcast_dst_ip",
    "v3_checksum_as_v2",
    "use_vmac_addr",
    "garp_master",
    "garp_extra_if",
    "notify",
    "smtp_alert",
    "kernel_rx_buf_size",
    "debug",
    "virtual_ipaddress_excluded",
];

/// Generated instance blocks: text in, model, dump, model again. `k` is the
/// instance's index (VRIDs and addresses are unique per index, so a clean
/// configuration stays clean); `t` the tracker counts defined earlier.
fn instance_text(k: usize, t: (usize, usize, usize)) -> impl Strategy<Value = String> {
    let (ns, np, nf) = t;
    (
        (
            1u8..=255,
            prop::sample::select(vec!["1", "2", "0.5", "3", "0.37"]),
            prop::bool::ANY,
            prop::bool::ANY,
            prop::option::of(0u32..=30),
            prop::collection::vec(8u8..=30, 1..4),
            prop::option::of(prop::bool::ANY),
            prop::bool::ANY,
            prop::sample::select(vec![false, false, false, true]),
        ),
        (
            some_of(&[
                "accept",
                "no_accept",
                "promote_secondaries",
                "dont_track_primary",
                "mcast_src_ip 198.51.100.250",
                "track_src_ip",
                "mcast_dst_ip 224.0.0.100",
                "v3_checksum_as_v2 false",
                "use_vmac name vrrp_x 02:11:22:33:44 netlink_notify_msg group 5",
                "use_vmac_addr",
                "vmac_xmit_base",
                "use_ipvlan ipv0 192.0.2.77/24 private group 2",
                "garp_master_delay 1",
                "garp_master_repeat 2",
                "garp_master_refresh 30",
                "garp_master_refresh_repeat 3",
                "garp_lower_prio_delay 4",
                "garp_lower_prio_repeat 6",
                "garp_extra_if 10",
                "down_timer_adverts 7",
                "lower_prio_no_advert false",
                "higher_prio_send_advert",
                "owner_ignore_adverts",
                "timer_expired_backup 200",
                "skip_check_adv_addr",
                "notify_master \"/bin/n 'm a'\"",
                "notify_backup /bin/b root",
                "notify_fault '/bin/f \"x y\"' root wheel",
                "notify_stop /bin/s",
                "notify \"/bin/all $x\"",
                "notify_master_rx_lower_pri /bin/l",
                "notify_deleted /bin/d",
                "notify_priority_changes true",
                "smtp_alert false",
                "kernel_rx_buf_size 65536",
                "debug 2",
                "auth_hmac {\n key 1 hex:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n key 2 file:/etc/k\n active_key 2\n anti_replay monotonic\n time_window 30\n mode permissive\n}",
                "virtual_ipaddress_excluded {\n 2001:db8::K/64 dev eth1\n 192.0.2.K use_vmac\n}",
                "no_virtual_ipaddress",
            ]),
            prop::option::of(prop::collection::vec(
                (1u8..=3, prop::option::of(0u8..=255), prop::option::of(0u8..=255)),
                1..3,
            )),
            prop::option::of(prop::bool::ANY),
            some_of(&[
                "dev eth1",
                "brd +",
                "scope link",
                "label eth0:K",
                "no_track",
                "preferred_lft 30",
                "noprefixroute",
                "autojoin",
                "use_vmac",
            ]),
            some_of(ROUTES),
            some_of(RULES),
            prop::collection::vec(
                (0usize..4, 0usize..3, prop::option::of((-30i32..30, prop::option::of(prop::bool::ANY)))),
                0..5,
            ),
        ),
    )
        .prop_map(
            move |(
                (prio, adv, v3, nopreempt, delay, vips, state, auth_ah, strict),
                (opts, peers, unicast_src, vip_opts, routes, rules, tracks),
            )| {
                let mut s = String::new();
                let vrid = k + 1;
                // Strict mode: VRRPv3, and only the options it allows.
                let v3 = v3 || strict;
                let opts: Vec<&str> = if strict {
                    opts.into_iter().filter(|o| STRICT_OK.iter().any(|p| o.starts_with(p))).collect()
                } else {
                    opts
                };
                let peers = if strict { None } else { peers };
                // Combinations keepalived rejects are left out, so that a
                // generated config is clean and its dump must be too.
                let hmac = opts.iter().any(|o| o.starts_with("auth_hmac"));
                let vmac = opts.iter().any(|o| o.starts_with("use_vmac "));
                let opts: Vec<&str> = opts
                    .into_iter()
                    .filter(|o| !(vmac && o.starts_with("use_ipvlan")))
                    .collect();
                let adv = if v3 { adv } else { "2" };
                let state = if strict || (auth_ah && !v3 && !hmac) { None } else { state };
                let delay = if strict { None } else { delay };
                let unicast_src = match (unicast_src, &peers) {
                    (Some(true), None) => None,
                    (x, _) => x,
                };
                s.push_str(&format!("vrrp_instance VI_{k} {{\n"));
                match state {
                    Some(true) => s.push_str("  state MASTER\n"),
                    Some(false) => s.push_str("  state BACKUP\n"),
                    None => {}
                }
                s.push_str(&format!("  interface eth{}\n", k % 4));
                s.push_str(&format!("  virtual_router_id {vrid}\n  priority {prio}\n"));
                s.push_str(&format!("  advert_int {adv}\n"));
                if v3 {
                    s.push_str("  version 3\n");
                } else if hmac {
                    s.push_str("  version 2\n");
                } else {
                    // Explicit: the global vrrp_version may be 3.
                    s.push_str("  version 2\n");
                    s.push_str(&format!(
                        "  authentication {{\n    auth_type {}\n    auth_pass \"s3 cret!#long\"\n  }}\n",
                        if auth_ah { "AH" } else { "PASS" }
                    ));
                }
                if strict {
                    s.push_str("  strict_mode\n");
                }
                if nopreempt {
                    s.push_str("  nopreempt\n");
                }
                if let Some(d) = delay {
                    s.push_str(&format!("  preempt_delay {d}\n"));
                }
                for o in opts {
                    s.push_str(&format!("  {}\n", o.replace('K', &(k + 1).to_string())));
                }
                if let Some(peers) = peers {
                    s.push_str("  unicast_peer {\n");
                    for (p, lo, hi) in peers {
                        s.push_str(&format!("    198.51.101.{p}"));
                        if let Some(lo) = lo {
                            s.push_str(&format!(" min_ttl {lo}"));
                        }
                        if let Some(hi) = hi {
                            s.push_str(&format!(" max_ttl {hi}"));
                        }
                        s.push('\n');
                    }
                    s.push_str("  }\n  unicast_ttl 9\n");
                }
                match unicast_src {
                    Some(true) => s.push_str(&format!("  unicast_src_ip 198.51.100.{}\n", 200 + k)),
                    Some(false) => s.push_str("  unicast_fault_no_peer\n  old_unicast_checksum never\n"),
                    None => {}
                }
                s.push_str("  virtual_ipaddress {\n");
                for (j, prefix) in vips.iter().enumerate() {
                    let host = k * 8 + j + 1;
                    s.push_str(&format!("    198.51.100.{host}/{prefix}"));
                    if j == 0 {
                        for o in &vip_opts {
                            s.push_str(&format!(" {}", o.replace('K', &host.to_string())));
                        }
                    }
                    s.push('\n');
                }
                s.push_str("  }\n");
                if !routes.is_empty() {
                    s.push_str("  virtual_routes {\n");
                    for r in &routes {
                        s.push_str(&format!("    {r}\n"));
                    }
                    s.push_str("  }\n");
                }
                if !rules.is_empty() {
                    s.push_str("  virtual_rules {\n");
                    for r in &rules {
                        s.push_str(&format!("    {r}\n"));
                    }
                    s.push_str("  }\n");
                }
                for (kind, idx, weight) in tracks {
                    let (kw, name) = match kind {
                        0 => ("track_interface", format!("eth{idx}")),
                        1 if ns > 0 => ("track_script", format!("chk_{}", idx % ns)),
                        2 if np > 0 => ("track_process", format!("proc_{}", idx % np)),
                        3 if nf > 0 => ("track_file", format!("file_{}", idx % nf)),
                        _ => continue,
                    };
                    s.push_str(&format!("  {kw} {{\n    {name}"));
                    if let Some((w, rev)) = weight {
                        s.push_str(&format!(" weight {w}"));
                        match rev {
                            Some(true) => s.push_str(" reverse"),
                            Some(false) if kind != 0 => s.push_str(" noreverse"),
                            _ => {}
                        }
                    }
                    s.push_str("\n  }\n");
                }
                s.push_str("}\n");
                s
            },
        )
}

/// Instances after their trackers, then root blocks that refer to them.
fn config_text() -> impl Strategy<Value = String> {
    (global_text(), trackers_text(), 1usize..4, prop::bool::ANY)
        .prop_flat_map(|(global, (trackers, ns, np, nf), n, late_global)| {
            let instances: Vec<_> = (0..n).map(|k| instance_text(k, (ns, np, nf))).collect();
            (
                Just(global),
                Just(trackers),
                instances,
                some_of(&[
                    "static_ipaddress {\n 203.0.113.1/24 dev eth1 scope host track_group TG\n 203.0.113.2 peer 203.0.113.3/32\n 2001:db8:9::1/64 -nodad home mngtmpaddr preferred_lft forever\n}",
                    "static_routes {\n 203.0.114.0/24 via 203.0.113.254 track_group TG\n}",
                    "static_rules {\n from 203.0.113.0/24 table 50 track_group TG\n}",
                    "garp_group {\n garp_interval 0.01\n gna_interval 0.02\n interface eth1\n interfaces {\n eth2 eth3\n }\n}",
                    "linkbeat_interfaces {\n eth1 MII\n eth2\n}",
                    "interface_up_down_delays {\n eth1 1.5\n eth2 2 0.5\n}",
                    "net_namespace_ipvs\nuse_pid_dir\ninstance inst1\nchild_wait_time 5\nlinkbeat_use_polling",
                ]),
                Just(late_global),
                prop::option::of((
                    some_of(&[
                        "notify_master \"/bin/g 'm'\"",
                        "notify /bin/gn nobody",
                        "smtp_alert",
                        "notify_priority_changes false",
                        "sync_group_tracking_weight",
                        "track_interface {\n eth7 weight 3\n}",
                    ]),
                    prop::bool::ANY,
                )),
            )
        })
        .prop_map(|(global, trackers, instances, roots, late_global, sync)| {
            let mut text = global;
            text.push_str(&trackers);
            for r in roots {
                text.push_str(r);
                text.push('\n');
            }
            for i in &instances {
                text.push_str(i);
            }
            if late_global {
                // After the instances: only instances parsed later would
                // copy these (§2.2 "order dependence").
                text.push_str("global_defs {\n vrrp_garp_master_delay 9\n vrrp_skip_check_adv_addr\n vrrp_down_timer_adverts 4\n}\n");
            }
            let names: Vec<String> = (0..instances.len()).map(|k| format!("VI_{k}")).collect();
            if let Some((opts, track_group)) = sync {
                text.push_str(&format!("vrrp_sync_group SG {{\n group {{\n {}\n }}\n", names.join(" ")));
                for o in opts {
                    text.push_str(o);
                    text.push('\n');
                }
                text.push_str("}\n");
                if track_group {
                    text.push_str(&format!("track_group TG {{\n group {{\n {}\n }}\n}}\n", names.join("\n")));
                }
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn generated_configs_round_trip(text in config_text()) {
        let loaded = parse_str(&text, Path::new("gen.conf"), &opts());
        assert_round_trip(&loaded, &text);
    }
}
