//! Emits `validate.rs`: one function per named schema that checks a JSON value against every
//! assertion in the IR and collects all violations with their instance paths.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lit, value_tokens};
use crate::ir::pattern::Engine;
use crate::ir::{Additional, DynamicRef, Facts, Ir, JsonType, Pattern, SchemaId, Shape};

/// The module header.
pub fn head() -> TokenStream {
    quote! {
        //! Validators: every JSON Schema assertion of the spec, checked on the JSON value before it
        //! is converted into a Rust type. Keywords apply only to instances of their type.
        #![allow(unused_imports)]
        // Nested checks mirror the schema's nesting; merging them would hide it.
        #![allow(clippy::collapsible_if, clippy::collapsible_else_if)]
        use std::collections::BTreeSet;
        use std::sync::LazyLock;
        use serde_json::Value;
        use crate::runtime as rt;
        use crate::runtime::InstancePath as Path;
        /// Where validators append violations.
        #[allow(dead_code)]
        type Out = Vec<rt::Violation>;
    }
}

/// The schemas that get a validator function, in output order, and whether they also need an
/// "evaluated members" function (they are reached in place from an `unevaluated*` keyword).
pub fn units(ir: &Ir) -> Vec<(SchemaId, bool)> {
    let eval = eval_targets(ir);
    ir.schemas.iter_enumerated().filter(|(_, n)| n.validator.is_some() && !n.validator_shared).map(|(id, _)| (id, eval.contains(&id))).collect()
}

/// In-place applicators of a schema: the subschemas that evaluate the same instance.
fn in_place(f: &Facts) -> Vec<SchemaId> {
    let mut out: Vec<SchemaId> =
        f.reference.into_iter().chain(f.all_of.iter().copied()).chain(f.any_of.iter().copied()).chain(f.one_of.iter().copied()).collect();
    if let Some((c, t, e)) = f.if_then_else {
        out.push(c);
        out.extend(t);
        out.extend(e);
    }
    out.extend(f.dependent_schemas.iter().map(|(_, s)| *s));
    if let Some(d) = &f.dynamic_ref {
        out.push(d.target);
        out.extend(d.candidates.iter().map(|(_, s)| *s));
    }
    out
}

