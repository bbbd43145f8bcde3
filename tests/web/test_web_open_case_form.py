"""The open-a-case form is like the recording forms: required inputs marked, every problem
at once in the reader's language, values kept, nothing stored; its button opens the case.
The real application on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.support.web_helpers import Web, csrf_of
from workflow.i18n import LANGUAGES, Translator

FIELD_ERROR = re.compile(r'<span class="field-error" id="open-([a-z_]+)-error">([^<]*)</span>')
REFUSALS = re.compile(r'data-testid="refusal">([^<]*)<')


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_open_case_form_shows_every_problem_at_once(web: Web, lang: str):
    t = Translator(lang)
    b = web.browser("asel")
    b.cookies.set("merzim_lang", lang)
    form = b.get("/cases/new/internal_risk_analysis")
    assert form.status_code == 200
    text = html.unescape(form.text)
    assert "novalidate" in form.text
    assert t("record.required_legend") in text
    assert f'data-testid="open-submit">{t("web.open_case_submit")}</button>' in text
    assert t("web.save") not in re.search(r'data-testid="open-form".*?</form>', text,
                                          re.S).group(0)
    assert form.text.count('<span class="req" aria-hidden="true">*</span>') == 2  # object, date
    before = web.dump()
    since = web.last_audit()
    # nothing of what it needs, and a wrong date elsewhere: every problem, each by its input
    r = b.post("/cases/new/internal_risk_analysis",
               data={"csrf": csrf_of(form.text), "object": "", "date_start": ""})
    assert r.status_code == 422
    listed = [html.unescape(m) for m in REFUSALS.findall(r.text)]
    beside = {name: html.unescape(msg) for name, msg in FIELD_ERROR.findall(r.text)}
    assert set(beside) == {"object", "date_start"}, beside
    assert len(listed) == 2 and set(listed) == set(beside.values()), (listed, beside)
    assert 'data-testid="problems"' in r.text
    assert t.n("record.problems", 2) in html.unescape(r.text)
    assert all("--" not in m for m in listed)  # the web's words, not the command line's
    assert web.dump() == before  # nothing stored
    assert [(x, p.get("key")) for _a, x, p in web.audit_since(since)] == [
        ("refused.open", "error.object_required")]

    # a malformed date is told beside it, and the object chosen is kept
    r = b.post("/cases/new/internal_risk_analysis",
               data={"csrf": csrf_of(form.text), "object": "AK-ALM-EDU",
                     "date_start": "2025-02-30"})
    assert r.status_code == 422
    beside = {name: html.unescape(msg) for name, msg in FIELD_ERROR.findall(r.text)}
    assert set(beside) == {"date_start"}
    assert re.search(r'<option value="AK-ALM-EDU" selected>', r.text)
    assert 'value="2025-02-30"' in r.text
    assert web.dump() == before
