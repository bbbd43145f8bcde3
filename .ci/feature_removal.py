"""Remove a feature in a copy of the repository and check that the rest stays whole.

For each feature named (default: every removable one, `removable()`), in a fresh copy of the
files git tracks or would track (the working tree as it is, in a temporary directory), this does
what docs/architecture.md "Removing a feature" tells a person to do, to the feature and to every
feature that builds on it (its declaration's `builds_on`, directly or not: removing `scorecard`
removes `coverage` and `forms` too):

1. deletes `workflow/<name>/` and `tests/<name>/`;
2. deletes its import and its line in `workflow/installed.py`, and its section of config.toml
   (its declaration's `settings_table`, up to the blank line that ends it);
3. deletes the command-line help entries of the commands and options that no longer exist from
   the `cli.po` catalogues (the `command:`/`option:` entries whose key the command tree no longer
   has, as tests/cli/test_cli_help.py finds them);
4. rewrites `.importlinter` with `.ci/contracts.py`;

and then checks the copy: `ruff check .`, `lint-imports`, `pytest --collect-only` of the whole
suite (every module still imports), and `pytest -m "not slow and not browser"` on the test
modules that name a removed feature (a word `<name>` anywhere in their text: its routes, its
commands, its tables, `needs("<name>")`) with tests/test_architecture.py and
tests/cli/test_cli_help.py, on SQLite. `--all-tests` runs the whole inner loop instead of those
modules (about 3 minutes a feature on 2 CPUs). The copy runs with this checkout's virtual environment;
its own directory comes first on `sys.path` (PYTHONPATH), so it imports its own code, and only
its own: the editable install's import hook, which would find a removed feature's modules in
this checkout, is taken out of every interpreter the checks start (a `sitecustomize` beside
the copy).

    .venv/bin/python .ci/feature_removal.py              # every removable feature
    .venv/bin/python .ci/feature_removal.py public drafts
    .venv/bin/python .ci/feature_removal.py --all-tests public
    .venv/bin/python .ci/feature_removal.py --all-tests --log /tmp/removal.log planning

(`--log FILE` appends every step's whole output to FILE: the failing tests' ids and tracebacks,
which the summary printed here shortens to its last 40 lines.)

Exit 0 when every check of every feature passed; the failing step is named otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from workflow.installed import SHIPPED  # noqa: E402

_LOG_LOCK = threading.Lock()  # the copies checked at once append to one --log

# The features not removable this way yet, and why (their removal fails tests that are not theirs);
# a feature that builds on one of them is removed with it, so is not removable either.
NOT_REMOVABLE: dict[str, str] = {}

PRUNE_HELP = r"""
import re, sys
from pathlib import Path
import typer
from workflow.installed import install
install()
from workflow.cli import app
from workflow.cli.help_i18n import param_name, texts
tree = list(texts(typer.main.get_command(app)))
keys = {"command:" + k for kind, k, _o in tree if kind == "command"}
keys |= {"option:" + k for kind, k, _o in tree if kind == "option"}
keys |= {"option:" + param_name(o) for kind, _k, o in tree if kind == "option"} | {"option:--help"}
for po in Path("workflow/i18n/locales").glob("*/LC_MESSAGES/cli.po"):
    blocks = po.read_text(encoding="utf-8").split("\n\n")
    kept = []
    for block in blocks:
        m = re.search(r'^msgid "((?:command|option):[^"]*)"$', block, re.M)
        if m and m.group(1) not in keys:
            continue
        kept.append(block)
    po.write_text("\n\n".join(kept), encoding="utf-8")
    print(f"{po}: {len(blocks) - len(kept)} stale entries removed")
"""


# Run in every interpreter the checks start: without the editable install's finder, a module of
# a removed feature is not found in this checkout (its `.pth` file installs the finder first).
SITECUSTOMIZE = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path
                    if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path_hooks[:] = [h for h in sys.path_hooks
                     if not getattr(h, "__module__", "").startswith("__editable__")]
sys.path_importer_cache.clear()
"""


def removed_with(name: str) -> list[str]:
    """The feature and every feature that builds on it, directly or not, the builders first
    (in `SHIPPED`'s order otherwise): what a person removes to remove it."""
    found = {name}
    while True:
        more = {f.name for f in SHIPPED if found & set(f.builds_on)} - found
        if not more:
            break
        found |= more
    return [f.name for f in SHIPPED if f.name in found and f.name != name] + [name]


def removable() -> list[str]:
    """The installed features whose removal, with what builds on them, this check keeps green:
    all but those of `NOT_REMOVABLE` and those that one of them builds on."""
    return [f.name for f in SHIPPED if not set(removed_with(f.name)) & NOT_REMOVABLE.keys()]