/// The statement that records entering schema `id`'s resource in the dynamic scope, where
/// validation can enter it from elsewhere: at a resource's root, and at a schema with a validator
/// function (a reference target, an entry point). Nothing unless a `$dynamicRef` may look for it.
fn scope_entry(ir: &Ir, id: SchemaId) -> Option<TokenStream> {
    let node = &ir.schemas[id];
    let resource = node.resource.filter(|_| node.resource_root || node.validator.is_some())?;
    Some(quote!(let _scope = rt::DynamicScope::enter(#resource);))
}

/// `code` inside `scope_entry`'s block, when there is code and an entry to record.
fn in_scope(entry: Option<TokenStream>, code: TokenStream) -> TokenStream {
    match entry {
        Some(entry) if !code.is_empty() => quote!({ #entry #code }),
        _ => code,
    }
}

/// `code` for reference target `to` of schema `from`: entering its resource is recorded when the
/// reference leads into another resource somewhere the target itself does not record it.
fn crossing(ir: &Ir, from: SchemaId, to: SchemaId, code: TokenStream) -> TokenStream {
    let (a, b) = (&ir.schemas[from], &ir.schemas[to]);
    let entry = b.resource.filter(|r| a.resource != Some(*r) && !b.resource_root && b.validator.is_none());
    in_scope(entry.map(|r| quote!(let _scope = rt::DynamicScope::enter(#r);)), code)
}

/// `$dynamicRef` of schema `id`: `each` applied to the anchored schema of the outermost resource
/// in the dynamic scope that declares the anchor, else to the static target.
fn dynamic_code(ir: &Ir, id: SchemaId, d: &DynamicRef, each: impl Fn(SchemaId) -> TokenStream) -> TokenStream {
    let fallback = crossing(ir, id, d.target, each(d.target));
    let arms: Vec<(usize, TokenStream)> = d.candidates.iter().enumerate().filter(|(_, (_, s))| *s != d.target).map(|(i, (_, s))| (i, each(*s))).collect();
    if arms.iter().all(|(_, code)| code.is_empty()) && fallback.is_empty() {
        return TokenStream::new();
    }
    if arms.is_empty() {
        return fallback;
    }
    let keys = d.candidates.iter().map(|(k, _)| *k);
    let arms = arms.iter().map(|(i, code)| quote!(Some(#i) => { #code }));
    quote! {
        match rt::dynamic_outermost(&[#(#keys),*]) {
            #(#arms)*
            _ => { #fallback }
        }
    }
}

/// Schemas whose evaluated members an `unevaluated*` keyword needs, reached in place.
fn eval_targets(ir: &Ir) -> std::collections::BTreeSet<SchemaId> {
    let mut seen = std::collections::BTreeSet::new();
    let mut stack: Vec<SchemaId> = ir
        .schemas
        .iter()
        .filter(|n| n.facts.unevaluated_properties.is_some() || n.facts.unevaluated_items.is_some())
        .flat_map(|n| in_place(&n.facts))
        .collect();
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(in_place(&ir.schemas[id].facts));
        }
    }
    seen
}

/// Statements adding to `props` / `items` the members and indices schema `id` evaluates on `v`
/// (JSON Schema annotations: properties, patternProperties, additionalProperties, prefixItems,
/// items, contains, nested unevaluated*, and the in-place applicators that pass).
fn eval_code(ir: &Ir, id: SchemaId, top: bool) -> TokenStream {
    let node = &ir.schemas[id];
    if !top {
        if let Some(f) = &node.validator {
            let f = ident(&crate::naming::companion_fn(f, "evaluated"));
            return quote!(#f(v, props, items););
        }
    }
    in_scope(scope_entry(ir, id), eval_facts(ir, id, &node.facts))
}

/// [`eval_code`] for a set of keywords (those of schema `id`, or some of them).
fn eval_facts(ir: &Ir, id: SchemaId, f: &Facts) -> TokenStream {
    let mut obj = Vec::new();
    if !f.properties.is_empty() {
        let names = f.properties.iter().map(|(n, _)| lit(n));
        obj.push(quote!(for name in [#(#names),*] { if o.contains_key(name) { props.insert(name.to_string()); } }));
    }
    for (i, (pat, _)) in f.pattern_properties.iter().enumerate() {
        let re = quote::format_ident!("EVAL_PATTERN_{}", i);
        let stat = pattern_static(&re, pat);
        // A key the bounded engine cannot decide counts as not evaluated (the stricter answer).
        obj.push(quote! {
            #stat
            for k in o.keys() { if #re.search(k) == Some(true) { props.insert(k.clone()); } }
        });
    }
    if f.additional_present || f.unevaluated_properties.is_some() {
        obj.push(quote!(props.extend(o.keys().cloned());));
    }
    for (name, s) in &f.dependent_schemas {
        let p = lit(name);
        let sub = eval_code(ir, *s, false);
        if !sub.is_empty() {
            obj.push(quote!(if o.contains_key(#p) { #sub }));
        }
    }
    let mut arr = Vec::new();
    if !f.prefix_items.is_empty() {
        let n = f.prefix_items.len();
        arr.push(quote!(items.extend(0..a.len().min(#n));));
    }
    if f.items.is_some() || f.unevaluated_items.is_some() {
        arr.push(quote!(items.extend(0..a.len());));
    }
    if let Some((c, _, _)) = f.contains {
        let sub = passes(ir, c);
        arr.push(quote!(for (i, v) in a.iter().enumerate() { let v: &Value = v; let matched = #sub; if matched { items.insert(i); } }));
    }
    let mut body = Vec::new();
    if !obj.is_empty() {
        body.push(quote!(if let Some(o) = v.as_object() { #(#obj)* }));
    }
    if !arr.is_empty() {
        body.push(quote!(if let Some(a) = v.as_array() { #(#arr)* }));
    }
    if let Some(r) = f.reference {
        body.push(crossing(ir, id, r, eval_code(ir, r, false)));
    }
    if let Some(d) = &f.dynamic_ref {
        body.push(dynamic_code(ir, id, d, |s| eval_code(ir, s, false)));
    }
    for s in &f.all_of {
        body.push(eval_code(ir, *s, false));
    }
    for s in f.any_of.iter().chain(&f.one_of) {
        let ok = passes(ir, *s);
        let sub = eval_code(ir, *s, false);
        if !sub.is_empty() {
            body.push(quote!(let applies = #ok; if applies { #sub }));
        }
    }
    if let Some((c, t, e)) = f.if_then_else {
        let ok = passes(ir, c);
        let sc = eval_code(ir, c, false);
        let st = t.map(|t| eval_code(ir, t, false)).unwrap_or_default();
        let se = e.map(|e| eval_code(ir, e, false)).unwrap_or_default();
        body.push(if_else(ok, quote!(#sc #st), se));
    }
    quote!(#(#body)*)
}

/// The validator function of one schema (and its `Validate` impl for named types).
pub fn unit(ir: &Ir, u: &(SchemaId, bool)) -> TokenStream {
    let (id, with_eval) = *u;
    let eval_fn = with_eval.then(|| {
        let name = ir.schemas[id].validator.as_deref().unwrap_or_default();
        let f = ident(&crate::naming::companion_fn(name, "evaluated"));
        let body = eval_code(ir, id, true);
        quote! {
            /// Adds the members and item indices this schema evaluates (for `unevaluated*`).
            pub fn #f(v: &Value, props: &mut BTreeSet<String>, items: &mut BTreeSet<usize>) {
                let _ = (&v, &props, &items);
                // Scratch path for the validators that decide which branches apply.
                let path = &mut rt::InstancePath::root();
                let _ = &path;
                #body
            }
        }
    });
    let node = &ir.schemas[id];
    let Some(fname) = &node.validator else { return TokenStream::new() };
    let f = ident(fname);
    let body = facts_code(ir, id);
    let body = if body.is_empty() { quote!(let _ = (v, path, out);) } else { body };
    let about = lit(&match node.name.as_deref() {
        Some(name) => format!(" Validates a value against `{name}` ({}).", node.loc),
        None => format!(" Validates a value against the schema at {}.", node.loc),
    });
    let imp = (ir.emit_types && matches!(node.shape, Shape::Struct(_) | Shape::StringEnum(_) | Shape::Union(_))).then(|| {
        let t = ident(node.name.as_deref().unwrap_or_default());
        quote! {
            impl rt::Validate for crate::types::#t {
                fn validate_at(v: &Value, path: &mut Path, out: &mut Out) {
                    #f(v, path, out);
                }
            }
        }
    });
    let reader = if ir.emit_types { super::fast::reader(ir, id) } else { TokenStream::new() };
    quote! {
        #[doc = #about]
        pub fn #f(v: &Value, path: &mut Path, out: &mut Out) {
            #body
        }
        #imp
        #eval_fn
        #reader
    }
}

/// Code that validates `v` (a `&Value` at `path`) against schema `id`, appending to `out`.
pub fn check(ir: &Ir, id: SchemaId) -> TokenStream {
    match &ir.schemas[id].validator {
        Some(f) => {
            let f = ident(f);
            quote!(#f(v, path, out);)
        }
        None => facts_code(ir, id),
    }
}

fn num(x: f64) -> proc_macro2::Literal {
    proc_macro2::Literal::f64_suffixed(x)
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// A sub-check whose violations are collected into a temporary list; evaluates to `true` when valid.
fn passes(ir: &Ir, id: SchemaId) -> TokenStream {
    let c = check(ir, id);
    if c.is_empty() {
        return quote!(true);
    }
    quote!({
        let mut scratch = Vec::new();
        {
            let out = &mut scratch;
            #c
        }
        scratch.is_empty()
    })
}

fn facts_code(ir: &Ir, id: SchemaId) -> TokenStream {
    let f: &Facts = &ir.schemas[id].facts;
    match f.boolean {
        Some(true) => return TokenStream::new(),
        Some(false) => return quote!(let _ = v; rt::violation(out, path, "false", "no value is allowed here");),
        None => {}
    }
    let mut body = Vec::new();
    if let Some(r) = f.reference {
        body.push(crossing(ir, id, r, check(ir, r)));
    }
    if let Some(d) = &f.dynamic_ref {
        body.push(dynamic_code(ir, id, d, |s| check(ir, s)));
    }
    if let Some(types) = &f.types {
        let bits = types.iter().map(|t| {
            let c = quote::format_ident!("{}", type_const(*t));
            quote!(rt::types::#c)
        });
        body.push(quote!(rt::expect_type(v, path, out, #(#bits)|*);));
    }
    if let Some(values) = &f.enum_values {
        let strings: Vec<&str> = values.iter().filter_map(serde_json::Value::as_str).collect();
        let null_ok = values.iter().any(serde_json::Value::is_null);
        if strings.len() + usize::from(null_ok) == values.len() {
            let strings = strings.iter().map(|x| lit(x));
            body.push(quote!(rt::expect_one_of_strings(v, path, out, &[#(#strings),*], #null_ok);));
        } else {
            let tests: Vec<TokenStream> = values
                .iter()
                .map(|x| {
                    let t = value_tokens(x);
                    quote!(rt::json_eq(v, &#t))
                })
                .collect();
            let shown = lit(&values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "));
            body.push(quote! {
                let allowed = #(#tests)||*;
                if !allowed {
                    rt::violation(out, path, "enum", format!("must be one of: {}", #shown));
                }
            });
        }
    }
    if let Some(c) = &f.const_value {
        let t = value_tokens(c);
        let shown = lit(&c.to_string());
        body.push(quote! {
            if !rt::json_eq(v, &#t) {
                rt::violation(out, path, "const", format!("must be {}", #shown));
            }
        });
    }
    body.push(string_checks(f));
    body.push(number_checks(f));
    body.push(array_checks(ir, f));
    body.push(object_checks(ir, f));
    for s in &f.all_of {
        body.push(check(ir, *s));
    }
    // An alternative without checks accepts everything, and so does the `anyOf`.
    if !f.any_of.is_empty() && f.any_of.iter().all(|s| has_checks(ir, *s)) {
        let subs = f.any_of.iter().map(|s| passes(ir, *s));
        body.push(quote! {
            let any_valid = #(#subs)||*;
            if !any_valid {
                rt::violation(out, path, "anyOf", "must match at least one of the allowed schemas (anyOf)");
            }
        });
    }
    if !f.one_of.is_empty() {
        if f.one_of.iter().all(|s| !has_checks(ir, *s)) {
            body.push(quote!(let _ = v;));
        }
        let subs = f.one_of.iter().map(|s| passes(ir, *s));
        body.push(quote! {
            let matched = [#(#subs),*].iter().filter(|ok| **ok).count();
            if matched != 1 {
                rt::violation(out, path, "oneOf", format!("must match exactly one of the allowed schemas (oneOf), matched {matched}"));
            }
        });
    }
    if let Some(n) = f.not {
        let sub = passes(ir, n);
        if !has_checks(ir, n) {
            // `not: {}`: nothing is valid; the value itself is not looked at.
            body.push(quote!(let _ = v;));
        }
        body.push(quote! {
            let matched = #sub;
            if matched {
                rt::violation(out, path, "not", "must not match the disallowed schema (not)");
            }
        });
    }
    if let Some((cond, then, els)) = f.if_then_else {
        let c = passes(ir, cond);
        let t = then.map(|t| check(ir, t)).unwrap_or_default();
        let e = els.map(|e| check(ir, e)).unwrap_or_default();
        if !t.is_empty() || !e.is_empty() {
            body.push(if_else(c, t, e));
        }
    }
    if f.unevaluated_properties.is_some() || f.unevaluated_items.is_some() {
        let mut own = f.clone();
        own.unevaluated_properties = None;
        own.unevaluated_items = None;
        let evaluated = eval_facts(ir, id, &own);
        let mut checks = Vec::new();
        if let Some(u) = f.unevaluated_properties.filter(|u| has_checks(ir, *u)) {
            let sub = member_check(ir, u, "unevaluatedProperties", "is not allowed (unevaluated property)");
            checks.push(quote!(if let Some(o) = v.as_object() {
                for (k, v) in o {
                    if !props.contains(k.as_str()) {
                        let _ = v;
                        path.push_key(k);
                        #sub
                        path.pop();
                    }
                }
            }));
        }
        if let Some(u) = f.unevaluated_items.filter(|u| has_checks(ir, *u)) {
            let sub = member_check(ir, u, "unevaluatedItems", "is not allowed (unevaluated item)");
            checks.push(quote!(if let Some(a) = v.as_array() {
                for (i, v) in a.iter().enumerate() {
                    if !items.contains(&i) {
                        let _ = v;
                        path.push_index(i);
                        #sub
                        path.pop();
                    }
                }
            }));
        }
        if !checks.is_empty() {
            body.push(quote! {
                let mut props: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
                let mut items: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
                {
                    let props = &mut props;
                    let items = &mut items;
                    let _ = (&props, &items);
                    #evaluated
                }
                #(#checks)*
            });
        }
    }
    let body: TokenStream = body.into_iter().collect();
    let body = in_scope(scope_entry(ir, id), body);
    if body.is_empty() {
        return body;
    }
    if f.nullable { quote!(if !v.is_null() { #body }) } else { body }
}

fn string_checks(f: &Facts) -> TokenStream {
    let c = string_checks_on_s(f);
    if c.is_empty() {
        return TokenStream::new();
    }
    quote!(if let Some(s) = v.as_str() { #c })
}

/// The string keywords, checking `s: &str` at `path` into `out` (empty when there are none).
pub(super) fn string_checks_on_s(f: &Facts) -> TokenStream {
    let mut c = Vec::new();
    if let Some(format) = f.format_check.filter(|f| *f != crate::ir::Format::Int32) {
        let name = lit(format.as_str());
        c.push(quote!(rt::expect_format(s, path, out, #name);));
    }
    let min_length = f.min_length.filter(|n| *n > 0);
    if min_length.is_some() || f.max_length.is_some() {
        let min = opt_u64(min_length);
        let max = opt_u64(f.max_length);
        c.push(quote!(rt::string_length(s, path, out, #min, #max);));
    }
    if let Some(p) = &f.pattern {
        let source = lit(&p.source);
        let stat = pattern_static(&quote::format_ident!("RE"), p);
        c.push(quote! {
            #stat
            rt::expect_match(s, path, out, &RE, #source);
        });
    }
    quote!(#(#c)*)
}

/// [`check`] for the members a keyword applies its schema to: a `false` schema reports that
/// keyword (`unevaluatedProperties`, `items`) rather than the bare `false`.
fn member_check(ir: &Ir, id: SchemaId, keyword: &str, message: &str) -> TokenStream {
    if ir.schemas[id].facts.boolean == Some(false) {
        return quote!(let _ = v; rt::violation(out, path, #keyword, #message););
    }
    check(ir, id)
}

/// The `static` that holds a compiled pattern, built on first use.
fn pattern_static(name: &proc_macro2::Ident, p: &Pattern) -> TokenStream {
    let source = lit(&p.translated.source);
    let build = match p.translated.engine {
        Engine::Linear => quote!(rt::Pattern::linear(#source)),
        Engine::Backtracking => {
            let limit = p.step_limit;
            quote!(rt::Pattern::backtracking(#source, #limit))
        }
    };
    quote!(static #name: LazyLock<rt::Pattern> = LazyLock::new(|| #build);)
}

fn opt_u64(x: Option<u64>) -> TokenStream {
    match x {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

fn opt_bound(b: Option<crate::ir::Bound>) -> TokenStream {
    match b {
        Some(b) => {
            let x = num(b.value);
            let e = b.exclusive;
            quote!(Some((#x, #e)))
        }
        None => quote!(None),
    }
}

fn type_const(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "NULL",
        JsonType::Boolean => "BOOLEAN",
        JsonType::Object => "OBJECT",
        JsonType::Array => "ARRAY",
        JsonType::Number => "NUMBER",
        JsonType::Integer => "INTEGER",
        JsonType::String => "STRING",
    }
}

/// The number keywords, checking `v: &Value` at `path` into `out`.
pub(super) fn number_checks(f: &Facts) -> TokenStream {
    let mut c = Vec::new();
    if f.format_check == Some(crate::ir::Format::Int32) {
        c.push(quote!(if !(-2_147_483_648f64..=2_147_483_647f64).contains(&n) {
            rt::violation(out, path, "format", "must be a valid int32");
        }));
    }
    if f.minimum.is_some() || f.maximum.is_some() {
        let min = opt_bound(f.minimum);
        let max = opt_bound(f.maximum);
        c.push(quote!(rt::number_range(n, path, out, #min, #max);));
    }
    let ranged = if c.is_empty() { TokenStream::new() } else { quote!(if let Some(n) = v.as_f64() { #(#c)* }) };
    // `is_multiple_of` passes anything that is not a number.
    let multiple = f.multiple_of.map(|m| {
        let x = num(m);
        let msg = lit(&format!("must be a multiple of {}", fmt_num(m)));
        quote!(if !rt::is_multiple_of(v, #x) { rt::violation(out, path, "multipleOf", #msg); })
    });
    quote!(#ranged #multiple)
}

fn array_checks(ir: &Ir, f: &Facts) -> TokenStream {
    let mut c = Vec::new();
    if let Some(n) = f.min_items.filter(|n| *n > 0) {
        let msg = lit(&format!("must have at least {n} items"));
        c.push(quote!(if (a.len() as u64) < #n { rt::violation(out, path, "minItems", #msg); }));
    }
    if let Some(n) = f.max_items {
        let msg = lit(&format!("must have at most {n} items"));
        c.push(quote!(if (a.len() as u64) > #n { rt::violation(out, path, "maxItems", #msg); }));
    }
    if f.unique_items {
        c.push(quote!(if !rt::all_unique(a) {
            rt::violation(out, path, "uniqueItems", "items must be unique");
        }));
    }
    for (i, s) in f.prefix_items.iter().enumerate() {
        let sub = check(ir, *s);
        if !sub.is_empty() {
            let get = if i == 0 { quote!(a.first()) } else { quote!(a.get(#i)) };
            c.push(quote!(if let Some(v) = #get { path.push_index(#i); #sub path.pop(); }));
        }
    }
    if let Some(items) = f.items {
        let sub = member_check(ir, items, "items", "is not allowed (no item is allowed here)");
        let skip = f.prefix_items.len();
        if !sub.is_empty() {
            let iter = if skip == 0 { quote!(a.iter().enumerate()) } else { quote!(a.iter().enumerate().skip(#skip)) };
            c.push(quote!(for (i, v) in #iter { path.push_index(i); #sub path.pop(); }));
        }
    }
    if let Some((s, min, max)) = f.contains.filter(|(_, min, max)| *min > 0 || max.is_some()) {
        let sub = passes(ir, s);
        let max_check = max.map(|m| {
            let msg = lit(&format!("must contain at most {m} matching items"));
            quote!(if (found as u64) > #m { rt::violation(out, path, "maxContains", #msg); })
        });
        let msg = lit(&format!("must contain at least {min} matching items"));
        let count = if !has_checks(ir, s) { quote!(a.len()) } else { quote!(a.iter().filter(|v| { let v: &Value = v; #sub }).count()) };
        let keyword = if min == 1 { "contains" } else { "minContains" };
        let min_check = (min > 0).then(|| quote!(if (found as u64) < #min { rt::violation(out, path, #keyword, #msg); }));
        c.push(quote! {
            let found = #count;
            #min_check
            #max_check
        });
    }
    if c.is_empty() {
        return TokenStream::new();
    }
    quote!(if let Some(a) = v.as_array() { #(#c)* })
}

fn object_checks(ir: &Ir, f: &Facts) -> TokenStream {
    let mut c = Vec::new();
    if !f.required.is_empty() {
        let names = f.required.iter().map(|r| lit(r));
        c.push(quote!(rt::expect_required(o, path, out, &[#(#names),*]);));
    }
    for (name, s) in &f.properties {
        let sub = check(ir, *s);
        if !sub.is_empty() {
            let key = lit(name);
            match &ir.schemas[*s].validator {
                Some(f) => {
                    let f = ident(f);
                    c.push(quote!(rt::property(o, #key, path, out, #f);));
                }
                None => c.push(quote!(if let Some(v) = o.get(#key) { path.push_key(#key); #sub path.pop(); })),
            }
        }
    }
    let additional = match f.additional {
        Additional::Any => TokenStream::new(),
        Additional::Deny => quote!(rt::violation_at(out, path, k, "additionalProperties", "is not allowed (unknown property)");),
        Additional::Schema(s) => {
            let sub = check(ir, s);
            if sub.is_empty() { TokenStream::new() } else { quote!(path.push_key(k); #sub path.pop();) }
        }
    };
    let mut pattern_res = Vec::new();
    // Whether each pattern's matches are checked in a loop of their own, which also reports keys
    // the bounded engine cannot decide.
    let mut looped = Vec::new();
    for (i, (pat, s)) in f.pattern_properties.iter().enumerate() {
        let re = quote::format_ident!("PATTERN_{}", i);
        let sub = check(ir, *s);
        looped.push(!sub.is_empty());
        if sub.is_empty() && additional.is_empty() {
            continue;
        }
        pattern_res.push(pattern_static(&re, pat));
        if !sub.is_empty() {
            c.push(quote!(for (k, v) in o { if rt::key_matches(&#re, k, path, out) { path.push_key(k); #sub path.pop(); } }));
        }
    }
    if f.additional == Additional::Deny && f.pattern_properties.is_empty() {
        let names = f.properties.iter().map(|(n, _)| lit(n));
        c.push(quote!(rt::deny_unknown(o, path, out, &[#(#names),*]);));
    } else if !additional.is_empty() {
        let names: Vec<_> = f.properties.iter().map(|(n, _)| lit(n)).collect();
        let mut tests: Vec<TokenStream> = Vec::new();
        if !names.is_empty() {
            tests.push(quote!(matches!(k.as_str(), #(#names)|*)));
        }
        tests.extend(looped.iter().enumerate().map(|(i, looped)| {
            let re = quote::format_ident!("PATTERN_{}", i);
            if *looped { quote!(#re.search(k) == Some(true)) } else { quote!(rt::key_matches(&#re, k, path, out)) }
        }));
        let known = if tests.is_empty() { quote!(false) } else { quote!(#(#tests)||*) };
        c.push(quote! {
            for (k, v) in o {
                let _ = v;
                if #known { continue; }
                #additional
            }
        });
    }
    if let Some(names) = f.property_names {
        let sub = check(ir, names);
        if !sub.is_empty() {
            c.push(quote!(for k in o.keys() { let name = Value::String(k.clone()); let v = &name; path.push_key(k); #sub path.pop(); }));
        }
    }
    if let Some(n) = f.min_properties.filter(|n| *n > 0) {
        let msg = lit(&format!("must have at least {n} properties"));
        c.push(quote!(if (o.len() as u64) < #n { rt::violation(out, path, "minProperties", #msg); }));
    }
    if let Some(n) = f.max_properties {
        let msg = lit(&format!("must have at most {n} properties"));
        c.push(quote!(if (o.len() as u64) > #n { rt::violation(out, path, "maxProperties", #msg); }));
    }
    for (prop, needs) in &f.dependent_required {
        let p = lit(prop);
        for n in needs {
            let nl = lit(n);
            let msg = lit(&format!("is required when `{prop}` is present"));
            c.push(quote!(if o.contains_key(#p) && !o.contains_key(#nl) { rt::violation_at(out, path, #nl, "dependentRequired", #msg); }));
        }
    }
    for (prop, s) in &f.dependent_schemas {
        let p = lit(prop);
        let sub = check(ir, *s);
        if !sub.is_empty() {
            c.push(quote!(if o.contains_key(#p) { #sub }));
        }
    }
    if c.is_empty() {
        return TokenStream::new();
    }
    quote!(if let Some(o) = v.as_object() { #(#pattern_res)* #(#c)* })
}

/// The JSON types a schema allows, as [`types`] bits (following aliases; 0 when unconstrained).
pub fn type_bits(ir: &Ir, id: SchemaId) -> u8 {
    let types = ir.schemas[ir.definition(id)].facts.types.as_ref();
    types.map_or(0, |ts| ts.iter().fold(0, |bits, t| bits | t.bit()))
}

/// The path of schema `id`'s validator function (analysis gives every operation root one).
pub fn validator_path(ir: &Ir, id: SchemaId) -> TokenStream {
    let f = ident(ir.schemas[id].validator.as_deref().unwrap_or("missing_validator"));
    quote!(crate::validate::#f)
}

/// [`validator_path`] in a module that imports `crate::validate as v` (the server and client).
pub fn validator_short(ir: &Ir, id: SchemaId) -> TokenStream {
    let f = ident(ir.schemas[id].validator.as_deref().unwrap_or("missing_validator"));
    quote!(v::#f)
}

/// `if condition { then } else { otherwise }` without empty branches.
fn if_else(condition: TokenStream, then: TokenStream, otherwise: TokenStream) -> TokenStream {
    match (then.is_empty(), otherwise.is_empty()) {
        (true, true) => TokenStream::new(),
        (false, true) => quote!(let condition = #condition; if condition { #then }),
        (true, false) => quote!(let condition = #condition; if !condition { #otherwise }),
        (false, false) => quote!(let condition = #condition; if condition { #then } else { #otherwise }),
    }
}

/// True when [`check`] emits any code for schema `id`, decided from the facts without generating
/// it (a schema with a validator function always has a call). Mirrors `facts_code`.
fn has_checks(ir: &Ir, id: SchemaId) -> bool {
    let node = &ir.schemas[id];
    if node.validator.is_some() {
        return true;
    }
    let f = &node.facts;
    if let Some(b) = f.boolean {
        return !b;
    }
    let sub = |s: &SchemaId| has_checks(ir, *s);
    f.reference.is_some_and(|r| has_checks(ir, r))
        || f.dynamic_ref.as_ref().is_some_and(|d| sub(&d.target) || d.candidates.iter().any(|(_, s)| sub(s)))
        || f.types.is_some()
        || f.enum_values.is_some()
        || f.const_value.is_some()
        || f.format_check.is_some()
        || f.min_length.is_some_and(|n| n > 0)
        || f.max_length.is_some()
        || f.pattern.is_some()
        || f.minimum.is_some()
        || f.maximum.is_some()
        || f.multiple_of.is_some()
        || f.min_items.is_some_and(|n| n > 0)
        || f.max_items.is_some()
        || f.unique_items
        || f.prefix_items.iter().any(sub)
        || f.items.as_ref().is_some_and(sub)
        || f.contains.is_some_and(|(_, min, max)| min > 0 || max.is_some())
        || !f.required.is_empty()
        || f.properties.iter().any(|(_, s)| sub(s))
        || f.pattern_properties.iter().any(|(_, s)| sub(s))
        || match f.additional {
            Additional::Any => false,
            Additional::Deny => true,
            Additional::Schema(s) => has_checks(ir, s),
        }
        || f.property_names.as_ref().is_some_and(sub)
        || f.min_properties.is_some_and(|n| n > 0)
        || f.max_properties.is_some()
        || f.dependent_required.iter().any(|(_, needs)| !needs.is_empty())
        || f.dependent_schemas.iter().any(|(_, s)| sub(s))
        || f.all_of.iter().any(sub)
        || (!f.any_of.is_empty() && f.any_of.iter().all(sub))
        || !f.one_of.is_empty()
        || f.not.is_some()
        || f.if_then_else.is_some_and(|(_, t, e)| t.as_ref().is_some_and(sub) || e.as_ref().is_some_and(sub))
        || f.unevaluated_properties.as_ref().is_some_and(sub)
        || f.unevaluated_items.as_ref().is_some_and(sub)
}

#[cfg(test)]
mod tests {
    fn validate_rs(schemas: serde_json::Value) -> String {
        let spec = serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": schemas}});
        let options = crate::Options { server: false, client: false, ..crate::Options::default() };
        let generated = crate::generate_str("openapi.json", &spec.to_string(), &options).expect("generates");
        generated.files.into_iter().find(|f| f.path == "src/validate.rs").map(|f| f.contents).unwrap_or_default()
    }

    /// The text of one generated function, up to the next item.
    fn function<'t>(text: &'t str, name: &str) -> &'t str {
        let start = text.find(&format!("pub fn {name}(")).unwrap_or(text.len());
        let rest = &text[start..];
        &rest[..rest[1..].find("\npub fn ").map_or(rest.len(), |i| i + 1)]
    }

    /// `validate.rs` and `ops.rs` of a spec with paths (server and client on).
    fn generate_with_paths(spec: serde_json::Value) -> (String, String) {
        let generated = crate::generate_str("openapi.json", &spec.to_string(), &crate::Options::default()).expect("generates");
        let file = |name: &str| generated.files.iter().find(|f| f.path == name).map(|f| f.contents.clone()).unwrap_or_default();
        (file("src/validate.rs"), file("src/ops.rs"))
    }

    #[test]
    fn operation_and_member_schemas_with_the_same_facts_share_one_function() {
        let string = serde_json::json!({"type": "string"});
        let uuid = serde_json::json!({"type": "string", "format": "uuid"});
        let op = |param: &str| {
            serde_json::json!({"get": {"operationId": format!("get_{param}"), "parameters": [
                {"name": param, "in": "path", "required": true, "schema": string},
                {"name": "other", "in": "query", "schema": {"type": "string", "maxLength": 3}}
            ], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}})
        };
        let spec = serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a/{a}": op("a"), "/b/{b}": op("b")},
            "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": uuid, "owner": uuid, "name": string}}}}});
        let (validate, ops) = generate_with_paths(spec);
        // One function for `{"type": "string"}` (both path parameters and the `name` member), one
        // for `maxLength: 3`, one for the uuid members; the `$ref` responses use `validate_thing`.
        let string_fns: Vec<&str> = validate.lines().filter(|l| l.starts_with("pub fn ")).collect();
        assert_eq!(string_fns.len(), 4, "{validate}");
        assert!(!validate.contains("response200"), "a plain $ref response has no function of its own: {validate}");
        let path_param = |name: &str| ops.lines().find(|l| l.contains(&format!("Param::new(\"{name}\""))).unwrap_or_default().to_string();
        let (a, b) = (path_param("a"), path_param("b"));
        assert!(!a.is_empty() && a.rsplit(", ").next() == b.rsplit(", ").next(), "{ops}");
        let thing = function(&validate, "validate_thing");
        assert_eq!(thing.matches("rt::property(").count(), 3, "every member calls a shared function: {thing}");
        // The two uuid members call the same function; the string member another one.
        let called =
            |member: &str| thing.lines().find(|l| l.contains(&format!("\"{member}\""))).and_then(|l| l.rsplit(", ").next()).unwrap_or_default().to_string();
        assert_eq!(called("id"), called("owner"), "{thing}");
        assert_ne!(called("id"), called("name"), "{thing}");
    }

    #[test]
    fn dynamic_scope_costs_nothing_without_dynamic_ref() {
        let text = validate_rs(serde_json::json!({
            "Tree": {"$id": "https://example.com/tree", "$dynamicAnchor": "node", "type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#node"}}}}
        }));
        assert!(text.contains("pub fn validate_tree("), "{text}");
        assert!(!text.contains("DynamicScope") && !text.contains("dynamic_outermost"), "{text}");
    }

    #[test]
    fn dynamic_ref_looks_only_for_resources_that_can_be_in_scope() {
        let text = validate_rs(serde_json::json!({
            "Tree": {"$id": "https://example.com/tree", "$dynamicAnchor": "node", "type": "object", "properties": {"children": {"type": "array", "items": {"$dynamicRef": "#node"}}}},
            "Strict": {"$id": "https://example.com/strict", "$dynamicAnchor": "node", "$ref": "https://example.com/tree", "unevaluatedProperties": false},
            "Lone": {"$id": "https://example.com/lone", "$dynamicAnchor": "node", "type": "string"}
        }));
        // Strict and Tree are resources 0 and 1 (by location); Lone never reaches the reference.
        assert!(function(&text, "validate_tree").contains("rt::DynamicScope::enter(1u32)"), "{text}");
        assert!(function(&text, "validate_strict").contains("rt::DynamicScope::enter(0u32)"), "{text}");
        assert!(text.contains("rt::dynamic_outermost(&[0u32, 1u32])"), "{text}");
        assert!(!function(&text, "validate_lone").contains("DynamicScope"), "{text}");
    }
}
