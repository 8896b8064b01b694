//! Differential checking shared by the property tests: OpenAPI 3.0 read as JSON Schema, a
//! schema-guided random instance generator on proptest's deterministic RNG, the `jsonschema`
//! reference validator, and the comparison of a generated crate's verdicts with it (documented
//! deviations recognised and counted).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proptest::prelude::RngCore;
use proptest::test_runner::TestRng;
use serde_json::{Map, Value, json};

use crate::scratch::NamedSchema;

/// OpenAPI 3.0 Schema Objects as JSON Schema: `nullable` adds `null` to `type` (3.0.3: and only
/// when `type` is present, unless `lenient`: then `null` becomes one more `anyOf` alternative, or
/// the schema an alternative of `anyOf: [null, schema]`), boolean exclusive bounds become numeric
/// ones, and a `$ref` ignores its siblings.
pub fn normalise_30(v: &mut Value, lenient: bool) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| normalise_30(x, lenient)),
        Value::Object(o) => {
            // A `$ref` member with a string value (not a property named `$ref`).
            if let Some(r) = o.get("$ref").filter(|r| r.is_string()).cloned() {
                o.clear();
                o.insert("$ref".into(), r);
                return;
            }
            if o.remove("nullable") == Some(Value::Bool(true)) {
                let alternatives_only = o.get("anyOf").is_some_and(Value::is_array) && !o.contains_key("oneOf") && !o.contains_key("allOf");
                match o.get_mut("type") {
                    Some(Value::String(t)) => {
                        let t = t.clone();
                        o.insert("type".into(), json!([t, "null"]));
                    }
                    Some(Value::Array(a)) if !a.contains(&json!("null")) => a.push(json!("null")),
                    Some(_) => {}
                    // Where there is a list of alternatives, `null` joins it at the end, so every
                    // pointer into the schema (a test target's, a `$ref`'s) still names the
                    // same subschema; otherwise the schema moves under an `anyOf`.
                    None if lenient && alternatives_only => {
                        if let Some(Value::Array(a)) = o.get_mut("anyOf") {
                            a.push(json!({"type": "null"}));
                        }
                    }
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

/// Drops from `required` every property marked with one of `flags` (`readOnly`: OpenAPI says it
/// "SHOULD NOT be sent as part of the request", so a request may omit it; `writeOnly` likewise
/// for a response).
pub fn flagged_not_required(v: &mut Value, flags: &[&str]) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| flagged_not_required(x, flags)),
        Value::Object(o) => {
            let flagged: Vec<String> = o
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.iter().filter(|(_, s)| flags.iter().any(|f| s.get(*f) == Some(&Value::Bool(true)))).map(|(k, _)| k.clone()).collect())
                .unwrap_or_default();
            if let Some(Value::Array(r)) = o.get_mut("required") {
                r.retain(|n| !n.as_str().is_some_and(|n| flagged.iter().any(|k| k == n)));
            }
            o.values_mut().for_each(|x| flagged_not_required(x, flags));
        }
        _ => {}
    }
}

/// The documented deviations, each as the reference document that reads the spec the way the
/// generator does: a disagreement that disappears under one of them is that deviation.
pub fn alternatives(raw: &Value, openapi_30: bool) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    if openapi_30 {
        let mut lenient = raw.clone();
        normalise_30(&mut lenient, true);
        out.push((
            "OpenAPI 3.0 `nullable: true` beside `allOf`/`oneOf`/`anyOf` and no `type` allows null here (the common reading; 3.0.3's clarification would not)",
            lenient,
        ));
    }
    for (flags, reason) in [
        (&["readOnly"][..], "a required `readOnly` property may be absent from a request (OpenAPI: it is not sent)"),
        (&["readOnly", "writeOnly"][..], "a required `writeOnly` (or `readOnly`) property may be absent (OpenAPI: it is not sent in a response, or request)"),
    ] {
        let mut reading = raw.clone();
        // `readOnly`/`writeOnly` beside a 3.0 `$ref` are read before its siblings are dropped.
        flagged_not_required(&mut reading, flags);
        if openapi_30 {
            normalise_30(&mut reading, false);
        }
        out.push((reason, reading));
    }
    out
}

