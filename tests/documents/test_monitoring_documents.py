"""The monitoring's documents as they are signed (shared/domain/documents.md D-5, D-10): each
period's monitoring report confirms the officer's review of that period, names the period with
its dates, prints its units' report's and review's deadlines and days as `merzim status` and
the records hold them, and shows each measure with one status as of the period's end; each
period's file is named by its period; the note on the results of monitoring (appendix 7 of order
No. 488) prints the status each review set.

The demo's first analysis (`mf_done`, tests/support/web_helpers.py; its note signed on
17 September 2025, so its periods counted from the note are 2025N1 = 17.09.2025 – 16.12.2025,
2025N2 = 17.12.2025 – 16.03.2026, …) with the demo's four measures, deadlines 05.01.2026,
27.01.2026, 13.01.2026, 17.02.2026, and the demo's verdicts of 19 November 2025:
recommendation 1 in progress, 4 not started. A story over a year, by command line with the day
pinned to each step's.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import docx
from sqlmodel import Session, col, select

from tests.documents.helpers import text_of, written
from tests.support.web_helpers import (
    TODAY,
    Web,
    csrf_of,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow.storage.models import EventRecord, MonitoringReport, PlanItem, Recommendation, Stage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# each measure's one status, as a reader of the language writes it (document.measure.*)
WORDS = {"ru": {"not_due": "срок не наступил", "in_progress": "в работе",
                "not_started": "не начато", "overdue": "просрочено",
                "done_on_time": "исполнено в срок", "not_done": "не исполнено"},
         "kk": {"not_due": "мерзімі әлі келген жоқ", "in_progress": "орындалуда",
                "not_started": "басталған жоқ", "overdue": "мерзімі өтіп кетті",
                "done_on_time": "мерзімінде орындалды", "not_done": "орындалмады"}}
VERDICTS = {"ru": {"not_started": "не начато", "in_progress": "в работе",
                   "fulfilled": "исполнено", "not_fulfilled": "не исполнено"},
            "kk": {"not_started": "басталған жоқ", "in_progress": "орындалуда",
                   "fulfilled": "орындалды", "not_fulfilled": "орындалмады"}}
UNRECORDED = {"ru": "статус не установлен", "kk": "мәртебесі белгіленбеген"}
PERIOD_WORD = {"ru": "отчётный период", "kk": "есепті кезең"}
BLANK = "____________________"


def _ok(result) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def _plus_months(day: date, months: int) -> date:
    """`day` moved by whole months (a day the month lacks: its last), as the sources count a
    period "3 months from the note" (000:L493-499)."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _bounds(note: date, n: int) -> tuple[date, date]:
    """Period n counted from the note: [N + 3(n-1) months, N + 3n months)."""
    first = _plus_months(note, 3 * (n - 1))
    last = date.fromordinal(_plus_months(note, 3 * n).toordinal() - 1)
    return first, last


def _status(merzim_db, case: int, today: str) -> dict[str, dict]:
    shown = json.loads(_ok(merzim_db("status", str(case), "--json", today=today)))
    return {st["key"]: st for st in shown["stages"]}


def _rows(content: bytes) -> list[list[str]]:
    """The drafted report's status table: a row per measure (measure, deadline, status)."""
    table = docx.Document(io.BytesIO(content)).tables[-1]
    return [[r.cells[i].text for i in (1, 2, 3)] for r in table.rows[1:]]


def _draft(merzim_db, tmp_path: Path, case: int, stage: str, lang: str, today: str
           ) -> tuple[dict, bytes]:
    out = tmp_path / f"{stage.replace(':', '-')}-{lang}.docx"
    shown = json.loads(_ok(merzim_db("document", "draft", str(case), stage, "--lang", lang,
                                     "--out", str(out), "--json", today=today)))
    return shown, out.read_bytes()


def _recs(web: Web, case: int) -> list[Recommendation]:
    with Session(web.engine) as s:
        items = list(s.exec(select(PlanItem).where(PlanItem.analysis_id == case)
                            .order_by(col(PlanItem.id))))
        return [s.get(Recommendation, i.recommendation_id) for i in items]


