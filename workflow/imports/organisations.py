"""Organisations from an office's own list (CSV or XLSX): the file's rows checked whole, then
added in a few statements. The command line (`merzim org import`) and the web (an
organisation's page) both call `import_orgs` and only render what it answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from workflow.core import limits
from workflow.core.errors import UsageError
from workflow.core.kinds import KIND_NAMES
from workflow.i18n import Translator
from workflow.imports.columns import fold, number
from workflow.imports.headers import Header, ignored_note, names, read_header
from workflow.imports.proposals import code_for
from workflow.services import joining
from workflow.services.context import Context
from workflow.services.file_rows import Problem, cell_checker
from workflow.services.organisations import (
    HEADCOUNT_MAX,
    NAME_FORMS,
    checked_forms,
    headcount_of,
    proposed_forms,
)
from workflow.storage import audit
from workflow.storage.bulkinsert import insert_rows, new_ids
from workflow.storage.models import ORG_KINDS, Organisation, table_of
from workflow.storage.queries import organisations as queries

ORG_COLUMNS = ("code", "name", "kind", "parent", "name_kk", "name_ru", "headcount",
               "name_ru_genitive", "name_kk_genitive")
ORG_REQUIRED = ("name", "kind")  # a code left out is proposed from the name


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


# Headings offices write for a column besides its catalogue label (any language; compared
# folded: "Наименование организации" and "наименование  организации." are one).
ALSO = {
    "code": ("код организации", "ұйым коды", "organisation code"),
    "name": ("наименование организации", "название", "полное наименование",
             "ұйымның атауы", "атауы", "organisation", "organisation name"),
    "kind": ("вид организации", "тип", "тип организации", "ұйымның түрі", "type"),
    "parent": ("вышестоящий орган", "вышестоящая", "жоғары тұрған орган", "parent"),
    "name_kk": ("наименование на государственном языке", "атауы қазақша"),
    "name_ru": ("наименование на русском языке", "атауы орысша"),
    "headcount": ("штатная численность, ед.", "численность", "численность сотрудников",
                  "количество сотрудников", "штаттық саны", "қызметкерлер саны", "staff"),
    "name_ru_genitive": ("наименование в родительном падеже", "родительный падеж",
                         "genitive in russian"),
    "name_kk_genitive": ("атауы ілік септігінде", "ілік септігі", "genitive in kazakh"),
}


@dataclass
class OrgsImport:
    """What a file of organisations adds: each row's organisation as it will be stored
    (`planned`: its row, code, whether the code was proposed, name, kind, parent, headcount),
    the file's columns ignored (a "№ п/п", a phone), and, once written, the organisations
    added (`added`: not in the session)."""

    planned: list[dict[str, Any]]
    ignored: list[str]
    added: list[Organisation] = field(default_factory=list)

    def note(self, t: Translator) -> str | None:
        """The columns ignored, in the reader's language (None: none)."""
        return ignored_note(t, self.ignored)


def org_header(header: list[str], language: str) -> Header:
    """The file's headers (labels in kk, ru or en, an office's own headings, or the keys) →
    column keys, and the columns never fields set aside; refused naming the headers no column
    has and the columns missing, in the reader's language."""
    return read_header(header, names("org.col_", ORG_COLUMNS, ALSO), ORG_REQUIRED,
                       "org.import_header", "org.col_", language)


def kind_names() -> dict[str, str]:
    """Every name a kind is read by (folded): its label in each language, its key and the
    names offices write (`core.kinds.KIND_NAMES`) → the kind."""
    return names("org_kind.", ORG_KINDS, KIND_NAMES)


