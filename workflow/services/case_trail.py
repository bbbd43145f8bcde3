"""The lines of a case's history read from its audit trail alone: each correction of its
opening values, a file made public or private, a register entry withdrawn with a voided record,
each view of a person's case or copy of its file, a protected person shown to the officer a
case was handed to (a disclosure, P-26), and each refused attempt — so that every audit
record written about a case is in its history (`withdrawal.case_history` adds the records, files,
the opening, assignments, withdrawals and links it reads from their own tables and records).

A correction (`case.edit`) is shown with each value it changed: the value's label in the
reader's words (a field's or a date's names from the definition, the person and the position
from the catalogue) and its old and new value as the case page shows it (a choice by its name,
a whole number grouped, a date as a date), with the reason. The person's name and position, a
personal field and the reason are shown only to those who may see the person (`show_person`):
anyone else reads that they changed, not what they were.
"""

from __future__ import annotations

import json
from typing import Any

from workflow.core.definition import Definition
from workflow.core.names import name_in
from workflow.services.recorded import field_values
from workflow.storage.models import COMMENT, COMMENT_EDIT, AuditRecord

CORRECTED, FILE_SHOWN, VOID_LINKED, VIEWED, DOWNLOADED, REFUSED, OTHER = (
    "corrected", "file_public", "void_linked", "viewed", "file_downloaded", "refused",
    "other")  # the history's kinds read from the trail alone
FOLLOWED, FOLLOW = "followed", "case.follow"  # an entry followed its procedure (link_follow.py)
COMMENTED, COMMENT_EDITED = "commented", "comment_edited"
DISCLOSED, DISCLOSE = "disclosed", "person.disclosed"  # (services/visibility.py DISCLOSED)
EDIT, VOID_LINKED_ACTION, VIEW, DOWNLOAD = (
    "case.edit", "case.void_linked", "view.person_case", "file.download")
PUBLIC, PRIVATE = "file.public", "file.private"
PERSONAL = ("person", "position")


