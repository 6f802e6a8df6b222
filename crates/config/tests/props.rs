//! Property tests: the reader never panics, whatever the input.

use keepalived_config::{parse_str, LoadOptions};
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
