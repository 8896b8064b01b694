//! The axum server's runtime (feature `server`): what the generated `Api` trait and router build
//! on: request context, credentials and the security-alternative walk, rejections and their
//! error envelopes, limits, parameter styles and coercion, media types, bodies, route matching.
//!
//! Rejection policy: every request the router refuses (431, 404, 405, 401, 403, 415, 413, 408,
//! 400, 503) and every handler error (500, 501) becomes a [`Rejection`], which the generated
//! `Api::rejection_response` turns into the response. The default writes the spec's error
//! schema when it is recognised (`{"error": {"code", "message", "fields"}}` or a flat
//! `{"code", "message", "fields"}`) and that envelope otherwise; override the hook to produce
//! another shape. The protocol headers of a rejection (`Allow` on 405, `WWW-Authenticate` on
//! 401, `Retry-After` on 503, `Connection: close` on 408) are added after the hook, unless the
//! hook's response already has them. Limits are fields of [`RouterConfig`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::{InstancePath, Violation};

/// What a handler gets besides its typed inputs: the request line, headers and extensions.
#[derive(Debug)]
pub struct RequestContext {
    /// The HTTP method.
    pub method: Method,
    /// The request URI.
    pub uri: Uri,
    /// All request headers.
    pub headers: HeaderMap,
    /// Request extensions (set by tower layers in front of the router).
    pub extensions: Extensions,
    /// The request id: the request's `x-request-id` when it is visible ASCII within
    /// [`RouterConfig::request_id_max_len`], else a generated one; on every response.
    pub request_id: String,
}

/// Credentials found in a request for one security scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer <token>` (http bearer, oauth2, openIdConnect).
    Bearer(String),
    /// `Authorization: Basic <base64(user:password)>`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An API key from a header, query parameter or cookie.
    ApiKey(String),
    /// Another `Authorization` scheme (`Digest ...`): the text after the scheme name.
    Http {
        /// The scheme name as sent.
        scheme: String,
        /// The rest of the header.
        value: String,
    },
    /// Mutual TLS: nothing is visible at the HTTP layer.
    MutualTls,
    /// The operation requires a scheme the spec names but does not define (a flaw the
    /// generator warned about): decide from the request's headers (`RequestContext::headers`).
    Undefined,
}

/// What the auth hook is asked: which scheme, which credentials, which scopes.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// The security scheme's name in the spec (`bearerAuth`).
    pub scheme: &'static str,
    /// The credentials the request carried for it.
    pub credentials: Credentials,
    /// The scopes the operation requires from this scheme.
    pub scopes: &'static [&'static str],
    /// The operation's method name.
    pub operation: &'static str,
}

/// The auth hook's refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection {
    status: StatusCode,
    message: String,
}

impl AuthRejection {
    /// 401: the credentials are not valid.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        AuthRejection { status: StatusCode::UNAUTHORIZED, message: message.into() }
    }

    /// 403: valid credentials without the required rights (scopes).
    pub fn forbidden(message: impl Into<String>) -> Self {
        AuthRejection { status: StatusCode::FORBIDDEN, message: message.into() }
    }
}

/// An error from a handler; the router turns it into a 500 (or 501) in the spec's error shape.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// A 500 with a message for the client (the source stays server-side).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: message.into(), source: None }
    }

    /// The default of every operation: 501.
    pub fn not_implemented(operation: &str) -> Self {
        ApiError { status: StatusCode::NOT_IMPLEMENTED, message: format!("operation `{operation}` is not implemented"), source: None }
    }

    /// The HTTP status the router answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The underlying error, if any.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: "internal server error".into(), source: Some(Box::new(e)) }
    }
}

/// Why the router refused a request (or a handler failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 404: no route.
    NotFound,
    /// 405: the path exists with other methods.
    MethodNotAllowed {
        /// The methods the path has (the `Allow` header).
        allow: Vec<&'static str>,
    },
    /// 431: more header fields, or more header bytes, than [`RouterConfig`] allows.
    HeadersTooLarge(String),
    /// 408: the body did not arrive within [`RouterConfig::body_timeout`].
    RequestTimeout {
        /// The time allowed.
        after: Duration,
    },
    /// 503: the handler missed [`RouterConfig::handler_timeout`], or the concurrency limit shed
    /// the request; the response has `Retry-After`.
    Unavailable {
        /// The message for the client.
        message: String,
        /// Seconds for `Retry-After`.
        retry_after: u64,
    },
    /// 401: missing, malformed or refused credentials.
    Unauthorized(String),
    /// 403: the auth hook refused the rights.
    Forbidden(String),
    /// 415: the body's media type is not the documented one.
    UnsupportedMediaType {
        /// The documented media type.
        expected: &'static str,
    },
    /// 413: the body is larger than [`RouterConfig::body_limit`].
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 400: the request is malformed or breaks the schema; `violations` has every broken rule.
    BadRequest {
        /// A summary.
        message: String,
        /// Every violation (empty for errors about the whole body, such as malformed JSON).
        violations: Vec<Violation>,
    },
    /// An idempotency key reused with another request, or still in progress (409 and
    /// `idempotency_conflict` by default, see `IdempotencyConfig`).
    Conflict {
        /// The status.
        status: StatusCode,
        /// The error code.
        code: &'static str,
        /// The message for the client.
        message: String,
    },
    /// 500 or 501 from a handler.
    Handler {
        /// The status.
        status: StatusCode,
        /// The message for the client.
        message: String,
    },
}

