//! The reqwest client's runtime (feature `client`): the [`Connection`] a generated `Client`
//! wraps (base URL, credentials, strictness, timeouts, retries, hook, and the request helpers
//! its operations call), client errors with the response they came from, and parameter and form
//! encoding. The generated `Client` (one method per operation with typed per-status results) is
//! declared by [`client_type!`] in the generated crate, because inherent methods must live in
//! the crate of their type. The retry policy, hook and sleeper are the `retry` module's,
//! re-exported here.
//!
//! Response policy: by default responses are decoded tolerantly (unknown fields are ignored, so
//! a server that adds a field does not break the client); `Client::strict(true)` also runs the
//! schema's validator on every documented response and fails on any violation (for tests).
//! Requests are not validated before sending: the server is the authority and answers 400.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::binary::ByteStream;
use super::ops::{Op, ParamIn};
pub use super::retry::*;
use super::{InstancePath, Violation};

/// A boxed error from a token provider.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Supplies the bearer token for each request (and may refresh it).
pub trait TokenProvider: Send + Sync + 'static {
    /// The token to send now.
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<String, BoxError>> + Send + '_>>;
}

#[derive(Debug)]
struct StaticToken(String);

impl TokenProvider for StaticToken {
    fn token(&self) -> Pin<Box<dyn Future<Output = Result<String, BoxError>> + Send + '_>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// A response as received, and its body as a stream when it is a binary one left unread.
type Received = (RawResponse, Option<ByteStream>);

/// A response as received: status, headers, raw body, and its request id (the first of the
/// client's request id headers present, `x-request-id` or `request-id` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
    /// The request id the server gave, if any.
    pub request_id: Option<String>,
}

/// A failed call: a documented error status with its typed body, or something else. Every
/// error that came from a response carries it ([`ClientError::response`]: status, headers, raw
/// body, request id); `Display` shows the request id.
#[derive(Debug)]
pub enum ClientError<E> {
    /// A documented error status, decoded.
    Api {
        /// The decoded error.
        error: E,
        /// The response it came from.
        response: Box<RawResponse>,
    },
    /// A status the operation does not document.
    UnexpectedStatus {
        /// The response.
        response: Box<RawResponse>,
    },
    /// A documented status whose body (or headers) could not be decoded into its type.
    Decode {
        /// Why decoding failed.
        message: String,
        /// The response.
        response: Box<RawResponse>,
    },
    /// Request validation is on and the request breaks the spec; nothing was sent. Paths are
    /// those the server would report (`to_number`, a parameter's name).
    InvalidRequest {
        /// Every violation.
        violations: Vec<Violation>,
    },
    /// Strict mode: a documented response that breaks its schema.
    InvalidResponse {
        /// Every violation.
        violations: Vec<Violation>,
        /// The response.
        response: Box<RawResponse>,
    },
    /// The token provider failed.
    Auth(BoxError),
    /// Connecting, sending or reading failed (or timed out), on the last attempt made.
    Transport(reqwest::Error),
}

impl<E> ClientError<E> {
    /// A documented error status.
    pub fn api(error: E, response: RawResponse) -> Self {
        ClientError::Api { error, response: Box::new(response) }
    }

    /// An undocumented status.
    pub fn unexpected(response: RawResponse) -> Self {
        ClientError::UnexpectedStatus { response: Box::new(response) }
    }

    /// The response the error came from, if it came from one.
    pub fn response(&self) -> Option<&RawResponse> {
        match self {
            ClientError::Api { response, .. }
            | ClientError::UnexpectedStatus { response }
            | ClientError::Decode { response, .. }
            | ClientError::InvalidResponse { response, .. } => Some(response),
            ClientError::InvalidRequest { .. } | ClientError::Auth(_) | ClientError::Transport(_) => None,
        }
    }

    /// The response's status.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|r| r.status)
    }

    /// The response's headers.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.response().map(|r| &r.headers)
    }

    /// The response's raw body.
    pub fn body(&self) -> Option<&[u8]> {
        self.response().map(|r| r.body.as_slice())
    }

    /// The request id the server gave (`x-request-id`, `request-id`, or the client's configured
    /// names), to quote to support.
    pub fn request_id(&self) -> Option<&str> {
        self.response().and_then(|r| r.request_id.as_deref())
    }
}

