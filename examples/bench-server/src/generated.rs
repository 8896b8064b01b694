//! The generated RevDesk router (`generated/`, default `RouterConfig`) with a trivial handler:
//! any bearer token is accepted, the answer is [`crate::answer`] with the numbers echoed.

use revdesk_api::server::{self, Api, ApiError, AuthRejection, AuthRequest, Credentials, RequestContext, V1RoomTokenPostResponse};
use revdesk_api::types::{V1RoomTokenPostParams, V1RoomTokenPostRequest, V1RoomTokenPostResponse200, V1RoomTokenPostResponse200Data};

/// The trivial implementation of the generated `Api` trait.
#[derive(Debug, Clone, Copy, Default)]
pub struct Trivial;

impl Api for Trivial {
    type Principal = String;

    async fn authenticate(&self, _ctx: &RequestContext, request: AuthRequest) -> Result<String, AuthRejection> {
        match request.credentials {
            Credentials::Bearer(token) => Ok(token),
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
        let a = crate::answer(body.ttl_seconds);
        Ok(V1RoomTokenPostResponse::Ok(V1RoomTokenPostResponse200 {
            data: V1RoomTokenPostResponse200Data {
                token: a.token.into(),
                room_url: a.room_url.into(),
                room_name: a.room_name.into(),
                call_id: a.call_id.into(),
                expires_in: a.expires_in,
                from_number: body.from_number,
                to_number: body.to_number,
            },
        }))
    }
}

/// The generated router with default settings.
pub fn router() -> axum::Router {
    server::router(Trivial)
}
