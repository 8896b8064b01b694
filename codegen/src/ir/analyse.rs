//! Analysis: decides each schema's Rust representation, names, boxing and validator functions, once, before emission.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Additional, Arena, ErrorShape, Facts, Field, Format, Ir, JsonType, ResponseId, SchemaId, SchemeKind, Shape, UnionVariant, Variant};
use crate::diagnostics::{Diagnostics, Policy};
use crate::naming::{self, Scope};

/// Runs every analysis pass in order.
pub fn analyse(ir: &mut Ir, options: &crate::Options, diags: &mut Diagnostics) {
    break_in_place_cycles(ir, diags);
    for id in ir.schemas.ids() {
        let (shape, nullable) = shape_of(ir, id, diags);
        ir.schemas[id].shape = shape;
        ir.schemas[id].nullable = nullable;
    }
    break_alias_cycles(ir, diags);
    assign_names(ir, &options.rename.schemas);
    let names = ir.schemas.iter().filter_map(|n| n.name.as_deref());
    let params = ir.all_operations().filter_map(|o| o.params_type.as_deref());
    ir.short_prelude = naming::prelude_is_free(names.chain(params));
    assign_members(ir, &options.rename.properties);
    assign_boxes(ir);
    super::custom::apply(ir, options, diags);
    super::defaults::analyse(ir, diags);
    check_security(ir, diags);
    check_discriminators(ir, diags);
    ir.error_shape = detect_error_shape(ir, diags);
}

fn is_component(ir: &Ir, id: SchemaId) -> bool {
    let p = &ir.schemas[id].loc.pointer;
    p.strip_prefix("/components/schemas/").is_some_and(|rest| !rest.contains('/'))
}

/// `Facts` without 3.0 `nullable` (which the shape carries separately), for comparing shapes.
fn without_annotations(f: &Facts) -> Facts {
    Facts { nullable: false, ..f.clone() }
}

fn is_null_only(ir: &Ir, id: SchemaId) -> bool {
    let f = &ir.schemas[id].facts;
    f.types.as_deref() == Some(&[JsonType::Null][..]) && Facts { types: None, ..f.clone() } == Facts::default()
}

