"""The case page's recording forms: the fields each event needs (from its definition), every
problem of a submitted form at once, and the one-time confirmation shown after the redirect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Request, Response

from workflow.core.definition import BUILTIN_EVIDENCE, Definition, Event, EvidenceSpec, FieldSpec
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.core.kinds import APPROVER_ROLES
from workflow.core.limits import ungrouped
from workflow.core.links import format_links
from workflow.core.machine import MAX_TEXT, builtin_evidence, clean_evidence, evidence_problems
from workflow.core.names import name_in
from workflow.i18n import Translator
from workflow.services.views import CaseRecord, CaseView

FLASH_COOKIE = "merzim_flash"
FLASH_SECONDS = 120  # time enough for the redirect; consumed by the first page that shows it
INPUT_TYPES = {"url": "url", "date": "date"}  # a whole number: text, "4 500 000" accepted
LINK_ROWS = 5  # a links field's rows in a form (up to MAX_LINKS: the CLI and the API)
APPROVED_BY = "approver_role"  # the built-in evidence of who approved a document


@dataclass
class Field:
    """One input of an event's form."""

    key: str  # the evidence key
    name: str  # the input's name: the key for built-in evidence, ev_<key> for a declared one
    label: str
    type: str  # text | url | date | period | organisation | role | integer | choice
    required: bool
    grouped: bool = False  # one of an alternative group: neither required nor optional alone
    choices: list[tuple[str, str]] = field(default_factory=list)  # (code, name): a select's
    # type "links": one row per link, (channel input, URL input, channel preselected)
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    hint: str = ""  # what to write in it, shown under it (the definition's `hints`)

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.type, "text")


@dataclass
class EventForm:
    key: str
    name: str
    fields: list[Field]
    one_of: str | None  # "Link, or Document number and Signed by": alternative evidence
    ends: bool = False  # a terminal event: it closes the case with its outcome


@dataclass
class Problem:
    """One reason a form is refused, for the summary at the top and next to its field."""

    message: str
    key: str  # the message key (audited)
    field: str | None = None  # the input's name, when it is about one
    usage: bool = False  # malformed input (422) rather than the rules' refusal (409)


class FormProblems(MerzimError):
    """A submitted form with one or more problems: all are shown at once, nothing is stored."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message, key=problems[0].key)
        self.problems = problems

    @property
    def status(self) -> int:
        return 422 if any(p.usage for p in self.problems) else 409


def input_name(key: str) -> str:
    return key if key in BUILTIN_EVIDENCE else f"ev_{key}"


def label(defn: Definition, key: str, t: Translator) -> str:
    """An evidence field's name in the reader's language: the definition's, or the catalogue's
    for the built-in ones."""
    spec = defn.evidence.get(key)
    if spec is not None and spec.names:
        return name_in(spec.names, t.language)
    return t(f"form.{key}")


def hint_of(defn: Definition, key: str, t: Translator) -> str:
    """What to write in an evidence field, in the reader's language ("" when the definition
    gives no `hints`)."""
    spec = defn.evidence.get(key)
    return name_in(spec.hints, t.language) if spec is not None and spec.hints else ""


def event_form(defn: Definition, spec: Event, t: Translator,
               organisations: list[tuple[str, str]]) -> EventForm:
    """The inputs an event needs, as its definition says: the evidence it (or the stage it
    completes) requires, each alternative group's fields, and an optional note."""
    required = defn.requirements(spec)
    groups = defn.evidence_groups(spec)
    grouped = {k for g in groups for k in g}
    keys = list(dict.fromkeys([*required, *(k for g in groups for k in g), *spec.optional,
                               "note"]))
    if APPROVED_BY in defn.evidence and ({"number", "signed_by"} & set(keys)):
        # a signed document: who approved it, for the cross-platform's check (000:L59-69)
        keys.insert(max(keys.index(k) for k in ("number", "signed_by") if k in keys) + 1,
                    APPROVED_BY)
    roles = [(r, t(f"approver.{r}")) for r in APPROVER_ROLES]
    fields = []
    for key in dict.fromkeys(keys):
        kind = defn.evidence[key].type if key in defn.evidence else "text"
        fields.append(Field(key, input_name(key), label(defn, key, t), kind, key in required,
                            key in grouped and key not in required,
                            organisations if kind == "organisation" else
                            roles if kind == "role" else
                            choice_list(defn.evidence[key], t) if kind in ("choice", "links")
                            else [], link_rows(defn.evidence[key]) if kind == "links" else [],
                            hint_of(defn, key, t)))
    return EventForm(spec.key, name_in(spec.names, t.language), fields,
                     groups_text(defn, groups, t) if groups else None, spec.terminal)


