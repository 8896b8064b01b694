//! Every generator option, declared once: the [`Options`] struct is the library API, the schema
//! of the TOML configuration file (`codegen.schema.json`, from its doc comments) and, through
//! that schema, the `cargo xtask gen` command line. Also reading a configuration file with
//! located errors and layering it (defaults < file < overrides).
//!
//! Keys are kebab-case in TOML and on the command line (`pattern-backtrack-limit`), snake_case
//! as Rust fields (`pattern_backtrack_limit`). Unknown keys are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Every option of the generator. Fields keep their defaults when a configuration leaves them
/// out, so callers written as `Options { .., ..Options::default() }` keep compiling when options
/// are added.
///
/// In a configuration file (`<spec stem>.codegen.toml` next to the spec, or `--config FILE`)
/// every field is a kebab-case key; relative paths in it are relative to the file's folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(title = "codegen configuration"))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Package name of the generated crate. Default: derived from `info.title`.
    pub crate_name: Option<String>,
    /// Package version of the generated crate. Default: `info.version` when it is semver, else
    /// `0.0.0` with the text as build metadata.
    pub crate_version: Option<String>,
    /// The spec path as shown in the `@generated` stamp (set by the caller, not configurable).
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub spec_label: String,
    /// The command shown in the stamp as the way to regenerate (set by the caller).
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub command: String,
    /// Emit the axum server module (behind the generated crate's `server` feature).
    pub server: bool,
    /// Emit the reqwest client module (behind the generated crate's `client` feature).
    pub client: bool,
    /// Emit the serde types (the `types` module). Off: a validators-only crate (needs `server`
    /// and `client` off).
    pub emit_types: bool,
    /// Emit the JSON Schema validators (the `validate` module). Off: a types-only crate (needs
    /// `server` and `client` off); a `oneOf`/`anyOf` is then decoded into the first alternative
    /// the value converts into, as serde's `untagged` does, not the first it is valid against.
    pub emit_validators: bool,
    /// Also assert `format`s without a dedicated Rust type (`email`, `hostname`, `uri`); unknown
    /// formats get a warning. Formats with a Rust type (uuid, date-time, date, time, ipv4, ipv6,
    /// byte, int32) are always asserted.
    #[serde(rename = "assert-formats")]
    pub format_assertion: bool,
    /// Keep every `format` a plain `String` (and assert none unless `assert-formats`).
    pub plain_formats: bool,
    /// Give the generated `Cargo.toml` an empty `[workspace]` so it builds on its own inside
    /// another workspace's folder (set by the caller from where it writes).
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub standalone: bool,
    /// The most backtracking steps one `pattern` match may take when the pattern needs the
    /// backtracking engine (lookaround, backreferences); a value that needs more is rejected.
    pub pattern_backtrack_limit: usize,
    /// For writers of the output: write into a non-empty folder that holds no generated crate,
    /// beside the files already there. Files without the generator's stamp are never
    /// overwritten or deleted, with or without it.
    pub force: bool,
    /// The folder that confines the files a spec's `$ref`s may read (it must contain the spec).
    /// Default: the spec's own folder. Files outside it, URLs and absolute paths are never read.
    pub spec_root: Option<PathBuf>,
    /// Every leniency warning (a flaw of the spec read the safest way) is an error.
    pub strict: bool,
    /// URI prefix -> local folder or file, for references to URIs the spec's files do not
    /// declare (`$ref: https://schemas.example.com/common/money.json`): a URI under a prefix
    /// names the file at the rest of it inside that folder (a prefix mapped to a file names
    /// just that file). Nothing outside a mapped folder is read, and a URI no prefix maps is
    /// never fetched. TOML: `[uri-map] "https://schemas.example.com/" = "vendor/schemas"`.
    #[serde(with = "pairs")]
    #[cfg_attr(feature = "schema", schemars(with = "BTreeMap<String, PathBuf>"))]
    pub uri_map: Vec<(String, PathBuf)>,
    /// Rust types of the user's instead of the generated ones.
    pub types: TypeOverrides,
    /// Extra `#[derive(..)]`s on the generated structs, enums and unions (`"Hash"`,
    /// `"serde::Serialize"` is already there): for all of them and by type name.
    pub derives: PerType,
    /// Extra outer attributes (`"#[non_exhaustive]"`) on the generated structs, enums and
    /// unions: for all of them and by type name.
    pub attributes: PerType,
    /// New names for schemas, properties and operations (collisions are still resolved by
    /// numbering).
    pub rename: Renames,
    /// Which operations to generate.
    pub operations: OperationFilter,
    /// Members an object schema does not list (no `additionalProperties` written), per
    /// direction.
    pub unknown_fields: UnknownFields,
    /// Values a string `enum` does not list, per direction.
    pub unknown_enum_values: UnknownEnumValues,
    /// Which operations take an idempotency key (the client sends one key on every attempt of a
    /// call, so it may retry; the server replays the saved response for a repeated key).
    pub idempotency: Idempotency,
    /// Which list operations get page and item streams in the client (`<op>_pages`,
    /// `<op>_items`): the shapes detected, and per operation what the `x-pagination` extension
    /// would say. TOML: `[pagination.operations.listCalls] kind = "cursor"`, `param = "cursor"`,
    /// `response = "meta.next"`, `items = "data"`.
    pub pagination: PaginationOptions,
    /// How the generated crate gets its runtime (validation support, server and client support
    /// code): copied into it (the default) or as a dependency on the `codegen-runtime` crate.
    /// TOML: `[runtime] mode = "dependency"`, `path = "../runtime"`, `version = "0.1"`.
    #[cfg_attr(feature = "schema", schemars(with = "RuntimeConfig"))]
    pub runtime: RuntimeMode,
    /// Typed streams (`text/event-stream`, JSON Lines, NDJSON, `json-seq`): item schemas for
    /// 3.0/3.1 documents and the client's stream settings.
    pub streams: Streams,
}

