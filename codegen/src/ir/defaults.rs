//! Defaults: checks every schema's `default` against its schema at generation time (the same
//! keywords the generated validators assert), drops an invalid one with a located warning, and
//! decides where valid ones are applied: the server's resolved parameter and body structs and
//! the `types` functions serde fills absent members from.
//!
//! The design (README, "Defaults"): the shared `types` keep `Option` for every optional
//! parameter and property, so a client request leaves an absent value absent on the wire ("the
//! server applies its default"). The server reads parameters into `server::{prefix}Params` and a
//! body into `server::{prefix}Body`, where a defaulted value that is not nullable is a plain
//! field, filled in before the handler. A struct of `types` fills an absent optional member that
//! has a default with `Some(default)` when it is decoded (what a client decoding a response sees).

use serde_json::Value;

use super::{Additional, BodyKind, Format, Ir, JsonType, SchemaId, Shape, pattern::Engine};
use crate::diagnostics::{Diagnostics, Policy};
use crate::naming::{self, Scope};

/// How deep the check follows subschemas; deeper parts of a default are taken as valid.
const MAX_DEPTH: usize = 64;

/// Runs the pass (after shapes, names and members are decided).
pub fn analyse(ir: &mut Ir, diags: &mut Diagnostics) {
    for id in ir.schemas.ids() {
        let Some(d) = ir.schemas[id].default.clone() else { continue };
        if let Err(why) = check(ir, id, &d, 0) {
            let shown = short(&d);
            let node = &mut ir.schemas[id];
            diags.lenient(
                node.loc.join("default"),
                Policy::Skipped,
                format!("the `default` `{shown}` is not a valid value of its schema ({why}); it is not applied"),
            );
            node.default = None;
            if let (Some(doc), Some(note)) = (node.doc.as_mut(), super::lower_schema::default_note(&d)) {
                *doc = doc.replace(&format!("\n\n{note}"), "").replace(&note, "");
                if doc.is_empty() {
                    node.doc = None;
                }
            }
        }
    }
    decide(ir);
}

/// Where the valid defaults are applied.
fn decide(ir: &mut Ir) {
    let mut fns = Scope::default();
    let mut default_fns = std::collections::BTreeMap::new();
    for (id, node) in ir.schemas.iter_enumerated() {
        let (Shape::Struct(fields), Some(owner)) = (&node.shape, node.name.as_deref()) else { continue };
        if node.rust_type.is_some() {
            continue;
        }
        for f in fields {
            if applies_to_field(ir, f) && !default_fns.contains_key(&f.schema) {
                default_fns.insert(f.schema, super::DefaultFn { name: fns.claim(&naming::default_fn(owner, &f.wire)), owner: id });
            }
        }
    }
    let mut resolved = Vec::new();
    for (i, op) in ir.operations.iter().enumerate() {
        let params = op.params_type.is_some() && op.params.iter().any(|p| !p.required && applies(ir, p.schema));
        let body = op.body.as_ref().is_some_and(|b| {
            b.enum_name.is_none()
                && match b.contents.first().map(|c| &c.kind) {
                    Some(BodyKind::Json(s) | BodyKind::Form(s)) => {
                        body_struct(ir, *s).is_some_and(|fields| fields.iter().any(|f| default_fns.contains_key(&f.schema) && !f.required))
                    }
                    _ => false,
                }
        });
        resolved.push((i, params, body));
    }
    for (op, (_, params, body)) in ir.operations.iter_mut().zip(resolved) {
        if params {
            op.resolved_params = Some(naming::resolved_params(&op.type_prefix));
        }
        if body && let Some(b) = op.body.as_mut() {
            b.resolved = Some(naming::resolved_body(&op.type_prefix));
        }
    }
    ir.default_fns = default_fns;
}

/// True when a value of `id` gets its default filled in: it has a valid one and its type is
/// the generator's own (a user's type is left alone).
fn applies(ir: &Ir, id: SchemaId) -> bool {
    ir.applied_default(id).is_some()
}

impl Ir {
    /// The default filled in for an absent value of schema `id` (a parameter's or a member's):
    /// a valid one, on a schema whose type is the generator's own (a user's type is left alone).
    pub fn applied_default(&self, id: SchemaId) -> Option<&Value> {
        let own = self.schemas[self.definition(id)].rust_type.is_none() && self.schemas[id].rust_type.is_none();
        self.default_of(id).filter(|_| own)
    }
}

