#!/usr/bin/env python3
"""Builds a git repository with a long history out of real source files, for benchmarks.

No network is needed: the content comes from a directory on this machine (default: the cargo
registry sources). Each commit adds a few files and edits a few earlier ones (a line inserted
at a random place), so blobs, trees and deltas look like a real project's. About one commit in
500 plants a fake GitHub token (valid checksum, random), and some of those are deleted later,
so a history scan has something to find. The result is deterministic for a given seed.

usage: make-history.py DEST [--source DIR] [--commits N] [--seed S] [--gc aggressive|plain] [--dense]

`--gc plain` packs with git's default delta window instead of `gc --aggressive`, which takes
hours on a few hundred thousand commits; the packs are then larger, the history the same.

`--dense` makes a finding-dense history instead, like a secret scanner's own repository: a few
test-fixture files hold dozens of fake credentials of ten providers each (GitHub, GitLab, npm,
Slack, Stripe, AWS, SendGrid, Twilio, a PEM private key, a Postgres URL), and every commit edits
one of them (a credential added, one replaced), so thousands of blobs each hold dozens of
matches and most secrets recur in hundreds of blobs.
"""
import argparse
import os
import random
import string
import subprocess
import sys
import zlib

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(value, width):
    digits = []
    while value:
        value, rest = divmod(value, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def fake_token(rng):
    body = "".join(rng.choice(BASE62) for _ in range(30))
    return "gh" + "p_" + body + base62(zlib.crc32(body.encode()), 6)


def random_text(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def fake_credential(rng):
    """One line of a test fixture holding a fake credential of a random provider. Checksummed
    formats get a valid checksum; nothing here is a real key."""
    alnum = string.ascii_letters + string.digits
    kind = rng.randrange(10)
    if kind == 0:
        return f"github_token: {fake_token(rng)}"
    if kind == 1:
        return f"gitlab_token: glpat-{random_text(rng, alnum + '-_', 20)}"
    if kind == 2:
        body = random_text(rng, BASE62, 30)
        return f"npm_token: npm_{body}{base62(zlib.crc32(body.encode()), 6)}"
    if kind == 3:
        team = rng.randrange(10**10, 10**11)
        bot = rng.randrange(10**12, 10**13)
        return f"slack_bot_token: xoxb-{team}-{bot}-{random_text(rng, alnum, 24)}"
    if kind == 4:
        return f"stripe_key: sk_live_{random_text(rng, alnum, 24)}"
    if kind == 5:
        key_id = "AKIA" + random_text(rng, string.ascii_uppercase + "234567", 16)
        secret = random_text(rng, alnum + "+/", 40)
        return f"aws_access_key_id: {key_id}\naws_secret_access_key: {secret}"
    if kind == 6:
        return (f"sendgrid_api_key: SG.{random_text(rng, alnum + '-_', 22)}"
                f".{random_text(rng, alnum + '-_', 43)}")
    if kind == 7:
        return (f"twilio_api_key: SK{random_text(rng, string.hexdigits[:16], 32)}\n"
                f"twilio_api_secret: {random_text(rng, alnum, 32)}")
    if kind == 8:
        body = [random_text(rng, alnum + "+/", 64) for _ in range(12)]
        return ("private_key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  "
                + "\n  ".join(body) + "\n  -----END RSA PRIVATE KEY-----")
    password = random_text(rng, alnum, 16)
    return f"database_url: postgres://app:{password}@db-{rng.randrange(100)}.internal:5432/app"


def dense_fixture_edit(rng, contents, n):
    """Adds a credential to one of eight fixture files and replaces another in it."""
    rel = f"tests/fixtures/credentials-{rng.randrange(8)}.yaml"
    entries = contents.get(rel, b"").decode().split("\n# case\n") if rel in contents else []
    entries.append(f"{fake_credential(rng)}\nnote: case {n}")
    if len(entries) > 3:
        entries[rng.randrange(len(entries))] = f"{fake_credential(rng)}\nnote: replaced in {n}"
    return rel, "\n# case\n".join(entries).encode()


def source_files(root):
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                if 0 < os.path.getsize(path) <= 200_000 and not os.path.islink(path):
                    files.append(path)
            except OSError:
                pass
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest")
    parser.add_argument("--source", default=os.path.expanduser("~/.cargo/registry/src"))
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--gc", choices=["aggressive", "plain"], default="aggressive")
    parser.add_argument("--dense", action="store_true", help="a finding-dense history")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = source_files(args.source)
    if not files:
        sys.exit(f"no source files under {args.source}")
    subprocess.run(["git", "init", "-q", "--bare", args.dest], check=True)
    importer = subprocess.Popen(
        ["git", "-C", args.dest, "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    out = importer.stdin
    contents = {}  # path in repo -> bytes
    tracked = []
    next_file = 0
    planted = []
    when = 1_500_000_000
    for n in range(args.commits):
        changes = {}
        for _ in range(3):
            if next_file < len(files):
                src = files[next_file]
                next_file += 1
                rel = "src/" + os.path.relpath(src, args.source)
                with open(src, "rb") as handle:
                    changes[rel] = handle.read()
                tracked.append(rel)
        for _ in range(2 if next_file < len(files) else 5):
            if tracked:
                rel = rng.choice(tracked)
                lines = (changes.get(rel) or contents[rel]).split(b"\n")
                at = rng.randrange(len(lines) + 1)
                lines.insert(at, f"// edit {n}: {rng.getrandbits(48):012x}".encode())
                changes[rel] = b"\n".join(lines)
        deletes = []
        if args.dense:
            rel, data = dense_fixture_edit(rng, {**contents, **changes}, n)
            changes[rel] = data
        if n % 500 == 250:
            rel = f"config/secrets-{n}.env"
            changes[rel] = f"API_HOST=api.internal\nGITHUB_TOKEN={fake_token(rng)}\n".encode()
            planted.append(rel)
            tracked.append(rel)
        if n % 1000 == 750 and planted:
            gone = planted.pop(0)
            deletes.append(gone)
            tracked.remove(gone)
            contents.pop(gone, None)
            changes.pop(gone, None)
        when += 600
        message = f"commit {n}: update {len(changes)} files\n".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(f"committer Bench Bot <bench@example.com> {when} +0000\n".encode())
        out.write(f"data {len(message)}\n".encode() + message)
        for rel in deletes:
            out.write(f"D {rel}\n".encode())
        for rel, data in changes.items():
            contents[rel] = data
            out.write(f"M 100644 inline {rel}\n".encode())
            out.write(f"data {len(data)}\n".encode() + data + b"\n")
    out.write(b"done\n")
    out.close()
    if importer.wait() != 0:
        sys.exit("git fast-import failed")
    gc = ["--aggressive"] if args.gc == "aggressive" else []
    subprocess.run(["git", "-C", args.dest, "gc", "-q", *gc, "--prune=now"], check=True)
    print(f"{args.dest}: {args.commits} commits, {len(contents)} files at the tip, {next_file} source files used")


if __name__ == "__main__":
    main()
