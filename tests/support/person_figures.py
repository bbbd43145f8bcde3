"""The world and the random writes of the tests of a person's kept figures (the bell, "mine",
a manager's escalations) and of every declared kept figure: the tree of a country, a region and
a ministry, their officers and managers, each person's figures read kept and afresh, and a
writer of random writes through the services (hand-overs, comments, read marks, mutes and
snoozes besides the cases' own)."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from types import SimpleNamespace

from sqlmodel import Session, col, select

from calendars import KazakhstanCalendar
from tests.support.features import module_of
from tests.support.random_writes import COI, TODAY, RandomWrites
from web.kit import views
from web.kit.access import viewer_for
from web.kit.deps import PageContext
from workflow import services as svc
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.definitions import load_registry
from workflow.services import comments, demo, joining, saved_views
from workflow.storage.models import OPEN, Case, Stage

# the bell is the notification centre's: without that feature the module is skipped
notices = module_of("notices", "service")
MENU_PART = module_of("notices", "web").MENU_PART

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
# the country's root KZ, a region AK, its districts AK-EDU and AK-HEALTH, a school of AK-EDU;
# a ministry MF and its committee MF-KGD
ORGS = (("KZ", None), ("AK", "KZ"), ("AK-EDU", "AK"), ("AK-HEALTH", "AK"),
        ("AK-EDU-SCH", "AK-EDU"), ("MF", "KZ"), ("MF-KGD", "MF"))
CASE_ORGS = ("AK", "AK-EDU", "AK-HEALTH", "AK-EDU-SCH", "MF-KGD")
OFFICERS = (("asel", "AK-EDU"), ("aigul", "AK-EDU"), ("bota", "AK-EDU-SCH"),
            ("erlan", "AK"), ("kanat", "MF-KGD"))
MANAGERS = (("kz", "KZ"), ("dana", "AK"), ("marat", "AK-EDU"))
PEOPLE = tuple(login for login, _ in OFFICERS + MANAGERS)
BEFORE = (5, 1, 0)  # the organisation's days before a due date when none is configured
# what a page's request gives the bell: no [reminders] configured, the defaults
REQUEST = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
    settings=SimpleNamespace(notify=None))))
# the notification centre's SELECT (its parts' union; a manager's escalations alone: a window
# numbering their rows, or one organisation's part, named by its literal)
UNION = re.compile(r"\bUNION ALL\b|\brow_number\(\) OVER|'escalated' AS part\b", re.IGNORECASE)


def ctx_of(today: date = TODAY, actor: str = "cli:test") -> svc.Context:
    return svc.Context(CAL, REGISTRY, today, actor=actor, language="en")


def world(s: Session) -> None:
    """The tree and its people; AK-EDU's first cases opened before its officers were: nobody
    answers for them but its officers, for whom they are "theirs" (the bell, "mine")."""
    ctx = ctx_of()
    for code, parent in ORGS:
        svc.add_org(s, ctx, code, code, "akimat" if parent is None else "department", parent)
    for n in range(3):
        svc.open_case(s, ctx, COI, "AK-EDU", person=f"Early {n}",
                      dates={"notified": TODAY - timedelta(days=30 + 10 * n)})
    for login, org in OFFICERS:
        svc.add_user(s, ctx, login, login.title(), "officer", org)
    for login, org in MANAGERS:
        svc.add_user(s, ctx, login, login.title(), "manager", org)
    for org in ("AK", "MF-KGD"):  # overdue: the region's stage escalated to the root
        svc.open_case(s, ctx, COI, org, person="Late", dates={"notified": TODAY - timedelta(
            days=40)})


def escalated(s: Session, ctx: svc.Context, user, kept: bool = True) -> tuple[str, ...]:
    """A manager's escalations in his centre (their keys, in its order); () for another.
    `kept` False: read whole, no organisation's escalations kept used (the recount)."""
    if user.role != "manager":
        return ()
    return tuple(i.key for i in notices.centre(s, ctx, user, BEFORE, kept=kept).items
                 if i.kind == "escalated")


