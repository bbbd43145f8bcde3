"""The public pages' rate limit and cache across nodes: two `merzim serve`
processes with working directories of their own on one database count a client's requests
together (the limit holds across them, Retry-After from the shared window) and share one cache,
which a switch made anywhere (here: the command line) empties for both; the tables stay
bounded (rows older than the window removed, at most CACHE_ROWS answers kept)."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.cli_runner import Merzim
from tests.support.processes import SCRIPT, env_for, free_port, local, terminate, wait_answering
from workflow.public import service as pub
from workflow.storage.models import PublicCache, PublicHit


def _node(db_url: str, cwd: Path, config: Path) -> tuple[subprocess.Popen, str]:
    cwd.mkdir()
    port = free_port()
    env = {**env_for(db_url), "MERZIM_CONFIG": str(config)}
    proc = subprocess.Popen([str(SCRIPT), "serve", "--no-worker", "--port", str(port)], env=env,
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


def _up(proc: subprocess.Popen, base: str) -> None:
    wait_answering(proc, f"{base}/login", "the server did not come up")


@pytest.mark.slow
def test_the_limit_and_the_cache_hold_across_two_nodes(db_url, db, make_ctx, tmp_path):
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        s.commit()
    code = "AK-ALM-EDU"
    config = tmp_path / "public.toml"
    config.write_text(f'[public]\norganisations = ["{code}"]\nrequests_per_minute = 5\n'
                      "cache_seconds = 600\n", encoding="utf-8")
    nodes = [_node(db_url, tmp_path / name, config) for name in ("node-a", "node-b")]
    try:
        for proc, base in nodes:
            _up(proc, base)
        (_pa, a), (_pb, b) = nodes
        host = {"Host": "public.example.kz"}  # as behind the load balancer: one address
        answers = [local().get(f"{(a, b)[i % 2]}/public/{code}", headers=host, timeout=10)
                   for i in range(7)]
        assert [r.status_code for r in answers] == [200] * 5 + [429] * 2
        assert 1 <= int(answers[5].headers["retry-after"]) <= 60
        assert answers[0].text == answers[1].text  # node b served node a's page from the cache
        with Session(db) as s:
            assert len(list(s.exec(text("SELECT id FROM public_hit")))) == 5  # refusals not kept
            [cached] = list(s.exec(text("SELECT code FROM public_cache")))
            assert cached[0] == code
        # a switch from the command line empties the cache of both nodes at once
        merzim = Merzim(tmp_path, db_url=db_url, config=config)
        r = merzim("org", "public", code, "off")
        assert r.returncode == 0, r.stderr
        with Session(db) as s:
            assert list(s.exec(text("SELECT key FROM public_cache"))) == []
            s.execute(text("DELETE FROM public_hit"))  # a new minute for this address
            s.commit()
        assert [local().get(f"{base}/public/{code}", timeout=10).status_code
                for _p, base in nodes] == [404, 404]
    finally:
        for proc, _base in nodes:
            terminate(proc)


@pytest.mark.slow
def test_the_window_moves_and_the_tables_stay_bounded(db_url, db):
    t0 = 1_800_000_000.0
    with Session(db) as s:
        assert [pub.count_hit(s, "192.0.2.1", 3, now=t0 + i) for i in range(4)] == [0, 0, 0, 57]
        assert pub.count_hit(s, "192.0.2.2", 3, now=t0 + 4) == 0  # another address: its own
        assert pub.count_hit(s, "192.0.2.1", 3, now=t0 + 60.5) == 0  # the first one left
        s.commit()
        # rows older than the window are removed as requests are counted
        assert sorted(s.exec(text("SELECT at FROM public_hit")).scalars()) == [
            t0 + 1, t0 + 2, t0 + 4, t0 + 60.5]
        pub.count_hit(s, "192.0.2.3", 3, now=t0 + 200)
        s.commit()
        assert list(s.exec(text("SELECT client FROM public_hit")).scalars()) == ["192.0.2.3"]
        # the cache: an answer for every node, expired ones gone, at most CACHE_ROWS kept
        key = pub.cache_key("page", "X", "en", "http://a/")
        pub.keep_answer(s, key, "X", (b"<p>1</p>", "text/html"), 60, now=t0)
        s.commit()
        assert pub.cached_answer(s, key, 60, now=t0 + 59) == (b"<p>1</p>", "text/html")
        assert pub.cached_answer(s, key, 60, now=t0 + 60) is None
        pub.keep_answer(s, key, "X", (b"<p>2</p>", "text/html"), 60, now=t0 + 61)
        assert pub.cached_answer(s, key, 60, now=t0 + 61) == (b"<p>2</p>", "text/html")
        for i in range(pub.CACHE_ROWS + 5):
            pub.keep_answer(s, pub.cache_key("page", str(i)), "Y", (b"x", "text/html"), 10**6,
                            now=t0 + 100 + i)
        s.commit()
        rows = s.exec(text("SELECT count(*) FROM public_cache")).scalar()
        assert rows == pub.CACHE_ROWS
        late = t0 + 100 + pub.CACHE_ROWS
        assert pub.cached_answer(s, key, 10**6, now=late) is None  # the oldest, gone first
        assert pub.cached_answer(s, pub.cache_key("page", "4"), 10**6, now=late) is None  # oldest
        assert pub.cached_answer(s, pub.cache_key("page", "5"), 10**6, now=late) is not None
        pub.forget_answers(s, "Y")
        s.commit()
        assert s.exec(text("SELECT count(*) FROM public_cache")).scalar() == 0
    assert PublicHit.__tablename__ == "public_hit" and PublicCache.__tablename__ == "public_cache"
