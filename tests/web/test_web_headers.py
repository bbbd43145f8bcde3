"""No cache keeps what a viewer may see, and the API docs render from merzim's own assets.

Before the fix, exports, API answers and feeds had no Cache-Control, and /api/docs loaded
Swagger UI from a CDN (with an inline script the pages' CSP would refuse)."""

from __future__ import annotations

import re

from sqlmodel import Session

from tests.support.features import needs
from tests.support.web_helpers import Web
from workflow import services as svc
from workflow.services import accounts as auth


@needs("planning")
def test_exports_api_and_feeds_are_not_cached(world: Web):
    b = world.browser("nurlan")
    with Session(world.engine) as s:
        feed = auth.create_feed(s, svc.get_user(s, "nurlan"), "user", None)
        s.commit()
    prog = world.programmes["AK-ALM-EDU"]
    answers = {
        "page": b.get("/overdue"),
        "csv": b.get("/overdue.csv"),
        "xlsx": b.get("/overdue.xlsx"),
        "programme csv": b.get(f"/programmes/{prog}.csv"),
        "api": world.api("nurlan").get("/api/v1/overdue"),
        "api refused": world.api(None).get("/api/v1/overdue"),
        "feed": world.client().get(f"/ics/{feed}.ics"),
        "feed refused": world.client().get("/ics/no-such-feed.ics"),
    }
    for what, r in answers.items():
        assert r.headers.get("cache-control") == "no-store", (what, r.status_code)
    assert answers["csv"].status_code == answers["feed"].status_code == 200


def test_api_docs_render_from_served_assets_within_the_csp(world: Web):
    c = world.client()
    r = c.get("/api/docs")
    assert r.status_code == 200
    page = r.text
    assert "cdn" not in page.lower() and "https://" not in page and "http://" not in page
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', page)
    assert len(assets) == 3
    for url in assets:
        asset = c.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(("text/javascript", "text/css")), url
        assert len(asset.content) > 0
    assert "SwaggerUIBundle" in c.get("/api/docs/swagger-ui-bundle.js").text
    assert "/openapi.json" in c.get("/api/docs/swagger-init.js").text
    assert c.get("/api/docs/../app.py").status_code == 404
    assert c.get("/api/docs/index.html").status_code == 404
