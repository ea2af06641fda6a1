"""The shape notation of docs/token-formats: parser, generator and regex translation.

A shape is a sequence of items:

    `literal`                 text in backticks, verbatim (a `\\n` inside stays backslash-n: the
                              facts use it for JSON-escaped line breaks, as in a service-account
                              key's private_key)
    N [class]                 exactly N characters of a class
    N-M [class], N+ [class]   a bounded or open-ended run
    N digits, N `lit`         `digits` is [0-9]; a count before a literal repeats it
    ( a | b )                 alternatives (each a sequence)
    ( ... )?                  an optional group
    ( ... ) x N, x N-M, x N+  a repeated group
    {secret}                  only in `container`: where the value goes

Classes are written like regex classes (`[A-Za-z0-9_-]`, `[^\\s/@]`, `[\\x00-\\xff]`); the
one class written in words, `[any char except newline]`, is read as `[^\\n]`.

The parser builds a small tree of Node objects; `generate` walks it with a random.Random and
returns the value as a list of Piece(text, kind) so later steps can tell literal text from
random text (to build placeholders, truncations and so on); `to_regex` turns the tree into a
Python regex used only to check our own generated values against the facts.
"""

import re
import string
from dataclasses import dataclass, field


class ShapeError(ValueError):
    """A shape (or container) that the notation parser cannot read."""


# ---------------------------------------------------------------------------
# Character classes

WHITESPACE = " \t\n\r\f\v"
ALL_BYTES = frozenset(chr(c) for c in range(256))


@dataclass(frozen=True)
class CharClass:
    """A set of characters; `negated` means every character except `chars`."""

    chars: frozenset
    negated: bool = False
    text: str = ""

    def contains(self, ch, ignore_case=False):
        """True when `ch` belongs to the class (optionally ignoring letter case)."""
        candidates = {ch, ch.lower(), ch.upper()} if ignore_case else {ch}
        hit = any(c in self.chars for c in candidates)
        return not hit if self.negated else hit

    def members(self):
        """The class's characters within Latin-1 (what we may generate from)."""
        if self.negated:
            return frozenset(c for c in ALL_BYTES if c not in self.chars)
        return self.chars

    def regex(self):
        """The class as a Python regex character class."""
        body = "".join(_class_escape(c) for c in sorted(self.chars))
        if self.negated:
            return "[^" + body + "]" if body else "[\\s\\S]"
        return "[" + body + "]"


def _class_escape(ch):
    """Escape one character for use inside a regex character class."""
    if ch in "\\]^-[":
        return "\\" + ch
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    if ord(ch) < 32 or ord(ch) > 126:
        return "\\x%02x" % ord(ch)
    return ch


