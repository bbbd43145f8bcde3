"""A register's file sent through the web import as a browser sends it: the form with its
file and idempotency key, the preview's confirm, the register's entries read back
(tests/web/test_web_import.py, tests/web/test_web_import_languages.py); the forms as
tests/support/import_helpers.py sends them."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from tests.support.import_helpers import FORM, KEY, TOKEN, confirm, csv_of, upload
from tests.support.web_helpers import TODAY, Web
from workflow.storage.models import Case
from workflow.storage.queries import live_case

__all__ = ["DAY", "FORM", "KEY", "PROCESS", "REFUSED_ROW", "TOKEN", "breaches", "confirm", "csv_of",
           "upload"]

PROCESS = "restriction_breach"
REFUSED_ROW = re.compile(r'<li data-row="(\d+)"[^>]*>Row \d+: ([^<]*)</li>')
DAY = TODAY.replace(day=3).isoformat()


def breaches(web: Web) -> list[Case]:
    with Session(web.engine) as s:
        return list(s.exec(select(Case).where(Case.process == PROCESS)
                           .order_by(col(Case.id))).all())


def shown(web: Web) -> list[Case]:
    """The register's cases every reader shows: not withdrawn, of no unfinished import."""
    with Session(web.engine) as s:
        return list(s.exec(select(Case).where(Case.process == PROCESS, live_case())
                           .order_by(col(Case.id))).all())
