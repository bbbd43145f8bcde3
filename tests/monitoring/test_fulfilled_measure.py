"""A plan measure whose recommendation is fulfilled is overdue nowhere, on SQLite and PostgreSQL.

One story: an analysis whose note was signed on Thu 20 November 2025 (version 5: periods
counted from the note, 2025N1 = 20 November 2025 – 19 February 2026, 2025N2 = 20 February –
19 May 2026) with two measures: A, due Sat 31 January 2026, serving a recommendation recorded
fulfilled on 8 April 2026 (after its deadline); B, due Tue 31 March 2026, serving none. On
1 July 2026 A is done late (on 8 April) and B overdue: in the case's status, the overdue
list, the kept counts, the stages the digests and escalations are made of, and the monitoring
report of 2025N2. The report of 2025N1, drafted the same day, shows each measure as it stood
on that period's last day (19 February): A overdue, B open.
"""

from __future__ import annotations

import io
import json
from datetime import date

import docx
import pytest

from tests.monitoring.risk_world import (
    EVIDENCE,
    STORY,
    SUBDIVISION,
    commit,
    planning_svc,
    read,
)
from tests.support.analysis_world import abai_akimat
from tests.support.features import module_of
from workflow import services as svc
from workflow.kept import counts as kept
from workflow.monitoring import service as ms
from workflow.reminders import planner as reminders
from workflow.services import lists, replanning
from workflow.storage.queries import audit as audit_queries

documents = module_of("documents", "service")

TODAY = date(2026, 7, 1)
FULFILLED = date(2026, 4, 8)
FORM = "Order of the head"


@pytest.fixture
def story(db, make_ctx):
    """The analysis, its recommendation and the measures A (serving it) and B (serving none):
    {"ctx", "aid", "rec", "a", "b"} (a and b: the measures' stage keys)."""
    ctx = make_ctx(TODAY)

    def setup(s):
        abai_akimat(s, ctx)
        ms.add_subdivision(s, ctx, "AK-EDU", SUBDIVISION)
        aid = planning_svc.plan_analysis(s, ctx, "AK", "AK-EDU", date(2025, 10, 1),
                                         date(2025, 11, 10)).analysis.id
        for event, on in STORY:
            svc.record_event(s, ctx, aid, event, on, dict(EVIDENCE.get(event, {})))
        risk = ms.add_risk(s, ctx, "Manual allocation of places", "Queue", SUBDIVISION,
                           analysis_id=aid)
        rec = ms.add_recommendation(s, ctx, risk.id, "Move allocation to the e-queue")
        a, b = ms.import_plan(s, ctx, [
            {"measure": "Move allocation to the e-queue", "completion_form": FORM,
             "deadline": "2026-01-31", "responsible": SUBDIVISION, "recommendation": str(rec.id)},
            {"measure": "Publish the queue", "completion_form": "Letter",
             "deadline": "2026-03-31", "responsible": SUBDIVISION},
        ], analysis_id=aid)
        return {"ctx": ctx, "aid": aid, "rec": rec.id, "a": f"plan_item:{a.id}",
                "b": f"plan_item:{b.id}"}

    return commit(db, setup)


def fulfil(db, story, on=FULFILLED):
    commit(db, lambda s: ms.set_status(s, story["ctx"], story["rec"], "fulfilled", on,
                                       {"form": FORM, "number": "45-ө"}))


def shown(db, story) -> dict[str, tuple[str, date | None]]:
    """The measures' status and done date as `merzim status` shows them."""
    def view(s):
        got = svc.case_view(s, story["ctx"], svc.get_case(s, story["aid"]))
        return {st.key: (st.status, st.done_on) for st in got.stages
                if st.key in (story["a"], story["b"])}
    return read(db, view)


def overdue_measures(db, story) -> list[str]:
    return [r.stage for r in read(db, lambda s: svc.overdue(s, story["ctx"], "AK"))
            if r.stage.startswith("plan_item:")]


def report_text(db, story, period: str) -> tuple[list[list[str]], list[str]]:
    """The drafted monitoring report of `period` in Russian (it confirms the period's review):
    its status table's rows (the measure, its status, its evidence) and the lines under
    "Просроченные мероприятия:"."""
    drafted = read(db, lambda s: documents.draft(s, story["ctx"], story["aid"],
                                                  f"monitoring_review:{period}", "ru"))
    d = docx.Document(io.BytesIO(drafted.content))
    table = d.tables[-1]
    assert table.rows[0].cells[3].text == "Статус"
    rows = [[r.cells[i].text for i in (1, 3, 4)] for r in table.rows[1:]]
    lines = [p.text for p in d.paragraphs]
    start = lines.index("Просроченные мероприятия:") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())  # the signer's
    return rows, lines[start:end]


