//! `html`: one self-contained page for people who have never used leakhound. No network, no
//! CDN, no external file: styles and a small script are inline, and a Content-Security-Policy
//! forbids loading anything else, so the page works from `file://` and leaks nothing when
//! opened. It shows:
//!
//! - the scope (what was scanned, when, by which version) and counts by severity, provider,
//!   triage status and confidence;
//! - a table of findings to sort (click a heading) and filter (severity, provider, status,
//!   confidence, path and commit), each row opening to the redacted snippet, the provenance
//!   (commit, author, date, path, the other places the secret is), the confidence and why, the
//!   triage and what to do about it;
//! - remediation: per provider, how to revoke or rotate (from the token-format facts), its
//!   references, and the standing advice.
//!
//! Filters also read the page's fragment (`report.html#severity=high&provider=github`), so a
//! filtered view can be shared as a link. Every text is HTML-escaped; secrets are redacted
//! unless `--show-secrets`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::sync::OnceLock;

// XML's escaping is HTML's for text and quoted attributes (`&apos;` included, in HTML5).
use super::junit::xml_escape as escape;
use super::{shown_secret, shown_snippet, ReportContext, ReportOptions, Reporter, Summary};
use crate::finding::Finding;

/// Writes the HTML report.
#[derive(Debug)]
pub struct HtmlReporter {
    options: ReportOptions,
    context: ReportContext,
    rows: Vec<String>,
    /// Per provider: the findings' rule ids (for remediation) and count.
    providers: BTreeMap<String, (BTreeSet<String>, usize)>,
    by_severity: BTreeMap<&'static str, usize>,
    by_status: BTreeMap<String, usize>,
    by_confidence: BTreeMap<&'static str, usize>,
}

impl HtmlReporter {
    /// A reporter with these options and context (rules, scope).
    pub fn new(options: ReportOptions, context: ReportContext) -> Self {
        HtmlReporter {
            options,
            context,
            rows: Vec::new(),
            providers: BTreeMap::new(),
            by_severity: BTreeMap::new(),
            by_status: BTreeMap::new(),
            by_confidence: BTreeMap::new(),
        }
    }

    fn provider_of(&self, finding: &Finding) -> String {
        self.context.rules.get(&finding.rule_id).map_or_else(
            || {
                finding
                    .rule_id
                    .split('.')
                    .next()
                    .unwrap_or("custom")
                    .to_string()
            },
            |rule| rule.provider.clone(),
        )
    }
}

/// Severity order for sorting: critical first.
fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

