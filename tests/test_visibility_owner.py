"""Who sees or may act on which organisations, cases and lists is decided in one module,
workflow/services/visibility.py (docs/architecture.md, "Who sees a case and its person"):
no other module of workflow/, web/ or notifications/ compares an account's role to a role's
name ("officer", "manager", "admin") -- `x.role == "officer"`, `role in ("officer",
"admin")`, `col(User.role) == "admin"`, `User.role.in_(("manager", "admin"))` -- to scope a
list or to allow an act; it asks visibility. Nor does a template (`viewer.role != 'officer'`):
it asks the reader's `Viewer` (`viewer.sees_below`, `viewer.records`...), which asks
visibility. The comparisons that decide something else (whom a notice goes to, which
accounts a query returns, which page a person lands on) are listed below, each with what it
decides.

Nor does one hand an account's role on (`visibility.own_only(viewer.role)`,
`only_path(viewer.role, …)`, `opens_here(defn, viewer.role, …)`): a list, a count, a choice or
a refusal takes the reader (her account) and asks visibility, which alone reads her role. The
calls that hand a role on for something else are listed below, each with what it carries."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Container
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
CODE = [ROOT / "workflow", ROOT / "web", ROOT / "notifications"]
OWNER = "workflow/services/visibility.py"

# The roles' names (storage/models.py ROLES), and the names visibility gives them.
ROLE_NAMES = {"officer", "manager", "admin"}
ROLE_CONSTANTS = frozenset({"OFFICER", "MANAGER", "ADMIN", "SHARERS"})

# (file, function) -> what its comparison of a role decides, when not who sees or does what.
NOT_VISIBILITY: dict[tuple[str, str], str] = {
    ("notifications/policy.py", "officers_by_path"):
        "whom a stage's reminder goes to when nobody answers for it: its organisation's "
        "officers (notification policy; notifications imports nothing of workflow)",
    ("notifications/policy.py", "plan_digests"):
        "whom escalations go to: the managers above an overdue stage (notification policy)",
    ("workflow/notices/service.py", "_read"):
        "whether the bell reads escalations: a manager's, as the reminder policy sends them "
        "(notifications/policy.py `plan_digests`)",
    ("workflow/kept/figures.py", "_bell"):
        "whether a person's bell reads the escalations' scopes: a manager's (the policy's), "
        "in the kept figures' room, below the services",
    ("workflow/coverage/service.py", "plan_reminders"):
        "whom the reminder of subdivisions not covered is sent to: the officers of a subject "
        "(notification policy)",
    ("workflow/coverage/service.py", "plan_submission_reminders"):
        "whom the final reports' reminder is sent to: the officers of a subject (notification "
        "policy)",
    ("workflow/reminders/planner.py", "tell_admins_blocked"):
        "whom a blocked Telegram chat is reported to: the administrators over the account "
        "(notification policy)",
    ("workflow/storage/queries/accounts.py", "active_officers"):
        "a query of the accounts that are active officers of organisations (whom it returns, "
        "not what a reader sees; storage may not import the services)",
    ("workflow/storage/queries/accounts.py", "active_officer_rows"):
        "as `active_officers`, as rows",
    ("workflow/storage/queries/accounts.py", "officer_names_under"):
        "a query of the active officers of a subtree, for a name typed (whom it returns)",
    ("workflow/storage/queries/accounts.py", "administrators_over"):
        "a query of the active administrators over an organisation (whom it returns)",
    ("workflow/storage/queries/accounts.py", "_officered"):
        "a query of the organisations that have an active officer (whom it returns)",
    ("workflow/storage/queries/cases.py", "first_officer"):
        "a query of an organisation's first active officer (whom it returns)",
    ("workflow/storage/queries/cases.py", "active_officers"):
        "a query of an organisation's active officers (whom it returns)",
}


def _python(folders: list[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py")
                  if "migrations" not in p.parts)


def _is_role(node: ast.AST) -> bool:
    """`x.role`, a name `role` or `…_role`, or either wrapped in a call (`col(User.role)`)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "role"
    if isinstance(node, ast.Name):
        return node.id == "role" or node.id.endswith("_role")
    if isinstance(node, ast.Call) and len(node.args) == 1:
        return _is_role(node.args[0])
    return False


def _names_a_role(node: ast.AST, constants: frozenset[str] = frozenset()) -> bool:
    """A role's name ("officer"), visibility's constant of one (OFFICER, SHARERS) or the
    module's own (`constants`), or a collection holding one."""
    named = ROLE_CONSTANTS | constants
    if isinstance(node, ast.Constant):
        return node.value in ROLE_NAMES
    if isinstance(node, ast.Name):
        return node.id in named
    if isinstance(node, ast.Attribute):
        return node.attr in named
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_role(e, constants) for e in node.elts)
    return False


def _constants(tree: ast.Module) -> frozenset[str]:
    """The module's own names given a role's name or a collection of them (`X = ("manager",
    "admin")`)."""
    return frozenset(target.id for node in tree.body if isinstance(node, ast.Assign)
                     and _names_a_role(node.value)
                     for target in node.targets if isinstance(target, ast.Name))


