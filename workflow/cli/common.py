"""What every CLI command shares: settings, language, output in JSON or rich, input parsing."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from workflow.core.dates import parse_day
from workflow.core.errors import MerzimError, UsageError

if TYPE_CHECKING:  # imported when first used: `merzim calendar add` loads no more than it needs
    from rich.console import Console

    from calendars import KazakhstanCalendar
    from workflow.i18n import Translator
    from workflow.settings import Settings


@dataclass
class State:
    """Per-invocation state, built lazily so `--help` needs no configuration; `main()` resets
    it at the start of every call (one process may run many commands: the tests do)."""

    language: str | None = None

    def reset(self) -> None:
        """Forget the previous invocation: settings, language, calendar, engine (disposed)."""
        engine = self.__dict__.get("_engine")
        if engine is not None:
            engine.dispose()
        self.__dict__.clear()
        self.language = None

    @cached_property
    def settings(self) -> Settings:
        from workflow.settings import load_settings

        return load_settings()

    @cached_property
    def t(self) -> Translator:
        from workflow.i18n import Translator

        return Translator(self.language or self.settings.language)

    @cached_property
    def calendar(self) -> KazakhstanCalendar:
        # from the calendar's data and config.toml's corrections: not through workflow.services,
        # whose package brings the database stack
        from workflow.settings import load_calendar

        return load_calendar(self.settings, self.t.language)

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        # markup off: organisation names and codes are data, and '[...]' in them must print as is
        return Console(highlight=False, soft_wrap=True, markup=False)


STATE = State()


# -- options a command words its own way (the shared ones: workflow/cli/options.py) -----------


def as_of_context(as_of: str | None):
    """The services' context on `--as-of`'s day (today without it)."""
    return context(parse_date(as_of, "--as-of") if as_of else None)


def year_or_this(year: str | None, ctx) -> int:
    """`--year`'s value, or the context's year without it."""
    return parse_int(year, "--year") if year is not None else ctx.today.year


def say(message: str) -> None:
    """Print a line to the terminal."""
    STATE.console.print(message)


def answer(as_json: bool, payload: Any, message: str) -> None:
    """What a command did: with `--json` the payload as one JSON document, else the line."""
    if as_json:
        emit_json(payload)
    else:
        say(message)


def print_table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
    """Print a table: its column titles, then its rows of text."""
    from rich.table import Table

    table = Table()
    for title in header:
        table.add_column(title)
    for row in rows:
        table.add_row(*row)
    STATE.console.print(table)


def _json_value(value: Any) -> Any:
    """What JSON says of a value it has no form for: a date as its ISO string, a service's
    view as its `as_dict()` (workflow/services/views.py)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(payload: Any) -> None:
    """Write one JSON document to stdout (dates as ISO strings, a service's view as its
    `as_dict()`: workflow/services/views.py)."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_value)
                     + "\n")


def json_encoder() -> Callable[[Any], str]:
    """The encoding of `emit_json_items`' items: compact JSON (no indentation: Python's C
    encoder), dates as ISO strings. `json.JSONEncoder(ensure_ascii=False,
    default=_json_value).encode`'s text, its C encoder called directly (a subtree's 5,000
    cards are encoded in 10,000 parts: not through `encode`'s Python steps each)."""
    encoder = json.JSONEncoder(ensure_ascii=False, default=_json_value)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # (no C encoder: Python's own, as `encode` would use)
        return encoder.encode
    args = (encoder.default, json.encoder.encode_basestring, None, encoder.key_separator,
            encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)
    plain = encoder.encode

    def encode(value: Any) -> str:
        if isinstance(value, str):  # `encode`'s own shortcut for a string
            return plain(value)
        return "".join(make({}, *args)(value, 0))  # (its own circular check, as `encode`)

    return encode


def emit_json_items(head: dict[str, Any], key: str, items: Iterable[str],
                    out: TextIO | None = None) -> None:
    """Write one JSON document, `head`'s members and then `key`: the list of `items` (each
    a JSON text already, `json_encoder()`'s), to `out` (stdout) item by item as each comes,
    one a line, never the whole document in memory. A national subtree's 5,000 scorecards
    are written as they are evaluated."""
    out = sys.stdout if out is None else out
    encode = json_encoder()
    opening = encode(head)[:-1]  # "{...members" without its closing brace
    out.write(opening + (", " if head else "") + encode(key) + ": [")
    write = out.write
    between = "\n"
    for item in items:  # each written as it is (a card is ~30 KB: not copied to be joined)
        write(between)
        write(item)
        between = ",\n"
    write("\n]}\n")


