//! `revdesk-mock`: the RevDesk v1 API in memory, for frontend development and outside tools.
//!
//! Any non-empty bearer token is accepted, or only the `--token` values when given. A valid
//! `POST /v1/room-token` returns a fresh token, room and call id; invalid requests get the spec's
//! error envelope from the generated router. A request with an `Idempotency-Key` is answered
//! once: the same key (per token) with the same body replays the first answer, with another body
//! it is a 409 (the last 10,000 keys are kept).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderName, Method};
use clap::Parser;
use revdesk_api::server::{self, Api, ApiError, AuthRejection, AuthRequest, Credentials, RequestContext, V1RoomTokenPostResponse};
use revdesk_api::types::{
    ErrorEnvelope, ErrorEnvelopeError, V1RoomTokenPostParams, V1RoomTokenPostRequest, V1RoomTokenPostResponse200, V1RoomTokenPostResponse200Data,
};
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

/// How many `Idempotency-Key`s the mock remembers; the oldest is forgotten first.
const IDEMPOTENCY_KEYS: usize = 10_000;

#[derive(Debug, Default)]
struct Mock {
    next: AtomicU64,
    /// The accepted bearer tokens; empty accepts any non-empty token.
    tokens: Vec<String>,
    replays: Mutex<Replays>,
}

/// The first request and answer per (principal, `Idempotency-Key`), bounded.
#[derive(Debug, Default)]
struct Replays {
    answers: HashMap<(String, String), (V1RoomTokenPostRequest, V1RoomTokenPostResponse200Data)>,
    order: VecDeque<(String, String)>,
}

/// An `Idempotency-Key` reused with another body.
#[derive(Debug, PartialEq)]
struct IdempotencyConflict;

impl Mock {
    /// A fresh room, or with a key the answer the key was first given.
    fn issue(&self, principal: &str, key: Option<&str>, body: V1RoomTokenPostRequest) -> Result<V1RoomTokenPostResponse200Data, IdempotencyConflict> {
        let Some(key) = key else { return Ok(self.fresh(body)) };
        let id = (principal.to_string(), key.to_string());
        let mut replays = self.replays.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((first, answer)) = replays.answers.get(&id) {
            return if *first == body { Ok(answer.clone()) } else { Err(IdempotencyConflict) };
        }
        let answer = self.fresh(body.clone());
        while replays.order.len() >= IDEMPOTENCY_KEYS {
            let Some(oldest) = replays.order.pop_front() else { break };
            replays.answers.remove(&oldest);
        }
        replays.order.push_back(id.clone());
        replays.answers.insert(id, (body, answer.clone()));
        Ok(answer)
    }

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
        principal: String,
        params: V1RoomTokenPostParams,
        body: V1RoomTokenPostRequest,
    ) -> Result<V1RoomTokenPostResponse, ApiError> {
        Ok(match self.issue(&principal, params.idempotency_key.as_deref(), body) {
            Ok(data) => V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 { data }),
            Err(IdempotencyConflict) => V1RoomTokenPostResponse::Conflict(ErrorEnvelope {
                error: Some(ErrorEnvelopeError {
                    code: "idempotency_conflict".into(),
                    message: "this Idempotency-Key was already used with another request body".into(),
                    fields: None,
                    doc_url: None,
                }),
            }),
        })
    }
}

/// The mock's router: the generated one plus CORS for browser pages on other origins.
fn app(tokens: Vec<String>) -> axum::Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::POST])
        .allow_headers([HeaderName::from_static("authorization"), HeaderName::from_static("content-type"), HeaderName::from_static("idempotency-key")])
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(to: &str) -> V1RoomTokenPostRequest {
        V1RoomTokenPostRequest { from_number: "+14155550100".into(), to_number: to.into(), ttl_seconds: None }
    }

    #[test]
    fn idempotency_key_replays_and_conflicts() {
        let mock = Mock::default();
        let first = mock.issue("alice", Some("k1"), body("+14155550199"));
        assert_eq!(mock.issue("alice", Some("k1"), body("+14155550199")), first);
        assert_eq!(mock.issue("alice", Some("k1"), body("+14155550198")), Err(IdempotencyConflict));
        // Keys are per principal; no key is always a fresh room.
        assert_ne!(mock.issue("bob", Some("k1"), body("+14155550198")), first);
        assert_ne!(mock.issue("alice", None, body("+14155550199")), first);
    }

    #[test]
    fn idempotency_keys_are_bounded() {
        let mock = Mock::default();
        for i in 0..IDEMPOTENCY_KEYS + 5 {
            let _ = mock.issue("alice", Some(&i.to_string()), body("+14155550199"));
        }
        let replays = mock.replays.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert_eq!((replays.answers.len(), replays.order.len()), (IDEMPOTENCY_KEYS, IDEMPOTENCY_KEYS));
        assert!(!replays.answers.contains_key(&("alice".to_string(), "0".to_string())));
    }
}
