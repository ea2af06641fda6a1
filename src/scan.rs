//! The one place that wires a source, the engine, the filters and a [`Sink`] for the findings
//! together. Each worker thread owns a [`Scanner`] and its own buffers, and streams what it
//! finds through a channel to the one thread that writes the sink.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use crate::config::ProjectConfig;
use crate::engine::decode::walk_decoded;
use crate::engine::shadow::{drop_shadowed_matches, Overlaps};
use crate::engine::{Engine, FileNames, Match, Scanner, Span};
use crate::filter::gitleaksignore::{self, GitleaksIgnore};
use crate::filter::inline::InlineAllows;
use crate::filter::Allowlist;
use crate::filter::Filters;
use crate::finding::{self, Finding, FingerprintCache, Redactions, Redactor};
use crate::report::Summary;
use crate::rule::{Confidence, RuleSetBuilder};
use crate::source::{Chunk, Commit, NameFilter, Provenance, SkipReason, Source, Visitor};

/// Layers of base64/hex encoding looked through by default.
pub const DEFAULT_DECODE_DEPTH: usize = 2;

/// Builds the engine (built-in rules unless the config turns them off, plus the config's rules,
/// minus disabled ones) and the allowlists of a config. `config_file` names it in errors;
/// allowlist paths are relative to `root`.
pub fn prepare(
    config: &ProjectConfig,
    config_file: &std::path::Path,
    root: &std::path::Path,
) -> crate::Result<(Engine, Filters)> {
    let prepared = prepare_config(config, config_file, root)?;
    Ok((prepared.engine, prepared.filters))
}

/// What [`prepare_config`] built, and what the user should be told about the config.
#[derive(Debug)]
pub struct Prepared {
    /// The engine over the rules.
    pub engine: Engine,
    /// The allowlists and `.gitleaksignore`.
    pub filters: Filters,
    /// Things left out or not used (a scan prints them and goes on).
    pub warnings: Vec<String>,
    /// Ids in `disable` that name no rule: a typo keeps a rule running (`config check` fails on
    /// them, a scan warns).
    pub unknown_disabled: Vec<String>,
}

/// [`prepare`], with the warnings about the config.
pub fn prepare_config(
    config: &ProjectConfig,
    config_file: &std::path::Path,
    root: &std::path::Path,
) -> crate::Result<Prepared> {
    use crate::config::gitleaks_ids::leakhound_ids;
    let mut builder = RuleSetBuilder::new();
    if config.builtin {
        builder.lazy(true).builtin();
    }
    // User rules compile now, so a bad regex is an error before the scan starts.
    builder
        .lazy(false)
        .add_rules(&config_file.display().to_string(), config.rules.clone());
    let mut warnings = config.warnings.clone();
    // `disable` takes leakhound ids and gitleaks' default ids; anything else is a typo.
    let mut unknown_disabled = Vec::new();
    for id in &config.disable {
        if builder.has_rule(id) {
            builder.disable([id.as_str()]);
        } else if let Some(ids) = leakhound_ids(id) {
            builder.disable(ids.iter().copied());
        } else {
            unknown_disabled.push(id.clone());
        }
    }
    let engine = Engine::new(builder.build()?)?;
    let invalid = |message: String| crate::config::Error::Invalid {
        path: config_file.to_path_buf(),
        message,
    };
    let allowlists = config
        .all_allowlists()
        .filter(|list| !list.is_empty())
        .map(|list| Allowlist::new(list, root, config_file))
        .collect::<Result<Vec<_>, _>>()?;
    let user_rules = config_file.display().to_string();
    let mut rule_allowlists = engine
        .rules()
        .rules()
        .iter()
        .map(|rule| {
            // The built-in rules' regexes compile when first asked; a user's own, now, so that
            // a mistake is an error before the scan starts.
            let allowlist = if rule.file == user_rules {
                Allowlist::new
            } else {
                Allowlist::deferred
            };
            rule.allowlists
                .iter()
                .map(|list| allowlist(list, root, config_file))
                .collect()
        })
        .collect::<Result<Vec<Vec<Allowlist>>, _>>()?;
    for extension in &config.extensions {
        let mut applied = false;
        for (index, rule) in engine.rules().rules().iter().enumerate() {
            if extension.targets.contains(&rule.id) {
                applied = true;
                for list in &extension.allowlists {
                    rule_allowlists[index].push(Allowlist::new(list, root, config_file)?);
                }
            }
        }
        if applied {
            continue;
        }
        if leakhound_ids(&extension.id).is_some() {
            warnings.push(format!(
                "rule {} only adds allowlists to gitleaks' default rule of that id, which no running leakhound rule stands for: they are not used",
                extension.id
            ));
        } else {
            // gitleaks' reason: the rule extends nothing and has nothing of its own.
            return Err(invalid(format!(
                "{}: both |regex| and |path| are empty, this rule will have no effect",
                extension.id
            ))
            .into());
        }
    }
    let gitleaks_ignore = match gitleaksignore::read(root) {
        Ok(Some(text)) => {
            let (ignore, mut notes) = GitleaksIgnore::parse(&text);
            warnings.append(&mut notes);
            Some(ignore)
        }
        Ok(None) => None,
        // Not read (a link out of the tree, a device, too large): said, and the scan goes on,
        // reporting what it would have allowed.
        Err(why) => {
            warnings.push(why);
            None
        }
    };
    Ok(Prepared {
        engine,
        filters: Filters {
            allowlists,
            rule_allowlists,
            baseline: None,
            gitleaks_ignore,
            decode_depth: DEFAULT_DECODE_DEPTH,
            min_confidence: Confidence::Low,
        },
        warnings,
        unknown_disabled,
    })
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Reported findings, unsorted.
    pub findings: Vec<Finding>,
    /// Findings dropped by an allowlist or inline allow (shown with `-v`).
    pub allowed: Vec<Finding>,
    /// Findings dropped because the baseline holds them.
    pub baselined: Vec<Finding>,
    /// Counts.
    pub stats: Summary,
    /// Every secret the run found (reported, allowed or baselined, in any layer), every encoded
    /// run one was decoded from, and every secret the rules find in the findings' commit
    /// metadata and paths: what [`ScanResult::redact_fields`] redacts.
    pub redactor: Redactor,
}

