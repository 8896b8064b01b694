//! Defaults: the value of a schema's `default` as the Rust type of what it fills (serde's
//! `default = ".."` functions of the generated types call [`parse`]), and the server's filling of
//! an absent parameter from its descriptor ([`fill`]).

use serde_json::Value;

/// The default `json` (the spec's `default`, written by the generator) as a `T`. The generator
/// checked it against the schema `T` is generated from, so it converts; a hand-edited crate
/// whose default no longer does gets a panic naming it.
pub fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
    match serde_json::from_str(json).map_err(|e| e.to_string()).and_then(|v| super::convert(v).map_err(|e| e.to_string())) {
        Ok(v) => v,
        Err(e) => panic!("the default `{json}` does not convert into its Rust type ({e}); regenerate the crate"),
    }
}

/// A parameter's value as read, or its default (`json`) when it is absent. A value that was
/// present but invalid (`reported`: it added violations) is not replaced.
pub fn fill(value: Option<Value>, default: Option<&'static str>, reported: bool) -> Option<Value> {
    match (value, default) {
        (None, Some(json)) if !reported => serde_json::from_str(json).ok(),
        (value, _) => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_converts_integers_written_as_floats() {
        let n: i64 = parse("10.0");
        assert_eq!(n, 10);
        let v: Vec<String> = parse(r#"["a","b"]"#);
        assert_eq!(v, ["a", "b"]);
    }

    #[test]
    #[should_panic(expected = "does not convert")]
    fn parse_names_a_default_that_does_not_convert() {
        let _: i64 = parse(r#""ten""#);
    }

    #[test]
    fn fill_replaces_only_absent_values() {
        assert_eq!(fill(None, Some("5"), false), Some(serde_json::json!(5)));
        assert_eq!(fill(Some(serde_json::json!(7)), Some("5"), false), Some(serde_json::json!(7)));
        assert_eq!(fill(None, Some("5"), true), None);
        assert_eq!(fill(None, None, false), None);
    }
}
