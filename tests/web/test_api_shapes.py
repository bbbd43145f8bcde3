"""The API publishes its shapes: every /api/v1 operation answers with a response model made
from the views (web/kit/shapes.py), the OpenAPI document validates, the answers are the JSON
the views have always given (a shape adds, drops and reorders nothing; a hidden person stays
null), and a bounded schemathesis run over the real application finds no answer that breaks
its schema and no 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from pydantic import TypeAdapter
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from tests.support.features import needs
from tests.support.person_helpers import person_world_fixture  # noqa: F401 - the `pw` fixture
from tests.support.web_helpers import (  # noqa: F401
    TODAY,
    Web,
    route_paths,
)
from web.kit import views
from web.kit.access import Viewer
from web.kit.api import Page
from workflow import services as svc
from workflow.services import visibility
from workflow.services.views import as_dicts

# Answers that are not JSON: a file's content (application/octet-stream).
DOWNLOADS = {("get", "/api/v1/cases/{case_id}/files/{file_id}"),
             ("get", "/api/v1/cases/{case_id}/documents/{stage}"),
             ("get", "/api/v1/programmes/{programme_id}/schedule")}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in spec["paths"].items()
            if path.startswith("/api/v1/") for method, op in item.items()]


def _api_routes(app: Any) -> int:
    """The /api/v1 operations the application serves (those of the installed features too):
    what the document must describe, every one."""
    return sum(1 for route in route_paths(app.routes)
               if route.split(" ", 1)[1].startswith("/api/v1/"))


def _resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _named(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Named properties, or an array of items with named properties; a page's items too."""
    schema = _resolved(spec, schema)
    if schema.get("type") == "array":
        return _named(spec, schema.get("items", {}))
    props = schema.get("properties") or {}
    if not props:
        return False
    items = _resolved(spec, props.get("items", {}))
    return items.get("type") != "array" or _named(spec, items)


def test_every_operation_answers_with_named_properties_and_the_document_validates(world: Web):
    spec = world.client().get("/openapi.json").json()
    validate(spec)  # OpenAPI 3.1, as FastAPI writes it
    operations = _operations(spec)
    assert len(operations) == _api_routes(world.app) > 0
    unnamed = []
    for method, path, op in operations:
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert len(ok) == 1, (method, path, list(ok))
        content = next(iter(ok.values())).get("content", {})
        if (method, path) in DOWNLOADS:
            assert list(content) == ["application/octet-stream"], (method, path)
            continue
        schema = content.get("application/json", {}).get("schema", {})
        if not _named(spec, schema):
            unnamed.append((method, path))
    assert unnamed == []


def test_a_shape_names_exactly_the_keys_of_its_view(world: Web):
    """A case's shape: the view's fields less the pages' ones; a process without a person
    has no `person` key, one with a person has it (null where the reader may not see it)."""
    spec = world.client().get("/openapi.json").json()
    case = _resolved(spec, spec["components"]["schemas"]["Case"])
    assert case["additionalProperties"] is False
    assert "values" not in _resolved(spec, spec["components"]["schemas"]["CaseStage"])["properties"]
    assert {"field_values", "has_person", "has_planning"}.isdisjoint(case["properties"])
    assert {"person", "history", "links", "planned_start"}.isdisjoint(case["required"])
    overdue = _resolved(spec, spec["components"]["schemas"]["OverdueRow"])["properties"]
    assert list(overdue)[-1] == "working_days_overdue" and "working_days_left" not in overdue


def _viewer(s: Session, login: str) -> Viewer:
    user = svc.get_user(s, login)
    return Viewer(user, svc.org_by_id(s, user.organisation_id))


ANY = TypeAdapter(dict[str, Any])


# who sees the person of the cases about one (tests/support/person_helpers.py)
SEES = {"erlan": True, "asel": True, "zhanna": False, "nurlan": False}


@needs("planning")
@pytest.mark.parametrize("login", sorted(SEES))
def test_answers_are_the_views_json_byte_for_byte(pw: Web, login: str):
    """What a client gets is what the views give, written as the API always wrote a mapping:
    the same keys in the same order, a person hidden from the reader null, a key a view
    leaves out (`person` of a process without one) absent."""
    api = pw.api(login)
    app = pw.app.state
    persons: list[Any] = []
    with Session(pw.engine) as s:
        viewer = _viewer(s, login)
        ctx = svc.Context(app.calendar, app.registry, TODAY, actor="test", language="en")
        listed = api.get("/api/v1/cases?limit=500&lang=en").json()["items"]
        for row in listed:
            found = svc.get_case(s, row["id"])
            got = api.get(f"/api/v1/cases/{row['id']}?lang=en")
            view = views.case_for(s, ctx, viewer, found).as_dict()
            if "history" in view:  # read after the answer: its history has the answer's view
                answered = len(got.json()["history"])
                assert [h["kind"] for h in view["history"][answered:]] in ([], ["viewed"])
                view["history"] = view["history"][:answered]
            links = [lk.as_dict() for lk in svc.linked_cases(
                s, ctx, found, lambda other, d: visibility.may_see_person(viewer.user, other,
                                                                          d))]
            expected = {**view, **({"links": links} if links else {})}
            assert got.content == ANY.dump_json(expected), row["id"]
            if "person" in got.json():
                persons.append(got.json()["person"])
        for url, rows in (("/api/v1/overdue?limit=500&lang=en", views.overdue_page(
                               s, ctx, viewer, None, None, None, 500, 0, None)),
                          ("/api/v1/due?within=250&limit=500&lang=en", views.due_page(
                               s, ctx, viewer, 250, None, 500, 0, None))):
            page = Page(items=as_dicts(rows[1]), total=rows[0], limit=500, offset=0)
            assert api.get(url).content == TypeAdapter(Page).dump_json(page), url
    # cases with a person and cases without one were both answered
    assert persons and len(persons) < len(listed)
    if SEES[login]:  # (but the whistleblower's, shown to its responsible officer only)
        assert [p for p in persons if p is not None] and None in persons
    else:
        assert persons == [None] * len(persons)