impl ScanResult {
    /// Redacts every string of [`ScanResult::redactor`] wherever it stands in a text field of
    /// a reported or allowed finding that comes from the scanned content: path, snippet, the
    /// commit's author, e-mail and message, and the paths of `also_at` (issue 15). Run it
    /// before reporting, unless `--show-secrets`.
    pub fn redact_fields(&mut self) {
        let redactor = &self.redactor;
        if redactor.is_empty() {
            return;
        }
        let redact = |text: &mut String| {
            if let Some(redacted) = redactor.redact(text) {
                *text = redacted;
            }
        };
        // Many findings share a commit: redact each once.
        let mut commits: HashMap<String, Arc<Commit>> = HashMap::new();
        let mut redact_commit = |commit: &mut Arc<Commit>| {
            let redacted = commits.entry(commit.id.clone()).or_insert_with(|| {
                let mut copy = Commit::clone(commit);
                for field in [&mut copy.author, &mut copy.email, &mut copy.message] {
                    redact(field);
                }
                Arc::new(copy)
            });
            *commit = Arc::clone(redacted);
        };
        for finding in self.findings.iter_mut().chain(&mut self.allowed) {
            redact(&mut finding.path);
            redact(&mut finding.rel_path);
            redact(&mut finding.snippet);
            if let Some(commit) = finding.commit.as_mut() {
                redact_commit(commit);
            }
            for place in &mut finding.also_at {
                redact(&mut place.path);
                redact_commit(&mut place.commit);
            }
        }
    }
}

/// What a scan is asked to do, in the library's terms. The command line builds it once
/// (`cli/args.rs` is the only place that knows clap), as ripgrep turns its low-level arguments
/// into high-level ones.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// A config file the user named; `None`: `.leakhound.toml` (or a gitleaks config) at the
    /// project root, if present.
    pub config: Option<std::path::PathBuf>,
    /// A baseline file whose findings are not reported.
    pub baseline: Option<std::path::PathBuf>,
    /// Layers of base64/hex/percent encoding looked through (0: none; at most 4).
    pub decode_depth: usize,
    /// Findings less sure than this are not reported.
    pub min_confidence: Confidence,
    /// Worker threads.
    pub threads: usize,
    /// Inputs larger than this many bytes are skipped (or read in windows where asked).
    pub max_file_size: u64,
    /// Secrets are written unredacted.
    pub show_secrets: bool,
    /// How the result becomes the exit code.
    pub exit: ExitPolicy,
}

/// The deepest decoding a scan does, whatever is asked: each layer multiplies the work.
pub const MAX_DECODE_DEPTH: usize = 4;

/// How a scan's result becomes the process's exit code: 0 clean, `findings_code` (default 1)
/// when a finding at or above `fail_on` is reported (lower ones are reported but do not fail
/// the gate), 2 under `strict` when an input could not be read or was over the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitPolicy {
    /// Findings below this severity do not fail (`--fail-on`); `None`: every finding does.
    pub fail_on: Option<crate::rule::Severity>,
    /// The code for failing findings (`--exit-code`).
    pub findings_code: u8,
    /// Whether anything left unread fails (`--strict`).
    pub strict: bool,
    /// Only findings a vendor said are live fail (`--fail-on-live`).
    pub only_live: bool,
}

