"""A case's opening values corrected, on SQLite and PostgreSQL: through the
command line (`merzim case edit`) and the API (`PATCH /api/v1/cases/{id}`). The new values pass
the opening's checks, the case is re-planned (a given date moves its due dates) and re-scored
(the score reads cases), and the audit log keeps the old and new values; a refusal changes
nothing."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from tests.support.cli_runner import Merzim
from tests.support.databases import dump_tables
from tests.support.web_helpers import Web, en
from tests.support.web_helpers import web_fixture as web_fixture  # noqa: F401 - the `web` fixture
from workflow.storage.db import session as open_session
from workflow.storage.models import AuditRecord


def project2_world(engine) -> None:
    """`merzim init`, then a central body (MF) added, through the real entry point (built once
    per test process and backend, copied for each test that uses `cli`)."""
    url = engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="merzim-case-edit-") as tmp:
        merzim = Merzim(Path(tmp), db_url=url)
        assert merzim("init").returncode == 0
        assert merzim("org", "add", "MF", "--name", "MF", "--kind", "central_body"
                      ).returncode == 0


TEMPLATE_RECIPES = {"cli": ("case-edit", project2_world)}
TODAY = "2026-06-30"
REASON = "Detected by our own check, typed wrong"


@pytest.fixture
def cli(db_url, tmp_path):
    merzim = Merzim(tmp_path, db_url=db_url)

    def run(*args: str, code: int = 0, lang: str = "en"):
        result = merzim(*args, today=TODAY, lang=lang)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        return result
    return run


def _json(result):
    return json.loads(result.stdout)


def _breach(cli, independently: str = "no") -> int:
    opened = cli("case", "open", "restriction_breach", "--subject", "MF", "--person", "F. Given",
                 "--position", "Inspector", "--field", "kind=reward_or_gift",
                 "--field", f"detected_independently={independently}",
                 "--date", "detected=2026-05-04", "--json")
    return _json(opened)["id"]


def _points(cli) -> dict[str, float]:
    """The 2.5.x points of MF in 2026, from `merzim score --json`."""
    out = _json(cli("score", "MF", "--year", "2026", "--json"))
    return {i["key"]: i["points"] for i in out["indicators"] if i["key"].startswith("2.5.")}


def revision_of(page: str) -> str:
    """The revision of the values the case page's correction form carries."""
    found = re.search(r'name="revision" value="(\d+)"', page)
    assert found, "no revision in the correction form"
    return found.group(1)


def _edits(db, case_id: int) -> list[dict]:
    with open_session(db) as s:
        rows = s.exec(select(AuditRecord).where(AuditRecord.action == "case.edit",
                                                AuditRecord.entity_id == str(case_id))
                      .order_by(AuditRecord.id)).all()  # (in the order written)
        return [json.loads(r.payload) for r in rows]


def test_detected_independently_corrected_rescores_and_is_audited(db, cli):
    cid = _breach(cli)
    before = _points(cli)
    assert sum(before.values()) == 0
    edited = _json(cli("case", "edit", str(cid), "--field", "detected_independently=yes",
                       "--reason", REASON, "--json"))
    assert edited["fields"]["detected_independently"] == "yes"
    assert edited["fields"]["kind"] == "reward_or_gift"  # what is not given stays
    assert edited["person"] == {"name": "F. Given", "position": "Inspector"}
    after = _points(cli)
    assert sum(after.values()) == 3
    assert {k for k, v in after.items() if v != before[k]} == {"2.5.4"}
    (edit,) = _edits(db, cid)
    assert edit["reason"] == REASON and edit["version"] == edited["process_version"]
    assert edit["old"] == {"fields": {"detected_independently": "no"}}
    assert edit["new"] == {"fields": {"detected_independently": "yes"}}
    plain = cli("case", "edit", str(cid), "--position", "Senior inspector", "--reason", REASON)
    assert en("case.edited", id=cid) in plain.stdout
    assert _edits(db, cid)[-1]["old"] == {"position": "Inspector"}


