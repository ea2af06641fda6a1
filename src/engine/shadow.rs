//! Which of several matches of one secret is reported. A catch-all rule (`catch_all = true`:
//! generic assignments, any JWT, any URL credentials) yields to a vendor rule that finds an
//! overlapping secret, since the vendor rule says what the secret is; of two vendor rules that
//! find the very same secret, the more specific one wins (see [`specificity`]).

use std::collections::HashMap;

use super::{Match, Span};
use crate::rule::RuleSet;
use crate::validate::Validator;

/// Drops catch-all matches whose secret opens with a vendor's token prefix (see
/// [`RuleSet::has_token_prefix`]) or overlaps a vendor rule's secret, all but one catch-all
/// match of each secret span (a validated one first), and vendor matches that a more specific
/// vendor rule made of the very same secret (see [`specificity`]).
pub fn drop_shadowed_matches(rules: &RuleSet, matches: &mut Vec<Match>, bytes: &[u8]) {
    // A catch-all value that opens with a vendor's token prefix is that vendor's token, and no
    // vendor rule took it: malformed (a bad checksum, a wrong length), not a generic secret.
    // Nor is a catch-all value under a key that names a provider a context rule knows: that
    // rule found nothing, so the value lacks its provider's shape. (A URL's user name is no
    // key: `https://jenkins:<password>@host` stays a URL credential.)
    let names_a_provider = |m: &Match| {
        let key = &bytes[key_start(bytes, m.span.start)..m.secret.start];
        !key.windows(3).any(|w| w == b"://") && rules.names_a_provider(key)
    };
    matches.retain(|m| {
        !rules.rules()[m.rule].catch_all
            || !(rules.has_token_prefix(&bytes[m.secret.range()]) || names_a_provider(m))
    });
    if matches.len() < 2 {
        return;
    }
    // Hash maps and a sorted index, not pairwise comparisons: a file of many thousand tokens
    // took time quadratic in them (issue 15).
    let catch_all = |m: &Match| rules.rules()[m.rule].catch_all;
    let mut most_specific: HashMap<Span, Specificity> = HashMap::new();
    for m in matches.iter().filter(|m| !catch_all(m)) {
        let rank = specificity(rules, m);
        most_specific
            .entry(m.secret)
            .and_modify(|best| *best = (*best).max(rank))
            .or_insert(rank);
    }
    matches.retain(|m| {
        catch_all(m)
            || most_specific
                .get(&m.secret)
                .is_none_or(|best| *best <= specificity(rules, m))
    });
    let vendor_spans = Overlaps::new(matches.iter().filter(|m| !catch_all(m)).map(|m| m.secret));
    // Of catch-all matches of one secret, one is kept: one whose structure a validator checked
    // (a JWT that decodes) over an assignment only screened for placeholders, then the first.
    let checked = |m: &Match| {
        rules.rules()[m.rule]
            .validator
            .is_some_and(|validator| validator != Validator::Placeholder)
    };
    let mut best_catch_all: HashMap<Span, usize> = HashMap::new();
    for (index, m) in matches.iter().enumerate().filter(|(_, m)| catch_all(m)) {
        best_catch_all
            .entry(m.secret)
            .and_modify(|best| {
                if checked(m) && !checked(&matches[*best]) {
                    *best = index;
                }
            })
            .or_insert(index);
    }
    let mut index = 0;
    matches.retain(|m| {
        index += 1;
        !catch_all(m) || (!vendor_spans.any(m.secret) && best_catch_all[&m.secret] == index - 1)
    });
}

/// Where the name that a match starts in begins: a generic rule's match starts at its keyword
/// (`api_key`), the provider is the part of the name before it (`adobe_api_key`).
fn key_start(bytes: &[u8], match_start: usize) -> usize {
    let floor = match_start.saturating_sub(64);
    let mut start = match_start;
    while start > floor
        && matches!(bytes[start - 1], b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.')
    {
        start -= 1;
    }
    start
}

/// Spans, set up to tell in O(log n) whether any of them overlaps a given span.
pub struct Overlaps {
    /// Sorted by start.
    spans: Vec<Span>,
    /// `max_end[i]`: the greatest end among `spans[..=i]`.
    max_end: Vec<usize>,
}

impl Overlaps {
    /// The spans, indexed.
    pub fn new(spans: impl Iterator<Item = Span>) -> Overlaps {
        let mut spans: Vec<Span> = spans.collect();
        spans.sort_unstable();
        let max_end = spans
            .iter()
            .scan(0, |max, s| {
                *max = s.end.max(*max);
                Some(*max)
            })
            .collect();
        Overlaps { spans, max_end }
    }

    /// Whether a span `s` with `s.start < other.end && other.start < s.end` is held.
    pub fn any(&self, other: Span) -> bool {
        let before = self.spans.partition_point(|s| s.start < other.end);
        before > 0 && self.max_end[before - 1] > other.start
    }
}

/// Whether the secret opens with a vendor prefix, the context bytes around it, then (reversed)
/// the size of its alphabet: greater is more specific.
type Specificity = (bool, usize, std::cmp::Reverse<usize>);

/// Literal bytes a secret must open with to count as a vendor's prefix (`ya29.`, `dop_v1_`).
const MIN_PREFIX: usize = 3;

/// How specific a vendor match is: first whether its rule's secret opens with a literal vendor
/// prefix (a `pscale_pw_` token in a `mysql://` URI is PlanetScale's, not any MySQL password;
/// between two prefixed rules the prefix decides nothing), then the
/// context its rule demanded around the secret (`clerk ... secret_key = sk_live_...` over a
/// bare `sk_live_...`), then how few distinct bytes the rule's secret can hold (Paystack's
/// `sk_live_` + 40 hex over Stripe's `sk_live_` + alphanumerics).
fn specificity(rules: &RuleSet, m: &Match) -> Specificity {
    let (prefix, alphabet) = rules.rules()[m.rule].matcher().map_or((0, 256), |matcher| {
        (matcher.secret_prefix, matcher.secret_alphabet)
    });
    (
        prefix >= MIN_PREFIX,
        m.span.len() - m.secret.len(),
        std::cmp::Reverse(alphabet),
    )
}
