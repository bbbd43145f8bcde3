"""The environment a test gives a merzim it starts: the process's, without merzim's settings.

Every MERZIM_* variable of the developer's shell is left out (a test names the ones it means),
except MERZIM_ARGON2_PROFILE: the suite hashes passwords at argon2's cheapest cost (set in
tests/conftest.py; `tests/services/test_password_cost.py` checks the default's parameters), and a merzim
started by a test hashes at the same cost as the test that checks its answers; and
MERZIM_LOOP_GUARD: a merzim started by a test refuses a database statement on its event loop
as the test's own application does (web/kit/loop_guard.py).
"""

from __future__ import annotations

import os

from workflow.settings import ARGON2_PROFILE_ENV

KEPT = (ARGON2_PROFILE_ENV, "MERZIM_LOOP_GUARD")


def clean_env() -> dict[str, str]:
    """os.environ without MERZIM_* except the suite's password hashing cost and loop guard."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_") or k in KEPT}
