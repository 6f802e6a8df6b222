//! Differential `-t` test: keepalived-rs against Debian's keepalived 2.2.7.
//!
//! Inputs: every Debian sample (`/usr/share/doc/keepalived/samples/
//! keepalived.conf.*`) and every file of the invalid-config corpus
//! (`crates/config/tests/invalid/*.conf`).  Both implementations run
//! `-t -f FILE` inside one namespace that has eth0..eth3, from the file's
//! directory.  For each file they must agree on
//!
//! 1. the exit status, zero versus non-zero (keepalived's codes themselves are
//!    not comparable: it keeps the numerically larger error class, reference
//!    §1.9, and we deliberately do not);
//! 2. when non-zero, the lines complained about: every line keepalived names
//!    (`(Line N)` / `(FILE: Line N)`) gets a diagnostic from us too, and every
//!    line we call an error is named by keepalived — unless keepalived also
//!    printed a message without a line number (its whole-config checks:
//!    duplicate VRID, missing VRID, no VIPs, …), which we cannot pair up.
//!
//! Files where the two disagree on purpose are listed in [`KNOWN`], each with
//! the reason (the same table is in docs/keepalived-differences.md).  A listed
//! file that stops differing fails the test too, so the list stays true.
//!
//! For samples, every top-level LVS block (`virtual_server`,
//! `virtual_server_group`) must give exactly one warning from keepalived-rs.
//!
//! `CONFIG_DIFF_VERBOSE=1` prints the whole comparison table.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use netns_tests::{keepalived_rs_bin, Lab, Node};

/// How the two implementations differ on one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Diff {
    /// One exits 0, the other does not.
    Exit,
    /// Both exit non-zero, but point at different lines.
    Lines,
}

/// Deliberate differences: (file name, kind, reason).  Keep in sync with
/// docs/keepalived-differences.md, section (c).
const KNOWN: &[(&str, Diff, &str)] = &[
    (
        "v2_no_vips.conf",
        Diff::Exit,
        "keepalived -t exits 5 for the warning 'No VIP specified; at least one is sensible'; \
         a VRRPv2 instance without VIPs runs, so it is a warning for us and -t exits 0",
    ),
    (
        "vip_in_two_instances.conf",
        Diff::Exit,
        "keepalived accepts one VIP in two instances (both masters then fight over it); \
         we report it with both locations",
    ),
    (
        "unicast_peer_duplicate.conf",
        Diff::Exit,
        "keepalived 2.2.7 accepts a repeated unicast peer silently (HEAD rejects it); we follow HEAD",
    ),
    (
        "unicast_peer_strict.conf",
        Diff::Exit,
        "keepalived 2.2.7 runs unicast peers in strict mode; HEAD refuses them at start-up and we \
         follow HEAD",
    ),
    (
        "deprecated_vrrp_track_file.conf",
        Diff::Exit,
        "keepalived 2.2.7 accepts vrrp_track_file silently; it is a deprecated alias of track_file \
         and we say so",
    ),
    (
        "include_loop.conf",
        Diff::Exit,
        "keepalived recurses until it runs out of file descriptors, logs 'Too many open files' and \
         exits 0; we stop at the first repeated file with an error",
    ),
    (
        "deprecated_native_ipv6.conf",
        Diff::Lines,
        "keepalived 2.2.7 takes native_ipv6 literally, makes the instance IPv6 and then drops the IPv4 \
         VIP (line of the VIP); we report the deprecated keyword itself and take the family from the VIPs",
    ),
    (
        "unknown_block_in_instance.conf",
        Diff::Lines,
        "keepalived parses an unknown block's body into the instance and its '}' closes the \
         instance, so the rest of the instance becomes unknown top-level keywords; we skip the \
         unknown block",
    ),
    (
        "unexpected_open_brace.conf",
        Diff::Lines,
        "keepalived ignores a stray '{' but not its '}', which closes the instance early; we skip \
         the stray block and keep the instance intact",
    ),
    (
        "track_file_no_file.conf",
        Diff::Lines,
        "keepalived reports a track_file without 'file' at the block's closing brace; we point at \
         the block's name",
    ),
    (
        "track_process_no_process.conf",
        Diff::Lines,
        "keepalived reports a vrrp_track_process without 'process' at the closing brace; we point \
         at the block's name",
    ),
    (
        "vrrp_script_no_script.conf",
        Diff::Lines,
        "keepalived reports a vrrp_script without 'script' at the closing brace; we point at the \
         block's name",
    ),
    (
        "keepalived.conf.conditional_conf",
        Diff::Lines,
        "the vrrp_script without 'script' (no @ line matches the config id) is reported at its \
         name, keepalived reports it at the closing brace",
    ),
    (
        "keepalived.conf.vrrp.rules",
        Diff::Lines,
        "keepalived warns 'Rule has no preference specified - setting to N'; keepalived-rs does not \
         run virtual_rules yet and has no such note",
    ),
];

