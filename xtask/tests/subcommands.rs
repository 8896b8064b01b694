//! Subcommands without the generator's option flags run (the option flags are read for `gen`
//! and `check` only: a lookup on another subcommand's matches is a panic in debug builds).

use std::process::Command;

#[test]
fn a_subcommand_without_option_flags_runs_to_its_own_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["corpus-one", "--spec", &missing.to_string_lossy(), "--out", &dir.path().join("out").to_string_lossy(), "--name", "x"])
        .output()
        .expect("xtask runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // It reports the missing spec as its own result (a JSON summary for `corpus`).
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("missing.yaml") || stderr.contains("missing.yaml"), "{stdout}\n{stderr}");
}
