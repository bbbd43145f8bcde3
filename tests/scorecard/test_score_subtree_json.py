"""`merzim score ROOT --subtree --json` over the demo (register entries across a ministry's
tree): one JSON document, each subject's scorecard on a line of its own, written as it is
evaluated (the command never holds a subtree's cards); every indicator said once (the
projects name theirs by key); each card the one `merzim score SUBJECT --json` prints. The
words the cards share are put into words once, and the text written is exactly the JSON of
the card in words (`CardWords.json`)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.support.cli_demo_helpers import DEMO_DAY, demo_loaded
from tests.support.cli_runner import Merzim, ok_json
from tests.support.databases import database_from_template
from workflow.cli.common import emit_json_items, json_encoder
from workflow.i18n import Translator
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings
from workflow.scorecard.words import CardWords, in_words
from workflow.storage.db import make_engine

DAY = date.fromisoformat(DEMO_DAY)
YEAR = str(DAY.year)


@pytest.fixture
def demo(backend: str, tmp_path: Path) -> Iterator[tuple[Merzim, str]]:
    with database_from_template(backend, tmp_path, recipe=demo_loaded,
                                recipe_name="cli-demo") as (url, printed):
        assert printed["demo"]["entries"] > 0
        workdir = tmp_path / "cwd"
        workdir.mkdir()
        yield Merzim(workdir, db_url=url, today=DEMO_DAY), url


def _scored(node: Any) -> int:
    """How many indicators (dictionaries with a key and points) a card's JSON holds."""
    if isinstance(node, dict):
        return ("key" in node and "points" in node) + sum(_scored(v) for v in node.values())
    if isinstance(node, list):
        return sum(_scored(v) for v in node)
    return 0


def test_the_subtree_json_says_each_indicator_once_card_by_card_as_each_subject_alone(
        demo, monkeypatch):
    merzim, _url = demo
    drawn: list[str] = []  # at each card the evaluation gives, what the command has written
    evaluated = scoring.each_scorecard

    def watched(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        for card in evaluated(*args, **kwargs):
            drawn.append(sys.stdout.buffer.getvalue().decode("utf-8"))
            yield card

    monkeypatch.setattr(scoring, "each_scorecard", watched)
    result = merzim("score", "MF", "--year", YEAR, "--subtree", "--json")
    document = ok_json(result)
    monkeypatch.undo()
    cards = document["subjects"]
    assert {k: document[k] for k in ("org", "year", "as_of")} == {
        "org": "MF", "year": DAY.year, "as_of": DEMO_DAY}
    assert len(cards) > 3 and len(drawn) == len(cards)
    # one card a line, each written before the next subject was evaluated
    lines = result.stdout.splitlines()
    assert lines[0] == f'{{"org": "MF", "year": {DAY.year}, "as_of": "{DEMO_DAY}", "subjects": ['
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == cards
    assert lines[-1] == "]}"
    assert drawn[0] == ""  # nothing written before the first card (a subject not found:
    for k in range(1, len(cards)):  # refused with nothing written)
        assert drawn[k].count("\n") == k and drawn[k].rstrip(",").endswith(
            json.dumps(cards[k - 1], ensure_ascii=False)), k

    with_entries = 0
    for card in cards:
        keys = [i["key"] for i in card["indicators"]]
        assert len(set(keys)) == len(keys) == _scored(card), card["subject"]
        assert [k for p in card["projects"] for k in p["keys"]] == keys
        assert all(p["keys"] == [i["key"] for i in card["indicators"]
                                 if i["project"] == p["project"]] for p in card["projects"])
        with_entries += any(i["points"] for i in card["indicators"] if i["project"] > 1)
    assert with_entries  # the demo's register entries score in the subtree

    # each card the subject's own `merzim score SUBJECT --json` (its depth under the root aside)
    for card in cards:
        alone = ok_json(merzim("score", card["subject"], "--year", YEAR, "--json"))
        assert {**card, "depth": 0} == alone, card["subject"]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_card_s_json_text_is_its_words_encoded_the_shared_words_put_once(demo, lang):
    _merzim, url = demo
    merzim_ctx = _context(url)
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            results = scoring.scorecards(s, merzim_ctx, "MF", DAY.year, ScoreSettings(),
                                         subtree=True)
    finally:
        engine.dispose()
    t = Translator(lang)
    encode = json_encoder()
    words = CardWords(t, encode)
    texts = [words.json(r) for r in results]
    assert texts == [encode(in_words(r, t)) for r in results]  # the same text, in words alike
    assert [words(r) for r in results] == [in_words(r, t) for r in results]
    # the second card on: most indicators' words and text were put once, for the first
    shared = [k for k in words.shared if k[0] == "json"]
    assert 0 < len(shared) < sum(len(r["indicators"]) for r in results)
    again = CardWords(t, encode)
    assert [again.json(r) for r in reversed(results)] == texts[::-1]


def _context(url: str):
    from calendars import KazakhstanCalendar
    from workflow.definitions import load_registry
    from workflow.services import Context

    return Context(KazakhstanCalendar(), load_registry(), DAY, actor="test", language="en")


def test_items_are_written_one_at_a_time_into_one_document():
    out = io.StringIO()
    written: list[str] = []

    def items() -> Iterator[str]:
        for n in range(3):
            written.append(out.getvalue())
            yield json.dumps({"n": n, "word": "сөз"}, ensure_ascii=False)

    emit_json_items({"org": "RK", "year": 2026}, "subjects", items(), out)
    assert json.loads(out.getvalue()) == {"org": "RK", "year": 2026, "subjects": [
        {"n": 0, "word": "сөз"}, {"n": 1, "word": "сөз"}, {"n": 2, "word": "сөз"}]}
    assert written[1].endswith('{"n": 0, "word": "сөз"}')  # each before the next is made
    assert written[2].endswith('{"n": 1, "word": "сөз"}')
    empty = io.StringIO()
    emit_json_items({}, "subjects", iter(()), empty)
    assert json.loads(empty.getvalue()) == {"subjects": []}
