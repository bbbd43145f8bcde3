"""Where each deadline comes from (I-17): a due date merzim sets where the
sources give none (the order, I-2; the positions list, I-6; the registers' "merzim's own") is
marked so in the lists, their exports, the case page, the API and the reminders; an
organisation may switch such deadlines off (config.toml [deadlines] own_off: no due date,
never overdue); a due date moved off a non-working day says why.

Dates by hand from the Kazakh calendar:
* analysis S = Mon 2 Mar 2026, E = the 30th WD from S: March 2026 has Mon 9 Mar off (Women's
  Day on Sun 8 Mar) and Nauryz Fri 20, Mon 23, Tue 24, Wed 25 Mar off (21 Mar a Saturday,
  22 Mar a Sunday).
* the order (I-2): 10 WD before S: Fri 27, Thu 26, Wed 25, Tue 24, Mon 23, Fri 20, Thu 19,
  Wed 18, Tue 17, Mon 16 Feb 2026 -> 16 Feb 2026 (no day off in February 2026).
* national_report_input for 2027: 15 April 2028 is a Saturday -> Monday 17 April 2028 (I-1).
* offence_reconciliation for 2022: Sat 31 Dec 2022 -> Fri 30 Dec 2022 (B-1, P-3).
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from tests.support.features import module_of, needs
from tests.support.web_helpers import Web, en, world_fixture  # noqa: F401 - the `world` fixture
from workflow.core.deadlines import DONE_LATE, DONE_ON_TIME, OPEN, StagePlan, without_dues
from workflow.core.errors import ConfigError
from workflow.definitions.schema import parse_definition

ROOT = Path(__file__).resolve().parents[2] / "workflow" / "definitions"
ORDER, POSITIONS = "order", "positions_list"  # (stage keys of the shipped definition)


@pytest.fixture
def registry():
    from workflow.definitions import load_registry

    return load_registry()


@pytest.fixture
def ctx_of(calendar, registry):
    from workflow.services import Context

    def make(today: date, own_off: tuple[str, ...] = (), language: str = "en"):
        return Context(calendar, registry, today, actor="test", language=language,
                       own_off=own_off)

    return make


@pytest.fixture
def orgs(db, ctx_of):
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    ctx = ctx_of(date(2026, 1, 5))
    with open_session(db) as s:
        for code, kind, parent in [("AK", "akimat", None), ("AK-EDU", "department", "AK"),
                                   ("AK2", "akimat", None), ("AK2-EDU", "department", "AK2")]:
            svc.add_org(s, ctx, code, code, kind, parent)
        s.commit()
    return db


# -- the mark, as data ------------------------------------------------------------------------


def test_the_order_and_the_positions_list_are_merzims_own(registry):
    ira = registry.get("internal_risk_analysis")
    own = {k: st.due_basis for k, st in ira.stages.items() if st.own_deadline}
    assert own == {ORDER: "I-2", POSITIONS: "I-6"}
    registers = {key: [st.due_basis for st in registry.get(key).stages.values()
                       if st.own_deadline]
                 for key in ("offence_reconciliation", "law_compliance_report",
                             "akim_commission_schedule",
                             "anticorruption_manual", "documentolog_course", "legal_outreach",
                             "social_order", "iso37001_certificate",
                             # the enterprise policy: the sources give no day count (P-20)
                             "policy_forms", "corrupt_act_report", "internal_act_expertise",
                             "enterprise_conflict_of_interest")}
    assert registers == {"offence_reconciliation": ["B-1"], "law_compliance_report": ["B-4"],
                         "akim_commission_schedule": ["merzim"],
                         "anticorruption_manual": ["merzim"], "documentolog_course": ["merzim"],
                         "legal_outreach": ["merzim"], "social_order": ["merzim"],
                         "iso37001_certificate": ["merzim"],
                         "policy_forms": ["P-20", "P-20"],
                         "corrupt_act_report": ["P-20", "P-20", "P-20"],
                         "internal_act_expertise": ["merzim"],
                         "enterprise_conflict_of_interest": ["merzim"]}
    # every other shipped deadline comes from the sources
    for d in registry.all():
        if d.key not in registers and d.key != "internal_risk_analysis":
            assert not [k for k, st in d.stages.items() if st.own_deadline], d.key


def _doc(**stage_extra):
    doc = tomllib.loads((ROOT / "procedures" / "gift.toml").read_text(encoding="utf-8"))
    doc["stage"][0].update(stage_extra)
    return doc


def test_a_wrong_basis_is_refused():
    assert parse_definition(_doc(due_basis="P-9"), "gift.toml").stages[
        _doc()["stage"][0]["key"]].due_basis == "P-9"
    with pytest.raises(ConfigError, match="due_basis: must match"):
        parse_definition(_doc(due_basis="soon"), "gift.toml")
    without_due = _doc(due_basis="merzim")
    del without_due["stage"][0]["due"]
    with pytest.raises(ConfigError, match="the stage has none"):
        parse_definition(without_due, "gift.toml")


def test_without_dues_is_pure_and_exact():
    plan = {"a": StagePlan("a", date(2026, 2, 16), True, OPEN),
            "b": StagePlan("b", date(2026, 2, 16), False, DONE_LATE, date(2026, 3, 1)),
            "c": StagePlan("c", date(2026, 4, 1), False, OPEN)}
    out = without_dues(plan, frozenset({"a", "b"}))
    assert out == {"a": StagePlan("a", None, False, OPEN),
                   "b": StagePlan("b", None, False, DONE_ON_TIME, date(2026, 3, 1)),
                   "c": plan["c"]}
    assert without_dues(plan, frozenset()) is plan


# -- lists, the case page's data, the setting --------------------------------------------------


def _plan(db, ctx, subject, obj):
    planning_svc = module_of("planning", "service")
    from workflow.storage.db import session as open_session

    with open_session(db) as s:
        aid = planning_svc.plan_analysis(s, ctx, subject, obj, date(2026, 3, 2)).analysis.id
        s.commit()
    return aid


def test_overdue_rows_carry_the_mark_and_the_setting_switches_it_off(orgs, ctx_of):
    from workflow import services as svc
    from workflow.services import lists
    from workflow.storage.db import session as open_session

    planned = ctx_of(date(2026, 1, 5), own_off=("AK2",))
    on = _plan(orgs, planned, "AK", "AK-EDU")
    off = _plan(orgs, planned, "AK2", "AK2-EDU")
    ctx = ctx_of(date(2026, 2, 17), own_off=("AK2",))
    with open_session(orgs) as s:
        rows = lists.overdue(s, ctx, "AK")
        assert [(r.case, r.stage, r.due, r.due_basis, r.working_days_overdue)
                for r in rows] == [(on, ORDER, date(2026, 2, 16), "I-2", 1),
                                   (on, "start_announcement", date(2026, 2, 16), "", 1)]
        # switched off: the order is never overdue (the start announcement's is the sources')
        assert [(r.stage, r.due_basis) for r in lists.overdue(s, ctx, "AK2")] == [
            ("start_announcement", "")]
        view = svc.case_view(s, ctx, svc.get_case(s, off))
        stages = {st.key: st for st in view.stages}
        assert (stages[ORDER].due, stages[ORDER].due_basis) == (None, "")
        assert (stages[POSITIONS].due, stages[POSITIONS].due_basis) == (None, "")
        view = svc.case_view(s, ctx, svc.get_case(s, on))
        stages = {st.key: st for st in view.stages}
        assert (stages[ORDER].due, stages[ORDER].due_basis,
                stages[ORDER].source) == (date(2026, 2, 16), "I-2", "000:L239-261; I-2")
        assert stages[POSITIONS].due_basis == "I-6"
        assert (stages["analytic_note"].due_basis, stages["analytic_note"].source) == (
            "", "000:L356-387")
    # the switch follows a re-plan of every case (merzim replan after a change of config.toml)
    from workflow.services import transactions as tx

    with open_session(orgs) as s, tx.transaction(s):
        svc.replan_all(s, ctx_of(date(2026, 2, 17), own_off=("*",)))
    with open_session(orgs) as s:
        assert [r.stage for r in lists.overdue(s, ctx, "AK")] == ["start_announcement"]
        assert svc.stages_of(s, svc.get_case(s, on))[ORDER].due_date is None
    with open_session(orgs) as s, tx.transaction(s):
        svc.replan_all(s, ctx_of(date(2026, 2, 17)))
    with open_session(orgs) as s:
        assert svc.stages_of(s, svc.get_case(s, off))[ORDER].due_date == date(2026, 2, 16)


def _open_period(s, ctx, process: str, label: str):
    """A recurring obligation's case of the akimat AK for one period, as the opener makes it."""
    from workflow import services as svc
    from workflow.core import periods
    from workflow.services.cases import period_dates

    dates = period_dates(ctx, ctx.registry.get(process), periods.parse(label))
    return svc.open_case(s, ctx, process, "AK", dates=dates, period=label)


