"""A root's evaluation is put together from each organisation's part, kept for the version of
the organisation's path (workflow/scorecard/kept.py `kept_parts`): after random writes in random
districts the root's kept figures, its scorecard with its points still to win and the subtree's
figures equal a fresh evaluation and `merzim score ROOT --subtree --json`, and a write reads
again the parts of the organisation written in and its ancestors alone."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from tests.support.cli_runner import ok_json
from tests.support.features import module_of
from tests.support.score_helpers import STORY
from workflow import services as svc
from workflow.core.errors import RuleViolation, UsageError
from workflow.definitions import load_registry
from workflow.scorecard import kept
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings
from workflow.services import demo, obligations
from workflow.storage.db import begin_write
from workflow.storage.db import session as open_session

TODAY = date(2026, 11, 23)
YEAR = 2026
SEED = 20261126
KINDS = ("record", "void", "withdraw", "restore", "entry", "entry void", "import")


def _ctx(calendar) -> svc.Context:
    """Every shipped definition, the registers' too (the command's)."""
    return svc.Context(calendar, load_registry(), TODAY, actor="test", language="en")


def _tree(s: Session, ctx) -> list[str]:
    """A central body over two akimats of three departments (districts), an officer each."""
    svc.add_org(s, ctx, "RK", "Republic", "central_body")
    codes = ["RK"]
    for i in range(2):
        akimat = f"AK{i}"
        svc.add_org(s, ctx, akimat, f"Akimat {i}", "akimat", "RK")
        codes.append(akimat)
        for d in range(3):
            dept = f"{akimat}-D{d}"
            svc.add_org(s, ctx, dept, f"Department {i}.{d}", "department", akimat)
            codes.append(dept)
    for code in codes:
        svc.add_user(s, ctx, f"off-{code}", f"Officer {code}", "officer", code)
    return codes


def _entry(s: Session, ctx, subject: str, item: dict) -> int | None:
    """A register entry of the demo's `[[entry]]` opened for `subject` with its records, as an
    officer records it (None: an entry of a kind the subject is not)."""
    dates = {k: demo._when(ctx, v) for k, v in item.get("dates", {}).items()}
    fields = {k: str(v) for k, v in item.get("fields", {}).items()}
    try:
        with s.begin_nested():
            case = svc.open_checked(s, ctx, item["process"], subject, None, item.get("person"),
                                    item.get("position"), fields, dates, f"off-{subject}",
                                    duplicate_reason="test").analysis
            demo._record(s, ctx, case.id, item.get("records", []), date(YEAR, 1, 1), TODAY)
    except (UsageError, RuleViolation):
        return None
    return case.id


def _world(engine, ctx) -> dict:
    planning = module_of("planning", "service")
    with open_session(engine) as s:
        codes = _tree(s, ctx)
        depts = [c for c in codes if "-D" in c]
        analyses = [planning.plan_analysis(s, ctx, d, d, date(2026, 3, 2),
                                           date(2026, 4, 10)).analysis.id for d in depts]
        analyses.append(planning.plan_analysis(s, ctx, "AK0", "AK0-D1", date(2026, 5, 4),
                                               date(2026, 6, 10)).analysis.id)
        for n, case_id in enumerate(analyses):
            for event, on, evidence in STORY[:n % 5]:
                svc.record_event(s, ctx, case_id, event, on.replace(year=YEAR), dict(evidence))
        obligations.sync(s, ctx)
        items = [i for i in demo.DEMO.get("entry", []) if i["process"] in ctx.registry.loaded]
        recorded: dict[int, str] = {}  # an entry's last record
        entries = []
        for code in codes[1:]:
            for item in items[:6]:
                case_id = _entry(s, ctx, code, item)
                if case_id is not None:
                    entries.append(case_id)
                    if item.get("records"):
                        recorded[case_id] = item["records"][-1]["event"]
        s.commit()
    return {"codes": codes, "depts": depts, "analyses": analyses, "entries": entries,
            "items": items, "withdrawn": [], "told": {}, "recorded": recorded}


def _write(engine, ctx, world: dict, rng: random.Random, n: int) -> str:
    """One random write in a random district (or an import planning two analyses): what it
    was."""
    kind = KINDS[n % len(KINDS)]
    dept = rng.choice(world["depts"])
    with open_session(engine) as s:
        # the write lock first, as a request's write takes it (services/idempotency.py): on
        # SQLite a transaction that read before another writer (the stored figures' thread)
        # committed could not write after it
        begin_write(s)
        try:
            with s.begin_nested():
                if kind == "record":  # the next step of an analysis's story
                    case_id = rng.choice(world["analyses"])
                    step = world["told"].get(case_id, world["analyses"].index(case_id) % 5)
                    event, on, evidence = STORY[step]
                    svc.record_event(s, ctx, case_id, event, on.replace(year=YEAR),
                                     dict(evidence))
                    world["told"][case_id] = step + 1
                elif kind == "void":  # an order recorded (every analysis but each fifth)
                    svc.void_record(s, ctx, rng.choice([a for i, a in enumerate(
                        world["analyses"]) if i % 5]), STORY[0][0], "Recorded by mistake")
                elif kind == "withdraw":
                    case_id = rng.choice(world["analyses"] + world["entries"])
                    svc.withdraw_case(s, ctx, case_id, "Opened by mistake")
                    world["withdrawn"].append(case_id)
                elif kind == "restore":  # the case withdrawn last
                    svc.restore_case(s, ctx, world["withdrawn"].pop(), "Withdrawn by mistake")
                elif kind == "entry":
                    found = _entry(s, ctx, dept, rng.choice(world["items"]))
                    if found is not None:
                        world["entries"].append(found)
                elif kind == "entry void":  # an entry's last record voided
                    case_id = rng.choice(sorted(world["recorded"]))
                    svc.void_record(s, ctx, case_id, world["recorded"].pop(case_id),
                                    "Recorded by mistake")
                else:
                    start = date(2026, 8, 3) + timedelta(days=7 * n)
                    rows = [module_of("planning", "bulk").AnalysisRow(
                        i + 2, d, d, start, start + timedelta(days=30), None, None, "test")
                        for i, d in enumerate(rng.sample(world["depts"], 2))]
                    module_of("planning", "bulk").plan_analyses(s, ctx, rows)
        except (UsageError, RuleViolation, LookupError, IndexError) as e:
            return f"{kind} (refused: {e})"
        s.commit()
    return kind


def _figures(cards) -> list[tuple]:
    return [(c["subject"], c["awards"], c["deductions"], c["total"]) for c in cards]


def _fresh_lines(s: Session, ctx, code: str) -> dict[int, int]:
    """Each report form's lines (and figures) of the subject, its form read afresh."""
    forms = module_of("forms", "service")
    kind = svc.get_org(s, code).kind
    out = {}
    for n in forms.appendices():
        if forms.applies(n, kind):
            data = forms.form_data(s, ctx, n, code, YEAR, "ru")[0]
            out[n] = len(data.lines) + len(data.figures)
    return out


