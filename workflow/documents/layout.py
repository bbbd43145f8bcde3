"""Build the shipped DOCX templates (workflow/documents/docx/LANG/NAME.docx) with python-docx:
A4 pages, the organisation in the header, page numbers in the footer, tables whose header row
repeats on every page, and the docxtpl tags the facts fill (texts.PLACEHOLDERS). The fixed
text of each is written in its language. Run after changing a layout or a text, and commit
the files it writes:

    .venv/bin/python -m workflow.documents.layout
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from workflow.documents.texts import SHIPPED, SUFFIX

# The fixed text of each document, by language.
WORDS: dict[str, dict[str, Any]] = {
    "kk": {
        "order_title": "БҰЙРЫҚ",
        "number": "{{ own.date }}                                        № {{ own.number }}",
        "order_subject": "Сыбайлас жемқорлық тәуекелдеріне ішкі талдау жүргізу туралы",
        "order_basis": "Сыбайлас жемқорлыққа қарсы іс-қимыл агенттігі Төрағасының 2023 жылғы "
                       "16 қаңтардағы № 21 бұйрығымен бекітілген Сыбайлас жемқорлық "
                       "тәуекелдеріне ішкі талдау жүргізудің үлгілік қағидаларына сәйкес "
                       "БҰЙЫРАМЫН:",
        "order_1": "1. {{ object_genitive }} қызметінде {{ period.first_day }} бастап "
                   "{{ period.last_day }} дейінгі кезеңде сыбайлас жемқорлық тәуекелдеріне ішкі "
                   "талдау жүргізілсін.",
        "order_2": "2. Талдау жүргізу мына құрамдағы топқа жүктелсін:",
        "order_2_unit": "2. Талдау жүргізу мына бөлімшеге жүктелсін: {{ unit }}.",
        "group_of_unit": "Жұмыс тобының құрамы:",
        "order_3": "3. Қоса беріліп отырған жұмыс жоспары бекітілсін.",
        "order_4": "4. Осы бұйрықтың орындалуын бақылауды өзіме қалдырамын.",
        "work_plan": "Ішкі талдау жүргізудің жұмыс жоспары",
        "annex": "{{ own.date }} № {{ own.number }} бұйрыққа қосымша",
        "plan_cols": ["№", "Жұмыс түрі", "Орындау мерзімі", "Мерзімнің негізі", "Жауапты тұлға"],
        "note": "ТАЛДАМАЛЫҚ АНЫҚТАМА",
        "note_subject": "сыбайлас жемқорлық тәуекелдеріне ішкі талдау нәтижелері бойынша",
        "object": "Талдау объектісі: {{ object }}",
        "period": "Талдау кезеңі: {{ period.first_day }} – {{ period.last_day }}",
        "methods": "Талдау әдістері: {{ methods }}",
        "risks": "1. Анықталған сыбайлас жемқорлық тәуекелдері, олардың себептері мен жағдайлары",
        "risk_cols": ["№", "Тәуекел", "Бөлімше", "Себептері мен жағдайлары"],
        "recs": "2. Ұсынымдар",
        "rec_cols": ["№", "Ұсыным", "Тәуекел №"],
        "plan_title": "Сыбайлас жемқорлық құқық бұзушылықтарға ықпал ететін себептер мен "
                "жағдайларды жою жөніндегі іс-шаралар жоспары",
        "approve": "БЕКІТЕМІН",
        "measure_cols": ["№", "Іс-шара", "Ұсыным / тәуекел №", "Аяқталу нысаны",
                         "Орындау мерзімі", "Жауапты бөлімше, тұлға"],
        "monitoring_title": "Іс-шаралар жоспарының орындалуын мониторингтеу туралы есеп",
        "quarter": "Кезең: {{ quarter.title }}",
        "report_line": "Бөлімшелердің есебі: мерзімі {{ quarter.report_due }}, "
                    "алынды {{ quarter.received_on }}",
        "review_line": "Есепті қарау: мерзімі {{ quarter.review_due }}, "
                    "қаралды {{ quarter.reviewed_on }}",
        "status_cols": ["№", "Іс-шара", "Орындау мерзімі", "Мәртебесі", "Растау"],
        "overdue": "Мерзімі өткен іс-шаралар:",
        "none": "жоқ",
        "signed": "Қол қойған:",
        "result_title": "МОНИТОРИНГ НӘТИЖЕЛЕРІ ТУРАЛЫ АНЫҚТАМА",
        "result_subject": "сыбайлас жемқорлық құқық бұзушылықтарға ықпал ететін себептер мен "
                          "жағдайларды жою жөніндегі ұсынымдардың орындалуы бойынша",
        "result_periods": "Қаралған есептер:",
        "result_period": "{{ p.title }}: есеп алынды {{ p.received_on }}, қарау мерзімі "
                         "{{ p.review_due }}, қаралды {{ p.reviewed_on }}",
        "result_cols": ["№", "Ұсыным (тәуекел №)", "Іс-шаралар: аяқталу нысаны, мерзімі",
                        "Мәртебесі, күні", "Растау"],
        "result_counts": "Ұсынымдардың мәртебелері бойынша саны:",
        "result_total": "Ұсынымдардың барлығы: {{ results.total }}",
    },
    "ru": {
        "order_title": "ПРИКАЗ",
        "number": "{{ own.date }}                                        № {{ own.number }}",
        "order_subject": "О проведении внутреннего анализа коррупционных рисков",
        "order_basis": "В соответствии с Типовыми правилами проведения внутреннего анализа "
                       "коррупционных рисков, утверждёнными приказом Председателя Агентства "
                       "Республики Казахстан по противодействию коррупции от 16 января "
                       "2023 года № 21, ПРИКАЗЫВАЮ:",
        "order_1": "1. Провести внутренний анализ коррупционных рисков в деятельности "
                   "{{ object_genitive }} в период с {{ period.first_day }} по "
                   "{{ period.last_day }}.",
        "order_2": "2. Проведение анализа поручить группе в составе:",
        "order_2_unit": "2. Проведение анализа поручить подразделению: {{ unit }}.",
        "group_of_unit": "Состав рабочей группы:",
        "order_3": "3. Утвердить прилагаемый план работ.",
        "order_4": "4. Контроль за исполнением настоящего приказа оставляю за собой.",
        "work_plan": "План работ по проведению внутреннего анализа",
        "annex": "Приложение к приказу от {{ own.date }} № {{ own.number }}",
        "plan_cols": ["№", "Вид работ", "Срок исполнения", "Основание срока", "Ответственный"],
        "note": "АНАЛИТИЧЕСКАЯ СПРАВКА",
        "note_subject": "по результатам внутреннего анализа коррупционных рисков",
        "object": "Объект анализа: {{ object }}",
        "period": "Период анализа: {{ period.first_day }} – {{ period.last_day }}",
        "methods": "Методы анализа: {{ methods }}",
        "risks": "1. Выявленные коррупционные риски, их причины и условия",
        "risk_cols": ["№", "Риск", "Подразделение", "Причины и условия"],
        "recs": "2. Рекомендации",
        "rec_cols": ["№", "Рекомендация", "Риск №"],
        "plan_title": "План мероприятий по устранению причин и условий, способствующих совершению "
                "коррупционных правонарушений",
        "approve": "УТВЕРЖДАЮ",
        "measure_cols": ["№", "Мероприятие", "Рекомендация / риск №", "Форма завершения",
                         "Срок исполнения", "Ответственное подразделение, лицо"],
        "monitoring_title": "Отчёт о мониторинге исполнения плана мероприятий",
        "quarter": "Период: {{ quarter.title }}",
        "report_line": "Отчёт подразделений: срок {{ quarter.report_due }}, "
                    "получен {{ quarter.received_on }}",
        "review_line": "Рассмотрение отчёта: срок {{ quarter.review_due }}, "
                    "рассмотрен {{ quarter.reviewed_on }}",
        "status_cols": ["№", "Мероприятие", "Срок исполнения", "Статус", "Подтверждение"],
        "overdue": "Просроченные мероприятия:",
        "none": "нет",
        "signed": "Подписал:",
        "result_title": "СПРАВКА О РЕЗУЛЬТАТАХ МОНИТОРИНГА",
        "result_subject": "исполнения рекомендаций по устранению причин и условий, "
                          "способствующих совершению коррупционных правонарушений",
        "result_periods": "Рассмотренные отчёты:",
        "result_period": "{{ p.title }}: отчёт получен {{ p.received_on }}, срок рассмотрения "
                         "{{ p.review_due }}, рассмотрен {{ p.reviewed_on }}",
        "result_cols": ["№", "Рекомендация (риск №)", "Мероприятия: форма завершения, срок",
                        "Статус, дата", "Подтверждение"],
        "result_counts": "Количество рекомендаций по статусам:",
        "result_total": "Всего рекомендаций: {{ results.total }}",
    },
    "en": {
        "order_title": "ORDER",
        "number": "{{ own.date }}                                        No. {{ own.number }}",
        "order_subject": "On conducting the internal analysis of corruption risks",
        "order_basis": "Under the Typical rules of conducting the internal analysis of "
                       "corruption risks approved by order No. 21 of the Chairman of the "
                       "Anti-Corruption Agency of 16 January 2023, I ORDER:",
        "order_1": "1. To conduct the internal analysis of corruption risks in the activity of "
                   "{{ object }} from {{ period.first_day }} to {{ period.last_day }}.",
        "order_2": "2. To entrust the analysis to the group of:",
        "order_2_unit": "2. To entrust the analysis to the unit: {{ unit }}.",
        "group_of_unit": "The working group:",
        "order_3": "3. To approve the attached work plan.",
        "order_4": "4. I keep the control of this order's execution.",
        "work_plan": "Work plan of the internal analysis",
        "annex": "Annex to the order of {{ own.date }} No. {{ own.number }}",
        "plan_cols": ["No.", "Kind of work", "Deadline", "Basis of the deadline",
                      "Responsible"],
        "note": "ANALYTIC NOTE",
        "note_subject": "on the results of the internal analysis of corruption risks",
        "object": "Object of the analysis: {{ object }}",
        "period": "Period of the analysis: {{ period.first_day }} – {{ period.last_day }}",
        "methods": "Methods of the analysis: {{ methods }}",
        "risks": "1. Corruption risks identified, their causes and conditions",
        "risk_cols": ["No.", "Risk", "Subdivision", "Causes and conditions"],
        "recs": "2. Recommendations",
        "rec_cols": ["No.", "Recommendation", "Risk No."],
        "plan_title": "Action plan to remove the causes and conditions of corruption offences",
        "approve": "APPROVED",
        "measure_cols": ["No.", "Measure", "Recommendation / risk No.", "Form of completion",
                         "Deadline", "Responsible subdivision, person"],
        "monitoring_title": "Monitoring report of the action plan",
        "quarter": "Period: {{ quarter.title }}",
        "report_line": "Subdivisions' report: due {{ quarter.report_due }}, "
                    "received {{ quarter.received_on }}",
        "review_line": "Review of the report: due {{ quarter.review_due }}, "
                    "reviewed {{ quarter.reviewed_on }}",
        "status_cols": ["No.", "Measure", "Deadline", "Status", "Evidence"],
        "overdue": "Measures overdue:",
        "none": "none",
        "signed": "Signed:",
        "result_title": "NOTE ON THE RESULTS OF MONITORING",
        "result_subject": "of the recommendations to remove the causes and conditions of "
                          "corruption offences",
        "result_periods": "Reports reviewed:",
        "result_period": "{{ p.title }}: report received {{ p.received_on }}, review due "
                         "{{ p.review_due }}, reviewed {{ p.reviewed_on }}",
        "result_cols": ["No.", "Recommendation (risk No.)", "Measures: form of completion, "
                        "deadline", "Status, day", "Evidence"],
        "result_counts": "Recommendations by status:",
        "result_total": "Recommendations in all: {{ results.total }}",
    },
}


def _new(language: str):
    """A blank A4 document: margins, a plain font, the organisation in the header, the page
    number in the footer."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Liberation Serif"
    style.font.size = Pt(12)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    # the organisation heads the first page in the text (`_org`): the page header names it on
    # the pages after it only
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = "{{ organisation.name }}"
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for footer in (section.footer.paragraphs[0], section.first_page_footer.paragraphs[0]):
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        field = OxmlElement("w:fldSimple")  # the page number, a field Word and LibreOffice fill
        field.set(qn("w:instr"), "PAGE")
        run, shown = OxmlElement("w:r"), OxmlElement("w:t")
        shown.text = "1"
        run.append(shown)
        field.append(run)
        footer._p.append(field)
    doc.core_properties.language = language
    return doc


