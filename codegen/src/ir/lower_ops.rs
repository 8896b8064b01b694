//! Operation lowering: paths, parameters, request bodies, responses and security into IR operations.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::hooks::{Hook, HookKind};
use super::lower_schema::SchemaLowerer;
use super::{
    Arena, BodyKind, Content, IdempotencyKey, Operation, Param, ParamIn, ParamStyle, RequestBody, Response, ResponseHeader, SchemeKind, SecurityAlternative,
};
use crate::diagnostics::{Diagnostics, Location, Policy};
use crate::load::Documents;
use crate::naming::{self, Scope};

/// The schema of a parameter or media type that gives none: anything.
static TRUE_SCHEMA: Value = Value::Bool(true);

/// The path item's fixed method fields (`query`: OpenAPI 3.2); other methods are in its
/// `additionalOperations` (see [`super::oas32`]).
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace", "query"];

/// True for a path item's fixed method field (`get`, ..., `query`).
pub fn is_fixed_method(method: &str) -> bool {
    METHODS.contains(&method)
}

/// Method names the generated server trait and client already use.
/// Every method of the client support code's `impl Client` must be here (a unit test below
/// reads the template), or an operation named like one (`decode`, in Vault's spec) collides.
pub const RESERVED_METHODS: &[&str] = &[
    "authenticate",
    "rejection_response",
    "error_response",
    "new",
    "with_base_url",
    "from_reqwest",
    "with_header",
    "with_bearer_token",
    "with_token_provider",
    "with_basic_auth",
    "with_api_key",
    "strict",
    "validate_requests",
    "check_request",
    "prepare",
    "prepare_unchecked",
    "prepare_at",
    "prepare_unchecked_at",
    "params_request",
    "send_op",
    "send_op_streaming",
    "send_streaming",
    "base_url",
    "http_client",
    "http_parts",
    "request",
    "bearer",
    "basic",
    "key_header",
    "key_query",
    "key_cookie",
    "execute",
    "decode",
    "decode_headers",
    "send",
    "attempts",
    "attempt",
    "with_timeout",
    "with_retry",
    "with_hook",
    "with_sleeper",
    "with_request_id_headers",
    "with_options",
    "retry_policy",
    "timeout",
    "router",
    "clone",
    "fmt",
    "default",
];

/// Follows `$ref`s (of any Components kind) to the object they name, tracking its location. A
/// reference that leads nowhere loses only `what` (that path item, parameter, response...),
/// with a leniency warning.
pub(super) fn deref<'d>(docs: &'d Documents, loc: &Location, v: &'d Value, what: &str, diags: &mut Diagnostics) -> Option<(Location, &'d Value)> {
    let mut loc = loc.clone();
    let mut v = v;
    for _ in 0..32 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => match docs.resolve(&loc, r) {
                Ok((l, t)) => {
                    loc = l;
                    v = t;
                }
                Err(e) => {
                    diags.lenient(loc, Policy::Skipped, format!("{e}; {what} is skipped"));
                    return None;
                }
            },
            None => return Some((loc, v)),
        }
    }
    diags.lenient(loc, Policy::Skipped, format!("reference chain is cyclic or longer than 32 links; {what} is skipped"));
    None
}

/// A `$ref` written in place of a map or list (`paths`, `parameters`, `responses`), followed.
fn container<'d>(docs: &'d Documents, loc: &Location, v: &'d Value, what: &str, diags: &mut Diagnostics) -> Option<(Location, &'d Value)> {
    match docs.follow(loc, v) {
        Ok(found) => Some(found),
        Err(e) => {
            diags.lenient(loc.clone(), Policy::Skipped, format!("{e}; {what} is skipped"));
            None
        }
    }
}

