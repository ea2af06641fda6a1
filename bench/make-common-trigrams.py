#!/usr/bin/env python3
"""Writes src/engine/common-trigrams.txt: the most common case-folded trigrams of ordinary text,
most common first, one per line as 6 hex digits. The keyword matcher anchors each keyword at its
rarest trigram by this table (src/engine/keywords.rs), so the table decides how often the
matcher's first filter passes on text with no keyword in it.

    python3 bench/make-common-trigrams.py [--top 8192] [--cap-mb 24] [--out PATH]

Three kinds of text, weighted equally, each read from what is on the build machine (never from
a benchmark corpus): source code (the cargo registry, Python's standard library), structured
data (JSON, YAML, XML and TOML files anywhere on the machine outside the benchmarks and this
repository) and prose (Markdown, text and HTML documentation: the Rust books, /usr/share/doc).
A table from code alone picked anchors such as `hap` (`shape`) and `ocu` (`document`), common
in every API model and documentation page. Files are taken in sorted order, at most --cap-mb
per kind, at most 256 KiB of each file. Folding is the matcher's: every byte OR 0x20.
"""

import argparse
import collections
import glob
import os
import re
import sys

CODE = (".rs", ".c", ".h", ".py", ".go", ".js", ".ts", ".java", ".rb", ".sh")
DATA = (".json", ".yaml", ".yml", ".xml", ".toml")
PROSE = (".md", ".txt", ".html", ".rst")
SKIP = ("/proc", "/sys", "/dev", "/tmp", "/var/tmp", "/work", "/run")
FOLD = bytes(b | 0x20 for b in range(256))
TAG = re.compile(rb"<[^>]*>")


def files(roots, suffixes):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames
                                 if not os.path.join(dirpath, d).startswith(SKIP))
            for name in sorted(filenames):
                if name.endswith(suffixes):
                    yield os.path.join(dirpath, name)


def count(paths, cap):
    counts = collections.Counter()
    total = 0
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read(256 << 10)
        except OSError:
            continue
        if b"\0" in data[:1024]:
            continue
        if path.endswith(".html"):
            data = TAG.sub(b" ", data)
        data = data.translate(FOLD)
        counts.update(data[i:i + 3] for i in range(len(data) - 2))
        total += len(data)
        if total >= cap:
            break
    return counts, total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", type=int, default=8192)
    ap.add_argument("--cap-mb", type=int, default=24)
    ap.add_argument("--out", default="src/engine/common-trigrams.txt")
    args = ap.parse_args()
    cap = args.cap_mb << 20
    home = os.path.expanduser("~")
    stdlib = os.path.dirname(os.__file__)
    kinds = {
        "code": files([os.path.join(home, ".cargo/registry/src"), stdlib], CODE),
        "data": files(["/"], DATA),
        "prose": files(sorted(glob.glob(os.path.join(home, ".rustup/toolchains/*/share/doc/rust/html")))[:1]
                       + ["/usr/share/doc"], PROSE),
    }
    frequency = collections.Counter()
    for kind, paths in kinds.items():
        counts, total = count(paths, cap)
        print(f"{kind}: {total / 1e6:.1f} MB, {len(counts)} trigrams", file=sys.stderr)
        for trigram, n in counts.items():
            frequency[trigram] += n / total
    top = [trigram for trigram, _ in frequency.most_common(args.top)]
    with open(args.out, "w") as out:
        out.write(f"# The {len(top):,} most common case-folded trigrams of ordinary text: source code, structured\n"
                  "# data and prose, weighted equally, most common first, as hex. Written by\n"
                  "# bench/make-common-trigrams.py; used to pick rare keyword anchors. See engine/keywords.rs.\n")
        for trigram in top:
            out.write(trigram.hex() + "\n")


if __name__ == "__main__":
    main()
