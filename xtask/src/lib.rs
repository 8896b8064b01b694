//! The file-writing edge of the generator: `gen` writes the crate, `check` compares it (one function, two modes).

pub mod corpus;
pub mod files;
pub mod messages;
pub mod options_cli;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use codegen::builder::BuildError;
use codegen::{Diagnostic, GenerateError, Options, Severity};
use files::Action;

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
    /// `--config FILE`; `None` reads the spec's conventional `<stem>.codegen.toml` if present.
    pub config: Option<PathBuf>,
    /// Options set on the command line, as configuration keys (layered over the file).
    pub overrides: toml::Table,
    /// The option flags as given, for the `@generated` stamp.
    pub shown: Vec<String>,
}

/// The spec has errors: nothing was generated or written. Its diagnostics (errors and the rest)
/// are here for printing in the chosen `--message-format`; `Display` is the one-line form of each.
#[derive(Debug)]
pub struct SpecErrors {
    /// Every diagnostic of the spec.
    pub diagnostics: Vec<Diagnostic>,
    /// The spec, as given.
    pub spec: PathBuf,
}

impl std::fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        let errors = self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        write!(f, "\n{errors} error(s) in {}; nothing was written", self.spec.display())
    }
}

impl std::error::Error for SpecErrors {}

/// The project root (the workspace folder).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Job {
    /// The folder a diagnostic's file is relative to, as the user named it (`--spec-root`, else
    /// the spec's folder), so `file:line:column` opens from where the command was run.
    pub fn diagnostic_base(&self) -> Option<String> {
        let spec_root = self.builder().resolved_options().ok().and_then(|o| o.spec_root);
        let base = spec_root.as_deref().or_else(|| self.spec.parent())?;
        let base = base.to_string_lossy().replace('\\', "/");
        (!base.is_empty()).then_some(base)
    }

    /// The bundled spec into `generated/`.
    pub fn bundled() -> Job {
        let root = project_root();
        Job { spec: root.join("spec/openapi.json"), out: root.join("generated"), config: None, overrides: toml::Table::new(), shown: Vec::new() }
    }

    /// Sets one option by its configuration key (`crate-name`, `unknown-fields.requests`), as
    /// the command line would.
    pub fn set(mut self, key: &str, value: impl Into<toml::Value>) -> Job {
        let value = value.into();
        if !matches!(key, "force" | "strict") {
            self.shown.push(match &value {
                toml::Value::Boolean(true) => format!("--{key}"),
                toml::Value::String(s) => format!("--{key} {s}"),
                v => format!("--{key} {v}"),
            });
        }
        codegen::options::insert_dotted(&mut self.overrides, key, value);
        self
    }

    /// The builder this job generates with (options, configuration file, overrides).
    pub fn builder(&self) -> codegen::Builder {
        let builder = codegen::Builder::new().spec(&self.spec).options(options(self)).overrides(self.overrides.clone());
        match &self.config {
            Some(c) => builder.config_file(c),
            None => builder,
        }
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
    /// Warnings and notes, with line and column ([`messages::print`] shows them).
    pub diagnostics: Vec<Diagnostic>,
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
    if let Some(c) = &job.config {
        let _ = write!(command, " --config {}", display_path(c));
    }
    for s in &job.shown {
        let _ = write!(command, " {s}");
    }
    Options { spec_label: display_path(&job.spec), command, standalone: !in_workspace, ..Options::default() }
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
    let builder = job.builder();
    let opts = builder.resolved_options()?;
    let generated = match builder.generate() {
        Ok(g) => g,
        Err(BuildError::Generate(GenerateError::Spec(diagnostics))) => return Err(SpecErrors { diagnostics, spec: job.spec.clone() }.into()),
        Err(e) => return Err(e.into()),
    };
    let plan = files::plan(&job.out, &generated.files, opts.force)?;
    let mut report = Report {
        diagnostics: generated.diagnostics.clone(),
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
                    let _ = write!(report.diff, "{}", diff.unified_diff().context_radius(3).header(&format!("a/{}", file.path), &format!("b/{}", file.path)));
                }
            }
        }
    }
    if mode == Mode::Write {
        files::apply(&job.out, &generated.files, &plan, writer)?;
    }
    Ok(report)
}

/// The committed JSON Schema of the configuration file, beside the workspace manifest.
pub fn config_schema_path() -> PathBuf {
    project_root().join("codegen.schema.json")
}

/// Writes (`Mode::Write`) or compares (`Mode::Check`) `codegen.schema.json` with the schema of
/// `codegen::Options`; `Ok(false)` when it differs in check mode.
pub fn config_schema(mode: Mode) -> Result<bool> {
    let want = codegen::options::config_schema();
    let path = config_schema_path();
    let have = std::fs::read_to_string(&path).unwrap_or_default().replace("\r\n", "\n");
    if have == want {
        return Ok(true);
    }
    match mode {
        Mode::Check => Ok(false),
        Mode::Write => {
            files::write_atomic(&path, &want)?;
            Ok(true)
        }
    }
}

/// The two ways out for a produced file whose stamp was removed, for messages.
pub fn foreign_hint(out: &Path, rel: &str) -> String {
    format!(
        "{} has no `@generated` stamp, so it is yours and gen leaves it; to have gen manage it again, restore the stamp as its first line, or delete the file",
        out.join(rel).display()
    )
}
