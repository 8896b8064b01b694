//! Which files of an output folder the generator owns, and how they are replaced: a plan made
//! before anything is written (nothing is touched when the plan fails), atomic replacement of
//! each file, and deletion only of stamped files the spec no longer produces.
//!
//! Ownership rule: a file is the generator's when its first line is the generator's stamp
//! ([`codegen::carries_stamp`]). Everything else in the folder is the user's and is never
//! overwritten or deleted.

use std::collections::BTreeSet;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use codegen::GeneratedFile;

/// What `gen` will do to one produced file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The file on disk is already this text.
    Unchanged,
    /// Absent: it will be created.
    Create,
    /// Stamped but different (hand-edited or stale): it will be replaced.
    Replace,
    /// Present without the stamp: the user's; left alone and reported.
    Foreign,
}

/// The plan for one output folder.
#[derive(Debug, Default)]
pub struct Plan {
    /// Produced files with their action, in the generator's order.
    pub files: Vec<(usize, Action, Option<String>)>,
    /// Stamped files in the folder that the spec no longer produces (deleted by `gen`).
    pub orphans: Vec<String>,
}

/// A file's first line carries the stamp (only the first few KiB are read).
pub fn is_stamped(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut head = Vec::with_capacity(512);
    if file.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    codegen::carries_stamp(&String::from_utf8_lossy(&head))
}

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Entries directly in `dir` (for the refusal message); `None` when `dir` does not exist.
fn entries(dir: &Path) -> Option<Vec<String>> {
    let read = std::fs::read_dir(dir).ok()?;
    let mut names: Vec<String> = read.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    Some(names)
}

/// Every regular file below `dir` that `gen` could own: build output (`target/`), hidden entries
/// and `Cargo.lock` are not looked at; symbolic links are neither followed nor touched.
fn walk(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&d) else { continue };
        for e in read.flatten() {
            let name = e.file_name();
            if name == "target" || name == "Cargo.lock" || name.to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(kind) = e.file_type() else { continue };
            let p = e.path();
            if kind.is_dir() {
                stack.push(p);
            } else if kind.is_file()
                && let Ok(rel) = p.strip_prefix(dir)
            {
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

/// Decides what to do with every produced file and finds the orphans, touching nothing. Fails
/// (so that nothing is written) when `out` is not a folder, when a produced path is taken by a
/// folder, or when `out` is a non-empty folder holding no generated crate and `force` is off.
pub fn plan(out: &Path, files: &[GeneratedFile], force: bool) -> Result<Plan> {
    if out.exists() && !out.is_dir() {
        bail!("{} is not a folder; give --out a folder for the generated crate", out.display());
    }
    let mut plan = Plan::default();
    let mut owned_present = false;
    let mut blocked = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let path = out.join(&file.path);
        let meta = std::fs::symlink_metadata(&path);
        let action = match meta {
            Err(_) => Action::Create,
            Ok(m) if m.is_dir() => {
                blocked.push(file.path.clone());
                continue;
            }
            Ok(m) if m.file_type().is_symlink() => Action::Foreign,
            Ok(_) => {
                let current = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let current = String::from_utf8(current).ok().map(|t| normalize(&t));
                if current.as_deref() == Some(file.contents.as_str()) {
                    owned_present = true;
                    plan.files.push((i, Action::Unchanged, current));
                    continue;
                }
                match current {
                    Some(text) if codegen::carries_stamp(&text) => {
                        owned_present = true;
                        plan.files.push((i, Action::Replace, Some(text)));
                        continue;
                    }
                    _ => Action::Foreign,
                }
            }
        };
        plan.files.push((i, action, None));
    }
    if !blocked.is_empty() {
        bail!(
            "cannot write the generated crate into {}: {} {} a folder; nothing was written",
            out.display(),
            blocked.join(", "),
            if blocked.len() == 1 { "is" } else { "are" }
        );
    }
    let produced: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for rel in walk(out) {
        if !produced.contains(rel.as_str()) && is_stamped(&out.join(&rel)) {
            owned_present = true;
            plan.orphans.push(rel);
        }
    }
    if !owned_present && !force {
        let present = entries(out).unwrap_or_default();
        if !present.is_empty() {
            let shown: Vec<&str> = present.iter().map(String::as_str).take(12).collect();
            let more = present.len().saturating_sub(shown.len());
            let touched: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            bail!(
                "refusing to write into {}: the folder is not empty and holds no crate generated by this tool (no file starts with its `@generated` stamp).\n  already there: {}{}\n  would be written: {}\nNothing was written. Give --out a new or empty folder, or pass --force to write beside these files (files without the stamp are never overwritten or deleted).",
                out.display(),
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() },
                touched.join(", ")
            );
        }
    }
    Ok(plan)
}

/// Replaces `path` with `contents` atomically: a temporary file in the same folder, synced, then
/// renamed over the target. After an error, a panic or a kill the target is its old or its new
/// version, never a truncated one (a killed process may leave a hidden `.*.tmp` file behind).
pub fn write_atomic(path: &Path, contents: &str) -> io::Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(parent)?;
    tmp.write_all(contents.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Carries out a plan: writes every created or replaced file through `writer` (each write
/// atomic), then deletes the orphans. Foreign files are not touched.
pub fn apply(out: &Path, files: &[GeneratedFile], plan: &Plan, writer: &mut dyn FnMut(&Path, &str) -> io::Result<()>) -> Result<()> {
    for (i, action, _) in &plan.files {
        if matches!(action, Action::Create | Action::Replace) {
            let file = &files[*i];
            let path: PathBuf = out.join(&file.path);
            writer(&path, &file.contents)
                .with_context(|| format!("writing {} (files written before it are complete; this one is unchanged)", path.display()))?;
        }
    }
    for orphan in &plan.orphans {
        let path = out.join(orphan);
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}
