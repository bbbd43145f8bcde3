"""Each subject's evaluation is kept across requests (workflow/scorecard/kept.py) and is exactly
the evaluation's: the subtree's kept figures equal the subtree evaluated afresh and
`merzim score ROOT --subtree`, the whole is their sum, and a write in a subject has its figures
and its ancestors' computed again while the others stay kept. The recorded ministry of
tests/support/score_helpers.py, scored for 2025 on 2 March 2026."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from tests.support.cli_runner import ok_json
from tests.support.features import module_of
from tests.support.score_helpers import TODAY, record_ministry
from workflow.scorecard import kept
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings

YEAR = 2025


def _figures(cards) -> list[tuple]:
    return [(c["subject"], c["awards"], c["deductions"], c["total"]) for c in cards]


def test_kept_figures_are_the_evaluation_s_and_a_write_recomputes_its_subject_alone(
        merzim_db, engine, make_ctx):
    ctx = record_ministry(engine, make_ctx(TODAY))["ctx"]
    settings = ScoreSettings()
    with Session(engine) as s:
        first = kept.kept_scorecards(s, ctx, "MF", YEAR, settings, subtree=True)
        fresh = scoring.scorecards(s, ctx, "MF", YEAR, settings, subtree=True)
        again = kept.kept_scorecards(s, ctx, "MF", YEAR, settings, subtree=True)
    assert first == fresh and len(first) > 2
    # read again with nothing written: every subject's figures the kept ones, not recomputed
    assert all(a is not b and {**a, "depth": 0} == {**b, "depth": 0}
               for a, b in zip(first, again, strict=True))
    subjects = {c["subject"]: c for c in again}

    # the command's table: the same subjects with the same figures, the whole their sum
    cli = ok_json(merzim_db("score", "MF", "--year", str(YEAR), "--subtree", "--json",
                            today=TODAY.isoformat()))["subjects"]
    assert _figures(cli) == _figures(first)
    whole = kept.totals(first)
    assert whole["subjects"] == len(cli)
    assert whole["total"] == round(sum(c["total"] for c in cli), 2)
    assert whole["lowest"] == min(c["total"] for c in cli)

    # a write in the committee (it plans an analysis of a territorial department): the
    # committee, the ministry above it and the department analysed (the analysis is in its
    # figures) are computed again, the others stay kept
    with Session(engine) as s:
        module_of("planning", "service").plan_analysis(
            s, ctx, "MF-K", "MF-K-T2", date(2025, 10, 1), date(2025, 11, 10))
        s.commit()
        after = kept.kept_scorecards(s, ctx, "MF", YEAR, settings, subtree=True)
        assert after == scoring.scorecards(s, ctx, "MF", YEAR, settings, subtree=True)
        assert after != first  # the committee's 2025 has one analysis more
    recomputed = {c["subject"] for c in after
                  if c["indicators"] is not subjects[c["subject"]]["indicators"]}
    assert recomputed == {"MF", "MF-K", "MF-K-T2"}, recomputed


def test_a_transaction_that_has_written_computes_for_itself(engine, make_ctx):
    ctx = record_ministry(engine, make_ctx(date(2026, 3, 2)))["ctx"]
    settings = ScoreSettings()
    from workflow import services as svc

    with Session(engine) as s:
        before = kept.kept_scorecards(s, ctx, "MF", YEAR, settings)
        svc.add_org(s, ctx, "MF-K-T3", "Revenue department, Abai 2", "territorial_department",
                    "MF-K")
        mine = kept.kept_scorecards(s, ctx, "MF", YEAR, settings)
        assert mine[0]["indicators"] is not before[0]["indicators"]
        s.rollback()
    with Session(engine) as s:
        assert kept.kept_scorecards(s, ctx, "MF", YEAR, settings)[0]["indicators"] \
            is before[0]["indicators"]


def test_a_subjects_points_still_to_win_are_kept_until_a_write_below_it(engine, make_ctx):
    """The root's scorecard with its points still to win (what its score page and overview
    show) is the fresh evaluation's, read as kept while nothing is written below it, and
    the fresh evaluation's again after a write there."""
    ctx = record_ministry(engine, make_ctx(TODAY))["ctx"]
    settings = ScoreSettings()
    with Session(engine) as s:
        first = kept.kept_card(s, ctx, "MF", YEAR, settings)
        fresh = scoring.scorecards(s, ctx, "MF", YEAR, settings, leads=True)[0]
        assert first == fresh and "at_risk" in first
        assert kept.kept_card(s, ctx, "MF", YEAR, settings) is first  # kept, not recomputed
        module_of("planning", "service").plan_analysis(
            s, ctx, "MF-K", "MF-K-T2", date(2025, 10, 1), date(2025, 11, 10))
        s.commit()
        after = kept.kept_card(s, ctx, "MF", YEAR, settings)
        assert after is not first
        assert after == scoring.scorecards(s, ctx, "MF", YEAR, settings, leads=True)[0]


def test_each_subject_s_points_still_to_win_kept_and_a_write_works_out_its_own_again(
        engine, make_ctx):
    """Each subject's points still to win in a subtree (what a root's lists of the subjects
    most at risk read) are its own scorecard's, fresh; a write in the committee works out
    again the committee, the ministry and the department analysed, the others read as kept."""
    ctx = record_ministry(engine, make_ctx(TODAY))["ctx"]
    settings = ScoreSettings()

    def fresh(s) -> dict[str, float]:
        return {r["subject"]: r.get("at_risk_points") or 0 for r in scoring.scorecards(
            s, ctx, "MF", YEAR, settings, subtree=True, leads=True)}

    def worked_out(s) -> int:  # the subjects' figures kept so far, one per version
        return sum(1 for key in kept._cache(s) if key[0] == "points still to win, each")

    with Session(engine) as s:
        first = kept.kept_points(s, ctx, "MF", YEAR, settings)
        assert first == fresh(s) and len(first) > 2 and any(first.values())
        assert kept.kept_points(s, ctx, "MF", YEAR, settings) == first
        before = worked_out(s)
        assert before == len(first)
        module_of("planning", "service").plan_analysis(
            s, ctx, "MF-K", "MF-K-T2", date(2025, 10, 1), date(2025, 11, 10))
        s.commit()
        assert kept.kept_points(s, ctx, "MF", YEAR, settings) == fresh(s)
        assert worked_out(s) == before + 3  # MF, MF-K and MF-K-T2
