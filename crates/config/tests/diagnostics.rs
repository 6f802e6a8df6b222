//! Exact diagnostic texts and severities for bad inputs.

use keepalived_config::{parse_str, LoadOptions, Loaded, Severity};
use std::path::Path;

fn parse(text: &str) -> Loaded {
    let opts = LoadOptions {
        config_id: Some("node1".into()),
        ..LoadOptions::default()
    };
    parse_str(text, Path::new("/etc/keepalived/keepalived.conf"), &opts)
}

fn msgs(l: &Loaded) -> Vec<String> {
    l.diagnostics.iter().map(ToString::to_string).collect()
}

const F: &str = "/etc/keepalived/keepalived.conf";

fn inst(body: &str) -> String {
    format!("vrrp_instance VI_1 {{\n{body}\n}}\n")
}

#[test]
fn bad_vrid_is_error_then_fatal() {
    let l = parse(&inst(
        "  interface eth0\n  virtual_router_id 300\n  virtual_ipaddress { 10.0.0.1 }",
    ));
    assert_eq!(
        msgs(&l),
        [
            format!("{F}:3:21: error: invalid virtual_router_id '300' (must be 1..255)"),
            format!("{F}:1:1: error: vrrp_instance 'VI_1' has no virtual_router_id"),
        ]
    );
    assert_eq!(l.diagnostics[0].severity, Severity::Error);
    assert_eq!(l.diagnostics[1].severity, Severity::Fatal);
    assert!(l.has_fatal());
    assert!(l.config.instances.is_empty());
}

#[test]
fn bad_priority_uses_100() {
    let l = parse(&inst(
        "  interface eth0\n  virtual_router_id 5\n  priority 0\n  virtual_ipaddress { 10.0.0.1 }",
    ));
    assert_eq!(
        msgs(&l),
        [format!(
            "{F}:4:12: error: invalid priority '0' (must be 1..255); using 100"
        )]
    );
    assert_eq!(l.worst(), Some(Severity::Error));
    assert_eq!(l.config.instances[0].priority, 100);
    let l = parse(&inst(
        "  interface eth0\n  virtual_router_id 5\n  priority 10abc\n  virtual_ipaddress { 10.0.0.1 }",
    ));
    assert_eq!(
        msgs(&l),
        [format!(
            "{F}:4:12: error: invalid priority '10abc' (must be 1..255); using 100"
        )]
    );
}

#[test]
fn missing_parameter_is_fatal() {
    let l = parse(&inst(
        "  interface eth0\n  virtual_router_id 5\n  priority\n  virtual_ipaddress { 10.0.0.1 }",
    ));
    assert_eq!(
        msgs(&l),
        [format!("{F}:4:3: error: missing parameter for 'priority'")]
    );
    assert!(l.has_fatal());
    assert!(l.config.instances.is_empty());
}

#[test]
fn unknown_keywords() {
    let l = parse("foo bar\nglobal_defs {\n  no_such_thing 1\n}\n");
    assert_eq!(
        msgs(&l),
        [
            format!("{F}:1:1: error: unknown keyword 'foo'"),
            format!("{F}:3:3: error: unknown keyword 'no_such_thing'"),
        ]
    );
    // keepalived -t exits 5 on unknown keywords: Error, not Warning.
    assert_eq!(l.worst(), Some(Severity::Error));
}

#[test]
fn unknown_block_is_skipped_loudly() {
    let l = parse(&inst(
        "  interface eth0\n  foo_block { priority 77 }\n  virtual_router_id 5\n  virtual_ipaddress { 10.0.0.1 }",
    ));
    assert_eq!(
        msgs(&l),
        [format!(
            "{F}:3:3: error: unknown keyword 'foo_block' with a '{{' block: the whole block is skipped \
             (keepalived would instead read its contents as part of the enclosing block)"
        )]
    );
    let i = &l.config.instances[0];
    assert_eq!(i.priority, 100);
    assert_eq!(i.virtual_ipaddress.len(), 1);
}

