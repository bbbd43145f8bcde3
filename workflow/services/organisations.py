"""Organisations: add, list, import, their headcount set, and their names in the reader's
language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import Session

from workflow.core import limits
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.names import name_in
from workflow.i18n import Translator
from workflow.services.context import Context
from workflow.services.file_rows import Problem, cell_checker, labels
from workflow.services.lookup import get_org
from workflow.storage import audit
from workflow.storage.bulkinsert import insert_rows, new_ids
from workflow.storage.models import ORG_KINDS, Organisation, table_of
from workflow.storage.queries import organisations as queries


def add_org(s: Session, ctx: Context, code: str, name: str, kind: str,
            parent_code: str | None = None, name_kk: str | None = None,
            name_ru: str | None = None, headcount: int | str | None = None) -> Organisation:
    code, name = _checked(code, name, kind, name_kk, name_ru)
    staff = headcount_of(headcount)
    if queries.org_by_code(s, code):
        raise RuleViolation(f"organisation {code} exists", key="rule.org_exists", code=code)
    parent = get_org(s, parent_code) if parent_code else None
    org = Organisation(code=code, name=name, kind=kind, name_kk=name_kk, name_ru=name_ru,
                       parent_id=parent.id if parent else None, headcount=staff)
    s.add(org)
    s.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    s.add(org)
    s.flush()
    audit.append(s, ctx.actor, "org.add", "organisation", org.id,
                 {"code": code, "name": name, "kind": kind, "parent": parent_code,
                  **({"headcount": staff} if staff is not None else {})})
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


def children(s: Session, org: Organisation) -> list[Organisation]:
    """The organisations directly under `org`, by code (one query)."""
    return queries.children_of(s, org)


def list_orgs(s: Session, under: str | None = None) -> list[Organisation]:
    return queries.orgs_in_path_order(s, get_org(s, under) if under else None)


ORG_COLUMNS = ("code", "name", "kind", "parent", "name_kk", "name_ru", "headcount")
ORG_REQUIRED = ("code", "name", "kind")


class OrgsRefused(UsageError):
    """A file of organisations refused whole: every problem, one a line, each naming the row,
    the column by its label and the value, in the reader's language; nothing stored."""

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        super().__init__(f"row {first.row}, {first.column} {first.value!r}: {first.key}",
                         key="org.import_refused", n=len(problems))
        self.problems = problems

    def lines(self, t: Translator) -> list[str]:
        return [t("accounts.import_problem", row=p.row, column=t(f"org.col_{p.column}"),
                  value=p.value, rule=t(p.key, **{
                      k: ", ".join(t(x) for x in v) if isinstance(v, list) else v
                      for k, v in p.params.items()})) for p in self.problems]

    def render(self, translate) -> str:
        return "\n".join([translate.n("org.import_refused", len(self.problems)),
                          *self.lines(translate)])


def _labels(prefix: str, keys: tuple[str, ...]) -> dict[str, str]:
    """Every language's label of each key and the key itself (folded) → the key."""
    return labels(prefix, keys, str.casefold)


def org_header(header: list[str], language: str) -> dict[str, str]:
    """The file's headers (labels in kk, ru or en, or the keys) → column keys; refused naming
    the headers no column has and the columns missing, in the reader's language."""
    labels = _labels("org.col_", ORG_COLUMNS)
    found: dict[str, str] = {}
    unknown: list[str] = []
    for h in header:
        if h == "_row" or not str(h).strip():
            continue
        key = labels.get(str(h).strip().casefold())
        if key is None:
            unknown.append(str(h))
        else:
            found[h] = key
    missing = [c for c in ORG_REQUIRED if c not in found.values()]
    if unknown or missing:
        t = Translator(language)
        raise UsageError("bad header", key="org.import_header",
                         unknown=", ".join(unknown) or "-",
                         missing=", ".join(t(f"org.col_{c}") for c in missing) or "-")
    return found


class _Parents:
    """The parents a file may name: an organisation stored or added by an earlier row, by its
    code or by any of its names (letter case aside); a name two organisations share is not
    one parent."""

    def __init__(self, stored: list[tuple[str, int | None, str, str, str | None, str | None]]):
        self.by_code: dict[str, tuple[int | None, str]] = {}
        self.by_name: dict[str, set[str]] = {}
        for code, oid, path, *names in stored:
            self.add(code, oid, path, names)

    def add(self, code: str, oid: int | None, path: str, names: list[str | None]) -> None:
        self.by_code[code] = (oid, path)
        for name in names:
            if name and name.strip():
                self.by_name.setdefault(name.strip().casefold(), set()).add(code)

    def code_of(self, text: str) -> str | list[str] | None:
        """The parent's code; a list of codes when the name is ambiguous; None: unknown."""
        if text in self.by_code:
            return text
        codes = self.by_name.get(text.casefold(), set())
        if len(codes) == 1:
            return next(iter(codes))
        return sorted(codes) or None


