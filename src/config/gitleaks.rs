//! Reads a gitleaks config as-is and turns it into a [`ProjectConfig`], so a team can move over
//! by pointing leakhound at the file it has.
//!
//! Mapping: `[[rules]]` keep `id`, `regex`, `secretGroup`, `entropy`, `keywords` and `path`;
//! `description` becomes the name; every rule is severity `high` (gitleaks has no severities).
//! Regexes are RE2 and are rewritten for Rust's `regex` ([`super::re2`]). Rule allowlists
//! (`[rules.allowlist]`, `[[rules.allowlists]]`) and global ones (`[allowlist]`, `[[allowlists]]`,
//! with `targetRules`) keep `regexes`, `regexTarget`, `paths` (regexes, as in gitleaks),
//! `stopwords`, `commits` and `condition`.
//!
//! `[extend]` works as in gitleaks: `path` layers another gitleaks config (a rule with the id of
//! one of its rules is merged into it field by field; `disabledRules` drops its rules; at most
//! two levels), `useDefault = true` turns on leakhound's built-in rules, which stand in for
//! gitleaks' default rules: gitleaks ids in `disabledRules`, `targetRules` and in rules that
//! only add allowlists to a default rule are mapped through [`super::gitleaks_ids`].
//!
//! Configs gitleaks rejects are errors with gitleaks' reason. A rule leakhound cannot run (a
//! regex that RE2 accepts and Rust's `regex` does not) is left out with a warning, and the rest
//! of the config loads. betterleaks' extensions of the format are read where they map: a rule's
//! `filter = 'entropy(finding["secret"]) < N'` becomes its entropy minimum; `skipReport` rules
//! (parts of composite rules) are left out; `validate`, `analyze` and the rest are ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::gitleaks_ids::leakhound_ids;
use super::{re2, Error, ProjectConfig, RuleExtension};
use crate::rule::{AllowlistConfig, RuleSyntax, Severity};
use crate::source::limited;

