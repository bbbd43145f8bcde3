"""The floor of bench/api/run.py: what FastAPI itself costs for one plain SELECT of 50 cases.

A small application, served by the benchmark only (never by the product): one route that reads
the first 50 cases by number (the primary key) of the same database the API reads, with the
same engine (`workflow.storage.db.make_engine`) and served by uvicorn as `merzim serve` serves
the product (a plain `def` route, run in the thread pool as the product's routes are).
Started by run.py as

    python -m uvicorn bench.api.floor:app_factory --factory --port PORT

with MERZIM_DATABASE_URL set.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import text

from workflow.storage.db import make_engine

FLOOR_SQL = text("SELECT id, process, subject_id, period, case_date, state FROM process_case "
                 "ORDER BY id LIMIT 50")


def app_factory() -> FastAPI:
    engine = make_engine(os.environ["MERZIM_DATABASE_URL"])
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/floor")
    def floor() -> list[dict]:
        with engine.connect() as conn:
            return [{"id": i, "process": p, "subject": s, "period": pe, "case_date": str(d),
                     "state": st} for i, p, s, pe, d, st in conn.execute(FLOOR_SQL)]

    @app.get("/login")  # run.py waits for this address to answer
    def ready() -> dict:
        return {}

    return app
