#!/usr/bin/env python3
"""Independent detection-quality benchmark for leakhound.

    python3 bench/quality.py [--binary PATH] [--seed N] [--out bench/QUALITY.md]

It knows nothing of leakhound's rules. Every positive is generated from the facts in
docs/token-formats/*.toml (each entry's `shape`, `case`, `checksum`, `min_entropy`, `context`,
`container`), planted in ordinary files of 16 kinds, and the scanner is asked to find it:

1. positives: one generated value per file, with context (a key named after the provider and a
   context word, or the entry's container) in 16 file kinds, and for distinctive entries also
   bare (a log line, a URL query, a JSON "value", ...; the container without a key when the
   entry has one, since a password alone has no shape). Found = some finding's secret holds the
   value, or is at least 80% of it.
2. near-misses: values from the same shapes that are not credentials (one char short, wrong
   checksum, wrong alphabet, placeholders, documentation-style values), in the same file kinds
   and contexts. Any finding in such a file is a false alarm.
3. clean code on this machine (Python's standard library, Rust docs, cargo registry sources):
   findings per MB, all assumed false except private keys whose DER or openssh structure the
   scanner verified (real keys in test certificates, counted apart).

Files are written to a temporary directory, one directory per category; the scanner runs once
per category and findings are mapped back by path. Only the Python standard library is used.
The helpers live in bench/quality/ (shapes, checksums, embed, nearmiss).
"""

import argparse
import collections
import datetime
import glob
import html
import json
import math
import os
import random
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "quality"))

import checksums  # noqa: E402
import embed  # noqa: E402
import nearmiss  # noqa: E402
import shapes  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FACTS_DIR = Path("docs/token-formats")
FACT_FILES = ["kingfisher-a.toml", "kingfisher-b.toml", "kingfisher-c.toml", "classes.toml"]

TARGET_RECALL = 0.97
TARGET_NEAR_MISS = 0.02
TARGET_FP_PER_MB = 0.01

ENTROPY_TRIES = 50  # regenerate up to this many times to meet an entry's min_entropy
NEAR_MISS_FILE_KINDS = 4  # context file kinds per near-miss value (rotating over all 16)
CLEAN_CAP_MB = 300  # per clean-code source


# ---------------------------------------------------------------------------
# Facts


@dataclass
class Entry:
    """One [[token]] entry of the facts, with what we derive from it."""

    index: int
    source: str  # fact file name
    facts: dict
    tree: object = None  # parsed shape (None when the shape does not parse)
    parse_error: str = ""
    regex: object = None  # compiled facts-derived regex, to check our own values
    container: object = None  # parsed container, or None
    scheme: object = None  # checksum scheme name, checksums.NOT_GENERATED or None
    identifier: bool = False  # "identifier, not a secret": kept out of recall

    @property
    def provider(self):
        """The provider name."""
        return self.facts["provider"]

    @property
    def kind(self):
        """What the credential is."""
        return self.facts["kind"]

    @property
    def distinctive(self):
        """True when the shape alone identifies the credential."""
        return bool(self.facts.get("distinctive"))


def load_entries(repo):
    """Read the four fact files (from docs/token-formats under the repo root) into Entries."""
    entries = []
    for name in FACT_FILES:
        path = repo / FACTS_DIR / name
        with open(path, "rb") as fh:
            for facts in tomllib.load(fh)["token"]:
                entries.append(Entry(len(entries), name, facts))
    for e in entries:
        try:
            e.tree = shapes.parse(e.facts["shape"])
            e.regex = shapes.compile_shape(e.tree, e.facts.get("case") == "insensitive")
        except shapes.ShapeError as err:
            e.parse_error = str(err)
        e.container = embed.container_tree(e.facts)
        e.scheme = checksums.scheme_of(e.facts)
        e.identifier = "not a secret" in e.kind.lower()
    return entries


# ---------------------------------------------------------------------------
# Values


def shannon_entropy(text):
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = collections.Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


@dataclass
class Value:
    """A generated positive value and how it was made."""

    text: str
    checksum: str  # "computed", "not generated", "n/a" (no checksum), "not covered" (ghr_ etc.)
    entropy_met: bool
    matches_shape: bool


