"""The one settings object: config.toml (or the file MERZIM_CONFIG names) over the defaults
below, plus the environment. Every section is read and checked here, once, at start; a wrong
value stops merzim with one line naming it.

Secrets come from the environment only: MERZIM_DATABASE_URL, MERZIM_SMTP_USER,
MERZIM_SMTP_PASSWORD, MERZIM_TELEGRAM_TOKEN. MERZIM_FILES_DIR overrides [files] directory,
MERZIM_AUDIT_CHECKPOINT [audit] checkpoint.
MERZIM_ARGON2_PROFILE names the password hashing cost (see `argon2_profile`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# the channels' and the policy's settings from their own module: no SMTP, HTTP or calendar code
from notifications.settings import ReminderSettings, SmtpSettings, TelegramSettings
from workflow.core.errors import ConfigError

if TYPE_CHECKING:
    from calendars import KazakhstanCalendar

LANGUAGES = ("kk", "ru", "en")

# Password hashing cost: argon2-cffi's parameter sets (workflow.services.accounts maps them).
# The default is OWASP's recommendation with the lower memory cost (argon2id, 2 passes over
# 19 MiB, one lane); RFC 9106's low-memory set (3 passes over 64 MiB) may still be chosen;
# "cheapest" is for test suites only (the tests' conftest sets it; one test checks the
# default's parameters).
ARGON2_PROFILE_ENV = "MERZIM_ARGON2_PROFILE"
# [audit] checkpoint's file, set for one account or one shell: over config.toml
CHECKPOINT_ENV = "MERZIM_AUDIT_CHECKPOINT"
ARGON2_PROFILES = ("owasp-19m", "rfc9106-low-memory", "cheapest")


def default_password_checks() -> int:
    """[web] password_checks when unset: twice the CPUs, at most 8 (a check holds 19 MiB)."""
    return max(1, min(2 * (os.cpu_count() or 1), 8))


def argon2_profile(env: Any) -> str:
    """The profile MERZIM_ARGON2_PROFILE names (empty or unset: the default); refused if unknown."""
    name = (env.get(ARGON2_PROFILE_ENV) or ARGON2_PROFILES[0]).strip()
    if name not in ARGON2_PROFILES:
        raise ConfigError(f"{ARGON2_PROFILE_ENV}: {name!r} is not one of "
                          + ", ".join(ARGON2_PROFILES))
    return name

DEFAULTS: dict[str, Any] = {
    "general": {"timezone": "Asia/Almaty", "language": "kk"},
    "database": {"path": "merzim.db", "url": "", "busy_seconds": 10, "idle_seconds": 120},
    "processes": {"dirs": []},
    "obligations": {},
    "calendar": {},
    "interpretations": {},
    "audit": {"checkpoint": ""},
    "import": {"rows": 10_000, "megabytes": 50},
    "reminders": {"channels": ["email"], "send_time": "09:00", "before": [5, 1, 0],
                  "overdue_daily": True, "escalate_levels": 1, "escalate_after": 1},
    "email": {"host": "localhost", "port": 25, "security": "starttls",
              "from": "merzim@localhost", "timeout": 30, "reuse_seconds": 300},
    "telegram": {"base_url": "https://api.telegram.org", "rate_per_second": 25,
                 "poll_seconds": 5, "lease_seconds": 10},
    "outbox": {"max_attempts": 8, "backoff_seconds": 60, "max_backoff_seconds": 3600,
               "lease_seconds": 300, "batch": 20},
    "worker": {"catch_up_minutes": 5, "dispatch_seconds": 15, "heartbeat_seconds": 30},
    "web": {"host": "127.0.0.1", "port": 8000, "workers": 1, "trusted_proxies": [],
            "metrics_token_sha256": "", "public_url": "", "password_wait_seconds": 2,
            "malloc_arenas": 1},
    "files": {"directory": "", "max_bytes": 20 * 1024 * 1024,
              "types": ["pdf", "docx", "xlsx", "jpeg", "png"],
              "max_unpacked_bytes": 200 * 1024 * 1024, "max_entries": 10_000},
    "accounts": {"invitation_days": 7, "telegram_bot": ""},
    "deadlines": {"own_off": []},  # I-17: organisations without merzim's own deadlines
}
CHANNELS = ("email", "telegram")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$")


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 8
    backoff_seconds: float = 60
    max_backoff_seconds: float = 3600
    lease_seconds: float = 300
    batch: int = 20


@dataclass(frozen=True)
class NotifySettings:
    """[reminders], [email], [telegram], [outbox], [worker]."""

    channels: tuple[str, ...]
    send_time: time
    policy: ReminderSettings
    smtp: SmtpSettings | None
    telegram: TelegramSettings | None
    telegram_poll_seconds: float
    outbox: OutboxSettings
    catch_up_minutes: float
    dispatch_seconds: float
    # a worker writes its heartbeat this often; /readyz wants one younger than 3 times this
    heartbeat_seconds: float = 30
    # [telegram] lease_seconds: the poller's lease is held this long (at least three poll
    # intervals) and renewed at each poll; a dead poller's is taken over once it runs out
    telegram_lease_seconds: float = 10
    # [web] public_url: where people reach the web pages (the case links of reminders and the
    # calendar feeds; "": messages carry no link)
    public_url: str = ""


@dataclass(frozen=True)
class WebSettings:
    """[web]: where `merzim serve` listens and with how many processes; whose X-Forwarded-For
    it believes; the credential that opens /metrics."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # addresses or networks of the proxies whose X-Forwarded-For/-Proto name the client
    # (none: the peer is the client, whatever a header says)
    trusted_proxies: tuple[str, ...] = ()
    # the SHA-256 (hex) of the bearer token /metrics accepts ("": /metrics is closed)
    metrics_token_sha256: str = ""
    # the address people reach the pages at, as a proxy publishes them ("https://merzim.gov.kz"):
    # the links of reminders and calendar feeds ("": reminders carry none, feeds use the request's)
    public_url: str = ""
    # at most this many password checks at once in a process (each holds argon2's memory); a
    # sign-in beyond them waits up to password_wait_seconds, then is told to try again (503)
    password_checks: int = field(default_factory=default_password_checks)
    password_wait_seconds: float = 2.0
    # the C library's memory arenas a web process may have (glibc's M_ARENA_MAX; 0: its own
    # default, eight per CPU): each thread that answers requests otherwise keeps what its
    # busiest request freed (`merzim serve`, workflow/cli/serve.py `limit_malloc_arenas`)
    malloc_arenas: int = 1


