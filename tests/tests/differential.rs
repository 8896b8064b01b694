//! Differential property tests: the generated validators (validation + conversion, as a request
//! goes through the server) against an independent implementation, the `jsonschema` crate, on
//! random instances for every named schema of the RevDesk spec and of the fixtures.
//!
//! Instances come from a schema-guided generator driven by proptest's deterministic RNG: mostly
//! near the schema (bounds plus and minus one, required members dropped, unknown members added,
//! enum values, ECMA-262 look-alike characters) and sometimes arbitrary JSON. One generated crate
//! per spec is built with a harness that reads the instances and writes its verdicts; the test
//! compares them with `jsonschema` and fails on every disagreement that is not a documented
//! deviation (see [`deviation`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use codegen::Options;
use proptest::prelude::RngCore;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{Map, Value, json};
use tests::scratch::{self, NamedSchema};

/// The specs whose named schemas are compared, with whether they are OpenAPI 3.0 (whose Schema
/// Object is normalised to JSON Schema for `jsonschema`: `nullable`, boolean exclusive bounds,
/// `$ref` siblings).
const SPECS: &[&str] = &[
    "spec/openapi.json",
    "tests/fixtures/each_keyword.yaml",
    "tests/fixtures/keywords.yaml",
    "tests/fixtures/maps.yaml",
    "tests/fixtures/patterns.yaml",
    "tests/fixtures/nullable31.json",
    "tests/fixtures/formats.yaml",
    "tests/fixtures/unions.yaml",
    "tests/fixtures/nullable.yaml",
    "tests/fixtures/recursion.yaml",
    "tests/fixtures/fast_path.yaml",
];

/// Instances per schema.
const PER_SCHEMA: usize = 160;

fn options(krate: &str) -> Options {
    // `format` is an annotation for `jsonschema` (2020-12 default): plain formats here too.
    Options { crate_name: Some(krate.into()), server: false, client: false, plain_formats: true, ..Options::default() }
}

/// OpenAPI 3.0 Schema Objects as JSON Schema: `nullable` adds `null` to `type` (3.0.3: and only
/// when `type` is present, unless `lenient`), boolean exclusive bounds become numeric ones, and a
/// `$ref` ignores its siblings.
fn normalise_30(v: &mut Value, lenient: bool) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| normalise_30(x, lenient)),
        Value::Object(o) => {
            if let Some(r) = o.get("$ref").cloned() {
                o.clear();
                o.insert("$ref".into(), r);
                return;
            }
            if o.remove("nullable") == Some(Value::Bool(true)) {
                match o.get_mut("type") {
                    Some(Value::String(t)) => {
                        let t = t.clone();
                        o.insert("type".into(), json!([t, "null"]));
                    }
                    Some(Value::Array(a)) if !a.contains(&json!("null")) => a.push(json!("null")),
                    Some(_) => {}
                    None if lenient => {
                        let rest = Value::Object(std::mem::take(o));
                        o.insert("anyOf".into(), json!([{"type": "null"}, rest]));
                        o.values_mut().for_each(|x| normalise_30(x, lenient));
                        return;
                    }
                    None => {}
                }
                if let Some(Value::Array(e)) = o.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
                if let Some(Value::Bool(b)) = o.get(flag).cloned() {
                    o.remove(flag);
                    if b {
                        if let Some(m) = o.remove(bound) {
                            o.insert(flag.into(), m);
                        }
                    }
                }
            }
            o.values_mut().for_each(|x| normalise_30(x, lenient));
        }
        _ => {}
    }
}

/// Drops from `required` every property marked `readOnly` (OpenAPI: "SHOULD NOT be sent as
/// part of the request", so a request may omit it).
fn read_only_not_required(v: &mut Value) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(read_only_not_required),
        Value::Object(o) => {
            let read_only: Vec<String> = o
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.iter().filter(|(_, s)| s.get("readOnly") == Some(&Value::Bool(true))).map(|(k, _)| k.clone()).collect())
                .unwrap_or_default();
            if let Some(Value::Array(r)) = o.get_mut("required") {
                r.retain(|n| !n.as_str().is_some_and(|n| read_only.iter().any(|k| k == n)));
            }
            o.values_mut().for_each(read_only_not_required);
        }
        _ => {}
    }
}

