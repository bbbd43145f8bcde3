"""The report forms (appendices 1-6 of seed 000, L1762-2143): produced for a subject and a year
from its registers, through `merzim form` and `GET /forms/{n}.xlsx`, and read back cell by cell.

The world, recorded through the command line (one database per backend for the module): a
state body GOV with two akimats under it, AK (the subject, with its education department
AK-EDU) and OTHER. AK's registers hold entries of 2026 (the forms' year), entries of 2025 and a
cancelled entry that no form of 2026 may show, and OTHER holds an entry of 2026 that AK's forms
may not show. The person of an offence notice is named "=cmd": a cell holding it is text, never
a formula. The seed's Kazakh texts are written out here as the seed gives them (000:L…), so a
change to workflow/forms/layouts.toml that strays from the seed fails; the names of the
registers' fields come from the definitions.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.registers_world import (  # noqa: F401 - the `world` and `web` fixtures
    AK_KK,
    AK_RU,
    D2025,
    D2026,
    REG,
    YEAR,
    cells,
    choice,
    downloaded,
    name,
    produce,
    web_fixture,
    world_fixture,
)
from workflow.forms import rules
from workflow.forms.texts import layouts
from workflow.forms.xlsx import write_xlsx
from workflow.storage.db import make_engine
from workflow.storage.models import AuditRecord, Case

HEADER_KK = ("«Сыбайлас жемқорлықтың алдын-алу және қарсы іс-қимыл» №4 Үлгілік базалық "
             "бағытының жобаларын орындау жөніндегі Нұсқаулыққа №{n} қосымша")  # 000:L1762-1768
HEADER_RU = ("Приложение №{n} к Инструкции по исполнению проектов Типового базового "
             "направления №4 «Предупреждение и противодействие коррупции»")
HEAD_KK = ["Аппарат басшысы", "_______________________(Т.А.Ә)", "(қолы, мөр)",
           "20___ жылғы «     »______________"]  # 000:L1822-1828
HEAD_RU = ["Руководитель аппарата", "_______________________(Ф.И.О.)", "(подпись, печать)",
           "«     »______________ 20___ г."]
ETHICS_KK = ["Әдеп жөніндегі уәкіл", "________________________(Т.А.Ә)", "________________________",
             "(қолы)", "20___ жылғы «     »____________________"]  # 000:L2055-2067
# 000:L1840-1931: appendix 2's nine rows, with their sub-task numbers
ROWS_2_KK = [
    "2.1.1 Сыбайлас жемқорлық құқық бұзушылықтар туралы хабарлама (әкімшілік және қылмыстық)",
    "2.3.1 Бағыныстылардың сыбайлас жемқорлық қылмыстары үшін басшыларды тәртіптік "
    "жауапкершілікке тарту мониторингі",
    "2.3.2 Бағыныстылардың сыбайлас жемқорлығы үшін басшылардың жауапкершілігін басқа "
    "лауазымға тағайындалуына байланысты қарастырмау фактілерін анықтау",
    "2.4.1 Бұрын сыбайлас жемқорлық құқық бұзушылық жасаған адамдарды жұмысқа қабылдау "
    "фактілерін анықтау",
    "2.5.1 Мемлекеттік функцияларды орындаумен сыйыспайтын қызметті жүзеге асыратын "
    "тұлғаларды анықтау",
    "2.5.2 Мүдделер қақтығысы бар жағдайда лауазымдық міндеттерді жүзеге асыру фактілерін "
    "анықтау",
    "2.5.3 Мүліктік және мүліктік емес игіліктер мен артықшылықтарды алу мақсатында ресми "
    "таратылуға жатпайтын қызметтік және өзге де ақпаратты пайдалану фактілерін анықтау",
    "2.5.4 Егер мұндай іс-әрекеттер қызметтік өкілеттікке кіретін болса, тұлғалардың пайдасына "
    "іс-әрекеттер (әрекетсіздік) ету үшін материалдық сыйақы, сыйлықтар немесе қызметтер "
    "қабылдау фактілерін анықтау",
    "2.5.5 Қазақстан Республикасынан тыс жерлерде орналасқан шетелдік банктерде шоттарды "
    "(салымдарды) ашу, иелену, қолма-қол ақша мен құндылықтарды сақтау фактілерін анықтау",
]



def fact(process: str, lang: str, person: str | None, values: dict[str, str]) -> str:
    """A line as appendix 2 writes it, a paragraph: the person, then "name: value" in the
    [form] columns' order (those the entry has), each on a line of its own."""
    columns = REG.get(process).raw["form"]["columns"]
    parts = [person] if person else []
    parts += [f"{name(process, k, lang)}: {values[k]}" for k in columns if k in values]
    return "\n".join(parts)


# -- the world ------------------------------------------------------------------------------------


def merged(path: Path) -> set[str]:
    return {str(r) for r in load_workbook(path).active.merged_cells.ranges}


def top(n: int, lang: str, sign: list[str], title: list[str], name: str | None = None
        ) -> dict[str, Any]:
    """The header line, the organisation's name, the approval block and the title, from A1."""
    out = {"A1": (HEADER_KK if lang == "kk" else HEADER_RU).format(n=n),
           "A3": name or (AK_KK if lang == "kk" else AK_RU)}
    row = 5
    for text in sign:
        out[f"A{row}"] = text
        row += 1
    row += 1 if sign else 0
    for text in title:
        out[f"A{row}"] = text
        row += 1
    return out


