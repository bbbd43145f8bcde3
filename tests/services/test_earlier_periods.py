"""An officer opens the case of a recurring obligation for an earlier period the sync did not
open (a meeting held before merzim was installed) and records it: through the command line
(`merzim case open KEY --subject ORG --period LABEL`), the web's open-case form and the API
(`POST /api/v1/cases` with "period"), on SQLite and PostgreSQL.

The case is the one `obligations sync` would have opened (the same named dates, due date,
stages and audit record; the unique key of obligation, organisation and period), opened once
(again: the same case; a later sync opens no second one), and the evaluation counts it. Every
refusal (not a recurring obligation, a malformed period or one of another kind, an organisation
the obligation does not apply to, a period after the next one or before the calendar) leaves
every table as it was.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlmodel import Session, select

from tests.support.cli_runner import dated_cli, init_with_orgs
from tests.support.databases import dump_tables
from tests.support.web_helpers import (
    Web,
    csrf_of,
    en,
    refusal_of,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.storage.models import AuditRecord, Case, Stage

TODAY = "2026-11-25"  # a Wednesday of the fourth quarter
MEETING = "akim_commission_meeting"  # quarterly; akimats and district akimats
REGISTRY = load_registry()


@pytest.fixture
def cli(merzim_db):
    """`merzim` on the test database on TODAY: (exit code, stdout, stderr)."""
    init_with_orgs(merzim_db, (("AK", "AK", "akimat", None),
                               ("AK-D1", "AK-D1", "district_akimat", "AK"),
                               ("AK-D2", "AK-D2", "district_akimat", "AK"),
                               ("DEP", "DEP", "department", "AK")))
    return dated_cli(merzim_db, TODAY)


def period_cases(db, org: str) -> dict[str, int]:
    """The organisation's meeting cases: period -> case id (one each, or the test fails)."""
    from workflow.storage.models import Organisation

    with Session(db) as s:
        rows = s.exec(select(Case.period, Case.id).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Case.process == MEETING, Organisation.code == org)).all()
    out = dict(rows)
    assert len(out) == len(rows), rows
    return out


def opened_like(db, case_id: int) -> tuple:
    """What a case was opened with, its subject aside: its row's dates, period and version, its
    stages' keys and due dates, and its `case.open` audit record's payload."""
    with Session(db) as s:
        case = s.get(Case, case_id)
        stages = sorted((st.key, st.due_date, st.status) for st in s.exec(
            select(Stage).where(Stage.case_id == case_id)))
        record = s.exec(select(AuditRecord).where(AuditRecord.action == "case.open",
                                                  AuditRecord.entity_id == str(case_id))).one()
    payload = json.loads(record.payload)
    payload.pop("subject")
    return (case.process_version, case.period, case.case_date, case.dates, case.state,
            stages, payload)


def held(cli, org: str) -> dict:
    card = cli.ok("score", org, "--year", "2026")
    return next(i["inputs"] for i in card["indicators"] if i["key"] == "4.1.1")


def test_the_cli_opens_an_earlier_quarter_as_the_sync_does_and_the_score_counts_it(cli, db):
    # in the second quarter the sync opened Q2 and Q3 for the region and its districts; the
    # district AK-D4 joins later: on 25 November it records its Q2 meeting, held on 20 May
    cli.ok("obligations", "sync", today="2026-05-04")
    synced = period_cases(db, "AK-D2")
    assert set(synced) == {"2026Q2", "2026Q3"}
    code, _out, err = cli("org", "add", "AK-D4", "--name", "AK-D4", "--kind", "district_akimat",
                          "--parent", "AK")
    assert code == 0, err
    assert period_cases(db, "AK-D4") == {}
    opened = cli.ok("case", "open", MEETING, "--subject", "AK-D4", "--period", "2026Q2")
    assert (opened["period"], opened["subject"], opened["state"]) == ("2026Q2", "AK-D4", "open")
    assert opened["warnings"] == []
    # the case the sync opened for another district: the same dates, due date, stages and
    # audit record (but for the subject)
    assert opened_like(db, opened["id"]) == opened_like(db, synced["2026Q2"])
    assert opened["dates"]["period_due"]["date"] == "2026-06-30"
    # again: the same case, a warning, nothing written
    before = dump_tables(db)
    again = cli.ok("case", "open", MEETING, "--subject", "AK-D4", "--period", "2026Q2")
    assert again["id"] == opened["id"]
    assert again["warnings"] == [{"code": "period_case_exists", "id": opened["id"],
                                  "period": "2026Q2"}]
    assert dump_tables(db) == before
    code, out, _err = cli("case", "open", MEETING, "--subject", "AK-D4", "--period", " 2026Q2")
    assert code == 0 and en("warning.period_case_exists", period="2026Q2",
                            id=opened["id"]) in out
    assert en("case.opened", id=opened["id"], process=opened["process_name"]) not in out
    # the meeting held on 20 May, recorded now
    done = cli.ok("record", str(opened["id"]), "meeting_held", "--date", "2026-05-20")
    assert done["state"] == "done" and done["stages"][0]["status"] == "done_on_time"
    # the current quarter opened by hand before the sync, then the sync: no second case
    current = cli.ok("case", "open", MEETING, "--subject", "AK-D4", "--period", "2026Q4")
    synced_now = cli.ok("obligations", "sync")
    assert [o["period"] for o in synced_now["opened"]
            if (o["process"], o["org"]) == (MEETING, "AK-D4")] == ["2027Q1"]
    mine = period_cases(db, "AK-D4")
    assert mine == {"2026Q2": opened["id"], "2026Q4": current["id"],
                    "2027Q1": mine["2027Q1"]}
    # the region's own Q2, opened and recorded: the evaluation counts the quarter held
    assert held(cli, "AK")["held"] == 0
    region = cli.ok("case", "open", MEETING, "--subject", "AK", "--period", "2026Q2")
    assert region["id"] == period_cases(db, "AK")["2026Q2"]  # the sync's, returned
    cli.ok("record", str(region["id"]), "meeting_held", "--date", "2026-05-20")
    q1 = cli.ok("case", "open", MEETING, "--subject", "AK", "--period", "2026Q1")
    assert q1["warnings"] == [] and q1["dates"]["period_due"]["date"] == "2026-03-31"
    cli.ok("record", str(q1["id"]), "meeting_held", "--date", "2026-02-11")
    inputs = held(cli, "AK")
    assert inputs["held"] == 2
    # AK-D4's quarters all recorded (Q1 and Q3 opened by hand too): no longer a district that
    # missed one (AK-D1 and AK-D2 still did)
    before_missed = inputs["missed"]
    for label, day in (("2026Q1", "2026-03-10"), ("2026Q3", "2026-08-12")):
        case = cli.ok("case", "open", MEETING, "--subject", "AK-D4", "--period", label)
        cli.ok("record", str(case["id"]), "meeting_held", "--date", day)
    cli.ok("record", str(current["id"]), "meeting_held", "--date", "2026-11-20")
    after = held(cli, "AK")
    assert (after["units"], after["missed"]) == (3, before_missed - 1) == (3, 2)


