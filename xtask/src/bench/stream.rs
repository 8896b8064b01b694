//! `cargo xtask bench --download-gib N` (and a small run in `--smoke`): the flat-memory
//! benchmark of binary bodies. A crate generated from a two-operation spec (`GET`/`PUT
//! /blobs/{size}`, `application/octet-stream`) and a harness using it are built in a scratch
//! workspace; the generated server streams N GiB produced on the fly by its handler, the
//! generated client downloads and hashes it, then uploads N GiB produced on the fly, which the
//! server's handler hashes. Each process runs under the measuring child (`bench-measure`,
//! getrusage), so the figures are the peak resident sets of the server and of each client, and
//! the throughput; the hashes are checked against the generator's own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::measure::{self, Measured};

/// The spec of the benchmark's crate.
const SPEC: &str = r#"openapi: 3.1.0
info: {title: Stream bench, version: "1"}
paths:
  /blobs/{size}:
    parameters:
      - {name: size, in: path, required: true, schema: {type: integer, minimum: 0}}
    get:
      operationId: download
      responses:
        "200":
          description: size bytes, produced on the fly
          content:
            application/octet-stream:
              schema: {type: string, format: binary}
    put:
      operationId: upload
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        "200":
          description: what the handler read
          content:
            application/json:
              schema:
                type: object
                required: [bytes, hash]
                properties:
                  bytes: {type: integer}
                  hash: {type: string}
"#;

/// The harness: `server`, `download BASE SIZE`, `collect BASE SIZE` (the control: the download
/// collected whole), `upload BASE SIZE`, `expect SIZE`.
const HARNESS: &str = r#"//! Written by `cargo xtask bench` (stream benchmark): the generated server and client moving
//! bytes produced on the fly, hashed on arrival; one JSON line of figures per command.
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use stream_bench_api::client::Client;
use stream_bench_api::runtime::ByteStream;
use stream_bench_api::server::{self, Api, ApiError, DownloadResponse, RequestContext, RouterConfig, UploadResponse};
use stream_bench_api::types::{DownloadParams, UploadParams, UploadResponse200};

const CHUNK: u64 = 256 * 1024;

fn word(j: u64) -> u64 {
    let mut z = j.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `size` bytes (a multiple of 8) in chunks of 256 KiB, each made when polled.
fn produced(size: u64) -> ByteStream {
    let chunks = futures_util::stream::unfold(0u64, move |at| async move {
        if at >= size {
            return None;
        }
        let n = (size - at).min(CHUNK);
        let mut chunk = Vec::with_capacity(n as usize);
        for j in (at / 8)..((at + n) / 8) {
            chunk.extend_from_slice(&word(j).to_le_bytes());
        }
        Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), at + n))
    });
    ByteStream::new(chunks).with_length(size)
}

/// A hash over 8-byte words, whatever the chunk boundaries.
#[derive(Default)]
struct Hash {
    h: u64,
    carry: Vec<u8>,
    bytes: u64,
}

impl Hash {
    fn update(&mut self, mut data: &[u8]) {
        self.bytes += data.len() as u64;
        if !self.carry.is_empty() {
            let need = 8 - self.carry.len();
            let take = need.min(data.len());
            self.carry.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.carry.len() < 8 {
                return;
            }
            let w = u64::from_le_bytes(self.carry[..8].try_into().unwrap_or([0; 8]));
            self.mix(w);
            self.carry.clear();
        }
        let mut words = data.chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
        }
        self.carry.extend_from_slice(words.remainder());
    }

    fn mix(&mut self, w: u64) {
        self.h = (self.h ^ w).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }

    fn hex(&self) -> String {
        format!("{:016x}:{}", self.h, self.carry.len())
    }
}

struct Blobs(Arc<tokio::sync::Notify>);

impl Api for Blobs {
    async fn download(&self, _: RequestContext, params: DownloadParams) -> Result<DownloadResponse, ApiError> {
        Ok(DownloadResponse::Ok(produced(params.size as u64)))
    }

