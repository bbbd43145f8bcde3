"""Comments on a case: plain text, bounded in length, seen by exactly those who may see the
case (for a case about a person, only those who may see the person: procedures.md), changed
by their author for EDIT_MINUTES after writing them, each write in the audit log (and so in
the case's history).

An "@login" in a comment mentions that user: she must be one who may see the case (else the
comment is refused, nothing stored, without saying whether such a login exists); her
notification centre lists the mention and it is written to the outbox for each of her
channels (e-mail, Telegram) her preferences keep, in her language, for the worker to send
(the comment quoted, unless the case is about a person: P-28, workflow/reminders/outbound.py).
A change of a comment tells only those it newly mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.i18n import Translator
from workflow.reminders.outbound import outbound_case
from workflow.reminders.planner import enqueue
from workflow.services import visibility
from workflow.services.context import Context
from workflow.services.lookup import get_case
from workflow.storage import audit
from workflow.storage.models import (
    COMMENT,
    COMMENT_EDIT,
    Case,
    CaseComment,
    CommentMention,
    Organisation,
    ReminderPreference,
    User,
)
from workflow.storage.queries.accounts import officer_names_under, user_by_login

MAX_LENGTH = 2000  # characters of one comment
EDIT_MINUTES = 10  # its author may change it this long after writing it
MAX_MENTIONS = 20  # users one comment may mention
CHANNELS = ("email", "telegram")
WRITTEN, EDITED = COMMENT, COMMENT_EDIT  # the audit log's actions
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9_]|[A-Za-z0-9])")


def mentioned_logins(text: str) -> list[str]:
    """The logins a text mentions as @login, each once, in their order."""
    return list(dict.fromkeys(m.group(1) for m in MENTION.finditer(text)))


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def readers_of(s: Session, ctx: Context, user: User, case: Case) -> bool:
    """Whether `user` reads the case's comments (and may be mentioned in them): she sees the
    case and, for a case about a person, the person (services/visibility.py, the one rule)."""
    loaded = ctx.registry.loaded.get(case.process)
    defn = loaded.definition if loaded else None
    return visibility.may_see_case(s, user, case) and (
        defn is None or visibility.may_see_person(user, case, defn))


def _readable(s: Session, ctx: Context, case_id: int | str, reader: User | None) -> Case:
    """The case, when `reader` (None: the command line's operator) may see its comments;
    else the 404 of an unknown case."""
    case = get_case(s, case_id)
    if reader is not None and not readers_of(s, ctx, reader, case):
        raise NotFound(f"case {case_id} not found", key="notfound.analysis", id=case_id)
    return case


def _checked_text(text: str) -> str:
    body = (text or "").replace("\r\n", "\n").strip()
    if not body:
        raise UsageError("an empty comment", key="comments.error_empty")
    if len(body) > MAX_LENGTH:
        raise UsageError(f"a comment of {len(body)} characters", key="comments.error_long",
                         n=MAX_LENGTH, length=len(body))
    if any(ord(c) < 32 and c not in "\n\t" for c in body):
        raise UsageError("a control character in a comment", key="comments.error_control")
    return body


def _mentioned(s: Session, ctx: Context, case: Case, body: str) -> list[User]:
    """The users the text mentions; refused when one may not see the case (or is unknown:
    told alike)."""
    logins = mentioned_logins(body)
    if len(logins) > MAX_MENTIONS:
        raise UsageError("too many mentions", key="comments.error_mentions",
                         n=MAX_MENTIONS)
    users = []
    for login in logins:
        user = user_by_login(s, login)
        if user is None or not readers_of(s, ctx, user, case):
            raise RuleViolation(f"@{login} may not see case {case.id}",
                                key="comments.error_mention", login=login[:100], id=case.id)
        users.append(user)
    return users


MAX_SUGGESTED = 200  # people a comment form offers to mention


def mentionable(s: Session, ctx: Context, case: Case, exclude: User | None = None
                ) -> list[tuple[str, str]]:
    """(login, full name) of the people a comment on the case may mention, by name: those
    who read its comments (`readers_of`, the one rule: for a case about a person, only those
    who see the person), `exclude` (the writer) left out; at most MAX_SUGGESTED."""
    from workflow.services.lookup import org_of
    from workflow.storage.queries.accounts import active_users_over

    subject = org_of(s, case.subject_id)
    return [(u.login, u.full_name) for u in active_users_over(s, subject, MAX_SUGGESTED)
            if (exclude is None or u.id != exclude.id) and readers_of(s, ctx, u, case)]


SUGGESTED = re.compile(r"\(@([^()\s]+)\)\s*$")  # "Asel Nurpeisova (@asel)", as a suggestion reads


def resolve_mention(s: Session, ctx: Context, case: Case, typed: str) -> str:
    """The login of the person `typed` names, picked from the suggestions ("Name (@login)"),
    written as "@login" or as her full name (case ignored), among those the comment may
    mention; refused, in the reader's words, when it names none of them (or more than one)."""
    typed = " ".join((typed or "").split())[:200]
    found = SUGGESTED.search(typed)
    login = found.group(1) if found else typed[1:] if typed.startswith("@") else None
    people = mentionable(s, ctx, case)
    if login is not None:
        if any(p_login == login for p_login, _n in people):
            return login
    else:
        named = [p_login for p_login, name in people if name.casefold() == typed.casefold()]
        if len(named) == 1:
            return named[0]
    raise RuleViolation(f"no one to mention as {typed!r}", key="comments.error_mention_name",
                        name=typed, id=case.id)


def assignees(s: Session, case: Case) -> list[tuple[str, str]]:
    """(login, name) of each user the case may be handed to (`assign_responsible`): the
    active officers of its organisation, by name."""
    rows = s.exec(select(col(User.login), col(User.full_name)).where(
        User.organisation_id == case.subject_id, visibility.answerer_condition(col(User.role)),
        col(User.active)))
    return sorted(((login, name) for login, name in rows),
                  key=lambda p: (p[1].casefold(), p[0]))


def named(people: list[Any], typed: str) -> list[Any]:
    """Those of `people` ((login, name, ...) rows) whom `typed` names: the one of a suggestion
    ("Asel Nurpeisova (@asel)"), of "@login" or of her exact login; else those of that exact
    full name (case ignored); else those whose name or login holds every word typed."""
    typed = " ".join((typed or "").split())[:200]
    if not typed:
        return []
    found = SUGGESTED.search(typed)
    login = found.group(1) if found else typed[1:] if typed.startswith("@") else typed
    by_login = [p for p in people if p[0] == login]
    if by_login or found:
        return by_login
    folded = typed.casefold()
    exact = [p for p in people if " ".join(p[1].split()).casefold() == folded]
    if exact:
        return exact
    words = folded.split()
    return [p for p in people
            if all(w in p[1].casefold() or w in p[0].casefold() for w in words)]


def assignee_typed(s: Session, case: Case, typed: str) -> str:
    """The login of the one whom `typed` names (`named`) among those the case may be handed to
    (`assignees`), or `typed` itself when it names none of them (the hand-over refuses it in
    its words, nothing stored); several of that name are refused, each named with her login,
    to choose among."""
    typed = " ".join((typed or "").split())[:200]
    found = named(assignees(s, case), typed)
    if len(found) > 1:
        raise RuleViolation(f"several may be meant by {typed!r}", key="comments.assign_several",
                            name=typed, people=", ".join(f"{n} (@{login})" for login, n in found))
    return found[0][0] if found else typed


def officers_named(s: Session, org: Organisation, typed: str) -> list[tuple[str, str, int]]:
    """(login, name, organisation id) of the officers of `org`'s subtree whom `typed` names
    (`named`): those a case of the subtree may be handed to (each to an officer of its own
    organisation: `assign_responsible`), in the tree's order and by name."""
    return named(officer_names_under(s, org.path), typed)


@dataclass
class Shown:
    """A comment as the pages, the API and the command line show it."""

    id: int
    case: int
    author: str  # her login, or the operator's audit name
    author_name: str
    text: str
    at: str
    edited_at: str | None
    editable: bool  # by the reader, now
    mentions: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _author(s: Session, comment: CaseComment) -> tuple[str, str]:
    user = s.get(User, comment.author_id) if comment.author_id is not None else None
    return (user.login, user.full_name) if user is not None else (comment.actor, comment.actor)


def _editable(comment: CaseComment, reader: User | None, now: datetime) -> bool:
    if reader is None or comment.author_id != reader.id:
        return False
    written = datetime.fromisoformat(comment.created_at)
    return now - written <= timedelta(minutes=EDIT_MINUTES)


def comments_of(s: Session, ctx: Context, case_id: int | str, reader: User | None,
                now: datetime | None = None) -> list[Shown]:
    """The case's comments, oldest first, for `reader` (None: the command line's operator);
    the 404 of an unknown case for one who may not see it."""
    case = _readable(s, ctx, case_id, reader)
    moment = _now(now)
    rows = list(s.exec(select(CaseComment).where(CaseComment.case_id == case.id)
                       .order_by(col(CaseComment.id))))
    ids = [c.id for c in rows]
    named: dict[int, list[str]] = {}
    if ids:
        for comment_id, login in s.exec(
                select(col(CommentMention.comment_id), col(User.login))
                .join(User, col(User.id) == CommentMention.user_id)
                .where(col(CommentMention.comment_id).in_(ids))
                .order_by(col(CommentMention.id))):
            named.setdefault(comment_id, []).append(login)
    out = []
    for c in rows:
        login, name = _author(s, c)
        out.append(Shown(c.id, case.id or 0, login, name, c.body, c.created_at,
                         c.edited_at, _editable(c, reader, moment), named.get(c.id, [])))
    return out


def add_comment(s: Session, ctx: Context, case_id: int | str, author: User | None, text: str,
                now: datetime | None = None) -> CaseComment:
    """Write a comment on a case as `author` (None: the command line's operator, named by
    ctx.actor); refused, nothing stored, for an empty or too long text, a mention of one who
    may not see the case, or an author who may not see it."""
    case = _readable(s, ctx, case_id, author)
    body = _checked_text(text)
    users = _mentioned(s, ctx, case, body)
    at = _iso(_now(now))
    comment = CaseComment(case_id=case.id, author_id=author.id if author else None,
                          actor=ctx.actor[:100], body=body, created_at=at)
    s.add(comment)
    s.flush()
    _mention(s, ctx, case, comment, users, author)
    audit.append(s, ctx.actor, WRITTEN, "case", case.id,
                 {"comment": comment.id, "length": len(body),
                  "mentions": [u.login for u in users]})
    return comment


def edit_comment(s: Session, ctx: Context, comment_id: int | str, author: User, text: str,
                 now: datetime | None = None, case_id: int | None = None) -> CaseComment:
    """Change a comment (of case `case_id`, when given): only its author, within EDIT_MINUTES
    of writing it (refused after, nothing stored); those it newly mentions are told."""
    comment = s.get(CaseComment, int(comment_id)) if str(comment_id).isdigit() else None
    if comment is None or (case_id is not None and comment.case_id != case_id):
        raise NotFound(f"no comment {comment_id}", key="comments.error_unknown",
                       id=str(comment_id)[:20])
    case = _readable(s, ctx, comment.case_id, author)
    moment = _now(now)
    if comment.author_id != author.id:
        raise RuleViolation("not the author", key="comments.error_not_author")
    if not _editable(comment, author, moment):
        raise RuleViolation("too late to change", key="comments.error_late",
                            n=EDIT_MINUTES)
    body = _checked_text(text)
    users = _mentioned(s, ctx, case, body)
    before = set(s.exec(select(CommentMention.user_id)
                        .where(CommentMention.comment_id == comment.id)))
    fresh = [u for u in users if u.id not in before]
    old = comment.body
    comment.body, comment.edited_at = body, _iso(moment)
    s.add(comment)
    s.flush()
    _mention(s, ctx, case, comment, fresh, author)
    audit.append(s, ctx.actor, EDITED, "case", case.id,
                 {"comment": comment.id, "length": len(body), "old_length": len(old),
                  "mentions": [u.login for u in fresh]})
    return comment


def _mention(s: Session, ctx: Context, case: Case, comment: CaseComment, users: list[User],
             author: User | None) -> None:
    for user in users:
        if author is not None and user.id == author.id:
            continue  # her own name in her comment tells her nothing
        s.add(CommentMention(comment_id=comment.id, user_id=user.id,
                             created_at=comment.edited_at or comment.created_at))
        s.flush()
        _send(s, ctx, case, comment, user, author)


def channels_of(s: Session, user: User) -> list[tuple[str, str]]:
    """(channel, address) of each channel her preferences keep and that reaches her."""
    pref = s.get(ReminderPreference, user.id)
    chosen = CHANNELS if pref is None or pref.channels is None else \
        tuple(c for c in pref.channels.split(",") if c)
    out = []
    if "email" in chosen and user.email:
        out.append(("email", user.email))
    if "telegram" in chosen and user.telegram_chat_id and user.telegram_active:
        out.append(("telegram", user.telegram_chat_id))
    return out


def _send(s: Session, ctx: Context, case: Case, comment: CaseComment, user: User,
          author: User | None) -> None:
    """The mention notice, in her language: the comment quoted, unless the case is about a
    person (P-28: the outbound description says so), whose notice names the case only."""
    tr = Translator(user.language)
    who = author.full_name if author is not None else comment.actor
    subject = tr("comments.mention_subject", id=case.id, author=who)
    out = outbound_case(s, ctx, case)
    quoted = out.quote(comment.body)
    if quoted is None:
        text = tr("comments.mention_body_person", id=case.id, author=who,
                  process=out.process_name(user.language), org=out.subject_in(user.language))
        html = "<html><body><p>" + escape(text) + "</p></body></html>"
    else:
        text = tr("comments.mention_body", id=case.id, author=who, text=quoted)
        html = ("<html><body><p>" + escape(tr("comments.mention_body", id=case.id, author=who,
                                               text="\x00")).replace("\n", "<br>").replace(
            "\x00", "</p><blockquote>" + escape(quoted).replace("\n", "<br>")
            + "</blockquote><p>") + "</p></body></html>")
    url = out.url(ctx.public_url)
    if url:  # the case's page ([web] public_url), as every line of a reminder links it
        text += f"\n\n{url}"
        html = html.replace("</body>", f'<p><a href="{escape(url)}">{escape(url)}</a></p></body>')
    for channel, address in channels_of(s, user):
        enqueue(s, user.id, channel, ctx.today, f"mention:{comment.id}", address,
                subject[:500], text, html)