def parse_date(text: str, what: str = "date") -> date:
    """A strict ISO date from the command line (the option's value), or a one-line usage
    error naming the option: the core's one reading of a typed date."""
    return parse_day(text, what)


def pairs(items: list[str] | None, option: str) -> dict[str, str]:
    """KEY=VALUE options (repeatable) as a dict; a malformed one is a usage error."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option}: {item!r} is not KEY=VALUE", key="error.bad_pair",
                             option=option, value=item)
        out[key.strip()] = value
    return out


def read_table(path, required: tuple[str, ...], *, as_written: bool = False
               ) -> list[dict[str, str]]:
    """The rows of an imported CSV/XLSX file, within the [import] limits of config.toml
    (`as_written`: its headers as the file writes them, for an import that folds them)."""
    from workflow.tabular import Limits, read_rows

    settings = STATE.settings
    return read_rows(path, required, Limits(rows=settings.import_rows,
                                            megabytes=settings.import_megabytes),
                     as_written=as_written)


def unexpected_error(exc: BaseException) -> MerzimError:
    """What the officer reads instead of a traceback: a busy, full or corrupt database, a
    number no column holds, a file that cannot be written; anything else in one line
    (MERZIM_DEBUG=1 shows the traceback)."""
    from sqlalchemy.exc import DatabaseError, DataError, OperationalError

    from workflow.services.transactions import busy

    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    low = detail.lower()
    if _stored_value_unreadable(exc):
        return MerzimError(key="error.db_corrupt", detail=f"{type(exc).__name__}: {detail}")
    if isinstance(exc, OverflowError | DataError):
        if "nul" in low:
            return UsageError(key="error.nul_in_input")
        return UsageError(key="error.number_out_of_range")
    if isinstance(exc, OperationalError) and busy(exc):
        return MerzimError(key="error.db_busy_cli")
    if "disk is full" in low or "no space left" in low:
        return MerzimError(key="error.disk_full", detail=detail)
    if isinstance(exc, DatabaseError) and ("not a database" in low or "malformed" in low
                                           or "corrupt" in low or "could not decode" in low):
        return MerzimError(key="error.db_corrupt", detail=detail)
    if isinstance(exc, DatabaseError):
        return MerzimError(key="error.database", detail=detail)
    if isinstance(exc, OSError):
        return MerzimError(key="error.os", detail=f"{getattr(exc, 'filename', '') or ''} "
                                                  f"{exc.strerror or detail}".strip())
    return MerzimError(key="error.unexpected", kind=type(exc).__name__, detail=detail)


def _stored_value_unreadable(exc: BaseException) -> bool:
    """Whether the error is a stored value the database layer could not read back: text
    that is not UTF-8, or a date whose digits overflow (a damaged SQLite file reads so
    where the damage falls in a row rather than in a page's structure). Not a value the
    command was given: binding a parameter fails inside the driver's execute, and encoding
    a Python string never raises UnicodeDecodeError."""
    if not isinstance(exc, UnicodeDecodeError | OverflowError | ValueError):
        return False
    import traceback

    frames = [f.f_code for f, _ in traceback.walk_tb(exc.__traceback__)
              if "sqlalchemy" in f.f_code.co_filename]
    if not frames:
        return False
    if isinstance(exc, UnicodeDecodeError):
        return True
    return frames[-1].co_name not in ("do_execute", "do_executemany", "do_execute_no_params",
                                      "_exec_single_context", "_exec_insertmany_context")


def write_file(path, data: bytes) -> None:
    """Write an export; a directory, a missing folder or a full disk is one line."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(key="error.cannot_write", path=str(path),
                         detail=exc.strerror or str(exc)) from None


def deprecated(old: str, new: str) -> None:
    """One line on stderr: the older shape of a command still works, the new one is preferred."""
    sys.stderr.write(STATE.t("cli.deprecated_shape", old=f"merzim {old}", new=f"merzim {new}")
                     + "\n")


def period_label(text: str) -> str:
    """A period as typed ('2026q2', ' 2026Q2 ') in the form the rules use ('2026Q2')."""
    return text.strip().upper()


def shown_day(day: date | datetime | None) -> str:
    """A date in the output as its reader writes it (26.11.2026 in kk and ru, ISO in English:
    workflow.i18n.date_text); "" for none. JSON output keeps ISO."""
    from workflow.i18n import date_text

    return date_text(day, STATE.t.language)


def parse_int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except (ValueError, AttributeError):
        raise UsageError(f"{what}: {text!r} is not a whole number", key="error.bad_int",
                         what=what, value=text) from None


# -- the engine's context ---------------------------------------------------------------------

import os  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import datetime as _dt  # noqa: E402


