//! The printed report: one row per document, the deviation classes with a count and an example,
//! every failure with both verdicts, and the untyped places; and the gate's verdict.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::run::SpecReport;

/// Least share of a document's component schemas that must be compared in a full run.
pub const MIN_COMPONENT_COVERAGE: f64 = 99.0;

/// Most failures printed per document (the count is always printed).
const SHOWN: usize = 25;

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 { "-".into() } else { format!("{:.2}", part as f64 * 100.0 / whole as f64) }
}

/// The per-document table and totals.
pub fn table(rows: &[SpecReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<30} {:>7} {:>16} {:>16} {:>7} {:>8} {:>7} {:>8} {:>7} {:>5} {:>15} {:>5} {:>10} {:>6}",
        "spec",
        "openapi",
        "schemas c/n/i",
        "compared c/n/i",
        "comp %",
        "inst",
        "valid",
        "agree %",
        "document",
        "fail",
        "round-trip",
        "dangl",
        "untyped(t)",
        "status"
    );
    for r in rows {
        let o = &r.outcome;
        let status = r.status.lines().next().unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<30} {:>7} {:>16} {:>16} {:>7.2} {:>8} {:>7} {:>8} {:>7} {:>5} {:>15} {:>5} {:>10} {:>6}",
            r.name,
            r.version,
            format!("{}/{}/{}", r.schemas[0], r.schemas[1], r.schemas[2]),
            format!("{}/{}/{}", r.compared[0], r.compared[1], r.compared[2]),
            r.component_coverage(),
            o.instances,
            o.valid,
            pct(o.agreed, o.instances),
            o.documented(),
            o.failures.len(),
            format!("{}/{}", o.stable, o.round_trips),
            r.dangling,
            format!("{}({})", r.untyped.len(), r.untyped.iter().filter(|u| u.typable).count()),
            status,
        );
    }
    let sum = |f: fn(&SpecReport) -> usize| rows.iter().map(f).sum::<usize>();
    let (instances, agreed) = (sum(|r| r.outcome.instances), sum(|r| r.outcome.agreed));
    let compared = sum(|r| r.compared.iter().sum());
    let components = (sum(|r| r.components.0), sum(|r| r.components.1));
    let _ = writeln!(
        out,
        "total: {} specs, {} ok; {} schemas ({} compared), components {}/{} ({}%); {} instances, {} valid, {} agree ({}%), {} documented deviations, {} failures; round trips {}/{} stable; {} untyped places ({} typable)",
        rows.len(),
        rows.iter().filter(|r| r.status == "ok").count(),
        sum(|r| r.schemas.iter().sum()),
        compared,
        components.1,
        components.0,
        pct(components.1, components.0),
        instances,
        sum(|r| r.outcome.valid),
        agreed,
        pct(agreed, instances),
        sum(|r| r.outcome.documented()),
        sum(|r| r.outcome.failures.len()),
        sum(|r| r.outcome.stable),
        sum(|r| r.outcome.round_trips),
        sum(|r| r.untyped.len()),
        sum(|r| r.untyped.iter().filter(|u| u.typable).count()),
    );
    out
}

/// Deviation classes per document, with a count and an example; the schemas `jsonschema` could
/// not build; every failure (up to a bound per document) with spec, schema, instance and both
/// verdicts; and what failed to generate, build or run.
pub fn details(rows: &[SpecReport]) -> String {
    let mut out = String::new();
    let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        for (reason, (n, example)) in &r.outcome.deviations {
            *classes.entry(reason).or_default() += n;
            let _ = writeln!(out, "{}: deviation ({n}x): {reason}\n    e.g. {example}", r.name);
        }
        for (at, why) in &r.outcome.unbuildable {
            let _ = writeln!(out, "{}: not compared: {at}: jsonschema cannot build it: {why}", r.name);
        }
        if r.status != "ok" {
            let _ = writeln!(out, "{}: FAILED: {}", r.name, r.status);
        }
        for f in r.outcome.failures.iter().take(SHOWN) {
            let _ = writeln!(out, "{}: FAILED: {}: {}\n    instance: {}", r.name, f.location, f.what, f.instance);
        }
        if r.outcome.failures.len() > SHOWN {
            let _ = writeln!(out, "{}: ... and {} more failures", r.name, r.outcome.failures.len() - SHOWN);
        }
    }
    for (reason, n) in &classes {
        let _ = writeln!(out, "deviation class ({n}x in all): {reason}");
    }
    out
}

/// The untyped places: per reason the count over all documents; with `every`, each place.
pub fn untyped(rows: &[SpecReport], every: bool) -> String {
    let mut out = String::new();
    let mut by_reason: BTreeMap<(&str, bool), usize> = BTreeMap::new();
    for r in rows {
        for u in &r.untyped {
            *by_reason.entry((u.reason.as_str(), u.typable)).or_default() += 1;
            if every {
                let typable = if u.typable { "typed form possible" } else { "no typed form" };
                let _ = writeln!(out, "{}: untyped {}#{}: {} [{typable}]", r.name, u.location.file, u.location.pointer, u.reason);
            }
        }
    }
    for ((reason, typable), n) in &by_reason {
        let typable = if *typable { "typed form possible" } else { "no typed form" };
        let _ = writeln!(out, "untyped ({n}x): {reason} [{typable}]");
    }
    out
}

/// True when every document ran and agreed outside documented deviations with stable round
/// trips, and (unless `sampled`) at least [`MIN_COMPONENT_COVERAGE`] of its component schemas
/// were compared.
pub fn passed(rows: &[SpecReport], sampled: bool) -> bool {
    rows.iter().all(|r| r.status == "ok" && r.outcome.failures.is_empty() && (sampled || r.component_coverage() >= MIN_COMPONENT_COVERAGE))
}
