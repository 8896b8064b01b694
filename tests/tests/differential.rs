//! Differential property tests: the generated validators (validation + conversion, as a request
//! goes through the server) against an independent implementation, the `jsonschema` crate, on
//! random instances for every named schema of the RevDesk spec and of the fixtures.
//!
//! Instances come from a schema-guided generator driven by proptest's deterministic RNG: mostly
//! near the schema (bounds plus and minus one, required members dropped, unknown members added,
//! enum values, ECMA-262 look-alike characters) and sometimes arbitrary JSON. One generated crate
//! per spec is built with a harness that reads the instances and writes its verdicts; the test
//! compares them with `jsonschema` and fails on every disagreement that is not a documented
//! deviation (see `tests::instances::deviation`).

use codegen::Options;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::Value;
use tests::instances::{Gen, Tally, alternatives, harness, normalise_30};
use tests::scratch;

/// The specs whose named schemas are compared, with whether they are OpenAPI 3.0 (whose Schema
/// Object is normalised to JSON Schema for `jsonschema`: `nullable`, boolean exclusive bounds,
/// `$ref` siblings).
const SPECS: &[&str] = &[
    "spec/openapi.json",
    "tests/fixtures/each_keyword.yaml",
    "tests/fixtures/keywords.yaml",
    "tests/fixtures/maps.yaml",
    "tests/fixtures/patterns.yaml",
    "tests/fixtures/nullable31.json",
    "tests/fixtures/formats.yaml",
    "tests/fixtures/unions.yaml",
    "tests/fixtures/nullable.yaml",
    "tests/fixtures/recursion.yaml",
    "tests/fixtures/fast_path.yaml",
];

/// Instances per schema.
const PER_SCHEMA: usize = 160;

fn options(krate: &str) -> Options {
    // `format` is an annotation for `jsonschema` (2020-12 default): plain formats here too.
    Options { crate_name: Some(krate.into()), server: false, client: false, plain_formats: true, ..Options::default() }
}

/// Schemas `jsonschema` cannot build, with the reason; their instances are not compared.
const UNBUILDABLE: &[(&str, &str)] =
    &[("tests/fixtures/patterns.yaml#/components/schemas/Names", "jsonschema rejects the ECMA-262 named backreference `\\k<word>` as not a regex")];

#[test]
fn generated_validators_agree_with_jsonschema() {
    let work = scratch::fresh_dir("differential");
    let mut members = Vec::new();
    let mut runs = Vec::new();
    let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut fast_readers = 0;
    for spec in SPECS {
        let (stem, docs) = scratch::load(spec);
        let krate = format!("diff_{stem}");
        let targets = scratch::named_schemas(&docs, &options(&krate));
        assert!(!targets.is_empty(), "{spec}: no named schemas");
        let generated = codegen::generate_loaded(&docs, &options(&krate.replace('_', "-"))).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let dir = work.join(&stem);
        scratch::write_files(&dir, &generated.files);
        let readers = scratch::fast_readers(&generated.files, &targets);
        fast_readers += readers.iter().flatten().count();
        let rows: Vec<_> = targets.iter().zip(&readers).map(|(t, r)| (krate.as_str(), t, r.as_deref())).collect();
        scratch::add_test(&dir, "diff", &harness(&rows), "serde = \"1\"\nserde_json = \"1\"\n");
        let mut reference_root = docs.root_value().clone();
        let openapi_30 = docs.root_value()["openapi"].as_str().is_some_and(|v| v.starts_with("3.0"));
        if openapi_30 {
            normalise_30(&mut reference_root, false);
        }
        let alternative_roots = alternatives(docs.root_value(), openapi_30);
        let mut generator = Gen::new(&mut rng, &reference_root);
        let mut cases: Vec<(usize, Value)> = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let schema = reference_root.pointer(&t.pointer).cloned().unwrap_or(Value::Bool(true));
            // Bodies with a fast path get more: both paths are compared on them.
            let n = if readers[i].is_some() { PER_SCHEMA * 5 } else { PER_SCHEMA };
            for _ in 0..n {
                cases.push((i, generator.instance(&schema, 0)));
            }
        }
        std::fs::write(dir.join("cases.json"), serde_json::to_string(&cases).expect("json")).expect("cases");
        members.push(stem.clone());
        runs.push((spec, stem, targets, reference_root, alternative_roots, cases));
    }
    scratch::workspace(&work, &members);
    let mut tally = Tally::default();
    for (spec, stem, targets, reference_root, alternative_roots, cases) in &runs {
        let dir = work.join(stem);
        let results_path = dir.join("results.json");
        let cases_path = dir.join("cases.json");
        let output = scratch::cargo(&dir, &["test", "--quiet", "--test", "diff"], &[("DIFF_CASES", &cases_path), ("DIFF_RESULTS", &results_path)]);
        assert!(output.status.success(), "{spec}: the generated crate does not build or run:\n{}", String::from_utf8_lossy(&output.stderr));
        let results: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&results_path).expect("results")).expect("json");
        tally.compare(spec, targets, reference_root, alternative_roots, cases, &results);
    }
    let Tally { total, valid, mismatches, unbuildable, fast_accepted, fast_declined_valid, fast_mismatches, .. } = &tally;
    let (total, valid, fast_accepted) = (*total, *valid, *fast_accepted);
    println!(
        "fast path: {fast_readers} readers, {fast_accepted} instances read on it, {fast_declined_valid} valid ones left to the full path, {} mismatches",
        fast_mismatches.len()
    );
    assert!(fast_mismatches.is_empty(), "the fast path disagrees with the full path:\n{}", fast_mismatches.join("\n"));
    assert!(fast_readers >= 3 && fast_accepted >= 100, "the fast path must be exercised: {fast_readers} readers, {fast_accepted} reads");
    println!("differential: {total} instances, {valid} valid per jsonschema, {} disagreements, {} documented", mismatches.len(), tally.documented_count());
    tally.print_deviations();
    let expected: Vec<&str> = UNBUILDABLE.iter().map(|(at, _)| *at).collect();
    assert_eq!(*unbuildable, expected, "the schemas jsonschema cannot build are documented in UNBUILDABLE");
    assert!(total >= 3000, "several thousand instances: {total}");
    assert!(valid * 5 >= total && valid * 5 <= total * 4, "instances must mix valid and invalid: {valid} of {total} valid");
    assert!(
        mismatches.is_empty(),
        "{} disagreements with jsonschema:\n{}",
        mismatches.len(),
        mismatches.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
