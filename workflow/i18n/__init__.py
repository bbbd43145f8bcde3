"""Messages in Kazakh, Russian and English: gettext catalogues (PO files, read as Babel reads
them by workflow/i18n/po.py; Babel writes and checks them).

`workflow/i18n/locales/{lang}/LC_MESSAGES/merzim.po` holds every message the code shows; its
msgid is the message key the code names (`t("rule.not_allowed", event=…)`), its msgstr the
text with `{placeholders}` (str.format). A count is a plural entry (msgid_plural, one msgstr
per form of the language's Plural-Forms: en 2, ru 3, kk 1). The web templates reach the same
catalogue through Jinja2's i18n extension (`_`, `gettext`, `ngettext`); the CLI's help texts
are the domain `cli` (workflow/cli/help_i18n.py); digests have their own domain in
notifications/locales (notifications may not import workflow).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, overload

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
    back)."""
    from workflow.i18n.po import read_po

    texts: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    path = po_path(language, domain)
    if not path.is_file():
        return Catalogue(language, texts, plurals, 2)
    messages, num_plurals = read_po(path.read_text(encoding="utf-8"))
    for message in messages:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, str):  # (else a plural entry: its singular and plural ids)
            if message.string:
                texts[message.id] = str(message.string)
        else:
            forms = tuple(str(s) for s in message.string)
            if any(forms):
                plurals[message.id[0]] = forms
    return Catalogue(language, texts, plurals, num_plurals)


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


def period_name(label: str, language: str) -> str:
    """A period in words of the reader's language ('2026Q4': "2026 ж. 4-тоқсан", "4-й квартал
    2026 г.", "Q4 2026"; '2026M10': "October 2026"); a label that is no period is shown as it
    is."""
    from workflow.core import periods
    from workflow.core.errors import UsageError

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
