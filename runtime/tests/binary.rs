//! The runtime's `binary` module on its own: byte streams from bytes and from streams, collecting
//! within a limit, reading a request body as a stream within the router's limits (413 announced
//! or discovered, 415, an empty body is none), and the media type of a streamed response.
#![cfg(feature = "server")]

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use codegen_runtime::binary::{ByteStream, Bytes, StreamError, collect_body, read_content_stream, stream_response};
use codegen_runtime::server::{Rejection, RouterConfig};

/// A stream of the given chunks.
struct Chunks(VecDeque<Bytes>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }
}

fn chunks(parts: &[&'static [u8]]) -> Chunks {
    Chunks(parts.iter().map(|p| Bytes::from_static(p)).collect())
}

fn headers(content_type: &str, length: Option<u64>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).expect("value"));
    if let Some(n) = length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    h
}

fn config(limit: usize) -> RouterConfig {
    RouterConfig { body_limit: limit, ..RouterConfig::default() }
}

#[tokio::test]
async fn streams_from_bytes_and_from_streams() {
    let whole = ByteStream::from(b"abc".to_vec());
    assert_eq!(whole.length(), Some(3));
    assert_eq!(whole.as_bytes().map(|b| &b[..]), Some(&b"abc"[..]));
    assert_eq!(&whole.collect().await.expect("bytes")[..], b"abc");
    let mut stream = ByteStream::new(chunks(&[b"ab", b"", b"cd"])).with_length(4).with_content_type("image/png");
    assert_eq!((stream.length(), stream.content_type()), (Some(4), Some("image/png")));
    assert_eq!(&stream.next_chunk().await.expect("first").expect("ok")[..], b"ab");
    assert_eq!(&stream.collect().await.expect("rest")[..], b"cd");
    let long = ByteStream::new(chunks(&[b"1234", b"5678"])).collect_limited(6).await;
    assert!(matches!(long, Err(StreamError::LongerThan { limit: 6 })), "{long:?}");
    assert!(matches!(ByteStream::from(vec![0u8; 7]).collect_limited(6).await, Err(StreamError::LongerThan { .. })));
    assert_eq!(ByteStream::empty().collect().await.expect("empty").len(), 0);
}

#[tokio::test]
async fn a_request_body_streams_within_the_limit() {
    let documented = ["application/json", "image/*"];
    // A chunked body of a documented range: handed over as it comes, first chunk included.
    let body = Body::from_stream(chunks(&[b"GIF", b"89a"]));
    let (content, overflow) = read_content_stream(&headers("image/gif", None), body, &config(16), &documented, "x").await.expect("read");
    let (index, stream) = content.expect("a body");
    assert_eq!(index, 1);
    assert_eq!(stream.content_type(), Some("image/gif"));
    assert_eq!(&stream.collect().await.expect("all")[..], b"GIF89a");
    assert!(overflow.check(Ok(StatusCode::OK.into_response())).is_ok());
    // An empty body is no body, whatever its media type.
    let (content, _) = read_content_stream(&headers("text/plain", Some(0)), Body::empty(), &config(16), &documented, "x").await.expect("empty");
    assert!(content.is_none());
    let (content, _) = read_content_stream(&headers("image/png", None), Body::from_stream(chunks(&[b""])), &config(16), &documented, "x").await.expect("empty");
    assert!(content.is_none());
}

#[tokio::test]
async fn over_the_limit_is_413_announced_or_discovered() {
    let documented = ["application/octet-stream"];
    let announced = read_content_stream(&headers("application/octet-stream", Some(17)), Body::from(vec![0u8; 17]), &config(16), &documented, "x").await;
    assert_eq!(announced.err(), Some(Rejection::PayloadTooLarge { limit: 16 }));
    // Discovered while the handler reads: the stream fails, and the answer becomes the 413.
    let body = Body::from_stream(chunks(&[b"0123456789", b"0123456789"]));
    let (content, overflow) = read_content_stream(&headers("application/octet-stream", None), body, &config(16), &documented, "x").await.expect("read");
    let mut stream = content.expect("a body").1;
    assert_eq!(stream.next_chunk().await.expect("first").expect("ok").len(), 10);
    assert!(matches!(stream.next_chunk().await, Some(Err(StreamError::TooLarge { limit: 16 }))));
    assert!(stream.next_chunk().await.is_none(), "the stream ends after the error");
    assert_eq!(overflow.check(Ok(StatusCode::OK.into_response())).err(), Some(Rejection::PayloadTooLarge { limit: 16 }));
    // Past the limit in the first chunk: 413 before the handler.
    let body = Body::from_stream(chunks(&[b"01234567890123456789"]));
    let first = read_content_stream(&headers("application/octet-stream", None), body, &config(16), &documented, "x").await;
    assert_eq!(first.err(), Some(Rejection::PayloadTooLarge { limit: 16 }));
    // A parsed media type of the same operation is read whole within the limit.
    let long = ByteStream::new(chunks(&[b"0123456789", b"0123456789"]));
    assert_eq!(collect_body(long, &config(16)).await.err(), Some(Rejection::PayloadTooLarge { limit: 16 }));
}

#[tokio::test]
async fn an_undocumented_media_type_is_415() {
    let documented = ["image/*"];
    let announced = read_content_stream(&headers("text/plain", Some(3)), Body::from("abc"), &config(16), &documented, "image/*").await;
    assert_eq!(announced.err(), Some(Rejection::UnsupportedMediaType { expected: "image/*" }));
    let chunked = read_content_stream(&headers("text/plain", None), Body::from_stream(chunks(&[b"abc"])), &config(16), &documented, "image/*").await;
    assert_eq!(chunked.err(), Some(Rejection::UnsupportedMediaType { expected: "image/*" }));
}

#[tokio::test]
async fn a_streamed_response_has_the_documented_or_its_own_media_type() {
    let content_type = |r: &axum::response::Response| r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let exact = stream_response(StatusCode::OK, "image/png", ByteStream::from(b"png".to_vec()).with_content_type("image/gif"));
    assert_eq!(content_type(&exact).as_deref(), Some("image/png"));
    assert_eq!(exact.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()), Some("3"));
    let own = stream_response(StatusCode::OK, "image/*", ByteStream::new(chunks(&[b"a"])).with_content_type("image/webp"));
    assert_eq!(content_type(&own).as_deref(), Some("image/webp"));
    assert!(own.headers().get(header::CONTENT_LENGTH).is_none(), "unknown length: chunked");
    let outside = stream_response(StatusCode::OK, "image/*", ByteStream::from(b"a".to_vec()).with_content_type("text/html"));
    assert_eq!(content_type(&outside).as_deref(), Some("application/octet-stream"));
    let bytes = axum::body::to_bytes(own.into_body(), 100).await.expect("body");
    assert_eq!(&bytes[..], b"a");
}
