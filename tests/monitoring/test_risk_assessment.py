"""Risks assessed, ranked and answered by the plan (D-6), through the service layer on SQLite
and PostgreSQL: a risk's likelihood and consequence give its level by the criteria file
(workflow/monitoring/risk_levels.toml; another file, other levels); risks are ranked by level,
score and number; the risk map places each risk's number in its cell; the action plan's
approval is refused while a risk has no measure, unless the reason is given. Every refusal
leaves every table unchanged."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from tests.monitoring import risk_world as story
from tests.monitoring.risk_world import (
    EVIDENCE,
    GOOD,
    cells,
    commit,
    plan,
    read,
    record,
    refused,
)
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.i18n import Translator
from workflow.monitoring import levels, maps
from workflow.monitoring import service as ms

PLAN_DAY = date(2025, 12, 2)
ctx, noted = story.ctx, story.noted  # the akimat and its analysis, note signed (fixtures)


def _signed(**more: str) -> dict[str, str]:
    """The plan's record as the story signs it, with `more`."""
    return {**EVIDENCE["action_plan"], **more}


def _risks(db, aid) -> list[tuple[str, int | None, int | None]]:
    return read(db, lambda s: [(r.description, r.likelihood, r.consequence)
                               for r in ms.risks_in_order(s, aid)])


def _rows(db, ctx, aid) -> list[tuple[int, str | None, int]]:
    return [(r["no"], r["level_key"], r["rank"])
            for r in read(db, lambda s: ms.risk_rows(s, ctx, aid))]


def test_a_risks_grades_give_its_level_and_a_risk_without_them_is_not_assessed(db, ctx, noted):
    for text, lk, cq in (("Manual queue", 3, 3), ("Paper certificates", 1, 2),
                         ("Gifts at the front desk", "2", " 2 "), ("Recorded before", None, None)):
        commit(db, lambda s, text=text, lk=lk, cq=cq: ms.add_risk(
            s, ctx, text, analysis_id=noted, likelihood=lk, consequence=cq))
    assert _risks(db, noted) == [("Manual queue", 3, 3), ("Paper certificates", 1, 2),
                                 ("Gifts at the front desk", 2, 2), ("Recorded before", None, None)]
    rows = read(db, lambda s: ms.risk_rows(s, ctx, noted))
    assert [(r["level_key"], r["level"], r["score"]) for r in rows] == [
        ("high", "High", 9), ("low", "Low", 2), ("medium", "Medium", 4),
        (None, "not assessed", None)]
    ru = read(db, lambda s: ms.risk_rows(s, ctx.__class__(**{**ctx.__dict__, "language": "ru"}),
                                         noted))
    assert [r["level"] for r in ru] == ["Высокий", "Низкий", "Средний", "не оценён"]


@pytest.mark.parametrize("lk, cq, key, text", [
    (4, 1, "risk.bad_grade", "Вероятность: «4» — не степень шкалы; степени: 1, 2, 3."),
    ("two", 1, "risk.bad_grade", "Вероятность: «two» — не степень шкалы; степени: 1, 2, 3."),
    (2, 0, "risk.bad_grade", "Последствия: «0» — не степень шкалы; степени: 1, 2, 3."),
    (2, None, "risk.grade_pair", "не указано — Последствия"),
    ("", 3, "risk.grade_pair", "не указано — Вероятность"),
])
def test_a_bad_grade_is_refused_in_the_readers_language_and_stores_nothing(db, ctx, noted,
                                                                           lk, cq, key, text):
    err = refused(db, lambda s: ms.add_risk(s, ctx, "Manual queue", analysis_id=noted,
                                            likelihood=lk, consequence=cq), UsageError, key)
    assert text in err.render(Translator("ru"))
    assert err.render(Translator("kk")) != err.render(Translator("en"))
    risk = commit(db, lambda s: ms.add_risk(s, ctx, "Manual queue", analysis_id=noted))
    refused(db, lambda s: ms.assess_risk(s, ctx, risk.id, lk, cq), UsageError, key)


