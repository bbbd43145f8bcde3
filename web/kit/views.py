"""Read models for pages, API and exports: visible rows, filters, sorting, programme matrices."""

from __future__ import annotations

import dataclasses
import functools
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from cachetools import LRUCache, TTLCache
from markupsafe import Markup, escape
from sqlmodel import Session

from web.kit.access import Viewer, visible_org
from workflow import services as svc
from workflow.core.errors import MerzimError, UsageError
from workflow.kept.reading import of_database
from workflow.services import visibility
from workflow.services.lists import count_overdue_by_path, own_scope, read_list_versions
from workflow.services.views import CaseRow, CaseView, OverdueRow, StageRow

if TYPE_CHECKING:
    from workflow.storage.models import Organisation, Programme

PAGE_SIZE = 50  # rows on a page of a list (a phone scrolls 50 rows; the pager links the rest)
T = TypeVar("T")
R = TypeVar("R", bound=StageRow)

SORTS: dict[str, Callable[[StageRow], tuple[Any, ...]]] = {
    "due": lambda r: (r.due, r.organisation),
    "days": lambda r: (r.working_days_left or 0, r.due),
    "organisation": lambda r: (r.organisation_name, r.due),
    "stage": lambda r: (r.stage, r.due)}


def scope_code(s: Session, viewer: Viewer, org: str | None) -> str:
    """The organisation whose subtree a list covers: the filter if visible, else the viewer's."""
    return scope_org(s, viewer, org).code


def scope_org(s: Session, viewer: Viewer, org: str | None) -> Organisation:
    """The organisation whose subtree a list covers (`scope_code`)."""
    return visible_org(s, viewer, org) if org else viewer.org


def _filtered(rows: Sequence[R], viewer: Viewer, stage: str | None, year: int | None,
              sort: str | None, desc: bool) -> list[R]:
    rows = [r for r in rows if viewer.sees_path(r.subject_path)]
    # A total order (the stage id breaks ties), so that pages of a list neither repeat nor skip
    # rows: the database leaves rows with the same organisation, due date and analysis unordered.
    rows.sort(key=lambda r: (r.subject_path, r.due, r.analysis, r.stage_id))
    if stage:
        rows = [r for r in rows if r.stage == stage]
    if year:
        rows = [r for r in rows if r.year == year]
    if sort in SORTS:
        rows.sort(key=SORTS[sort], reverse=desc)
    return rows


def overdue_rows(s: Session, ctx: svc.Context, viewer: Viewer, org: str | None = None,
                 stage: str | None = None, year: int | None = None, sort: str | None = None,
                 desc: bool = False, process: str | None = None) -> list[OverdueRow]:
    rows = svc.overdue(s, ctx, scope_code(s, viewer, org), stage, year, process=process)
    return _filtered(rows, viewer, None, None, sort, desc)


def only_path(viewer: Viewer) -> str | None:
    """The one organisation path an officer's lists are limited to (managers: none;
    services/visibility.py, the lists' side of the one rule)."""
    return visibility.only_path(viewer.user, viewer.org.path)


def overdue_page(s: Session, ctx: svc.Context, viewer: Viewer, org: str | None, stage: str | None,
                 year: int | None, limit: int, offset: int, process: str | None = None,
                 sort: str | None = None, desc: bool = False,
                 ) -> tuple[int, list[OverdueRow]]:
    """One page of the overdue list (the tree's order, or `sort`), counted and cut in SQL:
    the same rows, in the same order, as `overdue_rows` cut at `offset`."""
    scope, path = scope_code(s, viewer, org), only_path(viewer)
    total = svc.count_overdue(s, ctx, scope, stage, year, path, process=process)
    rows = svc.overdue(s, ctx, scope, stage, year, path, limit=limit, offset=offset,
                       process=process, sort=sort, desc=desc)
    return total, rows


def overdue_list(s: Session, ctx: svc.Context, viewer: Viewer, page: int, query: str,
                 org: str | None = None, stage: str | None = None, year: int | None = None,
                 sort: str | None = None, desc: bool = False, process: str | None = None,
                 size: int = PAGE_SIZE, orgs: OrgChoices | None = None,
                 ) -> tuple[list[OverdueRow], dict[str, Any], dict[str, int]]:
    """The overdue page's rows, pager and counts by organisation path, in SQL (never the whole
    list): the counts in one GROUP BY (their sum is the list's length), then one page in the
    list's order with ORDER BY … LIMIT. Same rows as `paginate(overdue_rows(…))`. Both kept
    across requests until the data changes (`kept`). A manager's or an administrator's list of
    a subtree with subordinates (`orgs`: the viewer's `org_choices`) is composed of parts
    (`_overdue_parts`), each kept by its own version, so a write re-reads only its part; its
    counts are then by part (each subordinate's subtree at the subordinate's path: the same
    `child_counts`)."""
    within = scope_org(s, viewer, org)
    scope, path = within.code, only_path(viewer)
    children = orgs.children(within.path) if orgs is not None and path is None else []
    if orgs is not None and children:  # kept whole until its subtree changes, then put
        # together from its parts (the parts' versions with the page's: one statement)
        layout = orgs.derived(("overdue.parts", within.path, viewer.org.path, stage, year,
                               process),
                              lambda: _layout(within, children, viewer, stage, year, process))
        read_versions(s, viewer, layout.scopes)
        total, counts, rows = kept(s, ctx, (
            "overdue.parts", scope, stage, year, process, sort, desc, page, size),
            lambda: _overdue_parts(s, ctx, viewer, page, within, layout, stage, year, sort,
                                   desc, process, size), within.path)
        return rows, pages(total, page, query, size)[1], counts
    where = (scope, path, stage, year, process)
    read_versions(s, viewer)
    counts = kept(s, ctx, ("overdue.counts", *where), lambda: count_overdue_by_path(
        s, ctx, scope, stage, year, path, process=process), within.path)
    first, pager = pages(sum(counts.values()), page, query, size)
    rows = kept(s, ctx, ("overdue.rows", *where, sort, desc, first, size), lambda: svc.overdue(
        s, ctx, scope, stage, year, path, limit=size, offset=first, process=process, sort=sort,
        desc=desc), within.path) if counts else []
    return rows, pager, counts


