"""An office that moves in mid-year imports its own Russian organisation list (a "№ п/п"
column, no codes, "отдел", a headcount "1 150") and people list ("№ п/п, ФИО, Должность,
Подразделение, E-mail, Телефон") without editing either, as XLSX or CSV, through the web
(a preview, then a confirm) and through the command line (`--dry-run`, then the import): the
same use case behind both. Codes are proposed from the names, logins from the e-mails, roles
are an officer's unless the preview changes one; the columns that are not fields are named;
each new person is invited. A list with mistakes is refused naming each row, and nothing is
stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from tests.support.import_helpers import but_kept
from tests.support.web_helpers import Web, confirm_fields, csrf_of, web_fixture  # noqa: F401
from workflow.storage.models import Invitation, Organisation, OutboxMessage, User

NBSP = "\u00a0"
ORGS = [["№ п/п", "Наименование", "Вид", "Вышестоящая организация", "Штатная численность"],
        ["1", "Акимат Уйгурского района", "акимат района", "Акимат Алматинской области",
         f"1{NBSP}150"],
        ["2", "Отдел образования Уйгурского района", "отдел", "Акимат Уйгурского района", "45"],
        ["3", "Отдел физической культуры и спорта Уйгурского района", "Отдел",
         "Акимат Уйгурского района", "12"]]
PEOPLE = [["№ п/п", "ФИО", "Должность", "Подразделение", "E-mail", "Телефон"],
          ["1", "Сеиткали Айгерим Маратовна", "Главный специалист",
           "Отдел образования Уйгурского района", "A.Seitkali@uigur.gov.kz", "+7 727 252 10 10"],
          ["2", "Жумабеков Ерлан Сапарович", "Руководитель отдела",
           "Отдел физической культуры и спорта Уйгурского района", "e.zhumabekov@uigur.gov.kz",
           "8 (727) 252-10-11"],
          ["3", "Ким Ольга Викторовна", "Специалист", "Акимат Уйгурского района",
           "o.kim@uigur.gov.kz", ""]]
EXPECTED_ORGS = {  # name -> (code proposed from it, kind, parent's name, headcount)
    "Акимат Уйгурского района": ("AKIMAT-UIGURSKOGO-RAIONA", "district_akimat",
                                "Akimat of Almaty region", 1150),
    "Отдел образования Уйгурского района": ("OTDEL-OBRAZOVANIYA", "district_department",
                                           "Акимат Уйгурского района", 45),
    "Отдел физической культуры и спорта Уйгурского района": (
        "OTDEL-FIZICHESKOI", "district_department", "Акимат Уйгурского района", 12),
}
EXPECTED_PEOPLE = {  # login proposed from the e-mail -> (name, organisation's code, e-mail,
    # position: the "Должность" column, kept)
    "a.seitkali": ("Сеиткали Айгерим Маратовна", "OTDEL-OBRAZOVANIYA", "A.Seitkali@uigur.gov.kz",
                   "Главный специалист"),
    "e.zhumabekov": ("Жумабеков Ерлан Сапарович", "OTDEL-FIZICHESKOI",
                     "e.zhumabekov@uigur.gov.kz", "Руководитель отдела"),
    "o.kim": ("Ким Ольга Викторовна", "AKIMAT-UIGURSKOGO-RAIONA", "o.kim@uigur.gov.kz",
              "Специалист"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(rows: list[list[str]], form: str) -> bytes:
    """The list as the office keeps it: an XLSX, or a CSV with ";" (a Russian Excel's)."""
    if form == "csv":
        return ("\n".join(";".join(row) for row in rows) + "\n").encode("utf-8")
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _previewed(web: Web, erlan, page: str, name: str, rows: list[list[str]]):
    """The list `rows` sent as the file `name` (XLSX or CSV by its ending) from the page `page`
    to its import: the preview (200), its text unescaped, and the database before it."""
    form = name.rsplit(".", 1)[1]
    mime = XLSX if form == "xlsx" else "text/csv"
    shown_page = erlan.get(page)
    before = web.dump()
    preview = erlan.post(f"{page}/import", data={"csrf": csrf_of(shown_page.text)},
                         files={"file": (name, _file(rows, form), mime)})
    shown = html.unescape(preview.text)
    assert preview.status_code == 200, shown[-3000:]
    return preview, shown, before


def _stored(web_or_engine) -> tuple[dict, dict, set[str]]:
    """The organisations of the lists, their people, and the addresses invited (outbox)."""
    engine = getattr(web_or_engine, "engine", web_or_engine)
    with Session(engine) as s:
        orgs = {o.id: o for o in s.exec(select(Organisation))}
        ours = {o.name: (o.code, o.kind, orgs[o.parent_id].name if o.parent_id else None,
                         o.headcount) for o in orgs.values() if o.name in EXPECTED_ORGS}
        users = {u.id: u for u in s.exec(select(User)) if u.login in EXPECTED_PEOPLE}
        people = {u.login: (u.full_name, orgs[u.organisation_id].code, u.email, u.position,
                            u.role)
                  for u in users.values()}
        invited = {users[i.user_id].email for i in s.exec(select(Invitation))
                   if i.user_id in users}
        mailed = {m.address for m in s.exec(select(OutboxMessage))
                  if m.channel == "email" and m.recipient_id in users}
    return ours, people, invited & mailed


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_the_office_lists_import_through_the_web_as_they_are(web: Web, form):  # noqa: F811
    erlan = web.browser("erlan")  # the administrator of the Almaty region's akimat
    erlan.cookies.set("merzim_lang", "ru")
    preview, shown, before = _previewed(web, erlan, "/orgs/AK-ALM", f"организации.{form}", ORGS)
    assert "Этот столбец не импортируется: “№ п/п”." in shown  # the running number, named
    for name, (code, _kind, _parent, _staff) in EXPECTED_ORGS.items():
        assert name in shown and code in shown
    assert shown.count("предложен по наименованию") == 3 and "отдел" in shown
    assert "1\u00a0150" in shown  # the headcount grouped as Russian writes it
    assert but_kept(web.dump()) == but_kept(before)  # a preview stores nothing but the file
    done = erlan.post("/orgs/AK-ALM/import/confirm", data=confirm_fields(preview.text))
    assert done.status_code == 200 and 'data-testid="org-import-done"' in done.text
    assert _stored(web)[0] == EXPECTED_ORGS

    preview, shown, before = _previewed(web, erlan, "/people", f"сотрудники.{form}", PEOPLE)
    assert "Эти столбцы не импортируются: “№ п/п”, “Телефон”." in shown  # a position is kept
    assert '<td data-column="position">Главный специалист</td>' in preview.text
    assert shown.count("предложен по e-mail") == 3
    assert shown.count('<option value="officer" selected>') == 3  # an officer unless changed
    assert but_kept(web.dump()) == but_kept(before)
    # the preview's choice: the head of the sports department is a manager
    done = erlan.post("/people/import/confirm",
                      data=confirm_fields(preview.text, role_3="manager"))
    assert done.status_code == 200, done.text[-3000:]
    assert "Добавлено 3 человека (приглашений по почте: 3), изменено: 0." in html.unescape(done.text)
    _orgs, stored, invited = _stored(web)
    assert stored == {login: (*person, "manager" if login == "e.zhumabekov" else "officer")
                      for login, person in EXPECTED_PEOPLE.items()}
    assert invited == {email for _n, _o, email, _p in EXPECTED_PEOPLE.values()}


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_the_office_lists_import_through_the_command_line_as_they_are(
        web: Web, merzim_db, tmp_path: Path, form):  # noqa: F811
    orgs, people = tmp_path / f"организации.{form}", tmp_path / f"сотрудники.{form}"
    orgs.write_bytes(_file(ORGS, form))
    people.write_bytes(_file(PEOPLE, form))
    before = web.dump()
    dry = merzim_db("org", "import", str(orgs), "--dry-run", lang="ru")
    assert dry.returncode == 0, dry.stderr
    assert "Этот столбец не импортируется: “№ п/п”." in dry.stdout
    assert "OTDEL-OBRAZOVANIYA" in dry.stdout and "Будут добавлены 3 организации." in dry.stdout
    assert web.dump() == before  # --dry-run stores nothing
    run = merzim_db("org", "import", str(orgs), "--json", lang="ru")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["added"] == [c for c, *_ in EXPECTED_ORGS.values()]
    assert _stored(web)[0] == EXPECTED_ORGS

    before = web.dump()
    dry = merzim_db("user", "import", str(people), "--dry-run", lang="ru")
    assert dry.returncode == 0, dry.stderr
    assert "a.seitkali" in dry.stdout and "Эти столбцы не импортируются" in dry.stdout
    assert web.dump() == before
    run = merzim_db("user", "import", str(people), "--json", lang="ru")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["added"] == list(EXPECTED_PEOPLE) and out["invited"] == 3
    assert out["ignored"] == ["№ п/п", "Телефон"]  # headers as her file writes them
    _orgs, stored, invited = _stored(web)
    assert stored == {login: (*person, "officer") for login, person in EXPECTED_PEOPLE.items()}
    assert invited == {email for _n, _o, email, _p in EXPECTED_PEOPLE.values()}


BAD_PEOPLE = [PEOPLE[0],
              ["1", "Сеиткали Айгерим Маратовна", "Главный специалист", "Отдел туризма",
               "A.Seitkali@uigur.gov.kz", ""],  # no such organisation
              ["2", "Ким Ольга Викторовна", "Специалист", "Управление образования",
               "o.kim(at)uigur.gov.kz", ""]]  # not an e-mail address


def test_a_people_list_with_mistakes_is_refused_naming_each_row_and_stores_nothing(
        web: Web, merzim_db, tmp_path: Path):  # noqa: F811
    erlan = web.browser("erlan")
    erlan.cookies.set("merzim_lang", "ru")
    page = erlan.get("/people")
    before = web.dump()
    r = erlan.post("/people/import", data={"csrf": csrf_of(page.text)},
                   files={"file": ("сотрудники.csv", _file(BAD_PEOPLE, "csv"), "text/csv")})
    shown = html.unescape(r.text)
    assert r.status_code == 422 and 'data-testid="people-refused"' in shown
    assert "Строка 2, столбец «Организация», значение «Отдел туризма»" in shown
    assert "Строка 3, столбец «Электронная почта», значение «o.kim(at)uigur.gov.kz»" in shown
    path = tmp_path / "сотрудники.xlsx"
    path.write_bytes(_file(BAD_PEOPLE, "xlsx"))
    run = merzim_db("user", "import", str(path), lang="ru")
    assert run.returncode != 0 and "Строка 2, столбец «Организация»" in run.stderr
    assert "Traceback" not in run.stderr + shown
    assert web.dump() == before


def test_a_confirm_refused_stores_nothing(web: Web):  # noqa: F811
    """A confirm whose rows are no longer good (the organisations added since by another
    preview's confirm), or naming no file previewed, is refused naming each row; nothing
    stored."""
    erlan = web.browser("erlan")
    erlan.cookies.set("merzim_lang", "en")
    page = erlan.get("/orgs/AK-ALM")
    first, second = (erlan.post("/orgs/AK-ALM/import", data={"csrf": csrf_of(page.text)},
                                files={"file": ("o.csv", _file(ORGS, "csv"), "text/csv")})
                     for _ in range(2))
    assert erlan.post("/orgs/AK-ALM/import/confirm",
                      data=confirm_fields(first.text)).status_code == 200
    before = but_kept(web.dump())
    again = erlan.post("/orgs/AK-ALM/import/confirm", data=confirm_fields(second.text))
    assert again.status_code == 422 and "Row 2, column “Name”" in html.unescape(again.text)
    used = erlan.post("/orgs/AK-ALM/import/confirm", data=confirm_fields(first.text))
    assert used.status_code == 422 and "upload it again" in used.text
    assert but_kept(web.dump()) == before


def test_a_headcount_grouped_with_any_space_is_read_on_the_page_and_the_command_line(
        web: Web, merzim_db):  # noqa: F811
    erlan = web.browser("erlan")
    page = erlan.get("/orgs/AK-ALM-EDU")
    r = erlan.post("/orgs/AK-ALM-EDU/headcount",
                   data={"csrf": csrf_of(page.text), "headcount": "1\u202f150"})
    assert r.status_code == 303
    run = merzim_db("org", "set", "AK-ALM-HLTH", "--headcount", "2 300", "--json")
    assert run.returncode == 0, run.stderr
    with Session(web.engine) as s:
        staff = {o.code: o.headcount for o in s.exec(select(Organisation))}
    assert (staff["AK-ALM-EDU"], staff["AK-ALM-HLTH"]) == (1150, 2300)
