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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{BodyKind, Ir, SeqFraming};
    use crate::Options;
    use crate::diagnostics::{Diagnostic, Diagnostics, Severity};

    fn build(spec: serde_json::Value, options: &Options) -> (Ir, Vec<Diagnostic>) {
        let docs = crate::load::Documents::from_value("spec.json", spec);
        let mut diags = Diagnostics::new(false);
        let ir = Ir::build(&docs, options, &mut diags);
        (ir, diags.into_sorted())
    }

    fn spec(version: &str, paths: serde_json::Value) -> serde_json::Value {
        json!({"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": {"Chunk": {"type": "object", "properties": {"text": {"type": "string"}}}}}})
    }

    fn response_kind(ir: &Ir, op: &str) -> BodyKind {
        let op = ir.operations.iter().find(|o| o.fn_name == op).expect("operation");
        op.responses.iter().next().and_then(|r| r.body.clone()).expect("a body").1
    }

    fn chunk_name(ir: &Ir, id: Option<super::super::SchemaId>) -> Option<String> {
        id.and_then(|id| ir.schemas[ir.definition(id)].name.clone())
    }

    #[test]
    fn item_schema_json_data_is_typed_and_text_data_is_not() {
        let sse = |data: serde_json::Value| {
            json!({"get": {"operationId": "x", "responses": {"200": {"description": "", "content": {
            "text/event-stream": {"itemSchema": {"type": "object", "properties": {"data": data, "event": {"type": "string"}}}}}}}}})
        };
        let json_data = json!({"type": "string", "contentMediaType": "application/json", "contentSchema": {"$ref": "#/components/schemas/Chunk"}});
        let (ir, diags) = build(spec("3.2.0", json!({"/a": sse(json_data)})), &Options::default());
        let BodyKind::EventStream(e) = response_kind(&ir, "x") else { panic!("not a stream") };
        assert_eq!(chunk_name(&ir, e.data).as_deref(), Some("Chunk"));
        assert!(e.envelope.is_some());
        assert!(diags.iter().all(|d| d.severity != Severity::Warning || d.message.contains("3.1 rules")), "{diags:?}");
        let (ir, _) = build(spec("3.2.0", json!({"/a": sse(json!({"type": "string"}))})), &Options::default());
        let BodyKind::EventStream(e) = response_kind(&ir, "x") else { panic!("not a stream") };
        assert_eq!(e.data, None);
    }

    #[test]
    fn a_schema_without_item_schema_is_untyped_with_an_info_not_a_warning() {
        let paths = json!({"/a": {"get": {"operationId": "x", "responses": {"200": {"description": "", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}}}});
        let (ir, diags) = build(spec("3.0.3", paths), &Options::default());
        assert!(matches!(response_kind(&ir, "x"), BodyKind::EventStream(e) if e.data.is_none() && e.envelope.is_none()));
        assert!(diags.iter().all(|d| d.severity == Severity::Info), "{diags:?}");
        assert!(diags.iter().any(|d| d.message.contains("no item schema")), "{diags:?}");
    }

    #[test]
    fn the_extension_and_the_configured_mapping_give_item_schemas() {
        let paths = json!({
            "/rows": {"get": {"operationId": "rows", "responses": {"200": {"description": "", "content": {"application/x-ndjson": {"x-item-schema": {"$ref": "#/components/schemas/Chunk"}}}}}},
                      "post": {"responses": {"200": {"description": "", "content": {"application/json-seq": {"schema": {}}}}}}},
            "/ticks": {"get": {"operationId": "ticks", "responses": {"200": {"description": "", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}}}
        });
        let mut options = Options::default();
        options.streams.items.insert("ticks".into(), "#/components/schemas/Chunk".into());
        options.streams.items.insert("POST /rows".into(), "#/components/schemas/Chunk".into());
        let (ir, diags) = build(spec("3.1.0", paths), &options);
        assert!(diags.is_empty(), "{diags:?}");
        let BodyKind::JsonSeq(SeqFraming::Lines, rows) = response_kind(&ir, "rows") else { panic!("not NDJSON") };
        assert_eq!(chunk_name(&ir, rows).as_deref(), Some("Chunk"));
        let post = ir.operations.iter().find(|o| o.method == "post").map(|o| o.fn_name.clone()).expect("post");
        let BodyKind::JsonSeq(SeqFraming::RecordSeparator, seq) = response_kind(&ir, &post) else { panic!("not json-seq") };
        assert_eq!(chunk_name(&ir, seq).as_deref(), Some("Chunk"));
        let BodyKind::EventStream(e) = response_kind(&ir, "ticks") else { panic!("not SSE") };
        assert_eq!((chunk_name(&ir, e.data).as_deref(), e.envelope), (Some("Chunk"), None));
        assert!(ir.runtime_use().streams);
    }

    #[test]
    fn streams_that_cannot_be_given_are_read_whole() {
        let paths = json!({"/a": {"post": {"operationId": "x",
            "requestBody": {"content": {"application/jsonl": {}, "application/json": {}}},
            "responses": {"200": {"description": "", "content": {"text/event-stream": {}}}, "201": {"description": "", "content": {"application/jsonl": {}}}}}}});
        let (ir, diags) = build(spec("3.1.0", paths), &Options::default());
        let op = ir.operations.iter().next().expect("op");
        let kinds: Vec<BodyKind> = op.responses.iter().filter_map(|r| r.body.clone()).map(|(_, k)| k).collect();
        assert_eq!(kinds, [BodyKind::Text, BodyKind::Raw]);
        let body = op.body.as_ref().expect("body");
        assert!(body.contents.iter().all(|c| !c.kind.is_stream()));
        assert_eq!(diags.iter().filter(|d| d.message.contains("read whole")).count(), 3, "{diags:?}");
        assert!(!ir.runtime_use().streams);
    }
}
