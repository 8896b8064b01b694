//! `POST /v1/room-token` written by hand on axum 0.8, doing what spec/openapi.json asks of that
//! operation: bearer authentication (401 with `WWW-Authenticate: Bearer`), a JSON body
//! (415 otherwise, 413 past 1 MiB, 400 when absent), every constraint the spec states on the
//! body (`from_number` and `to_number` required strings matching `^\+[1-9]\d{1,14}$`,
//! `ttl_seconds` an integer in 30..=600, no other member), the spec's error envelope
//! `{"error": {"code", "message", "fields"}}` with the same codes and messages as the generated
//! router, and the same 200 body.
//!
//! Like the generated router it reads a valid body straight into its type (serde) and checks the
//! typed value; a body that does not read that way is parsed into a `serde_json::Value` and
//! checked member by member to say what is wrong. What it does not do, and the generated router
//! does: request ids and the tracing span, header count and size limits (431), body and handler
//! timeouts, the `Idempotency-Key` parameter, refusing duplicate object members and JSON nested
//! deeper than 64 levels (serde_json's own limit of 128 applies here). None of these is a rule of
//! the spec for this body.

use std::collections::BTreeMap;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest body accepted, in bytes (the generated router's default).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The body, read directly when it is valid JSON of the right shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomTokenRequest {
    from_number: String,
    to_number: String,
    /// `null` is not an integer: present means a number.
    #[serde(default, deserialize_with = "present")]
    ttl_seconds: Option<i64>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    i64::deserialize(d).map(Some)
}

#[derive(Debug, Serialize)]
struct RoomTokenResponse {
    data: RoomToken,
}

#[derive(Debug, Serialize)]
struct RoomToken {
    token: &'static str,
    room_url: &'static str,
    room_name: &'static str,
    call_id: &'static str,
    expires_in: f64,
    from_number: String,
    to_number: String,
}

#[derive(Debug, Serialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: BTreeMap<String, String>,
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>, fields: BTreeMap<String, String>) -> Response {
    json(status, &ErrorEnvelope { error: ErrorBody { code, message: message.into(), fields } })
}

/// A 400 for broken rules: `(path, message)`, the path empty for the whole body.
fn invalid(problems: Vec<(String, String)>) -> Response {
    let message = match problems.as_slice() {
        [(path, m)] if path.is_empty() => format!("the request is invalid: {m}"),
        [(path, m)] => format!("the request is invalid: {path}: {m}"),
        many => format!("the request is invalid: {} problems", many.len()),
    };
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (path, m) in problems.into_iter().filter(|(p, _)| !p.is_empty()) {
        match fields.get_mut(&path) {
            Some(all) => {
                all.push_str("; ");
                all.push_str(&m);
            }
            None => {
                fields.insert(path, m);
            }
        }
    }
    error(StatusCode::BAD_REQUEST, "validation_error", message, fields)
}

/// `Authorization: Bearer <token>`: the token, or why the request is refused.
fn bearer(headers: &HeaderMap) -> Result<&str, String> {
    let Some(raw) = headers.get(header::AUTHORIZATION) else { return Err("missing credentials".into()) };
    let Ok(text) = raw.to_str() else { return Err("the Authorization header is not valid text".into()) };
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(format!("expected a Bearer credential, got `{scheme}`"));
    }
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Err("the Bearer token is empty or malformed".into());
    }
    Ok(token)
}

/// `^\+[1-9]\d{1,14}$`: a plus, a digit 1-9, then 1 to 14 ASCII digits.
fn is_phone(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=16).contains(&b.len()) && b[0] == b'+' && (b'1'..=b'9').contains(&b[1]) && b[2..].iter().all(u8::is_ascii_digit)
}

const PHONE: &str = r"must match the pattern ^\+[1-9]\d{1,14}$";

fn is_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0),
        _ => false,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(v) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn ttl_range(n: f64, out: &mut Vec<(String, String)>) {
    if n < 30.0 {
        out.push(("ttl_seconds".into(), "must be at least 30".into()));
    } else if n > 600.0 {
        out.push(("ttl_seconds".into(), "must be at most 600".into()));
    }
}