impl Rejection {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::NotFound => StatusCode::NOT_FOUND,
            Rejection::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Rejection::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Rejection::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Rejection::Forbidden(_) => StatusCode::FORBIDDEN,
            Rejection::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Rejection::Handler { status, .. } | Rejection::Conflict { status, .. } => *status,
        }
    }

    /// A machine-readable code (`validation_error`, `unauthorized`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotFound => "not_found",
            Rejection::MethodNotAllowed { .. } => "method_not_allowed",
            Rejection::HeadersTooLarge(_) => "request_header_fields_too_large",
            Rejection::RequestTimeout { .. } => "request_timeout",
            Rejection::Unavailable { .. } => "service_unavailable",
            Rejection::Unauthorized(_) => "unauthorized",
            Rejection::Forbidden(_) => "forbidden",
            Rejection::UnsupportedMediaType { .. } => "unsupported_media_type",
            Rejection::PayloadTooLarge { .. } => "payload_too_large",
            Rejection::BadRequest { .. } => "validation_error",
            Rejection::Conflict { code, .. } => code,
            Rejection::Handler { status, .. } if *status == StatusCode::NOT_IMPLEMENTED => "not_implemented",
            Rejection::Handler { .. } => "internal_error",
        }
    }

    /// A human-readable message.
    pub fn message(&self) -> String {
        match self {
            Rejection::NotFound => "no such resource".into(),
            Rejection::MethodNotAllowed { allow } => format!("method not allowed for this resource (allowed: {})", allow.join(", ")),
            Rejection::HeadersTooLarge(m) | Rejection::Unauthorized(m) | Rejection::Forbidden(m) | Rejection::Unavailable { message: m, .. } => m.clone(),
            Rejection::RequestTimeout { after } => format!("the request body was not received within {} ms", after.as_millis()),
            Rejection::UnsupportedMediaType { expected } => format!("the request body must be sent as `{expected}`"),
            Rejection::PayloadTooLarge { limit } => format!("the request body is larger than {limit} bytes"),
            Rejection::BadRequest { message, .. } | Rejection::Handler { message, .. } | Rejection::Conflict { message, .. } => message.clone(),
        }
    }

    /// One entry per instance path (`items/2/name`), messages for the same path joined by `; `.
    pub fn fields(&self) -> BTreeMap<String, String> {
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        if let Rejection::BadRequest { violations, .. } = self {
            for v in violations.iter().filter(|v| !v.path.is_empty()) {
                fields
                    .entry(v.path.clone())
                    .and_modify(|m| {
                        m.push_str("; ");
                        m.push_str(&v.message);
                    })
                    .or_insert_with(|| v.message.clone());
            }
        }
        fields
    }

    /// A 400 for schema violations.
    pub fn validation(violations: Vec<Violation>) -> Self {
        let message = match violations.as_slice() {
            [one] => format!("the request is invalid: {one}"),
            many => format!("the request is invalid: {} problems", many.len()),
        };
        Rejection::BadRequest { message, violations }
    }
}

impl From<ApiError> for Rejection {
    fn from(e: ApiError) -> Self {
        Rejection::Handler { status: e.status, message: e.message }
    }
}

impl From<AuthRejection> for Rejection {
    fn from(r: AuthRejection) -> Self {
        if r.status == StatusCode::FORBIDDEN { Rejection::Forbidden(r.message) } else { Rejection::Unauthorized(r.message) }
    }
}

/// The shape of the error body of rejections, recognised in the spec's error schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{"error": {"code", "message", "fields"}}` (also the shape when none is recognised).
    Envelope,
    /// `{"code", "message", "fields"}`.
    Flat,
    /// RFC 9457 problem details, `application/problem+json`: `type` (`about:blank`), `title`
    /// (the status's reason phrase), `status`, `detail` (the message), the extension members
    /// `code` (this API's error code) and, for validation errors, `errors`: one
    /// `{"field", "pointer", "detail"}` per invalid place (`pointer` an RFC 6901 pointer in a
    /// URI fragment, `#/items/0/name`).
    Problem,
}

/// The media type of problem details (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The error body of a rejection in `shape`; `fields` is left out when empty.
pub fn error_body(shape: ErrorShape, code: &str, message: &str, fields: &BTreeMap<String, String>) -> serde_json::Value {
    let mut inner = serde_json::Map::new();
    inner.insert("code".into(), serde_json::Value::from(code));
    inner.insert("message".into(), serde_json::Value::from(message));
    if !fields.is_empty() {
        inner.insert("fields".into(), serde_json::Value::Object(fields.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))).collect()));
    }
    match shape {
        ErrorShape::Envelope => {
            let mut outer = serde_json::Map::new();
            outer.insert("error".into(), serde_json::Value::Object(inner));
            serde_json::Value::Object(outer)
        }
        ErrorShape::Flat => serde_json::Value::Object(inner),
        ErrorShape::Problem => {
            let errors = fields.iter().map(|(field, detail)| problem_error(field, &pointer_of(field), detail)).collect();
            problem(None, message, code, errors)
        }
    }
}

fn pointer_of(field: &str) -> String {
    let mut path = InstancePath::root();
    for part in field.split('/') {
        match part.parse::<usize>() {
            Ok(n) => path.push_index(n),
            Err(_) => path.push_key(part),
        }
    }
    path.pointer()
}

fn problem_error(field: &str, pointer: &str, detail: &str) -> serde_json::Value {
    serde_json::json!({"field": field, "pointer": format!("#{pointer}"), "detail": detail})
}

fn problem(status: Option<StatusCode>, detail: &str, code: &str, errors: Vec<serde_json::Value>) -> serde_json::Value {
    let mut body = serde_json::Map::new();
    body.insert("type".into(), "about:blank".into());
    if let Some(status) = status {
        body.insert("title".into(), status.canonical_reason().unwrap_or("Error").into());
        body.insert("status".into(), status.as_u16().into());
    }
    body.insert("detail".into(), detail.into());
    body.insert("code".into(), code.into());
    if !errors.is_empty() {
        body.insert("errors".into(), serde_json::Value::Array(errors));
    }
    serde_json::Value::Object(body)
}

/// The problem details of a rejection (RFC 9457; see [`ErrorShape::Problem`]): one entry of
/// `errors` per violation with a place, its pointer from the violation's own path.
pub fn problem_body(rejection: &Rejection) -> serde_json::Value {
    let errors = match rejection {
        Rejection::BadRequest { violations, .. } => {
            violations.iter().filter(|v| !v.path.is_empty()).map(|v| problem_error(&v.path, &v.instance.pointer(), &v.message)).collect()
        }
        _ => Vec::new(),
    };
    problem(Some(rejection.status()), &rejection.message(), rejection.code(), errors)
}

/// The default rejection response: the status, and the error body in `shape` (problem details
/// as `application/problem+json`).
pub fn rejection_response(rejection: &Rejection, shape: ErrorShape) -> Response {
    if shape == ErrorShape::Problem {
        let mut response = json_response(rejection.status(), &problem_body(rejection));
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        return response;
    }
    let body = error_body(shape, rejection.code(), &rejection.message(), &rejection.fields());
    json_response(rejection.status(), &body)
}

