//! The runtime's `server` module on its own: parameter styles and coercion, credentials,
//! route matching, media types, error envelopes, rejections and the security walk.
#![cfg(feature = "server")]

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use codegen_runtime::Style;
use codegen_runtime::server::*;
use serde_json::{Value, json};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

fn spec(name: &'static str, style: Style, explode: bool, coerce: Coerce) -> ParamSpec {
    ParamSpec { name, style, explode, coerce, required: false, max_depth: 16 }
}

fn query(list: &[(&str, &str)], spec: &ParamSpec) -> Result<Option<Value>, String> {
    param_value(ParamSource::Query(&pairs(list)), spec)
}

#[test]
fn query_styles_shape_and_coerce_values() {
    let numbers = |style, explode| spec("ids", style, explode, Coerce::Array(Scalar::Number));
    assert_eq!(query(&[("ids", "1"), ("ids", "2")], &numbers(Style::Form, true)), Ok(Some(json!([1, 2]))));
    assert_eq!(query(&[("ids", "1,2")], &numbers(Style::Form, false)), Ok(Some(json!([1, 2]))));
    assert_eq!(query(&[("ids", "1 2")], &numbers(Style::SpaceDelimited, false)), Ok(Some(json!([1, 2]))));
    assert_eq!(query(&[("ids", "1|2")], &numbers(Style::PipeDelimited, false)), Ok(Some(json!([1, 2]))));
    assert_eq!(query(&[("other", "1")], &numbers(Style::Form, true)), Ok(None));
    // Text that is not a number stays text, for the validator to report.
    assert_eq!(query(&[("ids", "x")], &numbers(Style::Form, true)), Ok(Some(json!(["x"]))));
    let flag = spec("on", Style::Form, true, Coerce::Scalar(Scalar::Boolean));
    assert_eq!(query(&[("on", "true")], &flag), Ok(Some(json!(true))));
    let filter = spec("filter", Style::DeepObject, true, Coerce::Object(&[("min", Scalar::Number)], Scalar::String));
    assert_eq!(query(&[("filter[min]", "3"), ("filter[name]", "x")], &filter), Ok(Some(json!({"min": 3, "name": "x"}))));
    let content = spec("q", Style::Json, false, Coerce::Scalar(Scalar::String));
    assert_eq!(query(&[("q", "{\"a\":[1]}")], &content), Ok(Some(json!({"a": [1]}))));
    assert!(query(&[("q", "{not json")], &content).is_err());
}

#[test]
fn path_and_header_styles() {
    let ids = |style, explode| spec("id", style, explode, Coerce::Array(Scalar::Number));
    let path = |value: &str, spec: &ParamSpec| param_value(ParamSource::Path(&pairs(&[("id", value)])), spec);
    assert_eq!(path("1,2", &ids(Style::Simple, false)), Ok(Some(json!([1, 2]))));
    assert_eq!(path(".1.2", &ids(Style::Label, true)), Ok(Some(json!([1, 2]))));
    assert_eq!(path(";id=1;id=2", &ids(Style::Matrix, true)), Ok(Some(json!([1, 2]))));
    let mut headers = HeaderMap::new();
    headers.insert("x-tags", HeaderValue::from_static("a,b"));
    let tags = spec("x-tags", Style::Simple, false, Coerce::Array(Scalar::String));
    assert_eq!(param_value(ParamSource::Header(&headers), &tags), Ok(Some(json!(["a", "b"]))));
}

#[test]
fn credentials_are_parsed_or_refused() {
    let with = |value: &'static str| {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        h
    };
    assert!(bearer_credentials(&HeaderMap::new()).is_none());
    assert!(matches!(bearer_credentials(&with("Bearer abc")), Some(Ok(Credentials::Bearer(t))) if t == "abc"));
    assert!(matches!(bearer_credentials(&with("bearer abc")), Some(Ok(Credentials::Bearer(_)))));
    assert!(matches!(bearer_credentials(&with("Basic abc")), Some(Err(_))));
    // user:pass
    assert!(
        matches!(basic_credentials(&with("Basic dXNlcjpwYXNz")), Some(Ok(Credentials::Basic { username, password })) if username == "user" && password == "pass")
    );
    assert!(matches!(basic_credentials(&with("Basic !!!")), Some(Err(_))));
    let mut h = HeaderMap::new();
    h.insert(header::COOKIE, HeaderValue::from_static("a=1; session=xyz"));
    assert!(matches!(cookie_key(&h, "session"), Some(Ok(Credentials::ApiKey(k))) if k == "xyz"));
    assert!(cookie_key(&h, "other").is_none());
}

