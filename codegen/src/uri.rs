//! Base URIs and `$ref` resolution by JSON Schema's rules: every loaded file has a base URI (a
//! private `file:` URI for its place in the spec's folder), `$id` changes the base below it and
//! names a resource, `$anchor` (and `$dynamicAnchor`, and draft 7's `$id: "#name"`) names a
//! location. A reference resolves against the base where it is written, to an indexed resource
//! or anchor, or to a file of the spec's folder tree, or to a document the user mapped to a local
//! file (`Options::uri_map`); nothing else (no network, no absolute paths, nothing outside the
//! folder or the mapped folders). `$dynamicAnchor`s are also kept per resource, for `$dynamicRef`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

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
    /// Every `$dynamicAnchor`: (the resource declaring it, its name) -> where it is.
    dynamic_anchors: BTreeMap<(Location, String), Location>,
    /// The root of every schema resource (a file's root or an object with `$id`), per file.
    resource_roots: BTreeMap<String, BTreeSet<String>>,
    /// URI prefix -> local folder or file (`Options::uri_map`), longest prefix first.
    map: Vec<(String, PathBuf)>,
    /// Keys of the loaded mapped documents (their retrieval URIs, which are also their bases).
    mapped: BTreeSet<String>,
    /// The base URI an OpenAPI 3.2 document's `$self` sets, per file.
    selves: BTreeMap<String, Url>,
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
    /// For a document of the URI map not loaded yet: the local file it is read from.
    pub mapped: Option<PathBuf>,
}

