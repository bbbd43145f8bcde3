"""The delivery tests' fixtures: `api`, a local Bot API server for the suite's bot token
(tests/support/fake_telegram.py, `TOKEN`), and `demo`, the demo loaded in-process on
19 March 2025, the day before the digests' working day (as `merzim init --demo` would). A module
that needs another token or another demo defines its own."""

from datetime import date

import pytest

from tests.support.fake_telegram import TOKEN, FakeBotApi


@pytest.fixture
def api():
    server = FakeBotApi(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def demo(db, make_ctx):
    """What `load_demo` returned."""
    from sqlmodel import Session

    from workflow.services.demo import load_demo

    with Session(db) as s:
        loaded = load_demo(s, make_ctx(date(2025, 3, 19)))
        s.commit()
    return loaded