def choice_list(spec: EvidenceSpec | FieldSpec, t: Translator) -> list[tuple[str, str]]:
    """A choice field's values with their names in the reader's language (the value itself
    when the definition names none)."""
    return [(c, name_in(spec.choice_names[c], t.language) if c in spec.choice_names else c)
            for c in spec.choices]


def groups_text(defn: Definition, groups: tuple[tuple[str, ...], ...], t: Translator) -> str:
    """Alternative evidence in words: "Link, or Document number and Signed by"."""
    return t("record.or").join(t("record.and").join(label(defn, k, t) for k in g)
                               for g in groups)


def link_rows(spec: EvidenceSpec) -> list[tuple[str, str, str]]:
    """A links field's rows in a form (I-15): one per channel, that channel chosen,
    and two more to choose; a row left without its URL is no link. Inputs lc_KEY_N (the
    channel) and lk_KEY_N (the URL): plain HTML, no script."""
    preset = [*spec.choices, "", ""]
    return [(f"lc_{spec.key}_{n}", f"lk_{spec.key}_{n}", channel)
            for n, channel in enumerate(preset[:LINK_ROWS])]


def is_evidence(name: str) -> bool:
    """Whether a form input carries evidence."""
    return name in BUILTIN_EVIDENCE or name.startswith(("ev_", "lc_", "lk_"))


def evidence_of(form: dict[str, str]) -> dict[str, str]:
    """The evidence a submitted form carries: built-in fields by name, declared ones as ev_*,
    a links field's rows (lc_KEY_N, lk_KEY_N) as its text, "CHANNEL URL" a line."""
    evidence = {k[3:]: v for k, v in form.items() if k.startswith("ev_")}
    rows: dict[str, dict[int, tuple[str, str]]] = {}
    for name, url in form.items():
        key, _, n = name[3:].rpartition("_")
        if name.startswith("lk_") and key and n.isdigit():
            rows.setdefault(key, {})[int(n)] = (form.get(f"lc_{key}_{n}", ""), url)
    for key, given in rows.items():
        text = format_links(given[n] for n in sorted(given))
        if text:
            evidence[key] = text
    evidence.update(builtin_evidence(form))
    return evidence


def check_form(defn: Definition, form: dict[str, str], today: date,
               t: Translator) -> tuple[date | None, dict[str, str]]:
    """The date and evidence of a submitted event form, or FormProblems with every problem of
    its date and evidence at once (the service then applies the rest of the rules)."""
    from workflow.core.dates import not_in_future, parse_day

    problems: list[Problem] = []
    text = form.get("date", "").strip()
    on = None
    what = t("form.date")
    if not text:
        problems.append(Problem(t("record.required", field=what), "error.bad_date", "date", True))
    else:
        try:
            on = parse_day(text, what)
            not_in_future(on, today)
        except UsageError as exc:
            problems.append(Problem(exc.render(t), exc.key, "date", True))
        except RuleViolation as exc:
            problems.append(Problem(exc.render(t), exc.key, "date"))
    evidence = {k: ungrouped(v) if v and k in defn.evidence and defn.evidence[k].type == "integer"
                else v for k, v in evidence_of(form).items()}
    spec = defn.events.get(form.get("event", ""))
    if spec is not None:  # an unknown event is the service's refusal
        problems += [_problem(defn, exc, t)
                     for exc in evidence_problems(defn, spec, clean_evidence(evidence))]
    if problems:
        raise FormProblems(problems)
    return on, evidence


def _problem(defn: Definition, exc: RuleViolation, t: Translator) -> Problem:
    """A core evidence refusal in the reader's words, naming the field by its label."""
    key = exc.params.get("field")
    name = label(defn, key, t) if key else ""
    where = input_name(key) if key else None
    if exc.key == "rule.missing_evidence":
        return Problem(t("record.required", field=name), exc.key, where)
    if exc.key == "rule.missing_evidence_any":
        spec = defn.events[exc.params["event"]]
        return Problem(t("record.one_of", groups=groups_text(defn, defn.evidence_groups(spec), t)),
                       exc.key)
    if exc.key == "rule.too_long":
        return Problem(t.n("record.too_long", exc.params.get("limit", MAX_TEXT), field=name),
                       exc.key, where)
    if exc.key == "rule.bad_url":
        return Problem(t("record.bad_url", field=name), exc.key, where)
    return Problem(defn.name_keys(exc).render(t), exc.key, where, isinstance(exc, UsageError))


