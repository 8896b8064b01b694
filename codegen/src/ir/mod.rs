//! The intermediate representation: the only code that interprets spec shapes.
//!
//! Schemas live in an arena ([`Ir::schemas`]) indexed by [`SchemaId`], discovered in document
//! order. Validation facts and Rust representation decisions are data here, so emitters never
//! re-read the spec.

mod analyse;
pub mod arena;
mod custom;
mod defaults;
pub mod hooks;
mod lower_ops;
mod lower_schema;
pub mod multipart;
mod oas32;
pub mod pagination;
pub mod pattern;
pub mod positional;
pub mod streams;
pub mod untyped;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Options;
use crate::diagnostics::{Diagnostics, Location};
use crate::load::Documents;

pub use arena::{Arena, ArenaId};
pub use defaults::body_struct;
pub use hooks::{Hook, HookKind, UrlPart};
pub use lower_schema::Dialect;

arena::arena_id!(
    /// Index of a schema in [`Ir::schemas`].
    SchemaId
);

arena::arena_id!(
    /// Index of an operation in [`Ir::operations`].
    OpId
);

arena::arena_id!(
    /// Index of a parameter in [`Operation::params`].
    ParamId
);

arena::arena_id!(
    /// Index of a response in [`Operation::responses`].
    ResponseId
);

/// The schema arena.
pub type Schemas = Arena<SchemaId, SchemaNode>;

/// The JSON types of JSON Schema's `type` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JsonType {
    /// `null`
    Null,
    /// `boolean`
    Boolean,
    /// `object`
    Object,
    /// `array`
    Array,
    /// `number` (integers included)
    Number,
    /// `integer` (any number with a zero fractional part)
    Integer,
    /// `string`
    String,
}

impl JsonType {
    /// Parses a `type` keyword value.
    pub fn parse(s: &str) -> Option<JsonType> {
        Some(match s {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "string" => JsonType::String,
            _ => return None,
        })
    }

    /// The type's bit in the generated runtime's `types` set (same values as `runtime::types`).
    pub fn bit(self) -> u8 {
        match self {
            JsonType::Null => 1,
            JsonType::Boolean => 2,
            JsonType::Object => 4,
            JsonType::Array => 8,
            JsonType::Number => 16,
            JsonType::Integer => 32,
            JsonType::String => 64,
        }
    }

    /// The keyword spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::String => "string",
        }
    }
}

/// A numeric bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The limit.
    pub value: f64,
    /// True for `exclusiveMinimum`/`exclusiveMaximum`.
    pub exclusive: bool,
}

/// Formats the generated code understands. The first group has a dedicated Rust type and is
/// always asserted (unless `Options::plain_formats`); the rest are asserted only with
/// `Options::format_assertion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `uuid` -> `uuid::Uuid`
    Uuid,
    /// `date-time` (RFC 3339) -> `chrono::DateTime<FixedOffset>`
    DateTime,
    /// `date` -> `chrono::NaiveDate`
    Date,
    /// `time` (RFC 3339 full-time): checked, kept as `String`
    Time,
    /// `ipv4` -> `std::net::Ipv4Addr`
    Ipv4,
    /// `ipv6` -> `std::net::Ipv6Addr`
    Ipv6,
    /// `byte` (base64) -> `runtime::Base64` (the decoded bytes)
    Byte,
    /// `email`
    Email,
    /// `hostname`
    Hostname,
    /// `uri`
    Uri,
    /// `int32` -> `i32`, range asserted
    Int32,
}

impl Format {
    /// Reads a `format` value.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "uuid" => Format::Uuid,
            "date-time" => Format::DateTime,
            "date" => Format::Date,
            "time" => Format::Time,
            "ipv4" => Format::Ipv4,
            "ipv6" => Format::Ipv6,
            "byte" => Format::Byte,
            "email" => Format::Email,
            "hostname" => Format::Hostname,
            "uri" => Format::Uri,
            "int32" => Format::Int32,
            _ => return None,
        })
    }

    /// True for formats with a dedicated Rust type.
    pub fn is_rich(self) -> bool {
        matches!(self, Format::Uuid | Format::DateTime | Format::Date | Format::Time | Format::Ipv4 | Format::Ipv6 | Format::Byte | Format::Int32)
    }

    /// The keyword spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Uuid => "uuid",
            Format::DateTime => "date-time",
            Format::Date => "date",
            Format::Time => "time",
            Format::Ipv4 => "ipv4",
            Format::Ipv6 => "ipv6",
            Format::Byte => "byte",
            Format::Email => "email",
            Format::Hostname => "hostname",
            Format::Uri => "uri",
            Format::Int32 => "int32",
        }
    }
}

/// An ECMA-262 regular expression, checked and translated at generation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The source as written (shown in messages).
    pub source: String,
    /// The same pattern for the engine that runs it (see [`pattern::translate`]).
    pub translated: pattern::Translated,
    /// The most backtracking steps one match may take (used by [`pattern::Engine::Backtracking`]).
    pub step_limit: usize,
}

