//! The server's idempotency layer (feature `server`): replay of saved responses for requests that
//! repeat an idempotency key, 409 for a key reused with another request, one handler run per key
//! under concurrency, and the store trait with its in-memory and Redis (feature `redis`) stores.
//!
//! Semantics, for an operation that declares the key header, when [`RouterConfig::idempotency`]
//! is set (`super::server::RouterConfig`):
//! - the layer runs after every check the router makes (auth, media type, size, validation):
//!   rejections are never saved and never use up a key;
//! - the stored key is a SHA-256 of the request's scope ([`idempotency_call`]'s `scope`, from
//!   the `Api::idempotency_scope` hook, by default a digest of the credentials the request
//!   authenticated with) and the key, so one caller never sees another caller's entry; a
//!   request without a scope (anonymous by default) is not idempotent;
//! - the request fingerprint is a SHA-256 of the method, the path template, the decoded path
//!   parameters, the decoded query pairs in order and the body's raw bytes (byte-exact: the
//!   same JSON written with other whitespace or member order is another request);
//! - the first request claims the key (an in-flight marker living [`IdempotencyConfig::lease`]),
//!   runs the handler and saves status, headers and body for [`IdempotencyConfig::retention`];
//!   a handler answer of 5xx (or a handler error or timeout) is not saved: the claim is released
//!   and a retry runs the handler again;
//! - a repeat with the same fingerprint gets the saved response with `Idempotency-Replay: true`;
//!   with another fingerprint, [`IdempotencyConfig::conflict_status`] (409) and
//!   [`IdempotencyConfig::conflict_code`] (`idempotency_conflict`) in the spec's error schema;
//! - a repeat that arrives while the first is in flight waits (polling the store every
//!   [`IdempotencyConfig::poll`], at most [`IdempotencyConfig::wait`]) and replays; past the
//!   wait it gets the conflict status with the message "still in progress"; if the first is
//!   released (5xx), a waiter claims the key and runs the handler itself;
//! - an empty key is no key; a key longer than [`IdempotencyConfig::max_key_len`] bytes is a 400
//!   (any header bytes are a key: it is hashed);
//! - when the store fails, the answer is 503 with `Retry-After` and the handler does not run.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::server::{Credentials, Extract, Rejection, RequestContext, RouterConfig};
use super::{InstancePath, Violation};

/// A boxed future, the return type of [`IdempotencyStore`] methods (object-safe async).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The store could not be reached or answered nonsense; the layer answers 503.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "idempotency store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// A response as saved: status, headers (name, value bytes) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedResponse {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl SavedResponse {
    /// A compact length-prefixed encoding (for stores that keep bytes).
    pub fn encode(&self, fingerprint: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 128);
        let mut put = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(bytes);
        };
        put(b"done1");
        put(fingerprint.as_bytes());
        put(&self.status.to_be_bytes());
        put(&(self.headers.len() as u32).to_be_bytes());
        for (name, value) in &self.headers {
            put(name.as_bytes());
            put(value);
        }
        put(&self.body);
        out
    }

    /// Reads [`SavedResponse::encode`]'s output: the fingerprint and the response.
    pub fn decode(mut bytes: &[u8]) -> Option<(String, SavedResponse)> {
        let mut take = || -> Option<Vec<u8>> {
            let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
            let item = bytes.get(4..4 + len)?.to_vec();
            bytes = &bytes[4 + len..];
            Some(item)
        };
        if take()? != b"done1" {
            return None;
        }
        let fingerprint = String::from_utf8(take()?).ok()?;
        let status = u16::from_be_bytes(take()?.try_into().ok()?);
        let count = u32::from_be_bytes(take()?.try_into().ok()?) as usize;
        let mut headers = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            let name = String::from_utf8(take()?).ok()?;
            headers.push((name, take()?));
        }
        let body = take()?;
        Some((fingerprint, SavedResponse { status, headers, body }))
    }
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free and is now held by this request: the token releases or completes it.
    Claimed {
        /// Identifies this claim (a release by another holder is ignored).
        token: String,
    },
    /// Another request holds the key.
    InFlight {
        /// That request's fingerprint.
        fingerprint: String,
    },
    /// A saved response.
    Done {
        /// The saved request's fingerprint.
        fingerprint: String,
        /// The saved response.
        response: SavedResponse,
    },
}

