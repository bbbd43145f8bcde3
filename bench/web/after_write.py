"""The country's root overdue page right after a write in a region, in-process: the CPU of the
request and of the menu's figures (the bell, "mine").

    .venv/bin/python bench/web/after_write.py [--workdir /tmp/merzim-bench-web] \
        [--code PATH] [--rounds 30] [--json PATH] [--postgres-schema NAME [--postgres-url URL]]

The dataset of bench/web/run.py (`run.py --build-only` builds it in --workdir), copied first
(the writes change it), or, with `--postgres-schema`, the PostgreSQL copy of it an earlier
`run.py --keep-schema` kept (used as it is: the writes void records and record them again, so
its lists' figures end as they began); the code under test: this checkout, or `--code` (another checkout,
such as a worktree of the previous head: its modules first on sys.path). Each round, for each
kind of write -- a comment on one of the region's cases (what run.py's "right after a write"
writes), a record voided or recorded again on one of them (a write that changes stages) --
in the region with the most overdue stages (`run.subtrees`: AK-R07), through the service
layer in its own transaction, committed:
* the root manager's (manager.kz) /overdue, the route called in this thread (as `run.py
  --profile` does), its CPU (`time.thread_time`; the database's is not in it for PostgreSQL,
  SQLite's is);
* after another write of the same kind, the menu's figures alone: the bell
  (notices/web.py `MENU_PART`) and "mine" (`views.menu_counts`, the menu's overdue given as
  the overdue page gives it), with the session's check and the viewer they need;
* the same page (read once more first: the second write moved its lists) and figures again
  with no write between (what was kept);
* the floor: the body of bench/web/floor.py's route (one indexed SELECT of 50 overdue stages,
  made into dicts) on the same engine, each round beside the rest, so that the figures of one
  run can be compared with another's as ratios over it.
Medians over the rounds (the first dropped: it warms the caches)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", type=Path, default=Path("/tmp/merzim-bench-web"))
    p.add_argument("--dataset", default="national-20000-1000000-20261122")
    p.add_argument("--code", type=Path, default=None, help="the checkout whose code runs")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--profile", action="store_true",
                   help="cProfile of the page after a record, then of the kept page (printed)")
    p.add_argument("--region-page", action="store_true",
                   help="the region's manager's page instead of the root manager's")
    p.add_argument("--postgres-schema", metavar="NAME",
                   help="run on this PostgreSQL copy of the dataset (run.py --keep-schema)")
    p.add_argument("--postgres-url", default=os.environ.get(
        "MERZIM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    a = p.parse_args(argv)
    here = Path(__file__).resolve().parents[2]
    code = (a.code or here).resolve()
    sys.path.insert(0, str(code))
    if str(here) not in sys.path:
        sys.path.insert(1, str(here))
    return measure(a, code)


def cpu(fn: Any) -> float:
    """The CPU of this thread `fn()` took, in ms."""
    c0 = time.thread_time()
    fn()
    return (time.thread_time() - c0) * 1e3


def dataset_url(a: argparse.Namespace, db: Path) -> str:
    """The database the writes and pages go to: the kept PostgreSQL copy, or the dataset
    copied to `db`."""
    from bench.postgres import schema_url

    if a.postgres_schema:
        return schema_url(a.postgres_url, a.postgres_schema)
    shutil.copyfile(a.workdir / f"{a.dataset}.db", db)
    return f"sqlite:///{db}"


class Profiles:
    """cProfile of the page after a record and of the kept page (`--profile`), printed at the
    end by cumulative time."""

    def __init__(self, wanted: bool):
        import cProfile

        self.wanted = wanted
        self.profiles = {"record": cProfile.Profile(time.thread_time),  # (CPU, not waits)
                         "kept": cProfile.Profile(time.thread_time)}

    def run(self, which: str, fn: Any) -> Any:
        if not self.wanted:
            return fn()
        self.profiles[which].enable()
        try:
            return fn()
        finally:
            self.profiles[which].disable()

    def print(self) -> None:
        import pstats

        if self.wanted:
            for which, prof in self.profiles.items():
                print(f"-- the page {'after a record' if which == 'record' else 'kept'}:")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
                pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def measure(a: argparse.Namespace, code: Path) -> int:
    from sqlmodel import Session, col, select
    from starlette.requests import Request

    import bench.boot  # noqa: F401  (the checkout's features installed)
    from bench.web import run
    from bench.web.floor import FLOOR_SQL
    from calendars import KazakhstanCalendar
    from web import lists_page as pages
    from web.app import create_app
    from web.kit import views
    from workflow import services as svc
    from workflow.core.errors import MerzimError
    from workflow.definitions import load_registry
    from workflow.notices.web import MENU_PART
    from workflow.services import accounts as auth
    from workflow.services.comments import add_comment
    from workflow.settings import load_settings
    from workflow.storage.db import make_engine, session, upgrade
    from workflow.storage.models import EVENT, EventRecord

    db = a.workdir / f"after-write-{os.getpid()}.db"
    url = dataset_url(a, db)
    try:
        eng = make_engine(url)
        upgrade(eng)
        region = run.subtrees(url)
        env = run.server_env(url)
        os.environ.update(env)
        settings = load_settings(path=None, env=env)
        cal, registry = KazakhstanCalendar(overrides=settings.calendar), load_registry(
            settings.process_dirs, settings.interpretations)
        app = create_app(settings, eng, cal, registry)
        ctx = svc.Context(cal, registry, run.TODAY, actor="bench-writer", language="en")
        with session(eng) as s:
            cookie, _row = auth.open_session(s, svc.get_user(
                s, region["manager"] if a.region_page else run.ROOT_MANAGER))
            records = [(c, e, d) for c, e, d in s.exec(
                select(EventRecord.case_id, EventRecord.event, EventRecord.on)
                .where(col(EventRecord.case_id).in_(region["own_cases"]),
                       EventRecord.kind == EVENT, col(EventRecord.voided_by_id).is_(None))
                .order_by(col(EventRecord.id).desc()))]
            s.commit()
        raw = [(b"host", b"127.0.0.1"),
               (b"cookie", f"merzim_session={cookie}; merzim_lang=en".encode())]
        req = Request({"type": "http", "app": app, "method": "GET", "path": "/overdue",
                       "raw_path": b"/overdue", "query_string": b"", "root_path": "",
                       "headers": raw, "scheme": "http", "server": ("127.0.0.1", 80),
                       "client": ("127.0.0.1", 1)})
        done = {"comment": 0, "record": 0}
        voided: list[tuple[int, str, Any]] = []

        def comment() -> None:
            cases = region["own_cases"]
            with session(eng) as s:
                add_comment(s, ctx, cases[done["comment"] % len(cases)], None, "bench")
                s.commit()
            done["comment"] += 1

        def record() -> None:
            """Void a standing record of the region, or record a voided one again."""
            while True:
                with session(eng) as s:
                    try:
                        if voided and done["record"] % 2:
                            case, event, day = voided.pop()
                            svc.record_event(s, ctx, case, event, day)
                        else:
                            case, event, day = records.pop()
                            svc.void_record(s, ctx, case, event, "bench")
                            voided.append((case, event, day))
                        s.commit()
                        break
                    except MerzimError:
                        s.rollback()
            done["record"] += 1

        def page() -> None:
            with Session(eng, expire_on_commit=False) as s:
                pc = pages.page(req, s)
                # the route's body (`overdue`; `overdue_page` in a checkout whose route
                # took its context as a dependency)
                resp = getattr(pages, "overdue", pages.overdue_page)(req, pc)
                assert resp.status_code == 200, resp.status_code

        def floor() -> None:
            with eng.connect() as conn:
                rows = [{"id": i, "case": c, "key": k, "path": p, "due": str(d)}
                        for i, c, k, p, d in conn.execute(FLOOR_SQL, {"today": run.TODAY})]
                assert len(rows) == 50

        def menu() -> None:
            """The bell and "mine" (the menu's overdue given, as the overdue page gives it)."""
            with Session(eng, expire_on_commit=False) as s:
                pc = pages.page(req, s)
                views.menu_counts(pc.s, pc.ctx, pc.viewer, overdue=0)  # (first, as a page)
                MENU_PART.counts(req, pc)

        profiles = Profiles(a.profile)

        def profiled(which: str) -> float:
            return profiles.run(which, lambda: cpu(page))

        got: dict[str, list[float]] = {}
        for _ in range(a.rounds + 1):
            for kind, write in (("comment", comment), ("record", record)):
                write()
                got.setdefault(f"page after a {kind}", []).append(
                    profiled("record") if kind == "record" else cpu(page))
                write()
                got.setdefault(f"bell and mine after a {kind}", []).append(cpu(menu))
                page()  # (the lists read again after the second write: not measured)
                got.setdefault("page, nothing written since", []).append(profiled("kept"))
                got.setdefault("bell and mine, nothing written since", []).append(
                    cpu(menu))
                got.setdefault("floor", []).append(cpu(floor))
        eng.dispose()
        profiles.print()
    finally:
        for suffix in ("", "-wal", "-shm", ".audit-head", ".audit-head.lock"):
            leftover = db.with_name(db.name + suffix)
            leftover.unlink(missing_ok=True)
    medians = {k: round(statistics.median(v[1:]), 2) for k, v in got.items()}
    ratios = {k: round(v / medians["floor"], 2) for k, v in medians.items()}
    result = {"code": str(code), "region": region["code"], "rounds": a.rounds,
              "writes": done, "cpu_ms_median": medians, "floor_ratio": ratios,
              "cpu_ms": {k: [round(x, 2) for x in v] for k, v in got.items()},
              "load": os.getloadavg()}
    for k, v in medians.items():
        print(f"{k}: {v} ms ({ratios[k]}x floor)")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