def test_every_refusal_of_the_cli_leaves_the_database_unchanged(cli, db):
    before = dump_tables(db)
    t_ru = Translator("ru")
    refusals = [  # (arguments, exit code, the message)
        (("gift", "--subject", "AK-D1", "--period", "2026Q2"), 2,
         en("error.not_recurring", process=REGISTRY.get("gift").names["en"])),
        ((MEETING, "--subject", "AK-D1", "--period", "2026-05"), 2,
         en("error.bad_period", value="2026-05")),
        ((MEETING, "--subject", "AK-D1", "--period", "2026M05"), 2,
         en("error.period_kind", value="2026M05", kind="quarter", example="2026Q4")),
        ((MEETING, "--subject", "DEP", "--period", "2026Q2"), 3,
         en("rule.obligation_not_for_kind", process=REGISTRY.get(MEETING).names["en"],
            kind="department", kinds="“regional akimat”, “district akimat”, “akimat of a city of "
                        "republican significance”")),
        ((MEETING, "--subject", "AK-D1", "--period", "2027Q2"), 3,
         en("rule.period_later", value="2027Q2", last="2027Q1")),
        ((MEETING, "--subject", "AK-D1", "--period", "2001Q4"), 2,
         en("error.year_outside", year=2001, first=2002, last=2030)),
        ((MEETING, "--subject", "AK-D1", "--period", "2026Q2", "--date",
          "period_start=2026-04-01"), 2, en("error.period_alone", period="2026Q2")),
        ((MEETING, "--subject", "NOPE", "--period", "2026Q2"), 4, None),
    ]
    for args, exit_code, message in refusals:
        code, out, err = cli("case", "open", *args)
        assert (code, out) == (exit_code, ""), (args, code, out, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        if message is not None:
            assert err.strip() == message, (args, err)
        assert dump_tables(db) == before, args
    # in Russian, the kinds by their names
    code, _out, err = cli("case", "open", MEETING, "--subject", "AK-D1", "--period", "2026M05",
                          lang="ru")
    assert code == 2 and err.strip() == t_ru("error.period_kind", value="2026M05",
                                            kind="квартал", example="2026Q4")
    code, _out, err = cli("case", "open", MEETING, "--subject", "DEP", "--period", "2026Q2",
                          lang="ru")
    assert code == 3 and "«акимат района»" in err and "«управление»" in err, err
    assert dump_tables(db) == before


def test_last_years_fourth_quarter_is_opened_in_january(cli, db):
    """Earlier years are allowed: from the calendar's first year up to the next period."""
    case = cli.ok("case", "open", MEETING, "--subject", "AK-D1", "--period", "2025Q4",
                  today="2026-01-12")
    assert case["dates"]["period_due"]["date"] == "2025-12-31"
    old = cli.ok("case", "open", MEETING, "--subject", "AK-D1", "--period", "2002Q1",
                 today="2026-01-12")
    assert old["period"] == "2002Q1"
    nxt = cli.ok("case", "open", MEETING, "--subject", "AK-D1", "--period", "2026Q2",
                 today="2026-01-12")
    assert nxt["period"] == "2026Q2"  # the next quarter: the sync would open it too
    monthly = cli.ok("case", "open", "ethics_explanatory_event", "--subject", "AK-D1",
                     "--period", "2025M12", today="2026-01-12")
    assert monthly["period"] == "2025M12"
    assert period_cases(db, "AK-D1") == {"2002Q1": old["id"], "2025Q4": case["id"],
                                         "2026Q2": nxt["id"]}


# -- the web and the API ---------------------------------------------------------------------------


@pytest.fixture
def rw(web) -> Web:
    """The `web` fixture's application (the demo on 19 November 2025) with every shipped
    definition."""
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, REGISTRY)
    return web


