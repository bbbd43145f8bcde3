"""Build the shipped DOCX templates (workflow/documents/docx/LANG/NAME.docx) with python-docx:
A4 pages, the organisation in the header, page numbers in the footer, tables whose header row
repeats on every page, and the docxtpl tags the facts fill (texts.PLACEHOLDERS). The fixed
text of each is written in its language (layout.toml). Run after changing a layout or a text,
and commit the files it writes:

    .venv/bin/python -m workflow.documents.layout
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

from workflow.documents.texts import SHIPPED, SUFFIX

# The fixed texts, by group (each group below) and language: layout.toml.
TEXTS: dict[str, Any] = tomllib.loads((Path(__file__).parent / "layout.toml")
                                      .read_text(encoding="utf-8"))

# The fixed text of each document, by language.
WORDS: dict[str, dict[str, Any]] = TEXTS["words"]


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
POSITIONS: dict[str, dict[str, Any]] = TEXTS["positions"]
WIDTHS["positions_cols"] = (0.9, 5.0, 4.6, 6.0)

# The risks' levels in the analytic note: each risk's level and rank, the risks ranked, and
# the risk map as a table (the criteria file's grades and levels: docs/monitoring.md).
RISK_LEVELS: dict[str, dict[str, Any]] = TEXTS["risk_levels"]
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
SCHEDULE: dict[str, dict[str, str | list[str]]] = TEXTS["schedule"]
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
PAPERS: dict[str, dict[str, str]] = TEXTS["papers"]


def words(language: str) -> dict[str, Any]:
    """Every fixed text of the shipped templates in `language`, by its key."""
    return {**WORDS[language], **POSITIONS[language], **SCHEDULE[language],
            **PAPERS[language], **RISK_LEVELS[language], **PROCEDURES[language]}


def _approved_paper(language: str, title: str):
    """A paper of the discussion's (`PAPERS`): the approval block, the organisation, its
    title."""
    w = {**WORDS[language], **PAPERS[language]}
    doc = _new(language)
    _approval(doc, w)
    _org(doc)
    _para(doc, w[title], bold=True, center=True)
    return doc, w


def discussion_minutes(language: str):
    doc, w = _approved_paper(language, "minutes_title")
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
    doc, w = _approved_paper(language, "justification_title")
    _para(doc, w["justification_subject"], bold=True, center=True)
    _para(doc, w["justification_text"])
    return doc


# -- the procedures' papers (002): the conflict of interest's and the gift's -------------------
# What a paper cannot know (the recommendations' text, the gift's description, the measure
# chosen) is a line to fill or a box to tick, never asserted (documents.md D-3).

LINE = "_" * 60
PROCEDURES: dict[str, dict[str, Any]] = TEXTS["procedures"]


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


def _decision(language: str, title: str, texts: tuple[str, ...], due: str):
    """A decision: its paper, its text and the measures to tick, two lines for another
    measure, its deadline, the signer."""
    doc, w = _paper(language, title)
    for key in texts:
        _para(doc, w[key])
    _lines(doc, 2)
    _para(doc, w[due])
    _signer(doc, w)
    return doc


def coi_decision(language: str):
    return _decision(language, "decision_title",
                     ("decision_text", "measure_1", "measure_2", "measure_3"), "decision_due")


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
FORMS: dict[str, dict[str, Any]] = TEXTS["forms"]
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


def _policy_form(language: str, appendix: str, title: str, texts: tuple[str, ...],
                 under_names: str | None = None):
    """An appendix of 003's policy, to fill and sign: its heading, its title, the person's
    name and position (with `under_names` centred after them), its text, the signature line
    and the day."""
    w = {**WORDS[language], **PROCEDURES[language]}
    doc = _new(language)
    _appendix(doc, w[appendix])
    _para(doc, w[title], bold=True, center=True)
    _person_lines(doc, w)
    if under_names is not None:
        _para(doc, w[under_names], center=True)
    for key in texts:
        _para(doc, w[key])
    doc.add_paragraph()
    _para(doc, "________________________________________ " + w["signature"])
    _para(doc, "{{ own.date }}")
    return doc


def policy_consent(language: str):
    """003's appendix 2 (L635-683) as the policy words it, the enterprise named as recorded."""
    return _policy_form(language, "appendix_2", "consent_title",
                        ("consent_text", "consent_1", "consent_2", "consent_3", "consent_4",
                         "consent_kept"))


def policy_confirmation(language: str):
    """003's appendix 3 (L687-719): the three boxes, the employee named as recorded."""
    return _policy_form(language, "appendix_3", "confirm_title",
                        ("confirm_1", "confirm_2", "confirm_3", "confirm_kept"), "confirm_tick")


def enterprise_coi_decision(language: str):
    return _decision(language, "ecoi_title",
                     ("ecoi_text", "ecoi_1", "ecoi_2", "ecoi_3", "ecoi_4", "ecoi_5"), "ecoi_due")


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
