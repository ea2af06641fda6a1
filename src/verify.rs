//! Live verification: asking a vendor whether a credential works. A stage of its own, run
//! after filtering and de-duplication, on the findings that will be reported — never inside the
//! engine, whose validators stay pure, offline and fast enough for the hot loop.
//!
//! Each distinct (rule, secret) is asked about once, however many places hold it. Which
//! vendors can be asked, and how, comes with the verifiers (issue 19); this module is the stage
//! and its contract.

use std::collections::HashMap;

use crate::finding::Finding;

/// What a vendor said about a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The credential works.
    Live,
    /// The vendor rejected it (revoked, expired or never valid).
    Rejected,
    /// No answer that tells: a network error, a rate limit, an unexpected reply.
    Unknown(String),
}

/// Asks one vendor about its credentials.
pub trait Verifier: Sync {
    /// Whether this verifier knows the rule's credentials.
    fn handles(&self, rule_id: &str) -> bool;
    /// Asks the vendor about `finding`'s secret.
    fn verify(&self, finding: &Finding) -> Status;
}

/// The verification stage: the status of each finding that a verifier handles, in the order
/// of `findings` (`None` where none does). Findings of the same rule and secret share one
/// question to the vendor.
pub fn run(findings: &[Finding], verifiers: &[&dyn Verifier]) -> Vec<Option<Status>> {
    let mut asked: HashMap<(&str, &[u8]), Option<Status>> = HashMap::new();
    findings
        .iter()
        .map(|finding| {
            let key = (finding.rule_id.as_str(), finding.secret.expose());
            asked
                .entry(key)
                .or_insert_with(|| {
                    verifiers
                        .iter()
                        .find(|verifier| verifier.handles(&finding.rule_id))
                        .map(|verifier| verifier.verify(finding))
                })
                .clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::filter::Filters;
    use crate::source::{Provenance, VecSource};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Says `live` for secrets ending in an even digit; counts the questions.
    struct Mock {
        asked: AtomicUsize,
    }

    impl Verifier for Mock {
        fn handles(&self, rule_id: &str) -> bool {
            rule_id == "t.tok"
        }
        fn verify(&self, finding: &Finding) -> Status {
            self.asked.fetch_add(1, Ordering::Relaxed);
            match finding.secret.expose().last() {
                Some(digit) if digit % 2 == 0 => Status::Live,
                _ => Status::Rejected,
            }
        }
    }

    #[test]
    fn each_secret_is_asked_about_once_and_unhandled_rules_not_at_all() {
        let engine = Engine::for_tests(&format!(
            "{}{}",
            crate::engine::TOK_RULE,
            r#"
            [[rules]]
            id = "t.other"
            name = "other"
            severity = "high"
            keywords = ["oth_"]
            regex = '\b(oth_[a-z0-9]{8})\b'
        "#
        ));
        let chunks = ["a", "b", "c"]
            .iter()
            .map(|name| {
                let text = "x = tok_abcdefg2\ny = tok_abcdefg3\nz = oth_abcdefg4\n";
                (Provenance::file(*name, *name), text.as_bytes().to_vec())
            })
            .collect();
        let source = VecSource { chunks };
        let mut result = crate::scan::run(
            &source,
            &engine,
            &Filters::default(),
            1,
            &crate::scan::Silent,
        );
        result.findings.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
        let mock = Mock {
            asked: AtomicUsize::new(0),
        };
        let statuses = run(&result.findings, &[&mock]);
        assert_eq!(statuses.len(), 9);
        assert_eq!(mock.asked.load(Ordering::Relaxed), 2);
        for (finding, status) in result.findings.iter().zip(&statuses) {
            let expected = match finding.secret.expose() {
                b"tok_abcdefg2" => Some(Status::Live),
                b"tok_abcdefg3" => Some(Status::Rejected),
                _ => None,
            };
            assert_eq!(*status, expected);
        }
    }
}
