//! `revdesk-mock`: the RevDesk v1 API in memory, for frontend development and outside tools.
//!
//! Any non-empty bearer token is accepted, or only the `--token` values when given. A valid
//! `POST /v1/room-token` returns a fresh token, room and call id; invalid requests get the spec's
//! error envelope from the generated router.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderName, Method};
use clap::Parser;
use revdesk_api::server::{self, Api, ApiError, AuthRejection, AuthRequest, Credentials, RequestContext, V1RoomTokenPostResponse};
use revdesk_api::types::{V1RoomTokenPostParams, V1RoomTokenPostRequest, V1RoomTokenPostResponse200, V1RoomTokenPostResponse200Data};
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Parser)]
#[command(about = "In-memory RevDesk v1 API mock")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Accept only this bearer token (repeatable). Default: any non-empty token.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,
}

#[derive(Debug, Default)]
struct Mock {
    next: AtomicU64,
    /// The accepted bearer tokens; empty accepts any non-empty token.
    tokens: Vec<String>,
}

impl Api for Mock {
    type Principal = String;

    async fn authenticate(&self, _ctx: &RequestContext, request: AuthRequest) -> Result<String, AuthRejection> {
        match request.credentials {
            Credentials::Bearer(token) if !token.is_empty() && (self.tokens.is_empty() || self.tokens.contains(&token)) => Ok(token),
            _ => Err(AuthRejection::unauthorized("a bearer token is required")),
        }
    }

    async fn v1_room_token_post(
        &self,
        _ctx: RequestContext,
        _principal: String,
        _params: V1RoomTokenPostParams,
        body: V1RoomTokenPostRequest,
    ) -> Result<V1RoomTokenPostResponse, ApiError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let room_name = format!("room-{n:06}");
        Ok(V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 {
            data: V1RoomTokenPostResponse200Data {
                token: format!("rt_mock_{n:016x}"),
                room_url: format!("https://rooms.revdesk.example/{room_name}"),
                room_name,
                call_id: format!("call_{n:08}"),
                expires_in: body.ttl_seconds.unwrap_or(300) as f64,
                from_number: body.from_number,
                to_number: body.to_number,
            },
        }))
    }
}

/// The mock's router: the generated one plus CORS for browser pages on other origins.
fn app(tokens: Vec<String>) -> axum::Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            HeaderName::from_static("authorization"),
            HeaderName::from_static("content-type"),
            HeaderName::from_static("idempotency-key"),
        ])
        .max_age(std::time::Duration::from_secs(600));
    server::router(Mock { tokens, ..Mock::default() }).layer(cors)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("revdesk-mock listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(args.tokens)).await?;
    Ok(())
}
