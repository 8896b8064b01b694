//! The runtime of generated crates: instance paths, violations, JSON equality and parsing, the
//! lenient-integer conversion, format checks, parameter styles, form and multipart bodies; the
//! `server` and `client` modules (features of the same names) and the pattern engines (features
//! `regex` and `fancy-regex`). A workspace crate of its own, and also copied file by file, with
//! only the engine features rewritten, under `src/runtime/` of every generated crate built in
//! embedded mode: write it so that it compiles both as a crate root and as a module (paths
//! between its files are `super::`, never `crate::`).

use std::fmt;

use serde_json::Value;

pub mod binary;
#[cfg(feature = "callbacks")]
pub mod callback;
#[cfg(feature = "client")]
pub mod client;
pub mod defaults;
#[cfg(feature = "server")]
pub mod idempotency;
// `client` too: in an embedded copy `paginate` is a constant, `client` the crate's feature.
#[cfg(feature = "multipart")]
pub mod multipart;
#[cfg(all(feature = "client", feature = "paginate"))]
pub mod paginate;
#[cfg(any(feature = "regex", feature = "fancy-regex"))]
mod pattern;
#[cfg(feature = "server")]
pub mod querystring;
#[cfg(feature = "client")]
mod retry;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "streams")]
pub mod stream;
#[cfg(all(feature = "streams", feature = "client"))]
pub mod stream_client;
#[cfg(all(feature = "streams", feature = "server"))]
pub mod stream_server;

pub use binary::ByteStream;
#[cfg(any(feature = "regex", feature = "fancy-regex"))]
pub use pattern::{Pattern, expect_match, key_matches};

/// One segment of an instance path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// The location of a value inside a JSON instance, built while validating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstancePath(Vec<Segment>);

impl InstancePath {
    /// The root of the instance.
    pub fn root() -> Self {
        InstancePath(Vec::new())
    }

    /// A path below this one (used for parameters: `query/limit`).
    pub fn child(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.to_string()));
        p
    }

    /// Enters an object member.
    pub fn push_key(&mut self, key: &str) {
        self.0.push(Segment::Key(key.to_string()));
    }

    /// Enters an array element.
    pub fn push_index(&mut self, index: usize) {
        self.0.push(Segment::Index(index));
    }

    /// Leaves the last segment.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// True at the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path as an RFC 6901 JSON Pointer (`/items/2/name`, `~` and `/` escaped); the root is
    /// empty.
    pub fn pointer(&self) -> String {
        let mut out = String::new();
        for s in &self.0 {
            out.push('/');
            match s {
                Segment::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(n) => out.push_str(&n.to_string()),
            }
        }
        out
    }
}

impl fmt::Display for InstancePath {
    /// Segments joined by `/` without a leading slash (`items/2/name`); the root is empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            match s {
                Segment::Key(k) => f.write_str(k)?,
                Segment::Index(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

/// One broken rule: where, which keyword, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Instance path (`items/2/name`), empty for the whole instance.
    pub path: String,
    /// The JSON Schema keyword that failed (`pattern`, `required`, `type`, ...).
    pub keyword: &'static str,
    /// A human-readable reason.
    pub message: String,
    /// The same location as segments.
    pub instance: InstancePath,
    /// For `type` violations, the allowed types (bits of [`types`]); 0 otherwise.
    pub expected: u8,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { write!(f, "{}", self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// Records a violation at `path`.
pub fn violation(out: &mut Vec<Violation>, path: &InstancePath, keyword: &'static str, message: impl Into<String>) {
    out.push(Violation { path: path.to_string(), keyword, message: message.into(), instance: path.clone(), expected: 0 });
}

/// Records a violation at `path` + `key` (missing and unknown properties).
pub fn violation_at(out: &mut Vec<Violation>, path: &InstancePath, key: &str, keyword: &'static str, message: impl Into<String>) {
    let mut p = path.clone();
    p.push_key(key);
    violation(out, &p, keyword, message);
}

/// A JSON value's type name, as JSON Schema spells it (`integer` for whole numbers).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(v) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JSON Schema's `integer`: any number whose fractional part is zero (`60.0` included).
pub fn is_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0),
        _ => false,
    }
}

/// JSON equality: numbers compare by value (`1 == 1.0`), objects ignore member order.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(i), Some(j), _, _) => i == j,
            (_, _, Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w))),
        _ => a == b,
    }
}

/// True when the array holds no two JSON-equal items.
pub fn all_unique(items: &[Value]) -> bool {
    items.iter().enumerate().all(|(i, a)| items[i + 1..].iter().all(|b| !json_eq(a, b)))
}

