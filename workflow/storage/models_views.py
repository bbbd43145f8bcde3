"""The table of saved views: a filtered list a user keeps under a name. Built when its name is
first asked of `workflow.storage.models`, whose model it is (`__module__ = FACADE`: see
there)."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class SavedView(SQLModel, table=True):
    """A list (the overdue or due list, the cases list, a register's page) with its filters,
    kept by a user under a name (`workflow/services/saved_views.py`): `path` the list's address,
    `query` its filters as a query string. A manager's or an administrator's view may be
    `shared` with the users of his organisation's subtree; each of them counts it with her own
    access."""

    __tablename__ = "saved_view"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_view_name"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=80)
    path: str = Field(max_length=200)
    query: str = Field(default="", max_length=1000)
    shared: bool = False
    created_at: str = Field(max_length=40)  # ISO, UTC (as the audit log's)
    updated_at: str = Field(max_length=40)
