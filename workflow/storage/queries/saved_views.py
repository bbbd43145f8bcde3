"""Queries of saved views (`services/saved_views.py`): a user's own, those shared with her by
the managers above her, one by its name."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from workflow.storage.models import Organisation, SavedView, User


def own_views(s: Session, user_id: int) -> list[SavedView]:
    """The user's views, by name (case ignored), then id."""
    return list(s.exec(select(SavedView).where(SavedView.user_id == user_id)
                       .order_by(func.lower(col(SavedView.name)), col(SavedView.id))))


def named(s: Session, user_id: int, name: str) -> SavedView | None:
    """The user's view of this name, case ignored."""
    return s.exec(select(SavedView).where(
        SavedView.user_id == user_id,
        func.lower(col(SavedView.name)) == name.lower())).first()


def shared_with(s: Session, user_id: int, org_paths: list[str], sharers: Sequence[str]
                ) -> list[tuple[SavedView, User]]:
    """The views shared by the active accounts of the roles `sharers` (those who share:
    services/visibility.py `SHARERS`) of these organisations (the reader's and those above
    it) other than the reader, with their owner, by owner and name."""
    if not org_paths:
        return []
    rows = s.exec(select(SavedView, User)
                  .join(User, col(User.id) == SavedView.user_id)
                  .join(Organisation, col(Organisation.id) == User.organisation_id)
                  .where(col(SavedView.shared), col(User.active), User.id != user_id,
                         col(User.role).in_(tuple(sharers)),
                         col(Organisation.path).in_(org_paths))
                  .order_by(col(User.full_name), func.lower(col(SavedView.name)),
                            col(SavedView.id)))
    return [(view, owner) for view, owner in rows]


def count_own(s: Session, user_id: int) -> int:
    """How many views the user keeps."""
    return s.exec(select(func.count()).select_from(SavedView)
                  .where(SavedView.user_id == user_id)).one()