def figures(eng, today: date = TODAY, people: tuple[str, ...] = PEOPLE,
            ) -> dict[str, tuple[int, int, tuple[str, ...]]]:
    """Each person's bell and "mine" as the menu shows them (kept across requests), and a
    manager's escalations as his centre lists them (each organisation's kept until a write
    in it: notices/service.py `_NEAR`)."""
    out = {}
    ctx = ctx_of(today, actor="web")
    with Session(eng) as s:
        for login in people:
            viewer = viewer_for(s, svc.get_user(s, login))
            pc = PageContext(viewer, None, s, ctx, None)  # type: ignore[arg-type]
            mine = views.menu_counts(s, ctx, viewer)["mine"]
            out[login] = (MENU_PART.counts(REQUEST, pc)["unread"], mine,
                          escalated(s, ctx, viewer.user))
    return out


def recounted(eng, today: date = TODAY, people: tuple[str, ...] = PEOPLE,
              ) -> dict[str, tuple[int, int, tuple[str, ...]]]:
    """The same figures counted afresh: nothing kept (the escalations worked out forgotten, a
    manager's escalations read whole, his organisations' kept parts neither used nor
    changed: `kept=False`)."""
    notices._ESCALATIONS.clear()
    near = {bind: dict(by_org) for bind, by_org in notices._NEAR.items()}
    out = {}
    ctx = ctx_of(today, actor="web")
    with Session(eng) as s:
        for login in people:
            user = svc.get_user(s, login)
            viewer = viewer_for(s, user)
            unassigned = views.unassigned_of(viewer)
            # (the centre's own count of what it lists: the bell's figure, counted its way)
            out[login] = (notices.centre(s, ctx, user, BEFORE, kept=False).unread_count,
                          svc.count_my_overdue(s, ctx, user.id, unassigned,
                                               viewer.org.code, views.only_path(viewer)),
                          escalated(s, ctx, user, kept=False))
    assert {bind: dict(by_org) for bind, by_org in notices._NEAR.items()} == near
    return out


class Writer(RandomWrites):
    """The random writes of the person's figures' tests: besides the cases' own, hand-overs,
    comments, read marks, mutes and snoozes."""

    def __init__(self, eng, rng: random.Random):
        super().__init__(eng, rng, CASE_ORGS, ctx_of)

    def person(self, s, logins=PEOPLE):
        return svc.get_user(s, self.rng.choice(logins))

    def hand_over(self, s, ctx):
        """A case handed to another officer of its organisation (AK-EDU's from one of its
        two, or from nobody; another's from nobody)."""
        officers = {svc.get_user(s, login).id: svc.get_org(s, org).id
                    for login, org in OFFICERS}
        cases = [(i, subject) for i, subject, responsible in s.exec(
            select(Case.id, Case.subject_id, Case.responsible_id).order_by(col(Case.id)))
            if any(o == subject and u != responsible for u, o in officers.items())]
        case, subject = self.rng.choice(cases)
        to = self.rng.choice([u for u, o in officers.items() if o == subject])
        svc.assign_responsible(s, ctx, case, svc.user_by_id(s, to).login)

    def comment(self, s, ctx):
        """A comment naming nobody, or one of the officers of the case's organisation (those
        who see its person)."""
        case = s.get(Case, self.case(s))
        theirs = [login for login, org in OFFICERS if svc.get_org(s, org).id == case.subject_id]
        named = f" @{self.rng.choice(theirs)}" if theirs and self.rng.random() < 0.6 else ""
        comments.add_comment(s, ctx, case.id, None, "Seen" + named)

    def read(self, s, ctx):
        user = self.person(s)
        listed = notices.centre(s, ctx, user, BEFORE).items
        keys = None if not listed or self.rng.random() < 0.3 else [
            self.rng.choice(listed).key]
        notices.mark_read(s, ctx, user, BEFORE, keys)

    def hold(self, s, ctx):
        user = self.person(s, tuple(login for login, _ in OFFICERS))
        mine = [(c, k) for c, k in s.exec(select(Stage.case_id, Stage.key)
                                         .join(Case, col(Case.id) == Stage.case_id)
                                         .where(notices.mine(user), Stage.status == OPEN))]
        if not mine:
            raise MerzimError("none of hers open")
        case, key = self.rng.choice(mine)
        if self.rng.random() < 0.5:
            notices.mute(s, user, case)
        else:
            notices.snooze(s, ctx, user, case, key, TODAY + timedelta(days=7))

    def actions(self):
        return [*super().actions(), self.hand_over, *[self.comment] * 3, *[self.read] * 2,
                self.hold]


