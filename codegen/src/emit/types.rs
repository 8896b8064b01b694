//! Emits `types.rs`: one serde type per named schema (structs, string enums, aliases) and the params structs.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc, ident, is_nullable, lit, prelude, shape_ty, ty};
use crate::ir::{Field, Ir, OpId, ResponseId, SchemaId, Shape};

/// One top-level item group of `types.rs`. An operation is named by its index in
/// [`Ir::all_operations`] (path operations, then webhooks and callbacks; see [`Ir::op_at`]).
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// A named schema's type.
    Schema(SchemaId),
    /// An operation's params struct.
    Params(OpId),
    /// An operation's request body enum.
    Body(OpId),
    /// A response's headers struct (operation, response).
    Headers(OpId, ResponseId),
    /// A typed multipart body's parts struct (operation, media type index).
    Parts(OpId, usize),
}

/// The module header.
pub fn head() -> TokenStream {
    quote! {
        //! Request, response and component types. Requests are validated against the schema
        //! before they are converted into these types; unknown response fields are ignored
        //! unless the client runs in strict mode.
    }
}

/// The items of `types.rs`, in output order (named types by name, then per operation).
pub fn units(ir: &Ir) -> Vec<Unit> {
    let mut named: Vec<(&str, SchemaId)> = ir.schemas.iter_enumerated().filter_map(|(id, n)| n.name.as_deref().map(|name| (name, id))).collect();
    named.sort();
    let mut out: Vec<Unit> = named.into_iter().map(|(_, id)| Unit::Schema(id)).collect();
    for (i, op) in ir.all_operations().enumerate() {
        let i = OpId::from_index(i);
        if op.params_type.is_some() {
            out.push(Unit::Params(i));
        }
        if op.body.as_ref().is_some_and(|b| b.enum_name.is_some()) {
            out.push(Unit::Body(i));
        }
        for (c, content) in op.body.iter().flat_map(|b| b.contents.iter()).enumerate() {
            if matches!(content.kind, crate::ir::BodyKind::Parts(_)) {
                out.push(Unit::Parts(i, c));
            }
        }
        for (j, r) in op.responses.iter_enumerated() {
            if r.headers_type.is_some() {
                out.push(Unit::Headers(i, j));
            }
        }
    }
    out
}