# -- the forms, cell by cell ------------------------------------------------------------------------


@needs("planning")
def test_appendix_2_in_kazakh_has_the_nine_rows_of_the_subject_and_year(world):
    path = produce(world, 2, "kk")
    got = cells(path)
    nothing = "Анықталған жоқ"
    notice = fact("offence_notice", "kk", "=cmd, Chief specialist", {
        "category": choice("offence_notice", "category", "criminal", "kk"),
        "detected": "10.03.2026", "place": "Konaev", "damage": "250\u00a0000",
        "notified": "12.03.2026", "letter": "12-34/567"})
    liability = fact("manager_liability", "kk", "Supervisor Bekov, Head of department", {
        "offence_category": "Grave crime", "incidents": "A bribe taken for a licence",
        "erdr_number": "261234", "court": "Almaty city court", "court_act": "01.04.2026",
        "in_force": "20.04.2026",
        "supervisor_political": choice("manager_liability", "supervisor_political", "no", "kk"),
        "three_months": choice("manager_liability", "three_months", "yes", "kk")})
    gift = fact("restriction_breach", "kk", "Gift Taker, Head", {
        "kind": choice("restriction_breach", "kind", "reward_or_gift", "kk"),
        "detected": "01.06.2026"})
    side = fact("restriction_breach", "kk", "Side Worker, Specialist", {
        "kind": choice("restriction_breach", "kind", "incompatible_activity", "kk"),
        "detected": "01.07.2026", "additional_activity": "Paid consulting"})
    body = [notice, liability, nothing, nothing, side, nothing, nothing, gift, nothing]
    expected = {
        **top(2, "kk", HEAD_KK, ["ЕСЕП (Анықтама)",
                                 "Сыбайлас жемқорлыққа қарсы заңнама нормаларын сақтау"]),
        "A13": "Қосалқы тапсырма №",  # 000:L1838
        "B13": "Анықталған фактінің сипаттамасы, қабылданған шаралар",
        **{f"A{14 + i}": row for i, row in enumerate(ROWS_2_KK)},
        **{f"B{14 + i}": text for i, text in enumerate(body)},
    }
    assert got == expected
    assert {"A1:B1", "A3:B3", "A10:B10", "A11:B11"} <= merged(path)
    # another year's, another organisation's and a cancelled entry are not there
    text = "\n".join(map(str, got.values()))
    for absent in ("Old Offender 2025", "OLD-2025", "Other Org Offender", "OTHER-2026",
                   "Mistaken Entry"):
        assert absent not in text


@needs("planning")
def test_appendix_2_in_russian(world):
    got = cells(produce(world, 2, "ru"))
    assert {k: got[k] for k in ("A1", "A3", "A5", "A6", "A7", "A8", "A10", "A11", "A13", "B13")} \
        == {**top(2, "ru", HEAD_RU, ["ОТЧЁТ (Справка)",
                                     "Соблюдение норм антикоррупционного законодательства"]),
            "A13": "№ подзадачи", "B13": "Описание выявленного факта, принятые меры"}
    assert got["A14"] == ("2.1.1 Сообщение о коррупционных правонарушениях (административных и "
                          "уголовных)")
    assert got["B14"].startswith("=cmd, Chief specialist\n")
    assert f"{name('offence_notice', 'category', 'ru')}: " \
        f"{choice('offence_notice', 'category', 'criminal', 'ru')}" in got["B14"].split("\n")
    assert got["B16"] == "Не выявлено"
    assert sorted(k for k in got if k[0] == "A" and int(k[1:]) >= 14) == \
        sorted(f"A{r}" for r in range(14, 23))  # nine rows


@needs("planning")
def test_appendix_3_groups_the_act_in_its_three_categories(world):
    path = produce(world, 3, "kk")
    got = cells(path)
    expected = {
        **top(3, "kk", HEAD_KK, [
            "Әкімшілік және қылмыстық сыбайлас жемқорлық құқық бұзушылықтарды және Мемлекеттік "
            "қызметтің беделін түсіретін құқық бұзушылықтарды", "САЛЫСТЫРУ АКТІСІ"]),
        "A13": "№", "B13": "Санат", "C13": "Құқық бұзушылық фабуласы", "D13": "Мәртебесі",
        "A14": "1.", "B14": "Әкімшілік құқық бұзушылық", "C14": "Plot A1", "D14": "Fined",
        "A15": "2.", "C15": "=Plot A2", "D15": "Fined",
        "A16": "1.", "B16": "Қылмыстық құқық бұзушылық",  # none this year: the seed's blank row
        "A17": "1.", "B17": "Мемлекеттік қызметтің беделін түсіретін құқық бұзушылық",
        "C17": "Plot D1", "D17": "Reprimand",
        "A19": "*Салыстырып тексеруде заңды күшіне енген үкімдер мен қаулылар бойынша "
               "мәліметтер көрсетіледі.",  # 000:L1988
    }
    assert got == expected
    assert {"B14:B15", "A19:D19"} <= merged(path)
    ru = cells(produce(world, 3, "ru"))
    assert (ru["A10"], ru["B13"], ru["B14"], ru["B16"], ru["B17"]) == (
        "АКТ СВЕРКИ", "Категория", "Административное правонарушение", "Уголовное правонарушение",
        "Правонарушение, дискредитирующее государственную службу")
    assert ru["A19"].startswith("*В сверке указываются сведения")


