//! Loading: reads the root document and every file its `$ref`s reach (JSON or YAML), confined to the spec's folder tree.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::source::Source;

/// Deepest nesting of a document accepted (deeper input is an error, never a stack overflow).
pub const MAX_DEPTH: usize = 120;
/// Largest single file read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Deepest YAML flow-collection nesting the pre-scan lets through to the parser (which stops at
/// its own, lower, limit; the scan guards the parser's time, not the result).
pub const MAX_YAML_FLOW_SCAN: usize = 1_000;
/// Most files one spec may span.
pub const MAX_FILES: usize = 20_000;

/// Every document of one spec, keyed by its path relative to the root document's folder (a
/// document of the URI map is keyed by its retrieval URI).
#[derive(Debug, Clone)]
pub struct Documents {
    /// The root document's key in `docs`.
    pub root: String,
    docs: BTreeMap<String, Value>,
    /// `$id` resources and anchors of every file.
    index: crate::uri::Index,
    /// Referenced files that could not be read or parsed, with the reason.
    failures: BTreeMap<String, String>,
    /// The text of each file read from text (none for in-memory values), for positions.
    sources: BTreeMap<String, Source>,
}

impl Documents {
    /// Loads the root document at `path` and every file reachable through relative `$ref`s.
    /// Returns `None` when the root cannot be read (the reason is in `diags`).
    pub fn load(path: &Path, diags: &mut Diagnostics) -> Option<Documents> {
        Documents::load_within(path, None, diags)
    }

    /// [`Documents::load`] with the folder that confines every file reference: `spec_root`
    /// (which must contain the root document), or the root document's own folder when `None`.
    /// Files are then keyed, and located in diagnostics, relative to that folder, so a root
    /// document in a sub-folder can reach sibling folders (`namespaces/core.yaml` ->
    /// `../schemas/common.yaml`).
    pub fn load_within(path: &Path, spec_root: Option<&Path>, diags: &mut Diagnostics) -> Option<Documents> {
        Documents::load_mapped(path, spec_root, &[], diags)
    }

