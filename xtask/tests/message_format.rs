//! `--message-format json`: stdout is one JSON object per diagnostic per line, with file, line, column and pointer, for `gen` and `check`, warnings and errors.

use std::process::Command;

use xtask::messages::JsonMessage;

fn run(args: &[&str]) -> (bool, Vec<JsonMessage>, String) {
    let root = xtask::project_root();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).current_dir(&root).args(args).output().expect("xtask runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let messages = stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("stdout line is not a message ({e}): {l}"))).collect();
    (out.status.success(), messages, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn gen_prints_located_json_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("crate");
    let (ok, messages, stderr) = run(&["gen", "--spec", "tests/fixtures/diagnostics/pets.json", "--out", &out.to_string_lossy(), "--message-format", "json"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("generated "), "the summary goes to stderr: {stderr}");
    assert_eq!(messages.len(), 4, "{messages:#?}");
    let files: Vec<&str> = messages.iter().map(|m| m.file.as_str()).collect();
    assert!(files.contains(&"pets.json") && files.contains(&"shared/common.yaml"), "{files:?}");
    for m in &messages {
        assert_eq!((m.reason.as_str(), m.severity.as_str(), m.leniency), ("diagnostic", "warning", true), "{m:?}");
        assert_eq!(m.path, format!("tests/fixtures/diagnostics/{}", m.file));
        // The position is where the pointer's value is in the file the path names.
        let (line, column, end) = (m.line.expect("line"), m.column.expect("column"), m.end_column.expect("end"));
        assert_eq!(m.end_line, Some(line));
        let text = std::fs::read_to_string(xtask::project_root().join(&m.path)).expect("file");
        let covered: String = text.lines().nth(line - 1).expect("line").chars().skip(column - 1).take(end - column).collect();
        let doc = codegen::load::parse_text(&m.file, &text).expect("parses");
        let value = doc.pointer(&m.pointer).expect("pointer exists");
        assert_eq!(&codegen::load::parse_text("span.yaml", &covered).expect("a scalar"), value, "{m:?}");
        assert!(m.rendered.contains(&format!("--> {}:{line}:{column} (#{})", m.path, m.pointer)), "{}", m.rendered);
    }
}

#[test]
fn check_prints_errors_as_json_lines_and_fails() {
    let (ok, messages, stderr) =
        run(&["check", "--spec", "tests/fixtures/refused/unparseable.json", "--out", "target/never-written", "--message-format", "json"]);
    assert!(!ok);
    assert!(stderr.contains("nothing was written"), "{stderr}");
    let [m] = messages.as_slice() else { panic!("{messages:?}") };
    assert_eq!((m.severity.as_str(), m.policy.as_str(), m.file.as_str(), m.pointer.as_str()), ("error", "refused", "unparseable.json", ""));
    assert!(m.message.contains("not valid JSON"), "{m:?}");
    assert_eq!(m.line, Some(2), "where serde_json stopped");
}

#[test]
fn human_format_keeps_stdout_for_the_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(xtask::project_root())
        .args(["gen", "--spec", "tests/fixtures/diagnostics/pets.yaml", "--out", &dir.path().join("c").to_string_lossy()])
        .output()
        .expect("xtask runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(" --> tests/fixtures/diagnostics/pets.yaml:14:17 (#/components/schemas/Pet/properties/nickname/type)"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colors when stderr is not a terminal");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("generated "));
}
