//! Shared helpers of the integration tests: an in-memory RevDesk fake and a server on a loopback port.

pub mod instances;
pub mod scratch;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use revdesk_api::server::{self, Api, ApiError, AuthRejection, AuthRequest, Credentials, RequestContext, RouterConfig, V1RoomTokenPostResponse};
use revdesk_api::types::{
    ErrorEnvelope, ErrorEnvelopeError, V1RoomTokenPostParams, V1RoomTokenPostRequest, V1RoomTokenPostResponse200, V1RoomTokenPostResponse200Data,
};

/// `to_number`s that make the fake answer with a documented error status.
pub const CONFLICT_NUMBER: &str = "+15550000409";
/// See [`CONFLICT_NUMBER`].
pub const RATE_LIMITED_NUMBER: &str = "+15550000429";

/// An in-memory implementation of the generated trait.
#[derive(Debug, Default)]
pub struct Fake {
    /// How many requests reached the handler (rejections never do).
    pub calls: AtomicUsize,
}

fn envelope(code: &str, message: &str) -> ErrorEnvelope {
    ErrorEnvelope { error: Some(ErrorEnvelopeError { code: code.into(), message: message.into(), fields: None, doc_url: None }) }
}

impl Api for Fake {
    type Principal = String;

    async fn authenticate(&self, _ctx: &RequestContext, request: AuthRequest) -> Result<String, AuthRejection> {
        match request.credentials {
            Credentials::Bearer(token) if token != "revoked" => Ok(token),
            _ => Err(AuthRejection::unauthorized("invalid token")),
        }
    }

    async fn v1_room_token_post(
        &self,
        _ctx: RequestContext,
        principal: String,
        params: V1RoomTokenPostParams,
        body: V1RoomTokenPostRequest,
    ) -> Result<V1RoomTokenPostResponse, ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if body.to_number == CONFLICT_NUMBER {
            return Ok(V1RoomTokenPostResponse::Conflict(envelope("idempotency_conflict", "key reused")));
        }
        if body.to_number == RATE_LIMITED_NUMBER {
            return Ok(V1RoomTokenPostResponse::TooManyRequests(envelope("rate_limited", "slow down")));
        }
        let ttl = body.ttl_seconds.unwrap_or(300);
        Ok(V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 {
            data: V1RoomTokenPostResponse200Data {
                token: format!("tok-{principal}-{}", params.idempotency_key.unwrap_or_default()),
                room_url: "https://rooms.example/r1".into(),
                room_name: "r1".into(),
                call_id: "call-1".into(),
                expires_in: ttl as f64,
                from_number: body.from_number,
                to_number: body.to_number,
            },
        }))
    }
}

/// Serves `router` on `127.0.0.1:0` in the background and returns its address.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// Serves the fake with the default router settings.
pub async fn serve_fake() -> SocketAddr {
    serve(server::router_with_config(Fake::default(), RouterConfig::default())).await
}
