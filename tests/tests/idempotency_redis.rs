//! The Redis idempotency store: two instances of the generated RevDesk server sharing one Redis
//! (`REDIS_URL`, started by `.ci/run`'s "Redis tests" step). Without `REDIS_URL` the tests skip
//! with a printed reason, except under CI (`CI` set), where a missing Redis is a failure.

mod idem;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use idem::{Counting, call_id, post, serve};
use revdesk_api::runtime::idempotency::{Idempotency, RedisStore};

/// The Redis URL, or `None` (skip) outside CI.
fn redis_url() -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!("REDIS_URL is not set under CI: the Redis tests need a running redis-server"),
        _ => {
            eprintln!("skipped: REDIS_URL is not set (start redis-server and set REDIS_URL=redis://127.0.0.1:PORT/ to run the Redis tests)");
            None
        }
    }
}

/// A layer on a fresh key prefix (tests share the Redis).
fn layer(url: &str, prefix: &str) -> Idempotency {
    Idempotency::new(RedisStore::open(url, prefix.to_string(), Duration::from_secs(2)).expect("redis url"))
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("test:{name}:{nanos}:")
}

/// Two server instances sharing the counters and one Redis prefix.
async fn pair(url: &str, name: &str, delay_ms: u64) -> (std::net::SocketAddr, std::net::SocketAddr, Counting) {
    let api = Counting { counts: Arc::default(), delay: Duration::from_millis(delay_ms) };
    let prefix = unique(name);
    let a = serve(api.clone(), Some(layer(url, &prefix))).await;
    let b = serve(api.clone(), Some(layer(url, &prefix))).await;
    (a, b, api)
}

#[tokio::test]
async fn a_retry_at_the_second_instance_is_replayed_and_another_body_is_a_409() {
    let Some(url) = redis_url() else { return };
    let (a, b, api) = pair(&url, "replay", 0).await;
    let first = post(a, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((first.status, first.replay.as_deref()), (200, None));
    let retry = post(b, Some("alice"), Some("k1"), "+14155550101").await;
    assert_eq!((retry.status, retry.replay.as_deref()), (200, Some("true")));
    assert_eq!(retry.bytes, first.bytes);
    assert_ne!(retry.request_id, first.request_id, "a replay carries its own request's id");
    let other = post(b, Some("alice"), Some("k1"), "+14155550102").await;
    assert_eq!((other.status, other.json["error"]["code"].as_str()), (409, Some("idempotency_conflict")));
    // Another caller's same key is its own.
    let bob = post(b, Some("bob"), Some("k1"), "+14155550101").await;
    assert_eq!((bob.status, bob.replay.as_deref()), (200, None));
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn concurrent_same_key_requests_across_both_instances_run_the_handler_once() {
    let Some(url) = redis_url() else { return };
    let (a, b, api) = pair(&url, "concurrent", 300).await;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let addr = if i % 2 == 0 { a } else { b };
            tokio::spawn(async move { post(addr, Some("alice"), Some("same"), "+14155550101").await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 1);
    assert!(answers.iter().all(|x| x.status == 200), "{:?}", answers.iter().map(|x| x.status).collect::<Vec<_>>());
    let id = call_id(&answers[0]);
    assert!(answers.iter().all(|x| call_id(x) == id));
    assert_eq!(answers.iter().filter(|x| x.replay.is_none()).count(), 1);
}

#[tokio::test]
async fn a_5xx_is_not_saved_in_redis() {
    let Some(url) = redis_url() else { return };
    let (a, b, api) = pair(&url, "5xx", 0).await;
    api.counts.fail_first.store(1, Ordering::SeqCst);
    assert_eq!(post(a, Some("alice"), Some("k"), "+14155550101").await.status, 500);
    let retry = post(b, Some("alice"), Some("k"), "+14155550101").await;
    assert_eq!((retry.status, retry.replay.as_deref()), (200, None));
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreachable_redis_fails_closed_with_503() {
    // No Redis needed: a port nothing listens on.
    let api = Counting { counts: Arc::default(), delay: Duration::ZERO };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let store = RedisStore::open(&format!("redis://127.0.0.1:{port}/"), "x:", Duration::from_millis(300)).expect("url");
    let addr = serve(api.clone(), Some(Idempotency::new(store))).await;
    let answer = post(addr, Some("alice"), Some("k"), "+14155550101").await;
    assert_eq!((answer.status, answer.retry_after.as_deref()), (503, Some("1")));
    assert_eq!(api.counts.runs.load(Ordering::SeqCst), 0);
}