BAD = [
    (("--field", "detected_independently=maybe"), 2, "maybe"),
    (("--date", "detected=2026-07-01"), 3, "2026-07-01"),  # past = true: not after today
    (("--date", "unknown=2026-01-01"), 2, "unknown"),
    (("--field", "kind="), 2, ""),  # required
    (("--person", ""), 2, ""),  # the person is required
    (("--field", "detected_independently=no"), 2, ""),  # nothing changes
    (("--reason", " "), 2, ""),
    (("--reason", "x" * 501), 2, "500"),
]


def test_a_bad_value_is_refused_and_nothing_changes(db, cli):
    cid = _breach(cli)
    before = dump_tables(db)
    for args, code, said in BAD:
        reason = () if "--reason" in args else ("--reason", REASON)
        refused = cli("case", "edit", str(cid), *args, *reason, code=code)
        assert refused.stdout == "" and said in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr
        assert dump_tables(db) == before, args
    cli("case", "edit", "999", "--person", "X", "--reason", REASON, code=4)
    ru = cli("case", "edit", str(cid), "--field", "detected_independently=no", "--reason",
             REASON, lang="ru", code=2)
    assert f"№{cid}" in ru.stderr
    # a closed case takes no correction
    cli("record", str(cid), "measures_taken", "--date", "2026-06-01")
    closed = dump_tables(db)
    cli("case", "edit", str(cid), "--field", "detected_independently=yes", "--reason", REASON,
        code=3)
    assert dump_tables(db) == closed


def _liability(cli, in_force: str) -> dict:
    return _json(cli("case", "open", "manager_liability", "--subject", "MF", "--person",
                     "B. Head", "--position", "Deputy head", "--field",
                     "offence_category=Grave crime", "--field", "incidents=A bribe", "--field",
                     "erdr_number=251234567890123", "--field", "court=Astana court",
                     "--field", "supervisor_political=yes", "--field", "three_months=yes",
                     "--field", "detected_independently=no", "--date", "court_act=2026-02-01",
                     "--date", f"in_force={in_force}", "--json"))


def _due(view: dict, key: str) -> str | None:
    return next(st["due"] for st in view["stages"] if st["key"] == key)


def test_a_given_date_corrected_moves_the_due_dates(db, cli):
    opened = _liability(cli, "2026-03-11")
    assert _due(opened, "resignation") == "2026-03-26"  # (Nauryz: tests/registers/test_registers_project2)
    edited = _json(cli("case", "edit", str(opened["id"]), "--date", "in_force=2026-06-04",
                       "--reason", "the court's date was typed wrong", "--json"))
    # Thu 4 June 2026 + 10 calendar days = Sun 14 June => Mon 15 June
    assert _due(edited, "resignation") == "2026-06-15"
    (edit,) = _edits(db, opened["id"])
    assert edit["old"] == {"dates": {"in_force": "2026-03-11"}}
    assert edit["new"] == {"dates": {"in_force": "2026-06-04"}}
    assert edit["moved"] == [["resignation", "2026-03-26", "2026-06-15"]]
    # a date before its floor (in force before the court act) is refused, nothing changed
    before = dump_tables(db)
    cli("case", "edit", str(opened["id"]), "--date", "in_force=2026-01-01", "--reason", REASON,
        code=3)
    assert dump_tables(db) == before


# -- the API ------------------------------------------------------------------------------------


@pytest.fixture
def cw(web) -> Web:
    """The `web` fixture's application with every shipped process."""
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app
    from workflow.definitions import load_registry

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, load_registry())
    return web


