//! Source positions: the text of each loaded file and the line/column span of a JSON pointer in it (JSON or YAML), found in one pass per file.
//!
//! The parsed `serde_json::Value` carries no positions, so positions are recovered from the text
//! only when there is something to report: every pointer of a file is looked up in a single walk
//! over that file (a small JSON tokenizer, or `saphyr-parser`'s spanned YAML events), however
//! many diagnostics it has. A pointer the text does not hold (a missing key, a member a YAML
//! merge key brought in, a path through an alias) gets the span of its nearest ancestor that the
//! text does hold.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A region of a source file. Lines and columns are 1-based; columns count characters (Unicode
/// scalar values), so `openapi.yaml:8:16` is the 16th character of line 8; the end is exclusive
/// (`end_column` is the column just after the region's last character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Line of the first character.
    pub line: usize,
    /// Column of the first character.
    pub column: usize,
    /// Line of the end.
    pub end_line: usize,
    /// Column just after the last character.
    pub end_column: usize,
}

/// Longest stretch of a line kept as an excerpt on either side of a span (a minified document is
/// one very long line).
const EXCERPT_SIDE: usize = 80;

/// The source text around a span, for showing it with a caret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Excerpt {
    /// The text of the span's line(s), without the final line break; cut to a window around the
    /// span when the line is very long.
    pub text: String,
    /// The column (1-based, characters) of the line at which `text` starts: 1 unless cut.
    pub first_column: usize,
}

/// One loaded file's text and its syntax.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) text: Arc<str>,
    pub(crate) json: bool,
}

impl Source {
    /// The text of a file named `name` (JSON when it ends in `.json`, YAML otherwise, as
    /// [`crate::load::parse_text`] decides).
    pub(crate) fn new(name: &str, text: impl Into<Arc<str>>) -> Source {
        Source { text: text.into(), json: name.ends_with(".json") }
    }

    /// The span (and excerpt) of each pointer, or of its nearest ancestor in the text; a pointer
    /// is missing from the answer only when the text cannot be walked at all.
    pub(crate) fn locate<'p>(&self, pointers: impl IntoIterator<Item = &'p str>) -> HashMap<&'p str, (Span, Excerpt)> {
        let pointers: Vec<&str> = pointers.into_iter().collect();
        let mut wanted = HashSet::new();
        for p in &pointers {
            let mut end = p.len();
            loop {
                if !wanted.insert(&p[..end]) {
                    break;
                }
                match p[..end].rfind('/') {
                    Some(i) => end = i,
                    None => break,
                }
            }
        }
        let lines = LineIndex::new(&self.text);
        let found = if self.json { json_nodes(&self.text, &wanted, &lines) } else { yaml_nodes(&self.text, &wanted) };
        let mut out = HashMap::new();
        for p in pointers {
            let mut at = p;
            loop {
                if let Some(node) = found.get(at) {
                    let span = node.span();
                    out.insert(p, (span, lines.excerpt(&self.text, span)));
                    break;
                }
                match at.rfind('/') {
                    Some(i) => at = &at[..i],
                    None => break,
                }
            }
        }
        out
    }
}

impl Source {
    /// The one-character span at byte `offset` (a parse error's position), clamped to the text.
    pub(crate) fn at_offset(&self, offset: usize) -> (Span, Excerpt) {
        let lines = LineIndex::new(&self.text);
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let pos = lines.pos(&self.text, offset);
        let span = Span { line: pos.line, column: pos.col + 1, end_line: pos.line, end_column: pos.col + 2 };
        (span, lines.excerpt(&self.text, span))
    }

    /// [`Source::at_offset`] for a position given as a line (1-based) and a byte column (1-based;
    /// 0 is the line's start), as serde_json reports errors.
    pub(crate) fn at_line_byte(&self, line: usize, byte_column: usize) -> (Span, Excerpt) {
        let lines = LineIndex::new(&self.text);
        let start = lines.starts.get(line.saturating_sub(1)).copied().unwrap_or(self.text.len());
        self.at_offset(start + byte_column.saturating_sub(1))
    }
}