def parse_class(text):
    """Parse the inside of `[...]` (without the brackets) into a CharClass."""
    if text.strip() == "any char except newline":
        return CharClass(frozenset("\n"), True, text)
    negated = text.startswith("^")
    body = text[1:] if negated else text
    items = []  # single characters, or sets for \s / \S
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "s":
                items.append(frozenset(WHITESPACE))
                i += 2
                continue
            if nxt == "S":
                items.append(frozenset(c for c in ALL_BYTES if c not in WHITESPACE))
                i += 2
                continue
            if nxt == "x":
                items.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
            items.append({"n": "\n", "r": "\r", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        items.append(ch)
        i += 1
    chars = set()
    j = 0
    while j < len(items):
        item = items[j]
        is_range = (
            isinstance(item, str)
            and j + 2 < len(items)
            and items[j + 1] == "-"
            and isinstance(items[j + 2], str)
        )
        if is_range:
            lo, hi = ord(item), ord(items[j + 2])
            if lo > hi:
                raise ShapeError("bad range in class [%s]" % text)
            chars.update(chr(c) for c in range(lo, hi + 1))
            j += 3
        elif isinstance(item, str):
            chars.add(item)
            j += 1
        else:
            chars.update(item)
            j += 1
    return CharClass(frozenset(chars), negated, text)


DIGITS = CharClass(frozenset(string.digits), False, "0-9")


# ---------------------------------------------------------------------------
# The tree


@dataclass
class Lit:
    """Literal text."""

    text: str


@dataclass
class Run:
    """lo..hi characters of a class (hi None: open-ended)."""

    cls: CharClass
    lo: int
    hi: object


@dataclass
class Seq:
    """Items one after another."""

    items: list


@dataclass
class Alt:
    """One of several sequences."""

    branches: list


@dataclass
class Rep:
    """A node repeated lo..hi times (hi None: open-ended); `( ... )?` is Rep(node, 0, 1)."""

    node: object
    lo: int
    hi: object


@dataclass
class Slot:
    """`{secret}` in a container."""


# ---------------------------------------------------------------------------
# Tokenizer and parser

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lit>`[^`]*`)
      | (?P<cls>\[(?:\\.|[^\]\\])*\])
      | (?P<count>\d+(?:-\d+|\+)?)
      | (?P<digits>digits\b)
      | (?P<slot>\{secret\})
      | (?P<punct>[()|?])
      | (?P<times>x(?=\s))
    )""",
    re.VERBOSE,
)


def tokenize(shape):
    """Split a shape into (kind, text) tokens; raise ShapeError on anything else."""
    tokens = []
    pos = 0
    shape = shape.rstrip()
    while pos < len(shape):
        m = _TOKEN.match(shape, pos)
        if not m or m.end() == pos:
            raise ShapeError("cannot read %r at %d" % (shape[pos:pos + 20], pos))
        kind = m.lastgroup
        text = m.group(kind)
        tokens.append((kind, text))
        pos = m.end()
    return tokens


def _parse_count(text):
    """'12' -> (12, 12); '3-8' -> (3, 8); '4+' -> (4, None)."""
    if text.endswith("+"):
        return int(text[:-1]), None
    if "-" in text:
        lo, hi = text.split("-")
        return int(lo), int(hi)
    return int(text), int(text)


class _Parser:
    """Recursive-descent parser over the token list."""

    def __init__(self, tokens, allow_slot):
        self.tokens = tokens
        self.pos = 0
        self.allow_slot = allow_slot

    def peek(self, offset=0):
        """The token `offset` ahead, or (None, None) at the end."""
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else (None, None)

    def take(self):
        """Consume and return the next token."""
        tok = self.peek()
        self.pos += 1
        return tok

    def parse_seq(self, stop):
        """Items until a token in `stop` (or the end)."""
        items = []
        while True:
            kind, text = self.peek()
            if kind is None or (kind == "punct" and text in stop):
                return Seq(items)
            items.append(self.parse_item())

    def parse_item(self):
        """One literal, run, slot or group (with its ? or x suffix)."""
        kind, text = self.take()
        if kind == "lit":
            return Lit(text[1:-1])
        if kind == "slot":
            if not self.allow_slot:
                raise ShapeError("{secret} outside a container")
            return Slot()
        if kind == "count":
            lo, hi = _parse_count(text)
            nkind, ntext = self.take()
            if nkind == "cls":
                return Run(parse_class(ntext[1:-1]), lo, hi)
            if nkind == "digits":
                return Run(DIGITS, lo, hi)
            if nkind == "lit":
                return Rep(Lit(ntext[1:-1]), lo, hi)
            raise ShapeError("a count must precede a class, `digits` or a literal, not %r" % ntext)
        if kind == "punct" and text == "(":
            branches = [self.parse_seq({"|", ")"})]
            while self.peek() == ("punct", "|"):
                self.take()
                branches.append(self.parse_seq({"|", ")"}))
            if self.take() != ("punct", ")"):
                raise ShapeError("unclosed group")
            node = branches[0] if len(branches) == 1 else Alt(branches)
            if self.peek() == ("punct", "?"):
                self.take()
                return Rep(node, 0, 1)
            if self.peek()[0] == "times":
                self.take()
                ckind, ctext = self.take()
                if ckind != "count":
                    raise ShapeError("`x` must be followed by a count")
                lo, hi = _parse_count(ctext)
                return Rep(node, lo, hi)
            return node
        raise ShapeError("unexpected %r" % text)


def parse(shape, allow_slot=False):
    """Parse a shape (or, with allow_slot, a container) into a Seq; raise ShapeError."""
    parser = _Parser(tokenize(shape), allow_slot)
    seq = parser.parse_seq(set())
    if parser.pos != len(parser.tokens):
        raise ShapeError("unexpected %r" % (parser.peek()[1],))
    if not seq.items:
        raise ShapeError("empty shape")
    return seq


def has_slot(node):
    """True when the tree holds a `{secret}` slot."""
    if isinstance(node, Slot):
        return True
    if isinstance(node, Seq):
        return any(has_slot(n) for n in node.items)
    if isinstance(node, Alt):
        return any(has_slot(b) for b in node.branches)
    if isinstance(node, Rep):
        return has_slot(node.node)
    return False


# ---------------------------------------------------------------------------
# Regex translation (to check our own generated values against the facts)


def to_regex(node):
    """The tree as a Python regex string (a slot becomes `(?P<secret>.*?)`)."""
    if isinstance(node, Lit):
        return re.escape(node.text)
    if isinstance(node, Run):
        return node.cls.regex() + _quant(node.lo, node.hi)
    if isinstance(node, Seq):
        return "".join(to_regex(n) for n in node.items)
    if isinstance(node, Alt):
        return "(?:" + "|".join(to_regex(b) for b in node.branches) + ")"
    if isinstance(node, Rep):
        return "(?:" + to_regex(node.node) + ")" + _quant(node.lo, node.hi)
    if isinstance(node, Slot):
        return "(?P<secret>[\\s\\S]*?)"
    raise TypeError(node)


def _quant(lo, hi):
    """A regex quantifier for lo..hi."""
    if hi is None:
        return "{%d,}" % lo
    if lo == hi:
        return "{%d}" % lo
    return "{%d,%d}" % (lo, hi)


def compile_shape(tree, ignore_case):
    """Compile a parsed shape for re.fullmatch checks."""
    return re.compile(to_regex(tree), re.IGNORECASE if ignore_case else 0)


# ---------------------------------------------------------------------------
# Generation

# Characters we leave out when a class also holds letters or digits: they are legal, but a
# random scatter of quotes, backslashes and whitespace inside a token is not what real values
# look like, and it would make every file kind's quoting the subject of the test.
_AWKWARD = set(WHITESPACE) | set("\"'`\\,")
# What we draw from for negated classes like [^\s] (passwords, URL parts): readable ASCII.
_NEGATED_POOL = string.ascii_letters + string.digits + "-_.!%*+~"
# Words used to fill container parts (user names, hosts) so they read as ordinary text.
_FILLER_WORDS = ["app", "main", "local", "example", "prod", "admin", "db"]


@dataclass
class Piece:
    """A piece of a generated value: its text, and 'lit' (from a literal), 'run' (random) or
    'filler' (readable text in a container).

    For a run we keep the class, to build near-misses (wrong alphabet) later."""

    text: str
    kind: str
    cls: object = None
    lo: int = 0
    hi: object = None


def generation_pool(cls):
    """The characters we draw from for a class (see _AWKWARD and _NEGATED_POOL)."""
    if cls.negated:
        pool = [c for c in _NEGATED_POOL if cls.contains(c)]
    else:
        members = sorted(cls.members())
        has_alnum = any(c.isalnum() and c.isascii() for c in members)
        if has_alnum:
            pool = [c for c in members if c not in _AWKWARD and " " <= c <= "~"]
        else:
            pool = [c for c in members if c in " \t\n"] or members
    if not pool:
        raise ShapeError("class [%s] has nothing to generate from" % cls.text)
    return pool


@dataclass
class GenOptions:
    """How to pick lengths and characters.

    at_min: every run and repetition at its minimum (used for one-character-short values).
    filler: readable text instead of random characters (for container parts around a value),
            with the value's pieces in `secret` and matching quotes (`quote`).
    """

    at_min: bool = False
    filler: bool = False
    secret: list = field(default_factory=list)  # pieces of the value, for a container's slot
    quote: object = None  # in a container, the quote chosen first ("" for none), reused after
    short_open: object = None  # open runs under 8 stay short (set by generate, see _run_length)


def _run_length(rng, lo, hi, pool_size, opts):
    """Pick a length for a run of lo..hi characters (hi None: open-ended).

    Open runs: `0+` gives 0..6; classes of 10 or fewer chars give N..N+5; a short open run
    (N < 8) in a shape that has a long run elsewhere is a segment (`sk_` 1+ [a-z] `_` 40 ...)
    and gives N..N+7; otherwise the run is the value's body (a password, `1+ [^\\s]`) and gives
    max(N, 12)..max(N, 12)+12."""
    if opts.at_min:
        return lo
    if hi is not None:
        return rng.randint(lo, hi)
    if lo == 0:
        return rng.randint(0, 6)
    if pool_size <= 10:
        return rng.randint(lo, lo + 5)
    if lo < 8 and opts.short_open:
        return rng.randint(lo, lo + 7)
    base = max(lo, 12)
    return rng.randint(base, base + 12)


def longest_min_run(node):
    """The largest minimum length of any run in the tree."""
    if isinstance(node, Run):
        return node.lo
    if isinstance(node, Seq):
        return max([longest_min_run(n) for n in node.items] or [0])
    if isinstance(node, Alt):
        return max([longest_min_run(b) for b in node.branches] or [0])
    if isinstance(node, Rep):
        return longest_min_run(node.node)
    return 0


def _random_run(rng, pool, length):
    """`length` random characters from `pool`, never the same character 4 times in a row."""
    out = []
    for _ in range(length):
        ch = rng.choice(pool)
        tries = 0
        while len(pool) > 2 and len(out) >= 3 and out[-1] == out[-2] == out[-3] == ch and tries < 10:
            ch = rng.choice(pool)
            tries += 1
        out.append(ch)
    return "".join(out)


def _filler_run(cls, lo, hi):
    """Readable text for a run inside a container (user names, hosts, separators).

    Whitespace classes give one space, and so do other classes that allow a space when the
    run may be empty; digits give "5432"; a fixed run of 8 or more gives zeros; other classes
    give the first of _FILLER_WORDS they allow, repeated or cut to fit (space_fillers then
    puts spaces around a word that would otherwise run into its neighbours)."""
    pool = generation_pool(cls)
    top = hi if hi is not None else max(lo, 8)
    if all(c in WHITESPACE for c in pool):
        return (" " if " " in pool else pool[0]) * max(lo, 1) if top >= 1 else ""
    if cls.contains(" ") and lo == 0:
        return " " * min(top, 1)
    if set(pool) <= set(string.digits):
        want = max(lo, min(4, top))
        return ("5432" * (want // 4 + 1))[:want]
    if lo == top and lo >= 8:
        return ("0" if "0" in pool else pool[0]) * lo
    for word in _FILLER_WORDS:
        if all(cls.contains(c) for c in word):
            want = min(top, max(lo, len(word)))
            return (word * (want // len(word) + 1))[:want]
    return ("0" if "0" in pool else pool[0]) * lo


def _alt_weight(branch):
    """Weight of an alternative: a one-character class branch counts as its class size."""
    if isinstance(branch, Seq) and len(branch.items) == 1:
        item = branch.items[0]
        if isinstance(item, Run) and item.lo == item.hi == 1:
            return len(generation_pool(item.cls))
    return 1


def generate(node, rng, opts=None):
    """Generate text for a tree; returns a list of Piece."""
    opts = opts or GenOptions()
    if opts.short_open is None:
        opts.short_open = longest_min_run(node) >= 8
    pieces = []
    _gen(node, rng, opts, pieces)
    if opts.filler:
        space_fillers(pieces)
    return pieces


def space_fillers(pieces):
    """Put a space between a filler word and a neighbouring word when the filler's class
    allows spaces: `<machineKey` + `app` + `validationKey=` reads `<machineKey app validationKey=`."""
    for i, p in enumerate(pieces):
        if p.kind != "filler" or not p.text.strip() or p.text != p.text.strip() or not p.cls.contains(" "):
            continue
        before = pieces[i - 1].text if i > 0 else ""
        after = pieces[i + 1].text if i + 1 < len(pieces) else ""
        if before[-1:].isalnum():
            p.text = " " + p.text
        if after[:1].isalnum() or after[:1] == "-":
            p.text = p.text + " "


def quote_choices(node):
    """The texts a node made only of quote characters can produce (`( ' | " )?` gives
    ["", "'", '"']), or None for any other node."""
    if isinstance(node, Lit):
        return [node.text] if node.text in ("'", '"') else None
    if isinstance(node, Seq) and len(node.items) == 1:
        return quote_choices(node.items[0])
    if isinstance(node, Alt):
        choices = [quote_choices(b) for b in node.branches]
        return None if None in choices else [c for group in choices for c in group]
    if isinstance(node, Rep) and node.lo == 0 and node.hi == 1:
        inner = quote_choices(node.node)
        return None if inner is None else [""] + inner
    return None


def _gen(node, rng, opts, out):
    """Append the pieces for `node` to `out`."""
    choices = quote_choices(node) if opts.filler and not isinstance(node, Lit) else None
    if choices is not None:
        # Quotes around a value in a container match: the first choice is kept for the rest.
        if opts.quote is None:
            opts.quote = rng.choice(choices)
        text = opts.quote if opts.quote in choices else ("" if "" in choices else choices[0])
        out.append(Piece(text, "lit"))
        return
    if isinstance(node, Lit):
        out.append(Piece(node.text, "lit"))
    elif isinstance(node, Slot):
        out.extend(opts.secret)
    elif isinstance(node, Run):
        pool = generation_pool(node.cls)
        if opts.filler:
            out.append(Piece(_filler_run(node.cls, node.lo, node.hi), "filler", node.cls, node.lo, node.hi))
            return
        if node.cls.negated and node.lo == 0:
            text = ""  # optional free text (a PEM label, say) is left out
        else:
            text = _random_run(rng, pool, _run_length(rng, node.lo, node.hi, len(pool), opts))
        out.append(Piece(text, "run", node.cls, node.lo, node.hi))
    elif isinstance(node, Seq):
        for item in node.items:
            _gen(item, rng, opts, out)
    elif isinstance(node, Alt):
        weights = [_alt_weight(b) for b in node.branches]
        _gen(rng.choices(node.branches, weights)[0], rng, opts, out)
    elif isinstance(node, Rep):
        if opts.at_min:
            count = node.lo
        elif node.hi is None:
            count = rng.randint(node.lo, node.lo + 3)
        elif node.lo == 0 and node.hi == 1:
            count = rng.randint(0, 1)
        else:
            count = rng.randint(node.lo, node.hi)
        for _ in range(count):
            _gen(node.node, rng, opts, out)
    else:
        raise TypeError(node)


def text_of(pieces):
    """The generated string."""
    return "".join(p.text for p in pieces)
