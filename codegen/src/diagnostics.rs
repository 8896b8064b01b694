//! Diagnostics: every unsupported or suspicious construct, with its location and the policy taken.

use std::fmt;

use crate::source::{Excerpt, Span};

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
    /// How the policy reads in messages (`not enforced`).
    pub fn label(self) -> &'static str {
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
    /// Where `location.pointer` is in the file's text (or its nearest ancestor that the text
    /// holds, when the pointer names something missing); `None` when the text is unknown (a spec
    /// given as a `serde_json::Value`) or could not be walked.
    pub span: Option<Span>,
    /// The source line of `span`, for showing it with a caret ([`Diagnostic::render`]).
    pub excerpt: Option<Excerpt>,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl Diagnostic {
    /// The message with the policy taken (`... [not enforced; spec flaw, an error with --strict]`).
    pub fn headline(&self) -> String {
        let flaw = if self.leniency && self.severity != Severity::Error { "; spec flaw, an error with --strict" } else { "" };
        format!("{} [{}{flaw}]", self.message, self.policy.label())
    }

    /// `file:line:column` (`openapi.yaml:8:16`), the form editors and terminals turn into links,
    /// with the file under `base` (a folder as the reader should see it, e.g. the spec's folder
    /// as given on the command line); `file` alone when there is no span. Files of the URI map
    /// are keyed by URI and are shown as they are.
    pub fn position(&self, base: Option<&str>) -> String {
        let file = &self.location.file;
        let mut out = match base {
            Some(b) if !b.is_empty() && !file.contains("://") && !file.contains(':') => format!("{}/{file}", b.trim_end_matches('/')),
            _ => file.clone(),
        };
        if let Some(s) = self.span {
            use fmt::Write as _;
            let _ = write!(out, ":{}:{}", s.line, s.column);
        }
        out
    }

    /// The diagnostic as rustc shows one: the headline, `--> file:line:column (#/pointer)`, and
    /// the source line with a caret under the span (when the text is known). `color` adds ANSI
    /// styles (for a terminal only).
    pub fn render(&self, base: Option<&str>, color: bool) -> String {
        use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
        let level = || match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Info => Level::INFO,
        };
        let origin = format!("{} (#{})", self.position(base), self.location.pointer);
        let title = level().primary_title(self.headline()).element(Origin::path(origin));
        let group = match (self.span, &self.excerpt) {
            (Some(span), Some(excerpt)) => {
                // The annotation is a byte range of the excerpt; a span past the excerpt's end
                // (a line cut short) is clamped to it.
                let byte = |column: usize| {
                    let chars = column.saturating_sub(excerpt.first_column);
                    excerpt.text.char_indices().nth(chars).map_or(excerpt.text.len(), |(i, _)| i)
                };
                let start = byte(span.column);
                let end = if span.end_line == span.line { byte(span.end_column) } else { excerpt.text.len() };
                let end = if end <= start { (start + 1).min(excerpt.text.len()).max(start) } else { end };
                let snippet = Snippet::source(excerpt.text.as_str()).line_start(span.line).annotation(AnnotationKind::Primary.span(start..end));
                vec![title, Group::with_level(level()).element(snippet)]
            }
            _ => vec![title],
        };
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let text = renderer.render(&group);
        // The origin line carries the pointer, so it is an element of its own; the renderer then
        // closes that group with a `|` line and opens the snippet's with another: keep one.
        let mut lines: Vec<&str> = text.lines().collect();
        if let Some(i) = lines.iter().position(|l| l.contains("-->")) {
            if lines.len() > i + 2 && lines[i + 1] == lines[i + 2] {
                lines.remove(i + 1);
            }
        }
        lines.join("\n")
    }
}

/// One line: `file:line:column: severity: message [policy] (#/pointer)`, the form compilers
/// print and editors parse (`file: ...` when the position is unknown).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {} (#{})", self.position(None), self.severity.label(), self.headline(), self.location.pointer)
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
        self.items.push(Diagnostic { location, severity, policy, message: message.into(), leniency: false, span: None, excerpt: None });
    }

    /// Records a flaw of the spec that the generator reads leniently (`policy` says how): a
    /// warning, or an error (nothing generated) in strict mode.
    pub fn lenient(&mut self, location: Location, policy: Policy, message: impl Into<String>) {
        let (severity, policy) = if self.strict { (Severity::Error, Policy::Refused) } else { (Severity::Warning, policy) };
        self.items.push(Diagnostic { location, severity, policy, message: message.into(), leniency: true, span: None, excerpt: None });
    }

    /// Records an error (generation will fail).
    pub fn error(&mut self, location: Location, message: impl Into<String>) {
        self.push(location, Severity::Error, Policy::Refused, message);
    }

    /// Records an error whose position in the text is already known (a parse error).
    pub(crate) fn error_at(&mut self, location: Location, at: Option<(Span, Excerpt)>, message: impl Into<String>) {
        let (span, excerpt) = at.map_or((None, None), |(s, e)| (Some(s), Some(e)));
        self.items.push(Diagnostic { location, severity: Severity::Error, policy: Policy::Refused, message: message.into(), leniency: false, span, excerpt });
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
