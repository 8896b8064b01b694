//! `cargo xtask load`: drive the release-built RevDesk mock at saturation with wrk on loopback and
//! fail on any non-2xx response, any socket error, or RSS growth of 10% or more after the warm-up.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// How a run is driven.
#[derive(Debug, Clone)]
pub struct Options {
    /// Measured seconds.
    pub duration: u64,
    /// Seconds of traffic before the first RSS reading (not counted).
    pub warmup: u64,
    /// wrk threads.
    pub threads: u32,
    /// wrk connections.
    pub connections: u32,
}

/// RSS growth from the post-warm-up reading to the end that still passes, in percent.
pub const MAX_RSS_GROWTH_PERCENT: f64 = 10.0;

/// A valid `POST /v1/room-token` (spec/openapi.json) with a bearer token; `response` counts
/// every non-2xx per thread and `done` prints the total, the statuses seen and one body.
pub(crate) const SCRIPT: &str = r#"-- written by `cargo xtask load` (or `bench`)
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer load-test"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"from_number":"+14155550100","to_number":"+14155550199","ttl_seconds":300}'

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  statuses = ""
  sample = ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if not string.find(statuses, " " .. status .. " ", 1, true) then
      statuses = statuses .. " " .. status .. " "
    end
    if sample == "" then
      sample = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local total, seen, example = 0, "", ""
  for _, t in ipairs(threads) do
    total = total + t:get("non2xx")
    seen = seen .. t:get("statuses")
    if example == "" then example = t:get("sample") end
  end
  io.write(string.format("lua non-2xx: %d\n", total))
  io.write(string.format("lua statuses:%s\n", seen))
  io.write(string.format("lua sample: %s\n", example))
end
"#;

/// The figures of one measured wrk run.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WrkFigures {
    /// `Requests/sec:`.
    pub requests_per_sec: f64,
    /// Total requests (`N requests in ...`).
    pub requests: u64,
    /// Latency percentiles as wrk prints them (`1.23ms`).
    pub p50: String,
    /// 90th percentile.
    pub p90: String,
    /// 99th percentile.
    pub p99: String,
    /// Non-2xx responses counted by the script (the exact count).
    pub non_2xx: u64,
    /// wrk's own `Non-2xx or 3xx responses:` line (absent means 0).
    pub wrk_non_2xx_or_3xx: u64,
    /// connect, read, write, timeout (absent means 0).
    pub socket_errors: [u64; 4],
    /// The statuses and one body the script saw, when any response was not 2xx.
    pub sample: String,
}

impl WrkFigures {
    /// All socket errors.
    pub fn socket_error_total(&self) -> u64 {
        self.socket_errors.iter().sum()
    }
}

/// Read wrk's `--latency` output plus the script's `done` lines.
pub fn parse_wrk(out: &str) -> Result<WrkFigures> {
    let mut f = WrkFigures::default();
    let mut saw_rps = false;
    let mut saw_lua = false;
    for line in out.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Requests/sec:") {
            f.requests_per_sec = rest.trim().parse().context("Requests/sec")?;
            saw_rps = true;
        } else if let Some(rest) = t.strip_prefix("Non-2xx or 3xx responses:") {
            f.wrk_non_2xx_or_3xx = rest.trim().parse().context("Non-2xx or 3xx responses")?;
        } else if let Some(rest) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            for (i, part) in rest.split(',').enumerate().take(4) {
                let n = part.split_whitespace().nth(1).context("Socket errors")?;
                f.socket_errors[i] = n.parse().context("Socket errors")?;
            }
        } else if let Some(rest) = t.strip_prefix("lua non-2xx:") {
            f.non_2xx = rest.trim().parse().context("lua non-2xx")?;
            saw_lua = true;
        } else if let Some(rest) = t.strip_prefix("lua statuses:") {
            let mut seen: Vec<&str> = rest.split_whitespace().collect();
            seen.sort_unstable();
            seen.dedup();
            if !seen.is_empty() {
                f.sample = format!("statuses {}", seen.join(", "));
            }
        } else if let Some(rest) = t.strip_prefix("lua sample:") {
            if !rest.trim().is_empty() {
                f.sample = format!("{}; first: {}", f.sample, rest.trim());
            }
        } else if t.contains(" requests in ") {
            f.requests = t.split_whitespace().next().unwrap_or("0").parse().unwrap_or(0);
        } else if let Some((pct, value)) = t.split_once('%') {
            let value = value.trim().to_string();
            match pct.trim() {
                "50" => f.p50 = value,
                "90" => f.p90 = value,
                "99" => f.p99 = value,
                _ => {}
            }
        }
    }
    if !saw_rps || !saw_lua || f.p99.is_empty() {
        bail!("could not read wrk's output (Requests/sec, latency percentiles, the script's totals):\n{out}");
    }
    Ok(f)
}

