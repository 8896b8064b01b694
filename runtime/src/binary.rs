//! Binary bodies as byte streams ([`ByteStream`]): what a handler receives and returns, and what
//! the client sends and gives back, for `application/octet-stream`, `image/*`, `format: binary`
//! and every other media type that is neither JSON, form, text nor multipart. Never collected
//! whole unless the caller asks ([`ByteStream::collect`]). The server's side (reading a request
//! body within the size limit, sending a stream) is behind `server`, the client's behind `client`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use bytes::Bytes;
use futures_core::Stream;
pub use http::HeaderMap;

/// Any error a byte stream's source may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a byte stream stopped before its end.
#[derive(Debug)]
pub enum StreamError {
    /// The request body went past the router's `body_limit` (the router answers 413 in the
    /// spec's error shape, whatever the handler returns).
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// [`ByteStream::collect_limited`] read more than it allows.
    LongerThan {
        /// The limit in bytes.
        limit: usize,
    },
    /// The source failed (the connection, the producer of a response stream).
    Source(BoxError),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::TooLarge { limit } => write!(f, "the request body is larger than {limit} bytes"),
            StreamError::LongerThan { limit } => write!(f, "the byte stream is longer than {limit} bytes"),
            StreamError::Source(e) => write!(f, "the byte stream failed: {e}"),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Source(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, StreamError>> + Send>>;

enum Inner {
    /// Bytes already in memory (`None` once yielded): sent as a plain body, so a client request
    /// built from them can be retried.
    Whole(Option<Bytes>),
    /// A stream of chunks.
    Chunks(Chunks),
}

/// A binary body as a stream of chunks, with its length when known (`Content-Length`), its
/// media type when it is not the documented one (a wildcard like `image/*` documents none), and
/// in the client the response headers. Build one from bytes (`Vec<u8>`, [`Bytes`], `&'static
/// [u8]`, `String`) or from any `Stream<Item = Result<Bytes, E>>` ([`ByteStream::new`]); read it
/// with [`ByteStream::next_chunk`] (or as a `futures` `Stream`), or collect it.
pub struct ByteStream {
    inner: Inner,
    length: Option<u64>,
    content_type: Option<String>,
    headers: Option<HeaderMap>,
}

impl ByteStream {
    /// A stream of chunks from `stream`; its length is unknown (chunked transfer) unless
    /// [`ByteStream::with_length`] says it.
    pub fn new<S, B, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        let mapped = Map { stream: Box::pin(stream), map: |item: Result<B, E>| item.map(Into::into).map_err(|e| StreamError::Source(e.into())) };
        ByteStream::from_chunks(Box::pin(mapped))
    }

    fn from_chunks(chunks: Chunks) -> Self {
        ByteStream { inner: Inner::Chunks(chunks), length: None, content_type: None, headers: None }
    }

    /// Bytes already in memory, as one chunk (their length is known).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let length = Some(bytes.len() as u64);
        ByteStream { inner: Inner::Whole(Some(bytes)), length, content_type: None, headers: None }
    }

    /// An empty body.
    pub fn empty() -> Self {
        ByteStream::from_bytes(Bytes::new())
    }

    /// Says the stream's length in bytes (sent as `Content-Length`; a stream that then yields
    /// another number of bytes makes the connection fail, as HTTP wants).
    #[must_use]
    pub fn with_length(mut self, length: u64) -> Self {
        self.length = Some(length);
        self
    }

    /// Sets the media type sent as `Content-Type` (the server uses the documented one when it is
    /// exact, this one for a documented range such as `image/*`; the client sends it instead of
    /// the documented one when it fits it).
    #[must_use]
    pub fn with_content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }

    /// The length in bytes, when known (`Content-Length`, or bytes in memory).
    pub fn length(&self) -> Option<u64> {
        self.length
    }

    /// The media type (`Content-Type` of a received body, or the one set).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The headers of the response it came from (client side).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.headers.as_ref()
    }

    /// The bytes, when the body is in memory and not yet read (no stream behind it).
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.inner {
            Inner::Whole(b) => b.as_ref(),
            Inner::Chunks(_) => None,
        }
    }

    /// The next chunk, `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, StreamError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Reads the whole stream into memory (for small bodies: it holds every byte).
    pub async fn collect(self) -> Result<Bytes, StreamError> {
        self.collect_limited(usize::MAX).await
    }

    /// [`ByteStream::collect`], failing with [`StreamError::LongerThan`] past `limit` bytes.
    pub async fn collect_limited(mut self, limit: usize) -> Result<Bytes, StreamError> {
        if let Inner::Whole(b) = &mut self.inner {
            let bytes = b.take().unwrap_or_default();
            return if bytes.len() > limit { Err(StreamError::LongerThan { limit }) } else { Ok(bytes) };
        }
        let mut out: Vec<u8> = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > limit {
                return Err(StreamError::LongerThan { limit });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.inner {
            Inner::Whole(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(Ok)),
            Inner::Chunks(s) => s.as_mut().poll_next(cx),
        }
    }
}

