//! The cost of the generated request pipeline for the RevDesk body next to
//! `serde_json::from_slice` into the same Rust type alone. The server reads a valid body on the
//! fast path (typed read, every keyword checked on the typed value); the full path (parse to
//! JSON, validate every rule, convert) runs for bodies the fast path does not accept.
//! Run: `cargo bench -p tests --bench request_pipeline`.

use criterion::{Criterion, criterion_group, criterion_main};
use revdesk_api::runtime::{InstancePath, convert};
use revdesk_api::types::V1RoomTokenPostRequest;
use revdesk_api::validate::{read_v1_room_token_post_request, validate_v1_room_token_post_request};
use std::hint::black_box;

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

criterion_group!(benches, bench);
criterion_main!(benches);
