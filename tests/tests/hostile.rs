//! Hostile specs: the generator never panics, never hangs and never emits code that does not
//! compile cleanly, whatever the input. Every case either generates (and then its crate is built
//! with clippy `-D warnings`, all generating cases in one scratch workspace) or is refused with an
//! error diagnostic that has a location. Each case runs on its own thread under a time bound.
//!
//! `cargo test -p tests --test hostile -- --nocapture` prints a table of cases by class and outcome.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use codegen::{GenerateError, Generated, Options, Severity};
use serde_json::{Value, json};
use tests::scratch;
use xtask::project_root;

/// Longest a single case may take (generation including formatting).
const TIME_BOUND: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Must generate (and compile).
    Generate,
    /// Must be refused with a located error.
    Refuse,
    /// Either outcome is fine, as long as it is one of the two.
    Either,
}

#[derive(Debug, Clone)]
enum Input {
    /// Spec text; the name's extension picks the parser.
    Text { name: String, text: String },
    /// Files written under a folder of their own; `root` is the spec, the rest lie around it
    /// (`secret.yaml` outside the spec's folder must never be read).
    Files { root: String, files: Vec<(String, String)> },
}

#[derive(Debug, Clone)]
struct Case {
    class: &'static str,
    name: String,
    input: Input,
    expect: Expect,
    /// Build the generated crate in the compile batch (size bombs are left out: their output is
    /// large and they exercise the generator, not the compiler).
    compile: bool,
}

fn case(class: &'static str, name: &str, expect: Expect, input: Input) -> Case {
    Case { class, name: name.to_string(), input, expect, compile: true }
}

fn json_case(class: &'static str, name: &str, expect: Expect, doc: Value) -> Case {
    case(class, name, expect, Input::Text { name: "openapi.json".into(), text: doc.to_string() })
}

fn text_case(class: &'static str, name: &str, expect: Expect, file: &str, text: impl Into<String>) -> Case {
    case(class, name, expect, Input::Text { name: file.into(), text: text.into() })
}

/// A 3.1 document with `paths` and `components.schemas`.
fn doc(paths: Value, schemas: Value) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "Hostile", "version": "1.0.0"}, "paths": paths, "components": {"schemas": schemas}})
}

/// A 3.0 document with `paths` and `components.schemas`.
fn doc30(paths: Value, schemas: Value) -> Value {
    json!({"openapi": "3.0.3", "info": {"title": "Hostile", "version": "1.0.0"}, "paths": paths, "components": {"schemas": schemas}})
}

/// One POST operation taking `schema` as a JSON body and answering it with 200.
fn echo(schema: Value) -> Value {
    json!({"/echo": {"post": {
        "operationId": "echo",
        "requestBody": {"required": true, "content": {"application/json": {"schema": schema.clone()}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}
    }}})
}

/// An operation using the schema named `name` (so it is emitted with a validator).
fn uses(name: &str) -> Value {
    echo(json!({"$ref": format!("#/components/schemas/{name}")}))
}

fn ok_get(params: Value) -> Value {
    json!({"get": {"parameters": params, "responses": {"200": {"description": "ok"}}}})
}

/// Names of the public items of the generated runtime, server and client (and derive macros the
/// generated code uses), each of which a spec may also use as a schema, property or operation name.
const GENERATED_ITEMS: &[&str] = &[
    "Api",
    "ApiError",
    "AuthRejection",
    "AuthRequest",
    "Base64",
    "BoxError",
    "Client",
    "ClientError",
    "Coerce",
    "Credentials",
    "DEFAULT_BASE_URL",
    "InstancePath",
    "Multipart",
    "NullableSchema",
    "ParamSource",
    "ParamSpec",
    "Part",
    "Pattern",
    "Rejection",
    "RequestContext",
    "RouteMatch",
    "RouterConfig",
    "Scalar",
    "Segment",
    "Shared",
    "State",
    "Style",
    "TokenProvider",
    "Unit",
    "Validate",
    "Violation",
    "JsonSchema",
    "Serialize",
    "Deserialize",
    "Value",
    "Map",
    "Router",
    "Json",
    "Bytes",
    "StatusCode",
    "HeaderMap",
    "Response",
    "Request",
    "Error",
    "Default",
    "Debug",
    "Clone",
    "router",
    "router_with_config",
    "runtime",
    "server",
    "client",
    "types",
    "validate",
    "validation",
    "serde",
    "serde_json",
    "axum",
    "reqwest",
    "std",
    "core",
    "alloc",
    "crate",
    "Self",
    "super",
    "String",
    "Option",
    "Result",
    "Box",
    "Vec",
    "Some",
    "None",
    "Ok",
    "Err",
    "From",
    "Into",
    "Send",
    "Sync",
    "Sized",
    "Fn",
    "Future",
    "Iterator",
    "ToString",
    "PartialEq",
    "Eq",
    "Hash",
    "Copy",
    "Drop",
    "u8",
    "i64",
    "f64",
    "str",
    "bool",
    "UnknownValue",
    "EchoParams",
    "EchoResponse",
    "EchoError",
    "EchoSuccess",
    "EchoRequest",
];

const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "Self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "try",
    "gen",
    "union",
    "macro_rules",
    "raw",
    "safe",
    "_",
    "r#type",
];

/// Strings that break naive code generation in every slot they can reach.
const INJECTIONS: &[&str] = &[
    "*/",
    "/*",
    "\"#",
    "\"##",
    "r#\"",
    "\u{0}",
    "]]",
    "\n#[cfg(any())]\n",
    "#![deny(warnings)]",
    "\r\n",
    "\\",
    "\\u{0}",
    "}",
    "{",
    "`",
    "```rust\npanic!()\n```",
    "<script>",
    "$ref",
    "'",
    "\u{2028}",
    "\u{202e}",
    "\u{feff}",
    "\u{1b}[31m",
    "//",
    "///",
    "//!",
    "#[doc = \"x\"]",
    "{{",
    "%s",
    "$",
    "\t",
];

