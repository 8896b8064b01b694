//! Diagnostics people can act on: `file:line:column`, the JSON pointer, and the source line with a caret, for JSON, YAML and a file reached through `$ref`.

use codegen::{Diagnostic, Options, Severity};

fn fixture(name: &str) -> std::path::PathBuf {
    xtask::project_root().join("tests/fixtures/diagnostics").join(name)
}

fn diagnostics(name: &str) -> Vec<Diagnostic> {
    match codegen::generate(&fixture(name), &Options::default()) {
        Ok(g) => g.diagnostics,
        Err(codegen::GenerateError::Spec(d)) => d,
        Err(e) => panic!("{name}: {e}"),
    }
}

/// The rendered diagnostics of `file` (relative to the spec's folder), as the xtask prints them.
fn rendered(diags: &[Diagnostic], file: &str) -> String {
    let shown: Vec<String> = diags.iter().filter(|d| d.location.file == file).map(|d| d.render(Some("tests/fixtures/diagnostics"), false)).collect();
    assert!(!shown.is_empty(), "{file} has diagnostics");
    shown.join("\n\n")
}

#[test]
fn json_spec_renders_with_line_column_and_caret() {
    insta::assert_snapshot!(rendered(&diagnostics("pets.json"), "pets.json"));
}

#[test]
fn yaml_spec_renders_with_line_column_and_caret() {
    insta::assert_snapshot!(rendered(&diagnostics("pets.yaml"), "pets.yaml"));
}

#[test]
fn a_file_reached_through_ref_gets_its_own_lines() {
    insta::assert_snapshot!(rendered(&diagnostics("pets.json"), "shared/common.yaml"));
}

