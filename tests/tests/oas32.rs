//! OpenAPI 3.2 input: the 3.2 fixture generates with no diagnostic that weakens the output (its
//! behaviour is tested over a socket by `fixtures_compile`, see `tests/fixtures/oas32.rs`), and
//! `$self` sets the base URI that relative references of a multi-file spec resolve against.

use codegen::{Diagnostic, Options, Policy, Severity};

fn root() -> std::path::PathBuf {
    xtask::project_root().join("tests/fixtures")
}

fn generate(path: &std::path::Path) -> codegen::Generated {
    codegen::Builder::new().spec(path).options(Options::default()).generate().unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn file<'g>(g: &'g codegen::Generated, path: &str) -> &'g str {
    &g.files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} generated")).contents
}

/// A diagnostic saying that something of the spec is weaker in the output: not enforced, not
/// typed, skipped or not generated.
fn weakens(d: &Diagnostic) -> bool {
    let m = d.message.to_ascii_lowercase();
    d.severity != Severity::Info
        || matches!(d.policy, Policy::Skipped | Policy::NotEnforced | Policy::FellBackToValue | Policy::Refused)
        || ["not enforced", "not typed", "skipped", "not generated", "not supported", "ignored"].iter().any(|w| m.contains(w))
}

#[test]
fn the_3_2_fixture_generates_without_a_diagnostic_that_weakens_it() {
    let g = generate(&root().join("oas32.yaml"));
    let weak: Vec<String> = g.diagnostics.iter().filter(|d| weakens(d)).map(ToString::to_string).collect();
    assert!(weak.is_empty(), "{weak:#?}");
    // And the 3.2 constructs are there, so a silent drop would show.
    let ops = file(&g, "src/ops.rs");
    let squeezed: String = ops.split_whitespace().collect();
    for wanted in [r#""search_pets","QUERY","/pets/search""#, r#""purge_pet","PURGE""#, r#""link_pet","LINK""#, "f::QUERY|f::QUERYSTRING|f::FORM"] {
        assert!(squeezed.contains(wanted), "{wanted} missing from ops.rs:\n{ops}");
    }
    let types = file(&g, "src/types.rs");
    // The body of QUERY came through `components/mediaTypes/PetQuery`; the default mapping is in
    // the union's decoding.
    assert!(types.contains("pub struct PetQuery") && types.contains("pub filter: Option<crate::types::PetFilter>"), "{types}");
    assert!(g.diagnostics.iter().all(|d| !d.message.contains("3.1 rules")), "3.2 is read as 3.2: {:?}", g.diagnostics);
}

#[test]
fn the_3_2_streams_fixture_generates_without_a_diagnostic_that_weakens_it() {
    // The other 3.2 fixture: typed SSE and JSON sequences from `itemSchema`.
    let g = generate(&root().join("streams.yaml"));
    let weak: Vec<String> = g.diagnostics.iter().filter(|d| weakens(d)).map(ToString::to_string).collect();
    assert!(weak.is_empty(), "{weak:#?}");
    let server = file(&g, "src/server.rs");
    assert!(server.contains("EventStream<") && server.contains("JsonStream<"), "the streams are typed:\n{server}");
}

#[test]
fn the_weakening_check_would_catch_a_skipped_construct() {
    // The same check on a 3.2 document with a bad method token and an unsupported querystring.
    let spec = r#"{"openapi": "3.2.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {
        "additionalOperations": {"BAD METHOD": {"responses": {"200": {"description": "ok"}}}},
        "get": {"parameters": [{"name": "q", "in": "querystring", "content": {"text/csv": {}}}], "responses": {"200": {"description": "ok"}}}}}}"#;
    let g = codegen::generate_str("openapi.json", spec, &Options::default()).expect("generates");
    assert_eq!(g.diagnostics.iter().filter(|d| weakens(d)).count(), 2, "{:#?}", g.diagnostics);
}

#[test]
fn self_is_the_base_uri_of_relative_references_across_files() {
    let g = generate(&root().join("oas32_self/openapi.yaml"));
    assert!(g.diagnostics.is_empty(), "{:#?}", g.diagnostics);
    let types = file(&g, "src/types.rs");
    // `schemas/pet.yaml` (relative to `$self`), `owner.yaml` from inside it, the absolute URI beside
    // `$self` and the document's own URI with a fragment all resolve to the files they name.
    for wanted in ["pub name: String", "pub owner_name: String", "pub local: Option<bool>"] {
        assert!(types.contains(wanted), "{wanted} missing:\n{types}");
    }
    // A relative `$self` moves the base: `pet.yaml` is `v2/pet.yaml`, not the `pet.yaml` beside.
    let g = generate(&root().join("oas32_self/relative.yaml"));
    assert!(g.diagnostics.is_empty(), "{:#?}", g.diagnostics);
    let types = file(&g, "src/types.rs");
    assert!(types.contains("pub v2_name: String") && !types.contains("wrong_file"), "{types}");
}

#[test]
fn without_self_the_same_references_resolve_from_the_file() {
    // Control: the relative document without `$self` reads the `pet.yaml` beside it.
    let text = std::fs::read_to_string(root().join("oas32_self/relative.yaml")).expect("fixture").replace("$self: v2/openapi.yaml", "");
    let dir = std::env::temp_dir().join(format!("oas32-self-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    std::fs::write(dir.join("relative.yaml"), text).expect("write");
    std::fs::copy(root().join("oas32_self/pet.yaml"), dir.join("pet.yaml")).expect("copy");
    let g = generate(&dir.join("relative.yaml"));
    let types = file(&g, "src/types.rs").to_string();
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert!(types.contains("wrong_file") && !types.contains("v2_name"), "{types}");
}
