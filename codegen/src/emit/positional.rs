//! Emits positional multipart bodies (`multipart/mixed`, `multipart/related`): the position
//! table, the server's reading of the parts in order into `Vec<MixedPart>`, and the client's
//! writing of the same parts.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lit};
use crate::ir::Ir;
use crate::ir::positional::{Position, PositionalBody};

/// The Rust type of a positional body.
pub fn body_type() -> TokenStream {
    quote!(::std::vec::Vec<crate::runtime::multipart::MixedPart>)
}

fn position(ir: &Ir, p: &Position) -> TokenStream {
    // Part headers are checked by the server only (their validators).
    let headers = if ir.emit_validators { p.headers.as_slice() } else { &[] };
    let super::multipart::Encoding { kind, content_types, send_type, headers } =
        super::multipart::encoding(ir, p.kind, &p.content_types, p.send_type.as_deref(), headers);
    quote! {
        crate::runtime::multipart::Position { kind: #kind, content_types: #content_types, send_type: #send_type, headers: #headers }
    }
}

/// The position table (a `Positional` expression). The client needs only the encodings, so it
/// names no validator when validators are not emitted.
fn table(ir: &Ir, p: &PositionalBody) -> TokenStream {
    let prefix = p.prefix.iter().map(|x| position(ir, x));
    let rest = match &p.rest {
        Some(r) => {
            let r = position(ir, r);
            quote!(Some(#r))
        }
        None => quote!(None),
    };
    let validator = |id: Option<crate::ir::SchemaId>| match id.and_then(|id| ir.schemas[id].validator.as_deref()).filter(|_| ir.emit_validators) {
        Some(f) => {
            let f = ident(f);
            quote!(Some(crate::validate::#f))
        }
        None => quote!(None),
    };
    let (list, item) = (validator(p.list), validator(p.item));
    quote! {
        crate::runtime::multipart::Positional { prefix: &[#(#prefix),*], rest: #rest, list: #list, item: #item }
    }
}

/// Server: an expression reading `bytes` into the parts in order, in a handler with `ctx` and
/// `violations` (400 with every violation, paths from the positions).
pub fn read(ir: &Ir, p: &PositionalBody) -> TokenStream {
    let table = table(ir, p);
    quote!({
        const POSITIONS: crate::runtime::multipart::Positional = #table;
        let parts = crate::runtime::multipart::read::parts(&ctx.headers, bytes).await?;
        let parts = crate::runtime::multipart::decode_positional(parts, &POSITIONS, &mut violations);
        if !violations.is_empty() {
            return Err(Rejection::validation(::std::mem::take(&mut violations)));
        }
        parts
    })
}

/// Client: statements putting `value` (the parts) into `request` as `media_type`.
pub fn send(ir: &Ir, p: &PositionalBody, media_type: &str, value: TokenStream) -> TokenStream {
    let table = table(ir, p);
    let mt = lit(media_type);
    quote! {
        const POSITIONS: crate::runtime::multipart::Positional = #table;
        let mut w = crate::runtime::multipart::Writer::new();
        w.positional(&POSITIONS, #value.as_slice());
        request = w.send(request, #mt)?;
    }
}