@pytest.mark.slow
def test_the_roots_figures_put_together_from_kept_parts_are_a_fresh_evaluation(
        merzim_db, engine, calendar):
    ctx = _ctx(calendar)
    world = _world(engine, ctx)
    settings = ScoreSettings()
    rng = random.Random(SEED)
    with Session(engine) as s:  # every part kept
        kept.kept_card(s, ctx, "RK", YEAR, settings)
        kept.kept_scorecards(s, ctx, "RK", YEAR, settings, subtree=True)
        for code in world["codes"]:
            module_of("forms", "service").line_counts(s, ctx, code, YEAR)
    done = []
    lines_seen: set[int] = set()
    for n in range(2 * len(KINDS)):
        done.append(_write(engine, ctx, world, rng, n))
        with Session(engine) as s:
            card = kept.kept_card(s, ctx, "RK", YEAR, settings)
            cards = kept.kept_scorecards(s, ctx, "RK", YEAR, settings, subtree=True)
            fresh = scoring.scorecards(s, ctx, "RK", YEAR, settings, leads=True)[0]
            assert card == fresh, done
            assert cards == scoring.scorecards(s, ctx, "RK", YEAR, settings, subtree=True), done
            for code in ("RK", "AK0", "AK1", rng.choice(world["depts"])):  # the report forms
                lines = module_of("forms", "service").line_counts(s, ctx, code, YEAR)
                assert lines == _fresh_lines(s, ctx, code), (code, done)
                lines_seen.update(n for n, count in lines.items() if count)
    assert set(done) >= set(KINDS), done  # each kind written at least once
    assert card["at_risk"] and card["indicators"]
    assert lines_seen, lines_seen  # forms with lines, not empty ones alike
    cli = ok_json(merzim_db("score", "RK", "--year", str(YEAR), "--subtree", "--json",
                            today=TODAY.isoformat()))["subjects"]
    assert _figures(cli) == _figures(cards)
    whole = kept.totals(cards)
    assert whole["total"] == round(sum(c["total"] for c in cli), 2)


