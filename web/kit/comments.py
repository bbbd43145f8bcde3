"""The case page's comments and hand-over part (web/templates/_comments.html): the comments
the reader may see, whom she may hand the case to, and why she cannot when she cannot. Who
sees comments is `services/comments.py` `readers_of`'s; who hands a case over is
`services/visibility.py` `handover_refusal`'s (P-26); this part only asks them."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from web.kit.deps import PageContext
from web.kit.times import local_time
from workflow import services as svc
from workflow.services import comments, people, visibility


def handover_refused(pc: PageContext, case) -> Any:
    """Why the reader may not hand the case over (services/visibility.py
    `handover_refusal`, P-26), None when she may: the case page offers its picker only then."""
    responsible = svc.user_by_id(pc.s, case.responsible_id)
    return visibility.handover_refusal(pc.viewer.user, case,
                                       svc.definition_of(pc.s, pc.ctx, case), responsible)


def case_part(pc: PageContext, case, tz: tzinfo) -> dict[str, Any]:
    """What the case page shows of comments and hand-over: the comments (None: the reader
    may not see them; each one's moment in the configured time zone `tz`, as the history's),
    whom the reader may hand the case to (empty: she may not) and, when the case cannot be
    handed over from here, why (`assign_blocked`): the hand-over rule's refusal, in her
    words, for a case nobody is responsible for; or no officer in its organisation, with who
    adds one (an administrator: herself, invited from the people page; anyone else: the
    administrators over it, by name)."""
    shown = (comments.comments_of(pc.s, pc.ctx, case.id, pc.viewer.user)
             if comments.readers_of(pc.s, pc.ctx, pc.viewer.user, case) else None)
    names = svc.display_names(pc.s, [c.author for c in shown or []])
    refusal = handover_refused(pc, case) if case.withdrawn_at is None else None
    assignees = (comments.assignees(pc.s, case)
                 if case.withdrawn_at is None and refusal is None else [])
    blocked: dict[str, Any] | None = None
    if case.withdrawn_at is None and refusal is None and not assignees:
        org = svc.org_of(pc.s, case.subject_id)
        blocked = {"no_officer": True, "org_name": svc.org_name(org, pc.t.language),
                   "invite": pc.viewer.administers,
                   "admins": [name for _l, name in people.administrators_of(pc.s, org)]}
    elif refusal is not None and case.responsible_id is None:
        blocked = {"no_officer": False, "reason": refusal.render(pc.t)}
    return {"comments": [{**c.as_dict(), "author_name": names.get(c.author) or c.author_name,
                          "at_local": local_time(c.at, tz)}
                         for c in shown] if shown is not None else None,
            "comment_max": comments.MAX_LENGTH, "comment_minutes": comments.EDIT_MINUTES,
            "assignees": assignees, "assign_blocked": blocked,
            # whom the comment form suggests to mention as she types (<datalist>): those who
            # read the comments, by name; none for one who does not
            "mention_people": comments.mentionable(pc.s, pc.ctx, case, pc.viewer.user)
            if shown is not None else []}
