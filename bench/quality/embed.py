"""File kinds: how a planted value (or a container line holding it) sits in a real file.

Each file kind renders a Placement into (relative path, file content). A Placement is
 - context: the value under a key named after the provider and a context word
   (`ACME_API_KEY=...`, `acme: {api_key: ...}`), or, for entries with a `container` (or a
   context phrase such as `accountkey=`), the container text placed verbatim or as a string;
 - bare: the value under a neutral name, with no provider or secret word nearby.

The surrounding lines are ordinary lines of that kind of file, written to hold no word that a
secrets scanner keys on (no key/secret/token/password/auth/api, no vendor names).
"""

import json
import re
import shlex
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

from shapes import GenOptions, Piece, ShapeError, generate, has_slot, parse, text_of


@dataclass
class KeyName:
    """A key built from a provider word (group, may be None) and leaf words (["api", "key"])."""

    group: object
    leaf: list

    def words(self):
        """All words, group first."""
        return ([self.group] if self.group else []) + self.leaf

    def upper(self):
        """ACME_API_KEY"""
        return "_".join(self.words()).upper()

    def snake(self):
        """acme_api_key"""
        return "_".join(self.words())

    def camel(self):
        """acmeApiKey"""
        words = self.words()
        return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])

    def pascal(self):
        """AcmeApiKey"""
        return "".join(w[:1].upper() + w[1:] for w in self.words())

    def dotted(self):
        """acme.api.key"""
        return ".".join(self.words())

    def leaf_snake(self):
        """api_key"""
        return "_".join(self.leaf)


@dataclass
class Placement:
    """What to put in a file: `text` under `key`; `raw` when text is a container line.

    For a raw text whose value follows a key (`PrivateKey = {secret}`, `<password>{secret}`),
    `assignment` is set and `value` holds the bare value: code and data files (JSON, Python...)
    then hold the value under their own key rather than the other format's line in a string."""

    key: object  # KeyName, or None for bare
    text: str
    raw: bool = False
    value: str = ""
    assignment: bool = False


_ASSIGNMENT_END = re.compile(r"""([=:>(,]\s*["']?|\S\s+["']?)$""")


def is_assignment(before):
    """True when the text before a value (on its line) ends like a key: `KEY=`, `key: "`,
    `<tag>`, `password `; URLs (`://`) are not assignments but values."""
    line = before.split("\n")[-1]
    return bool(line.strip()) and "://" not in line and bool(_ASSIGNMENT_END.search(line))


def code_view(p):
    """The placement as code and data files use it (see Placement)."""
    if p.raw and p.assignment:
        return Placement(p.key, p.value)
    return p


# ---------------------------------------------------------------------------
# Key names from the facts

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
_SECRETISH = ("key", "secret", "token", "pass", "pwd", "auth", "credential", "private", "access")


def provider_slug(provider):
    """'Microsoft Azure Storage (blob)' -> 'microsoft_azure'; at most two words."""
    name = re.sub(r"\(.*?\)", " ", provider).split("/")[0]
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "_".join(words[:2]) or "service"


def leaf_words(kind):
    """The secret word(s) for a key, from the entry's kind."""
    kind = kind.lower()
    if "password" in kind or "passphrase" in kind:
        return ["password"]
    if "private key" in kind:
        return ["private", "key"]
    if "secret" in kind:
        return ["secret"]
    if "token" in kind:
        return ["token"]
    return ["api", "key"]


def key_name(entry):
    """The key for a context placement: an identifier-like context word that already names a
    secret (`secret_key`, `rails_master_key`) as is; otherwise a provider word (the first
    identifier-like context word, else the provider's name) plus a secret word from `kind`."""
    idents = [w for w in entry.get("context", []) if _IDENT.fullmatch(w)]
    for word in idents:
        if word.endswith("_id"):
            continue
        if any(s in word for s in _SECRETISH):
            return KeyName(None, [w for w in word.split("_") if w])
    group = idents[0] if idents else provider_slug(entry["provider"])
    return KeyName(group, leaf_words(entry["kind"]))


def phrase_fragment(entry, value):
    """For an entry whose context words are phrases (`accountkey=`, `blynk.cloud/api/`,
    `authorization: bearer`), a line that puts the value right after the best phrase; None
    when the entry has identifier-like context words (key_name covers those)."""
    context = entry.get("context", [])
    if not context or any(_IDENT.fullmatch(w) for w in context):
        return None
    enders = [w for w in context if w.endswith("=")]
    with_secret = [w for w in enders if any(s in w for s in _SECRETISH)]
    paths = [w for w in context if "/" in w]
    if with_secret or enders:
        phrase = restore_case((with_secret or enders)[0], entry)
        if phrase.startswith("?"):
            base = paths[0] if paths else "example.com/v1/"
            return _as_url(base.rstrip("/") + "/" + phrase + value)
        return phrase + value
    if paths:
        phrase = paths[0]
        if phrase.endswith("://"):
            return phrase + "app:" + value + "@host.example.com"
        return _as_url(phrase.rstrip("/") + "/" + value)
    return restore_case(context[0], entry) + " " + value


