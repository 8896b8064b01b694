//! The runtime's typed multipart reading: boundaries of any `multipart/*` subtype, media type
//! ranges, and `decode` (coercion, the checks of a file's stand-in, required files, encodings,
//! part headers, repeated and duplicate parts, JSON parts), `decode_positional` (parts by
//! position, list and item validators), and the parts of a real body.

#![cfg(feature = "multipart")]

use codegen_runtime::multipart::*;
use codegen_runtime::{InstancePath, Violation, types, violation, violation_at};
use serde_json::{Value, json};

/// `{title: string (minLength 1), count: integer, tags: [string], avatar: string (maxLength 0),
/// files: [string] (maxItems 1)}`, `title` and `avatar` required: a hand-written validator like
/// the generated ones (type violations carry the expected bits).
fn validate(v: &Value, path: &mut InstancePath, out: &mut Vec<Violation>) {
    let Some(map) = v.as_object() else { return violation(out, path, "type", "not an object") };
    for key in ["title", "avatar"] {
        if !map.contains_key(key) {
            violation_at(out, path, key, "required", "is required");
        }
    }
    let typed = |out: &mut Vec<Violation>, path: &InstancePath, bits: u8| {
        out.push(Violation { path: path.to_string(), keyword: "type", message: "wrong type".into(), instance: path.clone(), expected: bits });
    };
    if let Some(t) = map.get("title") {
        path.push_key("title");
        if t.as_str().is_some_and(str::is_empty) {
            violation(out, path, "minLength", "too short");
        }
        path.pop();
    }
    if let Some(c) = map.get("count") {
        path.push_key("count");
        if !c.is_i64() {
            typed(out, path, types::INTEGER);
        }
        path.pop();
    }
    if let Some(Value::Array(items)) = map.get("tags") {
        path.push_key("tags");
        for (i, t) in items.iter().enumerate() {
            path.push_index(i);
            if !t.is_string() {
                typed(out, path, types::STRING);
            }
            path.pop();
        }
        path.pop();
    }
    // A file's stand-in is an empty string: a check on it (maxLength 0 holds; say a pattern
    // fails) must not reach the caller.
    if map.contains_key("avatar") {
        violation_at(out, path, "avatar", "pattern", "the stand-in's own check");
    }
    if let Some(Value::Array(files)) = map.get("files") {
        path.push_key("files");
        if files.len() > 1 {
            violation(out, path, "maxItems", "too many");
        }
        for i in 0..files.len() {
            path.push_index(i);
            violation(out, path, "pattern", "the stand-in's own check");
            path.pop();
        }
        path.pop();
    }
}

fn no_header(_: &Value, _: &mut InstancePath, _: &mut Vec<Violation>) {}

fn hex_header(v: &Value, path: &mut InstancePath, out: &mut Vec<Violation>) {
    if !v.as_str().is_some_and(|s| s.chars().all(|c| c.is_ascii_hexdigit())) {
        violation(out, path, "pattern", "not hex");
    }
}

const HEADERS: &[PartHeader] = &[
    PartHeader { name: "X-Sum", required: true, types: types::STRING, validate: hex_header },
    PartHeader { name: "X-Note", required: false, types: types::STRING, validate: no_header },
];

const SPECS: &[PartSpec] = &[
    PartSpec { name: "title", kind: PartKind::Text, repeated: false, content_types: &[], send_type: None, headers: &[], deep: false },
    PartSpec { name: "count", kind: PartKind::Text, repeated: false, content_types: &[], send_type: None, headers: &[], deep: false },
    PartSpec { name: "tags", kind: PartKind::Text, repeated: true, content_types: &[], send_type: None, headers: &[], deep: false },
    PartSpec { name: "avatar", kind: PartKind::File, repeated: false, content_types: &["image/*"], send_type: None, headers: HEADERS, deep: false },
    PartSpec { name: "files", kind: PartKind::File, repeated: true, content_types: &[], send_type: None, headers: &[], deep: false },
    PartSpec { name: "meta", kind: PartKind::Json, repeated: false, content_types: &["application/json"], send_type: None, headers: &[], deep: true },
];

