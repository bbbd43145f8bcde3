"""A case opened by mistake is withdrawn, and a second case of the same is confirmed with a
reason, on SQLite and PostgreSQL, through the service, the command line,
the web and the API.

Withdrawn: the case leaves the overdue and due lists, "My work", the reminders, the case list,
the search and the scorecard; it stays with its records and history, and the audit chain keeps
the withdrawal. Refusals (unknown case, empty reason, already withdrawn, no right) leave every
table as it was (the web's and the API's add their audit record of the refusal only).
"""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from sqlmodel import select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.cli_runner import wide_cli
from tests.support.databases import dump_tables, refused_unchanged
from tests.support.features import module_of, needs
from tests.support.web_helpers import Web, csrf_of, en, refusal_of
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.definitions import load_registry
from workflow.i18n import LANGUAGES, Translator
from workflow.reminders import planner
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import AuditRecord, Case, Stage

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 2, 2)  # a Monday
NOTICE = date(2026, 1, 5)  # the notice: forwarding due 3 working days later, long overdue
COI = "conflict_of_interest"
REASON = "opened by mistake"


def ctx_of(today: date = TODAY, actor: str = "test"):
    return svc.Context(CAL, REGISTRY, today, actor=actor, language="en")


def setup(s, ctx) -> dict[str, int]:
    svc.add_org(s, ctx, "AK", "Akimat", "akimat")
    svc.add_org(s, ctx, "AK-EDU", "Education Department", "department", "AK")
    svc.add_user(s, ctx, "asel", "Asel", "officer", "AK-EDU")
    coi = svc.open_case(s, ctx, COI, "AK-EDU", person="Erlan Sadykov",
                        dates={"notified": NOTICE}).id
    other = svc.open_case(s, ctx, COI, "AK-EDU", person="Dana Omarova",
                          dates={"notified": NOTICE}).id
    return {"coi": coi, "other": other}


@pytest.fixture
def ids(db) -> dict[str, int]:
    return commit(db, lambda s: setup(s, ctx_of()))



def overdue_cases(db) -> set[int]:
    with open_session(db) as s:
        return {r.case for r in svc.overdue(s, ctx_of(), "AK")}


# -- the service ---------------------------------------------------------------------------------


def test_a_withdrawn_case_leaves_every_list_and_keeps_its_history(db, ids):
    ctx = ctx_of(actor="cli:operator")
    assert overdue_cases(db) == {ids["coi"], ids["other"]}
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["coi"], f"  {REASON} "))
    assert overdue_cases(db) == {ids["other"]}
    with open_session(db) as s:
        case = s.get(Case, ids["coi"])
        assert (case.withdrawn_by, case.withdrawn_reason) == ("cli:operator", REASON)
        assert case.withdrawn_at is not None
        # its stages stay, none open: no list, reminder, digest or feed reads it
        stages = {st.key: st.status for st in s.exec(select(Stage).where(
            Stage.case_id == ids["coi"]))}
        assert stages == {"forward": "not_applicable", "recommendation": "not_applicable",
                          "measures": "not_applicable"}  # (the transfer: dormant, no row)
        assert {i.analysis_id for i in planner.open_items(s, ctx, date(2026, 12, 31))} \
            == {ids["other"]}
        assert [c.id for c in svc.list_cases(s, ctx, COI)] == [ids["other"]]
        # the other notice's forwarding and (projected from it) recommendation
        assert svc.count_overdue(s, ctx, "AK") == len(svc.overdue(s, ctx, "AK")) == 2
        user = svc.get_user(s, "asel")
        work = svc.my_work(s, ctx, user.id, unassigned_of=user.organisation_id)
        assert {r.case for r in work.overdue} == {ids["other"]}
        # still there, marked, with its history and the audit record
        view = svc.case_view(s, ctx, case)
        assert view.withdrawn is not None
        assert view.withdrawn.as_dict() == {"at": case.withdrawn_at, "by": "cli:operator",
                                            "reason": REASON}
        history = svc.case_history(s, ctx, case)
        assert [h["kind"] for h in history] == ["opened", "withdrawn"]
        assert history[-1] | {"at": None} == {"kind": "withdrawn", "at": None,
                                              "action": "case.withdraw",
                                              "actor": "cli:operator", "note": REASON}
        record = s.exec(select(AuditRecord).where(AuditRecord.action == "case.withdraw")).one()
        assert (record.actor, record.entity_id) == ("cli:operator", str(ids["coi"]))
        assert json.loads(record.payload) == {
            "reason": REASON, "process": COI, "state": "notified",
            "stages_closed": ["forward", "measures", "recommendation"]}
        assert audit.verify(s).ok