TEXT_WIDTH = 16.5  # cm: A4's 21 less the margins (3 + 1.5)
# Each table's column widths (cm, summing to TEXT_WIDTH): a number narrow, a date or a short
# reference wide enough for "Срок исполнения", the text columns the rest.
WIDTHS = {
    "plan_cols": (0.9, 5.8, 2.8, 3.8, 3.2),
    "rec_cols": (0.9, 13.1, 2.5),
    "measure_cols": (0.9, 4.0, 2.9, 2.5, 2.5, 3.7),
    "status_cols": (0.9, 5.6, 2.6, 3.4, 4.0),
    "result_cols": (0.9, 4.4, 5.2, 2.8, 3.2),
}
TABLE_POINTS = 10  # a table's text: its headings' words fit their columns whole


def _para(doc, text: str, bold: bool = False, center: bool = False, right: bool = False,
          keep: bool = False):
    """A paragraph; `keep`: kept on the page of the paragraph or table after it (a title)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = keep or None
    p.add_run(text).bold = bold
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return p


def _rows_table(doc, widths: tuple[float, ...], loop: str, header_repeats: bool = False):
    """A four-row table: a header row, the `{%tr for loop %}` row, the row repeated per item
    (left for the caller to fill) and the `{%tr endfor %}` row; its columns `widths` (cm) wide,
    no row split across pages, the header row repeated on every page if `header_repeats`."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table = doc.add_table(rows=4, cols=len(widths))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    if header_repeats:
        mark = OxmlElement("w:tblHeader")  # the header row repeats on each page
        mark.set(qn("w:val"), "true")
        table.rows[0]._tr.get_or_add_trPr().append(mark)
    for row in table.rows:  # a row is never split across pages: a page never ends with the
        whole = OxmlElement("w:cantSplit")  # repeated header and the tail of one cell
        whole.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(whole)
    table.rows[1].cells[0].text = "{%tr for " + loop + " %}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    for cell in table.rows[0].cells:  # the header row never alone at the foot of a page
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True
    return table


def _table(doc, columns: list[str], loop: str, cells: list[str],
           widths: tuple[float, ...]) -> None:
    """A table: its header row (repeated on every page), a row per item of `loop`, its
    columns `widths` (cm) wide."""
    from docx.shared import Pt

    table = _rows_table(doc, widths, loop, header_repeats=True)
    for cell, text in zip(table.rows[0].cells, columns, strict=True):
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = True, Pt(TABLE_POINTS)
    for cell, text in zip(table.rows[2].cells, cells, strict=True):
        cell.paragraphs[0].add_run(text).font.size = Pt(TABLE_POINTS)


def _grid(doc, corner: str) -> None:
    """The risk map as a table: a column per consequence grade (`{%tc for %}`: as many as the
    criteria file has), a row per likelihood grade, each cell shaded by its level and holding
    its risks' numbers."""
    from docx.shared import Pt

    widths = (4.5, 4.0, 4.0, 4.0)  # the loop's three cells become the grades' columns
    table = _rows_table(doc, widths, "g in risk_map.rows")
    header = ("{%tc for c in risk_map.consequence %}", "{{ c }}", "{%tc endfor %}")
    body = ("{%tc for c in g.cells %}", "{{ c.risks }}{% cellbg c.fill %}", "{%tc endfor %}")
    for r, texts in ((0, (corner, *header)), (2, ("{{ g.name }}", *body))):
        for c, (cell, text) in enumerate(zip(table.rows[r].cells, texts, strict=True)):
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(TABLE_POINTS)
            run.bold = r == 0 or c == 0 or None  # the grades' names
    for row in table.rows:  # the map is kept on one page with the levels' lines after it
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def _approval(doc, w: dict[str, Any], dated: str = "{{ own.date }}") -> None:
    """The approval block at the top right: "УТВЕРЖДАЮ", the signer, the recorded date (and
    number, as `dated` writes them)."""
    _para(doc, w["approve"], bold=True, right=True)
    _para(doc, "{{ signer.position }}", right=True)
    _para(doc, "________________  {{ signer.name }}", right=True)
    _para(doc, dated, right=True)


def _signer(doc, w: dict[str, Any]) -> None:
    doc.add_paragraph()
    _para(doc, "{{ signer.position }}", bold=True)
    _para(doc, "________________  {{ signer.name }}", bold=True)


def _org(doc) -> None:
    _para(doc, "{{ organisation.name }}", bold=True, center=True)
    _para(doc, "{{ organisation.parent }}", center=True)


def order(language: str):
    w = WORDS[language]
    doc = _new(language)
    _org(doc)
    _para(doc, w["order_title"], bold=True, center=True)
    _para(doc, w["number"])
    _para(doc, w["order_subject"], bold=True)
    for key in ("order_basis", "order_1"):
        _para(doc, w[key])
    # the group as recorded with the order (D-3): the unit conducting the analysis and its
    # group's members, or the group alone; neither recorded: one member's blanks to fill
    _para(doc, "{%p if unit %}")
    _para(doc, w["order_2_unit"])
    _para(doc, "{%p if group %}")
    _para(doc, w["group_of_unit"])
    _para(doc, "{%p endif %}")
    _para(doc, "{%p else %}")
    _para(doc, w["order_2"])
    _para(doc, "{%p endif %}")
    _para(doc, "{%p for p in group %}")
    _para(doc, "– {{ p.name }}, {{ p.position }}{{ '.' if loop.last else ';' }}")
    _para(doc, "{%p endfor %}")
    for key in ("order_3", "order_4"):
        _para(doc, w[key])
    _signer(doc, w)
    doc.add_page_break()
    _para(doc, w["annex"], right=True, keep=True)
    _para(doc, w["work_plan"], bold=True, center=True, keep=True)
    _table(doc, w["plan_cols"], "s in stages",
           ["{{ s.no }}", "{{ s.name }}", "{{ s.due }}", "{{ s.basis }}",
            "{{ s.responsible.name }}, {{ s.responsible.position }}"], WIDTHS["plan_cols"])
    return doc


def analytic_note(language: str):
    w = words(language)
    doc = _new(language)
    _org(doc)
    _para(doc, w["note"], bold=True, center=True)
    _para(doc, w["number"])
    _para(doc, w["note_subject"], bold=True, center=True)
    for key in ("object", "period", "methods"):
        _para(doc, w[key])
    _para(doc, w["risks"], bold=True)
    _para(doc, "{%p for g in risk_groups %}")
    _para(doc, "{{ g.name }}", bold=True)
    _para(doc, "{%p for r in g.risks %}")
    _para(doc, "{{ r.no }}. {{ r.description }}{% if r.subdivision %} ({{ r.subdivision }})"
          "{% endif %}. "
          + w["risk_cols"][3] + ": {{ r.causes }}")
    _para(doc, w["risk_level"])
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p endfor %}")
    # the risks ranked and mapped by the criteria file's levels (the note's cartogram)
    _para(doc, w["ranking"], bold=True, keep=True)
    _table(doc, w["ranking_cols"], "r in risks_ranked",
           ["{{ r.rank }}", "{{ r.no }}", "{{ r.description }}", "{{ r.level }}",
            "{% if r.score %}{{ r.likelihood }} × {{ r.consequence }} = {{ r.score }}"
            "{% else %}—{% endif %}"], WIDTHS["ranking_cols"])
    _para(doc, w["risk_map"], bold=True, keep=True)
    _grid(doc, w["risk_map_corner"])
    _para(doc, "{%p for g in risk_map.legend %}")
    _para(doc, "{{ g.level }}: {{ g.risks }}")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if risk_map.not_assessed %}")
    _para(doc, w["not_assessed"])
    _para(doc, "{%p endif %}")
    _para(doc, w["recs"], bold=True, keep=True)
    _table(doc, w["rec_cols"], "r in recommendations",
           ["{{ r.no }}", "{{ r.text }}", "{{ r.risk_no }}"], WIDTHS["rec_cols"])
    _signer(doc, w)
    return doc


