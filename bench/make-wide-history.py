#!/usr/bin/env python3
"""Builds a repository of N commits with git fast-import, each commit adding one new file of
SIZE bytes of source-like text (and, every 10th commit, a planted fake secret), for measuring
how peak memory grows with the number of commits and with the size of what they hold.

    bench/make-wide-history.py OUT.git --commits 50000 --size 8192
"""
import argparse
import random
import string
import subprocess
import zlib

WORDS = ["let", "value", "return", "config", "self", "data", "index", "result", "for", "in",
         "if", "else", "match", "Some", "None", "fn", "pub", "struct", "impl", "=", "+", "(", ")"]
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def fake_github_token(rng):
    # Built at run time (random, valid CRC32 checksum), so no token sits in this file.
    body = "".join(rng.choice(BASE62) for _ in range(30))
    crc, digits = zlib.crc32(body.encode()), ""
    while crc:
        crc, d = divmod(crc, 62)
        digits = BASE62[d] + digits
    return "gh" + "p_" + body + digits.rjust(6, "0")


def text(rng, size):
    out, length = [], 0
    while length < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + "\n"
        out.append(line)
        length += len(line)
    return "".join(out)[:size]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--commits", type=int, default=50000)
    parser.add_argument("--size", type=int, default=8192)
    args = parser.parse_args()
    rng = random.Random(7)
    subprocess.run(["git", "init", "-q", "--bare", args.out], check=True)
    fast_import = subprocess.Popen(["git", "-C", args.out, "fast-import", "--quiet"],
                                   stdin=subprocess.PIPE)
    write = fast_import.stdin.write
    for n in range(args.commits):
        content = text(rng, args.size)
        if n % 10 == 0:
            content += f"\ntoken = \"{fake_github_token(rng)}\"\n"
        data = content.encode()
        message = f"commit {n}".encode()
        write(b"commit refs/heads/main\n")
        write(f"committer Bench <bench@example.com> {1600000000 + n * 60} +0000\n".encode())
        write(b"data %d\n%s\n" % (len(message), message))
        write(f"M 100644 inline dir{n % 100:02d}/file{n}.rs\n".encode())
        write(b"data %d\n%s\n" % (len(data), data))
    fast_import.stdin.close()
    if fast_import.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", args.out, "repack", "-adq"], check=True)


if __name__ == "__main__":
    main()
