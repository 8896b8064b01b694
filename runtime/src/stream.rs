//! Typed streams (feature `streams`), shared by the server and the client: server-sent events
//! ([`Event`], [`EventStream`], the WHATWG [`SseParser`]) and JSON sequences ([`JsonStream`],
//! JSON Lines / NDJSON and RFC 7464 `json-seq` framing by [`JsonFramer`]), with the per-item
//! decoding and validation both sides use. An item that does not decode or breaks its schema is
//! a [`StreamError`] item; the stream goes on where the framing allows.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{BoxStream, Stream, StreamExt};
use serde_json::Value;

use super::ops::Validator;
use super::{InstancePath, Violation};

/// The longest line (SSE) or item (JSON sequences) a reader buffers by default: 1 MiB.
pub const DEFAULT_MAX_ITEM_BYTES: usize = 1024 * 1024;

/// One server-sent event: `id`, `event` (the type; `None` is `message`), `retry` and the data,
/// typed when the spec describes it (JSON data), else a `String`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<T> {
    /// The `id` field, when the event has one.
    pub id: Option<String>,
    /// The `event` field (the event type), when the event has one.
    pub event: Option<String>,
    /// The `retry` field: the reconnection time the server asks for.
    pub retry: Option<Duration>,
    /// The `data` field (its lines joined with `\n`), decoded.
    pub data: T,
}

impl<T> Event<T> {
    /// An event with only data.
    pub fn new(data: T) -> Self {
        Event { id: None, event: None, retry: None, data }
    }

    /// Sets the id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the event type.
    pub fn with_event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the reconnection time.
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }
}

/// An item of a stream that is not a value: it did not decode, broke its schema, was too long,
/// or the connection failed.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamError {
    /// Not JSON, or not of the item's type: why, and the item's text.
    Decode {
        /// The parser's or converter's message.
        message: String,
        /// The item as received.
        text: String,
    },
    /// The item breaks its schema: every violation, with paths inside the item.
    Invalid {
        /// The violations.
        violations: Vec<Violation>,
        /// The item as received.
        text: String,
    },
    /// A line or item longer than the limit; the stream ends.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Reading or sending failed; the stream ends.
    Transport(String),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Decode { message, .. } => write!(f, "the item does not decode: {message}"),
            StreamError::Invalid { violations, .. } => {
                write!(f, "the item breaks its schema: ")?;
                let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
                write!(f, "{}", list.join("; "))
            }
            StreamError::TooLarge { limit } => write!(f, "an item is longer than {limit} bytes"),
            StreamError::Transport(e) => write!(f, "the stream failed: {e}"),
        }
    }
}

impl std::error::Error for StreamError {}

/// How an event's data is read and written: as text, or as JSON checked by a validator.
#[derive(Debug, Clone, Copy)]
pub enum DataKind {
    /// The data is text (`String`).
    Text,
    /// The data is JSON of the validator's schema.
    Json(Validator),
}

/// Decodes one JSON item (parsed within the nesting limit, validated when a validator is given,
/// converted).
pub fn decode_item<T: serde::de::DeserializeOwned>(text: &[u8], validate: Option<Validator>) -> Result<T, StreamError> {
    let shown = || String::from_utf8_lossy(text).into_owned();
    let value = super::parse_json(text, super::DEFAULT_MAX_JSON_DEPTH).map_err(|e| StreamError::Decode { message: format!("{e:?}"), text: shown() })?;
    check_value(&value, validate).map_err(|violations| StreamError::Invalid { violations, text: shown() })?;
    super::convert(value).map_err(|e| StreamError::Decode { message: e.to_string(), text: shown() })
}

/// Decodes an event's data by its kind.
pub fn decode_data<T: serde::de::DeserializeOwned>(data: String, kind: DataKind) -> Result<T, StreamError> {
    match kind {
        DataKind::Json(v) => decode_item(data.as_bytes(), Some(v)),
        DataKind::Text => serde_json::from_value(Value::String(data)).map_err(|e| StreamError::Decode { message: e.to_string(), text: String::new() }),
    }
}

