//! `leakhound rules list|check`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::args::{ListFormat, RulesAction, RulesArgs};
use crate::check::{self, CheckOptions};
use crate::engine::Engine;
use crate::rule::{RuleSet, RuleSetBuilder};
use crate::source::limited::{read_bounded, MAX_CONFIG_FILE};

pub(super) fn run(args: RulesArgs) -> anyhow::Result<u8> {
    match args.action.unwrap_or(RulesAction::List {
        format: ListFormat::Human,
        config: None,
    }) {
        RulesAction::List { format, config } => list(format, config.as_deref()),
        RulesAction::Check { patterns, config } => check(patterns.as_deref(), config.as_deref()),
    }
}

fn add_config(builder: &mut RuleSetBuilder, config: Option<&Path>) -> anyhow::Result<()> {
    if let Some(path) = config {
        // Either format, told by content.
        let config = crate::config::discover(Some(path), Path::new("."))?.config;
        builder.add_rules(&path.display().to_string(), config.rules);
    }
    Ok(())
}

fn list(format: ListFormat, config: Option<&Path>) -> anyhow::Result<u8> {
    let mut builder = RuleSetBuilder::new();
    builder.lazy(true).builtin();
    add_config(&mut builder, config)?;
    let rules = builder.build()?;
    let mut out = std::io::stdout().lock();
    let written = match format {
        ListFormat::Json => write_json(&mut out, &rules),
        ListFormat::Human => write_table(&mut out, &rules),
        ListFormat::Markdown => out.write_all(crate::rule::docs::markdown(&rules).as_bytes()),
    };
    super::run::ignore_broken_pipe(written)?;
    Ok(super::EXIT_CLEAN)
}

fn write_json(out: &mut dyn Write, rules: &RuleSet) -> std::io::Result<()> {
    let list: Vec<serde_json::Value> = rules
        .rules()
        .iter()
        .map(|rule| {
            serde_json::json!({
                "id": rule.id,
                "name": rule.name,
                "provider": rule.provider(),
                "severity": rule.severity,
                "keywords": rule.keywords,
                "validator": rule.validator.map(|v| v.name()),
                "entropy": rule.entropy,
                // The regex the rule runs: a context rule's written out from its template.
                "regex": rule.pattern.regex().ok(),
                "references": rule.references,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list)?;
    writeln!(out)
}

fn write_table(out: &mut dyn Write, rules: &RuleSet) -> std::io::Result<()> {
    let id_width = rules
        .rules()
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    writeln!(
        out,
        "{:<id_width$}  {:<8}  {:<40}  KEYWORDS",
        "ID", "SEVERITY", "NAME"
    )?;
    for rule in rules.rules() {
        // Names and keywords come from configs too: one line each, escaped (issue 15).
        writeln!(
            out,
            "{:<id_width$}  {:<8}  {:<40}  {}",
            rule.id,
            rule.severity.as_str(),
            super::one_line(&rule.name),
            super::one_line(&rule.keywords.join(", "))
        )?;
    }
    writeln!(
        out,
        "{} rules from {} providers",
        rules.len(),
        count_providers(rules)
    )
}

fn count_providers(rules: &RuleSet) -> usize {
    let mut providers: Vec<&str> = rules.rules().iter().map(|r| r.provider()).collect();
    providers.sort_unstable();
    providers.dedup();
    providers.len()
}

fn check(patterns: Option<&Path>, config: Option<&Path>) -> anyhow::Result<u8> {
    let mut builder = RuleSetBuilder::new();
    builder.lazy(true);
    match patterns {
        None => {
            builder.builtin_with_examples();
        }
        Some(dir) => {
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .with_context(|| format!("{}: cannot list rule files", dir.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
                .collect();
            files.sort();
            for file in files {
                let text = read_bounded(&file, MAX_CONFIG_FILE)
                    .with_context(|| format!("{}: cannot read rule file", file.display()))?;
                builder.add_file(&file.display().to_string(), &text);
            }
        }
    }
    let user_rules_from = config.map(|path| path.display().to_string());
    add_config(&mut builder, config)?;
    let engine = Engine::new(builder.build()?)?;
    let mut failures = check::check(&engine, CheckOptions { strict: true });
    // Rules from a user's config only have to work; the examples bar is for built-in rules.
    if let Some(file) = user_rules_from {
        let relaxed = check::check(&engine, CheckOptions { strict: false });
        failures.retain(|f| !f.location.starts_with(&format!("{file}:")) || relaxed.contains(f));
    }
    let examples: usize = engine
        .rules()
        .rules()
        .iter()
        .map(|r| r.examples.len() + r.negative_examples.len())
        .sum();
    for failure in &failures {
        super::say(format_args!("FAIL {failure}"));
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} rules, {} providers, {} examples checked: {} failure(s)",
        engine.rules().len(),
        count_providers(engine.rules()),
        examples,
        failures.len()
    )?;
    Ok(if failures.is_empty() {
        super::EXIT_CLEAN
    } else {
        1
    })
}