fn malformed() -> Vec<Case> {
    use Expect::Refuse;
    let c = "malformed";
    let mut out = vec![
        text_case(c, "not json", Refuse, "openapi.json", "{\"openapi\": "),
        text_case(c, "not yaml", Refuse, "openapi.yaml", "openapi: [3.1.0\ninfo: {"),
        text_case(c, "empty json", Refuse, "openapi.json", ""),
        text_case(c, "empty yaml", Refuse, "openapi.yaml", ""),
        text_case(c, "binary garbage", Refuse, "openapi.yaml", String::from_utf8_lossy(&[0xff, 0xfe, 0, 1, 2, 0x80, b'{', b'[', 0x1b]).into_owned()),
        text_case(c, "yaml tabs and duplicate keys", Refuse, "openapi.yaml", "openapi: 3.1.0\nopenapi: 3.0.0\ninfo:\n\ttitle: x\n"),
        text_case(c, "json trailing comma", Refuse, "openapi.json", "{\"openapi\": \"3.1.0\", }"),
        text_case(c, "yaml non-scalar key", Refuse, "openapi.yaml", "? [a, b]\n: c\nopenapi: 3.1.0\n"),
    ];
    for (name, value) in [
        ("top-level array", json!([1, 2])),
        ("top-level string", json!("openapi")),
        ("top-level null", Value::Null),
        ("top-level number", json!(3.1)),
        ("openapi missing", json!({"info": {"title": "x", "version": "1"}, "paths": {}})),
        ("openapi a number", json!({"openapi": 3.1, "info": {"title": "x", "version": "1"}, "paths": {}})),
        ("openapi 4.0", json!({"openapi": "4.0.0", "info": {"title": "x", "version": "1"}, "paths": {}})),
        ("openapi garbage", json!({"openapi": "\u{0}🙂", "info": {"title": "x", "version": "1"}, "paths": {}})),
        ("swagger 2", json!({"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}})),
        ("paths an array", json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": []})),
        ("paths a string", json!({"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": "/a"})),
        ("path item a string", json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": "get"}})),
        ("operation an array", json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": []}}})),
        (
            "parameters an object",
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": {"a": 1}, "responses": {}}}}}),
        ),
        (
            "parameter without name",
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"in": "query"}], "responses": {"200": {"description": "x"}}}}}}),
        ),
        (
            "parameter in nowhere",
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"name": "a", "in": "body"}], "responses": {"200": {"description": "x"}}}}}}),
        ),
        ("responses an array", json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": [200]}}}})),
        ("components a number", json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}, "components": 5})),
        ("schema a number", json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}, "components": {"schemas": {"A": 5}}})),
        ("schemas an array", json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}, "components": {"schemas": [{"type": "string"}]}})),
        ("info an array", json!({"openapi": "3.1.0", "info": [], "paths": {}})),
        ("type not a type", doc(uses("A"), json!({"A": {"type": "strin"}}))),
        (
            "keywords of the wrong type",
            doc(uses("A"), json!({"A": {"type": "object", "properties": [], "required": "a", "maxLength": "3", "pattern": 5, "enum": {}}})),
        ),
        (
            "request body content an array",
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"post": {"requestBody": {"content": []}, "responses": {"200": {"description": "x"}}}}}}),
        ),
        (
            "security an object",
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "security": {"a": []}, "paths": {"/a": {"get": {"responses": {"200": {"description": "x"}}}}}}),
        ),
    ] {
        out.push(json_case(c, name, Expect::Either, value));
    }
    // These cannot be code: the outcome must be a refusal.
    let cannot_be_code = [
        "top-level array",
        "top-level string",
        "top-level null",
        "top-level number",
        "openapi missing",
        "openapi 4.0",
        "openapi garbage",
        "swagger 2",
        "paths an array",
        "paths a string",
    ];
    for case in &mut out {
        if cannot_be_code.contains(&case.name.as_str()) {
            case.expect = Refuse;
        }
    }
    out
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

fn bombs() -> Vec<Case> {
    use Expect::{Either, Refuse};
    let c = "size/depth";
    // Billion laughs: ten aliases of ten aliases of ... (10^9 nodes if expanded).
    let mut laughs = String::from("openapi: 3.1.0\ninfo: {title: x, version: '1'}\nx-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = format!("*a{}", i - 1);
        laughs.push_str(&format!("x-a{i}: &a{i} [{}]\n", vec![p; 10].join(", ")));
    }
    laughs.push_str("paths: {}\n");
    // Aliases that are each small but many: a wide, shallow expansion under the size limit.
    let mut many_aliases = String::from("openapi: 3.1.0\ninfo: {title: x, version: '1'}\ncomponents:\n  schemas:\n    S: &s {type: string, maxLength: 3}\n");
    for i in 0..2000 {
        many_aliases.push_str(&format!("    A{i}: *s\n"));
    }
    many_aliases.push_str("paths: {}\n");
    let deep_json_arrays = format!("{{\"openapi\": \"3.1.0\", \"x-deep\": {}}}", nested("[", "]", 100_000));
    let deep_json_objects = format!("{{\"openapi\": \"3.1.0\", \"x-deep\": {}1{}}}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let deep_yaml_flow = format!("openapi: 3.1.0\nx-deep: {}\n", nested("[", "]", 100_000));
    let deep_yaml_objects = format!("openapi: 3.1.0\nx-deep: {}1{}\n", "{a: ".repeat(100_000), "}".repeat(100_000));
    let mut deep_yaml_block = String::from("openapi: 3.1.0\nx-deep:\n");
    for i in 0..5_000 {
        deep_yaml_block.push_str(&" ".repeat(i + 1));
        deep_yaml_block.push_str("- \n");
    }
    // A schema nested 200 levels through `properties`, `items` and `allOf` in turn.
    let mut deep_schema = json!({"type": "string"});
    for i in 0..200 {
        deep_schema = match i % 3 {
            0 => json!({"type": "object", "properties": {"a": deep_schema}}),
            1 => json!({"type": "array", "items": deep_schema}),
            _ => json!({"allOf": [deep_schema]}),
        };
    }
    // 40 levels: within every limit, must generate.
    let mut moderate = json!({"type": "integer", "minimum": 1});
    for i in 0..40 {
        moderate = if i % 2 == 0 {
            json!({"type": "object", "required": ["n"], "properties": {"n": moderate}})
        } else {
            json!({"type": "array", "items": moderate, "maxItems": 3})
        };
    }
    let enum_values: Vec<Value> = (0..10_000).map(|i| json!(format!("v{i}-{}", i % 7))).collect();
    let mut schemas = serde_json::Map::new();
    for i in 0..5_000 {
        let next = format!("#/components/schemas/S{}", (i + 1) % 5_000);
        schemas.insert(format!("S{i}"), json!({"type": "object", "properties": {"id": {"type": "integer"}, "next": {"$ref": next}}}));
    }
    // A chain of 3,000 aliases: S0 -> S1 -> ... -> a string.
    let mut chain = serde_json::Map::new();
    for i in 0..3_000 {
        chain.insert(format!("C{i}"), json!({"$ref": format!("#/components/schemas/C{}", i + 1)}));
    }
    chain.insert("C3000".into(), json!({"type": "string"}));
    let wide_all_of: Vec<Value> = (0..1_000).map(|i| json!({"type": "object", "properties": {format!("p{i}"): {"type": "integer"}}})).collect();
    let many_paths: serde_json::Map<String, Value> =
        (0..1_500).map(|i| (format!("/r{i}/{{id}}"), json!({"get": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}}}))).collect();
    let huge_description = "x*/\"#".repeat(400_000);
    let mut out = vec![
        text_case(c, "yaml billion laughs", Refuse, "openapi.yaml", laughs),
        text_case(c, "yaml 2000 aliases", Either, "openapi.yaml", many_aliases),
        text_case(c, "json 100k nested arrays", Refuse, "openapi.json", deep_json_arrays),
        text_case(c, "json 100k nested objects", Refuse, "openapi.json", deep_json_objects),
        text_case(c, "yaml 100k nested flow sequences", Refuse, "openapi.yaml", deep_yaml_flow),
        text_case(c, "yaml 100k nested flow mappings", Refuse, "openapi.yaml", deep_yaml_objects),
        text_case(c, "yaml 5k nested block sequences", Refuse, "openapi.yaml", deep_yaml_block),
        json_case(c, "schema nested 200 levels (in-memory depth)", Either, doc(echo(json!({"$ref": "#/components/schemas/D"})), json!({"D": deep_schema}))),
        json_case(c, "schema nested 40 levels", Expect::Generate, doc(echo(moderate), json!({}))),
        json_case(c, "10k enum values", Either, doc(uses("E"), json!({"E": {"type": "string", "enum": enum_values}}))),
        json_case(c, "5k schemas in a cycle", Either, doc(uses("S0"), Value::Object(schemas))),
        json_case(c, "3k alias chain", Either, doc(uses("C0"), Value::Object(chain))),
        json_case(c, "allOf of 1k members", Either, doc(uses("W"), json!({"W": {"allOf": wide_all_of}}))),
        json_case(c, "1.5k paths", Either, json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": many_paths})),
        json_case(c, "2MB description", Either, doc(uses("A"), json!({"A": {"type": "string", "description": huge_description}}))),
    ];
    for case in &mut out[7..] {
        case.compile = matches!(case.name.as_str(), "schema nested 40 levels" | "allOf of 1k members");
    }
    out
}

