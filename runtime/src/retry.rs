//! The client's call policy (feature `client`): [`RetryPolicy`] (which failures are retried, how
//! long to wait: exponential backoff with full jitter, `Retry-After` in seconds or as an HTTP
//! date), the [`Hook`] that sees every attempt, the injectable [`Sleeper`], and idempotency keys.
//! Re-exported by the `client` module; the loop that applies them is `Connection::send` there.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// When a call is retried and how long the client waits between attempts.
///
/// A call is retried only when that is safe: its method is idempotent by HTTP semantics (`GET`,
/// `HEAD`, `OPTIONS`, `TRACE`, `PUT`, `DELETE`) or the request carries the operation's
/// idempotency key (the same key on every attempt). Then it is retried on a transport failure
/// before any response (connection refused or reset, a timed-out attempt) and on the statuses in
/// [`RetryPolicy::statuses`], until [`RetryPolicy::max_attempts`] attempts were made or the next
/// wait would end past [`RetryPolicy::max_elapsed`] after the first attempt began.
///
/// The wait before attempt `n + 1` is the response's `Retry-After` (seconds or an HTTP date)
/// when it has one; a `Retry-After` longer than [`RetryPolicy::max_retry_after`] ends the
/// retries (the error is returned at once). Otherwise it is drawn uniformly from
/// `0..=min(max_delay, base_delay * 2^(n - 1))` ("full jitter").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (`1`: never retry). Default 3.
    pub max_attempts: u32,
    /// The first backoff ceiling; doubled for each further attempt. Default 200 ms.
    pub base_delay: Duration,
    /// The largest backoff ceiling. Default 10 s.
    pub max_delay: Duration,
    /// No attempt starts later than this after the first began. Default 60 s.
    pub max_elapsed: Duration,
    /// The longest `Retry-After` the client waits for. Default 60 s.
    pub max_retry_after: Duration,
    /// The statuses retried. Default 408, 429, 502, 503, 504.
    pub statuses: Vec<u16>,
    /// Whether a transport failure before any response (including a timed-out attempt) is
    /// retried. Default true.
    pub transport_errors: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(60),
            statuses: vec![408, 429, 502, 503, 504],
            transport_errors: true,
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt per call.
    pub fn never() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The policy with `max_attempts` attempts in all.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling before attempt `attempt + 1` (`attempt` counts from 1):
    /// `min(max_delay, base_delay * 2^(attempt - 1))`.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// A full-jitter wait before attempt `attempt + 1`: uniform in `0..=backoff_ceiling(attempt)`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.backoff_ceiling(attempt).as_nanos().min(u128::from(u64::MAX)) as u64;
        Duration::from_nanos(fastrand::u64(0..=ceiling))
    }
}

/// Whether a request with this method may be sent twice with the effect of once (RFC 9110 9.2.2).
pub fn idempotent_method(method: &reqwest::Method) -> bool {
    use reqwest::Method;
    // QUERY (OpenAPI 3.2, the HTTP QUERY method draft) is safe and idempotent like GET.
    [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE, Method::PUT, Method::DELETE].contains(method) || method.as_str() == "QUERY"
}

/// The wait a `Retry-After` header asks for: delay-seconds, or an HTTP date (the time from `now`
/// until then, zero when it is past). `None` when the header is absent or unreadable.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A fresh idempotency key: a random (version 4) UUID, hyphenated.
pub fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The future a [`Sleeper`] returns.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Waits between attempts. The default sleeps on tokio's timer; tests can record the waits
/// and return at once.
pub trait Sleeper: Send + Sync + 'static {
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> SleepFuture;
}

/// [`Sleeper`] on `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// One attempt of a call, as a [`Hook`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt<'a> {
    /// The operation's `operationId` (or the generated method's name when it has none).
    pub operation_id: &'a str,
    /// The path template (`/v1/tickets/{id}`).
    pub path: &'a str,
    /// The attempt's number, from 1.
    pub number: u32,
}

/// What an attempt ended with, as a [`Hook`] sees it.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A response, its body read.
    Response {
        /// The HTTP status.
        status: u16,
        /// The response headers.
        headers: &'a HeaderMap,
        /// The raw body.
        body: &'a [u8],
    },
    /// No response: connecting, sending or reading failed, or the attempt timed out.
    Failed(&'a reqwest::Error),
}

/// Sees, and may change, every outgoing request, and sees every attempt's outcome: for signing,
/// metrics, logging. Both methods do nothing by default. Set with `Client::with_hook`.
///
/// ```ignore
/// struct Sign;
/// impl Hook for Sign {
///     fn on_request(&self, attempt: &Attempt<'_>, request: &mut reqwest::Request) {
///         let signature = sign(request.url().as_str());
///         request.headers_mut().insert("x-signature", signature.parse().unwrap());
///     }
///     fn on_outcome(&self, attempt: &Attempt<'_>, outcome: &Outcome<'_>, elapsed: Duration) {
///         if let Outcome::Response { status, .. } = outcome {
///             println!("{} #{}: {status} in {elapsed:?}", attempt.operation_id, attempt.number);
///         }
///     }
/// }
/// ```
pub trait Hook: Send + Sync + 'static {
    /// Called before each attempt is sent, with the request as it will go out.
    fn on_request(&self, attempt: &Attempt<'_>, request: &mut reqwest::Request) {
        let _ = (attempt, request);
    }

    /// Called when each attempt ends, with how long it took.
    fn on_outcome(&self, attempt: &Attempt<'_>, outcome: &Outcome<'_>, elapsed: Duration) {
        let _ = (attempt, outcome, elapsed);
    }
}

/// The request id headers read by default, in order: `x-request-id`, then `request-id`.
pub const REQUEST_ID_HEADERS: [&str; 2] = ["x-request-id", "request-id"];

/// The first of `names` present in `headers` with a text value.
pub fn find_request_id(headers: &HeaderMap, names: &[String]) -> Option<String> {
    names.iter().find_map(|n| headers.get(n.as_str()).and_then(|v| v.to_str().ok()).map(str::to_string))
}