def test_a_withdrawn_case_is_never_replanned_nor_recorded_on(db, ids):
    ctx = ctx_of()
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["coi"], REASON))
    before = dump_tables(db)
    with open_session(db) as s:
        assert svc.replan(s, ctx, s.get(Case, ids["coi"])) == []
        assert all(m["case"] != ids["coi"] for m in svc.replan_all(s, ctx))
        s.commit()
    assert dump_tables(db)["stage"] == before["stage"]
    for work in (lambda s: svc.record_event(s, ctx, ids["coi"], "forwarded", TODAY),
                 lambda s: svc.record_not_done(s, ctx, ids["coi"], "forward", "late"),
                 lambda s: svc.void_record(s, ctx, ids["coi"], "1", "wrong")):
        refused = refused_unchanged(db, work)
        assert refused.key == "rule.case_withdrawn" and refused.exit_code == 3


def test_a_withdrawal_is_undone_within_its_year_reopened_and_replanned(db, ids):
    ctx = ctx_of(actor="cli:operator")
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["coi"], REASON))
    assert overdue_cases(db) == {ids["other"]}
    for work, error, key in (
            (lambda s: svc.restore_case(s, ctx, ids["coi"], "  "), UsageError,
             "error.reason_required"),
            (lambda s: svc.restore_case(s, ctx, ids["other"], "back"), RuleViolation,
             "rule.case_not_withdrawn"),
            (lambda s: svc.restore_case(s, ctx, 999, "back"), NotFound, "notfound.analysis")):
        assert refused_unchanged(db, work, error).key == key
    commit(db, lambda s: svc.restore_case(s, ctx, ids["coi"], "the notice was real"))
    assert overdue_cases(db) == {ids["coi"], ids["other"]}
    with open_session(db) as s:
        case = s.get(Case, ids["coi"])
        assert (case.withdrawn_at, case.withdrawn_by, case.withdrawn_reason) == (None,) * 3
        stages = {st.key: st.status for st in s.exec(select(Stage).where(
            Stage.case_id == ids["coi"]))}
        assert stages == {"forward": "open", "recommendation": "open", "measures": "open"}
        history = svc.case_history(s, ctx, case)
        assert [h["kind"] for h in history] == ["opened", "withdrawn", "restored"]
        assert (history[1]["note"], history[2]["note"]) == (REASON, "the notice was real")
        record = s.exec(select(AuditRecord).where(AuditRecord.action == "case.restore")).one()
        payload = json.loads(record.payload)
        assert payload["withdrawal"]["reason"] == REASON
        assert payload["stages_opened"] == ["forward", "measures", "recommendation"]
        assert audit.verify(s).ok
    # restored, it takes records again
    commit(db, lambda s: svc.record_event(s, ctx, ids["coi"], "forwarded", TODAY))
    assert overdue_cases(db) == {ids["other"]}  # forwarded today: nothing of it overdue


def test_a_withdrawal_of_an_earlier_year_is_not_undone(db, ids):
    commit(db, lambda s: svc.withdraw_case(s, ctx_of(), ids["coi"], REASON))
    with open_session(db) as s:
        year = int(s.get(Case, ids["coi"]).withdrawn_at[:4])
    later = ctx_of(date(year + 1, 1, 5))
    refused = refused_unchanged(db, lambda s: svc.restore_case(s, later, ids["coi"], "back"))
    assert (refused.key, refused.params["year"]) == ("rule.restore_year_over", year)
    assert f"31 December {year}" in refused.render(Translator("en"))
    assert f"{year} жылғы 31 желтоқсанға" in refused.render(Translator("kk"))
    assert f"до 31 декабря {year}" in refused.render(Translator("ru"))
    # on the year's last day it still is
    commit(db, lambda s: svc.restore_case(s, ctx_of(date(year, 12, 31)), ids["coi"], "back"))


