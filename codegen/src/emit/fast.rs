//! Emits the fast path for JSON request bodies: a valid body is read straight into its Rust type
//! by serde (no `serde_json::Value`), and every keyword is checked on the typed value with the
//! same runtime checks the validators use. Only schemas whose every keyword has a typed check
//! here get one; any body the fast path does not accept takes the full path (parse, validate,
//! convert), which decides and reports every violation.
//!
//! What serde must not let through is closed off in the reader: unknown members
//! (`deny_unknown_fields` under `additionalProperties: false`), `null` for a property that is
//! not nullable, a missing required nullable property, duplicate members (known ones by serde,
//! unknown ones by a first pass where they are allowed), and a struct written as an array of its
//! fields. Integers written as
//! `60.0`, numbers beyond `i64` and unknown enum values fail the fast path and go the full way.

use proc_macro2::TokenStream;
use quote::quote;

use super::validate::{number_checks, string_checks_on_s};
use super::{ident, is_nullable, lit, ty};
use crate::ir::{Additional, BodyKind, Facts, Ir, SchemaId, Shape};

/// The reader function's name for a schema that has one: a named struct that some operation
/// takes as a JSON body, with a typed check for every keyword.
pub fn reader_name(ir: &Ir, id: SchemaId) -> Option<proc_macro2::Ident> {
    let id = through_refs(ir, id);
    let node = &ir.schemas[id];
    let is_body = ir
        .all_operations()
        .any(|op| op.body.as_ref().is_some_and(|b| b.contents.iter().any(|c| matches!(c.kind, BodyKind::Json(s) if through_refs(ir, s) == id))));
    // A body the server reads into a resolved struct (defaults filled in) takes the full path.
    let resolved = ir.operations.iter().any(|op| op.body.as_ref().is_some_and(|b| b.resolved.is_some() && b.schemas().any(|s| through_refs(ir, s) == id)));
    if !is_body || resolved || node.nullable || node.extras.is_some() || node.rust_type.is_some() {
        return None;
    }
    let Shape::Struct(fields) = &node.shape else { return None };
    let f = &node.facts;
    let own = Facts {
        types: f.types.clone(),
        properties: f.properties.clone(),
        required: f.required.clone(),
        additional: if f.additional == Additional::Deny { Additional::Deny } else { Additional::Any },
        additional_present: f.additional_present,
        ..Facts::default()
    };
    // Presence: serde requires exactly the fields the validator requires.
    let same_required = f.required.iter().all(|r| fields.iter().any(|field| &field.wire == r && field.required))
        && fields.iter().all(|field| !field.required || f.required.contains(&field.wire));
    if own != *f || !same_required || fields.iter().any(|field| field.boxed || value_checks(ir, field.schema, 0).is_none()) {
        return None;
    }
    Some(ident(&crate::naming::companion_fn(node.validator.as_deref()?, "read")))
}

/// Follows `$ref`s that assert nothing else (and add no `null`).
fn through_refs(ir: &Ir, mut id: SchemaId) -> SchemaId {
    for _ in 0..ir.schemas.len() {
        let node = &ir.schemas[id];
        match node.facts.reference {
            Some(next) if node.facts.is_pure_ref() && !node.nullable => id = next,
            _ => break,
        }
    }
    id
}