/// What `additionalProperties` allows.
#[derive(Debug, Clone, PartialEq)]
pub enum Additional {
    /// Absent or `true`.
    Any,
    /// `false`.
    Deny,
    /// A schema every other property must match.
    Schema(SchemaId),
}

/// Every assertion a schema makes, as data. Keywords apply only to instances of their type.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// `true`/`false` boolean schema, or `None` for an object schema.
    pub boolean: Option<bool>,
    /// Allowed types; `None` allows all.
    pub types: Option<Vec<JsonType>>,
    /// `enum` values.
    pub enum_values: Option<Vec<Value>>,
    /// `const` value.
    pub const_value: Option<Value>,
    /// `minLength` in code points.
    pub min_length: Option<u64>,
    /// `maxLength` in code points.
    pub max_length: Option<u64>,
    /// `pattern` (ECMA-262 source; validated at generation time).
    pub pattern: Option<Pattern>,
    /// `format` (an annotation unless a rich type asserts it).
    pub format: Option<String>,
    /// The format the generated validator asserts, if any (see [`Format`]).
    pub format_check: Option<Format>,
    /// `minimum` / `exclusiveMinimum`.
    pub minimum: Option<Bound>,
    /// `maximum` / `exclusiveMaximum`.
    pub maximum: Option<Bound>,
    /// `multipleOf`.
    pub multiple_of: Option<f64>,
    /// `items` (single schema form) or, with prefix items, the rest.
    pub items: Option<SchemaId>,
    /// `prefixItems` (2020-12) or array-form `items` (draft 7 and OpenAPI 3.0 extensions).
    pub prefix_items: Vec<SchemaId>,
    /// `minItems`.
    pub min_items: Option<u64>,
    /// `maxItems`.
    pub max_items: Option<u64>,
    /// `uniqueItems: true`.
    pub unique_items: bool,
    /// `contains`, with `minContains`/`maxContains`.
    pub contains: Option<(SchemaId, u64, Option<u64>)>,
    /// `properties`, in document order.
    pub properties: Vec<(String, SchemaId)>,
    /// `required`.
    pub required: Vec<String>,
    /// `additionalProperties`.
    pub additional: Additional,
    /// `additionalProperties` is written (even as `true`): it evaluates every other member.
    pub additional_present: bool,
    /// `patternProperties`.
    pub pattern_properties: Vec<(Pattern, SchemaId)>,
    /// `propertyNames`.
    pub property_names: Option<SchemaId>,
    /// `minProperties`.
    pub min_properties: Option<u64>,
    /// `maxProperties`.
    pub max_properties: Option<u64>,
    /// `dependentRequired` (and the array form of draft 7 `dependencies`).
    pub dependent_required: Vec<(String, Vec<String>)>,
    /// `dependentSchemas` (and the schema form of draft 7 `dependencies`).
    pub dependent_schemas: Vec<(String, SchemaId)>,
    /// `allOf`.
    pub all_of: Vec<SchemaId>,
    /// `anyOf`.
    pub any_of: Vec<SchemaId>,
    /// `oneOf`.
    pub one_of: Vec<SchemaId>,
    /// `not`.
    pub not: Option<SchemaId>,
    /// `if` / `then` / `else`.
    pub if_then_else: Option<(SchemaId, Option<SchemaId>, Option<SchemaId>)>,
    /// `unevaluatedProperties`: members no adjacent or in-place keyword evaluated.
    pub unevaluated_properties: Option<SchemaId>,
    /// `unevaluatedItems`: items no adjacent or in-place keyword evaluated.
    pub unevaluated_items: Option<SchemaId>,
    /// `$ref` target (applies in addition to the sibling keywords, unless the dialect ignores them).
    pub reference: Option<SchemaId>,
    /// `$dynamicRef` (2020-12), resolved through the dynamic scope when validating.
    pub dynamic_ref: Option<DynamicRef>,
    /// OpenAPI 3.0 `nullable: true`: `null` is valid whatever the other keywords say.
    pub nullable: bool,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            boolean: None,
            types: None,
            enum_values: None,
            const_value: None,
            min_length: None,
            max_length: None,
            pattern: None,
            format: None,
            format_check: None,
            minimum: None,
            maximum: None,
            multiple_of: None,
            items: None,
            prefix_items: Vec::new(),
            min_items: None,
            max_items: None,
            unique_items: false,
            contains: None,
            properties: Vec::new(),
            required: Vec::new(),
            additional: Additional::Any,
            additional_present: false,
            pattern_properties: Vec::new(),
            property_names: None,
            min_properties: None,
            max_properties: None,
            dependent_required: Vec::new(),
            dependent_schemas: Vec::new(),
            all_of: Vec::new(),
            any_of: Vec::new(),
            one_of: Vec::new(),
            not: None,
            if_then_else: None,
            unevaluated_properties: None,
            unevaluated_items: None,
            reference: None,
            dynamic_ref: None,
            nullable: false,
        }
    }
}

