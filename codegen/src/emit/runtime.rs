//! The runtime in generated crates: in embedded mode, the `codegen-runtime` crate's own source
//! files copied under `src/runtime/` (one source of truth, read with `include_str!`), with only
//! the feature cfgs of parts the crate lacks rewritten to constant predicates.

use crate::ir::RuntimeUse;
use crate::{GeneratedFile, Options};

/// One file of the runtime crate: its path in the crate, its path under a generated crate's
/// `src/runtime/`, and its text.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeSource {
    /// Path inside the runtime crate (`src/lib.rs`).
    pub crate_path: &'static str,
    /// Path inside a generated crate (`src/runtime/mod.rs`).
    pub embedded_path: &'static str,
    /// The file's text.
    pub text: &'static str,
    /// The feature that gates the file's module, if any.
    pub feature: Option<&'static str>,
}

/// Every source file of the runtime crate, the module root first.
pub const SOURCES: [RuntimeSource; 15] = [
    RuntimeSource { crate_path: "src/lib.rs", embedded_path: "src/runtime/mod.rs", text: include_str!("../../../runtime/src/lib.rs"), feature: None },
    RuntimeSource {
        crate_path: "src/multipart.rs",
        embedded_path: "src/runtime/multipart.rs",
        text: include_str!("../../../runtime/src/multipart.rs"),
        feature: Some("multipart"),
    },
    RuntimeSource {
        crate_path: "src/defaults.rs",
        embedded_path: "src/runtime/defaults.rs",
        text: include_str!("../../../runtime/src/defaults.rs"),
        feature: None,
    },
    RuntimeSource {
        crate_path: "src/pattern.rs",
        embedded_path: "src/runtime/pattern.rs",
        text: include_str!("../../../runtime/src/pattern.rs"),
        feature: Some("regex"),
    },
    RuntimeSource { crate_path: "src/binary.rs", embedded_path: "src/runtime/binary.rs", text: include_str!("../../../runtime/src/binary.rs"), feature: None },
    RuntimeSource {
        crate_path: "src/server.rs",
        embedded_path: "src/runtime/server.rs",
        text: include_str!("../../../runtime/src/server.rs"),
        feature: Some("server"),
    },
    RuntimeSource {
        crate_path: "src/querystring.rs",
        embedded_path: "src/runtime/querystring.rs",
        text: include_str!("../../../runtime/src/querystring.rs"),
        feature: Some("server"),
    },
    RuntimeSource {
        crate_path: "src/idempotency.rs",
        embedded_path: "src/runtime/idempotency.rs",
        text: include_str!("../../../runtime/src/idempotency.rs"),
        feature: Some("server"),
    },
    RuntimeSource {
        crate_path: "src/client.rs",
        embedded_path: "src/runtime/client.rs",
        text: include_str!("../../../runtime/src/client.rs"),
        feature: Some("client"),
    },
    RuntimeSource {
        crate_path: "src/stream.rs",
        embedded_path: "src/runtime/stream.rs",
        text: include_str!("../../../runtime/src/stream.rs"),
        feature: Some("streams"),
    },
    RuntimeSource {
        crate_path: "src/stream_server.rs",
        embedded_path: "src/runtime/stream_server.rs",
        text: include_str!("../../../runtime/src/stream_server.rs"),
        feature: Some("streams"),
    },
    RuntimeSource {
        crate_path: "src/stream_client.rs",
        embedded_path: "src/runtime/stream_client.rs",
        text: include_str!("../../../runtime/src/stream_client.rs"),
        feature: Some("streams"),
    },
    RuntimeSource {
        crate_path: "src/callback.rs",
        embedded_path: "src/runtime/callback.rs",
        text: include_str!("../../../runtime/src/callback.rs"),
        feature: Some("callbacks"),
    },
    RuntimeSource {
        crate_path: "src/retry.rs",
        embedded_path: "src/runtime/retry.rs",
        text: include_str!("../../../runtime/src/retry.rs"),
        feature: Some("client"),
    },
    RuntimeSource {
        crate_path: "src/paginate.rs",
        embedded_path: "src/runtime/paginate.rs",
        text: include_str!("../../../runtime/src/paginate.rs"),
        feature: Some("paginate"),
    },
];