impl Default for ByteStream {
    fn default() -> Self {
        ByteStream::empty()
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Inner::Whole(_) => "bytes",
            Inner::Chunks(_) => "stream",
        };
        f.debug_struct("ByteStream").field("kind", &kind).field("length", &self.length).field("content_type", &self.content_type).finish()
    }
}

impl From<Bytes> for ByteStream {
    fn from(b: Bytes) -> Self {
        ByteStream::from_bytes(b)
    }
}

impl From<Vec<u8>> for ByteStream {
    fn from(b: Vec<u8>) -> Self {
        ByteStream::from_bytes(b)
    }
}

impl From<&'static [u8]> for ByteStream {
    fn from(b: &'static [u8]) -> Self {
        ByteStream::from_bytes(b)
    }
}

impl From<String> for ByteStream {
    fn from(s: String) -> Self {
        ByteStream::from_bytes(s)
    }
}

/// A stream with its items mapped (`futures::StreamExt::map` without the dependency); the
/// source is boxed, so no pin projection is needed.
struct Map<S, F> {
    stream: Pin<Box<S>>,
    map: F,
}

impl<S: Stream, F: FnMut(S::Item) -> T + Unpin, T> Stream for Map<S, F> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        match this.stream.as_mut().poll_next(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some((this.map)(item))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(feature = "server")]
pub use server_side::*;

#[cfg(feature = "server")]
mod server_side {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use axum::body::Body;
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::Response;

    use super::super::server::{Rejection, RouterConfig, content_essence, media_type_matches, pick_content};
    use super::*;

    /// A stream whose first chunk was read already (to tell an empty body from a non-empty one).
    struct Prepend {
        first: Option<Bytes>,
        rest: Chunks,
    }

    impl Stream for Prepend {
        type Item = Result<Bytes, StreamError>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            match self.first.take() {
                Some(first) => Poll::Ready(Some(Ok(first))),
                None => self.rest.as_mut().poll_next(cx),
            }
        }
    }

    /// Whether a streamed request body went past the router's `body_limit` while the handler
    /// read it: then the answer is 413 in the spec's error shape, whatever the handler returned.
    #[derive(Debug, Clone, Default)]
    pub struct Overflow {
        tripped: Arc<AtomicBool>,
        limit: usize,
    }

    impl Overflow {
        /// The handler's result, or the 413 when the body went past the limit.
        pub fn check(&self, result: Result<Response, Rejection>) -> Result<Response, Rejection> {
            if self.tripped.load(Ordering::SeqCst) { Err(Rejection::PayloadTooLarge { limit: self.limit }) } else { result }
        }
    }

    /// Counts the bytes of a request body: past `limit` it yields [`StreamError::TooLarge`]
    /// once (and records it in the [`Overflow`]), then ends.
    struct Limited {
        body: axum::body::BodyDataStream,
        seen: usize,
        limit: usize,
        tripped: Arc<AtomicBool>,
        done: bool,
    }

    impl Stream for Limited {
        type Item = Result<Bytes, StreamError>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.body).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.seen = self.seen.saturating_add(chunk.len());
                    if self.seen > self.limit {
                        self.done = true;
                        self.tripped.store(true, Ordering::SeqCst);
                        return Poll::Ready(Some(Err(StreamError::TooLarge { limit: self.limit })));
                    }
                    Poll::Ready(Some(Ok(chunk)))
                }
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    Poll::Ready(Some(Err(StreamError::Source(Box::new(e)))))
                }
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        }
    }

    fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok())
    }

    fn unreadable(e: &StreamError, limit: usize) -> Rejection {
        match e {
            StreamError::TooLarge { .. } | StreamError::LongerThan { .. } => Rejection::PayloadTooLarge { limit },
            StreamError::Source(e) => Rejection::BadRequest { message: format!("the request body could not be read: {e}"), violations: Vec::new() },
        }
    }

    /// The request body as a stream, and which documented media type it is, for operations
    /// whose binary bodies stream: 415 for an undocumented media type, 413 at once when
    /// `Content-Length` announces more than [`RouterConfig::body_limit`], and while the handler
    /// reads past it (see [`Overflow`]). The first chunk is awaited (within
    /// [`RouterConfig::body_timeout`]) so that an empty body is no body, as for buffered bodies.
    pub async fn read_content_stream(
        headers: &axum::http::HeaderMap,
        body: Body,
        config: &RouterConfig,
        documented: &[&str],
        expected: &'static str,
    ) -> Result<(Option<(usize, ByteStream)>, Overflow), Rejection> {
        let limit = config.body_limit;
        let essence = content_essence(headers);
        let index = pick_content(essence.as_deref(), documented);
        let declared = declared_length(headers);
        if index.is_none() && declared.is_some_and(|n| n > 0) {
            return Err(Rejection::UnsupportedMediaType { expected });
        }
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Rejection::PayloadTooLarge { limit });
        }
        let overflow = Overflow { tripped: Arc::new(AtomicBool::new(false)), limit };
        if declared == Some(0) {
            return Ok((None, overflow));
        }
        let mut limited = Limited { body: body.into_data_stream(), seen: 0, limit, tripped: overflow.tripped.clone(), done: false };
        let first = async {
            loop {
                match std::future::poll_fn(|cx| Pin::new(&mut limited).poll_next(cx)).await {
                    Some(Ok(chunk)) if chunk.is_empty() => continue,
                    other => return other,
                }
            }
        };
        let first = match config.body_timeout {
            Some(after) => tokio::time::timeout(after, first).await.map_err(|_| Rejection::RequestTimeout { after })?,
            None => first.await,
        };
        let first = match first {
            None => return Ok((None, overflow)),
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => return Err(unreadable(&e, limit)),
        };
        let Some(index) = index else { return Err(Rejection::UnsupportedMediaType { expected }) };
        let mut stream = ByteStream::from_chunks(Box::pin(Prepend { first: Some(first), rest: Box::pin(limited) }));
        stream.length = declared;
        stream.content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        Ok((Some((index, stream)), overflow))
    }

    /// A streamed request body read whole, for a media type of the operation that is parsed
    /// (JSON, form, text, multipart): 413 past the limit, 408 past [`RouterConfig::body_timeout`].
    pub async fn collect_body(stream: ByteStream, config: &RouterConfig) -> Result<Bytes, Rejection> {
        let limit = config.body_limit;
        let read = stream.collect_limited(limit);
        let read = match config.body_timeout {
            Some(after) => tokio::time::timeout(after, read).await.map_err(|_| Rejection::RequestTimeout { after })?,
            None => read.await,
        };
        read.map_err(|e| unreadable(&e, limit))
    }

    /// A binary response sent as it is produced (`Body::from_stream`, never collected), with
    /// `Content-Length` when the stream's length is known. `Content-Type` is the documented
    /// media type, or for a documented range (`image/*`) the stream's own when it fits the range
    /// (`application/octet-stream` otherwise).
    pub fn stream_response(status: StatusCode, documented: &'static str, body: ByteStream) -> Response {
        let media_type = if documented.contains('*') {
            let own = body.content_type.as_deref().filter(|own| {
                let essence = own.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                media_type_matches(documented, &essence) && !essence.contains('*')
            });
            own.and_then(|own| HeaderValue::from_str(own).ok()).unwrap_or(HeaderValue::from_static("application/octet-stream"))
        } else {
            HeaderValue::from_static(documented)
        };
        let length = body.length;
        let payload = match body.inner {
            Inner::Whole(bytes) => Body::from(bytes.unwrap_or_default()),
            Inner::Chunks(chunks) => Body::from_stream(chunks),
        };
        let mut response = Response::new(payload);
        *response.status_mut() = status;
        response.headers_mut().insert(header::CONTENT_TYPE, media_type);
        if let Some(n) = length {
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        response
    }
}