fn text(name: &str, value: &str) -> RawPart {
    RawPart { name: name.into(), file: FilePart::new(value.as_bytes().to_vec()) }
}

fn avatar() -> RawPart {
    RawPart { name: "avatar".into(), file: FilePart::new(b"\x89PNG".to_vec()).with_content_type("image/png").with_header("X-Sum", "beef") }
}

fn paths(out: &[Violation]) -> Vec<String> {
    let mut p: Vec<String> = out.iter().map(|v| v.path.clone()).collect();
    p.sort();
    p
}

#[test]
fn boundaries_of_every_multipart_subtype() {
    assert_eq!(boundary("multipart/form-data; boundary=abc").as_deref(), Some("abc"));
    assert_eq!(boundary("Multipart/Mixed; charset=x; Boundary=\"a b\"").as_deref(), Some("a b"));
    assert_eq!(boundary("multipart/related"), None);
    assert_eq!(boundary("application/json; boundary=abc"), None);
    assert_eq!(boundary("multipart/form-data; boundary="), None);
}

#[test]
fn media_type_ranges() {
    assert!(media_type_fits("image/*", "image/png; q=1"));
    assert!(media_type_fits("*/*", "text/plain"));
    assert!(media_type_fits("Application/JSON", "application/json"));
    assert!(!media_type_fits("image/*", "imagex/png"));
    assert!(!media_type_fits("image/png", "image/jpeg"));
}

