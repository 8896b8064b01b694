//! Emits `client.rs`: the `Client` type (declared by the runtime's `client_type!`), one async
//! method per operation, its success type and its error enum. The support code is the
//! runtime's `client` module, re-exported.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::validate::validator_short as validator_path;
use super::{doc, ident, lit};
use crate::ir::{BodyKind, Ir, Operation, Response, SchemeKind};

/// The `client` module.
pub fn emit(ir: &Ir) -> TokenStream {
    let imports = imports();
    let head = quote! {
        //! The reqwest client: one method per operation with typed per-status results.
        //!
        //! Response policy: by default responses are decoded tolerantly (unknown fields are
        //! ignored, so a server that adds a field does not break the client); `Client::strict(true)`
        //! also runs the schema's validator on every documented response and fails on any
        //! violation (for tests). Requests are not validated before sending unless
        //! `Client::validate_requests(true)`: the server is the authority and answers 400.
        //! The support code (errors, encoding, [`Connection`]) is the runtime's `client` module,
        //! re-exported here.
        #![allow(unused_imports)]
        #imports
        crate::runtime::client::client_type!(Client);
    };
    let paginate = ir.operations.iter().any(|o| o.pagination.is_some()).then(|| {
        quote!(
            use crate::runtime::paginate;
            pub use crate::runtime::paginate::PageError;
        )
    });
    let default = ir.servers.first().filter(|u| !u.contains('{') && u.contains("://")).map(|u| {
        let u = lit(u);
        quote! {
            /// The first server of the spec.
            pub const DEFAULT_BASE_URL: &str = #u;

            impl Default for Client {
                /// A client for [`DEFAULT_BASE_URL`].
                fn default() -> Self {
                    Client::new(DEFAULT_BASE_URL)
                }
            }
        }
    });
    let mut types = Vec::new();
    let mut methods = Vec::new();
    let mut declared = Vec::new();
    let mut delegates = Vec::new();
    for op in &ir.operations {
        let o = operation(ir, op, false);
        types.push(o.types);
        methods.push(o.method);
        declared.push(o.declared);
        delegates.push(o.delegate);
    }
    quote! {
        #head
        #paginate
        #default
        #(#types)*
        impl Client {
            #(#methods)*
        }

        /// The API as a trait, one method per operation: [`Client`] implements it by calling its
        /// own methods; implement it on a test double to mock the API in unit tests.
        // The parameters are the methods' own (`&Vec<T>` for an array body included).
        #[allow(clippy::ptr_arg)]
        pub trait ApiClient {
            #(#declared)*
        }

        impl ApiClient for Client {
            #(#delegates)*
        }
    }
}

/// The imports of a client module (the runtime's `client` module re-exported).
pub fn imports() -> TokenStream {
    quote! {
        pub use crate::runtime::client::*;
        use crate::runtime::{InstancePath, Violation};
        use crate::runtime::ops::ToParams;
        use crate::{ops, validate as v};
        use std::future::Future;
        use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    }
}

/// The code of `ops` for a client type that sends each to a URL its caller gives (the webhook
/// sender): their status enums, and the methods of the type's `impl` block, each taking the
/// URL first. Shared with [`emit`]'s per-operation code.
pub fn url_operations(ir: &Ir, ops: &[&Operation]) -> (Vec<TokenStream>, Vec<TokenStream>) {
    ops.iter().map(|op| operation(ir, op, true)).map(|o| (o.types, o.method)).unzip()
}