/// Where claims and saved responses live. Every method is atomic per key: of two concurrent
/// `claim`s of a free key exactly one gets [`Claim::Claimed`].
pub trait IdempotencyStore: Send + Sync + fmt::Debug + 'static {
    /// Claims `key` for `lease` unless it is held or saved; returns what is there otherwise.
    fn claim<'a>(&'a self, key: &'a str, fingerprint: &'a str, lease: Duration) -> StoreFuture<'a, Claim>;
    /// Replaces this claim by the saved response, kept for `retention`.
    fn complete<'a>(&'a self, key: &'a str, token: &'a str, fingerprint: &'a str, response: &'a SavedResponse, retention: Duration) -> StoreFuture<'a, ()>;
    /// Drops this claim (the handler's answer is not saved).
    fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, ()>;
}

/// Settings of the idempotency layer.
#[derive(Debug, Clone)]
pub struct IdempotencyConfig {
    /// How long a saved response is replayed. Default 24 h.
    pub retention: Duration,
    /// How long an in-flight claim lives if its holder never completes it (a crashed instance,
    /// a dropped connection). Default 60 s (longer than the default handler timeout).
    pub lease: Duration,
    /// How long a request waits for a concurrent one holding its key. Default 10 s.
    pub wait: Duration,
    /// How often a waiting request looks at the store. Default 20 ms.
    pub poll: Duration,
    /// Longest key accepted (400 past it). Default 255.
    pub max_key_len: usize,
    /// Largest response body saved; a larger one is answered but not saved (the claim is
    /// released). Default 1 MiB.
    pub max_saved_body: usize,
    /// Status of a key reused with another request. Default 409 (the IETF draft uses 422).
    pub conflict_status: StatusCode,
    /// Error code of that answer. Default `idempotency_conflict`.
    pub conflict_code: &'static str,
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        IdempotencyConfig {
            retention: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(60),
            wait: Duration::from_secs(10),
            poll: Duration::from_millis(20),
            max_key_len: 255,
            max_saved_body: 1024 * 1024,
            conflict_status: StatusCode::CONFLICT,
            conflict_code: "idempotency_conflict",
        }
    }
}

/// The layer's settings and store ([`RouterConfig::idempotency`]).
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The store.
    pub store: Arc<dyn IdempotencyStore>,
    /// The settings.
    pub config: IdempotencyConfig,
}

impl Idempotency {
    /// The layer over `store` with default settings.
    pub fn new(store: impl IdempotencyStore) -> Self {
        Idempotency { store: Arc::new(store), config: IdempotencyConfig::default() }
    }

    /// The layer with an in-memory store of at most `max_entries` keys (one server instance).
    pub fn in_memory(max_entries: usize) -> Self {
        Idempotency::new(MemoryStore::new(max_entries))
    }
}

/// What the generated handler knows about one request of an operation with a key header.
#[derive(Debug)]
pub struct IdempotencyRequest<'a> {
    /// The operation's method name.
    pub operation: &'static str,
    /// The path template (`/v1/room-token`).
    pub template: &'static str,
    /// The key header's name.
    pub header: &'static str,
    /// The request.
    pub ctx: &'a RequestContext,
    /// The decoded path parameters.
    pub path_params: &'a [(String, String)],
    /// The raw body (empty when there is none).
    pub body: &'a [u8],
}

