"""The catalogue of the indicators of projects No. 2-4 (`indicators.toml`, beside this file):
read and checked once (evaluation.parse_catalogue), then handed to the evaluation."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from workflow.scorecard.evaluation import Catalogue, parse_catalogue

PATH = Path(__file__).with_name("indicators.toml")


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue (a broken file is refused with where it is broken)."""
    with PATH.open("rb") as f:
        return parse_catalogue(tomllib.load(f), PATH.name)
