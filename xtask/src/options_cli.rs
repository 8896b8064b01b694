//! The command line of every generator option, built from the configuration schema
//! (`codegen::options::config_schema`, derived from `codegen::Options`): one flag per key, with
//! the key's dotted name (`--unknown-fields.requests deny`) and its doc comment as help, so no
//! second list of options exists. Values become a TOML table layered over the configuration file.

use anyhow::{Result, bail};
use clap::{Arg, ArgAction, ArgMatches};
use serde_json::Value;

/// What kind of value a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `--key` (true) or `--key=false`.
    Bool,
    /// `--key 123`.
    Int,
    /// `--key text`.
    Str,
    /// `--key a --key b` (replaces the file's list).
    List,
    /// `--key NAME=VALUE` (repeatable; VALUE is TOML, `{ type = "..", crate = ".." }`, or text).
    Map,
}

/// One option flag.
#[derive(Debug, Clone)]
pub struct OptionArg {
    /// The dotted configuration key (`types.by-format`).
    pub key: String,
    /// Its value kind.
    pub kind: Kind,
    /// The first paragraph of its doc comment.
    pub help: String,
    /// Allowed values of an enum key.
    pub values: Vec<String>,
}

/// Short spellings kept from before the options had one home.
const ALIASES: &[(&str, &str)] = &[("crate-name", "name")];

/// Every option flag of the configuration schema.
pub fn option_args() -> Vec<OptionArg> {
    let schema: Value = serde_json::from_str(&codegen::options::config_schema()).unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk(&schema, &schema, "", &mut out);
    out
}

fn resolve<'v>(root: &'v Value, node: &'v Value) -> &'v Value {
    match node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
        Some(name) => root.get("$defs").and_then(|d| d.get(name)).unwrap_or(node),
        None => node,
    }
}

fn walk(root: &Value, node: &Value, prefix: &str, out: &mut Vec<OptionArg>) {
    let node = resolve(root, node);
    let Some(props) = node.get("properties").and_then(Value::as_object) else { return };
    for (name, prop) in props {
        let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let help_of = |p: &Value| p.get("description").and_then(Value::as_str).map(|d| d.split("\n\n").next().unwrap_or(d).replace('\n', " "));
        let def = resolve(root, prop);
        let help = help_of(prop).or_else(|| help_of(def)).unwrap_or_default();
        let types: Vec<&str> = match def.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
            _ => Vec::new(),
        };
        let values: Vec<String> = def
            .get("enum")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .or_else(|| {
                def.get("oneOf")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|v| v.get("const").and_then(Value::as_str)).map(str::to_string).collect())
            })
            .unwrap_or_default();
        let kind = match types.first().copied() {
            Some("boolean") => Kind::Bool,
            Some("integer") => Kind::Int,
            Some("array") => Kind::List,
            Some("object") if def.get("properties").is_some() => {
                walk(root, def, &key, out);
                continue;
            }
            Some("object") => Kind::Map,
            _ => Kind::Str,
        };
        out.push(OptionArg { key, kind, help, values });
    }
}

/// The clap argument of one option.
pub fn to_clap(a: &OptionArg) -> Arg {
    let arg = Arg::new(a.key.clone()).long(a.key.clone()).help(a.help.clone());
    let arg = match ALIASES.iter().find(|(k, _)| *k == a.key) {
        Some((_, alias)) => arg.visible_alias(*alias),
        None => arg,
    };
    match a.kind {
        Kind::Bool => arg.num_args(0..=1).require_equals(true).default_missing_value("true").value_parser(clap::value_parser!(bool)).action(ArgAction::Set),
        Kind::Int => arg.value_name("N").value_parser(clap::value_parser!(i64)).action(ArgAction::Set),
        Kind::Str if !a.values.is_empty() => arg.value_parser(clap::builder::PossibleValuesParser::new(a.values.clone())).action(ArgAction::Set),
        Kind::Str => arg.value_name("VALUE").action(ArgAction::Set),
        Kind::List => arg.value_name("VALUE").action(ArgAction::Append),
        Kind::Map => arg.value_name("NAME=VALUE").action(ArgAction::Append),
    }
}

