//! The server's side of typed streams (features `streams` and `server`): an [`EventStream`] sent
//! as `text/event-stream` with axum's `response::sse` (keep-alive comments), a [`JsonStream`]
//! written one item per line (or RS-prefixed for `json-seq`), and request bodies of JSON
//! sequences read as a [`JsonStream`] of validated items. Nothing is buffered whole. An item the
//! handler sends that breaks its schema (while checks are on) is logged and ends the stream.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::StreamExt;

use super::Violation;
use super::ops::Validator;
use super::server::{Rejection, RouterConfig};
use super::stream::{DataKind, Event, EventStream, Framing, JsonStream, encode_data, encode_item, envelope_violations, read_json_seq};

fn refuse(operation: &'static str, why: &str) {
    tracing::error!(operation, reason = why, "a streamed item was refused; the stream ends");
}

fn listed(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

fn sse_event<T: serde::Serialize>(event: &Event<T>, kind: DataKind, envelope: Option<Validator>, check: bool) -> Result<SseEvent, String> {
    let data = encode_data(&event.data, kind, check).map_err(|v| format!("the data breaks its schema: {}", listed(&v)))?;
    if let Some(v) = envelope.filter(|_| check) {
        let retry = event.retry.map(|r| u64::try_from(r.as_millis()).unwrap_or(u64::MAX));
        let violations = envelope_violations(event.id.as_deref(), event.event.as_deref(), retry, &data, v);
        if !violations.is_empty() {
            return Err(format!("the event breaks its schema: {}", listed(&violations)));
        }
    }
    let mut out = SseEvent::default();
    if let Some(id) = &event.id {
        if id.contains(['\r', '\n', '\0']) {
            return Err("the id holds a line break or NUL".into());
        }
        out = out.id(id);
    }
    if let Some(name) = &event.event {
        if name.contains(['\r', '\n']) {
            return Err("the event type holds a line break".into());
        }
        out = out.event(name);
    }
    if let Some(retry) = event.retry {
        out = out.retry(retry);
    }
    // Every line break becomes a `data:` line break (CRLF as one).
    Ok(out.data(data.replace("\r\n", "\n").replace('\r', "\n")))
}

/// Sends `events` as `text/event-stream` with keep-alive comments: each event's data written by
/// `kind` (checked first when `check`, or the stream's own setting); an event that breaks its
/// schema (or has a line break in its id or type), or an error item, is logged and ends the
/// stream.
pub fn sse_response<T: serde::Serialize + Send + 'static>(
    operation: &'static str,
    status: StatusCode,
    events: EventStream<T>,
    kind: DataKind,
    envelope: Option<Validator>,
    check: bool,
) -> Response {
    let check = events.check.unwrap_or(check);
    let stream = events
        .map(move |item| match item {
            Ok(event) => sse_event(&event, kind, envelope, check).map_err(|why| refuse(operation, &why)),
            Err(e) => {
                refuse(operation, &e.to_string());
                Err(())
            }
        })
        .take_while(|r| std::future::ready(r.is_ok()))
        .filter_map(|r| std::future::ready(r.ok().map(Ok::<_, Infallible>)));
    (status, Sse::new(stream).keep_alive(KeepAlive::default())).into_response()
}

/// Sends `items` as a JSON sequence of `media_type`, one item per line (RS-prefixed for
/// `json-seq`), each checked first when `check` (or the stream's own setting); an item that
/// breaks its schema, or an error item, is logged and ends the body.
pub fn json_seq_response<T: serde::Serialize + Send + 'static>(
    operation: &'static str,
    status: StatusCode,
    media_type: &'static str,
    items: JsonStream<T>,
    framing: Framing,
    validate: Option<Validator>,
    check: bool,
) -> Response {
    let check = items.check.unwrap_or(check);
    let stream = items
        .map(move |item| match item {
            Ok(item) => encode_item(&item, validate, check)
                .map(|text| framing.frame(text))
                .map_err(|v| refuse(operation, &format!("the item breaks its schema: {}", listed(&v)))),
            Err(e) => {
                refuse(operation, &e.to_string());
                Err(())
            }
        })
        .take_while(|r| std::future::ready(r.is_ok()))
        .filter_map(|r| std::future::ready(r.ok().map(Ok::<_, Infallible>)));
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))], Body::from_stream(stream)).into_response()
}

/// A request body that is a JSON sequence of `media_type`, as a stream of validated items (each
/// at most [`RouterConfig::body_limit`] bytes; the body as a whole has no limit). 415 for another
/// `Content-Type`; `None` when the request has no body (no `Content-Type` and no length).
pub fn json_seq_body<T: serde::de::DeserializeOwned + Send + 'static>(
    headers: &HeaderMap,
    body: Body,
    config: &RouterConfig,
    media_type: &'static str,
    framing: Framing,
    validate: Option<Validator>,
) -> Result<Option<JsonStream<T>>, Rejection> {
    let essence = super::server::content_essence(headers);
    match essence.as_deref() {
        None if !super::server::declares_body(headers) && !headers.contains_key(header::TRANSFER_ENCODING) => return Ok(None),
        Some(e) if super::server::media_type_matches(media_type, e) => {}
        _ => return Err(Rejection::UnsupportedMediaType { expected: media_type }),
    }
    let items = read_json_seq::<T, _, _>(body.into_data_stream(), framing, validate, config.body_limit);
    Ok(Some(JsonStream::try_new(items)))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::InstancePath;
    use super::*;

    fn short(v: &Value, path: &mut InstancePath, out: &mut Vec<Violation>) {
        if v.as_str().is_some_and(|s| s.len() > 3) || v.get("event").and_then(Value::as_str).is_some_and(|e| e != "tick") {
            super::super::violation(out, path, "maxLength", "too long");
        }
    }

    #[test]
    fn events_that_cannot_be_sent_as_written_are_refused() {
        let text = |data: &str| Event::new(data.to_string());
        assert!(sse_event(&text("ok"), DataKind::Text, None, true).is_ok());
        assert!(sse_event(&text("ok").with_id("a\nb"), DataKind::Text, None, false).is_err(), "a line break in the id");
        assert!(sse_event(&text("ok").with_event("x\ry"), DataKind::Text, None, false).is_err(), "a line break in the type");
        // JSON data checked by its schema, the event object by the item schema, only when checking.
        assert!(sse_event(&text("long"), DataKind::Json(short), None, true).is_err());
        assert!(sse_event(&text("long"), DataKind::Json(short), None, false).is_ok());
        assert!(sse_event(&text("ok").with_event("tock"), DataKind::Text, Some(short), true).is_err());
        assert!(sse_event(&text("ok").with_event("tick"), DataKind::Text, Some(short), true).is_ok());
    }
}
