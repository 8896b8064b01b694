//! `Options::spec_root` (`--spec-root`): the folder that confines file references can be wider
//! than the root document's own folder, and nothing outside it is ever read.

use codegen::{GenerateError, Options, Severity};

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

const ROOT: &str = "openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '../schemas/common.yaml#/components/schemas/Pet'}
";

const COMMON: &str = "components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
";

fn errors(result: Result<codegen::Generated, GenerateError>) -> Vec<String> {
    match result {
        Ok(_) => Vec::new(),
        Err(GenerateError::Spec(d)) => d.iter().filter(|d| d.severity == Severity::Error).map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
    }
}

/// The leniency warnings of a generation that succeeded (a reference out of reach degrades only
/// its schema).
fn flaws(result: Result<codegen::Generated, GenerateError>) -> Vec<String> {
    match result {
        Ok(g) => g.diagnostics.iter().filter(|d| d.leniency).map(ToString::to_string).collect(),
        Err(e) => panic!("generation fails: {e}"),
    }
}

#[test]
fn a_root_in_a_sub_folder_reaches_sibling_folders_inside_the_spec_root() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec_dir = tmp.path().join("spec");
    write(&spec_dir, "namespaces/core.yaml", ROOT);
    write(&spec_dir, "schemas/common.yaml", COMMON);
    let root = spec_dir.join("namespaces/core.yaml");

    // Confined to its own folder, the sibling folder is out of reach: that schema degrades,
    // with a warning that names `--spec-root`.
    let confined = flaws(codegen::generate(&root, &Options::default()));
    assert!(confined.iter().any(|e| e.contains("leaves the spec's folder tree") && e.contains("--spec-root")), "{confined:?}");

    let wide = Options { spec_root: Some(spec_dir.clone()), ..Options::default() };
    let generated = codegen::generate(&root, &wide).expect("generates within the spec root");
    let types = generated.files.iter().find(|f| f.path == "src/types.rs").expect("types.rs");
    assert!(types.contents.contains("pub struct Pet"), "the sibling file's schema is a type");
}

#[test]
fn nothing_outside_the_spec_root_is_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec_dir = tmp.path().join("spec");
    write(&spec_dir, "namespaces/core.yaml", &ROOT.replace("../schemas/common.yaml", "../../outside/common.yaml"));
    write(tmp.path(), "outside/common.yaml", COMMON);
    let wide = Options { spec_root: Some(spec_dir.clone()), ..Options::default() };
    let warned = flaws(codegen::generate(&spec_dir.join("namespaces/core.yaml"), &wide));
    assert!(warned.iter().any(|e| e.contains("leaves the spec's folder tree")), "{warned:?}");
    let strict = errors(codegen::generate(&spec_dir.join("namespaces/core.yaml"), &Options { strict: true, ..wide.clone() }));
    assert!(strict.iter().any(|e| e.contains("leaves the spec's folder tree")), "an error with --strict: {strict:?}");

    // A spec root that does not contain the spec is a located error.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).expect("mkdir");
    let errs = errors(codegen::generate(&spec_dir.join("namespaces/core.yaml"), &Options { spec_root: Some(other), ..Options::default() }));
    assert!(errs.iter().any(|e| e.contains("does not contain the spec")), "{errs:?}");
}
