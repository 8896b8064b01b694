//! The comparison of one spec's verdicts with `jsonschema`: agreement, documented deviations
//! (recognised by re-checking a disagreeing instance against the spec read the generator's way,
//! `::tests::instances::{alternatives, deviation}`), and round-trip stability of valid values.

use std::collections::BTreeMap;

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

use crate::bundle::BASE;
use crate::targets::Target;

/// A `jsonschema` view of one bundled document: a validator per target, built on demand.
struct Reference {
    /// The document (the registry holds its own copy).
    document: Value,
    registry: Option<Registry<'static>>,
    /// Why the registry could not be built.
    failure: Option<String>,
    validators: BTreeMap<usize, Result<Validator, String>>,
}

impl Reference {
    fn new(document: Value) -> Reference {
        match Registry::new().draft(Draft::Draft202012).add(BASE, Draft::Draft202012.create_resource(document.clone())).and_then(|b| b.prepare()) {
            Ok(registry) => Reference { document, registry: Some(registry), failure: None, validators: BTreeMap::new() },
            Err(e) => Reference { document, registry: None, failure: Some(e.to_string()), validators: BTreeMap::new() },
        }
    }

    fn validator(&mut self, i: usize, target: &Target) -> Result<&Validator, String> {
        let Some(registry) = &self.registry else { return Err(self.failure.clone().unwrap_or_default()) };
        let document = &self.document;
        let entry = self.validators.entry(i).or_insert_with(|| {
            // A copy of the schema as its own resource (its references are absolute): a pointer
            // in a `$ref` URI would have to be percent-encoded, and `jsonschema` does not decode
            // it when it looks the pointer up.
            let schema = document.pointer(&target.bundled).cloned().ok_or_else(|| format!("no schema at {}", target.bundled))?;
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_registry(registry)
                .with_base_uri("urn:fidelity:target")
                .should_validate_formats(false)
                .build(&schema)
                .map_err(|e| e.to_string())
        });
        entry.as_ref().map_err(Clone::clone)
    }
}

/// One instance the gate cannot accept, with what each side said.
#[derive(Debug, Clone)]
pub struct Failure {
    /// `file#pointer` of the schema.
    pub location: String,
    /// The instance.
    pub instance: Value,
    /// What went wrong, both verdicts included.
    pub what: String,
}

/// The outcome for one spec.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Targets whose instances were compared, by index.
    pub compared: Vec<bool>,
    /// Targets `jsonschema` cannot build, with its message.
    pub unbuildable: Vec<(String, String)>,
    /// Instances compared.
    pub instances: usize,
    /// Of those, valid per `jsonschema`.
    pub valid: usize,
    /// Verdicts equal to `jsonschema`'s.
    pub agreed: usize,
    /// Documented deviations (disagreements and round trips): reason -> (count, first example).
    pub deviations: BTreeMap<&'static str, (usize, String)>,
    /// Valid (per the crate) instances whose round trips were checked.
    pub round_trips: usize,
    /// Of those, stable: the converted value is valid again and converts to itself.
    pub stable: usize,
    /// Disagreements no documented deviation explains, and unstable round trips.
    pub failures: Vec<Failure>,
}

impl Outcome {
    /// Disagreements explained by a documented deviation.
    pub fn documented(&self) -> usize {
        self.deviations.values().map(|d| d.0).sum()
    }
}

