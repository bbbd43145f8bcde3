"""The cases nobody answers for -- opened before anyone could (a year so far back-filled before
the organisation's people were added) -- handed to its officer when she arrives: added,
invited, made an officer, moved there or reactivated. Each hand-over audited as any is
(`analysis.assign`, from nobody), and she is told once, in one message of her channels,
not once per case; her bell lists none of them one by one. A case about a person is left
to be handed over by hand (P-26: who sees its person is decided by whoever hands it)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from sqlalchemy import update
from sqlmodel import Session, col

from workflow.i18n import Translator
from workflow.services.context import Context
from workflow.services.organisations import org_name
from workflow.storage import audit
from workflow.storage.models import HANDOVER, Case, Organisation, User
from workflow.storage.queries import cases as case_queries

UNANSWERED = "unanswered"  # the hand-over's payload entry that says it was of nobody's cases


def hand_to_officers(s: Session, ctx: Context, organisation_ids: Iterable[int]
                     ) -> dict[str, list[int]]:
    """For each organisation of `organisation_ids` whose one active officer has just arrived
    (it has exactly one: with several, a case nobody answers for stays every officer's, as
    before), its cases nobody answers for handed to her in one statement, audited, and she
    is told once; her login -> the cases handed."""
    handed: dict[str, list[int]] = {}
    for org_id in sorted(set(organisation_ids)):
        officers = case_queries.active_officers(s, org_id, most=2)
        if len(officers) != 1:  # none yet; or several, whose unassigned cases stay everyone's
            continue
        officer = officers[0]
        ids = case_queries.unanswered(s, org_id)
        if not ids:
            continue
        s.execute(update(Case).where(col(Case.id).in_(ids)).values(responsible_id=officer.id)
                  .execution_options(synchronize_session="fetch"))
        audit.append_many(s, ctx.actor, [
            (HANDOVER, "case", i, audit.canonical({"from": None, "to": officer.login,
                                                   UNANSWERED: True})) for i in ids])
        _tell(s, ctx, officer, s.get(Organisation, org_id), len(ids))
        handed[officer.login] = ids
    return handed


def _tell(s: Session, ctx: Context, officer: User, org: Organisation | None, n: int) -> None:
    """One message on each of her channels: how many cases of her organisation are now hers,
    and where she finds them (her work page)."""
    from workflow.reminders.planner import enqueue
    from workflow.services.comments import channels_of

    tr = Translator(officer.language)
    name = org_name(org, officer.language) if org is not None else ""
    subject = tr("handover.unanswered_subject", org=name)
    text = tr.n("handover.unanswered_body", n, org=name)
    if ctx.public_url:
        text += f"\n\n{ctx.public_url.rstrip('/')}/work"
    html = "<html><body><p>" + escape(text).replace("\n", "<br>") + "</p></body></html>"
    for channel, address in channels_of(s, officer):
        enqueue(s, officer.id, channel, ctx.today, f"unanswered:{org.id if org else 0}",
                address, subject[:500], text, html)
