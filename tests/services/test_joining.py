"""Joining mid-year (B-25), the district's story: a region and its district have used merzim
all year; a second district joins on a July day. Its officer opens the year so far herself;
on that day the region's ordinary overdue count is what it was before she joined, and her
district's earlier stages are counted apart as "before joining -- to confirm". Her sheet of
January-June done work records onto the opened periods (each row on its own date: on time or
late by it; nothing opened twice; a row matching no opened period refuses the whole file).
After the days to confirm, what is still open is overdue. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from calendars import KazakhstanCalendar
from tests.support.cli_runner import dated_cli, init_with_orgs
from tests.support.databases import dump_tables
from workflow import services as svc
from workflow.core.joining import BEFORE_JOINING, DEFAULT_CONFIRM_DAYS
from workflow.definitions import load_registry
from workflow.i18n import Translator, period_name
from workflow.services import joining, obligations, overview, search
from workflow.storage.models import Case, Organisation, Stage
from workflow.storage.queries import joining as joining_queries

JOINED = date(2026, 7, 14)  # a Tuesday
DISTRICT = "AK-D9"
CAL = KazakhstanCalendar()
REGISTRY = load_registry()
MEETING = "akim_commission_meeting"  # quarterly, due the period's last working day


@pytest.fixture
def cli(merzim_db):
    init_with_orgs(merzim_db, (("AK", "AK", "akimat", None),
                               ("AK-D1", "AK-D1", "district_akimat", "AK")))
    run = dated_cli(merzim_db, JOINED.isoformat())
    # the region and its first district have used merzim since January
    run.ok("obligations", "sync", "--from", "2026-01-01", today="2026-01-05")
    for day in ("2026-04-01", "2026-07-01"):
        run.ok("obligations", "sync", today=day)
    # the district that joins is added to the tree on the day it joins
    code, _out, err = run("org", "add", DISTRICT, "--name", "District nine", "--kind",
                          "district_akimat", "--parent", "AK")
    assert code == 0, err
    for login, role, org in (("aida", "officer", DISTRICT), ("bolat", "officer", "AK-D1"),
                             ("manager1", "manager", "AK")):
        code, _out, err = run("user", "add", login, "--name", login, "--role", role, "--org",
                              org, "--email", f"{login}@example.kz")
        assert code == 0, err
    return run


def ctx_on(day: date) -> svc.Context:
    return svc.Context(CAL, REGISTRY, day, actor="test", language="en")


def counts(db, day: date) -> tuple[int, int]:
    """(the region's ordinary overdue count, its stages before joining) on `day`."""
    ctx = ctx_on(day)
    with Session(db) as s:
        return svc.count_overdue(s, ctx, "AK"), svc.count_before_joining(s, ctx, "AK")


def stage_of(db, process: str, period: str, key: str) -> Stage:
    with Session(db) as s:
        return s.exec(select(Stage).join(Case, Case.id == Stage.case_id).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == DISTRICT, Case.process == process, Case.period == period,
            Stage.key == key)).one()


def case_count(db) -> int:
    with Session(db) as s:
        return s.exec(select(func.count()).select_from(Case)).one()


