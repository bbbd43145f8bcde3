"""Comments and hand-over from the pages, the API and the command line: a manager assigns an
unassigned case to an officer of its organisation (picked by name among them; anyone else is
refused and nothing is stored) from the case page and in bulk, and she sees it in My work; a
comment mentioning a user reaches her notification centre and a real SMTP server through the
worker, and is not shown to a user who may not see the case (page, API, command line).

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import json

from sqlalchemy import update
from sqlmodel import Session, col, select

from tests.support.cli_runner import Merzim, ok_json
from tests.support.features import needs
from tests.support.smtp_server import SmtpSink, write_config
from tests.support.web_helpers import (
    TODAY,
    Web,
    csrf_of,
    en,
    without_audit,
)
from workflow import services as svc
from workflow.i18n import Translator
from workflow.storage.models import Case, CaseComment


def _officer(web: Web, login: str = "zhanar") -> None:
    """A second officer of the education department (the demo has one: asel)."""
    with Session(web.engine) as s:
        ctx = svc.Context(None, None, TODAY, actor="test-setup")  # type: ignore[arg-type]
        svc.add_user(s, ctx, login, "Zhanar Abdrakhmanova", "officer", "AK-ALM-EDU",
                     email=f"{login}@example.kz", language="en")
        s.commit()


def _unassigned(web: Web, case_id: int) -> None:
    with Session(web.engine) as s:
        # a direct write, past the services (no audit record: storage/audited.py)
        s.execute(update(Case).where(col(Case.id) == case_id).values(responsible_id=None))
        s.commit()


def test_a_manager_assigns_an_unassigned_case_from_its_page_to_an_officer_picked_by_name(
        web: Web):
    edu = web.analyses["edu"]
    _officer(web)
    _unassigned(web, edu)
    b = web.browser("nurlan")  # the akimat's manager, above the department
    overdue = b.get("/overdue").text  # its overdue stages: unassigned, with the way to assign
    assert f'{en("comments.unassigned")}</em> <a href="/cases/{edu}#assign" ' \
        f'data-testid="assign-link">{en("comments.assign_action")}</a>' in overdue
    page = b.get(f"/cases/{edu}").text
    picker = page[page.index('data-testid="assign-form"'):]
    picker = picker[:picker.index("</form>")]
    assert 'value="zhanar"' in picker and "Zhanar Abdrakhmanova" in picker
    assert 'value="asel"' in picker
    assert 'value="marat"' not in picker and 'value="nurlan"' not in picker  # not its officers
    csrf = csrf_of(page)
    before = without_audit(web.engine)
    for login in ("marat", "nurlan", "nobody"):  # refused, nothing stored
        r = b.post(f"/cases/{edu}/assign", data={"csrf": csrf, "login": login})
        assert r.status_code in (404, 409), (login, r.status_code)
        assert "Traceback" not in r.text
    assert without_audit(web.engine) == before
    r = b.post(f"/cases/{edu}/assign", data={"csrf": csrf, "login": "zhanar"})
    assert r.status_code == 303, r.text
    with Session(web.engine) as s:
        assert s.get(Case, edu).responsible_id == svc.get_user(s, "zhanar").id
    work = web.browser("zhanar").get("/work").text
    assert f"/cases/{edu}" in work
    # an officer of another organisation does not see the case, nor its hand-over
    other = web.browser("marat")
    assert other.post(f"/cases/{edu}/assign",
                      data={"csrf": web.csrf(other), "login": "marat"}).status_code == 404


def test_a_manager_hands_cases_over_in_bulk_and_the_bar_says_what_he_can_do(web: Web):
    edu = web.analyses["edu"]
    _officer(web)
    overdue = web.browser("nurlan").get("/overdue").text
    hint = en("comments.bulk_hint_assign", n=200)
    assert html.unescape(overdue).count(hint[:40]) == 1
    assert en("bulk.hint", n=200)[:40] not in html.unescape(overdue)
    assert 'data-testid="bulk-assign"' in overdue and 'data-testid="bulk-record"' not in overdue
    api = web.api("nurlan")
    before = without_audit(web.engine)
    refused = api.post("/api/v1/bulk/assign", json={"items": [{"case": edu}], "login": "marat"})
    assert refused.status_code == 409, refused.text
    assert without_audit(web.engine) == before
    done = api.post("/api/v1/bulk/assign", json={"items": [{"case": edu}], "login": "zhanar"})
    assert done.status_code == 200, done.text
    assert done.json() == {"assigned": [edu], "to": "zhanar"}


@needs("notices")  # the notification centre and its bell
def test_a_mention_reaches_her_centre_and_the_smtp_server_and_no_one_else(web: Web, db_url,
                                                                           tmp_path):
    edu = web.analyses["edu"]
    asel = web.api("asel")
    made = asel.post(f"/api/v1/cases/{edu}/comments",
                     json={"text": "@nurlan the analytic note is late"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["author"], body["mentions"], body["editable"]) == ("asel", ["nurlan"], True)
    # the mentioned manager: in his notification centre (page and API) and the case page
    centre = web.browser("nurlan").get("/notifications").text
    assert 'data-kind="mentioned"' in centre and f'data-case="{edu}"' in centre
    assert html.escape(en("notices.kind_mentioned", actor="Asel Nurpeisova"), quote=False) \
        in centre
    changed = asel.patch(f"/api/v1/cases/{edu}/comments/{body['id']}",
                         json={"text": "@nurlan the analytic note is late"})
    assert changed.status_code == 200 and changed.json()["edited_at"], changed.text
    nurlan = web.api("nurlan")
    before = without_audit(web.engine)
    refused = nurlan.patch(f"/api/v1/cases/{edu}/comments/{body['id']}",
                                      json={"text": "mine"})
    assert refused.status_code == 409 and refused.json()["error"] == "comments.error_not_author"
    assert without_audit(web.engine) == before
    seen = web.api("nurlan").get(f"/api/v1/cases/{edu}/comments").json()
    assert [c["text"] for c in seen] == ["@nurlan the analytic note is late"]
    assert seen[0]["editable"] is False  # not his
    page = web.browser("nurlan").get(f"/cases/{edu}").text
    assert 'data-testid="comment"' in page and "the analytic note is late" in page
    # one who may not see the case: neither the API, nor the page, nor the command line
    marat = web.api("marat")
    assert marat.get(f"/api/v1/cases/{edu}/comments").status_code == 404
    assert marat.post(f"/api/v1/cases/{edu}/comments", json={"text": "hi"}).status_code == 404
    assert "analytic note is late" not in web.browser("marat").get(f"/cases/{edu}").text
    cli = Merzim(tmp_path, db_url=db_url, today=TODAY)
    hidden = cli("case", "comments", str(edu), "--as", "marat")
    assert hidden.returncode != 0 and "analytic note is late" not in hidden.stdout
    assert "Traceback" not in hidden.stdout + hidden.stderr
    listed = ok_json(cli("case", "comments", str(edu), "--as", "nurlan", "--json"))
    assert [c["id"] for c in listed] == [body["id"]]
    # the worker sends the outbox: the mention reaches the SMTP server, in his language
    sink = SmtpSink().start()
    try:
        cfg = write_config(tmp_path / "smtp.toml", sink.port)
        ok_json(cli("worker", "--once", "--json", config=cfg))
        assert sink.wait_for(1, timeout=10)
        subject = Translator("kk")("comments.mention_subject", id=edu, author="Asel Nurpeisova")
        mails = [m for m in sink.messages if m.message["Subject"] == subject]
        assert [m.rcpt_tos for m in mails] == [("nurlan@example.kz",)]
        text = mails[0].message.get_body(("plain",)).get_content()
        assert "the analytic note is late" in text
    finally:
        sink.stop()


def test_the_command_line_writes_and_reads_comments_and_a_persons_case_keeps_them_private(
        web: Web, db_url, tmp_path):
    edu = web.analyses["edu"]
    cli = Merzim(tmp_path, db_url=db_url, today=TODAY)
    written = ok_json(cli("case", "comment", str(edu), "checked, @asel", "--as", "nurlan",
                          "--json"))
    listed = ok_json(cli("case", "comments", str(edu), "--json"))
    assert [(c["id"], c["author"], c["mentions"]) for c in listed] == [
        (written["id"], "nurlan", ["asel"])]
    shown = cli("case", "comments", str(edu), lang="ru")
    assert shown.returncode == 0 and "checked, @asel" in shown.stdout
    refused = cli("case", "comment", str(edu), "@marat look", lang="ru")
    assert refused.returncode != 0
    assert Translator("ru")("comments.error_mention", login="marat", id=edu) in \
        " ".join((refused.stdout + refused.stderr).split())
    with Session(web.engine) as s:
        assert len(s.exec(select(CaseComment)).all()) == 1
    # the API's own words for a refused comment (the reader's language), nothing stored
    long = web.api("asel").post(f"/api/v1/cases/{edu}/comments?lang=ru",
                                json={"text": "x" * 2001})
    assert long.status_code == 422, long.text
    assert "2001" in json.dumps(long.json(), ensure_ascii=False)


def test_the_comments_of_a_case_about_a_person_are_only_for_those_who_see_the_person(
        web: Web):
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app
    from workflow.definitions import load_registry

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, load_registry())
    asel = web.api("asel")
    opened = asel.post("/api/v1/cases", json={
        "process": "gift", "subject": "AK-ALM-EDU", "person": "Erlan Sadykov",
        "position": "Head of unit", "dates": {"received": "2025-11-03"}})
    assert opened.status_code == 200, opened.text
    case_id = opened.json()["id"]
    assert asel.post(f"/api/v1/cases/{case_id}/comments",
                     json={"text": "the gift's value is in the order"}).status_code == 201
    before = without_audit(web.engine)
    # the manager above sees the case, not the person: nor its comments, nor may he be told
    refused = asel.post(f"/api/v1/cases/{case_id}/comments", json={"text": "@nurlan look"})
    assert refused.status_code == 409, refused.text
    assert without_audit(web.engine) == before
    nurlan = web.api("nurlan")
    assert nurlan.get(f"/api/v1/cases/{case_id}").status_code == 200
    assert nurlan.get(f"/api/v1/cases/{case_id}/comments").status_code == 404
    page = web.browser("nurlan").get(f"/cases/{case_id}").text
    assert 'data-testid="comments"' not in page and "value is in the order" not in page
    own = web.browser("asel").get(f"/cases/{case_id}").text
    assert 'data-testid="comments"' in own and "value is in the order" in own


def test_the_case_page_writes_a_comment_and_its_author_changes_it(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}").text
    assert 'data-testid="comment-form"' in page and en("comments.none") in page
    csrf = csrf_of(page)
    before = without_audit(web.engine)
    empty = b.post(f"/cases/{edu}/comments", data={"csrf": csrf, "text": "  "})
    assert empty.status_code == 422 and en("comments.error_empty") in html.unescape(empty.text)
    assert without_audit(web.engine) == before
    r = b.post(f"/cases/{edu}/comments", data={"csrf": csrf, "text": "<b>not bold</b>"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{edu}#comments"
    page = b.get(f"/cases/{edu}").text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    with Session(web.engine) as s:
        [made] = s.exec(select(CaseComment)).all()
    assert f'action="/cases/{edu}/comments/{made.id}"' in page  # hers, within ten minutes
    r = b.post(f"/cases/{edu}/comments/{made.id}", data={"csrf": csrf, "text": "changed"})
    assert r.status_code == 303, r.text
    page = b.get(f"/cases/{edu}").text
    assert "changed" in page and en("comments.edited") in page
    # another reader of the case may not change it
    other = web.browser("nurlan")
    assert f'action="/cases/{edu}/comments/{made.id}"' not in other.get(f"/cases/{edu}").text
    refused = other.post(f"/cases/{edu}/comments/{made.id}",
                         data={"csrf": web.csrf(other), "text": "mine now"})
    assert refused.status_code == 409
    assert en("comments.error_not_author") in html.unescape(refused.text)
