"""A registry that parses a definition when first asked for: a command that
shows one case parses that case's definition only, while `all()`, `check()`, the eager load,
`merzim init`, `merzim process list` and the server's start still parse and check every file
(a broken one is refused there with its file and reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.features import needs
from workflow.core.errors import ConfigError
from workflow.definitions import PROCEDURES, load_registry

GIFT = (PROCEDURES / "gift.toml").read_text(encoding="utf-8")
CONCENTRATION = (PROCEDURES / "contract_concentration_analysis.toml").read_text(encoding="utf-8")


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "extra"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


def _broken_gift() -> str:
    """gift.toml under another key, one event completing a stage it does not have."""
    text = GIFT.replace('key = "gift"', 'key = "gift_local"', 1)
    return text.replace('completes = "hand_over"', 'completes = "handing_over"', 1)


def test_a_lazy_registry_lists_every_key_and_parses_only_what_is_asked_for():
    eager, lazy = load_registry(), load_registry(lazy=True)
    assert lazy.parsed() == []
    assert lazy.keys() == eager.keys() and len(lazy.keys()) > 40
    assert "gift" in lazy.loaded and "no_such_process" not in lazy.loaded
    assert lazy.loaded.get("no_such_process") is None
    assert lazy.parsed() == []
    assert lazy.get("gift") == eager.get("gift")
    assert lazy.loaded["gift"].sha256 == eager.loaded["gift"].sha256
    assert lazy.parsed() == ["gift"]
    assert lazy.all() == eager.all()  # all of them parsed, the links between them checked
    assert lazy.parsed() == eager.parsed() == eager.keys()


def test_a_broken_file_is_refused_when_asked_for_and_by_every_check(tmp_path):
    folder = _folder(tmp_path, gift_local=_broken_gift())
    with pytest.raises(ConfigError) as err:
        load_registry((folder,))
    assert "gift_local.toml" in err.value.message and "handing_over" in err.value.message
    lazy = load_registry((folder,), lazy=True)
    assert lazy.get("gift").key == "gift"  # the other definitions are shown
    assert "gift_local" in lazy.loaded and lazy.parsed() == ["gift"]
    for ask in (lambda: lazy.get("gift_local"), lambda: lazy.loaded.get("gift_local"),
                lazy.check, lazy.all):
        with pytest.raises(ConfigError) as err:
            ask()
        assert "gift_local.toml" in err.value.message and "handing_over" in err.value.message


def test_a_key_defined_twice_and_a_link_to_no_process_are_refused(tmp_path):
    folder = _folder(tmp_path, again=GIFT)
    for lazy in (False, True):
        with pytest.raises(ConfigError) as err:
            load_registry((folder,), lazy=lazy)
        assert "'gift' is already defined" in err.value.message
    (folder / "again.toml").unlink()
    text = CONCENTRATION.replace('key = "contract_concentration_analysis"', 'key = "local"', 1)
    _folder(tmp_path, local=text.replace('process = "contract_concentration"',
                                         'process = "no_such_process"', 1))
    with pytest.raises(ConfigError) as err:
        load_registry((folder,))
    assert "local.toml" in err.value.message and "no_such_process" in err.value.message
    lazy = load_registry((folder,), lazy=True)
    assert lazy.get("local").key == "local"  # parsed alone, it is whole
    with pytest.raises(ConfigError) as again:
        lazy.check()
    assert again.value.message == err.value.message


def test_a_file_whose_key_cannot_be_read_without_parsing_is_parsed_at_once(tmp_path):
    # an inline [process] table: the index cannot read its key, the file is parsed to know it
    text = GIFT.replace('key = "gift"', 'key = "gift_inline"', 1)
    head, rest = text.split("[process]\n", 1)
    table, rest = rest.split("\n\n", 1)
    inline = "process = { " + ", ".join(line.split("#")[0].strip()
                                        for line in table.splitlines()) + " }"
    folder = _folder(tmp_path, inline=f"{head}{inline}\n\n{rest}")
    lazy = load_registry((folder,), lazy=True)
    assert lazy.parsed() == ["gift_inline"]
    assert lazy.get("gift_inline").stages.keys() == load_registry().get("gift").stages.keys()


def test_an_obligation_switch_naming_no_recurring_process_is_refused_lazily_too():
    for lazy in (False, True):
        with pytest.raises(ConfigError) as err:
            load_registry(obligations={"gift": {"enabled": False}}, lazy=lazy)
        assert "no recurring process 'gift'" in err.value.message


@needs("planning")
def test_init_and_the_process_list_report_a_broken_definition_a_case_does_not_use(tmp_path):
    env = merzim_env(today="2026-11-23")
    built = run_merzim(["init", "--demo"], env=env, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    _folder(tmp_path, gift_local=_broken_gift())
    config = tmp_path / "config.toml"
    config.write_text('[processes]\ndirs = ["extra"]\n', encoding="utf-8")
    env = merzim_env(today="2026-11-23", config=config)
    shown = run_merzim(["status", "1"], env=env, cwd=tmp_path)  # its definition is whole
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Analysis #1: "), shown.stdout
    for args in (["init"], ["process", "list"]):
        refused = run_merzim(args, env=env, cwd=tmp_path)
        assert refused.returncode != 0, args
        assert "gift_local.toml" in refused.stderr and "handing_over" in refused.stderr, args
        assert "Traceback" not in refused.stderr