/// The response to a rejection: `hook` (the generated `Api::rejection_response`), then the
/// protocol headers its response lacks: `Allow` (405), `WWW-Authenticate` with the operation's
/// `challenges` (401), `Retry-After` (503) and `Connection: close` (408, the rest of the body is
/// not read).
pub fn reject(rejection: Rejection, challenges: &[&str], hook: impl FnOnce(Rejection) -> Response) -> Response {
    let mut extra: Vec<(header::HeaderName, String)> = Vec::new();
    match &rejection {
        Rejection::MethodNotAllowed { allow } => extra.push((header::ALLOW, allow.join(", "))),
        Rejection::Unauthorized(_) => extra.extend(challenges.iter().map(|c| (header::WWW_AUTHENTICATE, (*c).to_string()))),
        Rejection::Unavailable { retry_after, .. } => extra.push((header::RETRY_AFTER, retry_after.to_string())),
        Rejection::RequestTimeout { .. } => extra.push((header::CONNECTION, "close".to_string())),
        _ => {}
    }
    let mut response = hook(rejection);
    let headers = response.headers_mut();
    let present: Vec<bool> = extra.iter().map(|(name, _)| headers.contains_key(name)).collect();
    for ((name, value), present) in extra.into_iter().zip(present) {
        if present {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(name, value);
        }
    }
    response
}

/// The credentials of one scheme in a request: `None` when absent, `Err` when malformed.
pub type Extract = fn(&str, &RequestContext) -> Option<Result<Credentials, String>>;

/// Tries an operation's security `alternatives` in order (each a list of `(scheme, scopes)`;
/// an empty one allows anonymous calls): the first whose credentials `extract` finds all present
/// is authenticated, every scheme of it, by `authenticate` (the `Api::authenticate` hook), and
/// decides. A malformed credential is remembered and the next alternative tried; with none
/// present the call is anonymous when an alternative allows it, else 401.
pub async fn authorize<P, F, Fut>(
    ctx: &RequestContext,
    operation: &'static str,
    alternatives: &'static [&'static [(&'static str, &'static [&'static str])]],
    extract: Extract,
    mut authenticate: F,
) -> Result<Option<P>, Rejection>
where
    F: FnMut(AuthRequest) -> Fut,
    Fut: std::future::Future<Output = Result<P, AuthRejection>>,
{
    let mut problem: Option<String> = None;
    let mut anonymous = false;
    'alternatives: for alternative in alternatives {
        if alternative.is_empty() {
            anonymous = true;
            continue;
        }
        let mut found = Vec::new();
        for (scheme, scopes) in alternative.iter() {
            match extract(scheme, ctx) {
                Some(Ok(credentials)) => found.push(AuthRequest { scheme, credentials, scopes, operation }),
                Some(Err(message)) => {
                    problem.get_or_insert(message);
                    continue 'alternatives;
                }
                None => continue 'alternatives,
            }
        }
        let mut principal = None;
        for request in found {
            let p = authenticate(request).await.map_err(Rejection::from)?;
            principal.get_or_insert(p);
        }
        return Ok(principal);
    }
    if anonymous && problem.is_none() {
        return Ok(None);
    }
    Err(Rejection::Unauthorized(problem.unwrap_or_else(|| "missing credentials".to_string())))
}

/// Concurrency limit settings (see [`RouterConfig::concurrency`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcurrencyLimit {
    /// Requests handled at the same time (after routing; 404/405/431 are answered without a slot).
    pub max_in_flight: usize,
    /// Requests waiting for a slot; one more is shed at once (503).
    pub max_queued: usize,
    /// How long a request waits for a slot before it is shed (503).
    pub queue_timeout: Duration,
}

impl ConcurrencyLimit {
    /// `max_in_flight` at once, as many waiting, for at most one second.
    pub fn new(max_in_flight: usize) -> Self {
        ConcurrencyLimit { max_in_flight, max_queued: max_in_flight, queue_timeout: Duration::from_secs(1) }
    }
}

/// Router settings. Every limit has a default that is safe to face the internet with.
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// Largest request body accepted, in bytes (413 past it). Default 1 MiB.
    pub body_limit: usize,
    /// Deepest nesting of arrays and objects in a JSON body or JSON parameter, and of bracketed
    /// keys in a form body (400 past it). Default 64; serde_json's own limit of 128 caps it.
    pub max_json_depth: usize,
    /// Most request header fields (each value of a repeated header counts; 431 past it).
    /// Default 64 (hyper refuses more than 100 itself, with an empty 431).
    pub max_headers: usize,
    /// Most bytes of header names and values together (431 past it). Default 16 KiB.
    pub max_header_bytes: usize,
    /// Time allowed to receive the request body, from when the router starts reading it (408
    /// past it, with `Connection: close`). Default 30 s; `None` waits forever.
    pub body_timeout: Option<Duration>,
    /// Time allowed to a handler (the `Api` method); past it the handler's future is dropped
    /// and the answer is 503 with `Retry-After`. Default 30 s; `None` waits forever.
    pub handler_timeout: Option<Duration>,
    /// At most this many requests in handlers at once, the next ones queued and then shed with
    /// 503 and `Retry-After`. Default `None` (no limit).
    pub concurrency: Option<ConcurrencyLimit>,
    /// The `Retry-After` of 503 answers, in seconds. Default 1.
    pub retry_after_secs: u64,
    /// Longest incoming `x-request-id` kept (a longer one, or one that is not visible ASCII, is
    /// replaced by a generated id). Default 128.
    pub request_id_max_len: usize,
    /// The idempotency layer for operations that declare the key header (see
    /// [`super::idempotency`]). Default `None` (off).
    pub idempotency: Option<super::idempotency::Idempotency>,
    /// Check every JSON response body a handler returns against its schema before it is sent:
    /// one that breaks it is logged (`tracing` error with the violations) and answered 500
    /// `internal_error` instead, so a client never sees a response the spec does not allow.
    /// Default: on in debug builds (`cfg!(debug_assertions)`), off in release builds.
    pub validate_responses: bool,
    /// Check every item of a streamed response (server-sent event data, JSON sequence items)
    /// against its schema before it is sent: one that breaks it is logged (`tracing` error) and
    /// ends the stream. A stream's own `validate(bool)` overrides it. Default: on in debug builds.
    pub validate_stream_items: bool,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            body_limit: 1024 * 1024,
            max_json_depth: super::DEFAULT_MAX_JSON_DEPTH,
            max_headers: 64,
            max_header_bytes: 16 * 1024,
            body_timeout: Some(Duration::from_secs(30)),
            handler_timeout: Some(Duration::from_secs(30)),
            concurrency: None,
            retry_after_secs: 1,
            request_id_max_len: 128,
            idempotency: None,
            validate_responses: cfg!(debug_assertions),
            validate_stream_items: cfg!(debug_assertions),
        }
    }
}