/// The tokens of one unit.
pub fn unit(ir: &Ir, u: &Unit) -> TokenStream {
    match *u {
        Unit::Schema(id) => type_item(ir, id, ir.schemas[id].name.as_deref().unwrap_or_default()),
        Unit::Parts(i, c) => {
            let op = &ir.operations[i];
            match op.body.as_ref().map(|b| &b.contents[c].kind) {
                Some(crate::ir::BodyKind::Parts(mp)) => {
                    let about =
                        format!(" The parts of the `{}` request body of `{}`.", op.body.as_ref().map_or("", |b| b.contents[c].media_type.as_str()), op.fn_name);
                    super::multipart::parts_struct(ir, mp, &about)
                }
                _ => TokenStream::new(),
            }
        }
        Unit::Params(i) => {
            let op = ir.op_at(i.index());
            params_struct(ir, op, op.params_type.as_deref().unwrap_or_default())
        }
        Unit::Headers(i, j) => {
            let op = ir.op_at(i.index());
            let r = &op.responses[j];
            let name = ident(r.headers_type.as_deref().unwrap_or_default());
            let o = prelude(ir, "Option");
            let fields = r.headers.iter().map(|h| {
                let f = ident(&h.ident);
                let wire = lit(&h.name);
                let t = super::ty_nullable(ir, h.schema);
                let docs = doc(h.doc.as_deref());
                quote! {
                    #docs
                    #[serde(rename = #wire, default, skip_serializing_if = "::std::option::Option::is_none")]
                    pub #f: #o<#t>,
                }
            });
            let about =
                lit(&format!(" Headers of the `{}` response of `{}` (all optional: a client tolerates a server that omits one).", r.status, op.fn_name));
            quote! {
                #[doc = #about]
                #[derive(Debug, Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                pub struct #name { #(#fields)* }
            }
        }
        Unit::Body(i) => {
            let op = ir.op_at(i.index());
            let Some(b) = &op.body else { return TokenStream::new() };
            let name = ident(b.enum_name.as_deref().unwrap_or_default());
            let variants = b.contents.iter().map(|c| {
                let v = ident(&c.variant);
                let t = super::content_type(ir, c);
                let d = lit(&format!(" `{}`", c.media_type));
                quote!(#[doc = #d] #v(#t),)
            });
            let about = lit(&format!(" Request body of `{}`: one variant per documented media type.", op.fn_name));
            // A byte stream is read once: neither `Clone` nor comparable.
            let derives = if b.streams() { quote!(Debug) } else { quote!(Debug, Clone, PartialEq) };
            quote! {
                #[doc = #about]
                #[derive(#derives)]
                pub enum #name { #(#variants)* }
            }
        }
    }
}

fn deprecated(flag: bool) -> TokenStream {
    if flag { quote!(#[deprecated]) } else { TokenStream::new() }
}

fn type_item(ir: &Ir, id: SchemaId, name: &str) -> TokenStream {
    let node = &ir.schemas[id];
    let name_i = ident(name);
    let docs = doc(node.doc.as_deref());
    let dep = deprecated(node.deprecated);
    if let Some(t) = super::user_type(ir, id) {
        let about = lit(&format!(" The user's type for this schema (configuration `types`); validators check the JSON against `{name}`'s schema."));
        return quote! {
            #docs
            #[doc = ""]
            #[doc = #about]
            pub type #name_i = #t;
        };
    }
    // After the derives: helper attributes (`#[serde(..)]`) must follow the derive that
    // introduces them.
    let decor = decorations(node);
    match &node.shape {
        Shape::Struct(fields) => {
            let fields = fields.iter().map(|f| field(ir, f));
            let defaults = super::defaults::functions(ir, id);
            // Members beyond `properties` that the schema allows by name pattern or by schema
            // are kept (flattened), so a value survives conversion whole.
            let value_type = match (&node.facts.additional, node.facts.pattern_properties.is_empty()) {
                (crate::ir::Additional::Schema(s), true) => Some(super::ty_nullable(ir, *s)),
                (_, false) => Some(quote!(::serde_json::Value)),
                _ => None,
            };
            let extra = match (value_type, &node.extras) {
                (Some(t), Some(field)) => {
                    let string = prelude(ir, "String");
                    let field = ident(field);
                    quote! {
                        /// Members not listed in `properties` (`additionalProperties` / `patternProperties`).
                        #[serde(flatten)]
                        pub #field: ::std::collections::BTreeMap<#string, #t>,
                    }
                }
                _ => TokenStream::new(),
            };
            // The validator rejects unknown members; the type ignores them (a tolerant client), and
            // the derived schema says what the spec says.
            let deny = if node.facts.additional == crate::ir::Additional::Deny && node.facts.pattern_properties.is_empty() {
                quote!(#[cfg_attr(feature = "schemars", schemars(deny_unknown_fields))])
            } else {
                TokenStream::new()
            };
            let deny = if node.deny_unknown_members && !node.extra_attributes.iter().any(|a| a.contains("deny_unknown_fields")) {
                quote!(#deny #[serde(deny_unknown_fields)])
            } else {
                deny
            };
            quote! {
                #docs
                #dep
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
                #deny
                #decor
                pub struct #name_i {
                    #(#fields)*
                    #extra
                }
                #defaults
            }
        }
        Shape::StringEnum(variants) => {
            let reject = if ir.reject_unknown_enum_values { quote!(reject) } else { TokenStream::new() };
            let idents: Vec<_> = variants.iter().map(|v| ident(&v.ident)).collect();
            let wires: Vec<_> = variants.iter().map(|v| lit(&v.wire)).collect();
            let variant_docs = variants.iter().map(|v| doc(Some(&format!("`{}`", v.wire.escape_debug()))));
            let string = prelude(ir, "String");
            quote! {
                #docs
                #dep
                #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #decor
                pub enum #name_i {
                    #( #variant_docs #idents, )*
                    /// A value the spec does not list. Requests never carry one (they are
                    /// validated); a client keeps working when a newer server sends one.
                    UnknownValue(#string),
                }

                crate::runtime::string_enum!(#name_i #reject { #( #idents = #wires ),* });
            }
        }
        Shape::Union(variants) => union_item(ir, id, &name_i, variants, docs, dep, decor),
        _ => {
            let t = shape_ty(ir, id);
            quote! {
                #docs
                pub type #name_i = #t;
            }
        }
    }
}

/// The extra derives and attributes the configuration gives this type (checked to parse during
/// analysis).
fn decorations(node: &crate::ir::SchemaNode) -> TokenStream {
    // What the type derives or implements already (a second derive would not compile).
    let builtin: &[&str] = match node.shape {
        Shape::Struct(_) => &["Debug", "Clone", "PartialEq", "Serialize", "Deserialize"],
        Shape::StringEnum(_) => &["Debug", "Clone", "PartialEq", "Eq", "Hash", "PartialOrd", "Ord", "Serialize", "Deserialize"],
        _ => &["Debug", "Clone", "PartialEq", "Serialize", "Deserialize"],
    };
    let derives: Vec<syn::Path> = node
        .extra_derives
        .iter()
        .filter_map(|d| syn::parse_str::<syn::Path>(d).ok())
        .filter(|p| p.segments.last().is_none_or(|s| !builtin.contains(&s.ident.to_string().as_str())))
        .collect();
    let attrs: Vec<syn::Attribute> =
        node.extra_attributes.iter().filter_map(|a| syn::parse::Parser::parse_str(syn::Attribute::parse_outer, a).ok()).flatten().collect();
    let derive = if derives.is_empty() { TokenStream::new() } else { quote!(#[derive(#(#derives),*)]) };
    quote!(#derive #(#attrs)*)
}

fn field(ir: &Ir, f: &Field) -> TokenStream {
    let node = &ir.schemas[f.schema];
    let name = ident(&f.ident);
    let wire = lit(&f.wire);
    let rename = if f.ident != f.wire { quote!(#[serde(rename = #wire)]) } else { TokenStream::new() };
    let docs = doc(node.doc.as_deref());
    let dep = deprecated(node.deprecated);
    let mut t = ty(ir, f.schema);
    let o = prelude(ir, "Option");
    if f.boxed {
        let b = prelude(ir, "Box");
        t = quote!(#b<#t>);
    }
    let nullable = is_nullable(ir, f.schema);
    let default = super::defaults::shared_default(ir, f);
    let (t, attrs) = match (f.required, nullable) {
        (true, false) => (t, TokenStream::new()),
        // Required even though `null` is a value: schemars would call an `Option` optional.
        (true, true) => {
            let schema_type = type_string(&quote!(crate::runtime::NullableSchema<#t>));
            (quote!(#o<#t>), quote!(#[cfg_attr(feature = "schemars", schemars(required, with = #schema_type))]))
        }
        (false, false) => {
            // Absent is `None` (or the spec's default); `null` is not a value of the field
            // (schemars would add it).
            let schema_type = type_string(&t);
            (
                quote!(#o<#t>),
                quote! {
                    #[serde(#default, skip_serializing_if = "::std::option::Option::is_none")]
                    #[cfg_attr(feature = "schemars", schemars(with = #schema_type))]
                },
            )
        }
        (false, true) => {
            // schemars reads `with` as a type: the field's schema is "T or null", not required.
            let schema_type = type_string(&quote!(#o<#t>));
            (
                quote!(#o<#o<#t>>),
                quote! {
                    #[serde(default, skip_serializing_if = "::std::option::Option::is_none", with = "crate::runtime::double_option")]
                    #[cfg_attr(feature = "schemars", schemars(with = #schema_type))]
                },
            )
        }
    };
    // A user's type has no schemars impl of ours: the field is described as any JSON value.
    let attrs = if super::holds_user_type(ir, f.schema) {
        let serde_attrs = match (f.required, nullable) {
            (true, _) => TokenStream::new(),
            (false, false) => quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")]),
            (false, true) => quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none", with = "crate::runtime::double_option")]),
        };
        quote!(#serde_attrs #[cfg_attr(feature = "schemars", schemars(with = "::serde_json::Value"))])
    } else {
        attrs
    };
    quote! {
        #docs
        #dep
        #rename
        #attrs
        pub #name: #t,
    }
}

/// A type as the string literal `schemars(with = "..")` wants (`Option<crate::types::X>`).
fn type_string(t: &TokenStream) -> proc_macro2::Literal {
    let text: String = t.to_string().chars().filter(|c| !c.is_whitespace()).collect();
    lit(&text.replace(',', ", "))
}

fn params_struct(ir: &Ir, op: &crate::ir::Operation, name: &str) -> TokenStream {
    let name_i = ident(name);
    let fields = op.params.iter().map(|p| {
        let i = ident(&p.ident);
        let t = super::ty_nullable(ir, p.schema);
        let o = prelude(ir, "Option");
        let t = if p.required { t } else { quote!(#o<#t>) };
        let where_ = p.location.as_str();
        let head = lit(&format!(" `{}` ({where_} parameter)", p.name.escape_debug()));
        let docs = doc(p.doc.as_deref());
        quote! {
            #[doc = #head]
            #docs
            pub #i: #t,
        }
    });
    let summary = lit(&format!(" Parameters of `{}`.", op.fn_name));
    let default = if op.params.iter().all(|p| !p.required) { quote!(Default,) } else { TokenStream::new() };
    quote! {
        #[doc = #summary]
        #[derive(Debug, Clone, #default PartialEq)]
        pub struct #name_i {
            #(#fields)*
        }
    }
}

fn union_item(
    ir: &Ir,
    id: SchemaId,
    name: &proc_macro2::Ident,
    variants: &[crate::ir::UnionVariant],
    docs: TokenStream,
    dep: TokenStream,
    decor: TokenStream,
) -> TokenStream {
    let node = &ir.schemas[id];
    let idents: Vec<_> = variants.iter().map(|v| ident(&v.ident)).collect();
    let payloads = variants.iter().map(|v| {
        let t = super::ty_nullable(ir, v.schema);
        let b = prelude(ir, "Box");
        if v.boxed { quote!(#b<#t>) } else { t }
    });
    let wraps: Vec<TokenStream> =
        variants.iter().zip(&idents).map(|(v, i)| if v.boxed { quote!(|x| Self::#i(::std::boxed::Box::new(x))) } else { quote!(Self::#i) }).collect();
    // Without validators (a types-only crate), the first alternative the value converts into.
    let tries: Vec<TokenStream> = variants
        .iter()
        .zip(&wraps)
        .map(|(v, wrap)| {
            if ir.emit_validators {
                let validator = super::validate::validator_path(ir, v.schema);
                quote! {
                    if crate::runtime::is_valid(&value, #validator) {
                        return crate::runtime::convert(value).map(#wrap).map_err(::serde::de::Error::custom);
                    }
                }
            } else {
                quote! {
                    if let ::std::result::Result::Ok(v) = crate::runtime::convert(value.clone()).map(#wrap) {
                        return ::std::result::Result::Ok(v);
                    }
                }
            }
        })
        .collect();
    let kind = if node.facts.one_of.is_empty() { "anyOf" } else { "oneOf" };
    let about = if ir.emit_validators {
        lit(&format!(" One of the `{kind}` alternatives; the variant is the first alternative the value is valid against."))
    } else {
        lit(&format!(" One of the `{kind}` alternatives; the variant is the first alternative the value converts into (no validators generated)."))
    };
    let none = lit(&format!("the value matches none of the alternatives of `{name}`"));
    let by_tag = node.discriminator.as_ref().map(|d| {
        let arms = d.mapping.iter().filter_map(|(value, target)| {
            let i = variants.iter().position(|v| v.schema == *target || ir.schemas[v.schema].facts.reference == Some(*target))?;
            let value = lit(value);
            let wrap = &wraps[i];
            // The tag picks its alternative when the value converts into it; otherwise the first
            // valid alternative (validation, plain `oneOf`/`anyOf`, may accept the value through
            // another alternative than the tag names).
            Some(quote!(::std::option::Option::Some(#value) => {
                if let ::std::result::Result::Ok(v) = crate::runtime::convert(value.clone()).map(#wrap) {
                    return ::std::result::Result::Ok(v);
                }
            }))
        });
        let prop = lit(&d.property);
        // OpenAPI 3.2 `defaultMapping`: an absent or unmapped tag picks that alternative first.
        let fallback = d
            .default
            .and_then(|target| variants.iter().position(|v| v.schema == target || ir.schemas[v.schema].facts.reference == Some(target)))
            .map(|i| {
                let wrap = &wraps[i];
                quote!(if let ::std::result::Result::Ok(v) = crate::runtime::convert(value.clone()).map(#wrap) {
                    return ::std::result::Result::Ok(v);
                })
            })
            .unwrap_or_default();
        quote! {
            let tag = value.get(#prop).and_then(::serde_json::Value::as_str).map(::std::borrow::ToOwned::to_owned);
            match tag.as_deref() {
                #(#arms)*
                _ => { #fallback }
            }
        }
    });
    quote! {
        #docs
        #[doc = ""]
        #[doc = #about]
        #dep
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        #[serde(untagged)]
        #decor
        pub enum #name {
            #( #idents(#payloads), )*
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                #by_tag
                #(#tries)*
                ::std::result::Result::Err(::serde::de::Error::custom(#none))
            }
        }
    }
}
