"""Every declared kept figure (workflow/kept/figures.py `FIGURES`) walked against its recount
after random writes drawn from the services (tests/support/random_writes.py and the person's
figures' writer: cases opened, events recorded and voided, withdrawals and restorals, dates
corrected, register files imported, hand-overs, comments, read marks, mutes and snoozes,
organisations added, register entries opened with their records, saved views kept, renamed,
shared and deleted): each figure read as a page reads it (kept across requests) equals the
same read with nothing kept, for the officers and the managers of a region, a district and the
country's root (the lists, the bell, "mine", the saved views, the filter's choices), and for
the country's subjects (their evaluation and points still to win, their forms' lines); and a
figure whose declared scopes are cut is caught going stale, so the walk covers each figure by
its declaration. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import Session, delete

from tests.support.bulk_helpers import commit
from tests.support.features import module_of
from tests.support.person_figures import (
    MENU_PART,
    ORGS,
    PEOPLE,
    REQUEST,
    TODAY,
    FigureWriter,
    ctx_of,
    escalated,
    notices,
    world,
)
from web import saved_views_page
from web.kit import views
from web.kit.access import viewer_for
from web.kit.deps import PageContext
from workflow import services as svc
from workflow.kept import counts, figures
from workflow.services import joining, people
from workflow.storage.models import KeptFigure

MANAGERS_WITH_PARTS = ("kz", "dana")  # their overdue page is composed of parts (own_rows)
SUBJECTS = ("KZ", "AK", "AK-EDU", "MF")  # the subjects whose evaluation and forms are read
YEAR = TODAY.year
forms = module_of("forms", "service")
scorecard_kept = module_of("scorecard", "kept")
scorecard_stored = module_of("scorecard", "stored")
SETTINGS = module_of("scorecard", "rules").ScoreSettings()


def _viewers(s: Session, people: tuple[str, ...] = PEOPLE) -> list[tuple[str, Any]]:
    return [(login, viewer_for(s, svc.get_user(s, login))) for login in people]


def _lists(s: Session, ctx: svc.Context, people: tuple[str, ...] = PEOPLE) -> dict:
    out = {}
    for login, viewer in _viewers(s, people):
        rows, pager, by_path = views.overdue_list(s, ctx, viewer, 1, "",
                                                  orgs=views.org_choices(s, viewer))
        due, _ = views.due_list(s, ctx, viewer, 30, 1, "")
        out[login] = ([r.stage_id for r in rows], pager["total"], by_path,
                      [r.stage_id for r in due])
    return out


def _forget_lists(s: Session | None = None) -> None:
    for kept in (views._LISTS, views._LAST_PARTS):
        for cache in kept.values():
            cache.clear()


def _mine(s: Session, ctx: svc.Context) -> dict:
    return {login: views.menu_counts(s, ctx, viewer)["mine"] for login, viewer in _viewers(s)}


def _bell(s: Session, ctx: svc.Context) -> dict:
    out = {}
    for login, viewer in _viewers(s):
        pc = PageContext(viewer, None, s, ctx, None)  # type: ignore[arg-type]
        out[login] = MENU_PART.counts(REQUEST, pc)["unread"]
    return out


def _forget_bell(s: Session | None = None) -> None:
    _forget_lists()
    notices._ESCALATIONS.clear()
    for kept in (notices._NEAR, notices._OWN):
        for by in kept.values():
            by.clear()


def _escalations(s: Session, ctx: svc.Context) -> dict:
    return {login: escalated(s, ctx, viewer.user) for login, viewer in _viewers(s)}


def _choices(s: Session, ctx: svc.Context) -> dict:
    return {login: [r.code for r in views.org_choices(s, viewer)]
            for login, viewer in _viewers(s)}


def _forget_choices(s: Session | None = None) -> None:
    for cache in views._ORG_CHOICES.values():
        cache.clear()


def _confirming(s: Session, ctx: svc.Context) -> dict:
    s.info.pop(joining._MEMO, None)
    return joining.confirming_orgs(s, ctx)


def _forget_confirming(s: Session | None = None) -> None:
    for kept in joining._KEPT.values():
        kept.clear()


def _officers(s: Session, ctx: svc.Context) -> frozenset[str]:
    """Which of the tree's organisations have no active officer, as a list page of
    unassigned rows asks (its "Assign" says so instead)."""
    return people.without_officer(s, [code for code, _parent in ORGS] + ["AK-N0"])


def _forget_officers(s: Session | None = None) -> None:
    people.forget_officered()


def _open_stage_counts(s: Session, ctx: svc.Context) -> Any:
    return counts.differences(s)


def _views(s: Session, ctx: svc.Context) -> dict:
    """Each person's saved views in the menu, each with its count, as every page's menu
    reads them (web/saved_views_page.py `listed`)."""
    out = {}
    for login, viewer in _viewers(s):
        pc = PageContext(viewer, None, s, ctx, None)  # type: ignore[arg-type]
        out[login] = saved_views_page.listed(REQUEST, pc)
    return out


def _form_counts(s: Session, ctx: svc.Context) -> dict:
    """The lines of each appendix of each subject's year, as its score page lists its forms
    (forms/service.py `line_counts`, from each organisation's kept counts)."""
    return {code: forms.line_counts(s, ctx, code, YEAR) for code in SUBJECTS}


def _forget_form_counts(s: Session | None = None) -> None:
    for cache in forms._KEPT.values():
        cache.clear()


def _evaluation(s: Session, ctx: svc.Context) -> list:
    """The country's subjects' scorecards, its subtree's kept evaluation (as the root's score
    list reads it) with each subject's points still to win."""
    return [scorecard_kept.kept_scorecards(s, ctx, "KZ", YEAR, SETTINGS, subtree=True),
            scorecard_kept.kept_points(s, ctx, "KZ", YEAR, SETTINGS)]


def _forget_evaluation(s: Session | None = None) -> None:
    """What a process keeps of the evaluation, and what the installation keeps of it in the
    database (workflow/scorecard/stored.py: every process reads it while its key matches)."""
    for cache in scorecard_kept._KEPT.values():
        cache.clear()
    if s is not None:
        scorecard_stored.settle()
        s.exec(delete(KeptFigure))  # type: ignore[call-overload]
        s.commit()


# each declared figure: (read as a page reads it, forget what is kept of it, in memory and in
# the database); the recount is
# the same read with nothing kept. The open stages' counts are kept in the database: their
# recount is `differences` (none).
WALKS: dict[str, tuple[Callable[[Session, svc.Context], Any], Callable[[], None]]] = {
    "lists": (_lists, _forget_lists),
    "own_rows": (lambda s, ctx: _lists(s, ctx, MANAGERS_WITH_PARTS), _forget_lists),
    "mine": (_mine, _forget_lists),
    "bell": (_bell, _forget_bell),
    "escalations": (_escalations, _forget_bell),
    "organisation_choices": (_choices, _forget_choices),
    "confirming": (_confirming, _forget_confirming),
    "officers": (_officers, _forget_officers),
    "open_stage_counts": (_open_stage_counts, lambda s=None: None),
    "views": (_views, _forget_lists),
    "form_counts": (_form_counts, _forget_form_counts),
    "evaluation": (_evaluation, _forget_evaluation),
}


def _walk(eng, names: list[str], seed: int, n: int) -> list[str]:
    """`n` random writes; after each, every figure of `names` read kept and read with nothing
    kept (AssertionError on the first that differs)."""
    writer = FigureWriter(eng, random.Random(seed))
    ctx = ctx_of(actor="web")

    def read_all() -> dict[str, tuple[Any, Any]]:
        out = {}
        with Session(eng) as s:
            for name in names:
                read, forget = WALKS[name]
                kept = read(s, ctx)
                forget(s)
                out[name] = (kept, read(s, ctx))
        return out

    read_all()  # kept from the start: each write below finds them kept

    def check(i: int, done: list[str]) -> None:
        for name, (kept, fresh) in read_all().items():
            if name == "open_stage_counts":
                assert kept == [], (name, i, done)
            else:
                assert kept == fresh, (name, i, done)

    return writer.run(n, check, imports_every=15)


def test_every_declared_figure_is_walked():
    assert set(figures.FIGURES) == set(WALKS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [6])
def test_every_kept_figure_equals_its_recount_after_random_writes(db, seed):
    commit(db, world)
    done = _walk(db, list(WALKS), seed, 50)
    assert {"open", "record", "void", "comment", "read", "add_org", "view", "entry",
            "imports"} <= {d.split()[0] for d in done}, done
    assert {"entry", "view", "add_org", "officer"} <= set(done), done  # not only refused


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(WALKS) - {"open_stage_counts"}))
def test_a_figure_whose_scopes_are_cut_goes_stale_and_the_walk_finds_it(db, monkeypatch, name):
    """The figure's declaration cut to no scope: what is kept of it is never read again, and
    the walk finds it differing from its recount (what covers each figure is its
    declaration, not its cache site)."""
    monkeypatch.setitem(figures.FIGURES, name,
                        replace(figures.FIGURES[name], scopes=lambda **_: ()))
    commit(db, world)
    with pytest.raises(AssertionError) as found:
        _walk(db, [name], 7, 60)
    assert str(found.value).startswith(f"('{name}', "), found.value


def test_the_services_install_the_kept_figures_whichever_is_asked_first():
    """A process that imports only the services (a script, a command reading one case) hands
    its writes' records to the kept figures: an append never finds them uninstalled."""
    import subprocess
    import sys

    code = ("import workflow.services\nfrom workflow.storage import audit\n"
            "assert audit._KEEPER, 'not installed'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_a_password_set_moves_her_own_figures_alone(db):
    """A password set (her sessions, tokens and feeds ended with it) is a person's own doing:
    it moves what she reads of herself, never a subject's evaluation or anyone's lists (every
    figure kept in every process and in the database would otherwise go stale at once)."""
    from workflow.services import accounts

    commit(db, world)
    with Session(db) as s:
        dana = svc.get_user(s, "dana")
        dana_id = dana.id
        subjects = figures.each(s, "evaluation", [svc.get_org(s, c).path for c in SUBJECTS])
        hers = figures.versions_of(s, "views", user=dana.id)
        accounts.set_password(s, dana, "a long enough password 1", "test")
        s.commit()
    with Session(db) as s:
        assert figures.each(s, "evaluation", list(subjects)) == subjects
        assert figures.versions_of(s, "views", user=dana_id) != hers