/// gitleaks' `maxExtendDepth`: a config, its base and the base's base.
const MAX_EXTEND_DEPTH: usize = 2;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksConfig {
    #[serde(default)]
    extend: Option<GitleaksExtend>,
    #[serde(default)]
    rules: Vec<GitleaksRule>,
    #[serde(default)]
    allowlist: Option<GitleaksAllowlist>,
    #[serde(default)]
    allowlists: Vec<GitleaksAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksExtend {
    #[serde(default)]
    use_default: bool,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksRule {
    #[serde(default)]
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    allowlist: Option<GitleaksAllowlist>,
    #[serde(default)]
    allowlists: Vec<GitleaksAllowlist>,
    /// betterleaks: a rule only reported as part of a composite rule.
    #[serde(default)]
    skip_report: bool,
    /// betterleaks: a CEL expression; a finding it is true for is dropped.
    #[serde(default)]
    filter: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksAllowlist {
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
}

/// Keys only a gitleaks (or betterleaks) config has, at the top, in a rule and in an allowlist.
const GITLEAKS_KEYS: [&[&str]; 3] = [
    &["title", "minVersion", "prefilter", "filter"],
    &[
        "description",
        "secretGroup",
        "tags",
        "skipReport",
        "validate",
    ],
    &["regexTarget", "targetRules", "description"],
];
/// Keys only a `.leakhound.toml` has, at the same three places.
const LEAKHOUND_KEYS: [&[&str]; 3] = [
    &["disable", "builtin"],
    &[
        "name",
        "severity",
        "examples",
        "negative_examples",
        "validator",
        "secret_group",
    ],
    &["path_regexes", "regex_target"],
];

/// Whether the config `text`, found at `path`, is in gitleaks' format: told by its keys (a
/// gitleaks `[extend]` is a table, leakhound's `extend` a string), and by the file name
/// (`.gitleaks.toml`) only when the keys do not tell.
pub fn is_gitleaks(path: &Path, text: &str) -> bool {
    let by_name = path.file_name().is_some_and(|name| {
        name.to_string_lossy()
            .to_ascii_lowercase()
            .contains("gitleaks")
    });
    let Ok(table) = text.parse::<toml::Table>() else {
        return by_name;
    };
    let rules = tables(table.get("rules"));
    let allowlists: Vec<&toml::Table> = tables(table.get("allowlist"))
        .into_iter()
        .chain(tables(table.get("allowlists")))
        .chain(rules.iter().flat_map(|rule| tables(rule.get("allowlist"))))
        .chain(rules.iter().flat_map(|rule| tables(rule.get("allowlists"))))
        .collect();
    let count = |keys: &[&[&str]; 3]| {
        let has = |t: &toml::Table, level: usize| {
            keys[level].iter().filter(|k| t.contains_key(**k)).count()
        };
        has(&table, 0)
            + rules.iter().map(|rule| has(rule, 1)).sum::<usize>()
            + allowlists.iter().map(|list| has(list, 2)).sum::<usize>()
    };
    let gitleaks =
        count(&GITLEAKS_KEYS) + usize::from(table.get("extend").is_some_and(toml::Value::is_table));
    let leakhound =
        count(&LEAKHOUND_KEYS) + usize::from(table.get("extend").is_some_and(toml::Value::is_str));
    match (gitleaks > 0, leakhound > 0) {
        (true, false) => true,
        (false, true) => false,
        _ => by_name,
    }
}

/// A table, or each table of an array of tables.
fn tables(value: Option<&toml::Value>) -> Vec<&toml::Table> {
    match value {
        Some(toml::Value::Table(table)) => vec![table],
        Some(toml::Value::Array(items)) => items.iter().filter_map(toml::Value::as_table).collect(),
        _ => Vec::new(),
    }
}

/// Reads the gitleaks config at `path` (and what it extends). `tree` is the scanned tree
/// (canonical): a file inside it may only extend files inside it (see [`super::read_config`]).
pub fn load(path: &Path, tree: Option<&Path>) -> Result<ProjectConfig, Error> {
    let mut warnings = Vec::new();
    let merged = load_merged(path, tree, 0, &mut warnings)?;
    let mut config = convert(path, merged, &mut warnings)?;
    config.warnings = warnings;
    Ok(config)
}

/// A config with what it extends merged in, as gitleaks merges it.
#[derive(Debug, Default)]
struct Merged {
    rules: Vec<GitleaksRule>,
    allowlists: Vec<GitleaksAllowlist>,
    use_default: bool,
    /// `disabledRules` entries that named no rule of an extended file: for the built-in rules.
    disabled: Vec<String>,
}

fn invalid(path: &Path, message: String) -> Error {
    Error::Invalid {
        path: PathBuf::from(path),
        message,
    }
}

/// One gitleaks config's text as a [`ProjectConfig`], without reading what it extends, and the
/// path of the config it extends. `path` names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<(ProjectConfig, Option<PathBuf>), Error> {
    let mut warnings = Vec::new();
    let (merged, base) = parse_one(path, text)?;
    let mut config = convert(path, merged, &mut warnings)?;
    config.warnings = warnings;
    Ok((config, base.map(|base| resolve_extend(path, &base))))
}

fn load_merged(
    path: &Path,
    tree: Option<&Path>,
    depth: usize,
    warnings: &mut Vec<String>,
) -> Result<Merged, Error> {
    let text = super::read_config(path, tree)?;
    let (mut merged, base) = parse_one(path, &text)?;
    let mut disabled = std::mem::take(&mut merged.disabled);
    if let Some(base) = base {
        if depth >= MAX_EXTEND_DEPTH {
            warnings.push(format!(
                "{}: [extend] path not read: gitleaks follows at most {MAX_EXTEND_DEPTH} levels of extend",
                path.display()
            ));
        } else {
            let base_path = match tree.filter(|tree| limited::in_tree(path, tree)) {
                Some(tree) => resolve_extend_in_tree(path, &base, tree)?,
                None => resolve_extend(path, &base),
            };
            let base = load_merged(&base_path, tree, depth + 1, warnings)?;
            let (consumed, rest): (Vec<String>, Vec<String>) = disabled
                .into_iter()
                .partition(|id| base.rules.iter().any(|rule| &rule.id == id));
            disabled = rest;
            merge(&mut merged, base, &consumed);
        }
    }
    merged.disabled.extend(disabled);
    Ok(merged)
}

/// One file, checked as gitleaks checks it: its rules and allowlists, its `disabledRules` (in
/// `disabled`), and the `[extend] path` it names.
fn parse_one(path: &Path, text: &str) -> Result<(Merged, Option<String>), Error> {
    let parsed: GitleaksConfig = toml::from_str(text).map_err(|err| Error::Parse {
        path: path.to_path_buf(),
        message: crate::rule::describe_toml_error(text, &err),
    })?;
    let extend = parsed.extend.unwrap_or_default();
    if extend.url.is_some() {
        // The URL is not repeated: it may carry credentials.
        return Err(invalid(
            path,
            "[extend] url is not supported: leakhound never fetches anything".into(),
        ));
    }
    // gitleaks' own checks, with its wording.
    if extend.path.is_some() && extend.use_default {
        return Err(invalid(
            path,
            "unable to load config due to extend.path and extend.useDefault being set".into(),
        ));
    }
    if parsed.allowlist.is_some() && !parsed.allowlists.is_empty() {
        return Err(invalid(
            path,
            "[allowlist] is deprecated, it cannot be used alongside [[allowlists]]".into(),
        ));
    }
    let mut rules: Vec<GitleaksRule> = Vec::new();
    for mut rule in parsed.rules {
        if rule.allowlist.is_some() && !rule.allowlists.is_empty() {
            return Err(invalid(path, format!("{}: [rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlist]]", rule.id)));
        }
        rule.allowlists.splice(0..0, rule.allowlist.take());
        for list in &rule.allowlists {
            check_allowlist(list)
                .map_err(|reason| invalid(path, format!("{}: {reason}", rule.id)))?;
        }
        // As in gitleaks (a map by id), a later rule with the same id replaces the earlier one.
        match rules.iter_mut().find(|earlier| earlier.id == rule.id) {
            Some(earlier) => *earlier = rule,
            None => rules.push(rule),
        }
    }
    let allowlists: Vec<GitleaksAllowlist> = parsed
        .allowlist
        .into_iter()
        .chain(parsed.allowlists)
        .collect();
    for list in &allowlists {
        check_allowlist(list)
            .map_err(|reason| invalid(path, format!("[[allowlists]]: {reason}")))?;
    }
    let merged = Merged {
        rules,
        allowlists,
        use_default: extend.use_default,
        disabled: extend.disabled_rules,
    };
    Ok((merged, extend.path))
}

/// Where `[extend] path` points: as gitleaks resolves it, relative to the working directory
/// (gitleaks is run at the repository's top); failing that, relative to the extending file.
fn resolve_extend(config: &Path, base: &str) -> PathBuf {
    let as_given = PathBuf::from(base);
    if as_given.is_absolute() || as_given.is_file() {
        return as_given;
    }
    config.parent().unwrap_or(Path::new(".")).join(base)
}

/// [`resolve_extend`] for a config inside the scanned `tree`: only a candidate that is a
/// regular file inside the tree counts, so that what exists outside changes nothing (no probing).
fn resolve_extend_in_tree(config: &Path, base: &str, tree: &Path) -> Result<PathBuf, Error> {
    let beside = config.parent().unwrap_or(Path::new(".")).join(base);
    let mut last = None;
    for candidate in [PathBuf::from(base), beside.clone()] {
        match limited::resolve_in_tree(&candidate, tree) {
            Ok(_) => return Ok(candidate),
            Err(err) => last = Some(err),
        }
    }
    let err = last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound));
    Err(super::refused_extend(config, &beside, &err))
}