# -- schemathesis ---------------------------------------------------------------------------

EXAMPLES = 3  # a few generated requests per operation (and as many with real ids)


def _real_ids(web: Web) -> dict[str, Any]:
    """Path parameters that name things of the demo, so that some requests find them."""
    case = web.analyses["edu"]
    return {"case_id": case, "analysis_id": case, "programme_id": web.programmes["AK-ALM-EDU"],
            "key": "internal_risk_analysis", "stage": "start_announcement", "file_id": 1}


def _fuzz(operation, headers: dict[str, str], real: dict[str, Any], failures: list[str]):
    """A few generated requests to one operation, each sent again with real ids, every
    answer checked: no 5xx, a status the operation documents, and the body its documented
    schema (that status's) describes."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        for given_ids in (False, True):
            if given_ids:
                case.path_parameters = {k: real.get(k, v)
                                        for k, v in (case.path_parameters or {}).items()}
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error,
                                                         status_code_conformance,
                                                         response_schema_conformance])
            except (Failure, FailureGroup) as exc:  # every failed check, reported together
                failures.append(f"{operation.label} {response.status_code}: {exc}"[:2000])

    run()


@pytest.mark.slow
def test_schemathesis_finds_no_answer_that_breaks_its_schema_and_no_server_error(web: Web):
    schema = schemathesis.openapi.from_asgi("/openapi.json", web.app)
    headers = {"Authorization": f"Bearer {web.token('erlan')}"}
    real = _real_ids(web)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len([o for o in operations if o.path.startswith("/api/v1/")]) == _api_routes(web.app)
    for operation in operations:
        _fuzz(operation, headers, real, failures)
    assert failures == []


# What an operation may answer before its own code runs, each sent to every /api/v1 operation:
# (label, the status it makes where the route reads that kind of body, what makes it), to the
# operations that read a body only
_BODY_PROBES = [
    ("JSON in bytes that are not UTF-8", 400, {"content": b"\xff\xfe{",
                                               "headers": {"content-type": "application/json"}}),
    ("a multipart form without its boundary", 400,
     {"content": b"hello", "headers": {"content-type": "multipart/form-data"}}),
    ("a body over the route's limit", 413,
     {"content": b"{" + b" " * (48 * 1024 * 1024) + b"}",
      "headers": {"content-type": "application/json"}}),
]


def test_every_operation_documents_what_it_answers_before_its_own_code(web: Web):
    """No token (401), a body the server cannot read (400), a body too large (413): whatever
    an operation answers is among its documented responses, and every one documents the 503
    of a database away."""
    spec = web.client().get("/openapi.json").json()
    api, anonymous = web.api("erlan"), web.client()
    real = _real_ids(web)
    undocumented = []
    for method, path, op in _operations(spec):
        documented = set(op["responses"])
        url = path.format(**{k: real.get(k, 1) for k in ("case_id", "analysis_id",
                                                        "programme_id", "key", "stage",
                                                        "file_id", "comment_id", "view_id",
                                                        "risk_id")})
        if "503" not in documented:
            undocumented.append(f"{method} {path}: 503 not documented")
        answers = [("no token", anonymous.request(method.upper(), url).status_code)]
        if op.get("requestBody"):
            answers += [(label, api.request(method.upper(), url, **kw).status_code)
                        for label, _status, kw in _BODY_PROBES]
        undocumented += [f"{method} {path}: {label} -> {status}" for label, status in answers
                         if str(status) not in documented]
        if op.get("requestBody"):  # the body too large is refused before it is read
            assert answers[-1][1] == 413, (path, answers)
    assert undocumented == []


# The reasons a handler requires, by operation and field: the schema says they are not blank.
REASONS = {("post", "/api/v1/cases/{case_id}/not-done"): ("NotDoneIn", "note"),
           ("post", "/api/v1/cases/{case_id}/void"): ("VoidIn", "note"),
           ("post", "/api/v1/cases/{case_id}/withdraw"): ("WithdrawIn", "reason"),
           ("post", "/api/v1/cases/{case_id}/restore"): ("RestoreIn", "reason"),
           ("patch", "/api/v1/cases/{case_id}"): ("CaseEditIn", "reason")}


def test_a_required_reason_is_documented_as_not_blank_and_refused_blank(web: Web):
    """What the document admits the handler accepts: a blank reason, which every handler
    refuses (422 error.reason_required, nothing stored), is outside its schema."""
    import re

    spec = web.client().get("/openapi.json").json()
    api = web.api("erlan")
    case = web.analyses["edu"]
    for (method, path), (model, field) in REASONS.items():
        prop = spec["components"]["schemas"][model]["properties"][field]
        assert prop["pattern"] == r"\S", (model, field, prop)
        for blank in ("", "   "):
            assert not re.search(prop["pattern"], blank)
            before = web.dump()
            body = {"stage": "order", "record": "order", field: blank}
            r = api.request(method.upper(), path.format(case_id=case), json=body)
            assert (r.status_code, r.json()["error"]) == (422, "error.reason_required"), (
                path, blank, r.text)
            assert web.dump() == before, path
        assert re.search(prop["pattern"], "wrong date")