def _public_url(raw: dict[str, Any]) -> str:
    """[web] public_url, checked: an http(s) URL without a trailing slash, or ""."""
    url = raw.get("public_url", "") if isinstance(raw, dict) else ""
    if not isinstance(url, str):
        raise ConfigError(f"web.public_url: {url!r} is not an http(s) URL")
    url = url.strip().rstrip("/")
    if not url:
        return ""
    try:
        parts = urlsplit(url) if url.isprintable() and " " not in url else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.query or parts.fragment:
        raise ConfigError(f"web.public_url: {url!r} is not an http(s) URL")
    return url


FILE_TYPES = ("pdf", "docx", "xlsx", "jpeg", "png")  # the types workflow.services.files knows


@dataclass(frozen=True)
class FilesSettings:
    """[files]: where evidence files are stored and which are accepted."""

    directory: Path | None = None  # None: beside a SQLite file (workflow.storage.filestore)
    max_bytes: int = 20 * 1024 * 1024
    types: tuple[str, ...] = FILE_TYPES
    # a ZIP-based file (DOCX, XLSX, ...): what its parts unpack to and how many (workflow/archives.py)
    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_entries: int = 10_000


FeatureSettings = TypeVar("FeatureSettings")


@dataclass(frozen=True)
class Settings:
    """Everything merzim reads from its configuration file."""

    path: Path | None
    timezone: str
    language: str
    database_url: str
    process_dirs: tuple[Path, ...] = ()
    # [processes.organisations]: per process key, organisations of another kind whose cases
    # accept the events its definition keeps for some kinds (P-21: the enterprise policy)
    process_orgs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    obligations: dict[str, Any] = field(default_factory=dict)
    calendar: dict[str, Any] = field(default_factory=dict)
    interpretations: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # the audit chain's head outside the database (None: next to a SQLite file, else none)
    audit_checkpoint: Path | None = None
    busy_seconds: float = 10  # how long a write waits for another writer's lock: "busy"
    idle_seconds: float = 120  # how long a PostgreSQL transaction may stay idle
    import_rows: int = 10_000  # rows of an imported CSV/XLSX, blank rows not counted
    import_megabytes: int = 50  # size of an imported file (an XLSX unpacked)
    notify: NotifySettings | None = None  # reminders and channels; secrets not required here
    web: WebSettings = field(default_factory=WebSettings)
    files: FilesSettings = field(default_factory=FilesSettings)
    # each installed feature's own settings, by the feature's name: its declaration names the
    # config.toml table and the reader (`Feature.settings_table`, `Feature.settings`); read
    # them with `of(TheirType)`
    features: Mapping[str, object] = field(default_factory=dict)
    # [deadlines] own_off: the organisations (codes; "*": every one) whose stages have no due
    # date where merzim sets it and the sources give none (I-17, a stage's `due_basis`)
    own_deadlines_off: tuple[str, ...] = ()
    # [deadlines] final_report_before: a subdivision's final report is due this many working
    # days before its region's or central body's own (B-21; 0: the same day)
    final_report_before: int = 10
    # [deadlines] joining_confirm_days: working days after an organisation joined mid-year
    # during which its open stages due before that day are "before joining" (B-25)
    joining_confirm_days: int = 20
    # [accounts] invitation_days: a sign-in link sent by e-mail sets a password within this many
    # days; telegram_bot: the bot's username, for the link to it on the account page
    invitation_days: int = 7
    telegram_bot: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def of(self, kind: type[FeatureSettings]) -> FeatureSettings:
        """A feature's settings, by their type (`settings.of(ScoreSettings)`): read at start
        from the table its declaration names."""
        for value in self.features.values():
            if isinstance(value, kind):
                return value
        raise LookupError(f"no installed feature's settings are {kind.__name__}")