#[test]
fn text_is_coerced_files_are_kept_and_stand_in_checks_dropped() {
    let mut out = Vec::new();
    let parts = vec![
        text("title", "T"),
        text("count", "4"),
        text("tags", "a"),
        text("tags", "b"),
        avatar(),
        RawPart { name: "files".into(), file: FilePart::new(vec![1]).with_file_name("one") },
        RawPart { name: "meta".into(), file: FilePart::new(br#"{"k": [1]}"#.to_vec()).with_content_type("application/json") },
        text("extra", "x"),
    ];
    let mut d = decode(parts, SPECS, validate, &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(d.field::<i64>("count"), Ok(4));
    assert_eq!(d.field::<Vec<String>>("tags"), Ok(vec!["a".to_string(), "b".to_string()]));
    assert_eq!(d.field::<Value>("meta"), Ok(json!({"k": [1]})));
    assert_eq!(d.field::<Option<i64>>("absent"), Ok(None));
    let avatar = d.file("avatar").expect("a file");
    assert_eq!((avatar.data.as_slice(), avatar.header("x-sum")), (b"\x89PNG".as_slice(), Some("beef")));
    assert_eq!(d.files("files").len(), 1);
    assert!(d.file_opt("files").is_none());
    assert_eq!(d.other.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["extra"]);
}

#[test]
fn violations_keep_their_part_paths() {
    let mut out = Vec::new();
    let parts = vec![
        text("title", ""),
        text("title", "again"),
        text("count", "four"),
        RawPart { name: "tags".into(), file: FilePart::new(vec![0xff, 0xfe]) },
        RawPart { name: "files".into(), file: FilePart::new(vec![1]) },
        RawPart { name: "files".into(), file: FilePart::new(vec![2]) },
        RawPart { name: "meta".into(), file: FilePart::new(b"{".to_vec()).with_content_type("application/json") },
    ];
    decode(parts, SPECS, validate, &mut out);
    // title: minLength and the duplicate; count: not an integer; tags: not UTF-8; the missing
    // file (required); files: maxItems (the list's own check stays, its items' go); meta: not JSON.
    assert_eq!(paths(&out), ["avatar", "count", "files", "meta", "tags", "title", "title"], "{out:?}");
    assert!(out.iter().any(|v| v.path == "avatar" && v.keyword == "required"), "{out:?}");
}

#[test]
fn encoding_media_types_and_part_headers_are_checked() {
    let mut out = Vec::new();
    let gif = RawPart { name: "avatar".into(), file: FilePart::new(b"GIF".to_vec()).with_content_type("text/plain").with_header("X-Sum", "zz") };
    // A part without Content-Type is text/plain (RFC 7578): not application/json.
    let meta = RawPart { name: "meta".into(), file: FilePart::new(b"{}".to_vec()) };
    decode(vec![text("title", "t"), gif, meta], SPECS, validate, &mut out);
    assert_eq!(paths(&out), ["avatar", "avatar/X-Sum", "meta"], "{out:?}");
    let mut out = Vec::new();
    let bare = RawPart { name: "avatar".into(), file: FilePart::new(b"P".to_vec()).with_content_type("image/png") };
    decode(vec![text("title", "t"), bare], SPECS, validate, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].message.contains("X-Sum"), "{out:?}");
}

#[test]
fn deep_object_parts_are_nested_like_form_bodies() {
    let mut out = Vec::new();
    let parts = vec![text("title", "t"), avatar(), text("meta[k]", "x"), text("meta[n][a]", "y"), text("meta[list][]", "1"), text("meta[list][]", "2")];
    let mut d = decode(parts, SPECS, validate, &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(d.field::<Value>("meta"), Ok(json!({"k": "x", "n": {"a": "y"}, "list": ["1", "2"]})));
    assert!(d.other.is_empty(), "form-style parts of a deepObject value are not unknown parts");
    // The whole value and form-style parts of it at once is one value sent twice.
    let mut out = Vec::new();
    let whole = RawPart { name: "meta".into(), file: FilePart::new(b"{}".to_vec()).with_content_type("application/json") };
    decode(vec![text("title", "t"), avatar(), whole, text("meta[k]", "x")], SPECS, validate, &mut out);
    assert_eq!(paths(&out), ["meta"], "{out:?}");
    // A part like `tags[0]` of a part that is not deepObject-encoded stays unknown.
    let d = decode(vec![text("title", "t"), avatar(), text("tags[0]", "x")], SPECS, validate, &mut Vec::new());
    assert_eq!(d.other.len(), 1);
}

#[cfg(feature = "server")]
#[tokio::test]
async fn a_real_body_is_split_into_parts_with_headers() {
    use axum::http::{HeaderMap, HeaderValue, header};
    let body = "--B\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\nX-Sum: beef\r\n\r\nPNG\r\n--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--B--\r\n";
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("multipart/mixed; boundary=B"));
    let parts = read::parts(&headers, axum::body::Bytes::from(body)).await.expect("parts");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].name, "avatar");
    assert_eq!((parts[0].file.file_name.as_deref(), parts[0].file.content_type.as_deref()), (Some("a.png"), Some("image/png")));
    assert_eq!(parts[0].file.headers, vec![("x-sum".to_string(), "beef".to_string())]);
    assert_eq!((parts[1].name.as_str(), parts[1].file.data.as_slice()), ("title", b"hello".as_slice()));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    assert!(read::parts(&headers, axum::body::Bytes::from(body)).await.is_err());
}

/// `[integer (maximum 9), ...]`, at most 2 items: a list validator like the generated ones.
fn list(v: &Value, path: &mut InstancePath, out: &mut Vec<Violation>) {
    let Some(items) = v.as_array() else { return violation(out, path, "type", "not an array") };
    if items.len() > 2 {
        violation(out, path, "maxItems", "at most 2");
    }
    for (i, item) in items.iter().enumerate().skip(1) {
        path.push_index(i);
        match item.as_i64() {
            Some(n) if n > 9 => violation(out, path, "maximum", "at most 9"),
            Some(_) => {}
            None => {
                out.push(Violation { path: path.to_string(), keyword: "type", message: "wrong type".into(), instance: path.clone(), expected: types::INTEGER })
            }
        }
        path.pop();
    }
    // The first position is a file: its stand-in (an empty string) would break this.
    if items.first().is_some_and(|f| f.as_str() == Some("")) {
        path.push_index(0);
        violation(out, path, "minLength", "the stand-in is not checked");
        path.pop();
    }
}