/// The base URI an OpenAPI 3.2 `$self` (a URI reference, resolved against the file's own place)
/// gives the file `file`; `None` when it has a fragment or does not parse.
pub fn self_base(file: &str, self_uri: &str) -> Option<Url> {
    if self_uri.contains('#') {
        return None;
    }
    file_base(file)?.join(self_uri).ok()
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
    /// Sets the URI map (`Options::uri_map`): a URI under a prefix names the file at the rest of
    /// it inside the mapped folder (or, for a file, the URI itself names it).
    pub fn set_map(&mut self, map: &[(String, PathBuf)]) {
        let mut map: Vec<(String, PathBuf)> =
            map.iter().map(|(prefix, local)| (Url::parse(prefix).map_or_else(|_| prefix.clone(), |u| u.to_string()), local.clone())).collect();
        map.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        self.map = map;
    }

    /// The local file a URI (without fragment) names through the URI map, and the mapped folder
    /// or file that confines it; `None` when no prefix maps it or the rest would leave the folder.
    pub fn mapped_path(&self, uri: &str) -> Option<(PathBuf, PathBuf)> {
        for (prefix, local) in &self.map {
            let Some(rest) = uri.strip_prefix(prefix.as_str()) else { continue };
            if rest.is_empty() {
                return Some((local.clone(), local.clone()));
            }
            // The prefix ends where a path segment (or a URN's name part) does.
            if !(prefix.ends_with(['/', ':']) || rest.starts_with('/')) || rest.contains(['?', '#']) {
                continue;
            }
            let rel = crate::load::confined(&crate::load::percent_decode(rest.trim_start_matches('/')))?;
            return Some((local.join(rel), local.clone()));
        }
        None
    }

    /// Indexes one file.
    pub fn add_file(&mut self, file: &str, doc: &Value) {
        // OpenAPI 3.2: `$self` is the document's base URI, and names the document.
        if let Some(base) = doc.get("$self").and_then(Value::as_str).and_then(|s| self_base(file, s)) {
            self.resources.entry(without_fragment(&base)).or_insert_with(|| Location::new(file, ""));
            self.selves.insert(file.to_string(), base);
        }
        if let Some(base) = self.base_of(file) {
            self.resource_roots.entry(file.to_string()).or_default().insert(String::new());
            let root = Location::new(file, "");
            self.walk(&root, doc, &base, &root, 0);
        }
    }

    /// Indexes a document of the URI map, keyed (and based) by its retrieval URI.
    pub fn add_mapped(&mut self, uri: &str, doc: &Value) {
        self.mapped.insert(uri.to_string());
        self.add_file(uri, doc);
    }

    /// The base URI of a loaded file: its retrieval URI for a mapped document, else its place
    /// under the spec's private base.
    fn base_of(&self, file: &str) -> Option<Url> {
        if let Some(base) = self.selves.get(file) {
            return Some(base.clone());
        }
        if self.mapped.contains(file) { Url::parse(file).ok() } else { file_base(file) }
    }

    /// The spec file a URI names by a `$self` correspondence: a URI beside (or below) the
    /// `$self` of a loaded document names the file at the same place beside that document
    /// (`https://example.com/api/openapi.yaml` in `openapi.yaml` makes
    /// `https://example.com/api/schemas/pet.yaml` the file `schemas/pet.yaml`).
    fn self_file(&self, uri: &Url) -> Option<String> {
        let wanted = without_fragment(uri);
        self.selves.iter().find_map(|(file, base)| {
            let dir = base.join(".").ok()?;
            let rest = wanted.strip_prefix(dir.as_str())?;
            file_of(&file_base(file)?.join(".").ok()?.join(rest).ok()?)
        })
    }

    /// The root of the schema resource `loc` is in: the nearest enclosing object with `$id`
    /// (itself included), else its file's root.
    pub fn resource_of(&self, loc: &Location) -> Location {
        let roots = self.resource_roots.get(&loc.file);
        let mut pointer = loc.pointer.as_str();
        loop {
            if roots.is_some_and(|r| r.contains(pointer)) || pointer.is_empty() {
                return Location::new(loc.file.clone(), pointer);
            }
            pointer = pointer.rfind('/').map_or("", |i| &pointer[..i]);
        }
    }

    /// The schema with `$dynamicAnchor: name` that the resource rooted at `resource` declares.
    pub fn dynamic_anchor(&self, resource: &Location, name: &str) -> Option<&Location> {
        self.dynamic_anchors.get(&(resource.clone(), name.to_string()))
    }

    fn walk(&mut self, loc: &Location, v: &Value, base: &Url, resource: &Location, depth: usize) {
        if depth > crate::load::MAX_DEPTH {
            return;
        }
        match v {
            Value::Object(o) => {
                let mut base = base.clone();
                let mut resource = resource.clone();
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
                                self.resource_roots.entry(loc.file.clone()).or_default().insert(loc.pointer.clone());
                                resource = loc.clone();
                            }
                        }
                    }
                }
                for key in ["$anchor", "$dynamicAnchor"] {
                    if let Some(Value::String(name)) = o.get(key) {
                        self.anchors.entry(format!("{}#{name}", without_fragment(&base))).or_insert_with(|| loc.clone());
                    }
                }
                if let Some(Value::String(name)) = o.get("$dynamicAnchor") {
                    self.dynamic_anchors.entry((resource.clone(), name.clone())).or_insert_with(|| loc.clone());
                }
                for (k, x) in o {
                    if matches!(x, Value::Object(_) | Value::Array(_)) && !DATA.contains(&k.as_str()) {
                        self.walk(&loc.join(k), x, &base, &resource, depth + 1);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.walk(&loc.index(i), x, base, resource, depth + 1);
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
        let base = self.base_at(from, doc, own_id).ok_or_else(refused)?;
        let (path_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        // An absolute path is refused where it would name a file; under an `$id` with another
        // scheme (`https://example.com/a.json`) it names a URI like any other reference.
        if path_part.contains('\\') || (path_part.starts_with('/') && base.scheme() == "file") {
            return Err(refused());
        }
        let resource = if path_part.is_empty() { base.clone() } else { base.join(path_part).map_err(|_| refused())? };
        let key = without_fragment(&resource);
        let mut mapped = None;
        let (rfile, rpointer) = match self.resources.get(&key) {
            Some(at) => (at.file.clone(), at.pointer.clone()),
            None if self.mapped.contains(&key) => (key.clone(), String::new()),
            None => match file_of(&resource).or_else(|| self.self_file(&resource)) {
                Some(f) => (f, String::new()),
                None => match self.mapped_path(&key) {
                    Some((local, _)) => {
                        mapped = Some(local);
                        (key.clone(), String::new())
                    }
                    None => match relative_file(file, path_part).filter(|_| !self.mapped.contains(file)) {
                        Some(f) => (f, String::new()),
                        None if resource.scheme() == "file" => {
                            return Err(format!("refused reference `{reference}`: it leaves the spec's folder tree (`--spec-root` widens it)"));
                        }
                        None => return Err(refused()),
                    },
                },
            },
        };
        let fragment = crate::load::percent_decode(fragment);
        if fragment.is_empty() || fragment.starts_with('/') {
            let from_root = (!rpointer.is_empty()).then(|| fragment.clone());
            return Ok(Target { file: rfile, pointer: format!("{rpointer}{fragment}"), from_root, mapped });
        }
        if mapped.is_some() {
            // Not loaded yet: the loader reads it, and the anchor resolves once it is indexed.
            return Ok(Target { file: rfile, pointer: String::new(), from_root: None, mapped });
        }
        match self.anchors.get(&format!("{key}#{fragment}")) {
            Some(at) => Ok(Target { file: at.file.clone(), pointer: at.pointer.clone(), from_root: None, mapped: None }),
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

impl Index {
    /// The base URI in effect at `at` (in the file `doc`): the file's, changed by every `$id` on
    /// the way down (and by the object's own, when `own_id`).
    fn base_at(&self, at: &Location, doc: &Value, own_id: bool) -> Option<Url> {
        let apply = |base: &mut Url, v: &Value| -> Option<()> {
            if let Some(Value::String(id)) = v.get("$id") {
                if !id.starts_with('#') {
                    *base = base.join(id).ok()?;
                }
            }
            Some(())
        };
        let mut base = self.base_of(&at.file)?;
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
}

fn without_fragment(u: &Url) -> String {
    let mut u = u.clone();
    u.set_fragment(None);
    u.to_string()
}