/// Lowers every operation under `paths`, and every webhook and callback operation.
pub fn lower_operations<'a>(
    lower: &mut SchemaLowerer<'a>,
    root_loc: &Location,
    root: &'a Value,
    options: &crate::Options,
    diags: &mut Diagnostics,
) -> (Vec<Operation>, Vec<Hook>) {
    let mut ops = Vec::new();
    let mut ctx = OpContext {
        methods: Scope::with_reserved(&[RESERVED_METHODS, naming::BLANKET_METHODS].concat()),
        type_prefixes: naming::type_prefix_scope(),
        root_loc,
        root_security: root.get("security"),
        options: Some(options),
        hook: None,
    };
    match root.get("paths") {
        None if root.get("openapi").and_then(Value::as_str).unwrap_or("").starts_with("3.0") => {
            diags.error(root_loc.join("paths"), "OpenAPI 3.0 documents must have `paths`");
        }
        None => {}
        Some(paths) => match container(lower.docs(), &root_loc.join("paths"), paths, "`paths`", diags) {
            Some((ploc, Value::Object(paths))) => {
                for (path, item) in paths {
                    if !path.starts_with("x-") {
                        lower_path_item(lower, &mut ctx, &ploc.join(path), path, item, &mut ops, diags);
                    }
                }
            }
            Some((ploc, _)) => diags.error(ploc, "`paths` must be an object"),
            None => {}
        },
    }
    // Webhooks and callbacks: operations like the above, named in the same scopes with a
    // prefix, kept apart (`Ir::hooks`) and mounted by the receiver at a default path.
    let mut hooks = Vec::new();
    let mut routes = Scope::default();
    let mut hook_ctx = OpContext {
        methods: std::mem::take(&mut ctx.methods),
        type_prefixes: std::mem::take(&mut ctx.type_prefixes),
        root_loc,
        root_security: None,
        options: None,
        hook: Some("webhook"),
    };
    if let Some(webhooks) = root.get("webhooks").and_then(Value::as_object) {
        for (name, item) in webhooks {
            let loc = root_loc.join("webhooks").join(name);
            let mut lowered = Vec::new();
            lower_path_item(lower, &mut hook_ctx, &loc, name, item, &mut lowered, diags);
            for mut op in lowered {
                op.path = claim_route(&mut routes, &op.method, naming::hook_route(&["webhooks", name]));
                hooks.push(Hook { op, kind: HookKind::Webhook { name: name.clone() } });
            }
        }
    }
    hook_ctx.hook = Some("callback");
    let mut i = 0;
    while i < ops.len() + hooks.len() {
        let (loc, parent, callbacks) = {
            let op = if i < ops.len() { &ops[i] } else { &hooks[i - ops.len()].op };
            let value = lower.docs().get(&op.loc.file, &op.loc.pointer).and_then(|o| o.get("callbacks")).and_then(Value::as_object);
            (op.loc.clone(), op.fn_name.clone(), value)
        };
        i += 1;
        let Some(callbacks) = callbacks else { continue };
        for (name, cb) in callbacks {
            let cb_loc = loc.join("callbacks").join(name);
            let Some((cb_loc, cb)) = deref(lower.docs(), &cb_loc, cb, "the callback", diags) else { continue };
            for (expression, item) in cb.as_object().into_iter().flatten() {
                if expression.starts_with("x-") {
                    continue;
                }
                let mut lowered = Vec::new();
                let expr_loc = cb_loc.join(expression);
                lower_path_item(lower, &mut hook_ctx, &expr_loc, &format!("{parent} {name}"), item, &mut lowered, diags);
                let url = match super::hooks::parse_expression(expression) {
                    Ok(parts) => Some(parts),
                    Err(why) => {
                        diags.info(expr_loc.clone(), format!("callback URL: {why}; the sender is given the URL, no helper computes it"));
                        None
                    }
                };
                for mut op in lowered {
                    op.path = claim_route(&mut routes, &op.method, naming::hook_route(&["callbacks", &parent, name]));
                    let kind = HookKind::Callback { parent: parent.clone(), name: name.clone(), expression: expression.clone(), url: url.clone() };
                    hooks.push(Hook { op, kind });
                }
            }
        }
    }
    (ops, hooks)
}

/// `route` for a hook operation of `method`, numbered when another of the same method has it
/// (routes are matched by method and path, so two methods share one).
fn claim_route(routes: &mut Scope, method: &str, route: String) -> String {
    let claimed = routes.claim(&format!("{method} {route}"));
    claimed.split_once(' ').map_or(route, |(_, r)| r.to_string())
}

/// What lowering one operation needs from around it.
struct OpContext<'r> {
    methods: Scope,
    type_prefixes: Scope,
    root_loc: &'r Location,
    root_security: Option<&'r Value>,
    /// The operation filter and renames (`None` for webhooks and callbacks: all kept, as named).
    options: Option<&'r crate::Options>,
    /// `webhook` or `callback` while lowering those: the prefix of their names.
    hook: Option<&'static str>,
}