/// The documented deviations, each as the reference document that reads the spec the way the
/// generator does: a disagreement that disappears under one of them is that deviation.
fn alternatives(raw: &Value, openapi_30: bool) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    if openapi_30 {
        let mut lenient = raw.clone();
        normalise_30(&mut lenient, true);
        out.push((
            "OpenAPI 3.0 `nullable: true` beside `allOf`/`oneOf`/`anyOf` and no `type` allows null here (the common reading; 3.0.3's clarification would not)",
            lenient,
        ));
    }
    let mut read_only = raw.clone();
    if openapi_30 {
        normalise_30(&mut read_only, false);
    }
    read_only_not_required(&mut read_only);
    out.push(("a required `readOnly` property may be absent from a request (OpenAPI: it is not sent)", read_only));
    out
}

/// Schemas `jsonschema` cannot build, with the reason; their instances are not compared.
const UNBUILDABLE: &[(&str, &str)] = &[(
    "tests/fixtures/patterns.yaml#/components/schemas/Names",
    "jsonschema rejects the ECMA-262 named backreference `\\k<word>` as not a regex",
)];

/// The `jsonschema` validator for the schema at `pointer` of `root` (refs resolve in `root`).
fn reference_validator(root: &Value, target: &NamedSchema) -> Result<jsonschema::Validator, String> {
    let schema = if target.schema.get("$schema").is_some() || target.schema.get("$id").is_some() {
        // A schema that names its own dialect or URI is its own resource (jsonschema does not
        // look for `$id`s under an OpenAPI document's `components`).
        target.schema.clone()
    } else {
        let mut doc = root.clone();
        if let Value::Object(o) = &mut doc {
            o.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
            o.insert("$ref".into(), json!(format!("#{}", target.pointer)));
        }
        doc
    };
    jsonschema::options().should_validate_formats(false).build(&schema).map_err(|e| e.to_string())
}

/// A schema-guided random JSON generator.
struct Gen<'a> {
    rng: &'a mut TestRng,
    root: &'a Value,
    /// Member names worth trying: every property name of the spec plus look-alikes.
    keys: Vec<String>,
}

/// Strings that tell validators apart: empty, ASCII, E.164 and its Arabic-Indic twin, a trailing
/// newline, ECMA white space, an astral character, unknown enum spellings.
const STRINGS: &[&str] = &[
    "", "a", "ab", "abc", "abcd", "abc-abc", "abc-abd", "ABC", "+14155550100", "+1٤١٥٥٥٥٠١٠٠", "+14155550100\n", "x+14155550100", " ",
    "\u{a0}", "😀", "😀😀", "1", "1.5", "true", "null", "a-1.example.com", "a-.example.com", "aaa!", "aaaa", "dev", "long",
    "123e4567-e89b-12d3-a456-426614174000", "2024-02-29T23:59:60Z", "one", "One", "fixed", "x-env", "n_a", "s_b", "card", "cvc",
];

