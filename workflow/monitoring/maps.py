"""The risk maps read from the database: one analysis's (each risk by its number in the note)
and an organisation's (the risks of its analyses, each as "analysis/number"), drawn by
`riskmap.svg` in the reader's language, with the rows a page lists beside the picture. Who may
see them is the caller's to decide (the web's visibility owner), before asking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from workflow.core.names import name_in
from workflow.i18n import Translator
from workflow.monitoring import levels, riskmap
from workflow.monitoring.service import ranked, risks_in_order
from workflow.storage.models import Case


@dataclass(frozen=True)
class RiskMap:
    """A drawn map and its rows: no, label, description, where (process or subdivision),
    likelihood, consequence, level (name), level_key, rank, case."""

    svg: str
    rows: list[dict[str, Any]]
    not_assessed: list[str]


def _rows(s: Session, case: Case, language: str, labelled: bool) -> list[dict[str, Any]]:
    t = Translator(language)
    risks = risks_in_order(s, case.id)
    return [{"no": a.no, "case": case.id, "label": f"{case.id}/{a.no}" if labelled else str(a.no),
             "description": r.description, "where": r.process or r.subdivision or "",
             "likelihood": a.likelihood, "consequence": a.consequence, "score": a.score,
             "level_key": a.level.key if a.level else "",
             "level": name_in(a.level.names, language, a.level.key) if a.level
             else t("risk.not_assessed"), "rank": a.rank}
            for r, a in zip(risks, ranked(risks), strict=True)]


def draw(rows: Sequence[dict[str, Any]], language: str, title: str) -> RiskMap:
    """The map of these rows (each with its label and grades) in `language`."""
    t = Translator(language)
    found = levels.criteria()
    placed: dict[tuple[int, int], list[str]] = {}
    for r in rows:
        if r["likelihood"] is not None and r["consequence"] is not None:
            placed.setdefault((r["likelihood"], r["consequence"]), []).append(r["label"])
    missing = [r["label"] for r in rows if r["likelihood"] is None]
    note = t.n("riskmap.not_assessed", len(missing), risks=", ".join(missing)) if missing else ""
    desc = f'{t("riskmap.criteria")} {note}'.strip()
    picture = riskmap.svg(found, placed, language, title,
                          {"likelihood": t("riskmap.likelihood"),
                           "consequence": t("riskmap.consequence"),
                           "legend": t("riskmap.legend")},
                          lambda labels: t.n("riskmap.cell", len(labels),
                                             risks=", ".join(labels)), desc, note)
    return RiskMap(picture, list(rows), missing)


def of_analysis(s: Session, case: Case, language: str) -> RiskMap:
    """One analysis's map, each risk by its number in the note."""
    return draw(_rows(s, case, language, labelled=False), language,
                Translator(language)("riskmap.title"))


def of_analyses(s: Session, cases: Sequence[Case], language: str, title: str) -> RiskMap:
    """The map of these analyses' risks together, each as "analysis/number", the rows by
    process or subdivision, then level (highest first), then analysis and number."""
    found = levels.criteria()
    rows = [row for case in cases for row in _rows(s, case, language, labelled=True)]
    order = {lv.key: i for i, lv in enumerate(found.levels)}
    rows.sort(key=lambda r: (r["where"].casefold(), -order.get(r["level_key"], -1),
                             r["case"], r["no"]))
    return draw(rows, language, title)