/// `multipleOf`, exact in decimal: the number as written (its shortest round-trip form, so
/// `0.07` is 7/100) divided by the factor must be an integer. No binary rounding can make
/// `19.99` fail `0.01` or make `0.5700000000000001` pass it.
pub fn is_multiple_of(v: &Value, m: f64) -> bool {
    let Value::Number(n) = v else { return true };
    let (Some((a, p)), Some((b, q))) = (decimal(&n.to_string()), decimal(&format!("{m:e}"))) else { return false };
    if a == 0 {
        return true;
    }
    if b == 0 {
        return false;
    }
    if p >= q {
        // a * 10^(p - q) must be a multiple of b.
        let mut factor = 1u128 % b;
        let mut base = 10u128 % b;
        let mut k = (p - q) as u32;
        while k > 0 {
            if k & 1 == 1 {
                factor = factor * base % b;
            }
            base = base * base % b;
            k >>= 1;
        }
        (a % b) * factor % b == 0
    } else {
        // a must be a multiple of b * 10^(q - p); a larger divisor divides nothing but 0.
        10u128.checked_pow((q - p) as u32).and_then(|t| b.checked_mul(t)).is_some_and(|d| a % d == 0)
    }
}

/// A decimal number's magnitude as `mantissa * 10^exponent` (`"-0.57"` is `(57, -2)`), for
/// mantissas of up to 38 digits.
fn decimal(text: &str) -> Option<(u128, i32)> {
    let text = text.trim_start_matches('-');
    let (num, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].trim_start_matches('+').parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    let trimmed = digits.trim_end_matches('0');
    let zeros = (digits.len() - trimmed.len()) as i32;
    let mantissa = if trimmed.is_empty() { 0 } else { trimmed.parse::<u128>().ok()? };
    Some((mantissa, exp - frac.len() as i32 + zeros))
}

/// String length in Unicode code points, as JSON Schema counts it.
pub fn char_len(s: &str) -> u64 {
    s.chars().count() as u64
}

/// Rewrites numbers with a zero fractional part (`60.0`) as integers, so that a value valid for
/// `type: integer` converts into an integer field. Other numbers are unchanged.
pub fn normalize_integers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && (-9.007_199_254_740_992e15..=9.007_199_254_740_992e15).contains(&f) {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_integers),
        Value::Object(map) => map.values_mut().for_each(normalize_integers),
        _ => {}
    }
}

/// Converts a validated JSON value into its Rust type (after integer normalisation).
pub fn convert<T: serde::de::DeserializeOwned>(mut v: Value) -> Result<T, serde_json::Error> {
    normalize_integers(&mut v);
    serde_json::from_value(v)
}

/// The default of [`parse_json`]'s nesting limit (arrays and objects inside each other).
pub const DEFAULT_MAX_JSON_DEPTH: usize = 64;

/// Why [`parse_json`] refused a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON (serde_json's message, with line and column).
    Syntax(String),
    /// Arrays and objects nest deeper than the limit.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// An object has the same member twice (RFC 8259 leaves the meaning open; it is refused).
    DuplicateMember {
        /// The member's name.
        name: String,
    },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax(m) => write!(f, "not valid JSON: {m}"),
            JsonError::TooDeep { limit } => write!(f, "nested deeper than {limit} levels"),
            JsonError::DuplicateMember { name } => write!(f, "invalid: an object has the member `{name}` more than once"),
        }
    }
}

impl std::error::Error for JsonError {}

/// Reads one JSON value, building it level by level (the depth is bounded before anything
/// recursive sees the value).
struct Reader<'a> {
    depth: usize,
    limit: usize,
    error: &'a std::cell::RefCell<Option<JsonError>>,
}

impl Reader<'_> {
    fn fail<E: serde::de::Error>(&self, error: JsonError) -> E {
        let message = error.to_string();
        self.error.borrow_mut().get_or_insert(error);
        E::custom(message)
    }

    fn child(&self) -> Reader<'_> {
        Reader { depth: self.depth + 1, limit: self.limit, error: self.error }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Reader<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Reader<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= self.limit {
            return Err(self.fail(JsonError::TooDeep { limit: self.limit }));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child())? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= self.limit {
            return Err(self.fail(JsonError::TooDeep { limit: self.limit }));
        }
        let mut members = serde_json::Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                return Err(self.fail(JsonError::DuplicateMember { name }));
            }
            let value = map.next_value_seed(self.child())?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

/// Parses JSON text strictly: arrays and objects nest at most `max_depth` levels (serde_json's
/// own limit of 128 applies above that), and no object has a member twice. Nothing recursive
/// (validators, conversion, drop) ever sees a value deeper than the limit.
pub fn parse_json(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let error = std::cell::RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde::de::DeserializeSeed::deserialize(Reader { depth: 0, limit: max_depth, error: &error }, &mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(v) => Ok(v),
        Err(e) => Err(error.into_inner().unwrap_or_else(|| JsonError::Syntax(e.to_string()))),
    }
}

