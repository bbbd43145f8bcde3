
# The test suite is a composition root: the engine's features installed as merzim's entry
# installs them, also in the fresh interpreters some tests spawn (they import this package).
from workflow.installed import install as _install_features

_install_features()
