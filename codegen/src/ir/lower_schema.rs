//! Schema lowering: turns JSON Schema / OpenAPI Schema Objects into arena nodes holding every assertion as data.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::{Additional, Arena, Bound, Discriminator, DynamicRef, Facts, Format, JsonType, Pattern, SchemaId, SchemaNode, Schemas, Shape, pattern};
use crate::Options;
use crate::diagnostics::{Diagnostics, Location, Policy};
use crate::load::Documents;

/// Deepest nesting of schemas inside schemas (a diagnostic past it, never a stack overflow).
pub const MAX_SCHEMA_DEPTH: usize = 48;

/// The rules a schema is read by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAPI 3.0 Schema Object: `nullable`, boolean `exclusiveMinimum`, `$ref` siblings ignored.
    OpenApi30,
    /// JSON Schema draft 7 (`$schema` of draft-07, also used for draft-04/06 with a warning).
    Draft7,
    /// JSON Schema 2020-12 (OpenAPI 3.1's default).
    Draft2020,
}

impl Dialect {
    /// The default dialect of a document's schemas.
    pub fn for_openapi(version: &str, root: &Value) -> Dialect {
        if version.starts_with("3.0") {
            return Dialect::OpenApi30;
        }
        match root.get("jsonSchemaDialect").and_then(Value::as_str).and_then(Dialect::from_uri) {
            Some(d) => d,
            None => Dialect::Draft2020,
        }
    }

    /// Reads a `$schema` URI.
    pub fn from_uri(uri: &str) -> Option<Dialect> {
        let u = uri.trim_end_matches('#').trim_end_matches('/');
        let u = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://")).unwrap_or(u);
        match u {
            "json-schema.org/draft-07/schema" | "json-schema.org/draft-06/schema" | "json-schema.org/draft-04/schema" => Some(Dialect::Draft7),
            "json-schema.org/draft/2020-12/schema"
            | "json-schema.org/draft/2019-09/schema"
            | "spec.openapis.org/oas/3.1/dialect/base"
            | "spec.openapis.org/oas/3.1/dialect/2024-10-25"
            | "spec.openapis.org/oas/3.2/dialect/base"
            | "spec.openapis.org/oas/3.2/dialect/2025-09-17" => Some(Dialect::Draft2020),
            _ => None,
        }
    }

    /// True when siblings of `$ref` are ignored.
    fn ref_overrides_siblings(self) -> bool {
        matches!(self, Dialect::OpenApi30 | Dialect::Draft7)
    }
}

/// Annotation keywords: read for docs or ignored, never asserted.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "example",
    "readOnly",
    "writeOnly",
    "deprecated",
    "$comment",
    "xml",
    "externalDocs",
    "discriminator",
    "$schema",
    "$id",
    "$anchor",
    "$defs",
    "definitions",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "$vocabulary",
    "$dynamicAnchor",
];

/// Where a subschema is being lowered from: its parent's location, name hint and dialect.
#[derive(Debug, Clone, Copy)]
struct Here<'x> {
    loc: &'x Location,
    hint: &'x [String],
    dialect: Dialect,
}

/// Lowers schemas into the arena, memoised by location so every `$ref` target is one node.
#[derive(Debug)]
pub struct SchemaLowerer<'a> {
    docs: &'a Documents,
    dialect: Dialect,
    format_assertion: bool,
    plain_formats: bool,
    backtrack_limit: usize,
    nodes: Schemas,
    by_loc: HashMap<(String, String), SchemaId>,
    depth: usize,
    pending: Vec<(SchemaId, &'a Value)>,
}

impl<'a> SchemaLowerer<'a> {
    /// A lowerer for `docs` whose schemas default to `dialect`.
    pub fn new(docs: &'a Documents, dialect: Dialect, options: &Options) -> Self {
        SchemaLowerer {
            docs,
            dialect,
            format_assertion: options.format_assertion,
            plain_formats: options.plain_formats,
            backtrack_limit: options.pattern_backtrack_limit,
            nodes: Arena::new(),
            by_loc: HashMap::new(),
            depth: 0,
            pending: Vec::new(),
        }
    }