/// A `$dynamicRef` (2020-12). The dynamic scope is the chain of schema resources validation has
/// entered; the reference means the anchored schema of the outermost resource in it that declares
/// a `$dynamicAnchor` of the name, when its static target declares one of that name too (else it
/// is a plain `$ref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicRef {
    /// Where the reference resolves statically (what it means when no resource in scope declares the anchor).
    pub target: SchemaId,
    /// The anchor name, when the reference is dynamic (its fragment is a plain name the target declares as `$dynamicAnchor`).
    pub anchor: Option<String>,
    /// (resource number, anchored schema) of every resource that can be in the dynamic scope here
    /// and declares the anchor, by resource number (see [`SchemaNode::resource`]).
    pub candidates: Vec<(u32, SchemaId)>,
}

impl Facts {
    /// Every subschema these keywords apply (the schemas validation may go on to).
    pub fn children(&self) -> Vec<SchemaId> {
        let mut out: Vec<SchemaId> = self.reference.into_iter().chain(self.items).chain(self.prefix_items.iter().copied()).collect();
        if let Some(d) = &self.dynamic_ref {
            out.push(d.target);
            out.extend(d.candidates.iter().map(|(_, s)| *s));
        }
        out.extend(self.contains.map(|(s, _, _)| s));
        out.extend(self.properties.iter().map(|(_, s)| *s));
        if let Additional::Schema(s) = self.additional {
            out.push(s);
        }
        out.extend(self.pattern_properties.iter().map(|(_, s)| *s));
        out.extend(self.property_names);
        out.extend(self.dependent_schemas.iter().map(|(_, s)| *s));
        out.extend(self.all_of.iter().chain(&self.any_of).chain(&self.one_of).copied());
        out.extend(self.not);
        if let Some((c, t, e)) = self.if_then_else {
            out.push(c);
            out.extend(t);
            out.extend(e);
        }
        out.extend(self.unevaluated_properties);
        out.extend(self.unevaluated_items);
        out
    }

    /// True when no other schema is applied to the same instance from here (`allOf`, `$ref`,
    /// ...): the schema's `properties` are all the members it knows.
    pub fn in_place_free(&self) -> bool {
        self.reference.is_none()
            && self.all_of.is_empty()
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.if_then_else.is_none()
            && self.dependent_schemas.is_empty()
            && self.dynamic_ref.is_none()
    }

    /// True when the schema asserts nothing beyond its `$ref` (a pure alias).
    pub fn is_pure_ref(&self) -> bool {
        self.reference.is_some() && Facts { reference: self.reference, ..Facts::default() } == *self
    }

    /// True when no keyword names a subschema: the facts alone say everything the schema asserts.
    pub fn is_leaf(&self) -> bool {
        self.items.is_none()
            && self.prefix_items.is_empty()
            && self.contains.is_none()
            && self.properties.is_empty()
            && !matches!(self.additional, Additional::Schema(_))
            && self.pattern_properties.is_empty()
            && self.property_names.is_none()
            && self.dependent_schemas.is_empty()
            && self.all_of.is_empty()
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.not.is_none()
            && self.if_then_else.is_none()
            && self.unevaluated_properties.is_none()
            && self.unevaluated_items.is_none()
            && self.reference.is_none()
            && self.dynamic_ref.is_none()
    }

    /// The non-null types, if `type` is given.
    pub fn non_null_types(&self) -> Option<Vec<JsonType>> {
        self.types.as_ref().map(|t| t.iter().copied().filter(|t| *t != JsonType::Null).collect())
    }

    /// True when `type` (or 3.0 `nullable`) lists `null` explicitly.
    pub fn lists_null(&self) -> bool {
        self.nullable || self.types.as_ref().is_some_and(|t| t.contains(&JsonType::Null))
    }
}

/// A field of a generated struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// The property name on the wire.
    pub wire: String,
    /// The Rust field name.
    pub ident: String,
    /// The property's schema.
    pub schema: SchemaId,
    /// Listed in `required`.
    pub required: bool,
    /// Needs `Box` to break a cycle of direct containment.
    pub boxed: bool,
}

/// A variant of a generated string enum.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The value on the wire.
    pub wire: String,
    /// The Rust variant name.
    pub ident: String,
}

/// A variant of a generated `oneOf`/`anyOf` enum.
#[derive(Debug, Clone)]
pub struct UnionVariant {
    /// The Rust variant name.
    pub ident: String,
    /// The member schema.
    pub schema: SchemaId,
    /// Needs `Box` to break a cycle of direct containment.
    pub boxed: bool,
}

/// OpenAPI `discriminator`: which property names the variant, and the value for each member.
#[derive(Debug, Clone, PartialEq)]
pub struct Discriminator {
    /// The property holding the variant's name.
    pub property: String,
    /// Property value -> member schema (explicit `mapping` plus implicit component names).
    pub mapping: Vec<(String, SchemaId)>,
    /// OpenAPI 3.2 `defaultMapping`: the member for a value whose property is absent or maps
    /// to nothing.
    pub default: Option<SchemaId>,
}

