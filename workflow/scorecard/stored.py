"""The subjects' figures kept in the database for the installation (table `kept_figure`,
migration 0040): what kept.py keeps in a process's memory (a subject's scorecard, its points
still to win, its scorecard with the cases behind each indicator) is also stored, so that a
process that does not hold a figure (a second node, a process after a restart) reads it
instead of computing it again: 13 s of CPU for a root of 1,000 subjects, minutes for 5,000 on
a busy node.

A stored figure is used only when its whole key matches the one the process would keep it by
in memory: its figure's name, the subject's path, the year, the language, the versions of the
subject's organisation path (kept/figures.py `evaluation`: a write in its subtree moves them)
and `fingerprint`: the day, the context's settings that an evaluation reads, the score
settings, the calendar's working days, the definitions' texts and the code's own sources. One
row per figure, subject, year and language: computed again, it replaces the row (old versions
are not kept).

Storing never delays nor fails a request: the figures are encoded and written on a thread of
their own (`keep`), in a short transaction of its own on a connection of its own, a conflict
or any failure ignored (the figure is computed again by whoever misses it). Reading is one
SELECT for a subtree's subjects (by their common ancestor's path; a few: by their paths) in
the reader's own transaction (a request's runs in the worker pool, never on the event loop),
the cycle collector paused while the figures are built (`collector_paused`).

The encoding is exact (`encode`, `decode`): pickle's, read back by a reader that builds the
built-in containers and scalars and the classes of `_CLASSES` alone (dates, times, decimals:
nothing else is built nor called, whatever a row holds), so a value comes back of the type it
was (a tuple a tuple, an int an int, a date a date: the command line's JSON, `merzim score
--json`, writes a date as text and a tuple as a list) and an object met twice within one
figure the same object twice (a card's projects list the card's very indicators); a figure
holding any other class is not stored (`encode` raises TypeError, the figure is kept in
memory alone). Compressed with zlib (level 1). Its reading is C's: 5,000 scorecards unpickled
in ~0.3 s, where a tagged JSON read through a Python hook for each dictionary took 1.5 s."""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import hashlib
import io
import json
import logging
import os
import pickle
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_
from sqlmodel import Session, col, select

log = logging.getLogger("merzim.scorecard")

_CHUNK = 1000  # the subjects read per statement
_ROWS = 200  # the rows written per statement
_LEVEL = 1  # zlib's fastest level: the figures are repetitive, level 1 takes most of it
_PROTOCOL = 5  # pickle's protocol (Python 3.8 on): fixed, so every process writes alike

# -- the exact encoding ------------------------------------------------------------------------

# the only classes a stored figure may name (beside the built-in containers and scalars, which
# pickle writes as opcodes of their own): reading a row builds nothing else, calls nothing else
_CLASSES = {("datetime", "date"): date, ("datetime", "datetime"): datetime,
            ("datetime", "time"): time_of_day, ("datetime", "timedelta"): timedelta,
            ("datetime", "timezone"): timezone, ("decimal", "Decimal"): Decimal}


class _Figures(pickle.Unpickler):
    """pickle's reader that builds data alone: a class outside `_CLASSES` refused (the
    restricted reader of pickle's documentation, "Restricting Globals"); its own reading in
    C, this method asked once per class of a figure."""

    def find_class(self, module: str, name: str) -> Any:
        found = _CLASSES.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"a kept figure names {module}.{name}: not read")
        return found


def encode(value: Any) -> bytes:
    """`value` as bytes that `decode` reads back equal, each value of the type it was (a tuple
    a tuple, an int an int, a date a date), an object met twice the same object twice:
    pickle's (its memo keeps what is shared: a card's projects list the card's very
    indicators), compressed; TypeError for a value that names a class outside `_CLASSES`
    (a dataclass, an enumeration: not stored, kept in memory alone)."""
    try:
        data = zlib.compress(pickle.dumps(value, _PROTOCOL), _LEVEL)
        decode(data)  # what the readers will be able to read, or nothing stored
    except (pickle.PickleError, AttributeError, TypeError) as exc:
        raise TypeError(f"a kept figure not stored: {exc}") from None
    return data


