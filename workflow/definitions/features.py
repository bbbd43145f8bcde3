"""The features a definition file switches on with its tables, and where each one lives.

A feature (docs/architecture.md) is a package under `workflow/` holding one family of rules
beyond the generic engine: its pure rules, its service, its commands and its pages. A
definition switches it on with a table of the feature's name (`[monitoring]`, `[scorecard]`,
`[public]`, `[drafts]`, …). The generic engine names the features only here, as data: it
imports a feature's `listener` module when a case of a definition that switches it on is
recorded, voided or re-planned (`workflow.services.hooks`), and never the feature's insides.
"""

from __future__ import annotations

# table of a definition file → the package of the feature that reads it
FEATURES: dict[str, str] = {
    "planning": "workflow.planning",
    "monitoring": "workflow.monitoring",
    "scorecard": "workflow.scorecard",
    "drafts": "workflow.drafts",
    "public": "workflow.public",
    "form": "workflow.forms",
}


def tables_of(raw: dict) -> tuple[str, ...]:
    """The feature tables a parsed definition document carries, in FEATURES order."""
    return tuple(table for table in FEATURES if raw.get(table))
