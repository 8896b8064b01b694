//! The generated client's resilience over real sockets on loopback: a fault-injecting axum
//! server (503/429 with `Retry-After`, a dropped connection, a stalled handler) and the RevDesk
//! client (its one operation is a POST that declares `Idempotency-Key`), plus an unkeyed POST
//! and a GET sent through the runtime's `Connection::send` as a generated operation sends them.
//! Waits go through a recording sleeper, so no test sleeps for a `Retry-After`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use revdesk_api::client::{ApiClient, Attempt, CallOptions, Client, ClientError, Hook, Outcome, RetryPolicy, SleepFuture, Sleeper, V1RoomTokenPostError};
use revdesk_api::types::{V1RoomTokenPostParams, V1RoomTokenPostRequest};

/// What the server does with one attempt.
#[derive(Debug, Clone)]
enum Act {
    /// This status with these headers (`Retry-After`, `x-request-id`).
    Fail(u16, Vec<(&'static str, String)>),
    /// Panics in the handler: hyper drops the connection without a response.
    Drop,
    /// Sleeps far past any client timeout.
    Stall,
    /// Succeeds (the default once the script is used up).
    Ok,
}

#[derive(Default)]
struct Fault {
    script: Mutex<VecDeque<Act>>,
    /// Per attempt: the `Idempotency-Key` and `x-signature` headers it carried.
    seen: Mutex<Vec<(Option<String>, Option<String>)>>,
    /// How often the handler ran to success.
    succeeded: Mutex<u32>,
}

impl Fault {
    fn keys(&self) -> Vec<Option<String>> {
        self.seen.lock().expect("lock").iter().map(|(k, _)| k.clone()).collect()
    }
}

fn ok_body() -> serde_json::Value {
    serde_json::json!({"data": {"token": "t", "room_url": "https://r", "room_name": "r", "call_id": "c", "expires_in": 60.0, "from_number": "+1", "to_number": "+2"}})
}

async fn handle(fault: Arc<Fault>, headers: HeaderMap) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    fault.seen.lock().expect("lock").push((text("idempotency-key"), text("x-signature")));
    let act = fault.script.lock().expect("lock").pop_front().unwrap_or(Act::Ok);
    match act {
        Act::Fail(status, extra) => {
            let mut response = (StatusCode::from_u16(status).expect("status"), "unavailable").into_response();
            for (name, value) in extra {
                response.headers_mut().insert(name, value.parse().expect("header value"));
            }
            response
        }
        Act::Drop => panic!("fault injection: drop the connection"),
        Act::Stall => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        Act::Ok => {
            *fault.succeeded.lock().expect("lock") += 1;
            axum::Json(ok_body()).into_response()
        }
    }
}

async fn serve(script: Vec<Act>) -> (String, Arc<Fault>) {
    let fault = Arc::new(Fault { script: Mutex::new(script.into()), ..Fault::default() });
    let any = {
        let fault = fault.clone();
        move |headers: HeaderMap| handle(fault.clone(), headers)
    };
    let router = axum::Router::new().route("/v1/room-token", axum::routing::post(any.clone())).route("/plain", axum::routing::get(any.clone()).post(any));
    let addr = tests::serve(router).await;
    (format!("http://{addr}"), fault)
}

/// Records each wait and returns at once.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Duration>>>);

impl Sleeper for Recorder {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.0.lock().expect("lock").push(duration);
        Box::pin(async {})
    }
}

impl Recorder {
    fn waits(&self) -> Vec<Duration> {
        self.0.lock().expect("lock").clone()
    }
}

fn body() -> V1RoomTokenPostRequest {
    V1RoomTokenPostRequest { from_number: "+14155550100".into(), to_number: "+14155550101".into(), ttl_seconds: None }
}

fn retry_after(value: impl Into<String>) -> Vec<(&'static str, String)> {
    vec![("retry-after", value.into())]
}

#[tokio::test]
async fn a_keyed_post_is_retried_with_one_generated_key_and_waits_as_retry_after_says() {
    let in_three = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    let (base, fault) = serve(vec![Act::Fail(503, retry_after("2")), Act::Fail(429, retry_after(in_three)), Act::Ok]).await;
    let sleeper = Recorder::default();
    let client = Client::new(base).with_sleeper(sleeper.clone());
    let token = client.v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await.expect("third attempt succeeds");
    assert_eq!(token.data.call_id, "c");
    let keys = fault.keys();
    assert_eq!(keys.len(), 3, "{keys:?}");
    let key = keys[0].clone().expect("a generated key");
    assert_eq!(uuid::Uuid::parse_str(&key).expect("a UUID").get_version_num(), 4);
    assert!(keys.iter().all(|k| k.as_deref() == Some(key.as_str())), "one key on every attempt: {keys:?}");
    assert_eq!(*fault.succeeded.lock().expect("lock"), 1);
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert_eq!(waits[0], Duration::from_secs(2));
    // An HTTP date three seconds ahead (whole seconds, so between one and three from now).
    assert!(waits[1] >= Duration::from_secs(1) && waits[1] <= Duration::from_secs(3), "{waits:?}");
}

