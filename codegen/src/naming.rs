//! Naming: the one home for every identifier the generator emits (types, fields, variants, methods, modules).
//!
//! Every name is a pure function of spec text plus, for collisions, a scope that hands out
//! suffixes in a deterministic order chosen by the caller. Generated code refers to std and
//! serde items by absolute paths, so a schema called `String`, `Result` or `Option` keeps its
//! name; only keywords and names taken by generated items in the same module are changed.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict, reserved and edition-2024) that cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Reduces arbitrary text to ASCII words: letters are transliterated (`café` -> `cafe`,
/// `日本` -> `Ri Ben`), everything else separates words. Text with no letter or digit at all
/// (`"+"`, `"}"`) is spelled by its code points (`X2B`), so distinct values stay distinct and
/// the name does not depend on neighbours.
fn ascii_words(raw: &str) -> String {
    let ascii = if raw.is_ascii() { raw.to_string() } else { deunicode::deunicode_with_tofu(raw, " ") };
    if !ascii.chars().any(|c| c.is_ascii_alphanumeric()) && !raw.is_empty() {
        return raw.chars().map(|c| format!("X{:X} ", c as u32)).collect();
    }
    ascii.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect()
}

fn finish(mut name: String, digit_prefix: &str, empty: &str, keyword_suffix: &str) -> String {
    if name.is_empty() {
        return empty.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, digit_prefix);
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push_str(keyword_suffix);
    }
    name
}

/// The name of a function that accompanies a schema's validator `validate_x`: `evaluated_x`
/// (members an `unevaluated*` keyword counts), `read_x` (the fast path of a request body).
/// Validator names are unique, so these are too.
pub fn companion_fn(validator: &str, prefix: &str) -> String {
    format!("{prefix}_{}", validator.strip_prefix("validate_").unwrap_or(validator))
}

/// `UpperCamelCase` name for a type or enum variant.
pub fn pascal(raw: &str) -> String {
    finish(ascii_words(raw).to_upper_camel_case(), "N", "Empty", "_")
}

/// `snake_case` name for a field, function, method or module.
pub fn snake(raw: &str) -> String {
    let s = ascii_words(raw).to_snake_case();
    finish(s, "n", "empty", "_")
}

/// Trait methods every type has through the prelude's blanket impls (`Into`, `TryInto`): the
/// server calls `state.api.name(..)` on its generic `A: Api`, where these would win.
pub const BLANKET_METHODS: &[&str] = &["into", "try_into"];

/// `snake_case` name for a method taking `&self` (client methods, server trait methods).
/// Clippy's `wrong_self_convention` wants `from_*` methods without `self` and `into_*` /
/// `to_*_mut` ones with `self` by value or `&mut self`, so those names get an `op_` prefix.
pub fn method(raw: &str) -> String {
    let name = snake(raw);
    let convention = name.starts_with("from_") || name.starts_with("into_") || name == "to_mut" || (name.starts_with("to_") && name.ends_with("_mut"));
    if convention { format!("op_{name}") } else { name }
}

/// The method name of a webhook or callback operation (`kind` is `webhook` or `callback`):
/// prefixed (`webhook_new_pet`), so it never equals a path operation's method name or, through
/// it, its descriptor static and type prefix.
pub fn hook_method(kind: &str, raw: &str) -> String {
    method(&format!("{kind} {raw}"))
}

/// The name of the function that computes a callback's URL (`callback_x` -> `callback_x_url`):
/// a free function of the sender module, where only these are, so unique as method names are.
pub fn callback_url_fn(fn_name: &str) -> String {
    format!("{}_url", fn_name.trim_start_matches("r#"))
}

