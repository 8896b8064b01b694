//! Emits the generated crate's `Cargo.toml` (published dependencies only, `server`/`client`
//! features) and its `lib.rs`.

use proc_macro2::TokenStream;
use quote::quote;

use super::lit;
use crate::ir::Ir;
use crate::{GenerateError, Options};

/// A semver version for the crate: `info.version` when it is one, else `0.0.0` plus the text as metadata.
fn crate_version(v: &str) -> String {
    let core = v.trim().trim_start_matches('v');
    let nums: Vec<&str> = core.split('.').collect();
    if nums.len() == 3 && nums.iter().all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && (n.len() == 1 || !n.starts_with('0'))) {
        return core.to_string();
    }
    let meta: String = v.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.').collect::<String>();
    let meta: Vec<&str> = meta.split('.').filter(|s| !s.is_empty()).collect();
    if meta.is_empty() { "0.0.0".into() } else { format!("0.0.0+{}", meta.join(".")) }
}

/// The package name: `--name`, else derived from `info.title`.
pub fn crate_name(ir: &Ir, options: &Options) -> String {
    let raw = match &options.crate_name {
        Some(n) => n.clone(),
        // Version words (`v1`, `2.0`) make poor package names: `RevDesk v1 API` -> `revdesk-api`.
        None => ir
            .info
            .title
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| {
                let digits = w.strip_prefix(['v', 'V']).unwrap_or(w);
                !(digits.is_empty() || digits.chars().all(|c| c.is_ascii_digit()))
            })
            .collect::<Vec<_>>()
            .join("-"),
    };
    let mut name: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if name.is_empty() {
        name = "api".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "api-");
    }
    name
}

