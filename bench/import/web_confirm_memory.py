"""The web process's resident memory around a register import's confirm.

Run from the repository root (PostgreSQL: MERZIM_TEST_POSTGRES_URL, as the tests):

    .venv/bin/python bench/import/web_confirm_memory.py --backend sqlite|postgres \
        [--rows 10000] [--json PATH]

`MERZIM_BENCH_CODE=DIR` times the checkout in DIR instead (the previous head) with this
script. In a fresh copy of the web tests' demo database, the web application in this process:
Asel previews and confirms a `restriction_breach` file of 600 rows (the start-up's imports and
caches warmed), then one of `--rows` rows (`POST /registers/restriction_breach/import`, then
`…/confirm`). The process's resident memory (VmRSS) is read before the preview, after it,
after the confirm, and after a garbage collection; its peak (VmHWM) at the end; and the
confirm's process CPU. Then glibc is asked to give its free pages back (`malloc_trim(0)`) and
the resident memory read again ("after a trim"). The C library's arenas are limited as `merzim
serve` limits a web process's (`[web] malloc_arenas`, before any thread starts), unless the
checkout has no such setting or MALLOC_ARENA_MAX is set in the environment.

`--imports N` imports N such files one after the other (other people in each) and reads the
resident memory after each, trimmed, against the same start. The small-object allocator's
arenas (1 MiB each, `sys._debugmallocstats`) are counted at the start and after each import.

`--trace` runs the same with `tracemalloc` tracing from after the warm-up: the Python objects
the confirm left allocated (KiB), whatever the allocator keeps around them. Run with
`PYTHONMALLOC=malloc` to see the process without Python's small-object allocator (its 1 MiB
arenas are given back only when every object in them is freed).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import json
import os
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(os.environ.get("MERZIM_BENCH_CODE") or Path(__file__).resolve().parents[2])
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MERZIM_TODAY", "2026-05-15")

# the C library's arenas limited as `merzim serve` limits its web processes ([web]
# malloc_arenas), before any thread starts; a checkout without the setting runs as it is
try:
    from workflow.cli.serve import limit_malloc_arenas  # noqa: E402
    from workflow.settings import WebSettings  # noqa: E402
except ImportError:
    ARENAS = None
else:
    ARENAS = getattr(WebSettings(), "malloc_arenas", None)
    if ARENAS is not None:
        limit_malloc_arenas(ARENAS)

from workflow.installed import install  # noqa: E402

install()

from tests.support.import_helpers import TODAY, confirm, csv_of, upload  # noqa: E402
from tests.support.web_helpers import CALENDAR, _settings, build, demo_database  # noqa: E402
from web.app import create_app  # noqa: E402
from workflow.definitions import load_registry  # noqa: E402

CIRCUMSTANCES = "A relative's company audited"  # what a conflict of interest requires


def _status(field: str) -> float:
    """A field of /proc/self/status in MiB (VmRSS: resident now; VmHWM: the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _file(rows: int, who: str) -> bytes:
    day = TODAY.replace(day=3).isoformat()
    return csv_of("subject,person,kind,detected,circumstances",
                  *(f",{who} {i},conflict_of_interest,{day},{CIRCUMSTANCES}"
                    for i in range(rows)))


def _imported(asel, rows: int, who: str) -> tuple[float, float]:
    """A file previewed and confirmed: (the resident memory after the preview, the confirm's
    CPU seconds)."""
    page = upload(asel, _file(rows, who))
    assert page.status_code == 200, page.text[-1500:]
    previewed = _status("VmRSS")
    began = time.process_time()
    r = confirm(asel, page.text)
    assert r.status_code == 200 and "entries opened" in r.text, r.text[-1500:]
    return previewed, time.process_time() - began


def _arenas() -> int | None:
    """The small-object allocator's arenas now (1 MiB each), as `sys._debugmallocstats`
    prints them on the standard error; None when it prints none (tracemalloc on, another
    allocator)."""
    with tempfile.TemporaryFile("w+") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        found = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", out.read())
    return int(found.group(1).replace(",", "")) if found else None


def _trimmed() -> float | None:
    """glibc's free pages given back (`malloc_trim(0)`), then VmRSS; None without glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return None
    return _status("VmRSS")


def run(kind: str, rows: int, trace: bool = False, imports: int = 1) -> dict:
    with tempfile.TemporaryDirectory() as tmp, demo_database(kind, Path(tmp)) as (eng, ids):
        web = build(eng, Path(tmp), ids=ids)
        url = eng.url.render_as_string(hide_password=False)
        web.app = create_app(_settings(Path(tmp), url), eng, CALENDAR, load_registry())
        asel = web.browser("asel")
        _imported(asel, 600, "Warm-up")
        gc.collect()
        _trimmed()
        if trace:
            tracemalloc.start()
        start = _status("VmRSS")
        arenas = [_arenas()]
        previewed, cpu = _imported(asel, rows, "Person")
        confirmed = _status("VmRSS")
        gc.collect()
        collected = _status("VmRSS")
        trimmed = _trimmed()
        arenas.append(_arenas())
        code = "previous (MERZIM_BENCH_CODE)" if os.environ.get("MERZIM_BENCH_CODE") \
            else "<checkout>"  # (never this machine's path)
        out = {"backend": kind, "rows": rows, "code": code,
               "allocator": os.environ.get("PYTHONMALLOC", "pymalloc"), "trace": trace,
               "malloc_arenas": os.environ.get("MALLOC_ARENA_MAX", "glibc's default"),
               "start_mib": round(start, 1),
               "previewed_mib": round(previewed, 1), "confirmed_mib": round(confirmed, 1),
               "after_gc_mib": round(collected, 1), "kept_mib": round(collected - start, 1),
               "after_trim_mib": round(trimmed, 1) if trimmed is not None else None,
               "kept_after_trim_mib": round(trimmed - start, 1) if trimmed is not None else None,
               "peak_mib": round(_status("VmHWM"), 1), "confirm_cpu_s": round(cpu, 2)}
        if trace:
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out.update(objects_kept_kib=round(current / 1024, 1),
                       objects_peak_mib=round(peak / 2**20, 1))
        if imports > 1:  # the same again, with other people: what each import adds to it
            kept = [out["kept_after_trim_mib"]]
            for n in range(1, imports):
                _imported(asel, rows, f"Person{n}")
                gc.collect()
                after = _trimmed()
                kept.append(round(after - start, 1) if after is not None else None)
                arenas.append(_arenas())
            out["kept_after_each_import_mib"] = kept
        out["arenas_at_start_then_after_each_import"] = arenas
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--trace", action="store_true",
                        help="trace the Python objects the confirm leaves (tracemalloc)")
    parser.add_argument("--imports", type=int, default=1,
                        help="files of --rows rows imported one after the other (the resident "
                             "memory after each, from the same start)")
    a = parser.parse_args()
    out = run(a.backend, a.rows, a.trace, a.imports)
    print(json.dumps(out))
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
