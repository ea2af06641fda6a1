//! `.leakhound.toml`: extra rules, disabled rules and the allowlist, read into
//! [`ProjectConfig`]. Found at the project root (the git work tree's top, or the scan root),
//! or given with `--config`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rule::RuleSyntax;

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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// Extra rules, in the built-in rule format.
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
    /// Ids of rules to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// What to leave unreported.
    #[serde(default)]
    pub allowlist: AllowlistConfig,
}

/// An `[allowlist]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistConfig {
    /// Gitignore-style globs, relative to the project root (`tests/fixtures/`, `*.snap`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes matched against the secret.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Substrings of the secret (case-insensitive) that mark it as not a secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Commit ids whose findings are not reported (git sources).
    #[serde(default)]
    pub commits: Vec<String>,
}

/// A config file as loaded: its contents and where it was.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    /// The parsed config.
    pub config: ProjectConfig,
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
}

impl ProjectConfig {
    /// Parses config text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<ProjectConfig, Error> {
        toml::from_str(text).map_err(|err| Error::Parse {
            path: path.to_path_buf(),
            message: err.to_string().trim_end().replace('\n', " "),
        })
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<ProjectConfig, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ProjectConfig::parse(path, &text)
    }
}

/// Loads `explicit` if given, else `.leakhound.toml` in `project_root` if it exists, else the
/// empty config.
pub fn discover(explicit: Option<&Path>, project_root: &Path) -> Result<LoadedConfig, Error> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let candidate = project_root.join(CONFIG_FILE_NAME);
            if !candidate.is_file() {
                return Ok(LoadedConfig::default());
            }
            candidate
        }
    };
    Ok(LoadedConfig {
        config: ProjectConfig::load(&path)?,
        path: Some(path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn unknown_keys_are_errors_naming_the_file() {
        let err = ProjectConfig::parse(Path::new("x.toml"), "[allowlist]\npath = []").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("x.toml: ") && message.contains("unknown field"),
            "{message}"
        );
    }
}
