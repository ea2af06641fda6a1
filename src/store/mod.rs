//! The findings datastore (`--datastore FILE`): one SQLite file that keeps every run and every
//! finding of an audit, with the triage decisions people make on them.
//!
//! - A run is recorded when it starts and completed in one transaction when it ends: a scan
//!   killed half-way leaves its run without an end and every finding as it was (WAL mode, so a
//!   reader never sees half a write).
//! - Findings are keyed by scope (the command and what it scanned) and fingerprint. A rescan
//!   adds the new ones, marks the ones it no longer sees as gone, and never touches a triage
//!   decision.
//! - Secrets are kept redacted, as the reports print them, unless the run was asked for
//!   `--show-secrets`; the fingerprint is the reports' own salted one. Nothing else identifies a
//!   secret.
//! - The schema is versioned (`PRAGMA user_version`); [`MIGRATIONS`] brings an older file up
//!   to date, and a file from a newer leakhound is refused rather than guessed at.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Location, OtherPlace, Secret, Triage, Validation, Verification};
use crate::rule::{Confidence, Severity};
use crate::source::Commit;

/// Each entry brings the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    r"
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        command TEXT NOT NULL,
        target TEXT NOT NULL,
        version TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        findings INTEGER,
        new_findings INTEGER,
        gone_findings INTEGER,
        files INTEGER,
        bytes INTEGER,
        secrets_kept INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        severity TEXT NOT NULL,
        confidence TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL,
        commit_id TEXT,
        secret_redacted TEXT NOT NULL,
        secret_clear BLOB,
        record TEXT NOT NULL,
        first_run INTEGER NOT NULL REFERENCES runs(id),
        last_run INTEGER NOT NULL REFERENCES runs(id),
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        present INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        comment TEXT,
        triaged_by TEXT,
        triaged_at TEXT,
        UNIQUE (scope, fingerprint)
    );
    CREATE INDEX findings_by_status ON findings (status);
    CREATE TABLE triage_log (
        id INTEGER PRIMARY KEY,
        finding INTEGER NOT NULL REFERENCES findings(id),
        status TEXT NOT NULL,
        comment TEXT,
        by TEXT,
        at TEXT NOT NULL
    );
",
    r"
    ALTER TABLE findings ADD COLUMN verification TEXT;
",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The triage statuses, in the order a finding usually moves through them.
pub const STATUSES: [&str; 5] = ["open", "confirmed", "false-positive", "accepted", "revoked"];

/// A datastore error: the file's name and what went wrong, in one line.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused (not a database, locked, disk full, ...).
    #[error("datastore {path}: {source}")]
    Sqlite {
        /// The datastore file.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file was written by a newer leakhound.
    #[error("datastore {path}: schema version {found} is newer than this leakhound's ({SCHEMA_VERSION}); upgrade leakhound")]
    TooNew {
        /// The datastore file.
        path: String,
        /// The version found.
        found: usize,
    },
    /// A triage request that cannot be applied.
    #[error("{0}")]
    Invalid(String),
}

/// What a finished run changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOutcome {
    /// Findings of this run (one per fingerprint).
    pub seen: usize,
    /// Of them, never seen before in this scope.
    pub new: usize,
    /// Findings of this scope that an earlier run saw and this one did not.
    pub gone: usize,
}

/// Which findings a listing, report or bulk triage takes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these ids (empty: any).
    pub ids: Vec<i64>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this rule id.
    pub rule: Option<String>,
    /// Only paths matching this glob.
    pub path: Option<globset::GlobMatcher>,
    /// Also the findings the latest run of their scope no longer saw.
    pub include_gone: bool,
}

/// A run as the store recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Its id.
    pub id: i64,
    /// `scan`, `history`, `history-range` or `staged`.
    pub command: String,
    /// What it scanned, as an absolute path.
    pub target: String,
    /// When it started, RFC 3339 UTC.
    pub started_at: String,
    /// When it ended; `None` for a run that never finished (killed, crashed, still running).
    pub ended_at: Option<String>,
}