impl Gen<'_> {
    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        &items[self.below(items.len())]
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        self.root.pointer(reference.strip_prefix('#')?)
    }

    fn any(&mut self, depth: usize) -> Value {
        match self.below(if depth > 2 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => json!(self.one_in(2)),
            2 => json!(self.below(40) as i64 - 20),
            3 => json!((self.below(400) as f64 - 200.0) / 8.0),
            4 | 5 => json!(*self.pick(STRINGS)),
            6 => Value::Array((0..self.below(4)).map(|_| self.any(depth + 1)).collect()),
            _ => {
                let mut o = Map::new();
                for _ in 0..self.below(4) {
                    let k = self.pick(&self.keys.clone()).clone();
                    let v = self.any(depth + 1);
                    o.insert(k, v);
                }
                Value::Object(o)
            }
        }
    }

    fn instance(&mut self, s: &Value, depth: usize) -> Value {
        if depth > 6 || self.one_in(10) {
            return self.any(depth);
        }
        let Some(o) = s.as_object() else { return self.any(depth) };
        if let Some(target) = o.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r)).cloned() {
            if self.one_in(3) || o.len() == 1 {
                return self.instance(&target, depth + 1);
            }
        }
        if let Some(values) = o.get("enum").and_then(Value::as_array).filter(|e| !e.is_empty()) {
            if !self.one_in(5) {
                return self.pick(values).clone();
            }
        }
        if let Some(c) = o.get("const") {
            if !self.one_in(4) {
                return c.clone();
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(branches) = o.get(key).and_then(Value::as_array).filter(|b| !b.is_empty()) {
                if self.one_in(2) {
                    let branch = self.pick(branches).clone();
                    return self.instance(&branch, depth + 1);
                }
                if key == "allOf" {
                    return self.instance(&merge(o, branches, self.root), depth + 1);
                }
            }
        }
        let types: Vec<&str> = match o.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => inferred_types(o),
        };
        let ty = if types.is_empty() { "any" } else { *self.pick(&types) };
        let nullable = o.get("nullable") == Some(&Value::Bool(true));
        if nullable && self.one_in(6) {
            return Value::Null;
        }
        match ty {
            "null" => Value::Null,
            "boolean" => json!(self.one_in(2)),
            "integer" => self.number(o, true),
            "number" => self.number(o, false),
            "string" => self.string(o),
            "array" => self.array(o, depth),
            "object" => self.object(o, depth),
            _ => self.any(depth),
        }
    }

    fn number(&mut self, o: &Map<String, Value>, integer: bool) -> Value {
        let mut candidates: Vec<f64> = vec![0.0, 1.0, -1.0, 7.0, 60.0, 9_007_199_254_740_993.0];
        for k in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
            if let Some(b) = o.get(k).and_then(Value::as_f64) {
                candidates.extend([b - 1.0, b, b + 1.0, b - 0.001, b + 0.001]);
            }
        }
        if let Some(m) = o.get("multipleOf").and_then(Value::as_f64) {
            let k = self.below(2000) as f64;
            candidates.extend([m * k, m * k + m / 2.0, m * 7.0]);
        }
        let mut n = *self.pick(&candidates);
        if integer && !self.one_in(6) {
            n = n.round();
        } else if !integer && self.one_in(4) {
            n += 0.5;
        }
        // Integers sometimes come as integer JSON numbers, sometimes as `60.0`.
        if n.fract() == 0.0 && n.abs() < 1e15 && !self.one_in(5) { json!(n as i64) } else { json!(n) }
    }

    fn string(&mut self, o: &Map<String, Value>) -> Value {
        let min = o.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = o.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
        if (min > 0 || max.is_some()) && self.one_in(2) {
            let len = self.below(max.unwrap_or(min + 3) + 2).max(min.saturating_sub(1));
            let alphabet = ['a', 'b', '1', 'é', '😀', ' ', '-'];
            return json!((0..len).map(|_| *self.pick(&alphabet)).collect::<String>());
        }
        let mut pool: Vec<String> = STRINGS.iter().map(|s| s.to_string()).collect();
        for k in ["example", "default"] {
            if let Some(s) = o.get(k).and_then(Value::as_str) {
                pool.push(s.into());
            }
        }
        json!(self.pick(&pool).clone())
    }

    fn array(&mut self, o: &Map<String, Value>, depth: usize) -> Value {
        let min = o.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = o.get("maxItems").and_then(Value::as_u64).map(|m| m as usize).unwrap_or(min + 3).min(6);
        let len = self.below(max + 2).max(min.saturating_sub(1));
        let prefix = o.get("prefixItems").and_then(Value::as_array).cloned().unwrap_or_default();
        let items = o.get("items").cloned().unwrap_or(Value::Bool(true));
        let mut out: Vec<Value> = Vec::new();
        for i in 0..len {
            let s = prefix.get(i).cloned().unwrap_or_else(|| items.clone());
            let s = match (&s, o.get("contains")) {
                (_, Some(c)) if self.one_in(2) => c.clone(),
                (Value::Array(tuple), _) => tuple.get(i).cloned().unwrap_or(Value::Bool(true)),
                _ => s,
            };
            out.push(self.instance(&s, depth + 1));
        }
        if !out.is_empty() && self.one_in(5) {
            let first = out[0].clone();
            out.push(first);
        }
        Value::Array(out)
    }

    fn object(&mut self, o: &Map<String, Value>, depth: usize) -> Value {
        let required: Vec<String> =
            o.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
        let mut out = Map::new();
        if let Some(props) = o.get("properties").and_then(Value::as_object) {
            for (k, s) in props {
                let keep = if required.contains(k) { !self.one_in(12) } else { !self.one_in(3) };
                if keep {
                    let v = self.instance(s, depth + 1);
                    out.insert(k.clone(), v);
                }
            }
        }
        if let Some(pp) = o.get("patternProperties").and_then(Value::as_object) {
            for s in pp.values() {
                if self.one_in(2) {
                    let k = self.pick(&self.keys.clone()).clone();
                    let v = self.instance(s, depth + 1);
                    out.insert(k, v);
                }
            }
        }
        if self.one_in(4) {
            let k = self.pick(&self.keys.clone()).clone();
            let extra = o.get("additionalProperties").cloned().unwrap_or(Value::Bool(true));
            let v = self.instance(&extra, depth + 1);
            out.insert(k, v);
        }
        Value::Object(out)
    }
}

