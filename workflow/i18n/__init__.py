"""Messages in Kazakh, Russian and English: gettext catalogues (PO files, read by Babel's
`read_po`; what it read is kept beside the PO file, so that a command reads it without Babel).

`workflow/i18n/locales/{lang}/LC_MESSAGES/merzim.po` holds every message the code shows; its
msgid is the message key the code names (`t("rule.not_allowed", event=…)`), its msgstr the
text with `{placeholders}` (str.format). A count is a plural entry (msgid_plural, one msgstr
per form of the language's Plural-Forms: en 2, ru 3, kk 1). The web templates reach the same
catalogue through Jinja2's i18n extension (`_`, `gettext`, `ngettext`); the CLI's help texts
are the domain `cli` (workflow/cli/help_i18n.py); digests have their own domain in
notifications/locales (notifications may not import workflow).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, overload

# how a date and a number are written in the reader's language (the one writer, below workflow
# so that the digests write them the same way); a period's name is `period_name` below
from notifications.written import date_text, number_text

__all__ = ["LANGUAGES", "Catalogue", "Translator", "catalogue", "date_text", "load",
           "number_text", "period_name", "plural_index"]

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("kk", "ru", "en")
DOMAIN = "merzim"


@dataclass(frozen=True)
class Catalogue:
    """One language's messages: key -> text, and key -> plural forms for counts."""

    language: str
    texts: dict[str, str]
    plurals: dict[str, tuple[str, ...]]
    num_plurals: int


def po_path(language: str, domain: str = DOMAIN) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{domain}.po"


@cache
def load(language: str, domain: str = DOMAIN) -> Catalogue:
    """Read one PO file, once per process (missing file: an empty catalogue, so English falls
    back). Babel reads it; what it read is kept in `compiled_path` with the PO file's digest,
    and read from there while the PO file is the same (a quick command such as `merzim
    calendar add` in Kazakh reads its catalogues at every start and does not import Babel)."""
    path = po_path(language, domain)
    if not path.is_file():
        return Catalogue(language, {}, {}, 2)
    texts, plurals, num_plurals = read_catalogue(path)
    return Catalogue(language, texts, {k: tuple(v) for k, v in plurals.items()}, num_plurals)


_Read = tuple[dict[str, str], dict[str, list[str]], int]


def compiled_path(path: Path) -> Path:
    """Where what Babel read of a PO file is kept (beside it; not in the repository)."""
    return path.with_suffix(".read.json")


def read_catalogue(path: Path) -> _Read:
    """A PO file's messages (`read_with_babel`), from what was kept of it while the file is
    the same, else read by Babel now and kept."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    kept = _read_compiled(compiled_path(path), digest)
    if kept is None:
        kept = read_with_babel(data)
        _write_compiled(compiled_path(path), digest, kept)
    return kept


def read_with_babel(data: bytes) -> _Read:
    """A PO file's messages as Babel reads them: key -> text, key -> a count's forms (one per
    plural form of the header's Plural-Forms), and the number of forms. Fuzzy and empty
    entries are left out (the English text is shown instead), and so is an entry with a
    `msgctxt`, which no key the code names has."""
    from babel.messages.pofile import read_po

    po = read_po(io.BytesIO(data), locale=None)
    texts: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    for message in po:
        if not message.id or message.fuzzy or message.context:  # (the code names no context)
            continue
        if isinstance(message.id, str):  # (else a count: its singular and plural ids)
            if message.string:
                texts[message.id] = str(message.string)
        else:
            string = message.string
            forms = [str(s) for s in (string if isinstance(string, (list, tuple)) else [string])]
            if any(forms):
                plurals[message.id[0]] = forms
    return texts, plurals, po.num_plurals


def _read_compiled(path: Path, digest: str) -> _Read | None:
    """What was kept of the PO file whose digest is `digest` (None: none, or of another)."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("sha256") != digest:
        return None
    return kept["texts"], kept["plurals"], kept["num_plurals"]


def _write_compiled(path: Path, digest: str, read: _Read) -> None:
    """Keep what Babel read (written whole, then renamed: a reader never sees half a file);
    where the folder cannot be written, the next process reads with Babel again."""
    texts, plurals, num_plurals = read
    text = json.dumps({"sha256": digest, "texts": texts, "plurals": plurals,
                       "num_plurals": num_plurals}, ensure_ascii=False)
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                         prefix=path.name, suffix=".tmp", delete=False) as fh:
            fh.write(text)
        os.replace(fh.name, path)
    except OSError:
        with contextlib.suppress(OSError, NameError):
            os.unlink(fh.name)


def catalogue(language: str) -> dict[str, str]:
    """A flat key -> text view of one language for checks: a count's forms joined by '|'."""
    cat = load(language)
    return {**cat.texts, **{k: "|".join(v) for k, v in cat.plurals.items()}}


_PLURAL: Any = object()  # (`Translator._seen` holds no text for the key)