const SAMPLES: &str = "/usr/share/doc/keepalived/samples";

fn inputs() -> Vec<(PathBuf, bool)> {
    let mut v = Vec::new();
    match std::fs::read_dir(SAMPLES) {
        Ok(rd) => {
            for e in rd.flatten() {
                let p = e.path();
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                if name.is_some_and(|n| n.starts_with("keepalived.conf.")) {
                    v.push((p, true));
                }
            }
        }
        Err(e) => panic!("cannot read {SAMPLES} (install Debian's keepalived): {e}"),
    }
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/config/tests/invalid");
    let corpus = corpus.canonicalize().unwrap_or(corpus);
    match std::fs::read_dir(&corpus) {
        Ok(rd) => {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "conf") {
                    v.push((p, false));
                }
            }
        }
        Err(e) => panic!("cannot read {}: {e}", corpus.display()),
    }
    v.sort();
    assert!(
        v.len() >= 80,
        "expected samples and corpus files, found {}",
        v.len()
    );
    v
}

fn base(p: &str) -> String {
    Path::new(p.trim())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// keepalived's `(Line N)` / `(FILE: Line N)` prefixes as (file name, line);
/// the flag says whether some message carried no line at all.
fn keepalived_lines(out: &str, main: &str) -> (BTreeSet<(String, u32)>, bool) {
    let mut set = BTreeSet::new();
    let mut lineless = false;
    for l in out.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let found = l
            .strip_prefix('(')
            .and_then(|r| r.split_once(')'))
            .and_then(|(inside, _)| {
                let (file, n) = match inside.rsplit_once(": Line ") {
                    Some((f, n)) => (base(f), n),
                    None => (main.to_string(), inside.strip_prefix("Line ")?),
                };
                Some((file, n.parse::<u32>().ok()?))
            });
        match found {
            Some(k) => {
                set.insert(k);
            }
            None => lineless = true,
        }
    }
    (set, lineless)
}

/// Our `FILE:LINE:COL: error|warning: message` lines as (file name, line, is_error, message).
fn rs_diags(out: &str) -> Vec<(String, u32, bool, String)> {
    let mut v = Vec::new();
    for l in out.lines() {
        for (tag, is_err) in [(": error: ", true), (": warning: ", false)] {
            if let Some((loc, msg)) = l.split_once(tag) {
                let mut it = loc.rsplitn(3, ':');
                let _col = it.next();
                let line = it.next().and_then(|n| n.parse::<u32>().ok());
                if let (Some(line), Some(file)) = (line, it.next()) {
                    v.push((base(file), line, is_err, msg.to_string()));
                    break;
                }
            }
        }
    }
    v
}

/// Lines of top-level `virtual_server` / `virtual_server_group` blocks.
fn lvs_block_lines(text: &str) -> Vec<u32> {
    let mut depth = 0i32;
    let mut v = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(['#', '!']).next().unwrap_or_default();
        let first = line.split_whitespace().next().unwrap_or_default();
        if depth == 0 && (first == "virtual_server" || first == "virtual_server_group") {
            v.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
        depth += i32::try_from(line.matches('{').count()).unwrap_or(0);
        depth -= i32::try_from(line.matches('}').count()).unwrap_or(0);
    }
    v
}

struct Run {
    code: i32,
    out: String,
}

fn run(node: &Node, cmd: &str) -> Run {
    let o = node.exec(cmd);
    let mut out = String::from_utf8_lossy(&o.stdout).into_owned();
    out.push_str(&String::from_utf8_lossy(&o.stderr));
    Run {
        code: o.status.code().unwrap_or(-1),
        out,
    }
}

