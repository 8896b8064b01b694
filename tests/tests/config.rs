//! The configuration file as `cargo xtask gen` reads it: the conventional `<stem>.codegen.toml`
//! beside the spec, `--config FILE`, command-line keys over both, and located errors.

use xtask::{Job, Mode, run};

const SPEC: &str = "openapi: 3.1.0\ninfo: {title: Conf, version: 1.0.0}\npaths: {}\ncomponents:\n  schemas:\n    Pet:\n      type: object\n      properties:\n        name: {type: string}\n";

fn setup(config: Option<&str>) -> (tempfile::TempDir, Job) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("api.yaml"), SPEC).expect("spec");
    if let Some(c) = config {
        std::fs::write(dir.path().join("api.codegen.toml"), c).expect("config");
    }
    let job = Job { spec: dir.path().join("api.yaml"), out: dir.path().join("out"), ..Job::bundled() };
    (dir, job)
}

fn manifest(job: &Job) -> String {
    std::fs::read_to_string(job.out.join("Cargo.toml")).expect("manifest")
}

#[test]
fn the_conventional_file_is_read_and_the_command_line_wins() {
    let (_dir, job) = setup(Some("crate-name = \"from-file\"\ncrate-version = \"0.4.0\"\n[rename.schemas]\nPet = \"Animal\"\n"));
    run(&job, Mode::Write).expect("gen");
    let m = manifest(&job);
    assert!(m.contains("name = \"from-file\"") && m.contains("version = \"0.4.0\""), "{m}");
    let types = std::fs::read_to_string(job.out.join("src/types.rs")).expect("types");
    assert!(types.contains("pub struct Animal"), "{types}");
    let job = job.set("crate-name", "from-cli");
    run(&job, Mode::Write).expect("gen");
    let m = manifest(&job);
    assert!(m.contains("name = \"from-cli\"") && m.contains("version = \"0.4.0\""), "the flag wins, the rest of the file stays: {m}");
    assert!(m.lines().next().is_some_and(|l| l.contains("--crate-name from-cli")), "the stamp names the flag: {m}");
}

#[test]
fn an_explicit_file_replaces_the_conventional_one() {
    let (dir, job) = setup(Some("crate-name = \"conventional\"\n"));
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "crate-name = \"explicit\"\n").expect("config");
    let job = Job { config: Some(other), ..job };
    run(&job, Mode::Write).expect("gen");
    assert!(manifest(&job).contains("name = \"explicit\""));
}

#[test]
fn a_bad_file_is_a_located_error_and_writes_nothing() {
    let (dir, job) = setup(Some("strict = true\n\n[unknown-fields]\nrequest = \"deny\"\n"));
    let e = run(&job, Mode::Write).expect_err("unknown key").to_string();
    let file = dir.path().join("api.codegen.toml");
    assert!(e.starts_with(&format!("{}:4:1: ", file.display())), "{e}");
    assert!(e.contains("unknown field `request`") && e.contains("requests"), "the message names the key and the known ones: {e}");
    assert!(!job.out.exists(), "nothing written");
    // A key naming nothing in the spec is a warning, not an error.
    let (_dir, job) = setup(Some("[types.by-name]\nMissing = { type = \"String\" }\n"));
    let report = run(&job, Mode::Write).expect("gen");
    assert!(report.diagnostics.iter().any(|d| d.message.contains("no component schema `Missing`")), "{:?}", report.diagnostics);
    // A type that is not Rust is an error.
    let (_dir, job) = setup(Some("[types.by-name]\nPet = { type = \"not a type!\" }\n"));
    let e = run(&job, Mode::Write).expect_err("bad type").to_string();
    assert!(e.contains("is not a Rust type"), "{e}");
}

#[test]
fn the_readme_example_configuration_is_valid() {
    let readme = std::fs::read_to_string(xtask::project_root().join("README.md")).expect("README");
    let start = readme.find("```toml\n#:schema ../codegen.schema.json").expect("the README's configuration example") + "```toml\n".len();
    let text = &readme[start..start + readme[start..].find("```").expect("end of block")];
    let o = codegen::options::parse_config(std::path::Path::new("README.md"), text, std::path::Path::new("."), &codegen::Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.crate_name.as_deref(), Some("petstore"));
    assert_eq!(o.operations.include_tags, ["pets"]);
}

#[test]
fn a_types_or_validators_only_crate_needs_the_server_and_client_off() {
    let (_dir, job) = setup(Some("emit-validators = false\n"));
    let e = run(&job, Mode::Write).expect_err("the server needs validators");
    let text = format!("{e:#}");
    assert!(text.contains("emit-validators") && text.contains("server = false"), "{text}");
    assert!(!job.out.exists(), "nothing is written");
    let job = job.set("server", false).set("client", false);
    run(&job, Mode::Write).expect("types only");
    assert!(job.out.join("src/types.rs").exists() && !job.out.join("src/validate.rs").exists());
    let job = job.set("emit-validators", true).set("emit-types", false);
    run(&job, Mode::Write).expect("validators only");
    assert!(!job.out.join("src/types.rs").exists() && job.out.join("src/validate.rs").exists(), "the stamped types.rs is an orphan and goes");
    let e = run(&job.set("emit-validators", false), Mode::Write).expect_err("nothing to generate");
    assert!(format!("{e:#}").contains("nothing to generate"), "{e:#}");
}
