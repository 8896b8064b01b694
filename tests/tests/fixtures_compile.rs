//! Goldens must compile: every fixture's generated crate is built (server and client) in one
//! scratch workspace, with clippy and warnings denied, so no spec text can break the output.

use codegen::Options;
use tests::scratch;
use xtask::project_root;

/// `FIXTURES_ONLY=a,b` limits a local run to those fixtures (by file stem); the full list of
/// behaviour tests is then not required. Unset (as in CI), every fixture is built and tested.
fn only() -> Option<Vec<String>> {
    std::env::var("FIXTURES_ONLY").ok().filter(|v| !v.trim().is_empty()).map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
}

fn fixtures() -> Vec<std::path::PathBuf> {
    let only = only();
    let mut out: Vec<_> = std::fs::read_dir(project_root().join("tests/fixtures"))
        .expect("fixtures folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "yaml"))
        .filter(|p| only.as_ref().is_none_or(|only| p.file_stem().and_then(|s| s.to_str()).is_some_and(|stem| only.iter().any(|o| o == stem))))
        .collect();
    out.sort();
    out
}

#[test]
fn fixture_crates_compile_without_warnings() {
    let root = project_root();
    let work = root.join("target/fixture-crates");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("scratch dir");
    let mut members = Vec::new();
    for spec in fixtures() {
        let stem = spec.file_stem().and_then(|s| s.to_str()).expect("name").replace('.', "-");
        let options = Options { crate_name: Some(format!("fixture-{stem}")), ..Options::default() };
        // Through the builder, so a fixture's `<stem>.codegen.toml` configures it.
        let generated = codegen::Builder::new().spec(&spec).options(options).generate().unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        scratch::write_files(&work.join(&stem), &generated.files);
        // A fixture may come with behaviour tests (`<name>.rs` beside it), run inside its crate.
        let behaviour = spec.with_extension("rs");
        if behaviour.exists() {
            // (A crate without a server has no `tests/` folder of its own.)
            std::fs::create_dir_all(work.join(&stem).join("tests")).expect("tests folder");
            std::fs::copy(&behaviour, work.join(&stem).join("tests/behaviour.rs")).expect("copy behaviour test");
            let manifest = work.join(&stem).join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest).expect("manifest");
            std::fs::write(&manifest, format!("{text}\n[dev-dependencies]\nserde_json = \"1\"\ntokio = {{ version = \"1\", features = [\"macros\", \"rt\", \"net\"] }}\naxum = {{ version = \"0.8\", default-features = false, features = [\"http1\", \"tokio\"] }}\nreqwest = {{ version = \"0.13\", default-features = false, features = [\"json\"] }}\nserde = \"1\"\ntower = {{ version = \"0.5\", features = [\"util\"] }}\n")).expect("dev-dependency");
        }
        members.push(stem);
    }
    if only().is_some() {
        eprintln!("FIXTURES_ONLY is set: built and tested only {members:?}");
    } else {
        assert!(members.len() >= 5, "fixtures found: {members:?}");
    }
    scratch::workspace(&work, &members);
    let output =
        scratch::cargo(&work, &["clippy", "--workspace", "--all-targets", "--features", "server,client,schemars", "--quiet", "--", "-D", "warnings"], &[]);
    assert!(output.status.success(), "generated fixture crates do not build cleanly:\n{}", String::from_utf8_lossy(&output.stderr));
    let output = scratch::cargo(&work, &["test", "--workspace", "--features", "server,client"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "fixture behaviour tests failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let expected: &[&str] = if only().is_some() { &[] } else { &EXPECTED };
    for test in expected {
        assert!(stdout.contains(&format!("{test} ... ok")), "{test} did not run:\n{stdout}");
    }
}

/// Behaviour tests that must have run (and passed) in a full run.
const EXPECTED: [&str; 36] = [
    "discriminator_and_validation_pick_the_variant",
    "awkward_paths_are_routed",
    "bad_formats_are_violations_with_paths",
    "styles_round_trip_between_client_and_server",
    "raw_requests_in_each_style_are_read_and_validated",
    "every_media_type_is_read_by_its_content_type",
    "form_bodies_nest_and_coerce",
    "extras_survive_a_round_trip",
    "headers_round_trip",
    "pathological_values_are_answered_quickly",
    "ecma_meanings_are_kept",
    "scalar_keywords",
    "array_keywords",
    "object_keywords",
    "applicator_keywords",
    "the_fast_path_declines_what_serde_alone_would_accept",
    "the_server_answers_the_same_on_either_path",
    "random_hostile_requests_get_documented_answers",
    "user_types_round_trip_and_validators_still_check_the_schema",
    "derives_and_attributes_are_on_the_types",
    "renamed_items_keep_their_wire_names",
    "renamed_operations_are_the_method_names",
    "only_the_included_operations_are_routed",
    "the_package_version_is_the_configured_one",
    "unknown_members_are_denied_where_the_schema_is_silent",
    "unknown_enum_values_fail_to_decode",
    "response_types_refuse_unknown_members",
    "unlisted_values_are_kept",
    "formats_are_asserted_and_lookaround_patterns_still_checked",
    "formats_stay_strings",
    "types_convert_without_validators",
    "validators_check_values_without_types",
    "absent_parameters_get_their_defaults_and_given_ones_are_kept",
    "absent_body_properties_get_their_defaults_and_given_ones_are_kept",
    "a_response_without_defaulted_members_decodes_with_the_defaults",
    "the_client_leaves_what_it_was_not_given_off_the_wire",
];
