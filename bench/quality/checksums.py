"""Checksums named in the facts' `checksum` field: which we can compute, and how.

`scheme_of(entry)` reads an entry's checksum text and returns a scheme name, or None when
the entry has no checksum, or NOT_GENERATED when the text names one we cannot compute (a
keyed HMAC, an unpublished algorithm, a MAC over a whole file) or is a note rather than a
check. `make_valid(scheme, value, rng)` rewrites a generated value so its checksum holds;
`make_invalid(scheme, value, rng)` rewrites it so the checksum fails (a near-miss).
Both return None when the value is not one the scheme covers (a `ghr_` GitHub token, say).
"""

import base64
import json
import re
import string
import zlib

NOT_GENERATED = "not generated"

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BASE64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
# Last base64 character before `=` / `==` when the padding bits are zero.
PAD1_OK = "AEIMQUYcgkosw048"
PAD2_OK = "AQgw"
# bcrypt's alphabet is ./A-Za-z0-9; the 22nd salt char and the 31st hash char carry zero bits.
BCRYPT_SALT_LAST = ".Oeu"
BCRYPT_HASH_LAST = ".CGKOSWaeimquy26"
BCRYPT_ALPHABET = "./" + string.ascii_uppercase + string.ascii_lowercase + string.digits

GITHUB_STYLE = re.compile(r"^(ghp|gho|ghu|ghs|npm)_", re.IGNORECASE)

# What each scheme is, for the report.
DESCRIPTIONS = {
    "github-crc32": "last 6 of the 36-char body = base62(CRC32(first 30)) (GitHub; npm uses the same scheme)",
    "base64-padding": "base64 of whole bytes: the char before `=`/`==` has zero padding bits",
    "bcrypt-padding": "bcrypt salt/hash last chars have zero padding bits",
    "grafana-crc32": "trailing 8 hex = CRC32 of the text before the last `_`",
    "bech32": "Bech32 checksum over HRP `age-secret-key-` and the data",
    "discord-snowflake": "first segment = unpadded base64 of a 17-20 digit snowflake",
    "grafana-json": "base64 of JSON {\"k\":...,\"n\":...,\"id\":N}",
    "basic-auth": "base64 of `user:password`",
}


def scheme_of(entry):
    """The checksum scheme for an entry (see the module docstring)."""
    text = entry.get("checksum", "")
    shape = entry.get("shape", "")
    if not text:
        # npm granular tokens carry GitHub's checksum; the facts leave the field empty.
        if shape.startswith("`npm_` 36") or "`npm_` 36 [A-Za-z0-9]" in shape:
            return "github-crc32"
        return None
    if "base62" in text and "CRC32" in text:
        return "github-crc32"
    if PAD1_OK in text or PAD2_OK in text:
        return "base64-padding"
    if BCRYPT_SALT_LAST in text:
        return "bcrypt-padding"
    if "CRC32 of the preceding" in text:
        return "grafana-crc32"
    if "Bech32" in text:
        return "bech32"
    if "snowflake" in text:
        return "discord-snowflake"
    if '{"k"' in text:
        return "grafana-json"
    if "decodes to" in text and "`:`" in text or "user:secret" in text:
        return "basic-auth"
    return NOT_GENERATED


# ---------------------------------------------------------------------------
# Helpers


def base62_crc32(text):
    """GitHub's checksum: CRC32 of `text` in base62, left-padded with zeros to 6 chars."""
    n = zlib.crc32(text.encode())
    digits = []
    while n:
        n, r = divmod(n, 62)
        digits.append(BASE62[r])
    return "".join(reversed(digits)).rjust(6, "0")


def _bech32_polymod(values):
    """The Bech32 checksum polynomial (BIP 173)."""
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def _bech32_checksum(hrp, data):
    """The six 5-bit checksum values for `data` under `hrp`."""
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod(expanded + data + [0] * 6) ^ 1
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def _to_5bit(data):
    """Bytes to 5-bit groups, zero-padded at the end (BIP 173 convertbits)."""
    acc, bits, out = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def _random_bytes(rng, n):
    """n bytes from rng (deterministic for a seed)."""
    return bytes(rng.randrange(256) for _ in range(n))


def _random_text(rng, alphabet, n):
    """n characters from alphabet."""
    return "".join(rng.choice(alphabet) for _ in range(n))


def _grafana_json_token(rng, valid):
    """A Grafana legacy key: base64 of {"k":...,"n":...,"id":N}, or of broken JSON."""
    for _ in range(200):
        k = _random_text(rng, string.ascii_letters + string.digits, 32)
        if valid:
            doc = json.dumps({"k": k, "n": rng.choice(["deploy", "ci", "grafana-bot"]), "id": rng.randint(1, 99)},
                             separators=(",", ":"))
        else:
            doc = '{"k":"' + k + _random_text(rng, string.ascii_letters, rng.randint(8, 20))
        encoded = base64.b64encode(doc.encode()).decode()
        body = encoded.rstrip("=")
        if "+" not in body and "/" not in body and 68 <= len(body) <= 108:
            return encoded
    return None


