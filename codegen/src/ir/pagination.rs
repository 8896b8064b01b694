//! Pagination analysis: which list operations the client follows from page to page, and how
//! ([`Pagination`] on [`Operation::pagination`]), from the configuration
//! (`pagination.operations`), the operation's `x-pagination` extension, or detection of the
//! common shapes (applied only when one request parameter and one response field match
//! unambiguously, with an info diagnostic naming the shape).

use serde_json::Value;

use super::{Ir, OpId, Operation, ParamId, ParamIn, SchemaId, Shape};
use crate::Policy;
use crate::diagnostics::Diagnostics;
use crate::load::Documents;
use crate::options::{PagingConfig, PagingKind};

/// How a paginated operation's client streams go from page to page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    /// How the next page is asked for.
    pub next: PageNext,
    /// Member names from the response body to the array of items (empty: the body is the array).
    pub items: Vec<String>,
    /// The items' schema (`None`: any JSON value).
    pub item_schema: Option<SchemaId>,
    /// The client methods: every page, every item (unique among the client's methods).
    pub pages_fn: String,
    /// See [`Pagination::pages_fn`].
    pub items_fn: String,
    /// The hidden method that fetches one page (the raw response with it).
    pub page_fn: String,
    /// Where the description came from.
    pub source: PagingSource,
}

/// Where an operation's pagination was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingSource {
    /// Detected from the parameter and response names.
    Detected,
    /// The operation's `x-pagination` extension.
    Extension,
    /// The configuration's `pagination.operations`.
    Config,
}

/// How the next page is asked for (the runtime's `paginate::Next`, with parameter ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageNext {
    /// The string (or number) at `at` in the body is the next `param`.
    Cursor {
        /// The query parameter.
        param: ParamId,
        /// Its path in the body.
        at: Vec<String>,
        /// A boolean that is `false` on the last page.
        has_more: Option<Vec<String>>,
    },
    /// The last item's `field` is the next `param` (Stripe's `starting_after`).
    LastItem {
        /// The query parameter.
        param: ParamId,
        /// The item member.
        field: String,
        /// A boolean that is `false` on the last page.
        has_more: Option<Vec<String>>,
    },
    /// A page number.
    Page {
        /// The query parameter.
        param: ParamId,
        /// The number of pages in the body.
        total: Option<Vec<String>>,
        /// The first page's number (the parameter's `minimum` when 0, else 1).
        first: i64,
    },
    /// An item offset.
    Offset {
        /// The query parameter.
        param: ParamId,
    },
    /// The next page's URL at `at` in the body.
    Url {
        /// Its path.
        at: Vec<String>,
    },
    /// The `Link: rel="next"` header.
    LinkHeader,
}

impl PageNext {
    /// The shape's name in diagnostics and in `x-pagination`'s `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            PageNext::Cursor { .. } => "cursor",
            PageNext::LastItem { .. } => "last-item",
            PageNext::Page { .. } => "page",
            PageNext::Offset { .. } => "offset",
            PageNext::Url { .. } => "next-url",
            PageNext::LinkHeader => "link-header",
        }
    }
}

/// Parameter names (lowercase, without `_` and `-`) that carry an opaque cursor.
const CURSOR_PARAMS: &[&str] =
    &["cursor", "pagetoken", "nexttoken", "after", "continuationtoken", "continuation", "marker", "startcursor", "pagecursor", "nextcursor"];
/// Response member names (normalised) that carry the next cursor.
const NEXT_CURSOR_FIELDS: &[&str] =
    &["nextcursor", "nextpagetoken", "nexttoken", "nextmarker", "nextcontinuationtoken", "continuationtoken", "endcursor", "nextpage"];
/// Objects (normalised names) that hold paging members (`meta.cursor`, `next_page.offset`).
const PAGING_OBJECTS: &[&str] = &["meta", "metadata", "pagination", "paging", "page", "pageinfo", "nextpage", "next", "cursors", "responsemetadata", "links"];
/// Response member names (normalised) of the next page's URL.
const NEXT_URL_FIELDS: &[&str] = &["next", "nexturl", "nextlink", "nextpageurl", "nextpage", "odatanextlink"];
/// Booleans that say whether there are more pages.
const HAS_MORE_FIELDS: &[&str] = &["hasmore", "hasnextpage", "hasnext", "more"];
/// Page-number parameters and page-count members.
const PAGE_PARAMS: &[&str] = &["page", "pagenumber", "pageno"];
const PAGE_COUNT_FIELDS: &[&str] = &["totalpages", "pagestotal", "pagecount", "lastpage", "numpages", "pages"];
/// Parameters that show an operation is a paged list (for the URL and header shapes).
const PAGING_PARAMS: &[&str] =
    &["cursor", "pagetoken", "nexttoken", "after", "before", "page", "perpage", "pagesize", "limit", "offset", "count", "maxresults", "top", "skip", "marker"];
