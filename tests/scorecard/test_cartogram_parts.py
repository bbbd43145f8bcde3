"""Two parts per department and district in the cartogram (I-7).

The corruption cartogram of a regional akimat has, for every department and every district,
two parts: the positions exposed to corruption risks and the list of corruption risks
(000:L1807-1809, the rows of Appendix 1; 001:L232-248: «…лауазымдар» and «…тәуекелдерінің
тізбесі» each split by departments and districts, 2 points for each department's and
district's part brought up to date). From version 5 an update names its part; 1.5.1 scores
each (section, part) once, 2 points; Appendix 1 writes each update in its part's row (when
the forms are installed). An update recorded under version 4 names no part: it counts for both,
and is written in both rows.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.databases import dump_tables
from tests.support.features import installed, module_of
from workflow import services as svc
from workflow.core.errors import RuleViolation
from workflow.definitions import DEFINITIONS, Loaded, Registry, load_definition
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings
from workflow.storage.db import session as open_session

planning_svc = module_of("planning", "service")  # the analyses are planned by it

LINK = {"url": "https://abai.gov.kz/cartogram/1"}


def d(text: str) -> date:
    return date.fromisoformat(text)


def _world(db, ctx) -> None:
    """The regional akimat AK: two departments and a district akimat, its three sections."""
    with open_session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        for code, kind in (("AK-EDU", "department"), ("AK-HLT", "department"),
                           ("AK-D1", "district_akimat")):
            svc.add_org(s, ctx, code, code, kind, "AK")
        s.commit()


def _plan(db, ctx, obj: str) -> int:
    with open_session(db) as s:
        aid = planning_svc.plan_analysis(s, ctx, "AK", obj, d("2026-03-02")).analysis.id
        s.commit()
    return aid


def _update(db, ctx, aid, evidence, repeat: bool = False) -> None:
    with open_session(db) as s:
        svc.record_event(s, ctx, aid, "cartogram_update", d("2026-06-01"), dict(evidence),
                         repeat=repeat)
        s.commit()


def _cartogram(db, ctx) -> dict:
    with open_session(db) as s:
        card = scoring.scorecards(s, ctx, "AK", 2026, ScoreSettings())[0]
    return next(i for i in card["indicators"] if i["key"] == "1.5.1")


def _rows(db, ctx) -> dict[int, list[str]]:
    """Appendix 1 in Russian: each row's lines, by the section each names."""
    from workflow.forms import service as forms

    with open_session(db) as s:
        data, _shown, _hidden = forms.form_data(s, ctx, 1, "AK", 2026, "ru")
    out: dict[int, list[str]] = {}
    for line in data.lines:
        texts = {v.key: v.text for v in line.values}
        assert "cartogram_part" not in texts  # the row says which part
        out.setdefault(line.row or 0, []).append(texts["section"])
    return {row: sorted(sections) for row, sections in out.items()}


def test_each_part_of_a_section_is_recorded_and_scored_on_its_own(db, make_ctx):
    ctx = make_ctx(d("2026-06-01"))
    _world(db, ctx)
    aid = _plan(db, ctx, "AK-EDU")
    # the part is required, and one of the two
    before = dump_tables(db)
    for evidence, key in (({"section": "AK-EDU", **LINK}, "rule.missing_evidence"),
                          ({"section": "AK-EDU", "cartogram_part": "both", **LINK},
                           "rule.bad_evidence_choice")):
        with open_session(db) as s, pytest.raises(RuleViolation) as refused:
            svc.record_event(s, ctx, aid, "cartogram_update", d("2026-06-01"), evidence)
        assert refused.value.key == key, refused.value.key
    assert dump_tables(db) == before
    for section, part, repeat in (("AK-EDU", "positions", False), ("AK-EDU", "risks", False),
                                  ("AK-D1", "positions", False),
                                  # the same part twice counts once (recorded again on
                                  # purpose: confirmed, as a repeat within the minute asks)
                                  ("AK-D1", "positions", True)):
        _update(db, ctx, aid, {"section": section, "cartogram_part": part, **LINK}, repeat)
    # 3 sections x 2 parts = 6; EDU's two and D1's positions: 3 x 2 points
    indicator = _cartogram(db, make_ctx(d("2027-01-15")))
    assert indicator["inputs"] == {"unit": "section", "units": 6, "done": 3, "pending": 0,
                                   "per_unit": 2, "sections": 3, "parts": 2}
    assert indicator["points"] == 6.0
    # Appendix 1: row 1 (positions, 000:L1807) EDU and D1 (twice), row 2 (risks, L1809) EDU
    if installed("forms"):
        assert _rows(db, ctx) == {1: ["AK-D1", "AK-D1", "AK-EDU"], 2: ["AK-EDU"]}


def test_a_version_4_update_counts_for_both_parts(db, make_ctx):
    path = DEFINITIONS / "versions" / "internal_risk_analysis.v4.toml"
    v4 = Registry({"internal_risk_analysis": Loaded(load_definition(path=path),
                                                    path.read_text("utf-8"), path)})
    ctx = make_ctx(d("2026-06-01"))
    then = svc.Context(ctx.calendar, v4, ctx.today, actor="test", language="en")
    _world(db, ctx)
    old = _plan(db, then, "AK-HLT")
    new = _plan(db, ctx, "AK-EDU")
    _update(db, ctx, old, {"section": "AK-HLT", **LINK})  # version 4: no part
    _update(db, ctx, new, {"section": "AK-EDU", "cartogram_part": "risks", **LINK})
    indicator = _cartogram(db, make_ctx(d("2027-01-15")))
    assert (indicator["inputs"]["units"], indicator["inputs"]["done"]) == (6, 3)
    assert indicator["points"] == 6.0
    if installed("forms"):  # Appendix 1 writes it in both rows
        assert _rows(db, ctx) == {1: ["AK-HLT"], 2: ["AK-EDU", "AK-HLT"]}