fn check_value(value: &Value, validate: Option<Validator>) -> Result<(), Vec<Violation>> {
    let Some(validate) = validate else { return Ok(()) };
    let mut out = Vec::new();
    validate(value, &mut InstancePath::root(), &mut out);
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// One item as JSON text (checked against the validator first when `check`): the violations of
/// an item that breaks its schema (or does not serialise).
pub fn encode_item<T: serde::Serialize>(item: &T, validate: Option<Validator>, check: bool) -> Result<String, Vec<Violation>> {
    let value = serde_json::to_value(item).map_err(|e| {
        let mut out = Vec::new();
        super::violation(&mut out, &InstancePath::root(), "type", format!("the item does not serialise: {e}"));
        out
    })?;
    if check {
        check_value(&value, validate)?;
    }
    Ok(value.to_string())
}

/// An event's data as the text of its `data` field (JSON checked first when `check`).
pub fn encode_data<T: serde::Serialize>(data: &T, kind: DataKind, check: bool) -> Result<String, Vec<Violation>> {
    match kind {
        DataKind::Json(v) => encode_item(data, Some(v), check),
        DataKind::Text => match serde_json::to_value(data) {
            Ok(Value::String(s)) => Ok(s),
            Ok(other) => Ok(other.to_string()),
            Err(e) => {
                let mut out = Vec::new();
                super::violation(&mut out, &InstancePath::root(), "type", format!("the data does not serialise: {e}"));
                Err(out)
            }
        },
    }
}

type Boxed<I> = BoxStream<'static, Result<I, StreamError>>;

/// A stream of server-sent events whose data is `T`. A handler builds one from any stream of
/// events ([`EventStream::new`]); the client's operations return one (its error items are data
/// that did not decode or broke its schema, and connection failures). Not buffered: each event
/// is sent or yielded as it comes.
pub struct EventStream<T> {
    inner: Lazy<Event<T>>,
    /// Whether the server checks each event's data against its schema before sending
    /// (`None`: `RouterConfig::validate_stream_items`).
    pub check: Option<bool>,
}

/// A stream of JSON items `T` (JSON Lines, NDJSON, `json-seq`), in either direction: a handler
/// returns one or reads a request body as one; the client sends one as a request body or reads a
/// response as one. Error items are items that did not decode or broke their schema.
pub struct JsonStream<T> {
    inner: Lazy<T>,
    /// Whether the server checks each item against its schema before sending (`None`:
    /// `RouterConfig::validate_stream_items`).
    pub check: Option<bool>,
}

/// How the client reads an event stream: the sentinel data that ends it, and reconnection
/// (GET operations only: the request is sent again with `Last-Event-ID` after the connection
/// ends, after the server's `retry` time or `retry`, at most `max_reconnects` times in a row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// Data (`[DONE]`) that ends the stream cleanly instead of being yielded.
    pub sentinel: Option<String>,
    /// Most reconnections in a row without an event between them (0: never reconnect).
    pub max_reconnects: u32,
    /// The wait before reconnecting when the server gave no `retry`.
    pub retry: Duration,
}

impl ClientSettings {
    /// The settings of a generated operation (from the generator's `streams` options).
    pub fn new(sentinel: Option<&str>, max_reconnects: u32) -> Self {
        ClientSettings { sentinel: sentinel.map(str::to_string), max_reconnects, retry: Duration::from_secs(3) }
    }
}

type Start<I> = Box<dyn FnOnce(ClientSettings) -> Boxed<I> + Send>;

/// A boxed stream, or the recipe of one not started yet (the client's, whose settings can still
/// change before the first poll).
pub(crate) enum Lazy<I> {
    Ready(Boxed<I>),
    Pending(Start<I>, ClientSettings),
    Gone,
}

impl<I> Lazy<I> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<I, StreamError>>> {
        if matches!(self, Lazy::Pending(..)) {
            if let Lazy::Pending(start, settings) = std::mem::replace(self, Lazy::Gone) {
                *self = Lazy::Ready(start(settings));
            }
        }
        match self {
            Lazy::Ready(s) => s.poll_next_unpin(cx),
            _ => Poll::Ready(None),
        }
    }
}