/// Preferred item arrays when a response has several array members.
const ITEM_FIELDS: &[&str] = &["data", "items", "results", "entries", "records", "values", "nodes", "elements"];

fn norm(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Decides every operation's pagination (client only); notes what detection found.
pub fn apply(ir: &mut Ir, docs: &Documents, options: &crate::Options, diags: &mut Diagnostics) {
    if !options.client {
        return;
    }
    let mut methods = crate::naming::Scope::with_reserved(&[]);
    for op in &ir.operations {
        methods.claim(&op.fn_name);
    }
    let keys: std::collections::BTreeSet<String> = ir.operations.iter().map(|op| op_key(docs, op)).collect();
    for name in options.pagination.operations.keys().filter(|k| !keys.contains(*k)) {
        diags.warn(
            crate::diagnostics::Location::new(docs.root.clone(), ""),
            Policy::Noted,
            format!("the configuration's `pagination.operations` names `{name}`, which is no operation's operationId (or `METHOD /path`)"),
        );
    }
    for id in ir.operations.ids() {
        let Some((next, items, source)) = decide(ir, id, docs, options, diags) else { continue };
        let op = &ir.operations[id];
        let item_schema = item_schema(ir, op, &items);
        let base = op.fn_name.trim_start_matches("r#");
        let (pages_fn, items_fn, page_fn) = crate::naming::paging_methods(base);
        let p = Pagination {
            next,
            items,
            item_schema,
            pages_fn: methods.claim(&pages_fn),
            items_fn: methods.claim(&items_fn),
            page_fn: methods.claim(&page_fn),
            source,
        };
        ir.operations[id].pagination = Some(p);
    }
}

type Decision = (PageNext, Vec<String>, PagingSource);

/// The operation's key in `pagination.operations`: its `operationId`, else `METHOD /path`.
fn op_key(docs: &Documents, op: &Operation) -> String {
    let id = docs.get(&op.loc.file, &op.loc.pointer).and_then(|r| r.get("operationId")).and_then(Value::as_str);
    id.map_or_else(|| format!("{} {}", op.method.to_ascii_uppercase(), op.path), str::to_string)
}

fn decide(ir: &Ir, id: OpId, docs: &Documents, options: &crate::Options, diags: &mut Diagnostics) -> Option<Decision> {
    let op = &ir.operations[id];
    let raw = docs.get(&op.loc.file, &op.loc.pointer);
    if let Some(config) = options.pagination.operations.get(&op_key(docs, op)) {
        return explicit(ir, op, config, "the configuration's `pagination.operations`", PagingSource::Config, diags);
    }
    if let Some(ext) = raw.and_then(|r| r.get("x-pagination")) {
        let loc = op.loc.join("x-pagination");
        if ext == &Value::Bool(false) {
            return None;
        }
        return match serde_json::from_value::<PagingConfig>(ext.clone()) {
            Ok(config) => explicit(ir, op, &config, "`x-pagination`", PagingSource::Extension, diags),
            Err(e) => {
                diags.warn(loc, Policy::Skipped, format!("`x-pagination` is not understood ({e}): no page streams for this operation"));
                None
            }
        };
    }
    if !options.pagination.detect {
        return None;
    }
    let (next, items) = detect(ir, op)?;
    diags.info(op.loc.clone(), describe(op, &next, &items));
    Some((next, items, PagingSource::Detected))
}

/// The info note of a detected shape: operation, parameter, response member, items.
fn describe(op: &Operation, next: &PageNext, items: &[String]) -> String {
    let param = |p: &ParamId| format!("parameter `{}`", op.params[*p].name);
    let path = |p: &[String]| format!("`{}`", p.join("."));
    let detail = match next {
        PageNext::Cursor { param: p, at, has_more } => {
            let more = has_more.as_ref().map(|h| format!(" (until {} is false)", path(h))).unwrap_or_default();
            format!("{} from response member {}{more}", param(p), path(at))
        }
        PageNext::LastItem { param: p, field, has_more } => {
            let more = has_more.as_ref().map(|h| format!(" while {} is true", path(h))).unwrap_or_default();
            format!("{} from the last item's `{field}`{more}", param(p))
        }
        PageNext::Page { param: p, total, .. } => {
            format!("{} up to response member {}", param(p), total.as_deref().map(path).unwrap_or_else(|| "an empty page".into()))
        }
        PageNext::Offset { param: p } => format!("{} advanced by each page's items, until an empty page", param(p)),
        PageNext::Url { at } => format!("the next page's URL in response member {}", path(at)),
        PageNext::LinkHeader => "the `Link: rel=\"next\"` response header".to_string(),
    };
    let items = if items.is_empty() { "the response array".to_string() } else { format!("items in `{}`", items.join(".")) };
    format!("pagination detected for `{} {}`: {} shape, {detail}; {items}", op.method.to_ascii_uppercase(), op.path, next.kind())
}

/// The JSON body schema of the operation's first success response.
fn success_schema(op: &Operation) -> Option<SchemaId> {
    op.responses.iter().filter(|r| r.is_success()).find_map(|r| match &r.body {
        Some((_, super::BodyKind::Json(s))) => Some(*s),
        _ => None,
    })
}

/// A struct schema's members (through aliases).
fn members(ir: &Ir, id: SchemaId) -> &[super::Field] {
    match &ir.schemas[ir.definition(id)].shape {
        Shape::Struct(fields) => fields,
        _ => &[],
    }
}

/// The member at `path` (wire names) from `root`.
fn walk(ir: &Ir, root: SchemaId, path: &[String]) -> Option<SchemaId> {
    path.iter().try_fold(root, |at, name| members(ir, at).iter().find(|f| &f.wire == name).map(|f| f.schema))
}

/// The element schema of an array schema, `None` for an array of anything; not an array: `Err`.
fn array_items(ir: &Ir, id: SchemaId) -> Result<Option<SchemaId>, ()> {
    match ir.schemas[ir.definition(id)].shape {
        Shape::Array(items) => Ok(items),
        _ => Err(()),
    }
}

fn item_schema(ir: &Ir, op: &Operation, items: &[String]) -> Option<SchemaId> {
    let at = walk(ir, success_schema(op)?, items)?;
    array_items(ir, at).ok().flatten()
}

/// What a member holds, for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Url,
    Integer,
    Bool,
    Object,
    Other,
}

