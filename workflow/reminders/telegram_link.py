"""Linking a user's Telegram chat: a one-time code, bound when the chat sends '/start CODE'."""

from __future__ import annotations

import logging
import secrets
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from notifications.render import link_reply
from workflow.storage import audit
from workflow.storage.models import TelegramLink, User, WorkerState, saved_id

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


def poll_updates(engine: Engine, channel, now: float | None = None) -> int:
    """Read new updates from the Bot API and bind chats that sent a valid '/start CODE'."""
    with Session(engine) as s:
        offset = _offset(s)
    updates = channel.get_updates(offset)
    bound = 0
    last = None
    for upd in updates:
        last = upd.get("update_id", last)
        msg = upd.get("message") or {}
        text = (msg.get("text") or "").strip()
        chat = (msg.get("chat") or {}).get("id")
        if not text.startswith("/start") or chat is None:
            continue
        parts = text.split()
        code = parts[1].upper() if len(parts) > 1 else ""
        reply = None
        with Session(engine) as s:
            link = s.exec(select(TelegramLink).where(TelegramLink.code == code)).first()
            t = now or time.time()
            if link is None or link.used_at is not None or link.expires_at < t:
                reply = link_reply("kk", "unknown")
            else:
                user = s.get_one(User, link.user_id)
                user.telegram_chat_id, user.telegram_active = str(chat), True
                link.used_at = t
                s.add(user)
                s.add(link)
                audit.append(s, "telegram", "user.telegram_bound", "user", user.id,
                             {"login": user.login, "chat": str(chat)})
                reply = link_reply(user.language, "done", user.full_name)
                bound += 1
            s.commit()
        try:
            channel.reply(str(chat), reply)
        except Exception as exc:  # a reply is a courtesy; binding already happened
            log.warning("telegram reply to %s failed: %s", chat, exc)
    if last is not None:
        with Session(engine) as s:
            row = s.get(WorkerState, OFFSET_KEY) or WorkerState(key=OFFSET_KEY, value="0")
            row.value = str(int(last) + 1)
            s.add(row)
            s.commit()
    return bound
