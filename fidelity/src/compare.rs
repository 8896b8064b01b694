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
    /// Documented deviations: reason -> (count, first example).
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
pub fn compare(
    targets: &[Target],
    reference: Value,
    alternatives: Vec<(&'static str, Value)>,
    cases: &[(usize, Value)],
    results: &[Value],
) -> Outcome {
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
            check_round_trip(t, instance, ours, &mut out);
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

fn check_round_trip(t: &Target, instance: &Value, ours: &Value, out: &mut Outcome) {
    out.round_trips += 1;
    let revalid = ours["revalid"].as_bool() == Some(true);
    let stable = ours["stable"].as_bool() == Some(true);
    if revalid && stable {
        out.stable += 1;
        return;
    }
    let what = if !revalid {
        format!("round trip: the serialised value {} is not valid again", ours["converted"])
    } else {
        format!("round trip: the serialised value {} does not convert to itself ({})", ours["converted"], ours["second_error"])
    };
    out.failures.push(Failure { location: t.location(), instance: instance.clone(), what });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::Kind;
    use serde_json::json;

    fn target(pointer: &str) -> Target {
        Target { kind: Kind::Component, file: "spec.yaml".into(), pointer: pointer.into(), bundled: pointer.into(), rust_type: String::new(), validator: String::new() }
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
    fn a_schema_jsonschema_cannot_build_is_not_compared() {
        let reference = json!({"components": {"schemas": {"A": {"$ref": "urn:fidelity:spec#/nowhere"}}}});
        let out = compare(&[target("/components/schemas/A")], reference, Vec::new(), &[(0, json!(1))], &[json!({"valid": true})]);
        assert_eq!(out.instances, 0);
        assert_eq!(out.unbuildable.len(), 1);
        assert_eq!(out.compared, vec![false]);
    }
}
