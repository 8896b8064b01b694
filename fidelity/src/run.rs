//! The gate's run: find the documents (as the corpus gate does), generate a types-and-validators
//! crate per document with a harness, instances per schema, one offline build of them all on the
//! project's lock file, the harnesses run, and every verdict compared with `jsonschema`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use codegen::Options;
use codegen::diagnostics::Diagnostics;
use codegen::ir::Ir;
use codegen::ir::untyped::Untyped;
use codegen::load::Documents;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::Value;
use tests::instances::{Gen, alternatives, normalise_30};

use crate::Error;
use crate::bundle::{Spelling, bundle};
use crate::compare::{Outcome, compare};
use crate::targets::{Kind, Target, component_schemas, harness, schema_files, targets};

/// Schema-guided values per instance (see `Gen::with_budget`): instances stay below a few
/// kilobytes even for schemas with dozens of members nested deep.
const BUDGET: usize = 300;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folders of documents (a sub-folder is one multi-file document, see `xtask::corpus::discover`).
    pub dirs: Vec<PathBuf>,
    /// Only the documents with these names (all when empty).
    pub only: Vec<String>,
    /// Instances per schema.
    pub per_schema: usize,
    /// At most this many schemas per document (evenly spread over them), for CI's budget.
    pub sample: Option<usize>,
    /// Seed of the instance generator (mixed with each document's name).
    pub seed: u64,
    /// The scratch workspace (its `target` folder is kept between runs).
    pub work: PathBuf,
    /// The project's lock file.
    pub lock: PathBuf,
}

/// One document's row.
#[derive(Debug, Default)]
pub struct SpecReport {
    /// Document name.
    pub name: String,
    /// Its `openapi` field.
    pub version: String,
    /// `ok`, or what failed (generation, build, harness).
    pub status: String,
    /// Targets by kind: components, named inline, unnamed inline.
    pub schemas: [usize; 3],
    /// Targets compared by kind (a sample leaves some out; `jsonschema` may refuse one).
    pub compared: [usize; 3],
    /// Every `components/schemas` entry of the files, and how many were compared.
    pub components: (usize, usize),
    /// References that lead nowhere (read as any value by both sides).
    pub dangling: usize,
    /// The comparison.
    pub outcome: Outcome,
    /// Places held as `serde_json::Value`.
    pub untyped: Vec<Untyped>,
    /// Milliseconds generating (crate, instances).
    pub gen_ms: u128,
    /// Milliseconds running the harness and comparing.
    pub check_ms: u128,
}

impl SpecReport {
    /// Share of the component schemas compared, in percent (100 when there are none).
    pub fn component_coverage(&self) -> f64 {
        if self.components.0 == 0 { 100.0 } else { self.components.1 as f64 * 100.0 / self.components.0 as f64 }
    }
}

struct Prepared {
    spec: PathBuf,
    spec_root: Option<PathBuf>,
    crate_name: String,
    dir: PathBuf,
    targets: Vec<Target>,
}

/// The documents of `dirs` with the folder that confines each (a multi-file document's folder).
pub fn documents(dirs: &[PathBuf]) -> Result<Vec<(String, PathBuf, Option<PathBuf>)>, Error> {
    let mut out = Vec::new();
    for dir in dirs {
        let found = xtask::corpus::discover(dir).map_err(|e| Error::Discover(dir.clone(), format!("{e:#}")))?;
        out.extend(found.into_iter().map(|(name, spec)| {
            let folder = spec.strip_prefix(dir).ok().and_then(|rel| rel.components().next()).map(|c| dir.join(c));
            (name, spec, folder.filter(|f| f.is_dir()))
        }));
    }
    Ok(out)
}

fn options(krate: &str, spec_root: Option<&Path>) -> Options {
    // `format` is an annotation for `jsonschema` (2020-12 default): plain formats here too. Only
    // types and validators: the server and client add nothing the comparison reads.
    Options {
        crate_name: Some(krate.into()),
        command: "cargo xtask fidelity".into(),
        server: false,
        client: false,
        plain_formats: true,
        spec_root: spec_root.map(Path::to_path_buf),
        ..Options::default()
    }
}

