//! End to end: the generated router serving the fake on a loopback port, driven by the generated
//! client and by raw HTTP requests.

use revdesk_api::client::{Client, ClientError, V1RoomTokenPostError};
use revdesk_api::types::{V1RoomTokenPostParams, V1RoomTokenPostRequest};
use serde_json::{Value, json};
use tests::{CONFLICT_NUMBER, RATE_LIMITED_NUMBER, serve_fake};

fn valid_body() -> Value {
    json!({"from_number": "+14155550100", "to_number": "+14155550101"})
}

struct Raw {
    status: u16,
    content_type: Option<String>,
    body: Value,
}

async fn post(addr: std::net::SocketAddr, auth: Option<&str>, content_type: Option<&str>, body: Vec<u8>) -> Raw {
    let mut req = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).body(body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(c) = content_type {
        req = req.header("content-type", c);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap_or_default().to_string());
    let bytes = resp.bytes().await.expect("body read");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Raw { status, content_type, body }
}

async fn post_json(addr: std::net::SocketAddr, body: &Value) -> Raw {
    post(addr, Some("Bearer secret"), Some("application/json"), serde_json::to_vec(body).expect("json")).await
}

fn fields(r: &Raw) -> &serde_json::Map<String, Value> {
    r.body["error"]["fields"].as_object().unwrap_or_else(|| panic!("no fields in {}", r.body))
}

#[tokio::test]
async fn client_round_trip() {
    let addr = serve_fake().await;
    let client = Client::new(format!("http://{addr}")).with_bearer_token("alice").strict(true);
    let body = V1RoomTokenPostRequest { from_number: "+14155550100".into(), to_number: "+14155550101".into(), ttl_seconds: None };
    let params = V1RoomTokenPostParams { idempotency_key: Some("key-1".into()) };
    let ok = client.v1_room_token_post(&params, &body).await.expect("200");
    assert_eq!(ok.data.from_number, "+14155550100");
    assert_eq!(ok.data.to_number, "+14155550101");
    assert_eq!(ok.data.expires_in, 300.0);
    // The principal and the Idempotency-Key header reached the handler.
    assert_eq!(ok.data.token, "tok-alice-key-1");
}

#[tokio::test]
async fn integer_written_as_float_is_accepted() {
    let addr = serve_fake().await;
    let mut body = valid_body();
    body["ttl_seconds"] = json!(60.0);
    let r = post_json(addr, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.body["data"]["expires_in"], json!(60.0));
    let keys: Vec<&String> = r.body["data"].as_object().expect("data").keys().collect();
    assert_eq!(keys.len(), 7, "only the documented fields: {keys:?}");
}

#[tokio::test]
async fn each_bad_field_gets_a_fields_entry() {
    let addr = serve_fake().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("from_number", json!("14155550100"), "pattern"),
        ("from_number", json!("+1\u{0664}\u{0661}\u{0665}\u{0665}\u{0665}\u{0665}\u{0660}\u{0661}\u{0660}\u{0660}"), "pattern"),
        ("from_number", json!("+14155550100\n"), "pattern"),
        ("ttl_seconds", json!(29), "at least 30"),
        ("ttl_seconds", json!(601), "at most 600"),
        ("ttl_seconds", json!(30.5), "expected integer"),
        ("ttl_seconds", Value::Null, "expected integer, found null"),
        ("to_number", json!(14155550101u64), "expected string"),
    ];
    for (field, value, why) in cases {
        let mut body = valid_body();
        body[field] = value.clone();
        let r = post_json(addr, &body).await;
        assert_eq!(r.status, 400, "{field}={value}: {}", r.body);
        assert_eq!(r.body["error"]["code"], "validation_error");
        let f = fields(&r);
        let msg = f.get(field).and_then(Value::as_str).unwrap_or_else(|| panic!("{field}={value}: no entry in {f:?}"));
        assert!(msg.contains(why), "{field}={value}: `{msg}` should mention `{why}`");
        assert_eq!(f.len(), 1, "{field}={value}: only the bad field: {f:?}");
    }
}

#[tokio::test]
async fn every_violation_is_reported_at_once() {
    let addr = serve_fake().await;
    let r = post_json(addr, &json!({"from_number": "x", "ttl_seconds": 5, "extra": true})).await;
    assert_eq!(r.status, 400);
    let f = fields(&r);
    for key in ["from_number", "to_number", "ttl_seconds", "extra"] {
        assert!(f.contains_key(key), "{key} missing from {f:?}");
    }
    assert!(f["to_number"].as_str().unwrap_or_default().contains("required"));
    assert!(f["extra"].as_str().unwrap_or_default().contains("not allowed"));
}

