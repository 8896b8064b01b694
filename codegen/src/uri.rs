//! Base URIs and `$ref` resolution by JSON Schema's rules: every loaded file has a base URI (a
//! private `file:` URI for its place in the spec's folder), `$id` changes the base below it and
//! names a resource, `$anchor` (and `$dynamicAnchor`, and draft 7's `$id: "#name"`) names a
//! location. A reference resolves against the base where it is written, to an indexed resource
//! or anchor, or to a file of the spec's folder tree; nothing else (no network, no absolute
//! paths, nothing outside the folder).

use std::collections::BTreeMap;

use serde_json::Value;
use url::Url;

use crate::diagnostics::Location;

/// The private base under which the spec's files live.
const ROOT: &str = "file:///spec/";

/// Keywords whose values are data, not schemas: `$id` inside them names nothing.
const DATA: &[&str] = &["enum", "const", "default", "example", "examples"];

/// Every `$id` resource and anchor of the loaded files.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Absolute URI (no fragment) of each `$id` resource -> where it is.
    resources: BTreeMap<String, Location>,
    /// Absolute URI with `#name` of each anchor -> where it is.
    anchors: BTreeMap<String, Location>,
}

/// Where a reference leads: a file and a JSON pointer in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Key of the file (relative to the root document's folder).
    pub file: String,
    /// JSON pointer inside it.
    pub pointer: String,
    /// The pointer from the document root, when the reference named one inside an `$id`
    /// resource (a fallback for specs that put `$id` on a schema and still point from the root).
    pub from_root: Option<String>,
}

/// The base URI of a file of the spec.
pub fn file_base(file: &str) -> Option<Url> {
    Url::parse(ROOT).ok()?.join(&encode_path(file)).ok()
}

fn encode_path(file: &str) -> String {
    file.chars()
        .map(|c| match c {
            '%' | '#' | '?' | ' ' | '[' | ']' => format!("%{:02X}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// The file a `file:` URI under [`ROOT`] names, if it is one.
fn file_of(url: &Url) -> Option<String> {
    let s = url.as_str();
    let rest = s.strip_prefix(ROOT)?;
    let rest = rest.split(['#', '?']).next().unwrap_or_default();
    crate::load::confined(&crate::load::percent_decode(rest))
}

impl Index {
    /// Indexes one file.
    pub fn add_file(&mut self, file: &str, doc: &Value) {
        if let Some(base) = file_base(file) {
            self.walk(&Location::new(file, ""), doc, &base, 0);
        }
    }

    fn walk(&mut self, loc: &Location, v: &Value, base: &Url, depth: usize) {
        if depth > crate::load::MAX_DEPTH {
            return;
        }
        match v {
            Value::Object(o) => {
                let mut base = base.clone();
                if let Some(Value::String(id)) = o.get("$id") {
                    match id.strip_prefix('#') {
                        // Draft 7: a plain-name `$id` is an anchor.
                        Some(name) if !name.is_empty() && !name.starts_with('/') => {
                            self.anchors.insert(format!("{}#{name}", without_fragment(&base)), loc.clone());
                        }
                        _ => {
                            if let Ok(next) = base.join(id) {
                                base = next;
                                self.resources.entry(without_fragment(&base)).or_insert_with(|| loc.clone());
                            }
                        }
                    }
                }
                for key in ["$anchor", "$dynamicAnchor"] {
                    if let Some(Value::String(name)) = o.get(key) {
                        self.anchors.entry(format!("{}#{name}", without_fragment(&base))).or_insert_with(|| loc.clone());
                    }
                }
                for (k, x) in o {
                    if matches!(x, Value::Object(_) | Value::Array(_)) && !DATA.contains(&k.as_str()) {
                        self.walk(&loc.join(k), x, &base, depth + 1);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.walk(&loc.index(i), x, base, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Resolves `reference` written in the object at `from` (whose file is `doc`).
    /// `own_id`: the object's own `$id` sets the base of its `$ref` (2020-12; draft 7 and
    /// OpenAPI 3.0 ignore the siblings of `$ref`).
    pub fn resolve(&self, from: &Location, doc: &Value, reference: &str, own_id: bool) -> Result<Target, String> {
        let file = from.file.as_str();
        let refused = || {
            format!(
                "refused reference `{reference}`: only files inside the spec's folder and the `$id`s they declare are followed (no network, no absolute paths)"
            )
        };
        let base = base_at(from, doc, own_id).ok_or_else(refused)?;
        let (path_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if path_part.starts_with('/') || path_part.starts_with('\\') || path_part.contains('\\') {
            return Err(refused());
        }
        let resource = if path_part.is_empty() { base.clone() } else { base.join(path_part).map_err(|_| refused())? };
        let key = without_fragment(&resource);
        let (rfile, rpointer) = match self.resources.get(&key) {
            Some(at) => (at.file.clone(), at.pointer.clone()),
            None => match file_of(&resource).or_else(|| relative_file(file, path_part)) {
                Some(f) => (f, String::new()),
                None if resource.scheme() == "file" => return Err(format!("refused reference `{reference}`: it leaves the spec's folder tree (`--spec-root` widens it)")),
                None => return Err(refused()),
            },
        };
        let fragment = crate::load::percent_decode(fragment);
        if fragment.is_empty() || fragment.starts_with('/') {
            let from_root = (!rpointer.is_empty()).then(|| fragment.clone());
            return Ok(Target { file: rfile, pointer: format!("{rpointer}{fragment}"), from_root });
        }
        match self.anchors.get(&format!("{key}#{fragment}")) {
            Some(at) => Ok(Target { file: at.file.clone(), pointer: at.pointer.clone(), from_root: None }),
            None => {
                let place = file_of(&resource).unwrap_or(key);
                Err(format!("reference `{reference}`: no `$anchor` named `{fragment}` in `{place}`"))
            }
        }
    }
}

/// A relative file reference written under an `$id` that names no resource, read as a file of
/// the spec next to the file it is written in (what specs that put `$id` on a schema mean).
fn relative_file(file: &str, path_part: &str) -> Option<String> {
    let scheme = path_part.split_once(':').is_some_and(|(s, _)| !s.contains('/'));
    if path_part.is_empty() || scheme {
        return None;
    }
    file_of(&file_base(file)?.join(path_part).ok()?)
}

/// The base URI in effect at `at` (in the file `doc`): the file's, changed by every `$id` on
/// the way down (and by the object's own, when `own_id`).
fn base_at(at: &Location, doc: &Value, own_id: bool) -> Option<Url> {
    let apply = |base: &mut Url, v: &Value| -> Option<()> {
        if let Some(Value::String(id)) = v.get("$id") {
            if !id.starts_with('#') {
                *base = base.join(id).ok()?;
            }
        }
        Some(())
    };
    let mut base = file_base(&at.file)?;
    let mut v = doc;
    for seg in at.segments() {
        apply(&mut base, v)?;
        v = match v {
            Value::Object(o) => o.get(seg.as_str())?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return Some(base),
        };
    }
    if own_id {
        apply(&mut base, v)?;
    }
    Some(base)
}

fn without_fragment(u: &Url) -> String {
    let mut u = u.clone();
    u.set_fragment(None);
    u.to_string()
}