def _merge(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in defaults.items()}
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def config_path(env: Mapping[str, str] | None = None) -> Path | None:
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


def _features(data: dict[str, Any], folder: Path) -> dict[str, object]:
    """Each installed feature's settings, read and checked by the feature from the config.toml
    table its declaration names (absent: {}, its defaults); a path in it is relative to the
    config file's `folder`."""
    from workflow.core.feature import providing

    found: dict[str, object] = {}
    for feature in providing("settings"):
        assert feature.settings is not None and feature.settings_table is not None
        found[feature.name] = feature.settings()(_table(data, feature.settings_table), folder)
    return found


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:  # noqa: C901
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
    argon2_profile(env)  # a wrong value stops merzim at start, not at the first sign-in
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
    if env.get(CHECKPOINT_ENV):  # relative to the current directory, as a shell reads it
        audit_checkpoint = Path(env[CHECKPOINT_ENV]).absolute()
    elif checkpoint:
        audit_checkpoint = Path(checkpoint)
        if not audit_checkpoint.is_absolute() and path is not None:
            audit_checkpoint = path.resolve().parent / audit_checkpoint
    busy = database.get("busy_seconds", 10)
    if isinstance(busy, bool) or not isinstance(busy, int | float) or not 0 < busy <= 3600:
        raise ConfigError(f"database.busy_seconds: {busy!r} is not a number of seconds (1-3600)")
    idle = database.get("idle_seconds", 120)
    if isinstance(idle, bool) or not isinstance(idle, int | float) or not 1 <= idle <= 86400:
        raise ConfigError(f"database.idle_seconds: {idle!r} is not a number of seconds "
                          "(1-86400)")
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
        process_orgs=_process_orgs(data.get("processes") or {}),
        obligations=_obligations(data.get("obligations") or {}),
        calendar=data.get("calendar") or {},
        interpretations=data.get("interpretations") or {},
        raw=data,
        audit_checkpoint=audit_checkpoint,
        busy_seconds=float(busy),
        idle_seconds=float(idle),
        import_rows=limits["rows"],
        import_megabytes=limits["megabytes"],
        notify=_notify(data, env, require_secrets=False),
        web=_web(_table(data, "web")),
        files=_files(_table(data, "files"), env, path),
        features=_features(data, path.resolve().parent if path is not None else Path.cwd()),
        own_deadlines_off=_own_off(_table(data, "deadlines")),
        final_report_before=_final_report_before(_table(data, "deadlines")),
        joining_confirm_days=_joining_confirm_days(_table(data, "deadlines")),
        **_accounts(_table(data, "accounts")),
    )