/// A request the layer handles: its store key and fingerprint.
#[derive(Debug)]
pub struct IdempotentCall {
    layer: Idempotency,
    key: String,
    fingerprint: String,
    retry_after: u64,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 over length-prefixed parts (no two part lists hash the same input).
fn digest(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hex(&hash.finalize())
}

/// The request's fingerprint (see the module docs).
pub fn fingerprint(request: &IdempotencyRequest<'_>) -> String {
    let query = super::server::query_pairs(&request.ctx.uri);
    let mut parts: Vec<&[u8]> = vec![request.ctx.method.as_str().as_bytes(), request.template.as_bytes()];
    let count = (request.path_params.len() as u64).to_be_bytes();
    parts.push(&count);
    for (k, v) in request.path_params {
        parts.push(k.as_bytes());
        parts.push(v.as_bytes());
    }
    let qcount = (query.len() as u64).to_be_bytes();
    parts.push(&qcount);
    for (k, v) in &query {
        parts.push(k.as_bytes());
        parts.push(v.as_bytes());
    }
    parts.push(request.body);
    digest(&parts)
}

/// A digest of the credentials of the first security alternative the request carries in full
/// (the one [`super::server::authorize`] authenticates), or `None` when it carries none: the
/// default idempotency scope.
pub fn credentials_scope(ctx: &RequestContext, alternatives: &[&[(&'static str, &'static [&'static str])]], extract: Extract) -> Option<String> {
    'alternatives: for alternative in alternatives {
        if alternative.is_empty() {
            continue;
        }
        let mut parts: Vec<Vec<u8>> = Vec::new();
        for (scheme, _) in alternative.iter() {
            let Some(Ok(credentials)) = extract(scheme, ctx) else { continue 'alternatives };
            parts.push(scheme.as_bytes().to_vec());
            parts.push(match credentials {
                Credentials::Bearer(t) | Credentials::ApiKey(t) => t.into_bytes(),
                Credentials::Basic { username, password } => format!("{username}\0{password}").into_bytes(),
                Credentials::Http { scheme, value } => format!("{scheme}\0{value}").into_bytes(),
                // Nothing visible at the HTTP layer: override `Api::idempotency_scope`.
                Credentials::MutualTls | Credentials::Undefined => continue 'alternatives,
            });
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        return Some(digest(&refs));
    }
    None
}

/// The layer's view of a request: `None` when the layer is off, the key absent or empty, or the
/// request has no scope; 400 when the key is too long.
pub fn idempotency_call(
    config: &RouterConfig,
    request: IdempotencyRequest<'_>,
    scope: impl FnOnce() -> Option<String>,
) -> Result<Option<IdempotentCall>, Rejection> {
    let Some(layer) = &config.idempotency else { return Ok(None) };
    let Some(raw) = request.ctx.headers.get(request.header) else { return Ok(None) };
    let key = raw.as_bytes();
    if key.is_empty() {
        return Ok(None);
    }
    let mut path = InstancePath::root();
    path.push_key(request.header);
    if key.len() > layer.config.max_key_len {
        let mut violations: Vec<Violation> = Vec::new();
        let message = format!("must be at most {} bytes long", layer.config.max_key_len);
        super::violation(&mut violations, &path, "maxLength", message);
        return Err(Rejection::validation(violations));
    }
    // The scope (a SHA-256 of the credentials, `Api::idempotency_scope`) only for a request the
    // layer handles.
    let Some(scope) = scope() else { return Ok(None) };
    let store_key = digest(&[scope.as_bytes(), key]);
    let fingerprint = fingerprint(&request);
    Ok(Some(IdempotentCall { layer: layer.clone(), key: store_key, fingerprint, retry_after: config.retry_after_secs }))
}

/// The `Idempotency-Replay` header of replayed responses.
pub const REPLAY_HEADER: &str = "idempotency-replay";

fn replay(saved: SavedResponse) -> Response {
    let mut response = Response::new(axum::body::Body::from(saved.body));
    *response.status_mut() = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in saved.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_bytes(&value)) {
            headers.append(n, v);
        }
    }
    headers.insert(HeaderName::from_static(REPLAY_HEADER), HeaderValue::from_static("true"));
    response
}

impl IdempotentCall {
    fn conflict(&self, message: &str) -> Rejection {
        Rejection::Conflict { status: self.layer.config.conflict_status, code: self.layer.config.conflict_code, message: message.to_string() }
    }

    fn unavailable(&self, error: &StoreError) -> Rejection {
        tracing::warn!(%error, "idempotency store unavailable");
        Rejection::Unavailable { message: "the idempotency store is unavailable; retry later".into(), retry_after: self.retry_after }
    }

    /// Runs `handler` at most once per key (see the module docs).
    pub async fn run<F>(self, handler: F) -> Result<Response, Rejection>
    where
        F: Future<Output = Result<Response, Rejection>>,
    {
        let store = &self.layer.store;
        let config = &self.layer.config;
        let deadline = Instant::now() + config.wait;
        let token = loop {
            match store.claim(&self.key, &self.fingerprint, config.lease).await {
                Err(e) => return Err(self.unavailable(&e)),
                Ok(Claim::Claimed { token }) => break token,
                Ok(Claim::Done { fingerprint, response }) if fingerprint == self.fingerprint => return Ok(replay(response)),
                Ok(Claim::Done { .. }) => return Err(self.conflict("this idempotency key was already used with another request")),
                Ok(Claim::InFlight { fingerprint }) if fingerprint != self.fingerprint => {
                    return Err(self.conflict("this idempotency key is in use by another request"));
                }
                Ok(Claim::InFlight { .. }) => {
                    if Instant::now() >= deadline {
                        return Err(self.conflict("a request with this idempotency key is still in progress; retry later"));
                    }
                    tokio::time::sleep(config.poll).await;
                }
            }
        };
        // Released when the handler's answer is not saved; a dropped future leaves the claim to
        // expire after the lease (the handler may have had effects).
        let outcome = handler.await;
        let response = match outcome {
            Ok(response) if !response.status().is_server_error() => response,
            other => {
                if let Err(e) = store.release(&self.key, &token).await {
                    tracing::warn!(error = %e, "idempotency claim not released");
                }
                return other;
            }
        };
        let (parts, body) = response.into_parts();
        let bytes = match axum::body::to_bytes(body, config.max_saved_body).await {
            Ok(b) => b,
            Err(_) => {
                let _ = store.release(&self.key, &token).await;
                return Err(Rejection::Handler { status: StatusCode::INTERNAL_SERVER_ERROR, message: "the response body could not be read".into() });
            }
        };
        let saved = SavedResponse {
            status: parts.status.as_u16(),
            headers: parts.headers.iter().map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec())).collect(),
            body: bytes.to_vec(),
        };
        if let Err(e) = store.complete(&self.key, &token, &self.fingerprint, &saved, config.retention).await {
            // The handler ran: its answer goes out; a retry may run it again once the lease ends.
            tracing::warn!(error = %e, "idempotency response not saved");
        }
        Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
    }
}

/// Runs `handler` through the layer when `call` is `Some`.
pub async fn idempotent<F>(call: Option<IdempotentCall>, handler: F) -> Result<Response, Rejection>
where
    F: Future<Output = Result<Response, Rejection>>,
{
    match call {
        Some(call) => call.run(handler).await,
        None => handler.await,
    }
}

#[derive(Debug)]
enum MemoryEntry {
    InFlight { fingerprint: String, token: String, until: Instant },
    Done { fingerprint: String, response: SavedResponse, until: Instant },
}

impl MemoryEntry {
    fn until(&self) -> Instant {
        match self {
            MemoryEntry::InFlight { until, .. } | MemoryEntry::Done { until, .. } => *until,
        }
    }
}

#[derive(Debug, Default)]
struct MemoryState {
    entries: HashMap<String, MemoryEntry>,
    order: VecDeque<String>,
    next_token: u64,
}

/// The in-memory store (one server instance): at most `max_entries` keys, the oldest claimed
/// forgotten first, each entry expiring after its lease or retention.
#[derive(Debug)]
pub struct MemoryStore {
    max_entries: usize,
    state: Mutex<MemoryState>,
}

impl MemoryStore {
    /// A store of at most `max_entries` keys (at least one).
    pub fn new(max_entries: usize) -> Self {
        MemoryStore { max_entries: max_entries.max(1), state: Mutex::new(MemoryState::default()) }
    }

    /// How many keys are held or saved (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no key is held or saved.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn claim_now(&self, key: &str, fingerprint: &str, lease: Duration) -> Claim {
        let now = Instant::now();
        let mut state = self.lock();
        match state.entries.get(key) {
            Some(entry) if entry.until() > now => {
                return match entry {
                    MemoryEntry::InFlight { fingerprint, .. } => Claim::InFlight { fingerprint: fingerprint.clone() },
                    MemoryEntry::Done { fingerprint, response, .. } => Claim::Done { fingerprint: fingerprint.clone(), response: response.clone() },
                };
            }
            Some(_) => {
                state.entries.remove(key);
            }
            None => {}
        }
        // Sweep: drop forgotten order entries, then the oldest keys past the bound.
        while state.entries.len() >= self.max_entries || state.order.len() > 2 * self.max_entries {
            let Some(oldest) = state.order.pop_front() else { break };
            state.entries.remove(&oldest);
        }
        state.next_token += 1;
        let token = state.next_token.to_string();
        state.entries.insert(key.to_string(), MemoryEntry::InFlight { fingerprint: fingerprint.to_string(), token: token.clone(), until: now + lease });
        state.order.push_back(key.to_string());
        Claim::Claimed { token }
    }
}

impl IdempotencyStore for MemoryStore {
    fn claim<'a>(&'a self, key: &'a str, fingerprint: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
        let claim = self.claim_now(key, fingerprint, lease);
        Box::pin(async move { Ok(claim) })
    }