@pytest.mark.parametrize(("language", "note"), [
    ("en", "15 April 2028 is a Saturday: due Monday 17 April — moved forward to the next "
           "working day (I-1)"),
    ("ru", "15 апреля 2028 г. — суббота: срок — понедельник, 17 апреля (перенесён на следующий "
           "рабочий день, I-1)"),
    ("kk", "2028 жылғы 15 сәуір — сенбі: мерзім — дүйсенбі, 17 сәуір (келесі жұмыс күніне "
           "ауыстырылды, I-1)"),
])
def test_a_due_date_moved_off_a_saturday_says_why(orgs, ctx_of, language, note):
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    with open_session(orgs) as s:
        case = _open_period(s, ctx_of(date(2028, 1, 10)), "national_report_input", "2027")
        s.commit()
        view = svc.case_view(s, ctx_of(date(2028, 1, 10), language=language), case)
    (stage,) = view.stages
    assert (stage.due, stage.moved_from, stage.moved_note, stage.due_basis) == (
        date(2028, 4, 17), date(2028, 4, 15), note, "")


def test_a_due_date_moved_back_says_so_and_is_merzims_own(orgs, ctx_of):
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    with open_session(orgs) as s:
        case = _open_period(s, ctx_of(date(2022, 12, 1)), "offence_reconciliation", "2022")
        s.commit()
        (stage,) = svc.case_view(s, ctx_of(date(2022, 12, 1)), case).stages
    assert (stage.due, stage.due_basis, stage.moved_note) == (
        date(2022, 12, 30), "B-1",
        "31 December 2022 is a Saturday: due Friday 30 December — moved back to the year's last "
        "working day (P-24)")


