"""Coverage (B-14): a regional akimat with 5 subdivisions of which 2 have an
analysis whose note is signed — the 3 others listed by code and name with their state and the
points of 1.3.3 each would add (0.3 per 1 % of subdivisions, 001:L160-185) — through the command
line, the dashboard and the API; refusals that change nothing; and the reminder to the
subject's officers from 1 September, sent once per period through the outbox."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, col, select

from tests.support.databases import dump_tables
from tests.support.features import module_of
from tests.support.score_helpers import STORY, add_tree
from tests.support.smtp_server import SmtpSink, write_config
from tests.support.web_helpers import web_fixture  # noqa: F401 - the `web` fixture
from workflow.core.errors import ConfigError
from workflow.coverage.rules import CoverageSettings, period
from workflow.storage.models import OutboxMessage

TODAY = date(2025, 11, 25)  # a Tuesday
TREE = [("OBL", "Regional akimat", "akimat", None),
        ("OBL-APP", "Akim's apparatus", "akim_apparatus", "OBL"),
        ("OBL-EDU", "Education department", "department", "OBL"),
        ("OBL-HLT", "Health department", "department", "OBL"),
        ("OBL-FIN", "Finance department", "department", "OBL"),
        ("OBL-AGR", "Agriculture department", "department", "OBL"),
        # a district akimat is not a subdivision of the region (001:L176-185), nor its department
        ("OBL-D1", "District akimat", "district_akimat", "OBL"),
        ("OBL-D1-EDU", "District education", "department", "OBL-D1")]
# the notes of APP and EDU signed on 20 November; HLT's analysis runs to 28 November, its note
# due 10 working days after: 12 December 2025 (000: E + 10 WD); FIN's ended on 10 October, its
# note was due 24 October and is not signed; AGR has no analysis
PLANS = {"OBL-APP": (date(2025, 10, 1), date(2025, 11, 10), STORY[:5]),
         "OBL-EDU": (date(2025, 10, 1), date(2025, 11, 10), STORY[:5]),
         "OBL-HLT": (date(2025, 11, 17), date(2025, 11, 28), STORY[:1]),
         "OBL-FIN": (date(2025, 9, 1), date(2025, 10, 10), ())}


def build_region(engine, ctx, plans=PLANS, users=()) -> None:
    from workflow import services as svc
    planning_svc = module_of("planning", "service")

    with Session(engine) as s:
        add_tree(s, ctx, TREE)
        for obj, (start, end, story) in plans.items():
            aid = planning_svc.plan_analysis(s, ctx, "OBL", obj, start, end).analysis.id
            for event, on, evidence in story:
                svc.record_event(s, ctx, aid, event, on, dict(evidence))
        for login, name, role, org, email, language in users:
            svc.add_user(s, ctx, login, name, role, org, email=email, language=language)
        s.commit()


@pytest.fixture
def region(db, make_ctx):
    build_region(db, make_ctx(TODAY))


UNCOVERED = [
    {"code": "OBL-HLT", "name": "Health department", "kind": "department", "state": "under_way",
     "note_due": "2025-12-12", "points": 6.0},
    {"code": "OBL-FIN", "name": "Finance department", "kind": "department", "state": "late",
     "note_due": None, "points": 6.0},
    {"code": "OBL-AGR", "name": "Agriculture department", "kind": "department", "state": "none",
     "note_due": None, "analyses": [], "points": 6.0},
]


def test_regional_akimat_two_of_five_covered_lists_the_three_others(region, merzim_db):
    got = merzim_db("coverage", "OBL", "--year", "2025", "--json", today=TODAY.isoformat())
    assert got.returncode == 0, got.stderr
    result = json.loads(got.stdout)
    # 2 of 5 = 40 % -> 40 x 0.3 = 12 points; 3 of 5 = 60 % -> 18: each adds 6; all: 30, +18
    assert {k: v for k, v in result.items() if k != "uncovered"} == {
        "subject": "OBL", "subject_name": "Regional akimat", "year": 2025, "as_of": "2025-11-25",
        "evaluated": True, "subdivisions": 5, "covered": 2, "percent": 40.0, "points": 12.0,
        "maximum": 30, "points_each": 6.0, "points_all": 18.0}
    rows = [{k: v for k, v in r.items() if k != "analyses" or r["state"] == "none"}
            for r in result["uncovered"]]
    assert rows == UNCOVERED
    assert [len(r["analyses"]) for r in result["uncovered"]] == [1, 1, 0]
    # the same figure as the scorecard's 1.3.3
    score = json.loads(merzim_db("score", "OBL", "--year", "2025", "--json",
                                 today=TODAY.isoformat()).stdout)
    assert next(i["points"] for i in score["indicators"] if i["key"] == "1.3.3") == 12.0


def test_the_table_in_russian(region, merzim_db):
    got = merzim_db("coverage", "OBL", "--year", "2025", today=TODAY.isoformat(), lang="ru",
                    env={"COLUMNS": "200"})
    assert got.returncode == 0, got.stderr
    out = got.stdout
    assert "Охват: Regional akimat (ru) (OBL), 2025" in out
    assert ("Анализ с подписанной аналитической справкой в 2025 году есть у 2 из 5 "
            "подразделений (40 %).") in out
    assert ("Показатель 1.3.3 (охват): 12 из 30 баллов; каждое охваченное подразделение "
            "добавит 6, все — 18.") in out
    assert "анализ идёт, справка до 2025-12-12" in out
    assert out.index("OBL-HLT") < out.index("OBL-FIN") < out.index("OBL-AGR")
    assert "OBL-APP" not in out and "OBL-D1" not in out


def test_every_subdivision_covered_says_so(db, make_ctx, merzim_db):
    plans = {code: (date(2025, 10, 1), date(2025, 11, 10), STORY[:5])
             for code in ("OBL-APP", "OBL-EDU", "OBL-HLT", "OBL-FIN", "OBL-AGR")}
    build_region(db, make_ctx(TODAY), plans)
    result = json.loads(merzim_db("coverage", "OBL", "--year", "2025", "--json",
                                  today=TODAY.isoformat()).stdout)
    assert (result["covered"], result["points"], result["points_each"], result["uncovered"]) \
        == (5, 30, 0.0, [])


@pytest.mark.parametrize(("args", "code", "message"), [
    (("NOPE", "--year", "2025"), 4, "NOPE"),
    (("OBL", "--year", "abc"), 2, "abc"),
    (("OBL", "--year", "1990"), 2, "1990"),
])
def test_refusals_change_nothing(region, db, merzim_db, args, code, message):
    before = dump_tables(db)
    got = merzim_db("coverage", *args, "--json", today=TODAY.isoformat())
    assert got.returncode == code, (got.stdout, got.stderr)
    assert message in got.stderr and "Traceback" not in got.stderr
    assert dump_tables(db) == before


def test_settings_of_the_reminders():
    st = CoverageSettings()
    assert period(date(2025, 8, 31), st) is None
    assert period(date(2025, 9, 1), st) == "2025-09"
    assert period(date(2025, 12, 31), st) == "2025-12"
    yearly = CoverageSettings.from_config({"remind_from": "10-15", "remind_every": "year"})
    assert (period(date(2025, 10, 14), yearly), period(date(2025, 10, 15), yearly)) == \
        (None, "2025")
    for raw, fragment in (({"remind_from": "9-1"}, "coverage.remind_from"),
                          ({"remind_from": "13-01"}, "coverage.remind_from"),
                          ({"remind_every": "week"}, "coverage.remind_every"),
                          ({"day": "09-01"}, "coverage.day: unknown setting")):
        with pytest.raises(ConfigError) as refused:
            CoverageSettings.from_config(raw)
        assert fragment in str(refused.value)


# -- the dashboard and the API (the demo: the akimat AK-ALM) -------------------------------------


def test_page_api_and_overview_for_those_who_see_the_subject(web):
    manager = web.browser("nurlan")
    page = manager.get("/coverage?org=AK-ALM&year=2025")
    assert page.status_code == 200, page.text
    api = web.api("nurlan").get("/api/v1/coverage", params={"org": "AK-ALM", "year": 2025,
                                                            "lang": "en"})
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["subject"] == "AK-ALM" and body["subdivisions"] == 3  # APP, EDU, HLTH
    for row in body["uncovered"]:
        assert f'data-org="{row["code"]}"' in page.text
    overview = manager.get("/overview?org=AK-ALM")
    assert 'data-testid="coverage-figure"' in overview.text
    assert f'/coverage?org=AK-ALM&amp;year={body["year"]}' in overview.text
    # an officer sees her own organisation only: the akimat is the 404 of an unknown one
    officer, officer_api, manager_api = web.browser("asel"), web.api("asel"), web.api("nurlan")
    before = web.dump()
    assert officer.get("/coverage?org=AK-ALM").status_code == 404
    assert officer_api.get("/api/v1/coverage", params={"org": "AK-ALM"}).status_code == 404
    assert officer_api.get("/api/v1/coverage", params={"year": 1990}).status_code == 422
    assert manager.get("/coverage?year=abc").status_code == 422
    assert manager_api.get("/api/v1/coverage", params={"org": "NOPE"}).status_code == 404
    own = officer_api.get("/api/v1/coverage").json()
    assert own["subject"] == "AK-ALM-EDU"
    assert web.dump() == before


# -- the reminder (B-14) ----------------------------------------------------------------------------


def test_the_reminder_goes_to_the_subjects_officers_once_a_month_from_1_september(
        db, make_ctx, merzim_db, tmp_path):
    users = [("ainur", "Ainur Bekova", "officer", "OBL", "ainur@example.kz", "ru"),
             ("ruslan", "Ruslan Ali", "manager", "OBL", "ruslan@example.kz", "en"),
             ("nomail", "No Mail", "officer", "OBL", None, "en")]
    build_region(db, make_ctx(date(2025, 8, 1)), {}, users)  # no analysis: no digest either
    sink = SmtpSink().start()
    try:
        cfg = write_config(tmp_path / "smtp.toml", sink.port)

        def cycle(day: str) -> list[tuple]:
            """A worker cycle on `day` (the digests of the obligations it opens are sent too),
            then the coverage reminders in the outbox."""
            got = merzim_db("worker", "--once", "--json", today=day, config=cfg)
            assert got.returncode == 0, got.stderr
            with Session(db) as s:
                return [tuple(r) for r in s.exec(
                    select(OutboxMessage.recipient_id, OutboxMessage.digest,
                           OutboxMessage.local_day, OutboxMessage.status)
                    .where(col(OutboxMessage.digest).like("coverage-%"))
                    .order_by(col(OutboxMessage.id))).all()]

        ainur = 1
        assert cycle("2025-08-29") == []  # before 1 September
        # 1 September 2025 is a day off (Constitution Day, moved from Saturday 30 August):
        # the reminder goes on the next working day
        assert cycle("2025-09-01") == []
        september = (ainur, "coverage-2025-09", date(2025, 9, 2), "sent")
        assert cycle("2025-09-02") == [september]
        assert cycle("2025-09-02") == [september]  # once per period
        assert cycle("2025-09-30") == [september]
        october = (ainur, "coverage-2025-10", date(2025, 10, 1), "sent")
        assert cycle("2025-10-01") == [september, october]  # the next period
        messages = [m.message for m in sink.messages if str(m.message["Subject"]).startswith(
            "merzim, Regional")]
        assert [m["To"] for m in messages] == ["ainur@example.kz"] * 2
        assert str(messages[0]["Subject"]) == \
            "merzim, Regional akimat (ru): 5 подразделений ещё без анализа в 2025 году"
        text = messages[0].get_body(("plain",)).get_content()
        assert "Здравствуйте, Ainur Bekova!" in text
        assert ("Показатель 1.3.3 (охват): 0 из 30 баллов; каждое охваченное подразделение "
                "добавит 6, все — 30.") in text
        assert [ln[2:].split(":")[0] for ln in text.splitlines() if ln.startswith("- ")] == [
            "Akim's apparatus (ru) (OBL-APP)", "Education department (ru) (OBL-EDU)",
            "Health department (ru) (OBL-HLT)", "Finance department (ru) (OBL-FIN)",
            "Agriculture department (ru) (OBL-AGR)"]
        assert text.count("анализа нет, +6") == 5
    finally:
        sink.stop()