def test_each_periods_report_confirms_its_review_and_reads_as_at_its_end(web: Web, merzim_db,
                                                                         tmp_path):
    kgd = web.analyses["mf_done"]
    recs = _recs(web, kgd)
    assert len(recs) == 4
    scan = tmp_path / "review-signed.pdf"
    scan.write_bytes(PDF)
    # before the units' report of a period comes, its report is not offered: it carries the
    # review, and the review's stage is made when the report is received
    listed = json.loads(_ok(merzim_db("document", "list", str(kgd), "--json",
                                      today="2026-01-20")))["documents"]
    assert not [d for d in listed if d["document"] == "monitoring_report"]
    # period 1: the units' report received on 9 January, recommendation 2 fulfilled on
    # 14 January (after the period), the review signed from the document's place on 15 January
    _ok(merzim_db("record", str(kgd), "monitoring_report", "--period", "2025N1", "--date",
                  "2026-01-09", today="2026-01-20"))
    _ok(merzim_db("recommendation", "status", str(recs[1].id), "fulfilled", "--date",
                  "2026-01-14", "--form", "График", "--number", "7-ө", today="2026-01-20"))
    before = web.dump()
    refused = merzim_db("document", "sign", str(kgd), "monitoring_report:2025N1", "--date",
                        "2026-01-15", "--file", str(scan), today="2026-01-20", lang="ru")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr  # not a document's
    assert web.dump() == before
    signed = json.loads(_ok(merzim_db("document", "sign", str(kgd), "monitoring_review:2025N1",
                                      "--date", "2026-01-15", "--file", str(scan), "--json",
                                      today="2026-01-20")))
    assert signed["event"] == "monitoring_review"
    with Session(web.engine) as s:
        rec = s.get(EventRecord, signed["record"])
        assert rec.event == "monitoring_review" and rec.evidence["period"] == "2025N1"
        row = s.exec(select(MonitoringReport).where(MonitoringReport.analysis_id == kgd,
                                                    MonitoringReport.period == "2025N1")).one()
        assert row.reviewed_on == date(2026, 1, 15)
        review = s.exec(select(Stage).where(Stage.case_id == kgd,
                                            Stage.key == "monitoring_review:2025N1")).one()
        assert (review.status, review.done_on) == ("done_on_time", date(2026, 1, 15))
    # period 2: received on 20 March; recommendation 3 not fulfilled on 10 March (in the
    # period); period 2 is drafted before its review, period 1 after period 2's events
    _ok(merzim_db("recommendation", "status", str(recs[2].id), "not_fulfilled", "--date",
                  "2026-03-10", "--note", "регламент не изменён", today="2026-03-10"))
    _ok(merzim_db("record", str(kgd), "monitoring_report", "--period", "2025N2", "--date",
                  "2026-03-20", today="2026-04-01"))
    today = "2026-04-01"
    stages = _status(merzim_db, kgd, today)
    note = date.fromisoformat(stages["analytic_note"]["done_on"])
    periods = {p["period"]: p for p in json.loads(_ok(merzim_db(
        "monitoring", "periods", str(kgd), "--json", today=today)))["periods"]}
    expected = {
        # as of 16 December 2025: only the verdicts of 19 November stood, no deadline passed
        "2025N1": ["in_progress", "not_due", "not_due", "not_started"],
        # as of 16 March 2026: measure 1 past its deadline, 2 fulfilled before its deadline,
        # 3 not fulfilled by the review, 4 past its deadline
        "2025N2": ["overdue", "done_on_time", "not_done", "overdue"],
    }
    listed = {d["stage"]: d for d in json.loads(_ok(merzim_db(
        "document", "list", str(kgd), "--json", today=today, lang="ru")))["documents"]}
    human = _ok(merzim_db("document", "list", str(kgd), today=today, lang="ru"))
    for n, period in enumerate(("2025N1", "2025N2"), start=1):
        first, last = _bounds(note, n)
        stage = f"monitoring_review:{period}"
        assert listed[stage]["document"] == "monitoring_report"
        assert f"{written(first)} – {written(last)}" in listed[stage]["period"]
        assert f"{stage}: Отчёт о мониторинге, {n}-й отчётный период" in human
        assert f"({written(first)} – {written(last)})" in human
        for lang in ("kk", "ru"):
            shown, content = _draft(merzim_db, tmp_path, kgd, stage, lang, today)
            text = text_of(content)
            # the period by its name and dates
            assert f"{n}-{'й ' if lang == 'ru' else ''}{PERIOD_WORD[lang]}" in text, (lang, n)
            assert f"({written(first)} – {written(last)})" in text, (lang, n)
            # the deadlines as `merzim status` gives them, the days as recorded
            report_due = date.fromisoformat(stages[f"monitoring_report:{period}"]["due"])
            review_due = date.fromisoformat(stages[stage]["due"])
            assert review_due == date.fromisoformat(periods[period]["review_due"])
            lines = text.splitlines()
            report_line = next(x for x in lines if written(report_due) in x)
            assert written(date.fromisoformat(periods[period]["received_on"])) in report_line
            review_line = next(x for x in lines if written(review_due) in x)
            reviewed = periods[period]["reviewed_on"]
            if reviewed:
                assert written(date.fromisoformat(reviewed)) in review_line, (lang, period)
            else:
                assert BLANK in review_line, (lang, period)
            # one status per measure, as of the period's end
            assert [r[2] for r in _rows(content)] == [WORDS[lang][k] for k in expected[period]]
            assert shown["stage"] == stage and period in shown["filename"]
    # the review of period 2 signed from the document's place; period 1 unchanged by it
    _ok(merzim_db("document", "sign", str(kgd), "monitoring_review:2025N2", "--date",
                  "2026-03-25", "--file", str(scan), today=today))
    _shown, content = _draft(merzim_db, tmp_path, kgd, "monitoring_review:2025N2", "ru", today)
    assert "рассмотрен 25.03.2026" in text_of(content)
    # the units' report stays recordable as before: its stage is done by its record
    stages = _status(merzim_db, kgd, today)
    assert stages["monitoring_report:2025N2"]["done_on"] == "2026-03-20"
    assert stages["monitoring_review:2025N2"]["done_on"] == "2026-03-25"