def test_a_fulfilled_measure_is_done_in_the_status_and_leaves_the_overdue_list(db, story):
    a, b = story["a"], story["b"]
    assert shown(db, story) == {a: ("overdue", None), b: ("overdue", None)}
    assert overdue_measures(db, story) == [a, b]
    fulfil(db, story)
    # done late: the recommendation fulfilled on 8 April, the measure was due on 31 January
    assert shown(db, story) == {a: ("done_late", FULFILLED), b: ("overdue", None)}
    assert overdue_measures(db, story) == [b]
    evidence = read(db, lambda s: svc.stages_of(s, svc.get_analysis(s, story["aid"]))[a].evidence)
    assert evidence == {"date": "2026-04-08", "form": FORM, "number": "45-ө",
                        "recommendation": story["rec"]}
    # the re-plan of every case (a calendar or a setting changed) keeps it so: the same rule
    commit(db, lambda s: replanning.replan_all(s, story["ctx"]))
    assert shown(db, story) == {a: ("done_late", FULFILLED), b: ("overdue", None)}
    # a verdict changed from fulfilled makes the measure overdue again
    commit(db, lambda s: ms.set_status(s, story["ctx"], story["rec"], "not_fulfilled",
                                       date(2026, 6, 1), {"note": "the order was revoked"}))
    assert shown(db, story) == {a: ("overdue", None), b: ("overdue", None)}
    assert overdue_measures(db, story) == [a, b]
    # fulfilled on or before its deadline: done on time
    fulfil(db, story, date(2026, 1, 30))
    assert shown(db, story)[a] == ("done_on_time", date(2026, 1, 30))


def test_the_kept_counts_and_the_reminders_leave_a_fulfilled_measure_out(db, story):
    ctx = story["ctx"]

    def counts(s):
        return (svc.count_overdue(s, ctx, "AK"), lists.count_overdue_by_path(s, ctx, "AK"),
                kept.differences(s))

    before, by_path, diff = read(db, counts)
    assert diff == []
    fulfil(db, story)
    after, by_path_after, diff = read(db, counts)
    assert diff == []  # the kept rows equal a recount: the fulfilment recounted them
    assert after == before - 1
    assert sum(by_path_after.values()) == sum(by_path.values()) - 1
    assert after == len(read(db, lambda s: svc.overdue(s, ctx, "AK")))
    # the stages the digests and the managers' escalations are made of
    items = read(db, lambda s: reminders.open_items(s, ctx, TODAY))
    keys = {i.stage_key for i in items}
    assert story["b"] in keys and story["a"] not in keys
    # audited on the analysis (the append that recounts its kept rows), naming the stage
    trail = read(db, lambda s: audit_queries.trail_of(s, "analysis", str(story["aid"]),
                                                      ("recommendation.status",)))
    assert len(trail) == 1
    assert json.loads(trail[0].payload)["statuses"] == [[story["a"], "open", "done_late"]]


def test_the_monitoring_report_shows_each_period_as_it_ended(db, story):
    for period, received in (("2025N1", date(2026, 3, 2)), ("2025N2", date(2026, 6, 1))):
        commit(db, lambda s, p=period, on=received: svc.record_event(
            s, story["ctx"], story["aid"], "monitoring_report", on, {"period": p}))
    fulfil(db, story)
    a_measure, b_measure = "Move allocation to the e-queue", "Publish the queue"
    rows, overdue = report_text(db, story, "2025N2")
    # on 19 May 2026: A done late on 8 April, B overdue since 31 March
    assert rows == [[a_measure, "исполнено с нарушением срока", f"{FORM}, 45-ө, 08.04.2026"],
                    [b_measure, "просрочено", "—"]]
    assert overdue == [f"2. {b_measure} — 31.03.2026"]
    # on 19 February 2026: A overdue since 31 January (fulfilled only later), B still to come
    rows, overdue = report_text(db, story, "2025N1")
    assert rows == [[a_measure, "просрочено", "—"], [b_measure, "срок не наступил", "—"]]
    assert overdue == [f"1. {a_measure} — 31.01.2026"]