fn shape_of(ir: &Ir, id: SchemaId, diags: &mut Diagnostics) -> (Shape, bool) {
    let node = &ir.schemas[id];
    let f = &node.facts;
    let lists_null = f.lists_null();
    // A `$dynamicRef` means a schema known only when validating: any value, validated in full.
    if f.boolean.is_some() || f.dynamic_ref.is_some() {
        return (Shape::Any, false);
    }
    if let Some(target) = f.reference {
        if f.is_pure_ref() || without_annotations(f) == (Facts { reference: Some(target), ..Facts::default() }) {
            return (Shape::Alias(target), lists_null);
        }
    }
    let bare = without_annotations(f);
    // `allOf: [X]` wrapper (common for documenting a `$ref` property).
    if f.all_of.len() == 1 && (Facts { all_of: Vec::new(), ..bare.clone() }) == Facts::default() {
        return (Shape::Alias(f.all_of[0]), lists_null);
    }
    // `anyOf`/`oneOf` of `X` and `null`: an optional `X`.
    for list in [&f.any_of, &f.one_of] {
        if list.len() == 2 && (Facts { any_of: Vec::new(), one_of: Vec::new(), ..bare.clone() }) == Facts::default() {
            if is_null_only(ir, list[1]) {
                return (Shape::Alias(list[0]), true);
            }
            if is_null_only(ir, list[0]) {
                return (Shape::Alias(list[1]), true);
            }
        }
    }
    // `oneOf` / `anyOf` (only): an enum whose variant is picked by validation.
    let members = match (f.one_of.is_empty(), f.any_of.is_empty()) {
        (false, true) => Some(&f.one_of),
        (true, false) => Some(&f.any_of),
        _ => None,
    };
    if let Some(members) = members {
        let rest = Facts { one_of: Vec::new(), any_of: Vec::new(), types: None, ..bare.clone() };
        if rest == Facts::default() {
            let mut nullable = lists_null;
            let mut variants = Vec::new();
            for m in members {
                if is_null_only(ir, *m) {
                    nullable = true;
                } else {
                    variants.push(UnionVariant { ident: String::new(), schema: *m, boxed: false });
                }
            }
            return match variants.len() {
                0 => (Shape::Any, false),
                1 => (Shape::Alias(variants[0].schema), nullable),
                _ => (Shape::Union(variants), nullable),
            };
        }
    }
    let plain_composition = f.any_of.is_empty() && f.one_of.is_empty() && f.not.is_none() && f.if_then_else.is_none();
    if plain_composition && (!f.all_of.is_empty() || f.reference.is_some()) && asserts(ir, id, JsonType::Object, 0) {
        if let Some(fields) = object_fields(ir, id, diags) {
            // `allOf: [$ref: Nullable, {description}]` lets `null` through every member.
            return (Shape::Struct(fields), lists_null || allows_null(ir, id, 0));
        }
    }
    let composed = !f.all_of.is_empty() || !f.any_of.is_empty() || !f.one_of.is_empty() || f.reference.is_some();
    if composed {
        diags.warn(
            node.loc.clone(),
            Policy::FellBackToValue,
            "composition (allOf/anyOf/oneOf or `$ref` with siblings) is not typed yet; the value is validated in full and held as serde_json::Value",
        );
        return (Shape::Any, false);
    }
    let non_null = f.non_null_types();
    let string_enum = f.enum_values.as_ref().filter(|vals| vals.iter().any(Value::is_string) && vals.iter().all(|v| v.is_string() || v.is_null()));
    let kind = match non_null.as_deref() {
        // Without `type`, every JSON type is valid unless the enum says otherwise: object
        // keywords alone do not make a struct (a valid value could be a number).
        None => {
            if string_enum.is_some() {
                Some(JsonType::String)
            } else {
                if !f.properties.is_empty() || !f.required.is_empty() || f.items.is_some() {
                    diags.info(
                        node.loc.clone(),
                        "object or array keywords without `type`: any JSON value is valid, so the type is serde_json::Value (add `type` for a struct)",
                    );
                }
                None
            }
        }
        Some([t]) => Some(*t),
        Some([JsonType::Integer, JsonType::Number] | [JsonType::Number, JsonType::Integer]) => Some(JsonType::Number),
        Some(_) => None,
    };
    let nullable = lists_null || non_null.as_ref().is_some_and(|n| n.len() < f.types.as_ref().map_or(0, Vec::len));
    let shape = match kind {
        None => return (Shape::Any, false),
        Some(JsonType::Null) => return (Shape::Any, false),
        Some(JsonType::Boolean) => Shape::Bool,
        Some(JsonType::Integer) if f.format_check == Some(Format::Int32) => Shape::Formatted(Format::Int32),
        Some(JsonType::Integer) => Shape::Integer,
        Some(JsonType::Number) => Shape::Number,
        Some(JsonType::String) => match string_enum {
            Some(vals) => {
                // A value listed twice is one variant (JSON Schema asks for unique values).
                let mut seen = BTreeSet::new();
                let unique: Vec<&str> = vals.iter().filter_map(Value::as_str).filter(|w| seen.insert(*w)).collect();
                if unique.len() < vals.iter().filter(|v| v.is_string()).count() {
                    diags.info(node.loc.join("enum"), "`enum` lists a value more than once; it is one variant");
                }
                Shape::StringEnum(unique.into_iter().map(|w| Variant { wire: w.to_string(), ident: String::new() }).collect())
            }
            None => match f.format_check.filter(|k| k.is_rich() && *k != Format::Time) {
                Some(k) => Shape::Formatted(k),
                None => Shape::String,
            },
        },
        Some(JsonType::Array) => {
            if !f.prefix_items.is_empty() {
                // A positional multipart body's list is validated, never a Rust type.
                if !ir.validator_only().contains(&id) {
                    diags.warn(node.loc.clone(), Policy::FellBackToValue, "tuple arrays are not typed yet; items are held as serde_json::Value");
                }
                Shape::Array(None)
            } else {
                Shape::Array(f.items)
            }
        }
        Some(JsonType::Object) => {
            if f.properties.is_empty() && f.all_of.is_empty() && f.reference.is_none() {
                // A map: its values are the `additionalProperties` schema, or the one
                // `patternProperties` schema when nothing else is allowed.
                match (&f.additional, f.pattern_properties.as_slice()) {
                    (Additional::Schema(s), []) => Shape::Map(Some(*s)),
                    (Additional::Deny, [(_, s)]) => Shape::Map(Some(*s)),
                    (Additional::Deny, []) => Shape::Struct(Vec::new()),
                    _ => Shape::Map(None),
                }
            } else {
                Shape::Struct(object_fields(ir, id, diags).unwrap_or_default())
            }
        }
    };
    (shape, nullable)
}

/// The fields of an object schema: its own properties merged with those of its `allOf` members
/// and `$ref` target (recursively), in order. `None` when a member is not a plain object schema
/// (it has `oneOf`/`anyOf`/`not`, or a type other than object), so no struct can hold it.
fn object_fields(ir: &Ir, id: SchemaId, diags: &mut Diagnostics) -> Option<Vec<Field>> {
    let mut fields: Vec<Field> = Vec::new();
    let mut required = BTreeSet::new();
    let mut seen = BTreeSet::new();
    if !collect_fields(ir, id, &mut seen, &mut fields, &mut required, diags) {
        return None;
    }
    for f in &mut fields {
        f.required = required.contains(&f.wire);
    }
    Some(fields)
}

