"""`merzim --lang fr …` says in one line which option is wrong and which values it accepts
(kk, ru, en) — in the language of MERZIM_LANG or config.toml, the reader's being unknown —
exits 2 and touches nothing; through the real entry point.
"""

from __future__ import annotations

import pytest

from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.cli_world_helpers import World
from tests.support.databases import dump_tables

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
