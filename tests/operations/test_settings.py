"""The one settings object: every section of config.toml read and checked at start, in one place,
and the shipped config.toml documents exactly the defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.support.features import installed, needs, of
from workflow.core.errors import ConfigError
from workflow.settings import DEFAULTS, WebSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _load(tmp_path: Path, body: str):
    cfg = tmp_path / "config.toml"
    cfg.write_text(body, encoding="utf-8")
    return load_settings(path=cfg, env={})


def _comparable(settings) -> dict:
    values = dataclasses.asdict(settings)
    for key in ("path", "raw", "database_url", "audit_checkpoint"):
        values.pop(key)
    return values


def test_shipped_config_is_the_defaults(tmp_path):
    shipped = _load(tmp_path, (ROOT / "config.toml").read_text(encoding="utf-8"))
    empty = _load(tmp_path, "")
    assert _comparable(shipped) == _comparable(empty)
    assert shipped.web == WebSettings("127.0.0.1", 8000, 1)
    if installed("scorecard"):
        from workflow.scorecard.rules import ScoreSettings

        assert shipped.of(ScoreSettings) == ScoreSettings()
    assert shipped.notify.channels == ("email",) and shipped.notify.outbox.batch == 20


def test_every_section_of_the_shipped_file_has_defaults_here():
    import tomllib

    from workflow.core.feature import providing

    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    # a feature's own section is read by the reader its declaration names
    readers = {f.settings_table: f.settings() for f in providing("settings")
               if f.settings is not None}
    assert set(shipped) <= set(DEFAULTS) | set(readers)
    for section, values in shipped.items():
        if section in readers:
            readers[section](values)  # each reader refuses a key it does not know
        elif isinstance(values, dict) and section not in ("calendar", "interpretations",
                                                          "obligations"):
            assert set(values) <= set(DEFAULTS[section]), section


def test_values_are_read_into_the_object(tmp_path):
    got = _load(tmp_path, '[web]\nhost = "0.0.0.0"\nport = 8080\nworkers = 3\n'
                          '[reminders]\nbefore = [3]\n[telegram]\nlease_seconds = 2.5\n')
    assert got.web == WebSettings("0.0.0.0", 8080, 3)
    assert got.notify.policy.before == (3,)
    assert got.notify.telegram_lease_seconds == 2.5


@needs("scorecard")
def test_the_scorecards_section_is_read_into_its_settings(tmp_path):
    from workflow.scorecard.rules import ScoreSettings

    got = _load(tmp_path, '[scorecard]\nsteps = "linear"\n')
    assert got.of(ScoreSettings).steps == "linear"


@needs("public")
@needs("coverage")
def test_a_features_settings_reach_it_through_its_declaration(tmp_path):
    from workflow.core.feature import providing
    from workflow.coverage.rules import CoverageSettings
    from workflow.public.settings import PublicSettings

    got = _load(tmp_path, '[public]\norganisations = ["AK", " AK", "ZZ"]\ncache_seconds = 5\n'
                          '[coverage]\nremind_every = "year"\n')
    assert got.of(PublicSettings) == PublicSettings(organisations=("AK", "ZZ"), cache_seconds=5)
    assert got.of(CoverageSettings).remind_every == "year"
    # one entry per installed feature that reads a section of its own, by the feature's name
    assert set(got.features) == {f.name for f in providing("settings")} \
        >= {"public", "coverage", "scorecard"}
    with pytest.raises(LookupError, match="WebSettings"):
        got.of(WebSettings)


@needs("drafts")
@needs("platform")
def test_a_path_in_a_features_section_is_the_config_files_folders(tmp_path):
    from workflow.drafts.texts import DraftsSettings
    from workflow.platform.map import PackageSettings

    (tmp_path / "mine").mkdir()
    (tmp_path / "map.toml").write_text("", encoding="utf-8")
    got = _load(tmp_path, '[drafts]\ntemplates = "mine"\n[package]\nmap = "map.toml"\n')
    assert got.of(DraftsSettings).templates == tmp_path.resolve() / "mine"
    assert got.of(PackageSettings).map == tmp_path.resolve() / "map.toml"
    assert _load(tmp_path, "").of(DraftsSettings).templates is None


@pytest.mark.parametrize(("body", "message"), [
    *of("public", ('[public]\ncache_seconds = -1\n', "public.cache_seconds: -1 is not a whole number"),
        ('[public]\nbogus = 1\n', "public: unknown setting bogus"),
        ('[public]\nframe_ancestors = ["javascript:x"]\n', "public.frame_ancestors")),
    *of("coverage", ('[coverage]\nremind_every = "week"\n', "coverage.remind_every")),
    *of("platform", ('[package]\nmap = "nowhere.toml"\n', "package.map: nowhere.toml is not a file")),
    *of("drafts", ('[drafts]\nfolder = "x"\n', "drafts: unknown setting folder")),
    ('[web]\nport = 0\n', "web.port: 0 is not a whole number from 1 to 65535"),
    ('[web]\nport = "8000"\n', "web.port: '8000' is not a whole number"),
    ('[web]\nworkers = 65\n', "web.workers: 65 is not a whole number from 1 to 64"),
    ('[web]\nhost = ""\n', "web.host"),
    ('[web]\nmalloc_arenas = -1\n', "web.malloc_arenas: -1 is not a whole number from 0 to 64"),
    ('[web]\nmalloc_arenas = true\n', "web.malloc_arenas: True is not a whole number"),
    ('web = 1\n', "[web] must be a table"),
    *of("scorecard", ('[scorecard]\nsteps = 3\n', "scorecard.steps"),
        ('[scorecard]\nbogus = 1\n', "scorecard.bogus: unknown setting")),
    ('[email]\nsecurity = "ssl"\n', "email.security"),
    ('[telegram]\nlease_seconds = 0.5\n', "telegram.lease_seconds: 0.5 must be a number >= 1"),
])
def test_a_bad_value_in_any_section_is_refused_at_start(tmp_path, body, message):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, body)
    assert message in str(err.value)


def test_a_bad_section_stops_any_command_in_one_line_in_the_readers_language(merzim, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[web]\nport = 0\n', encoding="utf-8")
    proc = merzim("org", "list", config=cfg, lang="ru")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "web.port" in lines[0], proc.stderr
    assert not lines[0].startswith("Configuration error"), lines[0]  # Russian, not English
    assert not (tmp_path / "merzim.db").exists()
