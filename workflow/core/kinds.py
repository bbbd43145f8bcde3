"""The kinds of organisation (a module of its own: reading the settings' scorecard table needs
them, not the whole definition model)."""

from collections.abc import Iterable

# Organisation kinds (the tree of 000:L92-108); recurring obligations name whom they apply to.
# apparatus_department, independent_directorate and akim_apparatus are parts of a body's
# apparatus, the "subdivisions" of 001:L176-185: a central body's apparatus departments and
# independent directorates, an akim's apparatus.
# "city_akimat" is the akimat of a city of republican significance (Astana, Almaty, Shymkent),
# a local executive body beside the regions' (000:L59-61, L92-94); "district_department" is a
# district akimat's department, its "отдел" (the "аудандық бөлімдер" of 000:L96).
ORG_KINDS = ("central_body", "committee", "territorial_department", "akimat", "department",
             "district_akimat", "quasi_state", "apparatus_department", "independent_directorate",
             "akim_apparatus", "city_akimat", "district_department")
# A kind evaluated as another wherever a definition, a setting or a rule names kinds: a city of
# republican significance's akimat is a local executive body as a region's is (000:L59-61 names
# "облыстардың және республикалық маңызы бар қалалардың жергілікті атқарушы органдары"
# together; L92-98: the apparatuses of the akims "облыс және қала әкімдерінің" implement the
# tasks alike), so it gets every obligation, register and scorecard rule `akimat` gets; a
# district department is a district's subdivision as the departments are (L94-98: "облыстық
# басқармалар мен аудандық бөлімдер" implement the tasks together), so it gets what
# `department` gets. Who approves a confirming document is the one difference, by its own
# lines (workflow/platform/implementation_map.toml).
COUNTS_AS = {"city_akimat": "akimat", "district_department": "department"}


def widened(kinds: Iterable[str]) -> tuple[str, ...]:
    """The kinds named and each kind that counts as one of them (`COUNTS_AS`), in order: how
    every list of kinds a definition or a setting gives is read."""
    named = tuple(dict.fromkeys(kinds))
    more = [k for k, like in COUNTS_AS.items() if like in named and k not in named]
    return (*named, *more)


# Names offices write for a kind besides its label in each language (an import reads them
# folded: any case, spacing and punctuation).
KIND_NAMES = {
    "akimat": ("акимат области", "облыстың әкімдігі", "облыс әкімдігі"),
    "department": ("управление акимата области", "облыстық басқарма"),
    "district_akimat": ("акимат района", "аудан әкімдігі", "акимат города областного значения"),
    "city_akimat": ("акимат города республиканского значения",
                    "республикалық маңызы бар қала әкімдігі", "акимат города",
                    "қала әкімдігі", "city akimat"),
    "district_department": ("отдел", "отдел акимата района", "районный отдел",
                            "аудандық бөлім", "аудан әкімдігінің бөлімі", "бөлім"),
}
# Kinds that are not state bodies: the external-analysis rules (000:L174-180, 001:L7-13) speak
# of a state body ("мемлекеттік органда") only.
NON_STATE_KINDS = ("quasi_state",)
# Who signs or approves a confirming document for the cross-platform (000:L45-47, L59-69): the
# evidence field `approver_role` takes one of these; which a kind of organisation allows is the
# implementation map's data (workflow/definitions/platform/). "other": anyone else.
APPROVER_ROLES = ("first_head", "deputy_head", "head_of_apparatus", "district_akim", "other")