class Parts(tuple):
    """The (key, path) of each part of a page (`kept_parts`), built once per layout: its paths
    and its hash worked out once (a region's page after a write asks for its hundred parts)."""

    @functools.cached_property
    def paths(self) -> list[str]:
        return [path for _key, path in self]

    @functools.cached_property
    def _hash(self) -> int:
        return tuple.__hash__(self)

    def __hash__(self) -> int:
        return self._hash


@dataclasses.dataclass(frozen=True, eq=False)
class _Layout:
    """What `_overdue_parts` reads a subtree's list by, worked out once per organisations'
    choices (their version), subtree and filter (`_layout`): the parts in the tree's order
    ((code, only_path, the version's scope) each: the organisation's own stages, then each
    direct subordinate's subtree), the scopes the page reads at once, each part's key of its
    length and the path its count is shown at."""

    parts: tuple[tuple[str, str | None, str], ...]
    scopes: tuple[str, ...]
    listed: tuple[str, ...]
    totals: Parts
    at: tuple[str, ...]
    index: dict[str, int]


def _layout(within: Organisation, children: list[Any], viewer: Viewer, stage: str | None,
            year: int | None, process: str | None) -> _Layout:
    """`_Layout` of the overdue list of the subtree of `within`, whose direct subordinates
    are `children`."""
    own = own_scope(within.path)
    paths = tuple(c.path for c in children)
    parts = ((within.code, within.path, own), *((c.code, None, c.path) for c in children))
    return _Layout(parts, (within.path, own, *paths),
                   (within.path, own, *paths, viewer.org.path),
                   Parts((("overdue.total", code, only, stage, year, process), by)
                         for code, only, by in parts),
                   (within.path, *paths), {p: i for i, p in enumerate(paths, start=1)})


def _overdue_parts(s: Session, ctx: svc.Context, viewer: Viewer, page: int,
                   within: Organisation, layout: _Layout, stage: str | None, year: int | None,
                   sort: str | None, desc: bool, process: str | None,
                   size: int) -> tuple[int, dict[str, int], list[OverdueRow]]:
    """(the list's length, its counts, the page's rows) of `overdue_list` of the subtree of
    `within` (a manager's or an administrator's: every organisation of it is hers) composed of
    its parts (`layout`): the organisation's own stages, kept by its own version
    (`versions.own_scope`), and each direct subordinate's subtree, kept by that subtree's
    version, so that a write in one subordinate's subtree re-reads that part alone. The
    counts are by part, each part's length summed by the database (not by path): the
    organisation's own stages at its path, each subordinate's subtree's at the subordinate's
    path (what the summary by subordinate shows: `child_counts`; their sum, the list's
    length). In the tree's order (no `sort`) the list is the parts one after the other (paths
    compare by code point: a subtree's paths lie together, after its root's), so a page is
    cut from the parts it overlaps, each read with its own offset and limit and kept; in
    another order the page is read whole, kept by the subtree's version."""
    scope, parts = within.code, layout.parts
    # (and what the page's menu and bell ask: one statement)
    read_list_versions(s, layout.listed, viewer.user.id)

    def by_part() -> list[int] | None:
        """Every part's count from one count of the whole subtree by path (None: a path of
        no part, then each part is counted)."""
        found = [0] * len(parts)
        index, start = layout.index, len(within.path)
        for p, n in count_overdue_by_path(s, ctx, scope, stage, year, None,
                                          process=process).items():
            i = 0 if p == within.path else index.get(p[:p.find("/", start) + 1], -1)
            if i < 0:
                return None
            found[i] += n
        return found

    # (each part's length alone: the summary shows a part's count at its path)
    totals = kept_parts(s, ctx, layout.totals,
                        lambda i: svc.count_overdue(s, ctx, parts[i][0], stage, year,
                                                    parts[i][1], process=process), by_part)
    # each part's count at its path (the organisation's own, each subordinate's)
    counts = {at: n for at, n in zip(layout.at, totals, strict=True) if n}
    first = pages(sum(totals), page, "", size)[0]
    if not counts:
        return 0, counts, []
    if sort is not None:
        return sum(totals), counts, kept(s, ctx, (
            "overdue.rows", scope, None, stage, year, process, sort, desc, first, size),
            lambda: svc.overdue(s, ctx, scope, stage, year, None, limit=size, offset=first,
                                process=process, sort=sort, desc=desc), within.path)
    # the parts the page overlaps, (code, only_path, offset, limit, the version's scope)
    # each, their rows read or kept together
    cut: list[tuple[str, str | None, int, int, str]] = []
    start = 0
    for (code, only, by), n in zip(parts, totals, strict=True):
        end = start + n
        if n and start < first + size and end > first:  # the page overlaps this part
            offset = max(first - start, 0)
            cut.append((code, only, offset, min(end, first + size) - start - offset, by))
        start = end
    pieces = kept_parts(
        s, ctx, [(("overdue.rows", code, only, stage, year, process, None, False, offset, limit),
                  by) for code, only, offset, limit, by in cut],
        lambda i: svc.overdue(s, ctx, cut[i][0], stage, year, cut[i][1], limit=cut[i][3],
                              offset=cut[i][2], process=process))
    return sum(totals), counts, [row for piece in pieces for row in piece]