def decode(data: bytes) -> Any:
    """The value `encode` wrote (pickle.UnpicklingError for bytes that name another class)."""
    return _Figures(io.BytesIO(zlib.decompress(data))).load()


# -- what a figure was computed with -----------------------------------------------------------

_BASES: dict[tuple[int, int, int], tuple[Any, Any, Any, str]] = {}
_BASES_LOCK = threading.Lock()
_CODE: list[str] = []


def _code() -> str:
    """The digest of this installation's code (every module of `workflow` and `calendars`):
    figures computed by another release are not read."""
    if not _CODE:
        digest = hashlib.sha256()
        root = Path(__file__).resolve().parents[2]
        for package in ("workflow", "calendars"):
            for path in sorted((root / package).rglob("*.py")):
                digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
                digest.update(path.read_bytes() + b"\0")
        _CODE.append(digest.hexdigest())
    return _CODE[0]


def _calendar(calendar: Any) -> str:
    """The calendar as the evaluation reads it: its working days."""
    days = getattr(calendar, "_dates", None)
    if days is None:  # another calendar: its data as written
        return repr(getattr(calendar, "data", calendar))
    return ",".join(d.isoformat() for d in days)


def fingerprint(ctx: Any, settings: Any) -> str:
    """The digest of what a subject's figures are computed with besides its records: the
    day, the context's settings an evaluation reads, the score settings, the calendar, the
    definitions and the code. Worked out once per settings, calendar and definitions object
    (their digest kept beside them), the day's part each time."""
    ident = (id(settings), id(ctx.calendar), id(ctx.processes))
    with _BASES_LOCK:
        hit = _BASES.get(ident)
    if hit is None or hit[0] is not settings or hit[1] is not ctx.calendar \
            or hit[2] is not ctx.processes:
        digest = hashlib.sha256()
        for part in (_code(), repr(settings), _calendar(ctx.calendar),
                     ctx.processes.digest()):
            digest.update(part.encode("utf-8") + b"\0")
        hit = (settings, ctx.calendar, ctx.processes, digest.hexdigest())
        with _BASES_LOCK:
            if len(_BASES) >= 16:  # bounded: the oldest goes
                del _BASES[next(iter(_BASES))]
            _BASES[ident] = hit
    day = json.dumps([hit[3], ctx.today.isoformat(), ctx.language,
                      list(getattr(ctx, "own_off", ()) or ()),
                      {k: list(v) for k, v in (getattr(ctx, "process_orgs", {}) or {}).items()},
                      getattr(ctx, "final_report_before", None),
                      list(getattr(ctx, "consolidating_kinds", ()) or ()),
                      getattr(ctx, "joining_confirm_days", None)], sort_keys=True)
    return hashlib.sha256(day.encode("utf-8")).hexdigest()


def _versions(versions: Sequence[int]) -> str:
    return json.dumps(list(versions), separators=(",", ":"))


# -- reading and storing -----------------------------------------------------------------------