class _Parents:
    """The parents a file may name: an organisation stored or added by an earlier row, by its
    code or by any of its names (read folded); a name two organisations share is not one
    parent."""

    def __init__(self, stored: list[tuple[str, int | None, str, str, str | None, str | None]]):
        self.by_code: dict[str, tuple[int | None, str]] = {}
        self.by_name: dict[str, set[str]] = {}
        self.names: dict[str, list[str | None]] = {}
        for code, oid, path, *called in stored:
            self.add(code, oid, path, called)

    def add(self, code: str, oid: int | None, path: str, names: list[str | None]) -> None:
        self.by_code[code] = (oid, path)
        self.names[code] = names
        for name in names:
            if name and name.strip():
                self.by_name.setdefault(fold(name), set()).add(code)

    def code_of(self, text: str) -> str | list[str] | None:
        """The parent's code; a list of codes when the name is ambiguous; None: unknown."""
        if text in self.by_code:
            return text
        codes = self.by_name.get(fold(text), set())
        if len(codes) == 1:
            return next(iter(codes))
        return sorted(codes) or None

    def named_under(self, name: str, parent: str | None) -> str | None:
        """The code of an organisation already named `name` under `parent` (None: a root)."""
        parent_id = self.by_code[parent][0] if parent else None
        for code in self.by_name.get(fold(name), ()):
            oid, path = self.by_code[code]
            if oid is None:
                continue  # added by an earlier row: that row's own check names a twin
            parent_of = path.rstrip("/").split("/")[-2] if path.count("/") > 2 else None
            if (int(parent_of) if parent_of else None) == parent_id:
                return code
        return None


def import_orgs(s: Session, ctx: Context, rows: Iterable[dict[str, Any]],
                within: Organisation | None = None, *, write: bool = True) -> OrgsImport:
    """The organisations of an office's list: checked whole, then (with `write`) added, all
    or none; without `write` nothing is stored (the preview, `--dry-run`).

    Headers in any of the three languages' labels, an office's own headings (`ALSO`) or the
    keys, read folded (any case, spacing and punctuation); a column never a field ("№ п/п", a
    phone) ignored and named. A kind by its name in any language or its key; a parent by its
    code or its name in any language (an organisation stored or added by an earlier row); a
    headcount written "1 150" with any space. An empty code is proposed from the name
    (`proposals.code_for`: unique, the same for the same name); a row without a code naming
    an organisation already under the same parent is refused as existing. A file with mistakes
    is refused whole (`OrgsRefused`): every refused cell named by its row, its column's label
    and its value, with the rule it breaks, in the reader's language; nothing stored.
    `within` (an administrator's import on an organisation's page): an empty parent is that
    organisation, and a parent stored outside its subtree is refused as outside.

    In bulk, a bounded number of statements whatever the file's length
    (tests/storage/test_org_import_bulk.py): the organisations read at once, every row checked
    in order as `add_org` checks it, the ids taken first, then one insert of the rows (their
    paths made from the ids) and one of their audit records."""
    rows = list(rows)
    if not rows:
        return OrgsImport([], [])
    header = org_header(list(dict.fromkeys(h for row in rows for h in row)), ctx.language)
    mapping = header.found
    kinds = kind_names()
    parents = _Parents(queries.names_ids_and_paths(s))
    if write:
        audit.serialise(s)  # the write lock first: the ids after the largest stay ours (SQLite)
    given = {str(raw.get(h) or "").strip() for raw in rows for h, k in mapping.items()
             if k == "code"} - {""}
    problems: list[Problem] = []
    planned: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    named: dict[tuple[str, str | None], int] = {}  # a row's name and parent → its row
    for i, raw in enumerate(rows, start=2):  # row 1 is the header
        n = int(raw.get("_row", i))  # the row's number in the file, blank rows skipped
        row = {mapping[h]: str(v if v is not None else "").strip() for h, v in raw.items()
               if h in mapping}
        if within is not None and not row.get("parent"):
            row["parent"] = within.code
        proposed = not row.get("code") and bool(row.get("name"))
        if proposed:
            row["code"] = code_for(row["name"], lambda c: c in parents.by_code or c in given)
        found, item = _org_row(n, row, kinds, parents, seen)
        if proposed and not found and (twin := parents.named_under(item["name"],
                                                                    item["parent"])):
            found.append(Problem(n, "name", row["name"], "org.rule_exists_named",
                                 {"code": twin}))
        elif proposed and not found and (fold(item["name"]), item["parent"]) in named:
            found.append(Problem(n, "name", row["name"], "org.rule_name_twice",
                                 {"row": named[(fold(item["name"]), item["parent"])]}))
        named.setdefault((fold(item["name"]), item["parent"]), n)
        if within is not None and item["parent"] and not found and not (
                parents.by_code[item["parent"]][1] or within.path).startswith(within.path):
            found.append(Problem(n, "parent", row["parent"], "accounts.rule_org_outside"))
        if row.get("code") and row["code"] not in seen:
            seen[row["code"]] = n
        problems += found
        if not found:
            parents.add(item["code"], None, "", [item["name"], item["name_kk"],
                                                 item["name_ru"]])
            planned.append({"row": n, "proposed": proposed, **item})
    if problems:
        raise OrgsRefused(problems)
    result = OrgsImport(planned, header.ignored)
    if write:
        result.added = _insert_orgs(s, ctx, planned, parents.by_code)
    return result


