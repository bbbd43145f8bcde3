"""A whole analysis drafted in kk and ru from the command line and from the case page: every
document of project No. 1 the case offers says what was recorded and nothing else
(shared/domain/documents.md D-1 … D-6).

The demo's finished analysis (`mf_done`: the order with its methods and working group, the
discussion with its minutes, the note with its assessed risks, the plan, the positions list
and the publication, all recorded as an officer records them) is drafted by `merzim document
draft` and downloaded from the case page's document pages; both drafts read the same, and
each date, number, name, member, method, risk level and rank, measure and position equals
`merzim status --json`, `merzim risk list --json` and the stored records. A stage not yet
recorded (the result note's) prints blanks for its date and number.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tests.documents.helpers import text_of, written
from tests.support.features import module_of
from tests.support.web_helpers import (
    Web,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow.storage.models import (
    Case,
    Organisation,
    PlanItem,
    Position,
    Recommendation,
    Risk,
)

texts = module_of("documents", "texts")
BLANK = texts.BLANK
METHODS = {"kk": "Талдау әдістері: {}", "ru": "Методы анализа: {}"}
LEVEL_LINE = {"kk": "Тәуекел деңгейі: {level} (ықтималдығы {lk} × салдары {cq} = {score}); "
                    "рангі {rank}.",
              "ru": "Уровень риска: {level} (вероятность {lk} × последствия {cq} = {score}); "
                    "ранг {rank}."}


def _ok(result) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def _members(text: str) -> list[tuple[str, str]]:
    """A recorded list of "name, position; …" as (name, position) pairs."""
    return [tuple(part.strip() for part in member.split(",", 1))  # type: ignore[misc]
            for member in text.split(";") if member.strip()]


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _cli_draft(merzim_db, tmp_path: Path, case: int, stage: str, lang: str) -> bytes:
    out = tmp_path / f"{stage}-{lang}.docx"
    _ok(merzim_db("document", "draft", str(case), stage, "--lang", lang, "--out", str(out),
                  lang=lang))
    return out.read_bytes()


def _page_draft(web: Web, browser, case: int, stage: str, lang: str) -> bytes:
    """The document as the officer downloads it from its page, reached from the case page."""
    page = browser.get(f"/cases/{case}").text
    assert f'href="/cases/{case}/documents/{stage}"' in page, stage
    doc_page = browser.get(f"/cases/{case}/documents/{stage}").text
    link = f"/cases/{case}/documents/{stage}/docx?lang={lang}"
    assert link.replace("&", "&amp;") in doc_page or link in doc_page, (stage, lang)
    r = browser.get(link)
    assert r.status_code == 200, r.text[:500]
    return r.content


def _tables(content: bytes) -> list[list[list[str]]]:
    import io

    import docx

    d = docx.Document(io.BytesIO(content))
    return [[[c.text.strip() for c in row.cells] for row in t.rows] for t in d.tables]


def _draft_all(web: Web, merzim_db, tmp_path: Path, case: int, lang: str,
               stages: dict[str, dict]) -> tuple[dict[str, str], dict[str, list]]:
    """Every document the case offers, drafted by the command line and from its page (one
    draft, whichever way it is asked): their texts and tables, by document; each one's own
    date and number checked against its stage's record (D-1: blanks while not recorded)."""
    offered = json.loads(_ok(merzim_db("document", "list", str(case), "--json",
                                       lang=lang)))["documents"]
    by_doc = {d["document"]: d["stage"] for d in offered}
    # the documents of project 1 drafted from a case (the schedule is the programme's)
    assert set(by_doc) >= {"order", "discussion_minutes", "analytic_note", "action_plan",
                           "justification_note", "positions_list", "monitoring_note"}
    browser = web.browser("aigerim")
    drafted: dict[str, str] = {}
    tables: dict[str, list] = {}
    for doc, stage in by_doc.items():
        cli = _cli_draft(merzim_db, tmp_path, case, stage, lang)
        page = _page_draft(web, browser, case, stage, lang)
        drafted[doc], tables[doc] = text_of(cli), _tables(cli)
        assert text_of(page) == drafted[doc], doc
        st = stages[stage]
        if st["done_on"]:
            assert written(date.fromisoformat(st["done_on"])) in drafted[doc], doc
            number = (st["evidence"] or {}).get("number")
            if number:
                assert f"№ {number}" in drafted[doc], doc
        else:
            assert f"№ {BLANK}" in drafted[doc], doc
    return drafted, tables


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_document_of_a_whole_analysis_says_what_was_recorded(web: Web, merzim_db,
                                                                   tmp_path, lang):
    case = web.analyses["mf_done"]
    status = json.loads(_ok(merzim_db("status", str(case), "--json", lang=lang)))
    stages = {st["key"]: st for st in status["stages"]}
    drafted, tables = _draft_all(web, merzim_db, tmp_path, case, lang, stages)
    order_tables, note_tables = tables["order"], tables["analytic_note"]
    plan_tables, positions_tables = tables["action_plan"], tables["positions_list"]

    with Session(web.engine) as s:
        c = s.get(Case, case)
        obj = s.get(Organisation, c.object_id)
        risks = list(s.exec(select(Risk).where(Risk.analysis_id == case)
                            .order_by(col(Risk.id))))
        recs = list(s.exec(select(Recommendation).where(
            col(Recommendation.risk_id).in_([r.id for r in risks]))
            .order_by(col(Recommendation.id))))
        items = list(s.exec(select(PlanItem).where(PlanItem.analysis_id == case)
                            .order_by(col(PlanItem.id))))
        positions = list(s.exec(select(Position).where(Position.analysis_id == case)
                                .order_by(col(Position.id))))
    name = getattr(obj, f"name_{lang}") or obj.name  # the organisation's name in the language
    assert risks and recs and items and positions

    # the order: its methods and working group as recorded with it, and the work plan's
    # deadlines as `merzim status --json` gives them
    order_ev = stages["order"]["evidence"]
    lines = drafted["order"].splitlines()
    members = _members(order_ev["working_group"])
    assert [ln for ln in lines if ln.startswith("– ")] == [
        f"– {n}, {p}{'.' if i == len(members) else ';'}"
        for i, (n, p) in enumerate(members, start=1)]
    plan_rows = order_tables[0][1:]
    plan_names = {st["name"]: st for st in stages.values()}
    for _no, stage_name, due, _basis, _who in plan_rows:
        st = plan_names[stage_name]
        if st["due"]:
            assert due.startswith(written(date.fromisoformat(st["due"]))), (stage_name, due)

    # the note: the methods as recorded, each risk with its causes, level and rank as the
    # command line lists them, the recommendations by number against their risk
    note = drafted["analytic_note"]
    assert METHODS[lang].format(order_ev["analysis_methods"]) in note.splitlines()
    listed = json.loads(_ok(merzim_db("risk", "list", str(case), "--json",
                                      lang=lang)))["risks"]
    assert [x["id"] for x in listed] == [r.id for r in risks]
    for x, risk in zip(listed, risks, strict=True):
        assert f"{x['no']}. {risk.description}" in note
        assert risk.causes and risk.causes in note
        assert LEVEL_LINE[lang].format(level=x["level"], lk=x["likelihood"],
                                       cq=x["consequence"], score=x["score"],
                                       rank=x["rank"]) in note.splitlines(), x
    ranking = note_tables[0][1:]
    assert [(int(r[0]), int(r[1])) for r in ranking] == sorted(
        (x["rank"], x["no"]) for x in listed)
    numbers = {r.id: n for n, r in enumerate(risks, start=1)}
    rec_rows = note_tables[-1][1:]
    assert [(row[1], row[2]) for row in rec_rows] == [
        (rec.text, str(numbers[rec.risk_id])) for rec in recs]

    # the plan: each measure, its form, deadline and subdivision as recorded
    plan = plan_tables[0][1:]
    assert [(row[1], row[3], row[4]) for row in plan] == [
        (i.measure, i.completion_form, written(i.deadline)) for i in items]
    for row, item in zip(plan, items, strict=True):  # the subdivision, then the person
        who = [part.strip() for part in row[5].split(",")]
        assert who[0] == item.subdivision, row
        assert who[1] == (item.person or BLANK), row

    # the minutes: who took part, what was proposed and decided, as recorded
    minutes = drafted["discussion_minutes"]
    disc = stages["public_discussion"]["evidence"]
    for n, p in _members(disc["discussion_participants"]):
        assert f"– {n}, {p}" in minutes
    for k, item in enumerate(_items(disc["discussion_proposals"]), start=1):
        assert f"{k}. {item}" in minutes
    for k, item in enumerate(_items(disc["discussion_decisions"]), start=1):
        assert f"{k}. {item}" in minutes

    # the positions list: each position, its subdivision and its risk by number
    rows = positions_tables[0][1:]
    assert [row[1] for row in rows] == [p.title for p in positions]
    for row, p in zip(rows, positions, strict=True):
        if p.risk_id is not None:
            assert row[3].startswith(f"{numbers[p.risk_id]}. "), row

    # the justification: the publication recorded a link, no reason not to publish: a blank
    assert "unpublished_reason" not in stages["publication"]["evidence"]
    assert BLANK in drafted["justification_note"]

    # nothing the template fixes stands as a fact: the analysed organisation is named as
    # recorded, and no recorded value is left blank
    assert name in note and f"{name}\n" in drafted["order"]
    for doc in ("order", "analytic_note", "action_plan", "positions_list",
                "discussion_minutes"):
        body = drafted[doc]
        assert not re.search(r"\(\s*\)", body), doc
    assert BLANK not in "\n".join(ln for ln in drafted["order"].splitlines()
                                  if ln.startswith("– "))
