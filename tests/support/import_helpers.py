"""What the import tests share (tests/registers/test_analysis_register_bulk.py,
tests/web/test_web_import_batches.py, tests/services/test_import_hidden.py,
tests/web/test_web_import.py, tests/web/test_web_import_languages.py) and the bench of
sign-ins during a web import (bench/import/web_signin.py): a small world of organisations,
what an import leaves behind, and the web import's forms as a browser sends them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import MetaData, select
from sqlmodel import Session, col
from sqlmodel import select as rows_of

from tests.support.register_rows import context, world  # noqa: F401 - the small world
from tests.support.web_helpers import CALENDAR, TODAY, Web, _settings, csrf_of
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.imports import registers as ri
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import Organisation

REGISTRY = load_registry()
DAY = date(2026, 6, 1)  # the services' today in the small world
FORM = "/registers/restriction_breach/import"
TOKEN = re.compile(r'name="token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
FOLLOW = re.compile(r'href="(/registers/[^/]+/imports/([0-9a-f]+)\?sig=([0-9a-f]+))"')


def stored(eng) -> dict:
    """What an import leaves behind, without ids of stages and records and the clock's
    timestamps: cases, stages, records and every audit payload of a case."""
    meta = MetaData()
    meta.reflect(bind=eng)
    case, stage, record, log = (meta.tables[t] for t in ("process_case", "stage",
                                                         "event_record", "audit_log"))

    def plain(row):
        return tuple(json.loads(v) if isinstance(v, str) and v[:1] in "{[" else v for v in row)

    with eng.connect() as conn:
        marks = [c for c in case.c if c.name.startswith("withdrawn_")]  # the last three
        cases = [plain(r) for r in conn.execute(
            select(*[c for c in case.c if c.name != "created_at"
                     and not c.name.startswith("withdrawn_")],
                   *marks).order_by(case.c.id))]
        stages = sorted((plain(r) for r in conn.execute(
            select(*[c for c in stage.c if c.name != "id"]))), key=repr)
        records = sorted((plain(r) for r in conn.execute(
            select(*[c for c in record.c if c.name not in ("id", "recorded_at")]))), key=repr)
        payloads = sorted(((r.action, r.entity_id, json.loads(r.payload)) for r in conn.execute(
            select(log).where(log.c.entity == "case"))), key=repr)
    with open_session(eng) as s:
        assert audit.verify(s).ok
    return {"cases": cases, "stages": stages, "records": records, "audit": payloads}


# -- the web import -------------------------------------------------------------------------------


def registers_site(web: Web, tmp_path) -> Web:
    """The demo's web application with every shipped definition (the registers too)."""
    url = web.engine.url.render_as_string(hide_password=False)
    web.app = create_app(_settings(tmp_path, url), web.engine, CALENDAR, load_registry())
    web._browsers.clear()
    return web


@pytest.fixture(name="site")
def site_fixture(web: Web, tmp_path) -> Web:
    """The `site` fixture: the demo's web application (the `web` fixture) with every shipped
    definition (the registers too)."""
    return registers_site(web, tmp_path)


def but_kept(dump: dict) -> dict:
    """A database's rows (`Web.dump`) but the file store's tables: a preview keeps the file it
    accepted there (the database on PostgreSQL) for the confirm, and stores nothing else."""
    return {k: v for k, v in dump.items() if k not in ("file_blob", "file_chunk")}


def csv_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def upload(b, data: bytes, name: str = "breaches.csv", path: str = FORM):
    """The import form sent with a file, as the browser sends it (its idempotency key too)."""
    form = b.get(path).text
    key = KEY.search(form)
    return b.post(path, data={"csrf": csrf_of(form), "idempotency_key": key.group(1)},
                  files={"file": (name, data)})


def confirm(b, page: str, path: str = FORM, token: str | None = None):
    """The preview's confirm form sent (its hidden fields as the page has them; `token`, a
    token of another page)."""
    found = TOKEN.search(page)
    assert found or token, page[-2000:]
    data = {"csrf": csrf_of(page), "token": token or found.group(1)}
    for name in ("import_id", "import_sig"):
        value = re.search(rf'name="{name}" value="([^"]+)"', page)
        if value:
            data[name] = value.group(1)
    return b.post(f"{path}/confirm", data=data)


def breaches(n: int) -> list[dict]:
    """`n` breaches of Asel's department as the import reads them, each of another person."""
    day = TODAY.replace(day=3).isoformat()
    return [{"subject": "AK-ALM-EDU", "person": f"Person {i}", "kind": "foreign_account",
             "detected": day, "responsible": "asel", "_row": i + 2} for i in range(n)]


def interrupted(site: Web, asel, rows: int) -> tuple[str, str, str]:
    """A file of `rows` breaches previewed from the web by `asel` (her browser), then written
    by the import until its first batch (the writer stopped there): the preview's page, the
    import's id and its progress link. The file names its organisation and responsible officer
    (as `breaches`), so it reads the same to an administrator who resumes it."""
    day = TODAY.replace(day=3).isoformat()
    r = upload(asel, csv_of("subject,person,kind,detected,responsible",
                            *(f"AK-ALM-EDU,Person {i},foreign_account,{day},asel"
                              for i in range(rows))))
    link, import_id, _sig = FOLLOW.search(r.text).groups()

    class Stopped(Exception):
        pass

    def stop(_id: str, _done: int, _total: int) -> None:
        raise Stopped

    ctx = svc.Context(CALENDAR, load_registry(), TODAY, actor="web:asel", language="en")
    with Session(site.engine) as s:
        checked = ri.check_file(s, ctx, "restriction_breach", breaches(rows))
        with pytest.raises(Stopped):
            ri.write_file(s, ctx, checked, stop, import_id)
    return r.text, import_id, link


def sign_in_and_write(web: Web, browser, login: str, api, day: date) -> None:
    """What other users do while an import writes: `login` signs in through `browser`, and the
    API client `api` records the education analysis's note on `day`; both are answered."""
    signed_in = web.post_login(browser, login)
    assert signed_in.status_code == 303, signed_in.text
    written = api.post(f"/api/v1/analyses/{web.analyses['edu']}/events",
                       json={"event": "analytic_note", "date": day.isoformat(),
                             "number": "17-ө", "signed_by": "Head of department"})
    assert written.status_code == 200, written.text


def schedule(site: Web, n: int) -> bytes:
    """`n` one-day analyses of Asel's department, each of an organisation of the demo on a
    day of its own (none repeats another), from next year on."""
    with Session(site.engine) as s:
        objects = list(s.exec(rows_of(Organisation.code).order_by(col(Organisation.id))).all())
    first = TODAY.replace(year=TODAY.year + 1, month=1, day=1)
    lines = []
    for i in range(n):
        day = (first + timedelta(days=i // len(objects))).isoformat()
        lines.append(f",{objects[i % len(objects)]},{day},{day}")
    return csv_of("subject,object,start,end", *lines)
