//! The runtime's `querystring` module: an OpenAPI 3.2 `in: querystring` parameter read from the
//! whole query string (a form, coerced and validated; or percent-encoded JSON text).
#![cfg(feature = "server")]

use codegen_runtime::ops::{Coerce, Param, Scalar, flags};
use codegen_runtime::querystring::read;
use codegen_runtime::{InstancePath, Violation};
use serde_json::Value;

fn check(value: &Value, path: &mut InstancePath, out: &mut Vec<Violation>) {
    let Some(map) = value.as_object() else {
        codegen_runtime::violation(out, path, "type", "must be an object");
        return;
    };
    if let Some(limit) = map.get("limit") {
        path.push_key("limit");
        match limit.as_u64() {
            Some(n) if n <= 10 => {}
            Some(_) => codegen_runtime::violation(out, path, "maximum", "must be at most 10"),
            None => {
                codegen_runtime::violation(out, path, "type", "must be an integer");
                if let Some(last) = out.last_mut() {
                    last.expected = codegen_runtime::types::INTEGER;
                }
            }
        }
        path.pop();
    }
}

fn param(flags: u16) -> Param {
    Param::new("criteria", flags, Coerce::Scalar(Scalar::String), check)
}

#[test]
fn a_form_query_string_is_parsed_coerced_and_validated_as_one_value() {
    let p = param(flags::QUERY | flags::QUERYSTRING | flags::FORM | flags::REQUIRED);
    assert_eq!(p.at, codegen_runtime::ops::ParamIn::QueryString);
    let mut out = Vec::new();
    let v = read(Some("limit=3&tag=a&tag=b&sort[by]=name"), &p, 8, &mut out);
    assert_eq!(v, Some(serde_json::json!({"limit": 3, "tag": ["a", "b"], "sort": {"by": "name"}})), "{out:?}");
    let v = read(Some("limit=30"), &p, 8, &mut out);
    assert_eq!(v, None);
    assert_eq!(out.iter().map(|v| (v.instance.to_string(), v.keyword)).collect::<Vec<_>>(), [("criteria/limit".to_string(), "maximum")]);
    out.clear();
    assert_eq!(read(None, &p, 8, &mut out), None);
    assert_eq!(out[0].keyword, "required");
}

#[test]
fn a_json_query_string_is_percent_decoded_text() {
    let p = param(flags::QUERY | flags::QUERYSTRING | flags::JSON);
    let mut out = Vec::new();
    assert_eq!(read(Some("%7B%22limit%22%3A2%7D"), &p, 8, &mut out), Some(serde_json::json!({"limit": 2})));
    assert_eq!(read(Some("%7Bnope"), &p, 8, &mut out), None);
    assert_eq!(out[0].keyword, "style");
    out.clear();
    assert_eq!(read(Some(""), &p, 8, &mut out), None);
    assert!(out.is_empty(), "an optional, absent querystring is no violation");
}