    /// [`Documents::load_within`] with a URI map (`Options::uri_map`): a reference to a URI under
    /// a mapped prefix reads the local file it maps to (confined to the mapped folder), as a
    /// document of the spec whose base URI is that URI.
    pub fn load_mapped(path: &Path, spec_root: Option<&Path>, uri_map: &[(String, PathBuf)], diags: &mut Diagnostics) -> Option<Documents> {
        let (dir, root) = match spec_root {
            None => (path.parent().map(Path::to_path_buf).unwrap_or_default(), path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
            Some(boundary) => {
                let canon = |p: &Path| std::fs::canonicalize(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()));
                let inside = canon(boundary).and_then(|b| canon(path).map(|p| (b, p))).and_then(|(b, p)| match p.strip_prefix(&b) {
                    Ok(rel) => Ok((b.clone(), rel.to_string_lossy().replace('\\', "/"))),
                    Err(_) => Err(format!("the spec root `{}` does not contain the spec `{}`", boundary.display(), path.display())),
                });
                match inside {
                    Ok(found) => found,
                    Err(e) => {
                        diags.error(Location::new(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), ""), e);
                        return None;
                    }
                }
            }
        };
        let (value, text) = match read_document(&dir, &root, true, diags) {
            Ok(v) => v,
            Err(f) => {
                diags.error_at(Location::new(root, ""), f.at, f.message);
                return None;
            }
        };
        let mut this =
            Documents { root: root.clone(), docs: BTreeMap::new(), index: crate::uri::Index::default(), failures: BTreeMap::new(), sources: BTreeMap::new() };
        if let Some(text) = text {
            this.sources.insert(root.clone(), Source::new(&root, text));
        }
        this.index.set_map(uri_map);
        let mut queue = Vec::new();
        collect_refs(&value, &Location::new(root.clone(), ""), &mut queue);
        this.index.add_file(&root, &value);
        this.docs.insert(root, value);
        this.crawl(Some(&dir), queue, diags);
        this.inline_text_files();
        Some(this)
    }

    /// Loads every document of the URI map (`Options::uri_map`) that the references of these
    /// documents reach (for in-memory specs, see [`Documents::from_map`]); nothing else is read.
    pub fn map_uris(&mut self, uri_map: &[(String, PathBuf)], diags: &mut Diagnostics) {
        self.index.set_map(uri_map);
        let mut queue = Vec::new();
        for (file, doc) in &self.docs {
            collect_refs(doc, &Location::new(file.clone(), ""), &mut queue);
        }
        self.crawl(None, queue, diags);
    }

    /// Follows queued references to documents not loaded yet: files of the spec's folder `dir`
    /// (when given) and documents of the URI map.
    fn crawl(&mut self, dir: Option<&Path>, mut queue: Vec<(Location, String)>, diags: &mut Diagnostics) {
        while let Some((from, reference)) = queue.pop() {
            let Some(doc) = self.docs.get(&from.file) else { continue };
            let target = match self.index.resolve(&from, doc, &reference, true) {
                Ok(t) => t,
                Err(_) => continue, // reported where the ref is used
            };
            if self.docs.contains_key(&target.file) {
                continue;
            }
            if self.docs.len() >= MAX_FILES {
                diags.error(from, format!("the spec spans more than {MAX_FILES} files; split it or raise the limit"));
                break;
            }
            let read = match (&target.mapped, dir) {
                (Some(_), _) => read_mapped(&self.index, &target.file).map(|(v, name, text)| (v, Some((name, text)))),
                (None, Some(dir)) => {
                    read_document(dir, &target.file, false, diags).map(|(v, text)| (v, text.map(|t| (target.file.clone(), t)))).map_err(|f| f.message)
                }
                (None, None) => continue,
            };
            let value = match read {
                Ok((v, text)) => {
                    if let Some((syntax, text)) = text {
                        self.sources.insert(target.file.clone(), Source::new(&syntax, text));
                    }
                    v
                }
                Err(e) => {
                    // Not an error by itself: each reference to it degrades what it stands for,
                    // with this reason (see `resolve_ref`).
                    self.failures.insert(target.file.clone(), e);
                    self.docs.insert(target.file.clone(), Value::Null);
                    continue;
                }
            };
            collect_refs(&value, &Location::new(target.file.clone(), ""), &mut queue);
            if target.mapped.is_some() {
                self.index.add_mapped(&target.file, &value);
            } else {
                self.index.add_file(&target.file, &value);
            }
            self.docs.insert(target.file, value);
        }
    }

    /// Replaces every `{"$ref": "notes.md"}` that names a text file (read as a string, see
    /// `read_document`) with that text, as bundlers do, so a `description` kept in a Markdown
    /// file reads as one.
    fn inline_text_files(&mut self) {
        let texts: BTreeMap<&String, &Value> = self.docs.iter().filter(|(_, v)| v.is_string()).collect();
        if texts.is_empty() {
            return;
        }
        let mut found = Vec::new();
        for (file, doc) in &self.docs {
            let mut stack = vec![(Location::new(file.clone(), ""), doc, 0usize)];
            while let Some((loc, v, depth)) = stack.pop() {
                match v {
                    Value::Object(o) => {
                        if let (1, Some(Value::String(r))) = (o.len(), o.get("$ref")) {
                            if let Ok((target, Value::String(text))) = self.resolve(&loc, r) {
                                if target.pointer.is_empty() && texts.contains_key(&target.file) {
                                    found.push((loc.clone(), text.clone()));
                                }
                            }
                        }
                        if depth < MAX_DEPTH {
                            stack.extend(o.iter().map(|(k, x)| (loc.join(k), x, depth + 1)));
                        }
                    }
                    Value::Array(a) if depth < MAX_DEPTH => stack.extend(a.iter().enumerate().map(|(i, x)| (loc.index(i), x, depth + 1))),
                    _ => {}
                }
            }
        }
        for (loc, text) in found {
            if let Some(slot) = self.docs.get_mut(&loc.file).and_then(|d| d.pointer_mut(&loc.pointer)) {
                *slot = Value::String(text);
            }
        }
    }

    /// Builds a single-document spec from an in-memory value (used by tests and tools).
    pub fn from_value(name: &str, value: Value) -> Documents {
        let mut docs = BTreeMap::new();
        docs.insert(name.to_string(), value);
        Documents::from_map(name, docs)
    }

    /// Builds a multi-document spec from in-memory values keyed by relative path; `root` names
    /// the root document. References between them resolve as between files.
    pub fn from_map(root: &str, docs: BTreeMap<String, Value>) -> Documents {
        let mut index = crate::uri::Index::default();
        for (file, doc) in &docs {
            index.add_file(file, doc);
        }
        Documents { root: root.to_string(), docs, index, failures: BTreeMap::new(), sources: BTreeMap::new() }
    }

    /// Builds a single-document spec from its text (`name` picks the parser by extension, as
    /// [`parse_text`] does); diagnostics then get line and column. `Err` says why it does not parse.
    pub fn from_text(name: &str, text: &str) -> Result<Documents, String> {
        Documents::from_text_located(name, text).map_err(|f| f.message)
    }

    pub(crate) fn from_text_located(name: &str, text: &str) -> Result<Documents, ParseFailure> {
        let value = parse_located(name, text)?;
        let mut docs = Documents::from_value(name, value);
        docs.sources.insert(name.to_string(), Source::new(name, text));
        Ok(docs)
    }

    /// Fills in the span and excerpt of every diagnostic whose file was read from text: one walk
    /// over each file that has diagnostics, however many it has.
    pub fn locate(&self, diags: &mut [Diagnostic]) {
        let mut by_file: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, d) in diags.iter().enumerate() {
            if d.span.is_none() && self.sources.contains_key(&d.location.file) {
                by_file.entry(d.location.file.as_str()).or_default().push(i);
            }
        }
        let mut found = Vec::new();
        for (file, items) in by_file {
            let spans = self.sources[file].locate(items.iter().map(|&i| diags[i].location.pointer.as_str()));
            found.extend(items.iter().filter_map(|&i| spans.get(diags[i].location.pointer.as_str()).map(|s| (i, s.clone()))));
        }
        for (i, (span, excerpt)) in found {
            diags[i].span = Some(span);
            diags[i].excerpt = Some(excerpt);
        }
    }

    /// The root document.
    pub fn root_value(&self) -> &Value {
        &self.docs[&self.root]
    }

    /// The value at a location, if the file was loaded and the pointer exists.
    pub fn get(&self, file: &str, pointer: &str) -> Option<&Value> {
        self.docs.get(file)?.pointer(pointer)
    }

    /// The root of the schema resource that `loc` is in (see [`crate::uri::Index::resource_of`]).
    pub fn resource_of(&self, loc: &Location) -> Location {
        self.index.resource_of(loc)
    }

    /// The schema with `$dynamicAnchor: name` that the resource rooted at `resource` declares.
    pub fn dynamic_anchor(&self, resource: &Location, name: &str) -> Option<&Location> {
        self.index.dynamic_anchor(resource, name)
    }

    /// Resolves `reference` (as written in the object at `from`) to a location holding a value,
    /// by JSON Schema 2020-12's rules (the object's own `$id` sets the base of its `$ref`).
    pub fn resolve(&self, from: &Location, reference: &str) -> Result<(Location, &Value), String> {
        self.resolve_ref(from, reference, true)
    }

    /// [`Documents::resolve`]; `own_id: false` for dialects that ignore the siblings of `$ref`
    /// (draft 7, OpenAPI 3.0), whose `$id` then does not apply to it.
    pub fn resolve_ref(&self, from: &Location, reference: &str, own_id: bool) -> Result<(Location, &Value), String> {
        self.resolve_bounded(from, reference, own_id, 0)
    }

    /// A value written as `{"$ref": ...}` in place of a map or list (`components/schemas`,
    /// `paths`, a parameter list), followed to what it names (up to 32 links); the value itself
    /// when it is no such reference. `Err` says why a reference there leads nowhere.
    pub fn follow<'d>(&'d self, loc: &Location, value: &'d Value) -> Result<(Location, &'d Value), String> {
        let (mut loc, mut value) = (loc.clone(), value);
        for _ in 0..32 {
            match value.as_object().filter(|o| o.len() == 1).and_then(|o| o.get("$ref")).and_then(Value::as_str) {
                Some(r) => (loc, value) = self.resolve(&loc, r)?,
                None => return Ok((loc, value)),
            }
        }
        Err("reference chain is cyclic or longer than 32 links".into())
    }

    /// A pointer that passes through `$ref`s (`other.yaml#/components/schemas/Pet/properties/id`
    /// where `Pet` is itself a `$ref`), resolved by following each reference on the way, as
    /// bundlers do. `None` when it leads nowhere even so.
    fn pointer_through_refs(&self, file: &str, pointer: &str, depth: usize) -> Option<(Location, &Value)> {
        let mut loc = Location::new(file, "");
        let mut value = self.docs.get(file)?;
        for seg in Location::new(file, pointer).segments() {
            let mut hops = 0;
            loop {
                let child = match value {
                    Value::Object(o) => o.get(seg.as_str()),
                    Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                };
                if let Some(child) = child {
                    loc = match value {
                        Value::Array(_) => loc.index(seg.parse().unwrap_or_default()),
                        _ => loc.join(&seg),
                    };
                    value = child;
                    break;
                }
                let reference = value.get("$ref").and_then(Value::as_str)?;
                hops += 1;
                if hops > 32 {
                    return None;
                }
                (loc, value) = self.resolve_bounded(&loc, reference, true, depth + 1).ok()?;
            }
        }
        Some((loc, value))
    }

    fn resolve_bounded(&self, from: &Location, reference: &str, own_id: bool, depth: usize) -> Result<(Location, &Value), String> {
        if depth > 16 {
            return Err(format!("reference `{reference}` passes through more than 16 nested references"));
        }
        let from_doc = self.docs.get(&from.file).ok_or_else(|| format!("`{}` was not loaded", from.file))?;
        let target = self.index.resolve(from, from_doc, reference, own_id)?;
        let doc = self.docs.get(&target.file).ok_or_else(|| format!("`{}` was not loaded", target.file))?;
        if doc.is_null() && target.file != self.root {
            return Err(self.failures.get(&target.file).cloned().unwrap_or_else(|| format!("`{}` could not be read", target.file)));
        }
        if let Some(value) = doc.pointer(&target.pointer) {
            return Ok((Location::new(target.file, target.pointer), value));
        }
        // A spec that gave a schema an `$id` but points from its document's root.
        if let Some(value) = target.from_root.as_deref().and_then(|p| doc.pointer(p)) {
            let pointer = target.from_root.unwrap_or_default();
            return Ok((Location::new(target.file, pointer), value));
        }
        if let Some(found) = self.pointer_through_refs(&target.file, &target.pointer, depth) {
            return Ok(found);
        }
        Err(format!("dangling reference `{reference}`: nothing at `{}#{}`", target.file, target.pointer))
    }
}

