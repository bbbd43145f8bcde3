"""A sheet of done work confirmed on two `merzim serve` nodes at once (one PostgreSQL
database; workflow/imports/done_work.py): the officer previews the same sheet on each node and
both confirms are released together by a barrier, repeated. Every try ends with each event
recorded once: one confirm records the sheet, the other is refused naming the records it would
repeat (each batch checks its rows again under the writers' lock), and nothing is left half
written."""

from __future__ import annotations

import json
import re
from datetime import date

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.done_work_sheets import ETHICS, REGISTRY, as_csv, sheet_rows
from tests.support.processes import CSRF, start_node, terminate, together, wait_up
from workflow import services as svc
from workflow.services import accounts as auth
from workflow.services import obligations
from workflow.storage import audit

pytestmark = pytest.mark.slow  # two nodes as processes

TRIES = 10
ROWS = 30  # one batch: a sheet of a month's events
DISTRICT = "AK-D9"
TODAY = date(2026, 2, 4)  # the nodes' day (tests/support/processes.py)
FORM = f"/registers/{ETHICS}/import"
PASSWORD = "Race-sheet-2026!"


@pytest.fixture
def nodes(db_url, db, tmp_path):
    """A district that joined with its January opened, its officer, and two nodes."""
    from calendars import KazakhstanCalendar

    ctx = svc.Context(KazakhstanCalendar(), REGISTRY, TODAY, actor="test", language="en")
    with Session(db) as s:
        svc.add_org(s, ctx, "AK", "Region", "akimat", None)
        svc.add_org(s, ctx, DISTRICT, "District nine", "district_akimat", "AK")
        zhanar = svc.add_user(s, ctx, "zhanar", "Zhanar Omarova", "officer", DISTRICT,
                              "zhanar@example.kz", "en")
        auth.set_password(s, zhanar, PASSWORD, "test-setup")
        obligations.open_year_so_far(s, ctx, DISTRICT, date(2026, 1, 1))
        s.commit()
    started = [start_node(db_url, tmp_path / name) for name in ("node-a", "node-b")]
    try:
        for proc, base in started:
            wait_up(proc, lambda base=base: httpx.get(f"{base}/healthz",
                                                      timeout=2).status_code == 200)
        yield [base for _proc, base in started]
    finally:
        for proc, _base in started:
            terminate(proc)


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    form = client.get("/login")
    r = client.post("/login", data={"login": "zhanar", "password": PASSWORD, "next": "/",
                                    "csrf": CSRF.search(form.text).group(1)})
    assert r.status_code == 303, r.text[:500]
    return client


def _previewed(client: httpx.Client, data: bytes) -> dict[str, str]:
    """The sheet uploaded and previewed on the client's node: the confirm form's fields."""
    form = client.get(FORM)
    r = client.post(FORM, data={"csrf": CSRF.search(form.text).group(1)},
                    files={"file": ("sheet.csv", data, "text/csv")})
    assert r.status_code == 200, r.text[-2000:]
    confirm = r.text.split('data-testid="import-confirm-form"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm))


def _together(*calls):
    return together(*calls, seconds=120)


def _recorded(db, suffix: str) -> list[str]:
    """The topics of the district's standing events that end with `suffix` (one try's)."""
    with db.connect() as conn:
        found = [e if isinstance(e, dict) else json.loads(e or "{}") for (e,) in conn.execute(
            text("SELECT r.evidence FROM event_record r JOIN process_case c "
                 "ON c.id = r.case_id WHERE c.process = :p AND r.kind = 'event' "
                 "AND r.voided_by_id IS NULL"), {"p": ETHICS})]
    return sorted(t for e in found if str(t := e.get("topic", "")).endswith(suffix))


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_sheet_confirmed_on_two_nodes_at_once_records_each_event_once(db, nodes):
    a, b = (_signed_in(base) for base in nodes)
    outcomes: dict[tuple[int, int], int] = {}
    for n in range(TRIES):
        rows = [dict(r, topic=f"{r['topic']} of try {n}")
                for r in sheet_rows(DISTRICT, 2026, 1, ROWS)]
        data = as_csv(rows)
        fields_a, fields_b = _previewed(a, data), _previewed(b, data)
        done_a, done_b = _together(
            lambda fields_a=fields_a: a.post(f"{FORM}/confirm", data=fields_a),
            lambda fields_b=fields_b: b.post(f"{FORM}/confirm", data=fields_b))
        codes = tuple(sorted((done_a.status_code, done_b.status_code)))
        outcomes[codes] = outcomes.get(codes, 0) + 1
        assert codes[0] == 200 and codes[1] in (409, 422), (n, codes, done_a.text[-800:],
                                                              done_b.text[-800:])
        refused = done_a if done_a.status_code != 200 else done_b
        assert "Traceback" not in refused.text
        assert "already recorded on case" in refused.text.replace("&#35;", "#"), \
            refused.text[-1500:]
        recorded = _recorded(db, f"of try {n}")
        assert len(recorded) == ROWS, (n, len(recorded))
    with Session(db) as s:
        assert audit.verify(s).ok
    assert outcomes == {(200, 409): TRIES} or sum(outcomes.values()) == TRIES
