"""When the web server starts serving, each root's figures (its scorecard with its points still to
win and those of every subject under it) are worked out in the background, on a thread of their
own, and kept as the root's score page reads them; `[scorecard] warm_at_start = false` starts
nothing (workflow/scorecard/web.py `warm_roots`)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.support.web_helpers import CALENDAR, DEFINITION, Web, web_fixture  # noqa: F401
from tests.support.web_helpers import _settings as web_settings
from web.app import create_app
from web.kit.deps import app_context
from workflow import services as svc
from workflow.scorecard import kept
from workflow.scorecard import service as scoring
from workflow.scorecard import web as score_web
from workflow.scorecard.rules import ScoreSettings
from workflow.settings import load_settings


def _kept_cards(engine) -> set[str]:
    """The paths of the subjects whose scorecard with its points still to win is kept."""
    with Session(engine) as s:
        return {key[1] for key in list(kept._cache(s).keys()) if key[0] == "leads"}


def _roots(engine, settings: ScoreSettings) -> list:
    with Session(engine) as s:
        return [o for o in svc.roots(s) if o.kind in settings.subject_kinds]


def test_the_roots_figures_are_kept_in_the_background_at_start(web: Web, tmp_path):
    app = create_app(web_settings(tmp_path, str(web.engine.url), warm=True), web.engine,
                     CALENDAR, DEFINITION)  # the shipped default: warm_at_start = true
    settings = app.state.settings.of(ScoreSettings)
    roots = _roots(web.engine, settings)
    assert roots and settings.warm_at_start
    assert not {o.path for o in roots} & _kept_cards(web.engine)
    with TestClient(app):  # the server starts serving (its lifespan's start)
        for thread in threading.enumerate():  # still under way: waited for
            if thread.name == "merzim-warm-scores":
                assert thread.daemon
                thread.join()
    assert {o.path for o in roots} <= _kept_cards(web.engine)
    assert score_web.warm_roots(app) is None  # once for the application
    # what was kept is the evaluation: the score page reads it as kept, equal to a fresh one
    ctx = app_context(app, None, app.state.settings.language)
    with Session(web.engine) as s:
        for org in roots:
            card = kept.kept_card(s, ctx, org.code, ctx.today.year, settings)
            assert card == scoring.scorecards(s, ctx, org.code, ctx.today.year, settings,
                                              leads=True)[0]


def test_switched_off_it_starts_nothing(web: Web, tmp_path):
    config = tmp_path / "merzim.toml"
    config.write_text("[scorecard]\nwarm_at_start = false\n", encoding="utf-8")
    app = create_app(load_settings(config, env={"MERZIM_LANG": "en",
                                                "MERZIM_DATABASE_URL": str(web.engine.url)}),
                     web.engine, CALENDAR, DEFINITION)
    assert score_web.warm_roots(app) is None
    assert not _kept_cards(web.engine)
