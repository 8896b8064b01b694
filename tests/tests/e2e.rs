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
        Err(ClientError::Api(V1RoomTokenPostError::Conflict(e))) => {
            assert_eq!(e.error.expect("error").code, "idempotency_conflict")
        }
        other => panic!("expected a typed 409, got {other:?}"),
    }
    body.to_number = RATE_LIMITED_NUMBER.into();
    match client.v1_room_token_post(&params, &body).await {
        Err(ClientError::Api(V1RoomTokenPostError::TooManyRequests(e))) => assert_eq!(e.error.expect("error").code, "rate_limited"),
        other => panic!("expected a typed 429, got {other:?}"),
    }
    // A 400 from the server's validation is a typed error too.
    body.from_number = "nope".into();
    match client.v1_room_token_post(&params, &body).await {
        Err(ClientError::Api(V1RoomTokenPostError::BadRequest(e))) => {
            let fields = e.error.expect("error").fields.expect("fields");
            assert!(fields.contains_key("from_number"));
        }
        other => panic!("expected a typed 400, got {other:?}"),
    }
    // Without a token, the 401 is typed as well.
    let anonymous = Client::new(format!("http://{addr}"));
    assert!(matches!(
        anonymous.v1_room_token_post(&params, &body).await,
        Err(ClientError::Api(V1RoomTokenPostError::Unauthorized(_)))
    ));
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
        Err(ClientError::Api(V1RoomTokenPostError::BadRequest(e))) => {
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
