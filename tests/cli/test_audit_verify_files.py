"""`merzim audit verify` counts every stored file, void ones too (and says how many are
void), and checks their content against their hashes; a void file's content may have been
removed (allowed, counted), never changed. Through the real entry point.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.support.cli_world_helpers import PDF, World


@pytest.fixture
def world(cli_world) -> World:
    """A copy of the world (conftest's "cli-world" template: built once per process)."""
    return cli_world


def _blob(world: World, sha: str):
    return world.store / sha[:2] / sha[2:4] / sha


def test_audit_verify_counts_void_files_and_checks_their_hashes(world):
    coi = str(world.ids["coi1"])
    pdf, other = world.tmp / "order.pdf", world.tmp / "wrong.pdf"
    pdf.write_bytes(PDF)
    other.write_bytes(PDF.replace(b"Catalog", b"Catalog /Wrong true"))
    world.ok("record", coi, "forwarded", "--date", "2026-02-02", "--file", str(other))
    [wrong] = world.json("files", coi)["files"]
    world.ok("files", "void", str(wrong["id"]), "--note", "attached by mistake")
    # one void file stored, no other: it is counted, said void, and checked
    verified = world.json("audit", "verify")
    assert verified["ok"] is True
    assert verified["files"] == {"checked": 1, "voided": 1, "void_content_removed": 0,
                                 "problems": []}
    text = world.ok("audit", "verify").stdout
    assert "1 file checked (1 of them void)" in text and "0 files" not in text
    ru = world.ok("audit", "verify", lang="ru").stdout
    assert "Проверен 1 файл (из них аннулировано: 1)" in ru
    world.ok("record", str(world.ids["coi2"]), "forwarded", "--date", "2026-02-02",
             "--file", str(pdf))
    assert "2 files checked (1 of them void)" in world.ok("audit", "verify").stdout
    # a void file's content changed on disk is found as any other's
    blob = _blob(world, wrong["sha256"])
    assert blob.read_bytes() == other.read_bytes()
    blob.chmod(0o644)
    blob.write_bytes(b"%PDF-1.4 replaced")
    changed = world("audit", "verify", "--json")
    assert changed.returncode == 3
    problems = json.loads(changed.stdout)["files"]["problems"]
    assert [(p["id"], p["problem"]) for p in problems] == [(wrong["id"], "changed")]
    # removed (a secret attached by mistake): allowed for a void file, counted
    blob.unlink()
    removed = world.json("audit", "verify")
    assert removed["ok"] is True and removed["files"]["void_content_removed"] == 1
    assert "1 void file's content was removed" in world.ok("audit", "verify").stdout
    # a live file's content removed is a problem, as before
    live = _blob(world, hashlib.sha256(PDF).hexdigest())
    live.chmod(0o644)
    live.unlink()
    missing = world("audit", "verify")
    assert missing.returncode == 3 and "missing" in (missing.stdout + missing.stderr).lower()
