"""The operator guide's "Document templates" lists what the documents feature has: every
template a document is drafted from, with the stage it is drafted beside (documents.toml), and
every placeholder a template may use (`texts.PLACEHOLDERS`), in the same order."""

from __future__ import annotations

import re
from pathlib import Path

from workflow.documents import texts

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "operator-guide.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = GUIDE.index(f"\n## {title}\n")
    end = GUIDE.find("\n## ", start + 1)
    return GUIDE[start:end if end > 0 else None]


def _rows(header: str) -> list[list[str]]:
    """The rows of the section's table under `header`, each its cells."""
    section = _section("Document templates")
    table = section[section.index(header):].split("\n\n", 1)[0].splitlines()[2:]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in table]


def test_the_guide_names_every_template_with_the_stage_it_is_drafted_beside():
    listed = {re.fullmatch(r"`(\w+)`", row[0]).group(1): row[2]  # type: ignore[union-attr]
              for row in _rows("| `NAME` |")}
    drafted: dict[str, list[str]] = {}  # a template drafted beside several stages: each
    for process in texts.documents().values():
        for d in process.values():
            stage = f"`{d.stage}:<period>`" if d.per_period else f"`{d.stage}`"
            if stage not in drafted.setdefault(d.template, []):
                drafted[d.template].append(stage)
    assert listed == {k: ", ".join(v) for k, v in drafted.items()}
    assert list(listed) == list(texts.template_names())


def test_the_guide_lists_every_placeholder_in_the_order_of_placeholders():
    listed = [re.fullmatch(r"`(\w+)`", row[0]).group(1)  # type: ignore[union-attr]
              for row in _rows("| placeholder |")]
    assert listed == list(texts.PLACEHOLDERS)


OFFICER = (ROOT / "docs" / "officer-guide.md").read_text(encoding="utf-8")


def test_the_officer_guide_names_each_procedures_papers_with_its_stage():
    """"The procedures' papers" lists every paper documents.toml declares for a procedure
    other than the internal analysis, in its order, with the stage it is drafted beside."""
    section = OFFICER[OFFICER.index("\n### The procedures' papers\n"):]
    table = section[section.index("| procedure |"):].split("\n\n", 1)[0].splitlines()[2:]
    listed = [(cells[0].strip("`"), cells[2].strip("`"))
              for cells in ([c.strip() for c in line.strip("|").split(" | ")]
                            for line in table)]
    declared = [(process, d.stage) for process, docs in texts.documents().items()
                if process != "internal_risk_analysis" for d in docs.values()]
    assert listed == declared


def test_every_shipped_paper_names_its_definitions_stage_event_and_evidence():
    from workflow.definitions import load_registry
    from workflow.documents.rules import check_paper

    registry = load_registry()
    for process, docs in texts.documents().items():
        for doc in docs.values():
            if not doc.programme and not doc.per_period:  # a dynamic or programme stage
                check_paper(registry.get(process), doc, f"documents.toml {process}.{doc.key}")