/// What `body` breaks of the validator's schema, serialised as it would be sent.
pub fn response_violations<T: serde::Serialize>(body: &T, validator: fn(&serde_json::Value, &mut InstancePath, &mut Vec<Violation>)) -> Vec<Violation> {
    let mut out = Vec::new();
    match serde_json::to_value(body) {
        Ok(value) => validator(&value, &mut InstancePath::root(), &mut out),
        Err(e) => super::violation(&mut out, &InstancePath::root(), "type", format!("the response body does not serialise: {e}")),
    }
    out
}

/// A handler's response, checked first when [`RouterConfig::validate_responses`]: a response
/// whose JSON body breaks its schema becomes a 500 (`internal_error`), logged with what it breaks.
pub fn checked_response<R: IntoResponse>(
    config: &RouterConfig,
    operation: &'static str,
    response: R,
    violations: impl FnOnce(&R) -> Vec<Violation>,
) -> Result<Response, Rejection> {
    if config.validate_responses {
        let found = violations(&response);
        if !found.is_empty() {
            let list: Vec<String> = found.iter().map(ToString::to_string).collect();
            tracing::error!(operation, violations = %list.join("; "), "the handler's response breaks its schema; answered 500 instead");
            return Err(Rejection::Handler {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: format!("the response of `{operation}` does not match the API's schema"),
            });
        }
    }
    Ok(response.into_response())
}

/// 431 when the request has more header fields, or header bytes, than `config` allows.
pub fn check_headers(headers: &HeaderMap, config: &RouterConfig) -> Result<(), Rejection> {
    if headers.len() > config.max_headers {
        return Err(Rejection::HeadersTooLarge(format!("the request has {} header fields, more than {}", headers.len(), config.max_headers)));
    }
    let bytes: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if bytes > config.max_header_bytes {
        return Err(Rejection::HeadersTooLarge(format!("the request headers have {bytes} bytes, more than {}", config.max_header_bytes)));
    }
    Ok(())
}

/// Runs a handler within [`RouterConfig::handler_timeout`] (503 past it).
pub async fn with_deadline<T>(config: &RouterConfig, handler: impl std::future::Future<Output = T>) -> Result<T, Rejection> {
    match config.handler_timeout {
        None => Ok(handler.await),
        Some(limit) => tokio::time::timeout(limit, handler).await.map_err(|_| Rejection::Unavailable {
            message: format!("the request was not answered within {} ms", limit.as_millis()),
            retry_after: config.retry_after_secs,
        }),
    }
}

/// The concurrency limit's state: the slots and the number of requests waiting for one.
#[derive(Debug)]
pub struct Gate {
    slots: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    limit: ConcurrencyLimit,
}

/// Counts a waiting request while it waits (also when its future is dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gate {
    /// The gate of a limit.
    pub fn new(limit: ConcurrencyLimit) -> Self {
        let slots = limit.max_in_flight.min(tokio::sync::Semaphore::MAX_PERMITS);
        Gate { slots: Arc::new(tokio::sync::Semaphore::new(slots)), waiting: AtomicUsize::new(0), limit }
    }

    /// A slot, held until the response is made; 503 when the queue is full or the wait too long.
    pub async fn admit(&self, retry_after: u64) -> Result<tokio::sync::OwnedSemaphorePermit, Rejection> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let shed = |why: &str| Rejection::Unavailable { message: format!("the server is at capacity ({why}); retry later"), retry_after };
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if before >= self.limit.max_queued {
            return Err(shed("the queue is full"));
        }
        match tokio::time::timeout(self.limit.queue_timeout, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(shed("no slot in time")),
        }
    }
}

/// A JSON response with `Content-Type: application/json`.
pub fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// [`json_response`] with the documented JSON media type (`application/problem+json`, a
/// vendor `+json` type) as `Content-Type`; a range or a malformed one keeps `application/json`.
pub fn json_response_as<T: serde::Serialize>(status: StatusCode, media_type: &'static str, body: &T) -> Response {
    let mut response = json_response(status, body);
    if response.status() == status && !media_type.contains('*') {
        if let Ok(value) = HeaderValue::from_str(media_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
    }
    response
}

/// Adds documented response headers (a generated headers struct) to a response; absent ones
/// (`None`) are skipped, lists are comma-joined.
pub fn set_headers<T: serde::Serialize>(response: &mut Response, headers: &T) {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(headers) else { return };
    for (name, value) in map {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Array(items) => items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string)).collect::<Vec<_>>().join(","),
            other => other.to_string(),
        };
        if let (Ok(n), Ok(v)) = (axum::http::HeaderName::try_from(name.as_str()), HeaderValue::from_str(&text)) {
            response.headers_mut().insert(n, v);
        }
    }
}

/// A raw response with the documented media type.
pub fn raw_response(status: StatusCode, media_type: &'static str, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))], body).into_response()
}

fn split_auth(headers: &HeaderMap) -> Option<Result<(String, String), String>> {
    let raw = headers.get(header::AUTHORIZATION)?;
    let Ok(text) = raw.to_str() else { return Some(Err("the Authorization header is not valid text".into())) };
    let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    Some(Ok((scheme.to_string(), rest.trim().to_string())))
}

/// `Authorization: Bearer <token>`; `None` when absent, `Err` when malformed or another scheme.
pub fn bearer_credentials(headers: &HeaderMap) -> Option<Result<Credentials, String>> {
    Some(split_auth(headers)?.and_then(|(scheme, token)| {
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(format!("expected a Bearer credential, got `{scheme}`"));
        }
        if token.is_empty() || token.contains(' ') {
            return Err("the Bearer token is empty or malformed".into());
        }
        Ok(Credentials::Bearer(token))
    }))
}