fn collect_fields(
    ir: &Ir,
    id: SchemaId,
    seen: &mut BTreeSet<SchemaId>,
    fields: &mut Vec<Field>,
    required: &mut BTreeSet<String>,
    diags: &mut Diagnostics,
) -> bool {
    if !seen.insert(id) {
        return true;
    }
    let f = &ir.schemas[id].facts;
    if f.boolean == Some(false) || !f.any_of.is_empty() || !f.one_of.is_empty() || f.not.is_some() || f.if_then_else.is_some() || f.dynamic_ref.is_some() {
        return false;
    }
    if let Some(types) = f.non_null_types() {
        if !types.is_empty() && types != [JsonType::Object] {
            return false;
        }
    }
    if let Some(r) = f.reference {
        if !collect_fields(ir, r, seen, fields, required, diags) {
            return false;
        }
    }
    for m in &f.all_of {
        if !collect_fields(ir, *m, seen, fields, required, diags) {
            return false;
        }
    }
    required.extend(f.required.iter().cloned());
    for (wire, schema) in &f.properties {
        match fields.iter().find(|x| x.wire == *wire) {
            Some(existing) => {
                let a = ir.schemas[ir.resolve_alias(existing.schema)].facts.non_null_types();
                let b = ir.schemas[ir.resolve_alias(*schema)].facts.non_null_types();
                if a.is_some() && b.is_some() && a != b {
                    diags.warn(
                        ir.schemas[*schema].loc.clone(),
                        Policy::Noted,
                        format!("allOf members disagree on the type of `{wire}`; the field uses the first member's type and validation enforces both"),
                    );
                }
            }
            None => fields.push(Field { wire: wire.clone(), ident: String::new(), schema: *schema, required: false, boxed: false }),
        }
    }
    true
}

/// True when every valid value of schema `id` has JSON type `t` (by its `type`, or by a `$ref`
/// or `allOf` member that says so).
fn asserts(ir: &Ir, id: SchemaId, t: JsonType, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    let f = &ir.schemas[id].facts;
    if let Some(types) = f.non_null_types() {
        if !types.is_empty() {
            return types.iter().all(|x| *x == t);
        }
    }
    f.reference.is_some_and(|r| asserts(ir, r, t, depth + 1)) || f.all_of.iter().any(|m| asserts(ir, *m, t, depth + 1))
}

/// True when `null` is certainly valid for the schema: its `type` lists `null` (or 3.0
/// `nullable`), or it has no `type`, no `enum`/`const` without `null`, no other applicator, and its
/// `$ref` target and every `allOf` member allow `null`.
fn allows_null(ir: &Ir, id: SchemaId, depth: usize) -> bool {
    let f = &ir.schemas[id].facts;
    if depth > 32 || f.boolean == Some(false) {
        return false;
    }
    if f.lists_null() || f.boolean == Some(true) {
        return true;
    }
    let lists = |values: Option<&Vec<Value>>| values.is_none_or(|v| v.contains(&Value::Null));
    f.types.is_none()
        && lists(f.enum_values.as_ref())
        && f.const_value.as_ref().is_none_or(Value::is_null)
        && f.any_of.is_empty()
        && f.one_of.is_empty()
        && f.not.is_none()
        && f.if_then_else.is_none()
        && f.reference.is_none_or(|r| allows_null(ir, r, depth + 1))
        && f.all_of.iter().all(|m| allows_null(ir, *m, depth + 1))
}

fn alias_step(ir: &Ir, id: SchemaId) -> Option<SchemaId> {
    match ir.schemas[id].shape {
        Shape::Alias(t) => Some(t),
        _ => None,
    }
}

/// The smallest id on each cycle of a graph in which every node has at most one successor
/// (`step`), ascending. Linear: each node is walked once, so long alias chains cost nothing.
fn cycle_heads(len: usize, step: impl Fn(SchemaId) -> Option<SchemaId>) -> Vec<SchemaId> {
    // 0: not visited, 1: on the current walk, 2: done.
    let mut state: Arena<SchemaId, u8> = Arena::filled(len, 0);
    let mut heads = Vec::new();
    for start in state.ids() {
        let mut walk = Vec::new();
        let mut cur = Some(start);
        while let Some(n) = cur {
            if state[n] != 0 {
                if state[n] == 1 {
                    // The walk met itself: the cycle is the walk from `n` on.
                    let from = walk.iter().position(|w| *w == n).unwrap_or(0);
                    heads.extend(walk[from..].iter().min().copied());
                }
                break;
            }
            state[n] = 1;
            walk.push(n);
            cur = step(n);
        }
        for n in walk {
            state[n] = 2;
        }
    }
    heads.sort_unstable();
    heads
}