def make_value(entry, rng):
    """Generate a value for an entry: random per its shape, its checksum made valid when we can
    compute it, regenerated (bounded) until it meets min_entropy and matches the shape. Where a
    shape has branches the checksum does not cover (`ghr_` in the GitHub catch-all), a covered
    branch is preferred, so the checksum is exercised."""
    min_entropy = entry.facts.get("min_entropy")
    best = None
    for _ in range(ENTROPY_TRIES):
        text = shapes.text_of(shapes.generate(entry.tree, rng))
        status = "n/a"
        if entry.scheme == checksums.NOT_GENERATED:
            status = "not generated"
        elif entry.scheme:
            fixed = checksums.make_valid(entry.scheme, text, rng)
            status = "computed" if fixed is not None else "not covered"
            text = fixed if fixed is not None else text
        value = Value(text, status, True, bool(entry.regex.fullmatch(text)))
        value.entropy_met = min_entropy is None or shannon_entropy(text) >= min_entropy
        if value.matches_shape and value.entropy_met and status != "not covered":
            return value
        if best is None or (value.matches_shape, value.entropy_met, shannon_entropy(text)) > (
                best.matches_shape, best.entropy_met, shannon_entropy(best.text)):
            best = value
    return best


# ---------------------------------------------------------------------------
# Cases: one file each


@dataclass
class Case:
    """One planted file."""

    case_id: str
    entry: Entry
    file_kind: str
    mode: str  # "context" or "bare"
    value: str  # the planted value (the credential, or the near-miss text)
    near_miss: str = ""  # near-miss kind, for near-miss cases
    relpath: str = ""
    content: str = ""
    findings: list = field(default_factory=list)  # findings in this file
    found_by: list = field(default_factory=list)  # rule ids whose secret matched the value
    partial_by: list = field(default_factory=list)  # rule ids that reported under 80% of it


def render(file_kind, placement):
    """Render a placement with a context or bare file kind."""
    if file_kind in embed.CONTEXT_KINDS:
        return embed.CONTEXT_KINDS[file_kind](placement)
    return embed.BARE_KINDS[file_kind](placement.text)


def build_positives(entries, rng):
    """Positive cases: each entry's value in all 16 context file kinds, plus bare kinds for
    distinctive entries. Returns (cases, {entry index: Value})."""
    cases, values = [], {}
    for e in entries:
        if e.tree is None:
            continue
        value = make_value(e, rng)
        values[e.index] = value
        for kind in embed.CONTEXT_KINDS:
            placement = embed.context_placement(e.facts, value.text, e.container, rng)
            cases.append(_case("p", len(cases), e, kind, "context", value.text, placement))
        if e.distinctive:
            # An entry with a container (a JDBC URL, a .pgpass line) is distinctive in it: the
            # value alone (a password) has no shape, so the container is what is planted bare.
            bare = value.text
            if e.container is not None:
                opts = shapes.GenOptions(filler=True, secret=[shapes.Piece(value.text, "lit")])
                bare = shapes.text_of(shapes.generate(e.container, rng, opts))
            for kind in embed.BARE_KINDS:
                if embed.bare_applies(kind, bare):
                    placement = embed.Placement(None, bare)
                    cases.append(_case("p", len(cases), e, kind, "bare", value.text, placement))
    return cases, values


def near_miss_values(entry, valid_value, rng):
    """{near-miss kind: text} for an entry (kinds that do not apply are left out)."""
    ignore_case = entry.facts.get("case") == "insensitive"
    found = {
        nearmiss.ONE_SHORT: nearmiss.one_short(entry.tree, entry.regex, rng),
        nearmiss.WRONG_CHECKSUM: nearmiss.wrong_checksum(entry.scheme, valid_value, rng),
        nearmiss.WRONG_ALPHABET: nearmiss.wrong_alphabet(entry.tree, entry.regex, ignore_case, rng),
        nearmiss.DOC_EXAMPLE: nearmiss.doc_example(entry.tree, rng),
    }
    found.update(nearmiss.masked_values(entry.tree, rng))
    found.update(nearmiss.placeholders(embed.key_name(entry.facts)))
    return {kind: found[kind] for kind in nearmiss.KINDS if found.get(kind)}


