//! The user's decisions from the options, applied to the analysed IR: their Rust types for
//! schemas (by component name or `format`), extra derives and attributes, and the component
//! names the renames and overrides refer to. Each key that names nothing is a warning; a type,
//! derive, attribute or dependency line that does not parse is an error.

use super::{Arena, Ir, SchemaId, Shape};
use crate::Options;
use crate::diagnostics::{Diagnostics, Location, Policy};

/// The name in `components/schemas` of a component schema (any document).
pub fn component_name(ir: &Ir, id: SchemaId) -> Option<String> {
    let rest = ir.schemas[id].loc.pointer.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then(|| rest.replace("~1", "/").replace("~0", "~"))
}

/// Where a configuration key is, for diagnostics.
fn config(key: &str) -> Location {
    Location::new("configuration", format!("/{}", key.replace('.', "/")))
}

/// Applies type overrides, derives and attributes (after names are assigned).
pub fn apply(ir: &mut Ir, options: &Options, diags: &mut Diagnostics) {
    let components: Vec<(SchemaId, String)> = ir.schemas.ids().filter_map(|id| component_name(ir, id).map(|n| (id, n))).collect();
    let mut deps: Vec<String> = Vec::new();
    let use_dep = |key: &str, dep: &Option<String>, diags: &mut Diagnostics, deps: &mut Vec<String>| {
        let Some(line) = dep else { return };
        match line.parse::<toml::Table>() {
            Ok(t) if t.len() == 1 => {
                if !deps.contains(line) {
                    deps.push(line.clone());
                }
            }
            _ => diags.error(
                config(&format!("{key}.crate")),
                format!("`{line}` is not one Cargo.toml dependency line (`name = \"1\"` or `name = {{ version = \"1\", .. }}`)"),
            ),
        }
    };
    let valid_type = |key: &str, t: &str, diags: &mut Diagnostics| {
        let ok = syn::parse_str::<syn::Type>(t).is_ok();
        if !ok {
            diags.error(config(&format!("{key}.type")), format!("`{t}` is not a Rust type"));
        }
        ok
    };
    for (format, o) in &options.types.by_format {
        let key = format!("types.by-format.{format}");
        if !valid_type(&key, &o.rust_type, diags) {
            continue;
        }
        let mut used = false;
        for n in &mut ir.schemas {
            if n.facts.format.as_deref() == Some(format.as_str()) && !matches!(n.shape, Shape::Struct(_) | Shape::Union(_) | Shape::StringEnum(_)) {
                n.rust_type = Some(o.rust_type.clone());
                used = true;
            }
        }
        if used {
            use_dep(&key, &o.dependency, diags, &mut deps);
        } else {
            diags.warn(config(&key), Policy::Skipped, format!("no schema has `format: {format}`"));
        }
    }
    for (name, o) in &options.types.by_name {
        let key = format!("types.by-name.{name}");
        if !valid_type(&key, &o.rust_type, diags) {
            continue;
        }
        match components.iter().find(|(_, n)| n == name) {
            Some((id, _)) => {
                ir.schemas[*id].rust_type = Some(o.rust_type.clone());
                use_dep(&key, &o.dependency, diags, &mut deps);
            }
            None => diags.warn(config(&key), Policy::Skipped, format!("no component schema `{name}`")),
        }
    }
    ir.dependencies = deps;
    member_and_enum_policies(ir, options, diags);
    parts(ir, options, diags);
    decorate(ir, "derives", &options.derives, diags, |n, v| n.extra_derives = v, |s| syn::parse_str::<syn::Path>(s).is_ok());
    decorate(
        ir,
        "attributes",
        &options.attributes,
        diags,
        |n, v| n.extra_attributes = v,
        |s| syn::parse::Parser::parse_str(syn::Attribute::parse_outer, s).is_ok_and(|a| !a.is_empty()),
    );
    for (kind, map) in [
        ("schemas", options.rename.schemas.keys().cloned().collect::<Vec<_>>()),
        ("properties", options.rename.properties.keys().map(|k| k.split('.').next().unwrap_or_default().to_string()).collect()),
    ] {
        for name in map {
            if !components.iter().any(|(_, n)| *n == name) {
                diags.warn(config(&format!("rename.{kind}.{name}")), Policy::Skipped, format!("no component schema `{name}`"));
            }
        }
    }
}