fn refs() -> Vec<Case> {
    use Expect::{Either, Generate};
    let c = "references";
    let s = |schemas: Value, root: &str| doc(uses(root), schemas);
    let outside = |reference: &str| Input::Files {
        root: "spec/openapi.yaml".into(),
        files: vec![
            (
                "spec/openapi.yaml".into(),
                format!(
                    "openapi: 3.1.0\ninfo: {{title: x, version: '1'}}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {{$ref: '{reference}'}}\n      responses:\n        '200': {{description: ok}}\n"
                ),
            ),
            ("secret.yaml".into(), "type: string\ndescription: SECRET-MARKER-OUTSIDE-THE-TREE\n".into()),
            ("spec/inside.yaml".into(), "type: string\n".into()),
        ],
    };
    let on_disk = |name: &str, expect, reference: &str| case(c, name, expect, outside(reference));
    vec![
        json_case(c, "self reference", Either, s(json!({"A": {"$ref": "#/components/schemas/A"}}), "A")),
        json_case(c, "two-step cycle of aliases", Either, s(json!({"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}), "A")),
        json_case(
            c,
            "recursion through properties",
            Generate,
            s(
                json!({"T": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/components/schemas/T"}}, "me": {"$ref": "#/components/schemas/T"}}}}),
                "T",
            ),
        ),
        json_case(
            c,
            "recursion through allOf and oneOf",
            Either,
            s(json!({"A": {"allOf": [{"$ref": "#/components/schemas/B"}]}, "B": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"type": "string"}]}}), "A"),
        ),
        json_case(
            c,
            "recursion through additionalProperties",
            Generate,
            s(json!({"M": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/M"}}}), "M"),
        ),
        json_case(
            c,
            "alias chain to a string",
            Generate,
            s(json!({"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/C"}, "C": {"type": "string", "minLength": 2}}), "A"),
        ),
        json_case(c, "remote http ref", Either, s(json!({"A": {"$ref": "http://example.com/schema.json"}}), "A")),
        json_case(c, "remote https ref with pointer", Either, s(json!({"A": {"$ref": "https://example.com/s.yaml#/A"}}), "A")),
        json_case(c, "absolute path ref", Either, s(json!({"A": {"$ref": "/etc/passwd"}}), "A")),
        json_case(c, "file url ref", Either, s(json!({"A": {"$ref": "file:///etc/passwd"}}), "A")),
        on_disk("dot-dot ref on disk", Either, "../secret.yaml"),
        on_disk("encoded dot-dot ref on disk", Either, "..%2Fsecret.yaml"),
        on_disk("dot-dot inside then out", Either, "./x/../../secret.yaml"),
        on_disk("absolute path on disk", Either, "/etc/hostname"),
        on_disk("windows path on disk", Either, "C:\\secret.yaml"),
        on_disk("inside the tree on disk", Generate, "inside.yaml"),
        json_case(
            c,
            "ref to a parameter",
            Either,
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": uses("A"), "components": {"schemas": {"A": {"$ref": "#/components/parameters/P"}}, "parameters": {"P": {"name": "p", "in": "query", "schema": {"type": "string"}}}}}),
        ),
        json_case(c, "ref to info", Either, s(json!({"A": {"$ref": "#/info"}}), "A")),
        json_case(c, "ref to paths", Either, s(json!({"A": {"$ref": "#/paths"}}), "A")),
        json_case(c, "ref to the root", Either, s(json!({"A": {"$ref": "#"}}), "A")),
        json_case(c, "ref to a string value", Either, s(json!({"A": {"$ref": "#/openapi"}}), "A")),
        json_case(c, "empty ref", Either, s(json!({"A": {"$ref": ""}}), "A")),
        json_case(c, "dangling ref", Either, s(json!({"A": {"$ref": "#/components/schemas/Nope"}}), "A")),
        json_case(c, "ref not a string", Either, s(json!({"A": {"$ref": 5}}), "A")),
        json_case(c, "ref with bad escapes", Either, s(json!({"A": {"$ref": "#/components/schemas/~2x%zz"}}), "A")),
        json_case(c, "ref with escaped slash", Generate, s(json!({"a/b~c": {"type": "string"}, "A": {"$ref": "#/components/schemas/a~1b~0c"}}), "A")),
        json_case(
            c,
            "parameter ref to a schema",
            Either,
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/schemas/S"}], "responses": {"200": {"description": "ok"}}}}}, "components": {"schemas": {"S": {"type": "string"}}}}),
        ),
        json_case(
            c,
            "parameter ref cycle",
            Either,
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/P"}], "responses": {"200": {"description": "ok"}}}}}, "components": {"parameters": {"P": {"$ref": "#/components/parameters/Q"}, "Q": {"$ref": "#/components/parameters/P"}}}}),
        ),
        json_case(
            c,
            "response ref cycle",
            Either,
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/R"}}}}}, "components": {"responses": {"R": {"$ref": "#/components/responses/R"}}}}),
        ),
        json_case(
            c,
            "path item ref to itself",
            Either,
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"$ref": "#/paths/~1a"}}}),
        ),
        json_case(
            c,
            "discriminator mapping to nowhere and to info",
            Either,
            s(
                json!({"U": {"oneOf": [{"$ref": "#/components/schemas/X"}], "discriminator": {"propertyName": "k", "mapping": {"a": "#/info", "b": "Nope", "c": "../x.json"}}}, "X": {"type": "object", "properties": {"k": {"type": "string"}}}}),
                "U",
            ),
        ),
        json_case(c, "$id tricks", Either, s(json!({"A": {"$id": "http://evil/", "$ref": "x.json"}, "B": {"$id": "file:///etc/", "$ref": "passwd"}}), "A")),
    ]
}

fn identifiers() -> Vec<Case> {
    use Expect::{Either, Generate};
    let c = "identifiers";
    let mut out = Vec::new();
    // Every keyword and every generated item as schema names, property names, enum values and
    // operation ids; the schemas reference each other so all are emitted.
    for (label, names) in [("keywords", KEYWORDS), ("generated item names", GENERATED_ITEMS)] {
        let mut schemas = serde_json::Map::new();
        let props: serde_json::Map<String, Value> = names.iter().map(|n| (n.to_string(), json!({"type": "string"}))).collect();
        for n in names.iter() {
            schemas.insert(n.to_string(), json!({"type": "object", "properties": props.clone(), "required": [names[0]]}));
        }
        schemas.insert("EnumOfNames".into(), json!({"type": "string", "enum": names}));
        let refs: serde_json::Map<String, Value> =
            names.iter().map(|n| (n.to_string(), json!({"$ref": format!("#/components/schemas/{}", n.replace('~', "~0").replace('/', "~1"))}))).collect();
        schemas.insert("All".into(), json!({"type": "object", "properties": refs, "additionalProperties": {"$ref": "#/components/schemas/EnumOfNames"}}));
        let mut paths = serde_json::Map::new();
        for (i, n) in names.iter().enumerate() {
            paths.insert(format!("/{label}/{i}/{{{n}}}"), json!({"post": {
                "operationId": n,
                "parameters": [
                    {"name": n, "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": n, "in": "query", "schema": {"type": "string"}},
                    {"name": n, "in": "header", "schema": {"type": "string"}},
                ],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/All"}}}},
                "responses": {"200": {"description": "ok", "headers": {n.to_string(): {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{n}")}}}}, "default": {"description": "e"}}
            }}));
        }
        out.push(json_case(c, &format!("{label} in every name slot"), Generate, doc(Value::Object(paths), Value::Object(schemas))));
    }
    for (label, names) in [
        ("empty names", vec!["", " ", "_", "-", "__"]),
        ("non-ASCII names", vec!["café", "cafe", "Café", "日本", "Ri Ben", "ǅ", "ß", "ﬁ", "İ", "Ω", "\u{301}"]),
        ("emoji names", vec!["🙂", "🙃", "👨‍👩‍👧", "🇫🇷", "x🙂", "x🙃"]),
        ("case collisions", vec!["FooBar", "foo_bar", "foo-bar", "FOO_BAR", "fooBar", "foo bar", "Foo.Bar", "foo__bar", "FooBar2", "FooBar_2"]),
        ("digits and punctuation", vec!["123", "1", "0x", "+", "-", "+1", "-1", "1.5", "$", "@", "#", "::", "a::b", "r#x", "<T>", "a,b"]),
        (
            "names of derived types",
            vec![
                "Echo",
                "EchoParams",
                "EchoRequest",
                "EchoResponse",
                "EchoResponse200",
                "EchoError",
                "EchoSuccess",
                "EchoRequestBody",
                "validate_echo",
                "ValidateEcho",
            ],
        ),
    ] {
        let mut schemas = serde_json::Map::new();
        let props: serde_json::Map<String, Value> = names.iter().map(|n| (n.to_string(), json!({"type": "integer"}))).collect();
        let refs: serde_json::Map<String, Value> =
            names.iter().map(|n| (format!("r{n}"), json!({"$ref": format!("#/components/schemas/{}", n.replace('~', "~0").replace('/', "~1"))}))).collect();
        for n in &names {
            schemas.insert(n.to_string(), json!({"type": "object", "properties": props.clone(), "additionalProperties": {"type": "string"}}));
        }
        schemas.insert("Variants".into(), json!({"type": "string", "enum": names}));
        schemas.insert("Root".into(), json!({"type": "object", "properties": refs, "required": [format!("r{}", names[0])], "x-v": "y"}));
        schemas.insert("Union".into(), json!({"oneOf": names.iter().map(|n| json!({"$ref": format!("#/components/schemas/{}", n.replace('~', "~0").replace('/', "~1"))})).collect::<Vec<_>>()}));
        let mut paths = serde_json::Map::new();
        for (i, n) in names.iter().enumerate() {
            paths.insert(format!("/{i}"), json!({"get": {"operationId": n, "parameters": [{"name": n, "in": "query", "schema": {"$ref": "#/components/schemas/Variants"}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Union"}}}}}}}));
        }
        paths.insert("/echo".into(), uses("Root")["/echo"].clone());
        out.push(json_case(c, label, Generate, doc(Value::Object(paths), Value::Object(schemas))));
    }
    let arg_names = [
        "configuration",
        "body",
        "params",
        "ctx",
        "self",
        "principal",
        "client",
        "request",
        "response",
        "headers",
        "path",
        "query",
        "api",
        "state",
        "req",
        "res",
        "url",
        "builder",
        "value",
        "status",
        "e",
        "err",
        "_",
    ];
    let params: Vec<Value> =
        arg_names.iter().flat_map(|n| ["query", "header", "cookie"].map(|loc| json!({"name": n, "in": loc, "schema": {"type": "string"}}))).collect();
    let mut path_params = params.clone();
    path_params.extend(arg_names.iter().map(|n| json!({"name": n, "in": "path", "required": true, "schema": {"type": "integer"}})));
    let template: String = arg_names.iter().map(|n| format!("/{{{n}}}")).collect();
    out.push(json_case(c, "parameters named like generated arguments", Generate, doc(json!({
        template: {"post": {"operationId": "call", "parameters": path_params, "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"body": {"type": "string"}}}}}}, "responses": {"200": {"description": "ok"}}}},
        "/q": ok_get(Value::Array(params)),
    }), json!({}))));
    out.push(json_case(c, "operation ids colliding with methods", Generate, doc(json!({
        "/a": {"get": {"operationId": "new", "responses": {"200": {"description": "ok"}}}, "put": {"operationId": "router", "responses": {"200": {"description": "ok"}}}, "post": {"operationId": "authenticate", "responses": {"200": {"description": "ok"}}}, "delete": {"operationId": "clone", "responses": {"200": {"description": "ok"}}}},
        "/b": {"get": {"operationId": "get_x", "responses": {"200": {"description": "ok"}}}, "put": {"operationId": "getX", "responses": {"200": {"description": "ok"}}}, "post": {"operationId": "GetX", "responses": {"200": {"description": "ok"}}}, "patch": {"operationId": "", "responses": {"200": {"description": "ok"}}}, "delete": {"operationId": "🙂", "responses": {"200": {"description": "ok"}}}},
        "/c": {"get": {"operationId": "with_bearer_token", "responses": {"200": {"description": "ok"}}}, "post": {"operationId": "fmt", "responses": {"200": {"description": "ok"}}}, "put": {"operationId": "rejection_response", "responses": {"200": {"description": "ok"}}}, "patch": {"operationId": "error_response", "responses": {"200": {"description": "ok"}}}, "delete": {"operationId": "into_future", "responses": {"200": {"description": "ok"}}}, "head": {"operationId": "send", "responses": {"200": {"description": "ok"}}}, "options": {"operationId": "drop", "responses": {"200": {"description": "ok"}}}, "trace": {"operationId": "type", "responses": {"200": {"description": "ok"}}}},
    }), json!({}))));
    out.push(json_case(c, "enum values colliding after case conversion", Generate, doc(uses("E"), json!({"E": {"type": "string", "enum": ["ASC", "asc", "Asc", "a_sc", "UnknownValue", "unknown_value", "", " ", "Self", "self", "🙂", "🙃", "1", "N1"]}}))));
    out.push(json_case(c, "properties colliding with the extras field", Generate, doc(uses("P"), json!({"P": {"type": "object", "properties": {"additional_properties": {"type": "string"}, "additionalProperties": {"type": "integer"}, "a_b": {"type": "string"}, "aB": {"type": "string"}, "a-b": {"type": "string"}}, "additionalProperties": {"type": "boolean"}}}))));
    out.push(json_case(c, "security scheme and tag names", Generate, json!({
        "openapi": "3.1.0", "info": {"title": "x", "version": "1"},
        "security": [{"self": []}, {"🙂 key": [], "Api": []}],
        "paths": {"/a": {"get": {"tags": ["type", "🙂"], "responses": {"200": {"description": "ok"}}}}},
        "components": {"securitySchemes": {"self": {"type": "http", "scheme": "bearer"}, "🙂 key": {"type": "apiKey", "in": "header", "name": "X-🙂"}, "Api": {"type": "apiKey", "in": "cookie", "name": "ctx"}}}
    })));
    out.push(json_case(
        c,
        "title makes no crate name",
        Either,
        json!({"openapi": "3.1.0", "info": {"title": "🙂 -- v1 API", "version": "not semver \"x\""}, "paths": {}}),
    ));
    out
}

fn injections() -> Vec<Case> {
    use Expect::Generate;
    let c = "injection";
    let mut out = Vec::new();
    for (i, chunk) in INJECTIONS.chunks(8).enumerate() {
        let all = chunk.concat();
        let props: serde_json::Map<String, Value> = chunk
            .iter()
            .map(|s| {
                (s.to_string(), json!({"type": "string", "description": s, "title": s, "default": s, "examples": [s], "example": s, "enum": [s, all.clone(), "plain"], "deprecated": true}))
            })
            .collect();
        let pattern = regex_escape(&all);
        let spec = json!({
            "openapi": "3.1.0",
            "info": {"title": all, "version": all, "description": all, "summary": all, "license": {"name": all}, "contact": {"name": all, "url": all}},
            "servers": chunk.iter().map(|s| json!({"url": format!("https://x{s}/v1"), "description": s})).collect::<Vec<_>>(),
            "tags": [{"name": all, "description": all}],
            "paths": {format!("/a{}/{{id}}", chunk[0].replace(['{', '}', '?', '#', '/'], "_")): {
                "summary": all, "description": all,
                "post": {
                    "operationId": all, "summary": all, "description": all,
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "description": all, "schema": {"type": "string", "pattern": pattern, "description": all, "default": all}, "example": all},
                        {"name": format!("q{all}"), "in": "query", "description": all, "schema": {"type": "string", "enum": chunk}},
                        {"name": format!("X-H{}", i), "in": "header", "description": all, "schema": {"type": "string", "const": all}},
                    ],
                    "requestBody": {"description": all, "content": {"application/json": {"schema": {"type": "object", "description": all, "title": all, "properties": props, "required": [chunk[0]], "example": {"k": all}}, "example": all}}},
                    "responses": {
                        "200": {"description": all, "headers": {format!("X-R{all}"): {"description": all, "schema": {"type": "string", "pattern": pattern}}}, "content": {"application/json": {"schema": {"type": "string", "enum": chunk, "description": all}}}},
                        "default": {"description": all}
                    }
                }
            }},
            "components": {"schemas": {all.clone(): {"type": "string", "title": all, "description": all, "format": all, "pattern": pattern}}}
        });
        out.push(json_case(c, &format!("injections {}", i + 1), Generate, spec));
    }
    out.push(json_case(
        c,
        "header names with odd characters",
        Generate,
        doc(
            json!({"/h": ok_get(json!([
                {"name": "X-\"evil", "in": "header", "schema": {"type": "string"}},
                {"name": "X évil", "in": "header", "schema": {"type": "string"}},
                {"name": "", "in": "header", "schema": {"type": "string"}},
                {"name": "Content-Type", "in": "header", "schema": {"type": "string"}},
                {"name": "a\nb", "in": "cookie", "schema": {"type": "string"}},
                {"name": "a b", "in": "query", "schema": {"type": "string"}},
                {"name": "a[b]", "in": "query", "style": "deepObject", "schema": {"type": "object", "properties": {"*/": {"type": "string"}}}},
            ]))}),
            json!({}),
        ),
    ));
    out.push(json_case(c, "patterns that are not regexes", Expect::Either, doc(uses("P"), json!({"P": {"type": "object", "properties": {
        "a": {"type": "string", "pattern": "("}, "b": {"type": "string", "pattern": "\\"}, "c": {"type": "string", "pattern": "(?<n>a)\\k<n>"}, "d": {"type": "string", "pattern": "[z-a]"},
        "e": {"type": "string", "pattern": "\u{0}"}, "f": {"type": "string", "pattern": "(a+)+$"}, "g": {"type": "string", "pattern": "\\p{Nope}"}, "h": {"type": "string", "pattern": "x{99999999999}"}
    }}}))));
    out.push(json_case(c, "format values nobody planned for", Generate, doc(uses("F"), json!({"F": {"type": "object", "properties": {
        "a": {"type": "string", "format": "*/"}, "b": {"type": "string", "format": ""}, "c": {"type": "integer", "format": "int128"}, "d": {"type": "number", "format": "decimal🙂"}, "e": {"type": "string", "format": "uuid\u{0}"}
    }}}))));
    out
}

fn regex_escape(s: &str) -> String {
    let mut out = String::from("^");
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else {
            out.push_str(&format!("\\u{:04x}", ch as u32 & 0xffff));
        }
    }
    out.push('$');
    out
}

fn numbers() -> Vec<Case> {
    use Expect::{Either, Generate};
    let c = "numbers";
    let raw = |body: &str| {
        format!(
            "{{\"openapi\": \"3.1.0\", \"info\": {{\"title\": \"x\", \"version\": \"1\"}}, \"paths\": {}, \"components\": {{\"schemas\": {{\"N\": {body}}}}}}}",
            echo(json!({"$ref": "#/components/schemas/N"}))
        )
    };
    let mut out = vec![
        text_case(c, "1e400 maximum (json)", Either, "openapi.json", raw("{\"type\": \"number\", \"maximum\": 1e400}")),
        text_case(c, "-1e400 minimum (json)", Either, "openapi.json", raw("{\"type\": \"number\", \"minimum\": -1e400}")),
        text_case(
            c,
            "1e400 in yaml",
            Either,
            "openapi.yaml",
            "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    N: {type: number, maximum: 1e400, minimum: -1e400, multipleOf: .inf, default: .nan}\n",
        ),
        text_case(
            c,
            "2^64 as bounds",
            Generate,
            "openapi.json",
            raw("{\"type\": \"integer\", \"minimum\": -18446744073709551616, \"maximum\": 18446744073709551616, \"exclusiveMaximum\": 18446744073709551617}"),
        ),
        text_case(c, "2^64 as multipleOf", Either, "openapi.json", raw("{\"type\": \"integer\", \"multipleOf\": 18446744073709551616}")),
        text_case(
            c,
            "2^64 in enum and default",
            Either,
            "openapi.json",
            raw("{\"type\": \"integer\", \"enum\": [18446744073709551616, -9223372036854775809, 1], \"default\": 18446744073709551616}"),
        ),
        text_case(c, "2^64 as const of a number", Generate, "openapi.json", raw("{\"type\": \"number\", \"const\": 18446744073709551616}")),
        text_case(
            c,
            "2^64 as lengths",
            Either,
            "openapi.json",
            raw(
                "{\"type\": \"object\", \"properties\": {\"s\": {\"type\": \"string\", \"maxLength\": 18446744073709551616, \"minLength\": 18446744073709551615}, \"a\": {\"type\": \"array\", \"maxItems\": 1e30, \"minItems\": -1}}, \"maxProperties\": 18446744073709551615}",
            ),
        ),
        text_case(
            c,
            "tiny and zero multipleOf",
            Either,
            "openapi.json",
            raw(
                "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\", \"multipleOf\": 1e-400}, \"b\": {\"type\": \"number\", \"multipleOf\": 0}, \"c\": {\"type\": \"number\", \"multipleOf\": -2}, \"d\": {\"type\": \"number\", \"multipleOf\": 5e-324}}}",
            ),
        ),
        text_case(
            c,
            "f64 extremes on an integer",
            Generate,
            "openapi.json",
            raw("{\"type\": \"integer\", \"minimum\": -1.7976931348623157e308, \"maximum\": 1.7976931348623157e308, \"multipleOf\": 0.5}"),
        ),
        text_case(
            c,
            "contradictory bounds",
            Generate,
            "openapi.json",
            raw("{\"type\": \"integer\", \"minimum\": 10, \"maximum\": 1, \"exclusiveMinimum\": 10, \"format\": \"int32\", \"default\": 9223372036854775807}"),
        ),
        text_case(
            c,
            "integer format overflows",
            Generate,
            "openapi.json",
            raw(
                "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\", \"format\": \"int32\", \"maximum\": 1e12, \"default\": 1e12}, \"b\": {\"type\": \"integer\", \"format\": \"uint8\", \"minimum\": -5}, \"c\": {\"type\": \"integer\", \"format\": \"int64\", \"minimum\": 1.5}}}",
            ),
        ),
        text_case(
            c,
            "3.0 exclusive booleans with huge bounds",
            Generate,
            "openapi.json",
            doc30(echo(json!({"type": "number", "maximum": 1.0e300, "exclusiveMaximum": true, "minimum": -1.0e300, "exclusiveMinimum": true})), json!({}))
                .to_string(),
        ),
    ];
    out.push(json_case(
        c,
        "numbers in string slots",
        Either,
        doc(uses("N"), json!({"N": {"type": "string", "maxLength": 3.5, "pattern": 12, "format": 1, "description": 1e300, "enum": [1, "a", null, true, 1.5]}})),
    ));
    out
}

fn statuses() -> Vec<Case> {
    use Expect::{Either, Generate};
    let c = "status keys";
    let with = |responses: Value| doc(json!({"/s": {"get": {"operationId": "s", "responses": responses}}}), json!({}));
    let body = |n: i32| json!({"description": "d", "content": {"application/json": {"schema": {"type": "integer", "minimum": n}}}});
    vec![
        json_case(c, "euro sign", Either, with(json!({"€": body(1), "200": body(2)}))),
        json_case(c, "non-ASCII status keys", Either, with(json!({"2€": body(1), "é0": body(1), "€XX": body(1), "4é": body(1), "200": body(2)}))),
        json_case(
            c,
            "2XX overlapping 200 and default",
            Generate,
            with(json!({"200": body(1), "2XX": body(2), "default": body(3), "4XX": body(4), "404": body(5)})),
        ),
        json_case(c, "lower-case ranges", Generate, with(json!({"2xx": body(1), "5xx": body(2), "1XX": body(3), "3XX": body(4)}))),
        json_case(c, "same range twice", Either, with(json!({"2XX": body(1), "2xx": body(2)}))),
        json_case(c, "999 and 100", Either, with(json!({"999": body(1), "100": body(2), "600": body(3), "000": body(4), "099": body(5)}))),
        json_case(c, "empty status", Either, with(json!({"": body(1), "200": body(2)}))),
        json_case(
            c,
            "odd lengths",
            Either,
            with(json!({"2": body(1), "20": body(1), "2000": body(1), "0XX": body(1), "9XX": body(1), "XX2": body(1), "X": body(1)})),
        ),
        json_case(c, "DEFAULT and x- keys", Either, with(json!({"DEFAULT": body(1), "x-200": body(1), "200": body(2)}))),
        json_case(c, "only default", Generate, with(json!({"default": body(1)}))),
        json_case(c, "no responses", Either, with(json!({}))),
        text_case(
            c,
            "yaml integer status keys",
            Generate,
            "openapi.yaml",
            "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /s:\n    get:\n      responses:\n        200: {description: ok}\n        404: {description: nf}\n        2XX: {description: r}\n",
        ),
    ]
}

fn media_types() -> Vec<Case> {
    use Expect::{Either, Generate};
    let c = "media types";
    let obj = json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 1}, "b": {"type": "string", "maxLength": 4}}});
    let with = |content: Value| {
        doc(
            json!({"/m": {"post": {"operationId": "m", "requestBody": {"required": true, "content": content.clone()}, "responses": {"200": {"description": "ok", "content": content}}}}}),
            json!({}),
        )
    };
    vec![
        json_case(
            c,
            "json and form, each validated",
            Generate,
            with(json!({"application/json": {"schema": obj.clone()}, "application/x-www-form-urlencoded": {"schema": obj.clone()}})),
        ),
        json_case(
            c,
            "json, form and multipart with the same ref",
            Generate,
            doc(
                json!({"/m": {"post": {"requestBody": {"content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/O"}}, "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/O"}}, "multipart/form-data": {"schema": {"$ref": "#/components/schemas/O"}}
        }}, "responses": {"200": {"description": "ok"}}}}}),
                json!({"O": obj.clone()}),
            ),
        ),
        json_case(c, "wildcards", Generate, with(json!({"*/*": {"schema": obj.clone()}, "application/*": {"schema": {"type": "string"}}}))),
        json_case(
            c,
            "parameters and upper case",
            Generate,
            with(
                json!({"APPLICATION/JSON; charset=UTF-8": {"schema": obj.clone()}, "Application/Json": {"schema": obj.clone()}, "text/plain; charset=\"utf-8\"": {"schema": {"type": "string"}}}),
            ),
        ),
        json_case(
            c,
            "vendor json and problem json",
            Generate,
            with(
                json!({"application/vnd.api+json": {"schema": obj.clone()}, "application/problem+json": {"schema": obj.clone()}, "application/json": {"schema": {"type": "string"}}}),
            ),
        ),
        json_case(
            c,
            "media types without slash or empty",
            Either,
            with(json!({"json": {"schema": obj.clone()}, "": {"schema": obj.clone()}, "/": {}, "a/b/c": {}})),
        ),
        json_case(
            c,
            "media types without schema",
            Generate,
            with(json!({"image/png": {}, "application/octet-stream": {}, "text/html": {"schema": {"type": "string", "maxLength": 3}}})),
        ),
        json_case(
            c,
            "form with nested and odd fields",
            Generate,
            with(
                json!({"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"a[b]": {"type": "object", "properties": {"c": {"type": "integer"}}}, "": {"type": "array", "items": {"type": "number"}}, "🙂": {"type": "boolean"}}}, "encoding": {"a[b]": {"style": "deepObject", "explode": true}, "nope": {}}}}),
            ),
        ),
        json_case(
            c,
            "multipart with odd part names and encodings",
            Generate,
            with(
                json!({"multipart/form-data": {"schema": {"type": "object", "required": ["other", "🙂"], "properties": {"other": {"type": "string", "format": "binary"}, "a\"b": {"type": "array", "items": {"type": "string", "contentMediaType": "image/*"}}, "": {"type": "integer"}, "🙂": {"type": "object", "properties": {"x": {"type": "boolean"}}}, "r#type": {"type": "array", "items": {"type": "integer"}}}}, "encoding": {"other": {"contentType": "a\"b/c, */*", "headers": {"X-\"Q": {"required": true, "schema": {"type": "integer"}}, "Content-Type": {"schema": {"type": "string"}}}}, "": {"contentType": "application/json"}, "missing": {"contentType": "text/plain"}}}}),
            ),
        ),
        json_case(
            c,
            "form body not an object",
            Either,
            with(
                json!({"application/x-www-form-urlencoded": {"schema": {"type": "array", "items": {"type": "string"}}}, "multipart/form-data": {"schema": {"type": "string"}}}),
            ),
        ),
        json_case(
            c,
            "text body with json schema",
            Generate,
            with(json!({"text/plain": {"schema": obj.clone()}, "application/json": {"schema": {"type": "integer"}}})),
        ),
    ]
}

fn paths() -> Vec<Case> {
    use Expect::{Either, Generate};
    let c = "paths";
    let p = |name: &str| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
    let one = |path: &str, params: Value| doc(json!({path: ok_get(params)}), json!({}));
    vec![
        json_case(c, "no leading slash", Either, one("a/b", json!([]))),
        json_case(c, "double slash", Generate, one("//a//b/", json!([]))),
        json_case(c, "empty braces", Either, one("/a/{}", json!([]))),
        json_case(c, "adjacent templates", Either, one("/a/{a}{b}", json!([p("a"), p("b")]))),
        json_case(c, "unbalanced braces", Either, one("/a/{a/b}/}{/{", json!([p("a")]))),
        json_case(c, "non-ASCII path and parameter", Generate, one("/é/{ü}/🙂", json!([p("ü")]))),
        json_case(c, "query string and fragment in path", Either, one("/a?b=1#frag", json!([]))),
        json_case(
            c,
            "templates that differ only in names",
            Either,
            doc(json!({"/a/{id}": ok_get(json!([p("id")])), "/a/{name}": ok_get(json!([p("name")])), "/a/b": ok_get(json!([]))}), json!({})),
        ),
        json_case(c, "the root and the empty path", Either, doc(json!({"/": ok_get(json!([])), "": ok_get(json!([]))}), json!({}))),
        json_case(c, "spaces, percent and colon", Generate, one("/a b/%20/{x}:do/*", json!([p("x")]))),
        json_case(c, "undeclared and missing path parameters", Either, one("/a/{x}", json!([p("y")]))),
        json_case(c, "the same template twice", Either, one("/{a}/{a}", json!([p("a")]))),
        json_case(
            c,
            "path parameter not required and with a complex schema",
            Either,
            one(
                "/a/{x}",
                json!([{"name": "x", "in": "path", "schema": {"type": "object", "properties": {"🙂": {"type": "integer"}}}, "style": "matrix", "explode": true}]),
            ),
        ),
        json_case(
            c,
            "parameters of every style",
            Generate,
            one(
                "/s/{l}/{m}/{x}",
                json!([
                    {"name": "l", "in": "path", "required": true, "style": "label", "explode": true, "schema": {"type": "array", "items": {"type": "integer"}}},
                    {"name": "m", "in": "path", "required": true, "style": "matrix", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}},
                    {"name": "x", "in": "path", "required": true, "style": "simple", "schema": {"type": "boolean"}},
                    {"name": "f", "in": "query", "style": "form", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "s", "in": "query", "style": "spaceDelimited", "schema": {"type": "array", "items": {"type": "number"}}},
                    {"name": "p", "in": "query", "style": "pipeDelimited", "schema": {"type": "array", "items": {"type": "integer"}}},
                    {"name": "d", "in": "query", "style": "deepObject", "schema": {"type": "object", "additionalProperties": {"type": "integer"}}},
                    {"name": "j", "in": "query", "content": {"application/json": {"schema": {"type": "object"}}}},
                    {"name": "h", "in": "header", "style": "simple", "explode": true, "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}},
                    {"name": "c", "in": "cookie", "style": "form", "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "bad", "in": "query", "style": "matrix", "schema": {"type": "string"}},
                ]),
            ),
        ),
        json_case(
            c,
            "webhooks and callbacks with odd keys",
            Either,
            json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"callbacks": {"cb": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok"}}}}}}, "responses": {"200": {"description": "ok"}}}}}, "webhooks": {"": {"post": {"responses": {"€": {"description": "x"}}}}}}),
        ),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for group in [malformed(), bombs(), refs(), identifiers(), injections(), numbers(), statuses(), media_types(), paths(), regressions()] {
        cases.extend(group);
    }
    cases
}

/// Inputs the fuzz targets found (see `fuzz/`), kept as regression cases.
fn regressions() -> Vec<Case> {
    let dir = project_root().join("tests/fixtures/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            let bytes = std::fs::read(&path).ok()?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Some(case("fuzz regressions", &name.clone(), Expect::Either, Input::Text { name, text }))
        })
        .collect()
}

#[derive(Debug)]
enum Outcome {
    Generated(Box<Generated>),
    Refused(Vec<codegen::Diagnostic>),
    Internal(String),
    Panicked(String),
    TimedOut,
}

fn run(case: &Case, index: usize, options: Options) -> (Outcome, Duration) {
    let input = case.input.clone();
    let dir = project_root().join("target/hostile-specs").join(format!("case-{index}"));
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::Builder::new()
        .name(format!("hostile-{index}"))
        .spawn(move || {
            let result = std::panic::catch_unwind(move || match input {
                Input::Text { name, text } => codegen::generate_str(&name, &text, &options),
                Input::Files { root, files } => {
                    let _ = std::fs::remove_dir_all(&dir);
                    for (path, text) in &files {
                        let path = dir.join(path);
                        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                        std::fs::write(path, text).expect("write spec file");
                    }
                    codegen::generate(&dir.join(root), &options)
                }
            });
            let outcome = match result {
                Ok(Ok(g)) => Outcome::Generated(Box::new(g)),
                Ok(Err(GenerateError::Spec(d))) => Outcome::Refused(d),
                Ok(Err(GenerateError::Internal(e))) => Outcome::Internal(e),
                Err(p) => {
                    Outcome::Panicked(p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default())
                }
            };
            let _ = tx.send(outcome);
        })
        .expect("spawn");
    let outcome = rx.recv_timeout(TIME_BOUND).unwrap_or(Outcome::TimedOut);
    (outcome, start.elapsed())
}

fn slug(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s.split('-').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("-")
}

/// `crate::` (and `$crate::`, and prettyplease's `crate ::` inside macro calls) paths of a
/// generated file, moved under `module`.
fn rebase(text: &str, module: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    let mut rest = text;
    while let Some(at) = rest.find("crate") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        out.push_str("crate");
        rest = &after["crate".len()..];
        let standalone = !before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        if standalone && rest[spaces..].starts_with("::") {
            out.push_str(&format!("::{module}"));
        }
    }
    out.push_str(rest);
    out
}

/// Merges the generated manifests' `[features]` and `[dependencies.*]` tables (every case
/// declares the same features; their lists and the dependencies differ with the spec).
fn merged_manifest(package: &str, manifests: &[&str]) -> String {
    // The toolchain facts of the package (`edition`, `rust-version`: clippy's suggestions
    // follow the declared MSRV) as the generator writes them.
    let mut package_keys = Vec::new();
    let mut features: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut dependencies: BTreeMap<String, String> = BTreeMap::new();
    for manifest in manifests {
        let mut section = String::new();
        for line in manifest.lines() {
            if line.starts_with('[') {
                section = line.trim().to_string();
                continue;
            }
            if section == "[package]" && (line.starts_with("edition = ") || line.starts_with("rust-version = ")) {
                if !package_keys.iter().any(|k: &String| k == line) {
                    package_keys.push(line.to_string());
                }
            } else if section == "[features]" {
                if let Some((name, list)) = line.split_once(" = ") {
                    let entry = features.entry(name.trim().to_string()).or_default();
                    for item in list.trim_matches(|c| c == '[' || c == ']').split(',').map(str::trim).filter(|x| !x.is_empty()) {
                        if !entry.iter().any(|e| e == item) {
                            entry.push(item.to_string());
                        }
                    }
                }
            } else if let Some(dep) = section.strip_prefix("[dependencies.") {
                let table = dependencies.entry(dep.trim_end_matches(']').to_string()).or_default();
                if !table.lines().any(|l| l == line) && !line.trim().is_empty() {
                    table.push_str(line);
                    table.push('\n');
                }
            }
        }
    }
    let mut out = format!(
        "[package]\nname = \"{package}\"\nversion = \"0.0.0\"\npublish = false\n{}\n\n[lib]\ndoctest = false\ntest = false\n\n[features]\n",
        package_keys.join("\n")
    );
    for (name, items) in &features {
        out.push_str(&format!("{name} = [{}]\n", items.join(", ")));
    }
    for (name, table) in &dependencies {
        out.push_str(&format!("\n[dependencies.{name}]\n{table}"));
    }
    out
}

/// Builds every generating case in one scratch workspace: each case's crate becomes a module
/// of one batch crate (its `crate::` paths rebased; the runtime is the same for all, so this
/// spares compiling it per case), its router smoke test a module of one test file, and every
/// case's own manifest is still read by cargo (`cargo metadata` over a workspace of them).
/// Returns the failure, if any.
fn build_batch(work: &std::path::Path, batch: &[(usize, String, Vec<codegen::GeneratedFile>)]) -> Option<String> {
    // A few batch crates, so that every core has one to check (rustc checks a crate mostly on
    // one thread).
    let parts: Vec<Vec<&(usize, String, Vec<codegen::GeneratedFile>)>> =
        (0..BATCH_CRATES).map(|k| batch.iter().skip(k).step_by(BATCH_CRATES).collect()).filter(|p: &Vec<_>| !p.is_empty()).collect();
    let mut names = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        names.push(format!("hostile-batch-{k}"));
        write_batch_crate(work, k, part);
    }
    // Each case's manifest, as generated, must be one cargo accepts.
    let own: Vec<String> = batch.iter().map(|(_, name, _)| format!("manifests/{name}")).collect();
    scratch::workspace(work, &own);
    let output = scratch::cargo(work, &["metadata", "--format-version", "1", "--no-deps"], &[]);
    if !output.status.success() {
        return Some(format!("a generated manifest is not valid:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    scratch::workspace(work, &names);
    let output =
        scratch::cargo(work, &["clippy", "--workspace", "--lib", "--tests", "--features", "server,client,schemars", "--quiet", "--", "-D", "warnings"], &[]);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Some(format!("generated hostile crates do not build cleanly:\n{}", stderr.chars().take(30_000).collect::<String>()));
    }
    None
}

/// Batch crates the generating cases are spread over.
const BATCH_CRATES: usize = 4;

fn write_batch_crate(work: &std::path::Path, k: usize, batch: &[&(usize, String, Vec<codegen::GeneratedFile>)]) {
    let package = format!("hostile-batch-{k}");
    let krate = work.join(&package);
    let mut lib = String::new();
    let mut smoke = String::new();
    let mut manifests = Vec::new();
    for (i, crate_name, files) in batch {
        let module = format!("case_{i:03}");
        lib.push_str(&format!("pub mod {module};\n"));
        for f in files {
            if f.path == "Cargo.toml" {
                manifests.push(f.contents.as_str());
                let own = work.join("manifests").join(crate_name);
                std::fs::create_dir_all(own.join("src")).expect("manifest dir");
                std::fs::write(own.join("Cargo.toml"), &f.contents).expect("manifest");
                std::fs::write(own.join("src/lib.rs"), "").expect("empty lib");
            } else if let Some(name) = f.path.strip_prefix("src/") {
                let name = if name == "lib.rs" { "mod.rs" } else { name };
                let path = krate.join("src").join(&module).join(name);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("module dir");
                std::fs::write(path, rebase(&f.contents, &module)).expect("module file");
            } else if f.path.starts_with("tests/") {
                let ident = crate_name.replace('-', "_");
                let text = f.contents.replace(&format!("{ident}::"), &format!("{}::{module}::", package.replace('-', "_")));
                smoke.push_str(&format!("mod {module} {{\n{text}\n}}\n"));
            }
        }
    }
    std::fs::create_dir_all(krate.join("tests")).expect("tests dir");
    std::fs::write(krate.join("Cargo.toml"), merged_manifest(&package, &manifests)).expect("batch manifest");
    std::fs::write(krate.join("src/lib.rs"), lib).expect("batch lib");
    std::fs::write(krate.join("tests/smoke.rs"), smoke).expect("batch smoke test");
}

#[test]
fn hostile_specs_never_panic_hang_or_miscompile() {
    let cases = all_cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let work = scratch::fresh_dir("hostile-crates");
    let mut failures = Vec::new();
    let mut batch = Vec::new();
    // (class) -> (generated, refused)
    let mut table: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, case) in cases.iter().enumerate() {
        let crate_name = format!("hostile-{i:03}-{}", slug(&case.name).chars().take(40).collect::<String>().trim_end_matches('-'));
        let options = Options { crate_name: Some(crate_name.clone()), ..Options::default() };
        let (outcome, took) = run(case, i, options);
        let label = format!("#{i} [{}] {}", case.class, case.name);
        let row = table.entry(case.class).or_default();
        match outcome {
            Outcome::Generated(g) => {
                row.0 += 1;
                if case.expect == Expect::Refuse {
                    failures.push(format!("{label}: generated, but must be refused"));
                }
                if let Input::Files { files, .. } = &case.input {
                    let secret = files.iter().find(|(p, _)| p == "secret.yaml").map(|(_, t)| t.lines().last().unwrap_or_default().to_string());
                    if let Some(marker) = secret.and_then(|s| s.split(": ").nth(1).map(str::to_string)) {
                        if g.files.iter().any(|f| f.contents.contains(&marker)) {
                            failures.push(format!("{label}: read a file outside the spec's folder"));
                        }
                    }
                }
                if case.compile {
                    batch.push((i, crate_name, g.files));
                }
            }
            Outcome::Refused(diags) => {
                row.1 += 1;
                let errors: Vec<_> = diags.iter().filter(|d| d.severity == Severity::Error).collect();
                if case.expect == Expect::Generate {
                    failures.push(format!(
                        "{label}: refused, but must generate:\n{}",
                        errors.iter().take(5).map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
                    ));
                }
                if errors.is_empty() || errors.iter().any(|d| d.location.file.is_empty() || d.message.is_empty()) {
                    failures.push(format!("{label}: refused without a located error: {diags:?}"));
                }
                if diags.iter().any(|d| d.message.contains("SECRET-MARKER")) {
                    failures.push(format!("{label}: a diagnostic shows a file outside the spec's folder"));
                }
            }
            Outcome::Internal(e) => failures.push(format!("{label}: internal error: {e}")),
            Outcome::Panicked(p) => failures.push(format!("{label}: PANIC: {p}")),
            Outcome::TimedOut => failures.push(format!("{label}: took longer than {TIME_BOUND:?}")),
        }
        if took > Duration::from_secs(5) {
            println!("slow: {label}: {took:?}");
        }
    }
    // `HOSTILE_NO_BUILD=1` skips the compile batch (for iterating on the generator only).
    // `HOSTILE_NO_BUILD=1` skips the compile batch (for iterating on the generator only).
    let compiled = if batch.is_empty() || std::env::var_os("HOSTILE_NO_BUILD").is_some() {
        None
    } else {
        let failure = build_batch(&work, &batch);
        let ok = failure.is_none();
        failures.extend(failure);
        Some(ok)
    };
    println!("{:<20} {:>6} {:>22} {:>22}", "class", "cases", "generated+compiled", "refused (diagnostic)");
    let (mut total_g, mut total_r) = (0, 0);
    for (class, (g, r)) in &table {
        println!("{class:<20} {:>6} {g:>22} {r:>22}", g + r);
        total_g += g;
        total_r += r;
    }
    println!("{:<20} {:>6} {total_g:>22} {total_r:>22}", "total", total_g + total_r);
    let verdict = match compiled {
        None => "not built (HOSTILE_NO_BUILD)",
        Some(true) => "clean (clippy -D warnings)",
        Some(false) => "FAILED",
    };
    println!("compile batch: {} generated crates, {verdict}", batch.len());
    assert!(failures.is_empty(), "{} hostile case(s) failed:\n{}", failures.len(), failures.join("\n\n"));
}
