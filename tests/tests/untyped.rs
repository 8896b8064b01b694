//! The untyped report names every place held as `serde_json::Value`, why, and whether a typed
//! form would be possible.

use codegen::Options;

const SPEC: &str = r##"{
  "openapi": "3.1.0",
  "info": {"title": "untyped", "version": "1"},
  "paths": {},
  "components": {"schemas": {
    "Typed": {"type": "object", "properties": {"n": {"type": "integer"}}},
    "Holder": {"type": "object", "properties": {
      "anything": {},
      "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
      "either": {"type": ["string", "integer"]},
      "fixed": {"const": 3},
      "mixed": {"allOf": [{"$ref": "#/components/schemas/Typed"}], "anyOf": [{"required": ["n"]}]},
      "lost": {"$ref": "#/components/schemas/Nowhere"}
    }}
  }}
}"##;

#[test]
fn each_untyped_place_has_its_reason() {
    let generated = codegen::generate_str("untyped.json", SPEC, &Options::default()).expect("generates");
    let find = |prop: &str| {
        generated
            .untyped
            .iter()
            .find(|u| u.location.pointer.starts_with(&format!("/components/schemas/Holder/properties/{prop}")))
            .unwrap_or_else(|| panic!("{prop} is in the report: {:#?}", generated.untyped))
    };
    let cases = [
        ("anything", "any JSON value", false),
        ("pair", "prefixItems", true),
        ("either", "several JSON types", true),
        ("fixed", "const", true),
        ("mixed", "composition", true),
        ("lost", "spec flaw", false),
    ];
    for (prop, reason, typable) in cases {
        let u = find(prop);
        assert!(u.reason.contains(reason), "{prop}: {}", u.reason);
        assert_eq!(u.typable, typable, "{prop}: {}", u.reason);
    }
    assert!(!generated.untyped.iter().any(|u| u.location.pointer.starts_with("/components/schemas/Typed")), "typed places are not reported");
}
