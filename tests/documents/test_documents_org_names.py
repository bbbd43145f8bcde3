"""Organisations and subdivisions by name, in the document's language, in the form the sentence
needs (shared/domain/documents.md D-4): the order's "в деятельности Департамента …" and
"… департаментінің қызметінде"; a Kazakh document names the organisations in Kazakh; a plan
measure whose responsible unit was imported by an organisation's code prints its name; a risk
with no subdivision prints no empty brackets. The forms are kept on the organisation, proposed
when it is added (the command line, the import) and corrected by the command line, the
organisation's page (administrators only) or the import; a bad one is refused in the reader's
language and changes nothing. On SQLite and PostgreSQL.

The demo's `mf_done` analysis is the State Revenue Department's (MF-KGD-ALM: "Департамент
государственных доходов по области", "Облыс бойынша мемлекеттік кірістер департаменті")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.documents.helpers import text_of
from tests.support.web_helpers import (  # noqa: F401 - the `web` fixture
    Web,
    confirm_fields,
    csrf_of,
    web_fixture,
)
from workflow.storage.models import Organisation

RU_NAME = "Департамент государственных доходов по области"
KK_NAME = "Облыс бойынша мемлекеттік кірістер департаменті"
RU_PARENT, KK_PARENT = "Комитет государственных доходов", "Мемлекеттік кірістер комитеті"


def _drafted(web: Web, case: int, stage: str, lang: str) -> str:
    r = web.api("aigerim").get(f"/api/v1/cases/{case}/documents/{stage}", params={"lang": lang})
    assert r.status_code == 200, r.text
    return text_of(r.content)


def _forms(web: Web, code: str) -> tuple[str | None, str | None]:
    with Session(web.engine) as s:
        org = s.exec(select(Organisation).where(Organisation.code == code)).one()
        return org.name_ru_genitive, org.name_kk_genitive


def test_the_order_names_the_object_in_the_genitive_of_its_language(web: Web):
    kgd = web.analyses["mf_done"]
    ru = _drafted(web, kgd, "order", "ru")
    assert ("в деятельности Департамента государственных доходов по области в период"
            in ru), ru
    assert "в деятельности Департамент " not in ru
    kk = _drafted(web, kgd, "order", "kk")
    assert "Облыс бойынша мемлекеттік кірістер департаментінің қызметінде" in kk, kk
    en = _drafted(web, kgd, "order", "en")
    assert "in the activity of State Revenue Department, Almaty region from" in en
    # a Kazakh document names the organisation and its higher body in Kazakh, never in Russian
    for stage in ("order", "analytic_note", "action_plan"):
        kk = _drafted(web, kgd, stage, "kk")
        assert KK_NAME in kk and KK_PARENT in kk, stage
        assert RU_NAME not in kk and RU_PARENT not in kk, stage
        assert "MF-KGD-ALM" not in kk and "MF-KGD-ALM" not in _drafted(web, kgd, stage, "ru")


def test_a_measure_of_an_organisations_code_and_a_risk_of_no_subdivision_print_names_only(
        web: Web, merzim_db, tmp_path: Path):
    kgd = web.analyses["mf_done"]
    plan = tmp_path / "plan.csv"
    plan.write_text("measure,completion_form,deadline,responsible,person\n"
                    "Обучение инспекторов,Приказ,2026-03-02,MF-KGD-ALM,Серикбаев Н. К.\n",
                    encoding="utf-8")
    r = merzim_db("plan", "import", str(kgd), str(plan), "--json")
    assert r.returncode == 0, r.stderr
    r = merzim_db("risk", "add", str(kgd), "--description", "Риск без подразделения",
                  "--causes", "Нет регламента", "--json")
    assert r.returncode == 0, r.stderr
    for lang, name in (("ru", RU_NAME), ("kk", KK_NAME)):
        plan_text = _drafted(web, kgd, "action_plan", lang)
        assert "MF-KGD-ALM" not in plan_text, lang
        assert f"{name}, Серикбаев Н. К." in plan_text, (lang, plan_text)
        note = _drafted(web, kgd, "analytic_note", lang)
        assert "()" not in note and "( )" not in note, lang
        assert "Риск без подразделения. " in note, (lang, note)
        # a subdivision typed as free text stays as typed, in brackets
        assert "(Отдел таможенного оформления)" in note, lang


def test_an_organisation_added_on_the_command_line_keeps_its_proposed_forms(
        web: Web, merzim_db):
    r = merzim_db("org", "add", "AK-ALM-TUR", "--name", "Tourism department", "--kind",
                  "department", "--parent", "AK-ALM", "--name-ru", "Управление туризма",
                  "--name-kk", "Туризм басқармасы", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["name_ru_genitive"], out["name_kk_genitive"]) == ("Управления туризма",
                                                                  "Туризм басқармасының")
    assert _forms(web, "AK-ALM-TUR") == ("Управления туризма", "Туризм басқармасының")
    r = merzim_db("org", "add", "AK-ALM-SPORT", "--name", "Управление спорта", "--kind",
                  "department", "--parent", "AK-ALM", "--name-ru-genitive",
                  "Управления по делам спорта", "--json")
    assert r.returncode == 0, r.stderr
    assert _forms(web, "AK-ALM-SPORT") == ("Управления по делам спорта", None)


def test_forms_corrected_on_the_command_line_are_printed_and_bad_ones_change_nothing(
        web: Web, merzim_db):
    kgd = web.analyses["mf_done"]
    since = web.last_audit()
    r = merzim_db("org", "set", "MF-KGD-ALM", "--name-ru-genitive",
                  "Департамента государственных доходов по Алматинской области", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["name_ru_genitive"] == \
        "Департамента государственных доходов по Алматинской области"
    assert [(a, p["form"], p["after"]) for _w, a, p in web.audit_since(since)] == [
        ("org.name_form", "name_ru_genitive",
         "Департамента государственных доходов по Алматинской области")]
    assert ("в деятельности Департамента государственных доходов по Алматинской области "
            in _drafted(web, kgd, "order", "ru"))
    before = web.dump()
    for args, lang, words in (
            (("--name-ru-genitive", "Д" * 301), "ru", "не длиннее 300 символов"),
            (("--name-kk-genitive", "бір\nекі"), "kk", "бір жолдағы"),
            (("--name-ru-genitive", "12345"), "en", "with letters"),
            (("--headcount", "40", "--name-kk-genitive", "—"), "en", "Name in Kazakh, genitive"),
            ((), "ru", "Изменять нечего")):
        r = merzim_db("org", "set", "MF-KGD-ALM", *args, lang=lang)
        assert r.returncode != 0 and "Traceback" not in r.stderr, (args, r.stderr)
        assert words in r.stderr, (args, r.stderr)
        assert web.dump() == before, args
    # cleared: the documents use the proposal again
    r = merzim_db("org", "set", "MF-KGD-ALM", "--name-ru-genitive", "")
    assert r.returncode == 0, r.stderr
    assert _forms(web, "MF-KGD-ALM")[0] is None
    assert "в деятельности Департамента государственных доходов по области в период" in \
        _drafted(web, kgd, "order", "ru")


def test_an_administrator_corrects_the_forms_on_the_organisation_page(web: Web):
    admin = web.browser("erlan")  # the administrator of AK-ALM
    page = admin.get("/orgs/AK-ALM-EDU")
    assert page.status_code == 200 and 'data-testid="org-forms-form"' in page.text
    assert 'data-testid="org-form-ru">Управления образования<' in page.text  # proposed
    assert 'value="Білім басқармасының"' in page.text  # kept when the demo added it
    since = web.last_audit()
    r = admin.post("/orgs/AK-ALM-EDU/names", data={
        "name_ru_genitive": " Управления образования Алматинской области ",
        "name_kk_genitive": "Білім басқармасының",  # as the form shows it: unchanged
        "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/orgs/AK-ALM-EDU?saved=forms"
    shown = admin.get("/orgs/AK-ALM-EDU?saved=forms").text
    assert 'data-testid="org-forms-saved"' in shown
    assert 'data-testid="org-form-ru">Управления образования Алматинской области<' in shown
    assert 'data-testid="org-form-kk">Білім басқармасының<' in shown
    audit = web.audit_since(since)
    assert [(a, r["form"], r["after"]) for _w, a, r in audit] == [
        ("org.name_form", "name_ru_genitive", "Управления образования Алматинской области")]
    assert _forms(web, "AK-ALM-EDU")[0] == "Управления образования Алматинской области"


@pytest.mark.parametrize("lang, words", [("en", "Name in Russian, genitive"),
                                         ("ru", "Наименование на русском, родительный падеж"),
                                         ("kk", "Орысша атауы, ілік септігі")])
def test_a_bad_form_on_the_page_is_refused_in_her_language_and_changes_nothing(
        web: Web, lang, words):
    reader = web.client(lang=lang)
    assert web.post_login(reader, "erlan").status_code == 303
    csrf = csrf_of(reader.get("/orgs/AK-ALM-EDU").text)
    others = {who: web.browser(who) for who in ("nurlan", "asel")}  # signed in first
    tokens = {who: csrf_of(b.get("/account").text) for who, b in others.items()}
    admin = web.browser("erlan")
    admin_csrf = csrf_of(admin.get("/orgs/AK-ALM-EDU").text)
    before = web.dump()
    r = reader.post("/orgs/AK-ALM-EDU/names", data={
        "name_ru_genitive": "x" * 301, "name_kk_genitive": "Білім басқармасының",
        "csrf": csrf})
    assert r.status_code == 422 and words in r.text and "Traceback" not in r.text
    assert 'data-testid="forms-refusal"' in r.text
    assert 'value="Білім басқармасының"' in r.text  # what she typed, to correct
    assert web.dump() == before  # neither form stored
    for who, code in (("erlan", "MF-KGD"), ("nurlan", "AK-ALM-EDU"), ("asel", "AK-ALM-EDU")):
        b, token = (admin, admin_csrf) if who == "erlan" else (others[who], tokens[who])
        r = b.post(f"/orgs/{code}/names", data={"name_ru_genitive": "Управления",
                                                "name_kk_genitive": "", "csrf": token})
        assert r.status_code == 404, (who, code)
        assert web.dump() == before, (who, code)
    assert 'org-forms-form' not in others["asel"].get("/orgs/AK-ALM-EDU").text


def test_the_organisations_import_keeps_given_forms_proposes_the_others_refuses_bad_ones(
        web: Web, merzim_db, tmp_path: Path):
    good = tmp_path / "orgs.csv"
    good.write_text(
        "Наименование,Вид,Вышестоящая организация,Наименование на русском языке,"
        "Атауы қазақша,Наименование в родительном падеже\n"
        "Отдел культуры Илийского района,отдел,Акимат Илийского района,"
        "Отдел культуры Илийского района,Іле ауданының мәдениет бөлімі,\n"
        "Отдел ЗАГС Илийского района,отдел,Акимат Илийского района,"
        "Отдел ЗАГС Илийского района,,Отдела записи актов гражданского состояния\n",
        encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text(encoding="utf-8").replace(
        "Отдела записи актов гражданского состояния", "1234"), encoding="utf-8")
    before = web.dump()
    r = merzim_db("org", "import", str(bad), lang="ru")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "строка 3" in r.stderr.casefold() or "3" in r.stderr, r.stderr
    assert "1234" in r.stderr and "с буквами" in r.stderr, r.stderr
    assert web.dump() == before
    r = merzim_db("org", "import", str(good), "--json")
    assert r.returncode == 0, r.stderr
    added = json.loads(r.stdout)["added"]
    assert len(added) == 2
    assert _forms(web, added[0]) == ("Отдела культуры Илийского района",
                                     "Іле ауданының мәдениет бөлімінің")
    assert _forms(web, added[1]) == ("Отдела записи актов гражданского состояния", None)


def test_the_web_import_previews_the_proposed_forms_and_stores_them(web: Web):
    erlan = web.browser("erlan")  # the administrator of AK-ALM
    erlan.cookies.set("merzim_lang", "ru")
    page = erlan.get("/orgs/AK-ALM")
    body = ("Код;Наименование;Вид;Атауы қазақша;Атауы ілік септігінде\n"
            "AK-ALM-ENB;Акимат Енбекшиказахского района;акимат района;"
            "Еңбекшіқазақ ауданының әкімдігі;\n"
            "AK-ALM-VET;Управление ветеринарии;управление;Ветеринария басқармасы;"
            "Облыстың ветеринария басқармасының\n").encode()
    preview = erlan.post("/orgs/AK-ALM/import", data={"csrf": csrf_of(page.text)},
                         files={"file": ("организации.csv", body, "text/csv")})
    assert preview.status_code == 200, preview.text[-2000:]
    assert '<td data-column="name_ru_genitive">Акимата Енбекшиказахского района</td>' \
        in preview.text
    assert '<td data-column="name_kk_genitive">Еңбекшіқазақ ауданының әкімдігінің</td>' \
        in preview.text
    with Session(web.engine) as s:
        assert s.exec(select(Organisation).where(Organisation.code == "AK-ALM-ENB")).first() \
            is None
    r = erlan.post("/orgs/AK-ALM/import/confirm", data=confirm_fields(preview.text))
    assert r.status_code == 200 and 'data-testid="org-import-done"' in r.text
    assert _forms(web, "AK-ALM-ENB") == ("Акимата Енбекшиказахского района",
                                         "Еңбекшіқазақ ауданының әкімдігінің")
    assert _forms(web, "AK-ALM-VET") == ("Управления ветеринарии",
                                         "Облыстың ветеринария басқармасының")
