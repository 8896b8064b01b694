//! Webhooks and callbacks in the IR: operations the API *sends* (OpenAPI 3.1 `webhooks`, and
//! the `callbacks` of operations), lowered like path operations and kept apart from them
//! ([`Ir::hooks`](super::Ir::hooks)), with where the receiver mounts each one and, for a
//! callback, the runtime expression its URL comes from.

use super::Operation;

/// A webhook or callback operation.
#[derive(Debug, Clone)]
pub struct Hook {
    /// The operation. Its `path` is where the generated receiver mounts it by default
    /// (`/webhooks/<name>`, `/callbacks/<operation>/<name>`): the spec gives a webhook no URL,
    /// and a callback's is the sender's business; its `fn_name` and `type_prefix` are prefixed
    /// (`webhook_`, `callback_`), so they never collide with path operations'.
    pub op: Operation,
    /// Which kind it is.
    pub kind: HookKind,
}

/// A webhook, or a callback with its URL expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookKind {
    /// `webhooks/<name>/<method>`: the sender posts to a URL its user gives.
    Webhook {
        /// The webhook's name in the spec.
        name: String,
    },
    /// `paths/../<method>/callbacks/<name>/<expression>/<method>`.
    Callback {
        /// The method name of the operation that declares it.
        parent: String,
        /// The callback's name in the spec.
        name: String,
        /// The URL's runtime expression as the spec writes it (`{$request.body#/callbackUrl}`).
        expression: String,
        /// The expression read into parts, when every part is one the generated helper
        /// evaluates from the original request (`None`: the sender is given the URL only).
        url: Option<Vec<UrlPart>>,
    },
}

/// One part of a callback URL expression (OpenAPI 3.x "Runtime Expressions").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlPart {
    /// Text as written.
    Literal(String),
    /// `$url`: the original request's URL.
    Url,
    /// `$method`: the original request's method.
    Method,
    /// `$request.path.<name>`.
    Path(String),
    /// `$request.query.<name>`.
    Query(String),
    /// `$request.header.<name>` (case-insensitive).
    Header(String),
    /// `$request.body#<pointer>` (a JSON pointer; empty for the whole body).
    Body(String),
}

impl Hook {
    /// True for a webhook.
    pub fn is_webhook(&self) -> bool {
        matches!(self.kind, HookKind::Webhook { .. })
    }
}

/// Reads a callback URL expression into parts: a bare expression (`$request.body#/url`) or a
/// template with `{expression}` parts (`https://{$request.query.host}/hook`). `Err` names
/// what no helper evaluates (a `$response.` or `$statusCode` expression, an unknown source, an
/// unclosed brace).
pub fn parse_expression(text: &str) -> Result<Vec<UrlPart>, String> {
    if text.starts_with('$') {
        return Ok(vec![one_expression(text)?]);
    }
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { return Err("an unclosed `{`".into()) };
        if open > 0 {
            parts.push(UrlPart::Literal(rest[..open].to_string()));
        }
        parts.push(one_expression(&rest[open + 1..open + close])?);
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        parts.push(UrlPart::Literal(rest.to_string()));
    }
    Ok(parts)
}