/// The subschemas that apply to the same instance as the schema itself (no member or item is
/// taken on the way): a cycle of these would make validation recurse forever.
pub(super) fn in_place(f: &Facts) -> Vec<SchemaId> {
    let mut out: Vec<SchemaId> =
        f.reference.into_iter().chain(f.all_of.iter().copied()).chain(f.any_of.iter().copied()).chain(f.one_of.iter().copied()).collect();
    out.extend(f.not);
    if let Some((c, t, e)) = f.if_then_else {
        out.push(c);
        out.extend(t);
        out.extend(e);
    }
    out.extend(f.dependent_schemas.iter().map(|(_, s)| *s));
    out
}

/// A schema that reaches itself without consuming any of the instance (`A: {allOf: [{$ref: A}],
/// minLength: 1}`) has no meaning and would make its validator recurse forever. Each such cycle
/// is cut at the reference that closes it, which then stands for `true` (a leniency warning);
/// cycles made only of `$ref`s are left to the alias-cycle error.
fn break_in_place_cycles(ir: &mut Ir, diags: &mut Diagnostics) {
    let n = ir.schemas.len();
    // 0: not visited, 1: on the current path, 2: done.
    let mut state: Arena<SchemaId, u8> = Arena::filled(n, 0);
    let mut cuts: Vec<(SchemaId, SchemaId)> = Vec::new();
    for start in state.ids() {
        if state[start] != 0 {
            continue;
        }
        state[start] = 1;
        let mut path: Vec<(SchemaId, Vec<SchemaId>, usize)> = vec![(start, in_place(&ir.schemas[start].facts), 0)];
        while let Some((u, edges, next)) = path.last_mut() {
            let u = *u;
            let Some(&v) = edges.get(*next) else {
                state[u] = 2;
                path.pop();
                continue;
            };
            *next += 1;
            match state[v] {
                0 => {
                    state[v] = 1;
                    path.push((v, in_place(&ir.schemas[v].facts), 0));
                }
                1 => {
                    let from = path.iter().position(|(w, _, _)| *w == v).unwrap_or(0);
                    if !path[from..].iter().all(|(w, _, _)| ir.schemas[*w].facts.is_pure_ref()) {
                        cuts.push((u, v));
                    }
                }
                _ => {}
            }
        }
    }
    for (u, v) in cuts {
        let mut always = ir.schemas[u].clone();
        always.loc = always.loc.join("(recursion)");
        always.facts = Facts { boolean: Some(true), ..Facts::default() };
        always.name_hint.push("Recursion".into());
        always.discriminator = None;
        always.degraded = None;
        let t = ir.schemas.push(always);
        let f = &mut ir.schemas[u].facts;
        let swap = |x: &mut SchemaId| {
            if *x == v {
                *x = t;
            }
        };
        f.reference.iter_mut().for_each(swap);
        f.all_of.iter_mut().chain(f.any_of.iter_mut()).chain(f.one_of.iter_mut()).for_each(swap);
        f.not.iter_mut().for_each(swap);
        if let Some((c, then, els)) = &mut f.if_then_else {
            swap(c);
            then.iter_mut().for_each(swap);
            els.iter_mut().for_each(swap);
        }
        f.dependent_schemas.iter_mut().for_each(|(_, s)| swap(s));
        diags.lenient(
            ir.schemas[u].loc.clone(),
            Policy::NotEnforced,
            format!(
                "this schema reaches `{}` again without taking a member or item of the value (validation would never end); that reference is read as `true`",
                ir.schemas[v].loc
            ),
        );
    }
}

/// Pure-alias cycles are errors; cycles through arrays or maps of named aliases cannot be Rust
/// type aliases, so those fall back to `Value`. The first schema of each cycle (in arena order)
/// is the one changed, which breaks the cycle for the others.
fn break_alias_cycles(ir: &mut Ir, diags: &mut Diagnostics) {
    for start in cycle_heads(ir.schemas.len(), |id| alias_step(ir, id)) {
        diags.error(ir.schemas[start].loc.clone(), "`$ref` cycle made only of aliases: the schema never says what it is");
        ir.schemas[start].shape = Shape::Any;
    }
    // Recursion through Vec/Map without a struct in between: `type A = Vec<A>` is not Rust.
    let through_containers = |ir: &Ir, id: SchemaId| match &ir.schemas[id].shape {
        Shape::Alias(t) | Shape::Array(Some(t)) | Shape::Map(Some(t)) => Some(*t),
        _ => None,
    };
    for start in cycle_heads(ir.schemas.len(), |id| through_containers(ir, id)) {
        if !matches!(ir.schemas[start].shape, Shape::Any) {
            diags.warn(ir.schemas[start].loc.clone(), Policy::FellBackToValue, "recursive array/map without an object in between; held as serde_json::Value");
            ir.schemas[start].shape = Shape::Any;
        }
    }
}

