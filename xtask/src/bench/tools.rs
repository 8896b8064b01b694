//! The tools a benchmark runs, found or installed when absent (and said so): the release
//! generator, openapi-generator-cli 7.x (pip, in a venv under target/bench/tools) on a JRE
//! (Debian's `default-jre-headless`), cargo-progenitor (`cargo install --locked --root`), wrk;
//! and the machine and version facts for the report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Where each tool is.
#[derive(Debug, Clone, Default)]
pub struct Tools {
    /// `target/release/xtask` (the generator's release build).
    pub xtask_release: PathBuf,
    /// `openapi-generator-cli` of the venv; `None` with `--ours-only`.
    pub openapi_generator: Option<PathBuf>,
    /// `cargo-progenitor`; `None` with `--ours-only`.
    pub progenitor: Option<PathBuf>,
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// `cargo build --release -p PACKAGE` in `root`; the path of executable `bin` from cargo's
/// JSON messages.
pub fn build_release(root: &Path, package: &str, bin: &str) -> Result<PathBuf> {
    println!("bench: cargo build --release -p {package}");
    let out = Command::new(cargo())
        .current_dir(root)
        .args(["build", "--release", "-p", package, "--message-format=json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build")?;
    if !out.status.success() {
        bail!("cargo build --release -p {package} failed");
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .with_context(|| format!("cargo reported no {bin} executable"))
}

fn runs(program: &Path, args: &[&str]) -> bool {
    Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// A Debian package's program on PATH, installed with apt-get when absent (after an `apt-get
/// update` when the first try fails).
pub fn ensure_apt(program: &str, probe: &[&str], package: &str) -> Result<()> {
    if runs(Path::new(program), probe) {
        return Ok(());
    }
    println!("bench: {program} not found; installing it with `apt-get install -y {package}`");
    let install =
        || Command::new("apt-get").env("DEBIAN_FRONTEND", "noninteractive").args(["install", "-y", package]).status().map(|s| s.success()).unwrap_or(false);
    if !install() {
        println!("bench: apt-get install failed; running `apt-get update` and trying again");
        let _ = Command::new("apt-get").arg("update").status();
        if !install() {
            bail!("could not install {package} with apt-get");
        }
    }
    if !runs(Path::new(program), probe) {
        bail!("{program} still does not run after apt-get install {package}");
    }
    Ok(())
}

/// openapi-generator-cli 7.x from the Python package registry in a venv under `dir`, and the
/// JRE it needs.
pub fn ensure_openapi_generator(dir: &Path) -> Result<PathBuf> {
    ensure_apt("java", &["-version"], "default-jre-headless")?;
    let venv = dir.join("venv");
    let cli = venv.join("bin/openapi-generator-cli");
    if runs(&cli, &["version"]) {
        return Ok(cli);
    }
    println!("bench: openapi-generator-cli not found; installing it into {} (`pip install 'openapi-generator-cli<8'`)", venv.display());
    std::fs::create_dir_all(dir)?;
    let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success());
    if !ok {
        bail!("`python3 -m venv {}` failed (Debian: apt-get install python3-venv)", venv.display());
    }
    let ok = Command::new(venv.join("bin/pip")).args(["install", "--quiet", "openapi-generator-cli<8"]).status().is_ok_and(|s| s.success());
    if !ok || !runs(&cli, &["version"]) {
        bail!("could not install openapi-generator-cli with pip into {}", venv.display());
    }
    Ok(cli)
}

/// cargo-progenitor under `dir/progenitor` (`cargo install --locked cargo-progenitor --root`).
pub fn ensure_progenitor(dir: &Path) -> Result<PathBuf> {
    let root = dir.join("progenitor");
    let bin = root.join("bin/cargo-progenitor");
    if runs(&bin, &["progenitor", "--help"]) {
        return Ok(bin);
    }
    println!("bench: cargo-progenitor not found; installing it with `cargo install --locked cargo-progenitor --root {}` (a few minutes)", root.display());
    let ok = Command::new(cargo())
        .args(["install", "--locked", "cargo-progenitor", "--root"])
        .arg(&root)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .is_ok_and(|s| s.success());
    if !ok || !runs(&bin, &["progenitor", "--help"]) {
        bail!("could not install cargo-progenitor into {}", root.display());
    }
    Ok(bin)
}

/// The first line a command prints (stdout, else stderr), trimmed; `None` when it does not run.
pub fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).output().ok()?;
    let text = if out.stdout.iter().any(|b| !b.is_ascii_whitespace()) { out.stdout } else { out.stderr };
    String::from_utf8_lossy(&text).lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string)
}

/// The machine and the versions, as (label, value) rows for the report.
pub fn facts(root: &Path, tools: &Tools) -> Vec<(String, String)> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo.lines().find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let meminfo = read("/proc/meminfo");
    let mem_kib: Option<u64> = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:")).and_then(|v| v.split_whitespace().next()).and_then(|v| v.parse().ok());
    let os = read("/etc/os-release").lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")).map(|v| v.trim_matches('"').to_string());
    let kernel = first_line("uname", &["-r"]);
    let git = |args: &[&str]| Command::new("git").current_dir(root).args(args).output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let rev = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_default();
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let unknown = || "unknown".to_string();
    let mut rows = vec![
        ("CPU".to_string(), format!("{} ({cores} logical cores)", model.unwrap_or_else(unknown))),
        ("memory".to_string(), mem_kib.map(|k| format!("{:.1} GiB", k as f64 / 1024.0 / 1024.0)).unwrap_or_else(unknown)),
        ("OS".to_string(), format!("{}, kernel {}", os.unwrap_or_else(unknown), kernel.unwrap_or_else(unknown))),
        ("rustc".to_string(), first_line("rustc", &["-V"]).unwrap_or_else(unknown)),
        ("this generator".to_string(), format!("commit {rev}{}, release build of xtask", if dirty { " with uncommitted changes" } else { "" })),
    ];
    if let Some(cli) = &tools.openapi_generator {
        let version = first_line(&cli.to_string_lossy(), &["version"]).unwrap_or_else(unknown);
        let java = first_line("java", &["-version"]).unwrap_or_else(unknown);
        rows.push(("openapi-generator-cli".to_string(), format!("{version} (Python package, bundled JAR; {java})")));
    }
    if let Some(bin) = &tools.progenitor {
        let root = bin.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
        let list = Command::new(cargo()).args(["install", "--list", "--root"]).arg(&root).output().ok();
        let version = list
            .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().find(|l| l.starts_with("cargo-progenitor ")).map(|l| l.trim_end_matches(':').to_string()))
            .unwrap_or_else(unknown);
        rows.push(("cargo-progenitor".to_string(), version));
    }
    if let Some(wrk) = first_line("wrk", &["-v"]) {
        rows.push(("wrk".to_string(), wrk));
    }
    rows
}