def _payload(record: AuditRecord) -> dict[str, Any]:
    try:
        payload = json.loads(record.payload)
    except (TypeError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _field_change(defn: Definition, key: str, old: Any, new: Any, lang: str,
                  shown: bool) -> dict[str, Any]:
    spec = defn.fields.get(key)
    hidden = not shown and spec is not None and spec.personal

    def text(value: Any) -> str | None:
        if value in (None, "") or hidden:
            return None
        labelled = field_values(defn, {key: value}, lang)
        return labelled[0].text if labelled else str(value)

    label = name_in(spec.names, lang, key) if spec is not None else key
    return {"field": key, "label": label, "old": text(old), "new": text(new),
            **({"hidden": True} if hidden else {})}


def _date_label(defn: Definition, key: str, lang: str) -> str:
    named = defn.dates.get(key)
    return name_in(named.names, lang, key) if named is not None and named.names else key


def corrections(defn: Definition, payload: dict[str, Any], lang: str, t: Any,
                shown: bool) -> list[dict[str, Any]]:
    """Each value a correction changed: `field`, `label`, `old`, `new` (None: none, or hidden
    with `hidden`), in the order person, position, fields, dates."""
    old, new = payload.get("old") or {}, payload.get("new") or {}
    out: list[dict[str, Any]] = []
    for part in PERSONAL:
        if part in old or part in new:
            out.append({"field": part, "label": t(f"history.edit_{part}"),
                        "old": old.get(part) if shown else None,
                        "new": new.get(part) if shown else None,
                        **({} if shown else {"hidden": True})})
    old_f, new_f = old.get("fields") or {}, new.get("fields") or {}
    for key in dict.fromkeys([*old_f, *new_f]):
        out.append(_field_change(defn, key, old_f.get(key), new_f.get(key), lang, shown))
    old_d, new_d = old.get("dates") or {}, new.get("dates") or {}
    for key in dict.fromkeys([*old_d, *new_d]):
        out.append({"field": key, "label": _date_label(defn, key, lang),
                    "old": old_d.get(key), "new": new_d.get(key)})
    return out


def trail_entry(defn: Definition, record: AuditRecord, lang: str, t: Any, show_person: bool,
                show_files: bool) -> dict[str, Any]:
    """One history line of an audit record no table of the case keeps."""
    payload = _payload(record)
    base: dict[str, Any] = {"action": record.action, "at": record.at, "actor": record.actor}
    if record.action == EDIT:
        return {**base, "kind": CORRECTED,
                "changes": corrections(defn, payload, lang, t, show_person),
                "moved": len(payload.get("moved") or []),
                "note": payload.get("reason") if show_person else None}
    if record.action in (PUBLIC, PRIVATE, DOWNLOAD):
        return {**base, "kind": DOWNLOADED if record.action == DOWNLOAD else FILE_SHOWN,
                "public": record.action == PUBLIC, "file": payload.get("file"),
                "file_name": payload.get("name") if show_files else None}
    if record.action == FOLLOW:  # the entry's side names what changed; the procedure's, whom
        mine = payload.get("role") == "made_by"
        return {**base, "kind": FOLLOWED, "other": payload.get("other"),
                "role": payload.get("role"), "entry_record": payload.get("entry_record"),
                "changes": corrections(defn, payload, lang, t, show_person) if mine else []}
    if record.action == VOID_LINKED_ACTION:
        return {**base, "kind": VOID_LINKED, "other": payload.get("entry"),
                "note": payload.get("note") if show_person else None}
    if record.action in (COMMENT, COMMENT_EDIT):
        return {**base, "kind": COMMENTED if record.action == COMMENT else COMMENT_EDITED,
                "comment": payload.get("comment"), "mentions": payload.get("mentions") or []}
    if record.action == DISCLOSE:  # a protected person shown to one more account (P-26)
        return {**base, "kind": DISCLOSED, "to": payload.get("seen_by"),
                "from": payload.get("before"), "paper": payload.get("paper"),
                "paper_names": payload.get("paper_names") or {}}
    if record.action == VIEW:
        return {**base, "kind": VIEWED, "person_shown": bool(payload.get("person_shown", True))}
    if record.action.startswith("refused"):
        return {**base, "kind": REFUSED, "refusal": payload.get("key")}
    return {**base, "kind": OTHER}


def line(h: dict[str, Any], t: Any) -> str | None:
    """A trail line in words (the command line's and the page's), None for another kind."""
    kind = h.get("kind")
    if kind == CORRECTED:
        parts = [t("history.edit_change", label=c["label"],
                   old=c["old"] if c.get("old") is not None else "—",
                   new=c["new"] if c.get("new") is not None else "—")
                 if not c.get("hidden") else t("history.edit_hidden", label=c["label"])
                 for c in h.get("changes") or []]
        return t("history.corrected") + ": " + "; ".join(parts)
    if kind == FILE_SHOWN:
        name = h.get("file_name") or f"#{h.get('file')}"
        return t("history.file_made_public" if h.get("public") else "history.file_made_private",
                 file=name)
    if kind == DOWNLOADED:
        return t("history.file_downloaded", file=h.get("file_name") or f"#{h.get('file')}")
    if kind == VOID_LINKED:
        return t("history.void_linked", id=h.get("other"))
    if kind == FOLLOWED:
        parts = [t("history.edit_change", label=c["label"],
                   old=c["old"] if c.get("old") is not None else "—",
                   new=c["new"] if c.get("new") is not None else "—")
                 for c in h.get("changes") or [] if not c.get("hidden")]
        text = t(f"history.follow_{h.get('role')}", id=h.get("other"))
        return text + (": " + "; ".join(parts) if parts else "")
    if kind in (COMMENTED, COMMENT_EDITED):
        return t("comments.history_written" if kind == COMMENTED else "comments.history_edited",
                 id=h.get("comment"))
    if kind == DISCLOSED and h.get("paper"):  # a paper showing her, drafted
        names = h.get("paper_names") or {}
        return t("history.disclosed_paper", login=h.get("to") or "—",
                 paper=names.get(t.language) or names.get("en") or h["paper"])
    if kind == DISCLOSED:
        return t("history.disclosed", login=h.get("to") or "—")
    if kind == VIEWED:
        return t("history.viewed" if h.get("person_shown") else "history.viewed_hidden")
    if kind == REFUSED:
        return t("history.refused")
    if kind == OTHER:
        return t("history.other")
    return None
