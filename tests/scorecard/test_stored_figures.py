"""The subjects' figures stored for the installation (workflow/scorecard/stored.py): a process
that does not hold them in memory (another node over the same database, a process after a
restart: here a second engine and a second application) reads what the first stored instead of
computing it, the same figures and the same pages byte for byte; a write below a subject moves
its versions, and it and its ancestors alone are computed again; figures stored with other
settings are not read. The encoding gives back each value as it was and builds nothing but data. On SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import pickle
import re
import zlib
from datetime import UTC, date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from tests.support.features import module_of, needs
from tests.support.score_helpers import TODAY, record_ministry
from tests.support.web_helpers import CALENDAR, DEFINITION, Web, web_fixture  # noqa: F401
from tests.support.web_helpers import TODAY as WEB_TODAY
from tests.support.web_helpers import _settings as web_settings
from web.app import create_app
from workflow.scorecard import kept, stored
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings
from workflow.storage.db import make_engine
from workflow.storage.models import KeptFigure

YEAR = 2025
STORED = ("leads", kept._CARD, kept._POINTS, kept._STANDING)  # the figures stored (the others:
# in memory)


def _computed() -> dict[str, int]:
    return {what: kept.COMPUTED.get(what, 0) for what in STORED}


def _delta(before: dict[str, int]) -> dict[str, int]:
    return {what: n - before[what] for what, n in _computed().items() if n != before[what]}


@pytest.fixture
def second(engine):
    """Another engine over the same database: another node (its memory its own)."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


def _all(s, ctx, settings_):
    return (kept.kept_scorecards(s, ctx, "MF", YEAR, settings_, subtree=True),
            kept.kept_card(s, ctx, "MF", YEAR, settings_),
            kept.kept_below(s, ctx, "MF", YEAR, settings_, ["MF-K"]))


def test_a_second_node_reads_what_the_first_computed_and_a_write_has_it_computed_again(
        engine, second, make_ctx):
    ctx = record_ministry(engine, make_ctx(TODAY))["ctx"]
    settings_ = ScoreSettings()
    before = _computed()
    with Session(engine) as s:
        first = _all(s, ctx, settings_)
        fresh = scoring.scorecards(s, ctx, "MF", YEAR, settings_, subtree=True)
    subjects = len(first[0])
    assert first[0] == fresh and subjects > 2
    assert _delta(before)[kept._CARD] >= subjects and _delta(before)["leads"] == 1
    stored.settle()
    with Session(engine) as s:
        rows = s.exec(select(func.count()).select_from(KeptFigure)).one()
    # the cards, the root's with its leads, the points still to win and the standing of those
    # below and its own
    assert rows == subjects + 1 + 2 * (len(first[2][1]) + 1)

    before = _computed()
    read = stored.READ["rows"]
    with Session(second) as s:
        again = _all(s, ctx, settings_)
    assert again == first and not _delta(before)  # read, not computed
    assert stored.READ["rows"] - read == rows - 2  # all but the root's points and standing
    # a card's projects list the very indicators of the card, as computed
    card = again[1]
    assert all(any(i is j for j in card["indicators"])
               for p in card.get("projects", ()) for i in p["indicators"])

    # a write in the committee (an analysis of a territorial department) moves the versions
    # of the department, the committee and the ministry: the second node computes those alone
    with Session(engine) as s:
        module_of("planning", "service").plan_analysis(
            s, ctx, "MF-K", "MF-K-T2", date(2025, 10, 1), date(2025, 11, 10))
        s.commit()
    stored.settle()
    before = _computed()
    with Session(second) as s:
        after = kept.kept_scorecards(s, ctx, "MF", YEAR, settings_, subtree=True)
        assert after == scoring.scorecards(s, ctx, "MF", YEAR, settings_, subtree=True)
    assert after != first[0]
    assert _delta(before) == {kept._CARD: 3}
    stored.settle()
    # and what it computed is stored: the first node (its memory stale) reads it
    before = _computed()
    with Session(engine) as s:
        assert kept.kept_scorecards(s, ctx, "MF", YEAR, settings_, subtree=True) == after
    assert not _delta(before)


