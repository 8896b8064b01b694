//! The file-writing edge of the generator: `gen` writes the crate, `check` compares it (one function, two modes).

pub mod corpus;
pub mod files;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use files::Action;
use codegen::{GenerateError, Options, Severity};

/// Write the files, or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write changed stamped files and delete stamped orphans.
    Write,
    /// Change nothing; report differences.
    Check,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Job {
    /// The spec file.
    pub spec: PathBuf,
    /// The crate folder.
    pub out: PathBuf,
    /// `--name`, if given.
    pub name: Option<String>,
    /// `--plain-formats`.
    pub plain_formats: bool,
    /// `--assert-formats`.
    pub assert_formats: bool,
    /// `--pattern-backtrack-limit`, if given.
    pub pattern_backtrack_limit: Option<usize>,
    /// `--force`: write into a non-empty folder that holds no generated crate.
    pub force: bool,
    /// `--spec-root`, if given.
    pub spec_root: Option<PathBuf>,
    /// `--strict`.
    pub strict: bool,
    /// `--uri-map PREFIX=PATH` entries.
    pub uri_map: Vec<(String, PathBuf)>,
    /// `--runtime dependency`: depend on the `codegen-runtime` crate instead of embedding it.
    pub runtime_dependency: bool,
    /// `--runtime-path P`: the runtime crate's folder as written into the generated
    /// `Cargo.toml` (relative to the generated crate's folder); dependency mode only.
    pub runtime_path: Option<String>,
}

/// The project root (the workspace folder).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Job {
    /// The bundled spec into `generated/`.
    pub fn bundled() -> Job {
        let root = project_root();
        Job { spec: root.join("spec/openapi.json"), out: root.join("generated"), name: None, plain_formats: false, assert_formats: false, pattern_backtrack_limit: None, force: false, spec_root: None, strict: false, uri_map: Vec::new(), runtime_dependency: false, runtime_path: None }
    }
}

/// What a run found or did.
#[derive(Debug, Default)]
pub struct Report {
    /// Files written (gen) or differing (check), relative to the crate folder.
    pub changed: Vec<String>,
    /// Stamped files the spec no longer produces (deleted by gen).
    pub orphans: Vec<String>,
    /// Produced paths held by a file without the stamp: the user's, never touched.
    pub foreign: Vec<String>,
    /// Unified diffs (check mode).
    pub diff: String,
    /// Readable diagnostics.
    pub diagnostics: Vec<String>,
    /// Files produced.
    pub files: usize,
    /// Operations and types.
    pub stats: codegen::Stats,
    /// The places held as `serde_json::Value` (`--report-untyped`).
    pub untyped: Vec<codegen::ir::untyped::Untyped>,
}

fn display_path(path: &Path) -> String {
    let root = project_root();
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    match abs.strip_prefix(&root) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

fn options(job: &Job) -> Options {
    let bundled = Job::bundled();
    let same = |a: &Path, b: &Path| std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok();
    let mut command = String::from("cargo xtask gen");
    if !same(&job.spec, &bundled.spec) {
        let _ = write!(command, " --spec {}", display_path(&job.spec));
    }
    let in_workspace = same(&job.out, &bundled.out);
    if !in_workspace {
        let _ = write!(command, " --out {}", display_path(&job.out));
    }
    if let Some(n) = &job.name {
        let _ = write!(command, " --name {n}");
    }
    if job.plain_formats {
        command.push_str(" --plain-formats");
    }
    if job.assert_formats {
        command.push_str(" --assert-formats");
    }
    if let Some(n) = job.pattern_backtrack_limit {
        let _ = write!(command, " --pattern-backtrack-limit {n}");
    }
    if let Some(r) = &job.spec_root {
        let _ = write!(command, " --spec-root {}", display_path(r));
    }
    for (prefix, path) in &job.uri_map {
        let _ = write!(command, " --uri-map {prefix}={}", display_path(path));
    }
    if job.runtime_dependency {
        command.push_str(" --runtime dependency");
        if let Some(p) = &job.runtime_path {
            let _ = write!(command, " --runtime-path {p}");
        }
    }
    let runtime = if job.runtime_dependency { codegen::RuntimeMode::dependency(job.runtime_path.clone()) } else { codegen::RuntimeMode::Embedded };
    let defaults = Options::default();
    Options {
        pattern_backtrack_limit: job.pattern_backtrack_limit.unwrap_or(defaults.pattern_backtrack_limit),
        crate_name: job.name.clone(),
        plain_formats: job.plain_formats,
        format_assertion: job.assert_formats,
        spec_label: display_path(&job.spec),
        command,
        standalone: !in_workspace,
        force: job.force,
        spec_root: job.spec_root.clone(),
        strict: job.strict,
        uri_map: job.uri_map.clone(),
        runtime,
        ..defaults
    }
}

/// Generates the crate for `job` and writes or checks it (files written atomically).
pub fn run(job: &Job, mode: Mode) -> Result<Report> {
    run_with_writer(job, mode, &mut files::write_atomic)
}

/// [`run`] with the function that writes one file (tests inject failures through it).
///
/// Everything is generated and formatted, and the output folder is inspected, before the first
/// write: a generation error, a refused folder or a blocked path writes nothing.
pub fn run_with_writer(job: &Job, mode: Mode, writer: &mut dyn FnMut(&Path, &str) -> std::io::Result<()>) -> Result<Report> {
    let opts = options(job);
    let generated = match codegen::generate(&job.spec, &opts) {
        Ok(g) => g,
        Err(GenerateError::Spec(diags)) => {
            let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
            let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
            bail!("{}\n\n{errors} error(s) in {}; nothing was written", text.join("\n"), job.spec.display());
        }
        Err(e) => return Err(e.into()),
    };
    let plan = files::plan(&job.out, &generated.files, opts.force)?;
    let mut report = Report {
        diagnostics: generated.diagnostics.iter().map(ToString::to_string).collect(),
        files: generated.files.len(),
        stats: generated.stats,
        orphans: plan.orphans.clone(),
        untyped: generated.untyped.clone(),
        ..Report::default()
    };
    for (i, action, current) in &plan.files {
        let file = &generated.files[*i];
        match action {
            Action::Unchanged => {}
            Action::Foreign => report.foreign.push(file.path.clone()),
            Action::Create | Action::Replace => {
                report.changed.push(file.path.clone());
                if mode == Mode::Check {
                    let old = current.clone().unwrap_or_default();
                    let diff = similar::TextDiff::from_lines(&old, &file.contents);
                    let _ = write!(
                        report.diff,
                        "{}",
                        diff.unified_diff().context_radius(3).header(&format!("a/{}", file.path), &format!("b/{}", file.path))
                    );
                }
            }
        }
    }
    if mode == Mode::Write {
        files::apply(&job.out, &generated.files, &plan, writer)?;
    }
    Ok(report)
}

/// The two ways out for a produced file whose stamp was removed, for messages.
pub fn foreign_hint(out: &Path, rel: &str) -> String {
    format!(
        "{} has no `@generated` stamp, so it is yours and gen leaves it; to have gen manage it again, restore the stamp as its first line, or delete the file",
        out.join(rel).display()
    )
}
