//! Conformance runner: the official JSON Schema Test Suite (draft7, draft2020-12) through the
//! generated validators and types. Every group whose schema the generator supports without an
//! error or a "not enforced" diagnostic is in scope; every case of an in-scope group goes through
//! parse + validation + conversion into the generated type, and the outcome must equal `valid`.
//! Prints a table per keyword file, the reason for each group out of scope, and one summary line
//! per draft: `suite draft7: N cases, N in scope, N passed, N failed`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use codegen::load::Documents;
use codegen::{Options, Policy, Severity, naming};
use serde_json::{Value, json};
use tests::scratch;
use xtask::project_root;

const DRAFTS: &[(&str, &str)] = &[("draft7", "d7"), ("draft2020-12", "d2020")];

struct Group {
    file: String,
    description: String,
    component: String,
    schema_file: String,
    schema: Value,
    tests: Vec<(String, Value, bool)>,
    out_of_scope: Option<String>,
}

fn load_groups(dir: &Path, draft: &str, tag: &str) -> Vec<Group> {
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("suite folder").flatten().map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let mut out = Vec::new();
    for (fi, path) in files.iter().enumerate() {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let groups: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).expect("suite file")).expect("suite json");
        for (gi, g) in groups.into_iter().enumerate() {
            let mut schema = g["schema"].clone();
            if draft == "draft7" {
                if let Value::Object(map) = &mut schema {
                    map.entry("$schema").or_insert(json!("http://json-schema.org/draft-07/schema#"));
                }
            }
            let tests = g["tests"]
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .map(|t| (t["description"].as_str().unwrap_or_default().to_string(), t["data"].clone(), t["valid"].as_bool().unwrap_or(false)))
                        .collect()
                })
                .unwrap_or_default();
            let component = format!("S{tag}F{fi:02}G{gi:03}");
            out.push(Group {
                file: stem.clone(),
                description: g["description"].as_str().unwrap_or_default().to_string(),
                schema_file: format!("{}.json", component.to_ascii_lowercase()),
                component,
                schema,
                tests,
                out_of_scope: None,
            });
        }
    }
    out
}

fn documents(groups: &[&Group]) -> Documents {
    let mut schemas = serde_json::Map::new();
    let mut docs = BTreeMap::new();
    for g in groups {
        schemas.insert(g.component.clone(), json!({"$ref": g.schema_file}));
        docs.insert(g.schema_file.clone(), g.schema.clone());
    }
    let root = json!({"openapi": "3.1.0", "info": {"title": "suite", "version": "1.0.0"}, "components": {"schemas": schemas}});
    docs.insert("openapi.json".to_string(), root);
    Documents::from_map("openapi.json", docs)
}

fn suite_root() -> std::path::PathBuf {
    project_root().join("../shared/corpus/json-schema-test-suite")
}

fn options(crate_name: &str) -> Options {
    Options {
        crate_name: Some(crate_name.to_string()),
        server: false,
        client: false,
        spec_label: "JSON Schema Test Suite".into(),
        command: "cargo test -p tests --test json_schema_suite".into(),
        // The suite reads `format` as an annotation.
        plain_formats: true,
        // The suite's remote documents, read from its `remotes` folder: nothing is fetched.
        uri_map: vec![("http://localhost:1234/".into(), suite_root().join("remotes"))],
        ..Options::default()
    }
}

/// Decides scope from the generator's own diagnostics: any error, "not enforced" keyword or schema degraded to any value puts
/// the group out of scope, with that diagnostic as the reason.
fn classify(group: &mut Group) {
    let diags = codegen::diagnose(&documents(&[group]), &options("probe"));
    // A schema degraded to any value (a reference that leads nowhere, a remote one) is out of
    // scope too; a default that does not fit is only documentation and keeps the group in.
    if let Some(d) =
        diags.iter().find(|d| d.severity == Severity::Error || d.policy == Policy::NotEnforced || (d.leniency && d.policy == Policy::FellBackToValue))
    {
        group.out_of_scope = Some(d.message.clone());
    }
}

/// The harness run inside each generated crate: every case through validation and conversion.
fn harness(krate: &str, groups: &[&Group]) -> String {
    let mut table = String::new();
    for g in groups {
        let ty = naming::type_name(&[g.component.as_str()]);
        let validator = format!("validate_{}", naming::snake(&ty));
        let _ = writeln!(table, "    ({:?}, |v| check::<{krate}::types::{ty}>(v, {krate}::validate::{validator})),", g.component);
    }
    format!(
        r#"//! Runs the suite cases named in SUITE_CASES and writes the outcomes to SUITE_RESULTS.
use serde_json::Value;

type Validator = fn(&Value, &mut {krate}::runtime::InstancePath, &mut Vec<{krate}::runtime::Violation>);

fn check<T: serde::de::DeserializeOwned>(v: &Value, f: Validator) -> Result<bool, String> {{
    if !{krate}::runtime::is_valid(v, f) {{
        return Ok(false);
    }}
    {krate}::runtime::convert::<T>(v.clone()).map(|_| true).map_err(|e| format!("valid, but does not convert: {{e}}"))
}}

#[allow(clippy::type_complexity)]
static TABLE: &[(&str, fn(&Value) -> Result<bool, String>)] = &[
{table}];

#[test]
fn run() {{
    let cases: Vec<(String, Value)> = serde_json::from_str(&std::fs::read_to_string(std::env::var("SUITE_CASES").expect("SUITE_CASES")).expect("cases")).expect("json");
    let results: Vec<Value> = cases
        .iter()
        .map(|(group, data)| match TABLE.iter().find(|(g, _)| g == group) {{
            Some((_, f)) => match f(data) {{
                Ok(valid) => serde_json::json!({{"valid": valid}}),
                Err(e) => serde_json::json!({{"valid": false, "error": e}}),
            }},
            None => serde_json::json!({{"valid": null, "error": "group missing"}}),
        }})
        .collect();
    std::fs::write(std::env::var("SUITE_RESULTS").expect("SUITE_RESULTS"), serde_json::to_string(&results).expect("json")).expect("results");
}}
"#
    )
}