fn lower_path_item<'a>(
    lower: &mut SchemaLowerer<'a>,
    ctx: &mut OpContext<'_>,
    item_loc: &Location,
    path: &str,
    item: &'a Value,
    out: &mut Vec<Operation>,
    diags: &mut Diagnostics,
) {
    let docs = lower.docs();
    let Some((item_loc, item)) = deref(docs, item_loc, item, "the path item", diags) else { return };
    let Some(item_obj) = item.as_object() else {
        diags.error(item_loc, "a path item must be an object");
        return;
    };
    let fixed = item_obj.iter().filter(|(m, _)| METHODS.contains(&m.as_str())).map(|(m, op)| (m.clone(), item_loc.join(m), op));
    let extra = super::oas32::additional_operations(&item_loc, item_obj, METHODS, diags);
    for (method, op_loc, op) in fixed.collect::<Vec<_>>().into_iter().chain(extra) {
        let method = &method;
        let Some((op_loc, op)) = deref(docs, &op_loc, op, "the operation", diags) else { continue };
        let Some(op) = op.as_object() else {
            diags.error(op_loc, "an operation must be an object");
            continue;
        };
        let operation_id = op.get("operationId").and_then(Value::as_str);
        if let Some(options) = ctx.options {
            let tags: Vec<&str> = op.get("tags").and_then(Value::as_array).map(|t| t.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            if !options.operations.keeps(operation_id, &tags, path) {
                continue;
            }
        }
        let renamed = ctx
            .options
            .and_then(|o| o.rename.operations.get(operation_id.map_or_else(|| format!("{} {path}", method.to_ascii_uppercase()), str::to_string).as_str()));
        let raw_name = match (renamed, operation_id) {
            (Some(new), _) if !naming::snake(new).is_empty() => new.clone(),
            (_, Some(id)) if !naming::snake(id).is_empty() => id.to_string(),
            // A webhook or callback is named by its name alone when its item has one method.
            _ if ctx.hook.is_some() && item_obj.keys().filter(|m| METHODS.contains(&m.as_str())).count() == 1 => path.to_string(),
            _ => format!("{method} {path}"),
        };
        let fn_name = ctx.methods.claim(&match ctx.hook {
            Some(kind) => naming::hook_method(kind, &raw_name),
            None => naming::method(&raw_name),
        });
        let type_prefix = ctx.type_prefixes.claim(&naming::type_prefix(&fn_name));
        let mut operation = Operation {
            loc: op_loc.clone(),
            method: method.clone(),
            path: path.to_string(),
            fn_name,
            type_prefix: type_prefix.clone(),
            doc: op_doc(op),
            deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            params: Arena::new(),
            params_type: None,
            resolved_params: None,
            body: None,
            responses: Arena::new(),
            security: Vec::new(),
            idempotency_key: None,
            pagination: None,
        };
        let what = format!("`{} {path}`", operation.wire_method());
        let summary = op.get("summary").and_then(Value::as_str).map(|s| format!(": {}", s.trim())).unwrap_or_default();
        // Only real paths are templates (webhook names and callback expressions are not).
        let template = path.starts_with('/').then_some(path);
        operation.params = params(lower, (&item_loc, item_obj), (&op_loc, op), &type_prefix, template, diags).into();
        if !operation.params.is_empty() {
            operation.params_type = Some(naming::type_name(&[type_prefix.as_str(), "Params"]));
        }
        let method_path = format!("{} {path}", method.to_ascii_uppercase());
        let source = super::streams::Source { operation_id, method_path: &method_path, items: ctx.options.map(|o| &o.streams.items), root: ctx.root_loc };
        if let Some(b) = op.get("requestBody") {
            operation.body = request_body(lower, &op_loc.join("requestBody"), b, &type_prefix, &source, diags);
        }
        operation.responses = responses(lower, &op_loc, op, &type_prefix, &source, diags).into();
        super::streams::settle(&mut operation, diags);
        operation.idempotency_key = idempotency_key(&operation, ctx.options.map(|o| &o.idempotency));
        for id in operation.body.iter().flat_map(RequestBody::schemas).collect::<Vec<_>>() {
            lower.default_doc(id, format!("Request body of {what}{summary}."));
        }
        for r in &operation.responses {
            if let Some((_, BodyKind::Json(id))) = &r.body {
                let desc = r.doc.as_deref().map(|d| format!(": {}", d.trim())).unwrap_or_default();
                lower.default_doc(*id, format!("Response `{}` of {what}{desc}.", r.status));
            }
        }
        let sec = op.get("security").map(|s| (op_loc.join("security"), s)).or(ctx.root_security.map(|s| (ctx.root_loc.join("security"), s)));
        if let Some((sloc, s)) = sec {
            operation.security = security_requirements(&sloc, s, diags);
        }
        out.push(operation);
    }
}

fn op_doc(op: &Map<String, Value>) -> Option<String> {
    let summary = op.get("summary").and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    let desc = op.get("description").and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    match (summary, desc) {
        (Some(s), Some(d)) if s.trim() != d.trim() => Some(format!("{s}\n\n{d}")),
        (Some(s), _) => Some(s.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    }
}

/// The parameters of the operation `op` (at `op_loc`) of the path item `item`; `template` is
/// the path, when it is one (webhook names and callback expressions are not).
fn params<'a>(
    lower: &mut SchemaLowerer<'a>,
    (item_loc, item): (&Location, &'a Map<String, Value>),
    (op_loc, op): (&Location, &'a Map<String, Value>),
    prefix: &str,
    template: Option<&str>,
    diags: &mut Diagnostics,
) -> Vec<Param> {
    let docs = lower.docs();
    // Path-level parameters first, overridden by operation-level ones with the same name and location.
    let mut by_key: BTreeMap<(ParamIn, String), usize> = BTreeMap::new();
    let mut out: Vec<Param> = Vec::new();
    // Where each of `out` is declared, and in which list (0 path item, 1 operation).
    let mut declared: Vec<(Location, usize)> = Vec::new();
    let mut fields = Scope::default();
    for (level, (loc, list)) in
        [(item_loc.join("parameters"), item.get("parameters")), (op_loc.join("parameters"), op.get("parameters"))].into_iter().enumerate()
    {
        let Some(list) = list else { continue };
        let Some((loc, list)) = container(docs, &loc, list, "the parameter list", diags) else { continue };
        let Some(list) = list.as_array() else {
            diags.error(loc, "`parameters` must be an array");
            continue;
        };
        for (i, p) in list.iter().enumerate() {
            let Some((ploc, p)) = deref(docs, &loc.index(i), p, "the parameter", diags) else { continue };
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => ParamIn::Path,
                Some("query") => ParamIn::Query,
                Some("header") => ParamIn::Header,
                Some("cookie") => ParamIn::Cookie,
                Some("querystring") => ParamIn::QueryString,
                other => {
                    let shown = other.map_or_else(|| "none".to_string(), |o| format!("`{}`", o.escape_debug()));
                    diags.lenient(
                        ploc.join("in"),
                        Policy::Skipped,
                        format!("parameter location {shown} is not path, query, querystring, header or cookie; the parameter is skipped"),
                    );
                    continue;
                }
            };
            if location == ParamIn::Header && ["accept", "content-type", "authorization"].contains(&name.to_ascii_lowercase().as_str()) {
                diags.info(ploc, format!("header parameter `{name}` is handled by the HTTP layer (OpenAPI says it is ignored)"));
                continue;
            }
            let (sloc, schema) = match (p.get("schema"), p.get("content").and_then(Value::as_object)) {
                (Some(s), _) => (ploc.join("schema"), s),
                (None, Some(c)) => match c.iter().next().and_then(|(mt, m)| deref(docs, &ploc.join("content").join(mt), m, "the media type", diags)) {
                    Some((mloc, m)) => (mloc.join("schema"), m.get("schema").unwrap_or(&TRUE_SCHEMA)),
                    None => (ploc.clone(), &TRUE_SCHEMA),
                },
                (None, None) => (ploc.clone(), &TRUE_SCHEMA),
            };
            let dialect = lower.dialect();
            let schema = lower.lower(&sloc, schema, vec![prefix.to_string(), name.clone()], dialect, diags);
            let required = location == ParamIn::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false);
            let default_style = if matches!(location, ParamIn::Query | ParamIn::Cookie) { ParamStyle::Form } else { ParamStyle::Simple };
            let json_content = p.get("content").and_then(Value::as_object).and_then(|c| c.keys().next()).is_some_and(|mt| is_json(mt));
            let style = match p.get("style").and_then(Value::as_str) {
                _ if location == ParamIn::QueryString => match super::oas32::querystring_style(&ploc, p, diags) {
                    Some(style) => style,
                    None => continue,
                },
                _ if json_content => ParamStyle::Json,
                // OpenAPI 3.2's `cookie` style: `name=value` pairs, as `form` reads them.
                Some("cookie") if location == ParamIn::Cookie => ParamStyle::Form,
                None => default_style,
                Some(text) => {
                    let style = ParamStyle::from_openapi(text);
                    let allowed = matches!(
                        (style, location),
                        (Some(ParamStyle::Label | ParamStyle::Matrix | ParamStyle::Simple), ParamIn::Path)
                            | (Some(ParamStyle::Form | ParamStyle::SpaceDelimited | ParamStyle::PipeDelimited | ParamStyle::DeepObject), ParamIn::Query)
                            | (Some(ParamStyle::Simple), ParamIn::Header)
                            | (Some(ParamStyle::Form), ParamIn::Cookie)
                    );
                    match style {
                        Some(s) if allowed => s,
                        _ => {
                            diags.warn(
                                ploc.join("style"),
                                Policy::Skipped,
                                format!("style `{}` is not allowed for a {location:?} parameter; the default style is used", text.escape_debug()),
                            );
                            default_style
                        }
                    }
                }
            };
            let explode = p.get("explode").and_then(Value::as_bool).unwrap_or(style == ParamStyle::Form) && location != ParamIn::QueryString;
            let param = Param {
                ident: String::new(),
                name: name.clone(),
                location,
                required,
                schema,
                doc: p.get("description").and_then(Value::as_str).map(str::to_string),
                style,
                explode,
            };
            match by_key.get(&(location, name.clone())) {
                // Declared twice in one list: the first declaration is kept.
                Some(&idx) if declared[idx].1 == level => {
                    diags.lenient(
                        ploc,
                        Policy::Skipped,
                        format!(
                            "parameter `{}` (in {}) is declared twice in this list; this declaration is ignored (the first, at {}, is kept)",
                            name.escape_debug(),
                            format!("{location:?}").to_lowercase(),
                            declared[idx].0.pointer
                        ),
                    );
                }
                // The operation's declaration overrides the path item's.
                Some(&idx) => {
                    out[idx] = param;
                    declared[idx] = (ploc, level);
                }
                None => {
                    by_key.insert((location, name), out.len());
                    out.push(param);
                    declared.push((ploc, level));
                }
            }
        }
    }
    if let Some(path) = template {
        let names = template_names(path);
        // A path parameter the template does not name can never be sent: it is dropped.
        let mut i = 0;
        while i < out.len() {
            if out[i].location == ParamIn::Path && !names.contains(&out[i].name) {
                diags.lenient(
                    declared[i].0.clone(),
                    Policy::Skipped,
                    format!("path parameter `{}` does not appear in the path `{}`; it is skipped", out[i].name.escape_debug(), path.escape_debug()),
                );
                out.remove(i);
                declared.remove(i);
            } else {
                i += 1;
            }
        }
        // A template variable no parameter declares is read as a required string.
        for name in names {
            if !out.iter().any(|p| p.location == ParamIn::Path && p.name == name) {
                diags.lenient(
                    op_loc.clone(),
                    Policy::Noted,
                    format!(
                        "the path `{}` names `{{{}}}`, which no parameter declares; it is a required string path parameter",
                        path.escape_debug(),
                        name.escape_debug()
                    ),
                );
                let dialect = lower.dialect();
                let schema = lower.lower(
                    &op_loc.join("parameters").join(&format!("{{{name}}}")),
                    &STRING_SCHEMA,
                    vec![prefix.to_string(), name.clone()],
                    dialect,
                    diags,
                );
                out.push(Param {
                    ident: String::new(),
                    name,
                    location: ParamIn::Path,
                    required: true,
                    schema,
                    doc: None,
                    style: ParamStyle::Simple,
                    explode: false,
                });
            }
        }
    }
    super::oas32::one_query_string(op_loc, &mut out, diags);
    for p in &mut out {
        p.ident = fields.claim(&naming::snake(&p.name));
    }
    out
}

/// The schema of a path parameter the template names and no parameter declares.
static STRING_SCHEMA: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| serde_json::json!({"type": "string"}));