/// `Authorization: Basic <base64>`.
pub fn basic_credentials(headers: &HeaderMap) -> Option<Result<Credentials, String>> {
    Some(split_auth(headers)?.and_then(|(scheme, value)| {
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(format!("expected a Basic credential, got `{scheme}`"));
        }
        let decoded = super::decode_base64(&value).ok_or("the Basic credential is not valid base64")?;
        let text = String::from_utf8(decoded).map_err(|_| "the Basic credential is not UTF-8".to_string())?;
        let (username, password) = text.split_once(':').ok_or("the Basic credential has no `:`")?;
        Ok(Credentials::Basic { username: username.to_string(), password: password.to_string() })
    }))
}

/// Another `Authorization` scheme by name.
pub fn http_credentials(headers: &HeaderMap, expected: &str) -> Option<Result<Credentials, String>> {
    Some(split_auth(headers)?.and_then(|(scheme, value)| {
        if !scheme.eq_ignore_ascii_case(expected) {
            return Err(format!("expected a `{expected}` credential, got `{scheme}`"));
        }
        Ok(Credentials::Http { scheme, value })
    }))
}

/// An API key in a header.
pub fn header_key(headers: &HeaderMap, name: &str) -> Option<Result<Credentials, String>> {
    let v = headers.get(name)?;
    Some(match v.to_str() {
        Ok(s) if !s.is_empty() => Ok(Credentials::ApiKey(s.to_string())),
        _ => Err(format!("the `{name}` header is empty or not valid text")),
    })
}

/// An API key in the query string.
pub fn query_key(uri: &Uri, name: &str) -> Option<Result<Credentials, String>> {
    let value = query_pairs(uri).into_iter().find(|(k, _)| k == name)?.1;
    Some(if value.is_empty() { Err(format!("the `{name}` query parameter is empty")) } else { Ok(Credentials::ApiKey(value)) })
}

/// An API key in a cookie.
pub fn cookie_key(headers: &HeaderMap, name: &str) -> Option<Result<Credentials, String>> {
    let value = cookie_values(headers, name).into_iter().next()?;
    Some(if value.is_empty() { Err(format!("the `{name}` cookie is empty")) } else { Ok(Credentials::ApiKey(value)) })
}

/// Decoded `key=value` pairs of the query string, in order.
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect()
}

/// Values of the cookie `name`.
pub fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .collect()
}

pub use super::Style;
pub use super::ops::{Coerce, FromParams, Op, Param, ParamIn, ParamValues, Scalar, Validator};

/// How one parameter is written.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// The wire name.
    pub name: &'static str,
    /// The style.
    pub style: Style,
    /// `explode`.
    pub explode: bool,
    /// The value's shape.
    pub coerce: Coerce,
    /// `required`.
    pub required: bool,
    /// The nesting limit of a JSON (`content`) parameter ([`RouterConfig::max_json_depth`]).
    pub max_depth: usize,
}

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy)]
pub enum ParamSource<'a> {
    /// Path segments, decoded.
    Path(&'a [(String, String)]),
    /// Query pairs, decoded.
    Query(&'a [(String, String)]),
    /// Request headers.
    Header(&'a HeaderMap),
    /// Cookies of the request headers.
    Cookie(&'a HeaderMap),
}

fn scalar(text: &str, kind: Scalar) -> serde_json::Value {
    match kind {
        Scalar::String => serde_json::Value::String(text.to_string()),
        Scalar::Number => match serde_json::from_str::<serde_json::Number>(text.trim()) {
            Ok(n) => serde_json::Value::Number(n),
            Err(_) => serde_json::Value::String(text.to_string()),
        },
        Scalar::Boolean => match text {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            _ => serde_json::Value::String(text.to_string()),
        },
    }
}

fn object(entries: Vec<(String, String)>, props: &[(&str, Scalar)], other: Scalar) -> serde_json::Value {
    serde_json::Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| {
                let kind = props.iter().find(|(p, _)| *p == k).map_or(other, |(_, s)| *s);
                let value = scalar(&v, kind);
                (k, value)
            })
            .collect(),
    )
}

/// `k,v,k,v` (not exploded) or `k=v` items (exploded) into entries.
fn entries(items: Vec<String>, explode: bool) -> Vec<(String, String)> {
    if explode {
        items.into_iter().map(|i| i.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap_or((i, String::new()))).collect()
    } else {
        items.chunks(2).map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default())).collect()
    }
}

fn shape(items: Vec<String>, coerce: Coerce, explode: bool) -> serde_json::Value {
    match coerce {
        Coerce::Scalar(kind) => scalar(&items.join(","), kind),
        Coerce::Array(kind) => serde_json::Value::Array(items.iter().map(|t| scalar(t, kind)).collect()),
        Coerce::Object(props, other) => {
            if items.len() == 1 && !items[0].contains('=') && !explode {
                return scalar(&items[0], other);
            }
            object(entries(items, explode), props, other)
        }
    }
}

fn split(text: &str, sep: char) -> Vec<String> {
    if text.is_empty() { Vec::new() } else { text.split(sep).map(str::to_string).collect() }
}

