//! The generated RevDesk router under random, mostly hostile requests, in memory (no sockets):
//! random methods, paths (invalid percent-encodings included), query strings, headers (repeated,
//! oversized, not UTF-8, too many), and bodies (deep, huge numbers, invalid UTF-8, duplicate
//! members, wrong types, truncated). The router must never panic, never answer 5xx (the fake's
//! handler never fails), answer only documented or protocol statuses, and write every rejection
//! in the spec's error schema, with `Allow` on 405 and `WWW-Authenticate` on 401.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use proptest::prelude::*;
use revdesk_api::server::{RouterConfig, router_with_config};
use serde_json::Value;
use tower::ServiceExt;

/// Statuses the operation documents (200, 400, 401, 403, 404, 409, 429) and the router's own.
const ALLOWED: &[u16] = &[200, 400, 401, 403, 404, 405, 408, 409, 413, 415, 429, 431];

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        40 => Just(Method::POST),
        1 => Just(Method::GET),
        1 => Just(Method::HEAD),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::OPTIONS),
        1 => Just(Method::PATCH),
        1 => Just(Method::from_bytes(b"BREW").expect("extension method")),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "/v1/room-token",
        "/v1/room-token",
        "/v1/room-token",
        "/v1/room-token/",
        "/v1/room%2Dtoken",
        "/v1/room%2dtoken",
        "/v1/room-token%zz",
        "/v1/%ff",
        "/v1/%",
        "/v1/%e2%82",
        "/v1//room-token",
        "/",
        "/v1",
        "/V1/ROOM-TOKEN",
    ])
    .prop_map(str::to_string);
    let random = prop::collection::vec("[a-z%0-9A-F.~-]{0,6}", 0..4).prop_map(|segs| format!("/{}", segs.join("/")));
    prop_oneof![12 => Just("/v1/room-token".to_string()), 4 => fixed, 1 => random]
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![3 => Just(String::new()), 1 => "[a-z=&%0-9+;\\[\\]]{0,30}".prop_map(|q| format!("?{q}")), 1 => Just("?a=%zz&%ff=1".to_string())]
}

/// A header value as raw bytes (some not UTF-8, some huge).
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        20 => "[ -~]{0,40}".prop_map(String::into_bytes),
        4 => prop::collection::vec(0x80u8..=0xff, 1..8),
        1 => Just(vec![b'k'; 20 * 1024]),
        4 => Just(b"caf\xc3\xa9".to_vec()),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let auth = prop::sample::select(vec![
        "Bearer good",
        "Bearer good",
        "Bearer good",
        "Bearer good",
        "Bearer good",
        "Bearer good",
        "Bearer good",
        "Bearer good",
        "Bearer",
        "Bearer revoked",
        "Basic dXNlcjpwYXNz",
        "bearer  good",
        "Bearer a b",
    ])
    .prop_map(|a| ("authorization".to_string(), a.as_bytes().to_vec()));
    let content_type = prop::sample::select(vec![
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "",
        "application/json\u{7f}",
    ])
    .prop_map(|c| ("content-type".to_string(), c.as_bytes().to_vec()));
    let named = (prop::sample::select(vec!["idempotency-key", "idempotency-key", "authorization", "x-custom", "cookie", "content-length"]), header_value())
        .prop_map(|(n, v)| (n.to_string(), v));
    (
        prop::option::weighted(0.9, auth),
        prop::option::weighted(0.85, content_type),
        prop::collection::vec(named, 0..3),
        prop::option::weighted(0.03, 60usize..90),
    )
        .prop_map(|(auth, ct, mut extra, many)| {
            extra.extend(auth);
            extra.extend(ct);
            for i in 0..many.unwrap_or(0) {
                extra.push((format!("x-filler-{i}"), b"1".to_vec()));
            }
            extra
        })
}