/// The `jsonschema` validator for the schema at `pointer` of `root` (refs resolve in `root`).
pub fn reference_validator(root: &Value, target: &NamedSchema) -> Result<jsonschema::Validator, String> {
    let schema = if target.schema.get("$schema").is_some() || target.schema.get("$id").is_some() {
        // A schema that names its own dialect or URI is its own resource (jsonschema does not
        // look for `$id`s under an OpenAPI document's `components`).
        target.schema.clone()
    } else {
        let mut doc = root.clone();
        if let Value::Object(o) = &mut doc {
            o.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
            o.insert("$ref".into(), json!(format!("#{}", fragment(&target.pointer))));
        }
        doc
    };
    jsonschema::options().should_validate_formats(false).build(&schema).map_err(|e| e.to_string())
}

/// A JSON pointer as a URI fragment: what RFC 3986 does not allow there (`{`, `}`, spaces,
/// non-ASCII, `%`, ...) percent-encoded.
pub fn fragment(pointer: &str) -> String {
    let mut out = String::new();
    for b in pointer.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A schema-guided random JSON generator.
#[derive(Debug)]
pub struct Gen<'a> {
    rng: &'a mut TestRng,
    root: &'a Value,
    /// Member names worth trying: every property name of the spec plus look-alikes.
    keys: Vec<String>,
    /// Schema-guided values one instance may have before the rest of it is arbitrary (shallow)
    /// JSON: wide schemas nested six deep (Stripe's) otherwise make instances of megabytes.
    budget: usize,
    /// Schema-guided values of the instance being made.
    spent: usize,
}

/// Strings that tell validators apart: empty, ASCII, E.164 and its Arabic-Indic twin, a trailing
/// newline, ECMA white space, an astral character, unknown enum spellings.
const STRINGS: &[&str] = &[
    "",
    "a",
    "ab",
    "abc",
    "abcd",
    "abc-abc",
    "abc-abd",
    "ABC",
    "+14155550100",
    "+1٤١٥٥٥٥٠١٠٠",
    "+14155550100\n",
    "x+14155550100",
    " ",
    "\u{a0}",
    "😀",
    "😀😀",
    "1",
    "1.5",
    "true",
    "null",
    "a-1.example.com",
    "a-.example.com",
    "aaa!",
    "aaaa",
    "dev",
    "long",
    "123e4567-e89b-12d3-a456-426614174000",
    "2024-02-29T23:59:60Z",
    "one",
    "One",
    "fixed",
    "x-env",
    "n_a",
    "s_b",
    "card",
    "cvc",
];

impl<'a> Gen<'a> {
    /// A generator for the schemas of `root`, drawing from `rng`.
    pub fn new(rng: &'a mut TestRng, root: &'a Value) -> Self {
        Gen { rng, root, keys: key_pool(root), budget: usize::MAX, spent: 0 }
    }

    /// At most `budget` schema-guided values per instance (unbounded by default; the draws, and
    /// so the instances, are the same until the budget is reached).
    pub fn with_budget(mut self, budget: usize) -> Self {
        self.budget = budget;
        self
    }

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