@needs("planning")
def test_appendix_1_the_cartogram_sections_updated(world):
    got = cells(produce(world, 1, "kk"))
    update = ("Сыбайлас жемқорлық картограммасы өзектендірілді: 20.11.2026\n"
              f"{REG.get('internal_risk_analysis').evidence['section'].names['kk']}: "
              "Білім басқармасы\nсілтеме: https://gov.kz/carto/1")
    expected = {
        **top(1, "kk", ["Аппарат басшысы", "____________________________(Т.А.Ә)",
                        "_______________________", "(қолы, мөр)",
                        "«     »________________20___ ж."],  # 000:L1772-1778
              ["Жергілікті атқарушы органының ресми интернет-ресурсында Сыбайлас жемқорлық "
               "картограммасын өзектендіру жөнінде", "ЕСЕП"]),
        "A14": "№", "B14": "Сыбайлас жемқорлық картограммасының бөлімі",
        "C14": "Бөлімді өзектендіру жөнінде ақпарат",  # 000:L1805
        "A15": 1, "B15": "Сыбайлас жемқорлық тәуекелдеріне ұшырайтын лауазымдар", "C15": update,
        "A16": 2, "B16": "Сыбайлас жемқорлық тәуекелдерінің тізбесі", "C16": update,
    }
    assert got == expected
    empty = cells(produce(world, 1, "ru", year=2025))  # nothing updated in 2025
    assert (empty["A1"], empty["A11"], empty["B15"], empty["B16"]) == (
        HEADER_RU.format(n=1), "ОТЧЁТ", "Должности, подверженные коррупционным рискам",
        "Перечень коррупционных рисков")
    assert "C15" not in empty and "C16" not in empty


@needs("planning")
def test_appendix_4_the_social_order_figures_and_breakdown(world):
    got = cells(produce(world, 4, "kk"))
    expected = {
        **top(4, "kk", [], ["Өңірдегі сыбайлас жемқорлыққа қарсы тақырыптағы МӘТ үйлестіру"]),
        "A7": "Өңірде МӘТ барлығы бөлінді", "B7": "5\u00a0000\u00a0000 тңг.",
        "A8": "Сыбайлас жемқорлыққа қарсы тақырыпқа МӘТ бөлінді", "B8": "1\u00a0200\u00a0000 тңг.",
        "C8": "* сонымен қатар, техникалық ерекшеліктерді бөлек папкаға қосу керек",
        "A10": "Сыбайлас жемқорлыққа қарсы тақырыпқа МӘТ соммасы бөлінісінде:",
        "C10": "*конкурсқа сілтеме",
        # the regional departments under their name (000:L2018)
        "A11": "Облыстық басқармалар", "B11": "", "C11": "",
        "A12": "Білім басқармасы", "B12": "700\u00a0000 тңг.", "C12": "https://goszakup.example/1",
        "A14": "Өңірде 2026 жылға МӘТ барлығы бөлінді.", "B14": "5\u00a0000\u00a0000 тңг.",
        "A15": "2026 жылға сыбайлас жемқорлыққа қарсы тақырыпқа МӘТ бөлінді.",
        "B15": "1\u00a0200\u00a0000 тңг.",
        "A16": "Өңірде 2027 жылға МӘТ барлығы бөлінді.", "B16": "6\u00a0000\u00a0000 тңг.",
        "A17": "2027 жылға сыбайлас жемқорлыққа қарсы тақырыпқа МӘТ бөлінді.",
        "B17": "1\u00a0500\u00a0000 тңг.",
    }
    expected = {k: v for k, v in expected.items() if v != ""}
    assert got == expected  # no approval block (000:L1989-2044)
    ru = cells(produce(world, 4, "ru"))
    assert (ru["A5"], ru["A7"], ru["B7"], ru["A11"], ru["A12"], ru["A16"]) == (
        "Координация ГСЗ на антикоррупционную тематику в регионе", "Всего выделено ГСЗ в регионе",
        "5\u00a0000\u00a0000 тг.", "Областные управления", "Управление образования",
        "Всего выделено ГСЗ в регионе на 2027 год.")


def test_appendix_4_groups_the_units_by_departments_then_cities_and_districts(db):
    """The breakdown of the state social order (000:L2018-2024): the regional departments under
    their name, then the cities' and districts' akimats under theirs, each unit a row with its
    amount and competition link, whatever the order the orders were recorded in."""
    from calendars import KazakhstanCalendar
    from tests.support.bulk_helpers import commit
    from workflow import services as svc
    from workflow.definitions import load_registry
    from workflow.forms import service as forms

    ctx = svc.Context(KazakhstanCalendar(), load_registry(), date(2026, 12, 1), actor="test",
                      language="en")

    def recorded(s):
        svc.add_org(s, ctx, "RG", "Region", "akimat")
        for code, title, kind in (("RG-D1", "Kegen district akimat", "district_akimat"),
                                 ("RG-DEP1", "Education department", "department"),
                                 ("RG-C1", "Tekeli city akimat", "district_akimat"),
                                 ("RG-DEP2", "Health department", "department")):
            svc.add_org(s, ctx, code, title, kind, parent_code="RG")
        case = svc.open_checked(s, ctx, "social_order", "RG", period="2026").analysis
        for i, unit in enumerate(("RG-D1", "RG-DEP1", "RG-C1", "RG-DEP2"), start=1):
            svc.record_event(s, ctx, case.id, "unit_order", date(2026, 3, i),
                             {"unit": unit, "amount": str(i * 1000),
                              "url": f"https://goszakup.example/{i}"})

    commit(db, recorded)
    with Session(db) as s:
        data, _shown, _hidden = forms.form_data(s, ctx, 4, "RG", 2026, "ru")
    sheet = rules.lay_out(layouts(), data)
    first = next(c.row for c in sheet.cells if c.value == "*ссылка на конкурс") + 1
    rows = [(sheet.value(r, 1), sheet.value(r, 2)) for r in range(first, first + 7)]
    assert rows == [("Областные управления", ""),
                    ("Education department", "2\u00a0000 тг."),
                    ("Health department", "4\u00a0000 тг."),
                    ("Города и районы", ""),
                    ("Kegen district akimat", "1\u00a0000 тг."),
                    ("Tekeli city akimat", "3\u00a0000 тг."),
                    (None, None)]


