//! The RevDesk `POST /v1/room-token` server twice, for `cargo xtask bench`: the generated router
//! with a trivial handler ([`generated`]) and a hand-written axum 0.8 handler ([`hand`]) doing the
//! same serde work and the same checks, written by hand. Both answer a valid request with the
//! same body ([`answer`]); `tests/same_answers.rs` holds them to the same status and body for
//! valid and invalid requests.

pub mod generated;
pub mod hand;

/// The `data` of the 200 answer both servers give: fixed token fields, the numbers echoed, the
/// lifetime from `ttl_seconds` (300 s when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The room-join token.
    pub token: &'static str,
    /// Where the browser joins.
    pub room_url: &'static str,
    /// The room's name.
    pub room_name: &'static str,
    /// The call's id.
    pub call_id: &'static str,
    /// Seconds the token lives.
    pub expires_in: f64,
}

/// The fixed part of the answer for a request with `ttl_seconds`.
pub fn answer(ttl_seconds: Option<i64>) -> Answer {
    Answer {
        token: "rt_bench_0000000000000001",
        room_url: "https://rooms.revdesk.example/room-bench",
        room_name: "room-bench",
        call_id: "call_bench",
        expires_in: ttl_seconds.unwrap_or(300) as f64,
    }
}
