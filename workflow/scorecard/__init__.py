"""The evaluation of project No. 1 (001): the points of each indicator for a subject or a subtree.

`rules` (pure: the score as a function of facts, ScoreSettings) · `service` (the facts read in a
few queries) · `words` (a scorecard in kk/ru/en, its table) · `cli` (`merzim score`) · `web`
(/score pages and exports) · `templates/`. Switched on by a definition's `[scorecard]` table;
configured by config.toml's `[scorecard]`.
"""