#[tokio::test]
async fn whole_body_errors_have_a_message_and_no_fields() {
    let addr = serve_fake().await;
    for body in [b"{\"from_number\": ".to_vec(), b"[1, 2]".to_vec(), b"\"text\"".to_vec()] {
        let r = post(addr, Some("Bearer secret"), Some("application/json"), body.clone()).await;
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&body));
        assert_eq!(r.body["error"]["code"], "validation_error");
        assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(r.body["error"].get("fields").is_none(), "{}", r.body);
    }
}

#[tokio::test]
async fn credentials_are_checked_before_the_body() {
    let addr = serve_fake().await;
    for auth in [None, Some("Bearer"), Some("Bearer "), Some("Basic dXNlcjpwYXNz"), Some("Bearer revoked")] {
        for body in [serde_json::to_vec(&valid_body()).expect("json"), b"{not json".to_vec()] {
            let r = post(addr, auth, Some("application/json"), body).await;
            assert_eq!(r.status, 401, "auth {auth:?}: {}", r.body);
            assert_eq!(r.body["error"]["code"], "unauthorized", "auth {auth:?}");
            assert!(r.body["error"]["message"].is_string());
        }
    }
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_415() {
    let addr = serve_fake().await;
    let body = serde_json::to_vec(&valid_body()).expect("json");
    for ct in [Some("text/plain"), None, Some("application/xml")] {
        let r = post(addr, Some("Bearer secret"), ct, body.clone()).await;
        assert_eq!(r.status, 415, "{ct:?}");
        assert_eq!(r.body["error"]["code"], "unsupported_media_type");
    }
    let r = post(addr, Some("Bearer secret"), Some("application/json; charset=utf-8"), body).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let addr = serve_fake().await;
    let mut big = valid_body();
    big["padding"] = json!("x".repeat(1024 * 1024 + 1));
    let r = post_json(addr, &big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn documented_errors_arrive_typed_at_the_client() {
    let addr = serve_fake().await;
    let client = Client::new(format!("http://{addr}")).with_bearer_token("alice");
    let params = V1RoomTokenPostParams::default();
    let mut body = V1RoomTokenPostRequest { from_number: "+14155550100".into(), to_number: CONFLICT_NUMBER.into(), ttl_seconds: Some(60) };
    match client.v1_room_token_post(&params, &body).await {
        Err(ClientError::Api { error: V1RoomTokenPostError::Conflict(e), .. }) => {
            assert_eq!(e.error.expect("error").code, "idempotency_conflict")
        }
        other => panic!("expected a typed 409, got {other:?}"),
    }
    body.to_number = RATE_LIMITED_NUMBER.into();
    match client.v1_room_token_post(&params, &body).await {
        Err(ClientError::Api { error: V1RoomTokenPostError::TooManyRequests(e), .. }) => assert_eq!(e.error.expect("error").code, "rate_limited"),
        other => panic!("expected a typed 429, got {other:?}"),
    }
    // A 400 from the server's validation is a typed error too.
    body.from_number = "nope".into();
    match client.v1_room_token_post(&params, &body).await {
        Err(ClientError::Api { error: V1RoomTokenPostError::BadRequest(e), .. }) => {
            let fields = e.error.expect("error").fields.expect("fields");
            assert!(fields.contains_key("from_number"));
        }
        other => panic!("expected a typed 400, got {other:?}"),
    }
    // Without a token, the 401 is typed as well.
    let anonymous = Client::new(format!("http://{addr}"));
    assert!(matches!(anonymous.v1_room_token_post(&params, &body).await, Err(ClientError::Api { error: V1RoomTokenPostError::Unauthorized(_), .. })));
}

#[tokio::test]
async fn unknown_path_is_404_and_wrong_method_is_405() {
    let addr = serve_fake().await;
    let http = reqwest::Client::new();
    let r = http.get(format!("http://{addr}/v1/nope")).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 404);
    let r = http.get(format!("http://{addr}/v1/room-token")).bearer_auth("t").send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 405);
    let body: Value = r.json().await.expect("json body");
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn default_methods_answer_501_in_the_error_shape() {
    #[derive(Debug)]
    struct Empty;
    impl revdesk_api::server::Api for Empty {
        type Principal = ();
        async fn authenticate(
            &self,
            _: &revdesk_api::server::RequestContext,
            _: revdesk_api::server::AuthRequest,
        ) -> Result<(), revdesk_api::server::AuthRejection> {
            Ok(())
        }
    }
    let addr = tests::serve(revdesk_api::server::router(Empty)).await;
    let r = post_json(addr, &valid_body()).await;
    assert_eq!(r.status, 501);
    assert_eq!(r.body["error"]["code"], "not_implemented");
}

#[tokio::test]
async fn the_client_can_validate_requests_before_sending() {
    let addr = serve_fake().await;
    let body = V1RoomTokenPostRequest { from_number: "+1٤١٥٥٥٥٠١٠٠".into(), to_number: "+14155550101".into(), ttl_seconds: Some(601) };
    let params = V1RoomTokenPostParams { idempotency_key: None };
    // Off by default: the request goes out and the server answers 400 with its envelope.
    let sent = Client::new(format!("http://{addr}")).with_bearer_token("alice");
    match sent.v1_room_token_post(&params, &body).await {
        Err(ClientError::Api { error: V1RoomTokenPostError::BadRequest(e), .. }) => {
            let fields = e.error.and_then(|e| e.fields).unwrap_or_default();
            assert!(fields.contains_key("from_number") && fields.contains_key("ttl_seconds"), "{fields:?}");
        }
        other => panic!("expected the server's 400, got {other:?}"),
    }
    // On: every violation, with the server's paths, and nothing is sent.
    let checked = Client::new("http://127.0.0.1:9".to_string()).with_bearer_token("alice").validate_requests(true);
    match checked.v1_room_token_post(&params, &body).await {
        Err(ClientError::InvalidRequest { violations }) => {
            let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
            assert_eq!(paths, ["from_number", "ttl_seconds"]);
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    // A valid request passes the check and is answered.
    let good = V1RoomTokenPostRequest { from_number: "+14155550100".into(), to_number: "+14155550101".into(), ttl_seconds: Some(60) };
    let ok = Client::new(format!("http://{addr}")).with_bearer_token("alice").validate_requests(true).v1_room_token_post(&params, &good).await;
    assert!(ok.is_ok(), "{ok:?}");
}

/// Sends raw bytes on a fresh connection and reads the answer until the server closes it (or
/// `wait` passes): the status line and headers, lower-cased names.
async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8], wait: std::time::Duration) -> (u16, Vec<(String, String)>, Value) {
    // tokio's readiness API (the workspace does not enable `io-util`).
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut sent = 0;
    while sent < request.len() {
        stream.writable().await.expect("writable");
        match stream.try_write(&request[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {e}"),
        }
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Ok(())) = tokio::time::timeout_at(deadline, stream.readable()).await {
        match stream.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no response head in {text:?}"));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("status line of {text:?}"));
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    (status, headers, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn deep_json_is_a_400_at_the_depth_limit_not_a_crash() {
    let addr = serve_fake().await;
    let depth_of = |n: usize| -> Vec<u8> {
        let inner = format!("{}1{}", "[".repeat(n), "]".repeat(n));
        format!("{{\"from_number\": \"+14155550100\", \"to_number\": \"+14155550101\", \"extra\": {inner}}}").into_bytes()
    };
    // 63 levels inside the body's object still parse (and fail validation for `extra`).
    let r = post(addr, Some("Bearer t"), Some("application/json"), depth_of(63)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(fields(&r).contains_key("extra"), "{}", r.body);
    for n in [64, 200, 100_000] {
        let r = post(addr, Some("Bearer t"), Some("application/json"), depth_of(n)).await;
        assert_eq!(r.status, 400, "depth {n}: {}", r.body);
        assert_eq!(r.body["error"]["code"], "validation_error");
        let message = r.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("nested deeper than 64 levels"), "depth {n}: {message}");
    }
}

#[tokio::test]
async fn duplicate_members_are_a_400_on_either_path() {
    let addr = serve_fake().await;
    // Valid but for the duplicate (the fast path would read it) and invalid besides (the full path).
    for extra in ["", ", \"ttl_seconds\": 5"] {
        let body = format!("{{\"from_number\": \"+14155550100\", \"to_number\": \"+14155550101\", \"to_number\": \"+14155550102\"{extra}}}");
        let r = post(addr, Some("Bearer t"), Some("application/json"), body.into_bytes()).await;
        assert_eq!(r.status, 400, "{extra}: {}", r.body);
        let message = r.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("the request body is invalid: an object has the member `to_number` more than once"), "{message}");
    }
}

#[tokio::test]
async fn an_empty_body_is_an_absent_body_whatever_its_content_type() {
    let addr = serve_fake().await;
    for ct in [None, Some("application/json"), Some("text/plain"), Some("application/xml")] {
        let r = post(addr, Some("Bearer t"), ct, Vec::new()).await;
        assert_eq!(r.status, 400, "{ct:?}: {}", r.body);
        assert_eq!(r.body["error"]["code"], "validation_error", "{ct:?}");
        assert!(r.body["error"]["message"].as_str().unwrap_or_default().contains("body is required"), "{}", r.body);
    }
    // Chunked (no Content-Length) and empty: read, then absent.
    let request = b"POST /v1/room-token HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\ncontent-type: text/xml\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n0\r\n\r\n";
    let (status, _, body) = raw_exchange(addr, request, std::time::Duration::from_secs(5)).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_405_has_allow_and_a_401_has_www_authenticate() {
    let addr = serve_fake().await;
    for method in ["GET", "PUT", "DELETE", "OPTIONS", "HEAD"] {
        let r = reqwest::Client::new().request(method.parse().expect("method"), format!("http://{addr}/v1/room-token")).send().await.expect("sent");
        assert_eq!(r.status().as_u16(), 405, "{method}");
        assert_eq!(r.headers().get("allow").and_then(|v| v.to_str().ok()), Some("POST"), "{method}");
    }
    let r = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).json(&valid_body()).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 401);
    let challenges: Vec<&str> = r.headers().get_all("www-authenticate").iter().filter_map(|v| v.to_str().ok()).collect();
    assert_eq!(challenges, ["Bearer"]);
}

#[tokio::test]
async fn too_many_or_too_large_headers_are_431() {
    let addr = serve_fake().await;
    let body = serde_json::to_vec(&valid_body()).expect("json");
    let mut many = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).bearer_auth("t").json(&valid_body());
    for i in 0..70 {
        many = many.header(format!("x-h{i}"), "1");
    }
    let r = many.send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 431);
    let json: Value = r.json().await.expect("json");
    assert_eq!(json["error"]["code"], "request_header_fields_too_large", "{json}");
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/v1/room-token"))
        .bearer_auth("t")
        .header("x-big", "y".repeat(17 * 1024))
        .body(body.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 431);
    // Just under both limits: answered.
    let mut fine = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).bearer_auth("t").header("content-type", "application/json");
    for i in 0..50 {
        fine = fine.header(format!("x-h{i}"), "1");
    }
    let r = fine.header("x-big", "y".repeat(15 * 1024)).body(body).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_408() {
    use revdesk_api::server::{RouterConfig, router_with_config};
    let config = RouterConfig { body_timeout: Some(std::time::Duration::from_millis(300)), ..RouterConfig::default() };
    let addr = tests::serve(router_with_config(tests::Fake::default(), config)).await;
    let started = std::time::Instant::now();
    let request = b"POST /v1/room-token HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"from";
    let (status, headers, body) = raw_exchange(addr, request, std::time::Duration::from_secs(5)).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["code"], "request_timeout", "{body}");
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "{:?}", started.elapsed());
}

