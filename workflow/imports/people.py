"""People from an office's own list (CSV or XLSX): the file's rows checked whole, then added
(or, asked to, changed) in short batches, each new person invited by e-mail. The command line
(`merzim user import`) and the web (the people page) both call `import_people` and only
render what it answers."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from workflow.core import limits
from workflow.core.errors import UsageError
from workflow.i18n import LANGUAGES, Translator
from workflow.imports.columns import fold
from workflow.imports.headers import Header, ignored_note, names, read_header
from workflow.imports.proposals import login_for
from workflow.reminders.planner import enqueue_new
from workflow.services import transactions as tx
from workflow.services import visibility
from workflow.services.accounts import digest
from workflow.services.context import Context
from workflow.services.file_rows import Problem, cell_checker
from workflow.services.invitations import DAY, invitation_message, inviter_name
from workflow.services.unanswered import hand_to_officers
from workflow.storage import audit
from workflow.storage.models import ROLES, Invitation, Organisation, User
from workflow.storage.queries import accounts as queries
from workflow.storage.queries import organisations as org_queries

COLUMNS = ("name", "login", "email", "telegram", "role", "organisation", "language", "position")
REQUIRED = ("name", "organisation")  # a login left out is proposed, a role is an officer's
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
CHAT = re.compile(r"^-?\d{1,20}$")




class PeopleRefused(UsageError):
    """A file of people refused whole: every problem, one a line, in the reader's language."""

    key = "accounts.import_refused"

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems", key="accounts.import_refused",
                         n=len(problems))
        self.problems = problems

    def lines(self, t: Translator) -> list[str]:
        return [t("accounts.import_problem", row=p.row, column=t(f"people.col_{p.column}"),
                  value=p.value, rule=t(p.key, **_named(p.params, t))) for p in self.problems]

    def render(self, translate) -> str:
        head = translate.n("accounts.import_refused", len(self.problems)) \
            if hasattr(translate, "n") else self.message
        return "\n".join([head, *self.lines(translate)])


def _named(params: dict[str, Any], t: Translator) -> dict[str, Any]:
    """A rule's parameters with each list of catalogue keys (the choices) named in the
    reader's language."""
    return {k: ", ".join(t(x) for x in v) if isinstance(v, list) else v
            for k, v in params.items()}


@dataclass
class Kept:
    """A row whose person has signed in: her e-mail or Telegram (`fields`: "email",
    "telegram") in the file differs from hers and was left unchanged (P-27)."""

    row: int
    login: str
    fields: list[str]


@dataclass
class ImportResult:
    """What a file of people does: each row's person as she will be stored (`planned`: her
    row, login, whether the login was proposed, name, e-mail, role, organisation's code), the
    file's columns ignored, and, once written, the people added and changed, the invitations
    sent and the rows whose person kept her own channels."""

    added: list[User]
    updated: list[User]
    invited: int
    kept: list[Kept] = field(default_factory=list)
    planned: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def kept_lines(self, t: Translator) -> list[str]:
        """Each row left with her own channels, in the reader's language."""
        return [t("accounts.import_kept", row=k.row, login=k.login,
                  columns=", ".join(t(f"people.col_{c}") for c in k.fields))
                for k in self.kept]

    def note(self, t: Translator) -> str | None:
        """The columns ignored, in the reader's language (None: none)."""
        return ignored_note(t, self.ignored)


# Headings offices write for a column besides its catalogue label (any language; compared
# folded: "Ф.И.О." is "ФИО", "E-mail" is "email").
ALSO = {
    "name": ("Ф.И.О.", "фамилия имя отчество", "фамилия, имя, отчество", "тегі аты әкесінің аты",
             "аты жөні", "name", "сотрудник", "қызметкер"),
    "email": ("email", "e-mail", "эл. почта", "электронный адрес", "адрес электронной почты",
              "почта", "электрондық пошта мекенжайы", "пошта"),
    "organisation": ("подразделение", "структурное подразделение", "бөлімше",
                     "құрылымдық бөлімше", "department", "unit"),
    "position": ("должность", "лауазымы", "лауазым", "position", "job title"),
    "login": ("имя пользователя", "пайдаланушы аты", "user name", "username"),
}
# Columns an office's list carries that merzim reads but keeps nowhere: named with the columns
# ignored (none today: a person's position is kept, printed with her name in the documents).
NOT_KEPT: tuple[str, ...] = ()
DEFAULT_ROLE = "officer"


