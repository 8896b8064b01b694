//! Measuring one run of a tool: wall time and peak resident memory of its whole process tree, in
//! a measuring process of its own (`xtask bench-measure`), and the median of several runs.
//!
//! The measuring process spawns the command in a new process group, waits for it and reads
//! `getrusage(RUSAGE_CHILDREN)`: its `ru_maxrss` (KiB on Linux) is the largest resident set of
//! any process of the tree that was waited for (a Python wrapper waiting for its Java child
//! counts the JVM). A fresh measuring process per run keeps one run's figure from another's.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// What the measuring process reports for one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Wall time from spawn to exit, milliseconds.
    pub wall_ms: f64,
    /// Peak resident set of the process tree, KiB.
    pub peak_kib: u64,
    /// The exit code (`None` when a signal ended it).
    pub code: Option<i32>,
    /// Killed at the time limit.
    pub timed_out: bool,
}

impl Measured {
    /// Exited with status 0 in time.
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }
}

/// The `bench-measure` subcommand: run `command` (inheriting stdout and stderr), kill its
/// process group after `timeout`, and write a [`Measured`] as JSON to `report`.
pub fn measure_here(report: &Path, timeout: Duration, command: &[String]) -> Result<()> {
    use std::os::unix::process::CommandExt as _;
    let (program, args) = command.split_first().context("no command to measure")?;
    let started = Instant::now();
    let mut child = Command::new(program).args(args).stdin(Stdio::null()).process_group(0).spawn().with_context(|| format!("starting {program}"))?;
    let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).context("pid")?);
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || match finished.recv_timeout(timeout) {
        Err(mpsc::RecvTimeoutError::Timeout) => nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL).is_ok(),
        _ => false,
    });
    let status = child.wait().context("waiting for the measured command")?;
    let wall = started.elapsed();
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).context("getrusage")?;
    let measured = Measured { wall_ms: wall.as_secs_f64() * 1000.0, peak_kib: u64::try_from(usage.max_rss()).unwrap_or(0), code: status.code(), timed_out };
    std::fs::write(report, serde_json::to_string(&measured)?).with_context(|| format!("writing {}", report.display()))?;
    Ok(())
}

/// Runs `program args` in `cwd` under the measuring process `xtask` (stdout and stderr into
/// `log`), at most `timeout`.
pub fn measure(xtask: &Path, program: &Path, args: &[std::ffi::OsString], cwd: &Path, log: &Path, timeout: Duration) -> Result<Measured> {
    let report = log.with_extension("measure.json");
    let _ = std::fs::remove_file(&report);
    let out = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone()?;
    let status = Command::new(xtask)
        .arg("bench-measure")
        .arg("--report")
        .arg(&report)
        .arg("--timeout")
        .arg(timeout.as_secs().to_string())
        .arg("--")
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .context("running the measuring process")?;
    let text = std::fs::read_to_string(&report).ok();
    let Some(measured) = text.and_then(|t| serde_json::from_str::<Measured>(&t).ok()) else {
        bail!("the measuring process wrote no report ({status}); see {}", log.display());
    };
    let _ = std::fs::remove_file(&report);
    Ok(measured)
}

/// The median (the mean of the middle two for an even count); `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 { (v[mid - 1] + v[mid]) / 2.0 } else { v[mid] })
}

/// The first line of a failed tool's output that says what went wrong: a `panicked at` line
/// with the message after it, else the first line naming an error or exception, else the last
/// non-empty line; `fallback` when the output is empty.
pub fn first_error_line(output: &str, fallback: &str) -> String {
    let lines: Vec<&str> = output.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if let Some(i) = lines.iter().position(|l| l.contains("panicked at")) {
        let message = lines.get(i + 1).copied().unwrap_or_default();
        return format!("panic: {message}");
    }
    let is_error = |l: &&&str| {
        let lower = l.to_ascii_lowercase();
        (lower.starts_with("error") || lower.contains("exception") || lower.contains("error:") || lower.contains("fail"))
            && !lower.starts_with("error: could not compile")
            && !lower.contains("warning")
    };
    lines.iter().find(is_error).or(lines.last()).map(|l| shorten(l, 200)).unwrap_or_else(|| fallback.to_string())
}

/// `s` cut to at most `max` characters, with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 2.0]), Some(2.0));
    }

    #[test]
    fn error_lines() {
        let panic = "thread 'main' (1) panicked at src/method.rs:1220:9:\nassertion failed: response_types.len() <= 1\nstack backtrace:\n";
        assert_eq!(first_error_line(panic, "-"), "panic: assertion failed: response_types.len() <= 1");
        let java = "[main] INFO x\n[main] WARN y\nException in thread \"main\" java.lang.RuntimeException: Could not process model\n\tat a.b\n";
        assert_eq!(first_error_line(java, "-"), "Exception in thread \"main\" java.lang.RuntimeException: Could not process model");
        let rustc = "   Compiling a v0.1.0\nwarning: unused\nerror[E0412]: cannot find type `Foo` in this scope\nerror: could not compile `a`\n";
        assert_eq!(first_error_line(rustc, "-"), "error[E0412]: cannot find type `Foo` in this scope");
        assert_eq!(first_error_line("gen fail: UnexpectedFormat(\"invalid version: 3.1.0\")\n", "-"), "gen fail: UnexpectedFormat(\"invalid version: 3.1.0\")");
        assert_eq!(first_error_line("  \n", "exit 1"), "exit 1");
        assert_eq!(first_error_line("just this\n", "-"), "just this");
    }

    #[test]
    fn measures_a_child_tree() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let report = dir.path().join("r.json");
        // A shell whose child sleeps: the wall time covers the child, the exit code is the shell's.
        measure_here(&report, Duration::from_secs(20), &["sh".into(), "-c".into(), "sleep 0.2; exit 3".into()])?;
        let m: Measured = serde_json::from_str(&std::fs::read_to_string(&report)?)?;
        assert_eq!(m.code, Some(3));
        assert!(!m.timed_out && !m.success());
        assert!(m.wall_ms >= 200.0, "{m:?}");
        assert!(m.peak_kib > 0, "{m:?}");
        // The time limit kills the whole group.
        measure_here(&report, Duration::from_secs(1), &["sh".into(), "-c".into(), "sleep 30".into()])?;
        let m: Measured = serde_json::from_str(&std::fs::read_to_string(&report)?)?;
        assert!(m.timed_out && m.wall_ms < 10_000.0, "{m:?}");
        Ok(())
    }
}
