//! The runtime's `client` module on its own: parameter styles as sent, path encoding, forms,
//! the retry policy's arithmetic, `Retry-After`, idempotency keys, request ids in errors.
#![cfg(feature = "client")]

use std::time::{Duration, SystemTime};

use codegen_runtime::Style;
use codegen_runtime::client::*;

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

#[test]
fn query_parameters_in_each_style() {
    let ids = vec![1, 2];
    assert_eq!(query_param("ids", &ids, Style::Form, true), owned(&[("ids", "1"), ("ids", "2")]));
    assert_eq!(query_param("ids", &ids, Style::Form, false), owned(&[("ids", "1,2")]));
    assert_eq!(query_param("ids", &ids, Style::SpaceDelimited, false), owned(&[("ids", "1 2")]));
    assert_eq!(query_param("ids", &ids, Style::PipeDelimited, false), owned(&[("ids", "1|2")]));
    let filter = serde_json::json!({"min": 3});
    assert_eq!(query_param("filter", &filter, Style::DeepObject, true), owned(&[("filter[min]", "3")]));
}

#[test]
fn path_parameters_in_each_style_are_encoded() {
    let ids = vec!["a b", "c"];
    assert_eq!(path_text("id", &ids, Style::Simple, false), "a%20b,c");
    assert_eq!(path_text("id", &ids, Style::Label, true), ".a%20b.c");
    assert_eq!(path_text("id", &ids, Style::Matrix, true), ";id=a%20b;id=c");
    assert_eq!(encode_segment("x/y?z"), "x%2Fy%3Fz");
    assert_eq!(encode_segment("safe-._~"), "safe-._~");
}

#[test]
fn forms_nest_with_brackets() {
    let body = serde_json::json!({"a": {"b": 1}, "c": "x y"});
    let text = form_text(&body);
    assert!(text.contains("a%5Bb%5D=1"), "{text}");
    assert!(text.contains("c=x+y") || text.contains("c=x%20y"), "{text}");
}

/// `client_type!` expands `crate::runtime::client::Connection`: this test crate gets a `runtime`
/// module like a generated crate's.
mod runtime {
    pub use codegen_runtime::*;
}

codegen_runtime::client::client_type!(Client);

#[test]
fn the_declared_client_type_derefs_to_its_connection() {
    let client = Client::new("https://api.example.com/").strict(true).with_bearer_token("t");
    assert_eq!(client.base_url(), "https://api.example.com");
    let connection: &Connection = &client;
    assert!(format!("{connection:?}").contains("strict: true"), "{connection:?}");
}

#[test]
fn backoff_ceilings_double_up_to_the_cap_and_jitter_stays_under_them() {
    let policy = RetryPolicy { base_delay: Duration::from_millis(100), max_delay: Duration::from_millis(350), ..RetryPolicy::default() };
    assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(100));
    assert_eq!(policy.backoff_ceiling(2), Duration::from_millis(200));
    assert_eq!(policy.backoff_ceiling(3), Duration::from_millis(350));
    assert_eq!(policy.backoff_ceiling(40), Duration::from_millis(350));
    let draws: Vec<Duration> = (0..200).map(|_| policy.backoff(2)).collect();
    assert!(draws.iter().all(|d| *d <= Duration::from_millis(200)), "{draws:?}");
    // Full jitter: the draws spread over the range, they are not all the ceiling.
    assert!(draws.iter().any(|d| *d < Duration::from_millis(100)), "{draws:?}");
    assert!(draws.iter().any(|d| *d > Duration::from_millis(100)), "{draws:?}");
}