    async fn upload(&self, _: RequestContext, _: UploadParams, mut body: ByteStream) -> Result<UploadResponse, ApiError> {
        let mut hash = Hash::default();
        while let Some(chunk) = body.next_chunk().await {
            hash.update(&chunk?);
        }
        // The upload is the last request of a run: stop once it is answered.
        self.0.notify_one();
        Ok(UploadResponse::Ok(UploadResponse200 { bytes: hash.bytes as i64, hash: hash.hex() }))
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let size = |i: usize| arg(i).parse::<u64>().expect("a size in bytes");
    match arg(1).as_str() {
        "server" => {
            let stop = Arc::new(tokio::sync::Notify::new());
            let config = RouterConfig { body_limit: usize::MAX, body_timeout: None, handler_timeout: None, ..RouterConfig::default() };
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            println!("stream-bench listening on http://{}", listener.local_addr().expect("addr"));
            let done = stop.clone();
            axum::serve(listener, server::router_with_config(Blobs(stop), config))
                .with_graceful_shutdown(async move { done.notified().await })
                .await
                .expect("serve");
        }
        "download" => {
            let started = Instant::now();
            let mut stream = Client::new(arg(2)).download(&DownloadParams { size: size(3) as i64 }).await.expect("download");
            let mut hash = Hash::default();
            while let Some(chunk) = stream.next_chunk().await {
                hash.update(&chunk.expect("chunk"));
            }
            println!("{{\"bytes\": {}, \"hash\": \"{}\", \"seconds\": {}}}", hash.bytes, hash.hex(), started.elapsed().as_secs_f64());
        }
        "collect" => {
            // The control: the same download collected whole, as a buffering client would.
            let started = Instant::now();
            let stream = Client::new(arg(2)).download(&DownloadParams { size: size(3) as i64 }).await.expect("download");
            let all = stream.collect().await.expect("collected");
            let mut hash = Hash::default();
            hash.update(&all);
            println!("{{\"bytes\": {}, \"hash\": \"{}\", \"seconds\": {}}}", hash.bytes, hash.hex(), started.elapsed().as_secs_f64());
        }
        "upload" => {
            let started = Instant::now();
            let got = Client::new(arg(2)).upload(&UploadParams { size: size(3) as i64 }, produced(size(3))).await.expect("upload");
            println!("{{\"bytes\": {}, \"hash\": \"{}\", \"seconds\": {}}}", got.bytes, got.hash, started.elapsed().as_secs_f64());
        }
        "expect" => {
            let mut stream = produced(size(2));
            let mut hash = Hash::default();
            while let Some(chunk) = stream.next_chunk().await {
                hash.update(&chunk.expect("chunk"));
            }
            println!("{{\"bytes\": {}, \"hash\": \"{}\", \"seconds\": 0}}", hash.bytes, hash.hex());
        }
        other => panic!("unknown command `{other}`"),
    }
}
"#;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct StreamFigures {
    /// Bytes each way.
    pub bytes: u64,
    /// Peak resident set of the server process (both transfers), KiB.
    pub server_kib: u64,
    /// Peak resident set of the downloading client process, KiB.
    pub download_kib: u64,
    /// Peak resident set of a client collecting the same download whole (the control that
    /// shows what buffering costs), KiB.
    pub collect_kib: u64,
    /// Peak resident set of the uploading client process, KiB.
    pub upload_kib: u64,
    /// Download throughput seen by the client, MiB/s.
    pub download_mib_s: f64,
    /// Upload throughput seen by the client (until the server's answer), MiB/s.
    pub upload_mib_s: f64,
    /// The cargo profile of the build (`release`, or `dev` in the smoke run).
    pub profile: &'static str,
}

#[derive(Debug, Deserialize)]
struct Line {
    bytes: u64,
    hash: String,
    seconds: f64,
}

fn last_json(log: &Path) -> Result<Line> {
    let text = std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    text.lines().rev().find_map(|l| serde_json::from_str::<Line>(l).ok()).with_context(|| format!("no figures in {}", log.display()))
}

