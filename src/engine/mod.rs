//! The detection engine: bytes in, matches out. It never sees files, git or output.
//!
//! One keyword matcher over every rule's keywords (ASCII case-insensitive, overlapping, so no
//! keyword hides another; see [`keywords`]) finds the candidate rules of a chunk and where their
//! keywords are; each candidate's regex then runs only in a window around those hits, sized by the
//! regex's longest possible match (anchored at the hits themselves when every match of the rule
//! starts with one of its keywords), and only when the window holds the punctuation every match
//! holds and a run of bytes the rule's secret could be (`rule::secret_runs`; the regex is
//! compiled when a window first does). A match passes the rule's checks (secret group,
//! entropy, validator) before it reaches the caller. [`Engine`] is built once and shared; each thread
//! scans with its own [`Scanner`], which holds the regex caches and scratch buffers.

pub mod decode;
mod file_names;
pub mod keywords;
pub mod shadow;

pub use file_names::FileNames;

use regex_automata::meta;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};
use rustc_hash::FxHashMap;

use crate::rule::{Confidence, Rule, RuleSet};
use crate::validate::placeholder::is_documentation_value;
use crate::validate::{unix_now, Verdict};
use keywords::KeywordMatcher;

/// Lines searched before and after a keyword's line for a regex with no maximum length.
pub const UNBOUNDED_LINES: usize = 3;

/// A byte range in a chunk: 0-based, half-open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span is empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The span as a range, for slicing.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// A match of one rule that passed the rule's checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the rule in the engine's [`RuleSet`].
    pub rule: usize,
    /// The whole regex match.
    pub span: Span,
    /// The secret (the secret group) within the chunk.
    pub secret: Span,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// What the rule's validator said, when it has one: `(validator name, result)`.
    pub validation: Option<(&'static str, std::borrow::Cow<'static, str>)>,
    /// The validator found a smaller leak of the kind (an expired JWT): reported one severity
    /// below the rule's.
    pub lower_severity: bool,
    /// The vendor whose documentation publishes this very value (AWS's example key): reported
    /// at `info`, as documentation.
    pub published_example: Option<&'static str>,
    /// How sure the match is (see [`Confidence`]).
    pub confidence: Confidence,
    /// Other vendor rules that took the very same secret and yielded to this one (a prefix
    /// several vendors share), by index.
    pub candidates: Vec<usize>,
}

impl Match {
    /// The match with its spans counted from `start` (a window's first byte).
    fn relative_to(mut self, start: usize) -> Match {
        self.span = Span::new(self.span.start - start, self.span.end - start);
        self.secret = Span::new(self.secret.start - start, self.secret.end - start);
        self
    }

    /// A match counted from a window's first byte, placed in a window starting at `start`.
    fn placed_at(mut self, start: usize) -> Match {
        self.span = Span::new(self.span.start + start, self.span.end + start);
        self.secret = Span::new(self.secret.start + start, self.secret.end + start);
        self
    }
}

/// The compiled rules and their keyword automaton. Immutable and shared between threads.
///
/// ```
/// use leakhound::engine::Engine;
/// use leakhound::rule::RuleSet;
///
/// let engine = Engine::new(RuleSet::builtin().unwrap()).unwrap();
/// let mut scanner = engine.scanner();
/// let text = concat!("AWS_ACCESS_KEY_ID=AKIA", "Z7WQ3RDXK5HPNM2T").as_bytes();
/// let mut found = Vec::new();
/// scanner.scan(text, None, &mut |m| found.push(engine.rules().rules()[m.rule].id.clone()));
/// assert!(found.contains(&"aws.access-key-id".to_string()));
/// ```
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    /// The keywords of the rules without a `path` condition.
    keywords: RuleKeywords,
    /// The keywords of rules with a `path` condition (`gradle.properties` files): searched
    /// only in chunks at a path one of these rules applies to, so that such a rule's common
    /// words (`key`, `token`) cost nothing elsewhere.
    path_keywords: Option<RuleKeywords>,
    /// The rules with a `path` condition and keywords.
    path_rules: Vec<usize>,
    /// Rules without keywords: they run over every chunk.
    unkeyed_rules: Vec<usize>,
    /// File rules: they look at paths, never at content.
    file_rules: Vec<usize>,
    file_names: FileNames,
    /// The longest keyword's length: a keyword found from a block starts at most this many
    /// bytes before it.
    longest_keyword: usize,
}

/// A keyword matcher and, for each keyword (matcher id), the rules that listed it.
#[derive(Debug)]
struct RuleKeywords {
    matcher: KeywordMatcher,
    owners: Vec<Vec<usize>>,
}

impl RuleKeywords {
    fn new(table: keywords::KeywordTable) -> Result<RuleKeywords, BuildError> {
        let matcher =
            KeywordMatcher::new(&table.keywords).map_err(|err| BuildError(err.to_string()))?;
        Ok(RuleKeywords {
            matcher,
            owners: table.owners,
        })
    }

    /// Adds every keyword hit of `bytes` found from `positions` (see [`KeywordMatcher::find_in`])
    /// to `hits`, under each rule that listed the keyword.
    fn hits(&self, bytes: &[u8], positions: std::ops::Range<usize>, hits: &mut HitsByRule) {
        self.matcher
            .find_in(bytes, positions, &mut |keyword, start, end| {
                for &rule in &self.owners[keyword] {
                    hits.add(rule, start, end);
                }
            });
    }
}

/// One chunk's keyword hits, by rule: each rule's `(keyword start, keyword end)` as found, and
/// the rules that have any. Read rule by rule, so only each rule's own few hits are sorted
/// (sorting a keyword-dense chunk's hits all together took 4-7% of a scan).
#[derive(Debug)]
struct HitsByRule {
    by_rule: Vec<Vec<(usize, usize)>>,
    /// The rules with hits (the scan sorts them: matches are reported in rule order).
    rules: Vec<usize>,
}

impl HitsByRule {
    fn new(rules: usize) -> HitsByRule {
        HitsByRule {
            by_rule: vec![Vec::new(); rules],
            rules: Vec::new(),
        }
    }

    fn add(&mut self, rule: usize, start: usize, end: usize) {
        let hits = &mut self.by_rule[rule];
        if hits.is_empty() {
            self.rules.push(rule);
        }
        hits.push((start, end));
    }

    fn clear(&mut self) {
        for &rule in &self.rules {
            self.by_rule[rule].clear();
        }
        self.rules.clear();
    }

