//! `.leakhound.toml`: extra rules, disabled rules and the allowlist, read into
//! [`ProjectConfig`]. Found at the project root (the git work tree's top, or the scan root),
//! or given with `--config`.

pub mod gitleaks;
pub mod gitleaks_ids;
pub mod re2;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rule::{describe_toml_error, AllowlistConfig, RuleSyntax};
use crate::source::limited;

/// The config file name looked for at the project root.
pub const CONFIG_FILE_NAME: &str = ".leakhound.toml";

/// An unreadable or invalid config file. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{}: cannot read config: {source}", path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A baseline file could not be read.
    #[error("cannot read baseline {}: {source}", path.display())]
    ReadBaseline {
        /// The baseline file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not parse or has unknown keys.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value is invalid (a glob or regex that does not compile).
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The contents of a `.leakhound.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// A base config to layer this one on (an organisation-wide file), relative to this file.
    #[serde(default)]
    pub extend: Option<String>,
    /// Extra rules, in the built-in rule format.
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
    /// Ids of rules to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// What to leave unreported.
    #[serde(default)]
    pub allowlist: AllowlistConfig,
    /// More allowlists, each with its own `condition` and `regex_target`.
    #[serde(default)]
    pub allowlists: Vec<AllowlistConfig>,
    /// Use the built-in rules (default true; a gitleaks config without `useDefault` sets false).
    #[serde(default = "yes")]
    pub builtin: bool,
    /// Allowlists added to built-in rules (a gitleaks rule that only extends a default rule).
    #[serde(skip)]
    pub extensions: Vec<RuleExtension>,
    /// What loading left out or could not use, one line each, for the user (rules whose regex
    /// leakhound cannot run, ...).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Allowlists for built-in rules, from a config rule that names a rule it does not define.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleExtension {
    /// The id as the config wrote it (a gitleaks default id, or a leakhound id).
    pub id: String,
    /// The built-in rules it stands for (empty: a gitleaks rule leakhound has no rule for).
    pub targets: Vec<String>,
    /// The allowlists to add to each of them.
    pub allowlists: Vec<AllowlistConfig>,
}

fn yes() -> bool {
    true
}

/// A config file as loaded: its contents and where it was.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    /// The parsed config.
    pub config: ProjectConfig,
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        ProjectConfig {
            extend: None,
            rules: Vec::new(),
            disable: Vec::new(),
            allowlist: AllowlistConfig::default(),
            allowlists: Vec::new(),
            builtin: true,
            extensions: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl ProjectConfig {
    /// Every allowlist table: `[allowlist]` and `[[allowlists]]`.
    pub fn all_allowlists(&self) -> impl Iterator<Item = &AllowlistConfig> {
        std::iter::once(&self.allowlist).chain(&self.allowlists)
    }

    /// Parses config text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<ProjectConfig, Error> {
        toml::from_str(text).map_err(|err| Error::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(text, &err),
        })
    }

    /// Reads and parses the file at `path`, and the files it extends: the base comes first and
    /// this file is layered on it (see [`ProjectConfig::layer`]). `tree` is the scanned tree
    /// (canonical): a file inside it belongs to the repository, and neither it nor what it
    /// extends may be read from outside the tree (see [`read_config`]).
    pub fn load(path: &Path, tree: Option<&Path>) -> Result<ProjectConfig, Error> {
        load_layered(path, tree, &mut Vec::new())
    }

    /// Layers `self` on `base`: lists concatenate (base first), and a rule of `self` replaces a
    /// base rule with the same id.
    pub fn layer(self, base: ProjectConfig) -> ProjectConfig {
        let mut rules: Vec<RuleSyntax> = base
            .rules
            .into_iter()
            .filter(|rule| !self.rules.iter().any(|own| own.id == rule.id))
            .collect();
        rules.extend(self.rules);
        let concat = |mut a: Vec<String>, b: Vec<String>| {
            a.extend(b);
            a
        };
        let mut allowlists = base.allowlists;
        allowlists.extend(self.allowlists);
        ProjectConfig {
            extend: None,
            rules,
            disable: concat(base.disable, self.disable),
            allowlist: AllowlistConfig {
                paths: concat(base.allowlist.paths, self.allowlist.paths),
                path_regexes: concat(base.allowlist.path_regexes, self.allowlist.path_regexes),
                regexes: concat(base.allowlist.regexes, self.allowlist.regexes),
                stopwords: concat(base.allowlist.stopwords, self.allowlist.stopwords),
                commits: concat(base.allowlist.commits, self.allowlist.commits),
                regex_target: self.allowlist.regex_target.or(base.allowlist.regex_target),
                condition: self.allowlist.condition.or(base.allowlist.condition),
            },
            allowlists,
            builtin: self.builtin && base.builtin,
            extensions: concat_any(base.extensions, self.extensions),
            warnings: concat(base.warnings, self.warnings),
        }
    }
}

fn concat_any<T>(mut a: Vec<T>, b: Vec<T>) -> Vec<T> {
    a.extend(b);
    a
}

/// Most files one `extend` chain may hold.
const MAX_EXTEND_DEPTH: usize = 8;

fn load_layered(
    path: &Path,
    tree: Option<&Path>,
    chain: &mut Vec<PathBuf>,
) -> Result<ProjectConfig, Error> {
    let text = read_config(path, tree)?;
    let mut config = ProjectConfig::parse(path, &text)?;
    let Some(base) = config.extend.take() else {
        return Ok(config);
    };
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    chain.push(canonical);
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&base);
    if let Some(tree) = tree.filter(|tree| limited::in_tree(path, tree)) {
        if let Err(err) = limited::resolve_in_tree(&base_path, tree) {
            return Err(refused_extend(path, &base_path, &err));
        }
    }
    let base_canonical = std::fs::canonicalize(&base_path).unwrap_or_else(|_| base_path.clone());
    if chain.contains(&base_canonical) {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!("extend = {:?} makes a cycle", base_path.display()),
        });
    }
    if chain.len() >= MAX_EXTEND_DEPTH {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!("more than {MAX_EXTEND_DEPTH} files extend one another"),
        });
    }
    let base_config = load_layered(&base_path, tree, chain)?;
    Ok(config.layer(base_config))
}

/// The error for a config in the scanned tree that extends `base`, which does not resolve to a
/// file inside the tree (issue 15: a pull request's config must not read, or probe for, files
/// elsewhere on the machine).
fn refused_extend(config: &Path, base: &Path, err: &std::io::Error) -> Error {
    Error::Invalid {
        path: config.to_path_buf(),
        message: match err.kind() {
            std::io::ErrorKind::NotFound => format!("extends {}: no such file", base.display()),
            _ => format!(
                "extends {}: refused: a config inside the scanned tree may only extend files inside it ({err})",
                base.display()
            ),
        },
    }
}

/// Reads a config file (at most [`limited::MAX_CONFIG_FILE`] bytes, a regular file). When
/// `path` lies inside the scanned `tree` (canonical), by its name or through a symbolic link,
/// the repository controls it: it is read only if it resolves to a regular file inside the tree.
/// A config named with `--config` outside the tree is the user's and may be anywhere.
pub fn read_config(path: &Path, tree: Option<&Path>) -> Result<String, Error> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let from = match tree.filter(|tree| limited::in_tree(path, tree)) {
        Some(tree) => limited::resolve_in_tree(path, tree).map_err(read_error)?,
        None => path.to_path_buf(),
    };
    limited::read_bounded(&from, limited::MAX_CONFIG_FILE).map_err(read_error)
}

/// The gitleaks config file looked for when there is no `.leakhound.toml`.
pub const GITLEAKS_FILE_NAME: &str = ".gitleaks.toml";

/// Loads `explicit` if given; else `.leakhound.toml` in `project_root`; else `.gitleaks.toml`
/// there; else the empty config. The format is told from the content
/// ([`gitleaks::is_gitleaks`]), so a gitleaks config may have any name.
pub fn discover(explicit: Option<&Path>, project_root: &Path) -> Result<LoadedConfig, Error> {
    let tree = std::fs::canonicalize(project_root).unwrap_or_else(|_| project_root.to_path_buf());
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            // Any entry by that name, a dangling link too: whether a link's target exists
            // must not decide whether a config is used (that would probe outside the tree).
            let found = [CONFIG_FILE_NAME, GITLEAKS_FILE_NAME]
                .iter()
                .map(|name| tree.join(name))
                .find(|candidate| std::fs::symlink_metadata(candidate).is_ok());
            let Some(candidate) = found else {
                return Ok(LoadedConfig::default());
            };
            candidate
        }
    };
    let text = read_config(&path, Some(&tree))?;
    let config = if gitleaks::is_gitleaks(&path, &text) {
        gitleaks::load(&path, Some(&tree))?
    } else {
        ProjectConfig::load(&path, Some(&tree))?
    };
    Ok(LoadedConfig {
        config,
        path: Some(path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::safe_parse_message;

    #[test]
    fn parses_allowlist_rules_and_disable() {
        let config = ProjectConfig::parse(
            Path::new(".leakhound.toml"),
            r#"
            disable = ["generic.password"]
            [allowlist]
            paths = ["tests/fixtures/"]
            stopwords = ["example"]
            [[rules]]
            id = "acme.token"
            name = "ACME"
            severity = "high"
            keywords = ["acme_"]
            regex = 'acme_[a-z]{8}'
            "#,
        )
        .unwrap();
        assert_eq!(config.disable, ["generic.password"]);
        assert_eq!(config.allowlist.paths, ["tests/fixtures/"]);
        assert_eq!(config.rules[0].id, "acme.token");
    }

    #[test]
    fn extend_layers_configs_later_file_winning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.toml"),
            "disable = [\"a.one\"]\n[allowlist]\npaths = [\"vendor/\"]\n[[rules]]\nid = \"acme.token\"\nname = \"base\"\nseverity = \"low\"\nregex = 'x'\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("leakhound.toml"),
            "extend = \"base.toml\"\ndisable = [\"b.two\"]\n[allowlist]\npaths = [\"tests/\"]\n[[rules]]\nid = \"acme.token\"\nname = \"own\"\nseverity = \"high\"\nregex = 'y'\n",
        )
        .unwrap();
        let config = ProjectConfig::load(&dir.path().join("leakhound.toml"), None).unwrap();
        assert_eq!(config.disable, ["a.one", "b.two"]);
        assert_eq!(config.allowlist.paths, ["vendor/", "tests/"]);
        assert_eq!(config.rules.len(), 1);
        assert_eq!(config.rules[0].name, "own");

        std::fs::write(
            dir.path().join("base.toml"),
            "extend = \"leakhound.toml\"\n",
        )
        .unwrap();
        let err = ProjectConfig::load(&dir.path().join("leakhound.toml"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("makes a cycle"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file() {
        let err = ProjectConfig::parse(Path::new("x.toml"), "[allowlist]\npath = []").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("x.toml: ") && message.contains("unknown key"),
            "{message}"
        );
    }

    #[test]
    fn issue_15_toml_errors_hold_nothing_from_the_file() {
        // Each case hides `SECRET` where the parser's message used to quote it.
        let cases = [
            (
                "aws_SECRET_key = 1",
                "line 1, column 1: unknown key, expected one of `extend`",
            ),
            (
                "\"a`, expected `SECRET\" = 1",
                "unknown key, expected one of `extend`",
            ),
            (
                "builtin = \"x\\\"SECRET\"",
                "wrong type of value, expected a boolean",
            ),
            (
                "builtin = \"SECRET, expected a boolean or SECRET\"",
                "wrong type of value, expected a boolean",
            ),
            (
                "disable = [1234567]",
                "wrong type of value, expected a string",
            ),
            (
                "[[rules]]\nid='a'\nname='n'\nseverity='SECRET'\nregex='x'",
                "unknown value, expected one of `info`",
            ),
            (
                "[[rules]]\nname='n'\nseverity='high'\nregex='x'",
                "missing key `id`",
            ),
            ("key = SECRETAKIAABCDEFGH", "string values must be quoted"),
            ("a = \"SECRET", "invalid basic string, expected `\"`"),
            ("[allowlist]\nSECRET = 1\nSECRET = 2", "duplicate key"),
        ];
        for (text, expected) in cases {
            let message = ProjectConfig::parse(Path::new("c.toml"), text)
                .unwrap_err()
                .to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(!message.contains("SECRET"), "{text:?}: {message}");
            assert!(!message.contains("1234567"), "{text:?}: {message}");
        }
        assert_eq!(
            safe_parse_message("unexpected Event { raw: SECRET }"),
            "invalid syntax"
        );
    }
}
