//! The API generated in build.rs, used as any crate's: types, validators and the axum server.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use build_rs_example::Validate;
use build_rs_example::server::{Api, ApiError, CreateNoteResponse, RequestContext};
use build_rs_example::types::{NewNote, Note};
use serde_json::json;
use tower::ServiceExt;

#[derive(Debug)]
struct Notes;

impl Api for Notes {
    async fn create_note(&self, _ctx: RequestContext, body: NewNote) -> Result<CreateNoteResponse, ApiError> {
        Ok(CreateNoteResponse::Created(Note { id: 1, title: body.title, tags: body.tags }))
    }
}

#[test]
fn validators_enforce_the_spec_and_the_configuration() {
    assert!(NewNote::validate(&json!({"title": "groceries", "tags": ["home"]})).is_ok());
    assert!(NewNote::validate(&json!({"title": ""})).is_err(), "minLength");
    assert!(NewNote::validate(&json!({"title": "a", "tags": ["1", "2", "3", "4"]})).is_err(), "maxItems");
    // openapi.codegen.toml: `unknown-fields.requests = "deny"`.
    assert!(NewNote::validate(&json!({"title": "a", "colour": "red"})).is_err());
    // ... and `derives.by-name`: NewNote is `Eq`.
    fn eq<T: Eq>(_: &T) {}
    eq(&NewNote { title: "a".into(), tags: None });
}

async fn post(body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    let request =
        Request::builder().method("POST").uri("/notes").header("content-type", "application/json").body(Body::from(body.to_string())).expect("request");
    let response = build_rs_example::server::router(Notes).oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn the_server_validates_and_answers() {
    let (status, body) = post(json!({"title": "groceries"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, json!({"id": 1, "title": "groceries"}));
    let (status, _) = post(json!({"title": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