def header_map(header: list[str], language: str) -> Header:
    """The file's headers → column keys (labels in kk, ru or en, an office's own headings, the
    keys; read folded), the columns never fields and those not kept set aside; refused naming
    the unknown headers and the columns missing."""
    read = read_header(header, names("people.col_", (*COLUMNS, *NOT_KEPT), ALSO), REQUIRED,
                       "accounts.import_header", "people.col_", language)
    if "login" not in read.found.values() and "email" not in read.found.values():
        raise UsageError("bad header", key="accounts.import_header", unknown="-",
                         missing=Translator(language)("people.col_email"))
    kept = {h: k for h, k in read.found.items() if k not in NOT_KEPT}
    return Header(kept, [*read.ignored, *(h for h in read.found if h not in kept)])


def _org_index(s: Session) -> dict[str, Organisation]:
    """Every organisation by its code and each of its names (folded); a code wins."""
    index: dict[str, Organisation] = {}
    orgs = org_queries.all_orgs(s)
    for org in orgs:
        for name in (org.name, org.name_kk, org.name_ru):
            if name:
                index.setdefault(fold(name), org)
    for org in orgs:
        index[fold(org.code)] = org
    return index


def person_cells(row: dict[str, str], bad: Callable[..., None]) -> str:
    """A person's name, position and e-mail checked (an account's row and a declarant's):
    each bad cell told to `bad`; returns the e-mail cell."""
    if len(row.get("name", "")) > limits.FULL_NAME:
        bad("name", "accounts.rule_too_long", n=limits.FULL_NAME)
    if len(row.get("position", "")) > limits.TITLE:
        bad("position", "accounts.rule_too_long", n=limits.TITLE)
    email = row.get("email", "")
    if email and (len(email) > limits.EMAIL or not EMAIL.match(email)):
        bad("email", "accounts.rule_email")
    return email


def language_cell(row: dict[str, str], bad: Callable[..., None], langs: dict[str, str]
                  ) -> str | None:
    """The language the row's cell names (`langs`: every way of naming one, folded → its key),
    None for an empty cell; one that names none told to `bad`."""
    lang = langs.get(fold(row.get("language", ""))) if row.get("language") else None
    if row.get("language") and lang is None:
        bad("language", "accounts.rule_choice", choices=[f"language.{x}" for x in LANGUAGES])
    return lang


def _cell_problems(n: int, row: dict[str, str], roles: dict[str, str], langs: dict[str, str],
                   orgs: dict[str, Organisation], allowed: set[int] | None
                   ) -> tuple[list[Problem], dict[str, Any]]:
    problems, bad = cell_checker(n, row, REQUIRED)
    values: dict[str, Any] = {}
    login = row.get("login", "")
    if login and (len(login) > limits.LOGIN or any(c.isspace() for c in login)):
        bad("login", "accounts.rule_login", n=limits.LOGIN)
    email = person_cells(row, bad)
    chat = row.get("telegram", "")
    if chat and not CHAT.match(chat):
        bad("telegram", "accounts.rule_telegram")
    role = roles.get(fold(row.get("role", "")))
    if row.get("role") and role is None:
        bad("role", "accounts.rule_choice", choices=[f"role.{r}" for r in ROLES])
    lang = language_cell(row, bad, langs)
    org = orgs.get(fold(row.get("organisation", "")))
    if row.get("organisation") and org is None:
        bad("organisation", "accounts.rule_org")
    elif org is not None and allowed is not None and org.id not in allowed:
        bad("organisation", "accounts.rule_org_outside")
    values.update(login=login, full_name=row.get("name", ""), email=email or None,
                  telegram_chat_id=chat or None, role=role, language=lang,
                  org=org, position=row.get("position") or None)
    return problems, values


BATCH = 500  # rows per transaction: other writers and sign-ins wait for one batch at most


def _existing(s: Session, logins: list[str]) -> dict[str, User]:
    """The users of `logins` that exist, by login: a query per BATCH logins."""
    found: dict[str, User] = {}
    for start in range(0, len(logins), BATCH):
        found.update(queries.users_by_login(s, logins[start:start + BATCH]))
    return found


