#!/usr/bin/env python3
"""Builds the hostile repositories of issue 15: data git accepts (`git index-pack`, `git fsck`)
that cost a naive reader far more memory than its size.

    bench/make-hostile.py family OUT.git --depth 40 [--size 25165824]
        one blob of SIZE bytes (zeros: the pack is ~33 KB) and a chain of DEPTH deltas on it,
        each level with a leaf delta after it; every object is reachable from refs/heads/main
        (`--shape tree`: a balanced tree of deltas DEPTH levels deep instead)
    bench/make-hostile.py trees OUT.git --depth 1000 [--name-len 2000]
        trees nested DEPTH deep with NAME_LEN-byte names, a keystore file (`keystore.p12`, which
        a file rule reports) at the bottom; packed by git (~104 KB)

The pack of `family` is written byte by byte, since git chooses its own deltas. `--raw FILE`
also writes the pack's index and bytes as one fuzz input (`fuzz/seeds/pack/`): a 4-byte
big-endian index length, the index, the pack.
"""
import argparse
import hashlib
import os
import struct
import subprocess
import zlib


def git(repo, *args, data=None):
    return subprocess.run(["git", "-C", repo, *args], input=data, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def delta(base_len, keep, insert):
    """A delta turning a base of base_len bytes into its first `keep` bytes then `insert`."""
    out = bytearray(varint(base_len) + varint(keep + len(insert)))
    at = 0
    while at < keep:
        size = min(keep - at, 0xFFFF00)
        op, args = 0x80, bytearray()
        for i in range(4):
            if (at >> (8 * i)) & 0xFF:
                op |= 1 << i
                args.append((at >> (8 * i)) & 0xFF)
        for i in range(3):
            if (size >> (8 * i)) & 0xFF:
                op |= 0x10 << i
                args.append((size >> (8 * i)) & 0xFF)
        out.append(op)
        out += args
        at += size
    out.append(len(insert))
    out += insert
    return bytes(out)


def pack_bytes(objects):
    """objects: (type code, data) for whole objects, (("delta", base index), delta) for
    OFS_DELTAs."""
    out = bytearray(b"PACK" + struct.pack(">II", 2, len(objects)))
    offsets = []
    for kind, data in objects:
        offsets.append(len(out))
        code = kind if isinstance(kind, int) else 6
        size = len(data)
        byte = (code << 4) | (size & 15)
        size >>= 4
        while size:
            out.append(byte | 0x80)
            byte = size & 0x7F
            size >>= 7
        out.append(byte)
        if code == 6:
            distance = offsets[-1] - offsets[kind[1]]
            encoded = [distance & 0x7F]
            distance >>= 7
            while distance:
                distance -= 1
                encoded.append(0x80 | (distance & 0x7F))
                distance >>= 7
            out += bytes(reversed(encoded))
        out += zlib.compress(data, 9)
    out += hashlib.sha1(out).digest()
    return bytes(out)


def family(repo, depth, size, shape, raw):
    base = b"\0" * size  # binary: the scan skips it; the reader still resolves every object
    marker = lambda kind, level: f"{kind} {level:09}\n".encode()  # 16 bytes
    objects = [(3, base)]
    if shape == "chain":
        parent = 0
        for level in range(1, depth + 1):
            chain = len(objects)
            objects.append((("delta", parent), delta(size, size - 16, marker("chain", level))))
            objects.append((("delta", parent), delta(size, size - 16, marker("leaf ", level))))
            parent = chain
    else:  # a balanced tree: every object above depth DEPTH has two deltas, each with a family
        level = [0]
        for d in range(depth):
            below = []
            for parent in level:
                for side in range(2):
                    below.append(len(objects))
                    insert = f"{d:02} {parent:06} {side:05}\n".encode()
                    objects.append((("delta", parent), delta(size, size - 16, insert)))
            level = below
    data = pack_bytes(objects)
    name = "pack-" + data[-20:].hex()  # git names a pack after its trailer
    pack = os.path.join(repo, "objects", "pack", name + ".pack")
    with open(pack, "wb") as f:
        f.write(data)
    git(repo, "index-pack", pack)
    # Every object reachable, from one tree (the ids, as git computes them, in pack order).
    ids = [line.split()[0] for line in git(repo, "verify-pack", "-v", pack[:-5] + ".idx")
           .decode().splitlines() if " blob " in line]
    tree = "".join(f"100644 blob {oid}\tb{i:04}\n" for i, oid in enumerate(ids))
    tree_id = git(repo, "mktree", data=tree.encode()).decode().strip()
    commit_id = git(repo, "commit-tree", tree_id, "-m", "family",
                    data=b"").decode().strip()
    git(repo, "update-ref", "refs/heads/main", commit_id)
    git(repo, "fsck", "--no-progress")
    if raw:
        with open(pack[:-5] + ".idx", "rb") as f:
            index = f.read()
        with open(raw, "wb") as f:
            f.write(struct.pack(">I", len(index)) + index + data)


def trees(repo, depth, name_len):
    blob = git(repo, "hash-object", "-w", "--stdin", data=b"\x30\x82\x01\x00 keystore\n")
    entry = f"100644 blob {blob.decode().strip()}\tkeystore.p12\n"
    for level in reversed(range(depth)):
        tree_id = git(repo, "mktree", data=entry.encode()).decode().strip()
        name = f"{level:04}" + "d" * (name_len - 4)
        entry = f"040000 tree {tree_id}\t{name}\n"
    tree_id = git(repo, "mktree", data=entry.encode()).decode().strip()
    commit_id = git(repo, "commit-tree", tree_id, "-m", "deep", data=b"").decode().strip()
    git(repo, "update-ref", "refs/heads/main", commit_id)
    git(repo, "repack", "-adq")
    git(repo, "prune-packed")
    git(repo, "fsck", "--no-progress")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["family", "trees"])
    parser.add_argument("out")
    parser.add_argument("--depth", type=int, required=True)
    parser.add_argument("--size", type=int, default=24 << 20)
    parser.add_argument("--name-len", type=int, default=2000)
    parser.add_argument("--shape", choices=["chain", "tree"], default="chain",
                        help="family: a chain with a leaf on each level, or a balanced tree")
    parser.add_argument("--raw", help="also write the pack and its index as one fuzz input")
    args = parser.parse_args()
    args.out = os.path.abspath(args.out)  # git runs with -C
    env = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com",
           "GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}
    os.environ.update(env)
    subprocess.run(["git", "init", "-q", "--bare", args.out], check=True)
    if args.kind == "family":
        family(args.out, args.depth, args.size, args.shape, args.raw)
    else:
        trees(args.out, args.depth, args.name_len)


if __name__ == "__main__":
    main()