/// The reader function of `id` (empty when it has none; a body schema that is a plain `$ref`
/// is read by the function of the schema it names).
pub fn reader(ir: &Ir, id: SchemaId) -> TokenStream {
    if through_refs(ir, id) != id {
        return TokenStream::new();
    }
    let Some(name) = reader_name(ir, id) else { return TokenStream::new() };
    let node = &ir.schemas[id];
    let Shape::Struct(fields) = &node.shape else { return TokenStream::new() };
    let t = ident(node.name.as_deref().unwrap_or_default());
    let deny = (node.facts.additional == Additional::Deny).then(|| quote!(#[serde(deny_unknown_fields)]));
    // serde refuses a known member twice but skips unknown ones unseen: where they are allowed,
    // the top level is checked for duplicates first (the full path refuses them).
    let unique = (node.facts.additional != Additional::Deny).then(|| {
        quote! {
            if !rt::top_level_members_unique(bytes) {
                return None;
            }
        }
    });
    let mut members = Vec::new();
    let mut checks = Vec::new();
    let mut moves = Vec::new();
    for field in fields {
        let f = ident(&field.ident);
        let wire = lit(&field.wire);
        let inner = ty(ir, field.schema);
        let (field_ty, attrs, value) = match (field.required, is_nullable(ir, field.schema)) {
            (true, false) => (quote!(#inner), quote!(), TokenStream::new()),
            (true, true) => (quote!(Option<#inner>), quote!(#[serde(deserialize_with = "rt::nullable_present")]), quote!(r.#f.as_ref())),
            (false, false) => (quote!(Option<#inner>), quote!(#[serde(default, deserialize_with = "rt::non_null")]), quote!(r.#f.as_ref())),
            (false, true) => (
                quote!(Option<Option<#inner>>),
                quote!(#[serde(default, deserialize_with = "rt::double_option::deserialize")]),
                quote!(r.#f.as_ref().and_then(Option::as_ref)),
            ),
        };
        members.push(quote!(#[serde(rename = #wire)] #attrs #f: #field_ty,));
        if let Some(c) = value_checks(ir, field.schema, 0).filter(|c| !c.is_empty()) {
            checks.push(if value.is_empty() { quote!({ let x = &r.#f; #c }) } else { quote!(if let Some(x) = #value { #c }) });
        }
        moves.push(quote!(#f: r.#f,));
    }
    let checked = if checks.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            let path = &mut rt::InstancePath::root();
            let out: &mut Vec<rt::Violation> = &mut Vec::new();
            #(#checks)*
            if !out.is_empty() {
                return None;
            }
        }
    };
    // A struct without members reads nothing from the reader (an unused binding otherwise).
    let reader = if moves.is_empty() && checks.is_empty() { quote!(_r) } else { quote!(r) };
    let about = lit(&format!(
        " Reads a valid `{}` straight from JSON text; `None` when the text is not one or needs the full path to tell (see `validate_*`).",
        node.name.as_deref().unwrap_or_default()
    ));
    quote! {
        #[doc = #about]
        pub fn #name(bytes: &[u8]) -> Option<crate::types::#t> {
            #[derive(::serde::Deserialize)]
            #deny
            struct Reader { #(#members)* }
            // serde would also read a struct from an array of its fields.
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return None;
            }
            #unique
            let #reader: Reader = ::serde_json::from_slice(bytes).ok()?;
            #checked
            Some(crate::types::#t { #(#moves)* })
        }
    }
}

/// Checks of a property value bound as `x: &T` (its Rust type); `None` when some keyword of the
/// schema has no typed check here.
fn value_checks(ir: &Ir, id: SchemaId, depth: usize) -> Option<TokenStream> {
    if depth > 8 {
        return None;
    }
    let node = &ir.schemas[id];
    let f = &node.facts;
    // The user's type: serde reads it as it likes, so the full path decides.
    if node.rust_type.is_some() {
        return None;
    }
    if f.is_pure_ref() {
        return value_checks(ir, f.reference?, depth + 1);
    }
    // Keywords that every shape below checks through its Rust type or its own code.
    let base = Facts { types: f.types.clone(), nullable: f.nullable, format: f.format.clone(), ..Facts::default() };
    match &node.shape {
        Shape::Bool => (*f == base).then(TokenStream::new),
        Shape::String => {
            let allowed = Facts { min_length: f.min_length, max_length: f.max_length, pattern: f.pattern.clone(), format_check: f.format_check, ..base };
            (*f == allowed).then(|| {
                let c = string_checks_on_s(f);
                if c.is_empty() { c } else { quote!(let s: &str = x; #c) }
            })
        }
        Shape::Integer | Shape::Number | Shape::Formatted(crate::ir::Format::Int32) => {
            let allowed = Facts { minimum: f.minimum, maximum: f.maximum, multiple_of: f.multiple_of, format_check: f.format_check, ..base };
            (*f == allowed).then(|| {
                let c = number_checks(f);
                // A JSON number from the typed value (no allocation) for the shared checks.
                if c.is_empty() { c } else { quote!(let v = &::serde_json::Value::from(*x); #c) }
            })
        }
        Shape::StringEnum(_) => {
            let allowed = Facts { enum_values: f.enum_values.clone(), ..base };
            let t = ident(node.name.as_deref()?);
            (*f == allowed).then(|| {
                if f.enum_values.is_none() {
                    // `unknown-enum-values.requests = "keep"`: the type holds any value.
                    return TokenStream::new();
                }
                let msg = lit("must be one of the listed values");
                quote!(if matches!(x, crate::types::#t::UnknownValue(_)) { rt::violation(out, path, "enum", #msg); })
            })
        }
        Shape::Array(Some(item)) => {
            let allowed = Facts { items: f.items, min_items: f.min_items, max_items: f.max_items, ..base };
            if *f != allowed {
                return None;
            }
            let each = value_checks(ir, *item, depth + 1)?;
            let each = if each.is_empty() {
                each
            } else if is_nullable(ir, *item) {
                quote!(for x in x.iter().flatten() { #each })
            } else {
                quote!(for x in x.iter() { #each })
            };
            let mut c = Vec::new();
            if let Some(n) = f.min_items.filter(|n| *n > 0) {
                c.push(quote!(if (x.len() as u64) < #n { rt::violation(out, path, "minItems", "too few items"); }));
            }
            if let Some(n) = f.max_items {
                c.push(quote!(if (x.len() as u64) > #n { rt::violation(out, path, "maxItems", "too many items"); }));
            }
            Some(quote!(#(#c)* #each))
        }
        _ => None,
    }
}