/// The parameter's JSON value as the request writes it in its style; `None` when absent.
pub fn param_value(source: ParamSource<'_>, spec: &ParamSpec) -> Result<Option<serde_json::Value>, String> {
    let name = spec.name;
    let pairs_named = |pairs: &[(String, String)]| -> Vec<String> { pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect() };
    let raw: Vec<String> = match source {
        ParamSource::Path(pairs) => pairs_named(pairs),
        ParamSource::Query(pairs) => {
            if spec.style == Style::DeepObject {
                let prefix = format!("{name}[");
                let found: Vec<(String, String)> =
                    pairs.iter().filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.strip_suffix(']')?.to_string(), v.clone()))).collect();
                if !found.is_empty() {
                    let Coerce::Object(props, other) = spec.coerce else { return Ok(Some(object(found, &[], Scalar::String))) };
                    return Ok(Some(object(found, props, other)));
                }
            }
            if let (Style::Form, true, Coerce::Object(props, other)) = (spec.style, spec.explode, spec.coerce) {
                let found: Vec<(String, String)> = pairs.iter().filter(|(k, _)| props.iter().any(|(p, _)| p == k)).cloned().collect();
                if !found.is_empty() {
                    return Ok(Some(object(found, props, other)));
                }
            }
            pairs_named(pairs)
        }
        ParamSource::Header(headers) => {
            let values = header_values(headers, name);
            if values.is_empty() { values } else { vec![values.join(",")] }
        }
        ParamSource::Cookie(headers) => cookie_values(headers, name),
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let first = raw[0].as_str();
    let items: Vec<String> = match spec.style {
        Style::Json => {
            return super::parse_json(first.as_bytes(), spec.max_depth).map(Some).map_err(|e| format!("is {e}"));
        }
        Style::Label => {
            let body = first.strip_prefix('.').ok_or("must start with `.` (label style)")?;
            split(body, if spec.explode { '.' } else { ',' })
        }
        Style::Matrix => {
            let head = format!(";{name}=");
            if spec.explode && !matches!(spec.coerce, Coerce::Object(..)) {
                first.split(';').skip(1).map(|p| p.strip_prefix(&format!("{name}=")).unwrap_or(p).to_string()).collect()
            } else if spec.explode {
                first.split(';').skip(1).map(str::to_string).collect()
            } else {
                split(first.strip_prefix(&head).ok_or("must start with `;name=` (matrix style)")?, ',')
            }
        }
        Style::SpaceDelimited => split(first, ' '),
        Style::PipeDelimited => split(first, '|'),
        Style::Form if spec.explode && matches!(spec.coerce, Coerce::Array(_)) => raw,
        Style::Simple | Style::Form | Style::DeepObject => match spec.coerce {
            Coerce::Scalar(_) => vec![first.to_string()],
            _ => split(first, ','),
        },
    };
    Ok(Some(shape(items, spec.coerce, spec.explode)))
}

/// Header values by name.
pub fn header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers.get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect()
}

/// Reads and validates one parameter (its JSON value, not converted); violations are collected
/// under its name. `None` when absent or invalid.
pub fn param_checked(source: ParamSource<'_>, spec: &ParamSpec, validate: Validator, out: &mut Vec<Violation>) -> Option<serde_json::Value> {
    let mut path = InstancePath::root();
    path.push_key(spec.name);
    let value = match param_value(source, spec) {
        Ok(v) => v,
        Err(message) => {
            super::violation(out, &path, "style", message);
            return None;
        }
    };
    let Some(value) = value else {
        if spec.required {
            super::violation(out, &path, "required", "is required");
        }
        return None;
    };
    let before = out.len();
    validate(&value, &mut path, out);
    (out.len() == before).then_some(value)
}

/// A request's path parameters: decoded segments by template name.
pub type RawPath = Vec<(String, String)>;

/// The start of an operation's handler: the request's context and body, with the operation
/// and its route template recorded in the request's span.
pub fn begin(request: axum::extract::Request, op: &'static Op) -> (RequestContext, Body) {
    let (parts, body) = request.into_parts();
    record_route(op.name, op.template);
    (context(parts), body)
}

/// Reads, validates and converts every parameter of `op` from the request; violations are
/// collected under the parameters' names. `None` when a required one is absent or invalid.
pub fn read_params<T: FromParams>(
    op: &'static Op,
    ctx: &RequestContext,
    raw_path: &[(String, String)],
    config: &RouterConfig,
    out: &mut Vec<Violation>,
) -> Option<T> {
    let query = if op.params.iter().any(|p| p.at == ParamIn::Query) { query_pairs(&ctx.uri) } else { Vec::new() };
    let mut values = Vec::with_capacity(op.params.len());
    for p in op.params {
        let source = match p.at {
            ParamIn::Path => ParamSource::Path(raw_path),
            ParamIn::Query => ParamSource::Query(&query),
            ParamIn::Header => ParamSource::Header(&ctx.headers),
            ParamIn::Cookie => ParamSource::Cookie(&ctx.headers),
            ParamIn::QueryString => {
                values.push(super::querystring::read(ctx.uri.query(), p, config.max_json_depth, out));
                continue;
            }
        };
        let spec = ParamSpec { name: p.name, style: p.style, explode: p.explode, coerce: p.coerce, required: p.required, max_depth: config.max_json_depth };
        let before = out.len();
        let value = param_checked(source, &spec, p.check, out);
        values.push(super::defaults::fill(value, p.default, out.len() > before));
    }
    T::from_params(&mut ParamValues { values, params: op.params, out })
}

/// The parameters, when they and everything read before them are valid; the validation
/// rejection (with every violation) otherwise.
pub fn valid<T>(params: Option<T>, violations: &mut Vec<Violation>) -> Result<T, Rejection> {
    match params {
        Some(p) if violations.is_empty() => Ok(p),
        _ => Err(Rejection::validation(std::mem::take(violations))),
    }
}

/// Runs the handler within the deadline ([`with_deadline`]) and checks its response
/// ([`checked_response`]); a handler error becomes its rejection.
pub async fn respond<R: IntoResponse>(
    config: &RouterConfig,
    op: &'static Op,
    handler: impl std::future::Future<Output = Result<R, ApiError>>,
    violations: impl FnOnce(&R) -> Vec<Violation>,
) -> Result<Response, Rejection> {
    match with_deadline(config, handler).await? {
        Ok(response) => checked_response(config, op.name, response, violations),
        Err(error) => Err(Rejection::from(error)),
    }
}

/// The status code `code` (a documented one; 500 for a number outside 100..=999).
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The default body of an `Api` method: 501 `not_implemented` (the inputs are dropped).
pub fn not_implemented<I, R>(operation: &'static str, inputs: I) -> NotImplemented<R> {
    drop(inputs);
    NotImplemented { operation, response: std::marker::PhantomData }
}

/// The future of [`not_implemented`]: ready at once with 501. It holds no response value, so it
/// is `Send` whatever the response type (deeply recursive types included).
#[derive(Debug)]
pub struct NotImplemented<R> {
    operation: &'static str,
    response: std::marker::PhantomData<fn() -> R>,
}

impl<R> std::future::Future for NotImplemented<R> {
    type Output = Result<R, ApiError>;

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Err(ApiError::not_implemented(self.operation)))
    }
}