OPTION = re.compile(r'<option value="(\w+)" ?(selected)? ?>')


def test_the_web_form_opens_an_earlier_quarter_and_refuses_in_the_readers_language(rw):
    saule = rw.browser("saule")  # the officer of the Ile district akimat
    ru = rw.client(lang="ru")  # the administrator, in Russian (signed in first: sessions)
    rw.post_login(ru, "erlan")
    picker = saule.get("/cases/new")  # what she may open, by project (web/registers_page.py)
    assert f'href="/cases/new/{MEETING}"' in picker.text
    page = saule.get(f"/cases/new/{MEETING}")
    assert page.status_code == 200 and 'data-testid="period"' in page.text
    block = page.text.split('data-testid="period"', 1)[1].split("</select>", 1)[0]
    options = OPTION.findall(block)
    # this year's and last year's quarters up to the next one, the latest first, the
    # current one chosen; no date to type (they come from the period)
    assert [o for o, _ in options] == ["2026Q1", "2025Q4", "2025Q3", "2025Q2", "2025Q1",
                                       "2024Q4", "2024Q3", "2024Q2", "2024Q1"]
    assert [o for o, chosen in options if chosen] == ["2025Q4"]
    assert 'name="date_period_start"' not in page.text
    before = rw.dump()
    r = saule.post(f"/cases/new/{MEETING}", data={"csrf": csrf_of(page.text),
                                                  "period": "2024Q3"})
    assert r.status_code == 303, r.text
    case_id = int(r.headers["location"].rsplit("/", 1)[1])
    with Session(rw.engine) as s:
        case = s.get(Case, case_id)
        assert (case.period, case.case_date) == ("2024Q3", date(2024, 7, 1))
        assert case.dates["period_due"] == "2024-09-30"
        assert case.responsible_id == rw.user("saule").id
    # again: the same case, nothing opened
    after = rw.dump()
    r = saule.post(f"/cases/new/{MEETING}", data={"csrf": csrf_of(page.text),
                                                  "period": "2024Q3"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}"
    assert rw.dump() == after != before
    # refused in Russian: an organisation the meetings are not for (the admin chooses it)
    form = ru.get(f"/cases/new/{MEETING}")
    r = ru.post(f"/cases/new/{MEETING}", data={"csrf": csrf_of(form.text),
                                               "subject": "AK-ALM-EDU", "period": "2025Q2"})
    assert r.status_code == 409 and rw.dump() == after
    shown = refusal_of(r.text)
    assert shown.startswith("«Ежеквартальное заседание антикоррупционной комиссии при акиме» "
                            "относится к организациям видов"), shown
    # a period after the next one, and none at all: refused, the form kept
    r = saule.post(f"/cases/new/{MEETING}", data={"csrf": csrf_of(page.text),
                                                  "period": "2026Q2"})
    assert r.status_code == 409 and refusal_of(r.text) == en(
        "rule.period_later", value="2026Q2", last="2026Q1")
    r = saule.post(f"/cases/new/{MEETING}", data={"csrf": csrf_of(page.text), "period": " "})
    assert r.status_code == 422 and en("error.period_required") in r.text
    assert rw.dump() == after


def test_the_api_opens_an_earlier_quarter_and_refuses_in_kazakh(rw):
    api = rw.api("saule")  # the officer of the Ile district akimat
    before = rw.dump()
    r = api.post("/api/v1/cases", json={"process": MEETING, "subject": "AK-ALM-ILE",
                                        "period": "2024Q4"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["period"], body["subject"]) == ("2024Q4", "AK-ALM-ILE")
    assert body["dates"]["period_due"]["date"] == "2024-12-31"
    again = api.post("/api/v1/cases", json={"process": MEETING, "subject": "AK-ALM-ILE",
                                            "period": "2024Q4"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    after = rw.dump()
    assert after != before
    refused = api.post("/api/v1/cases?lang=kk", json={"process": MEETING, "subject": "AK-ALM-ILE",
                                              "period": "2025M05"})
    assert refused.status_code == 422 and refused.json()["error"] == "error.period_kind"
    assert refused.json()["message"] == Translator("kk")(
        "error.period_kind", value="2025M05", kind="тоқсан", example="2025Q4")
    assert rw.dump() == after
    spec = rw.client().get("/openapi.json").json()
    assert "period" in spec["components"]["schemas"]["CaseIn"]["properties"]
