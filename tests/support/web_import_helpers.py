"""A register's file sent through the web import as a browser sends it: the form with its
file and idempotency key, the preview's confirm, the register's entries read back
(tests/web/test_web_import.py, tests/web/test_web_import_languages.py)."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from tests.support.web_helpers import TODAY, Web, csrf_of
from workflow.storage.models import Case
from workflow.storage.queries import live_case

PROCESS = "restriction_breach"
FORM = f"/registers/{PROCESS}/import"
TOKEN = re.compile(r'name="token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
REFUSED_ROW = re.compile(r'<li data-row="(\d+)"[^>]*>Row \d+: ([^<]*)</li>')
DAY = TODAY.replace(day=3).isoformat()



def csv_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def upload(b, data: bytes, name: str = "breaches.csv", path: str = FORM):
    """The import form sent with a file, as the browser sends it (its idempotency key too)."""
    form = b.get(path).text
    key = KEY.search(form)
    return b.post(path, data={"csrf": csrf_of(form), "idempotency_key": key.group(1)},
                  files={"file": (name, data)})


def confirm(b, page: str, path: str = FORM, token: str | None = None):
    """The preview's confirm form sent (its hidden fields as the page has them)."""
    found = TOKEN.search(page)
    assert found or token, page[-2000:]
    data = {"csrf": csrf_of(page), "token": token or found.group(1)}
    for name in ("import_id", "import_sig"):
        value = re.search(rf'name="{name}" value="([^"]+)"', page)
        if value:
            data[name] = value.group(1)
    return b.post(f"{path}/confirm", data=data)


def breaches(web: Web) -> list[Case]:
    with Session(web.engine) as s:
        return list(s.exec(select(Case).where(Case.process == PROCESS)
                           .order_by(col(Case.id))).all())


def shown(web: Web) -> list[Case]:
    """The register's cases every reader shows: not withdrawn, of no unfinished import."""
    with Session(web.engine) as s:
        return list(s.exec(select(Case).where(Case.process == PROCESS, live_case())
                           .order_by(col(Case.id))).all())
