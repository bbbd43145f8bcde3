"""A whole district joins mid-year (B-25): a region and its first district have used merzim all
year; on a July day a second district is added with its two отделы and its communal
enterprise, and its year so far is opened from its own files (`obligations sync --from --org`,
before any of its people exist). The organisations under it whose year so far the same
back-fill opened join with it, on the same day: the region's ordinary overdue count is what it
was the day before, and every back-filled stage of the district and of its units is "before
joining -- to confirm" on every surface (the lists, the overview, the digests' stages, the
escalations of the bell, the work page). A unit added later, while the district confirms,
joins on the day it is added. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from calendars import KazakhstanCalendar
from tests.support.cli_runner import dated_cli
from tests.support.databases import dump_tables
from tests.support.features import needs
from workflow import services as svc
from workflow.core.joining import BEFORE_JOINING, DEFAULT_CONFIRM_DAYS
from workflow.definitions import load_registry
from workflow.i18n import Translator, date_text
from workflow.imports.organisations import import_orgs
from workflow.imports.people import import_people
from workflow.reminders import planner
from workflow.services import joining, obligations, overview
from workflow.storage.models import (
    HANDOVER,
    AuditRecord,
    Case,
    Organisation,
    OutboxMessage,
    Stage,
    User,
)

JOINED = date(2026, 7, 14)  # a Tuesday
DAY_BEFORE = date(2026, 7, 13)
DISTRICT = "AK-D9"
UNITS = ("AK-D9-EDU", "AK-D9-ZKH", "AK-D9-GKP")  # two отделы and a communal enterprise
CAL = KazakhstanCalendar()
REGISTRY = load_registry()


def ctx_on(day: date, actor: str = "test") -> svc.Context:
    return svc.Context(CAL, REGISTRY, day, actor=actor, language="en")


@pytest.fixture
def region(db):
    """The region and its first district, used since January; the manager of the region."""
    with Session(db) as s:
        svc.add_org(s, ctx_on(date(2026, 1, 5)), "AK", "Region", "akimat", None)
        svc.add_org(s, ctx_on(date(2026, 1, 5)), "AK-D1", "District one", "district_akimat",
                    "AK")
        obligations.sync(s, ctx_on(date(2026, 1, 5)), since=date(2026, 1, 1))
        for day in (date(2026, 4, 1), date(2026, 7, 1)):
            obligations.sync(s, ctx_on(day))
        svc.add_user(s, ctx_on(date(2026, 1, 5)), "manager1", "Manager One", "manager", "AK",
                     "manager1@example.kz", "en")
        s.commit()
    return db


def add_district(db, day: date = JOINED) -> None:
    """The district and its units added to the tree (on the day it joins)."""
    with Session(db) as s:
        ctx = ctx_on(day)
        svc.add_org(s, ctx, DISTRICT, "District nine", "district_akimat", "AK")
        svc.add_org(s, ctx, UNITS[0], "Отдел образования", "district_department", DISTRICT)
        svc.add_org(s, ctx, UNITS[1], "Отдел ЖКХ", "district_department", DISTRICT)
        svc.add_org(s, ctx, UNITS[2], "ГКП «Тазалық»", "quasi_state", DISTRICT)
        s.commit()


def overdue_count(db, day: date) -> int:
    with Session(db) as s:
        return svc.count_overdue(s, ctx_on(day), "AK")


def joined_days(db) -> dict[str, date | None]:
    with Session(db) as s:
        return dict(s.exec(select(Organisation.code, Organisation.joined_on).where(
            Organisation.code.in_((DISTRICT, *UNITS)))).all())


def backfilled_stages(db, codes) -> list[tuple[str, int, str, date]]:
    """(organisation, case, stage, due) of each open stage due before the day it joined."""
    with Session(db) as s:
        return list(s.exec(select(Organisation.code, Stage.case_id, Stage.key, Stage.due_date)
                           .join(Case, Case.id == Stage.case_id)
                           .join(Organisation, Organisation.id == Case.subject_id)
                           .where(Organisation.code.in_(codes), Stage.status == "open",
                                  Stage.due_date < JOINED)).all())


@needs("notices")  # the manager's bell: escalations and hand-overs
def test_a_district_with_its_units_joins_on_one_day(region, db, merzim_db):
    from workflow.notices import service as notices

    day_before = overdue_count(db, DAY_BEFORE)
    add_district(db)
    assert overdue_count(db, JOINED) == day_before  # (nothing of the region fell due meanwhile)
    # the operator opens the district's year so far from its files, before its people exist
    result = merzim_db("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT,
                       "--json", today=JOINED.isoformat())
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {o["org"] for o in answer["opened"]} == {DISTRICT, *UNITS}
    assert answer["joined_on"] == JOINED.isoformat()
    assert answer["joined_with_it"] == sorted(UNITS, key=lambda c: UNITS.index(c))
    assert joined_days(db) == {code: JOINED for code in (DISTRICT, *UNITS)}
    with Session(db) as s:  # each day joined audited, the units' naming the district
        records = {r.entity_id: json.loads(r.payload) for r in s.exec(select(AuditRecord).where(
            AuditRecord.action == joining.JOINED))}
    assert records[DISTRICT].get("with") is None
    assert all(records[u]["with"] == DISTRICT for u in UNITS)

    # the region's ordinary overdue count: what it was the day before
    assert overdue_count(db, JOINED) == day_before
    stages = backfilled_stages(db, (DISTRICT, *UNITS))
    by_org = {code for code, *_ in stages}
    assert by_org == {DISTRICT, *UNITS}  # every one has back-filled stages due before
    ctx = ctx_on(JOINED)
    with Session(db) as s:
        # the lists: every back-filled stage of the district and its units counted apart
        apart = svc.before_joining(s, ctx, "AK")
        assert {(r.case, r.stage) for r in apart} == {(c, k) for _o, c, k, _d in stages}
        assert svc.count_before_joining(s, ctx, "AK") == len(stages)
        assert not [r for r in svc.overdue(s, ctx, "AK") if r.organisation in by_org]
        # the overview: each unit's figure apart from its overdue bar
        figures = {f.code: f for f in overview.by_organisation(s, ctx, DISTRICT)}
        for code in UNITS:
            if code in figures:
                assert figures[code].overdue == 0 and figures[code].before_joining > 0, code
        # the case page of a unit's back-filled stage says so
        code, case_id, key, _due = next(x for x in stages if x[0] == UNITS[0])
        view = svc.case_view(s, ctx, s.get(Case, case_id))
        assert {st.status for st in view.stages if st.key == key} == {BEFORE_JOINING}
        # the digests' stages: none of them (no reminder, no escalation)
        horizon = CAL.add_working_days(JOINED, 3)
        items = planner.open_items(s, ctx, horizon)
        assert not [i for i in items if i.due < JOINED and i.analysis_id in {c for _o, c, _k, _d
                                                                          in stages}]
        # the bell: the region's manager is escalated none of them
        manager = svc.get_user(s, "manager1")
        escalated = [i for i in notices.items(s, ctx, manager, (3,)) if i.kind == "escalated"]
        assert not [i for i in escalated if i.case in {c for _o, c, _k, _d in stages}]
    # the command line's overdue list, in each language, names them apart
    for lang in ("en", "ru", "kk"):
        listed = merzim_db("overdue", "--org", UNITS[0], today=JOINED.isoformat(), lang=lang)
        assert listed.returncode == 0, listed.stderr
        n = sum(1 for o, *_ in stages if o == UNITS[0])
        assert Translator(lang).n("joining.count", n) in listed.stdout

    # a week later, within the days to confirm: no digest line, no escalation to the
    # district's manager (his escalations reach its units)
    ids = {c for _o, c, _k, _d in stages}
    week = CAL.add_working_days(JOINED, 5)
    ordinary = CAL.add_working_days(JOINED, DEFAULT_CONFIRM_DAYS)
    with Session(db) as s:
        svc.add_user(s, ctx_on(JOINED), "manager9", "Manager Nine", "manager", DISTRICT,
                     "manager9@example.kz", "en")
        s.commit()

    def escalated(day: date) -> set[int]:
        with Session(db) as s:
            manager = svc.get_user(s, "manager9")
            return {i.case for i in notices.items(s, ctx_on(day), manager, (3,))
                    if i.kind == "escalated"} & ids

    with Session(db) as s:
        assert not [i for i in planner.open_items(s, ctx_on(week), week)
                    if i.analysis_id in ids]
    assert escalated(week) == set()
    # after the days to confirm, what is still open is overdue, for the units too, and
    # escalated
    with Session(db) as s:
        late = {r.organisation for r in svc.overdue(s, ctx_on(ordinary), DISTRICT)
                if r.due < JOINED}
        assert {i.analysis_id for i in planner.open_items(s, ctx_on(ordinary), ordinary)
                } & ids
    assert late == {DISTRICT, *UNITS}
    later = escalated(CAL.add_working_days(ordinary, 2))
    with Session(db) as s:
        assert {s.get(Organisation, s.get(Case, c).subject_id).code for c in later} & set(UNITS)


def test_a_second_run_joins_nothing_twice_and_says_it_joined(region, db, merzim_db):
    add_district(db)
    with Session(db) as s:
        obligations.open_year_so_far(s, ctx_on(JOINED), DISTRICT, date(2026, 1, 1))
        s.commit()
    later = JOINED + timedelta(days=1)
    with Session(db) as s:
        before = s.exec(select(AuditRecord.id).order_by(AuditRecord.id.desc())).first()
    for lang in ("en", "ru", "kk"):
        again = merzim_db("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT,
                          today=later.isoformat(), lang=lang)
        assert again.returncode == 0, again.stderr
        t = Translator(lang)
        shown = date_text(JOINED, lang)
        assert t("backfill.cli_none") in again.stdout
        assert t("backfill.joined_already", org=DISTRICT, day=shown) in again.stdout
        assert t("backfill.units_joined", org=DISTRICT, day=shown,
                 codes=", ".join(UNITS)) in again.stdout
    assert joined_days(db) == {code: JOINED for code in (DISTRICT, *UNITS)}
    with Session(db) as s:
        assert not list(s.exec(select(AuditRecord).where(
            AuditRecord.id > before, AuditRecord.action == joining.JOINED)))


def test_a_day_given_anew_moves_the_units_that_joined_with_it(region, db):
    add_district(db, date(2026, 7, 8))
    with Session(db) as s:
        obligations.open_year_so_far(s, ctx_on(JOINED), DISTRICT, date(2026, 1, 1),
                                     joined_on=date(2026, 7, 8))
        s.commit()
    assert set(joined_days(db).values()) == {date(2026, 7, 8)}
    with Session(db) as s:
        obligations.open_year_so_far(s, ctx_on(JOINED), DISTRICT, date(2026, 1, 1),
                                     joined_on=date(2026, 7, 10))
        s.commit()
    assert set(joined_days(db).values()) == {date(2026, 7, 10)}


def test_a_unit_that_used_merzim_before_keeps_its_overdue(region, db):
    """The region's first district is under the region: opening the region's year so far
    again opens nothing of it, and it does not join (nor does the region's own old work)."""
    with Session(db) as s:
        obligations.open_year_so_far(s, ctx_on(JOINED), "AK", date(2026, 1, 1))
        s.commit()
        codes = dict(s.exec(select(Organisation.code, Organisation.joined_on)).all())
    assert codes["AK-D1"] is None


def test_a_unit_added_later_joins_on_the_day_it_is_added(region, db, tmp_path):
    add_district(db)
    with Session(db) as s:
        obligations.open_year_so_far(s, ctx_on(JOINED), DISTRICT, date(2026, 1, 1))
        s.commit()
    added = CAL.add_working_days(JOINED, 3)
    before = overdue_count(db, added)
    with Session(db) as s:  # one by hand, one from a file, under the district
        svc.add_org(s, ctx_on(added), "AK-D9-SOC", "Отдел соцзащиты", "district_department",
                    DISTRICT)
        import_orgs(s, ctx_on(added), [{"code": "AK-D9-SPT", "name": "Отдел спорта",
                                        "kind": "district_department", "parent": DISTRICT}])
        s.commit()
    with Session(db) as s:
        days = dict(s.exec(select(Organisation.code, Organisation.joined_on)).all())
        withs = {r.entity_id: json.loads(r.payload).get("with") for r in s.exec(
            select(AuditRecord).where(AuditRecord.action == joining.JOINED))}
    assert days["AK-D9-SOC"] == days["AK-D9-SPT"] == added  # its own day: its days count from it
    assert withs["AK-D9-SOC"] == withs["AK-D9-SPT"] == DISTRICT
    # the district's back-fill run again opens the new units' year so far, before joining
    with Session(db) as s:
        opened = obligations.open_year_so_far(s, ctx_on(added), DISTRICT, date(2026, 1, 1))
        s.commit()
    assert {o["org"] for o in opened} == {"AK-D9-SOC", "AK-D9-SPT"}
    assert overdue_count(db, added) == before
    with Session(db) as s:
        assert {r.organisation for r in svc.before_joining(s, ctx_on(added), "AK")} >= {
            "AK-D9-SOC", "AK-D9-SPT"}
        assert s.exec(select(Organisation.joined_on).where(
            Organisation.code == "AK-D9-SOC")).one() == added
    # once the district's days to confirm have passed, a unit added under it does not join
    past = CAL.add_working_days(JOINED, DEFAULT_CONFIRM_DAYS)
    with Session(db) as s:
        late = svc.add_org(s, ctx_on(past), "AK-D9-LATE", "Отдел поздний",
                           "district_department", DISTRICT)
        s.commit()
        assert late.joined_on is None


# -- back-filled work has its officer ------------------------------------------------------------


def unanswered(db, code: str) -> int:
    with Session(db) as s:
        return s.exec(select(func.count()).select_from(Case).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == code, Case.responsible_id.is_(None))).one()