    /// The loaded documents.
    pub fn docs(&self) -> &'a Documents {
        self.docs
    }

    /// The document's default dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The arena.
    pub fn finish(mut self, diags: &mut Diagnostics) -> Schemas {
        self.drain(diags);
        self.dynamic_scope(diags);
        self.nodes
    }

    /// Resolves every dynamic `$dynamicRef` (one whose static target declares the anchor): its
    /// candidates are the resources that can be in the dynamic scope when it is evaluated (those
    /// of the schemas from which validation can reach it) and declare a `$dynamicAnchor` of its
    /// name. Their anchored schemas are lowered, which may reach further schemas, so this runs
    /// to a fixed point. Then every schema of a candidate resource gets that resource's number,
    /// so validation records entering it; nothing is recorded for any other resource.
    fn dynamic_scope(&mut self, diags: &mut Diagnostics) {
        let sites: Vec<SchemaId> =
            self.nodes.iter_enumerated().filter(|(_, n)| n.facts.dynamic_ref.as_ref().is_some_and(|d| d.anchor.is_some())).map(|(id, _)| id).collect();
        if sites.is_empty() {
            return;
        }
        let mut found: Vec<BTreeSet<(Location, SchemaId)>> = vec![BTreeSet::new(); sites.len()];
        for _ in 0..=self.nodes.len() {
            let mut parents: Arena<SchemaId, Vec<SchemaId>> = Arena::filled(self.nodes.len(), Vec::new());
            for (id, n) in self.nodes.iter_enumerated() {
                for c in n.facts.children() {
                    parents[c].push(id);
                }
            }
            let mut changed = false;
            for (i, site) in sites.iter().enumerate() {
                let Some(name) = self.nodes[*site].facts.dynamic_ref.as_ref().and_then(|d| d.anchor.clone()) else { continue };
                let mut seen = BTreeSet::from([*site]);
                let mut stack = vec![*site];
                while let Some(n) = stack.pop() {
                    stack.extend(parents[n].iter().filter(|p| seen.insert(**p)));
                }
                let resources: BTreeSet<Location> = seen.iter().map(|n| self.docs.resource_of(&self.nodes[*n].loc)).collect();
                for resource in resources {
                    let Some(at) = self.docs.dynamic_anchor(&resource, &name).cloned() else { continue };
                    let Some(value) = self.docs.get(&at.file, &at.pointer) else { continue };
                    let (id, new) = self.alloc(&at, hint_from_location(&at), self.nodes[*site].dialect);
                    if new {
                        self.pending.push((id, value));
                    }
                    changed |= found[i].insert((resource, id));
                }
                let mut candidates: Vec<(Location, SchemaId)> = found[i].iter().cloned().collect();
                candidates.sort();
                if let Some(d) = self.nodes[*site].facts.dynamic_ref.as_mut() {
                    // Numbered below, once every resource is known.
                    d.candidates = candidates.iter().map(|(_, s)| (0, *s)).collect();
                }
            }
            self.drain(diags);
            if !changed {
                break;
            }
        }
        let resources: BTreeSet<&Location> = found.iter().flatten().map(|(r, _)| r).collect();
        let number = |r: &Location| resources.iter().position(|x| *x == r).and_then(|i| u32::try_from(i).ok());
        for (i, site) in sites.iter().enumerate() {
            if let Some(d) = self.nodes[*site].facts.dynamic_ref.as_mut() {
                let mut candidates: Vec<(u32, SchemaId)> = found[i].iter().filter_map(|(r, s)| Some((number(r)?, *s))).collect();
                candidates.sort_unstable();
                d.candidates = candidates;
            }
        }
        for n in &mut self.nodes {
            let resource = self.docs.resource_of(&n.loc);
            n.resource = number(&resource);
            n.resource_root = resource == n.loc;
        }
    }

    /// Lowers every `components/schemas` entry, in document order.
    pub fn lower_components(&mut self, root_loc: &Location, root: &'a Value, diags: &mut Diagnostics) {
        let Some(schemas) = root.pointer("/components/schemas") else { return };
        let written = root_loc.join("components").join("schemas");
        // A `$ref` in place of the map (`schemas: {$ref: ./schemas/_index.yaml}`) is followed:
        // the entries keep their own location, so references inside them resolve from there.
        let (loc, schemas) = match self.docs.follow(&written, schemas) {
            Ok(found) => found,
            Err(e) => {
                diags.lenient(written, Policy::Skipped, format!("`components/schemas` is a reference that leads nowhere ({e}); its schemas are not generated"));
                return;
            }
        };
        let Some(map) = schemas.as_object() else {
            diags.lenient(loc, Policy::Skipped, "`components/schemas` must be an object; it is skipped");
            return;
        };
        for (name, schema) in map {
            self.lower(&loc.join(name), schema, vec![name.clone()], self.dialect, diags);
        }
    }

    /// Lowers the schema `value` written at `loc`; `hint` names its type if it gets one.
    pub fn lower(&mut self, loc: &Location, value: &'a Value, hint: Vec<String>, dialect: Dialect, diags: &mut Diagnostics) -> SchemaId {
        let (id, new) = self.alloc(loc, hint, dialect);
        if new {
            self.fill(id, value, diags);
        }
        id
    }

    /// The node for `loc`, created empty when it is new.
    fn alloc(&mut self, loc: &Location, hint: Vec<String>, dialect: Dialect) -> (SchemaId, bool) {
        let key = (loc.file.clone(), loc.pointer.clone());
        if let Some(&id) = self.by_loc.get(&key) {
            return (id, false);
        }
        let id = self.nodes.push(SchemaNode {
            loc: loc.clone(),
            dialect,
            doc: None,
            deprecated: false,
            facts: Facts::default(),
            name_hint: hint,
            shape: Shape::Any,
            nullable: false,
            name: None,
            validator: None,
            validator_shared: false,
            discriminator: None,
            extras: None,
            degraded: None,
            resource: None,
            resource_root: false,
            rust_type: None,
            extra_derives: Vec::new(),
            extra_attributes: Vec::new(),
            deny_unknown_members: false,
            default: None,
        });
        self.by_loc.insert(key, id);
        (id, true)
    }

    fn fill(&mut self, id: SchemaId, value: &'a Value, diags: &mut Diagnostics) {
        let loc = self.nodes[id].loc.clone();
        let dialect = self.nodes[id].dialect;
        let hint = self.nodes[id].name_hint.clone();
        if self.depth >= MAX_SCHEMA_DEPTH {
            diags.error(loc, format!("schemas nest deeper than {MAX_SCHEMA_DEPTH} levels"));
            return;
        }
        self.depth += 1;
        let mut discriminator = None;
        let mut default = None;
        let (facts, doc, deprecated, dialect) = match value {
            Value::Bool(b) => (Facts { boolean: Some(*b), ..Facts::default() }, None, false, dialect),
            Value::Object(o) => {
                let dialect = self.dialect_of(o, &loc, dialect, diags);
                let facts = self.facts(o, &loc, &hint, dialect, diags);
                match invalid_default(o) {
                    Some(why) => diags.lenient(loc.join("default"), Policy::Skipped, format!("the `default` {why}; it is neither documented nor applied")),
                    None => default = o.get("default").cloned(),
                }
                if let Some(d) = o.get("discriminator") {
                    discriminator = self.discriminator(d, &loc.join("discriminator"), &facts, dialect, diags);
                }
                let doc = doc_text(o);
                let deprecated = o.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
                (facts, doc, deprecated, dialect)
            }
            _ => {
                diags.lenient(loc, Policy::FellBackToValue, "a schema must be an object or a boolean; this one accepts any JSON value (serde_json::Value)");
                (Facts::default(), None, false, dialect)
            }
        };
        self.depth -= 1;
        let node = &mut self.nodes[id];
        node.facts = facts;
        node.doc = doc.or(node.doc.take());
        node.deprecated = deprecated;
        node.dialect = dialect;
        node.discriminator = discriminator;
        node.default = default;
    }

    /// Reads `discriminator`: explicit `mapping` entries (refs or schema names, resolved; a
    /// missing target is an error) plus the implicit component name of every member.
    fn discriminator(&mut self, d: &'a Value, loc: &Location, facts: &Facts, dialect: Dialect, diags: &mut Diagnostics) -> Option<Discriminator> {
        let Some(property) = d.get("propertyName").and_then(Value::as_str) else {
            diags.lenient(loc.clone(), Policy::Skipped, "`discriminator` needs a `propertyName`; it is ignored and the variant is chosen by validation");
            return None;
        };
        let mut mapping = Vec::new();
        if let Some(m) = d.get("mapping").and_then(Value::as_object) {
            for (value, target) in m {
                let entry = loc.join("mapping").join(value);
                let Some(target) = target.as_str() else {
                    diags.lenient(
                        entry,
                        Policy::Skipped,
                        "a discriminator mapping must be a string; the entry is dropped and the variant is chosen by validation",
                    );
                    continue;
                };
                let reference = if target.contains('#') || target.contains('/') || target.contains('.') {
                    target.to_string()
                } else {
                    format!("#/components/schemas/{target}")
                };
                if let Err(e) = self.docs.resolve_ref(&entry, &reference, !dialect.ref_overrides_siblings()) {
                    diags.lenient(entry, Policy::Skipped, format!("{e}; the mapping entry is dropped and the variant is chosen by validation"));
                    continue;
                }
                if let Some(id) = self.lower_ref(&entry, &reference, dialect, diags) {
                    mapping.push((value.clone(), id));
                }
            }
        }
        for member in facts.one_of.iter().chain(&facts.any_of) {
            if let Some(target) = self.nodes[*member].facts.reference {
                let tl = &self.nodes[target].loc;
                let segs: Vec<String> = tl.segments().collect();
                if let [components, schemas, name] = segs.as_slice() {
                    if components == "components" && schemas == "schemas" && !mapping.iter().any(|(v, id)| v == name || *id == target) {
                        mapping.push((name.clone(), target));
                    }
                }
            }
        }
        // OpenAPI 3.2 `defaultMapping`: a reference or a schema name, as mapping values are.
        let default = d.get("defaultMapping").and_then(|target| {
            let entry = loc.join("defaultMapping");
            let Some(target) = target.as_str() else {
                diags.lenient(entry, Policy::Skipped, "`defaultMapping` must be a string; it is ignored and the variant is chosen by validation");
                return None;
            };
            let reference = if target.contains('#') || target.contains('/') || target.contains('.') {
                target.to_string()
            } else {
                format!("#/components/schemas/{target}")
            };
            if let Err(e) = self.docs.resolve_ref(&entry, &reference, !dialect.ref_overrides_siblings()) {
                diags.lenient(entry, Policy::Skipped, format!("{e}; `defaultMapping` is ignored and the variant is chosen by validation"));
                return None;
            }
            self.lower_ref(&entry, &reference, dialect, diags)
        });
        Some(Discriminator { property: property.to_string(), mapping, default })
    }

    /// Lowers every schema that a `$ref` reached but that was not lowered yet. References are
    /// queued rather than followed recursively, so long reference chains cost no stack.
    pub fn drain(&mut self, diags: &mut Diagnostics) {
        while let Some((id, value)) = self.pending.pop() {
            let saved = std::mem::replace(&mut self.depth, 0);
            self.fill(id, value, diags);
            self.depth = saved;
        }
    }

    /// Gives schema `id` a doc comment when the spec wrote none (used for bodies, from their operation).
    pub fn default_doc(&mut self, id: SchemaId, text: String) {
        let node = &mut self.nodes[id];
        if node.doc.is_none() {
            node.doc = Some(text);
        }
    }

    /// Resolves a `$ref` written at `from` and lowers its target (named from its own location).
    pub fn lower_ref(&mut self, from: &Location, reference: &str, dialect: Dialect, diags: &mut Diagnostics) -> Option<SchemaId> {
        self.lower_reference(from, "$ref", reference, dialect, diags)
    }

    /// [`SchemaLowerer::lower_ref`] for the reference keyword `keyword` (`$ref`, `$dynamicRef`).
    fn lower_reference(&mut self, from: &Location, keyword: &str, reference: &str, dialect: Dialect, diags: &mut Diagnostics) -> Option<SchemaId> {
        match self.docs.resolve_ref(from, reference, !dialect.ref_overrides_siblings()) {
            Ok((target_loc, target)) => {
                let hint = hint_from_location(&target_loc);
                let (id, new) = self.alloc(&target_loc, hint, dialect);
                if new {
                    self.pending.push((id, target));
                }
                Some(id)
            }
            Err(e) => {
                // Only this schema is lost: it accepts any JSON value (the safest reading that
                // rejects nothing the author may have meant), held as `serde_json::Value`.
                diags.lenient(from.clone(), Policy::FellBackToValue, format!("{e}; this schema accepts any JSON value and is held as serde_json::Value"));
                let mut hint = hint_from_location(from);
                hint.push("Value".into());
                let (id, new) = self.alloc(&from.join(keyword), hint, dialect);
                if new {
                    self.pending.push((id, &ANY_VALUE));
                    self.nodes[id].degraded = Some(e);
                }
                Some(id)
            }
        }
    }

    /// Reads `$dynamicRef` (2020-12): its static target, and its anchor name when it is dynamic
    /// (a plain-name fragment the target declares as its `$dynamicAnchor`; else it is a `$ref`).
    fn dynamic_ref(&mut self, v: &Value, loc: &Location, d: Dialect, diags: &mut Diagnostics) -> Option<DynamicRef> {
        let Some(r) = v.as_str() else {
            diags.lenient(loc.join("$dynamicRef"), Policy::NotEnforced, "`$dynamicRef` must be a string; it is ignored");
            return None;
        };
        let target = self.lower_reference(loc, "$dynamicRef", r, d, diags)?;
        let name = r.split_once('#').map(|(_, f)| f).filter(|f| !f.is_empty() && !f.starts_with('/'));
        let declared = |name: &str| match self.docs.resolve_ref(loc, r, true) {
            Ok((_, value)) => value.get("$dynamicAnchor").and_then(Value::as_str) == Some(name),
            Err(_) => false,
        };
        let anchor = name.filter(|n| declared(n)).map(str::to_string);
        Some(DynamicRef { target, anchor, candidates: Vec::new() })
    }

    fn dialect_of(&self, o: &Map<String, Value>, loc: &Location, inherited: Dialect, diags: &mut Diagnostics) -> Dialect {
        match o.get("$schema") {
            None => inherited,
            Some(Value::String(uri)) => match Dialect::from_uri(uri) {
                Some(d) => {
                    if uri.contains("draft-04") || uri.contains("draft-06") || uri.contains("2019-09") {
                        diags.warn(loc.join("$schema"), Policy::Noted, format!("`{uri}` is read by the nearest supported dialect's rules"));
                    }
                    d
                }
                None => {
                    diags.warn(
                        loc.join("$schema"),
                        Policy::NotEnforced,
                        format!("unknown dialect `{uri}`: its vocabularies are not known; the schema is read by the enclosing dialect's rules"),
                    );
                    inherited
                }
            },
            Some(_) => {
                diags.warn(loc.join("$schema"), Policy::Noted, "`$schema` must be a string; ignored");
                inherited
            }
        }
    }

    fn sub(&mut self, here: Here<'_>, key: &str, v: &'a Value, extra: &str, diags: &mut Diagnostics) -> SchemaId {
        let mut h = here.hint.to_vec();
        h.push(extra.to_string());
        self.lower(&here.loc.join(key), v, h, here.dialect, diags)
    }

    fn sub_list(&mut self, here: Here<'_>, key: &str, v: &'a Value, extra: &str, diags: &mut Diagnostics) -> Vec<SchemaId> {
        let Here { loc, hint, dialect: d } = here;
        let Some(items) = v.as_array() else {
            diags.lenient(loc.join(key), Policy::NotEnforced, format!("`{key}` must be an array of schemas; it is ignored"));
            return Vec::new();
        };
        let base = loc.join(key);
        items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut h = hint.to_vec();
                h.push(format!("{extra}{}", i + 1));
                self.lower(&base.index(i), s, h, d, diags)
            })
            .collect()
    }

    fn facts(&mut self, o: &'a Map<String, Value>, loc: &Location, hint: &[String], d: Dialect, diags: &mut Diagnostics) -> Facts {
        let here = Here { loc, hint, dialect: d };
        let mut f = Facts::default();
        if let Some(r) = o.get("$ref") {
            let Some(r) = r.as_str() else {
                diags.lenient(loc.join("$ref"), Policy::NotEnforced, "`$ref` must be a string; it is ignored");
                return f;
            };
            f.reference = self.lower_ref(loc, r, d, diags);
            if d.ref_overrides_siblings() {
                let ignored: Vec<&str> = o.keys().map(String::as_str).filter(|k| *k != "$ref" && !k.starts_with("x-") && !ANNOTATIONS.contains(k)).collect();
                if !ignored.is_empty() {
                    diags.info(loc.clone(), format!("keywords beside `$ref` are ignored by this dialect's rules: {}", ignored.join(", ")));
                }
                return f;
            }
        }
        for (k, v) in o {
            let kl = loc.join(k);
            match k.as_str() {
                "$ref" => {}
                "type" => f.types = self.types(v, &kl, diags),
                "nullable" if d == Dialect::OpenApi30 => {}
                "enum" => match v.as_array() {
                    Some(a) => f.enum_values = Some(a.clone()),
                    None => diags.lenient(kl, Policy::NotEnforced, "`enum` must be an array; it is ignored"),
                },
                "const" => f.const_value = Some(v.clone()),
                "minLength" => f.min_length = count(v, &kl, diags),
                "maxLength" => f.max_length = max_count(v, &kl, diags),
                "pattern" => match v.as_str() {
                    Some(p) => f.pattern = compile_pattern(p, &kl, diags, self.backtrack_limit),
                    None => diags.lenient(kl, Policy::NotEnforced, "`pattern` must be a string; it is ignored"),
                },
                "format" => {
                    if let Some(s) = v.as_str() {
                        f.format = Some(s.to_string());
                        let known = Format::parse(s);
                        f.format_check = known.filter(|k| (k.is_rich() && !self.plain_formats) || self.format_assertion);
                        if self.format_assertion && known.is_none() {
                            diags.warn(kl, Policy::NotEnforced, format!("format `{}` is not known; it is not asserted", s.escape_debug()));
                        }
                    }
                }
                "minimum" => f.minimum = number(v, &kl, diags).map(|value| Bound { value, exclusive: false }),
                "maximum" => f.maximum = number(v, &kl, diags).map(|value| Bound { value, exclusive: false }),
                "exclusiveMinimum" | "exclusiveMaximum" => {}
                "multipleOf" => match v.as_f64() {
                    Some(m) if m > 0.0 => f.multiple_of = Some(m),
                    _ => diags.lenient(kl, Policy::NotEnforced, "`multipleOf` must be a number greater than 0; it is ignored"),
                },
                "items" => match v {
                    Value::Array(_) => f.prefix_items = self.sub_list(here, k, v, "Item", diags),
                    _ => f.items = Some(self.sub(here, k, v, "Item", diags)),
                },
                "prefixItems" => f.prefix_items = self.sub_list(here, k, v, "Item", diags),
                // Draft 7: with array-form `items`, the rest must match `additionalItems`.
                "additionalItems" => {
                    if o.get("items").is_some_and(Value::is_array) {
                        f.items = Some(self.sub(here, k, v, "Item", diags));
                    }
                }
                "minItems" => f.min_items = count(v, &kl, diags),
                "maxItems" => f.max_items = max_count(v, &kl, diags),
                "uniqueItems" => f.unique_items = v.as_bool().unwrap_or(false),
                "contains" => {
                    let id = self.sub(here, k, v, "Contains", diags);
                    let min = o.get("minContains").and_then(|m| count(m, &loc.join("minContains"), diags)).unwrap_or(1);
                    let max = o.get("maxContains").and_then(|m| max_count(m, &loc.join("maxContains"), diags));
                    f.contains = Some((id, min, max));
                }
                "minContains" | "maxContains" => {}
                "properties" => {
                    // Some specs write `properties: {$ref: ...}` to share a property map.
                    let (ploc, v) = match (v.get("$ref").and_then(Value::as_str), v.as_object().map(Map::len)) {
                        (Some(r), Some(1)) => match self.docs.resolve(&kl, r) {
                            Ok((l, t)) => {
                                diags.info(kl, "`properties` is itself a `$ref`; the referenced map is used as the properties");
                                (l, t)
                            }
                            Err(e) => {
                                diags.lenient(
                                    kl,
                                    Policy::NotEnforced,
                                    format!("{e}; `properties` is left out (unknown members are still governed by `additionalProperties`)"),
                                );
                                continue;
                            }
                        },
                        _ => (kl, v),
                    };
                    match v.as_object() {
                        Some(props) => {
                            for (name, ps) in props {
                                let mut h = hint.to_vec();
                                h.push(name.clone());
                                let id = self.lower(&ploc.join(name), ps, h, d, diags);
                                f.properties.push((name.clone(), id));
                            }
                        }
                        None => diags.lenient(ploc, Policy::NotEnforced, "`properties` must be an object; it is ignored"),
                    }
                }
                "required" => match v.as_array() {
                    Some(a) => {
                        let props = o.get("properties").and_then(Value::as_object);
                        for name in a.iter().filter_map(Value::as_str) {
                            let prop = props.and_then(|p| p.get(name));
                            if prop.is_some_and(|p| one_direction(self.docs, &loc.join("properties").join(name), p)) {
                                diags.info(
                                    kl.clone(),
                                    format!("`{name}` is readOnly or writeOnly: the validator does not require it, since one direction omits it"),
                                );
                            } else {
                                f.required.push(name.to_string());
                            }
                        }
                    }
                    // OpenAPI 3.0 writers sometimes put `required: true` on a property schema.
                    None => diags.warn(kl, Policy::Skipped, "`required` must be an array of property names; ignored"),
                },
                "additionalProperties" => {
                    f.additional_present = true;
                    f.additional = match v {
                        Value::Bool(true) => Additional::Any,
                        Value::Bool(false) => Additional::Deny,
                        _ => Additional::Schema(self.sub(here, k, v, "Value", diags)),
                    }
                }
                "patternProperties" => match v.as_object() {
                    Some(pp) => {
                        for (pat, ps) in pp {
                            let Some(compiled) = compile_pattern(pat, &kl.join(pat), diags, self.backtrack_limit) else { continue };
                            let mut h = hint.to_vec();
                            h.push("Pattern".into());
                            let id = self.lower(&kl.join(pat), ps, h, d, diags);
                            f.pattern_properties.push((compiled, id));
                        }
                    }
                    None => diags.lenient(kl, Policy::NotEnforced, "`patternProperties` must be an object; it is ignored"),
                },
                "propertyNames" => f.property_names = Some(self.sub(here, k, v, "Name", diags)),
                "minProperties" => f.min_properties = count(v, &kl, diags),
                "maxProperties" => f.max_properties = max_count(v, &kl, diags),
                "dependentRequired" => f.dependent_required.extend(dependent_required(v)),
                "dependentSchemas" | "dependencies" => {
                    let Some(m) = v.as_object() else {
                        diags.lenient(kl, Policy::NotEnforced, format!("`{k}` must be an object; it is ignored"));
                        continue;
                    };
                    for (prop, dep) in m {
                        if dep.is_array() {
                            f.dependent_required.extend(dependent_required(&Value::Object([(prop.clone(), dep.clone())].into_iter().collect())));
                        } else {
                            let mut h = hint.to_vec();
                            h.push(format!("{prop}Dependency"));
                            let id = self.lower(&kl.join(prop), dep, h, d, diags);
                            f.dependent_schemas.push((prop.clone(), id));
                        }
                    }
                }
                "allOf" => f.all_of = self.sub_list(here, k, v, "AllOf", diags),
                "anyOf" => f.any_of = self.sub_list(here, k, v, "AnyOf", diags),
                "oneOf" => f.one_of = self.sub_list(here, k, v, "OneOf", diags),
                "not" => f.not = Some(self.sub(here, k, v, "Not", diags)),
                "if" => {
                    let c = self.sub(here, k, v, "If", diags);
                    let t = o.get("then").map(|t| self.sub(here, "then", t, "Then", diags));
                    let e = o.get("else").map(|e| self.sub(here, "else", e, "Else", diags));
                    f.if_then_else = Some((c, t, e));
                }
                "then" | "else" => {}
                "unevaluatedProperties" => f.unevaluated_properties = Some(self.sub(here, k, v, "Unevaluated", diags)),
                "unevaluatedItems" => f.unevaluated_items = Some(self.sub(here, k, v, "UnevaluatedItem", diags)),
                "$dynamicRef" if d == Dialect::Draft2020 => f.dynamic_ref = self.dynamic_ref(v, loc, d, diags),
                "$recursiveRef" if d == Dialect::Draft2020 => {
                    diags.warn(kl, Policy::NotEnforced, "`$recursiveRef` (draft 2019-09) is not supported and is not enforced; 2020-12's `$dynamicRef` is");
                }
                _ if k.starts_with("x-") || ANNOTATIONS.contains(&k.as_str()) => {}
                _ => diags.info(kl, format!("unknown keyword `{}` ignored", k.escape_debug())),
            }
        }
        self.bounds(o, loc, d, &mut f, diags);
        if d == Dialect::OpenApi30 && o.get("nullable").and_then(Value::as_bool) == Some(true) {
            f.nullable = true;
        }
        f
    }

    fn bounds(&mut self, o: &Map<String, Value>, loc: &Location, d: Dialect, f: &mut Facts, diags: &mut Diagnostics) {
        for (key, slot_is_min) in [("exclusiveMinimum", true), ("exclusiveMaximum", false)] {
            let Some(v) = o.get(key) else { continue };
            let slot = if slot_is_min { &mut f.minimum } else { &mut f.maximum };
            match v {
                Value::Bool(b) => {
                    if d != Dialect::OpenApi30 {
                        diags.warn(loc.join(key), Policy::Noted, format!("boolean `{key}` is OpenAPI 3.0 syntax; read as such"));
                    }
                    if let Some(bound) = slot {
                        bound.exclusive = *b;
                    }
                }
                Value::Number(n) => {
                    let value = n.as_f64().unwrap_or(0.0);
                    // Both `minimum` and numeric `exclusiveMinimum` may be present: keep the tighter one.
                    let tighter = match slot {
                        None => true,
                        Some(b) => {
                            if slot_is_min {
                                value >= b.value
                            } else {
                                value <= b.value
                            }
                        }
                    };
                    if tighter {
                        *slot = Some(Bound { value, exclusive: true });
                    }
                }
                _ => diags.lenient(loc.join(key), Policy::NotEnforced, format!("`{key}` must be a number; it is ignored")),
            }
        }
    }

    fn types(&mut self, v: &Value, loc: &Location, diags: &mut Diagnostics) -> Option<Vec<JsonType>> {
        let names: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::new();
        for n in names {
            match n.as_str().and_then(JsonType::parse) {
                Some(t) if !out.contains(&t) => out.push(t),
                Some(_) => {}
                None => diags.lenient(loc.clone(), Policy::NotEnforced, format!("unknown type `{n}` is ignored")),
            }
        }
        // Nothing but unknown names: no type constraint at all (the safest reading).
        (!out.is_empty()).then_some(out)
    }
}

