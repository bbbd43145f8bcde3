"""An organisation's public page, its Atom feed, the fragment its website embeds and its public
files: no sign-in, read-only, only for organisations whose page is on (else 404, as for a code
that does not exist), cached for `[public] cache_seconds` and rate-limited per client address.

Headers (docs/operator-guide.md, "Public pages"): the page, the feed and the files keep the
site's `X-Frame-Options: DENY`; only the fragment `/public/CODE/embed` may be framed, by the
sites of `[public] frame_ancestors` (CSP `frame-ancestors`), and may be fetched from another
site (`Access-Control-Allow-Origin: *`) to be included in its page. Public answers may be kept
by browsers and proxies for `cache_seconds` (`Cache-Control: public`), varying by language.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.kit.deps import db, language, make_context
from web.kit.parts import Parts
from workflow.core.errors import NotFound
from workflow.i18n import LANGUAGES, Translator
from workflow.public import service as pub
from workflow.public.settings import PublicSettings
from workflow.services import org_name
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
_GUARD_LOCK = threading.Lock()


@dataclass
class Guard:
    """The public pages' cache and rate limit, both in the database (workflow/public/service.py):
    the same for every process and node."""

    engine: Any
    cache_seconds: int
    per_minute: int

    def clear(self, code: str | None = None) -> None:
        """Forget what was built (for one organisation, or all): after an admin's switch, on
        every node at once."""
        if not self.cache_seconds:
            return
        with Session(self.engine) as s, tx.transaction(s):
            pub.forget_answers(s, code)


def guard(app: Any) -> Guard:
    """The application's guard, made on first use from its settings and kept in the feature's
    own state of the application (`app.state.features`, web/app.py)."""
    own = app.state.features["public"]
    found = own.get("guard")
    if found is not None:
        return found
    with _GUARD_LOCK:
        found = own.get("guard")
        if found is None:
            settings = app.state.settings.of(PublicSettings)
            found = Guard(app.state.engine, settings.cache_seconds, settings.requests_per_minute)
            own["guard"] = found
    return found


def rate_limited(request: Request) -> None:
    """Count the request against its client's address, across every node; over the limit: 429
    and Retry-After (the seconds until the oldest request of the window leaves it)."""
    g = guard(request.app)
    if not g.per_minute:
        return
    client = request.client.host if request.client else "unknown"
    with Session(g.engine) as s, tx.transaction(s):
        wait = pub.count_hit(s, client, g.per_minute)
    if wait:
        raise StarletteHTTPException(429, headers={"Retry-After": str(wait),
                                                   "Cache-Control": "no-store"})


def _org(request: Request, s: Session, code: str):
    try:
        return pub.public_org(s, code, request.app.state.settings.of(PublicSettings).organisations)
    except NotFound:  # not there, or not switched on: the same plain 404 (not audited)
        raise StarletteHTTPException(404) from None


def _cached(request: Request, kind: str, code: str, lang: str, build) -> tuple[bytes, str]:
    """The answer of `build()` for (kind, organisation, language, address), from the cache
    every node shares while it is younger than `cache_seconds`."""
    g = guard(request.app)
    if not g.cache_seconds:
        return build()
    with Session(g.engine) as s:
        key = pub.cache_key(kind, code, lang, str(request.base_url), pub.write_stamp(s))
        hit = pub.cached_answer(s, key, g.cache_seconds)
    if hit is not None:
        return hit
    built = build()
    with Session(g.engine) as s, tx.transaction(s):
        pub.keep_answer(s, key, code, built, g.cache_seconds)
    return built


def _headers(request: Request, extra: dict[str, str] | None = None) -> dict[str, str]:
    seconds = request.app.state.settings.of(PublicSettings).cache_seconds
    return {"Cache-Control": f"public, max-age={seconds}" if seconds else "no-store",
            "Vary": "Accept-Language, Cookie", **(extra or {})}


def _listing(request: Request, s: Session, org, lang: str) -> list[pub.PublicCase]:
    ctx = make_context(request, None, lang)
    ctx.actor = "public"
    return pub.listing(s, ctx, org)


def _values(request: Request, org, lang: str, absolute: bool) -> dict[str, Any]:
    t = Translator(lang)
    base = str(request.base_url).rstrip("/") if absolute else ""
    home = f"{base}/public/{quote(org.code, safe='')}"
    return {"t": t, "_": t, "gettext": t.gettext, "ngettext": t.ngettext, "lang": lang,
            "languages": LANGUAGES, "org_title": org_name(org, lang), "home": home,
            "base": base, "embed": absolute, "level": 3 if absolute else 2}


def _render(request: Request, name: str, values: dict[str, Any]) -> bytes:
    template = request.app.state.templates.get_template(name)
    return template.render(values).encode("utf-8")


@router.get("/public/{code}.atom", dependencies=[Depends(rate_limited)])
def public_feed(request: Request, code: str, s: Session = Depends(db)):
    org = _org(request, s, code)
    lang = language(request)

    def build():
        return _atom(request, org, lang, _listing(request, s, org, lang)), \
            "application/atom+xml; charset=utf-8"

    body, media = _cached(request, "atom", org.code, lang, build)
    return Response(body, media_type=media,
                    headers=_headers(request, {"Access-Control-Allow-Origin": "*"}))


@router.get("/public/{code}/embed", dependencies=[Depends(rate_limited)])
def public_embed(request: Request, code: str, s: Session = Depends(db)):
    body, media = _listing_page(request, s, code, "embed", "public_embed.html", absolute=True)
    frames = " ".join(request.app.state.settings.of(PublicSettings).frame_ancestors)
    csp = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
           f"form-action 'none'; frame-ancestors {frames}")
    return Response(body, media_type=media, headers=_headers(request, {
        "Content-Security-Policy": csp, "Access-Control-Allow-Origin": "*"}))


@router.get("/public/{code}/files/{file_id}", dependencies=[Depends(rate_limited)])
def public_download(request: Request, code: str, file_id: str, s: Session = Depends(db)):
    """A file the page links to (public, not void, of a listed case); anything else: 404."""
    from web.kit.page import attachment

    org = _org(request, s, code)
    ctx = make_context(request, None, language(request))
    try:
        row, blob = pub.public_file_content(s, ctx, request.app.state.settings, org, file_id)
    except NotFound:
        raise StarletteHTTPException(404) from None

    def chunks():
        with blob:
            yield from iter(lambda: blob.read(1 << 16), b"")

    return StreamingResponse(chunks(), media_type=row.media_type, headers=_headers(request, {
        "Content-Disposition": attachment(row.name), "Content-Length": str(row.size)}))


@router.get("/public/{code}", dependencies=[Depends(rate_limited)])
def public_page(request: Request, code: str, s: Session = Depends(db)):
    body, media = _listing_page(request, s, code, "page", "public.html", absolute=False)
    return Response(body, media_type=media, headers=_headers(request))


def _listing_page(request: Request, s: Session, code: str, kind: str, template: str,
                  absolute: bool) -> tuple[bytes, str]:
    """The organisation's listed cases rendered with `template` (links absolute or not), kept
    per organisation, language and `kind` (`_cached`)."""
    org = _org(request, s, code)
    lang = language(request)

    def build():
        values = _values(request, org, lang, absolute=absolute)
        return _render(request, template,
                       {**values, "cases": _listing(request, s, org, lang)}), \
            "text/html; charset=utf-8"

    return _cached(request, kind, org.code, lang, build)


ATOM = "http://www.w3.org/2005/Atom"


def _atom(request: Request, org, lang: str, cases: list[pub.PublicCase]) -> bytes:
    """The listing as an Atom feed (RFC 4287): one entry per announced case, newest first,
    updated on the date of its latest public record; its records' links are `related` links,
    its public files `enclosure`s; the content is the case as the page shows it."""
    from xml.etree.ElementTree import Element, SubElement, tostring

    t = Translator(lang)
    tz = request.app.state.settings.tz
    base = str(request.base_url).rstrip("/")
    home = f"{base}/public/{quote(org.code, safe='')}"
    name = org_name(org, lang)

    def stamp(day) -> str:
        return datetime.combine(day, time(), tz).isoformat()

    def text(parent, tag: str, value: str, **attrs: str):
        SubElement(parent, tag, attrs).text = value

    feed = Element("feed", {"xmlns": ATOM, "xml:lang": lang})
    text(feed, "id", home)
    text(feed, "title", t("public.feed_title", organisation=name))
    text(SubElement(feed, "author"), "name", name)
    SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": home})
    SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml",
                              "href": f"{home}.atom"})
    text(feed, "generator", "merzim")
    today = make_context(request, None, lang).today
    text(feed, "updated", stamp(max((c.updated for c in cases), default=today)))
    template = request.app.state.templates.get_template("_public_entry.html")
    for case in cases:
        entry = SubElement(feed, "entry")
        text(entry, "id", f"{home}#{case.key}")
        text(entry, "title", f"{case.title}: {case.object_name}" if case.object_name
             else case.title)
        SubElement(entry, "link", {"rel": "alternate", "type": "text/html",
                                   "href": f"{home}#{case.key}"})
        for record in case.records:
            for link in record.links:
                SubElement(entry, "link", {"rel": "related", "href": link,
                                           "title": record.name})
        for f in case.files:
            SubElement(entry, "link", {"rel": "enclosure", "type": f.media_type,
                                       "length": str(f.size), "title": f.name,
                                       "href": f"{home}/files/{f.id}"})
        text(entry, "published", stamp(case.announced))
        text(entry, "updated", stamp(case.updated))
        text(entry, "content", template.render({"t": t, "_": t, "case": case, "home": home}),
             type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(feed, encoding="unicode"
                                                                  ).encode("utf-8")


PARTS = Parts(routers=(router,))
