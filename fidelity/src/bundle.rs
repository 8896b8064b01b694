//! One self-contained document per spec: every loaded file the schemas live in, under one root,
//! with every `$ref` rewritten to the JSON pointer of the place the generator resolves it to.
//!
//! The reference implementation then needs no retrieval (no network, no files): a reference is
//! resolved once, by the loader's own rules (base URIs, `$id`, anchors, files within the spec
//! root), and the two implementations compare what a schema *asserts*, not how they find it.

use std::collections::BTreeSet;

use codegen::Location;
use codegen::load::Documents;
use serde_json::{Map, Value};

/// The URI the bundle is registered under in `jsonschema` (references are absolute, so a copy
/// of one schema resolves them in the bundle).
pub const BASE: &str = "urn:fidelity:spec";

/// The member of the bundle's root that holds the files other than the root document.
pub const FILES: &str = "x-fidelity-files";

/// How the rewritten references are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// [`BASE`], `#` and the pointer as a URI fragment (percent-encoded where RFC 3986 requires):
    /// for `jsonschema`.
    Fragment,
    /// `#` plus the plain JSON pointer: for the instance generator, which looks pointers up as
    /// they are written.
    Pointer,
}

/// A bundled spec.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The root document with the other files under [`FILES`].
    pub value: Value,
    /// References that lead nowhere (dangling, remote, outside the spec root): the generator reads
    /// the schema as any value, and so does the bundle (the `$ref` is dropped).
    pub dangling: usize,
}

