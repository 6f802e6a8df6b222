//! Notify scripts through a failover: each node's scripts (written by the
//! test) record their arguments; the sequence of states and the exact
//! argument lists are asserted.
#![forbid(unsafe_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use netns_tests::{master_down, under_test, wait_sole_holder, wait_until, Lab, VrrpConf, VIP};

/// Writes an executable script that appends a timestamp (ns since the epoch)
/// and its arguments to `log`.
fn recorder(dir: &Path) -> (String, std::path::PathBuf) {
    let script = dir.join("notify.sh");
    let log = dir.join("notify.log");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$(date +%s%N) $*\" >> {}\n",
            log.display()
        ),
    )
    .expect("write notify script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("chmod notify script");
    (script.display().to_string(), log)
}

/// The instance block with keepalived's notify keywords added.
fn conf_with_notify(priority: u8, script: &str) -> String {
    let base = VrrpConf::prio(priority).render();
    let extra = format!(
        "    notify_master \"{script} master\"\n    notify_backup \"{script} backup\"\n    \
         notify_fault \"{script} fault\"\n    notify_stop \"{script} stop\"\n    notify {script}\n}}\n"
    );
    let end = base.rfind('}').expect("instance block closes");
    format!("{}{extra}", &base[..end])
}

/// The recorded argument lists in the order of their timestamps, grouped by
/// state. Within one state the specific script and the generic one start
/// together (as in keepalived), so their order there is not asserted.
fn states(log: &Path) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut stamped: Vec<(u128, &str)> = text
        .lines()
        .map(|l| {
            let (ts, args) = l.split_once(' ').unwrap_or((l, ""));
            let ts = ts
                .parse()
                .unwrap_or_else(|_| panic!("notify line without a timestamp: {l:?}"));
            (ts, args)
        })
        .collect();
    stamped.sort_by_key(|(ts, _)| *ts);
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (_, line) in stamped {
        let state = match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["INSTANCE", _, state, _] => state.to_lowercase(),
            [word] => word.to_string(),
            _ => panic!("unexpected notify line {line:?}"),
        };
        match out.last_mut() {
            Some((s, lines)) if *s == state => lines.push(line.to_string()),
            _ => out.push((state, vec![line.to_string()])),
        }
    }
    for (_, lines) in &mut out {
        lines.sort();
    }
    out
}

fn expected(state: &str, priority: u8) -> (String, Vec<String>) {
    let mut lines = vec![
        format!("INSTANCE VI_1 {} {priority}", state.to_uppercase()),
        state.to_string(),
    ];
    lines.sort();
    (state.to_string(), lines)
}

#[test]
fn notify_scripts_follow_a_failover() {
    let imp = under_test();
    let lab = Lab::new(2);
    let (script_a, log_a) = recorder(&lab.node(0).dir);
    let (script_b, log_b) = recorder(&lab.node(1).dir);
    let mut a = lab
        .node(0)
        .spawn_impl(imp, &conf_with_notify(150, &script_a));
    let _b = lab
        .node(1)
        .spawn_impl(imp, &conf_with_notify(100, &script_b));
    let first = master_down(1.0, 150, 2) + Duration::from_secs(3);
    wait_sole_holder(&lab, 2, 0, VIP, first, "initial election");

    a.sigterm();
    let takeover = master_down(1.0, 100, 2) + Duration::from_secs(2);
    assert!(
        wait_until(takeover, || lab.node(1).has_addr(VIP)),
        "backup did not take over after SIGTERM"
    );
    assert!(
        a.wait_exit(Duration::from_secs(5)).is_some(),
        "master did not exit"
    );
    // Scripts run in the background: give the last ones time to write.
    let done = || states(&log_a).len() == 3 && states(&log_b).len() == 2;
    wait_until(Duration::from_secs(3), || {
        done() && states(&log_a)[2].1.len() == 2 && states(&log_b)[1].1.len() == 2
    });

    assert_eq!(
        states(&log_a),
        [
            expected("backup", 150),
            expected("master", 150),
            expected("stop", 150)
        ],
        "node A's notify calls, in order"
    );
    assert_eq!(
        states(&log_b),
        [expected("backup", 100), expected("master", 100)],
        "node B's notify calls, in order"
    );
}
