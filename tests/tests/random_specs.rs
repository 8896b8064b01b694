//! Random valid OpenAPI specs: a small grammar (objects, arrays, scalars with bounds, enums,
//! unions with and without discriminator, `allOf`, both nullable spellings, patterns, formats,
//! `readOnly`/`writeOnly`, `$ref`s, names that differ only in case or punctuation, parameters in
//! every location and style, JSON and form bodies, several responses) drawn from proptest's
//! deterministic RNG. Every spec must generate without an error, all crates must pass clippy with
//! warnings denied in one scratch workspace build, and every named schema's validator must agree
//! with `jsonschema` on random instances (the deviations documented in `differential.rs` apply,
//! plus: a required `writeOnly` property may be absent, see `tests::instances::alternatives`).
//! Which constructs a run drew is printed, and a default-sized run must draw every one.
//!
//! `RANDOM_SPECS_SEED=<u64>` explores another seed, `RANDOM_SPECS_COUNT=<n>` sets how many specs
//! (default [`SPECS`]); every spec is written to `target/random-specs/specs/` and a failure
//! prints the seed and the files to reproduce it with (`cargo xtask gen --spec <file> ...`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Instant;

use codegen::{Options, Severity};
use proptest::prelude::RngCore;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{Map, Value, json};
use tests::instances::{Gen, Tally, alternatives, harness, normalise_30};
use tests::scratch::{self, NamedSchema};

/// Specs per run (one scratch workspace build for all).
const SPECS: usize = 40;
/// Instances per named schema.
const PER_SCHEMA: usize = 60;
/// The seed of the default run.
const SEED: u64 = 0x0a51_5eed_2026;

/// Simple ECMA-262 patterns, each with a string it matches (given as `example`, so the instance
/// generator tries it).
const PATTERNS: &[(&str, &str)] = &[
    ("^[a-z]+$", "abc"),
    ("^[A-Z][a-z0-9]*$", "Ab1"),
    ("^\\d{3}-\\d{4}$", "555-0100"),
    ("^(foo|bar)\\d?$", "foo1"),
    ("^\\w+@\\w+\\.com$", "a_1@b.com"),
    ("^[^\\s]+$", "x+y"),
    ("ab", "xaby"),
    ("^.{2,4}$", "é😀"),
    ("^\\+[1-9]\\d{1,14}$", "+14155550100"),
    ("^[a-f0-9]{2}(:[a-f0-9]{2})*$", "0a:ff"),
    ("^(?:[a-z]+-)*[a-z]+$", "abc-abd"),
];

/// Property names: plain, keywords, names that only differ in punctuation, a leading digit,
/// non-ASCII.
const PROPERTIES: &[&str] = &[
    "id",
    "name",
    "type",
    "self",
    "value",
    "a-b",
    "a_b",
    "camelCase",
    "snake_case",
    "x",
    "9lives",
    "kind",
    "ok",
    "Option",
    "String",
    "box",
    "default",
    "items",
    "tags",
    "é",
    "created_at",
    "createdAt",
    "ref",
    "$ref",
    "match",
    "count",
];
const COMPONENTS: &[&str] = &["Pet", "Order", "user", "Item-List", "error_body", "Thing", "Type", "Self_", "Box", "Value", "Node", "owner.profile"];
const PLAIN_NAMES: &[&str] = &["Result", "Option", "String", "Vec", "Error"];
const STRING_ENUM: &[&str] = &["a", "b", "c-d", "E", "with space", "1x", "", "on", "On", "null", "é", "a_b", "a-b"];
const PARAMS: &[&str] = &["limit", "q", "filter", "ids", "sort_by", "sortBy", "a-b", "with.dot", "page", "type", "self", "x"];

/// What a component schema is, for the places that need one kind (parameters, form bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `type` is one of string, integer, number, boolean (not nullable).
    Scalar,
    /// `type: object` whose properties are scalars or arrays of scalars (form and deepObject friendly).
    FlatObject,
    /// Anything else.
    Other,
}

/// A random spec under construction.
struct SpecGen {
    rng: TestRng,
    v31: bool,
    components: Vec<(String, Value, Kind)>,
}

impl SpecGen {
    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    fn reference(name: &str) -> Value {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn integer(&mut self) -> Value {
        let mut s = Map::new();
        s.insert("type".into(), json!("integer"));
        let min = self.below(40) as i64 - 10;
        if self.one_in(2) {
            s.insert("minimum".into(), json!(min));
        }
        if self.one_in(2) {
            s.insert("maximum".into(), json!(min + self.below(100) as i64 + 2));
        }
        if self.one_in(4) {
            for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
                if let Some(b) = s.get(bound).cloned() {
                    if self.v31 {
                        s.remove(bound);
                        s.insert(flag.into(), b);
                    } else {
                        s.insert(flag.into(), json!(true));
                    }
                }
            }
        }
        if self.one_in(5) {
            s.insert("multipleOf".into(), json!(self.pick(&[2, 3, 5, 10])));
        }
        if self.one_in(4) {
            s.insert("format".into(), json!(self.pick(&["int32", "int64"])));
        }
        Value::Object(s)
    }