/// Typed streams. TOML: `[streams] sentinel = "[DONE]"`, `[streams.items] streamChat =
/// "#/components/schemas/ChatChunk"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Streams {
    /// The item schema of an operation's stream media types, for documents that cannot say it
    /// (OpenAPI 3.0/3.1 have no `itemSchema`): operation (its `operationId`, or `GET /path`) ->
    /// a reference into the spec (`#/components/schemas/ChatChunk`). For `text/event-stream` it
    /// is the schema of each event's `data`, read as JSON; for JSON sequences the schema of each
    /// item. `itemSchema` and `x-item-schema` on the media type win over it.
    pub items: BTreeMap<String, String>,
    /// Event data that ends a client's event stream cleanly instead of being yielded (`[DONE]`
    /// of chat-completion APIs). Default: none.
    pub sentinel: Option<String>,
    /// How many times in a row the client reconnects a GET operation's event stream after the
    /// connection ends (with `Last-Event-ID`, after the server's `retry`); 0 never. Other
    /// methods never reconnect. Default 3.
    pub max_reconnects: u32,
}

impl Default for Streams {
    fn default() -> Self {
        Streams { items: BTreeMap::new(), sentinel: None, max_reconnects: 3 }
    }
}

/// How a generated crate gets the runtime (the `codegen-runtime` crate of this workspace).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RuntimeConfig", into = "RuntimeConfig")]
pub enum RuntimeMode {
    /// The runtime's source files are copied under `src/runtime/` (stamped; only the feature
    /// cfgs of parts the spec does not use are rewritten), so the crate builds alone from
    /// published crates.
    #[default]
    Embedded,
    /// The crate depends on `codegen-runtime` and re-exports it as `runtime`, so several
    /// generated crates in one build share its types (`Violation`, `Rejection`, `ClientError`).
    Dependency {
        /// A `path` for the dependency, as written into the generated `Cargo.toml` (relative to
        /// the generated crate's folder); `None` depends by version alone.
        path: Option<String>,
        /// The version requirement (`0.1`); [`RuntimeMode::RUNTIME_VERSION`] matches this build.
        version: String,
    },
}

impl RuntimeMode {
    /// The package name of the runtime crate.
    pub const RUNTIME_PACKAGE: &'static str = "codegen-runtime";
    /// The version of the runtime this generator was built with.
    pub const RUNTIME_VERSION: &'static str = "0.1.0";

