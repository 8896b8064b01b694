//! Emits typed multipart bodies: the parts struct and its part table (in `types`), the server's
//! reading of the parts into it, and the client's writing of the same parts.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc, ident, is_nullable, lit, prelude, ty_nullable};
use crate::ir::Ir;
use crate::ir::multipart::{MultipartBody, PartField, PartHeader, PartKind};

fn file_type() -> TokenStream {
    quote!(crate::runtime::multipart::FilePart)
}

/// The Rust type of one part's field.
fn field_type(ir: &Ir, p: &PartField) -> TokenStream {
    let o = prelude(ir, "Option");
    let v = prelude(ir, "Vec");
    let f = file_type();
    match (p.kind, p.repeated, p.required) {
        (PartKind::File, false, true) => f,
        (PartKind::File, false, false) => quote!(#o<#f>),
        (PartKind::File, true, true) => quote!(#v<#f>),
        (PartKind::File, true, false) => quote!(#o<#v<#f>>),
        (_, _, true) => ty_nullable(ir, p.schema),
        (_, _, false) if is_nullable(ir, p.schema) => ty_nullable(ir, p.schema),
        (_, _, false) => {
            let t = ty_nullable(ir, p.schema);
            quote!(#o<#t>)
        }
    }
}

/// The parts struct of a typed multipart body and, with validators, its part table.
pub fn parts_struct(ir: &Ir, mp: &MultipartBody, about: &str) -> TokenStream {
    let name = ident(&mp.type_name);
    let fields = mp.parts.iter().map(|p| {
        let f = ident(&p.ident);
        let t = field_type(ir, p);
        let kind = match p.kind {
            PartKind::File => "a file part",
            PartKind::Text => "a text part",
            PartKind::Json => "a JSON part",
        };
        let repeated = if p.repeated { ", repeated (one part per item)" } else { "" };
        let line = lit(&format!(" The `{}` part: {kind}{repeated}.", p.wire.escape_debug()));
        let docs = doc(ir.schemas[p.schema].doc.as_deref());
        let sep = if docs.is_empty() { TokenStream::new() } else { quote!(#[doc = ""]) };
        quote! {
            #[doc = #line]
            #sep
            #docs
            pub #f: #t,
        }
    });
    let other = mp.other.as_deref().map(|o| {
        let o = ident(o);
        let v = prelude(ir, "Vec");
        quote! {
            /// Parts the schema does not name, in order.
            pub #o: #v<crate::runtime::Part>,
        }
    });
    let about = lit(about);
    let table = ir.emit_validators.then(|| {
        let specs = mp.parts.iter().map(|p| part_spec(ir, p));
        quote! {
            impl #name {
                /// The part table: name, kind, repetition, media types and headers of each part.
                pub const PARTS: &'static [crate::runtime::multipart::PartSpec] = &[#(#specs),*];
            }
        }
    });
    quote! {
        #[doc = #about]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name {
            #(#fields)*
            #other
        }
        #table
    }
}

/// The encoding half of a part's table entry, shared by named and positional parts: its kind,
/// its accepted and sent media types, and its documented headers (each with its validator).
pub(super) struct Encoding {
    pub kind: TokenStream,
    pub content_types: TokenStream,
    pub send_type: TokenStream,
    pub headers: TokenStream,
}

pub(super) fn encoding(ir: &Ir, kind: PartKind, content_types: &[String], send_type: Option<&str>, headers: &[PartHeader]) -> Encoding {
    let kind = match kind {
        PartKind::File => quote!(File),
        PartKind::Text => quote!(Text),
        PartKind::Json => quote!(Json),
    };
    let types = content_types.iter().map(|t| lit(t));
    let send_type = match send_type {
        Some(t) => {
            let t = lit(t);
            quote!(Some(#t))
        }
        None => quote!(None),
    };
    let headers = headers.iter().map(|h| {
        let n = lit(&h.name);
        let required = h.required;
        let bits = super::validate::type_bits(ir, h.schema);
        let f = ident(ir.schemas[h.schema].validator.as_deref().unwrap_or("missing_validator"));
        quote!(crate::runtime::multipart::PartHeader { name: #n, required: #required, types: #bits, validate: crate::validate::#f })
    });
    Encoding { kind: quote!(crate::runtime::multipart::PartKind::#kind), content_types: quote!(&[#(#types),*]), send_type, headers: quote!(&[#(#headers),*]) }
}

fn part_spec(ir: &Ir, p: &PartField) -> TokenStream {
    let name = lit(&p.wire);
    let repeated = p.repeated;
    let deep = p.deep;
    let Encoding { kind, content_types, send_type, headers } = encoding(ir, p.kind, &p.content_types, p.send_type.as_deref(), &p.headers);
    quote! {
        crate::runtime::multipart::PartSpec {
            name: #name,
            kind: #kind,
            repeated: #repeated,
            content_types: #content_types,
            send_type: #send_type,
            headers: #headers,
            deep: #deep,
        }
    }
}

/// Server: an expression reading `bytes` (a `multipart/*` body) into the parts struct, in a
/// handler with `ctx` and `violations` (400 with every violation, field paths from the part
/// names, as for JSON bodies).
pub fn read(ir: &Ir, mp: &MultipartBody) -> TokenStream {
    let name = ident(&mp.type_name);
    let vf = super::validate::validator_short(ir, mp.schema);
    let fields = mp.parts.iter().map(|p| {
        let f = ident(&p.ident);
        let w = lit(&p.wire);
        let take = match (p.kind, p.repeated, p.required) {
            (PartKind::File, false, true) => quote!(d.file(#w).map_err(crate::runtime::multipart::read::unfit)?),
            (PartKind::File, false, false) => quote!(d.file_opt(#w)),
            (PartKind::File, true, true) => quote!(d.files(#w)),
            (PartKind::File, true, false) => quote!(d.files_opt(#w)),
            _ => quote!(d.field(#w).map_err(crate::runtime::multipart::read::unfit)?),
        };
        quote!(#f: #take,)
    });
    let other = mp.other.as_deref().map(|o| {
        let o = ident(o);
        quote!(#o: d.other,)
    });
    // `d` is taken from field by field; a body without named parts only moves its `other` list.
    let binding = match (mp.parts.is_empty(), other.is_some()) {
        (false, _) => quote!(mut d),
        (true, true) => quote!(d),
        (true, false) => quote!(_),
    };
    quote!({
        let parts = crate::runtime::multipart::read::parts(&ctx.headers, bytes).await?;
        let #binding = crate::runtime::multipart::decode(parts, crate::types::#name::PARTS, #vf, &mut violations);
        if !violations.is_empty() {
            return Err(Rejection::validation(::std::mem::take(&mut violations)));
        }
        crate::types::#name { #(#fields)* #other }
    })
}

/// Client: statements putting `value` (a reference to the parts struct) into `request` as
/// `media_type`.
pub fn send(mp: &MultipartBody, media_type: &str, value: TokenStream) -> TokenStream {
    let name = ident(&mp.type_name);
    let writes = mp.parts.iter().enumerate().map(|(i, p)| {
        let f = ident(&p.ident);
        match (p.kind, p.repeated, p.required) {
            (PartKind::File, false, true) => quote!(w.file(&parts[#i], &#value.#f);),
            (PartKind::File, false, false) => quote!(if let Some(file) = &#value.#f { w.file(&parts[#i], file); }),
            (PartKind::File, true, true) => quote!(w.files(&parts[#i], &#value.#f);),
            (PartKind::File, true, false) => quote!(if let Some(files) = &#value.#f { w.files(&parts[#i], files); }),
            _ => quote!(w.value(&parts[#i], &#value.#f);),
        }
    });
    let other = mp.other.as_deref().map(|o| {
        let o = ident(o);
        quote!(w.other(&#value.#o);)
    });
    let parts = if mp.parts.is_empty() { quote!(_parts) } else { quote!(parts) };
    let mt = lit(media_type);
    quote! {
        let mut w = crate::runtime::multipart::Writer::new();
        let #parts = crate::types::#name::PARTS;
        #(#writes)*
        #other
        request = w.send(request, #mt)?;
    }
}
