//! Emits what applies defaults (decided in `ir::defaults`): the `types` functions returning a
//! field's default, the serde attribute that fills an absent member of a shared type, and the
//! server's resolved parameter and body structs, whose defaulted values are plain fields.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc, ident, is_nullable, lit, prelude, ty, ty_nullable};
use crate::ir::{BodyKind, Field, Ir, Operation, SchemaId};

/// The default functions that type unit `owner` emits (after its type): `some_{name}` for the
/// shared type's member that is not nullable, `{name}` for a resolved body's field.
pub fn functions(ir: &Ir, owner: SchemaId) -> TokenStream {
    let resolved: Vec<SchemaId> = ir
        .operations
        .iter()
        .filter_map(|op| op.body.as_ref().filter(|b| b.resolved.is_some()))
        .filter_map(|b| b.schemas().next())
        .filter_map(|s| crate::ir::body_struct(ir, s))
        .flat_map(|fields| fields.iter().map(|f| f.schema))
        .collect();
    let items = ir.default_fns.iter().filter(|(_, d)| d.owner == owner).map(|(schema, d)| {
        let Some(value) = ir.applied_default(*schema) else { return TokenStream::new() };
        let json = lit(&value.to_string());
        let name = ident(&d.name);
        let t = ty_nullable(ir, *schema);
        let about = lit(&format!(" The default `{}` (the spec's `default`).", short(&value.to_string())));
        let plain = resolved.contains(schema).then(|| {
            quote! {
                #[doc = #about]
                pub fn #name() -> #t {
                    crate::runtime::defaults::parse(#json)
                }
            }
        });
        let some = (!is_nullable(ir, *schema)).then(|| {
            let some = format_ident!("some_{}", d.name);
            let o = prelude(ir, "Option");
            quote! {
                #[doc = #about]
                pub fn #some() -> #o<#t> {
                    Some(crate::runtime::defaults::parse(#json))
                }
            }
        });
        quote!(#plain #some)
    });
    quote!(#(#items)*)
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}...", s.chars().take(60).collect::<String>()) } else { s.to_string() }
}

/// The serde `default` of an optional member that is not nullable in a shared type: the
/// default's `Some` when it has one (an absent member decodes as the default), else `None`.
pub fn shared_default(ir: &Ir, f: &Field) -> TokenStream {
    match ir.default_fns.get(&f.schema) {
        Some(d) if !f.required && !is_nullable(ir, f.schema) => {
            let path = lit(&format!("crate::types::some_{}", d.name));
            quote!(default = #path)
        }
        _ => quote!(default),
    }
}

/// The server's resolved structs (parameters and body) of every operation that has one.
pub fn resolved(ir: &Ir, ops: &[&Operation]) -> TokenStream {
    let items = ops.iter().map(|op| {
        let params = op.resolved_params.as_ref().map(|name| resolved_params(ir, op, name));
        let body = op.body.as_ref().and_then(|b| Some((b.resolved.as_ref()?, b.contents.first()?))).map(|(name, c)| resolved_body(ir, op, name, c));
        quote!(#params #body)
    });
    quote!(#(#items)*)
}

fn resolved_params(ir: &Ir, op: &Operation, name: &str) -> TokenStream {
    let name_i = ident(name);
    let o = prelude(ir, "Option");
    let fields = op.params.iter().map(|p| {
        let i = ident(&p.ident);
        let t = ty_nullable(ir, p.schema);
        let filled = !p.required && ir.applied_default(p.schema).is_some();
        let t = if p.required || filled { t } else { quote!(#o<#t>) };
        let where_ = p.location.as_str();
        let filled_note = if filled { ", its default filled in when absent" } else { "" };
        let head = lit(&format!(" `{}` ({where_} parameter{filled_note})", p.name.escape_debug()));
        let docs = doc(p.doc.as_deref());
        quote! {
            #[doc = #head]
            #docs
            pub #i: #t,
        }
    });
    let client = op.params_type.as_deref().unwrap_or_default();
    let summary = lit(&format!(
        " Parameters of `{}` as the handler gets them: every default filled in (the client's `crate::types::{client}` keeps them optional).",
        op.fn_name
    ));
    quote! {
        #[doc = #summary]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name_i {
            #(#fields)*
        }
    }
}

fn resolved_body(ir: &Ir, op: &Operation, name: &str, c: &crate::ir::Content) -> TokenStream {
    let (BodyKind::Json(s) | BodyKind::Form(s)) = c.kind else { return TokenStream::new() };
    let Some(fields) = crate::ir::body_struct(ir, s) else { return TokenStream::new() };
    let def = &ir.schemas[ir.definition(s)];
    let name_i = ident(name);
    let o = prelude(ir, "Option");
    let fields = fields.iter().map(|f| {
        let name = ident(&f.ident);
        let wire = lit(&f.wire);
        let rename = if f.ident != f.wire { quote!(#[serde(rename = #wire)]) } else { TokenStream::new() };
        let docs = doc(ir.schemas[f.schema].doc.as_deref());
        let mut t = ty(ir, f.schema);
        if f.boxed {
            let b = prelude(ir, "Box");
            t = quote!(#b<#t>);
        }
        let nullable = is_nullable(ir, f.schema);
        let (t, attrs) = match (f.required, nullable, ir.default_fns.get(&f.schema)) {
            (true, false, _) => (t, TokenStream::new()),
            (true, true, _) => (quote!(#o<#t>), TokenStream::new()),
            (false, _, Some(d)) => {
                let path = lit(&format!("crate::types::{}", d.name));
                (if nullable { quote!(#o<#t>) } else { t }, quote!(#[serde(default = #path)]))
            }
            (false, false, None) => (quote!(#o<#t>), quote!(#[serde(default)])),
            (false, true, None) => (quote!(#o<#o<#t>>), quote!(#[serde(default, deserialize_with = "crate::runtime::double_option::deserialize")])),
        };
        quote! {
            #docs
            #rename
            #attrs
            pub #name: #t,
        }
    });
    let extra = def.extras.as_ref().and_then(|field| {
        let value_type = match (&def.facts.additional, def.facts.pattern_properties.is_empty()) {
            (crate::ir::Additional::Schema(s), true) => Some(ty_nullable(ir, *s)),
            (_, false) => Some(quote!(::serde_json::Value)),
            _ => None,
        }?;
        let string = prelude(ir, "String");
        let field = ident(field);
        Some(quote! {
            /// Members not listed in `properties`.
            #[serde(flatten)]
            pub #field: ::std::collections::BTreeMap<#string, #value_type>,
        })
    });
    let shared = def.name.as_deref().unwrap_or_default();
    let summary =
        lit(&format!(" Request body of `{}` as the handler gets it: `crate::types::{shared}` with the defaults of its properties filled in.", op.fn_name));
    quote! {
        #[doc = #summary]
        #[derive(Debug, Clone, PartialEq, ::serde::Deserialize)]
        pub struct #name_i {
            #(#fields)*
            #extra
        }
    }
}