/// The default path the webhook receiver mounts a webhook or callback at, from its spec names
/// (`["webhooks", "newPet"]` -> `/webhooks/newPet`): each segment keeps RFC 3986 unreserved
/// characters (others become `-`), so a spec name can never add a segment, a template
/// variable or a query; an empty segment is `_`.
pub fn hook_route(segments: &[&str]) -> String {
    let mut out = String::new();
    for s in segments {
        let seg: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || "-._~".contains(c) { c } else { '-' }).collect();
        out.push('/');
        out.push_str(if seg.is_empty() || seg.chars().all(|c| c == '.') { "_" } else { &seg });
    }
    out
}

/// The name of an operation's descriptor static in `ops.rs` (`GET_PET` for `get_pet`); method
/// names are unique snake case, so these are unique too.
pub fn op_static(fn_name: &str) -> String {
    fn_name.trim_start_matches("r#").to_ascii_uppercase()
}

/// A paginated operation's client methods (before claiming): every page, every item, and the
/// hidden one-page fetch, from its method name (without `r#`).
pub fn paging_methods(fn_name: &str) -> (String, String, String) {
    (format!("{fn_name}_pages"), format!("{fn_name}_items"), format!("{fn_name}_page"))
}

/// The client module's static holding a paginated operation's `Paging` table
/// (`LIST_CALLS_PAGING`; method names are unique, so these are too).
pub fn paging_static(fn_name: &str) -> String {
    format!("{}_PAGING", op_static(fn_name))
}

/// The prefix of an operation's types (`{prefix}Response`, `{prefix}Params`) from its method
/// name: UpperCamelCase, and never used alone, so a keyword needs no suffix (`self_` ->
/// `Self`, making `SelfResponse`, not the non-camel-case `Self_Response`).
pub fn type_prefix(fn_name: &str) -> String {
    finish(ascii_words(fn_name).to_upper_camel_case(), "N", "Empty", "")
}

/// Name of a generated type from the words of its location (joined in order).
pub fn type_name<S: AsRef<str>>(parts: &[S]) -> String {
    let name: String = parts.iter().map(|p| ascii_words(p.as_ref()).to_upper_camel_case()).collect();
    finish(name, "N", "Unnamed", "_")
}

/// Enum variant for an HTTP status code (`200` -> `Ok`), or a range / `default`.
pub fn status_variant(status: &str) -> String {
    let name = match status {
        "100" => "Continue",
        "101" => "SwitchingProtocols",
        "200" => "Ok",
        "201" => "Created",
        "202" => "Accepted",
        "203" => "NonAuthoritativeInformation",
        "204" => "NoContent",
        "205" => "ResetContent",
        "206" => "PartialContent",
        "207" => "MultiStatus",
        "300" => "MultipleChoices",
        "301" => "MovedPermanently",
        "302" => "Found",
        "303" => "SeeOther",
        "304" => "NotModified",
        "307" => "TemporaryRedirect",
        "308" => "PermanentRedirect",
        "400" => "BadRequest",
        "401" => "Unauthorized",
        "402" => "PaymentRequired",
        "403" => "Forbidden",
        "404" => "NotFound",
        "405" => "MethodNotAllowed",
        "406" => "NotAcceptable",
        "408" => "RequestTimeout",
        "409" => "Conflict",
        "410" => "Gone",
        "411" => "LengthRequired",
        "412" => "PreconditionFailed",
        "413" => "PayloadTooLarge",
        "414" => "UriTooLong",
        "415" => "UnsupportedMediaType",
        "416" => "RangeNotSatisfiable",
        "417" => "ExpectationFailed",
        "418" => "ImATeapot",
        "422" => "UnprocessableEntity",
        "423" => "Locked",
        "424" => "FailedDependency",
        "425" => "TooEarly",
        "426" => "UpgradeRequired",
        "428" => "PreconditionRequired",
        "429" => "TooManyRequests",
        "431" => "RequestHeaderFieldsTooLarge",
        "451" => "UnavailableForLegalReasons",
        "500" => "InternalServerError",
        "501" => "NotImplemented",
        "502" => "BadGateway",
        "503" => "ServiceUnavailable",
        "504" => "GatewayTimeout",
        "default" => "Default",
        other => {
            let upper = other.to_ascii_uppercase();
            if let [first, b'X', b'X'] = upper.as_bytes() {
                return format!("Status{}xx", ascii_words(&char::from(*first).to_string()).trim());
            }
            return format!("Status{}", ascii_words(other).to_upper_camel_case());
        }
    };
    name.to_string()
}