    /// Dependency mode on the runtime at `path` (or by version alone), this build's version.
    pub fn dependency(path: Option<String>) -> Self {
        RuntimeMode::Dependency { path, version: Self::RUNTIME_VERSION.to_string() }
    }
}

/// [`RuntimeMode`] as written in the configuration file and on the command line
/// (`--runtime.mode dependency --runtime.path ../runtime`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuntimeConfig {
    /// `embedded` (default): the runtime's files are copied under `src/runtime/`, so the crate
    /// builds alone. `dependency`: the crate depends on `codegen-runtime`, so several generated
    /// crates share its types.
    #[serde(skip_serializing_if = "RuntimeKind::is_unset")]
    pub mode: RuntimeKind,
    /// With `dependency`: the runtime crate's folder, relative to the generated crate's folder
    /// (written into its `Cargo.toml`). Without it the dependency is by version alone. Giving a
    /// path implies `dependency` when `mode` is not written.
    pub path: Option<String>,
    /// With `dependency`: the version requirement. Default: this generator's runtime version.
    pub version: Option<String>,
}

/// See [`RuntimeConfig::mode`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeKind {
    /// Not written: `embedded`, or `dependency` when a path or version is given.
    #[default]
    #[serde(skip_deserializing)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unset,
    /// Copied into the generated crate.
    Embedded,
    /// A dependency on `codegen-runtime`.
    Dependency,
}

impl RuntimeKind {
    fn is_unset(&self) -> bool {
        *self == RuntimeKind::Unset
    }
}

impl TryFrom<RuntimeConfig> for RuntimeMode {
    type Error = String;

    fn try_from(c: RuntimeConfig) -> Result<Self, String> {
        let given = c.path.is_some() || c.version.is_some();
        match (c.mode, given) {
            (RuntimeKind::Embedded, true) => Err("`runtime.path` and `runtime.version` are for `runtime.mode = \"dependency\"`, not `embedded`".into()),
            (RuntimeKind::Embedded, false) | (RuntimeKind::Unset, false) => Ok(RuntimeMode::Embedded),
            (RuntimeKind::Dependency, _) | (RuntimeKind::Unset, true) => {
                Ok(RuntimeMode::Dependency { path: c.path, version: c.version.unwrap_or_else(|| RuntimeMode::RUNTIME_VERSION.to_string()) })
            }
        }
    }
}

impl From<RuntimeMode> for RuntimeConfig {
    fn from(m: RuntimeMode) -> Self {
        match m {
            // Unwritten, so a `path` layered over the defaults means `dependency`.
            RuntimeMode::Embedded => RuntimeConfig { mode: RuntimeKind::Unset, path: None, version: None },
            RuntimeMode::Dependency { path, version } => RuntimeConfig { mode: RuntimeKind::Dependency, path, version: Some(version) },
        }
    }
}

/// Which operations take an idempotency key, and its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Idempotency {
    /// The header's name, matched case-insensitively against the header parameters an operation
    /// declares. Default `Idempotency-Key`.
    pub header: String,
    /// `declared` (default): the operations that declare the header parameter. `unsafe-methods`:
    /// also every POST and PATCH operation that does not (the header is then sent by the
    /// client and read by the server without being a parameter of the operation).
    pub operations: IdempotencyScope,
}

impl Default for Idempotency {
    fn default() -> Self {
        Idempotency { header: "Idempotency-Key".into(), operations: IdempotencyScope::Declared }
    }
}

/// Pagination: detection of the common shapes, and explicit descriptions per operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PaginationOptions {
    /// Detect the common shapes (a cursor, page or offset query parameter matched with a
    /// response field, a `Link` header) where they match unambiguously. Default on.
    pub detect: bool,
    /// `operationId` (or `METHOD /path`) -> its pagination, as the operation's `x-pagination`
    /// extension writes it (this wins over the extension and detection); `kind = "none"` turns
    /// it off for that operation.
    pub operations: BTreeMap<String, PagingConfig>,
}

impl Default for PaginationOptions {
    fn default() -> Self {
        PaginationOptions { detect: true, operations: BTreeMap::new() }
    }
}