def _propose_logins(s: Session, checked: list[tuple[int, dict[str, Any]]],
                    proposed: set[int]) -> None:
    """A login for each row without one, from her e-mail (`proposals.login_for`): one taken by
    a stored person of the same e-mail is hers (changed with `update`, else refused as
    existing); any other taken one gets a number."""
    given = {values["login"] for _, values in checked if values["login"]}
    wanted = [(n, values) for n, values in checked if not values["login"] and values["email"]]
    bases = {login_for(values["email"], lambda _c: False) for _, values in wanted}
    stored = queries.logins_like(s, bases)
    mine: set[str] = set()
    for n, values in wanted:
        email = values["email"].casefold()

        def taken(login: str, email: str = email) -> bool:
            return login in given or login in mine or stored.get(login, email) != email

        same = login_for(values["email"], taken)
        values["login"] = same
        mine.add(same)
        proposed.add(n)


def _chosen_logins(checked: list[tuple[int, dict[str, Any]]], logins: dict[int, str],
                   proposed: set[int]) -> list[Problem]:
    """The logins chosen in the preview put over the rows' (a row's chosen login is no longer
    a proposed one); a chosen login empty, too long or with a space is a problem of its row."""
    problems = []
    for n, values in checked:
        login = logins.get(n)
        if login is None or login == values["login"]:
            continue
        login = login.strip()
        if not login:
            problems.append(Problem(n, "login", "", "accounts.rule_required"))
        elif len(login) > limits.LOGIN or any(c.isspace() for c in login):
            problems.append(Problem(n, "login", login, "accounts.rule_login",
                                    {"n": limits.LOGIN}))
        values["login"] = login
        proposed.discard(n)
    return problems


def _against_stored(checked: list[tuple[int, dict[str, Any]]], existing: dict[str, User],
                    update: bool, allowed: set[int] | None) -> list[Problem]:
    """The rows' problems with the people stored: a login taken (unless changing them), a
    person of an organisation the importer does not administer, a new one without e-mail."""
    problems: list[Problem] = []
    for n, values in checked:
        user = existing.get(values["login"])
        if user is not None and not update:
            problems.append(Problem(n, "login", values["login"], "accounts.rule_exists"))
        if user is not None and allowed is not None and user.organisation_id not in allowed:
            problems.append(Problem(n, "login", values["login"], "accounts.rule_org_outside"))
        if user is None and not values["email"]:
            problems.append(Problem(n, "email", "", "accounts.rule_email_needed"))
    return problems