def copy_tree(dest: Path) -> None:
    """The files git tracks or would track, as they are in the working tree."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def remove(copy: Path, name: str) -> None:
    shutil.rmtree(copy / "workflow" / name)
    shutil.rmtree(copy / "tests" / name, ignore_errors=True)
    installed = copy / "workflow" / "installed.py"
    text = installed.read_text(encoding="utf-8")
    text, imports = re.subn(rf"^from workflow\.{name}\.feature import FEATURE as {name}\n", "",
                            text, flags=re.M)
    text, lines = re.subn(rf"^    {name},\n", "", text, flags=re.M)
    if (imports, lines) != (1, 1):
        raise SystemExit(f"workflow/installed.py: no import and line of {name!r} to delete")
    installed.write_text(text, encoding="utf-8")
    table = next(f.settings_table for f in SHIPPED if f.name == name)
    if table is not None:
        config = copy / "config.toml"
        text, sections = re.subn(rf"^\[{re.escape(table)}\]\n(?:.+\n)*\n", "",
                                 config.read_text(encoding="utf-8"), flags=re.M)
        if sections != 1:
            raise SystemExit(f"config.toml: no section [{table}] to delete")
        config.write_text(text, encoding="utf-8")


def mentioning(copy: Path, names: list[str]) -> list[str]:
    word = re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\b")
    found = {str(p.relative_to(copy)) for p in (copy / "tests").rglob("test_*.py")
             if word.search(p.read_text(encoding="utf-8"))}
    return sorted(found | {"tests/test_architecture.py", "tests/cli/test_cli_help.py"})


def check(copy: Path, site: Path, names: list[str], all_tests: bool,
          log: Path | None = None, say: Callable[[str], None] = print) -> list[str]:
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(copy), str(site))),
           "PYTHONDONTWRITEBYTECODE": "1"}
    for variable in ("MERZIM_TEST_BACKENDS", "MERZIM_TEST_POSTGRES_URL"):  # SQLite: the fastest
        env.pop(variable, None)
    python = str(VENV / "python")
    failed: list[str] = []

    def step(what: str, *args: str) -> None:
        started = time.monotonic()
        done = subprocess.run(args, cwd=copy, env=env, capture_output=True, text=True)
        took = time.monotonic() - started
        if log is not None:
            with _LOG_LOCK, log.open("a", encoding="utf-8") as out:
                out.write(f"== {', '.join(names)}: {what}\n{done.stdout}{done.stderr}\n")
        tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
        say(f"  {what}: {'ok' if done.returncode == 0 else 'FAILED'} ({took:.0f} s) {tail[0]}")
        if done.returncode != 0:
            failed.append(what)
            say("\n".join(f"    {line}" for line in (done.stdout + done.stderr)
                          .strip().splitlines()[-40:]))

    for name in names:
        remove(copy, name)
    step("the stale command-line help removed", python, "-c", PRUNE_HELP)
    step(".ci/contracts.py", python, ".ci/contracts.py")
    step("ruff", str(VENV / "ruff"), "check", ".")
    step("lint-imports", str(VENV / "lint-imports"))
    step("pytest --collect-only", python, "-m", "pytest", "-q", "--collect-only", "-p",
         "no:randomly")
    targets = ["tests"] if all_tests else mentioning(copy, names)
    step(f"pytest on {'the whole suite' if all_tests else f'{len(targets)} modules'}", python,
         "-m", "pytest", "-q", "-p", "no:randomly", "-n", "auto", "--dist", "loadfile",
         "-m", "not slow and not browser", *targets)
    return failed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features", nargs="*", help="default: every removable feature")
    parser.add_argument("--all-tests", action="store_true",
                        help="run the whole inner loop, not only the modules naming the feature")
    parser.add_argument("--log", type=Path, help="append every step's whole output to this file")
    parser.add_argument("--jobs", type=int, default=2,
                        help="copies checked at once (default 2; 1: one after the other)")
    args = parser.parse_args(argv)
    names = args.features or removable()
    unknown = sorted(set(names) - {f.name for f in SHIPPED})
    if unknown:
        parser.error(f"not an installed feature: {', '.join(unknown)}")
    failures: dict[str, list[str]] = {}

    def one(name: str) -> tuple[list[str], list[str]]:
        """(what the checks said, the steps that failed) without `name`, in a copy of its own."""
        said: list[str] = []
        names_removed = removed_with(name)
        with_it = f" (with {', '.join(names_removed[:-1])})" if len(names_removed) > 1 else ""
        said.append(f"feature-removal: {name}{with_it}")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"merzim-without-{name}-") as tmp:
            copy, site = Path(tmp) / "merzim", Path(tmp) / "site"
            copy.mkdir()
            site.mkdir()
            copy_tree(copy)
            failed = check(copy, site, names_removed, args.all_tests, args.log, said.append)
        said.append(f"  without {name}: {time.monotonic() - started:.0f} s")
        return said, failed

    # `--jobs` copies checked at once: a copy's collection is one process and its tests' last
    # module runs alone, leaving a CPU idle that the other copy's work fills (four features:
    # 3 min 28 s against 5 min 21 s one after the other; docs/testing.md, "Timings")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, (said, failed) in zip(names, pool.map(one, names), strict=True):
            print("\n".join(said), flush=True)
            if failed:
                failures[name] = failed
    for name, failed in failures.items():
        print(f"feature-removal: FAILED without {name}: {', '.join(failed)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