macro_rules! stream_type {
    ($name:ident, $item:ty, $what:literal) => {
        impl<T: Send + 'static> $name<T> {
            #[doc = concat!("A stream of ", $what, " from any stream of them.")]
            pub fn new(items: impl Stream<Item = $item> + Send + 'static) -> Self {
                $name { inner: Lazy::Ready(items.map(Ok).boxed()), check: None }
            }

            #[doc = concat!("A stream of ", $what, " and error items (an error item ends a stream the server sends).")]
            pub fn try_new(items: impl Stream<Item = Result<$item, StreamError>> + Send + 'static) -> Self {
                $name { inner: Lazy::Ready(items.boxed()), check: None }
            }

            #[doc = concat!("A stream of the given ", $what, ".")]
            pub fn from_items(items: impl IntoIterator<Item = $item, IntoIter: Send + 'static>) -> Self {
                Self::new(futures_util::stream::iter(items))
            }

            /// Turns the server's check of each item against its schema on or off for this
            /// stream (overriding `RouterConfig::validate_stream_items`).
            pub fn validate(mut self, on: bool) -> Self {
                self.check = Some(on);
                self
            }

            #[doc(hidden)]
            pub fn checked_by_default(mut self, on: bool) -> Self {
                self.check.get_or_insert(on);
                self
            }
        }

        impl<T> Stream for $name<T> {
            type Item = Result<$item, StreamError>;

            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                self.get_mut().inner.poll(cx)
            }
        }

        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("check", &self.check).finish_non_exhaustive()
            }
        }
    };
}

stream_type!(EventStream, Event<T>, "events");
stream_type!(JsonStream, T, "items");

impl<T: Send + 'static> EventStream<T> {
    /// A client's stream: ends cleanly at an event whose data is `sentinel` (`[DONE]`),
    /// instead of yielding it; `None` turns the sentinel off. No effect on a stream that
    /// has started, or that a handler built.
    pub fn sentinel(mut self, sentinel: Option<&str>) -> Self {
        if let Lazy::Pending(_, settings) = &mut self.inner {
            settings.sentinel = sentinel.map(str::to_string);
        }
        self
    }

    /// A client's event stream of a GET operation: reconnects at most `max` times in a
    /// row (0: never), waiting the server's `retry` or else `delay`. No effect on a
    /// stream that has started, or that a handler built.
    pub fn reconnect(mut self, max: u32, delay: Duration) -> Self {
        if let Lazy::Pending(_, settings) = &mut self.inner {
            settings.max_reconnects = max;
            settings.retry = delay;
        }
        self
    }

    #[allow(dead_code, reason = "only the client's streams start lazily")]
    pub(crate) fn lazy(settings: ClientSettings, start: impl FnOnce(ClientSettings) -> Boxed<Event<T>> + Send + 'static) -> Self {
        EventStream { inner: Lazy::Pending(Box::new(start), settings), check: None }
    }
}

/// An event as the parser read it, before its data is decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEvent {
    /// The `id` field of the event's block, if any.
    pub id: Option<String>,
    /// The `event` field, if any (and not empty).
    pub event: Option<String>,
    /// The `retry` field, in milliseconds, if any (digits only).
    pub retry: Option<u64>,
    /// The data lines joined with `\n`.
    pub data: String,
}

/// What the event object breaks of its `itemSchema` (`data` as the text it is on the wire,
/// `event`, `id`, `retry` as given).
pub fn envelope_violations(id: Option<&str>, event: Option<&str>, retry: Option<u64>, data: &str, validate: Validator) -> Vec<Violation> {
    let mut object = serde_json::Map::new();
    object.insert("data".into(), Value::String(data.to_string()));
    if let Some(e) = event {
        object.insert("event".into(), Value::String(e.to_string()));
    }
    if let Some(i) = id {
        object.insert("id".into(), Value::String(i.to_string()));
    }
    if let Some(r) = retry {
        object.insert("retry".into(), Value::from(r));
    }
    let mut out = Vec::new();
    validate(&Value::Object(object), &mut InstancePath::root(), &mut out);
    out
}

impl RawEvent {
    /// The typed event: the event object checked against `envelope` (the `itemSchema`), the
    /// data decoded by its kind.
    pub fn decode<T: serde::de::DeserializeOwned>(self, kind: DataKind, envelope: Option<Validator>) -> Result<Event<T>, StreamError> {
        if let Some(v) = envelope {
            let violations = envelope_violations(self.id.as_deref(), self.event.as_deref(), self.retry, &self.data, v);
            if !violations.is_empty() {
                return Err(StreamError::Invalid { violations, text: self.data });
            }
        }
        let data = decode_data(self.data, kind)?;
        Ok(Event { id: self.id, event: self.event, retry: self.retry.map(Duration::from_millis), data })
    }
}

