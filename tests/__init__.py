
# The test suite is a composition root: the engine's features installed as merzim's entry
# installs them, also in the fresh interpreters some tests spawn (they import this package).
import os as _os

from workflow.installed import install as _install_features

_install_features()

# A database statement on a web process's event loop is refused in every test and in every
# merzim a test starts (web/kit/loop_guard.py); tests/conftest.py fails the test that made one.
_os.environ.setdefault("MERZIM_LOOP_GUARD", "raise")