impl<E: std::fmt::Debug> std::fmt::Display for ClientError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Api { error, response } => write!(f, "API error {}: {error:?}", response.status)?,
            ClientError::UnexpectedStatus { response } => write!(f, "undocumented status {}", response.status)?,
            ClientError::Decode { message, response } => write!(f, "cannot decode the {} response: {message}", response.status)?,
            ClientError::InvalidRequest { violations } => write!(f, "the request breaks the spec: {} violations", violations.len())?,
            ClientError::InvalidResponse { violations, response } => {
                write!(f, "the {} response breaks its schema: {} violations", response.status, violations.len())?
            }
            ClientError::Auth(e) => write!(f, "token provider failed: {e}")?,
            ClientError::Transport(e) => write!(f, "transport error: {e}")?,
        }
        match self.request_id() {
            Some(id) => write!(f, " (request id {id})"),
            None => Ok(()),
        }
    }
}

impl<E: std::fmt::Debug> std::error::Error for ClientError<E> {}

impl<E> From<reqwest::Error> for ClientError<E> {
    fn from(e: reqwest::Error) -> Self {
        ClientError::Transport(e)
    }
}

/// The connect timeout of [`Connection::new`]'s `reqwest::Client`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole-request timeout of each attempt of [`Connection::new`]'s client (connecting,
/// sending, and reading the whole response).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Per-call settings, for `Client::with_options`: each one set replaces the client's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// The whole-request timeout of each attempt.
    pub timeout: Option<Duration>,
    /// The retry policy.
    pub retry: Option<RetryPolicy>,
    /// The idempotency key to send (on every attempt) to an operation that takes one, instead
    /// of a generated one. A key the caller puts in the operation's parameters wins over both.
    pub idempotency_key: Option<String>,
}