/// The `text/event-stream` parser of the WHATWG HTML standard (§9.2.6): lines end with CRLF, LF
/// or CR (anywhere across chunks); a leading BOM is skipped; `:` lines are comments; `data`
/// lines accumulate; `event`, `id` (without NUL) and `retry` (digits) fields; a field without a
/// colon has an empty value; one space after the colon is dropped; a blank line dispatches the
/// event (none when no data was given); an unfinished event at the end is dropped.
#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    started: bool,
    data: String,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    last_event_id: Option<String>,
    reconnect_ms: Option<u64>,
    comments: usize,
    max_line: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new(DEFAULT_MAX_ITEM_BYTES)
    }
}

impl SseParser {
    /// A parser refusing lines longer than `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            started: false,
            data: String::new(),
            event: None,
            id: None,
            retry: None,
            last_event_id: None,
            reconnect_ms: None,
            comments: 0,
            max_line,
        }
    }

    /// Reads a chunk; complete events go to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<RawEvent>) -> Result<(), StreamError> {
        for &b in chunk {
            if std::mem::take(&mut self.after_cr) && b == b'\n' {
                continue;
            }
            match b {
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(out);
                }
                b'\n' => self.end_line(out),
                _ if self.line.len() >= self.max_line => return Err(StreamError::TooLarge { limit: self.max_line }),
                _ => self.line.push(b),
            }
        }
        Ok(())
    }

    /// The last event id seen (it persists across events), for `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The reconnection time the last `retry` field asked for, in milliseconds.
    pub fn reconnect_ms(&self) -> Option<u64> {
        self.reconnect_ms
    }

    /// How many comment lines were read.
    pub fn comments(&self) -> usize {
        self.comments
    }

    /// Forgets the unfinished event and line (a new connection), keeping the last event id and
    /// the reconnection time.
    pub fn restart(&mut self) {
        let (last, retry, comments, max) = (self.last_event_id.take(), self.reconnect_ms, self.comments, self.max_line);
        *self = SseParser { last_event_id: last, reconnect_ms: retry, comments, ..SseParser::new(max) };
    }

    fn end_line(&mut self, out: &mut Vec<RawEvent>) {
        let mut line = std::mem::take(&mut self.line);
        if !std::mem::replace(&mut self.started, true) && line.starts_with(&[0xEF, 0xBB, 0xBF]) {
            line.drain(..3);
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            self.comments += 1;
            return;
        }
        let text = String::from_utf8_lossy(&line);
        let (name, value) = match text.find(':') {
            Some(i) => (&text[..i], text[i + 1..].strip_prefix(' ').unwrap_or(&text[i + 1..])),
            None => (&text[..], ""),
        };
        match name {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => {
                self.id = Some(value.to_string());
                self.last_event_id = Some(value.to_string());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    self.retry = Some(ms);
                    self.reconnect_ms = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<RawEvent>) {
        let (id, retry) = (self.id.take(), self.retry.take());
        let event = self.event.take().filter(|e| !e.is_empty());
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        out.push(RawEvent { id, event, retry, data });
    }
}

/// How a JSON sequence separates its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One item per line (`application/jsonl`, `application/x-ndjson`); blank lines are skipped.
    Lines,
    /// RFC 7464 (`application/json-seq`): each item after an RS (0x1E), ended by LF.
    RecordSeparator,
}

impl Framing {
    /// One item's bytes on the wire.
    pub fn frame(self, json: String) -> Vec<u8> {
        let mut out = Vec::with_capacity(json.len() + 2);
        if self == Framing::RecordSeparator {
            out.push(0x1E);
        }
        out.extend_from_slice(json.as_bytes());
        out.push(b'\n');
        out
    }
}

/// Splits a JSON sequence into item texts, one at a time as the bytes arrive. In `json-seq` an
/// item ends at the LF after which its text is complete JSON, or at the next RS (a broken item
/// then becomes a decode error and the next one is read).
#[derive(Debug)]
pub struct JsonFramer {
    framing: Framing,
    buf: Vec<u8>,
    max: usize,
}

impl JsonFramer {
    /// A framer refusing items longer than `max` bytes.
    pub fn new(framing: Framing, max: usize) -> Self {
        JsonFramer { framing, buf: Vec::new(), max }
    }

    /// Reads a chunk; complete item texts go to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), StreamError> {
        for &b in chunk {
            match (self.framing, b) {
                (Framing::Lines, b'\n') => self.emit(out),
                (Framing::RecordSeparator, 0x1E) => self.emit(out),
                (Framing::RecordSeparator, b'\n') if complete_json(&self.buf) => self.emit(out),
                _ if self.buf.len() >= self.max => return Err(StreamError::TooLarge { limit: self.max }),
                _ => self.buf.push(b),
            }
        }
        Ok(())
    }

    /// The end of the input: the last item, if its text is not blank.
    pub fn finish(&mut self, out: &mut Vec<Vec<u8>>) {
        self.emit(out);
    }

    fn emit(&mut self, out: &mut Vec<Vec<u8>>) {
        let item = std::mem::take(&mut self.buf);
        if !item.iter().all(u8::is_ascii_whitespace) {
            out.push(item);
        }
    }
}

