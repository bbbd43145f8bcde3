"""The REST API under /api/v1: every endpoint, filters, sorting, pagination, JSON errors with
the rule's message, and refusals that store nothing (only the audit log grows)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from tests.web_helpers import (
    DEFINITION,
    TODAY,
    Web,
    csrf_of,
    en,
    wd,
    web_fixture,  # noqa: F401 - the `web` fixture
    world_fixture,  # noqa: F401 - the `world` fixture
)
from workflow.core.machine import CaseMachine
from workflow.storage.models import ApiToken, EventRecord

API_PATHS = {"/api/v1/organisations": "get", "/api/v1/programmes": "get",
             "/api/v1/programmes/{programme_id}": "get", "/api/v1/analyses": "get",
             "/api/v1/analyses/{analysis_id}": "get",
             "/api/v1/analyses/{analysis_id}/events": "post", "/api/v1/overdue": "get",
             "/api/v1/due": "get"}
AK = {"AK-ALM", "AK-ALM-EDU", "AK-ALM-HLTH", "AK-ALM-ILE", "AK-ALM-ILE-EDU", "AK-ALM-TLG",
      "QS-ZHETYSU"}


def invalid(r, *words: str) -> None:
    """A 422 JSON error naming what was wrong."""
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"] == "error.invalid"
    for w in words:
        assert w in body["message"], (w, body)


def pages_of(api, url: str, limit: int) -> list[dict]:
    """Walk a list page by page; check the paging fields on the way."""
    items, offset, total = [], 0, None
    while True:
        sep = "&" if "?" in url else "?"
        r = api.get(f"{url}{sep}limit={limit}&offset={offset}")
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["limit"] == limit and page["offset"] == offset
        total = page["total"] if total is None else total
        assert page["total"] == total
        assert len(page["items"]) == min(limit, max(total - offset, 0))
        items += page["items"]
        offset += limit
        if offset >= total:
            return items


# -- schema ------------------------------------------------------------------------------------------


def test_openapi_lists_the_endpoints(world: Web):
    r = world.client().get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    for path, method in API_PATHS.items():
        assert method in schema["paths"].get(path, {}), path
    assert not [p for p in schema["paths"] if not p.startswith("/api/v1/")], "pages stay out"
    event_in = schema["components"]["schemas"]["EventIn"]
    assert set(event_in["required"]) == {"event", "date"}
    for name in ("number", "signed_by", "url", "note"):
        text = [t for t in event_in["properties"][name].get("anyOf", [event_in["properties"][name]])
                if t.get("type") == "string"][0]
        assert text["maxLength"] == 500
    assert world.client().get("/api/docs").status_code == 200


# -- reading -----------------------------------------------------------------------------------------


def test_organisations_paginate(world: Web):
    api = world.api("nurlan")
    whole = api.get("/api/v1/organisations?limit=500").json()
    assert whole["total"] == len(whole["items"]) == len(AK)
    assert {o["code"] for o in whole["items"]} == AK
    by_code = {o["code"]: o for o in whole["items"]}
    assert by_code["AK-ALM"]["parent"] is None
    assert by_code["AK-ALM-ILE-EDU"]["parent"] == "AK-ALM-ILE"
    assert by_code["AK-ALM-EDU"]["name_kk"] == "Білім басқармасы"
    for limit in (1, 2, 3, 7):
        assert pages_of(api, "/api/v1/organisations", limit) == whole["items"]
    r = api.get("/api/v1/organisations?limit=3&offset=100").json()
    assert r == {"items": [], "total": len(AK), "limit": 3, "offset": 100}
    default = api.get("/api/v1/organisations").json()
    assert default["limit"] == 50 and default["offset"] == 0


def test_programmes_list_and_matrix(world: Web):
    api = world.api("nurlan")
    progs = api.get("/api/v1/programmes").json()
    assert progs["total"] == len(progs["items"]) > 0
    assert {p["subject"] for p in progs["items"]} <= AK
    assert all(p["year"] == TODAY.year for p in progs["items"])
    assert api.get(f"/api/v1/programmes?year={TODAY.year - 1}").json()["total"] == 0
    assert pages_of(api, "/api/v1/programmes", 2) == progs["items"]

    edu = world.programmes["AK-ALM-EDU"]
    m = api.get(f"/api/v1/programmes/{edu}").json()
    assert m["id"] == edu and m["subject"] == "AK-ALM-EDU" and m["year"] == TODAY.year
    assert m["schedule"]["status"] == "done_on_time"
    assert m["stage_keys"] == list(DEFINITION.stages)
    analyses = api.get("/api/v1/analyses?org=AK-ALM-EDU").json()["items"]
    assert [r["id"] for r in m["rows"]] == [a["id"] for a in analyses]
    row = m["rows"][0]
    detail = api.get(f"/api/v1/analyses/{row['id']}").json()
    assert {k: v["due"] for k, v in row["stages"].items()} == {
        st["key"]: st["due"] for st in detail["stages"]}

    r = api.get("/api/v1/programmes/999999")
    assert r.status_code == 404
    assert r.json() == {"error": "notfound.programme", "message": en("notfound.programme",
                                                                      id=999999)}
    invalid(api.get("/api/v1/programmes/abc"), "programme_id")
    invalid(api.get("/api/v1/programmes?year=abc"), "year")


def test_analyses_filters_and_pages(world: Web):
    api = world.api("nurlan")
    a = world.analyses
    every = api.get("/api/v1/analyses").json()
    ids = [x["id"] for x in every["items"]]
    assert ids == sorted(ids) and set(ids) == {a["edu"], a["hlth"], a["ile"], a["qs"]}
    assert every["total"] == 4
    assert pages_of(api, "/api/v1/analyses", 3) == every["items"]

    only = api.get("/api/v1/analyses?org=AK-ALM-ILE").json()["items"]
    assert [x["id"] for x in only] == [a["ile"]] and only[0]["subject"] == "AK-ALM-ILE"
    ended = api.get("/api/v1/analyses?state=ended").json()["items"]
    assert [x["id"] for x in ended] == [a["edu"]]
    assert api.get("/api/v1/analyses?state=no-such-state").json()["total"] == 0
    assert api.get(f"/api/v1/analyses?year={TODAY.year}").json()["total"] == 4
    assert api.get(f"/api/v1/analyses?year={TODAY.year + 1}").json()["total"] == 0
    both = api.get("/api/v1/analyses?org=AK-ALM-EDU&state=ended&limit=1").json()
    assert both["total"] == 1 and both["items"][0]["id"] == a["edu"]
    first = every["items"][0]
    assert set(first) == {"id", "state", "subject", "planned_start", "planned_end"}
    date.fromisoformat(first["planned_start"])

    one = api.get(f"/api/v1/analyses/{a['edu']}").json()
    assert one["state"] == "ended" and one["responsible"] == "asel"
    assert [st["key"] for st in one["stages"]] == [k for k in DEFINITION.stages]
    note = {st["key"]: st for st in one["stages"]}["analytic_note"]
    assert note["status"] == "overdue" and date.fromisoformat(note["due"]) < TODAY
    assert note["working_days_left"] < 0
    assert one["next_events"] == [e for e in CaseMachine(DEFINITION, "ended").allowed()
                                  if e != "cancel"]
    kk = api.get(f"/api/v1/analyses/{a['edu']}?lang=kk").json()
    assert kk["stages"][0]["name"] == DEFINITION.stage_name(kk["stages"][0]["key"], "kk")

    r = api.get("/api/v1/analyses/999999")
    assert r.status_code == 404
    assert r.json() == {"error": "notfound.analysis", "message": en("notfound.analysis", id=999999)}
    invalid(api.get("/api/v1/analyses/abc"), "analysis_id")
    invalid(api.get("/api/v1/analyses?year=twenty"), "year")


def test_overdue_filters_sort_and_pages(world: Web):
    api = world.api("nurlan")
    rows = api.get("/api/v1/overdue?limit=500").json()
    items = rows["items"]
    assert rows["total"] == len(items) > 3
    assert {r["organisation"] for r in items} <= AK
    for r in items:
        assert date.fromisoformat(r["due"]) < TODAY
        assert r["working_days_overdue"] > 0
        assert r["responsible"] and r["stage_name"]
    assert pages_of(api, "/api/v1/overdue", 2) == items

    stage = items[0]["stage"]
    only = api.get(f"/api/v1/overdue?stage={stage}&limit=500").json()["items"]
    assert only == [r for r in items if r["stage"] == stage]
    ile = api.get("/api/v1/overdue?org=AK-ALM-ILE&limit=500").json()["items"]
    assert ile and ile == [r for r in items if r["organisation"] == "AK-ALM-ILE"]
    assert api.get(f"/api/v1/overdue?year={TODAY.year}&limit=500").json()["items"] == items
    assert api.get(f"/api/v1/overdue?year={TODAY.year - 3}").json()["total"] == 0

    by_days = api.get("/api/v1/overdue?sort=days&limit=500").json()["items"]
    days = [r["working_days_overdue"] for r in by_days]
    assert days == sorted(days, reverse=True)
    by_due = api.get("/api/v1/overdue?sort=due&limit=500").json()["items"]
    dues = [r["due"] for r in by_due]
    assert dues == sorted(dues)
    by_stage = api.get("/api/v1/overdue?sort=stage&limit=500").json()["items"]
    assert [r["stage"] for r in by_stage] == sorted(r["stage"] for r in items)
    by_org = api.get("/api/v1/overdue?sort=organisation&limit=500").json()["items"]
    assert [r["organisation_name"] for r in by_org] == sorted(r["organisation_name"] for r in items)
    for sort in ("due", "days", "stage", "organisation"):
        got = api.get(f"/api/v1/overdue?sort={sort}&limit=500").json()["items"]
        assert sorted(got, key=lambda r: r["stage_id"]) == sorted(items, key=lambda r: r["stage_id"])
    invalid(api.get("/api/v1/overdue?sort=sideways"), "sort")
    invalid(api.get("/api/v1/overdue?year=x"), "year")


def test_due_within(world: Web):
    api = world.api("nurlan")
    default = api.get("/api/v1/due").json()
    horizon = wd(5)
    assert all(TODAY <= date.fromisoformat(r["due"]) <= horizon for r in default["items"])
    wide = api.get("/api/v1/due?within=250&limit=500").json()["items"]
    assert len(wide) > len(default["items"]) > 0
    for r in wide:
        assert date.fromisoformat(r["due"]) >= TODAY and r["working_days_left"] >= 0
    ten = api.get("/api/v1/due?within=10&limit=500").json()["items"]
    assert ten == [r for r in wide if date.fromisoformat(r["due"]) <= wd(10)]
    zero = api.get("/api/v1/due?within=0&limit=500").json()["items"]
    assert zero == [r for r in wide if r["due"] == TODAY.isoformat()]
    hlth = api.get("/api/v1/due?within=250&org=AK-ALM-HLTH&limit=500").json()["items"]
    assert hlth == [r for r in wide if r["organisation"] == "AK-ALM-HLTH"]
    assert pages_of(api, "/api/v1/due?within=250", 4) == wide
    # the officer sees her own organisation only
    asel = world.api("asel").get("/api/v1/due?within=250&limit=500").json()["items"]
    assert asel == [r for r in wide if r["organisation"] == "AK-ALM-EDU"]
    invalid(api.get("/api/v1/due?within=-1"), "within")
    invalid(api.get("/api/v1/due?within=251"), "within")
    invalid(api.get("/api/v1/due?within=soon"), "within")


def test_bad_paging_is_422(world: Web):
    api = world.api("gulnar")
    for ep in ("organisations", "programmes", "analyses", "overdue", "due"):
        invalid(api.get(f"/api/v1/{ep}?limit=0"), "limit")
        invalid(api.get(f"/api/v1/{ep}?limit=501"), "limit")
        invalid(api.get(f"/api/v1/{ep}?offset=-1"), "offset")
        invalid(api.get(f"/api/v1/{ep}?limit=ten"), "limit")
        assert api.get(f"/api/v1/{ep}?limit=500").status_code == 200


# -- recording -----------------------------------------------------------------------------------------


def test_officer_records_an_event(web: Web):
    edu = web.analyses["edu"]
    since = web.last_audit()
    api = web.api("asel")
    r = api.post(f"/api/v1/analyses/{edu}/events",
                 json={"event": "analytic_note", "date": TODAY.isoformat(), "number": "17-ө",
                       "signed_by": "Head of department", "note": "x" * 500})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["state"] == "note_signed"
    note = {st["key"]: st for st in view["stages"]}["analytic_note"]
    assert note["status"] == "done_late" and note["done_on"] == TODAY.isoformat()
    assert note["evidence"]["number"] == "17-ө"
    assert api.get(f"/api/v1/analyses/{edu}").json() == view
    overdue = api.get("/api/v1/overdue?limit=500").json()["items"]
    assert not [x for x in overdue if x["analysis"] == edu and x["stage"] == "analytic_note"]
    with Session(web.engine) as s:
        rec = s.exec(select(EventRecord).where(EventRecord.case_id == edu,
                                               EventRecord.event == "analytic_note")).one()
    assert rec.actor == "web:asel" and rec.on == TODAY
    assert ("web:asel", "event.analytic_note") in [(a, x) for a, x, _p in web.audit_since(since)]

    # an admin of the subtree may record too; a second positions list is refused
    admin = web.api("erlan")
    body = {"event": "positions_list", "date": TODAY.isoformat(), "number": "3",
            "signed_by": "Head"}
    r = admin.post(f"/api/v1/analyses/{edu}/events", json=body)
    assert r.status_code == 200, r.text
    before = web.dump()
    r = admin.post(f"/api/v1/analyses/{edu}/events", json=body)
    assert r.status_code == 409
    assert r.json()["error"] == "rule.already_recorded"
    assert web.dump() == before


def _refusals(edu: int, today: date):
    """(description, path, request kwargs, status, error key or words in the message)."""
    ok = {"event": "analytic_note", "date": today.isoformat(), "number": "17", "signed_by": "Head"}
    long = "я" * 501
    allowed = ", ".join(CaseMachine(DEFINITION, "ended").allowed())
    ev = f"/api/v1/analyses/{edu}/events"
    return [
        ("illegal event", ev, {"json": {**ok, "event": "publication"}}, 409,
         ("rule.not_allowed", en("rule.not_allowed", event="publication", state="ended",
                                 allowed=allowed))),
        ("unknown event", ev, {"json": {**ok, "event": "party"}}, 409, ("rule.unknown_event", None)),
        ("future date", ev, {"json": {**ok, "date": (today + timedelta(days=1)).isoformat()}}, 409,
         ("rule.future_date", en("rule.future_date", date=(today + timedelta(days=1)).isoformat(),
                                 today=today.isoformat()))),
        ("far future", ev, {"json": {**ok, "date": "2099-01-01"}}, 409, ("rule.future_date", None)),
        ("missing evidence", ev, {"json": {k: v for k, v in ok.items() if k != "number"}}, 409,
         ("rule.missing_evidence", en("rule.missing_evidence", event="analytic_note",
                                      field="number"))),
        ("blank evidence", ev, {"json": {**ok, "signed_by": "   "}}, 409,
         ("rule.missing_evidence", None)),
        ("before the end", ev, {"json": {**ok, "date": "2025-01-10"}}, 409,
         ("rule.date_before", None)),
        ("not a link", ev, {"json": {**ok, "url": "javascript:alert(1)"}}, 409,
         ("rule.bad_url", None)),
        ("date abc", ev, {"json": {**ok, "date": "abc"}}, 422, ("date",)),
        ("date 30 Feb", ev, {"json": {**ok, "date": "2025-02-30"}}, 422, ("date",)),
        ("date null", ev, {"json": {**ok, "date": None}}, 422, ("date",)),
        ("date missing", ev, {"json": {k: v for k, v in ok.items() if k != "date"}}, 422,
         ("date",)),
        ("event 123", ev, {"json": {**ok, "event": 123}}, 422, ("event",)),
        ("event missing", ev, {"json": {k: v for k, v in ok.items() if k != "event"}}, 422,
         ("event",)),
        ("number as list", ev, {"json": {**ok, "number": ["1"]}}, 422, ("number",)),
        ("body missing", ev, {}, 422, ()),
        ("body not JSON", ev, {"content": b"event=order", "headers": {
            "content-type": "application/json"}}, 422, ()),
        ("body a list", ev, {"json": [ok]}, 422, ()),
        ("number too long", ev, {"json": {**ok, "number": long}}, 422, ("number",)),
        ("signer too long", ev, {"json": {**ok, "signed_by": long}}, 422, ("signed_by",)),
        ("url too long", ev, {"json": {**ok, "url": "https://x.kz/" + "a" * 500}}, 422, ("url",)),
        ("note too long", ev, {"json": {**ok, "note": long}}, 422, ("note",)),
        ("event too long", ev, {"json": {**ok, "event": "e" * 65}}, 422, ("event",)),
        ("unknown id", "/api/v1/analyses/999999/events", {"json": ok}, 404,
         ("notfound.analysis", en("notfound.analysis", id=999999))),
        ("id abc", "/api/v1/analyses/abc/events", {"json": ok}, 422, ("analysis_id",)),
    ]


def test_refusals_store_nothing(web: Web):
    edu = web.analyses["edu"]
    api = web.api("asel")
    before = web.dump()
    for what, path, kwargs, status, expect in _refusals(edu, TODAY):
        since = web.last_audit()
        r = api.post(path, **kwargs)
        assert r.status_code == status, (what, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json", what
        body = r.json()
        assert set(body) == {"error", "message"} and body["message"], what
        if status == 422:
            assert body["error"] == "error.invalid", what
            for word in expect:
                assert word in body["message"], (what, body)
        else:
            key, message = expect
            assert body["error"] == key, (what, body)
            if message is not None:
                assert body["message"] == message, what
            else:
                assert body["message"] != key, (what, "the message is the catalogue's text")
        assert web.dump() == before, what
        audited = [(action, p.get("key")) for _a, action, p in web.audit_since(since)]
        if status == 409:
            assert audited == [("refused.event", expect[0])], (what, audited)
        else:
            assert not [a for a in audited if a[0].startswith("event.")], what
    # and after all that, the analysis is as the demo left it
    one = api.get(f"/api/v1/analyses/{edu}").json()
    assert one["state"] == "ended"


def test_tokens_are_personal_and_revocable(web: Web):
    b = web.browser("asel")
    csrf = web.csrf(b)
    r = b.post("/account/tokens", data={"csrf": csrf, "name": "my script"})
    assert r.status_code == 200
    import re

    token = re.search(r'data-testid="new-token">[^<]*<code>(mz_[^<]+)</code>', r.text).group(1)
    api = web.client()
    api.headers["Authorization"] = f"Bearer {token}"
    me = api.get("/api/v1/organisations").json()
    assert [o["code"] for o in me["items"]] == ["AK-ALM-EDU"]
    with Session(web.engine) as s:
        row = s.exec(select(ApiToken).where(ApiToken.name == "my script")).one()
        assert token not in str(row.token_hash)  # only the digest is stored
    # a too long name is refused and creates nothing
    before = web.dump()
    r = b.post("/account/tokens", data={"csrf": csrf, "name": "n" * 101})
    assert r.status_code == 422
    r = b.post("/account/tokens", data={"csrf": csrf, "name": "   "})
    assert r.status_code == 422
    assert web.dump() == before
    # someone else cannot revoke it
    other = web.browser("nurlan")
    r = other.post(f"/account/tokens/{row.id}/revoke", data={"csrf": web.csrf(other)})
    assert r.status_code == 303
    assert api.get("/api/v1/organisations").status_code == 200
    r = b.post(f"/account/tokens/{row.id}/revoke", data={"csrf": csrf})
    assert r.status_code == 303
    r = api.get("/api/v1/organisations")
    assert r.status_code == 401 and r.json()["error"] == "unauthorised"
    assert csrf_of(b.get("/account").text) == csrf


@pytest.mark.parametrize("header", ["Token {t}", "bearer{t}", "Basic {t}", "{t}"])
def test_malformed_authorization_is_401(world: Web, header: str):
    c = world.client()
    c.headers["Authorization"] = header.format(t=world.token("gulnar"))
    assert c.get("/api/v1/overdue").status_code == 401