def test_a_subject_s_card_with_its_leads_gives_its_plain_card_and_points_kept_and_stored(
        engine, second, make_ctx):
    ctx = record_ministry(engine, make_ctx(TODAY))["ctx"]
    settings_ = ScoreSettings()
    with Session(engine) as s:
        card = kept.kept_card(s, ctx, "MF", YEAR, settings_)
        before = _computed()
        mine = kept.kept_scorecards(s, ctx, "MF", YEAR, settings_)
        assert mine == scoring.scorecards(s, ctx, "MF", YEAR, settings_)
        assert not _delta(before)  # kept with the card, not evaluated again
    stored.settle()
    before = _computed()
    with Session(second) as s:
        assert kept.kept_scorecards(s, ctx, "MF", YEAR, settings_) == mine
        assert kept.kept_card(s, ctx, "MF", YEAR, settings_) == card
    assert not _delta(before)


def test_figures_stored_with_other_settings_or_on_another_day_are_not_read(
        engine, second, make_ctx):
    ctx = record_ministry(engine, make_ctx(TODAY))["ctx"]
    with Session(engine) as s:
        mine = kept.kept_scorecards(s, ctx, "MF", YEAR, ScoreSettings(), subtree=True)
    stored.settle()
    other = ScoreSettings(outreach_cumulative=False)
    assert stored.fingerprint(ctx, other) != stored.fingerprint(ctx, ScoreSettings())
    before = _computed()
    with Session(second) as s:
        theirs = kept.kept_scorecards(s, ctx, "MF", YEAR, other, subtree=True)
        assert theirs == scoring.scorecards(s, ctx, "MF", YEAR, other, subtree=True)
    assert _delta(before) == {kept._CARD: len(mine)}
    stored.settle()
    # the day after: every figure computed again (the other settings' rows replaced theirs)
    tomorrow = make_ctx(TODAY + timedelta(days=1))
    before = _computed()
    with Session(second) as s:
        kept.kept_scorecards(s, tomorrow, "MF", YEAR, other, subtree=True)
    assert _delta(before) == {kept._CARD: len(mine)}
    stored.settle()
    with Session(engine) as s:  # one row per subject: replaced, not added
        assert s.exec(select(func.count()).select_from(KeptFigure)).one() == len(mine)


def test_a_stored_row_whose_fingerprint_differs_is_not_read(engine, second, make_ctx):
    ctx = record_ministry(engine, make_ctx(TODAY))["ctx"]
    with Session(engine) as s:
        mine = kept.kept_scorecards(s, ctx, "MF", YEAR, ScoreSettings())
    stored.settle()
    with Session(engine) as s:  # the row as another installation's settings would have it
        row = s.exec(select(KeptFigure)).one()
        row.fingerprint = "0" * 64
        s.add(row)
        s.commit()
    before = _computed()
    with Session(second) as s:
        assert kept.kept_scorecards(s, ctx, "MF", YEAR, ScoreSettings()) == mine
    assert _delta(before) == {kept._CARD: 1}


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    | st.dates() | st.datetimes(timezones=st.none() | st.just(UTC))
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple)
    | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=4),
    max_leaves=30)


def _typed(v):
    """`v` with every value's type beside it: equal only when the types are too."""
    if isinstance(v, dict):
        return ("dict", [(_typed(k), _typed(x)) for k, x in v.items()])
    if isinstance(v, list | tuple):
        return (type(v).__name__, [_typed(x) for x in v])
    return (type(v).__name__, v)


@settings(max_examples=200, deadline=None)
@given(values)
def test_the_encoding_gives_back_each_value_as_it_was(value):
    assert _typed(stored.decode(stored.encode(value))) == _typed(value)


def test_a_dictionary_met_twice_is_read_back_as_one_and_other_types_are_not_stored():
    shared = {"key": "1.1.1", "points": 2.5, "due": date(2025, 10, 1)}
    card = {"indicators": [shared, {"$tag": 1}], "projects": [{"indicators": [shared]}],
            "at": (1, 2.0, "3")}
    back = stored.decode(stored.encode(card))
    assert back == card and back["projects"][0]["indicators"][0] is back["indicators"][0]
    with pytest.raises(TypeError):
        stored.encode({"a": ScoreSettings()})
    with pytest.raises(TypeError):
        stored.encode([object()])


