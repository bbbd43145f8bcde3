"""Work in bulk: stages or cases selected in "My work", "Overdue", "Cases"
and the obligations, then one event with one confirming document recorded on all of them, the
cases handed over to another officer, or the selection exported — through the real web
application and the API, on SQLite and PostgreSQL.

All or nothing: one refused item refuses the action, each refused item is named with its
reason, and every table but the audit log is as it was (`Web.dump`); the audit log keeps the
refusal. A success is audited per item (`event.*`, `files.attach`, `analysis.assign`) and once
for the action (`bulk.record`, `bulk.assign`).

The world: the demo for TODAY (tests/support/web_helpers.py). Asel, the education department's
officer, has two overdue stages in "My work" on analysis `edu` (the analytic note and the
positions list, each recorded with a document number and its signer); the health
department's analysis `hlth` is not hers to see.
"""

from __future__ import annotations

import csv
import io
import re

from sqlmodel import Session, col, select

from tests.support.features import needs
from tests.support.web_helpers import TODAY, Web, csrf_of, en
from workflow import services as svc
from workflow.i18n import Translator
from workflow.services.bulk_actions import MAX_ITEMS
from workflow.storage.models import Case, EventRecord, EvidenceFile

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
CHECKBOX = re.compile(r'<input type="checkbox" name="item" value="([^"]+)" form="bulk"')
REFUSED = re.compile(r'<li data-item="([^"]+)"><a href="/cases/\d+">#\d+</a>(?: \(([^)]*)\))?: '
                     r'([^<]*)</li>')
EDU_STAGES = ("analytic_note", "positions_list")  # asel's overdue stages on `edu`


def items_of(page: str) -> list[str]:
    return CHECKBOX.findall(page)


def post_bulk(w: Web, b, action: str, items: list[str], files=None, **fields):
    """The bar's form sent by the browser `b` (signed in)."""
    csrf = csrf_of(b.get("/work").text)
    data = {"csrf": csrf, "action": action, "back": "/work", "item": items, **fields}
    return b.post("/bulk", data=data, files=files or {"files": ("", b"")})


