//! `cargo xtask`: command-line entry point (`gen`, `check`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Generation allocates millions of small token trees; mimalloc makes big specs (Stripe) about a
/// third faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use xtask::{Job, Mode, Report, run};

mod load;

#[derive(Parser)]
#[command(about = "OpenAPI -> Rust code generation tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Target {
    /// The OpenAPI document (JSON or YAML). Default: spec/openapi.json.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// The crate folder to write. Default: generated/.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Package name of the generated crate. Default: derived from info.title.
    #[arg(long)]
    name: Option<String>,
    /// Keep every `format` a plain String (nothing asserted unless --assert-formats).
    #[arg(long)]
    plain_formats: bool,
    /// Also assert email, hostname and uri formats.
    #[arg(long)]
    assert_formats: bool,
    /// Backtracking steps one `pattern` match may take when the pattern needs lookaround or
    /// backreferences (default 1000000); a value that needs more is rejected with a 400.
    #[arg(long)]
    pattern_backtrack_limit: Option<usize>,
    /// Write into a non-empty folder that holds no generated crate, beside its files (files
    /// without the `@generated` stamp are never overwritten or deleted, with or without it).
    #[arg(long)]
    force: bool,
    /// The folder that confines the files `$ref`s may read (must contain the spec). Default: the
    /// spec's folder. For a root document in a sub-folder whose references reach sibling folders.
    #[arg(long)]
    spec_root: Option<PathBuf>,
    /// Make every leniency warning (a spec flaw read the safest way) an error.
    #[arg(long)]
    strict: bool,
    /// List every place whose Rust type is serde_json::Value, why, and whether a typed form
    /// would be possible.
    #[arg(long)]
    report_untyped: bool,
    /// `PREFIX=PATH` (repeatable): references to URIs under PREFIX read the local file at the
    /// rest of the URI inside the folder PATH (or the file PATH); nothing is ever fetched.
    #[arg(long = "uri-map", value_name = "PREFIX=PATH", value_parser = parse_uri_map)]
    uri_map: Vec<(String, PathBuf)>,
    /// How the crate gets its runtime: `embedded` (default; the runtime's files are copied under
    /// src/runtime/, the crate builds alone from published crates) or `dependency` (it depends on
    /// the codegen-runtime crate, so generated crates in one build share its types).
    #[arg(long, value_enum)]
    runtime: Option<RuntimeArg>,
    /// The codegen-runtime crate's folder for `--runtime dependency` (which it implies), as
    /// written into the generated Cargo.toml (relative to the generated crate's folder). Without
    /// it the dependency is by version alone.
    #[arg(long, value_name = "P")]
    runtime_path: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
enum RuntimeArg {
    /// Copy the runtime into the crate.
    Embedded,
    /// Depend on the codegen-runtime crate.
    Dependency,
}

