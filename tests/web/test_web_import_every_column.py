"""One value for every row of any column her file lacks, from the web's preview (as `case import
--every` on the command line; workflow/imports/cells.py `every_value`, web/imports_page.py): a
date (the day a breach was detected) and a text (the measures taken), not only a column with a
list. The column a refusal asks for is offered as a field of its kind (a date as a date); any
other column her file lacks may be chosen and given a value. A value the column cannot take (a
date that is not one) is refused in words naming the column and the value, nothing stored.
Through the real web application, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

from tests.support.import_helpers import (
    but_kept,
    site_fixture,  # noqa: F401 - the `site` fixture
)
from tests.support.web_helpers import Web
from tests.support.web_import_helpers import DAY, FORM, breaches, csv_of, upload
from workflow.i18n import Translator

FILE = csv_of("subject,person,kind", ",A. Person,foreign_account",
              ",B. Person,insider_information")


def _form(page: str, testid: str) -> dict[str, str]:
    """A form's hidden fields as the page has them."""
    form = page.split(f'data-testid="{testid}"', 1)[1].split("</form>", 1)[0]
    return {k: html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}


def _stored(site: Web) -> dict:
    """Every row but the kept file (the preview's, for the confirm) and the forms' keys (a
    form sent once is answered once: its key is kept whatever the answer)."""
    return {k: v for k, v in but_kept(site.dump()).items() if k != "idempotency_key"}


def _every_form(page: str) -> str:
    return page.split('data-testid="import-every-form"', 1)[1].split("</form>", 1)[0]


def test_a_date_and_a_text_column_are_given_one_value_for_every_row_from_the_web(site: Web):
    asel = site.browser("asel")
    known = {c.id for c in breaches(site)}
    stored_before = _stored(site)
    asked = upload(asel, FILE, "breaches.csv")
    # her file has no day of detection: refused, and the date offered as a date for every row
    assert asked.status_code == 409 and "Traceback" not in asked.text
    every = _every_form(asked.text)
    assert re.search(r'<input type="date"[^>]*data-column="detected"', every), every
    # any other column her file lacks may be chosen: the measures among them
    assert re.search(r'<option value="\*measures">', every), every
    assert _stored(site) == stored_before

    # a date that is not one: refused naming the column and the value, nothing stored (the
    # kept file let go: uploaded again)
    for lang in ("en", "ru", "kk"):
        asel.cookies.set("merzim_lang", lang)
        hidden = _form(upload(asel, FILE, "breaches.csv").text, "import-every-form")
        bad = asel.post(f"{FORM}/map", data={**hidden, "field_e0": "31.02.2025"})
        assert bad.status_code == 422 and "Traceback" not in bad.text, bad.text[-2000:]
        said = html.unescape(bad.text)
        t = Translator(lang)
        assert "31.02.2025" in said and t("import.rule_date") in said, said[-2000:]
        assert {"en": "Fact detected", "ru": "Дата выявления факта",
                "kk": "Фактінің анықталған күні"}[lang] in said
        assert _stored(site) == stored_before, lang
    asel.cookies.set("merzim_lang", "en")
    hidden = _form(upload(asel, FILE, "breaches.csv").text, "import-every-form")

    # the day and the measures given once: every row takes them
    ready = asel.post(f"{FORM}/map", data={**hidden, "field_e0": DAY,
                                           "header_ex": "*measures", "field_ex": "Reprimand"})
    assert ready.status_code == 200, ready.text[-2000:]
    given = re.findall(r'data-testid="import-every-given">([^<]*)<', ready.text)
    assert len(given) == 2 and any("Reprimand" in g for g in given), given
    assert _stored(site) == stored_before
    done = asel.post(f"{FORM}/confirm", data=_form(ready.text, "import-confirm-form"))
    assert done.status_code == 200, done.text[-2000:]
    new = [c for c in breaches(site) if c.id not in known]
    assert [(c.person_name, c.dates.get("detected"), (c.fields or {}).get("measures"))
            for c in new] == [("A. Person", DAY, "Reprimand"), ("B. Person", DAY, "Reprimand")]