# -- the reminders -------------------------------------------------------------------------------


def test_the_reminder_marks_merzims_own_deadline():
    from notifications.policy import OVERDUE, Digest, Line, Recipient, StageItem
    from notifications.render import render_digest

    item = StageItem(7, ORDER, {"en": "Approve the order", "ru": "Приказ", "kk": "Бұйрық"},
                     date(2026, 2, 16), "AK", "Akimat", "AK-EDU", "/1/", None, due_basis="I-2",
                     process="internal_risk_analysis")
    # the message says merzim set it; which rule (a code an officer does not read) is on the
    # case's page
    for language, day, mark in [("en", "2026-02-16", "(deadline set by merzim)"),
                                ("ru", "16.02.2026", "(срок установлен merzim)"),
                                ("kk", "16.02.2026", "(мерзімді merzim белгіледі)")]:
        digest = Digest(Recipient(1, "Asel", "officer", language, "/1/"), date(2026, 2, 17),
                        [Line(OVERDUE, 1, item)])
        text = render_digest(digest).text
        assert f"{day} {mark}" in text, text
        assert "I-2" not in text


# -- the overdue list and its export, on the web (the acceptance) --------------------------------


@needs("planning")  # the overdue stages are the demo's analyses', which it plans
def test_the_overdue_list_and_its_xlsx_mark_merzims_own_deadlines(world: Web):
    import io

    from openpyxl import load_workbook

    b = world.browser("nurlan")
    # (the demo's overdue merzim deadline is a positions list; the order's: the test above)
    for stage, mark in [(POSITIONS, en("stage.own_deadline", basis="I-6")),
                        ("analytic_note", None)]:
        page = b.get(f"/overdue?stage={stage}").text
        wb = load_workbook(io.BytesIO(b.get(f"/overdue.xlsx?stage={stage}").content))
        rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
        assert rows[0][5] == en("stage.col_basis")
        assert len(rows) > 1, stage  # the demo has such overdue stages
        assert {r[5] for r in rows[1:]} == {mark}, stage
        # the list: the basis is the due date's hover title, no word of the row
        assert (f'data-basis="I-6" title="{mark}"' in page) == (mark is not None)
    api = world.api("nurlan").get("/api/v1/overdue?limit=500&lang=en").json()["items"]
    assert {r["stage"]: r["due_basis"] for r in api
            if r["stage"] in (POSITIONS, "analytic_note")} == {POSITIONS: "I-6", "analytic_note": ""}
