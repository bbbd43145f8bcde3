"""Linking a user's Telegram chat: a one-time code, bound when the chat sends '/start CODE'."""

from __future__ import annotations

import logging
import secrets
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.render import link_reply
from workflow.storage import audit
from workflow.storage.models import Lease, TelegramLink, User, WorkerState, saved_id

log = logging.getLogger("merzim.telegram")
OFFSET_KEY = "telegram_offset"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def create_link(s: Session, user: User, actor: str, ttl_seconds: float = 86400) -> str:
    """A fresh one-time code for `user`, valid for `ttl_seconds`."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    s.add(TelegramLink(code=code, user_id=saved_id(user), expires_at=time.time() + ttl_seconds))
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


def poll_updates(engine: Engine, channel, now: float | None = None, holder: str | None = None,
                 lease_seconds: float = 30.0) -> int:
    """Read new updates from the Bot API and bind chats that sent a valid '/start CODE'.

    With `holder` (the worker's), only while this process holds the poller's lease: several
    workers on one database poll one at a time, and another takes over once a dead one's lease
    expires. Each update is handled in one transaction with the stored offset moved past it
    (the offset row locked): an update is handled once, even by two pollers that overlap,
    and one not yet committed is read again by the next poll. The reply goes after the commit
    (a courtesy: a process killed in between sends none)."""
    if holder is not None and not take_lease(engine, holder, lease_seconds, now):
        return 0
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
        text = (msg.get("text") or "").strip()
        chat = (msg.get("chat") or {}).get("id")
        reply = None
        with Session(engine) as s:
            if not _claim(s, update_id):
                continue
            if text.startswith("/start") and chat is not None:
                reply, done = _bind(s, text, chat, now)
                bound += done
            s.commit()
        if reply is None:
            continue
        try:
            channel.reply(str(chat), reply)
        except Exception as exc:  # a reply is a courtesy; binding already happened
            log.warning("telegram reply to %s failed: %s", chat, exc)
    return bound


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
    link.used_at = t
    s.add(user)
    s.add(link)
    audit.append(s, "telegram", "user.telegram_bound", "user", user.id,
                 {"login": user.login, "chat": str(chat)})
    return link_reply(user.language, "done", user.full_name), 1