JOINING_SHOWN = 200  # the stages before joining the overdue page lists (all are counted)


def joining_list(s: Session, ctx: svc.Context, viewer: Viewer, org: str | None = None,
                 process: str | None = None) -> tuple[list[OverdueRow], int]:
    """The stages "before joining -- to confirm" of the overdue page's scope (B-25): counted
    apart from overdue, the first JOINING_SHOWN of them listed; kept as the overdue list."""
    within = scope_org(s, viewer, org)
    scope, path = within.code, only_path(viewer)
    total = kept(s, ctx, ("joining.count", scope, path, process), lambda: svc.count_before_joining(
        s, ctx, scope, path, process=process), within.path)
    rows = kept(s, ctx, ("joining.rows", scope, path, process), lambda: svc.before_joining(
        s, ctx, scope, path, limit=JOINING_SHOWN, process=process), within.path) if total else []
    return rows, total


def due_list(s: Session, ctx: svc.Context, viewer: Viewer, within: int, page: int, query: str,
             org: str | None = None, process: str | None = None,
             size: int = PAGE_SIZE) -> tuple[list[StageRow], dict[str, Any]]:
    """The due page's rows and pager: counted with COUNT, one page with ORDER BY … LIMIT.
    Same rows as `paginate(due_rows(…))`; both kept across requests until the data changes."""
    subtree = scope_org(s, viewer, org)
    scope, path = subtree.code, only_path(viewer)
    where = (scope, path, within, process)
    read_versions(s, viewer)
    total = kept(s, ctx, ("due.count", *where), lambda: svc.count_due(
        s, ctx, scope, within, path, process=process), subtree.path)
    first, pager = pages(total, page, query, size)
    rows = kept(s, ctx, ("due.rows", *where, first, size), lambda: svc.due_within(
        s, ctx, scope, within, path, limit=size, offset=first, process=process),
        subtree.path) if total else []
    return rows, pager


# The lists' reads kept across requests, per database (engine): the overdue and due lists'
# counts and pages, the menu's counts and the bell, by everything they are read from — what is
# asked (scope, filters, page), the day, the calendar, the definitions, the language, and the
# versions of what they read (`svc.list_versions`, `svc.scoped_versions`): a list the
# subtree's (moved by every write about a case, a programme or an organisation in it, on any
# node) and that of every list (a write narrowed to none); the menu's "mine" and the bell the
# reader's own scopes (storage/versions.py `mine_scopes`, `bell_scopes`: her cases, her read
# marks, mutes and preferences, an officer's organisation's cases nobody answers for, a
# manager's escalations), never her whole subtree's. A write in one district leaves the other
# subtrees' lists kept, and every bell and "mine" it cannot change; a manager's root overdue
# page counts the whole country's overdue stages, and a second look, or a colleague's, costs
# one statement. Bounded in entries; the time limit only frees memory (a changed version is a
# new key).
LIST_CACHE_ENTRIES, LIST_CACHE_SECONDS = 256, 600
_LISTS: weakref.WeakKeyDictionary[Any, TTLCache] = weakref.WeakKeyDictionary()
_LISTS_LOCK = threading.Lock()


def read_versions(s: Session, viewer: Viewer, more: Sequence[str] = ()) -> None:
    """Read at once the versions a page of lists asks for: her subtree's, every list's and her
    own (the menu's "mine" and the bell's, with the escalations as far down as a manager's
    bell reads them unless configured further; the menu's saved views'), one statement instead
    of one for the lists and one for the menu (then kept for the transaction:
    `svc.scoped_versions`); with `more`, those scopes too (a page composed of parts: theirs)."""
    svc.scoped_versions(s, (viewer.org.path, *svc.bell_scopes(
        viewer.user.id, viewer.role, unassigned_of(viewer), viewer.org.path),
        *svc.views_scopes(viewer.user.id), *more))


def kept(s: Session, ctx: svc.Context, key: tuple[Any, ...], read: Callable[[], T], path: str,
         user: int | None = None, scopes: tuple[str, ...] | None = None) -> T:
    """`read()`'s answer for `key`, read once per version of what it reads: the stages, cases
    and organisations of the subtree at `path` and, with `user`, that person's own; or, with
    `scopes`, the scopes named (storage/versions.py: a person's figures). What it returns is
    shared between requests and threads: frozen rows, counts nobody changes. A transaction
    that has written and not committed reads for itself: its answer is nobody else's."""
    slot = _slot(s, ctx, key, path, user, scopes)
    if slot is None:
        return read()
    hit, answer = _found(ctx, slot)
    if hit:
        return answer
    answer = read()
    _keep(ctx, slot, answer)
    return answer


