"""a person's channels are hers: when she signed in, who bound her Telegram, e-mail changes

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-26 09:10:00

`app_user.signed_in_at` is her last sign-in (None: never): once she has signed in, an
administrator's import or form no longer changes her e-mail or Telegram (P-27).
`app_user.telegram_bound_at` is when her own '/start CODE' bound the chat she has: the bot
answers commands only in such a chat (a chat an administrator typed in gets reminders but no
answers about cases). `email_change` keeps a change of a signed-in person's e-mail waiting
for her confirmation by a link sent to the new address (the SHA-256 of the link's token).

Both columns are filled from the audit log: the last `login.ok` of each user, and the last
`user.telegram_bound` whose chat is still hers.
"""
import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from workflow.storage.migrations.ops import (
    add_columns,
    create_table,
    drop_columns,
    drop_tables,
    floating,
    foreign_key,
    index,
    integer,
    string,
)

revision = '0029'
down_revision = '0028'


def _epoch(at: str) -> float | None:
    try:
        return datetime.fromisoformat(at).timestamp()
    except (TypeError, ValueError):
        return None


def upgrade() -> None:
    add_columns('app_user', floating('signed_in_at', null=True),
                floating('telegram_bound_at', null=True))
    create_table('email_change',
                 integer('id'), string('token_hash', 64), integer('user_id'),
                 string('new_email', 254), string('requested_by', 100),
                 floating('created_at'), floating('expires_at'), floating('used_at', null=True),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('token_hash', unique=True), 'user_id'])
    conn = op.get_bind()
    chats = {str(r[0]): r[1] for r in conn.execute(sa.text(
        "SELECT id, telegram_chat_id FROM app_user"))}
    signed: dict[str, float] = {}
    bound: dict[str, float] = {}
    rows = conn.execute(sa.text(
        "SELECT entity_id, action, at, payload FROM audit_log WHERE entity = 'user' "
        "AND action IN ('login.ok', 'user.invite_accepted', 'user.telegram_bound') ORDER BY id"))
    for entity_id, action, at, payload in rows:
        t = _epoch(at)
        if t is None or entity_id not in chats:
            continue
        if action in ('login.ok', 'user.invite_accepted'):
            signed[entity_id] = t
            continue
        try:
            chat = str(json.loads(payload).get('chat'))
        except (TypeError, ValueError, AttributeError):
            continue
        if chats[entity_id] is not None and chat == str(chats[entity_id]):
            bound[entity_id] = t
    for column, found in (('signed_in_at', signed), ('telegram_bound_at', bound)):
        for user_id, t in found.items():
            conn.execute(sa.text(f"UPDATE app_user SET {column} = :t WHERE id = :id"),
                         {"t": t, "id": int(user_id)})


def downgrade() -> None:
    drop_tables('email_change')
    drop_columns('app_user', 'signed_in_at', 'telegram_bound_at')
