//! The other direction: the JSON Schema that `schemars` derives from every generated type (the
//! crates' `schemars` feature) must say what the spec's schema says, once both are normalised
//! to the shape of a value: JSON types (with `null`), object members and which are required,
//! unknown members, array items, enum values, alternatives.
//!
//! Not compared, by design: assertions (`pattern`, lengths, bounds, `multipleOf`, `uniqueItems`,
//! counts, `not`, `if`, dependencies, `propertyNames`, `unevaluated*`), which the generated
//! validators enforce before conversion and which a Rust type does not encode; `format`; docs.
//! Known differences are listed in [`EXPECTED`], each with its reason; any other fails.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use codegen::{Location, Options};
use serde_json::{Map, Value, json};
use tests::scratch::{self, NamedSchema};

const SPECS: &[&str] = &[
    "spec/openapi.json",
    "tests/fixtures/each_keyword.yaml",
    "tests/fixtures/keywords.yaml",
    "tests/fixtures/maps.yaml",
    "tests/fixtures/formats.yaml",
    "tests/fixtures/nullable31.json",
    "tests/fixtures/unions.yaml",
    "tests/fixtures/nullable.yaml",
    "tests/fixtures/recursion.yaml",
    "tests/fixtures/names.yaml",
];

/// Differences that are decisions, as (schema location prefix, difference text prefix, reason).
const EXPECTED: &[(&str, &str, &str)] = &[
    (
        "tests/fixtures/each_keyword.yaml#/components/schemas/Enum:",
        "derived \"any\"",
        "an `enum` with values that are not all strings is held as serde_json::Value; the validator enforces the values",
    ),
    ("tests/fixtures/each_keyword.yaml#/components/schemas/Const:", "derived \"any\"", "a `const` is held as serde_json::Value; the validator enforces it"),
    (
        "tests/fixtures/keywords.yaml#/components/schemas/Everything/properties/kind:",
        "derived \"any\"",
        "a `const` is held as serde_json::Value; the validator enforces it",
    ),
    (
        "tests/fixtures/each_keyword.yaml#/components/schemas/PrefixItems/items:",
        "spec \"never\", derived \"any\"",
        "tuple arrays (`prefixItems`) are Vec<serde_json::Value> (a generation diagnostic says so); the validator enforces the tuple",
    ),
    (
        "tests/fixtures/keywords.yaml#/components/schemas/Everything/properties/pair/items:",
        "spec \"never\", derived \"any\"",
        "tuple arrays (`prefixItems`) are Vec<serde_json::Value> (a generation diagnostic says so); the validator enforces the tuple",
    ),
    (
        "tests/fixtures/each_keyword.yaml#/components/schemas/BooleanFalse:",
        "spec \"never\", derived \"any\"",
        "the `false` schema is serde_json::Value: no value passes its validator, so none is ever converted",
    ),
    (
        "tests/fixtures/maps.yaml#/components/schemas/Labels/unknown members:",
        "spec absent, derived {\"type\":[\"integer\"]}",
        "`patternProperties` with `additionalProperties: false` is a map of the pattern's value type; the key pattern is an assertion",
    ),
    (
        "tests/fixtures/formats.yaml#/components/schemas/Event/required:",
        "spec [\"at\",\"createdBy\",\"id\"], derived [\"at\",\"id\"]",
        "a required `readOnly` property is optional in the type: requests do not send it (OpenAPI)",
    ),
    (
        "tests/fixtures/each_keyword.yaml#/components/schemas/UnevaluatedItems:",
        "derived \"any\"",
        "a composition of tuple arrays is serde_json::Value (a generation diagnostic says so); the validator enforces it",
    ),
    (
        "tests/fixtures/recursion.yaml#/components/schemas/Tree:",
        "derived \"any\"",
        "a map whose values are the map itself is serde_json::Value: a Rust type alias cannot name itself",
    ),
];

fn options(krate: &str) -> Options {
    Options { crate_name: Some(krate.into()), server: false, client: false, ..Options::default() }
}

/// Resolves a `$ref` where it is written (base URIs, `$id`, `$anchor`).
type Resolver<'a> = dyn Fn(&Location, &str) -> Option<(Location, Value)> + 'a;

