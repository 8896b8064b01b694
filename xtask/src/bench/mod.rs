//! `cargo xtask bench`: generation time and memory of this generator next to openapi-generator
//! (`rust-axum`, `rust`) and progenitor on the same specs in the same run, the generated crates'
//! lines and own compile times, lines per trivial operation, the generated RevDesk server next
//! to a hand-written handler, optionally the criterion pipeline figures; one table on stdout and
//! BENCHMARKS.md (method, machine, versions, figures, targets).

pub mod compile;
pub mod generate;
pub mod measure;
pub mod report;
pub mod server;
pub mod stream;
pub mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use compile::{Build, Timed};
use generate::{Spec, Tool};
use tools::Tools;

/// The command line of `cargo xtask bench`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Corpus names or paths; empty: [`generate::DEFAULT_SPECS`] (the smoke run: the first).
    pub specs: Vec<String>,
    /// Generation runs per tool and spec, and wrk runs per server.
    pub runs: usize,
    /// Only this generator: no JRE, no openapi-generator, no progenitor.
    pub ours_only: bool,
    /// No compile timing.
    pub skip_build: bool,
    /// No server comparison.
    pub skip_server: bool,
    /// Also run the criterion pipeline benchmark (minutes).
    pub criterion: bool,
    /// The smoke run of CI: one small spec, this generator only, one run, `cargo check` of the
    /// default-feature crate only, 2-second server runs; written beside the build, never over
    /// the committed file.
    pub smoke: bool,
    /// Seconds of each wrk run.
    pub wrk_seconds: u64,
    /// The report; default BENCHMARKS.md at the root (smoke: target/bench/BENCHMARKS.smoke.md).
    pub out: Option<PathBuf>,
    /// The command line as given, for the report.
    pub command: String,
    /// Only the flat-memory benchmark of binary bodies, this many GiB each way
    /// ([`stream`]); its section of the report is replaced, the rest kept.
    pub download_gib: Option<f64>,
}

/// Bytes each way of the smoke run's stream benchmark (dev build: a few seconds).
const SMOKE_STREAM_BYTES: u64 = 128 << 20;
/// The most a process of the stream benchmark may hold at its peak: flat means tens of MiB
/// whatever the size (a buffered body would hold all of it).
const FLAT_LIMIT_KIB: u64 = 96 * 1024;

/// The peaks of a stream run that are not flat.
fn not_flat(f: &stream::StreamFigures) -> Vec<String> {
    [("server", f.server_kib), ("downloading client", f.download_kib), ("uploading client", f.upload_kib)]
        .into_iter()
        .filter(|(_, kib)| *kib > FLAT_LIMIT_KIB)
        .map(|(who, kib)| format!("stream benchmark: the {who} peaked at {:.0} MiB (limit {} MiB)", kib as f64 / 1024.0, FLAT_LIMIT_KIB / 1024))
        .chain((f.collect_kib < f.bytes / 2048).then(|| {
            format!(
                "stream benchmark: the control held only {:.0} MiB of a {} MiB body: the measure does not see memory",
                f.collect_kib as f64 / 1024.0,
                f.bytes >> 20
            )
        }))
        .collect()
}

/// `cargo xtask bench --download-gib N`: the stream benchmark alone, its section written into
/// the report (BENCHMARKS.md by default) in place of the previous one.
fn run_stream(root: &Path, opts: &Options, gib: f64) -> Result<bool> {
    if !(gib.is_finite() && gib > 0.0 && gib <= 64.0) {
        bail!("--download-gib takes a size in GiB above 0 and at most 64, not {gib}");
    }
    let bytes = ((gib * f64::from(1u32 << 30)) as u64) & !7;
    let figures = stream::run(root, bytes, true)?;
    let section = stream::markdown(&figures, &opts.command, &utc_now());
    let out = opts.out.clone().unwrap_or_else(|| root.join("BENCHMARKS.md"));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    std::fs::write(&out, stream::splice(&text, &section)).with_context(|| format!("writing {}", out.display()))?;
    print!("{section}");
    println!("bench: wrote the stream section of {}", out.display());
    let bad = not_flat(&figures);
    for b in &bad {
        eprintln!("error: {b}");
    }
    Ok(bad.is_empty())
}