/// A position during the walk: line (1-based) and column (0-based, characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: usize,
    col: usize,
}

/// What the walk found for one node.
#[derive(Debug, Clone, Copy)]
struct Node {
    key: Option<(Pos, Pos)>,
    collection: bool,
    start: Pos,
    end: Pos,
}

impl Node {
    /// The region a reader looks at: a scalar value on one line (`foo` of `[foo]`, `"text"`);
    /// for a collection, or a value over several lines, the member's key (`Pet` of `Pet: {...}`);
    /// an array item that is a collection on one line in full; else the value's first line.
    fn span(&self) -> Span {
        let one_line = self.start.line == self.end.line && self.end.col > self.start.col;
        let (start, end) = if one_line && (!self.collection || self.key.is_none()) {
            (self.start, self.end)
        } else if let Some(key) = self.key {
            key
        } else {
            (self.start, Pos { line: self.start.line, col: usize::MAX })
        };
        Span { line: start.line, column: start.col + 1, end_line: end.line, end_column: end.col.saturating_add(1) }
    }
}

/// Byte offsets of line starts, for turning offsets into positions and lines into text.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn pos(&self, text: &str, offset: usize) -> Pos {
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = text.get(start..offset).map_or(0, |s| s.chars().count());
        Pos { line, col }
    }

    /// The text of line `n` (1-based) without its line break.
    fn line<'t>(&self, text: &'t str, n: usize) -> &'t str {
        let Some(&start) = self.starts.get(n.wrapping_sub(1)) else { return "" };
        let end = self.starts.get(n).map_or(text.len(), |e| e - 1);
        text.get(start..end).unwrap_or_default().trim_end_matches('\r')
    }

    fn excerpt(&self, text: &str, span: Span) -> Excerpt {
        let line = self.line(text, span.line);
        let chars = line.chars().count();
        if chars <= 2 * EXCERPT_SIDE + 40 {
            return Excerpt { text: line.to_string(), first_column: 1 };
        }
        let from = span.column.saturating_sub(1).saturating_sub(EXCERPT_SIDE);
        let end = if span.end_line == span.line { span.end_column } else { span.column + 1 };
        let to = end.saturating_sub(1).saturating_add(EXCERPT_SIDE).min(chars);
        Excerpt { text: line.chars().skip(from).take(to.saturating_sub(from)).collect(), first_column: from + 1 }
    }
}

/// A syntax event of either format, positioned.
enum Event<'t, P> {
    /// A mapping or sequence opens (true for a mapping).
    Open(bool, P),
    /// The innermost collection closes; the position is just after it.
    Close(P),
    /// A scalar (or an alias): its key text when it is a mapping key, and its region.
    Scalar(Key<'t>, P, P),
}

/// A scalar's text as a mapping key, decoded only when the walk needs it.
enum Key<'t> {
    /// A JSON string token, quotes included.
    Json(&'t str),
    /// A decoded YAML scalar, and whether it was plain (unquoted).
    Yaml(std::borrow::Cow<'t, str>, bool),
    /// Not usable as a key (an alias, a JSON number).
    Raw(&'t str),
}

impl Key<'_> {
    fn text(&self) -> String {
        match self {
            Key::Json(raw) if raw.contains('\\') => serde_json::from_str(raw).unwrap_or_default(),
            Key::Json(raw) => raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default().to_string(),
            // As `load::yaml_to_json` reads plain keys: `~` and the empty key are `null`.
            Key::Yaml(s, true) if matches!(s.as_ref(), "~" | "" | "null" | "Null" | "NULL") => "null".into(),
            Key::Yaml(s, _) => s.to_string(),
            Key::Raw(s) => s.to_string(),
        }
    }
}

/// Walks events, recording the nodes whose pointer is in `wanted` (which holds every ancestor of
/// every pointer wanted, so a subtree whose pointer is not in it is skipped without decoding).
struct Walker<'w, P> {
    wanted: &'w HashSet<&'w str>,
    pointer: String,
    frames: Vec<Frame<P>>,
    /// Collections being skipped (open, not yet closed).
    skip: usize,
    found: HashMap<String, Found<P>>,
    done: bool,
}

