"""The documents as they are signed: the demo's first analysis's order, analytic note, action
plan and monitoring report, and the papers of a conflict of interest and a gift (the
forwarding note, the recommendations, the decision, the hand-over act), drafted in kk and ru,
printed to PDF by LibreOffice (Debian's libreoffice-writer-nogui; .ci/run installs it) and read
back with pypdf: A4 pages, no empty page, each table's header row repeated on every page it
runs over, the Kazakh and Russian letters as written, the page numbers printed.

The action plan is printed with enough measures to run over a page (the demo's own and forty
more), so that the repeated header is seen."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from tests.support.features import module_of
from tests.support.libreoffice import libreoffice, print_pdf
from tests.support.web_helpers import CALENDAR, DEFINITION, TODAY, demo_database
from workflow import services as svc
from workflow.definitions import load_registry

documents = module_of("documents", "service")
A4 = (595, 842)  # points, portrait
KAZAKH = set("әғқңөұүі")  # the letters of Kazakh that Russian has not, in the fixed text
HEADER = {"kk": "Жұмыс түрі", "ru": "Вид работ"}  # the work plan's header cell
ORG = {"kk": "Облыс бойынша мемлекеттік кірістер департаменті",
       "ru": "Департамент государственных доходов по области"}  # the demo's organisation
QS_ORG = {"kk": "«Жетісу» ӘКК АҚ", "ru": "АО СПК «Жетісу»"}  # QS-ZHETYSU, the quasi-state
SCHEDULE_ORG = {"kk": "Білім басқармасы", "ru": "Управление образования"}  # AK-ALM-EDU's year
TABLE_OF = {"order": "plan_cols", "analytic_note": "rec_cols", "action_plan": "measure_cols",
            "monitoring_report": "status_cols",
            "monitoring_note": "result_cols", "positions_list": "positions_cols",
            "schedule": "schedule_cols"}  # each document's table (layout.words); the minutes
# and the justification note have none
PLAN_HEADER = {"kk": "Аяқталу нысаны", "ru": "Форма завершения"}


def _print(files: list[Path], out: Path) -> dict[str, PdfReader]:
    """The DOCX files printed to PDF by LibreOffice in one run."""
    program = libreoffice("libreoffice-writer-nogui", "the documents are")
    return {k: PdfReader(p) for k, p in print_pdf(files, out, program).items()}


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, PdfReader]:
    """Each document in kk and ru (`<document>-<lang>`) printed, with forty more measures in
    the plan of the demo's first analysis."""
    monitoring = module_of("monitoring", "service")
    tmp = tmp_path_factory.mktemp("print")
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-print", language="en")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", TODAY.isoformat())
        with demo_database("sqlite", tmp) as (eng, ids), Session(eng) as s:
            case = ids["analyses"]["mf_done"]
            monitoring.import_plan(s, ctx, [
                {"measure": f"Мероприятие номер {i} плана, достаточно длинное для двух строк "
                            f"таблицы, с уточнением ответственного и формы",
                 "completion_form": "Приказ", "deadline": TODAY.isoformat(),
                 "responsible": "Отдел таможенного оформления"} for i in range(40)],
                analysis_id=case)
            # the units' report of the first period received yesterday: its review's stage,
            # which the period's report confirms, is made
            svc.record_event(s, ctx, case, "monitoring_report",
                             CALENDAR.add_working_days(TODAY, -1), {"period": "2025N1"})
            s.commit()
            # a conflict of interest at the revenue department, a gift at the education one
            full = svc.Context(CALENDAR, load_registry(), TODAY, actor="test-print",
                               language="en")
            coi = svc.open_case(s, full, "conflict_of_interest", "MF-KGD-ALM",
                                person="Гульмира Тохтарова", position="Главный специалист",
                                dates={"notified": CALENDAR.add_working_days(TODAY, -5)}).id
            gift = svc.open_case(s, full, "gift", "MF-KGD-ALM", person="Ляззат Муханова",
                                 position="Главный специалист",
                                 dates={"received": CALENDAR.add_working_days(TODAY, -2)}).id
            # the foreign account's, the declarations' and the quasi-state policy's papers
            found = svc.open_case(s, full, "foreign_account", "MF-KGD-ALM",
                                  person="Тогжан Искакова", position="Главный инспектор",
                                  dates={"found": CALENDAR.add_working_days(TODAY, -1)}).id
            year = {"period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31)}
            tax = svc.open_case(s, full, "foreign_accounts_request", "MF-KGD-ALM",
                                dates={**year, "period_due": date(2025, 12, 31)},
                                period="2025").id
            reminder = svc.open_case(s, full, "declaration_reminder", "MF-KGD-ALM",
                                     dates={**year, "period_due": date(2025, 8, 15)},
                                     period="2025").id
            law = svc.open_case(s, full, "declaration_law_change", "MF-KGD-ALM",
                                dates={"entry_into_force": TODAY}).id
            qs_coi = svc.open_case(s, full, "enterprise_conflict_of_interest", "QS-ZHETYSU",
                                   person="Аружан Бейсенова", position="Юрист",
                                   dates={"notified": TODAY}).id
            forms = svc.open_case(s, full, "policy_forms", "QS-ZHETYSU",
                                  person="Данияр Омаров", position="Инженер",
                                  dates={"appointed": TODAY}).id
            # a whistleblower's application decided yesterday: the covering letter
            whistle = svc.open_case(s, full, "whistleblower_protection", "MF-KGD-ALM",
                                    person="Нуржан Абдрахманов", position="Специалист",
                                    dates={"application_received": TODAY - timedelta(days=20)},
                                    responsible="aigerim").id
            svc.record_event(s, full, whistle, "decided", CALENDAR.add_working_days(TODAY, -1),
                             {})
            s.commit()
            papers = [(coi, "forward"), (coi, "recommendation"), (coi, "measures"),
                      (gift, "hand_over")]
            more = [(coi, "notice"), (found, "notify"), (tax, "access_order"),
                    (tax, "tax_request"), (reminder, "reminder"), (law, "staff_notice"),
                    (qs_coi, "notice"), (qs_coi, "settlement"), (forms, "consent"),
                    (forms, "confirmation"), (whistle, "protocol_to_agency")]
            quarter = sorted(k for k in svc.stages_of(s, svc.get_case(s, case))
                             if k.startswith("monitoring_review:"))[0]
            files = []
            for lang in ("kk", "ru"):
                for stage in ("order", "public_discussion", "analytic_note", "action_plan",
                              "publication", "positions_list", quarter, "monitoring"):
                    drafted = documents.draft(s, ctx, case, stage, lang)
                    path = tmp / f"{drafted.document}-{lang}.docx"
                    path.write_bytes(drafted.content)
                    files.append(path)
                for paper_case, stage in papers:  # the procedures' papers
                    drafted = documents.draft(s, full, paper_case, stage, lang)
                    path = tmp / f"{drafted.document}-{lang}.docx"
                    path.write_bytes(drafted.content)
                    files.append(path)
                for paper_case, stage in more:  # named by their process (two "notice"s)
                    drafted = documents.draft(s, full, paper_case, stage, lang)
                    process = svc.get_case(s, paper_case).process
                    path = tmp / f"{process}.{drafted.document}-{lang}.docx"
                    path.write_bytes(drafted.content)
                    files.append(path)
                prog, _subject = svc.programme_of(s, "AK-ALM-EDU", TODAY.year)
                drafted = documents.draft_schedule(s, ctx, prog.id, lang)
                path = tmp / f"{drafted.document}-{lang}.docx"
                path.write_bytes(drafted.content)
                files.append(path)
    out = tmp / "pdf"
    out.mkdir()
    return _print(files, out)


@pytest.mark.slow
def test_each_document_prints_on_a4_pages_none_empty(printed):
    assert len(printed) == 48  # nine documents and fifteen papers in two languages
    for name, pdf in printed.items():
        for number, page in enumerate(pdf.pages, start=1):
            box = page.mediabox
            assert (round(float(box.width)), round(float(box.height))) == A4, name
            text = page.extract_text()
            assert len(text.split()) > 3, (name, number)  # no empty page
            assert str(number) in text.split(), (name, number)  # its page number


@pytest.mark.slow
def test_kazakh_and_russian_letters_are_intact(printed):
    for lang in ("kk", "ru"):
        order = "\n".join(p.extract_text() for p in printed[f"order-{lang}"].pages)
        assert HEADER[lang] in order
        assert ("БҰЙРЫҚ" if lang == "kk" else "ПРИКАЗ") in order
        if lang == "kk":
            assert not KAZAKH - set(order.lower()), KAZAKH - set(order.lower())
        assert "Департамент" in order or "департаменті" in order


@pytest.mark.slow
def test_the_plans_header_row_repeats_on_every_page(printed):
    for lang in ("kk", "ru"):
        pages = printed[f"action_plan-{lang}"].pages
        assert len(pages) > 1, "forty more measures run over a page"
        for page in pages:
            assert PLAN_HEADER[lang] in " ".join(page.extract_text().split()), lang


def _text(pdf: PdfReader) -> str:
    return "\n".join(p.extract_text() for p in pdf.pages)


@pytest.mark.slow
def test_what_is_printed_reads_in_the_documents_language(printed):
    layout = module_of("documents", "layout")
    for lang in ("kk", "ru"):
        for name, pdf in printed.items():
            if not name.endswith(f"-{lang}"):
                continue
            text = _text(pdf)
            # the signer recorded as "Head of apparatus" prints as the role in the language
            assert "Head" not in text and "apparatus" not in text, name
            # the organisation heads the first page once (no page header repeating it)
            heading = [line.strip() for line in pdf.pages[0].extract_text().splitlines()[:8]]
            if name.startswith("policy_forms."):  # 003's forms: the appendix's heading
                continue
            org = SCHEDULE_ORG[lang] if name.startswith("schedule-") else \
                QS_ORG[lang] if name.startswith("enterprise_") else ORG[lang]
            assert heading.count(org) == 1, (name, heading)
            # no table column breaks a word of its heading: each word prints whole
            words = set(text.replace("/", " ").replace(",", " ").split())
            table = TABLE_OF.get(name.rsplit("-", 1)[0])
            for heading in layout.words(lang)[table] if table else ():
                for word in heading.replace("/", " ").replace(",", " ").split():
                    assert word in words, (name, word)
        report = _text(printed[f"monitoring_report-{lang}"])
        # the period by its name, never its code ("2026N1"); the dates to come a blank line
        assert not re.search(r"\b\d{4}[NQ]\d\b", report), report[:600]
        assert ("есепті кезең" if lang == "kk" else "отчётный период") in report
        flowing = " ".join(report.split())  # a line LibreOffice wrapped, read as one
        assert re.search(r"\(\d\d\.\d\d\.\d{4} – \d\d\.\d\d\.\d{4}\)", flowing)  # its dates
        assert re.search(r"(срок|мерзімі) \d\d\.\d\d\.\d{4}, (рассмотрен|қаралды)", flowing)
        note = _text(printed[f"monitoring_note-{lang}"])
        assert ("Всего рекомендаций: 4" if lang == "ru" else "Ұсынымдардың барлығы: 4") in note
        assert re.search(r"(рассмотрен|қаралды) _{5,}", report), report[:800]


@pytest.mark.slow
def test_a_table_row_is_never_split_across_pages(printed):
    """Every page that carries a table's (repeated) header row goes on with a whole row, its
    number first: never with the tail of a row begun on the page before (the layout's
    `cantSplit`), so no page holds only the header and the end of one cell."""
    layout = module_of("documents", "layout")
    seen = 0
    for name, pdf in printed.items():
        document, lang = name.rsplit("-", 1)
        if document not in TABLE_OF:
            continue
        columns = layout.words(lang)[TABLE_OF[document]]
        header = re.compile(r"\s+".join(re.escape(w) for c in columns for w in c.split()))
        for number, page in enumerate(pdf.pages, start=1):
            found = header.search(page.extract_text())
            if found is None:
                continue
            after = page.extract_text()[found.end():].lstrip()
            first = after.splitlines()[0] if after else ""
            assert re.match(r"\d+ \S", first), (name, number, first)
            seen += 1
    tables = [n for n in printed if n.rsplit("-", 1)[0] in TABLE_OF]  # each shows its once
    assert seen > len(tables), "the plan's header repeats on its next pages"


@pytest.mark.slow
def test_the_procedures_papers_print_in_their_language(printed):
    titles = {"forwarding_note": ("ҚЫЗМЕТТІК ЖАЗБА", "СЛУЖЕБНАЯ ЗАПИСКА"),
              "recommendation": ("ҰСЫНЫМДАР", "РЕКОМЕНДАЦИИ"),
              "decision": ("ШЕШІМ", "РЕШЕНИЕ"),
              "hand_over_act": ("СЫЙЛЫҚТЫ ҚАБЫЛДАУ-ТАПСЫРУ АКТІСІ", "АКТ ПРИЁМА-ПЕРЕДАЧИ ПОДАРКА")}
    for paper, (kk, ru) in titles.items():
        for lang, title in (("kk", kk), ("ru", ru)):
            pdf = printed[f"{paper}-{lang}"]
            # the forwarding note, then the employee's notice on a page of its own
            assert len(pdf.pages) == (2 if paper == "forwarding_note" else 1), (paper, lang)
            text = " ".join(_text(pdf).split())
            assert title in text, (paper, lang, text[:300])
            assert ("Гульмира Тохтарова" if paper != "hand_over_act"
                    else "Ляззат Муханова") in text


@pytest.mark.slow
def test_the_foreign_accounts_declarations_and_003s_papers_print_in_their_language(printed):
    titles = {"conflict_of_interest.notice": ("ХАБАРЛАМА", "УВЕДОМЛЕНИЕ", "Гульмира Тохтарова"),
              "foreign_account.notice": ("ХАБАРЛАМА", "УВЕДОМЛЕНИЕ", "Тогжан Искакова"),
              "foreign_accounts_request.access_order": ("БҰЙРЫҚ", "ПРИКАЗ", ""),
              "foreign_accounts_request.tax_request": ("СҰРАУ", "ЗАПРОС", ""),
              "declaration_reminder.reminder": ("ЖАЗБАША ХАБАРДАР ЕТУ", "ПИСЬМЕННОЕ УВЕДОМЛЕНИЕ",
                                                ""),
              "declaration_law_change.staff_notice": ("НЫСАНДА ХАБАРДАР ЕТУ",
                                                      "ПИСЬМЕННОЕ УВЕДОМЛЕНИЕ", ""),
              "enterprise_conflict_of_interest.notice": ("ХАБАРЛАМА", "УВЕДОМЛЕНИЕ",
                                                         "Аружан Бейсенова"),
              "enterprise_conflict_of_interest.decision": ("ШЕШІМ", "РЕШЕНИЕ",
                                                           "Аружан Бейсенова"),
              "policy_forms.consent": ("келісім", "Согласие", "Данияр Омаров"),
              "policy_forms.confirmation": ("Растау", "Подтверждение", "Данияр Омаров"),
              "whistleblower_protection.protocol_letter": ("ІЛЕСПЕ ХАТ",
                                                           "СОПРОВОДИТЕЛЬНОЕ ПИСЬМО",
                                                           "Нуржан Абдрахманов")}
    for paper, (kk, ru, person) in titles.items():
        for lang, title in (("kk", kk), ("ru", ru)):
            pdf = printed[f"{paper}-{lang}"]
            assert len(pdf.pages) == 1, (paper, lang)  # each on one page
            text = " ".join(_text(pdf).split())
            assert title in text and person in text, (paper, lang, text[:300])
            if lang == "kk" and paper.startswith("policy_forms."):
                assert "Кәсіпорын" in text and "қолы, ТАӘ, лауазымы" in text
