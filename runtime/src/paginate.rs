//! Pagination in the client (feature `paginate`): following a list operation's cursor, page
//! number, offset, next URL or `Link: rel="next"` header from page to page as a `Stream` of
//! pages and of items, described by a [`Paging`] table the generator writes per operation. A
//! cursor (or URL, or page) already followed ends the stream with [`PageError::Repeated`]
//! instead of looping; a next URL on another origin than the client's base URL is never
//! followed (credentials would go to it).

use std::collections::HashSet;
use std::future::Future;

use futures_util::stream::{self, TryStreamExt};
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::client::{ClientError, RawResponse};

pub use futures_util::stream::Stream;

/// A path of member names into a JSON body (`["meta", "cursor"]`); empty is the body itself.
pub type Path = &'static [&'static str];

/// How the next page is asked for, and when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The response's string (or number) at `at` is the next request's parameter `param`
    /// (an index into the operation's parameters); no value, `null` or `""` is the end, and so
    /// is `false` at `has_more` when given.
    Cursor {
        /// The parameter's index.
        param: usize,
        /// Where the cursor is in the body.
        at: Path,
        /// A boolean that says whether there are more pages.
        has_more: Option<Path>,
    },
    /// The last item's member `field` is the next request's parameter (Stripe's
    /// `starting_after`); `false` at `has_more` or an empty page is the end.
    LastItem {
        /// The parameter's index.
        param: usize,
        /// The member of each item (`id`).
        field: &'static str,
        /// A boolean that says whether there are more pages.
        has_more: Option<Path>,
    },
    /// The parameter is a page number, one more each page (from `first` when the call does not
    /// set it); an empty page is the end, and so is reaching the page count at `total` when
    /// given.
    Page {
        /// The parameter's index.
        param: usize,
        /// The number of pages, in the body.
        total: Option<Path>,
        /// The first page's number.
        first: i64,
    },
    /// The parameter is an item offset, advanced by each page's item count; an empty page is
    /// the end.
    Offset {
        /// The parameter's index.
        param: usize,
    },
    /// The response's string at `at` is the next page's URL (absolute, or relative to the
    /// base URL); no value or `null` is the end.
    Url {
        /// Where the URL is in the body.
        at: Path,
    },
    /// The response's `Link` header's `rel="next"` URL; none is the end.
    LinkHeader,
}

/// One paginated operation: how to go on and where its items are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// How the next page is asked for.
    pub next: Next,
    /// Where the array of items is in the body (empty: the body is the array).
    pub items: Path,
}

/// What one page request gave: the typed page and the raw response it was decoded from.
pub type Fetched<T, E> = Result<(T, RawResponse), ClientError<E>>;

/// Where the stream's requests go: the client's base URL (next URLs must be on its origin).
pub type BaseUrl = String;

/// Why a page stream ended with an error.
#[derive(Debug)]
pub enum PageError<E> {
    /// A page request failed (the operation's own error).
    Call(ClientError<E>),
    /// The server asked for a page already fetched (the same cursor, page or URL again, or the
    /// same page body twice): the stream ends instead of looping forever.
    Repeated {
        /// The cursor, page number or URL seen before.
        cursor: String,
        /// How many pages were fetched.
        pages: usize,
    },
    /// A next URL on another origin than the client's base URL (not followed).
    ForeignUrl {
        /// The URL.
        url: String,
    },
    /// A page's items could not be decoded into the item type.
    Items {
        /// Why.
        message: String,
    },
}

impl<E: std::fmt::Debug> std::fmt::Display for PageError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Call(e) => write!(f, "{e}"),
            PageError::Repeated { cursor, pages } => write!(f, "the server repeated the cursor `{cursor}` after {pages} pages"),
            PageError::ForeignUrl { url } => write!(f, "the next page's URL `{url}` is not on the client's base URL"),
            PageError::Items { message } => write!(f, "cannot decode a page's items: {message}"),
        }
    }
}

impl<E: std::fmt::Debug> std::error::Error for PageError<E> {}

impl<E> From<ClientError<E>> for PageError<E> {
    fn from(e: ClientError<E>) -> Self {
        PageError::Call(e)
    }
}

/// The stream's state between pages.
struct State<F, E> {
    fetch: F,
    values: Vec<Option<Value>>,
    url: Option<reqwest::Url>,
    seen: HashSet<String>,
    last_body: Option<Vec<u8>>,
    pages: usize,
    /// The error to yield after the page just yielded (then the end).
    pending: Option<PageError<E>>,
    done: bool,
}

