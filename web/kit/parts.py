"""The parts the features add to the shared pages, declared: each page module of a feature
(its declaration's `web`, workflow/core/feature.py) ends with `PARTS = Parts(...)`, naming its
routers and the extension points of the shared pages it fills. web/app.py composes every
module's `PARTS` into `app.state.parts` (a `Composed`) and names no feature; a shared page
reads the extension point it offers from there.

The extension points:

* `programme`: a programme's page and API (web/kit/programme.py, `ProgrammePart`);
* `overview`: the overview's and My work's figures (web/overview_page.py, web/work_page.py:
  `page(request, pc, scope)`, and `work(request, pc)` when it adds to My work);
* `menu`: the menu of every page (web/kit/page.py: `counts(request, pc)`; `always`: its own
  counts even when a page gives them in advance);
* `register_points`: a register page's points for the year (web/registers_page.py:
  `points(request, pc, definition, code, year)`; one feature fills it);
* `stage_actions`: the links a case page shows beside a stage (web/case_page.py:
  `links(request, pc, case, view)` → {stage key: [(label, href), ...]}; the documents feature's
  "draft the document");
* `org_links`: the links an organisation's page shows (web/orgs_page.py: `links(request, pc,
  org)` → [(label, href), ...]; the documents feature's risk map);
* `report_forms`: the report forms the shared pages link (a register page its appendix, an
  analysis page the national input, the scorecard its forms with their lines; one feature
  fills it);
* `startup`: what a feature starts when the application starts serving (web/app.py: its
  lifespan's start, `startup(app)`): it returns at once, its work in the background (the
  scorecard's root figures worked out before the first request asks them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlmodel import Session

    from web.kit.programme import ProgrammePart
    from workflow.services.context import Context


class ReportForms(Protocol):
    """The report forms other pages link."""

    def appendices(self) -> tuple[int, ...]:
        """The appendices there are, in order."""

    def lines(self, s: Session, ctx: Context, code: str, year: int) -> dict[int, int]:
        """How many lines each appendix of the subject's year would hold (none written for
        its kind: absent)."""

    def national_obligation(self) -> str | None:
        """The definition whose analysis pages link to the National Report's input."""


@dataclass(frozen=True)
class Parts:
    """What one page module adds to the web application: its routers (the pages', then the
    API's) and the extension points of the shared pages it fills (None: not that one)."""

    routers: tuple[APIRouter, ...] = ()
    programme: ProgrammePart | None = None
    overview: Any = None
    menu: Any = None
    register_points: Any = None
    report_forms: ReportForms | None = None
    stage_actions: Any = None
    startup: Any = None
    org_links: Any = None


@dataclass(frozen=True)
class Composed:
    """Every page module's parts, in the order the features are installed."""

    programme: tuple[ProgrammePart, ...] = ()
    overview: tuple[Any, ...] = ()
    menu: tuple[Any, ...] = ()
    stage_actions: tuple[Any, ...] = ()
    register_points: Any = None
    report_forms: ReportForms | None = None
    routers: tuple[APIRouter, ...] = field(default=())
    startup: tuple[Any, ...] = ()
    org_links: tuple[Any, ...] = ()


def compose(parts: Iterable[Parts]) -> Composed:
    """The parts of these page modules together; an extension point one feature fills is
    refused when two fill it."""
    found = tuple(parts)
    single: dict[str, Any] = {}
    for name in ("register_points", "report_forms"):
        given = [getattr(p, name) for p in found if getattr(p, name) is not None]
        if len(given) > 1:
            raise ValueError(f"two page modules fill the extension point {name!r}")
        single[name] = given[0] if given else None
    return Composed(programme=tuple(p.programme for p in found if p.programme is not None),
                    overview=tuple(p.overview for p in found if p.overview is not None),
                    menu=tuple(p.menu for p in found if p.menu is not None),
                    stage_actions=tuple(p.stage_actions for p in found
                                        if p.stage_actions is not None),
                    routers=tuple(r for p in found for r in p.routers),
                    startup=tuple(p.startup for p in found if p.startup is not None),
                    org_links=tuple(p.org_links for p in found if p.org_links is not None),
                    **single)
