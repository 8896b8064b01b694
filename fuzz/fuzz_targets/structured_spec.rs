//! Structure-aware fuzzing: OpenAPI documents built from pieces (`arbitrary`): schemas with
//! random keywords and values, odd names in every name slot, references that hit and miss,
//! paths and parameters of every location and style, responses under any key. Serialized to
//! JSON and run through the whole pipeline, formatting included. Must never panic.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

/// Names that break naive generators: keywords, generated items, std names, empty, non-ASCII,
/// look-alikes after case conversion, injection.
const NAMES: &[&str] = &[
    "", " ", "_", "a", "A", "type", "self", "Self", "crate", "super", "fn", "r#type", "gen", "async", "Client", "ClientError", "Api", "ApiError",
    "Rejection", "Violation", "RouterConfig", "router", "runtime", "types", "validate", "server", "client", "String", "Option", "Result", "Box",
    "Vec", "Some", "None", "Ok", "Err", "Value", "Map", "UnknownValue", "additional_properties", "configuration", "body", "params", "ctx",
    "principal", "café", "cafe", "Café", "日本", "🙂", "🙃", "FooBar", "foo_bar", "foo-bar", "FOO_BAR", "fooBar", "1", "123abc", "+", "-", "$",
    "$ref", "@id", "a/b", "a~b", "*/", "\"#", "\u{0}", "]]", "\n#[cfg(any())]", "\\", "{", "}", "{id}", "Echo", "EchoParams", "EchoResponse",
    "EchoError", "V1Response200", "Default", "Status2xx", "x-ext",
];

const PATHS: &[&str] = &["/", "", "a", "//", "/{}", "/{a}{b}", "/{a", "/a}", "/é/{ü}", "/x?y=1", "/a/{id}", "/a/{name}", "/{a}/{a}", "/🙂", "/a b"];

const STATUSES: &[&str] = &["200", "201", "204", "2XX", "2xx", "4XX", "404", "default", "DEFAULT", "999", "100", "1XX", "", "€", "2€", "000", "0XX", "x-200", "20", "5XX"];

