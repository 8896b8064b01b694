//! The runtime's core, on its own: `multipleOf` in decimal, JSON parsing limits, formats,
//! instance paths and violations, parameter style names, pattern engines and their budget.

use codegen_runtime::{InstancePath, Style, Violation, is_multiple_of, parse_json, violation};
use serde_json::{Value, json};

fn number(text: &str) -> Value {
    serde_json::from_str(text).expect("a JSON number")
}

#[test]
fn multiple_of_is_decided_in_decimal() {
    // Binary floating point gets these wrong: 0.3 / 0.1 = 2.9999999999999996.
    assert!(is_multiple_of(&number("0.3"), 0.1));
    assert!(is_multiple_of(&number("7.52"), 0.01));
    assert!(is_multiple_of(&number("10"), 2.5));
    assert!(is_multiple_of(&number("-4.5"), 1.5));
    assert!(!is_multiple_of(&number("7.5200000000000005"), 0.01));
    assert!(!is_multiple_of(&number("10"), 3.0));
    assert!(!is_multiple_of(&number("0.35"), 0.1));
}

#[test]
fn json_parsing_refuses_deep_nesting_and_reads_numbers_exactly() {
    assert!(parse_json(b"[[[1]]]", 3).is_ok());
    assert!(parse_json(b"[[[[1]]]]", 3).is_err());
    assert!(parse_json(b"{\"a\": 1,}", 8).is_err());
    assert_eq!(parse_json(b"{\"a\": 1.5}", 8).expect("parses"), json!({"a": 1.5}));
}

#[test]
fn violations_carry_the_instance_path() {
    let mut path = InstancePath::root();
    path.push_key("items");
    path.push_index(2);
    path.push_key("name");
    let mut out: Vec<Violation> = Vec::new();
    violation(&mut out, &path, "minLength", "must be at least 1 character long");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].path, "items/2/name");
    assert_eq!(out[0].keyword, "minLength");
    assert!(out[0].to_string().contains("items/2/name"), "{}", out[0]);
}

#[test]
fn formats() {
    assert!(codegen_runtime::is_uuid("123e4567-e89b-12d3-a456-426614174000"));
    assert!(!codegen_runtime::is_uuid("123e4567e89b12d3a456426614174000"));
    assert!(codegen_runtime::is_date("2024-02-29"));
    assert!(!codegen_runtime::is_date("2023-02-29"));
    assert!(codegen_runtime::is_date_time("2024-01-01T10:00:00Z"));
    assert!(!codegen_runtime::is_date_time("2024-01-01 10:00"));
    assert_eq!(codegen_runtime::decode_base64(&codegen_runtime::encode_base64(b"any bytes\x00\xff")).as_deref(), Some(&b"any bytes\x00\xff"[..]));
    assert_eq!(codegen_runtime::decode_base64("not base64!"), None);
}

#[test]
fn styles_have_one_spelling_each() {
    for style in Style::ALL {
        let name = style.variant();
        assert_eq!(format!("{style:?}"), name);
        if style != Style::Json {
            let openapi = name[..1].to_ascii_lowercase() + &name[1..];
            assert_eq!(Style::from_openapi(&openapi), Some(style));
        }
    }
    assert_eq!(Style::from_openapi("json"), None);
    assert_eq!(Style::from_openapi("Simple"), None);
}

#[cfg(feature = "regex")]
#[test]
fn linear_patterns_search_unanchored() {
    let re = codegen_runtime::Pattern::linear("[0-9]{3}");
    assert_eq!(re.search("ab123"), Some(true));
    assert_eq!(re.search("ab12"), Some(false));
    let mut out = Vec::new();
    codegen_runtime::expect_match("ab12", &InstancePath::root(), &mut out, &re, "[0-9]{3}");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].keyword, "pattern");
}

#[cfg(feature = "fancy-regex")]
#[test]
fn backtracking_patterns_stop_at_their_budget() {
    // A lookahead needs the backtracking engine; two ways to match each `a` make a near miss
    // exponential.
    let source = "^(?:a|(?=a)a)+$";
    let tight = codegen_runtime::Pattern::backtracking(source, 1_000);
    let roomy = codegen_runtime::Pattern::backtracking(source, 10_000_000);
    assert_eq!(roomy.search("aaaa"), Some(true));
    assert_eq!(roomy.search("aaab"), Some(false));
    let hostile = format!("{}b", "a".repeat(40));
    assert_eq!(tight.search(&hostile), None, "the budget ends the search");
    let mut out = Vec::new();
    codegen_runtime::expect_match(&hostile, &InstancePath::root(), &mut out, &tight, source);
    assert_eq!(out.len(), 1);
    assert!(out[0].message.contains("backtracking limit"), "{}", out[0].message);
    let mut path = InstancePath::root();
    path.push_key("map");
    assert!(!codegen_runtime::key_matches(&tight, &hostile, &path, &mut out));
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].keyword, "patternProperties");
}

#[test]
fn parameter_flags_read_back_what_was_written() {
    use codegen_runtime::ops::{Param, ParamIn, flags};
    fn check(_: &Value, _: &mut codegen_runtime::InstancePath, _: &mut Vec<codegen_runtime::Violation>) {}
    for at in [ParamIn::Path, ParamIn::Query, ParamIn::Header, ParamIn::Cookie] {
        for style in codegen_runtime::Style::ALL {
            for explode in [false, true] {
                for required in [false, true] {
                    let p = Param::new("x", Param::flags(at, style, explode, required), flags::STR, check);
                    assert_eq!((p.at, p.style, p.explode, p.required), (at, style, explode, required));
                }
            }
        }
    }
}

#[test]
fn parameter_values_convert_or_report_under_the_name() {
    use codegen_runtime::ops::{Param, ParamValues, flags};
    fn check(_: &Value, _: &mut codegen_runtime::InstancePath, _: &mut Vec<codegen_runtime::Violation>) {}
    static PARAMS: [Param; 2] = [Param::new("count", flags::QUERY, flags::NUM, check), Param::new("name", flags::QUERY, flags::STR, check)];
    let mut out = Vec::new();
    let mut values = ParamValues { values: vec![Some(serde_json::json!(1e30)), Some(serde_json::json!("x"))], params: &PARAMS, out: &mut out };
    assert_eq!(values.take::<i64>(0), None);
    assert_eq!(values.take::<String>(1).as_deref(), Some("x"));
    assert_eq!(values.take::<String>(1), None, "a value is taken once");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].path, "count");
}
