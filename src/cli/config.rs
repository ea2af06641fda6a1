//! `leakhound config check`.

use std::io::Write;

use super::args::{ConfigAction, ConfigArgs};
use crate::check::{self, CheckOptions};
use crate::source::limited::{read_bounded, MAX_CONFIG_FILE};

/// `leakhound config check`: loads the config like a scan would, compiles everything, and
/// reports problems (errors: exit 2) and slow rules (warnings).
pub(super) fn config(args: ConfigArgs) -> anyhow::Result<u8> {
    let ConfigAction::Check { config, path } = args.action;
    let root = crate::source::fs::project_root(&path);
    let loaded = match crate::config::discover(config.as_deref(), &root) {
        Ok(loaded) => loaded,
        Err(err) => return Ok(report_config_error(&err.into(), None)),
    };
    let Some(file) = loaded.path.clone() else {
        anyhow::bail!(
            "{}: no {} or {} found",
            root.display(),
            crate::config::CONFIG_FILE_NAME,
            crate::config::GITLEAKS_FILE_NAME
        );
    };
    let text = read_bounded(&file, MAX_CONFIG_FILE).unwrap_or_default();
    let crate::scan::Prepared {
        engine,
        filters,
        warnings: notes,
        unknown_disabled,
    } = match crate::scan::prepare_config(&loaded.config, &file, &root) {
        Ok(prepared) => prepared,
        Err(err) => return Ok(report_config_error(&err, Some(&text))),
    };
    let own_file = file.display().to_string();
    for note in &notes {
        super::say(format_args!("{own_file}: warning: {note}"));
    }
    // A typo in `disable` silently keeps a rule running: an error here.
    for id in &unknown_disabled {
        super::say(format_args!(
            "{own_file}: error: disable names \"{id}\", which is neither a rule nor a gitleaks default rule id"
        ));
    }
    let own_rules: Vec<_> = engine
        .rules()
        .rules()
        .iter()
        .filter(|rule| rule.file == own_file)
        .collect();
    let mut warnings = notes.len();
    for rule in &own_rules {
        let at = line_of_rule(&text, &rule.id)
            .map(|line| format!(":{line}"))
            .unwrap_or_default();
        if rule.keywords.is_empty() {
            warnings += 1;
            super::say(format_args!("{own_file}{at}: warning: rule {} has no keywords: it runs over every file and slows every scan", rule.id));
        } else if let Some(short) = rule
            .keywords
            .iter()
            .find(|k| k.len() < check::MIN_KEYWORD_LEN)
        {
            warnings += 1;
            super::say(format_args!("{own_file}{at}: warning: rule {}: keyword {short:?} is under {} bytes and takes the slow path", rule.id, check::MIN_KEYWORD_LEN));
        }
    }
    // Rules that carry examples must pass them.
    let failures: Vec<_> = check::check(&engine, CheckOptions { strict: false })
        .into_iter()
        .filter(|failure| failure.location.starts_with(&format!("{own_file}:")))
        .collect();
    for failure in &failures {
        super::say(failure);
    }
    let builtin = engine.rules().len() - own_rules.len();
    // Say what is wrong: failed examples, other failed checks (a regex without a secret group,
    // ...), unknown ids.
    let (example_failures, check_failures): (Vec<_>, Vec<_>) = failures.iter().partition(|f| {
        f.location.contains(":example#") || f.location.contains(":negative_example#")
    });
    let mut problems = Vec::new();
    if !example_failures.is_empty() {
        problems.push(format!("{} example check(s) fail", example_failures.len()));
    }
    if !check_failures.is_empty() {
        problems.push(format!("{} rule check(s) fail", check_failures.len()));
    }
    if !unknown_disabled.is_empty() {
        problems.push(format!(
            "{} unknown rule id(s) in disable",
            unknown_disabled.len()
        ));
    }
    let status = if problems.is_empty() {
        "ok".to_string()
    } else {
        problems.join(", ")
    };
    writeln!(
        std::io::stdout().lock(),
        "{}: {status} — {} rules ({builtin} built-in, {} from the config), {} disabled, {} allowlists, {warnings} warning(s)",
        super::one_line(&own_file),
        engine.rules().len(),
        own_rules.len(),
        loaded.config.disable.len(),
        filters.allowlists.len() + filters.rule_allowlists.iter().map(Vec::len).sum::<usize>(),
    )?;
    Ok(if failures.is_empty() && unknown_disabled.is_empty() {
        super::EXIT_CLEAN
    } else {
        super::EXIT_ERROR
    })
}

/// Prints a config error, with the line of the rule it names where it can be found; exit code.
fn report_config_error(err: &crate::Error, text: Option<&str>) -> u8 {
    let message = err.to_string();
    let line = text
        .zip(err.rule_id())
        .and_then(|(text, rule)| line_of_rule(text, rule));
    let shown = match (line, err.file()) {
        (Some(line), Some(file)) => match message.strip_prefix(&format!("{file}: ")) {
            Some(rest) => format!("{file}:{line}: {rest}"),
            None => message,
        },
        _ => message,
    };
    super::say(format_args!("leakhound: error: {shown}"));
    super::EXIT_ERROR
}

/// The 1-based line of `id = "<rule>"` in a config's text.
fn line_of_rule(text: &str, rule: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.starts_with("id")
                && (line.contains(&format!("\"{rule}\"")) || line.contains(&format!("'{rule}'")))
        })
        .map(|index| index + 1)
}