/// The runtime features a generated crate does not declare, each set on or off for good:
/// `embedded` on (macros stay crate-local), the pattern engines, `streams`, `paginate`, `callbacks` and `multipart` by what the spec
/// uses, `server`/`client` off when that module is not generated. The crate's own `server`, `client` and `schemars` features stay features.
pub fn fixed_features(uses: RuntimeUse, options: &Options) -> Vec<(&'static str, bool)> {
    let mut out = vec![
        ("embedded", true),
        ("regex", uses.linear_patterns),
        ("fancy-regex", uses.backtracking_patterns),
        ("streams", uses.streams),
        ("paginate", uses.pagination && options.client),
        ("callbacks", uses.callback_urls),
        ("multipart", uses.multipart),
    ];
    if !options.server {
        out.push(("server", false));
    }
    if !options.client {
        out.push(("client", false));
    }
    out
}

/// A runtime file's text with each fixed feature's `feature = "name"` predicate replaced by
/// `not(any())` (on; clippy flags `all()`) or `any()` (off); nothing else changes.
pub fn rewrite(text: &str, fixed: &[(&str, bool)]) -> String {
    let mut out = text.to_string();
    for (name, on) in fixed {
        out = out.replace(&format!("feature = \"{name}\""), if *on { "not(any())" } else { "any()" });
    }
    out
}

/// The embedded runtime's files, stamped: a file whose module is cfg'd out for good is left out
/// (the compiler never reads it).
pub fn embedded_files(uses: RuntimeUse, options: &Options, stamp: &str) -> Vec<GeneratedFile> {
    let fixed = fixed_features(uses, options);
    let included = |source: &RuntimeSource| match source.feature {
        None => true,
        Some("regex") => uses.linear_patterns || uses.backtracking_patterns,
        Some(feature) => fixed.iter().all(|(name, on)| *name != feature || *on),
    };
    SOURCES
        .iter()
        .filter(|s| included(s))
        .map(|s| GeneratedFile { path: s.embedded_path.into(), contents: format!("// {stamp}\n{}", rewrite(s.text, &fixed)) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_file_of_the_runtime_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src");
        let mut on_disk: Vec<String> =
            std::fs::read_dir(&dir).expect("runtime/src").map(|e| format!("src/{}", e.expect("entry").file_name().to_string_lossy())).collect();
        on_disk.sort();
        let mut listed: Vec<String> = SOURCES.iter().map(|s| s.crate_path.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn the_runtime_version_is_the_runtime_crates() {
        let manifest = include_str!("../../../runtime/Cargo.toml");
        let table: toml::Table = toml::from_str(manifest).expect("runtime/Cargo.toml");
        assert_eq!(table["package"]["version"].as_str(), Some(crate::RuntimeMode::RUNTIME_VERSION));
        assert_eq!(table["package"]["name"].as_str(), Some(crate::RuntimeMode::RUNTIME_PACKAGE));
    }

    #[test]
    fn only_fixed_feature_predicates_change() {
        let text = "#[cfg(feature = \"regex\")]\n#[cfg(any(feature = \"regex\", feature = \"fancy-regex\"))]\n#[cfg(feature = \"server\")]\n";
        let out = rewrite(text, &[("regex", true), ("fancy-regex", false)]);
        assert_eq!(out, "#[cfg(not(any()))]\n#[cfg(any(not(any()), any()))]\n#[cfg(feature = \"server\")]\n");
    }

    #[test]
    fn a_crate_without_patterns_gets_no_pattern_file_and_no_server_file_without_a_server() {
        let options = Options { server: false, ..Options::default() };
        let files = embedded_files(RuntimeUse::default(), &options, "stamp");
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["src/runtime/mod.rs", "src/runtime/defaults.rs", "src/runtime/binary.rs", "src/runtime/client.rs", "src/runtime/retry.rs"]);
        let multipart = embedded_files(RuntimeUse { multipart: true, ..RuntimeUse::default() }, &options, "stamp");
        assert!(multipart.iter().any(|f| f.path == "src/runtime/multipart.rs"));
        assert!(files[0].contents.contains("#[cfg(any())]\npub mod server;"), "{}", &files[0].contents[..2000]);
    }
}
