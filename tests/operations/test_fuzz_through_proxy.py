"""An API fuzzer through the shipped nginx site in front of two `merzim serve` nodes on one
PostgreSQL database, while an officer writes keyed comments: no node stops answering (a
refusal's audit record once froze a node's event loop, and the proxy then every node), no
request is left waiting, no write is lost or doubled, the audit chain verifies.

schemathesis (its examples, fuzzing and stateful phases, bounded in time, every answer checked
for a server error) sends what a careless or hostile client sends -- unknown ids, wrong types,
out-of-range numbers, bodies the schema refuses -- most of it refused (404, 409, 422), each
refusal audited. `/healthz` is asked through the proxy and of each node directly the whole
time."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from tests.support.deployment import deploy, proxy_client
from tests.support.processes import local
from workflow.services import transactions as tx

pytestmark = pytest.mark.slow  # two nodes, nginx and a fuzzer as processes

FUZZ_SECONDS = 60
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture
def deployment(db_url, db, make_ctx, tmp_path) -> Iterator[dict]:
    if not db_url.startswith("postgresql"):
        pytest.skip("the nodes share one PostgreSQL database")
    yield from deploy(db_url, db, make_ctx, tmp_path)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_fuzzer_through_the_proxy_while_an_officer_writes_stops_no_node(deployment):
    d = deployment
    proxy, machines, token, case = d["proxy"], d["machines"], d["token"], d["case"]
    bearer = {"Authorization": f"Bearer {token}"}
    # the writer is another officer of the case's organisation: the fuzzer (asel) may answer
    # or change only her own comments, so the writer's stay as written
    writer = {"Authorization": f"Bearer {d['writer_token']}"}
    stop = threading.Event()
    health: dict[str, list] = {"slowest": [0.0], "failed": []}
    lock = threading.Lock()

    def watch(base: str) -> None:
        client = httpx.Client(verify=False, timeout=5)
        while not stop.is_set():
            began = time.monotonic()
            try:
                ok = client.get(f"{base}/healthz").status_code == 200
                said = ""
            except httpx.HTTPError as exc:
                ok, said = False, repr(exc)
            with lock:
                health["slowest"].append(time.monotonic() - began)
                if not ok:
                    health["failed"].append((base, said))
            time.sleep(0.2)

    written: list[str] = []
    answers: dict[int, int] = {}

    def write() -> None:
        client = proxy_client(proxy)
        n = 0
        while not stop.is_set():
            words, key = f"written under the fuzzer {n}", str(uuid.uuid4())
            while True:  # a 503 is sent again with its key, as a client does
                r = client.post(f"/api/v1/cases/{case}/comments", json={"text": words},
                                headers={**writer, "Idempotency-Key": key})
                with lock:
                    answers[r.status_code] = answers.get(r.status_code, 0) + 1
                if r.status_code != 503:
                    break
                time.sleep(1)
            assert r.status_code == 201, r.text
            written.append(words)
            n += 1
            time.sleep(0.1)

    threads = [threading.Thread(target=watch, args=(base,), daemon=True)
               for base in (proxy.base, *(m.base for m in machines))]
    threads.append(threading.Thread(target=write, daemon=True))
    for t in threads:
        t.start()
    fuzz = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{proxy.base}/openapi.json", "--url", proxy.base,
         "--header", f"Authorization: Bearer {token}", "--tls-verify", "false",
         "--phases", "examples,fuzzing,stateful", "--max-examples", "10",
         "--max-time", str(FUZZ_SECONDS), "--request-timeout", "30",
         "--checks", "not_a_server_error", "--continue-on-failure", "--no-color",
         "--workers", "2"],
        capture_output=True, text=True, timeout=FUZZ_SECONDS * 4, cwd=d["tmp"])
    stop.set()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a client is still waiting"
    summary = fuzz.stdout[-3000:]
    print(summary)
    print(json.dumps({"written": len(written), "answers": answers,
                      "healthz_asked": len(health["slowest"]) - 1,
                      "healthz_slowest_s": round(max(health["slowest"]), 3)}))
    assert health["failed"] == [], health["failed"][:5]
    assert fuzz.returncode == 0, summary  # no server error among the fuzzer's answers
    for m in machines:
        assert m.web.poll() is None, m.log("serve")[-2000:]
    assert written
    r = local().get(f"{machines[0].base}/api/v1/cases/{case}/comments", headers=bearer,
                    timeout=60)
    # the writer's (zhanna's) own: the fuzzer may post a text it read in a listed comment
    # again, as its own (its stateful phase fills a body from an earlier answer's fields)
    said = [c["text"] for c in r.json() if c["author"] == "zhanna"
            and c["text"].startswith("written under the fuzzer")]
    assert sorted(said) == sorted(written)  # none lost, none doubled
    with Session(d["db"]) as s:
        found = tx.verify_audit(s)
    assert found.ok, found
