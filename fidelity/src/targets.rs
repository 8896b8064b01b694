//! The schemas a spec's crate validates on its own (every schema with a validator function:
//! components, inline structs, enums and unions, parameters, bodies, responses, union members),
//! their Rust types, and the harness that runs each instance through validation, conversion and
//! two round trips.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use codegen::ir::{Format, Ir, SchemaId, Shape};
use codegen::load::Documents;

use crate::bundle::pointer_in_bundle;

/// What kind of schema a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A `components/schemas` entry.
    Component,
    /// Any other schema with a named Rust type (inline struct, enum, union, `$ref` target).
    NamedInline,
    /// An unnamed inline schema with its own validator (a parameter, body or response schema, a
    /// union member).
    Inline,
}

/// One schema compared.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its kind.
    pub kind: Kind,
    /// Where it is written: file and JSON pointer.
    pub file: String,
    /// See `file`.
    pub pointer: String,
    /// Its place in the bundle (see [`crate::bundle`]).
    pub bundled: String,
    /// The Rust type a valid value converts into, relative to the crate root.
    pub rust_type: String,
    /// The validator function in `validate`.
    pub validator: String,
}

impl Target {
    /// `file#pointer`.
    pub fn location(&self) -> String {
        format!("{}#{}", self.file, self.pointer)
    }
}

/// True for a `components/schemas/<name>` pointer.
pub fn is_component(pointer: &str) -> bool {
    pointer.strip_prefix("/components/schemas/").is_some_and(|rest| !rest.contains('/'))
}

/// Every schema of `ir` with a validator, in arena order.
pub fn targets(ir: &Ir, docs: &Documents) -> Vec<Target> {
    let mut out = Vec::new();
    for (id, node) in ir.schemas.iter_enumerated() {
        let Some(validator) = &node.validator else { continue };
        let kind = if is_component(&node.loc.pointer) {
            Kind::Component
        } else if node.name.is_some() {
            Kind::NamedInline
        } else {
            Kind::Inline
        };
        out.push(Target {
            kind,
            file: node.loc.file.clone(),
            pointer: node.loc.pointer.clone(),
            bundled: pointer_in_bundle(docs, &node.loc.file, &node.loc.pointer),
            rust_type: ty_nullable(ir, id),
            validator: validator.clone(),
        });
    }
    out
}

/// The files the schemas of `ir` are written in (the root document included).
pub fn schema_files(ir: &Ir, docs: &Documents) -> BTreeSet<String> {
    let mut files: BTreeSet<String> = ir.schemas.iter().map(|n| n.loc.file.clone()).collect();
    files.insert(docs.root.clone());
    files
}

/// The component schemas of the document, as `file#pointer`: the root document's
/// `components/schemas` entries and those of other files that its references reach.
pub fn component_schemas(ir: &Ir, docs: &Documents) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = ir.schemas.iter().filter(|n| is_component(&n.loc.pointer)).map(|n| format!("{}#{}", n.loc.file, n.loc.pointer)).collect();
    if let Some(map) = docs.get(&docs.root, "/components/schemas").and_then(|v| v.as_object()) {
        for name in map.keys() {
            out.insert(format!("{}#/components/schemas/{}", docs.root, name.replace('~', "~0").replace('/', "~1")));
        }
    }
    out
}

/// The Rust type of a schema's position, as the generated crate spells it (`Option` when `null`
/// is a value), with paths from the crate root.
pub fn ty_nullable(ir: &Ir, id: SchemaId) -> String {
    let t = ty(ir, id);
    if ir.is_nullable(id) { format!("::std::option::Option<{t}>") } else { t }
}