def _accounts(raw: dict[str, Any]) -> dict[str, Any]:
    """[accounts]: how long an invitation's link lives, and the Telegram bot's username."""
    days = raw.get("invitation_days", 7)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        raise ConfigError(f"accounts.invitation_days: {days!r} is not a whole number of days "
                          "from 1 to 90")
    bot = raw.get("telegram_bot", "")
    if not isinstance(bot, str) or (bot and not re.fullmatch(r"@?[A-Za-z0-9_]{5,32}", bot)):
        raise ConfigError(f"accounts.telegram_bot: {bot!r} is not a Telegram bot's username")
    return {"invitation_days": days, "telegram_bot": bot.lstrip("@")}


def _own_off(raw: dict[str, Any]) -> tuple[str, ...]:
    """[deadlines]: `own_off`, the organisation codes ("*": all) whose deadlines set by
    merzim (I-17) are switched off; any other key is refused."""
    unknown = set(raw) - {"own_off", "final_report_before", "joining_confirm_days"}
    if unknown:
        raise ConfigError(f"deadlines: unknown setting {', '.join(sorted(unknown))}")
    codes = raw.get("own_off", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) and c.strip() for c in codes):
        raise ConfigError(f"deadlines.own_off: {codes!r} must be a list of organisation codes "
                          "(or \"*\" for every organisation)")
    return tuple(dict.fromkeys(c.strip() for c in codes))


def _final_report_before(raw: dict[str, Any]) -> int:
    """[deadlines] `final_report_before`: working days between a subdivision's final report
    and its body's own (B-21), a whole number from 0 (the same day) to 60."""
    value = raw.get("final_report_before", 10)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60:
        raise ConfigError(f"deadlines.final_report_before: {value!r} must be a whole number "
                          "of working days from 0 to 60")
    return value


def _joining_confirm_days(raw: dict[str, Any]) -> int:
    """[deadlines] `joining_confirm_days`: working days after an organisation joined mid-year
    during which its earlier open stages are "before joining -- to confirm" (B-25), a whole
    number from 0 (none: overdue at once) to 120."""
    value = raw.get("joining_confirm_days", 20)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
        raise ConfigError(f"deadlines.joining_confirm_days: {value!r} must be a whole number "
                          "of working days from 0 to 120")
    return value


