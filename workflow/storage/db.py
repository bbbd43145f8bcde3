"""Database engine and schema: SQLite by default, PostgreSQL by URL, Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, busy_seconds: float = 30) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_seconds})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


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


HEAD_REVISION = "0034"  # the newest migration (a test checks it against workflow/migrations)


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


def begin_write(s: Session) -> None:
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