@needs("planning")
def test_appendix_5_the_ethics_commissioners_two_rows(world):
    got = cells(produce(world, 5, "kk"))
    event = "ethics_explanatory_event"
    expected = {
        **top(5, "kk", ETHICS_KK, [
            "Әдеп жөніндегі уәкілдердің мемлекетік қызметшілерімен, сонымен бергі сыбайлас "
            "жемқорлық тәуекелдеріне ұшыраған лауазымдарды атқаратын мемлекеттік қызметшілермен "
            "жүйелі профилактикалық жұмысты ұйымдастыруы бойынша", "ЕСЕП"]),  # 000:L2071-2077
        "A14": "№", "B14": "Мемлекеттік қызметкердің Т.А.Ә., лауазымы",
        "C14": "Атқарылған жұмыс жөнінде ақпарат",  # 000:L2081
        "A15": 1, "B15": "Мемлекеттік қызметшілер үшін сыбайлас жемқорлыққа қарсы іс-қимыл "
                         "мәселелері бойынша ай сайынғы түсіндіру және оқыту іс-шараларын өткізу",
        "A16": "1.1", "B16": f"{name(event, 'commissioner', 'kk')}: A. Commissioner",
        # the day each event was held (000:L2081: the information on the work done)
        "C16": f"{name(event, 'event_held', 'kk')}: 10.12.2026\n"
               f"{name(event, 'topic', 'kk')}: Gifts and conflicts\n"
               f"{name(event, 'audience', 'kk')}: 25",
        "A17": 2, "B17": "Сыбайлас жемқорлық тәуекелдеріне шалдыққан лауазымдарды атқаратын "
                         "мемлекеттік қызметшілермен жүйелі алдын алу жұмыстарын ұйымдастыруы",
        # each servant the score counts (a record each) by name and position (000:L2081)
        "A18": "2.1", "B18": f"{name('preventive_work', 'servant', 'kk')}: A. Bekova, Chief specialist",
        "C18": f"{name('preventive_work', 'work_done', 'kk')}: 11.12.2026\n"
               f"{name('preventive_work', 'positions_list', 'kk')}: Register 2026",
        "A19": "2.2", "B19": f"{name('preventive_work', 'servant', 'kk')}: B. Omarov, Head of division",
        "C19": f"{name('preventive_work', 'work_done', 'kk')}: 11.12.2026\n"
               f"{name('preventive_work', 'positions_list', 'kk')}: Register 2026",
    }
    assert got == expected
    assert "Old Commissioner" not in "\n".join(map(str, got.values()))
    ru = cells(produce(world, 5, "ru"))
    assert (ru["A5"], ru["A8"], ru["A11"], ru["B14"]) == (
        "Уполномоченный по этике", "(подпись)", "ОТЧЁТ",
        "Ф.И.О., должность государственного служащего")


@needs("planning")
def test_appendix_6_the_legal_outreach_events(world):
    got = cells(produce(world, 6, "kk"))
    p = "legal_outreach"
    expected = {
        **top(6, "kk", ETHICS_KK, [
            "ҚР Әділет министрлігінің әдістемелік ұсынымдарына сәйкес құқықтық насихаттау "
            "бойынша іс-шаралары жөнінде", "ЕСЕП"]),  # 000:L2122-2124
        "A14": "№",
        "B14": "Өткізілген іс-шара жөнінде ақпарат (мемлекеттік орган қабылдған НҚА түсіндіру, "
               "белгілі бір өмірлік жағдайында әрекет тәртібін түсіндіру), өткізу күні мен уақыты",
        "C14": "Кросс-платформадағы растайтын құжаты бар парақшасына сілтеме (басқа "
               "интернет-ресурсында жарияланған болса, оған сілтеме)",  # 000:L2131-2143
        # each event's day (its record's date) and its time as typed (000:L2133-2135)
        "A15": 1, "B15": f"{name(p, 'explained', 'kk')}: Law on X\n"
                         f"{name(p, 'outreach_event', 'kk')}: 05.05.2026\n"
                         f"{name(p, 'held_at', 'kk')}: 10:00, the akimat's hall",
        "C15": "https://t.me/x/1",
        "A16": 2, "B16": f"{name(p, 'explained', 'kk')}: Life situation: a pension\n"
                         f"{name(p, 'outreach_event', 'kk')}: 01.10.2026\n"
                         f"{name(p, 'held_at', 'kk')}: 15:30, online",
        "C16": "https://t.me/x/2",
    }
    assert got == expected
    ru = cells(produce(world, 6, "ru"))
    assert ru["A1"] == HEADER_RU.format(n=6) and ru["B15"].startswith(
        f"{name(p, 'explained', 'ru')}: Law on X")


