//! `revdesk-mock`: the RevDesk v1 API in memory, for frontend development and outside tools.
//!
//! Any non-empty bearer token is accepted, or only the `--token` values when given. A valid
//! `POST /v1/room-token` returns a fresh token, room and call id; invalid requests get the spec's
//! error envelope from the generated router. `Idempotency-Key` is handled by the runtime's
//! idempotency layer (per token: the same key and body replay the first answer with
//! `Idempotency-Replay: true`, another body is a 409): in memory by default (`--idempotency-keys`
//! entries), in Redis with `--redis URL` so several mocks agree. Every response has an
//! `x-request-id`. `--rate-limit-every N` / `--unavailable-every N` answer every Nth request 429
//! or 503 with `Retry-After` before it reaches the router, to try a client's retries.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use revdesk_api::runtime::idempotency::{Idempotency, RedisStore};
use revdesk_api::server::{self, Api, ApiError, AuthRejection, AuthRequest, Credentials, RequestContext, RouterConfig, V1RoomTokenPostResponse};
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
    /// Keep idempotency keys in this Redis (`redis://127.0.0.1:6379/`) instead of in memory.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// How many idempotency keys the in-memory store keeps (the oldest is forgotten first).
    #[arg(long, default_value_t = 10_000)]
    idempotency_keys: usize,
    /// Turn the idempotency layer off.
    #[arg(long)]
    no_idempotency: bool,
    /// Answer every Nth request 429 with `Retry-After` (0: never).
    #[arg(long, default_value_t = 0, value_name = "N")]
    rate_limit_every: u64,
    /// Answer every Nth request 503 with `Retry-After` (0: never).
    #[arg(long, default_value_t = 0, value_name = "N")]
    unavailable_every: u64,
}

#[derive(Debug, Default)]
struct Mock {
    next: AtomicU64,
    /// The accepted bearer tokens; empty accepts any non-empty token.
    tokens: Vec<String>,
}

impl Mock {
    fn fresh(&self, body: V1RoomTokenPostRequest) -> V1RoomTokenPostResponse200Data {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let room_name = format!("room-{n:06}");
        V1RoomTokenPostResponse200Data {
            token: format!("rt_mock_{n:016x}"),
            room_url: format!("https://rooms.revdesk.example/{room_name}"),
            room_name,
            call_id: format!("call_{n:08}"),
            expires_in: body.ttl_seconds.unwrap_or(300) as f64,
            from_number: body.from_number,
            to_number: body.to_number,
        }
    }
}

impl Api for Mock {
    type Principal = String;

    async fn authenticate(&self, _ctx: &RequestContext, request: AuthRequest) -> Result<String, AuthRejection> {
        match request.credentials {
            Credentials::Bearer(token) if !token.is_empty() && (self.tokens.is_empty() || self.tokens.contains(&token)) => Ok(token),
            Credentials::Bearer(token) if !token.is_empty() => Err(AuthRejection::unauthorized("the bearer token is not valid")),
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
        Ok(V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 { data: self.fresh(body) }))
    }
}

/// Which requests the mock answers 429 or 503 before the router (every Nth, 0: none).
#[derive(Debug, Default)]
struct Faults {
    seen: AtomicU64,
    rate_limit_every: u64,
    unavailable_every: u64,
}

impl Faults {
    /// The injected answer for the next request, if any: the spec's error envelope with `Retry-After`.
    fn next(&self) -> Option<Response> {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        let hit = |every: u64| every > 0 && n % every == 0;
        let (status, code, message) = if hit(self.rate_limit_every) {
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; retry later")
        } else if hit(self.unavailable_every) {
            (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "the mock is unavailable (injected); retry later")
        } else {
            return None;
        };
        let body = server::error_body(code, message, &Default::default());
        let mut response = server::json_response(status, &body);
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        Some(response)
    }
}

/// The mock's router: the generated one (with `config`) plus fault injection and CORS for
/// browser pages on other origins.
fn app(tokens: Vec<String>, config: RouterConfig, faults: Faults) -> axum::Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::POST])
        .allow_headers([
            HeaderName::from_static("authorization"),
            HeaderName::from_static("content-type"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id"), HeaderName::from_static("idempotency-replay")])
        .max_age(std::time::Duration::from_secs(600));
    let faults = Arc::new(faults);
    let inject = axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
        let faults = faults.clone();
        async move {
            match faults.next() {
                Some(response) => response,
                None => next.run(request).await.into_response(),
            }
        }
    });
    server::router_with_config(Mock { tokens, ..Mock::default() }, config).layer(inject).layer(cors)
}

/// The router settings of the flags: the idempotency layer in memory or in Redis.
fn config(args: &Args) -> anyhow::Result<RouterConfig> {
    let idempotency = match (&args.redis, args.no_idempotency) {
        (_, true) => None,
        (Some(url), false) => Some(Idempotency::new(RedisStore::open(url, "revdesk-mock:", std::time::Duration::from_secs(2))?)),
        (None, false) => Some(Idempotency::in_memory(args.idempotency_keys)),
    };
    // The spec sets no `maxLength` on `Idempotency-Key`: any key the header budget admits is
    // valid, so the mock's key limit is that budget rather than the layer's default of 255.
    let defaults = RouterConfig::default();
    let idempotency = idempotency.map(|mut layer| {
        layer.config.max_key_len = defaults.max_header_bytes;
        layer
    });
    Ok(RouterConfig { idempotency, ..defaults })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("revdesk-mock listening on http://{}", listener.local_addr()?);
    let config = config(&args)?;
    let faults = Faults { rate_limit_every: args.rate_limit_every, unavailable_every: args.unavailable_every, ..Faults::default() };
    axum::serve(listener, app(args.tokens, config, faults)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_request_is_a_fault_with_retry_after() {
        let faults = Faults { rate_limit_every: 3, unavailable_every: 5, ..Faults::default() };
        let statuses: Vec<Option<u16>> = (0..15).map(|_| faults.next().map(|r| r.status().as_u16())).collect();
        let want = [None, None, Some(429), None, Some(503), Some(429), None, None, Some(429), Some(503), None, Some(429), None, None, Some(429)];
        assert_eq!(statuses, want);
        let r = Faults { rate_limit_every: 1, ..Faults::default() }.next().expect("fault");
        assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    }

    #[test]
    fn the_flags_choose_the_store() {
        let args = Args::parse_from(["revdesk-mock"]);
        assert!(config(&args).expect("config").idempotency.is_some());
        let off = Args::parse_from(["revdesk-mock", "--no-idempotency"]);
        assert!(config(&off).expect("config").idempotency.is_none());
    }
}