class FigureWriter(Writer):
    """The person's figures' writes, an organisation added now and then with an overdue case
    of its own (the organisations' scope: the filter's choices, a manager's subordinates whose
    escalations his bell reads), and an organisation joining merzim on a recent day (who
    confirms her year so far)."""

    def add_org(self, s, ctx):
        n = self.rng.randrange(10**6)
        org = svc.add_org(s, ctx, f"AK-N{n}", f"New {n}", "department",
                          self.rng.choice(("AK", "KZ", "MF")))
        svc.open_case(s, ctx, COI, org.code, person="Late",
                      dates={"notified": TODAY - timedelta(days=40)})

    def join(self, s, ctx):
        org = svc.get_org(s, self.rng.choice(("AK-HEALTH", "MF", "MF-KGD", "AK-EDU-SCH")))
        joining.join(s, ctx, org, TODAY - timedelta(days=self.rng.randrange(0, 20)),
                     date(TODAY.year, 1, 1))

    def entry(self, s, ctx):
        """A register entry of the demo's opened in one of the organisations with its records,
        as an officer records it (what the forms' lines and projects No. 2-4 count)."""
        item = self.rng.choice([i for i in demo.DEMO.get("entry", [])
                                if i["process"] in ctx.registry.loaded])
        dates = {k: demo._when(ctx, v) for k, v in item.get("dates", {}).items()}
        fields = {k: str(v) for k, v in item.get("fields", {}).items()}
        try:
            case = svc.open_checked(s, ctx, item["process"], self.rng.choice(CASE_ORGS), None,
                                    item.get("person"), item.get("position"), fields, dates,
                                    duplicate_reason="test").analysis
        except (UsageError, RuleViolation) as e:  # an entry of a kind the subject is not
            raise MerzimError(str(e)) from e
        demo._record(s, ctx, case.id, item.get("records", []), date(TODAY.year, 1, 1), TODAY)

    def officer(self, s, ctx):
        """An officer added to one of the organisations (her first, now and then), or one of
        those added deactivated (the officers' scope: who has an officer to assign to)."""
        added = [u["login"] for u in svc.list_users(s)
                 if u["login"].startswith("new-") and u["active"]]
        if added and self.rng.random() < 0.4:
            svc.update_user(s, ctx, self.rng.choice(added), active=False)
            return
        code = self.rng.choice(("AK-HEALTH", "MF", "MF-KGD", "KZ", "AK-EDU-SCH"))
        svc.add_user(s, ctx, f"new-{self.rng.randrange(10**6)}", "New officer", "officer", code)

    def view(self, s, ctx):
        """A saved view kept, renamed, shared or no longer, or deleted, by one of the people
        (the views' scope: the menu's list of hers and of those she shares with)."""
        user = self.person(s)
        own = [v for v in saved_views.views_of(s, user) if v.own]
        what = self.rng.random()
        if not own or what < 0.4:
            address = self.rng.choice(("/overdue", "/due?within=30", "/overdue?org=AK-EDU"))
            saved_views.save(s, ctx, user, f"View {self.rng.randrange(10**6)}", address,
                             shared=user.role == "manager" and self.rng.random() < 0.5)
        elif what < 0.6:
            saved_views.rename(s, ctx, user, own[0].id, f"Named {self.rng.randrange(10**6)}")
        elif what < 0.8:
            if user.role != "manager":
                raise MerzimError("an officer shares nothing")
            saved_views.share(s, ctx, user, own[0].id, not own[0].shared)
        else:
            saved_views.delete(s, ctx, user, self.rng.choice(own).id)

    def actions(self):
        return [*super().actions(), self.add_org, self.join, self.view, self.view,
                self.officer, *[self.entry] * 3]
