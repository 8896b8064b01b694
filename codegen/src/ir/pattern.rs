//! Translation of ECMA-262 `pattern`s into the syntax of the `regex` crate (linear time) or, for
//! lookaround and backreferences, of `fancy-regex` (backtracking with a bounded amount of work).
//!
//! The translation spells every ECMA class out explicitly, so the Unicode-aware meanings of the
//! `regex` crate never leak in: `\d` is `[0-9]`, `\w` is `[0-9A-Za-z_]`, `\s` is ECMA's
//! WhiteSpace plus LineTerminator, `\b` is the ASCII word boundary, `.` excludes exactly the four
//! ECMA line terminators. Literal characters are escaped (inside classes every non-alphanumeric
//! one is written as `\x{..}`), so no spec text can change the structure of the output.
//! Input is matched by code points (the `u` flag, JSON Schema's advice).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The engine a translated pattern needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    /// The `regex` crate: time linear in the input.
    Linear,
    /// `fancy-regex`: needed for lookaround or backreferences; backtracking, bounded per match.
    Backtracking,
}

/// A pattern in the chosen engine's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The pattern in `regex` / `fancy-regex` syntax.
    pub source: String,
    /// The engine it needs.
    pub engine: Engine,
}

/// ECMA-262 `\s`: WhiteSpace and LineTerminator.
const SPACE: &str = r"\x{9}-\x{D}\x{20}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
const DIGIT: &str = r"0-9";
const WORD: &str = r"0-9A-Za-z_";
/// Everything but ECMA-262 line terminators (`.` without the `s` flag).
const DOT: &str = r"[^\x{A}\x{D}\x{2028}\x{2029}]";
/// The class that matches no character (ECMA `[]`).
const NOTHING: &str = r"[^\x{0}-\x{10FFFF}]";
/// The class that matches every character (ECMA `[^]`).
const ANYTHING: &str = r"[\x{0}-\x{10FFFF}]";

/// Translates `source`, already known to be a valid ECMA-262 pattern (`unicode`: with the `u`
/// flag; otherwise by Annex B rules). `Err` names the construct that has no faithful
/// translation.
pub fn translate(source: &str, unicode: bool) -> Result<Translated, String> {
    let chars: Vec<char> = source.chars().collect();
    if !unicode && chars.iter().any(|c| *c as u32 > 0xFFFF) {
        return Err("a character outside the Basic Multilingual Plane in a pattern that is only valid without the `u` flag".into());
    }
    let (names, group_count) = groups(&chars);
    let mut t = Translator { chars, pos: 0, unicode, names, group_count, out: String::new(), engine: Engine::Linear };
    t.run()?;
    Ok(Translated { source: t.out, engine: t.engine })
}

/// One member of a character class.
enum ClassItem {
    Char(u32),
    /// A class escape (`\d`, `\p{L}`), already in `regex` class syntax.
    Set(String),
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    unicode: bool,
    /// Capture-group numbers of the named groups.
    names: BTreeMap<String, usize>,
    group_count: usize,
    out: String,
    engine: Engine,
}

