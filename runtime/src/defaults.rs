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
