"""The pictures of the docs (docs/img/, made by docs/screenshots.py) and the pages that show them:
every picture is shown by a page of docs/ or the README, and every picture a page shows is
there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


def _shown() -> dict[str, list[str]]:
    """Each picture of docs/img a page shows (`![…](img/NAME.png)`, from the README
    `docs/img/NAME.png`), with the pages showing it."""
    found: dict[str, list[str]] = {}
    for page in PAGES:
        for name in re.findall(r"\]\((?:docs/)?img/([^)\s]+)\)", page.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(page.relative_to(ROOT).as_posix())
    return found


def test_every_picture_of_the_docs_is_shown_by_a_page():
    pictures = {p.name for p in IMG.iterdir() if p.is_file()}
    assert pictures
    assert sorted(pictures - set(_shown())) == []


def test_every_picture_a_page_shows_is_there():
    missing = {name: pages for name, pages in _shown().items() if not (IMG / name).is_file()}
    assert missing == {}
