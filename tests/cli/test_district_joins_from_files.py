"""A district joins on a July day from its own files, through the command line alone (B-25): a
region and its first district have used merzim since January; the operator imports the new
district's Russian organisation list (its two отделы and its communal enterprise: "№ п/п", no
codes, a phone column, headcount "1 150"), opens its year so far (`obligations sync --from
--org`) before any of its people exist, then imports its people list. The region's ordinary
overdue count that day is what it was the day before; every back-filled stage of the district
and of its units is "before joining -- to confirm"; the officers invited after the back-fill
answer for their organisations' cases (the district's officer for the district's). Then her
done-work sheet for the district and its units imports as her (`case import --as`). On SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, func, select

from tests.support.cli_runner import dated_cli, init_with_orgs
from tests.support.done_work_sheets import ETHICS, standing
from workflow.i18n import Translator
from workflow.storage.models import Case, Organisation, Stage, User

JANUARY, APRIL, JULY_FIRST = date(2026, 1, 5), date(2026, 4, 1), date(2026, 7, 1)
DAY_BEFORE, JOINED = date(2026, 7, 13), date(2026, 7, 14)
ORGS = ("№ п/п,Наименование,Вид,Вышестоящая организация,Телефон,Штатная численность\n"
        "1,Акимат района Девять,акимат района,Region,+7 727 000 00 01,\"1 150\"\n"
        "2,Отдел образования района Девять,отдел,Акимат района Девять,+7 727 000 00 02,14\n"
        "3,Отдел ЖКХ района Девять,отдел,Акимат района Девять,,9\n"
        "4,ГКП «Тазалық»,субъект квазигосударственного сектора,Акимат района Девять,,120\n")
PEOPLE = ("№ п/п;ФИО;Электронная почта;Организация;Телефон\n"
          "1;Аида Серикова;aida@example.kz;Акимат района Девять;+7 701 000 00 01\n"
          "2;Болат Ахметов;bolat@example.kz;Отдел образования района Девять;\n"
          "3;Дана Омарова;dana@example.kz;Отдел ЖКХ района Девять;\n"
          "4;Гульнар Касымова;gulnar@example.kz;ГКП «Тазалық»;\n")


def _overdue(run, day: date, org: str = "AK") -> int:
    return len(run.ok("overdue", "--org", org, today=day.isoformat()))


def _district(db) -> dict[str, int]:
    """The new district's organisations: name → id."""
    with Session(db) as s:
        district = s.exec(select(Organisation).where(
            Organisation.name == "Акимат района Девять")).one()
        return {o.name: o.id for o in s.exec(select(Organisation).where(
            Organisation.path.startswith(district.path)))}


def test_a_district_joins_from_its_own_files_and_its_officers_answer_for_it(
        merzim_db, db, tmp_path):
    init_with_orgs(merzim_db, (("AK", "Region", "akimat", None),
                               ("AK-D1", "District one", "district_akimat", "AK")))
    run = dated_cli(merzim_db, JOINED.isoformat())
    run.ok("obligations", "sync", "--from", "2026-01-01", today=JANUARY.isoformat())
    for day in (APRIL, JULY_FIRST):
        run.ok("obligations", "sync", today=day.isoformat())
    day_before = _overdue(run, DAY_BEFORE)
    assert day_before > 0  # (the region has work overdue: the count is no empty one)

    # its organisations from its own list
    orgs = tmp_path / "организации.csv"
    orgs.write_text(ORGS, encoding="utf-8")
    added = run.ok("org", "import", str(orgs))["added"]
    assert len(added) == 4
    units = _district(db)
    assert len(units) == 4
    with Session(db) as s:
        district = s.exec(select(Organisation).where(
            Organisation.name == "Акимат района Девять")).one()
        code, headcount = district.code, district.headcount
    assert headcount == 1150
    assert _overdue(run, JOINED) == day_before

    # its year so far, before any of its people exist: it and its units join on the day
    opened = run.ok("obligations", "sync", "--from", "2026-01-01", "--org", code)
    assert {o["org"] for o in opened["opened"]} == set(added)
    assert opened["joined_on"] == JOINED.isoformat()
    assert sorted(opened["joined_with_it"]) == sorted(c for c in added if c != code)
    assert _overdue(run, JOINED) == day_before  # the region's ordinary overdue: as before
    with Session(db) as s:
        backfilled = s.exec(select(Stage.case_id, Case.subject_id).join(
            Case, Case.id == Stage.case_id).where(
            Case.subject_id.in_(units.values()), Stage.status == "open",
            Stage.due_date < JOINED)).all()
    assert {subject for _c, subject in backfilled} == set(units.values())
    for lang in ("en", "ru", "kk"):  # every one of them "before joining -- to confirm"
        said = merzim_db("overdue", "--org", code, today=JOINED.isoformat(), lang=lang)
        assert said.returncode == 0, said.stderr
        assert Translator(lang).n("joining.count", len(backfilled)) in said.stdout, said.stdout

    # its people from its own list, invited after the back-fill: each officer answers for her
    # organisation's cases
    people = tmp_path / "сотрудники.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    invited = run.ok("user", "import", str(people))
    assert len(invited["added"]) == 4
    with Session(db) as s:
        officers = {u.organisation_id: u.id for u in s.exec(select(User).where(
            User.organisation_id.in_(units.values())))}
        assert set(officers) == set(units.values())
        for case_id, subject in backfilled:
            case = s.get(Case, case_id)
            if case.person_name is None:
                assert case.responsible_id == officers[subject], (case_id, subject)
        aida = s.exec(select(User).where(User.email == "aida@example.kz")).one()
        assert s.exec(select(func.count()).select_from(Case).where(
            Case.subject_id == units["Акимат района Девять"],
            Case.responsible_id.is_(None), Case.person_name.is_(None))).one() == 0
    assert _overdue(run, JOINED) == day_before

    # her done-work sheet of events held for the district and its отделы, as her
    sheet = tmp_path / "мероприятия.csv"
    sheet.write_text(
        "№ п/п,Подразделение,Дата события,Тема мероприятия,Численность аудитории (участников)\n"
        f"1,{code},15.03.2026,Этика,20\n"
        f"2,{added[1]},16.04.2026,Этика,12\n", encoding="utf-8")
    done = run.ok("case", "import", ETHICS, str(sheet), "--as", aida.login,
                  "--every", "event=Мероприятие проведено",
                  "--every", "commissioner=А. Уполномоченный")
    assert done["done_work"] is True
    assert [t for _c, _on, t in standing(db, code)] == ["Этика"]
    assert [t for _c, _on, t in standing(db, added[1])] == ["Этика"]
