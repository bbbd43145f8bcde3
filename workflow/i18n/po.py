"""A reader of gettext PO files: what `babel.messages.pofile.read_po` gives the catalogues, read
in a few milliseconds without importing Babel (a quick command such as `merzim calendar add`
in Kazakh reads the CLI's help catalogue at every start).

It follows Babel's parser on what the catalogues use: `msgctxt`, `msgid`, `msgid_plural`,
`msgstr`, `msgstr[N]`, continuation lines, the escapes \\\\ \\" \\n \\t \\r, `#, fuzzy` flags,
obsolete `#~` entries (left out), the header's `Plural-Forms: nplurals=N` (2 without one; the
forms of a count are padded or cut to N), and a repeated msgid (the first text kept, a later
plural form added, its flags joined). tests/i18n/test_i18n_po.py reads every catalogue both ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE = re.compile(r'\\([\\trn"])')
_BLANKS = " \t\r\n\x0b\x0c"  # what Babel strips from each line (ASCII blanks only)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_NPLURALS = re.compile(r"^plural-forms:.*?\bnplurals\s*=\s*(\d+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Message:
    """One entry: `id` a str, or (singular, plural) for a count; `string` a str, or one text
    per plural form."""

    id: str | tuple[str, ...]
    string: str | tuple[str, ...]
    fuzzy: bool
    context: str | None = None

    @property
    def pluralizable(self) -> bool:
        return isinstance(self.id, tuple)


def _unescape(quoted: str) -> str:
    inner = quoted[1:-1]
    if "\\" not in inner:
        return inner
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), inner)


def _text(parts: list[str]) -> str:
    return "".join(_unescape(p) for p in parts)


def read_po(text: str) -> tuple[list[Message], int]:  # noqa: C901
    """The messages of a PO file (not its header) and its number of plural forms."""
    messages: dict[object, Message] = {}
    num_plurals = 2
    ids: list[list[str]] = []
    strings: list[tuple[int, list[str]]] = []
    context: list[str] | None = None
    flags: set[str] = set()
    obsolete = False
    current: list[str] | None = None  # where a continuation line goes

    def finish() -> None:
        nonlocal ids, strings, context, flags, obsolete, current, num_plurals
        if not ids:  # comments before an entry: its flags wait for it
            return
        if not strings:
            strings.append((0, []))
        if len(ids) > 1:
            forms = [""] * num_plurals
            for idx, parts in sorted(strings, key=lambda s: s[0]):
                if idx < num_plurals:
                    forms[idx] = _text(parts)
            msgid: str | tuple[str, ...] = tuple(_text(i) for i in ids)
            string: str | tuple[str, ...] = tuple(forms)
        else:
            msgid, string = _text(ids[0]), _text(strings[0][1])
        ctx = _text(context) if context is not None else None
        message = Message(msgid, string, "fuzzy" in flags, ctx)
        first = msgid[0] if isinstance(msgid, tuple) else msgid
        key = first if ctx is None else (first, ctx)
        known = messages.get(key)
        if obsolete:
            pass
        elif known is not None:
            if isinstance(message.id, tuple) and not isinstance(known.id, tuple):
                known.id, known.string = message.id, message.string
            known.fuzzy = known.fuzzy or message.fuzzy
        elif msgid == "":  # the header: not a message; it says how many plural forms
            found = _NPLURALS.search(string if isinstance(string, str) else "")
            if found:
                num_plurals = int(found.group(1))
        else:
            messages[key] = message
        ids, strings, context, flags, obsolete, current = [], [], None, set(), False, None

    for raw in text.split("\n"):
        line = raw.strip(_BLANKS)
        if not line:
            continue
        is_obsolete = False
        if line[0] == "#":
            if line[:2] != "#~":
                finish()
                if line[:2] == "#,":
                    flags.update(f.strip() for f in line[2:].lstrip().split(","))
                continue
            line, is_obsolete = line[2:].lstrip(), True
            if not line:
                continue
        if line[0] == '"':
            if current is not None:
                current.append(line.strip())
            continue
        keyword, _, arg = line.partition(" ")
        if keyword in ("msgid", "msgctxt"):
            finish()
        obsolete = is_obsolete
        if keyword in ("msgid", "msgid_plural"):
            current = [arg.strip()]
            ids.append(current)
        elif keyword == "msgctxt":
            current = context = [arg.strip()]
        elif keyword == "msgstr" or keyword.startswith("msgstr["):
            _, bracket, index = keyword.partition("[")
            current = [arg.strip()] if arg != '""' else []
            strings.append((int(index[:-1]) if bracket else 0, current))
        # else: a keyword Babel does not know: it warns and goes on
    finish()
    return list(messages.values()), num_plurals