#[test]
fn config_test_agrees_with_keepalived() {
    let lab = Lab::new(1);
    let node = lab.node(0);
    // eth0 comes from the lab; eth1..eth3 are veths local to the namespace.
    for i in 1..=3 {
        node.exec_ok(&format!(
            "ip link add eth{i} type veth peer name peth{i} && ip link set eth{i} up && ip link set peth{i} up"
        ));
    }
    let rs = keepalived_rs_bin();
    let verbose = std::env::var_os("CONFIG_DIFF_VERBOSE").is_some();
    let mut failures = Vec::new();
    let mut table = Vec::new();
    let mut lvs_blocks = 0usize;
    for (n, (file, sample)) in inputs().into_iter().enumerate() {
        let name = base(&file.display().to_string());
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let scratch = node.dir.join(format!("t{n}"));
        if let Err(e) = std::fs::create_dir_all(&scratch) {
            panic!("cannot create {}: {e}", scratch.display());
        }
        let s = scratch.display();
        let ka = run(
            node,
            &format!(
                "cd '{}' && timeout 60 keepalived -t -G -f '{}' -p {s}/k.pid -r {s}/v.pid -c {s}/c.pid -b {s}/b.pid",
                dir.display(),
                file.display()
            ),
        );
        let ours = run(
            node,
            &format!(
                "cd '{}' && timeout 60 {} -t -f '{}'",
                dir.display(),
                rs.display(),
                file.display()
            ),
        );
        let (klines, lineless) = keepalived_lines(&ka.out, &name);
        let diags = rs_diags(&ours.out);
        let all: BTreeSet<(String, u32)> = diags.iter().map(|d| (d.0.clone(), d.1)).collect();
        let errs: BTreeSet<(String, u32)> = diags
            .iter()
            .filter(|d| d.2)
            .map(|d| (d.0.clone(), d.1))
            .collect();
        let exit_agree = (ka.code == 0) == (ours.code == 0);
        let lines_agree =
            ka.code == 0 || (klines.is_subset(&all) && (lineless || errs.is_subset(&klines)));
        let actual = if !exit_agree {
            Some(Diff::Exit)
        } else if !lines_agree {
            Some(Diff::Lines)
        } else {
            None
        };
        let listed = KNOWN.iter().find(|k| k.0 == name).map(|k| k.1);
        let fmt_lines = |s: &BTreeSet<(String, u32)>| {
            s.iter()
                .map(|(f, l)| {
                    if *f == name {
                        l.to_string()
                    } else {
                        format!("{f}:{l}")
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let row = format!(
            "{name}: keepalived={} lines[{}]{} keepalived-rs={} errors[{}] all[{}] -> {actual:?} (listed {listed:?})",
            ka.code,
            fmt_lines(&klines),
            if lineless { "+lineless" } else { "" },
            ours.code,
            fmt_lines(&errs),
            fmt_lines(&all),
        );
        if actual != listed {
            failures.push(format!(
                "{row}\n--- keepalived:\n{}--- keepalived-rs:\n{}",
                ka.out, ours.out
            ));
        }
        if sample {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for l in lvs_block_lines(&text) {
                lvs_blocks += 1;
                let n = diags
                    .iter()
                    .filter(|d| d.1 == l && !d.2 && d.0 == name)
                    .count();
                if n != 1 {
                    failures.push(format!(
                        "{name}:{l}: LVS block gave {n} warnings from keepalived-rs, want exactly 1:\n{}",
                        ours.out
                    ));
                }
            }
        }
        table.push(row);
    }
    if verbose {
        eprintln!("{}", table.join("\n"));
    }
    // Debian's samples hold dozens of virtual_server blocks; finding none
    // means the block scan broke, not that the warnings are right.
    assert!(
        lvs_blocks >= 10,
        "found only {lvs_blocks} LVS blocks in the samples"
    );
    for (k, _, _) in KNOWN {
        assert!(
            table.iter().any(|r| r.starts_with(&format!("{k}:"))),
            "KNOWN lists {k}, which is neither a sample nor a corpus file"
        );
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s) with keepalived -t not in KNOWN (or listed but no longer differing):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn keepalived_line_prefixes_are_parsed() {
    let (s, lineless) = keepalived_lines(
        "(Line 6) Unknown keyword 'x'\n(/a/b/c.conf: Line 9) bad\n(VI_1) No VIP specified\n\n",
        "c.conf",
    );
    let want: BTreeSet<(String, u32)> = [("c.conf".to_string(), 6), ("c.conf".to_string(), 9)]
        .into_iter()
        .collect();
    assert_eq!(s, want);
    assert!(lineless);
    let d = rs_diags("/x/y.conf:3:5: error: bad\n/x/inc/z.inc:1:1: warning: w\nconfiguration OK\n");
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].0.as_str(), d[0].1, d[0].2), ("y.conf", 3, true));
    assert_eq!((d[1].0.as_str(), d[1].1, d[1].2), ("z.inc", 1, false));
    assert_eq!(
        lvs_block_lines(
            "a {\n virtual_server x {\n}\n}\nvirtual_server 1 {\n real_server {\n}\n}\n"
        ),
        [5]
    );
}