/// The value at `path` in `v`.
pub fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// A cursor-like value as text: a string as is, a number written out; `null`, `""` and other
/// values are no cursor.
fn cursor_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `rel="next"` target of a `Link` header (RFC 8288).
pub fn link_next(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        for link in text.split(',') {
            let mut parts = link.split(';');
            let target = parts.next()?.trim();
            let Some(url) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else { continue };
            let next = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("rel=").is_some_and(|r| r.trim_matches('"').split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("next")))
            });
            if next {
                return Some(url.to_string());
            }
        }
    }
    None
}

/// The step after a page: the next request's values or URL, or the end.
enum Step {
    Values(Vec<Option<Value>>, String),
    Url(String),
    End,
}

fn step(paging: &Paging, values: &[Option<Value>], body: &Value, headers: &HeaderMap) -> Step {
    let items = at(body, paging.items).and_then(Value::as_array);
    let count = items.map_or(0, Vec::len);
    let more = |has_more: Option<Path>| has_more.and_then(|p| at(body, p)).and_then(Value::as_bool) != Some(false);
    let with = |param: usize, value: Value, key: String| {
        let mut next = values.to_vec();
        if let Some(slot) = next.get_mut(param) {
            *slot = Some(value);
        }
        Step::Values(next, key)
    };
    match paging.next {
        Next::Cursor { param, at: path, has_more } => match (more(has_more), at(body, path)) {
            (true, Some(v)) => match cursor_text(Some(v)) {
                Some(key) => with(param, v.clone(), key),
                None => Step::End,
            },
            _ => Step::End,
        },
        Next::LastItem { param, field, has_more } => {
            let last = items.and_then(|i| i.last()).and_then(|i| i.get(field));
            match (more(has_more), cursor_text(last)) {
                (true, Some(key)) => with(param, last.cloned().unwrap_or(Value::Null), key),
                _ => Step::End,
            }
        }
        Next::Page { param, total, first } => {
            let current = values.get(param).and_then(Option::as_ref).and_then(Value::as_i64).unwrap_or(first);
            // The pages fetched up to this one, counted from the first page's number.
            let last = total.and_then(|p| at(body, p)).and_then(Value::as_i64).is_some_and(|t| current.saturating_sub(first).saturating_add(1) >= t);
            if count == 0 || last {
                return Step::End;
            }
            let next = current.saturating_add(1);
            with(param, Value::from(next), next.to_string())
        }
        Next::Offset { param } => {
            if count == 0 {
                return Step::End;
            }
            let current = values.get(param).and_then(Option::as_ref).and_then(Value::as_i64).unwrap_or(0);
            let next = current.saturating_add(i64::try_from(count).unwrap_or(i64::MAX));
            with(param, Value::from(next), next.to_string())
        }
        Next::Url { at: path } => match at(body, path).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            Some(url) => Step::Url(url.to_string()),
            None => Step::End,
        },
        Next::LinkHeader => match link_next(headers) {
            Some(url) => Step::Url(url),
            None => Step::End,
        },
    }
}

/// The key a starting request is known by (the cursor it already carries), for the repeat guard.
fn start_key(paging: &Paging, values: &[Option<Value>]) -> Option<String> {
    match paging.next {
        Next::Cursor { param, .. } | Next::LastItem { param, .. } => cursor_text(values.get(param)?.as_ref()),
        Next::Page { param, first, .. } => Some(values.get(param).and_then(Option::as_ref).and_then(Value::as_i64).unwrap_or(first).to_string()),
        Next::Offset { param } => Some(values.get(param).and_then(Option::as_ref).and_then(Value::as_i64).unwrap_or(0).to_string()),
        Next::Url { .. } | Next::LinkHeader => None,
    }
}

