"""An office that adopts merzim mid-year opens the year so far in one step: `merzim obligations
sync --from DATE --org CODE` opens, for the organisation and those under it, the case of every
recurring obligation for every period due on or after DATE (each with its own period's due
dates), once: a second run opens nothing. Facts recorded for those periods count in the score.
The stages due before the day it joined are "before joining -- to confirm" (B-25): no overdue
reminder, escalation or notice for them until the days to confirm have passed; then they are
ordinary, escalations counted from the back-fill day. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from notifications.policy import ESCALATION, OVERDUE
from tests.support.cli_runner import dated_cli, init_with_orgs
from tests.support.databases import dump_tables
from tests.support.features import installed
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.i18n import Translator, date_text, period_name
from workflow.reminders import planner as reminders
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import Case, Organisation, User

JOINED = "2026-09-15"  # a Tuesday: the district joins, and is back-filled the same day
REGISTRY = load_registry()
CAL = KazakhstanCalendar()
DISTRICT = "AK-D9"

# The periods a district added on 15 September 2026 owes since 1 January 2026, per kind of
# period: every period from January up to the next one (the sync's current and next), and last
# year's yearly items whose due date falls in 2026 (the national report input, due 15 April, and
# the report on the law's observance, due 31 January).
EXPECTED = {
    "month": [f"2026M{m:02d}" for m in range(1, 11)],
    "quarter": ["2026Q1", "2026Q2", "2026Q3", "2026Q4"],
    "half_year": ["2026H1", "2026H2", "2027H1"],
    "year": ["2026", "2027"],
}
LAST_YEARS = {"national_report_input", "law_compliance_report"}


def _owed() -> dict[str, list[str]]:
    """Every (obligation -> periods) a district akimat owes since 1 January, from the
    definitions: the enabled recurring ones applying to district akimats."""
    out = {}
    for d in REGISTRY.recurring():
        if "district_akimat" in d.recurrence.applies_to:
            periods = list(EXPECTED[d.recurrence.period])
            if d.key in LAST_YEARS:
                periods.insert(0, "2025")
            out[d.key] = periods
    return out


@pytest.fixture
def cli(merzim_db):
    init_with_orgs(merzim_db, (("AK", "AK", "akimat", None),
                               ("AK-D1", "AK-D1", "district_akimat", "AK")))
    return dated_cli(merzim_db, JOINED)


def cases_of(db, org: str) -> list[tuple[str, str]]:
    with Session(db) as s:
        return sorted(s.exec(select(Case.process, Case.period).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == org, Case.period.is_not(None))).all())


def test_the_year_so_far_is_opened_once_and_counts(cli, db):
    cli.ok("obligations", "sync", today="2026-05-04")  # the region, since May
    code, _out, err = cli("org", "add", DISTRICT, "--name", "District nine", "--kind",
                          "district_akimat", "--parent", "AK")
    assert code == 0, err
    region_before = cases_of(db, "AK")
    other_before = cases_of(db, "AK-D1")
    done = cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT)
    owed = _owed()
    assert sorted(cases_of(db, DISTRICT)) == sorted(
        (key, p) for key, periods in owed.items() for p in periods)
    # per kind of period: every period since January exactly once
    kind_of = {d.key: d.recurrence.period for d in REGISTRY.recurring()}
    per_kind = Counter(kind_of[p] for p, _period in cases_of(db, DISTRICT))
    monthly = sum(1 for k in owed if kind_of[k] == "month")
    assert monthly == 2 and per_kind["month"] == 10 * monthly
    assert per_kind["quarter"] == 4 * sum(1 for k in owed if kind_of[k] == "quarter")
    assert per_kind["half_year"] == 3 * sum(1 for k in owed if kind_of[k] == "half_year")
    assert per_kind["year"] == 2 * sum(1 for k in owed if kind_of[k] == "year") + 2
    assert len(done["opened"]) == len(cases_of(db, DISTRICT))
    assert {o["org"] for o in done["opened"]} == {DISTRICT}
    # nothing else: the region and the other district keep what they had
    assert cases_of(db, "AK") == region_before and cases_of(db, "AK-D1") == other_before
    # each with its own period's due date, as the definition and the calendar say
    due = {(o["process"], o["period"]): o["due"] for o in done["opened"]}
    assert due[("ethics_explanatory_event", "2026M02")] == "2026-02-27"  # 28th: a Saturday
    assert due[("akim_commission_meeting", "2026Q1")] == "2026-03-31"
    assert due[("national_report_input", "2025")] == "2026-04-15"
    per_period = {(r["process"], r["period"]): r["orgs"] for r in done["per_period"]}
    assert per_period[("coi_training", "2026H1")] == [DISTRICT]
    # a second run opens nothing and changes nothing
    before = dump_tables(db)
    again = cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT)
    assert again["opened"] == [] and dump_tables(db) == before
    code, out, _err = cli("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT,
                          lang="ru")
    ru = Translator("ru")  # and says when it joined
    assert code == 0 and out.strip().splitlines() == [
        ru("backfill.cli_none"), ru("backfill.joined_already", org=DISTRICT,
                                    day=date_text(date.fromisoformat(JOINED), "ru"))]
    # facts recorded for those periods count: the district's meetings of the first two
    # quarters (4.1.1 of the region), March's explanatory events (4.2.3 of the district)
    ids = {(o["process"], o["period"]): o["id"] for o in done["opened"]}
    before_411 = _indicator(cli, "AK", "4.1.1")
    before_423 = _indicator(cli, DISTRICT, "4.2.3")
    for label, day in (("2026Q1", "2026-03-10"), ("2026Q2", "2026-06-09")):
        cli.ok("record", str(ids[("akim_commission_meeting", label)]), "meeting_held",
               "--date", day)
    for day in ("2026-03-05", "2026-03-12", "2026-03-19"):
        cli.ok("record", str(ids[("ethics_explanatory_event", "2026M03")]), "event_held",
               "--date", day, "--evidence", "topic=Ethics", "--evidence", "audience=20",
               "--evidence", "commissioner=A. B.")
    after_411 = _indicator(cli, "AK", "4.1.1")
    after_423 = _indicator(cli, DISTRICT, "4.2.3")
    # the district met in both quarters past: no longer one that missed a quarter
    assert (before_411["inputs"]["units"], before_411["inputs"]["missed"]) == (2, 2)
    assert (after_411["inputs"]["units"], after_411["inputs"]["missed"]) == (2, 1)
    assert after_423["points"] == before_423["points"] + 6  # min(10, 2 x 3 events)


def _indicator(cli, org: str, key: str) -> dict:
    card = cli.ok("score", org, "--year", "2026")
    return next(i for i in card["indicators"] if i["key"] == key)


def test_the_cli_prints_what_it_opened_per_obligation_and_period(cli):
    code, out, err = cli("obligations", "sync", "--from", "2026-08-01", "--org", "AK-D1",
                         today="2026-09-15", lang="ru")
    assert code == 0, err
    t = Translator("ru")
    n = sum(len(v) for v in _owed_since_august().values())
    assert out.splitlines()[0] == t("backfill.cli_opened_since", n=n, since="01.08.2026")
    # periods by name in the reader's language, never their keys
    assert period_name("2026M08", "ru") in out and period_name("2026Q3", "ru") in out
    assert "2026M08" not in out and "AK-D1" in out
    name = REGISTRY.get("ethics_explanatory_event").names["ru"]
    assert name.split()[0] in out


def _owed_since_august() -> dict[str, list[str]]:
    out = {}
    for d in REGISTRY.recurring():
        if "district_akimat" in d.recurrence.applies_to:
            out[d.key] = {"month": ["2026M08", "2026M09", "2026M10"],
                          "quarter": ["2026Q3", "2026Q4"], "half_year": ["2026H2", "2027H1"],
                          "year": ["2026", "2027"]}[d.recurrence.period]
    return out


def test_refusals_change_nothing(cli, db):
    before = dump_tables(db)
    for args, exit_code, message in (
            (("--from", "2026-10-01"), 2, Translator("en")(
                "error.backfill_from_future", since="2026-10-01", today=JOINED)),
            (("--from", "2026-13-01"), 2, None),
            (("--from", "2001-01-01"), 2, None),
            (("--from", "2026-01-01", "--org", "NOPE"), 4, None)):
        code, out, err = cli("obligations", "sync", *args)
        assert (code, out) == (exit_code, ""), (args, code, out, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        if message is not None:
            assert err.strip() == message
        assert dump_tables(db) == before, args


def _notify(tmp_path: Path):
    cfg = tmp_path / "merzim.toml"
    cfg.write_text('[reminders]\nchannels = ["email"]\n', encoding="utf-8")
    return load_notify_settings(load_settings(path=cfg, env={}), env={}, require_secrets=False)


def test_no_overdue_reminder_before_the_days_to_confirm_have_passed(cli, db, tmp_path):
    """B-25: the back-filled stages due before the day the district joined are to confirm,
    not overdue: no overdue reminder to the officer, no escalation to the manager, no notice,
    for `joining_confirm_days` working days after joining; then ordinary, with their true
    lateness, escalations counted from the back-fill day."""
    code, _out, err = cli("org", "add", DISTRICT, "--name", "District nine", "--kind",
                          "district_akimat", "--parent", "AK")
    assert code == 0, err
    for login, role in (("officer9", "officer"), ("manager9", "manager")):
        code, _out, err = cli("user", "add", login, "--name", login, "--role", role, "--org",
                              DISTRICT, "--email", f"{login}@example.kz")
        assert code == 0, err
    cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT)
    ns = _notify(tmp_path)
    ordinary_again = CAL.add_working_days(date.fromisoformat(JOINED), 20)

    def digests(day: date):
        ctx = svc.Context(CAL, REGISTRY, day, actor="worker", language="en")
        with Session(db) as s:
            return {d.recipient.name: d for d in reminders.preview(s, ctx, ns)}

    for day in (date(2026, 9, 15), date(2026, 9, 16), ordinary_again - timedelta(days=1)):
        digest = digests(day)
        late = [ln for ln in (digest["officer9"].lines if "officer9" in digest else ())
                if ln.kind == OVERDUE and ln.item.due < date.fromisoformat(JOINED)]
        assert late == [], day
        assert "manager9" not in digest or not [
            ln for ln in digest["manager9"].lines
            if ln.kind == ESCALATION and ln.item.due < date.fromisoformat(JOINED)], day
    # once the days to confirm have passed, what is still open is overdue, by its true
    # lateness; the manager hears of it (escalate_after = 1, counted from the back-fill day)
    later = digests(ordinary_again)
    overdue = [ln for ln in later["officer9"].lines if ln.kind == OVERDUE]
    assert any(ln.item.period == "2026M01" for ln in overdue)
    assert max(ln.working_days for ln in overdue) > 100
    escalated = [ln for ln in later["manager9"].lines if ln.kind == ESCALATION]
    assert any(ln.item.period == "2026M01" for ln in escalated)
    # the manager's notification centre lists his escalations as his digest has them
    if not installed("notices"):
        return
    from workflow.notices import service as notices
    from workflow.notices.rules import ESCALATED
    from workflow.notices.rules import OVERDUE as OVERDUE_NOTICE

    with Session(db) as s:
        manager = s.exec(select(User).where(User.login == "manager9")).one()
        officer = s.exec(select(User).where(User.login == "officer9")).one()
        by_period = dict(s.exec(select(Case.id, Case.period)).all())

        def centre(who: User, day: date, kind: str) -> set[str]:
            ctx = svc.Context(CAL, REGISTRY, day, actor="worker", language="en")
            return {by_period[i.case] for i in notices.items(s, ctx, who, ns.policy.before,
                                                                ns.policy)
                    if i.kind == kind}

        assert centre(manager, date(2026, 9, 16), ESCALATED) == set()
        assert "2026M01" not in centre(officer, date(2026, 9, 16), OVERDUE_NOTICE)
        assert "2026M01" in centre(manager, ordinary_again, ESCALATED)
        assert "2026M01" in centre(officer, ordinary_again, OVERDUE_NOTICE)