/// A node as the walk records it, in the format's own positions (its end once it closes).
struct Found<P> {
    key: Option<(P, P)>,
    start: P,
    end: Option<P>,
    collection: bool,
}

struct Frame<P> {
    map: bool,
    index: usize,
    /// In a mapping: the key read and awaiting its value.
    key: Option<(String, P, P)>,
    /// The pointer's length before this collection's own segment.
    parent_len: usize,
    recorded: bool,
}

impl<'w, P: Copy> Walker<'w, P> {
    fn new(wanted: &'w HashSet<&'w str>) -> Self {
        Walker { wanted, pointer: String::new(), frames: Vec::new(), skip: 0, found: HashMap::new(), done: false }
    }

    /// Appends the segment of the node about to start; `None` when the node is a mapping key.
    fn enter(&mut self, key_of: impl FnOnce() -> Option<String>, start: P, end: P) -> Option<(usize, Option<(P, P)>)> {
        let parent_len = self.pointer.len();
        match self.frames.last_mut() {
            None => Some((parent_len, None)),
            Some(f) if f.map => match f.key.take() {
                None => {
                    f.key = Some((key_of().unwrap_or_default(), start, end));
                    None
                }
                Some((key, ks, ke)) => {
                    self.pointer.push('/');
                    for c in key.chars() {
                        match c {
                            '~' => self.pointer.push_str("~0"),
                            '/' => self.pointer.push_str("~1"),
                            c => self.pointer.push(c),
                        }
                    }
                    Some((parent_len, Some((ks, ke))))
                }
            },
            Some(f) => {
                use std::fmt::Write as _;
                let _ = write!(self.pointer, "/{}", f.index);
                f.index += 1;
                Some((parent_len, None))
            }
        }
    }

    fn event(&mut self, event: Event<'_, P>) {
        if self.done {
            return;
        }
        if self.skip > 0 {
            match event {
                Event::Open(..) => self.skip += 1,
                Event::Close(_) => self.skip -= 1,
                Event::Scalar(..) => {}
            }
            return;
        }
        match event {
            Event::Scalar(key, start, end) => {
                let Some((parent_len, key_span)) = self.enter(|| Some(key.text()), start, end) else { return };
                if self.wanted.contains(self.pointer.as_str()) {
                    self.found.insert(self.pointer.clone(), Found { key: key_span, start, end: Some(end), collection: false });
                }
                self.pointer.truncate(parent_len);
                self.done = self.frames.is_empty();
            }
            Event::Open(map, start) => {
                // A collection as a mapping key (YAML `? [a, b]`): the walk cannot name what
                // follows, so the key is skipped and its value keyed `""`.
                let Some((parent_len, key_span)) = self.enter(|| None, start, start) else {
                    self.skip = 1;
                    return;
                };
                if !self.wanted.contains(self.pointer.as_str()) {
                    self.pointer.truncate(parent_len);
                    self.skip = 1;
                    return;
                }
                self.found.insert(self.pointer.clone(), Found { key: key_span, start, end: None, collection: true });
                self.frames.push(Frame { map, index: 0, key: None, parent_len, recorded: true });
            }
            Event::Close(end) => {
                if let Some(f) = self.frames.pop() {
                    if f.recorded {
                        if let Some(node) = self.found.get_mut(self.pointer.as_str()) {
                            node.end = Some(end);
                        }
                    }
                    self.pointer.truncate(f.parent_len);
                }
                self.done = self.frames.is_empty();
            }
        }
    }
}