fn one_expression(e: &str) -> Result<UrlPart, String> {
    let named = |prefix: &str| e.strip_prefix(prefix).filter(|n| !n.is_empty()).map(str::to_string);
    if e == "$url" {
        return Ok(UrlPart::Url);
    }
    if e == "$method" {
        return Ok(UrlPart::Method);
    }
    if let Some(n) = named("$request.path.") {
        return Ok(UrlPart::Path(n));
    }
    if let Some(n) = named("$request.query.") {
        return Ok(UrlPart::Query(n));
    }
    if let Some(n) = named("$request.header.") {
        return Ok(UrlPart::Header(n));
    }
    if e == "$request.body" {
        return Ok(UrlPart::Body(String::new()));
    }
    if let Some(p) = e.strip_prefix("$request.body#") {
        return if p.is_empty() || p.starts_with('/') {
            Ok(UrlPart::Body(p.to_string()))
        } else {
            Err(format!("`{}` is not a JSON pointer", p.escape_debug()))
        };
    }
    Err(format!("`{}` is not a request expression the generated helper evaluates", e.escape_debug()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_read_into_parts() {
        assert_eq!(parse_expression("{$request.body#/callbackUrl}"), Ok(vec![UrlPart::Body("/callbackUrl".into())]));
        assert_eq!(parse_expression("$request.body#/a~1b"), Ok(vec![UrlPart::Body("/a~1b".into())]));
        assert_eq!(
            parse_expression("http://{$request.header.Host}/hooks/{$request.path.id}?m={$method}"),
            Ok(vec![
                UrlPart::Literal("http://".into()),
                UrlPart::Header("Host".into()),
                UrlPart::Literal("/hooks/".into()),
                UrlPart::Path("id".into()),
                UrlPart::Literal("?m=".into()),
                UrlPart::Method,
            ])
        );
        assert_eq!(parse_expression("{$url}/done"), Ok(vec![UrlPart::Url, UrlPart::Literal("/done".into())]));
        assert_eq!(parse_expression("{$request.query.queryUrl}"), Ok(vec![UrlPart::Query("queryUrl".into())]));
    }

    fn lowered(spec: serde_json::Value) -> (crate::ir::Ir, Vec<crate::Diagnostic>) {
        let docs = crate::load::Documents::from_value("spec.json", spec);
        let mut diags = crate::diagnostics::Diagnostics::new(false);
        let ir = crate::ir::Ir::build(&docs, &crate::Options::default(), &mut diags);
        (ir, diags.into_sorted())
    }

    #[test]
    fn routes_keep_to_one_safe_segment_per_name() {
        assert_eq!(crate::naming::hook_route(&["webhooks", "a/b?c={d}#e"]), "/webhooks/a-b-c--d--e");
        assert_eq!(crate::naming::hook_route(&["webhooks", ""]), "/webhooks/_");
        assert_eq!(crate::naming::hook_route(&["webhooks", ".."]), "/webhooks/_");
        assert_eq!(crate::naming::hook_route(&["callbacks", "op", "€x"]), "/callbacks/op/-x");
    }

    #[test]
    fn webhooks_and_callbacks_are_operations_apart_with_prefixed_names_and_safe_routes() {
        let ok = serde_json::json!({"200": {"description": "ok"}});
        let (ir, diags) = lowered(serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": {"operationId": "webhookNewPet", "responses": ok,
                "callbacks": {"on/../Done": {
                    "{$request.query.to}": {"post": {"responses": ok}},
                    "{$response.body#/url}": {"put": {"operationId": "late", "responses": ok}}
                }}}}},
            "webhooks": {
                "new pet": {"post": {"parameters": [{"name": "n", "in": "query", "schema": {"type": "integer"}}], "responses": ok}},
                "..": {"post": {"responses": ok}, "put": {"responses": ok}}
            }
        }));
        // The path operation keeps its name; the webhook that would take it is numbered.
        assert_eq!(ir.operations.iter().map(|o| o.fn_name.as_str()).collect::<Vec<_>>(), ["webhook_new_pet"]);
        let names: Vec<(&str, &str, &str)> = ir.hooks.iter().map(|h| (h.op.fn_name.as_str(), h.op.method.as_str(), h.op.path.as_str())).collect();
        assert_eq!(
            names,
            [
                ("webhook_new_pet2", "post", "/webhooks/new-pet"),
                ("webhook_post", "post", "/webhooks/_"),
                ("webhook_put", "put", "/webhooks/_"),
                ("callback_webhook_new_pet_on_done", "post", "/callbacks/webhook_new_pet/on-..-Done"),
                ("callback_late", "put", "/callbacks/webhook_new_pet/on-..-Done"),
            ]
        );
        assert!(ir.hooks[0].op.params_type.as_deref().is_some_and(|p| p.starts_with("WebhookNewPet2")), "{:?}", ir.hooks[0].op.params_type);
        // Two callbacks of one method at one path: the second is numbered.
        let (ir2, _) = lowered(serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": {"operationId": "a", "responses": ok, "callbacks": {"cb": {"{$url}": {"post": {"responses": ok}}, "{$method}": {"post": {"responses": ok}}}}}}}}));
        let routes: Vec<&str> = ir2.hooks.iter().map(|h| h.op.path.as_str()).collect();
        assert_eq!(routes, ["/callbacks/a/cb", "/callbacks/a/cb2"]);
        assert_eq!(
            ir.hooks[3].kind,
            HookKind::Callback {
                parent: "webhook_new_pet".into(),
                name: "on/../Done".into(),
                expression: "{$request.query.to}".into(),
                url: Some(vec![UrlPart::Query("to".into())])
            }
        );
        assert!(matches!(&ir.hooks[4].kind, HookKind::Callback { url: None, .. }));
        // No warning; the expression no helper evaluates is an info located at it.
        assert!(diags.iter().all(|d| d.severity != crate::Severity::Warning && d.severity != crate::Severity::Error), "{diags:?}");
        assert!(diags.iter().any(|d| d.location.pointer.contains("response.body") && d.message.contains("no helper")), "{diags:?}");
    }

    #[test]
    fn what_no_helper_evaluates_is_an_error() {
        assert!(parse_expression("{$response.body#/url}").is_err());
        assert!(parse_expression("{$statusCode}").is_err());
        assert!(parse_expression("http://x/{$request.body#url}").is_err());
        assert!(parse_expression("http://x/{$url").is_err());
        assert!(parse_expression("{$request.query.}").is_err());
    }
}
