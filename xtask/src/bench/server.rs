//! The server figures: the generated RevDesk router and the hand-written handler
//! (`examples/bench-server`, release build) under wrk on loopback, alternated run by run, and the
//! criterion figures of `cargo bench -p tests --bench request_pipeline`.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::measure::median;
use crate::load;

/// Medians of one server's wrk runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerFigures {
    /// `generated` or `hand-written`.
    pub label: &'static str,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Latency percentiles, microseconds.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Requests/s of each run, in order.
    pub each: Vec<f64>,
}

/// How the servers are driven.
#[derive(Debug, Clone)]
pub struct Drive {
    /// Measured runs per server.
    pub runs: usize,
    /// Seconds per run.
    pub seconds: u64,
    /// Seconds of warm-up per server before the first run (not counted).
    pub warmup: u64,
    /// wrk threads and connections.
    pub threads: u32,
    /// wrk connections.
    pub connections: u32,
}

/// wrk's latency text (`574.00us`, `1.23ms`, `1.01s`, `2.00m`) in microseconds.
pub fn latency_us(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = t.split_at(split);
    let n: f64 = number.trim().parse().ok()?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return None,
    };
    Some(n * scale)
}

/// Builds bench-server, starts both servers, warms each up, then runs wrk against them in
/// turn (`generated`, `hand-written`, `generated`, ...); every run must answer only 2xx
/// without socket errors.
pub fn compare(root: &Path, scratch: &Path, drive: &Drive) -> Result<[ServerFigures; 2]> {
    let exe = super::tools::build_release(root, "bench-server", "bench-server")?;
    load::ensure_wrk()?;
    std::fs::create_dir_all(scratch)?;
    let script = scratch.join("room-token.lua");
    std::fs::write(&script, load::SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let prefix = "bench-server listening on http://";
    let (generated, generated_addr) = load::start_server(&exe, &["--generated"], prefix)?;
    let (hand, hand_addr) = load::start_server(&exe, &["--hand"], prefix)?;
    let opts = load::Options { duration: drive.seconds, warmup: drive.warmup, threads: drive.threads, connections: drive.connections };
    let servers = [("generated", generated_addr.as_str()), ("hand-written", hand_addr.as_str())];
    if drive.warmup > 0 {
        for (label, addr) in servers {
            println!("bench: warming up the {label} server ({} s)", drive.warmup);
            load::wrk(addr, &script, drive.warmup, &opts, |_| ())?;
        }
    }
    let mut runs: [Vec<load::WrkFigures>; 2] = [Vec::new(), Vec::new()];
    for round in 0..drive.runs {
        for (i, (label, addr)) in servers.iter().enumerate() {
            let f = load::parse_wrk(&load::wrk(addr, &script, drive.seconds, &opts, |_| ())?)?;
            if f.non_2xx > 0 || f.wrk_non_2xx_or_3xx > 0 || f.socket_error_total() > 0 || f.requests == 0 {
                bail!("the {label} server answered {} non-2xx, {} socket errors, {} requests ({})", f.non_2xx, f.socket_error_total(), f.requests, f.sample);
            }
            println!("bench: server run {}/{} {label}: {:.0} requests/s, p99 {}", round + 1, drive.runs, f.requests_per_sec, f.p99);
            runs[i].push(f);
        }
    }
    drop((generated, hand));
    let figures = |label: &'static str, runs: &[load::WrkFigures]| -> Result<ServerFigures> {
        let pick = |f: fn(&load::WrkFigures) -> Option<f64>| -> Result<f64> {
            let values: Vec<f64> = runs.iter().map(f).collect::<Option<Vec<f64>>>().context("a latency wrk printed could not be read")?;
            median(&values).context("no run")
        };
        Ok(ServerFigures {
            label,
            requests_per_sec: pick(|f| Some(f.requests_per_sec))?,
            p50_us: pick(|f| latency_us(&f.p50))?,
            p90_us: pick(|f| latency_us(&f.p90))?,
            p99_us: pick(|f| latency_us(&f.p99))?,
            each: runs.iter().map(|f| f.requests_per_sec).collect(),
        })
    };
    Ok([figures("generated", &runs[0])?, figures("hand-written", &runs[1])?])
}

/// One criterion benchmark: its id and the middle of its time interval, nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// `group/name`.
    pub id: String,
    /// The estimate, nanoseconds.
    pub ns: f64,
}

fn duration_ns(value: &str, unit: &str) -> Option<f64> {
    let n: f64 = value.parse().ok()?;
    let scale = match unit {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(n * scale)
}

/// Reads criterion's report lines: `id  time: [low est high]`, the id alone on the line before
/// when it is long.
pub fn parse_criterion(out: &str) -> Vec<Criterion> {
    let mut found = Vec::new();
    let mut previous = "";
    for line in out.lines() {
        let t = line.trim();
        if let Some((before, after)) = t.split_once("time:") {
            let id = if before.trim().is_empty() { previous } else { before.trim() };
            let inside = after.trim().trim_start_matches('[').trim_end_matches(']');
            let parts: Vec<&str> = inside.split_whitespace().collect();
            if let (false, [_, _, v, u, _, _]) = (id.is_empty(), parts.as_slice()) {
                if let Some(ns) = duration_ns(v, u) {
                    found.push(Criterion { id: id.to_string(), ns });
                }
            }
        }
        if !t.is_empty() && !t.starts_with("Benchmarking") {
            previous = t;
        }
    }
    found
}

/// `cargo bench -p tests --bench request_pipeline` (minutes), parsed.
pub fn criterion(root: &Path) -> Result<Vec<Criterion>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("bench: cargo bench -p tests --bench request_pipeline (a few minutes)");
    let out = Command::new(cargo)
        .current_dir(root)
        .args(["bench", "-p", "tests", "--bench", "request_pipeline"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo bench")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("cargo bench -p tests --bench request_pipeline failed:\n{text}");
    }
    let found = parse_criterion(&text);
    if found.is_empty() {
        bail!("no criterion figure in the output of cargo bench:\n{text}");
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies() {
        assert_eq!(latency_us("574.00us"), Some(574.0));
        assert_eq!(latency_us("1.23ms"), Some(1230.0));
        assert_eq!(latency_us("1.50s"), Some(1_500_000.0));
        assert_eq!(latency_us("2.00m"), Some(120_000_000.0));
        assert_eq!(latency_us("fast"), None);
        assert_eq!(latency_us("1.0parsec"), None);
    }

    #[test]
    fn reads_criterion_output() {
        let out = "\
Benchmarking revdesk_request/serde_json::from_slice
revdesk_request/serde_json::from_slice
                        time:   [151.26 ns 151.87 ns 152.56 ns]
Found 3 outliers among 100 measurements (3.00%)
short                   time:   [1.0100 µs 1.0200 µs 1.0300 µs]
                        change: [-1.0% +0.5% +2.0%] (p = 0.30 > 0.05)
revdesk_router/idempotency memory: replay
                        time:   [2.5000 µs 2.6000 µs 2.7000 µs]
";
        let found = parse_criterion(out);
        assert_eq!(
            found,
            vec![
                Criterion { id: "revdesk_request/serde_json::from_slice".into(), ns: 151.87 },
                Criterion { id: "short".into(), ns: 1020.0 },
                Criterion { id: "revdesk_router/idempotency memory: replay".into(), ns: 2600.0 },
            ]
        );
        assert!(parse_criterion("no figures here\n").is_empty());
    }
}