/// The schema with every `$ref` that is not a plain JSON pointer (`#foo`, `item.json`, refs
/// under an `$id`) replaced by its target; [`shape`] follows the pointers itself.
fn inline(v: &Value, loc: &Location, depth: usize, resolve: &Resolver<'_>) -> Value {
    if depth > 24 {
        return json!(true);
    }
    match v {
        Value::Object(o) => {
            let located = o.get("$ref").and_then(Value::as_str).filter(|r| !r.starts_with("#/")).and_then(|r| resolve(loc, r));
            if let Some((target_loc, target)) = located {
                return inline(&target, &target_loc, depth + 1, resolve);
            }
            let data = ["enum", "const", "default", "example", "examples"];
            Value::Object(
                o.iter().map(|(k, x)| (k.clone(), if data.contains(&k.as_str()) { x.clone() } else { inline(x, &loc.join(k), depth + 1, resolve) })).collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().enumerate().map(|(i, x)| inline(x, &loc.index(i), depth + 1, resolve)).collect()),
        other => other.clone(),
    }
}

/// Resolves a local `$ref` against `root`.
fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).and_then(|p| root.pointer(p)) {
            Some(t) => v = t,
            None => break,
        }
    }
    v
}

/// The shape of a value a schema allows, normalised (see the module docs). `openapi_30`: read
/// `nullable`.
fn shape(root: &Value, v: &Value, depth: usize, openapi_30: bool) -> Value {
    if depth > 6 {
        return json!("…");
    }
    let v = resolve(root, v);
    let Some(o) = v.as_object() else {
        return if v == &Value::Bool(false) { json!("never") } else { json!("any") };
    };
    let mut o = o.clone();
    // allOf: one object with every branch's members.
    if let Some(Value::Array(branches)) = o.remove("allOf") {
        for b in &branches {
            if let Some(b) = resolve(root, b).as_object() {
                for (k, x) in b {
                    match (o.get_mut(k), x) {
                        (Some(Value::Object(m)), Value::Object(add)) => m.extend(add.clone()),
                        (Some(Value::Array(m)), Value::Array(add)) => m.extend(add.clone()),
                        (None, _) => {
                            o.insert(k.clone(), x.clone());
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let mut types: BTreeSet<String> = match o.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(a)) => a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => BTreeSet::new(),
    };
    if openapi_30 && o.get("nullable") == Some(&Value::Bool(true)) {
        types.insert("null".into());
    }
    let mut out = Map::new();
    // Alternatives (oneOf's exclusivity is an assertion): `null` branches become a type.
    let mut alternatives: Vec<Value> = Vec::new();
    for key in ["oneOf", "anyOf"] {
        for b in o.get(key).and_then(Value::as_array).into_iter().flatten() {
            let s = shape(root, b, depth + 1, openapi_30);
            if s == json!({"type": ["null"]}) {
                types.insert("null".into());
            } else {
                alternatives.push(s);
            }
        }
    }
    if let Some(values) = o.get("enum").and_then(Value::as_array) {
        let mut values: Vec<String> = values.iter().map(Value::to_string).collect();
        if types.contains("null") && !values.contains(&"null".to_string()) {
            values.push("null".into());
        }
        values.sort();
        out.insert("enum".into(), json!(values));
    }
    if let Some(c) = o.get("const") {
        out.insert("enum".into(), json!([c.to_string()]));
    }
    let object = types.contains("object") || (types.is_empty() && o.contains_key("properties"));
    if object {
        let props: Map<String, Value> = o
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.iter().map(|(k, s)| (k.clone(), shape(root, s, depth + 1, openapi_30))).collect())
            .unwrap_or_default();
        if !props.is_empty() {
            out.insert("properties".into(), Value::Object(props));
        }
        let mut required: Vec<String> =
            o.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
        required.sort();
        required.dedup();
        if !required.is_empty() {
            out.insert("required".into(), json!(required));
        }
        match o.get("additionalProperties") {
            Some(Value::Bool(false)) if !o.contains_key("patternProperties") => {
                out.insert("unknown members".into(), json!("rejected"));
            }
            Some(a @ Value::Object(_)) if !o.contains_key("patternProperties") => {
                out.insert("unknown members".into(), shape(root, a, depth + 1, openapi_30));
            }
            _ => {}
        }
    }
    if types.contains("array") {
        // No `items` (or draft-07's array form, which a Rust `Vec` cannot say) allows any item.
        let items = o.get("items").filter(|i| i.is_object() || i.is_boolean()).map_or(json!("any"), |i| shape(root, i, depth + 1, openapi_30));
        out.insert("items".into(), items);
    }
    if !alternatives.is_empty() {
        alternatives.sort_by_key(Value::to_string);
        alternatives.dedup();
        if alternatives.len() == 1 && out.is_empty() {
            let mut only = alternatives.remove(0);
            if let (Some(m), false) = (only.as_object_mut(), types.is_empty()) {
                let mut t: BTreeSet<String> =
                    m.get("type").and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
                t.extend(types.iter().cloned());
                m.insert("type".into(), json!(t));
            }
            return only;
        }
        out.insert("alternatives".into(), json!(alternatives));
    }
    if !types.is_empty() {
        // `integer` is a `number`; a schema that allows both says `number`.
        if types.contains("number") {
            types.remove("integer");
        }
        out.insert("type".into(), json!(types));
    }
    if out.is_empty() { json!("any") } else { Value::Object(out) }
}

/// Where two normalised shapes differ, as `path: spec X, derived Y` lines.
fn differences(path: &str, spec: &Value, derived: &Value, out: &mut Vec<String>) {
    match (spec, derived) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let here = format!("{path}/{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => differences(&here, x, y, out),
                    (x, y) => out.push(format!("{here}: spec {}, derived {}", show(x), show(y))),
                }
            }
        }
        (a, b) if a != b => out.push(format!("{path}: spec {a}, derived {b}")),
        _ => {}
    }
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "absent".to_string(), Value::to_string)
}