    /// Keeps, of each rule in `carried` (in the order of `rules`, with the first hit to keep),
    /// its hits from that one on, and drops every other rule's hits.
    fn carry_over(&mut self, carried: &[(usize, usize)]) {
        let mut carried = carried.iter().peekable();
        let by_rule = &mut self.by_rule;
        self.rules
            .retain(|&rule| match carried.next_if(|&&(r, _)| r == rule) {
                Some(&(_, from)) => {
                    by_rule[rule].drain(..from);
                    true
                }
                None => {
                    by_rule[rule].clear();
                    false
                }
            });
    }
}

/// The keyword automaton could not be built (far too many or too long keywords).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword automaton: {0}")]
pub struct BuildError(String);

impl Engine {
    /// Builds the keyword automaton over `rules`.
    pub fn new(rules: RuleSet) -> Result<Engine, BuildError> {
        let mut table = keywords::KeywordTable::new();
        let mut path_table = keywords::KeywordTable::new();
        let mut unkeyed_rules = Vec::new();
        let mut file_rules = Vec::new();
        let mut path_rules = Vec::new();
        for (index, rule) in rules.rules().iter().enumerate() {
            if rule.is_file_rule() {
                file_rules.push(index);
                continue;
            }
            if rule.keywords.is_empty() {
                unkeyed_rules.push(index);
                continue;
            }
            let table = if rule.path.is_some() {
                path_rules.push(index);
                &mut path_table
            } else {
                &mut table
            };
            for keyword in &rule.keywords {
                table.add(keyword.as_bytes(), index);
            }
        }
        let longest_keyword = (table.keywords.iter())
            .chain(&path_table.keywords)
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        let path_keywords = if path_table.keywords.is_empty() {
            None
        } else {
            Some(RuleKeywords::new(path_table)?)
        };
        let file_names = FileNames::new(
            file_rules
                .iter()
                .filter_map(|&rule| rules.rules()[rule].path.as_ref()),
        );
        Ok(Engine {
            file_names,
            rules,
            longest_keyword,
            keywords: RuleKeywords::new(table)?,
            path_keywords,
            path_rules,
            unkeyed_rules,
            file_rules,
        })
    }

    /// The file rules whose path regex matches `path`: a file there is a finding by itself.
    pub fn file_rules_matching<'a>(&'a self, path: &'a str) -> impl Iterator<Item = usize> + 'a {
        // Most names rule every file rule out at once, without asking (or compiling) a regex.
        let name = path.rsplit('/').next().unwrap_or(path);
        let possible =
            !self.file_names.by_name() || self.file_names.may_match_name(name.as_bytes());
        self.file_rules
            .iter()
            .copied()
            .filter(move |&rule| possible && self.rules.rules()[rule].applies_to(Some(path)))
    }

    /// A test of file names against the file rules, for sources that learn full paths late.
    pub fn file_names(&self) -> &FileNames {
        &self.file_names
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Scratch space for one thread.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            engine: self,
            regex_state: (0..self.rules.len()).map(|_| None).collect(),
            hits: HitsByRule::new(self.rules.len()),
            windows: Vec::new(),
            carried: Vec::new(),
            block_size: BLOCK_SIZE,
            chunks_since_budget_check: 0,
            cache_budget: CACHE_BUDGET,
            test_secret_runs: true,
            anchor_at_keywords: true,
            judged: Remembered::new(JUDGED_BYTES),
            windows_met: Remembered::new(WINDOWS_MET_BYTES),
            window_matches: Vec::new(),
        }
    }
}

/// One thread's scanner: regex caches (created the first time a rule runs) and reused buffers.
#[derive(Debug)]
pub struct Scanner<'e> {
    engine: &'e Engine,
    /// Boxed: a cache is a kilobyte or more, and a scanner has a slot for every rule, most of
    /// which never run.
    regex_state: Vec<Option<Box<(meta::Cache, Captures)>>>,
    /// The current chunk's keyword hits.
    hits: HitsByRule,
    /// The current rule's search windows, each with the range of its keyword hits.
    windows: Vec<(Span, std::ops::Range<usize>)>,
    /// The rules whose last windows wait for the next block's hits, with the first hit of
    /// those windows.
    carried: Vec<(usize, usize)>,
    /// Bytes of a chunk searched for keywords before their hits are looked at:
    /// [`BLOCK_SIZE`] (tests lower it).
    block_size: usize,
    /// Chunks scanned since the caches were last measured against the budget.
    chunks_since_budget_check: u32,
    /// Most bytes the regex caches may hold: [`CACHE_BUDGET`] (tests lower it).
    cache_budget: usize,
    /// Whether windows without a run the secret could be, or without the punctuation every
    /// match holds, are skipped (tests turn it off to check that it never skips a secret).
    test_secret_runs: bool,
    /// Whether a rule whose every match starts with one of its keywords is searched anchored
    /// at its hits (tests turn it off to compare with the search over whole windows).
    anchor_at_keywords: bool,
    /// The rules' checks on secrets met before, by rule and secret.
    judged: Remembered<Option<Judgement>>,
    /// What the rules' regexes found in windows met before where they matched, by rule and
    /// window ([`window_key`]), placed from the window's start.
    windows_met: Remembered<Vec<Match>>,
    /// The current window's matches: found, for `windows_met`, or recalled from it.
    window_matches: Vec<Match>,
}

/// Most bytes one scanner's regex caches may hold. Each rule's lazy DFA grows to what its
/// rule needs (up to about a MiB a direction), and text that triggers hundreds of rules (a
/// repository of rule files, a secrets test corpus) grew every thread past 200 MB. Past the
/// budget the largest caches are dropped and rebuilt when next needed; the rules that run on
/// most chunks rebuild theirs at once, so the budget keeps them and lets the rare ones go.
const CACHE_BUDGET: usize = 48 << 20;
/// Chunks between two measurements of the caches (a measurement visits every rule's slot).
const CACHE_CHECK_EVERY: u32 = 64;
/// A chunk is searched for keywords a block at a time, and each block's hits are looked at
/// (windows, run tests, regexes) while its bytes are still in the CPU's cache: a 16 MiB chunk
/// searched whole was 9% slower on sources, its hits' bytes fetched again from memory. A
/// quarter of a MiB fits the second-level cache of most CPUs with room to spare.
const BLOCK_SIZE: usize = 256 << 10;

impl<'e> Scanner<'e> {
    /// The engine this scanner belongs to.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Scans one chunk and calls `on_match` for every match that passes its rule's checks, in
    /// rule order, then position. `path` (if the chunk has one) selects the rules whose path
    /// filter applies.
    pub fn scan(&mut self, bytes: &[u8], path: Option<&str>, on_match: &mut dyn FnMut(Match)) {
        self.scan_rules(bytes, &|rule| rule.applies_to(path), false, on_match);
    }

