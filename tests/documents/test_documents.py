"""The documents of an internal analysis drafted from its data (shared/domain/documents.md): the
order with its work plan, the analytic note, the action plan and the quarterly monitoring
report, as DOCX in kk and ru (en for the demo), from the case page, the command line and the
API; the operator's templates (one organisation's, refused when they do not render); the
signed scan uploaded from the document's place recorded as the stage's confirming document.

The demo's analyses (tests/support/web_helpers.py, today 19 November 2025): `mf_done` is the State
Revenue Department's analysis, published and monitored, with the risks, recommendations and
measures of the documents' part of the demo (workflow/documents/demo.toml); `edu` the education
department's, its analytic note overdue.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import docx
import pytest
from sqlmodel import Session, select

from tests.documents.helpers import (
    DOCX,
    PDF,
    recorded,
    sign_paper,
    stage_and_record,
    status_dues,
    text_of,
    written,
)
from tests.support.cli_runner import Merzim
from tests.support.features import module_of
from tests.support.web_helpers import TODAY, Web, csrf_of
from workflow.storage.models import Case, EventRecord, EvidenceFile, Stage

layout = module_of("documents", "layout")
NAMES = {"order": {"kk": "Ішкі талдау жүргізу туралы бұйрық",
                   "ru": "Приказ о проведении внутреннего анализа"},
         "analytic_note": {"kk": "Талдамалық анықтама", "ru": "Аналитическая справка"},
         "action_plan": {"kk": "Іс-шаралар жоспары", "ru": "План мероприятий"},
         "monitoring_report": {"kk": "Мониторинг есебі", "ru": "Отчёт о мониторинге"},
         "monitoring_note": {"kk": "Мониторинг нәтижелері туралы анықтама",
                             "ru": "Справка о результатах мониторинга"}}
# the demo's signer is recorded by her role: printed as that role in the document's language
SIGNER_AS_ROLE = {"kk": "Аппарат басшысы", "ru": "Руководитель аппарата"}


def _stages(world: Web, case_id: int) -> dict[str, Stage]:
    with Session(world.engine) as s:
        return {st.key: st for st in s.exec(select(Stage).where(Stage.case_id == case_id))}


def test_each_document_in_kk_and_ru_carries_the_case(world: Web, tmp_path):
    kgd = world.analyses["mf_done"]
    data = recorded(world.engine, kgd)
    assert data["risks"] and data["recommendations"] and data["measures"]
    status = Merzim(tmp_path, db_url=world.engine.url.render_as_string(hide_password=False))
    dues = status_dues(status("status", str(kgd), "--json", today=TODAY.isoformat()).stdout)
    api = world.api("aigerim")
    for lang in ("kk", "ru"):
        texts = {}
        # a period's monitoring report: tests/documents/test_monitoring_documents.py (it is
        # drafted once the period's units' report is received); the result note here
        for stage in ("order", "analytic_note", "action_plan", "monitoring"):
            r = api.get(f"/api/v1/cases/{kgd}/documents/{stage}", params={"lang": lang})
            assert r.status_code == 200 and r.headers["content-type"] == DOCX, r.text
            texts[stage.split(":")[0]] = text_of(r.content)
        signer = SIGNER_AS_ROLE[lang] if data["signer"] == "Head of apparatus" else data["signer"]
        for name, text in texts.items():
            assert signer in text, (lang, name)  # the signer block
            assert "Head of apparatus" not in text, (lang, name)  # in the document's language
        # the periods by their names in the language, never their codes ("2026N1")
        assert not re.search(r"\b\d{4}N\d+\b", texts["monitoring"]), lang
        # the order: every stage of the analysis with its deadline as `merzim status` gives it,
        # its working-day basis and the officer
        order = texts["order"]
        for key, due in dues.items():
            if ":" not in key:
                assert written(due) in order, (lang, key)
        assert data["officer"] in order
        assert ("жұмыс күні" if lang == "kk" else "рабочих дней") in order
        # the note: every risk and recommendation, numbered
        for risk in data["risks"]:
            assert risk in texts["analytic_note"]
        for rec in data["recommendations"]:
            assert rec in texts["analytic_note"]
        # the plan and the monitoring report: every measure with its deadline
        for measure, deadline, item in data["measures"]:
            assert written(dues[f"plan_item:{item}"]) == written(deadline)
            for name in ("action_plan", "monitoring"):
                assert measure in texts[name] and written(deadline) in texts[name], (lang, name)


def test_the_case_page_offers_each_document_beside_its_stage(world: Web):
    kgd = world.analyses["mf_done"]
    b = world.browser("aigerim")
    page = b.get(f"/cases/{kgd}").text
    links = re.findall(r'href="(/cases/\d+/documents/[^"]+)"[^>]*data-testid="stage-action"', page)
    stages = [link.rsplit("/", 1)[1] for link in links]
    assert {"order", "analytic_note", "action_plan"} <= set(stages)
    assert "monitoring" in stages  # the note on the results of monitoring
    # a period's report is offered beside its review, once the units' report is received
    assert not any(s.startswith(("monitoring_report:", "monitoring_review:")) for s in stages)
    # the risks the note carries, with their causes, one click from the case page
    assert f'href="/cases/{kgd}/documents/analytic_note#risks"' in page
    assert "Risks and their causes: 3" in page
    doc_page = b.get(links[0])
    assert doc_page.status_code == 200 and 'data-testid="document-form"' in doc_page.text
    r = b.get(f"/cases/{kgd}/documents/order/docx", params={"lang": "ru"})
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    disposition = r.headers["content-disposition"]
    from urllib.parse import unquote
    assert unquote(disposition).endswith(  # the document, organisation, case and day (D-10)
        f"Приказ_о_проведении_внутреннего_анализа_MF-KGD-ALM_№{kgd}_{TODAY.isoformat()}.docx")
    assert "ПРИКАЗ" in text_of(r.content)


def test_the_api_lists_the_documents_and_refuses_what_is_not_one(world: Web):
    kgd = world.analyses["mf_done"]
    api = world.api("aigerim")
    listed = api.get(f"/api/v1/cases/{kgd}/documents").json()
    # in the case's stage order: the order, the discussion's minutes, the note, the plan
    assert [d["stage"] for d in listed["documents"]][:4] == ["order", "public_discussion",
                                                            "analytic_note", "action_plan"]
    other = world.api("saule")  # the officer of another organisation
    before = world.dump()
    r = api.get(f"/api/v1/cases/{kgd}/documents/start_announcement")
    assert r.status_code == 404
    for stage in ("monitoring_report:2099Q9", "monitoring_review:2099Q9",
                  "monitoring_report:2025N1"):  # the units' report has no document of its own
        r = api.get(f"/api/v1/cases/{kgd}/documents/{stage}")
        assert r.status_code == 404, stage
    r = api.get(f"/api/v1/cases/{kgd}/documents/order", params={"lang": "xx"})
    assert r.status_code == 422
    assert other.get(f"/api/v1/cases/{kgd}/documents/order").status_code == 404
    assert world.dump() == before


def test_merzim_document_draft_writes_the_docx(web: Web, merzim_db, tmp_path):
    kgd = str(web.analyses["mf_done"])
    listed = merzim_db("document", "list", kgd, "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["documents"][0]["document"] == "order"
    before = web.dump()
    out = tmp_path / "order.docx"
    r = merzim_db("document", "draft", kgd, "order", "--lang", "kk", "--out", str(out),
                  "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["template"] == "shipped" and shown["language"] == "kk"
    assert shown["filename"].startswith(f"Ішкі_талдау_жүргізу_туралы_бұйрық_MF-KGD-ALM_№{kgd}_")
    assert "БҰЙРЫҚ" in text_of(out.read_bytes())
    d = docx.Document(str(out))
    section = d.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert "PAGE" in section.footer._element.xml  # page numbers
    r = merzim_db("document", "draft", kgd, "start_announcement", lang="ru")
    assert r.returncode != 0 and "нет документа" in r.stderr and "Traceback" not in r.stderr
    assert web.dump() == before  # a draft writes nothing


def _template(path: Path, text: str) -> Path:
    d = docx.Document()
    d.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def test_an_operator_template_is_used_for_her_organisation_only(web: Web, merzim_db, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    config = tmp_path / "config.toml"
    config.write_text('[documents]\ntemplates = "documents"\n', encoding="utf-8")
    mine = _template(tmp_path / "mine.docx",
                     "НАШ ПРИКАЗ {{ organisation.name }} {% for s in stages %}{{ s.due }} "
                     "{% endfor %}")
    r = merzim_db("document", "install-template", str(mine), "--name", "order", "--lang", "ru",
                  "--org", "MF-KGD-ALM", config=config)
    assert r.returncode == 0, r.stderr
    assert (folder / "MF-KGD-ALM" / "ru" / "order.docx").is_file()
    kgd, edu = str(web.analyses["mf_done"]), str(web.analyses["edu"])
    out = tmp_path / "a.docx"
    r = merzim_db("document", "draft", kgd, "order", "--lang", "ru", "--out", str(out),
                  "--json", config=config)
    assert r.returncode == 0 and json.loads(r.stdout)["template"] == "organisation"
    assert "НАШ ПРИКАЗ" in text_of(out.read_bytes())
    r = merzim_db("document", "draft", edu, "order", "--lang", "ru", "--out", str(out),
                  "--json", config=config)
    assert r.returncode == 0 and json.loads(r.stdout)["template"] == "shipped"
    assert "НАШ ПРИКАЗ" not in text_of(out.read_bytes())


@pytest.mark.parametrize(("text", "named"), [
    ("{{ organisation.name }} {{ boss.name }}", "boss"),
    ("{{ organisation.nam }}", "nam"),
    ("{{ organisation.name ", "organisation.name"),
])
def test_a_template_that_does_not_render_is_refused_naming_it(web: Web, merzim_db, tmp_path,
                                                              text, named):
    folder = tmp_path / "documents"
    folder.mkdir()
    config = tmp_path / "config.toml"
    config.write_text('[documents]\ntemplates = "documents"\n', encoding="utf-8")
    bad = _template(tmp_path / "bad.docx", text)
    for command in ("check-template", "install-template"):
        r = merzim_db("document", command, str(bad), "--name", "analytic_note", "--lang", "kk",
                      config=config, lang="ru")
        assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
        assert named in r.stderr and "analytic_note.docx" in r.stderr and "(kk)" in r.stderr
        assert "не установлен" in r.stderr
    assert list(folder.rglob("*")) == []  # nothing installed


@pytest.mark.slow
def test_the_shipped_templates_render_and_are_built_by_the_layout(tmp_path):
    texts = module_of("documents", "texts")
    built = layout.build(tmp_path)
    assert len(built) == 3 * len(texts.template_names())
    for path in built:
        texts.check(path, path.stem, path.parent.name)
        shipped = texts.SHIPPED / path.parent.name / path.name
        assert text_of(shipped.read_bytes()) == text_of(path.read_bytes()), path


def test_the_signed_scan_becomes_the_stages_confirming_document(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}/documents/analytic_note")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    form = {"csrf": csrf, "date": TODAY.isoformat(), "number": "17-ө",
            "signed_by": "Head of apparatus"}
    before = web.dump()
    r = b.post(f"/cases/{edu}/documents/analytic_note", data=form)  # no scan
    assert r.status_code == 422 and "Attach the signed scan" in r.text
    assert web.dump() == before
    sign_paper(b, edu, "analytic_note", form)
    with Session(web.engine) as s:
        st, rec = stage_and_record(s, edu, "analytic_note", "analytic_note")
        assert st.done_on == TODAY
        assert rec.evidence["number"] == "17-ө"
        files = list(s.exec(select(EvidenceFile).where(EvidenceFile.case_id == edu)))
        assert [f.record_id for f in files if f.name == "signed.pdf"] == [rec.id]
        assert s.get(Case, edu).state == "note_signed"


def test_merzim_document_sign_records_the_scan_in_one_step(web: Web, merzim_db, tmp_path):
    edu = web.analyses["edu"]
    scan = tmp_path / "note-signed.pdf"
    scan.write_bytes(PDF)
    before = web.dump()
    r = merzim_db("document", "sign", str(edu), "analytic_note", "--date", TODAY.isoformat(),
                  "--file", str(scan), lang="ru")  # no number nor signer: refused
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert web.dump() == before
    r = merzim_db("document", "sign", str(edu), "analytic_note", "--date", TODAY.isoformat(),
                  "--file", str(scan), "--number", "18-ө", "--signed-by", "Head of apparatus",
                  "--json", today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["event"] == "analytic_note" and shown["file"] == "note-signed.pdf"
    with Session(web.engine) as s:
        files = list(s.exec(select(EvidenceFile).where(EvidenceFile.case_id == edu)))
        assert [f.record_id for f in files if f.name == "note-signed.pdf"] == [shown["record"]]


def test_a_risks_causes_recorded_on_the_web_and_by_command_are_in_the_note(web: Web, merzim_db):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}/documents/analytic_note")
    assert 'data-testid="risk-form"' in page.text
    csrf = csrf_of(page.text)
    other = web.browser("saule")  # the officer of another organisation
    other_csrf = csrf_of(other.get("/account").text)
    before = web.dump()
    r = b.post(f"/cases/{edu}/documents/analytic_note/risks",  # no risk: refused
               data={"csrf": csrf, "description": " ", "causes": "Нет регламента"})
    assert r.status_code == 422 and _risk_problem(r.text) == "Risk must not be empty."
    r = b.post(f"/cases/{edu}/documents/analytic_note/risks",  # causes too long: refused
               data={"csrf": csrf, "description": "Ручное распределение", "causes": "x" * 2001})
    assert r.status_code == 422 and "Causes and conditions" in _risk_problem(r.text)
    r = other.post(f"/cases/{edu}/documents/analytic_note/risks",
                   data={"csrf": other_csrf, "description": "Чужой риск"})
    assert r.status_code == 404
    r = b.post(f"/cases/{edu}/documents/order/risks",  # the order records no risk
               data={"csrf": csrf, "description": "Риск приказа"})
    assert r.status_code == 404
    assert web.dump() == before
    r = b.post(f"/cases/{edu}/documents/analytic_note/risks",
               data={"csrf": csrf, "description": "Ручное распределение мест в садах",
                     "process": "Очередь", "subdivision": "Отдел дошкольного образования",
                     "causes": "Очередь ведётся вручную, без электронного журнала"})
    assert r.status_code == 303, r.text
    page = b.get(f"/cases/{edu}/documents/analytic_note").text
    assert "Очередь ведётся вручную, без электронного журнала" in page
    r = merzim_db("risk", "add", str(edu), "--description", "Выдача справок без учёта",
                  "--causes", "Справки не регистрируются в журнале", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["causes"] == "Справки не регистрируются в журнале"
    r = merzim_db("risk", "add", str(edu), "--description", "Другой риск", "--causes", "y" * 2001,
                  lang="ru")
    assert r.returncode != 0 and "Traceback" not in r.stderr and "2000" in r.stderr
    api = web.api("asel")
    for lang in ("kk", "ru"):
        r = api.get(f"/api/v1/cases/{edu}/documents/analytic_note", params={"lang": lang})
        text = text_of(r.content)
        assert "Очередь ведётся вручную, без электронного журнала" in text, lang
        assert "Справки не регистрируются в журнале" in text, lang
        assert "Другой риск" not in text


def _risk_problem(page: str) -> str:
    found = re.search(r'data-testid="risk-problem">([^<]*)<', page)
    assert found, page
    return found.group(1)


def test_a_persons_position_from_the_people_import_and_her_account_is_printed(
        web: Web, merzim_db, tmp_path):
    kgd = web.analyses["mf_done"]  # aigerim's analysis
    people = tmp_path / "қызметкерлер.csv"
    people.write_text("Логин,Аты-жөні,Ұйым,Лауазымы\n"
                      "aigerim,Aigerim Sadykova,MF-KGD-ALM,Бас маман\n", encoding="utf-8")
    r = merzim_db("user", "import", str(people), "--update", "--json", lang="kk")
    assert r.returncode == 0, r.stderr
    assert not json.loads(r.stdout).get("ignored")  # "Лауазымы" is read, not ignored
    api = web.api("aigerim")

    def drafted(stage: str, lang: str) -> str:
        got = api.get(f"/api/v1/cases/{kgd}/documents/{stage}", params={"lang": lang})
        assert got.status_code == 200, got.text
        return text_of(got.content)

    assert "Aigerim Sadykova, Бас маман" in drafted("order", "kk")  # the group and work plan
    b = web.browser("aigerim")
    csrf = csrf_of(b.get("/account").text)
    before = web.dump()
    r = b.post("/account/position", data={"csrf": csrf, "position": "x" * 301})
    assert r.status_code == 422 and 'data-testid="account-refused"' in r.text
    assert web.dump() == before
    r = b.post("/account/position", data={"csrf": csrf, "position": "Главный специалист"})
    assert r.status_code == 200 and 'data-testid="account-done"' in r.text
    order = drafted("order", "ru")
    assert "Aigerim Sadykova, Главный специалист" in order
    # the signer recorded by her role ("Head of apparatus"): that role in the document's
    # language, her name a blank to fill; no English in a Russian or Kazakh document
    assert "Руководитель аппарата" in order and "Head of apparatus" not in order
    assert "Аппарат басшысы" in drafted("analytic_note", "kk")
    for lang in ("kk", "ru"):
        assert "Head of apparatus" not in drafted("action_plan", lang)


def test_the_api_records_the_signed_scan_as_the_stages_confirming_document(web: Web):
    edu = web.analyses["edu"]
    api = web.api("asel")
    url = f"/api/v1/cases/{edu}/documents/analytic_note"
    form = {"date": TODAY.isoformat(), "number": "19-ө", "signed_by": "Head of apparatus"}
    other = web.api("saule")  # the officer of another organisation
    before = web.dump()
    r = api.post(url, data=form, files={"files": ("", b"", "application/octet-stream")})
    assert r.status_code == 422 and r.json()["error"] == "document.no_scan", r.text
    r = api.post(url, data=form, files={"files": ("signed.exe", io.BytesIO(b"MZ" + b"\0" * 64),
                                                  "application/octet-stream")})
    assert r.status_code == 422 and r.json()["error"] == "files.wrong_type", r.text
    settings = web.app.state.settings  # a scan over [files] max_bytes
    web.app.state.settings = dataclasses.replace(
        settings, files=dataclasses.replace(settings.files, max_bytes=len(PDF) - 1))
    try:
        r = api.post(url, data=form, files={"files": ("signed.pdf", io.BytesIO(PDF),
                                                      "application/pdf")})
    finally:
        web.app.state.settings = settings
    assert r.status_code == 422 and r.json()["error"] == "files.too_large", r.text
    r = other.post(url, data=form, files={"files": ("signed.pdf", io.BytesIO(PDF),
                                                    "application/pdf")})
    assert r.status_code == 404  # a case she may not see
    r = api.post(f"/api/v1/cases/{edu}/documents/start_announcement", data=form,
                 files={"files": ("signed.pdf", io.BytesIO(PDF), "application/pdf")})
    assert r.status_code == 404  # a stage no document confirms
    assert web.dump() == before
    r = api.post(url, data=form, files={"files": ("signed.pdf", io.BytesIO(PDF),
                                                  "application/pdf")})
    assert r.status_code == 201, r.text
    shown = r.json()
    assert shown["event"] == "analytic_note" and shown["files"] == ["signed.pdf"]
    with Session(web.engine) as s:
        rec = s.exec(select(EventRecord).where(EventRecord.case_id == edu,
                                               EventRecord.event == "analytic_note")).one()
        assert rec.id == shown["record"] and rec.evidence["number"] == "19-ө"
        files = list(s.exec(select(EvidenceFile).where(EvidenceFile.case_id == edu)))
        assert [f.record_id for f in files if f.name == "signed.pdf"] == [rec.id]
        assert s.get(Case, edu).state == "note_signed"