/// Every rule the spec states on the body, checked on a parsed value.
fn check(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(o) = value.as_object() else {
        out.push((String::new(), format!("expected object, found {}", type_name(value))));
        return out;
    };
    for name in ["from_number", "to_number"] {
        if !o.contains_key(name) {
            out.push((name.to_string(), "is required".into()));
        }
    }
    for name in ["from_number", "to_number"] {
        match o.get(name) {
            None => {}
            Some(Value::String(s)) if is_phone(s) => {}
            Some(Value::String(_)) => out.push((name.to_string(), PHONE.into())),
            Some(v) => out.push((name.to_string(), format!("expected string, found {}", type_name(v)))),
        }
    }
    if let Some(v) = o.get("ttl_seconds") {
        if !is_integer(v) {
            out.push(("ttl_seconds".into(), format!("expected integer, found {}", type_name(v))));
        }
        if let Some(n) = v.as_f64() {
            ttl_range(n, &mut out);
        }
    }
    for key in o.keys() {
        if !matches!(key.as_str(), "from_number" | "to_number" | "ttl_seconds") {
            out.push((key.clone(), "is not allowed (unknown property)".into()));
        }
    }
    out
}

fn ok(body: RoomTokenRequest) -> Response {
    let a = crate::answer(body.ttl_seconds);
    let data = RoomToken {
        token: a.token,
        room_url: a.room_url,
        room_name: a.room_name,
        call_id: a.call_id,
        expires_in: a.expires_in,
        from_number: body.from_number,
        to_number: body.to_number,
    };
    json(StatusCode::OK, &RoomTokenResponse { data })
}

/// The typed read of a valid body: `None` when the text is not one (the checks then say why).
fn read_valid(bytes: &[u8]) -> Option<RoomTokenRequest> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let body: RoomTokenRequest = serde_json::from_slice(bytes).ok()?;
    let ttl_ok = body.ttl_seconds.is_none_or(|t| (30..=600).contains(&t));
    (is_phone(&body.from_number) && is_phone(&body.to_number) && ttl_ok).then_some(body)
}

/// `POST /v1/room-token`.
pub async fn room_token(request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(message) = bearer(&parts.headers) {
        let mut response = error(StatusCode::UNAUTHORIZED, "unauthorized", message, BTreeMap::new());
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let essence = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let is_json = essence.as_deref() == Some("application/json");
    let length = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let unsupported =
        || error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "the request body must be sent as `application/json`", BTreeMap::new());
    if !is_json && length.is_some_and(|n| n > 0) {
        return unsupported();
    }
    let too_large =
        || error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("the request body is larger than {BODY_LIMIT} bytes"), BTreeMap::new());
    if length.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else { return too_large() };
    if bytes.is_empty() {
        return invalid(vec![(String::new(), "the request body is required".into())]);
    }
    if !is_json {
        return unsupported();
    }
    if let Some(body) = read_valid(&bytes) {
        return ok(body);
    }
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, "validation_error", format!("the request body is not valid JSON: {e}"), BTreeMap::new()),
    };
    let problems = check(&value);
    if !problems.is_empty() {
        return invalid(problems);
    }
    let text = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let ttl_seconds = value.get("ttl_seconds").and_then(Value::as_f64).map(|n| n as i64);
    ok(RoomTokenRequest { from_number: text("from_number"), to_number: text("to_number"), ttl_seconds })
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such resource", BTreeMap::new())
}

async fn method_not_allowed() -> Response {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed for this resource (allowed: POST)", BTreeMap::new());
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// The hand-written router: the one operation, the spec's envelope for unknown paths and methods.
pub fn router() -> axum::Router {
    axum::Router::new()
        .route("/v1/room-token", axum::routing::post(room_token))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::disable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers() {
        for good in ["+14155550100", "+12", "+123456789012345"] {
            assert!(is_phone(good), "{good}");
        }
        for bad in ["14155550100", "+04155550100", "+1", "+1234567890123456", "+1415555010a", "+١٣٣٣", " +14155550100"] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn messages_for_many_problems_join_per_path() {
        let problems = check(&serde_json::json!({"to_number": 5, "ttl_seconds": 10.5, "x": 1}));
        assert_eq!(
            problems,
            vec![
                ("from_number".to_string(), "is required".to_string()),
                ("to_number".to_string(), "expected string, found integer".to_string()),
                ("ttl_seconds".to_string(), "expected integer, found number".to_string()),
                ("ttl_seconds".to_string(), "must be at least 30".to_string()),
                ("x".to_string(), "is not allowed (unknown property)".to_string()),
            ]
        );
    }
}
