//! The corpus gate: generate a crate for every spec in a folder, build them all in one scratch
//! workspace on the project's lock file, run each generated router smoke test, and print a table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// One spec's row.
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// Spec name (file stem or folder name).
    pub name: String,
    /// The `openapi` field.
    pub version: String,
    /// Operations.
    pub operations: u64,
    /// Named types.
    pub types: u64,
    /// Diagnostics: errors, warnings, infos.
    pub diags: [u64; 3],
    /// Leniency warnings (spec flaws read the safest way; errors with `--strict`).
    pub lenient: u64,
    /// Places held as `serde_json::Value`, and how many of them could be typed.
    pub untyped: [u64; 2],
    /// Generation wall time, milliseconds.
    pub gen_ms: u64,
    /// Peak resident memory of the generating process, KiB.
    pub peak_kib: u64,
    /// Generated Rust lines.
    pub lines: u64,
    /// Generation outcome: `ok`, `spec errors`, `panic`.
    pub generated: String,
    /// Build outcome.
    pub check: String,
    /// Compiler warnings in the generated crate.
    pub warnings: u64,
    /// Smoke test outcome.
    pub smoke: String,
}

/// Finds the documents in `dir`: each JSON/YAML file, and each sub-folder as one multi-file
/// document whose root is the one its manifest names (the `(root: ...)` note of the
/// `path_in_repo` column in the folder's manifest, see [`manifest_roots`]), else the sub-folder's
/// only top-level file with an `openapi` field (the first by name when there are several).
pub fn discover(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let roots = manifest_roots(dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.flatten() {
        let path = entry.path();
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(root) = roots.get(&name) {
                let root = path.join(root);
                if !root.is_file() {
                    bail!("the manifest names {} as the root of {}, and it is not a file", root.display(), path.display());
                }
                out.push((stem, root));
                continue;
            }
            let mut found: Vec<PathBuf> = std::fs::read_dir(&path)?.flatten().map(|e| e.path()).filter(|p| is_spec_file(p) && declares_openapi(p)).collect();
            found.sort();
            if let Some(root) = found.into_iter().next() {
                out.push((stem, root));
            }
        } else if is_spec_file(&path) {
            out.push((stem, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Roots of multi-file documents from the manifest of `dir`: `MANIFEST.tsv` inside it, or beside
/// it named after it (`openapi/` -> `MANIFEST.tsv`, `openapi-added/` -> `MANIFEST-added.tsv`).
/// A row whose `file` column is `name/` and whose `path_in_repo` says `(root: sub/path.yaml)`
/// maps `name` to `sub/path.yaml`.
pub fn manifest_roots(dir: &Path) -> BTreeMap<String, String> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut candidates = vec![dir.join("MANIFEST.tsv")];
    if let (Some(suffix), Some(parent)) = (name.strip_prefix("openapi"), dir.parent()) {
        candidates.push(parent.join(format!("MANIFEST{suffix}.tsv")));
    }
    let mut out = BTreeMap::new();
    for manifest in candidates {
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        let (Some(file_col), Some(path_col)) = (header.iter().position(|h| *h == "file"), header.iter().position(|h| *h == "path_in_repo")) else {
            continue;
        };
        for line in lines {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(file), Some(path)) = (cols.get(file_col), cols.get(path_col)) else { continue };
            let Some(folder) = file.strip_suffix('/') else { continue };
            let root = path.split_once("(root:").and_then(|(_, r)| r.split_once(')')).map(|(r, _)| r.trim());
            if let Some(root) = root.filter(|r| !r.is_empty()) {
                out.insert(folder.to_string(), root.to_string());
            }
        }
        break;
    }
    out
}

fn is_spec_file(p: &Path) -> bool {
    p.is_file() && p.extension().is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
}

fn declares_openapi(p: &Path) -> bool {
    std::fs::read_to_string(p).map(|t| t.lines().take(50).any(|l| l.starts_with("openapi:") || l.trim_start().starts_with("\"openapi\""))).unwrap_or(false)
}

/// Peak resident set size of this process in KiB (Linux `VmHWM`; 0 elsewhere).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Generates one spec in this process and prints a JSON summary line (run as a child process so
/// that its peak memory is its own).
pub fn generate_one(spec: &Path, spec_root: Option<&Path>, out: &Path, name: &str) -> Result<()> {
    let started = Instant::now();
    let options = codegen::Options {
        crate_name: Some(name.to_string()),
        spec_label: spec.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        command: "cargo xtask corpus".into(),
        spec_root: spec_root.map(Path::to_path_buf),
        ..codegen::Options::default()
    };
    let result = codegen::generate(spec, &options);
    let gen_ms = started.elapsed().as_millis() as u64;
    let (diags, summary) = match &result {
        Ok(g) => (&g.diagnostics, Some(g)),
        Err(codegen::GenerateError::Spec(d)) => (d, None),
        Err(e) => bail!("{e}"),
    };
    let count = |s: codegen::Severity| diags.iter().filter(|d| d.severity == s).count();
    let mut lines = 0;
    if let Some(g) = summary {
        for f in &g.files {
            let path = out.join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap_or(out))?;
            std::fs::write(&path, &f.contents)?;
            if f.path.ends_with(".rs") {
                lines += f.contents.lines().count();
            }
        }
    }
    for d in diags.iter().filter(|d| d.severity == codegen::Severity::Error).take(20) {
        eprintln!("{d}");
    }
    let summary = serde_json::json!({
        "ok": result.is_ok(),
        "operations": summary.map_or(0, |g| g.stats.operations),
        "types": summary.map_or(0, |g| g.stats.types),
        "errors": count(codegen::Severity::Error),
        "warnings": count(codegen::Severity::Warning),
        "infos": count(codegen::Severity::Info),
        "lenient": diags.iter().filter(|d| d.leniency).count(),
        "untyped": summary.map_or(0, |g| g.untyped.len()),
        "untyped_typable": summary.map_or(0, |g| g.untyped.iter().filter(|u| u.typable).count()),
        "gen_ms": gen_ms,
        "peak_kib": peak_rss_kib(),
        "lines": lines,
    });
    println!("{summary}");
    Ok(())
}

fn openapi_version(spec: &Path) -> String {
    let text = std::fs::read_to_string(spec).unwrap_or_default();
    let value = codegen::load::parse_text(&spec.to_string_lossy(), &text).unwrap_or_default();
    value.get("openapi").and_then(Value::as_str).unwrap_or_default().to_string()
}

/// Runs the gate over the documents of `dirs`; `work` is the scratch workspace. Returns the rows.
pub fn run(dirs: &[PathBuf], work: &Path, lock: &Path, check_over_lines: Option<u64>) -> Result<Vec<Row>> {
    let mut specs = Vec::new();
    for dir in dirs {
        let found = discover(dir)?;
        if found.is_empty() {
            bail!("no OpenAPI documents in {}", dir.display());
        }
        // A multi-file document is confined to its own folder (its root may sit deeper).
        specs.extend(found.into_iter().map(|(name, spec)| {
            let folder = spec.strip_prefix(dir).ok().and_then(|rel| rel.components().next()).map(|c| dir.join(c));
            let spec_root = folder.filter(|f| f.is_dir());
            (name, spec, spec_root)
        }));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some((dup, _, _)) = specs.iter().find(|(n, _, _)| !seen.insert(n.clone())) {
        bail!("two documents are named {dup}; give the gate folders whose document names differ");
    }
    // Fresh crates every run; the build cache (`target`) is kept.
    std::fs::create_dir_all(work)?;
    for entry in std::fs::read_dir(work)?.flatten() {
        if entry.file_name() != "target" {
            let path = entry.path();
            let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        }
    }
    let exe = std::env::current_exe()?;
    let mut rows = Vec::new();
    let mut members = Vec::new();
    for (name, spec, spec_root) in &specs {
        let crate_name = format!("corpus-{}", name.to_ascii_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
        let out = work.join(name);
        let mut row = Row { name: name.clone(), version: openapi_version(spec), ..Row::default() };
        let mut child = Command::new(&exe);
        child.args(["corpus-one", "--spec"]).arg(spec);
        if let Some(r) = spec_root {
            child.arg("--spec-root").arg(r);
        }
        let child = child.arg("--out").arg(&out).args(["--name", &crate_name]).output().context("running the generator")?;
        let stdout = String::from_utf8_lossy(&child.stdout);
        match stdout.lines().last().and_then(|l| serde_json::from_str::<Value>(l).ok()) {
            Some(v) => {
                let n = |k: &str| v[k].as_u64().unwrap_or(0);
                row.operations = n("operations");
                row.types = n("types");
                row.diags = [n("errors"), n("warnings"), n("infos")];
                row.lenient = n("lenient");
                row.untyped = [n("untyped"), n("untyped_typable")];
                row.gen_ms = n("gen_ms");
                row.peak_kib = n("peak_kib");
                row.lines = n("lines");
                row.generated = if v["ok"].as_bool() == Some(true) { "ok".into() } else { "spec errors".into() };
            }
            None => {
                row.generated = if child.status.code() == Some(101) { "PANIC".into() } else { "FAILED".into() };
                eprintln!("{name}: {}", String::from_utf8_lossy(&child.stderr));
            }
        }
        if row.generated == "ok" {
            members.push((name.clone(), crate_name));
        } else {
            eprintln!("{name}: {}", String::from_utf8_lossy(&child.stderr).lines().take(10).collect::<Vec<_>>().join("\n"));
        }
        rows.push(row);
    }
    let manifest = format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", members.iter().map(|(n, _)| format!("{n:?}")).collect::<Vec<_>>().join(", "));
    std::fs::write(work.join("Cargo.toml"), manifest)?;
    std::fs::copy(lock, work.join("Cargo.lock")).context("copying Cargo.lock")?;
    let target = work.join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Millions of generated lines: without debug info and incremental caches the build takes a
    // fraction of the disk (tens of GB otherwise) and of the link time.
    let lean = [("CARGO_PROFILE_DEV_DEBUG", "0"), ("CARGO_PROFILE_TEST_DEBUG", "0"), ("CARGO_INCREMENTAL", "0")];
    // Crates past `check_over_lines` are only checked (`cargo check`, tests included): the CI
    // budget cannot build the largest documents; `None` builds everything.
    let checked: Vec<&(String, String)> =
        members.iter().filter(|(name, _)| check_over_lines.is_some_and(|n| rows.iter().any(|r| &r.name == name && r.lines > n))).collect();
    let built: Vec<&(String, String)> = members.iter().filter(|m| !checked.contains(m)).collect();
    let mut warnings: BTreeMap<String, u64> = BTreeMap::new();
    let mut failed: BTreeMap<String, bool> = BTreeMap::new();
    // The smoke-test binaries the build produced, run directly below: a `cargo test -p` per
    // crate would resolve features per package and rebuild the biggest crates again.
    let mut executables: BTreeMap<String, String> = BTreeMap::new();
    let mut cargo_failed = false;
    for (subcommand, group) in [("test", &built), ("check", &checked)] {
        if group.is_empty() {
            continue;
        }
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(work).envs(lean).env("CARGO_TARGET_DIR", &target).arg(subcommand);
        for (_, crate_name) in group.iter() {
            cmd.args(["-p", crate_name]);
        }
        // One build of every crate of the group (library and smoke test) with every feature,
        // going on past a crate that fails; warnings are counted per package.
        cmd.args(["--all-features", "--offline", "--test", "router_starts", "--message-format=json-diagnostic-short"]);
        // `cargo test` spells "keep going past a failing crate" `--no-fail-fast`.
        cmd.args(if subcommand == "test" { &["--no-run", "--no-fail-fast"][..] } else { &["--keep-going"][..] });
        let build = cmd.output().context("running cargo")?;
        for line in String::from_utf8_lossy(&build.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<Value>(line) else { continue };
            let Some(pkg) = msg["package_id"].as_str() else { continue };
            let Some((_, crate_name)) = members.iter().find(|(_, c)| pkg.contains(&format!("#{c}@"))) else {
                continue;
            };
            if let (Some("compiler-artifact"), Some(exe)) = (msg["reason"].as_str(), msg["executable"].as_str()) {
                executables.insert(crate_name.clone(), exe.to_string());
            }
            match (msg["reason"].as_str(), msg["message"]["level"].as_str()) {
                (Some("compiler-message"), Some("warning")) => {
                    *warnings.entry(crate_name.clone()).or_default() += 1;
                    if let Some(text) = msg["message"]["rendered"].as_str() {
                        eprint!("{crate_name}: {text}");
                    }
                }
                (Some("compiler-message"), Some("error")) => {
                    failed.insert(crate_name.clone(), true);
                    if let Some(text) = msg["message"]["rendered"].as_str() {
                        eprint!("{crate_name}: {text}");
                    }
                }
                _ => {}
            }
        }
        if !build.status.success() && failed.is_empty() {
            cargo_failed = true;
            eprintln!("{}", String::from_utf8_lossy(&build.stderr));
        }
    }
    for (name, crate_name) in &members {
        let row = rows.iter_mut().find(|r| &r.name == name).context("row")?;
        row.warnings = warnings.get(crate_name).copied().unwrap_or(0);
        if failed.contains_key(crate_name) || cargo_failed {
            row.check = "FAILED".into();
            row.smoke = "-".into();
            continue;
        }
        row.check = "ok".into();
        if checked.iter().any(|(n, _)| n == name) {
            row.check = "checked".into();
            row.smoke = "-".into();
            continue;
        }
        let Some(exe) = executables.get(crate_name) else {
            row.smoke = "FAILED".into();
            eprintln!("{name}: the build produced no smoke-test binary");
            continue;
        };
        let smoke = Command::new(exe).current_dir(work.join(name)).output().context("running the smoke test")?;
        row.smoke = if smoke.status.success() { "ok".into() } else { "FAILED".into() };
        if !smoke.status.success() {
            eprintln!("{name} smoke test:\n{}{}", String::from_utf8_lossy(&smoke.stdout), String::from_utf8_lossy(&smoke.stderr));
        }
    }
    Ok(rows)
}

/// The table, one row per spec plus totals.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<30} {:>7} {:>5} {:>6} {:>14} {:>7} {:>11} {:>8} {:>9} {:>8} {:>11} {:>7} {:>5} {:>6}",
        "spec", "openapi", "ops", "types", "diag e/w/i", "lenient", "untyped/typ", "gen ms", "peak MiB", "lines", "generated", "check", "warn", "smoke"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<30} {:>7} {:>5} {:>6} {:>14} {:>7} {:>11} {:>8} {:>9.1} {:>8} {:>11} {:>7} {:>5} {:>6}",
            r.name,
            r.version,
            r.operations,
            r.types,
            format!("{}/{}/{}", r.diags[0], r.diags[1], r.diags[2]),
            r.lenient,
            format!("{}/{}", r.untyped[0], r.untyped[1]),
            r.gen_ms,
            r.peak_kib as f64 / 1024.0,
            r.lines,
            r.generated,
            r.check,
            r.warnings,
            r.smoke
        );
    }
    let ok = |f: fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let _ = writeln!(
        out,
        "total: {} specs, {} generated, {} compiled, {} checked only, {} smoke-tested, {} panics, {} warnings, {} lenient, {} ops, {} types, {} lines, {} ms generating",
        rows.len(),
        ok(|r| r.generated == "ok"),
        ok(|r| r.check == "ok"),
        ok(|r| r.check == "checked"),
        ok(|r| r.smoke == "ok"),
        ok(|r| r.generated == "PANIC"),
        rows.iter().map(|r| r.warnings).sum::<u64>(),
        rows.iter().map(|r| r.lenient).sum::<u64>(),
        rows.iter().map(|r| r.operations).sum::<u64>(),
        rows.iter().map(|r| r.types).sum::<u64>(),
        rows.iter().map(|r| r.lines).sum::<u64>(),
        rows.iter().map(|r| r.gen_ms).sum::<u64>(),
    );
    out
}