def import_orgs(s: Session, ctx: Context, rows: Iterable[dict[str, Any]],
                within: Organisation | None = None) -> list[Organisation]:
    """Add organisations from rows (code, name, kind, parent[, name_kk, name_ru, headcount]);
    all or none. Headers in any of the three languages' labels or the keys; a kind by its
    name in any language or its key; a parent by its code or its name in any language (an
    organisation stored or added by an earlier row). A file with mistakes is refused whole
    (`OrgsRefused`): every refused cell named by its row, its column's label and its value,
    with the rule it breaks, in the reader's language; nothing stored. `within` (an
    administrator's import on an organisation's page): an empty parent is that organisation,
    and a parent stored outside its subtree is refused as outside.

    In bulk, a bounded number of statements whatever the file's length
    (tests/storage/test_org_import_bulk.py): the organisations read at once, every row checked
    in order as `add_org` checks it, the ids taken first, then one insert of the rows (their
    paths made from the ids) and one of their audit records. `add_org` one row at a time
    flushed the session's growing set of objects at every row: 5,001 organisations took 86 s,
    501 5.2 s. The organisations returned are not in the session (their code, names, path)."""
    rows = list(rows)
    if not rows:
        return []
    mapping = org_header(list(dict.fromkeys(h for row in rows for h in row)), ctx.language)
    kinds = _labels("org_kind.", ORG_KINDS)
    parents = _Parents(queries.names_ids_and_paths(s))
    audit.serialise(s)  # the write lock first: the ids after the largest stay ours (SQLite)
    problems: list[Problem] = []
    planned: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows, start=2):  # row 1 is the header
        n = int(raw.get("_row", i))  # the row's number in the file, blank rows skipped
        row = {mapping[h]: str(v if v is not None else "").strip() for h, v in raw.items()
               if h in mapping}
        if within is not None and not row.get("parent"):
            row["parent"] = within.code
        found, item = _org_row(n, row, kinds, parents, seen)
        if within is not None and item["parent"] and not found and not (
                parents.by_code[item["parent"]][1] or within.path).startswith(within.path):
            found.append(Problem(n, "parent", row["parent"], "accounts.rule_org_outside"))
        if row.get("code") and row["code"] not in seen:
            seen[row["code"]] = n
        problems += found
        if not found:
            parents.add(item["code"], None, "", [item["name"], item["name_kk"],
                                                 item["name_ru"]])
            planned.append(item)
    if problems:
        raise OrgsRefused(problems)
    return _insert_orgs(s, ctx, planned, parents.by_code)


def _org_row(n: int, row: dict[str, str], kinds: dict[str, str], parents: _Parents,
             seen: dict[str, int]) -> tuple[list[Problem], dict[str, Any]]:
    """One row of an organisations' file: its refused cells, or the organisation to add."""
    found, bad = cell_checker(n, row, ORG_REQUIRED)
    code = row.get("code", "")
    if code and (len(code) > limits.ORG_CODE or any(c.isspace() for c in code)):
        bad("code", "org.rule_code", n=limits.ORG_CODE)
    elif code in seen:
        bad("code", "org.rule_twice", row=seen[code])
    elif code and code in parents.by_code:
        bad("code", "org.rule_exists")
    for column in ("name", "name_kk", "name_ru"):
        if len(row.get(column, "")) > limits.ORG_NAME:
            bad(column, "accounts.rule_too_long", n=limits.ORG_NAME)
    kind = kinds.get(row.get("kind", "").casefold()) if row.get("kind") else None
    if row.get("kind") and kind is None:
        bad("kind", "accounts.rule_choice", choices=[f"org_kind.{k}" for k in ORG_KINDS])
    parent = parents.code_of(row["parent"]) if row.get("parent") else None
    if isinstance(parent, list):
        bad("parent", "org.rule_parent_ambiguous", codes=", ".join(parent))
    elif row.get("parent") and parent is None:
        bad("parent", "accounts.rule_org")
    staff = None
    try:
        staff = headcount_of(row.get("headcount"))
    except UsageError:
        bad("headcount", "org.rule_headcount", limit=HEADCOUNT_MAX)
    return found, {"code": code, "name": row.get("name", ""), "kind": kind,
                   "parent": parent if isinstance(parent, str) else None,
                   "name_kk": row.get("name_kk") or None, "name_ru": row.get("name_ru") or None,
                   "headcount": staff}


def _insert_orgs(s: Session, ctx: Context, planned: list[dict[str, Any]],
                 known: dict[str, tuple[int | None, str]]) -> list[Organisation]:
    """The organisations checked, in a few statements: the ids first, the rows (their paths
    made from the ids, a parent stored or added by an earlier row: `known`, by code), their
    audit records."""
    ids = iter(new_ids(s, Organisation, len(planned)))
    added: list[Organisation] = []
    records: list[tuple[str, str, Any, str]] = []
    for item in planned:
        oid = next(ids)
        parent_id, parent_path = known[item["parent"]] if item["parent"] else (None, "/")
        path = f"{parent_path}{oid}/"
        known[item["code"]] = (oid, path)
        added.append(Organisation(id=oid, code=item["code"], name=item["name"],
                                  kind=item["kind"], name_kk=item["name_kk"],
                                  name_ru=item["name_ru"], parent_id=parent_id, path=path,
                                  headcount=item["headcount"]))
        records.append(("org.add", "organisation", oid, audit.canonical(
            {"code": item["code"], "name": item["name"], "kind": item["kind"],
             "parent": item["parent"],
             **({"headcount": item["headcount"]} if item["headcount"] is not None else {})})))
    columns = ("id", "code", "name", "name_kk", "name_ru", "kind", "parent_id", "path",
               "headcount")
    insert_rows(s.connection(), table_of(Organisation), columns,
                ((o.id, o.code, o.name, o.name_kk, o.name_ru, o.kind, o.parent_id, o.path,
                  o.headcount) for o in added))
    audit.append_many(s, ctx.actor, records)
    return added


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


def orgs_version(s: Session) -> tuple[int, int]:
    """What changes whenever the organisations change, for caches of their lists: how many
    there are and the newest id. Organisations are only ever added (`add_org`); their codes,
    names and places in the tree never change after, and none is removed, so a new one changes
    both. Cheap: the primary key's index."""
    count, newest = queries.count_and_newest(s)
    return count, newest or 0


def org_names(s: Session) -> dict[int, str]:
    return {o.id: o.name for o in queries.all_orgs(s)}