/// Variant name for a request body media type (`application/json` -> `Json`).
pub fn media_variant(media_type: &str) -> String {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => "Json".into(),
        "application/x-www-form-urlencoded" => "Form".into(),
        "multipart/form-data" => "Multipart".into(),
        "text/plain" => "Text".into(),
        "application/octet-stream" => "Bytes".into(),
        "*/*" => "Any".into(),
        other => pascal(other),
    }
}

/// Prelude names that generated code writes short (`Option`, `String`, ...) unless a generated
/// type takes one of them, in which case every generated file spells std paths in full.
pub const PRELUDE_NAMES: &[&str] = &["Option", "Some", "None", "String", "Vec", "Box", "Result", "Ok", "Err"];

/// True when none of `type_names` shadows a prelude name used by generated code.
pub fn prelude_is_free<'a>(mut type_names: impl Iterator<Item = &'a str>) -> bool {
    !type_names.any(|n| PRELUDE_NAMES.contains(&n))
}

/// Type-namespace items of the generated `client` and `server` modules other than the
/// per-operation ones: the support templates' items and imports, and what the server emitter
/// adds (`Api`). A test keeps this list in step with the templates.
pub const MODULE_ITEMS: &[&str] = &[
    // runtime/src/client.rs (glob re-exported by client.rs) and client.rs's imports
    "Future",
    "Pin",
    "Arc",
    "HeaderMap",
    "HeaderName",
    "HeaderValue",
    "InstancePath",
    "Violation",
    "BoxError",
    "TokenProvider",
    "StaticToken",
    "ClientError",
    "Client",
    "Connection",
    "Style",
    "Parts",
    "client_type",
    "Instant",
    "SystemTime",
    "RawResponse",
    "CallOptions",
    "ByteStream",
    "Received",
    // runtime/src/retry.rs (glob re-exported by the runtime's client module) and the generated
    // client's trait
    "RetryPolicy",
    "SleepFuture",
    "Sleeper",
    "TokioSleeper",
    "Attempt",
    "Outcome",
    "Hook",
    "ApiClient",
    // runtime/src/server.rs (glob re-exported by server.rs) and server.rs's imports
    "BTreeMap",
    "AtomicUsize",
    "Ordering",
    "Duration",
    "Body",
    "Extensions",
    "Method",
    "StatusCode",
    "Uri",
    "header",
    "IntoResponse",
    "Response",
    "RequestContext",
    "Credentials",
    "AuthRequest",
    "AuthRejection",
    "ApiError",
    "Rejection",
    "ConcurrencyLimit",
    "RouterConfig",
    "Gate",
    "Waiting",
    "Scalar",
    "Coerce",
    "ParamSpec",
    "ParamSource",
    "Shared",
    "State",
    "RouteMatch",
    "RequestId",
    "Candidate",
    "ErrorShape",
    "Extract",
    "RawPath",
    "NotImplemented",
    // runtime ops (re-exported by the runtime's server module; imported by client.rs)
    "Op",
    "Param",
    "ParamIn",
    "ParamValues",
    "FromParams",
    "ToParams",
    "Validator",
    // server.rs
    "Api",
];

/// Suffixes of the per-operation types: `{prefix}Error` and `{prefix}Success` (client),
/// `{prefix}Response`, and the resolved `{prefix}Params` and `{prefix}Body` (server).
pub const OPERATION_TYPE_SUFFIXES: &[&str] = &["Error", "Success", "Response", "Params", "Body"];

