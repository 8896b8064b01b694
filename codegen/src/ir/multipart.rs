//! Typed multipart bodies: reads a `multipart/*` media type's schema and `encoding` into a part
//! table (lowering), then decides after analysis which property is a file, a text value or a
//! JSON document, or falls back to the raw part list (with an info diagnostic).
//!
//! Decision: a typed multipart body is its own struct (`<Op>RequestParts`, in `types`), not the
//! schema's JSON struct. A file part is bytes with a file name and a media type
//! (`runtime::FilePart`), which is no JSON value: serde and schemars cannot derive for it, and the
//! schema's struct (which types `format: binary` as `String`) may also serve JSON bodies. The
//! parts struct holds the schema's own types for every other part, so its validators and field
//! paths are the JSON body's: the server validates the parts as one JSON object (a file stands in
//! as an empty string whose own checks are skipped) with the schema's validator.

use serde_json::Value;

use super::lower_schema::SchemaLowerer;
use super::{BodyKind, Ir, SchemaId, Shape};
use crate::diagnostics::{Diagnostics, Location};
use crate::load::Documents;
use crate::naming::{self, Scope};

/// A typed multipart request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartBody {
    /// The body's object schema (its validator checks the parts as one object).
    pub schema: SchemaId,
    /// Where the media type is written.
    pub loc: Location,
    /// The parts struct's name in `types`.
    pub type_name: String,
    /// The parts the schema names, in schema order (filled in after analysis).
    pub parts: Vec<PartField>,
    /// The `encoding` entries, by property name.
    pub encoding: Vec<(String, PartEncoding)>,
    /// The field that keeps the parts the schema does not name (`other`, unless a part takes
    /// that name), when they are allowed (`additionalProperties` is not `false`); the validator
    /// refuses them otherwise.
    pub other: Option<String>,
}

/// What a part carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// A file: `format: binary`, `contentMediaType` or `contentEncoding` (bytes, name, media type).
    File,
    /// A text value coerced to the schema's scalar types (as form bodies are).
    Text,
    /// A JSON document (an object or array part, or an `encoding` content type that is JSON).
    Json,
}

/// One named part of a typed multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartField {
    /// The part name on the wire (the property name).
    pub wire: String,
    /// The Rust field name.
    pub ident: String,
    /// The property's schema.
    pub schema: SchemaId,
    /// The schema that types one part: the property's, or its items' for a repeated part.
    pub part_schema: SchemaId,
    /// Listed in `required`.
    pub required: bool,
    /// An array property: each item is a part of the same name.
    pub repeated: bool,
    /// What the part carries.
    pub kind: PartKind,
    /// The media types the part may declare (`encoding.contentType`, a comma list; wildcards
    /// allowed); empty accepts any.
    pub content_types: Vec<String>,
    /// The media type the client sends the part with.
    pub send_type: Option<String>,
    /// The documented part headers.
    pub headers: Vec<PartHeader>,
    /// `style: deepObject`: the value may also travel as form-style parts (`name[key]`, one per
    /// leaf), which the server nests as form bodies do and the client writes.
    pub deep: bool,
}

/// The `encoding` entry of one property.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartEncoding {
    /// `contentType`, as written.
    pub content_type: Option<String>,
    /// `headers` (except `Content-Type`, which `contentType` says).
    pub headers: Vec<PartHeader>,
    /// `style: deepObject`.
    pub deep: bool,
}

/// A documented header of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHeader {
    /// The header name.
    pub name: String,
    /// `required`.
    pub required: bool,
    /// Its schema (validated; a text value coerced to the schema's scalar types).
    pub schema: SchemaId,
}

/// Lowers a `multipart/*` media type with a schema: the schema, and the `encoding` entries with
/// their header schemas. Which parts are files is decided after analysis ([`resolve`]).
pub fn lower<'a>(lower: &mut SchemaLowerer<'a>, loc: &Location, media: &'a Value, schema: &'a Value, hint: Vec<String>, diags: &mut Diagnostics) -> BodyKind {
    let dialect = lower.dialect();
    let mut name_hint = hint.clone();
    name_hint.push("Parts".into());
    let type_name = naming::type_name(&name_hint);
    let schema = lower.lower(&loc.join("schema"), schema, hint, dialect, diags);
    let mut encoding = Vec::new();
    for (prop, enc) in media.get("encoding").and_then(Value::as_object).into_iter().flatten() {
        let eloc = loc.join("encoding").join(prop);
        encoding.push((prop.clone(), lower_encoding(lower, &eloc, enc, vec![type_name.clone(), prop.clone()], diags)));
    }
    BodyKind::Parts(Box::new(MultipartBody { schema, loc: loc.clone(), type_name, parts: Vec::new(), encoding, other: None }))
}