def kept_parts(s: Session, ctx: svc.Context, parts: Sequence[tuple[tuple[Any, ...], str]],
               read_one: Callable[[int], T], read_all: Callable[[], list[T] | None] | None = None,
               at_once: int = 3) -> list[T]:
    """The kept answers of `parts` ((key, path) each, as `kept` takes them), those not kept
    read by `read_one(i)`, or, when more than `at_once` are not, by `read_all()` (every part's
    answer in one read, None when it cannot tell them apart): after a write that moved every
    list, one statement instead of one per part. The parts' last answers are kept together
    with their versions (`_LAST_PARTS`): a page read again after a write in one part compares
    each part's version with its last answer's and looks up only the parts whose versions
    moved, not each of them in the cache."""
    found = svc.lists_versions(s, parts.paths if isinstance(parts, Parts)
                               else [path for _key, path in parts])
    memo = _last_parts(s, ctx, parts) if found and found[0] is not None else None
    with _LISTS_LOCK:
        last = memo[0].get(memo[1]) if memo is not None else None
    if last is not None and not (last[0] is ctx.calendar and last[1] is ctx.processes):
        last = None  # (other objects that came to live at the same addresses)
    answers: list[Any] = [None] * len(parts)
    missing = []
    for i, version in enumerate(found):
        if last is not None and last[2][i] == version:
            answers[i] = last[3][i]
            continue
        slot = None if version is None else (_cache(s), _full(ctx, version, parts[i][0],
                                                                parts[i][1], None, None))
        hit, answers[i] = _found(ctx, slot) if slot is not None else (False, None)
        if not hit:
            missing.append((i, slot))
    together = read_all() if read_all is not None and len(missing) > at_once else None
    for i, slot in missing:
        answers[i] = together[i] if together is not None else read_one(i)
        if slot is not None:
            _keep(ctx, slot, answers[i])
    if memo is not None:
        with _LISTS_LOCK:
            memo[0][memo[1]] = (ctx.calendar, ctx.processes, found, answers)
    return answers


# The last answers of each list of parts (`kept_parts`), per database (engine): by the parts'
# keys and paths and what every answer is kept by besides its version (`_full`), with the
# versions they were read at. Bounded in entries.
LAST_PARTS_ENTRIES = 128
_LAST_PARTS: weakref.WeakKeyDictionary[Any, LRUCache] = weakref.WeakKeyDictionary()


def _last_parts(s: Session, ctx: svc.Context, parts: Sequence[tuple[tuple[Any, ...], str]]
                ) -> tuple[LRUCache, tuple[Any, ...]]:
    """The memo of `kept_parts`'s last answers for the session's database and the key of
    `parts`' there."""
    memo = of_database(s, _LAST_PARTS, _LISTS_LOCK, lambda: LRUCache(LAST_PARTS_ENTRIES))
    return memo, (ctx.today, id(ctx.calendar), id(ctx.processes), ctx.language, ctx.own_off,
                  parts if isinstance(parts, Parts) else tuple(parts))


def _slot(s: Session, ctx: svc.Context, key: tuple[Any, ...], path: str, user: int | None,
          scopes: tuple[str, ...] | None = None) -> tuple[TTLCache, tuple[Any, ...]] | None:
    """The cache and the full key of `key` (`kept`); None in a transaction that has written."""
    version = (svc.list_versions(s, path, user) if scopes is None
               else svc.scoped_versions(s, scopes))
    if version is None:
        return None
    return _cache(s), _full(ctx, version, key, path, user, scopes)


def _full(ctx: svc.Context, version: tuple[int, ...], key: tuple[Any, ...], path: str,
          user: int | None, scopes: tuple[str, ...] | None) -> tuple[Any, ...]:
    """The whole key an answer is kept by (`kept`): the versions, the day, the calendar, the
    definitions, the language, the settings lists read by, what is asked."""
    return (version, ctx.today, id(ctx.calendar), id(ctx.processes), ctx.language,
            ctx.own_off, path, user, scopes, key)


def _cache(s: Session) -> TTLCache:
    """The answers kept for the session's database (engine)."""
    return of_database(s, _LISTS, _LISTS_LOCK,
                       lambda: TTLCache(LIST_CACHE_ENTRIES, LIST_CACHE_SECONDS))


def _found(ctx: svc.Context, slot: tuple[TTLCache, tuple[Any, ...]]) -> tuple[bool, Any]:
    """(whether it is kept, the answer kept) at `slot`."""
    cache, full = slot
    with _LISTS_LOCK:
        found = cache.get(full)
    # the same calendar and definitions, not others that came to live at the same address
    if found is not None and found[0] is ctx.calendar and found[1] is ctx.processes:
        return True, found[2]
    return False, None


def _keep(ctx: svc.Context, slot: tuple[TTLCache, tuple[Any, ...]], answer: Any) -> None:
    cache, full = slot
    with _LISTS_LOCK:
        cache[full] = (ctx.calendar, ctx.processes, answer)