def import_people(s: Session, ctx: Context, rows: list[dict[str, Any]], *, update: bool,
                  base_url: str, days: int, allowed: set[int] | None = None,
                  roles: dict[int, str] | None = None, logins: dict[int, str] | None = None,
                  write: bool = True) -> ImportResult:
    """Add (and with `update`, change) the people of an office's list; each new one gets an
    invitation by e-mail. Without `write`, nothing is stored: the preview (`--dry-run`), each
    row's person as she would be stored. `rows` are `workflow.tabular.read_rows`'s; `allowed`:
    the organisations the importer administers (None: any, the command line's operator);
    `roles`: a role chosen for a row in the preview (by the row's number), over the file's;
    `logins`: a login chosen for a row in the preview, over the file's or the one proposed
    (checked as a login of the file is: its length, no space, not twice, not taken).

    Headers in any of the three languages' labels, an office's own headings (`ALSO`: "ФИО",
    "Подразделение", "E-mail", "Должность"…) or the keys, read folded; a column never a field
    ("№ п/п", a phone) ignored and named. A login left out is proposed from the
    e-mail; a role left out is an officer's; the organisation by its code or any of its names.

    Checked whole first: a file with problems is refused with every problem named (row,
    column, value, rule) and nothing stored. Then written BATCH rows per transaction, each
    committed — on any session, a web request's whose commit waits for its answer (an
    idempotency key's) too: a sign-in or another write waits for one batch, never for the
    file. A file stopped between batches (the process killed, the database gone) has its
    first batches stored: the same file imported again with `update` finishes it (the people
    already added are then found unchanged).

    A person who has signed in keeps her e-mail and Telegram (`services.channels`, P-27): a
    row that would change them leaves them as they are and is named in `ImportResult.kept`."""
    from workflow.services import channels

    if not rows:
        raise UsageError("no rows", key="accounts.import_empty")
    header = header_map([h for h in rows[0] if h != "_row"], ctx.language)
    mapping = header.found
    role_names = names("role.", ROLES)
    langs = names("language.", tuple(LANGUAGES))
    orgs = _org_index(s)
    problems: list[Problem] = []
    checked: list[tuple[int, dict[str, Any]]] = []
    for i, raw in enumerate(rows, start=2):
        n = int(raw.get("_row", i))
        row = {mapping[h]: str(v or "").strip() for h, v in raw.items() if h in mapping}
        if roles and n in roles:
            row["role"] = roles[n]
        found, values = _cell_problems(n, row, role_names, langs, orgs, allowed)
        problems += found
        if not values["login"] and not values["email"]:
            problems.append(Problem(n, "login", "", "accounts.rule_required"))
        checked.append((n, values))
    proposed: set[int] = set()
    _propose_logins(s, checked, proposed)
    problems += _chosen_logins(checked, logins or {}, proposed)
    seen: dict[str, int] = {}
    for n, values in checked:
        login = values["login"]
        if login and login in seen:
            problems.append(Problem(n, "login", login, "accounts.rule_twice",
                                    {"row": seen[login]}))
        seen.setdefault(login, n)
    existing = _existing(s, [login for login in seen if login])
    problems += _against_stored(checked, existing, update, allowed)
    if problems:
        raise PeopleRefused(sorted(problems, key=lambda p: p.row))
    result = ImportResult([], [], 0, planned=[
        {"row": n, "login": v["login"], "proposed": n in proposed, "name": v["full_name"],
         "email": v["email"], "organisation": v["org"].code if v["org"] else "",
         "position": v["position"] or "",
         "role": v["role"] or (existing[v["login"]].role if v["login"] in existing
                               else DEFAULT_ROLE),
         "new": v["login"] not in existing} for n, v in checked], ignored=header.ignored)
    if not write:
        return result
    # the checks' reads end (with whatever the session held: a request's key is committed
    # "in progress"); each batch is a transaction of its own, whatever the session — a
    # request's whose commit waits for its answer too: one transaction would hold the writers'
    # lock, which every sign-in and write takes, for the whole file
    tx.commit(s, write=False)
    known = set(existing)
    try:
        for start in range(0, len(checked), BATCH):
            _batch(s, ctx, checked[start:start + BATCH], result, base_url, days, channels,
                   known)
            tx.commit(s)
    except BaseException:
        s.rollback()  # the batch under way; those before it stay (`update` finishes the file)
        raise
    return result


def _batch(s: Session, ctx: Context, part: list[tuple[int, dict[str, Any]]],
           result: ImportResult, base_url: str, days: int, channels: Any,
           known: set[str]) -> None:
    """One batch's rows written in the caller's transaction.

    Everything a new person needs is made first, outside the locks: her row, her invitation's
    token and e-mail (for each login not in `known`, the people found when the file was
    checked). Then, under the audit chain's lock (which every sign-in and write takes too:
    held for this batch only), the batch's people are read again (another writer may have
    added or changed one since), the new ones inserted with their invitations, e-mails and
    audit records in a statement per table, and the others changed."""
    now = time.time()
    by = inviter_name(s, ctx)
    made: dict[str, tuple[User, str, tuple[str, str, str]]] = {}
    for _n, values in part:
        if values["login"] not in known:
            user = _new_user(ctx, values)
            token = secrets.token_urlsafe(32)
            made[user.login] = (user, token, invitation_message(
                user.language, user.full_name, user.login, token, base_url, days,
                org=values["org"], by=by))
    audit.serialise(s)  # the chain's lock first: the batch reads what it writes after it
    existing = _existing(s, [values["login"] for _, values in part])
    added: list[tuple[User, dict[str, Any], str, tuple[str, str, str]]] = []
    records: list[tuple[str, str, Any, str]] = []
    for n, values in part:
        found = existing.get(values["login"])
        if found is None:
            new, token, mail = made.get(values["login"]) or _made_now(ctx, values, base_url,
                                                                       days, by)
            added.append((new, values, token, mail))
            continue
        changed, kept = _apply(found, values, channels)
        if changed:
            s.add(found)
            records.append(("user.set", "user", found.id, audit.canonical(
                {"login": found.login, **changed, "import": True})))
        if kept:
            result.kept.append(Kept(n, found.login, kept))
        result.updated.append(found)
    s.flush()  # the changed people, in one statement
    if added:
        records += _insert_new(s, ctx, added, now, days)
    audit.append_many(s, ctx.actor, records)
    result.added += [user for user, *_ in added]
    result.invited += len(added)
    # the officers now there are handed their organisations' cases nobody answers for
    hand_to_officers(s, ctx, {u.organisation_id for u in (
        *(a[0] for a in added), *(existing[v["login"]] for _n, v in part
                                  if v["login"] in existing))
        if visibility.unassigned_of(u) is not None and u.active})