def build_near_misses(entries, values, rng):
    """Near-miss cases: each near-miss value in NEAR_MISS_FILE_KINDS context file kinds (the
    kinds rotate so all 16 are used evenly), and, for distinctive entries and value-shaped
    kinds, in one bare file kind (rotating too)."""
    cases = []
    context_kinds = list(embed.CONTEXT_KINDS)
    bare_kinds = list(embed.BARE_KINDS)
    turn = 0
    bare_turn = 0
    for e in entries:
        if e.index not in values:
            continue
        for nm_kind, text in near_miss_values(e, values[e.index].text, rng).items():
            for k in range(NEAR_MISS_FILE_KINDS):
                kind = context_kinds[(turn + k) % len(context_kinds)]
                placement = embed.context_placement(e.facts, text, e.container, rng)
                cases.append(_case("n", len(cases), e, kind, "context", text, placement, nm_kind))
            turn += NEAR_MISS_FILE_KINDS
            if e.distinctive and nm_kind in nearmiss.VALUE_SHAPED:
                kind = bare_kinds[bare_turn % len(bare_kinds)]
                bare_turn += 1
                if embed.bare_applies(kind, text):
                    placement = embed.Placement(None, text)
                    cases.append(_case("n", len(cases), e, kind, "bare", text, placement, nm_kind))
    return cases


def build_controls():
    """Control files: every file kind holding a harmless value, to show the surrounding lines
    raise nothing on their own."""
    cases = []
    key = embed.KeyName("inventory", ["label"])
    for kind in list(embed.CONTEXT_KINDS) + list(embed.BARE_KINDS):
        placement = embed.Placement(key, "hello-world")
        cases.append(_case("c", len(cases), None, kind, "control", "hello-world", placement))
    return cases


def _case(prefix, number, entry, kind, mode, value, placement, near_miss=""):
    """Build a Case and render its file."""
    relpath, content = render(kind, placement)
    case_id = "%s%06d" % (prefix, number)
    return Case(case_id, entry, kind, mode, value, near_miss, os.path.join(case_id, relpath), content)


def write_cases(directory, cases):
    """Write each case's file under directory/<case id>/..."""
    for case in cases:
        path = directory / case.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            fh.write(case.content)


# ---------------------------------------------------------------------------
# The scanner


def run_scanner(binary, config, paths):
    """Run `leakhound scan` once over paths; returns (findings, stats)."""
    cmd = [str(binary), "scan", "--no-ignore", "--format", "json", "-q", "--show-secrets",
           "--config", str(config)] + [str(p) for p in paths]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode not in (0, 1):
        raise SystemExit("leakhound exited %d: %s" % (proc.returncode, proc.stderr.decode(errors="replace")[:2000]))
    report = json.loads(proc.stdout)
    return report.get("findings", []), report.get("stats", {})


def attach_findings(directory, cases, findings):
    """Give each case the findings whose path lies in its directory."""
    by_id = {case.case_id: case for case in cases}
    for f in findings:
        rel = os.path.relpath(f["path"], directory)
        case = by_id.get(rel.split(os.sep)[0])
        if case is not None:
            case.findings.append(f)


def normalize(text):
    """Text for comparing a finding's secret with a planted value: file-format escapes undone
    (`\\n` in JSON strings, XML entities, backslashes) and whitespace dropped."""
    text = html.unescape(text)
    for escape in ("\\n", "\\r", "\\t"):
        text = text.replace(escape, "")
    return "".join(ch for ch in text if not ch.isspace() and ch != "\\")


def url_password(value):
    """The password of a `scheme://user:password@host` value: after the first `:` that follows
    `//`, up to the last `@` (the facts' own definition for connection URLs), or None."""
    match = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://([^:/@\s]*):(.+)@[^@]*$", value)
    return match.group(2) if match else None


def secret_matches(secret, value):
    """Found: the finding's secret holds the value, or is at least 80% of it, or is the whole
    password of a connection URL (the part the facts call the secret)."""
    s, v = normalize(secret), normalize(value)
    if not s or not v:
        return False
    password = url_password(value)
    if password is not None and s in (normalize(password), normalize(urllib.parse.unquote(password))):
        return True
    return v in s or (s in v and len(s) >= 0.8 * len(v))