fn assign_names(ir: &mut Ir, renames: &BTreeMap<String, String>) {
    let mut ref_targets = BTreeSet::new();
    for n in &ir.schemas {
        if let Some(t) = n.facts.reference {
            ref_targets.insert(t);
        }
        // Dynamic targets get a validator function too: a recursive schema reaches itself through them.
        if let Some(d) = &n.facts.dynamic_ref {
            ref_targets.insert(d.target);
            ref_targets.extend(d.candidates.iter().map(|(_, s)| *s));
        }
    }
    // (priority, file, pointer, id): components first, then params structs, then inline types.
    let mut candidates: Vec<(u8, String, String, Option<SchemaId>, String)> = Vec::new();
    for (id, n) in ir.schemas.iter_enumerated() {
        let named_shape = matches!(n.shape, Shape::Struct(_) | Shape::StringEnum(_) | Shape::Union(_));
        let priority = if is_component(ir, id) {
            0
        } else if named_shape || ref_targets.contains(&id) {
            2
        } else {
            continue;
        };
        // A renamed component is named as the user says (cased and numbered like any name).
        let hint = match super::custom::component_name(ir, id).and_then(|c| renames.get(&c)) {
            Some(new) if !naming::type_name(&[new]).is_empty() => naming::type_name(&[new]),
            _ => naming::type_name(&n.name_hint),
        };
        candidates.push((priority, n.loc.file.clone(), n.loc.pointer.clone(), Some(id), hint));
    }
    for (i, op) in ir.all_operations().enumerate() {
        if let Some(p) = &op.params_type {
            candidates.push((1, op.loc.file.clone(), op.loc.pointer.clone(), None, format!("{i}\u{0}p\u{0}{p}")));
        }
        if let Some(b) = op.body.as_ref().and_then(|b| b.enum_name.as_ref()) {
            candidates.push((1, op.loc.file.clone(), op.loc.pointer.clone(), None, format!("{i}\u{0}b\u{0}{b}")));
        }
        for (j, r) in op.responses.iter().enumerate() {
            if let Some(h) = &r.headers_type {
                candidates.push((1, op.loc.file.clone(), op.loc.pointer.clone(), None, format!("{i}\u{0}h{j}\u{0}{h}")));
            }
        }
    }
    candidates.sort();
    let mut scope = Scope::default();
    let mut validators = Scope::default();
    for (_, _, _, id, candidate) in candidates {
        match id {
            Some(id) => {
                let name = scope.claim(&candidate);
                ir.schemas[id].validator = Some(validators.claim(&format!("validate_{}", naming::snake(&name))));
                ir.schemas[id].name = Some(name);
            }
            None => {
                let mut parts = candidate.splitn(3, '\u{0}');
                let idx: usize = parts.next().and_then(|i| i.parse().ok()).unwrap_or(0);
                let kind = parts.next().unwrap_or("p");
                let name = scope.claim(parts.next().unwrap_or_default());
                let op = ir.op_at_mut(idx);
                match (kind, op.body.as_mut()) {
                    ("b", Some(body)) => body.enum_name = Some(name),
                    (k, _) if k.starts_with('h') => {
                        if let Some(r) = k[1..].parse::<usize>().ok().and_then(|j| op.responses.get_mut(ResponseId::from_index(j))) {
                            r.headers_type = Some(name);
                        }
                    }
                    _ => op.params_type = Some(name),
                }
            }
        }
    }
    // Every schema an operation validates directly (parameters, bodies, responses) gets a
    // validator function too, so the server and the client share one.
    let mut roots = Vec::new();
    for op in ir.all_operations() {
        roots.extend(op.params.iter().map(|p| p.schema));
        roots.extend(op.body.iter().flat_map(super::RequestBody::schemas));
        roots.extend(op.body.iter().flat_map(|b| &b.contents).flat_map(|c| c.kind.stream_schemas()));
        roots.extend(op.body.iter().flat_map(super::RequestBody::part_header_schemas));
        for r in &op.responses {
            if let Some((_, super::BodyKind::Json(s))) = &r.body {
                roots.push(*s);
            }
            roots.extend(r.body.iter().flat_map(|(_, k)| k.stream_schemas()));
        }
    }
    // Union members: the enum's deserializer asks their validators which variant a value is.
    let before = roots.len();
    for n in &ir.schemas {
        if let Shape::Union(vs) = &n.shape {
            roots.extend(vs.iter().map(|v| v.schema));
        }
    }
    let union_members = roots.len() - before;
    // Union members are entry points of their own (and may be evaluated in place); operation
    // schemas are shared: a plain `$ref` uses its target's function, and schemas asserting the
    // same facts without subschemas (`{"type": "string"}` of many parameters) share one.
    let op_roots = roots.len() - union_members;
    let mut by_facts: BTreeMap<String, String> = BTreeMap::new();
    for (i, id) in roots.into_iter().enumerate() {
        if ir.schemas[id].validator.is_some() {
            continue;
        }
        let node = &ir.schemas[id];
        let shareable = i < op_roots && node.resource.is_none() && !node.resource_root;
        if shareable && node.facts.is_pure_ref() && !node.nullable {
            if let Some(f) = node.facts.reference.and_then(|t| ir.schemas[t].validator.clone()) {
                ir.schemas[id].validator = Some(f);
                ir.schemas[id].validator_shared = true;
                continue;
            }
        }
        let key = (shareable && node.facts.is_leaf()).then(|| facts_key(node));
        assign_validator(ir, id, key, &mut by_facts, &mut validators);
    }
    // Member and item schemas that assert only their own facts (`{"type": "string", "format":
    // "uuid"}` of many properties) call one shared function instead of repeating the checks.
    let mut members = Vec::new();
    for n in &ir.schemas {
        let f = &n.facts;
        members.extend(f.properties.iter().map(|(_, s)| *s));
        members.extend(f.items);
        members.extend(f.prefix_items.iter().copied());
        if let Additional::Schema(s) = f.additional {
            members.push(s);
        }
    }
    for id in members {
        let node = &ir.schemas[id];
        if node.validator.is_some() || node.resource.is_some() || node.resource_root || !node.facts.is_leaf() || node.facts == Facts::default() {
            continue;
        }
        let key = Some(facts_key(node));
        assign_validator(ir, id, key, &mut by_facts, &mut validators);
    }
}

