//! How the xtask prints diagnostics: rustc-like text with source snippets, or JSON lines (`--message-format json`) for editors and CI annotations.

use std::io::IsTerminal as _;

use codegen::Diagnostic;
use serde::{Deserialize, Serialize};

/// `--message-format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// rustc-like text on stderr: headline, `--> file:line:column (#/pointer)`, the source line
    /// with a caret (colored only when stderr is a terminal).
    #[default]
    Human,
    /// One JSON object per diagnostic per line on stdout ([`JsonMessage`]); everything else goes
    /// to stderr, so stdout is JSON lines only.
    Json,
}

/// One diagnostic as a line of `--message-format json`. Lines and columns are 1-based, columns
/// count characters, the end is exclusive; position fields are `null` when the file's text is
/// not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonMessage {
    /// Always `"diagnostic"` (room for other kinds of line later).
    pub reason: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// What happened and what to do about it.
    pub message: String,
    /// What the generator did: `refused`, `skipped`, `fell back to serde_json::Value`,
    /// `not enforced`, `noted`.
    pub policy: String,
    /// A flaw of the spec read the safest way (an error with `--strict`).
    pub leniency: bool,
    /// The file relative to the spec's folder (or `--spec-root`), `/`-separated; a URI for a
    /// document of `--uri-map`.
    pub file: String,
    /// The file as given on the command line would reach it (the spec's folder joined with
    /// `file`): what an editor opens.
    pub path: String,
    /// RFC 6901 JSON pointer inside `file` (`""` is the whole document).
    pub pointer: String,
    /// First line of the span.
    pub line: Option<usize>,
    /// First column of the span.
    pub column: Option<usize>,
    /// Line of the span's end.
    pub end_line: Option<usize>,
    /// Column just after the span's last character.
    pub end_column: Option<usize>,
    /// The human rendering (no colors), as `--message-format human` prints it.
    pub rendered: String,
}

impl JsonMessage {
    /// The message for `d`; `base` is the folder `file` is relative to, as the user named it.
    pub fn new(d: &Diagnostic, base: Option<&str>) -> JsonMessage {
        let path = d.position(base);
        let path = match d.span {
            // `position` appends `:line:column`; the path field is the file alone.
            Some(s) => path.strip_suffix(&format!(":{}:{}", s.line, s.column)).unwrap_or(&path).to_string(),
            None => path,
        };
        JsonMessage {
            reason: "diagnostic".into(),
            severity: d.severity.label().into(),
            message: d.message.clone(),
            policy: d.policy.label().into(),
            leniency: d.leniency,
            file: d.location.file.clone(),
            path,
            pointer: d.location.pointer.clone(),
            line: d.span.map(|s| s.line),
            column: d.span.map(|s| s.column),
            end_line: d.span.map(|s| s.end_line),
            end_column: d.span.map(|s| s.end_column),
            rendered: d.render(base, false),
        }
    }
}

/// Prints diagnostics in `format` (see [`MessageFormat`]).
pub fn print(diagnostics: &[Diagnostic], base: Option<&str>, format: MessageFormat) {
    match format {
        MessageFormat::Human => {
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            for d in diagnostics {
                eprintln!("{}\n", d.render(base, color));
            }
        }
        MessageFormat::Json => {
            for d in diagnostics {
                match serde_json::to_string(&JsonMessage::new(d, base)) {
                    Ok(line) => println!("{line}"),
                    Err(e) => eprintln!("error: cannot encode a diagnostic as JSON: {e}"),
                }
            }
        }
    }
}