/// True when every spec generated, compiled (or, past the line limit, checked) without warnings
/// and passed its smoke test.
pub fn all_green(rows: &[Row]) -> bool {
    rows.iter().all(|r| r.generated == "ok" && r.warnings == 0 && (r.check == "ok" && r.smoke == "ok" || r.check == "checked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_file_document_is_rooted_where_the_manifest_says() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("openapi-added");
        let doc = dir.join("multi");
        std::fs::create_dir_all(doc.join("namespaces")).expect("mkdir");
        // A top-level file with an `openapi` field that is not the root: the manifest wins.
        std::fs::write(doc.join("_info.yaml"), "openapi: 3.1.0\n").expect("write");
        std::fs::write(doc.join("namespaces/core.yaml"), "openapi: 3.1.0\n").expect("write");
        std::fs::write(dir.join("single.yaml"), "openapi: 3.0.0\n").expect("write");
        std::fs::write(
            tmp.path().join("MANIFEST-added.tsv"),
            "name\tfile\tsource_repo\tpath_in_repo\nmulti\tmulti/\tx/y\tspec/ (root: namespaces/core.yaml)\nsingle\tsingle.yaml\tx/y\tsingle.yaml\n",
        )
        .expect("manifest");
        let found = discover(&dir).expect("discover");
        assert_eq!(found, vec![("multi".to_string(), doc.join("namespaces/core.yaml")), ("single".to_string(), dir.join("single.yaml"))]);
        // Without a manifest row the folder's top-level `openapi` file is taken.
        std::fs::remove_file(tmp.path().join("MANIFEST-added.tsv")).expect("rm");
        assert_eq!(discover(&dir).expect("discover")[0].1, doc.join("_info.yaml"));
    }
}