/// What a schema without subschemas asserts, as a key: equal keys validate alike.
fn facts_key(node: &super::SchemaNode) -> String {
    format!("{:?}\u{0}{:?}\u{0}{}", node.facts, node.shape, node.nullable)
}

/// Gives schema `id` a validator function: the one made before for the same `key` (shared), or
/// a new one named from its location (recorded under `key`).
fn assign_validator(ir: &mut Ir, id: SchemaId, key: Option<String>, by_facts: &mut BTreeMap<String, String>, validators: &mut Scope) {
    if let Some(f) = key.as_ref().and_then(|k| by_facts.get(k)) {
        ir.schemas[id].validator = Some(f.clone());
        ir.schemas[id].validator_shared = true;
        return;
    }
    let name = naming::snake(&naming::type_name(&ir.schemas[id].name_hint));
    let f = validators.claim(&format!("validate_{name}"));
    if let Some(k) = key {
        by_facts.insert(k, f.clone());
    }
    ir.schemas[id].validator = Some(f);
}

fn assign_members(ir: &mut Ir, renames: &BTreeMap<String, String>) {
    let labels: Arena<SchemaId, String> = ir.schemas.ids().map(|id| variant_label(ir, id)).collect();
    let components: Arena<SchemaId, Option<String>> = ir.schemas.ids().map(|id| super::custom::component_name(ir, id)).collect();
    for (id, node) in ir.schemas.iter_enumerated_mut() {
        match &mut node.shape {
            Shape::Struct(fields) => {
                let mut scope = Scope::default();
                for f in fields.iter_mut() {
                    let renamed = components[id].as_ref().and_then(|c| renames.get(&format!("{c}.{}", f.wire))).filter(|n| !naming::snake(n).is_empty());
                    f.ident = scope.claim(&naming::snake(renamed.unwrap_or(&f.wire)));
                }
                let extras = !fields.is_empty() && (matches!(node.facts.additional, Additional::Schema(_)) || !node.facts.pattern_properties.is_empty());
                if extras {
                    node.extras = Some(scope.claim("additional_properties"));
                }
            }
            Shape::StringEnum(vs) => {
                // The catch-all for values a newer server may send is always `UnknownValue`.
                let mut scope = Scope::with_reserved(&["UnknownValue"]);
                for v in vs.iter_mut() {
                    v.ident = scope.claim(&naming::pascal(&v.wire));
                }
            }
            Shape::Union(vs) => {
                let mut scope = Scope::default();
                for v in vs.iter_mut() {
                    v.ident = scope.claim(&labels[v.schema]);
                }
            }
            _ => {}
        }
    }
}

