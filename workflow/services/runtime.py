"""The composition root: settings turned into a database engine, a calendar and the process
definitions, once per process (the CLI and every web process build theirs here)."""

from __future__ import annotations

from calendars import KazakhstanCalendar
from workflow.core.errors import ConfigError
from workflow.definitions import Registry, load_registry
from workflow.settings import Settings, load_calendar
from workflow.storage import checkpoint
from workflow.storage.db import make_engine


def engine(settings: Settings):
    """The database engine of the configured URL (with its audit checkpoint file, if set)."""
    from sqlalchemy.exc import ArgumentError

    try:
        eng = make_engine(settings.database_url, settings.busy_seconds,
                          settings.idle_seconds)
    except ArgumentError:  # an unknown scheme or a malformed URL; never echo it (a password)
        scheme = settings.database_url.split(":", 1)[0][:40]
        raise ConfigError(f"database URL: {scheme!r} is not a database merzim knows: use "
                          "sqlite:///PATH or postgresql+psycopg://...") from None
    if settings.audit_checkpoint is not None:
        checkpoint.configure(eng, settings.audit_checkpoint)
    return eng


def calendar(settings: Settings, language: str | None = None) -> KazakhstanCalendar:
    """The Kazakh calendar with the operator's corrections from config.toml (built by
    workflow.settings, which the CLI reaches without importing this package)."""
    return load_calendar(settings, language)


def registry(settings: Settings, lazy: bool = False) -> Registry:
    """Every process definition (shipped and configured), validated, with the interpretations
    and obligation switches of config.toml (`lazy`: each parsed when first asked for, as a
    command that shows a case needs; a server checks them all at start)."""
    loaded = load_registry(settings.process_dirs, settings.interpretations,
                           settings.obligations, lazy=lazy)
    unknown = sorted(k for k in settings.process_orgs if k not in loaded.loaded)
    if unknown:  # a misspelt key would switch nothing on, silently
        raise ConfigError("config.toml [processes.organisations]: no process "
                          + ", ".join(unknown))
    return loaded

