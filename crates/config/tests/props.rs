//! Property tests: the reader never panics, whatever the input.

use keepalived_config::{parse_str, LoadOptions, Loaded};
use proptest::prelude::*;
use std::path::Path;

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\n".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just("!".to_string()),
        Just("\\".to_string()),
        Just(" ".to_string()),
        Just("vrrp_instance".to_string()),
        Just("global_defs".to_string()),
        Just("virtual_ipaddress".to_string()),
        Just("unicast_peer".to_string()),
        Just("authentication".to_string()),
        Just("auth_type PASS".to_string()),
        Just("state MASTER".to_string()),
        Just("priority".to_string()),
        Just("advert_int".to_string()),
        Just("virtual_router_id".to_string()),
        Just("interface".to_string()),
        Just("version 3".to_string()),
        Just("virtual_server".to_string()),
        Just("$X=".to_string()),
        Just("$X".to_string()),
        Just("${X}".to_string()),
        Just("${_RANDOM 5 1}".to_string()),
        Just("@node ".to_string()),
        Just("@^node ".to_string()),
        Just("~SEQ(i,".to_string()),
        Just("~LST({a,b},".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        "[0-9]{1,12}".prop_map(|s| s),
        "[0-9]{1,3}\\.[0-9]{1,8}".prop_map(|s| s),
        "[0-9a-f:./]{1,20}".prop_map(|s| s),
        "[a-zA-Z_]{1,8}".prop_map(|s| s),
    ]
}

fn opts() -> LoadOptions {
    LoadOptions {
        config_id: Some("node".into()),
        ..LoadOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC*") {
        let l = parse_str(&s, Path::new("/nonexistent-keepalived-rs/k.conf"), &opts());
        for d in &l.diagnostics {
            prop_assert!(!d.to_string().is_empty());
        }
    }

    #[test]
    fn keyword_soup_never_panics(parts in proptest::collection::vec(fragment(), 0..200)) {
        let text = parts.join(" ");
        let l = parse_str(&text, Path::new("/nonexistent-keepalived-rs/k.conf"), &opts());
        // Fatal problems always keep the instance out of the model.
        for i in &l.config.instances {
            prop_assert!(i.virtual_router_id >= 1);
            prop_assert!(i.priority >= 1);
            prop_assert!(i.version == 2 || i.version == 3);
            prop_assert!(i.advert_int_us >= 10_000);
        }
    }
}

/// `loc` names a character of the source line it points at, or the position
/// just after its end (for "missing value" diagnostics).
fn inside(l: &Loaded, loc: &keepalived_config::Location) -> Result<(), String> {
    let line = l
        .sources
        .line(&loc.file, loc.line)
        .ok_or_else(|| format!("{loc}: no such line in the sources"))?;
    let len = u32::try_from(line.chars().count()).map_err(|e| e.to_string())?;
    if loc.col == 0 || loc.col > len + 1 {
        return Err(format!("{loc}: column outside `{line}`"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every location handed out — diagnostics, instances — points inside
    /// the text that was read, so `file:line:col` and the rendered caret are
    /// always meaningful.
    #[test]
    fn locations_point_into_the_source(
        parts in proptest::collection::vec(fragment(), 0..200),
        tabs in proptest::collection::vec(0usize..3, 0..20),
    ) {
        let mut text = parts.join(" ");
        for (i, t) in tabs.iter().enumerate() {
            if let Some((pos, _)) = text.match_indices('\n').nth(i) {
                text.insert_str(pos + 1, &"\t".repeat(*t));
            }
        }
        let l = parse_str(&text, Path::new("/nonexistent-keepalived-rs/k.conf"), &opts());
        for d in &l.diagnostics {
            prop_assert!(inside(&l, &d.location).is_ok(), "{d}: {:?}", inside(&l, &d.location));
            prop_assert!(l.render(d).starts_with(&d.to_string()));
        }
        for i in &l.config.instances {
            prop_assert!(inside(&l, &i.location).is_ok(), "{:?}", inside(&l, &i.location));
            let line = l.sources.line(&i.location.file, i.location.line).unwrap_or("");
            let at: String = line.chars().skip(i.location.col as usize - 1).collect();
            prop_assert!(
                at.starts_with("vrrp_instance") || at.starts_with('$'),
                "instance location {} points at `{at}`", i.location
            );
        }
    }
}

#[test]
fn recursive_definitions_terminate() {
    let l = parse_str(
        "$A=$B x\n$B=$A y\nrouter_id $A\n$S=~SEQ(i, 1, 3) $S\n$S\n",
        Path::new("k.conf"),
        &opts(),
    );
    assert!(!l.diagnostics.is_empty());
}

#[test]
fn brace_bomb_in_include_is_bounded() {
    let pat = "{a,b}".repeat(100);
    let l = parse_str(
        &format!("include /nonexistent-keepalived-rs/{pat}\n"),
        Path::new("k.conf"),
        &opts(),
    );
    assert!(!l.diagnostics.is_empty());
}
