//! `.gitleaksignore` at the project root, honoured as gitleaks honours it: each line is the
//! fingerprint gitleaks printed for a finding, `commit:file:rule-id:line` (git history) or
//! `file:rule-id:line` (a directory); `#` starts a comment line. A finding at that file and
//! line, for that rule (a gitleaks default id stands for the leakhound rules that cover it, see
//! [`crate::config::gitleaks_ids`]), and in that commit when one is given, is not reported.
//! As in gitleaks, a line without a commit also covers history findings.

use std::path::Path;

use crate::config::gitleaks_ids::leakhound_ids;
use crate::finding::Finding;
use crate::source::limited;

/// The file name looked for at the project root.
pub const FILE_NAME: &str = ".gitleaksignore";

/// The text of `.gitleaksignore` at the project `root`, if there is one; an error (one line)
/// when it is there but refused: it must resolve to a regular file inside the root of at most
/// [`limited::MAX_CONFIG_FILE`] bytes (issue 15).
pub fn read(root: &Path) -> Result<Option<String>, String> {
    let tree = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let path = tree.join(FILE_NAME);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    limited::resolve_in_tree(&path, &tree)
        .and_then(|real| limited::read_bounded(&real, limited::MAX_CONFIG_FILE))
        .map(Some)
        .map_err(|err| format!("{FILE_NAME}: not read: {err}"))
}

/// The parsed entries of a `.gitleaksignore`.
#[derive(Debug, Default)]
pub struct GitleaksIgnore {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    commit: Option<String>,
    path: String,
    /// The rule ids the entry's rule stands for.
    rules: Vec<String>,
    line: usize,
}

impl GitleaksIgnore {
    /// Parses the file's text; also returns a warning for each line that is not a fingerprint
    /// (by line number: the line is not repeated).
    pub fn parse(text: &str) -> (GitleaksIgnore, Vec<String>) {
        let mut entries = Vec::new();
        let mut warnings = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // gitleaks splits on every `:` and takes three or four parts.
            let parts: Vec<&str> = line.split(':').collect();
            let (commit, rest) = match parts.len() {
                3 => (None, &parts[..]),
                4 => (Some(parts[0].to_ascii_lowercase()), &parts[1..]),
                _ => {
                    warnings.push(format!(
                        "{FILE_NAME}:{}: not a fingerprint ([commit:]file:rule-id:line); ignored",
                        index + 1
                    ));
                    continue;
                }
            };
            let Ok(number) = rest[2].parse::<usize>() else {
                warnings.push(format!(
                    "{FILE_NAME}:{}: the line number is not a number; ignored",
                    index + 1
                ));
                continue;
            };
            let path = rest[0].replace('\\', "/");
            let rule = rest[1];
            entries.push(Entry {
                commit,
                path: path.strip_prefix("./").unwrap_or(&path).to_string(),
                rules: match leakhound_ids(rule) {
                    Some(ids) => ids.iter().map(|id| id.to_string()).collect(),
                    None => vec![rule.to_string()],
                },
                line: number,
            });
        }
        (GitleaksIgnore { entries }, warnings)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether an entry covers `finding`.
    pub fn allows(&self, finding: &Finding) -> bool {
        self.entries.iter().any(|entry| {
            entry.line == finding.location.line
                && entry.path == finding.rel_path
                && entry.rules.contains(&finding.rule_id)
                && entry.commit.as_ref().is_none_or(|commit| {
                    finding
                        .commit
                        .as_ref()
                        .is_some_and(|found| found.id.eq_ignore_ascii_case(commit))
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_skips_comments_and_warns_on_the_rest() {
        let (ignore, warnings) = GitleaksIgnore::parse(
            "# accepted\n\nsrc/a.py:github-pat:3\n0123456789abcdef0123456789abcdef01234567:./b.env:custom-rule:7\nnonsense\nc.txt:x:y\n",
        );
        assert_eq!(ignore.len(), 2);
        assert_eq!(ignore.entries[0].rules, ["github.pat-classic"]);
        assert_eq!(ignore.entries[0].path, "src/a.py");
        assert_eq!(ignore.entries[1].rules, ["custom-rule"]);
        assert_eq!(ignore.entries[1].path, "b.env");
        assert_eq!(
            ignore.entries[1].commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with(".gitleaksignore:5: "),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with(".gitleaksignore:6: "),
            "{warnings:?}"
        );
    }
}