def test_a_write_in_a_district_reads_again_its_part_and_its_ancestors_alone(engine, calendar):
    ctx = _ctx(calendar)
    world = _world(engine, ctx)
    with Session(engine) as s:
        root = svc.get_org(s, "RK")
        orgs = scoring.subtree_orgs(s, root)
        before = kept.kept_parts(s, ctx, YEAR, orgs, root)
        assert kept.kept_parts(s, ctx, YEAR, orgs, root) == before
        assert all(kept.kept_parts(s, ctx, YEAR, orgs, root)[o.id] is before[o.id]
                   for o in orgs)  # read once, then kept
    analysis = world["analyses"][4]  # AK1-D1's own analysis
    with open_session(engine) as s:
        svc.record_event(s, ctx, analysis, STORY[4][0], date(YEAR, 4, 1), dict(STORY[4][2]))
        s.commit()
    with Session(engine) as s:
        after = kept.kept_parts(s, ctx, YEAR, orgs, root)
        read_again = {o.code for o in orgs if after[o.id] is not before[o.id]}
        assert read_again == {"RK", "AK1", "AK1-D1"}, read_again
        # a write about an analysis alone: the entries read again are equal, kept as they were
        assert all(after[o.id].entries is before[o.id].entries for o in orgs)
        assert after == scoring.read_parts(s, ctx, YEAR, orgs, root)
        assert after != before


def test_after_entries_in_random_organisations_the_kept_root_figures_are_fresh(engine, calendar):
    """Register entries opened (and a record voided) in random organisations: the root's kept
    scorecard with its points still to win, and the figures and points still to win of every
    subject below it (`kept_below`: each subject evaluated once for its standing, points and
    scorecard), equal a fresh
    evaluation after each; an entry keeps the analyses' objects of the part read again."""
    ctx = _ctx(calendar)
    world = _world(engine, ctx)
    settings = ScoreSettings()
    rng = random.Random(SEED + 1)
    below = ["AK0", "AK1"]
    with Session(engine) as s:  # every figure kept
        kept.kept_card(s, ctx, "RK", YEAR, settings)
        kept.kept_below(s, ctx, "RK", YEAR, settings, below)
        root = svc.get_org(s, "RK")
        orgs = scoring.subtree_orgs(s, root)
        parts = kept.kept_parts(s, ctx, YEAR, orgs, root)
    changed = []
    for n in range(8):
        code = rng.choice(world["codes"][1:])
        with open_session(engine) as s:
            if n % 4 == 3 and world["recorded"]:  # an entry's last record voided
                case_id = rng.choice(sorted(world["recorded"]))
                svc.void_record(s, ctx, case_id, world["recorded"].pop(case_id),
                                "Recorded by mistake")
            else:
                found = _entry(s, ctx, code, rng.choice(world["items"]))
                if found is not None:
                    world["entries"].append(found)
            s.commit()
        with Session(engine) as s:
            card = kept.kept_card(s, ctx, "RK", YEAR, settings)
            cards, points = kept.kept_below(s, ctx, "RK", YEAR, settings, below)
            assert card == scoring.scorecards(s, ctx, "RK", YEAR, settings, leads=True)[0], n
            fresh = [r for child in below for r in scoring.scorecards(
                s, ctx, child, YEAR, settings, subtree=True, leads=True)]
            assert cards == [{**kept.standing_of(r), "depth": r["depth"]} for r in fresh], n
            # the scorecards evaluated with them kept too: the subtrees' lists read them
            assert [r for child in below for r in kept.kept_scorecards(
                s, ctx, child, YEAR, settings, subtree=True)] == [
                r for child in below for r in scoring.scorecards(
                    s, ctx, child, YEAR, settings, subtree=True)] == [
                kept.plain(r) for r in fresh], n
            assert points == {r["subject"]: r["at_risk_points"] or 0 for r in fresh}, n
            after = kept.kept_parts(s, ctx, YEAR, orgs, root)
            # the parts read again keep their analyses' objects (none of them changed)
            assert all(after[o.id].analyses is parts[o.id].analyses for o in orgs), n
            changed += [o.code for o in orgs if after[o.id].entries is not parts[o.id].entries]
            parts = after
    assert changed and card["at_risk"], changed  # entries written, points still to win listed


