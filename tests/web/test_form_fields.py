"""A form carries at most `limits.FORM_FIELDS` fields (1,000, as Starlette's parser reads by
default): one with more, urlencoded or multipart, to the anonymous sign-in or to a signed-in
form, with or without an idempotency key, is refused with 413 and `error.too_many_fields` in
the reader's language (JSON for the API) before any route reads it, and changes nothing; it
was a 500 once (the idempotency key's look-up met parse_qs's ValueError). On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.support.web_helpers import Web, csrf_of, web_fixture  # noqa: F401
from web.kit.limits import FORM_FIELDS, FieldCount
from workflow.i18n import Translator, number_text

WORDS = {"en": "more than 1,000 fields", "ru": "больше 1 000 полей",
         "kk": "1 000 өрістен көп"}


def urlencoded(fields: int, **given: str) -> bytes:
    """A form body of `fields` fields: those given, then filler."""
    pairs = [f"{k}={v}" for k, v in given.items()]
    pairs += [f"x{i}=1" for i in range(fields - len(pairs))]
    return "&".join(pairs).encode()


def multipart(fields: int, boundary: str = "b0undary", **given: str) -> bytes:
    """A multipart body of `fields` parts (the given fields first, then filler), each as a
    browser sends a field."""
    names = [*given.items(), *((f"x{i}", "1" * 40) for i in range(fields - len(given)))]
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in names]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def sent_in_pieces(app, path: str, body: bytes, headers: dict[str, str],
                   size: int = 16 * 1024) -> tuple[int, dict[str, str], str, bool]:
    """`body` POSTed to the application a piece of `size` bytes at a time, as a connection
    delivers it (the test client hands the application a body in one piece): the answer's
    status, headers and text, and whether the whole body was read."""
    messages = [{"type": "http.request", "body": body[at:at + size],
                 "more_body": at + size < len(body)} for at in range(0, len(body), size)]
    out: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        out.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in out if m["type"] == "http.response.start")
    text = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    heads = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], heads, text.decode(), not messages


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MULTI = {"Content-Type": "multipart/form-data; boundary=b0undary"}


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_sign_in_of_too_many_fields_is_refused_in_her_language(web: Web, lang):  # noqa: F811
    c = web.client(lang=lang)
    csrf = csrf_of(c.get("/login").text)
    before, audit = web.dump(), web.last_audit()
    for body, kind in ((urlencoded(FORM_FIELDS + 1, csrf=csrf, login="nurlan"), FORM),
                       (multipart(FORM_FIELDS + 1, csrf=csrf, login="nurlan"), MULTI)):
        r = c.post("/login", content=body, headers=kind)
        assert r.status_code == 413, r.text[-2000:]
        assert WORDS[lang] in r.text.replace("\u00a0", " ")
        assert "connection" not in r.headers  # the body read: the connection serves on
    # a multipart form arriving in pieces, longer than the 64 KiB its key is looked for in:
    # refused as it arrives (the route's own reading cut short), the rest read and dropped
    body = multipart(FORM_FIELDS + 1, csrf=csrf, login="nurlan")
    assert len(body) > 64 * 1024
    cookies = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    status, heads, text, read = sent_in_pieces(web.app, "/login", body,
                                               {**MULTI, "Cookie": cookies})
    assert (status, read) == (413, True) and "connection" not in heads
    assert WORDS[lang] in text.replace("\u00a0", " ")
    assert web.dump() == before and web.last_audit() == audit  # nothing stored, nor audited
    # as many as the limit: the sign-in's own answer (a wrong password here)
    for body, kind in ((urlencoded(FORM_FIELDS, csrf=csrf, login="nurlan", password="x"), FORM),
                       (multipart(FORM_FIELDS, csrf=csrf, login="nurlan", password="x"),
                        MULTI)):
        assert c.post("/login", content=body, headers=kind).status_code == 401


def test_a_signed_in_form_of_too_many_fields_is_refused_and_changes_nothing(web: Web):  # noqa: F811
    erlan = web.browser("erlan")
    erlan.cookies.set("merzim_lang", "ru")
    csrf = web.csrf(erlan)
    before, audit = web.dump(), web.last_audit()
    over = FORM_FIELDS + 1
    sent = [  # a password reset, as a form and with the form's idempotency key; a file's
        ("/people/reset", urlencoded(over, csrf=csrf, login="asel"), FORM),
        ("/people/reset", urlencoded(over, csrf=csrf, login="asel", idempotency_key="k-1"),
         FORM),
        ("/people/reset", multipart(over, csrf=csrf, login="asel"), MULTI),
        ("/people/import", multipart(over, csrf=csrf, existing="1"), MULTI),  # an upload's
        ("/people/import/confirm", urlencoded(over, csrf=csrf, token="t"), FORM),
    ]
    for path, body, kind in sent:
        r = erlan.post(path, content=body, headers=kind)
        assert r.status_code == 413, (path, r.status_code, r.text[-2000:])
        assert WORDS["ru"] in r.text.replace("\u00a0", " "), path
    # arriving in pieces, past the 64 KiB read first: refused as it arrives
    cookies = "; ".join(f"{k}={v}" for k, v in erlan.cookies.items())
    for path, body in (("/people/reset", multipart(over, csrf=csrf, login="asel",
                                                   idempotency_key="k-2")),
                       ("/people/import", multipart(over, csrf=csrf, existing="1"))):
        status, _heads, text, read = sent_in_pieces(web.app, path, body,
                                                    {**MULTI, "Cookie": cookies})
        assert (status, read) == (413, True), (path, text[-2000:])
        assert WORDS["ru"] in text.replace("\u00a0", " "), path
    assert web.dump() == before and web.last_audit() == audit
    # the same reset within the limit is done (the refusals left its key free)
    r = erlan.post("/people/reset", content=urlencoded(FORM_FIELDS, csrf=csrf, login="asel",
                                                       idempotency_key="k-1"), headers=FORM)
    assert r.status_code == 200, r.text[-2000:]
    assert web.dump() != before


def test_the_api_says_it_in_json(web: Web):  # noqa: F811
    api = web.api("asel")
    edu = web.analyses["edu"]
    before = web.dump()
    r = api.post(f"/api/v1/cases/{edu}/files", content=multipart(FORM_FIELDS + 1),
                 headers={**MULTI, "Accept-Language": "kk"})
    assert r.status_code == 413
    assert r.json() == {"error": "error.too_many_fields", "message": Translator("kk")(
        "error.too_many_fields", limit=number_text(FORM_FIELDS, "kk"))}
    assert WORDS["kk"] in r.json()["message"].replace("\u00a0", " ")
    assert web.dump() == before


@pytest.mark.unit
@pytest.mark.parametrize("parts", [FORM_FIELDS, FORM_FIELDS + 1])
def test_the_parts_are_counted_however_the_body_is_cut(parts):
    """A boundary line, or a closing one, cut across two pieces is counted once."""
    body = multipart(parts, boundary="----WebKitFormBoundaryAbC")
    kind = b"multipart/form-data; boundary=----WebKitFormBoundaryAbC"
    rng = random.Random(parts)
    for _ in range(30):
        counted, at = FieldCount(kind), 0
        while at < len(body):
            step = rng.choice((1, 2, 3, 7, 30, 31, 4096))
            counted.update(body[at:at + step], at + step < len(body))
            at += step
        assert counted.fields == parts and counted.over == (parts > FORM_FIELDS)
    words = FieldCount(b"application/x-www-form-urlencoded")
    words.update(urlencoded(parts), more=False)
    assert words.fields == parts and words.over == (parts > FORM_FIELDS)