@contextmanager
def importing():
    """Imports (and what they build: the table models, the dialect, the engine, the calendar's
    tables) with the cycle collector paused, and what they made set aside from its later passes
    (`gc.freeze`) when a module was imported: modules, classes and tables live as long as the
    process, so the collector's passes over them would find nothing to free (a tenth of
    `merzim status`'s CPU: bench/cli/README.md). The collector runs as before afterwards, over
    what the command itself makes; once every module is imported nothing more is set aside."""
    import gc

    was, modules = gc.isenabled(), len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) != modules:
            gc.freeze()
        if was:
            gc.enable()


class lazy:  # noqa: N801 - reads like a module
    """A module imported on first use, so `merzim calendar ...` does not load the database stack."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        import importlib

        with importing():  # the package imports a use case's module when first asked for
            return getattr(importlib.import_module(self._name), attr)


svc = lazy("workflow.services")  # the services every command reads and writes through


def today_in_zone() -> date:
    """Today in the configured time zone (MERZIM_TODAY pins it for training and tests)."""
    pinned = os.environ.get("MERZIM_TODAY")
    if pinned:
        return parse_date(pinned, "MERZIM_TODAY")
    return _dt.now(STATE.settings.tz).date()


def engine():
    """The database engine (created once per invocation)."""
    if "_engine" not in STATE.__dict__:
        with importing():  # the dialect and its driver
            from workflow.services import runtime

            STATE.__dict__["_engine"] = runtime.engine(STATE.settings)
    return STATE.__dict__["_engine"]


def os_user() -> str:
    """The operating-system account running merzim, from the process's user id (not $USER or
    $LOGNAME, which anyone can set)."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except ImportError:  # Windows: no user ids; the login name is the best there is
        import getpass

        return getpass.getuser()
    except KeyError:  # a user id with no account (a bare container user)
        return f"uid{os.geteuid()}"


BEHALF_LENGTH = 40


def audit_actor(kind: str = "cli") -> str:
    """The audit log's actor of this process: `cli:` (or `worker:`) and the operating-system
    user, always. MERZIM_ACTOR cannot replace it: it only adds on whose behalf the operator
    acts, shown as such (`cli:erlan (for aigerim)`)."""
    actor = f"{kind}:{os_user()}"
    behalf = "".join(c for c in os.environ.get("MERZIM_ACTOR", "") if c.isprintable()).strip()
    if behalf and behalf != os_user():
        actor += f" (for {behalf[:BEHALF_LENGTH]})"
    return actor[:100]


def context(as_of: date | None = None, actor: str = "cli"):
    """The services' context: calendar, definitions, today (or `as_of`), the reader's language,
    and the audit actor (`actor` is its kind: "cli" or "worker")."""
    with importing():  # the services' package, the settings and the calendar
        from workflow.services import Context, runtime
        from workflow.services.context import report_settings

        if "_registry" not in STATE.__dict__:
            STATE.__dict__["_registry"] = runtime.registry(STATE.settings, lazy=True)
        calendar = STATE.calendar
    return Context(calendar, STATE.__dict__["_registry"], as_of or today_in_zone(),
                   actor=audit_actor(actor), language=STATE.t.language,
                   own_off=STATE.settings.own_deadlines_off,
                   process_orgs=STATE.settings.process_orgs,
                   **report_settings(STATE.settings), public_url=STATE.settings.web.public_url)


def carry_fact_days() -> list[str]:
    """The data step an upgrade takes with the definitions once the schema is prepared (`init`,
    `serve`, `worker`): the entries a procedure's outcome opened before its definition
    declared the day of its fact count in that fact's year (services/link_follow.py
    `carry_fact_days`; nothing the second time). What it did, in the reader's words: how many
    entries moved, and each left as it was because another entry holds its fact."""
    from workflow.services.link_follow import carry_fact_days as carry

    with unit_of_work() as s:
        done = carry(s, context())
    t = STATE.t
    return ([t.n("facts.carried", len(done.moved), ids=", ".join(f"#{i}" for i in done.moved))]
            if done.moved else []) + [t("facts.carry_held", entry=entry, id=case, other=other)
                                      for entry, case, other in done.held]


@contextmanager
def unit_of_work():
    """One use case's transaction on the configured database (the services own it)."""
    with importing():  # the table models the transactions' audit names
        from workflow.services.transactions import unit_of_work as open_unit

    with open_unit(engine()) as s:
        yield s


def registry():
    """The process definitions (loaded once per invocation, each parsed when first asked for:
    `registry().check()` or `all()` parse and check them all)."""
    if "_registry" not in STATE.__dict__:
        with importing():
            from workflow.services import runtime

            STATE.__dict__["_registry"] = runtime.registry(STATE.settings, lazy=True)
    return STATE.__dict__["_registry"]