READ = {"rows": 0}  # rows read and used (a process's count, for its tests and benchmarks)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused while figures read are built and kept (750,000 dictionaries
    at 5,000 subjects, no cycle among them: each of its passes meanwhile, and the first after,
    would walk them all), then what was built set aside from its passes (`gc.freeze`, as
    kept.py `_set_aside` sets aside what is computed) before it runs again: the young garbage
    collected first, so what is set aside is what lives on (paused already: left as it is)."""
    paused = gc.isenabled()
    if paused:
        gc.collect(1)
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.freeze()
            gc.enable()


def read(s: Session, figure: str, versions: dict[str, Sequence[int]], year: int,
         language: str, print_: str) -> dict[str, Any]:
    """The stored figure `figure` of each subject whose path `versions` names, by its path:
    those stored at the same versions with the same fingerprint, read in the reader's
    transaction; the others left out (to be computed). Many subjects (a subtree's) are read in
    one statement over the paths their common ancestor's begins, a few by their paths."""
    from workflow.storage.models import KeptFigure

    out: dict[str, Any] = {}
    paths = list(versions)
    if not paths:
        return out
    common = os.path.commonprefix(paths)
    common = common[:common.rfind("/") + 1]
    where = [col(KeptFigure.figure) == figure, col(KeptFigure.year) == year,
             col(KeptFigure.language) == language, col(KeptFigure.fingerprint) == print_]
    chunks: list[Any] = ([col(KeptFigure.subject_path).startswith(common, autoescape=True)]
                         if len(paths) > _CHUNK and common else
                         [col(KeptFigure.subject_path).in_(paths[start:start + _CHUNK])
                          for start in range(0, len(paths), _CHUNK)])
    for chunk in chunks:
        rows = s.exec(select(KeptFigure.subject_path, KeptFigure.versions, KeptFigure.body)
                      .where(and_(*where, chunk))).all()
        if not rows:
            continue
        with collector_paused():
            for path, stored_versions, body in rows:
                wanted = versions.get(path)
                if wanted is None or stored_versions != _versions(wanted):
                    continue
                try:
                    out[path] = decode(bytes(body))
                except Exception:  # noqa: BLE001 - not a figure this code reads: computed again
                    continue
    READ["rows"] += len(out)
    return out


_WRITER = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="merzim-kept-figures")


def keep(s: Session, figure: str, rows: Iterable[tuple[str, Sequence[int], Any]], year: int,
         language: str, print_: str) -> None:
    """Each (subject path, versions, figure) of `rows` stored for the installation, replacing
    the row of the same figure, subject, year and language: on the writer's thread, in a
    transaction of its own; returns at once. A figure that `encode` has no form for is not
    stored; a failure (a conflict, the database busy or away) is logged and forgotten."""
    bind = s.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.pool.__class__.__name__ in ("StaticPool", "SingletonThreadPool"):
        return  # one connection for every thread (an in-memory SQLite): not shared
    todo = list({path: (path, versions, value) for path, versions, value in rows}.values())
    if todo:
        _WRITER.submit(_store, engine, figure, todo, year, language, print_)


def settle() -> None:
    """Wait until everything handed to `keep` so far is stored (or given up)."""
    _WRITER.submit(lambda: None).result()


def _store(engine: Engine, figure: str, rows: list[tuple[str, Sequence[int], Any]], year: int,
           language: str, print_: str) -> None:
    from workflow.storage.models import KeptFigure

    try:
        values = []
        for path, versions, value in rows:
            try:
                body = encode(value)
            except TypeError:  # not a figure stored: kept in memory alone
                continue
            values.append({"figure": figure, "subject_path": path, "year": year,
                           "language": language, "versions": _versions(versions),
                           "fingerprint": print_, "body": body, "stored_at": time.time()})
        # in one order whoever stores them: two nodes storing the same subjects at once lock
        # their rows in the same order (one waits for the other, neither for both)
        values.sort(key=lambda v: str(v["subject_path"]))
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        for start in range(0, len(values), _ROWS):
            stmt = insert(KeptFigure).values(values[start:start + _ROWS])
            stmt = stmt.on_conflict_do_update(
                index_elements=["figure", "subject_path", "year", "language"],
                set_={"versions": stmt.excluded.versions,
                      "fingerprint": stmt.excluded.fingerprint, "body": stmt.excluded.body,
                      "stored_at": stmt.excluded.stored_at})
            with engine.begin() as conn:  # each batch a short transaction of its own
                conn.execute(stmt)
    except Exception:  # noqa: BLE001 - nothing depends on it: whoever misses computes
        log.info("kept figures: %d of %r not stored", len(rows), figure, exc_info=True)