def test_refusals_change_nothing_and_read_in_every_language(db, ids):
    ctx = ctx_of()
    missing = refused_unchanged(db, lambda s: svc.withdraw_case(s, ctx, 999, REASON), NotFound)
    assert missing.key == "notfound.analysis"
    for reason in ("", "   ", None):
        empty = refused_unchanged(db, lambda s, r=reason: svc.withdraw_case(
            s, ctx, ids["coi"], r), UsageError)
        assert empty.key == "error.reason_required" and empty.exit_code == 2
    long = refused_unchanged(db, lambda s: svc.withdraw_case(s, ctx, ids["coi"], "ж" * 501),
                             UsageError)
    assert long.key == "error.too_long"
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["coi"], REASON))
    again = refused_unchanged(db, lambda s: svc.withdraw_case(s, ctx, ids["coi"], "twice"))
    assert again.key == "rule.case_withdrawn"
    assert again.params == {"id": ids["coi"], "on": again.params["on"]}
    texts = {lang: again.render(Translator(lang)) for lang in LANGUAGES}
    assert texts["en"].startswith(f"Case #{ids['coi']} was withdrawn on ")
    assert len(set(texts.values())) == 3 and all("{" not in t for t in texts.values())


@needs("scorecard")
def test_a_withdrawn_analysis_leaves_the_score(db):
    from workflow.scorecard import service as scoring
    from workflow.scorecard.rules import ScoreSettings

    ctx = ctx_of()

    def build(s):
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education Department", "department", "AK")
        planning_svc = module_of("planning", "service")  # it plans the analysis
        return planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", date(2026, 1, 5)).analysis.id

    analysis = commit(db, build)

    def analysed(s) -> list[int]:
        [(_org, facts)] = scoring.subject_facts(s, ctx, svc.get_org(s, "AK-EDU"), 2026,
                                                ScoreSettings())
        return [a.id for a in facts.analyses]

    with open_session(db) as s:
        assert analysed(s) == [analysis]
    commit(db, lambda s: svc.withdraw_case(s, ctx, analysis, REASON))
    with open_session(db) as s:
        assert analysed(s) == []
        assert svc.programme_cases(s, svc.find_programme(s, s.get(Case, analysis)
                                                         .programme_id)) == []


