//! Scratch crates for the tests that build generated code: writing a generated crate under
//! `target/`, a workspace over several with the project's lock file, running cargo there
//! offline, and the named schemas of a spec with their generated type and validator.

use std::path::Path;
use std::process::{Command, Output};

use codegen::diagnostics::Diagnostics;
use codegen::ir::{Ir, Shape};
use codegen::load::Documents;
use codegen::{GeneratedFile, Options};
use serde_json::Value;
use xtask::project_root;

/// `target/<name>` under the project, emptied.
pub fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = project_root().join("target").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Loads a spec given relative to the project root; returns a crate-friendly stem of its file
/// name (`each_keyword`) with the documents.
pub fn load(spec: &str) -> (String, Documents) {
    let path = project_root().join(spec);
    let stem = path.file_stem().and_then(|s| s.to_str()).expect("file name").replace(['.', '-'], "_");
    let mut diags = Diagnostics::default();
    let docs = Documents::load(&path, &mut diags).unwrap_or_else(|| panic!("{spec} does not load: {:?}", diags.into_sorted()));
    (stem, docs)
}

/// Writes a generated crate's files under `dir`.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) {
    for f in files {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, &f.contents).expect("write");
    }
}

/// Appends a `[dev-dependencies]` table (TOML lines) to the crate's manifest and writes a test
/// file `tests/<name>.rs`.
pub fn add_test(dir: &Path, name: &str, source: &str, dev_dependencies: &str) {
    std::fs::create_dir_all(dir.join("tests")).expect("tests dir");
    std::fs::write(dir.join(format!("tests/{name}.rs")), source).expect("test file");
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, format!("{text}\n[dev-dependencies]\n{dev_dependencies}")).expect("manifest");
}

/// A workspace over `members` (folders below `dir`), locked like the project.
pub fn workspace(dir: &Path, members: &[String]) {
    let list: Vec<String> = members.iter().map(|m| format!("{m:?}")).collect();
    std::fs::write(dir.join("Cargo.toml"), format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", list.join(", "))).expect("workspace");
    // The project's lock file pins the versions the committed crate builds with; offline builds
    // need nothing else.
    std::fs::copy(project_root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock");
}

/// `cargo <args>` in `dir`, offline, with the shared scratch target folder.
pub fn cargo(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    // `--offline` right after the subcommand: whatever follows a `--` belongs to another tool.
    let (subcommand, rest) = args.split_first().expect("a cargo subcommand");
    command.current_dir(dir).env("CARGO_TARGET_DIR", project_root().join("target/scratch-target")).arg(subcommand).arg("--offline").args(rest);
    // Generated crates are large: no incremental caches (disk), line tables only (link time).
    command.env("CARGO_INCREMENTAL", "0").env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only").env("CARGO_PROFILE_TEST_DEBUG", "line-tables-only");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("cargo runs")
}

/// One named schema with a generated type and validator.
#[derive(Debug, Clone)]
pub struct NamedSchema {
    /// The Rust type a value of the schema converts into, relative to the crate root
    /// (`types::Name`, or `Option<types::Name>` when `null` is a value).
    pub rust_type: String,
    /// The validator function in `validate`.
    pub validator: String,
    /// Where the schema is written: file (relative to the root document) and JSON pointer.
    pub file: String,
    /// See `file`.
    pub pointer: String,
    /// The schema as written.
    pub schema: Value,
}

/// The named schemas of a spec, in arena order.
pub fn named_schemas(docs: &Documents, options: &Options) -> Vec<NamedSchema> {
    let mut diags = Diagnostics::default();
    let ir = Ir::build(docs, options, &mut diags);
    let mut out = Vec::new();
    for (id, node) in ir.schemas.iter_enumerated() {
        let (Some(name), Some(validator)) = (&node.name, &node.validator) else { continue };
        // `null` is a value of the type position when the schema (or an alias it names) allows it.
        let mut nullable = node.nullable;
        let mut at = id;
        while let Shape::Alias(next) = ir.schemas[at].shape {
            at = next;
            nullable |= ir.schemas[at].nullable;
        }
        let rust_type = if nullable && !matches!(node.shape, Shape::Any) { format!("Option<types::{name}>") } else { format!("types::{name}") };
        let schema = docs.get(&node.loc.file, &node.loc.pointer).cloned().unwrap_or(Value::Null);
        out.push(NamedSchema { rust_type, validator: validator.clone(), file: node.loc.file.clone(), pointer: node.loc.pointer.clone(), schema });
    }
    out
}

/// The fast-path reader function (`read_*`) of each schema, when the generated `validate.rs`
/// has one (bodies the fast path covers), in the order of `targets`.
pub fn fast_readers(files: &[GeneratedFile], targets: &[NamedSchema]) -> Vec<Option<String>> {
    let validate_rs = files.iter().find(|f| f.path == "src/validate.rs").map(|f| f.contents.as_str()).unwrap_or_default();
    targets
        .iter()
        .map(|t| {
            let name = codegen::naming::companion_fn(&t.validator, "read");
            validate_rs.contains(&format!("pub fn {name}(")).then_some(name)
        })
        .collect()
}