@needs("planning")
def test_the_person_named_like_a_formula_stays_text(world):
    path = produce(world, 2, "ru")
    ws = load_workbook(path).active
    assert ws["B14"].value.startswith("=cmd") and ws["B14"].data_type == "s"
    ws3 = load_workbook(produce(world, 3, "ru")).active
    assert ws3["C15"].value == "=Plot A2" and ws3["C15"].data_type == "s"


@needs("planning")
def test_another_organisations_form_holds_only_its_own(world):
    got = cells(produce(world, 2, "kk", org="OTHER"))
    assert got["A3"] == "Басқа әкімдік"
    assert got["B14"].startswith("Other Org Offender, Clerk\n")
    assert all(got[f"B{r}"] == "Анықталған жоқ" for r in range(15, 23))


# -- the command line -------------------------------------------------------------------------------


@needs("planning")
def test_the_default_file_name_and_json(world):
    m = world["m"]
    result = m("form", "2", "AK", "--year", str(YEAR))
    assert result.returncode == 0, result.stderr
    path = m.cwd / "appendix-2-AK-2026-kk.xlsx"  # an English reader: the form in Kazakh
    assert str(path.name) in result.stdout and path.is_file()
    assert cells(path)["A1"] == HEADER_KK.format(n=2)
    kk = m("form", "3", "AK", "--year", str(YEAR), lang="kk")
    assert kk.returncode == 0 and "қосымша-3-AK-2026-kk.xlsx" in kk.stdout
    ru = m("form", "6", "AK", "--year", str(YEAR), "--json", lang="ru")
    out = json.loads(ru.stdout)
    assert out == {"appendix": 6, "org": "AK", "year": 2026, "lang": "ru",
                   "file": "приложение-6-AK-2026-ru.xlsx", "lines": 2,
                   "taken_in": ["Управление образования"]}  # B-18: the akimat's department
    assert cells(m.cwd / out["file"])["A1"] == HEADER_RU.format(n=6)


@needs("planning")
@pytest.mark.parametrize(("args", "code", "en", "kk"), [
    (["7", "AK"], 2, "There is no appendix 7: the report forms are appendices 1–6.",
     "7 қосымшасы жоқ: есеп нысандары — 1–6 қосымшалар."),
    (["0", "AK"], 2, "There is no appendix 0", "0 қосымшасы жоқ"),
    (["two", "AK"], 2, "There is no appendix two", "two қосымшасы жоқ"),
    (["2", "NOPE"], 4, "No organisation with code NOPE.", "NOPE"),
    (["2", "AK", "--year", "abc"], 2, "--year: 'abc' is not a whole number", "abc"),
    (["2", "AK", "--year", "1800"], 2, "1800 is outside the calendar data", "1800"),
    (["2", "AK", "--lang", "en"], 2,
     "A report form is written in Kazakh or Russian (kk or ru), not “en”.", "«en» емес"),
])
def test_refusals_in_the_readers_language(world, args, code, en, kk):
    m = world["m"]
    for lang, text in (("en", en), ("kk", kk)):
        result = m("form", *args, lang=lang)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert text in result.stderr, (lang, result.stderr)
        assert "Traceback" not in result.stderr and not result.stdout


# -- the web: who may have a form, and whom it names -----------------------------------------------


@needs("planning")
def test_the_subjects_officer_downloads_the_form_with_the_names(web):
    r = downloaded(web.browser("aida"), f"/forms/2.xlsx?org=AK&year={YEAR}&lang=ru")
    # ?lang= is the page's language too: the file is named in Russian
    named = r.headers["content-disposition"].split("filename*=UTF-8''", 1)[1]
    assert unquote(named) == "приложение-2-AK-2026-ru.xlsx"
    got = cells(r.content)
    assert got["A1"] == HEADER_RU.format(n=2)
    assert got["B14"].startswith("=cmd, Chief specialist\n")
    assert got["B21"].startswith("Gift Taker, Head\n")


@needs("planning")
def test_a_manager_above_sees_the_facts_not_the_offenders(web):
    since = web.last_audit()
    r = downloaded(web.browser("bolat"), f"/forms/2.xlsx?org=AK&year={YEAR}&lang=kk")
    got = cells(r.content)
    text = "\n".join(map(str, got.values()))
    for person in ("=cmd", "Chief specialist", "Supervisor Bekov", "Gift Taker", "Side Worker"):
        assert person not in text
    assert "12-34/567" not in text  # the case's evidence is left out too, as on the case page
    category = choice("offence_notice", "category", "criminal", "kk")
    assert got["B14"] == "\n".join([
        "(жасырылған)", f"{name('offence_notice', 'category', 'kk')}: {category}",
        f"{name('offence_notice', 'detected', 'kk')}: 10.03.2026",
        f"{name('offence_notice', 'place', 'kk')}: Konaev",
        f"{name('offence_notice', 'damage', 'kk')}: 250\u00a0000",
        f"{name('offence_notice', 'notified', 'kk')}: 12.03.2026"])
    assert got["B21"].startswith("(жасырылған)\n")
    audit = web.audit_since(since)
    assert ("web:bolat", "export.form", {"appendix": 2, "year": 2026, "lang": "kk",
                                         "lines": 4, "persons_shown": 0,
                                         "persons_hidden": 4}) in audit


