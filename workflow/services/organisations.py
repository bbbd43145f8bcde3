"""Organisations: add (one added under an organisation still confirming its year so far
joins too: services/joining.py `join_on_addition`), list, their headcount set, their names
in the reader's language, and the forms of their names a document's sentence needs (kept,
proposed, corrected)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import Session

from workflow.core import limits
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.name_forms import kazakh, kk_genitive, ru_genitive, russian
from workflow.core.names import name_in
from workflow.services import joining
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage import audit
from workflow.storage.models import ORG_KINDS, Organisation
from workflow.storage.queries import organisations as queries


def add_org(s: Session, ctx: Context, code: str, name: str, kind: str,
            parent_code: str | None = None, name_kk: str | None = None,
            name_ru: str | None = None, headcount: int | str | None = None,
            name_ru_genitive: str | None = None,
            name_kk_genitive: str | None = None) -> Organisation:
    """Add an organisation; its names' genitive forms, when not given, are proposed from its
    names (`proposed_forms`) and kept. Refused, nothing stored: a bad code, name, kind,
    headcount or form, a code that exists, an unknown parent."""
    code, name = _checked(code, name, kind, name_kk, name_ru)
    staff = headcount_of(headcount)
    given = checked_forms({"name_ru_genitive": name_ru_genitive,
                           "name_kk_genitive": name_kk_genitive})
    if queries.org_by_code(s, code):
        raise RuleViolation(f"organisation {code} exists", key="rule.org_exists", code=code)
    parent = get_org(s, parent_code) if parent_code else None
    proposed = proposed_forms(name, name_kk, name_ru)
    org = Organisation(code=code, name=name, kind=kind, name_kk=name_kk, name_ru=name_ru,
                       parent_id=parent.id if parent else None, headcount=staff,
                       name_ru_genitive=given["name_ru_genitive"] or proposed["name_ru_genitive"],
                       name_kk_genitive=given["name_kk_genitive"] or proposed["name_kk_genitive"])
    s.add(org)
    s.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    s.add(org)
    s.flush()
    audit.append(s, ctx.actor, "org.add", "organisation", org.id,
                 {"code": code, "name": name, "kind": kind, "parent": parent_code,
                  **({"headcount": staff} if staff is not None else {})})
    joining.join_on_addition(s, ctx, [org])
    return org


HEADCOUNT_MAX = 10_000_000  # more staff than the country has: a typing error


def headcount_of(value: int | str | None) -> int | None:
    """An organisation's headcount as given (a whole number of staff, 0 or more; empty: not
    known), or the refusal of what is wrong in it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        staff = int(text)
    except ValueError:
        staff = -1
    if isinstance(value, bool) or staff < 0 or staff > HEADCOUNT_MAX:
        raise UsageError(f"headcount must be a whole number from 0 to {HEADCOUNT_MAX}, "
                         f"not {text!r}", key="org.headcount_bad", value=text,
                         limit=HEADCOUNT_MAX)
    return staff


def set_headcount(s: Session, ctx: Context, code: str, headcount: int | str | None
                  ) -> Organisation:
    """Set (or, with None or empty, clear) an organisation's headcount: the staff a
    consolidated share counts for it when it recorded no figures (B-20). Audited."""
    staff = headcount_of(headcount)
    return change_org(s, ctx, code, "headcount", staff, "org.headcount",
                      lambda before: {"before": before, "headcount": staff})


def change_org(s: Session, ctx: Context, code: str, column: str, value: Any, action: str,
               trail: Callable[[Any], dict[str, Any]]) -> Organisation:
    """Set one column of an organisation, audited as `action` with its code and what
    `trail` says of the value it had."""
    org = get_org(s, code)
    before = getattr(org, column)
    setattr(org, column, value)
    s.add(org)
    s.flush()
    audit.append(s, ctx.actor, action, "organisation", org.id, {"code": org.code, **trail(before)})
    return org