impl CallOptions {
    /// Sets the per-attempt timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sets the idempotency key.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

/// What an API client holds: base URL, `reqwest` client, credentials, headers, modes, timeout,
/// retry policy and hook. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Connection {
    base_url: String,
    #[allow(dead_code, reason = "unused when the spec has no operations")]
    http: reqwest::Client,
    token: Option<Arc<dyn TokenProvider>>,
    basic: Option<(String, Option<String>)>,
    api_key: Option<String>,
    headers: HeaderMap,
    strict: bool,
    validate_requests: bool,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    idempotency_key: Option<String>,
    hook: Option<Arc<dyn Hook>>,
    sleeper: Arc<dyn Sleeper>,
    request_id_headers: Arc<[String]>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("base_url", &self.base_url)
            .field("strict", &self.strict)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A client for `base_url` (`https://api.example.com`) with a `reqwest::Client` that has
    /// a [`DEFAULT_CONNECT_TIMEOUT`], and a [`DEFAULT_REQUEST_TIMEOUT`] per attempt.
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder().connect_timeout(DEFAULT_CONNECT_TIMEOUT).build().unwrap_or_default();
        Connection { timeout: Some(DEFAULT_REQUEST_TIMEOUT), ..Connection::from_reqwest(http, base_url) }
    }

    /// A client using the caller's `reqwest::Client` (its timeouts, proxies and TLS apply; no
    /// per-attempt timeout is added unless [`Connection::with_timeout`] sets one).
    pub fn from_reqwest(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        Connection {
            base_url,
            http,
            token: None,
            basic: None,
            api_key: None,
            headers: HeaderMap::new(),
            strict: false,
            validate_requests: false,
            timeout: None,
            retry: RetryPolicy::default(),
            idempotency_key: None,
            hook: None,
            sleeper: Arc::new(TokioSleeper),
            request_id_headers: REQUEST_ID_HEADERS.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    /// Sends `Authorization: Bearer <token>` on operations secured by a bearer-type scheme.
    pub fn with_bearer_token(self, token: impl Into<String>) -> Self {
        self.with_token_provider(StaticToken(token.into()))
    }

    /// Asks `provider` for the bearer token before each request.
    pub fn with_token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.token = Some(Arc::new(provider));
        self
    }

    /// Sends HTTP Basic credentials on operations secured by a basic scheme.
    pub fn with_basic_auth(mut self, username: impl Into<String>, password: Option<String>) -> Self {
        self.basic = Some((username.into(), password));
        self
    }

    /// Sends this API key where the operation's apiKey scheme says (header, query or cookie).
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Adds a header to every request made through the returned client (clone it per request
    /// for per-request headers).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Strict mode: validate every documented response against its schema.
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// Validate every request (parameters and JSON or form body) against the spec before sending
    /// it; a request that breaks it fails with [`ClientError::InvalidRequest`] and is not sent.
    /// Off by default: the server validates anyway, and the typed inputs already rule out most
    /// mistakes (what is left: patterns, bounds, lengths and the like).
    pub fn validate_requests(mut self, on: bool) -> Self {
        self.validate_requests = on;
        self
    }

    /// The whole-request timeout of each attempt (connecting, sending, reading the response).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy ([`RetryPolicy::never`] turns retries off).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Calls `hook` before each attempt is sent and when it ends.
    pub fn with_hook(mut self, hook: impl Hook) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Waits between attempts with `sleeper` instead of tokio's timer.
    pub fn with_sleeper(mut self, sleeper: impl Sleeper) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// The response headers that carry the request id, first match wins (default
    /// `x-request-id`, `request-id`).
    pub fn with_request_id_headers<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.request_id_headers = names.into_iter().map(Into::into).collect();
        self
    }

    /// A copy with `options` applied: for one call (`client.with_options(..).create_x(..)`).
    pub fn with_options(&self, options: CallOptions) -> Self {
        let mut copy = self.clone();
        if let Some(timeout) = options.timeout {
            copy.timeout = Some(timeout);
        }
        if let Some(retry) = options.retry {
            copy.retry = retry;
        }
        if let Some(key) = options.idempotency_key {
            copy.idempotency_key = Some(key);
        }
        copy
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The per-attempt timeout in force.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Runs `validate` on `value` (serialised) under `name` (empty: the body) when request
    /// validation is on.
    #[doc(hidden)]
    pub fn check_request<T: serde::Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
        validate: fn(&serde_json::Value, &mut InstancePath, &mut Vec<Violation>),
        out: &mut Vec<Violation>,
    ) {
        if !self.validate_requests {
            return;
        }
        let mut path = InstancePath::root();
        if !name.is_empty() {
            path.push_key(name);
        }
        match serde_json::to_value(value) {
            Ok(v) => validate(&v, &mut path, out),
            Err(e) => super::violation(out, &path, "type", format!("cannot be written as JSON: {e}")),
        }
    }

    /// The request of one call of `op`: its parameters (`values`, see
    /// [`super::ops::ToParams`]) checked when request validation is on (violations to `out`),
    /// the path template filled in (percent-encoded, in each parameter's style), the query,
    /// header and cookie parameters written.
    #[doc(hidden)]
    pub fn prepare<E>(&self, op: &'static Op, values: Vec<Option<serde_json::Value>>) -> Result<reqwest::RequestBuilder, ClientError<E>> {
        let (request, violations) = self.prepare_unchecked(op, values);
        checked(violations)?;
        Ok(request)
    }

    /// [`Connection::prepare`], returning the parameters' violations (the body's checks join them).
    #[doc(hidden)]
    pub fn prepare_unchecked(&self, op: &'static Op, values: Vec<Option<serde_json::Value>>) -> (reqwest::RequestBuilder, Vec<Violation>) {
        let mut violations = Vec::new();
        let out = &mut violations;
        let present = || op.params.iter().zip(&values).filter_map(|(p, v)| Some((p, v.as_ref()?)));
        for (p, v) in present() {
            self.check_request(p.name, v, p.check, out);
        }
        let mut path = String::with_capacity(op.template.len());
        let mut rest = op.template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            let name = &rest[open + 1..open + close];
            path.push_str(&rest[..open]);
            match present().find(|(p, _)| p.at == ParamIn::Path && p.name == name) {
                Some((p, v)) => path.push_str(&path_text(name, v, p.style, p.explode)),
                None if op.params.iter().any(|p| p.at == ParamIn::Path && p.name == name) => {}
                None => path.push_str(&rest[open..open + close + 1]),
            }
            rest = &rest[open + close + 1..];
        }
        path.push_str(rest);
        let request = self.params_request(format!("{}{}", self.base_url, path), op, &values);
        (request, violations)
    }

    /// [`Connection::prepare`] for a request to `url` as given, not to the base URL and `op`'s
    /// path: a webhook or callback sent to its receiver (`op` has no path parameters).
    #[doc(hidden)]
    pub fn prepare_at<E>(&self, url: &str, op: &'static Op, values: Vec<Option<serde_json::Value>>) -> Result<reqwest::RequestBuilder, ClientError<E>> {
        let (request, violations) = self.prepare_unchecked_at(url, op, values);
        checked(violations)?;
        Ok(request)
    }

    /// [`Connection::prepare_unchecked`] for a request to `url` as given (see [`Connection::prepare_at`]).
    #[doc(hidden)]
    pub fn prepare_unchecked_at(&self, url: &str, op: &'static Op, values: Vec<Option<serde_json::Value>>) -> (reqwest::RequestBuilder, Vec<Violation>) {
        let mut violations = Vec::new();
        for (p, v) in op.params.iter().zip(&values).filter_map(|(p, v)| Some((p, v.as_ref()?))) {
            self.check_request(p.name, v, p.check, &mut violations);
        }
        (self.params_request(url.to_string(), op, &values), violations)
    }

    /// The request of `op` to `url` with the client's headers and the query, header and cookie
    /// parameters of `values` written.
    fn params_request(&self, mut url: String, op: &'static Op, values: &[Option<serde_json::Value>]) -> reqwest::RequestBuilder {
        let present = || op.params.iter().zip(values).filter_map(|(p, v)| Some((p, v.as_ref()?)));
        if let Some((p, v)) = present().find(|(p, _)| p.at == ParamIn::QueryString) {
            url.push('?');
            url.push_str(&querystring_text(v, p.style));
        }
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self.http.request(method, url).headers(self.headers.clone());
        for (p, v) in present() {
            request = match p.at {
                ParamIn::Path | ParamIn::QueryString => request,
                ParamIn::Query => request.query(&query_param(p.name, v, p.style, p.explode)),
                ParamIn::Header => request.header(p.name, simple_text(v, p.explode)),
                ParamIn::Cookie => request.header(reqwest::header::COOKIE, format!("{}={}", p.name, simple_text(v, p.explode))),
            };
        }
        request
    }

    /// [`Client::send`] for the operation `op`.
    #[doc(hidden)]
    pub async fn send_op<E>(&self, request: reqwest::RequestBuilder, op: &'static Op) -> Result<RawResponse, ClientError<E>> {
        self.send(request, op.name, op.template, op.idempotency_key).await
    }

    /// The `reqwest::Client` and the request id of a response, for the streaming calls
    /// (`stream_client`), which read the body as it arrives.
    #[doc(hidden)]
    pub fn http_parts(&self, headers: &HeaderMap) -> (&reqwest::Client, Option<String>) {
        (&self.http, find_request_id(headers, &self.request_id_headers))
    }

    /// [`Client::send_op`] for an operation with binary responses: a response whose status
    /// `streams` says is one is not read, its body is the returned [`ByteStream`] (the
    /// [`RawResponse`] then has an empty body; the hook sees it so).
    #[doc(hidden)]
    pub async fn send_op_streaming<E>(
        &self,
        request: reqwest::RequestBuilder,
        op: &'static Op,
        streams: fn(u16) -> bool,
    ) -> Result<(RawResponse, Option<ByteStream>), ClientError<E>> {
        self.send_streaming(request, op.name, op.template, op.idempotency_key, streams).await
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    #[doc(hidden)]
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{}", self.base_url, path)).headers(self.headers.clone())
    }

    #[doc(hidden)]
    pub async fn bearer(&self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, BoxError> {
        match &self.token {
            Some(p) => Ok(request.bearer_auth(p.token().await?)),
            None => Ok(request),
        }
    }

    #[doc(hidden)]
    pub fn basic(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.basic {
            Some((user, password)) => request.basic_auth(user, password.as_ref()),
            None => request,
        }
    }

    #[doc(hidden)]
    pub fn key_header(&self, request: reqwest::RequestBuilder, name: &str) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(k) => request.header(name, k),
            None => request,
        }
    }

    #[doc(hidden)]
    pub fn key_query(&self, request: reqwest::RequestBuilder, name: &str) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(k) => request.query(&[(name, k)]),
            None => request,
        }
    }

    #[doc(hidden)]
    pub fn key_cookie(&self, request: reqwest::RequestBuilder, name: &str) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(k) => request.header(reqwest::header::COOKIE, format!("{name}={k}")),
            None => request,
        }
    }

    /// Sends one call of operation `operation_id` (path template `path`): sets the idempotency
    /// key header `key_header` (when the operation takes one and the request has none) to the
    /// caller's key or a fresh UUID, then makes attempts as the retry policy allows, the same key
    /// on each, calling the hook around each. The last attempt's response is returned whatever
    /// its status; only a transport failure is an error.
    #[doc(hidden)]
    pub async fn send<E>(
        &self,
        request: reqwest::RequestBuilder,
        operation_id: &'static str,
        path: &'static str,
        key_header: Option<&'static str>,
    ) -> Result<RawResponse, ClientError<E>> {
        self.send_streaming(request, operation_id, path, key_header, |_| false).await.map(|(response, _)| response)
    }

    /// [`Client::send`], leaving the body of a response whose status `streams` says is a
    /// byte stream unread (see [`Client::send_op_streaming`]).
    async fn send_streaming<E>(
        &self,
        request: reqwest::RequestBuilder,
        operation_id: &'static str,
        path: &'static str,
        key_header: Option<&'static str>,
        streams: fn(u16) -> bool,
    ) -> Result<(RawResponse, Option<ByteStream>), ClientError<E>> {
        let mut request = request.build()?;
        if let Some(timeout) = self.timeout {
            *request.timeout_mut() = Some(timeout);
        }
        let mut keyed = false;
        if let Some(name) = key_header.and_then(|n| HeaderName::from_bytes(n.as_bytes()).ok()) {
            if !request.headers().contains_key(&name) {
                let key = self.idempotency_key.clone().unwrap_or_else(new_idempotency_key);
                let Ok(value) = HeaderValue::try_from(key) else {
                    let mut violations = Vec::new();
                    super::violation_at(&mut violations, &InstancePath::root(), name.as_str(), "type", "the idempotency key is not a valid header value");
                    return Err(ClientError::InvalidRequest { violations });
                };
                request.headers_mut().insert(name, value);
            }
            keyed = true;
        }
        let retry_safe = keyed || idempotent_method(request.method());
        #[cfg(feature = "tracing")]
        let span = tracing::info_span!("call", operation_id, method = %request.method(), path);
        let call = self.attempts(request, operation_id, path, retry_safe, streams);
        #[cfg(feature = "tracing")]
        let call = tracing::Instrument::instrument(call, span);
        call.await.map_err(ClientError::Transport)
    }

    async fn attempts(
        &self,
        request: reqwest::Request,
        operation_id: &str,
        path: &str,
        retry_safe: bool,
        streams: fn(u16) -> bool,
    ) -> Result<Received, reqwest::Error> {
        let policy = &self.retry;
        let started = Instant::now();
        let mut pending = request;
        let mut number = 1;
        loop {
            let spare = if retry_safe && number < policy.max_attempts { pending.try_clone() } else { None };
            let attempt = Attempt { operation_id, path, number };
            let outcome = self.attempt(pending, &attempt, streams).await;
            let Some(next) = spare else { return outcome };
            let delay = match &outcome {
                Ok((r, _)) if policy.statuses.contains(&r.status) => match retry_after(&r.headers, SystemTime::now()) {
                    Some(wait) if wait > policy.max_retry_after => return outcome,
                    Some(wait) => wait,
                    None => policy.backoff(number),
                },
                Err(e) if policy.transport_errors && !e.is_body() && !e.is_decode() => policy.backoff(number),
                _ => return outcome,
            };
            if started.elapsed() + delay > policy.max_elapsed {
                return outcome;
            }
            self.sleeper.sleep(delay).await;
            pending = next;
            number += 1;
        }
    }

    async fn attempt(&self, mut request: reqwest::Request, attempt: &Attempt<'_>, streams: fn(u16) -> bool) -> Result<Received, reqwest::Error> {
        if let Some(hook) = &self.hook {
            hook.on_request(attempt, &mut request);
        }
        #[cfg(feature = "tracing")]
        let span = tracing::info_span!("attempt", attempt = attempt.number, status = tracing::field::Empty, duration_ms = tracing::field::Empty);
        let began = Instant::now();
        let exchange = async {
            let response = self.http.execute(request).await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let request_id = find_request_id(&headers, &self.request_id_headers);
            if streams(status) {
                return Ok((RawResponse { status, headers, body: Vec::new(), request_id }, Some(super::binary::response_stream(response))));
            }
            let body = response.bytes().await?.to_vec();
            Ok((RawResponse { status, headers, body, request_id }, None))
        };
        #[cfg(feature = "tracing")]
        let exchange = tracing::Instrument::instrument(exchange, span.clone());
        let outcome: Result<Received, reqwest::Error> = exchange.await;
        let elapsed = began.elapsed();
        #[cfg(feature = "tracing")]
        {
            span.record("duration_ms", u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
            if let Ok((r, _)) = &outcome {
                span.record("status", r.status);
            }
        }
        if let Some(hook) = &self.hook {
            let seen = match &outcome {
                Ok((r, _)) => Outcome::Response { status: r.status, headers: &r.headers, body: &r.body },
                Err(e) => Outcome::Failed(e),
            };
            hook.on_outcome(attempt, &seen, elapsed);
        }
        outcome
    }

    #[doc(hidden)]
    pub fn decode<T: serde::de::DeserializeOwned, E>(
        &self,
        response: &RawResponse,
        validate: fn(&serde_json::Value, &mut InstancePath, &mut Vec<Violation>),
    ) -> Result<T, ClientError<E>> {
        let fail = |message: String| ClientError::Decode { message, response: Box::new(response.clone()) };
        let value: serde_json::Value = serde_json::from_slice(&response.body).map_err(|e| fail(e.to_string()))?;
        if self.strict {
            let mut violations = Vec::new();
            validate(&value, &mut InstancePath::root(), &mut violations);
            if !violations.is_empty() {
                return Err(ClientError::InvalidResponse { violations, response: Box::new(response.clone()) });
            }
        }
        super::convert(value).map_err(|e| fail(e.to_string()))
    }

    /// [`read_headers`] for a response, failing as [`ClientError::Decode`].
    #[doc(hidden)]
    pub fn decode_headers<T: serde::de::DeserializeOwned, E>(&self, response: &RawResponse, specs: &[(&str, u8)]) -> Result<T, ClientError<E>> {
        read_headers(&response.headers, specs).map_err(|message| ClientError::Decode { message, response: Box::new(response.clone()) })
    }
}