/// One operation's pagination, the same in `x-pagination` (JSON/YAML) and in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PagingConfig {
    /// The shape.
    pub kind: PagingKind,
    /// The query parameter carrying the cursor, the page number or the offset (not for
    /// `next-url` and `link-header`).
    pub param: Option<String>,
    /// A dotted path in the response body (`meta.next_cursor`): the next cursor (`cursor`), the
    /// next page's URL (`next-url`) or the number of pages (`page`, optional).
    pub response: Option<String>,
    /// A dotted path to a boolean that is `false` on the last page (`cursor`, `last-item`).
    pub has_more: Option<String>,
    /// `last-item`: the member of the last item that is the next cursor. Default `id`.
    pub field: Option<String>,
    /// A dotted path to the array of items; `""` for a body that is the array. Default: the
    /// response's one array member (or `data`, `items`, `results` among several).
    pub items: Option<String>,
}

/// See [`PagingConfig::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum PagingKind {
    /// The next cursor is in the response (`response`); none (or `has-more` false) is the end.
    Cursor,
    /// The last item's `field` is the next cursor (Stripe's `starting_after` + `has_more`).
    LastItem,
    /// A page number, one more each page; an empty page (or page `response` of them) is the end.
    Page,
    /// An item offset, advanced by each page's item count; an empty page is the end.
    Offset,
    /// The next page's URL is in the response (`response`); none is the end.
    NextUrl,
    /// The `Link: <url>; rel="next"` response header; none is the end.
    LinkHeader,
    /// No pagination (turns detection off for the operation).
    None,
}

/// See [`Idempotency::operations`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum IdempotencyScope {
    /// The operations that declare the header.
    #[default]
    Declared,
    /// Those, and every POST and PATCH operation.
    UnsafeMethods,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            crate_name: None,
            crate_version: None,
            spec_label: "spec/openapi.json".into(),
            command: "cargo xtask gen".into(),
            server: true,
            client: true,
            emit_types: true,
            emit_validators: true,
            format_assertion: false,
            plain_formats: false,
            standalone: false,
            pattern_backtrack_limit: 1_000_000,
            force: false,
            spec_root: None,
            strict: false,
            uri_map: Vec::new(),
            types: TypeOverrides::default(),
            derives: PerType::default(),
            attributes: PerType::default(),
            rename: Renames::default(),
            operations: OperationFilter::default(),
            unknown_fields: UnknownFields::default(),
            unknown_enum_values: UnknownEnumValues::default(),
            idempotency: Idempotency::default(),
            pagination: PaginationOptions::default(),
            runtime: RuntimeMode::Embedded,
            streams: Streams::default(),
        }
    }
}

/// The user's Rust types for some schemas. Validators still check the JSON against the schema's
/// keywords before it is converted into the type, so the type only needs serde's traits (and
/// `Debug`, `Clone`, `PartialEq` like the generated types).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TypeOverrides {
    /// Component schema name (as in `components/schemas`) -> type. TOML:
    /// `[types.by-name] Money = { type = "my_money::Money", crate = 'my_money = "0.3"' }`.
    pub by_name: BTreeMap<String, TypeOverride>,
    /// `format` value -> type, for every schema with that format. TOML:
    /// `[types.by-format] decimal = { type = "rust_decimal::Decimal", crate = 'rust_decimal = "1"' }`.
    pub by_format: BTreeMap<String, TypeOverride>,
}

/// One type override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TypeOverride {
    /// The Rust type path (`rust_decimal::Decimal`, `::my_crate::Money`).
    #[serde(rename = "type")]
    pub rust_type: String,
    /// The dependency the generated `Cargo.toml` gets for it, as a Cargo.toml line:
    /// `rust_decimal = "1"` or `rust_decimal = { version = "1", features = ["serde-str"] }`.
    #[serde(rename = "crate")]
    pub dependency: Option<String>,
}

/// Items for every generated type and by type name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PerType {
    /// For every generated struct, string enum and union.
    pub all: Vec<String>,
    /// Generated type name (`Pet`) -> items for it only.
    pub by_name: BTreeMap<String, Vec<String>>,
}

