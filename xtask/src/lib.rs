//! The file-writing edge of the generator: `gen` writes the crate, `check` compares it (one function, two modes).

pub mod corpus;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use codegen::{GenerateError, Options, Severity};

/// Write the files, or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write changed files and delete orphans.
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
}

/// The project root (the workspace folder).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Job {
    /// The bundled spec into `generated/`.
    pub fn bundled() -> Job {
        let root = project_root();
        Job { spec: root.join("spec/openapi.json"), out: root.join("generated"), name: None, plain_formats: false, assert_formats: false, pattern_backtrack_limit: None }
    }
}

/// What a run found or did.
#[derive(Debug, Default)]
pub struct Report {
    /// Files written (gen) or differing (check), relative to the crate folder.
    pub changed: Vec<String>,
    /// Files the spec no longer produces.
    pub orphans: Vec<String>,
    /// Unified diffs (check mode).
    pub diff: String,
    /// Readable diagnostics.
    pub diagnostics: Vec<String>,
    /// Files produced.
    pub files: usize,
    /// Operations and types.
    pub stats: codegen::Stats,
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
    let defaults = Options::default();
    Options {
        pattern_backtrack_limit: job.pattern_backtrack_limit.unwrap_or(defaults.pattern_backtrack_limit),
        crate_name: job.name.clone(),
        plain_formats: job.plain_formats,
        format_assertion: job.assert_formats,
        spec_label: display_path(&job.spec),
        command,
        standalone: !in_workspace,
        ..defaults
    }
}

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn existing_files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if name == "target" || name == "Cargo.lock" || name.to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

/// Generates the crate for `job` and writes or checks it.
pub fn run(job: &Job, mode: Mode) -> Result<Report> {
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
    let mut report = Report {
        diagnostics: generated.diagnostics.iter().map(ToString::to_string).collect(),
        files: generated.files.len(),
        stats: generated.stats,
        ..Report::default()
    };
    let mut expected = BTreeSet::new();
    for file in &generated.files {
        expected.insert(file.path.clone());
        let path = job.out.join(&file.path);
        let current = std::fs::read_to_string(&path).ok().map(|t| normalize(&t));
        if current.as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        report.changed.push(file.path.clone());
        match mode {
            Mode::Write => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
                }
                std::fs::write(&path, &file.contents).with_context(|| format!("writing {}", path.display()))?;
            }
            Mode::Check => {
                let old = current.unwrap_or_default();
                let diff = similar::TextDiff::from_lines(&old, &file.contents);
                let _ = write!(
                    report.diff,
                    "{}",
                    diff.unified_diff().context_radius(3).header(&format!("a/{}", file.path), &format!("b/{}", file.path))
                );
            }
        }
    }
    for orphan in existing_files(&job.out).difference(&expected) {
        report.orphans.push(orphan.clone());
        if mode == Mode::Write {
            let path = job.out.join(orphan);
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(report)
}
