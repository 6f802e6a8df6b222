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

/// `keepalived-rs --dump-config` through the command line: the dump of each
/// example and Debian sample is itself a config whose dump is identical
/// (model equality of the round trip is asserted in
/// crates/config/tests/dump_roundtrip.rs), and it passes `-t` whenever the
/// original does.
#[test]
fn dump_config_is_a_fixpoint_from_the_command_line() {
    let bin = keepalived_rs_bin();
    let work = std::env::temp_dir().join(format!("krs-dump-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("temp dir");
    let mut inputs = conf_files();
    if let Ok(rd) = std::fs::read_dir("/usr/share/doc/keepalived/samples") {
        let mut samples: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("keepalived.conf."))
            })
            .collect();
        samples.sort();
        inputs.extend(samples);
    }
    let run = |args: &[&str]| {
        std::process::Command::new(&bin)
            .args(args)
            .output()
            .expect("run keepalived-rs")
    };
    let mut failures = Vec::new();
    for (i, f) in inputs.iter().enumerate() {
        let f = f.display().to_string();
        let first = run(&["--dump-config", "-f", &f]);
        let dumped = work.join(format!("dump{i}.conf"));
        std::fs::write(&dumped, &first.stdout).expect("write dump");
        let d = dumped.display().to_string();
        let second = run(&["--dump-config", "-f", &d]);
        if first.stdout.is_empty() || first.stdout != second.stdout {
            failures.push(format!("{f}: the dump of the dump differs (or is empty)"));
        }
        let orig = run(&["-t", "--offline", "-f", &f]).status.success();
        let again = run(&["-t", "--offline", "-f", &d]);
        if orig && !again.status.success() {
            failures.push(format!(
                "{f}: passes -t but its dump does not:\n{}",
                String::from_utf8_lossy(&again.stderr)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