const MEDIA: &[&str] = &[
    "application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "application/octet-stream", "*/*", "application/*",
    "APPLICATION/JSON; charset=UTF-8", "application/vnd.api+json", "image/png", "", "json", "text/html",
];

const FORMATS: &[&str] = &["int32", "int64", "float", "double", "uuid", "date-time", "date", "time", "email", "hostname", "uri", "ipv4", "ipv6", "byte", "binary", "password", "", "*/", "uint8"];

const PATTERNS: &[&str] = &["^[a-z]+$", "(", "\\d", "(?<n>a)\\k<n>", "(?=a)a", "[z-a]", "\\p{L}", "a{2,1}", "x{99999999}", "", "\\", "^\\u0041$", "(a+)+$"];

/// How a name is picked: from the odd list, or any text.
#[derive(Debug, Arbitrary)]
enum Name {
    Pick(u8),
    Raw(String),
}

impl Name {
    fn text(&self) -> String {
        match self {
            Name::Pick(i) => NAMES[*i as usize % NAMES.len()].to_string(),
            Name::Raw(s) => s.clone(),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Target {
    /// One of the document's schemas (by index, modulo their count).
    Schema(u8),
    Parameter,
    Info,
    Root,
    Paths,
    Remote,
    DotDot,
    Absolute,
    Missing,
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Name),
    Huge,
    List(Vec<Scalar>),
}

impl Scalar {
    fn value(&self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => json!(b),
            Scalar::Int(i) => json!(i),
            Scalar::Uint(u) => json!(u),
            Scalar::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Scalar::Str(n) => json!(n.text()),
            Scalar::Huge => json!(1.8446744073709552e19),
            Scalar::List(items) => Value::Array(items.iter().map(Scalar::value).collect()),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Keyword {
    Type(u8),
    Types(Vec<u8>),
    Properties(Vec<(Name, Schema)>),
    Required(Vec<Name>),
    Items(Box<Schema>),
    PrefixItems(Vec<Schema>),
    AdditionalProperties(Box<Schema>),
    AdditionalFalse,
    PatternProperties(u8, Box<Schema>),
    AllOf(Vec<Schema>),
    OneOf(Vec<Schema>),
    AnyOf(Vec<Schema>),
    Not(Box<Schema>),
    Ref(Target),
    Enum(Vec<Scalar>),
    Const(Scalar),
    Default(Scalar),
    Example(Scalar),
    Minimum(Scalar),
    Maximum(Scalar),
    ExclusiveMinimum(Scalar),
    ExclusiveMaximum(Scalar),
    MultipleOf(Scalar),
    MinLength(Scalar),
    MaxLength(Scalar),
    MinItems(Scalar),
    MaxItems(Scalar),
    UniqueItems(bool),
    MinProperties(Scalar),
    MaxProperties(Scalar),
    Pattern(u8),
    PatternRaw(String),
    Format(u8),
    Nullable(bool),
    ReadOnly(bool),
    WriteOnly(bool),
    Deprecated(bool),
    Description(Name),
    Title(Name),
    Discriminator(Name, Vec<(Name, Target)>),
    Contains(Box<Schema>),
    UnevaluatedProperties(Box<Schema>),
    UnevaluatedItems(Box<Schema>),
    DependentRequired(Name, Vec<Name>),
    Defs(Vec<(Name, Schema)>),
    Id(Name),
    Anchor(Name),
    SchemaUri(u8),
    Other(Name, Scalar),
}

#[derive(Debug, Arbitrary)]
enum Schema {
    Bool(bool),
    Object(Vec<Keyword>),
}

const TYPES: &[&str] = &["string", "integer", "number", "boolean", "array", "object", "null", "strin"];
const DIALECTS: &[&str] = &["https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-04/schema#", "urn:nope", ""];

/// Turns the pieces into JSON (bounded depth: the loader's limit is for parsed text).
struct Builder {
    schema_names: Vec<String>,
}

impl Builder {
    fn target(&self, t: &Target) -> String {
        match t {
            Target::Schema(i) if !self.schema_names.is_empty() => {
                let name = &self.schema_names[*i as usize % self.schema_names.len()];
                format!("#/components/schemas/{}", name.replace('~', "~0").replace('/', "~1"))
            }
            Target::Schema(_) | Target::Missing => "#/components/schemas/Missing".into(),
            Target::Parameter => "#/components/parameters/P".into(),
            Target::Info => "#/info".into(),
            Target::Root => "#".into(),
            Target::Paths => "#/paths".into(),
            Target::Remote => "https://example.com/s.json#/A".into(),
            Target::DotDot => "../secret.json".into(),
            Target::Absolute => "/etc/passwd".into(),
            Target::Raw(s) => s.clone(),
        }
    }

    fn schema(&self, s: &Schema, depth: usize) -> Value {
        let Schema::Object(keywords) = s else {
            return json!(matches!(s, Schema::Bool(true)));
        };
        if depth > 12 {
            return json!({});
        }
        let d = depth + 1;
        let mut o = Map::new();
        let list = |v: &[Schema]| Value::Array(v.iter().map(|s| self.schema(s, d)).collect());
        for k in keywords {
            let (key, value) = match k {
                Keyword::Type(t) => ("type", json!(TYPES[*t as usize % TYPES.len()])),
                Keyword::Types(ts) => ("type", json!(ts.iter().map(|t| TYPES[*t as usize % TYPES.len()]).collect::<Vec<_>>())),
                Keyword::Properties(ps) => ("properties", Value::Object(ps.iter().map(|(n, s)| (n.text(), self.schema(s, d))).collect())),
                Keyword::Required(ns) => ("required", json!(ns.iter().map(Name::text).collect::<Vec<_>>())),
                Keyword::Items(s) => ("items", self.schema(s, d)),
                Keyword::PrefixItems(v) => ("prefixItems", list(v)),
                Keyword::AdditionalProperties(s) => ("additionalProperties", self.schema(s, d)),
                Keyword::AdditionalFalse => ("additionalProperties", json!(false)),
                Keyword::PatternProperties(p, s) => ("patternProperties", json!({PATTERNS[*p as usize % PATTERNS.len()]: self.schema(s, d)})),
                Keyword::AllOf(v) => ("allOf", list(v)),
                Keyword::OneOf(v) => ("oneOf", list(v)),
                Keyword::AnyOf(v) => ("anyOf", list(v)),
                Keyword::Not(s) => ("not", self.schema(s, d)),
                Keyword::Ref(t) => ("$ref", json!(self.target(t))),
                Keyword::Enum(v) => ("enum", Value::Array(v.iter().map(Scalar::value).collect())),
                Keyword::Const(v) => ("const", v.value()),
                Keyword::Default(v) => ("default", v.value()),
                Keyword::Example(v) => ("example", v.value()),
                Keyword::Minimum(v) => ("minimum", v.value()),
                Keyword::Maximum(v) => ("maximum", v.value()),
                Keyword::ExclusiveMinimum(v) => ("exclusiveMinimum", v.value()),
                Keyword::ExclusiveMaximum(v) => ("exclusiveMaximum", v.value()),
                Keyword::MultipleOf(v) => ("multipleOf", v.value()),
                Keyword::MinLength(v) => ("minLength", v.value()),
                Keyword::MaxLength(v) => ("maxLength", v.value()),
                Keyword::MinItems(v) => ("minItems", v.value()),
                Keyword::MaxItems(v) => ("maxItems", v.value()),
                Keyword::UniqueItems(b) => ("uniqueItems", json!(b)),
                Keyword::MinProperties(v) => ("minProperties", v.value()),
                Keyword::MaxProperties(v) => ("maxProperties", v.value()),
                Keyword::Pattern(p) => ("pattern", json!(PATTERNS[*p as usize % PATTERNS.len()])),
                Keyword::PatternRaw(p) => ("pattern", json!(p)),
                Keyword::Format(f) => ("format", json!(FORMATS[*f as usize % FORMATS.len()])),
                Keyword::Nullable(b) => ("nullable", json!(b)),
                Keyword::ReadOnly(b) => ("readOnly", json!(b)),
                Keyword::WriteOnly(b) => ("writeOnly", json!(b)),
                Keyword::Deprecated(b) => ("deprecated", json!(b)),
                Keyword::Description(n) => ("description", json!(n.text())),
                Keyword::Title(n) => ("title", json!(n.text())),
                Keyword::Discriminator(p, m) => {
                    ("discriminator", json!({"propertyName": p.text(), "mapping": m.iter().map(|(n, t)| (n.text(), json!(self.target(t)))).collect::<Map<_, _>>()}))
                }
                Keyword::Contains(s) => ("contains", self.schema(s, d)),
                Keyword::UnevaluatedProperties(s) => ("unevaluatedProperties", self.schema(s, d)),
                Keyword::UnevaluatedItems(s) => ("unevaluatedItems", self.schema(s, d)),
                Keyword::DependentRequired(n, ns) => ("dependentRequired", json!({n.text(): ns.iter().map(Name::text).collect::<Vec<_>>()})),
                Keyword::Defs(v) => ("$defs", Value::Object(v.iter().map(|(n, s)| (n.text(), self.schema(s, d))).collect())),
                Keyword::Id(n) => ("$id", json!(n.text())),
                Keyword::Anchor(n) => ("$anchor", json!(n.text())),
                Keyword::SchemaUri(i) => ("$schema", json!(DIALECTS[*i as usize % DIALECTS.len()])),
                Keyword::Other(n, v) => {
                    o.insert(n.text(), v.value());
                    continue;
                }
            };
            o.insert(key.to_string(), value);
        }
        Value::Object(o)
    }
}

#[derive(Debug, Arbitrary)]
enum PathName {
    Pick(u8),
    Template(Vec<(bool, Name)>),
}

#[derive(Debug, Arbitrary)]
struct Param {
    name: Name,
    location: u8,
    style: Option<u8>,
    explode: Option<bool>,
    required: Option<bool>,
    schema: Schema,
    content: Option<u8>,
    by_ref: bool,
}

#[derive(Debug, Arbitrary)]
enum Status {
    Pick(u8),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
struct Content {
    media: Vec<(u8, Option<Schema>)>,
}

#[derive(Debug, Arbitrary)]
struct Response {
    description: Option<Name>,
    content: Option<Content>,
    headers: Vec<(Name, Schema)>,
    by_ref: bool,
}

#[derive(Debug, Arbitrary)]
struct Operation {
    method: u8,
    operation_id: Option<Name>,
    params: Vec<Param>,
    body: Option<(bool, Content)>,
    responses: Vec<(Status, Response)>,
    security: Option<Vec<Name>>,
}

#[derive(Debug, Arbitrary)]
struct Spec {
    version: u8,
    title: Name,
    servers: Vec<Name>,
    schemas: Vec<(Name, Schema)>,
    paths: Vec<(PathName, Vec<Operation>)>,
    security_schemes: Vec<(Name, u8)>,
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace", "GET", "x-get"];
const LOCATIONS: &[&str] = &["path", "query", "header", "cookie", "body", ""];
const STYLES: &[&str] = &["simple", "label", "matrix", "form", "spaceDelimited", "pipeDelimited", "deepObject", "nope"];
const VERSIONS: &[&str] = &["3.1.0", "3.0.3", "3.0.0", "3.1.1", "2.0", "4.0.0", ""];

fn content(b: &Builder, c: &Content) -> Value {
    Value::Object(
        c.media
            .iter()
            .map(|(m, s)| (MEDIA[*m as usize % MEDIA.len()].to_string(), s.as_ref().map_or(json!({}), |s| json!({"schema": b.schema(s, 0)}))))
            .collect(),
    )
}

fn document(spec: &Spec) -> Value {
    let schema_names: Vec<String> = spec.schemas.iter().map(|(n, _)| n.text()).collect();
    let b = Builder { schema_names };
    let schemas: Map<String, Value> = spec.schemas.iter().map(|(n, s)| (n.text(), b.schema(s, 0))).collect();
    let mut paths = Map::new();
    let mut parameters = Map::new();
    let mut responses_c = Map::new();
    for (path, ops) in &spec.paths {
        let path = match path {
            PathName::Pick(i) => PATHS[*i as usize % PATHS.len()].to_string(),
            PathName::Template(segs) => segs.iter().map(|(t, n)| if *t { format!("/{{{}}}", n.text()) } else { format!("/{}", n.text()) }).collect(),
        };
        let mut item = Map::new();
        for op in ops {
            let params: Vec<Value> = op
                .params
                .iter()
                .map(|p| {
                    let mut o = Map::new();
                    o.insert("name".into(), json!(p.name.text()));
                    o.insert("in".into(), json!(LOCATIONS[p.location as usize % LOCATIONS.len()]));
                    if let Some(s) = p.style {
                        o.insert("style".into(), json!(STYLES[s as usize % STYLES.len()]));
                    }
                    if let Some(e) = p.explode {
                        o.insert("explode".into(), json!(e));
                    }
                    if let Some(r) = p.required {
                        o.insert("required".into(), json!(r));
                    }
                    match p.content {
                        Some(m) => o.insert("content".into(), json!({MEDIA[m as usize % MEDIA.len()]: {"schema": b.schema(&p.schema, 0)}})),
                        None => o.insert("schema".into(), b.schema(&p.schema, 0)),
                    };
                    if p.by_ref {
                        let key = format!("P{}", parameters.len());
                        parameters.insert(key.clone(), Value::Object(o));
                        json!({"$ref": format!("#/components/parameters/{key}")})
                    } else {
                        Value::Object(o)
                    }
                })
                .collect();
            let responses: Map<String, Value> = op
                .responses
                .iter()
                .map(|(status, r)| {
                    let status = match status {
                        Status::Pick(i) => STATUSES[*i as usize % STATUSES.len()].to_string(),
                        Status::Raw(s) => s.clone(),
                    };
                    let mut o = Map::new();
                    if let Some(d) = &r.description {
                        o.insert("description".into(), json!(d.text()));
                    }
                    if let Some(c) = &r.content {
                        o.insert("content".into(), content(&b, c));
                    }
                    if !r.headers.is_empty() {
                        o.insert("headers".into(), Value::Object(r.headers.iter().map(|(n, s)| (n.text(), json!({"schema": b.schema(s, 0)}))).collect()));
                    }
                    let value = if r.by_ref {
                        let key = format!("R{}", responses_c.len());
                        responses_c.insert(key.clone(), Value::Object(o));
                        json!({"$ref": format!("#/components/responses/{key}")})
                    } else {
                        Value::Object(o)
                    };
                    (status, value)
                })
                .collect();
            let mut o = Map::new();
            if let Some(id) = &op.operation_id {
                o.insert("operationId".into(), json!(id.text()));
            }
            o.insert("parameters".into(), Value::Array(params));
            if let Some((required, c)) = &op.body {
                o.insert("requestBody".into(), json!({"required": required, "content": content(&b, c)}));
            }
            o.insert("responses".into(), Value::Object(responses));
            if let Some(sec) = &op.security {
                o.insert("security".into(), Value::Array(sec.iter().map(|n| json!({n.text(): []})).collect()));
            }
            item.insert(METHODS[op.method as usize % METHODS.len()].to_string(), Value::Object(o));
        }
        paths.insert(path, Value::Object(item));
    }
    let schemes: Map<String, Value> = spec
        .security_schemes
        .iter()
        .map(|(n, k)| {
            let scheme = match k % 5 {
                0 => json!({"type": "http", "scheme": "bearer"}),
                1 => json!({"type": "http", "scheme": "basic"}),
                2 => json!({"type": "apiKey", "in": LOCATIONS[*k as usize % LOCATIONS.len()], "name": n.text()}),
                3 => json!({"type": "oauth2", "flows": {}}),
                _ => json!({"type": n.text()}),
            };
            (n.text(), scheme)
        })
        .collect();
    json!({
        "openapi": VERSIONS[spec.version as usize % VERSIONS.len()],
        "info": {"title": spec.title.text(), "version": "1.0.0"},
        "servers": spec.servers.iter().map(|s| json!({"url": s.text()})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {"schemas": schemas, "parameters": parameters, "responses": responses_c, "securitySchemes": schemes}
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(spec) = Spec::arbitrary(&mut u) else { return };
    let text = document(&spec).to_string();
    match codegen::generate_str("fuzz.json", &text, &codegen::Options::default()) {
        Ok(_) => {}
        Err(codegen::GenerateError::Spec(diags)) => {
            let located = diags.iter().any(|d| d.severity == codegen::Severity::Error && !d.location.file.is_empty() && !d.message.is_empty());
            assert!(located, "refused without a located error: {diags:?}");
        }
        Err(codegen::GenerateError::Internal(e)) => panic!("internal generator error: {e}\n{text}"),
    }
});