/// Exit code: no findings.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: a usage, config or I/O error, or (strict) an input left unread.
pub const EXIT_ERROR: u8 = 2;

impl ExitPolicy {
    /// The exit code for `result`.
    pub fn code(&self, result: &ScanResult) -> u8 {
        let unread = result.stats.errors + result.stats.skipped_too_large;
        let failing = result
            .findings
            .iter()
            .filter(|f| {
                !self.only_live || f.verification.as_ref().is_some_and(|v| v.status == "live")
            })
            .any(|f| self.fail_on.is_none_or(|threshold| f.severity >= threshold));
        if self.strict && unread > 0 {
            EXIT_ERROR
        } else if failing {
            self.findings_code
        } else {
            EXIT_CLEAN
        }
    }
}

/// Messages for the user while a scan runs (warnings; skipped inputs with `-v`).
pub trait Diagnostics: Sync {
    /// An input could not be read; the scan goes on.
    fn warn(&self, path: &str, message: &str);
    /// An input was skipped on purpose.
    fn skipped(&self, path: &str, reason: SkipReason);
    /// More bytes of an input already counted by [`Diagnostics::scanned`] (a later window).
    fn scanned_more(&self, _bytes: u64) {}
    /// A chunk was scanned (for progress).
    fn scanned(&self, _bytes: u64) {}
    /// Whether skipped inputs are shown by path (then a source that learns paths late must
    /// find the paths of skipped inputs too).
    fn lists_skipped(&self) -> bool {
        false
    }
}

/// What the filters made of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Reported.
    Reported,
    /// Dropped by an allowlist or an inline allow comment (shown with `-v`).
    Allowed,
    /// Dropped because the baseline holds it.
    Baselined,
}

/// Where a scan's findings go. Workers stream into it through a channel and one thread
/// writes, so a sink needs no locks: the in-memory [`ScanResult`] is one; a datastore or a
/// streaming writer would be others.
pub trait Sink: Send {
    /// One finding, with what the filters made of it.
    fn finding(&mut self, finding: Finding, disposition: Disposition);
    /// A worker ended: its counts, and every secret and encoded run it saw (for redaction).
    fn worker_done(&mut self, stats: &Summary, secrets: Redactor);
}

impl Sink for ScanResult {
    fn finding(&mut self, finding: Finding, disposition: Disposition) {
        match disposition {
            Disposition::Reported => self.findings.push(finding),
            Disposition::Allowed => self.allowed.push(finding),
            Disposition::Baselined => self.baselined.push(finding),
        }
    }

    fn worker_done(&mut self, stats: &Summary, secrets: Redactor) {
        self.stats.add(stats);
        self.redactor.append(secrets);
    }
}

/// Diagnostics that tell nobody: for the rule-example checker, tests and library users.
pub struct Silent;

impl Diagnostics for Silent {
    fn warn(&self, _: &str, _: &str) {}
    fn skipped(&self, _: &str, _: SkipReason) {}
}

/// Scans everything `source` produces with `engine`, dropping what the filters (allowlists,
/// inline allow comments, the baseline) cover, and collects the findings in memory.
pub fn run(
    source: &dyn Source,
    engine: &Engine,
    filters: &Filters,
    threads: usize,
    diagnostics: &dyn Diagnostics,
) -> ScanResult {
    let started = Instant::now();
    let mut result = ScanResult::default();
    run_into(source, engine, filters, threads, diagnostics, &mut result);
    redact_found_in_metadata(engine, filters.decode_depth, &mut result);
    result.stats.findings = result.findings.len() as u64;
    result.stats.allowed = result.allowed.len() as u64;
    result.stats.baselined = result.baselined.len() as u64;
    result.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    result
}

/// What a worker sends to the sink's thread.
enum Event {
    /// Findings, in the order found.
    Findings(Vec<(Finding, Disposition)>),
    /// The worker ended.
    Done(Box<(Summary, Redactor)>),
}

/// Batches of findings waiting for the sink: enough that a slow sink holds back the workers
/// instead of memory growing without bound.
const SINK_QUEUE: usize = 256;
/// Findings a worker sends at once.
const BATCH: usize = 64;
/// Findings of one guessable secret a worker holds back at most, waiting for another secret
/// to derive its fingerprint beside.
const MAX_WAITING: usize = 64;