/// Compares `results` (one verdict per case, as [`crate::targets::harness`] writes them) with
/// `jsonschema` on `reference` (the bundle, read as JSON Schema); `alternatives` are the bundle
/// read with each documented deviation.
pub fn compare(targets: &[Target], reference: Value, alternatives: Vec<(&'static str, Value)>, cases: &[(usize, Value)], results: &[Value]) -> Outcome {
    let mut out = Outcome { compared: vec![false; targets.len()], ..Outcome::default() };
    let mut main = Reference::new(reference);
    let mut alternatives: Vec<(&'static str, Option<Reference>, Value)> = alternatives.into_iter().map(|(r, v)| (r, None, v)).collect();
    let mut broken = vec![false; targets.len()];
    for ((i, instance), ours) in cases.iter().zip(results) {
        let t = &targets[*i];
        if broken[*i] {
            continue;
        }
        let theirs = match main.validator(*i, t) {
            Ok(v) => v.is_valid(instance),
            Err(e) => {
                broken[*i] = true;
                out.unbuildable.push((t.location(), e));
                continue;
            }
        };
        out.compared[*i] = true;
        out.instances += 1;
        out.valid += usize::from(theirs);
        let our_valid = ours["valid"].as_bool() == Some(true);
        if our_valid {
            let converted = &ours["converted"];
            let theirs_again = main.validator(*i, t).map(|v| v.is_valid(converted)).unwrap_or(true);
            check_round_trip(t, instance, ours, theirs_again, &mut out);
        }
        if our_valid == theirs {
            out.agreed += 1;
            continue;
        }
        let mut explained = ::tests::instances::deviation(instance, ours);
        if explained.is_none() {
            for (reason, built, document) in &mut alternatives {
                let reference = built.get_or_insert_with(|| Reference::new(std::mem::take(document)));
                if reference.validator(*i, t).is_ok_and(|v| v.is_valid(instance) == our_valid) {
                    explained = Some(*reason);
                    break;
                }
            }
        }
        match explained {
            Some(reason) => {
                let e = out.deviations.entry(reason).or_insert((0, format!("{}: {instance}", t.location())));
                e.0 += 1;
            }
            None => out.failures.push(Failure {
                location: t.location(),
                instance: instance.clone(),
                what: format!("disagreement: generated valid={our_valid} ({}), jsonschema valid={theirs}", verdict(ours)),
            }),
        }
    }
    out
}

fn verdict(ours: &Value) -> String {
    match ours.get("error").and_then(Value::as_str) {
        Some(e) => e.to_string(),
        None if ours["valid"] == Value::Bool(true) => format!("converted to {}", ours["converted"]),
        None => "rejected by the validator".into(),
    }
}

/// The documented reason of an unstable round trip that only lost undeclared members.
pub const DROPPED_MEMBERS: &str = "a struct keeps the members its schema declares: members an open object does not declare are dropped on conversion, and a `oneOf`/`anyOf` without a discriminator can then match another number of alternatives (or another first one) than the value did";

/// `jsonschema`'s verdict on the serialised value is `theirs_again`.
fn check_round_trip(t: &Target, instance: &Value, ours: &Value, theirs_again: bool, out: &mut Outcome) {
    out.round_trips += 1;
    let revalid = ours["revalid"].as_bool() == Some(true);
    let stable = ours["stable"].as_bool() == Some(true);
    if revalid && stable {
        out.stable += 1;
        return;
    }
    // Explained when the serialised value is the instance minus some object members (nothing
    // else changed) and, if ours calls it invalid, `jsonschema` agrees: the loss, not a wrong
    // verdict, is what changed the outcome.
    let converted = &ours["converted"];
    if converted != instance && only_members_dropped(instance, converted) && (revalid || !theirs_again) {
        let e = out.deviations.entry(DROPPED_MEMBERS).or_insert((0, format!("{}: {instance} -> {converted}", t.location())));
        e.0 += 1;
        return;
    }
    let what = if !revalid {
        format!("round trip: the serialised value {} is not valid again", ours["converted"])
    } else {
        format!("round trip: the serialised value {} does not convert to itself ({})", ours["converted"], ours["second_error"])
    };
    out.failures.push(Failure { location: t.location(), instance: instance.clone(), what });
}

/// True when `after` is `before` with zero or more object members removed, at any depth
/// (numbers compare by value, as in JSON Schema: `60` and `60.0` are one number).
fn only_members_dropped(before: &Value, after: &Value) -> bool {
    match (before, after) {
        (Value::Number(b), Value::Number(a)) => b == a || b.as_f64().is_some_and(|b| a.as_f64() == Some(b)),
        (Value::Object(b), Value::Object(a)) => a.iter().all(|(k, v)| b.get(k).is_some_and(|w| only_members_dropped(w, v))),
        (Value::Array(b), Value::Array(a)) => b.len() == a.len() && b.iter().zip(a).all(|(w, v)| only_members_dropped(w, v)),
        _ => before == after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::Kind;
    use serde_json::json;

    fn target(pointer: &str) -> Target {
        Target {
            kind: Kind::Component,
            file: "spec.yaml".into(),
            pointer: pointer.into(),
            bundled: pointer.into(),
            rust_type: String::new(),
            validator: String::new(),
        }
    }

    #[test]
    fn disagreements_are_failures_unless_a_documented_reading_explains_them() {
        let raw = json!({"openapi": "3.0.3", "components": {"schemas": {
            "A": {"nullable": true, "allOf": [{"$ref": "urn:fidelity:spec#/components/schemas/B"}]},
            "B": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}
        }}});
        let mut reference = raw.clone();
        ::tests::instances::normalise_30(&mut reference, false);
        let targets = [target("/components/schemas/A"), target("/components/schemas/B")];
        let cases = vec![(0, json!(null)), (1, json!({})), (1, json!({"x": 1})), (1, json!({"x": 2})), (1, json!("no"))];
        let stable = json!({"valid": true, "converted": {"x": 1}, "revalid": true, "stable": true});
        let results = vec![
            // `null` beside allOf: valid by the common reading (documented), not by 3.0.3's.
            json!({"valid": true, "converted": null, "revalid": true, "stable": true}),
            // A required member missing, yet accepted: no reading explains it.
            stable.clone(),
            stable,
            // Valid and agreed, but the round trip does not convert to itself.
            json!({"valid": true, "converted": {"x": 2}, "revalid": true, "stable": false, "second_error": "boom"}),
            json!({"valid": false}),
        ];
        let out = compare(&targets, reference, ::tests::instances::alternatives(&raw, true), &cases, &results);
        assert_eq!((out.instances, out.valid, out.agreed), (5, 2, 3));
        assert_eq!(out.documented(), 1, "{:?}", out.deviations);
        assert!(out.deviations.keys().next().is_some_and(|r| r.contains("nullable")));
        assert_eq!(out.failures.len(), 2, "{:?}", out.failures);
        assert!(out.failures[0].what.contains("disagreement") && out.failures[0].instance == json!({}));
        assert!(out.failures[1].what.contains("round trip"));
        assert_eq!((out.round_trips, out.stable), (4, 3));
    }

    #[test]
    fn the_lenient_nullable_reading_keeps_pointers_into_alternatives() {
        // The target is an alternative of a nullable `anyOf` (Stripe's `balance_transaction.source`):
        // the lenient reading must still find it at the same pointer.
        let raw = json!({"openapi": "3.0.0", "components": {"schemas": {
            "S": {"nullable": true, "anyOf": [{"$ref": "urn:fidelity:spec#/components/schemas/T"}]},
            "T": {"type": "object", "properties": {"x": {"nullable": true, "anyOf": [{"type": "integer"}]}}}
        }}});
        let mut reference = raw.clone();
        ::tests::instances::normalise_30(&mut reference, false);
        let stable = json!({"valid": true, "converted": {"x": null}, "revalid": true, "stable": true});
        let out =
            compare(&[target("/components/schemas/S/anyOf/0")], reference, ::tests::instances::alternatives(&raw, true), &[(0, json!({"x": null}))], &[stable]);
        assert_eq!((out.instances, out.agreed, out.documented()), (1, 0, 1), "{:?} {:?}", out.deviations, out.failures);
        assert!(out.failures.is_empty());
    }

    #[test]
    fn a_round_trip_that_only_dropped_undeclared_members_is_the_documented_deviation() {
        let reference = json!({"components": {"schemas": {"A": {"oneOf": [
            {"type": "object", "properties": {"x": {"type": "string"}}},
            {"type": "object", "properties": {"y": {"type": "integer"}}}
        ]}}}});
        let cases = vec![(0, json!({"x": "a", "y": "s"})), (0, json!({"x": "a", "y": "t"}))];
        let results = vec![
            // `y` dropped: `{"x": "a"}` matches both alternatives (jsonschema agrees).
            json!({"valid": true, "converted": {"x": "a"}, "revalid": false, "stable": false}),
            // A changed value is not a dropped member.
            json!({"valid": true, "converted": {"x": "b"}, "revalid": false, "stable": false}),
        ];
        let out = compare(&[target("/components/schemas/A")], reference, Vec::new(), &cases, &results);
        assert_eq!((out.instances, out.agreed, out.round_trips, out.stable), (2, 2, 2, 0));
        assert_eq!(out.deviations.get(DROPPED_MEMBERS).map(|d| d.0), Some(1), "{:?}", out.deviations);
        assert_eq!(out.failures.len(), 1, "{:?}", out.failures);
        assert_eq!(out.failures[0].instance, json!({"x": "a", "y": "t"}));
        assert!(only_members_dropped(&json!({"a": [{"b": 1, "c": 2}]}), &json!({"a": [{"b": 1}]})));
        assert!(!only_members_dropped(&json!({"a": [1, 2]}), &json!({"a": [1]})));
        assert!(!only_members_dropped(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(only_members_dropped(&json!({"a": 60, "b": 1}), &json!({"a": 60.0})));
        assert!(!only_members_dropped(&json!({"a": 60}), &json!({"a": 60.5})));
    }

    #[test]
    fn a_schema_jsonschema_cannot_build_is_not_compared() {
        let reference = json!({"components": {"schemas": {"A": {"$ref": "urn:fidelity:spec#/nowhere"}}}});
        let out = compare(&[target("/components/schemas/A")], reference, Vec::new(), &[(0, json!(1))], &[json!({"valid": true})]);
        assert_eq!(out.instances, 0);
        assert_eq!(out.unbuildable.len(), 1);
        assert_eq!(out.compared, vec![false]);
    }
}