    fn number(&mut self) -> Value {
        let mut s = Map::new();
        s.insert("type".into(), json!("number"));
        if self.one_in(2) {
            s.insert("minimum".into(), json!(self.pick(&[-1.5, 0.0, 0.5, 2.25])));
        }
        if self.one_in(2) {
            s.insert("maximum".into(), json!(self.pick(&[3.5, 10.0, 99.75])));
        }
        if self.one_in(5) {
            let flag = if self.v31 { json!(self.pick(&[0.0, 1.5])) } else { json!(true) };
            if self.v31 || s.contains_key("minimum") {
                s.insert("exclusiveMinimum".into(), flag);
            }
        }
        if self.one_in(4) {
            s.insert("multipleOf".into(), json!(self.pick(&[0.5, 0.25, 0.01])));
        }
        if self.one_in(5) {
            s.insert("format".into(), json!(self.pick(&["float", "double"])));
        }
        Value::Object(s)
    }

    fn string(&mut self) -> Value {
        let mut s = Map::new();
        s.insert("type".into(), json!("string"));
        if self.one_in(3) {
            let (pattern, example) = self.pick(PATTERNS);
            s.insert("pattern".into(), json!(pattern));
            s.insert("example".into(), json!(example));
        }
        if self.one_in(3) {
            let min = self.below(3);
            s.insert("minLength".into(), json!(min));
            if self.one_in(2) {
                s.insert("maxLength".into(), json!(min + self.below(6) + 1));
            }
        } else if self.one_in(4) {
            s.insert("maxLength".into(), json!(self.below(8) + 1));
        }
        if self.one_in(6) {
            // Annotations here (the run generates with `plain_formats`, as `jsonschema` reads them).
            s.insert("format".into(), json!(self.pick(&["uuid", "date-time", "date", "email", "uri", "ipv4", "byte", "binary", "x-custom"])));
        }
        Value::Object(s)
    }