/// The variable names of a path template (`/a/{id}/b/{name}.json` -> `id`, `name`), in order,
/// each once; an unclosed `{` ends the scan.
fn template_names(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

/// Picks the media type to type: JSON (or `+json`) first, then the first listed.
fn pick_media(content: &Map<String, Value>) -> Option<(&String, &Value)> {
    content.iter().find(|(mt, _)| is_json(mt)).or_else(|| content.iter().next())
}

/// True for `application/json` and `*/*+json` media types.
pub fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

fn essence(media_type: &str) -> String {
    media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

#[allow(clippy::too_many_arguments, reason = "the lowering context of one media type")]
fn body_kind<'a>(
    lower: &mut SchemaLowerer<'a>,
    loc: &Location,
    mt: &str,
    media: &'a Value,
    hint: Vec<String>,
    request: bool,
    source: &super::streams::Source<'_>,
    diags: &mut Diagnostics,
) -> BodyKind {
    let e = essence(mt);
    if let Some(kind) = super::streams::body_kind(lower, loc, &e, media, &hint, source, diags) {
        return kind;
    }
    let schema = || media.get("schema").unwrap_or(&TRUE_SCHEMA);
    if is_json(mt) {
        let dialect = lower.dialect();
        return BodyKind::Json(lower.lower(&loc.join("schema"), schema(), hint, dialect, diags));
    }
    if request && e == "application/x-www-form-urlencoded" {
        let dialect = lower.dialect();
        return BodyKind::Form(lower.lower(&loc.join("schema"), schema(), hint, dialect, diags));
    }
    if request && e.starts_with("multipart/") {
        if let Some(kind) = super::positional::lower(lower, loc, &e, media, &hint, diags) {
            return kind;
        }
        return match media.get("schema") {
            Some(s) => super::multipart::lower(lower, loc, media, s, hint, diags),
            None => BodyKind::Multipart,
        };
    }
    if e.starts_with("text/") && !e.contains('*') {
        return BodyKind::Text;
    }
    BodyKind::Raw
}

fn request_body<'a>(
    lower: &mut SchemaLowerer<'a>,
    loc: &Location,
    b: &'a Value,
    prefix: &str,
    source: &super::streams::Source<'_>,
    diags: &mut Diagnostics,
) -> Option<RequestBody> {
    let (loc, b) = deref(lower.docs(), loc, b, "the request body", diags)?;
    let content = b.get("content").and_then(Value::as_object)?;
    if content.is_empty() {
        return None;
    }
    let many = content.len() > 1;
    let mut variants = Scope::default();
    let contents = content
        .iter()
        .map(|(mt, media)| {
            let variant = variants.claim(&naming::media_variant(mt));
            let mut hint = vec![prefix.to_string(), "Request".into()];
            if many {
                hint.push(variant.clone());
            }
            let kind = match deref(lower.docs(), &loc.join("content").join(mt), media, "the media type", diags) {
                Some((mloc, media)) => body_kind(lower, &mloc, mt, media, hint, true, source, diags),
                None => BodyKind::Raw,
            };
            Content { media_type: mt.clone(), kind, variant }
        })
        .collect();
    Some(RequestBody {
        required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
        contents,
        enum_name: many.then(|| naming::type_name(&[prefix, "Body"])),
        resolved: None,
    })
}