def test_the_migration_adds_the_columns_empty_and_is_undone_with_the_data_intact(db, ids):
    """Down to the revision before this one and up again (SQLite batch mode and PostgreSQL):
    the cases stay, standing (NULL), and a withdrawal works after it."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    from workflow.storage.db import alembic_config, upgrade

    config = alembic_config(db)
    mine = next(r for r in ScriptDirectory.from_config(config).walk_revisions()
                if r.path.endswith("_case_withdrawal.py"))
    command.downgrade(config, mine.down_revision)
    columns = {c["name"] for c in inspect(db).get_columns("process_case")}
    assert not columns & {"withdrawn_at", "withdrawn_by", "withdrawn_reason"}
    with db.connect() as conn:
        assert conn.execute(text("SELECT id FROM process_case ORDER BY id")).scalars().all() \
            == [ids["coi"], ids["other"]]
    upgrade(db)
    with db.connect() as conn:
        assert conn.execute(text(
            "SELECT id, withdrawn_at, withdrawn_by, withdrawn_reason FROM process_case "
            "ORDER BY id")).all() == [(ids["coi"], None, None, None),
                                      (ids["other"], None, None, None)]
    commit(db, lambda s: svc.withdraw_case(s, ctx_of(), ids["coi"], REASON))
    assert overdue_cases(db) == {ids["other"]}


# -- a second case of the same -------------------------------------------------------------------


def test_a_second_notice_of_the_same_person_and_date_is_refused_naming_the_first(db, ids):
    ctx = ctx_of()
    for person in ("Erlan Sadykov", "  erlan   SADYKOV "):
        refused = refused_unchanged(db, lambda s, p=person: svc.open_checked(
            s, ctx, COI, "AK-EDU", person=p, dates={"notified": NOTICE}))
        assert refused.key == "rule.duplicate_case"
        assert refused.params == {"id": ids["coi"], "process": COI, "subject": "AK-EDU"}
    shown = refused.render(Translator("en"))
    assert shown.startswith(f"Case #{ids['coi']} of AK-EDU already has this process")
    # another date or another person is no duplicate
    for person, day in (("Erlan Sadykov", date(2026, 1, 6)), ("Aibek Sadykov", NOTICE)):
        opened = commit(db, lambda s, p=person, d=day: svc.open_checked(
            s, ctx, COI, "AK-EDU", person=p, dates={"notified": d}))
        assert opened.warnings == []


def test_confirmed_with_a_reason_it_opens_with_a_warning_and_is_audited(db, ids):
    ctx = ctx_of()
    opened = commit(db, lambda s: svc.open_checked(
        s, ctx, COI, "AK-EDU", person="Erlan Sadykov", dates={"notified": NOTICE},
        duplicate_reason="A second notice of another conflict"))
    assert opened.warnings == [{"code": "duplicate_case_confirmed",
                                "duplicate_of": [ids["coi"]],
                                "reason": "A second notice of another conflict"}]
    with open_session(db) as s:
        payload = json.loads(s.exec(select(AuditRecord).where(
            AuditRecord.action == "case.open").order_by(AuditRecord.id.desc())).first().payload)
    assert (payload["duplicate_of"], payload["duplicate_reason"]) == (
        [ids["coi"]], "A second notice of another conflict")
    # a bad reason is refused; a withdrawn case is no duplicate
    bad = refused_unchanged(db, lambda s: svc.open_checked(
        s, ctx, COI, "AK-EDU", person="Dana Omarova", dates={"notified": NOTICE},
        duplicate_reason="  "), UsageError)
    assert bad.key == "error.bad_duplicate_reason"
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["other"], REASON))
    again = commit(db, lambda s: svc.open_checked(
        s, ctx, COI, "AK-EDU", person="Dana Omarova", dates={"notified": NOTICE}))
    assert again.warnings == []


@needs("scorecard")  # (the breach's kind and counting year: the scorecard's register tables)
def test_other_details_do_not_make_another_fact(db, ids):
    """Two gifts of one person in one year, one found independently and one not, typed on
    other days: the second repeats the first (B-23: organisation, person, kind and counting
    year) and needs a reason; the same entry again is a repeat."""
    ctx = ctx_of()

    def gift(independent: str, day: date = date(2026, 1, 20), reason: str | None = None):
        return lambda s: svc.open_checked(
            s, ctx, "restriction_breach", "AK-EDU", person="Recipient",
            fields={"kind": "reward_or_gift", "detected_independently": independent},
            dates={"detected": day}, duplicate_reason=reason)

    first = commit(db, gift("yes"))
    refused = refused_unchanged(db, gift("no", date(2026, 1, 5)))
    assert (refused.key, refused.params["id"]) == ("rule.duplicate_case", first.analysis.id)
    second = commit(db, gift("no", date(2026, 1, 5), "another gift, in early January"))
    assert second.warnings[0]["duplicate_of"] == [first.analysis.id]
    refused = refused_unchanged(db, gift("yes"))
    assert (refused.key, refused.params["id"]) == ("rule.duplicate_case", first.analysis.id)


def test_an_entry_with_no_date_is_never_a_repeat(db, ids):
    """A register entry names no date (the policy approved this year): a second one of the
    same subject (a quasi-state entity: the register applies to those) is no duplicate."""
    ctx = ctx_of()
    commit(db, lambda s: svc.add_org(s, ctx, "AK-QS", "City company", "quasi_state", "AK"))
    first = commit(db, lambda s: svc.open_checked(s, ctx, "anticorruption_policy", "AK-QS"))
    second = commit(db, lambda s: svc.open_checked(s, ctx, "anticorruption_policy", "AK-QS"))
    assert first.warnings == second.warnings == []
    assert second.analysis.id == first.analysis.id + 1


def test_a_withdrawn_case_takes_no_file(db, ids, tmp_path):
    import io

    from workflow.services import files as files_service
    from workflow.settings import FilesSettings
    from workflow.storage.filestore import FileStore

    ctx = ctx_of()
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["coi"], REASON))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    refused = refused_unchanged(db, lambda s: files_service.attach_files(
        s, ctx, FileStore(tmp_path / "files"), FilesSettings(), ids["coi"],
        [files_service.Upload("order.pdf", io.BytesIO(pdf))]))
    assert refused.key == "rule.case_withdrawn"


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli(db, db_url, tmp_path):
    return wide_cli(db_url, tmp_path, TODAY)


def test_cli_withdraw_removes_the_case_from_overdue_json_and_shows_it_in_its_history(
        db, ids, cli):
    code, out, _err = cli("overdue", "--json")
    assert code == 0 and {r["case"] for r in json.loads(out)["overdue"]} == {ids["coi"], ids["other"]}
    before = dump_tables(db)
    for args, want in (((str(ids["coi"]), "--reason", "  "), 2), (("999", "--reason", "x"), 4)):
        code, out, err = cli("case", "withdraw", *args)
        assert code == want and out == "" and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
    assert dump_tables(db) == before
    code, out, _err = cli("case", "withdraw", str(ids["coi"]), "--reason", REASON)
    assert code == 0 and out.strip() == en("withdraw.saved", id=ids["coi"])
    code, out, _err = cli("overdue", "--json")
    assert {r["case"] for r in json.loads(out)["overdue"]} == {ids["other"]}
    code, out, _err = cli("case", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [ids["other"]]
    code, out, err = cli("case", "withdraw", str(ids["coi"]), "--reason", "again", lang="ru")
    assert code == 3 and f"Дело №{ids['coi']} отозвано" in err
    code, out, _err = cli("case", "history", str(ids["coi"]), "--json")
    history = json.loads(out)
    assert [h["kind"] for h in history] == ["opened", "withdrawn"]
    assert history[-1]["actor"].startswith("cli:") and history[-1]["note"] == REASON
    code, out, _err = cli("case", "history", str(ids["coi"]))
    assert code == 0 and "Case withdrawn — Reason: opened by mistake" in out
    code, out, _err = cli("status", str(ids["coi"]))
    assert code == 0 and "Withdrawn on " in out and "Reason: opened by mistake" in out


# -- the web and the API --------------------------------------------------------------------------


@pytest.fixture
def cw(web) -> Web:
    """The `web` fixture's application with every shipped process (the notices too)."""
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, REGISTRY)
    return web


