//! OpenAPI 3.0/3.1 to Rust code generation: load -> resolve -> IR -> analyse -> emit.
//!
//! The library writes no files: [`generate`] returns the generated crate as `(path, contents)`
//! pairs plus every diagnostic, and the caller (the `xtask` binary) decides what to write.

pub mod diagnostics;
mod emit;
pub mod ir;
pub mod load;
pub mod naming;
mod uri;

use std::path::Path;

pub use diagnostics::{Diagnostic, Location, Policy, Severity};
pub use emit::carries_stamp;
pub use emit::runtime::{RuntimeSource, SOURCES as RUNTIME_SOURCES, rewrite as rewrite_runtime_source};

/// What to generate and how to stamp it. New options are new fields with defaults, so callers
/// written against `Options { .., ..Options::default() }` keep compiling.
#[derive(Debug, Clone)]
pub struct Options {
    /// Package name of the generated crate; `None` derives it from `info.title`.
    pub crate_name: Option<String>,
    /// The spec path as shown in the `@generated` stamp (relative to the project root).
    pub spec_label: String,
    /// The command shown in the stamp as the way to regenerate.
    pub command: String,
    /// Emit the axum server module (behind the crate's `server` feature).
    pub server: bool,
    /// Emit the reqwest client module (behind the crate's `client` feature).
    pub client: bool,
    /// Also assert `format`s without a dedicated Rust type (`email`, `hostname`, `uri`); unknown
    /// formats get a warning. Formats with a Rust type (uuid, date-time, date, time, ipv4, ipv6,
    /// byte) are always asserted.
    pub format_assertion: bool,
    /// Keep every format a plain `String` (and assert none unless `format_assertion`).
    pub plain_formats: bool,
    /// Give the generated `Cargo.toml` an empty `[workspace]` so it builds on its own even when
    /// written inside another workspace's folder.
    pub standalone: bool,
    /// The most backtracking steps one `pattern` match may take when the pattern needs the
    /// backtracking engine (lookaround, backreferences); a value that needs more is rejected.
    pub pattern_backtrack_limit: usize,
    /// For writers of the output (the xtask, a user's tool): write into a non-empty folder that
    /// holds no generated crate, beside the files already there. Files without the generator's
    /// stamp are never overwritten or deleted, with or without it.
    pub force: bool,
    /// The folder that confines the files a spec's `$ref`s may read (it must contain the spec);
    /// `None` is the spec's own folder. Files outside it, URLs and absolute paths are never read.
    pub spec_root: Option<std::path::PathBuf>,
    /// Every leniency warning (a flaw of the spec read the safest way, see README) is an error:
    /// for teams that want their spec clean.
    pub strict: bool,
    /// URI prefix -> local folder or file, for references to URIs the spec's files do not declare
    /// (`$ref: https://schemas.example.com/common/money.json`): a URI under a prefix names the
    /// file at the rest of it inside that folder (a prefix mapped to a file names just that file),
    /// read as a document of the spec whose base URI is that URI, its `$id`s and anchors indexed.
    /// Nothing outside a mapped folder is read (no `..`, no link out of it), and a URI no prefix
    /// maps is never fetched. Empty by default.
    pub uri_map: Vec<(String, std::path::PathBuf)>,
    /// How the generated crate gets its runtime (validation support, server and client support
    /// code): copied into it (the default) or as a dependency on the `codegen-runtime` crate.
    pub runtime: RuntimeMode,
}

/// How a generated crate gets the runtime (the `codegen-runtime` crate of this workspace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

impl Default for Options {
    fn default() -> Self {
        Options {
            crate_name: None,
            spec_label: "spec/openapi.json".into(),
            command: "cargo xtask gen".into(),
            server: true,
            client: true,
            format_assertion: false,
            plain_formats: false,
            standalone: false,
            pattern_backtrack_limit: 1_000_000,
            force: false,
            spec_root: None,
            strict: false,
            uri_map: Vec::new(),
            runtime: RuntimeMode::Embedded,
        }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the crate root, `/`-separated (`src/types.rs`).
    pub path: String,
    /// The file's text (LF line endings).
    pub contents: String,
}

/// Counts describing the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Operations served and called.
    pub operations: usize,
    /// Named types emitted.
    pub types: usize,
}