fn responses<'a>(
    lower: &mut SchemaLowerer<'a>,
    op_loc: &Location,
    op: &'a Map<String, Value>,
    prefix: &str,
    source: &super::streams::Source<'_>,
    diags: &mut Diagnostics,
) -> Vec<Response> {
    let mut out = Vec::new();
    let Some(rs) = op.get("responses") else { return out };
    let rloc = op_loc.join("responses");
    let Some(rs) = rs.as_object() else {
        diags.error(rloc, "`responses` must be an object");
        return out;
    };
    let mut variants = Scope::default();
    let mut seen = std::collections::BTreeSet::new();
    for (status, r) in rs {
        if status.starts_with("x-") {
            continue;
        }
        // Bytes, not string slices: a key like `€` must not be cut inside a character. Codes
        // start at 100 (`StatusCode` has nothing below).
        let valid = status == "default"
            || matches!(status.as_bytes(), [b'1'..=b'9', b, c] if (b.is_ascii_digit() && c.is_ascii_digit()) || b"XX".eq_ignore_ascii_case(&[*b, *c]));
        if !valid {
            diags.lenient(
                rloc.join(status),
                Policy::Skipped,
                format!("`{status}` is not a status code (100 to 999), a range like `4XX`, or `default`; the response is skipped"),
            );
            continue;
        }
        // `2XX` and `2xx` are one range: a second arm for it would be unreachable.
        if !seen.insert(status.to_ascii_uppercase()) {
            diags.warn(rloc.join(status), Policy::Skipped, format!("`{status}` repeats a status documented under another spelling; the response is skipped"));
            continue;
        }
        let Some((loc, r)) = deref(lower.docs(), &rloc.join(status), r, "the response", diags) else { continue };
        let body = r.get("content").and_then(Value::as_object).and_then(|c| {
            let (mt, media) = pick_media(c)?;
            if c.len() > 1 {
                let others: Vec<&str> = c.keys().filter(|k| *k != mt).map(String::as_str).collect();
                diags.info(loc.join("content"), format!("the `{status}` response is typed as `{mt}`; also documented: {} (not typed)", others.join(", ")));
            }
            let (mloc, media) = deref(lower.docs(), &loc.join("content").join(mt), media, "the media type", diags)?;
            let kind = body_kind(lower, &mloc, mt, media, vec![prefix.to_string(), "Response".into(), status.clone()], false, source, diags);
            Some((mt.clone(), kind))
        });
        let variant = variants.claim(&naming::status_variant(status));
        let mut headers = Vec::new();
        let mut fields = Scope::default();
        for (name, h) in r.get("headers").and_then(Value::as_object).into_iter().flatten() {
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            let Some((hloc, h)) = deref(lower.docs(), &loc.join("headers").join(name), h, "the header", diags) else { continue };
            let media = h.get("content").and_then(Value::as_object).and_then(|c| c.iter().next());
            let media = media.and_then(|(mt, m)| deref(lower.docs(), &hloc.join("content").join(mt), m, "the media type", diags));
            let (sloc, schema) = match (h.get("schema"), media) {
                (Some(s), _) => (hloc.join("schema"), s),
                (None, Some((mloc, m))) => (mloc.join("schema"), m.get("schema").unwrap_or(&TRUE_SCHEMA)),
                (None, None) => (hloc.clone(), &TRUE_SCHEMA),
            };
            let dialect = lower.dialect();
            let hint = vec![prefix.to_string(), variant.clone(), name.clone()];
            let schema = lower.lower(&sloc, schema, hint, dialect, diags);
            headers.push(ResponseHeader {
                name: name.clone(),
                ident: fields.claim(&naming::snake(name)),
                schema,
                doc: h.get("description").and_then(Value::as_str).map(str::to_string),
            });
        }
        let headers_type = (!headers.is_empty()).then(|| naming::type_name(&[prefix, variant.as_str(), "Headers"]));
        out.push(Response {
            status: status.clone(),
            variant,
            // OpenAPI 3.2 `summary` stands in for a missing `description`.
            doc: r.get("description").or_else(|| r.get("summary")).and_then(Value::as_str).map(str::to_string),
            body,
            headers,
            headers_type,
        });
    }
    out.sort_by_key(|r| (r.status == "default", r.status.to_ascii_uppercase()));
    out
}