def test_four_periods_files_never_share_a_name_and_the_result_note_reads_the_reviews(
        web: Web, merzim_db, tmp_path):
    kgd = web.analyses["mf_done"]
    recs = _recs(web, kgd)
    scan = tmp_path / "signed.pdf"
    scan.write_bytes(PDF)
    for period, received, reviewed in (("2025N1", "2026-01-09", "2026-01-15"),
                                       ("2025N2", "2026-03-20", "2026-03-26"),
                                       ("2025N3", "2026-07-06", "2026-07-10"),
                                       ("2025N4", "2026-10-05", "2026-10-09")):
        _ok(merzim_db("record", str(kgd), "monitoring_report", "--period", period, "--date",
                      received, today="2026-10-20"))
        _ok(merzim_db("document", "sign", str(kgd), f"monitoring_review:{period}", "--date",
                      reviewed, "--file", str(scan), today="2026-10-20"))
    _ok(merzim_db("recommendation", "status", str(recs[0].id), "fulfilled", "--date",
                  "2026-07-08", "--form", "Приказ", "--number", "45-ө", today="2026-10-20"))
    _ok(merzim_db("recommendation", "status", str(recs[2].id), "not_fulfilled", "--date",
                  "2026-10-08", "--note", "регламент не изменён", today="2026-10-20"))
    today = "2026-10-20"
    names = set()
    for period in ("2025N1", "2025N2", "2025N3", "2025N4"):
        for lang in ("kk", "ru"):
            shown, _content = _draft(merzim_db, tmp_path, kgd, f"monitoring_review:{period}",
                                     lang, today)
            assert period in shown["filename"] and "MF-KGD-ALM" in shown["filename"]
            names.add(shown["filename"])
    assert len(names) == 8  # four periods in two languages: eight names
    # the web's download is named the same way (Content-Disposition)
    r = web.api("aigerim").get(f"/api/v1/cases/{kgd}/documents/monitoring_review:2025N3",
                               params={"lang": "ru"})
    assert r.status_code == 200, r.text
    assert "Отчёт_о_мониторинге_MF-KGD-ALM_№" in unquote(r.headers["content-disposition"])
    assert "_2025N3_" in unquote(r.headers["content-disposition"])
    # the note on the results of monitoring: each recommendation's status as the reviews set it
    with Session(web.engine) as s:
        recorded = [(r.status if r.status_on else None) for r in
                    (s.get(Recommendation, x.id) for x in recs)]
    # 1 and 3 by this story, 4 by the demo; 2 never given a status
    assert recorded == ["fulfilled", None, "not_fulfilled", "not_started"]
    for lang in ("kk", "ru"):
        shown, content = _draft(merzim_db, tmp_path, kgd, "monitoring", lang, today)
        assert shown["document"] == "monitoring_note"
        table = docx.Document(io.BytesIO(content)).tables[-1]
        cells = [[c.text for c in row.cells] for row in table.rows[1:]]
        assert len(cells) == len(recs)
        for row, rec, status in zip(cells, recs, recorded, strict=True):
            assert row[1].startswith(rec.text)
            assert row[3].split(",")[0] == (VERDICTS[lang][status] if status else BLANK)
        text = text_of(content)
        lines = text.splitlines()
        for status in ("fulfilled", "not_fulfilled", "not_started", "in_progress"):
            assert f"{VERDICTS[lang][status]}: {recorded.count(status)}" in lines, (lang, status)
        assert f"{UNRECORDED[lang]}: 1" in lines
        with Session(web.engine) as s:  # every measure with its form of completion
            for item in s.exec(select(PlanItem).where(PlanItem.analysis_id == kgd)):
                assert f"{item.measure}: {item.completion_form}, {written(item.deadline)}" \
                    in text
        assert "45-ө" in text  # the fulfilment's evidence


