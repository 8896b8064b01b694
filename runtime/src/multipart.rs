//! Typed multipart bodies: the file part type, the part table generated code describes a body
//! by, reading parts into one JSON object plus files and validating it (server), and writing the
//! same parts (client).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{InstancePath, Violation, violation};

/// A file part of a multipart body: its bytes, with the file name and media type it declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilePart {
    /// The `filename` of the part's `Content-Disposition`.
    pub file_name: Option<String>,
    /// The part's `Content-Type`.
    pub content_type: Option<String>,
    /// The part's other headers (names lower case), in order.
    pub headers: Vec<(String, String)>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

impl FilePart {
    /// A file of these bytes, without a name or media type.
    pub fn new(data: impl Into<Vec<u8>>) -> Self {
        FilePart { data: data.into(), ..FilePart::default() }
    }

    /// The same file with a file name.
    pub fn with_file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// The same file with a media type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The same file with one more part header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into().to_ascii_lowercase(), value.into()));
        self
    }

    /// The first value of a part header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What a part carries (see the generator's part kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// Bytes with a file name and media type ([`FilePart`]).
    File,
    /// Text, coerced to the schema's scalar types.
    Text,
    /// A JSON document.
    Json,
}

/// A documented header of a part.
#[derive(Debug, Clone, Copy)]
pub struct PartHeader {
    /// The header name.
    pub name: &'static str,
    /// It must be present.
    pub required: bool,
    /// The header schema's types (bits of [`super::types`]), to read its text by.
    pub types: u8,
    /// The header schema's validator.
    pub validate: fn(&Value, &mut InstancePath, &mut Vec<Violation>),
}

/// One named part of a typed multipart body.
#[derive(Debug, Clone, Copy)]
pub struct PartSpec {
    /// The part name (the schema's property).
    pub name: &'static str,
    /// What it carries.
    pub kind: PartKind,
    /// An array property: every item is a part of this name.
    pub repeated: bool,
    /// The media types the part may declare (wildcards allowed); empty accepts any.
    pub content_types: &'static [&'static str],
    /// The media type the client sends the part with.
    pub send_type: Option<&'static str>,
    /// The documented part headers.
    pub headers: &'static [PartHeader],
    /// `style: deepObject`: the value may also come as form-style parts (`name[key]`, one per
    /// leaf), nested as form bodies are; the client sends it so.
    pub deep: bool,
}

/// One part as read from the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawPart {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The file, with its bytes.
    pub file: FilePart,
}

/// A multipart body read against its part table: the named non-file parts as one JSON object
/// (files stand in as empty strings), the files by name, and the parts the table does not name.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The JSON object the body's validator checks.
    pub value: serde_json::Map<String, Value>,
    /// The file parts, by name, in order.
    pub files: BTreeMap<String, Vec<FilePart>>,
    /// Parts the table does not name, in order.
    pub other: Vec<super::Part>,
}

fn essence(media_type: &str) -> String {
    media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// True when `actual` (a media type) fits `allowed` (`image/*`, `*/*` or an exact essence).
pub fn media_type_fits(allowed: &str, actual: &str) -> bool {
    let (allowed, actual) = (essence(allowed), essence(actual));
    allowed == actual || allowed == "*/*" || (allowed.ends_with("/*") && actual.starts_with(&allowed[..allowed.len() - 1]))
}

/// The `boundary` parameter of a `multipart/*` media type (any subtype: `form-data`, `mixed`,
/// `related`), unquoted.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params.next()?.trim().to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string()).filter(|b| !b.is_empty())
    })
}

fn at(name: &str) -> InstancePath {
    InstancePath::root().child(name)
}

/// Checks one part's media type and documented headers against its spec.
fn check_part(spec: &PartSpec, file: &FilePart, out: &mut Vec<Violation>) {
    let path = at(spec.name);
    if !spec.content_types.is_empty() {
        // RFC 7578: a part without `Content-Type` is `text/plain`.
        let actual = file.content_type.as_deref().unwrap_or("text/plain");
        if !spec.content_types.iter().any(|a| media_type_fits(a, actual)) {
            violation(out, &path, "contentType", format!("the part's media type `{actual}` is not one of {}", spec.content_types.join(", ")));
        }
    }
    for h in spec.headers {
        match file.header(h.name) {
            None if h.required => violation(out, &path, "required", format!("the part lacks its required header `{}`", h.name)),
            None => {}
            Some(text) => {
                let value = super::text_value(text, h.types);
                let mut hp = path.child(h.name);
                (h.validate)(&value, &mut hp, out);
            }
        }
    }
}

