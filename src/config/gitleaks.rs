//! Reads a gitleaks config (`.gitleaks.toml`) as-is and turns it into a [`ProjectConfig`], so a
//! team can move over without rewriting its rules and allowlists.
//!
//! Mapping: `[[rules]]` keep `id`, `regex`, `secretGroup`, `entropy`, `keywords` and `path`;
//! `description` becomes the name; every rule is severity `high` (gitleaks has no severities).
//! Rule allowlists (`[rules.allowlist]`, `[[rules.allowlists]]`) and global ones (`[allowlist]`,
//! `[[allowlists]]`, with `targetRules`) keep `regexes`, `regexTarget`, `paths` (regexes, as in
//! gitleaks), `stopwords`, `commits` and `condition`. `[extend] useDefault = true` turns on
//! leakhound's built-in rules (not gitleaks' own list), `path` layers another gitleaks config,
//! `disabledRules` disables. What cannot be carried over is an error naming the rule and why: a
//! Go-only regex construct, a rule with neither regex nor path, an extend `url`. Path-only rules
//! become file rules.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{AllowlistConfig, Error, ProjectConfig};
use crate::rule::{RuleSyntax, Severity};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksConfig {
    #[serde(default)]
    #[allow(dead_code, reason = "read so that it is accepted; not used")]
    title: Option<String>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksRule {
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
    #[allow(dead_code, reason = "read so that it is accepted; not used")]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<GitleaksAllowlist>,
    #[serde(default)]
    allowlists: Vec<GitleaksAllowlist>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksAllowlist {
    #[serde(default)]
    #[allow(dead_code, reason = "read so that it is accepted; not used")]
    description: Option<String>,
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

impl GitleaksAllowlist {
    fn into_config(self) -> AllowlistConfig {
        AllowlistConfig {
            paths: Vec::new(),
            path_regexes: self.paths,
            regexes: self.regexes,
            stopwords: self.stopwords,
            commits: self.commits,
            regex_target: self.regex_target,
            condition: self.condition,
        }
    }
}

/// Whether `path` names a gitleaks config (`.gitleaks.toml`, `gitleaks.toml`, ...).
pub fn is_gitleaks_file(path: &Path) -> bool {
    path.file_name().is_some_and(|name| {
        name.to_string_lossy()
            .to_ascii_lowercase()
            .contains("gitleaks")
    })
}

/// Reads the gitleaks config at `path` (and what it extends).
pub fn load(path: &Path) -> Result<ProjectConfig, Error> {
    load_layered(path, 0)
}

fn load_layered(path: &Path, depth: usize) -> Result<ProjectConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (config, base) = parse(path, &text)?;
    match base {
        None => Ok(config),
        Some(_) if depth >= super::MAX_EXTEND_DEPTH => Err(invalid(
            path,
            "more than 8 configs extend one another (a cycle?)".into(),
        )),
        Some(base) => {
            let base = load_layered(&base, depth + 1)?;
            // Either file's `useDefault` turns the built-in rules on.
            let builtin = config.builtin || base.builtin;
            let mut layered = config.layer(base);
            layered.builtin = builtin;
            Ok(layered)
        }
    }
}

/// One gitleaks config's text as a [`ProjectConfig`], and the path of the config it extends
/// (not read here). `path` names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<(ProjectConfig, Option<PathBuf>), Error> {
    let parsed: GitleaksConfig = toml::from_str(text).map_err(|err| Error::Parse {
        path: path.to_path_buf(),
        message: super::describe_toml_error(text, &err),
    })?;
    convert(path, parsed)
}

fn invalid(path: &Path, message: String) -> Error {
    Error::Invalid {
        path: PathBuf::from(path),
        message,
    }
}

/// The config, and the path of the config it extends.
fn convert(path: &Path, parsed: GitleaksConfig) -> Result<(ProjectConfig, Option<PathBuf>), Error> {
    let extend = parsed.extend.unwrap_or_default();
    if extend.url.is_some() {
        // The URL is not repeated: it may carry credentials.
        return Err(invalid(
            path,
            "[extend] url is not supported: leakhound never fetches anything".into(),
        ));
    }
    let mut rules = Vec::new();
    for rule in parsed.rules {
        // A path-only rule becomes a file rule: an empty regex and the path.
        let regex = match (rule.regex, &rule.path) {
            (Some(regex), _) => regex,
            (None, Some(_)) => String::new(),
            (None, None) => {
                return Err(invalid(
                    path,
                    format!("rule {}: has neither a regex nor a path", rule.id),
                ))
            }
        };
        // Go's RE2 and Rust's regex agree on almost everything; say clearly when they do not.
        if let Err(err) = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(false)
            .build()
            .parse(&regex)
        {
            let message = err
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            return Err(invalid(
                path,
                format!("rule {}: regex uses a construct leakhound cannot run (Go RE2 only?): {message}", rule.id),
            ));
        }
        let allowlists = rule
            .allowlist
            .into_iter()
            .chain(rule.allowlists)
            .map(GitleaksAllowlist::into_config)
            .collect();
        rules.push(RuleSyntax {
            name: rule.description.clone().unwrap_or_else(|| rule.id.clone()),
            id: rule.id,
            severity: Severity::High,
            keywords: rule.keywords,
            regex,
            entropy: rule.entropy,
            validator: None,
            path: rule.path,
            references: Vec::new(),
            examples: Vec::new(),
            negative_examples: Vec::new(),
            allowlist: None,
            allowlists,
            multiline: false,
            // gitleaks' 0 means "not set".
            secret_group: rule.secret_group.filter(|&group| group > 0),
        });
    }
    let mut global = Vec::new();
    for list in parsed.allowlist.into_iter().chain(parsed.allowlists) {
        if list.target_rules.is_empty() {
            global.push(list.into_config());
            continue;
        }
        for target in &list.target_rules {
            let Some(rule) = rules.iter_mut().find(|rule| &rule.id == target) else {
                return Err(invalid(
                    path,
                    format!("allowlist targetRules names {target:?}, which is not a rule of this config"),
                ));
            };
            rule.allowlists.push(list.clone().into_config());
        }
    }
    let base = extend
        .path
        .map(|base| path.parent().unwrap_or(Path::new(".")).join(base));
    Ok((
        ProjectConfig {
            extend: None,
            rules,
            disable: extend.disabled_rules,
            allowlist: AllowlistConfig::default(),
            allowlists: global,
            builtin: extend.use_default,
        },
        base,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert_text(text: &str) -> Result<ProjectConfig, Error> {
        let parsed: GitleaksConfig = toml::from_str(text).unwrap();
        convert(Path::new(".gitleaks.toml"), parsed).map(|(config, _)| config)
    }

    #[test]
    fn rules_and_allowlists_carry_over() {
        let config = convert_text(
            r#"
            title = "custom"
            [extend]
            useDefault = true
            disabledRules = ["generic-api-key"]
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
        assert_eq!(config.disable, ["generic-api-key"]);
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
    fn unsupported_constructs_are_errors_naming_the_rule() {
        let err = convert_text("[[rules]]\nid = \"go-only\"\nregex = '''\\Qliteral\\E'''\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rule go-only: regex uses a construct"),
            "{err}"
        );
        let err = convert_text("[[rules]]\nid = \"nothing\"\nkeywords = [\"abc\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rule nothing: has neither a regex nor a path"),
            "{err}"
        );
        let err = convert_text("[extend]\nurl = \"https://example.com/x.toml\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("never fetches"), "{err}");
    }

    #[test]
    fn without_use_default_only_the_config_rules_run() {
        let config = convert_text("[[rules]]\nid = \"a\"\nregex = 'a'\n").unwrap();
        assert!(!config.builtin);
    }
}
