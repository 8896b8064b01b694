//! OpenAPI 3.0/3.1 to Rust code generation: load -> resolve -> IR -> analyse -> emit.
//!
//! The library writes no files: [`generate`] returns the generated crate as `(path, contents)`
//! pairs plus every diagnostic, and the caller (the `xtask` binary) decides what to write.

pub mod builder;
pub mod diagnostics;
mod emit;
pub mod ir;
pub mod load;
pub mod naming;
pub mod options;
mod source;
mod uri;

use std::path::Path;

pub use builder::Builder;
pub use diagnostics::{Diagnostic, Location, Policy, Severity};
pub use emit::carries_stamp;
pub use emit::runtime::{RuntimeSource, SOURCES as RUNTIME_SOURCES, rewrite as rewrite_runtime_source};
pub use options::{ConfigError, Options, RuntimeMode};
pub use source::{Excerpt, Span};

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
    match load::Documents::from_text_located(name, text) {
        Ok(docs) => {
            let docs = with_mapped(&docs, options, &mut diags);
            generate_documents(&docs, options, diags)
        }
        Err(f) => {
            diags.error_at(Location::new(name, ""), f.at, f.message);
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
    located(diags, &docs)
}

/// The diagnostics, sorted, with line and column where the documents' text is known.
fn located(diags: diagnostics::Diagnostics, docs: &load::Documents) -> Vec<Diagnostic> {
    let mut diags = diags.into_sorted();
    docs.locate(&mut diags);
    diags
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
        return Err(GenerateError::Spec(located(diags, docs)));
    }
    let files = emit::emit(&ir, options)?;
    let stats = Stats { operations: ir.operations.len(), types: ir.schemas.iter().filter(|s| s.name.is_some()).count() };
    let untyped = ir::untyped::report(&ir);
    Ok(Generated { files, diagnostics: located(diags, docs), stats, untyped })
}
