"""A benchmark's own PostgreSQL schema: made empty, reached through its URL, dropped."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text


def schema_url(pg_url: str, schema: str) -> str:
    """The database URL whose connections work in `schema`."""
    sep = "&" if "?" in pg_url else "?"
    return f"{pg_url}{sep}options=-csearch_path%3D{schema}"


def new_schema(pg_url: str, prefix: str, digits: int = 10) -> tuple[str, str]:
    """An empty schema named `prefix` and `digits` random hex digits: (its name, its URL)."""
    schema = f"{prefix}{uuid.uuid4().hex[:digits]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, schema_url(pg_url, schema)


def drop_schema(pg_url: str, schema: str) -> None:
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