    /// A random instance near `s` (a schema of the root document), sometimes arbitrary JSON.
    pub fn instance(&mut self, s: &Value, depth: usize) -> Value {
        if depth == 0 {
            self.spent = 0;
        }
        self.spent += 1;
        if depth > 6 || self.spent > self.budget || self.one_in(10) {
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
pub fn key_pool(root: &Value) -> Vec<String> {
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
    let mut out: Vec<String> =
        ["unknown", "x-env", "x-", "n_a", "s_b", "env", "ABC", "abcdef", "card", "cvc", "bill", "address", "é"].iter().map(|s| s.to_string()).collect();
    walk(root, &mut out);
    out.sort();
    out.dedup();
    out
}

/// A schema-valid value that has no Rust representation: `Some(reason)`. (Readings of the spec
/// that differ from plain JSON Schema are in [`alternatives`].)
pub fn deviation(instance: &Value, ours: &Value) -> Option<&'static str> {
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

/// The source of a test file that reads DIFF_CASES (`[row, instance]` pairs) and writes
/// DIFF_RESULTS (one verdict per case). `rows`: the crate (its Rust name) a schema is generated
/// in, the schema, and the fast-path reader the crate has for it, if any.
pub fn harness(rows: &[(&str, &NamedSchema, Option<&str>)]) -> String {
    let mut table = String::new();
    for (krate, t, reader) in rows {
        let ty = t.rust_type.replace("types::", &format!("{krate}::types::"));
        let fast = match reader {
            Some(r) => format!("Some(|b| {krate}::validate::{r}(b).map(|t| serde_json::to_value(t).expect(\"serializes\")))"),
            None => "None".to_string(),
        };
        let (full, convert) =
            (format!("{krate}::runtime::is_valid(v, {krate}::validate::{})", t.validator), format!("{krate}::runtime::convert::<{ty}>(v.clone())"));
        let _ = writeln!(table, "    (|v| check({full}, || {convert}.map(|t| serde_json::to_value(t).expect(\"serializes\"))), {fast}),");
    }
    format!(
        r#"//! Reads DIFF_CASES ([row, instance] pairs), writes DIFF_RESULTS (verdicts): the
//! full path (validation, then conversion) and, where the crate has one, the fast path.
#![allow(unused_imports)]
use serde_json::Value;

/// The converted value, serialised back, when the value is valid (`valid`: the crate's
/// `runtime::is_valid` with the schema's validator; `convert`: its `runtime::convert`).
fn check(valid: bool, convert: impl FnOnce() -> Result<Value, serde_json::Error>) -> Result<Option<Value>, String> {{
    if !valid {{
        return Ok(None);
    }}
    convert().map(Some).map_err(|e| format!("valid, but does not convert: {{e}}"))
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

/// Running totals of a comparison of generated verdicts with `jsonschema`.
#[derive(Debug, Default)]
pub struct Tally {
    /// Instances compared.
    pub total: usize,
    /// Of those, valid per `jsonschema`.
    pub valid: usize,
    /// Disagreements explained by a documented deviation: reason -> (count, first example).
    pub documented: BTreeMap<&'static str, (usize, String)>,
    /// Disagreements no deviation explains, one line each.
    pub mismatches: Vec<String>,
    /// `spec#pointer` of the schemas `jsonschema` cannot build (their instances are not compared).
    pub unbuildable: Vec<String>,
    /// Instances the fast path read.
    pub fast_accepted: usize,
    /// Valid instances the fast path left to the full path.
    pub fast_declined_valid: usize,
    /// Instances the fast path read differently from the full path.
    pub fast_mismatches: Vec<String>,
}

impl Tally {
    /// Compares the verdicts `results` (one per case, as the harness writes them: `valid`,
    /// `converted`, `error`, and `fast` where there is a fast path) for the `cases` of `spec`.
    pub fn compare(
        &mut self,
        spec: &str,
        targets: &[NamedSchema],
        reference_root: &Value,
        alternative_roots: &[(&'static str, Value)],
        cases: &[(usize, Value)],
        results: &[Value],
    ) {
        assert_eq!(results.len(), cases.len(), "{spec}: one verdict per case");
        let validators: Vec<Option<jsonschema::Validator>> = targets
            .iter()
            .map(|t| match reference_validator(reference_root, t) {
                Ok(v) => Some(v),
                Err(e) => {
                    let at = format!("{spec}#{}", t.pointer);
                    println!("  not compared: {at}: jsonschema: {e}");
                    self.unbuildable.push(at);
                    None
                }
            })
            .collect();
        for ((i, instance), ours) in cases.iter().zip(results) {
            // The fast path accepts only valid bodies, and reads them exactly as the full path.
            if let Some(fast) = ours.get("fast").filter(|f| !f.is_null()) {
                self.fast_accepted += 1;
                if ours["converted"] != *fast {
                    self.fast_mismatches.push(format!("{spec}#{}: {instance}: fast path read {fast}, full path {ours}", targets[*i].pointer));
                }
            } else if ours.get("fast").is_some() && ours["valid"] == Value::Bool(true) {
                self.fast_declined_valid += 1;
            }
            let Some(reference) = &validators[*i] else { continue };
            self.total += 1;
            let theirs = reference.is_valid(instance);
            self.valid += usize::from(theirs);
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
                    let e = self.documented.entry(reason).or_insert((0, format!("{spec}#{}: {instance}", t.pointer)));
                    e.0 += 1;
                }
                None => self.mismatches.push(format!("{spec}#{}: {instance}: ours {ours}, jsonschema valid={theirs}", t.pointer)),
            }
        }
    }

    /// Disagreements explained by a documented deviation.
    pub fn documented_count(&self) -> usize {
        self.documented.values().map(|d| d.0).sum()
    }

    /// Prints one line per documented deviation with its count and an example.
    pub fn print_deviations(&self) {
        for (reason, (n, example)) in &self.documented {
            println!("  deviation ({n}x): {reason}\n    e.g. {example}");
        }
    }
}
