"""Telegram both ways: linking a user's chat (a one-time code, bound when the chat sends
'/start CODE'), a linked person's commands (/due, /overdue, /case N: answered by the function
the worker is given) and the snooze buttons under her reminders."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.render import SNOOZE_DAYS, bot_text, link_reply
from notifications.written import date_text
from workflow.storage import audit
from workflow.storage.models import (
    Lease,
    OutboxMessage,
    ReminderHold,
    TelegramLink,
    User,
    WorkerState,
)

log = logging.getLogger("merzim.telegram")
OFFSET_KEY = "telegram_offset"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def create_link(s: Session, user: User, actor: str, ttl_seconds: float = 86400) -> str:
    """A fresh one-time code for `user`, valid for `ttl_seconds`."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    s.add(TelegramLink(code=code, user_id=user.id, expires_at=time.time() + ttl_seconds))
    s.flush()
    audit.append(s, actor, "user.telegram_link", "user", user.id, {"login": user.login})
    return code


def _offset(s: Session) -> int | None:
    row = s.get(WorkerState, OFFSET_KEY)
    return int(row.value) if row else None


LEASE = "telegram_poll"  # one poller at a time across every node and worker


def holder_name() -> str:
    """This process's name for leases: host, process id and a random part (a restarted
    process with the same id is another holder)."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def take_lease(engine: Engine, holder: str, seconds: float, now: float | None = None) -> bool:
    """Hold the Telegram poller's lease for `seconds` more: taken when free, expired (its
    holder died or stopped renewing) or already ours; False while another holds it. One UPDATE
    decides, so two processes never both get it."""
    from sqlalchemy import or_, update
    from sqlalchemy.exc import IntegrityError

    t = time.time() if now is None else now
    with Session(engine) as s:
        taken = s.execute(update(Lease).where(
            col(Lease.name) == LEASE,
            or_(col(Lease.holder) == holder, col(Lease.expires_at) < t),
        ).values(holder=holder, expires_at=t + seconds))
        if taken.rowcount:  # type: ignore[attr-defined]
            s.commit()
            return True
        if s.get(Lease, LEASE) is not None:
            return False
        s.add(Lease(name=LEASE, holder=holder, expires_at=t + seconds))
        try:
            s.commit()
        except IntegrityError:  # another process created it first: it is theirs
            return False
    return True


def release_lease(engine: Engine, holder: str) -> None:
    """Give the lease up at a clean stop (the next poller need not wait for it to expire)."""
    from sqlalchemy import update

    with Session(engine) as s:
        s.execute(update(Lease).where(col(Lease.name) == LEASE, col(Lease.holder) == holder)
                  .values(expires_at=0.0))
        s.commit()


def _claim(s: Session, update_id: int) -> bool:
    """In the update's transaction: lock the stored offset and move it past `update_id`;
    False when another poller has already taken this update (the offset is beyond it)."""
    from workflow.storage.db import begin_write

    begin_write(s)
    row = s.exec(select(WorkerState).where(WorkerState.key == OFFSET_KEY)
                 .with_for_update()).first()
    if row is not None and int(row.value) > update_id:
        return False
    row = row or WorkerState(key=OFFSET_KEY, value="0")
    row.value = str(update_id + 1)
    s.add(row)
    return True


# A linked person's command ("/due", "/overdue", "/case 7") → the bot's reply in her language,
# given by the composition root (the worker command): the answers read through the services
# and the adapters' visibility rules, which this layer may not import.
Answer = Callable[[Session, User, str, date], str]


def poll_updates(engine: Engine, channel, now: float | None = None, holder: str | None = None,
                 lease_seconds: float = 30.0, answer: Answer | None = None,
                 today: date | None = None) -> int:
    """Read new updates from the Bot API: bind chats that sent a valid '/start CODE', answer a
    linked person's commands (`answer`) and store the snoozes pressed under her reminders.

    With `holder` (the worker's), only while this process holds the poller's lease: several
    workers on one database poll one at a time, and another takes over once a dead one's lease
    expires. Each update is handled in one transaction with the stored offset moved past it
    (the offset row locked): an update is handled once, even by two pollers that overlap,
    and one not yet committed is read again by the next poll. The reply goes after the commit
    (a courtesy: a process killed in between sends none). Returns the chats bound."""
    if holder is not None and not take_lease(engine, holder, lease_seconds, now):
        return 0
    day = today or date.today()
    with Session(engine) as s:
        offset = _offset(s)
    updates = channel.get_updates(offset)
    bound = 0
    for upd in updates:
        try:
            update_id = int(upd["update_id"])
        except (KeyError, TypeError, ValueError):
            continue
        msg = upd.get("message") or {}
        press = upd.get("callback_query") or {}
        chat = (msg.get("chat") or {}).get("id")
        if press:
            chat = ((press.get("message") or {}).get("chat") or {}).get("id") \
                or (press.get("from") or {}).get("id")
        reply = None
        with Session(engine) as s:
            if not _claim(s, update_id):
                continue
            if chat is not None:
                reply, done = _handle(s, msg, press, chat, now, day, answer)
                bound += done
            s.commit()
        if press and press.get("id") and hasattr(channel, "answer_callback"):
            try:
                channel.answer_callback(str(press["id"]), reply or "")
            except Exception as exc:  # a courtesy: the spinner stops by itself
                log.warning("telegram callback answer failed: %s", exc)
        if reply is None:
            continue
        try:
            channel.reply(str(chat), reply)
        except Exception as exc:  # a reply is a courtesy; binding already happened
            log.warning("telegram reply to %s failed: %s", chat, exc)
    return bound


def _handle(s: Session, msg: dict, press: dict, chat, now: float | None, day: date,
            answer: Answer | None) -> tuple[str | None, int]:
    """One update in its transaction: (the reply or None, 1 when a chat was bound)."""
    text = (msg.get("text") or "").strip()
    if press:
        return _snooze(s, chat, str(press.get("data") or ""), day), 0
    if text.startswith("/start"):
        return _bind(s, text, chat, now)
    if not text.startswith("/"):
        return None, 0
    user = linked_user(s, chat)
    if user is None:
        return bot_text(_language(msg), "not_linked"), 0
    return (answer(s, user, text, day) if answer is not None else None), 0


def _language(msg: dict) -> str:
    """An unlinked chat's language: its Telegram client's, when merzim speaks it; else kk."""
    code = str((msg.get("from") or {}).get("language_code") or "")[:2]
    return code if code in ("kk", "ru", "en") else "kk"


def linked_user(s: Session, chat) -> User | None:
    """The active person who bound `chat` herself with '/start CODE' (None: nobody did). A
    chat an administrator typed in (an import, `user set`) gets her reminders but is not
    hers to ask about cases or to snooze them: the bot treats it as unlinked (P-27)."""
    return s.exec(select(User).where(User.telegram_chat_id == str(chat),
                                     col(User.telegram_active), col(User.active),
                                     col(User.telegram_bound_at).is_not(None))).first()


def _snooze(s: Session, chat, data: str, today: date) -> str | None:
    """A snooze button pressed: every stage its reminder lists held back for the person until
    `today` + the button's days (reminder_hold, as a snooze from the account page); refused,
    with nothing stored, when the chat is not the reminder's recipient's."""
    user = linked_user(s, chat)
    if user is None:
        return bot_text("kk", "not_linked")
    parts = data.split(":")
    row = None
    if len(parts) == 3 and parts[0] == "snooze" and parts[1].isdigit() and parts[2].isdigit():
        row = s.get(OutboxMessage, int(parts[1]))
    days = int(parts[2]) if row is not None else 0
    if (row is None or row.recipient_id != user.id or days not in SNOOZE_DAYS
            or not row.stages):
        return bot_text(user.language, "snooze_unknown")
    until = today + timedelta(days=days)
    stages = [(int(c), str(k)) for c, k in json.loads(row.stages)]
    held = {(h.case_id, h.stage_key): h for h in s.exec(select(ReminderHold).where(
        ReminderHold.user_id == user.id, col(ReminderHold.stage_key).is_not(None)))}
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for case_id, key in stages:
        hold = held.get((case_id, key))
        if hold is None:
            s.add(ReminderHold(user_id=user.id, case_id=case_id, stage_key=key,
                               until=until, created_at=stamp))
        elif hold.until is None or hold.until < until:
            hold.until = until
            s.add(hold)
    s.flush()
    audit.append(s, f"telegram:{user.login}", "reminder.snooze", "user", user.id,
                 {"outbox": row.id, "until": until.isoformat(),
                  "stages": [list(x) for x in stages]})
    return bot_text(user.language, "snoozed", date=date_text(until, user.language),
                    n=len(stages))


def _bind(s: Session, text: str, chat, now: float | None) -> tuple[str, int]:
    """Bind the chat to the user of a valid code: (the reply, 1); else (the refusal, 0)."""
    parts = text.split()
    code = parts[1].upper() if len(parts) > 1 else ""
    link = s.exec(select(TelegramLink).where(TelegramLink.code == code)).first()
    t = now or time.time()
    if link is None or link.used_at is not None or link.expires_at < t:
        return link_reply("kk", "unknown"), 0
    user = s.get_one(User, link.user_id)
    user.telegram_chat_id, user.telegram_active = str(chat), True
    user.telegram_bound_at = t  # her own: the bot answers her commands in it
    link.used_at = t
    s.add(user)
    s.add(link)
    audit.append(s, "telegram", "user.telegram_bound", "user", user.id,
                 {"login": user.login, "chat": str(chat)})
    return link_reply(user.language, "done", user.full_name), 1
