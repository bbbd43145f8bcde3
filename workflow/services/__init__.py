"""The service layer: use cases, one transaction each (the caller commits).

Adapters (CLI, web) import this package; its modules are split by what they act on.
"""

from workflow.services.cases import *  # noqa: F403
from workflow.services.context import Context  # noqa: F401
from workflow.services.lookup import get_analysis, get_org, get_user  # noqa: F401
from workflow.services.organisations import (  # noqa: F401
    add_org,
    import_orgs,
    list_orgs,
    local_name,
    org_name,
)
from workflow.services.users import add_user, update_user  # noqa: F401
from workflow.storage.queries import subtree_range  # noqa: F401
