"""The features this run has installed (workflow/installed.py, installed by tests/__init__.py):
what a shared test lists or checks of one feature is taken only when that feature is installed,
so removing a feature's folder and its line there leaves the rest of the suite green
(docs/testing.md, "Removing a feature")."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import TypeVar

import pytest

from workflow.core.feature import feature

T = TypeVar("T")
V = TypeVar("V")

__all__ = ["installed", "module_of", "needs", "of", "of_map"]


def installed(name: str) -> bool:
    """Whether the feature of this name is installed."""
    return feature(name) is not None


def of(name: str, *entries: T) -> tuple[T, ...]:
    """These entries of a list when the feature `name` is installed, else none:
    `[..., *of("drafts", "/cases/{edu}/drafts/publication"), ...]`."""
    return entries if installed(name) else ()


def of_map(name: str, entries: Mapping[T, V]) -> dict[T, V]:
    """These entries of a mapping when the feature `name` is installed, else none."""
    return dict(entries) if installed(name) else {}


def needs(name: str) -> pytest.MarkDecorator:
    """A test (or, as `pytestmark`, a module) about the feature `name` that another feature's
    or the engine's tests hold: skipped, with the reason, when that feature is not installed."""
    return pytest.mark.skipif(not installed(name), reason=f"the feature {name!r} is not installed")


def module_of(name: str, module: str) -> ModuleType:
    """The feature's module `workflow.<name>.<module>`, imported by a test module that stands on
    the feature `name` as a whole (`planning_svc = module_of("planning", "service")`): when that
    feature is not installed, the whole test module is skipped, with the reason."""
    if not installed(name):
        pytest.skip(f"the feature {name!r} is not installed", allow_module_level=True)
    return importlib.import_module(f"workflow.{name}.{module}")