/// Extensions read as JSON or YAML documents when a `$ref` names a file.
const DATA_EXTENSIONS: &[&str] = &["json", "yaml", "yml"];

/// Reads one file of the spec. The root document is always parsed; a referenced file whose
/// extension is not JSON or YAML (a Markdown description, a code sample) is its text, as a
/// string value, the way bundlers inline it.
fn read_document(dir: &Path, rel: &str, is_root: bool, diags: &mut Diagnostics) -> Result<(Value, Option<String>), ParseFailure> {
    let path = dir.join(rel);
    match std::fs::metadata(&path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => return Err(format!("`{rel}` is larger than {MAX_FILE_BYTES} bytes").into()),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot read `{rel}`: {e}").into()),
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read `{rel}`: {e}"))?;
    let data = Path::new(rel).extension().is_some_and(|e| DATA_EXTENSIONS.iter().any(|d| e.eq_ignore_ascii_case(d)));
    if !is_root && !data {
        diags.info(Location::new(rel, ""), "not a JSON or YAML file: a reference to it stands for its text (a string)");
        return Ok((Value::String(text), None));
    }
    let value = parse_located(rel, &text).map_err(|f| if is_root { f } else { ParseFailure { message: format!("`{rel}` is {}", f.message), ..f } })?;
    Ok((value, Some(text)))
}

/// Reads a document of the URI map: the local file its URI maps to, which must stay inside the
/// mapped folder once links are followed.
/// Returns the value, the file's name (which picks its syntax) and its text.
fn read_mapped(index: &crate::uri::Index, uri: &str) -> Result<(Value, String, String), String> {
    let (path, boundary) = index.mapped_path(uri).ok_or_else(|| format!("`{uri}` is not mapped to a local file"))?;
    let canon = |p: &Path| std::fs::canonicalize(p).map_err(|e| format!("cannot read `{}` (mapped from `{uri}`): {e}", p.display()));
    let (path, boundary) = (canon(&path)?, canon(&boundary)?);
    if !path.starts_with(&boundary) {
        return Err(format!("`{uri}` maps to `{}`, outside the mapped `{}`", path.display(), boundary.display()));
    }
    match std::fs::metadata(&path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => return Err(format!("`{uri}` is larger than {MAX_FILE_BYTES} bytes")),
        Ok(m) if !m.is_file() => return Err(format!("`{uri}` maps to `{}`, which is not a file", path.display())),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot read `{}` (mapped from `{uri}`): {e}", path.display())),
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read `{}` (mapped from `{uri}`): {e}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let value = parse_text(&name, &text).map_err(|e| format!("`{uri}` is {e}"))?;
    Ok((value, name, text))
}

/// Parses JSON or YAML text (chosen by extension; YAML for anything but `.json`) and checks its depth.
pub fn parse_text(name: &str, text: &str) -> Result<Value, String> {
    parse_located(name, text).map_err(|f| f.message)
}

/// Why a text does not parse, and where when the parser says.
#[derive(Debug)]
pub(crate) struct ParseFailure {
    pub(crate) message: String,
    pub(crate) at: Option<(crate::Span, crate::Excerpt)>,
}

impl From<String> for ParseFailure {
    fn from(message: String) -> Self {
        ParseFailure { message, at: None }
    }
}

/// [`parse_text`] with the error's position in the text.
pub(crate) fn parse_located(name: &str, text: &str) -> Result<Value, ParseFailure> {
    let value: Value = if name.ends_with(".json") {
        serde_json::from_str(text)
            .map_err(|e| ParseFailure { message: format!("not valid JSON: {e}"), at: Some(Source::new(name, text).at_line_byte(e.line(), e.column())) })?
    } else {
        yaml_to_json(text).map_err(|(message, offset)| ParseFailure { message, at: offset.map(|o| Source::new(name, text).at_offset(o)) })?
    };
    if depth(&value, 0) > MAX_DEPTH {
        return Err(format!("document nests deeper than {MAX_DEPTH} levels").into());
    }
    Ok(value)
}

/// Reads YAML straight into JSON values: scalar keys become strings (`200:` is the key
/// `"200"`), integers beyond 64 bits become floats, tags are dropped (the tagged value is kept),
/// and `<<` merge keys are applied.
/// `Err` has the byte offset of the error when known.
fn yaml_to_json(text: &str) -> Result<Value, (String, Option<usize>)> {
    use serde::de::DeserializeSeed;
    // The YAML scanner's cost grows with the square of flow nesting, so a document of brackets
    // would take minutes before the parser's own nesting limit stops it: look first.
    if let Some(line) = flow_nesting_beyond(text, MAX_YAML_FLOW_SCAN) {
        let offset = text.split_inclusive('\n').take(line - 1).map(str::len).sum();
        return Err((format!("flow collections (`[`, `{{`) nest deeper than {MAX_YAML_FLOW_SCAN} levels at line {line}"), Some(offset)));
    }
    let de = yaml_serde::Deserializer::from_str(text);
    let mut value =
        JsonSeed.deserialize(de).map_err(|e| (format!("not valid YAML (or beyond the YAML alias/nesting limits): {e}"), e.location().map(|l| l.index())))?;
    apply_merge_keys(&mut value, 0);
    Ok(value)
}

/// The line at which YAML flow collections (`[...]`, `{...}`) first nest deeper than `limit`,
/// found by a cheap scan that knows quotes, comments and that a `[` inside a plain scalar of
/// block context (`pattern: ^[a-z]`) opens nothing. The parser refuses far shallower nesting
/// anyway (see [`MAX_DEPTH`]); this only keeps the scanner from being fed a bracket bomb.
fn flow_nesting_beyond(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (n, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let mut i = 0;
        // In block context only a `[`/`{` where a node starts opens a collection.
        let mut node_start = true;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'#' if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => break,
                b'"' | b'\'' if depth > 0 || node_start => {
                    // A quoted scalar: skip to its end on this line (a multi-line one is rare
                    // enough that counting its brackets does no harm below the limit).
                    i += 1;
                    while i < bytes.len() {
                        if bytes[i] == b'\\' && b == b'"' {
                            i += 2;
                            continue;
                        }
                        if bytes[i] == b {
                            break;
                        }
                        i += 1;
                    }
                    node_start = false;
                }
                b'[' | b'{' if depth > 0 || node_start => {
                    depth += 1;
                    if depth > limit {
                        return Some(n + 1);
                    }
                }
                b']' | b'}' if depth > 0 => depth -= 1,
                b' ' | b'\t' => {}
                b'-' | b'?' | b':' if depth == 0 => node_start = bytes.get(i + 1).is_none_or(|c| *c == b' ' || *c == b'\t'),
                b',' | b':' if depth > 0 => node_start = true,
                b'&' | b'!' if depth > 0 || node_start => {
                    // An anchor or tag before the node: skip the token, the node starts after it.
                    while i < bytes.len() && bytes[i] != b' ' {
                        i += 1;
                    }
                    continue;
                }
                _ if depth == 0 => {
                    // A plain scalar in block context runs to a `: ` or the end of the line.
                    node_start = false;
                }
                _ => {}
            }
            i += 1;
        }
    }
    None
}

