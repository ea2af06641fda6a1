"""Near-misses: values built from an entry's shape that are NOT its credential.

Each builder returns a string, or None when the kind does not apply to the entry (no fixed
run to shorten, no checksum we can break, a class with no character outside it...). A near-miss
that still matches the entry's shape (checked with the facts-derived regex) is dropped for the
kinds that are meant to break the shape (one char short, wrong alphabet).
"""

import string

import checksums
from shapes import GenOptions, generate, text_of

ONE_SHORT = "one char short"
WRONG_CHECKSUM = "wrong checksum"
WRONG_ALPHABET = "wrong alphabet"
XXXX = "placeholder xxxx"
ANGLE = "placeholder <your-token>"
ENV_REF = "placeholder ${VAR}"
CHANGEME = "placeholder changeme"
YOUR_KEY_HERE = "placeholder YOUR_API_KEY_HERE"
DOC_EXAMPLE = "doc: prefix + EXAMPLE"
DOC_ZEROS = "doc: prefix + 0000"
DOC_SEQUENCE = "doc: prefix + 1234"

KINDS = [ONE_SHORT, WRONG_CHECKSUM, WRONG_ALPHABET, XXXX, ANGLE, ENV_REF, CHANGEME, YOUR_KEY_HERE,
         DOC_EXAMPLE, DOC_ZEROS, DOC_SEQUENCE]
# Kinds that look like the value itself (so they are also planted bare for distinctive entries).
VALUE_SHAPED = {ONE_SHORT, WRONG_CHECKSUM, WRONG_ALPHABET, XXXX, DOC_EXAMPLE, DOC_ZEROS, DOC_SEQUENCE}

# Characters tried, in order, as "outside the class" for wrong-alphabet values.
_OUTSIDE = "Qq7-_.~+/:"


def one_short(tree, rx, rng):
    """Every run at its minimum length, then one character cut from the middle of the longest
    run (a fixed-length run if there is one). None when the longest run is under 8 chars."""
    pieces = generate(tree, rng, GenOptions(at_min=True))
    runs = [i for i, p in enumerate(pieces) if p.kind == "run" and len(p.text) >= 8]
    if not runs:
        return None
    fixed = [i for i in runs if pieces[i].lo == pieces[i].hi]
    target = max(fixed or runs, key=lambda i: len(pieces[i].text))
    text = pieces[target].text
    mid = len(text) // 2
    pieces[target].text = text[:mid] + text[mid + 1:]
    value = text_of(pieces)
    return None if rx.fullmatch(value) else value


def wrong_alphabet(tree, rx, ignore_case, rng):
    """A value with one character in the middle of its longest run replaced by a character
    outside that run's class. None for negated classes ([^\\s] and the like)."""
    pieces = generate(tree, rng)
    runs = [i for i, p in enumerate(pieces) if p.kind == "run" and len(p.text) >= 8 and not p.cls.negated]
    if not runs:
        return None
    target = max(runs, key=lambda i: len(pieces[i].text))
    cls = pieces[target].cls
    outside = [c for c in _OUTSIDE if not cls.contains(c, ignore_case)]
    if not outside:
        return None
    text = pieces[target].text
    mid = len(text) // 2
    pieces[target].text = text[:mid] + outside[0] + text[mid + 1:]
    value = text_of(pieces)
    return None if rx.fullmatch(value) else value


def wrong_checksum(scheme, valid_value, rng):
    """The valid value with its checksum broken (None when we do not compute the scheme)."""
    if scheme is None or scheme == checksums.NOT_GENERATED:
        return None
    return checksums.make_invalid(scheme, valid_value, rng)


def _masked(pieces, fill):
    """Literal pieces kept; every character of the random runs replaced by fill(i) (i counts
    the run characters), except whitespace, so multi-line values keep their lines."""
    out = []
    i = 0
    for p in pieces:
        if p.kind == "lit":
            out.append(p.text)
            continue
        for ch in p.text:
            if ch.isspace():
                out.append(ch)
            else:
                out.append(fill(i))
                i += 1
    return "".join(out)


def masked_values(tree, rng):
    """xxxx, 0000 and 1234 forms (the literal prefix and separators kept, same length)."""
    pieces = generate(tree, rng)
    return {
        XXXX: _masked(pieces, lambda i: "x"),
        DOC_ZEROS: _masked(pieces, lambda i: "0"),
        DOC_SEQUENCE: _masked(pieces, lambda i: "1234567890"[i % 10]),
    }


def doc_example(tree, rng):
    """AKIAIOSFODNN7EXAMPLE-style: the value with its last 7 random chars replaced by EXAMPLE
    (lower case when the last run's class has no upper case). None for short values."""
    pieces = generate(tree, rng)
    runs = [p for p in pieces if p.kind == "run" and not p.text.isspace()]
    if sum(len(p.text) for p in runs) < 12 or not runs or len(runs[-1].text) < 7:
        return None
    last = runs[-1]
    word = "EXAMPLE" if any(c in string.ascii_uppercase for c in last.cls.members()) else "example"
    last.text = last.text[:-7] + word
    return text_of(pieces)


def placeholders(key):
    """Placeholder texts named after the entry's key."""
    leaf = "-".join(key.leaf)
    return {
        ANGLE: "<your-" + leaf + ">",
        ENV_REF: "${" + key.upper() + "}",
        CHANGEME: "changeme",
        YOUR_KEY_HERE: "YOUR_API_KEY_HERE",
    }
