//! Fuzz the whole reader: any bytes must give diagnostics, never a panic.
//! Run with `cargo +nightly fuzz run parse` from crates/config.
#![no_main]

use keepalived_config::{parse_str, LoadOptions};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = LoadOptions {
        config_id: Some("fuzz".into()),
    };
    // A directory that does not exist, so relative includes match nothing.
    let _ = parse_str(
        &text,
        Path::new("/nonexistent-keepalived-rs-fuzz/k.conf"),
        &opts,
    );
});