/// True when `bytes` hold one complete JSON text (or a broken one that more bytes cannot fix).
fn complete_json(bytes: &[u8]) -> bool {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return false;
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Ok(_) => true,
        Err(e) => !e.is_eof(),
    }
}

/// Reads a byte stream as a JSON sequence of `T`: each item decoded and validated as it
/// completes; a broken item is an error item and the next one follows; a read failure or an
/// over-long item is a last error item.
pub fn read_json_seq<T, B, E>(
    bytes: impl Stream<Item = Result<B, E>> + Send + 'static,
    framing: Framing,
    validate: Option<Validator>,
    max_item: usize,
) -> BoxStream<'static, Result<T, StreamError>>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    B: AsRef<[u8]>,
    E: fmt::Display,
{
    struct State<S> {
        bytes: Pin<Box<S>>,
        framer: JsonFramer,
        ready: std::collections::VecDeque<Vec<u8>>,
        done: bool,
    }
    let state = State { bytes: Box::pin(bytes), framer: JsonFramer::new(framing, max_item), ready: Default::default(), done: false };
    futures_util::stream::unfold(state, move |mut s| async move {
        loop {
            if let Some(item) = s.ready.pop_front() {
                return Some((decode_item(&item, validate), s));
            }
            if s.done {
                return None;
            }
            let mut out = Vec::new();
            match s.bytes.next().await {
                Some(Ok(chunk)) => {
                    if let Err(e) = s.framer.push(chunk.as_ref(), &mut out) {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
                Some(Err(e)) => {
                    s.done = true;
                    return Some((Err(StreamError::Transport(e.to_string())), s));
                }
                None => {
                    s.done = true;
                    s.framer.finish(&mut out);
                }
            }
            s.ready.extend(out);
        }
    })
    .boxed()
}

/// The bytes of a JSON sequence of `items` (the client's request bodies): an item that does not
/// serialise, or an error item, ends the body with an error.
pub fn write_json_seq<T: serde::Serialize + Send + 'static>(
    items: JsonStream<T>,
    framing: Framing,
) -> impl Stream<Item = Result<Vec<u8>, StreamError>> + Send + 'static {
    items.map(move |item| {
        let item = item?;
        let text = encode_item(&item, None, false).map_err(|v| StreamError::Invalid { violations: v, text: String::new() })?;
        Ok(framing.frame(text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> (Vec<RawEvent>, SseParser) {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, &mut out).expect("push");
        }
        (out, p)
    }

    fn ev(data: &str) -> RawEvent {
        RawEvent { data: data.into(), ..RawEvent::default() }
    }

    #[test]
    fn fields_comments_and_multi_line_data() {
        let text = b"\xEF\xBB\xBF: hello\nevent: tick\nid: 7\nretry: 1500\ndata: a\ndata:b\ndata\n\ndata: second\nfoo: ignored\n\n";
        let (events, p) = parse_chunks(&[text]);
        assert_eq!(events, vec![RawEvent { id: Some("7".into()), event: Some("tick".into()), retry: Some(1500), data: "a\nb\n".into() }, ev("second")]);
        assert_eq!(p.comments(), 1);
        assert_eq!(p.last_event_id(), Some("7"));
        assert_eq!(p.reconnect_ms(), Some(1500));
    }

    #[test]
    fn every_split_of_crlf_cr_and_lf_input_gives_the_same_events() {
        let text: &[u8] = b"data: one\r\ndata: two\r\n\r\nid: x\rdata: three\r\rdata:four\n\n: c\r\n";
        let (whole, _) = parse_chunks(&[text]);
        assert_eq!(whole, vec![ev("one\ntwo"), RawEvent { id: Some("x".into()), ..ev("three") }, ev("four")]);
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let (parts, _) = parse_chunks(&[&text[..i], &text[i..j], &text[j..]]);
                assert_eq!(parts, whole, "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn a_bom_split_across_chunks_is_skipped_and_only_at_the_start() {
        let (events, _) = parse_chunks(&[b"\xEF", b"\xBB\xBFdata: x\n\ndata: y\n\n"]);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].data, "x");
        // A BOM later is part of the line: the field name is not `data`.
        let (events, _) = parse_chunks(&[b"data: x\n\n", b"\xEF\xBB\xBFdata: y\n\n"]);
        assert_eq!(events, vec![ev("x")]);
    }

    #[test]
    fn no_event_without_data_an_unfinished_event_is_dropped_and_bad_fields_are_ignored() {
        let (events, p) = parse_chunks(&[b"id: 1\nevent: e\n\nretry: 12a\nid: a\0b\ndata: kept\n\ndata: unfinished"]);
        assert_eq!(events, vec![ev("kept")]);
        assert_eq!(p.last_event_id(), Some("1"));
        assert_eq!(p.reconnect_ms(), None);
    }

    #[test]
    fn a_line_past_the_limit_is_an_error() {
        let mut p = SseParser::new(8);
        assert_eq!(p.push(b"data: 123456789", &mut Vec::new()), Err(StreamError::TooLarge { limit: 8 }));
    }

    #[test]
    fn restart_keeps_the_last_id_and_drops_the_unfinished_event() {
        let (_, mut p) = parse_chunks(&[b"id: 3\nretry: 5\ndata: x\n\ndata: half"]);
        p.restart();
        let mut out = Vec::new();
        p.push(b"data: y\n\n", &mut out).expect("push");
        assert_eq!(out, vec![ev("y")]);
        assert_eq!((p.last_event_id(), p.reconnect_ms()), (Some("3"), Some(5)));
    }

    fn frame_all(framing: Framing, chunks: &[&[u8]]) -> Vec<String> {
        let mut f = JsonFramer::new(framing, 1024);
        let mut out = Vec::new();
        for c in chunks {
            f.push(c, &mut out).expect("push");
        }
        f.finish(&mut out);
        out.into_iter().map(|b| String::from_utf8_lossy(&b).trim().to_string()).collect()
    }

    #[test]
    fn json_lines_split_anywhere() {
        let text: &[u8] = b"{\"a\":1}\r\n\n[2,\n\"x\"]\n3";
        let whole = frame_all(Framing::Lines, &[text]);
        assert_eq!(whole, ["{\"a\":1}", "[2,", "\"x\"]", "3"]);
        for i in 0..=text.len() {
            assert_eq!(frame_all(Framing::Lines, &[&text[..i], &text[i..]]), whole, "split at {i}");
        }
    }

    #[test]
    fn json_seq_items_end_at_a_complete_lf_or_the_next_rs() {
        let text: &[u8] = b"\x1e{\"a\":\n1}\n\x1e{broken\n\x1e\"s\"\n\x1e[1]";
        let whole = frame_all(Framing::RecordSeparator, &[text]);
        assert_eq!(whole, ["{\"a\":\n1}", "{broken", "\"s\"", "[1]"]);
        for i in 0..=text.len() {
            assert_eq!(frame_all(Framing::RecordSeparator, &[&text[..i], &text[i..]]), whole, "split at {i}");
        }
    }

    fn positive(v: &Value, path: &mut InstancePath, out: &mut Vec<Violation>) {
        if v.get("n").and_then(Value::as_i64).is_some_and(|n| n < 0) {
            path.push_key("n");
            super::super::violation(out, path, "minimum", "below 0");
        }
    }

    #[test]
    fn items_decode_validate_and_encode() {
        let ok: Value = decode_item(b"{\"n\":1}", Some(positive)).expect("valid");
        assert_eq!(ok["n"], 1);
        match decode_item::<Value>(b"{\"n\":-1}", Some(positive)) {
            Err(StreamError::Invalid { violations, .. }) => assert_eq!(violations[0].path, "n"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(decode_item::<Value>(b"{", None), Err(StreamError::Decode { .. })));
        assert!(encode_item(&serde_json::json!({"n": -2}), Some(positive), true).is_err());
        assert_eq!(encode_item(&serde_json::json!({"n": -2}), Some(positive), false).as_deref(), Ok("{\"n\":-2}"));
        assert_eq!(encode_data(&"a\nb".to_string(), DataKind::Text, true).as_deref(), Ok("a\nb"));
        assert_eq!(decode_data::<String>("t".into(), DataKind::Text), Ok("t".to_string()));
        assert_eq!(Framing::RecordSeparator.frame("1".into()), b"\x1e1\n");
    }
}
