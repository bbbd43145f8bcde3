"""The procedures and registers as the menu and the "new entry" picker show them: grouped by
the project of the methodology they serve, each group sorted by name in the reader's language,
and only those the viewer may open for her organisation's kind.

A definition's project comes from its `[scorecard]` table: a register of projects No. 2-4 names
the indicator its entries feed (its first figure is the project: "3.3.1" is project No. 3's); the
internal analysis of corruption risks is scored by project No. 1's steps. Every other
definition — a procedure about a person, a recurring obligation with no indicator, a register
that feeds none (a competition's document review, an akimat commission's schedule) — is in the
group of procedures and obligations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web.kit.deps import PageContext
from workflow import services as svc
from workflow.core.collation import sort_key
from workflow.core.definition import Definition
from workflow.core.names import name_in
from workflow.services import recorded, search, visibility
from workflow.services.visibility import Account

PROJECTS = (1, 2, 3, 4)
REGISTER_PROJECTS = (2, 3, 4)  # the projects whose definitions are registers with a page


def project_of(defn: Definition) -> int | None:
    """The project a definition serves (1-4), or None (a procedure or obligation of its own)."""
    spec = defn.scorecard
    if spec is None:
        return None
    if spec.indicator:
        head = spec.indicator.split(".", 1)[0]
        return int(head) if head.isdigit() and int(head) in PROJECTS else None
    return 1 if spec.stages or spec.events else None


def is_register(defn: Definition) -> bool:
    """Whether a definition has a register page (a register of projects No. 2-4)."""
    return project_of(defn) in REGISTER_PROJECTS


def opens_here(defn: Definition, user: Account, kind: str | None) -> bool:
    """Whether the picker offers the definition: an admin any (she chooses the subject; the
    service refuses a kind it does not apply to), an officer one that applies to her
    organisation's kind (`[process] applies_to`; a recurring obligation: enabled and applying
    to it), a manager none (she does not record)."""
    if not visibility.records(user):
        return False
    if defn.recurrence is not None and not defn.recurrence.enabled:
        return False
    if not visibility.own_only(user):  # an admin: any organisation she sees
        return True
    return applies_to(defn, kind)


def applies_to(defn: Definition, kind: str | None) -> bool:
    """Whether a register (a procedure, an obligation) concerns an organisation of `kind`: its
    `[process] applies_to`, a recurring obligation's its [recurrence]'s (a district akimat
    keeps no quasi-state entity's register)."""
    if defn.recurrence is not None and kind not in defn.recurrence.applies_to:
        return False
    return defn.opens_for(kind)


def grouped(definitions: Iterable[Definition], language: str) -> list[dict[str, Any]]:
    """The definitions by project (1-4, then the rest: `project` None), each group sorted by
    name in `language`; an empty group left out."""
    groups: dict[int | None, list[Definition]] = {n: [] for n in (*PROJECTS, None)}
    for defn in definitions:
        groups[project_of(defn)].append(defn)
    return [{"project": n, "definitions": sorted(
                found, key=lambda d: sort_key(d.name(language), language))}
            for n, found in groups.items() if found]


def own_columns(defn: Definition, t: Any) -> dict[str, Any]:
    """A register's own columns, labelled in the reader's language (`t`): whether it has a
    person (and position), then (key, label) of each field, each date given at opening and
    each key evidence of its counted stage, in the definition's order."""
    lang = t.language
    given = [k for k, d in defn.dates.items() if d.given != "none"]
    return {"person": defn.parties.person != "none",
            "fields": [(k, name_in(f.names, lang, k)) for k, f in defn.fields.items()],
            "dates": [(k, name_in(defn.dates[k].names, lang, k) if defn.dates[k].names else k)
                      for k in given],
            "evidence": [(k, recorded.evidence_label(defn, k, lang, t))
                         for k in recorded.key_evidence(defn)]}


def own_values(pc: PageContext, defn: Definition, shown: list[search.Found],
               columns: dict[str, Any], persons: bool = True) -> dict[int, dict[str, Any]]:
    """Each case's values in `own_columns`' order, as text, by id: `person`, `position`,
    `fields`, `dates`, `evidence`. The person, a field that may name her and the evidence are
    "hidden" to those who may not see her (as on the case page); each case about a person is
    audited as seen, with its person shown or hidden (in the caller's transaction). Without
    `persons` (the cases list, which names no person) they are hidden to everyone, unaudited."""
    viewer, t, lang = pc.viewer, pc.t, pc.t.language
    ids = [f.id for f in shown]
    entries = search.entries_of(pc.s, ids)
    counted = defn.scorecard.counted if defn.scorecard is not None else None
    evidence = (search.stage_evidence_of(pc.s, ids, counted)
                if columns["evidence"] and counted else {})
    hidden = t("web.person_hidden")
    about = defn.parties.person != "none"  # a case about a person
    out: dict[int, dict[str, Any]] = {}
    for f in shown:
        fields, dates = entries.get(f.id, ({}, {}))
        shown_person = persons and about and visibility.may_see_person(
            viewer.user, f, defn)
        if persons and about:
            svc.audit_person_seen(pc.s, pc.ctx, f.id, f.person_name is not None and shown_person)
        private = about and not shown_person
        values = []
        for key, _label in columns["fields"]:
            value = fields.get(key)
            if value in (None, ""):
                values.append("")
            elif defn.fields[key].personal and private:
                values.append(hidden)
            else:
                item = next(iter(recorded.field_values(defn, {key: value}, lang)), None)
                values.append(item.text if item is not None else "")
        record = evidence.get(f.id) or {}
        out[f.id] = {
            "person": (f.person_name or "") if shown_person else hidden,
            "position": (f.person_position or "") if shown_person else hidden,
            "fields": values,
            "dates": [str(dates.get(k) or "") for k, _label in columns["dates"]],
            "evidence": [("" if record.get(k) in (None, "") else hidden if private else
                          recorded.evidence_value(defn, k, record[k], lang, t).text)
                         for k, _label in columns["evidence"]]}
    return out