def _found(path: Path, hit: Callable[[ast.AST, frozenset[str]], str | None]
           ) -> list[tuple[int, str, str]]:
    """(line, enclosing function, source) of each node of `path` that `hit` names a source
    for (`hit(node, the module's role constants)`: None for a node it does not look for)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = _constants(tree)
    found = []

    def walk(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        source = hit(node, constants)
        if source is not None:
            found.append((node.lineno, function, source))
        for child in ast.iter_child_nodes(node):
            walk(child, function)

    walk(tree, "<module>")
    return found


def _compared(node: ast.AST, constants: frozenset[str]) -> str | None:
    """The source of `node` where it compares a role to a role's name."""
    hit = False
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        hit = any(_is_role(n) for n in sides) and any(_names_a_role(n, constants)
                                                      for n in sides)
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
          and node.func.attr in ("in_", "not_in", "notin_") and _is_role(node.func.value)):
        hit = any(_names_a_role(a, constants) for a in node.args)
    return ast.unparse(node) if hit else None


def _role_comparisons(path: Path) -> list[tuple[int, str, str]]:
    """(line, enclosing function, source) of each comparison of a role to a role's name."""
    return _found(path, _compared)


def _outside_the_owner(paths: list[Path],
                       find: Callable[[Path], list[tuple[int, str, str]]] = _role_comparisons,
                       allowed: Container[tuple[str, str]] = NOT_VISIBILITY
                       ) -> list[str]:
    """`find`'s places in `paths` but visibility.py, less the (file, function) `allowed`."""
    found = []
    for path in paths:
        rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        if rel == OWNER:
            continue
        for line, function, source in find(path):
            if (rel, function) not in allowed:
                found.append(f"{rel}:{line} in {function}(): {source}")
    return found


def _still_needed(exception: tuple[str, str],
                  find: Callable[[Path], list[tuple[int, str, str]]]) -> None:
    """An exception (file, function) names a function of a file still there (skipped where it
    is a feature not installed) in which `find` still finds a place."""
    rel, function = exception
    parts = rel.split("/")
    if parts[0] == "workflow" and len(parts) > 2 and not (ROOT / parts[0] / parts[1]).exists():
        pytest.skip(f"the feature {parts[1]!r} is not installed")  # a removable feature
    assert (ROOT / rel).exists(), f"{rel} moved or removed: update its exception"
    assert any(f == function for _l, f, _s in find(ROOT / rel)), exception


def test_no_module_but_visibility_compares_a_role():
    """Who sees or may act on which organisations, cases and lists: visibility.py alone."""
    found = _outside_the_owner(_python(CODE))
    assert found == [], ("a role compared outside services/visibility.py (ask it, or list "
                         "what the comparison decides in NOT_VISIBILITY):\n" + "\n".join(found))


@pytest.mark.parametrize("exception", sorted(NOT_VISIBILITY))
def test_each_exception_is_still_needed(exception):
    _still_needed(exception, _role_comparisons)


# a template comparing the reader's role to anything (its label, `_('role.' ~ viewer.role)`, is
# not a comparison)
TEMPLATE_ROLE = re.compile(r"viewer(?:\.user)?\.role\s*(?:==|!=|\bin\b|\bnot\s+in\b)")


