"""The tables of a case's comments and the users they mention. Built when one of their
names is first asked of `workflow.storage.models`, whose models they are (`__module__ =
FACADE`: see there); kept apart from the case's own tables, which most commands build
without them."""

from __future__ import annotations

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class CaseComment(SQLModel, table=True):
    """A remark on a case, in plain text: who wrote it (`author_id`, None for the command
    line's operator, named by `actor`) and when; its author may change it for a few minutes
    (`workflow/services/comments.py`), the last change kept in `edited_at`."""

    __tablename__ = "case_comment"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    case_id: int = Field(foreign_key="process_case.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(max_length=40)  # ISO, UTC (as the audit log's)
    edited_at: str | None = Field(default=None, max_length=40)


class CommentMention(SQLModel, table=True):
    """A user a comment names as @login (one who may see its case): her notification centre
    lists it."""

    __tablename__ = "comment_mention"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("comment_id", "user_id", name="uq_comment_mention"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    comment_id: int = Field(foreign_key="case_comment.id")
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: str = Field(max_length=40)
