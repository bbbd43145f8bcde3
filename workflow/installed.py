"""The features merzim ships, installed by the composition roots (the command line's entry,
the web application, the test suite) before anything reads a definition or the settings.

A new feature is one folder (workflow/<feature>/ with its `feature.py`), its import and its
line here; `.ci/contracts.py` writes the import contracts' lists of features from this list.
"""

from __future__ import annotations

from workflow.core import feature as registry
from workflow.core.feature import Feature
from workflow.coverage.feature import FEATURE as coverage
from workflow.declarations.feature import FEATURE as declarations
from workflow.documents.feature import FEATURE as documents
from workflow.drafts.feature import FEATURE as drafts
from workflow.forms.feature import FEATURE as forms
from workflow.monitoring.feature import FEATURE as monitoring
from workflow.notices.feature import FEATURE as notices
from workflow.planning.feature import FEATURE as planning
from workflow.platform.feature import FEATURE as platform
from workflow.public.feature import FEATURE as public
from workflow.scorecard.feature import FEATURE as scorecard

# in the order the engine asks them (a definition's tables, the listeners of a case)
SHIPPED: tuple[Feature, ...] = (
    planning,
    monitoring,
    scorecard,
    drafts,
    public,
    forms,
    coverage,
    notices,
    platform,
    documents,
    declarations,
)


def install() -> None:
    """Install the shipped features into the engine's registry (idempotent)."""
    registry.install(SHIPPED)