/// A finding read back from the store, with its id there and whether it is still seen.
#[derive(Debug, Clone)]
pub struct StoredFinding {
    /// The row id: what `leakhound triage set` takes.
    pub id: i64,
    /// Seen by the latest run of its scope.
    pub present: bool,
    /// The finding, its secret as the store holds it (see [`Secret::stored`]).
    pub finding: Finding,
}

/// An open datastore.
pub struct Store {
    connection: Connection,
    path: String,
}

/// The parts of a finding kept as JSON in `findings.record`.
#[derive(Serialize, Deserialize)]
struct Record {
    rel_path: String,
    /// A file rule's finding: the whole file is the leak.
    #[serde(default)]
    whole_file: bool,
    location: Location,
    snippet: String,
    entropy: f64,
    commit: Option<StoredCommit>,
    also_in: Option<u32>,
    also_at: Vec<StoredPlace>,
    validation: Option<(String, String)>,
    candidates: Vec<String>,
    decoded: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredCommit {
    id: String,
    author: String,
    email: String,
    date: String,
    message: String,
}

#[derive(Serialize, Deserialize)]
struct StoredPlace {
    path: String,
    commit: StoredCommit,
    reintroduced: bool,
}

impl StoredCommit {
    fn new(commit: &Commit) -> StoredCommit {
        StoredCommit {
            id: commit.id.clone(),
            author: commit.author.clone(),
            email: commit.email.clone(),
            date: commit.date.clone(),
            message: commit.message.clone(),
        }
    }

