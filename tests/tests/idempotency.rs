//! The server idempotency layer with the in-memory store, and request ids, over real sockets on
//! the generated RevDesk router: replay, conflict, concurrency, 5xx and rejections not saved,
//! scope per principal, key limits, a failing store, request ids on every response.

mod idem;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::StatusCode;
use idem::{Counting, call_id, post, post_raw, serve};
use revdesk_api::runtime::idempotency::{Claim, Idempotency, IdempotencyConfig, IdempotencyStore, MemoryStore, SavedResponse, StoreError, StoreFuture};

fn api(delay_ms: u64) -> Counting {
    Counting { counts: Arc::default(), delay: Duration::from_millis(delay_ms) }
}

fn memory() -> Option<Idempotency> {
    Some(Idempotency::in_memory(1000))
}

#[tokio::test]
async fn same_key_and_body_replays_without_running_the_handler() {
    let api = api(0);
    let addr = serve(api.clone(), memory()).await;
    let first = post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((first.status, first.replay.as_deref()), (200, None));
    let again = post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((again.status, again.replay.as_deref()), (200, Some("true")));
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 1);
    // Each answer carries its own request's id.
    assert_ne!(first.request_id, again.request_id);
}

#[tokio::test]
async fn same_key_with_another_body_is_a_409_in_the_error_schema() {
    let api = api(0);
    let addr = serve(api.clone(), memory()).await;
    assert_eq!(post(addr, Some("alice"), Some("k1"), "+14155550101").await.status, 200);
    let other = post(addr, Some("alice"), Some("k1"), "+14155550102").await;
    assert_eq!(other.status, 409);
    assert_eq!(other.json["error"]["code"], "idempotency_conflict", "{}", other.json);
    // The body is byte-exact: the same JSON with other whitespace is another request.
    let spaced = post_raw(addr, Some("alice"), Some("k1"), br#"{"from_number":"+14155550100","to_number":"+14155550101"}"#.to_vec(), &[]).await;
    assert_eq!(spaced.status, 409);
    // So is another query string.
    let mut req = reqwest::Client::new().post(format!("http://{addr}/v1/room-token?x=1")).header("authorization", "Bearer alice");
    req = req.header("idempotency-key", "k1").header("content-type", "application/json");
    let r = req.body(r#"{"from_number": "+14155550100", "to_number": "+14155550101"}"#).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_conflict_status_and_code_are_configurable() {
    let layer = Idempotency {
        config: IdempotencyConfig { conflict_status: StatusCode::UNPROCESSABLE_ENTITY, conflict_code: "key_reused", ..IdempotencyConfig::default() },
        ..Idempotency::in_memory(10)
    };
    let addr = serve(api(0), Some(layer)).await;
    post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    let other = post(addr, Some("alice"), Some("k1"), "+14155550102").await;
    assert_eq!((other.status, other.json["error"]["code"].as_str()), (422, Some("key_reused")));
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_the_handler_once_and_all_replay() {
    let api = api(300);
    let addr = serve(api.clone(), memory()).await;
    let tasks: Vec<_> = (0..24).map(|_| tokio::spawn(async move { post(addr, Some("alice"), Some("same"), "+14155550101").await })).collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 1);
    assert!(answers.iter().all(|a| a.status == 200), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    let first = call_id(&answers[0]);
    assert!(answers.iter().all(|a| call_id(a) == first));
    assert_eq!(answers.iter().filter(|a| a.replay.is_none()).count(), 1, "exactly one answer is the original");
}

#[tokio::test]
async fn a_concurrent_request_past_the_wait_gets_the_conflict_status() {
    let layer = Idempotency { config: IdempotencyConfig { wait: Duration::from_millis(50), ..IdempotencyConfig::default() }, ..Idempotency::in_memory(10) };
    let api = api(400);
    let addr = serve(api.clone(), Some(layer)).await;
    let slow = tokio::spawn(async move { post(addr, Some("alice"), Some("k"), "+14155550101").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = post(addr, Some("alice"), Some("k"), "+14155550101").await;
    assert_eq!(waiting.status, 409);
    assert!(waiting.json["error"]["message"].as_str().unwrap_or_default().contains("in progress"), "{}", waiting.json);
    assert_eq!(slow.await.expect("task").status, 200);
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn handler_5xx_is_not_saved_so_a_retry_runs_again() {
    let api = api(0);
    api.counts.fail_first.store(1, Ordering::SeqCst);
    let addr = serve(api.clone(), memory()).await;
    assert_eq!(post(addr, Some("alice"), Some("k1"), "+14155550101").await.status, 500);
    let retry = post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((retry.status, retry.replay.as_deref()), (200, None));
    let replayed = post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((replayed.status, replayed.replay.as_deref()), (200, Some("true")));
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn rejections_before_the_handler_are_not_saved_and_do_not_use_up_the_key() {
    let api = api(0);
    let addr = serve(api.clone(), memory()).await;
    // 400 (schema), 401 (credentials), 415 (media type) with the key first.
    assert_eq!(post_raw(addr, Some("alice"), Some("k1"), br#"{"from_number": 5}"#.to_vec(), &[]).await.status, 400);
    assert_eq!(post(addr, Some("bad"), Some("k1"), "+14155550101").await.status, 401);
    let mut req = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).header("authorization", "Bearer alice");
    req = req.header("idempotency-key", "k1").header("content-type", "text/plain");
    assert_eq!(req.body("x").send().await.expect("sent").status().as_u16(), 415);
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 0);
    let ok = post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((ok.status, ok.replay.as_deref()), (200, None));
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller() {
    let api = api(0);
    let addr = serve(api.clone(), memory()).await;
    let alice = post(addr, Some("alice"), Some("shared"), "+14155550101").await;
    let bob = post(addr, Some("bob"), Some("shared"), "+14155550101").await;
    assert_eq!((bob.status, bob.replay.as_deref()), (200, None));
    assert_ne!(call_id(&alice), call_id(&bob));
    // Bob's other body under the same key is no conflict with Alice's entry either.
    assert_eq!(post(addr, Some("bob2"), Some("shared"), "+14155550109").await.status, 200);
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_long_key_is_a_400_and_an_empty_key_is_no_key() {
    let layer = Idempotency { config: IdempotencyConfig { max_key_len: 8, ..IdempotencyConfig::default() }, ..Idempotency::in_memory(10) };
    let api = api(0);
    let addr = serve(api.clone(), Some(layer)).await;
    let long = post(addr, Some("alice"), Some("123456789"), "+14155550101").await;
    assert_eq!((long.status, long.json["error"]["code"].as_str()), (400, Some("validation_error")));
    assert!(long.json["error"]["fields"]["Idempotency-Key"].is_string(), "{}", long.json);
    assert_eq!(post(addr, Some("alice"), Some("12345678"), "+14155550101").await.status, 200);
    for _ in 0..2 {
        let empty = post(addr, Some("alice"), Some(""), "+14155550101").await;
        assert_eq!((empty.status, empty.replay.as_deref()), (200, None));
    }
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn without_the_layer_every_request_runs() {
    let api = api(0);
    let addr = serve(api.clone(), None).await;
    post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    let again = post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((again.status, again.replay), (200, None));
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 2);
}

/// A store that is down.
#[derive(Debug)]
struct Down;

impl IdempotencyStore for Down {
    fn claim<'a>(&'a self, _: &'a str, _: &'a str, _: Duration) -> StoreFuture<'a, Claim> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
    fn complete<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str, _: &'a SavedResponse, _: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
    fn release<'a>(&'a self, _: &'a str, _: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
}

#[tokio::test]
async fn a_store_that_is_down_fails_closed_with_503_and_retry_after() {
    let api = api(0);
    let addr = serve(api.clone(), Some(Idempotency::new(Down))).await;
    let a = post(addr, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((a.status, a.retry_after.as_deref(), a.json["error"]["code"].as_str()), (503, Some("1"), Some("service_unavailable")));
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 0);
    // Without a key the store is not asked.
    assert_eq!(post(addr, Some("alice"), None, "+14155550101").await.status, 200);
}

#[test]
fn the_memory_store_is_bounded_and_entries_expire() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("rt");
    rt.block_on(async {
        let store = MemoryStore::new(3);
        for i in 0..10 {
            let claim = store.claim(&format!("k{i}"), "f", Duration::from_secs(60)).await.expect("claim");
            assert!(matches!(claim, Claim::Claimed { .. }));
        }
        assert!(store.len() <= 3, "{}", store.len());
        let Claim::Claimed { token } = store.claim("short", "f", Duration::from_millis(20)).await.expect("claim") else { panic!("free key") };
        assert!(matches!(store.claim("short", "f", Duration::from_secs(1)).await.expect("claim"), Claim::InFlight { .. }));
        tokio::time::sleep(Duration::from_millis(40)).await;
        // The lease ran out: the key is free again, and the old holder's completion is ignored.
        assert!(matches!(store.claim("short", "f", Duration::from_secs(1)).await.expect("claim"), Claim::Claimed { .. }));
        let saved = SavedResponse { status: 200, headers: vec![], body: b"x".to_vec() };
        store.complete("short", &token, "f", &saved, Duration::from_secs(60)).await.expect("complete");
        assert!(matches!(store.claim("short", "f", Duration::from_secs(1)).await.expect("claim"), Claim::InFlight { .. }));
    });
}

#[test]
fn saved_responses_round_trip_through_their_encoding() {
    let saved = SavedResponse { status: 201, headers: vec![("content-type".into(), b"application/json".to_vec())], body: b"{\"a\":1}".to_vec() };
    assert_eq!(SavedResponse::decode(&saved.encode("fp")), Some(("fp".to_string(), saved.clone())));
    assert_eq!(SavedResponse::decode(b"garbage"), None);
}

#[tokio::test]
async fn request_ids_are_kept_or_generated_on_every_response() {
    let addr = serve(api(0), memory()).await;
    let kept =
        post_raw(addr, Some("alice"), None, br#"{"from_number": "+14155550100", "to_number": "+14155550101"}"#.to_vec(), &[("x-request-id", "abc-123")]).await;
    assert_eq!(kept.request_id.as_deref(), Some("abc-123"));
    // A rejection (401) carries it too; a too-long or non-ASCII one is replaced.
    let long = "x".repeat(200);
    let rejected = post_raw(addr, None, None, b"{}".to_vec(), &[("x-request-id", &long)]).await;
    assert_eq!(rejected.status, 401);
    let id = rejected.request_id.expect("generated id");
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    let r = reqwest::Client::new().get(format!("http://{addr}/nowhere")).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.headers().get("x-request-id").is_some());
}
