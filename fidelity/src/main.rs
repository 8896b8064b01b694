//! `fidelity` (run as `cargo xtask fidelity`): the corpus fidelity gate's command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

/// Generated validators and conversion against `jsonschema`, and round trips, for every schema of
/// every corpus document.
#[derive(Parser)]
struct Cli {
    /// Folders of documents (a sub-folder is one multi-file document, rooted where the folder's
    /// manifest says). Default: ../shared/corpus/openapi and ../shared/corpus/openapi-added.
    dirs: Vec<PathBuf>,
    /// Only these documents (repeatable; by name: file stem or folder).
    #[arg(long)]
    only: Vec<String>,
    /// Instances per schema.
    #[arg(long, default_value_t = 48)]
    per_schema: usize,
    /// At most N schemas per document, spread evenly (components first); for CI's budget. The
    /// component coverage target applies only without it.
    #[arg(long)]
    sample: Option<usize>,
    /// Seed of the instance generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print every untyped place (otherwise the counts by reason).
    #[arg(long)]
    untyped: bool,
    /// The scratch workspace (its `target` build cache is kept between runs). Default:
    /// target/fidelity.
    #[arg(long)]
    work: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let started = Instant::now();
    let root = xtask::project_root();
    let dirs = if cli.dirs.is_empty() { vec![root.join("../shared/corpus/openapi"), root.join("../shared/corpus/openapi-added")] } else { cli.dirs };
    let config = fidelity::run::Config {
        dirs,
        only: cli.only,
        per_schema: cli.per_schema,
        sample: cli.sample,
        seed: cli.seed,
        // Absolute: the harnesses run in their crate's folder.
        work: cli.work.and_then(|w| std::path::absolute(w).ok()).unwrap_or_else(|| root.join("target/fidelity")),
        lock: root.join("Cargo.lock"),
    };
    let rows = match fidelity::run::run(&config, |line| eprintln!("fidelity: {line}")) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", fidelity::report::details(&rows));
    print!("{}", fidelity::report::untyped(&rows, cli.untyped));
    print!("{}", fidelity::report::table(&rows));
    let passed = fidelity::report::passed(&rows, config.sample.is_some());
    println!("fidelity gate {} in {:.1} s", if passed { "passed" } else { "FAILED" }, started.elapsed().as_secs_f64());
    if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
