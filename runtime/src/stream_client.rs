//! The client's side of typed streams (features `streams` and `client`): a call whose response
//! is a stream is opened ([`open`]) and, for the streamed status, read as it arrives: an
//! [`EventStream`] (the runtime's own SSE parser; reconnection with `Last-Event-ID` for GET
//! operations, honouring `retry`, bounded; a sentinel such as `[DONE]` ends it cleanly) or a
//! [`JsonStream`]. Other statuses are read whole, as for any call. A request body of a JSON
//! sequence is sent from a [`JsonStream`] (`reqwest::Body::wrap_stream`).

use std::collections::VecDeque;

use futures_util::stream::{BoxStream, StreamExt};
use reqwest::header::{ACCEPT, HeaderValue};

use super::client::{ClientError, Connection, RawResponse};
use super::ops::Validator;
use super::stream::{
    ClientSettings, DEFAULT_MAX_ITEM_BYTES, DataKind, EventStream, Framing, JsonStream, RawEvent, SseParser, StreamError, read_json_seq, write_json_seq,
};

/// A call's response: the streamed status, not read yet, or any other, read whole.
#[derive(Debug)]
pub enum Opened {
    /// The status whose body is a stream.
    Live(Box<Live>),
    /// Another status, read whole.
    Done(RawResponse),
}

/// A response whose body is read as a stream, with what reconnecting needs.
#[derive(Debug)]
pub struct Live {
    http: reqwest::Client,
    again: Option<reqwest::Request>,
    response: reqwest::Response,
}

/// Sends a call whose documented `live` status has a streamed body of media type `accept`: no
/// whole-call timeout applies (a stream may last), and a GET request is kept to reconnect with.
pub async fn open<E>(conn: &Connection, request: reqwest::RequestBuilder, accept: &'static str, live: fn(u16) -> bool) -> Result<Opened, ClientError<E>> {
    let mut request = request.build()?;
    request.headers_mut().entry(ACCEPT).or_insert(HeaderValue::from_static(accept));
    let again = if request.method() == reqwest::Method::GET { request.try_clone() } else { None };
    let (http, _) = conn.http_parts(request.headers());
    let http = http.clone();
    let response = http.execute(request).await?;
    let status = response.status().as_u16();
    if live(status) {
        return Ok(Opened::Live(Box::new(Live { http, again, response })));
    }
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    let request_id = conn.http_parts(&headers).1;
    Ok(Opened::Done(RawResponse { status, headers, body, request_id }))
}

impl Live {
    /// The body as server-sent events whose data is read by `kind` (a GET reconnects per the
    /// settings).
    pub fn events<T: serde::de::DeserializeOwned + Send + 'static>(
        self: Box<Self>,
        kind: DataKind,
        envelope: Option<Validator>,
        settings: ClientSettings,
    ) -> EventStream<T> {
        EventStream::lazy(settings, move |settings| sse_events(self, kind, envelope, settings))
    }

    /// The body as a JSON sequence of validated items.
    pub fn items<T: serde::de::DeserializeOwned + Send + 'static>(self: Box<Self>, framing: Framing, validate: Option<Validator>) -> JsonStream<T> {
        JsonStream::try_new(read_json_seq(self.response.bytes_stream(), framing, validate, DEFAULT_MAX_ITEM_BYTES))
    }
}

/// A request body of a JSON sequence, sent as the items come.
pub fn json_seq_body<T: serde::Serialize + Send + 'static>(items: JsonStream<T>, framing: Framing) -> reqwest::Body {
    reqwest::Body::wrap_stream(write_json_seq(items, framing))
}

struct Reader<T> {
    http: reqwest::Client,
    again: Option<reqwest::Request>,
    body: reqwest::Response,
    parser: SseParser,
    kind: DataKind,
    envelope: Option<Validator>,
    settings: ClientSettings,
    ready: VecDeque<RawEvent>,
    reconnects: u32,
    done: bool,
    item: std::marker::PhantomData<fn() -> T>,
}

fn sse_events<T: serde::de::DeserializeOwned + Send + 'static>(
    live: Box<Live>,
    kind: DataKind,
    envelope: Option<Validator>,
    settings: ClientSettings,
) -> BoxStream<'static, Result<super::stream::Event<T>, StreamError>> {
    let reader = Reader::<T> {
        http: live.http,
        again: live.again,
        body: live.response,
        parser: SseParser::default(),
        kind,
        envelope,
        settings,
        ready: VecDeque::new(),
        reconnects: 0,
        done: false,
        item: std::marker::PhantomData,
    };
    futures_util::stream::unfold(reader, |mut r| async move {
        loop {
            if let Some(raw) = r.ready.pop_front() {
                r.reconnects = 0;
                if r.settings.sentinel.as_deref() == Some(raw.data.as_str()) {
                    r.done = true;
                    r.ready.clear();
                    return None;
                }
                return Some((raw.decode(r.kind, r.envelope), r));
            }
            if r.done {
                return None;
            }
            let mut out = Vec::new();
            let failure = match r.body.chunk().await {
                Ok(Some(chunk)) => match r.parser.push(&chunk, &mut out) {
                    Ok(()) => {
                        r.ready.extend(out);
                        continue;
                    }
                    Err(e) => {
                        r.done = true;
                        return Some((Err(e), r));
                    }
                },
                Err(e) => Some(e.to_string()),
                Ok(None) => None,
            };
            // The connection ended: reconnect (a GET, within the bound), else end the stream.
            if r.reconnect().await {
                continue;
            }
            r.done = true;
            if let Some(e) = failure {
                return Some((Err(StreamError::Transport(e)), r));
            }
        }
    })
    .boxed()
}

impl<T> Reader<T> {
    /// Sends the request again with `Last-Event-ID` after the reconnection time, until a
    /// response streams events or the attempts run out. A 204 ends the stream (as in browsers).
    async fn reconnect(&mut self) -> bool {
        while self.reconnects < self.settings.max_reconnects {
            let Some(request) = self.again.as_ref().and_then(reqwest::Request::try_clone) else { return false };
            self.reconnects += 1;
            let wait = self.parser.reconnect_ms().map_or(self.settings.retry, std::time::Duration::from_millis);
            tokio::time::sleep(wait).await;
            let mut request = request;
            if let Some(id) = self.parser.last_event_id().and_then(|id| HeaderValue::from_str(id).ok()) {
                request.headers_mut().insert("last-event-id", id);
            }
            match self.http.execute(request).await {
                Ok(response) if response.status().as_u16() == 204 => return false,
                Ok(response) if response.status().is_success() => {
                    self.body = response;
                    self.parser.restart();
                    return true;
                }
                _ => {}
            }
        }
        false
    }
}