def secret_is_part(secret, value):
    """The finding's secret is a piece of the value, shorter than 80% of it and not the URL's
    whole password (not a match, but reported separately)."""
    s, v = normalize(secret), normalize(value)
    return len(s) >= 4 and s in v and len(s) < 0.8 * len(v) and not secret_matches(secret, value)


def score_positives(cases):
    """Set found_by (and partial_by) on each positive case."""
    for case in cases:
        secrets = [(f["rule_id"], f.get("secret", "")) for f in case.findings]
        case.found_by = sorted({rule for rule, secret in secrets if secret_matches(secret, case.value)})
        case.partial_by = sorted({rule for rule, secret in secrets if secret_is_part(secret, case.value)})


def write_index(path, cases):
    """One JSON line per case (for --keep: which file holds what, and what was found)."""
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps({
                "case": c.case_id, "path": c.relpath, "provider": c.entry.provider if c.entry else "",
                "kind": c.entry.kind if c.entry else "", "entry": c.entry.index if c.entry else -1,
                "file_kind": c.file_kind, "mode": c.mode, "near_miss": c.near_miss, "value": c.value,
                "found_by": c.found_by, "partial_by": c.partial_by, "rules": sorted({f["rule_id"] for f in c.findings}),
                "secrets": [f.get("secret", "") for f in c.findings],
            }) + "\n")


# ---------------------------------------------------------------------------
# Clean code


def tree_size(path):
    """Bytes of regular files under path (symlinks not followed)."""
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def pick_paths(candidates, cap):
    """Take paths in sorted order while the total stays under cap bytes; a directory too big
    to take whole is entered and its children considered. Returns (paths, bytes)."""
    chosen, total = [], 0
    for path in sorted(candidates):
        if total >= cap:
            break
        if path.is_symlink():
            continue
        size = tree_size(path)
        if total + size <= cap:
            chosen.append(path)
            total += size
        elif path.is_dir():
            sub, sub_total = pick_paths(list(path.iterdir()), cap - total)
            chosen += sub
            total += sub_total
    return chosen, total


def clean_sources(cap_mb):
    """[(name, root, paths)] of clean code found on this machine, each capped at cap_mb."""
    cap = cap_mb * 1000 * 1000
    sources = []
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if stdlib.is_dir():
        children = [p for p in stdlib.iterdir() if p.name not in ("site-packages", "dist-packages")]
        sources.append(("Python standard library", stdlib) + (pick_paths(children, cap)[0],))
    docs = sorted(glob.glob(os.path.expanduser("~/.rustup/toolchains/*/share/doc/rust/html")))
    if docs:
        root = Path(docs[0])
        sources.append(("Rust documentation (HTML)", root, pick_paths(list(root.iterdir()), cap)[0]))
    crates = [Path(p) for p in glob.glob(os.path.expanduser("~/.cargo/registry/src/*/*")) if os.path.isdir(p)]
    if crates:
        root = Path(os.path.expanduser("~/.cargo/registry/src"))
        sources.append(("Cargo registry sources", root, pick_paths(crates, cap)[0]))
    return [s for s in sources if s[2]]


def is_verified_key(finding):
    """A private-key block whose structure decoded: a real key (a test certificate's, say), not a
    false positive, though clean code holds it. Counted apart from the false positives."""
    validation = finding.get("validation") or {}
    return (finding.get("rule_id", "").startswith("private-key.") and validation.get("kind") == "pem"
            and validation.get("result") in ("der-ok", "openssh-key-v1", "decoded encrypted"))


def false_positives(src):
    return [f for f in src["findings"] if not is_verified_key(f)]


def scan_clean(binary, config, cap_mb):
    """Scan each clean source; returns a list of dicts with findings and stats."""
    results = []
    for name, root, paths in clean_sources(cap_mb):
        started = time.time()
        findings, stats = run_scanner(binary, config, paths)
        results.append({"name": name, "root": root, "findings": findings, "stats": stats,
                        "seconds": time.time() - started})
    return results


# ---------------------------------------------------------------------------
# Report