fn kind(ir: &Ir, id: SchemaId) -> Kind {
    let def = ir.definition(id);
    let uri = |s: SchemaId| matches!(ir.schemas[s].facts.format.as_deref(), Some("uri" | "url" | "uri-reference" | "iri"));
    match ir.schemas[def].shape {
        Shape::String if uri(id) || uri(def) => Kind::Url,
        Shape::String => Kind::Text,
        Shape::Integer | Shape::Formatted(super::Format::Int32) => Kind::Integer,
        Shape::Bool => Kind::Bool,
        Shape::Struct(_) => Kind::Object,
        _ => Kind::Other,
    }
}

/// Every member up to three objects deep (through the paging objects only below the top):
/// (path, normalised name, kind).
fn candidates(ir: &Ir, root: SchemaId) -> Vec<(Vec<String>, String, Kind, SchemaId)> {
    let mut out = Vec::new();
    let mut queue = vec![(Vec::<String>::new(), root)];
    while let Some((path, at)) = queue.pop() {
        for f in members(ir, at) {
            let mut p = path.clone();
            p.push(f.wire.clone());
            let k = kind(ir, f.schema);
            let n = norm(&f.wire);
            if k == Kind::Object && p.len() < 3 && PAGING_OBJECTS.contains(&n.as_str()) {
                queue.push((p.clone(), f.schema));
            }
            out.push((p, n, k, f.schema));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The array of items: the body itself, its one array member, or the one preferred name among
/// several.
fn find_items(ir: &Ir, root: SchemaId) -> Option<Vec<String>> {
    if array_items(ir, root).is_ok() {
        return Some(Vec::new());
    }
    let arrays: Vec<&super::Field> = members(ir, root).iter().filter(|f| array_items(ir, f.schema).is_ok()).collect();
    match arrays.as_slice() {
        [one] => Some(vec![one.wire.clone()]),
        [] => None,
        many => {
            let preferred: Vec<&&super::Field> = many.iter().filter(|f| ITEM_FIELDS.contains(&norm(&f.wire).as_str())).collect();
            match preferred.as_slice() {
                [one] => Some(vec![one.wire.clone()]),
                _ => None,
            }
        }
    }
}

/// The query parameters whose normalised name is in `names` (and whose kind fits).
fn query_params(ir: &Ir, op: &Operation, names: &[&str], fits: impl Fn(Kind) -> bool) -> Vec<ParamId> {
    op.params
        .iter_enumerated()
        .filter(|(_, p)| p.location == ParamIn::Query && names.contains(&norm(&p.name).as_str()) && fits(kind(ir, p.schema)))
        .map(|(id, _)| id)
        .collect()
}

/// The one element, or nothing for none or several.
fn single<T: Clone>(v: &[T]) -> Option<T> {
    match v {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Detection: every shape that matches; exactly one is applied.
fn detect(ir: &Ir, op: &Operation) -> Option<(PageNext, Vec<String>)> {
    // (Stripe's list operations document an optional, empty form body.)
    if op.body.as_ref().is_some_and(|b| b.required) {
        return None;
    }
    let root = success_schema(op)?;
    let items = find_items(ir, root)?;
    let members = candidates(ir, root);
    let text_or_int = |k: Kind| matches!(k, Kind::Text | Kind::Integer);
    let mut found = Vec::new();
    // A boolean `has_more` beside the cursor (or at the top).
    let has_more_at = |parent: &[String]| {
        let hits: Vec<Vec<String>> = members
            .iter()
            .filter(|(p, n, k, _)| *k == Kind::Bool && HAS_MORE_FIELDS.contains(&n.as_str()) && (p.len() == 1 || p[..p.len() - 1] == *parent))
            .map(|(p, ..)| p.clone())
            .collect();
        single(&hits)
    };
    // Stripe: `starting_after` + `has_more` + the items' `id`.
    if let Some(param) = single(&query_params(ir, op, &["startingafter"], text_or_int)) {
        let id_member = item_schema(ir, op, &items).is_some_and(|s| members_named(ir, s, "id"));
        let more = members.iter().find(|(p, n, k, _)| p.len() == 1 && *k == Kind::Bool && n == "hasmore").map(|(p, ..)| p.clone());
        if let (true, Some(more)) = (id_member, more) {
            found.push(PageNext::LastItem { param, field: "id".into(), has_more: Some(more) });
        }
    }
    // An opaque cursor parameter and one next-cursor member.
    let cursor_params = query_params(ir, op, CURSOR_PARAMS, text_or_int);
    // `offset` or `page` as a string is an opaque cursor too (Asana's `next_page.offset`,
    // Stripe's search `next_page`).
    let token_offsets = query_params(ir, op, &["offset", "page"], |k| k == Kind::Text);
    let cursor_params: Vec<ParamId> = cursor_params.into_iter().chain(token_offsets).collect();
    if let Some(param) = single(&cursor_params) {
        let pname = norm(&op.params[param].name);
        let hits: Vec<Vec<String>> = members
            .iter()
            .filter(|(p, n, k, _)| {
                let nested = p.len() > 1;
                let name_fits = NEXT_CURSOR_FIELDS.contains(&n.as_str())
                    || (nested && (n == "cursor" || *n == pname || (n == "next" && *k == Kind::Text)))
                    || (!nested && n == "next" && *k == Kind::Text);
                name_fits && text_or_int(*k)
            })
            .map(|(p, ..)| p.clone())
            .collect();
        if let Some(at) = single(&hits) {
            let has_more = has_more_at(&at[..at.len() - 1]);
            found.push(PageNext::Cursor { param, at, has_more });
        }
    }
    // A page number and a page count.
    if let Some(param) = single(&query_params(ir, op, PAGE_PARAMS, |k| k == Kind::Integer)) {
        let totals: Vec<Vec<String>> =
            members.iter().filter(|(_, n, k, _)| *k == Kind::Integer && PAGE_COUNT_FIELDS.contains(&n.as_str())).map(|(p, ..)| p.clone()).collect();
        if let Some(total) = single(&totals) {
            let min = ir.schemas[op.params[param].schema].facts.minimum.map(|b| b.value);
            found.push(PageNext::Page { param, total: Some(total), first: if min == Some(0.0) { 0 } else { 1 } });
        }
    }
    // An integer offset with a limit.
    let limits = query_params(ir, op, &["limit", "count", "pagesize", "perpage", "maxresults"], |k| k == Kind::Integer);
    if let (Some(param), false) = (single(&query_params(ir, op, &["offset", "skip", "start"], |k| k == Kind::Integer)), limits.is_empty()) {
        found.push(PageNext::Offset { param });
    }
    let paged = !query_params(ir, op, PAGING_PARAMS, |_| true).is_empty();
    // The next page's URL.
    let urls: Vec<Vec<String>> = members
        .iter()
        .filter(|(_, n, k, _)| NEXT_URL_FIELDS.contains(&n.as_str()) && (*k == Kind::Url || (*k == Kind::Text && n != "next" && n != "nextpage")))
        .map(|(p, ..)| p.clone())
        .collect();
    if let (Some(at), true) = (single(&urls), paged) {
        found.push(PageNext::Url { at });
    }
    // A documented `Link` header.
    let link = op.responses.iter().filter(|r| r.is_success()).any(|r| r.headers.iter().any(|h| h.name.eq_ignore_ascii_case("link")));
    if link && paged {
        found.push(PageNext::LinkHeader);
    }
    Some((single(&found)?, items))
}

fn members_named(ir: &Ir, id: SchemaId, name: &str) -> bool {
    members(ir, id).iter().any(|f| f.wire == name)
}

/// An explicit description (configuration or extension), checked against the operation.
fn explicit(ir: &Ir, op: &Operation, c: &PagingConfig, from: &str, source: PagingSource, diags: &mut Diagnostics) -> Option<Decision> {
    let loc = op.loc.clone();
    let mut fail = |message: String| {
        diags.warn(loc.clone(), Policy::Skipped, format!("{from} of `{} {}`: {message}; no page streams for it", op.method.to_ascii_uppercase(), op.path));
        None
    };
    if c.kind == PagingKind::None {
        return None;
    }
    if op.body.as_ref().is_some_and(|b| b.required) {
        return fail("an operation with a required request body is not paginated".into());
    }
    let path = |p: &str| -> Vec<String> { if p.is_empty() { Vec::new() } else { p.split('.').map(str::to_string).collect() } };
    let param = match (&c.param, c.kind) {
        (_, PagingKind::NextUrl | PagingKind::LinkHeader) => None,
        (Some(name), _) => match op.params.iter_enumerated().find(|(_, p)| p.location == ParamIn::Query && &p.name == name) {
            Some((id, _)) => Some(id),
            None => return fail(format!("`param` `{name}` is not a query parameter of the operation")),
        },
        (None, _) => return fail("`param` is required for this kind".into()),
    };
    let response = c.response.as_deref().map(path);
    let has_more = c.has_more.as_deref().map(path);
    let next = match (c.kind, param) {
        (PagingKind::Cursor, Some(param)) => match response {
            Some(at) if !at.is_empty() => PageNext::Cursor { param, at, has_more },
            _ => return fail("`response` (the next cursor's path) is required for `cursor`".into()),
        },
        (PagingKind::LastItem, Some(param)) => PageNext::LastItem { param, field: c.field.clone().unwrap_or_else(|| "id".into()), has_more },
        (PagingKind::Page, Some(param)) => {
            let min = ir.schemas[op.params[param].schema].facts.minimum.map(|b| b.value);
            PageNext::Page { param, total: response, first: if min == Some(0.0) { 0 } else { 1 } }
        }
        (PagingKind::Offset, Some(param)) => PageNext::Offset { param },
        (PagingKind::NextUrl, _) => match response {
            Some(at) if !at.is_empty() => PageNext::Url { at },
            _ => return fail("`response` (the next URL's path) is required for `next-url`".into()),
        },
        (PagingKind::LinkHeader, _) => PageNext::LinkHeader,
        _ => return None,
    };
    let items = match &c.items {
        Some(p) => path(p),
        None => match success_schema(op).and_then(|s| find_items(ir, s)) {
            Some(items) => items,
            None => return fail("no array of items found in the response; set `items`".into()),
        },
    };
    Some((next, items, source))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Severity;

    fn build(spec: &str, options: &crate::Options) -> (Ir, Diagnostics) {
        let docs = Documents::from_text("t.yaml", spec).expect("spec");
        let mut diags = Diagnostics::new(false);
        let ir = Ir::build(&docs, options, &mut diags);
        (ir, diags)
    }

    /// A one-operation spec: `GET /things` with the given query parameters (`name: type`) and
    /// 200 response schema (YAML flow).
    fn spec(params: &[(&str, &str)], response: &str, extra: &str) -> String {
        let params: String = params.iter().map(|(n, t)| format!("        - {{name: {n}, in: query, schema: {{type: {t}}}}}\n")).collect();
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /things:\n    get:\n      operationId: listThings\n{extra}      parameters:\n{params}      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {response}\n"
        )
    }

    fn paging(spec: &str) -> (Option<Pagination>, Vec<String>) {
        let (ir, diags) = build(spec, &crate::Options::default());
        let notes = diags.into_sorted().into_iter().filter(|d| d.severity == Severity::Info && d.message.contains("pagination")).map(|d| d.message).collect();
        (ir.operations.iter().next().and_then(|o| o.pagination.clone()), notes)
    }

    const ITEM: &str = "{type: object, properties: {id: {type: string}}}";

    #[test]
    fn a_cursor_and_a_next_cursor_member() {
        let s = spec(
            &[("cursor", "string"), ("limit", "integer")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, next_cursor: {{type: string}}}}}}"),
            "",
        );
        let (p, notes) = paging(&s);
        let p = p.expect("detected");
        assert!(matches!(&p.next, PageNext::Cursor { at, has_more: None, .. } if at == &["next_cursor"]), "{p:?}");
        assert_eq!(p.items, ["data"]);
        assert!(p.item_schema.is_some());
        assert_eq!((p.pages_fn.as_str(), p.items_fn.as_str()), ("list_things_pages", "list_things_items"));
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("cursor shape") && notes[0].contains("`cursor`") && notes[0].contains("`next_cursor`") && notes[0].contains("`data`"),
            "{notes:?}"
        );
    }

    #[test]
    fn nested_meta_cursor_with_has_more() {
        let s = spec(
            &[("page_token", "string")],
            &format!(
                "{{type: object, properties: {{items: {{type: array, items: {ITEM}}}, meta: {{type: object, properties: {{cursor: {{type: string}}, has_more: {{type: boolean}}}}}}}}}}"
            ),
            "",
        );
        let p = paging(&s).0.expect("detected");
        assert!(matches!(&p.next, PageNext::Cursor { at, has_more: Some(h), .. } if at == &["meta", "cursor"] && h == &["meta", "has_more"]), "{p:?}");
    }

    #[test]
    fn stripe_starting_after() {
        let s = spec(
            &[("starting_after", "string"), ("ending_before", "string"), ("limit", "integer")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, has_more: {{type: boolean}}, url: {{type: string}}}}}}"),
            "",
        );
        let p = paging(&s).0.expect("detected");
        assert!(matches!(&p.next, PageNext::LastItem { field, .. } if field == "id"), "{p:?}");
    }

    #[test]
    fn page_number_with_total_pages_and_next_url() {
        let s = spec(
            &[("page", "integer")],
            &format!("{{type: object, properties: {{results: {{type: array, items: {ITEM}}}, total_pages: {{type: integer}}}}}}"),
            "",
        );
        assert!(matches!(paging(&s).0.expect("page").next, PageNext::Page { first: 1, .. }));
        // Adyen: `int32` integers, `pageNumber` and `pagesTotal`, pages from 0 here.
        let s = spec(
            &[("pageNumber", "integer, format: int32, minimum: 0")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, pagesTotal: {{type: integer, format: int32}}}}}}"),
            "",
        );
        assert!(matches!(paging(&s).0.expect("page").next, PageNext::Page { first: 0, total: Some(ref t), .. } if t == &["pagesTotal"]));
        let s = spec(
            &[("limit", "integer")],
            &format!("{{type: object, properties: {{results: {{type: array, items: {ITEM}}}, next: {{type: string, format: uri, nullable: true}}}}}}"),
            "",
        );
        assert!(matches!(paging(&s).0.expect("url").next, PageNext::Url { ref at } if at == &["next"]));
    }

    #[test]
    fn ambiguous_or_unmatched_shapes_give_nothing() {
        // Two cursor parameters.
        let s = spec(
            &[("cursor", "string"), ("after", "string")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, next_cursor: {{type: string}}}}}}"),
            "",
        );
        assert_eq!(paging(&s), (None, vec![]));
        // Two next-cursor members.
        let s = spec(
            &[("cursor", "string")],
            &format!(
                "{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, next_cursor: {{type: string}}, next_page_token: {{type: string}}}}}}"
            ),
            "",
        );
        assert_eq!(paging(&s), (None, vec![]));
        // A cursor parameter but no response member for it.
        let s = spec(&[("cursor", "string")], &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}}}}}"), "");
        assert_eq!(paging(&s), (None, vec![]));
        // Two arrays, neither a preferred name.
        let s = spec(&[("cursor", "string")], "{type: object, properties: {a: {type: array}, b: {type: array}, next_cursor: {type: string}}}", "");
        assert_eq!(paging(&s), (None, vec![]));
        // A page number without a page count.
        let s = spec(&[("page", "integer")], &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}}}}}"), "");
        assert_eq!(paging(&s), (None, vec![]));
        // Two shapes at once (a cursor and a page count).
        let s = spec(
            &[("cursor", "string"), ("page", "integer")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, next_cursor: {{type: string}}, total_pages: {{type: integer}}}}}}"),
            "",
        );
        assert_eq!(paging(&s), (None, vec![]));
        // A next URL without any paging parameter.
        let s = spec(
            &[("q", "string")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, next: {{type: string, format: uri}}}}}}"),
            "",
        );
        assert_eq!(paging(&s), (None, vec![]));
    }

    #[test]
    fn the_extension_and_the_configuration_say_it_or_turn_it_off() {
        let body = format!(
            "{{type: object, properties: {{entries: {{type: array, items: {ITEM}}}, token: {{type: object, properties: {{value: {{type: string}}}}}}}}}}"
        );
        let ext = "      x-pagination: {kind: cursor, param: from, response: token.value, items: entries}\n";
        let s = spec(&[("from", "string")], &body, ext);
        let (p, notes) = paging(&s);
        let p = p.expect("explicit");
        assert_eq!(p.source, PagingSource::Extension);
        assert!(matches!(&p.next, PageNext::Cursor { at, .. } if at == &["token", "value"]));
        assert!(notes.is_empty());
        // Off by the extension although detection would match.
        let s = spec(
            &[("cursor", "string")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, next_cursor: {{type: string}}}}}}"),
            "      x-pagination: false\n",
        );
        assert_eq!(paging(&s).0, None);
        // By the configuration, by operationId.
        let s = spec(&[("from", "string")], &body, "");
        let mut options = crate::Options::default();
        options.pagination.operations.insert(
            "listThings".into(),
            PagingConfig {
                kind: PagingKind::Cursor,
                param: Some("from".into()),
                response: Some("token.value".into()),
                has_more: None,
                field: None,
                items: None,
            },
        );
        let (ir, _) = build(&s, &options);
        let p = ir.operations.iter().next().and_then(|o| o.pagination.clone()).expect("configured");
        assert_eq!((p.source, p.items.as_slice()), (PagingSource::Config, &["entries".to_string()][..]));
        // A parameter the operation lacks is a located warning.
        let s = spec(&[("from", "string")], &body, "      x-pagination: {kind: page, param: nope}\n");
        let (ir, diags) = build(&s, &crate::Options::default());
        assert!(ir.operations.iter().all(|o| o.pagination.is_none()));
        let diags = diags.into_sorted();
        assert!(diags.iter().any(|d| d.severity == Severity::Warning && d.message.contains("`nope`")), "{diags:?}");
        // A configured operation that does not exist is a warning.
        let mut options = crate::Options::default();
        options.pagination.operations.insert(
            "nothing".into(),
            PagingConfig { kind: PagingKind::Offset, param: Some("from".into()), response: None, has_more: None, field: None, items: None },
        );
        let diags = build(&s, &options).1.into_sorted();
        assert!(diags.iter().any(|d| d.severity == Severity::Warning && d.message.contains("`nothing`")), "{diags:?}");
        // Detection off for everything.
        let s = spec(
            &[("cursor", "string")],
            &format!("{{type: object, properties: {{data: {{type: array, items: {ITEM}}}, next_cursor: {{type: string}}}}}}"),
            "",
        );
        let mut options = crate::Options::default();
        options.pagination.detect = false;
        assert!(build(&s, &options).0.operations.iter().all(|o| o.pagination.is_none()));
    }
}