/// Scans everything `source` produces, as [`run`] does, streaming each finding into `sink`
/// from one thread as the workers find them.
pub fn run_into(
    source: &dyn Source,
    engine: &Engine,
    filters: &Filters,
    threads: usize,
    diagnostics: &dyn Diagnostics,
    sink: &mut dyn Sink,
) {
    let (sender, receiver) = crossbeam_channel::bounded::<Event>(SINK_QUEUE);
    // One cache for all workers: a guessable secret's slow key derivation runs once per
    // (rule, path, secret) in a run, however many blobs or commits hold it.
    let fingerprints = FingerprintCache::new();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for event in receiver {
                match event {
                    Event::Findings(batch) => {
                        for (finding, disposition) in batch {
                            sink.finding(finding, disposition);
                        }
                    }
                    Event::Done(done) => {
                        let (stats, secrets) = *done;
                        sink.worker_done(&stats, secrets);
                    }
                }
            }
        });
        let make_worker = || -> Box<dyn Visitor + '_> {
            Box::new(Worker {
                scanner: engine.scanner(),
                fingerprints: &fingerprints,
                decode_depth: filters.decode_depth,
                filters,
                diagnostics,
                matches: Vec::new(),
                batch: Vec::new(),
                stats: Summary::default(),
                secrets: Redactor::new(),
                unfingerprinted: Vec::new(),
                sink: sender.clone(),
            })
        };
        source.run(threads.max(1), &make_worker);
        // The workers are gone; the last sender closes the channel and the sink's thread ends.
        drop(sender);
    });
}

/// Adds to the run's redactor the secrets that the rules (under any path, through the encoded
/// layers too) find in the findings' commit metadata (author, e-mail, message) and paths: a
/// secret that stands only there is redacted there too. It is no finding: it was not committed
/// as content.
fn redact_found_in_metadata(engine: &Engine, decode_depth: usize, result: &mut ScanResult) {
    let mut texts: HashSet<&str> = HashSet::new();
    let mut commits: HashSet<&str> = HashSet::new();
    for finding in result
        .findings
        .iter()
        .chain(&result.allowed)
        .chain(&result.baselined)
    {
        texts.insert(&finding.path);
        texts.insert(&finding.rel_path);
        if let Some(commit) = finding.commit.as_deref() {
            if commits.insert(&commit.id) {
                texts.extend([&*commit.author, &*commit.email, &*commit.message]);
            }
        }
    }
    let mut scanner = engine.scanner();
    let mut found = Redactor::new();
    for text in texts {
        let bytes = text.as_bytes();
        scanner.scan_any_path(bytes, &mut |m| found.insert(&bytes[m.secret.range()]));
        walk_decoded(bytes, decode_depth, |_| true, &mut |outer, _, decoded| {
            let mut any = false;
            scanner.scan_any_path(decoded, &mut |m| {
                found.insert(&decoded[m.secret.range()]);
                any = true;
            });
            if any {
                found.insert(&bytes[outer.range()]);
            }
            true
        });
    }
    result.redactor.append(found);
}

struct Worker<'a> {
    scanner: Scanner<'a>,
    fingerprints: &'a FingerprintCache,
    /// How many encoding layers to look through (0: none).
    decode_depth: usize,
    filters: &'a Filters,
    diagnostics: &'a dyn Diagnostics,
    matches: Vec<Match>,
    /// Findings not yet sent to the sink.
    batch: Vec<(Finding, Disposition)>,
    /// This worker's counts.
    stats: Summary,
    /// Every secret and encoded run found in this worker's chunks so far.
    secrets: Redactor,
    /// Findings of one guessable secret whose fingerprint needs the slow key derivation,
    /// waiting for another secret's.
    unfingerprinted: Vec<Finding>,
    sink: crossbeam_channel::Sender<Event>,
}