def action_plan(language: str):
    w = WORDS[language]
    doc = _new(language)
    _approval(doc, w, w["number"].replace(" " * 40, "  "))  # the plan's own (D-1)
    _org(doc)
    _para(doc, w["plan_title"], bold=True, center=True, keep=True)
    _para(doc, w["object"], keep=True)
    _table(doc, w["measure_cols"], "m in plan",
           ["{{ m.no }}", "{{ m.measure }}", "{{ m.answers }}", "{{ m.form }}",
            "{{ m.deadline }}",
            "{{ [m.responsible, m.person, m.position] | select | join(', ') }}"],
           WIDTHS["measure_cols"])
    return doc


def monitoring_report(language: str):
    w = WORDS[language]
    doc = _new(language)
    _org(doc)
    _para(doc, w["monitoring_title"], bold=True, center=True)
    for key in ("object", "quarter", "report_line", "review_line"):
        _para(doc, w[key])
    _table(doc, w["status_cols"], "m in quarter.rows",
           ["{{ m.no }}", "{{ m.measure }}", "{{ m.deadline }}", "{{ m.status }}",
            "{{ m.evidence }}"], WIDTHS["status_cols"])
    _para(doc, w["overdue"], bold=True)
    _para(doc, "{%p for m in quarter.overdue %}")
    _para(doc, "{{ m.no }}. {{ m.measure }} — {{ m.deadline }}")
    _para(doc, "{%p else %}")
    _para(doc, w["none"])
    _para(doc, "{%p endfor %}")
    _signer(doc, w)
    return doc


# The list of positions exposed to corruption risks (appendix 4 of order No. 488: 000:L543-566,
# L584-588): approved by the head, each position with its subdivision and the risk by its
# number in the analytic note.
POSITIONS: dict[str, dict[str, Any]] = {
    "kk": {
        "positions_title": "Сыбайлас жемқорлық тәуекелдеріне ұшырайтын лауазымдардың тізбесі",
        "positions_cols": ["№", "Лауазымы", "Құрылымдық бөлімше",
                           "Сыбайлас жемқорлық тәуекелі (талдамалық анықтамадағы №)"],
        "approved_on": "{{ own.date }} № {{ own.number }}",
    },
    "ru": {
        "positions_title": "Перечень должностей, подверженных коррупционным рискам",
        "positions_cols": ["№", "Должность", "Структурное подразделение",
                           "Коррупционный риск (№ в аналитической справке)"],
        "approved_on": "{{ own.date }} № {{ own.number }}",
    },
    "en": {
        "positions_title": "List of positions exposed to corruption risks",
        "positions_cols": ["No.", "Position", "Subdivision",
                           "Corruption risk (No. in the analytic note)"],
        "approved_on": "{{ own.date }} No. {{ own.number }}",
    },
}
WIDTHS["positions_cols"] = (0.9, 5.0, 4.6, 6.0)

# The risks' levels in the analytic note: each risk's level and rank, the risks ranked, and
# the risk map as a table (the criteria file's grades and levels: docs/monitoring.md).
RISK_LEVELS: dict[str, dict[str, Any]] = {
    "kk": {
        "risk_level": "Тәуекел деңгейі: {{ r.level }}{% if r.score %} (ықтималдығы "
                      "{{ r.likelihood }} × салдары {{ r.consequence }} = {{ r.score }})"
                      "{% endif %}; рангі {{ r.rank }}.",
        "ranking": "Тәуекелдердің рангтері",
        "ranking_cols": ["Ранг", "Тәуекел №", "Тәуекел", "Деңгейі",
                         "Ықтималдығы × салдары"],
        "risk_map": "Сыбайлас жемқорлық тәуекелдерінің картасы",
        "risk_map_corner": "Ықтималдығы \\ салдары",
        "not_assessed": "Бағаланбаған тәуекелдер: {{ risk_map.not_assessed }}",
    },
    "ru": {
        "risk_level": "Уровень риска: {{ r.level }}{% if r.score %} (вероятность "
                      "{{ r.likelihood }} × последствия {{ r.consequence }} = {{ r.score }})"
                      "{% endif %}; ранг {{ r.rank }}.",
        "ranking": "Ранжирование рисков",
        "ranking_cols": ["Ранг", "Риск №", "Риск", "Уровень", "Вероятность × последствия"],
        "risk_map": "Карта коррупционных рисков",
        "risk_map_corner": "Вероятность \\ последствия",
        "not_assessed": "Не оценены риски: {{ risk_map.not_assessed }}",
    },
    "en": {
        "risk_level": "Risk level: {{ r.level }}{% if r.score %} (likelihood "
                      "{{ r.likelihood }} × consequence {{ r.consequence }} = {{ r.score }})"
                      "{% endif %}; rank {{ r.rank }}.",
        "ranking": "The risks ranked",
        "ranking_cols": ["Rank", "Risk No.", "Risk", "Level", "Likelihood × consequence"],
        "risk_map": "Corruption risk map",
        "risk_map_corner": "Likelihood \\ consequence",
        "not_assessed": "Risks not assessed: {{ risk_map.not_assessed }}",
    },
}
WIDTHS["ranking_cols"] = (1.4, 1.6, 8.0, 2.3, 3.2)


def positions_list(language: str):
    w = {**WORDS[language], **POSITIONS[language]}
    doc = _new(language)
    _approval(doc, w, w["approved_on"])
    _org(doc)
    _para(doc, w["positions_title"], bold=True, center=True)
    _para(doc, w["object"])
    _table(doc, w["positions_cols"], "p in positions",
           ["{{ p.no }}", "{{ p.position }}", "{{ p.subdivision }}",
            "{% if p.risk_no %}{{ p.risk_no }}. {% endif %}{{ p.risk }}"],
           WIDTHS["positions_cols"])
    return doc


# The schedule of a subject's analyses for a year (1.1.1; 000:L211-235): the objects and the
# exact period of each, approved by the head.
SCHEDULE: dict[str, dict[str, str | list[str]]] = {
    "kk": {
        "schedule_title": "{{ year }} жылға сыбайлас жемқорлық тәуекелдеріне ішкі талдау "
                          "жүргізу кестесі",
        "schedule_cols": ["№", "Талдау объектісі", "Талдаудың басталуы", "Талдаудың аяқталуы"],
    },
    "ru": {
        "schedule_title": "График проведения внутреннего анализа коррупционных рисков "
                          "на {{ year }} год",
        "schedule_cols": ["№", "Объект анализа", "Начало анализа", "Окончание анализа"],
    },
    "en": {
        "schedule_title": "Schedule of the internal analyses of corruption risks for {{ year }}",
        "schedule_cols": ["No.", "Object of the analysis", "Start", "End"],
    },
}
WIDTHS["schedule_cols"] = (0.9, 9.2, 3.2, 3.2)


def schedule(language: str):
    w = {**WORDS[language], **POSITIONS[language], **SCHEDULE[language]}
    doc = _new(language)
    _approval(doc, w, w["approved_on"])
    _org(doc)
    _para(doc, w["schedule_title"], bold=True, center=True)
    _table(doc, w["schedule_cols"], "a in schedule",
           ["{{ a.no }}", "{{ a.object }}", "{{ a.first_day }}", "{{ a.last_day }}"],
           WIDTHS["schedule_cols"])
    return doc


def monitoring_note(language: str):
    """The note on the results of monitoring (appendix 7 of order No. 488): the periods and
    their reviews, each recommendation with the status the reviews set and the measures
    serving it, the count per status."""
    w = WORDS[language]
    doc = _new(language)
    _org(doc)
    _para(doc, w["result_title"], bold=True, center=True)
    _para(doc, w["number"])  # the note's own, recorded with the monitoring's close (D-1)
    _para(doc, w["result_subject"], bold=True, center=True)
    _para(doc, w["object"])
    _para(doc, w["result_periods"], bold=True)
    _para(doc, "{%p for p in results.periods %}")
    _para(doc, w["result_period"])
    _para(doc, "{%p else %}")
    _para(doc, w["none"])
    _para(doc, "{%p endfor %}")
    _table(doc, w["result_cols"], "r in results.recommendations",
           ["{{ r.no }}", "{{ r.text }} ({{ r.risk_no }})",
            "{% for m in r.serving %}{{ m.no }}. {{ m.measure }}: {{ m.form }}, "
            "{{ m.deadline }}{% if not loop.last %}; {% endif %}{% else %}—{% endfor %}",
            "{{ r.status }}, {{ r.status_on }}", "{{ r.evidence }}"], WIDTHS["result_cols"])
    _para(doc, w["result_counts"], bold=True)
    _para(doc, "{%p for c in results.counts %}")
    _para(doc, "{{ c.name }}: {{ c.n }}")
    _para(doc, "{%p endfor %}")
    _para(doc, w["result_total"])
    _signer(doc, w)
    return doc