/// A variant name for a union member: its type name, else what kind of value it is.
fn variant_label(ir: &Ir, mut id: SchemaId) -> String {
    for _ in 0..ir.schemas.len() {
        let n = &ir.schemas[id];
        if let Some(name) = &n.name {
            return name.clone();
        }
        let label = match &n.shape {
            Shape::Alias(t) => {
                id = *t;
                continue;
            }
            Shape::Bool => "Boolean",
            Shape::Integer => "Integer",
            Shape::Number => "Number",
            Shape::String => "String",
            Shape::Array(_) => "Array",
            Shape::Map(_) => "Object",
            _ => "Variant",
        };
        return label.to_string();
    }
    "Variant".to_string()
}

/// The struct or union a field's type contains directly (through aliases and `Option`, not
/// `Vec`/maps, which already allocate).
fn direct_named(ir: &Ir, mut id: SchemaId) -> Option<SchemaId> {
    for _ in 0..ir.schemas.len() {
        match ir.schemas[id].shape {
            Shape::Alias(t) => id = t,
            Shape::Struct(_) | Shape::Union(_) => return Some(id),
            _ => return None,
        }
    }
    None
}

fn members(shape: &Shape) -> Vec<SchemaId> {
    match shape {
        Shape::Struct(fields) => fields.iter().map(|f| f.schema).collect(),
        Shape::Union(vs) => vs.iter().map(|v| v.schema).collect(),
        _ => Vec::new(),
    }
}

/// A member needs a `Box` when the struct or union it names directly can reach back to its
/// container: both are in one strongly connected component of the "contains directly" graph.
fn assign_boxes(ir: &mut Ir) {
    let edges: Arena<SchemaId, Vec<SchemaId>> =
        ir.schemas.iter().map(|n| members(&n.shape).into_iter().filter_map(|m| direct_named(ir, m)).collect()).collect();
    let component = strongly_connected(&edges);
    let mut boxes = Vec::new();
    for (id, n) in ir.schemas.iter_enumerated() {
        for (i, m) in members(&n.shape).into_iter().enumerate() {
            if direct_named(ir, m).is_some_and(|t| component[t] == component[id]) {
                boxes.push((id, i));
            }
        }
    }
    for (id, i) in boxes {
        match &mut ir.schemas[id].shape {
            Shape::Struct(fields) => fields[i].boxed = true,
            Shape::Union(vs) => vs[i].boxed = true,
            _ => {}
        }
    }
}