    /// Scans one chunk as if its path matched every rule's path filter: what a chunk whose
    /// path is not known yet could hold under any path (a superset of [`Scanner::scan`]).
    pub fn scan_any_path(&mut self, bytes: &[u8], on_match: &mut dyn FnMut(Match)) {
        self.scan_rules(bytes, &|_| true, false, on_match);
    }

    /// Whether [`Scanner::scan_any_path`] would report anything in `bytes`: it stops at the
    /// first match, where a finding-dense blob holds thousands.
    pub fn finds_any_path(&mut self, bytes: &[u8]) -> bool {
        let mut found = false;
        self.scan_rules(bytes, &|_| true, true, &mut |_| found = true);
        found
    }

    /// Drops the largest regex caches when together they hold more than the budget, down to
    /// half of it.
    fn keep_caches_within_budget(&mut self) {
        self.chunks_since_budget_check += 1;
        if self.chunks_since_budget_check < CACHE_CHECK_EVERY {
            return;
        }
        self.chunks_since_budget_check = 0;
        let mut sizes: Vec<(usize, usize)> = (self.regex_state.iter().enumerate())
            .filter_map(|(rule, state)| Some((state.as_ref()?.0.memory_usage(), rule)))
            .collect();
        let mut total: usize = sizes.iter().map(|(size, _)| size).sum();
        if total <= self.cache_budget {
            return;
        }
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        for (size, rule) in sizes {
            if total <= self.cache_budget / 2 {
                break;
            }
            self.regex_state[rule] = None;
            total -= size;
        }
    }

    /// [`Scanner::scan`] with the rules `applies` selects; `first_only` stops after the first
    /// match.
    fn scan_rules(
        &mut self,
        bytes: &[u8],
        applies: &dyn Fn(&Rule) -> bool,
        first_only: bool,
        on_match: &mut dyn FnMut(Match),
    ) {
        self.keep_caches_within_budget();
        self.hits.clear();
        let block_size = self.block_size.max(1);
        if bytes.len() <= block_size {
            self.scan_block(bytes, 0..bytes.len(), applies, first_only, on_match);
            return;
        }
        // Each block's matches come in rule order, and each rule's in position order: a
        // stable sort by rule puts the chunk's in the order one block would give.
        let mut held = Vec::new();
        let mut from = 0;
        while from < bytes.len() {
            let to = from.saturating_add(block_size).min(bytes.len());
            let stopped = self.scan_block(bytes, from..to, applies, first_only, &mut |found| {
                held.push(found);
            });
            if stopped {
                break;
            }
            from = to;
        }
        held.sort_by_key(|found| found.rule);
        held.into_iter().for_each(on_match);
    }

    /// Looks at the keyword hits found from `positions` (one block of `bytes`), with the hits
    /// carried over from the block before, and returns whether `first_only` stopped it. A
    /// rule's last windows wait for the next block when its hits may still reach them.
    fn scan_block(
        &mut self,
        bytes: &[u8],
        positions: std::ops::Range<usize>,
        applies: &dyn Fn(&Rule) -> bool,
        first_only: bool,
        on_match: &mut dyn FnMut(Match),
    ) -> bool {
        let engine = self.engine;
        let last_block = positions.end == bytes.len();
        // The next block's hits start at most a keyword's length before it.
        let next_hits_from = positions.end.saturating_sub(engine.longest_keyword);
        if positions.start == 0 {
            for &rule in &engine.unkeyed_rules {
                self.hits.add(rule, 0, bytes.len());
            }
        }
        engine
            .keywords
            .hits(bytes, positions.clone(), &mut self.hits);
        if let Some(path_keywords) = &engine.path_keywords {
            let rules = engine.rules.rules();
            if engine.path_rules.iter().any(|&rule| applies(&rules[rule])) {
                path_keywords.hits(bytes, positions, &mut self.hits);
            }
        }
        // Rule order, then position: the order matches are reported in.
        self.hits.rules.sort_unstable();
        self.carried.clear();
        for next in 0..self.hits.rules.len() {
            let rule_index = self.hits.rules[next];
            let rule = &engine.rules.rules()[rule_index];
            if !applies(rule) {
                continue;
            }
            // A regex that fails to compile is reported when the rule set is built or checked;
            // here the rule simply finds nothing.
            let Ok(matcher) = rule.matcher() else {
                continue;
            };
            // A rule whose every match starts with one of its keywords is searched anchored at
            // each hit, so its lazy DFA reads only as far as a match can reach from there (and
            // grows far fewer states than a search that may start anywhere); a hit whose next
            // bytes no match can open with (`pat` in `path`) is dropped first.
            let anchored = self.anchor_at_keywords && matcher.facts.starts_at_keyword;
            if anchored {
                (self.hits.by_rule[rule_index])
                    .retain(|&(start, _)| matcher.facts.may_open_at(bytes, start));
            }
            self.hits.by_rule[rule_index].sort_unstable();
            let group = &self.hits.by_rule[rule_index];
            // Each window with the range of `group` (keyword hits) it was made from.
            self.windows.clear();
            for (index, &(start, end)) in group.iter().enumerate() {
                let window = search_window(&matcher.facts, rule, bytes, start, end, anchored);
                match self.windows.last_mut() {
                    Some((last, hits)) if window.start <= last.end => {
                        last.end = last.end.max(window.end);
                        hits.end = index + 1;
                    }
                    _ => self.windows.push((window, index..index + 1)),
                }
            }
            // A later hit's window reaches back (`reach_back`) from its keyword, and may merge
            // with the last windows: they wait, with their hits, for the next block's.
            if !last_block {
                let reach = next_hits_from.saturating_sub(reach_back(&matcher.facts, anchored));
                let done = (self.windows).partition_point(|(window, _)| window.end < reach);
                if let Some((_, hits)) = self.windows.get(done) {
                    self.carried.push((rule_index, hits.start));
                    self.windows.truncate(done);
                }
            }
            // Most keyword hits have nothing near them that the rule's secret could be: its
            // regex need not run there, nor (often) ever be compiled.
            if self.test_secret_runs {
                self.windows.retain(|(window, _)| {
                    let window = &bytes[window.range()];
                    matcher.window_has_marks(window) && matcher.secret_runs.may_hold_secret(window)
                });
            }
            if self.windows.is_empty() {
                continue;
            }
            let Ok(regex) = matcher.regex() else {
                continue;
            };
            let (cache, caps) = &mut **self.regex_state[rule_index]
                .get_or_insert_with(|| Box::new((regex.create_cache(), regex.create_captures())));
            let mut search = RuleSearch {
                regex,
                cache,
                caps,
                facts: &matcher.facts,
            };
            for (window, window_hits) in &self.windows {
                let window = *window;
                self.window_matches.clear();
                if !self.windows_met.is_empty() {
                    window_key(self.windows_met.key_for(rule_index), bytes, window);
                    if let Some(found) = self.windows_met.get() {
                        self.window_matches.clone_from(found);
                        for found in self.window_matches.drain(..) {
                            on_match(found.placed_at(window.start));
                            if first_only {
                                return true;
                            }
                        }
                        continue;
                    }
                }
                let mut regex_matched = false;
                // Where the next match may start.
                let mut resume = window.start;
                let mut hits = group[window_hits.clone()].iter().map(|hit| hit.0);
                loop {
                    let found = if anchored {
                        search.next_at_hits(bytes, &mut hits, resume, window.end)
                    } else {
                        search.next(&Input::new(bytes).span(resume..window.end))
                    };
                    let Some((whole, secret)) = found else {
                        break;
                    };
                    regex_matched = true;
                    // A match without a secret is a rule's deliberate exclusion (an
                    // alternative that consumes `nextPageToken: ...`): it keeps its text.
                    let mut rejected = false;
                    if let Some(secret) = secret {
                        match check(
                            &mut self.judged,
                            rule,
                            rule_index,
                            whole.range(),
                            secret,
                            bytes,
                        ) {
                            Some(found) if first_only => {
                                on_match(found);
                                return true;
                            }
                            Some(found) => {
                                self.window_matches
                                    .push(found.clone().relative_to(window.start));
                                on_match(found);
                            }
                            None => rejected = true,
                        }
                    }
                    // A value the checks reject gives its text back: the search resumes one
                    // byte after the match's start, so the context it held can lead to a later
                    // value (`host.acme.com/AcmeWebServices/...?key=<value>`, where the first
                    // candidate is a path word). An empty match must still move forward.
                    resume = if whole.is_empty() || rejected {
                        whole.start() + 1
                    } else {
                        whole.end()
                    };
                    if resume > window.end {
                        break;
                    }
                }
                // Only windows where the regex matched are kept: most windows of a scan
                // match nothing and are never met again.
                if regex_matched {
                    window_key(self.windows_met.key_for(rule_index), bytes, window);
                    self.windows_met
                        .insert(std::mem::take(&mut self.window_matches));
                }
            }
        }
        self.hits.carry_over(&self.carried);
        false
    }
}