class _Calls:
    """What a row written by someone else could hold: a call of any function when read."""

    def __reduce__(self):
        return (os.getcwd, ())


def test_a_row_that_names_another_class_or_function_is_not_read():
    hostile = zlib.compress(pickle.dumps({"card": _Calls()}))
    with pytest.raises(pickle.UnpicklingError):
        stored.decode(hostile)


ROOT = "AK-ALM"


def _page(text: str) -> str:
    """A page without what differs from one sign-in to another (its CSRF token, its nonce)."""
    return re.sub(r'(name="csrf" value=|nonce=)"[^"]*"', r'\1""', text)


@needs("planning")
def test_a_second_application_serves_the_root_s_pages_from_the_stored_figures(
        web: Web, tmp_path):
    pages = (f"/score/{ROOT}?year={WEB_TODAY.year}", f"/score?org={ROOT}&year={WEB_TODAY.year}",
             f"/overview?org={ROOT}")
    b = web.browser("nurlan")
    first = {url: b.get(url) for url in pages}
    assert all(r.status_code == 200 for r in first.values())
    stored.settle()
    engine2 = make_engine(web.engine.url.render_as_string(hide_password=False))
    try:
        app2 = create_app(web_settings(tmp_path, str(web.engine.url)), engine2, CALENDAR,
                          DEFINITION)
        web2 = Web(engine2, app2, dict(web.analyses), {}, _passwords=set(web._passwords))
        b2 = web2.browser("nurlan")
        before = _computed()
        second_pages = {url: b2.get(url) for url in pages}
        assert not _delta(before)  # every subject's figures read, none computed
        for url in pages:
            assert _page(second_pages[url].text) == _page(first[url].text), url
    finally:
        engine2.dispose()


@needs("planning")
def test_a_second_application_s_start_reads_the_roots_figures_instead_of_computing_them(
        web: Web, tmp_path):
    import threading

    from fastapi.testclient import TestClient

    def started(engine) -> None:
        app = create_app(web_settings(tmp_path, str(web.engine.url), warm=True), engine,
                         CALENDAR, DEFINITION)
        with TestClient(app):  # its lifespan's start: the warm-up, waited for
            for thread in threading.enumerate():
                if thread.name == "merzim-warm-scores":
                    thread.join()
        stored.settle()

    before = _computed()
    started(web.engine)
    assert _delta(before).get("leads")  # the first computed the roots' figures
    engine2 = make_engine(web.engine.url.render_as_string(hide_password=False))
    try:
        before, read = _computed(), stored.READ["rows"]
        started(engine2)
        assert not _delta(before) and stored.READ["rows"] > read  # the second read them
    finally:
        engine2.dispose()


def test_two_nodes_storing_the_same_subjects_at_once_both_land(engine, second, caplog):
    """Two nodes storing the figures of the same 600 subjects at the same moment (given in
    opposite orders): no batch is refused (a deadlock between their upserts was one), every
    row stored once, each holding one node's figure."""
    import logging
    import threading

    rows = {name: [(f"/1/{i}/", (i, 1), {"subject": i, "by": name}) for i in range(600)]
            for name in ("first", "second")}
    barrier = threading.Barrier(2)

    def store(eng, name, order):
        barrier.wait()
        stored._store(eng, "race", order(rows[name]), YEAR, "en", "f" * 64)

    caplog.set_level(logging.INFO, logger=stored.log.name)
    for _ in range(3):
        threads = [threading.Thread(target=store, args=(engine, "first", list)),
                   threading.Thread(target=store, args=(second, "second",
                                                        lambda r: list(reversed(r))))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not [r for r in caplog.records if "not stored" in r.getMessage()]
    with Session(engine) as s:
        found = s.exec(select(KeptFigure).where(KeptFigure.figure == "race")).all()
    assert len(found) == 600
    assert {stored.decode(r.body)["by"] for r in found} <= {"first", "second"}
    assert all(stored.decode(r.body)["subject"] == int(r.subject_path.strip("/").split("/")[1])
               for r in found)