def _template_comparisons(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{rel}:{number}: {m.group(0)}" for m in TEMPLATE_ROLE.finditer(line)]
    return found


def test_no_template_compares_the_readers_role():
    templates = sorted(p for folder in CODE for p in folder.rglob("*.html"))
    assert templates
    found = _template_comparisons(templates)
    assert found == [], ("a template compares the reader's role (ask `viewer`, which asks "
                         "services/visibility.py):\n" + "\n".join(found))


def test_the_check_sees_a_template_compare_a_role(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("{{ _('role.' ~ viewer.role) }}\n"
                    "{% if viewer.role != 'officer' %}x{% endif %}\n"
                    "{% if viewer.role in ('officer', 'admin') %}y{% endif %}\n",
                    encoding="utf-8")
    assert _template_comparisons([page]) == ["page.html:2: viewer.role !=",
                                             "page.html:3: viewer.role in"]


def test_the_owner_compares_roles():
    """The check reads the owner's comparisons as it reads any module's."""
    assert _role_comparisons(ROOT / OWNER)


def test_the_check_sees_a_role_compared(tmp_path):
    stray = tmp_path / "page.py"
    stray.write_text(
        "WHO = ('officer', 'admin')\n"
        "def scope(viewer, role, User, col):\n"
        "    a = viewer.org.id if viewer.role == 'officer' else None\n"
        "    b = role in ('manager', 'admin')\n"
        "    c = col(User.role) != 'admin'\n"
        "    d = User.role.in_(('officer',))\n"
        "    e = viewer.user.role == OFFICER\n"
        "    f = viewer.role == 'telegram'\n"
        "    g = viewer.role not in WHO\n"
        "    return a, b, c, d, e, f, g\n", encoding="utf-8")
    assert _outside_the_owner([stray]) == [
        "page.py:3 in scope(): viewer.role == 'officer'",
        "page.py:4 in scope(): role in ('manager', 'admin')",
        "page.py:5 in scope(): col(User.role) != 'admin'",
        "page.py:6 in scope(): User.role.in_(('officer',))",
        "page.py:7 in scope(): viewer.user.role == OFFICER",
        "page.py:9 in scope(): viewer.role not in WHO"]


# (file, function) -> what the account's role it hands on carries, when not who sees or does
# what (a refusal naming her role, `RuleViolation(..., role=...)`, is a message's word).
ROLE_HANDED: dict[tuple[str, str], str] = {
    ("web/kit/views.py", "read_versions"):
        "the bell's kept scopes (`bell_scopes`): a manager's bell reads the escalations the "
        "notification policy sends him, decided below the services",
    ("workflow/notices/web.py", "counts"):
        "the bell's kept scopes (`bell_scopes`), as `read_versions` reads them",
    ("workflow/reminders/planner.py", "recipients"):
        "a reminder's recipient as the notification policy reads her (notifications/policy.py)",
    ("workflow/services/people.py", "people_of"):
        "the people list shows each person's role (its label)",
}


def _account_role(node: ast.AST) -> bool:
    """An account's role (`viewer.role`, `pc.viewer.user.role`, `who.role`), not a table's
    column (`User.role`, which visibility's SQL conditions take: `answerer_condition`)."""
    if not (isinstance(node, ast.Attribute) and node.attr == "role"):
        return False
    root = node.value
    while isinstance(root, ast.Attribute | ast.Subscript | ast.Call):
        root = root.func if isinstance(root, ast.Call) else root.value
    return not (isinstance(root, ast.Name) and root.id[:1].isupper())


def _handed(node: ast.AST) -> list[ast.AST]:
    """What `node` hands an account's role to something by: a call's arguments and keywords
    (but a message's `role`), a lookup's key (`SCOPES[viewer.role]`), a `match`'s subject."""
    if isinstance(node, ast.Call):
        return [*node.args, *(k.value for k in node.keywords if k.arg != "role")]
    if isinstance(node, ast.Subscript):
        return [node.slice]
    if isinstance(node, ast.Match):
        return [node.subject]
    return []


def _handing(node: ast.AST, _constants: frozenset[str]) -> str | None:
    """The source of `node` where it hands an account's role on (`_handed`)."""
    if not any(_account_role(a) for a in _handed(node)):
        return None
    return ast.unparse(node.subject) if isinstance(node, ast.Match) else ast.unparse(node)


def _roles_handed(path: Path) -> list[tuple[int, str, str]]:
    """(line, enclosing function, source) of each call, lookup or `match` handed an account's
    role (`_handed`)."""
    return _found(path, _handing)


def _handed_outside_the_owner(paths: list[Path]) -> list[str]:
    return _outside_the_owner(paths, _roles_handed, ROLE_HANDED)


def test_no_module_but_visibility_hands_a_role_on():
    """A list, a count, a choice or a refusal takes the reader and asks visibility: no module
    outside it scopes one by her role."""
    found = _handed_outside_the_owner(_python(CODE))
    assert found == [], ("an account's role handed on outside services/visibility.py (hand "
                         "on the account, which visibility asks; or list what the call "
                         "carries in ROLE_HANDED):\n" + "\n".join(found))


@pytest.mark.parametrize("exception", sorted(ROLE_HANDED))
def test_each_role_handed_is_still_needed(exception):
    _still_needed(exception, _roles_handed)


def test_the_check_sees_a_role_handed_on(tmp_path):
    stray = tmp_path / "page.py"
    stray.write_text(
        "def scope(s, viewer, pc, who, User, col, visibility, svc, RuleViolation):\n"
        "    a = visibility.only_path(viewer.role, viewer.org.path)\n"
        "    b = svc.overdue(s, code, only=visibility.own_only(pc.viewer.user.role))\n"
        "    c = opens_here(defn, who.role, kind)\n"
        "    d = visibility.answerer_condition(col(User.role))\n"
        "    e = visibility.own_only(viewer.user)\n"
        "    f = SCOPES[viewer.role]\n"
        "    match viewer.user.role:\n"
        "        case _:\n"
        "            pass\n"
        "    raise RuleViolation(key='rule.cannot_record', role=viewer.role)\n",
        encoding="utf-8")
    assert _handed_outside_the_owner([stray]) == [
        "page.py:2 in scope(): visibility.only_path(viewer.role, viewer.org.path)",
        "page.py:3 in scope(): visibility.own_only(pc.viewer.user.role)",
        "page.py:4 in scope(): opens_here(defn, who.role, kind)",
        "page.py:7 in scope(): SCOPES[viewer.role]",
        "page.py:8 in scope(): viewer.user.role"]