/// A successful generation.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The crate's files, in a fixed order.
    pub files: Vec<GeneratedFile>,
    /// Warnings and notes (no errors).
    pub diagnostics: Vec<Diagnostic>,
    /// Counts.
    pub stats: Stats,
    /// Every place whose Rust type is `serde_json::Value`, why, and whether a typed form would
    /// be possible (`--report-untyped`).
    pub untyped: Vec<ir::untyped::Untyped>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The spec has errors; every diagnostic (errors and the rest) is here.
    #[error("the spec has {} error(s)", .0.iter().filter(|d| d.severity == Severity::Error).count())]
    Spec(Vec<Diagnostic>),
    /// A bug in the generator (its own output failed to parse); please report it.
    #[error("internal generator error: {0}")]
    Internal(String),
}

/// Generates the crate for the spec at `spec_path` (JSON or YAML; other files it references by
/// relative `$ref` are read from the same folder tree).
pub fn generate(spec_path: &Path, options: &Options) -> Result<Generated, GenerateError> {
    let mut diags = diagnostics::Diagnostics::new(options.strict);
    let Some(docs) = load::Documents::load_mapped(spec_path, options.spec_root.as_deref(), &options.uri_map, &mut diags) else {
        return Err(GenerateError::Spec(diags.into_sorted()));
    };
    generate_documents(&docs, options, diags)
}

/// Generates from spec text (`name` picks the parser by extension: `.json` or YAML).
pub fn generate_str(name: &str, text: &str, options: &Options) -> Result<Generated, GenerateError> {
    let mut diags = diagnostics::Diagnostics::new(options.strict);
    match load::parse_text(name, text) {
        Ok(value) => {
            let docs = load::Documents::from_value(name, value);
            let docs = with_mapped(&docs, options, &mut diags);
            generate_documents(&docs, options, diags)
        }
        Err(e) => {
            diags.error(Location::new(name, ""), e);
            Err(GenerateError::Spec(diags.into_sorted()))
        }
    }
}

/// Generates from already loaded documents (in-memory specs, tools).
/// With `Options::uri_map`, the mapped documents their references reach are read first.
pub fn generate_loaded(docs: &load::Documents, options: &Options) -> Result<Generated, GenerateError> {
    let mut diags = diagnostics::Diagnostics::new(options.strict);
    let docs = with_mapped(docs, options, &mut diags);
    generate_documents(&docs, options, diags)
}

/// Every diagnostic of a loaded spec, without emitting code (cheap: for scope decisions).
pub fn diagnose(docs: &load::Documents, options: &Options) -> Vec<Diagnostic> {
    let mut diags = diagnostics::Diagnostics::new(options.strict);
    let docs = with_mapped(docs, options, &mut diags);
    let _ = ir::Ir::build(&docs, options, &mut diags);
    diags.into_sorted()
}

/// The documents plus those of the URI map that their references reach (a copy only when there
/// is a map).
fn with_mapped<'d>(docs: &'d load::Documents, options: &Options, diags: &mut diagnostics::Diagnostics) -> std::borrow::Cow<'d, load::Documents> {
    if options.uri_map.is_empty() {
        return std::borrow::Cow::Borrowed(docs);
    }
    let mut docs = docs.clone();
    docs.map_uris(&options.uri_map, diags);
    std::borrow::Cow::Owned(docs)
}

fn generate_documents(docs: &load::Documents, options: &Options, mut diags: diagnostics::Diagnostics) -> Result<Generated, GenerateError> {
    let ir = ir::Ir::build(docs, options, &mut diags);
    if diags.has_errors() {
        return Err(GenerateError::Spec(diags.into_sorted()));
    }
    let files = emit::emit(&ir, options)?;
    let stats = Stats { operations: ir.operations.len(), types: ir.schemas.iter().filter(|s| s.name.is_some()).count() };
    let untyped = ir::untyped::report(&ir);
    Ok(Generated { files, diagnostics: diags.into_sorted(), stats, untyped })
}