/// The server's resolved parameters struct of an operation (in `server`, beside
/// `{prefix}Response`): the parameters with their defaults filled in.
pub fn resolved_params(type_prefix: &str) -> String {
    format!("{type_prefix}Params")
}

/// The server's resolved body struct of an operation (in `server`): the body with the defaults
/// of its properties filled in.
pub fn resolved_body(type_prefix: &str) -> String {
    format!("{type_prefix}Body")
}

/// The function (in `types`) returning the default of field `field` of type `owner`, before
/// numbering in its scope.
pub fn default_fn(owner: &str, field: &str) -> String {
    format!("default_{}", snake(&format!("{owner}_{field}")))
}

/// A scope for operation type prefixes: a prefix is unique among operations (`foo_bar2` and
/// `foo_bar_2` are both `FooBar2` in UpperCamelCase) and no `{prefix}{suffix}` is an item of
/// the module it is emitted in (an operation `client` must not make a second `ClientError`).
pub fn type_prefix_scope() -> Scope {
    let mut used = BTreeSet::new();
    for item in MODULE_ITEMS {
        for suffix in OPERATION_TYPE_SUFFIXES {
            if let Some(prefix) = item.strip_suffix(suffix) {
                used.insert(prefix.to_string());
            }
        }
    }
    Scope { used }
}

/// Hands out unique names inside one namespace, in the order the caller asks.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    used: BTreeSet<String>,
}

