//! The corpus fidelity gate: for every schema of every corpus document (named and inline), the
//! generated validator plus conversion must agree with the `jsonschema` crate on random
//! instances, outside documented deviations, and every valid instance must round-trip through
//! its Rust type. See README ("Validation fidelity across the corpus").

pub mod bundle;
pub mod compare;
pub mod report;
pub mod run;
pub mod targets;

use std::path::PathBuf;

/// Why the gate could not run (a finding of the gate is a row of the report, not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A corpus folder could not be read.
    #[error("cannot list the documents of {0}: {1}")]
    Discover(PathBuf, String),
    /// A document's root could not be read.
    #[error("cannot load {0}: {1}")]
    Load(PathBuf, String),
    /// `--only` names no document.
    #[error("no document is named {0}")]
    Unknown(String),
    /// Two documents share a name.
    #[error("two documents are named {0}; give folders whose document names differ")]
    Duplicate(String),
    /// Reading or writing a file, or starting a process.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A harness file is not the JSON it should be.
    #[error("{0}: {1}")]
    Json(PathBuf, serde_json::Error),
}