def test_api_corrects_a_case_and_refuses_a_bad_value(cw: Web):
    web = cw
    api = web.api("asel")
    body = {"process": "conflict_of_interest", "subject": "AK-ALM-EDU",
            "person": "Aliya Nurova", "dates": {"notified": "2025-10-01"}}
    opened = api.post("/api/v1/cases", json=body)
    assert opened.status_code == 200, opened.text
    case_id, version = opened.json()["id"], opened.json()["process_version"]
    nurlan = web.api("nurlan")  # (his token stored now)
    before = web.dump()
    anonymous = web.api(None).patch(f"/api/v1/cases/{case_id}", json={"reason": REASON})
    assert anonymous.status_code == 401
    manager = nurlan.patch(f"/api/v1/cases/{case_id}",
                                      json={"person": "X", "reason": REASON})
    assert manager.status_code == 409 and manager.json()["error"] == "rule.cannot_record"
    bad = api.patch(f"/api/v1/cases/{case_id}",
                    json={"dates": {"notified": "2099-01-01"}, "reason": REASON})
    assert bad.status_code == 409, bad.text
    other = api.patch(f"/api/v1/cases/{case_id}",
                      json={"person": "Aliya Nurova-Sadykova", "reason": REASON,
                            "version": version + 1})
    assert other.status_code == 409 and other.json()["error"] == "rule.edit_version"
    assert web.dump() == before
    done = api.patch(f"/api/v1/cases/{case_id}",
                     json={"person": "Aliya Nurova-Sadykova", "dates": {"notified": "2025-10-02"},
                           "reason": REASON, "version": version})
    assert done.status_code == 200, done.text
    view = done.json()
    assert view["person"]["name"] == "Aliya Nurova-Sadykova"
    assert view["dates"]["notified"]["date"] == "2025-10-02"
    with open_session(web.engine) as s:
        (edit,) = [json.loads(r.payload) for r in s.exec(select(AuditRecord).where(
            AuditRecord.action == "case.edit")).all()]
    assert edit["old"] == {"person": "Aliya Nurova", "dates": {"notified": "2025-10-01"}}
    assert date.fromisoformat(edit["new"]["dates"]["notified"]) == date(2025, 10, 2)


# -- the web --------------------------------------------------------------------------------------


def test_web_form_corrects_a_case_and_a_refusal_keeps_everything(cw: Web):
    from tests.support.web_helpers import csrf_of, refusal_of
    from web.kit.once import FIELD

    asel = cw.browser("asel")
    opened = cw.api("asel").post("/api/v1/cases", json={
        "process": "conflict_of_interest", "subject": "AK-ALM-EDU", "person": "Dana Omarova",
        "dates": {"notified": "2025-10-01"}})
    case_id = opened.json()["id"]
    page = asel.get(f"/cases/{case_id}")
    assert 'data-testid="edit-form"' in page.text and f'name="{FIELD}"' in page.text.split(
        'data-testid="edit-form"')[1].split("</form>")[0]
    form = {"csrf": csrf_of(page.text), "person": "Dana Omarova", "position": "",
            "date_notified": "2025-10-01", "revision": revision_of(page.text)}
    before = cw.dump()
    bad = asel.post(f"/cases/{case_id}/edit", data={**form, "date_notified": "2099-01-01",
                                                     "reason": REASON})
    assert bad.status_code == 409 and "2099-01-01" in refusal_of(bad.text)
    assert 'value="2099-01-01"' in bad.text  # what was typed is kept
    empty = asel.post(f"/cases/{case_id}/edit", data={**form, "person": "D. Omarova",
                                                       "reason": ""})
    assert empty.status_code == 422 and refusal_of(empty.text) == en("error.reason_required")
    assert cw.dump() == before
    done = asel.post(f"/cases/{case_id}/edit", data={**form, "person": "D. Omarova",
                                                      "reason": REASON})
    assert done.status_code == 303, done.text
    page = asel.get(f"/cases/{case_id}")
    assert en("case.edited", id=case_id) in page.text and "D. Omarova" in page.text
    # who may not record on the case sees no form and is refused
    manager = cw.browser("nurlan")
    shown = manager.get(f"/cases/{case_id}")
    assert 'data-testid="edit-form"' not in shown.text
    after = cw.dump()
    refused = manager.post(f"/cases/{case_id}/edit", data={
        **form, "csrf": csrf_of(shown.text), "person": "X", "reason": REASON})
    assert refused.status_code == 409 and cw.dump() == after
