"""A module as the previous head had it, read from git rather than kept as a copy.

`from_commit("1056b99", "calendars/kazakhstan.py")` runs that file's text at that commit as a
module of its own (named `previous_1056b99_calendars_kazakhstan`); its imports are this
checkout's, as they were for the copy it replaces. A benchmark times it in the same run as the
current code, for a ratio that does not depend on the machine's load. It needs the commit in
this clone's history (a shallow clone may not have it: then git's message says so).
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def from_commit(commit: str, path: str) -> types.ModuleType:
    name = f"previous_{commit}_{path.removesuffix('.py').replace('/', '_')}"
    if name in sys.modules:
        return sys.modules[name]
    shown = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True,
                           text=True)
    if shown.returncode != 0:
        raise SystemExit(f"the previous head's {path} ({commit}): {shown.stderr.strip()}")
    module = types.ModuleType(name)
    module.__file__ = f"{commit}:{path}"
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    exec(compile(shown.stdout, module.__file__, "exec"), module.__dict__)
    return module
