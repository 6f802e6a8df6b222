//! Structure-aware fuzzing: each input byte picks a fragment of
//! keepalived.conf (keywords, values, braces, quotes, definitions, loops,
//! conditionals), so the fuzzer reaches deep parser states that random bytes
//! rarely hit.  Same oracle as `parse`: no panic, every diagnostic renders.
#![no_main]

use keepalived_config::{parse_str, LoadOptions};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const FRAGMENTS: &[&str] = &[
    "\n",
    " ",
    "\t",
    "{",
    "}",
    "\"",
    "'",
    "#",
    "!",
    "\\",
    "$",
    "@fuzz ",
    "@^fuzz ",
    "@other ",
    "$X=",
    "$Y=\\\n",
    "$X",
    "${X}",
    "${_RANDOM 1 3}",
    "${_INSTANCE}",
    "${_HASH}",
    "$_PWD",
    "~SEQ(i,1,3) ",
    "~SEQx(i,0,255) ",
    "~LST(i,a,b) ",
    "~LST({a,b},{1,2}) ",
    "$i",
    "include x.conf",
    "include_check",
    "global_defs",
    "vrrp_instance",
    "VI_1",
    "vrrp_sync_group",
    "group",
    "vrrp_script",
    "script",
    "interval",
    "weight",
    "rise",
    "fall",
    "state",
    "MASTER",
    "BACKUP",
    "interface",
    "eth0",
    "virtual_router_id",
    "priority",
    "advert_int",
    "nopreempt",
    "preempt_delay",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "192.0.2.1",
    "192.0.2.0/24",
    "2001:db8::1/64",
    "dev",
    "label",
    "scope",
    "unicast_src_ip",
    "unicast_peer",
    "authentication",
    "auth_type",
    "PASS",
    "AH",
    "auth_pass",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "notify_master",
    "notify",
    "\"/bin/echo 'a b' \\x41\"",
    "root",
    ":grp",
    "garp_master_delay",
    "use_vmac",
    "vrrp_version",
    "3",
    "0",
    "1",
    "255",
    "256",
    "-1",
    "1.5",
    "0.000001",
    "99999999999999999999",
    "on",
    "off",
    "true",
    "yes",
    "no",
    "router_id",
    "vrrp_mcast_group4",
    "224.0.0.18",
    "enable_script_security",
    "script_user",
    "smtp_alert",
    "notification_email",
];

fuzz_target!(|data: &[u8]| {
    let mut text = String::new();
    let mut loops = 0;
    for &b in data {
        let f = FRAGMENTS[usize::from(b) % FRAGMENTS.len()];
        // Nested loops legitimately expand to the 100,000-line cap per
        // physical line (e.g. `~SEQx(i,0,255) ~SEQx(i,0,255) x`), which takes
        // seconds under ASAN and starves the fuzzer; one loop per input keeps
        // it fast.  The `parse` target still sees nested loops.
        if f.starts_with('~') {
            loops += 1;
            if loops > 1 {
                continue;
            }
        }
        text.push_str(f);
        if b & 0x80 != 0 {
            text.push(' ');
        }
    }
    let opts = LoadOptions {
        config_id: Some("fuzz".into()),
        no_includes: true,
        ..LoadOptions::default()
    };
    let loaded = parse_str(
        &text,
        Path::new("/nonexistent-keepalived-rs-fuzz/k.conf"),
        &opts,
    );
    for d in &loaded.diagnostics {
        assert!(d.location.line >= 1, "line 0 in {d}");
        let _ = loaded.render(d);
    }
});