/// Merges `base` (an extended config) into `merged`, as gitleaks' `extend` does: base rules not
/// `disabled` are added; a rule of `merged` with a base rule's id is merged into it, its own
/// fields winning and its lists appended.
fn merge(merged: &mut Merged, base: Merged, disabled: &[String]) {
    for mut base_rule in base.rules {
        if disabled.contains(&base_rule.id) {
            continue;
        }
        match merged.rules.iter_mut().find(|own| own.id == base_rule.id) {
            Some(slot) => {
                let own = std::mem::take(slot);
                base_rule.description = own.description.or(base_rule.description);
                base_rule.entropy = own.entropy.filter(|&e| e != 0.0).or(base_rule.entropy);
                base_rule.secret_group = own
                    .secret_group
                    .filter(|&g| g != 0)
                    .or(base_rule.secret_group);
                base_rule.regex = own.regex.or(base_rule.regex);
                base_rule.path = own.path.or(base_rule.path);
                base_rule.keywords.extend(own.keywords);
                base_rule.allowlists.extend(own.allowlists);
                *slot = base_rule;
            }
            None => merged.rules.push(base_rule),
        }
    }
    merged.allowlists.extend(base.allowlists);
    merged.use_default |= base.use_default;
    merged.disabled.extend(base.disabled);
}