fn harness(krate: &str, targets: &[NamedSchema]) -> String {
    let mut rows = String::new();
    for t in targets {
        let ty = t.rust_type.replace("types::", &format!("{krate}::types::"));
        let _ = writeln!(rows, "        ({:?}, serde_json::to_value(schemars::schema_for!({ty})).expect(\"schema\")),", t.pointer);
    }
    format!(
        r#"//! Writes the schema schemars derives for every named type to SCHEMAS_OUT.
#[test]
fn derive() {{
    let schemas: Vec<(&str, serde_json::Value)> = vec![
{rows}    ];
    std::fs::write(std::env::var("SCHEMAS_OUT").expect("SCHEMAS_OUT"), serde_json::to_string(&schemas).expect("json")).expect("write");
}}
"#
    )
}

#[test]
fn derived_schemas_say_what_the_spec_says() {
    let work = scratch::fresh_dir("derived-schemas");
    let mut runs = Vec::new();
    let mut members = Vec::new();
    for spec in SPECS {
        let (stem, docs) = scratch::load(spec);
        let krate = format!("derived_{stem}");
        let targets = scratch::named_schemas(&docs, &options(&krate));
        let generated = codegen::generate_loaded(&docs, &options(&krate.replace('_', "-"))).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let dir = work.join(&stem);
        scratch::write_files(&dir, &generated.files);
        let schemars_dep = "schemars = { version = \"1\", default-features = false }\nserde_json = \"1\"\n";
        scratch::add_test(&dir, "derive", &harness(&krate, &targets), schemars_dep);
        members.push(stem.clone());
        let openapi_30 = docs.root_value()["openapi"].as_str().is_some_and(|v| v.starts_with("3.0"));
        runs.push((spec, stem, docs, openapi_30, targets));
    }
    scratch::workspace(&work, &members);
    let mut found = Vec::new();
    let mut compared = 0;
    for (spec, stem, docs, openapi_30, targets) in &runs {
        let dir = work.join(stem);
        let out = dir.join("schemas.json");
        let output = scratch::cargo(&dir, &["test", "--quiet", "--features", "schemars", "--test", "derive"], &[("SCHEMAS_OUT", &out)]);
        assert!(output.status.success(), "{spec}: the schemars harness fails:\n{}", String::from_utf8_lossy(&output.stderr));
        let derived: Vec<(String, Value)> = serde_json::from_str(&std::fs::read_to_string(&out).expect("schemas")).expect("json");
        for (t, (pointer, schema)) in targets.iter().zip(&derived) {
            assert_eq!(&t.pointer, pointer);
            compared += 1;
            let spec_refs = |at: &Location, r: &str| docs.resolve(at, r).ok().map(|(l, v)| (l, v.clone()));
            let expected = inline(&t.schema, &Location::new(t.file.clone(), t.pointer.clone()), 0, &spec_refs);
            let expected = shape(docs.root_value(), &expected, 0, *openapi_30);
            let got = shape(schema, schema, 0, false);
            let mut diffs = Vec::new();
            differences("", &expected, &got, &mut diffs);
            found.extend(diffs.into_iter().map(|d| format!("{spec}#{pointer}{d}")));
        }
    }
    let mut unexplained = Vec::new();
    let mut explained = 0;
    for d in &found {
        match EXPECTED.iter().find(|(at, what, _)| d.starts_with(at) && d.contains(what)) {
            Some(_) => explained += 1,
            None => unexplained.push(d.clone()),
        }
    }
    println!("derived schemas: {compared} types compared, {} differences, {explained} listed in EXPECTED", found.len());
    assert!(compared >= 40, "types compared: {compared}");
    assert!(unexplained.is_empty(), "{} unlisted differences:\n{}", unexplained.len(), unexplained.join("\n"));
}