/// Checks an ECMA-262 pattern (with the `u` flag when it is valid there, else by Annex B rules,
/// with a note) and translates it for a linear-time engine, or for the bounded backtracking one
/// when it needs lookaround or backreferences (with a warning). A pattern that is invalid is
/// not enforced, with a leniency warning; one without a faithful translation is not enforced,
/// with a warning.
fn compile_pattern(source: &str, loc: &Location, diags: &mut Diagnostics, backtrack_limit: usize) -> Option<Pattern> {
    let shown = source.escape_debug();
    let unicode = regress::Regex::with_flags(source, "u").is_ok();
    if !unicode {
        if let Err(e) = regress::Regex::with_flags(source, "") {
            diags.lenient(loc.clone(), Policy::NotEnforced, format!("invalid ECMA-262 pattern `{shown}`: {e}; it is not enforced"));
            return None;
        }
        diags.info(
            loc.clone(),
            format!("pattern `{shown}` is not valid with the Unicode flag; it is read by ECMA-262 Annex B rules and matched by code points"),
        );
    }
    let checked = pattern::translate(source, unicode).and_then(|t| {
        let built = match t.engine {
            pattern::Engine::Linear => regex::RegexBuilder::new(&t.source).build().map(drop).map_err(|e| e.to_string()),
            pattern::Engine::Backtracking => fancy_regex::RegexBuilder::new(&t.source).build().map(drop).map_err(|e| e.to_string()),
        };
        built.map(|()| t).map_err(|e| format!("the translated pattern does not compile: {}", e.lines().last().unwrap_or_default()))
    });
    match checked {
        Ok(translated) => {
            if translated.engine == pattern::Engine::Backtracking {
                diags.warn(
                    loc.clone(),
                    Policy::Noted,
                    format!(
                        "pattern `{shown}` needs lookaround or backreferences: it runs on a backtracking engine bounded to {backtrack_limit} steps per match, and a value that exceeds the bound is rejected (`--pattern-backtrack-limit` changes the bound)"
                    ),
                );
            }
            Some(Pattern { source: source.to_string(), translated, step_limit: backtrack_limit })
        }
        Err(why) => {
            diags.warn(loc.clone(), Policy::NotEnforced, format!("pattern `{shown}` is not enforced: {why}"));
            None
        }
    }
}