def problems_of(exc: MerzimError, t: Translator) -> list[Problem]:
    """Any refusal as the list of problems a page shows."""
    if isinstance(exc, FormProblems):
        return exc.problems
    return [Problem(exc.render(t), exc.key, None, isinstance(exc, UsageError))]


# -- the one-time confirmation ------------------------------------------------------------------
#
# After a successful POST the browser is redirected (303) to the case page, which shows what was
# saved once. What to show travels in a cookie limited to that case's pages, signed with the
# session's own secret (its CSRF token) so that no other session or site can plant one, and
# deleted by the page that shows it: reloading or coming back later shows nothing.


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"flash:{payload}".encode(), hashlib.sha256).hexdigest()[:32]


def set_flash(response: Response, secure: bool, secret: str, case_id: int,
              **what: Any) -> None:
    payload = base64.urlsafe_b64encode(json.dumps({"case": case_id, **what}).encode()).decode()
    payload = payload.rstrip("=")  # a cookie value without quotes
    response.set_cookie(FLASH_COOKIE, f"{payload}.{_sign(secret, payload)}",
                        max_age=FLASH_SECONDS, path=f"/cases/{case_id}", httponly=True,
                        samesite="lax", secure=secure)


def take_flash(request: Request, secret: str, case_id: int) -> dict[str, Any] | None:
    """The confirmation waiting for this case's page (None: none, or not this session's)."""
    value = request.cookies.get(FLASH_COOKIE, "")
    payload, _, sig = value.partition(".")
    if not payload or not hmac.compare_digest(sig, _sign(secret, payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("case") == case_id else None


def drop_flash(response: Response, case_id: int) -> None:
    response.delete_cookie(FLASH_COOKIE, path=f"/cases/{case_id}")


def record_name(defn: Definition, record: CaseRecord, lang: str) -> str:
    """What a record is, in the reader's words: its event's name, or the stage it closed as
    not done, said so (a stage key may also be an event's: "not done" is never offered as
    done)."""
    key = record.event
    if record.kind == "not_done":
        return Translator(lang)("history.not_done_label", stage=defn.stage_name(key, lang))
    if key in defn.events:
        return name_in(defn.events[key].names, lang)
    return defn.stage_name(key, lang)


def _names_record(record: CaseRecord, target: str) -> bool:
    """Whether a void's target (a record number or an event key, as the service takes it)
    names this record."""
    return record.id == int(target) if target.isdigit() else record.event == target


def standing_record(records: list[CaseRecord], target: str) -> CaseRecord | None:
    """The record a void's target names among those that stand (the last, as the service)."""
    return next((r for r in reversed(records) if r.kind != "void" and not r.void
                 and _names_record(r, target)), None)


@dataclass(frozen=True, slots=True)
class Voidable:
    """A record that stands, as the void form offers it: its number, name and date."""

    id: int
    name: str
    on: date


def voidable(defn: Definition, records: list[CaseRecord], lang: str) -> list[Voidable]:
    """The records the void form offers: every one that stands, named in the reader's words."""
    return [Voidable(r.id, record_name(defn, r, lang), r.on) for r in records
            if r.kind != "void" and not r.void]


def flash_message(flash: dict[str, Any], defn: Definition, view: CaseView,
                  t: Translator) -> str | None:
    """The confirmation's text in the reader's language, naming the event, stage or record."""
    kind, what = flash.get("kind"), str(flash.get("what", ""))
    if kind == "event" and what in defn.events:
        return t("record.saved", event=name_in(defn.events[what].names, t.language, what),
                 date=flash.get("on", ""))
    if kind == "not_done":
        return t("record.not_done_saved", stage=defn.stage_name(what, t.language))
    if kind == "void":
        found = next((r for r in reversed(view.records) if r.kind != "void" and r.void
                      and _names_record(r, what)), None)
        if found is not None:
            return t("record.void_saved", record=what,
                     event=record_name(defn, found, t.language), date=found.on.isoformat())
    if kind == "withdraw":
        return t("withdraw.saved", id=what)
    if kind == "restore":
        return t("restore.saved", id=what)
    if kind in ("link_opened", "linked", "unlinked"):  # P-22: opened, linked, undone
        return t({"link_opened": "link.opened", "linked": "link.linked",
                  "unlinked": "link.unlinked"}[kind], id=what, case=view.id)
    if kind == "edit":
        return t("case.edited", id=what)
    if kind in ("files", "file_public", "file_private", "file_void"):  # web/files_page.py
        return (t.n("files.attached", int(what)) if kind == "files" and what.isdigit()
                else t(f"files.{kind}_saved", name=what))
    return None