def sheet(tmp_path: Path, rows: list[dict[str, str]]) -> str:
    path = tmp_path / "done.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["subject", "period_start", "event", "on", "number"])
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def test_a_district_joining_in_july_confirms_its_year_so_far(cli, db, tmp_path):
    before_overdue, before_joining = counts(db, JOINED)
    assert before_overdue > 0 and before_joining == 0
    # the district's officer opens the year so far herself, on the day it joins
    opened = cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT,
                    "--as", "aida")
    assert opened["opened"] and {o["org"] for o in opened["opened"]} == {DISTRICT}
    with Session(db) as s:
        org = s.exec(select(Organisation).where(Organisation.code == DISTRICT)).one()
        assert org.joined_on == JOINED
    overdue_now, apart = counts(db, JOINED)
    assert overdue_now == before_overdue  # the region's ordinary count: as before she joined
    assert apart > 0  # the district's earlier stages: counted apart, not hidden
    ctx = ctx_on(JOINED)
    with Session(db) as s:
        rows = svc.before_joining(s, ctx, "AK")
        assert len(rows) == apart and {r.organisation for r in rows} == {DISTRICT}
        assert all(r.due < JOINED for r in rows)
        figures = {f.code: f for f in overview.by_organisation(s, ctx, "AK")}
        assert figures[DISTRICT].overdue == 0 and figures[DISTRICT].before_joining == apart
        # the case page says so, in its own words
        q1 = stage_of(db, MEETING, "2026Q1", "meeting")
        view = svc.case_view(s, ctx, s.get(Case, q1.case_id))
        assert [st.status for st in view.stages] == [BEFORE_JOINING]
        # nor the obligations' year of the district
        year = obligations.year_of(s, ctx, DISTRICT, 2026)
        assert {r["status"] for r in year if r["due"] < JOINED} == {BEFORE_JOINING}
        # the search's overdue counts do not count it either
        assert search.overdue_counts(s, ctx, [q1.case_id]) == {}
        # her work page: nothing overdue, the earlier stages apart
        aida = svc.get_user(s, "aida")
        work = svc.my_work(s, ctx, aida.id, org.id)
        assert work.overdue == [] and len(work.before_joining) == apart
    # the command line's overdue list counts them apart too, in the reader's language
    listed = cli.ok("overdue", "--org", "AK")
    assert len(listed["overdue"]) == before_overdue and len(listed["before_joining"]) == apart
    for lang in ("en", "ru", "kk"):
        code, out, _err = cli("overdue", "--org", DISTRICT, lang=lang)
        assert code == 0 and Translator(lang).n("joining.count", apart) in out

    # her sheet of what the district did in January-June: each row its own date
    cases = case_count(db)
    done = cli.ok("case", "import", MEETING, sheet(tmp_path, [
        {"subject": DISTRICT, "event": "meeting_held", "on": "2026-03-20", "number": "1"},
        # held after the quarter: its period named by period_start, done late by its date
        {"subject": DISTRICT, "period_start": "2026-04-01", "event": "meeting_held",
         "on": "2026-07-02", "number": "2"}]))
    assert done["done_work"] is True  # recorded on the opened periods, said so
    done = done["opened"]
    assert [d["recorded"] for d in done] == ["meeting_held", "meeting_held"]
    assert case_count(db) == cases  # nothing opened twice
    q1, q2 = (stage_of(db, MEETING, p, "meeting") for p in ("2026Q1", "2026Q2"))
    assert (q1.status, q1.done_on) == ("done_on_time", date(2026, 3, 20))
    assert (q2.status, q2.done_on) == ("done_late", date(2026, 7, 2))
    assert {d["id"] for d in done} == {q1.case_id, q2.case_id}
    assert counts(db, JOINED) == (before_overdue, apart - 2)
    # one that really did not happen, marked not done: no longer to confirm, nor overdue
    q1_training = stage_of(db, "coi_training", "2026H1", "training")
    with Session(db) as s:
        svc.record_not_done(s, ctx_on(JOINED), q1_training.case_id, "training",
                            "no training was held")
        s.commit()
    assert counts(db, JOINED) == (before_overdue, apart - 3)

    # after the days to confirm, what is still open is overdue
    ordinary = CAL.add_working_days(JOINED, DEFAULT_CONFIRM_DAYS)
    last_day = CAL.add_working_days(JOINED, DEFAULT_CONFIRM_DAYS - 1)
    assert counts(db, last_day)[1] == apart - 3
    assert counts(db, ordinary)[1] == 0
    with Session(db) as s:
        late = [r for r in svc.overdue(s, ctx_on(ordinary), DISTRICT) if r.due < JOINED]
        assert search.overdue_counts(s, ctx_on(ordinary), [r.case for r in late[:1]]) == {
            late[0].case: sum(1 for r in late if r.case == late[0].case)}
    assert len(late) == apart - 3  # every one still open, now overdue