/// `client_type!(Client)`: declares the API client type of a generated crate, a newtype of
/// [`Connection`] that dereferences to it, with its constructors and builder methods; the
/// generated crate adds one method per operation. Exported at the root and re-exported here, so
/// generated code names it `crate::runtime::client::client_type!` in both modes (crate-local in
/// the embedded copy, as `string_enum!`); `crate` in its body is the invoking crate, whose
/// `runtime` module (or alias) holds this one.
#[doc(hidden)]
#[cfg_attr(not(feature = "embedded"), macro_export)]
#[allow(clippy::crate_in_macro_def, reason = "`crate` is the generated crate, where `runtime` is")]
macro_rules! __client_type {
    ($name:ident) => {
        /// The API client: one method per operation, with typed per-status results. Cheap to
        /// clone; clones share the connection pool. Dereferences to its
        /// [`Connection`](crate::runtime::client::Connection).
        #[derive(Clone, Debug)]
        pub struct $name(crate::runtime::client::Connection);

        impl ::std::convert::From<crate::runtime::client::Connection> for $name {
            fn from(connection: crate::runtime::client::Connection) -> Self {
                $name(connection)
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = crate::runtime::client::Connection;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl $name {
            /// A client for `base_url` (`https://api.example.com`): connect timeout 10 s,
            /// 30 s per attempt, the default retry policy.
            pub fn new(base_url: impl ::std::convert::Into<::std::string::String>) -> Self {
                $name(crate::runtime::client::Connection::new(base_url))
            }

            /// A client using the caller's `reqwest::Client` (its timeouts, proxies and TLS apply).
            pub fn from_reqwest(http: ::reqwest::Client, base_url: impl ::std::convert::Into<::std::string::String>) -> Self {
                $name(crate::runtime::client::Connection::from_reqwest(http, base_url))
            }

            /// Sends `Authorization: Bearer <token>` on operations secured by a bearer-type scheme.
            pub fn with_bearer_token(self, token: impl ::std::convert::Into<::std::string::String>) -> Self {
                $name(self.0.with_bearer_token(token))
            }

            /// Asks `provider` for the bearer token before each request.
            pub fn with_token_provider(self, provider: impl crate::runtime::client::TokenProvider) -> Self {
                $name(self.0.with_token_provider(provider))
            }

            /// Sends HTTP Basic credentials on operations secured by a basic scheme.
            pub fn with_basic_auth(
                self,
                username: impl ::std::convert::Into<::std::string::String>,
                password: ::std::option::Option<::std::string::String>,
            ) -> Self {
                $name(self.0.with_basic_auth(username, password))
            }

            /// Sends this API key where the operation's apiKey scheme says (header, query or cookie).
            pub fn with_api_key(self, key: impl ::std::convert::Into<::std::string::String>) -> Self {
                $name(self.0.with_api_key(key))
            }

            /// Adds a header to every request made through the returned client.
            pub fn with_header(self, name: ::reqwest::header::HeaderName, value: ::reqwest::header::HeaderValue) -> Self {
                $name(self.0.with_header(name, value))
            }

            /// Strict mode: validate every documented response against its schema.
            pub fn strict(self, on: bool) -> Self {
                $name(self.0.strict(on))
            }

            /// Validate every request against the spec before sending it (see
            /// [`Connection::validate_requests`](crate::runtime::client::Connection::validate_requests)).
            pub fn validate_requests(self, on: bool) -> Self {
                $name(self.0.validate_requests(on))
            }

            /// The whole-request timeout of each attempt.
            pub fn with_timeout(self, timeout: ::std::time::Duration) -> Self {
                $name(self.0.with_timeout(timeout))
            }

            /// The retry policy ([`RetryPolicy::never`](crate::runtime::client::RetryPolicy::never) turns retries off).
            pub fn with_retry(self, policy: crate::runtime::client::RetryPolicy) -> Self {
                $name(self.0.with_retry(policy))
            }

            /// Calls `hook` before each attempt is sent and when it ends.
            pub fn with_hook(self, hook: impl crate::runtime::client::Hook) -> Self {
                $name(self.0.with_hook(hook))
            }

            /// Waits between attempts with `sleeper` instead of tokio's timer.
            pub fn with_sleeper(self, sleeper: impl crate::runtime::client::Sleeper) -> Self {
                $name(self.0.with_sleeper(sleeper))
            }

            /// The response headers that carry the request id, first match wins.
            pub fn with_request_id_headers<S: ::std::convert::Into<::std::string::String>>(self, names: impl ::std::iter::IntoIterator<Item = S>) -> Self {
                $name(self.0.with_request_id_headers(names))
            }

            /// A copy with `options` applied, for one call: `client.with_options(..).op(..)`.
            pub fn with_options(&self, options: crate::runtime::client::CallOptions) -> Self {
                $name(self.0.with_options(options))
            }
        }
    };
}

#[cfg(not(feature = "embedded"))]
pub use crate::__client_type as client_type;
#[cfg(feature = "embedded")]
pub(crate) use __client_type as client_type;

/// Percent-encodes one path segment (RFC 3986 unreserved characters pass through).
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub use super::Style;

fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value's parts: `Items` for arrays, `Entries` for objects, `One` otherwise.
enum Parts {
    One(String),
    Items(Vec<String>),
    Entries(Vec<(String, String)>),
}

fn parts<T: serde::Serialize>(value: &T) -> Parts {
    match serde_json::to_value(value).unwrap_or(serde_json::Value::Null) {
        serde_json::Value::Array(items) => Parts::Items(items.iter().map(scalar_text).collect()),
        serde_json::Value::Object(map) => Parts::Entries(map.iter().map(|(k, v)| (k.clone(), scalar_text(v))).collect()),
        other => Parts::One(scalar_text(&other)),
    }
}

fn joined(parts: Parts, sep: &str, explode: bool) -> String {
    match parts {
        Parts::One(s) => s,
        Parts::Items(items) => items.join(sep),
        Parts::Entries(entries) if explode => entries.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(sep),
        Parts::Entries(entries) => entries.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect::<Vec<_>>().join(sep),
    }
}

/// `Err(InvalidRequest)` when the request's checks found violations.
#[doc(hidden)]
pub fn checked<E>(violations: Vec<Violation>) -> Result<(), ClientError<E>> {
    if violations.is_empty() { Ok(()) } else { Err(ClientError::InvalidRequest { violations }) }
}

/// The text of a header or cookie parameter (simple style).
pub fn simple_text<T: serde::Serialize>(value: &T, explode: bool) -> String {
    joined(parts(value), ",", explode)
}

/// The text of a parameter value (simple style, not exploded).
pub fn param_text<T: serde::Serialize>(value: &T) -> String {
    simple_text(value, false)
}

/// One path parameter, percent-encoded, in its style.
pub fn path_text<T: serde::Serialize>(name: &str, value: &T, style: Style, explode: bool) -> String {
    let enc = |p: Parts| match p {
        Parts::One(s) => Parts::One(encode_segment(&s)),
        Parts::Items(i) => Parts::Items(i.iter().map(|s| encode_segment(s)).collect()),
        Parts::Entries(e) => Parts::Entries(e.iter().map(|(k, v)| (encode_segment(k), encode_segment(v))).collect()),
    };
    let p = enc(parts(value));
    match style {
        Style::Label => format!(".{}", joined(p, if explode { "." } else { "," }, explode)),
        Style::Matrix => match p {
            Parts::Items(items) if explode => items.iter().map(|v| format!(";{name}={v}")).collect(),
            Parts::Entries(entries) if explode => entries.iter().map(|(k, v)| format!(";{k}={v}")).collect(),
            other => format!(";{name}={}", joined(other, ",", false)),
        },
        _ => joined(p, ",", explode),
    }
}

/// Query pairs for one parameter in its style.
pub fn query_param<T: serde::Serialize>(name: &str, value: &T, style: Style, explode: bool) -> Vec<(String, String)> {
    if style == Style::Json {
        return vec![(name.to_string(), serde_json::to_string(value).unwrap_or_default())];
    }
    match (parts(value), style) {
        (Parts::One(s), _) if s == "null" => Vec::new(),
        (Parts::Entries(entries), Style::DeepObject) => entries.into_iter().map(|(k, v)| (format!("{name}[{k}]"), v)).collect(),
        (Parts::Items(items), Style::Form) if explode => items.into_iter().map(|v| (name.to_string(), v)).collect(),
        (Parts::Entries(entries), Style::Form) if explode => entries,
        (p, Style::SpaceDelimited) => vec![(name.to_string(), joined(p, " ", false))],
        (p, Style::PipeDelimited) => vec![(name.to_string(), joined(p, "|", false))],
        (p, _) => vec![(name.to_string(), joined(p, ",", false))],
    }
}

/// A value as form pairs under `prefix` (`prefix[key]` per member, repeated keys per list item,
/// `prefix[i][key]` for lists of objects), as form bodies and deepObject multipart parts send it.
pub fn form_pairs(prefix: &str, value: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_form_pairs(prefix, value, &mut out);
    out
}

fn collect_form_pairs(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Null => {}
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}[{k}]") };
                collect_form_pairs(&key, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                if v.is_object() || v.is_array() {
                    collect_form_pairs(&format!("{prefix}[{i}]"), v, out);
                } else {
                    collect_form_pairs(prefix, v, out);
                }
            }
        }
        other => out.push((prefix.to_string(), scalar_text(other))),
    }
}

