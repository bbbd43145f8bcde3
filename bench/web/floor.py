"""The floor of bench/web/run.py: what FastAPI itself costs for one indexed SELECT.

A ten-line application, served by the benchmark only (never by the product): one route that
reads the first 50 overdue stages from the (status, due date, path, case) index of the same
database the product's pages read, with the same engine (`workflow.storage.db.make_engine`:
pool, driver, dialect options) and served by uvicorn as `merzim serve` serves the product (a
plain `def` route, run in the thread pool as the product's routes are). Started by run.py as

    python -m uvicorn bench.web.floor:app_factory --factory --port PORT

with MERZIM_DATABASE_URL and MERZIM_TODAY set.
"""

from __future__ import annotations

import os
from datetime import date

from fastapi import FastAPI
from sqlalchemy import text

from workflow.storage.db import make_engine

FLOOR_SQL = text("SELECT id, case_id, key, subject_path, due_date FROM stage "
                 "WHERE status = 'open' AND due_date < :today AND case_id IS NOT NULL "
                 "ORDER BY due_date, subject_path LIMIT 50")


def app_factory() -> FastAPI:
    engine = make_engine(os.environ["MERZIM_DATABASE_URL"])
    today = date.fromisoformat(os.environ["MERZIM_TODAY"])
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/floor")
    def floor() -> list[dict]:
        with engine.connect() as conn:
            return [{"id": i, "case": c, "key": k, "path": p, "due": str(d)}
                    for i, c, k, p, d in conn.execute(FLOOR_SQL, {"today": today})]

    @app.get("/login")  # run.py's start_server waits for this address to answer
    def ready() -> dict:
        return {}

    return app
