//! Generates the Notes API from `openapi.yaml` (and its `openapi.codegen.toml`) into OUT_DIR.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let builder = codegen::Builder::new().spec("openapi.yaml").options(codegen::Options {
        spec_label: "examples/build-rs/openapi.yaml".into(),
        command: "cargo build (examples/build-rs/build.rs)".into(),
        ..codegen::Options::default()
    });
    codegen::builder::rerun_if_changed(&builder);
    let generated = match builder.generate() {
        Ok(g) => g,
        Err(e) => {
            // The spec's errors, located, as the build's error.
            println!("cargo::error={}", e.to_string().replace('\n', " | "));
            if let codegen::builder::BuildError::Generate(codegen::GenerateError::Spec(diags)) = &e {
                for d in diags {
                    println!("cargo::error={d}");
                }
            }
            return Ok(());
        }
    };
    codegen::builder::cargo_directives(&generated);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    std::fs::write(out.join("notes_api.rs"), generated.single_file()?)?;
    Ok(())
}