fn dependent_required(v: &Value) -> Vec<(String, Vec<String>)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, list)| {
                    let names = list.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect());
                    (k.clone(), names.unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An upper bound on a count: `u64::MAX` (or more, read as it) holds for every value, so it
/// is no bound (and a check against it would be a "comparison is useless" warning).
fn max_count(v: &Value, loc: &Location, diags: &mut Diagnostics) -> Option<u64> {
    count(v, loc, diags).filter(|n| *n != u64::MAX)
}

fn count(v: &Value, loc: &Location, diags: &mut Diagnostics) -> Option<u64> {
    match v.as_u64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)) {
        Some(n) => Some(n),
        None => {
            diags.lenient(loc.clone(), Policy::NotEnforced, "expected a non-negative integer; the keyword is ignored");
            None
        }
    }
}

fn number(v: &Value, loc: &Location, diags: &mut Diagnostics) -> Option<f64> {
    match v.as_f64() {
        Some(n) => Some(n),
        None => {
            diags.lenient(loc.clone(), Policy::NotEnforced, "expected a number; the keyword is ignored");
            None
        }
    }
}

/// Title and description joined, for a doc comment.
pub fn doc_text(o: &Map<String, Value>) -> Option<String> {
    let title = o.get("title").and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    let desc = o.get("description").and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    let mut text = match (title, desc) {
        (Some(t), Some(d)) => format!("{t}\n\n{d}"),
        (Some(t), None) => t.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => String::new(),
    };
    let mut notes = Vec::new();
    if let Some(note) = o.get("default").filter(|_| invalid_default(o).is_none()).and_then(default_note) {
        notes.push(note);
    }
    if o.get("readOnly").and_then(Value::as_bool) == Some(true) {
        notes.push("Read-only: sent by the server, never required in requests.".into());
    }
    if o.get("writeOnly").and_then(Value::as_bool) == Some(true) {
        notes.push("Write-only: sent by clients, never required in responses.".into());
    }
    for n in notes {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&n);
    }
    (!text.is_empty()).then_some(text)
}