    fn complete<'a>(&'a self, key: &'a str, token: &'a str, fingerprint: &'a str, response: &'a SavedResponse, retention: Duration) -> StoreFuture<'a, ()> {
        let mut state = self.lock();
        if matches!(state.entries.get(key), Some(MemoryEntry::InFlight { token: t, .. }) if t == token) {
            state.entries.insert(
                key.to_string(),
                MemoryEntry::Done { fingerprint: fingerprint.to_string(), response: response.clone(), until: Instant::now() + retention },
            );
        }
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, ()> {
        let mut state = self.lock();
        if matches!(state.entries.get(key), Some(MemoryEntry::InFlight { token: t, .. }) if t == token) {
            state.entries.remove(key);
        }
        Box::pin(async { Ok(()) })
    }
}

#[cfg(feature = "redis")]
pub use self::redis_store::RedisStore;

#[cfg(feature = "redis")]
mod redis_store {
    //! The Redis store: `SET key v NX PX lease` claims, a compare-and-set script completes or
    //! releases only this claim, saved responses expire after the retention.

    use super::{Claim, IdempotencyStore, SavedResponse, StoreError, StoreFuture};
    use std::time::Duration;

    /// The Redis store (feature `redis`): several server instances sharing one Redis agree on
    /// every key. Keys are `{prefix}{sha256}`; values are an in-flight marker
    /// (`inflight1:{token}:{fingerprint}`) or an encoded [`SavedResponse`].
    #[derive(Clone)]
    pub struct RedisStore {
        connection: redis::aio::ConnectionManager,
        prefix: String,
    }