/// New names, applied through the naming module (a new name is cased like the old one would be,
/// and numbered when it collides).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Renames {
    /// Component schema name -> Rust type name.
    pub schemas: BTreeMap<String, String>,
    /// `Schema.property` (component schema name, wire property name) -> Rust field name.
    pub properties: BTreeMap<String, String>,
    /// `operationId` (or `METHOD /path` for an operation without one) -> method name.
    pub operations: BTreeMap<String, String>,
}

/// Which operations are generated: those matching an `include-*` list (every operation when all
/// three are empty) and no `exclude-*` list. Components are generated either way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct OperationFilter {
    /// Operations with one of these tags.
    pub include_tags: Vec<String>,
    /// Operations with one of these `operationId`s.
    pub include_ids: Vec<String>,
    /// Operations whose path starts with one of these (`/v1/rooms`).
    pub include_paths: Vec<String>,
    /// Not operations with one of these tags.
    pub exclude_tags: Vec<String>,
    /// Not operations with one of these `operationId`s.
    pub exclude_ids: Vec<String>,
    /// Not operations whose path starts with one of these.
    pub exclude_paths: Vec<String>,
}

impl OperationFilter {
    /// True when the operation is generated.
    pub fn keeps(&self, id: Option<&str>, tags: &[&str], path: &str) -> bool {
        let tag = |list: &[String]| tags.iter().any(|t| list.iter().any(|l| l == t));
        let id_in = |list: &[String]| id.is_some_and(|id| list.iter().any(|l| l == id));
        let path_in = |list: &[String]| list.iter().any(|p| path.starts_with(p.as_str()));
        let no_includes = self.include_tags.is_empty() && self.include_ids.is_empty() && self.include_paths.is_empty();
        let included = no_includes || tag(&self.include_tags) || id_in(&self.include_ids) || path_in(&self.include_paths);
        included && !(tag(&self.exclude_tags) || id_in(&self.exclude_ids) || path_in(&self.exclude_paths))
    }
}

/// What happens to an object member that the schema does not list, when the schema writes no
/// `additionalProperties` (a schema that writes it is always obeyed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum MemberPolicy {
    /// Accepted (JSON Schema's meaning); the typed value drops it unless the schema keeps extras.
    #[default]
    Allow,
    /// A violation (`additionalProperties: false` implied) for objects with `properties`.
    Deny,
}

/// [`MemberPolicy`] per direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct UnknownFields {
    /// Request bodies and parameters the server validates.
    pub requests: MemberPolicy,
    /// Responses the client reads: `deny` makes the struct types refuse unlisted members when
    /// decoding (a type that requests also convert into, only where the request validator
    /// refuses them too).
    pub responses: MemberPolicy,
}

/// What a string enum's type does with a value the spec does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EnumPolicy {
    /// Kept as the `UnknownValue(String)` variant.
    Keep,
    /// A violation (requests: the `enum` keyword; responses: a decoding error).
    Reject,
}

/// [`EnumPolicy`] per direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct UnknownEnumValues {
    /// Requests the server validates. Default `reject` (the schema's `enum` keyword).
    pub requests: EnumPolicy,
    /// Responses the client reads. Default `keep` (a newer server may add values).
    pub responses: EnumPolicy,
}

impl Default for UnknownEnumValues {
    fn default() -> Self {
        UnknownEnumValues { requests: EnumPolicy::Reject, responses: EnumPolicy::Keep }
    }
}