def grouped(text: str | None) -> str | None:
    """A headcount as written ("1 150", with any space: `columns.number`) as its digits, for
    `headcount_of`; anything else as it is, for `headcount_of` to refuse."""
    found = number(text) if text else None
    return found if found is not None else text


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
    kind = kinds.get(fold(row.get("kind", ""))) if row.get("kind") else None
    if row.get("kind") and kind is None:
        bad("kind", "accounts.rule_choice", choices=[f"org_kind.{k}" for k in ORG_KINDS])
    parent = parents.code_of(row["parent"]) if row.get("parent") else None
    if isinstance(parent, list):
        bad("parent", "org.rule_parent_ambiguous", codes=", ".join(parent))
    elif row.get("parent") and parent is None:
        bad("parent", "accounts.rule_org")
    staff = None
    try:
        staff = headcount_of(grouped(row.get("headcount", "")))
    except UsageError:
        bad("headcount", "org.rule_headcount", limit=HEADCOUNT_MAX)
    item = {"code": code, "name": row.get("name", ""), "kind": kind,
            "parent": parent if isinstance(parent, str) else None,
            "name_kk": row.get("name_kk") or None, "name_ru": row.get("name_ru") or None,
            "headcount": staff}
    # the forms of its name the documents need: as the file gives them, else proposed
    forms = proposed_forms(row.get("name", ""), row.get("name_kk") or None,
                           row.get("name_ru") or None)
    for column in NAME_FORMS:
        try:
            given = checked_forms({column: row.get(column) or None})[column]
        except UsageError:
            bad(column, "org.rule_form", limit=limits.ORG_NAME)
            continue
        forms[column] = given or forms[column]
    return found, {**item, **forms}


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
                                  headcount=item["headcount"],
                                  name_ru_genitive=item["name_ru_genitive"],
                                  name_kk_genitive=item["name_kk_genitive"]))
        records.append(("org.add", "organisation", oid, audit.canonical(
            {"code": item["code"], "name": item["name"], "kind": item["kind"],
             "parent": item["parent"],
             **({"headcount": item["headcount"]} if item["headcount"] is not None else {})})))
    columns = ("id", "code", "name", "name_kk", "name_ru", "kind", "parent_id", "path",
               "headcount", "name_ru_genitive", "name_kk_genitive")
    insert_rows(s.connection(), table_of(Organisation), columns,
                ((o.id, o.code, o.name, o.name_kk, o.name_ru, o.kind, o.parent_id, o.path,
                  o.headcount, o.name_ru_genitive, o.name_kk_genitive) for o in added))
    audit.append_many(s, ctx.actor, records)
    joining.join_on_addition(s, ctx, added)  # under one confirming its year so far (B-25)
    return added