fn security_requirements(loc: &Location, s: &Value, diags: &mut Diagnostics) -> Vec<SecurityAlternative> {
    let Some(list) = s.as_array() else {
        diags.error(loc.clone(), "`security` must be an array of requirement objects");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, req) in list.iter().enumerate() {
        let Some(req) = req.as_object() else {
            diags.error(loc.index(i), "a security requirement must be an object");
            continue;
        };
        let alt: SecurityAlternative = req
            .iter()
            .map(|(name, scopes)| {
                let scopes = scopes.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
                (name.clone(), scopes)
            })
            .collect();
        out.push(alt);
    }
    out
}

/// Reads `components/securitySchemes`.
pub fn security_schemes(docs: &Documents, root_loc: &Location, root: &Value, diags: &mut Diagnostics) -> BTreeMap<String, SchemeKind> {
    let mut out = BTreeMap::new();
    let Some(map) = root.pointer("/components/securitySchemes").and_then(Value::as_object) else { return out };
    let base = root_loc.join("components").join("securitySchemes");
    for (name, s) in map {
        let Some((loc, s)) = deref(docs, &base.join(name), s, "the security scheme", diags) else { continue };
        let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let kind = match field("type").as_str() {
            "http" => match field("scheme").to_ascii_lowercase().as_str() {
                "bearer" => SchemeKind::Bearer,
                "basic" => SchemeKind::Basic,
                other => SchemeKind::OtherHttp(other.to_string()),
            },
            "oauth2" | "openIdConnect" => SchemeKind::Bearer,
            "apiKey" => match field("in").as_str() {
                "header" => SchemeKind::ApiKeyHeader(field("name")),
                "query" => SchemeKind::ApiKeyQuery(field("name")),
                "cookie" => SchemeKind::ApiKeyCookie(field("name")),
                other => {
                    diags.error(loc.join("in"), format!("apiKey location `{other}` must be header, query or cookie"));
                    continue;
                }
            },
            "mutualTLS" => SchemeKind::MutualTls,
            other => {
                diags.error(loc.join("type"), format!("unknown security scheme type `{other}`"));
                continue;
            }
        };
        out.insert(name.clone(), kind);
    }
    out
}