impl Worker<'_> {
    /// Reports a finding for each file rule whose path regex matches the file at `provenance`
    /// (`bytes`: its content, empty for a skipped file). The whole file is the finding, so
    /// change scopes and inline allow comments do not apply; allowlists and baselines do.
    fn report_file_rules(&mut self, provenance: &Provenance, bytes: &[u8]) {
        let engine = self.scanner.engine();
        let found: Vec<Finding> = engine
            .file_rules_matching(&provenance.rel_path)
            .map(|rule| finding::for_file(engine.rules(), rule, provenance))
            .collect();
        for finding in found {
            self.file_by_filters(finding, bytes);
        }
    }

    /// Files a finding as allowed (by an allowlist), baselined or reported. Only the latter two
    /// get a fingerprint: an allowed finding never pays for the key derivation.
    fn file_by_filters(&mut self, mut found: Finding, bytes: &[u8]) {
        if found.confidence < self.filters.min_confidence {
            self.stats.below_min_confidence += 1;
            return;
        }
        if self.filters.allows(&found, bytes) {
            self.emit(found, Disposition::Allowed);
            return;
        }
        if self.fingerprints.try_fill(&mut found) {
            self.file_by_baseline(found);
            return;
        }
        // A slow key derivation waits for one of another secret, and the two run side by
        // side. The same secret found again (the next version of a file) waits with it.
        let another = (self.unfingerprinted.first())
            .is_some_and(|w| !finding::fingerprint::same_fingerprint(w, &found));
        if another {
            let mut waiting = std::mem::take(&mut self.unfingerprinted);
            self.fingerprints.fill_two(&mut waiting[0], &mut found);
            waiting.push(found);
            self.file_waiting(waiting);
        } else {
            self.unfingerprinted.push(found);
            if self.unfingerprinted.len() >= MAX_WAITING {
                let waiting = std::mem::take(&mut self.unfingerprinted);
                self.file_waiting(waiting);
            }
        }
    }

    /// Fingerprints (each from the cache, or derived alone) and files findings that waited.
    fn file_waiting(&mut self, waiting: Vec<Finding>) {
        for mut found in waiting {
            self.fingerprints.fill(&mut found);
            self.file_by_baseline(found);
        }
    }

    /// Files a fingerprinted finding as baselined or reported.
    fn file_by_baseline(&mut self, found: Finding) {
        if self
            .filters
            .baseline
            .as_ref()
            .is_some_and(|b| b.contains(&found))
        {
            self.emit(found, Disposition::Baselined);
        } else {
            self.emit(found, Disposition::Reported);
        }
    }

    /// Whether `bytes` hold a match of any rule under any path, raw or in encoded runs: a
    /// superset of what [`Visitor::chunk`] reports, since allowlists, inline allows, shadowing
    /// and change scopes only ever remove findings.
    fn may_find(&mut self, bytes: &[u8]) -> bool {
        if self.scanner.finds_any_path(bytes) {
            return true;
        }
        let mut found = false;
        let scanner = &mut self.scanner;
        walk_decoded(bytes, self.decode_depth, |_| true, &mut |_, _, text| {
            found = scanner.finds_any_path(text);
            !found
        });
        found
    }

    /// Decodes base64 and hex runs of `bytes` (up to the decode depth), scans the text they hold,
    /// and adds what it finds to `found`, located at the outermost encoded run in `chunk`. Runs
    /// that hold a secret the raw scan already found are left alone. Every secret matched in a
    /// decoded layer goes into `strings`, and every run that held one into `encoded`, for the
    /// snippets to redact.
    fn scan_decoded(
        &mut self,
        chunk: Chunk<'_>,
        raw_secrets: &[Span],
        found: &mut Vec<Finding>,
        encoded: &mut Vec<Span>,
        strings: &mut Redactor,
    ) {
        let rules = self.scanner.engine().rules();
        let path = Some(chunk.provenance.rel_path.as_str());
        let raw_secrets = Overlaps::new(raw_secrets.iter().copied());
        // (encoded run, rule) already reported: a secret in two layers of one run counts once.
        let mut reported: HashSet<(Span, usize)> = found.iter().map(|f| (f.span, f.rule)).collect();
        let (scanner, matches) = (&mut self.scanner, &mut self.matches);
        walk_decoded(
            chunk.bytes,
            self.decode_depth,
            |run| !raw_secrets.any(run),
            &mut |outer, encoding, text| {
                matches.clear();
                scanner.scan(text, path, &mut |m| matches.push(m));
                if matches.is_empty() {
                    return true;
                }
                encoded.push(outer);
                for m in matches.iter() {
                    strings.insert(&text[m.secret.range()]);
                }
                drop_shadowed_matches(rules, matches, text);
                let inner_findings = finding::from_matches(rules, text, chunk.provenance, matches);
                for mut inner in inner_findings {
                    if reported.insert((outer, inner.rule)) {
                        finding::relocate(&mut inner, chunk.bytes, outer, encoding);
                        found.push(inner);
                    }
                }
                true
            },
        );
    }
}

