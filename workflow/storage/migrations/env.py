"""Alembic environment: runs migrations on the engine merzim hands over."""

from alembic import context
from sqlmodel import SQLModel

import workflow.storage.models

workflow.storage.models.load_all()  # every table in the metadata (built when first named)
config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it; with foreign keys on, dropping the old copy of
            # a referenced table (app_user, organisation) fails. Checks resume after the upgrade.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run()
