//! The generator as a library: [`Builder`] (spec, configuration, overrides -> [`Generated`]),
//! the one-file form of the output for `include!` from a build script's `OUT_DIR`, and the
//! helper that reports diagnostics as cargo warnings.
//!
//! ```no_run
//! // build.rs
//! let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
//! let generated = codegen::Builder::new().spec("openapi.yaml").generate().unwrap();
//! codegen::builder::cargo_directives(&generated);
//! std::fs::write(out.join("api.rs"), generated.single_file().unwrap()).unwrap();
//! // src/lib.rs: include!(concat!(env!("OUT_DIR"), "/api.rs"));
//! ```

use std::path::{Path, PathBuf};

use crate::options::{self, ConfigError};
use crate::{Diagnostic, GenerateError, Generated, Options, Severity};

/// Where the spec comes from.
#[derive(Debug, Clone)]
enum Spec {
    Path(PathBuf),
    Text { name: String, text: String },
}

/// Which configuration file is read.
#[derive(Debug, Clone)]
enum ConfigFile {
    /// `<spec stem>.codegen.toml` beside the spec, when it exists.
    Conventional,
    /// This file (it must exist).
    File(PathBuf),
    /// None.
    Off,
}

/// Why [`Builder::generate`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No spec was given.
    #[error("no spec: call Builder::spec or Builder::spec_text")]
    NoSpec,
    /// The configuration file or an override is wrong (located).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// Generation failed (the spec's errors are in it).
    #[error("{0}")]
    Generate(#[from] GenerateError),
}

/// Generates a crate from a spec. Options are layered: [`Builder::options`] (default
/// [`Options::default`]) < the configuration file < [`Builder::set`].
///
/// ```no_run
/// let generated = codegen::Builder::new()
///     .spec("openapi.yaml")
///     .config_file("codegen.toml")
///     .set("crate-name", "petstore")
///     .generate()?;
/// for file in &generated.files {
///     println!("{}: {} bytes", file.path, file.contents.len());
/// }
/// # Ok::<(), codegen::builder::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    spec: Option<Spec>,
    options: Options,
    config: ConfigFile,
    overrides: toml::Table,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// A builder with the default options, reading the spec's conventional configuration file.
    pub fn new() -> Self {
        Builder { spec: None, options: Options::default(), config: ConfigFile::Conventional, overrides: toml::Table::new() }
    }

    /// The spec file (JSON or YAML; files it references by relative `$ref` are read from its
    /// folder tree, see `spec-root`).
    pub fn spec(mut self, path: impl Into<PathBuf>) -> Self {
        self.spec = Some(Spec::Path(path.into()));
        self
    }

    /// Spec text (`name` picks the parser by extension: `.json`, else YAML). No configuration
    /// file is looked for next to it.
    pub fn spec_text(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.spec = Some(Spec::Text { name: name.into(), text: text.into() });
        self
    }

    /// The options the configuration file and the overrides are layered over.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Read this configuration file instead of the conventional one (it must exist).
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = ConfigFile::File(path.into());
        self
    }

    /// Read no configuration file.
    pub fn no_config_file(mut self) -> Self {
        self.config = ConfigFile::Off;
        self
    }

    /// Sets one option by its configuration key, over the file: a dotted key names a nested
    /// one (`unknown-fields.requests`, `types.by-format.decimal`).
    pub fn set(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        crate::options::insert_dotted(&mut self.overrides, key, value.into());
        self
    }

    /// Sets every key of `table` over the file (what the command line gives).
    pub fn overrides(mut self, table: toml::Table) -> Self {
        self.overrides = crate::options::layer_tables(std::mem::take(&mut self.overrides), &table);
        self
    }

    /// The configuration file that will be read, if any.
    pub fn config_path(&self) -> Option<PathBuf> {
        match (&self.config, &self.spec) {
            (ConfigFile::File(p), _) => Some(p.clone()),
            (ConfigFile::Conventional, Some(Spec::Path(spec))) => Some(options::default_config_path(spec)).filter(|p| p.is_file()),
            _ => None,
        }
    }

    /// The options after layering (for writers that need `force`, and for tools).
    pub fn resolved_options(&self) -> Result<Options, ConfigError> {
        let mut options = self.options.clone();
        if let Some(path) = self.config_path() {
            let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
                file: path.clone(),
                line: None,
                column: None,
                key: None,
                message: format!("cannot read the configuration file: {e}"),
            })?;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            options = options::parse_config(&path, &text, &dir, &options)?;
        }
        if !self.overrides.is_empty() {
            options = options::layer(&options, &self.overrides).map_err(|message| ConfigError {
                file: "command line".into(),
                line: None,
                column: None,
                key: None,
                message,
            })?;
        }
        Ok(options)
    }

    /// Generates the crate.
    pub fn generate(&self) -> Result<Generated, BuildError> {
        let options = self.resolved_options()?;
        match &self.spec {
            None => Err(BuildError::NoSpec),
            Some(Spec::Path(p)) => Ok(crate::generate(p, &options)?),
            Some(Spec::Text { name, text }) => Ok(crate::generate_str(name, text, &options)?),
        }
    }
}