/// The fake behind a delay, for the deadline and the concurrency limit.
struct Slow(std::time::Duration);

impl revdesk_api::server::Api for Slow {
    type Principal = ();
    async fn authenticate(
        &self,
        _: &revdesk_api::server::RequestContext,
        _: revdesk_api::server::AuthRequest,
    ) -> Result<(), revdesk_api::server::AuthRejection> {
        Ok(())
    }
    async fn v1_room_token_post(
        &self,
        ctx: revdesk_api::server::RequestContext,
        _: (),
        params: V1RoomTokenPostParams,
        body: V1RoomTokenPostRequest,
    ) -> Result<revdesk_api::server::V1RoomTokenPostResponse, revdesk_api::server::ApiError> {
        tokio::time::sleep(self.0).await;
        revdesk_api::server::Api::v1_room_token_post(&tests::Fake::default(), ctx, "slow".into(), params, body).await
    }
}

#[tokio::test]
async fn a_handler_past_its_deadline_is_503_with_retry_after() {
    use revdesk_api::server::{RouterConfig, router_with_config};
    let config = RouterConfig { handler_timeout: Some(std::time::Duration::from_millis(100)), retry_after_secs: 7, ..RouterConfig::default() };
    let addr = tests::serve(router_with_config(Slow(std::time::Duration::from_secs(10)), config.clone())).await;
    let started = std::time::Instant::now();
    let r = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).bearer_auth("t").json(&valid_body()).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("7"));
    let json: Value = r.json().await.expect("json");
    assert_eq!(json["error"]["code"], "service_unavailable", "{json}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    // A quick handler is not affected.
    let addr = tests::serve(router_with_config(Slow(std::time::Duration::from_millis(1)), config)).await;
    let r = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).bearer_auth("t").json(&valid_body()).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn the_concurrency_limit_queues_then_sheds_with_503() {
    use revdesk_api::server::{ConcurrencyLimit, RouterConfig, router_with_config};
    let limit = ConcurrencyLimit { max_in_flight: 2, max_queued: 2, queue_timeout: std::time::Duration::from_secs(5) };
    let config = RouterConfig { concurrency: Some(limit), ..RouterConfig::default() };
    let addr = tests::serve(router_with_config(Slow(std::time::Duration::from_millis(400)), config)).await;
    let http = reqwest::Client::new();
    let sends = (0..6).map(|_| {
        let http = http.clone();
        async move {
            let r = http.post(format!("http://{addr}/v1/room-token")).bearer_auth("t").json(&valid_body()).send().await.expect("sent");
            let status = r.status().as_u16();
            let retry = r.headers().get("retry-after").is_some();
            let json: Value = r.json().await.unwrap_or(Value::Null);
            (status, retry, json)
        }
    });
    let results: Vec<(u16, bool, Value)> = futures_join(sends.collect()).await;
    let ok = results.iter().filter(|(s, _, _)| *s == 200).count();
    let shed: Vec<_> = results.iter().filter(|(s, _, _)| *s == 503).collect();
    // Two run, two wait for them (and then run), two find the queue full.
    assert_eq!((ok, shed.len()), (4, 2), "{results:?}");
    assert!(shed.iter().all(|(_, retry, json)| *retry && json["error"]["code"] == "service_unavailable"), "{shed:?}");
    // A short queue timeout sheds a waiting request too.
    let limit = ConcurrencyLimit { max_in_flight: 1, max_queued: 8, queue_timeout: std::time::Duration::from_millis(50) };
    let addr =
        tests::serve(router_with_config(Slow(std::time::Duration::from_millis(400)), RouterConfig { concurrency: Some(limit), ..RouterConfig::default() }))
            .await;
    let sends = (0..2).map(|_| {
        let http = http.clone();
        async move { http.post(format!("http://{addr}/v1/room-token")).bearer_auth("t").json(&valid_body()).send().await.expect("sent").status().as_u16() }
    });
    let mut statuses = futures_join(sends.collect()).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 503]);
}

