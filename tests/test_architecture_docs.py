"""The contributors' page (docs/architecture.md) lists what the code holds: every feature
folder in the house's block and in "Where does X live?", every other folder of workflow/ (a
layer or an adapter) in the house's block, and every model module of storage/ by name. A
folder or module added without its line fails here, naming it; one removed from the code is
not asked for (a removable feature removed in a copy leaves its line behind)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
WORKFLOW = ROOT / "workflow"


def _section(title: str) -> str:
    start = DOC.index(title)
    end = DOC.find("\n#", start + len(title))
    return DOC[start:end if end > 0 else None]


def _house() -> str:
    """The house's block: the first fenced block of the page."""
    return _section("## The house").split("```")[1]


def feature_folders(root: Path = WORKFLOW) -> list[str]:
    return sorted(p.parent.name for p in root.glob("*/feature.py") if p.parent.name != "core")


def other_folders(root: Path = WORKFLOW) -> list[str]:
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and (p / "__init__.py").exists()
                  and p.name not in feature_folders(root))


def model_modules(root: Path = WORKFLOW) -> list[str]:
    return sorted(p.name for p in (root / "storage").glob("models*.py"))


def missing_features(doc_house: str, doc_where: str, features: list[str]) -> list[str]:
    words = set(re.findall(r"[a-z_]+", doc_house))
    where = set(re.findall(r"`workflow/([a-z_]+)/`", doc_where))
    return ([f"{f}: not in the house's block" for f in features if f not in words]
            + [f"{f}: no row in 'Where does X live?'" for f in features if f not in where])


def test_every_feature_folder_is_in_the_house_and_where_it_lives():
    assert missing_features(_house(), _section("### Where does X live?"),
                            feature_folders()) == []


def test_every_other_folder_of_workflow_is_in_the_house():
    named = set(re.findall(r"workflow/([a-z0-9_]+)/", _house()))
    assert [f for f in other_folders() if f not in named] == []


def test_every_model_module_is_named():
    assert [m for m in model_modules() if not re.search(rf"[`/]{re.escape(m)}`", DOC)] == []


def test_the_checks_see_a_folder_or_module_left_out(tmp_path):
    """The checks can fail: a tree with a feature, a layer and a model module of its own."""
    for folder in ("alerts", "ledger", "storage"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "alerts" / "feature.py").write_text("")
    (tmp_path / "storage" / "models_alerts.py").write_text("")
    assert feature_folders(tmp_path) == ["alerts"]
    assert other_folders(tmp_path) == ["ledger", "storage"]
    assert model_modules(tmp_path) == ["models_alerts.py"]
    assert missing_features("web/app.py", "", ["alerts"]) == [
        "alerts: not in the house's block", "alerts: no row in 'Where does X live?'"]
    assert "ledger" not in re.findall(r"workflow/([a-z0-9_]+)/", _house())
    assert not re.search(r"[`/]models_alerts\.py`", DOC)


def test_the_kept_figures_table_is_their_declarations():
    """docs/architecture.md's table of the kept figures is `workflow/kept/figures.py`'s
    `table()` (regenerate it from there when a figure is declared or changed)."""
    from workflow.kept import figures

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start, end = "<!-- kept-figures:start -->\n", "\n<!-- kept-figures:end -->"
    assert start in text and end in text
    assert text.split(start, 1)[1].split(end, 1)[0] == figures.table()
