"""The kinds of organisation (a module of its own: reading the settings' scorecard table needs
them, not the whole definition model)."""

# Organisation kinds (the tree of 000:L92-108); recurring obligations name whom they apply to.
# The last three are parts of a body's apparatus, the "subdivisions" of 001:L176-185: a central
# body's apparatus departments and independent directorates, an akim's apparatus.
# "city_akimat" is the akimat of a city of republican significance (Astana, Almaty, Shymkent),
# a local executive body beside the regions' (000:L59-61, L92-94); "district_department" is a
# district akimat's department, its "отдел" (the "аудандық бөлімдер" of 000:L96).
ORG_KINDS = ("central_body", "committee", "territorial_department", "akimat", "department",
             "district_akimat", "quasi_state", "apparatus_department", "independent_directorate",
             "akim_apparatus", "city_akimat", "district_department")
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