/// The whole query string of an `in: querystring` parameter (OpenAPI 3.2): the value as a form
/// (as [`form_text`] writes a body), or, for [`Style::Json`], its JSON text percent-encoded.
pub fn querystring_text(value: &serde_json::Value, style: Style) -> String {
    if style == Style::Json {
        let text = value.to_string();
        let mut out = String::with_capacity(text.len());
        for b in text.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        return out;
    }
    form_urlencoded_text(&form_pairs("", value))
}

/// A form body (`application/x-www-form-urlencoded`): nested objects as `a[b]=c`, lists as
/// repeated keys (`a=1&a=2`), lists of objects as `a[0][b]=c`.
pub fn form_text<T: serde::Serialize>(value: &T) -> String {
    let pairs = form_pairs("", &serde_json::to_value(value).unwrap_or(serde_json::Value::Null));
    form_urlencoded_text(&pairs)
}

fn form_urlencoded_text(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// A multipart body from its parts.
pub fn multipart_form(body: &super::Multipart) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for p in &body.parts {
        let mut part = reqwest::multipart::Part::bytes(p.data.clone());
        if let Some(name) = &p.file_name {
            part = part.file_name(name.clone());
        }
        if let Some(ct) = &p.content_type {
            part = match part.mime_str(ct) {
                Ok(with_type) => with_type,
                Err(_) => reqwest::multipart::Part::bytes(p.data.clone()),
            };
        }
        form = form.part(p.name.clone(), part);
    }
    form
}

/// Reads documented response headers into their struct: each `(name, type bits)` header that is
/// present becomes a member, its text read as the type says (numbers, booleans, lists).
pub fn read_headers<T: serde::de::DeserializeOwned>(headers: &HeaderMap, specs: &[(&str, u8)]) -> Result<T, String> {
    let mut object = serde_json::Map::new();
    for (name, bits) in specs {
        let values: Vec<String> = headers.get_all(*name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
        if values.is_empty() {
            continue;
        }
        object.insert((*name).to_string(), super::text_value(&values.join(","), *bits));
    }
    super::convert(serde_json::Value::Object(object)).map_err(|e| format!("response headers: {e}"))
}