def test_a_row_matching_no_opened_period_refuses_the_whole_sheet(cli, db, tmp_path):
    cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT, "--as", "aida")
    before = dump_tables(db)
    for lang in ("en", "ru", "kk"):
        code, _out, err = cli("case", "import", MEETING, sheet(tmp_path, [
            {"subject": DISTRICT, "event": "meeting_held", "on": "2026-03-20"},
            # 2025's last quarter was never opened for the district
            {"subject": DISTRICT, "period_start": "2025-10-01", "event": "meeting_held",
             "on": "2025-12-20"},
            # no such organisation
            {"subject": "AK-D7", "event": "meeting_held", "on": "2026-02-10"}]), lang=lang)
        assert code != 0 and "Traceback" not in err
        t = Translator(lang)
        said = err.replace("\n", " ")  # the unit, the period in words, how to open its year
        assert period_name("2025Q4", lang) in said and t("backfill.web_title") in said, err
        assert f"obligations sync --from 2025-01-01 --org {DISTRICT}" in said, err
        assert "AK-D7" in err, err
        assert dump_tables(db) == before, lang


def test_only_her_officer_or_a_manager_above_opens_the_year_so_far(cli, db):
    before = dump_tables(db)
    for lang in ("en", "ru", "kk"):
        code, _out, err = cli("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT,
                              "--as", "bolat", lang=lang)  # an officer of another district
        assert code == 3 and "Traceback" not in err
        assert Translator(lang)("joining.error_not_allowed", org=DISTRICT) in err
        assert dump_tables(db) == before, lang
    # a day joined after today is refused too, nothing stored
    code, _out, err = cli("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT,
                          "--as", "aida", "--joined", "2026-07-20")
    assert code == 2 and dump_tables(db) == before
    # her manager (of the region above) may, on a day given
    cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT, "--as", "manager1",
           "--joined", "2026-07-10")
    with Session(db) as s:
        assert s.exec(select(Organisation.joined_on).where(
            Organisation.code == DISTRICT)).one() == date(2026, 7, 10)


def test_the_days_to_confirm_are_a_setting(cli, db, merzim_db, tmp_path):
    """`[deadlines] joining_confirm_days`: 0 makes the earlier stages overdue at once; a bad
    value is refused with the setting named."""
    cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT, "--as", "aida")
    none = tmp_path / "none.toml"
    none.write_text("[deadlines]\njoining_confirm_days = 0\n", encoding="utf-8")
    listed = merzim_db("overdue", "--org", DISTRICT, "--json", today=JOINED.isoformat(),
                       config=none)
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    assert found["before_joining"] == [] and found["overdue"]
    for bad in ("-1", "121", "true", '"20"'):
        config = tmp_path / "bad.toml"
        config.write_text(f"[deadlines]\njoining_confirm_days = {bad}\n", encoding="utf-8")
        result = merzim_db("calendar", "show", "2026", config=config)
        assert result.returncode != 0 and "joining_confirm_days" in result.stderr, bad
        assert "Traceback" not in result.stderr


def test_who_confirms_is_kept_until_an_organisation_joins(cli, db):
    """Who confirms her year so far is kept across transactions by the version of who joined
    when (services/joining.py): read before the district joins, it is read again after."""
    ctx = ctx_on(JOINED)
    with Session(db) as s:
        assert joining.confirming_orgs(s, ctx) == {}
    with Session(db) as s:
        assert joining.confirming_orgs(s, ctx) == {}  # (kept)
    cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT, "--as", "aida")
    with Session(db) as s:
        fresh = joining_queries.confirming_orgs(s, CAL, JOINED, ctx.joining_confirm_days)
        assert fresh and joining.confirming_orgs(s, ctx) == fresh
        joined = s.exec(select(Organisation.id).where(Organisation.code == DISTRICT)).one()
        assert fresh == {joined: JOINED}
