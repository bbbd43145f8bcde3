"""Database engine and schema: SQLite by default, PostgreSQL by URL, Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


BUSY_SECONDS = 10.0  # the default bound of a wait for another writer's lock ([database])
IDLE_SECONDS = 120.0  # the default bound of a transaction left idle ([database])
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE of a lock not taken within lock_timeout


def make_engine(url: str, busy_seconds: float = BUSY_SECONDS,
                idle_seconds: float = IDLE_SECONDS) -> Engine:
    """An engine for `url`. Every wait for a lock has a bound, `busy_seconds`: SQLite's busy
    timeout; PostgreSQL's `lock_timeout` (the writers' advisory lock, a row lock, a table's
    lock), after which the statement fails as `busy` says. A PostgreSQL transaction left idle
    longer than `idle_seconds` (a process stopped in the middle, holding the writers' lock) is
    ended by the server (`idle_in_transaction_session_timeout`), its locks released. SQLite
    gets foreign keys and WAL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_seconds})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    bounds = (f"-c lock_timeout={max(1, round(busy_seconds * 1000))} "
              f"-c idle_in_transaction_session_timeout={max(1, round(idle_seconds * 1000))}")
    given = make_url(url).query.get("options") or ""
    if not isinstance(given, str):  # (the option given several times in the URL)
        given = " ".join(given)
    # the URL's own options after merzim's: an operator's setting of either wins
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"options": f"{bounds} {given}".strip()})


def busy(exc: BaseException) -> bool:
    """Whether a database error says that another writer held a lock past the wait's bound
    (`make_engine`): SQLite "database is locked/busy", PostgreSQL's lock_timeout. Nothing was
    written; the same request may be sent again in a moment. The one answer to the question
    for the web (503 with Retry-After), the command line and the worker."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return True
    said = str(orig).lower()
    return "database is locked" in said or "database is busy" in said or (
        getattr(orig, "sqlstate", None) is None and ("locked" in said or "busy" in said))


def alembic_config(engine: Engine):
    from alembic.config import Config  # imported here: most commands never migrate

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


HEAD_REVISION = "0040"  # the newest migration (a test checks it against workflow/migrations)


def is_newer(rev: str) -> bool:
    """Whether a schema revision is unknown to this code (written by a newer merzim)."""
    known = {p.name.split("_", 1)[0] for p in (Path(__file__).parent / "migrations" / "versions")
             .glob("*.py")}
    return rev not in known


def revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None before `merzim init`). One connection and
    one SELECT; the dialect's own table check only when it fails: every command and request
    that opens a unit of work asks, and an `Inspector` built for the question cost several
    times the answer."""
    with engine.connect() as conn:
        try:  # one statement when the table is there (every command and page but `init`)
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except DBAPIError:
            conn.rollback()
            if conn.dialect.has_table(conn, "alembic_version"):
                raise
            return None


def driver_connection(conn: Connection) -> DBAPIConnection:
    """The driver's own connection under `conn` (a connection in use always holds one)."""
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("the database connection was closed or invalidated")
    return dbapi


def begin_write(s: OrmSession) -> None:
    """On SQLite, take the database's write lock now (BEGIN IMMEDIATE), before reading what the
    transaction's writes depend on; a transaction that has already written holds it. Other
    backends lock rows or use advisory locks instead: nothing to do."""
    conn = s.connection()
    if conn.dialect.name != "sqlite":
        return
    if not driver_connection(conn).in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def damage(s: Session) -> str | None:
    """What SQLite's `PRAGMA quick_check` finds wrong with the file (None: nothing; other
    backends check their own pages)."""
    if s.get_bind().dialect.name != "sqlite":
        return None
    rows = [r[0] for r in s.connection().exec_driver_sql("PRAGMA quick_check").fetchall()]
    return None if rows == ["ok"] else "; ".join(rows[:3])


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