def load_calendar(settings: Settings, language: str | None = None) -> KazakhstanCalendar:
    """The Kazakh calendar with the operator's corrections from config.toml (read from the
    calendar's data files; nothing of the database is imported)."""
    from calendars import KazakhstanCalendar
    from calendars.errors import CalendarError

    try:
        return KazakhstanCalendar(overrides=settings.calendar,
                                  language=language or settings.language)
    except CalendarError as exc:
        raise ConfigError(f"{settings.path or 'config.toml'}: {exc}") from exc


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _web(raw: dict[str, Any]) -> WebSettings:
    host = raw.get("host")
    if not isinstance(host, str) or not host:
        raise ConfigError(f"web.host: {host!r} is not a host name or address")
    values = {}
    for key, low, top in (("port", 1, 65535), ("workers", 1, 64), ("malloc_arenas", 0, 64)):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= top:
            raise ConfigError(f"web.{key}: {value!r} is not a whole number from {low} to {top}")
        values[key] = value
    proxies = raw.get("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise ConfigError("web.trusted_proxies: must be a list of addresses or networks such "
                          "as [\"127.0.0.1\", \"10.0.0.0/24\"]")
    import ipaddress

    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy.strip(), strict=False)
        except ValueError:
            raise ConfigError(f"web.trusted_proxies: {proxy!r} is not an IP address or "
                              "network") from None
    token = raw.get("metrics_token_sha256", "")
    if not isinstance(token, str) or (token and not re.fullmatch(r"[0-9a-fA-F]{64}", token)):
        raise ConfigError("web.metrics_token_sha256: must be the SHA-256 of the token as 64 "
                          "hexadecimal digits (printf %s TOKEN | sha256sum), or \"\"")
    checks = raw.get("password_checks", default_password_checks())
    if isinstance(checks, bool) or not isinstance(checks, int) or not 1 <= checks <= 64:
        raise ConfigError(f"web.password_checks: {checks!r} is not a whole number from 1 to 64")
    wait = raw.get("password_wait_seconds")
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait <= 60:
        raise ConfigError(f"web.password_wait_seconds: {wait!r} is not a number of seconds "
                          "from 0 to 60")
    return WebSettings(host=host, trusted_proxies=tuple(p.strip() for p in proxies),
                       metrics_token_sha256=token.lower(), public_url=_public_url(raw),
                       password_checks=checks, password_wait_seconds=float(wait), **values)


def _files(raw: dict[str, Any], env: Mapping[str, str], path: Path | None) -> FilesSettings:
    """[files]: the directory (MERZIM_FILES_DIR overrides; relative to the config file), the
    size limit in bytes and the accepted types."""
    raw = {**DEFAULTS["files"], **raw}
    unknown = set(raw) - set(DEFAULTS["files"])
    if unknown:
        raise ConfigError(f"files: unknown setting {', '.join(sorted(unknown))}")
    directory = raw.get("directory") or ""
    if not isinstance(directory, str):
        raise ConfigError(f"files.directory: {directory!r} is not a directory path")
    folder = None
    if env.get("MERZIM_FILES_DIR"):  # relative to the current directory, as a shell reads it
        folder = Path(env["MERZIM_FILES_DIR"]).absolute()
    elif directory:
        folder = Path(directory)
        if not folder.is_absolute():
            folder = (path.resolve().parent if path is not None else Path.cwd()) / folder
    size = raw.get("max_bytes")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"files.max_bytes: {size!r} is not a whole number of bytes of 1 or more")
    bounds = {}
    for key, what in (("max_unpacked_bytes", "bytes"), ("max_entries", "parts")):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"files.{key}: {value!r} is not a whole number of {what} of 1 or more")
        bounds[key] = value
    types = raw.get("types")
    if (not isinstance(types, list) or not types
            or not all(isinstance(t, str) and t in FILE_TYPES for t in types)):
        raise ConfigError(f"files.types: {types!r} must be a list of some of "
                          f"{', '.join(FILE_TYPES)}")
    return FilesSettings(directory=folder, max_bytes=size, types=tuple(dict.fromkeys(types)),
                         **bounds)


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