#[test]
fn routes_match_by_specificity_and_method() {
    let routes: &[(&'static str, &'static str, usize)] =
        &[("GET", "/calls/{id}", 0), ("GET", "/calls/me", 1), ("POST", "/calls/{id}", 2), ("GET", "/files/{name}.json", 3)];
    assert!(matches!(match_route(routes, &Method::GET, "/calls/me"), RouteMatch::Found(1, p) if p.is_empty()));
    assert!(matches!(match_route(routes, &Method::GET, "/calls/42"), RouteMatch::Found(0, p) if p == pairs(&[("id", "42")])));
    assert!(matches!(match_route(routes, &Method::GET, "/calls/a%20b"), RouteMatch::Found(0, p) if p == pairs(&[("id", "a b")])));
    assert!(matches!(match_route(routes, &Method::GET, "/files/report.json"), RouteMatch::Found(3, p) if p == pairs(&[("name", "report")])));
    match match_route(routes, &Method::DELETE, "/calls/42") {
        RouteMatch::MethodNotAllowed(mut allow) => {
            allow.sort_unstable();
            // A GET route also answers HEAD.
            assert_eq!(allow, ["GET", "HEAD", "POST"]);
        }
        _ => panic!("405 expected"),
    }
    assert!(matches!(match_route(routes, &Method::HEAD, "/calls/42"), RouteMatch::Found(0, _)));
    assert!(matches!(match_route(routes, &Method::GET, "/nowhere"), RouteMatch::NotFound));
    assert!(matches!(match_route(routes, &Method::GET, "/calls/"), RouteMatch::NotFound));
}

#[test]
fn media_types_match_exactly_first_then_by_range() {
    assert!(media_type_matches("application/json", "application/json"));
    assert!(media_type_matches("Application/JSON", "application/json"));
    assert!(media_type_matches("image/*", "image/png"));
    assert!(!media_type_matches("image/*", "text/plain"));
    assert!(media_type_matches("*/*", "text/plain"));
    assert_eq!(pick_content(Some("application/json"), &["*/*", "application/json"]), Some(1));
    assert_eq!(pick_content(Some("text/csv"), &["*/*", "application/json"]), Some(0));
    assert_eq!(pick_content(Some("text/csv"), &["application/json"]), None);
    assert_eq!(pick_content(None, &["application/json"]), None);
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("Application/JSON; charset=utf-8"));
    assert_eq!(content_essence(&h).as_deref(), Some("application/json"));
}

#[test]
fn error_envelopes_in_both_shapes() {
    let mut fields = BTreeMap::new();
    fields.insert("to_number".to_string(), "is required".to_string());
    assert_eq!(
        error_body(ErrorShape::Envelope, "validation_error", "bad", &fields),
        json!({"error": {"code": "validation_error", "message": "bad", "fields": {"to_number": "is required"}}})
    );
    assert_eq!(error_body(ErrorShape::Flat, "not_found", "no such resource", &BTreeMap::new()), json!({"code": "not_found", "message": "no such resource"}));
}

#[test]
fn rejections_get_their_protocol_headers_unless_the_hook_set_them() {
    let response = reject(Rejection::MethodNotAllowed { allow: vec!["GET", "PUT"] }, &[], |r| rejection_response(&r, ErrorShape::Flat));
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "GET, PUT");
    let response = reject(Rejection::Unauthorized("no".into()), &["Bearer", "Basic realm=\"x\""], |r| rejection_response(&r, ErrorShape::Envelope));
    let challenges: Vec<&str> = response.headers().get_all(header::WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()).collect();
    assert_eq!(challenges, ["Bearer", "Basic realm=\"x\""]);
    let response = reject(Rejection::Unauthorized("no".into()), &["Bearer"], |r| {
        let mut response = rejection_response(&r, ErrorShape::Envelope);
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Custom"));
        response
    });
    let challenges: Vec<&str> = response.headers().get_all(header::WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()).collect();
    assert_eq!(challenges, ["Custom"]);
}

#[test]
fn validation_rejections_list_every_field() {
    let mut out = Vec::new();
    let mut path = codegen_runtime::InstancePath::root();
    path.push_key("a");
    codegen_runtime::violation(&mut out, &path, "type", "must be a string");
    codegen_runtime::violation(&mut out, &path, "minLength", "is too short");
    let rejection = Rejection::validation(out);
    assert_eq!(rejection.status(), StatusCode::BAD_REQUEST);
    assert_eq!(rejection.code(), "validation_error");
    assert_eq!(rejection.fields().get("a").map(String::as_str), Some("must be a string; is too short"));
}

