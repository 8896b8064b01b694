//! The server's reading of an OpenAPI 3.2 `in: querystring` parameter: the whole query string
//! as one value, parsed as its `content` media type says (a form like a form body: bracketed keys
//! nest, strings are coerced to the schema's types; or JSON text), then validated.

use serde_json::Value;

use super::ops::Param;
use super::{InstancePath, Style, Violation};

/// The value of the querystring parameter `p` from the request's raw query (`None` when there
/// is none, or an empty one). Violations are reported under the parameter's name; `None` when
/// it is absent (a required one is a violation) or invalid.
pub fn read(query: Option<&str>, p: &Param, max_depth: usize, out: &mut Vec<Violation>) -> Option<Value> {
    let mut path = InstancePath::root();
    path.push_key(p.name);
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        if p.required {
            super::violation(out, &path, "required", "is required");
        }
        return None;
    };
    let value = match p.style {
        Style::Json => match super::server::percent_decode(query).map(|text| serde_json::from_str::<Value>(&text)) {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                super::violation(out, &path, "style", format!("the query string is not JSON text: {e}"));
                return None;
            }
            None => {
                super::violation(out, &path, "style", "the query string is not percent-encoded UTF-8");
                return None;
            }
        },
        _ => {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            if pairs.iter().any(|(k, _)| k.matches('[').count() >= max_depth) {
                super::violation(out, &path, "style", format!("the query string nests keys deeper than {max_depth} levels"));
                return None;
            }
            let mut value = super::form_to_json(pairs);
            // The coercion is guided by the validator's own `type` violations (as for form
            // bodies); what remains is reported below, under the parameter's name.
            super::coerce_strings(&mut value, p.check);
            value
        }
    };
    let before = out.len();
    (p.check)(&value, &mut path, out);
    (out.len() == before).then_some(value)
}