def _process_orgs(raw: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """`[processes.organisations]`: per process key, the organisation codes whose cases accept
    the events the definition keeps for some kinds of subject (`subject_kinds`) whatever their
    own kind: an operator switches the enterprise policy on for an organisation that is not a
    quasi-state entity (P-21). The keys are checked against the definitions at start."""
    table = raw.get("organisations", {})
    if not isinstance(table, dict):
        raise ConfigError("processes.organisations: must be a table of process keys, each a list "
                          "of organisation codes")
    out = {}
    for key, codes in table.items():
        if (not isinstance(codes, list)
                or not all(isinstance(c, str) and c.strip() for c in codes)):
            raise ConfigError(f"processes.organisations.{key}: {codes!r} must be a list of "
                              "organisation codes")
        out[key] = tuple(dict.fromkeys(c.strip() for c in codes))
    return out


def _obligations(raw: dict[str, Any]) -> dict[str, Any]:
    """`[obligations.KEY]`: switch a recurring obligation on or off, change whom it applies to."""
    for key, value in raw.items():
        if not isinstance(value, dict):
            raise ConfigError(f"obligations.{key}: must be a table (enabled, applies_to)")
        unknown = set(value) - {"enabled", "applies_to"}
        if unknown:
            raise ConfigError(f"obligations.{key}: unknown setting {', '.join(sorted(unknown))}")
    return raw


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    given = data.get(name) or {}
    if not isinstance(given, dict):
        raise ConfigError(f"[{name}] must be a table")
    return {**DEFAULTS[name], **given}


def _number(section: str, key: str, value: Any, minimum: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{section}.{key}: {value!r} must be a number >= {minimum}")
    return value


def load_notify_settings(settings: Settings, env: Mapping[str, str] | None = None,
                         require_secrets: bool = True) -> NotifySettings:
    """The reminder settings with the secrets of `env` (default: the process environment);
    `require_secrets`: a channel switched on without its secret is refused (the worker, `send`).
    """
    return _notify(settings.raw, os.environ if env is None else env, require_secrets)


def _notify(data: dict[str, Any], env: Mapping[str, str], require_secrets: bool) -> NotifySettings:
    """Parse and check; a wrong value stops merzim with a message naming it."""
    rem = _section(data, "reminders")
    channels = rem["channels"]
    if not isinstance(channels, list):
        raise ConfigError("reminders.channels: must be a list such as [\"email\", \"telegram\"]")
    for ch in channels:
        if ch not in CHANNELS:
            raise ConfigError(f"reminders.channels: unknown channel {ch!r} (known: email, telegram)")
    try:
        hh, mm = (int(x) for x in str(rem["send_time"]).split(":"))
        send_time = time(hh, mm)
    except ValueError:
        raise ConfigError(f"reminders.send_time: {rem['send_time']!r} is not HH:MM") from None
    before = rem["before"]
    if not isinstance(before, list) or not all(isinstance(b, int) and b >= 0 for b in before):
        raise ConfigError("reminders.before: must be a list of working-day counts >= 0")
    policy = ReminderSettings(
        before=tuple(sorted(set(before), reverse=True)),
        overdue_daily=bool(rem["overdue_daily"]),
        escalate_levels=int(_number("reminders", "escalate_levels", rem["escalate_levels"])),
        escalate_after=int(_number("reminders", "escalate_after", rem["escalate_after"], 1)),
    )
    smtp = None
    if "email" in channels:
        em = _section(data, "email")
        if em["security"] not in ("starttls", "tls", "none"):
            raise ConfigError(f"email.security: {em['security']!r} must be starttls, tls or none")
        if not isinstance(em["from"], str) or not EMAIL.match(em["from"]):
            raise ConfigError(f"email.from: {em['from']!r} is not an email address")
        if "password" in em or "user" in em:
            raise ConfigError("email: the SMTP user and password come from the environment "
                              "(MERZIM_SMTP_USER, MERZIM_SMTP_PASSWORD), not config.toml")
        smtp = SmtpSettings(host=str(em["host"]), port=int(_number("email", "port", em["port"], 1)),
                            security=em["security"], sender=em["from"],
                            user=env.get("MERZIM_SMTP_USER") or None,
                            password=env.get("MERZIM_SMTP_PASSWORD") or None,
                            timeout=float(_number("email", "timeout", em["timeout"], 1)),
                            reuse_seconds=float(_number("email", "reuse_seconds",
                                                        em["reuse_seconds"], 0)) or None)
    telegram = None
    tg = _section(data, "telegram")
    if "telegram" in channels:
        if "token" in tg:
            raise ConfigError("telegram.token: the bot token comes from the environment "
                              "(MERZIM_TELEGRAM_TOKEN), not config.toml")
        token = env.get("MERZIM_TELEGRAM_TOKEN", "")
        if require_secrets and not token:
            raise ConfigError("telegram: channel enabled but MERZIM_TELEGRAM_TOKEN is not set")
        base = str(tg["base_url"])
        try:
            parts = urlsplit(base) if base.isprintable() and " " not in base else None
            port_ok = parts is not None and (parts.port or 1) > 0
        except ValueError:  # e.g. "http://[::1" or a port that is not a number
            parts, port_ok = None, False
        if (parts is None or not port_ok or parts.scheme not in ("http", "https")
                or not parts.hostname):
            raise ConfigError(f"telegram.base_url: {base!r} is not an http(s) URL")
        telegram = TelegramSettings(token=token, base_url=base,
                                    rate_per_second=float(_number("telegram", "rate_per_second",
                                                                  tg["rate_per_second"], 0.1)))
    ob = _section(data, "outbox")
    outbox = OutboxSettings(
        max_attempts=int(_number("outbox", "max_attempts", ob["max_attempts"], 1)),
        backoff_seconds=float(_number("outbox", "backoff_seconds", ob["backoff_seconds"])),
        max_backoff_seconds=float(_number("outbox", "max_backoff_seconds",
                                          ob["max_backoff_seconds"])),
        lease_seconds=float(_number("outbox", "lease_seconds", ob["lease_seconds"], 0.1)),
        batch=int(_number("outbox", "batch", ob["batch"], 1)),
    )
    wk = _section(data, "worker")
    return NotifySettings(
        channels=tuple(channels), send_time=send_time, policy=policy, smtp=smtp,
        telegram=telegram,
        telegram_poll_seconds=float(_number("telegram", "poll_seconds", tg["poll_seconds"], 0.1)),
        telegram_lease_seconds=float(_number("telegram", "lease_seconds", tg["lease_seconds"], 1)),
        outbox=outbox,
        catch_up_minutes=float(_number("worker", "catch_up_minutes", wk["catch_up_minutes"], 0.01)),
        dispatch_seconds=float(_number("worker", "dispatch_seconds", wk["dispatch_seconds"], 0.1)),
        heartbeat_seconds=float(_number("worker", "heartbeat_seconds", wk["heartbeat_seconds"],
                                        1)),
        public_url=_public_url(_table(data, "web")),
    )


@dataclass(frozen=True)
class PathSettings:
    """The base of a feature's settings of one path, `[TABLE] KEY` (a directory or a file),
    kept as its field named KEY: `from_config` reads and checks it (`path_setting`)."""

    TABLE: ClassVar[str]
    KEY: ClassVar[str]
    DIRECTORY: ClassVar[bool]

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None, folder: Path | None = None) -> Self:
        """The table read and checked; a relative path is the config file's `folder`'s."""
        return cls(**{cls.KEY: path_setting(raw, cls.TABLE, cls.KEY, folder, cls.DIRECTORY)})


def path_setting(raw: Mapping[str, Any] | None, table: str, key: str, folder: Path | None,
                 directory: bool) -> Path | None:
    """A feature's settings table holding one path, `[table] key` (a directory or a file),
    read and checked: None when not set; a relative path is the config file's `folder`'s; an
    unknown key, a value that is not a path, or a path that is not there is refused."""
    raw = dict(raw or {})
    unknown = set(raw) - {key}
    if unknown:
        raise ConfigError(f"{table}: unknown setting {', '.join(sorted(unknown))}")
    what = "directory" if directory else "file"
    name = raw.get(key, "")
    if not isinstance(name, str):
        raise ConfigError(f"{table}.{key}: {name!r} is not a {what} path")
    if not name:
        return None
    found = Path(name)
    if not found.is_absolute():
        found = (folder or Path.cwd()) / found
    if not (found.is_dir() if directory else found.is_file()):
        raise ConfigError(f"{table}.{key}: {name} is not a {what}")
    return found
