"""The report forms in the cross-platform package: `merzim package` puts
each form the implementation map names under the sub-task it confirms (000:L720-728, L815-821,
L1551, L1676-1680, L1696-1702, L1751-1755), in Kazakh and in Russian, beside the records of the
registers the map names; unpacked and read back cell by cell against `merzim form`.

The world is tests/support/registers_world.py's (an akimat AK with a year of entries in every register that
fills a form, and an internal analysis, hence a programme, of 2026), built once per backend.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.registers_world import (
    cells,
    produce,
    world_fixture,  # noqa: F401  (the `world` fixture)
)
from workflow.definitions import load_registry
from workflow.platform.map import load_map
from workflow.platform.rules import safe_file_name, safe_name
from workflow.storage.db import make_engine
from workflow.storage.models import AuditRecord

PMAP = load_map(load_registry())
# Which forms confirm which sub-task (the map's `forms`, as 000 says): AK has lines in every
# form, appendix 1 (its education department's cartogram, 000:L643-645) under 1.5.1.
EXPECTED = {
    "1.5.1": (1,),
    **{key: (2,) for key in ("2.1.1", "2.3.1", "2.3.2", "2.4.1", "2.5.1", "2.5.2", "2.5.3",
                             "2.5.4", "2.5.5")},
    "2.2.1": (2, 3),
    "4.1.2": (4,),
    "4.2.3": (5,),
    "4.2.4": (5,),
    "4.3.1": (6,),
}
FILE = {"en": "appendix-{n}-AK-2026-{lang}.xlsx", "kk": "қосымша-{n}-AK-2026-{lang}.xlsx"}

pytestmark = [needs("forms"),  # the package holds the forms the forms feature writes
              needs("planning")]  # of the analyses it plans


def folder(key: str) -> str:
    found = PMAP.find(key)
    assert found is not None
    return "/".join(safe_name(x.names["kk"]) for x in found)


def package(world: dict[str, Any], lang: str, name: str) -> tuple[dict[str, Any], Path]:
    out = world["tmp"] / name
    result = world["m"]("package", "AK:2026", "--out", str(out), "--json", lang=lang)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), out


def unpack(out: Path) -> dict[str, dict[str, bytes]]:
    """Each ZIP's members by the sub-task key its name starts with."""
    found = {}
    for path in sorted(out.glob("*.zip")):
        with zipfile.ZipFile(path) as z:
            found[path.name.split(" ", 1)[0]] = {n: z.read(n) for n in z.namelist()}
    return found


def test_each_form_is_under_the_subtask_it_confirms_in_kk_and_ru(world):
    summary, out = package(world, "kk", "package-kk")
    zips = unpack(out)
    for key, forms in EXPECTED.items():
        names = {f"{folder(key)}/{FILE['kk'].format(n=n, lang=lang)}"
                 for n in forms for lang in ("kk", "ru")}
        assert names <= set(zips[key]), key
        others = {n for n in zips[key] if n.endswith(".xlsx")} - names
        assert others == set(), key
        # the ZIP is named by the sub-task, as every sub-task's is
        sub = PMAP.find(key)[2]
        assert safe_file_name(f"{key} {sub.names['kk']}.zip") in {p.name for p in
                                                                   out.glob("*.zip")}
    # no form anywhere else: project 1 and project 3 carry none
    for key, members in zips.items():
        if key not in EXPECTED:
            assert not [n for n in members if n.endswith(".xlsx")], key
    # the summary counts a form as a document and a file (kk and ru: two of each)
    rows = {r["subtask"]: r for r in summary["subtasks"]}
    assert (rows["2.1.1"]["documents"], rows["2.1.1"]["files"]) == (2, 2)
    assert (rows["2.2.1"]["documents"], rows["2.2.1"]["files"]) == (4, 4)
    # 4.3.1: its two outreach events of 2026 (000:L1751-1755) and appendix 6 in kk and ru
    assert (rows["4.3.1"]["documents"], rows["4.3.1"]["files"]) == (4, 2)


def test_the_forms_read_back_as_merzim_form_writes_them(world):
    _, out = package(world, "kk", "package-cells")
    zips = unpack(out)
    for key, n, lang in [("2.1.1", 2, "kk"), ("2.5.4", 2, "ru"), ("2.2.1", 3, "kk"),
                         ("4.1.2", 4, "ru"), ("4.2.4", 5, "kk"), ("4.3.1", 6, "ru")]:
        member = zips[key][f"{folder(key)}/{FILE['kk'].format(n=n, lang=lang)}"]
        assert cells(member) == cells(produce(world, n, lang)), (key, n, lang)


def test_the_manifest_lists_each_form_to_sign(world):
    _, out = package(world, "en", "package-en")
    members = unpack(out)["2.2.1"]
    rows = list(csv.reader(io.StringIO(members[f"{folder('2.2.1')}/manifest.csv"]
                                       .decode("utf-8-sig"))))
    body = [r for r in rows[1:] if r[-2].endswith(".xlsx")]
    assert [(r[0], r[1], r[3], r[5], r[8], r[10]) for r in body] == [
        ("2.2.1", f"Report form: appendix No. {n} of the Instruction ({lang})", "AK",
         "2026-12-15", "a report form: to be signed before upload",
         f"appendix-{n}-AK-2026-{lang}.xlsx")
        for n, lang in [(2, "kk"), (2, "ru"), (3, "kk"), (3, "ru")]]
    doc = json.loads(members[f"{folder('2.2.1')}/manifest.json"])
    assert [(d["document"], d["approver_check"], d["file"]) for d in doc["documents"]] == [
        (f"Report form: appendix No. {n} of the Instruction ({lang})", "to_sign",
         f"appendix-{n}-AK-2026-{lang}.xlsx") for n, lang in [(2, "kk"), (2, "ru"), (3, "kk"),
                                                              (3, "ru")]]


def test_the_export_is_audited_with_its_forms_and_persons(world):
    engine = make_engine(world["url"])
    try:
        with Session(engine) as s:
            before = len(s.exec(select(AuditRecord).where(
                AuditRecord.action == "export.package")).all())
        package(world, "en", "package-audit")
        with Session(engine) as s:
            found = s.exec(select(AuditRecord).where(AuditRecord.action == "export.package")
                           .order_by(AuditRecord.id)).all()
    finally:
        engine.dispose()
    assert len(found) == before + 1
    details = json.loads(found[-1].payload)
    # 15 sub-tasks written: 1.5.1, ten of project 2, four of project 4;
    # 32 forms (appendix 1, 2 ten times and 3 once, 4, 5 twice, 6: kk and ru each); appendix 2
    # names its four persons in kk and in ru (the operator sees every case)
    assert (len(details["subtasks"]), details["forms"], details["persons_shown"],
            details["persons_hidden"]) == (15, 2 * (1 + 10 + 1 + 1 + 2 + 1), 8, 0)


def test_a_package_of_a_year_without_entries_holds_no_form(world):
    result = world["m"]("package", "AK:2025", "--json")
    # AK has no programme of 2025: refused as before, nothing written
    assert result.returncode == 4, result.stderr
