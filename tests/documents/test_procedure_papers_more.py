"""The foreign account's, the declarations' and the quasi-state policy's papers drafted from
their cases, and a protected person's papers (shared/domain/documents.md D-1 … D-10):

* the foreign account's notice to the first head, the HR service and the employee, stating
  the closing deadline (six months from the day found, as merzim computes it); the first
  head's order naming who may access the foreign-bank data (lines to fill: merzim records no
  such list) and the yearly request to the tax authority, with its number once recorded;
* the written reminder before the declaration deadline and the notice of a change in the
  declaration rules (its entry into force, its 30 working days);
* the enterprise's conflict of interest (the employee's notice, the decision) and 003's
  appendices 2 and 3 with the employee's name and position;

each in kk and ru with every date, deadline, name and position as `merzim status --json`
gives it, a blank for what is not recorded; the signed scan recorded from the paper's page
confirms its stage; a paper drafted beside a stage that confirms none records nothing.

A protected person's case (an operator's procedure whose person only the responsible officer
sees): its papers are refused to an officer who may not see her, nothing stored; a paper her
procedure requires her name in carries it and its drafting is audited as a disclosure (the
case's history says so in kk, ru and en); a paper that does not require it carries a blank.

The world: the demo synced for TODAY (its 2025 declaration reminder and tax request of the
State Revenue Department, MF-KGD-ALM, Aigerim its officer), a foreign account found there as
the demo's own, a change in the declaration rules, an enterprise conflict of interest and an
appointment at the quasi-state QS-ZHETYSU (Timur its officer), a protected case at the
education department (AK-ALM-EDU: Asel answers for it, Kairat is its other officer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tests.documents.helpers import DOCX, due_of, status_of, text_of, written
from tests.support.cli_runner import Merzim
from tests.support.databases import BACKENDS
from tests.support.web_helpers import CALENDAR, TODAY, Web, synced_demo
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.documents.texts import BLANK
from workflow.i18n import Translator
from workflow.services import visibility
from workflow.storage.models import AuditRecord, Case, EventRecord, EvidenceFile, Organisation, Stage

EMPLOYEE, EMPLOYEE_POSITION = "Togzhan Iskakova", "Chief inspector"
QS_PERSON, QS_POSITION = "Aruzhan Beisenova", "Lawyer of the legal department"
HIRED, HIRED_POSITION = "Daniyar Omarov", "Engineer of the dispatch service"
SECRET, SECRET_POSITION = "Madina Secret-Person", "SECRET-POSITION"
FOUND = TODAY - timedelta(days=1)
IN_FORCE = TODAY - timedelta(days=10)
NOTIFIED = CALENDAR.add_working_days(TODAY, -2)
APPOINTED = TODAY - timedelta(days=1)
APPLIED = TODAY - timedelta(days=20)
DECIDED = CALENDAR.add_working_days(TODAY, -1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PROTECTED = (Path(__file__).parent / "procedures/confidential_report.toml").read_text(encoding="utf-8")

# login, the case's key in the world, the paper's address, whether it confirms its stage
PAPERS = (("aigerim", "foreign", "notify", True),
          ("aigerim", "tax", "access_order", False),
          ("aigerim", "tax", "tax_request", True),
          ("aigerim", "reminder", "reminder", True),
          ("aigerim", "law", "staff_notice", True),
          ("timur", "enterprise", "notice", False),
          ("timur", "enterprise", "settlement", True),
          ("timur", "forms", "consent", True),
          ("timur", "forms", "confirmation", True),
          ("asel", "whistleblower", "protocol_to_agency", True))


def _prepare(s: Session, ctx: svc.Context) -> None:
    svc.add_user(s, ctx, "kairat", "Kairat Bekov", "officer", "AK-ALM-EDU", "k@example.kz", "en")
    full = svc.Context(CALENDAR, load_registry(), TODAY, actor="test-setup", language="en")
    svc.open_case(s, full, "foreign_account", "MF-KGD-ALM", person=EMPLOYEE,
                  position=EMPLOYEE_POSITION, dates={"found": FOUND})
    svc.open_case(s, full, "declaration_law_change", "MF-KGD-ALM",
                  dates={"entry_into_force": IN_FORCE})
    svc.open_case(s, full, "enterprise_conflict_of_interest", "QS-ZHETYSU", person=QS_PERSON,
                  position=QS_POSITION, dates={"notified": NOTIFIED})
    svc.open_case(s, full, "policy_forms", "QS-ZHETYSU", person=HIRED, position=HIRED_POSITION,
                  dates={"appointed": APPOINTED})


@pytest.fixture(name="world", params=BACKENDS)
def world_fixture(request, tmp_path) -> Iterator[tuple[Web, dict[str, int]]]:
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "confidential_report.toml").write_text(PROTECTED,
                                                                       encoding="utf-8")
    with synced_demo(request.param, tmp_path, prepare=_prepare) as web:
        registry = load_registry((tmp_path / "procedures",))
        web.app = create_app(web.app.state.settings, web.engine, CALENDAR, registry)
        ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-setup", language="en")
        with Session(web.engine) as s:
            ids = {"protected": svc.open_case(s, ctx, "confidential_report", "AK-ALM-EDU",
                                              person=SECRET, position=SECRET_POSITION,
                                              dates={"notified": NOTIFIED},
                                              responsible="asel").id}
            # a whistleblower's application at the education department: Asel answers for it,
            # the collegial body decided DECIDED (the protocol not sent yet)
            ids["whistleblower"] = svc.open_case(
                s, ctx, "whistleblower_protection", "AK-ALM-EDU", person=SECRET,
                position=SECRET_POSITION, dates={"application_received": APPLIED},
                responsible="asel").id
            svc.record_event(s, ctx, ids["whistleblower"], "decided", DECIDED, {})
            s.commit()
            mf = s.exec(select(Organisation).where(Organisation.code == "MF-KGD-ALM")).one().id
            for key, process in (("foreign", "foreign_account"),
                                 ("tax", "foreign_accounts_request"),
                                 ("reminder", "declaration_reminder"),
                                 ("law", "declaration_law_change"),
                                 ("enterprise", "enterprise_conflict_of_interest"),
                                 ("forms", "policy_forms")):
                query = select(Case.id).where(Case.process == process).order_by(col(Case.id))
                if key in ("tax", "reminder"):  # the demo's own, of this year
                    query = query.where(Case.subject_id == mf, Case.period == "2025")
                ids[key] = s.exec(query).first()
                assert ids[key] is not None, key
        yield web, ids


def _day(status: dict, key: str) -> str:
    return written(date.fromisoformat(status["dates"][key]["date"]))


def _draft(web: Web, login: str, case: int, address: str, lang: str) -> str:
    r = web.api(login).get(f"/api/v1/cases/{case}/documents/{address}", params={"lang": lang})
    assert r.status_code == 200 and r.headers["content-type"] == DOCX, (address, r.text)
    text = text_of(r.content)
    assert "{{" not in text and "{%" not in text, address
    return " ".join(text.split())


def test_each_paper_in_kk_and_ru_carries_the_case_as_recorded(world, tmp_path):
    web, ids = world
    status = {k: status_of(web, tmp_path, ids[k]) for k in
              ("foreign", "tax", "reminder", "law", "enterprise", "forms")}
    assert status["foreign"]["person"] == {"name": EMPLOYEE, "position": EMPLOYEE_POSITION}
    # the closing deadline as merzim computes it: six months from the day found
    closing = next(st for st in status["foreign"]["stages"] if st["key"] == "closure_proof")
    assert date.fromisoformat(closing["due"]) >= FOUND + timedelta(days=180)
    for login, key, address, _confirms in PAPERS:
        listed = web.api(login).get(f"/api/v1/cases/{ids[key]}/documents").json()["documents"]
        assert address in [d["address"] for d in listed], (key, listed)
    for lang in ("kk", "ru"):
        got = {address: _draft(web, login, ids[key], address, lang)
               for login, key, address, _c in PAPERS}
        fa, st = got["notify"], status["foreign"]
        assert EMPLOYEE in fa and EMPLOYEE_POSITION in fa
        assert _day(st, "found") == written(FOUND) and written(FOUND) in fa
        assert due_of(st, "closure_proof", lang) in fa and due_of(st, "notify", lang) in fa
        assert "№ " + BLANK in fa and written(TODAY) not in fa  # not notified yet: blanks
        # the order on access: who may access is lines to fill; the tax request's due date
        order, request = got["access_order"], got["tax_request"]
        assert due_of(status["tax"], "tax_request", lang) in order
        assert due_of(status["tax"], "tax_request", lang) in request
        assert "№ " + BLANK in order and "№ " + BLANK in request
        assert "____" in order.split(due_of(status["tax"], "tax_request", lang))[0]
        # the reminder: the declaration deadline, the reminder's own due date
        rem, sr = got["reminder"], status["reminder"]
        assert _day(sr, "declaration_deadline") in rem and due_of(sr, "reminder", lang) in rem
        # the change in the law: its entry into force, 30 working days
        law, sl = got["staff_notice"], status["law"]
        assert written(IN_FORCE) in law and due_of(sl, "staff_notice", lang) in law
        assert due_of(sl, "staff_notice", lang) == written(CALENDAR.add_working_days(IN_FORCE, 30))
        # the enterprise's conflict: the employee's notice and the decision
        se = status["enterprise"]
        for text in (got["notice"], got["settlement"]):
            assert QS_PERSON in text and QS_POSITION in text and written(NOTIFIED) in text
        assert due_of(se, "settlement", lang) in got["settlement"]
        # 003's appendices: the employee's name and position where the form leaves them
        for text in (got["consent"], got["confirmation"]):
            assert HIRED in text and HIRED_POSITION in text
        assert {"kk": "Сыбайлас жемқорлыққа қарсы шектеулерді қабылдау туралы келісім",
                "ru": "Согласие на принятие антикоррупционных ограничений"}[lang] in \
            got["consent"]
        assert {"kk": "(Тиісті ұяшықтарды белгілеңіз)",
                "ru": "(Отметьте соответствующие ячейки)"}[lang] in got["confirmation"]
        assert got["confirmation"].count("□") == 3


@pytest.mark.parametrize(("login", "key", "address", "confirms"), PAPERS,
                         ids=[p[2] for p in PAPERS])
def test_the_signed_scan_recorded_from_its_page_confirms_its_stage(world, login, key, address,
                                                                   confirms):
    web, ids = world
    case = ids[key]
    b = web.browser(login)
    assert f"/cases/{case}/documents/{address}" in b.get(f"/cases/{case}").text
    page = b.get(f"/cases/{case}/documents/{address}")
    assert page.status_code == 200
    for lang in ("kk", "ru", "en"):
        assert f"/cases/{case}/documents/{address}/docx?lang={lang}" in page.text
    assert ('data-testid="document-form"' in page.text) == confirms
    api = web.api(login)
    before = web.dump()
    r = api.post(f"/api/v1/cases/{case}/documents/{address}",
                            data={"date": TODAY.isoformat(), "number": "12-3/45",
                                  "note": "signed"},
                            files={"files": ("signed.pdf", PDF, "application/pdf")})
    if not confirms:  # a paper confirming no stage records nothing
        assert r.status_code == 422, r.text
        assert web.dump() == before
        return
    assert r.status_code == 201, r.text
    with Session(web.engine) as s:
        rec = s.exec(select(EventRecord).where(EventRecord.case_id == case,
                                               EventRecord.event == r.json()["event"])).one()
        assert s.exec(select(EvidenceFile).where(EvidenceFile.record_id == rec.id)).all()
        stages = s.exec(select(Stage).where(Stage.case_id == case)).all()
        assert [st.done_on for st in stages if st.key == r.json()["stage"] or (
            address in ("consent", "confirmation", "settlement") and st.key == address)] \
            == [TODAY]
    # its own date now printed, as recorded (never the day of drafting before)
    text = _draft(web, login, case, address, "ru")
    assert written(TODAY) in text


def test_the_tax_requests_number_is_its_own_not_the_orders(world):
    web, ids = world
    r = web.api("aigerim").post(f"/api/v1/cases/{ids['tax']}/documents/tax_request",
                                data={"date": TODAY.isoformat(), "number": "12-3/45"},
                                files={"files": ("signed.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    assert "№ 12-3/45" in _draft(web, "aigerim", ids["tax"], "tax_request", "kk")
    order = _draft(web, "aigerim", ids["tax"], "access_order", "kk")
    assert "12-3/45" not in order and "№ " + BLANK in order


def _disclosures(web: Web, case: int) -> list[dict]:
    with Session(web.engine) as s:
        return [json.loads(a.payload) | {"actor": a.actor} for a in s.exec(
            select(AuditRecord).where(AuditRecord.action == visibility.DISCLOSED,
                                      AuditRecord.entity_id == str(case))
            .order_by(col(AuditRecord.id)))]


def test_a_protected_persons_papers(world, tmp_path):
    web, ids = world
    case = ids["protected"]
    # refused to an officer of her organisation who may not see her and to the manager above:
    # as if the case had no papers, nothing stored
    clients = {login: web.api(login) for login in ("kairat", "nurlan")}
    before = web.dump()
    for login, api in clients.items():
        for address in ("statement", "answer"):
            r = api.get(f"/api/v1/cases/{case}/documents/{address}", params={"lang": "ru"})
            assert r.status_code == 404 and SECRET not in r.text, (login, address)
    assert web.dump() == before
    # the memo does not require her name: a blank, and no disclosure
    memo = _draft(web, "asel", case, "answer", "kk")
    assert SECRET not in memo and SECRET_POSITION not in memo and BLANK in memo
    assert _disclosures(web, case) == []
    # her statement does: it carries her, and its drafting is audited as a disclosure
    statement = _draft(web, "asel", case, "statement", "ru")
    assert f"{SECRET}, {SECRET_POSITION}" in statement
    (shown,) = _disclosures(web, case)
    assert shown["actor"] == "api:asel" or shown["actor"].endswith("asel"), shown
    assert shown["paper"] == "statement" and shown["why"] == "paper"
    page = web.browser("asel").get(f"/cases/{case}/documents/statement/docx",
                                   params={"lang": "kk"})
    assert page.status_code == 200
    assert [d["paper"] for d in _disclosures(web, case)] == ["statement", "statement"]
    # the command line's operator drafts it too: audited the same way
    config = tmp_path / "config.toml"
    config.write_text(f'[processes]\ndirs = ["{tmp_path / "procedures"}"]\n', encoding="utf-8")
    merzim = Merzim(tmp_path, db_url=web.engine.url.render_as_string(hide_password=False))
    out = merzim("document", "draft", str(case), "statement", "--lang", "en", "--out",
                 str(tmp_path / "statement.docx"), today=TODAY.isoformat(), config=config)
    assert out.returncode == 0, out.stderr
    assert SECRET in text_of((tmp_path / "statement.docx").read_bytes())
    assert len(_disclosures(web, case)) == 3
    out = merzim("document", "draft", str(case), "answer", "--lang", "en", "--out",
                 str(tmp_path / "memo.docx"), today=TODAY.isoformat(), config=config)
    assert out.returncode == 0 and len(_disclosures(web, case)) == 3  # no name: none
    # the case's history says who drafted which paper, in the reader's language
    for lang, name in (("kk", "Өтініш"), ("ru", "Заявление"), ("en", "Statement")):
        history = web.browser("asel").get(f"/cases/{case}", params={"lang": lang}).text
        line = Translator(lang)("history.disclosed_paper", login=shown["seen_by"], paper=name)
        assert line.replace("«", "&laquo;").replace("»", "&raquo;") in history or \
            line in history, lang


def test_a_whistleblowers_covering_letter_names_her_to_whom_she_is_shown_alone(world, tmp_path):
    """The shipped whistleblower's paper: the covering letter sending the collegial body's
    protocol with its decision (002:L269) names her and the days as recorded; refused as not
    found to her organisation's other officer and to the manager above, nothing stored; each
    drafting that shows her audited as a disclosure."""
    web, ids = world
    case = ids["whistleblower"]
    clients = {login: (web.api(login), web.browser(login)) for login in ("kairat", "nurlan")}
    before = web.dump()
    for login, (api, browser) in clients.items():
        r = api.get(f"/api/v1/cases/{case}/documents/protocol_to_agency", params={"lang": "ru"})
        assert r.status_code == 404 and SECRET not in r.text, login
        page = browser.get(f"/cases/{case}/documents/protocol_to_agency/docx",
                           params={"lang": "kk"})
        assert page.status_code == 404 and SECRET not in page.text, login
    assert web.dump() == before
    status = status_of(web, tmp_path, case)
    for lang in ("kk", "ru"):
        text = _draft(web, "asel", case, "protocol_to_agency", lang)
        assert f"{SECRET}, {SECRET_POSITION}" in text, lang
        assert _day(status, "application_received") in text, lang
        assert written(DECIDED) in text and _day(status, "decided") in text, lang
        assert due_of(status, "protocol_to_agency", lang) in text, lang
    page = web.browser("asel").get(f"/cases/{case}/documents/protocol_to_agency/docx",
                                   params={"lang": "kk"})
    assert page.status_code == 200 and SECRET in text_of(page.content)
    shown = _disclosures(web, case)
    assert [d["paper"] for d in shown] == ["protocol_letter"] * 3, shown
    assert all(d["why"] == "paper" for d in shown)
