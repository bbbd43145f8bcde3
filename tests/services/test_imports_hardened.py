"""Imports refuse what they cannot read safely, in one line, and store nothing.

Before the fix: a small XLSX unpacking to hundreds of megabytes was read into memory, an XLSX
with a DTD was parsed, a non-zip ".xlsx" or a CSV with NUL bytes gave a traceback (or, on
PostgreSQL, a database error), and the sniffer misread the standard doubled quotes of a CSV."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.support.databases import dump_tables
from workflow.i18n import Translator
from workflow.storage.db import make_engine

HEADER = "code,name,kind,parent\n"


def _config(tmp_path: Path, rows: int = 10_000, megabytes: int = 1) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[import]\nrows = {rows}\nmegabytes = {megabytes}\n", encoding="utf-8")
    return cfg


def _xlsx(path: Path, rows: list[list[str]], replace: dict[str, bytes] | None = None) -> Path:
    """A real workbook from openpyxl; `replace` swaps parts of the archive."""
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = (replace or {}).get(item.filename, src.read(item.filename))
            dst.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED,
                         compresslevel=9)
    return path


def _sheet(extra_prolog: str = "", padding: int = 0) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{extra_prolog}'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<!--{" " * padding}--><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>code'
            '</t></is></c></row></sheetData></worksheet>').encode()


@pytest.fixture
def refused(merzim_db, db_url):
    """Run an import that must be refused: exit 2, one line naming the key's text, nothing stored."""

    def check(args: list[str], key_text: str, config: Path | None = None, lang: str = "en"):
        eng = make_engine(db_url)
        before = dump_tables(eng)
        run = merzim_db(*args, config=config, lang=lang)
        assert run.returncode == 2, (run.stdout, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
        assert key_text in lines[0], lines[0]
        assert dump_tables(eng) == before
        eng.dispose()
        return lines[0]

    return check


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_an_xlsx_that_unpacks_past_the_limit_is_refused(merzim_db, refused, tmp_path, lang):
    assert merzim_db("init").returncode == 0
    bomb = _xlsx(tmp_path / "bomb.xlsx", [["code"]],
                 {"xl/worksheets/sheet1.xml": _sheet(padding=5 * 1024 * 1024)})
    assert bomb.stat().st_size < 200_000  # small on disk, 5 MB unpacked, the limit is 1 MB
    expected = Translator(lang)("tabular.xlsx_unpacked", path=str(bomb), limit=1)
    assert refused(["org", "import", str(bomb)], "", config=_config(tmp_path), lang=lang
                   ) == expected
    # the same bomb whose directory declares 1,000 bytes (in the local header and the central
    # directory): its part is not read past them, the archive is refused as unreadable
    data = bomb.read_bytes()
    with zipfile.ZipFile(bomb) as z:
        size = z.getinfo("xl/worksheets/sheet1.xml").file_size.to_bytes(4, "little")
    assert data.count(size) >= 2
    bomb.write_bytes(data.replace(size, (1000).to_bytes(4, "little")))
    assert refused(["org", "import", str(bomb)], "", config=_config(tmp_path), lang=lang
                   ).startswith(Translator(lang)("error.bad_file", path=str(bomb), detail="@")
                                .split("@")[0])


def test_an_xlsx_with_a_dtd_is_refused(merzim_db, refused, tmp_path):
    assert merzim_db("init").returncode == 0
    dtd = '<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    f = _xlsx(tmp_path / "dtd.xlsx", [["code"]], {"xl/worksheets/sheet1.xml": _sheet(dtd)})
    refused(["org", "import", str(f)], "DTD")


def test_a_non_zip_xlsx_is_refused(merzim_db, refused, tmp_path):
    assert merzim_db("init").returncode == 0
    f = tmp_path / "table.xlsx"
    f.write_text(HEADER + "AK,Akimat,akimat,\n", encoding="utf-8")
    refused(["org", "import", str(f)], "not an XLSX workbook")
    f.write_bytes(b"PK\x03\x04 broken")
    refused(["org", "import", str(f)], "not an XLSX workbook")


def test_too_many_rows_are_refused(merzim_db, refused, tmp_path):
    assert merzim_db("init").returncode == 0
    f = tmp_path / "orgs.csv"
    f.write_text(HEADER + "".join(f"O{i},Org {i},akimat,\n" for i in range(6)) + "\n\n",
                 encoding="utf-8")
    refused(["org", "import", str(f)], "more than 5 rows", config=_config(tmp_path, rows=5))
    x = _xlsx(tmp_path / "orgs.xlsx", [["code", "name", "kind", "parent"]]
              + [[f"O{i}", f"Org {i}", "akimat", ""] for i in range(6)])
    refused(["org", "import", str(x)], "more than 5 rows", config=_config(tmp_path, rows=5))
    f.write_text(HEADER + "".join(f"O{i},Org {i},akimat,\n" for i in range(5)) + ",,,\n\n",
                 encoding="utf-8")  # blank rows are not counted
    run = merzim_db("org", "import", str(f), config=_config(tmp_path, rows=5))
    assert run.returncode == 0, run.stderr


def test_nul_bytes_are_refused(merzim_db, refused, tmp_path):
    assert merzim_db("init").returncode == 0
    f = tmp_path / "orgs.csv"
    f.write_bytes((HEADER + "AK,Aki\x00mat,akimat,\n").encode())
    refused(["org", "import", str(f)], "NUL")


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_doubled_quotes_of_a_csv_are_read_as_quotes(merzim_db, tmp_path, delimiter):
    assert merzim_db("init").returncode == 0
    f = tmp_path / "orgs.csv"
    f.write_text(HEADER.replace(",", delimiter)
                 + delimiter.join(['KP', '"АО ""Казпочта"""', "quasi_state", ""]) + "\n"
                 + delimiter.join(['KP2', '"ТОО ""А, Б; и В"""', "quasi_state", "KP"]) + "\n",
                 encoding="utf-8")
    run = merzim_db("org", "import", str(f))
    assert run.returncode == 0, run.stderr
    import json

    names = {o["code"]: o["name"] for o in json.loads(merzim_db("org", "list", "--json").stdout)}
    assert names == {"KP": 'АО "Казпочта"', "KP2": 'ТОО "А, Б; и В"'}


def _with_parts(path: Path, parts: dict[str, bytes]) -> Path:
    """The archive at `path` with `parts` added."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _org_names(merzim_db) -> dict[str, str]:
    import json

    return {o["code"]: o["name"] for o in json.loads(merzim_db("org", "list", "--json").stdout)}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_csv_in_utf16_or_utf32_with_its_mark_is_read(merzim_db, tmp_path, encoding):
    """Excel's "Unicode text" and Notepad's "Unicode" save UTF-16 with a byte order mark."""
    assert merzim_db("init").returncode == 0
    f = tmp_path / "orgs.csv"
    text = HEADER + "KP;АО Қазпошта;quasi_state;\n".replace(";", ",")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # (Python writes the mark for "utf-16" and "utf-32" only)
    f.write_bytes(data)
    run = merzim_db("org", "import", str(f))
    assert run.returncode == 0, run.stderr
    assert _org_names(merzim_db) == {"KP": "АО Қазпошта"}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_csv_that_is_not_utf8_says_how_to_save_it(merzim_db, refused, tmp_path, lang):
    """UTF-16 without its mark (NUL bytes) and a Windows code page are refused, nothing stored,
    each saying to save the file as CSV UTF-8, in the reader's language."""
    assert merzim_db("init").returncode == 0
    t = Translator(lang)
    unmarked = tmp_path / "unmarked.csv"
    unmarked.write_bytes((HEADER + "KP,Kazpost,quasi_state,\n").encode("utf-16-le"))
    assert refused(["org", "import", str(unmarked)], "", lang=lang) == t(
        "tabular.nul_text", path=str(unmarked))
    cp1251 = tmp_path / "cp1251.csv"
    cp1251.write_bytes((HEADER + "KP,Казпочта,quasi_state,\n").encode("cp1251"))
    assert refused(["org", "import", str(cp1251)], "", lang=lang) == t(
        "tabular.not_utf8", path=str(cp1251))
    for text in (t("tabular.nul_text", path="x"), t("tabular.not_utf8", path="x")):
        assert "CSV UTF-8" in text and "XLSX" in text


def test_an_xlsx_of_ten_thousand_and_one_parts_is_read(merzim_db, tmp_path):
    """A small workbook with many parts (pictures, comments, custom XML) is a workbook: read."""
    assert merzim_db("init").returncode == 0
    extra = {f"customXml/item{i}.xml": b'<?xml version="1.0"?><item/>' for i in range(10_000)}
    f = _with_parts(_xlsx(tmp_path / "parts.xlsx", [["code", "name", "kind", "parent"],
                                                    ["KP", "Kazpost", "quasi_state", ""]]),
                    extra)
    with zipfile.ZipFile(f) as z:
        assert len(z.infolist()) > 10_000
    assert f.stat().st_size < 3 * 1024 * 1024
    run = merzim_db("org", "import", str(f))
    assert run.returncode == 0, run.stderr
    assert _org_names(merzim_db) == {"KP": "Kazpost"}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_an_archive_of_more_parts_than_any_workbook_is_refused(tmp_path, monkeypatch, lang):
    from workflow import tabular
    from workflow.core.errors import UsageError

    monkeypatch.setattr(tabular, "MAX_PARTS", 20)
    extra = {f"customXml/item{i}.xml": b"<item/>" for i in range(20)}
    f = _with_parts(_xlsx(tmp_path / "parts.xlsx", [["code"], ["KP"]]), extra)
    with pytest.raises(UsageError) as err:
        tabular.read_rows(f, ("code",))
    assert err.value.key == "tabular.xlsx_parts" and err.value.params["n"] == 20
    text = Translator(lang)("tabular.xlsx_parts", path=str(f), n=20)
    assert "20" in text and "XLSX" in text