def _new_user(ctx: Context, values: dict[str, Any]) -> User:
    from workflow.services import channels

    user = User(login=values["login"], full_name=values["full_name"],
                position=values["position"], role=values["role"] or DEFAULT_ROLE,
                organisation_id=values["org"].id, email=values["email"],
                language=values["language"] or ctx.language)
    channels.set_telegram(user, values["telegram_chat_id"])
    return user


def _made_now(ctx: Context, values: dict[str, Any], base_url: str, days: int,
              by: str | None) -> tuple[User, str, tuple[str, str, str]]:
    """A new person's row, token and e-mail made under the lock: one found new only there
    (listed as existing when the file was checked — people are never deleted, so rare)."""
    user = _new_user(ctx, values)
    token = secrets.token_urlsafe(32)
    return user, token, invitation_message(user.language, user.full_name, user.login, token,
                                            base_url, days, org=values["org"], by=by)


def _insert_new(s: Session, ctx: Context,
                added: list[tuple[User, dict[str, Any], str, tuple[str, str, str]]],
                now: float, days: int) -> list[tuple[str, str, Any, str]]:
    """The batch's new people, their invitations (the tokens' SHA-256) and their e-mails in
    the outbox, a bulk insert each (ids taken first); their audit records, for the caller to
    append with the batch's others."""
    from workflow.storage.bulkinsert import insert_rows, new_ids
    from workflow.storage.models import table_of

    conn = s.connection()
    people = table_of(User)
    names = [c.name for c in people.columns]
    for user, user_id in zip((a[0] for a in added), new_ids(s, User, len(added)), strict=True):
        user.id = user_id
    insert_rows(conn, people, names, [tuple(getattr(u, n) for n in names) for u, *_ in added])
    invitation_ids = new_ids(s, Invitation, len(added))
    expires = now + days * DAY
    insert_rows(conn, table_of(Invitation),
                ("id", "token_hash", "user_id", "created_at", "expires_at", "used_at"),
                [(i, digest(token), user.id, now, expires, None)
                 for i, (user, _v, token, _m) in zip(invitation_ids, added, strict=True)])
    enqueue_new(s, [(user.id, "email", ctx.today, f"invitation:{i}", user.email or "", *mail)
                    for i, (user, _v, _t, mail) in zip(invitation_ids, added, strict=True)])
    records: list[tuple[str, str, Any, str]] = []
    for user, values, _t, _m in added:
        records.append(("user.add", "user", user.id, audit.canonical(
            {"login": user.login, "role": user.role, "org": values["org"].code,
             "email": user.email, "import": True})))
        records.append(("user.invite", "user", user.id, audit.canonical(
            {"login": user.login, "expires_at": expires})))
    return records


def _apply(user: User, values: dict[str, Any], channels: Any
           ) -> tuple[dict[str, Any], list[str]]:
    """A person of the file changed as her row says; her e-mail and Telegram only while they
    are not hers alone (she never signed in). What changed (for the audit record) and the
    channels left unchanged ("email", "telegram", for the import's result)."""
    changed: dict[str, Any] = {}
    for key in ("full_name", "role", "language", "position"):
        value = values[key]
        if value is not None and getattr(user, key) != value:
            setattr(user, key, value)
            changed[key] = value
    if values["org"].id != user.organisation_id:
        user.organisation_id = values["org"].id
        changed["org"] = values["org"].code
    withheld = channels.withheld(user, values["email"], values["telegram_chat_id"])
    if values["email"] and "email" not in withheld and user.email != values["email"]:
        user.email = changed["email"] = values["email"]
    chat = values["telegram_chat_id"]
    if chat and "telegram_chat_id" not in withheld and (
            user.telegram_chat_id != chat or not user.telegram_active):
        if user.telegram_chat_id != chat:
            channels.set_telegram(user, chat)
        user.telegram_active = True
        changed["telegram_chat_id"] = chat
    return changed, ["telegram" if k == "telegram_chat_id" else k for k in withheld]
