//! The ECMA-262 -> `regex`/`fancy-regex` pattern translation, checked against an ECMA-262 engine
//! (`regress`, `u` flag) on random strings, plus the class meanings the issue names explicitly.

use codegen::ir::pattern::{Engine, translate};
use proptest::prelude::*;

/// A translated pattern, compiled for its engine.
enum Compiled {
    Linear(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

impl Compiled {
    fn new(source: &str, unicode: bool) -> (Compiled, Engine) {
        let t = translate(source, unicode).unwrap_or_else(|e| panic!("{source}: {e}"));
        let c = match t.engine {
            Engine::Linear => Compiled::Linear(regex::Regex::new(&t.source).unwrap_or_else(|e| panic!("{source} -> {}: {e}", t.source))),
            Engine::Backtracking => Compiled::Backtracking(fancy_regex::Regex::new(&t.source).unwrap_or_else(|e| panic!("{source} -> {}: {e}", t.source))),
        };
        (c, t.engine)
    }

    fn is_match(&self, s: &str) -> bool {
        match self {
            Compiled::Linear(re) => re.is_match(s),
            Compiled::Backtracking(re) => re.is_match(s).expect("within the default limit"),
        }
    }
}

/// Patterns valid with the `u` flag, covering every construct the translator handles.
const UNICODE_PATTERNS: &[&str] = &[
    r"^\+[1-9]\d{1,14}$",
    r"^\d+$",
    r"\D",
    r"^\w+$",
    r"\W",
    r"^\s*$",
    r"\S",
    r"\bab",
    r"a\B",
    r"^.$",
    r"^.+$",
    r"^[^]$",
    r"[]",
    r"^[a-z0-9_-]+$",
    r"^[\d-]+$",
    r"[\s\d]",
    r"[^\s]",
    r"[^\w.]",
    r"^[\[\]\-\\^]+$",
    r"^[.*+?^${}()|]+$",
    r"[&&]|[~~]|[--]",
    r"^\p{L}+$",
    r"^\P{Lu}*$",
    r"\p{Script=Greek}",
    r"^\u{1F600}$",
    r"^\uD83D\uDE00$",
    r"^[\u0041-\u005A]+$",
    r"^\x41\t\n\v\f\r\0",
    r"\cJ",
    r"[\b]",
    r"^a{2}$",
    r"^a{2,}$",
    r"^a{1,3}?b",
    r"^(ab|a)(c|bcd)(d*)$",
    r"^(?:a|b)+$",
    r"^(?<word>a+)-\k<word>$",
    r"^(a)\1$",
    r"a(?=b)",
    r"a(?!b)",
    r"(?<=a)b",
    r"(?<!a)b",
    r"^\/\.\*$",
    r"^[^\n\r]*$",
    r"é+",
    r"#|\$|%|'| ",
];

/// Patterns only valid by Annex B rules (no `u` flag).
const ANNEX_B_PATTERNS: &[&str] = &[r"^\:\-$", r"a{", r"x{,2}", r"]", r"^\a\e$"];

/// Characters that tell the engines apart: ASCII classes, their Unicode look-alikes, every ECMA
/// line terminator and white space, astral characters and regex syntax.
const ALPHABET: &[char] = &[
    'a',
    'b',
    'c',
    'd',
    'A',
    'Z',
    'z',
    'k',
    '0',
    '1',
    '9',
    '_',
    '-',
    '+',
    '.',
    '[',
    ']',
    '\\',
    '^',
    '$',
    '/',
    '*',
    '&',
    '~',
    '#',
    ' ',
    '\t',
    '\n',
    '\r',
    '\u{0B}',
    '\u{0C}',
    '\u{08}',
    '\u{0}',
    '\u{85}',
    '\u{A0}',
    '\u{2028}',
    '\u{2029}',
    '\u{FEFF}',
    '\u{3000}',
    '\u{1680}',
    '\u{200B}',
    '٤',
    '١',
    'é',
    'É',
    'ſ',
    '\u{212A}',
    'α',
    'Ω',
    '😀',
    '\u{10FFFF}',
    ':',
    'e',
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..8).prop_map(|v| v.into_iter().collect())
}

fn agree(source: &str, unicode: bool, s: &str) -> Result<(), TestCaseError> {
    let ecma = regress::Regex::with_flags(source, if unicode { "u" } else { "" }).expect("valid ECMA-262");
    let (ours, _) = Compiled::new(source, unicode);
    prop_assert_eq!(ours.is_match(s), ecma.find(s).is_some(), "pattern {:?} on {:?}", source, s);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn translation_agrees_with_ecma_262(i in 0..UNICODE_PATTERNS.len(), s in text()) {
        agree(UNICODE_PATTERNS[i], true, &s)?;
    }

    #[test]
    fn annex_b_translation_agrees(i in 0..ANNEX_B_PATTERNS.len(), s in text()) {
        agree(ANNEX_B_PATTERNS[i], false, &s)?;
    }
}

#[test]
fn the_ecma_classes_keep_their_ascii_meaning() {
    let cases: &[(&str, &str, bool)] = &[
        (r"^\+[1-9]\d{1,14}$", "+14155550100", true),
        (r"^\+[1-9]\d{1,14}$", "+1٤١٥٥٥٥٠١٠٠", false),
        (r"^\w+$", "é", false),
        (r"^\s$", "\u{85}", false),
        (r"^\s$", "\u{FEFF}", true),
        (r"^.$", "\u{2028}", false),
        (r"^.$", "😀", true),
        (r"\bé", "é", false),
        (r"^[^]$", "\n", true),
        (r"[]", "anything", false),
        (r"^\p{L}+$", "Ωé", true),
    ];
    for (pattern, input, expected) in cases {
        let (re, _) = Compiled::new(pattern, true);
        assert_eq!(re.is_match(input), *expected, "{pattern} on {input:?}");
    }
}

#[test]
fn lookaround_and_backreferences_choose_the_backtracking_engine() {
    for (pattern, engine) in [(r"^\d+$", Engine::Linear), (r"a(?=b)", Engine::Backtracking), (r"(a)\1", Engine::Backtracking)] {
        assert_eq!(Compiled::new(pattern, true).1, engine, "{pattern}");
    }
}

#[test]
fn spec_text_cannot_change_the_structure() {
    // Every literal that is syntax in the `regex` crate stays a literal after translation.
    for (pattern, input) in [(r"\(\)", "()"), (r"a\|b", "a|b"), (r"[(?i)]", "?"), (r"\x23 x", "# x")] {
        let (re, _) = Compiled::new(pattern, true);
        assert!(re.is_match(input), "{pattern} on {input}");
    }
}

#[test]
fn constructs_without_a_faithful_translation_are_reported() {
    for (pattern, unicode) in [(r"\uD800", true), (r"\01", false), (r"😀+", false)] {
        assert!(translate(pattern, unicode).is_err(), "{pattern}");
    }
}

#[test]
fn the_backtracking_bound_is_configurable() {
    let spec = xtask::project_root().join("tests/fixtures/patterns.yaml");
    let options = codegen::Options { pattern_backtrack_limit: 1234, ..codegen::Options::default() };
    let generated = codegen::generate(&spec, &options).expect("generates");
    let validate = generated.files.iter().find(|f| f.path == "src/validate.rs").expect("validate.rs");
    assert!(validate.contents.contains("rt::Pattern::backtracking(") && validate.contents.contains("1234usize"), "bound not emitted");
    // The warning names each pattern that needs the bounded engine, with the bound.
    let warned: Vec<&str> = generated.diagnostics.iter().map(|d| d.message.as_str()).filter(|m| m.contains("bounded to 1234 steps")).collect();
    assert_eq!(warned.len(), 4, "{warned:?}");
    assert!(warned.iter().any(|m| m.contains(r"\k<word>")), "{warned:?}");
}
