"""The figures of a person's menu kept across requests -- the bell's unread count and "mine"
(her overdue stages) -- keyed by her own versions (workflow/kept/figures.py
`bell_scopes`, `mine_scopes`): after random writes (cases opened, events recorded and voided,
cases withdrawn and restored, dates corrected, hand-overs, comments with and without a
mention, read marks, mutes and snoozes, register files imported) the figures kept equal a
recount for officers, a manager of a district, of a region and of the country's root; a write
that cannot change her figures (a comment on another's case, a record deeper in a manager's
subtree than his escalations reach) leaves them kept (no statement reads them again), one
that can has them read again; in a region of many departments, after random stage writes
across it (records, voids, stages not done, hand-overs, comments), its manager's kept bell and
escalations equal those counted afresh (`kept=False`: read whole, nothing kept used) with his
centre cut below his escalations, a write in one department reads that department's again
alone, and his read mark moves his bell at once. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from tests.support.bulk_helpers import commit
from tests.support.person_figures import (
    BEFORE,
    MENU_PART,
    PEOPLE,
    REQUEST,
    UNION,
    Writer,
    ctx_of,
    figures,
    notices,
    recounted,
    world,
)
from tests.support.random_writes import COI, TODAY, RandomWrites
from tests.support.sql_trace import statements
from web.kit import views
from web.kit.access import viewer_for
from web.kit.deps import PageContext
from workflow import services as svc
from workflow.services import comments
from workflow.storage.db import session as open_session
from workflow.storage.models import OPEN, Case, Stage


@pytest.mark.parametrize("seed", [3, 2026])
def test_the_kept_bell_and_mine_equal_a_recount_after_random_writes(db, seed):
    commit(db, world)
    writer = Writer(db, random.Random(seed))
    seen = [figures(db)]  # kept from the start: each write below finds them kept

    def check(n, done):
        seen.append(figures(db))
        assert seen[-1] == recounted(db), (n, done)

    done = writer.run(60, check, imports_every=20)
    later = TODAY + timedelta(days=10)
    assert figures(db, later) == recounted(db, later)
    assert {"open", "record", "void", "withdraw", "comment", "read", "hand_over",
            "imports"} <= set(done), done
    # each person's figures were some and changed (the root's and the region's bells: their
    # escalations, read marks)
    for login in ("asel", "aigul", "bota", "kz", "dana", "marat"):
        assert len({f[login][0] for f in seen}) > 1 and max(f[login][0] for f in seen) > 0
    for login in ("asel", "aigul", "bota"):
        assert len({f[login][1] for f in seen}) > 1 and max(f[login][1] for f in seen) > 0


def test_the_kept_escalations_cut_at_the_centres_bound_equal_a_recount(db, monkeypatch):
    """With the centre's bound at 3 items, the managers' escalations (more than 3) are the
    first 3 of all their organisations' rows, each organisation's kept whole: after random
    writes equal to a recount."""
    monkeypatch.setattr(notices.rules, "MAX_ITEMS", 3)
    monkeypatch.setattr(notices, "_STATEMENTS", {})  # (built with the bound)
    commit(db, world)
    for org in ("AK", "AK-EDU", "AK-HEALTH", "MF-KGD", "AK-EDU-SCH"):
        opened(db, org, 60)
    writer = Writer(db, random.Random(11))
    assert figures(db) == recounted(db)
    assert len(figures(db)["dana"][2]) == 3
    for n in range(25):
        done = writer.step(None)
        assert figures(db) == recounted(db), (n, done)


def opened(eng, org: str, days: int = 40) -> int:
    """A case of `org` opened `days` ago (overdue stages: escalated to its managers)."""
    with open_session(eng) as s:
        case = svc.open_case(s, ctx_of(), COI, org, person="Someone",
                             dates={"notified": TODAY - timedelta(days=days)})
        s.commit()
        return case.id


def read_again(eng, login: str) -> bool:
    """Whether her menu read her bell again (the centre's one SELECT was sent)."""
    with statements(eng) as sent:
        figures_of(eng, login)
    return bool([st for st in sent if UNION.search(st)])


def figures_of(eng, login: str) -> tuple[int, int]:
    ctx = ctx_of(actor="web")
    with Session(eng) as s:
        viewer = viewer_for(s, svc.get_user(s, login))
        pc = PageContext(viewer, None, s, ctx, None)  # type: ignore[arg-type]
        return MENU_PART.counts(REQUEST, pc)["unread"], views.menu_counts(s, ctx, viewer)["mine"]


def test_a_write_that_cannot_change_her_figures_leaves_them_kept(db):
    """A comment naming nobody on asel's case: her bell is read again (hers), nobody else's;
    a record in the school (two levels below the region, three below the root): the school's
    and the district's managers' bells are read again (their escalations), the region's and
    the root's are kept; a record in the region: the region's and the root's are read again.
    Every figure kept equals a recount."""
    commit(db, world)
    school, region = opened(db, "AK-EDU-SCH"), opened(db, "AK")
    mine = opened(db, "AK-EDU")
    with open_session(db) as s:
        svc.assign_responsible(s, ctx_of(), mine, "asel")
        s.commit()
    figures(db)
    with open_session(db) as s:
        comments.add_comment(s, ctx_of(), mine, svc.get_user(s, "aigul"), "Seen")
        s.commit()
    assert {login: read_again(db, login) for login in PEOPLE} == {
        login: login == "asel" for login in PEOPLE}
    with open_session(db) as s:
        svc.record_event(s, ctx_of(), school, "forwarded", TODAY - timedelta(days=2))
        s.commit()
    assert {login: read_again(db, login) for login in ("kz", "dana", "marat", "bota")} == {
        "kz": False, "dana": False, "marat": True, "bota": True}
    with open_session(db) as s:
        svc.record_event(s, ctx_of(), region, "forwarded", TODAY - timedelta(days=2))
        s.commit()
    assert {login: read_again(db, login) for login in ("kz", "dana", "marat", "bota")} == {
        "kz": True, "dana": True, "marat": False, "bota": False}
    assert figures(db) == recounted(db)


def test_a_write_in_one_subordinate_reads_its_escalations_alone(db):
    """The region's manager's escalations are kept by organisation (the region's own and each
    district's subtree): a record in AK-HEALTH reads AK-HEALTH's again, AK-EDU's and the
    region's own rows are those kept; the root's manager's are all kept (AK's subtree is one
    of his parts, read again). Equal a recount, before and after."""
    commit(db, world)
    edu, health = opened(db, "AK-EDU"), opened(db, "AK-HEALTH")
    with Session(db) as s:
        ak, edu_path, health_path = (svc.get_org(s, c).path for c in ("AK", "AK-EDU",
                                                                       "AK-HEALTH"))
    assert figures(db) == recounted(db)
    before = notices._NEAR[db][(ak, 1)].parts
    assert before[edu_path][1] and before[health_path][1]  # each district's escalations
    with open_session(db) as s:
        svc.record_event(s, ctx_of(), health, "forwarded", TODAY - timedelta(days=2))
        s.commit()
    assert figures(db) == recounted(db)
    after = notices._NEAR[db][(ak, 1)].parts
    assert after[edu_path] is before[edu_path] and after[ak] is before[ak]
    assert after[health_path][0] > before[health_path][0]
    assert after[health_path][1] != before[health_path][1]  # its stage moved on
    assert edu in {r.case_id for r in after[edu_path][1]}


def test_a_mention_and_a_hand_over_move_her_figures(db):
    """A comment naming aigul on asel's case, a case of AK-EDU nobody answered for handed to
    aigul: aigul's bell, then asel's and aigul's figures, are read again; equal a recount."""
    commit(db, world)
    case = opened(db, "AK-EDU")
    with open_session(db) as s:
        early = s.exec(select(Case.id).where(col(Case.responsible_id).is_(None))
                       .order_by(col(Case.id))).first()
    before = figures(db)
    assert before["aigul"][1] > 0  # the cases nobody answers for: hers (and asel's)
    with open_session(db) as s:
        comments.add_comment(s, ctx_of(), case, svc.get_user(s, "asel"), "For @aigul")
        s.commit()
    assert read_again(db, "aigul") and not read_again(db, "kz") and not read_again(db, "bota")
    with open_session(db) as s:
        svc.assign_responsible(s, ctx_of(), early, "aigul")
        s.commit()
    assert read_again(db, "asel") and read_again(db, "aigul") and not read_again(db, "bota")
    after = figures(db)
    assert after == recounted(db)
    assert after["asel"][1] < before["asel"][1]  # no longer hers
    assert after["aigul"][1] == before["aigul"][1]  # hers still


def test_what_her_figures_read():
    """An officer's: her own, her organisation's cases nobody answers for, who joined when,
    every list's; a manager's bell besides the stages near his organisation, or his subtree's
    when his escalations reach further down than the `near` scopes are moved for."""

    assert svc.mine_scopes(7, 3) == (
        "*", "organisations", "user:7", "unassigned:3")
    assert svc.bell_scopes(7, "officer", 3, "/1/3/") == svc.mine_scopes(7, 3)
    assert svc.mine_scopes(8, None) == ("*", "organisations", "user:8")
    for levels, escalations in ((0, "near:/1/"), (1, "near:/1/"), (2, "/1/")):
        assert svc.bell_scopes(8, "manager", None, "/1/", levels) == (
            "*", "organisations", "user:8", escalations)


# a region of many departments (its manager's escalations are of many organisations, more of
# them than his centre lists): the region AK under the root KZ, its departments, an officer
# of each
DEPARTMENTS = tuple(f"AK-D{n}" for n in range(12))
REGION_OFFICERS = tuple((f"o{n}", org) for n, org in enumerate(DEPARTMENTS))
REGION_PEOPLE = ("kz", "dana", "o0", "o1")


def region(s: Session) -> None:
    ctx = ctx_of()
    svc.add_org(s, ctx, "KZ", "KZ", "akimat", None)
    svc.add_org(s, ctx, "AK", "AK", "akimat", "KZ")
    for code in DEPARTMENTS:
        svc.add_org(s, ctx, code, code, "department", "AK")
    for login, org in REGION_OFFICERS:
        svc.add_user(s, ctx, login, login.title(), "officer", org)
    svc.add_user(s, ctx, "kz", "Kz", "manager", "KZ")
    svc.add_user(s, ctx, "dana", "Dana", "manager", "AK")
    rng = random.Random(5)
    for n in range(30):  # overdue stages in every department, more in some
        svc.open_case(s, ctx, COI, DEPARTMENTS[min(n % 14, len(DEPARTMENTS) - 1)],
                      person=f"Late {n}",
                      dates={"notified": TODAY - timedelta(days=rng.randrange(20, 120))})
    for n in range(4):  # the region's longest overdue: all of one department
        svc.open_case(s, ctx, COI, "AK-D0", person=f"Long {n}",
                      dates={"notified": TODAY - timedelta(days=200 + n)})


class StageWriter(RandomWrites):
    """Random writes across the region's departments: the stage writes (cases opened, events
    recorded and voided, stages closed as not done, cases withdrawn and restored, dates
    corrected), hand-overs, comments naming an officer, and the managers' read marks."""

    def __init__(self, eng, rng: random.Random):
        super().__init__(eng, rng, DEPARTMENTS, ctx_of)

    def hand_over(self, s, ctx):
        case = s.get(Case, self.case(s))
        theirs = [login for login, org in REGION_OFFICERS
                  if svc.get_org(s, org).id == case.subject_id]
        svc.assign_responsible(s, ctx, case.id, theirs[0])

    def comment(self, s, ctx):
        case = s.get(Case, self.case(s))
        theirs = [login for login, org in REGION_OFFICERS
                  if svc.get_org(s, org).id == case.subject_id]
        comments.add_comment(s, ctx, case.id, None, f"Seen @{theirs[0]}")

    def read(self, s, ctx):
        user = svc.get_user(s, self.rng.choice(("dana", "kz", "o0")))
        listed = notices.centre(s, ctx, user, BEFORE).items
        keys = None if not listed or self.rng.random() < 0.2 else [
            self.rng.choice(listed).key]
        notices.mark_read(s, ctx, user, BEFORE, keys)

    def actions(self):
        return [*super().actions(), *[self.not_done] * 2, self.hand_over, self.comment,
                self.read]


@pytest.mark.parametrize("seed", [7, 2027])
def test_a_regions_kept_bell_equals_a_recount_after_random_stage_writes(db, monkeypatch, seed):
    """A region of 12 departments, its manager's centre cut at 5 items (fewer than his
    escalations, each department's kept to its first 5): after each random write across
    the region (a stage recorded, voided, closed as not done, a case opened, withdrawn,
    restored or corrected, a hand-over, a comment naming an officer, a manager's read mark)
    the kept bells, "mine" and escalations of the region's and the root's managers and of two
    officers equal those counted afresh; a write in one department reads that department's
    escalations again alone; a manager's read mark moves his bell at once."""
    monkeypatch.setattr(notices.rules, "MAX_ITEMS", 5)
    monkeypatch.setattr(notices, "_STATEMENTS", {})  # (built with the bound)
    commit(db, region)
    writer = StageWriter(db, random.Random(seed))
    first = figures(db, people=REGION_PEOPLE)
    assert first == recounted(db, people=REGION_PEOPLE)
    assert len(first["dana"][2]) == 5 and first["dana"][0] == 5
    # his read mark: his bell one less at once
    with open_session(db) as s:
        dana = svc.get_user(s, "dana")
        unread = sorted(notices.centre(s, ctx_of(), dana, BEFORE).unread)
        notices.mark_read(s, ctx_of(), dana, BEFORE, unread[:1])
        s.commit()
    assert figures_of(db, "dana")[0] == 4 == recounted(db, people=("dana",))["dana"][0]
    with Session(db) as s:
        ak = svc.get_org(s, "AK").path
        d3 = svc.get_org(s, "AK-D3").path
    done = []
    for n in range(50):
        before = dict(notices._NEAR[db][(ak, 1)].parts)
        done.append(writer.step())
        assert figures(db, people=REGION_PEOPLE) == recounted(db, people=REGION_PEOPLE), (
            n, done)
        after = notices._NEAR[db][(ak, 1)].parts
        assert sum(after[p] is not before.get(p) for p in after) <= 1, (n, done)
    assert {"record", "void", "not_done", "open", "hand_over", "comment", "read"} <= {
        d.split()[0] for d in done if not d.endswith("refused")}, done
    # a record in AK-D3: its part read again, every other department's kept
    with Session(db) as s:
        case = s.exec(select(Case.id).join(Stage, col(Stage.case_id) == Case.id).where(
            Stage.subject_path == d3, Stage.status == OPEN,
            col(Case.withdrawn_at).is_(None))).first()
    before = dict(notices._NEAR[db][(ak, 1)].parts)
    with open_session(db) as s:
        svc.record_event(s, ctx_of(), case, "forwarded", TODAY - timedelta(days=2))
        s.commit()
    assert figures(db, people=REGION_PEOPLE) == recounted(db, people=REGION_PEOPLE)
    after = notices._NEAR[db][(ak, 1)].parts
    assert [p for p in after if after[p] is not before[p]] == [d3]
