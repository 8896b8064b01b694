//! Stream media types: which bodies are streams (`text/event-stream`; JSON sequences
//! `application/jsonl`, `application/x-ndjson`, `application/json-seq`) and where their item
//! schema comes from: OpenAPI 3.2 `itemSchema` on the media type, the `x-item-schema`
//! extension (the same meaning, any version), or the configuration's `streams.items` (an
//! operation -> a reference; for SSE the data's schema). For server-sent events the item schema
//! describes the event object: its `data` property with `contentMediaType: application/json`
//! and a `contentSchema` makes the data typed JSON, otherwise text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::lower_schema::SchemaLowerer;
use super::{BodyKind, EventItem, Operation, SeqFraming};
use crate::diagnostics::{Diagnostics, Location, Policy};

/// What lowering a stream body needs to know about its operation.
#[derive(Debug, Clone, Copy)]
pub struct Source<'o> {
    /// The operation's `operationId`, if any.
    pub operation_id: Option<&'o str>,
    /// `GET /path`.
    pub method_path: &'o str,
    /// The configured item schemas (`Options::streams.items`), `None` for webhooks and callbacks.
    pub items: Option<&'o BTreeMap<String, String>>,
    /// The spec root's location (configured references are resolved from it).
    pub root: &'o Location,
}

impl Source<'_> {
    fn configured(&self) -> Option<&str> {
        let items = self.items?;
        self.operation_id.and_then(|id| items.get(id)).or_else(|| items.get(self.method_path)).map(String::as_str)
    }
}

/// The stream kind of a media type essence, if it is one.
pub fn framing(essence: &str) -> Option<Option<SeqFraming>> {
    match essence {
        "text/event-stream" => Some(None),
        "application/jsonl" | "application/x-ndjson" | "application/x-jsonlines" | "application/jsonlines" => Some(Some(SeqFraming::Lines)),
        "application/json-seq" => Some(Some(SeqFraming::RecordSeparator)),
        _ => None,
    }
}

/// Follows `$ref`s of a schema object to its text (not lowered), for reading `properties.data`.
fn follow<'a>(lower: &SchemaLowerer<'a>, loc: &Location, v: &'a Value) -> Option<(Location, &'a Value)> {
    let (mut loc, mut v) = (loc.clone(), v);
    for _ in 0..32 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => (loc, v) = lower.docs().resolve(&loc, r).ok()?,
            None => return Some((loc, v)),
        }
    }
    None
}

/// The body kind of a stream media type (`None` when `essence` is not one).
#[allow(clippy::too_many_arguments, reason = "the lowering context of one media type")]
pub fn body_kind<'a>(
    lower: &mut SchemaLowerer<'a>,
    loc: &Location,
    essence: &str,
    media: &'a Value,
    hint: &[String],
    source: &Source<'_>,
    diags: &mut Diagnostics,
) -> Option<BodyKind> {
    let framing = framing(essence)?;
    let dialect = lower.dialect();
    let named = |extra: &str| {
        let mut h = hint.to_vec();
        h.push(extra.to_string());
        h
    };
    let item = [("itemSchema", media.get("itemSchema")), ("x-item-schema", media.get("x-item-schema"))].into_iter().find_map(|(k, v)| Some((k, v?)));
    if let Some((key, item)) = item {
        let iloc = loc.join(key);
        return Some(match framing {
            Some(f) => BodyKind::JsonSeq(f, Some(lower.lower(&iloc, item, named("Item"), dialect, diags))),
            None => {
                let envelope = lower.lower(&iloc, item, named("Event"), dialect, diags);
                let data = follow(lower, &iloc, item).and_then(|(l, v)| {
                    let d = v.get("properties")?.get("data")?;
                    let (dloc, d) = follow(lower, &l.join("properties").join("data"), d)?;
                    let json = d.get("contentMediaType").and_then(Value::as_str).is_some_and(super::lower_ops::is_json);
                    if !json {
                        return None;
                    }
                    let schema = d.get("contentSchema").unwrap_or(&TRUE);
                    Some(lower.lower(&dloc.join("contentSchema"), schema, named("Data"), dialect, diags))
                });
                BodyKind::EventStream(EventItem { envelope: Some(envelope), data })
            }
        });
    }
    if let Some(reference) = source.configured() {
        match lower.docs().resolve(source.root, reference) {
            Ok((rloc, schema)) => {
                let id = lower.lower(&rloc, schema, named(if framing.is_some() { "Item" } else { "Data" }), dialect, diags);
                return Some(match framing {
                    Some(f) => BodyKind::JsonSeq(f, Some(id)),
                    None => BodyKind::EventStream(EventItem { envelope: None, data: Some(id) }),
                });
            }
            Err(e) => diags.warn(loc.clone(), Policy::Skipped, format!("`streams.items` names `{reference}` for this operation: {e}; the stream is untyped")),
        }
    } else if media.get("schema").is_some() {
        let what = if framing.is_some() { "items are any JSON" } else { "events carry text data" };
        diags.info(
            loc.clone(),
            format!("a stream with `schema` but no item schema: its {what}; give `itemSchema` (3.2), `x-item-schema`, or `streams.items` in the configuration to type them"),
        );
    }
    Some(match framing {
        Some(f) => BodyKind::JsonSeq(f, None),
        None => BodyKind::EventStream(EventItem { envelope: None, data: None }),
    })
}

static TRUE: Value = Value::Bool(true);

/// What a stream kind becomes where a stream cannot be given: SSE text, or bytes.
fn buffered(kind: &BodyKind) -> BodyKind {
    match kind {
        BodyKind::EventStream(_) => BodyKind::Text,
        _ => BodyKind::Raw,
    }
}

/// Keeps streams where the server and the client can give them: a request body with one media
/// type, and a response that is the operation's only success response without headers. Any other
/// is read whole (text for SSE, bytes for JSON sequences), with an info diagnostic.
pub fn settle(op: &mut Operation, diags: &mut Diagnostics) {
    if let Some(b) = &mut op.body {
        let several = b.contents.len() > 1;
        for c in b.contents.iter_mut() {
            let why = match c.kind {
                BodyKind::EventStream(_) => "event-stream request bodies are read as text",
                BodyKind::JsonSeq(..) if several => "it is one of several request media types: read whole, not as a stream",
                _ => continue,
            };
            diags.info(op.loc.join("requestBody").join("content").join(&c.media_type), format!("`{}`: {why}", c.media_type));
            c.kind = buffered(&c.kind);
        }
    }
    let successes = op.responses.iter().filter(|r| r.is_success()).count();
    for r in op.responses.iter_mut() {
        let keep = r.is_success() && successes == 1 && r.headers.is_empty();
        let Some((mt, kind)) = &mut r.body else { continue };
        if kind.is_stream() && !keep {
            diags.info(
                op.loc.join("responses").join(&r.status),
                format!("the `{}` `{mt}` response is read whole, not as a stream (streams are the only success response, without headers)", r.status),
            );
            *kind = buffered(kind);
        }
    }
}

/// True when some body of the operation is a stream.
pub fn has_stream(op: &Operation) -> bool {
    op.body.iter().flat_map(|b| &b.contents).any(|c| c.kind.is_stream()) || op.responses.iter().any(|r| r.body.as_ref().is_some_and(|(_, k)| k.is_stream()))
}