/// An enum of responses (success or error) with one variant per status.
fn status_enum(ir: &Ir, name: &proc_macro2::Ident, about: &str, rs: &[&Response]) -> TokenStream {
    let d = lit(about);
    let variants = rs.iter().map(|r| {
        let v = ident(&r.variant);
        let docs = doc(r.doc.as_deref());
        let sd = lit(&format!(" Status `{}`.", r.status));
        let (fields, _) = super::variant_fields(ir, r, quote!(u16), None);
        quote!(#[doc = #sd] #docs #v #fields,)
    });
    // A byte stream is read once: neither `Clone` nor comparable.
    let derives = if rs.iter().any(|r| r.streams()) { quote!(Debug) } else { quote!(Debug, Clone, PartialEq) };
    quote! {
        #[doc = #d]
        #[derive(#derives)]
        pub enum #name { #(#variants)* }
    }
}

/// `match status` arm pattern for a response.
/// A range that also has exact codes documented inside it is a guard (`_ if (200..=299)
/// .contains(&status)`): the exact arms come first and win, and clippy's
/// `match_overlapping_arm` reads a range pattern after them as a mistake.
fn status_pattern(r: &Response, all: &[&Response]) -> TokenStream {
    if let Some(c) = r.code() {
        return quote!(#c);
    }
    let Some(digit) = r.status.bytes().next().filter(u8::is_ascii_digit) else {
        return quote!(_);
    };
    let base = u16::from(digit - b'0') * 100;
    let end = base + 99;
    if all.iter().filter_map(|o| o.code()).any(|c| (base..=end).contains(&c)) {
        return quote!(_ if (#base..=#end).contains(&status));
    }
    quote!(#base..=#end)
}

/// An operation's code: its status enums, its `Client` method, its `ApiClient` declaration and
/// the delegating implementation.
struct OperationCode {
    types: TokenStream,
    method: TokenStream,
    declared: TokenStream,
    delegate: TokenStream,
}

/// `to_url`: the method takes the URL to send to as its first argument (the webhook sender),
/// instead of the client's base URL and the operation's path.
fn operation(ir: &Ir, op: &Operation, to_url: bool) -> OperationCode {
    let fname = ident(&op.fn_name);
    let err_name = format_ident!("{}Error", op.type_prefix);
    let ok_name = format_ident!("{}Success", op.type_prefix);
    let successes: Vec<&Response> = op.responses.iter().filter(|r| r.is_success()).collect();
    let errors: Vec<&Response> = op.responses.iter().filter(|r| !r.is_success()).collect();
    let mut types = vec![status_enum(ir, &err_name, &format!(" Documented error responses of `{}`.", op.fn_name), &errors)];
    let many = successes.len() > 1 || successes.iter().any(|r| r.headers_type.is_some());
    if many {
        types.push(status_enum(ir, &ok_name, &format!(" Documented success responses of `{}`.", op.fn_name), &successes));
    }
    let ok_type = if many { quote!(#ok_name) } else { successes.first().and_then(|r| super::response_payload(ir, r)).unwrap_or(quote!(())) };

    let mut arms = Vec::new();
    let mut default_arm = None;
    let mut sorted: Vec<&Response> = op.responses.iter().collect();
    sorted.sort_by_key(|r| (r.status == "default", r.code().is_none()));
    // A streamed response is returned when the call opens (`streams::client_open`).
    let streamed = op.responses.iter().find(|r| r.body.as_ref().is_some_and(|(_, k)| k.is_stream()));
    sorted.retain(|r| r.body.as_ref().is_none_or(|(_, k)| !k.is_stream()));
    for r in &sorted {
        let pat = status_pattern(r, &sorted);
        let decoded = match &r.body {
            Some((_, BodyKind::Json(s))) => {
                let vf = validator_path(ir, *s);
                Some(quote!(self.decode(&response, #vf)?))
            }
            Some((_, BodyKind::Text)) => Some(quote!(String::from_utf8_lossy(&response.body).into_owned())),
            // A success's byte stream is left unread (`streams` below); an error's body is read
            // whole, and the error keeps the response (and its body) too.
            Some((_, BodyKind::Raw)) if r.is_success() => Some(quote!(stream.take().unwrap_or_default())),
            Some((_, BodyKind::Raw)) => Some(quote!(crate::runtime::ByteStream::from(response.body.clone()))),
            Some(_) if r.is_success() => Some(quote!(response.body)),
            Some(_) => Some(quote!(response.body.clone())),
            None => None,
        };
        let v = ident(&r.variant);
        let (_, init) = super::variant_fields(ir, r, quote!(u16), decoded.clone());
        let read_headers = r.headers_type.as_ref().map(|h| {
            let h = ident(h);
            let specs = r.headers.iter().map(|x| {
                let name = lit(&x.name);
                let bits = super::validate::type_bits(ir, x.schema);
                quote!((#name, #bits))
            });
            quote!(let headers: crate::types::#h = self.decode_headers(&response, &[#(#specs),*])?;)
        });
        let build = |enum_name: &proc_macro2::Ident| match &read_headers {
            Some(read) => quote!({ #read #enum_name::#v #init }),
            None => quote!(#enum_name::#v #init),
        };
        let arm = if r.is_success() {
            let value = if many { build(&ok_name) } else { decoded.clone().unwrap_or(quote!(())) };
            quote!(#pat => Ok(#value),)
        } else {
            let e = build(&err_name);
            quote!(#pat => Err(ClientError::api(#e, response)),)
        };
        if r.status == "default" {
            default_arm = Some(arm);
        } else {
            arms.push(arm);
        }
    }
    if successes.is_empty() {
        arms.push(quote!(200..=299 => Ok(()),));
    }
    let open = streamed.and_then(|r| super::streams::client_open(ir, r));
    // Only the catch-all left (every other status streams): no `match` (clippy's
    // `match_single_binding`).
    let only_fallback = arms.is_empty() && default_arm.is_none();
    let single_arm = arms.is_empty();
    arms.push(default_arm.unwrap_or(quote!(_ => Err(ClientError::unexpected(response)),)));

    let mut args = Vec::new();
    if to_url {
        args.push(quote!(url: &str,));
    }
    // Request validation (off unless `validate_requests(true)`): parameters (in `prepare`), then
    // the body.
    let mut checks = Vec::new();
    let values = match &op.params_type {
        Some(pt) => {
            let pt = ident(pt);
            args.push(quote!(params: &crate::types::#pt,));
            quote!(params.to_params())
        }
        None => quote!(Vec::new()),
    };
    let mut auth = Vec::new();
    let mut seen = BTreeSet::new();
    for alt in &op.security {
        for (scheme, _) in alt {
            if !seen.insert(scheme.clone()) {
                continue;
            }
            auth.push(match ir.security_schemes.get(scheme) {
                Some(SchemeKind::Bearer) => quote!(request = self.bearer(request).await.map_err(ClientError::Auth)?;),
                Some(SchemeKind::Basic) => quote!(request = self.basic(request);),
                Some(SchemeKind::ApiKeyHeader(h)) => {
                    let h = lit(h);
                    quote!(request = self.key_header(request, #h);)
                }
                Some(SchemeKind::ApiKeyQuery(q)) => {
                    let q = lit(q);
                    quote!(request = self.key_query(request, #q);)
                }
                Some(SchemeKind::ApiKeyCookie(c)) => {
                    let c = lit(c);
                    quote!(request = self.key_cookie(request, #c);)
                }
                _ => TokenStream::new(),
            });
        }
    }
    let mut send_body = TokenStream::new();
    if let Some(b) = &op.body {
        let t = super::body_type(ir, b);
        // A body with a byte stream or a stream of items is taken by value (a stream is read once).
        let owned = b.streams() || b.contents.iter().any(|c| c.kind.is_stream());
        let set = match &b.enum_name {
            None => b.contents.first().map(|c| send_content(ir, c, quote!(body), owned)).unwrap_or_default(),
            Some(name) => {
                let name = ident(name);
                let arms = b.contents.iter().map(|c| {
                    let v = ident(&c.variant);
                    let send = send_content(ir, c, quote!(value), owned);
                    quote!(crate::types::#name::#v(value) => { #send })
                });
                quote!(match body { #(#arms)* })
            }
        };
        let check_one = |c: &crate::ir::Content, value: TokenStream| match c.kind {
            BodyKind::Json(s) | BodyKind::Form(s) => {
                let vf = validator_path(ir, s);
                quote!(self.check_request("", #value, #vf, &mut violations);)
            }
            _ => TokenStream::new(),
        };
        let check = match &b.enum_name {
            None => b.contents.first().map(|c| check_one(c, quote!(body))).unwrap_or_default(),
            Some(name) => {
                let name = ident(name);
                let checked: Vec<(TokenStream, TokenStream)> = b
                    .contents
                    .iter()
                    .filter_map(|c| {
                        let v = ident(&c.variant);
                        let code = check_one(c, quote!(value));
                        (!code.is_empty()).then(|| (quote!(crate::types::#name::#v(value)), code))
                    })
                    .collect();
                match checked.as_slice() {
                    [] => TokenStream::new(),
                    // One checked media type among others: `if let` (a `match` with a
                    // catch-all would be clippy's `single_match`).
                    [(pattern, code)] if checked.len() < b.contents.len() => quote!(if let #pattern = body { #code }),
                    _ => {
                        let arms = checked.iter().map(|(pattern, code)| quote!(#pattern => { #code }));
                        // A catch-all only for the media types without a check (an unreachable
                        // arm otherwise: a rustc warning in the generated crate).
                        let rest = (checked.len() < b.contents.len()).then(|| quote!(_ => {}));
                        quote!(match body { #(#arms)* #rest })
                    }
                }
            }
        };
        if owned {
            if b.required {
                args.push(quote!(body: #t,));
                send_body = set;
                if !check.is_empty() {
                    checks.push(quote!({ let body = &body; #check }));
                }
            } else {
                args.push(quote!(body: ::std::option::Option<#t>,));
                send_body = quote!(if let Some(body) = body { #set });
                if !check.is_empty() {
                    checks.push(quote!(if let Some(body) = &body { #check }));
                }
            }
        } else if b.required {
            args.push(quote!(body: &#t,));
            send_body = set;
            checks.push(check);
        } else {
            args.push(quote!(body: ::std::option::Option<&#t>,));
            send_body = quote!(if let Some(body) = body { #set });
            if !check.is_empty() {
                checks.push(quote!(if let Some(body) = body { #check }));
            }
        }
    }

    checks.retain(|c| !c.is_empty());
    let docs = doc(op.doc.as_deref());
    let where_ = if to_url {
        lit(&format!(" `{}` to `url` (the generated receiver's path: `{}`)", op.wire_method(), op.path))
    } else {
        lit(&format!(" `{} {}`", op.wire_method(), op.path))
    };
    let dep = if op.deprecated { quote!(#[deprecated]) } else { TokenStream::new() };
    let sep = if docs.is_empty() { TokenStream::new() } else { quote!(#[doc = ""]) };
    let mutable = if auth.iter().all(TokenStream::is_empty) && send_body.is_empty() { TokenStream::new() } else { quote!(mut) };
    let op_desc = super::ops::op_path(op);
    let prepare = if to_url && checks.is_empty() {
        quote!(let #mutable request = self.prepare_at(url, &#op_desc, #values)?;)
    } else if checks.is_empty() {
        quote!(let #mutable request = self.prepare(&#op_desc, #values)?;)
    } else {
        let unchecked = if to_url { quote!(self.prepare_unchecked_at(url, &#op_desc, #values)) } else { quote!(self.prepare_unchecked(&#op_desc, #values)) };
        quote! {
            let (#mutable request, mut violations) = #unchecked;
            #(#checks)*
            checked(violations)?;
        }
    };
    let decide = if only_fallback { quote!(Err(ClientError::unexpected(response))) } else { quote!(let status = response.status; match status { #(#arms)* }) };
    let allow = (single_arm && !only_fallback).then(|| quote!(#[allow(clippy::match_single_binding)]));
    let send = open.unwrap_or_else(|| send_call(op, &sorted, &op_desc));
    let plain = quote! {
        #docs
        #sep
        #[doc = #where_]
        #dep
        #allow
        pub async fn #fname(&self, #(#args)*) -> Result<#ok_type, ClientError<#err_name>> {
            #prepare
            #(#auth)*
            #send_body
            #send
            #decide
        }
    };
    // A paginated operation's method delegates to its one-page fetch (its streams use it too),
    // unless it takes a body (which the pages do not send).
    let method_tokens = match &op.pagination {
        Some(p) => {
            let params_arg = op.params_type.as_ref().map(|pt| {
                let pt = ident(pt);
                quote!(params: &crate::types::#pt,)
            });
            let m = super::paging::Method {
                attrs: quote!(#docs #sep #[doc = #where_] #dep),
                args: &args,
                params_arg: params_arg.unwrap_or_default(),
                own: op.body.is_some().then(|| plain.clone()),
                values: values.clone(),
                ok_type: ok_type.clone(),
                err_name: &err_name,
                op_desc: op_desc.clone(),
                auth: &auth,
                arms: &arms,
            };
            let (methods, table) = super::paging::methods(ir, op, p, &m);
            types.push(table);
            methods
        }
        None => plain,
    };
    let names: Vec<proc_macro2::Ident> =
        [to_url.then(|| format_ident!("url")), op.params_type.is_some().then(|| format_ident!("params")), op.body.is_some().then(|| format_ident!("body"))]
            .into_iter()
            .flatten()
            .collect();
    let signature = quote!(fn #fname(&self, #(#args)*) -> impl Future<Output = Result<#ok_type, ClientError<#err_name>>> + Send);
    let declared = quote! {
        #[doc = #where_]
        #dep
        #signature;
    };
    let delegate = quote! {
        #signature {
            Client::#fname(self, #(#names),*)
        }
    };
    OperationCode { types: quote!(#(#types)*), method: method_tokens, declared, delegate }
}

/// The statement sending the request: `send_op`, or for an operation with a byte-stream success
/// `send_op_streaming`, told which statuses leave the body unread (the arms in match order:
/// an exact code before the range holding it).
fn send_call(op: &Operation, sorted: &[&Response], op_desc: &TokenStream) -> TokenStream {
    if !op.responses.iter().any(|r| r.is_success() && r.streams()) {
        return quote!(let response = self.send_op(request, &#op_desc).await?;);
    }
    let arms = sorted.iter().filter(|r| r.is_success()).map(|r| {
        let pat = status_pattern(r, sorted);
        let streams = r.streams();
        quote!(#pat => #streams,)
    });
    quote! {
        #[allow(clippy::match_like_matches_macro)]
        let streams: fn(u16) -> bool = |status| match status {
            #(#arms)*
            _ => false,
        };
        let (response, mut stream) = self.send_op_streaming(request, &#op_desc, streams).await?;
    }
}

/// Statements that put `value` (a reference; owned when `owned`, the case of bodies with a
/// byte stream) into `request` as the given media type.
fn send_content(ir: &Ir, c: &crate::ir::Content, value: TokenStream, owned: bool) -> TokenStream {
    if c.kind == BodyKind::Raw {
        // Always owned: a body with a byte stream is taken by value.
        let documented = lit(&c.media_type);
        return quote!(request = crate::runtime::binary::send_bytes(request, #documented, #value););
    }
    let by_value = value.clone();
    let text = if owned { value.clone() } else { quote!(#value.clone()) };
    let value = if owned { quote!(&#value) } else { value };
    let mt = if c.media_type.contains('*') { "application/octet-stream".to_string() } else { c.media_type.clone() };
    let mt = lit(&mt);
    match &c.kind {
        BodyKind::Json(_) => quote!(request = request.header(reqwest::header::CONTENT_TYPE, #mt).json(#value);),
        BodyKind::Form(_) => quote!(request = request.header(reqwest::header::CONTENT_TYPE, #mt).body(form_text(#value));),
        BodyKind::Text => quote!(request = request.header(reqwest::header::CONTENT_TYPE, #mt).body(#text);),
        BodyKind::Multipart => quote!(request = request.multipart(multipart_form(#value));),
        // (`multipart::send` borrows the fields itself.)
        BodyKind::Parts(mp) => super::multipart::send(mp, &c.media_type, by_value),
        BodyKind::Positional(p) => super::positional::send(ir, p, &c.media_type, by_value),
        BodyKind::Raw => TokenStream::new(),
        BodyKind::JsonSeq(..) => super::streams::client_send(&c.media_type, &c.kind, &by_value).unwrap_or_default(),
        // Settled to text by the analysis (`ir::streams::settle`).
        BodyKind::EventStream(_) => quote!(request = request.header(reqwest::header::CONTENT_TYPE, #mt).body(#text);),
    }
}