impl Reporter for HtmlReporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, _out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        let provider = self.provider_of(finding);
        let severity = finding.severity.as_str();
        let confidence = finding.confidence.as_str();
        let status = finding
            .triage
            .as_ref()
            .map_or("open", |t| t.status.as_str())
            .to_string();
        let entry = self.providers.entry(provider.clone()).or_default();
        entry.0.insert(finding.rule_id.clone());
        entry.1 += 1;
        *self.by_severity.entry(severity).or_default() += 1;
        *self.by_status.entry(status.clone()).or_default() += 1;
        *self.by_confidence.entry(confidence).or_default() += 1;
        let commit_id = finding.commit.as_ref().map_or("", |c| c.id.as_str());
        let secret = if finding.is_whole_file() {
            "the whole file".to_string()
        } else {
            shown_secret(finding, self.options)
        };
        let location = format!("{}:{}", finding.path, finding.location.line);
        let mut details = String::new();
        details.push_str(&format!(
            "<dl><dt>Rule</dt><dd>{} <code>{}</code></dd><dt>Secret</dt><dd><code>{}</code></dd>",
            escape(&finding.rule_name),
            escape(&finding.rule_id),
            escape(&secret)
        ));
        let snippet = shown_snippet(finding, self.options);
        if !snippet.is_empty() {
            details.push_str(&format!(
                "<dt>Line {}</dt><dd><pre>{}</pre></dd>",
                finding.location.line,
                escape(&snippet)
            ));
        }
        let why = match &finding.validation {
            Some(v) if v.kind != "placeholder" => format!("{} check: {}", v.kind, v.result),
            _ => match finding.confidence.as_str() {
                "high" => "its checksum or structure verified".to_string(),
                "medium" => "the vendor's format, with its context where needed".to_string(),
                _ => "generic evidence only (a secret-like name and a random-looking value)"
                    .to_string(),
            },
        };
        details.push_str(&format!(
            "<dt>Confidence</dt><dd>{confidence}: {}</dd>",
            escape(&why)
        ));
        if let Some(commit) = &finding.commit {
            details.push_str(&format!(
                "<dt>Introduced in</dt><dd><code>{}</code> by {} &lt;{}&gt; on {}: {}</dd>",
                escape(&commit.id),
                escape(&commit.author),
                escape(&commit.email),
                escape(&commit.date),
                escape(&commit.message)
            ));
        }
        if let Some(also_in) = finding.also_in.filter(|n| *n > 0) {
            details.push_str(&format!(
                "<dt>Also in</dt><dd>{also_in} other snapshot{}</dd>",
                if also_in == 1 { "" } else { "s" }
            ));
        }
        if !finding.also_at.is_empty() {
            details.push_str("<dt>Other places</dt><dd><ul>");
            for place in &finding.also_at {
                details.push_str(&format!(
                    "<li>{} in <code>{}</code> ({}){}</li>",
                    escape(&place.path),
                    escape(&place.commit.id[..place.commit.id.len().min(12)]),
                    escape(&place.commit.date),
                    if place.reintroduced {
                        ", reintroduced"
                    } else {
                        ""
                    }
                ));
            }
            details.push_str("</ul></dd>");
        }
        if let Some(verification) = &finding.verification {
            details.push_str(&format!(
                "<dt>Verified</dt><dd><strong>{}</strong> at {}</dd>",
                escape(&verification.summary()),
                escape(&verification.checked_at)
            ));
        }
        if let Some(triage) = &finding.triage {
            details.push_str(&format!(
                "<dt>Triage</dt><dd>{}{}{}</dd>",
                escape(&triage.status),
                triage
                    .comment
                    .as_deref()
                    .map(|c| format!(": {}", escape(c)))
                    .unwrap_or_default(),
                match (&triage.by, &triage.at) {
                    (Some(by), Some(at)) => format!(" ({}, {})", escape(by), escape(at)),
                    _ => String::new(),
                }
            ));
        }
        details.push_str(&format!(
            "<dt>What to do</dt><dd>{} <a href=\"#fix-{}\">How to revoke it</a>.</dd></dl>",
            if status == "false-positive" || status == "accepted" {
                "Triaged as not needing action."
            } else {
                "Revoke or rotate it first, then remove it from the code and, if it was pushed, from the history."
            },
            escape(&provider)
        ));
        self.rows.push(format!(
            "<tbody class=\"finding\" data-severity=\"{severity}\" data-rank=\"{}\" data-provider=\"{}\" data-status=\"{}\" data-confidence=\"{confidence}\" data-path=\"{}\" data-commit=\"{}\" data-rule=\"{}\"><tr class=\"row\" tabindex=\"0\"><td><span class=\"sev sev-{severity}\">{severity}</span></td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{confidence}</td><td><code>{}</code></td></tr><tr class=\"details\" hidden><td colspan=\"7\">{details}</td></tr></tbody>",
            severity_rank(severity),
            escape(&provider),
            escape(&status),
            escape(&finding.path),
            escape(commit_id),
            escape(&finding.rule_id),
            escape(&provider),
            escape(&location),
            escape(&commit_id[..commit_id.len().min(10)]),
            escape(&status),
            escape(&secret),
        ));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, stats: &Summary) -> io::Result<()> {
        let total = self.rows.len();
        let mut page = String::with_capacity(64 * 1024 + total * 2048);
        page.push_str(HEAD);
        page.push_str("<header><h1>leakhound report</h1>");
        page.push_str(&format!(
            "<p class=\"scope\">{} &middot; leakhound {} &middot; {} finding{}{}</p></header>",
            escape(self.context.scope.as_deref().unwrap_or("scan")),
            env!("CARGO_PKG_VERSION"),
            total,
            if total == 1 { "" } else { "s" },
            if stats.files > 0 {
                format!(
                    " in {} file{} ({} bytes)",
                    stats.files,
                    if stats.files == 1 { "" } else { "s" },
                    stats.bytes
                )
            } else {
                String::new()
            }
        ));
        page.push_str("<section class=\"summary\">");
        let card = |title: &str, counts: Vec<(String, usize)>| {
            let items: String = counts
                .iter()
                .map(|(name, n)| format!("<li><span>{}</span><b>{n}</b></li>", escape(name)))
                .collect();
            format!("<div class=\"card\"><h2>{title}</h2><ul>{items}</ul></div>")
        };
        let mut severities: Vec<(String, usize)> = self
            .by_severity
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        severities.sort_by_key(|(name, _)| severity_rank(name));
        page.push_str(&card("Severity", severities));
        let mut providers: Vec<(String, usize)> = self
            .providers
            .iter()
            .map(|(name, (_, n))| (name.clone(), *n))
            .collect();
        providers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        page.push_str(&card("Provider", providers.into_iter().take(12).collect()));
        page.push_str(&card(
            "Triage status",
            self.by_status
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
        ));
        page.push_str(&card(
            "Confidence",
            ["high", "medium", "low"]
                .iter()
                .filter_map(|c| self.by_confidence.get(c).map(|n| (c.to_string(), *n)))
                .collect(),
        ));
        page.push_str("</section>");
        // Filters: the options are the values present.
        let options = |values: Vec<String>| -> String {
            values
                .iter()
                .map(|v| format!("<option value=\"{0}\">{0}</option>", escape(v)))
                .collect()
        };
        let mut severity_values: Vec<String> =
            self.by_severity.keys().map(|s| s.to_string()).collect();
        severity_values.sort_by_key(|name| severity_rank(name));
        page.push_str(&format!(
            "<section class=\"filters\"><label>Severity <select id=\"f-severity\"><option value=\"\">all</option>{}</select></label>\
             <label>Provider <select id=\"f-provider\"><option value=\"\">all</option>{}</select></label>\
             <label>Status <select id=\"f-status\"><option value=\"\">all</option>{}</select></label>\
             <label>Confidence <select id=\"f-confidence\"><option value=\"\">all</option>{}</select></label>\
             <label>Path <input id=\"f-path\" type=\"search\" placeholder=\"part of a path\"></label>\
             <label>Commit <input id=\"f-commit\" type=\"search\" placeholder=\"commit id\"></label>\
             <button id=\"f-clear\" type=\"button\">Clear</button> <span id=\"shown\">{total} of {total} shown</span></section>",
            options(severity_values),
            options(self.providers.keys().cloned().collect()),
            options(self.by_status.keys().cloned().collect()),
            options(
                ["high", "medium", "low"]
                    .iter()
                    .filter(|c| self.by_confidence.contains_key(*c))
                    .map(|c| c.to_string())
                    .collect()
            ),
        ));
        if total == 0 {
            page.push_str("<p class=\"clean\">No findings.</p>");
        }
        page.push_str(
            "<table id=\"findings\"><thead><tr><th data-sort=\"rank\">Severity</th><th data-sort=\"provider\">Provider</th>\
             <th data-sort=\"path\">Location</th><th data-sort=\"commit\">Commit</th><th data-sort=\"status\">Status</th>\
             <th data-sort=\"confidence\">Confidence</th><th>Secret</th></tr></thead>",
        );
        for row in &self.rows {
            page.push_str(row);
        }
        page.push_str("</table>");
        page.push_str(&remediation(&self.providers, &self.context));
        page.push_str(TAIL);
        out.write_all(page.as_bytes())
    }
}