fn load(spec: &Path, spec_root: Option<&Path>) -> Result<Documents, Error> {
    let mut diags = Diagnostics::new(false);
    Documents::load_within(spec, spec_root, &mut diags).ok_or_else(|| Error::Load(spec.to_path_buf(), format!("{:?}", diags.into_sorted().first())))
}

/// The two readings of a document the comparison needs: the reference (JSON Schema, references
/// as URI fragments) with the alternatives, and the generator's (plain pointers).
fn readings(docs: &Documents, ir: &Ir) -> (Value, Value, Vec<(&'static str, Value)>, usize) {
    let openapi_30 = docs.root_value()["openapi"].as_str().is_some_and(|v| v.starts_with("3.0"));
    let files = schema_files(ir, docs);
    let raw = bundle(docs, &files, !openapi_30, Spelling::Fragment);
    let mut reference = raw.value.clone();
    let mut generator = bundle(docs, &files, !openapi_30, Spelling::Pointer).value;
    if openapi_30 {
        normalise_30(&mut reference, false);
        normalise_30(&mut generator, false);
    }
    let alternatives = alternatives(&raw.value, openapi_30);
    (reference, generator, alternatives, raw.dangling)
}

fn seed(base: u64, name: &str) -> [u8; 32] {
    // FNV-1a of the name, so a document's instances do not depend on which others run.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ base;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&(h.rotate_left(i as u32 * 17) ^ base).to_le_bytes());
    }
    out
}

/// Writes a file unless it already holds `text`: an unchanged crate keeps its modification
/// times, so cargo reuses what an earlier run built.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::Io(parent.to_path_buf(), e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::Io(path.to_path_buf(), e))
}

/// Removes every file under `dir` that is not in `keep`.
fn prune(dir: &Path, keep: &BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            prune(&path, keep);
        } else if !keep.contains(&path) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Every `k`-th of `n` indices so that at most `sample` remain, components first in line.
fn sampled(targets: &[Target], sample: Option<usize>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|i| (targets[*i].kind, *i));
    match sample {
        Some(n) if n < order.len() => (0..n).map(|k| order[k * order.len() / n]).collect(),
        _ => order,
    }
}

/// Generates one document's crate, harness and instances; fills the parts of `row` known then.
fn prepare(config: &Config, name: &str, spec: &Path, spec_root: Option<&Path>, row: &mut SpecReport) -> Result<Option<Prepared>, Error> {
    let crate_name = format!("fidelity-{}", name.to_ascii_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    let krate = crate_name.replace('-', "_");
    let options = options(&crate_name, spec_root);
    let docs = load(spec, spec_root)?;
    row.version = docs.root_value()["openapi"].as_str().unwrap_or_default().to_string();
    let generated = match codegen::generate_loaded(&docs, &options) {
        Ok(g) => g,
        Err(e) => {
            row.status = format!("generation failed: {e}");
            return Ok(None);
        }
    };
    row.untyped = generated.untyped.clone();
    let ir = Ir::build(&docs, &options, &mut Diagnostics::new(false));
    let targets = targets(&ir, &docs);
    for t in &targets {
        row.schemas[t.kind as usize] += 1;
    }
    row.components.0 = component_schemas(&ir, &docs).len();
    let (_, generator_root, _, dangling) = readings(&docs, &ir);
    row.dangling = dangling;
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed(config.seed, name));
    let mut generator = Gen::new(&mut rng, &generator_root).with_budget(BUDGET);
    let mut cases: Vec<(usize, Value)> = Vec::new();
    for i in sampled(&targets, config.sample) {
        let schema = generator_root.pointer(&targets[i].bundled).cloned().unwrap_or(Value::Bool(true));
        for _ in 0..config.per_schema {
            cases.push((i, generator.instance(&schema, 0)));
        }
    }
    let dir = config.work.join(name);
    let mut written = BTreeSet::new();
    for f in &generated.files {
        let text = if f.path == "Cargo.toml" { format!("{}\n[dev-dependencies]\nserde = \"1\"\nserde_json = \"1\"\n", f.contents) } else { f.contents.clone() };
        write(&dir.join(&f.path), &text)?;
        written.insert(dir.join(&f.path));
    }
    for (path, text) in [("tests/fidelity.rs", harness(&krate, &targets)), ("cases.json", serde_json::to_string(&cases).unwrap_or_default())] {
        write(&dir.join(path), &text)?;
        written.insert(dir.join(path));
    }
    prune(&dir, &written);
    Ok(Some(Prepared { spec: spec.to_path_buf(), spec_root: spec_root.map(Path::to_path_buf), crate_name, dir, targets }))
}