# The minutes of the public discussion (000:L326-352; 001:L104-106) and the justification note
# replacing the publication (000:L473-481): the fixed text says what the paper is; who took
# part, what was proposed and decided and why the note is not published are the records'.
PAPERS: dict[str, dict[str, str]] = {
    "kk": {
        "minutes_title": "Ішкі талдау нәтижелерін жария талқылау ХАТТАМАСЫ № {{ own.number }}",
        "minutes_when": "Күні: {{ own.date }}. Өтетін орны: {{ discussion.place }}",
        "minutes_subject": "{{ object_genitive }} қызметінде сыбайлас жемқорлық тәуекелдеріне "
                           "ішкі талдау нәтижелерін ({{ period.first_day }} – "
                           "{{ period.last_day }}) талқылау",
        "present": "Қатысқандар:",
        "proposals": "Айтылған ұсыныстар:",
        "decisions": "ШЕШІЛДІ:",
        "justification_title": "НЕГІЗДЕМЕ",
        "justification_subject": "талдамалық анықтама мен іс-шаралар жоспарын интернет-ресурста "
                                 "орналастырмау туралы",
        "justification_text": "{{ object_genitive }} қызметінде {{ period.first_day }} – "
                              "{{ period.last_day }} кезеңінде жүргізілген сыбайлас жемқорлық "
                              "тәуекелдеріне ішкі талдаудың талдамалық анықтамасы мен "
                              "іс-шаралар жоспары интернет-ресурста мына себеппен "
                              "орналастырылмайды: {{ justification }}",
    },
    "ru": {
        "minutes_title": "ПРОТОКОЛ № {{ own.number }} публичного обсуждения результатов "
                         "внутреннего анализа коррупционных рисков",
        "minutes_when": "Дата: {{ own.date }}. Место проведения: {{ discussion.place }}",
        "minutes_subject": "Обсуждение результатов внутреннего анализа коррупционных рисков в "
                           "деятельности {{ object_genitive }} за период с "
                           "{{ period.first_day }} по {{ period.last_day }}",
        "present": "Присутствовали:",
        "proposals": "Высказанные предложения:",
        "decisions": "РЕШИЛИ:",
        "justification_title": "ОБОСНОВАНИЕ",
        "justification_subject": "неразмещения аналитической справки и плана мероприятий на "
                                 "интернет-ресурсе",
        "justification_text": "Аналитическая справка и план мероприятий по результатам "
                              "внутреннего анализа коррупционных рисков в деятельности "
                              "{{ object_genitive }} за период с {{ period.first_day }} по "
                              "{{ period.last_day }} не размещаются на интернет-ресурсе по "
                              "следующей причине: {{ justification }}",
    },
    "en": {
        "minutes_title": "MINUTES No. {{ own.number }} of the public discussion of the results "
                         "of the internal analysis of corruption risks",
        "minutes_when": "Date: {{ own.date }}. Place: {{ discussion.place }}",
        "minutes_subject": "Discussion of the results of the internal analysis of corruption "
                           "risks in the activity of {{ object_genitive }} from "
                           "{{ period.first_day }} to {{ period.last_day }}",
        "present": "Present:",
        "proposals": "Proposals made:",
        "decisions": "DECIDED:",
        "justification_title": "JUSTIFICATION",
        "justification_subject": "for not publishing the analytic note and the action plan on "
                                 "the internet resource",
        "justification_text": "The analytic note and the action plan of the internal analysis "
                              "of corruption risks in the activity of {{ object_genitive }} "
                              "from {{ period.first_day }} to {{ period.last_day }} are not "
                              "published on the internet resource for this reason: "
                              "{{ justification }}",
    },
}


def words(language: str) -> dict[str, Any]:
    """Every fixed text of the shipped templates in `language`, by its key."""
    return {**WORDS[language], **POSITIONS[language], **SCHEDULE[language],
            **PAPERS[language], **RISK_LEVELS[language], **PROCEDURES[language]}


def discussion_minutes(language: str):
    w = {**WORDS[language], **PAPERS[language]}
    doc = _new(language)
    _approval(doc, w)
    _org(doc)
    _para(doc, w["minutes_title"], bold=True, center=True)
    _para(doc, w["minutes_when"])
    _para(doc, w["minutes_subject"])
    _para(doc, w["present"], bold=True)
    _para(doc, "{%p for p in discussion.participants %}")
    _para(doc, "– {{ p.name }}, {{ p.position }}{{ '.' if loop.last else ';' }}")
    _para(doc, "{%p endfor %}")
    _para(doc, w["proposals"], bold=True)
    _para(doc, "{%p for text in discussion.proposals %}")
    _para(doc, "{{ loop.index }}. {{ text }}")
    _para(doc, "{%p endfor %}")
    _para(doc, w["decisions"], bold=True)
    _para(doc, "{%p for text in discussion.decisions %}")
    _para(doc, "{{ loop.index }}. {{ text }}")
    _para(doc, "{%p endfor %}")
    return doc


def justification_note(language: str):
    w = {**WORDS[language], **PAPERS[language]}
    doc = _new(language)
    _approval(doc, w)
    _org(doc)
    _para(doc, w["justification_title"], bold=True, center=True)
    _para(doc, w["justification_subject"], bold=True, center=True)
    _para(doc, w["justification_text"])
    return doc


# -- the procedures' papers (002): the conflict of interest's and the gift's -------------------
# What a paper cannot know (the recommendations' text, the gift's description, the measure
# chosen) is a line to fill or a box to tick, never asserted (documents.md D-3).

LINE = "_" * 60
PROCEDURES: dict[str, dict[str, Any]] = {
    "kk": {
        "memo": "ҚЫЗМЕТТІК ЖАЗБА",
        "notice_title": "МҮДДЕЛЕР ҚАҚТЫҒЫСЫ ТУРАЛЫ ХАБАРЛАМА",
        "notice_to": "Тікелей басшыға: ____________________",
        "notice_text": "Мүдделер қақтығысының туындағаны (оның туындау мүмкіндігі) туралы "
                       "хабарлаймын:",
        "notice_received": "Хабарлама алынған күн: {{ dates.notified }}",
        "notice_signed": "Жұмыскердің қолы:",
        "to_unit": "Сыбайлас жемқорлық тәуекелдерінің алдын алу жөніндегі құрылымдық бөлімшеге",
        "forward_subject": "Мүдделер қақтығысы туралы хабарламаны жіберу туралы",
        "forward_text": "Жұмыскердің ({{ person.name }}, {{ person.position }}) "
                        "{{ dates.notified }} алынған мүдделер қақтығысы (оның туындау "
                        "мүмкіндігі) туралы жазбаша хабарламасын қарауға жіберемін.",
        "forward_due": "Жіберу мерзімі: {{ due.forward }} (хабарлама алынған күннен бастап үш "
                       "жұмыс күні ішінде).",
        "forward_next": "Ұсынымдар немесе мүдделер қақтығысының жоқ екені туралы қорытынды "
                        "басшылыққа он жұмыс күні ішінде ұсынылады: {{ due.recommendation }}.",
        "annex_notice": "Қосымша: жұмыскердің хабарламасы.",
        "rec_title": "МҮДДЕЛЕР ҚАҚТЫҒЫСЫНЫҢ АЛДЫН АЛУ ЖӘНЕ ОНЫ РЕТТЕУ ЖӨНІНДЕГІ ҰСЫНЫМДАР",
        "to_leadership": "{{ organisation.name }} басшылығына",
        "employee": "Жұмыскер: {{ person.name }}, {{ person.position }}",
        "rec_dates": "Хабарлама алынған күн: {{ dates.notified }}; құрылымдық бөлімшеге "
                     "жіберілген күн: {{ dates.forwarded }}.",
        "recommendations": "Ұсынымдар:",
        "rec_next": "Басшылық ұсынымды алған күннен бастап он жұмыс күні ішінде шаралар "
                    "қабылдайды: {{ due.measures }}.",
        "decision_title": "МҮДДЕЛЕР ҚАҚТЫҒЫСЫНЫҢ АЛДЫН АЛУ ЖӘНЕ ОНЫ РЕТТЕУ ЖӨНІНДЕГІ ШАРАЛАР "
                          "ТУРАЛЫ ШЕШІМ",
        "decision_text": "Жұмыскердің ({{ person.name }}, {{ person.position }}) "
                         "{{ dates.notified }} алынған хабарламасы және {{ dates.recommended }} "
                         "алынған ұсынымдар қаралып, мынадай шешім қабылданды:",
        "measure_1": "☐ мүдделер қақтығысына байланысты мәселе бойынша лауазымдық міндеттерді "
                     "атқаруды басқа адамға тапсыру;",
        "measure_2": "☐ лауазымдық міндеттерді өзгерту;",
        "measure_3": "☐ мүдделер қақтығысын жою жөнінде өзге де шаралар:",
        "decision_due": "Шаралар қабылдау мерзімі: {{ due.measures }} (ұсынымды алған күннен "
                        "бастап он жұмыс күні ішінде).",
        "act_title": "СЫЙЛЫҚТЫ ҚАБЫЛДАУ-ТАПСЫРУ АКТІСІ",
        "act_text": "{{ person.name }}, {{ person.position }}, {{ dates.received }} алынған "
                    "(алынғаны мәлім болған) сыйлықты мемлекеттік мүлікті басқару жөніндегі "
                    "уәкілетті органға өтеусіз береді.",
        "gift_name": "Сыйлықтың атауы:",
        "gift_description": "Сипаттамасы, саны, жай-күйі:",
        "act_due": "Беру мерзімі: {{ due.hand_over }} (сыйлық алынған күннен бастап күнтізбелік "
                   "жеті күн ішінде).",
        "handed": "Тапсырды:",
        "accepted": "Қабылдады (уәкілетті органның өкілі):",
    },
    "ru": {
        "memo": "СЛУЖЕБНАЯ ЗАПИСКА",
        "notice_title": "УВЕДОМЛЕНИЕ О КОНФЛИКТЕ ИНТЕРЕСОВ",
        "notice_to": "Непосредственному руководителю: ____________________",
        "notice_text": "Сообщаю о возникшем конфликте интересов (возможности его "
                       "возникновения):",
        "notice_received": "Уведомление получено: {{ dates.notified }}",
        "notice_signed": "Подпись работника:",
        "to_unit": "В структурное подразделение по предупреждению коррупционных рисков",
        "forward_subject": "О направлении уведомления о конфликте интересов",
        "forward_text": "Направляю на рассмотрение письменное уведомление работника "
                        "({{ person.name }}, {{ person.position }}) о конфликте интересов "
                        "(возможности его возникновения), полученное {{ dates.notified }}.",
        "forward_due": "Срок направления: {{ due.forward }} (в течение трёх рабочих дней со дня "
                       "получения уведомления).",
        "forward_next": "Рекомендации или заключение об отсутствии конфликта интересов "
                        "представляются руководству в течение десяти рабочих дней: "
                        "{{ due.recommendation }}.",
        "annex_notice": "Приложение: уведомление работника.",
        "rec_title": "РЕКОМЕНДАЦИИ ПО ПРЕДОТВРАЩЕНИЮ И УРЕГУЛИРОВАНИЮ КОНФЛИКТА ИНТЕРЕСОВ",
        "to_leadership": "Руководству: {{ organisation.name }}",
        "employee": "Работник: {{ person.name }}, {{ person.position }}",
        "rec_dates": "Уведомление получено: {{ dates.notified }}; направлено в структурное "
                     "подразделение: {{ dates.forwarded }}.",
        "recommendations": "Рекомендации:",
        "rec_next": "Руководство принимает меры в течение десяти рабочих дней со дня получения "
                    "рекомендаций: {{ due.measures }}.",
        "decision_title": "РЕШЕНИЕ О МЕРАХ ПО ПРЕДОТВРАЩЕНИЮ И УРЕГУЛИРОВАНИЮ КОНФЛИКТА "
                          "ИНТЕРЕСОВ",
        "decision_text": "Рассмотрев уведомление работника ({{ person.name }}, "
                         "{{ person.position }}), полученное {{ dates.notified }}, и "
                         "рекомендации, полученные {{ dates.recommended }}, принято решение:",
        "measure_1": "☐ поручить исполнение должностных обязанностей по вопросу, связанному с "
                     "конфликтом интересов, другому лицу;",
        "measure_2": "☐ изменить должностные обязанности;",
        "measure_3": "☐ принять иные меры по устранению конфликта интересов:",
        "decision_due": "Срок принятия мер: {{ due.measures }} (в течение десяти рабочих дней "
                        "со дня получения рекомендаций).",
        "act_title": "АКТ ПРИЁМА-ПЕРЕДАЧИ ПОДАРКА",
        "act_text": "{{ person.name }}, {{ person.position }}, безвозмездно передаёт "
                    "уполномоченному органу по управлению государственным имуществом подарок, "
                    "полученный (о получении которого стало известно) {{ dates.received }}.",
        "gift_name": "Наименование подарка:",
        "gift_description": "Описание, количество, состояние:",
        "act_due": "Срок передачи: {{ due.hand_over }} (в течение семи календарных дней со дня "
                   "получения подарка).",
        "handed": "Передал:",
        "accepted": "Принял (представитель уполномоченного органа):",
    },
    "en": {
        "memo": "MEMORANDUM",
        "notice_title": "NOTICE OF A CONFLICT OF INTEREST",
        "notice_to": "To the direct superior: ____________________",
        "notice_text": "I notify a conflict of interest that has arisen (or the possibility of "
                       "one):",
        "notice_received": "Notice received: {{ dates.notified }}",
        "notice_signed": "The employee's signature:",
        "to_unit": "To the structural subdivision for the prevention of corruption risks",
        "forward_subject": "Forwarding a notice of a conflict of interest",
        "forward_text": "I forward for consideration the written notice of a conflict of "
                        "interest (or of its possibility) of the employee ({{ person.name }}, "
                        "{{ person.position }}), received on {{ dates.notified }}.",
        "forward_due": "Due: {{ due.forward }} (within three working days of receiving the "
                       "notice).",
        "forward_next": "The recommendations, or the conclusion that there is no conflict of "
                        "interest, go to the leadership within ten working days: "
                        "{{ due.recommendation }}.",
        "annex_notice": "Annex: the employee's notice.",
        "rec_title": "RECOMMENDATIONS ON PREVENTING AND SETTLING A CONFLICT OF INTEREST",
        "to_leadership": "To the leadership: {{ organisation.name }}",
        "employee": "Employee: {{ person.name }}, {{ person.position }}",
        "rec_dates": "Notice received: {{ dates.notified }}; forwarded to the subdivision: "
                     "{{ dates.forwarded }}.",
        "recommendations": "Recommendations:",
        "rec_next": "The leadership takes measures within ten working days of receiving the "
                    "recommendations: {{ due.measures }}.",
        "decision_title": "DECISION ON MEASURES TO PREVENT AND SETTLE A CONFLICT OF INTEREST",
        "decision_text": "Having considered the notice of the employee ({{ person.name }}, "
                         "{{ person.position }}) received on {{ dates.notified }} and the "
                         "recommendations received on {{ dates.recommended }}, it is decided:",
        "measure_1": "☐ to entrust the duties concerning the conflict of interest to another "
                     "person;",
        "measure_2": "☐ to change the employee's duties;",
        "measure_3": "☐ to take other measures to remove the conflict of interest:",
        "decision_due": "Measures due: {{ due.measures }} (within ten working days of receiving "
                        "the recommendations).",
        "act_title": "ACT OF HANDING OVER A GIFT",
        "act_text": "{{ person.name }}, {{ person.position }}, hands over free of charge to the "
                    "authorised body for state property management the gift received (or "
                    "learned of) on {{ dates.received }}.",
        "gift_name": "The gift:",
        "gift_description": "Description, quantity, condition:",
        "act_due": "Due: {{ due.hand_over }} (within seven calendar days of receiving the "
                   "gift).",
        "handed": "Handed over by:",
        "accepted": "Accepted by (the authorised body's representative):",
    },
}