/// The remediation section: per provider, how to revoke (from the token-format facts) and its
/// references; then the standing advice.
fn remediation(
    providers: &BTreeMap<String, (BTreeSet<String>, usize)>,
    context: &ReportContext,
) -> String {
    let mut out = String::from("<section class=\"remediation\"><h2>Remediation</h2>");
    out.push_str(ADVICE);
    for (provider, (rules, _)) in providers {
        out.push_str(&format!(
            "<div class=\"fix\" id=\"fix-{0}\"><h3>{0}</h3>",
            escape(provider)
        ));
        match revocation(provider) {
            Some(steps) => out.push_str(&format!("<p>{}</p>", escape(steps))),
            None => out.push_str(
                "<p>Revoke or rotate the credential in the provider's console or API, then check its access logs for use you do not recognise.</p>",
            ),
        }
        let references: BTreeSet<&String> = rules
            .iter()
            .filter_map(|rule| context.rules.get(rule))
            .flat_map(|rule| rule.references.iter())
            .filter(|url| url.starts_with("https://"))
            .collect();
        if !references.is_empty() {
            out.push_str("<ul class=\"refs\">");
            for url in references {
                out.push_str(&format!(
                    "<li><a href=\"{0}\" rel=\"noreferrer noopener\" target=\"_blank\">{0}</a></li>",
                    escape(url)
                ));
            }
            out.push_str("</ul>");
        }
        out.push_str("</div>");
    }
    out.push_str("</section>");
    out
}