/// Lowers one Encoding Object (of `encoding`, `prefixEncoding` or `itemEncoding`): its
/// `contentType`, its documented headers (with their schemas, named after `hint`) and `style`.
pub fn lower_encoding<'a>(lower: &mut SchemaLowerer<'a>, eloc: &Location, enc: &'a Value, hint: Vec<String>, diags: &mut Diagnostics) -> PartEncoding {
    let content_type = enc.get("contentType").and_then(Value::as_str).map(str::to_string);
    let mut headers = Vec::new();
    for (name, h) in enc.get("headers").and_then(Value::as_object).into_iter().flatten() {
        if name.eq_ignore_ascii_case("content-type") {
            continue;
        }
        let hloc = eloc.join("headers").join(name);
        let (hloc, h) = match lower.docs().follow(&hloc, h) {
            Ok(found) => found,
            Err(e) => {
                diags.lenient(hloc, crate::Policy::Skipped, format!("{e}; the part header is skipped"));
                continue;
            }
        };
        let s = h.get("schema").unwrap_or(&Value::Bool(true));
        let dialect = lower.dialect();
        let mut hint = hint.clone();
        hint.push(name.clone());
        let id = lower.lower(&hloc.join("schema"), s, hint, dialect, diags);
        headers.push(PartHeader { name: name.clone(), required: h.get("required").and_then(Value::as_bool).unwrap_or(false), schema: id });
    }
    let deep = enc.get("style").and_then(Value::as_str) == Some("deepObject");
    PartEncoding { content_type, headers, deep }
}

/// After analysis: each typed multipart body gets its parts from its schema's struct fields and
/// a unique type name; a body whose schema is not a struct (not an object, or untyped) becomes
/// the raw part list, with an info diagnostic.
pub fn resolve(ir: &mut Ir, docs: &Documents, diags: &mut Diagnostics) {
    let mut scope = Scope::default();
    for n in ir.schemas.iter() {
        if let Some(name) = &n.name {
            scope.claim(name);
        }
    }
    for op in ir.all_operations() {
        let body_names = op.body.iter().filter_map(|b| b.enum_name.as_deref());
        let header_names = op.responses.iter().filter_map(|r| r.headers_type.as_deref());
        for name in op.params_type.as_deref().into_iter().chain(body_names).chain(header_names) {
            scope.claim(name);
        }
    }
    // Path operations, then webhooks and callbacks (`Ir::op_at`).
    for oi in 0..ir.operations.len() + ir.hooks.len() {
        let Some(body) = ir.op_at(oi).body.as_ref() else { continue };
        for ci in 0..body.contents.len() {
            let BodyKind::Parts(mp) = &ir.op_at(oi).body.as_ref().map(|b| &b.contents[ci].kind).cloned().unwrap_or(BodyKind::Raw) else { continue };
            let def = ir.definition(mp.schema);
            let fields = match &ir.schemas[def].shape {
                Shape::Struct(fields) => fields.clone(),
                _ => {
                    diags.info(
                        mp.loc.join("schema"),
                        "the multipart schema is not an object with properties: the body is the raw list of parts (not typed or validated)",
                    );
                    if let Some(b) = ir.op_at_mut(oi).body.as_mut() {
                        b.contents[ci].kind = BodyKind::Multipart;
                    }
                    continue;
                }
            };
            let mut parts = Vec::new();
            for f in &fields {
                let item = array_items(ir, f.schema);
                let repeated = item.is_some();
                let part_schema = item.unwrap_or(f.schema);
                let enc = mp.encoding.iter().find(|(p, _)| *p == f.wire).map(|(_, e)| e.clone()).unwrap_or_default();
                let declared: Vec<String> =
                    enc.content_type.as_deref().map(|c| c.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()).unwrap_or_default();
                let json_declared = declared.iter().any(|t| super::lower_ops::is_json(t));
                // A part in a media type the server does not parse (`application/xml`, a nested
                // multipart) is kept as its bytes, like a file.
                let opaque = !declared.is_empty() && !json_declared && !declared.iter().any(|t| t.to_ascii_lowercase().starts_with("text/"));
                if opaque && !is_file(ir, docs, part_schema) {
                    diags.info(
                        mp.loc.join("encoding").join(&f.wire),
                        format!("the `{}` part is `{}`, which is not parsed: it is kept as bytes (a file part)", f.wire, declared.join(", ")),
                    );
                }
                let kind = if opaque || is_file(ir, docs, part_schema) {
                    PartKind::File
                } else if json_declared || is_structured(ir, part_schema) {
                    PartKind::Json
                } else {
                    PartKind::Text
                };
                let send_type = declared.iter().find(|t| !t.contains('*')).cloned().or_else(|| match kind {
                    PartKind::Json => Some("application/json".to_string()),
                    PartKind::File => Some(file_media_type(docs, ir, part_schema).unwrap_or_else(|| "application/octet-stream".to_string())),
                    PartKind::Text => None,
                });
                parts.push(PartField {
                    wire: f.wire.clone(),
                    ident: f.ident.clone(),
                    schema: f.schema,
                    part_schema,
                    required: f.required,
                    repeated,
                    kind,
                    content_types: declared,
                    send_type,
                    headers: enc.headers,
                    deep: enc.deep && kind != PartKind::File,
                });
            }
            let keeps_unknown = ir.schemas[def].extras.is_some() || !matches!(ir.schemas[def].facts.additional, super::Additional::Deny);
            let idents: Vec<&str> = parts.iter().map(|p| p.ident.as_str()).collect();
            let other = keeps_unknown.then(|| Scope::with_reserved(&idents).claim("other"));
            let type_name = scope.claim(&mp.type_name);
            if let Some(b) = ir.op_at_mut(oi).body.as_mut() {
                b.contents[ci].kind = BodyKind::Parts(Box::new(MultipartBody { parts, type_name, other, ..(**mp).clone() }));
            }
        }
    }
}