/// Checks the members of an object's top level: `false` when one appears twice (or the text is
/// not a JSON object). Used by the fast path, where serde skips unknown members unseen.
pub fn top_level_members_unique(bytes: &[u8]) -> bool {
    struct Names;
    impl<'de> serde::de::Visitor<'de> for Names {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(name) = map.next_key::<String>()? {
                if !seen.insert(name) {
                    return Ok(false);
                }
                map.next_value::<serde::de::IgnoredAny>()?;
            }
            Ok(true)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde::Deserializer::deserialize_map(&mut de, Names).unwrap_or(false)
}

/// True when `value` breaks no rule of the validator `f`.
pub fn is_valid(value: &Value, f: fn(&Value, &mut InstancePath, &mut Vec<Violation>)) -> bool {
    let mut out = Vec::new();
    f(value, &mut InstancePath::root(), &mut out);
    out.is_empty()
}

std::thread_local! {
    /// `$dynamicRef`'s dynamic scope: the schema resources validation is inside, outermost first
    /// (only the resources some `$dynamicRef` of the spec may look for are recorded).
    static DYNAMIC_SCOPE: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Validation is inside a schema resource while this lives (see [`dynamic_outermost`]).
#[derive(Debug)]
pub struct DynamicScope(());

impl DynamicScope {
    /// Enters resource number `resource` of the dynamic scope; dropping the value leaves it.
    pub fn enter(resource: u32) -> DynamicScope {
        DYNAMIC_SCOPE.with(|s| s.borrow_mut().push(resource));
        DynamicScope(())
    }
}

impl Drop for DynamicScope {
    fn drop(&mut self) {
        DYNAMIC_SCOPE.with(|s| {
            s.borrow_mut().pop();
        });
    }
}

/// `$dynamicRef`: the position in `candidates` (resources declaring the anchor) of the outermost
/// one validation is inside, if any.
pub fn dynamic_outermost(candidates: &[u32]) -> Option<usize> {
    DYNAMIC_SCOPE.with(|s| s.borrow().iter().find_map(|r| candidates.iter().position(|c| c == r)))
}

/// Implemented by every generated struct and enum: the schema's validator.
pub trait Validate {
    /// Appends every violation of `value` (found at `path`) to `out`.
    fn validate_at(value: &Value, path: &mut InstancePath, out: &mut Vec<Violation>);

    /// Every violation of `value`, or `Ok` when it is valid.
    fn validate(value: &Value) -> Result<(), Vec<Violation>> {
        let mut out = Vec::new();
        Self::validate_at(value, &mut InstancePath::root(), &mut out);
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// `#[serde(with)]` helper for optional nullable fields: absent is `None`, `null` is
/// `Some(None)`, a value is `Some(Some(v))`.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `Some(None)` as `null` (absent fields are skipped by `skip_serializing_if`).
    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    /// Reads a present field: `null` becomes `Some(None)`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// serde `deserialize_with` for an optional property that may not be `null`: when present it
/// holds a value (`null` is an error, as the validator says).
pub fn non_null<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    <T as serde::Deserialize>::deserialize(d).map(Some)
}

/// serde `deserialize_with` for a required property that may be `null`: without `default`, a
/// missing member is an error (a plain `Option` field would read it as `None`).
pub fn nullable_present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d)
}

/// Bits of a JSON type set, for [`expect_type`].
pub mod types {
    /// `null`
    pub const NULL: u8 = 1;
    /// `boolean`
    pub const BOOLEAN: u8 = 2;
    /// `object`
    pub const OBJECT: u8 = 4;
    /// `array`
    pub const ARRAY: u8 = 8;
    /// `number`
    pub const NUMBER: u8 = 16;
    /// `integer`
    pub const INTEGER: u8 = 32;
    /// `string`
    pub const STRING: u8 = 64;
}

fn type_bits(v: &Value) -> u8 {
    match v {
        Value::Null => types::NULL,
        Value::Bool(_) => types::BOOLEAN,
        Value::Object(_) => types::OBJECT,
        Value::Array(_) => types::ARRAY,
        Value::String(_) => types::STRING,
        Value::Number(_) if is_integer(v) => types::NUMBER | types::INTEGER,
        Value::Number(_) => types::NUMBER,
    }
}

/// `type`: records a violation unless `v` has one of the `allowed` types.
pub fn expect_type(v: &Value, path: &InstancePath, out: &mut Vec<Violation>, allowed: u8) {
    if type_bits(v) & allowed != 0 {
        return;
    }
    let names: Vec<&str> = [
        (types::NULL, "null"),
        (types::BOOLEAN, "boolean"),
        (types::OBJECT, "object"),
        (types::ARRAY, "array"),
        (types::NUMBER, "number"),
        (types::INTEGER, "integer"),
        (types::STRING, "string"),
    ]
    .iter()
    .filter(|(bit, _)| allowed & bit != 0)
    .map(|(_, n)| *n)
    .collect();
    let message = format!("expected {}, found {}", names.join(" or "), type_name(v));
    out.push(Violation { path: path.to_string(), keyword: "type", message, instance: path.clone(), expected: allowed });
}

/// `properties`: validates member `key` of `o`, when present, with `validate`.
pub fn property(
    o: &serde_json::Map<String, Value>,
    key: &str,
    path: &mut InstancePath,
    out: &mut Vec<Violation>,
    validate: fn(&Value, &mut InstancePath, &mut Vec<Violation>),
) {
    if let Some(v) = o.get(key) {
        path.push_key(key);
        validate(v, path, out);
        path.pop();
    }
}

/// `required`: one violation per missing property, at the property's path.
pub fn expect_required(o: &serde_json::Map<String, Value>, path: &InstancePath, out: &mut Vec<Violation>, names: &[&str]) {
    for name in names {
        if !o.contains_key(*name) {
            violation_at(out, path, name, "required", "is required");
        }
    }
}

/// `additionalProperties: false` (without `patternProperties`): one violation per unknown property.
pub fn deny_unknown(o: &serde_json::Map<String, Value>, path: &InstancePath, out: &mut Vec<Violation>, known: &[&str]) {
    for key in o.keys() {
        if !known.contains(&key.as_str()) {
            violation_at(out, path, key, "additionalProperties", "is not allowed (unknown property)");
        }
    }
}

/// `enum` of strings (and optionally `null`).
pub fn expect_one_of_strings(v: &Value, path: &InstancePath, out: &mut Vec<Violation>, allowed: &[&str], null_ok: bool) {
    let ok = match v {
        Value::String(s) => allowed.contains(&s.as_str()),
        Value::Null => null_ok,
        _ => false,
    };
    if !ok {
        let mut shown: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        if null_ok {
            shown.push("null".into());
        }
        violation(out, path, "enum", format!("must be one of: {}", shown.join(", ")));
    }
}

/// `minLength` / `maxLength`, counted in code points.
pub fn string_length(s: &str, path: &InstancePath, out: &mut Vec<Violation>, min: Option<u64>, max: Option<u64>) {
    let len = char_len(s);
    if let Some(min) = min.filter(|m| len < *m) {
        violation(out, path, "minLength", format!("must be at least {min} characters long"));
    }
    if let Some(max) = max.filter(|m| len > *m) {
        violation(out, path, "maxLength", format!("must be at most {max} characters long"));
    }
}

fn show(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// `minimum`/`exclusiveMinimum`/`maximum`/`exclusiveMaximum`: each bound is `(limit, exclusive)`.
pub fn number_range(n: f64, path: &InstancePath, out: &mut Vec<Violation>, min: Option<(f64, bool)>, max: Option<(f64, bool)>) {
    match min {
        Some((m, true)) if n <= m => violation(out, path, "exclusiveMinimum", format!("must be greater than {}", show(m))),
        Some((m, false)) if n < m => violation(out, path, "minimum", format!("must be at least {}", show(m))),
        _ => {}
    }
    match max {
        Some((m, true)) if n >= m => violation(out, path, "exclusiveMaximum", format!("must be less than {}", show(m))),
        Some((m, false)) if n > m => violation(out, path, "maximum", format!("must be at most {}", show(m))),
        _ => {}
    }
}

/// `format`: records a violation unless `s` is a valid `format` value.
pub fn expect_format(s: &str, path: &InstancePath, out: &mut Vec<Violation>, format: &str) {
    let ok = match format {
        "uuid" => is_uuid(s),
        "date-time" => is_date_time(s),
        "date" => is_date(s),
        "time" => is_time(s),
        "ipv4" => s.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<std::net::Ipv6Addr>().is_ok(),
        "byte" => decode_base64(s).is_some(),
        "email" => is_email(s),
        "hostname" => is_hostname(s),
        "uri" => is_uri(s),
        _ => true,
    };
    if !ok {
        violation(out, path, "format", format!("must be a valid {format}"));
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `8-4-4-4-12` hexadecimal digits.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5 && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// RFC 3339 `full-date`, with the real number of days in the month.
pub fn is_date(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// RFC 3339 `full-time`: `HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`, leap second 60 allowed.
pub fn is_time(s: &str) -> bool {
    let (clock, offset) = match s.find(['Z', 'z', '+', '-']) {
        Some(i) => s.split_at(i),
        None => return false,
    };
    let offset_ok = match offset {
        "Z" | "z" => true,
        o => {
            let o = &o[1..];
            let mut hm = o.splitn(2, ':');
            matches!((hm.next().and_then(|h| digits(h, 2)), hm.next().and_then(|m| digits(m, 2))), (Some(h), Some(m)) if h < 24 && m < 60)
        }
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let mut p = hms.splitn(3, ':');
    match (p.next().and_then(|h| digits(h, 2)), p.next().and_then(|m| digits(m, 2)), p.next().and_then(|x| digits(x, 2))) {
        (Some(h), Some(m), Some(sec)) => offset_ok && h < 24 && m < 60 && sec <= 60,
        _ => false,
    }
}

/// RFC 3339 `date-time`.
pub fn is_date_time(s: &str) -> bool {
    match s.find(['T', 't']) {
        Some(i) => is_date(&s[..i]) && is_time(&s[i + 1..]),
        None => false,
    }
}

/// A pragmatic `email` check: one `@`, a non-empty local part, a hostname after it.
pub fn is_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !local.contains(char::is_whitespace) && is_hostname(domain),
        None => false,
    }
}

/// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
pub fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// An absolute URI: a scheme, `:`, and no whitespace.
pub fn is_uri(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, _)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` when it is not base64.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let trimmed = s.trim_end_matches('=');
    if s.len() - trimmed.len() > 2 || trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in trimmed.bytes() {
        let v = BASE64.iter().position(|b| *b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The bytes of a `format: byte` string, written as base64 on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Base64(pub Vec<u8>);

impl serde::Serialize for Base64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_base64(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Base64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        decode_base64(&text).map(Base64).ok_or_else(|| serde::de::Error::custom("not valid base64"))
    }
}

/// A base64 string (`format: byte`).
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Base64 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Base64")
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "byte", "contentEncoding": "base64" })
    }
}

/// The schema of a required property whose value may be `null`, for `schemars(with)`: schemars
/// would otherwise drop `null` from a required `Option`.
#[cfg(feature = "schemars")]
#[derive(Debug)]
pub struct NullableSchema<T>(std::marker::PhantomData<T>);

#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for NullableSchema<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Owned(format!("Nullable_{}", T::schema_name()))
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Option<T>>::json_schema(generator)
    }
}

/// Operation descriptors: each operation's name, method, path template and parameters as data
/// (generated as `crate::ops`), which the server reads requests by and the client writes them by.
pub mod ops {
    use serde_json::Value;

    use super::{InstancePath, Style, Violation};

    /// A validator function of the generated `validate` module.
    pub type Validator = fn(&Value, &mut InstancePath, &mut Vec<Violation>);

    /// Where a parameter travels.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ParamIn {
        /// A path segment of the template.
        Path,
        /// The query string.
        Query,
        /// A request header.
        Header,
        /// A cookie.
        Cookie,
        /// The whole query string as one value (OpenAPI 3.2 `in: querystring`), read as its
        /// `content` media type says: a form (the style [`Style::Form`]) or JSON text
        /// ([`Style::Json`]).
        QueryString,
    }

    /// The kind of a scalar parameter value, for reading it from text.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Scalar {
        /// Kept as a string.
        String,
        /// A JSON number when it parses as one (else kept as a string, which validation reports).
        Number,
        /// `true`/`false` (else kept as a string).
        Boolean,
    }

    /// The shape of a parameter value, from its schema.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Coerce {
        /// One value.
        Scalar(Scalar),
        /// A list of values.
        Array(Scalar),
        /// An object: the kinds of its known properties, and the kind of anything else (also
        /// used when the parameter arrives as a single value, for `anyOf` of an object and a
        /// scalar).
        Object(&'static [(&'static str, Scalar)], Scalar),
    }

    /// One parameter of an operation.
    #[derive(Debug, Clone, Copy)]
    pub struct Param {
        /// The wire name.
        pub name: &'static str,
        /// Where it travels.
        pub at: ParamIn,
        /// Its style.
        pub style: Style,
        /// `explode`.
        pub explode: bool,
        /// The value's shape (how the server reads its text).
        pub coerce: Coerce,
        /// `required`.
        pub required: bool,
        /// The validator of its schema.
        pub check: Validator,
        /// Its `default` as JSON text, which the server fills in when it is absent.
        pub default: Option<&'static str>,
    }

    /// The short names of the generated tables: [`Param::new`] flags (place | style |
    /// `EXPLODE` | `REQUIRED`) and value shapes. Generated code names them through a module
    /// alias (`f::PATH`), so no operation's name can shadow them.
    pub mod flags {
        use super::{Coerce, Scalar};

        /// [`Param::new`] flags: where the parameter travels (one of these).
        pub const PATH: u16 = 0;
        /// In the query string.
        pub const QUERY: u16 = 1;
        /// In a header.
        pub const HEADER: u16 = 2;
        /// In a cookie.
        pub const COOKIE: u16 = 3;
        /// [`Param::new`] flags: the style (one of these; `SIMPLE` is 0).
        pub const SIMPLE: u16 = 0;
        /// `style: form`.
        pub const FORM: u16 = 1 << 2;
        /// `style: label`.
        pub const LABEL: u16 = 2 << 2;
        /// `style: matrix`.
        pub const MATRIX: u16 = 3 << 2;
        /// `style: spaceDelimited`.
        pub const SPACE_DELIMITED: u16 = 4 << 2;
        /// `style: pipeDelimited`.
        pub const PIPE_DELIMITED: u16 = 5 << 2;
        /// `style: deepObject`.
        pub const DEEP_OBJECT: u16 = 6 << 2;
        /// `content: application/json`.
        pub const JSON: u16 = 7 << 2;
        /// `explode: true`.
        pub const EXPLODE: u16 = 1 << 5;
        /// `required: true`.
        pub const REQUIRED: u16 = 1 << 6;
        /// With `QUERY`: the whole query string is the value (`in: querystring`).
        pub const QUERYSTRING: u16 = 1 << 7;

        /// A string value.
        pub const STR: Coerce = Coerce::Scalar(Scalar::String);
        /// A number value.
        pub const NUM: Coerce = Coerce::Scalar(Scalar::Number);
        /// A boolean value.
        pub const BOOL: Coerce = Coerce::Scalar(Scalar::Boolean);
        /// A list of strings.
        pub const STRS: Coerce = Coerce::Array(Scalar::String);
        /// A list of numbers.
        pub const NUMS: Coerce = Coerce::Array(Scalar::Number);
        /// A list of booleans.
        pub const BOOLS: Coerce = Coerce::Array(Scalar::Boolean);
    }

    use flags::*;

    impl Param {
        /// A parameter from its wire name, flags (place | style | `EXPLODE` | `REQUIRED`), value
        /// shape and validator: the generated tables write one short line per parameter.
        pub const fn new(name: &'static str, flags: u16, coerce: Coerce, check: Validator) -> Param {
            let at = match flags & 3 {
                0 => ParamIn::Path,
                1 if flags & QUERYSTRING != 0 => ParamIn::QueryString,
                1 => ParamIn::Query,
                2 => ParamIn::Header,
                _ => ParamIn::Cookie,
            };
            let style = match (flags >> 2) & 7 {
                0 => Style::Simple,
                1 => Style::Form,
                2 => Style::Label,
                3 => Style::Matrix,
                4 => Style::SpaceDelimited,
                5 => Style::PipeDelimited,
                6 => Style::DeepObject,
                _ => Style::Json,
            };
            Param { name, at, style, explode: flags & EXPLODE != 0, coerce, required: flags & REQUIRED != 0, check, default: None }
        }

        /// The same parameter with the default `json` (checked against its schema when generated).
        pub const fn or(self, json: &'static str) -> Param {
            Param { default: Some(json), ..self }
        }

        /// The flags [`Param::new`] reads back into this parameter (what the generator writes).
        pub fn flags(at: ParamIn, style: Style, explode: bool, required: bool) -> u16 {
            let place = match at {
                ParamIn::Path => PATH,
                ParamIn::Query => QUERY,
                ParamIn::Header => HEADER,
                ParamIn::Cookie => COOKIE,
                ParamIn::QueryString => QUERY | QUERYSTRING,
            };
            let style = match style {
                Style::Simple => SIMPLE,
                Style::Form => FORM,
                Style::Label => LABEL,
                Style::Matrix => MATRIX,
                Style::SpaceDelimited => SPACE_DELIMITED,
                Style::PipeDelimited => PIPE_DELIMITED,
                Style::DeepObject => DEEP_OBJECT,
                Style::Json => JSON,
            };
            place | style | if explode { EXPLODE } else { 0 } | if required { REQUIRED } else { 0 }
        }
    }

    impl Op {
        /// An operation without an idempotency key.
        pub const fn new(name: &'static str, method: &'static str, template: &'static str, params: &'static [Param]) -> Op {
            Op { name, method, template, params, idempotency_key: None }
        }

        /// An operation whose client sets the idempotency key header `header`.
        pub const fn keyed(name: &'static str, method: &'static str, template: &'static str, header: &'static str, params: &'static [Param]) -> Op {
            Op { name, method, template, params, idempotency_key: Some(header) }
        }
    }

    /// One operation.
    #[derive(Debug, Clone, Copy)]
    pub struct Op {
        /// The generated method name (`get_pet`), used in spans, logs and errors.
        pub name: &'static str,
        /// The HTTP method, upper case (`GET`).
        pub method: &'static str,
        /// The path template (`/pets/{id}`).
        pub template: &'static str,
        /// Its parameters, in the order of the parameters struct's fields.
        pub params: &'static [Param],
        /// The idempotency key header the client sets, when the operation takes one.
        pub idempotency_key: Option<&'static str>,
    }

    /// An operation's parameter values, validated, in the order of [`Op::params`]; what a
    /// parameters struct is built from ([`FromParams`]).
    #[derive(Debug)]
    pub struct ParamValues<'a> {
        /// The values (`None`: absent, or invalid and already reported).
        pub values: Vec<Option<Value>>,
        /// The operation's parameters.
        pub params: &'static [Param],
        /// Where conversion failures are reported.
        pub out: &'a mut Vec<Violation>,
    }

    impl ParamValues<'_> {
        /// Parameter `index` converted into its Rust type; `None` when absent or invalid (a
        /// conversion failure is reported under the parameter's name).
        pub fn take<T: serde::de::DeserializeOwned>(&mut self, index: usize) -> Option<T> {
            let value = self.values.get_mut(index)?.take()?;
            match super::convert(value) {
                Ok(v) => Some(v),
                Err(e) => {
                    let mut path = InstancePath::root();
                    path.push_key(self.params.get(index).map_or("", |p| p.name));
                    super::violation(self.out, &path, "type", e.to_string());
                    None
                }
            }
        }
    }

    /// A parameters struct built from validated values (the server's side).
    pub trait FromParams: Sized {
        /// The struct, or `None` when a required parameter is absent or invalid.
        fn from_params(values: &mut ParamValues<'_>) -> Option<Self>;
    }

    /// A parameters struct written as values (the client's side), in the order of
    /// [`Op::params`]; `None` for an absent optional parameter.
    pub trait ToParams {
        /// The values.
        fn to_params(&self) -> Vec<Option<Value>>;
    }

    /// One parameter value as JSON (what the client checks and writes).
    pub fn value<T: serde::Serialize + ?Sized>(value: &T) -> Option<Value> {
        Some(serde_json::to_value(value).unwrap_or(Value::Null))
    }
}

/// OpenAPI parameter styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `a,b` (path, header).
    Simple,
    /// `name=a&name=b` / `name=a,b` (query, cookie).
    Form,
    /// `.a.b` / `.a,b` (path).
    Label,
    /// `;name=a;name=b` / `;name=a,b` (path).
    Matrix,
    /// `name=a b`.
    SpaceDelimited,
    /// `name=a|b`.
    PipeDelimited,
    /// `name[key]=value`.
    DeepObject,
    /// JSON text (`content: application/json`).
    Json,
}

impl Style {
    /// Every style, in declaration order.
    pub const ALL: [Style; 8] =
        [Style::Simple, Style::Form, Style::Label, Style::Matrix, Style::SpaceDelimited, Style::PipeDelimited, Style::DeepObject, Style::Json];

    /// The variant's name, as generated code spells it (`Style::DeepObject`).
    pub fn variant(self) -> &'static str {
        match self {
            Style::Simple => "Simple",
            Style::Form => "Form",
            Style::Label => "Label",
            Style::Matrix => "Matrix",
            Style::SpaceDelimited => "SpaceDelimited",
            Style::PipeDelimited => "PipeDelimited",
            Style::DeepObject => "DeepObject",
            Style::Json => "Json",
        }
    }

    /// The style an OpenAPI `style` value names (`deepObject`); `None` for an unknown one.
    /// [`Style::Json`] has no spelling: it stands for `content`-encoded parameters.
    pub fn from_openapi(name: &str) -> Option<Style> {
        Some(match name {
            "simple" => Style::Simple,
            "form" => Style::Form,
            "label" => Style::Label,
            "matrix" => Style::Matrix,
            "spaceDelimited" => Style::SpaceDelimited,
            "pipeDelimited" => Style::PipeDelimited,
            "deepObject" => Style::DeepObject,
            _ => return None,
        })
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    pub file_name: Option<String>,
    /// The part's media type, if given.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

/// A `multipart/form-data` body: its parts in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    /// The parts.
    pub parts: Vec<Part>,
}

impl Multipart {
    /// The first part called `name`.
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// The first part called `name`, as text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.part(name).and_then(|p| std::str::from_utf8(&p.data).ok())
    }
}

/// A text value (a header) read as the schema's types say (`bits` of [`types`]): a number,
/// a boolean, a comma-separated list, or the string itself.
pub fn text_value(s: &str, bits: u8) -> Value {
    if bits & types::ARRAY != 0 && bits & types::STRING == 0 {
        return Value::Array(s.split(',').map(|p| Value::String(p.trim().to_string())).collect());
    }
    parse_scalar_text(s, bits & !types::ARRAY).unwrap_or_else(|| Value::String(s.to_string()))
}

fn parse_scalar_text(s: &str, expected: u8) -> Option<Value> {
    if expected & (types::NUMBER | types::INTEGER) != 0 {
        if let Ok(n) = s.trim().parse::<serde_json::Number>() {
            return Some(Value::Number(n));
        }
    }
    if expected & types::BOOLEAN != 0 {
        match s {
            "true" => return Some(Value::Bool(true)),
            "false" => return Some(Value::Bool(false)),
            _ => {}
        }
    }
    if expected & types::ARRAY != 0 {
        return Some(Value::Array(vec![Value::String(s.to_string())]));
    }
    if expected & types::NULL != 0 && s.is_empty() {
        return Some(Value::Null);
    }
    None
}

fn slot<'v>(value: &'v mut Value, path: &InstancePath) -> Option<&'v mut Value> {
    let mut cur = value;
    for seg in &path.0 {
        cur = match (seg, cur) {
            (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (Segment::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// For text-only encodings (form bodies): turns strings into the numbers, booleans and lists
/// the schema asks for, using the validator's own `type` violations as the guide, and returns the
/// violations that remain.
pub fn coerce_strings(value: &mut Value, validate: fn(&Value, &mut InstancePath, &mut Vec<Violation>)) -> Vec<Violation> {
    for _ in 0..32 {
        let mut out = Vec::new();
        validate(value, &mut InstancePath::root(), &mut out);
        let mut changed = false;
        for v in out.iter().filter(|v| v.keyword == "type" && v.expected != 0) {
            if let Some(target) = slot(value, &v.instance) {
                if let Value::String(s) = target {
                    if let Some(new) = parse_scalar_text(s, v.expected) {
                        *target = new;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return out;
        }
    }
    let mut out = Vec::new();
    validate(value, &mut InstancePath::root(), &mut out);
    out
}

fn set_nested(target: &mut serde_json::Map<String, Value>, keys: &[String], value: String) {
    let Some((first, rest)) = keys.split_first() else { return };
    if rest.is_empty() {
        match target.get_mut(first) {
            Some(Value::Array(items)) => items.push(Value::String(value)),
            Some(existing) => {
                let old = std::mem::take(existing);
                *existing = Value::Array(vec![old, Value::String(value)]);
            }
            None => {
                target.insert(first.clone(), Value::String(value));
            }
        }
        return;
    }
    if rest[0].is_empty() {
        // `a[]=x`: append to a list.
        let entry = target.entry(first.clone()).or_insert_with(|| Value::Array(Vec::new()));
        match entry {
            Value::Array(items) => items.push(Value::String(value)),
            other => *other = Value::Array(vec![std::mem::take(other), Value::String(value)]),
        }
        return;
    }
    let entry = target.entry(first.clone()).or_insert_with(|| Value::Object(serde_json::Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = entry {
        set_nested(map, rest, value);
    }
}

fn index_lists(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.values_mut().for_each(index_lists);
            if !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok()) {
                let mut items: Vec<(usize, Value)> = std::mem::take(map).into_iter().map(|(k, v)| (k.parse().unwrap_or(0), v)).collect();
                items.sort_by_key(|(i, _)| *i);
                *v = Value::Array(items.into_iter().map(|(_, v)| v).collect());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(index_lists),
        _ => {}
    }
}

/// Reads `application/x-www-form-urlencoded` pairs into JSON: `a=1&a=2` is a list, `a[b]=c`
/// nests, `a[0][b]=c` and `a[]=x` are lists. Every leaf is a string until [`coerce_strings`].
pub fn form_to_json(pairs: Vec<(String, String)>) -> Value {
    let mut root = serde_json::Map::new();
    for (key, value) in pairs {
        let (head, tail) = match key.find('[') {
            Some(i) if key.ends_with(']') => (&key[..i], &key[i + 1..key.len() - 1]),
            _ => (key.as_str(), ""),
        };
        let mut keys = vec![head.to_string()];
        if key.contains('[') && key.ends_with(']') {
            keys.extend(tail.split("][").map(str::to_string));
        }
        set_nested(&mut root, &keys, value);
    }
    let mut v = Value::Object(root);
    index_lists(&mut v);
    v
}

/// The impls of a generated string enum: `as_str`, `Display`, and serde as its wire string,
/// where a value the spec does not list becomes `UnknownValue`.
#[allow(unused_macros, reason = "used by specs with string enums")]
#[doc(hidden)]
#[cfg_attr(not(feature = "embedded"), macro_export)]
macro_rules! __string_enum {
    ($name:ident $($reject:ident)? { $($variant:ident = $wire:literal),* $(,)? }) => {
        impl $name {
            /// The value as it is written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::UnknownValue(other) => other,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        /// The listed values (the spec's `enum`).
        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                // Built, not written as one `json_schema!` literal: an enum may list thousands.
                let values: ::std::vec::Vec<::serde_json::Value> = [$($wire),*].iter().map(|w| ::serde_json::Value::from(*w)).collect();
                let mut schema = ::serde_json::Map::new();
                schema.insert("type".into(), "string".into());
                schema.insert("enum".into(), values.into());
                ::schemars::Schema::from(schema)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                ::std::result::Result::Ok(match text.as_str() {
                    $($wire => Self::$variant,)*
                    // With the marker `reject` (`unknown-enum-values.responses = "reject"`).
                    $(_ if stringify!($reject) == "reject" => {
                        return ::std::result::Result::Err(::serde::de::Error::custom(::std::format!("`{text}` is not a value of {}", stringify!($name))));
                    })?
                    _ => Self::UnknownValue(text),
                })
            }
        }
    };
}
/// `string_enum!(Name { Variant = "wire", ... })`: a string enum that keeps unknown values.
/// Generated code names it `crate::runtime::string_enum!` in both modes: the crate exports it at
/// its root (`#[macro_export]`) and re-exports it here; the embedded copy (feature `embedded`,
/// a constant there) keeps it crate-local, so that crates holding several generated crates as
/// modules see no clash at their root. Its paths are absolute (`::serde`), and its
/// `cfg(feature = "schemars")` is the invoking crate's.
#[cfg(not(feature = "embedded"))]
pub use crate::__string_enum as string_enum;
#[cfg(feature = "embedded")]
#[allow(unused_imports, reason = "used by specs with string enums")]
pub(crate) use __string_enum as string_enum;