def redact(text):
    """First 4 characters (escaped) and the length: never the value itself."""
    head = text[:4].encode("unicode_escape").decode().replace("|", "\\|").replace("`", "'")
    return "`%s…` (%d chars)" % (head, len(text))


def pct(n, d):
    """n/d as a percentage string (n/a for d = 0)."""
    return "n/a" if d == 0 else "%.1f%%" % (100.0 * n / d)


def ratio(n, d):
    """n/d, or 0 for d = 0."""
    return n / d if d else 0.0


def mark(ok):
    """A check mark for a met target."""
    return "yes" if ok else "**no**"


def cell(text):
    """Text safe in a Markdown table cell (no `|` breaking the row, no `<...>` read as HTML)."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def recall_row(cases):
    """(found, total) for cases."""
    return sum(1 for c in cases if c.found_by), len(cases)


def write_report(out, args, entries, values, positives, near_misses, controls, clean, timings):
    """Write bench/QUALITY.md."""
    counted = [c for c in positives if not c.entry.identifier]
    bare_d = [c for c in counted if c.mode == "bare"]
    ctx_nd = [c for c in counted if c.mode == "context" and not c.entry.distinctive]
    ctx_d = [c for c in counted if c.mode == "context" and c.entry.distinctive]
    overall = recall_row(counted)
    nm_alarm = sum(1 for c in near_misses if c.findings)
    lines = []
    w = lines.append
    w("<!-- Generated by `python3 bench/quality.py --seed %d` on %s; do not edit by hand. -->"
      % (args.seed, datetime.date.today().isoformat()))
    w("# Detection quality (independent benchmark)")
    w("")
    w("Positives and near-misses are generated from the facts in "
      "[docs/token-formats/](../docs/token-formats/README.md) (each entry's shape, case, checksum, "
      "min_entropy, context and container), never from a leakhound rule; clean code is real code on "
      "the build machine. Scanner: %s, run as `leakhound scan --no-ignore --format json --show-secrets` "
      "with an empty config, once per category directory. Seed %d; %d entries; %d positive files, "
      "%d near-miss files. Run time: %s."
      % (args.version, args.seed, len(entries), len(positives), len(near_misses),
         ", ".join("%s %.0f s" % kv for kv in timings.items())))
    w("")
    w("## Summary")
    w("")
    w("| measure | value | target | met |")
    w("|---|---|---|---|")
    r = ratio(*overall)
    w("| recall, all positives | %.3f (%d/%d) | ≥ %.2f | %s |" % (r, overall[0], overall[1], TARGET_RECALL, mark(r >= TARGET_RECALL)))
    for label, group in (("recall, distinctive entries planted bare", bare_d),
                         ("recall, non-distinctive entries with context", ctx_nd),
                         ("recall, distinctive entries with context", ctx_d)):
        f, t = recall_row(group)
        w("| %s | %.3f (%d/%d) | ≥ %.2f | %s |" % (label, ratio(f, t), f, t, TARGET_RECALL, mark(ratio(f, t) >= TARGET_RECALL)))
    nr = ratio(nm_alarm, len(near_misses))
    w("| near-miss false alarms | %.2f%% (%d/%d files) | ≤ %.0f%% | %s |"
      % (100 * nr, nm_alarm, len(near_misses), 100 * TARGET_NEAR_MISS, mark(nr <= TARGET_NEAR_MISS)))
    for src in clean:
        mb = src["stats"].get("bytes", 0) / 1e6
        per = ratio(len(false_positives(src)), mb)
        w("| false positives per MB, %s | %.3f (%d in %.0f MB) | ≤ %.2f | %s |"
          % (src["name"], per, len(false_positives(src)), mb, TARGET_FP_PER_MB, mark(per <= TARGET_FP_PER_MB)))
    control_alarms = sum(1 for c in controls if c.findings)
    partial = [c for c in counted if not c.found_by and c.partial_by]
    w("")
    w("Recall counts files: one planted value per file; a value is found when a finding's secret "
      "holds it or is at least 80%% of it (any rule), or, for a connection URL, is its whole password "
      "(the part between the user's `:` and the last `@`, as the facts define it); %d missed files had "
      "a finding covering only part of the value, counted as missed. %d entries whose kind says \"identifier, not a "
      "secret\" are left out of recall (%s of their %d files were reported). Control files (every "
      "file kind, a harmless value): %d of %d raised a finding."
      % (len(partial), sum(1 for e in entries if e.identifier),
         pct(sum(1 for c in positives if c.entry.identifier and c.found_by), sum(1 for c in positives if c.entry.identifier)),
         sum(1 for c in positives if c.entry.identifier), control_alarms, len(controls)))
    w("")

    # recall per file kind
    w("## Recall per file kind")
    w("")
    w("| file kind | placement | found | files | recall |")
    w("|---|---|---|---|---|")
    for kind in list(embed.CONTEXT_KINDS) + list(embed.BARE_KINDS):
        group = [c for c in counted if c.file_kind == kind]
        f, t = recall_row(group)
        w("| %s | %s | %d | %d | %s |" % (kind, "bare" if kind in embed.BARE_KINDS else "context", f, t, pct(f, t)))
    w("")

    # recall per provider
    w("## Recall per provider")
    w("")
    w("All providers, lowest recall first (files found / planted).")
    w("")
    by_provider = collections.defaultdict(list)
    for c in counted:
        by_provider[c.entry.provider].append(c)
    rows = sorted(by_provider.items(), key=lambda kv: (ratio(*recall_row(kv[1])), kv[0].lower()))
    w("| provider | entries | recall | | provider | entries | recall |")
    w("|---|---|---|---|---|---|---|")
    half = (len(rows) + 1) // 2
    for i in range(half):
        cells = []
        for j in (i, i + half):
            if j < len(rows):
                name, group = rows[j]
                f, t = recall_row(group)
                cells.append("%s | %d | %s (%d/%d)" % (cell(name), len({c.entry.index for c in group}), pct(f, t), f, t))
            else:
                cells.append(" | | ")
        w("| " + " | | ".join(cells) + " |")
    w("")

    # missed entries
    w("## Entries missed")
    w("")
    missed = collections.defaultdict(list)
    for c in counted:
        if not c.found_by:
            missed[c.entry.index].append(c)
    ranked = sorted(missed.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    w("%d entries were missed in at least one file; the %d with the most misses:" % (len(ranked), min(100, len(ranked))))
    w("")
    w("| provider | kind | sample | missed / planted | missed in | part reported by |")
    w("|---|---|---|---|---|---|")
    for index, group in ranked[:100]:
        e = entries[index]
        planted = sum(1 for c in counted if c.entry.index == index)
        kinds = [c.file_kind for c in group]
        where = "all" if len(kinds) == planted else ", ".join(kinds)
        part = sorted({rule for c in group for rule in c.partial_by})
        w("| %s | %s | %s | %d / %d | %s | %s |" % (cell(e.provider), cell(e.kind[:70]), redact(values[index].text),
                                                  len(group), planted, cell(where), ", ".join(part)))
    w("")

    # near misses
    w("## Near-misses")
    w("")
    w("Values built from each entry's shape that are not credentials, planted like the positives "
      "(%d context file kinds per value, rotating, and one bare kind for distinctive entries). "
      "A file with any finding is a false alarm." % NEAR_MISS_FILE_KINDS)
    w("")
    w("| near-miss kind | files | false alarms | rate |")
    w("|---|---|---|---|")
    for kind in nearmiss.KINDS:
        group = [c for c in near_misses if c.near_miss == kind]
        alarms = sum(1 for c in group if c.findings)
        w("| %s | %d | %d | %s |" % (cell(kind), len(group), alarms, pct(alarms, len(group))))
    w("| **all** | %d | %d | %s |" % (len(near_misses), nm_alarm, pct(nm_alarm, len(near_misses))))
    w("")
    w("By placement (distinctive entries are also planted bare; non-distinctive ones only with context):")
    w("")
    w("| near-miss kind | distinctive, bare | distinctive, context | non-distinctive, context |")
    w("|---|---|---|---|")
    groups = [lambda c: c.entry.distinctive and c.mode == "bare",
              lambda c: c.entry.distinctive and c.mode == "context",
              lambda c: not c.entry.distinctive]
    for kind in nearmiss.KINDS + ["all"]:
        cells = []
        for pick in groups:
            group = [c for c in near_misses if pick(c) and kind in ("all", c.near_miss)]
            alarms = sum(1 for c in group if c.findings)
            cells.append("%s (%d/%d)" % (pct(alarms, len(group)), alarms, len(group)))
        w("| %s | %s |" % (cell(kind), " | ".join(cells)))
    w("")
    rule_files = collections.Counter()
    examples = {}
    for c in near_misses:
        for rule in sorted({f["rule_id"] for f in c.findings}):
            rule_files[rule] += 1
            if rule not in examples:
                f = next(f for f in c.findings if f["rule_id"] == rule)
                examples[rule] = "%s, %s (%s, %s): %s" % (cell(c.entry.provider), cell(c.near_miss), c.file_kind,
                                                       c.mode, redact(f.get("secret", "")))
    w("Top 20 rules raising near-miss false alarms (files):")
    w("")
    w("| rule | files | example (provider, near-miss kind, file kind, redacted secret) |")
    w("|---|---|---|")
    for rule, n in rule_files.most_common(20):
        w("| %s | %d | %s |" % (rule, n, examples[rule]))
    w("")

    # clean code
    w("## Clean code")
    w("")
    w("Real code on this machine, each source capped at %d MB on disk (taken in sorted order); every "
      "finding is counted as a false positive, though a test fixture may hold a real-looking key, except "
      "private-key blocks whose DER or openssh structure the scanner decoded: those are real keys (test "
      "certificates' keys, mostly), counted in their own column." % args.clean_cap_mb)
    w("")
    w("| source | files | MB scanned | findings | real private keys | false positives | per MB | seconds |")
    w("|---|---|---|---|---|---|---|---|")
    for src in clean:
        mb = src["stats"].get("bytes", 0) / 1e6
        fps = len(false_positives(src))
        w("| %s | %d | %.1f | %d | %d | %d | %.3f | %.1f |" % (
            src["name"], src["stats"].get("files", 0), mb, len(src["findings"]),
            len(src["findings"]) - fps, fps, ratio(fps, mb), src["seconds"]))
    for src in clean:
        if not src["findings"]:
            continue
        w("")
        w("### %s" % src["name"])
        w("")
        w("| rule | findings | example path | example (redacted) |")
        w("|---|---|---|---|")
        per_rule = collections.Counter(f["rule_id"] for f in src["findings"])
        for rule, n in per_rule.most_common(10):
            f = next(f for f in src["findings"] if f["rule_id"] == rule)
            w("| %s | %d | %s:%d | %s |" % (rule, n, cell(os.path.relpath(f["path"], src["root"])), f.get("line", 0),
                                           redact(f.get("secret", ""))))
        w("")
        w("Files with the most findings: " + ", ".join(
            "%s (%d)" % (cell(os.path.relpath(p, src["root"])), n)
            for p, n in collections.Counter(f["path"] for f in src["findings"]).most_common(5)) + ".")
    w("")

    # generation notes
    w("## How the values were made")
    w("")
    unparsed = [e for e in entries if e.parse_error]
    prose = [e for e in entries if e.facts.get("container") and e.container is None]
    w("- Shapes parsed: %d of %d%s." % (len(entries) - len(unparsed), len(entries),
                                         "" if not unparsed else " (not parsed: " + "; ".join(
                                             "%s: %s" % (cell(e.provider), cell(e.parse_error)) for e in unparsed[:10]) + ")"))
    w("- Containers: %d given, %d in the notation and used (with a key in context files, and as the whole "
      "planted text in bare files: a distinctive entry with a container, a JDBC URL or a .pgpass line, is "
      "distinctive in it); %d written in prose (placed by key instead: %s)."
      % (sum(1 for e in entries if e.facts.get("container")), sum(1 for e in entries if e.container is not None),
         len(prose), ", ".join(sorted({cell(e.provider) for e in prose}))))
    mismatched = [i for i, v in values.items() if not v.matches_shape]
    low = [i for i, v in values.items() if not v.entropy_met]
    w("- Generated values that do not match their own shape: %d; below their min_entropy after %d tries: %d%s."
      % (len(mismatched), ENTROPY_TRIES, len(low),
         "" if not low else " (" + ", ".join(cell(entries[i].provider) for i in low[:10]) + ")"))
    w("- Letter case follows the class as written (`case = \"insensitive\"` entries are not re-cased); "
      "open runs `N+` get N..N+5 chars for classes of 10 or fewer, else max(N,12)..+12; negated "
      "classes draw from letters, digits and `-_.!%*+~`; optional free text in a negated class is left empty.")
    w("")
    w("Checksums (entries with a `checksum` field, and npm tokens, which use GitHub's scheme):")
    w("")
    w("| provider | kind | scheme | checksum of the positive | recall |")
    w("|---|---|---|---|---|")
    for e in entries:
        if e.scheme is None or e.index not in values:
            continue
        scheme = checksums.DESCRIPTIONS.get(e.scheme, "not generated: " + e.facts.get("checksum", "")[:80])
        f, t = recall_row([c for c in positives if c.entry.index == e.index])
        w("| %s | %s | %s | %s | %s |" % (cell(e.provider), cell(e.kind[:50]), cell(scheme), values[e.index].checksum,
                                           pct(f, t)))
    w("")
    w("Limits: values follow the facts' shapes and nothing more. A PEM body is random base64, not "
      "DER; a JWT is random base64url, not encoded JSON; a run the facts give as [A-Za-z0-9] is not "
      "narrowed to hex where the vendor's real tokens are hex. A scanner that checks structure beyond "
      "the facts will miss such values, and the misses above show where the facts and the scanner "
      "disagree (either may be the one to fix).")
    w("")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------
# Main


def parse_args(argv):
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default="target/release/leakhound", help="scanner binary (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=17, help="random seed (default: %(default)s)")
    ap.add_argument("--out", default="bench/QUALITY.md", help="report path (default: %(default)s)")
    ap.add_argument("--clean-cap-mb", type=int, default=CLEAN_CAP_MB, help="MB per clean-code source (default: %(default)s)")
    ap.add_argument("--no-clean", action="store_true", help="skip the clean-code scans")
    ap.add_argument("--keep", metavar="DIR", help="write the generated files to DIR and keep them")
    return ap.parse_args(argv)


def main(argv=None):
    """Generate, scan, score, report."""
    args = parse_args(argv)
    binary = Path(args.binary)
    if not binary.is_absolute():
        binary = (REPO / binary) if (REPO / binary).exists() else binary.resolve()
    if not binary.exists():
        raise SystemExit("scanner not found at %s: run cargo build --release first (or pass --binary)" % args.binary)
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    args.version = version.stdout.strip() or binary.name
    out = Path(args.out) if os.path.isabs(args.out) else REPO / args.out
    timings = {}

    started = time.time()
    rng = random.Random(args.seed)
    entries = load_entries(REPO)
    positives, values = build_positives(entries, rng)
    near_misses = build_near_misses(entries, values, rng)
    controls = build_controls()
    timings["generate"] = time.time() - started

    with tempfile.TemporaryDirectory(prefix="leakhound-quality-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        config = root / "empty-config.toml"
        root.mkdir(parents=True, exist_ok=True)
        config.write_text("")
        for name, cases in (("positives", positives), ("near-misses", near_misses), ("controls", controls)):
            t0 = time.time()
            directory = root / name
            write_cases(directory, cases)
            findings, _stats = run_scanner(binary, config, [directory])
            attach_findings(directory, cases, findings)
            timings[name] = time.time() - t0
            print("%s: %d files, %d findings, %.1f s" % (name, len(cases), len(findings), timings[name]), file=sys.stderr)
        clean = []
        if not args.no_clean:
            t0 = time.time()
            clean = scan_clean(binary, config, args.clean_cap_mb)
            timings["clean code"] = time.time() - t0
    score_positives(positives)
    if args.keep:
        write_index(Path(args.keep) / "cases.jsonl", positives + near_misses + controls)
    write_report(out, args, entries, values, positives, near_misses, controls, clean, timings)
    print("wrote %s" % out, file=sys.stderr)


if __name__ == "__main__":
    main()
