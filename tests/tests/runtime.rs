//! The runtime crate and its two uses: the embedded copy in `generated/` is the runtime crate's
//! own source (read from disk on both sides, not through the generator), and in dependency mode
//! two generated crates in one build share the runtime's types.

use codegen::{Options, RuntimeMode};
use tests::scratch;
use xtask::project_root;

/// The feature predicates the embedded copy may rewrite, and what they may become.
const FIXED: [&str; 9] = ["embedded", "regex", "fancy-regex", "server", "client", "streams", "paginate", "callbacks", "multipart"];

/// `embedded` is `original` with some `feature = "<FIXED>"` predicates replaced by `not(any())`
/// or `any()`, and nothing else changed.
fn same_but_fixed_features(original: &str, embedded: &str) -> Result<(), String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (original.lines().collect(), embedded.lines().collect());
    if a.len() != b.len() {
        return Err(format!("{} lines in the runtime crate, {} embedded", a.len(), b.len()));
    }
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if x == y {
            continue;
        }
        // Every rewriting of this line's fixed predicates, each on or off independently.
        let mut candidates = vec![x.to_string()];
        for name in FIXED {
            let predicate = format!("feature = \"{name}\"");
            if x.contains(&predicate) {
                candidates = candidates.iter().flat_map(|c| [c.replace(&predicate, "not(any())"), c.replace(&predicate, "any()"), c.clone()]).collect();
            }
        }
        if !candidates.iter().any(|c| c == y) {
            return Err(format!("line {}: runtime `{x}`, embedded `{y}`", i + 1));
        }
    }
    Ok(())
}

#[test]
fn the_embedded_runtime_is_the_runtime_crates_source() {
    let root = project_root();
    let embedded = root.join("generated/src/runtime");
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&embedded).expect("generated/src/runtime") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).expect("file name").to_string();
        let source = if name == "mod.rs" { "lib.rs".to_string() } else { name.clone() };
        let original = std::fs::read_to_string(root.join("runtime/src").join(&source))
            .unwrap_or_else(|_| panic!("generated/src/runtime/{name} has no runtime/src/{source}"));
        let text = std::fs::read_to_string(&path).expect("embedded file");
        let (stamp, body) = text.split_once('\n').expect("a stamp line");
        assert!(codegen::carries_stamp(stamp), "{name}: {stamp}");
        if let Err(e) = same_but_fixed_features(&original, body) {
            panic!("generated/src/runtime/{name} diverges from runtime/src/{source}: {e}");
        }
        checked.push(source);
    }
    checked.sort();
    // RevDesk has a server, a client and patterns, no streams, no list operation, no
    // callback and no multipart body: every runtime file but those modules is embedded.
    let streams: Vec<&str> = codegen::RUNTIME_SOURCES
        .iter()
        .filter(|s| matches!(s.feature, Some("streams" | "callbacks" | "multipart")) || s.crate_path == "src/paginate.rs")
        .map(|s| s.crate_path.trim_start_matches("src/"))
        .collect();
    assert_eq!(streams, ["multipart.rs", "stream.rs", "stream_server.rs", "stream_client.rs", "callback.rs", "paginate.rs"]);
    let mut all: Vec<String> = std::fs::read_dir(root.join("runtime/src"))
        .expect("runtime/src")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !streams.contains(&name.as_str()))
        .collect();
    all.sort();
    assert_eq!(checked, all);
    let g = codegen::generate(&root.join("tests/fixtures/pagination.yaml"), &Options::default()).expect("pagination fixture");
    let file = g.files.iter().find(|f| f.path == "src/runtime/paginate.rs").expect("a paginated crate embeds paginate.rs");
    let (_, body) = file.contents.split_once('\n').expect("a stamp line");
    let original = std::fs::read_to_string(root.join("runtime/src/paginate.rs")).expect("runtime/src/paginate.rs");
    same_but_fixed_features(&original, body).expect("paginate.rs is the runtime's");
    let lib = &g.files.iter().find(|f| f.path == "src/runtime/mod.rs").expect("mod.rs").contents;
    assert!(lib.contains("#[cfg(all(feature = \"client\", not(any())))]\npub mod paginate;"), "paginate is on in a paginated crate");
}