/// `VmRSS` of a process in KiB.
pub fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS in /proc/<pid>/status")
}

/// A server process, killed and reaped when dropped (every exit path stops it).
#[derive(Debug)]
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cargo build --release -p revdesk-mock`; the executable path from cargo's JSON messages.
fn build_mock(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("load: cargo build --release -p revdesk-mock");
    let out = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "-p", "revdesk-mock", "--message-format=json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build")?;
    if !out.status.success() {
        bail!("cargo build --release -p revdesk-mock failed");
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "revdesk-mock")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo reported no revdesk-mock executable")
}

/// Start the mock on a port the kernel picks on 127.0.0.1 and read the address it prints.
fn start_mock(exe: &Path) -> Result<(Server, String)> {
    start_server(exe, &["--listen", "127.0.0.1:0"], "revdesk-mock listening on http://")
}

/// Start a server that prints `{prefix}{address}` as its first line, and read the address
/// (which must be on 127.0.0.1).
pub(crate) fn start_server(exe: &Path, args: &[&str], prefix: &str) -> Result<(Server, String)> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let server = Server(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining so the server never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).with_context(|| format!("{} printed no listening address within 20 s", exe.display()))?;
    let addr = line.trim().strip_prefix(prefix).with_context(|| format!("unexpected first line from {}: {line:?}", exe.display()))?.to_string();
    if !addr.starts_with("127.0.0.1:") {
        bail!("{} listens on {addr}, not on 127.0.0.1", exe.display());
    }
    Ok((server, addr))
}

/// wrk on PATH, installed with apt-get when absent.
pub(crate) fn ensure_wrk() -> Result<()> {
    let present = || Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if present() {
        return Ok(());
    }
    println!("load: wrk not found; installing it with `apt-get install -y wrk`");
    let install =
        || Command::new("apt-get").env("DEBIAN_FRONTEND", "noninteractive").args(["install", "-y", "wrk"]).status().map(|s| s.success()).unwrap_or(false);
    if !install() {
        println!("load: apt-get install failed; running `apt-get update` and trying again");
        let _ = Command::new("apt-get").arg("update").status();
        if !install() {
            bail!("could not install wrk with apt-get");
        }
    }
    if !present() {
        bail!("wrk is still not on PATH after apt-get install");
    }
    Ok(())
}

/// One wrk run against `http://{addr}/v1/room-token`, bounded by `secs` plus a grace period;
/// `tick` is called with the time since the start about every 100 ms while wrk runs.
pub(crate) fn wrk(addr: &str, script: &Path, secs: u64, opts: &Options, mut tick: impl FnMut(Duration)) -> Result<String> {
    let url = format!("http://{addr}/v1/room-token");
    let mut child = Command::new("wrk")
        .arg(format!("-t{}", opts.threads))
        .arg(format!("-c{}", opts.connections))
        .arg(format!("-d{secs}s"))
        .args(["--timeout", "2s", "--latency", "-s"])
        .arg(script)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting wrk")?;
    let mut stdout = child.stdout.take().context("wrk stdout")?;
    let mut stderr = child.stderr.take().context("wrk stderr")?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        (out, err)
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs + 30);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tick(started.elapsed());
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("wrk did not finish within {} s; killed", secs + 30);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = reader.join().map_err(|_| anyhow::anyhow!("wrk output reader panicked"))?;
    if !status.success() {
        bail!("wrk failed ({status}):\n{out}{err}");
    }
    Ok(out)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Build, start, warm up, measure, stop; true when every gate passed.
