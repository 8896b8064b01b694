//! The cost of the generated request pipeline for the RevDesk body next to
//! `serde_json::from_slice` into the same Rust type alone. The server reads a valid body on the
//! fast path (typed read, every keyword checked on the typed value); the full path (parse to
//! JSON, validate every rule, convert) runs for bodies the fast path does not accept.
//! The `revdesk_router` group drives the whole generated router in memory (`oneshot`, no
//! sockets) to price the request-id frame and the idempotency layer (in memory, and Redis on
//! loopback when `REDIS_URL` is set) next to the bare pipeline.
//! Run: `cargo bench -p tests --bench request_pipeline`.

use criterion::{Criterion, criterion_group, criterion_main};
use revdesk_api::runtime::{InstancePath, convert};
use revdesk_api::types::V1RoomTokenPostRequest;
use revdesk_api::validate::{read_v1_room_token_post_request, validate_v1_room_token_post_request};
use std::hint::black_box;
use std::time::Duration;

use revdesk_api::runtime::idempotency::{Idempotency, RedisStore};
use revdesk_api::server::{self, Api, ApiError, AuthRejection, AuthRequest, Credentials, RequestContext, RouterConfig, V1RoomTokenPostResponse};
use revdesk_api::types::{V1RoomTokenPostParams, V1RoomTokenPostResponse200, V1RoomTokenPostResponse200Data};

const BODY: &[u8] = br#"{"from_number": "+14155550100", "to_number": "+14155550101", "ttl_seconds": 120}"#;

/// What the generated server does with a body: the fast path, else the full one.
fn server_pipeline(bytes: &[u8]) -> V1RoomTokenPostRequest {
    read_v1_room_token_post_request(bytes).unwrap_or_else(|| full_pipeline(bytes))
}

fn full_pipeline(bytes: &[u8]) -> V1RoomTokenPostRequest {
    let value: serde_json::Value = serde_json::from_slice(bytes).expect("json");
    let mut violations = Vec::new();
    validate_v1_room_token_post_request(&value, &mut InstancePath::root(), &mut violations);
    assert!(violations.is_empty());
    convert(value).expect("converts")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("revdesk_request");
    group.bench_function("serde_json::from_slice", |b| b.iter(|| serde_json::from_slice::<V1RoomTokenPostRequest>(black_box(BODY)).expect("json")));
    assert!(read_v1_room_token_post_request(BODY).is_some(), "the valid body takes the fast path");
    group.bench_function("server pipeline (valid body)", |b| b.iter(|| server_pipeline(black_box(BODY))));
    group.bench_function("full path: parse+validate+convert", |b| b.iter(|| full_pipeline(black_box(BODY))));
    // The stages alone, to see where the time goes.
    group.bench_function("stage: parse to serde_json::Value", |b| b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(BODY)).expect("json")));
    let value: serde_json::Value = serde_json::from_slice(BODY).expect("json");
    group.bench_function("stage: validate", |b| {
        b.iter(|| {
            let mut violations = Vec::new();
            validate_v1_room_token_post_request(black_box(&value), &mut InstancePath::root(), &mut violations);
            violations
        })
    });
    group.bench_function("stage: convert", |b| b.iter(|| convert::<V1RoomTokenPostRequest>(black_box(value.clone())).expect("converts")));
    group.finish();
}

/// A handler that answers at once, so the router's own work is what is measured.
#[derive(Debug, Clone)]
struct Fast;

impl Api for Fast {
    type Principal = String;

    async fn authenticate(&self, _ctx: &RequestContext, request: AuthRequest) -> Result<String, AuthRejection> {
        match request.credentials {
            Credentials::Bearer(t) => Ok(t),
            _ => Err(AuthRejection::unauthorized("no")),
        }
    }

    async fn v1_room_token_post(
        &self,
        _ctx: RequestContext,
        _principal: String,
        _params: V1RoomTokenPostParams,
        body: V1RoomTokenPostRequest,
    ) -> Result<V1RoomTokenPostResponse, ApiError> {
        Ok(V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 {
            data: V1RoomTokenPostResponse200Data {
                token: "t".into(),
                room_url: "https://rooms.example/r".into(),
                room_name: "r".into(),
                call_id: "c".into(),
                expires_in: 300.0,
                from_number: body.from_number,
                to_number: body.to_number,
            },
        }))
    }
}

fn request(key: Option<&str>, request_id: Option<&str>) -> axum::extract::Request {
    let mut b = axum::http::Request::post("/v1/room-token").header("authorization", "Bearer alice").header("content-type", "application/json");
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    if let Some(id) = request_id {
        b = b.header("x-request-id", id);
    }
    b.body(axum::body::Body::from(BODY)).expect("request")
}

fn router_bench(c: &mut Criterion) {
    use tower::ServiceExt;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut group = c.benchmark_group("revdesk_router");
    let run = |router: &axum::Router, req: axum::extract::Request| {
        let response = rt.block_on(router.clone().oneshot(req)).expect("infallible");
        assert_eq!(response.status(), 200);
        response
    };
    let bare = server::router(Fast);
    group.bench_function("bare pipeline (generated request id)", |b| b.iter(|| run(&bare, request(None, None))));
    group.bench_function("bare pipeline (incoming x-request-id kept)", |b| b.iter(|| run(&bare, request(None, Some("req-0123456789")))));
    let mut layers = vec![("memory", Some(Idempotency::in_memory(1_000_000)))];
    if let Ok(url) = std::env::var("REDIS_URL") {
        let store = rt.block_on(async { RedisStore::open(&url, format!("bench:{}:", std::process::id()), Duration::from_secs(2)) }).expect("redis");
        layers.push(("redis", Some(Idempotency::new(store))));
    } else {
        eprintln!("REDIS_URL not set: the Redis idempotency figures are skipped");
    }
    for (name, layer) in layers {
        let router = server::router_with_config(Fast, RouterConfig { idempotency: layer, ..RouterConfig::default() });
        let mut n = 0u64;
        group.bench_function(format!("idempotency {name}: new key (claim + save)"), |b| {
            b.iter(|| {
                n += 1;
                run(&router, request(Some(&format!("k{n}")), None))
            })
        });
        run(&router, request(Some("replayed"), None));
        group.bench_function(format!("idempotency {name}: replay"), |b| b.iter(|| run(&router, request(Some("replayed"), None))));
    }
    group.finish();
}

criterion_group!(benches, bench, router_bench);
criterion_main!(benches);