/// Builds every harness in one workspace; returns each crate's test executable, or its errors.
fn build(config: &Config, members: &[(String, String)]) -> Result<Vec<Result<PathBuf, String>>, Error> {
    let list: Vec<String> = members.iter().map(|(dir, _)| format!("{dir:?}")).collect();
    write(&config.work.join("Cargo.toml"), &format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", list.join(", ")))?;
    let lock = std::fs::read_to_string(&config.lock).map_err(|e| Error::Io(config.lock.clone(), e))?;
    write(&config.work.join("Cargo.lock"), &lock)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&config.work)
        .env("CARGO_TARGET_DIR", config.work.join("target"))
        .envs([("CARGO_PROFILE_DEV_DEBUG", "0"), ("CARGO_PROFILE_TEST_DEBUG", "0"), ("CARGO_INCREMENTAL", "0")])
        .args(["test", "--offline", "--no-run", "--no-fail-fast", "--test", "fidelity", "--message-format=json-diagnostic-short"]);
    for (_, crate_name) in members {
        cmd.args(["-p", crate_name]);
    }
    let output = cmd.output().map_err(|e| Error::Io(PathBuf::from("cargo"), e))?;
    let mut out: Vec<Result<PathBuf, String>> = members.iter().map(|_| Err(String::new())).collect();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else { continue };
        let Some(pkg) = msg["package_id"].as_str() else { continue };
        let Some(at) = members.iter().position(|(_, c)| pkg.contains(&format!("#{c}@"))) else { continue };
        match (msg["reason"].as_str(), msg["executable"].as_str(), msg["message"]["level"].as_str()) {
            (Some("compiler-artifact"), Some(exe), _) => out[at] = Ok(PathBuf::from(exe)),
            (Some("compiler-message"), _, Some("error")) => {
                if let Err(errors) = &mut out[at] {
                    errors.push_str(msg["message"]["rendered"].as_str().unwrap_or_default());
                }
            }
            _ => {}
        }
    }
    for r in &mut out {
        if let Err(e) = r {
            if e.is_empty() {
                *e = String::from_utf8_lossy(&output.stderr).lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
            }
        }
    }
    Ok(out)
}

