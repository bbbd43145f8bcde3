"""Each subject's evaluation kept across requests: computed once per version of the subject's
organisation path (kept/figures.py `evaluation`: a write about a case, a programme or an organisation
of the subject's subtree moves it, in the write's own transaction) and of everything (`*`: a
sync, an import), so that a root of thousands reads its subjects' kept figures and recomputes
only those a write may have changed: the subject written in and its ancestors.

What a subject's figures read is its own subtree (its analyses, its register entries, its
subdivisions'), so its path's version moves whenever they may change. What each organisation
adds to them (service.OrgPart: the analyses it ran or that are of it, its register entries) is
kept too, for the version of its own path (`kept_parts`): a subject computed again after a
write in one district puts its figures together from its subtree's parts, the district's and
its ancestors' read again, the others kept. The kept results are
shared between requests and threads: the pages turn them into words (scorecard/words.py
builds new dictionaries) and never change them."""

from __future__ import annotations

import gc
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from cachetools import TTLCache
from sqlmodel import Session

from workflow.kept import figures
from workflow.kept.reading import of_database
from workflow.scorecard import rules as sc
from workflow.scorecard import stored
from workflow.scorecard.service import (
    OrgPart,
    read_parts,
    scorecards,
    subject_facts,
    subtree_orgs,
)
from workflow.services.context import Context
from workflow.services.lookup import get_org, org_path
from workflow.storage import audit
from workflow.storage.models import Organisation
from workflow.storage.queries import in_subtree

KEPT_SUBJECTS = 50_000  # subjects' figures kept per database (a country has about 5,000)
KEPT_SECONDS = 24 * 3600  # an unused figure is dropped after a day
# at most this many subjects whose figures are not kept are evaluated one by one (a write
# moves a subject and its few ancestors); more: the subtree is read once, in bulk
FEW = 12
_CHUNK = 1000  # the versions read per statement

# what a subject's kept figures are kept as: its scorecard (`kept_scorecards`), its points
# still to win (`kept_points`) and its standing among others (`kept_below`: what a root's
# standing reads of each subject below it, `standing_of`)
_CARD, _POINTS, _STANDING = "scorecard", "points still to win, each", "standing, each"
# what a subject's standing is of its scorecard (web.py `standing`: `totals`, the lowest)
_STANDING_KEYS = ("subject", "subject_name", "total", "awards", "deductions",
                  "provisional_until")
# what an evaluation with its points still to win adds to each indicator and to the scorecard
_LEADS_OF_INDICATOR = ("cases", "coverage")
_LEADS_OF_CARD = ("at_risk", "at_risk_points")

_KEPT: dict[Any, TTLCache] = {}
_LOCK = threading.Lock()
# the subjects' figures this process computed, by figure (the others it read kept: in memory,
# or stored for the installation by another process: stored.py)
COMPUTED: dict[str, int] = {}


def _computing(what: str, n: int = 1) -> None:
    with _LOCK:
        COMPUTED[what] = COMPUTED.get(what, 0) + n


def _stored(s: Session, ctx: Context, settings: sc.ScoreSettings, year: int, what: str,
            found: dict[str, tuple[int, ...]], paths: Sequence[str]) -> dict[str, Any]:
    """The figures `what` of the subjects at `paths` stored for the installation at the
    versions `found` with the same fingerprint (stored.py), by path."""
    if not paths:
        return {}
    return stored.read(s, what, {p: found[p] for p in paths}, year, ctx.language,
                       stored.fingerprint(ctx, settings))


def _store(s: Session, ctx: Context, settings: sc.ScoreSettings, year: int, what: str,
           rows: Sequence[tuple[str, tuple[int, ...], Any]]) -> None:
    """The figures `what` of `rows` (path, versions, figure) stored for the installation, on
    the writer's thread (stored.py `keep`): this request goes on at once."""
    if rows:
        stored.keep(s, what, rows, year, ctx.language, stored.fingerprint(ctx, settings))