def _paper(language: str, title: str):
    """A procedure's paper: the organisation, its title, its own date and number."""
    w = {**WORDS[language], **PROCEDURES[language]}
    doc = _new(language)
    _org(doc)
    _para(doc, w[title], bold=True, center=True, keep=True)
    _para(doc, w["number"])
    return doc, w


def _lines(doc, n: int = 3) -> None:
    for _ in range(n):
        _para(doc, LINE)


def coi_forwarding_note(language: str):
    """The head's memorandum forwarding the notice, and as its annex the employee's written
    notice (002:L138): her name and position, the day it was received, lines for what she
    notifies; forwarded and signed together, they confirm the forwarding."""
    doc, w = _paper(language, "memo")
    _para(doc, w["to_unit"], bold=True)
    _para(doc, w["forward_subject"], bold=True)
    for key in ("forward_text", "forward_due", "forward_next", "annex_notice"):
        _para(doc, w[key])
    _signer(doc, w)
    doc.add_page_break()
    _notice(doc, w)
    return doc


def coi_recommendation(language: str):
    doc, w = _paper(language, "rec_title")
    for key in ("to_leadership", "employee", "rec_dates"):
        _para(doc, w[key])
    _para(doc, w["recommendations"], bold=True)
    _lines(doc, 5)
    _para(doc, w["rec_next"])
    _signer(doc, w)
    return doc


def coi_decision(language: str):
    doc, w = _paper(language, "decision_title")
    for key in ("decision_text", "measure_1", "measure_2", "measure_3"):
        _para(doc, w[key])
    _lines(doc, 2)
    _para(doc, w["decision_due"])
    _signer(doc, w)
    return doc


def gift_hand_over_act(language: str):
    doc, w = _paper(language, "act_title")
    _para(doc, w["act_text"])
    for key in ("gift_name", "gift_description"):
        _para(doc, w[key], bold=True)
        _lines(doc, 2)
    _para(doc, w["act_due"])
    doc.add_paragraph()
    _para(doc, w["handed"], bold=True)
    _para(doc, "________________  {{ person.name }}")
    _para(doc, w["accepted"], bold=True)
    _para(doc, "________________  ____________________")
    return doc


