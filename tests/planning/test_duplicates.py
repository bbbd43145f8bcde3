"""No duplicates (domain/internal-risk-analysis.md "No duplicates"): a second
analysis of the same subject and object whose planned period overlaps one that still counts is
refused with a message naming it, unless the officer confirms it with a reason, on SQLite and
PostgreSQL, one by one (service, CLI, web, API) and in a schedule import (a stored analysis or
an earlier row of the file), with the same outcome both ways.

Every refusal is checked to leave every table as it was (the web's refusals add their audit
record only). Periods are inclusive: an analysis starting on the day another ends overlaps it.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.support.bulk_helpers import another_database, commit, stored
from tests.support.cli_runner import wide_cli
from tests.support.databases import dump_tables, refused_unchanged
from tests.support.web_helpers import (
    DEFINITION,
    Web,
    en,
    refusal_of,
    wd,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.i18n import LANGUAGES, Translator
from workflow.planning import bulk as planning_bulk
from workflow.planning import service as planning_svc
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import AuditRecord, Case

TODAY = date(2026, 2, 2)  # a Monday
START, END = date(2026, 3, 2), date(2026, 4, 10)  # the stored analysis: Monday to Friday
REASON = "A second analysis ordered by the akim after the audit of 12.02.2026"


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def ctx(make_ctx):
    return make_ctx(TODAY, actor="cli:planner")


def setup(s, ctx) -> dict[str, int]:
    """An akimat with two departments (one with a school), their officers, and the stored
    analyses: education on itself (START..END) and health on itself, cancelled."""
    svc.add_org(s, ctx, "AK", "Akimat", "akimat")
    svc.add_org(s, ctx, "AK-EDU", "Education Department", "department", "AK")
    svc.add_org(s, ctx, "AK-EDU-SCH", "School No. 1", "department", "AK-EDU")
    svc.add_org(s, ctx, "AK-HLTH", "Health Department", "department", "AK")
    svc.add_user(s, ctx, "asel", "Asel", "officer", "AK-EDU")
    svc.add_user(s, ctx, "marat", "Marat", "officer", "AK-HLTH")
    edu = planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", START, END).analysis.id
    hlth = planning_svc.plan_analysis(s, ctx, "AK-HLTH", "AK-HLTH", START, END).analysis.id
    cancel = next(e.key for e in planning_svc.planned_definition(ctx).events.values() if e.terminal)
    svc.record_event(s, ctx, hlth, cancel, TODAY, {"note": "Object reorganised"})
    return {"edu": edu, "hlth": hlth}


@pytest.fixture
def ids(db, ctx) -> dict[str, int]:
    return commit(db, lambda s: setup(s, ctx))



def opened_payloads(db) -> list[dict]:
    with open_session(db) as s:
        return [json.loads(r.payload) for r in s.exec(
            select(AuditRecord).where(AuditRecord.action == "case.open")
            .order_by(AuditRecord.id))]


def count(db, table: str) -> int:
    with db.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


# -- one by one ---------------------------------------------------------------------------------

OVERLAPPING = [  # (start, end) of the new analysis; None: the default end (30 working days)
    (START, END),
    (END, date(2026, 5, 8)),  # starts on the day the stored one ends
    (date(2026, 2, 16), START),  # ends on the day the stored one starts
    (date(2026, 3, 16), date(2026, 3, 27)),  # inside it
    (date(2026, 2, 16), date(2026, 5, 8)),  # around it
    (date(2026, 2, 9), None),  # the default end falls inside it
]


def test_an_overlapping_analysis_of_the_same_subject_and_object_is_refused_naming_it(
        db, ctx, ids):
    for start, end in OVERLAPPING:
        refused = refused_unchanged(db, lambda s, start=start, end=end: planning_svc.plan_analysis(
            s, ctx, "AK-EDU", "AK-EDU", start, end))
        assert refused.key == "rule.duplicate_analysis", (start, end)
        assert refused.params == {"id": ids["edu"], "subject": "AK-EDU", "object": "AK-EDU",
                                  "start": START.isoformat(), "end": END.isoformat()}
        assert refused.exit_code == 3
    assert count(db, "process_case") == 2


def test_the_refusal_names_the_analysis_in_kazakh_russian_and_english(db, ctx, ids):
    refused = refused_unchanged(db, lambda s: planning_svc.plan_analysis(
        s, ctx, "AK-EDU", "AK-EDU", date(2026, 3, 16)))
    texts = {lang: refused.render(Translator(lang)) for lang in LANGUAGES}
    for lang, shown in texts.items():
        for part in (str(ids["edu"]), "AK-EDU", START.isoformat(), END.isoformat()):
            assert part in shown, (lang, part, shown)
        assert "{" not in shown and shown != refused.key, shown
    assert len(set(texts.values())) == len(LANGUAGES)
    assert texts["en"].startswith(f"Analysis #{ids['edu']} of AK-EDU on AK-EDU already covers")
    assert "Анализ №" in texts["ru"] and "талдауы" in texts["kk"]


def test_confirmed_with_a_reason_it_is_planned_with_a_warning_and_audited(db, ctx, ids):
    planned = commit(db, lambda s: planning_svc.plan_analysis(
        s, ctx, "AK-EDU", "AK-EDU", date(2026, 3, 16), date(2026, 3, 27),
        duplicate_reason=REASON))
    warning = {"code": "duplicate_confirmed", "duplicate_of": [ids["edu"]], "reason": REASON}
    assert warning in planned.warnings
    opened = opened_payloads(db)[-1]
    assert (opened["duplicate_of"], opened["duplicate_reason"]) == ([ids["edu"]], REASON)
    assert warning in opened["warnings"]
    # a third one overlapping both names both; refused without the reason, naming the first
    refused = refused_unchanged(db, lambda s: planning_svc.plan_analysis(
        s, ctx, "AK-EDU", "AK-EDU", date(2026, 3, 20), date(2026, 3, 25)))
    assert refused.params["id"] == ids["edu"]
    third = commit(db, lambda s: planning_svc.plan_analysis(
        s, ctx, "AK-EDU", "AK-EDU", date(2026, 3, 20), date(2026, 3, 25),
        duplicate_reason="Third"))
    assert {"code": "duplicate_confirmed", "duplicate_of": [ids["edu"], planned.analysis.id],
            "reason": "Third"} in third.warnings
    with open_session(db) as s:
        assert audit.verify(s).ok


def test_a_reason_must_be_1_to_500_characters(db, ctx, ids):
    for reason in ("", "   ", "ж" * 501):
        refused = refused_unchanged(db, lambda s, reason=reason: planning_svc.plan_analysis(
            s, ctx, "AK-EDU", "AK-EDU", START, END, duplicate_reason=reason), UsageError)
        assert refused.key == "error.bad_duplicate_reason" and refused.exit_code == 2
        assert "500" in refused.render(Translator("en"))
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", START, END,
                                                     duplicate_reason="ж" * 500))
    assert planned.warnings[-1]["code"] == "duplicate_confirmed"


def test_other_periods_objects_and_subjects_are_not_duplicates(db, ctx, ids):
    rows = [("AK-EDU", "AK-EDU", date(2026, 4, 13), None),  # the working day after its end
            ("AK-EDU", "AK-EDU", date(2026, 2, 9), date(2026, 2, 27)),  # ends before it
            ("AK-EDU", "AK-EDU-SCH", START, END),  # another object
            ("AK", "AK-EDU", START, END)]  # another subject
    for subject, obj, start, end in rows:
        planned = commit(db, lambda s, a=(subject, obj, start, end): planning_svc.plan_analysis(
            s, ctx, *a))
        assert not [w for w in planned.warnings if w["code"] == "duplicate_confirmed"]
        assert "duplicate_of" not in opened_payloads(db)[-1]
    assert count(db, "process_case") == 2 + len(rows)


def test_a_cancelled_analysis_is_no_duplicate(db, ctx, ids):
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-HLTH", "AK-HLTH", START, END))
    assert all(w["code"] != "duplicate_confirmed" for w in planned.warnings)
    assert "duplicate_of" not in opened_payloads(db)[-1]
    # ... but the analysis planned instead of it counts
    refused = refused_unchanged(db, lambda s: planning_svc.plan_analysis(
        s, ctx, "AK-HLTH", "AK-HLTH", date(2026, 3, 9)))
    assert refused.params["id"] == planned.analysis.id


def test_a_reason_without_a_duplicate_is_neither_stored_nor_mentioned(db, ctx, ids):
    planned = commit(db, lambda s: planning_svc.plan_analysis(
        s, ctx, "AK-EDU", "AK-EDU-SCH", START, END, duplicate_reason=REASON))
    assert all(w["code"] != "duplicate_confirmed" for w in planned.warnings)
    opened = opened_payloads(db)[-1]
    assert "duplicate_of" not in opened and "duplicate_reason" not in opened
    assert REASON not in json.dumps(opened, ensure_ascii=False)


@pytest.mark.slow
def test_the_generic_open_holds_an_analysis_to_the_rule_and_other_processes_not(
        db, ctx, ids):
    """`merzim case open`, the web's and the API's form open any process: an analysis opened
    that way is held to the same rule."""
    defn = planning_svc.planned_definition(ctx)
    process, (start_key, end_key) = defn.key, (
        defn.raw["planning"]["start"], defn.raw["planning"]["end"])
    refused = refused_unchanged(db, lambda s: svc.open_checked(
        s, ctx, process, "AK-EDU", "AK-EDU", dates={start_key: date(2026, 3, 16)}))
    assert refused.key == "rule.duplicate_analysis" and refused.params["id"] == ids["edu"]
    opened = commit(db, lambda s: svc.open_checked(
        s, ctx, process, "AK-EDU", "AK-EDU", dates={start_key: date(2026, 3, 16),
                                                   end_key: date(2026, 3, 20)},
        duplicate_reason=REASON))
    assert opened.warnings == [{"code": "duplicate_confirmed", "duplicate_of": [ids["edu"]],
                                "reason": REASON}]
    assert opened_payloads(db)[-1]["duplicate_of"] == [ids["edu"]]


# -- the schedule import --------------------------------------------------------------------------


def row(n, subject, obj, start, end=None, reason=None):
    return planning_bulk.AnalysisRow(n, subject, obj, start, end, duplicate_reason=reason)


def test_an_import_row_duplicating_a_stored_analysis_is_refused_and_nothing_stored(
        db, ctx, ids):
    rows = [row(2, "AK-EDU", "AK-EDU-SCH", START), row(3, "AK-EDU", "AK-EDU", END)]
    refused = refused_unchanged(db, lambda s: planning_bulk.plan_analyses(s, ctx, rows), svc.RowRefused)
    assert refused.row == 3 and refused.error.key == "rule.duplicate_analysis"
    assert refused.error.params["id"] == ids["edu"] and refused.exit_code == 3
    shown = refused.render(Translator("en"))
    assert shown.startswith("Row 3: Analysis #") and START.isoformat() in shown


def test_two_overlapping_rows_of_one_file_refuse_the_later_one(db, ctx, ids):
    rows = [row(2, "AK-EDU", "AK-EDU-SCH", date(2026, 5, 4), date(2026, 5, 29)),
            row(3, "AK-EDU", "AK-EDU", date(2026, 9, 1)),
            row(4, "AK-EDU", "AK-EDU-SCH", date(2026, 5, 29), date(2026, 6, 12))]
    refused = refused_unchanged(db, lambda s: planning_bulk.plan_analyses(s, ctx, rows), svc.RowRefused)
    assert refused.row == 4 and refused.error.key == "rule.duplicate_row"
    assert refused.error.params == {"row": 2, "subject": "AK-EDU", "object": "AK-EDU-SCH",
                                    "start": "2026-05-04", "end": "2026-05-29"}
    for lang in LANGUAGES:
        shown = refused.render(Translator(lang))
        assert "2026-05-04" in shown and "AK-EDU-SCH" in shown and "{" not in shown, shown


def test_rows_confirmed_in_the_duplicate_reason_column_are_planned_with_the_ids(db, ctx, ids):
    rows = [row(2, "AK-EDU", "AK-EDU", date(2026, 4, 13)),
            row(3, "AK-EDU", "AK-EDU", date(2026, 4, 20), date(2026, 4, 24), "Second"),
            row(4, "AK-EDU", "AK-EDU", date(2026, 4, 1), date(2026, 4, 22), "Third")]
    planned = commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, rows))
    first, second, third = (p.analysis.id for p in planned)
    dup = {p.row: [w for w in p.warnings if w["code"] == "duplicate_confirmed"] for p in planned}
    assert dup == {2: [], 3: [{"code": "duplicate_confirmed", "duplicate_of": [first],
                               "reason": "Second"}],
                   4: [{"code": "duplicate_confirmed",
                        "duplicate_of": [ids["edu"], first, second], "reason": "Third"}]}
    payloads = opened_payloads(db)[-3:]
    assert [p.get("duplicate_of") for p in payloads] == [None, [first], [ids["edu"], first,
                                                                         second]]
    assert [p.get("duplicate_reason") for p in payloads] == [None, "Second", "Third"]
    assert third > second > first
    with open_session(db) as s:
        assert audit.verify(s).ok


def test_an_import_stores_exactly_what_planning_its_rows_one_by_one_stores(
        db, db_url, ctx, ids, tmp_path):
    rows = [row(2, "AK-EDU", "AK-EDU", date(2026, 4, 13)),
            row(3, "AK-EDU", "AK-EDU", date(2026, 3, 16), date(2026, 3, 27), "R3"),
            row(4, "AK-EDU", "AK-EDU", date(2026, 4, 20), None, "R4"),
            row(5, "AK-EDU", "AK-EDU", date(2026, 3, 20), date(2026, 4, 30), "R5"),
            row(6, "AK-EDU", "AK-EDU-SCH", START),
            row(7, "AK-HLTH", "AK-HLTH", START),  # the cancelled one does not count
            row(8, "AK-HLTH", "AK-HLTH", date(2026, 3, 10), None, "R8"),
            row(9, "AK-EDU", "AK-EDU", date(2026, 9, 1), None, "no duplicate")]
    planned = commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, rows))
    with another_database(db_url, tmp_path) as other:
        assert commit(other, lambda s: setup(s, ctx)) == ids
        singles = commit(other, lambda s: [planning_svc.plan_analysis(
            s, ctx, r.subject, r.object, r.start, r.end, duplicate_reason=r.duplicate_reason)
            for r in rows])
        bulk, single = stored(db), stored(other)
    assert [p.analysis.id for p in planned] == [p.analysis.id for p in singles]
    assert [p.warnings for p in planned] == [p.warnings for p in singles]
    dup = [w["duplicate_of"] for p in planned for w in p.warnings
           if w["code"] == "duplicate_confirmed"]
    first = planned[0].analysis.id
    assert dup == [[ids["edu"]], [first], [ids["edu"], first, first + 1, first + 2],
                   [first + 5]]
    for part in ("cases", "stages", "programmes", "audit"):
        assert bulk[part] == single[part], part


def test_an_analysis_planned_meanwhile_refuses_the_row_it_duplicates(db, ctx, ids):
    """Phase 2 reads the analyses again under the lock: one planned by another writer between
    the phases refuses the row it duplicates, and nothing of the import is written."""
    rows = [row(2, "AK-EDU", "AK-EDU", date(2026, 9, 1))]
    with open_session(db) as s:
        checked = planning_bulk.check_analyses(s, ctx, rows)
        other = commit(db, lambda o: planning_svc.plan_analysis(o, ctx, "AK-EDU", "AK-EDU",
                                                       date(2026, 9, 7)).analysis.id)
        changed = dump_tables(db)
        with pytest.raises(svc.RowRefused) as refused:
            planning_bulk.write_analyses(s, ctx, checked)
        s.rollback()
    assert refused.value.error.key == "rule.duplicate_analysis"
    assert refused.value.error.params["id"] == other
    assert dump_tables(db) == changed


# -- the command line (in process) ----------------------------------------------------------------


@pytest.fixture
def cli(db, db_url, tmp_path):
    """Run `merzim ...` in this process (tests/support/cli_runner.py) on the test database, today
    pinned: (exit code, stdout, stderr)."""
    return wide_cli(db_url, tmp_path, TODAY)


def test_cli_plan_refuses_a_duplicate_in_one_line_and_plans_it_with_a_reason(db, ids, cli):
    before = dump_tables(db)
    plan = ("analysis", "plan", "--subject", "AK-EDU", "--object", "AK-EDU", "--start",
            "2026-03-16")
    for lang in LANGUAGES:
        code, out, err = cli(*plan, lang=lang)
        assert (code, out) == (3, ""), (code, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err
        for part in (str(ids["edu"]), "AK-EDU", "2026-03-02", "2026-04-10",
                     "--duplicate-reason"):
            assert part in lines[0], (lang, part, lines[0])
    assert dump_tables(db) == before
    code, out, err = cli(*plan, "--duplicate-reason", "")
    assert code == 2 and "500" in err and dump_tables(db) == before
    code, out, err = cli(*plan, "--duplicate-reason", REASON)
    assert (code, err) == (0, ""), err
    assert en("warning.duplicate_confirmed", duplicate_of=str(ids["edu"]), reason=REASON) in \
        " ".join(out.split())
    code, out, err = cli(*plan, "--duplicate-reason", REASON, "--json")  # it overlaps both
    assert code == 0 and {"code": "duplicate_confirmed", "duplicate_of": [ids["edu"], 3],
                          "reason": REASON} in json.loads(out)["warnings"]
    assert "#1, 3" not in out
    assert count(db, "process_case") == 4


def test_cli_case_open_of_an_analysis_is_held_to_the_rule(db, ctx, ids, cli):
    defn = planning_svc.planned_definition(ctx)
    key, start = defn.key, defn.raw["planning"]["start"]
    opening = ("case", "open", key, "--subject", "AK-EDU", "--object", "AK-EDU", "--date",
               f"{start}=2026-03-16")
    before = dump_tables(db)
    code, out, err = cli(*opening)
    assert code == 3 and f"#{ids['edu']}" in err and dump_tables(db) == before
    code, out, err = cli(*opening, "--duplicate-reason", REASON, "--json")
    assert code == 0, err
    assert json.loads(out)["warnings"][0]["duplicate_of"] == [ids["edu"]]


def test_cli_import_reads_the_duplicate_reason_column(db, ids, cli, tmp_path):
    header = "subject,object,start,end,duplicate_reason\n"
    refused = tmp_path / "refused.csv"
    refused.write_text(header + "AK-EDU,AK-EDU-SCH,2026-05-04,2026-05-29,\n"
                       "AK-EDU,AK-EDU-SCH,2026-05-18,,\n", encoding="utf-8")
    before = dump_tables(db)
    code, out, err = cli("analysis", "import", str(refused))
    assert code == 3 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("Row 3: Row 2 of the file") and "2026-05-04" in err, err
    assert dump_tables(db) == before
    good = tmp_path / "good.csv"
    good.write_text(header + "AK-EDU,AK-EDU-SCH,2026-05-04,2026-05-29,\n"
                    "AK-EDU,AK-EDU-SCH,2026-05-18,,Second wave\n"
                    f"AK-EDU,AK-EDU,2026-03-16,,{REASON}\n", encoding="utf-8")
    code, out, err = cli("analysis", "import", str(good), "--json")
    assert code == 0, err
    planned = json.loads(out)["planned"]
    first = planned[0]["id"]
    assert [[w["duplicate_of"] for w in p["warnings"] if w["code"] == "duplicate_confirmed"]
            for p in planned] == [[], [[first]], [[ids["edu"]]]]
    code, out, err = cli("analysis", "import", str(good))  # all of them again: duplicates
    assert code == 3 and err.startswith("Row 2: Analysis #"), err


# -- the web and the API --------------------------------------------------------------------------

DEFINITION_KEY = DEFINITION.key
DUPLICATE_LINK = re.compile(r'<a href="/cases/(\d+)" data-testid="duplicate-link">')


def test_web_refuses_a_duplicate_with_a_link_and_plans_it_once_confirmed(web: Web):
    """Marat plans his department's analysis again over the demo's (starting in 12 working
    days): refused, the page names it, links to it and asks for the reason; with the reason it
    is planned. A manager cannot open one; the CSRF token is checked as on every form."""
    hlth = web.analyses["hlth"]
    process = DEFINITION_KEY
    b = web.browser("marat")
    form_page = b.get(f"/cases/new/{process}")
    assert 'data-testid="duplicate"' not in form_page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form_page.text).group(1)
    data = {"object": "AK-ALM-HLTH", "date_start": wd(20).isoformat(), "csrf": csrf}
    ru, nurlan = web.client(lang="ru"), web.browser("nurlan")  # signed in first (sessions)
    web.post_login(ru, "marat")
    ru_csrf, nurlan_csrf = web.csrf(ru), web.csrf(nurlan)
    before, since = web.dump(), web.last_audit()
    r = b.post(f"/cases/new/{process}", data=data)
    assert r.status_code == 409
    shown = refusal_of(r.text)
    assert shown.startswith(f"Analysis #{hlth} of Health Department on Health Department "
                            "already covers")  # organisations by name, not code
    assert [int(x) for x in DUPLICATE_LINK.findall(r.text)] == [hlth]
    assert 'name="duplicate_reason"' in r.text and en("web.plan_anyway") in r.text
    assert f'value="{wd(20).isoformat()}"' in r.text  # the form keeps what was entered
    assert web.dump() == before
    assert [(x, p.get("key")) for _a, x, p in web.audit_since(since)] == [
        ("refused.open", "rule.duplicate_analysis")]
    # in Russian, and a blank reason is no confirmation
    r = ru.post(f"/cases/new/{process}", data={**data, "csrf": ru_csrf,
                                                "duplicate_reason": "   "})
    assert r.status_code == 409 and refusal_of(r.text).startswith(f"Анализ №{hlth}")
    assert web.dump() == before
    # the manager sees the form refused whatever she sends; a wrong token stores nothing
    r = nurlan.post(f"/cases/new/{process}", data={
        "subject": "AK-ALM-HLTH", **data, "csrf": nurlan_csrf, "duplicate_reason": REASON})
    assert r.status_code == 409 and refusal_of(r.text) == en("rule.cannot_record",
                                                             role="manager")
    r = b.post(f"/cases/new/{process}", data={**data, "csrf": "wrong",
                                               "duplicate_reason": REASON})
    assert r.status_code == 409 and web.dump() == before
    # confirmed: planned, the reason and the analysis it duplicates in the audit record
    since = web.last_audit()
    r = b.post(f"/cases/new/{process}", data={**data, "duplicate_reason": f"<b>{REASON}</b>"})
    assert r.status_code == 303, refusal_of(r.text)
    new_id = int(r.headers["location"].rsplit("/", 1)[1])
    opened = [p for _a, x, p in web.audit_since(since) if x == "case.open"]
    assert len(opened) == 1
    assert (opened[0]["duplicate_of"], opened[0]["duplicate_reason"]) == (
        [hlth], f"<b>{REASON}</b>")
    view = web.api("marat").get(f"/api/v1/cases/{new_id}").json()
    assert (view["subject"], view["object"], view["planned_start"]) == (
        "AK-ALM-HLTH", "AK-ALM-HLTH", wd(20).isoformat())


def test_web_an_admin_picking_the_subject_is_refused_with_the_link_too(web: Web):
    erlan = web.browser("erlan")
    csrf = web.csrf(erlan)
    before = web.dump()
    r = erlan.post(f"/cases/new/{DEFINITION_KEY}", data={
        "subject": "AK-ALM-HLTH", "object": "AK-ALM-HLTH", "date_start": wd(14).isoformat(),
        "csrf": csrf})
    assert r.status_code == 409
    assert [int(x) for x in DUPLICATE_LINK.findall(r.text)] == [web.analyses["hlth"]]
    assert web.dump() == before
    page = html.unescape(erlan.get(f"/cases/{web.analyses['hlth']}").text)
    assert "AK-ALM-HLTH" in page or "Health" in page


@pytest.mark.slow
def test_api_refuses_a_duplicate_with_the_message_and_opens_it_with_a_reason(web: Web):
    hlth = web.analyses["hlth"]
    api = web.api("marat")
    start = DEFINITION.raw["planning"]["start"]
    body = {"process": DEFINITION_KEY, "subject": "AK-ALM-HLTH", "object": "AK-ALM-HLTH",
            "dates": {start: wd(20).isoformat()}}
    before = web.dump()
    r = api.post("/api/v1/cases", json=body)
    assert r.status_code == 409 and r.json()["error"] == "rule.duplicate_analysis"
    assert f"#{hlth}" in r.json()["message"]
    assert web.dump() == before
    r = api.post("/api/v1/cases", json={**body, "duplicate_reason": "x" * 501})
    assert r.status_code == 422 and web.dump() == before
    r = api.post("/api/v1/cases", json={**body, "duplicate_reason": REASON})
    assert r.status_code == 200, r.text
    with open_session(web.engine) as s:
        case = s.get(Case, r.json()["id"])
        assert (case.subject_id, case.state) == (s.get(Case, hlth).subject_id, "planned")


