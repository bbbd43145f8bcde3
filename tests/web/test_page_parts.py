"""The parts the features' page modules add to the shared pages are declared (web/kit/parts.py):
every page module of an installed feature declares its `PARTS`, and the web application
composes them, an extension point one feature fills refused when two fill it."""

from __future__ import annotations

import pytest

from tests.support import features
from web.kit.parts import Parts, compose
from workflow.core.feature import installed


def test_every_feature_page_module_declares_its_parts():
    modules = [m for f in installed() if f.web is not None for m in f.web()]
    assert modules
    for module in modules:
        assert isinstance(module.PARTS, Parts), module.__name__
        assert module.PARTS.routers, module.__name__  # a page module serves pages


def test_composed_in_order_one_filler_of_a_single_point():
    first, second = object(), object()
    got = compose([Parts(menu=first, overview=first), Parts(menu=second, register_points=second)])
    assert got.menu == (first, second) and got.overview == (first,)
    assert got.register_points is second and got.report_forms is None and got.programme == ()
    with pytest.raises(ValueError, match="register_points"):
        compose([Parts(register_points=first), Parts(register_points=second)])


def test_the_application_keeps_the_composed_parts(web):
    parts = web.app.state.parts
    # the shipped features fill every extension point, each when it is installed: the menu
    # (the saved views', the engine's, and the bell of notices), the overview (coverage, the
    # scorecard), the package's sub-tasks (platform) and the schedule's download (documents), the
    # register points (the scorecard), the
    # report forms (forms)
    assert len(parts.menu) == 1 + features.installed("notices")
    assert len(parts.overview) == features.installed("coverage") + features.installed("scorecard")
    assert len(parts.programme) == features.installed("platform") + features.installed("documents")
    assert (parts.register_points is not None) == features.installed("scorecard")
    assert (parts.report_forms is not None) == features.installed("forms")
    # each installed feature's own state, by its name (the public pages' guard is kept there)
    assert set(web.app.state.features) == {f.name for f in installed()}