# -- the foreign account's, the declarations' and 003's papers -----------------------------------
# 002:L219-225 (the notice with its closing deadline, the yearly request), L176-181 (the
# reminder, the notice of a change in the law), 003:L635-719 (appendices 2 and 3, their text as
# the policy words it, the enterprise named as recorded) and 003:L282-298 (the enterprise's
# conflict of interest). The employee's notice of a conflict of interest is the forwarding
# note's annex and a paper of its own.
FORMS: dict[str, dict[str, Any]] = {
    "kk": {
        "fa_title": "ХАБАРЛАМА",
        "fa_subject": "Шетелдік банктегі шоттың (салымның) болуы туралы",
        "fa_to": "{{ organisation.genitive }} бірінші басшысына; персоналды басқару қызметіне "
                 "(кадр қызметіне); жұмыскерге: {{ person.name }}, {{ person.position }}",
        "fa_found": "{{ dates.found }} жұмыскердің Қазақстан Республикасының шегінен тыс "
                    "орналасқан шетелдік банкте шотының (салымының) бар екені анықталды.",
        "fa_deadline": "Шоттың жабылғанын растайтын құжаттарды ұсынудың соңғы мерзімі: "
                       "{{ due.closure_proof }} (шоттың болу фактісі анықталған сәттен бастап "
                       "алты ай).",
        "fa_due": "Хабарлау мерзімі: {{ due.notify }} (анықталған күннен бастап екі жұмыс күні "
                  "ішінде).",
        "fa_measures": "Растайтын құжаттар ұсынылмаған жағдайда бірінші басшы немесе оны "
                       "алмастыратын адам Қазақстан Республикасының заңнамасында көзделген "
                       "шараларды қабылдайды.",
        "acquainted": "Таныстым (жұмыскер):",
        "tax_to": "Мемлекеттік кірістер органына: ____________________",
        "tax_title": "СҰРАУ",
        "tax_subject": "Жұмыскерлердің шетелдік банктерде шоттарының (салымдарының) бар-жоғын "
                       "тексеру туралы",
        "tax_text": "{{ organisation.genitive }} жұмыскерлерінің Қазақстан Республикасының "
                    "шегінен тыс орналасқан шетелдік банктерде шоттарының (салымдарының) "
                    "бар-жоғын тексеруді сұраймыз.",
        "tax_annex": "Қосымша: жеке сәйкестендіру нөмірі (ЖСН) көрсетілген жұмыскерлердің "
                     "тізімі, ____ парақ.",
        "tax_due": "Сұрау жіберу мерзімі: {{ due.tax_request }} (жылына бір рет).",
        "dr_title": "ЖҰМЫСКЕРЛЕРДІ ЖАЗБАША ХАБАРДАР ЕТУ",
        "dr_to": "{{ organisation.genitive }} жұмыскерлеріне",
        "dr_text": "Жұмыскерлер және олардың жұбайлары (зайыптары) декларацияларды Қазақстан "
                   "Республикасының заңнамасында белгіленген мерзімде тапсыруға тиіс: "
                   "декларацияларды тапсыру мерзімінің аяқталуы — "
                   "{{ dates.declaration_deadline }}.",
        "dr_liability": "Мәліметтерді тапсырмау немесе декларацияларда дәйексіз мәліметтер беру "
                        "заңнамада белгіленген жауаптылыққа алып келеді.",
        "dr_due": "Хабардар ету мерзімі: {{ due.reminder }} (декларацияларды тапсыру "
                  "мерзімінің аяқталуына кемінде бір ай қалғанда).",
        "dr_filed": "Декларациялар тапсыру туралы хабарламалар жұмыскерлердің жеке ісіне қоса "
                    "тіркеледі.",
        "lc_title": "ЖҰМЫСКЕРЛЕРДІ ЖАЗБАША НЫСАНДА ХАБАРДАР ЕТУ",
        "lc_subject": "Декларацияларды тапсыру мәселелері бойынша нормативтік құқықтық "
                      "актілерге енгізілген өзгерістер туралы",
        "lc_text": "{{ dates.entry_into_force }} бастап қолданысқа енгізілген өзгерістер "
                   "(актінің атауы, күні, нөмірі және өзгерістердің мәні):",
        "lc_due": "Хабардар ету мерзімі: {{ due.staff_notice }} (өзгерістер қолданысқа "
                  "енгізілген сәттен бастап отыз жұмыс күні ішінде).",
        "staff_signed": "Таныстым (аты-жөні, қолы, күні):",
        "appendix_2": "Сыбайлас жемқорлыққа қарсы\nіс-қимыл саясатына\n№2 қосымша",
        "consent_title": "Сыбайлас жемқорлыққа қарсы шектеулерді қабылдау туралы келісім",
        "i": "Мен,",
        "fio": "(тегі, аты, әкесінің аты)",
        "post": "(лауазымды көрсету)",
        "consent_text": "ҚР Сыбайлас жемқорлыққа қарсы заңнамасының, {{ organisation.genitive }} "
                        "сыбайлас жемқорлыққа қарсы іс-қимыл саясатының талаптарын сақтау, өз "
                        "өкілеттіктерімді жеке, топтық және өзге де қызметтік емес мүдделерде "
                        "пайдалануға әкеп соғуы мүмкін іс-әрекеттер жасауға жол бермеу "
                        "мақсатында:",
        "consent_1": "1) өз функцияларымды орындаумен сәйкес келмейтін қызметті жүзеге асыру;",
        "consent_2": "2) лауазымды адамдардың өздерінің жақын туыстарымен, олардың жақын "
                     "туыстары (ата-аналары (ата-анасы), балалары, асырап алушылары, ата-анасы "
                     "бір және ата-анасы бөлек аға-інілері мен апа-сіңлілері, атасы, әжесі, "
                     "немерелері), жұбайлары мен жекжаттары (жұбайының (зайыбының) аға-інілері, "
                     "апа-сіңлілері, ата-аналары мен балалары) немесе – егер бөлімшелер әртүрлі "
                     "болса – лауазымы функционалдық байланысты (бизнес-процестер бойынша) "
                     "атқаратын лауазымдармен бір бөлімшеде болатын лауазымдарда болуына жол "
                     "бермеу;",
        "consent_3": "3) мүліктік және мүліктік емес игіліктер мен артықшылықтарды алу немесе "
                     "алу мақсатында ресми таратылуға жатпайтын ақпаратты пайдалану;",
        "consent_4": "4) Қазақстан Республикасының заңнамасына сәйкес лауазымдық өкілеттіктерін "
                     "орындауға байланысты сыйлықтар қабылдау бойынша сыбайлас жемқорлыққа "
                     "қарсы шектеулер қабылдаймын.",
        "consent_kept": "Толтырылған және қол қойылған растау нысаны Кәсіпорындағы лауазымдық "
                        "міндеттерін атқарған күннен бастап Кәсіпорынның лауазымды тұлғасының "
                        "жеке ісінде сақталады.",
        "signature": "қолы, ТАӘ, лауазымы",
        "appendix_3": "Сыбайлас жемқорлыққа қарсы\nіс-қимыл саясатына\n№3 қосымша",
        "confirm_title": "Растау",
        "confirm_tick": "(Тиісті ұяшықтарды белгілеңіз)",
        "confirm_1": "□ Мен {{ organisation.genitive }} Сыбайлас жемқорлыққа қарсы іс-қимыл "
                     "саясатымен танысқанымды растаймын;",
        "confirm_2": "□ Мен ҚР Сыбайлас жемқорлыққа қарсы заңнамасында, "
                     "{{ organisation.genitive }} сыбайлас жемқорлыққа қарсы іс-қимыл "
                     "саясатында белгіленген талаптарды қатаң сақтауға міндеттенемін;",
        "confirm_3": "□ Мен ҚР Сыбайлас жемқорлыққа қарсы заңнамасын, "
                     "{{ organisation.genitive }} сыбайлас жемқорлыққа қарсы іс-қимыл "
                     "саясатын бұзған жағдайда мені жауапкершілікке тартуы, оның ішінде ҚР "
                     "заңнамасында белгіленген тәртіппен атқаратын қызметімнен босатуы мүмкін "
                     "екендігінен хабардармын.",
        "confirm_kept": "Кәсіпорындағы еңбек және/немесе лауазымдық міндеттерін орындаған "
                        "сәттен бастап толтырылған және қол қойылған растау нысаны Кәсіпорын "
                        "жұмыскерінің жеке ісінде сақталады.",
        "ao_title": "БҰЙРЫҚ",
        "ao_subject": "Шетелдік банктердегі ақша туралы мәліметтерге қол жеткізе алатын "
                      "лауазымды тұлғалардың тізбесін бекіту туралы",
        "ao_text": "Сыбайлас жемқорлыққа қарсы стандарттың 28-тармағының 1) тармақшасына сәйкес "
                   "БҰЙЫРАМЫН:",
        "ao_1": "1. Персоналды басқару қызметі (кадр қызметі) жұмыскерлерінің арасынан, сондай-ақ "
                "әдеп жөніндегі уәкілден шетелдік банктердегі шоттар туралы ақпаратты талдау мен "
                "мониторингтеуге жауапты, Қазақстан Республикасының шегінен тыс орналасқан "
                "шетелдік банктерде ақшаның болуы туралы мәліметтерге қол жеткізе алатын "
                "лауазымды тұлғалардың тізбесі бекітілсін (аты-жөні, лауазымы):",
        "ao_2": "2. Сұрауды салық органдарына жылына бір рет тізбедегі персоналды басқару "
                "қызметінің уәкілетті қызметкері жібереді; кезекті сұрау мерзімі: "
                "{{ due.tax_request }}.",
        "first_head": "Бірінші басшы",
        "ecoi_title": "МҮДДЕЛЕР ҚАҚТЫҒЫСЫН РЕТТЕУ ТУРАЛЫ ШЕШІМ",
        "ecoi_text": "Жұмыскердің ({{ person.name }}, {{ person.position }}) тікелей немесе "
                     "жоғары тұрған басшыға {{ dates.notified }} берген жазбаша хабарламасы "
                     "қаралып, мынадай шешім қабылданды:",
        "ecoi_1": "☐ лауазымын өзгерту;",
        "ecoi_2": "☐ мүдделер қақтығысына байланысты міндеттерді атқарудан шеттету;",
        "ecoi_3": "☐ пайдадан бас тарту;",
        "ecoi_4": "☐ мүдделер қақтығысы жоқ деп танылды;",
        "ecoi_5": "☐ өзге де шаралар:",
        "wb_title": "ІЛЕСПЕ ХАТ",
        "wb_to": "Сыбайлас жемқорлыққа қарсы іс-қимыл жөніндегі уәкілетті органға",
        "wb_subject": "Алқалы орган отырысының хаттамасын шешіммен бірге жіберу туралы",
        "wb_text": "Алқалы органның {{ dates.application_received }} түскен өтінім бойынша "
                   "{{ dates.decided }} қабылдаған шешімімен бірге отырыс хаттамасын жібереміз.",
        "wb_applicant": "Өтініш беруші: {{ person.name }}, {{ person.position }}",
        "wb_secret": "Құпия: сыбайлас жемқорлыққа қарсы іс-қимылға жәрдем көрсеткен адам туралы "
                     "мәліметтер.",
        "wb_due": "Жіберу мерзімі: {{ due.protocol_to_agency }} (шешім қабылданған күннен бастап "
                  "үш жұмыс күні ішінде).",
        "wb_annex": "Қосымша: отырыс хаттамасы мен шешім.",
        "ecoi_due": "Реттеу мерзімі: {{ due.settlement }}.",
    },
    "ru": {
        "fa_title": "УВЕДОМЛЕНИЕ",
        "fa_subject": "О наличии счёта (вклада) в иностранном банке",
        "fa_to": "Первому руководителю {{ organisation.genitive }}; в службу управления "
                 "персоналом (кадровую службу); работнику: {{ person.name }}, "
                 "{{ person.position }}",
        "fa_found": "{{ dates.found }} выявлено наличие у работника счёта (вклада) в "
                    "иностранном банке, расположенном за пределами Республики Казахстан.",
        "fa_deadline": "Крайний срок представления документов, подтверждающих закрытие счёта: "
                       "{{ due.closure_proof }} (шесть месяцев с момента выявления факта "
                       "наличия счёта).",
        "fa_due": "Срок уведомления: {{ due.notify }} (в течение двух рабочих дней со дня "
                  "выявления).",
        "fa_measures": "Если подтверждающие документы не представлены, первый руководитель или "
                       "лицо, его замещающее, принимает меры, предусмотренные законодательством "
                       "Республики Казахстан.",
        "acquainted": "Ознакомлен (работник):",
        "tax_to": "В орган государственных доходов: ____________________",
        "tax_title": "ЗАПРОС",
        "tax_subject": "О проверке наличия у работников счетов (вкладов) в иностранных банках",
        "tax_text": "Просим проверить наличие у работников {{ organisation.genitive }} счетов "
                    "(вкладов) в иностранных банках, расположенных за пределами Республики "
                    "Казахстан.",
        "tax_annex": "Приложение: список работников с индивидуальными идентификационными "
                     "номерами (ИИН), на ____ л.",
        "tax_due": "Срок направления запроса: {{ due.tax_request }} (один раз в год).",
        "dr_title": "ПИСЬМЕННОЕ УВЕДОМЛЕНИЕ РАБОТНИКОВ",
        "dr_to": "Работникам {{ organisation.genitive }}",
        "dr_text": "Работники и их супруги обязаны представить декларации в сроки, "
                   "установленные законодательством Республики Казахстан: срок представления "
                   "деклараций истекает {{ dates.declaration_deadline }}.",
        "dr_liability": "Непредставление сведений или представление недостоверных сведений в "
                        "декларациях влечёт ответственность, установленную законодательством.",
        "dr_due": "Срок уведомления: {{ due.reminder }} (не менее чем за месяц до истечения "
                  "срока представления деклараций).",
        "dr_filed": "Уведомления о представлении деклараций приобщаются к личным делам "
                    "работников.",
        "lc_title": "ПИСЬМЕННОЕ УВЕДОМЛЕНИЕ РАБОТНИКОВ",
        "lc_subject": "Об изменениях, внесённых в нормативные правовые акты по вопросам "
                      "представления деклараций",
        "lc_text": "Изменения, введённые в действие с {{ dates.entry_into_force }} (название "
                   "акта, его дата и номер, суть изменений):",
        "lc_due": "Срок уведомления: {{ due.staff_notice }} (в течение тридцати рабочих дней с "
                  "момента введения изменений в действие).",
        "staff_signed": "Ознакомлены (ФИО, подпись, дата):",
        "appendix_2": "Приложение № 2\nк Антикоррупционной\nполитике",
        "consent_title": "Согласие на принятие антикоррупционных ограничений",
        "i": "Я,",
        "fio": "(фамилия, имя, отчество)",
        "post": "(указать должность)",
        "consent_text": "в целях соблюдения требований антикоррупционного законодательства РК, "
                        "Антикоррупционной политики {{ organisation.genitive }}, недопущения "
                        "совершения действий, которые могут привести к использованию своих "
                        "полномочий в личных, групповых и иных неслужебных интересах, принимаю "
                        "антикоррупционные ограничения по:",
        "consent_1": "1) осуществлению деятельности, несовместимой с выполнением своих "
                     "функций;",
        "consent_2": "2) недопущению нахождения должностных лиц на должностях в одном "
                     "подразделении со своими близкими родственниками (родителями (родителем), "
                     "детьми, усыновителями, полнородными и неполнородными братьями и сёстрами, "
                     "дедушкой, бабушкой, внуками), супругами и свойственниками (братьями, "
                     "сёстрами, родителями и детьми супруга (супруги)) либо – если "
                     "подразделения разные – на должностях, функционально связанных (по "
                     "бизнес-процессам);",
        "consent_3": "3) использованию информации, не подлежащей официальному распространению, "
                     "в целях получения или извлечения имущественных и неимущественных благ и "
                     "преимуществ;",
        "consent_4": "4) принятию подарков в связи с исполнением должностных полномочий в "
                     "соответствии с законодательством Республики Казахстан.",
        "consent_kept": "Заполненная и подписанная форма подтверждения хранится в личном деле "
                        "должностного лица Предприятия с даты исполнения им должностных "
                        "обязанностей на Предприятии.",
        "signature": "подпись, ФИО, должность",
        "appendix_3": "Приложение № 3\nк Антикоррупционной\nполитике",
        "confirm_title": "Подтверждение",
        "confirm_tick": "(Отметьте соответствующие ячейки)",
        "confirm_1": "□ Я подтверждаю, что ознакомлен(а) с Антикоррупционной политикой "
                     "{{ organisation.genitive }};",
        "confirm_2": "□ Я обязуюсь строго соблюдать требования, установленные "
                     "антикоррупционным законодательством РК, Антикоррупционной политикой "
                     "{{ organisation.genitive }};",
        "confirm_3": "□ Я осведомлён(а) о том, что в случае нарушения антикоррупционного "
                     "законодательства РК, Антикоррупционной политики "
                     "{{ organisation.genitive }} я могу быть привлечён(а) к ответственности, "
                     "в том числе освобождён(а) от занимаемой должности в порядке, "
                     "установленном законодательством РК.",
        "confirm_kept": "Заполненная и подписанная форма подтверждения хранится в личном деле "
                        "работника Предприятия с момента исполнения им трудовых и/или "
                        "должностных обязанностей на Предприятии.",
        "ao_title": "ПРИКАЗ",
        "ao_subject": "Об утверждении перечня должностных лиц, имеющих доступ к сведениям о "
                      "наличии денег в иностранных банках",
        "ao_text": "В соответствии с подпунктом 1) пункта 28 Антикоррупционного стандарта "
                   "ПРИКАЗЫВАЮ:",
        "ao_1": "1. Утвердить перечень должностных лиц из числа работников службы управления "
                "персоналом (кадровой службы), а также уполномоченного по этике, ответственных "
                "за анализ и мониторинг информации о счетах в иностранных банках, имеющих доступ "
                "к сведениям о наличии денег в иностранных банках, расположенных за пределами "
                "Республики Казахстан (ФИО, должность):",
        "ao_2": "2. Запрос в налоговые органы один раз в год направляет уполномоченный работник "
                "службы управления персоналом из перечня; срок очередного запроса: "
                "{{ due.tax_request }}.",
        "first_head": "Первый руководитель",
        "ecoi_title": "РЕШЕНИЕ ОБ УРЕГУЛИРОВАНИИ КОНФЛИКТА ИНТЕРЕСОВ",
        "ecoi_text": "Рассмотрев письменное уведомление работника ({{ person.name }}, "
                     "{{ person.position }}), поданное непосредственному или вышестоящему "
                     "руководителю {{ dates.notified }}, принято решение:",
        "ecoi_1": "☐ изменить должность;",
        "ecoi_2": "☐ отстранить от исполнения обязанностей, связанных с конфликтом интересов;",
        "ecoi_3": "☐ отказаться от выгоды;",
        "ecoi_4": "☐ конфликт интересов не установлен;",
        "ecoi_5": "☐ иные меры:",
        "wb_title": "СОПРОВОДИТЕЛЬНОЕ ПИСЬМО",
        "wb_to": "В уполномоченный орган по противодействию коррупции",
        "wb_subject": "О направлении протокола заседания коллегиального органа с решением",
        "wb_text": "Направляем протокол заседания коллегиального органа с решением, принятым "
                   "{{ dates.decided }} по заявлению, поступившему "
                   "{{ dates.application_received }}.",
        "wb_applicant": "Заявитель: {{ person.name }}, {{ person.position }}",
        "wb_secret": "Конфиденциально: сведения о лице, оказывающем содействие в противодействии "
                     "коррупции.",
        "wb_due": "Срок направления: {{ due.protocol_to_agency }} (в течение трёх рабочих дней "
                  "со дня принятия решения).",
        "wb_annex": "Приложение: протокол заседания с решением.",
        "ecoi_due": "Срок урегулирования: {{ due.settlement }}.",
    },
    "en": {
        "fa_title": "NOTICE",
        "fa_subject": "An account (deposit) in a foreign bank",
        "fa_to": "To the first head of {{ organisation.name }}; to the HR service; to the "
                 "employee: {{ person.name }}, {{ person.position }}",
        "fa_found": "On {{ dates.found }} the employee was found to hold an account (deposit) "
                    "in a foreign bank outside the Republic of Kazakhstan.",
        "fa_deadline": "The documents confirming the account's closure are due by "
                       "{{ due.closure_proof }} (six months from the day the account was "
                       "found).",
        "fa_due": "Notice due: {{ due.notify }} (within two working days of the day found).",
        "fa_measures": "If the confirming documents are not submitted, the first head (or the "
                       "person acting for them) takes the measures provided by law.",
        "acquainted": "Read by the employee:",
        "tax_to": "To the state revenue authority: ____________________",
        "tax_title": "REQUEST",
        "tax_subject": "Checking whether employees hold accounts (deposits) in foreign banks",
        "tax_text": "We ask you to check whether the employees of {{ organisation.name }} hold "
                    "accounts (deposits) in foreign banks outside the Republic of Kazakhstan.",
        "tax_annex": "Annex: the list of employees with their individual identification "
                     "numbers (IIN), ____ sheets.",
        "tax_due": "Request due: {{ due.tax_request }} (once a year).",
        "dr_title": "WRITTEN NOTICE TO THE STAFF",
        "dr_to": "To the employees of {{ organisation.name }}",
        "dr_text": "Employees and their spouses must submit their declarations within the time "
                   "the law of the Republic of Kazakhstan sets: the declaration deadline is "
                   "{{ dates.declaration_deadline }}.",
        "dr_liability": "Not submitting the information, or submitting unreliable information "
                        "in a declaration, entails the liability the law provides.",
        "dr_due": "Notice due: {{ due.reminder }} (at least a month before the declaration "
                  "deadline).",
        "dr_filed": "The notices of submission are filed in the employees' personal files.",
        "lc_title": "WRITTEN NOTICE TO THE STAFF",
        "lc_subject": "Changes in the regulations on submitting declarations",
        "lc_text": "The changes in force from {{ dates.entry_into_force }} (the act, its date "
                   "and number, what changed):",
        "lc_due": "Notice due: {{ due.staff_notice }} (within thirty working days of the "
                  "changes' entry into force).",
        "staff_signed": "Read by (name, signature, date):",
        "appendix_2": "Appendix 2\nto the Anti-corruption\npolicy",
        "consent_title": "Consent to accept the anti-corruption restrictions",
        "i": "I,",
        "fio": "(surname, first name, patronymic)",
        "post": "(position)",
        "consent_text": "in order to comply with the anti-corruption law of the Republic of "
                        "Kazakhstan and the anti-corruption policy of {{ organisation.name }}, "
                        "and to avoid acts that may lead to using my powers in personal, group "
                        "or other non-official interests, accept the anti-corruption "
                        "restrictions on:",
        "consent_1": "1) activities incompatible with performing my functions;",
        "consent_2": "2) officials holding positions in the same subdivision as their close "
                     "relatives (parents, children, adoptive parents, full and half brothers "
                     "and sisters, grandparents, grandchildren), spouses and in-laws (the "
                     "spouse's brothers, sisters, parents and children) or, where the "
                     "subdivisions differ, in positions functionally linked (by business "
                     "process);",
        "consent_3": "3) using information not for official distribution to obtain property or "
                     "non-property benefits and advantages;",
        "consent_4": "4) accepting gifts in connection with performing official duties, as the "
                     "law of the Republic of Kazakhstan provides.",
        "consent_kept": "The form, filled in and signed, is kept in the official's personal "
                        "file from the day they take up their duties at the Enterprise.",
        "signature": "signature, full name, position",
        "appendix_3": "Appendix 3\nto the Anti-corruption\npolicy",
        "confirm_title": "Confirmation",
        "confirm_tick": "(Tick the boxes that apply)",
        "confirm_1": "□ I confirm that I have read the anti-corruption policy of "
                     "{{ organisation.name }};",
        "confirm_2": "□ I undertake to comply strictly with the requirements of the "
                     "anti-corruption law of the Republic of Kazakhstan and the anti-corruption "
                     "policy of {{ organisation.name }};",
        "confirm_3": "□ I am aware that if I breach the anti-corruption law of the Republic of "
                     "Kazakhstan or the anti-corruption policy of {{ organisation.name }} I may "
                     "be held liable, including dismissal from my position as the law "
                     "provides.",
        "confirm_kept": "The confirmation, filled in and signed, is kept in the employee's "
                        "personal file from the moment they take up their work and/or official "
                        "duties at the Enterprise.",
        "ao_title": "ORDER",
        "ao_subject": "Approving the list of officials who may access the data on money in "
                      "foreign banks",
        "ao_text": "Under paragraph 28(1) of the anti-corruption standard, I ORDER:",
        "ao_1": "1. The list is approved of the officials of the HR service and the ethics "
                "commissioner responsible for analysing and monitoring the information on "
                "accounts in foreign banks, who may access the data on money in foreign banks "
                "outside the Republic of Kazakhstan (name, position):",
        "ao_2": "2. The request to the tax authority is sent once a year by the authorised HR "
                "employee on the list; the next request is due: {{ due.tax_request }}.",
        "first_head": "First head",
        "ecoi_title": "DECISION ON SETTLING A CONFLICT OF INTEREST",
        "ecoi_text": "Having considered the written notice of the employee ({{ person.name }}, "
                     "{{ person.position }}) given to the direct or higher superior on "
                     "{{ dates.notified }}, it is decided:",
        "ecoi_1": "☐ to change the position;",
        "ecoi_2": "☐ to remove the employee from the duties the conflict concerns;",
        "ecoi_3": "☐ to refuse the benefit;",
        "ecoi_4": "☐ no conflict of interest is found;",
        "ecoi_5": "☐ other measures:",
        "wb_title": "COVERING LETTER",
        "wb_to": "To the authorised anti-corruption body",
        "wb_subject": "Sending the protocol of the collegial body's meeting with its decision",
        "wb_text": "We send the protocol of the collegial body's meeting with its decision "
                   "taken on {{ dates.decided }} on the application received on "
                   "{{ dates.application_received }}.",
        "wb_applicant": "Applicant: {{ person.name }}, {{ person.position }}",
        "wb_secret": "Confidential: the data of a person assisting in countering corruption.",
        "wb_due": "Due: {{ due.protocol_to_agency }} (within three working days of the "
                  "decision).",
        "wb_annex": "Annex: the protocol of the meeting with the decision.",
        "ecoi_due": "Settlement due: {{ due.settlement }}.",
    },
}
for _lang, _words in FORMS.items():
    PROCEDURES[_lang].update(_words)