def case_page(s: Session, ctx: svc.Context, viewer: Viewer, org: str | None,
              process: str | None, state: str | None, year: int | None, limit: int,
              offset: int, after: int = 0) -> tuple[list[CaseRow], int]:
    """A page of the cases the viewer may see (`svc.page_cases`: her subtree, or `org`'s; an
    officer's own organisation's only; `after`: those numbered above it) and how many there
    are. What it counts is kept until the subtree's cases change or the day does (`kept`: one
    read of the list's versions instead of a COUNT over every case of it): without a state,
    the count (and, for a page far in, the numbers at every MARK_STEP-th case: the page walks
    from the nearest before it); with one, which cases are in it today (`svc.match_state`:
    the replays of those a timer may have moved, and the count). The page itself is read each
    time."""
    scope = scope_org(s, viewer, org)
    only = visibility.only_org(viewer.user)

    def page(total: int | None = None, matches: svc.StateMatch | None = None,
             marks: svc.Marks | None = None) -> tuple[list[CaseRow], int]:
        return svc.page_cases(s, ctx, scope=scope, only_org_id=only, process=process,
                              state=state, year=year, limit=limit, offset=offset, total=total,
                              after=after, matches=matches, marks=marks)

    if state is not None:
        if process:
            ctx.registry.get(process)  # an unknown process is refused before anything is kept
        matches = kept(s, ctx, ("case_page.state", only, process, year, state),
                       lambda: svc.match_state(s, ctx, scope=scope, only_org_id=only,
                                               process=process, year=year, state=state),
                       scope.path)
        return page(matches=matches)
    if offset >= svc.MARK_STEP and not after:  # a page far in: from the kept marks, with the total
        marks = kept(s, ctx, ("case_page.marks", only, process, year),
                     lambda: svc.case_marks(s, ctx, scope=scope, only_org_id=only,
                                            process=process, year=year), scope.path)
        return page(marks.total, marks=marks)[0], marks.total
    read: list[list[CaseRow]] = []

    def counted() -> int:  # (the page and its count in one SELECT)
        rows, total = page()
        read.append(rows)
        return total

    total = kept(s, ctx, ("case_page.total", only, process, year), counted, scope.path)
    return (read[0] if read else page(total)[0]), total


def due_page(s: Session, ctx: svc.Context, viewer: Viewer, within: int, org: str | None,
             limit: int, offset: int, process: str | None = None,
             ) -> tuple[int, list[StageRow]]:
    scope, path = scope_code(s, viewer, org), only_path(viewer)
    total = svc.count_due(s, ctx, scope, within, path, process=process)
    return total, svc.due_within(s, ctx, scope, within, path, limit=limit, offset=offset,
                                 process=process)


def due_rows(s: Session, ctx: svc.Context, viewer: Viewer, within: int, org: str | None = None,
             stage: str | None = None, process: str | None = None) -> list[StageRow]:
    rows = svc.due_within(s, ctx, scope_code(s, viewer, org), within, process=process)
    return _filtered(rows, viewer, stage, None, None, False)


def grouped(rows: Sequence[R]) -> list[tuple[dict[str, Any], list[R]]]:
    """Rows grouped by organisation, in the order they come."""
    groups: dict[str, tuple[dict[str, Any], list[R]]] = {}
    for r in rows:
        key = r.organisation
        if key not in groups:
            groups[key] = ({"code": key, "name": r.organisation_name}, [])
        groups[key][1].append(r)
    return list(groups.values())


def org_options(orgs: list[Any], selected: str | None, language: str) -> Markup:
    """The <option>s of an organisation filter, joined in Python: a national manager's holds
    thousands (2,697 in bench/web), which a Jinja loop took ~30 ms to render, more than the
    rest of the page. The same markup as the loop it replaces
    (`<option value="{{ o.code }}" {{ 'selected' if selected == o.code }}>{{ name }}</option>`).
    For the cached list of `org_choices`, joined once per language and kept with it; the
    selected option is marked in a copy."""
    if isinstance(orgs, OrgChoices):
        markup = orgs.options(language)
        if selected:  # codes are unique: at most one option has this value
            option = f'<option value="{escape(selected)}" '
            markup = markup.replace(option + ">", option + "selected>", 1)
        return Markup(markup)
    return Markup(_options(orgs, selected, language))


def _options(orgs: list[Any], selected: str | None, language: str) -> str:
    return "".join(
        f'<option value="{escape(o.code)}" {"selected" if o.code == selected else ""}>'
        f'{escape(svc.org_name(o, language))}</option>' for o in orgs)


# An organisation filter is a text field (the organisation's code, `?org=CODE`) with a list of
# choices (<datalist>): the first ORG_LIST_SIZE organisations of the reader's subtree in the
# tree's order (and the one chosen), the rest found by typing (GET /orgs/suggest, at most
# ORG_SUGGEST_LIMIT, web/static/org-suggest.js); a national manager's 2,697 options were
# 248 KB of the root overdue page.
ORG_LIST_SIZE, ORG_SUGGEST_LIMIT = 50, 20


def org_datalist(orgs: list[Any], selected: str | None, language: str,
                 size: int = ORG_LIST_SIZE) -> Markup:
    """The <option>s of an organisation filter's <datalist>: the code as the value, the name
    as the label; the first `size` of `orgs`, and the chosen one after them (for the cached
    list of `org_choices`, joined once per language and choice and kept with it)."""
    if isinstance(orgs, OrgChoices):
        return orgs.datalist(selected, language, size)
    return _datalist(orgs, selected, language, size)


def _datalist(orgs: list[Any], selected: str | None, language: str, size: int) -> Markup:
    shown = list(orgs[:size])
    if selected and all(o.code != selected for o in shown):
        shown += [o for o in orgs if o.code == selected][:1]
    return Markup("".join(f'<option value="{escape(o.code)}" label="'
                          f'{escape(svc.org_name(o, language))}"></option>' for o in shown))