def _set_aside() -> None:
    """The figures just computed and kept set aside from the cycle collector's passes
    (`gc.freeze`, as web/app.py's `freeze_startup` sets aside what start-up built): a root's
    figures are hundreds of thousands of objects with no cycle among them, kept until a write
    moves their version and freed then by their counts of references; each full pass of the
    collector would otherwise walk every figure the process keeps (seconds at a root of
    5,000 subjects: bench/score/README.md). Nothing is paused: the collector runs as ever, in
    every thread, over what is not set aside; the young garbage is collected first, so what
    is set aside is what lives on."""
    gc.collect(1)
    gc.freeze()


def _subjects(s: Session, root: Organisation, settings: sc.ScoreSettings) -> list[Any]:
    """The subjects under `root` (it included) in tree order, as `scorecards` lists them:
    their code, path and kind (rows, not objects: a root has thousands)."""
    from sqlmodel import select

    rows: list[Any] = list(s.exec(select(Organisation.code, Organisation.path, Organisation.kind)
                               .where(in_subtree(Organisation.path, root))).all())
    # sorted in Python: a database collation may ignore '/'
    return sorted((r for r in rows if r.kind in settings.subject_kinds), key=lambda r: r.path)


def _versions(s: Session, paths: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """The versions each subject's (or organisation's) figures are kept by, by its path
    (kept/figures.py `evaluation`)."""
    return figures.each(s, "evaluation", paths, _CHUNK)


def _cache(s: Session) -> TTLCache:
    return of_database(s, _KEPT, _LOCK, lambda: TTLCache(KEPT_SUBJECTS, KEPT_SECONDS))


class _Below(NamedTuple):
    code: str
    path: str


# the settings the kept figures were computed with, each by a number of its own: a key holds
# the number (hashed as an int; the settings, by value, are hashed once per request)
_SETTINGS: dict[sc.ScoreSettings, int] = {}


def _shared(year: int, ctx: Context, settings: sc.ScoreSettings) -> tuple[Any, ...]:
    """What every kept figure's key holds beside its subject's path and versions."""
    with _LOCK:
        number = _SETTINGS.get(settings)
        if number is None:
            if len(_SETTINGS) >= 64:  # (bounded: figures of settings forgotten are missed)
                _SETTINGS.clear()
            number = _SETTINGS[settings] = next(_NUMBERS)
    return (year, ctx.today, ctx.language,
            getattr(ctx, "own_off", None), number, id(ctx.calendar), id(ctx.processes))


_NUMBERS = itertools.count(1)


def kept_of(s: Session, ctx: Context, org_code: str, year: int, settings: sc.ScoreSettings,
            what: str, compute: Callable[[], Any]) -> Any:
    """`compute()`'s figure `what` of the subject `org_code` (read from its subtree), kept for
    the version of its path (a write in its subtree moves it) as the figures of
    `kept_scorecards` are; shared between requests: not to be changed. A transaction that
    has written and not committed computes for itself."""
    if audit.wrote(s):
        return compute()
    root = get_org(s, org_code)
    found = _versions(s, [root.path])
    key = (what, root.path, found[root.path], *_shared(year, ctx, settings))
    cache = _cache(s)
    with _LOCK:
        hit = cache.get(key)
    if hit is not None and hit[0] is ctx.calendar and hit[1] is ctx.processes:
        return hit[2]
    got = _stored(s, ctx, settings, year, what, found, [root.path])
    if root.path in got:
        figure = got[root.path]
    else:
        _computing(what)
        figure = compute()
        _store(s, ctx, settings, year, what, [(root.path, found[root.path], figure)])
    with _LOCK:
        cache[key] = (ctx.calendar, ctx.processes, figure)
    _set_aside()
    return figure


def kept_parts(s: Session, ctx: Context, year: int, orgs: Sequence[Organisation],
               root: Organisation) -> dict[int, OrgPart]:
    """The part of each organisation of `orgs` (service.OrgPart: what an evaluation reads of
    its own records), by id: kept for the version of its path and of everything, read afresh
    for the organisations whose version moved (a write in one district: the district and
    its ancestors) and kept. A transaction that has written and not committed reads for
    itself."""
    if audit.wrote(s):
        return read_parts(s, ctx, year, orgs, root)
    found = _versions(s, [o.path for o in orgs])
    shared = ("parts", year, id(ctx.calendar), id(ctx.processes))
    cache = _cache(s)
    out: dict[int, OrgPart] = {}
    with _LOCK:
        for o in orgs:
            hit = cache.get((o.path, found[o.path], *shared))
            if hit is not None and hit[0] is ctx.calendar and hit[1] is ctx.processes:
                out[o.id] = hit[2]
    missing = [o for o in orgs if o.id not in out]
    fresh = read_parts(s, ctx, year, missing, root) if missing else {}
    with _LOCK:
        for o in missing:
            part = fresh[o.id]
            last = cache.get(("last part", o.path, *shared))
            if last is not None:
                # its entries as they were (a write about an analysis alone): the same
                # objects, so the figures kept for the same entries (service._same_entries)
                # stay kept; its analyses, their risks and cartogram updates as they were (a
                # register entry written): the same objects, so project No. 1's figures kept
                # for the same analyses (service._same_analyses) stay kept
                if last.entries is not part.entries and last.entries == part.entries:
                    part = replace(part, entries=last.entries)
                elif last.entries is not part.entries:  # each entry as it was when equal
                    part = replace(part, entries=_same_objects(last.entries, part.entries))
                if (last.analyses, last.risks, last.sections) == (
                        part.analyses, part.risks, part.sections):
                    part = replace(part, analyses=last.analyses, risks=last.risks,
                                   sections=last.sections)
            cache[("last part", o.path, *shared)] = part
            out[o.id] = part
            cache[(o.path, found[o.path], *shared)] = (ctx.calendar, ctx.processes, part)
    return out


def _same_objects(last: Sequence[Any], fresh: Sequence[Any]) -> tuple[Any, ...]:
    """`fresh` with each item equal to one of `last` replaced by that object (the first equal
    one not yet taken): a part's entries read again after an entry was written keep the
    objects of the others, so what is kept for the same entries of an indicator stays kept."""
    free: dict[Any, list[Any]] = {}
    for item in last:
        free.setdefault(_entry_key(item), []).append(item)
    out = []
    for item in fresh:
        same = free.get(_entry_key(item))
        found = next((i for i, x in enumerate(same or ()) if x == item), None)
        out.append(item if found is None else same.pop(found))  # type: ignore[union-attr]
    return tuple(out)


def _entry_key(entry: Any) -> tuple[Any, ...]:
    case = getattr(entry, "case", None)
    return (getattr(entry, "register", None), getattr(entry, "indicator", None),
            getattr(case, "id", None))


def kept_facts(s: Session, ctx: Context, root: Organisation, year: int,
               settings: sc.ScoreSettings) -> tuple[Organisation, sc.SubjectFacts]:
    """`subject_facts` of the subject `root` (project No. 1's facts, what its coverage reads)
    from its subtree's kept parts (`kept_parts`)."""
    orgs = subtree_orgs(s, root)
    (org, facts), = subject_facts(s, ctx, root, year, settings, orgs=orgs,
                                  parts=kept_parts(s, ctx, year, orgs, root))
    return org, facts


def kept_card(s: Session, ctx: Context, org_code: str, year: int,
              settings: sc.ScoreSettings) -> dict[str, Any]:
    """`scorecards(…, leads=True)` of the subject `org_code`: its evaluation with the cases
    behind each indicator and its points still to win, kept (`kept_of`): a root's score page
    and overview read it as kept until a write below it. Computed, it gives the subject's
    plain scorecard and its points still to win too (`plain`, `_points`, as `kept_below`
    takes them from its subjects'), kept and stored beside it: the score list, the subjects'
    figures and the root's standing read them without evaluating the subject again."""
    def compute() -> dict[str, Any]:
        card = scorecards(s, ctx, org_code, year, settings, leads=True, parts=kept_parts)[0]
        root = get_org(s, org_code)
        found = _versions(s, [root.path])
        shared = _shared(year, ctx, settings)
        cache = _cache(s)
        for what, figure in ((_CARD, plain(card)), (_POINTS, _points(card)),
                             (_STANDING, standing_of(card))):
            with _LOCK:
                cache[(what, root.path, found[root.path], *shared)] = (
                    ctx.calendar, ctx.processes, figure)
            _store(s, ctx, settings, year, what, [(root.path, found[root.path], figure)])
        return card

    return kept_of(s, ctx, org_code, year, settings, "leads", compute)


def kept_scorecards(s: Session, ctx: Context, org_code: str, year: int,
                    settings: sc.ScoreSettings, subtree: bool = False) -> list[dict[str, Any]]:
    """`scorecards(…, whole=True)` of the subject `org_code` or (subtree) of every subject
    under it, in tree order, each with its depth under `org_code`: the figures kept for each
    subject's version, the others computed (one by one when few, else the subtree in bulk)
    and kept. A transaction that has written and not committed computes for itself."""
    if audit.wrote(s):
        return scorecards(s, ctx, org_code, year, settings, subtree)
    root = get_org(s, org_code)
    subjects: list[Any] = _subjects(s, root, settings) if subtree else [root]
    kept = _kept_each(s, ctx, root, subjects, year, settings, _CARD, False, lambda r: r)
    root_depth = root.path.strip("/").count("/")
    return [{**kept[o.code], "depth": o.path.strip("/").count("/") - root_depth}
            for o in subjects if o.code in kept]


def kept_points(s: Session, ctx: Context, org_code: str, year: int,
                settings: sc.ScoreSettings) -> dict[str, float]:
    """Each subject's points still to win (its scorecard's `at_risk_points`, as its score page
    shows them) in the subtree of the subject `org_code`, kept for each subject's version as
    `kept_scorecards` keeps their figures: after a write below one subject only it and its
    ancestors are worked out again (one by one), a subtree mostly not kept in bulk."""
    if audit.wrote(s):
        return {r["subject"]: _points(r) for r in scorecards(
            s, ctx, org_code, year, settings, subtree=True, leads=True)}
    root = get_org(s, org_code)
    return _kept_each(s, ctx, root, _subjects(s, root, settings), year, settings,
                      _POINTS, True, _points)


def standing_of(card: dict[str, Any]) -> dict[str, Any]:
    """What a root's standing reads of a subject's scorecard (`_STANDING_KEYS`)."""
    return {k: card.get(k) for k in _STANDING_KEYS}


def kept_below(s: Session, ctx: Context, org_code: str, year: int,
               settings: sc.ScoreSettings, below: Sequence[str]
               ) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The standing (`standing_of` its scorecard) of every subject under each subject of
    `below` (those next below the subject `org_code`), in tree order, and each one's points
    still to win (`kept_points`'): each subject evaluated once, with its points still to win,
    for both (its plain figures, kept too, are its evaluation's less what the points add),
    kept for its version; the versions read once for them all. A subject whose standing is
    not kept but whose scorecard is has it taken from the scorecard. After a write below one
    subject only it and its ancestors are worked out again (one by one), each subtree mostly
    not kept in bulk. A transaction that has written and not committed computes for
    itself."""
    if audit.wrote(s):
        results = [{**standing_of(r), "depth": r["depth"]} for child in below
                   for r in scorecards(s, ctx, child, year, settings, subtree=True)]
        return results, {code: points for child in below
                         for code, points in kept_points(s, ctx, child, year, settings).items()}
    root = get_org(s, org_code)
    every = _subjects(s, root, settings)
    # (each subject next below by its code and path: the paths kept per database, no query)
    groups: list[tuple[Any, list[Any]]] = [(_Below(c, org_path(s, c)), []) for c in below]
    by_path = {child.path: group for child, group in groups}
    for o in every:  # the group of the subject next below whose subtree it is in
        steps = o.path.strip("/").split("/")
        group = next((by_path[p] for p in ("/" + "/".join(steps[:n]) + "/"
                                           for n in range(1, len(steps) + 1)) if p in by_path),
                     None)
        if group is not None:
            group.append(o)
    subjects = [o for _, group in groups for o in group]
    found = _versions(s, [o.path for o in subjects])
    shared = _shared(year, ctx, settings)
    cache = _cache(s)

    def key(what: str, o: Any) -> tuple[Any, ...]:
        return (what, o.path, found[o.path], *shared)

    standings: dict[str, Any] = {}
    points: dict[str, Any] = {}
    _held(cache, ctx, subjects, {_STANDING: standings, _POINTS: points}, key)
    _load(s, ctx, settings, year, found, subjects, {_STANDING: standings, _POINTS: points},
          key)
    unstood = [o for o in subjects if o.code not in standings]
    if unstood:  # their scorecards kept (in memory, or stored): their standing from them
        cards: dict[str, Any] = {}
        _held(cache, ctx, unstood, {_CARD: cards}, key)
        _load(s, ctx, settings, year, found, unstood, {_CARD: cards}, key)
        with _LOCK:
            for o in unstood:
                if o.code in cards:
                    standings[o.code] = standing_of(cards[o.code])
                    cache[key(_STANDING, o)] = (ctx.calendar, ctx.processes, standings[o.code])
    for child, group in groups:
        missing = [o for o in group if o.code not in standings or o.code not in points]
        fresh = _computed(s, ctx, child.code, group, missing, year, settings, True)
        wanted = {o.code: o for o in missing}
        made: dict[str, list[tuple[str, tuple[int, ...], Any]]] = {
            _CARD: [], _POINTS: [], _STANDING: []}
        with _LOCK:
            for result in fresh:
                o = wanted.get(result["subject"])
                if o is None:
                    continue
                for what, figure in ((_CARD, plain(result)), (_POINTS, _points(result)),
                                     (_STANDING, standing_of(result))):
                    cache[key(what, o)] = (ctx.calendar, ctx.processes, figure)
                    made[what].append((o.path, found[o.path], figure))
                standings[o.code], points[o.code] = made[_STANDING][-1][2], _points(result)
        for what, rows in made.items():
            _computing(what, len(rows))
            _store(s, ctx, settings, year, what, rows)
        if fresh:
            _set_aside()
    return ([{**standings[o.code], "depth": o.path.strip("/").count("/") - depth}
             for child, group in groups
             for depth in (child.path.strip("/").count("/"),)
             for o in group if o.code in standings],
            {o.code: points[o.code] for o in subjects if o.code in points})


def _held(cache: TTLCache, ctx: Context, subjects: Sequence[Any],
          outs: dict[str, dict[str, Any]], key: Callable[[str, Any], tuple[Any, ...]]) -> None:
    """Into each `outs[what]`, by code, the figure `what` of each subject of `subjects` this
    process keeps (for the same calendar and definitions, not others that came to live at
    the address)."""
    with _LOCK:
        for o in subjects:
            for what, out in outs.items():
                hit = cache.get(key(what, o))
                if hit is not None and hit[0] is ctx.calendar and hit[1] is ctx.processes:
                    out[o.code] = hit[2]


def _load(s: Session, ctx: Context, settings: sc.ScoreSettings, year: int,
          found: dict[str, tuple[int, ...]], subjects: Sequence[Any],
          outs: dict[str, dict[str, Any]], key: Callable[[str, Any], tuple[Any, ...]]) -> int:
    """Into each `outs[what]`, by code, the figure `what` stored for the installation of each
    subject of `subjects` it does not hold (stored.py), kept in memory too; how many."""
    cache = _cache(s)
    n = 0
    asked = {what: [o.path for o in subjects if o.code not in out] for what, out in outs.items()}
    if not any(asked.values()):
        return 0
    with stored.collector_paused():
        for what, out in outs.items():
            got = _stored(s, ctx, settings, year, what, found, asked[what])
            with _LOCK:
                for o in subjects:
                    if o.path in got:
                        out[o.code] = got[o.path]
                        cache[key(what, o)] = (ctx.calendar, ctx.processes, got[o.path])
            n += len(got)
    return n


def _computed(s: Session, ctx: Context, root_code: str, subjects: Sequence[Any],
              missing: Sequence[Any], year: int, settings: sc.ScoreSettings, leads: bool
              ) -> list[dict[str, Any]]:
    """The scorecards of `missing`, those of `subjects` not kept: one by one when few, else
    the subtree of `root_code` in bulk (from the kept parts)."""
    if len(subjects) > 1 and len(missing) > FEW:
        return scorecards(s, ctx, root_code, year, settings, subtree=True, leads=leads,
                          parts=kept_parts)
    fresh: list[dict[str, Any]] = []
    for o in missing:
        fresh += scorecards(s, ctx, o.code, year, settings, subtree=False, leads=leads,
                            parts=kept_parts)
    return fresh


def plain(result: dict[str, Any]) -> dict[str, Any]:
    """A scorecard evaluated with its points still to win (`scorecards(…, leads=True)`) as
    evaluated without them: the same figures, without the cases behind each indicator, the
    points still to win and their sum."""
    indicators = [{k: v for k, v in i.items() if k not in _LEADS_OF_INDICATOR}
                  for i in result["indicators"]]
    out = {k: v for k, v in result.items() if k not in _LEADS_OF_CARD}
    out["indicators"] = indicators
    if "projects" in result:  # each project's indicators: the same ones
        by_id = {id(i): j for i, j in zip(result["indicators"], indicators, strict=True)}
        out["projects"] = [{**p, "indicators": [by_id[id(i)] for i in p["indicators"]]}
                           for p in result["projects"]]
    return out


def _points(result: dict[str, Any]) -> float:
    return result.get("at_risk_points") or 0


def _kept_each(s: Session, ctx: Context, root: Organisation, subjects: list[Any], year: int,
               settings: sc.ScoreSettings, what: str, leads: bool,
               keep: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """`keep(scorecards(…))` of each subject of `subjects` (the subject `root` alone, or its
    subtree's), by its code: kept for the version of its path; those not kept computed (one
    by one when few, else the subtree of `root` in bulk), with the cases behind each
    indicator and the points still to win when `leads`, and kept."""
    found = _versions(s, [o.path for o in subjects])
    shared = _shared(year, ctx, settings)
    cache = _cache(s)
    keys = {o.code: (what, o.path, found[o.path], *shared) for o in subjects}
    kept: dict[str, Any] = {}
    _held(cache, ctx, subjects, {what: kept}, lambda _what, o: keys[o.code])
    missing = [o for o in subjects if o.code not in kept]
    got: dict[str, Any] = {}
    if missing:
        with stored.collector_paused():
            got = _stored(s, ctx, settings, year, what, found, [o.path for o in missing])
            with _LOCK:
                for o in missing:
                    if o.path in got:
                        kept[o.code] = got[o.path]
                        cache[keys[o.code]] = (ctx.calendar, ctx.processes, got[o.path])
        missing = [o for o in missing if o.code not in kept]
    fresh = _computed(s, ctx, root.code, subjects, missing, year, settings, leads)
    wanted = {o.code: o for o in missing}
    made: list[tuple[str, tuple[int, ...], Any]] = []
    with _LOCK:
        for result in fresh:
            o = wanted.get(result["subject"])
            if o is not None:
                kept[o.code] = keep(result)
                cache[keys[o.code]] = (ctx.calendar, ctx.processes, kept[o.code])
                made.append((o.path, found[o.path], kept[o.code]))
    _computing(what, len(made))
    _store(s, ctx, settings, year, what, made)
    if fresh:
        _set_aside()
    return kept


def totals(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The subjects' figures summed: how many, how many provisional, their awards,
    deductions and totals, the lowest and the highest total."""
    figures = [r["total"] for r in results]
    return {"subjects": len(results),
            "provisional": sum(1 for r in results if r.get("provisional_until")),
            "awards": sc.r2(sum(r["awards"] for r in results)),
            "deductions": sc.r2(sum(r["deductions"] for r in results)),
            "total": sc.r2(sum(figures)),
            "lowest": min(figures) if figures else None,
            "highest": max(figures) if figures else None}
