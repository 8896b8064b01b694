//! Positional multipart bodies (`multipart/mixed`, `multipart/related`, any `multipart/*` but
//! form-data): a body whose schema is an array (`prefixItems`, `items`) or whose media type has
//! an OpenAPI 3.2 `itemSchema` is a list of parts in order; this module decides, per position,
//! what the part carries and which media types it may declare (`prefixEncoding[i]`, else
//! `itemEncoding`, else the OAS defaults: object/array JSON, `format: binary` /
//! `contentMediaType` / `contentEncoding` or an untyped schema a file, other scalars text).
//!
//! Decision: the handler and the client take `Vec<runtime::multipart::MixedPart>` (one enum per
//! part: JSON, text or file), not a generated struct: positions beyond `prefixItems` are open
//! ended, and one honest type serves every shape. The list is validated with the array schema's
//! own validator (files stand in as empty strings, as for form-data), each part with the
//! `itemSchema`'s, so field paths are `0`, `1/name`, ...

use serde_json::Value;

use super::lower_schema::SchemaLowerer;
use super::multipart::{PartEncoding, PartHeader, PartKind, lower_encoding};
use super::{BodyKind, SchemaId};
use crate::diagnostics::{Diagnostics, Location};
use crate::load::Documents;

/// A positional multipart request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionalBody {
    /// The array schema of the whole list (`schema`), validated as one array.
    pub list: Option<SchemaId>,
    /// The 3.2 `itemSchema`: every part is validated with it.
    pub item: Option<SchemaId>,
    /// Where the media type is written.
    pub loc: Location,
    /// The positions `prefixItems` / `prefixEncoding` describe, in order.
    pub prefix: Vec<Position>,
    /// The parts after them (`items` / `itemSchema` with `itemEncoding`); `None` when the
    /// schema allows none (`items: false`).
    pub rest: Option<Position>,
}

/// What the part at one position carries and how it is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// JSON, text or file.
    pub kind: PartKind,
    /// The media types the part may declare (the encoding's `contentType`, a comma list,
    /// wildcards allowed); empty accepts any.
    pub content_types: Vec<String>,
    /// The media type the client sends the part with.
    pub send_type: Option<String>,
    /// The documented part headers.
    pub headers: Vec<PartHeader>,
}

/// True for a media type this module types: a `multipart/*` other than form-data with an
/// `itemSchema`, or whose `schema` (`$ref` already followed: `schema`) is an array.
pub fn is_positional(essence: &str, media: &Value, schema: Option<&Value>) -> bool {
    if !essence.starts_with("multipart/") || essence == "multipart/form-data" {
        return false;
    }
    media.get("itemSchema").is_some() || schema.is_some_and(is_array_schema)
}

fn is_array_schema(s: &Value) -> bool {
    let typed = match s.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
        _ => false,
    };
    typed || ((s.get("prefixItems").is_some() || s.get("items").is_some()) && s.get("properties").is_none())
}

/// Lowers a positional multipart media type (see [`is_positional`]); `None` for any other.
pub fn lower<'a>(lower: &mut SchemaLowerer<'a>, loc: &Location, essence: &str, media: &'a Value, hint: &[String], diags: &mut Diagnostics) -> Option<BodyKind> {
    let docs: &'a Documents = lower.docs();
    let schema = media.get("schema");
    let resolved = schema.and_then(|s| docs.follow(&loc.join("schema"), s).ok()).map(|(_, v)| v);
    if !is_positional(essence, media, resolved) {
        return None;
    }
    let dialect = lower.dialect();
    let raw_list = resolved.filter(|v| is_array_schema(v));
    let list = schema.filter(|_| raw_list.is_some()).map(|s| lower.lower(&loc.join("schema"), s, hint.to_vec(), dialect, diags));
    let item_raw = media.get("itemSchema");
    let item = item_raw.map(|s| {
        let mut h = hint.to_vec();
        h.push("Item".into());
        lower.lower(&loc.join("itemSchema"), s, h, dialect, diags)
    });
    let prefix_items: &[Value] = raw_list.and_then(|l| l.get("prefixItems")).and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let prefix_enc: &[Value] = media.get("prefixEncoding").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let items = raw_list.and_then(|l| l.get("items"));
    let item_enc = media.get("itemEncoding");
    let mut prefix = Vec::new();
    for i in 0..prefix_items.len().max(prefix_enc.len()) {
        let schema = prefix_items.get(i).or(items).or(item_raw);
        let enc_loc = loc.join("prefixEncoding").join(&i.to_string());
        let (enc, enc_loc) = match prefix_enc.get(i) {
            Some(e) => (Some(e), enc_loc),
            None => (item_enc, loc.join("itemEncoding")),
        };
        prefix.push(position(lower, docs, loc, schema, enc, &enc_loc, &format!("{i}"), hint, diags));
    }
    // `items: false` (without an `itemSchema`) allows no part after the prefix.
    let closed = items == Some(&Value::Bool(false)) && item_raw.is_none();
    let rest = (!closed).then(|| {
        let schema = items.or(item_raw);
        position(lower, docs, loc, schema, item_enc, &loc.join("itemEncoding"), "Rest", hint, diags)
    });
    Some(BodyKind::Positional(Box::new(PositionalBody { list, item, loc: loc.clone(), prefix, rest })))
}