/// Every page, typed, with its JSON body: `fetch(values, url)` asks for one page (the
/// operation's parameter values, and the URL to go to instead of the operation's path and query
/// when the previous page gave one).
pub fn pages_with_body<T, E, F, Fut>(
    base_url: BaseUrl,
    paging: &'static Paging,
    values: Vec<Option<Value>>,
    fetch: F,
) -> impl Stream<Item = Result<(T, Value), PageError<E>>>
where
    F: FnMut(Vec<Option<Value>>, Option<reqwest::Url>) -> Fut,
    Fut: Future<Output = Fetched<T, E>>,
{
    let seen = start_key(paging, &values).into_iter().collect();
    let state = State { fetch, values, url: None, seen, last_body: None, pages: 0, pending: None, done: false };
    stream::try_unfold(state, move |mut s| {
        let base_url = base_url.clone();
        async move {
            if let Some(e) = s.pending.take() {
                return Err(e);
            }
            if s.done {
                return Ok(None);
            }
            let (page, raw) = (s.fetch)(s.values.clone(), s.url.clone()).await?;
            s.pages += 1;
            let body: Value = serde_json::from_slice(&raw.body).unwrap_or(Value::Null);
            if s.last_body.as_deref() == Some(raw.body.as_slice()) {
                // The same page again (a server that ignores the cursor): not a new page.
                let cursor = s.url.as_ref().map(reqwest::Url::to_string).or_else(|| start_key(paging, &s.values)).unwrap_or_default();
                return Err(PageError::Repeated { cursor, pages: s.pages });
            }
            match step(paging, &s.values, &body, &raw.headers) {
                Step::End => s.done = true,
                Step::Values(values, key) => {
                    if !s.seen.insert(key.clone()) {
                        s.pending = Some(PageError::Repeated { cursor: key, pages: s.pages });
                    }
                    s.values = values;
                }
                Step::Url(url) => match resolve(&base_url, &url) {
                    Ok(url) => {
                        if !s.seen.insert(url.to_string()) {
                            s.pending = Some(PageError::Repeated { cursor: url.to_string(), pages: s.pages });
                        }
                        s.url = Some(url);
                    }
                    Err(e) => s.pending = Some(e),
                },
            }
            s.last_body = Some(raw.body);
            Ok(Some(((page, body), s)))
        }
    })
}

