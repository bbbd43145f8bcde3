"""Settings: read config.toml (or the file MERZIM_CONFIG names) over documented defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.core.errors import ConfigError

LANGUAGES = ("kk", "ru", "en")

DEFAULTS: dict[str, Any] = {
    "general": {"timezone": "Asia/Almaty", "language": "kk"},
    "database": {"path": "merzim.db", "url": "", "busy_seconds": 30},
    "processes": {"dirs": []},
    "obligations": {},
    "calendar": {},
    "interpretations": {},
    "audit": {"checkpoint": ""},
    "import": {"rows": 10_000, "megabytes": 50},
}


@dataclass(frozen=True)
class Settings:
    """Everything merzim reads from its configuration file."""

    path: Path | None
    timezone: str
    language: str
    database_url: str
    process_dirs: tuple[Path, ...] = ()
    obligations: dict[str, Any] = field(default_factory=dict)
    calendar: dict[str, Any] = field(default_factory=dict)
    interpretations: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # the audit chain's head outside the database (None: next to a SQLite file, else none)
    audit_checkpoint: Path | None = None
    busy_seconds: float = 30  # how long SQLite waits for another writer before "busy"
    import_rows: int = 10_000  # rows of an imported CSV/XLSX, blank rows not counted
    import_megabytes: int = 50  # size of an imported file (an XLSX unpacked)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _merge(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in defaults.items()}
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def config_path(env: dict[str, str] | None = None) -> Path | None:
    """The config file in use: MERZIM_CONFIG, else ./config.toml when present, else none."""
    env = os.environ if env is None else env
    named = env.get("MERZIM_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"MERZIM_CONFIG names {named}, which is not a file")
        return path
    local = Path("config.toml")
    return local if local.is_file() else None


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read settings; a malformed file or value is refused with a message naming it."""
    env = os.environ if env is None else env
    if path is None:
        path = config_path(env)
    given: dict[str, Any] = {}
    if path is not None:
        try:
            given = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not a text file (UTF-8 TOML expected)") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if "process" in given:
        raise ConfigError(f"{path}: [process] definition is gone: every definition in "
                          "workflow/definitions/ is loaded; more go in the folders of "
                          "[processes] dirs")
    data = _merge(DEFAULTS, given)
    general, database = data["general"], data["database"]
    language = env.get("MERZIM_LANG") or general.get("language", "kk")
    if language not in LANGUAGES:
        raise ConfigError(f"general.language: {language!r} is not one of kk, ru, en")
    timezone = str(general.get("timezone"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"general.timezone: unknown time zone {timezone!r}") from exc
    file_url = str(database.get("url") or "")
    if file_url:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            has_password = make_url(file_url).password is not None
        except ArgumentError as exc:
            raise ConfigError(f"database.url: {exc}") from None
        if has_password:
            raise ConfigError("database.url: holds a password; secrets never go in the "
                              "configuration file: set MERZIM_DATABASE_URL in the environment, "
                              "or use PGPASSFILE / a .pgpass file")
    url = env.get("MERZIM_DATABASE_URL") or file_url
    if not url:
        db_path = Path(str(database.get("path") or "merzim.db"))
        if not db_path.is_absolute() and path is not None:
            db_path = path.resolve().parent / db_path
        url = f"sqlite:///{db_path}"
    checkpoint = str((data.get("audit") or {}).get("checkpoint") or "")
    audit_checkpoint = None
    if checkpoint:
        audit_checkpoint = Path(checkpoint)
        if not audit_checkpoint.is_absolute() and path is not None:
            audit_checkpoint = path.resolve().parent / audit_checkpoint
    busy = database.get("busy_seconds", 30)
    if isinstance(busy, bool) or not isinstance(busy, int | float) or not 0 < busy <= 3600:
        raise ConfigError(f"database.busy_seconds: {busy!r} is not a number of seconds (1-3600)")
    limits = {}
    for key in ("rows", "megabytes"):
        value = (data.get("import") or {}).get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"import.{key}: {value!r} is not a whole number of 1 or more")
        limits[key] = value
    return Settings(
        path=path,
        timezone=timezone,
        language=language,
        database_url=url,
        process_dirs=_process_dirs(data.get("processes") or {}, path),
        obligations=_obligations(data.get("obligations") or {}),
        calendar=data.get("calendar") or {},
        interpretations=data.get("interpretations") or {},
        raw=data,
        audit_checkpoint=audit_checkpoint,
        busy_seconds=float(busy),
        import_rows=limits["rows"],
        import_megabytes=limits["megabytes"],
    )


def _process_dirs(raw: dict[str, Any], path: Path | None) -> tuple[Path, ...]:
    """`[processes] dirs`: folders of more definitions, relative to the config file."""
    dirs = raw.get("dirs", [])
    if not isinstance(dirs, list) or not all(isinstance(d, str) and d for d in dirs):
        raise ConfigError("processes.dirs: must be a list of directory paths")
    base = path.resolve().parent if path is not None else Path.cwd()
    out = []
    for d in dirs:
        folder = Path(d) if Path(d).is_absolute() else base / d
        if not folder.is_dir():
            raise ConfigError(f"processes.dirs: {d} is not a directory")
        out.append(folder)
    return tuple(out)


def _obligations(raw: dict[str, Any]) -> dict[str, Any]:
    """`[obligations.KEY]`: switch a recurring obligation on or off, change whom it applies to."""
    for key, value in raw.items():
        if not isinstance(value, dict):
            raise ConfigError(f"obligations.{key}: must be a table (enabled, applies_to)")
        unknown = set(value) - {"enabled", "applies_to"}
        if unknown:
            raise ConfigError(f"obligations.{key}: unknown setting {', '.join(sorted(unknown))}")
    return raw