/// The item schema of an array-typed property (through aliases).
fn array_items(ir: &Ir, id: SchemaId) -> Option<SchemaId> {
    match ir.schemas[ir.definition(id)].shape {
        Shape::Array(items) => Some(items.unwrap_or(id)),
        _ => None,
    }
}

/// The raw schema object a node was lowered from.
fn raw<'d>(docs: &'d Documents, ir: &Ir, id: SchemaId) -> Option<&'d Value> {
    let loc = &ir.schemas[id].loc;
    docs.get(&loc.file, &loc.pointer)
}

/// A file part: `format: binary` (3.0), `contentMediaType` or `contentEncoding` (3.1), on the
/// schema, the schema it aliases, or one alternative of a union (a file or a URL: the part's
/// bytes are kept either way).
fn is_file(ir: &Ir, docs: &Documents, id: SchemaId) -> bool {
    file_like(ir, docs, id, 0)
}

fn file_like(ir: &Ir, docs: &Documents, mut id: SchemaId, depth: usize) -> bool {
    for _ in 0..=ir.schemas.len() {
        let n = &ir.schemas[id];
        if n.facts.format.as_deref() == Some("binary") {
            return true;
        }
        if raw(docs, ir, id).is_some_and(|v| v.get("contentMediaType").is_some() || v.get("contentEncoding").is_some()) {
            return true;
        }
        match &n.shape {
            Shape::Alias(t) => id = *t,
            Shape::Union(vs) if depth < 4 => return vs.iter().any(|v| file_like(ir, docs, v.schema, depth + 1)),
            _ => return false,
        }
    }
    false
}

/// The `contentMediaType` a file schema names, when it is one media type.
fn file_media_type(docs: &Documents, ir: &Ir, id: SchemaId) -> Option<String> {
    raw(docs, ir, id)?.get("contentMediaType")?.as_str().filter(|t| !t.contains('*') && !t.contains(',')).map(str::to_string)
}

