#!/usr/bin/env python3
"""History provenance, checked against git itself.

    bench/provenance.py check REPO [LEAKHOUND]   check `leakhound history` on any repository
    bench/provenance.py messy DIR [COMMITS]      build a messy history, then check it

`check` runs `leakhound history --show-secrets --format json` and, for every finding, asks git
(never leakhound) whether the named commit holds the secret (`git grep` on its tree) and
whether any of its parents does. A finding is right when the commit holds it and no parent
does; for each place listed in `also_at` as `reintroduced`, the same must hold. It prints the
number of findings, of wrong ones, and the first few wrong ones (redacted).

`messy` builds a repository of COMMITS (default 1,200) random operations on a handful of files
holding fake GitHub tokens (valid checksums, made here at random): add, edit, rename, move with
edits, copy, delete, re-add, revert, branch and merge, all committed in the same second, so
that only the commit graph can order them. Then it runs `check`. Nothing here reads the network.
"""

import json
import os
import random
import subprocess
import sys
import zlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def github_token(rng):
    body = "".join(rng.choice(BASE62) for _ in range(30))
    value, digits = zlib.crc32(body.encode()), []
    while value:
        digits.append(BASE62[value % 62])
        value //= 62
    checksum = "".join(reversed(digits)).rjust(6, "0")
    return "ghp_" + body + checksum


def git(repo, *args, check=True):
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=repo,
               GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com",
               GIT_COMMITTER_NAME="Ada", GIT_COMMITTER_EMAIL="ada@example.com",
               GIT_AUTHOR_DATE="2024-01-01T00:00:00Z", GIT_COMMITTER_DATE="2024-01-01T00:00:00Z")
    result = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=repo, env=env,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {result.stderr}")
    return result


def holds(repo, commit, secret):
    return git(repo, "grep", "-q", "-F", "-e", secret, commit, check=False).returncode == 0


def parents(repo, commit):
    return git(repo, "rev-list", "--parents", "-n", "1", commit).stdout.split()[1:]


def check(repo, leakhound):
    run = subprocess.run([leakhound, "history", "--show-secrets", "--format", "json", "-q",
                          "--no-progress", repo], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        raise SystemExit(f"leakhound failed: {run.stderr}")
    findings = json.loads(run.stdout)["findings"]
    wrong = []
    for finding in findings:
        secret = finding["secret"]
        if not secret:
            continue  # a whole-file finding (a keystore by name)
        named = [(finding["commit"]["id"], finding["path"])]
        named += [(p["commit"], p["path"]) for p in finding.get("also_at", []) if p["reintroduced"]]
        for commit, path in named:
            if not holds(repo, commit, secret):
                wrong.append((finding["rule_id"], path, commit, "the commit does not hold it"))
            elif any(holds(repo, parent, secret) for parent in parents(repo, commit)):
                wrong.append((finding["rule_id"], path, commit, "a parent already holds it"))
    seen = {(f["rule_id"], f["secret"]) for f in findings}
    print(f"findings: {len(findings)}  distinct (rule, secret): {len(seen)}  wrong: {len(wrong)}")
    for rule, path, commit, why in wrong[:10]:
        print(f"  {rule} {path} {commit[:12]}: {why}")
    return 1 if wrong or len(seen) != len(findings) else 0


def messy(repo, commits, rng):
    os.makedirs(repo, exist_ok=False)
    git(repo, "init", "-q", "-b", "main")
    files = {}  # path -> list of lines
    tokens = [github_token(rng) for _ in range(40)]
    dirs = ["config", "deploy", "services/api", "services/web", "scripts"]

    def write_all():
        for path, lines in files.items():
            os.makedirs(os.path.join(repo, os.path.dirname(path)) or repo, exist_ok=True)
            with open(os.path.join(repo, path), "w") as out:
                out.write("".join(lines))

    def commit(message):
        write_all()
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", message)

    def new_path():
        return f"{rng.choice(dirs)}/f{rng.randrange(10**6)}.env"

    files[new_path()] = ["NAME=app\n"]
    commit("root")
    branches = ["main"]
    for n in range(commits):
        op = rng.random()
        if op < 0.25 or not files:
            path = rng.choice(list(files)) if files and rng.random() < 0.6 else new_path()
            files.setdefault(path, []).append(f"TOKEN_{n}={rng.choice(tokens)}\n")
        elif op < 0.40:
            path = rng.choice(list(files))
            files[path].insert(0, f"# edit {n}\n")
        elif op < 0.50:  # rename (git mv), sometimes with an edit
            old = rng.choice(list(files))
            new = new_path()
            os.makedirs(os.path.join(repo, os.path.dirname(new)), exist_ok=True)
            git(repo, "mv", old, new)
            files[new] = files.pop(old)
            if rng.random() < 0.5:
                files[new].append(f"MOVED={n}\n")
        elif op < 0.56:  # copy
            files[new_path()] = list(rng.choice(list(files.values())))
        elif op < 0.66:  # delete a line or a file
            path = rng.choice(list(files))
            if len(files[path]) > 1 and rng.random() < 0.7:
                files[path].pop(rng.randrange(len(files[path])))
            else:
                os.remove(os.path.join(repo, path))
                del files[path]
        elif op < 0.72:  # revert the last commit
            if git(repo, "revert", "--no-edit", "HEAD", check=False).returncode != 0:
                git(repo, "revert", "--abort", check=False)
            files = read_tree(repo)
            continue
        elif op < 0.86:  # switch to (or start) a branch
            name = rng.choice(branches + [f"b{n}"])
            if name not in branches:
                git(repo, "checkout", "-q", "-b", name)
                branches.append(name)
            else:
                git(repo, "checkout", "-q", name)
            files = read_tree(repo)
            continue
        else:  # merge another branch in
            other = rng.choice(branches)
            current = git(repo, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
            if other != current:
                if git(repo, "merge", "-q", "--no-edit", other, check=False).returncode != 0:
                    git(repo, "merge", "--abort", check=False)
                files = read_tree(repo)
            continue
        commit(f"op {n}")
    print(f"built {repo}: {git(repo, 'rev-list', '--all', '--count').stdout.strip()} commits")


def read_tree(repo):
    files = {}
    for path in git(repo, "ls-files").stdout.split():
        with open(os.path.join(repo, path)) as text:
            files[path] = text.readlines()
    return files


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_bin = os.path.join(here, "..", "target", "release", "leakhound")
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        return check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else default_bin)
    if len(sys.argv) >= 3 and sys.argv[1] == "messy":
        commits = int(sys.argv[3]) if len(sys.argv) > 3 else 1200
        messy(sys.argv[2], commits, random.Random(14))
        return check(sys.argv[2], default_bin)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