#[cfg(feature = "client")]
pub use client_side::*;

#[cfg(feature = "client")]
mod client_side {
    use reqwest::header::{self, HeaderValue};

    use super::*;

    /// Puts a binary body into a request: `Content-Type` is the documented media type, or for a
    /// documented range the stream's own when it fits it (`application/octet-stream`
    /// otherwise); `Content-Length` when the length is known. Bytes in memory are sent as they
    /// are (the request can then be retried); a stream as it is produced
    /// (`reqwest::Body::wrap_stream`).
    pub fn send_bytes(request: reqwest::RequestBuilder, documented: &'static str, body: ByteStream) -> reqwest::RequestBuilder {
        let own = body.content_type.as_deref().filter(|own| {
            let essence = own.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            !essence.contains('*') && fits(documented, &essence)
        });
        let media_type = match own {
            Some(own) if documented.contains('*') => HeaderValue::from_str(own).ok(),
            _ => None,
        }
        .unwrap_or_else(|| HeaderValue::from_static(if documented.contains('*') { "application/octet-stream" } else { documented }));
        let mut request = request.header(header::CONTENT_TYPE, media_type);
        if let Some(n) = body.length {
            request = request.header(header::CONTENT_LENGTH, n);
        }
        match body.inner {
            Inner::Whole(bytes) => request.body(bytes.unwrap_or_default()),
            Inner::Chunks(chunks) => request.body(reqwest::Body::wrap_stream(chunks)),
        }
    }

    fn fits(documented: &str, essence: &str) -> bool {
        documented.eq_ignore_ascii_case(essence)
            || documented == "*/*"
            || (documented.ends_with("/*") && essence.starts_with(&documented[..documented.len() - 1].to_ascii_lowercase()))
    }

    /// A received binary body as a stream (`reqwest::Response::bytes_stream`), with its length,
    /// media type and the response headers.
    pub fn response_stream(response: reqwest::Response) -> ByteStream {
        let headers = response.headers().clone();
        let length = response.content_length();
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let mut stream = ByteStream::new(response.bytes_stream());
        stream.length = length;
        stream.content_type = content_type;
        stream.headers = Some(headers);
        stream
    }
}