/// A provider name reduced to letters and digits, lowercase: how a rule file's name
/// (`azure-app-service`) meets a fact's provider (`Microsoft Azure App Service`).
fn squashed(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// How to revoke a credential of `provider` (a rule file's name), from the facts: an entry
/// whose provider is the same name, or holds it as a word.
fn revocation(provider: &str) -> Option<&'static str> {
    #[derive(serde::Deserialize)]
    struct Entry {
        provider: String,
        revoke: String,
    }
    static ENTRIES: OnceLock<Vec<(String, Vec<String>, String)>> = OnceLock::new();
    let entries = ENTRIES.get_or_init(|| {
        let parsed: Vec<Entry> =
            serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/revocations.json")))
                .unwrap_or_default();
        parsed
            .into_iter()
            .map(|e| {
                let words = e
                    .provider
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect();
                (squashed(&e.provider), words, e.revoke)
            })
            .collect()
    });
    let wanted = squashed(provider);
    let first_word = provider.split('-').next().unwrap_or(provider);
    entries
        .iter()
        .find(|(name, _, _)| *name == wanted)
        .or_else(|| {
            entries.iter().find(|(_, words, _)| {
                words.iter().any(|w| w == first_word) && first_word.len() >= 3
            })
        })
        .map(|(_, _, revoke)| revoke.as_str())
}

const ADVICE: &str = "<ol class=\"advice\">\
<li><b>Revoke first.</b> A secret that reached a repository is exposed: revoke or rotate it at the provider before anything else, and check the provider's logs for use since it leaked.</li>\
<li><b>Then remove it from the history</b> (git filter-repo or BFG) and have every clone re-fetch; removing it only from the latest commit leaves it in every earlier one.</li>\
<li><b>Least privilege.</b> Issue the replacement with only the scopes and resources it needs.</li>\
<li><b>Short expiry.</b> Prefer short-lived tokens (OIDC federation in CI, STS, expiring personal tokens) over long-lived keys.</li>\
<li><b>A secret manager, not files.</b> Keep credentials in a secret manager or the CI's secret store and read them at run time; keep `.env` files out of git.</li>\
</ol>";