/// gitleaks' checks on one allowlist table; the reason, in its words.
fn check_allowlist(list: &GitleaksAllowlist) -> Result<(), String> {
    match list
        .condition
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("") | Some("OR") | Some("||") | Some("AND") | Some("&&") => {}
        // gitleaks' wording, without the value (errors quote nothing from the file).
        Some(_) => return Err("unknown allowlist |condition| (expected 'and', 'or')".into()),
    }
    match list.regex_target.as_deref() {
        None | Some("") | Some("secret") | Some("match") | Some("line") => {}
        Some(_) => return Err("unknown allowlist |regexTarget| (expected 'match', 'line')".into()),
    }
    if list.commits.is_empty()
        && list.paths.is_empty()
        && list.regexes.is_empty()
        && list.stopwords.is_empty()
    {
        return Err(
            "must contain at least one check for: commits, paths, regexes, or stopwords".into(),
        );
    }
    Ok(())
}

/// The RE2 `pattern` rewritten for Rust and checked to compile as rules compile; else why not.
fn rust_regex(pattern: &str) -> Result<String, String> {
    let translated = re2::translate(pattern)?;
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build()
        .parse(&translated)
        // The parser's message quotes the pattern; keep only the reason.
        .map_err(|err| crate::rule::regex_error_reason(&err.to_string()))?;
    Ok(translated)
}

/// Capture groups in the (Rust) `pattern`.
fn capture_groups(pattern: &str) -> usize {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build()
        .parse(pattern)
        .map_or(0, |hir| hir.properties().explicit_captures_len())
}

/// An allowlist table in leakhound's terms, its regexes rewritten; entries leakhound cannot run
/// are left out with a warning (an allowlist entry fewer only reports more).
fn convert_allowlist(
    list: GitleaksAllowlist,
    owner: &str,
    warnings: &mut Vec<String>,
) -> AllowlistConfig {
    let mut keep = |patterns: Vec<String>, what: &str| -> Vec<String> {
        patterns
            .into_iter()
            .enumerate()
            .filter_map(|(n, pattern)| match rust_regex(&pattern) {
                Ok(translated) => Some(translated),
                Err(reason) => {
                    warnings.push(format!(
                        "{owner}: allowlist {what} #{} left out: {reason}",
                        n + 1
                    ));
                    None
                }
            })
            .collect()
    };
    AllowlistConfig {
        paths: Vec::new(),
        path_regexes: keep(list.paths, "path"),
        regexes: keep(list.regexes, "regex"),
        stopwords: list.stopwords,
        commits: list.commits,
        regex_target: list.regex_target.filter(|target| !target.is_empty()),
        condition: list.condition.map(|c| match c.as_str() {
            "&&" => "and".into(),
            "||" => "or".into(),
            _ => c,
        }),
    }
}

/// The entropy minimum in a betterleaks `filter` that drops low-entropy secrets
/// (`entropy(finding["secret"]) < 3.5`, alone or first in an `||`).
fn filter_entropy(filter: &str) -> Option<f64> {
    let first = filter.split("||").next()?.trim();
    let rest = first
        .strip_prefix("entropy(finding[\"secret\"])")?
        .trim_start();
    let number = rest.strip_prefix("<=").or_else(|| rest.strip_prefix('<'))?;
    number.trim().parse().ok()
}

