"""Invitations and people in bulk: one-time sign-in links sent by e-mail, her own password
and Telegram, and a file of people added (or, asked to, changed) all at once.

An invitation's link holds a random token; only its SHA-256 is stored. Opening it lets the
person set her password once, before it expires ([accounts] invitation_days); a newer
invitation replaces an unused older one. The e-mail goes through the outbox like a reminder
(the worker sends it), in her language.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from workflow.core import limits
from workflow.core.errors import RuleViolation, UsageError
from workflow.i18n import LANGUAGES, Translator
from workflow.reminders.planner import enqueue, enqueue_new
from workflow.reminders.telegram_link import create_link
from workflow.services import transactions as tx
from workflow.services.accounts import (
    digest,
    fresh_token,
    own_password_matches,
    set_password,
)
from workflow.services.context import Context
from workflow.services.file_rows import Problem, cell_checker, labels
from workflow.storage import audit
from workflow.storage.models import ROLES, Invitation, Organisation, User

DAY = 86400.0
COLUMNS = ("name", "login", "email", "telegram", "role", "organisation", "language")
REQUIRED = ("name", "login", "role", "organisation")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
CHAT = re.compile(r"^-?\d{1,20}$")


# -- invitations ------------------------------------------------------------------------------


def invite(s: Session, ctx: Context, user: User, base_url: str, days: int,
           now: float | None = None) -> str:
    """Write her invitation e-mail to the outbox with a fresh one-time link (an unused older
    link stops working); returns the token (tests and the caller's count; never shown)."""
    if not user.email:
        raise UsageError(f"{user.login} has no e-mail address", key="accounts.no_email",
                         login=user.login)
    t = time.time() if now is None else now
    token = fresh_token(s, Invitation, user.id, t)
    row = Invitation(token_hash=digest(token), user_id=user.id, created_at=t,
                     expires_at=t + days * DAY)
    s.add(row)
    s.flush()
    _invitation_mail(s, ctx, user, row, token, base_url, days)
    audit.append(s, ctx.actor, "user.invite", "user", user.id,
                 {"login": user.login, "expires_at": row.expires_at})
    return token


def _invitation_mail(s: Session, ctx: Context, user: User, row: Invitation, token: str,
                     base_url: str, days: int) -> None:
    """The invitation's e-mail, in her language, into the outbox: it names her organisation
    and who invited her."""
    subject, text, html = _invitation_message(user.language, user.full_name, user.login,
                                              token, base_url, days,
                                              org=s.get(Organisation, user.organisation_id),
                                              by=inviter_name(s, ctx))
    enqueue(s, user.id, "email", ctx.today, f"invitation:{row.id}", user.email or "",
            subject, text, html)


def inviter_name(s: Session, ctx: Context) -> str | None:
    """Who sends an invitation, by her full name (the context's actor, "web:erlan"); None for
    the command line's operator, who is no merzim user."""
    from workflow.services.users import display_names

    return display_names(s, [ctx.actor]).get(ctx.actor)


def _invitation_message(language: str, name: str, login: str, token: str, base_url: str,
                        days: int, org: Any = None, by: str | None = None
                        ) -> tuple[str, str, str]:
    """An invitation e-mail's subject, text and HTML, in her language; naming her
    organisation (`org`, an Organisation) and who invited her (`by`, a full name) when
    given."""
    from workflow.services.organisations import org_name

    link = f"{base_url.rstrip('/')}/invite/{token}"
    tr = Translator(language)
    params = {"name": name, "login": login, "link": link}
    key = "accounts.invite_body"
    if org is not None:
        params["organisation"] = org_name(org, language)
        key = "accounts.invitation_body" if by else "accounts.invitation_body_unsigned"
        if by:
            params["by"] = by
    text = tr.n(key, days, **params)
    html = ("<html><body><p>" + _escape(tr.n(key, days, **{
        **params, "link": "LINK"})).replace("\n", "<br>").replace(
        "LINK", f'<a href="{_escape(link)}">{_escape(link)}</a>') + "</p></body></html>")
    return tr("accounts.invite_subject", login=login), text, html


def _escape(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def invitation_user(s: Session, token: str, now: float | None = None) -> User:
    """The person a live invitation is for; refused when the link is unknown, used or expired."""
    row, user = _live(s, token, now)
    return user


def _live(s: Session, token: str, now: float | None) -> tuple[Invitation, User]:
    t = time.time() if now is None else now
    row = s.exec(select(Invitation).where(Invitation.token_hash == digest(token or ""))).first()
    user = s.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise UsageError("unknown invitation", key="accounts.invite_unknown")
    if row.used_at is not None:
        raise UsageError("invitation used", key="accounts.invite_used")
    if row.expires_at < t:
        raise UsageError("invitation expired", key="accounts.invite_expired")
    return row, user


def accept(s: Session, token: str, password: str, repeated: str, now: float | None = None
           ) -> User:
    """Set her password through a live invitation, once (its link then stops working)."""
    row, user = _live(s, token, now)
    if password != repeated:
        raise UsageError("passwords differ", key="accounts.password_mismatch")
    set_password(s, user, password, f"web:{user.login}")
    row.used_at = time.time() if now is None else now
    user.signed_in_at = row.used_at  # she opened her own invitation: her channels are hers now
    s.add(row)
    s.add(user)
    audit.append(s, f"web:{user.login}", "user.invite_accepted", "user", user.id,
                 {"login": user.login})
    return user


def reset(s: Session, ctx: Context, user: User, base_url: str, days: int) -> str:
    """An administrator's reset: her password stops working (her sessions, tokens and feeds
    end) and she gets a new invitation to choose another; nobody sees a password."""
    if not user.email:
        raise UsageError(f"{user.login} has no e-mail address", key="accounts.no_email",
                         login=user.login)
    user.password_hash = None
    s.add(user)
    s.flush()
    from workflow.services.accounts import revoke_all

    revoke_all(s, user, ctx.actor)
    audit.append(s, ctx.actor, "user.password_reset", "user", user.id, {"login": user.login})
    return invite(s, ctx, user, base_url, days)


# -- her own account ---------------------------------------------------------------------------


class WrongPassword(RuleViolation):
    """Her current password was wrong (or her account is locked): the caller refuses with
    `accounts.wrong_password_refused`, which counts it toward the lock-out."""

    def __init__(self) -> None:
        super().__init__("wrong current password", key="accounts.wrong_password")


def change_password(s: Session, user: User, current: str, new: str, repeated: str) -> None:
    """Her new password, after her current one; every session of hers ends (the caller opens
    a new one for the browser she changed it in). Both password checks take one of the
    process's (SignInBusy, before anything is written, when none comes free in time). A wrong
    current password, or any while her account is locked: WrongPassword, counted toward the
    lock-out as a wrong sign-in is (by the refusal, `wrong_password_refused`)."""
    if not own_password_matches(user, current or ""):
        raise WrongPassword()
    if new != repeated:
        raise UsageError("passwords differ", key="accounts.password_mismatch")
    if new == current:
        raise UsageError("same password", key="accounts.password_same")
    set_password(s, user, new, f"web:{user.login}")


def telegram_code(s: Session, user: User) -> str:
    """A one-time code (a day) that links the chat sending '/start CODE' to her."""
    return create_link(s, user, f"web:{user.login}")


def telegram_unlink(s: Session, user: User) -> None:
    """Her reminders stop going to Telegram; the chat is forgotten."""
    if not user.telegram_chat_id:
        raise UsageError("not linked", key="accounts.telegram_not_linked")
    chat = user.telegram_chat_id
    user.telegram_chat_id, user.telegram_active, user.telegram_bound_at = None, False, None
    s.add(user)
    s.flush()
    audit.append(s, f"web:{user.login}", "user.telegram_unlinked", "user", user.id,
                 {"login": user.login, "chat": chat})


# -- people in bulk ----------------------------------------------------------------------------


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
    added: list[User]
    updated: list[User]
    invited: int
    kept: list[Kept] = field(default_factory=list)

    def kept_lines(self, t: Translator) -> list[str]:
        """Each row left with her own channels, in the reader's language."""
        return [t("accounts.import_kept", row=k.row, login=k.login,
                  columns=", ".join(t(f"people.col_{c}") for c in k.fields))
                for k in self.kept]


def _labels(prefix: str, keys: tuple[str, ...]) -> dict[str, str]:
    """Every language's label of each key (lower case), and the key itself → the key."""
    return labels(prefix, keys, str.lower)


def header_map(header: list[str]) -> tuple[dict[str, str], list[str]]:
    """The file's headers → column keys, and the headers no column has."""
    labels = _labels("people.col_", COLUMNS)
    found, unknown = {}, []
    for h in header:
        if not h.strip():  # a column without a header (a spreadsheet's trailing cells)
            continue
        key = labels.get(h.strip().lower())
        if key is None:
            unknown.append(h)
        else:
            found[h] = key
    return found, unknown


def _org_index(s: Session) -> dict[str, Organisation]:
    index: dict[str, Organisation] = {}
    for org in s.exec(select(Organisation)):
        for name in (org.name, org.name_kk, org.name_ru):
            if name:
                index.setdefault(name.strip().lower(), org)
    for org in s.exec(select(Organisation)):
        index[org.code.lower()] = org
    return index


def _cell_problems(n: int, row: dict[str, str], roles: dict[str, str], langs: dict[str, str],
                   orgs: dict[str, Organisation], allowed: set[int] | None
                   ) -> tuple[list[Problem], dict[str, Any]]:
    problems, bad = cell_checker(n, row, REQUIRED)
    values: dict[str, Any] = {}
    login = row.get("login", "")
    if login and (len(login) > limits.LOGIN or any(c.isspace() for c in login)):
        bad("login", "accounts.rule_login", n=limits.LOGIN)
    if len(row.get("name", "")) > limits.FULL_NAME:
        bad("name", "accounts.rule_too_long", n=limits.FULL_NAME)
    email = row.get("email", "")
    if email and (len(email) > limits.EMAIL or not EMAIL.match(email)):
        bad("email", "accounts.rule_email")
    chat = row.get("telegram", "")
    if chat and not CHAT.match(chat):
        bad("telegram", "accounts.rule_telegram")
    role = roles.get(row.get("role", "").lower())
    if row.get("role") and role is None:
        bad("role", "accounts.rule_choice", choices=[f"role.{r}" for r in ROLES])
    lang = langs.get(row.get("language", "").lower()) if row.get("language") else None
    if row.get("language") and lang is None:
        bad("language", "accounts.rule_choice", choices=[f"language.{x}" for x in LANGUAGES])
    org = orgs.get(row.get("organisation", "").lower())
    if row.get("organisation") and org is None:
        bad("organisation", "accounts.rule_org")
    elif org is not None and allowed is not None and org.id not in allowed:
        bad("organisation", "accounts.rule_org_outside")
    values.update(login=login, full_name=row.get("name", ""), email=email or None,
                  telegram_chat_id=chat or None, role=role, language=lang, org=org)
    return problems, values


BATCH = 500  # rows per transaction: other writers and sign-ins wait for one batch at most


def _existing(s: Session, logins: list[str]) -> dict[str, User]:
    """The users of `logins` that exist, by login: a query per BATCH logins."""
    found: dict[str, User] = {}
    for start in range(0, len(logins), BATCH):
        part = logins[start:start + BATCH]
        for user in s.exec(select(User).where(col(User.login).in_(part))):
            found[user.login] = user
    return found


def import_people(s: Session, ctx: Context, rows: list[dict[str, Any]], *, update: bool,
                  base_url: str, days: int, allowed: set[int] | None = None) -> ImportResult:
    """Add (and with `update`, change) the people of a file's rows; each new one gets an
    invitation by e-mail. `rows` are `workflow.tabular.read_rows`'s (headers in any of the
    three languages or the keys); `allowed`: the organisations the importer administers (None:
    any, the command line's operator).

    Checked whole first: a file with problems is refused with every problem named (row,
    column, value, rule) and nothing stored. Then written BATCH rows per transaction, each
    committed: a sign-in or another write waits for one batch, never for the file. A file
    stopped between batches (the process killed, the database gone) has its first batches
    stored: the same file imported again with `update` finishes it (the people already added
    are then found unchanged).

    A person who has signed in keeps her e-mail and Telegram (`services.channels`, P-27): a
    row that would change them leaves them as they are and is named in `ImportResult.kept`."""
    from workflow.services import channels

    if not rows:
        raise UsageError("no rows", key="accounts.import_empty")
    mapping, unknown = header_map([h for h in rows[0] if h != "_row"])
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if unknown or missing:
        raise UsageError("bad header", key="accounts.import_header",
                         unknown=", ".join(unknown) or "-",
                         missing=", ".join(Translator(ctx.language)(f"people.col_{c}")
                                           for c in missing) or "-")
    roles = _labels("role.", ROLES)
    langs = _labels("language.", tuple(LANGUAGES))
    orgs = _org_index(s)
    problems: list[Problem] = []
    checked: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows, start=2):
        n = int(raw.get("_row", i))
        row = {mapping[h]: str(v or "").strip() for h, v in raw.items() if h in mapping}
        found, values = _cell_problems(n, row, roles, langs, orgs, allowed)
        problems += found
        login = values["login"]
        if login in seen:
            problems.append(Problem(n, "login", login, "accounts.rule_twice", {"row": seen[login]}))
        seen.setdefault(login, n)
        checked.append((n, values))
    existing = _existing(s, [login for login in seen if login])
    for n, values in checked:
        user = existing.get(values["login"])
        if user is not None and not update:
            problems.append(Problem(n, "login", values["login"], "accounts.rule_exists"))
        if user is not None and allowed is not None and user.organisation_id not in allowed:
            problems.append(Problem(n, "login", values["login"], "accounts.rule_org_outside"))
        if user is None and not values["email"]:
            problems.append(Problem(n, "email", "", "accounts.rule_email_needed"))
    if problems:
        raise PeopleRefused(problems)
    deferred = s.info.get(tx.DEFERRED)
    if not deferred:
        s.rollback()  # the checks' reads end; each batch is a transaction of its own
    result = ImportResult([], [], 0)
    known = set(existing)
    for start in range(0, len(checked), BATCH):
        _batch(s, ctx, checked[start:start + BATCH], result, base_url, days, channels, known)
        if not deferred:
            tx.commit(s)
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
    made: dict[str, tuple[User, str, tuple[str, str, str]]] = {}
    for _n, values in part:
        if values["login"] not in known:
            user = _new_user(ctx, values)
            token = secrets.token_urlsafe(32)
            made[user.login] = (user, token, _invitation_message(
                user.language, user.full_name, user.login, token, base_url, days))
    audit.serialise(s)  # the chain's lock first: the batch reads what it writes after it
    existing = _existing(s, [values["login"] for _, values in part])
    added: list[tuple[User, dict[str, Any], str, tuple[str, str, str]]] = []
    records: list[tuple[str, str, Any, str]] = []
    for n, values in part:
        found = existing.get(values["login"])
        if found is None:
            new, token, mail = made.get(values["login"]) or _made_now(ctx, values, base_url,
                                                                       days)
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


def _new_user(ctx: Context, values: dict[str, Any]) -> User:
    from workflow.services import channels

    user = User(login=values["login"], full_name=values["full_name"], role=values["role"],
                organisation_id=values["org"].id, email=values["email"],
                language=values["language"] or ctx.language)
    channels.set_telegram(user, values["telegram_chat_id"])
    return user


def _made_now(ctx: Context, values: dict[str, Any], base_url: str, days: int
              ) -> tuple[User, str, tuple[str, str, str]]:
    """A new person's row, token and e-mail made under the lock: one found new only there
    (listed as existing when the file was checked — people are never deleted, so rare)."""
    user = _new_user(ctx, values)
    token = secrets.token_urlsafe(32)
    return user, token, _invitation_message(user.language, user.full_name, user.login, token,
                                            base_url, days)


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
    for key in ("full_name", "role", "language"):
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