const HEAD: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
<meta name=\"referrer\" content=\"no-referrer\"><link rel=\"icon\" href=\"data:,\">\
<title>leakhound report</title><style>\
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:0 16px 48px;color:#1d2327;background:#fff}\
h1{font-size:22px;margin:20px 0 4px}h2{font-size:16px;margin:0 0 8px}h3{font-size:15px;margin:16px 0 4px}\
.scope{color:#555;margin:0 0 16px}\
.summary{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}\
.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:180px}\
.card ul{list-style:none;margin:0;padding:0}.card li{display:flex;justify-content:space-between;gap:16px}\
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin:12px 0;padding:10px;background:#f6f8fa;border-radius:6px}\
.filters label{display:flex;flex-direction:column;font-size:12px;color:#555}\
select,input,button{font:inherit;padding:3px 6px}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}\
th[data-sort]{cursor:pointer;user-select:none}th[data-sort]:after{content:' \\2195';color:#999}\
tr.row{cursor:pointer}tr.row:hover{background:#f6f8fa}\
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}pre{white-space:pre-wrap;word-break:break-all;margin:0}\
dl{display:grid;grid-template-columns:140px 1fr;gap:4px 12px;margin:4px 0}dt{color:#555}dd{margin:0}\
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff;background:#6e7781}\
.sev-critical{background:#a40e26}.sev-high{background:#cf222e}.sev-medium{background:#bc4c00}.sev-low{background:#4d7c0f}\
.remediation{margin-top:28px}.advice li{margin-bottom:4px}.clean{font-size:16px}\
</style></head><body>";

const TAIL: &str = "<script>\n\
(function(){\n\
  'use strict';\n\
  var table=document.getElementById('findings');\n\
  var bodies=Array.prototype.slice.call(table.querySelectorAll('tbody.finding'));\n\
  var fields=['severity','provider','status','confidence','path','commit'];\n\
  function input(name){return document.getElementById('f-'+name);}\n\
  function apply(){\n\
    var shown=0;\n\
    bodies.forEach(function(body){\n\
      var ok=fields.every(function(name){\n\
        var want=input(name).value.trim().toLowerCase();\n\
        if(!want){return true;}\n\
        var have=(body.getAttribute('data-'+name)||'').toLowerCase();\n\
        return (name==='path'||name==='commit')?have.indexOf(want)>=0:have===want;\n\
      });\n\
      body.hidden=!ok;\n\
      if(ok){shown++;}\n\
    });\n\
    document.getElementById('shown').textContent=shown+' of '+bodies.length+' shown';\n\
    var parts=[];\n\
    fields.forEach(function(name){var v=input(name).value.trim();if(v){parts.push(name+'='+encodeURIComponent(v));}});\n\
    try{history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname+location.search);}catch(e){}\n\
  }\n\
  function fromFragment(){\n\
    location.hash.replace(/^#/,'').split('&').forEach(function(part){\n\
      var eq=part.indexOf('=');if(eq<0){return;}\n\
      var name=part.slice(0,eq),value=decodeURIComponent(part.slice(eq+1));\n\
      if(fields.indexOf(name)>=0){input(name).value=value;}\n\
    });\n\
  }\n\
  fields.forEach(function(name){input(name).addEventListener('input',apply);input(name).addEventListener('change',apply);});\n\
  document.getElementById('f-clear').addEventListener('click',function(){fields.forEach(function(name){input(name).value='';});apply();});\n\
  table.addEventListener('click',function(event){\n\
    var row=event.target.closest('tr.row');if(!row){return;}\n\
    var details=row.nextElementSibling;details.hidden=!details.hidden;\n\
  });\n\
  table.addEventListener('keydown',function(event){\n\
    if(event.key!=='Enter'){return;}var row=event.target.closest('tr.row');if(row){row.nextElementSibling.hidden=!row.nextElementSibling.hidden;}\n\
  });\n\
  var direction={};\n\
  Array.prototype.forEach.call(table.querySelectorAll('th[data-sort]'),function(th){\n\
    th.addEventListener('click',function(){\n\
      var key=th.getAttribute('data-sort');direction[key]=-(direction[key]||-1);\n\
      bodies.sort(function(a,b){\n\
        var x=a.getAttribute('data-'+key)||'',y=b.getAttribute('data-'+key)||'';\n\
        return (x<y?-1:x>y?1:0)*direction[key];\n\
      });\n\
      bodies.forEach(function(body){table.appendChild(body);});\n\
    });\n\
  });\n\
  fromFragment();\n\
  apply();\n\
})();\n\
</script></body></html>\n";
