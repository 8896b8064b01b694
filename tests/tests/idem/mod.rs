//! Shared by the idempotency tests: a RevDesk `Api` that counts handler runs, a server on a
//! loopback port with a chosen idempotency layer, and a request helper.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use revdesk_api::runtime::idempotency::Idempotency;
use revdesk_api::server::{self, Api, ApiError, AuthRejection, AuthRequest, Credentials, RequestContext, RouterConfig, V1RoomTokenPostResponse};
use revdesk_api::types::{V1RoomTokenPostParams, V1RoomTokenPostRequest, V1RoomTokenPostResponse200, V1RoomTokenPostResponse200Data};

/// Counters shared by every server instance of a test.
#[derive(Debug, Default)]
pub struct Counts {
    /// Handler runs.
    pub runs: AtomicUsize,
    /// Runs that answer 500 before the first success.
    pub fail_first: AtomicUsize,
}

/// The counting implementation: every run issues a new `call_id`.
#[derive(Debug, Clone)]
pub struct Counting {
    pub counts: Arc<Counts>,
    pub delay: Duration,
}

impl Api for Counting {
    type Principal = String;

    async fn authenticate(&self, _ctx: &RequestContext, request: AuthRequest) -> Result<String, AuthRejection> {
        match request.credentials {
            Credentials::Bearer(token) if token != "bad" => Ok(token),
            _ => Err(AuthRejection::unauthorized("bad token")),
        }
    }

    async fn v1_room_token_post(
        &self,
        _ctx: RequestContext,
        _principal: String,
        _params: V1RoomTokenPostParams,
        body: V1RoomTokenPostRequest,
    ) -> Result<V1RoomTokenPostResponse, ApiError> {
        let n = self.counts.runs.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(self.delay).await;
        if self.counts.fail_first.load(Ordering::SeqCst) > 0 {
            self.counts.fail_first.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::internal("transient failure"));
        }
        Ok(V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 {
            data: V1RoomTokenPostResponse200Data {
                token: format!("t{n}"),
                room_url: "https://rooms.example/r".into(),
                room_name: "r".into(),
                call_id: format!("call_{n}"),
                expires_in: 300.0,
                from_number: body.from_number,
                to_number: body.to_number,
            },
        }))
    }
}

/// Serves `api` with `layer` on a fresh loopback port.
pub async fn serve(api: Counting, layer: Option<Idempotency>) -> SocketAddr {
    let config = RouterConfig { idempotency: layer, ..RouterConfig::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, server::router_with_config(api, config)).await.expect("serve") });
    addr
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub replay: Option<String>,
    pub retry_after: Option<String>,
    pub request_id: Option<String>,
    pub bytes: Vec<u8>,
    pub json: serde_json::Value,
}

/// `POST /v1/room-token` with a bearer token, an optional key and a body.
pub async fn post(addr: SocketAddr, token: Option<&str>, key: Option<&str>, to: &str) -> Answer {
    let body = format!(r#"{{"from_number": "+14155550100", "to_number": "{to}"}}"#);
    post_raw(addr, token, key, body.into_bytes(), &[]).await
}

/// The same with a raw body and extra headers.
pub async fn post_raw(addr: SocketAddr, token: Option<&str>, key: Option<&str>, body: Vec<u8>, extra: &[(&str, &str)]) -> Answer {
    let mut req = reqwest::Client::new().post(format!("http://{addr}/v1/room-token")).header("content-type", "application/json").body(body);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    for (n, v) in extra {
        req = req.header(*n, *v);
    }
    let resp = req.send().await.expect("sent");
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap_or_default().to_string());
    let (status, replay, retry_after, request_id) = (resp.status().as_u16(), header("idempotency-replay"), header("retry-after"), header("x-request-id"));
    let bytes = resp.bytes().await.expect("body").to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Answer { status, replay, retry_after, request_id, bytes, json }
}

/// The `call_id` of a 200.
pub fn call_id(a: &Answer) -> String {
    a.json["data"]["call_id"].as_str().unwrap_or_else(|| panic!("no call_id in {} {}", a.status, a.json)).to_string()
}