const FILE_FIRST: &[Position] = &[Position { kind: PartKind::File, content_types: &["image/*"], send_type: None, headers: &[] }];
const TEXT: Position = Position { kind: PartKind::Text, content_types: &[], send_type: None, headers: &[] };

fn typed(t: Option<&str>, data: &str) -> RawPart {
    RawPart { name: String::new(), file: FilePart { content_type: t.map(str::to_string), data: data.as_bytes().to_vec(), ..FilePart::default() } }
}

#[test]
fn positional_parts_are_read_by_position_and_validated_as_a_list() {
    let spec = Positional { prefix: FILE_FIRST, rest: Some(TEXT), list: Some(list), item: None };
    let mut out = Vec::new();
    let parts = decode_positional(vec![typed(Some("image/png"), "PNG"), typed(None, "7")], &spec, &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(
        parts,
        [MixedPart::File(FilePart { content_type: Some("image/png".into()), data: b"PNG".to_vec(), ..FilePart::default() }), MixedPart::Text("7".into())]
    );
    // Text coerced for the validator; the value over its maximum is at its index.
    let mut out = Vec::new();
    decode_positional(vec![typed(Some("image/png"), "PNG"), typed(None, "10")], &spec, &mut out);
    assert_eq!(paths(&out), ["1"]);
    // A part in a media type its position does not allow.
    let mut out = Vec::new();
    decode_positional(vec![typed(Some("text/plain"), "PNG")], &spec, &mut out);
    assert_eq!(paths(&out), ["0"]);
    // No position after the prefix: the extra part is refused at its index.
    let closed = Positional { rest: None, ..spec };
    let mut out = Vec::new();
    decode_positional(vec![typed(Some("image/png"), "PNG"), typed(None, "1")], &closed, &mut out);
    assert_eq!((paths(&out), out[0].keyword), (vec!["1".to_string()], "maxItems"));
}

/// `{name: string}` required: an item validator.
fn item(v: &Value, path: &mut InstancePath, out: &mut Vec<Violation>) {
    if v.get("name").and_then(Value::as_str).is_none() {
        violation_at(out, path, "name", "required", "is required");
    }
}

#[test]
fn an_item_schema_checks_every_part_at_its_index() {
    let json = Position { kind: PartKind::Json, content_types: &["application/json"], send_type: None, headers: &[] };
    let spec = Positional { prefix: &[], rest: Some(json), list: None, item: Some(item) };
    let mut out = Vec::new();
    let parts = decode_positional(vec![typed(Some("application/json"), r#"{"name": "a"}"#), typed(Some("application/json"), "{}")], &spec, &mut out);
    assert_eq!(paths(&out), ["1/name"]);
    assert_eq!(parts[0].json::<Value>(), Some(json!({"name": "a"})));
    let mut out = Vec::new();
    decode_positional(vec![typed(Some("application/json"), "not json")], &spec, &mut out);
    assert_eq!((paths(&out), out[0].keyword), (vec!["0".to_string()], "type"));
}

#[test]
fn a_position_checks_its_documented_headers() {
    const SIGNED: &[Position] = &[Position { kind: PartKind::File, content_types: &[], send_type: None, headers: HEADERS }];
    let spec = Positional { prefix: SIGNED, rest: None, list: None, item: None };
    let signed = |sum: Option<&str>| {
        let mut file = FilePart::new(b"x".to_vec());
        if let Some(sum) = sum {
            file = file.with_header("X-Sum", sum);
        }
        RawPart { name: String::new(), file }
    };
    let mut out = Vec::new();
    decode_positional(vec![signed(Some("beef"))], &spec, &mut out);
    assert!(out.is_empty(), "{out:?}");
    decode_positional(vec![signed(None)], &spec, &mut out);
    assert_eq!((paths(&out), out[0].keyword), (vec!["0".to_string()], "required"));
    let mut out = Vec::new();
    decode_positional(vec![signed(Some("nothex"))], &spec, &mut out);
    assert_eq!(paths(&out), ["0/X-Sum"]);
}