def _basic_auth(rng, valid):
    """base64 of `user:password` (valid) or of text without a colon."""
    user = rng.choice(["deploy", "ci-bot", "svc-build", "jenkins", "release"])
    password = _random_text(rng, string.ascii_letters + string.digits, rng.randint(14, 20))
    text = user + ":" + password if valid else user + password
    return base64.b64encode(text.encode()).decode()


def _snowflake_segment(rng, valid):
    """First Discord segment: base64 of snowflake digits (valid), or of digits and letters."""
    digits = str(rng.randint(1, 9)) + _random_text(rng, string.digits, rng.randint(16, 19))
    if not valid:
        digits = digits[:2] + _random_text(rng, string.ascii_letters, len(digits) - 2)
    return base64.urlsafe_b64encode(digits.encode()).decode().rstrip("=")


# ---------------------------------------------------------------------------
# Valid and invalid values


def make_valid(scheme, value, rng):
    """`value` rewritten so the scheme's checksum holds; None if the scheme does not cover it."""
    if scheme == "github-crc32":
        if not GITHUB_STYLE.match(value):
            return None
        prefix = value[:4]  # the body is always 36 chars, even where the shape allows more
        body = _random_text(rng, BASE62, 30)
        return prefix + body + base62_crc32(body)
    if scheme == "base64-padding":
        if value.endswith("==") and len(value) > 2:
            return value[:-3] + rng.choice(PAD2_OK) + "=="
        if value.endswith("=") and len(value) > 1:
            return value[:-2] + rng.choice(PAD1_OK) + "="
        return None
    if scheme == "bcrypt-padding":
        head, _, tail = value.rpartition("$")
        if len(tail) != 53:
            return None
        tail = tail[:21] + rng.choice(BCRYPT_SALT_LAST) + tail[22:52] + rng.choice(BCRYPT_HASH_LAST)
        return head + "$" + tail
    if scheme == "grafana-crc32":
        if not re.fullmatch(r"glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}", value):
            return None
        return value[:-8] + "%08x" % zlib.crc32(value[:-9].encode())
    if scheme == "bech32":
        prefix = "AGE-SECRET-KEY-1"
        if not value.startswith(prefix):
            return None
        data = _to_5bit(_random_bytes(rng, 32))
        check = _bech32_checksum("age-secret-key-", data)
        return prefix + "".join(BECH32[v] for v in data + check).upper()
    if scheme == "discord-snowflake":
        if value.startswith("mfa.") or "." not in value:
            return None
        return _snowflake_segment(rng, True) + value[value.index("."):]
    if scheme == "grafana-json":
        return _grafana_json_token(rng, True)
    if scheme == "basic-auth":
        return _basic_auth(rng, True)
    return None


def make_invalid(scheme, value, rng):
    """A value of the same shape whose checksum fails; None if the scheme does not cover it.

    `value` must already be valid (from make_valid)."""
    if scheme == "github-crc32":
        if not GITHUB_STYLE.match(value):
            return None
        wrong = value[-6:]
        while wrong == value[-6:]:
            wrong = _random_text(rng, BASE62, 6)
        return value[:-6] + wrong
    if scheme == "base64-padding":
        if value.endswith("=="):
            return value[:-3] + rng.choice([c for c in BASE64 if c not in PAD2_OK]) + "=="
        if value.endswith("="):
            return value[:-2] + rng.choice([c for c in BASE64 if c not in PAD1_OK]) + "="
        return None
    if scheme == "bcrypt-padding":
        head, _, tail = value.rpartition("$")
        if len(tail) != 53:
            return None
        return head + "$" + tail[:52] + rng.choice([c for c in BCRYPT_ALPHABET if c not in BCRYPT_HASH_LAST])
    if scheme == "grafana-crc32":
        if not value.startswith("glsa_"):
            return None
        return value[:-8] + "%08x" % (int(value[-8:], 16) ^ 0x5A5A5A5A)
    if scheme == "bech32":
        if not value.startswith("AGE-SECRET-KEY-1"):
            return None
        last = value[-1]
        return value[:-1] + rng.choice([c for c in BECH32.upper() if c != last])
    if scheme == "discord-snowflake":
        if value.startswith("mfa.") or "." not in value:
            return None
        return _snowflake_segment(rng, False) + value[value.index("."):]
    if scheme == "grafana-json":
        return _grafana_json_token(rng, False)
    if scheme == "basic-auth":
        return _basic_auth(rng, False)
    return None
