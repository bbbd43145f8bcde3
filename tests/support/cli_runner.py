"""Run the `merzim` command line in this test process, through its real entry point.

`run_merzim(args, env=..., cwd=...)` does what `subprocess.run([merzim, *args], env=env,
cwd=cwd, capture_output=True, text=True)` does — the same `workflow.cli:main` the console
script calls, the same environment, working directory, stdout/stderr and exit code — without
paying ~1 s of interpreter start and imports per call. Between calls it resets what one
invocation keeps (the CLI's per-invocation state and its database engine, the root logger's
handlers, signal handlers), so each call starts as a new process would.

The console script itself is still run as a process by a few smoke tests
(tests/cli/test_cli_database_errors.py, the browser tests, the worker and server tests):
`run_merzim(..., process=True)`.

This is the suite's one way to run the command line: `merzim_env(...)` builds a call's
environment (tests/support/envs.clean_env plus the language, database, pinned day, configuration file
and any extra variables) and `Merzim(cwd, ...)` binds a working directory and defaults, so
that a test module's own helper is `Merzim(...)` or a thin wrapper around it (conftest's
`merzim` and `merzim_db` fixtures are two).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tests.support.envs import clean_env

SCRIPT = Path(sys.executable).parent / "merzim"


class _Stream(io.TextIOWrapper):
    """A text stream over bytes, like a pipe's: has .buffer and an encoding, is not a tty."""

    def __init__(self):
        super().__init__(io.BytesIO(), encoding="utf-8", errors="backslashreplace",
                         newline=None, write_through=True)

    def close(self) -> None:  # a command closing stdout must not lose what it wrote
        self.flush()

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8", "replace").replace("\r\n", "\n")


@contextlib.contextmanager
def _environment(env: Mapping[str, str], cwd: Path | None) -> Iterator[None]:
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def _reset_cli_state() -> None:
    """Forget what the previous invocation built (settings, language, engine: disposed)."""
    from workflow.cli.common import STATE

    STATE.reset()