/// The doc note of a valid `default` (none for a long one); analysis removes it again when the
/// default breaks another keyword of its schema.
pub fn default_note(d: &Value) -> Option<String> {
    let shown = d.to_string();
    (shown.len() <= 200).then(|| format!("Default: `{shown}` (what an absent value stands for)."))
}

/// Why a schema's `default` cannot be one of its values, judged by its own `type` (with 3.0's
/// `nullable`) and `enum`; `None` when it has no default or the default fits them.
fn invalid_default(o: &Map<String, Value>) -> Option<String> {
    let d = o.get("default")?;
    let shown = || {
        let t = d.to_string();
        if t.chars().count() > 40 { format!("{}...", t.chars().take(40).collect::<String>()) } else { t }
    };
    let fits = |t: JsonType| match t {
        JsonType::Null => d.is_null(),
        JsonType::Boolean => d.is_boolean(),
        JsonType::Object => d.is_object(),
        JsonType::Array => d.is_array(),
        JsonType::Number => d.is_number(),
        JsonType::Integer => d.as_f64().is_some_and(|f| f.fract() == 0.0),
        JsonType::String => d.is_string(),
    };
    let types: Vec<JsonType> = match o.get("type") {
        Some(Value::String(t)) => JsonType::parse(t).into_iter().collect(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter_map(JsonType::parse).collect(),
        _ => Vec::new(),
    };
    let nullable = o.get("nullable").and_then(Value::as_bool) == Some(true);
    let null_allowed = nullable && d.is_null();
    if !(types.is_empty() || types.iter().any(|t| fits(*t)) || null_allowed) {
        let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
        return Some(format!("`{}` is not of type {}", shown(), names.join(" or ")));
    }
    if let Some(Value::Array(values)) = o.get("enum") {
        let same = |a: &Value, b: &Value| a == b || a.as_f64().zip(b.as_f64()).is_some_and(|(x, y)| x == y);
        if !(values.iter().any(|v| same(v, d)) || null_allowed) {
            return Some(format!("`{}` is not one of the `enum` values", shown()));
        }
    }
    None
}

/// The schema that accepts every value (what a dangling reference degrades to).
static ANY_VALUE: Value = Value::Bool(true);

/// True when a property schema (or the schema its `$ref` names) is `readOnly` or `writeOnly`.
fn one_direction(docs: &Documents, loc: &Location, v: &Value) -> bool {
    let flagged = |v: &Value| v.get("readOnly").and_then(Value::as_bool) == Some(true) || v.get("writeOnly").and_then(Value::as_bool) == Some(true);
    if flagged(v) {
        return true;
    }
    match v.get("$ref").and_then(Value::as_str).map(|r| docs.resolve(loc, r)) {
        Some(Ok((_, target))) => flagged(target),
        _ => false,
    }
}

const STRUCTURAL: &[&str] = &[
    "properties",
    "items",
    "prefixItems",
    "additionalProperties",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "schema",
    "content",
    "components",
    "schemas",
    "$defs",
    "definitions",
    "paths",
    "responses",
    "requestBody",
    "parameters",
    "patternProperties",
];

/// Name parts for a schema from where it is written (used for `$ref` targets).
pub fn hint_from_location(loc: &Location) -> Vec<String> {
    let segs: Vec<String> = loc.segments().collect();
    if segs.len() >= 3 && segs[0] == "components" && segs[1] == "schemas" {
        let mut out = vec![segs[2].clone()];
        out.extend(segs[3..].iter().filter(|s| !STRUCTURAL.contains(&s.as_str())).cloned());
        return out;
    }
    if let Some(last) = segs.iter().rev().find(|s| !STRUCTURAL.contains(&s.as_str()) && s.parse::<usize>().is_err()) {
        return vec![last.clone()];
    }
    let stem = loc.file.rsplit('/').next().unwrap_or(&loc.file);
    let stem = stem.split('.').next().unwrap_or(stem);
    vec![stem.to_string()]
}
