"""The README describes the product as it is: every installed feature in its table of features
and in its first list, every shipped register by its key, the counts it says of both, and every
command and sub-command of `merzim --help` in its block of command families."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from workflow.cli import app
from workflow.installed import SHIPPED

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_every_installed_feature_is_in_the_table_of_features():
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", _section("Features"), re.M))
    assert {f.name for f in SHIPPED} - rows == set()


def test_every_shipped_register_is_named():
    named = set(re.findall(r"`([a-z0-9_]+)`", _section("Registers")))
    shipped = {p.stem for p in (ROOT / "workflow/definitions/registers").glob("*.toml")}
    assert shipped - named == set()


def test_every_command_and_sub_command_is_in_a_family():
    block = _section("Commands").split("```")[1]
    words = set(re.findall(r"[a-z][a-z-]*", block))
    top = typer.main.get_command(app)
    missing = []
    for name, command in top.commands.items():
        missing += [name] if name not in words else []
        missing += [f"{name} {sub}" for sub in getattr(command, "commands", {})
                    if sub not in words]
    assert missing == []


WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen", "twenty"]


def _said_count(section: str) -> int:
    """The number the section's "The N shipped" says, in figures or in words."""
    said = re.search(r"The ([a-z]+|\d+) shipped", _section(section)).group(1)  # type: ignore[union-attr]
    return int(said) if said.isdigit() else WORDS.index(said)


def test_the_counts_the_readme_says_are_the_shipped_ones():
    registers = list((ROOT / "workflow/definitions/registers").glob("*.toml"))
    assert (_said_count("Features"), _said_count("Registers")) == (len(SHIPPED), len(registers))


def test_every_feature_folder_is_named_in_what_is_here():
    named = set(re.findall(r"`([a-z_]+)/`", _section("What is here")))
    assert {f.name for f in SHIPPED} - named == set()