/// Runs the gate; `progress` receives one line per phase.
pub fn run(config: &Config, mut progress: impl FnMut(&str)) -> Result<Vec<SpecReport>, Error> {
    let mut specs = documents(&config.dirs)?;
    if !config.only.is_empty() {
        specs.retain(|(name, _, _)| config.only.contains(name));
        for wanted in &config.only {
            if !specs.iter().any(|(n, _, _)| n == wanted) {
                return Err(Error::Unknown(wanted.clone()));
            }
        }
    }
    let mut seen = BTreeSet::new();
    if let Some((dup, _, _)) = specs.iter().find(|(n, _, _)| !seen.insert(n.clone())) {
        return Err(Error::Duplicate(dup.clone()));
    }
    std::fs::create_dir_all(&config.work).map_err(|e| Error::Io(config.work.clone(), e))?;
    // Crates of documents not in this run go; the others are rewritten in place (see `write`).
    for entry in std::fs::read_dir(&config.work).map_err(|e| Error::Io(config.work.clone(), e))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !["target", "Cargo.toml", "Cargo.lock"].contains(&name.as_str()) && !specs.iter().any(|(n, _, _)| *n == name) {
            let path = entry.path();
            let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        }
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut prepared = Vec::new();
    for (name, spec, spec_root) in &specs {
        let t = Instant::now();
        let mut row = SpecReport { name: name.clone(), status: "ok".into(), ..SpecReport::default() };
        let p = prepare(config, name, spec, spec_root.as_deref(), &mut row)?;
        row.gen_ms = t.elapsed().as_millis();
        prepared.push(p);
        rows.push(row);
    }
    progress(&format!("generated {} crates and their instances in {:.1} s", prepared.iter().flatten().count(), started.elapsed().as_secs_f64()));
    let t = Instant::now();
    let members: Vec<(String, String)> =
        specs.iter().zip(&prepared).filter_map(|((name, _, _), p)| p.as_ref().map(|p| (name.clone(), p.crate_name.clone()))).collect();
    let mut built = if members.is_empty() { Vec::new() } else { build(config, &members)? }.into_iter();
    progress(&format!("built {} harnesses in {:.1} s", members.len(), t.elapsed().as_secs_f64()));
    let t = Instant::now();
    for (row, p) in rows.iter_mut().zip(&prepared) {
        let Some(p) = p else { continue };
        let started = Instant::now();
        match built.next() {
            Some(Ok(exe)) => check(p, &exe, row)?,
            Some(Err(errors)) => row.status = format!("build failed:\n{errors}"),
            None => row.status = "build failed: no result".into(),
        }
        row.check_ms = started.elapsed().as_millis();
    }
    progress(&format!("ran and compared in {:.1} s", t.elapsed().as_secs_f64()));
    Ok(rows)
}

/// Runs one harness and compares its verdicts.
fn check(p: &Prepared, exe: &Path, row: &mut SpecReport) -> Result<(), Error> {
    let cases_path = p.dir.join("cases.json");
    let results_path = p.dir.join("results.json");
    let output = Command::new(exe)
        .current_dir(&p.dir)
        .env("FIDELITY_CASES", &cases_path)
        .env("FIDELITY_RESULTS", &results_path)
        .output()
        .map_err(|e| Error::Io(exe.to_path_buf(), e))?;
    if !output.status.success() {
        row.status = format!("harness failed:\n{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        return Ok(());
    }
    let read = |path: &Path| -> Result<Vec<(usize, Value)>, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io(path.to_path_buf(), e))?;
        serde_json::from_str(&text).map_err(|e| Error::Json(path.to_path_buf(), e))
    };
    let cases = read(&cases_path)?;
    let text = std::fs::read_to_string(&results_path).map_err(|e| Error::Io(results_path.clone(), e))?;
    let results: Vec<Value> = serde_json::from_str(&text).map_err(|e| Error::Json(results_path.clone(), e))?;
    if results.len() != cases.len() {
        row.status = format!("harness wrote {} verdicts for {} cases", results.len(), cases.len());
        return Ok(());
    }
    let docs = load(&p.spec, p.spec_root.as_deref())?;
    let options = options(&p.crate_name, p.spec_root.as_deref());
    let ir = Ir::build(&docs, &options, &mut Diagnostics::new(false));
    let (reference, _, alternatives, _) = readings(&docs, &ir);
    row.outcome = compare(&p.targets, reference, alternatives, &cases, &results);
    for (t, compared) in p.targets.iter().zip(&row.outcome.compared) {
        if *compared {
            row.compared[t.kind as usize] += 1;
            row.components.1 += usize::from(t.kind == Kind::Component);
        }
    }
    Ok(())
}