#[tokio::test]
async fn the_callers_key_is_sent_on_every_attempt() {
    let (base, fault) = serve(vec![Act::Fail(502, Vec::new()), Act::Ok]).await;
    let client = Client::new(base).with_sleeper(Recorder::default());
    let params = V1RoomTokenPostParams { idempotency_key: Some("mine-1".into()) };
    client.v1_room_token_post(&params, &body()).await.expect("second attempt succeeds");
    assert_eq!(fault.keys(), [Some("mine-1".to_string()), Some("mine-1".to_string())]);
    // Per call, through the options.
    let (base, fault) = serve(vec![Act::Fail(504, Vec::new()), Act::Ok]).await;
    let client = Client::new(base).with_sleeper(Recorder::default());
    client.with_options(CallOptions::default().idempotency_key("opt-2")).v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await.expect("ok");
    assert_eq!(fault.keys(), [Some("opt-2".to_string()), Some("opt-2".to_string())]);
}

#[tokio::test]
async fn retries_stop_at_max_attempts_and_the_error_carries_the_last_request_id() {
    let fails = (1..=5).map(|i| Act::Fail(503, vec![("x-request-id", format!("req_{i}"))])).collect();
    let (base, fault) = serve(fails).await;
    let sleeper = Recorder::default();
    let client = Client::new(base).with_sleeper(sleeper.clone());
    let error = client.v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await.expect_err("every attempt fails");
    assert_eq!(fault.keys().len(), 3, "the default policy makes three attempts");
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.request_id(), Some("req_3"));
    assert_eq!(error.body(), Some(&b"unavailable"[..]));
    assert!(error.to_string().contains("(request id req_3)"), "{error}");
    // Backoff without Retry-After: full jitter under the doubling ceilings.
    let waits = sleeper.waits();
    let policy = RetryPolicy::default();
    assert_eq!(waits.len(), 2);
    assert!(waits[0] <= policy.backoff_ceiling(1) && waits[1] <= policy.backoff_ceiling(2), "{waits:?}");
    // The typed errors keep the response too.
    let (base, _) = serve(vec![Act::Fail(429, vec![("retry-after", "3600".into()), ("request-id", "r-9".into())])]).await;
    let error = Client::new(base).with_sleeper(Recorder::default()).v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await;
    match error {
        Err(e @ ClientError::UnexpectedStatus { .. }) | Err(e @ ClientError::Decode { .. }) | Err(e @ ClientError::Api { .. }) => {
            assert_eq!(e.request_id(), Some("r-9"), "{e}");
        }
        other => panic!("expected a response error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retry_after_past_the_cap_or_the_time_budget_ends_the_retries() {
    let (base, fault) = serve(vec![Act::Fail(429, retry_after("3600")), Act::Ok]).await;
    let sleeper = Recorder::default();
    let client = Client::new(base).with_sleeper(sleeper.clone());
    let error = client.v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await.expect_err("not retried");
    assert_eq!(error.status(), Some(429));
    assert_eq!((fault.keys().len(), sleeper.waits().len()), (1, 0));
    let (base, fault) = serve(vec![Act::Fail(503, retry_after("5")), Act::Ok]).await;
    let policy = RetryPolicy { max_elapsed: Duration::from_secs(2), ..RetryPolicy::default() };
    let client = Client::new(base).with_sleeper(Recorder::default()).with_retry(policy);
    assert_eq!(client.v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await.expect_err("over budget").status(), Some(503));
    assert_eq!(fault.keys().len(), 1);
}

/// The connection a generated `Client` wraps, sending requests the way generated operations do.
use revdesk_api::client::Connection as Raw;

#[tokio::test]
async fn a_post_without_a_key_is_never_retried() {
    let (base, fault) = serve(vec![Act::Fail(503, Vec::new()), Act::Ok]).await;
    let sleeper = Recorder::default();
    let raw = Raw::new(base).with_sleeper(sleeper.clone());
    let response = raw.send::<()>(raw.request(reqwest::Method::POST, "/plain"), "plain", "/plain", None).await.expect("a response");
    assert_eq!(response.status, 503);
    assert_eq!(fault.keys(), [None]);
    assert!(sleeper.waits().is_empty());
    // Nor after a dropped connection.
    let (base, fault) = serve(vec![Act::Drop, Act::Ok]).await;
    let raw = Raw::new(base).with_sleeper(Recorder::default());
    let result = raw.send::<()>(raw.request(reqwest::Method::POST, "/plain"), "plain", "/plain", None).await;
    assert!(matches!(result, Err(ClientError::Transport(_))), "{result:?}");
    assert_eq!(fault.keys().len(), 1);
}

#[tokio::test]
async fn a_get_is_retried_after_a_dropped_connection() {
    let (base, fault) = serve(vec![Act::Drop, Act::Ok]).await;
    let raw = Raw::new(base).with_sleeper(Recorder::default());
    let response = raw.send::<()>(raw.request(reqwest::Method::GET, "/plain"), "plain", "/plain", None).await.expect("retried");
    assert_eq!(response.status, 200);
    assert_eq!(fault.keys().len(), 2);
    assert_eq!(*fault.succeeded.lock().expect("lock"), 1);
}

#[tokio::test]
async fn stalled_attempts_time_out_and_are_retried_as_configured() {
    let (base, fault) = serve(vec![Act::Stall, Act::Stall, Act::Stall]).await;
    let raw = Raw::new(base).with_sleeper(Recorder::default()).with_timeout(Duration::from_millis(200)).with_retry(RetryPolicy::default().with_max_attempts(2));
    let started = std::time::Instant::now();
    let result = raw.send::<()>(raw.request(reqwest::Method::GET, "/plain"), "plain", "/plain", None).await;
    match result {
        Err(ClientError::Transport(e)) => assert!(e.is_timeout(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(fault.keys().len(), 2);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // A per-call timeout through the options: one attempt, then the error.
    let (base, fault) = serve(vec![Act::Stall]).await;
    let raw = Raw::new(base);
    let once = raw.with_options(CallOptions::default().timeout(Duration::from_millis(100)).retry(RetryPolicy::never()));
    assert!(once.send::<()>(once.request(reqwest::Method::GET, "/plain"), "plain", "/plain", None).await.is_err());
    assert_eq!(fault.keys().len(), 1);
}

/// Signs each attempt and logs each outcome.
#[derive(Clone, Default)]
struct Signer(Arc<Mutex<Vec<String>>>);

impl Hook for Signer {
    fn on_request(&self, attempt: &Attempt<'_>, request: &mut reqwest::Request) {
        let signature = format!("{}-{}", attempt.operation_id, attempt.number);
        request.headers_mut().insert("x-signature", signature.parse().expect("value"));
    }

    fn on_outcome(&self, attempt: &Attempt<'_>, outcome: &Outcome<'_>, _elapsed: Duration) {
        let what = match outcome {
            Outcome::Response { status, .. } => status.to_string(),
            Outcome::Failed(_) => "failed".into(),
        };
        self.0.lock().expect("lock").push(format!("{} {} #{}: {what}", attempt.operation_id, attempt.path, attempt.number));
    }
}

#[tokio::test]
async fn the_hook_sees_and_changes_every_attempt() {
    let (base, fault) = serve(vec![Act::Fail(503, Vec::new()), Act::Ok]).await;
    let hook = Signer::default();
    let client = Client::new(base).with_sleeper(Recorder::default()).with_hook(hook.clone());
    client.v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await.expect("ok");
    let signatures: Vec<Option<String>> = fault.seen.lock().expect("lock").iter().map(|(_, s)| s.clone()).collect();
    assert_eq!(signatures, [Some("v1_room_token_post-1".to_string()), Some("v1_room_token_post-2".to_string())]);
    assert_eq!(*hook.0.lock().expect("lock"), ["v1_room_token_post /v1/room-token #1: 503", "v1_room_token_post /v1/room-token #2: 200"]);
}

/// A test double through the client trait: code written against `ApiClient` runs on either.
struct Canned;

impl ApiClient for Canned {
    async fn v1_room_token_post(
        &self,
        _params: &V1RoomTokenPostParams,
        _body: &V1RoomTokenPostRequest,
    ) -> Result<revdesk_api::types::V1RoomTokenPostResponse200, ClientError<V1RoomTokenPostError>> {
        Ok(serde_json::from_value(ok_body()).expect("canned"))
    }
}

async fn call_id(api: &impl ApiClient) -> String {
    api.v1_room_token_post(&V1RoomTokenPostParams::default(), &body()).await.map(|t| t.data.call_id).unwrap_or_default()
}

#[tokio::test]
async fn the_client_trait_takes_a_test_double() {
    assert_eq!(call_id(&Canned).await, "c");
    let (base, _) = serve(Vec::new()).await;
    assert_eq!(call_id(&Client::new(base)).await, "c");
}
