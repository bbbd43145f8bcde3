"""The kept figures: what a page shows as a count or a list, kept until a write changes it.

One room, between the services and the storage:
* `touch`: what a write touches, told once from its audit records (cases, organisations,
  people, programmes, views; whether stages changed; everything);
* `counts`: the open stages per organisation, process and due day, kept by the writes in the
  database (`OpenStageCount`), counted again at each write's commit from its touch;
* `versions`: the version of each scope a figure reads, moved at each write's commit from its
  touch;
* `guard`: a transaction that writes a stage or a case without an audit record covering it is
  refused at its commit;
* `commit`: what a write's commit does for them, in one listener: the guard's check, the
  counts counted again, the versions moved;
* `figures`: each kept figure declared once, with the scopes of a reader it reads and its
  recount.

Importing the package hands every audit append to it (storage/audit.py `keep_with`); an append
before then is refused rather than left unkept."""

from __future__ import annotations

from workflow.kept import commit, counts, figures, guard, touch, versions
from workflow.storage import audit

audit.keep_with(versions.move)

__all__ = ["commit", "counts", "figures", "guard", "touch", "versions"]