/// `Vec<(String, PathBuf)>` as a TOML table (`prefix = "path"`), in file order.
mod pairs {
    use std::fmt;
    use std::path::PathBuf;

    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[(String, PathBuf)], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(v.len()))?;
        for (k, p) in v {
            m.serialize_entry(k, p)?;
        }
        m.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, PathBuf)>, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Vec<(String, PathBuf)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of URI prefix = path")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, PathBuf>()? {
                    out.push((k, v));
                }
                Ok(out)
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// A configuration problem: where (file, line, column, key) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", .file.display(), .line.map(|l| format!(":{l}:{}", .column.unwrap_or(1))).unwrap_or_default())]
pub struct ConfigError {
    /// The configuration file (or `command line`).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The dotted key the problem is in (`types.by-format.decimal`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The conventional configuration file of a spec: `<stem>.codegen.toml` beside it
/// (`spec/openapi.json` -> `spec/openapi.codegen.toml`).
pub fn default_config_path(spec: &Path) -> PathBuf {
    let stem = spec.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    spec.with_file_name(format!("{stem}.codegen.toml"))
}

/// The options of a TOML text: `base` with every key the text sets replaced. Relative paths
/// are taken relative to `dir`. `file` names the text in errors.
pub fn parse_config(file: &Path, text: &str, dir: &Path, base: &Options) -> Result<Options, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| located(file, text, &e))?;
    // Unknown keys and wrong types, with the span of the offending key or value.
    let mut parsed: Options = toml::from_str(text).map_err(|e| located(file, text, &e))?;
    parsed.resolve_paths(dir);
    let resolved =
        toml::Table::try_from(&parsed).map_err(|e| ConfigError { file: file.into(), line: None, column: None, key: None, message: e.to_string() })?;
    // Only the keys the file sets (with paths resolved) go over `base`.
    let mut set = toml::Table::new();
    for (k, _) in &table {
        if let Some(v) = resolved.get(k) {
            set.insert(k.clone(), v.clone());
        }
    }
    layer(base, &set).map_err(|message| ConfigError { file: file.into(), line: None, column: None, key: None, message })
}

/// `base` with the keys of `overrides` (kebab-case, nested tables for nested options) set over
/// it: tables merge key by key, everything else is replaced.
pub fn layer(base: &Options, overrides: &toml::Table) -> Result<Options, String> {
    let mut table = toml::Table::try_from(base).map_err(|e| e.to_string())?;
    merge(&mut table, overrides);
    let mut out: Options = table.try_into().map_err(|e: toml::de::Error| e.message().to_string())?;
    out.spec_label.clone_from(&base.spec_label);
    out.command.clone_from(&base.command);
    out.standalone = base.standalone;
    Ok(out)
}

/// `into` with the keys of `from` set over it (tables merge key by key).
pub fn layer_tables(mut into: toml::Table, from: &toml::Table) -> toml::Table {
    merge(&mut into, from);
    into
}

/// Sets the dotted `key` (`unknown-fields.requests`) in `table`, creating the tables on the way
/// (a non-table value on the way is replaced).
pub fn insert_dotted(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let entry = table.entry(head.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = entry {
                insert_dotted(t, rest, value);
            }
        }
    }
}

fn merge(into: &mut toml::Table, from: &toml::Table) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

impl Options {
    /// Makes the relative paths of the options relative to `dir` instead.
    pub fn resolve_paths(&mut self, dir: &Path) {
        if let Some(r) = &mut self.spec_root {
            if r.is_relative() {
                *r = dir.join(&*r);
            }
        }
        for (_, p) in &mut self.uri_map {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    }
}

/// A TOML error as a located [`ConfigError`]: line and column from its span, and the dotted key
/// path of the table the span is in.
fn located(file: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let (line, column, key) = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (Some(line), Some(column), key_at(text, span.start))
        }
        None => (None, None, None),
    };
    ConfigError { file: file.into(), line, column, key, message: e.message().trim().to_string() }
}

/// The dotted key at byte `at`: the last `[table]` header before it plus the key its line sets.
fn key_at(text: &str, at: usize) -> Option<String> {
    let mut table: Option<String> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if offset + line.len() > at {
            let key = trimmed.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_string()).filter(|k| !k.is_empty() && !k.starts_with('['));
            return match (table, key) {
                (Some(t), Some(k)) => Some(format!("{t}.{k}")),
                (t, k) => k.or(t),
            };
        }
        if let Some(h) = trimmed.strip_prefix('[').and_then(|h| h.split(']').next()) {
            table = Some(h.trim_start_matches('[').trim().to_string());
        }
        offset += line.len();
    }
    table
}

