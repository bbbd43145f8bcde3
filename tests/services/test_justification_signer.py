"""The justification note that replaces the publication is signed by the head of apparatus
(I-13, I-16; 000:L473-481).

From version 5 a publication record carrying a justification note (number and signer) names
its signer's role (`approver_role`): the head of apparatus is accepted; anyone else is refused
(nothing stored) unless the record gives the reason an acting head signed (`acting_reason`),
kept with the record. A publication by a link alone is not checked; version-4 analyses keep
their rules. The service, the command line, the web form and the API, in the reader's language.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.support.databases import dump_tables
from tests.support.features import module_of, needs
from tests.support.web_helpers import (
    TODAY,
    Web,
    refusal_of,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow import services as svc
from workflow.core.errors import RuleViolation
from workflow.definitions import DEFINITIONS, Loaded, Registry, load_definition, load_registry
from workflow.i18n import Translator
from workflow.storage.db import session as open_session

planning_svc = module_of("planning", "service")  # the analyses are planned by it

DOC = {"number": "АН-1", "signed_by": "Akim"}
NOTE = {"number": "17", "signed_by": "S. Seitkali"}  # the justification note
ACTING = "Acting head of apparatus: order No. 12-к of 3 March 2026"


def d(text: str) -> date:
    return date.fromisoformat(text)


def _approved(db, make_ctx, registry=None) -> int:
    """An analysis of the akimat's department whose note (27 Apr 2026) and plan (5 May) are
    signed: the publication is next."""
    ctx = make_ctx(d("2026-05-06"))
    if registry is not None:
        ctx = svc.Context(ctx.calendar, registry, ctx.today, actor="test", language="en")
    with open_session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education department", "department", "AK")
        aid = planning_svc.plan_analysis(s, ctx, "AK", "AK-EDU", d("2026-03-02")).analysis.id
        s.commit()
    now = make_ctx(d("2026-05-06"))
    for event, on in (("analytic_note", "2026-04-27"), ("action_plan", "2026-05-05")):
        with open_session(db) as s:
            svc.record_event(s, now, aid, event, d(on), dict(DOC))
            s.commit()
    return aid


def _publish(db, ctx, aid, evidence):
    with open_session(db) as s:
        record = svc.record_event(s, ctx, aid, "publication", d("2026-05-06"), dict(evidence))
        s.commit()
        return dict(record.evidence or {})


def _refused(db, ctx, aid, evidence) -> RuleViolation:
    before = dump_tables(db)
    with open_session(db) as s, pytest.raises(RuleViolation) as refused:
        svc.record_event(s, ctx, aid, "publication", d("2026-05-06"), dict(evidence))
        s.commit()
    assert dump_tables(db) == before
    assert refused.value.key == "rule.justification_signer"
    return refused.value


@needs("monitoring")
def test_a_justification_note_without_the_head_of_apparatus_is_refused(db, make_ctx):
    aid = _approved(db, make_ctx)
    ctx = make_ctx(d("2026-05-06"))
    err = _refused(db, ctx, aid, NOTE)  # no role given
    assert (err.params["role"], err.params["given"]) == ("Head of apparatus", "-")
    assert err.render(Translator("en")) == (
        "A justification note that replaces the publication is signed by the Head of apparatus"
        " (000:L473-481, I-16); this one names: -. For an acting head, give the reason "
        "(Signed by an acting head of apparatus: the reason).")
    err = _refused(db, ctx, aid, {**NOTE, "approver_role": "deputy_head"})
    assert err.params["given"] == Translator("en")("approver.deputy_head")
    # a link to a partial publication does not excuse the note's signer (000:L473-481)
    _refused(db, ctx, aid, {**NOTE, "url": "https://ak.gov.kz/n/4",
                            "approver_role": "first_head"})
    # an empty reason confirms nothing
    _refused(db, ctx, aid, {**NOTE, "approver_role": "other", "acting_reason": "  "})
    kept = _publish(db, ctx, aid, {**NOTE, "approver_role": "head_of_apparatus"})
    assert kept["approver_role"] == "head_of_apparatus"
    with open_session(db) as s:
        stages = svc.stages_of(s, svc.get_analysis(s, aid))
    assert (stages["publication"].status, stages["publication"].done_on) == (
        "done_on_time", d("2026-05-06"))


def test_an_acting_head_is_accepted_with_the_reason_kept(db, make_ctx):
    aid = _approved(db, make_ctx)
    ctx = make_ctx(d("2026-05-06"))
    kept = _publish(db, ctx, aid, {**NOTE, "approver_role": "other", "acting_reason": ACTING})
    assert (kept["approver_role"], kept["acting_reason"]) == ("other", ACTING)
    with open_session(db) as s:
        view = svc.case_view(s, ctx, svc.get_case(s, aid))
    assert view.state == "published"
    assert [r.evidence.get("acting_reason") for r in view.records
            if r.event == "publication"] == [ACTING]


def test_a_link_alone_and_version_4_are_not_checked(db, make_ctx):
    aid = _approved(db, make_ctx)
    assert _publish(db, make_ctx(d("2026-05-06")), aid, {"url": "https://ak.gov.kz/n/4"})


def test_an_analysis_opened_under_version_4_keeps_its_rules(db, make_ctx):
    path = DEFINITIONS / "versions" / "internal_risk_analysis.v4.toml"
    v4 = Registry({"internal_risk_analysis": Loaded(load_definition(path=path),
                                                    path.read_text("utf-8"), path)})
    aid = _approved(db, make_ctx, v4)
    now = svc.Context(make_ctx(d("2026-05-06")).calendar, load_registry(), d("2026-05-06"),
                      actor="test", language="en")
    with open_session(db) as s:
        assert svc.get_case(s, aid).process_version == 4
    assert _publish(db, now, aid, NOTE)["number"] == "17"


@needs("monitoring")
def test_the_command_line_refuses_in_the_readers_language(db, make_ctx, merzim_db):
    aid = str(_approved(db, make_ctx))
    day = {"today": "2026-05-06"}
    args = ("record", aid, "publication", "--date", "2026-05-06", "--number", "17",
            "--signed-by", "S. Seitkali", "--evidence", "approver_role=deputy_head")
    before = dump_tables(db)
    for lang, fragment in (("en", "Head of apparatus"), ("ru", "Руководитель аппарата"),
                           ("kk", "Аппарат басшысы")):
        result = merzim_db(*args, lang=lang, **day)
        assert result.returncode == 3, (result.stdout, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr
    assert dump_tables(db) == before
    result = merzim_db(*args, "--evidence", f"acting_reason={ACTING}", "--json", **day)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["state"] == "published"


@needs("monitoring")
def test_the_web_form_and_the_api(web: Web):
    """The quasi-state company's analysis (plan approved, publication overdue): the form
    offers the signer's role and the acting head's reason; a deputy is refused, an acting head
    with the reason is accepted (the API the same)."""
    qs = web.analyses["qs"]
    b = web.browser("timur")
    page = b.get(f"/cases/{qs}").text
    assert 'name="approver_role"' in page and 'name="ev_acting_reason"' in page
    form = {"csrf": web.csrf(b), "event": "publication", "date": TODAY.isoformat(),
            "number": "17", "signed_by": "S. Seitkali", "url": "", "note": "",
            "approver_role": "deputy_head", "ev_acting_reason": ""}
    api = web.api("timur")
    before = web.dump()
    r = b.post(f"/cases/{qs}/events", data=form)
    assert r.status_code == 409 and "Head of apparatus" in (refusal_of(r.text) or "")
    assert web.dump() == before
    body = {"event": "publication", "date": TODAY.isoformat(), "number": "17",
            "signed_by": "S. Seitkali", "approver_role": "deputy_head"}
    r = api.post(f"/api/v1/cases/{qs}/events", json=body)
    assert r.status_code == 409 and "Head of apparatus" in r.json()["message"]
    assert web.dump() == before
    r = api.post(f"/api/v1/cases/{qs}/events",
                 json={**body, "evidence": {"acting_reason": ACTING}})
    assert r.status_code == 200, r.text
    assert web.stage(qs, "publication").evidence["acting_reason"] == ACTING


@needs("scorecard")
def test_the_scorecard_does_not_count_an_unsigned_justification_note(db, make_ctx):
    """Three version-4 analyses of the akimat's departments (version 4 recorded any signer):
    AK-EDU published by a justification note no one confirmed was the head of apparatus's,
    AK-HLT by one signed by the head of apparatus, AK-AGR by a link. 1.3.2 (0.3 per 10 %, max
    3, 001:L142-156): AK-HLT leaves the share (B-15), AK-EDU is not published (I-16): 1 of 2
    = 50 % -> 5 steps = 1.5 points (counting AK-EDU as published would leave it out too:
    1 of 1 = 3 points)."""
    from workflow.scorecard import service as scoring
    from workflow.scorecard.rules import ScoreSettings

    path = DEFINITIONS / "versions" / "internal_risk_analysis.v4.toml"
    v4 = Registry({"internal_risk_analysis": Loaded(load_definition(path=path),
                                                    path.read_text("utf-8"), path)})
    then = svc.Context(make_ctx(d("2026-02-02")).calendar, v4, d("2026-02-02"), actor="test",
                       language="en")
    with open_session(db) as s:
        svc.add_org(s, then, "AK", "Akimat", "akimat")
        ids = {}
        for code in ("AK-EDU", "AK-HLT", "AK-AGR"):
            svc.add_org(s, then, code, code, "department", "AK")
            ids[code] = planning_svc.plan_analysis(s, then, "AK", code, d("2026-03-02")).analysis.id
        s.commit()
    now = make_ctx(d("2026-05-06"))
    published = {"AK-EDU": NOTE, "AK-HLT": {**NOTE, "approver_role": "head_of_apparatus"},
                 "AK-AGR": {"url": "https://ak.gov.kz/n/4"}}
    for code, aid in ids.items():
        for event, on, evidence in (("analytic_note", "2026-04-27", DOC),
                                    ("action_plan", "2026-05-05", DOC),
                                    ("publication", "2026-05-06", published[code])):
            with open_session(db) as s:
                svc.record_event(s, now, aid, event, d(on), dict(evidence))
                s.commit()
    with open_session(db) as s:
        card = scoring.scorecards(s, make_ctx(d("2027-02-01")), "AK", 2026, ScoreSettings())[0]
    indicator = next(i for i in card["indicators"] if i["key"] == "1.3.2")
    assert {k: indicator["inputs"][k] for k in ("units", "done", "unlinked", "percent",
                                                "steps")} == {
        "units": 2, "done": 1, "unlinked": 1, "percent": 50.0, "steps": 5}
    assert indicator["points"] == 1.5
