"""The people import writes in short batches (`imports.people.BATCH` rows a transaction, each
committed): a sign-in — which appends to the audit chain and so waits for the chain's lock an
import holds — completes while a file of thousands of people is still being written, instead of
waiting for the whole file (a 10,000-row import through the web held one transaction: sign-in
p95 74.8 s on PostgreSQL).

The test orders, it does not time: the import runs in one thread; once its first batch has
committed, a sign-in runs in another and must complete while the import has rows left to
write. Afterwards every person is there, once, each invited, and the audit chain holds."""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from workflow import services as svc
from workflow.imports import people as invitations
from workflow.services import accounts as auth
from workflow.storage import audit
from workflow.storage.db import make_engine
from workflow.storage.models import Invitation, OutboxMessage, User

TODAY = date(2025, 11, 19)
PEOPLE = 4000  # eight batches
PASSWORD = "officers-password-1"


def _people() -> list[dict]:
    return [{"_row": i + 2, "login": f"p{i:05d}", "name": f"Person {i}",
             "email": f"p{i:05d}@example.kz", "telegram": "", "role": "officer",
             "organisation": "AK"} for i in range(PEOPLE)]


def _count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(User)).one()


def test_a_sign_in_completes_while_a_people_import_is_still_writing(db_url, make_ctx):
    assert PEOPLE >= 4 * invitations.BATCH
    engine = make_engine(db_url)
    with Session(engine) as s:
        ctx = make_ctx(TODAY, actor="cli:setup")
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        officer = svc.add_user(s, ctx, "dana", "Dana", "officer", "AK")
        auth.set_password(s, officer, PASSWORD, "test-setup")
        s.commit()
    start = _count(engine)
    failures: list[BaseException] = []

    def run_import() -> None:
        try:
            with Session(make_engine(db_url)) as s:
                invitations.import_people(s, make_ctx(TODAY, actor="web:admin"), _people(),
                                          update=False, base_url="https://m.kz", days=7)
                s.commit()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    importer = threading.Thread(target=run_import)
    importer.start()
    while _count(engine) == start and importer.is_alive():  # its first batch committed
        time.sleep(0.01)
    assert not failures, failures
    with Session(engine) as s:  # a sign-in now: waits for a batch at most
        assert auth.authenticate(s, "dana", PASSWORD).user is not None
        s.commit()
    written_when_signed_in = _count(engine) - start
    importer.join()
    assert not failures, failures
    assert 0 < written_when_signed_in < PEOPLE  # the import was still writing
    with Session(engine) as s:
        assert _count(engine) - start == PEOPLE
        assert s.exec(select(func.count()).select_from(Invitation)).one() == PEOPLE
        assert s.exec(select(func.count()).select_from(OutboxMessage)).one() == PEOPLE
        assert audit.verify(s).ok
    engine.dispose()


def test_a_file_with_a_problem_anywhere_stores_nothing_even_past_a_batch(db, make_ctx):
    from tests.support.databases import dump_tables

    with Session(db) as s:
        svc.add_org(s, make_ctx(TODAY), "AK", "Akimat", "akimat")
        s.commit()
    rows = _people()[:2 * invitations.BATCH + 1]
    rows[-1] = {**rows[-1], "email": "not an address"}
    before = dump_tables(db)
    with Session(db) as s:
        try:
            invitations.import_people(s, make_ctx(TODAY), rows, update=False,
                                      base_url="https://m.kz", days=7)
        except invitations.PeopleRefused as refused:
            assert [(p.row, p.column) for p in refused.problems] == [(rows[-1]["_row"], "email")]
        else:
            raise AssertionError("refused")
        s.rollback()
    assert dump_tables(db) == before


def test_a_file_stopped_between_batches_is_finished_by_importing_it_again(db, make_ctx):
    """Its first batches stay; the same file with "update existing" adds the rest, invites
    each new person once and changes nobody already written."""
    with Session(db) as s:
        svc.add_org(s, make_ctx(TODAY), "AK", "Akimat", "akimat")
        s.commit()
    rows = _people()[:invitations.BATCH + 10]
    with Session(db) as s:  # as if stopped after its first batch
        invitations.import_people(s, make_ctx(TODAY), rows[:invitations.BATCH], update=False,
                                  base_url="https://m.kz", days=7)
        s.commit()
    with Session(db) as s:
        done = invitations.import_people(s, make_ctx(TODAY), rows, update=True,
                                         base_url="https://m.kz", days=7)
        s.commit()
        assert (len(done.added), len(done.updated), done.invited) == (
            10, invitations.BATCH, 10)
        assert s.exec(select(func.count()).select_from(User)).one() == len(rows)
        assert s.exec(select(func.count()).select_from(Invitation)).one() == len(rows)
        assert audit.verify(s).ok