/// The TOML table of the option flags given, and their spelling for the `@generated` stamp.
pub fn overrides(matches: &ArgMatches, args: &[OptionArg]) -> Result<(toml::Table, Vec<String>)> {
    let mut table = toml::Table::new();
    let mut shown = Vec::new();
    for a in args {
        let value = match a.kind {
            Kind::Bool => matches.get_one::<bool>(&a.key).map(|b| toml::Value::Boolean(*b)),
            Kind::Int => matches.get_one::<i64>(&a.key).map(|n| toml::Value::Integer(*n)),
            Kind::Str => matches.get_one::<String>(&a.key).map(|s| toml::Value::String(s.clone())),
            Kind::List => matches.get_many::<String>(&a.key).map(|v| toml::Value::Array(v.map(|s| toml::Value::String(s.clone())).collect())),
            Kind::Map => match matches.get_many::<String>(&a.key) {
                None => None,
                Some(entries) => {
                    let mut t = toml::Table::new();
                    for e in entries {
                        let Some((k, v)) = e.split_once('=').filter(|(k, v)| !k.is_empty() && !v.is_empty()) else {
                            bail!("--{} {e}: not NAME=VALUE", a.key);
                        };
                        t.insert(k.to_string(), toml_value(v));
                    }
                    Some(toml::Value::Table(t))
                }
            },
        };
        let Some(value) = value else { continue };
        // Writer and diagnostic policies do not change the output: the stamp leaves them out.
        if !matches!(a.key.as_str(), "force" | "strict") {
            shown.push(show(&a.key, a.kind, &value));
        }
        codegen::options::insert_dotted(&mut table, &a.key, value);
    }
    Ok((table, shown))
}

/// A command-line value as TOML: an inline table, array, number or boolean when it reads as
/// one, else the text itself.
fn toml_value(text: &str) -> toml::Value {
    match format!("v = {text}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(text.into())),
        Err(_) => toml::Value::String(text.into()),
    }
}

fn show(key: &str, kind: Kind, value: &toml::Value) -> String {
    let text = |v: &toml::Value| match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (kind, value) {
        (Kind::Bool, toml::Value::Boolean(true)) => format!("--{key}"),
        (Kind::Bool, v) => format!("--{key}={v}"),
        (Kind::List, toml::Value::Array(items)) => items.iter().map(|i| format!("--{key} {}", text(i))).collect::<Vec<_>>().join(" "),
        (Kind::Map, toml::Value::Table(t)) => t.iter().map(|(k, v)| format!("--{key} {k}={}", text(v))).collect::<Vec<_>>().join(" "),
        (_, v) => format!("--{key} {}", text(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<toml::Table> {
        let args = option_args();
        let cmd = args.iter().fold(clap::Command::new("gen"), |c, a| c.arg(to_clap(a)));
        let m = cmd.try_get_matches_from(std::iter::once("gen").chain(argv.iter().copied()))?;
        Ok(overrides(&m, &args)?.0)
    }

    #[test]
    fn every_key_of_the_schema_is_a_flag() {
        let keys: Vec<String> = option_args().into_iter().map(|a| a.key).collect();
        for k in [
            "crate-name",
            "strict",
            "force",
            "spec-root",
            "uri-map",
            "assert-formats",
            "pattern-backtrack-limit",
            "types.by-format",
            "types.by-name",
            "derives.all",
            "rename.schemas",
            "operations.include-tags",
            "unknown-fields.requests",
            "unknown-enum-values.responses",
            "server",
            "client",
            "crate-version",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        }
        assert!(!keys.iter().any(|k| k == "command" || k == "spec-label"), "caller-set fields are not options");
    }

    #[test]
    fn flags_become_the_same_keys_as_the_file() {
        let t = parse(&[
            "--strict",
            "--server=false",
            "--name",
            "pets",
            "--pattern-backtrack-limit",
            "5",
            "--unknown-fields.requests",
            "deny",
            "--types.by-format",
            "decimal={ type = \"rust_decimal::Decimal\" }",
            "--uri-map",
            "urn:a:=b",
            "--derives.all",
            "Hash",
            "--derives.all",
            "Eq",
        ])
        .expect("parses");
        let want: toml::Table = toml::from_str(
            "strict = true\nserver = false\ncrate-name = \"pets\"\npattern-backtrack-limit = 5\n[unknown-fields]\nrequests = \"deny\"\n[types.by-format]\ndecimal = { type = \"rust_decimal::Decimal\" }\n[uri-map]\n\"urn:a:\" = \"b\"\n[derives]\nall = [\"Hash\", \"Eq\"]\n",
        )
        .expect("toml");
        assert_eq!(t, want);
        let o = codegen::options::layer(&codegen::Options::default(), &t).expect("valid options");
        assert_eq!(o.types.by_format["decimal"].rust_type, "rust_decimal::Decimal");
        assert!(parse(&["--unknown-fields.requests", "sometimes"]).is_err(), "enum values are checked");
        assert!(parse(&["--uri-map", "no-equals"]).is_err());
    }
}