/// How a schema is represented in Rust (decided by analysis).
#[derive(Debug, Clone, Default)]
pub enum Shape {
    /// `serde_json::Value`: any JSON (validation still applies).
    #[default]
    Any,
    /// `bool`
    Bool,
    /// `i64`
    Integer,
    /// `f64`
    Number,
    /// `String`
    String,
    /// A string with a rich format type (`uuid::Uuid`, `chrono::DateTime`, ...).
    Formatted(Format),
    /// `Vec<T>` of the item schema (or of `Value`).
    Array(Option<SchemaId>),
    /// `BTreeMap<String, T>` of the value schema (or of `Value`).
    Map(Option<SchemaId>),
    /// A struct with named fields.
    Struct(Vec<Field>),
    /// A fieldless enum of string values.
    StringEnum(Vec<Variant>),
    /// The same type as another schema (a `$ref` without siblings).
    Alias(SchemaId),
    /// An enum with one variant per `oneOf`/`anyOf` member, chosen by validation (and by the
    /// discriminator when there is one).
    Union(Vec<UnionVariant>),
}

/// One schema in the arena.
#[derive(Debug, Clone)]
pub struct SchemaNode {
    /// Where it is written.
    pub loc: Location,
    /// The dialect it is read by.
    pub dialect: Dialect,
    /// Title and description, for doc comments.
    pub doc: Option<String>,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// The assertions.
    pub facts: Facts,
    /// The name parts this schema's type would be named from.
    pub name_hint: Vec<String>,
    /// Rust representation.
    pub shape: Shape,
    /// `null` is allowed besides the shape (`Option`).
    pub nullable: bool,
    /// The generated type name, for schemas that get a named item.
    pub name: Option<String>,
    /// The generated validator function name, for schemas that get one.
    pub validator: Option<String>,
    /// The validator function named by `validator` is another schema's, with the same
    /// assertions (analysis shares one function between identical operation schemas); this
    /// schema emits none of its own.
    pub validator_shared: bool,
    /// `discriminator`, when the schema has one.
    pub discriminator: Option<Discriminator>,
    /// Field name of a struct's flattened extra members, when the schema allows any.
    pub extras: Option<String>,
    /// Why this schema stands for any value although the spec wrote something else (a reference
    /// that leads nowhere), for the untyped report.
    pub degraded: Option<String>,
    /// The number of the schema resource it is in, when a `$dynamicRef` may look for that
    /// resource in the dynamic scope (validation then records entering it); `None` otherwise,
    /// so specs without `$dynamicRef` pay nothing.
    pub resource: Option<u32>,
    /// It is the root of its schema resource (a document's root or an object with `$id`).
    pub resource_root: bool,
    /// The user's Rust type for it (`types.by-name`, `types.by-format`), which replaces the
    /// generated one wherever the schema is used; validators still check the JSON.
    pub rust_type: Option<String>,
    /// Extra derives (paths) of its generated type (`derives`).
    pub extra_derives: Vec<String>,
    /// Extra outer attributes of its generated type (`attributes`).
    pub extra_attributes: Vec<String>,
    /// Its struct type refuses members it does not list when decoding
    /// (`unknown-fields.responses = "deny"`).
    pub deny_unknown_members: bool,
    /// Its `default`, while it is a valid value of the schema (checked by analysis, which drops
    /// an invalid one with a warning): the value the server fills in and a client decoding a
    /// response fills in for an absent member or parameter.
    pub default: Option<Value>,
}

/// Where a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamIn {
    /// Path segment.
    Path,
    /// Query string.
    Query,
    /// Request header.
    Header,
    /// Cookie.
    Cookie,
    /// The whole query string as one value (OpenAPI 3.2 `in: querystring`; the style says how
    /// it is read: `Form` or `Json`).
    QueryString,
}

impl ParamIn {
    /// The `in` value of the spec (`path`, `query`, `header`, `cookie`, `querystring`).
    pub fn as_str(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
            ParamIn::Header => "header",
            ParamIn::Cookie => "cookie",
            ParamIn::QueryString => "querystring",
        }
    }
}

/// An operation parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Rust field name in the params struct.
    pub ident: String,
    /// Where it is.
    pub location: ParamIn,
    /// `required`.
    pub required: bool,
    /// Its schema.
    pub schema: SchemaId,
    /// Doc text.
    pub doc: Option<String>,
    /// Serialization style.
    pub style: ParamStyle,
    /// `explode`.
    pub explode: bool,
}

/// OpenAPI parameter serialization styles (plus `content`-encoded JSON parameters): the
/// runtime's own `Style`, so the generator and the code it writes share one definition (the
/// generator reads `from_openapi` and writes `Style::<variant()>`).
pub use codegen_runtime::Style as ParamStyle;

