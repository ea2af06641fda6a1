//! `leakhound baseline`: writes, prunes or imports the baseline at `--output`.

use std::collections::HashSet;
use std::path::PathBuf;

use super::args::BaselineArgs;
use super::output::write_file;
use super::scan::scan_paths;
use crate::filter::baseline::Baseline;
use crate::filter::import::Imported;
use crate::finding::Finding;
use crate::store::{Selection, Store};

/// `leakhound baseline`: writes (or prunes) the baseline at `--output`.
pub(super) fn baseline(args: BaselineArgs) -> anyhow::Result<u8> {
    let output = args.output.clone();
    if let Some(store) = &args.from_datastore {
        return from_datastore(store, &output);
    }
    // The baseline is built from every current finding: no baseline filters this scan.
    let settings = args.scan_options();
    if args.history && !(args.select.include.is_empty() && args.select.exclude.is_empty()) {
        anyhow::bail!(
            "--include and --exclude select files to scan; they do not apply to --history"
        );
    }
    let result = if args.history {
        let repo = args
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        super::history::history_result(&repo, &settings)?
    } else {
        scan_paths(&args.paths, args.no_ignore, &args.select, &settings)?.1
    };
    let written = if args.prune {
        let old = Baseline::load(&output)?;
        let pruned = old.pruned(&result.findings);
        super::say(format_args!(
            "leakhound: pruned {} from {}, kept {}",
            entries(old.len().saturating_sub(pruned.len()), "stale "),
            output.display(),
            pruned.len()
        ));
        if old.is_legacy() {
            super::say(format_args!(
                "leakhound: rewrote {} in the current format (version 2), without the unsalted hashes of version 1",
                output.display()
            ));
        }
        pruned
    } else if let Some(import) = &args.import {
        let imported = Imported::load(import)?;
        let mut used = HashSet::new();
        let covered: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| imported.covering(f).map(|at| used.insert(at)).is_some())
            .collect();
        let baseline = Baseline::from_findings(covered.iter().copied());
        super::say(format_args!(
            "leakhound: {} {}: {} of its {} match a current finding; wrote {} to {} ({} current finding{} not covered, still reported)",
            imported.format().name(),
            import.display(),
            used.len(),
            entries(imported.len(), ""),
            entries(baseline.len(), ""),
            output.display(),
            result.findings.len() - covered.len(),
            if result.findings.len() - covered.len() == 1 { "" } else { "s" }
        ));
        baseline
    } else {
        let current = Baseline::from_findings(&result.findings);
        super::say(format_args!(
            "leakhound: wrote {} to {}",
            entries(current.len(), ""),
            output.display()
        ));
        current
    };
    write_file(&output, 0o644, |out| {
        out.write_all(written.to_text().as_bytes())
    })?;
    Ok(super::EXIT_CLEAN)
}

/// The statuses that settle a finding: a baseline of them keeps later scans quiet about it.
const SETTLED: [&str; 3] = ["false-positive", "accepted", "revoked"];

/// `baseline --from-datastore`: the findings the store's triage settled, as a baseline.
fn from_datastore(store: &std::path::Path, output: &std::path::Path) -> anyhow::Result<u8> {
    if !store.is_file() {
        anyhow::bail!(
            "{}: no such datastore",
            crate::report::human::escape(&store.display().to_string(), false)
        );
    }
    let store = Store::open(store)?;
    let everything = Selection {
        include_gone: true,
        ..Selection::default()
    };
    let findings = store.findings(&everything)?;
    let settled: Vec<&Finding> = findings
        .iter()
        .map(|stored| &stored.finding)
        .filter(|f| {
            f.triage
                .as_ref()
                .is_some_and(|t| SETTLED.contains(&t.status.as_str()))
        })
        .collect();
    let baseline = Baseline::from_findings(settled.iter().copied());
    super::say(format_args!(
        "leakhound: wrote {} to {} (the findings triaged false-positive, accepted or revoked; {} others left out)",
        entries(baseline.len(), ""),
        output.display(),
        findings.len() - settled.len()
    ));
    write_file(output, 0o644, |out| {
        out.write_all(baseline.to_text().as_bytes())
    })?;
    Ok(super::EXIT_CLEAN)
}

/// "1 entry", "2 stale entries".
fn entries(count: usize, adjective: &str) -> String {
    let noun = if count == 1 { "entry" } else { "entries" };
    format!("{count} {adjective}{noun}")
}