fn convert(
    path: &Path,
    merged: Merged,
    warnings: &mut Vec<String>,
) -> Result<ProjectConfig, Error> {
    let mut rules = Vec::new();
    let mut extensions = Vec::new();
    let mut disable = Vec::new();
    let mut not_loaded =
        |id: &str, reason: String| warnings.push(format!("rule {id}: not loaded: {reason}"));
    let mut allowlist_warnings = Vec::new();
    for rule in merged.rules {
        if rule.id.trim().is_empty() {
            return Err(invalid(path, "rule |id| is missing or empty".into()));
        }
        if rule.regex.is_none() && rule.path.is_none() {
            // A rule that only adds allowlists to a default rule (gitleaks' documented way).
            if merged.use_default {
                extensions.push(RuleExtension {
                    targets: targets(&rule.id),
                    allowlists: rule
                        .allowlists
                        .into_iter()
                        .map(|list| convert_allowlist(list, &rule.id, &mut allowlist_warnings))
                        .collect(),
                    id: rule.id,
                });
                continue;
            }
            return Err(invalid(
                path,
                format!(
                    "{}: both |regex| and |path| are empty, this rule will have no effect",
                    rule.id
                ),
            ));
        }
        if rule.skip_report {
            not_loaded(
                &rule.id,
                "skipReport: it is reported only as part of a composite rule".into(),
            );
            continue;
        }
        let regex = match rule.regex.as_deref().map(rust_regex) {
            None => String::new(),
            Some(Ok(regex)) => regex,
            Some(Err(reason)) => {
                not_loaded(
                    &rule.id,
                    format!("regex uses a construct leakhound cannot run: {reason}"),
                );
                continue;
            }
        };
        let rule_path = match rule.path.as_deref().map(rust_regex) {
            None => None,
            Some(Ok(path)) => Some(path),
            Some(Err(reason)) => {
                not_loaded(
                    &rule.id,
                    format!("path uses a construct leakhound cannot run: {reason}"),
                );
                continue;
            }
        };
        let groups = capture_groups(&regex);
        let secret_group = match rule.secret_group.filter(|&group| group > 0) {
            Some(group) if group > groups && !regex.is_empty() => {
                return Err(invalid(
                    path,
                    format!(
                        "{}: invalid regex secret group {group}, max regex secret group {groups}",
                        rule.id
                    ),
                ));
            }
            Some(group) => Some(group),
            // gitleaks: the first capture group, or the whole match when there is none.
            None if groups == 0 => Some(0),
            None => None,
        };
        // A rule with a default rule's id replaces the leakhound rules standing in for it.
        if merged.use_default {
            disable.extend(
                leakhound_ids(&rule.id)
                    .unwrap_or_default()
                    .iter()
                    .map(|id| id.to_string()),
            );
        }
        let entropy = rule
            .entropy
            .filter(|&e| e > 0.0)
            .or_else(|| rule.filter.as_deref().and_then(filter_entropy));
        rules.push(RuleSyntax {
            name: rule.description.clone().unwrap_or_else(|| rule.id.clone()),
            severity: Severity::High,
            keywords: rule.keywords,
            regex,
            context: Vec::new(),
            shape: None,
            catch_all: false,
            entropy,
            validator: None,
            path: rule_path,
            references: Vec::new(),
            examples: Vec::new(),
            negative_examples: Vec::new(),
            allowlist: None,
            allowlists: rule
                .allowlists
                .into_iter()
                .map(|list| convert_allowlist(list, &rule.id, &mut allowlist_warnings))
                .collect(),
            multiline: false,
            secret_group,
            id: rule.id,
            lean_facts: None,
        });
    }
    let mut global = Vec::new();
    for list in merged.allowlists {
        if list.target_rules.is_empty() {
            global.push(convert_allowlist(
                list,
                "[[allowlists]]",
                &mut allowlist_warnings,
            ));
            continue;
        }
        for target in &list.target_rules {
            let converted =
                convert_allowlist(list.clone(), "[[allowlists]]", &mut allowlist_warnings);
            if let Some(rule) = rules.iter_mut().find(|rule| &rule.id == target) {
                rule.allowlists.push(converted);
            } else if merged.use_default {
                extensions.push(RuleExtension {
                    id: target.clone(),
                    targets: targets(target),
                    allowlists: vec![converted],
                });
            } else {
                return Err(invalid(
                    path,
                    format!("[[allowlists]] target rule ID '{target}' does not exist"),
                ));
            }
        }
    }
    warnings.append(&mut allowlist_warnings);
    // Ids left to disable name built-in rules: gitleaks ids are mapped, others kept for the
    // scan to check.
    for id in merged.disabled {
        match leakhound_ids(&id) {
            Some(ids) => disable.extend(ids.iter().map(|id| id.to_string())),
            None => disable.push(id),
        }
    }
    Ok(ProjectConfig {
        extend: None,
        rules,
        disable,
        allowlist: AllowlistConfig::default(),
        allowlists: global,
        builtin: merged.use_default,
        extensions,
        warnings: Vec::new(),
    })
}

