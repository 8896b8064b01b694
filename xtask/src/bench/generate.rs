//! Generation by each tool: the specs a run names, the command each tool generates a crate with,
//! the line counter (every `.rs` under `src/`, per file of this generator's layout) and the
//! synthetic specs of the lines-per-operation figure.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::tools::Tools;

/// A generator measured by the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tool {
    /// This generator (`xtask gen`, release build).
    Ours,
    /// openapi-generator's `rust-axum` (server) generator.
    OagAxum,
    /// openapi-generator's `rust` (reqwest client) generator.
    OagRust,
    /// cargo-progenitor (client).
    Progenitor,
}

impl Tool {
    /// Every tool, in the order of a round (this generator first, then one other after another).
    pub const ALL: [Tool; 4] = [Tool::Ours, Tool::OagAxum, Tool::OagRust, Tool::Progenitor];

    /// The name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Ours => "ours",
            Tool::OagAxum => "openapi-generator rust-axum",
            Tool::OagRust => "openapi-generator rust",
            Tool::Progenitor => "progenitor",
        }
    }

    /// The folder name of its scratch workspace.
    pub fn slug(self) -> &'static str {
        match self {
            Tool::Ours => "ours",
            Tool::OagAxum => "oag-rust-axum",
            Tool::OagRust => "oag-rust",
            Tool::Progenitor => "progenitor",
        }
    }

    /// The package name of its crate for `spec`.
    pub fn package(self, spec: &str) -> String {
        let base = format!("bench-{}", spec.to_ascii_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
        match self {
            // openapi-generator writes `packageName` into the manifest as given and uses it as
            // the library name: underscores only.
            Tool::OagAxum | Tool::OagRust => base.replace('-', "_"),
            Tool::Ours | Tool::Progenitor => base,
        }
    }

    /// The program and arguments that generate `spec` into `out`.
    pub fn command(self, tools: &Tools, spec: &Spec, out: &Path) -> Result<(PathBuf, Vec<OsString>)> {
        let name = self.package(&spec.name);
        let os = |s: &str| OsString::from(s);
        Ok(match self {
            Tool::Ours => {
                let mut args = vec![os("gen"), os("--spec"), spec.path.clone().into(), os("--out"), out.into(), os("--crate-name"), os(&name)];
                if let Some(root) = &spec.root {
                    args.extend([os("--spec-root"), root.into()]);
                }
                (tools.xtask_release.clone(), args)
            }
            Tool::OagAxum | Tool::OagRust => {
                let cli = tools.openapi_generator.clone().context("openapi-generator-cli is not installed")?;
                let generator = if self == Tool::OagAxum { "rust-axum" } else { "rust" };
                let args = vec![
                    os("generate"),
                    os("-g"),
                    os(generator),
                    os("-i"),
                    spec.path.clone().into(),
                    os("-o"),
                    out.into(),
                    os("--skip-validate-spec"),
                    os("--additional-properties"),
                    os(&format!("packageName={name}")),
                ];
                (cli, args)
            }
            Tool::Progenitor => {
                let bin = tools.progenitor.clone().context("cargo-progenitor is not installed")?;
                let args = vec![os("progenitor"), os("-i"), spec.path.clone().into(), os("-o"), out.into(), os("-n"), os(&name), os("-v"), os("0.1.0")];
                (bin, args)
            }
        })
    }
}

/// One spec of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The corpus name (file stem), or the file stem of a path.
    pub name: String,
    /// The document.
    pub path: PathBuf,
    /// The folder a multi-file document is confined to.
    pub root: Option<PathBuf>,
}

/// The corpus specs of the default run: a small one, then Oxide Nexus, Asana, Box and Stripe.
pub const DEFAULT_SPECS: [&str; 5] = ["oxide-dns-server", "oxide-nexus", "asana", "box", "stripe"];

