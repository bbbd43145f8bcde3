"""The command line's smaller leftovers of issue 29, through the real entry point:

* `merzim --lang fr …` says in one line which option is wrong and which values it accepts
  (kk, ru, en) — in the language of MERZIM_LANG or config.toml, the reader's being unknown —
  exits 2 and touches nothing;
* `merzim audit verify` counts every stored file, void ones too (and says how many are void),
  and checks their content against their hashes; a void file's content may have been removed
  (allowed, counted), never changed.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.cli_runner import merzim_env, run_merzim
from tests.cli_world_helpers import PDF, World
from tests.conftest import dump_tables

ACCEPTED = ("kk", "ru", "en")


@pytest.mark.parametrize(("env_lang", "words"), [
    ("en", "is not a language of merzim; choose kk, ru or en"),
    ("ru", "не язык merzim; укажите kk, ru или en"),
    ("kk", "merzim тілі емес; kk, ru немесе en таңдаңыз"),
])
@pytest.mark.parametrize("args", [("--lang", "fr", "overdue"), ("--lang=fr", "status", "1"),
                                  ("--lang", "FR", "calendar", "show", "2026")])
def test_an_unknown_language_is_one_line_naming_the_option_and_the_choices(
        merzim, args, env_lang, words):
    result = merzim(*args, lang=env_lang)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("--lang: ") and words in line, line
    assert args[1 if args[0] == "--lang" else 0].split("=")[-1] in line
    assert "Invalid value for" not in line and "Traceback" not in line


def test_the_language_of_config_toml_says_it_when_no_merzim_lang(merzim, tmp_path):
    config = tmp_path / "ru.toml"
    config.write_text('[general]\nlanguage = "ru"\n', encoding="utf-8")
    result = run_merzim(["--lang", "de", "overdue"], merzim_env(lang=None, config=config),
                        cwd=tmp_path)
    assert result.returncode == 2
    assert "«de» — не язык merzim; укажите kk, ru или en." in result.stderr
    for lang in ACCEPTED:  # the accepted values still work
        assert merzim("--lang", lang, "calendar", "show", "2026").returncode == 0


def test_unknown_language_touches_no_database(world, db):
    before = dump_tables(db)
    result = world("--lang", "fr", "bulk", "record", f"{world.ids['coi1']}:forward",
                   "--date", "2026-02-02")
    assert result.returncode == 2 and "--lang" in result.stderr
    assert dump_tables(db) == before


@pytest.fixture
def world(cli_world) -> World:
    """A copy of the world (conftest's "cli-world" template: built once per process)."""
    return cli_world


def _blob(world: World, sha: str):
    return world.store / sha[:2] / sha[2:4] / sha


def test_audit_verify_counts_void_files_and_checks_their_hashes(world):
    coi = str(world.ids["coi1"])
    pdf, other = world.tmp / "order.pdf", world.tmp / "wrong.pdf"
    pdf.write_bytes(PDF)
    other.write_bytes(PDF.replace(b"Catalog", b"Catalog /Wrong true"))
    world.ok("record", coi, "forwarded", "--date", "2026-02-02", "--file", str(other))
    [wrong] = world.json("files", coi)["files"]
    world.ok("files", "void", str(wrong["id"]), "--note", "attached by mistake")
    # one void file stored, no other: it is counted, said void, and checked
    verified = world.json("audit", "verify")
    assert verified["ok"] is True
    assert verified["files"] == {"checked": 1, "voided": 1, "void_content_removed": 0,
                                 "problems": []}
    text = world.ok("audit", "verify").stdout
    assert "1 file checked (1 of them void)" in text and "0 files" not in text
    ru = world.ok("audit", "verify", lang="ru").stdout
    assert "Проверен 1 файл (из них аннулировано: 1)" in ru
    world.ok("record", str(world.ids["coi2"]), "forwarded", "--date", "2026-02-02",
             "--file", str(pdf))
    assert "2 files checked (1 of them void)" in world.ok("audit", "verify").stdout
    # a void file's content changed on disk is found as any other's
    blob = _blob(world, wrong["sha256"])
    assert blob.read_bytes() == other.read_bytes()
    blob.chmod(0o644)
    blob.write_bytes(b"%PDF-1.4 replaced")
    changed = world("audit", "verify", "--json")
    assert changed.returncode == 3
    problems = json.loads(changed.stdout)["files"]["problems"]
    assert [(p["id"], p["problem"]) for p in problems] == [(wrong["id"], "changed")]
    # removed (a secret attached by mistake): allowed for a void file, counted
    blob.unlink()
    removed = world.json("audit", "verify")
    assert removed["ok"] is True and removed["files"]["void_content_removed"] == 1
    assert "1 void file's content was removed" in world.ok("audit", "verify").stdout
    # a live file's content removed is a problem, as before
    live = _blob(world, hashlib.sha256(PDF).hexdigest())
    live.chmod(0o644)
    live.unlink()
    missing = world("audit", "verify")
    assert missing.returncode == 3 and "missing" in (missing.stdout + missing.stderr).lower()