    fn commit(self) -> Arc<Commit> {
        Arc::new(Commit {
            id: self.id,
            author: self.author,
            email: self.email,
            date: self.date,
            message: self.message,
            sequence: 0,
            time: 0,
        })
    }
}

/// The encodings a finding can be found through, as the static names reports use.
const DECODINGS: [&str; 4] = ["base64", "hex", "percent", "concatenated"];

impl Store {
    /// Opens (creating it if needed) the datastore at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        let fail = |source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        };
        let mut connection = Connection::open(path).map_err(fail)?;
        // WAL: a reader never waits for a writer, and a killed writer leaves the last commit.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        connection
            .pragma_update(None, "foreign_keys", true)
            .map_err(fail)?;
        // A secret kept in clear by one run and dropped by the next is overwritten in the
        // file, not left in a free page.
        connection
            .pragma_update(None, "secure_delete", true)
            .map_err(fail)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(fail)?;
        let found: usize = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(fail)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path: shown, found });
        }
        if found < SCHEMA_VERSION {
            let transaction = connection.transaction().map_err(fail)?;
            for migration in &MIGRATIONS[found..] {
                transaction.execute_batch(migration).map_err(fail)?;
            }
            transaction
                .pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(fail)?;
            transaction.commit().map_err(fail)?;
        }
        Ok(Store {
            connection,
            path: shown,
        })
    }

    fn fail(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Records the start of a run of `command` on `target` and returns its id. The run has no
    /// end until [`Store::finish_run`]: a run killed before it stays so, and changes nothing.
    pub fn begin_run(&self, command: &str, target: &str) -> Result<i64, StoreError> {
        self.connection
            .execute(
                "INSERT INTO runs (scope, command, target, version, started_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    scope(command, target),
                    command,
                    target,
                    env!("CARGO_PKG_VERSION"),
                    now()
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(self.connection.last_insert_rowid())
    }

    /// Completes run `run` with its findings, in one transaction: upserts them by fingerprint
    /// (keeping their triage), marks the scope's findings it did not see as gone, and fills in
    /// each finding's triage for the report. `keep_secrets`: the run was given
    /// `--show-secrets`, so secrets are kept in clear; otherwise they are kept redacted and a
    /// clear one an earlier run kept is dropped.
    pub fn finish_run(
        &mut self,
        run: i64,
        findings: &mut [Finding],
        keep_secrets: bool,
        files: u64,
        bytes: u64,
    ) -> Result<RunOutcome, StoreError> {
        let path = self.path.clone();
        let fail = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(fail)?;
        let scope: String = transaction
            .query_row("SELECT scope FROM runs WHERE id = ?1", [run], |row| {
                row.get(0)
            })
            .map_err(fail)?;
        let at = now();
        let mut outcome = RunOutcome::default();
        // One look-up per fingerprint tells whether it is new here, its triage and what the
        // vendor said last time; the same secret twice at one path is one row.
        let mut stored_of_fingerprint: HashMap<String, Stored> = HashMap::new();
        for finding in findings.iter_mut() {
            let stored = match stored_of_fingerprint.get(&finding.fingerprint) {
                Some(stored) => stored.clone(),
                None => {
                    let stored =
                        stored_row(&transaction, &scope, &finding.fingerprint).map_err(fail)?;
                    outcome.new += usize::from(stored.is_none());
                    let stored = stored.unwrap_or_default();
                    if finding.verification.is_none() {
                        finding.verification = stored.verification.clone();
                    }
                    upsert(&transaction, &scope, run, &at, finding, keep_secrets).map_err(fail)?;
                    stored_of_fingerprint.insert(finding.fingerprint.clone(), stored.clone());
                    stored
                }
            };
            finding.triage = stored.triage;
            // Not asked this run: the report shows what the vendor said last time.
            if finding.verification.is_none() {
                finding.verification = stored.verification;
            }
        }
        outcome.seen = stored_of_fingerprint.len();
        outcome.gone = transaction
            .execute(
                "UPDATE findings SET present = 0 WHERE scope = ?1 AND last_run <> ?2 AND present = 1",
                params![scope, run],
            )
            .map_err(fail)?;
        transaction
            .execute(
                "UPDATE runs SET ended_at = ?2, findings = ?3, new_findings = ?4, gone_findings = ?5, files = ?6, bytes = ?7, secrets_kept = ?8 WHERE id = ?1",
                params![
                    run,
                    now(),
                    outcome.seen as i64,
                    outcome.new as i64,
                    outcome.gone as i64,
                    files as i64,
                    bytes as i64,
                    keep_secrets
                ],
            )
            .map_err(fail)?;
        transaction.commit().map_err(fail)?;
        if !keep_secrets {
            // Old pages (a secret an earlier run kept) also live in the write-ahead log until a
            // checkpoint: write them back and empty the log. Busy readers only delay it.
            let _ = self
                .connection
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        Ok(outcome)
    }

    /// The findings `selection` takes, in report order (path, line, rule).
    pub fn findings(&self, selection: &Selection) -> Result<Vec<StoredFinding>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT id, present, fingerprint, rule_id, rule_name, severity, confidence, path, \
                 secret_redacted, secret_clear, record, status, comment, triaged_by, triaged_at, \
                 verification FROM findings ORDER BY path, line, rule_id, id",
            )
            .map_err(|e| self.fail(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, bool>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(7)?,
                    row.get::<_, String>(8)?,
                    row.get::<_, Option<Vec<u8>>>(9)?,
                    row.get::<_, String>(10)?,
                    Triage {
                        status: row.get(11)?,
                        comment: row.get(12)?,
                        by: row.get(13)?,
                        at: row.get(14)?,
                    },
                    row.get::<_, Option<String>>(15)?,
                ))
            })
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                present,
                fingerprint,
                rule,
                name,
                severity,
                confidence,
                path,
                redacted,
                clear,
                record,
                triage,
                verification,
            ) = row.map_err(|e| self.fail(e))?;
            if !selection.takes(id, present, &rule, &path, &triage.status) {
                continue;
            }
            let record: Record = serde_json::from_str(&record).map_err(|err| {
                StoreError::Invalid(format!(
                    "datastore {}: finding {id} cannot be read: {err}",
                    self.path
                ))
            })?;
            let mut finding = rebuild(
                (fingerprint, rule, name, path),
                (&severity, &confidence),
                Secret::stored(redacted, clear),
                record,
                triage,
            );
            finding.verification = verification
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok());
            out.push(StoredFinding {
                id,
                present,
                finding,
            });
        }
        Ok(out)
    }

    /// Records what a vendor said about finding `id` (`report --verify`).
    pub fn set_verification(&self, id: i64, verification: &Verification) -> Result<(), StoreError> {
        let json = serde_json::to_string(verification)
            .map_err(|err| StoreError::Invalid(format!("datastore {}: {err}", self.path)))?;
        self.connection
            .execute(
                "UPDATE findings SET verification = ?2 WHERE id = ?1",
                params![id, json],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Sets the triage of the findings `selection` takes to `status`, with `comment`, by `by`;
    /// logs each decision. Returns how many findings changed.
    pub fn set_triage(
        &mut self,
        selection: &Selection,
        status: &str,
        comment: Option<&str>,
        by: &str,
    ) -> Result<usize, StoreError> {
        if !STATUSES.contains(&status) {
            return Err(StoreError::Invalid(format!(
                "unknown status {status:?} (expected one of {})",
                STATUSES.join(", ")
            )));
        }
        let ids: Vec<i64> = self
            .findings(selection)?
            .into_iter()
            .map(|stored| stored.id)
            .collect();
        if let Some(missing) = selection.ids.iter().find(|id| !ids.contains(id)) {
            return Err(StoreError::Invalid(format!(
                "no finding {missing} in datastore {} (see `leakhound triage list`)",
                self.path
            )));
        }
        let path = self.path.clone();
        let fail = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let at = now();
        let transaction = self.connection.transaction().map_err(fail)?;
        for id in &ids {
            transaction
                .execute(
                    "UPDATE findings SET status = ?2, comment = ?3, triaged_by = ?4, triaged_at = ?5 WHERE id = ?1",
                    params![id, status, comment, by, at],
                )
                .map_err(fail)?;
            transaction
                .execute(
                    "INSERT INTO triage_log (finding, status, comment, by, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, status, comment, by, at],
                )
                .map_err(fail)?;
        }
        transaction.commit().map_err(fail)?;
        Ok(ids.len())
    }

    /// The runs, oldest first.
    pub fn runs(&self) -> Result<Vec<Run>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, command, target, started_at, ended_at FROM runs ORDER BY id")
            .map_err(|e| self.fail(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(Run {
                    id: row.get(0)?,
                    command: row.get(1)?,
                    target: row.get(2)?,
                    started_at: row.get(3)?,
                    ended_at: row.get(4)?,
                })
            })
            .map_err(|e| self.fail(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.fail(e))
    }
}

impl Selection {
    fn takes(&self, id: i64, present: bool, rule: &str, path: &str, status: &str) -> bool {
        (self.include_gone || present || !self.ids.is_empty())
            && (self.ids.is_empty() || self.ids.contains(&id))
            && self.status.as_deref().is_none_or(|wanted| wanted == status)
            && self.rule.as_deref().is_none_or(|wanted| wanted == rule)
            && self.path.as_ref().is_none_or(|glob| glob.is_match(path))
    }
}

/// What a run covers: the command and its target. A rescan of the same scope can say what is
/// gone; a scan of another directory cannot.
fn scope(command: &str, target: &str) -> String {
    format!("{command} {target}")
}

/// Inserts or refreshes `finding` in `scope` for `run`.
fn upsert(
    transaction: &Transaction<'_>,
    scope: &str,
    run: i64,
    at: &str,
    finding: &Finding,
    keep_secrets: bool,
) -> rusqlite::Result<()> {
    let record = Record {
        rel_path: finding.rel_path.clone(),
        whole_file: finding.is_whole_file(),
        location: finding.location,
        snippet: finding.snippet.clone(),
        entropy: finding.entropy,
        commit: finding.commit.as_deref().map(StoredCommit::new),
        also_in: finding.also_in,
        also_at: finding
            .also_at
            .iter()
            .map(|place| StoredPlace {
                path: place.path.clone(),
                commit: StoredCommit::new(&place.commit),
                reintroduced: place.reintroduced,
            })
            .collect(),
        validation: finding
            .validation
            .as_ref()
            .map(|v| (v.kind.clone(), v.result.clone())),
        candidates: finding.candidates.clone(),
        decoded: finding.decoded.map(str::to_string),
    };
    let record = serde_json::to_string(&record)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
    let clear = keep_secrets.then(|| finding.secret.expose().to_vec());
    let verification = verification_json(finding)?;
    transaction.execute(
        "INSERT INTO findings (scope, fingerprint, rule_id, rule_name, severity, confidence, path, line, \
         commit_id, secret_redacted, secret_clear, record, first_run, last_run, first_seen, last_seen, present, \
         verification) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?14, 1, ?15) \
         ON CONFLICT (scope, fingerprint) DO UPDATE SET rule_name = ?4, severity = ?5, \
         confidence = ?6, path = ?7, line = ?8, commit_id = ?9, secret_redacted = ?10, \
         secret_clear = ?11, record = ?12, last_run = ?13, last_seen = ?14, present = 1, \
         verification = COALESCE(?15, verification)",
        params![
            scope,
            finding.fingerprint,
            finding.rule_id,
            finding.rule_name,
            finding.severity.as_str(),
            finding.confidence.as_str(),
            finding.path,
            finding.location.line as i64,
            finding.commit.as_ref().map(|c| c.id.clone()),
            finding.secret.redacted(),
            clear,
            record,
            run,
            at,
            verification
        ],
    )?;
    Ok(())
}

/// A finding's verification as the JSON the store keeps, if it has one.
fn verification_json(finding: &Finding) -> rusqlite::Result<Option<String>> {
    finding
        .verification
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))
}