/// Median generation figures of one tool on one spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Wall time, milliseconds.
    pub wall_ms: f64,
    /// Peak resident memory, KiB.
    pub peak_kib: u64,
    /// Runs behind the medians.
    pub runs: usize,
}

/// Which builds were timed for one row: (configuration label, features, build).
pub type Config = (&'static str, Option<&'static str>);

/// One tool on one spec.
#[derive(Debug, Clone)]
pub struct Row {
    /// The spec's name.
    pub spec: String,
    /// The tool.
    pub tool: Tool,
    /// Medians, or the tool's first error line.
    pub generation: std::result::Result<Generation, String>,
    /// Lines per `.rs` file under `src/`.
    pub files: BTreeMap<String, u64>,
    /// `cargo check` per configuration.
    pub check: Vec<(&'static str, Timed)>,
    /// `cargo build --release` per configuration.
    pub release: Vec<(&'static str, Timed)>,
}

impl Row {
    /// All lines under `src/`.
    pub fn lines(&self) -> Option<u64> {
        (!self.files.is_empty()).then(|| self.files.values().sum())
    }
}

/// The lines-per-trivial-operation figure.
#[derive(Debug, Clone, Default)]
pub struct LinesPerOp {
    /// Operations of the two synthetic specs.
    pub sizes: [usize; 2],
    /// Lines per group (see [`generate::GROUPS`]) of each crate.
    pub groups: [BTreeMap<&'static str, u64>; 2],
    /// `cargo check --features server,client` of each crate; `None` when not timed.
    pub check: [Option<Timed>; 2],
}

/// Everything a run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// The command line.
    pub command: String,
    /// When (UTC).
    pub date: String,
    /// Runs per tool and spec.
    pub runs: usize,
    /// Seconds per wrk run.
    pub wrk_seconds: u64,
    /// Machine and versions.
    pub facts: Vec<(String, String)>,
    /// The tools of the run.
    pub tools: Vec<Tool>,
    /// One per tool and spec.
    pub rows: Vec<Row>,
    /// The configurations timed for this generator's crates and for the others' (empty: none).
    pub ours_configs: Vec<(&'static str, bool, bool)>,
    /// Whether the other tools' crates were checked and built.
    pub theirs_built: bool,
    /// Lines per trivial operation.
    pub lines_per_op: Option<std::result::Result<LinesPerOp, String>>,
    /// The server comparison (`None`: skipped).
    pub server: Option<std::result::Result<[server::ServerFigures; 2], String>>,
    /// The criterion figures (`None`: not asked for).
    pub criterion: Option<std::result::Result<Vec<server::Criterion>, String>>,
    /// A smoke run.
    pub smoke: bool,
}

/// This generator's build configurations: label, features.
pub const OURS_CONFIGS: [Config; 3] = [("all", Some("server,client")), ("client", Some("client")), ("default", None)];

fn utc_now() -> String {
    tools::first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(|| "unknown date".into())
}

/// Generation time limit per run.
const GEN_TIMEOUT: Duration = Duration::from_secs(600);
/// Build time limit per cargo run.
const BUILD_TIMEOUT: Duration = Duration::from_secs(3600);

/// Runs the benchmark and writes the report; `Ok(false)` when a figure of this generator is
/// missing or failed.
pub fn run(root: &Path, opts: &Options) -> Result<bool> {
    if let Some(gib) = opts.download_gib {
        return run_stream(root, opts, gib);
    }
    let base = root.join("target/bench");
    let crates = base.join("crates");
    let logs = base.join("logs");
    std::fs::create_dir_all(&logs)?;
    let corpus = [root.join("../shared/corpus/openapi"), root.join("../shared/corpus/openapi-added")];
    let names: Vec<String> = match (&opts.specs[..], opts.smoke) {
        // The smoke run's small spec: the corpus's, or the bundled RevDesk spec without a corpus.
        ([], true) if corpus[0].is_dir() => vec![generate::DEFAULT_SPECS[0].to_string()],
        ([], true) => vec![root.join("spec/openapi.json").to_string_lossy().into_owned()],
        ([], false) => generate::DEFAULT_SPECS.iter().map(|s| s.to_string()).collect(),
        (given, _) => given.to_vec(),
    };
    let specs: Vec<Spec> = names.iter().map(|n| generate::resolve(n, &corpus)).collect::<Result<_>>()?;
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = specs.iter().find(|s| !seen.insert(s.name.clone())) {
        bail!("two specs are named {}", dup.name);
    }
    let ours_only = opts.ours_only || opts.smoke;
    let runs = if opts.smoke { 1 } else { opts.runs.max(1) };
    let mut tools = Tools { xtask_release: tools::build_release(root, "xtask", "xtask")?, ..Tools::default() };
    let tool_dir = base.join("tools");
    let used: Vec<Tool> = if ours_only { vec![Tool::Ours] } else { Tool::ALL.to_vec() };
    if !ours_only {
        tools.openapi_generator = Some(tools::ensure_openapi_generator(&tool_dir)?);
        tools.progenitor = Some(tools::ensure_progenitor(&tool_dir)?);
    }
    let measurer = std::env::current_exe().context("the xtask executable")?;
    let mut results = Results {
        command: opts.command.clone(),
        date: utc_now(),
        runs,
        wrk_seconds: opts.wrk_seconds,
        facts: tools::facts(root, &tools),
        tools: used.clone(),
        smoke: opts.smoke,
        ..Results::default()
    };

    // Generation: every round runs each tool once, this generator first.
    for spec in &specs {
        let mut samples: BTreeMap<Tool, Vec<measure::Measured>> = BTreeMap::new();
        let mut failed: BTreeMap<Tool, String> = BTreeMap::new();
        for round in 0..runs {
            for &tool in &used {
                if failed.contains_key(&tool) {
                    continue;
                }
                let out = crates.join(tool.slug()).join(&spec.name);
                if out.exists() {
                    std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
                }
                let (program, args) = tool.command(&tools, spec, &out)?;
                let log = logs.join(format!("gen-{}-{}-{round}.log", spec.name, tool.slug()));
                let m = measure::measure(&measurer, &program, &args, root, &log, GEN_TIMEOUT)?;
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if !m.success() || !out.join("src").is_dir() {
                    let why = if m.timed_out {
                        format!("did not finish within {} s", GEN_TIMEOUT.as_secs())
                    } else if m.success() {
                        "wrote no src/ folder".to_string()
                    } else {
                        measure::first_error_line(&text, &format!("exit {:?}", m.code))
                    };
                    println!("bench: {} on {}: fails: {why}", tool.label(), spec.name);
                    failed.insert(tool, why);
                    continue;
                }
                println!("bench: {} on {} run {}/{runs}: {:.0} ms, {:.0} MiB", tool.label(), spec.name, round + 1, m.wall_ms, m.peak_kib as f64 / 1024.0);
                samples.entry(tool).or_default().push(m);
            }
        }
        for &tool in &used {
            let generation = match (failed.get(&tool), samples.get(&tool)) {
                (Some(why), _) => Err(why.clone()),
                (None, Some(s)) => Ok(Generation {
                    wall_ms: measure::median(&s.iter().map(|m| m.wall_ms).collect::<Vec<_>>()).unwrap_or(0.0),
                    peak_kib: measure::median(&s.iter().map(|m| m.peak_kib as f64).collect::<Vec<_>>()).unwrap_or(0.0) as u64,
                    runs: s.len(),
                }),
                (None, None) => Err("not run".to_string()),
            };
            let files = if generation.is_ok() { generate::count_lines(&crates.join(tool.slug()).join(&spec.name))? } else { BTreeMap::new() };
            results.rows.push(Row { spec: spec.name.clone(), tool, generation, files, check: Vec::new(), release: Vec::new() });
        }
    }

    // Lines per trivial operation: two synthetic specs, all features.
    let sizes = [100usize, 300];
    let synthetic = |n: usize| format!("synthetic-{n}");
    let lines_per_op = lines_per_op(&tools, &measurer, &crates, &logs, root, sizes).map_err(|e| format!("{e:#}"));
    results.lines_per_op = Some(lines_per_op);

    // Compile times: one scratch workspace per tool, its crates as members.
    if !opts.skip_build {
        let ours_configs: Vec<(&'static str, Option<&'static str>, bool, bool)> =
            if opts.smoke { vec![("default", None, true, false)] } else { OURS_CONFIGS.iter().map(|(l, f)| (*l, *f, true, true)).collect() };
        results.ours_configs = ours_configs.iter().map(|(l, _, c, r)| (*l, *c, *r)).collect();
        results.theirs_built = !ours_only;
        let lp_ok = matches!(results.lines_per_op, Some(Ok(_)));
        for &tool in &used {
            let mut members: Vec<String> = results.rows.iter().filter(|r| r.tool == tool && r.generation.is_ok()).map(|r| r.spec.clone()).collect();
            if tool == Tool::Ours && lp_ok && !opts.smoke {
                members.extend(sizes.iter().map(|n| synthetic(*n)));
            }
            if members.is_empty() {
                continue;
            }
            let dir = crates.join(tool.slug());
            let target = dir.join("target");
            let lock = root.join("Cargo.lock");
            // A crate that is a workspace of its own (this generator's, outside the project) is
            // built in place on a copy of the project's lock file; the others' in one workspace.
            let own: Vec<bool> = members.iter().map(|m| compile::is_own_workspace(&dir.join(m))).collect();
            let shared: Vec<String> = members.iter().zip(&own).filter(|(_, o)| !**o).map(|(m, _)| m.clone()).collect();
            if !shared.is_empty() {
                compile::write_workspace(&dir, &shared, (tool == Tool::Ours).then_some(lock.as_path()))?;
            } else {
                // No shared workspace: a manifest left by an earlier run would claim the crates.
                let _ = std::fs::remove_file(dir.join("Cargo.toml"));
            }
            for (m, o) in members.iter().zip(&own) {
                if *o && !dir.join(m).join("Cargo.lock").exists() {
                    std::fs::copy(&lock, dir.join(m).join("Cargo.lock")).context("copying Cargo.lock")?;
                }
            }
            let place = |member: &str| compile::Place {
                dir: if compile::is_own_workspace(&dir.join(member)) { dir.join(member) } else { dir.clone() },
                target: target.clone(),
            };
            for row in results.rows.iter_mut().filter(|r| r.tool == tool && r.generation.is_ok()) {
                let crate_dir = dir.join(&row.spec);
                let package = tool.package(&row.spec);
                let configs: Vec<(&'static str, Option<&'static str>, bool, bool)> =
                    if tool == Tool::Ours { ours_configs.clone() } else { vec![("crate", None, true, true)] };
                for (label, features, check, release) in configs {
                    for (wanted, build) in [(check, Build::Check), (release, Build::Release)] {
                        if !wanted {
                            continue;
                        }
                        let what = if build == Build::Check { "cargo check" } else { "cargo build --release" };
                        // A crate that does not check does not build either: its error is shown once.
                        if let (Build::Release, Some((_, Err(e)))) = (build, row.check.iter().find(|(l, _)| *l == label)) {
                            row.release.push((label, Err(format!("(cargo check fails) {e}"))));
                            continue;
                        }
                        println!("bench: {what} {} ({}, {label}): building the dependencies, then the crate alone", row.spec, tool.label());
                        let timed = compile::own_time(&place(&row.spec), &crate_dir, &package, features, build, &logs, BUILD_TIMEOUT);
                        match &timed {
                            Ok(s) => println!("bench:   {s:.1} s"),
                            Err(e) => println!("bench:   fails: {e}"),
                        }
                        if build == Build::Check { row.check.push((label, timed)) } else { row.release.push((label, timed)) }
                    }
                }
            }
            if tool == Tool::Ours && lp_ok && !opts.smoke {
                if let Some(Ok(lp)) = &mut results.lines_per_op {
                    for (i, n) in sizes.iter().enumerate() {
                        let name = synthetic(*n);
                        println!("bench: cargo check {name} (all features)");
                        lp.check[i] = Some(compile::own_time(
                            &place(&name),
                            &dir.join(&name),
                            &Tool::Ours.package(&name),
                            Some("server,client"),
                            Build::Check,
                            &logs,
                            BUILD_TIMEOUT,
                        ));
                    }
                }
            }
        }
    }

    if !opts.skip_server {
        let drive = server::Drive {
            runs,
            seconds: if opts.smoke { 2 } else { opts.wrk_seconds.max(1) },
            warmup: if opts.smoke { 1 } else { 2 },
            threads: 2,
            connections: 64,
        };
        results.wrk_seconds = drive.seconds;
        results.server = Some(server::compare(root, &base.join("server"), &drive).map_err(|e| format!("{e:#}")));
    }
    if opts.criterion {
        results.criterion = Some(server::criterion(root).map_err(|e| format!("{e:#}")));
    }

    let out = match &opts.out {
        Some(p) => p.clone(),
        None if opts.smoke => base.join("BENCHMARKS.smoke.md"),
        None => root.join("BENCHMARKS.md"),
    };
    let mut doc = report::markdown(&results);
    let mut missing = report::missing(&results);
    if opts.smoke {
        // A small stream run: the binary bodies stream and memory stays flat.
        match stream::run(root, SMOKE_STREAM_BYTES, false) {
            Ok(f) => {
                let section = stream::markdown(&f, "cargo xtask bench --smoke", &results.date);
                print!("{section}");
                doc = stream::splice(&doc, &section);
                missing.extend(not_flat(&f));
            }
            Err(e) => missing.push(format!("stream benchmark: {e:#}")),
        }
    } else if let Some(kept) = std::fs::read_to_string(&out).ok().as_deref().and_then(stream::section) {
        // The stream section comes from `--download-gib` runs: kept as it is.
        doc = stream::splice(&doc, kept);
    }
    std::fs::write(&out, &doc).with_context(|| format!("writing {}", out.display()))?;
    print!("{}", report::console(&results));
    println!("bench: wrote {}", out.display());
    for m in &missing {
        eprintln!("error: missing or failed figure of this generator: {m}");
    }
    Ok(missing.is_empty())
}

/// Generates the synthetic specs of `sizes` operations into the scratch folder of this
/// generator's crates and counts their lines per group.
fn lines_per_op(tools: &Tools, measurer: &Path, crates: &Path, logs: &Path, root: &Path, sizes: [usize; 2]) -> Result<LinesPerOp> {
    let dir = tempfile::tempdir()?;
    let mut lp = LinesPerOp { sizes, ..LinesPerOp::default() };
    for (i, n) in sizes.iter().enumerate() {
        let spec_path = dir.path().join(format!("synthetic-{n}.json"));
        std::fs::write(&spec_path, generate::synthetic_spec(*n))?;
        let spec = Spec { name: format!("synthetic-{n}"), path: spec_path, root: None };
        let out = crates.join(Tool::Ours.slug()).join(&spec.name);
        if out.exists() {
            std::fs::remove_dir_all(&out)?;
        }
        let (program, args) = Tool::Ours.command(tools, &spec, &out)?;
        let log = logs.join(format!("gen-{}.log", spec.name));
        let m = measure::measure(measurer, &program, &args, root, &log, GEN_TIMEOUT)?;
        if !m.success() {
            bail!("generating {}: {}", spec.name, measure::first_error_line(&std::fs::read_to_string(&log).unwrap_or_default(), "failed"));
        }
        lp.groups[i] = generate::group_lines(&generate::count_lines(&out)?);
    }
    Ok(lp)
}
