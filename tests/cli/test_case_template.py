"""`merzim case template PROCESS --lang LANG --out FILE.xlsx`: the register's import template
from the command line, built by the web's builder (workflow/imports/template.py):
headers and drop-down lists in the labels of the language asked, only the columns that apply,
dates as dates; filled in with its own lists' values, `merzim case import` reads it back. An
unknown language is refused in the reader's language and nothing is written. On the demo as
`merzim init --demo` stores it (the "cli-demo" template), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.support.cli_demo_helpers import DEMO_DAY, demo_cli
from tests.support.cli_runner import Merzim
from workflow.core.names import name_in
from workflow.definitions import load_registry
from workflow.imports import cells as import_cells
from workflow.services.demo import ORGS
from workflow.storage.db import make_engine
from workflow.storage.models import Case, Organisation

PROCESS = "restriction_breach"
NAMES = {code: {"en": en, "ru": ru, "kk": kk} for code, _k, _p, en, ru, kk in ORGS}


@pytest.fixture
def merzim(backend: str, tmp_path: Path) -> Iterator[Merzim]:
    with demo_cli(backend, tmp_path) as cli:
        yield cli


def _label(lang: str, key: str) -> str:
    return import_cells.label_in(load_registry().get(PROCESS), key, lang)


def _choice(lang: str, key: str, value: str) -> str:
    names = import_cells.choice_names(load_registry().get(PROCESS), key)
    return name_in(names.get(value) or None, lang, value)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_template_speaks_the_language_asked_and_reads_back(merzim, tmp_path, lang):
    out = tmp_path / f"breaches-{lang}.xlsx"
    result = merzim("case", "template", PROCESS, "--lang", lang, "--out", str(out), "--json",
                    lang="en")
    assert result.returncode == 0, (result.stdout, result.stderr)
    printed = json.loads(result.stdout)
    wb = load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == printed["columns"]
    # the import's columns that apply to the register, by their labels in that language
    defn = load_registry().get(PROCESS)
    assert header == [import_cells.label_in(defn, k, lang) for k in import_cells.applicable(defn)]
    for absent in ("object", "period", "approver_role"):
        assert absent not in import_cells.applicable(defn)
    lists = {c.value for row in wb["lists"].iter_rows() for c in row if c.value}
    gift = _choice(lang, "kind", "reward_or_gift")
    assert gift in lists and "reward_or_gift" not in lists
    if lang != "en":
        assert gift != "reward_or_gift" and not any(h == k for h, k in zip(
            header, import_cells.applicable(defn), strict=True))
    # filled in with its own list's value, an organisation by its name in that language
    row = {_label(lang, "subject"): NAMES["AK-ALM-EDU"][lang], _label(lang, "kind"): gift,
           _label(lang, "person"): "Г. Ахметов",
           _label(lang, "detected"): date.fromisoformat(DEMO_DAY).replace(day=3)}
    for key, value in row.items():
        ws.cell(row=2, column=header.index(key) + 1, value=value)
    wb.save(out)
    imported = merzim("case", "import", PROCESS, str(out), "--json", lang=lang)
    assert imported.returncode == 0, (imported.stdout, imported.stderr)
    opened = json.loads(imported.stdout)["opened"]
    assert len(opened) == 1
    engine = make_engine(merzim.db_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(select(Organisation.code, Case.person_name, Case.fields)
                               .join(Organisation, Organisation.id == Case.subject_id)
                               .where(Case.id == opened[0]["id"])).one()
    finally:
        engine.dispose()
    assert (got[0], got[1], got[2]["kind"]) == ("AK-ALM-EDU", "Г. Ахметов", "reward_or_gift")


def test_an_unknown_language_is_refused_in_the_readers_language_and_nothing_written(
        merzim, tmp_path):
    out = tmp_path / "t.xlsx"
    result = merzim("case", "template", PROCESS, "--lang", "de", "--out", str(out), lang="ru")
    assert result.returncode == 2
    assert "'de'" in result.stderr and "kk, ru" in result.stderr
    assert "unknown language" not in result.stderr  # Russian, not the English text
    assert not out.exists()
