//! Emits `webhooks.rs`, for a spec with webhooks or callbacks: the `receiver` module (feature
//! `server`: the `WebhooksApi` trait and its router, made by the server emitter for these
//! operations) and the `sender` module (feature `client`: `WebhookSender`, made by the client
//! emitter, each method taking the receiver's URL, and the callback URL helpers).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{client, lit, server};
use crate::Options;
use crate::ir::{HookKind, Ir, Operation, UrlPart};

/// The `webhooks` module (empty tokens when the spec has no webhook or callback).
pub fn emit(ir: &Ir, options: &Options) -> TokenStream {
    let ops: Vec<&Operation> = ir.hooks.iter().map(|h| &h.op).collect();
    let receiver = options.server.then(|| receiver(ir, &ops));
    let sender = options.client.then(|| sender(ir, &ops, options.server));
    quote! {
        //! Webhooks and callbacks: the requests this API sends to its subscribers, as code like
        //! its operations. The party that receives them implements [`receiver::WebhooksApi`]
        //! and serves [`receiver::router`] (feature `server`; each operation at the path its
        //! method's documentation names, `/webhooks/<name>` or `/callbacks/<operation>/<name>`:
        //! merge it into your app, or nest it under a prefix); the party that sends them uses
        //! [`sender::WebhookSender`] (feature `client`), giving each call the receiver's URL.
        //! Requests and responses are validated as the operations' are.
        #receiver
        #sender
    }
}

fn receiver(ir: &Ir, ops: &[&Operation]) -> TokenStream {
    let imports = server::imports();
    let about = " The webhooks and callbacks this API sends, as their receiver: one method per operation.\n Every method has a default answering 501. Inputs arrive validated and typed; rejections\n have the API's error shape.";
    let served = server::served(ir, &server::Surface { ops, trait_name: "WebhooksApi", about });
    quote! {
        #[cfg(feature = "server")]
        pub mod receiver {
            //! The receiving side: the [`WebhooksApi`] trait and the router that authenticates,
            //! parses and validates every incoming webhook or callback before its method runs
            //! (the `server` module's pipeline and rejection policy).
            #![allow(unused_imports)]
            #imports
            use self::WebhooksApi as Api;
            #served
        }
    }
}