/// Reads parts against their table into a [`Decoded`]: each named part is checked (media type,
/// headers, multiplicity, UTF-8 text, JSON syntax) and put into the object, which is then
/// coerced (text to the schema's numbers and booleans, as form bodies are) and validated with
/// `validate`; the checks of a file's stand-in are dropped. Every violation goes to `out`.
pub fn decode(parts: Vec<RawPart>, specs: &[PartSpec], validate: fn(&Value, &mut InstancePath, &mut Vec<Violation>), out: &mut Vec<Violation>) -> Decoded {
    let mut d = Decoded::default();
    // Form-style parts of deepObject-encoded values (`meta[source]`), nested after the loop.
    let mut deep: Vec<(String, String)> = Vec::new();
    for part in parts {
        let base = part.name.split('[').next().unwrap_or_default();
        if base != part.name && specs.iter().any(|s| s.deep && s.name == base) {
            match String::from_utf8(part.file.data) {
                Ok(text) => deep.push((part.name, text)),
                Err(_) => violation(out, &at(base), "type", "the part is not UTF-8 text"),
            }
            continue;
        }
        let Some(spec) = specs.iter().find(|s| s.name == part.name) else {
            // An unknown part is a member the validator judges by `additionalProperties`.
            let text = String::from_utf8_lossy(&part.file.data).into_owned();
            if !d.value.contains_key(&part.name) {
                d.value.insert(part.name.clone(), Value::String(text));
            }
            let f = part.file;
            d.other.push(super::Part { name: part.name, file_name: f.file_name, content_type: f.content_type, data: f.data });
            continue;
        };
        check_part(spec, &part.file, out);
        let value = match spec.kind {
            PartKind::File => {
                d.files.entry(part.name.clone()).or_default().push(part.file);
                Value::String(String::new())
            }
            PartKind::Text => match String::from_utf8(part.file.data) {
                Ok(s) => Value::String(s),
                Err(_) => {
                    violation(out, &at(spec.name), "type", "the part is not UTF-8 text");
                    continue;
                }
            },
            PartKind::Json => match serde_json::from_slice::<Value>(&part.file.data) {
                Ok(v) => v,
                Err(e) => {
                    violation(out, &at(spec.name), "type", format!("the part is not valid JSON: {e}"));
                    continue;
                }
            },
        };
        match d.value.get_mut(spec.name) {
            Some(Value::Array(items)) if spec.repeated => items.push(value),
            Some(_) => violation(out, &at(spec.name), "maxItems", "the part appears more than once"),
            None if spec.repeated => {
                // A JSON part for an array property may carry the whole array.
                let items = match value {
                    Value::Array(items) if spec.kind == PartKind::Json => items,
                    other => vec![other],
                };
                d.value.insert(spec.name.to_string(), Value::Array(items));
            }
            None => {
                d.value.insert(spec.name.to_string(), value);
            }
        }
    }
    if let Value::Object(nested) = super::form_to_json(deep) {
        for (name, value) in nested {
            if d.value.contains_key(&name) {
                violation(out, &at(&name), "maxItems", "the part appears both whole and in form-style parts");
            } else {
                d.value.insert(name, value);
            }
        }
    }
    let mut object = Value::Object(std::mem::take(&mut d.value));
    let remaining = super::coerce_strings(&mut object, validate);
    // A file's stand-in is checked only for its presence and count: drop what is said about it.
    // (A missing file has none: what is said there, `required`, stays.)
    let stand_ins: Vec<(String, bool)> =
        specs.iter().filter(|s| s.kind == PartKind::File && d.files.contains_key(s.name)).map(|s| (at(s.name).pointer(), s.repeated)).collect();
    out.extend(remaining.into_iter().filter(|v| {
        let p = v.instance.pointer();
        !stand_ins.iter().any(|(base, repeated)| {
            // A repeated file's own checks are below its index; the list's (`minItems`) stay.
            let below = p.strip_prefix(base.as_str()).is_some_and(|rest| rest.starts_with('/'));
            below || (!repeated && p == *base)
        })
    }));
    if let Value::Object(map) = object {
        d.value = map;
    }
    d
}

impl Decoded {
    /// Takes a non-file member into its Rust type (an absent one as `null`, for `Option`s).
    pub fn field<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Result<T, String> {
        let value = self.value.remove(name).unwrap_or(Value::Null);
        super::convert(value).map_err(|e| format!("the part `{name}` does not fit its type: {e}"))
    }

    /// Takes the one file of this name.
    pub fn file(&mut self, name: &str) -> Result<FilePart, String> {
        self.file_opt(name).ok_or_else(|| format!("the file part `{name}` is missing"))
    }