impl Generated {
    /// The crate's Rust modules as one file for `include!` at the root of the including crate
    /// (`include!(concat!(env!("OUT_DIR"), "/api.rs"));` in its `lib.rs`): `runtime`, `types`,
    /// `validate`, and `server`/`client` behind features of those names, which the including
    /// crate declares with the dependencies of [`Generated::dependencies`].
    pub fn single_file(&self) -> Result<String, GenerateError> {
        let stamp = self.files.iter().find(|f| f.path == "src/lib.rs").and_then(|f| f.contents.lines().next()).unwrap_or_default().to_string();
        let lib = self.source_file("src/lib.rs")?.ok_or_else(|| GenerateError::Internal("no src/lib.rs".into()))?;
        // The crate's lint allowances go on every module (an included file cannot hold inner
        // attributes); its docs stay with the crate.
        let allowances: Vec<syn::Attribute> = lib.attrs.iter().filter(|a| !a.path().is_ident("doc")).cloned().map(outer).collect();
        let mut items = Vec::new();
        for item in lib.items {
            match item {
                syn::Item::Mod(mut m) => {
                    m.attrs.extend(allowances.iter().cloned());
                    items.extend(self.inline_module(m, "src")?.map(syn::Item::Mod));
                }
                other => items.push(other),
            }
        }
        let mut file = lib_shell();
        file.items = items;
        Ok(format!("{stamp}\n{}", prettyplease::unparse(&file)))
    }

    /// The file at `path`, its stamp line left out, parsed; `None` when there is no such file.
    fn source_file(&self, path: &str) -> Result<Option<syn::File>, GenerateError> {
        let Some(f) = self.files.iter().find(|f| f.path == path) else { return Ok(None) };
        let text = f.contents.split_once('\n').map_or("", |(_, rest)| rest);
        syn::parse_str(text).map(Some).map_err(|e| GenerateError::Internal(format!("{path}: {e}")))
    }

    /// `mod name;` declared in the folder `dir` with its file's items as its body (`name.rs` or
    /// `name/mod.rs`, its own `mod` declarations inlined the same way); the file's inner
    /// attributes become the module's outer ones. A module with a body is kept as it is; a
    /// `#[cfg]`'d module without a file is one the generator left out (`None`).
    fn inline_module(&self, mut m: syn::ItemMod, dir: &str) -> Result<Option<syn::ItemMod>, GenerateError> {
        if m.content.is_some() {
            return Ok(Some(m));
        }
        let name = m.ident.to_string();
        let (file, child_dir) = match self.source_file(&format!("{dir}/{name}.rs"))? {
            Some(file) => (file, format!("{dir}/{name}")),
            None => match self.source_file(&format!("{dir}/{name}/mod.rs"))? {
                Some(file) => (file, format!("{dir}/{name}")),
                None if m.attrs.iter().any(|a| a.path().is_ident("cfg")) => return Ok(None),
                None => return Err(GenerateError::Internal(format!("module `{name}` has no file under {dir}/"))),
            },
        };
        m.attrs.extend(file.attrs.into_iter().map(outer));
        let mut body = Vec::new();
        for item in file.items {
            match item {
                syn::Item::Mod(sub) => body.extend(self.inline_module(sub, &child_dir)?.map(syn::Item::Mod)),
                other => body.push(other),
            }
        }
        m.content = Some((syn::token::Brace::default(), body));
        m.semi = None;
        Ok(Some(m))
    }

