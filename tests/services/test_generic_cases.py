"""One engine for every procedure: a procedure written as one TOML file in a directory that
config.toml names runs end to end (open, record, "no conflict", reminders, dashboard row, API)
with no Python change; recording as it happens (not done, void, actual dates re-checking
stages); recurring obligations opened once per period with exact due dates.

Expected dates are written from the sources and the Kazakh calendar (comments say why).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from tests.support.databases import dump_tables
from tests.support.features import module_of, needs
from web.app import create_app
from workflow import services as svc
from workflow.core import periods
from workflow.core.deadlines import Facts, Record, plan_case
from workflow.core.definition import PeriodDue
from workflow.core.errors import ConfigError, RuleViolation, UsageError
from workflow.definitions import load_definition, load_registry
from workflow.reminders.planner import plan_reminders
from workflow.services import accounts as auth
from workflow.services import obligations
from workflow.settings import load_notify_settings, load_settings
from workflow.storage import audit
from workflow.storage.models import (
    AuditRecord,
    Case,
    EventRecord,
    Organisation,
    OutboxMessage,
    User,
)

CAL = KazakhstanCalendar()
NAMES = 'names = {{ kk = "{0} kk", ru = "{0} ru", en = "{0}" }}'

# An operator's own folder of definitions: the conflict-of-interest notice (the worked example
# of docs/process-definitions.md), a quarterly and a yearly obligation.
PROCEDURES = Path(__file__).parent / "procedures"
CONFLICT = (PROCEDURES / "local_conflict.toml").read_text(encoding="utf-8")

RECURRING_KEYS = {d.key for d in load_registry().all() if d.recurrence is not None} | {
    "local_coi_quarterly", "local_report_input"}


@pytest.fixture
def procedures(tmp_path: Path) -> Path:
    """A folder of definitions and the config.toml that names it."""
    shutil.copytree(PROCEDURES, tmp_path / "procedures")
    config = tmp_path / "config.toml"
    # an operator who runs only her own obligations switches the shipped ones off
    off = "".join(f"\n[obligations.{d.key}]\nenabled = false\n"
                  for d in load_registry().all() if d.recurrence is not None)
    config.write_text('[processes]\ndirs = ["procedures"]\n' + off, encoding="utf-8")
    return config


@pytest.fixture
def registry(procedures):
    settings = load_settings(procedures, env={})
    return load_registry(settings.process_dirs, obligations=settings.obligations)


def ctx_for(registry, today: date, actor: str = "test", language: str = "en"):
    return svc.Context(CAL, registry, today, actor=actor, language=language)


def world(engine, registry, today: date) -> None:
    ctx = ctx_for(registry, today)
    with Session(engine) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education", "department", "AK")
        svc.add_org(s, ctx, "QS", "Holding", "quasi_state", "AK")
        svc.add_user(s, ctx, "aliya", "Aliya", "officer", "AK-EDU", "aliya@example.kz", "en")
        svc.add_user(s, ctx, "nurlan", "Nurlan", "manager", "AK", "nurlan@example.kz", "en")
        s.commit()


def stages(s, case) -> dict[str, tuple]:
    return {k: (st.due_date, st.status, st.projected) for k, st in svc.stages_of(s, case).items()}


# -- the pure core ---------------------------------------------------------------------------


def test_conflict_of_interest_deadlines_from_the_notice(registry):
    defn = registry.get("local_conflict")
    plan = plan_case(defn, CAL, Facts({"notified": date(2026, 3, 20)}))
    # Fri 20 March 2026; 21-25 March are Nauryz days off: 26, 27, 30 March
    assert plan["forward"].due == date(2026, 3, 30) and not plan["forward"].projected
    # projected from the forwarding's due date (P-1): 10 WD after 30 March
    assert (plan["recommendation"].due, plan["recommendation"].projected) == (date(2026, 4, 13),
                                                                              True)
    assert (plan["measures"].due, plan["measures"].projected) == (date(2026, 4, 27), True)
    assert "transfer" not in plan  # dormant until "not settled"


def test_recorded_forwarding_replaces_the_projection(registry):
    defn = registry.get("local_conflict")
    plan = plan_case(defn, CAL, Facts({"notified": date(2026, 3, 20)},
                                      (Record("forwarded", date(2026, 3, 27)),)))
    assert plan["forward"].status == "done_on_time"
    # 10 WD after Fri 27 March: 30, 31 March, 1, 2, 3, 6, 7, 8, 9, 10 April
    assert (plan["recommendation"].due, plan["recommendation"].projected) == (date(2026, 4, 10),
                                                                              False)


def test_no_conflict_closes_the_later_stages_and_unsettled_opens_the_transfer(registry):
    defn = registry.get("local_conflict")
    notified = {"notified": date(2026, 3, 20)}
    closed = plan_case(defn, CAL, Facts(notified, (Record("forwarded", date(2026, 3, 26)),
                                                   Record("no_conflict", date(2026, 4, 2)))))
    assert closed["recommendation"].status == "done_on_time"
    assert closed["measures"].status == "not_applicable"
    assert "transfer" not in closed
    unsettled = plan_case(defn, CAL, Facts(notified, (Record("unsettled", date(2026, 4, 20)),)))
    # P-2: 3 calendar months from 20 March = Sat 20 June 2026, rolled to Mon 22 June (I-1)
    assert (unsettled["transfer"].due, unsettled["transfer"].status) == (date(2026, 6, 22), "open")


@pytest.mark.parametrize("label, rule, expected", [
    # month: Sat 31 May 2025 -> Fri 30 May (P-3 rolls back, inside the period)
    ("2025M05", PeriodDue("period_end", roll="preceding"), date(2025, 5, 30)),
    ("2026M03", PeriodDue("period_end", roll="preceding"), date(2026, 3, 31)),
    # quarter: Q4 2022 ends Sat 31 December -> Fri 30 December 2022
    ("2022Q4", PeriodDue("period_end", roll="preceding"), date(2022, 12, 30)),
    ("2026Q1", PeriodDue("period_end", roll="preceding"), date(2026, 3, 31)),
    # half-year: Tue 30 June 2026
    ("2026H1", PeriodDue("period_end", roll="preceding"), date(2026, 6, 30)),
    # the 5th of the month after: Sun 5 July 2026, Mon 6 July is Capital Day -> Tue 7 July
    ("2026H1", PeriodDue("month_after", months=1, day=5), date(2026, 7, 7)),
    # across the year end: 5 January 2027 is a Tuesday, a working day
    ("2026Q4", PeriodDue("month_after", months=1, day=5), date(2027, 1, 5)),
    # Sun 5 April 2026 -> Mon 6 April
    ("2026M03", PeriodDue("month_after", months=1, day=5), date(2026, 4, 6)),
    # year: 31 December 2022 is a Saturday; 1-3 January 2023 are days off -> Wed 4 January
    ("2022", PeriodDue("fixed", month=12, day=31), date(2023, 1, 4)),
    ("2026", PeriodDue("fixed", month=12, day=31), date(2026, 12, 31)),
    # 15 April of the next year: Sat 15 April 2023 -> Mon 17 April; Thu 15 April 2027
    ("2022", PeriodDue("fixed", month=4, day=15, year_offset=1), date(2023, 4, 17)),
    ("2026", PeriodDue("fixed", month=4, day=15, year_offset=1), date(2027, 4, 15)),
])
def test_period_due_dates_for_every_period_kind(label, rule, expected):
    assert periods.due_date(CAL, periods.parse(label), rule) == expected


def test_periods_are_labelled_and_bounded():
    assert periods.period_of(date(2026, 11, 22), "quarter") == periods.parse("2026Q4")
    assert periods.parse("2026H2").start == date(2026, 7, 1)
    assert periods.parse("2026M02").end == date(2026, 2, 28)
    assert periods.parse("2028M02").end == date(2028, 2, 29)
    assert periods.next_period(periods.parse("2026Q4")).label == "2027Q1"
    assert periods.next_period(periods.parse("2026M12")).label == "2027M01"
    assert periods.next_period(periods.parse("2026")).label == "2027"
    with pytest.raises(UsageError):
        periods.parse("2026Q5")


def test_a_broken_definition_is_refused_with_file_entry_and_reason(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "gift.toml").write_text(CONFLICT.replace('completes = "forward"',
                                                       'completes = "forwarding"'),
                                      encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_registry((folder,))
    assert "gift.toml" in err.value.message and "forwarding" in err.value.message
    (folder / "gift.toml").write_text(CONFLICT.replace('anchor = "forwarded"',
                                                       'anchor = "recommended"'),
                                      encoding="utf-8")
    with pytest.raises(ConfigError) as err:  # recommendation counted from itself
        load_registry((folder,))
    assert "cycle" in err.value.message


# -- recording as it happens: the internal analysis ---------------------------------------------


def _org_world(engine, today):
    ctx = svc.Context(CAL, load_definition(), today, actor="test", language="en")
    with Session(engine) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education", "department", "AK")
        svc.add_user(s, ctx, "aliya", "Aliya", "officer", "AK", "aliya@example.kz", "en")
        planning_svc = module_of("planning", "service")  # it plans the analysis
        case = planning_svc.plan_analysis(s, ctx, "AK", "AK-EDU", date(2026, 3, 2), date(2026, 4, 10))
        s.commit()
        return case.analysis.id


def test_without_a_public_discussion_the_note_plan_and_publication_are_accepted(db):
    case_id = _org_world(db, date(2026, 2, 2))
    ctx = svc.Context(CAL, load_definition(), date(2026, 5, 20), actor="test", language="en")
    with Session(db) as s:
        for event, on, evidence in (
                ("analytic_note", date(2026, 4, 20), {"number": "12", "signed_by": "Head"}),
                ("action_plan", date(2026, 5, 5), {"number": "14", "signed_by": "Head"}),
                ("publication", date(2026, 5, 8), {"url": "https://ak.gov.kz/a"})):
            svc.record_event(s, ctx, case_id, event, on, evidence)
        s.commit()
        view = svc.case_view(s, ctx, s.get(Case, case_id))
    status = {st.key: st.status for st in view.stages}
    assert status["analytic_note"] == "done_on_time"       # due 24 April
    assert status["action_plan"] == "done_on_time"         # due 10 WD after 20 April: 5 May
    assert status["publication"] == "done_on_time"
    assert status["public_discussion"] == "overdue"        # due 3 April, never held
    assert view.state == "published"
    before = dump_tables(db)
    with Session(db) as s, pytest.raises(UsageError):
        svc.record_not_done(s, ctx, case_id, "public_discussion", "   ")
    with Session(db) as s, pytest.raises(RuleViolation):
        svc.record_not_done(s, ctx, case_id, "no_such_stage", "reason")
    with Session(db) as s, pytest.raises(RuleViolation):  # done stages are not "not done"
        svc.record_not_done(s, ctx, case_id, "analytic_note", "reason")
    assert dump_tables(db) == before
    with Session(db) as s:
        svc.record_not_done(s, ctx, case_id, "public_discussion",
                            "The public council did not meet in April")
        s.commit()
        st = svc.stages_of(s, s.get(Case, case_id))["public_discussion"]
        assert (st.status, st.evidence["note"]) == ("not_done",
                                                    "The public council did not meet in April")
        assert audit.verify(s).ok


def test_an_actual_end_earlier_than_planned_makes_a_discussion_announcement_late(db):
    case_id = _org_world(db, date(2026, 2, 2))
    ctx = svc.Context(CAL, load_definition(), date(2026, 4, 6), actor="test", language="en")
    with Session(db) as s:
        case = s.get(Case, case_id)
        # planned end Fri 10 April: the announcement is due 10 WD before, on 27 March
        svc.record_event(s, ctx, case_id, "discussion_announcement", date(2026, 3, 20),
                         {"url": "https://ak.gov.kz/d"})
        assert stages(s, case)["discussion_announcement"][:2] == (date(2026, 3, 27),
                                                                  "done_on_time")
        svc.record_event(s, ctx, case_id, "analysis_end", date(2026, 4, 3), {})
        s.commit()
        # the actual end Fri 3 April: 10 WD before is 17 March (21-25 March are days off),
        # so an announcement on 20 March (7 WD before) is late (I-12)
        got = stages(s, case)
        assert got["discussion_announcement"][:2] == (date(2026, 3, 17), "done_late")
        assert got["analytic_note"][0] == date(2026, 4, 17)  # 10 WD after 3 April
        assert "analysis_end" not in got  # v3: the actual end is a date, not a stage (I-11)
        view = svc.case_view(s, ctx, case)
        assert (view.planned_end, view.actual_end) == (date(2026, 4, 10),
                                                             date(2026, 4, 3))


def test_a_wrong_record_is_voided_and_everything_is_replanned(db):
    case_id = _org_world(db, date(2026, 2, 2))
    ctx = svc.Context(CAL, load_definition(), date(2026, 4, 6), actor="test", language="en")
    with Session(db) as s:
        svc.record_event(s, ctx, case_id, "analysis_end", date(2026, 4, 3), {})
        svc.record_event(s, ctx, case_id, "analytic_note", date(2026, 4, 6),
                         {"number": "1", "signed_by": "Head"})
        s.commit()
        got = stages(s, s.get(Case, case_id))
        # counted from the actual end Fri 3 April: the note 10 WD after, the announcement
        # 10 WD before (21-25 March off)
        assert got["analytic_note"][:2] == (date(2026, 4, 17), "done_on_time")
        assert got["discussion_announcement"][0] == date(2026, 3, 17)
    before = dump_tables(db)
    with Session(db) as s, pytest.raises(UsageError):
        svc.void_record(s, ctx, case_id, "analysis_end", "")
    with Session(db) as s, pytest.raises(RuleViolation):
        svc.void_record(s, ctx, case_id, "publication", "never recorded")
    assert dump_tables(db) == before
    with Session(db) as s:
        svc.void_record(s, ctx, case_id, "analysis_end", "The end was typed for the wrong "
                        "analysis")
        s.commit()
        case = s.get(Case, case_id)
        got = stages(s, case)
        assert svc.case_view(s, ctx, case).actual_end is None  # back to the planned 10 April
        assert got["analytic_note"][:2] == (date(2026, 4, 24), "done_on_time")  # planned end
        assert got["discussion_announcement"][0] == date(2026, 3, 27)
        rows = s.exec(select(EventRecord).where(EventRecord.case_id == case_id)
                      .order_by(EventRecord.id)).all()
        assert [(r.kind, r.event, r.voided_by_id is not None) for r in rows] == [
            ("event", "analysis_end", True), ("event", "analytic_note", False),
            ("void", "analysis_end", False)]
        assert audit.verify(s).ok
        # the plan needs the note: the note cannot be voided while a plan stands
        svc.record_event(s, ctx, case_id, "action_plan", date(2026, 4, 6),
                         {"number": "2", "signed_by": "Head"})
        s.commit()
    before = dump_tables(db)
    with Session(db) as s, pytest.raises(RuleViolation) as err:
        svc.void_record(s, ctx, case_id, "analytic_note", "wrong")
    assert err.value.key == "rule.void_needed_by"
    assert dump_tables(db) == before


def test_a_second_unique_stage_for_a_case_cannot_be_stored(db):
    from sqlalchemy.exc import IntegrityError

    from workflow.storage.models import Stage

    case_id = _org_world(db, date(2026, 2, 2))
    with Session(db) as s:
        first = s.exec(select(Stage).where(Stage.case_id == case_id,
                                           Stage.key == "order")).one()
        s.add(Stage(case_id=case_id, key="order", subject_id=first.subject_id,
                    subject_path=first.subject_path))
        with pytest.raises(IntegrityError):
            s.commit()


# -- a new procedure from a configured folder, end to end -----------------------------------------


def test_a_procedure_in_a_configured_folder_runs_from_the_cli(merzim_db, procedures):
    run = lambda *a, today="2026-03-20": merzim_db(*a, today=today, config=procedures)  # noqa
    assert run("init").returncode == 0
    for args in (("org", "add", "AK", "--name", "Akimat", "--kind", "akimat"),
                 ("user", "add", "aliya", "--org", "AK", "--email", "aliya@example.kz")):
        assert run(*args).returncode == 0, run(*args).stderr
    listed = json.loads(run("process", "list", "--json").stdout)
    assert {"key": "local_conflict", "version": 1,
            "names": {"kk": "Мүдделер қақтығысы туралы хабарлама",
                      "ru": "Уведомление о конфликте интересов",
                      "en": "Conflict of interest notice"}} in listed
    assert all(set(item) == ({"key", "version", "names", "recurrence", "enabled"}
                             if item["key"] in RECURRING_KEYS else {"key", "version", "names"})
               for item in listed)
    # the fixture's config switched the shipped obligations off; its own stay on
    assert {i["key"]: i["enabled"] for i in listed if "enabled" in i} == {
        **dict.fromkeys(RECURRING_KEYS - {"local_coi_quarterly", "local_report_input"}, False),
        "local_coi_quarterly": True, "local_report_input": True}
    shown = run("process", "show", "local_conflict", "--json")
    assert json.loads(shown.stdout)["stages"][0]["due_text"] == "3 working days after Notice received"
    opened = run("case", "open", "local_conflict", "--subject", "AK", "--person",
                 "Arman Aliyev", "--position", "Chief specialist", "--date",
                 "notified=2026-03-20", "--json")
    assert opened.returncode == 0, opened.stderr
    view = json.loads(opened.stdout)
    assert (view["process"], view["state"], view["person"]["name"]) == (
        "local_conflict", "notified", "Arman Aliyev")
    due = {st["key"]: st["due"] for st in view["stages"]}
    assert due == {"forward": "2026-03-30", "recommendation": "2026-04-13",
                   "measures": "2026-04-27"}
    refused = run("case", "open", "local_conflict", "--subject", "AK", "--date",
                  "notified=2026-03-20")
    assert refused.returncode == 2 and "person" in refused.stderr
    cid = str(view["id"])
    assert run("record", cid, "forwarded", "--date", "2026-03-26", today="2026-03-27"
               ).returncode == 0
    done = run("record", cid, "no_conflict", "--date", "2026-04-02", "--json", today="2026-04-02")
    view = json.loads(done.stdout)
    assert view["state"] == "no_conflict"
    assert {st["key"]: st["status"] for st in view["stages"]} == {
        "forward": "done_on_time", "recommendation": "done_on_time",
        "measures": "not_applicable"}
    late = run("record", cid, "measures_taken", "--date", "2026-04-02", today="2026-04-02")
    assert late.returncode == 3 and "closed" in late.stderr.lower()
    cases = json.loads(run("case", "list", "--process", "local_conflict", "--json").stdout)
    assert [(c["id"], c["state"]) for c in cases] == [(view["id"], "no_conflict")]


def test_a_procedure_in_a_configured_folder_reminds_lists_and_answers_the_api(db, registry,
                                                                             procedures,
                                                                             monkeypatch):
    world(db, registry, date(2026, 3, 20))
    ctx = ctx_for(registry, date(2026, 3, 20), actor="aliya")
    with Session(db) as s:
        case = svc.open_case(s, ctx, "local_conflict", "AK-EDU", person="Arman Aliyev",
                             dates={"notified": date(2026, 3, 20)})
        s.commit()
        case_id = case.id
    # reminders: the officer hears of the forwarding, due 30 March, on 27 March (1 WD before)
    settings = load_settings(procedures, env={})
    ns = load_notify_settings(settings, env={}, require_secrets=False)
    with Session(db) as s:
        written = plan_reminders(s, ctx_for(registry, date(2026, 3, 27)), ns)
        s.commit()
        assert written and all(m.recipient_id == svc.get_user(s, "aliya").id for m in written)
        body = s.exec(select(OutboxMessage)).first().body_text
    assert "Forward the notice" in body and "Arman" not in body
    # the dashboard: the overdue row for the process, the case page, the API
    monkeypatch.setenv("MERZIM_TODAY", "2026-04-01")
    app = create_app(settings, db, CAL, registry)
    with Session(db) as s:
        for login in ("aliya", "nurlan"):
            auth.set_password(s, svc.get_user(s, login), "correct-horse-battery", "test")
        s.commit()
    from tests.support.web_helpers import csrf_of, without_audit

    def browser(login):
        c = TestClient(app, follow_redirects=False)
        c.cookies.set("merzim_lang", "en")
        form = c.get("/login")
        r = c.post("/login", data={"login": login, "password": "correct-horse-battery",
                                   "csrf": csrf_of(form.text), "next": "/"})
        assert r.status_code == 303
        return c

    officer, manager = browser("aliya"), browser("nurlan")
    page = officer.get("/overdue?process=local_conflict")
    assert page.status_code == 200 and "Forward the notice" in page.text
    # the Stage filter offers the chosen procedure's stages ("process:stage"), not the internal
    # analysis's; with no procedure chosen, every procedure's, grouped
    stage_filter = page.text.split('<select name="stage">')[1].split("</select>")[0]
    assert '<option value="local_conflict:forward" ' in stage_filter
    assert 'value="internal_risk_analysis:order"' not in stage_filter
    every = officer.get("/overdue").text.split('<select name="stage">')[1].split("</select>")[0]
    assert 'value="internal_risk_analysis:order"' in every
    assert 'value="local_conflict:forward"' in every
    filtered = officer.get("/overdue?process=local_conflict&stage=forward").text
    assert '<option value="local_conflict:forward" selected>' in filtered
    assert f'href="/cases/{case_id}"' in filtered
    both = officer.get("/overdue?stage=local_conflict:forward").text  # as the select sends it
    assert f'href="/cases/{case_id}"' in both
    assert f'href="/cases/{case_id}"' in page.text
    assert "Arman Aliyev" in officer.get(f"/cases/{case_id}").text
    hidden = manager.get(f"/cases/{case_id}")
    assert hidden.status_code == 200 and "Arman Aliyev" not in hidden.text
    # record from the web form, with the evidence the definition asks for
    csrf = csrf_of(officer.get(f"/cases/{case_id}").text)
    r = officer.post(f"/cases/{case_id}/events", data={"csrf": csrf, "event": "forwarded",
                                                        "date": "2026-03-31"})
    assert r.status_code == 303, r.text
    with Session(db) as s:
        assert stages(s, s.get(Case, case_id))["forward"][:2] == (date(2026, 3, 30),
                                                                  "done_late")
        token = auth.create_api_token(s, svc.get_user(s, "nurlan"), "t")
        s.commit()
    api = TestClient(app)
    api.headers["Authorization"] = f"Bearer {token}"
    got = api.get(f"/api/v1/cases/{case_id}").json()
    assert got["process"] == "local_conflict" and got["person"] is None
    assert {st["key"]: st["due"] for st in got["stages"]}["recommendation"] == "2026-04-14"
    listed = api.get("/api/v1/overdue", params={"process": "local_conflict"}).json()
    assert listed["total"] == 0  # forwarded (late); the recommendation is due 14 April
    processes = {p["key"] for p in api.get("/api/v1/processes").json()}
    assert {"internal_risk_analysis", "local_conflict"} <= processes
    # an officer opens a case from the web form the definition gives; a manager cannot
    form = officer.get("/cases/new/local_conflict")
    assert form.status_code == 200 and 'name="date_notified"' in form.text
    r = officer.post("/cases/new/local_conflict", data={
        "csrf": csrf_of(form.text), "person": "Dana Bekova", "position": "Specialist",
        "date_notified": "2026-03-31"})
    assert r.status_code == 303, r.text
    new_id = int(r.headers["location"].rsplit("/", 1)[1])
    with Session(db) as s:
        new = s.get(Case, new_id)
        assert (new.process, new.person_name, s.get(Organisation, new.subject_id).code) == (
            "local_conflict", "Dana Bekova", "AK-EDU")
        # the officer who opened it answers for it
        assert s.get(User, new.responsible_id).login == "aliya"
        # 3 WD after Tue 31 March: 1, 2, 3 April
        assert stages(s, new)["forward"][0] == date(2026, 4, 3)
    m_form = manager.get("/cases/new/local_conflict")
    before = without_audit(db)
    refused = manager.post("/cases/new/local_conflict", data={
        "csrf": csrf_of(m_form.text), "subject": "AK", "person": "X",
        "date_notified": "2026-03-31"})
    assert refused.status_code == 409 and "data-testid=\"refusal\"" in refused.text
    assert without_audit(db) == before
    with Session(db) as s:
        last = s.exec(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
        assert (last.actor, last.action) == ("web:nurlan", "refused.open")


# -- recurring obligations -------------------------------------------------------------------------


def test_obligations_sync_twice_opens_each_period_once_with_exact_dates(db, registry):
    world(db, registry, date(2026, 11, 22))
    ctx = ctx_for(registry, date(2026, 11, 22))
    with Session(db) as s:
        first = obligations.sync(s, ctx)
        s.commit()
        again = obligations.sync(s, ctx)
        s.commit()
    assert again == []
    got = sorted((o["process"], o["org"], o["period"], o["due"]) for o in first)
    assert got == [
        # Q4 2026 ends Thu 31 December; Q1 2027 ends Wed 31 March 2027
        ("local_coi_quarterly", "AK", "2026Q4", date(2026, 12, 31)),
        ("local_coi_quarterly", "AK", "2027Q1", date(2027, 3, 31)),
        ("local_coi_quarterly", "AK-EDU", "2026Q4", date(2026, 12, 31)),
        ("local_coi_quarterly", "AK-EDU", "2027Q1", date(2027, 3, 31)),
        # the reporting year 2026: Thu 15 April 2027; 2027: Sat 15 April 2028 -> Mon 17 April
        ("local_report_input", "AK", "2026", date(2027, 4, 15)),
        ("local_report_input", "AK", "2027", date(2028, 4, 17)),
        ("local_report_input", "QS", "2026", date(2027, 4, 15)),
        ("local_report_input", "QS", "2027", date(2028, 4, 17)),
    ]
    with Session(db) as s:
        rows = obligations.year_of(s, ctx, "AK-EDU", 2026)
    assert [(r["process"], r["period"], r["due"], r["status"]) for r in rows] == [
        ("local_coi_quarterly", "2026Q4", date(2026, 12, 31), "open")]
    with Session(db) as s:  # --through opens the periods up to that date, once
        more = obligations.sync(s, ctx, through=date(2027, 7, 1))
        s.commit()
    assert sorted((o["org"], o["period"]) for o in more) == [("AK", "2027Q2"), ("AK", "2027Q3"),
                                                               ("AK-EDU", "2027Q2"),
                                                               ("AK-EDU", "2027Q3")]


def test_an_obligation_switched_off_in_config_is_not_opened(db, tmp_path, procedures):
    config = procedures.read_text() + ("\n[obligations.local_report_input]\nenabled = false\n"
                                       "\n[obligations.local_coi_quarterly]\n"
                                       'applies_to = ["quasi_state"]\n')
    procedures.write_text(config, encoding="utf-8")
    settings = load_settings(procedures, env={})
    reg = load_registry(settings.process_dirs, obligations=settings.obligations)
    world(db, reg, date(2026, 11, 22))
    with Session(db) as s:
        opened = obligations.sync(s, ctx_for(reg, date(2026, 11, 22)))
    assert sorted((o["process"], o["org"], o["period"]) for o in opened) == [
        ("local_coi_quarterly", "QS", "2026Q4"), ("local_coi_quarterly", "QS", "2027Q1")]


def test_obligations_sync_from_the_cli_twice(merzim_db, procedures):
    run = lambda *a: merzim_db(*a, today="2026-11-22", config=procedures)  # noqa: E731
    assert run("init").returncode == 0
    assert run("org", "add", "MF", "--name", "Ministry", "--kind", "central_body").returncode == 0
    first = json.loads(run("obligations", "sync", "--json").stdout)["opened"]
    again = json.loads(run("obligations", "sync", "--json").stdout)["opened"]
    assert sorted((o["process"], o["period"], o["due"]) for o in first) == [
        ("local_coi_quarterly", "2026Q4", "2026-12-31"),
        ("local_coi_quarterly", "2027Q1", "2027-03-31"),
        ("local_report_input", "2026", "2027-04-15"),
        ("local_report_input", "2027", "2028-04-17")]
    assert again == []
    listed = json.loads(run("obligations", "list", "--org", "MF", "--year", "2026", "--json")
                        .stdout)["obligations"]
    assert [(r["process"], r["due"]) for r in listed] == [("local_coi_quarterly", "2026-12-31")]
    # the reporting year 2026 is among 2027's obligations: it is due on 15 April 2027
    listed = json.loads(run("obligations", "list", "--org", "MF", "--year", "2027", "--json")
                        .stdout)["obligations"]
    assert [(r["process"], r["period"], r["due"]) for r in listed] == [
        ("local_coi_quarterly", "2027Q1", "2027-03-31"),
        ("local_report_input", "2026", "2027-04-15")]


def test_a_case_keeps_its_definition_version_when_the_file_changes(db, tmp_path, procedures):
    settings = load_settings(procedures, env={})
    reg = load_registry(settings.process_dirs)
    world(db, reg, date(2026, 3, 20))
    with Session(db) as s:
        old = svc.open_case(s, ctx_for(reg, date(2026, 3, 20)), "local_conflict", "AK",
                            person="A", dates={"notified": date(2026, 3, 20)})
        s.commit()
        old_id = old.id
    path = settings.process_dirs[0] / "local_conflict.toml"
    # the same version with other rules: refused when the next case is opened
    path.write_text(CONFLICT.replace("offset = 3, unit = \"working_days\"",
                                     "offset = 5, unit = \"working_days\""), encoding="utf-8")
    edited = load_registry(settings.process_dirs)
    before = dump_tables(db)
    with Session(db) as s, pytest.raises(ConfigError):
        svc.open_case(s, ctx_for(edited, date(2026, 3, 20)), "local_conflict", "AK",
                      person="B", dates={"notified": date(2026, 3, 20)})
    assert dump_tables(db) == before
    # a new version: new cases follow it, the old case keeps version 1
    path.write_text(CONFLICT.replace("version = 1", "version = 2")
                    .replace("offset = 3, unit = \"working_days\"",
                             "offset = 5, unit = \"working_days\""), encoding="utf-8")
    v2 = load_registry(settings.process_dirs)
    ctx = ctx_for(v2, date(2026, 3, 20))
    with Session(db) as s:
        new = svc.open_case(s, ctx, "local_conflict", "AK", person="C",
                            dates={"notified": date(2026, 3, 20)})
        s.commit()
        assert stages(s, new)["forward"][0] == date(2026, 4, 1)   # 5 WD: 26, 27, 30, 31, 1
        old = s.get(Case, old_id)
        assert old.process_version == 1
        svc.replan(s, ctx, old)
        assert stages(s, old)["forward"][0] == date(2026, 3, 30)  # still 3 WD


# -- what still refuses, and closing a missed period ---------------------------------------------


def test_a_notice_dated_tomorrow_cannot_open_a_case(db, registry):
    world(db, registry, date(2026, 4, 8))
    before = dump_tables(db)
    with Session(db) as s, pytest.raises(RuleViolation) as err:
        svc.open_case(s, ctx_for(registry, date(2026, 4, 8)), "local_conflict", "AK",
                      person="A", dates={"notified": date(2026, 4, 9)})
    assert err.value.key == "rule.future_date"
    assert dump_tables(db) == before


def test_an_actual_start_after_the_actual_end_is_refused(db):
    case_id = _org_world(db, date(2026, 2, 2))
    ctx = svc.Context(CAL, load_definition(), date(2026, 4, 20), actor="test", language="en")
    with Session(db) as s:
        svc.record_event(s, ctx, case_id, "analysis_end", date(2026, 4, 3), {})
        s.commit()
    before = dump_tables(db)
    with Session(db) as s, pytest.raises(RuleViolation) as err:
        svc.record_event(s, ctx, case_id, "analysis_start", date(2026, 4, 15), {})
    assert err.value.key == "rule.date_ceiling"
    assert dump_tables(db) == before


@needs("monitoring")  # its reporting periods' stages
def test_a_missed_monitoring_report_is_closed_as_not_done_and_reopened_by_a_void(db):
    case_id = _org_world(db, date(2026, 2, 2))
    # calendar quarters (the I-8 setting): the 2nd quarter's report is a period of its own
    ctx = svc.Context(CAL, load_definition(overrides={"monitoring_periods": "calendar"}),
                      date(2026, 8, 10), actor="test", language="en")
    with Session(db) as s:
        svc.record_event(s, ctx, case_id, "analytic_note", date(2026, 4, 20),
                         {"number": "1", "signed_by": "Head"})
        key = "monitoring_report:2026Q2"
        # the 2nd quarter's report is due by the 5th of July: Sun 5 July, Mon 6 July is a day
        # off (Capital Day), so Tue 7 July (I-1)
        assert stages(s, s.get(Case, case_id))[key][:2] == (date(2026, 7, 7), "open")
        svc.record_not_done(s, ctx, case_id, key, "The subdivisions sent nothing")
        s.commit()
        assert stages(s, s.get(Case, case_id))[key][1] == "not_done"
        svc.void_record(s, ctx, case_id, key, "It came after all")
        s.commit()
        assert stages(s, s.get(Case, case_id))[key][1] == "open"


def test_config_mistakes_are_refused_with_their_place(tmp_path, procedures):
    bad = tmp_path / "bad.toml"
    bad.write_text('[processes]\ndirs = ["procedures"]\n\n[obligations.local_coi_quarterly]\n'
                   'applies_to = ["ministry"]\n', encoding="utf-8")
    settings = load_settings(bad, env={})  # the folder of the `procedures` fixture
    with pytest.raises(ConfigError) as err:
        load_registry(settings.process_dirs, obligations=settings.obligations)
    assert "ministry" in err.value.message
    old = tmp_path / "old.toml"
    old.write_text('[process]\ndefinition = "internal_risk_analysis"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(old, env={})
    assert "[processes] dirs" in err.value.message


def test_bad_input_to_the_new_commands_is_one_line_and_changes_nothing(merzim_db, procedures,
                                                                      db):
    run = lambda *a: merzim_db(*a, today="2026-11-22", config=procedures)  # noqa: E731
    assert run("init").returncode == 0
    assert run("org", "add", "AK", "--name", "Akimat", "--kind", "akimat").returncode == 0
    before = dump_tables(db)
    for args, code, words in (
            (("process", "show", "no_such_process"), 4, "no_such_process"),
            (("case", "open", "no_such_process", "--subject", "AK"), 4, "no_such_process"),
            (("case", "open", "local_conflict", "--subject", "AK", "--person", "A",
              "--date", "notified"), 2, "KEY=VALUE"),
            (("case", "open", "local_conflict", "--subject", "AK", "--person", "A",
              "--date", "notified=2026-13-01"), 2, "2026-13-01"),
            (("case", "open", "local_conflict", "--subject", "AK", "--person", "A",
              "--date", "notified=2026-11-20", "--field", "x=1"), 2, "x"),
            (("case", "list", "--process", "no_such_process"), 4, "no_such_process"),
            (("obligations", "sync", "--through", "2026-01-01"), 2, "2026-01-01"),
            (("obligations", "list", "--org", "AK", "--year", "abc"), 2, "abc"),
            (("obligations", "list", "--org", "NOPE", "--year", "2026"), 4, "NOPE"),
            (("void", "99", "order", "--note", "x"), 4, "99"),
            (("record", "99", "order", "--not-done", "--note", "x"), 4, "99")):
        r = run(*args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert words in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    assert dump_tables(db) == before