/// The idempotency key an operation takes: a header parameter named like the configured header
/// (case-insensitively), or, with `unsafe-methods`, the configured name for POST and PATCH.
fn idempotency_key(op: &Operation, config: Option<&crate::options::Idempotency>) -> Option<IdempotencyKey> {
    let default = crate::options::Idempotency::default();
    let config = config.unwrap_or(&default);
    if let Some(i) = op.params.position(|p| p.location == ParamIn::Header && p.name.eq_ignore_ascii_case(&config.header)) {
        return Some(IdempotencyKey { header: op.params[i].name.clone(), param: Some(i) });
    }
    let unsafe_method = matches!(op.method.as_str(), "post" | "patch");
    (config.operations == crate::options::IdempotencyScope::UnsafeMethods && unsafe_method)
        .then(|| IdempotencyKey { header: config.header.clone(), param: None })
}

#[cfg(test)]
mod reserved_tests {
    /// The names of the methods of the runtime's `Connection` (the generated `Client` derefs to
    /// it and its builders have the same names), read with `syn`.
    fn client_methods() -> Vec<String> {
        let file: syn::File = syn::parse_str(include_str!("../../../runtime/src/client.rs")).expect("runtime parses");
        let mut out = Vec::new();
        for item in file.items {
            if let syn::Item::Impl(imp) = item {
                let is_client = matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Connection"));
                if is_client && imp.trait_.is_none() {
                    out.extend(imp.items.iter().filter_map(|i| match i {
                        syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                        _ => None,
                    }));
                }
            }
        }
        out
    }