impl Scope {
    /// A scope in which `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Scope { used: reserved.iter().map(|s| s.to_string()).collect() }
    }

    /// Claims `candidate`, or `candidate` + the smallest free number from 2 on.
    pub fn claim(&mut self, candidate: &str) -> String {
        if self.used.insert(candidate.to_string()) {
            return candidate.to_string();
        }
        // A camel-case keyword escape (`Self_`) numbers without its underscore: `Self_2` is
        // not UpperCamelCase (a rustc warning), `Self2` is.
        let base = match candidate.strip_suffix('_') {
            Some(b) if b.starts_with(|c: char| c.is_ascii_uppercase()) => b,
            _ => candidate,
        };
        let sep = if base.ends_with(|c: char| c.is_ascii_digit()) { "_" } else { "" };
        let mut n = 2u32;
        loop {
            let name = format!("{base}{sep}{n}");
            if self.used.insert(name.clone()) {
                return name;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_table() {
        for (raw, want) in [
            ("ErrorEnvelope", "ErrorEnvelope"),
            ("error_envelope", "ErrorEnvelope"),
            ("v1_room_token_post", "V1RoomTokenPost"),
            ("2fa-method", "N2faMethod"),
            ("$ref", "Ref"),
            ("@type", "Type"),
            ("a b-c", "ABC"),
            ("", "Empty"),
            ("Self", "Self_"),
            ("self", "Self_"),
            ("日本", "RiBen"),
            ("café", "Cafe"),
            ("\"", "X22"),
            ("}", "X7d"),
            ("ASC", "Asc"),
        ] {
            assert_eq!(pascal(raw), want, "pascal({raw:?})");
        }
    }

    #[test]
    fn snake_table() {
        for (raw, want) in [
            ("from_number", "from_number"),
            ("fromNumber", "from_number"),
            ("Idempotency-Key", "idempotency_key"),
            ("type", "type_"),
            ("self", "self_"),
            ("crate", "crate_"),
            ("async", "async_"),
            ("gen", "gen_"),
            ("123abc", "n123abc"),
            ("$", "x24"),
            ("café", "cafe"),
            ("", "empty"),
        ] {
            assert_eq!(snake(raw), want, "snake({raw:?})");
        }
    }

    #[test]
    fn scope_suffixes_deterministically() {
        let mut s = Scope::with_reserved(&["Client"]);
        assert_eq!(s.claim("Client"), "Client2");
        assert_eq!(s.claim("foo_bar"), "foo_bar");
        assert_eq!(s.claim("foo_bar"), "foo_bar2");
        assert_eq!(s.claim("v1"), "v1");
        assert_eq!(s.claim("v1"), "v1_2");
        assert_eq!(s.claim("Self_"), "Self_");
        assert_eq!(s.claim("Self_"), "Self2");
        assert_eq!(s.claim("type_"), "type_");
        assert_eq!(s.claim("type_"), "type_2");
    }

    #[test]
    fn type_names_join_parts() {
        assert_eq!(type_name(&["v1_room_token_post", "Response", "200"]), "V1RoomTokenPostResponse200");
        assert_eq!(type_name(&["200", "x"]), "N200X");
        assert_eq!(type_name::<&str>(&[]), "Unnamed");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_variant("200"), "Ok");
        assert_eq!(status_variant("429"), "TooManyRequests");
        assert_eq!(status_variant("4XX"), "Status4xx");
        assert_eq!(status_variant("299"), "Status299");
        assert_eq!(status_variant("default"), "Default");
    }

    /// Every type-namespace item and import of the runtime's server and client modules is in
    /// [`MODULE_ITEMS`].
    #[test]
    fn module_items_cover_the_templates() {
        fn use_names(tree: &syn::UseTree, out: &mut Vec<String>) {
            match tree {
                syn::UseTree::Path(p) => use_names(&p.tree, out),
                syn::UseTree::Name(n) => out.push(n.ident.to_string()),
                syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
                syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
                syn::UseTree::Glob(_) => {}
            }
        }
        for text in [include_str!("../../runtime/src/client.rs"), include_str!("../../runtime/src/retry.rs"), include_str!("../../runtime/src/server.rs")] {
            let file = syn::parse_file(text).expect("template parses");
            let mut names = Vec::new();
            for item in &file.items {
                match item {
                    syn::Item::Struct(i) => names.push(i.ident.to_string()),
                    syn::Item::Enum(i) => names.push(i.ident.to_string()),
                    syn::Item::Trait(i) => names.push(i.ident.to_string()),
                    syn::Item::Type(i) => names.push(i.ident.to_string()),
                    syn::Item::Union(i) => names.push(i.ident.to_string()),
                    syn::Item::Use(u) => use_names(&u.tree, &mut names),
                    _ => {}
                }
            }
            for name in names {
                assert!(MODULE_ITEMS.contains(&name.as_str()), "`{name}` of the runtime is missing from naming::MODULE_ITEMS");
            }
        }
    }

    #[test]
    fn methods_follow_self_conventions() {
        assert_eq!(method("intoFuture"), "op_into_future");
        assert_eq!(method("from_user"), "op_from_user");
        assert_eq!(method("to_mut"), "op_to_mut");
        assert_eq!(method("to_list_mut"), "op_to_list_mut");
        assert_eq!(method("to_list"), "to_list");
        assert_eq!(method("fromage"), "fromage");
        assert_eq!(method("self"), "self_");
        assert_eq!(type_prefix(&method("self")), "Self");
        assert_eq!(type_prefix("v1_room_token_post"), "V1RoomTokenPost");
    }

    #[test]
    fn type_prefixes_are_unique_and_clear_module_items() {
        let mut scope = type_prefix_scope();
        assert_eq!(scope.claim(&pascal("foo_bar2")), "FooBar2");
        assert_eq!(scope.claim(&pascal("foo_bar_2")), "FooBar2_2");
        assert_eq!(scope.claim(&pascal("client")), "Client2");
        assert_eq!(scope.claim(&pascal("into")), "Into2");
        assert_eq!(scope.claim(&pascal("api")), "Api2");
    }

    #[test]
    fn every_output_is_an_identifier() {
        for raw in ["", "9", "a\u{0}b", "\"; drop", "}", "r#x", "::", "é", "🙂", "Self", "_", "__"] {
            for name in [pascal(raw), snake(raw)] {
                assert!(syn::parse_str::<syn::Ident>(&name).is_ok(), "{raw:?} -> {name:?}");
            }
        }
    }
}