/// `Cargo.toml`, serialised by `toml` so spec text cannot break the manifest.
pub fn cargo_toml(ir: &Ir, options: &Options, stamp: &str) -> Result<String, GenerateError> {
    use toml::{Table, Value};
    let dep = |version: &str, optional: bool, features: &[&str], default_features: bool| {
        let mut t = Table::new();
        t.insert("version".into(), Value::String(version.into()));
        if !default_features {
            t.insert("default-features".into(), Value::Boolean(false));
        }
        if !features.is_empty() {
            t.insert("features".into(), Value::Array(features.iter().map(|f| Value::String((*f).into())).collect()));
        }
        if optional {
            t.insert("optional".into(), Value::Boolean(true));
        }
        Value::Table(t)
    };
    let mut package = Table::new();
    package.insert("name".into(), Value::String(crate_name(ir, options)));
    package.insert("version".into(), Value::String(ir.crate_version.clone().unwrap_or_else(|| crate_version(&ir.info.version))));
    package.insert("edition".into(), Value::String("2024".into()));
    package.insert("rust-version".into(), Value::String("1.85".into()));
    package.insert("publish".into(), Value::Boolean(false));
    let description: String =
        format!("Generated from the OpenAPI document `{}` ({}).", ir.info.title, ir.info.version).chars().filter(|c| !c.is_control()).collect();
    package.insert("description".into(), Value::String(description));
    let mut lib = Table::new();
    lib.insert("doctest".into(), Value::Boolean(false));
    // No unit tests live in generated code; skipping the test build of the library halves what
    // `cargo test` compiles.
    lib.insert("test".into(), Value::Boolean(false));
    let mut features = Table::new();
    let strings = |v: &[&str]| Value::Array(v.iter().map(|s| Value::String((*s).into())).collect());
    features.insert("default".into(), strings(&[]));
    let uses_runtime = ir.runtime_use();
    // Dependency mode: the runtime crate's features follow the generated crate's.
    let dependency = match &options.runtime {
        crate::RuntimeMode::Embedded => None,
        crate::RuntimeMode::Dependency { path, version } => Some((path, version)),
    };
    let rt = crate::RuntimeMode::RUNTIME_PACKAGE;
    let forward = |mut list: Vec<String>, feature: &str| {
        if dependency.is_some() {
            list.push(format!("{rt}/{feature}"));
        }
        Value::Array(list.into_iter().map(Value::String).collect())
    };
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    // Embedded, the runtime's server code needs these crates; as a dependency, the runtime
    // brings its own and the generated server code names only axum and tokio's runtime.
    let server_deps: &[&str] =
        if dependency.is_some() { &["dep:axum"] } else { &["dep:axum", "dep:form_urlencoded", "dep:multer", "dep:tokio", "dep:sha2", "dep:tracing"] };
    features.insert("server".into(), forward(owned(server_deps), "server"));
    let uses = |k: &[crate::ir::Format]| ir.schemas.iter().any(|n| matches!(n.shape, crate::ir::Shape::Formatted(f) if k.contains(&f)));
    // A spec's `uuid` format makes `uuid` a dependency of the crate; otherwise the client's
    // idempotency keys bring it in, behind `client`.
    let uuid_format = uses(&[crate::ir::Format::Uuid]);
    // Embedded, the runtime's client code needs these crates (timer, idempotency keys,
    // `Retry-After` dates, backoff jitter); as a dependency, the runtime brings its own.
    let mut client_deps = vec!["dep:reqwest"];
    if dependency.is_none() {
        client_deps.extend(["dep:tokio", "dep:httpdate", "dep:fastrand"]);
        if !uuid_format {
            client_deps.push("dep:uuid");
        }
    }
    // The page and item streams of paginated operations (`futures-util`, the runtime's
    // `paginate` feature); nothing for a spec without any.
    let paginate = uses_runtime.pagination && options.client;
    let mut client_deps: Vec<String> = owned(&client_deps);
    if paginate && dependency.is_some() {
        client_deps.push(format!("{rt}/paginate"));
    } else if paginate && !uses_runtime.streams {
        client_deps.push("dep:futures-util".into());
    }
    features.insert("client".into(), forward(client_deps, "client"));
    // `tracing` spans per client call and attempt.
    features.insert("tracing".into(), forward(if dependency.is_none() { owned(&["dep:tracing"]) } else { Vec::new() }, "tracing"));
    // The Redis idempotency store, only for crates that ask for it.
    let redis_deps: &[&str] = if dependency.is_some() { &["server"] } else { &["server", "dep:redis"] };
    features.insert("redis".into(), forward(owned(redis_deps), "redis"));
    features.insert("rustls".into(), strings(&["client", "reqwest/rustls"]));
    // `JsonSchema` derives on every type, for tools that want the schema back from the code.
    features.insert("schemars".into(), forward(owned(&["dep:schemars"]), "schemars"));
    let mut deps = Table::new();
    deps.insert("serde".into(), dep("1", false, &["derive"], true));
    if dependency.is_none() {
        // The runtime's byte streams (`ByteStream`: chunks, the `Stream` trait, response
        // headers); axum and reqwest depend on all three already.
        deps.insert("bytes".into(), dep("1", false, &[], true));
        deps.insert("futures-core".into(), dep("0.3", false, &[], true));
        deps.insert("http".into(), dep("1", false, &[], true));
    }
    // Exact float parsing: without it `7.5200000000000005` may read as `7.52` and pass `multipleOf: 0.01`.
    deps.insert("serde_json".into(), dep("1", false, &["float_roundtrip"], true));
    // The pattern engines only when a pattern runs on them (the runtime's `regex` and
    // `fancy-regex` features), its `multipart` module only for multipart bodies.
    let mut engines = Vec::new();
    if uses_runtime.linear_patterns {
        engines.push("regex");
    }
    if uses_runtime.backtracking_patterns {
        engines.push("fancy-regex");
    }
    // Typed streams: the runtime's `streams` part (`Stream`, `StreamExt`: `futures-util`).
    if uses_runtime.streams {
        engines.push("streams");
    }
    // Callback URL helpers (the runtime's `callbacks` feature: no dependency of its own).
    if uses_runtime.callback_urls {
        engines.push("callbacks");
    }
    if uses_runtime.multipart {
        engines.push("multipart");
    }
    match dependency {
        None => {
            if uses_runtime.linear_patterns {
                deps.insert("regex".into(), dep("1", false, &[], true));
            }
            if uses_runtime.backtracking_patterns {
                deps.insert("fancy-regex".into(), dep("0.20", false, &[], true));
            }
        }
        Some((path, version)) => {
            let mut t = Table::new();
            t.insert("version".into(), Value::String(version.clone()));
            if let Some(path) = path {
                t.insert("path".into(), Value::String(path.clone()));
            }
            t.insert("default-features".into(), Value::Boolean(false));
            if !engines.is_empty() {
                t.insert("features".into(), strings(&engines));
            }
            deps.insert(rt.into(), Value::Table(t));
        }
    }
    let mut schemars_features = vec!["derive", "std"];
    if uuid_format {
        // `v4` for the embedded client's idempotency keys.
        let features: &[&str] = if dependency.is_none() { &["serde", "v4"] } else { &["serde"] };
        deps.insert("uuid".into(), dep("1", false, features, true));
        schemars_features.push("uuid1");
    } else if dependency.is_none() {
        deps.insert("uuid".into(), dep("1", true, &["v4"], true));
    }
    if uses(&[crate::ir::Format::DateTime, crate::ir::Format::Date]) {
        deps.insert("chrono".into(), dep("0.4", false, &["std", "serde"], false));
        schemars_features.push("chrono04");
    }
    deps.insert("schemars".into(), dep("1", true, &schemars_features, false));
    deps.insert("axum".into(), dep("0.8", true, &["http1", "tokio", "json", "query"], false));
    if dependency.is_none() {
        deps.insert("form_urlencoded".into(), dep("1", true, &[], true));
        deps.insert("multer".into(), dep("3", true, &[], true));
        // The server's time limits (`tokio::time`) and concurrency limit (`tokio::sync`); axum
        // already depends on tokio.
        deps.insert("tokio".into(), dep("1", true, &["time", "sync"], false));
        deps.insert("httpdate".into(), dep("1", true, &[], true));
        deps.insert("fastrand".into(), dep("2", true, &[], true));
        // Idempotency fingerprints and store keys; the request span (and the client's, behind
        // `tracing`).
        deps.insert("sha2".into(), dep("0.11", true, &[], true));
        deps.insert("tracing".into(), dep("0.1", true, &["std"], false));
        deps.insert("redis".into(), dep("1.2", true, &["tokio-comp", "connection-manager"], false));
    }
    // `stream`: binary bodies as byte streams (`Body::wrap_stream`, `Response::bytes_stream`).
    deps.insert("reqwest".into(), dep("0.13", true, &["json", "query", "multipart", "stream"], false));
    if uses_runtime.streams {
        // (Always: the stream types are in the crate's API; pagination then needs nothing more.)
        deps.insert("futures-util".into(), dep("0.3", false, &["std"], false));
    } else if paginate && dependency.is_none() {
        deps.insert("futures-util".into(), dep("0.3", true, &["std"], false));
    }
    // The crates of the user's types (`types` options), as written.
    for line in &ir.dependencies {
        if let Ok(t) = line.parse::<Table>() {
            deps.extend(t);
        }
    }
    let mut root = Table::new();
    root.insert("package".into(), Value::Table(package));
    root.insert("lib".into(), Value::Table(lib));
    root.insert("features".into(), Value::Table(features));
    root.insert("dependencies".into(), Value::Table(deps));
    if options.standalone {
        root.insert("workspace".into(), Value::Table(Table::new()));
    }
    let text = toml::to_string(&root).map_err(|e| GenerateError::Internal(format!("Cargo.toml: {e}")))?;
    Ok(format!("# {stamp}\n{text}"))
}