/// The request's media type essence (`application/json`), lower case.
pub fn content_essence(headers: &HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// True when the request's media type essence fits the documented one (`image/*` ranges included).
pub fn media_type_matches(expected: &str, essence: &str) -> bool {
    expected.eq_ignore_ascii_case(essence)
        || expected == "*/*"
        || (expected.ends_with("/*") && essence.starts_with(&expected[..expected.len() - 1].to_ascii_lowercase()))
}

/// Which documented media type the request's `Content-Type` is: an exact match first, then a
/// documented range (`image/*`, `*/*`).
pub fn pick_content(essence: Option<&str>, documented: &[&str]) -> Option<usize> {
    let essence = essence?;
    documented.iter().position(|d| d.eq_ignore_ascii_case(essence)).or_else(|| documented.iter().position(|d| media_type_matches(d, essence)))
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok())
}

/// True when `Content-Length` announces a non-empty body (a 415 is then answered before the
/// body is read; a body of unknown length is read first, since an empty one is no body).
pub fn declares_body(headers: &HeaderMap) -> bool {
    declared_length(headers).is_some_and(|n| n > 0)
}

/// Reads the whole body: 413 past [`RouterConfig::body_limit`] (checked against
/// `Content-Length` first), 408 past [`RouterConfig::body_timeout`]. An empty result is an
/// absent body, whatever the `Content-Type`.
pub async fn read_body(headers: &HeaderMap, body: Body, config: &RouterConfig) -> Result<axum::body::Bytes, Rejection> {
    let limit = config.body_limit;
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(Rejection::PayloadTooLarge { limit });
    }
    let read = axum::body::to_bytes(body, limit);
    let read = match config.body_timeout {
        Some(after) => tokio::time::timeout(after, read).await.map_err(|_| Rejection::RequestTimeout { after })?,
        None => read.await,
    };
    read.map_err(|_| Rejection::PayloadTooLarge { limit })
}

/// The 400 of a required body that is absent (or empty); added to the parameters' violations.
pub fn missing_body(mut violations: Vec<Violation>) -> Rejection {
    super::violation(&mut violations, &InstancePath::root(), "required", "the request body is required");
    Rejection::validation(violations)
}

/// Parses a JSON body strictly (see [`super::parse_json`]): malformed JSON, nesting
/// past `max_depth` and duplicate members are a 400 about the whole body (no `fields` entry).
pub fn parse_json(bytes: &[u8], max_depth: usize) -> Result<serde_json::Value, Rejection> {
    super::parse_json(bytes, max_depth).map_err(|e| Rejection::BadRequest { message: format!("the request body is {e}"), violations: Vec::new() })
}

/// A `text/*` body as a `String` (400 when it is not UTF-8).
pub fn text_body(bytes: &[u8]) -> Result<String, Rejection> {
    String::from_utf8(bytes.to_vec()).map_err(|_| Rejection::BadRequest { message: "the request body is not UTF-8 text".into(), violations: Vec::new() })
}

/// A form body: pairs into JSON, strings coerced to the schema's types, validated, converted.
pub fn form_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    validate: fn(&serde_json::Value, &mut InstancePath, &mut Vec<Violation>),
    violations: &mut Vec<Violation>,
    max_depth: usize,
) -> Result<T, Rejection> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(bytes).into_owned().collect();
    if pairs.iter().any(|(k, _)| k.matches('[').count() >= max_depth) {
        return Err(Rejection::BadRequest { message: format!("the request body nests keys deeper than {max_depth} levels"), violations: Vec::new() });
    }
    let mut value = super::form_to_json(pairs);
    let remaining = super::coerce_strings(&mut value, validate);
    violations.extend(remaining);
    if !violations.is_empty() {
        return Err(Rejection::validation(std::mem::take(violations)));
    }
    super::convert(value).map_err(|e| Rejection::BadRequest { message: format!("the request body does not fit its type: {e}"), violations: Vec::new() })
}

/// A `multipart/*` body (already read within the limits), parsed into its parts.
#[cfg(feature = "multipart")]
pub async fn multipart_body(headers: &HeaderMap, bytes: axum::body::Bytes) -> Result<super::Multipart, Rejection> {
    let parts = super::multipart::read::parts(headers, bytes).await?;
    let parts =
        parts.into_iter().map(|p| super::Part { name: p.name, file_name: p.file.file_name, content_type: p.file.content_type, data: p.file.data }).collect();
    Ok(super::Multipart { parts })
}

/// Validates then converts a parsed body into its Rust type.
pub fn typed_body<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    validate: fn(&serde_json::Value, &mut InstancePath, &mut Vec<Violation>),
    violations: &mut Vec<Violation>,
) -> Result<T, Rejection> {
    validate(&value, &mut InstancePath::root(), violations);
    if !violations.is_empty() {
        return Err(Rejection::validation(std::mem::take(violations)));
    }
    super::convert(value).map_err(|e| Rejection::BadRequest { message: format!("the request body does not fit its type: {e}"), violations: Vec::new() })
}

/// The request body and which documented media type it is: `None` for an empty body (whatever
/// its `Content-Type`); 415 for a non-empty body of an undocumented media type, answered before
/// reading when its length is announced.
pub async fn read_content(
    headers: &HeaderMap,
    body: Body,
    config: &RouterConfig,
    documented: &[&str],
    expected: &'static str,
) -> Result<Option<(usize, axum::body::Bytes)>, Rejection> {
    let index = pick_content(content_essence(headers).as_deref(), documented);
    if index.is_none() && declares_body(headers) {
        return Err(Rejection::UnsupportedMediaType { expected });
    }
    let bytes = read_body(headers, body, config).await?;
    match index {
        _ if bytes.is_empty() => Ok(None),
        Some(i) => Ok(Some((i, bytes))),
        None => Err(Rejection::UnsupportedMediaType { expected }),
    }
}

/// A JSON body: parsed (within the nesting limit), validated, converted ([`typed_body`]).
pub fn json_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    config: &RouterConfig,
    validate: Validator,
    violations: &mut Vec<Violation>,
) -> Result<T, Rejection> {
    typed_body(parse_json(bytes, config.max_json_depth)?, validate, violations)
}

/// The router's state: the implementation, its settings and the concurrency gate.
#[derive(Debug)]
pub struct Shared<A> {
    /// The implementation.
    pub api: A,
    /// The settings.
    pub config: RouterConfig,
    /// The concurrency limit's state, when there is a limit.
    pub gate: Option<Gate>,
}

impl<A> Shared<A> {
    /// The state of a router.
    pub fn new(api: A, config: RouterConfig) -> Self {
        let gate = config.concurrency.map(Gate::new);
        Shared { api, config, gate }
    }
}

/// The state handed to every route.
pub type State<A> = axum::extract::State<Arc<Shared<A>>>;