    fn string_enum(&mut self) -> Value {
        let mut values = BTreeSet::new();
        for _ in 0..self.below(4) + 1 {
            values.insert(self.pick(STRING_ENUM));
        }
        json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>()})
    }

    fn other_enum(&mut self) -> Value {
        match self.below(4) {
            0 => json!({"type": "integer", "enum": [1, 2, 3]}),
            1 => json!({"type": "integer", "enum": [-1, 0, 100]}),
            2 => json!({"type": "number", "enum": [0.5, 1, 2.5]}),
            _ => json!({"enum": ["a", 1, true]}),
        }
    }

    /// A scalar schema (string, integer, number, boolean, enum), never nullable.
    fn scalar(&mut self) -> Value {
        match self.below(7) {
            0 | 1 => self.string(),
            2 => self.integer(),
            3 => self.number(),
            4 => json!({"type": "boolean"}),
            5 => self.string_enum(),
            _ => self.other_enum(),
        }
    }

    /// `s` allowing `null`, in the spelling of the spec's version.
    fn nullable(&mut self, s: Value) -> Value {
        let Value::Object(mut o) = s else { return s };
        if o.contains_key("$ref") || o.contains_key("oneOf") || o.contains_key("anyOf") {
            if self.v31 {
                let key = if self.one_in(2) { "anyOf" } else { "oneOf" };
                return json!({key: [Value::Object(o), {"type": "null"}]});
            }
            // OpenAPI 3.0 has no way to make a `$ref` nullable but `allOf` + `nullable` (a
            // documented deviation: the generator allows null there).
            return if o.contains_key("$ref") {
                json!({"allOf": [Value::Object(o)], "nullable": true})
            } else {
                o.insert("nullable".into(), json!(true));
                Value::Object(o)
            };
        }
        match o.get("type").cloned() {
            Some(Value::String(t)) if self.v31 => {
                o.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(e)) = o.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            Some(Value::String(_)) => {
                o.insert("nullable".into(), json!(true));
            }
            _ => {}
        }
        Value::Object(o)
    }

    /// A reference to a component schema defined so far (of `kind`, when given).
    fn component_ref(&mut self, kind: Option<Kind>) -> Option<Value> {
        let names: Vec<String> = self.components.iter().filter(|(_, _, k)| kind.is_none_or(|want| *k == want)).map(|(n, _, _)| n.clone()).collect();
        if names.is_empty() {
            return None;
        }
        Some(Self::reference(&self.pick(&names)))
    }

    fn object(&mut self, depth: usize, flat: bool) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        let n = self.below(5);
        for _ in 0..n {
            let name = self.pick(PROPERTIES);
            let mut s =
                if flat { if self.one_in(4) { json!({"type": "array", "items": self.scalar()}) } else { self.scalar() } } else { self.schema(depth + 1) };
            if !flat && self.one_in(6) {
                s = self.nullable(s);
            }
            if !flat && self.one_in(10) {
                if let Value::Object(o) = &mut s {
                    o.insert(if self.one_in(2) { "readOnly" } else { "writeOnly" }.into(), json!(true));
                }
            }
            if self.one_in(2) && !required.contains(&name) {
                required.push(name);
            }
            properties.insert(name.to_string(), s);
        }
        let mut o = Map::new();
        o.insert("type".into(), json!("object"));
        if !properties.is_empty() {
            o.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            o.insert("required".into(), json!(required));
        }
        if !flat && self.one_in(8) {
            o.insert(if self.one_in(2) { "minProperties" } else { "maxProperties" }.into(), json!(self.below(3) + 1));
        }
        match self.below(if flat { 3 } else { 5 }) {
            0 => {
                o.insert("additionalProperties".into(), json!(false));
            }
            1 => {
                o.insert("additionalProperties".into(), json!(true));
            }
            2 if !flat => {
                let extra = if self.one_in(2) { self.scalar() } else { self.schema(depth + 1) };
                o.insert("additionalProperties".into(), extra);
            }
            _ => {}
        }
        Value::Object(o)
    }

    fn array(&mut self, depth: usize) -> Value {
        let mut o = Map::new();
        o.insert("type".into(), json!("array"));
        o.insert("items".into(), self.schema(depth + 1));
        if self.one_in(3) {
            let min = self.below(3);
            o.insert("minItems".into(), json!(min));
            if self.one_in(2) {
                o.insert("maxItems".into(), json!(min + self.below(4)));
            }
        }
        if self.one_in(4) {
            o.insert("uniqueItems".into(), json!(true));
        }
        Value::Object(o)
    }

    fn union(&mut self, depth: usize) -> Value {
        let key = if self.one_in(2) { "oneOf" } else { "anyOf" };
        let branches: Vec<Value> = (0..self.below(2) + 2)
            .map(|_| match self.below(4) {
                0 => self.object(depth + 1, false),
                1 => self.component_ref(None).unwrap_or_else(|| self.scalar()),
                _ => self.scalar(),
            })
            .collect();
        json!({key: branches})
    }

    /// A `oneOf`/`anyOf` over new object components told apart by a discriminator property.
    fn discriminated(&mut self, depth: usize) -> Value {
        let property = self.pick(&["kind", "type", "petType"]);
        let key = if self.one_in(3) { "anyOf" } else { "oneOf" };
        let with_mapping = self.one_in(2);
        let mut mapping = Map::new();
        let mut branches = Vec::new();
        for j in 0..self.below(2) + 2 {
            let name = format!("{}Variant{j}", self.fresh_name());
            let tag = if with_mapping { format!("tag-{j}") } else { name.clone() };
            let mut variant = self.object(depth + 1, false);
            let o = variant.as_object_mut().expect("object");
            // Tags as an enum keep the variants apart; a plain string leaves it to validation.
            let tag_schema = if with_mapping && j == 0 { json!({"type": "string"}) } else { json!({"type": "string", "enum": [tag]}) };
            o.entry("properties").or_insert_with(|| json!({})).as_object_mut().expect("properties").insert(property.to_string(), tag_schema);
            let required = o.entry("required").or_insert_with(|| json!([]));
            if let Value::Array(r) = required {
                if !r.contains(&json!(property)) {
                    r.push(json!(property));
                }
            }
            self.components.push((name.clone(), variant, Kind::Other));
            if with_mapping {
                mapping.insert(tag, json!(format!("#/components/schemas/{name}")));
            }
            branches.push(Self::reference(&name));
        }
        let mut discriminator = json!({"propertyName": property});
        if with_mapping {
            discriminator["mapping"] = Value::Object(mapping);
        }
        json!({key: branches, "discriminator": discriminator})
    }

    fn schema(&mut self, depth: usize) -> Value {
        if depth >= 3 {
            return match self.below(3) {
                0 => self.component_ref(None).unwrap_or_else(|| self.scalar()),
                _ => self.scalar(),
            };
        }
        match self.below(13) {
            12 => {
                // Members merged into one struct: a component (object or not) and an inline object.
                let first = self.component_ref(None).unwrap_or_else(|| self.object(depth + 1, false));
                json!({"allOf": [first, self.object(depth + 1, false)]})
            }
            0..=3 => self.scalar(),
            4 | 5 => self.object(depth, false),
            6 => self.array(depth),
            7 => self.union(depth),
            8 if depth <= 1 => self.discriminated(depth),
            9 | 10 => self.component_ref(None).unwrap_or_else(|| self.object(depth, false)),
            _ => {
                let s = self.schema(depth + 1);
                self.nullable(s)
            }
        }
    }

    /// Sometimes a spelling of an existing component's name that differs only in case or
    /// punctuation (`Pet3` beside `pet_3`): distinct names that map to one Rust identifier.
    fn twin_name(&mut self) -> Option<String> {
        if self.components.is_empty() || !self.one_in(6) {
            return None;
        }
        let (base, _, _) = self.pick(&self.components.clone());
        let twin = match self.below(3) {
            0 => base.to_lowercase(),
            1 => base.chars().map(|c| if c.is_ascii_digit() { c } else { c.to_ascii_uppercase() }).collect(),
            _ => format!("{}_", base.trim_end_matches('_')),
        };
        (!self.components.iter().any(|(n, _, _)| *n == twin)).then_some(twin)
    }

    fn fresh_name(&mut self) -> String {
        let n = self.components.len();
        let base = self.pick(COMPONENTS);
        format!("{base}{n}")
    }

    fn kind(s: &Value) -> Kind {
        let flat_member = |p: &Value| {
            matches!(p.get("type").and_then(Value::as_str), Some("string" | "integer" | "number" | "boolean"))
                || p.get("type").and_then(Value::as_str) == Some("array")
                    && p["items"].get("type").and_then(Value::as_str).is_some_and(|t| t != "object" && t != "array")
        };
        match s.get("type").and_then(Value::as_str) {
            Some("string" | "integer" | "number" | "boolean") if s.get("nullable").is_none() => Kind::Scalar,
            Some("object") if s.get("properties").and_then(Value::as_object).is_none_or(|p| p.values().all(flat_member)) => Kind::FlatObject,
            _ => Kind::Other,
        }
    }

    fn components(&mut self) {
        for _ in 0..self.below(5) + 2 {
            let plain = self.pick(PLAIN_NAMES);
            let name = if self.one_in(5) && !self.components.iter().any(|(n, _, _)| *n == plain) {
                plain.to_string()
            } else if let Some(twin) = self.twin_name() {
                twin
            } else {
                self.fresh_name()
            };
            let schema = match self.below(8) {
                0 => self.object(0, true),
                1 => self.scalar(),
                _ => self.schema(0),
            };
            let kind = Self::kind(&schema);
            self.components.push((name, schema, kind));
        }
        // A self reference through an array (its empty value ends the recursion).
        if self.one_in(3) {
            let name = self.fresh_name();
            let node = json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": Self::reference(&name)}}});
            self.components.push((name, node, Kind::Other));
        }
    }

    fn scalar_or_ref(&mut self) -> Value {
        if self.one_in(4) {
            if let Some(r) = self.component_ref(Some(Kind::Scalar)) {
                return r;
            }
        }
        self.scalar()
    }

    fn flat_object_or_ref(&mut self) -> Value {
        if self.one_in(3) {
            if let Some(r) = self.component_ref(Some(Kind::FlatObject)) {
                return r;
            }
        }
        self.object(1, true)
    }

    /// One parameter at `location` named `name`: a style the location allows and a schema it fits.
    fn parameter(&mut self, location: &str, name: &str) -> Value {
        let mut p = json!({"name": name, "in": location});
        if location == "query" && self.one_in(10) {
            p["content"] = json!({"application/json": {"schema": self.schema(1)}});
            return p;
        }
        let array = |g: &mut SpecGen| json!({"type": "array", "items": g.scalar_or_ref()});
        let (style, schema) = match location {
            "path" => {
                let style = self.pick(&["simple", "label", "matrix"]);
                let schema = match self.below(5) {
                    0 => array(self),
                    1 if style == "simple" => self.flat_object_or_ref(),
                    _ => self.scalar_or_ref(),
                };
                (style, schema)
            }
            "query" => match self.below(6) {
                0 => ("spaceDelimited", array(self)),
                1 => ("pipeDelimited", array(self)),
                2 => ("deepObject", self.flat_object_or_ref()),
                3 => ("form", array(self)),
                4 if self.one_in(2) => ("form", self.flat_object_or_ref()),
                _ => ("form", self.scalar_or_ref()),
            },
            "header" => ("simple", if self.one_in(3) { array(self) } else { self.scalar_or_ref() }),
            _ => ("form", self.scalar_or_ref()),
        };
        // Each style's default spelling (omitted) or written out, and `explode` both ways.
        let default_style = matches!((location, style), ("path" | "header", "simple") | ("query" | "cookie", "form"));
        if !default_style || self.one_in(2) {
            p["style"] = json!(style);
        }
        match style {
            "deepObject" => p["explode"] = json!(true),
            "spaceDelimited" | "pipeDelimited" => {
                if self.one_in(2) {
                    p["explode"] = json!(false);
                }
            }
            _ => {
                if self.one_in(2) {
                    p["explode"] = json!(self.one_in(2));
                }
            }
        }
        if location == "path" || self.one_in(3) {
            p["required"] = json!(true);
        }
        p["schema"] = schema;
        p
    }

    /// An operation: its path (`shared`: the path and path parameters of an earlier one, for
    /// another method on the same path), method, Operation Object and path parameters.
    fn operation(
        &mut self,
        index: usize,
        shared: Option<(String, Vec<Value>)>,
        taken: &[String],
        ids: &mut BTreeSet<String>,
    ) -> (String, String, Value, Vec<Value>) {
        let methods: Vec<&str> = ["get", "post", "put", "patch", "delete"].into_iter().filter(|m| !taken.iter().any(|t| t == m)).collect();
        let method = self.pick(&methods);
        let mut used = BTreeSet::new();
        let (path, mut parameters) = match shared {
            Some((path, parameters)) => {
                used.extend(parameters.iter().filter_map(|p| p["name"].as_str().map(str::to_string)));
                (path, parameters)
            }
            None => {
                let mut path = format!("/r{index}");
                let mut parameters = Vec::new();
                for _ in 0..self.below(3) {
                    let name = format!("{}{}", self.pick(&["id", "item_id", "itemId", "name"]), used.len());
                    used.insert(name.clone());
                    path.push_str(&format!("/{}{{{name}}}", self.pick(&["", "x-", "v"])));
                    parameters.push(self.parameter("path", &name));
                }
                if self.one_in(3) {
                    path.push_str("/items");
                }
                (path, parameters)
            }
        };
        let path_parameters = parameters.clone();
        for location in ["query", "query", "query", "header", "cookie"] {
            if self.one_in(2) {
                let name = match location {
                    "header" => format!("X-Req-{}", used.len()),
                    _ => format!("{}{}", self.pick(PARAMS), used.len()),
                };
                used.insert(name.clone());
                parameters.push(self.parameter(location, &name));
            }
        }
        let mut op = json!({"responses": self.responses()});
        // Operation ids, some of them spellings of one name (`listItems`, `list_items`).
        let id = if self.one_in(5) {
            self.pick(&["listItems", "list_items", "ListItems", "list-items", "getR0", "get_r0"]).to_string()
        } else {
            format!("op{index}{}", self.pick(&["List", "_create", "-get", ""]))
        };
        if self.one_in(3) && ids.insert(id.clone()) {
            op["operationId"] = json!(id);
        }
        if !parameters.is_empty() {
            op["parameters"] = Value::Array(parameters);
        }
        if matches!(method, "post" | "put" | "patch") && !self.one_in(4) {
            let mut content = Map::new();
            // Flat objects are what the fast path reads.
            let json_schema = match self.below(3) {
                0 => self.flat_object_or_ref(),
                1 => self.component_ref(None).unwrap_or_else(|| self.schema(0)),
                _ => self.schema(0),
            };
            match self.below(3) {
                0 => {
                    content.insert("application/x-www-form-urlencoded".into(), json!({"schema": self.flat_object_or_ref()}));
                }
                1 => {
                    content.insert("application/json".into(), json!({"schema": json_schema}));
                    content.insert("application/x-www-form-urlencoded".into(), json!({"schema": self.flat_object_or_ref()}));
                }
                _ => {
                    content.insert("application/json".into(), json!({"schema": json_schema}));
                }
            }
            let mut body = json!({"content": content});
            if self.one_in(2) {
                body["required"] = json!(true);
            }
            op["requestBody"] = body;
        }
        (path, method.to_string(), op, path_parameters)
    }

    fn response_schema(&mut self) -> Value {
        if self.one_in(2) { self.component_ref(None).unwrap_or_else(|| self.schema(0)) } else { self.schema(0) }
    }

    fn responses(&mut self) -> Value {
        let mut r = Map::new();
        let ok = self.pick(&["200", "201"]);
        r.insert(ok.into(), json!({"description": "success", "content": {"application/json": {"schema": self.response_schema()}}}));
        if self.one_in(3) {
            r.insert("204".into(), json!({"description": "nothing"}));
        }
        if self.one_in(2) {
            let error = json!({"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}});
            let schema = if self.one_in(2) { error } else { self.response_schema() };
            r.insert("4XX".into(), json!({"description": "client error", "content": {"application/json": {"schema": schema}}}));
        }
        if self.one_in(2) {
            r.insert("default".into(), json!({"description": "anything else", "content": {"application/json": {"schema": self.response_schema()}}}));
        }
        Value::Object(r)
    }

    fn spec(seed: u64, index: usize) -> Value {
        let mut g = SpecGen { rng: rng(seed), v31: false, components: Vec::new() };
        g.v31 = g.one_in(2);
        g.components();
        let mut paths: Map<String, Value> = Map::new();
        let mut ids = BTreeSet::new();
        let mut last: Option<(String, Vec<Value>)> = None;
        for i in 0..g.below(4) + 1 {
            let shared = last.clone().filter(|_| g.one_in(3));
            let taken: Vec<String> = shared.as_ref().map(|(p, _)| paths[p].as_object().expect("path item").keys().cloned().collect()).unwrap_or_default();
            let (path, method, mut op, path_parameters) = g.operation(i, shared.clone(), &taken, &mut ids);
            let item = paths.entry(path.clone()).or_insert_with(|| json!({}));
            // Path parameters on the Path Item Object, shared by its operations.
            if shared.is_none() && !path_parameters.is_empty() && g.one_in(3) {
                item["parameters"] = Value::Array(path_parameters.clone());
            }
            if item.get("parameters").is_some() {
                if let Some(Value::Array(own)) = op.get_mut("parameters") {
                    own.retain(|p| p["in"] != "path");
                    if own.is_empty() {
                        op.as_object_mut().expect("operation").remove("parameters");
                    }
                }
            }
            item[method] = op;
            last = Some((path, path_parameters));
        }
        let schemas: Map<String, Value> = g.components.iter().map(|(n, s, _)| (n.clone(), s.clone())).collect();
        json!({
            "openapi": if g.v31 { "3.1.0" } else { "3.0.3" },
            "info": {"title": format!("Random spec {index}"), "version": "1.0.0"},
            "paths": paths,
            "components": {"schemas": schemas},
        })
    }
}

/// The grammar's constructs a spec uses, counted over the run (each must occur).
fn coverage(spec: &Value, counts: &mut BTreeMap<String, usize>) {
    fn walk(v: &Value, v31: bool, counts: &mut BTreeMap<String, usize>) {
        let mut add = |k: &str| *counts.entry(k.to_string()).or_default() += 1;
        match v {
            Value::Object(o) => {
                for k in ["oneOf", "anyOf", "allOf", "discriminator", "pattern", "$ref", "uniqueItems", "format", "readOnly", "writeOnly"] {
                    if o.get(k).is_some_and(|x| !x.is_object() || k == "discriminator") {
                        add(k);
                    }
                }
                if o.get("nullable") == Some(&Value::Bool(true)) {
                    add("nullable (3.0)");
                }
                if v31 && o.get("type").and_then(Value::as_array).is_some_and(|t| t.contains(&json!("null"))) {
                    add("type with null (3.1)");
                }
                for k in ["minItems", "maxItems", "minLength", "minimum", "exclusiveMinimum", "minProperties", "maxProperties"] {
                    if o.get(k).is_some_and(|x| !x.is_object()) {
                        add(k);
                    }
                }
                if o.get("type") == Some(&json!("object")) {
                    match o.get("additionalProperties") {
                        Some(Value::Bool(b)) => add(&format!("additionalProperties {b}")),
                        Some(_) => add("additionalProperties schema"),
                        None => {}
                    }
                }
                if let Some(e) = o.get("enum").and_then(Value::as_array) {
                    add(if e.iter().all(|x| x.is_string() || x.is_null()) { "string enum" } else { "other enum" });
                }
                if let (Some(location), Some(_)) = (o.get("in").and_then(Value::as_str), o.get("schema")) {
                    let style = o.get("style").and_then(Value::as_str).unwrap_or(if matches!(location, "path" | "header") { "simple" } else { "form" });
                    let explode = o.get("explode").and_then(Value::as_bool).unwrap_or(style == "form");
                    add(&format!("{location} {style}{}", if explode { " exploded" } else { "" }));
                }
                if let (Some(location), Some(_)) = (o.get("in").and_then(Value::as_str), o.get("content")) {
                    add(&format!("{location} content"));
                }
                let methods = ["get", "post", "put", "patch", "delete"].iter().filter(|m| o.get(**m).is_some_and(|x| x.get("responses").is_some())).count();
                if methods > 1 {
                    add("methods sharing a path");
                }
                if methods > 0 && o.contains_key("parameters") {
                    add("path item parameters");
                }
                if let Some(content) = o.get("requestBody").and_then(|b| b.get("content")).and_then(Value::as_object) {
                    content.keys().for_each(|m| add(&format!("body {m}")));
                }
                if let Some(responses) = o.get("responses").and_then(Value::as_object) {
                    responses.keys().for_each(|code| add(&format!("response {code}")));
                }
                o.values().for_each(|x| walk(x, v31, counts));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, v31, counts)),
            _ => {}
        }
    }
    let v31 = spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1"));
    *counts.entry(if v31 { "OpenAPI 3.1" } else { "OpenAPI 3.0" }.to_string()).or_default() += 1;
    walk(spec, v31, counts);
}