/// Extra derives or attributes on the generated structs, enums and unions.
fn decorate(
    ir: &mut Ir,
    what: &str,
    per: &crate::options::PerType,
    diags: &mut Diagnostics,
    set: impl Fn(&mut super::SchemaNode, Vec<String>),
    valid: impl Fn(&str) -> bool,
) {
    let mut ok = true;
    for item in per.all.iter().chain(per.by_name.values().flatten()) {
        if !valid(item) {
            diags.error(config(what), format!("`{item}` is not a valid {}", if what == "derives" { "derive path" } else { "outer attribute" }));
            ok = false;
        }
    }
    if !ok {
        return;
    }
    let mut matched = std::collections::BTreeSet::new();
    for n in &mut ir.schemas {
        if n.rust_type.is_some() || !matches!(n.shape, Shape::Struct(_) | Shape::StringEnum(_) | Shape::Union(_)) {
            continue;
        }
        let Some(name) = n.name.clone() else { continue };
        let mut items = per.all.clone();
        if let Some(more) = per.by_name.get(&name) {
            matched.insert(name);
            items.extend(more.iter().cloned());
        }
        if !items.is_empty() {
            set(n, items);
        }
    }
    for name in per.by_name.keys().filter(|k| !matched.contains(*k)) {
        diags.warn(config(&format!("{what}.by-name.{name}")), Policy::Skipped, format!("no generated struct, enum or union is named `{name}`"));
    }
}

/// `unknown-fields` and `unknown-enum-values`. The validators and types are shared by both
/// directions; what one direction's policy can change without the other noticing is done here,
/// and a combination that would need direction-aware code is refused.
fn member_and_enum_policies(ir: &mut Ir, options: &Options, diags: &mut Diagnostics) {
    use crate::options::{EnumPolicy, MemberPolicy};
    if options.unknown_enum_values.requests == EnumPolicy::Keep && options.unknown_enum_values.responses == EnumPolicy::Reject {
        diags.error(config("unknown-enum-values"), "`requests = \"keep\"` with `responses = \"reject\"` needs types that know their direction; not supported");
    }
    // Requests: an object schema with `properties` that says nothing about other members
    // rejects them, as `additionalProperties: false` would. Not where the schema is applied in
    // place by another (`allOf` members, `$ref` targets with siblings...): the other's members
    // would be unknown to it.
    if options.unknown_fields.requests == MemberPolicy::Deny {
        let mut in_place: Arena<SchemaId, bool> = Arena::filled(ir.schemas.len(), false);
        for n in ir.schemas.iter().filter(|n| !n.facts.is_pure_ref()) {
            for s in super::analyse::in_place(&n.facts) {
                in_place[s] = true;
            }
        }
        // Through pure references: the target of an in-place `{$ref}` is in place too.
        let mut changed = true;
        while changed {
            changed = false;
            for (id, n) in ir.schemas.iter_enumerated() {
                if let (true, true, Some(t)) = (in_place[id], n.facts.is_pure_ref(), n.facts.reference) {
                    if !in_place[t] {
                        in_place[t] = true;
                        changed = true;
                    }
                }
            }
        }
        for (id, n) in ir.schemas.iter_enumerated_mut() {
            let f = &mut n.facts;
            let open = f.additional == super::Additional::Any && !f.additional_present && f.pattern_properties.is_empty() && f.unevaluated_properties.is_none();
            if open && !in_place[id] && matches!(&n.shape, Shape::Struct(fields) if !fields.is_empty()) && f.in_place_free() {
                f.additional = super::Additional::Deny;
            }
        }
    }
    // Responses: the struct types refuse members they do not list when decoding (serde's
    // `deny_unknown_fields`), where the schema is silent about other members or forbids them.
    // A type a request also converts into does so only when the request's validator has
    // already refused such members (else an accepted request would fail to convert).
    if options.unknown_fields.responses == MemberPolicy::Deny {
        let from_requests = request_reachable(ir);
        for (id, n) in ir.schemas.iter_enumerated_mut() {
            let f = &n.facts;
            let denied = f.additional == super::Additional::Deny && f.pattern_properties.is_empty();
            let silent =
                f.additional == super::Additional::Any && !f.additional_present && f.pattern_properties.is_empty() && f.unevaluated_properties.is_none();
            let named_struct = n.name.is_some() && n.rust_type.is_none() && n.extras.is_none() && matches!(n.shape, Shape::Struct(_));
            if named_struct && (denied || silent) && (!from_requests[id] || denied) {
                n.deny_unknown_members = true;
            }
        }
    }
    // Requests keep a value the spec does not list: string enums assert no `enum`, and their
    // type's `UnknownValue` holds it.
    if options.unknown_enum_values.requests == EnumPolicy::Keep {
        for n in &mut ir.schemas {
            if matches!(n.shape, Shape::StringEnum(_)) {
                n.facts.enum_values = None;
            }
        }
    }
    // Responses reject one: requests are validated before they are converted, so only a
    // response reaches the type's deserializer with an unlisted value.
    ir.reject_unknown_enum_values = options.unknown_enum_values.responses == EnumPolicy::Reject;
}