def test_every_list_offers_its_rows_to_select(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    work = b.get("/work").text
    # her overdue and due stages (not the done ones) with the bar that records them
    assert {f"{edu}:{k}" for k in EDU_STAGES} <= set(items_of(work))
    assert all(not v.endswith(":public_discussion") for v in items_of(work))  # done lately
    assert 'data-testid="bulk-record"' in work and 'data-testid="bulk-assign"' in work
    assert f'Select #{edu} Analytic note' in work or f"Select #{edu} " in work
    overdue = web.browser("erlan").get("/overdue").text
    assert f"{edu}:analytic_note" in items_of(overdue)
    cases = b.get("/cases?process=internal_risk_analysis").text
    assert str(edu) in items_of(cases)
    assert '<select name="event">' in cases  # the procedure's events, one for every case
    assert 'data-testid="bulk-choose-procedure"' in b.get("/cases?clear=1",
                                                          follow_redirects=True).text
    # a manager exports a selection; she records nothing
    manager = web.browser("nurlan").get("/overdue").text
    assert 'data-testid="bulk-xlsx"' in manager and 'data-testid="bulk-record"' not in manager


def test_one_document_recorded_on_every_selected_stage(web: Web):
    edu = web.analyses["edu"]
    items = [f"{edu}:{k}" for k in EDU_STAGES]
    asel = web.browser("asel")
    since = web.last_audit()
    r = post_bulk(web, asel, "record", items, files={"files": ("order.pdf", PDF)},
                  date=TODAY.isoformat(), number="17-b", signed_by="Akim")
    assert r.status_code == 200, r.text
    assert f"2 records saved, dated {TODAY.isoformat()}." in r.text
    with Session(web.engine) as s:
        records = s.exec(select(EventRecord).where(EventRecord.case_id == edu,
                                                   EventRecord.on == TODAY)).all()
        assert sorted(r.event for r in records) == sorted(EDU_STAGES)
        assert all(r.evidence == {"number": "17-b", "signed_by": "Akim"} for r in records)
        files = s.exec(select(EvidenceFile).where(EvidenceFile.case_id == edu)).all()
        assert sorted(f.record_id for f in files) == sorted(r.id for r in records)
        assert {f.name for f in files} == {"order.pdf"} and len({f.sha256 for f in files}) == 1
    for key in EDU_STAGES:
        assert web.stage(edu, key).status == "done_late"
    actions = [a for _who, a, _p in web.audit_since(since)]
    assert sorted(actions) == sorted(["event.analytic_note", "event.positions_list",
                                      "file.attach", "file.attach", "bulk.record"])
    bulk = [p for _who, a, p in web.audit_since(since) if a == "bulk.record"][0]
    assert bulk["items"] == items and bulk["on"] == TODAY.isoformat()


def test_one_refused_item_refuses_all_and_names_each(web: Web):
    edu, hlth = web.analyses["edu"], web.analyses["hlth"]
    items = [f"{edu}:analytic_note", f"{hlth}:analytic_note", f"{edu}:public_discussion"]
    asel = web.browser("asel")
    before, since = web.dump(), web.last_audit()
    r = post_bulk(web, asel, "record", items, files={"files": ("order.pdf", PDF)},
                  date=TODAY.isoformat(), number="17-b", signed_by="Akim")
    assert r.status_code == 409
    assert "Refused: 2 of the 3 selected rows. Nothing was saved." in r.text
    refused = {item: (stage, reason) for item, stage, reason in REFUSED.findall(r.text)}
    assert set(refused) == {f"{hlth}:analytic_note", f"{edu}:public_discussion"}
    assert refused[f"{hlth}:analytic_note"][0] == ""  # a case she may not see: its number only
    assert refused[f"{hlth}:analytic_note"][1] == f"No case {hlth}."
    assert refused[f"{edu}:public_discussion"][0] == "Public discussion of the results"
    assert "already recorded" in refused[f"{edu}:public_discussion"][1]
    assert "public_discussion" not in r.text.replace(f'data-item="{edu}:public_discussion"', "")
    assert web.dump() == before
    [(who, action, payload)] = web.audit_since(since)
    assert who == "web:asel"
    assert action == "refused.bulk_record" and payload["items"] == items
    assert sorted(x[0] for x in payload["refused"]) == sorted(refused)


def test_bad_selections_are_refused_in_words(web: Web):
    edu = web.analyses["edu"]
    asel = web.browser("asel")
    before = web.dump()
    for items, fields, status, text in [
        ([], {"date": TODAY.isoformat()}, 422, "Nothing is selected"),
        ([str(n) for n in range(1, MAX_ITEMS + 2)], {"event": "order"}, 422,
         f"{MAX_ITEMS + 1} rows are selected; at most {MAX_ITEMS}"),
        (["x7"], {}, 422, "is not a case or a stage"),
        ([f"{edu}:analytic_note"], {"date": "2025-11-20"}, 409, "future"),
        ([str(edu)], {"date": TODAY.isoformat()}, 422, "Choose the event"),
    ]:
        r = post_bulk(web, asel, "record", items, **fields)
        assert r.status_code == status, (items[:3], r.text[-2000:])
        assert text in r.text and "Traceback" not in r.text
    r = asel.post("/bulk", data={"action": "record", "item": [f"{edu}:analytic_note"],
                              "date": TODAY.isoformat(), "number": "1", "signed_by": "A"},
               files={"files": ("", b"")})
    assert r.status_code in (403, 409) and "Traceback" not in r.text  # no CSRF token
    assert web.dump() == before


def test_cases_handed_over_in_bulk_all_or_nothing(web: Web):
    edu, hlth = web.analyses["edu"], web.analyses["hlth"]
    with Session(web.engine) as s:
        ctx = svc.Context(web.app.state.calendar, web.app.state.registry, TODAY, actor="test")
        svc.add_user(s, ctx, "kairat", "Kairat Seitkali", "officer", "AK-ALM-EDU")
        s.commit()
    erlan = web.browser("erlan")
    before, since = web.dump(), web.last_audit()
    # the picker left at "—" (not required in the page: the bar's other actions share its form)
    r = post_bulk(web, erlan, "assign", [f"{edu}:analytic_note"], login="")
    assert r.status_code == 422 and "Hand over to must not be empty." in r.text
    assert web.dump() == before
    r = post_bulk(web, erlan, "assign", [f"{edu}:analytic_note", str(hlth)], login="kairat")
    assert r.status_code == 409
    assert [i for i, _s, _m in REFUSED.findall(r.text)] == [str(hlth)]
    assert web.dump() == before
    r = post_bulk(web, erlan, "assign", [f"{edu}:analytic_note", f"{edu}:positions_list"],
                  login="kairat")
    assert r.status_code == 200 and "1 case handed over to Kairat Seitkali." in r.text  # by name
    with Session(web.engine) as s:
        assert s.get(Case, edu).responsible_id == svc.get_user(s, "kairat").id
    audited = [(a, p) for _who, a, p in web.audit_since(since) if not a.startswith("refused.")]
    assert audited == [("analysis.assign", {"from": "asel", "to": "kairat"}),
                       ("bulk.assign", {"cases": [edu], "to": "kairat"})]


def test_a_selection_exported(web: Web):
    edu = web.analyses["edu"]
    asel = web.browser("asel")
    r = post_bulk(web, asel, "csv", [f"{edu}:analytic_note", str(edu)])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["Procedure", "Case", "Organisation", "Object", "Stage", "Due",
                       "Status", "Responsible"]
    with Session(web.engine) as s:  # the case's row: its state by name
        case = s.get_one(Case, edu)
        state = web.app.state.registry.get(case.process).states[case.state]["en"]
    assert [row[:2] + row[4:5] + row[6:8] for row in rows[1:]] == [
        ["Internal analysis of corruption risks", str(edu), "Sign the analytic note", "OVERDUE",
         "Asel Nurpeisova"],
        ["Internal analysis of corruption risks", str(edu), "", state, "Asel Nurpeisova"]]
    # a case the reader does not see refuses the export, named
    r = post_bulk(web, asel, "xlsx", [str(web.analyses["hlth"])])
    assert r.status_code == 409 and f'data-item="{web.analyses["hlth"]}"' in r.text


def test_the_api_records_in_bulk_all_or_nothing(web: Web):
    edu, hlth = web.analyses["edu"], web.analyses["hlth"]
    api = web.api("asel")
    before = web.dump()
    body = {"items": [{"case": edu, "stage": "analytic_note"},
                      {"case": hlth, "stage": "analytic_note"}],
            "date": TODAY.isoformat(), "number": "5", "signed_by": "Akim"}
    r = api.post("/api/v1/bulk/record", json=body)
    assert r.status_code == 409
    answer = r.json()
    assert answer["error"] == "bulk.refused"
    assert [(x["case"], x["stage"], x["error"]) for x in answer["refused"]] == [
        (hlth, "analytic_note", "notfound.analysis")]
    assert web.dump() == before
    body["items"] = body["items"][:1]
    r = api.post("/api/v1/bulk/record", json=body)
    assert r.status_code == 200, r.text
    assert [(x["case"], x["event"]) for x in r.json()["recorded"]] == [(edu, "analytic_note")]
    r = api.post("/api/v1/bulk/assign", json={"items": [{"case": edu}], "login": "nobody"})
    assert r.status_code == 409 and r.json()["refused"][0]["error"] == "notfound.user"


def test_the_api_refuses_an_empty_stage_without_an_event_in_words(web: Web):
    """An item with an empty stage is its case: without an event for the cases it is refused
    (422, in the reader's words), not failed; nothing is stored."""
    edu = web.analyses["edu"]
    api = web.api("asel")
    before = web.dump()
    for items in ([{"case": edu, "stage": ""}],
                  [{"case": edu, "stage": "analytic_note"}, {"case": edu, "stage": ""}]):
        r = api.post("/api/v1/bulk/record", json={"items": items, "date": TODAY.isoformat()})
        assert r.status_code == 422, r.text
        assert r.json() == {"error": "bulk.event_required",
                            "message": en("bulk.event_required")}
        ru = api.post("/api/v1/bulk/record?lang=ru",
                      json={"items": items, "date": TODAY.isoformat()})
        assert ru.status_code == 422 and ru.json()["message"] == Translator("ru")(
            "bulk.event_required")
    assert web.dump() == before


# -- the lists' columns, filters and search ----------------------------------------


def stage_groups(page: str) -> list[str]:
    """The procedures the Stage filter groups its stages by (the bulk bar's picker groups
    officers by organisation: not these)."""
    stage_filter = page[page.index('name="stage"'):]
    return re.findall(r'<optgroup label="([^"]+)">',
                      stage_filter[:stage_filter.index("</select>")])


@needs("planning")
def test_the_overdue_stage_filter_offers_every_procedures_stages(web: Web):
    b = web.browser("erlan")
    page = b.get("/overdue").text
    groups = stage_groups(page)
    registry = web.app.state.registry
    assert groups == [d.name("en") for d in registry.all()]
    # a stage of one procedure: that procedure's rows of that stage only
    r = b.get("/overdue?stage=internal_risk_analysis:analytic_note")
    assert r.status_code == 200
    assert '<option value="internal_risk_analysis:analytic_note" selected>' in r.text
    stages = set(re.findall(r'<tr class="late" data-stage="([^"]+)"', r.text))
    assert stages == {"analytic_note"}
    # a procedure chosen: its stages only
    last = registry.all()[-1]
    page = b.get(f"/overdue?process={last.key}").text
    assert stage_groups(page) == [last.name("en")]


def test_search_finds_case_n_by_hash_and_cases_by_stage_names(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("erlan")

    def found(q: str) -> list[int]:
        page = b.get("/cases", params={"q": q}).text
        return [int(n) for n in re.findall(r'<tr data-case="(\d+)"', page)]

    assert found(f"#{edu}") == [edu]
    assert found(f"#{edu} #{edu + 1}") == []
    assert found("#99999999") == []
    # the stage's name, in any of the three languages, finds the analyses (not the others)
    analyses = found("analysis")
    named = found("analytic note")
    assert edu in named and set(named) <= set(analyses) | set(named)
    with Session(web.engine) as s:
        kinds = {c.process for c in s.exec(select(Case).where(col(Case.id).in_(named)))}
    assert kinds == {"internal_risk_analysis"}