/// What [`coverage`] must find in a default-sized run.
const COVERED: &[&str] = &[
    "OpenAPI 3.0",
    "OpenAPI 3.1",
    "oneOf",
    "anyOf",
    "discriminator",
    "pattern",
    "$ref",
    "uniqueItems",
    "nullable (3.0)",
    "type with null (3.1)",
    "minItems",
    "maxItems",
    "minLength",
    "minimum",
    "exclusiveMinimum",
    "additionalProperties true",
    "additionalProperties false",
    "additionalProperties schema",
    "string enum",
    "other enum",
    "path simple",
    "path label",
    "path matrix",
    "path matrix exploded",
    "query form exploded",
    "query form",
    "query spaceDelimited",
    "query pipeDelimited",
    "query deepObject exploded",
    "header simple",
    "cookie form exploded",
    "body application/json",
    "body application/x-www-form-urlencoded",
    "response 200",
    "response 201",
    "response 204",
    "response 4XX",
    "response default",
    "allOf",
    "format",
    "readOnly",
    "writeOnly",
    "minProperties",
    "maxProperties",
    "query content",
    "methods sharing a path",
    "path item parameters",
];

fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={text}: {e}")))
}

/// One spec of the run: its crate, named schemas and instances.
struct Run {
    file: String,
    krate: String,
    targets: Vec<NamedSchema>,
    readers: Vec<Option<String>>,
    reference_root: Value,
    alternative_roots: Vec<(&'static str, Value)>,
    cases: Vec<(usize, Value)>,
}

#[test]
fn random_specs_generate_compile_and_agree_with_jsonschema() {
    let started = Instant::now();
    let seed = env_number("RANDOM_SPECS_SEED").unwrap_or(SEED);
    let count = env_number("RANDOM_SPECS_COUNT").map_or(SPECS, |n| n as usize);
    let work = scratch::fresh_dir("random-specs");
    let specs_dir = work.join("specs");
    std::fs::create_dir_all(&specs_dir).expect("specs dir");
    let repro = format!("seed {seed:#x} (RANDOM_SPECS_SEED={seed:#x} RANDOM_SPECS_COUNT={count}); the specs are in {}", specs_dir.display());
    println!("random specs: {repro}");
    let mut master = rng(seed);
    let mut instance_rng = rng(seed.rotate_left(17) ^ 0x1234_5678);
    let (mut warnings, mut infos) = (0, 0);
    let mut warning_kinds: BTreeSet<String> = BTreeSet::new();
    let mut runs = Vec::new();
    let mut generation_errors = Vec::new();
    let mut covered = BTreeMap::new();
    for index in 0..count {
        let spec = SpecGen::spec(master.next_u64(), index);
        let file = format!("s{index:02}.json");
        coverage(&spec, &mut covered);
        let text = serde_json::to_string_pretty(&spec).expect("json");
        std::fs::write(specs_dir.join(&file), &text).expect("spec file");
        let krate = format!("rs_s{index:02}");
        let options = Options { crate_name: Some(krate.replace('_', "-")), plain_formats: true, ..Options::default() };
        let docs = codegen::load::Documents::from_value(&file, spec.clone());
        let generated = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| codegen::generate_loaded(&docs, &options))) {
            Ok(Ok(g)) => g,
            Err(_) => {
                generation_errors.push(format!("{file}: the generator panicked (message above)"));
                continue;
            }
            Ok(Err(e)) => {
                let detail = match &e {
                    codegen::GenerateError::Spec(d) => {
                        d.iter().filter(|d| d.severity == Severity::Error).map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
                    }
                    other => other.to_string(),
                };
                generation_errors.push(format!("{file}: {e}\n{detail}"));
                continue;
            }
        };
        for d in &generated.diagnostics {
            match d.severity {
                Severity::Warning => {
                    warnings += 1;
                    let message: String = d.message.chars().take(90).collect();
                    warning_kinds.insert(message);
                }
                Severity::Info => infos += 1,
                Severity::Error => unreachable!("a generated spec has no errors"),
            }
        }
        let dir = work.join(&krate);
        scratch::write_files(&dir, &generated.files);
        let targets = scratch::named_schemas(&docs, &options);
        let readers = scratch::fast_readers(&generated.files, &targets);
        let mut reference_root = spec.clone();
        if !spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")) {
            normalise_30(&mut reference_root, false);
        }
        let alternative_roots = alternatives(&spec, !spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
        let mut generator = Gen::new(&mut instance_rng, &reference_root);
        let mut cases = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let schema = reference_root.pointer(&t.pointer).cloned().unwrap_or(Value::Bool(true));
            for _ in 0..PER_SCHEMA {
                cases.push((i, generator.instance(&schema, 0)));
            }
        }
        runs.push(Run { file, krate, targets, readers, reference_root, alternative_roots, cases });
    }
    assert!(generation_errors.is_empty(), "{} specs do not generate:\n{}\n{repro}", generation_errors.len(), generation_errors.join("\n"));
    let generated_at = started.elapsed();

    // One harness crate over all generated crates: its table row `r` is one named schema.
    let harness_dir = work.join("rs_harness");
    let mut rows = Vec::new();
    let mut dependencies = String::new();
    for run in &runs {
        let _ = writeln!(dependencies, "{} = {{ path = \"../{}\" }}", run.krate.replace('_', "-"), run.krate);
        rows.extend(run.targets.iter().zip(&run.readers).map(|(t, r)| (run.krate.as_str(), t, r.as_deref())));
    }
    std::fs::create_dir_all(harness_dir.join("src")).expect("harness dir");
    std::fs::write(harness_dir.join("src/lib.rs"), "//! The harness lives in `tests/diff.rs`.\n").expect("harness lib");
    std::fs::write(harness_dir.join("Cargo.toml"), "[package]\nname = \"rs-harness\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n")
        .expect("harness manifest");
    scratch::add_test(&harness_dir, "diff", &harness(&rows), &format!("serde = \"1\"\nserde_json = \"1\"\n{dependencies}"));
    let mut members: Vec<String> = runs.iter().map(|r| r.krate.clone()).collect();
    members.push("rs_harness".into());
    scratch::workspace(&work, &members);

    let output = scratch::cargo(
        &work,
        &[
            "clippy",
            "--keep-going",
            "--workspace",
            "--exclude",
            "rs-harness",
            "--all-targets",
            "--features",
            "server,client,schemars",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "generated crates do not build cleanly (clippy -D warnings):\n{stderr}\n{repro}");
    let built_at = started.elapsed();

    // Every case as (row, instance), rows numbered across the runs.
    let mut all_cases: Vec<(usize, &Value)> = Vec::new();
    let mut offset = 0;
    for run in &runs {
        all_cases.extend(run.cases.iter().map(|(i, v)| (offset + i, v)));
        offset += run.targets.len();
    }
    let cases_path = work.join("cases.json");
    let results_path = work.join("results.json");
    std::fs::write(&cases_path, serde_json::to_string(&all_cases).expect("json")).expect("cases");
    let output = scratch::cargo(&harness_dir, &["test", "--quiet", "--test", "diff"], &[("DIFF_CASES", &cases_path), ("DIFF_RESULTS", &results_path)]);
    assert!(output.status.success(), "the harness does not build or run:\n{}\n{repro}", String::from_utf8_lossy(&output.stderr));
    let results: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&results_path).expect("results")).expect("json");
    assert_eq!(results.len(), all_cases.len(), "one verdict per case");

    let ran_at = started.elapsed();
    let mut tally = Tally::default();
    let mut start = 0;
    for run in &runs {
        let results = &results[start..start + run.cases.len()];
        start += run.cases.len();
        tally.compare(&run.file, &run.targets, &run.reference_root, &run.alternative_roots, &run.cases, results);
    }
    let schemas: usize = runs.iter().map(|r| r.targets.len()).sum();
    let readers: usize = runs.iter().map(|r| r.readers.iter().flatten().count()).sum();
    println!(
        "random specs: {} specs, {schemas} named schemas ({readers} with a fast path), {} instances ({} valid per jsonschema), {} disagreements, {} documented deviations, {} fast-path mismatches",
        runs.len(),
        tally.total,
        tally.valid,
        tally.mismatches.len(),
        tally.documented_count(),
        tally.fast_mismatches.len()
    );
    println!("  diagnostics: {warnings} warnings ({} kinds), {infos} infos, 0 errors", warning_kinds.len());
    for w in &warning_kinds {
        println!("    warning: {w}");
    }
    tally.print_deviations();
    println!("  constructs: {}", covered.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", "));
    println!(
        "  time: generation {:.1}s, clippy {:.1}s, harness build and run {:.1}s, comparison {:.1}s",
        generated_at.as_secs_f64(),
        (built_at - generated_at).as_secs_f64(),
        (ran_at - built_at).as_secs_f64(),
        (started.elapsed() - ran_at).as_secs_f64()
    );
    if count >= SPECS {
        let missing: Vec<&&str> = COVERED.iter().filter(|k| !covered.contains_key(**k)).collect();
        assert!(missing.is_empty(), "the grammar no longer draws {missing:?}\n{repro}");
    }
    assert!(tally.unbuildable.is_empty(), "jsonschema cannot build: {:?}\n{repro}", tally.unbuildable);
    assert!(tally.fast_mismatches.is_empty(), "the fast path disagrees with the full path:\n{}\n{repro}", tally.fast_mismatches.join("\n"));
    assert!(schemas >= count * 2, "the specs must have named schemas: {schemas}");
    assert!(
        tally.valid * 10 >= tally.total && tally.valid * 10 <= tally.total * 9,
        "instances must mix valid and invalid: {} of {} valid",
        tally.valid,
        tally.total
    );
    assert!(
        tally.mismatches.is_empty(),
        "{} disagreements with jsonschema:\n{}\n{repro}",
        tally.mismatches.len(),
        tally.mismatches.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
