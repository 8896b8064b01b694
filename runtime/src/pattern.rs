//! `pattern` and `patternProperties`: a compiled pattern on the engine its translation needs
//! (`regex`, linear time, feature `regex`; `fancy-regex`, backtracking within a step budget,
//! feature `fancy-regex`) and the checks that record violations.

use super::{InstancePath, Violation, violation, violation_at};

/// A compiled `pattern`, translated at generation time from ECMA-262 into the syntax of the
/// engine that runs it.
#[derive(Debug)]
pub enum Pattern {
    /// The `regex` crate: time linear in the input.
    #[cfg(feature = "regex")]
    Linear(regex::Regex),
    /// `fancy-regex`, for lookaround and backreferences: backtracking, bounded per match.
    #[cfg(feature = "fancy-regex")]
    Backtracking(fancy_regex::Regex),
}

impl Pattern {
    /// A pattern for the linear-time engine.
    #[cfg(feature = "regex")]
    pub fn linear(translated: &str) -> Self {
        Pattern::Linear(regex::Regex::new(translated).expect("pattern compiled at generation time"))
    }

    /// A pattern for the backtracking engine, allowed `limit` backtracking steps per match.
    #[cfg(feature = "fancy-regex")]
    pub fn backtracking(translated: &str, limit: usize) -> Self {
        let re = fancy_regex::RegexBuilder::new(translated).backtrack_limit(limit).build();
        Pattern::Backtracking(re.expect("pattern compiled at generation time"))
    }

    /// An unanchored search: whether `s` contains a match, or `None` when the backtracking
    /// engine ran out of its step budget before it could tell.
    pub fn search(&self, s: &str) -> Option<bool> {
        match self {
            #[cfg(feature = "regex")]
            Pattern::Linear(re) => Some(re.is_match(s)),
            #[cfg(feature = "fancy-regex")]
            Pattern::Backtracking(re) => re.is_match(s).ok(),
        }
    }
}

/// The message for a value the bounded backtracking engine could not decide.
const TOO_COMPLEX: &str = "could not be checked against the pattern within its backtracking limit; send a shorter or simpler value";

/// `pattern`: an unanchored ECMA-262 search.
pub fn expect_match(s: &str, path: &InstancePath, out: &mut Vec<Violation>, re: &Pattern, source: &str) {
    match re.search(s) {
        Some(true) => {}
        Some(false) => violation(out, path, "pattern", format!("must match the pattern {source}")),
        None => violation(out, path, "pattern", TOO_COMPLEX),
    }
}

/// Whether an object key matches a `patternProperties` pattern; a key the bounded engine cannot
/// decide is a violation at that key.
pub fn key_matches(re: &Pattern, key: &str, path: &InstancePath, out: &mut Vec<Violation>) -> bool {
    re.search(key).unwrap_or_else(|| {
        violation_at(out, path, key, "patternProperties", TOO_COMPLEX);
        false
    })
}
