//! Fuzz the whole reader on arbitrary bytes: any input must give diagnostics,
//! never a panic, and every diagnostic must render.
//!
//! Run from the repository root: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run parse`.
#![no_main]

use keepalived_config::{parse_str, LoadOptions};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Includes are not read: reading the host's files would make runs slow
    // and irreproducible (the include lines themselves are still parsed).
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