    impl std::fmt::Debug for RedisStore {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
        }
    }

    fn err(e: redis::RedisError) -> StoreError {
        StoreError(e.to_string())
    }

    /// Saves the response only while the key holds this claim's marker.
    const COMPARE_AND_SET: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 0";

    impl RedisStore {
        /// A store on `url` (`redis://127.0.0.1:6379/`); connects lazily, so a Redis that is
        /// down makes requests answer 503 rather than the server fail to start. `timeout`
        /// bounds each command and connection attempt.
        pub fn open(url: &str, prefix: impl Into<String>, timeout: Duration) -> Result<Self, StoreError> {
            let client = redis::Client::open(url).map_err(err)?;
            let config =
                redis::aio::ConnectionManagerConfig::new().set_response_timeout(Some(timeout)).set_connection_timeout(Some(timeout)).set_number_of_retries(1);
            let connection = redis::aio::ConnectionManager::new_lazy_with_config(client, config).map_err(err)?;
            Ok(RedisStore { connection, prefix: prefix.into() })
        }

        fn key(&self, key: &str) -> String {
            format!("{}{key}", self.prefix)
        }

        fn marker(token: &str, fingerprint: &str) -> Vec<u8> {
            format!("inflight1:{token}:{fingerprint}").into_bytes()
        }
    }

    fn token() -> String {
        use std::hash::{BuildHasher, Hasher};
        let mut a = std::collections::hash_map::RandomState::new().build_hasher();
        a.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        let mut b = std::collections::hash_map::RandomState::new().build_hasher();
        b.write_u64(a.finish());
        format!("{:016x}{:016x}", a.finish(), b.finish())
    }

    impl IdempotencyStore for RedisStore {
        fn claim<'a>(&'a self, key: &'a str, fingerprint: &'a str, lease: Duration) -> StoreFuture<'a, Claim> {
            Box::pin(async move {
                let mut c = self.connection.clone();
                let key = self.key(key);
                let token = token();
                let px = lease.as_millis().max(1) as u64;
                let set: Option<String> =
                    redis::cmd("SET").arg(&key).arg(Self::marker(&token, fingerprint)).arg("NX").arg("PX").arg(px).query_async(&mut c).await.map_err(err)?;
                if set.is_some() {
                    return Ok(Claim::Claimed { token });
                }
                let value: Option<Vec<u8>> = redis::cmd("GET").arg(&key).query_async(&mut c).await.map_err(err)?;
                let Some(value) = value else {
                    // Expired or released in between: claim again on the next poll.
                    return Ok(Claim::InFlight { fingerprint: fingerprint.to_string() });
                };
                if let Some(rest) = value.strip_prefix(b"inflight1:") {
                    let text = String::from_utf8_lossy(rest);
                    let held = text.split_once(':').map_or("", |(_, f)| f).to_string();
                    return Ok(Claim::InFlight { fingerprint: held });
                }
                let (fingerprint, response) = SavedResponse::decode(&value).ok_or_else(|| StoreError(format!("unreadable entry under {key}")))?;
                Ok(Claim::Done { fingerprint, response })
            })
        }

        fn complete<'a>(&'a self, key: &'a str, token: &'a str, fingerprint: &'a str, response: &'a SavedResponse, retention: Duration) -> StoreFuture<'a, ()> {
            Box::pin(async move {
                let mut c = self.connection.clone();
                let px = retention.as_millis().max(1) as u64;
                let _: redis::Value = redis::cmd("EVAL")
                    .arg(COMPARE_AND_SET)
                    .arg(1)
                    .arg(self.key(key))
                    .arg(Self::marker(token, fingerprint))
                    .arg(response.encode(fingerprint))
                    .arg(px)
                    .query_async(&mut c)
                    .await
                    .map_err(err)?;
                Ok(())
            })
        }

        fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, ()> {
            Box::pin(async move {
                let mut c = self.connection.clone();
                // The marker holds the fingerprint too: match on the token prefix.
                const RELEASE: &str = r"
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";
                let _: redis::Value =
                    redis::cmd("EVAL").arg(RELEASE).arg(1).arg(self.key(key)).arg(format!("inflight1:{token}:")).query_async(&mut c).await.map_err(err)?;
                Ok(())
            })
        }
    }
}