/// What a scope's row for a fingerprint holds from earlier runs.
#[derive(Debug, Clone, Default)]
struct Stored {
    /// The triage, `None` while it is still `open` and nobody decided anything.
    triage: Option<Box<Triage>>,
    /// What the vendor said last time, if asked.
    verification: Option<Box<Verification>>,
}

/// The row `scope` holds for `fingerprint`, if any (`None`: it is new there).
fn stored_row(
    transaction: &Transaction<'_>,
    scope: &str,
    fingerprint: &str,
) -> rusqlite::Result<Option<Stored>> {
    transaction
        .query_row(
            "SELECT status, comment, triaged_by, triaged_at, verification FROM findings \
             WHERE scope = ?1 AND fingerprint = ?2",
            params![scope, fingerprint],
            |row| {
                let triage = Triage {
                    status: row.get(0)?,
                    comment: row.get(1)?,
                    by: row.get(2)?,
                    at: row.get(3)?,
                };
                let verification: Option<String> = row.get(4)?;
                Ok(Stored {
                    triage: triage.at.is_some().then(|| Box::new(triage)),
                    verification: verification.and_then(|json| serde_json::from_str(&json).ok()),
                })
            },
        )
        .optional()
}

/// A report's finding from a row: `(fingerprint, rule id, rule name, path)`, `(severity,
/// confidence)`, the secret as stored, the record and the triage.
fn rebuild(
    (fingerprint, rule_id, rule_name, path): (String, String, String, String),
    (severity, confidence): (&str, &str),
    secret: Secret,
    record: Record,
    triage: Triage,
) -> Finding {
    Finding {
        rule: 0,
        rule_id,
        rule_name,
        severity: severity.parse().unwrap_or(Severity::Medium),
        confidence: confidence.parse().unwrap_or(Confidence::Low),
        path,
        rel_path: record.rel_path,
        location: record.location,
        // Only emptiness matters to a report: a file rule's finding has an empty span.
        span: crate::engine::Span::new(0, usize::from(!record.whole_file)),
        match_span: crate::engine::Span::new(0, usize::from(!record.whole_file)),
        secret,
        fingerprint,
        snippet: record.snippet,
        entropy: record.entropy,
        commit: record.commit.map(StoredCommit::commit),
        also_in: record.also_in,
        also_at: record
            .also_at
            .into_iter()
            .map(|place| OtherPlace {
                path: place.path,
                commit: place.commit.commit(),
                reintroduced: place.reintroduced,
            })
            .collect(),
        validation: record
            .validation
            .map(|(kind, result)| Validation { kind, result }),
        candidates: record.candidates,
        decoded: record
            .decoded
            .and_then(|name| DECODINGS.iter().copied().find(|known| *known == name)),
        triage: (triage.at.is_some() || triage.status != "open").then(|| Box::new(triage)),
        verification: None,
    }
}

/// The current time, RFC 3339 UTC.
pub fn now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0));
    crate::source::git::rfc3339(seconds, 0)
}
