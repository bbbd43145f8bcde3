"""Request bodies capped per route: 1 MiB everywhere but an upload route's
multipart body; refused with 413 before the body is read (a declared length) or as soon as it
passes the cap (chunked), in the reader's language, nothing stored; and a real `merzim serve`
keeps its memory when sent 30 MB to /login."""

from __future__ import annotations

import contextlib
import re
import select
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.features import installed
from tests.support.processes import SCRIPT, env_for, free_port, listening, terminate, wait_up
from tests.support.web_helpers import (
    Web,
    route_paths,
)
from web.kit.limits import BODY_BYTES, DRAIN_BYTES, upload_routes
from workflow.i18n import Translator

MIB = 1024 * 1024


def chunks(total: int, size: int = 64 * 1024):
    """A body of `total` bytes sent chunked (no Content-Length)."""
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b"a" * n
        sent += n


def test_the_upload_routes_are_exactly_those_that_check_their_upload(web: Web):
    found = upload_routes(web.app.routes)
    uploads = {p for p in route_paths(web.app.routes)
               if any(p.split()[0] in methods and pattern.match(p.split()[1])
                      for methods, pattern in found)}
    assert uploads == {"POST /cases/{case_id}/events", "POST /analyses/{case_id}/events",
                       "POST /cases/{case_id}/files", "POST /api/v1/cases/{case_id}/files",
                       "POST /bulk",  # one confirming file recorded on every selected stage
                       "POST /registers/{process}/import",  # a register's file, previewed
                       "POST /people/import",  # a file of people (an administrator's)
                       "POST /orgs/{code}/import",  # a file of organisations (an admin's)
                       # a document's signed scan, with its stage's record
                       *(["POST /cases/{case_id}/documents/{stage}",
                          "POST /api/v1/cases/{case_id}/documents/{stage}"]
                         if installed("documents") else []),
                       # an employee's notice of submission with its scan; a staff file
                       *(["POST /declarations/notice", "POST /declarations/import"]
                         if installed("declarations") else [])}


@pytest.mark.parametrize("lang,word", [("en", "too large"), ("ru", "слишком большой"),
                                       ("kk", "тым үлкен")])