    /// Takes the file of this name, if sent.
    pub fn file_opt(&mut self, name: &str) -> Option<FilePart> {
        self.files.remove(name).and_then(|mut files| (!files.is_empty()).then(|| files.swap_remove(0)))
    }

    /// Takes every file of this name.
    pub fn files(&mut self, name: &str) -> Vec<FilePart> {
        self.files.remove(name).unwrap_or_default()
    }

    /// Takes every file of this name, `None` when none was sent.
    pub fn files_opt(&mut self, name: &str) -> Option<Vec<FilePart>> {
        self.files.remove(name)
    }
}

/// One part of a positional multipart body (`multipart/mixed`, `multipart/related`): what its
/// position says it carries.
#[derive(Debug, Clone, PartialEq)]
pub enum MixedPart {
    /// A JSON part, parsed.
    Json(Value),
    /// A text part, as sent (validated after coercion to the schema's scalar types).
    Text(String),
    /// A file part: bytes with the media type, file name and headers it declares.
    File(FilePart),
}

impl MixedPart {
    /// The JSON value of a JSON part.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            MixedPart::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The JSON part read into a Rust type (`None` for another kind or a value that does not fit).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.as_json().and_then(|v| T::deserialize(v).ok())
    }

    /// The text of a text part.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            MixedPart::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The file of a file part.
    pub fn as_file(&self) -> Option<&FilePart> {
        match self {
            MixedPart::File(f) => Some(f),
            _ => None,
        }
    }
}

/// What the part at one position of a positional body carries and how it is encoded.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// JSON, text or file.
    pub kind: PartKind,
    /// The media types the part may declare (wildcards allowed); empty accepts any.
    pub content_types: &'static [&'static str],
    /// The media type the client sends the part with.
    pub send_type: Option<&'static str>,
    /// The documented part headers.
    pub headers: &'static [PartHeader],
}

/// The positions of a positional body and its validators.
#[derive(Debug, Clone, Copy)]
pub struct Positional {
    /// The first positions (`prefixItems` / `prefixEncoding`).
    pub prefix: &'static [Position],
    /// Every later position; `None` when no more parts are allowed.
    pub rest: Option<Position>,
    /// The array schema's validator (the whole list).
    pub list: Option<fn(&Value, &mut InstancePath, &mut Vec<Violation>)>,
    /// The `itemSchema`'s validator (each part).
    pub item: Option<fn(&Value, &mut InstancePath, &mut Vec<Violation>)>,
}

fn check_position(pos: &Position, file: &FilePart, path: &InstancePath, out: &mut Vec<Violation>) {
    if !pos.content_types.is_empty() {
        // RFC 2046: a body part without `Content-Type` is `text/plain`.
        let actual = file.content_type.as_deref().unwrap_or("text/plain");
        if !pos.content_types.iter().any(|a| media_type_fits(a, actual)) {
            violation(out, path, "contentType", format!("the part's media type `{actual}` is not one of {}", pos.content_types.join(", ")));
        }
    }
    for h in pos.headers {
        match file.header(h.name) {
            None if h.required => violation(out, path, "required", format!("the part lacks its required header `{}`", h.name)),
            None => {}
            Some(text) => {
                let value = super::text_value(text, h.types);
                let mut hp = path.child(h.name);
                (h.validate)(&value, &mut hp, out);
            }
        }
    }
}

