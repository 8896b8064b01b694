//! Diagnostics: every unsupported or suspicious construct, with its location and the policy taken.

use std::fmt;

/// How serious a diagnostic is. Only [`Severity::Error`] stops generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; the output is faithful.
    Info,
    /// The output is weaker than the spec (a looser type, an unenforced keyword).
    Warning,
    /// The spec cannot be turned into correct code; nothing is written.
    Error,
}

/// What the generator did about the construct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Policy {
    /// Generation fails.
    Refused,
    /// The construct was left out of the output.
    Skipped,
    /// The Rust type fell back to `serde_json::Value` (validation still applies).
    FellBackToValue,
    /// The keyword is read but not enforced by the generated validators.
    NotEnforced,
    /// The construct was handled; the diagnostic explains how.
    Noted,
}

impl Policy {
    fn label(self) -> &'static str {
        match self {
            Policy::Refused => "refused",
            Policy::Skipped => "skipped",
            Policy::FellBackToValue => "fell back to serde_json::Value",
            Policy::NotEnforced => "not enforced",
            Policy::Noted => "noted",
        }
    }
}

/// A location inside the spec: the file (relative to the spec's folder) and a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// File path relative to the root document's folder, `/`-separated.
    pub file: String,
    /// RFC 6901 JSON pointer, `""` for the whole document.
    pub pointer: String,
}

impl Location {
    /// A location at `pointer` in `file`.
    pub fn new(file: impl Into<String>, pointer: impl Into<String>) -> Self {
        Location { file: file.into(), pointer: pointer.into() }
    }

    /// The location of a child member (`key` is escaped per RFC 6901).
    pub fn join(&self, key: &str) -> Location {
        let mut pointer = String::with_capacity(self.pointer.len() + key.len() + 1);
        pointer.push_str(&self.pointer);
        pointer.push('/');
        for c in key.chars() {
            match c {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                c => pointer.push(c),
            }
        }
        Location { file: self.file.clone(), pointer }
    }

    /// The location of an array element.
    pub fn index(&self, i: usize) -> Location {
        Location { file: self.file.clone(), pointer: format!("{}/{i}", self.pointer) }
    }

    /// The pointer's reference tokens, unescaped (RFC 6901); none for the whole document.
    pub fn segments(&self) -> impl Iterator<Item = String> + '_ {
        self.pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~"))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.file, self.pointer)
    }
}

/// One finding about the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Where the construct is.
    pub location: Location,
    /// How serious it is.
    pub severity: Severity,
    /// What the generator did.
    pub policy: Policy,
    /// What happened and what to do about it.
    pub message: String,
    /// The spec is flawed here and the generator took the safest faithful reading (the rest of
    /// the document is still generated); `--strict` makes these errors.
    pub leniency: bool,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let flaw = if self.leniency && self.severity != Severity::Error { "; spec flaw, an error with --strict" } else { "" };
        write!(f, "{sev}: {} [{}{flaw}]\n  --> {}", self.message, self.policy.label(), self.location)
    }
}

/// Collects diagnostics in one pass (never stops at the first).
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// `--strict`: leniency warnings become errors.
    strict: bool,
}

impl Diagnostics {
    /// An empty collection; `strict` turns every [`Diagnostics::lenient`] finding into an error.
    pub fn new(strict: bool) -> Self {
        Diagnostics { items: Vec::new(), strict }
    }

    /// Records a diagnostic.
    pub fn push(&mut self, location: Location, severity: Severity, policy: Policy, message: impl Into<String>) {
        self.items.push(Diagnostic { location, severity, policy, message: message.into(), leniency: false });
    }

    /// Records a flaw of the spec that the generator reads leniently (`policy` says how): a
    /// warning, or an error (nothing generated) in strict mode.
    pub fn lenient(&mut self, location: Location, policy: Policy, message: impl Into<String>) {
        let (severity, policy) = if self.strict { (Severity::Error, Policy::Refused) } else { (Severity::Warning, policy) };
        self.items.push(Diagnostic { location, severity, policy, message: message.into(), leniency: true });
    }

    /// Records an error (generation will fail).
    pub fn error(&mut self, location: Location, message: impl Into<String>) {
        self.push(location, Severity::Error, Policy::Refused, message);
    }

    /// Records a warning with a policy.
    pub fn warn(&mut self, location: Location, policy: Policy, message: impl Into<String>) {
        self.push(location, Severity::Warning, policy, message);
    }

    /// Records an informational note.
    pub fn info(&mut self, location: Location, message: impl Into<String>) {
        self.push(location, Severity::Info, Policy::Noted, message);
    }

    /// True when an error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// The diagnostics, sorted and deduplicated for deterministic output.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort();
        self.items.dedup();
        self.items
    }
}