/// The built-in rules a gitleaks rule id stands for: the mapped ones for a gitleaks default id,
/// else the id itself (a leakhound id).
fn targets(id: &str) -> Vec<String> {
    match leakhound_ids(id) {
        Some(ids) => ids.iter().map(|id| id.to_string()).collect(),
        None => vec![id.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert_text(text: &str) -> Result<ProjectConfig, Error> {
        parse(Path::new(".gitleaks.toml"), text).map(|(config, _)| config)
    }

    #[test]
    fn rules_and_allowlists_carry_over() {
        let config = convert_text(
            r#"
            title = "custom"
            [extend]
            useDefault = true
            disabledRules = ["generic-api-key", "aws.access-key-id"]
            [[rules]]
            id = "acme-token"
            description = "ACME token"
            regex = '''acme_([a-z0-9]{16})'''
            secretGroup = 1
            entropy = 3.0
            keywords = ["acme_"]
            tags = ["acme"]
            [[rules.allowlists]]
            condition = "AND"
            regexTarget = "line"
            regexes = ['''test''']
            paths = ['''^tests/''']
            [allowlist]
            stopwords = ["example"]
            "#,
        )
        .unwrap();
        assert!(config.builtin);
        assert_eq!(
            config.disable,
            [
                "generic.api-key",
                "generic.password",
                "generic.secret",
                "generic.token",
                "aws.access-key-id"
            ],
            "gitleaks' default ids are mapped to leakhound's, leakhound ids kept"
        );
        let rule = &config.rules[0];
        assert_eq!(
            (rule.id.as_str(), rule.name.as_str()),
            ("acme-token", "ACME token")
        );
        assert_eq!(rule.secret_group, Some(1));
        assert_eq!(rule.allowlists[0].path_regexes, ["^tests/"]);
        assert_eq!(rule.allowlists[0].condition.as_deref(), Some("AND"));
        assert_eq!(config.allowlists[0].stopwords, ["example"]);
    }

    #[test]
    fn a_regex_leakhound_cannot_run_leaves_out_that_rule_only() {
        let config = convert_text(
            "[[rules]]\nid = \"flagged\"\nregex = '''(?x) a b'''\n[[rules]]\nid = \"fine\"\nregex = '''\\Qsk_\\E[a-z]+'''\n",
        )
        .unwrap();
        assert_eq!(config.rules.len(), 1);
        assert_eq!(config.rules[0].regex, "sk_[a-z]+");
        assert_eq!(config.warnings.len(), 1);
        assert!(
            config.warnings[0].starts_with("rule flagged: not loaded: regex uses a construct leakhound cannot run: invalid or unsupported Perl syntax"),
            "{:?}",
            config.warnings
        );
    }

    #[test]
    fn configs_gitleaks_rejects_are_rejected_with_its_reason() {
        let cases = [
            ("[[rules]]\nid = \"nothing\"\nkeywords = [\"abc\"]\n", "nothing: both |regex| and |path| are empty, this rule will have no effect"),
            ("[[rules]]\nregex = 'abc'\n", "rule |id| is missing or empty"),
            ("[[rules]]\nid = \"g\"\nregex = '(a)'\nsecretGroup = 2\n", "g: invalid regex secret group 2, max regex secret group 1"),
            ("[[rules]]\nid = \"a\"\nregex = 'a'\n[[rules.allowlists]]\ndescription = \"empty\"\n", "a: must contain at least one check for: commits, paths, regexes, or stopwords"),
            ("[[rules]]\nid = \"a\"\nregex = 'a'\n[[rules.allowlists]]\ncondition = \"xor\"\nstopwords = [\"x\"]\n", "a: unknown allowlist |condition| (expected 'and', 'or')"),
            ("[allowlist]\nregexTarget = \"file\"\nstopwords = [\"x\"]\n", "unknown allowlist |regexTarget| (expected 'match', 'line')"),
            ("[allowlist]\nstopwords = [\"x\"]\n[[allowlists]]\nstopwords = [\"y\"]\n", "[allowlist] is deprecated, it cannot be used alongside [[allowlists]]"),
            ("[[rules]]\nid = \"a\"\nregex = 'a'\n[rules.allowlist]\nstopwords = [\"x\"]\n[[rules.allowlists]]\nstopwords = [\"y\"]\n", "a: [rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlist]]"),
            ("[extend]\nuseDefault = true\npath = \"base.toml\"\n", "unable to load config due to extend.path and extend.useDefault being set"),
            ("[[allowlists]]\ntargetRules = [\"nope\"]\nstopwords = [\"x\"]\n", "[[allowlists]] target rule ID 'nope' does not exist"),
            ("[extend]\nurl = \"https://example.com/x.toml\"\n", "never fetches"),
        ];
        for (text, reason) in cases {
            let err = convert_text(text).unwrap_err().to_string();
            assert!(err.contains(reason), "{text}\n{err}");
        }
    }

    #[test]
    fn a_later_rule_with_the_same_id_replaces_the_earlier_one() {
        let config = convert_text(
            "[[rules]]\nid = \"a\"\nregex = 'first'\n[[rules]]\nid = \"b\"\nregex = 'b'\n[[rules]]\nid = \"a\"\nregex = 'second'\n",
        )
        .unwrap();
        let rules: Vec<_> = config
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.regex.as_str()))
            .collect();
        assert_eq!(rules, [("a", "second"), ("b", "b")]);
    }

    #[test]
    fn a_rule_with_only_allowlists_extends_the_default_rules() {
        let config = convert_text(
            "[extend]\nuseDefault = true\n[[rules]]\nid = \"generic-api-key\"\n[[rules.allowlists]]\nstopwords = [\"dummy\"]\n",
        )
        .unwrap();
        assert!(config.rules.is_empty());
        assert_eq!(config.extensions.len(), 1);
        assert_eq!(config.extensions[0].targets.len(), 4);
        assert_eq!(config.extensions[0].allowlists[0].stopwords, ["dummy"]);
    }

    #[test]
    fn the_format_is_told_by_content() {
        let cases = [
            (
                "ci/secrets.toml",
                "title = \"t\"\n[[rules]]\nid = \"a\"\nregex = 'a'\n",
                true,
            ),
            ("x.toml", "[extend]\nuseDefault = true\n", true),
            (
                "x.toml",
                "[[rules]]\nid = \"a\"\ndescription = \"d\"\nregex = 'a'\n",
                true,
            ),
            (
                "x.toml",
                "[allowlist]\nregexTarget = \"line\"\nregexes = ['a']\n",
                true,
            ),
            ("x.toml", "disable = [\"a.b\"]\n", false),
            ("x.toml", "extend = \"base.toml\"\n", false),
            (
                ".gitleaks.toml",
                "[[rules]]\nid = \"a.b\"\nname = \"n\"\nseverity = \"high\"\nregex = 'a'\n",
                false,
            ),
            // Nothing tells: the name does.
            (".gitleaks.toml", "[allowlist]\npaths = ['a']\n", true),
            ("x.toml", "[allowlist]\npaths = ['a']\n", false),
        ];
        for (name, text, gitleaks) in cases {
            assert_eq!(
                is_gitleaks(Path::new(name), text),
                gitleaks,
                "{name}: {text}"
            );
        }
    }

    #[test]
    fn betterleaks_entropy_filters_and_skip_report() {
        let config = convert_text(
            "[[rules]]\nid = \"a\"\nregex = '(a+)'\nfilter = '''\nentropy(finding[\"secret\"]) < 3.5 || tokenRatio(finding[\"secret\"]) >= 2.5\n'''\n[[rules]]\nid = \"part\"\nregex = 'p'\nskipReport = true\n",
        )
        .unwrap();
        assert_eq!(config.rules.len(), 1);
        assert_eq!(config.rules[0].entropy, Some(3.5));
        assert!(config.warnings[0].contains("rule part: not loaded: skipReport"));
    }

    #[test]
    fn without_use_default_only_the_config_rules_run() {
        let config = convert_text("[[rules]]\nid = \"a\"\nregex = 'a'\n").unwrap();
        assert!(!config.builtin);
    }
}