def _cold(s: Session, ctx, settings) -> tuple:
    """The root's card and the subtree's cards evaluated with the evaluation's own memos
    (`_open_stages`, `_worth_memo`, `_same_entries`, `_same_analyses`) emptied first: what
    each figure is when nothing of an earlier evaluation is served."""
    for memo in (scoring._OPEN_STAGES, scoring._WORTHS, scoring._SAME, scoring._SAME_ANALYSES):
        with scoring._OPEN_LOCK:
            memo.clear()
    return (scoring.scorecards(s, ctx, "RK", YEAR, settings, leads=True)[0],
            scoring.scorecards(s, ctx, "RK", YEAR, settings, subtree=True))


@pytest.mark.slow
def test_the_evaluations_memos_serve_no_figure_of_facts_written_since(engine, calendar):
    """Random writes through the services (records, voids, withdrawals, restores, entries,
    an import) with the evaluation's memos warm from the evaluation before each: the root's
    card and the subtree's cards, kept and fresh, equal those evaluated with the memos
    emptied, so no memo hands back a figure of the facts as they were before a write."""
    ctx = _ctx(calendar)
    world = _world(engine, ctx)
    settings = ScoreSettings()
    rng = random.Random(SEED + 2)
    with Session(engine) as s:  # every memo warm
        kept.kept_card(s, ctx, "RK", YEAR, settings)
        kept.kept_scorecards(s, ctx, "RK", YEAR, settings, subtree=True)
        scoring.scorecards(s, ctx, "RK", YEAR, settings, leads=True)
    done = []
    changed = 0
    before = None
    for n in range(2 * len(KINDS)):
        done.append(_write(engine, ctx, world, rng, n))
        with Session(engine) as s:
            warm = (kept.kept_card(s, ctx, "RK", YEAR, settings),
                    kept.kept_scorecards(s, ctx, "RK", YEAR, settings, subtree=True))
            fresh = (scoring.scorecards(s, ctx, "RK", YEAR, settings, leads=True)[0],
                     scoring.scorecards(s, ctx, "RK", YEAR, settings, subtree=True))
            cold = _cold(s, ctx, settings)
        assert warm == cold, done
        assert fresh == cold, done
        changed += before is not None and cold != before
        before = cold
    assert set(done) >= set(KINDS), done
    assert changed >= len(KINDS), (changed, done)  # writes that moved the figures


def test_the_evaluations_memos_know_settings_and_definitions_by_value(engine, calendar):
    """The memos are keyed by what the figures are computed with, by value: settings built
    anew equal to the first serve the same figures; other settings, or a registry with other
    definitions, evaluate afresh what their cold evaluation gives (no figure of the earlier
    settings or definitions served because an object's id came round again)."""
    ctx = _ctx(calendar)
    _world(engine, ctx)
    with Session(engine) as s:
        first = scoring.scorecards(s, ctx, "RK", YEAR, ScoreSettings(), subtree=True)
        again = scoring.scorecards(s, ctx, "RK", YEAR, ScoreSettings(), subtree=True)
        assert again == first
        linear = ScoreSettings(steps="linear", missing_document="all",
                               risk_points_cumulative=False)
        warm = scoring.scorecards(s, ctx, "RK", YEAR, linear, subtree=True)
        assert warm == _cold(s, ctx, linear)[1]
        assert warm != first  # the settings change this world's points
        other = svc.Context(calendar, load_registry(), ctx.today, actor="test", language="en")
        assert other.registry is not ctx.registry
        assert other.registry.digest() == ctx.registry.digest()
        assert scoring.scorecards(s, other, "RK", YEAR, ScoreSettings(), subtree=True) == first
