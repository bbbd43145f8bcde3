"""The `merzim` console entry point: the workflow CLI plus `serve` and `user password`.

The web layer composes the others (web imports workflow, never the reverse), so the
commands that need the web application are added here.
"""

from __future__ import annotations

import logging
import secrets

import typer

from workflow.cli import app
from workflow.cli import main as _main
from workflow.cli.common import STATE, context, emit_json, engine, unit_of_work
from workflow.cli.engine import user_app
from workflow.errors import UsageError

DEMO_LOGINS = ("nurlan", "aigerim", "asel", "erlan")


def build_app():
    """The FastAPI application over the configured database (schema upgraded)."""
    from web.app import create_app
    from workflow.db import upgrade
    from workflow.definition import load_definition

    eng = engine()
    upgrade(eng)
    definition = load_definition(STATE.settings.process, STATE.settings.interpretations)
    return create_app(STATE.settings, eng, STATE.calendar, definition)


def app_factory():
    """The application of one web process of `merzim serve --workers N` (uvicorn imports this
    in each process; settings come from the same environment and config.toml)."""
    return build_app()


@app.command("serve")
def serve(host: str = typer.Option(None, "--host", help="Default: \\[web] host (127.0.0.1)."),
          port: str = typer.Option(None, "--port", help="Default: \\[web] port (8000)."),
          no_worker: bool = typer.Option(False, "--no-worker",
                                         help="Do not embed the reminder worker."),
          workers: str = typer.Option(None, "--workers",
                                      help="Web processes. Default: \\[web] workers (1)."),
          ) -> None:
    """Run the dashboard, the REST API and the calendar feeds (with the worker embedded)."""
    import uvicorn

    web_cfg = STATE.settings.raw.get("web") or {}
    host = host or str(web_cfg.get("host", "127.0.0.1"))
    try:
        port_n = int(port or web_cfg.get("port", 8000))
    except ValueError:
        raise UsageError(key="error.bad_int", what="--port", value=port) from None
    try:
        n_workers = int(workers or web_cfg.get("workers", 1))
    except ValueError:
        raise UsageError(key="error.bad_int", what="--workers", value=workers) from None
    if not 1 <= n_workers <= 64:
        raise UsageError(key="error.bad_workers", value=n_workers)
    application = build_app()  # also upgrades the schema once, before any web process starts
    sched = None
    if not no_worker:
        from workflow.cli.reminders import make_worker

        sched = make_worker().start_background(STATE.settings.timezone)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.echo(STATE.t("serve.address", url=f"http://{shown}:{port_n}/"), err=False)
    try:
        if n_workers == 1:
            uvicorn.run(application, host=host, port=port_n, log_level="warning",
                        proxy_headers=True)
        else:  # the reminder worker (if any) stays in this supervising process: one per server
            uvicorn.run("web.cli:app_factory", factory=True, workers=n_workers, host=host,
                        port=port_n, log_level="warning", proxy_headers=True)
    finally:
        if sched is not None:
            sched.shutdown(wait=False)


@user_app.command("password")
def user_password(login: str = typer.Argument(...),
                  generate: bool = typer.Option(True, "--generate/--stdin",
                                                help="Generate a password (default) or read one "
                                                     "line from standard input."),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Set a user's web password; a generated one is printed once."""
    import sys

    from web import auth
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


def demo_passwords() -> dict[str, str]:
    """Give the demo's main accounts fresh random passwords and return them."""
    from web import auth
    from workflow.services import get_user

    out = {}
    with unit_of_work() as s:
        for login in DEMO_LOGINS:
            password = secrets.token_urlsafe(9)
            auth.set_password(s, get_user(s, login), password, "demo")
            out[login] = password
    return out


def main(argv: list[str] | None = None) -> None:
    STATE.demo_accounts = demo_passwords
    _main(argv)