@needs("planning")
def test_an_officer_elsewhere_gets_nothing(web):
    b = web.browser("ruslan")
    hidden = b.get(f"/forms/2.xlsx?org=AK&year={YEAR}")
    missing = b.get(f"/forms/2.xlsx?org=NOPE&year={YEAR}")
    assert hidden.status_code == missing.status_code == 404
    assert "=cmd" not in hidden.text
    own = b.get(f"/forms/2.xlsx?year={YEAR}")  # her own organisation by default
    assert own.status_code == 200 and cells(own.content)["B14"].startswith("Other Org Offender")


@needs("planning")
def test_web_refusals(web):
    b = web.browser("aida")
    assert b.get("/forms/7.xlsx?org=AK").status_code == 422
    assert b.get("/forms/2.xlsx?org=AK&lang=en").status_code == 422
    assert b.get("/forms/2.xlsx?org=AK&year=abc").status_code == 422
    assert web.client().get("/forms/2.xlsx?org=AK").status_code == 303  # to the login page


# -- the sheet model, without openpyxl ---------------------------------------------------------------


def test_the_sheet_model_places_lines_by_row_and_hides_persons():
    value = rules.Value("k", "Name", "=x")
    link = rules.Value("u", "Link", "https://x", url=True)
    data = rules.FormData(5, "ru", 2026, "Org", (
        rules.Line((value, link), "Ivan, clerk", hidden=True, row=1),
        rules.Line((value,), None, row=2)))
    sheet = rules.lay_out(layouts(), data)
    assert sheet.value(16, 1) == "1.1" and sheet.value(16, 2) == "(скрыто)"
    assert sheet.value(16, 3) == "Name: =x\nLink: https://x"  # a paragraph, a value a line
    assert sheet.value(18, 2) == "Name: =x"  # a process about no one: its first value
    assert rules.row_of(5, "reward_or_gift", ("incompatible_activity", "conflict_of_interest",
                                              "insider_information", "reward_or_gift",
                                              "foreign_account")) == 8
    assert rules.row_of(1, None, ()) == 1
    with pytest.raises(Exception, match="appendix"):
        rules.parse_layouts({"texts": {}}, "x.toml")


def test_a_fixed_row_of_several_facts_takes_a_sheet_row_each():
    """Appendix 2's row 2.1.1 with three facts: three sheet rows, its label merged down over
    them, each fact numbered in a cell of its own, as high as its own text; a fact longer than
    a sheet row can be (27 lines) continues on the next, cut between its lines."""
    def made(n: int, lines: int, row: int = 1) -> rules.Line:
        return rules.Line(tuple(rules.Value(f"k{i}", f"Name {i}", f"fact {n} value {i}")
                                for i in range(lines)), f"Person {n}", row=row)

    data = rules.FormData(2, "ru", 2026, "Org", (made(1, 5), made(2, 9), made(3, 3),
                                                 made(4, 40, row=3)))
    sheet = rules.lay_out(layouts(), data)
    first, _ = sheet.heading_rows or (0, 0)
    top = first + 1
    label = "2.1.1 Сообщение о коррупционных правонарушениях (административных и уголовных)"
    assert [sheet.value(top + k, 1) for k in range(3)] == [label, "", ""]
    texts = [str(sheet.value(top + k, 2)) for k in range(3)]
    assert [t.split("\n")[0] for t in texts] == ["1) Person 1", "2) Person 2", "3) Person 3"]
    assert [t.count("\n") + 1 for t in texts] == [6, 10, 4]
    assert rules.Merge(top, 1, top + 2, 1) in sheet.merges
    assert sheet.value(top + 3, 2) == "Не выявлено"  # 2.3.1: no fact, one sheet row
    # 2.3.2: one fact of 41 lines, unnumbered, over two sheet rows (27 and 14 lines)
    long = [str(sheet.value(top + 4 + k, 2)) for k in range(2)]
    assert long[0].startswith("Person 4\n")
    assert "\n".join(long) == rules.line_text(made(4, 40), "")
    assert [t.count("\n") + 1 for t in long] == [27, 14]
    assert rules.Merge(top + 4, 1, top + 5, 1) in sheet.merges
    assert str(sheet.value(top + 6, 1)).startswith("2.4.1 ")
    # the merges do not overlap; the heading row and the page are as before
    covered = [(r, c) for m in sheet.merges for r in range(m.top, m.bottom + 1)
               for c in range(m.left, m.right + 1)]
    assert len(covered) == len(set(covered))
    assert sheet.heading_rows == (first, first) and sheet.value(first, 1) == "№ подзадачи"
    # written: each sheet row as high as its own fact, none over 409 points
    ws = load_workbook(io.BytesIO(write_xlsx(sheet))).active
    heights = [ws.row_dimensions[top + k].height for k in range(6)]
    assert heights == [90, 150, 60, 45, 405, 210], heights  # 45: 2.3.1's label, three lines
    assert all(rules.lines_needed(str(sheet.value(top + k, 2)), 90) <= rules.ROW_LINES
               for k in range(6))
    # a line too long for a sheet row by itself is cut at its spaces
    words = " ".join(f"word{i}" for i in range(600))
    parts = rules.row_parts(words, 90)
    assert len(parts) == 3 and " ".join(parts) == words  # 4 689 characters, 2 113 a row
    assert all(rules.lines_needed(part, 90) <= rules.ROW_LINES for part in parts)


