//! `cargo xtask`: command-line entry point (`gen`, `check`, `corpus`, `fidelity`, `load`, `bench`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Generation allocates millions of small token trees; mimalloc makes big specs (Stripe) about a
/// third faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use xtask::messages::{self, MessageFormat};
use xtask::{Job, Mode, Report, SpecErrors, options_cli, run};

mod bench;
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
    /// The configuration file (TOML, see codegen.schema.json). Default: `<spec stem>.codegen.toml`
    /// beside the spec, when it exists. Every option below is also a key of it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// List every place whose Rust type is serde_json::Value, why, and whether a typed form
    /// would be possible.
    #[arg(long)]
    report_untyped: bool,
    /// How diagnostics are printed: `human` (rustc-like, with the source line) on stderr, or
    /// `json` (one JSON object per line on stdout; every other message goes to stderr).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
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
    /// Benchmark this generator next to openapi-generator (rust-axum, rust) and progenitor:
    /// generation time and peak memory, generated lines and compile times, lines per trivial
    /// operation, the generated RevDesk server next to a hand-written handler; prints a table and
    /// writes BENCHMARKS.md. Missing tools are installed under target/bench/tools.
    Bench {
        /// A corpus spec name (../shared/corpus) or a path; repeatable. Default: oxide-dns-server,
        /// oxide-nexus, asana, box, stripe (with --smoke: oxide-dns-server, or spec/openapi.json without the corpus).
        #[arg(long = "spec", value_name = "NAME")]
        specs: Vec<String>,
        /// Generation runs per tool and spec (medians), and wrk runs per server.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Only this generator (no JRE, no openapi-generator, no progenitor).
        #[arg(long)]
        ours_only: bool,
        /// No compile timing.
        #[arg(long)]
        skip_build: bool,
        /// No server comparison.
        #[arg(long)]
        skip_server: bool,
        /// Also run `cargo bench -p tests --bench request_pipeline` (minutes) and report it.
        #[arg(long)]
        criterion: bool,
        /// Seconds of each wrk run.
        #[arg(long, default_value_t = 10)]
        wrk_seconds: u64,
        /// The report. Default: BENCHMARKS.md at the root (--smoke: target/bench/BENCHMARKS.smoke.md).
        #[arg(long)]
        out: Option<PathBuf>,
        /// CI's smoke run: one small spec, this generator only, one run, `cargo check` of the
        /// default-feature crate only, 2-second server runs; fails when a figure is missing.
        #[arg(long)]
        smoke: bool,
        /// Only the flat-memory benchmark of binary bodies: a generated server streams this many
        /// GiB to a generated client and back (produced on the fly, hashed on arrival); prints the
        /// peak RSS of each process and the throughput, and replaces that section of the report.
        #[arg(long, value_name = "GIB")]
        download_gib: Option<f64>,
    },
    /// Internal: run a command and write its wall time and peak memory as JSON (used by `bench`).
    #[command(hide = true)]
    BenchMeasure {
        #[arg(long)]
        report: PathBuf,
        #[arg(long)]
        timeout: u64,
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
}

fn job(t: Target, overrides: toml::Table, shown: Vec<String>) -> Job {
    let bundled = Job::bundled();
    Job { spec: t.spec.unwrap_or(bundled.spec), out: t.out.unwrap_or(bundled.out), config: t.config, overrides, shown }
}

/// The clap command with every generator option (from the configuration schema) on `gen` and
/// `check`.
fn command(args: &[options_cli::OptionArg]) -> clap::Command {
    let mut cmd = Cli::command();
    for name in ["gen", "check"] {
        cmd = cmd.mut_subcommand(name, |sub| {
            let sub = sub.next_help_heading("Generator options (also keys of the configuration file)");
            args.iter().fold(sub, |sub, a| sub.arg(options_cli::to_clap(a)))
        });
    }
    cmd
}

/// A line for the reader: on stdout, or on stderr when stdout carries JSON lines.
macro_rules! say {
    ($format:expr, $($arg:tt)*) => {
        if $format == MessageFormat::Json { eprintln!($($arg)*) } else { println!($($arg)*) }
    };
}

/// Prints a failed run: the spec's diagnostics in `format`, or the error.
fn print_error(e: &anyhow::Error, job: &Job, format: MessageFormat) {
    match e.downcast_ref::<SpecErrors>() {
        Some(spec) => {
            messages::print(&spec.diagnostics, job.diagnostic_base().as_deref(), format);
            let errors = spec.diagnostics.iter().filter(|d| d.severity == codegen::Severity::Error).count();
            eprintln!("error: {errors} error(s) in {}; nothing was written", spec.spec.display());
        }
        None => eprintln!("error: {e:#}"),
    }
}

fn print_untyped(report: &Report, format: MessageFormat) {
    let typable = report.untyped.iter().filter(|u| u.typable).count();
    say!(format, "untyped: {} place(s) are serde_json::Value, {typable} of them could be typed", report.untyped.len());
    for u in &report.untyped {
        say!(format, "  {}  {}{}", u.location, u.reason, if u.typable { "  [typable]" } else { "" });
    }
}

