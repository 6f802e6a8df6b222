//! `--dump-config` round-trip: the dump of a configuration parses back to an
//! equal model (locations aside), for the shipped examples, Debian's samples
//! when installed, and generated configurations.

use keepalived_config::{dump, load_file, parse_str, Config, LoadOptions};
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

fn assert_round_trip(config: &Config, what: &str) {
    let text = dump(config);
    let again = parse_str(&text, Path::new("dump.conf"), &opts());
    let errors: Vec<String> = again
        .diagnostics
        .iter()
        .filter(|d| d.severity >= keepalived_config::Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the dump does not parse cleanly:\n{}\n--- dump ---\n{text}",
        errors.join("\n")
    );
    assert_eq!(
        without_locations(&again.config),
        without_locations(config),
        "{what}: the dump parses back to a different model\n--- dump ---\n{text}"
    );
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
        assert_round_trip(&loaded.config, &f.display().to_string());
    }
    Ok(())
}

/// Generated instance blocks: text in, model, dump, model again.
fn instance_text() -> impl Strategy<Value = String> {
    (
        1u8..=255,
        1u8..=254,
        prop::sample::select(vec!["1", "2", "0.5", "3"]),
        prop::bool::ANY,
        prop::bool::ANY,
        prop::option::of(0u32..=30),
        prop::collection::vec((1u8..=254, 8u8..=32), 1..4),
        prop::bool::ANY,
    )
        .prop_map(|(vrid, prio, adv, v3, nopreempt, delay, vips, master)| {
            let mut s = String::new();
            s.push_str(&format!("vrrp_instance VI_{vrid} {{\n"));
            s.push_str(if master {
                "  state MASTER\n"
            } else {
                "  state BACKUP\n"
            });
            s.push_str(&format!("  interface eth{}\n", vrid % 4));
            s.push_str(&format!("  virtual_router_id {vrid}\n  priority {prio}\n"));
            s.push_str(&format!("  advert_int {adv}\n"));
            if v3 {
                s.push_str("  version 3\n");
            } else {
                s.push_str("  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n");
            }
            if nopreempt {
                s.push_str("  nopreempt\n");
            }
            if let Some(d) = delay {
                s.push_str(&format!("  preempt_delay {d}\n"));
            }
            s.push_str("  virtual_ipaddress {\n");
            for (host, prefix) in vips {
                s.push_str(&format!(
                    "    198.51.100.{host}/{prefix} dev eth{} label eth0:{host}\n",
                    vrid % 4
                ));
            }
            s.push_str("  }\n}\n");
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn generated_configs_round_trip(
        router in "[a-z][a-z0-9_]{0,10}",
        instances in prop::collection::vec(instance_text(), 1..4),
    ) {
        let mut text = format!("global_defs {{\n  router_id {router}\n}}\n");
        for i in &instances {
            text.push_str(i);
        }
        let loaded = parse_str(&text, Path::new("gen.conf"), &opts());
        assert_round_trip(&loaded.config, &text);
    }
}