/// The types a schema without `type` implies by its keywords (empty: any).
fn inferred_types(o: &Map<String, Value>) -> Vec<&'static str> {
    let has = |ks: &[&str]| ks.iter().any(|k| o.contains_key(*k));
    let mut t = Vec::new();
    if has(&["properties", "required", "additionalProperties", "patternProperties", "propertyNames", "dependentRequired"]) {
        t.push("object");
    }
    if has(&["items", "prefixItems", "contains", "minItems"]) {
        t.push("array");
    }
    if has(&["pattern", "minLength", "maxLength"]) {
        t.push("string");
    }
    if has(&["minimum", "maximum", "multipleOf", "exclusiveMinimum"]) {
        t.push("number");
    }
    t
}

/// An `allOf` flattened one level: properties, required and type of every branch.
fn merge(o: &Map<String, Value>, branches: &[Value], root: &Value) -> Value {
    let mut merged = o.clone();
    merged.remove("allOf");
    for b in branches {
        let b = match b.get("$ref").and_then(Value::as_str).and_then(|r| root.pointer(r.strip_prefix('#')?)) {
            Some(t) => t,
            None => b,
        };
        let Some(b) = b.as_object() else { continue };
        for (k, v) in b {
            match (merged.get_mut(k), v) {
                (Some(Value::Object(m)), Value::Object(add)) => m.extend(add.clone()),
                (Some(Value::Array(m)), Value::Array(add)) if k == "required" => m.extend(add.clone()),
                (None, _) => {
                    merged.insert(k.clone(), v.clone());
                }
                _ => {}
            }
        }
    }
    Value::Object(merged)
}

/// Every property name in the document, plus names no schema uses.
fn key_pool(root: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, v) in o {
                    if k == "properties" {
                        if let Some(p) = v.as_object() {
                            out.extend(p.keys().cloned());
                        }
                    }
                    walk(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out: Vec<String> = ["unknown", "x-env", "x-", "n_a", "s_b", "env", "ABC", "abcdef", "card", "cvc", "bill", "address", "é"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    walk(root, &mut out);
    out.sort();
    out.dedup();
    out
}

/// A schema-valid value that has no Rust representation: `Some(reason)`. (Readings of the spec
/// that differ from plain JSON Schema are in [`alternatives`].)
fn deviation(instance: &Value, ours: &Value) -> Option<&'static str> {
    let error = ours["error"].as_str().unwrap_or_default();
    if error.contains("does not convert") && contains_big_integer(instance) {
        return Some("an integer beyond i64 is valid JSON Schema but has no i64 representation (conversion error, a 400)");
    }
    None
}

fn contains_big_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_i64().is_none() && n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18),
        Value::Array(a) => a.iter().any(contains_big_integer),
        Value::Object(o) => o.values().any(contains_big_integer),
        _ => false,
    }
}