fn applies_to_field(ir: &Ir, f: &super::Field) -> bool {
    !f.required && !f.boxed && applies(ir, f.schema)
}

/// The fields of the struct a body schema is read into (through aliases), when it is one and
/// not `null`-able as a whole.
pub fn body_struct(ir: &Ir, id: SchemaId) -> Option<&[super::Field]> {
    if ir.is_nullable(id) {
        return None;
    }
    let d = ir.definition(id);
    match &ir.schemas[d].shape {
        Shape::Struct(fields) if ir.schemas[d].rust_type.is_none() && ir.schemas[d].name.is_some() => Some(fields),
        _ => None,
    }
}

fn short(d: &Value) -> String {
    let t = d.to_string();
    if t.chars().count() > 40 { format!("{}...", t.chars().take(40).collect::<String>()) } else { t }
}

/// `Ok` when `v` is valid against schema `id` by the keywords the generated validators assert;
/// `Err` names the first keyword it breaks. `$dynamicRef` and `unevaluated*` are not followed
/// (taken as valid).
pub fn check(ir: &Ir, id: SchemaId, v: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let f = &ir.schemas[id].facts;
    if f.boolean == Some(false) {
        return Err("the schema is `false`".into());
    }
    if f.nullable && v.is_null() {
        return Ok(());
    }
    let fits = |t: &JsonType| match t {
        JsonType::Null => v.is_null(),
        JsonType::Boolean => v.is_boolean(),
        JsonType::Object => v.is_object(),
        JsonType::Array => v.is_array(),
        JsonType::Number => v.is_number(),
        JsonType::Integer => codegen_runtime::is_integer(v),
        JsonType::String => v.is_string(),
    };
    if let Some(types) = &f.types
        && !types.iter().any(fits)
    {
        return Err("`type`".into());
    }
    if let Some(values) = &f.enum_values
        && !values.iter().any(|e| codegen_runtime::json_eq(e, v))
    {
        return Err("`enum`".into());
    }
    if let Some(c) = &f.const_value
        && !codegen_runtime::json_eq(c, v)
    {
        return Err("`const`".into());
    }
    match v {
        Value::String(s) => string(f, s)?,
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if f.minimum.is_some_and(|b| if b.exclusive { x <= b.value } else { x < b.value }) {
                return Err("`minimum`".into());
            }
            if f.maximum.is_some_and(|b| if b.exclusive { x >= b.value } else { x > b.value }) {
                return Err("`maximum`".into());
            }
            if f.multiple_of.is_some_and(|m| !codegen_runtime::is_multiple_of(v, m)) {
                return Err("`multipleOf`".into());
            }
            if f.format_check == Some(Format::Int32) && (x < f64::from(i32::MIN) || x > f64::from(i32::MAX)) {
                return Err("`format: int32`".into());
            }
        }
        Value::Array(items) => {
            let n = items.len() as u64;
            if f.min_items.is_some_and(|m| n < m) || f.max_items.is_some_and(|m| n > m) {
                return Err("`minItems`/`maxItems`".into());
            }
            if f.unique_items && !codegen_runtime::all_unique(items) {
                return Err("`uniqueItems`".into());
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(s) = f.prefix_items.get(i).copied().or(f.items) {
                    check(ir, s, item, depth + 1).map_err(|e| format!("item {i}: {e}"))?;
                }
            }
        }
        Value::Object(members) => {
            if let Some(missing) = f.required.iter().find(|r| !members.contains_key(*r)) {
                return Err(format!("`required` member `{missing}` is absent"));
            }
            let n = members.len() as u64;
            if f.min_properties.is_some_and(|m| n < m) || f.max_properties.is_some_and(|m| n > m) {
                return Err("`minProperties`/`maxProperties`".into());
            }
            for (k, member) in members {
                match f.properties.iter().find(|(name, _)| name == k) {
                    Some((_, s)) => check(ir, *s, member, depth + 1).map_err(|e| format!("member `{k}`: {e}"))?,
                    None if f.pattern_properties.is_empty() => match f.additional {
                        Additional::Deny => return Err(format!("member `{k}` is not allowed (`additionalProperties: false`)")),
                        Additional::Schema(s) => check(ir, s, member, depth + 1).map_err(|e| format!("member `{k}`: {e}"))?,
                        Additional::Any => {}
                    },
                    None => {}
                }
            }
        }
        _ => {}
    }
    if let Some(r) = f.reference {
        check(ir, r, v, depth + 1)?;
    }
    for s in &f.all_of {
        check(ir, *s, v, depth + 1)?;
    }
    if !f.any_of.is_empty() && !f.any_of.iter().any(|s| check(ir, *s, v, depth + 1).is_ok()) {
        return Err("`anyOf`".into());
    }
    if !f.one_of.is_empty() && f.one_of.iter().filter(|s| check(ir, **s, v, depth + 1).is_ok()).count() != 1 {
        return Err("`oneOf`".into());
    }
    if let Some(s) = f.not
        && check(ir, s, v, depth + 1).is_ok()
    {
        return Err("`not`".into());
    }
    if let Some((cond, then, otherwise)) = f.if_then_else {
        let next = if check(ir, cond, v, depth + 1).is_ok() { then } else { otherwise };
        if let Some(s) = next {
            check(ir, s, v, depth + 1)?;
        }
    }
    Ok(())
}

