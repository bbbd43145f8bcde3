"""What the documents' tests read of the demo's analysis, of a case's status and of a drafted
DOCX."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import docx
from sqlmodel import Session, col, select

from tests.support.cli_runner import Merzim
from tests.support.web_helpers import TODAY, Web
from workflow.i18n import Translator
from workflow.storage.models import Case, EventRecord, PlanItem, Recommendation, Risk, Stage, User

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"  # a draft's type
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # a signed scan
DOCUMENTS = ("order", "analytic_note", "action_plan")  # and the monitoring report, per period


def text_of(content: bytes) -> str:
    """Every paragraph, table cell and header line of a DOCX, one a line."""
    d = docx.Document(io.BytesIO(content))
    lines = [p.text for p in d.paragraphs]
    lines += [c.text for t in d.tables for r in t.rows for c in r.cells]
    lines += [p.text for s in d.sections for p in s.header.paragraphs]
    return "\n".join(lines)


def written(day: date) -> str:
    """A date as a reader of kk or ru writes it: 26.11.2026."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def sign_paper(browser, case_id: int, paper: str, form: dict[str, str]) -> None:
    """The case's paper recorded from its page with `form` and its signed scan: accepted."""
    r = browser.post(f"/cases/{case_id}/documents/{paper}", data=form,
                     files={"files": ("signed.pdf", io.BytesIO(PDF), "application/pdf")})
    assert r.status_code == 303, r.text


def stage_and_record(s: Session, case_id: int, stage: str, event: str) -> tuple[Stage, EventRecord]:
    """The case's stage `stage` and its one standing record of `event`."""
    st = s.exec(select(Stage).where(Stage.case_id == case_id, Stage.key == stage)).one()
    rec = s.exec(select(EventRecord).where(EventRecord.case_id == case_id,
                                           EventRecord.event == event)).one()
    return st, rec


def status_of(web: Web, tmp_path, case_id: int) -> dict:
    """`merzim status CASE --json` on TODAY over the web application's database."""
    merzim = Merzim(tmp_path, db_url=web.engine.url.render_as_string(hide_password=False))
    out = merzim("status", str(case_id), "--json", today=TODAY.isoformat())
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def due_of(status: dict, stage: str, lang: str) -> str:
    """The due date of the stage of a case (`status_of`) as a paper in `lang` prints it: a
    projected one says so."""
    st = next(st for st in status["stages"] if st["key"] == stage)
    text = written(date.fromisoformat(st["due"]))
    return f"{text} {Translator(lang)('stage.projected')}" if st["projected"] else text


def recorded(engine, case_id: int) -> dict[str, Any]:
    """The case's risks, recommendations, measures, officer and order signer, read from the
    tables."""
    with Session(engine) as s:
        case = s.get(Case, case_id)
        risks = list(s.exec(select(Risk).where(Risk.analysis_id == case_id)))
        recs = list(s.exec(select(Recommendation).where(
            col(Recommendation.risk_id).in_([r.id for r in risks]))))
        items = list(s.exec(select(PlanItem).where(PlanItem.analysis_id == case_id)
                            .order_by(col(PlanItem.id))))
        order = s.exec(select(EventRecord).where(EventRecord.case_id == case_id,
                                                 EventRecord.event == "order")).first()
        officer = s.get(User, case.responsible_id)
        return {"risks": [r.description for r in risks], "recommendations": [r.text for r in recs],
                "measures": [(i.measure, i.deadline, i.id) for i in items],
                "officer": officer.full_name, "signer": (order.evidence or {})["signed_by"]}


def status_dues(stdout: str) -> dict[str, date]:
    """The due date of each stage as `merzim status --json` gives it."""
    return {st["key"]: date.fromisoformat(st["due"]) for st in json.loads(stdout)["stages"]
            if st["due"]}