/// How a body is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    /// JSON (`application/json`, `+json`): parsed, validated, typed.
    Json(SchemaId),
    /// `application/x-www-form-urlencoded`: parsed into JSON (bracketed keys nest), coerced to
    /// the schema's types, validated, typed.
    Form(SchemaId),
    /// `text/*`: a `String`.
    Text,
    /// `multipart/*` without an object schema: the raw list of parts (not validated).
    Multipart,
    /// `multipart/*` with an object schema: named, typed and validated parts.
    Parts(Box<multipart::MultipartBody>),
    /// `multipart/*` (not form-data) with an array schema or an `itemSchema`: the parts in
    /// order, each typed and checked by its position (see [`positional`]).
    Positional(Box<positional::PositionalBody>),
    /// Anything else (`application/octet-stream`, `image/*`, `format: binary`, ...): a byte
    /// stream on both sides (the runtime's `ByteStream`), never buffered whole by the generated
    /// code (see [`Operation::streams_request_body`] for the one exception).
    Raw,
    /// `text/event-stream`: a stream of events (see [`streams`]).
    EventStream(EventItem),
    /// A JSON sequence (`application/jsonl`, `application/x-ndjson`, `application/json-seq`): a
    /// stream of items of the schema (any JSON without one).
    JsonSeq(SeqFraming, Option<SchemaId>),
}

impl BodyKind {
    /// The schemas a stream's items are validated against.
    pub fn stream_schemas(&self) -> Vec<SchemaId> {
        match self {
            BodyKind::EventStream(e) => e.envelope.into_iter().chain(e.data).collect(),
            BodyKind::JsonSeq(_, s) => s.iter().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// True for the stream kinds (never buffered whole).
    pub fn is_stream(&self) -> bool {
        matches!(self, BodyKind::EventStream(_) | BodyKind::JsonSeq(..))
    }
}

/// What one server-sent event of a stream is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventItem {
    /// The schema of the whole event object (`itemSchema`: `data`, `event`, `id`, `retry`),
    /// checked with `data` as the text it is on the wire.
    pub envelope: Option<SchemaId>,
    /// The schema of the data, read as JSON (`contentMediaType: application/json` +
    /// `contentSchema`, or the configured mapping); `None`: the data is text.
    pub data: Option<SchemaId>,
}

/// How a JSON sequence separates its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqFraming {
    /// One item per line (`application/jsonl`, `application/x-ndjson`).
    Lines,
    /// RFC 7464 `application/json-seq`: RS before each item, LF after.
    RecordSeparator,
}

/// Stream settings of the generated client (`Options::streams`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamSettings {
    /// Event data that ends a stream cleanly.
    pub sentinel: Option<String>,
    /// Reconnections in a row of a GET event stream.
    pub max_reconnects: u32,
}

/// One media type of a request body.
#[derive(Debug, Clone)]
pub struct Content {
    /// The media type as documented (`application/json`, `image/*`).
    pub media_type: String,
    /// How it is read.
    pub kind: BodyKind,
    /// Variant name in the body enum (when there are several media types).
    pub variant: String,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// `required`.
    pub required: bool,
    /// Every documented media type, in document order.
    pub contents: Vec<Content>,
    /// Name of the body enum in `types` when there are several media types.
    pub enum_name: Option<String>,
    /// Name of the server's resolved body struct (in `server`), when the one JSON or form body
    /// is a struct with an optional property that has a default: the handler gets that
    /// property filled in and plain (not `Option`) where it is not nullable.
    pub resolved: Option<String>,
}

impl RequestBody {
    /// True when some media type of it is a byte stream ([`BodyKind::Raw`]): the body type then
    /// is neither `Clone` nor `PartialEq`, and the client takes it by value.
    pub fn streams(&self) -> bool {
        self.contents.iter().any(|c| c.kind == BodyKind::Raw)
    }

    /// The JSON, form or typed multipart schemas (validated bodies).
    pub fn schemas(&self) -> impl Iterator<Item = SchemaId> + '_ {
        self.contents
            .iter()
            .filter_map(|c| match &c.kind {
                BodyKind::Json(s) | BodyKind::Form(s) => Some(*s),
                BodyKind::Parts(m) => Some(m.schema),
                _ => None,
            })
            .chain(self.contents.iter().flat_map(|c| match &c.kind {
                BodyKind::Positional(p) => p.list.into_iter().chain(p.item).collect(),
                _ => Vec::new(),
            }))
    }

    /// The schemas of documented multipart part headers (validated on their own).
    pub fn part_header_schemas(&self) -> impl Iterator<Item = SchemaId> + '_ {
        self.contents.iter().flat_map(|c| match &c.kind {
            BodyKind::Parts(m) => m.encoding.iter().flat_map(|(_, e)| e.headers.iter().map(|h| h.schema)).collect(),
            BodyKind::Positional(p) => p.prefix.iter().chain(&p.rest).flat_map(|x| x.headers.iter().map(|h| h.schema)).collect(),
            _ => Vec::new(),
        })
    }
}

/// A documented response.
#[derive(Debug, Clone)]
pub struct Response {
    /// `200`, `4XX`, `default`.
    pub status: String,
    /// Variant name (from the naming module).
    pub variant: String,
    /// `description`.
    pub doc: Option<String>,
    /// Media type and encoding of the body, if any.
    pub body: Option<(String, BodyKind)>,
    /// Documented response headers (except `Content-Type`).
    pub headers: Vec<ResponseHeader>,
    /// Name of the headers struct in `types`, when there are headers.
    pub headers_type: Option<String>,
}

