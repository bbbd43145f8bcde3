"""A city of republican significance's akimat is evaluated as a regional akimat, and a
district's department (отдел) as a department (000:L59-61, L92-98; workflow/core/kinds.py,
COUNTS_AS): the same tree and the same analyses score the same points whichever of the two
kinds they carry, under the default settings and under a config.toml that names `akimat`
alone."""

from __future__ import annotations

from datetime import date

from tests.support.features import module_of

rules = module_of("scorecard", "rules")

DONE = rules.Step(done=True)
OVERDUE = rules.Step(open=True, due=date(2025, 6, 30))
ALL = tuple(r for r in rules.STEP_ROLES if r != "cartogram_updated")
REGION = [("OBL", "akimat", None), ("OBL-APP", "akim_apparatus", "OBL"),
          ("OBL-EDU", "department", "OBL"), ("OBL-HLT", "department", "OBL"),
          ("OBL-D1", "district_akimat", "OBL"), ("OBL-D1-EDU", "department", "OBL-D1"),
          ("OBL-QS1", "quasi_state", "OBL")]
# the same organisations as a city's: its akimat and the district's own department an "отдел"
CITY = [("OBL", "city_akimat", None), *REGION[1:5], ("OBL-D1-EDU", "district_department", "OBL-D1"),
        REGION[6]]


def _analysis(ident: int, obj: str, subject: str, done=ALL):
    steps = {role: DONE if role in done else OVERDUE for role in rules.STEP_ROLES}
    return rules.AnalysisFacts(ident, subject, obj, date(2025, 3, 3), steps)


def _card(kind: str, tree, settings):
    analyses = [_analysis(1, "OBL-APP", "OBL"),
                _analysis(2, "OBL-EDU", "OBL", done=(*ALL, "cartogram_updated")),
                _analysis(3, "OBL-D1-EDU", "OBL-D1", done=("ordered", "positions_approved"))]
    facts = rules.SubjectFacts(subject="OBL", subject_kind=kind, year=2025,
                               today=date(2026, 2, 2), tree=tuple(rules.Org(*o) for o in tree),
                               analyses=tuple(analyses), schedule_approved=True, risks=(),
                               external=None, cartogram_recorded=True)
    return rules.score(facts, settings)


def test_a_city_akimat_scores_the_points_a_regional_akimat_scores():
    for settings in (rules.ScoreSettings(),
                     rules.ScoreSettings.from_config({"positions_kinds": ["akimat"],
                                                      "cartogram_kinds": ["akimat"]})):
        region, city = _card("akimat", REGION, settings), _card("city_akimat", CITY, settings)
        assert city["indicators"] == region["indicators"]
        assert (city["awards"], city["deductions"], city["total"]) == (
            region["awards"], region["deductions"], region["total"])
        # evaluated, not "info": 1.4.1 and 1.5.1 are a region's indicators
        kinds = {i["key"]: i["kind"] for i in city["indicators"]}
        assert kinds["1.4.1"] != "info" and kinds["1.5.1"] != "info"


def test_every_kind_list_of_the_settings_names_the_new_kinds_with_theirs():
    settings = rules.ScoreSettings.from_config({"commission_kinds": ["akimat"],
                                                "positions_bodies": ["department"]})
    for key in rules.KIND_LISTS:
        kinds = getattr(settings, key)
        assert ("akimat" in kinds) == ("city_akimat" in kinds), key
        assert ("department" in kinds) == ("district_department" in kinds), key
    assert dict(settings.subdivisions)["city_akimat"] == dict(settings.subdivisions)["akimat"]