#[allow(clippy::too_many_arguments, reason = "the lowering context of one position")]
fn position<'a>(
    lower: &mut SchemaLowerer<'a>,
    docs: &'a Documents,
    loc: &Location,
    schema: Option<&'a Value>,
    enc: Option<&'a Value>,
    enc_loc: &Location,
    what: &str,
    hint: &[String],
    diags: &mut Diagnostics,
) -> Position {
    let encoding = match enc {
        Some(e) => {
            let mut h = hint.to_vec();
            h.extend(["Part".to_string(), what.to_string()]);
            lower_encoding(lower, enc_loc, e, h, diags)
        }
        None => PartEncoding::default(),
    };
    let raw = schema.and_then(|s| docs.follow(loc, s).ok()).map(|(_, v)| v);
    let declared: Vec<String> =
        encoding.content_type.as_deref().map(|c| c.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()).unwrap_or_default();
    let json_declared = declared.iter().any(|t| super::lower_ops::is_json(t));
    let text_declared = declared.iter().any(|t| t.to_ascii_lowercase().starts_with("text/"));
    let opaque = !declared.is_empty() && !json_declared && !text_declared;
    let kind = if opaque {
        PartKind::File
    } else if json_declared {
        PartKind::Json
    } else if text_declared {
        PartKind::Text
    } else {
        default_kind(docs, loc, raw)
    };
    let send_type = declared.iter().find(|t| !t.contains('*')).cloned().or_else(|| match kind {
        PartKind::Json => Some("application/json".to_string()),
        PartKind::File => Some(
            raw.and_then(|r| r.get("contentMediaType"))
                .and_then(Value::as_str)
                .filter(|t| !t.contains('*') && !t.contains(','))
                .unwrap_or("application/octet-stream")
                .to_string(),
        ),
        PartKind::Text => Some("text/plain".to_string()),
    });
    Position { kind, content_types: declared, send_type, headers: encoding.headers }
}