def _checked(code: str, name: str, kind: str, name_kk: str | None,
             name_ru: str | None) -> tuple[str, str]:
    """An organisation's code and name, stripped, or the refusal of what is wrong in them."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > limits.ORG_CODE or any(c.isspace() for c in code):
        raise UsageError(f"bad organisation code {code!r}", key="error.bad_code", value=code,
                         limit=limits.ORG_CODE)
    if not name or len(name) > limits.ORG_NAME:
        raise UsageError(f"organisation name must be 1-{limits.ORG_NAME} characters",
                         key="error.bad_name", limit=limits.ORG_NAME)
    for what, local in (("name_kk", name_kk), ("name_ru", name_ru)):
        if local is not None and len(local) > limits.ORG_NAME:
            raise UsageError(f"{what} must be at most {limits.ORG_NAME} characters",
                             key="error.too_long", field=what, limit=limits.ORG_NAME)
    if kind not in ORG_KINDS:
        raise UsageError(f"unknown kind {kind!r}", key="error.bad_kind", value=kind,
                         known=", ".join(ORG_KINDS))
    return code, name


# -- the forms of its name a document's sentence needs (D-4) ------------------------------------

NAME_FORMS = ("name_ru_genitive", "name_kk_genitive")


def proposed_forms(name: str, name_kk: str | None, name_ru: str | None
                   ) -> dict[str, str | None]:
    """The genitive forms proposed for an organisation's names (`core.name_forms`): the
    Russian from its Russian name (else from its only name when that is Russian), the Kazakh
    from its Kazakh name (else from its only name when that is Kazakh); None: no proposal."""
    ru = name_ru or (name if russian(name) else None)
    kk = name_kk or (name if kazakh(name) else None)
    return {"name_ru_genitive": ru_genitive(ru), "name_kk_genitive": kk_genitive(kk)}


def checked_forms(given: dict[str, str | None]) -> dict[str, str | None]:
    """The forms given (a column of `NAME_FORMS` → its text; None: not given, "": cleared),
    stripped, or the refusal of the first that is wrong: longer than a name may be, a line
    break or a control character, no letter at all."""
    out: dict[str, str | None] = {}
    for column, value in given.items():
        if value is None:
            out[column] = None
            continue
        text = value.strip()
        bad = (len(text) > limits.ORG_NAME
               or any(ord(c) < 32 or ord(c) == 127 for c in text)
               or (text and not any(c.isalpha() for c in text)))
        if bad:
            exc = UsageError(f"{column} must be a name of 1-{limits.ORG_NAME} characters on "
                             f"one line, with letters, not {text[:40]!r}", key="org.form_bad",
                             field=column, value=text[:40], limit=limits.ORG_NAME)
            exc.labels["field"] = f"org.col_{column}"
            raise exc
        out[column] = text
    return out


def set_name_forms(s: Session, ctx: Context, code: str, **given: str | None) -> Organisation:
    """Correct the genitive forms of an organisation's names (`name_ru_genitive`,
    `name_kk_genitive`; None: left as it is; "": cleared, the documents then use the
    proposal). All checked before any is stored; each change audited."""
    unknown = set(given) - set(NAME_FORMS)
    if unknown:
        raise UsageError(f"unknown form {sorted(unknown)[0]}", key="error.unknown_field",
                         field=sorted(unknown)[0])
    forms = checked_forms(given)
    org = get_org(s, code)
    for column, value in forms.items():
        if value is not None and (value or None) != getattr(org, column):
            change_org(s, ctx, code, column, value or None, "org.name_form",
                       _form_trail(column, value or None))
    return org


def _form_trail(column: str, after: str | None) -> Callable[[Any], dict[str, Any]]:
    """What the audit keeps of a form's change: which form, before and after."""
    return lambda before: {"form": column, "before": before, "after": after}


def org_genitive(org: Any, language: str) -> str:
    """The organisation's name in the genitive of `language`, as a document's sentence needs
    it ("в деятельности Департамента…", "…департаментінің қызметінде"): the form kept on it,
    else the one proposed from its name in that language, else its name as `org_name` gives it
    (a Kazakh document of an organisation with no Kazakh name: its recorded name, as
    written). English has no such form: the name."""
    if language not in ("ru", "kk"):
        return org_name(org, language)
    kept = getattr(org, f"name_{language}_genitive", None)
    return kept or proposed_forms(org.name, org.name_kk, org.name_ru)[
        f"name_{language}_genitive"] or org_name(org, language)


def units_named(s: Session, org: Organisation, texts: Iterable[str], language: str
                ) -> dict[str, str]:
    """Each of `texts` that is the code or a name (any language) of an organisation of
    `org`'s subtree → that organisation's name in `language` (a plan's responsible unit
    imported by its code, "MF-KGD-ALM", is printed by its name); any other text is left out
    (free text stays as typed). A code names its organisation before a name does."""
    wanted = {t for t in texts if t}
    out: dict[str, str] = {}
    found = queries.named_in_subtree(s, org, wanted)
    for o in found:
        if o.code in wanted:
            out[o.code] = org_name(o, language)
    for o in found:
        for text in (o.name, o.name_kk, o.name_ru):
            if text in wanted and text not in out:
                out[text] = org_name(o, language)
    return out


def children(s: Session, org: Organisation) -> list[Organisation]:
    """The organisations directly under `org`, by code (one query)."""
    return queries.children_of(s, org)


def roots(s: Session) -> list[Organisation]:
    """The organisations at the top of the tree (no parent), by code (one query)."""
    return queries.top_level(s)


def list_orgs(s: Session, under: str | None = None) -> list[Organisation]:
    return queries.orgs_in_path_order(s, get_org(s, under) if under else None)


def local_name(name: str, name_kk: str | None, name_ru: str | None, language: str) -> str:
    """A name in the reader's language when one is stored, else the default name."""
    return name_in({"kk": name_kk, "ru": name_ru}, language, name)


def org_name(org: Any, language: str) -> str:
    """The organisation's name in the reader's language (an Organisation, or a row with its
    name columns)."""
    return local_name(org.name, org.name_kk, org.name_ru, language)



def org_rows(s: Session, org: Organisation) -> list[Any]:
    """Light rows (code, names, path) of an organisation's subtree, by path (a national
    subtree has thousands: no ORM objects)."""
    return queries.subtree_rows(s, org)


def subtree_kinds(s: Session, org: Organisation) -> frozenset[str]:
    """The kinds of the organisations of an organisation's subtree (itself included)."""
    return frozenset(queries.subtree_kinds(s, org))


def org_names(s: Session) -> dict[int, str]:
    return {o.id: o.name for o in queries.all_orgs(s)}
