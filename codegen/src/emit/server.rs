//! Emits `server.rs`: the `Api` trait, per-operation response enums, handlers that run the
//! request pipeline, the credential extraction of the spec's schemes and the router. The support
//! code (the security-alternative walk included) is the runtime's `server` module, re-exported.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};

use super::validate::validator_short as validator_path;
use super::{doc, ident, lit, ty_nullable};
use crate::ir::{BodyKind, ErrorShape, Ir, Operation, SchemeKind};

/// The `server` module.
pub fn emit(ir: &Ir) -> TokenStream {
    let imports = imports();
    let head = quote! {
        //! The axum server: the `Api` trait an implementor fills in, and a router that
        //! authenticates, checks the media type and size, parses and validates every request
        //! before a handler runs.
        //!
        //! Rejection policy: every request the router refuses (431, 404, 405, 401, 403, 415, 413,
        //! 408, 400, 503) and every handler error (500, 501) becomes a [`Rejection`], which
        //! [`Api::rejection_response`] turns into the response. The default writes the spec's
        //! error schema when it is recognised (`{"error": {"code", "message", "fields"}}`, a flat
        //! `{"code", "message", "fields"}`, or RFC 9457 problem details as
        //! `application/problem+json`) and that envelope otherwise; override the hook to
        //! produce another shape. The protocol headers of a rejection (`Allow` on 405,
        //! `WWW-Authenticate` on 401, `Retry-After` on 503, `Connection: close` on 408) are added
        //! after the hook, unless the hook's response already has them. Limits are fields of
        //! [`RouterConfig`]. The support code is the runtime's `server` module, re-exported here.
        #![allow(unused_imports)]
        #imports
    };
    let ops: Vec<&Operation> = ir.operations.iter().collect();
    let served = served(ir, &Surface { ops: &ops, trait_name: "Api", about: API_ABOUT });
    quote! {
        #head
        #served
    }
}

/// The imports of a server module (the runtime's `server` module re-exported).
pub fn imports() -> TokenStream {
    quote! {
        pub use crate::runtime::server::*;
        use std::collections::BTreeMap;
        use std::sync::Arc;
        use axum::http::StatusCode;
        use axum::response::{IntoResponse, Response};
        use crate::runtime::{InstancePath, Violation};
        use crate::{ops, validate as v};
        use std::future::Future;
    }
}

/// The `server` module's trait documentation.
const API_ABOUT: &str = " The API: one method per operation. Every method has a default answering 501, so an\n implementation can start with one operation. Inputs arrive validated and typed.";

/// What one generated router serves: the `server` module's path operations, or the webhook
/// receiver's webhook and callback operations (see `emit/hooks.rs`).
pub struct Surface<'a> {
    /// The operations, in route-table order.
    pub ops: &'a [&'a Operation],
    /// The trait an implementor fills in (`Api`; another name is aliased to `Api` in its module,
    /// which the handlers name).
    pub trait_name: &'a str,
    /// The trait's documentation (lines, each with its leading space).
    pub about: &'a str,
}

/// Everything of a server module after its imports: the error body, the trait, the response
/// enums, the handlers and the router of `surface`'s operations.
pub fn served(ir: &Ir, surface: &Surface<'_>) -> TokenStream {
    let secured = surface.ops.iter().any(|op| op.has_security());
    let error_body = error_body(ir);
    let finish = (!surface.ops.is_empty()).then(|| {
        quote! {
            /// A handler's outcome as the response: its own, or the rejection's ([`reject`]).
            fn finish<A: Api>(api: &A, result: Result<Response, Rejection>, challenges: &[&str]) -> Response {
                match result {
                    Ok(response) => response,
                    Err(rejection) => reject(api, rejection, challenges),
                }
            }
        }
    });
    let api = api_trait(ir, surface, secured);
    let auth = if secured { auth_glue(ir) } else { TokenStream::new() };
    let responses = surface.ops.iter().map(|op| response_enum(ir, op));
    let resolved = super::defaults::resolved(ir, surface.ops);
    let handlers = surface.ops.iter().map(|op| handler(ir, op));
    let router = router(surface.ops);
    quote! {
        #error_body
        #finish
        #api
        #auth
        #(#responses)*
        #resolved
        #(#handlers)*
        #router
    }
}