/// The OAS default of a part without a declared `contentType`: object/array JSON, binary or
/// untyped bytes (a file), any other scalar text.
fn default_kind(docs: &Documents, loc: &Location, raw: Option<&Value>) -> PartKind {
    let Some(s) = raw else { return PartKind::File };
    if s.get("format").and_then(Value::as_str) == Some("binary") || s.get("contentMediaType").is_some() || s.get("contentEncoding").is_some() {
        return PartKind::File;
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => Vec::new(),
    };
    if types.iter().any(|t| matches!(*t, "object" | "array")) || s.get("properties").is_some() || s.get("items").is_some() {
        return PartKind::Json;
    }
    if !types.is_empty() || s.get("enum").is_some() || s.get("const").is_some() {
        return PartKind::Text;
    }
    // A `$ref` with siblings, or a composition: JSON when it leads to an object.
    match s.get("$ref").and_then(|_| docs.follow(loc, s).ok()) {
        Some((_, t)) if t.get("type").is_some() && !std::ptr::eq(t, s) => default_kind(docs, loc, Some(t)),
        _ if s.get("allOf").or(s.get("oneOf")).or(s.get("anyOf")).is_some() => PartKind::Json,
        _ => PartKind::File,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::PositionalBody;
    use crate::diagnostics::{Diagnostics, Severity};
    use crate::ir::multipart::PartKind;
    use crate::ir::{BodyKind, Ir};

    fn build(content: serde_json::Value) -> (Vec<BodyKind>, Vec<crate::Diagnostic>) {
        let spec = json!({"openapi": "3.2.0", "info": {"title": "t", "version": "1"}, "paths": {"/u": {"post": {
            "operationId": "up", "requestBody": {"content": content}, "responses": {"200": {"description": "ok"}}
        }}}, "components": {"schemas": {"Meta": {"type": "object", "properties": {"n": {"type": "integer"}}}}}});
        let docs = crate::load::Documents::from_value("spec.json", spec);
        let mut diags = Diagnostics::new(false);
        let ir = Ir::build(&docs, &crate::Options::default(), &mut diags);
        let kinds = ir.operations.iter().flat_map(|o| o.body.iter().flat_map(|b| b.contents.iter().map(|c| c.kind.clone()))).collect();
        (kinds, diags.into_sorted())
    }

    fn positional(k: &BodyKind) -> &PositionalBody {
        match k {
            BodyKind::Positional(p) => p,
            other => panic!("not positional: {other:?}"),
        }
    }

    #[test]
    fn prefix_items_and_prefix_encoding_decide_each_position() {
        let (kinds, diags) = build(json!({"multipart/mixed": {
            "schema": {"type": "array", "prefixItems": [{"$ref": "#/components/schemas/Meta"}, {"type": "string", "format": "binary"}, {"type": "integer"}], "items": false},
            "prefixEncoding": [{}, {"contentType": "image/png, image/*", "headers": {"X-Sum": {"required": true, "schema": {"type": "integer"}}}}]
        }}));
        assert!(diags.iter().all(|d| d.severity != Severity::Warning), "{diags:?}");
        let p = positional(&kinds[0]);
        assert!(p.list.is_some() && p.item.is_none() && p.rest.is_none(), "{p:?}");
        let kinds: Vec<PartKind> = p.prefix.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [PartKind::Json, PartKind::File, PartKind::Text]);
        assert_eq!(p.prefix[1].content_types, ["image/png", "image/*"]);
        assert_eq!(p.prefix[1].send_type.as_deref(), Some("image/png"));
        assert_eq!(p.prefix[0].send_type.as_deref(), Some("application/json"));
        assert_eq!(p.prefix[1].headers.iter().map(|h| (h.name.as_str(), h.required)).collect::<Vec<_>>(), [("X-Sum", true)]);
    }

    #[test]
    fn item_schema_with_item_encoding_types_every_part_and_form_data_is_not_positional() {
        let (kinds, diags) = build(json!({
            "multipart/mixed": {"itemSchema": {"type": "object", "properties": {"a": {"type": "string"}}}, "itemEncoding": {"contentType": "application/json"}},
            "multipart/related": {"schema": {"type": "array"}, "itemEncoding": {"contentType": "text/plain"}, "prefixEncoding": [{}]},
            "multipart/form-data": {"schema": {"type": "object", "properties": {"a": {"type": "string"}}}}
        }));
        assert!(diags.iter().all(|d| d.severity != Severity::Warning), "{diags:?}");
        let mixed = positional(&kinds[0]);
        assert!(mixed.item.is_some() && mixed.list.is_none() && mixed.prefix.is_empty());
        assert_eq!(mixed.rest.as_ref().map(|r| r.kind), Some(PartKind::Json));
        let related = positional(&kinds[1]);
        // The first part has an encoding without a content type and no schema: bytes.
        assert_eq!(related.prefix.iter().map(|x| x.kind).collect::<Vec<_>>(), [PartKind::File]);
        assert_eq!(related.rest.as_ref().map(|r| (r.kind, r.content_types.clone())), Some((PartKind::Text, vec!["text/plain".to_string()])));
        assert!(matches!(kinds[2], BodyKind::Parts(_)), "{:?}", kinds[2]);
    }
}