impl Translator {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += 1;
        c
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(c) = self.next() {
            match c {
                '\\' => self.atom_escape()?,
                '[' => self.class()?,
                '(' => self.group()?,
                ')' | '|' | '*' | '+' | '?' | '^' | '$' => self.out.push(c),
                '.' => self.out.push_str(DOT),
                '{' => match self.quantifier_braces() {
                    Some(q) => self.out.push_str(&q),
                    // Annex B: a brace that does not start a quantifier is a literal.
                    None => self.literal('{'),
                },
                c => self.literal(c),
            }
        }
        Ok(())
    }

    /// `{n}`, `{n,}` or `{n,m}` starting after the `{`, consumed when it is one.
    fn quantifier_braces(&mut self) -> Option<String> {
        let mut end = self.pos;
        let mut text = String::from("{");
        let mut seen_digit = false;
        let mut seen_comma = false;
        while let Some(&c) = self.chars.get(end) {
            end += 1;
            match c {
                '0'..='9' => {
                    seen_digit = true;
                    text.push(c);
                }
                ',' if seen_digit && !seen_comma => {
                    seen_comma = true;
                    text.push(c);
                }
                '}' if seen_digit => {
                    text.push(c);
                    self.pos = end;
                    return Some(text);
                }
                _ => return None,
            }
        }
        None
    }

    fn literal(&mut self, c: char) {
        if c.is_ascii_alphanumeric() {
            self.out.push(c);
        } else {
            let _ = write!(self.out, r"\x{{{:X}}}", c as u32);
        }
    }

    fn group(&mut self) -> Result<(), String> {
        if self.peek() != Some('?') {
            self.out.push('(');
            return Ok(());
        }
        for look in ["?=", "?!", "?<=", "?<!"] {
            if self.starts_with(look) {
                self.pos += look.chars().count();
                self.out.push('(');
                self.out.push_str(look);
                self.engine = Engine::Backtracking;
                return Ok(());
            }
        }
        if self.starts_with("?:") {
            self.pos += 2;
            self.out.push_str("(?:");
            return Ok(());
        }
        if self.starts_with("?<") {
            // A named group: numbered like any capture; backreferences use the number.
            while let Some(c) = self.next() {
                if c == '>' {
                    self.out.push('(');
                    return Ok(());
                }
            }
        }
        Err("an unsupported group modifier `(?`".into())
    }

    fn hex(&mut self, digits: usize) -> Option<u32> {
        let text: String = (0..digits).map_while(|i| self.peek_at(i).filter(char::is_ascii_hexdigit)).collect();
        if text.len() != digits {
            return None;
        }
        self.pos += digits;
        u32::from_str_radix(&text, 16).ok()
    }

    /// `\u` escapes (after the `u`): `\uHHHH`, a surrogate pair of two, or `\u{H..}` with the
    /// `u` flag.
    fn unicode_escape(&mut self) -> Result<u32, String> {
        if self.unicode && self.peek() == Some('{') {
            let close = self.chars[self.pos..].iter().position(|c| *c == '}').ok_or("an unclosed `\\u{`")?;
            let text: String = self.chars[self.pos + 1..self.pos + close].iter().collect();
            self.pos += close + 1;
            return u32::from_str_radix(&text, 16).map_err(|_| "an invalid `\\u{..}` escape".to_string());
        }
        let first = self.hex(4).ok_or("an invalid `\\u` escape")?;
        if (0xD800..0xDC00).contains(&first) && self.starts_with("\\u") {
            let save = self.pos;
            self.pos += 2;
            if let Some(second) = self.hex(4).filter(|s| (0xDC00..0xE000).contains(s)) {
                return Ok(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
            }
            self.pos = save;
        }
        if (0xD800..0xE000).contains(&first) {
            return Err("a lone surrogate escape (strings cannot contain one)".into());
        }
        Ok(first)
    }

    /// The character escapes shared by atoms and classes; `None` when `c` is not one.
    fn character_escape(&mut self, c: char) -> Result<Option<u32>, String> {
        Ok(Some(match c {
            't' => 0x9,
            'n' => 0xA,
            'v' => 0xB,
            'f' => 0xC,
            'r' => 0xD,
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => 0,
            '0' => return Err("an Annex B octal escape".into()),
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.pos += 1;
                    l as u32 % 32
                }
                _ => return Err("an Annex B `\\c` escape".into()),
            },
            'x' => self.hex(2).ok_or("an Annex B `\\x` escape")?,
            'u' => self.unicode_escape()?,
            _ => return Ok(None),
        }))
    }

    /// `\d`, `\s`, `\w`, `\p{..}` and their negations, in class syntax; `None` when `c` is not one.
    fn class_escape(&mut self, c: char) -> Result<Option<String>, String> {
        let set = |body: &str, negated: bool| format!("[{}{body}]", if negated { "^" } else { "" });
        Ok(Some(match c {
            'd' | 'D' => set(DIGIT, c == 'D'),
            'w' | 'W' => set(WORD, c == 'W'),
            's' | 'S' => set(SPACE, c == 'S'),
            'p' | 'P' if self.unicode => {
                if self.peek() != Some('{') {
                    return Err("a `\\p` escape without braces".into());
                }
                let close = self.chars[self.pos..].iter().position(|c| *c == '}').ok_or("an unclosed `\\p{`")?;
                let name: String = self.chars[self.pos + 1..self.pos + close].iter().collect();
                self.pos += close + 1;
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '=') {
                    return Err(format!("the property `{}`", name.escape_debug()));
                }
                format!(r"\{c}{{{name}}}")
            }
            _ => return Ok(None),
        }))
    }

    fn atom_escape(&mut self) -> Result<(), String> {
        let c = self.next().ok_or("a trailing backslash")?;
        if let Some(set) = self.class_escape(c)? {
            self.out.push_str(&set);
            return Ok(());
        }
        match c {
            'b' => self.out.push_str(r"(?-u:\b)"),
            'B' => self.out.push_str(r"(?-u:\B)"),
            '1'..='9' => {
                let mut n = c.to_digit(10).unwrap_or(0) as usize;
                while let Some(d) = self.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    self.pos += 1;
                }
                if !self.unicode && n > self.group_count {
                    return Err("an Annex B octal escape".into());
                }
                self.backreference(n);
            }
            'k' if self.unicode || !self.names.is_empty() => {
                let rest: String = self.chars[self.pos..].iter().collect();
                let name = rest.strip_prefix('<').and_then(|r| r.split_once('>')).map(|(n, _)| n.to_string()).ok_or("an invalid `\\k` escape")?;
                self.pos += name.chars().count() + 2;
                let n = *self.names.get(&name).ok_or("a backreference to an unknown group")?;
                self.backreference(n);
            }
            c => match self.character_escape(c)? {
                Some(code) => self.code_point(code)?,
                // An identity escape: the character itself.
                None => self.literal(c),
            },
        }
        Ok(())
    }

    fn backreference(&mut self, n: usize) {
        self.engine = Engine::Backtracking;
        let _ = write!(self.out, r"\k<{n}>");
    }

    fn code_point(&mut self, code: u32) -> Result<(), String> {
        let c = char::from_u32(code).ok_or("an escape that is not a Unicode scalar value")?;
        self.literal(c);
        Ok(())
    }

    fn class(&mut self) -> Result<(), String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items: Vec<ClassItem> = Vec::new();
        loop {
            let c = self.next().ok_or("an unclosed character class")?;
            if c == ']' {
                break;
            }
            let item = self.class_atom(c)?;
            // A range `a-z`: a dash between two single characters, not before the closing `]`.
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                if let ClassItem::Char(lo) = item {
                    let save = self.pos;
                    self.pos += 1;
                    let n = self.next().ok_or("an unclosed character class")?;
                    match self.class_atom(n)? {
                        ClassItem::Char(hi) => {
                            items.push(ClassItem::Set(format!(r"\x{{{lo:X}}}-\x{{{hi:X}}}")));
                            continue;
                        }
                        // Annex B: `[a-\d]` is `a`, `-` and `\d`.
                        ClassItem::Set(_) => self.pos = save,
                    }
                }
            }
            items.push(item);
        }
        if items.is_empty() {
            self.out.push_str(if negated { ANYTHING } else { NOTHING });
            return Ok(());
        }
        self.out.push('[');
        if negated {
            self.out.push('^');
        }
        for item in items {
            match item {
                ClassItem::Char(code) => {
                    let _ = write!(self.out, r"\x{{{code:X}}}");
                }
                ClassItem::Set(s) => self.out.push_str(&s),
            }
        }
        self.out.push(']');
        Ok(())
    }

    fn class_atom(&mut self, c: char) -> Result<ClassItem, String> {
        if c != '\\' {
            return Ok(ClassItem::Char(c as u32));
        }
        let e = self.next().ok_or("a trailing backslash")?;
        if let Some(set) = self.class_escape(e)? {
            return Ok(ClassItem::Set(set));
        }
        match e {
            'b' => Ok(ClassItem::Char(0x8)),
            '-' => Ok(ClassItem::Char('-' as u32)),
            '1'..='9' => Err("an Annex B octal escape in a class".into()),
            _ => match self.character_escape(e)? {
                Some(code) => Ok(ClassItem::Char(code)),
                None => Ok(ClassItem::Char(e as u32)),
            },
        }
    }
}

/// Skips an escape or a class starting at `i`; returns the index after it, or `None` when `i`
/// starts neither.
fn skip_escape_or_class(chars: &[char], i: usize) -> Option<usize> {
    match chars[i] {
        '\\' => Some(i + 2),
        '[' => {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != ']' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            Some(j + 1)
        }
        _ => None,
    }
}

/// The capture groups: the numbers of the named ones, and how many there are.
fn groups(chars: &[char]) -> (BTreeMap<String, usize>, usize) {
    let mut names = BTreeMap::new();
    let mut n = 0;
    let mut i = 0;
    while i < chars.len() {
        if let Some(next) = skip_escape_or_class(chars, i) {
            i = next;
            continue;
        }
        if chars[i] == '(' {
            let rest = &chars[i + 1..];
            if rest.first() != Some(&'?') {
                n += 1;
            } else if rest.get(1) == Some(&'<') && !matches!(rest.get(2), Some('=' | '!')) {
                n += 1;
                let name: String = rest[2..].iter().take_while(|c| **c != '>').collect();
                names.insert(name, n);
            }
        }
        i += 1;
    }
    (names, n)
}
