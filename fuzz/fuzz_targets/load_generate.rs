//! Arbitrary bytes through the whole pipeline, read as JSON and as YAML: load, IR, emit,
//! format. Must never panic, hang or crash; a refusal must carry a located error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = codegen::Options::default();
    for name in ["fuzz.json", "fuzz.yaml"] {
        check(codegen::generate_str(name, &text, &options));
    }
});

fn check(result: Result<codegen::Generated, codegen::GenerateError>) {
    match result {
        Ok(_) => {}
        Err(codegen::GenerateError::Spec(diags)) => {
            let located = diags.iter().any(|d| d.severity == codegen::Severity::Error && !d.location.file.is_empty() && !d.message.is_empty());
            assert!(located, "refused without a located error: {diags:?}");
        }
        Err(codegen::GenerateError::Internal(e)) => panic!("internal generator error: {e}"),
    }
}
