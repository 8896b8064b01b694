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
pub fn additional_operations<'d>(
    item_loc: &Location,
    item: &'d Map<String, Value>,
    fixed: &[&str],
    diags: &mut Diagnostics,
) -> Vec<(String, Location, &'d Value)> {
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
                format!(
                    "`{method}` has a fixed field of the path item (`{}`); OpenAPI 3.2 forbids it in `additionalOperations`, so it is skipped",
                    method.to_ascii_lowercase()
                ),
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
            Some(s) if s.contains('#') => diags.lenient(
                loc,
                Policy::Skipped,
                "`$self` must not contain a fragment (OpenAPI 3.2); it is ignored and references resolve against the file's own place",
            ),
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
            // Media type objects: the members of a `content` map. An entry of
            // `components/mediaTypes` is named, not a media type: it is noted (where it is
            // written) as the media type that references it, since what is supported depends on it.
            if k == "content" {
                let response = at.pointer.contains("/responses/");
                for (mt, media) in x.as_object().into_iter().flatten() {
                    match media_component(root, media) {
                        Some((name, target)) => note_media(&root_loc.join("components").join("mediaTypes").join(&name), mt, target, response, diags),
                        None => note_media(&at.join(mt), mt, media, response, diags),
                    }
                }
            }
            // Examples, default values and extensions are data, not spec objects.
            if x.is_object() && !matches!(k.as_str(), "example" | "examples" | "default" | "enum" | "const") && !k.starts_with("x-") {
                stack.push((at, x, depth + 1));
            }
        }
    }
}

/// The `components/mediaTypes` entry a media type object is a local `$ref` to: its name and
/// its object.
fn media_component<'d>(root: &'d Value, media: &Value) -> Option<(String, &'d Value)> {
    let r = media.get("$ref")?.as_str()?;
    let name = r.strip_prefix("#/components/mediaTypes/")?.replace("~1", "/").replace("~0", "~");
    let target = root.get("components")?.get("mediaTypes")?.get(&name)?;
    Some((name, target))
}