fn ty(ir: &Ir, id: SchemaId) -> String {
    if let Some(name) = &ir.schemas[id].name {
        return format!("types::{name}");
    }
    match &ir.schemas[id].shape {
        Shape::Any | Shape::Struct(_) | Shape::StringEnum(_) | Shape::Union(_) => "::serde_json::Value".into(),
        Shape::Bool => "bool".into(),
        Shape::Integer => "i64".into(),
        Shape::Number => "f64".into(),
        Shape::String => "::std::string::String".into(),
        Shape::Formatted(f) => match f {
            Format::Uuid => "::uuid::Uuid".into(),
            Format::DateTime => "::chrono::DateTime<::chrono::FixedOffset>".into(),
            Format::Date => "::chrono::NaiveDate".into(),
            Format::Ipv4 => "::std::net::Ipv4Addr".into(),
            Format::Ipv6 => "::std::net::Ipv6Addr".into(),
            Format::Byte => "runtime::Base64".into(),
            Format::Int32 => "i32".into(),
            _ => "::std::string::String".into(),
        },
        Shape::Array(item) => format!("::std::vec::Vec<{}>", item.map_or("::serde_json::Value".into(), |i| ty_nullable(ir, i))),
        Shape::Map(value) => {
            format!("::std::collections::BTreeMap<::std::string::String, {}>", value.map_or("::serde_json::Value".into(), |i| ty_nullable(ir, i)))
        }
        Shape::Alias(t) => ty(ir, *t),
    }
}

/// The source of the harness test of crate `krate` (its Rust name): reads FIDELITY_CASES
/// (`[target, instance]` pairs), writes FIDELITY_RESULTS, one verdict per case: `valid` (the
/// crate's validator, then conversion), `error` (a valid value that does not convert), and for
/// valid values `converted` (serialised back), `revalid` (the validator on it) and `stable` (a
/// second conversion serialises the same).
pub fn harness(krate: &str, targets: &[Target]) -> String {
    let mut table = String::new();
    for t in targets {
        let ty = t.rust_type.replace("types::", &format!("{krate}::types::")).replace("runtime::", &format!("{krate}::runtime::"));
        let _ = writeln!(table, "    |v| round::<{ty}>(v, {krate}::validate::{}),", t.validator);
    }
    format!(
        r#"//! The fidelity harness: reads FIDELITY_CASES ([target, instance] pairs), writes
//! FIDELITY_RESULTS (one verdict per case).
#![allow(unused_imports, clippy::all)]
use serde_json::{{json, Value}};

type Check = fn(&Value, &mut {krate}::runtime::InstancePath, &mut Vec<{krate}::runtime::Violation>);

/// Validation, conversion, and two round trips through the Rust type.
fn round<T: serde::Serialize + serde::de::DeserializeOwned>(v: &Value, check: Check) -> Value {{
    if !{krate}::runtime::is_valid(v, check) {{
        return json!({{"valid": false}});
    }}
    let first = match {krate}::runtime::convert::<T>(v.clone()).and_then(|t| serde_json::to_value(t)) {{
        Ok(first) => first,
        Err(e) => return json!({{"valid": false, "error": format!("valid, but does not convert: {{e}}")}}),
    }};
    let revalid = {krate}::runtime::is_valid(&first, check);
    let second = {krate}::runtime::convert::<T>(first.clone()).and_then(|t| serde_json::to_value(t));
    let (stable, second_error) = match &second {{
        Ok(s) => (*s == first, Value::Null),
        Err(e) => (false, Value::String(e.to_string())),
    }};
    json!({{"valid": true, "converted": first, "revalid": revalid, "stable": stable, "second_error": second_error}})
}}

static TABLE: &[fn(&Value) -> Value] = &[
{table}];

#[test]
fn run() {{
    let cases: Vec<(usize, Value)> = serde_json::from_str(&std::fs::read_to_string(std::env::var("FIDELITY_CASES").expect("FIDELITY_CASES")).expect("cases")).expect("json");
    let results: Vec<Value> = cases.iter().map(|(i, v)| TABLE[*i](v)).collect();
    std::fs::write(std::env::var("FIDELITY_RESULTS").expect("FIDELITY_RESULTS"), serde_json::to_string(&results).expect("json")).expect("results");
}}
"#
    )
}