/// Every page, typed (see [`pages_with_body`]).
pub fn pages<T, E, F, Fut>(base_url: BaseUrl, paging: &'static Paging, values: Vec<Option<Value>>, fetch: F) -> impl Stream<Item = Result<T, PageError<E>>>
where
    F: FnMut(Vec<Option<Value>>, Option<reqwest::Url>) -> Fut,
    Fut: Future<Output = Fetched<T, E>>,
{
    pages_with_body(base_url, paging, values, fetch).map_ok(|(page, _)| page)
}

/// Every item of every page, decoded from the page's items array into `I`.
pub fn items<I, T, E, F, Fut>(base_url: BaseUrl, paging: &'static Paging, values: Vec<Option<Value>>, fetch: F) -> impl Stream<Item = Result<I, PageError<E>>>
where
    I: serde::de::DeserializeOwned,
    F: FnMut(Vec<Option<Value>>, Option<reqwest::Url>) -> Fut,
    Fut: Future<Output = Fetched<T, E>>,
{
    pages_with_body(base_url, paging, values, fetch)
        .map_ok(move |(_, body)| {
            let list = at(&body, paging.items).cloned().unwrap_or(Value::Array(Vec::new()));
            let decoded: Result<Vec<I>, PageError<E>> = super::convert(list).map_err(|e| PageError::Items { message: e.to_string() });
            stream::iter(match decoded {
                Ok(list) => list.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            })
        })
        .try_flatten()
}

/// `request` sent to `url` instead (a next page's URL, already resolved and checked by the
/// stream), when given.
#[doc(hidden)]
pub fn at_url<E>(request: reqwest::RequestBuilder, url: Option<reqwest::Url>) -> Result<reqwest::RequestBuilder, ClientError<E>> {
    let Some(url) = url else { return Ok(request) };
    let (client, request) = request.build_split();
    let mut request = request?;
    *request.url_mut() = url;
    Ok(reqwest::RequestBuilder::from_parts(client, request))
}

/// A next page's URL resolved against the base URL; one on another origin is refused.
pub fn resolve<E>(base_url: &str, url: &str) -> Result<reqwest::Url, PageError<E>> {
    let foreign = || PageError::ForeignUrl { url: url.to_string() };
    let base = reqwest::Url::parse(base_url).map_err(|_| foreign())?;
    let target = base.join(url).map_err(|_| foreign())?;
    if target.origin() != base.origin() {
        return Err(foreign());
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Value {
        serde_json::from_str(text).expect("json")
    }

    #[test]
    fn a_cursor_goes_on_until_it_is_null_or_has_more_is_false() {
        static P: Paging = Paging { next: Next::Cursor { param: 1, at: &["meta", "cursor"], has_more: Some(&["has_more"]) }, items: &["data"] };
        let values = vec![Some(Value::from(10)), None];
        match step(&P, &values, &body(r#"{"data":[1],"meta":{"cursor":"c2"},"has_more":true}"#), &HeaderMap::new()) {
            Step::Values(v, key) => {
                assert_eq!(key, "c2");
                assert_eq!(v, vec![Some(Value::from(10)), Some(Value::from("c2"))]);
            }
            _ => panic!("expected a next page"),
        }
        assert!(matches!(step(&P, &values, &body(r#"{"data":[1],"meta":{"cursor":"c2"},"has_more":false}"#), &HeaderMap::new()), Step::End));
        assert!(matches!(step(&P, &values, &body(r#"{"data":[1],"meta":{"cursor":null}}"#), &HeaderMap::new()), Step::End));
        assert!(matches!(step(&P, &values, &body(r#"{"data":[1],"meta":{"cursor":""}}"#), &HeaderMap::new()), Step::End));
    }

    #[test]
    fn last_item_page_and_offset() {
        static L: Paging = Paging { next: Next::LastItem { param: 0, field: "id", has_more: Some(&["has_more"]) }, items: &["data"] };
        let next = step(&L, &[None], &body(r#"{"data":[{"id":"a"},{"id":"b"}],"has_more":true}"#), &HeaderMap::new());
        assert!(matches!(next, Step::Values(_, ref k) if k == "b"));
        assert!(matches!(step(&L, &[None], &body(r#"{"data":[],"has_more":true}"#), &HeaderMap::new()), Step::End));
        static G: Paging = Paging { next: Next::Page { param: 0, total: Some(&["total_pages"]), first: 1 }, items: &[] };
        assert!(matches!(step(&G, &[None], &body(r#"[1,2]"#), &HeaderMap::new()), Step::Values(_, ref k) if k == "2"));
        assert!(matches!(step(&G, &[Some(Value::from(3))], &body(r#"[1]"#), &HeaderMap::new()), Step::Values(_, ref k) if k == "4"));
        static T: Paging = Paging { next: Next::Page { param: 0, total: Some(&["total_pages"]), first: 1 }, items: &["items"] };
        assert!(matches!(step(&T, &[Some(Value::from(3))], &body(r#"{"items":[1],"total_pages":3}"#), &HeaderMap::new()), Step::End));
        static Z: Paging = Paging { next: Next::Page { param: 0, total: Some(&["pages"]), first: 0 }, items: &["items"] };
        assert!(matches!(step(&Z, &[Some(Value::from(1))], &body(r#"{"items":[1],"pages":3}"#), &HeaderMap::new()), Step::Values(_, ref k) if k == "2"));
        assert!(matches!(step(&Z, &[Some(Value::from(2))], &body(r#"{"items":[1],"pages":3}"#), &HeaderMap::new()), Step::End));
        static O: Paging = Paging { next: Next::Offset { param: 0 }, items: &["items"] };
        assert!(matches!(step(&O, &[Some(Value::from(4))], &body(r#"{"items":[1,2,3]}"#), &HeaderMap::new()), Step::Values(_, ref k) if k == "7"));
        assert!(matches!(step(&O, &[Some(Value::from(4))], &body(r#"{"items":[]}"#), &HeaderMap::new()), Step::End));
    }

    #[test]
    fn the_link_header_names_the_next_page() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::LINK, r#"<https://a.test/x?page=1>; rel="prev", <https://a.test/x?page=3>; rel="next last""#.parse().expect("header"));
        assert_eq!(link_next(&h).as_deref(), Some("https://a.test/x?page=3"));
        h.insert(reqwest::header::LINK, r#"<https://a.test/x?page=1>; rel="prev""#.parse().expect("header"));
        assert_eq!(link_next(&h), None);
    }

    #[test]
    fn foreign_urls_are_refused_and_relative_ones_resolved() {
        assert!(matches!(resolve::<()>("http://127.0.0.1:9/api", "http://evil.test/steal"), Err(PageError::ForeignUrl { .. })));
        assert!(matches!(resolve::<()>("http://127.0.0.1:9/api", "http://127.0.0.1:10/api"), Err(PageError::ForeignUrl { .. })));
        let url = resolve::<()>("http://127.0.0.1:9/api", "/api/list?cursor=2").expect("same origin");
        assert_eq!(url.as_str(), "http://127.0.0.1:9/api/list?cursor=2");
    }
}
