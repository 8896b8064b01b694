//! OpenAPI 3.2 input: `additionalOperations` (method tokens), the document's `$self`, and the
//! located notes for the 3.2 constructs the generator does not support yet.

use serde_json::{Map, Value};

use super::{Param, ParamIn, ParamStyle};
use crate::diagnostics::{Diagnostics, Location, Policy};

/// True for an HTTP method token (RFC 9110 `token`: one or more `tchar`).
pub fn is_method_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The entries of a path item's `additionalOperations` (OpenAPI 3.2): each method as written
/// (methods are case-sensitive), where it is, and its operation (maybe a `$ref`). An entry whose
/// name is not a method token, or that names a method of a fixed field (`post`, `query`), is
/// skipped with a located warning.
pub fn additional_operations<'d>(item_loc: &Location, item: &'d Map<String, Value>, fixed: &[&str], diags: &mut Diagnostics) -> Vec<(String, Location, &'d Value)> {
    let Some(extra) = item.get("additionalOperations") else { return Vec::new() };
    let loc = item_loc.join("additionalOperations");
    let Some(extra) = extra.as_object() else {
        diags.lenient(loc, Policy::Skipped, "`additionalOperations` must be an object of methods to operations; it is skipped");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (method, op) in extra {
        let at = loc.join(method);
        if !is_method_token(method) {
            diags.lenient(
                at,
                Policy::Skipped,
                format!("`{}` is not an HTTP method token (RFC 9110: letters, digits and !#$%&'*+-.^_`|~); the operation is skipped", method.escape_debug()),
            );
        } else if fixed.iter().any(|f| f.eq_ignore_ascii_case(method)) {
            diags.lenient(
                at,
                Policy::Skipped,
                format!("`{method}` has a fixed field of the path item (`{}`); OpenAPI 3.2 forbids it in `additionalOperations`, so it is skipped", method.to_ascii_lowercase()),
            );
        } else {
            out.push((method.clone(), at, op));
        }
    }
    out
}

/// How an `in: querystring` parameter (OpenAPI 3.2: the whole query string as one value) is
/// read, from its one `content` media type: a form (`application/x-www-form-urlencoded`, read
/// like a form body) or JSON text. `None` (with a located warning: the parameter is skipped)
/// for anything else.
pub fn querystring_style(ploc: &Location, p: &Value, diags: &mut Diagnostics) -> Option<ParamStyle> {
    let Some((mt, _)) = p.get("content").and_then(Value::as_object).and_then(|c| c.iter().next()) else {
        diags.lenient(ploc.clone(), Policy::Skipped, "an `in: querystring` parameter must describe the query string with `content`; the parameter is skipped");
        return None;
    };
    let essence = mt.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "application/x-www-form-urlencoded" {
        Some(ParamStyle::Form)
    } else if super::lower_ops::is_json(mt) {
        Some(ParamStyle::Json)
    } else {
        diags.warn(
            ploc.join("content").join(mt),
            Policy::Skipped,
            format!(
                "a query string of media type `{}` is not supported (application/x-www-form-urlencoded and JSON are); the parameter is skipped",
                mt.escape_debug()
            ),
        );
        None
    }
}

/// An operation with an `in: querystring` parameter can have no other query parameter, and one
/// querystring at most (OpenAPI 3.2): the others are dropped with a located warning.
pub fn one_query_string(op_loc: &Location, params: &mut Vec<Param>, diags: &mut Diagnostics) {
    let Some(first) = params.iter().position(|p| p.location == ParamIn::QueryString) else { return };
    let name = params[first].name.clone();
    let mut i = 0;
    params.retain(|p| {
        let keep = i == first || !matches!(p.location, ParamIn::Query | ParamIn::QueryString);
        if !keep {
            diags.lenient(
                op_loc.join("parameters"),
                Policy::Skipped,
                format!(
                    "the query parameter `{}` is dropped: the querystring parameter `{}` is the whole query string (OpenAPI 3.2 allows no other)",
                    p.name.escape_debug(),
                    name.escape_debug()
                ),
            );
        }
        i += 1;
        keep
    });
}

/// Checks of the root document for OpenAPI 3.2: `$self` must be a URI reference without a
/// fragment (it is the base URI that relative references resolve against, see
/// [`crate::uri`]); media type features owned elsewhere that are not generated yet are noted
/// where they are written.
pub fn check_document(root_loc: &Location, root: &Value, diags: &mut Diagnostics) {
    if let Some(s) = root.get("$self") {
        let loc = root_loc.join("$self");
        match s.as_str() {
            None => diags.lenient(loc, Policy::Skipped, "`$self` must be a string (a URI reference); it is ignored"),
            Some(s) if s.contains('#') => {
                diags.lenient(loc, Policy::Skipped, "`$self` must not contain a fragment (OpenAPI 3.2); it is ignored and references resolve against the file's own place")
            }
            Some(s) if crate::uri::self_base("openapi.yaml", s).is_none() => {
                diags.lenient(loc, Policy::Skipped, format!("`$self` `{}` is not a URI reference; it is ignored", s.escape_debug()))
            }
            Some(_) => {}
        }
    }
    let mut stack = vec![(root_loc.clone(), root, 0usize)];
    while let Some((loc, v, depth)) = stack.pop() {
        let Some(o) = v.as_object() else { continue };
        if depth > crate::load::MAX_DEPTH {
            continue;
        }
        for (k, x) in o {
            let at = loc.join(k);
            // Media type objects: the members of a `content` map and of `components/mediaTypes`.
            let media_map = k == "content" || (k == "mediaTypes" && loc.pointer == format!("{}/components", root_loc.pointer));
            if media_map {
                for (mt, media) in x.as_object().into_iter().flatten() {
                    note_media(&at.join(mt), media, diags);
                }
            }
            // Examples, default values and extensions are data, not spec objects.
            if x.is_object() && !matches!(k.as_str(), "example" | "examples" | "default" | "enum" | "const") && !k.starts_with("x-") {
                stack.push((at, x, depth + 1));
            }
        }
    }
}

/// The OpenAPI 3.2 members of a media type object that this generator does not act on yet.
fn note_media(loc: &Location, media: &Value, diags: &mut Diagnostics) {
    for key in ["itemSchema", "prefixEncoding", "itemEncoding"] {
        if media.get(key).is_some() {
            diags.warn(
                loc.join(key),
                Policy::NotEnforced,
                format!("`{key}` (OpenAPI 3.2 sequential media types) is not supported yet: the items are neither typed nor validated"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_tokens() {
        for ok in ["PURGE", "LINK", "M-SEARCH", "x.y~z"] {
            assert!(is_method_token(ok), "{ok}");
        }
        for bad in ["", "GET ", "A(B)", "P\"URGE", "méthode", "a/b"] {
            assert!(!is_method_token(bad), "{bad}");
        }
    }
}
