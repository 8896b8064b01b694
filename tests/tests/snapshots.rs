//! Snapshot tests: one small fixture spec per construct, generated output pinned with insta.

use codegen::{GenerateError, Options};

#[test]
fn fixtures() {
    insta::glob!("../fixtures", "*.{json,yaml}", |path| {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let options = Options { spec_label: format!("tests/fixtures/{name}"), ..Options::default() };
        let mut out = String::new();
        // Through the builder, as a user's build script would: a fixture's `<stem>.codegen.toml`
        // configures it.
        let generated = codegen::Builder::new().spec(path).options(options).generate().map_err(|e| match e {
            codegen::builder::BuildError::Generate(e) => e,
            e => panic!("{name}: {e}"),
        });
        match generated {
            Ok(g) => {
                out.push_str("# diagnostics\n");
                for d in &g.diagnostics {
                    out.push_str(&format!("{d}\n"));
                }
                for f in &g.files {
                    // The embedded runtime is the runtime crate's source (tests/tests/runtime.rs
                    // pins that); which of its files a crate gets is part of the snapshot.
                    if f.path.starts_with("src/runtime/") {
                        out.push_str(&format!("\n# {} (the runtime crate's file)\n", f.path));
                        continue;
                    }
                    out.push_str(&format!("\n# {}\n{}", f.path, f.contents));
                }
            }
            Err(GenerateError::Spec(diags)) => {
                out.push_str("# refused\n");
                for d in &diags {
                    out.push_str(&format!("{d}\n"));
                }
            }
            Err(e) => panic!("{name}: {e}"),
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn generation_is_deterministic() {
    insta::glob!("../fixtures", "*.{json,yaml}", |path| {
        let a = codegen::generate(path, &Options::default()).map(|g| g.files);
        let b = codegen::generate(path, &Options::default()).map(|g| g.files);
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            _ => panic!("{} generated once and failed once", path.display()),
        }
    });
}

#[test]
fn refused_specs_get_located_errors_and_no_files() {
    insta::glob!("../fixtures/refused", "**/*.{json,yaml}", |path| {
        // Only roots: files that declare a version (the others are parts of a multi-file spec).
        let text = std::fs::read_to_string(path).expect("fixture");
        if !text.contains("openapi") && !text.contains("swagger") {
            return;
        }
        match codegen::generate(path, &Options::default()) {
            Ok(g) => panic!("{} should be refused; produced {} files", path.display(), g.files.len()),
            Err(GenerateError::Spec(diags)) => {
                assert!(diags.iter().any(|d| d.severity == codegen::Severity::Error));
                for d in &diags {
                    assert!(!d.location.file.is_empty(), "{d} has no file");
                }
                // As the xtask prints them: the source line with a caret where the text is known.
                let text: Vec<String> = diags.iter().map(|d| d.render(None, false)).collect();
                insta::assert_snapshot!(text.join("\n\n"));
            }
            Err(e) => panic!("{e}"),
        }
    });
}

/// Every `lenient_*` fixture generates (each flaw costs only its corner, with a located leniency
/// warning), and under `strict` the same flaws are errors at the same places and nothing is made.
#[test]
fn lenient_fixtures_generate_and_strict_refuses_them() {
    let mut seen = 0;
    for entry in std::fs::read_dir(xtask::project_root().join("tests/fixtures")).expect("fixtures").flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if !name.starts_with("lenient_") || !(name.ends_with(".yaml") || name.ends_with(".json")) {
            continue;
        }
        seen += 1;
        let generated = codegen::generate(&path, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lenient: Vec<_> = generated.diagnostics.iter().filter(|d| d.leniency).map(|d| d.location.clone()).collect();
        assert!(!lenient.is_empty(), "{name} shows at least one flaw");
        assert!(generated.diagnostics.iter().filter(|d| d.leniency).all(|d| d.severity == codegen::Severity::Warning));
        match codegen::generate(&path, &Options { strict: true, ..Options::default() }) {
            Ok(_) => panic!("{name}: --strict must refuse a spec with flaws"),
            Err(GenerateError::Spec(diags)) => {
                let errors: Vec<_> = diags.iter().filter(|d| d.severity == codegen::Severity::Error).map(|d| d.location.clone()).collect();
                assert_eq!(errors, lenient, "{name}: every leniency warning, and only those, is an error under --strict");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(seen >= 2, "the lenient fixtures are there");
}