fn context(headers: HeaderMap) -> RequestContext {
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    codegen_runtime::server::context(parts)
}

fn extract(scheme: &str, ctx: &RequestContext) -> Option<Result<Credentials, String>> {
    match scheme {
        "bearer" => bearer_credentials(&ctx.headers),
        "key" => header_key(&ctx.headers, "x-key"),
        _ => None,
    }
}

#[tokio::test]
async fn the_first_alternative_with_all_credentials_decides() {
    static BOTH: &[&[(&str, &[&str])]] = &[&[("bearer", &[]), ("key", &[])], &[("key", &["read"])]];
    static OPTIONAL: &[&[(&str, &[&str])]] = &[&[("bearer", &[])], &[]];
    let mut headers = HeaderMap::new();
    headers.insert("x-key", HeaderValue::from_static("k1"));
    let ctx = context(headers);
    let seen = std::sync::Mutex::new(Vec::new());
    let principal = authorize(&ctx, "op", BOTH, extract, |request| {
        seen.lock().expect("lock").push((request.scheme, request.scopes.to_vec()));
        async move { Ok::<_, AuthRejection>(request.scheme.to_string()) }
    })
    .await;
    assert_eq!(principal.ok().flatten().as_deref(), Some("key"));
    assert_eq!(*seen.lock().expect("lock"), [("key", vec!["read"])]);
    // Nothing present: 401, unless an alternative is empty (anonymous).
    let anonymous = context(HeaderMap::new());
    let denied = authorize(&anonymous, "op", BOTH, extract, |_| async { Ok::<(), AuthRejection>(()) }).await;
    assert!(matches!(denied, Err(Rejection::Unauthorized(_))));
    let allowed = authorize(&anonymous, "op", OPTIONAL, extract, |_| async { Ok::<(), AuthRejection>(()) }).await;
    assert!(matches!(allowed, Ok(None)));
    // The hook's refusal is the answer.
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
    let refused = authorize(&context(headers), "op", OPTIONAL, extract, |_| async { Err::<(), _>(AuthRejection::forbidden("no")) }).await;
    assert!(matches!(refused, Err(Rejection::Forbidden(_))));
}

#[test]
fn problem_details_carry_status_title_code_and_pointers() {
    let mut at = codegen_runtime::InstancePath::root();
    at.push_key("a/b~c");
    at.push_index(2);
    assert_eq!(at.pointer(), "/a~1b~0c/2");
    let mut violations = Vec::new();
    codegen_runtime::violation(&mut violations, &at, "maxLength", "is too long");
    codegen_runtime::violation(&mut violations, &codegen_runtime::InstancePath::root(), "type", "must be an object");
    let rejection = Rejection::validation(violations);
    let body = problem_body(&rejection);
    assert_eq!(body["type"], "about:blank");
    assert_eq!((body["status"].as_u64(), body["title"].as_str()), (Some(400), Some("Bad Request")));
    assert_eq!(body["code"], "validation_error");
    assert_eq!(body["errors"], json!([{"field": "a/b~c/2", "pointer": "#/a~1b~0c/2", "detail": "is too long"}]));
    let response = rejection_response(&rejection, ErrorShape::Problem);
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    let other = rejection_response(&Rejection::NotFound, ErrorShape::Envelope);
    assert_eq!(other.headers()[header::CONTENT_TYPE], "application/json");
    // The error body a handler builds: problem details without a status it does not know.
    let fields = BTreeMap::from([("items/0".to_string(), "is wrong".to_string())]);
    let built = error_body(ErrorShape::Problem, "conflict", "taken", &fields);
    assert_eq!(
        built,
        json!({"type": "about:blank", "detail": "taken", "code": "conflict", "errors": [{"field": "items/0", "pointer": "#/items/0", "detail": "is wrong"}]})
    );
}

#[test]
fn documented_json_media_types_are_the_content_type() {
    let r = json_response_as(StatusCode::NOT_FOUND, "application/problem+json", &json!({"status": 404}));
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/problem+json");
    let r = json_response_as(StatusCode::OK, "application/*+json", &json!({}));
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json", "a range is not a content type");
    let r = json_response_as(StatusCode::OK, "bad\nvalue", &json!({}));
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json", "a malformed one is not written");
}