/// Generates the crate, writes the harness and builds it (`release`, or the dev profile).
fn build(root: &Path, dir: &Path, release: bool) -> Result<PathBuf> {
    let options = codegen::Options { crate_name: Some("stream-bench-api".into()), ..codegen::Options::default() };
    let generated = codegen::generate_str("stream-bench.yaml", SPEC, &options).map_err(|e| anyhow::anyhow!("generating the bench crate: {e}"))?;
    let api = dir.join("api");
    for f in &generated.files {
        let path = api.join(&f.path);
        std::fs::create_dir_all(path.parent().context("a file's folder")?)?;
        std::fs::write(&path, &f.contents).with_context(|| format!("writing {}", path.display()))?;
    }
    let harness = dir.join("harness");
    std::fs::create_dir_all(harness.join("src"))?;
    std::fs::write(harness.join("src/main.rs"), HARNESS)?;
    std::fs::write(
        harness.join("Cargo.toml"),
        "# Written by `cargo xtask bench`.\n[package]\nname = \"stream-bench\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n\
         stream-bench-api = { path = \"../api\", features = [\"server\", \"client\"] }\n\
         axum = { version = \"0.8\", default-features = false, features = [\"http1\", \"tokio\"] }\n\
         tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\", \"net\", \"sync\"] }\n\
         bytes = \"1\"\nfutures-util = { version = \"0.3\", default-features = false }\n",
    )?;
    super::compile::write_workspace(dir, &["api".into(), "harness".into()], Some(&root.join("Cargo.lock")))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = root.join("target");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir).args(["build", "-p", "stream-bench"]).env("CARGO_TARGET_DIR", &target);
    if release {
        cmd.arg("--release");
    }
    println!("bench: building the stream benchmark ({})", if release { "release" } else { "dev" });
    let status = cmd.status().context("running cargo build")?;
    if !status.success() {
        bail!("building the stream benchmark failed");
    }
    Ok(target.join(if release { "release" } else { "debug" }).join("stream-bench"))
}

