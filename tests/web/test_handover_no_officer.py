""""Assign" for a case whose organisation has no officer explains itself: on the overdue list
the row says its organisation has no officer, and its link leads to the case page's why
(instead of a page with no form): an administrator is offered to invite one, anyone else is
told which administrators add one. A deactivated officer is none. Once an officer is added,
the case is hers (handed over on her arrival) and the picker is back. Who may
hand a case over stays `visibility.handover_refusal`'s."""

from __future__ import annotations

import html

from sqlalchemy import update
from sqlmodel import Session, col

from tests.support.register_rows import context
from tests.support.web_helpers import Web
from workflow import services as svc
from workflow.storage.models import Case


def _staffless(web: Web) -> int:
    """The education department's overdue analysis, unassigned, its only officer (asel)
    deactivated: a case nobody can be handed."""
    case_id = web.analyses["edu"]
    with Session(web.engine) as s:
        # a direct write, past the services (no audit record: storage/audited.py)
        s.execute(update(Case).where(col(Case.id) == case_id).values(responsible_id=None))
        asel = svc.get_user(s, "asel")
        asel.active = False
        s.add(asel)
        s.commit()
    return case_id


def _listed(browser, case: int) -> str:
    page = browser.get("/overdue", params={"org": "AK-ALM-EDU"}).text
    assert f'<a href="/cases/{case}#assign"' in page
    return page


def test_the_overdue_list_and_the_case_page_say_there_is_no_officer(web: Web):
    case = _staffless(web)
    admin, manager = web.browser("erlan"), web.browser("nurlan")
    listed = _listed(admin, case)
    assert f'<a href="/cases/{case}#assign" data-testid="assign-no-officer">no officer in ' \
        'its organisation</a>' in listed and 'data-testid="assign-link"' not in listed
    due = admin.get("/due", params={"org": "AK-ALM-EDU", "within": "250"}).text
    assert 'data-testid="assign-link"' not in due and 'data-testid="assign-no-officer"' in due
    page = html.unescape(admin.get(f"/cases/{case}").text)
    assert 'data-testid="assign-form"' not in page and 'id="assign"' in page
    assert "Education Department has no officer this case can be handed to." in page
    assert '<a href="/people" data-testid="assign-invite">Invite an officer</a>' in page
    seen = html.unescape(manager.get(f"/cases/{case}").text)
    assert "Education Department has no officer this case can be handed to." in seen
    assert "An administrator adds one: Erlan Tulegenov." in seen
    assert 'data-testid="assign-invite"' not in seen

    with Session(web.engine) as s:  # an officer is added: the case nobody answered for is
        # handed to her (services/unanswered.py), and may be handed on
        svc.add_user(s, context(), "zhanna", "Zhanna Ermekova", "officer", "AK-ALM-EDU")
        s.commit()
        assert s.get(Case, case).responsible_id == svc.get_user(s, "zhanna").id
    page = admin.get(f"/cases/{case}").text
    assert 'data-testid="assign-form"' in page and "Zhanna Ermekova" in page
    assert 'data-testid="assign-blocked"' not in page
    listed = admin.get("/overdue", params={"org": "AK-ALM-EDU"}).text
    assert 'data-testid="assign-no-officer"' not in listed and "Zhanna Ermekova" in listed


def test_the_explanation_is_in_the_readers_language(web: Web):
    case = _staffless(web)
    reader = web.client(lang="ru")
    assert web.post_login(reader, "nurlan").status_code == 303
    assert "в организации нет сотрудника" in _listed(reader, case)
    page = html.unescape(reader.get(f"/cases/{case}").text)
    assert ("У организации «Управление образования» нет сотрудника, которому можно "
            "передать дело.") in page
    assert "Добавить сотрудника может администратор: Erlan Tulegenov." in page


def test_one_who_may_not_hand_the_case_over_is_told_why(web: Web, tmp_path):
    """A whistleblower's case nobody is responsible for: a manager above, who may not see
    the person, is told the hand-over rule's reason (`visibility.handover_refusal`)."""
    from tests.support.person_helpers import add_person_cases
    from tests.support.web_helpers import CALENDAR, _settings, en
    from web.app import create_app
    from workflow.definitions import load_registry

    ids = add_person_cases(web.engine)
    app = create_app(_settings(tmp_path, str(web.engine.url)), web.engine, CALENDAR,
                     load_registry())
    w = Web(web.engine, app, {**web.analyses, **ids}, web.programmes, _passwords=web._passwords)
    with Session(w.engine) as s:
        s.execute(update(Case).where(col(Case.id) == ids["wb"]).values(responsible_id=None))
        s.commit()
    page = html.unescape(w.browser("nurlan").get(f"/cases/{ids['wb']}").text)
    assert 'data-testid="assign-form"' not in page
    assert f'<p data-testid="assign-refused">{en("handover.protected_left")}</p>' in page
    admin = w.browser("erlan").get(f"/cases/{ids['wb']}").text  # she may: the picker
    assert 'data-testid="assign-form"' in admin and 'data-testid="assign-blocked"' not in admin