#[test]
fn multipart_bodies_get_the_multipart_module() {
    let root = project_root();
    let original = std::fs::read_to_string(root.join("runtime/src/multipart.rs")).expect("runtime/src/multipart.rs");
    for (fixture, multipart) in [("security.yaml", false), ("bodies.yaml", true), ("multipart.yaml", true)] {
        let g = codegen::generate(&root.join("tests/fixtures").join(fixture), &Options::default()).expect(fixture);
        let file = g.files.iter().find(|f| f.path == "src/runtime/multipart.rs");
        assert_eq!(file.is_some(), multipart, "{fixture}");
        if let Some(file) = file {
            let (_, body) = file.contents.split_once('\n').expect("a stamp line");
            same_but_fixed_features(&original, body).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        }
        let lib = &g.files.iter().find(|f| f.path == "src/runtime/mod.rs").expect("runtime root").contents;
        let gate = if multipart { "#[cfg(not(any()))]\npub mod multipart;" } else { "#[cfg(any())]\npub mod multipart;" };
        assert!(lib.contains(gate), "{fixture}");
        let options = Options { runtime: RuntimeMode::dependency(Some("../runtime".into())), ..Options::default() };
        let g = codegen::generate(&root.join("tests/fixtures").join(fixture), &options).expect(fixture);
        let manifest = &g.files.iter().find(|f| f.path == "Cargo.toml").expect("manifest").contents;
        let table: toml::Table = toml::from_str(manifest).expect("manifest parses");
        let rt = table["dependencies"]["codegen-runtime"].as_table().expect("runtime dependency");
        let features: Vec<&str> = rt.get("features").and_then(|f| f.as_array()).map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
        assert_eq!(features.contains(&"multipart"), multipart, "{fixture}: {manifest}");
    }
}

#[test]
fn the_divergence_check_notices_an_edit() {
    let original = "#[cfg(feature = \"regex\")]\npub fn a() {}\n";
    assert!(same_but_fixed_features(original, "#[cfg(not(any()))]\npub fn a() {}\n").is_ok());
    assert!(same_but_fixed_features(original, "#[cfg(any())]\npub fn a() {}\n").is_ok());
    assert!(same_but_fixed_features(original, "#[cfg(not(any()))]\npub fn b() {}\n").is_err());
    assert!(same_but_fixed_features(original, "#[cfg(feature = \"schemars\")]\npub fn a() {}\n").is_err());
    assert!(same_but_fixed_features(original, "#[cfg(not(any()))]\npub fn a() {}\n\n").is_err());
}

#[test]
fn a_spec_without_patterns_gets_no_regex_engine() {
    let root = project_root();
    for (fixture, linear, backtracking) in [("security.yaml", false, false), ("keywords.yaml", true, false), ("patterns.yaml", true, true)] {
        let g = codegen::generate(&root.join("tests/fixtures").join(fixture), &Options::default()).expect(fixture);
        let manifest = &g.files.iter().find(|f| f.path == "Cargo.toml").expect("manifest").contents;
        let table: toml::Table = toml::from_str(manifest).expect("manifest parses");
        let deps = table["dependencies"].as_table().expect("dependencies");
        assert_eq!(deps.contains_key("regex"), linear, "{fixture}: {manifest}");
        assert_eq!(deps.contains_key("fancy-regex"), backtracking, "{fixture}: {manifest}");
        let pattern_file = g.files.iter().any(|f| f.path == "src/runtime/pattern.rs");
        assert_eq!(pattern_file, linear || backtracking, "{fixture}");
        // Dependency mode: the engines are the runtime's features, no direct dependency.
        let options = Options { runtime: RuntimeMode::dependency(Some("../runtime".into())), ..Options::default() };
        let g = codegen::generate(&root.join("tests/fixtures").join(fixture), &options).expect(fixture);
        assert!(!g.files.iter().any(|f| f.path.starts_with("src/runtime/")), "{fixture}: nothing embedded");
        let manifest = &g.files.iter().find(|f| f.path == "Cargo.toml").expect("manifest").contents;
        let table: toml::Table = toml::from_str(manifest).expect("manifest parses");
        let deps = table["dependencies"].as_table().expect("dependencies");
        assert!(!deps.contains_key("regex") && !deps.contains_key("fancy-regex"), "{fixture}: {manifest}");
        let rt = deps["codegen-runtime"].as_table().expect("runtime dependency");
        assert_eq!(rt["path"].as_str(), Some("../runtime"));
        let features: Vec<&str> = rt.get("features").and_then(|f| f.as_array()).map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
        assert_eq!(features.contains(&"regex"), linear, "{fixture}");
        assert_eq!(features.contains(&"fancy-regex"), backtracking, "{fixture}");
    }
}