/// Reads the parts of a positional body in order: part `i` is read by its position (media type
/// and headers checked, JSON parsed, text kept), then the list is coerced and validated with
/// the array schema's validator and each part with the item schema's (a file stands in as an
/// empty string whose own checks are dropped). Violations (paths `0`, `1/name`) go to `out`.
pub fn decode_positional(parts: Vec<RawPart>, spec: &Positional, out: &mut Vec<Violation>) -> Vec<MixedPart> {
    let mut read = Vec::new();
    let mut values = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        let path = InstancePath::root().child(&i.to_string());
        let Some(pos) = spec.prefix.get(i).or(spec.rest.as_ref()) else {
            violation(out, &path, "maxItems", format!("at most {} parts are allowed", spec.prefix.len()));
            continue;
        };
        check_position(pos, &part.file, &path, out);
        let (value, kept) = match pos.kind {
            PartKind::File => (Value::String(String::new()), MixedPart::File(part.file)),
            PartKind::Text => match String::from_utf8(part.file.data) {
                Ok(s) => (Value::String(s.clone()), MixedPart::Text(s)),
                Err(_) => {
                    violation(out, &path, "type", "the part is not UTF-8 text");
                    continue;
                }
            },
            PartKind::Json => match serde_json::from_slice::<Value>(&part.file.data) {
                Ok(v) => (v.clone(), MixedPart::Json(v)),
                Err(e) => {
                    violation(out, &path, "type", format!("the part is not valid JSON: {e}"));
                    continue;
                }
            },
        };
        values.push(value);
        read.push(kept);
    }
    if !out.is_empty() {
        return read;
    }
    let stand_in = |p: &str| -> bool {
        read.iter().enumerate().any(|(i, part)| {
            let base = format!("/{i}");
            matches!(part, MixedPart::File(_)) && (p == base || p.strip_prefix(base.as_str()).is_some_and(|r| r.starts_with('/')))
        })
    };
    if let Some(item) = spec.item {
        for (i, value) in values.iter_mut().enumerate() {
            super::coerce_strings(value, item);
            let mut path = InstancePath::root();
            path.push_index(i);
            let mut found = Vec::new();
            item(value, &mut path, &mut found);
            out.extend(found.into_iter().filter(|v| !stand_in(&v.instance.pointer())));
        }
    }
    if let Some(list) = spec.list {
        let mut all = Value::Array(std::mem::take(&mut values));
        let remaining = super::coerce_strings(&mut all, list);
        out.extend(remaining.into_iter().filter(|v| !stand_in(&v.instance.pointer())));
    }
    read
}

/// Server side: the parts of a `multipart/*` body (already read within the limits), with their
/// headers, and their typed reading.
#[cfg(feature = "server")]
pub mod read {
    use axum::body::Body;
    use axum::http::{HeaderMap, header};

    use super::super::server::Rejection;
    use super::{FilePart, RawPart};

    /// Splits a multipart body into its parts (400 for a body that is not multipart).
    pub async fn parts(headers: &HeaderMap, bytes: axum::body::Bytes) -> Result<Vec<RawPart>, Rejection> {
        let bad = |message: String| Rejection::BadRequest { message, violations: Vec::new() };
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let boundary =
            super::boundary(content_type).ok_or_else(|| bad("invalid multipart body: the Content-Type is not multipart/* with a boundary".into()))?;
        let mut reader = multer::Multipart::new(Body::from(bytes).into_data_stream(), boundary);
        let mut out = Vec::new();
        loop {
            let field = match reader.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return Err(bad(format!("invalid multipart body: {e}"))),
            };
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let content_type = field.content_type().map(ToString::to_string);
            let headers = field
                .headers()
                .iter()
                .filter(|(n, _)| *n != header::CONTENT_TYPE && *n != header::CONTENT_DISPOSITION)
                .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let data = field.bytes().await.map_err(|e| bad(format!("invalid multipart body: {e}")))?;
            out.push(RawPart { name, file: FilePart { file_name, content_type, headers, data: Vec::from(data) } });
        }
        Ok(out)
    }

    /// A conversion failure after validation (a schema the validator did not fully check).
    pub fn unfit(message: String) -> Rejection {
        Rejection::BadRequest { message, violations: Vec::new() }
    }
}

/// Client side: builds the parts of a typed multipart body.
#[cfg(feature = "client")]
#[derive(Debug, Default)]
pub struct Writer {
    form: Option<reqwest::multipart::Form>,
}

#[cfg(feature = "client")]
impl Writer {
    /// An empty body.
    pub fn new() -> Self {
        Writer { form: Some(reqwest::multipart::Form::new()) }
    }

    fn push(&mut self, name: &str, part: reqwest::multipart::Part) {
        let form = self.form.take().unwrap_or_default();
        self.form = Some(form.part(name.to_string(), part));
    }

    /// The part `make` builds, with `media_type` when it parses (`mime_str` consumes the part:
    /// an unparsable type, which the generator does not write, leaves the part untyped, not lost).
    fn typed(make: impl Fn() -> reqwest::multipart::Part, media_type: Option<&str>) -> reqwest::multipart::Part {
        match media_type {
            Some(t) => make().mime_str(t).unwrap_or_else(|_| make()),
            None => make(),
        }
    }

    /// A file part (its own media type first, else `send_type`).
    pub fn file(&mut self, spec: &PartSpec, file: &FilePart) {
        self.file_named(spec.name, spec, file);
    }

