//! The untyped report: every place whose Rust type is `serde_json::Value`, why, and whether a
//! typed form would be possible (so users see what they lose and the next work is visible).

use std::collections::BTreeSet;

use super::{BodyKind, Ir, SchemaId, Shape};
use crate::diagnostics::Location;

/// One place held as `serde_json::Value`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Untyped {
    /// Where its schema is written.
    pub location: Location,
    /// Why it is untyped.
    pub reason: String,
    /// A Rust type could express it faithfully (a generator limitation, not the spec's nature).
    pub typable: bool,
}

/// The schemas that are Rust types somewhere in the output (named types, fields, items, map
/// values, union variants, parameters, bodies, responses) and are `Shape::Any`, with reasons.
pub fn report(ir: &Ir) -> Vec<Untyped> {
    let mut stack: Vec<SchemaId> = ir.schemas.iter_enumerated().filter(|(_, n)| n.name.is_some()).map(|(i, _)| i).collect();
    let validator_only = ir.validator_only();
    for op in ir.all_operations() {
        stack.extend(op.params.iter().map(|p| p.schema));
        if let Some(b) = &op.body {
            stack.extend(b.schemas().filter(|s| !validator_only.contains(s)));
        }
        for r in &op.responses {
            if let Some((_, BodyKind::Json(s) | BodyKind::Form(s))) = &r.body {
                stack.push(*s);
            }
        }
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let node = &ir.schemas[id];
        match &node.shape {
            Shape::Any => {
                let (reason, typable) = reason(ir, id);
                out.push(Untyped { location: node.loc.clone(), reason, typable });
            }
            // A tuple is a list of values: its items are what is untyped.
            Shape::Array(None) if !node.facts.prefix_items.is_empty() => {
                out.push(Untyped {
                    location: node.loc.clone(),
                    reason: "tuple array (`prefixItems`) is not typed yet: its items are serde_json::Value".into(),
                    typable: true,
                });
            }
            Shape::Array(Some(t)) | Shape::Map(Some(t)) | Shape::Alias(t) => stack.push(*t),
            Shape::Struct(fields) => stack.extend(fields.iter().map(|f| f.schema)),
            Shape::Union(variants) => stack.extend(variants.iter().map(|v| v.schema)),
            _ => {}
        }
    }
    out.sort();
    out
}

/// Why the schema `id` (of `Shape::Any`) is untyped, read from its facts.
fn reason(ir: &Ir, id: SchemaId) -> (String, bool) {
    let node = &ir.schemas[id];
    let f = &node.facts;
    if let Some(why) = &node.degraded {
        return (format!("spec flaw: {why}"), false);
    }
    match f.boolean {
        Some(true) => return ("the schema is `true`: any JSON value is valid".into(), false),
        Some(false) => return ("the schema is `false`: no value is valid".into(), false),
        None => {}
    }
    if f.const_value.is_some() {
        return ("`const` (validated; a typed constant is possible)".into(), true);
    }
    if !f.prefix_items.is_empty() {
        return ("tuple array (`prefixItems`) is not typed yet".into(), true);
    }
    if !f.all_of.is_empty() || !f.any_of.is_empty() || !f.one_of.is_empty() || f.reference.is_some() {
        return ("composition (allOf/anyOf/oneOf or `$ref` with siblings) is not typed yet; validated in full".into(), true);
    }
    if f.not.is_some() || f.if_then_else.is_some() {
        return ("`not` or `if`/`then`/`else` without a type; validated in full".into(), true);
    }
    match f.non_null_types().as_deref() {
        None if f.enum_values.is_some() => ("an `enum` of non-string values (validated; a typed enum is possible)".into(), true),
        None if !f.properties.is_empty() || !f.required.is_empty() || f.items.is_some() => {
            ("object or array keywords without `type`: any JSON type is valid (add `type` for a struct or list)".into(), false)
        }
        None if *f == super::Facts::default() || super::Facts { nullable: false, ..f.clone() } == super::Facts::default() => {
            ("no constraint: any JSON value is valid".into(), false)
        }
        None => ("no `type`: any JSON type is valid under these keywords".into(), false),
        Some([]) => ("only `null` is valid".into(), true),
        Some([_]) => ("recursive array or map without an object in between".into(), true),
        Some(_) => ("several JSON types (`type: [..]`) are not typed yet; validated in full".into(), true),
    }
}
