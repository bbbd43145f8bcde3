"""Files printed to PDF by LibreOffice, as the print tests read them (the report forms'
workbooks, the documents' DOCX): one run for the files given, with a profile of its own (parallel
runs do not share one), in a clean environment. Skipped where LibreOffice is missing; failed
there in CI, which installs it (MERZIM_REQUIRE_LIBREOFFICE=1, .ci/run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.envs import clean_env


def libreoffice(package: str, what: str) -> str:
    """LibreOffice's program; the test skipped for want of it (`package`: Debian's package that
    brings it, `what`: what is then not printed), failed when CI requires it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("MERZIM_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"libreoffice is not installed (.ci/run installs {package})")
        pytest.skip(f"libreoffice is not installed (Debian's {package}): {what} not printed "
                    "to PDF")
    return found


def print_pdf(files: list[Path], out: Path, program: str, timeout: int = 300) -> dict[str, Path]:
    """`files` printed to PDF into `out` (made if missing) in one run of `program`: each PDF by
    its file's stem; the run's output in the failure when one is missing."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**clean_env(), "HOME": str(out)}
    result = subprocess.run(
        [program, "--headless", "--norestore", f"-env:UserInstallation={(out / 'lo').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=out)
    pdfs = {f.stem: out / f"{f.stem}.pdf" for f in files}
    assert result.returncode == 0 and all(p.is_file() for p in pdfs.values()), \
        (result.stdout, result.stderr)
    return pdfs