#[test]
fn only_a_paginated_crate_gets_the_pagination_runtime() {
    let root = project_root();
    let client_feature = |fixture: &str, options: &Options| {
        let g = codegen::generate(&root.join("tests/fixtures").join(fixture), options).expect(fixture);
        let manifest = &g.files.iter().find(|f| f.path == "Cargo.toml").expect("manifest").contents;
        let table: toml::Table = toml::from_str(manifest).expect("manifest parses");
        let client: Vec<String> =
            table["features"]["client"].as_array().expect("client feature").iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        let paginate_file = g.files.iter().any(|f| f.path == "src/runtime/paginate.rs");
        (table["dependencies"].as_table().expect("dependencies").contains_key("futures-util"), client, paginate_file)
    };
    let (dep, client, file) = client_feature("pagination.yaml", &Options::default());
    assert!(dep && file && client.contains(&"dep:futures-util".to_string()), "{client:?}");
    let (dep, client, file) = client_feature("security.yaml", &Options::default());
    assert!(!dep && !file && !client.iter().any(|f| f.contains("futures") || f.contains("paginate")), "{client:?}");
    let dependency = Options { runtime: RuntimeMode::dependency(Some("../runtime".into())), ..Options::default() };
    let (dep, client, file) = client_feature("pagination.yaml", &dependency);
    assert!(!dep && !file && client.contains(&"codegen-runtime/paginate".to_string()), "{client:?}");
    let (_, client, _) = client_feature("security.yaml", &dependency);
    assert!(!client.iter().any(|f| f.contains("paginate")), "{client:?}");
}

/// Two crates generated in dependency mode and a third that uses both: a `Violation` found by
/// one crate's validator becomes a rejection of the other's server, and one crate's client error
/// type is the other's. This only compiles when the types are shared.
#[test]
fn two_generated_crates_share_one_runtime() {
    let root = project_root();
    let work = root.join("target/shared-runtime");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("scratch dir");
    let runtime_path = root.join("runtime").to_string_lossy().into_owned();
    for (stem, spec) in [("api-a", "spec/openapi.json"), ("api-b", "tests/fixtures/security.yaml")] {
        let options = Options { crate_name: Some(stem.into()), runtime: RuntimeMode::dependency(Some(runtime_path.clone())), ..Options::default() };
        let generated = codegen::generate(&root.join(spec), &options).unwrap_or_else(|e| panic!("{spec}: {e}"));
        scratch::write_files(&work.join(stem), &generated.files);
    }
    let user = work.join("user");
    std::fs::create_dir_all(user.join("src")).expect("user crate");
    std::fs::write(
        user.join("Cargo.toml"),
        "[package]\nname = \"user\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n\
         api-a = { path = \"../api-a\", features = [\"server\", \"client\", \"schemars\"] }\n\
         api-b = { path = \"../api-b\", features = [\"server\", \"client\", \"schemars\"] }\nserde_json = \"1\"\n",
    )
    .expect("user manifest");
    std::fs::write(
        user.join("src/main.rs"),
        r#"//! Passes one generated crate's runtime values to the other.
use api_a::Validate;

fn main() {
    // A's validator finds the violations; B's server turns them into its rejection.
    let violations: Vec<api_a::Violation> =
        api_a::types::V1RoomTokenPostRequest::validate(&serde_json::json!({"from_number": 5})).expect_err("invalid");
    let rejection: api_b::server::Rejection = api_b::server::Rejection::validation(violations.clone());
    assert_eq!(rejection.status().as_u16(), 400);
    let shared: &[api_b::Violation] = &violations;
    // One client error type for both.
    let error: api_b::client::ClientError<()> = api_a::client::ClientError::InvalidRequest { violations: shared.to_vec() };
    println!("{} | {} | {}", shared.len(), rejection.message(), error);
}
"#,
    )
    .expect("user main");
    scratch::workspace(&work, &["api-a".into(), "api-b".into(), "user".into()]);
    // Dependency-mode crates are as clean as embedded ones (every feature, the router smoke
    // tests included).
    let output = scratch::cargo(&work, &["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"], &[]);
    assert!(output.status.success(), "dependency-mode crates do not build cleanly:\n{}", String::from_utf8_lossy(&output.stderr));
    let output = scratch::cargo(&work, &["run", "--quiet", "-p", "user"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the shared-runtime build failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let (count, rest) = stdout.trim().split_once(" | ").expect("output");
    assert!(count.parse::<usize>().expect("a count") >= 2, "{stdout}");
    assert!(rest.contains("the request is invalid"), "{stdout}");
    let _ = std::fs::remove_dir_all(&work);
}
