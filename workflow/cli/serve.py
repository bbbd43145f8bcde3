"""`merzim serve` (the dashboard, started by its import string: the CLI never imports the web
adapter), `user password` and the demo accounts' passwords."""

from __future__ import annotations

import logging
import secrets

import typer

from workflow.cli.common import STATE, carry_fact_days, context, emit_json, engine, unit_of_work
from workflow.cli.options import Json, Login, option
from workflow.core.errors import UsageError

APP_FACTORY = "web.app:app_factory"  # an import string: uvicorn imports it in each process


def _bounded(text: str | None, default: int, option: str, most: int, refusal: str) -> int:
    """An option's whole number (its setting's `default` without it), from 1 to `most`."""
    try:
        n = int(text or default)
    except ValueError:
        raise UsageError(key="error.bad_int", what=option, value=text) from None
    if not 1 <= n <= most:
        raise UsageError(key=refusal, value=n)
    return n


def serve(host: str = option("--host", "HOST", "Default: \\[web] host (127.0.0.1)."),
          port: str = option("--port", "PORT", "Default: \\[web] port (8000)."),
          no_worker: bool = typer.Option(False, "--no-worker",
                                         help="Do not embed the reminder worker."),
          workers: str = option("--workers", "N", "Web processes. Default: \\[web] workers (1)."),
          lang: str = option("--lang", "LANG", "The dashboard's default language (kk, ru or en) for a "
                                               "browser that asks for none of them. Default: merzim's "
                                               "--lang, else \\[general] language."),
          ) -> None:
    """Run the dashboard, the REST API and the calendar feeds (with the worker embedded)."""
    import os

    from workflow.i18n import LANGUAGES

    if lang is not None and lang not in LANGUAGES:
        raise UsageError(key="error.bad_language", value=lang)
    # Each web process builds its app from the environment (APP_FACTORY): hand it the language.
    os.environ["MERZIM_LANG"] = lang or STATE.language or STATE.settings.language

    web_cfg = STATE.settings.web
    host = host or web_cfg.host
    port_n = _bounded(port, web_cfg.port, "--port", 65535, "error.bad_port")
    n_workers = _bounded(workers, web_cfg.workers, "--workers", 64, "error.bad_workers")
    # The address is taken before anything is written: a port in use (or not ours to take)
    # stops here in one line, with the database as it was.
    sock = listen(host, port_n)
    from workflow.services import runtime
    from workflow.services.transactions import prepare

    try:
        prepare(engine())  # once, before any web process starts
        runtime.registry(STATE.settings)  # a broken definition stops here, in one line
        for line in carry_fact_days():  # entries linked before their fact's day was declared
            logging.getLogger("merzim.start").warning("%s", line)
        left_alone = start_checks()  # an operator's file drafting would refuse, likewise
    except BaseException:
        sock.close()
        raise
    limit_malloc_arenas(web_cfg.malloc_arenas)  # before any thread: the worker's, uvicorn's
    metrics_dir = None
    if n_workers > 1:  # /metrics adds up the request counts of every web process
        import tempfile

        metrics_dir = tempfile.mkdtemp(prefix="merzim-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    background = None
    if not no_worker:
        from workflow.cli.reminders import make_worker

        background = make_worker()
        sched = background.start_background(STATE.settings.timezone)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for line in left_alone:
        logging.getLogger("merzim.start").warning("%s", line)
    from workflow.services.files import sweep_staged

    swept, swept_bytes = sweep_staged(STATE.settings)  # leftovers of an earlier crash
    if swept:
        logging.getLogger("merzim.files").info(
            "removed %d staged upload(s) older than a day (%d bytes): leftovers of a stop "
            "between receiving and storing", swept, swept_bytes)
    from workflow.imports.staging import sweep_kept

    kept = sweep_kept(STATE.settings, engine())  # web imports previewed, never confirmed
    if kept:
        logging.getLogger("merzim.files").info(
            "removed %d file(s) kept for a web import's confirm for more than a day", kept)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.echo(STATE.t("serve.address", url=f"http://{shown}:{port_n}/"), err=False)
    try:
        # the reminder worker (if any) stays in this supervising process: one per server
        run_web(sock, host, port_n, n_workers, web_cfg.trusted_proxies)
    finally:
        if background is not None:
            # SIGTERM: uvicorn has answered the requests under way; the worker finishes the
            # messages it claimed, claims no more, and the scheduler waits for it
            background.stopping.set()
            sched.shutdown(wait=True)
        if metrics_dir is not None:
            import shutil

            shutil.rmtree(metrics_dir, ignore_errors=True)


def start_checks() -> tuple[str, ...]:
    """What the installed features verify before serving (workflow/core/feature.py `check`):
    the first refusal stops the start; what they found and left alone, as lines for the log."""
    from workflow.core.feature import providing

    lines: list[str] = []
    for feature in providing("check"):
        assert feature.check is not None  # what `providing` found
        lines.extend(feature.check()(STATE.settings))
    return tuple(lines)


M_ARENA_MAX = -8  # glibc's mallopt() parameter (malloc.h)


def limit_malloc_arenas(n: int) -> bool:
    """At most `n` memory arenas of the C library in this process and the web processes it
    starts ([web] malloc_arenas; 0 leaves the library's default). glibc gives each thread an
    arena of its own, up to eight per CPU, and keeps in each what was freed there: a web
    process whose request threads each once answered a large import holds that import's
    memory once per thread. With one arena the memory a request frees is found again by the
    next, whichever thread answers it.

    Set here before any thread is started (glibc fixes the limit when a second arena is first
    needed), and in the environment for the web processes uvicorn spawns; an operator's own
    MALLOC_ARENA_MAX is kept. Returns whether this process's limit was set (False: 0, the
    operator's own setting, or a C library without glibc's mallopt)."""
    import ctypes
    import ctypes.util
    import os

    if n <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    os.environ["MALLOC_ARENA_MAX"] = str(n)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: nothing of the kind to limit
        return False
    return bool(mallopt(M_ARENA_MAX, n))


GRACE_SECONDS = 30  # SIGTERM: how long requests under way may still take


def listen(host: str, port: int):
    """A socket bound to the address (before the worker or the schema upgrade writes anything);
    refused in one line when the address cannot be taken."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(key="error.cannot_listen", host=host, port=port,
                         reason=getattr(exc, "strerror", None) or str(exc)) from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise UsageError(key="error.cannot_listen", host=host, port=port,
                         reason=exc.strerror or str(exc)) from None
    sock.set_inheritable(True)  # the web processes of --workers N share it
    return sock


def run_web(sock, host: str, port: int, n_workers: int, trusted: tuple[str, ...]) -> None:
    """uvicorn on the bound socket: one process, or a supervisor of `n_workers`. The client's
    address is read from X-Forwarded-For only when the peer is one of the trusted proxies."""
    import signal

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, workers=n_workers,
                            log_level="warning", proxy_headers=bool(trusted),
                            forwarded_allow_ips=list(trusted) or None,
                            timeout_graceful_shutdown=GRACE_SECONDS)
    def stop(_signum, _frame):
        raise SystemExit(0)

    # uvicorn answers SIGTERM by draining, then raises the signal again to the handler it
    # found: this one, so that the embedded worker then drains too (serve's finally) and
    # the process ends with 0 rather than killed by the signal
    signal.signal(signal.SIGTERM, stop)
    try:
        if n_workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            server = uvicorn.Server(config)
            server.run(sockets=[sock])
            if not server.started:  # the application could not be built (logged above)
                raise SystemExit(3)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def user_password(login: Login,
                  generate: bool = typer.Option(True, "--generate/--stdin",
                                                help="Generate a password (default) or read one "
                                                     "line from standard input."),
                  as_json: Json = False) -> None:
    """Set a user's web password; a generated one is printed once. Her sessions, API tokens and
    feeds end."""
    import sys

    from workflow.services import accounts as auth
    from workflow.services import get_user

    password = secrets.token_urlsafe(12) if generate else sys.stdin.readline().rstrip("\n")
    with unit_of_work() as s:
        auth.set_password(s, get_user(s, login), password, context().actor)
    if as_json:
        emit_json({"login": login, "password": password if generate else None})
    elif generate:
        typer.echo(STATE.t("user.password_set", login=login, password=password))
    else:
        typer.echo(STATE.t("user.password_changed", login=login))


def user_revoke(login: Login, as_json: Json = False) -> None:
    """End a user's web sessions and revoke her API tokens and calendar feeds."""
    from workflow.services import accounts as auth
    from workflow.services import get_user

    with unit_of_work() as s:
        counts = auth.revoke_all(s, get_user(s, login), context().actor)
    if as_json:
        emit_json({"login": login, **counts})
    else:
        typer.echo(STATE.t("user.revoked", login=login, **counts))


def demo_passwords() -> dict[str, str]:
    """Give every demo account (each role, each kind of organisation, the quasi-state
    company's officer included) a fresh random password and return them."""
    from workflow.services import accounts as auth
    from workflow.services import get_user
    from workflow.services.demo import USERS

    out = {}
    with unit_of_work() as s:
        for login, *_rest in USERS:
            password = secrets.token_urlsafe(9)
            auth.set_password(s, get_user(s, login), password, "demo")
            out[login] = password
    return out


def register(app: typer.Typer) -> None:
    """Add `serve` (`user password` and `user revoke` join the user group in engine.py)."""
    app.command("serve")(serve)