/// The OpenAPI 3.2 members of a media type object that this generator does not act on yet
/// (`itemSchema` of the stream media types is read by [`super::streams`]; `itemSchema`,
/// `prefixEncoding` and `itemEncoding` of a positional multipart request body by
/// [`super::positional`]; a response's multipart body stays bytes).
fn note_media(loc: &Location, mt: &str, media: &Value, response: bool, diags: &mut Diagnostics) {
    let essence = mt.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let stream = super::streams::framing(&essence).is_some();
    // A `$ref` schema is followed by the lowering, which types it when it leads to an array.
    let schema = media.get("schema").filter(|s| s.get("$ref").is_none());
    let positional = !response && super::positional::is_positional(&essence, media, schema)
        || (!response && media.get("schema").is_some_and(|s| s.get("$ref").is_some()) && essence.starts_with("multipart/") && essence != "multipart/form-data");
    for key in ["itemSchema", "prefixEncoding", "itemEncoding"] {
        if media.get(key).is_some() && !(stream && key == "itemSchema") && !positional {
            diags.warn(
                loc.join(key),
                Policy::NotEnforced,
                format!("`{key}` (OpenAPI 3.2 sequential media types) is not supported here (it is for stream media types and multipart request bodies other than form-data with an array schema or an `itemSchema`): the items are neither typed nor validated"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Diagnostic, Options, Severity};

    /// The diagnostics and the generated `ops.rs` of a 3.2 document with these paths (and schemas).
    fn generate(paths: serde_json::Value, extra: serde_json::Value) -> (Vec<Diagnostic>, String) {
        let mut spec = serde_json::json!({"openapi": "3.2.0", "info": {"title": "t", "version": "1"}, "paths": paths});
        for (k, v) in extra.as_object().into_iter().flatten() {
            spec[k] = v.clone();
        }
        let generated = crate::generate_str("openapi.json", &spec.to_string(), &Options::default()).expect("generates");
        let ops = generated.files.iter().find(|f| f.path == "src/ops.rs").map(|f| f.contents.clone()).unwrap_or_default();
        (generated.diagnostics, ops)
    }

    fn ok() -> serde_json::Value {
        serde_json::json!({"200": {"description": "ok"}})
    }

    #[test]
    fn a_plain_3_2_document_has_no_diagnostic_and_query_is_a_method() {
        let (diags, ops) = generate(serde_json::json!({"/a": {"query": {"operationId": "find", "responses": ok()}}}), serde_json::json!({}));
        assert!(diags.is_empty(), "{diags:?}");
        assert!(ops.contains(r#""find", "QUERY", "/a""#), "{ops}");
    }

    #[test]
    fn additional_operations_keep_their_method_and_bad_tokens_are_located() {
        let paths = serde_json::json!({"/a": {"additionalOperations": {
            "PURGE": {"operationId": "purge", "responses": ok()},
            "Link": {"operationId": "link", "responses": ok()},
            "PUR GE": {"operationId": "bad", "responses": ok()},
            "post": {"operationId": "fixed", "responses": ok()}
        }}});
        let (diags, ops) = generate(paths, serde_json::json!({}));
        assert!(ops.contains(r#""purge", "PURGE""#) && ops.contains(r#""link", "Link""#), "methods are case-sensitive: {ops}");
        assert!(!ops.contains("\"bad\"") && !ops.contains("\"fixed\""), "{ops}");
        let mut at: Vec<(&str, Severity)> = diags.iter().map(|d| (d.location.pointer.as_str(), d.severity)).collect();
        at.sort();
        assert_eq!(at, [("/paths/~1a/additionalOperations/PUR GE", Severity::Warning), ("/paths/~1a/additionalOperations/post", Severity::Warning)]);
        assert!(diags.iter().all(|d| d.policy == Policy::Skipped), "{diags:?}");
    }

    #[test]
    fn a_querystring_is_a_form_or_json_and_anything_else_is_located() {
        let qs = |mt: &str| serde_json::json!({"name": "q", "in": "querystring", "content": {mt: {"schema": {"type": "object"}}}});
        let paths = serde_json::json!({
            "/form": {"get": {"operationId": "form", "parameters": [qs("application/x-www-form-urlencoded")], "responses": ok()}},
            "/json": {"get": {"operationId": "json", "parameters": [qs("application/json")], "responses": ok()}},
            "/text": {"get": {"operationId": "text", "parameters": [qs("text/plain")], "responses": ok()}},
            "/both": {"get": {"operationId": "both", "parameters": [qs("application/json"), {"name": "x", "in": "query", "schema": {"type": "string"}}], "responses": ok()}}
        });
        let (diags, ops) = generate(paths, serde_json::json!({}));
        assert!(ops.contains("f::QUERY | f::QUERYSTRING | f::FORM,"), "{ops}");
        assert!(ops.contains("f::QUERY | f::QUERYSTRING | f::JSON,"), "{ops}");
        let at: Vec<&str> = diags.iter().map(|d| d.location.pointer.as_str()).collect();
        assert_eq!(at, ["/paths/~1both/get/parameters", "/paths/~1text/get/parameters/0/content/text~1plain"], "{diags:?}");
        assert!(!ops.contains(r#"Param::new("x""#), "the query parameter beside a querystring is dropped: {ops}");
    }

    #[test]
    fn media_type_refs_resolve_and_unsupported_media_members_are_noted() {
        let paths = serde_json::json!({"/a": {"post": {"operationId": "make",
            "requestBody": {"content": {"application/json": {"$ref": "#/components/mediaTypes/Thing"}, "multipart/mixed": {"itemSchema": {"type": "string"}, "itemEncoding": {"contentType": "text/plain"}}, "multipart/form-data": {"schema": {"type": "object"}, "itemEncoding": {}}, "application/jsonl": {"$ref": "#/components/mediaTypes/Seq"}, "text/plain": {"$ref": "#/components/mediaTypes/Seq"}}},
            "responses": {"200": {"description": "ok", "content": {"application/jsonl": {"itemSchema": {"type": "string"}}, "multipart/mixed": {"itemEncoding": {"contentType": "text/plain"}}}}}}}});
        let components = serde_json::json!({"components": {"mediaTypes": {"Seq": {"itemSchema": {"type": "string"}}, "Thing": {"schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}}}}});
        let spec = serde_json::json!({"openapi": "3.2.0", "info": {"title": "t", "version": "1"}, "paths": paths, "components": components["components"]});
        let generated = crate::generate_str("openapi.json", &spec.to_string(), &Options::default()).expect("generates");
        let types = &generated.files.iter().find(|f| f.path == "src/types.rs").expect("types").contents;
        assert!(types.contains("pub struct MakeRequest") && types.contains("pub n: i64"), "{types}");
        let notes: Vec<(&str, Policy)> =
            generated.diagnostics.iter().filter(|d| d.severity != Severity::Info).map(|d| (d.location.pointer.as_str(), d.policy)).collect();
        // The JSON Lines `itemSchema` is read (streams), a request's `multipart/mixed` ones are
        // (positional parts); a response's multipart `itemEncoding` and form-data's are not. A
        // `components/mediaTypes` entry is judged by the media type that references it (a JSON
        // Lines stream: read; text: noted where the entry is written).
        assert_eq!(
            notes,
            [
                ("/components/mediaTypes/Seq/itemSchema", Policy::NotEnforced),
                ("/paths/~1a/post/requestBody/content/multipart~1form-data/itemEncoding", Policy::NotEnforced),
                ("/paths/~1a/post/responses/200/content/multipart~1mixed/itemEncoding", Policy::NotEnforced)
            ],
            "{notes:?}"
        );
    }

    #[test]
    fn the_3_2_dialect_is_2020_12() {
        let schema =
            serde_json::json!({"$schema": "https://spec.openapis.org/oas/3.2/dialect/2025-09-17", "type": "object", "properties": {"a": {"type": "string"}}});
        let (diags, _) = generate(
            serde_json::json!({}),
            serde_json::json!({"jsonSchemaDialect": "https://spec.openapis.org/oas/3.2/dialect/base", "components": {"schemas": {"S": schema}}}),
        );
        assert!(diags.is_empty(), "both 3.2 dialect URIs are known: {diags:?}");
    }

    #[test]
    fn a_self_with_a_fragment_is_located() {
        let (diags, _) = generate(serde_json::json!({}), serde_json::json!({"$self": "https://example.test/api#top"}));
        assert_eq!(diags.iter().map(|d| d.location.pointer.as_str()).collect::<Vec<_>>(), ["/$self"], "{diags:?}");
    }

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