impl Visitor for Worker<'_> {
    fn chunk(&mut self, chunk: Chunk<'_>) {
        // A window of a large input: the input counts once, its bytes once (the overlap with
        // the next window is that window's), and file rules run on the first window only.
        let first_window = chunk.window.is_none_or(|window| window.first);
        let owned = chunk
            .window
            .map_or(chunk.bytes.len(), |window| window.owned_end);
        if first_window {
            self.stats.files += 1;
            self.diagnostics.scanned(owned as u64);
        } else {
            self.diagnostics.scanned_more(owned as u64);
        }
        self.stats.bytes += owned as u64;
        self.matches.clear();
        let matches = &mut self.matches;
        let path = Some(chunk.provenance.rel_path.as_str());
        self.scanner
            .scan(chunk.bytes, path, &mut |m| matches.push(m));
        let rules = self.scanner.engine().rules();
        // Every secret a rule matched is redacted in the snippets, shadowed ones too.
        let secret_spans: Vec<Span> = self.matches.iter().map(|m| m.secret).collect();
        drop_shadowed_matches(rules, &mut self.matches, chunk.bytes);
        let mut found_all =
            finding::from_matches(rules, chunk.bytes, chunk.provenance, &mut self.matches);
        let mut strings = Redactor::new();
        let mut encoded = Vec::new();
        if self.decode_depth > 0 {
            // A vendor finding already says what the text is; a catch-all one (a generic
            // `secret = <base64>`) yields to what the decoded text turns out to hold.
            let vendor_secrets: Vec<Span> = found_all
                .iter()
                .filter(|f| !rules.rules()[f.rule].catch_all)
                .map(|f| f.span)
                .collect();
            let raw = found_all.len();
            self.scan_decoded(
                chunk,
                &vendor_secrets,
                &mut found_all,
                &mut encoded,
                &mut strings,
            );
            let decoded = Overlaps::new(found_all[raw..].iter().map(|f| f.span));
            let mut index = 0;
            found_all.retain(|f| {
                index += 1;
                let shadowed =
                    index <= raw && rules.rules()[f.rule].catch_all && decoded.any(f.span);
                !shadowed
            });
        }
        if first_window {
            self.report_file_rules(chunk.provenance, chunk.bytes);
        }
        if found_all.is_empty() {
            return;
        }
        // Snippets are made now that every layer's secrets are known (issue 15): each redacts
        // all of them, the encoded runs, and repeats of their bytes anywhere in the chunk.
        for span in &secret_spans {
            strings.insert(&chunk.bytes[span.range()]);
        }
        for span in &encoded {
            strings.insert(&chunk.bytes[span.range()]);
        }
        let redactions = Redactions::new(chunk.bytes, &secret_spans, &encoded, &strings);
        self.secrets.append(strings);
        let inline = InlineAllows::parse(chunk.bytes);
        for mut found in found_all {
            if chunk
                .window
                .is_some_and(|window| found.span.start >= window.owned_end)
            {
                continue; // the next window holds it whole and reports it
            }
            let in_change = chunk.scope.is_none_or(|scope| {
                scope.covers(
                    found.location.line,
                    found.location.end_line,
                    found.secret.expose(),
                )
            });
            if !in_change {
                continue; // not added by this change: not its finding
            }
            found.snippet = redactions.snippet(chunk.bytes, found.span);
            let allowed_inline = inline.allows(found.location.line);
            if let Some(window) = chunk.window {
                found.location.line += window.lines_before;
                found.location.end_line += window.lines_before;
            }
            if allowed_inline {
                self.emit(found, Disposition::Allowed);
            } else {
                self.file_by_filters(found, chunk.bytes);
            }
        }
    }

    fn skipped(&mut self, provenance: &Provenance, reason: SkipReason) {
        self.diagnostics.skipped(&provenance.path, reason);
        match reason {
            SkipReason::Binary => self.stats.skipped_binary += 1,
            SkipReason::TooLarge(_) => self.stats.skipped_too_large += 1,
            SkipReason::Symlink => {
                self.stats.skipped_symlinks += 1;
                return; // not followed: not a file of this tree
            }
            SkipReason::Ignored => {
                self.stats.skipped_ignored += 1;
                return; // not part of the tree git would record
            }
        }
        // A keystore is binary: its name is all a file rule needs.
        self.report_file_rules(provenance, b"");
    }

    fn error(&mut self, path: &str, message: &str) {
        self.stats.errors += 1;
        self.diagnostics.warn(path, message);
    }

    fn prescreen(&mut self, bytes: &[u8]) -> bool {
        if self.may_find(bytes) {
            return true;
        }
        self.stats.files += 1;
        self.stats.bytes += bytes.len() as u64;
        self.diagnostics.scanned(bytes.len() as u64);
        false
    }

    fn prescreen_skipped(&mut self, reason: SkipReason) -> bool {
        // Inputs over the size limit are always named (they are few, and a warning says what
        // went unread); the rest only when skipped inputs are listed.
        if self.diagnostics.lists_skipped() || matches!(reason, SkipReason::TooLarge(_)) {
            return true;
        }
        match reason {
            SkipReason::Binary => self.stats.skipped_binary += 1,
            SkipReason::TooLarge(_) => self.stats.skipped_too_large += 1,
            SkipReason::Symlink => self.stats.skipped_symlinks += 1,
            SkipReason::Ignored => self.stats.skipped_ignored += 1,
        }
        false
    }

    fn path_checks(&mut self, provenance: &Provenance, bytes: &[u8]) {
        self.report_file_rules(provenance, bytes);
    }

    fn file_names(&self) -> Option<Box<dyn NameFilter>> {
        Some(Box::new(self.scanner.engine().file_names().clone()))
    }
}

/// The engine's file rules, as the history source asks them about names: the engine knows no
/// sources and sources know no engine, so the two meet here.
impl NameFilter for FileNames {
    fn is_empty(&self) -> bool {
        FileNames::is_empty(self)
    }
    fn by_name(&self) -> bool {
        FileNames::by_name(self)
    }
    fn may_match_name(&self, name: &[u8]) -> bool {
        FileNames::may_match_name(self, name)
    }
    fn matches_path(&self, path: &str) -> bool {
        FileNames::matches_path(self, path)
    }
}