pub fn run(root: &Path, opts: &Options) -> Result<bool> {
    if opts.duration == 0 {
        bail!("--duration must be at least 1 second");
    }
    let exe = build_mock(root)?;
    ensure_wrk()?;
    let script = std::env::temp_dir().join(format!("xtask-load-{}.lua", std::process::id()));
    std::fs::write(&script, SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let result = measure(&exe, &script, opts);
    let _ = std::fs::remove_file(&script);
    result
}

fn measure(exe: &Path, script: &Path, opts: &Options) -> Result<bool> {
    let (server, addr) = start_mock(exe)?;
    let pid = server.0.id();
    println!(
        "load: revdesk-mock (pid {pid}) on http://{addr}; wrk -t{} -c{}: {} s warm-up, then {} s measured",
        opts.threads, opts.connections, opts.warmup, opts.duration
    );
    if opts.warmup > 0 {
        let warm = parse_wrk(&wrk(&addr, script, opts.warmup, opts, |_| ())?)?;
        println!("load: warm-up {:.0} requests/s, {} non-2xx, {} socket errors (not counted)", warm.requests_per_sec, warm.non_2xx, warm.socket_error_total());
    }
    // RSS is read while the measured run's connections are open and busy: the first reading once
    // they are established (1 s in), the last one just before wrk stops. Read between two runs, the
    // idle reading would compare a server holding no connections with one holding 64, and each new
    // set of connections costs the allocator a few hundred KiB until it settles.
    let start_at = Duration::from_millis((opts.duration * 1000 / 4).min(1000));
    let stop_at = Duration::from_millis(opts.duration * 1000 - 200);
    let (mut rss_start, mut rss_end, mut rss_peak, mut read_error) = (None, None, 0, None);
    let out = wrk(&addr, script, opts.duration, opts, |elapsed| {
        if elapsed < start_at || elapsed > stop_at {
            return;
        }
        match rss_kib(pid) {
            Ok(kib) => {
                rss_start.get_or_insert(kib);
                rss_end = Some(kib);
                rss_peak = rss_peak.max(kib);
            }
            Err(e) => read_error = Some(e),
        }
    })?;
    let rss_idle = rss_kib(pid)?;
    drop(server);
    if let Some(e) = read_error {
        return Err(e);
    }
    let (Some(rss_start), Some(rss_end)) = (rss_start, rss_end) else {
        bail!("no RSS reading while wrk ran");
    };
    let f = parse_wrk(&out)?;
    let growth = (rss_end as f64 - rss_start as f64) / rss_start.max(1) as f64 * 100.0;
    let [connect, read, write, timeout] = f.socket_errors;
    println!("requests/s      {:.0} ({} requests in {} s)", f.requests_per_sec, f.requests, opts.duration);
    println!("latency p50     {}", f.p50);
    println!("latency p90     {}", f.p90);
    println!("latency p99     {}", f.p99);
    println!("non-2xx         {} (wrk: Non-2xx or 3xx responses {})", f.non_2xx, f.wrk_non_2xx_or_3xx);
    println!("socket errors   {} (connect {connect}, read {read}, write {write}, timeout {timeout})", f.socket_error_total());
    println!("RSS start       {} (after warm-up, {:.2} s into the run)", mib(rss_start), start_at.as_secs_f64());
    println!("RSS end         {} (peak {}, idle after the run {})", mib(rss_end), mib(rss_peak), mib(rss_idle));
    println!("RSS growth      {growth:.1}% (limit {MAX_RSS_GROWTH_PERCENT}%)");
    let mut ok = true;
    if f.non_2xx > 0 || f.wrk_non_2xx_or_3xx > 0 {
        eprintln!("error: {} non-2xx responses ({})", f.non_2xx.max(f.wrk_non_2xx_or_3xx), f.sample);
        ok = false;
    }
    if f.socket_error_total() > 0 {
        eprintln!("error: {} socket errors", f.socket_error_total());
        ok = false;
    }
    if growth >= MAX_RSS_GROWTH_PERCENT {
        eprintln!("error: RSS grew {growth:.1}% after the warm-up (limit {MAX_RSS_GROWTH_PERCENT}%)");
        ok = false;
    }
    if f.requests == 0 {
        eprintln!("error: wrk completed no request");
        ok = false;
    }
    println!("load: {}", if ok { "passed" } else { "FAILED" });
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "Running 10s test @ http://127.0.0.1:40000/v1/room-token
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  512.00us  20.00ms   90.00%
    Req/Sec    28.00k     1.00k   30.00k    70.00%
  Latency Distribution
     50%    1.00ms
     75%    1.20ms
     90%    1.50ms
     99%    3.00ms
  557000 requests in 10.00s, 180.00MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:  55700.00
Transfer/sec:     18.00MB
lua non-2xx: 3
lua statuses: 400  400 
lua sample: 400 {\"error\":{}}
";

    #[test]
    fn reads_wrk_output() -> Result<()> {
        let f = parse_wrk(OUT)?;
        assert_eq!(f.requests, 557_000);
        assert!((f.requests_per_sec - 55_700.0).abs() < 1e-9);
        assert_eq!((f.p50.as_str(), f.p90.as_str(), f.p99.as_str()), ("1.00ms", "1.50ms", "3.00ms"));
        assert_eq!((f.non_2xx, f.wrk_non_2xx_or_3xx), (3, 3));
        assert_eq!(f.socket_errors, [0, 1, 0, 2]);
        assert!(f.sample.starts_with("statuses 400; first: 400"), "{}", f.sample);
        Ok(())
    }

    #[test]
    fn clean_run_has_no_error_lines() -> Result<()> {
        let clean: String = OUT.lines().filter(|l| !l.contains("Non-2xx") && !l.contains("Socket errors")).map(|l| format!("{l}\n")).collect();
        let f = parse_wrk(&clean.replace("lua non-2xx: 3", "lua non-2xx: 0"))?;
        assert_eq!((f.non_2xx, f.wrk_non_2xx_or_3xx, f.socket_error_total()), (0, 0, 0));
        Ok(())
    }

    #[test]
    fn refuses_output_without_figures() {
        assert!(parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n").is_err());
    }
}
