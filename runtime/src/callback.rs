//! Callback URLs from runtime expressions (feature `callbacks`): the parts of the original
//! request a callback's URL expression reads (`{$request.body#/callbackUrl}`,
//! `{$request.query.x}`, `$url`, ...), and the evaluation of an expression the generator has
//! read into [`Part`]s. The sender of a callback (the API's server) builds the URL with it from
//! the request that subscribed.

use std::fmt;

use serde_json::Value;

/// The original request, as much of it as the expressions read. Every field is optional; an
/// expression that reads an absent part fails with an [`ExpressionError`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OriginalRequest<'a> {
    /// The full request URL (`$url`).
    pub url: Option<&'a str>,
    /// The method (`$method`).
    pub method: Option<&'a str>,
    /// The path parameters, raw (`$request.path.<name>`).
    pub path: &'a [(&'a str, &'a str)],
    /// The query string without `?` (`$request.query.<name>`, percent-decoded).
    pub query: Option<&'a str>,
    /// The headers (`$request.header.<name>`, the name case-insensitive).
    pub headers: &'a [(&'a str, &'a str)],
    /// The JSON body (`$request.body#<pointer>`).
    pub body: Option<&'a Value>,
}

#[cfg(feature = "server")]
impl<'a> OriginalRequest<'a> {
    /// The request a server handler received: its method, its URI (`$url`: the path and query
    /// as the server saw them, without scheme and host) and query from `ctx`, the header pairs
    /// of [`header_pairs`]`(&ctx.headers)` and its JSON `body` (the typed body written back with
    /// `serde_json::to_value`). Path parameters are typed in the handler: set `path` if an
    /// expression reads one.
    pub fn from_context(ctx: &'a super::server::RequestContext, headers: &'a [(&'a str, &'a str)], body: Option<&'a Value>) -> Self {
        OriginalRequest {
            url: ctx.uri.path_and_query().map(|p| p.as_str()),
            method: Some(ctx.method.as_str()),
            path: &[],
            query: ctx.uri.query(),
            headers,
            body,
        }
    }
}

/// The headers of `map` as name and value pairs, for [`OriginalRequest::headers`]; a value that
/// is not visible text is left out.
#[cfg(feature = "server")]
pub fn header_pairs(map: &axum::http::HeaderMap) -> Vec<(&str, &str)> {
    map.iter().filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))).collect()
}

/// One part of a URL expression, as generated code lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Text as written.
    Literal(&'static str),
    /// `$url`.
    Url,
    /// `$method`.
    Method,
    /// `$request.path.<name>`.
    Path(&'static str),
    /// `$request.query.<name>`.
    Query(&'static str),
    /// `$request.header.<name>`.
    Header(&'static str),
    /// `$request.body#<pointer>` (empty: the whole body).
    Body(&'static str),
}

/// A part of the expression the original request does not have (or has as an object or array
/// where the URL needs text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionError {
    /// The expression as the spec writes it.
    pub expression: &'static str,
    /// What is missing.
    pub reason: String,
}

impl fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "callback URL `{}`: {}", self.expression, self.reason)
    }
}

impl std::error::Error for ExpressionError {}

/// The URL `parts` (of `expression`) give for `request`. Values are inserted as they are (a
/// body string without its quotes, a number or boolean as JSON writes it): a URL taken from the
/// request is the subscriber's to choose.
pub fn url(expression: &'static str, parts: &[Part], request: &OriginalRequest<'_>) -> Result<String, ExpressionError> {
    let missing = |what: String| ExpressionError { expression, reason: format!("the original request has no {what}") };
    let mut out = String::new();
    for part in parts {
        match *part {
            Part::Literal(text) => out.push_str(text),
            Part::Url => out.push_str(request.url.ok_or_else(|| missing("URL".into()))?),
            Part::Method => out.push_str(request.method.ok_or_else(|| missing("method".into()))?),
            Part::Path(name) => {
                let found = request.path.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
                out.push_str(found.ok_or_else(|| missing(format!("path parameter `{name}`")))?);
            }
            Part::Query(name) => {
                let query = request.query.unwrap_or_default();
                let found = query.split('&').filter_map(|pair| pair.split_once('=').or(Some((pair, "")))).find(|(n, _)| decode(n) == name);
                out.push_str(&decode(found.ok_or_else(|| missing(format!("query parameter `{name}`")))?.1));
            }
            Part::Header(name) => {
                let found = request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
                out.push_str(found.ok_or_else(|| missing(format!("header `{name}`")))?);
            }
            Part::Body(pointer) => {
                let body = request.body.ok_or_else(|| missing("JSON body".into()))?;
                match body.pointer(pointer) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(v @ (Value::Number(_) | Value::Bool(_))) => out.push_str(&v.to_string()),
                    Some(_) => return Err(ExpressionError { expression, reason: format!("the body's `{pointer}` is not a string, number or boolean") }),
                    None => return Err(missing(format!("body member `{pointer}`"))),
                }
            }
        }
    }
    Ok(out)
}

/// Percent-decodes a query component (`+` is a space), lossily.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_reads_its_piece_of_the_request() {
        let body = serde_json::json!({"callbackUrl": "http://127.0.0.1:9/hook", "n": 3, "o": {}});
        let request = OriginalRequest {
            url: Some("http://api/subscribe?x=1"),
            method: Some("POST"),
            path: &[("id", "42")],
            query: Some("a=1&to=http%3A%2F%2Fh%2Fa+b&flag"),
            headers: &[("X-Target", "http://t")],
            body: Some(&body),
        };
        let got = |parts: &[Part]| url("e", parts, &request);
        assert_eq!(got(&[Part::Body("/callbackUrl")]).as_deref(), Ok("http://127.0.0.1:9/hook"));
        assert_eq!(got(&[Part::Query("to")]).as_deref(), Ok("http://h/a b"));
        assert_eq!(got(&[Part::Query("flag")]).as_deref(), Ok(""));
        assert_eq!(
            got(&[Part::Header("x-target"), Part::Literal("/p/"), Part::Path("id"), Part::Literal("?n="), Part::Body("/n")]).as_deref(),
            Ok("http://t/p/42?n=3")
        );
        assert_eq!(got(&[Part::Url, Part::Literal("&m="), Part::Method]).as_deref(), Ok("http://api/subscribe?x=1&m=POST"));
        let error = got(&[Part::Body("/missing")]).expect_err("missing member");
        assert!(error.to_string().contains("/missing"), "{error}");
        assert!(got(&[Part::Body("/o")]).is_err());
        assert!(got(&[Part::Query("nope")]).is_err());
        assert!(url("e", &[Part::Body("")], &OriginalRequest::default()).is_err());
    }

    #[test]
    fn bad_percent_escapes_are_kept() {
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("%zz%41"), "%zzA");
        assert_eq!(decode("%"), "%");
    }
}