def test_the_layouts_cite_the_seed_and_cover_every_appendix():
    found = layouts()
    assert sorted(found.appendices) == [1, 2, 3, 4, 5, 6]
    assert [len(found.appendices[n].rows) for n in (1, 2, 5)] == [2, 9, 2]
    assert [g.code for g in found.appendices[3].groups] == ["administrative", "criminal",
                                                            "discrediting"]
    assert not found.appendices[4].approval  # 000:L1989-2044: no approval block
    for layout in found.appendices.values():
        assert layout.line.startswith("000:L")
        assert all(c.name.line.startswith("000:L") for c in layout.columns)


@needs("planning")
def test_the_command_line_audits_each_form(world):
    produce(world, 5, "kk")
    engine = make_engine(world["url"])
    with Session(engine) as s:
        last = s.exec(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    engine.dispose()
    assert last is not None and last.action == "export.form" and last.entity_id == "AK"
    assert json.loads(last.payload) == {"appendix": 5, "year": 2026, "lang": "kk", "lines": 3,
                                        "persons_shown": 0, "persons_hidden": 0}


# -- appendices written for some kinds of organisation only -----------------------------------------


@needs("planning")
@pytest.mark.parametrize("n", [1, 4])
@pytest.mark.parametrize("org", ["GOV", "AK-EDU"])
def test_appendices_1_and_4_are_refused_for_bodies_they_are_not_written_for(world, n, org):
    """Appendix 1 (the local executive body's cartogram, 001:L232) and appendix 4 (the region's
    state social order, 001:L682-694) are the regional akimat's: for a central body or a
    department the form is refused with the reason, in the reader's language; nothing written,
    nothing audited."""
    m = world["m"]
    engine = make_engine(world["url"])
    with Session(engine) as s:
        audited = len(s.exec(select(AuditRecord)).all())
    kind = {"GOV": ("central state body", "центральный государственный орган",
                    "орталық мемлекеттік орган"),
            "AK-EDU": ("department", "управление", "басқарма")}[org]
    out = m.cwd / f"refused-{n}-{org}.xlsx"
    for lang, words in (
            ("en", f"Appendix {n} is not written for {org}: it applies to “regional akimat”, "
                   f"“akimat of a city of republican significance”, not "
                   f"to an organisation of kind “{kind[0]}”."),
            ("ru", f"Приложение №{n} не составляется для {org}: оно относится к видам «акимат "
                   f"области», «акимат города республиканского значения», а не к виду «{kind[1]}»."),
            ("kk", f"№{n} қосымша {org} үшін жасалмайды: ол «облыс әкімдігі», "
                   f"«республикалық маңызы бар қала әкімдігі» түріндегі ұйымдарға "
                   f"арналған, «{kind[2]}» түріне емес.")):
        result = m("form", str(n), org, "--year", str(YEAR), "--output", str(out), lang=lang)
        assert result.returncode == 2, (lang, result.stdout, result.stderr)
        assert words in result.stderr, (lang, result.stderr)
        assert "Traceback" not in result.stderr and not result.stdout and not out.exists()
    with Session(engine) as s:
        assert len(s.exec(select(AuditRecord)).all()) == audited
    engine.dispose()
    # the other appendices are written for it
    assert m("form", "2", org, "--year", str(YEAR), "--output", str(out)).returncode == 0


@needs("planning")
def test_the_web_refuses_appendix_4_of_a_central_body_and_lists_it_for_no_one_else(web):
    since = web.last_audit()
    refused = web.browser("bolat").get(f"/forms/4.xlsx?org=GOV&year={YEAR}&lang=ru")
    assert refused.status_code == 422
    assert "не составляется для GOV" in refused.text and "Traceback" not in refused.text
    assert not [a for a in web.audit_since(since) if a[1] == "export.form"]
    assert web.browser("bolat").get(f"/forms/4.xlsx?org=AK&year={YEAR}").status_code == 200


# -- an entry of an earlier version, without the fields the form now prints ----------------------


def test_an_entry_opened_before_the_new_fields_prints_them_not_recorded(db):
    """Entries opened with the registers' earlier versions (restriction_breach 2,
    manager_liability 2) have no additional activity, circumstances, category or incidents:
    appendix 2 prints each field the entry's kind requires as "not recorded", in its place
    (the seed's order), and none its kind does not require (a gift)."""
    from calendars import KazakhstanCalendar
    from tests.support.bulk_helpers import commit
    from workflow import services as svc
    from workflow.definitions import Registry, load_registry
    from workflow.forms import service as forms

    registry = load_registry()
    cal = KazakhstanCalendar()
    now = svc.Context(cal, registry, date(2026, 12, 1), actor="test", language="en")
    breach2 = registry.version("restriction_breach", 2)
    liability2 = registry.version("manager_liability", 2)

    def opened(s):
        svc.add_org(s, now, "AK", "Akimat", "akimat")
        for defn, person, fields, dates in (
                (breach2, "Side Worker", {"kind": "incompatible_activity",
                                          "measures": "Reprimand"}, {"detected": date(2026, 3, 2)}),
                (breach2, "Conflicted", {"kind": "conflict_of_interest"},
                 {"detected": date(2026, 4, 1)}),
                (breach2, "Gift Taker", {"kind": "reward_or_gift"}, {"detected": date(2026, 5, 4)}),
                (liability2, "Supervisor", {"detected_independently": "yes", "court": "Court"},
                 {"court_act": date(2026, 3, 2), "in_force": date(2026, 3, 20)})):
            old = svc.Context(cal, Registry.of(defn), date(2026, 12, 1), actor="test",
                              language="en")
            svc.open_case(s, old, defn.key, "AK", person=person, position="Expert",
                          fields=fields, dates=dates)

    commit(db, opened)
    b, m = registry.get("restriction_breach"), registry.get("manager_liability")
    for lang, missing in (("ru", "не внесено"), ("kk", "енгізілмеген")):
        with Session(db) as s:
            data, _shown, _hidden = forms.form_data(s, now, 2, "AK", 2026, lang)
        lines = {line.person.split(",")[0]: [(v.key, v.name, v.text) for v in line.values]
                 for line in data.lines}
        activity = ("additional_activity", b.fields["additional_activity"].names[lang], missing)
        circumstances = ("circumstances", b.fields["circumstances"].names[lang], missing)
        # in the seed's order: after the kind and the day, before the measures
        assert [k for k, _, _ in lines["Side Worker"]] == ["kind", "detected",
                                                            "additional_activity", "measures"]
        assert activity in lines["Side Worker"] and circumstances not in lines["Side Worker"]
        assert circumstances in lines["Conflicted"] and activity not in lines["Conflicted"]
        assert [k for k, _, _ in lines["Gift Taker"]] == ["kind", "detected"]
        assert [(k, t) for k, _, t in lines["Supervisor"]][:3] == [
            ("offence_category", missing), ("incidents", missing), ("court", "Court")]
        assert lines["Supervisor"][0][1] == m.fields["offence_category"].names[lang]


def test_appendix_5_row_2_names_each_servant_the_score_counts(db):
    """4.2.4 (001:L781-795) scores 1 per servant worked with, at most 10 a month; a record of
    `work_done` is the work with one servant, named with the position, so appendix 5 row 2 lists
    exactly the servants the score and the national input count. A month recorded before
    (version 2: a number of servants, the names typed beside it) still counts its number."""
    from calendars import KazakhstanCalendar
    from tests.support.bulk_helpers import commit
    from workflow import services as svc
    from workflow.definitions import Registry, load_registry
    from workflow.forms import national
    from workflow.forms import service as forms
    from workflow.scorecard import service as scoring
    from workflow.scorecard.rules import ScoreSettings

    registry = load_registry()
    cal = KazakhstanCalendar()
    now = svc.Context(cal, registry, date(2026, 12, 1), actor="test", language="en")
    old = svc.Context(cal, Registry.of(registry.version("preventive_work", 2)), date(2026, 12, 1),
                      actor="test", language="en")
    march = ["A. Bekova, Chief expert", "B. Omarov, Head of division", "C. Dosova, Expert"]

    def recorded(s):
        svc.add_org(s, now, "AK", "Akimat", "akimat")
        feb = svc.open_checked(s, old, "preventive_work", "AK", period="2026M02").analysis
        svc.record_event(s, old, feb.id, "work_done", date(2026, 2, 10),
                         {"servants": "4", "servants_named": "D. Old, E. Old, F. Old, G. Old",
                          "positions_list": "Register 2026"})
        mar = svc.open_checked(s, now, "preventive_work", "AK", period="2026M03").analysis
        for i, servant in enumerate(march, start=1):
            svc.record_event(s, now, mar.id, "work_done", date(2026, 3, i),
                             {"servant": servant, "positions_list": "Register 2026"})

    commit(db, recorded)
    with Session(db) as s:
        card = scoring.scorecards(s, now, "AK", 2026, ScoreSettings())[0]
        data, _shown, _hidden = forms.form_data(s, now, 5, "AK", 2026, "ru")
        figures, _n, _h = national.national_data(s, now, "AK", 2026, "ru")
    indicator = next(i for i in card["indicators"] if i["key"] == "4.2.4")
    assert indicator["points"] == 4 + 3  # February's 4, March's three named servants
    assert figures.figure("preventive_work").value == 7
    row2 = [{v.key: v.text for v in line.values} for line in data.lines if line.row == 2]
    assert [line.get("servant") for line in row2] == ["", *march]  # no name: its own column
    assert row2[0]["servants"] == "4" and "D. Old" in row2[0]["servants_named"]


@needs("planning")
def test_the_web_form_asks_the_field_the_kind_requires(web):
    """The generic web form offers the register's new fields; 2.5.1's additional activity is
    asked when the kind is an incompatible activity (refused beside the field without it,
    nothing stored) and stored with the entry."""
    b = web.browser("aida")
    page = b.get("/cases/new/restriction_breach?lang=en")
    assert page.status_code == 200
    for key in ("additional_activity", "circumstances"):
        assert f'name="field_{key}"' in page.text
    data = {"csrf": web.csrf(b), "person": "Web Worker", "position": "Expert",
            "field_kind": "incompatible_activity", "date_detected": "2024-03-04"}
    before = web.last_audit()
    refused = b.post("/cases/new/restriction_breach?lang=en", data=data)
    assert refused.status_code == 422 and "additional_activity" in refused.text
    assert [a for a in web.audit_since(before) if a[1] != "refused.open"] == []
    opened = b.post("/cases/new/restriction_breach?lang=en",
                    data={**data, "field_additional_activity": "Paid lectures"})
    assert opened.status_code == 303, opened.text[:500]
    case_id = int(opened.headers["location"].rsplit("/", 1)[1])
    with Session(web.engine) as s:
        assert s.get(Case, case_id).fields == {"kind": "incompatible_activity",
                                               "additional_activity": "Paid lectures"}