#[test]
fn unbalanced_braces() {
    let l = parse("global_defs {\n  router_id x\n}\n}\n");
    assert_eq!(msgs(&l), [format!("{F}:4:1: error: extra '}}' - ignored")]);
    let l = parse("global_defs {\n  router_id x\n");
    assert_eq!(
        msgs(&l),
        [format!(
            "{F}:1:13: error: missing '}}' for the '{{' of 'global_defs' opened here"
        )]
    );
    assert_eq!(l.config.global.router_id.as_deref(), Some("x"));
}

#[test]
fn missing_interface_is_fatal() {
    let l = parse(&inst(
        "  virtual_router_id 5\n  virtual_ipaddress { 10.0.0.1 }",
    ));
    assert_eq!(
        msgs(&l),
        [format!(
            "{F}:1:1: error: vrrp_instance 'VI_1' has no interface (required unless unicast_src_ip is set)"
        )]
    );
    assert!(l.has_fatal());
}

#[test]
fn duplicate_vrid_is_fatal() {
    let text = "vrrp_instance A {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress { 10.0.0.1 }\n}\n\
                vrrp_instance B {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress { 10.0.0.2 }\n}\n\
                vrrp_instance C {\n interface eth1\n virtual_router_id 9\n virtual_ipaddress { 10.0.0.3 }\n}\n";
    let l = parse(text);
    assert_eq!(
        msgs(&l),
        [format!(
            "{F}:6:1: error: duplicate virtual_router_id 9 on interface eth0 (IPv4): \
             vrrp_instance 'B' conflicts with 'A' at {F}:1:1"
        )]
    );
    assert!(l.has_fatal());
    let names: Vec<&str> = l.config.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["A", "C"]);
}

#[test]
fn v3_without_vip_is_fatal() {
    let l = parse(&inst(
        "  interface eth0\n  version 3\n  virtual_router_id 5",
    ));
    assert_eq!(
        msgs(&l),
        [format!(
            "{F}:1:1: error: VRRPv3 vrrp_instance 'VI_1' has no virtual_ipaddress (at least one is required)"
        )]
    );
    assert!(l.has_fatal());
    let l = parse(&inst("  interface eth0\n  virtual_router_id 5"));
    assert_eq!(
        msgs(&l),
        [format!("{F}:1:1: warning: vrrp_instance 'VI_1' has no virtual_ipaddress; at least one is sensible")]
    );
}

#[test]
fn vip_problems() {
    let l = parse(&inst(
        "  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0 bogus\n    10.0.0.1/24 dev eth0\n    10.0.0.300\n    10.0.0.2/33\n    2001:db8::1\n    10.0.0.3 scope link\n    10.0.0.4 scope\n  }",
    ));
    assert_eq!(
        msgs(&l),
        [
            format!("{F}:5:26: error: unknown virtual_ipaddress option 'bogus' for '10.0.0.1/24' - ignored (address kept)"),
            format!("{F}:6:5: warning: duplicate virtual_ipaddress '10.0.0.1/24' (first at {F}:5:5) - ignored"),
            format!("{F}:7:5: error: invalid virtual_ipaddress '10.0.0.300' - ignored"),
            format!("{F}:8:5: error: invalid prefix length '33' in virtual_ipaddress '10.0.0.2/33' (must be 0..32) - ignored"),
            format!("{F}:9:5: error: virtual_ipaddress '2001:db8::1' is IPv6 but vrrp_instance 'VI_1' is IPv4 - ignored"),
            format!("{F}:10:14: warning: virtual_ipaddress option 'scope' is parsed but not yet supported by keepalived-rs (it has no effect yet)"),
            format!("{F}:11:14: error: missing value for 'scope' in virtual_ipaddress '10.0.0.4'"),
        ]
    );
    let addrs: Vec<String> = l.config.instances[0]
        .virtual_ipaddress
        .iter()
        .map(|v| v.addr.to_string())
        .collect();
    assert_eq!(addrs, ["10.0.0.1", "10.0.0.3", "10.0.0.4"]);
}