def coi_notice(language: str):
    """The employee's written notice of a conflict of interest to her direct superior
    (002:L138), as a paper of its own: her name and position, the day received, lines for what
    she notifies (the forwarding note's annex is the same page)."""
    w = {**WORDS[language], **PROCEDURES[language]}
    doc = _new(language)
    _org(doc)
    _notice(doc, w)
    return doc


def _notice(doc, w: dict[str, Any]) -> None:
    _para(doc, w["notice_title"], bold=True, center=True, keep=True)
    for key in ("notice_to", "employee", "notice_text"):
        _para(doc, w[key])
    _lines(doc, 6)
    _para(doc, w["notice_received"])
    doc.add_paragraph()
    _para(doc, w["notice_signed"], bold=True)
    _para(doc, "________________  {{ person.name }}")


def foreign_account_notice(language: str):
    doc, w = _paper(language, "fa_title")
    for key in ("fa_to",):
        _para(doc, w[key])
    _para(doc, w["fa_subject"], bold=True)
    for key in ("fa_found", "fa_deadline", "fa_due", "fa_measures"):
        _para(doc, w[key])
    _signer(doc, w)
    doc.add_paragraph()
    _para(doc, w["acquainted"], bold=True)
    _para(doc, "________________  {{ person.name }}      ____________________")
    return doc


