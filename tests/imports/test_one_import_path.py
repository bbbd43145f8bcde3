"""One import path (workflow/imports/usecase.py): the command line and the web import a
register's file through the same use case and store it alike; no other module runs the
import's checks or writes itself. Through the real web application and the real `merzim`
entry point, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from sqlmodel import Session, select

from tests.support.import_helpers import (
    site_fixture,  # noqa: F401 - the `site` fixture
)
from tests.support.import_usecase_helpers import cli_of, post_form, standing
from tests.support.web_helpers import (
    TODAY,
    Web,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from tests.support.web_import_helpers import DAY, PROCESS, csv_of, upload
from workflow.storage.models import Case

ROOT = Path(__file__).resolve().parents[2]
FILE = csv_of("№ п/п,Телефон,subject,person,kind,detected,responsible",
              f"1,+7 701 000 00 00,AK-ALM-EDU,A. Person,foreign_account,{DAY},asel",
              f"2,,AK-ALM-EDU,B. Person,insider_information,{DAY},asel")


def test_the_command_line_and_the_web_store_the_same_file_alike(site: Web, tmp_path):
    asel = site.browser("asel")
    r = upload(asel, FILE)
    assert r.status_code == 200, r.text[-2000:]
    assert "Columns not read (not fields of the register): № п/п, Телефон." in r.text
    done = post_form(asel, r.text, f"/registers/{PROCESS}/import/confirm")
    assert "2 entries opened." in done.text, done.text[-2000:]
    by_web = standing(site)
    assert len(by_web) == 2
    cli = cli_of(site, tmp_path)
    with Session(site.engine) as s:
        ids = [c.id for c in s.exec(select(Case).where(Case.process == PROCESS))]
    for i in ids:
        assert cli("case", "withdraw", str(i), "--reason", "again from the command line",
                   today=TODAY).returncode == 0
    assert standing(site) == []
    (tmp_path / "breaches.csv").write_bytes(FILE)
    result = cli("case", "import", PROCESS, str(tmp_path / "breaches.csv"), "--json",
                 today=TODAY)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ignored"] == ["№ п/п", "Телефон"]
    assert standing(site) == by_web


def test_the_ignored_columns_are_named_in_the_readers_language(site: Web, tmp_path):
    asel = site.browser("asel")
    for lang, text in (("ru", "Столбцы не прочитаны (это не поля реестра): № п/п, Телефон."),
                       ("kk", "Оқылмаған бағандар (тізілімнің өрістері емес): № п/п, Телефон.")):
        asel.cookies.set("merzim_lang", lang)
        r = upload(asel, FILE)
        assert r.status_code == 200, r.text[-2000:]
        assert text in r.text


# -- no other module runs the import itself -------------------------------------------------------

# The functions that check or write a register file: only the use case calls them (and the
# modules that define them, among themselves).
GUARDED = {
    "workflow.imports.registers": {"check_file", "write_file", "import_file", "resume",
                                   "roll_back"},
    "workflow.imports.cells": {"read_cells", "map_header"},
    "workflow.imports.progress": {"refused_rows"},
    "workflow.services.registers": {"import_cases"},
}
ALLOWED = {"workflow/imports/usecase.py", "workflow/imports/registers.py",
           "workflow/imports/progress.py", "workflow/imports/cells.py",
           "workflow/services/registers.py"}


def _callers(base: Path = ROOT) -> list[str]:
    found = []
    for path in sorted([*base.joinpath("workflow").rglob("*.py"),
                        *base.joinpath("web").rglob("*.py")]):
        rel = path.relative_to(base).as_posix()
        if rel in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: dict[str, str] = {}  # a local name → the guarded module it is
        direct: dict[str, str] = {}  # a guarded function imported by name → its module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in GUARDED:
                        names[alias.asname or alias.name] = full
                    if node.module in GUARDED and alias.name in GUARDED[node.module]:
                        direct[alias.asname or alias.name] = node.module
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                    and f.attr in GUARDED.get(names.get(f.value.id, ""), ()):
                found.append(f"{rel}:{node.lineno} {f.value.id}.{f.attr}")
            if isinstance(f, ast.Name) and f.id in direct:
                found.append(f"{rel}:{node.lineno} {f.id}")
    return found


def test_only_the_use_case_checks_and_writes_an_import() -> None:
    assert _callers() == []


def test_the_guard_finds_a_page_running_the_import_itself(tmp_path) -> None:
    """The architecture test above can fail: a call of a guarded function is found."""
    sample = ("from workflow.imports import registers as bulk\n"
              "from workflow.imports.cells import read_cells\n"
              "bulk.check_file(s, ctx, 'x', [])\nread_cells(s, d, [], 'en')\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "workflow").mkdir()
    (tmp_path / "web" / "probe.py").write_text(sample, encoding="utf-8")
    assert _callers(tmp_path) == ["web/probe.py:3 bulk.check_file", "web/probe.py:4 read_cells"]
