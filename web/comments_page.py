"""A case's comments and its hand-over on the case page, and the comments in the API
(`GET/POST /api/v1/cases/N/comments`, `PATCH /api/v1/cases/N/comments/ID`).

Comments are shown to exactly those who may see the case and, for a case about a person, the
person (workflow/services/comments.py `readers_of`, which asks services/visibility.py); to
anyone else the comments are "not found".
Who hands a case over is the one rule's (workflow/services/visibility.py `handover_refusal`,
P-26): the picker (one of the officers of its organisation, by name: `assignees`, the case
page's part in web/kit/comments.py) is offered only to her, and the service refuses anyone
else, in her words, nothing stored. A comment refused on the page comes back in its form
with the reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from web.case_page import show_case
from web.kit.access import visible_case
from web.kit.api import ApiContext, api_routes
from web.kit.deps import PageContext
from web.kit.page import audited_refusal, check_csrf, page
from web.kit.recording import Problem
from web.kit.shapes import Shape
from workflow import services as svc
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.services import comments
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
COMMENT_FIELD = "comment"  # the case page's comment, kept in its form after a refusal
MENTION_FIELD = "comment_mention"  # and the person she picked to mention
api_router = api_routes()


def _refusal(pc_or_a: Any, action: str, case_id: Any, detail: dict[str, Any]):
    return audited_refusal(pc_or_a, action, "case", case_id, detail)


def _posted_case(pc: PageContext, csrf: str, case_id: str):
    """The case a form of the case page is posted to (its token checked; one the reader sees)."""
    check_csrf(pc, csrf)
    return visible_case(pc.s, pc.viewer, case_id)


@router.post("/cases/{case_id}/comments")
def write_comment(request: Request, case_id: str, text: str = Form(""), csrf: str = Form(""),
                  mention: str = Form(""), pc: PageContext = Depends(page)):
    """Write a comment, mentioning as @login or by the person picked (`mention`: a name the
    form suggests as she types); refused in the reader's words, nothing stored, and the case
    page shown again with what she wrote in the form, to correct."""
    case = _posted_case(pc, csrf, case_id)
    try:
        with _refusal(pc, "comment", case.id, {"length": len(text or "")}), \
                tx.transaction(pc.s):
            body = text
            if mention.strip():
                login = comments.resolve_mention(pc.s, pc.ctx, case, mention)
                if login not in comments.mentioned_logins(text or ""):
                    body = f"{(text or '').rstrip()}\n@{login}"
            comments.add_comment(pc.s, pc.ctx, case_id, pc.viewer.user, body)
    except MerzimError as exc:
        problem = Problem(exc.render(pc.t), exc.key, COMMENT_FIELD,
                          isinstance(exc, UsageError))
        return show_case(request, pc, str(case.id), problems=[problem],
                         form={COMMENT_FIELD: text[:comments.MAX_LENGTH * 2],
                               MENTION_FIELD: mention[:200]},
                         status=409 if isinstance(exc, RuleViolation) else
                         404 if isinstance(exc, NotFound) else 422)
    return RedirectResponse(f"/cases/{case.id}#comments", status_code=303)


@router.post("/cases/{case_id}/comments/{comment_id}")
def change_comment(case_id: str, comment_id: str, text: str = Form(""),
                   csrf: str = Form(""), pc: PageContext = Depends(page)):
    """Change one's own comment within the minutes allowed."""
    case = _posted_case(pc, csrf, case_id)
    with _refusal(pc, "comment_edit", case.id, {"comment": comment_id[:20]}), tx.transaction(pc.s):
        comments.edit_comment(pc.s, pc.ctx, comment_id, pc.viewer.user, text,
                              case_id=case.id)
    return RedirectResponse(f"/cases/{case.id}#comments", status_code=303)


@router.post("/cases/{case_id}/assign")
def assign_case(case_id: str, login: str = Form(""), csrf: str = Form(""),
                pc: PageContext = Depends(page)):
    """Hand the case over to one of the officers of its organisation, chosen or typed by name
    (`comments.assignee_typed`: several of that name are refused, each named to choose)."""
    case = _posted_case(pc, csrf, case_id)
    with _refusal(pc, "assign", case.id, {"to": login[:100]}), tx.transaction(pc.s):
        to = comments.assignee_typed(pc.s, case, login)
        svc.assign_responsible(pc.s, pc.ctx, case.id, to, by=pc.viewer.user)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


# -- the API --------------------------------------------------------------------------------------


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=comments.MAX_LENGTH * 2,
                      description="Plain text; @login mentions a user who may see the case.")


class Comment(Shape):
    """A comment: its author (login), text, when written and last changed, whether the
    reader may still change it, and whom it mentions."""

    id: int
    case: int
    author: str
    author_name: str
    text: str
    at: str
    edited_at: str | None
    editable: bool
    mentions: list[str]


def _visible(a: ApiContext, case_id: int):
    return visible_case(a.s, a.viewer, case_id)


@api_router.get("/cases/{case_id}/comments", response_model=list[Comment])
def api_comments(case_id: int, a: ApiContext = Depends()) -> list[dict[str, Any]]:
    """The case's comments, oldest first (404 for one who may not see them)."""
    case = _visible(a, case_id)
    return [c.as_dict() for c in comments.comments_of(a.s, a.ctx, case.id, a.viewer.user)]


@api_router.post("/cases/{case_id}/comments", response_model=Comment, status_code=201)
def api_write_comment(case_id: int, body: CommentIn, a: ApiContext = Depends()):
    """Write a comment; refused (422, 409, 404) with the reason, nothing stored."""
    case = _visible(a, case_id)
    with _refusal(a, "comment", case.id, {"length": len(body.text)}), tx.transaction(a.s):
        made = comments.add_comment(a.s, a.ctx, case.id, a.viewer.user, body.text)
    return next(c.as_dict() for c in comments.comments_of(a.s, a.ctx, case.id, a.viewer.user)
                if c.id == made.id)


@api_router.patch("/cases/{case_id}/comments/{comment_id}", response_model=Comment)
def api_change_comment(case_id: int, comment_id: int, body: CommentIn,
                       a: ApiContext = Depends()):
    """Change one's own comment within the minutes allowed (409 after)."""
    case = _visible(a, case_id)
    with _refusal(a, "comment_edit", case.id, {"comment": comment_id}), tx.transaction(a.s):
        comments.edit_comment(a.s, a.ctx, comment_id, a.viewer.user, body.text,
                              case_id=case.id)
    return next(c.as_dict() for c in comments.comments_of(a.s, a.ctx, case.id, a.viewer.user)
                if c.id == comment_id)