class Translator:
    """Looks keys up in one language, falling back to English, formatting {params}.

    `t(key, **params)` a message; `t.n(key, n, **params)` a count's message in the form for n
    (n is passed to the text too); `t.plural(key, n)` only the word (a unit: "дня")."""

    def __init__(self, language: str = "en"):
        self.language = language if language in LANGUAGES else "en"
        # texts looked up, kept for the translator's life (a page's: a list page asks for the
        # same column names and labels hundreds of times; the catalogues never change)
        self._seen: dict[str, str | None] = {}  # a key's text (not a plural's forms)
        self._labels: dict[tuple[str, str | None], str | None] = {}  # no params: (key, default)

    @overload
    def __call__(self, key: str, default: str = "", **params: Any) -> str: ...

    @overload
    def __call__(self, key: str, default: None, **params: Any) -> str | None: ...

    def __call__(self, key: str, default: str | None = "", **params: Any) -> str | None:
        """The message `key` in the reader's language (else English), its {params} formatted;
        an unknown key: `default`, or the key itself when `default` is ""."""
        if not params:  # a label: the same answer every time (kept with the texts)
            try:
                return self._labels[key, default]
            except KeyError:
                text = self._text(key, 1)
                answer = (key if default == "" else default) if text is None else _format(text,
                                                                                          {})
                self._labels[key, default] = answer
                return answer
        text = self._text(key, params.get("n", 1))
        if text is None:
            return key if default == "" else default
        return _format(text, params)

    def _text(self, key: str, n: int | float) -> str | None:
        seen = self._seen.get(key, _PLURAL)
        if seen is not _PLURAL:
            return seen
        for language in (self.language, "en"):
            cat = load(language)
            if key in cat.texts:
                text = self._seen[key] = cat.texts[key]
                return text
            if key in cat.plurals:  # (the form depends on n: looked up each time)
                forms = cat.plurals[key]
                return forms[min(plural_index(language, n), len(forms) - 1)]
        self._seen[key] = None
        return None

    def n(self, key: str, n: int | float, **params: Any) -> str:
        """A count's message: the plural form for `n`, with {n} and params formatted."""
        text = self._text(key, n)
        return key if text is None else _format(text, {"n": n, **params})

    def plural(self, key: str, n: int | float, **params: Any) -> str:
        """The form of a word for the number `n` (en: one|other; ru: one|few|many; kk: a
        single form, numerals take the singular). A fraction takes ru's "few" form (1,5 балла)
        and en's plural (1.5 points)."""
        return self.n(key, n, **params)

    # gettext's names, for Jinja2's i18n extension ({% trans %} and the `_` of templates)
    def gettext(self, key: str) -> str:
        return self._text(key, 1) or key

    def ngettext(self, key: str, plural_key: str, n: int | float) -> str:
        return self._text(key, n) or (key if n == 1 else plural_key)


def _format(text: str, params: dict[str, Any]) -> str:
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def plural_index(language: str, n: int | float) -> int:
    """CLDR cardinal plural categories: ru one/few/many, en one/other, kk one form. These are
    the catalogues' Plural-Forms, extended to fractions (which gettext's formulas do not take)."""
    n = abs(n)
    if n != int(n):
        return 0 if language == "kk" else 1
    n = int(n)
    if language == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return 0
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return 1
        return 2
    if language == "kk":
        return 0
    return 0 if n == 1 else 1


def check_language(language: str | None, default: str) -> str:
    """The language a reader asked for (`default` when she asked for none), or the usage error
    naming what she asked for when it is not one of LANGUAGES."""
    from workflow.core.errors import UsageError

    if not language:
        return default
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}", key="draft.bad_language",
                         value=language)
    return language


_COUNTED = re.compile(r"^(\d{4})N(\d{1,2})$")  # monitoring/rules.py: COUNTED


def period_name(label: str, language: str) -> str:
    """A period in words of the reader's language ('2026Q4': "2026 ж. 4-тоқсан", "4-й квартал
    2026 г.", "Q4 2026"; '2026M10': "October 2026"; a monitoring's period counted from its
    analytic note, '2026N2': "Reporting period 2 from the signing of the analytic note"); a
    label that is no period is shown as it is."""
    from workflow.core import periods
    from workflow.core.errors import UsageError

    counted = _COUNTED.match(label or "")
    if counted:
        return Translator(language)("period.counted", n=int(counted.group(2)),
                                    year=counted.group(1))
    try:
        p = periods.parse(label)
    except (UsageError, ValueError, TypeError):
        return label
    t = Translator(language)
    index = (p.start.month - 1) // periods.MONTHS[p.kind] + 1
    text = t(f"obligations_page.period_{p.kind}", year=p.start.year, n=index,
             month=t(f"obligations_page.month_{p.start.month}"))
    # month names are catalogued as inside a sentence (ru, kk: lower case); a name starts
    # with a capital
    return text[:1].upper() + text[1:]


def _name_periods() -> None:
    from workflow.core import names

    names.PERIOD_NAMES[:] = [period_name]


_name_periods()