def test_the_case_page_offers_the_report_beside_each_review_and_records_it(web: Web, merzim_db):
    kgd = web.analyses["mf_done"]
    _ok(merzim_db("record", str(kgd), "monitoring_report", "--period", "2025N1", "--date",
                  (TODAY.replace(day=TODAY.day - 1)).isoformat(), today=TODAY.isoformat()))
    b = web.browser("aigerim")
    page = b.get(f"/cases/{kgd}").text
    assert f'href="/cases/{kgd}/documents/monitoring_review:2025N1"' in page
    assert f'href="/cases/{kgd}/documents/monitoring_report:2025N1"' not in page
    # the period's dates beside its name, as the reader's language (English) writes them
    assert "Reporting period 1 from the signing of the analytic note (2025-09-17 – 2025-12-16)" \
        in page
    doc_page = b.get(f"/cases/{kgd}/documents/monitoring_review:2025N1")
    assert doc_page.status_code == 200
    assert 'data-testid="document-period"' in doc_page.text
    # the note on the results of monitoring beside the stage it closes, drafted in each language
    assert f'href="/cases/{kgd}/documents/monitoring"' in page
    note_page = b.get(f"/cases/{kgd}/documents/monitoring")
    assert note_page.status_code == 200
    assert 'data-testid="document-refused' not in note_page.text
    r = b.post(f"/cases/{kgd}/documents/monitoring_review:2025N1",
               data={"csrf": csrf_of(doc_page.text), "date": TODAY.isoformat()},
               files={"files": ("review.pdf", io.BytesIO(PDF), "application/pdf")})
    assert r.status_code == 303, r.text
    with Session(web.engine) as s:
        rec = s.exec(select(EventRecord).where(EventRecord.case_id == kgd,
                                               EventRecord.event == "monitoring_review")).one()
        assert rec.evidence["period"] == "2025N1" and rec.on == TODAY
    api = web.api("aigerim")
    listed = api.get(f"/api/v1/cases/{kgd}/documents").json()["documents"]
    offered = [d for d in listed if d["document"] == "monitoring_report"]
    assert [d["stage"] for d in offered] == ["monitoring_review:2025N1"]
    assert offered[0]["period"].endswith("1-есепті кезең (17.09.2025 – 16.12.2025)")  # her kk
    r = api.get(f"/api/v1/cases/{kgd}/documents/monitoring_review:2025N1", params={"lang": "kk"})
    assert f"қаралды {written(TODAY)}" in text_of(r.content)
