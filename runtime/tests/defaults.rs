//! The defaults module: a spec's `default` as a Rust value, and the server's filling of an absent
//! parameter.

use codegen_runtime::defaults::{fill, parse};
use serde_json::json;

#[test]
fn parse_converts_integers_written_as_floats() {
    let n: i64 = parse("10.0");
    assert_eq!(n, 10);
    let v: Vec<String> = parse(r#"["a","b"]"#);
    assert_eq!(v, ["a", "b"]);
    let o: Option<String> = parse("null");
    assert_eq!(o, None);
}

#[test]
#[should_panic(expected = "does not convert")]
fn parse_names_a_default_that_does_not_convert() {
    let _: i64 = parse(r#""ten""#);
}

#[test]
fn fill_replaces_only_absent_values() {
    assert_eq!(fill(None, Some("5"), false), Some(json!(5)));
    assert_eq!(fill(Some(json!(7)), Some("5"), false), Some(json!(7)));
    // Present but invalid (already reported): not replaced by the default.
    assert_eq!(fill(None, Some("5"), true), None);
    assert_eq!(fill(None, None, false), None);
}
