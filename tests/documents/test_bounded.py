"""Templates and signed scans bounded (shared/domain/documents.md D-7, D-8): a signed scan that
is a ZIP-based file (a DOCX) unpacking past `[files] max_unpacked_bytes` or holding more than
`max_entries` parts is refused with a translated message on the web, the API and the command
line, nothing stored; an operator's template with a broken tag placed in the configured
templates folder is refused at drafting naming the tag, the file and the language (never "an
unexpected error"), as `merzim document check-template` refuses it; rendering is bounded.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import docx
import pytest

from tests.support.features import module_of
from tests.support.web_helpers import (
    TODAY,
    Web,
    csrf_of,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow.services import files as files_service

texts = module_of("documents", "texts")
FORM = {"date": TODAY.isoformat(), "number": "21-ө", "signed_by": "Head of apparatus"}
MiB = 1024 * 1024


def _bomb(path: Path, zeros: int) -> Path:
    """A DOCX (its type read from its parts' names) with one part of `zeros` zero bytes,
    written deflated in chunks: a few hundred KB on disk, little memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        with z.open("word/media/zeros.bin", "w", force_zip64=True) as fh:
            chunk = b"\0" * MiB
            for _ in range(zeros // MiB):
                fh.write(chunk)
    return path


def _many(path: Path, n: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(n):
            z.writestr(f"word/p{i}.xml", "")
    return path


def _blobs(web: Web) -> list[str]:
    """Every file in the store's folder (the blobs and the staged uploads; its folders
    aside), if it has one."""
    root = getattr(files_service.store(web.app.state.settings), "root", None)
    return sorted(str(p) for p in Path(root).rglob("*") if p.is_file()) if root else []


def _with(web: Web, **files) -> None:
    settings = web.app.state.settings
    web.app.state.settings = dataclasses.replace(
        settings, files=dataclasses.replace(settings.files, **files))


def test_a_zip_bomb_scan_is_refused_on_the_web_and_nothing_is_stored(web: Web, tmp_path):
    assert web.app.state.settings.files.max_unpacked_bytes == 200 * MiB  # the default
    bomb = _bomb(tmp_path / "signed.docx", 210 * MiB)
    assert bomb.stat().st_size < MiB  # under [files] max_bytes: only its unpacked size is over
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}/documents/analytic_note")
    before, blobs = web.dump(), _blobs(web)
    r = b.post(f"/cases/{edu}/documents/analytic_note", data={"csrf": csrf_of(page.text), **FORM},
               files={"files": ("signed.docx", bomb.read_bytes(), "application/octet-stream")})
    assert r.status_code == 422, r.text[:500]
    assert "«signed.docx» unpacks to 210 MiB, more than the limit of 200 MiB" in r.text
    assert web.dump() == before and _blobs(web) == blobs


def test_a_zip_bomb_scan_is_refused_by_the_api_and_the_command(web: Web, merzim_db, tmp_path):
    edu = web.analyses["edu"]
    api = web.api("asel")
    url = f"/api/v1/cases/{edu}/documents/analytic_note"
    before, blobs = web.dump(), _blobs(web)
    _with(web, max_unpacked_bytes=MiB)  # a smaller limit: the test's own bomb stays small
    bomb = _bomb(tmp_path / "signed.docx", 2 * MiB)
    r = api.post(url, data=FORM, files={"files": ("signed.docx", bomb.read_bytes(),
                                                  "application/octet-stream")})
    assert r.status_code == 422 and r.json()["error"] == "files.zip_unpacked", r.text
    _with(web, max_entries=50)
    many = _many(tmp_path / "many.docx", 60)
    r = api.post(url, data=FORM, files={"files": ("many.docx", many.read_bytes(),
                                                  "application/octet-stream")})
    assert r.status_code == 422 and r.json()["error"] == "files.zip_entries", r.text
    assert "holds 62 parts, more than the limit of 50" in r.text
    config = tmp_path / "config.toml"
    config.write_text("[files]\nmax_unpacked_bytes = 1048576\n", encoding="utf-8")
    for lang, words in (("ru", "в распакованном виде занимает 2 MiB"),
                        ("kk", "ашылғанда 2 MiB көлемін алады")):
        r = merzim_db("document", "sign", str(edu), "analytic_note", "--date",
                      TODAY.isoformat(), "--file", str(bomb), "--number", "21-ө",
                      "--signed-by", "Head of apparatus", config=config, lang=lang)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert words in r.stderr and "signed.docx" in r.stderr, r.stderr
    assert web.dump() == before and _blobs(web) == blobs
    # a plain DOCX within the bounds is stored as before
    ok = io.BytesIO()
    docx.Document().save(ok)
    r = api.post(url, data=FORM, files={"files": ("signed.docx", ok.getvalue(),
                                                  "application/octet-stream")})
    assert r.status_code == 201, r.text


def _template(path: Path, *paragraphs: str) -> Path:
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


BROKEN = ("{{ organisation.name }}", "{% if organisation.kind %}",
          "{% for r in risks %}{{ r.no }}", "{% endif %}")  # the loop behind a condition unclosed


def test_a_broken_operator_template_is_refused_at_drafting_naming_it(web: Web, merzim_db,
                                                                     tmp_path):
    folder = tmp_path / "documents"
    _template(folder / "ru" / "order.docx", *BROKEN)  # placed in the folder, not installed
    config = tmp_path / "config.toml"
    config.write_text('[documents]\ntemplates = "documents"\n', encoding="utf-8")
    edu = web.analyses["edu"]
    api, b = web.api("asel"), web.browser("asel")  # signed in first: a sign-in writes a session
    before = web.dump()
    r = merzim_db("document", "draft", str(edu), "order", "--lang", "ru",
                  "--out", str(tmp_path / "out.docx"), config=config, lang="ru")
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert "Unexpected" not in r.stderr and "Непредвиденная" not in r.stderr
    assert "Шаблон ru/order.docx (ru) нельзя использовать" in r.stderr, r.stderr
    assert "{% endif %}" in r.stderr and "¶ 4" in r.stderr
    assert not (tmp_path / "out.docx").exists()
    r = merzim_db("document", "check-template", str(folder / "ru" / "order.docx"),
                  "--name", "order", "--lang", "ru", config=config, lang="ru")
    assert r.returncode != 0 and "{% endif %}" in r.stderr and "order.docx" in r.stderr

    settings = web.app.state.settings
    features = {k: (texts.DocumentsSettings(templates=folder)
                    if isinstance(v, texts.DocumentsSettings) else v)
                for k, v in settings.features.items()}
    web.app.state.settings = dataclasses.replace(settings, features=features)
    r = api.get(f"/api/v1/cases/{edu}/documents/order", params={"lang": "ru"})
    assert r.status_code == 422 and r.json()["error"] == "document.template_broken", r.text
    r = b.get(f"/cases/{edu}/documents/order/docx", params={"lang": "ru"})
    assert r.status_code == 422 and "Unexpected error" not in r.text
    assert "Шаблон ru/order.docx (ru) нельзя использовать" in r.text  # ?lang=ru
    assert "endif" in r.text
    page = b.get(f"/cases/{edu}/documents/order")  # the page stays: the scan can be recorded
    assert page.status_code == 200 and 'data-testid="document-form"' in page.text
    assert 'data-testid="document-refused-ru"' in page.text
    assert 'data-testid="document-docx-kk"' in page.text
    assert "The template ru/order.docx (ru) cannot be used" in page.text
    r = api.get(f"/api/v1/cases/{edu}/documents/order", params={"lang": "kk"})
    assert r.status_code == 200  # the other languages' shipped templates still draft
    assert web.dump() == before


def test_check_template_reads_a_loop_behind_a_condition_the_sample_does_not_take(
        web: Web, merzim_db, tmp_path):
    """Drafting reads `r.nam` only when the condition holds for the case; the check reads
    every branch, so it is refused before any case meets it."""
    hidden = _template(tmp_path / "hidden.docx", "{% if organisation.kind == 'никогда' %}",
                       "{% for r in risks %}{{ r.nam }}{% endfor %}", "{% endif %}")
    r = merzim_db("document", "check-template", str(hidden), "--name", "analytic_note",
                  "--lang", "kk", lang="en")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "r.nam" in r.stderr and "analytic_note.docx (kk)" in r.stderr, r.stderr
    fine = _template(tmp_path / "fine.docx", "{% if organisation.kind == 'никогда' %}",
                     "{% for r in risks %}{{ r.no }}{% for c in r.recommendations %}"
                     "{{ c.text }} {{ loop.index }}{% endfor %}{% endfor %}", "{% endif %}")
    r = merzim_db("document", "check-template", str(fine), "--name", "analytic_note",
                  "--lang", "kk", lang="en")
    assert r.returncode == 0, r.stderr


def test_rendering_is_bounded_in_size_and_time(tmp_path):
    wide = _template(tmp_path / "wide.docx",  # each turn writes 100 characters: the size bound
                     "{% for i in range(100000) %}{% for j in range(100000) %}" + "x" * 100
                     + "{% endfor %}{% endfor %}")
    with pytest.raises(texts.TemplateRefused) as refused:
        texts.render(wide, texts.sample("kk"), name="kk/order.docx", language="kk",
                     max_chars=MiB)
    assert refused.value.key == "document.render_too_large"
    assert refused.value.params["file"] == "kk/order.docx"
    with pytest.raises(texts.TemplateRefused) as refused:  # check-template: drafting's bounds
        texts.check(wide, "order", "kk")
    assert refused.value.key == "document.render_too_large"
    slow = _template(tmp_path / "slow.docx",  # each turn looks a placeholder up: the clock
                     "{% for i in range(100000) %}{% for j in range(100000) %}"
                     "{{ organisation.name }}{% endfor %}{% endfor %}")
    with pytest.raises(texts.TemplateRefused) as refused:
        texts.render(slow, texts.sample("kk"), name="kk/order.docx", language="kk",
                     seconds=0.2)
    assert refused.value.key == "document.render_too_slow"
    assert refused.value.params["seconds"] == "0.2"


@pytest.mark.slow  # merzim serve as a process
def test_a_broken_operator_template_in_the_folder_stops_the_start_naming_it(db_url, db,
                                                                            tmp_path):
    """At the start of serving every template of the folder is checked as drafting checks it:
    a broken one stops `merzim serve` in one line naming its tag, its file and its language,
    before anything is written; a file no document is drafted from is reported and left
    alone, and the server starts."""
    import subprocess

    from tests.support.cli_runner import merzim_env, run_merzim
    from tests.support.databases import dump_tables
    from tests.support.processes import SCRIPT, free_port, terminate, wait_answering

    folder = tmp_path / "documents"
    _template(folder / "AK-ALM-EDU" / "kk" / "analytic_note.docx", *BROKEN)
    _template(folder / "ru" / "order.docx", "{{ organisation.name }}")  # a sound one
    _template(folder / "ru" / "ordr.docx", "{{ organisation.name }}")  # a misspelt name
    (tmp_path / "config.toml").write_text('[documents]\ntemplates = "documents"\n',
                                          encoding="utf-8")
    before = dump_tables(db)
    for lang, words in (("ru", "Шаблон AK-ALM-EDU/kk/analytic_note.docx (kk) в папке шаблонов "
                               "нельзя использовать"),
                        ("kk", "Үлгілер қалтасындағы AK-ALM-EDU/kk/analytic_note.docx үлгісін "
                               "(kk) пайдалану мүмкін емес"),
                        ("en", "The template AK-ALM-EDU/kk/analytic_note.docx (kk) in the "
                               "templates folder cannot be used")):
        r = run_merzim(["serve", "--no-worker", "--port", str(free_port())],
                       env=merzim_env(db_url=db_url, lang=lang), cwd=tmp_path, process=True,
                       timeout=60)
        assert r.returncode == 2, (r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], r.stderr
        assert "{% endif %}" in lines[0] and "Traceback" not in r.stderr and r.stdout == ""
    assert dump_tables(db) == before

    (folder / "AK-ALM-EDU" / "kk" / "analytic_note.docx").unlink()
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--no-worker", "--port", str(port)],
                            env=merzim_env(db_url=db_url), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_answering(proc, f"http://127.0.0.1:{port}/healthz", "the server did not come up",
                       pause=0.2)
    finally:
        terminate(proc, fail="serve did not stop on SIGTERM")
    log = proc.stderr.read() if proc.stderr else ""
    assert "ru/ordr.docx: no document is drafted from this file" in log, log
    assert "ru/order.docx" not in log.replace("ru/ordr.docx", "")