/// A documented response header.
#[derive(Debug, Clone)]
pub struct ResponseHeader {
    /// Header name on the wire.
    pub name: String,
    /// Rust field name.
    pub ident: String,
    /// Its schema.
    pub schema: SchemaId,
    /// `description`.
    pub doc: Option<String>,
}

impl Response {
    /// The numeric status, for exact codes.
    pub fn code(&self) -> Option<u16> {
        self.status.parse().ok()
    }

    /// True for 2xx codes and the `2XX` range.
    pub fn is_success(&self) -> bool {
        self.status.starts_with('2')
    }

    /// True when its body is a byte stream ([`BodyKind::Raw`]): sent as it is produced by the
    /// server; received unread by the client when it is a success (an error's body is read
    /// whole, as every error body is).
    pub fn streams(&self) -> bool {
        matches!(self.body, Some((_, BodyKind::Raw)))
    }
}

/// One alternative of a security requirement: every scheme in it must be satisfied.
pub type SecurityAlternative = Vec<(String, Vec<String>)>;

/// An HTTP operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Where it is.
    pub loc: Location,
    /// The HTTP method: lowercase for a path item's fixed fields (`get`, `query`), as written
    /// for its `additionalOperations` (`PURGE`; methods are case-sensitive). See
    /// [`Operation::wire_method`].
    pub method: String,
    /// The path template (`/pets/{id}`).
    pub path: String,
    /// Method name (snake case) in the server trait and the client.
    pub fn_name: String,
    /// Type-name prefix (`V1RoomTokenPost`).
    pub type_prefix: String,
    /// Summary and description.
    pub doc: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// Parameters (path, query, header, cookie).
    pub params: Arena<ParamId, Param>,
    /// Name of the params struct, when there are parameters.
    pub params_type: Option<String>,
    /// Name of the server's resolved parameters struct (in `server`), when an optional
    /// parameter has a default: the handler gets it filled in and plain (not `Option`). The
    /// client keeps `params_type`, where absent means "the server applies its default".
    pub resolved_params: Option<String>,
    /// The request body.
    pub body: Option<RequestBody>,
    /// Responses in status order.
    pub responses: Arena<ResponseId, Response>,
    /// Effective security: alternatives; empty means no authentication.
    pub security: Vec<SecurityAlternative>,
    /// The idempotency key header this operation takes (`Options::idempotency`): the declared
    /// parameter's wire name, or the configured name for an undeclared one.
    pub idempotency_key: Option<IdempotencyKey>,
    /// How the client follows its pages, when it is a paginated list ([`pagination`]).
    pub pagination: Option<pagination::Pagination>,
}

/// An operation's idempotency key header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The header name as the spec writes it (or as configured).
    pub header: String,
    /// Index into [`Operation::params`] when the operation declares it as a parameter.
    pub param: Option<ParamId>,
}

impl Operation {
    /// The method as it is sent: a fixed field's name upper-cased (`QUERY`), an
    /// `additionalOperations` method as written.
    pub fn wire_method(&self) -> String {
        if self.method.bytes().all(|b| b.is_ascii_lowercase()) && lower_ops::is_fixed_method(&self.method) {
            self.method.to_ascii_uppercase()
        } else {
            self.method.clone()
        }
    }

    /// True when the server hands the request body to the handler as it arrives: it has a
    /// byte-stream media type and the operation takes no idempotency key (the idempotency
    /// layer fingerprints the whole body, so there the body is read first and handed over from
    /// memory, within the same limit).
    pub fn streams_request_body(&self) -> bool {
        self.idempotency_key.is_none() && self.body.as_ref().is_some_and(RequestBody::streams)
    }

    /// True when some response body is a byte stream ([`Response::streams`]).
    pub fn streams_responses(&self) -> bool {
        self.responses.iter().any(Response::streams)
    }

    /// True when some alternative needs no credentials (or there is no security at all).
    pub fn allows_anonymous(&self) -> bool {
        self.security.is_empty() || self.security.iter().any(Vec::is_empty)
    }

    /// True when the operation has any security requirement.
    pub fn has_security(&self) -> bool {
        !self.security.is_empty() && !self.security.iter().all(Vec::is_empty)
    }
}

/// A security scheme's kind, as the router extracts its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    /// `http` + `bearer`, `oauth2`, `openIdConnect`: `Authorization: Bearer <token>`.
    Bearer,
    /// `http` + `basic`.
    Basic,
    /// `http` with another scheme (`digest`, ...): the raw credentials after the scheme name.
    OtherHttp(String),
    /// `apiKey` in a header.
    ApiKeyHeader(String),
    /// `apiKey` in the query string.
    ApiKeyQuery(String),
    /// `apiKey` in a cookie.
    ApiKeyCookie(String),
    /// `mutualTLS`: not visible to an HTTP handler.
    MutualTls,
    /// A name a security requirement uses that `components/securitySchemes` does not define (a
    /// spec flaw): the auth hook decides from the raw request headers.
    Undefined,
}