#[test]
fn global_problems() {
    let l = parse("global_defs {\n vrrp_version 4\n vrrp_mcast_group4 10.0.0.1\n vrrp_garp_master_repeat 0\n}\n");
    assert_eq!(
        msgs(&l),
        [
            format!("{F}:2:15: error: invalid vrrp_version '4' (must be 2..3)"),
            format!("{F}:3:20: error: invalid vrrp_mcast_group4 '10.0.0.1' (must be an IPv4 multicast address)"),
            format!("{F}:4:26: error: invalid vrrp_garp_master_repeat '0' (must be at least 1); using 1"),
        ]
    );
    assert_eq!(l.config.global.garp_master_repeat, 1);
}

#[test]
fn advert_int_out_of_range_and_rounding() {
    let l = parse(&inst(
        "  interface eth0\n  virtual_router_id 5\n  version 3\n  advert_int 0.0000001\n  preempt_delay 1.0000005\n  virtual_ipaddress { 10.0.0.1 }",
    ));
    assert_eq!(
        msgs(&l),
        [
            format!("{F}:5:14: error: invalid advert_int '0.0000001' (must be 0.01..255 seconds)"),
            format!("{F}:6:17: error: preempt_delay '1.0000005' has more than 6 decimal places; rounded to 1.000001"),
        ]
    );
    assert_eq!(l.config.instances[0].preempt_delay_us, 1_000_001);
}

#[test]
fn lvs_blocks_warned_once_each_and_trackers_parsed() {
    let l = parse(
        "virtual_server_group G {\n 1.2.3.4 80\n}\nvirtual_server 1.2.3.4 80 {\n real_server 5.6.7.8 80 { TCP_CHECK { connect_timeout 3 } }\n}\nSSL {\n}\n\
         vrrp_script chk {\n script \"/bin/true\"\n}\nvrrp_script chk2 {\n script \"/bin/true\"\n}\nvrrp_sync_group G {\n group { VI_1 }\n}\n",
    );
    assert_eq!(
        msgs(&l),
        [
            format!("{F}:1:1: warning: virtual_server_group G {{ … }} skipped: keepalived-rs runs the VRRP side only (LVS/checker not supported)"),
            format!("{F}:4:1: warning: virtual_server 1.2.3.4 80 {{ … }} skipped: keepalived-rs runs the VRRP side only (LVS/checker not supported)"),
            format!("{F}:7:1: warning: SSL {{ … }} skipped: keepalived-rs runs the VRRP side only (LVS/checker not supported)"),
            format!("{F}:16:10: error: vrrp_sync_group 'G': member 'VI_1' is not a (valid) vrrp_instance - ignored"),
            format!("{F}:15:1: warning: vrrp_sync_group 'G' has no valid members - removed"),
            format!("{F}:10:9: error: SECURITY VIOLATION: scripts are configured (first: vrrp_script 'chk' `/bin/true`) but enable_script_security is not set in global_defs; keepalived runs them anyway and reports this as a security error"),
        ]
    );
    let names: Vec<&str> = l.config.scripts.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["chk", "chk2"]);
}

/// `-t` output: header, source line, caret under the whole offending token;
/// a value that came from a `$NAME` points at the `$NAME` as written.
#[test]
fn rendered_with_source_line_and_caret() {
    let l = parse(
        "$P=300\nvrrp_instance VI_1 {\n\tinterface eth0\n\tvirtual_router_id 1\n\
         \tpriority $P\n\tvirtual_ipaddress { 192.0.2.1 }\n\tprioritty 5\n}\n",
    );
    let rendered: Vec<String> = l.diagnostics.iter().map(|d| l.render(d)).collect();
    let prio = rendered
        .iter()
        .find(|r| r.contains("300"))
        .map(String::as_str)
        .unwrap_or("(no priority diagnostic)");
    let mut lines = prio.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with(&format!("{F}:5:11: error:"))),
        "{prio}"
    );
    assert_eq!(
        lines.collect::<Vec<_>>(),
        ["  |", "5 | \tpriority $P", "  | \t         ^^"]
    );
    let typo = rendered
        .iter()
        .find(|r| r.contains("prioritty"))
        .map(String::as_str)
        .unwrap_or("(no unknown-keyword diagnostic)");
    assert!(
        typo.ends_with("7 | \tprioritty 5\n  | \t^^^^^^^^^"),
        "{typo}"
    );
}