/// Every span, read back from the file's text, is what the pointer names: the scalar there (its
/// source text parses to the same value) or, for a collection, the member's key.
#[test]
fn every_span_covers_what_its_pointer_names() {
    let mut checked = 0;
    for spec in ["pets.json", "pets.yaml"] {
        for d in diagnostics(spec) {
            let span = d.span.unwrap_or_else(|| panic!("{d} has a span"));
            let text = std::fs::read_to_string(fixture(&d.location.file)).expect("fixture");
            let doc = codegen::load::parse_text(&d.location.file, &text).expect("parses");
            assert_eq!(span.line, span.end_line, "{d}");
            let line = text.lines().nth(span.line - 1).expect("line");
            let covered: String = line.chars().skip(span.column - 1).take(span.end_column - span.column).collect();
            let excerpt = d.excerpt.as_ref().expect("excerpt");
            assert_eq!((excerpt.text.as_str(), excerpt.first_column), (line, 1), "{d}");
            let value = doc.pointer(&d.location.pointer).unwrap_or_else(|| panic!("{d}: the pointer exists"));
            if value.is_object() || value.is_array() {
                let key = d.location.segments().last().unwrap_or_default();
                assert_eq!(covered.trim_matches(|c| c == '"' || c == '\''), key, "{d}");
            } else {
                let read = codegen::load::parse_text("span.yaml", &covered).unwrap_or_else(|e| panic!("{d}: `{covered}`: {e}"));
                assert_eq!(&read, value, "{d}: `{covered}`");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}

/// A spec given as a string (`generate_str`) is located the same way as the file.
#[test]
fn string_input_gets_the_same_positions() {
    let text = std::fs::read_to_string(fixture("pets.yaml")).expect("fixture");
    let from_str = match codegen::generate_str("pets.yaml", &text, &Options::default()) {
        Ok(g) => g.diagnostics,
        Err(e) => panic!("{e}"),
    };
    let from_file = diagnostics("pets.yaml");
    assert_eq!(from_str, from_file);
    assert!(from_str.iter().all(|d| d.span.is_some()));
    // The one-line form leads with `file:line:column`.
    let d = &from_str[0];
    let span = d.span.expect("span");
    assert!(d.to_string().starts_with(&format!("pets.yaml:{}:{}: warning: ", span.line, span.column)), "{d}");
}

/// A document that does not parse is located where the parser stopped (JSON and YAML).
#[test]
fn parse_errors_point_where_the_parser_stopped() {
    for (name, text, line) in [
        ("bad.json", "{\n  \"openapi\": \"3.1.0\",\n  \"info\": {\"title\": x}\n}\n", 3),
        ("bad.yaml", "openapi: 3.1.0\ninfo: {title: x, version: \"1\"\npaths: {}\n", 3),
    ] {
        let Err(codegen::GenerateError::Spec(diags)) = codegen::generate_str(name, text, &Options::default()) else { panic!("{name} is refused") };
        let d = diags.iter().find(|d| d.severity == Severity::Error).expect("an error");
        assert_eq!(d.span.map(|s| s.line), Some(line), "{d}");
        let shown = d.render(None, false);
        assert!(shown.contains(&format!("--> {name}:{line}:")), "{shown}");
        assert!(shown.contains(format!("{line} | {}", text.lines().nth(line - 1).unwrap_or_default()).trim_end()), "{shown}");
    }
}

/// A spec held only as a value has no text: no span, and the rendering still names the pointer.
#[test]
fn values_without_text_have_no_span() {
    let spec = serde_json::json!({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}, "components": {"schemas": {"A": {"type": "text"}}}});
    let docs = codegen::load::Documents::from_value("spec.json", spec);
    let diags = codegen::diagnose(&docs, &Options::default());
    let d = diags.iter().find(|d| d.location.pointer == "/components/schemas/A/type").expect("unknown type");
    assert_eq!((d.span, &d.excerpt), (None, &None));
    assert_eq!(d.render(None, false), format!("warning: {}\n --> spec.json (#/components/schemas/A/type)", d.headline()));
}

/// A `default` that breaks its schema is a located warning (a spec flaw: an error with
/// `--strict`) and is not applied: the server's resolved types keep it optional, and neither the
/// descriptor nor `types` carries it.
#[test]
fn an_invalid_default_is_a_located_warning_and_is_not_applied() {
    let spec = xtask::project_root().join("tests/fixtures/defaults.yaml");
    let generated = codegen::generate(&spec, &Options::default()).expect("generates");
    let mut found: Vec<(String, usize, String)> = generated
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| (d.location.pointer.clone(), d.span.map_or(0, |s| s.line), d.message.clone()))
        .collect();
    found.sort();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("/components/schemas/ItemPatch/properties/size/default", 93));
    assert!(found[0].2.contains("`minimum`") && found[0].2.contains("not applied"), "{}", found[0].2);
    assert_eq!((found[1].0.as_str(), found[1].1), ("/paths/~1items/get/parameters/4/schema/default", 26));
    assert!(found[1].2.contains("`maximum`") && found[1].2.contains("not applied"), "{}", found[1].2);
    let file = |name: &str| generated.files.iter().find(|f| f.path == name).map(|f| f.contents.clone()).expect(name);
    let (ops, server, types) = (file("src/ops.rs"), file("src/server.rs"), file("src/types.rs"));
    // The valid defaults are applied...
    assert!(ops.contains(".or(\"20\")") && server.contains("pub limit: i64,") && server.contains("pub priority: i64,"), "{server}");
    // ...the invalid ones are not.
    assert!(!ops.contains(".or(\"50\")") && server.contains("pub page: Option<i64>,") && server.contains("pub size: Option<i64>,"), "{server}");
    assert!(!types.contains("parse(\"0\")") && !types.contains("Default: `0`"), "{types}");
    let strict = codegen::generate(&spec, &Options { strict: true, ..Options::default() });
    match strict {
        Err(codegen::GenerateError::Spec(d)) => assert_eq!(d.iter().filter(|d| d.severity == Severity::Error).count(), 2, "{d:?}"),
        other => panic!("--strict must refuse the invalid defaults: {:?}", other.map(|g| g.diagnostics)),
    }
}