def restore_case(phrase, entry):
    """Context words are lower case in the facts; take each word's spelling from the entry's
    kind, note or container when it appears there (`accountkey=` -> `AccountKey=`). URLs and
    host names are left as they are."""
    if "/" in phrase or "." in phrase:
        return phrase
    text = " ".join(entry.get(k, "") for k in ("kind", "note", "container"))

    def spelled(match):
        found = re.search(r"(?<![A-Za-z])" + re.escape(match.group()) + r"(?![A-Za-z])", text, re.IGNORECASE)
        return found.group() if found else match.group()

    return re.sub(r"[A-Za-z]+", spelled, phrase)


def _as_url(text):
    """Prefix https:// unless the text already has a scheme."""
    return text if "://" in text else "https://" + text


def container_tree(entry):
    """The parsed container (with a `{secret}` slot), or None when absent or in prose."""
    text = entry.get("container", "")
    if not text:
        return None
    try:
        tree = parse(text, allow_slot=True)
    except ShapeError:
        return None
    return tree if has_slot(tree) else None


def context_placement(entry, value, tree, rng):
    """The context Placement for a value: in its container if the entry has one, after a
    context phrase if it has those, else under key_name(entry)."""
    key = key_name(entry)
    if tree is not None:
        opts = GenOptions(filler=True, secret=[Piece(value, "lit")])
        text = text_of(generate(tree, rng, opts))
    else:
        text = phrase_fragment(entry, value)
    if text is None:
        return Placement(key, value)
    before = text[:text.find(value)]
    return Placement(key, text, raw=True, value=value, assignment=is_assignment(before))


# ---------------------------------------------------------------------------
# Quoting helpers

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./+=@%~:-]*")


def _plain(text):
    """True when text can stand unquoted in YAML, .env and the like."""
    return bool(_PLAIN.fullmatch(text)) and ": " not in text and not text.endswith(":")


def string_literal(text):
    """A double-quoted string for JSON, YAML, TOML, Python, JS, Go and HCL. A value that already
    holds escapes (a private key with `\\n` for its line breaks) keeps them as they are."""
    if "\\" in text and "\n" not in text:
        return '"' + text.replace('"', '\\"') + '"'
    return json.dumps(text)


def yaml_value(text, indent):
    """A YAML scalar: plain, double-quoted, or a `|` block indented by `indent` spaces."""
    if "\n" in text:
        pad = " " * indent
        lines = text.rstrip("\n").split("\n")
        return "|\n" + "\n".join(pad + line if line else "" for line in lines)
    return text if _plain(text) else string_literal(text)


def env_value(text):
    """A .env value: bare when plain, else quoted."""
    if _plain(text):
        return text
    if '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return "'" + text.replace("'", "") + "'"


def py_string(text):
    """A Python string literal."""
    if "\n" in text and '"""' not in text and not text.endswith('"'):
        return 'r"""' + text + '"""' if "\\" in text else '"""' + text + '"""'
    return string_literal(text)


def js_string(text):
    """A JavaScript/TypeScript string literal."""
    if "\n" in text and "`" not in text and "${" not in text and "\\" not in text:
        return "`" + text + "`"
    return string_literal(text)


def go_string(text):
    """A Go string literal."""
    if "\n" in text and "`" not in text:
        return "`" + text + "`"
    return string_literal(text)


def hcl_string(text):
    """A Terraform string: quoted, or a heredoc for several lines."""
    if "\n" in text:
        return "<<-EOT\n" + text.rstrip("\n") + "\nEOT"
    return string_literal(text).replace("${", "$${").replace("%{", "%%{")