    fn file_named(&mut self, name: &str, spec: &PartSpec, file: &FilePart) {
        let mut headers = reqwest::header::HeaderMap::new();
        for (n, v) in &file.headers {
            if let (Ok(n), Ok(v)) = (reqwest::header::HeaderName::from_bytes(n.as_bytes()), reqwest::header::HeaderValue::from_str(v)) {
                headers.append(n, v);
            }
        }
        let make = || {
            let mut part = reqwest::multipart::Part::bytes(file.data.clone());
            if let Some(name) = &file.file_name {
                part = part.file_name(name.clone());
            }
            if !headers.is_empty() {
                part = part.headers(headers.clone());
            }
            part
        };
        let media_type = file.content_type.as_deref().or(spec.send_type);
        self.push(name, Self::typed(make, media_type));
    }

    /// The parts of a positional body, in order, each by its position (parts are named by
    /// their index, which `multipart/mixed` ignores; a file keeps its own media type).
    pub fn positional(&mut self, spec: &Positional, parts: &[MixedPart]) {
        for (i, part) in parts.iter().enumerate() {
            let pos = spec.prefix.get(i).or(spec.rest.as_ref());
            let send = pos.and_then(|p| p.send_type);
            let name = i.to_string();
            match part {
                MixedPart::File(file) => {
                    let spec = PartSpec { name: "", kind: PartKind::File, repeated: false, content_types: &[], send_type: send, headers: &[], deep: false };
                    self.file_named(&name, &spec, file);
                }
                MixedPart::Text(t) => self.push(&name, Self::typed(|| reqwest::multipart::Part::text(t.clone()), send.or(Some("text/plain")))),
                MixedPart::Json(v) => {
                    let text = v.to_string();
                    self.push(&name, Self::typed(|| reqwest::multipart::Part::text(text.clone()), send.or(Some("application/json"))));
                }
            }
        }
    }

    /// Every file of a repeated file part.
    pub fn files(&mut self, spec: &PartSpec, files: &[FilePart]) {
        for f in files {
            self.file(spec, f);
        }
    }

    /// A text or JSON part from a value (`None`/`null` sends nothing; a repeated part sends one
    /// part per item).
    pub fn value<T: serde::Serialize>(&mut self, spec: &PartSpec, value: &T) {
        let Ok(value) = serde_json::to_value(value) else { return };
        match value {
            Value::Null => {}
            v @ (Value::Object(_) | Value::Array(_)) if spec.deep => self.deep(spec, &v),
            Value::Array(items) if spec.repeated => {
                for item in items {
                    self.one(spec, item);
                }
            }
            other => self.one(spec, other),
        }
    }

    /// A deepObject-encoded value as form-style parts (`name[key]`, one per leaf).
    fn deep(&mut self, spec: &PartSpec, value: &Value) {
        for (name, text) in super::client::form_pairs(spec.name, value) {
            self.push(&name, reqwest::multipart::Part::text(text));
        }
    }

    fn one(&mut self, spec: &PartSpec, value: Value) {
        let (text, media_type) = match (spec.kind, value) {
            (PartKind::Text, Value::String(s)) => (s, spec.send_type),
            (PartKind::Text, v @ (Value::Number(_) | Value::Bool(_))) => (v.to_string(), spec.send_type),
            (_, v) => (v.to_string(), Some(spec.send_type.unwrap_or("application/json"))),
        };
        self.push(spec.name, Self::typed(|| reqwest::multipart::Part::text(text.clone()), media_type));
    }

    /// Parts the schema does not name, as they are.
    pub fn other(&mut self, parts: &[super::Part]) {
        for p in parts {
            let make = || {
                let part = reqwest::multipart::Part::bytes(p.data.clone());
                match &p.file_name {
                    Some(name) => part.file_name(name.clone()),
                    None => part,
                }
            };
            self.push(&p.name, Self::typed(make, p.content_type.as_deref()));
        }
    }

    /// The body.
    pub fn finish(self) -> reqwest::multipart::Form {
        self.form.unwrap_or_default()
    }

    /// Puts the body into `request` as `media_type`: reqwest writes `multipart/form-data`, so
    /// another subtype (`multipart/mixed`) gets its own `Content-Type`, with the same boundary.
    pub fn send<E>(self, request: reqwest::RequestBuilder, media_type: &str) -> Result<reqwest::RequestBuilder, super::client::ClientError<E>> {
        let form = self.finish();
        let subtype = essence(media_type);
        if subtype == "multipart/form-data" || !subtype.starts_with("multipart/") {
            return Ok(request.multipart(form));
        }
        let content_type = format!("{subtype}; boundary={}", form.boundary());
        let (client, built) = request.multipart(form).build_split();
        let mut built = built.map_err(super::client::ClientError::Transport)?;
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&content_type) {
            built.headers_mut().insert(reqwest::header::CONTENT_TYPE, value);
        }
        Ok(reqwest::RequestBuilder::from_parts(client, built))
    }
}