#[test]
fn the_default_policy_is_the_documented_one() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.max_attempts, 3);
    assert_eq!(policy.statuses, [408, 429, 502, 503, 504]);
    assert_eq!((policy.base_delay, policy.max_delay), (Duration::from_millis(200), Duration::from_secs(10)));
    assert_eq!(RetryPolicy::never().max_attempts, 1);
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let mut headers = reqwest::header::HeaderMap::new();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(retry_after(&headers, now), None);
    headers.insert("retry-after", "7".parse().expect("value"));
    assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
    headers.insert("retry-after", httpdate::fmt_http_date(now + Duration::from_secs(90)).parse().expect("value"));
    assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(90)));
    // A date in the past: retry now.
    headers.insert("retry-after", httpdate::fmt_http_date(now - Duration::from_secs(90)).parse().expect("value"));
    assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
    headers.insert("retry-after", "soon".parse().expect("value"));
    assert_eq!(retry_after(&headers, now), None);
}

#[test]
fn only_idempotent_methods_are_safe_by_themselves() {
    use reqwest::Method;
    for m in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE, Method::OPTIONS] {
        assert!(idempotent_method(&m), "{m}");
    }
    for m in [Method::POST, Method::PATCH] {
        assert!(!idempotent_method(&m), "{m}");
    }
}

#[test]
fn idempotency_keys_are_fresh_uuid_v4s() {
    let (a, b) = (new_idempotency_key(), new_idempotency_key());
    assert_ne!(a, b);
    let parsed = uuid::Uuid::parse_str(&a).expect("a UUID");
    assert_eq!(parsed.get_version_num(), 4);
}

#[test]
fn errors_from_responses_show_their_request_id() {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("request-id", "req_42".parse().expect("value"));
    let names: Vec<String> = REQUEST_ID_HEADERS.iter().map(|s| s.to_string()).collect();
    let request_id = find_request_id(&headers, &names);
    assert_eq!(request_id.as_deref(), Some("req_42"));
    let response = RawResponse { status: 503, headers, body: b"down".to_vec(), request_id };
    let error: ClientError<()> = ClientError::unexpected(response);
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.body(), Some(&b"down"[..]));
    assert_eq!(error.request_id(), Some("req_42"));
    assert_eq!(error.to_string(), "undocumented status 503 (request id req_42)");
    let other: ClientError<()> = ClientError::InvalidRequest { violations: Vec::new() };
    assert_eq!(other.request_id(), None);
}

#[test]
fn operation_descriptors_fill_the_template_and_write_each_parameter() {
    use codegen_runtime::ops::{Op, Param, flags};
    fn short(v: &serde_json::Value, path: &mut codegen_runtime::InstancePath, out: &mut Vec<codegen_runtime::Violation>) {
        if v.as_str().is_some_and(|s| s.len() > 3) {
            codegen_runtime::violation(out, path, "maxLength", "is too long");
        }
    }
    static OP: Op = Op::new(
        "get_thing",
        "GET",
        "/things/{id}/{missing}",
        &[
            Param::new("id", flags::PATH | flags::REQUIRED, flags::STR, short),
            Param::new("tags", flags::QUERY | flags::FORM | flags::EXPLODE, flags::STRS, short),
            Param::new("X-Trace", flags::HEADER, flags::STR, short),
            Param::new("session", flags::COOKIE, flags::STR, short),
            Param::new("absent", flags::QUERY | flags::FORM, flags::STR, short),
        ],
    );
    let connection = Connection::new("http://example.test");
    let values =
        vec![Some(serde_json::json!("a b/c")), Some(serde_json::json!(["x", "y"])), Some(serde_json::json!("t1")), Some(serde_json::json!("s1")), None];
    let (request, violations) = connection.prepare_unchecked(&OP, values.clone());
    assert!(violations.is_empty(), "request validation is off by default");
    let request = request.build().expect("builds");
    assert_eq!(request.method(), reqwest::Method::GET);
    assert_eq!(request.url().as_str(), "http://example.test/things/a%20b%2Fc/%7Bmissing%7D?tags=x&tags=y");
    assert_eq!(request.headers()["X-Trace"], "t1");
    assert_eq!(request.headers()["cookie"], "session=s1");
    let checking = Connection::new("http://example.test").validate_requests(true);
    let (_, violations) = checking.prepare_unchecked(&OP, values);
    let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["id"], "only present values are checked, each under its name");
}