@needs("notices")  # her bell lists none of the cases one by one
def test_the_officers_invited_after_the_backfill_answer_for_it(region, db, merzim_db):
    """The order the operator guide gives: the organisations, the year so far, then the
    people. Each officer, invited from the office's list (or added, or made an officer), is
    handed her organisation's back-filled cases, audited per case, told once."""
    from workflow.notices import service as notices

    add_district(db)
    with Session(db) as s:
        obligations.open_year_so_far(s, ctx_on(JOINED), DISTRICT, date(2026, 1, 1))
        s.commit()
    assert all(unanswered(db, code) > 0 for code in (DISTRICT, *UNITS))
    # before anyone is there, the hand-over says why it cannot, in each language
    with Session(db) as s:
        case_id = s.exec(select(Case.id).join(Organisation, Organisation.id == Case.subject_id)
                         .where(Organisation.code == DISTRICT)).first()
    before = dump_tables(db)
    for lang in ("en", "ru", "kk"):
        code, _out, err = dated_cli(merzim_db, JOINED.isoformat())(
            "analysis", "assign", str(case_id), "nobody", lang=lang)
        assert code != 0 and "Traceback" not in err
        assert Translator(lang)("rule.responsible_none", subject=DISTRICT) in err, err
        assert dump_tables(db) == before, lang
    # her office's list: the district's officer and the education department's, invited
    with Session(db) as s:
        handed = unanswered(db, DISTRICT), unanswered(db, UNITS[0])
        import_people(s, ctx_on(JOINED, actor="web:admin"), [
            {"_row": 2, "ФИО": "Аида Серикова", "E-mail": "aida@example.kz",
             "Подразделение": DISTRICT},
            {"_row": 3, "ФИО": "Болат Ахметов", "E-mail": "bolat@example.kz",
             "Подразделение": UNITS[0]},
            {"_row": 4, "ФИО": "Дана Руководитель", "E-mail": "dana@example.kz",
             "Подразделение": UNITS[1]}], roles={4: "manager"},  # (chosen in the preview)
            update=False, base_url="https://merzim.example.kz", days=7)
    assert unanswered(db, DISTRICT) == unanswered(db, UNITS[0]) == 0
    assert unanswered(db, UNITS[1]) > 0  # a manager answers for none of them
    with Session(db) as s:
        aida = s.exec(select(User).where(User.email == "aida@example.kz")).one()
        mine = s.exec(select(func.count()).select_from(Case).where(
            Case.responsible_id == aida.id)).one()
        assert mine == handed[0]
        # each hand-over audited, from nobody
        records = [json.loads(p) for p in s.exec(select(AuditRecord.payload).where(
            AuditRecord.action == HANDOVER))]
        assert sum(1 for r in records if r["to"] == aida.login and r["from"] is None) == mine
        # told once: one message on her channel (besides her invitation), none per case
        told = s.exec(select(OutboxMessage).where(
            OutboxMessage.recipient_id == aida.id,
            OutboxMessage.digest.startswith("unanswered:"))).all()
        assert len(told) == 1
        assert Translator(aida.language).n("handover.unanswered_body", mine,
                                           org="District nine") in told[0].body_text
        # her bell does not list them one by one
        assigned = [i for i in notices.items(s, ctx_on(JOINED), aida, (3,))
                    if i.kind == "assigned"]
        assert assigned == []
        # her work page: the back-filled stages are hers, before joining
        work = svc.my_work(s, ctx_on(JOINED), aida.id)
        assert work.overdue == [] and len(work.before_joining) > 0
    # the housing department's manager made its officer: handed them then
    with Session(db) as s:
        dana = s.exec(select(User).where(User.email == "dana@example.kz")).one()
        svc.update_user(s, ctx_on(JOINED), dana.login, role="officer")
        s.commit()
    assert unanswered(db, UNITS[1]) == 0
    # the enterprise's officer added by hand: handed them as well
    with Session(db) as s:
        svc.add_user(s, ctx_on(JOINED), "gulnar", "Gulnar", "officer", UNITS[2],
                     "gulnar@example.kz", "kk")
        s.commit()
    assert unanswered(db, UNITS[2]) == 0