fn apply_merge_keys(v: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(map) => {
            if let Some(merge) = map.remove("<<") {
                let sources = match merge {
                    Value::Array(items) => items,
                    other => vec![other],
                };
                for source in sources {
                    if let Value::Object(src) = source {
                        for (k, val) in src {
                            map.entry(k).or_insert(val);
                        }
                    }
                }
            }
            map.values_mut().for_each(|x| apply_merge_keys(x, depth + 1));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| apply_merge_keys(x, depth + 1)),
        _ => {}
    }
}

struct JsonSeed;

impl<'de> serde::de::DeserializeSeed<'de> for JsonSeed {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

fn float<E: serde::de::Error>(f: f64) -> Result<Value, E> {
    serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| E::custom(format!("number {f} cannot be represented in JSON")))
}

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::from(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::from(u))
    }
    fn visit_i128<E: serde::de::Error>(self, i: i128) -> Result<Value, E> {
        float(i as f64)
    }
    fn visit_u128<E: serde::de::Error>(self, u: u128) -> Result<Value, E> {
        float(u as f64)
    }
    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Value, E> {
        float(f)
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(JsonSeed)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(JsonSeed)? {
            let key = match key {
                Value::String(s) => s,
                Value::Null => "null".to_string(),
                Value::Bool(_) | Value::Number(_) => key.to_string(),
                other => return Err(serde::de::Error::custom(format!("mapping key {other} is not a scalar"))),
            };
            let value = map.next_value_seed(JsonSeed)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use serde::de::VariantAccess;
        // A tagged YAML value (`!tag value`): keep the value.
        let (_tag, variant): (Value, _) = data.variant_seed(JsonSeed)?;
        variant.newtype_variant_seed(JsonSeed)
    }
}