def run_merzim(args: list[str] | tuple[str, ...], env: Mapping[str, str],
               cwd: Path | None = None, stdin: str = "", process: bool = False,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `merzim ARGS` in-process; the result as subprocess.run would give it.

    With `process=True` it runs the console script as a process (`timeout` seconds at most),
    for the tests whose point is the installed script in a fresh interpreter. Called from
    another thread (tests of concurrent writers), it does so too: one process's environment,
    working directory and stdout cannot serve two calls.
    """
    if process or threading.current_thread() is not threading.main_thread():
        return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=dict(env), input=stdin,
                              capture_output=True, text=True, encoding="utf-8",
                              timeout=timeout)
    from workflow.cli import main

    out, err = _Stream(), _Stream()
    inp = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    code: int = 0
    _reset_cli_state()
    try:
        with _environment(env, cwd), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            saved_in, sys.stdin = sys.stdin, inp
            try:
                main(list(args))
            except SystemExit as exc:
                if exc.code is None:
                    code = 0
                elif isinstance(exc.code, int):
                    code = exc.code
                else:  # sys.exit("message"): the message on stderr, exit status 1
                    err.write(f"{exc.code}\n")
                    code = 1
            finally:
                sys.stdin = saved_in
    finally:
        _reset_cli_state()
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        for sig, handler in signals.items():
            signal.signal(sig, handler)
    return subprocess.CompletedProcess([str(SCRIPT), *args], code, out.text(), err.text())


def merzim_env(*, lang: str | None = "en", db_url: str | None = None,
               today: str | date | None = None, config: Path | str | None = None,
               extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of one call: tests/support/envs.clean_env (no MERZIM_* of the developer's shell)
    with MERZIM_LANG, MERZIM_DATABASE_URL, MERZIM_TODAY and MERZIM_CONFIG set when given
    (None: not set), then `extra` (COLUMNS, MERZIM_FILES_DIR, MERZIM_TELEGRAM_TOKEN...)."""
    env = clean_env()
    if lang:
        env["MERZIM_LANG"] = lang
    if db_url:
        env["MERZIM_DATABASE_URL"] = db_url
    if today:
        env["MERZIM_TODAY"] = today.isoformat() if isinstance(today, date) else today
    if config is not None:
        env["MERZIM_CONFIG"] = str(config)
    env.update(extra or {})
    return env


@dataclass
class Merzim:
    """`merzim` in the working directory `cwd` with default settings (`merzim_env`'s), called
    as `merzim("overdue", "--json", today="2026-11-20", lang="ru", config=path,
    env={"COLUMNS": "200"}, stdin="...")`: a call's own settings replace the defaults (its
    `env` is added to the default `env`); the result is `run_merzim`'s."""

    cwd: Path
    db_url: str | None = None
    today: str | date | None = None
    lang: str = "en"
    config: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    process: bool = False

    def __call__(self, *args: str, lang: str | None = None, today: str | date | None = None,
                 config: Path | None = None, env: Mapping[str, str] | None = None,
                 stdin: str = "") -> subprocess.CompletedProcess[str]:
        environment = merzim_env(lang=lang or self.lang, db_url=self.db_url,
                                 today=today or self.today,
                                 config=config if config is not None else self.config,
                                 extra={**self.env, **(env or {})})
        return run_merzim(args, env=environment, cwd=self.cwd, stdin=stdin,
                          process=self.process)


def ok(result) -> str:
    """Exit 0 and nothing on stderr; the output."""
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert result.stderr == "", result.stderr
    return result.stdout


def ok_json(result):
    """`ok`, its output read as JSON."""
    return json.loads(ok(result))


def answer(result):
    """Exit 0; the output read as JSON when it is JSON, else None (stderr may hold warnings)."""
    assert result.returncode == 0, (result.args, result.stdout, result.stderr)
    return json.loads(result.stdout) if result.stdout.lstrip().startswith(("{", "[")) else None


def wide_cli(db_url: str | None, cwd: Path, today: str | date | None):
    """`merzim ...` on the test database with today pinned and 240 columns, called as
    `run("record", "7", ..., lang="en")`: (exit code, stdout, stderr)."""
    merzim = Merzim(cwd, db_url=db_url, today=today, env={"COLUMNS": "240"})

    def run(*args: str, lang: str = "en") -> tuple[int, str, str]:
        result = merzim(*args, lang=lang)
        return result.returncode, result.stdout, result.stderr

    return run


def json_cli(merzim, today: str, quiet: bool = False):
    """`run(*args, today=...)`: `merzim(*args, "--json", today=today)` (a `Merzim` or conftest's
    `merzim_db`), which must exit 0 (with `quiet`, also write nothing on stderr); its JSON."""

    def run(*args: str, today: str = today) -> Any:
        result = merzim(*args, "--json", today=today)
        assert result.returncode == 0 and not (quiet and result.stderr), (args, result.stderr)
        return json.loads(result.stdout)

    return run


def init_with_orgs(merzim, orgs) -> None:
    """`merzim init`, then `merzim org add` for each (code, name, kind, parent or None) of
    `orgs`, each of which must exit 0 (`merzim`: a `Merzim` or conftest's `merzim_db`)."""
    assert merzim("init").returncode == 0
    for code, name, kind, parent in orgs:
        added = merzim("org", "add", code, "--name", name, "--kind", kind,
                       *(("--parent", parent) if parent else ()))
        assert added.returncode == 0, (code, added.stderr)


def dated_cli(merzim, today: str):
    """`run(*args, today=..., lang=...)`: `merzim(*args)` on `today` (or the day given), its
    (exit code, stdout, stderr); `run.ok(*args, today=...)`: the same with "--json", which must
    exit 0, its JSON (`merzim`: a `Merzim` or conftest's `merzim_db`)."""

    def run(*args: str, today: str = today, lang: str = "en") -> tuple[int, str, str]:
        result = merzim(*args, today=today, lang=lang)
        return result.returncode, result.stdout, result.stderr

    def ok(*args: str, today: str = today) -> Any:
        code, out, err = run(*args, "--json", today=today)
        assert code == 0, (args, err)
        return json.loads(out)

    run.ok = ok  # type: ignore[attr-defined]
    return run


def run_many(merzim, calls: list[tuple[tuple[str, ...], dict]]) -> list:
    """Run commands one after the other (in-process); results in order."""
    return [merzim(*args, **kw) for args, kw in calls]


def write_xlsx(path: Path, rows: list[list]) -> str:
    """An .xlsx file of these rows on its first sheet, at `path`; the path, as a command's
    argument."""
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return str(path)