/// The JSON Schema of the configuration file (draft 2020-12), from the doc comments above.
#[cfg(feature = "schema")]
pub fn config_schema() -> String {
    let schema = schemars::schema_for!(Options);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Options, ConfigError> {
        parse_config(Path::new("api.codegen.toml"), text, Path::new("/conf"), &Options::default())
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        assert_eq!(parse("").expect("parses"), Options::default());
    }

    #[test]
    fn keys_are_kebab_case_and_nested_tables_fill_maps() {
        let o = parse(
            "crate-name = \"pets\"\nassert-formats = true\nspec-root = \"..\"\n[types.by-format]\ndecimal = { type = \"rust_decimal::Decimal\", crate = 'rust_decimal = \"1\"' }\n[uri-map]\n\"https://x.example/\" = \"vendor\"\n[unknown-fields]\nrequests = \"deny\"\n",
        )
        .expect("parses");
        assert_eq!(o.crate_name.as_deref(), Some("pets"));
        assert!(o.format_assertion);
        assert_eq!(o.spec_root, Some(PathBuf::from("/conf/..")), "relative to the file's folder");
        assert_eq!(o.uri_map, vec![("https://x.example/".to_string(), PathBuf::from("/conf/vendor"))]);
        assert_eq!(o.types.by_format["decimal"].rust_type, "rust_decimal::Decimal");
        assert_eq!(o.unknown_fields.requests, MemberPolicy::Deny);
        assert_eq!(o.unknown_fields.responses, MemberPolicy::Allow, "the other direction keeps its default");
        assert_eq!(o.pattern_backtrack_limit, Options::default().pattern_backtrack_limit);
    }

    #[test]
    fn an_unknown_key_is_located() {
        let e = parse("strict = true\n\n[types.by-format.decimal]\ntype = \"x::D\"\ncrate-name = \"oops\"\n").expect_err("unknown key");
        assert_eq!((e.line, e.column), (Some(5), Some(1)), "{e}");
        assert_eq!(e.key.as_deref(), Some("types.by-format.decimal.crate-name"), "{e}");
        assert!(e.message.contains("unknown field `crate-name`"), "{e}");
        assert!(e.to_string().starts_with("api.codegen.toml:5:1: "), "{e}");
    }

    #[test]
    fn a_wrong_type_and_bad_syntax_are_located() {
        let e = parse("strict = true\npattern-backtrack-limit = \"many\"\n").expect_err("wrong type");
        assert_eq!(e.line, Some(2), "{e}");
        assert_eq!(e.key.as_deref(), Some("pattern-backtrack-limit"), "{e}");
        let e = parse("[rename.schemas]\nPet = \n").expect_err("syntax");
        assert_eq!(e.line, Some(2), "{e}");
        let e = parse("[unknown-enum-values]\nresponses = \"maybe\"\n").expect_err("bad variant");
        assert_eq!(e.key.as_deref(), Some("unknown-enum-values.responses"), "{e}");
        assert!(e.message.contains("keep") && e.message.contains("reject"), "{e}");
    }

    #[test]
    fn layers_override_key_by_key() {
        let base = Options { crate_name: Some("base".into()), strict: true, command: "cmd".into(), ..Options::default() };
        let file = parse_config(Path::new("f.toml"), "crate-name = \"file\"\n[rename.schemas]\nA = \"B\"\n", Path::new("."), &base).expect("parses");
        assert!(file.strict, "a key the file does not set keeps the base value");
        assert_eq!(file.command, "cmd");
        let cli: toml::Table = toml::from_str("crate-name = \"cli\"\n[rename.schemas]\nC = \"D\"\n").expect("toml");
        let o = layer(&file, &cli).expect("layers");
        assert_eq!(o.crate_name.as_deref(), Some("cli"));
        assert_eq!(o.rename.schemas.len(), 2, "maps merge: {:?}", o.rename.schemas);
    }

    #[test]
    fn operation_filters() {
        let all = OperationFilter::default();
        assert!(all.keeps(Some("a"), &[], "/x"));
        let f = OperationFilter {
            include_tags: vec!["pets".into()],
            exclude_ids: vec!["deletePet".into()],
            exclude_paths: vec!["/admin".into()],
            ..OperationFilter::default()
        };
        assert!(f.keeps(Some("listPets"), &["pets"], "/pets"));
        assert!(!f.keeps(Some("listUsers"), &["users"], "/users"), "not included");
        assert!(!f.keeps(Some("deletePet"), &["pets"], "/pets/{id}"), "excluded by id");
        assert!(!f.keeps(None, &["pets"], "/admin/pets"), "excluded by path");
    }
}