#[test]
fn json_schema_test_suite() {
    let suite = suite_root();
    if !suite.is_dir() {
        println!("skipped: {} is absent (the suite lives in ../shared)", suite.display());
        return;
    }
    let work = project_root().join("target/suite");
    let _ = std::fs::remove_dir_all(&work);
    let mut all: Vec<(String, Vec<Group>)> = Vec::new();
    let mut members = Vec::new();
    for (draft, tag) in DRAFTS {
        let mut groups = load_groups(&suite.join(draft), draft, tag);
        groups.iter_mut().for_each(classify);
        let in_scope: Vec<&Group> = groups.iter().filter(|g| g.out_of_scope.is_none()).collect();
        let krate = format!("suite_{tag}");
        let generated = codegen::generate_loaded(&documents(&in_scope), &options(&krate.replace('_', "-")))
            .unwrap_or_else(|e| panic!("{draft}: the in-scope groups do not generate: {e:?}"));
        let dir = work.join(draft);
        scratch::write_files(&dir, &generated.files);
        scratch::add_test(&dir, "suite", &harness(&krate, &in_scope), "serde = \"1\"\nserde_json = \"1\"\n");
        let cases: Vec<(String, Value)> = in_scope.iter().flat_map(|g| g.tests.iter().map(|(_, data, _)| (g.component.clone(), data.clone()))).collect();
        std::fs::write(dir.join("cases.json"), serde_json::to_string(&cases).expect("json")).expect("cases");
        members.push(draft.to_string());
        all.push((draft.to_string(), groups));
    }
    scratch::workspace(&work, &members);
    // The generated crates themselves must be free of rustc and clippy warnings.
    let lint = scratch::cargo(&work, &["clippy", "--workspace", "--quiet", "--", "-D", "warnings"], &[]);
    assert!(lint.status.success(), "the generated suite crates have warnings:\n{}", String::from_utf8_lossy(&lint.stderr));
    let mut summary = Vec::new();
    let mut failures = Vec::new();
    for (draft, groups) in &all {
        let dir = work.join(draft);
        let results_path = dir.join("results.json");
        let cases_path = dir.join("cases.json");
        let output = scratch::cargo(&dir, &["test", "--quiet", "--test", "suite"], &[("SUITE_CASES", &cases_path), ("SUITE_RESULTS", &results_path)]);
        assert!(output.status.success(), "{draft}: the generated suite crate does not build or run:\n{}", String::from_utf8_lossy(&output.stderr));
        let results: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&results_path).expect("results")).expect("json");
        let mut outcomes = results.into_iter();
        // Per keyword file: groups in scope / all, cases passed / failed.
        let mut per_file: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
        let (mut cases, mut in_scope, mut passed, mut failed) = (0, 0, 0, 0);
        println!("\n{draft}: {:<28} {:>9} {:>8} {:>6}", "file", "groups", "passed", "failed");
        for g in groups {
            cases += g.tests.len();
            let row = per_file.entry(&g.file).or_default();
            row.1 += 1;
            if g.out_of_scope.is_some() {
                continue;
            }
            row.0 += 1;
            for (description, data, valid) in &g.tests {
                in_scope += 1;
                let outcome = outcomes.next().unwrap_or(Value::Null);
                if outcome["valid"].as_bool() == Some(*valid) {
                    passed += 1;
                    row.2 += 1;
                } else {
                    failed += 1;
                    row.3 += 1;
                    failures.push(format!("{draft}/{}: {} / {description}: data {data} expected valid={valid}, got {}", g.file, g.description, outcome));
                }
            }
        }
        for (file, (scoped, total, ok, bad)) in &per_file {
            println!("{draft}: {file:<28} {:>9} {ok:>8} {bad:>6}", format!("{scoped}/{total}"));
        }
        println!("{draft}: out of scope:");
        for g in groups.iter().filter(|g| g.out_of_scope.is_some()) {
            println!("  {}: {}: {}", g.file, g.description, g.out_of_scope.as_deref().unwrap_or_default());
        }
        summary.push(format!("suite {draft}: {cases} cases, {in_scope} in scope, {passed} passed, {failed} failed"));
    }
    println!();
    for line in &summary {
        println!("{line}");
    }
    assert!(failures.is_empty(), "{} in-scope mismatches:\n{}", failures.len(), failures.join("\n"));
}