fn error_body(ir: &Ir) -> TokenStream {
    let (shape_doc, shape) = match &ir.error_shape {
        ErrorShape::Envelope(_) => (" `{\"error\": {\"code\", \"message\", \"fields\"}}`", quote!(ErrorShape::Envelope)),
        ErrorShape::Flat(_) => (" `{\"code\", \"message\", \"fields\"}`", quote!(ErrorShape::Flat)),
        ErrorShape::Problem(_) => {
            (" RFC 9457 problem details (`application/problem+json`: `type`, `title`, `status`, `detail`, `code`, `errors`)", quote!(ErrorShape::Problem))
        }
    };
    let d = lit(&format!(" The error body of rejections, in the spec's error shape:{shape_doc}."));
    quote! {
        /// The shape of this API's error body.
        pub const ERROR_SHAPE: ErrorShape = #shape;

        #[doc = #d]
        pub fn error_body(code: &str, message: &str, fields: &BTreeMap<String, String>) -> ::serde_json::Value {
            crate::runtime::server::error_body(ERROR_SHAPE, code, message, fields)
        }

        /// The default rejection response: the status, and the error body in the spec's shape.
        pub fn default_rejection_response(rejection: &Rejection) -> Response {
            rejection_response(rejection, ERROR_SHAPE)
        }

        /// The response to a rejection: [`Api::rejection_response`], then the protocol headers
        /// it lacks (see [`crate::runtime::server::reject`]).
        pub fn reject<A: Api>(api: &A, rejection: Rejection, challenges: &[&str]) -> Response {
            crate::runtime::server::reject(rejection, challenges, |r| api.rejection_response(r))
        }
    }
}

fn principal_param(op: &Operation) -> Option<TokenStream> {
    if !op.has_security() {
        return None;
    }
    Some(if op.allows_anonymous() { quote!(principal: ::std::option::Option<Self::Principal>,) } else { quote!(principal: Self::Principal,) })
}