impl Worker<'_> {
    /// Queues a finding for the sink, sending a batch when it is full.
    fn emit(&mut self, finding: Finding, disposition: Disposition) {
        self.batch.push((finding, disposition));
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    /// Sends the findings gathered so far to the sink.
    fn flush(&mut self) {
        if !self.batch.is_empty() {
            // A send fails only when the sink's thread is gone (it panicked): nothing left to
            // tell.
            let _ = self
                .sink
                .send(Event::Findings(std::mem::take(&mut self.batch)));
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let waiting = std::mem::take(&mut self.unfingerprinted);
        self.file_waiting(waiting);
        self.flush();
        let done = (
            std::mem::take(&mut self.stats),
            std::mem::take(&mut self.secrets),
        );
        let _ = self.sink.send(Event::Done(Box::new(done)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Provenance, VecSource};

    #[test]
    fn findings_are_collected_and_allowed_ones_counted() {
        let engine = Engine::for_tests(crate::engine::TOK_RULE);
        let source = VecSource {
            chunks: vec![
                (
                    Provenance::file("a.txt", "a.txt"),
                    b"x = tok_12345678\ny = tok_abcdefgh # leakhound:allow\n".to_vec(),
                ),
                (Provenance::file("b.txt", "b.txt"), b"nothing here".to_vec()),
            ],
        };
        let result = run(&source, &engine, &Filters::default(), 1, &Silent);
        assert_eq!(result.stats.files, 2);
        assert_eq!(result.stats.findings, 1);
        assert_eq!(result.stats.allowed, 1);
        assert_eq!(result.findings[0].location.line, 1);
        assert_eq!(result.findings[0].location.column, 5);
        assert_eq!(result.findings[0].snippet, "x = ****(12)");
    }

    /// Slow key derivations are paired within a worker: every finding still gets its own
    /// fingerprint, whether it waited with others of its secret (the same secret at the same
    /// path twice in a row, or more often than a worker holds back), paired with another
    /// secret's, or was left waiting at the end.
    #[test]
    fn paired_key_derivations_give_each_finding_its_own_fingerprint() {
        let engine = Engine::for_tests(crate::engine::TOK_RULE);
        let mut places = vec![
            ("f0", "tok_aaaa1111"),
            ("f0", "tok_aaaa1111"),
            ("f0", "tok_aaaa1111"),
            ("f1", "tok_bbbb2222"),
            ("f2", "tok_cccc3333"),
            ("f3", "tok_aaaa1111"),
        ];
        places.extend([("f4", "tok_eeee5555"); MAX_WAITING + 6]);
        places.push(("f5", "tok_dddd4444"));
        let chunks = (places.iter())
            .map(|&(path, secret)| {
                (
                    Provenance::file(path, path),
                    format!("x = {secret}\n").into(),
                )
            })
            .collect();
        let source = VecSource { chunks };
        for threads in [1, 2] {
            let result = run(&source, &engine, &Filters::default(), threads, &Silent);
            assert_eq!(result.findings.len(), places.len());
            for finding in &result.findings {
                let secret = finding.secret.expose();
                assert_eq!(crate::finding::fingerprint::iterations(secret), 20_000);
                let expected = crate::finding::fingerprint::fingerprint(
                    &finding.rule_id,
                    &finding.rel_path,
                    secret,
                );
                assert_eq!(finding.fingerprint, expected, "{}", finding.rel_path);
            }
        }
    }

    /// Issue 16: a sink of its own receives every finding, with its disposition, and one
    /// `worker_done` per worker, from several threads' workers.
    #[test]
    fn a_sink_receives_every_finding_and_each_workers_counts() {
        #[derive(Default)]
        struct Counting {
            seen: Vec<(String, Disposition)>,
            workers: usize,
            files: u64,
        }
        impl Sink for Counting {
            fn finding(&mut self, finding: Finding, disposition: Disposition) {
                self.seen.push((finding.rel_path, disposition));
            }
            fn worker_done(&mut self, stats: &Summary, _: Redactor) {
                self.workers += 1;
                self.files += stats.files;
            }
        }
        let engine = Engine::for_tests(crate::engine::TOK_RULE);
        let chunks = (0..300)
            .map(|n| {
                let text = if n % 3 == 0 {
                    format!("x = tok_{n:08}\ny = tok_{:08} # leakhound:allow\n", n + 1)
                } else {
                    format!("nothing in file {n}")
                };
                (
                    Provenance::file(format!("f{n}"), format!("f{n}")),
                    text.into_bytes(),
                )
            })
            .collect();
        let source = VecSource { chunks };
        let mut sink = Counting::default();
        run_into(&source, &engine, &Filters::default(), 4, &Silent, &mut sink);
        assert_eq!(sink.files, 300);
        assert_eq!(sink.workers, 4);
        let reported = sink
            .seen
            .iter()
            .filter(|(_, d)| *d == Disposition::Reported);
        let allowed = sink.seen.iter().filter(|(_, d)| *d == Disposition::Allowed);
        assert_eq!((reported.count(), allowed.count()), (100, 100));
        let mut paths: Vec<&str> = sink.seen.iter().map(|(path, _)| path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), 100);
    }

    /// Issue 14: standard input of any size is read in overlapping windows; every secret is
    /// found exactly once, at its line in the whole input, wherever the window edges fall.
    #[test]
    fn issue_14_windows_find_every_secret_once_at_its_true_line() {
        let engine = Engine::for_tests(crate::engine::TOK_RULE);
        let mut text = String::new();
        let mut expected = Vec::new();
        for line in 1..=400_usize {
            if line % 7 == 0 {
                let token = format!("tok_{:08x}", line as u64 * 2_654_435_761 % (1 << 32));
                text.push_str(&format!("k{line} = {token}\n"));
                expected.push((line, token));
            } else {
                text.push_str(&format!("line {line} has nothing\n"));
            }
        }
        // Window sizes that cut lines and tokens in every place.
        for (window, overlap) in [(64, 32), (100, 40), (257, 64), (1 << 20, 64)] {
            let source =
                crate::source::stdin::StdinSource::with_windows(text.as_bytes(), window, overlap);
            let result = run(&source, &engine, &Filters::default(), 1, &Silent);
            let mut found: Vec<(usize, String)> = result
                .findings
                .iter()
                .map(|f| {
                    let token = String::from_utf8(f.secret.expose().to_vec()).unwrap();
                    (f.location.line, token)
                })
                .collect();
            found.sort();
            assert_eq!(found, expected, "window {window}, overlap {overlap}");
            assert_eq!(result.stats.files, 1);
            assert_eq!(result.stats.bytes, text.len() as u64);
        }
    }

    #[test]
    fn exit_codes_follow_fail_on_exit_code_and_strict() {
        use crate::rule::Severity;
        let engine = Engine::for_tests(
            r#"
            [[rules]]
            id = "t.tok"
            name = "tok"
            severity = "medium"
            keywords = ["tok_"]
            regex = '\b(tok_[a-z0-9]{8})\b'
        "#,
        );
        let source = VecSource {
            chunks: vec![(
                Provenance::file("a.txt", "a.txt"),
                b"tok_12345678\n".to_vec(),
            )],
        };
        let mut result = run(&source, &engine, &Filters::default(), 1, &Silent);
        let policy = |fail_on, strict| ExitPolicy {
            fail_on,
            findings_code: 7,
            strict,
            only_live: false,
        };
        assert_eq!(policy(None, false).code(&result), 7);
        assert_eq!(policy(Some(Severity::Medium), false).code(&result), 7);
        assert_eq!(
            policy(Some(Severity::High), false).code(&result),
            EXIT_CLEAN
        );
        result.stats.skipped_too_large = 1;
        assert_eq!(
            policy(Some(Severity::High), false).code(&result),
            EXIT_CLEAN
        );
        assert_eq!(policy(None, true).code(&result), EXIT_ERROR);
        result.findings.clear();
        result.stats.skipped_too_large = 0;
        assert_eq!(policy(None, true).code(&result), EXIT_CLEAN);
    }

    #[test]
    fn the_most_specific_vendor_rule_reports_a_secret_two_rules_find() {
        let engine = Engine::for_tests(
            r#"
            [[rules]]
            id = "broad.key"
            name = "broad"
            severity = "high"
            keywords = ["sk_"]
            regex = '\b(sk_[A-Za-z0-9]{16,})\b'

            [[rules]]
            id = "narrow.key"
            name = "hex only"
            severity = "high"
            keywords = ["sk_"]
            regex = '\b(sk_[a-f0-9]{16})\b'

            [[rules]]
            id = "context.key"
            name = "named by context"
            severity = "high"
            keywords = ["acme"]
            regex = 'acme_key = (sk_[A-Za-z0-9]{16})'
        "#,
        );
        let text =
            b"a = sk_0123456789abcdef\nb = sk_Q1w9Zk3Lm8Xp2Vb7\nacme_key = sk_fedcba9876543210\n";
        let source = VecSource {
            chunks: vec![(Provenance::file("a.txt", "a.txt"), text.to_vec())],
        };
        let result = run(&source, &engine, &Filters::default(), 1, &Silent);
        let mut found: Vec<(usize, &str)> = result
            .findings
            .iter()
            .map(|f| (f.location.line, f.rule_id.as_str()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [(1, "narrow.key"), (2, "broad.key"), (3, "context.key")]
        );
    }
}