def test_a_large_login_is_refused_with_413_before_it_is_read(web: Web, lang, word):
    c = web.client(lang=lang)
    before = web.dump()
    body = b"login=nurlan&password=" + b"x" * (2 * MIB)
    r = c.post("/login", content=body,
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and word in r.text and "1 MiB" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    # the body was read and dropped: the connection serves the next request
    assert "connection" not in r.headers
    # one too large to be worth reading, or waiting to be invited: not read, connection closed
    r = c.post("/login", content=b"x" * (DRAIN_BYTES + 1),
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers["connection"] == "close"
    r = c.post("/login", content=b"x" * (2 * MIB), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Expect": "100-continue"})
    assert r.status_code == 413 and r.headers["connection"] == "close"
    # chunked, no length declared: refused once it passes 1 MiB
    r = c.post("/login", content=chunks(3 * MIB),
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert r.status_code == 413 and word in r.text
    assert web.dump() == before


@pytest.mark.parametrize("lang,word", [("en", "too large"), ("ru", "слишком большой"),
                                       ("kk", "тым үлкен")])
def test_a_body_the_proxy_refused_gets_the_routes_own_answer(web: Web, lang, word):
    """nginx refuses a body over its location's limit and asks a node for the answer without
    the body, marked: the answer the route gives a body too large, in the reader's language."""
    mark = {"X-Merzim-Body-Refused": "1", "Accept-Language": lang}
    api = web.api("asel")
    before = web.dump()
    r = web.client(lang=None).post("/login", headers={
        **mark, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and word in r.text and "1 MiB" in r.text
    r = api.post("/api/v1/cases", headers={**mark, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "error.body_too_large"
    assert r.json()["message"] == Translator(lang)("error.body_too_large", limit="1 MiB")
    # an upload route: its own refusal of a request larger than its files may be (422)
    edu = web.analyses["edu"]
    r = api.post(f"/api/v1/cases/{edu}/files", headers={
        **mark, "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 422 and r.json()["error"] == "files.request_too_large"
    # the mark on a request with a small body refuses only that request
    r = api.post("/api/v1/cases", json={}, headers=mark)
    assert r.status_code == 413
    assert web.dump() == before


def test_the_api_answers_413_in_json_and_a_body_under_the_cap_is_read(web: Web):
    api = web.api("asel")
    before = web.dump()
    r = api.post("/api/v1/cases", content=b"{" + b" " * (BODY_BYTES + 1) + b"}",
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"error": "error.body_too_large",
                        "message": "The request is too large: at most 1 MiB is accepted here."}
    r = api.post("/api/v1/cases", content=chunks(2 * MIB),
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "error.body_too_large"
    # a multipart body is an upload only where a route takes files: elsewhere 1 MiB too
    r = api.post("/api/v1/cases", files=[("x", ("a.pdf", b"%PDF" + b"\0" * (2 * MIB)))])
    assert r.status_code == 413
    # a JSON body just under the cap reaches the route (and its own checks)
    r = api.post("/api/v1/cases", content=b"{" + b" " * (BODY_BYTES - 100) + b"}",
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "error.invalid"
    assert web.dump() == before  # (the 422 is in the audit log, which dump leaves out)


def test_an_upload_route_takes_a_file_larger_than_1_mib(web: Web):
    api = web.api("asel")
    edu = web.analyses["edu"]
    pdf = b"%PDF-1.4\n" + b"\0" * (3 * MIB)
    r = api.post(f"/api/v1/cases/{edu}/files", files=[("files", ("big.pdf", pdf, "application/pdf"))])
    assert r.status_code == 201, r.text
    assert [f["size"] for f in r.json()["items"]] == [len(pdf)]
    # the same route with a body that is not multipart: 1 MiB
    r = api.post(f"/api/v1/cases/{edu}/files", content=b"x" * (2 * MIB),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def _rss_kib(pid: int, field: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def _send_large(port: int, head: bytes, total: int, chunked: bool) -> bytes:
    """Send `head` and up to `total` body bytes (as chunks when `chunked`), stopping once the
    server answers; the answer's bytes (the server may close while we still send)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    answer = b""
    try:
        sock.sendall(head)
        block = b"a" * (256 * 1024)
        sent = 0
        while sent < total:
            readable, _w, _x = select.select([sock], [], [], 0)
            if readable:
                break
            piece = (f"{len(block):x}\r\n".encode() + block + b"\r\n") if chunked else block
            try:
                sock.sendall(piece)
            except OSError:  # the server closed after answering
                break
            sent += len(block)
        if chunked and sent >= total:
            with contextlib.suppress(OSError):
                sock.sendall(b"0\r\n\r\n")
        sock.settimeout(30)
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    finally:
        sock.close()
    return answer


@contextlib.contextmanager
def _serving(db_url: str, tmp_path) -> Iterator[tuple[subprocess.Popen, int]]:
    """`merzim serve --no-worker` on a free port, listening; the process and its port."""
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--no-worker", "--port", str(port)],
                            env=env_for(db_url), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_up(proc, lambda: listening(port), pause=0.2)
        yield proc, port
    finally:
        terminate(proc)


@pytest.mark.slow
def test_30_mb_to_login_is_refused_and_the_web_process_keeps_its_memory(db_url, tmp_path):
    with _serving(db_url, tmp_path) as (proc, port):
        total = 30 * 1000 * 1000
        base = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n")
        declared = _send_large(port, (base + f"Content-Length: {total}\r\n\r\n").encode(),
                               total, chunked=False)
        assert declared.startswith(b"HTTP/1.1 413 "), declared[:200]
        for _ in range(3):  # a chunked body declares no length: refused once past 1 MiB
            streamed = _send_large(port, (base + "Transfer-Encoding: chunked\r\n\r\n").encode(),
                                   total, chunked=True)
            assert streamed.startswith(b"HTTP/1.1 413 "), streamed[:200]
            assert b'"error":"error.body_too_large"' in streamed
        peak = _rss_kib(proc.pid)
        assert peak < 300 * 1024, f"peak RSS {peak} KiB"


def _read_answer(sock: socket.socket) -> bytes:
    """One HTTP/1.1 answer with a Content-Length, read whole from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection was closed: {data[:200]!r}"
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection was closed mid-answer"
        body += chunk
    return head


@pytest.mark.slow
def test_a_refused_body_is_read_so_the_connection_serves_the_next_request(db_url, tmp_path):
    """What a proxy sees: it sends the whole body, gets the 413, and sends its next request on
    the same connection -- never a reset (which nginx counts as a failed node)."""
    with _serving(db_url, tmp_path) as (_proc, port):
        body = b"login=asel&password=" + b"x" * (1536 * 1024)
        chunked = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n"
                           for p in (body[i:i + 65536] for i in range(0, len(body), 65536)))
        base = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n")
        health = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            for _ in range(3):
                sock.sendall((base + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
                head = _read_answer(sock)
                assert head.startswith(b"HTTP/1.1 413 "), head
                assert b"connection: close" not in head.lower()
                sock.sendall((base + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunked
                             + b"0\r\n\r\n")
                head = _read_answer(sock)
                assert head.startswith(b"HTTP/1.1 413 "), head
                sock.sendall(health)
                assert _read_answer(sock).startswith(b"HTTP/1.1 200 ")