fn body_type(ir: &Ir, op: &Operation) -> Option<TokenStream> {
    let b = op.body.as_ref()?;
    let t = match &b.resolved {
        Some(r) => ident(r).into_token_stream(),
        None => super::body_type(ir, b),
    };
    Some(if b.required { t } else { quote!(::std::option::Option<#t>) })
}

/// An expression reading a body of one media type from `bytes` (the whole body, not empty).
fn read_content(ir: &Ir, c: &crate::ir::Content) -> TokenStream {
    match &c.kind {
        BodyKind::Json(s) => {
            let vf = validator_path(ir, *s);
            let t = ty_nullable(ir, *s);
            let full = quote!(json_body::<#t>(&bytes, &state.config, #vf, &mut violations)?);
            match super::fast::reader_name(ir, *s) {
                // A valid body is read directly; anything else (or a request whose parameters
                // already failed) takes the full path, which reports every violation.
                Some(read) => quote!(match if violations.is_empty() { crate::validate::#read(&bytes) } else { None } {
                    Some(typed) => typed,
                    None => #full,
                }),
                None => full,
            }
        }
        BodyKind::Form(s) => {
            let vf = validator_path(ir, *s);
            let t = ty_nullable(ir, *s);
            quote!(form_body::<#t>(&bytes, #vf, &mut violations, state.config.max_json_depth)?)
        }
        BodyKind::Text => quote!(text_body(&bytes)?),
        BodyKind::Multipart => quote!(multipart_body(&ctx.headers, bytes).await?),
        BodyKind::Parts(mp) => super::multipart::read(ir, mp),
        BodyKind::Positional(p) => super::positional::read(ir, p),
        // Streamed request bodies are not buffered (`streams::server_body`); SSE ones are text.
        BodyKind::EventStream(_) | BodyKind::JsonSeq(..) => quote!(bytes.to_vec()),
        BodyKind::Raw => quote!(crate::runtime::ByteStream::from_bytes(bytes)),
    }
}

/// An arm's expression reading a body of one media type from `stream` (a request body that
/// streams, [`Operation::streams_request_body`]): a byte stream is handed over as it is; another
/// media type of the same operation is read whole first (within the same limits).
fn read_streamed(ir: &Ir, c: &crate::ir::Content) -> TokenStream {
    match &c.kind {
        BodyKind::Raw => quote!(stream),
        _ => {
            let read = read_content(ir, c);
            quote!({
                let bytes = crate::runtime::binary::collect_body(stream, &state.config).await?;
                #read
            })
        }
    }
}

/// Reads the one media type of a body into its resolved struct (defaults filled in by serde).
fn resolved_content(ir: &Ir, c: &crate::ir::Content, resolved: &str) -> TokenStream {
    let t = ident(resolved);
    match &c.kind {
        BodyKind::Json(s) => {
            let vf = validator_path(ir, *s);
            quote!(json_body::<#t>(&bytes, &state.config, #vf, &mut violations)?)
        }
        BodyKind::Form(s) => {
            let vf = validator_path(ir, *s);
            quote!(form_body::<#t>(&bytes, #vf, &mut violations, state.config.max_json_depth)?)
        }
        _ => read_content(ir, c),
    }
}

/// The `WWW-Authenticate` challenges of an operation's schemes (RFC 9110 §11.6.1), in the order
/// of its security alternatives: `Bearer` (http bearer, oauth2, openIdConnect), `Basic
/// realm="<title>"`, the scheme name of another http scheme, and for API keys
/// `ApiKey in="header", name="<name>"` (no registered scheme exists; the parameters say where the
/// key goes); a scheme the spec names but does not define is challenged by its name. Mutual TLS
/// has none. Spec text is reduced to visible ASCII without quotes.
fn challenges(ir: &Ir, op: &Operation) -> Vec<String> {
    let quoted = |s: &str| -> String { s.chars().map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' }).collect() };
    let token = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(*c)).collect() };
    let realm = if ir.info.title.trim().is_empty() { "api".to_string() } else { quoted(ir.info.title.trim()) };
    let mut out: Vec<String> = Vec::new();
    for (scheme, _) in op.security.iter().flatten() {
        let Some((_, kind)) = ir.security_schemes.iter().find(|(name, _)| *name == scheme) else { continue };
        let key = |place: &str, name: &str| format!("ApiKey in=\"{place}\", name=\"{}\"", quoted(name));
        let challenge = match kind {
            SchemeKind::Bearer => "Bearer".to_string(),
            SchemeKind::Basic => format!("Basic realm=\"{realm}\""),
            SchemeKind::OtherHttp(s) => token(s),
            SchemeKind::ApiKeyHeader(h) => key("header", h),
            SchemeKind::ApiKeyQuery(q) => key("query", q),
            SchemeKind::ApiKeyCookie(c) => key("cookie", c),
            // RFC 9110 wants a challenge on every 401: the scheme's own name is the best there is.
            SchemeKind::Undefined => token(scheme),
            SchemeKind::MutualTls => continue,
        };
        if !challenge.is_empty() && !out.contains(&challenge) {
            out.push(challenge);
        }
    }
    out
}

fn api_trait(ir: &Ir, surface: &Surface<'_>, secured: bool) -> TokenStream {
    let assoc = if secured {
        quote! {
            /// What `authenticate` proves about the caller; handed to every secured operation.
            type Principal: Send + 'static;

            /// The auth hook, called once per scheme of the first security alternative whose
            /// credentials the request carries, before the body is read. Return the principal,
            /// or a 401/403 rejection.
            fn authenticate(&self, ctx: &RequestContext, request: AuthRequest)
                -> impl ::std::future::Future<Output = ::std::result::Result<Self::Principal, AuthRejection>> + Send;
        }
    } else {
        TokenStream::new()
    };
    let methods = surface.ops.iter().map(|op| {
        let f = ident(&op.fn_name);
        let docs = doc(op.doc.as_deref());
        let where_ = lit(&format!(" `{} {}`", op.wire_method(), op.path));
        let resp = format_ident!("{}Response", op.type_prefix);
        let principal = principal_param(op);
        let mut args = vec![quote!(ctx)];
        if principal.is_some() {
            args.push(quote!(principal));
        }
        let params = op.params_type.as_ref().map(|p| {
            args.push(quote!(params));
            match &op.resolved_params {
                Some(r) => {
                    let r = ident(r);
                    quote!(params: #r,)
                }
                None => {
                    let p = ident(p);
                    quote!(params: crate::types::#p,)
                }
            }
        });
        let body = body_type(ir, op).map(|t| {
            args.push(quote!(body));
            quote!(body: #t,)
        });
        let name = lit(&op.fn_name);
        let dep = if op.deprecated { quote!(#[deprecated]) } else { TokenStream::new() };
        let sep = if docs.is_empty() { TokenStream::new() } else { quote!(#[doc = ""]) };
        quote! {
            #docs
            #sep
            #[doc = #where_]
            #dep
            fn #f(&self, ctx: RequestContext, #principal #params #body)
                -> impl Future<Output = Result<#resp, ApiError>> + Send {
                not_implemented(#name, (#(#args,)*))
            }
        }
    });
    let principal = if secured { quote!(principal: Option<&Self::Principal>,) } else { TokenStream::new() };
    let unused = if secured { quote!(principal) } else { quote!(()) };
    let scope = if surface.ops.iter().any(|op| op.idempotency_key.is_some()) {
        quote! {
            /// The idempotency scope of a request that carries a key while the layer is on (see
            /// `crate::runtime::idempotency`): saved responses are found only under the same
            /// scope, so one caller never replays another's. `credentials` is a SHA-256 of the credentials the request
            /// authenticated with (`None` for anonymous calls); the default returns it, so an
            /// anonymous request's key is not used. Return a stable account id to share keys
            /// across a caller's credentials.
            fn idempotency_scope(&self, ctx: &RequestContext, #principal credentials: Option<String>) -> Option<String> {
                let _ = (ctx, #unused);
                credentials
            }
        }
    } else {
        TokenStream::new()
    };
    let about = surface.about.lines().map(lit);
    let name = ident(surface.trait_name);
    quote! {
        #(#[doc = #about])*
        pub trait #name: Send + Sync + 'static {
            #assoc
            #(#methods)*

            #scope

            /// Turns a rejection (or handler error) into the response; see the module docs.
            fn rejection_response(&self, rejection: Rejection) -> Response {
                default_rejection_response(&rejection)
            }
        }
    }
}

fn auth_glue(ir: &Ir) -> TokenStream {
    let arms = ir.security_schemes.iter().map(|(name, kind)| {
        let n = lit(name);
        let extract = match kind {
            SchemeKind::Bearer => quote!(bearer_credentials(&ctx.headers)),
            SchemeKind::Basic => quote!(basic_credentials(&ctx.headers)),
            SchemeKind::OtherHttp(s) => {
                let s = lit(s);
                quote!(http_credentials(&ctx.headers, #s))
            }
            SchemeKind::ApiKeyHeader(h) => {
                let h = lit(h);
                quote!(header_key(&ctx.headers, #h))
            }
            SchemeKind::ApiKeyQuery(q) => {
                let q = lit(q);
                quote!(query_key(&ctx.uri, #q))
            }
            SchemeKind::ApiKeyCookie(c) => {
                let c = lit(c);
                quote!(cookie_key(&ctx.headers, #c))
            }
            SchemeKind::MutualTls => quote!(Some(Ok(Credentials::MutualTls))),
            SchemeKind::Undefined => quote!(Some(Ok(Credentials::Undefined))),
        };
        quote!(#n => #extract,)
    });
    quote! {
        /// The credentials of scheme `scheme` in the request: `None` when absent, `Err` when malformed.
        fn extract_credentials(scheme: &str, ctx: &RequestContext) -> Option<Result<Credentials, String>> {
            match scheme {
                #(#arms)*
                _ => None,
            }
        }

        /// Tries the security alternatives in order (see [`crate::runtime::server::authorize`]).
        async fn authorize_api<A: Api>(
            api: &A,
            ctx: &RequestContext,
            operation: &'static str,
            alternatives: &'static [&'static [(&'static str, &'static [&'static str])]],
        ) -> Result<Option<A::Principal>, Rejection> {
            crate::runtime::server::authorize(ctx, operation, alternatives, extract_credentials, |request| api.authenticate(ctx, request)).await
        }
    }
}

fn response_enum(ir: &Ir, op: &Operation) -> TokenStream {
    let name = format_ident!("{}Response", op.type_prefix);
    let d = lit(&format!(" Responses of `{}`, one variant per documented status.", op.fn_name));
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut checks = Vec::new();
    for r in &op.responses {
        let v = ident(&r.variant);
        let docs = doc(r.doc.as_deref());
        let status_doc = lit(&format!(" Status `{}`.", r.status));
        let status_expr = match r.code() {
            Some(c) => quote!(status(#c)),
            None => quote!(status),
        };
        let respond = match &r.body {
            Some((mt, kind)) if kind.is_stream() => super::streams::server_response(ir, &op.fn_name, &status_expr, mt, kind).unwrap_or_default(),
            Some((mt, BodyKind::Json(_))) if mt.eq_ignore_ascii_case("application/json") => quote!(json_response(#status_expr, &body)),
            Some((mt, BodyKind::Json(_))) => {
                let mt = lit(mt);
                quote!(json_response_as(#status_expr, #mt, &body))
            }
            // Sent as it is produced; the stream's own media type for a documented range.
            Some((mt, BodyKind::Raw)) => {
                let mt = lit(mt);
                quote!(crate::runtime::binary::stream_response(#status_expr, #mt, body))
            }
            Some((mt, kind)) => {
                let mt = lit(if mt.contains('*') { "application/octet-stream" } else { mt });
                let bytes = if *kind == BodyKind::Text { quote!(body.into_bytes()) } else { quote!(body) };
                quote!(raw_response(#status_expr, #mt, #bytes))
            }
            None => quote!(#status_expr.into_response()),
        };
        let (fields, pattern) = super::variant_fields(ir, r, quote!(StatusCode), None);
        let respond = if r.headers_type.is_some() {
            quote!({
                let mut response = #respond;
                set_headers(&mut response, &headers);
                response
            })
        } else {
            respond
        };
        variants.push(quote! { #[doc = #status_doc] #docs #v #fields, });
        arms.push(quote! { Self::#v #pattern => #respond, });
        if let Some((_, BodyKind::Json(id))) = &r.body {
            if ir.schemas[*id].validator.is_some() {
                let validator = validator_path(ir, *id);
                let bind = if r.code().is_some() && r.headers_type.is_none() { quote!((body)) } else { quote!({ body, .. }) };
                checks.push(quote! { Self::#v #bind => response_violations(body, #validator), });
            }
        }
    }
    // A catch-all arm only where some variant has no check (an unreachable one would warn).
    let rest = if checks.len() < op.responses.len() { quote!(_ => ::std::vec::Vec::new(),) } else { TokenStream::new() };
    let check = if checks.is_empty() { quote!(::std::vec::Vec::new()) } else { quote!(match self { #(#checks)* #rest }) };
    // A stream is neither `Clone` nor `PartialEq`.
    let item_checks = super::streams::item_checks(&op.responses.iter().collect::<Vec<_>>());
    let derives = if item_checks.is_some() || op.streams_responses() { quote!(#[derive(Debug)]) } else { quote!(#[derive(Debug, Clone, PartialEq)]) };
    if variants.is_empty() {
        return quote! {
            #[doc = #d]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #name {
                /// A status the spec does not document, with a JSON body.
                Other { status: StatusCode, body: ::serde_json::Value },
            }
            impl IntoResponse for #name {
                fn into_response(self) -> Response {
                    match self { #name::Other { status, body } => json_response(status, &body) }
                }
            }
            impl #name {
                /// Nothing to check: the spec documents no response.
                pub fn violations(&self) -> ::std::vec::Vec<Violation> {
                    ::std::vec::Vec::new()
                }
            }
        };
    }
    quote! {
        #[doc = #d]
        #derives
        pub enum #name {
            #(#variants)*
        }

        impl IntoResponse for #name {
            fn into_response(self) -> Response {
                match self {
                    #(#arms)*
                }
            }
        }

        impl #name {
            /// What the JSON body breaks of its schema (see `RouterConfig::validate_responses`).
            pub fn violations(&self) -> ::std::vec::Vec<Violation> {
                #check
            }

            #item_checks
        }
    }
}

/// The operation's security alternatives as the runtime reads them:
/// `&[&[("scheme", &["scope", ..]), ..], ..]`.
fn security_table(op: &Operation) -> TokenStream {
    let alts = op.security.iter().map(|alt| {
        let items = alt.iter().map(|(s, scopes)| {
            let s = lit(s);
            let scopes = scopes.iter().map(|x| lit(x));
            quote!((#s, &[#(#scopes),*]))
        });
        quote!(&[#(#items),*])
    });
    quote!(&[#(#alts),*])
}

fn handler(ir: &Ir, op: &Operation) -> TokenStream {
    let handler = format_ident!("handle_{}", op.fn_name);
    let method = ident(&op.fn_name);
    let name = lit(&op.fn_name);
    let op_desc = super::ops::op_path(op);
    let mut steps = Vec::new();
    let mut args = vec![quote!(ctx)];
    if op.has_security() {
        let alts = security_table(op);
        steps.push(quote!(let principal = authorize_api(&state.api, &ctx, #name, #alts).await?;));
        if !op.allows_anonymous() {
            steps.push(quote!(let principal = principal.ok_or_else(|| Rejection::Unauthorized("missing credentials".into()))?;));
        }
        args.push(quote!(principal));
    }
    let validated_body = op.body.as_ref().is_some_and(|b| b.schemas().next().is_some());
    let required_body = op.body.as_ref().is_some_and(|b| b.required);
    if op.params_type.is_some() || validated_body || required_body {
        let binding = if validated_body { quote!(mut violations) } else { quote!(violations) };
        let mutable = if op.params_type.is_some() { quote!(mut violations) } else { binding };
        steps.push(quote!(let #mutable: Vec<Violation> = Vec::new();));
    }
    if op.params_type.is_some() {
        steps.push(quote!(let params = read_params(&#op_desc, &ctx, &raw_path, &state.config, &mut violations);));
        args.push(quote!(params));
    }
    let params_done = if op.params_type.is_some() { quote!(let params = valid(params, &mut violations)?;) } else { TokenStream::new() };
    let streamed_body = op.body.as_ref().and_then(|b| b.contents.first().and_then(|c| super::streams::server_body(ir, &c.media_type, &c.kind)));
    if let (Some(b), Some(read)) = (&op.body, streamed_body) {
        steps.push(read);
        if op.idempotency_key.is_some() {
            // A streamed body is not part of the idempotency fingerprint.
            steps.push(quote!(let raw_body = ::axum::body::Bytes::new();));
        }
        if b.required {
            steps.push(quote!(let Some(body) = body else { return Err(missing_body(violations)) };));
        }
        steps.push(params_done);
        args.push(quote!(body));
    } else if let Some(b) = &op.body {
        let mts: Vec<_> = b.contents.iter().map(|c| lit(&c.media_type)).collect();
        let expected = lit(&b.contents.iter().map(|c| c.media_type.as_str()).collect::<Vec<_>>().join(", "));
        let streamed = op.streams_request_body();
        // One byte-stream media type: nothing can fail while converting (clippy's `manual_map`).
        let lone_stream = b.contents.len() == 1 && b.streams();
        let arms = b.contents.iter().enumerate().map(|(i, c)| {
            let read = match &b.resolved {
                Some(r) if !streamed => resolved_content(ir, c, r),
                _ if streamed => read_streamed(ir, c),
                _ => read_content(ir, c),
            };
            let value = match &b.enum_name {
                Some(e) => {
                    let e = ident(e);
                    let v = ident(&c.variant);
                    quote!(crate::types::#e::#v(#read))
                }
                None => read,
            };
            // The last media type's arm takes any index (`read_content` gives only documented ones).
            let pattern = if i + 1 == b.contents.len() { quote!(_) } else { quote!(#i) };
            let binding = if streamed { quote!(stream) } else { quote!(bytes) };
            quote!(Some((#pattern, #binding)) => Some(#value),)
        });
        // An empty body is no body, whatever its `Content-Type` (see `read_content`).
        // The idempotency fingerprint takes the raw bytes (a cheap clone of the shared buffer).
        let keep = op.idempotency_key.is_some().then(|| quote!(let raw_body = content.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();));
        let read = if streamed {
            quote!(let (content, overflow) = crate::runtime::binary::read_content_stream(&ctx.headers, body, &state.config, &[#(#mts),*], #expected).await?;)
        } else {
            quote!(let content = read_content(&ctx.headers, body, &state.config, &[#(#mts),*], #expected).await?;)
        };
        let convert = if lone_stream {
            let c = &b.contents[0];
            let read = if streamed { read_streamed(ir, c) } else { read_content(ir, c) };
            let binding = if streamed { quote!(stream) } else { quote!(bytes) };
            quote!(let body = content.map(|(_, #binding)| #read);)
        } else {
            quote! {
                let body = match content {
                    None => None,
                    #(#arms)*
                };
            }
        };
        steps.push(quote! {
            #read
            #keep
            #convert
        });
        if b.required {
            steps.push(quote!(let Some(body) = body else { return Err(missing_body(violations)) };));
        }
        steps.push(params_done);
        args.push(quote!(body));
    } else if op.params_type.is_some() {
        steps.push(quote! {
            #params_done
            drop(body);
        });
    } else {
        steps.push(quote!(drop(body);));
    }
    let uses_path = op.params_type.is_some() || op.idempotency_key.is_some();
    let path_params = if uses_path { TokenStream::new() } else { quote!(let _ = raw_path;) };
    let challenges = challenges(ir, op).into_iter().map(|c| lit(&c));
    let template = lit(&op.path);
    let streams_out = op.responses.iter().any(|r| r.body.as_ref().is_some_and(|(_, k)| k.is_stream()));
    let api_call = if streams_out {
        quote!(async { state.api.#method(#(#args),*).await.map(|r| r.item_checks(state.config.validate_stream_items)) })
    } else {
        quote!(state.api.#method(#(#args),*))
    };
    let call = quote!(respond(&state.config, &#op_desc, #api_call, |r| r.violations()).await);
    // A streamed body the handler read past the limit: 413, whatever the handler answered.
    let call = if op.streams_request_body() { quote!(overflow.check(#call)) } else { call };
    // Only spec facts are passed: the layer is `crate::runtime::idempotency`.
    let call = match &op.idempotency_key {
        None => call,
        Some(key) => {
            let header = lit(&key.header);
            let bytes = if op.body.is_some() { quote!(&raw_body) } else { quote!(&[]) };
            let alts = security_table(op);
            let credentials =
                if op.has_security() { quote!(crate::runtime::idempotency::credentials_scope(&ctx, #alts, extract_credentials)) } else { quote!(None) };
            let principal = match (ir_secured(ir), op.has_security(), op.allows_anonymous()) {
                (false, _, _) => TokenStream::new(),
                (true, false, _) => quote!(None,),
                (true, true, false) => quote!(Some(&principal),),
                (true, true, true) => quote!(principal.as_ref(),),
            };
            quote! {
                let request = crate::runtime::idempotency::IdempotencyRequest {
                    operation: #name, template: #template, header: #header, ctx: &ctx, path_params: &raw_path, body: #bytes,
                };
                let scope = || state.api.idempotency_scope(&ctx, #principal #credentials);
                let call = crate::runtime::idempotency::idempotency_call(&state.config, request, scope)?;
                crate::runtime::idempotency::idempotent(call, async { #call }).await
            }
        }
    };
    quote! {
        async fn #handler<A: Api>(state: Arc<Shared<A>>, request: ::axum::extract::Request, raw_path: RawPath) -> Response {
            let (ctx, body) = begin(request, &#op_desc);
            #path_params
            let result: Result<Response, Rejection> = async {
                #(#steps)*
                #call
            }.await;
            finish(&state.api, result, &[#(#challenges),*])
        }
    }
}

fn router(ops: &[&Operation]) -> TokenStream {
    let routes = ops.iter().enumerate().map(|(i, op)| {
        let m = lit(&op.wire_method());
        let p = lit(&op.path);
        quote!((#m, #p, #i),)
    });
    let arms = ops.iter().enumerate().map(|(i, op)| {
        let h = format_ident!("handle_{}", op.fn_name);
        quote!(#i => #h(state, request, params).await,)
    });
    let arms: Vec<TokenStream> = arms.collect();
    let select = if arms.is_empty() {
        quote! {
            let _ = (index, params);
            reject(&state.api, Rejection::NotFound, &[])
        }
    } else {
        quote! {
            match index {
                #(#arms)*
                _ => reject(&state.api, Rejection::NotFound, &[]),
            }
        }
    };
    quote! {
        /// Every operation: method, path template, handler index. Matching is done by
        /// [`match_route`], not by axum's router, so no path the spec can write makes the router
        /// panic at start-up (`{id}.json`, `{name}:cancel`, `/a/{x}` beside `/a/{y}`, literal `:`).
        static ROUTES: &[(&str, &str, usize)] = &[#(#routes)*];

        /// The router with default settings ([`RouterConfig::default`]).
        pub fn router<A: Api>(api: A) -> ::axum::Router {
            router_with_config(api, RouterConfig::default())
        }

        /// The router: too many or too large headers answer 431, unknown paths 404 and known
        /// paths with another method 405 (with `Allow`), all through [`Api::rejection_response`];
        /// then the concurrency limit, if any, admits the request or sheds it (503).
        pub fn router_with_config<A: Api>(api: A, config: RouterConfig) -> ::axum::Router {
            let state = Arc::new(Shared::new(api, config));
            ::axum::Router::new().fallback(dispatch::<A>).with_state(state)
        }

        /// Every request: the request id and span ([`observe`]), then [`route`].
        async fn dispatch<A: Api>(::axum::extract::State(state): State<A>, request: ::axum::extract::Request) -> Response {
            let config = state.clone();
            observe(&config.config, request, |request| route(state, request)).await
        }

        async fn route<A: Api>(state: Arc<Shared<A>>, request: ::axum::extract::Request) -> Response {
            if let Err(rejection) = check_headers(request.headers(), &state.config) {
                return reject(&state.api, rejection, &[]);
            }
            let found = match_route(ROUTES, request.method(), request.uri().path());
            let (index, params) = match found {
                RouteMatch::Found(index, params) => (index, params),
                RouteMatch::MethodNotAllowed(allow) => return reject(&state.api, Rejection::MethodNotAllowed { allow }, &[]),
                RouteMatch::NotFound => return reject(&state.api, Rejection::NotFound, &[]),
            };
            let _slot = match &state.gate {
                Some(gate) => match gate.admit(state.config.retry_after_secs).await {
                    Ok(permit) => Some(permit),
                    Err(rejection) => return reject(&state.api, rejection, &[]),
                },
                None => None,
            };
            #select
        }
    }
}

/// True when some operation is secured (the `Api` trait then has a `Principal`).
fn ir_secured(ir: &Ir) -> bool {
    ir.operations.iter().any(Operation::has_security)
}
