//! The hand-written handler and the generated router answer the same status, media type, body
//! and protocol headers (`WWW-Authenticate`, `Allow`) for the same valid and invalid requests,
//! so the benchmark compares servers that do the same work.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

/// One request: method, path, headers, body.
struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
}

const AUTH: (&str, &str) = ("authorization", "Bearer t0k3n");
const JSON: (&str, &str) = ("content-type", "application/json");

fn post(name: &'static str, body: &str) -> Case {
    Case { name, method: "POST", path: "/v1/room-token", headers: vec![AUTH, JSON], body: body.as_bytes().to_vec() }
}

fn with_headers(name: &'static str, headers: Vec<(&'static str, &'static str)>, body: &str) -> Case {
    Case { name, method: "POST", path: "/v1/room-token", headers, body: body.as_bytes().to_vec() }
}

const VALID: &str = r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":120}"#;

/// Every case and the status both servers must answer.
fn cases() -> Vec<(Case, u16)> {
    vec![
        (post("valid", VALID), 200),
        (post("valid without ttl", r#"{"from_number":"+14155550100","to_number":"+442079460000"}"#), 200),
        (post("ttl written as 60.0 is an integer", r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":60.0}"#), 200),
        (post("bounds are inclusive", r#"{"from_number":"+12","to_number":"+123456789012345","ttl_seconds":600}"#), 200),
        (with_headers("content type with parameters", vec![AUTH, ("content-type", "Application/JSON; charset=utf-8")], VALID), 200),
        (with_headers("no credentials", vec![JSON], VALID), 401),
        (with_headers("another scheme", vec![("authorization", "Basic YTpi"), JSON], VALID), 401),
        (with_headers("empty bearer token", vec![("authorization", "Bearer"), JSON], VALID), 401),
        (with_headers("bearer token with a space", vec![("authorization", "Bearer a b"), JSON], VALID), 401),
        (with_headers("credentials before media type", vec![("content-type", "text/plain")], VALID), 401),
        (with_headers("text body", vec![AUTH, ("content-type", "text/plain")], VALID), 415),
        (with_headers("no content type", vec![AUTH], VALID), 415),
        (with_headers("empty body", vec![AUTH, JSON], ""), 400),
        (post("not JSON", "{\"from_number\": "), 400),
        (post("trailing characters", &format!("{VALID} x")), 400),
        (post("an array", "[1, 2]"), 400),
        (post("a string", "\"+14155550100\""), 400),
        (post("missing to_number", r#"{"from_number":"+14155550100"}"#), 400),
        (post("empty object", "{}"), 400),
        (post("pattern: no plus", r#"{"from_number":"14155550100","to_number":"+14155550199"}"#), 400),
        (post("pattern: leading zero", r#"{"from_number":"+04155550100","to_number":"+14155550199"}"#), 400),
        (post("pattern: too long", r#"{"from_number":"+1234567890123456","to_number":"+14155550199"}"#), 400),
        (post("pattern: Arabic-Indic digits", r#"{"from_number":"+١٣٣٣","to_number":"+14155550199"}"#), 400),
        (post("number instead of string", r#"{"from_number":14155550100,"to_number":"+14155550199"}"#), 400),
        (post("ttl below minimum", r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":29}"#), 400),
        (post("ttl above maximum", r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":601}"#), 400),
        (post("ttl not an integer and too small", r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":10.5}"#), 400),
        (post("ttl null", r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":null}"#), 400),
        (post("ttl string", r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":"120"}"#), 400),
        (post("huge ttl", r#"{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":1e300}"#), 400),
        (post("unknown member", r#"{"from_number":"+14155550100","to_number":"+14155550199","room":"x"}"#), 400),
        (post("many problems", r#"{"to_number":5,"ttl_seconds":10.5,"x":[],"y":{}}"#), 400),
        (Case { body: vec![b' '; 1024 * 1024 + 1], ..post("body past 1 MiB", "") }, 413),
        (Case { method: "GET", body: Vec::new(), ..post("another method", "") }, 405),
        (Case { path: "/v1/room-tokens", ..post("unknown path", VALID) }, 404),
    ]
}

fn request(case: &Case) -> Request<Body> {
    let mut b = Request::builder().method(case.method).uri(case.path);
    for (name, value) in &case.headers {
        b = b.header(*name, *value);
    }
    if !case.body.is_empty() {
        b = b.header("content-length", case.body.len().to_string());
    }
    b.body(Body::from(case.body.clone())).expect("request")
}

/// What is compared: status, `Content-Type`, `WWW-Authenticate`, `Allow`, and the body (as JSON:
/// member order is not meaningful, and it follows serde_json's `preserve_order` feature).
async fn answer(router: &axum::Router, case: &Case) -> (StatusCode, [Option<String>; 3], serde_json::Value) {
    let response = router.clone().oneshot(request(case)).await.expect("infallible");
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap_or("<not text>").to_string());
    let headers = [header("content-type"), header("www-authenticate"), header("allow")];
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    let body = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{}: the body is not JSON ({e}): {}", case.name, String::from_utf8_lossy(&body)));
    (status, headers, body)
}

#[tokio::test]
async fn both_servers_answer_alike() {
    let generated = bench_server::generated::router();
    let hand = bench_server::hand::router();
    let mut failures = Vec::new();
    for (case, status) in cases() {
        let g = answer(&generated, &case).await;
        let h = answer(&hand, &case).await;
        if g != h {
            failures.push(format!("{}: generated {g:?}\n    hand {h:?}", case.name));
        } else if g.0.as_u16() != status {
            failures.push(format!("{}: both answered {} (expected {status}): {}", case.name, g.0, g.2));
        }
    }
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn the_valid_answer_echoes_the_numbers() {
    let (status, headers, body) = answer(&bench_server::hand::router(), &post("valid", VALID)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[0].as_deref(), Some("application/json"));
    let v = body;
    assert_eq!(v["data"]["from_number"], "+14155550100");
    assert_eq!(v["data"]["to_number"], "+14155550199");
    assert_eq!(v["data"]["expires_in"], 120.0);
}

#[tokio::test]
async fn a_validation_error_names_every_field() {
    let (_, _, body) = answer(&bench_server::generated::router(), &post("many", r#"{"to_number":5,"ttl_seconds":10.5}"#)).await;
    let v = body;
    assert_eq!(v["error"]["code"], "validation_error");
    assert_eq!(v["error"]["message"], "the request is invalid: 4 problems");
    assert_eq!(v["error"]["fields"]["ttl_seconds"], "expected integer, found number; must be at least 30");
    assert_eq!(v["error"]["fields"]["from_number"], "is required");
}