    #[test]
    fn every_client_support_method_is_reserved() {
        let methods = client_methods();
        assert!(methods.len() >= 10, "{methods:?}");
        for m in methods {
            assert!(super::RESERVED_METHODS.contains(&m.as_str()), "`{m}` of the client template is not in RESERVED_METHODS");
        }
    }
}

#[cfg(test)]
mod idempotency_tests {
    use crate::ir::ParamId;
    use crate::options::{IdempotencyScope, Options};

    fn keys(options: &Options) -> Vec<(String, Option<String>, Option<ParamId>)> {
        let spec = serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
            "/a": {
                "post": {"operationId": "declared", "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}, {"name": "idempotency-key", "in": "header", "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}},
                "patch": {"operationId": "undeclared", "responses": {"200": {"description": "ok"}}},
                "get": {"operationId": "safe", "responses": {"200": {"description": "ok"}}}
            }
        }});
        let docs = crate::load::Documents::from_value("spec.json", spec);
        let mut diags = crate::diagnostics::Diagnostics::new(false);
        let ir = crate::ir::Ir::build(&docs, options, &mut diags);
        let mut out: Vec<_> = ir
            .operations
            .iter()
            .map(|o| (o.fn_name.clone(), o.idempotency_key.as_ref().map(|k| k.header.clone()), o.idempotency_key.as_ref().and_then(|k| k.param)))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_declared_header_is_found_case_insensitively_and_unsafe_methods_opt_in() {
        let declared = ("declared".to_string(), Some("idempotency-key".to_string()), Some(ParamId::from_index(1)));
        assert_eq!(keys(&Options::default()), vec![declared.clone(), ("safe".into(), None, None), ("undeclared".into(), None, None)]);
        let mut all = Options::default();
        all.idempotency.operations = IdempotencyScope::UnsafeMethods;
        assert_eq!(keys(&all), vec![declared, ("safe".into(), None, None), ("undeclared".into(), Some("Idempotency-Key".into()), None)]);
        let mut renamed = Options::default();
        renamed.idempotency.header = "X-Request-Key".into();
        assert!(keys(&renamed).iter().all(|k| k.1.is_none()));
    }
}