/// How validation failures are shaped by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{"error": {"code", "message", "fields"}}`, typed by the named schema when there is one.
    Envelope(Option<String>),
    /// `{"code", "message", "fields"}` at the top level.
    Flat(Option<String>),
    /// RFC 9457 problem details (`application/problem+json`, or a schema of `type`, `title`,
    /// `status`, `detail`), typed by the named schema when there is one.
    Problem(Option<String>),
}

/// A function of `types` returning a default (see [`Ir::default_fns`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultFn {
    /// The function returning the value as the field's type without the optional `Option`
    /// (`{name}` for `T`, and `some_{name}` returning `Some(..)` for a field that is not nullable).
    pub name: String,
    /// The struct whose type unit emits the functions (the first one with a field of the schema).
    pub owner: SchemaId,
}

/// API metadata.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// `info.title`
    pub title: String,
    /// `info.version`
    pub version: String,
    /// `info.description`
    pub description: Option<String>,
    /// `openapi` version string.
    pub openapi: String,
}

/// The whole lowered spec.
#[derive(Debug)]
pub struct Ir {
    /// API metadata.
    pub info: Info,
    /// `servers[*].url`, in order.
    pub servers: Vec<String>,
    /// The schema arena.
    pub schemas: Schemas,
    /// Operations sorted by path then method.
    pub operations: Arena<OpId, Operation>,
    /// Webhook and callback operations (sent by the API, not served by it), webhooks first.
    pub hooks: Vec<Hook>,
    /// Security schemes by name.
    pub security_schemes: BTreeMap<String, SchemeKind>,
    /// The error body shape used for rejections.
    pub error_shape: ErrorShape,
    /// Generated code may write prelude names short (no generated type shadows them).
    pub short_prelude: bool,
    /// Dependency lines (`name = "1"`) of the user's types in use, for the generated `Cargo.toml`.
    pub dependencies: Vec<String>,
    /// The package version of the generated crate, when the options set one.
    pub crate_version: Option<String>,
    /// String enum types fail to decode a value the spec does not list (`unknown-enum-values`).
    pub reject_unknown_enum_values: bool,
    /// The `types` module is emitted (`Options::types`).
    pub emit_types: bool,
    /// The `validate` module is emitted (`Options::validators`).
    pub emit_validators: bool,
    /// The client's stream settings (`Options::streams`).
    pub streams: StreamSettings,
    /// The functions (in `types`) returning the default of a struct field's schema, by the
    /// field's schema: what serde fills in for an absent member.
    pub default_fns: BTreeMap<SchemaId, DefaultFn>,
}

/// The optional runtime parts a spec's generated crate uses: they decide its dependencies and
/// which runtime features (or embedded files) it gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuntimeUse {
    /// A `pattern` or `patternProperties` pattern runs on the linear-time engine (`regex`).
    pub linear_patterns: bool,
    /// A pattern needs the backtracking engine (`fancy-regex`: lookaround, backreferences).
    pub backtracking_patterns: bool,
    /// Some body is a stream (the runtime's `streams` feature, `futures-util`).
    pub streams: bool,
    /// An operation is paginated (the runtime's `paginate` module, `futures-util`).
    pub pagination: bool,
    /// A callback's URL helper evaluates its expression (the runtime's `callbacks` feature).
    pub callback_urls: bool,
    /// A request body is multipart (the runtime's `multipart` module).
    pub multipart: bool,
}

impl Ir {
    /// Which optional runtime parts the generated code uses (every schema of the arena counts:
    /// a superset of the validators emitted is safe, a subset would not build).
    pub fn runtime_use(&self) -> RuntimeUse {
        let mut out = RuntimeUse {
            streams: self.all_operations().any(streams::has_stream),
            pagination: self.operations.iter().any(|o| o.pagination.is_some()),
            ..RuntimeUse::default()
        };
        let patterns = self.schemas.iter().flat_map(|n| n.facts.pattern.iter().chain(n.facts.pattern_properties.iter().map(|(p, _)| p)));
        for p in patterns {
            match p.translated.engine {
                pattern::Engine::Linear => out.linear_patterns = true,
                pattern::Engine::Backtracking => out.backtracking_patterns = true,
            }
        }
        out.callback_urls = self.hooks.iter().any(|h| matches!(&h.kind, HookKind::Callback { url: Some(_), .. }));
        out.multipart = self
            .all_operations()
            .flat_map(|o| o.body.iter().flat_map(|b| &b.contents))
            .any(|c| matches!(c.kind, BodyKind::Multipart | BodyKind::Parts(_) | BodyKind::Positional(_)));
        out
    }