def properties_value(text):
    """A Java .properties value (backslashes doubled, newlines as \\n plus a continuation)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n\\\n    ")


def toml_string(text):
    """A TOML string: basic, or a multi-line literal string."""
    if "\n" in text and "'''" not in text:
        return "'''\n" + text + "'''"
    return string_literal(text)


def indent(text, pad):
    """Indent every non-empty line of text by pad."""
    return "\n".join(pad + line if line else "" for line in text.split("\n"))


# ---------------------------------------------------------------------------
# Renderers: each takes a Placement and returns (relative path, content)


def render_env(p):
    """A .env file."""
    if p.raw:
        line = p.text
    else:
        line = p.key.upper() + "=" + env_value(p.text)
    return ".env", "# local settings\nAPP_NAME=inventory\nAPP_PORT=8080\nLOG_LEVEL=info\n" + line + "\nWORKERS=4\n"


def render_yaml(p):
    """A YAML settings file (the key nested under the provider word)."""
    head = "app:\n  name: inventory\n  port: 8080\n"
    tail = "logging:\n  level: info\n"
    if p.raw:
        body = p.key.snake() + ": |\n" + indent(p.text, "  ")
    elif p.key.group:
        body = p.key.group + ":\n  " + p.key.leaf_snake() + ": " + yaml_value(p.text, 4)
    else:
        body = p.key.snake() + ": " + yaml_value(p.text, 2)
    return "config/settings.yaml", head + body + "\n" + tail


def render_json(p):
    """A JSON settings file (the key nested under the provider word)."""
    p = code_view(p)
    marker = "@@VALUE@@"
    doc = {"app": {"name": "inventory", "port": 8080}}
    if p.key.group and not p.raw:
        doc[p.key.group] = {p.key.leaf_snake(): marker}
    else:
        doc[p.key.snake()] = marker
    doc["logging"] = {"level": "info"}
    text = json.dumps(doc, indent=2).replace(json.dumps(marker), string_literal(p.text))
    return "config/settings.json", text + "\n"


def render_toml(p):
    """A TOML file (a table named after the provider word)."""
    p = code_view(p)
    head = '[app]\nname = "inventory"\nport = 8080\n\n'
    if p.raw:
        body = "[service]\n" + p.key.snake() + " = " + toml_string(p.text) + "\n"
    elif p.key.group:
        body = "[" + p.key.group + "]\n" + p.key.leaf_snake() + " = " + toml_string(p.text) + "\n"
    else:
        body = "[service]\n" + p.key.snake() + " = " + toml_string(p.text) + "\n"
    return "config.toml", head + body + '\n[logging]\nlevel = "info"\n'


def render_python(p):
    """A Python settings module."""
    p = code_view(p)
    return "app/settings.py", (
        "import os\n\nDEBUG = False\nALLOWED_HOSTS = [\"localhost\"]\n"
        + p.key.upper() + " = " + py_string(p.text) + "\nTIMEOUT_SECONDS = 30\n"
    )


def render_ts(p):
    """A TypeScript module."""
    p = code_view(p)
    return "src/client.ts", (
        'import axios from "axios";\n\nconst BASE_URL = "https://inventory.example.com";\n'
        "const " + p.key.camel() + " = " + js_string(p.text) + ";\n\n"
        "export const client = axios.create({ baseURL: BASE_URL, timeout: 5000 });\n"
    )


def render_go(p):
    """A Go source file."""
    p = code_view(p)
    return "internal/client/client.go", (
        'package client\n\nimport "net/http"\n\nconst ' + p.key.camel() + " = " + go_string(p.text) + "\n\n"
        "func New() *http.Client { return &http.Client{} }\n"
    )


def render_properties(p):
    """A Java .properties file."""
    p = code_view(p)
    return "src/main/resources/application.properties", (
        "server.port=8080\nspring.application.name=inventory\n"
        + p.key.dotted() + "=" + properties_value(p.text) + "\nlogging.level.root=INFO\n"
    )


def render_xml(p):
    """An XML (.NET-style) configuration file."""
    if p.raw or "\n" in p.text:
        body = text_element(p.key.pascal(), p.text)
    else:
        body = '<add key="' + p.key.pascal() + '" value="' + xml_escape(p.text, {'"': "&quot;"}) + '" />'
    return "conf/app.config", (
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>\n'
        '    <add key="ApplicationName" value="inventory" />\n    ' + body + "\n  </appSettings>\n</configuration>\n"
    )


def text_element(tag, text):
    """<tag>text</tag>, as CDATA when the text holds markup characters."""
    if re.search(r"[<&]", text) and "]]>" not in text:
        return "<" + tag + "><![CDATA[" + text + "]]></" + tag + ">"
    return "<" + tag + ">" + xml_escape(text) + "</" + tag + ">"


def render_terraform(p):
    """A Terraform file (a local value)."""
    p = code_view(p)
    return "infra/main.tf", (
        'terraform {\n  required_version = ">= 1.5"\n}\n\nlocals {\n  region = "eu-west-1"\n  '
        + p.key.snake() + " = " + hcl_string(p.text) + "\n}\n"
    )


def render_dockerfile(p):
    """A Dockerfile (ENV, or a heredoc file for container lines and multi-line values)."""
    if p.raw or "\n" in p.text:
        line = "COPY <<EOF /etc/app/" + p.key.snake() + ".conf\n" + p.text + "\nEOF"
    else:
        value = p.text if _plain(p.text) else string_literal(p.text)
        line = "ENV " + p.key.upper() + "=" + value
    return "Dockerfile", (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        + line + '\nCOPY . .\nCMD ["python", "main.py"]\n'
    )


def render_shell(p):
    """A deploy shell script."""
    if p.raw:
        line = "cat > /etc/app/" + p.key.snake() + ".conf <<'EOF'\n" + p.text + "\nEOF"
    else:
        line = "export " + p.key.upper() + "=" + shlex.quote(p.text)
    return "scripts/deploy.sh", (
        "#!/usr/bin/env bash\nset -euo pipefail\n\n" + line + "\n./bin/migrate --env production\n"
    )


def render_k8s(p):
    """A Kubernetes Secret manifest (stringData)."""
    name = p.key.snake() + ".conf" if p.raw else p.key.upper()
    value = "|\n" + indent(p.text, "    ") if p.raw else yaml_value(p.text, 4)
    return "k8s/secret.yaml", (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: inventory\n  namespace: default\n"
        "type: Opaque\nstringData:\n  " + name + ": " + value + "\n"
    )


def render_workflow(p):
    """A GitHub Actions workflow (a job-level env variable)."""
    value = "|\n" + indent(p.text, "        ") if p.raw else yaml_value(p.text, 8)
    return ".github/workflows/ci.yml", (
        "name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n      "
        + p.key.upper() + ": " + value + "\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
    )


def render_markdown(p):
    """A setup page with a shell block."""
    if p.raw:
        block = p.text
    else:
        block = "export " + p.key.upper() + "=" + shlex.quote(p.text)
    return "docs/setup.md", (
        "# Setup\n\nSet this before starting the service:\n\n```sh\n" + block + "\n```\n\nThen run `make run`.\n"
    )


def render_log(p):
    """An application log."""
    if p.raw:
        line = "2024-05-14T09:12:01Z DEBUG loaded config:\n" + p.text
    else:
        line = "2024-05-14T09:12:01Z DEBUG loaded config " + p.key.snake() + "=" + p.text
    return "logs/app.log", (
        "2024-05-14T09:12:01Z INFO  starting inventory version=1.4.2\n" + line
        + "\n2024-05-14T09:12:02Z INFO  listening on :8080\n"
    )


CONTEXT_KINDS = {
    ".env": render_env,
    "YAML": render_yaml,
    "JSON": render_json,
    "TOML": render_toml,
    "Python": render_python,
    "TypeScript": render_ts,
    "Go": render_go,
    "Java .properties": render_properties,
    "XML": render_xml,
    "Terraform": render_terraform,
    "Dockerfile": render_dockerfile,
    "shell": render_shell,
    "Kubernetes Secret": render_k8s,
    "GitHub Actions": render_workflow,
    "Markdown": render_markdown,
    "log": render_log,
}


# ---------------------------------------------------------------------------
# Bare placements: neutral names, no provider word


def bare_log(value):
    """A log line with no provider or secret word."""
    return "logs/worker.log", (
        "2024-05-14T09:12:03Z INFO  worker-3 started\n2024-05-14T09:12:03Z INFO  worker-3 processed "
        + value + " in 12ms\n2024-05-14T09:12:04Z INFO  worker-3 idle\n"
    )


def bare_url(value):
    """An access-log line with the value in a URL query."""
    return "logs/access.log", (
        '10.0.0.7 - - [14/May/2024:09:12:03 +0000] "GET /download?ref=' + value
        + '&page=2 HTTP/1.1" 200 512\n10.0.0.7 - - [14/May/2024:09:12:04 +0000] "GET /health HTTP/1.1" 200 2\n'
    )


def bare_json(value):
    """A JSON document with the value under "value"."""
    text = json.dumps({"id": 7, "value": "@@VALUE@@", "enabled": True}, indent=2)
    return "data/item.json", text.replace('"@@VALUE@@"', string_literal(value)) + "\n"


def bare_yaml(value):
    """A YAML list item with the value under `value`."""
    return "data/items.yaml", "items:\n  - id: 7\n    value: " + yaml_value(value, 6) + "\n    enabled: true\n"


def bare_python(value):
    """A Python module with the value in a neutral variable."""
    return "app/fixtures.py", "ITEM_ID = 7\nvalue = " + py_string(value) + "\nENABLED = True\n"


def bare_markdown(value):
    """A Markdown page quoting the value in a code block."""
    return "docs/output.md", "# Output\n\nThe command prints:\n\n```\n" + value + "\n```\n"


BARE_KINDS = {
    "log (bare)": bare_log,
    "URL query (bare)": bare_url,
    "JSON value (bare)": bare_json,
    "YAML value (bare)": bare_yaml,
    "Python (bare)": bare_python,
    "Markdown (bare)": bare_markdown,
}


def bare_applies(kind, value):
    """A URL query cannot hold a multi-line value or one with spaces."""
    if kind == "URL query (bare)":
        return not any(c.isspace() for c in value)
    return True