/// The result of matching a request line against the operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    /// The operation's index and its path parameters (percent-decoded).
    Found(usize, Vec<(String, String)>),
    /// Some template matches the path, none with this method: the methods it has.
    MethodNotAllowed(Vec<&'static str>),
    /// No template matches the path.
    NotFound,
}

/// `%XX` escapes decoded (`+` stays `+`: this is RFC 3986 percent-encoding, not a form);
/// `None` for a bad escape or text that is not UTF-8. (Path segments, the JSON querystring.)
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Matches one path segment against a template segment (`{id}`, `{id}.json`, `{name}:cancel`,
/// `v{major}.{minor}`, or a literal), appending the parameters it binds.
fn match_segment(template: &str, segment: &str, params: &mut Vec<(String, String)>) -> bool {
    let Some(decoded) = percent_decode(segment) else { return false };
    let mut rest = decoded.as_str();
    let mut tpl = template;
    loop {
        match tpl.find('{') {
            None => return rest == tpl,
            Some(open) => {
                let Some(rest_after) = rest.strip_prefix(&tpl[..open]) else { return false };
                rest = rest_after;
                let Some(close) = tpl[open..].find('}').map(|c| open + c) else { return rest == &tpl[open..] };
                let name = &tpl[open + 1..close];
                tpl = &tpl[close + 1..];
                // The value runs to the next literal of the template (or the segment's end).
                let next_literal = tpl.find('{').map_or(tpl, |n| &tpl[..n]);
                let end = if next_literal.is_empty() {
                    if tpl.is_empty() { rest.len() } else { return false }
                } else {
                    match rest.find(next_literal) {
                        Some(e) => e,
                        None => return false,
                    }
                };
                if end == 0 {
                    return false;
                }
                params.push((name.to_string(), rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
    }
}

/// How specific a template is: literal segments beat mixed ones beat pure parameters.
fn specificity(template: &str) -> Vec<u8> {
    template
        .split('/')
        .map(|s| match (s.find('{'), s.starts_with('{') && s.ends_with('}') && s.matches('{').count() == 1) {
            (None, _) => 2,
            (Some(_), true) => 0,
            (Some(_), false) => 1,
        })
        .collect()
}

/// A matching route: its specificity, operation index and parameters.
type Candidate = (Vec<u8>, usize, Vec<(String, String)>);

/// Finds the operation for a request: the most specific template matching the path that has the
/// method (`HEAD` falls back to `GET`, and is allowed wherever `GET` is).
pub fn match_route(routes: &[(&'static str, &'static str, usize)], method: &Method, path: &str) -> RouteMatch {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<Candidate> = None;
    let mut allow: Vec<&'static str> = Vec::new();
    for wanted in [method.as_str(), "GET"] {
        for (m, template, index) in routes {
            let tpl: Vec<&str> = template.split('/').collect();
            if tpl.len() != segments.len() {
                continue;
            }
            let mut params = Vec::new();
            if !tpl.iter().zip(&segments).all(|(t, s)| match_segment(t, s, &mut params)) {
                continue;
            }
            for m in [*m].into_iter().chain((*m == "GET").then_some("HEAD")) {
                if !allow.contains(&m) {
                    allow.push(m);
                }
            }
            if *m != wanted {
                continue;
            }
            let score = specificity(template);
            if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, *index, params));
            }
        }
        if best.is_some() || *method != Method::HEAD {
            break;
        }
    }
    match best {
        Some((_, index, params)) => RouteMatch::Found(index, params),
        None if !allow.is_empty() => RouteMatch::MethodNotAllowed(allow),
        None => RouteMatch::NotFound,
    }
}

/// The context of a request, from its head (the request id from [`observe`]'s extension).
pub fn context(parts: axum::http::request::Parts) -> RequestContext {
    let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    RequestContext { method: parts.method, uri: parts.uri, headers: parts.headers, extensions: parts.extensions, request_id }
}

/// The request id header.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request's id, as a request extension (set by [`observe`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A fresh request id: 32 hex digits (a process-random 64-bit seed and a counter, mixed).
pub fn generate_request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static SEED: std::sync::OnceLock<std::collections::hash_map::RandomState> = std::sync::OnceLock::new();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let seed = SEED.get_or_init(std::collections::hash_map::RandomState::new);
    let mut h = seed.build_hasher();
    h.write_u64(n);
    format!("{:016x}{n:016x}", h.finish())
}

/// The incoming `x-request-id` when it is 1 to `max_len` visible ASCII characters.
pub fn incoming_request_id(headers: &HeaderMap, max_len: usize) -> Option<String> {
    let raw = headers.get(REQUEST_ID_HEADER)?.as_bytes();
    let ok = !raw.is_empty() && raw.len() <= max_len && raw.iter().all(|b| (0x21..=0x7e).contains(b));
    ok.then(|| String::from_utf8_lossy(raw).into_owned())
}

/// Records the matched operation and route template in the request's span (see [`observe`]).
pub fn record_route(operation: &'static str, template: &'static str) {
    let span = tracing::Span::current();
    span.record("operation", operation);
    span.record("route", template);
}

/// The request's frame, around the generated dispatch: keeps or generates the request id (in
/// the request's extensions and `x-request-id` header, so [`RequestContext::request_id`] and
/// tower layers inside see it), runs `inner` in a `request` span (method, path, request id;
/// the operation and route template are recorded when matched, the status and latency at the
/// end, with one `info` event per request), and sets `x-request-id` on the response, every
/// rejection included (unless the handler's response already has one).
pub async fn observe<F, Fut>(config: &RouterConfig, mut request: axum::extract::Request, inner: F) -> Response
where
    F: FnOnce(axum::extract::Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    use tracing::Instrument;
    let id = incoming_request_id(request.headers(), config.request_id_max_len).unwrap_or_else(generate_request_id);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    request.headers_mut().insert(REQUEST_ID_HEADER, value.clone());
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
        operation = tracing::field::Empty,
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let mut response = inner(request).instrument(span.clone()).await;
    let latency = started.elapsed();
    span.record("status", response.status().as_u16());
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), latency_ms = latency.as_secs_f64() * 1000.0, "request done"));
    // A handler that writes its own `x-request-id` (a documented response header) keeps it.
    if !response.headers().contains_key(REQUEST_ID_HEADER) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
