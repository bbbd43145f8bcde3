"""A large file confirmed from the web leaves nothing of itself in the process: once its page
is answered, the Python objects allocated during the preview and the confirm of 2,000 rows
(its rows, cells, plans, cases, audit payloads) are all freed, save a few kept lists and
pools (bench/import/web_confirm_memory.py measures the resident memory); and the preview's
and the confirm's pages are rendered once those objects are freed — on SQLite and PostgreSQL.

The world: the demo for TODAY (tests/support/web_helpers.py); Asel is the education
department's officer (AK-ALM-EDU)."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from tests.support.import_helpers import (
    TODAY,
    confirm,
    csv_of,
    site_fixture,  # noqa: F401 - the `site` fixture
    upload,
)
from tests.support.web_helpers import Web, web_fixture  # noqa: F401 - `web`, the demo

CIRCUMSTANCES = "A relative's company audited"  # what a conflict of interest requires



def conflicts(n: int, who: str) -> bytes:
    day = TODAY.replace(day=3).isoformat()
    return csv_of("subject,person,kind,detected,circumstances",
                  *(f",{who} {i},conflict_of_interest,{day},{CIRCUMSTANCES}"
                    for i in range(n)))


def imported(asel, data: bytes) -> None:
    page = upload(asel, data)
    assert page.status_code == 200, page.text[-1500:]
    done = confirm(asel, page.text)
    assert done.status_code == 200 and "entries opened" in done.text, done.text[-1500:]


@pytest.mark.slow
def test_a_confirmed_file_leaves_none_of_its_objects_behind(site: Web):
    asel = site.browser("asel")
    imported(asel, conflicts(600, "Warm-up"))  # (the first import's caches and imports)
    gc.collect()
    tracemalloc.start()
    try:
        imported(asel, conflicts(2000, "Person"))
        gc.collect()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak > 2 * 2**20  # the file was read, checked and written: megabytes at its peak
    assert kept < 256 * 1024, f"{kept / 1024:.0f} KiB left of {peak / 2**20:.1f} MiB"



@pytest.mark.slow
def test_the_pages_are_rendered_once_the_file_is_freed(site: Web, monkeypatch):
    """The preview's and the confirm's pages are rendered once the file's rows, its checked
    plan and the written cases are freed: what the rendering keeps (the menu's kept counts,
    the templates' cache) is not allocated among them, where it would hold the allocator's
    arenas of the whole file (bench/import/web_confirm_memory.py)."""
    templates = site.app.state.templates
    rendered: dict[str, int] = {}
    respond = templates.TemplateResponse

    def noted(request, name, context, **kw):  # (the framework's, not ours: only observed)
        rendered[name] = tracemalloc.get_traced_memory()[0]
        return respond(request, name, context, **kw)

    monkeypatch.setattr(templates, "TemplateResponse", noted)
    asel = site.browser("asel")
    imported(asel, conflicts(600, "Warm-up"))
    data = conflicts(2000, "Person")
    gc.collect()
    tracemalloc.start()
    try:
        began = {"import_preview.html": tracemalloc.get_traced_memory()[0]}
        page = upload(asel, data)
        assert page.status_code == 200, page.text[-1500:]
        preview = page.text  # (the test's own copy of the page, read before the confirm's)
        began["import_done.html"] = tracemalloc.get_traced_memory()[0]
        done = confirm(asel, preview)
        assert done.status_code == 200 and "entries opened" in done.text, done.text[-1500:]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak > 2 * 2**20  # the file was read, checked and written: megabytes at its peak
    for name, start in began.items():  # (rendered among them once: 6.3 and 7.5 MiB of 9.4)
        allocated = rendered[name] - start
        assert allocated < peak / 4, \
            f"{name}: {allocated / 2**20:.1f} MiB allocated of {peak / 2**20:.1f} MiB"


def _peak(asel, rows: int, who: str) -> int:
    """The Python objects' peak of a file of `rows` rows previewed and confirmed (bytes)."""
    data = conflicts(rows, who)
    gc.collect()
    tracemalloc.start()
    try:
        imported(asel, data)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_what_a_row_adds_to_the_peak_is_its_cells_as_read(site: Web):
    """A file is held once, as read (its cells; a value read in several rows held once), with
    its check's fingerprint of each row: no row's cells, plan, case row or audit payload
    outlives its batch of 500 (the register import's `Checked`), so a row adds under 1.5 KiB
    to the peak of its preview and confirm (about 0.9 KiB; 3.9 KiB when the file was checked
    and planned whole and each copy of its rows kept until the next was made)."""
    asel = site.browser("asel")
    imported(asel, conflicts(600, "Warm-up"))
    small, large = _peak(asel, 1000, "Small"), _peak(asel, 4000, "Large")
    per_row = (large - small) / 3000
    assert 0 < per_row < 1500, f"{per_row:.0f} bytes a row ({small} → {large})"