    /// The schemas only validated, never a Rust type: the list and item schemas of positional
    /// multipart bodies (whose parts are `MixedPart`s).
    pub fn validator_only(&self) -> Vec<SchemaId> {
        let bodies = self.all_operations().flat_map(|o| o.body.iter().flat_map(|b| &b.contents));
        bodies
            .flat_map(|c| match &c.kind {
                BodyKind::Positional(p) => p.list.into_iter().chain(p.item).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// Lowers a loaded spec; problems go to `diags`.
    pub fn build(docs: &Documents, options: &Options, diags: &mut Diagnostics) -> Ir {
        let root = docs.root_value();
        let root_loc = Location::new(docs.root.clone(), "");
        let info = read_info(root, &root_loc, diags);
        let dialect = Dialect::for_openapi(&info.openapi, root);
        let mut lower = lower_schema::SchemaLowerer::new(docs, dialect, options);
        lower.lower_components(&root_loc, root, diags);
        let (ops, hooks) = lower_ops::lower_operations(&mut lower, &root_loc, root, options, diags);
        let security_schemes = lower_ops::security_schemes(docs, &root_loc, root, diags);
        let schemas = lower.finish(diags);
        let mut ir = Ir {
            info,
            servers: root
                .get("servers")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|s| s.get("url")?.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            schemas,
            operations: ops.into(),
            hooks,
            security_schemes,
            error_shape: ErrorShape::Envelope(None),
            short_prelude: false,
            dependencies: Vec::new(),
            crate_version: options.crate_version.clone(),
            reject_unknown_enum_values: false,
            emit_types: true,
            emit_validators: true,
            streams: StreamSettings { sentinel: options.streams.sentinel.clone(), max_reconnects: options.streams.max_reconnects },
            default_fns: BTreeMap::new(),
        };
        analyse::analyse(&mut ir, options, diags);
        pagination::apply(&mut ir, docs, options, diags);
        multipart::resolve(&mut ir, docs, diags);
        ir
    }

    /// Every operation: the path operations, then the webhook and callback operations. Index
    /// `i` of this order is [`Ir::op_at`]'s.
    pub fn all_operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.iter().chain(self.hooks.iter().map(|h| &h.op))
    }

    /// The operation at index `i` of [`Ir::all_operations`].
    pub fn op_at(&self, i: usize) -> &Operation {
        match i.checked_sub(self.operations.len()) {
            None => &self.operations[OpId::from_index(i)],
            Some(h) => &self.hooks[h].op,
        }
    }

    /// [`Ir::op_at`], mutable.
    pub fn op_at_mut(&mut self, i: usize) -> &mut Operation {
        match i.checked_sub(self.operations.len()) {
            None => &mut self.operations[OpId::from_index(i)],
            Some(h) => &mut self.hooks[h].op,
        }
    }

    /// The schema at `id`.
    pub fn schema(&self, id: SchemaId) -> &SchemaNode {
        &self.schemas[id]
    }

    /// Follows every alias, named or not, to the schema whose shape is not an alias.
    pub fn definition(&self, mut id: SchemaId) -> SchemaId {
        for _ in 0..self.schemas.len() {
            match self.schemas[id].shape {
                Shape::Alias(t) => id = t,
                _ => break,
            }
        }
        id
    }

    /// True when `null` is a valid value of this schema's Rust type position (through aliases):
    /// the generated type is then an `Option`. `serde_json::Value` holds `null` itself.
    pub fn is_nullable(&self, mut id: SchemaId) -> bool {
        for _ in 0..=self.schemas.len() {
            let n = &self.schemas[id];
            if matches!(n.shape, Shape::Any) {
                return false;
            }
            if n.nullable {
                return true;
            }
            match n.shape {
                Shape::Alias(t) => id = t,
                _ => return false,
            }
        }
        false
    }

    /// The valid default that applies to a value of schema `id`: its own, or the one of the
    /// schema it is an alias of.
    pub fn default_of(&self, mut id: SchemaId) -> Option<&Value> {
        for _ in 0..=self.schemas.len() {
            let n = &self.schemas[id];
            if let Some(d) = &n.default {
                return Some(d);
            }
            match n.shape {
                Shape::Alias(t) => id = t,
                _ => return None,
            }
        }
        None
    }

    /// Follows pure aliases to the schema that defines the representation.
    pub fn resolve_alias(&self, mut id: SchemaId) -> SchemaId {
        for _ in 0..self.schemas.len() {
            match self.schemas[id].shape {
                Shape::Alias(t) if self.schemas[id].name.is_none() => id = t,
                _ => break,
            }
        }
        id
    }
}

fn read_info(root: &Value, loc: &Location, diags: &mut Diagnostics) -> Info {
    let openapi = root.get("openapi").and_then(Value::as_str).unwrap_or_default().to_string();
    if openapi.is_empty() {
        if root.get("swagger").is_some() {
            diags.error(loc.join("swagger"), "Swagger 2.0 is not supported; convert the document to OpenAPI 3.x first");
        } else {
            diags.error(loc.join("openapi"), "missing `openapi` version field: not an OpenAPI 3.x document");
        }
    } else if openapi.starts_with("3.2") {
        oas32::check_document(loc, root, diags);
    } else if !(openapi.starts_with("3.0") || openapi.starts_with("3.1")) {
        diags.error(loc.join("openapi"), format!("unsupported OpenAPI version `{openapi}`; 3.0.x, 3.1.x and 3.2.x are supported"));
    }
    let info = root.get("info");
    let text = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_str).map(str::to_string);
    Info { title: text("title").unwrap_or_default(), version: text("version").unwrap_or_default(), description: text("description"), openapi }
}