/// A rule's compiled regex, with this scanner's scratch space for it.
struct RuleSearch<'s> {
    regex: &'s meta::Regex,
    cache: &'s mut meta::Cache,
    caps: &'s mut Captures,
    facts: &'s crate::rule::facts::RegexFacts,
}

impl RuleSearch<'_> {
    /// The next match in `input`: the whole match, and the secret group's span (`None` when the
    /// group took no part). A rule whose secret is its whole match needs only the match's
    /// bounds, not the capture engine run over it.
    fn next(&mut self, input: &Input<'_>) -> Option<(regex_automata::Match, Option<Span>)> {
        if self.facts.secret_is_match {
            let whole = self.regex.search_with(self.cache, input)?;
            return Some((whole, Some(Span::new(whole.start(), whole.end()))));
        }
        self.regex
            .search_captures_with(self.cache, input, self.caps);
        let whole = self.caps.get_match()?;
        let secret = self.caps.get_group(self.facts.secret_group);
        Some((
            whole,
            secret.map(|secret| Span::new(secret.start, secret.end)),
        ))
    }

    /// The first match anchored at one of `hits` (keyword starts, in order) from `resume` on,
    /// searched up to `end`; `hits` is left after the start that matched. A start that several
    /// keywords share is searched once.
    fn next_at_hits(
        &mut self,
        bytes: &[u8],
        hits: &mut impl Iterator<Item = usize>,
        resume: usize,
        end: usize,
    ) -> Option<(regex_automata::Match, Option<Span>)> {
        let mut last_tried = None;
        for start in hits {
            if start < resume || last_tried == Some(start) {
                continue;
            }
            last_tried = Some(start);
            let found = self.next(&Input::new(bytes).span(start..end).anchored(Anchored::Yes));
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// How far before a keyword hit a rule's search window starts: a regex's longest match, or
/// nothing for a search anchored at the hit (a match that starts with a keyword starts there).
fn reach_back(facts: &crate::rule::facts::RegexFacts, anchored: bool) -> usize {
    if anchored {
        0
    } else {
        facts.window
    }
}

/// The bytes a rule's regex searches around a keyword hit at `start..end`: the regex's
/// longest match each way (only forward for a search `anchored` at the hit), cut to the
/// keyword's line (and its newline) when no match can leave it, and to a few lines around it
/// for an unbounded regex.
fn search_window(
    facts: &crate::rule::facts::RegexFacts,
    rule: &Rule,
    bytes: &[u8],
    start: usize,
    end: usize,
    anchored: bool,
) -> Span {
    let mut window = Span::new(
        start.saturating_sub(reach_back(facts, anchored)),
        end.saturating_add(facts.window).min(bytes.len()),
    );
    let lines = if facts.single_line || facts.ends_at_newline {
        1
    } else if facts.unbounded && !rule.multiline {
        UNBOUNDED_LINES + 1
    } else {
        return window;
    };
    let before = &bytes[window.start..start];
    if let Some(newline) = memchr::memrchr_iter(b'\n', before).nth(lines - 1) {
        window.start += newline + 1;
    }
    let after = &bytes[end..window.end];
    if let Some(newline) = memchr::memchr_iter(b'\n', after).nth(lines - 1) {
        // A match that may end with its line's newline gets it.
        window.end = end + newline + usize::from(facts.ends_at_newline);
    }
    window
}

/// What a rule's checks say of one secret: `None` to drop it, else what its match carries.
/// It depends on the rule and the secret's bytes alone, so a scanner keeps it for secrets it
/// meets again (a finding-dense history repeats each secret in hundreds of blobs).
#[derive(Debug, Clone)]
struct Judgement {
    entropy: f64,
    validation: Option<(&'static str, std::borrow::Cow<'static, str>)>,
    lower_severity: bool,
    published_example: Option<&'static str>,
    confidence: Confidence,
}

/// Runs a rule's checks on a secret: non-empty, entropy, documentation values, validator.
fn judge(rule: &Rule, secret_bytes: &[u8]) -> Option<Judgement> {
    if secret_bytes.is_empty() {
        return None;
    }
    let entropy = f64::from(entropy::shannon_entropy(secret_bytes));
    if rule.entropy.is_some_and(|min| entropy < min) {
        return None;
    }
    let published_example = crate::validate::examples::published_example(secret_bytes);
    if published_example.is_none() && is_documentation_value(secret_bytes) {
        return None;
    }
    let (validation, lower_severity, confidence) = match rule.validator {
        None => (None, false, rule.confidence()),
        Some(validator) => match validator.check(secret_bytes, unix_now()) {
            Verdict::Reject => return None,
            Verdict::Accept(result) => (Some((validator.name(), result)), false, rule.confidence()),
            Verdict::Lower(result) => (Some((validator.name(), result)), true, rule.confidence()),
            Verdict::Unverified(result) => {
                (Some((validator.name(), result)), false, Confidence::Low)
            }
        },
    };
    Some(Judgement {
        entropy,
        validation,
        lower_severity,
        published_example,
        confidence: if published_example.is_some() {
            Confidence::Low
        } else {
            confidence
        },
    })
}

/// Values a scanner keeps for work that comes back, by byte-string keys built in place (no
/// allocation for a lookup), emptied when its keys pass a budget. A finding-dense history
/// repeats each line and each secret in dozens of blobs. The keys hold secrets: they stay in
/// memory, and `Debug` prints counts only.
struct Remembered<V> {
    known: FxHashMap<Box<[u8]>, V>,
    /// Bytes of the keys held, and the most they may hold.
    bytes: usize,
    budget: usize,
    /// The key of the current lookup.
    key: Vec<u8>,
}

/// Most key bytes a scanner keeps rule checks for (the keys are rules and secrets).
const JUDGED_BYTES: usize = 1 << 20;
/// Most key bytes a scanner keeps windows for.
const WINDOWS_MET_BYTES: usize = 4 << 20;

impl<V> Remembered<V> {
    fn new(budget: usize) -> Remembered<V> {
        Remembered {
            known: FxHashMap::default(),
            bytes: 0,
            budget,
            key: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Starts the current key with `rule`; the caller appends the rest.
    fn key_for(&mut self, rule: usize) -> &mut Vec<u8> {
        self.key.clear();
        self.key.extend_from_slice(&(rule as u32).to_le_bytes());
        &mut self.key
    }

    /// The value kept under the current key.
    fn get(&self) -> Option<&V> {
        self.known.get(&self.key[..])
    }

    /// Keeps `value` under the current key.
    fn insert(&mut self, value: V) {
        if self.bytes > self.budget {
            self.known.clear();
            self.bytes = 0;
        }
        self.bytes += self.key.len();
        self.known.insert(self.key.as_slice().into(), value);
    }
}

/// Counts only: the keys hold secrets.
impl<V> std::fmt::Debug for Remembered<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (f.debug_struct("Remembered"))
            .field("keys", &self.known.len())
            .field("bytes", &self.bytes)
            .finish()
    }
}

/// Bytes on each side of a window that a look-around assertion may read: a UTF-8 character.
const LOOK_AROUND: usize = 4;

/// Appends to `key` what a regex can see of `window` in `bytes`: the bytes before and after it
/// that look-around assertions (`\b`, `^`, `$`) read, each with its length (the start or end of
/// the chunk is not a byte), then the window.
fn window_key(key: &mut Vec<u8>, bytes: &[u8], window: Span) {
    let before = &bytes[window.start.saturating_sub(LOOK_AROUND)..window.start];
    let after = &bytes[window.end..(window.end + LOOK_AROUND).min(bytes.len())];
    key.push(before.len() as u8);
    key.extend_from_slice(before);
    key.push(after.len() as u8);
    key.extend_from_slice(after);
    key.extend_from_slice(&bytes[window.range()]);
}

/// The rule's checks on a regex match, judged once per distinct secret (`judged`).
fn check(
    judged: &mut Remembered<Option<Judgement>>,
    rule: &Rule,
    rule_index: usize,
    whole: std::ops::Range<usize>,
    secret: Span,
    bytes: &[u8],
) -> Option<Match> {
    let secret_bytes = &bytes[secret.range()];
    judged.key_for(rule_index).extend_from_slice(secret_bytes);
    let judgement = match judged.get() {
        Some(known) => known.clone(),
        None => {
            let judgement = judge(rule, secret_bytes);
            judged.insert(judgement.clone());
            judgement
        }
    }?;
    Some(Match {
        rule: rule_index,
        span: Span::new(whole.start, whole.end),
        secret,
        entropy: judgement.entropy,
        validation: judgement.validation,
        lower_severity: judgement.lower_severity,
        confidence: judgement.confidence,
        published_example: judgement.published_example,
        candidates: Vec::new(),
    })
}

/// The rule most unit tests scan with: `t.tok`, `tok_` and 8 lowercase letters or digits.
#[cfg(test)]
pub(crate) const TOK_RULE: &str = r#"
    [[rules]]
    id = "t.tok"
    name = "tok"
    severity = "high"
    keywords = ["tok_"]
    regex = '\b(tok_[a-z0-9]{8})\b'
"#;

#[cfg(test)]
impl Engine {
    /// An engine over the rules of one rule file's text, for unit tests across the crate.
    pub(crate) fn for_tests(rules: &str) -> Engine {
        let mut builder = crate::rule::RuleSetBuilder::new();
        builder.add_file("t.toml", rules);
        Engine::new(builder.build().expect("test rules compile"))
            .expect("test rules build an engine")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(rules: &str) -> Engine {
        Engine::for_tests(rules)
    }

    /// The run and mark tests only skip windows the regex reports nothing in: with them off,
    /// every secret every built-in rule finds in its own examples is a run the run test
    /// accepts, and every match holds the rule's marks.
    #[test]
    fn secret_runs_never_rule_out_a_secret_the_regex_reports() {
        let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
        let mut scanner = engine.scanner();
        scanner.test_secret_runs = false;
        let mut checked = 0;
        for rule in engine.rules().rules() {
            for example in &rule.examples {
                scanner.scan(example.as_bytes(), None, &mut |m| {
                    let matcher = engine.rules().rules()[m.rule].matcher().unwrap();
                    let secret = &example.as_bytes()[m.secret.range()];
                    assert!(
                        matcher.secret_runs.may_hold_secret(secret),
                        "{}: {:?} ({:?})",
                        engine.rules().rules()[m.rule].id,
                        String::from_utf8_lossy(secret),
                        matcher.secret_runs,
                    );
                    let whole = &example.as_bytes()[m.span.range()];
                    assert!(
                        matcher.window_has_marks(whole),
                        "{}: {:?} lacks one of {:?}",
                        engine.rules().rules()[m.rule].id,
                        String::from_utf8_lossy(whole),
                        matcher.facts.marks,
                    );
                    checked += 1;
                });
            }
        }
        assert!(checked > 7000, "{checked} secrets");
    }

    /// A rule said to have its secret as its whole match does: on every example of every such
    /// built-in rule, the capture engine puts the secret group exactly on the match.
    #[test]
    fn secrets_said_to_be_whole_matches_are() {
        let rules = RuleSet::builtin_with_examples().unwrap();
        let mut checked = 0;
        for rule in rules.rules() {
            let Ok(matcher) = rule.matcher() else {
                continue;
            };
            if !matcher.facts.secret_is_match {
                continue;
            }
            let regex = matcher.regex().unwrap();
            for example in &rule.examples {
                for found in regex.captures_iter(example.as_bytes()) {
                    let group = found.get_group(matcher.facts.secret_group);
                    assert_eq!(group, found.get_match().map(|m| m.span()), "{}", rule.id);
                    checked += 1;
                }
            }
        }
        assert!(checked > 300, "{checked} matches");
    }

    /// The prescreen's early stop agrees with a full scan: on every built-in rule's examples
    /// (which all match) and negative examples (some match other rules), a text holds a match
    /// for the one exactly when it holds one for the other.
    #[test]
    fn stopping_at_the_first_match_agrees_with_the_full_scan() {
        let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
        let mut scanner = engine.scanner();
        let (mut with, mut without) = (0, 0);
        for rule in engine.rules().rules() {
            for text in rule.examples.iter().chain(&rule.negative_examples) {
                let mut any = false;
                scanner.scan_any_path(text.as_bytes(), &mut |_| any = true);
                assert_eq!(scanner.finds_any_path(text.as_bytes()), any, "{}", rule.id);
                if any {
                    with += 1;
                } else {
                    without += 1;
                }
            }
        }
        assert!(
            with > 3000 && without > 1000,
            "{with} with a match, {without} without"
        );
    }

    /// A chunk scanned a block at a time gives what it gives scanned whole, in the same order:
    /// every built-in rule's examples and negative examples, run together on long lines and
    /// short ones, so that windows and matches straddle blocks of every size tried.
    #[test]
    fn a_chunk_scanned_in_blocks_gives_what_it_gives_whole() {
        let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
        let mut next = crate::test_rng(0x5EED_B10C);
        let mut text = Vec::new();
        // A fifth of the rules keeps the test quick unoptimized.
        for rule in engine.rules().rules().iter().step_by(5) {
            for example in rule.examples.iter().chain(&rule.negative_examples) {
                text.extend_from_slice(example.as_bytes());
                let joiners: [&[u8]; 4] = [b"\n", b" ", b"", b"\n\n  x = 1 # filler\n"];
                text.extend_from_slice(joiners[(next() % 4) as usize]);
            }
        }
        let matches_of = |block_size: usize, first_only: bool| {
            let mut scanner = engine.scanner();
            scanner.block_size = block_size;
            let mut found = Vec::new();
            scanner.scan_rules(&text, &|_| true, first_only, &mut |m| found.push(m));
            found
        };
        let whole = matches_of(usize::MAX, false);
        assert!(whole.len() > 1500, "{} matches", whole.len());
        for block_size in [61, 4096] {
            let blocks = matches_of(block_size, false);
            assert!(blocks == whole, "blocks of {block_size} bytes");
            assert_eq!(matches_of(block_size, true).len(), 1);
        }
    }

    /// The same on random text dense in hits and overlapping windows, with blocks down to one
    /// byte: a rule whose matches end at its keyword (its windows reach back from the hits),
    /// one anchored at its keyword, and one whose matches run over lines.
    #[test]
    fn windows_that_straddle_blocks_are_searched_as_one() {
        let engine = engine(
            r#"
            [[rules]]
            id = "t.before"
            name = "value before its keyword"
            severity = "high"
            keywords = ["tok"]
            regex = '([a-d]{2,9})tok[a-d]{0,4}'
            [[rules]]
            id = "t.after"
            name = "value after its keyword"
            severity = "high"
            keywords = ["tok", "key", "keytok", "tokkey"]
            regex = '(?:tok|key)=([a-dx]{2,9})'
            [[rules]]
            id = "t.lines"
            name = "value lines after its keyword"
            severity = "high"
            keywords = ["key"]
            regex = '(?s)key.*?:([a-d]{3,})'
        "#,
        );
        let mut next = crate::test_rng(0xB10C_5EED);
        let pieces = ["tok", "key", "=", ":", "a", "b", "cd", "x", "\n", " "];
        let mut rules_matched = std::collections::HashSet::new();
        for _ in 0..30 {
            let text: Vec<u8> = (0..(next() % 600))
                .flat_map(|_| pieces[(next() % pieces.len() as u64) as usize].bytes())
                .collect();
            let matches_of = |block_size: usize| {
                let mut scanner = engine.scanner();
                scanner.block_size = block_size;
                scanner.test_secret_runs = false;
                let mut found = Vec::new();
                scanner.scan(&text, None, &mut |m| found.push((m.rule, m.span, m.secret)));
                found
            };
            let whole = matches_of(usize::MAX);
            rules_matched.extend(whole.iter().map(|m| m.0));
            for block_size in 1..40 {
                assert_eq!(matches_of(block_size), whole, "blocks of {block_size}");
            }
        }
        assert_eq!(rules_matched.len(), 3);
    }

    /// Judgements kept for secrets met before change nothing: a text scanned twice by one
    /// scanner (the second time from its memory) gives what a fresh scanner gives, rejected
    /// values included (a bad checksum, a placeholder).
    #[test]
    fn a_secret_met_again_is_judged_as_the_first_time() {
        let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
        let matches_of = |scanner: &mut Scanner, text: &[u8]| {
            let mut found = Vec::new();
            scanner.scan(text, None, &mut |m| {
                found.push((
                    m.rule,
                    m.secret,
                    m.validation,
                    m.confidence,
                    m.lower_severity,
                ))
            });
            found
        };
        let mut seasoned = engine.scanner();
        let mut compared = 0;
        for rule in engine.rules().rules() {
            for text in rule.examples.iter().chain(&rule.negative_examples) {
                let first = matches_of(&mut seasoned, text.as_bytes());
                let again = matches_of(&mut seasoned, text.as_bytes());
                let fresh = matches_of(&mut engine.scanner(), text.as_bytes());
                assert_eq!(again, fresh, "{}", rule.id);
                assert_eq!(first, fresh, "{}", rule.id);
                compared += fresh.len();
            }
        }
        assert!(compared > 7000, "{compared} matches");
    }

    /// The search anchored at keyword hits finds what the search over whole windows finds, on
    /// every built-in example and negative example, alone and run together with the example
    /// of the next rule (a match may then start in one and end in the other), and twice over
    /// in flipped case (the keyword matcher ignores case; many regexes do not).
    #[test]
    fn the_search_anchored_at_hits_finds_what_the_window_search_finds() {
        let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
        let matches_of = |scanner: &mut Scanner, text: &[u8]| {
            let mut found = Vec::new();
            scanner.scan(text, None, &mut |m| found.push((m.rule, m.span, m.secret)));
            found
        };
        let mut anchored = engine.scanner();
        let mut windowed = engine.scanner();
        windowed.anchor_at_keywords = false;
        let texts: Vec<&String> = (engine.rules().rules().iter())
            .flat_map(|rule| rule.examples.iter().chain(&rule.negative_examples))
            .collect();
        let mut compared = 0;
        for (index, text) in texts.iter().enumerate() {
            let next = texts[(index + 1) % texts.len()];
            let flipped: String = text
                .chars()
                .map(|c| match c {
                    'a'..='z' => c.to_ascii_uppercase(),
                    'A'..='Z' => c.to_ascii_lowercase(),
                    _ => c,
                })
                .collect();
            for text in [
                text.to_string(),
                format!("{text}{next}"),
                format!("{text} {flipped}\n{text}"),
            ] {
                let expected = matches_of(&mut windowed, text.as_bytes());
                assert_eq!(
                    matches_of(&mut anchored, text.as_bytes()),
                    expected,
                    "{text:?}"
                );
                compared += expected.len();
            }
        }
        assert!(compared > 15_000, "{compared} matches");
    }

    /// The facts the anchored search rests on, checked against the window search: every match
    /// of a rule marked `starts_at_keyword` starts with one of its keywords (in any case), and
    /// its first bytes are in the rule's opening.
    #[test]
    fn rules_that_start_at_a_keyword_match_only_there() {
        let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
        let mut windowed = engine.scanner();
        windowed.anchor_at_keywords = false;
        let (mut marked, mut checked) = (0, 0);
        for rule in engine.rules().rules() {
            let Ok(matcher) = rule.matcher() else {
                continue;
            };
            if !matcher.facts.starts_at_keyword {
                continue;
            }
            marked += 1;
            for text in rule.examples.iter().chain(&rule.negative_examples) {
                windowed.scan(text.as_bytes(), None, &mut |m| {
                    let rule = &engine.rules().rules()[m.rule];
                    if !rule.matcher().unwrap().facts.starts_at_keyword {
                        return;
                    }
                    let from = &text.as_bytes()[m.span.start..];
                    assert!(
                        (rule.keywords.iter()).any(|k| from.len() >= k.len()
                            && from[..k.len()].eq_ignore_ascii_case(k.as_bytes())),
                        "{}: a match in {text:?} starts with no keyword",
                        rule.id
                    );
                    let facts = &rule.matcher().unwrap().facts;
                    assert!(
                        facts.may_open_at(text.as_bytes(), m.span.start),
                        "{}: the opening rules out a match in {text:?}",
                        rule.id
                    );
                    checked += 1;
                });
            }
        }
        assert!(
            marked > 600 && checked > 2000,
            "{marked} rules, {checked} matches"
        );
    }

    /// A window met again is answered from memory only when what the regex can see is the
    /// same: the same line after the chunk's start and after a newline differs for `^`.
    #[test]
    fn a_window_met_again_is_recalled_only_with_the_same_surroundings() {
        let engine = engine(
            r#"
            [[rules]]
            id = "t.start"
            name = "token at the very start"
            severity = "high"
            keywords = ["tok_"]
            regex = '^(tok_[a-z0-9]{8})'
        "#,
        );
        let count = |scanner: &mut Scanner, text: &[u8]| {
            let mut found = 0;
            scanner.scan(text, None, &mut |_| found += 1);
            found
        };
        let (at_start, after_newline) = (&b"tok_abcd1234\n"[..], &b"x\ntok_abcd1234\n"[..]);
        let mut scanner = engine.scanner();
        assert_eq!(count(&mut scanner, at_start), 1);
        assert_eq!(count(&mut scanner, at_start), 1);
        assert!(!scanner.windows_met.is_empty(), "the window was kept");
        assert_eq!(count(&mut scanner, after_newline), 0);
        let mut scanner = engine.scanner();
        assert_eq!(count(&mut scanner, after_newline), 0);
        assert_eq!(count(&mut scanner, at_start), 1);
        assert_eq!(count(&mut scanner, after_newline), 0);
    }

    /// A rule whose keyword is near nothing its secret could be is never compiled.
    #[test]
    fn a_keyword_with_no_possible_secret_near_it_compiles_nothing() {
        // Lazy, as the built-in rules are: a user's rules are compiled as they are loaded.
        let mut builder = crate::rule::RuleSetBuilder::new();
        builder.lazy(true).add_file("t.toml", TOK_RULE);
        let engine = Engine::new(builder.build().unwrap()).unwrap();
        let mut scanner = engine.scanner();
        let mut found = 0;
        scanner.scan(b"fn tok_() { tok_ + tok_ }", None, &mut |_| found += 1);
        let matcher = engine.rules().rules()[0].matcher().unwrap();
        assert_eq!(found, 0);
        assert!(!matcher.is_compiled());
        scanner.scan(b"x = tok_a1b2c3d4", None, &mut |_| found += 1);
        assert_eq!(found, 1);
        assert!(matcher.is_compiled());
    }

    /// Text that triggers every built-in rule (their own examples) keeps one scanner's regex
    /// caches within the budget, and dropping caches never changes what is found.
    #[test]
    fn regex_caches_stay_within_the_budget_and_find_the_same() {
        const SMALL_BUDGET: usize = 1 << 20;
        let engine = Engine::new(RuleSet::builtin_with_examples().unwrap()).unwrap();
        let chunks: Vec<&str> = (engine.rules().rules().iter())
            .flat_map(|rule| rule.examples.iter().map(String::as_str))
            .collect();
        let found = |scanner: &mut Scanner<'_>, chunk: &str| {
            let mut found = Vec::new();
            scanner.scan(chunk.as_bytes(), None, &mut |m| {
                found.push((m.rule, m.secret))
            });
            found
        };
        let cache_bytes = |scanner: &Scanner<'_>| -> usize {
            (scanner.regex_state.iter().flatten())
                .map(|state| state.0.memory_usage())
                .sum()
        };
        let mut unbounded = engine.scanner();
        unbounded.cache_budget = usize::MAX;
        let expected: Vec<_> = chunks
            .iter()
            .map(|chunk| found(&mut unbounded, chunk))
            .collect();
        assert!(expected.iter().filter(|found| !found.is_empty()).count() > 1000);
        assert!(
            cache_bytes(&unbounded) > 4 * SMALL_BUDGET,
            "the examples fill the caches"
        );
        let mut budgeted = engine.scanner();
        budgeted.cache_budget = SMALL_BUDGET;
        let mut checks_that_dropped = 0;
        for (chunk, expected) in chunks.iter().zip(&expected) {
            assert_eq!(&found(&mut budgeted, chunk), expected, "{chunk}");
            // Measure after every chunk here, not every CACHE_CHECK_EVERY: more drops.
            let before = cache_bytes(&budgeted);
            budgeted.chunks_since_budget_check = CACHE_CHECK_EVERY - 1;
            budgeted.keep_caches_within_budget();
            let after = cache_bytes(&budgeted);
            assert!(
                after <= SMALL_BUDGET,
                "{after} bytes of caches after a check"
            );
            checks_that_dropped += usize::from(after < before);
        }
        assert!(checks_that_dropped > 10, "{checks_that_dropped}");
    }

    fn secrets(engine: &Engine, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        engine.scanner().scan(text.as_bytes(), None, &mut |m| {
            found.push(text[m.secret.range()].to_string());
        });
        found
    }

    const TWO_RULES: &str = r#"
        [[rules]]
        id = "a.one"
        name = "one"
        severity = "high"
        keywords = ["tok_"]
        regex = '\b(tok_[a-z0-9]{8})\b'

        [[rules]]
        id = "a.two"
        name = "two"
        severity = "low"
        keywords = ["tok_long"]
        regex = '\b(tok_long[a-z0-9]{8})\b'
    "#;

    /// A value the checks reject gives its context back: the real key later in the line is
    /// found from the same provider word.
    #[test]
    fn a_rejected_value_lets_the_search_find_a_later_one() {
        let engine = engine(
            r#"
            [[rules]]
            id = "acme.key"
            name = "ACME key"
            severity = "high"
            context = ["acmeweather"]
            shape = '[A-Za-z0-9]{25}'
        "#,
        );
        // The path word has the shape of a key and is rejected as CamelCase words.
        let url = "https://api.acmeweather.com/AcmeWeatherWebServicesXyz/rest/v1/LA?key=";
        assert_eq!(
            secrets(&engine, &format!("{url}B653XJ2XDKR77TDFQOJMIS7YA")),
            ["B653XJ2XDKR77TDFQOJMIS7YA"]
        );
        assert!(secrets(&engine, url).is_empty());
    }

    #[test]
    fn overlapping_keywords_each_find_their_rule() {
        let engine = engine(TWO_RULES);
        assert_eq!(
            secrets(&engine, "x tok_long1234abcd y tok_12345678"),
            ["tok_12345678", "tok_long1234abcd"]
        );
    }

    #[test]
    fn keywords_match_case_insensitively_and_context_is_respected() {
        let engine = engine(TWO_RULES);
        assert!(
            secrets(&engine, "TOK_12345678").is_empty(),
            "regex itself is case-sensitive"
        );
        // `\b` sees bytes outside the window, so a token embedded in a longer word is not cut out.
        assert!(secrets(&engine, "xtok_12345678").is_empty());
        assert!(secrets(&engine, "tok_123456789").is_empty());
    }

    #[test]
    fn matches_far_apart_are_all_found_and_windows_merge() {
        let engine = engine(TWO_RULES);
        let filler = "lorem ipsum ".repeat(1000);
        let text = format!("tok_aaaaaaa1 {filler} tok_bbbbbbb2 tok_ccccccc3\ntok_ddddddd4");
        assert_eq!(
            secrets(&engine, &text),
            [
                "tok_aaaaaaa1",
                "tok_bbbbbbb2",
                "tok_ccccccc3",
                "tok_ddddddd4"
            ]
        );
    }

    #[test]
    fn invalid_utf8_does_not_stop_a_scan() {
        let engine = engine(TWO_RULES);
        let mut bytes = vec![0xff, 0xfe, b' '];
        bytes.extend_from_slice(b"tok_12345678 \xc3\x28");
        let mut count = 0;
        engine.scanner().scan(&bytes, None, &mut |_| count += 1);
        assert_eq!(count, 1);
    }

    #[test]
    fn entropy_threshold_rejects_low_entropy_secrets() {
        let engine =
            engine(&TWO_RULES.replace("severity = \"high\"", "severity = \"high\"\nentropy = 2.5"));
        assert!(secrets(&engine, "tok_aaaaaaaa").is_empty());
        assert_eq!(secrets(&engine, "tok_a1b2c3d4"), ["tok_a1b2c3d4"]);
    }

    #[test]
    fn rules_without_keywords_run_everywhere() {
        let engine = engine(
            r#"
            [[rules]]
            id = "a.nokw"
            name = "no keywords"
            severity = "low"
            regex = 'zz([0-9]{4})'
        "#,
        );
        assert_eq!(secrets(&engine, "a zz1234 b"), ["1234"]);
    }

    #[test]
    fn path_filters_select_rules() {
        let engine = engine(&TWO_RULES.replace(
            "keywords = [\"tok_\"]",
            "keywords = [\"tok_\"]\npath = '\\.env$'",
        ));
        let mut found = 0;
        engine
            .scanner()
            .scan(b"tok_12345678", Some("app/.env"), &mut |_| found += 1);
        engine
            .scanner()
            .scan(b"tok_12345678", Some("app/main.rs"), &mut |_| found += 10);
        engine
            .scanner()
            .scan(b"tok_12345678", None, &mut |_| found += 100);
        assert_eq!(found, 1);
    }

    #[test]
    fn engine_and_rules_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
        assert_send_sync::<RuleSet>();
    }
}
