"""The procedures' papers drafted from their cases (shared/domain/documents.md D-1 … D-10): the
conflict of interest's forwarding note with the employee's notice as its annex, the
subdivision's recommendations and the leadership's
decision, and the gift's hand-over act, as DOCX in kk and ru from the shipped templates, from
the API and the command line; every date, deadline, name, position and number as the case's
records and `merzim status --json` give them, a blank for what is not recorded; drafted only by
who may see the case's person (404, nothing stored); the signed scan recorded from the paper's
place confirms its stage in one step.

The world: the demo (tests/support/web_helpers.py, today 19 November 2025) served with every
shipped definition, a conflict of interest notified to the State Revenue Department
(MF-KGD-ALM, Aigerim its officer) and a gift received at the education department
(AK-ALM-EDU, Asel its officer)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from tests.documents.helpers import DOCX, due_of, sign_paper, stage_and_record, status_of, text_of, written
from tests.support.cli_runner import Merzim
from tests.support.web_helpers import (
    CALENDAR,
    TODAY,
    Web,
    csrf_of,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.documents.texts import BLANK
from workflow.storage.models import Case, EventRecord, EvidenceFile, Stage

PERSON, POSITION = "Gulmira Tokhtarova", "Chief specialist, customs control"
DONOR, DONOR_POSITION = "Lyazzat Mukhanova", "School principal"
NOTIFIED = CALENDAR.add_working_days(TODAY, -12)
FORWARDED = CALENDAR.add_working_days(NOTIFIED, 2)
RECEIVED = TODAY - timedelta(days=3)
ORG = {"kk": "Облыс бойынша мемлекеттік кірістер департаменті",
       "ru": "Департамент государственных доходов по области"}  # MF-KGD-ALM
NOTICE = {"kk": "МҮДДЕЛЕР ҚАҚТЫҒЫСЫ ТУРАЛЫ ХАБАРЛАМА", "ru": "УВЕДОМЛЕНИЕ О КОНФЛИКТЕ ИНТЕРЕСОВ"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PAPERS = {"conflict_of_interest": ("notice", "forward", "recommendation", "measures"),
          "gift": ("hand_over",)}


def _world(web: Web) -> dict[str, int]:
    """The demo served with every shipped definition, a conflict of interest forwarded (its
    note numbered and signed) and a gift received, nothing handed over yet."""
    registry = load_registry()
    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, registry)
    ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        coi = svc.open_case(s, ctx, "conflict_of_interest", "MF-KGD-ALM", person=PERSON,
                            position=POSITION, dates={"notified": NOTIFIED}).id
        svc.record_event(s, ctx, coi, "forwarded", FORWARDED,
                         {"number": "14-02/317", "signed_by": "Nurzhan Abenov"})
        gift = svc.open_case(s, ctx, "gift", "AK-ALM-EDU", person=DONOR,
                             position=DONOR_POSITION, dates={"received": RECEIVED}).id
        s.commit()
    return {"conflict_of_interest": coi, "gift": gift}


@pytest.fixture
def world(web: Web) -> tuple[Web, dict[str, int]]:
    return web, _world(web)


def test_each_paper_in_kk_and_ru_carries_the_case_as_recorded(world, tmp_path):
    web, ids = world
    coi, gift = ids["conflict_of_interest"], ids["gift"]
    status = {k: status_of(web, tmp_path, i) for k, i in ids.items()}
    assert status["conflict_of_interest"]["person"] == {"name": PERSON, "position": POSITION}
    for login, case, stages in (("aigerim", coi, PAPERS["conflict_of_interest"]),
                                ("asel", gift, PAPERS["gift"])):
        listed = web.api(login).get(f"/api/v1/cases/{case}/documents").json()["documents"]
        assert [d["address"] for d in listed] == list(stages)
    assert [d["stage"] for d in web.api("aigerim").get(
        f"/api/v1/cases/{coi}/documents").json()["documents"]][:2] == ["forward", "forward"]
    for lang in ("kk", "ru"):
        got = {}
        for login, case, stages in (("aigerim", coi, PAPERS["conflict_of_interest"]),
                                    ("asel", gift, PAPERS["gift"])):
            for stage in stages:
                r = web.api(login).get(f"/api/v1/cases/{case}/documents/{stage}",
                                       params={"lang": lang})
                assert r.status_code == 200 and r.headers["content-type"] == DOCX, r.text
                got[stage] = text_of(r.content)
        st = status["conflict_of_interest"]
        notified = written(date.fromisoformat(st["dates"]["notified"]["date"]))
        assert notified == written(NOTIFIED)
        forward = got["forward"]
        # the forwarding note: its own date and number and signer as recorded (D-1)
        assert f"{written(FORWARDED)}" in forward and "№ 14-02/317" in forward
        assert "Nurzhan Abenov" in forward
        for text in (got["forward"], got["recommendation"], got["measures"]):
            assert PERSON in text and POSITION in text, lang
            assert notified in text, lang
        assert due_of(st, "forward", lang) in forward
        # its annex, the employee's written notice: her name and position, the day received
        notice = forward.split(NOTICE[lang], 1)[1]
        assert f"{PERSON}, {POSITION}" in notice and notified in notice
        assert due_of(st, "recommendation", lang) in forward  # projected from the forwarding
        # the recommendation: not recorded yet, its date and number are blanks, never today
        rec = got["recommendation"]
        assert written(FORWARDED) in rec  # forwarded to the subdivision, as recorded
        assert f"{BLANK}" in rec and written(TODAY) not in rec
        assert due_of(st, "measures", lang) in rec
        # the decision: the recommendation's day not recorded yet is a blank, never a projection
        decision = got["measures"]
        assert due_of(st, "measures", lang) in decision
        projected = next(s for s in st["stages"] if s["key"] == "recommendation")["due"]
        assert written(date.fromisoformat(projected)) not in decision.split(
            due_of(st, "measures", lang))[0]
        # the gift's act: the recipient, the day received, the hand-over's deadline
        act, sg = got["hand_over"], status["gift"]
        assert DONOR in act and DONOR_POSITION in act
        assert written(RECEIVED) in act
        assert due_of(sg, "hand_over", lang) in act
        assert "№ " + BLANK in act and written(TODAY) not in act  # not handed over yet
        assert "{{" not in act and "{%" not in act
        # the employee's notice as a paper of its own: hers, the day received, no date or
        # number of its own (the forwarding note's are not its)
        own = got["notice"]
        assert own.startswith(ORG[lang]) and NOTICE[lang] in own
        assert f"{PERSON}, {POSITION}" in own and notified in own
        assert "14-02/317" not in own and written(FORWARDED) not in own


def test_the_command_line_drafts_a_paper(world, tmp_path):
    web, ids = world
    merzim = Merzim(tmp_path, db_url=web.engine.url.render_as_string(hide_password=False))
    out = tmp_path / "act.docx"
    r = merzim("document", "draft", str(ids["gift"]), "hand_over", "--lang", "ru", "--out",
               str(out), "--json", today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["document"] == "hand_over_act"
    text = text_of(out.read_bytes())
    assert "АКТ ПРИЁМА-ПЕРЕДАЧИ ПОДАРКА" in text and DONOR in text
    listed = merzim("document", "list", str(ids["conflict_of_interest"]), "--json",
                    today=TODAY.isoformat())
    assert [d["address"] for d in json.loads(listed.stdout)["documents"]] == \
        list(PAPERS["conflict_of_interest"])


def test_who_may_not_see_the_person_drafts_nothing(world):
    web, ids = world
    refused = (("gulnar", ids["conflict_of_interest"]), ("bolat", ids["conflict_of_interest"]),
               ("nurlan", ids["gift"]))
    clients = {login: (web.api(login), web.browser(login)) for login, _case in refused}
    before = web.dump()
    # the ministry's manager sees the case but not its person; another organisation's officer
    # sees neither: each is answered as if the case had no papers, nothing stored
    for login, case in refused:
        api, browser = clients[login]
        for stage in ("forward", "hand_over"):
            r = api.get(f"/api/v1/cases/{case}/documents/{stage}", params={"lang": "ru"})
            assert r.status_code == 404, (login, r.status_code)
            assert PERSON not in r.text and DONOR not in r.text
        r = api.get(f"/api/v1/cases/{case}/documents")
        assert r.status_code == 404 or r.json()["documents"] == [], (login, r.text)
        r = api.post(f"/api/v1/cases/{case}/documents/hand_over",
                     data={"date": TODAY.isoformat(), "receipt_act": "x"},
                     files={"files": ("act.pdf", PDF, "application/pdf")})
        assert r.status_code == 404, (login, r.status_code)
        page = browser.get(f"/cases/{case}/documents/forward")
        assert page.status_code == 404 and PERSON not in page.text
    assert web.dump() == before


def test_the_signed_act_recorded_from_its_place_confirms_the_hand_over(world):
    web, ids = world
    gift = ids["gift"]
    r = web.api("asel").post(f"/api/v1/cases/{gift}/documents/hand_over",
                             data={"date": TODAY.isoformat(), "number": "7",
                                   "receipt_act": "Act 7 of the state property department"},
                             files={"files": ("act.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    assert r.json()["event"] == "handed_over"
    with Session(web.engine) as s:
        stage = s.exec(select(Stage).where(Stage.case_id == gift,
                                           Stage.key == "hand_over")).one()
        assert stage.done_on == TODAY
        rec = s.exec(select(EventRecord).where(EventRecord.case_id == gift,
                                               EventRecord.event == "handed_over")).one()
        assert s.exec(select(EvidenceFile).where(EvidenceFile.record_id == rec.id)).all()
        assert s.get(Case, gift).state == "handed_over"
    # the act now carries its own date and number, as recorded
    act = text_of(web.api("asel").get(f"/api/v1/cases/{gift}/documents/hand_over",
                                      params={"lang": "kk"}).content)
    assert f"{written(TODAY)}" in act and "№ 7" in act


def test_the_signed_recommendation_recorded_from_its_page_confirms_its_stage(world):
    web, ids = world
    coi = ids["conflict_of_interest"]
    b = web.browser("aigerim")
    case_page = b.get(f"/cases/{coi}")
    for stage in PAPERS["conflict_of_interest"]:  # a link beside each stage a paper confirms
        assert f"/cases/{coi}/documents/{stage}" in case_page.text
    page = b.get(f"/cases/{coi}/documents/recommendation")
    assert page.status_code == 200
    for lang in ("kk", "ru", "en"):
        assert f"/cases/{coi}/documents/recommendation/docx?lang={lang}" in page.text
    form = {"csrf": csrf_of(page.text), "date": TODAY.isoformat(), "number": "3",
            "signed_by": "Dana Ermekova"}
    sign_paper(b, coi, "recommendation", form)
    with Session(web.engine) as s:
        stage, rec = stage_and_record(s, coi, "recommendation", "recommended")
        assert stage.done_on == TODAY and stage.status in ("done_on_time", "done_late")
        assert s.exec(select(EvidenceFile).where(EvidenceFile.record_id == rec.id)).all()
    # the decision now prints the day the recommendation was received
    decision = text_of(web.api("aigerim").get(f"/api/v1/cases/{coi}/documents/measures",
                                              params={"lang": "ru"}).content)
    assert f"рекомендации, полученные {written(TODAY)}" in " ".join(decision.split())