fn parse_uri_map(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((prefix, path)) if !prefix.is_empty() && !path.is_empty() => Ok((prefix.to_string(), PathBuf::from(path))),
        _ => Err(format!("`{text}` is not PREFIX=PATH (for example https://schemas.example.com/=./vendor/schemas)")),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Generate the crate (writes only changed stamped files, removes stamped orphans; never
    /// touches a file without the `@generated` stamp).
    Gen(Target),
    /// Fail with a diff when the committed crate differs from what the spec produces.
    Check(Target),
    /// Generate, build and smoke-test a crate for every spec in DIR (default ../shared/corpus/openapi).
    Corpus {
        /// Folders of specs (a sub-folder is one multi-file spec, rooted where the folder's
        /// manifest says). Default: ../shared/corpus/openapi and ../shared/corpus/openapi-added.
        dirs: Vec<PathBuf>,
        /// Only `cargo check` (no build, no smoke test) the crates with more generated lines than
        /// this; CI's time budget cannot build the largest documents.
        #[arg(long)]
        check_over_lines: Option<u64>,
    },
    /// The fidelity gate: generated validators and conversion against `jsonschema`, and round
    /// trips, for every schema of every corpus document (runs the `fidelity` crate; arguments
    /// are passed on: DIR..., --sample N, --only NAME, --per-schema N, --seed N, --untyped).
    Fidelity {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Internal: generate one spec and print a JSON summary (used by `corpus`).
    #[command(hide = true)]
    CorpusOne {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        spec_root: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Load-test the release-built RevDesk mock with wrk on 127.0.0.1 (fails on any non-2xx
    /// response, any socket error, or RSS growth of 10% or more after the warm-up).
    Load {
        /// Measured seconds (after the warm-up).
        #[arg(long, default_value_t = 60)]
        duration: u64,
        /// Warm-up seconds before the first RSS reading, not counted.
        #[arg(long, default_value_t = 5)]
        warmup: u64,
        /// wrk threads.
        #[arg(long, default_value_t = 2)]
        threads: u32,
        /// wrk connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
    },
}

/// Flags that contradict each other in ways clap does not express.
fn conflict(t: &Target) -> Option<&'static str> {
    (t.runtime == Some(RuntimeArg::Embedded) && t.runtime_path.is_some()).then_some("--runtime-path is for --runtime dependency, not --runtime embedded")
}

fn job(t: Target) -> Job {
    let bundled = Job::bundled();
    Job {
        spec: t.spec.unwrap_or(bundled.spec),
        out: t.out.unwrap_or(bundled.out),
        name: t.name,
        plain_formats: t.plain_formats,
        assert_formats: t.assert_formats,
        pattern_backtrack_limit: t.pattern_backtrack_limit,
        force: t.force,
        spec_root: t.spec_root,
        strict: t.strict,
        uri_map: t.uri_map,
        runtime_dependency: t.runtime == Some(RuntimeArg::Dependency) || (t.runtime.is_none() && t.runtime_path.is_some()),
        runtime_path: t.runtime_path,
    }
}

fn print_diagnostics(report: &Report) {
    for d in &report.diagnostics {
        eprintln!("{d}");
    }
}

fn print_untyped(report: &Report) {
    let typable = report.untyped.iter().filter(|u| u.typable).count();
    println!("untyped: {} place(s) are serde_json::Value, {typable} of them could be typed", report.untyped.len());
    for u in &report.untyped {
        println!("  {}  {}{}", u.location, u.reason, if u.typable { "  [typable]" } else { "" });
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Gen(t) | Command::Check(t) = &cli.command {
        if let Some(message) = conflict(t) {
            use clap::CommandFactory;
            Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message).exit();
        }
    }
    match cli.command {
        Command::Gen(t) => {
            let untyped = t.report_untyped;
            let job = job(t);
            match run(&job, Mode::Write) {
                Ok(report) => {
                    print_diagnostics(&report);
                    if untyped {
                        print_untyped(&report);
                    }
                    for f in &report.foreign {
                        eprintln!("warning: kept {}", xtask::foreign_hint(&job.out, f));
                    }
                    println!(
                        "generated {} ({} operations, {} types, {} diagnostics) into {}: {} file(s) written, {} orphan(s) removed, {} kept (not stamped), {} unchanged",
                        job.spec.display(),
                        report.stats.operations,
                        report.stats.types,
                        report.diagnostics.len(),
                        job.out.display(),
                        report.changed.len(),
                        report.orphans.len(),
                        report.foreign.len(),
                        report.files - report.changed.len() - report.foreign.len(),
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Corpus { dirs, check_over_lines } => {
            let root = xtask::project_root();
            let dirs = if dirs.is_empty() { vec![root.join("../shared/corpus/openapi"), root.join("../shared/corpus/openapi-added")] } else { dirs };
            let work = root.join("target/corpus");
            match xtask::corpus::run(&dirs, &work, &root.join("Cargo.lock"), check_over_lines) {
                Ok(rows) => {
                    print!("{}", xtask::corpus::table(&rows));
                    if xtask::corpus::all_green(&rows) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Fidelity { args } => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo).current_dir(xtask::project_root()).args(["run", "--quiet", "-p", "fidelity", "--"]).args(&args).status();
            match status {
                Ok(s) if s.success() => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: running cargo: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::CorpusOne { spec, spec_root, out, name } => match xtask::corpus::generate_one(&spec, spec_root.as_deref(), &out, &name) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Load { duration, warmup, threads, connections } => {
            match load::run(&xtask::project_root(), &load::Options { duration, warmup, threads, connections }) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check(t) => {
            let untyped = t.report_untyped;
            let job = job(t);
            let result = run(&job, Mode::Check);
            if let (true, Ok(report)) = (untyped, &result) {
                print_untyped(report);
            }
            match result {
                Ok(report) if report.changed.is_empty() && report.orphans.is_empty() && report.foreign.is_empty() => {
                    println!("{} is up to date with {}", job.out.display(), job.spec.display());
                    ExitCode::SUCCESS
                }
                Ok(report) => {
                    print!("{}", report.diff);
                    for o in &report.orphans {
                        println!("orphan: {} is stamped but no longer produced by the spec", job.out.join(o).display());
                    }
                    for f in &report.foreign {
                        eprintln!("error: {}", xtask::foreign_hint(&job.out, f));
                    }
                    if !report.changed.is_empty() || !report.orphans.is_empty() {
                        eprintln!(
                            "error: {} differs from what {} produces ({} changed, {} orphaned). Run `cargo xtask gen` to update it.",
                            job.out.display(),
                            job.spec.display(),
                            report.changed.len(),
                            report.orphans.len()
                        );
                    }
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_map_entries_are_prefix_equals_path() {
        assert_eq!(parse_uri_map("https://schemas.example.com/=vendor/schemas"), Ok(("https://schemas.example.com/".to_string(), PathBuf::from("vendor/schemas"))));
        // The first `=` splits: a path may contain one.
        assert_eq!(parse_uri_map("urn:x:=a=b"), Ok(("urn:x:".to_string(), PathBuf::from("a=b"))));
        for bad in ["no-equals", "=path", "prefix="] {
            assert!(parse_uri_map(bad).is_err(), "{bad}");
        }
        let cli = Cli::try_parse_from(["xtask", "gen", "--uri-map", "http://localhost:1234/=remotes", "--uri-map", "urn:a:=b.json"]).expect("parses");
        let Command::Gen(t) = cli.command else { panic!("gen") };
        assert_eq!(job(t).uri_map.len(), 2);
    }

    #[test]
    fn runtime_flags() {
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from(["xtask", "gen"].iter().chain(args)).map_err(|e| e.to_string())?;
            let Command::Gen(t) = cli.command else { return Err("not gen".to_string()) };
            if let Some(message) = conflict(&t) {
                return Err(message.to_string());
            }
            let j = job(t);
            Ok((j.runtime_dependency, j.runtime_path))
        };
        assert_eq!(parse(&[]), Ok((false, None)));
        assert_eq!(parse(&["--runtime", "embedded"]), Ok((false, None)));
        assert_eq!(parse(&["--runtime", "dependency"]), Ok((true, None)));
        assert_eq!(parse(&["--runtime-path", "../runtime"]), Ok((true, Some("../runtime".into()))));
        assert_eq!(parse(&["--runtime", "dependency", "--runtime-path", "rt"]), Ok((true, Some("rt".into()))));
        assert!(parse(&["--runtime", "embedded", "--runtime-path", "rt"]).is_err());
        assert!(parse(&["--runtime", "linked"]).is_err());
    }
}
