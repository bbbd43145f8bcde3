"""The import contracts' lists of features, written from the features' declarations.

`.importlinter` names every feature in five places: in the layers (a feature between the
composition and the generic adapters; one built on another above it), as a container of the
layers inside a feature, by its pure modules (rules, evaluation) that may not touch the
database, among the packages whose modules may not import each other in a cycle, and by its
adapters (cli, web, web_admin) that read and write through services only. They are written
here from workflow/installed.py's `SHIPPED`, so a new feature is one
folder and one line there.

    .venv/bin/python .ci/contracts.py          # rewrite .importlinter's lists
    .venv/bin/python .ci/contracts.py --check  # exit 1 when they differ from the declarations
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workflow.installed import SHIPPED  # noqa: E402

CONTRACTS = ROOT / ".importlinter"
PURE = ("rules", "evaluation", "table")  # a feature's modules held to the core's purity
READ_SIDE = ("workflow.registers.entries", "workflow.registers.scope")
ADAPTERS = ("cli", "web", "web_admin")  # a feature's adapters: no tables of their own


def _layers_of_features() -> list[str]:
    """One line per layer: features built on others above those they build on."""
    names = [f.name for f in SHIPPED]
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            feature = next(f for f in SHIPPED if f.name == name)
            depth[name] = 1 + max((level(b) for b in feature.builds_on), default=-1)
        return depth[name]

    top = max((level(n) for n in names), default=0)
    return [" | ".join(f"workflow.{n}" for n in names if level(n) == lvl)
            for lvl in range(top, -1, -1)]


def written(text: str) -> str:
    """`.importlinter` with its lists of features written from the declarations."""
    layers = "".join(f"    {line}\n" for line in _layers_of_features())
    text = re.sub(r"(    workflow\.installed\n)(?:    workflow\.[a-z_]+(?: \| workflow\.[a-z_]+)*\n)+"
                  r"(?=    web\.account_page)", lambda m: m.group(1) + layers, text, count=1)
    containers = "".join(f"    workflow.{f.name}\n" for f in SHIPPED)
    text = re.sub(r"(\[importlinter:contract:feature-layers\]\n(?:.*\n)*?containers =\n)"
                  r"(?:    workflow\.[a-z_.]+\n)+", lambda m: m.group(1) + containers, text,
                  count=1)
    pure = [*READ_SIDE, *(f"workflow.{f.name}.{m}" for f in SHIPPED for m in PURE
                         if (ROOT / "workflow" / f.name / f"{m}.py").is_file())]
    sources = "".join(f"    {m}\n" for m in pure)
    text = re.sub(r"(\[importlinter:contract:feature-rules-pure\]\n(?:.*\n)*?source_modules =\n)"
                  r"(?:    workflow\.[a-z_.]+\n)+", lambda m: m.group(1) + sources, text,
                  count=1)
    features = "".join(f"    workflow.{f.name}\n" for f in SHIPPED)
    text = re.sub(r"(\[importlinter:contract:no-cycles\]\n(?:.*\n)*?ancestors =\n    workflow\n)"
                  r"(?:    workflow\.[a-z_]+\n)*?(?=    workflow\.services\n)",
                  lambda m: m.group(1) + features, text, count=1)
    adapters = "".join(f"    workflow.{f.name}.{m}\n" for f in SHIPPED for m in ADAPTERS
                       if (ROOT / "workflow" / f.name / f"{m}.py").is_file())
    text = re.sub(r"(\[importlinter:contract:adapters-no-tables\]\n(?:.*\n)*?source_modules =\n"
                  r"    web\n    workflow\.cli\n)(?:    workflow\.[a-z_.]+\n)*",
                  lambda m: m.group(1) + adapters, text, count=1)
    names = ", ".join(f.name for f in SHIPPED)
    text = re.sub(r"(; A feature \(workflow/<feature>/: )[a-z_, ]+(\) sits above)",
                  lambda m: m.group(1) + names + m.group(2), text, count=1)
    return text


def main(argv: list[str]) -> int:
    now = CONTRACTS.read_text(encoding="utf-8")
    want = written(now)
    if "--check" in argv:
        if now != want:
            print(".importlinter's lists of features differ from workflow/installed.py: "
                  "run .venv/bin/python .ci/contracts.py")
            return 1
        return 0
    if now != want:
        CONTRACTS.write_text(want, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