/// A JSON-ish body and whether it is valid JSON with unique members that the schema accepts.
fn body() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let number = prop::sample::select(vec!["+14155550100", "+14155550101", "+15550000409", "+15550000429", "14155550100", "+1\u{0664}15", ""]);
    let valid = (number.clone(), number.clone(), prop::option::of(0i64..700)).prop_map(|(from, to, ttl)| {
        let ttl = ttl.map(|t| format!(", \"ttl_seconds\": {t}")).unwrap_or_default();
        format!("{{\"from_number\": \"{from}\", \"to_number\": \"{to}\"{ttl}}}").into_bytes()
    });
    let value = prop::sample::select(vec![
        "1e400",
        "-1e400",
        "99999999999999999999999",
        "60.0",
        "30.5",
        "null",
        "true",
        "\"x\"",
        "[]",
        "{}",
        "\"\\ud800\"",
        "\"\\u0000\"",
        "0x10",
        "NaN",
    ]);
    let mutated = (valid.clone(), prop::sample::select(vec!["from_number", "to_number", "ttl_seconds", "extra", "to_number"]), value, 0usize..6).prop_map(
        |(base, key, value, how)| {
            let text = String::from_utf8(base).unwrap_or_default();
            let inner = text.trim_end_matches('}');
            let mut out = match how {
                // A member added (maybe a duplicate) with an odd value.
                0 | 1 => format!("{inner}, \"{key}\": {value}}}").into_bytes(),
                // Deep nesting.
                2 => {
                    let n = [10, 62, 63, 64, 129, 5000][value.len() % 6];
                    format!("{inner}, \"{key}\": {}1{}}}", "[".repeat(n), "]".repeat(n)).into_bytes()
                }
                3 => format!("{inner}, \"{key}\": {}{}}}", "{\"a\":".repeat(70), "}".repeat(70)).into_bytes(),
                // Truncated.
                4 => text.as_bytes()[..text.len() / 2].to_vec(),
                _ => text.clone().into_bytes(),
            };
            if how == 5 {
                // Invalid UTF-8 inside a string.
                let at = out.iter().position(|b| *b == b'+').unwrap_or(0);
                out.insert(at, 0xff);
            }
            out
        },
    );
    prop_oneof![
        6 => valid.prop_map(|b| (b, true)),
        5 => mutated.prop_map(|b| (b, false)),
        1 => Just((Vec::new(), false)),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| (b, false)),
        1 => Just((b"[{\"from_number\": 1}]".to_vec(), false)),
    ]
}

#[derive(Debug)]
struct Case {
    method: Method,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (method(), path(), query(), headers(), body()).prop_map(|(method, path, query, headers, (body, _))| Case {
        method,
        target: format!("{path}{query}"),
        headers,
        body,
    })
}

fn request(case: &Case) -> Option<Request<Body>> {
    let mut builder = Request::builder().method(case.method.clone()).uri(&case.target);
    for (name, value) in &case.headers {
        // Bytes that HTTP/1 could not carry (control characters) never reach a router.
        let (Ok(n), Ok(v)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_bytes(value)) else { continue };
        builder = builder.header(n, v);
    }
    builder.body(Body::from(case.body.clone())).ok()
}

fn documented_error(body: &Value) -> bool {
    body["error"]["code"].as_str().is_some_and(|c| !c.is_empty()) && body["error"]["message"].as_str().is_some()
}

/// What one request got: the status, or why the response broke a rule.
fn check(runtime: &tokio::runtime::Runtime, case: &Case) -> Result<Option<u16>, TestCaseError> {
    let Some(request) = request(case) else { return Ok(None) };
    let (status, headers, body) = runtime.block_on(async {
        // A small body limit, so that the deepest bodies also meet it.
        let router = router_with_config(tests::Fake::default(), RouterConfig { body_limit: 8 * 1024, ..RouterConfig::default() });
        let response = router.oneshot(request).await.expect("infallible");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("response body");
        (status, headers, bytes)
    });
    prop_assert!(ALLOWED.contains(&status), "status {} for {:?}: {}", status, case, String::from_utf8_lossy(&body));
    if case.method == Method::HEAD {
        prop_assert!(body.is_empty(), "HEAD answered with a body");
    } else if status != 200 {
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        prop_assert!(documented_error(&json), "status {} body {} for {:?}", status, String::from_utf8_lossy(&body), case);
    }
    if status == 405 {
        prop_assert_eq!(headers.get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    }
    if status == 401 {
        prop_assert_eq!(headers.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    }
    if status == 200 {
        // Only a body that is strict JSON (no duplicate members) gets through.
        let strict = revdesk_api::runtime::parse_json(&case.body, 64);
        prop_assert!(strict.is_ok(), "accepted {:?}: {:?}", String::from_utf8_lossy(&case.body), strict);
    }
    Ok(Some(status))
}

#[test]
fn the_router_holds_under_random_requests() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let config = ProptestConfig { cases: 5000, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let seen = std::cell::RefCell::new(std::collections::BTreeMap::<u16, usize>::new());
    let result = runner.run(&case(), |case| {
        if let Some(status) = check(&runtime, &case)? {
            *seen.borrow_mut().entry(status).or_default() += 1;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner();
    eprintln!("statuses: {seen:?}");
    // The generator reaches every outcome, so the rules above are exercised.
    for status in [200, 400, 401, 404, 405, 409, 413, 415, 429, 431] {
        assert!(seen.get(&status).is_some_and(|n| *n >= 5), "status {status} was rarely or never produced: {seen:?}");
    }
    assert!(seen.values().sum::<usize>() > 4000, "{seen:?}");
}
