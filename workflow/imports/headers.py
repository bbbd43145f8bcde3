"""The header row of an office's list of organisations or people mapped to the import's
columns: a header is its column's label in any of the three languages, a heading offices
actually write for it (`also`), or its key, compared as `columns.fold` reads them (any case,
spacing and punctuation); a column that is never a field (`columns.not_a_field`: a "№ п/п",
a phone) is ignored and named, so the preview and the command line can say so."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


def read_header(header: Iterable[object], known: dict[str, str], required: Iterable[str],  # noqa: PLR0913
                refusal: str, prefix: str, language: str,
                label: Callable[[str, str], str] | None = None) -> Header:
    """The file's headers → column keys (`known`, from `names`); the headers of columns that
    are never fields set aside. Refused (the catalogue key `refusal`) naming the headers no
    column has and the required columns missing, in the reader's language (a column by its
    catalogue label `prefix` + key, or as `label(key, language)` names it)."""
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
                         missing=", ".join(label(c, language) if label else t(f"{prefix}{c}")
                                           for c in missing) or "-")
    return Header(found, ignored)


def ignored_note(t: Translator, ignored: list[str]) -> str | None:
    """The note that the columns `ignored` were not imported, in the reader's language."""
    if not ignored:
        return None
    return t.n("imports.ignored_columns", len(ignored),
               columns=", ".join(f"“{h}”" for h in ignored))


def keyed(rows: list[dict[str, object]], known: dict[str, str], required: Iterable[str],  # noqa: PLR0913
          refusal: str, prefix: str, language: str,
          label: Callable[[str, str], str] | None = None) -> tuple[list[dict[str, str]], Header]:
    """A file of fixed columns (the analyses' schedule, a monitoring plan) read as every
    import reads its headers (`read_header`): each row by its columns' keys, its number in
    the file kept (`_row`), the columns that are never fields left out; and the header read
    (what was ignored, to name). A file without rows has nothing to refuse."""
    if not rows:
        return [], Header({}, [])
    every = dict.fromkeys(h for row in rows for h in row)  # a file's rows share one header
    header = read_header(list(every), known, required, refusal, prefix, language, label)
    out = []
    for row in rows:
        cells = {key: str(row.get(h) or "").strip() for h, key in header.found.items()}
        if "_row" in row:
            cells["_row"] = row["_row"]  # type: ignore[assignment]
        out.append(cells)
    return out, header