def org_suggestions(orgs: list[Any], query: str, language: str,
                    limit: int = ORG_SUGGEST_LIMIT) -> list[dict[str, str]]:
    """Up to `limit` of `orgs` whose code or name (in any language) holds `query` (case
    ignored), in the tree's order, those whose code or name starts with it first."""
    q = query.strip().casefold()
    if not q:
        return [{"code": o.code, "name": svc.org_name(o, language)} for o in orgs[:limit]]
    keys = orgs.search_keys() if isinstance(orgs, OrgChoices) else [_search_key(o) for o in orgs]
    first: list[Any] = []
    other: list[Any] = []
    for o, (code, names) in zip(orgs, keys, strict=True):
        if code.startswith(q) or any(n.startswith(q) for n in names):
            first.append(o)
            if len(first) >= limit:
                break
        elif len(other) < limit and (q in code or any(q in n for n in names)):
            other.append(o)
    return [{"code": o.code, "name": svc.org_name(o, language)} for o in (first + other)[:limit]]


def orgs_matching(orgs: list[Any], query: str) -> list[Any]:
    """Every one of `orgs` whose code or name (in any language) holds `query` (case ignored),
    in the tree's order; all of them for an empty query (the organisations page's search)."""
    q = query.strip().casefold()
    if not q:
        return list(orgs)
    keys = orgs.search_keys() if isinstance(orgs, OrgChoices) else [_search_key(o) for o in orgs]
    return [o for o, (code, names) in zip(orgs, keys, strict=True)
            if q in code or any(q in n for n in names)]


@dataclasses.dataclass(frozen=True)
class TypedOrg:
    """What an organisation filter's field holds, read: `code` the organisation it names (None:
    nothing typed, or no single one), `choices` the organisations a name matches when several
    do (code, name, the address with that one chosen), `typed` as the reader typed it."""

    typed: str
    code: str | None
    choices: tuple[dict[str, str], ...] = ()

    @property
    def status(self) -> int:
        """The page's status: 404 when no organisation of hers is named or matched (one she may
        not see answers as one that does not exist: the same page, its list all of hers, the
        notice saying so), else 200."""
        return 404 if self.typed and self.code is None and not self.choices else 200


def typed_org(orgs: list[Any], typed: str | None, language: str, query: str = "",
              name: str = "org") -> TypedOrg:
    """The organisation an organisation filter names among `orgs` (the reader's own: one she
    may not see is as unknown): its code or its name in any language, case ignored; else the
    one organisation whose name holds what she typed; several: each offered (`query`
    the page's address, its `name` parameter replaced and its page dropped in each choice's
    link); none: `code` None and no choices."""
    text = (typed or "").strip()
    if not text:
        return TypedOrg("", None)
    q = text.casefold()
    keys = orgs.search_keys() if isinstance(orgs, OrgChoices) else [_search_key(o) for o in orgs]
    named = [o for o, (code, names) in zip(orgs, keys, strict=True) if code == q]
    if not named:
        named = [o for o, (_code, names) in zip(orgs, keys, strict=True) if q in names]
    if len(named) == 1:
        return TypedOrg(text, named[0].code)
    # else the organisations whose name holds what she typed (a code is whole: a part of one
    # names nothing, so a code outside her subtree answers as one that does not exist)
    found = named or [o for o, (_code, names) in zip(orgs, keys, strict=True)
                      if any(q in n for n in names)][:ORG_SUGGEST_LIMIT]
    codes = [o.code for o in found]
    if len(codes) == 1:
        return TypedOrg(text, codes[0])
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
            if k not in (name, "page")]
    by_code = {o.code: o for o in orgs if o.code in set(codes)}
    return TypedOrg(text, None, tuple(
        {"code": c, "name": svc.org_name(by_code[c], language),
         "href": "?" + urlencode([*kept, (name, c)])} for c in codes if c in by_code))


def _search_key(o: Any) -> tuple[str, tuple[str, ...]]:
    return o.code.casefold(), tuple(n.casefold() for n in (o.name, getattr(o, "name_kk", None),
                                                             getattr(o, "name_ru", None)) if n)