def _open_notice(web: Web, browser, person: str, notified: date, reason: str = ""):
    page = browser.get(f"/cases/new/{COI}")
    data = {"csrf": csrf_of(page.text), "person": person,
            "date_notified": notified.isoformat()}
    if reason:
        data["duplicate_reason"] = reason
    return browser.post(f"/cases/new/{COI}", data=data)


def test_web_warns_before_a_second_notice_and_withdraws_with_a_confirmation(cw):
    asel = cw.browser("asel")
    notified = date(2025, 10, 1)
    first = _open_notice(cw, asel, "Gulnar Abenova", notified)
    assert first.status_code == 303
    case_id = int(first.headers["location"].rsplit("/", 1)[1])
    before = cw.dump()
    second = _open_notice(cw, asel, "Gulnar Abenova", notified)
    assert second.status_code == 409 and cw.dump() == before
    assert f'href="/cases/{case_id}" data-testid="duplicate-link"' in second.text
    assert en("web.duplicate_case_open", id=case_id) in second.text
    # the overdue list has it; a withdrawal is confirmed on a page of its own first
    assert f"/cases/{case_id}" in asel.get("/overdue").text
    page = asel.get(f"/cases/{case_id}")
    assert 'data-testid="withdraw-form"' in page.text
    csrf = csrf_of(page.text)
    empty = asel.post(f"/cases/{case_id}/withdraw", data={"csrf": csrf, "reason": " "})
    assert empty.status_code == 422 and refusal_of(empty.text) == en("error.reason_required")
    assert cw.dump() == before
    confirm = asel.post(f"/cases/{case_id}/withdraw", data={"csrf": csrf, "reason": REASON})
    assert confirm.status_code == 200 and 'data-testid="confirm"' in confirm.text
    assert cw.dump() == before
    done = asel.post(f"/cases/{case_id}/withdraw",
                     data={"csrf": csrf, "reason": REASON, "confirm": "yes"})
    assert done.status_code == 303
    page = asel.get(f"/cases/{case_id}")
    assert en("withdraw.saved", id=case_id) in html.unescape(page.text)
    assert 'data-testid="withdrawn"' in page.text and 'data-testid="withdraw-form"' not in page.text
    assert 'data-testid="record-form"' not in page.text
    rows = re.findall(r'<tr data-kind="([a-z_]+)"', page.text)
    assert rows == ["opened", "withdrawn"]
    assert en("history.reason", reason=REASON) in html.unescape(page.text)
    assert f"/cases/{case_id}" not in asel.get("/overdue").text
    assert f'href="/cases/{case_id}"' not in asel.get("/work").text
    # a second withdrawal is refused, nothing changed
    after = cw.dump()
    again = asel.post(f"/cases/{case_id}/withdraw",
                      data={"csrf": csrf, "reason": REASON, "confirm": "yes"})
    assert again.status_code == 409 and cw.dump() == after


