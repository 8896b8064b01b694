//! Loading: reads the root document and every file its `$ref`s reach (JSON or YAML), confined to the spec's folder tree.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{Diagnostics, Location};

/// Deepest nesting of a document accepted (deeper input is an error, never a stack overflow).
pub const MAX_DEPTH: usize = 120;
/// Largest single file read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Most files one spec may span.
pub const MAX_FILES: usize = 20_000;

/// Every document of one spec, keyed by its path relative to the root document's folder.
#[derive(Debug)]
pub struct Documents {
    /// The root document's key in `docs`.
    pub root: String,
    docs: BTreeMap<String, Value>,
}

/// A parsed `$ref`: which file, which pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    /// Key of the target file in [`Documents`].
    pub file: String,
    /// JSON pointer inside it (decoded from the URI fragment).
    pub pointer: String,
}

impl Documents {
    /// Loads the root document at `path` and every file reachable through relative `$ref`s.
    /// Returns `None` when the root cannot be read (the reason is in `diags`).
    pub fn load(path: &Path, diags: &mut Diagnostics) -> Option<Documents> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut docs = BTreeMap::new();
        let value = read_document(&dir, &root, diags)?;
        let mut queue = Vec::new();
        collect_refs(&value, &Location::new(root.clone(), ""), &mut queue);
        docs.insert(root.clone(), value);
        while let Some((from, reference)) = queue.pop() {
            let target = match parse_ref(&from.file, &reference) {
                Ok(t) => t,
                Err(_) => continue, // reported where the ref is used
            };
            if docs.contains_key(&target.file) {
                continue;
            }
            if docs.len() >= MAX_FILES {
                diags.error(from, format!("the spec spans more than {MAX_FILES} files; split it or raise the limit"));
                break;
            }
            let Some(value) = read_document(&dir, &target.file, diags) else {
                // Remember the failure so it is reported once.
                docs.insert(target.file.clone(), Value::Null);
                continue;
            };
            collect_refs(&value, &Location::new(target.file.clone(), ""), &mut queue);
            docs.insert(target.file, value);
        }
        Some(Documents { root, docs })
    }

    /// Builds a single-document spec from an in-memory value (used by tests and tools).
    pub fn from_value(name: &str, value: Value) -> Documents {
        let mut docs = BTreeMap::new();
        docs.insert(name.to_string(), value);
        Documents { root: name.to_string(), docs }
    }

    /// The root document.
    pub fn root_value(&self) -> &Value {
        &self.docs[&self.root]
    }

    /// The value at a location, if the file was loaded and the pointer exists.
    pub fn get(&self, file: &str, pointer: &str) -> Option<&Value> {
        self.docs.get(file)?.pointer(pointer)
    }

    /// Resolves `reference` (as written in `from.file`) to a location holding a value.
    pub fn resolve(&self, from: &Location, reference: &str) -> Result<(Location, &Value), String> {
        let target = parse_ref(&from.file, reference)?;
        let doc = self.docs.get(&target.file).ok_or_else(|| format!("`{}` was not loaded", target.file))?;
        if doc.is_null() && !target.pointer.is_empty() {
            return Err(format!("`{}` could not be read", target.file));
        }
        let value = doc
            .pointer(&target.pointer)
            .ok_or_else(|| format!("dangling reference `{reference}`: nothing at `{}#{}`", target.file, target.pointer))?;
        Ok((Location::new(target.file, target.pointer), value))
    }
}

fn read_document(dir: &Path, rel: &str, diags: &mut Diagnostics) -> Option<Value> {
    let loc = Location::new(rel, "");
    let path = dir.join(rel);
    match std::fs::metadata(&path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            diags.error(loc, format!("file is larger than {MAX_FILE_BYTES} bytes"));
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            diags.error(loc, format!("cannot read `{}`: {e}", path.display()));
            return None;
        }
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            diags.error(loc, format!("cannot read `{}`: {e}", path.display()));
            return None;
        }
    };
    match parse_text(rel, &text) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.error(loc, e);
            None
        }
    }
}

/// Parses JSON or YAML text (chosen by extension; YAML for anything but `.json`) and checks its depth.
pub fn parse_text(name: &str, text: &str) -> Result<Value, String> {
    let value: Value = if name.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?
    } else {
        yaml_serde::from_str(text).map_err(|e| format!("not valid YAML (or beyond the YAML alias/nesting limits): {e}"))?
    };
    if depth(&value, 0) > MAX_DEPTH {
        return Err(format!("document nests deeper than {MAX_DEPTH} levels"));
    }
    Ok(value)
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
            if let Some(Value::String(r)) = o.get("$ref") {
                if !r.starts_with('#') {
                    out.push((loc.clone(), r.clone()));
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

/// Splits a `$ref` into file and pointer, refusing anything outside the spec's folder tree.
pub fn parse_ref(from_file: &str, reference: &str) -> Result<RefTarget, String> {
    let (path_part, fragment) = match reference.split_once('#') {
        Some((p, f)) => (p, f),
        None => (reference, ""),
    };
    if path_part.contains(':') || path_part.starts_with('/') || path_part.starts_with('\\') {
        return Err(format!(
            "refused reference `{reference}`: only relative file paths inside the spec's folder are followed (no URLs, no absolute paths)"
        ));
    }
    let file = if path_part.is_empty() {
        from_file.to_string()
    } else {
        let base = Path::new(from_file).parent().map(Path::to_path_buf).unwrap_or_default();
        let mut out = PathBuf::new();
        for c in base.join(percent_decode(path_part)).components() {
            match c {
                Component::Normal(s) => out.push(s),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !out.pop() {
                        return Err(format!("refused reference `{reference}`: it leaves the spec's folder tree"));
                    }
                }
                _ => return Err(format!("refused reference `{reference}`: not a relative path")),
            }
        }
        out.to_string_lossy().replace('\\', "/")
    };
    let pointer = percent_decode(fragment);
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "reference `{reference}` uses a plain-name fragment (anchor); only JSON pointers are supported here"
        ));
    }
    Ok(RefTarget { file, pointer })
}

fn percent_decode(s: &str) -> String {
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

    #[test]
    fn refs_are_confined() {
        assert_eq!(parse_ref("a/b.yaml", "c.yaml#/x").map(|t| t.file), Ok("a/c.yaml".into()));
        assert_eq!(parse_ref("a/b.yaml", "../c.yaml").map(|t| t.file), Ok("c.yaml".into()));
        assert!(parse_ref("b.yaml", "../c.yaml").is_err());
        assert!(parse_ref("b.yaml", "https://x/y.yaml").is_err());
        assert!(parse_ref("b.yaml", "file:///etc/passwd").is_err());
        assert!(parse_ref("b.yaml", "/etc/passwd").is_err());
        assert_eq!(parse_ref("b.yaml", "#/a%20b").map(|t| t.pointer), Ok("/a b".into()));
    }

    #[test]
    fn yaml_integer_keys_become_strings() {
        let v = parse_text("x.yaml", "responses:\n  200:\n    description: ok\n").expect("parses");
        assert!(v.pointer("/responses/200/description").is_some());
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 5), "]".repeat(MAX_DEPTH + 5));
        assert!(parse_text("x.json", &deep).is_err());
    }
}