class OrgChoices(list):
    """The organisations a viewer may filter by, as `org_choices` gives them (read-only: the
    same list serves every request of every viewer with the same subtree and role), with what
    is derived from them kept beside: the filter's <option>s per language, rows by path."""

    def __init__(self, rows: list[Any]):
        super().__init__(rows)
        self._options: dict[str, str] = {}
        self._datalists: dict[tuple[str | None, str, int], Markup] = {}
        self._keys: list[tuple[str, tuple[str, ...]]] | None = None
        self.by_path = {r.path: r for r in rows}
        self._children: dict[str, list[Any]] | None = None
        self._names: dict[str, dict[str, str]] = {}
        self._derived: dict[Hashable, Any] = {}

    def name(self, row: Any, language: str) -> str:
        """The name of one of these organisations in `language` (`svc.org_name`), worked out
        once per language (a region's summary names its 99 departments on every page after
        a write in it)."""
        names = self._names.get(language)
        if names is None:
            names = self._names[language] = {}  # (a dict's item set is atomic)
        path = row.path
        found = names.get(path)
        if found is None:
            found = names[path] = svc.org_name(row, language)
        return found

    def derived(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()`, worked out once for `key` while these choices are kept (what a page
        derives from the tree alone: the parts of a subtree's list); at most 64 kept (a
        dict's item set is atomic: two threads at worst make the same twice)."""
        found = self._derived.get(key)
        if found is None:
            if len(self._derived) >= 64:
                self._derived.clear()
            found = self._derived[key] = make()
        return found

    def children(self, path: str) -> list[Any]:
        """The direct subordinates of the organisation at `path`, in the order of their paths
        (the tree's order: a subtree's paths lie together, after its root's)."""
        if self._children is None:
            found: dict[str, list[Any]] = {}
            for r in sorted(self, key=lambda r: r.path):
                parent = r.path[:r.path.rindex("/", 0, len(r.path) - 1) + 1]
                found.setdefault(parent, []).append(r)
            self._children = found
        return self._children.get(path, [])

    def search_keys(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each organisation's code and names, case folded, for `org_suggestions`."""
        if self._keys is None:
            self._keys = [_search_key(o) for o in self]
        return self._keys

    def datalist(self, selected: str | None, language: str, size: int) -> Markup:
        """`org_datalist` of these organisations, joined once per choice, language and size
        (a dict's item set is atomic; at most 64 kept)."""
        key = (selected, language, size)
        markup = self._datalists.get(key)
        if markup is None:
            if len(self._datalists) >= 64:
                self._datalists.clear()
            markup = self._datalists[key] = _datalist(self, selected, language, size)
        return markup

    def options(self, language: str) -> str:
        """Every option, none selected (a dict's item set is atomic: two threads at worst join
        the same string twice)."""
        markup = self._options.get(language)
        if markup is None:
            markup = self._options[language] = _options(self, None, language)
        return markup


# The filter's organisations, per database (engine) and by (organisations' version, viewer's
# organisation, officer or not): a national manager's list is 2,697 rows, read, checked and
# turned into options on every page that has the filter (a third of the root overdue page's
# time). A write about an organisation moves the version (kept/figures.py
# `organisation_choices`), so the next request of every process reads the list afresh; the
# time limit is a backstop, not what keeps the list right. At most ORG_CACHE_ROWS rows are
# kept per database (least recently used go first).
ORG_CACHE_ROWS, ORG_CACHE_SECONDS = 20_000, 600
_ORG_CHOICES: weakref.WeakKeyDictionary[Any, TTLCache] = weakref.WeakKeyDictionary()
_ORG_CHOICES_LOCK = threading.Lock()


def org_choices(s: Session, viewer: Viewer) -> OrgChoices:
    """The organisations the viewer may filter by (her subtree; an officer her own), as light
    rows with code, names and path (a national subtree has thousands); kept until a write
    about an organisation."""
    version = svc.figure_versions(s, "organisation_choices")
    if version is None:  # a transaction that has written reads for itself
        return OrgChoices([r for r in svc.org_rows(s, viewer.org) if viewer.sees_path(r.path)])
    key = (version, viewer.org.id, viewer.own_only)
    bind = s.get_bind()
    with _ORG_CHOICES_LOCK:
        cache = _ORG_CHOICES.get(bind)
        if cache is None:
            cache = _ORG_CHOICES[bind] = TTLCache(ORG_CACHE_ROWS, ORG_CACHE_SECONDS,
                                                  getsizeof=lambda rows: max(1, len(rows)))
        found = cache.get(key)
    if found is None:
        found = OrgChoices([r for r in svc.org_rows(s, viewer.org) if viewer.sees_path(r.path)])
        if len(found) <= ORG_CACHE_ROWS:
            with _ORG_CHOICES_LOCK:
                cache[key] = found
    return found


def pages(total: int, page: int | None, query: str,
          size: int = PAGE_SIZE) -> tuple[int, dict[str, Any]]:
    """Where a page of a list of `total` rows starts (0-based) and the links to the others
    (the query string kept, `page` replaced). A page past the end shows the last one; below 1
    is a usage error."""
    if page is None or page < 1:
        raise UsageError(key="error.bad_page", value=page)
    count = max(1, -(-total // size))
    page = min(page, count)
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "page"]

    def link(n: int) -> str:
        return "?" + urlencode([*kept, ("page", str(n))])

    first = (page - 1) * size
    return first, {
        "page": page, "pages": count, "first": first + 1 if total else 0,
        "last": min(first + size, total), "total": total,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < count else None,
    }


def paginate(rows: Sequence[T], page: int | None, query: str,
             size: int = PAGE_SIZE) -> tuple[list[T], dict[str, Any]]:
    """One page of a list built whole, and the links to the others (`pages`)."""
    first, pager = pages(len(rows), page, query, size)
    return list(rows[first:first + size]), pager


def child_counts(counts: dict[str, int], scope: Organisation, orgs: list[Any],
                 language: str) -> list[dict[str, Any]]:
    """Counts of the rows under each direct subordinate of `scope` (and `scope` itself), for
    the at-a-glance table: a ministry sees its committees, a committee its departments; from
    the counts by organisation path (SQL's GROUP BY: one entry per organisation at most),
    most rows first."""
    own = scope.path  # (read once: an ORM attribute, and a national list has ~1,500 paths)
    totals: dict[str, int] = {}
    start = len(own)
    for p, n in counts.items():
        if p != own and p.startswith(own):
            p = p[:p.index("/", start) + 1]
        totals[p] = totals.get(p, 0) + n
    # (code, name) by path: of every organisation of the choices once per language (a region's
    # summary names its 99 departments on every page after a write in it)
    named = orgs.derived(("named", language), lambda: _named(orgs, language)) \
        if isinstance(orgs, OrgChoices) else _named([o for o in orgs if o.path in totals],
                                                    language)
    out = []
    for less, p in sorted([(-n, p) for p, n in totals.items()]):  # most rows first, by path
        found = named.get(p)
        if found is not None:
            out.append({"code": found[0], "name": found[1], "count": -less, "own": p == own})
    return out


def _named(orgs: list[Any], language: str) -> dict[str, tuple[str, str]]:
    """(code, name in `language`) of each of `orgs` by path (`child_counts`)."""
    return {o.path: (o.code, orgs.name(o, language) if isinstance(orgs, OrgChoices)
                     else svc.org_name(o, language)) for o in orgs}


def visible_programmes(s: Session, viewer: Viewer, year: int | None = None,
                       language: str = "en") -> list[dict[str, Any]]:
    return [{"id": prog.id, "year": prog.year, "subject": org.code,
             "subject_name": svc.org_name(org, language),
             "analyses": n} for prog, org, n in svc.programmes_under(s, viewer.org, year)
            if viewer.sees_org(org)]


def programme_matrix(s: Session, ctx: svc.Context, prog: Programme) -> dict[str, Any]:
    """Every object of a programme with its dates and the state of each stage."""
    subject = svc.org_of(s, prog.subject_id)
    schedule = svc.programme_stage(s, ctx, prog)
    rows = []
    for analysis in svc.programme_cases(s, prog):
        view = svc.case_view(s, ctx, analysis)
        rows.append({"id": analysis.id, "object": view.object, "object_name": view.object_name,
                     "start": view.planned_start, "end": view.planned_end,
                     "state": view.state, "state_name": view.state_name,
                     "stages": {st.key: st for st in view.stages}})
    return {"id": prog.id, "year": prog.year, "subject": subject.code,
            "subject_name": svc.org_name(subject, ctx.language),
            "schedule": {"status": schedule.status if schedule else None,
                         "done_on": schedule.done_on if schedule else None},
            "stage_keys": list(svc.programme_definition(s, ctx, prog).stages),
            "rows": rows}


def case_for(s: Session, ctx: svc.Context, viewer: Viewer, case) -> CaseView:
    """A case as this viewer may see it: the person shown only to those procedures.md names;
    every view of a case about a person is audited."""
    from workflow.services import transactions as tx

    defn = svc.definition_of(s, ctx, case)
    shown = visibility.may_see_person(viewer.user, case, defn)
    # the whole history: notes and file names only where the person is seen
    view = dataclasses.replace(
        svc.case_view(s, ctx, case, show_person=shown),
        history=svc.case_history(s, ctx, case, show_person=shown, show_files=shown))
    if defn.parties.person != "none":
        tx.audited(s, f"web:{viewer.login}", "view.person_case", "case", case.id,
                   {"person_shown": shown})
    return view


def menu_counts(s: Session, ctx: svc.Context, viewer: Viewer,
                overdue: int | None = None) -> dict[str, int]:
    """The overdue counts of the menu, one COUNT each (never a list built): the stages the
    viewer's overdue list shows (an officer's organisation, a manager's or an admin's subtree;
    `overdue`: already counted, by the unfiltered overdue page) and those of her own work (the
    cases she answers for: kept until a write about one of them, `svc.mine_scopes`, not
    recounted after every write in her subtree)."""
    path, code, unassigned = only_path(viewer), viewer.org.code, unassigned_of(viewer)
    own = viewer.org.path
    read_versions(s, viewer)
    return {"overdue": overdue if overdue is not None else kept(
                s, ctx, ("menu.overdue", code, path),
                lambda: svc.count_overdue(s, ctx, code, only_path=path), own),
            "mine": kept(s, ctx, ("menu.mine", viewer.user.id, unassigned, code, path),
                         lambda: svc.count_my_overdue(s, ctx, viewer.user.id, unassigned, code,
                                                      path), own,
                         scopes=svc.mine_scopes(viewer.user.id, unassigned_of(viewer)))}


def unassigned_of(viewer: Viewer) -> int | None:
    """An officer answers too for the cases of her organisation that nobody is responsible
    for; managers and admins only for their own (services/visibility.py, "mine")."""
    return visibility.unassigned_of(viewer.user)


ASSIGNEE_SUGGEST = 20  # people the hand-over field suggests for what she typed


def assignee_scope(s: Session, viewer: Viewer, org: str | None) -> tuple[Any, int | None]:
    """Where the bulk bar's hand-over looks for the person typed: (the organisation whose
    subtree's officers, the only organisation whose officers, or None). The list's
    organisation filter, else the reader's organisation; an officer only her own. A case goes
    only to an officer of its own organisation (the service refuses any other, all or
    nothing)."""
    scope = viewer.org
    if org and viewer.sees_below:
        try:
            scope = visible_org(s, viewer, org)
        except MerzimError:  # a hidden or unknown filter: the list itself refuses it
            scope = viewer.org
    return scope, visibility.only_org(viewer.user)


def assignees_named(s: Session, viewer: Viewer, org: str | None, typed: str
                    ) -> list[tuple[str, str, int]]:
    """(login, name, organisation id) of the officers of the bulk bar's scope
    (`assignee_scope`) whom `typed` names (`comments.named`)."""
    from workflow.services import comments

    scope, only = assignee_scope(s, viewer, org)
    found = comments.officers_named(s, scope, typed)
    return [p for p in found if only is None or p[2] == only]


def assignee_choices(s: Session, people: list[tuple[str, str, int]], language: str
                     ) -> list[dict[str, str]]:
    """Each person found as the hand-over shows her: login, name and her organisation's
    name in the reader's language."""
    orgs = {i: svc.org_by_id(s, i) for i in {p[2] for p in people}}
    return [{"login": login, "name": name,
             "org": svc.org_name(o, language) if (o := orgs.get(org_id)) is not None else ""}
            for login, name, org_id in people]