fn sender(ir: &Ir, ops: &[&Operation], ir_server: bool) -> TokenStream {
    let imports = client::imports();
    let (types, methods) = client::url_operations(ir, ops);
    let helpers: Vec<TokenStream> = ir.hooks.iter().filter_map(|h| url_helper(&h.op, &h.kind)).collect();
    let helper_imports = (!helpers.is_empty()).then(|| {
        // `header_pairs` reads a server's request headers (`OriginalRequest::from_context`).
        let server = ir_server.then(|| {
            quote!(
                #[cfg(feature = "server")]
                pub use crate::runtime::callback::header_pairs;
            )
        });
        quote!(pub use crate::runtime::callback::{ExpressionError, OriginalRequest, Part}; #server)
    });
    quote! {
        #[cfg(feature = "client")]
        pub mod sender {
            //! The sending side: [`WebhookSender`], one method per webhook or callback, each
            //! taking the receiver's URL and returning its typed per-status result (the
            //! `client` module's support code); for a callback whose URL expression reads the
            //! original request, a function that computes the URL from it.
            #![allow(unused_imports)]
            #imports
            #helper_imports
            crate::runtime::client::client_type!(WebhookSender);

            impl Default for WebhookSender {
                /// A sender with the default settings (each call is given its URL).
                fn default() -> Self {
                    WebhookSender::new("")
                }
            }

            #(#types)*

            impl WebhookSender {
                #(#methods)*
            }

            #(#helpers)*
        }
    }
}

/// `<fn_name>_url(request)`: a callback's URL from the original request, when its expression
/// is one the runtime evaluates.
fn url_helper(op: &Operation, kind: &HookKind) -> Option<TokenStream> {
    let HookKind::Callback { parent, expression, url: Some(parts), .. } = kind else { return None };
    let f = format_ident!("{}", crate::naming::callback_url_fn(&op.fn_name));
    let shown: String = expression.chars().filter(|c| !c.is_control() && *c != '`').collect();
    let d = lit(&format!(
        " The URL to send [`WebhookSender::{}`] to: `{}` evaluated on the original request of `{parent}`.",
        op.fn_name.trim_start_matches("r#"),
        shown,
    ));
    let expr = lit(expression);
    let parts = parts.iter().map(|p| match p {
        UrlPart::Literal(t) => {
            let t = lit(t);
            quote!(Part::Literal(#t))
        }
        UrlPart::Url => quote!(Part::Url),
        UrlPart::Method => quote!(Part::Method),
        UrlPart::Path(n) => {
            let n = lit(n);
            quote!(Part::Path(#n))
        }
        UrlPart::Query(n) => {
            let n = lit(n);
            quote!(Part::Query(#n))
        }
        UrlPart::Header(n) => {
            let n = lit(n);
            quote!(Part::Header(#n))
        }
        UrlPart::Body(p) => {
            let p = lit(p);
            quote!(Part::Body(#p))
        }
    });
    Some(quote! {
        #[doc = #d]
        pub fn #f(request: &OriginalRequest<'_>) -> Result<String, ExpressionError> {
            crate::runtime::callback::url(#expr, &[#(#parts),*], request)
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::{Options, RuntimeMode};

    const SPEC: &str = r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/s": {"post": {"operationId": "sub", "responses": {"201": {"description": "ok"}},
            "callbacks": {"cb": {"{$request.body#/url}": {"post": {"responses": {"204": {"description": "ok"}}}}}}}}}}"#;

    fn files(spec: &str, options: &Options) -> Vec<(String, String)> {
        let generated = crate::generate_str("spec.json", spec, options).expect("generates");
        generated.files.into_iter().map(|f| (f.path, f.contents)).collect()
    }

    fn file<'a>(files: &'a [(String, String)], path: &str) -> Option<&'a str> {
        files.iter().find(|(p, _)| p == path).map(|(_, c)| c.as_str())
    }

    #[test]
    fn only_a_spec_with_hooks_gets_the_module_and_only_a_url_helper_gets_the_runtime_part() {
        let with = files(SPEC, &Options::default());
        let webhooks = file(&with, "src/webhooks.rs").expect("webhooks.rs");
        assert!(webhooks.contains("pub trait WebhooksApi") && webhooks.contains("client_type!(WebhookSender)"), "{webhooks}");
        assert!(webhooks.contains("pub fn callback_sub_cb_url("), "{webhooks}");
        assert!(file(&with, "src/runtime/callback.rs").is_some());
        assert!(file(&with, "src/lib.rs").is_some_and(|l| l.contains("pub mod webhooks;")));
        assert!(file(&with, "tests/router_starts.rs").is_some_and(|t| t.contains("fn webhook_receiver_starts")));
        // A callback whose URL comes from the response: the module, no helper, no runtime part.
        let late = SPEC.replace("$request.body#/url", "$response.body#/url");
        let late = files(&late, &Options::default());
        assert!(file(&late, "src/webhooks.rs").is_some_and(|w| !w.contains("_url(")));
        assert!(file(&late, "src/runtime/callback.rs").is_none());
        // Without hooks: none of it.
        let plain = SPEC.replace("\"callbacks\"", "\"x-callbacks\"");
        let plain = files(&plain, &Options::default());
        assert!(file(&plain, "src/webhooks.rs").is_none() && file(&plain, "src/runtime/callback.rs").is_none());
        assert!(file(&plain, "src/lib.rs").is_some_and(|l| !l.contains("webhooks")));
        // Only a server: the receiver, no sender.
        let server = files(SPEC, &Options { client: false, ..Options::default() });
        let webhooks = file(&server, "src/webhooks.rs").expect("webhooks.rs");
        assert!(webhooks.contains("pub mod receiver") && !webhooks.contains("pub mod sender"), "{webhooks}");
    }

    #[test]
    fn in_dependency_mode_the_runtime_feature_is_asked_for() {
        let options = Options { runtime: RuntimeMode::dependency(Some("../runtime".into())), ..Options::default() };
        let files = files(SPEC, &options);
        let manifest = file(&files, "Cargo.toml").expect("manifest");
        let table: toml::Table = toml::from_str(manifest).expect("TOML");
        let features = table["dependencies"]["codegen-runtime"]["features"].as_array().expect("features");
        assert!(features.iter().any(|f| f.as_str() == Some("callbacks")), "{manifest}");
    }
}