def foreign_accounts_access_order(language: str):
    """The first head's order (002:L220): who may access the foreign-bank data, as lines to
    fill (merzim records no such list), signed by the first head."""
    doc, w = _paper(language, "ao_title")
    _para(doc, w["ao_subject"], bold=True)
    for key in ("ao_text", "ao_1"):
        _para(doc, w[key])
    for n in range(1, 5):
        _para(doc, f"{n}) {LINE}")
    _para(doc, w["ao_2"])
    doc.add_paragraph()
    _para(doc, w["first_head"], bold=True)
    _para(doc, "________________  ____________________", bold=True)
    return doc


def foreign_accounts_tax_request(language: str):
    doc, w = _paper(language, "tax_title")
    _para(doc, w["tax_to"], bold=True)
    _para(doc, w["tax_subject"], bold=True)
    for key in ("tax_text", "tax_annex", "tax_due"):
        _para(doc, w[key])
    _signer(doc, w)
    return doc


def _staff_signatures(doc, w: dict[str, Any]) -> None:
    doc.add_paragraph()
    _para(doc, w["staff_signed"], bold=True)
    _lines(doc, 4)


def declaration_reminder(language: str):
    doc, w = _paper(language, "dr_title")
    _para(doc, w["dr_to"], bold=True)
    for key in ("dr_text", "dr_liability", "dr_due", "dr_filed"):
        _para(doc, w[key])
    _signer(doc, w)
    _staff_signatures(doc, w)
    return doc


def declaration_law_change_notice(language: str):
    doc, w = _paper(language, "lc_title")
    _para(doc, w["dr_to"], bold=True)
    _para(doc, w["lc_subject"], bold=True)
    _para(doc, w["lc_text"])
    _lines(doc, 4)
    _para(doc, w["lc_due"])
    _signer(doc, w)
    _staff_signatures(doc, w)
    return doc


def _appendix(doc, text: str) -> None:
    for line in text.split("\n"):
        _para(doc, line, right=True)
    doc.add_paragraph()


def _person_lines(doc, w: dict[str, Any]) -> None:
    """The form's "Мен, ____ (тегі, аты, әкесінің аты) ____ (лауазымды көрсету)": the name and
    position as recorded (a line to fill where they are not)."""
    from docx.shared import Pt

    _para(doc, w["i"])
    for value, hint in (("{{ person.name }}", w["fio"]), ("{{ person.position }}", w["post"])):
        _para(doc, value, center=True).runs[0].underline = True
        _para(doc, hint, center=True).runs[0].font.size = Pt(9)


def policy_consent(language: str):
    """003's appendix 2 (L635-683) as the policy words it, the enterprise named as recorded."""
    w = {**WORDS[language], **PROCEDURES[language]}
    doc = _new(language)
    _appendix(doc, w["appendix_2"])
    _para(doc, w["consent_title"], bold=True, center=True)
    _person_lines(doc, w)
    for key in ("consent_text", "consent_1", "consent_2", "consent_3", "consent_4",
                "consent_kept"):
        _para(doc, w[key])
    doc.add_paragraph()
    _para(doc, "________________________________________ " + w["signature"])
    _para(doc, "{{ own.date }}")
    return doc


def policy_confirmation(language: str):
    """003's appendix 3 (L687-719): the three boxes, the employee named as recorded."""
    w = {**WORDS[language], **PROCEDURES[language]}
    doc = _new(language)
    _appendix(doc, w["appendix_3"])
    _para(doc, w["confirm_title"], bold=True, center=True)
    _person_lines(doc, w)
    _para(doc, w["confirm_tick"], center=True)
    for key in ("confirm_1", "confirm_2", "confirm_3", "confirm_kept"):
        _para(doc, w[key])
    doc.add_paragraph()
    _para(doc, "________________________________________ " + w["signature"])
    _para(doc, "{{ own.date }}")
    return doc


def enterprise_coi_decision(language: str):
    doc, w = _paper(language, "ecoi_title")
    for key in ("ecoi_text", "ecoi_1", "ecoi_2", "ecoi_3", "ecoi_4", "ecoi_5"):
        _para(doc, w[key])
    _lines(doc, 2)
    _para(doc, w["ecoi_due"])
    _signer(doc, w)
    return doc


def whistleblower_protocol_letter(language: str):
    """The covering letter sending the collegial body's protocol with its decision to the
    anti-corruption body within 3 working days (002:L269, L273): the applicant is named, as the
    body must know whom the decision protects, and the letter is marked confidential
    (002:L271-272); drafting it is audited as a disclosure (its paper declares `person`)."""
    doc, w = _paper(language, "wb_title")
    _para(doc, w["wb_secret"], right=True)
    _para(doc, w["wb_to"], bold=True)
    _para(doc, w["wb_subject"], bold=True)
    for key in ("wb_text", "wb_applicant", "wb_due", "wb_annex"):
        _para(doc, w[key])
    _signer(doc, w)
    return doc


BUILDERS = (order, analytic_note, action_plan, monitoring_report, monitoring_note,
            positions_list, schedule, discussion_minutes,
            justification_note, coi_forwarding_note, coi_recommendation, coi_decision,
            gift_hand_over_act, coi_notice, foreign_account_notice, foreign_accounts_access_order,
            foreign_accounts_tax_request,
            declaration_reminder, declaration_law_change_notice, policy_consent,
            policy_confirmation, enterprise_coi_decision,
            whistleblower_protocol_letter)  # each named as its template


def build(folder: Path = SHIPPED) -> list[Path]:
    """Write every template in every language into `folder`; returns the files written."""
    written = []
    for language in WORDS:
        for builder in BUILDERS:
            path = folder / language / f"{builder.__name__}{SUFFIX}"
            path.parent.mkdir(parents=True, exist_ok=True)
            builder(language).save(str(path))
            written.append(path)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED):
        print(path)
