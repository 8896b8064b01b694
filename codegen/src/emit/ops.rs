//! Emits `ops.rs`: one descriptor per operation (name, path template, parameters as data, the
//! idempotency key header), which the server reads requests by and the client writes them by,
//! and the conversions of each parameters struct from and to the descriptor's values.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{ident, lit};
use crate::Options;
use crate::ir::{Ir, JsonType, Operation, ParamIn, ParamStyle as Style, SchemaId, Shape};

/// The path of operation `op`'s descriptor.
/// (in a module that imports `crate::ops`).
pub fn op_path(op: &Operation) -> TokenStream {
    let s = format_ident!("{}", crate::naming::op_static(&op.fn_name));
    quote!(ops::#s)
}

/// The `ops` module.
pub fn emit(ir: &Ir, options: &Options) -> TokenStream {
    let head = quote! {
        //! Operation descriptors: each operation's name, path template and parameters as data.
        //! The server reads requests by them and the client writes requests by them, so both
        //! sides share one description of every parameter (its place, style, shape and
        //! validator).
        #![allow(unused_imports)]
        use crate::runtime::ops::*;
        use crate::runtime::ops::flags as f;
        use crate::validate::*;
    };
    let items = ir.all_operations().map(|op| descriptor(ir, op, options));
    quote! {
        #head
        #(#items)*
    }
}

fn descriptor(ir: &Ir, op: &Operation, options: &Options) -> TokenStream {
    let s = format_ident!("{}", crate::naming::op_static(&op.fn_name));
    let about = lit(&format!(" `{} {}`", op.wire_method(), op.path));
    let name = lit(&op.fn_name);
    let template = lit(&op.path);
    let method = lit(&op.wire_method());
    let params = op.params.iter().map(|p| {
        let wire = lit(&p.name);
        let mut flags = vec![match p.location {
            ParamIn::Path => quote!(f::PATH),
            ParamIn::Query => quote!(f::QUERY),
            ParamIn::Header => quote!(f::HEADER),
            ParamIn::Cookie => quote!(f::COOKIE),
            ParamIn::QueryString => quote!(f::QUERY | f::QUERYSTRING),
        }];
        flags.extend(match p.style {
            Style::Simple => None,
            Style::Form => Some(quote!(f::FORM)),
            Style::Label => Some(quote!(f::LABEL)),
            Style::Matrix => Some(quote!(f::MATRIX)),
            Style::SpaceDelimited => Some(quote!(f::SPACE_DELIMITED)),
            Style::PipeDelimited => Some(quote!(f::PIPE_DELIMITED)),
            Style::DeepObject => Some(quote!(f::DEEP_OBJECT)),
            Style::Json => Some(quote!(f::JSON)),
        });
        flags.extend(p.explode.then(|| quote!(f::EXPLODE)));
        flags.extend(p.required.then(|| quote!(f::REQUIRED)));
        let c = coerce(ir, p.schema);
        let vf = ident(ir.schemas[p.schema].validator.as_deref().unwrap_or("missing_validator"));
        // The server fills an absent optional parameter's default in (`Param::or`).
        match ir.applied_default(p.schema).filter(|_| !p.required) {
            Some(d) => {
                let json = lit(&d.to_string());
                quote!(Param::new(#wire, #(#flags)|*, #c, #vf).or(#json),)
            }
            None => quote!(Param::new(#wire, #(#flags)|*, #c, #vf),),
        }
    });
    let build = match &op.idempotency_key {
        Some(k) => {
            let h = lit(&k.header);
            quote!(Op::keyed(#name, #method, #template, #h, &[#(#params)*]))
        }
        None => quote!(Op::new(#name, #method, #template, &[#(#params)*])),
    };
    let conversions = op.params_type.as_ref().map(|pt| {
        let pt = ident(pt);
        let from = options.server.then(|| {
            // Required parameters (and, into the resolved struct, defaulted ones: the server
            // filled them in) are converted first, each on its own, so every failure is
            // reported before the struct is given up.
            let present = |p: &crate::ir::Param| p.required || (op.resolved_params.is_some() && ir.applied_default(p.schema).is_some());
            let lets = op.params.iter().enumerate().filter(|(_, p)| present(p)).map(|(i, _)| {
                let local = format_ident!("p{}", i);
                quote!(let #local = values.take(#i);)
            });
            let fields = op.params.iter().enumerate().map(|(i, p)| {
                let f = ident(&p.ident);
                if present(p) {
                    let local = format_ident!("p{}", i);
                    quote!(#f: #local?)
                } else {
                    quote!(#f: values.take(#i))
                }
            });
            let target = match &op.resolved_params {
                Some(r) => {
                    let r = ident(r);
                    quote!(crate::server::#r)
                }
                None => quote!(crate::types::#pt),
            };
            quote! {
                #[cfg(feature = "server")]
                impl FromParams for #target {
                    fn from_params(values: &mut ParamValues<'_>) -> Option<Self> {
                        #(#lets)*
                        Some(Self { #(#fields),* })
                    }
                }
            }
        });
        let to = options.client.then(|| {
            let values = op.params.iter().map(|p| {
                let f = ident(&p.ident);
                if p.required { quote!(value(&self.#f)) } else { quote!(self.#f.as_ref().and_then(value)) }
            });
            quote! {
                #[cfg(feature = "client")]
                impl ToParams for crate::types::#pt {
                    fn to_params(&self) -> Vec<Option<::serde_json::Value>> {
                        vec![#(#values),*]
                    }
                }
            }
        });
        quote!(#from #to)
    });
    quote! {
        #[doc = #about]
        pub static #s: Op = #build;
        #conversions
    }
}

/// The kind of a scalar parameter value, from its schema's types.
fn scalar_kind(ir: &Ir, id: SchemaId) -> TokenStream {
    let id = ir.definition(id);
    match (&ir.schemas[id].shape, ir.schemas[id].facts.non_null_types().as_deref()) {
        (Shape::Integer | Shape::Number, _) | (_, Some([JsonType::Integer] | [JsonType::Number] | [JsonType::Integer, JsonType::Number])) => {
            quote!(Scalar::Number)
        }
        (Shape::Bool, _) | (_, Some([JsonType::Boolean])) => quote!(Scalar::Boolean),
        _ => quote!(Scalar::String),
    }
}

fn object_coerce(ir: &Ir, fields: &[crate::ir::Field], other: TokenStream) -> TokenStream {
    let props = fields.iter().map(|f| {
        let name = lit(&f.wire);
        let kind = scalar_kind(ir, f.schema);
        quote!((#name, #kind))
    });
    quote!(Coerce::Object(&[#(#props),*], #other))
}

/// How a parameter's text is shaped and read before validation, from its schema.
fn coerce(ir: &Ir, id: SchemaId) -> TokenStream {
    let id = ir.definition(id);
    let node = &ir.schemas[id];
    let full = match &node.shape {
        Shape::Array(item) => {
            let kind = item.map(|i| scalar_kind(ir, i)).unwrap_or(quote!(Scalar::String));
            quote!(Coerce::Array(#kind))
        }
        Shape::Struct(fields) => object_coerce(ir, fields, quote!(Scalar::String)),
        Shape::Map(value) => {
            let kind = value.map(|v| scalar_kind(ir, v)).unwrap_or(quote!(Scalar::String));
            quote!(Coerce::Object(&[], #kind))
        }
        Shape::Union(variants) => {
            let object = variants.iter().find_map(|v| match &ir.schemas[ir.definition(v.schema)].shape {
                Shape::Struct(fields) => Some(fields),
                _ => None,
            });
            let other = variants
                .iter()
                .find(|v| !matches!(ir.schemas[ir.definition(v.schema)].shape, Shape::Struct(_)))
                .map(|v| scalar_kind(ir, v.schema))
                .unwrap_or(quote!(Scalar::String));
            match object {
                Some(fields) => object_coerce(ir, fields, other),
                None => quote!(Coerce::Scalar(#other)),
            }
        }
        _ if node.facts.non_null_types().as_deref() == Some(&[JsonType::Array][..]) => {
            let kind = node.facts.items.map(|i| scalar_kind(ir, i)).unwrap_or(quote!(Scalar::String));
            quote!(Coerce::Array(#kind))
        }
        _ => {
            let kind = scalar_kind(ir, id);
            quote!(Coerce::Scalar(#kind))
        }
    };
    // The runtime's short names for the common shapes.
    match full.to_string().replace(' ', "").as_str() {
        "Coerce::Scalar(Scalar::String)" => quote!(f::STR),
        "Coerce::Scalar(Scalar::Number)" => quote!(f::NUM),
        "Coerce::Scalar(Scalar::Boolean)" => quote!(f::BOOL),
        "Coerce::Array(Scalar::String)" => quote!(f::STRS),
        "Coerce::Array(Scalar::Number)" => quote!(f::NUMS),
        "Coerce::Array(Scalar::Boolean)" => quote!(f::BOOLS),
        _ => full,
    }
}