fn string(f: &super::Facts, s: &str) -> Result<(), String> {
    let n = codegen_runtime::char_len(s);
    if f.min_length.is_some_and(|m| n < m) {
        return Err("`minLength`".into());
    }
    if f.max_length.is_some_and(|m| n > m) {
        return Err("`maxLength`".into());
    }
    if let Some(p) = &f.pattern {
        let found = match p.translated.engine {
            Engine::Linear => regex::Regex::new(&p.translated.source).ok().map(|re| re.is_match(s)),
            Engine::Backtracking => {
                fancy_regex::RegexBuilder::new(&p.translated.source).backtrack_limit(p.step_limit).build().ok().and_then(|re| re.is_match(s).ok())
            }
        };
        if found == Some(false) {
            return Err("`pattern`".into());
        }
    }
    if let Some(format) = f.format_check {
        let mut out = Vec::new();
        codegen_runtime::expect_format(s, &codegen_runtime::InstancePath::root(), &mut out, format.as_str());
        if !out.is_empty() {
            return Err(format!("`format: {}`", format.as_str()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Severity;

    fn warnings(schema: serde_json::Value) -> Vec<String> {
        let spec = serde_json::json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"S": schema}}
        });
        let out = crate::generate_str("openapi.json", &spec.to_string(), &crate::Options::default()).expect("generates");
        out.diagnostics.iter().filter(|d| d.severity == Severity::Warning).map(|d| format!("{} {}", d.location.pointer, d.message)).collect()
    }

    #[test]
    fn valid_defaults_are_quiet() {
        for s in [
            serde_json::json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
            serde_json::json!({"type": "string", "pattern": "^[a-z]+$", "maxLength": 5, "default": "abc"}),
            serde_json::json!({"type": "string", "format": "date", "default": "2024-02-29"}),
            serde_json::json!({"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 2, "default": [1, 2]}),
            serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "default": {"a": "x"}}),
        ] {
            assert_eq!(warnings(s.clone()), Vec::<String>::new(), "{s}");
        }
    }

    #[test]
    fn invalid_defaults_are_located_warnings() {
        for (s, keyword) in [
            (serde_json::json!({"type": "integer", "maximum": 100, "default": 500}), "`maximum`"),
            (serde_json::json!({"type": "string", "minLength": 2, "default": "a"}), "`minLength`"),
            (serde_json::json!({"type": "string", "pattern": "^[0-9]+$", "default": "x1"}), "`pattern`"),
            (serde_json::json!({"type": "string", "format": "uuid", "default": "nope"}), "`format: uuid`"),
            (serde_json::json!({"type": "integer", "multipleOf": 5, "default": 7}), "`multipleOf`"),
            (serde_json::json!({"type": "array", "items": {"type": "integer"}, "default": [1, "a"]}), "item 1: `type`"),
            (serde_json::json!({"type": "object", "required": ["a"], "default": {}}), "`required` member `a`"),
            (serde_json::json!({"const": 3, "default": 4}), "`const`"),
        ] {
            let w = warnings(s.clone());
            assert_eq!(w.len(), 1, "{s}: {w:?}");
            assert!(w[0].starts_with("/components/schemas/S/default "), "{w:?}");
            assert!(w[0].contains(keyword) && w[0].contains("not applied"), "{s}: {w:?}");
        }
    }
}