/// Waits until the server's log names its address.
fn address(log: &Path, server: &std::thread::JoinHandle<Result<Measured>>) -> Result<String> {
    let prefix = "stream-bench listening on ";
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(line) = std::fs::read_to_string(log).unwrap_or_default().lines().find(|l| l.starts_with(prefix)) {
            return Ok(line[prefix.len()..].trim().to_string());
        }
        if server.is_finished() {
            bail!("the stream benchmark's server stopped; see {}", log.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("the stream benchmark's server did not start; see {}", log.display())
}

/// Builds and runs the benchmark for `bytes` each way (a multiple of 8).
pub fn run(root: &Path, bytes: u64, release: bool) -> Result<StreamFigures> {
    let dir = root.join("target/bench/stream");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let exe = build(root, &dir, release)?;
    let measurer = std::env::current_exe().context("the xtask executable")?;
    let limit = Duration::from_secs(1800);
    let run_one = |name: &str, args: &[String]| -> Result<(Measured, PathBuf)> {
        let log = logs.join(format!("{name}.log"));
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        let m = measure::measure(&measurer, &exe, &args, &dir, &log, limit)?;
        if !m.success() {
            bail!("the stream benchmark's {name} failed ({m:?}); see {}", log.display());
        }
        Ok((m, log))
    };
    let (_, expect_log) = run_one("expect", &["expect".into(), bytes.to_string()])?;
    let expected = last_json(&expect_log)?;
    if expected.bytes != bytes {
        bail!("the generator produced {} bytes, not {bytes}", expected.bytes);
    }
    let server_log = logs.join("server.log");
    let _ = std::fs::remove_file(&server_log);
    let (m_exe, m_dir, m_log, m_measurer) = (exe.clone(), dir.clone(), server_log.clone(), measurer.clone());
    let server = std::thread::spawn(move || measure::measure(&m_measurer, &m_exe, &["server".into()], &m_dir, &m_log, limit));
    let base = address(&server_log, &server)?;
    println!("bench: stream server at {base}; downloading {} MiB", bytes / (1024 * 1024));
    let (download, download_log) = run_one("download", &["download".into(), base.clone(), bytes.to_string()])?;
    let (collect, collect_log) = run_one("collect", &["collect".into(), base.clone(), bytes.to_string()])?;
    println!("bench: uploading {} MiB", bytes / (1024 * 1024));
    let (upload, upload_log) = run_one("upload", &["upload".into(), base, bytes.to_string()])?;
    let server = server.join().map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    if !server.success() {
        bail!("the stream benchmark's server failed ({server:?}); see {}", server_log.display());
    }
    let (down, up) = (last_json(&download_log)?, last_json(&upload_log)?);
    for (what, line) in [("download", &down), ("collected download", &last_json(&collect_log)?), ("upload", &up)] {
        if line.bytes != bytes || line.hash != expected.hash {
            bail!("the {what} is incomplete or altered: {} bytes, hash {} (expected {bytes} bytes, hash {})", line.bytes, line.hash, expected.hash);
        }
    }
    let mib_s = |secs: f64| bytes as f64 / (1024.0 * 1024.0) / secs.max(1e-9);
    Ok(StreamFigures {
        bytes,
        server_kib: server.peak_kib,
        download_kib: download.peak_kib,
        upload_kib: upload.peak_kib,
        collect_kib: collect.peak_kib,
        download_mib_s: mib_s(down.seconds),
        upload_mib_s: mib_s(up.seconds),
        profile: if release { "release" } else { "dev" },
    })
}

/// The figures as a short Markdown section (what BENCHMARKS.md and the smoke report carry).
pub fn markdown(f: &StreamFigures, command: &str, date: &str) -> String {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let size = if f.bytes >= 1 << 30 { format!("{:.0} GiB", f.bytes as f64 / f64::from(1u32 << 30)) } else { format!("{} MiB", f.bytes >> 20) };
    format!(
        "{BEGIN}\n## Binary bodies: flat memory\n\n`{command}` ({date}, {profile} build, loopback, the shared 2-core machine). A crate generated \
         from a two-operation spec (`GET`/`PUT /blobs/{{size}}`, `application/octet-stream`): its server streams {size} produced on the fly by \
         the handler, its client downloads and hashes it; then the client uploads {size} produced on the fly and the server's handler hashes \
         it. Both hashes equal the generator's. Peak resident set (getrusage of each process):\n\n\
         | process | peak RSS | throughput |\n|---|---:|---:|\n\
         | server (every transfer) | {:.1} MiB | |\n| client, download | {:.1} MiB | {:.0} MiB/s |\n| client, upload | {:.1} MiB | {:.0} MiB/s |\n\
         | control: a client collecting the download whole (`ByteStream::collect`) | {:.1} MiB | |\n\n\
         The throughput includes producing and hashing every byte; the control shows what the measure reports for a body held whole.\n{END}\n",
        mib(f.server_kib),
        mib(f.download_kib),
        f.download_mib_s,
        mib(f.upload_kib),
        f.upload_mib_s,
        mib(f.collect_kib),
        profile = f.profile,
    )
}

/// The start and end markers of the section in BENCHMARKS.md (kept when the full report is
/// rewritten, replaced by a new stream run).
pub const BEGIN: &str = "<!-- stream-bench -->";
/// See [`BEGIN`].
pub const END: &str = "<!-- /stream-bench -->";

/// `text` with its stream section replaced by `section` (appended when it has none).
pub fn splice(text: &str, section: &str) -> String {
    match (text.find(BEGIN), text.find(END)) {
        (Some(a), Some(b)) if a < b => {
            let after = &text[b + END.len()..];
            format!("{}{}{}", &text[..a], section.trim_end(), after)
        }
        _ => format!("{}\n\n{}", text.trim_end(), section),
    }
}

/// The stream section of `text`, if any.
pub fn section(text: &str) -> Option<&str> {
    let a = text.find(BEGIN)?;
    let b = text.find(END)?;
    (a < b).then(|| &text[a..b + END.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_or_appended() {
        let fresh = splice("# Report\n", &format!("{BEGIN}\nA\n{END}\n"));
        assert_eq!(fresh, format!("# Report\n\n{BEGIN}\nA\n{END}\n"));
        let again = splice(&format!("{fresh}\n## Later\n"), &format!("{BEGIN}\nB\n{END}\n"));
        assert!(again.contains("\nB\n") && !again.contains("\nA\n") && again.ends_with("## Later\n"), "{again}");
        assert_eq!(section(&again), Some(format!("{BEGIN}\nB\n{END}").as_str()));
        assert_eq!(section("# none"), None);
    }

    #[test]
    fn the_markdown_names_every_figure() {
        let f = StreamFigures {
            bytes: 1 << 30,
            server_kib: 20 * 1024,
            download_kib: 12 * 1024,
            upload_kib: 13 * 1024,
            collect_kib: 1100 * 1024,
            download_mib_s: 900.0,
            upload_mib_s: 800.0,
            profile: "release",
        };
        let md = markdown(&f, "cargo xtask bench --download-gib 1", "today");
        for needle in ["1 GiB", "20.0 MiB", "12.0 MiB", "13.0 MiB", "1100.0 MiB", "900 MiB/s", "800 MiB/s", "release"] {
            assert!(md.contains(needle), "{needle}: {md}");
        }
    }
}