fn main() -> ExitCode {
    let args = options_cli::option_args();
    let matches = command(&args).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // Only `gen` and `check` have the option flags (asking another subcommand's matches for
    // them is a clap error, a panic in debug builds).
    let with_options = matches.subcommand().filter(|(name, _)| matches!(*name, "gen" | "check"));
    let flags = match with_options.map(|(_, m)| options_cli::overrides(m, &args)).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Gen(t) => {
            let (untyped, format) = (t.report_untyped, t.message_format);
            let job = job(t, flags.0, flags.1);
            if let Err(e) = xtask::config_schema(Mode::Write) {
                eprintln!("error: writing {}: {e:#}", xtask::config_schema_path().display());
                return ExitCode::FAILURE;
            }
            match run(&job, Mode::Write) {
                Ok(report) => {
                    messages::print(&report.diagnostics, job.diagnostic_base().as_deref(), format);
                    if untyped {
                        print_untyped(&report, format);
                    }
                    for f in &report.foreign {
                        eprintln!("warning: kept {}", xtask::foreign_hint(&job.out, f));
                    }
                    say!(
                        format,
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
                    print_error(&e, &job, format);
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
            let status =
                std::process::Command::new(cargo).current_dir(xtask::project_root()).args(["run", "--quiet", "-p", "fidelity", "--"]).args(&args).status();
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
        Command::Bench { specs, runs, ours_only, skip_build, skip_server, criterion, wrk_seconds, out, smoke, download_gib } => {
            let command = std::iter::once("cargo xtask".to_string()).chain(std::env::args().skip(1)).collect::<Vec<_>>().join(" ");
            let opts = bench::Options { specs, runs, ours_only, skip_build, skip_server, criterion, smoke, wrk_seconds, out, command, download_gib };
            match bench::run(&xtask::project_root(), &opts) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::BenchMeasure { report, timeout, command } => match bench::measure::measure_here(&report, std::time::Duration::from_secs(timeout), &command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Check(t) => {
            let (untyped, format) = (t.report_untyped, t.message_format);
            let job = job(t, flags.0, flags.1);
            let schema_ok = xtask::config_schema(Mode::Check).unwrap_or(false);
            if !schema_ok {
                eprintln!("error: {} differs from the schema of codegen::Options. Run `cargo xtask gen` to update it.", xtask::config_schema_path().display());
            }
            let result = run(&job, Mode::Check);
            if let Ok(report) = &result {
                if format == MessageFormat::Json {
                    // The warnings gen prints; human `check` stays quiet about them.
                    messages::print(&report.diagnostics, job.diagnostic_base().as_deref(), format);
                }
                if untyped {
                    print_untyped(report, format);
                }
            }
            match result {
                Ok(report) if report.changed.is_empty() && report.orphans.is_empty() && report.foreign.is_empty() && schema_ok => {
                    say!(format, "{} is up to date with {}", job.out.display(), job.spec.display());
                    ExitCode::SUCCESS
                }
                Ok(report) => {
                    if format == MessageFormat::Json {
                        eprint!("{}", report.diff);
                    } else {
                        print!("{}", report.diff);
                    }
                    for o in &report.orphans {
                        say!(format, "orphan: {} is stamped but no longer produced by the spec", job.out.join(o).display());
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
                    print_error(&e, &job, format);
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
    fn gen_takes_the_option_flags_and_its_own() {
        let args = options_cli::option_args();
        let m = command(&args)
            .try_get_matches_from([
                "xtask",
                "gen",
                "--spec",
                "a.yaml",
                "--config",
                "c.toml",
                "--uri-map",
                "http://localhost:1234/=remotes",
                "--uri-map",
                "urn:a:=b.json",
                "--strict",
            ])
            .expect("parses");
        let Command::Gen(t) = Cli::from_arg_matches(&m).expect("gen").command else { panic!("gen") };
        let (table, shown) = options_cli::overrides(m.subcommand().expect("sub").1, &args).expect("flags");
        let job = job(t, table, shown);
        assert_eq!(job.config, Some(PathBuf::from("c.toml")));
        let o = job.builder().no_config_file().resolved_options().expect("options");
        assert_eq!(o.uri_map.len(), 2);
        assert!(o.strict);
        assert!(command(&args).try_get_matches_from(["xtask", "check", "--no-such-flag"]).is_err());
    }

    #[test]
    fn runtime_flags() {
        let parse = |extra: &[&str]| {
            let args = options_cli::option_args();
            let m = command(&args).try_get_matches_from(["xtask", "gen"].iter().chain(extra)).map_err(|e| e.to_string())?;
            let Command::Gen(t) = Cli::from_arg_matches(&m).map_err(|e| e.to_string())?.command else { return Err("not gen".to_string()) };
            let (table, shown) = options_cli::overrides(m.subcommand().expect("sub").1, &args).map_err(|e| e.to_string())?;
            job(t, table, shown).builder().no_config_file().resolved_options().map(|o| o.runtime).map_err(|e| e.to_string())
        };
        assert_eq!(parse(&[]), Ok(codegen::RuntimeMode::Embedded));
        assert_eq!(parse(&["--runtime.mode", "embedded"]), Ok(codegen::RuntimeMode::Embedded));
        assert_eq!(parse(&["--runtime.mode", "dependency"]), Ok(codegen::RuntimeMode::dependency(None)));
        assert_eq!(parse(&["--runtime.path", "../runtime"]), Ok(codegen::RuntimeMode::dependency(Some("../runtime".into()))));
        assert_eq!(parse(&["--runtime.mode", "dependency", "--runtime.path", "rt"]), Ok(codegen::RuntimeMode::dependency(Some("rt".into()))));
        assert!(parse(&["--runtime.mode", "embedded", "--runtime.path", "rt"]).is_err());
        assert!(parse(&["--runtime.mode", "linked"]).is_err());
    }
}