/// Tarjan's algorithm without recursion (deep graphs cost no stack): the component number of
/// every node. A node is in a cycle with itself only through a self edge, which the caller
/// sees as an edge inside one component.
fn strongly_connected(edges: &Arena<SchemaId, Vec<SchemaId>>) -> Arena<SchemaId, usize> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let (mut index, mut low, mut component): (Arena<SchemaId, usize>, Arena<SchemaId, usize>, Arena<SchemaId, usize>) =
        (Arena::filled(n, UNSEEN), Arena::filled(n, 0), Arena::filled(n, UNSEEN));
    let (mut on_stack, mut stack): (Arena<SchemaId, bool>, Vec<SchemaId>) = (Arena::filled(n, false), Vec::new());
    let (mut next_index, mut next_component) = (0, 0);
    for root in edges.ids() {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, next edge to look at)
        let mut work = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if let Some(&w) = edges[v].get(*edge) {
                *edge += 1;
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = next_component;
                    if w == v {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

fn check_security(ir: &mut Ir, diags: &mut Diagnostics) {
    let mut undefined = BTreeSet::new();
    for op in ir.all_operations() {
        for alt in &op.security {
            for (scheme, _) in alt {
                match ir.security_schemes.get(scheme) {
                    // Never dropped: an operation must not become unauthenticated by a typo.
                    None => {
                        diags.lenient(
                            op.loc.clone(),
                            Policy::Noted,
                            format!("security requirement names `{}`, which `components/securitySchemes` does not define; the auth hook gets it as `Credentials::Undefined` and decides from the request headers", scheme.escape_debug()),
                        );
                        undefined.insert(scheme.clone());
                    }
                    Some(SchemeKind::MutualTls) => diags.warn(
                        op.loc.clone(),
                        Policy::Noted,
                        format!("`{scheme}` is mutual TLS: terminate TLS in front of the router; the hook sees no credentials"),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
    for scheme in undefined {
        ir.security_schemes.insert(scheme, SchemeKind::Undefined);
    }
}

/// A discriminator whose property a mapped variant does not declare cannot pick that variant by
/// its tag: a leniency warning (the variant is still reached by validation).
fn check_discriminators(ir: &Ir, diags: &mut Diagnostics) {
    for node in &ir.schemas {
        let Some(d) = &node.discriminator else { continue };
        for (value, target) in &d.mapping {
            let mut target = *target;
            for _ in 0..ir.schemas.len() {
                match ir.schemas[target].shape {
                    Shape::Alias(t) => target = t,
                    _ => break,
                }
            }
            if let Shape::Struct(fields) = &ir.schemas[target].shape {
                if !fields.iter().any(|f| f.wire == d.property) {
                    diags.lenient(
                        node.loc.join("discriminator"),
                        Policy::Noted,
                        format!(
                            "the variant for `{}` has no property `{}`; it is chosen by validation, not by its tag",
                            value.escape_debug(),
                            d.property.escape_debug()
                        ),
                    );
                }
            }
        }
    }
}

/// Finds the schema most 4xx responses use and decides whether rejections are an envelope or flat.
fn detect_error_shape(ir: &Ir, diags: &mut Diagnostics) -> ErrorShape {
    let mut counts: BTreeMap<SchemaId, usize> = BTreeMap::new();
    // How many of each schema's error responses are `application/problem+json`.
    let mut problems: BTreeMap<SchemaId, usize> = BTreeMap::new();
    for op in &ir.operations {
        for r in &op.responses {
            if r.status.starts_with('4') || r.status == "default" {
                if let Some((media_type, super::BodyKind::Json(s))) = &r.body {
                    *counts.entry(ir.resolve_alias(*s)).or_default() += 1;
                    if media_type.eq_ignore_ascii_case("application/problem+json") {
                        *problems.entry(ir.resolve_alias(*s)).or_default() += 1;
                    }
                }
            }
        }
    }
    let Some((&schema, &uses)) = counts.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id))) else {
        return ErrorShape::Envelope(None);
    };
    let has = |id: SchemaId, names: &[&str]| {
        let props = &ir.schemas[id].facts.properties;
        names.iter().all(|n| props.iter().any(|(p, _)| p == n))
    };
    let name = ir.schemas[schema].name.clone();
    // Problem details: the spec says so by the media type (most uses of the error schema), or
    // the schema has RFC 9457's members and not this house's `code`/`message`.
    let problem_media = problems.get(&schema).copied().unwrap_or(0) * 2 > uses;
    if problem_media || (has(schema, &["title", "status"]) && !has(schema, &["code", "message"])) {
        return ErrorShape::Problem(name);
    }
    if let Some((_, inner)) = ir.schemas[schema].facts.properties.iter().find(|(p, _)| p == "error") {
        let inner = ir.resolve_alias(*inner);
        if has(inner, &["code", "message"]) {
            return ErrorShape::Envelope(name);
        }
    }
    if has(schema, &["code", "message"]) {
        return ErrorShape::Flat(name);
    }
    diags.info(
        ir.schemas[schema].loc.clone(),
        "the error schema is neither `{error: {code, message}}`, `{code, message}` nor problem details (RFC 9457); rejections use the `{error: {...}}` envelope unless `Api::rejection_response` is overridden",
    );
    ErrorShape::Envelope(None)
}

#[cfg(test)]
mod error_shape_tests {
    /// The `ERROR_SHAPE` line of the server a spec with one error response generates.
    fn shape(media_type: &str, schema: serde_json::Value) -> String {
        let spec = serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {"responses": {
            "200": {"description": "ok"},
            "400": {"description": "bad", "content": {media_type: {"schema": schema}}}
        }}}}});
        let generated = crate::generate_str("openapi.json", &spec.to_string(), &crate::Options::default()).expect("generates");
        let server = generated.files.iter().find(|f| f.path == "src/server.rs").map(|f| f.contents.clone()).unwrap_or_default();
        server.lines().find(|l| l.contains("pub const ERROR_SHAPE")).unwrap_or_default().to_string()
    }

    #[test]
    fn problem_details_are_recognised_by_media_type_or_members() {
        let house = serde_json::json!({"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}});
        let rfc = serde_json::json!({"type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}}});
        assert!(shape("application/json", house.clone()).ends_with("ErrorShape::Flat;"));
        assert!(shape("application/problem+json", house).ends_with("ErrorShape::Problem;"), "the media type decides");
        assert!(shape("application/json", rfc).ends_with("ErrorShape::Problem;"), "RFC 9457 members without code/message");
        assert!(shape("application/json", serde_json::json!({"type": "object"})).ends_with("ErrorShape::Envelope;"));
    }
}