/// `readers`: per target, the fast-path reader the generated crate has for it, if any.
fn harness(krate: &str, targets: &[NamedSchema], readers: &[Option<String>]) -> String {
    let mut table = String::new();
    for (t, reader) in targets.iter().zip(readers) {
        let ty = t.rust_type.replace("types::", &format!("{krate}::types::"));
        let fast = match reader {
            Some(r) => format!("Some(|b| {krate}::validate::{r}(b).map(|t| serde_json::to_value(t).expect(\"serializes\")))"),
            None => "None".to_string(),
        };
        let _ = writeln!(table, "    (|v| check::<{ty}>(v, {krate}::validate::{}), {fast}),", t.validator);
    }
    format!(
        r#"//! Reads DIFF_CASES ([schema index, instance] pairs), writes DIFF_RESULTS (verdicts): the
//! full path (validation, then conversion) and, where the crate has one, the fast path.
#![allow(unused_imports)]
use serde_json::Value;

type Validator = fn(&Value, &mut {krate}::runtime::InstancePath, &mut Vec<{krate}::runtime::Violation>);

/// The converted value, serialised back, when `v` is valid.
fn check<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value, f: Validator) -> Result<Option<Value>, String> {{
    if !{krate}::runtime::is_valid(v, f) {{
        return Ok(None);
    }}
    {krate}::runtime::convert::<T>(v.clone())
        .map(|t| Some(serde_json::to_value(t).expect("serializes")))
        .map_err(|e| format!("valid, but does not convert: {{e}}"))
}}

type Full = fn(&Value) -> Result<Option<Value>, String>;
type Fast = Option<fn(&[u8]) -> Option<Value>>;

static TABLE: &[(Full, Fast)] = &[
{table}];

#[test]
fn run() {{
    let cases: Vec<(usize, Value)> = serde_json::from_str(&std::fs::read_to_string(std::env::var("DIFF_CASES").expect("DIFF_CASES")).expect("cases")).expect("json");
    let results: Vec<Value> = cases
        .iter()
        .map(|(i, data)| {{
            let (full, fast) = TABLE[*i];
            let mut verdict = match full(data) {{
                Ok(converted) => serde_json::json!({{"valid": converted.is_some(), "converted": converted}}),
                Err(e) => serde_json::json!({{"valid": false, "error": e}}),
            }};
            if let Some(fast) = fast {{
                verdict["fast"] = fast(&serde_json::to_vec(data).expect("json")).unwrap_or(Value::Null);
            }}
            verdict
        }})
        .collect();
    std::fs::write(std::env::var("DIFF_RESULTS").expect("DIFF_RESULTS"), serde_json::to_string(&results).expect("json")).expect("results");
}}
"#
    )
}