def test_a_recorded_risk_is_assessed_and_corrected_with_both_grades(db, ctx, noted):
    risk = commit(db, lambda s: ms.add_risk(s, ctx, "Manual queue", analysis_id=noted))
    assert _rows(db, ctx, noted) == [(1, None, 1)]
    commit(db, lambda s: ms.assess_risk(s, ctx, risk.id, "2", "3"))
    assert _risks(db, noted) == [("Manual queue", 2, 3)]
    assert _rows(db, ctx, noted) == [(1, "high", 1)]
    commit(db, lambda s: ms.assess_risk(s, ctx, risk.id, 1, 1))
    assert _rows(db, ctx, noted) == [(1, "low", 1)]
    refused(db, lambda s: ms.assess_risk(s, ctx, 9999, 1, 1), NotFound, "notfound.risk")
    refused(db, lambda s: ms.assess_risk(s, ctx, risk.id, None, None), UsageError,
            "risk.grade_pair")
    other = plan(db, ctx, obj="AK-HLTH")
    refused(db, lambda s: ms.assess_risk(s, ctx, risk.id, 1, 1, analysis_id=other), NotFound)


def test_risks_are_ranked_by_level_then_score_then_number(db, ctx, noted):
    grades = [(1, 1), (2, 2), None, (3, 2), (2, 3), (1, 3), (3, 3), (1, 2)]
    for n, g in enumerate(grades, start=1):
        lk, cq = g or (None, None)
        commit(db, lambda s, n=n, lk=lk, cq=cq: ms.add_risk(
            s, ctx, f"Risk {n}", analysis_id=noted, likelihood=lk, consequence=cq))
    # high: 7 (9), 4 (6), 5 (6); medium: 2 (4), 6 (3); low: 8 (2), 1 (1); not assessed: 3
    ranks = {no: rank for no, _level, rank in _rows(db, ctx, noted)}
    assert sorted(ranks, key=ranks.get) == [7, 4, 5, 2, 6, 8, 1, 3]


def _write(tmp_path: Path, matrix: str) -> Path:
    text = levels.SHIPPED.read_text(encoding="utf-8")
    changed = re.sub(r"matrix = \[.*?\n\]", matrix, text, count=1, flags=re.S)
    assert changed != text
    path = tmp_path / "risk_levels.toml"
    path.write_text(changed, encoding="utf-8")
    return path


def test_the_levels_are_the_criteria_files_and_follow_its_change(db, ctx, noted, tmp_path,
                                                                  monkeypatch):
    commit(db, lambda s: ms.add_risk(s, ctx, "Manual queue", analysis_id=noted,
                                     likelihood=1, consequence=3))
    commit(db, lambda s: ms.add_risk(s, ctx, "Paper certificates", analysis_id=noted,
                                     likelihood=2, consequence=2))
    assert _rows(db, ctx, noted) == [(1, "medium", 2), (2, "medium", 1)]
    # the office's own criteria: every cell of the third consequence is high
    monkeypatch.setattr(levels, "SHIPPED", _write(tmp_path, 'matrix = [\n'
                        '["low", "low", "high"], ["low", "medium", "high"],\n'
                        '["medium", "medium", "high"],\n]'))
    assert _rows(db, ctx, noted) == [(1, "high", 1), (2, "medium", 2)]
    assert _risks(db, noted) == [("Manual queue", 1, 3), ("Paper certificates", 2, 2)]
    # a matrix naming a level the file does not have is refused when read
    monkeypatch.setattr(levels, "SHIPPED", _write(tmp_path, 'matrix = [\n'
                        '["low", "low", "extreme"], ["low", "medium", "high"],\n'
                        '["medium", "medium", "high"],\n]'))
    with pytest.raises(Exception, match="unknown levels"):
        levels.criteria()


def test_the_shipped_criteria_are_three_grades_with_names_in_three_languages():
    found = levels.criteria()
    assert [g.grade for g in found.likelihood] == [1, 2, 3] == [g.grade for g in found.consequence]
    assert [lv.key for lv in found.levels] == ["low", "medium", "high"]
    for item in (*found.likelihood, *found.consequence, *found.levels):
        assert all(item.names.get(lang) for lang in ("kk", "ru", "en"))
    # the product: 1-2 low, 3-4 medium, 6-9 high
    assert {(lk, cq): found.level(lk, cq).key for lk in (1, 2, 3) for cq in (1, 2, 3)} == {
        (lk, cq): "low" if lk * cq <= 2 else "medium" if lk * cq <= 4 else "high"
        for lk in (1, 2, 3) for cq in (1, 2, 3)}


