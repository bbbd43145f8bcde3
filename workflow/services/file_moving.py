"""Evidence files moved from a directory into the database (`merzim files move-to-database`):
a PostgreSQL deployment of several nodes keeps its files where every node reaches
them. Each file is copied in a transaction of its own and its content hashed as it is copied and
again once it is stored; a file there already is counted, not copied (run again after a stop, it
goes on where it stopped); a file missing or changed in the directory is named and not copied.
The rows of `evidence_file` and the audit log are not touched: a file is named by its SHA-256
wherever its content lives. The directory is left as it was."""

from __future__ import annotations

from sqlmodel import Session

from workflow.core.errors import UsageError
from workflow.settings import Settings
from workflow.storage.filestore import (
    DatabaseFileStore,
    FileStore,
    Moved,
    move_to_database,
    staging_directory,
)
from workflow.storage.queries import files as queries


def stored_names(s: Session) -> list[str]:
    """Every SHA-256 a file row names (void files too: their content is kept), in order."""
    return queries.stored_names(s)


def check_move(settings: Settings) -> None:
    """Refused before anything is read: a SQLite database keeps its directory, and there must
    be a directory to move from."""
    if settings.database_url.startswith("sqlite"):
        raise UsageError("the database store is for PostgreSQL", key="files.move_needs_postgresql")
    if settings.files.directory is None:
        raise UsageError("no directory to move files from", key="files.move_no_directory")


def move_files(settings: Settings, names: list[str]) -> Moved:
    """Copy the blobs `names` of `[files] directory` into the database (PostgreSQL only): no
    transaction of the caller's is held while the files are copied."""
    check_move(settings)
    url = settings.database_url
    assert settings.files.directory is not None
    source = FileStore(settings.files.directory)
    target = DatabaseFileStore(url, staging_directory())
    return move_to_database(source, target, iter(names))
