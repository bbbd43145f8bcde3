"""Several links with their channels from the case page's form and the API (I-15),
through the real application; a bad channel is refused and nothing is stored."""

from __future__ import annotations

import re

from tests.support.web_helpers import TODAY, Web

SITE = "https://gov.example.kz/news/1"
MEDIA = "https://tengri.example.kz/a/2"


def test_the_form_records_a_link_per_row_and_the_api_takes_a_list(web: Web):
    kgd = web.analyses["kgd"]  # nothing recorded: the start announcement is open
    b = web.browser("aigerim")
    page = b.get(f"/cases/{kgd}").text
    assert 'name="lk_links_4"' in page and '<option value="media" selected>' in page
    csrf = web.csrf(b)
    form = {"event": "start_announcement", "date": TODAY.isoformat(), "csrf": csrf,
            "lc_links_0": "site", "lk_links_0": SITE, "lc_links_1": "media", "lk_links_1": MEDIA,
            "lc_links_2": "social", "lk_links_2": ""}
    before = web.dump()
    r = b.post(f"/cases/{kgd}/events", data={**form, "lc_links_1": ""})  # a URL, no channel
    assert r.status_code == 409 and web.dump() == before
    assert "is not a link with its channel" in r.text
    assert b.post(f"/cases/{kgd}/events", data=form).status_code == 303
    assert web.stage(kgd, "start_announcement").evidence["links"] == f"site {SITE}\nmedia {MEDIA}"

    api = web.api("aigerim")
    before = web.dump()
    body = {"event": "discussion_announcement", "date": TODAY.isoformat(),
            "links": [{"channel": "radio", "url": SITE}]}
    r = api.post(f"/api/v1/cases/{kgd}/events", json=body)
    assert r.status_code == 409 and web.dump() == before
    body["links"] = [{"channel": "site", "url": SITE}, {"channel": "media", "url": MEDIA}]
    r = api.post(f"/api/v1/cases/{kgd}/events", json=body)
    assert r.status_code == 200, r.text
    assert web.stage(kgd, "discussion_announcement").evidence["links"] == \
        f"site {SITE}\nmedia {MEDIA}"
    # the case page names each link by its channel, in the reader's language
    link = re.compile(r'<a href="([^"]+)" rel="noopener noreferrer" data-testid="record-link">'
                      r'([^<]+)</a>')
    assert link.findall(b.get(f"/cases/{kgd}").text)[:2] == [(SITE, "Internet resource"),
                                                            (MEDIA, "Media")]
    b.get(f"/lang/ru?next=/cases/{kgd}")
    try:
        assert link.findall(b.get(f"/cases/{kgd}").text)[:2] == [(SITE, "Интернет-ресурс"),
                                                                (MEDIA, "СМИ")]
    finally:
        b.get(f"/lang/en?next=/cases/{kgd}")
