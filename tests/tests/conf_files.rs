//! The example configs in conf/ pass `-t` (config test) with keepalived-rs
//! and with Debian's keepalived, inside a namespace that has eth0.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use netns_tests::{keepalived_rs_bin, Lab};

fn conf_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conf");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "expected conf/*.conf examples, found {v:?}");
    v
}

fn check(cmd_for: impl Fn(&str, &std::path::Path) -> String, what: &str) {
    let lab = Lab::new(1);
    let node = lab.node(0);
    let mut failures = Vec::new();
    for f in conf_files() {
        let cmd = cmd_for(&f.display().to_string(), &node.dir);
        let out = node.exec(&cmd);
        if !out.status.success() {
            failures.push(format!(
                "{}: {} -> {}\n{}{}",
                f.display(),
                cmd,
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{what} rejected example configs:\n{}",
        failures.join("\n")
    );
}

#[test]
fn conf_examples_pass_keepalived_rs_config_test() {
    let bin = keepalived_rs_bin();
    check(
        |f, _| format!("{} -t -f {f}", bin.display()),
        "keepalived-rs -t",
    );
}

#[test]
fn conf_examples_pass_reference_keepalived_config_test() {
    check(
        |f, d| {
            format!(
                "keepalived -t -f {f} -p {d}/t.pid -r {d}/tv.pid -c {d}/tc.pid -b {d}/tb.pid",
                d = d.display()
            )
        },
        "keepalived -t",
    );
}
