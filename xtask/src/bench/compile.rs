//! The generated crates' own compile time: one target folder per tool, so dependencies are built
//! once (the other tools' crates are members of one scratch workspace; this generator's crates
//! outside the workspace are workspaces of their own, each with a copy of the project's lock
//! file), a first build that builds the dependencies, then `src/lib.rs` touched and the build
//! timed again, without incremental compilation (`CARGO_INCREMENTAL=0`: a touched crate is
//! compiled whole).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};

use super::measure::{first_error_line, shorten};

/// `cargo check` or `cargo build --release`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// `cargo check`.
    Check,
    /// `cargo build --release`.
    Release,
}

impl Build {
    fn args(self) -> &'static [&'static str] {
        match self {
            Build::Check => &["check"],
            Build::Release => &["build", "--release"],
        }
    }
}

/// The outcome of one timed build: seconds, or the first error line.
pub type Timed = std::result::Result<f64, String>;

/// Writes the scratch workspace manifest of `dir` with `members` (folder names), and a copy of
/// `lock` when given (this generator's crates build against the project's lock file).
pub fn write_workspace(dir: &Path, members: &[String], lock: Option<&Path>) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let list = members.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ");
    std::fs::write(dir.join("Cargo.toml"), format!("# Written by `cargo xtask bench`.\n[workspace]\nresolver = \"3\"\nmembers = [{list}]\n"))?;
    if let Some(lock) = lock {
        if !dir.join("Cargo.lock").exists() {
            std::fs::copy(lock, dir.join("Cargo.lock")).context("copying Cargo.lock")?;
        }
    }
    Ok(())
}

/// Sets the modification time of `crate_dir/src/lib.rs` to now.
fn touch(crate_dir: &Path) -> Result<()> {
    let lib = crate_dir.join("src/lib.rs");
    let file = std::fs::File::options().write(true).open(&lib).with_context(|| format!("opening {}", lib.display()))?;
    file.set_modified(SystemTime::now()).with_context(|| format!("touching {}", lib.display()))
}

/// Where a crate is built: cargo runs in `dir` with `CARGO_TARGET_DIR=target`.
#[derive(Debug, Clone)]
pub struct Place {
    /// The workspace (or crate) folder cargo runs in.
    pub dir: PathBuf,
    /// The target folder shared by a tool's crates.
    pub target: PathBuf,
}

/// One cargo run for `package` with `features`; the time, or the first error line of its output.
fn cargo_run(place: &Place, package: &str, features: Option<&str>, build: Build, log: &Path, timeout: Duration) -> Timed {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&place.dir).args(build.args()).args(["-p", package]).env("CARGO_TARGET_DIR", &place.target).env("CARGO_INCREMENTAL", "0");
    if let Some(f) = features {
        cmd.args(["--features", f]);
    }
    let started = Instant::now();
    let result = run_bounded(&mut cmd, log, timeout);
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(true) => Ok(secs),
        Ok(false) => {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            Err(first_error_line(&text, "cargo failed"))
        }
        Err(e) => Err(shorten(&format!("{e:#}"), 200)),
    }
}

/// Runs `cmd` with stdout and stderr into `log`, killed after `timeout`; true on success.
fn run_bounded(cmd: &mut Command, log: &Path, timeout: Duration) -> Result<bool> {
    let out = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut child = cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out).spawn().context("running cargo")?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status.success());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("cargo did not finish within {} s; killed", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The crate's own `build` time with `features`: a first (untimed) build for the dependencies,
/// then `src/lib.rs` touched and the build timed.
pub fn own_time(place: &Place, crate_dir: &Path, package: &str, features: Option<&str>, build: Build, logs: &Path, timeout: Duration) -> Timed {
    let tag = format!("{package}-{}-{}", features.unwrap_or("default").replace(',', "+"), if build == Build::Check { "check" } else { "release" });
    let first = logs.join(format!("{tag}-first.log"));
    cargo_run(place, package, features, build, &first, timeout)?;
    touch(crate_dir).map_err(|e| format!("{e:#}"))?;
    cargo_run(place, package, features, build, &logs.join(format!("{tag}.log")), timeout)
}

/// True when the manifest of `crate_dir` makes it a workspace of its own.
pub fn is_own_workspace(crate_dir: &Path) -> bool {
    std::fs::read_to_string(crate_dir.join("Cargo.toml")).is_ok_and(|m| m.lines().any(|l| l.trim() == "[workspace]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_manifest_lists_members() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let lock = dir.path().join("source.lock");
        std::fs::write(&lock, "# lock\n")?;
        let ws = dir.path().join("ws");
        write_workspace(&ws, &["a".into(), "b-c".into()], Some(&lock))?;
        let manifest = std::fs::read_to_string(ws.join("Cargo.toml"))?;
        assert!(manifest.contains("members = [\"a\", \"b-c\"]"), "{manifest}");
        assert_eq!(std::fs::read_to_string(ws.join("Cargo.lock"))?, "# lock\n");
        Ok(())
    }
}