/// An object or array value (per OAS, such a part defaults to `application/json`).
fn is_structured(ir: &Ir, id: SchemaId) -> bool {
    matches!(ir.schemas[ir.definition(id)].shape, Shape::Struct(_) | Shape::Map(_) | Shape::Array(_))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{MultipartBody, PartKind};
    use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
    use crate::ir::{BodyKind, Ir};

    fn build(content: serde_json::Value) -> (Vec<BodyKind>, Vec<Diagnostic>) {
        let spec = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/u": {"post": {
            "operationId": "up", "requestBody": {"content": content}, "responses": {"200": {"description": "ok"}}
        }}}, "components": {"schemas": {"Shared": {"type": "object", "properties": {"n": {"type": "integer"}}}}}});
        let docs = crate::load::Documents::from_value("spec.json", spec);
        let mut diags = Diagnostics::new(false);
        let ir = Ir::build(&docs, &crate::Options::default(), &mut diags);
        let kinds = ir.operations.iter().flat_map(|o| o.body.iter().flat_map(|b| b.contents.iter().map(|c| c.kind.clone()))).collect();
        (kinds, diags.into_sorted())
    }

    fn parts(kind: &BodyKind) -> &MultipartBody {
        match kind {
            BodyKind::Parts(m) => m,
            other => panic!("not typed multipart: {other:?}"),
        }
    }

    #[test]
    fn each_property_is_a_part_of_the_kind_its_schema_says() {
        let (kinds, diags) = build(json!({"multipart/form-data": {"schema": {"type": "object", "required": ["bin"], "properties": {
            "bin": {"type": "string", "format": "binary"},
            "media": {"type": "string", "contentMediaType": "image/png"},
            "encoded": {"contentEncoding": "base64"},
            "either": {"oneOf": [{"type": "string", "format": "binary"}, {"type": "string", "format": "uri"}]},
            "many": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "count": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "obj": {"$ref": "#/components/schemas/Shared"},
            "declared": {"type": "string"},
            "xml": {"type": "object", "properties": {"a": {"type": "string"}}},
            "plain": {"type": "integer"},
            "other": {"type": "string"}
        }}, "encoding": {"declared": {"contentType": "application/json"}, "xml": {"contentType": "application/xml"}, "plain": {"contentType": "text/plain"}, "obj": {"style": "deepObject", "explode": true}, "many": {"style": "deepObject"}, "bin": {"contentType": "image/png, image/*", "headers": {"X-Sum": {"required": true, "schema": {"type": "integer"}}, "Content-Type": {"schema": {"type": "string"}}}}}}}));
        assert!(diags.iter().all(|d| d.severity != Severity::Warning), "{diags:?}");
        let opaque: Vec<&Diagnostic> = diags.iter().filter(|d| d.message.contains("not parsed")).collect();
        assert_eq!(opaque.len(), 1, "{diags:?}");
        assert_eq!((opaque[0].severity, opaque[0].location.pointer.ends_with("/encoding/xml")), (Severity::Info, true), "{diags:?}");
        let mp = parts(&kinds[0]);
        let by = |w: &str| mp.parts.iter().find(|p| p.wire == w).unwrap_or_else(|| panic!("no part {w}"));
        for file in ["bin", "media", "encoded", "either", "many"] {
            assert_eq!(by(file).kind, PartKind::File, "{file}");
        }
        assert!(by("many").repeated && !by("bin").repeated && by("bin").required && !by("media").required);
        assert_eq!((by("count").kind, by("tags").kind, by("tags").repeated), (PartKind::Text, PartKind::Text, true));
        assert_eq!((by("obj").kind, by("declared").kind), (PartKind::Json, PartKind::Json));
        // An object part in a media type that is not parsed is kept as bytes; text/plain is text.
        assert_eq!((by("xml").kind, by("plain").kind), (PartKind::File, PartKind::Text));
        assert_eq!(by("xml").send_type.as_deref(), Some("application/xml"));
        // deepObject: form-style parts for values, never for files.
        assert!(by("obj").deep && !by("many").deep && !by("tags").deep);
        assert_eq!(by("bin").content_types, ["image/png", "image/*"]);
        assert_eq!(by("bin").send_type.as_deref(), Some("image/png"));
        assert_eq!(by("media").send_type.as_deref(), Some("image/png"), "a file is sent as its contentMediaType");
        assert_eq!(by("obj").send_type.as_deref(), Some("application/json"));
        assert_eq!(by("count").send_type, None);
        // Content-Type is the encoding's contentType, not a documented header.
        assert_eq!(by("bin").headers.iter().map(|h| (h.name.as_str(), h.required)).collect::<Vec<_>>(), [("X-Sum", true)]);
        // Unknown parts are allowed: kept in a field that does not collide with the `other` part.
        assert_eq!(mp.other.as_deref(), Some("other2"));
        assert_eq!(mp.type_name, "UpRequestParts");
    }

    #[test]
    fn additional_properties_false_refuses_unknown_parts_and_non_objects_stay_raw() {
        let (kinds, _) =
            build(json!({"multipart/form-data": {"schema": {"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string"}}}}}));
        assert_eq!(parts(&kinds[0]).other, None);
        for schema in [
            json!({"type": "string"}),
            json!({"oneOf": [{"$ref": "#/components/schemas/Shared"}, {"type": "object", "properties": {"b": {"type": "string"}}}]}),
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
        ] {
            let (kinds, diags) = build(json!({"multipart/mixed": {"schema": schema}}));
            assert_eq!(kinds, [BodyKind::Multipart], "{schema}");
            let notes: Vec<&Diagnostic> = diags.iter().filter(|d| d.message.contains("multipart")).collect();
            assert_eq!(notes.len(), 1, "{diags:?}");
            assert_eq!(notes[0].severity, Severity::Info, "{diags:?}");
        }
        // No schema: the raw parts, nothing to say.
        let (kinds, diags) = build(json!({"multipart/form-data": {}}));
        assert_eq!(kinds, [BodyKind::Multipart]);
        assert!(diags.iter().all(|d| !d.message.contains("multipart")), "{diags:?}");
    }
}
