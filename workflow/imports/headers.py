"""The header row of an office's list of organisations or people mapped to the import's
columns: a header is its column's label in any of the three languages, a heading offices
actually write for it (`also`), or its key, compared as `columns.fold` reads them (any case,
spacing and punctuation); a column that is never a field (`columns.not_a_field`: a "№ п/п",
a phone) is ignored and named, so the preview and the command line can say so."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workflow.core.errors import UsageError
from workflow.i18n import Translator
from workflow.imports.columns import fold, not_a_field
from workflow.services.file_rows import labels


@dataclass(frozen=True)
class Header:
    """A file's header row read: each header's column key, and the headers ignored."""

    found: dict[str, str]
    ignored: list[str]


def names(prefix: str, keys: Iterable[str], also: Mapping[str, Iterable[str]] | None = None
          ) -> dict[str, str]:
    """Every way a file may name each key (folded): its catalogue label (`prefix` + key) in
    every language, the key itself, and the other names `also` lists → the key."""
    out = labels(prefix, keys, fold)
    for key, others in (also or {}).items():
        for other in others:
            out.setdefault(fold(other), key)
    return out


def read_header(header: Iterable[object], known: dict[str, str], required: Iterable[str],
                refusal: str, prefix: str, language: str) -> Header:
    """The file's headers → column keys (`known`, from `names`); the headers of columns that
    are never fields set aside. Refused (the catalogue key `refusal`) naming the headers no
    column has and the required columns missing, in the reader's language."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    for h in header:
        if h == "_row" or not str(h).strip():
            continue  # the row's number, or a column without a header (trailing cells)
        key = known.get(fold(h))
        if key is not None and key not in found.values():
            found[str(h)] = key
        elif key is None and not_a_field(h):
            ignored.append(str(h).strip())
        else:
            unknown.append(str(h))
    missing = [c for c in required if c not in found.values()]
    if unknown or missing:
        t = Translator(language)
        raise UsageError("bad header", key=refusal, unknown=", ".join(unknown) or "-",
                         missing=", ".join(t(f"{prefix}{c}") for c in missing) or "-")
    return Header(found, ignored)


def ignored_note(t: Translator, ignored: list[str]) -> str | None:
    """The note that the columns `ignored` were not imported, in the reader's language."""
    if not ignored:
        return None
    return t.n("imports.ignored_columns", len(ignored),
               columns=", ".join(f"“{h}”" for h in ignored))