/// Where the schema written at `file`/`pointer` is in the bundle.
pub fn pointer_in_bundle(docs: &Documents, file: &str, pointer: &str) -> String {
    if file == docs.root { pointer.to_string() } else { format!("/{FILES}/{}{pointer}", escape(file)) }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer as a URI fragment (one spelling with the differential tests').
pub use ::tests::instances::fragment;

/// Bundles `files` (keys of `docs`; the root document is always included). `own_id`: whether a
/// schema's own `$id` is the base of its `$ref` (OpenAPI 3.1; 3.0 ignores `$ref` siblings).
pub fn bundle(docs: &Documents, files: &BTreeSet<String>, own_id: bool, spelling: Spelling) -> Bundle {
    let mut dangling = 0;
    let mut root = docs.root_value().clone();
    rewrite(docs, &docs.root, "", &mut root, false, own_id, spelling, &mut dangling);
    let mut others = Map::new();
    for file in files.iter().filter(|f| **f != docs.root) {
        let Some(mut value) = docs.get(file, "").cloned() else { continue };
        rewrite(docs, file, "", &mut value, false, own_id, spelling, &mut dangling);
        others.insert(file.clone(), value);
    }
    if let (Value::Object(o), false) = (&mut root, others.is_empty()) {
        o.insert(FILES.into(), Value::Object(others));
    }
    Bundle { value: root, dangling }
}

/// Keywords whose values are data, never schemas: a `$ref` member there is not a reference.
const DATA: &[&str] = &["enum", "const", "default", "example", "examples"];

/// Members whose keys are names the document chooses (a status `default`, a property `enum`),
/// not keywords: below them a [`DATA`] word is a name.
const NAMES: &[&str] = &[
    "paths",
    "webhooks",
    "callbacks",
    "responses",
    "properties",
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
    "schemas",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "pathItems",
    "content",
    "encoding",
    "mapping",
];

/// `names`: the keys of `v` are names (see [`NAMES`]).
#[allow(clippy::too_many_arguments)]
fn rewrite(docs: &Documents, file: &str, pointer: &str, v: &mut Value, names: bool, own_id: bool, spelling: Spelling, dangling: &mut usize) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                match docs.resolve_ref(&Location::new(file, pointer), r, own_id) {
                    Ok((to, _)) => {
                        let at = pointer_in_bundle(docs, &to.file, &to.pointer);
                        let spelled = match spelling {
                            Spelling::Fragment => format!("{BASE}#{}", fragment(&at)),
                            Spelling::Pointer => format!("#{at}"),
                        };
                        o.insert("$ref".into(), Value::String(spelled));
                    }
                    Err(_) => {
                        *dangling += 1;
                        // Where `$ref` overrides its siblings (OpenAPI 3.0), nothing is left.
                        if own_id {
                            o.remove("$ref");
                        } else {
                            o.clear();
                        }
                    }
                }
            }
            // Bases are resolved already: an `$id` left in place would re-base the rewritten
            // references, and a nested `$schema` would start a new resource.
            if o.get("$id").is_some_and(Value::is_string) {
                o.remove("$id");
            }
            if !pointer.is_empty() && o.get("$schema").is_some_and(Value::is_string) {
                o.remove("$schema");
            }
            for (k, child) in o.iter_mut() {
                if DATA.contains(&k.as_str()) && !names {
                    continue;
                }
                let at = format!("{pointer}/{}", escape(k));
                rewrite(docs, file, &at, child, !names && NAMES.contains(&k.as_str()), own_id, spelling, dangling);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter_mut().enumerate() {
                rewrite(docs, file, &format!("{pointer}/{i}"), child, false, own_id, spelling, dangling);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn references_across_files_become_pointers_into_the_bundle() {
        let mut files = BTreeMap::new();
        files.insert(
            "api/root.yaml".to_string(),
            serde_json::json!({"openapi": "3.1.0", "components": {"schemas": {
                "A": {"$ref": "../models/pet.yaml#/Pet"},
                "B": {"$ref": "#/components/schemas/A"},
                "C": {"$ref": "missing.yaml#/X", "type": "string"},
                "D": {"enum": [{"$ref": "data"}]},
                "default": {"type": "object", "properties": {"enum": {"$ref": "#/components/schemas/B"}, "p": {"default": {"$ref": "data"}}}}
            },
            "responses": {"E": {"content": {"application/json": {"example": {"$ref": "data"}}}}}},
            "paths": {"/a": {"get": {"responses": {"default": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}}}),
        );
        files.insert("models/pet.yaml".to_string(), serde_json::json!({"Pet": {"type": "object", "properties": {"self": {"$ref": "#/Pet"}}}}));
        let docs = Documents::from_map("api/root.yaml", files);
        let all: BTreeSet<String> = ["api/root.yaml".to_string(), "models/pet.yaml".to_string()].into();
        let b = bundle(&docs, &all, true, Spelling::Pointer);
        let schemas = &b.value["components"]["schemas"];
        assert_eq!(schemas["A"]["$ref"], "#/x-fidelity-files/models~1pet.yaml/Pet");
        assert_eq!(schemas["B"]["$ref"], "#/components/schemas/A");
        assert_eq!(
            b.value.pointer("/x-fidelity-files/models~1pet.yaml/Pet/properties/self/$ref"),
            Some(&Value::from("#/x-fidelity-files/models~1pet.yaml/Pet"))
        );
        // A reference that leads nowhere is dropped: the schema is its siblings (any value here).
        assert_eq!(schemas["C"], serde_json::json!({"type": "string"}));
        assert_eq!(b.dangling, 1);
        // Data is not rewritten.
        assert_eq!(schemas["D"]["enum"][0]["$ref"], "data");
        assert_eq!(schemas["default"]["properties"]["p"]["default"]["$ref"], "data");
        assert_eq!(b.value.pointer("/components/responses/E/content/application~1json/example/$ref"), Some(&Value::from("data")));
        // A name that is also a keyword (status `default`, a schema `default`, a property `enum`)
        // is not data.
        assert_eq!(schemas["default"]["properties"]["enum"]["$ref"], "#/components/schemas/B");
        let f = bundle(&docs, &all, true, Spelling::Fragment);
        let status = f.value.pointer("/paths/~1a/get/responses/default/content/application~1json/schema/$ref");
        assert_eq!(status, Some(&Value::from("urn:fidelity:spec#/components/schemas/A")));
        assert_eq!(f.value["components"]["schemas"]["A"]["$ref"], "urn:fidelity:spec#/x-fidelity-files/models~1pet.yaml/Pet");
        assert_eq!(fragment("/paths/~1a~1{id}/x é"), "/paths/~1a~1%7Bid%7D/x%20%C3%A9");
    }
}