/// Runs futures at once on the test's runtime and collects their outputs in order.
async fn futures_join<F: std::future::Future + Send + 'static>(futures: Vec<F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

/// A handler that answers 200 with a body its schema forbids (`expires_in` must be a number;
/// NaN serialises as `null`).
struct Broken;

impl revdesk_api::server::Api for Broken {
    type Principal = ();
    async fn authenticate(
        &self,
        _: &revdesk_api::server::RequestContext,
        _: revdesk_api::server::AuthRequest,
    ) -> Result<(), revdesk_api::server::AuthRejection> {
        Ok(())
    }
    async fn v1_room_token_post(
        &self,
        _: revdesk_api::server::RequestContext,
        _: (),
        _: V1RoomTokenPostParams,
        body: V1RoomTokenPostRequest,
    ) -> Result<revdesk_api::server::V1RoomTokenPostResponse, revdesk_api::server::ApiError> {
        use revdesk_api::types::{V1RoomTokenPostResponse200, V1RoomTokenPostResponse200Data};
        let data = V1RoomTokenPostResponse200Data {
            token: "t".into(),
            room_url: "https://rooms.example/r".into(),
            room_name: "r".into(),
            call_id: "c".into(),
            expires_in: f64::NAN,
            from_number: body.from_number,
            to_number: body.to_number,
        };
        Ok(revdesk_api::server::V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 { data }))
    }
}

#[tokio::test]
async fn a_response_that_breaks_its_schema_is_a_500_when_responses_are_validated() {
    use revdesk_api::server::{RouterConfig, router_with_config};
    // On by default in debug builds (the tests' profile).
    assert!(RouterConfig::default().validate_responses);
    let addr = tests::serve(router_with_config(Broken, RouterConfig::default())).await;
    let r = post_json(addr, &valid_body()).await;
    assert_eq!(r.status, 500, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "internal_error");
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| m.contains("v1_room_token_post")), "{:?}", r.body);
    // Off, the handler's body goes out as it is.
    let addr = tests::serve(router_with_config(Broken, RouterConfig { validate_responses: false, ..RouterConfig::default() })).await;
    let r = post_json(addr, &valid_body()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["expires_in"], Value::Null);
    // A valid response passes the check.
    let addr = tests::serve(router_with_config(tests::Fake::default(), RouterConfig::default())).await;
    assert_eq!(post_json(addr, &valid_body()).await.status, 200);
}