/// `lib.rs`: crate docs and the module tree.
pub fn lib_rs(ir: &Ir, options: &Options) -> TokenStream {
    let title = lit(&format!(" {} {} (OpenAPI {}).", ir.info.title.replace(['\r', '\n'], " "), ir.info.version.replace(['\r', '\n'], " "), ir.info.openapi));
    let server = if options.server {
        quote! {
            #[cfg(feature = "server")]
            #[rustfmt::skip]
            pub mod server;
        }
    } else {
        TokenStream::new()
    };
    let client = if options.client {
        quote! {
            #[cfg(feature = "client")]
            #[rustfmt::skip]
            pub mod client;
        }
    } else {
        TokenStream::new()
    };
    // Modules both halves use (`ops`, `webhooks`): behind whichever of them is generated.
    let either = match (options.server, options.client) {
        (true, true) => quote!(#[cfg(any(feature = "server", feature = "client"))]),
        (true, false) => quote!(#[cfg(feature = "server")]),
        _ => quote!(#[cfg(feature = "client")]),
    };
    let ops = if options.server || options.client {
        let cfg = &either;
        quote! {
            #cfg
            #[rustfmt::skip]
            pub mod ops;
        }
    } else {
        TokenStream::new()
    };
    let webhooks = if !ir.hooks.is_empty() && (options.server || options.client) {
        let cfg = &either;
        quote! {
            #cfg
            #[rustfmt::skip]
            pub mod webhooks;
        }
    } else {
        TokenStream::new()
    };
    let runtime = match &options.runtime {
        crate::RuntimeMode::Embedded => quote! {
            #[rustfmt::skip]
            pub mod runtime;
        },
        crate::RuntimeMode::Dependency { .. } => quote! {
            /// The runtime (validation, server and client support), shared by every crate that
            /// depends on the same `codegen-runtime`.
            pub use ::codegen_runtime as runtime;
        },
    };
    let types = if ir.emit_types {
        quote! {
            #[rustfmt::skip]
            pub mod types;
        }
    } else {
        TokenStream::new()
    };
    let validate = if ir.emit_validators {
        quote! {
            #[rustfmt::skip]
            pub mod validate;
        }
    } else {
        TokenStream::new()
    };
    let desc_inner = match ir.info.description.as_deref() {
        Some(d) => {
            let lines = super::clean_doc(d).into_iter().map(|l| lit(&l));
            quote!(#![doc = ""] #(#![doc = #lines])*)
        }
        None => TokenStream::new(),
    };
    quote! {
        #![doc = #title]
        #desc_inner
        #![doc = ""]
        #![doc = " Modules: `types` (serde types), `validate` (JSON Schema validators), `server` (axum, feature"]
        #![doc = " `server`), `client` (reqwest, feature `client`). Requests are validated as JSON before they"]
        #![doc = " are converted; responses are decoded tolerantly unless the client is strict."]
        #![allow(clippy::large_enum_variant)]
        #![allow(clippy::too_many_arguments)]
        #![allow(clippy::doc_markdown)]
        #![allow(clippy::needless_lifetimes)]
        #![allow(deprecated)]

        // The modules are written by prettyplease, and `cargo fmt` leaves them as they are, so
        // the drift check holds under any rustfmt configuration.
        #runtime
        #types
        #validate
        #server
        #client
        #ops
        #webhooks

        pub use runtime::{Validate, Violation};
    }
}

/// `tests/router_starts.rs`: builds the router with the default (501) implementation, so route
/// conflicts that would make axum panic at start-up fail `cargo test` of the generated crate.
pub fn smoke_test(ir: &Ir, options: &Options) -> TokenStream {
    let krate = super::ident(&crate_name(ir, options).replace('-', "_"));
    let secured = ir.operations.iter().any(crate::ir::Operation::has_security);
    let auth = |secured: bool| {
        if secured {
            quote! {
                type Principal = ();
                async fn authenticate(
                    &self,
                    _ctx: &#krate::server::RequestContext,
                    _request: #krate::server::AuthRequest,
                ) -> Result<(), #krate::server::AuthRejection> {
                    Err(#krate::server::AuthRejection::unauthorized("smoke test"))
                }
            }
        } else {
            TokenStream::new()
        }
    };
    let hooks = (!ir.hooks.is_empty()).then(|| {
        let auth = auth(ir.hooks.iter().any(|h| h.op.has_security()));
        quote! {
            impl #krate::webhooks::receiver::WebhooksApi for Unimplemented {
                #auth
            }

            #[test]
            fn webhook_receiver_starts() {
                let _router = #krate::webhooks::receiver::router(Unimplemented);
            }
        }
    });
    let auth = auth(secured);
    quote! {
        //! The router builds (no conflicting routes) with the default implementation of every operation.
        #![cfg(feature = "server")]

        #[derive(Debug)]
        struct Unimplemented;

        impl #krate::server::Api for Unimplemented {
            #auth
        }

        #[test]
        fn router_starts() {
            let _router = #krate::server::router(Unimplemented);
        }

        #hooks
    }
}
