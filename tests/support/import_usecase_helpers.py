"""What the tests of the one import path share (tests/imports/): a page's form sent as a
browser sends it, the `merzim` command line on the web's own database, and the register's
standing cases as stored."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, col, select

from tests.support.cli_runner import Merzim
from tests.support.web_helpers import Web, csrf_of
from tests.support.web_import_helpers import PROCESS
from workflow.storage.models import Case, Stage

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def post_form(b, page: str, action: str):
    """A form of the page sent as a browser sends it: its hidden fields as they are."""
    start = page.index(f'action="{action}"')
    block = page[start:page.index("</form>", start)]
    data = dict(HIDDEN.findall(block))
    data["csrf"] = csrf_of(page)
    return b.post(action, data=data)


def cli_of(site: Web, tmp_path: Path) -> Merzim:
    workdir = tmp_path / "cli"
    workdir.mkdir(exist_ok=True)
    return Merzim(workdir, db_url=site.engine.url.render_as_string(hide_password=False))


def standing(site: Web) -> list[tuple]:
    """The register's standing cases as stored, without ids and clocks, with their stages."""
    with Session(site.engine) as s:
        out = []
        for c in s.exec(select(Case).where(Case.process == PROCESS, col(Case.withdrawn_at).is_(None))
                        .order_by(col(Case.id))):
            stages = sorted((st.key, st.due_date, st.projected, st.status, st.done_on) for st in s.exec(
                select(Stage).where(Stage.case_id == c.id)))
            out.append((c.subject_id, c.object_id, c.person_name, c.person_position, c.fields,
                        c.dates, c.case_date, c.state, c.responsible_id, c.fact_key, stages))
        return out