fn depth(v: &Value, at: usize) -> usize {
    if at > MAX_DEPTH {
        return at;
    }
    match v {
        Value::Array(a) => a.iter().map(|x| depth(x, at + 1)).max().unwrap_or(at + 1),
        Value::Object(o) => o.values().map(|x| depth(x, at + 1)).max().unwrap_or(at + 1),
        _ => at,
    }
}

fn collect_refs(v: &Value, loc: &Location, out: &mut Vec<(Location, String)>) {
    match v {
        Value::Object(o) => {
            for key in ["$ref", "$dynamicRef"] {
                if let Some(Value::String(r)) = o.get(key) {
                    if !r.starts_with('#') {
                        out.push((loc.clone(), r.clone()));
                    }
                }
            }
            for (k, x) in o {
                if matches!(x, Value::Object(_) | Value::Array(_)) {
                    collect_refs(x, &loc.join(k), out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_refs(x, &loc.index(i), out);
            }
        }
        _ => {}
    }
}

/// A relative file path made of plain components only (no `..`, no root, no drive), with `/`
/// separators; `None` for anything that would leave the spec's folder tree.
pub(crate) fn confined(path: &str) -> Option<String> {
    let mut out = PathBuf::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let out = out.to_string_lossy().replace('\\', "/");
    (!out.is_empty()).then_some(out)
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(doc: Value, from: &str, reference: &str) -> Result<(String, String), String> {
        let docs =
            Documents::from_map("a/b.yaml", [("a/b.yaml".to_string(), doc), ("a/c.yaml".to_string(), Value::Null), ("c.yaml".to_string(), Value::Null)].into());
        docs.index.resolve(&Location::new("a/b.yaml", from), &docs.docs["a/b.yaml"], reference, true).map(|t| (t.file, t.pointer))
    }

    #[test]
    fn refs_are_confined() {
        let doc = Value::Null;
        assert_eq!(resolve(doc.clone(), "", "c.yaml#/x"), Ok(("a/c.yaml".into(), "/x".into())));
        assert_eq!(resolve(doc.clone(), "", "../c.yaml"), Ok(("c.yaml".into(), String::new())));
        assert!(resolve(doc.clone(), "", "../../c.yaml").is_err());
        assert!(resolve(doc.clone(), "", "..%2F..%2Fc.yaml").is_err());
        assert!(resolve(doc.clone(), "", "https://x/y.yaml").is_err());
        assert!(resolve(doc.clone(), "", "file:///etc/passwd").is_err());
        assert!(resolve(doc.clone(), "", "/etc/passwd").is_err());
        assert_eq!(resolve(doc, "", "#/a%20b"), Ok(("a/b.yaml".into(), "/a b".into())));
    }

    #[test]
    fn ids_and_anchors_resolve_locally() {
        let doc = serde_json::json!({
            "$id": "https://example.com/root.json",
            "$defs": {
                "a": {"$id": "item.json", "$defs": {"x": {"$anchor": "here"}}},
                "b": {"$ref": "item.json#here"},
                "c": {"$id": "#legacy"}
            }
        });
        assert_eq!(resolve(doc.clone(), "/$defs/b", "item.json#here"), Ok(("a/b.yaml".into(), "/$defs/a/$defs/x".into())));
        assert_eq!(resolve(doc.clone(), "/$defs/b", "item.json#/$defs/x"), Ok(("a/b.yaml".into(), "/$defs/a/$defs/x".into())));
        assert_eq!(resolve(doc.clone(), "/$defs/b", "#legacy"), Ok(("a/b.yaml".into(), "/$defs/c".into())));
        assert!(resolve(doc.clone(), "/$defs/b", "#nowhere").is_err());
        // Under an `$id` that names no resource, a relative file reference is still a file.
        assert_eq!(resolve(doc.clone(), "/$defs/b", "../c.yaml"), Ok(("c.yaml".into(), String::new())));
        // A URL no `$id` declares is never fetched.
        assert!(resolve(doc, "/$defs/b", "https://example.com/other.json").is_err());
    }

    #[test]
    fn uri_map_reads_mapped_documents_only_inside_their_folder() {
        let base = std::env::temp_dir().join(format!("codegen-uri-map-{}", std::process::id()));
        let mapped = base.join("mapped");
        std::fs::create_dir_all(mapped.join("sub")).expect("temp folder");
        std::fs::write(mapped.join("sub/money.json"), r#"{"$id": "https://other.example/money", "$defs": {"cents": {"$anchor": "cents", "type": "integer"}}}"#)
            .expect("write");
        std::fs::write(base.join("secret.json"), r#"{"type": "string"}"#).expect("write");
        let doc = serde_json::json!({"$defs": {
            "a": {"$ref": "https://schemas.example/v1/sub/money.json#/$defs/cents"},
            "b": {"$ref": "https://schemas.example/v1/../secret.json"},
            "c": {"$ref": "https://schemas.example/v1/sub/%2E%2E/%2E%2E/secret.json"},
            "d": {"$ref": "https://unmapped.example/money.json"},
            "e": {"$ref": "https://other.example/money#cents"}
        }});
        let mut docs = Documents::from_value("spec.json", doc);
        let mut diags = Diagnostics::new(false);
        docs.map_uris(&[("https://schemas.example/v1/".to_string(), mapped.clone())], &mut diags);
        let at = |name: &str| {
            docs.resolve(
                &Location::new("spec.json", format!("/$defs/{name}")),
                docs.get("spec.json", &format!("/$defs/{name}/$ref")).and_then(Value::as_str).unwrap_or_default(),
            )
        };
        let (loc, value) = at("a").expect("mapped document resolves");
        assert_eq!(
            (loc.file.as_str(), loc.pointer.as_str(), &value["type"]),
            ("https://schemas.example/v1/sub/money.json", "/$defs/cents", &serde_json::json!("integer"))
        );
        // Its own `$id` and anchors are indexed too.
        assert_eq!(at("e").map(|(l, _)| l.pointer), Ok("/$defs/cents".to_string()));
        // `..` (plain, normalised away, or encoded) never leaves the mapped folder, and an unmapped URL is never read.
        assert!(at("b").is_err());
        assert!(at("c").is_err());
        assert!(at("d").is_err());
        assert_eq!(docs.docs.len(), 2, "only the mapped document was read: {:?}", docs.docs.keys().collect::<Vec<_>>());
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn uri_map_prefixes_end_at_a_segment() {
        let mut index = crate::uri::Index::default();
        index.set_map(&[
            ("https://a.example/v1".into(), PathBuf::from("v1")),
            ("urn:example:".into(), PathBuf::from("urns")),
            ("https://a.example/one.json".into(), PathBuf::from("one.json")),
        ]);
        assert_eq!(index.mapped_path("https://a.example/v1/x/y.json").map(|p| p.0), Some(PathBuf::from("v1/x/y.json")));
        assert_eq!(index.mapped_path("https://a.example/v10/y.json"), None);
        assert_eq!(index.mapped_path("urn:example:money.json").map(|p| p.0), Some(PathBuf::from("urns/money.json")));
        assert_eq!(index.mapped_path("https://a.example/one.json").map(|p| p.0), Some(PathBuf::from("one.json")));
        assert_eq!(index.mapped_path("https://a.example/v1/x.json?download=1"), None);
        assert_eq!(index.mapped_path("https://b.example/v1/x.json"), None);
    }

    #[test]
    fn yaml_integer_keys_become_strings() {
        let v = parse_text("x.yaml", "responses:\n  200:\n    description: ok\n").expect("parses");
        assert!(v.pointer("/responses/200/description").is_some());
    }

    #[test]
    fn yaml_edge_cases() {
        let v = parse_text("x.yaml", "big: 18446744073709552000\nbase: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\ntagged: !foo 3\n").expect("parses");
        assert!(v["big"].is_f64());
        assert_eq!(v["derived"]["a"], 1);
        assert_eq!(v["tagged"], 3);
        assert!(parse_text("x.yaml", "a: [").is_err());
    }

    #[test]
    fn yaml_alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        assert!(parse_text("bomb.yaml", &text).is_err());
    }

    #[test]
    fn yaml_bracket_bombs_are_refused_before_parsing() {
        let bomb = format!("openapi: 3.1.0\nx: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
        let start = std::time::Instant::now();
        let err = parse_text("bomb.yaml", &bomb).expect_err("refused");
        assert!(err.contains("line 2"), "{err}");
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        // Brackets in plain and quoted scalars, comments and block scalars open nothing.
        let mut text = String::from("a: {b: [1, 2]}\n");
        for _ in 0..2_000 {
            text.push_str("- pattern: ^[[a-z]\n  q: \"[[\"\n  s: '{{'\n  # [[[\n  t: x, [y\n");
        }
        assert_eq!(flow_nesting_beyond(&text, MAX_YAML_FLOW_SCAN), None);
        assert_eq!(flow_nesting_beyond("a: [[[\n", 2), Some(1));
        assert_eq!(flow_nesting_beyond("a:\n  - &x [[\n", 2), None);
        assert_eq!(flow_nesting_beyond("a:\n  - &x [[[\n", 2), Some(2));
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 5), "]".repeat(MAX_DEPTH + 5));
        assert!(parse_text("x.json", &deep).is_err());
    }
}