def test_web_and_api_refuse_who_may_not_record_on_the_case(cw):
    asel = cw.browser("asel")
    opened = _open_notice(cw, asel, "Serik Tokayev", date(2025, 10, 1))
    case_id = int(opened.headers["location"].rsplit("/", 1)[1])
    manager = cw.browser("nurlan")  # sees the case, records nothing
    api_manager, api_other = cw.api("nurlan"), cw.api("marat")  # (their tokens stored now)
    before = cw.dump()
    page = manager.get(f"/cases/{case_id}")
    assert page.status_code == 200 and 'data-testid="withdraw-form"' not in page.text
    refused = manager.post(f"/cases/{case_id}/withdraw",
                           data={"csrf": csrf_of(page.text), "reason": REASON, "confirm": "yes"})
    assert refused.status_code == 409 and cw.dump() == before
    assert api_manager.post(f"/api/v1/cases/{case_id}/withdraw",
                            json={"reason": REASON}).status_code == 409
    hidden = api_other.post(f"/api/v1/cases/{case_id}/withdraw", json={"reason": REASON})
    assert hidden.status_code == 404 and cw.dump() == before


def test_api_withdraws_and_refuses_a_second_time_and_a_second_case(cw):
    api = cw.api("asel")
    body = {"process": COI, "subject": "AK-ALM-EDU", "person": "Aliya Nurova",
            "dates": {"notified": "2025-10-01"}}
    first = api.post("/api/v1/cases", json=body)
    assert first.status_code == 200, first.text
    case_id = first.json()["id"]
    duplicate = api.post("/api/v1/cases", json=body)
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "rule.duplicate_case"
    assert duplicate.json()["message"].startswith(f"Case #{case_id} of AK-ALM-EDU")
    empty = api.post(f"/api/v1/cases/{case_id}/withdraw", json={"reason": ""})
    assert empty.status_code == 422
    done = api.post(f"/api/v1/cases/{case_id}/withdraw", json={"reason": REASON})
    assert done.status_code == 200
    view = done.json()
    assert view["withdrawn"]["by"] == "web:asel" and view["withdrawn"]["reason"] == REASON
    kinds = [h["kind"] for h in view["history"]]  # the views and the refusal in it too
    assert [k for k in kinds if k not in ("viewed", "refused")] == ["opened", "withdrawn"]
    assert "refused" in kinds
    again = api.post(f"/api/v1/cases/{case_id}/withdraw", json={"reason": REASON})
    assert again.status_code == 409 and again.json()["error"] == "rule.case_withdrawn"
    assert case_id not in {r["case"] for r in api.get("/api/v1/overdue?limit=500")
                           .json()["items"]}
    # withdrawn, it no longer stands in the way of the same notice
    assert api.post("/api/v1/cases", json=body).status_code == 200
