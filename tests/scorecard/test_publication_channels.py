"""1.1.3 and 1.2.1 count an announcement as published on the internet resource, in the media and
on social networks only when each has its link (000:L265-269; 001:L55-59): the indicator says
how many subdivisions announced without a link on every channel, and which channel each lacked,
in kk, ru and en.

A regional akimat with three departments (its subdivisions, 001:L176-185), every analysis of
2025 scored on 2 February 2026 (every stage due):
* 1.1.3: AK-EDU announces the start with the three links; AK-HLT with the internet resource and
  the media only; AK-AGR with one plain link (version 4's `url`, no channel). 1 of 3 = 33.33 %
  -> 3 whole steps of 10 % x 0.3 = 0.9 points (one plain link counted as before: 3 of 3 -> 3).
* 1.2.1: AK-EDU and AK-HLT announce the discussion with the three links, AK-AGR on the internet
  resource and social networks only. 2 of 3 = 66.67 % -> 6 steps x 0.3 = 1.8 points.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.analysis_world import add_orgs, indicator, plan, record

SITE = "https://akimat.example.kz/news/1"
MEDIA = "https://tengri.example.kz/2025/04/analysis"
SOCIAL = "https://facebook.example.com/akimat/posts/7"
START = date(2025, 2, 12)
DISCUSSION = date(2025, 3, 20)
EVERY = f"site {SITE}\nmedia {MEDIA}\nsocial {SOCIAL}"


def _plan(db, ctx, obj) -> int:
    return plan(db, ctx, "AK", obj, date(2025, 3, 3))


_record = record


_indicator = indicator


@pytest.fixture
def world(db, make_ctx):
    return add_orgs(db, make_ctx(date(2025, 1, 10)))


@pytest.fixture
def announced(world, make_ctx):
    at = make_ctx
    ids = {obj: _plan(world, at(date(2025, 1, 10)), obj) for obj in ("AK-EDU", "AK-HLT", "AK-AGR")}
    starts = {"AK-EDU": {"links": EVERY},
              "AK-HLT": {"links": f"site {SITE}\nmedia {MEDIA}"},
              "AK-AGR": {"url": SITE}}
    discussions = {"AK-EDU": {"links": EVERY}, "AK-HLT": {"links": EVERY},
                   "AK-AGR": {"links": f"site {SITE}\nsocial {SOCIAL}"}}
    for obj, aid in ids.items():
        _record(world, at(START), aid, "start_announcement", START, starts[obj])
    for obj, aid in ids.items():
        _record(world, at(DISCUSSION), aid, "analysis_start", date(2025, 3, 3))
        _record(world, at(DISCUSSION), aid, "discussion_announcement", DISCUSSION,
                discussions[obj])
    return world


def test_the_start_counts_only_with_a_link_on_every_channel(announced, make_ctx):
    start = _indicator(announced, make_ctx(date(2026, 2, 2)), "1.1.3")
    assert {k: start["inputs"][k] for k in ("units", "done", "percent", "steps", "incomplete",
                                            "missing_channels")} == {
        "units": 3, "done": 1, "percent": 33.33, "steps": 3, "incomplete": 2,
        "missing_channels": {"site": 1, "media": 1, "social": 2}}
    assert start["points"] == 0.9


def test_the_discussion_counts_only_with_a_link_on_every_channel(announced, make_ctx):
    discussion = _indicator(announced, make_ctx(date(2026, 2, 2)), "1.2.1")
    assert {k: discussion["inputs"][k] for k in ("units", "done", "percent", "steps",
                                                 "incomplete", "missing_channels")} == {
        "units": 3, "done": 2, "percent": 66.67, "steps": 6, "incomplete": 1,
        "missing_channels": {"media": 1}}
    assert discussion["points"] == 1.8


def test_the_cases_behind_the_indicator_name_the_missing_channels(announced, make_ctx):
    """The analyses behind 1.1.3 (the score page's list): the one without every channel's
    link is missing, with the channels it lacks."""
    from workflow.scorecard import service as scoring
    from workflow.scorecard.rules import ScoreSettings
    from workflow.storage.db import session as open_session

    with open_session(announced) as s:
        card = scoring.scorecards(s, make_ctx(date(2026, 2, 2)), "AK", 2025, ScoreSettings(),
                                  leads=True)[0]
    start = next(i for i in card["indicators"] if i["key"] == "1.1.3")
    assert [(c["status"], c.get("missing_channels")) for c in start["cases"]] == [
        ("done", None), ("missing", ["social"]), ("missing", ["site", "media", "social"])]


def test_every_channel_linked_leaves_nothing_missing(world, make_ctx):
    aid = _plan(world, make_ctx(date(2025, 1, 10)), "AK-EDU")
    _record(world, make_ctx(START), aid, "start_announcement", START, {"links": EVERY})
    start = _indicator(world, make_ctx(date(2026, 2, 2)), "1.1.3")
    assert {k: start["inputs"][k] for k in ("units", "done", "percent", "steps")} == {
        "units": 3, "done": 1, "percent": 33.33, "steps": 3}
    assert "incomplete" not in start["inputs"] and start["points"] == 0.9


@pytest.mark.parametrize(("language", "start", "discussion"), [
    ("en", "1 of 3 subdivisions announced the start (33.33 %); 2 announced without a link on "
           "every channel, not counted (no link: internet resource — 1, media — 1, social "
           "networks — 2) → 3 steps of 10 % → 0.9 points",
     "; 1 announced without a link on every channel, not counted (no link: media — 1)"),
    ("ru", "; 2 объявили не на всех каналах и не засчитаны (нет ссылки: интернет-ресурс — 1, "
           "СМИ — 1, социальные сети — 2)",
     "; 1 объявило не на всех каналах и не засчитано (нет ссылки: СМИ — 1)"),
    ("kk", "; 2 әр арнаға сілтеме бермей хабарлаған, есептелмейді (сілтеме жоқ: интернет-ресурс "
           "— 1, БАҚ — 1, әлеуметтік желілер — 2)",
     "; 1 әр арнаға сілтеме бермей хабарлаған, есептелмейді (сілтеме жоқ: БАҚ — 1)"),
])
def test_the_words_name_the_missing_channel(announced, make_ctx, language, start, discussion):
    from workflow.i18n import Translator
    from workflow.scorecard import words

    said = words.Words(Translator(language))
    ctx = make_ctx(date(2026, 2, 2))
    assert start in said.text(_indicator(announced, ctx, "1.1.3"), 2025)
    assert discussion in said.text(_indicator(announced, ctx, "1.2.1"), 2025)
    assert "(" not in said.rule(_indicator(announced, ctx, "1.3.2"))  # 1.3.2 unchanged
    assert {"en": "on social networks (a link to each)", "ru": "в социальных сетях (ссылка",
            "kk": "әлеуметтік желілерде хабарлаған (әрқайсысына сілтеме)"}[language] in \
        said.rule(_indicator(announced, ctx, "1.1.3"))


def test_the_command_line_score_says_which_channel_is_missing(announced, merzim_db):
    shown = merzim_db("score", "AK", "--year", "2025", today="2026-02-02",
                      env={"COLUMNS": "1000"})
    assert shown.returncode == 0, shown.stderr
    flat = " ".join(shown.stdout.split())
    assert "(no link: internet resource — 1, media — 1, social networks — 2)" in flat
    assert "(no link: media — 1)" in flat
