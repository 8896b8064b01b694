//! Support code for the generated types and validators: instance paths, violations, JSON equality,
//! the lenient-integer conversion and the absent/null/value field helper. Copied verbatim into
//! every generated crate so that it depends only on published crates.

use std::fmt;

use serde_json::Value;

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
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Records a violation at `path`.
pub fn violation(out: &mut Vec<Violation>, path: &InstancePath, keyword: &'static str, message: impl Into<String>) {
    out.push(Violation { path: path.to_string(), keyword, message: message.into() });
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
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// True when the array holds no two JSON-equal items.
pub fn all_unique(items: &[Value]) -> bool {
    items.iter().enumerate().all(|(i, a)| items[i + 1..].iter().all(|b| !json_eq(a, b)))
}

/// `multipleOf`, exact for integers and tolerant of binary rounding for decimals (`0.01`).
pub fn is_multiple_of(v: &Value, m: f64) -> bool {
    if let (Some(i), true) = (v.as_i64(), m.fract() == 0.0 && m.abs() < 9.0e15) {
        return i % (m as i64) == 0;
    }
    let Some(x) = v.as_f64() else { return true };
    let q = x / m;
    if !q.is_finite() {
        return false;
    }
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
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