    /// The `[dependencies]` table of the generated `Cargo.toml` (what a crate that includes
    /// [`Generated::single_file`] needs), as TOML text.
    pub fn dependencies(&self) -> String {
        let Some(manifest) = self.files.iter().find(|f| f.path == "Cargo.toml") else { return String::new() };
        let Ok(table) = manifest.contents.parse::<toml::Table>() else { return String::new() };
        let mut out = toml::Table::new();
        for key in ["dependencies", "features"] {
            if let Some(v) = table.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
        toml::to_string(&out).unwrap_or_default()
    }
}

/// The `cargo::warning=` lines of a build script for these diagnostics (one per line of each
/// diagnostic's text, so multi-line messages stay readable).
pub fn cargo_warning_lines(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Info)
        .flat_map(|d| d.to_string().lines().map(|l| format!("cargo::warning={l}")).collect::<Vec<_>>())
        .collect()
}

/// Prints, from a build script, the diagnostics as cargo warnings (see [`cargo_warning_lines`]).
pub fn cargo_directives(generated: &Generated) {
    for line in cargo_warning_lines(&generated.diagnostics) {
        println!("{line}");
    }
}

/// Prints, from a build script, `cargo::rerun-if-changed` for the spec folder and the
/// configuration file, so the build script reruns when either changes.
pub fn rerun_if_changed(builder: &Builder) {
    if let Some(Spec::Path(p)) = &builder.spec {
        println!("cargo::rerun-if-changed={}", p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(p).display());
    }
    if let Some(c) = builder.config_path() {
        println!("cargo::rerun-if-changed={}", c.display());
    }
}

/// An inner attribute as an outer one.
fn outer(mut a: syn::Attribute) -> syn::Attribute {
    a.style = syn::AttrStyle::Outer;
    a
}

/// An empty file (no attributes, no items).
fn lib_shell() -> syn::File {
    syn::parse_str("").unwrap_or_else(|_| unreachable!("the empty file parses"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "openapi: 3.1.0\ninfo: {title: Pets, version: 1.0.0}\npaths:\n  /pets:\n    get:\n      operationId: listPets\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Pet'}\ncomponents:\n  schemas:\n    Pet:\n      type: object\n      properties:\n        name: {type: string, format: emailish}\n";

    #[test]
    fn set_overrides_the_options_and_single_file_parses() {
        let g = Builder::new()
            .spec_text("pets.yaml", SPEC)
            .set("crate-name", "my-pets")
            .set("server", false)
            .set("assert-formats", true)
            .generate()
            .expect("generates");
        let manifest = &g.files.iter().find(|f| f.path == "Cargo.toml").expect("manifest").contents;
        assert!(manifest.contains("name = \"my-pets\""), "{manifest}");
        assert!(!g.files.iter().any(|f| f.path == "src/server.rs"));
        let one = g.single_file().expect("one file");
        assert!(one.starts_with("// @generated by"), "{}", &one[..80]);
        let parsed: syn::File = syn::parse_str(&one).expect("parses");
        assert!(parsed.attrs.is_empty(), "no inner attributes at the top of an included file");
        for m in ["pub mod runtime", "pub mod types", "pub mod validate", "pub mod client"] {
            assert!(one.contains(m), "{m}");
        }
        assert!(g.dependencies().contains("serde_json"), "{}", g.dependencies());
        let lines = cargo_warning_lines(&g.diagnostics);
        assert!(lines.iter().all(|l| l.starts_with("cargo::warning=")) && !lines.is_empty(), "{lines:?}");
    }

    #[test]
    fn a_bad_override_and_a_missing_spec_are_errors() {
        let e = Builder::new().spec_text("pets.yaml", SPEC).set("no-such-option", true).generate().expect_err("unknown key");
        assert!(e.to_string().contains("no-such-option"), "{e}");
        assert!(matches!(Builder::new().generate(), Err(BuildError::NoSpec)));
        let e = Builder::new().spec_text("pets.yaml", SPEC).config_file("/nonexistent/codegen.toml").generate().expect_err("missing file");
        assert!(matches!(e, BuildError::Config(_)), "{e}");
    }
}