#[test]
fn generated_validators_agree_with_jsonschema() {
    let work = scratch::fresh_dir("differential");
    let mut members = Vec::new();
    let mut runs = Vec::new();
    let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut fast_readers = 0;
    for spec in SPECS {
        let (stem, docs) = scratch::load(spec);
        let krate = format!("diff_{stem}");
        let targets = scratch::named_schemas(&docs, &options(&krate));
        assert!(!targets.is_empty(), "{spec}: no named schemas");
        let generated = codegen::generate_loaded(&docs, &options(&krate.replace('_', "-"))).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let dir = work.join(&stem);
        scratch::write_files(&dir, &generated.files);
        let validate_rs = generated.files.iter().find(|f| f.path == "src/validate.rs").map(|f| f.contents.as_str()).unwrap_or_default();
        let readers: Vec<Option<String>> = targets
            .iter()
            .map(|t| {
                let name = codegen::naming::companion_fn(&t.validator, "read");
                validate_rs.contains(&format!("pub fn {name}(")).then_some(name)
            })
            .collect();
        fast_readers += readers.iter().flatten().count();
        scratch::add_test(&dir, "diff", &harness(&krate, &targets, &readers), "serde = \"1\"\nserde_json = \"1\"\n");
        let mut reference_root = docs.root_value().clone();
        let openapi_30 = docs.root_value()["openapi"].as_str().is_some_and(|v| v.starts_with("3.0"));
        if openapi_30 {
            normalise_30(&mut reference_root, false);
        }
        let alternative_roots = alternatives(docs.root_value(), openapi_30);
        let mut generator = Gen { rng: &mut rng, root: &reference_root, keys: key_pool(&reference_root) };
        let mut cases: Vec<(usize, Value)> = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let schema = reference_root.pointer(&t.pointer).cloned().unwrap_or(Value::Bool(true));
            // Bodies with a fast path get more: both paths are compared on them.
            let n = if readers[i].is_some() { PER_SCHEMA * 5 } else { PER_SCHEMA };
            for _ in 0..n {
                cases.push((i, generator.instance(&schema, 0)));
            }
        }
        std::fs::write(dir.join("cases.json"), serde_json::to_string(&cases).expect("json")).expect("cases");
        members.push(stem.clone());
        runs.push((spec, stem, targets, reference_root, alternative_roots, cases));
    }
    scratch::workspace(&work, &members);
    let mut total = 0;
    let mut valid = 0;
    let mut documented: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut unbuildable = Vec::new();
    let (mut fast_accepted, mut fast_declined_valid, mut fast_mismatches) = (0, 0, Vec::new());
    for (spec, stem, targets, reference_root, alternative_roots, cases) in &runs {
        let dir = work.join(stem);
        let results_path = dir.join("results.json");
        let cases_path = dir.join("cases.json");
        let output = scratch::cargo(&dir, &["test", "--quiet", "--test", "diff"], &[("DIFF_CASES", &cases_path), ("DIFF_RESULTS", &results_path)]);
        assert!(output.status.success(), "{spec}: the generated crate does not build or run:\n{}", String::from_utf8_lossy(&output.stderr));
        let results: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&results_path).expect("results")).expect("json");
        assert_eq!(results.len(), cases.len(), "{spec}: one verdict per case");
        let validators: Vec<Option<jsonschema::Validator>> = targets
            .iter()
            .map(|t| match reference_validator(reference_root, t) {
                Ok(v) => Some(v),
                Err(e) => {
                    let at = format!("{spec}#{}", t.pointer);
                    println!("  not compared: {at}: jsonschema: {e}");
                    unbuildable.push(at);
                    None
                }
            })
            .collect();
        for ((i, instance), ours) in cases.iter().zip(&results) {
            // The fast path accepts only valid bodies, and reads them exactly as the full path.
            if let Some(fast) = ours.get("fast").filter(|f| !f.is_null()) {
                fast_accepted += 1;
                if ours["converted"] != *fast {
                    fast_mismatches.push(format!("{spec}#{}: {instance}: fast path read {fast}, full path {ours}", targets[*i].pointer));
                }
            } else if ours.get("fast").is_some() && ours["valid"] == Value::Bool(true) {
                fast_declined_valid += 1;
            }
            let Some(reference) = &validators[*i] else { continue };
            total += 1;
            let theirs = reference.is_valid(instance);
            valid += usize::from(theirs);
            if ours["valid"].as_bool() == Some(theirs) {
                continue;
            }
            let t = &targets[*i];
            let explained = deviation(instance, ours).or_else(|| {
                alternative_roots.iter().find_map(|(reason, alt)| {
                    let v = reference_validator(alt, t).ok()?;
                    (ours["valid"].as_bool() == Some(v.is_valid(instance))).then_some(*reason)
                })
            });
            match explained {
                Some(reason) => {
                    let e = documented.entry(reason).or_insert((0, format!("{spec}#{}: {instance}", t.pointer)));
                    e.0 += 1;
                }
                None => mismatches.push(format!("{spec}#{}: {instance}: ours {ours}, jsonschema valid={theirs}", t.pointer)),
            }
        }
    }
    println!(
        "fast path: {fast_readers} readers, {fast_accepted} instances read on it, {fast_declined_valid} valid ones left to the full path, {} mismatches",
        fast_mismatches.len()
    );
    assert!(fast_mismatches.is_empty(), "the fast path disagrees with the full path:\n{}", fast_mismatches.join("\n"));
    assert!(fast_readers >= 3 && fast_accepted >= 100, "the fast path must be exercised: {fast_readers} readers, {fast_accepted} reads");
    println!("differential: {total} instances, {valid} valid per jsonschema, {} disagreements, {} documented", mismatches.len(), documented.values().map(|d| d.0).sum::<usize>());
    for (reason, (n, example)) in &documented {
        println!("  deviation ({n}x): {reason}\n    e.g. {example}");
    }
    let expected: Vec<&str> = UNBUILDABLE.iter().map(|(at, _)| *at).collect();
    assert_eq!(unbuildable, expected, "the schemas jsonschema cannot build are documented in UNBUILDABLE");
    assert!(total >= 3000, "several thousand instances: {total}");
    assert!(valid * 5 >= total && valid * 5 <= total * 4, "instances must mix valid and invalid: {valid} of {total} valid");
    assert!(mismatches.is_empty(), "{} disagreements with jsonschema:\n{}", mismatches.len(), mismatches.iter().take(40).cloned().collect::<Vec<_>>().join("\n"));
}