def test_the_risk_map_places_each_number_in_the_cell_of_its_grades(db, ctx, noted):
    for n, (lk, cq) in enumerate([(3, 1), (1, 3), (3, 1), (None, None)], start=1):
        commit(db, lambda s, n=n, lk=lk, cq=cq: ms.add_risk(
            s, ctx, f"Risk {n}", analysis_id=noted, likelihood=lk, consequence=cq))
    drawn = read(db, lambda s: maps.of_analysis(s, svc.get_analysis(s, noted), "ru"))
    found = cells(drawn.svg)
    assert found[(3, 1)] == ("medium", "1, 3") and found[(1, 3)] == ("medium", "2")
    assert all(text == "" for key, (_lv, text) in found.items() if key not in ((3, 1), (1, 3)))
    assert len(found) == 9 and found[(3, 3)][0] == "high" and found[(1, 1)][0] == "low"
    assert "<title id=\"riskmap-title\">Карта рисков</title>" in drawn.svg
    assert "1 риск не оценён: 4" in drawn.svg and "2 риска: 1, 3" in drawn.svg
    assert drawn.not_assessed == ["4"]


# -- no risk without a measure (D-6) -----------------------------------------------------------


def _measure(db, ctx, aid, risk_id):
    rec = commit(db, lambda s: ms.add_recommendation(s, ctx, risk_id, "Use the e-queue")).id
    commit(db, lambda s: ms.import_plan(s, ctx, [dict(GOOD, recommendation=str(rec))],
                                        analysis_id=aid))


def test_the_plan_is_not_approved_while_a_risk_has_no_measure(db, ctx, noted):
    first = commit(db, lambda s: ms.add_risk(s, ctx, "Manual queue", analysis_id=noted))
    commit(db, lambda s: ms.add_risk(s, ctx, "Paper certificates", analysis_id=noted))
    third = commit(db, lambda s: ms.add_risk(s, ctx, "Gifts", analysis_id=noted))
    _measure(db, ctx, noted, first.id)
    assert read(db, lambda s: ms.unmeasured(s, noted)) == [2, 3]
    err = refused(db, lambda s: svc.record_event(s, ctx, noted, "action_plan", PLAN_DAY, _signed()),
                  RuleViolation, "rule.risks_unmeasured")
    assert err.params["risks"] == "№2, №3" and err.params["n"] == 2
    assert "у 2 рисков нет мероприятия в плане (№2, №3)" in err.render(Translator("ru"))
    assert "(Риски без мероприятия: причина)" in err.render(Translator("ru"))
    # a blank reason is no reason
    refused(db, lambda s: svc.record_event(s, ctx, noted, "action_plan", PLAN_DAY,
                                           _signed(unmeasured_reason="   ")),
            RuleViolation, "rule.risks_unmeasured")
    _measure(db, ctx, noted, third.id)
    err = refused(db, lambda s: svc.record_event(s, ctx, noted, "action_plan", PLAN_DAY, _signed()),
                  RuleViolation, "rule.risks_unmeasured")
    assert err.params["risks"] == "№2" and "у 1 риска нет" in err.render(Translator("ru"))
    # with the reason it is approved, the reason kept with the record
    rec = commit(db, lambda s: svc.record_event(
        s, ctx, noted, "action_plan", PLAN_DAY,
        _signed(unmeasured_reason="Risk 2 is removed by the new law from 1 January")))
    assert rec.evidence["unmeasured_reason"] == "Risk 2 is removed by the new law from 1 January"
    st = read(db, lambda s: svc.stages_of(s, svc.get_analysis(s, noted)))["action_plan"]
    assert st.done_on == PLAN_DAY


def test_the_plan_of_an_analysis_whose_every_risk_has_a_measure_needs_no_reason(db, ctx, noted):
    risk = commit(db, lambda s: ms.add_risk(s, ctx, "Manual queue", analysis_id=noted))
    _measure(db, ctx, noted, risk.id)
    assert read(db, lambda s: ms.unmeasured(s, noted)) == []
    record(db, ctx, noted, "action_plan", PLAN_DAY)
    assert read(db, lambda s: svc.stages_of(s, svc.get_analysis(s, noted)))[
        "action_plan"].done_on == PLAN_DAY


def test_a_measure_serving_no_recommendation_answers_no_risk(db, ctx, noted):
    commit(db, lambda s: ms.add_risk(s, ctx, "Manual queue", analysis_id=noted))
    commit(db, lambda s: ms.import_plan(s, ctx, [GOOD], analysis_id=noted))
    assert read(db, lambda s: ms.unmeasured(s, noted)) == [1]
    refused(db, lambda s: svc.record_event(s, ctx, noted, "action_plan", PLAN_DAY, _signed()),
            RuleViolation, "rule.risks_unmeasured")