/// Finds `name` in the corpus folders (by name, see [`crate::corpus`]) or as a path.
pub fn resolve(name: &str, corpus_dirs: &[PathBuf]) -> Result<Spec> {
    let as_path = Path::new(name);
    if as_path.is_file() {
        let stem = as_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| name.to_string());
        let path = std::fs::canonicalize(as_path).with_context(|| format!("resolving {name}"))?;
        return Ok(Spec { name: stem, path, root: None });
    }
    let mut known = Vec::new();
    for dir in corpus_dirs.iter().filter(|d| d.is_dir()) {
        for (found, path) in xtask::corpus::discover(dir)? {
            if found == name {
                let folder = path.strip_prefix(dir).ok().and_then(|rel| rel.components().next()).map(|c| dir.join(c));
                let root = folder.filter(|f| f.is_dir());
                return Ok(Spec { name: found, path, root });
            }
            known.push(found);
        }
    }
    if known.is_empty() {
        bail!(
            "`{name}` is not a file, and no corpus folder was found ({})",
            corpus_dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    bail!("`{name}` is neither a file nor a corpus spec (known: {})", known.join(", "))
}

/// Lines of every `.rs` file under `crate_dir/src`, by path relative to `src` (`/`-separated).
pub fn count_lines(crate_dir: &Path) -> Result<BTreeMap<String, u64>> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, u64>) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, out)?;
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                let rel = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                out.insert(rel, text.lines().count() as u64);
            }
        }
        Ok(())
    }
    let src = crate_dir.join("src");
    if !src.is_dir() {
        bail!("{} has no src/ folder", crate_dir.display());
    }
    let mut out = BTreeMap::new();
    walk(&src, &src, &mut out)?;
    Ok(out)
}

/// The groups of this generator's layout that the lines-per-operation figure reports.
pub const GROUPS: [&str; 6] = ["server.rs", "client.rs", "types.rs", "validate.rs", "runtime", "other"];

/// Lines per group of [`GROUPS`]: the four modules, `runtime/` together, the rest as `other`.
pub fn group_lines(files: &BTreeMap<String, u64>) -> BTreeMap<&'static str, u64> {
    let mut out: BTreeMap<&'static str, u64> = GROUPS.iter().map(|g| (*g, 0)).collect();
    for (path, n) in files {
        let group = GROUPS.iter().find(|g| path == *g).copied().unwrap_or(if path.starts_with("runtime/") { "runtime" } else { "other" });
        *out.entry(group).or_default() += n;
    }
    out
}

/// A spec of `n` trivial operations: `GET /items{i}/{id}`, one string path parameter, one JSON
/// string response.
pub fn synthetic_spec(n: usize) -> String {
    let mut paths = serde_json::Map::new();
    for i in 0..n {
        let op = serde_json::json!({
            "get": {
                "operationId": format!("get_item{i}"),
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "string" } } } } }
            }
        });
        paths.insert(format!("/items{i}/{{id}}"), op);
    }
    let doc = serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": format!("Synthetic {n}"), "version": "1.0.0" },
        "paths": paths,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_rs_file_under_src() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let src = dir.path().join("src/runtime");
        std::fs::create_dir_all(&src)?;
        std::fs::write(dir.path().join("src/lib.rs"), "a\nb\n\nc")?;
        std::fs::write(dir.path().join("src/server.rs"), "x\n")?;
        std::fs::write(src.join("mod.rs"), "1\n2\n")?;
        std::fs::write(src.join("notes.txt"), "not rust\n")?;
        std::fs::write(dir.path().join("build.rs"), "outside src\n")?;
        let files = count_lines(dir.path())?;
        assert_eq!(files, BTreeMap::from([("lib.rs".to_string(), 4), ("runtime/mod.rs".to_string(), 2), ("server.rs".to_string(), 1)]));
        let groups = group_lines(&files);
        assert_eq!((groups["server.rs"], groups["runtime"], groups["other"], groups["client.rs"]), (1, 2, 4, 0));
        assert!(count_lines(&dir.path().join("src/runtime")).is_err(), "a folder without src/");
        Ok(())
    }

    #[test]
    fn synthetic_specs_have_n_trivial_operations() -> Result<()> {
        let doc: serde_json::Value = serde_json::from_str(&synthetic_spec(3))?;
        let paths = doc["paths"].as_object().context("paths")?;
        assert_eq!(paths.len(), 3);
        let op = &paths["/items2/{id}"]["get"];
        assert_eq!(op["parameters"][0]["in"], "path");
        assert_eq!(op["responses"]["200"]["content"]["application/json"]["schema"]["type"], "string");
        Ok(())
    }

    #[test]
    fn package_names() {
        assert_eq!(Tool::Ours.package("Oxide.Nexus"), "bench-oxide-nexus");
        assert_eq!(Tool::OagRust.package("oxide-nexus"), "bench_oxide_nexus");
    }
}
