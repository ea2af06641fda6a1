//! Which of several matches of one secret is reported. A catch-all rule (`catch_all = true`:
//! generic assignments, any JWT, any URL credentials) yields to a vendor rule that finds an
//! overlapping secret, since the vendor rule says what the secret is; of two vendor rules that
//! find the very same secret, the more specific one wins (see [`specificity`]).

use std::collections::HashMap;
use std::ops::Range;

use super::{Match, Span};
use crate::rule::set::normalized_name;
use crate::rule::{Pattern, RuleSet};
use crate::validate::placeholder::is_broken_padded_base64;
use crate::validate::Validator;

/// Drops catch-all matches whose secret opens with a vendor's token prefix (see
/// [`RuleSet::has_token_prefix`]) or overlaps a vendor rule's secret, all but one catch-all
/// match of each secret span (a validated one first), and vendor matches that a more specific
/// vendor rule made of the very same secret (see [`specificity`]).
pub fn drop_shadowed_matches(rules: &RuleSet, matches: &mut Vec<Match>, bytes: &[u8]) {
    // A catch-all value that opens with a vendor's token prefix is that vendor's token, and no
    // vendor rule took it: malformed (a bad checksum, a wrong length), not a generic secret.
    // Nor is padded base64 that cannot decode (see [`is_broken_padded_base64`]).
    // Nor is one under a key that names a provider a context rule knows (see
    // [`key_names_a_provider`]).
    matches.retain(|m| {
        if !rules.rules()[m.rule].catch_all {
            return true;
        }
        let key = key_name(bytes, m);
        !(rules.has_token_prefix(&bytes[m.secret.range()])
            || is_broken_padded_base64(&bytes[m.secret.range()])
            || key_names_a_provider(rules, bytes, m, key.clone())
            || is_not_a_literal_assignment(bytes, m, key))
    });
    if matches.len() < 2 {
        return;
    }
    // Hash maps and a sorted index, not pairwise comparisons: a file of many thousand tokens
    // took time quadratic in them (issue 15).
    let catch_all = |m: &Match| rules.rules()[m.rule].catch_all;
    // Per secret: the most specific vendor match, and every vendor rule that took it, for the
    // one reported to name the others (one prefix, several vendors: `sk_live_` is Stripe's,
    // PayMongo's and Clerk's).
    let mut most_specific: HashMap<Span, Specificity> = HashMap::new();
    let mut vendors_of: HashMap<Span, Vec<usize>> = HashMap::new();
    for m in matches.iter().filter(|m| !catch_all(m)) {
        let rank = specificity(rules, m, bytes);
        most_specific
            .entry(m.secret)
            .and_modify(|best| *best = (*best).max(rank))
            .or_insert(rank);
        vendors_of.entry(m.secret).or_default().push(m.rule);
    }
    matches.retain(|m| {
        catch_all(m)
            || most_specific
                .get(&m.secret)
                .is_none_or(|best| *best <= specificity(rules, m, bytes))
    });
    for m in matches.iter_mut() {
        if let Some(vendors) = vendors_of.get(&m.secret).filter(|v| v.len() > 1) {
            // Other vendors only: a provider's second rule for the same key names no one new.
            let provider = rules.rules()[m.rule].provider();
            m.candidates = vendors
                .iter()
                .copied()
                .filter(|&r| rules.rules()[r].provider() != provider)
                .collect();
            m.candidates.sort_unstable();
            m.candidates.dedup();
        }
    }
    let vendor_spans = Overlaps::new(matches.iter().filter(|m| !catch_all(m)).map(|m| m.secret));
    // Of catch-all matches of one secret, one is kept: one whose structure a validator checked
    // (a JWT that decodes) over an assignment only screened for placeholders, then one whose
    // keyword is in the secret itself (a base64 PEM header) over one keyed on the name, then
    // the one whose match held more context (a Kubernetes Secret's `stringData:` over the key
    // alone), then the first.
    let checked = |m: &Match| {
        let rule = &rules.rules()[m.rule];
        let secret = &bytes[m.secret.range()];
        let keyword_in_secret = rule.keywords.iter().any(|keyword| {
            secret
                .windows(keyword.len())
                .any(|window| window.eq_ignore_ascii_case(keyword.as_bytes()))
        });
        (
            rule.validator.is_some_and(Validator::checks_structure),
            keyword_in_secret,
        )
    };
    let mut best_catch_all: HashMap<Span, usize> = HashMap::new();
    for (index, m) in matches.iter().enumerate().filter(|(_, m)| catch_all(m)) {
        best_catch_all
            .entry(m.secret)
            .and_modify(|best| {
                let rank = |m: &Match| (checked(m), m.span.len() - m.secret.len());
                if rank(m) > rank(&matches[*best]) {
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

/// Whether a catch-all match stands under a key that names a provider a context rule knows:
/// in the key itself (`ACME_TOKEN=`, `acmeToken:`), in an XML settings element's `key="..."`,
/// or in the section it stands in (`acme:` / `  token:`). That rule found nothing, so the
/// value lacks its provider's shape. Only a key's name counts, so neither a URL's user name
/// (`https://jenkins:<password>@host`), a `.netrc` machine nor `curl -u` names one.
fn key_names_a_provider(rules: &RuleSet, bytes: &[u8], m: &Match, key: Range<usize>) -> bool {
    let Range { start, end } = key;
    // A key is followed by an assignment (`=`, `:`, `=>`) or stands in quotes (an XML
    // attribute, a JSON name).
    let rest = &bytes[end..m.secret.start];
    let is_key = rest.first().is_some_and(|b| matches!(b, b'"' | b'\''))
        || rest
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| matches!(b, b'=' | b':' | b'>' | b','));
    let key = &bytes[start..end];
    is_key && rules.names_a_provider(key, key)
        || attribute_key(&bytes[m.span.start..m.secret.start])
            .is_some_and(|name| rules.names_a_provider(name, name))
        || parent_key(bytes, start).is_some_and(|parent| rules.names_a_provider(parent, key))
        || line_key(bytes, m.secret.start).is_some_and(|name| rules.names_a_provider(name, name))
}

/// The key that opens the line a secret stands on, when the line is nothing but that key and
/// the value (`  ACME_TOKEN: <secret>`, `export ACME_TOKEN="<secret>"`): a rule whose match
/// starts far above (a Kubernetes Secret's `stringData:`) names it only there.
fn line_key(bytes: &[u8], secret_start: usize) -> Option<&[u8]> {
    let line_start = memchr::memrchr(b'\n', &bytes[..secret_start]).map_or(0, |at| at + 1);
    let line = bytes[line_start..secret_start].trim_ascii_start();
    let line = line.strip_prefix(b"- ").unwrap_or(line);
    let line = line.strip_prefix(b"export ").unwrap_or(line);
    let line = line.strip_prefix(b"\"").unwrap_or(line);
    let name_len = line.iter().take_while(|&&b| is_identifier_byte(b)).count();
    let (name, rest) = line.split_at(name_len);
    let rest = rest.strip_prefix(b"\"").unwrap_or(rest).trim_ascii();
    let rest = rest
        .strip_prefix(b":")
        .or_else(|| rest.strip_prefix(b"="))?
        .trim_ascii();
    let only_a_quote = rest.is_empty() || matches!(rest, b"\"" | b"'");
    (!name.is_empty() && only_a_quote).then_some(name)
}

/// Whether a catch-all match's key and value are names rather than a variable holding a
/// secret: a qualified type name as the key (`"AWS::ApiGateway::ApiKey": "48205d4f..."`, a
/// schema's hash per resource type), a resource name in an ARN
/// (`arn:aws:secretsmanager:*:*:secret:NAME`), or a value that is a module path ending in the
/// key's own name (`X25519PrivateKey = openssl.hpke.X25519PrivateKey`, a re-export;
/// `private_key: x25519.X25519PrivateKey`, a type annotation).
fn is_not_a_literal_assignment(bytes: &[u8], m: &Match, key: Range<usize>) -> bool {
    let start = key.start;
    let name = normalized_name(&bytes[key]);
    let secret = &bytes[m.secret.range()];
    let qualified_type = bytes[..start].ends_with(b"::");
    let token_start = bytes[..start]
        .iter()
        .rposition(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`' | b','))
        .map_or(0, |at| at + 1);
    let in_arn = bytes[token_start..start].starts_with(b"arn:");
    let module_path =
        name.len() >= 4 && secret.contains(&b'.') && normalized_name(secret).ends_with(&name);
    qualified_type || in_arn || module_path
}

/// The name in an XML settings element a match opens with: `key="AcmeApiKey" value="` (.NET
/// `appSettings`) names its key in an attribute, not before the value.
fn attribute_key(before_secret: &[u8]) -> Option<&[u8]> {
    let rest = before_secret
        .get(..3)
        .filter(|word| word.eq_ignore_ascii_case(b"key"))
        .map(|_| before_secret[3..].trim_ascii_start())?;
    let rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    let quote = *rest.first().filter(|q| matches!(q, b'"' | b'\''))?;
    let name = &rest[1..];
    name.iter()
        .position(|&b| b == quote)
        .map(|end| &name[..end])
}

/// The key of the section a key at `key_start` stands in, when the line before it opens one:
/// `[acme]` (TOML, INI), `acme:` (YAML), `"acme": {` (JSON), `<acme>` (XML). The provider is
/// often named there rather than in the key (`acme:` / `  token: ...`).
fn parent_key(bytes: &[u8], key_start: usize) -> Option<&[u8]> {
    let line_start = memchr::memrchr(b'\n', &bytes[..key_start]).map_or(0, |at| at + 1);
    let before = bytes[..line_start].strip_suffix(b"\n")?;
    let before = before.strip_suffix(b"\r").unwrap_or(before);
    let parent_start = memchr::memrchr(b'\n', before).map_or(0, |at| at + 1);
    let parent = before[parent_start..].trim_ascii();
    let opens_section = parent.len() <= 64
        && (parent.ends_with(b":")
            || parent.ends_with(b"{")
            || parent.starts_with(b"[") && parent.ends_with(b"]")
            || parent.starts_with(b"<") && parent.ends_with(b">") && !parent.contains(&b'='));
    opens_section.then_some(parent)
}

/// The name a catch-all match's key stands in: from [`key_start`] to the first byte that is
/// no part of a name (`adobe_api_key` in `adobe_api_key = ...`).
fn key_name(bytes: &[u8], m: &Match) -> Range<usize> {
    let start = key_start(bytes, m.span.start);
    let end = start
        + bytes[start..m.secret.start.max(start)]
            .iter()
            .take_while(|&&b| is_identifier_byte(b))
            .count();
    start..end
}

/// Where the name that a match starts in begins: a generic rule's match starts at its keyword
/// (`api_key`), the provider is the part of the name before it (`adobe_api_key`).
fn key_start(bytes: &[u8], match_start: usize) -> usize {
    let floor = match_start.saturating_sub(64);
    let mut start = match_start;
    while start > floor && is_identifier_byte(bytes[start - 1]) {
        start -= 1;
    }
    start
}

/// A byte of a key's name (`AIRBRAKE_API_KEY`, `acme-api.key`).
fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
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

/// Whether the secret opens with a vendor prefix, the context bytes before it, (reversed) the
/// size of its alphabet, then whether its rule's regex was written for the format rather than
/// made from a context template: greater is more specific.
type Specificity = (bool, usize, std::cmp::Reverse<usize>, bool);

/// Literal bytes a secret must open with to count as a vendor's prefix (`ya29.`, `dop_v1_`).
const MIN_PREFIX: usize = 3;

/// How specific a vendor match is: first whether its rule's secret opens with a literal vendor
/// prefix (a `pscale_pw_` token in a `mysql://` URI is PlanetScale's, not any MySQL password;
/// between two prefixed rules the prefix decides nothing), then the
/// context its rule demanded before the secret (`clerk ... secret_key = sk_live_...` over a
/// bare `sk_live_...`), then how few distinct bytes the rule's secret can hold (Paystack's
/// `sk_live_` + 40 hex over Stripe's `sk_live_` + alphanumerics), then a regex written for the
/// format over a context template of the same reach (`aws_secret_access_key=` is the keyed
/// AWS rule's, not the `aws`-named one's).
fn specificity(rules: &RuleSet, m: &Match, bytes: &[u8]) -> Specificity {
    let rule = &rules.rules()[m.rule];
    let (prefix, alphabet) = rule.matcher().map_or((0, 256), |matcher| {
        (matcher.facts.secret_prefix, matcher.facts.secret_alphabet)
    });
    let templated = matches!(rule.pattern, Pattern::Context { .. });
    // Context before the secret only: the byte a regex reads after it to see the value end is
    // no context, nor the byte a template reads before a short provider word to see it start.
    let mut context = m.secret.start - m.span.start;
    if templated
        && bytes
            .get(m.span.start)
            .is_some_and(|b| !b.is_ascii_alphabetic())
    {
        context = context.saturating_sub(1);
    }
    (
        prefix >= MIN_PREFIX,
        context,
        std::cmp::Reverse(alphabet),
        !templated,
    )
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;

    /// A context rule for Acme and LINE, and catch-all rules for any `token` and `password`
    /// assignment.
    const RULES: &str = r##"
        [[rules]]
        id = "acme.key"
        name = "Acme key"
        severity = "high"
        context = ["acme"]
        shape = '[a-f0-9]{32}'

        [[rules]]
        id = "line.key"
        name = "LINE key"
        severity = "high"
        context = ["line"]
        shape = '[a-f0-9]{32}'

        [[rules]]
        id = "t.generic"
        name = "generic"
        severity = "medium"
        catch_all = true
        keywords = ["token"]
        regex = '''(?i)(?:key="[A-Za-z]*token" value="|token["']?\s*[:=]\s*["']?)(?P<secret>[A-Za-z0-9.]{20,})'''

        [[rules]]
        id = "t.manifest"
        name = "stringData value"
        severity = "medium"
        catch_all = true
        keywords = ["stringData"]
        regex = '''(?s)stringData:\n.*?: (?P<secret>[A-Za-z0-9]{20,})'''

        [[rules]]
        id = "t.password"
        name = "generic password"
        severity = "medium"
        catch_all = true
        keywords = ["password"]
        regex = '''(?i)password["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9]{20,})'''
    "##;

    fn reported(text: &str) -> Vec<String> {
        let engine = Engine::for_tests(RULES);
        let mut scanner = engine.scanner();
        let mut matches = Vec::new();
        scanner.scan(text.as_bytes(), None, &mut |m| matches.push(m));
        super::drop_shadowed_matches(engine.rules(), &mut matches, text.as_bytes());
        matches
            .iter()
            .map(|m| engine.rules().rules()[m.rule].id.clone())
            .collect()
    }

    #[test]
    fn type_names_and_re_exports_are_not_secrets() {
        let hash = concat!("48205d4f", "fd7feba3c85175a4");
        assert!(reported(&format!("\"AWS::Gateway::Token\": \"{hash}\",\n")).is_empty());
        let path = concat!("openssl.hpke.", "MLKEM768X25519Token");
        assert!(reported(&format!("MLKEM768X25519Token = {path}\n")).is_empty());
        let annotation = concat!("x25519.", "MLKEM768X25519Token");
        assert!(reported(&format!("    x25519_token: {annotation}\n")).is_empty());
        let arn = concat!(
            "arn:aws:secretsmanager:eu:1:token:",
            "RdsPreview4Cluster7Name"
        );
        assert!(reported(&format!("\"Resource\": \"{arn}\"\n")).is_empty());
        // The same values under a plain key are reported.
        assert_eq!(
            reported(&format!("\"gateway_token\": \"{hash}\",\n")),
            ["t.generic"]
        );
    }

    #[test]
    fn a_key_naming_a_provider_leaves_a_value_without_its_shape_unreported() {
        let shaped = "0123456789abcdef0123456789abcdef".replace("0123456789", "9f8e7d6c5b");
        let unshaped = "Zq8Xw2Lr5Tn7Vb3Mk9Pd4Hs6Jf1Gc0Ya";
        assert_eq!(reported(&format!("ACME_TOKEN={shaped}\n")), ["acme.key"]);
        // The provider's rule found nothing: the value lacks Acme's shape.
        for text in [
            format!("ACME_TOKEN={unshaped}\n"),
            format!("const acmeToken = \"{unshaped}\";\n"),
            format!("acme:\n  token: {unshaped}\n"),
            format!("[acme]\ntoken = \"{unshaped}\"\n"),
            format!("\"acme\": {{\n  \"token\": \"{unshaped}\"\n"),
            format!("<add key=\"AcmeToken\" value=\"{unshaped}\" />\n"),
        ] {
            assert_eq!(reported(&text), Vec::<String>::new(), "{text}");
        }
        // Whole words only: PIPELINE does not name LINE, and another section names nobody.
        for text in [
            format!("PIPELINE_TOKEN={unshaped}\n"),
            format!("other:\n  token: {unshaped}\n"),
            format!("<add key=\"OtherToken\" value=\"{unshaped}\" />\n"),
        ] {
            assert_eq!(reported(&text), ["t.generic"], "{text}");
        }
        // A Kubernetes Secret's stringData: the match starts above, the key is on the line.
        let manifest = format!("kind: Secret\nstringData:\n  ACME_TOKEN: {unshaped}\n");
        assert_eq!(reported(&manifest), Vec::<String>::new());
        // Acme's rules find keys, not passwords: a password under Acme's name is reported.
        for text in [
            format!("ACME_PASSWORD={unshaped}\n"),
            format!("acme:\n  password: {unshaped}\n"),
        ] {
            assert_eq!(reported(&text), ["t.password"], "{text}");
        }
    }
}