fn json_nodes(text: &str, wanted: &HashSet<&str>, lines: &LineIndex) -> HashMap<String, Node> {
    let mut walker = Walker::new(wanted);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && !walker.done {
        match bytes[i] {
            b'{' | b'[' => {
                walker.event(Event::Open(bytes[i] == b'{', i));
                i += 1;
            }
            b'}' | b']' => {
                walker.event(Event::Close(i + 1));
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                walker.event(Event::Scalar(Key::Json(text.get(start..i).unwrap_or("\"\"")), start, i));
            }
            b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b',' | b':' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'{' | b'[') {
                    i += 1;
                }
                walker.event(Event::Scalar(Key::Raw(text.get(start..i).unwrap_or_default()), start, i));
            }
        }
    }
    let pos = |o: usize| lines.pos(text, o);
    walker
        .found
        .into_iter()
        .map(|(p, f)| {
            (p, Node { key: f.key.map(|(a, b)| (pos(a), pos(b))), collection: f.collection, start: pos(f.start), end: pos(f.end.unwrap_or(f.start)) })
        })
        .collect()
}

fn yaml_nodes(text: &str, wanted: &HashSet<&str>) -> HashMap<String, Node> {
    use saphyr_parser::{Event as Y, Parser, ScalarStyle};
    let mut walker = Walker::new(wanted);
    let pos = |m: saphyr_parser::Marker| Pos { line: m.line(), col: m.col() };
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let (start, end) = (pos(span.start), pos(span.end));
        match event {
            Y::MappingStart(..) => walker.event(Event::Open(true, start)),
            Y::SequenceStart(..) => walker.event(Event::Open(false, start)),
            Y::MappingEnd | Y::SequenceEnd => walker.event(Event::Close(end)),
            Y::Scalar(value, style, ..) => walker.event(Event::Scalar(Key::Yaml(value, style == ScalarStyle::Plain), start, end)),
            Y::Alias(_) => walker.event(Event::Scalar(Key::Raw("*"), start, end)),
            Y::StreamEnd | Y::DocumentEnd => break,
            _ => {}
        }
        if walker.done {
            break;
        }
    }
    walker.found.into_iter().map(|(p, f)| (p, Node { key: f.key, collection: f.collection, start: f.start, end: f.end.unwrap_or(f.start) })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(line, column, end_line, end_column, excerpt)` of each pointer.
    fn at(name: &str, text: &str, pointer: &str) -> Option<(usize, usize, usize, usize, String)> {
        let source = Source::new(name, text);
        source.locate([pointer]).get(pointer).map(|(s, e)| (s.line, s.column, s.end_line, s.end_column, e.text.clone()))
    }

    fn slice(text: &str, pointer: &str, name: &str) -> String {
        let (line, col, end_line, end_col, _) = at(name, text, pointer).unwrap_or_else(|| panic!("{pointer} located"));
        assert_eq!(line, end_line, "{pointer}");
        text.lines().nth(line - 1).unwrap_or_default().chars().skip(col - 1).take(end_col - col).collect()
    }

    #[test]
    fn json_pointers_with_escapes_and_arrays() {
        let text = "{\n  \"paths\": {\n    \"/pets/{id}\": {\"get\": {\"tags\": [\"a\", \"b\"]}},\n    \"a~b\": 1,\n    \"q\\\"uote\\u0041\": [1, {\"x\": null}]\n  }\n}\n";
        assert_eq!(slice(text, "/paths/~1pets~1{id}/get/tags/1", "x.json"), "\"b\"");
        assert_eq!(slice(text, "/paths/a~0b", "x.json"), "1");
        assert_eq!(slice(text, "/paths/q\"uoteA/1/x", "x.json"), "null");
        assert_eq!(slice(text, "/paths/q\"uoteA/1", "x.json"), "{\"x\": null}");
        // A multi-line value shows its key.
        assert_eq!(slice(text, "/paths", "x.json"), "\"paths\"");
        assert_eq!(at("x.json", text, "/paths/a~0b").map(|s| (s.0, s.1)), Some((4, 12)));
    }

    #[test]
    fn missing_pointers_fall_back_to_the_nearest_ancestor() {
        let text = "{\"a\": {\"b\": [true]}}";
        assert_eq!(at("x.json", text, "/a/b/7/c"), at("x.json", text, "/a/b"));
        assert_eq!(slice(text, "/a/missing", "x.json"), "\"a\"");
        let yaml = "a:\n  b: 1\n";
        assert_eq!(slice(yaml, "/a/c", "x.yaml"), "a");
        // The root of a multi-line document is its first line.
        assert_eq!(at("x.yaml", yaml, "").map(|s| (s.0, s.1)), Some((1, 1)));
    }

    #[test]
    fn yaml_block_and_nested_flow() {
        let text = "components:\n  schemas:\n    Pet:\n      type: object\n      required: [foo, {x: [1, \"two\"]}]\n      'a/b': {c: d}\n    \"200\": ok\n";
        assert_eq!(at("x.yaml", text, "/components/schemas/Pet/required/0").map(|s| (s.0, s.1, s.3)), Some((5, 18, 21)));
        assert_eq!(slice(text, "/components/schemas/Pet/required/1/x/1", "x.yaml"), "\"two\"");
        assert_eq!(slice(text, "/components/schemas/Pet/a~1b/c", "x.yaml"), "d");
        // A collection on one line shows its key; an array item has none, so shows itself.
        assert_eq!(slice(text, "/components/schemas/Pet/a~1b", "x.yaml"), "'a/b'");
        assert_eq!(slice(text, "/components/schemas/Pet/required/1", "x.yaml"), "{x: [1, \"two\"]}");
        assert_eq!(slice(text, "/components/schemas/Pet", "x.yaml"), "Pet");
        assert_eq!(slice(text, "/components/schemas/200", "x.yaml"), "ok");
        assert_eq!(at("x.yaml", text, "/components/schemas/Pet/type").map(|s| s.4), Some("      type: object".to_string()));
    }

    #[test]
    fn yaml_keys_read_as_the_loader_reads_them() {
        let text = "responses:\n  200:\n    description: ok\n  ~: nothing\n";
        assert_eq!(slice(text, "/responses/200/description", "x.yaml"), "ok");
        assert_eq!(slice(text, "/responses/null", "x.yaml"), "nothing");
    }

    #[test]
    fn columns_count_characters() {
        let text = "{\"é\": \"ü\", \"k\": 1}";
        assert_eq!(at("x.json", text, "/k").map(|s| (s.1, s.3)), Some((17, 18)), "characters, not bytes (bytes would be 19)");
        let yaml = "é: {k: 1}\n";
        assert_eq!(at("x.yaml", yaml, "/é/k").map(|s| (s.1, s.3)), Some((8, 9)));
    }

    #[test]
    fn parse_error_positions() {
        let source = Source::new("x.json", "{\n  \"é\": tru\n}");
        let (span, excerpt) = source.at_line_byte(2, 9);
        assert_eq!((span.line, span.column, excerpt.text.as_str()), (2, 8, "  \"é\": tru"), "byte column 9 is the 8th character");
        assert_eq!(source.at_offset(10_000).0.line, 3, "clamped to the end");
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let text = format!("{{\"pad\": \"{}\", \"k\": 12345}}", "x".repeat(10_000));
        let source = Source::new("x.json", text.as_str());
        let found = source.locate(["/k"]);
        let (span, excerpt) = found.get("/k").expect("located");
        assert!(excerpt.text.chars().count() < 200, "{}", excerpt.text.len());
        let offset = span.column - excerpt.first_column;
        assert_eq!(excerpt.text.chars().skip(offset).take(5).collect::<String>(), "12345");
    }

    #[test]
    fn many_pointers_one_pass_and_garbage_never_panics() {
        let mut text = String::from("{\"items\": [");
        for i in 0..2_000 {
            text.push_str(&format!("{}{{\"n\": {i}}}\n", if i > 0 { "," } else { "" }));
        }
        text.push_str("]}");
        let pointers: Vec<String> = (0..2_000).map(|i| format!("/items/{i}/n")).collect();
        let source = Source::new("x.json", text.as_str());
        let found = source.locate(pointers.iter().map(String::as_str));
        assert_eq!(found.len(), 2_000);
        assert_eq!(found["/items/1999/n"].0.line, 2_000);
        for garbage in ["", "{", "}}]]", "\"", "{\"a\": [1, 2", "a: [", "- - - ]"] {
            let _ = Source::new("x.json", garbage).locate(["/a/0"]);
            let _ = Source::new("x.yaml", garbage).locate(["/a/0"]);
        }
    }
}