/// `emit-types` and `emit-validators`: which of the two modules are emitted. The server and the
/// client use both, so either switch off needs them off.
fn parts(ir: &mut Ir, options: &Options, diags: &mut Diagnostics) {
    ir.emit_types = options.emit_types;
    ir.emit_validators = options.emit_validators;
    if !options.emit_types && !options.emit_validators {
        diags.error(config("emit-types"), "`emit-types = false` with `emit-validators = false` leaves nothing to generate");
    } else if (!options.emit_types || !options.emit_validators) && (options.server || options.client) {
        let off = if options.emit_types { "emit-validators" } else { "emit-types" };
        diags.error(
            config(off),
            format!("the server and the client need both the types and the validators: with `{off} = false` set `server = false` and `client = false` too"),
        );
    }
}

/// Every schema a request's parameters or body can be converted through (a superset: every
/// subschema reached by any keyword).
fn request_reachable(ir: &Ir) -> Arena<SchemaId, bool> {
    let mut seen: Arena<SchemaId, bool> = Arena::filled(ir.schemas.len(), false);
    let mut stack: Vec<SchemaId> = Vec::new();
    for op in ir.all_operations() {
        stack.extend(op.params.iter().map(|p| p.schema));
        stack.extend(op.body.iter().flat_map(super::RequestBody::schemas));
    }
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut seen[id], true) {
            continue;
        }
        let n = &ir.schemas[id];
        stack.extend(n.facts.children());
        match &n.shape {
            Shape::Struct(fields) => stack.extend(fields.iter().map(|f| f.schema)),
            Shape::Union(vs) => stack.extend(vs.iter().map(|v| v.schema)),
            Shape::Alias(t) | Shape::Array(Some(t)) | Shape::Map(Some(t)) => stack.push(*t),
            _ => {}
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use crate::options::{MemberPolicy, UnknownFields};
    use crate::{Options, generate_str};

    const SPEC: &str = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths:\n  /p:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/Shared'}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Out'}\ncomponents:\n  schemas:\n    Shared: {type: object, properties: {a: {type: string}}}\n    Out: {type: object, properties: {s: {$ref: '#/components/schemas/Shared'}}}\n";

    fn denied(requests: MemberPolicy) -> Vec<String> {
        let options = Options { unknown_fields: UnknownFields { requests, responses: MemberPolicy::Deny }, ..Options::default() };
        let g = generate_str("t.yaml", SPEC, &options).expect("generates");
        let types = &g.files.iter().find(|f| f.path == "src/types.rs").expect("types").contents;
        let mut out = Vec::new();
        let mut deny = false;
        for line in types.lines() {
            if line.contains("#[serde(deny_unknown_fields)]") {
                deny = true;
            } else if let Some(rest) = line.strip_prefix("pub struct ") {
                if deny {
                    out.push(rest.trim_end_matches(" {").to_string());
                }
                deny = false;
            }
        }
        out
    }

    #[test]
    fn response_deny_spares_types_requests_convert_into_unless_they_deny_too() {
        assert_eq!(denied(MemberPolicy::Allow), ["Out"], "Shared is a request body: an accepted request must convert");
        assert_eq!(denied(MemberPolicy::Deny), ["Out", "Shared"], "the request validator refuses the same members");
    }
}
