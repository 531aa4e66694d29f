"""Every route the emulator serves, checked against Octopus's own Swagger document (2021.2).

A scenario drives the emulator through what CI does (push, build information, releases,
deployments, tenants, runbooks, guided failure, manual intervention), every GET route is then
called with real ids, and each 2xx answer is validated against the schema the Swagger document
gives for that operation: property names (no name Octopus does not have, every name it has) and
types (``null`` is allowed for any value: Octopus answers ``null`` for unset properties).
Deliberate differences are listed, each with its reason, in ONE place:
:mod:`octoci_emulator.swagger_gaps`.

The document is in the repository, gzipped (``tests/emulator/data``, with its provenance in
``octopus-swagger-2021.2.SOURCE.md``): a clean clone checks it with nothing beside it.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from octoci.octodiff import build_delta, parse_signature
from octoci_emulator import Emulator, mint_id_token, swagger_gaps
from octoci_emulator.app import build_router
from octoci_emulator.model_process import package_step
from octoci_emulator.routes import Route, locate

from .conftest import Client
from .test_build_information import _payload


def build_information(package_id: str, version: str) -> dict[str, Any]:
    """A build information body (the build information tests' own)."""
    return {**_payload(), "PackageId": package_id, "Version": version}


DOCUMENT = Path(__file__).resolve().parent / "data" / "octopus-swagger-2021.2.json.gz"


@pytest.fixture(scope="module")
def swagger() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(gzip.decompress(DOCUMENT.read_bytes()))
    return document


SEED: dict[str, Any] = {
    "tasks": {
        "queued_seconds": 0.0,
        "executing_seconds": 0.02,
        "outcomes": [{"environment": "Production", "state": "Failed", "error": "broke"}],
    },
    "environments": ["Dev", "Test", "Production"],
    "guided_failure": ["Production"],
    "lifecycles": [
        {"name": "Flat", "phases": [{"name": "All", "optional": ["Dev", "Test", "Production"]}]}
    ],
    "projects": [
        {
            "name": "Web",
            "lifecycle": "Flat",
            "packages": ["Acme.Web"],
            "runbooks": ["Restart"],
            "channels": [{"name": "Hotfix"}],
            "manual_interventions": [
                {"name": "Approve", "instructions": "Look", "environments": ["Test"]}
            ],
        },
        {"name": "Shop", "packages": ["Acme.Web"], "tenanted": "Tenanted"},
        # Version-controlled: its releases record a Git ref, its runbooks run on the Git route.
        {
            "name": "Config",
            "packages": ["Acme.Web"],
            "version_controlled": True,
            "runbooks": ["Tidy"],
        },
    ],
    "tenants": [{"name": "Acme", "tags": ["Tier/Gold"], "projects": {"Shop": ["Dev"]}}],
}


@dataclass(frozen=True)
class Exchange:
    """One request the check made and what came back."""

    method: str
    path: str  # without the query string
    status: int
    content_type: str
    body: Any


class Recorder(Client):
    """A client that records every exchange, so each route's answers can be validated."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        self.exchanges: list[Exchange] = []

    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, url, timeout=30, **kwargs)
        content_type = response.headers.get("Content-Type", "")
        body: Any = None
        if "json" in content_type and response.content:
            body = response.json()
        path = url.removeprefix(self.emulator.url).split("?", 1)[0]
        self.exchanges.append(Exchange(method, path, response.status_code, content_type, body))
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", self.space + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", self.space + path, **kwargs)


def _ok(response: requests.Response) -> Any:
    assert response.status_code < 300, f"{response.request.method} {response.url}: {response.text}"
    json_answer = "json" in response.headers.get("Content-Type", "") and response.content
    return response.json() if json_answer else None


def _until(octo: Recorder, task_id: str, key: str) -> None:
    """Poll the task (without recording) until ``key`` is true; 10 s at most."""
    deadline = time.monotonic() + 10
    while not octo.session.get(f"{octo.space}/tasks/{task_id}", timeout=30).json()[key]:
        assert time.monotonic() < deadline, f"{task_id}: {key} never became true"
        time.sleep(0.02)


OIDC = {
    "issuer": "https://token.ci.example",
    "secret": "test-secret",
    "service_account_id": "5b5f3c4e-0000-4000-8000-000000000001",
}
SEED["oidc"] = [OIDC]


def _scenario(octo: Recorder, tmp_path: Path) -> dict[str, str]:
    """What CI does, through every writing route; the ids the GET sweep fills paths with."""
    root = octo.emulator.url
    old = bytes(range(256)) * 64
    new = old[:8000] + b"changed" + old[8000:]
    _ok(octo.push("Acme.Web.1.0.0.zip", data=old))
    _ok(octo.push("Acme.Web.1.0.0.zip", data=old, mode="OverwriteExisting"))
    _ok(octo.push("Acme.Web.1.0.0.zip", mode="IgnoreIfExists"))
    _ok(octo.push("Doomed.1.0.0.zip"))
    signature = _ok(octo.get("/packages/Acme.Web/2.0.0/delta-signature"))
    (tmp_path / "new.zip").write_bytes(new)
    delta = io.BytesIO()
    build_delta(
        tmp_path / "new.zip", parse_signature(base64.b64decode(signature["Signature"])), delta
    )
    _ok(
        octo.post(
            "/packages/Acme.Web/1.0.0/delta",
            files={"file": ("Acme.Web.2.0.0.zip", delta.getvalue())},
        )
    )
    _ok(octo.call("DELETE", f"{octo.space}/packages/packages-Doomed.1.0.0"))
    info = _ok(octo.post("/build-information", json=build_information("Acme.Web", "2.0.0")))
    doomed = _ok(octo.post("/build-information", json=build_information("Doomed", "1.0.0")))
    _ok(octo.call("DELETE", f"{octo.space}/build-information/{doomed['Id']}"))
    release = _ok(
        octo.post("/releases/create/v1", json={"ProjectName": "Web", "ReleaseVersion": "2.0.0"})
    )
    project = _ok(octo.get("/projects/Web"))
    legacy = _ok(
        octo.post(
            "/releases",
            json={
                "ProjectId": project["Id"],
                "Version": "2.0.1",
                "SelectedPackages": [{"ActionName": "Acme.Web", "Version": "2.0.0"}],
            },
        )
    )
    dev = _ok(
        octo.post(
            "/deployments/create/untenanted/v1",
            json={"ProjectName": "Web", "ReleaseVersion": "2.0.0", "EnvironmentNames": ["Dev"]},
        )
    )
    dev_task = dev["DeploymentServerTasks"][0]["ServerTaskId"]
    octo.emulator.wait_for_task(dev_task)
    environments = {e["Name"]: e["Id"] for e in _ok(octo.get("/environments/all"))}
    manual = _ok(
        octo.post(
            "/deployments", json={"ReleaseId": legacy["Id"], "EnvironmentId": environments["Test"]}
        )
    )
    _until(octo, manual["TaskId"], "HasPendingInterruptions")
    guided = _ok(
        octo.post(
            "/deployments/create/untenanted/v1",
            json={
                "ProjectName": "Web",
                "ReleaseVersion": "2.0.0",
                "EnvironmentNames": ["Production"],
            },
        )
    )
    guided_task = guided["DeploymentServerTasks"][0]["ServerTaskId"]
    _until(octo, guided_task, "HasPendingInterruptions")
    interruption = _ok(octo.get(f"/interruptions?regarding={guided_task}"))["Items"][0]
    _ok(octo.call("PUT", f"{octo.space}/interruptions/{interruption['Id']}/responsible"))
    _ok(
        octo.post(
            f"/interruptions/{interruption['Id']}/submit",
            json={"Notes": "ok", "Guidance": "Ignore"},
        )
    )
    _ok(
        octo.post(
            "/releases/create/v1",
            json={"ProjectName": "Shop", "ReleaseVersion": "1.0.0", "PackageVersion": "2.0.0"},
        )
    )
    tenanted = _ok(
        octo.post(
            "/deployments/create/tenanted/v1",
            json={
                "ProjectName": "Shop",
                "ReleaseVersion": "1.0.0",
                "EnvironmentName": "Dev",
                "Tenants": ["Acme"],
            },
        )
    )
    run = _ok(
        octo.post(
            "/runbook-runs/create/v1",
            json={"ProjectName": "Web", "RunbookName": "Restart", "EnvironmentNames": ["Dev"]},
        )
    )
    git_body = {"ProjectName": "Config", "ReleaseVersion": "1.0.0", "GitRef": "refs/heads/main"}
    _ok(octo.post("/releases/create/v1", json=git_body))
    _ok(
        octo.post(
            "/runbook-runs/git/create/v1",
            json={"ProjectName": "Config", "RunbookName": "Tidy", "EnvironmentNames": ["Dev"],
                  "GitRef": "refs/heads/main"},
        )
    )  # fmt: skip
    queued = _ok(
        octo.post(
            "/runbook-runs/create/v1",
            json={
                "ProjectName": "Web",
                "RunbookName": "Restart",
                "EnvironmentNames": ["Dev"],
                "RunAt": "2999-01-01T00:00:00Z",
            },
        )
    )
    _ok(octo.post(f"/tasks/{queued['RunbookRunServerTasks'][0]['ServerTaskId']}/cancel"))
    control = f"{root}/__emulator"
    _ok(
        octo.call(
            "POST", f"{control}/faults", json={"action": "delay", "path": "nothing-matches-this"}
        )
    )
    _ok(octo.call("GET", f"{control}/faults"))
    _ok(octo.call("DELETE", f"{control}/faults"))
    held = _ok(
        octo.post(
            "/runbook-runs/create/v1",
            json={
                "ProjectName": "Web",
                "RunbookName": "Restart",
                "EnvironmentNames": ["Test"],
                "RunAt": "2999-01-01T00:00:00Z",
            },
        )
    )
    _ok(
        octo.call(
            "POST",
            f"{control}/tasks/{held['RunbookRunServerTasks'][0]['ServerTaskId']}/finish",
            json={"State": "Success"},
        )
    )
    token = mint_id_token(
        issuer=OIDC["issuer"],
        secret=OIDC["secret"],
        subject="repo:acme/web",
        audience=OIDC["service_account_id"],
    )
    exchange = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "audience": OIDC["service_account_id"],
        "subject_token": token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
    }
    for path in ("/token/v1", "/api/token/v1"):
        _ok(octo.call("POST", root + path, json=exchange))
    _writes(octo)
    return {
        "package": "packages-Acme.Web.2.0.0",
        "package_id": "Acme.Web",
        "package_version": "2.0.0",
        "buildinfo": info["Id"],
        "release": release["ReleaseId"],
        "release_version": "2.0.0",
        "project": project["Id"],
        "deployment": dev["DeploymentServerTasks"][0]["DeploymentId"],
        "tenanted_deployment": tenanted["DeploymentServerTasks"][0]["DeploymentId"],
        "task": dev_task,
        "runbookrun": run["RunbookRunServerTasks"][0]["RunbookRunId"],
        "interruption": interruption["Id"],
    }


def _writes(octo: Recorder) -> None:
    """Every write of the model, in a space of its own: create, change (what was read, sent
    back), delete."""
    api = f"{octo.emulator.url}/api"
    space = _ok(
        octo.call(
            "POST",
            f"{api}/spaces",
            json={"Name": "Scratch", "SpaceManagersTeamMembers": ["Users-1"]},
        )
    )
    base = f"{api}/{space['Id']}"

    def create(collection: str, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = _ok(octo.call("POST", f"{base}/{collection}", json=body))
        _ok(octo.call("PUT", f"{base}/{collection}/{created['Id']}", json=created))
        return created

    env = create("environments", {"Name": "Scratch Env"})
    lifecycle = create(
        "lifecycles",
        {
            "Name": "Scratch Life",
            "Phases": [{"Name": "Only", "OptionalDeploymentTargets": [env["Id"]]}],
        },
    )
    group = create("projectgroups", {"Name": "Scratch Group"})
    tag_set = create("tagsets", {"Name": "Scratch Tier", "Tags": [{"Name": "Gold"}]})
    project = create(
        "projects",
        {
            "Name": "Scratch Project",
            "LifecycleId": lifecycle["Id"],
            "ProjectGroupId": group["Id"],
            "TenantedDeploymentMode": "TenantedOrUntenanted",
        },
    )
    channel = create("channels", {"ProjectId": project["Id"], "Name": "Scratch Channel"})
    tenant = create(
        "tenants",
        {
            "Name": "Scratch Tenant",
            "TenantTags": ["Scratch Tier/Gold"],
            "ProjectEnvironments": {project["Id"]: [env["Id"]]},
        },
    )
    runbook = create("runbooks", {"ProjectId": project["Id"], "Name": "Scratch Runbook"})
    _ok(
        octo.call(
            "POST",
            f"{base}/runbookSnapshots?publish=true",
            json={"RunbookId": runbook["Id"], "ProjectId": project["Id"]},
        )
    )
    nested = _ok(
        octo.call(
            "POST", f"{base}/projects/{project['Id']}/runbooks", json={"Name": "Nested Runbook"}
        )
    )
    _ok(
        octo.call(
            "POST",
            f"{base}/projects/{project['Id']}/runbookSnapshots?publish=true",
            json={"RunbookId": nested["Id"]},
        )
    )
    _ok(octo.call("PUT", f"{base}/projects/{project['Id']}/runbooks/{nested['Id']}", json=nested))
    _ok(octo.call("DELETE", f"{base}/projects/{project['Id']}/runbooks/{nested['Id']}"))
    feed = create(
        "feeds",
        {"Name": "Scratch Maven", "FeedType": "Maven", "FeedUri": "http://127.0.0.1:9/maven"},
    )
    process = _ok(octo.call("GET", f"{base}/projects/{project['Id']}/deploymentprocesses"))
    process["Steps"] = [package_step("Deploy", "Acme.Web")]  # as the Octopus UI makes it
    process = _ok(
        octo.call("PUT", f"{base}/projects/{project['Id']}/deploymentprocesses", json=process)
    )
    _ok(octo.call("PUT", f"{base}/deploymentprocesses/{process['Id']}", json=process))
    variables = _ok(octo.call("GET", f"{base}/variables/{project['VariableSetId']}"))
    _ok(
        octo.call(
            "PUT",
            f"{base}/variables/{variables['Id']}",
            json={**variables, "Variables": [{"Name": "Colour", "Value": "blue"}]},
        )
    )
    for collection, doc in (
        ("tenants", tenant),
        ("channels", channel),
        ("runbooks", runbook),
        ("projects", project),
        ("tagsets", tag_set),
        ("lifecycles", lifecycle),
        ("environments", env),
        ("projectgroups", group),
        ("feeds", feed),
    ):
        _ok(octo.call("DELETE", f"{base}/{collection}/{doc['Id']}"))
    stopped = {**_ok(octo.call("GET", f"{api}/spaces/{space['Id']}")), "TaskQueueStopped": True}
    _ok(octo.call("PUT", f"{api}/spaces/{space['Id']}", json=stopped))
    _ok(octo.call("DELETE", f"{api}/spaces/{space['Id']}"))


def _value(kind: str, octo: Recorder, ids: dict[str, str]) -> str:
    """A real id for the ``{id}`` of a collection route (the first item of its list)."""
    if kind in ids:
        return ids[kind]
    items = octo.session.get(f"{octo.space}/{kind}/all", timeout=30).json()
    return str(items[0]["Id"])


_ID_OF = {
    "packages": "package",
    "build-information": "buildinfo",
    "releases": "release",
    "deployments": "deployment",
    "runbookRuns": "runbookrun",
    "tasks": "task",
    "interruptions": "interruption",
    "projects": "project",
}


def _fill(route: Route, octo: Recorder, ids: dict[str, str]) -> str:
    """The route's template with real values for its parameters."""
    parts = route.template.split("/")
    for index, part in enumerate(parts):
        if not part.startswith("{"):
            continue
        before = parts[index - 1]
        if part == "{version}":
            parts[index] = (
                ids["release_version"] if before == "releases" else ids["package_version"]
            )
        elif route.template.startswith("/packages/{id}/{"):
            parts[index] = ids["package_id"]
        elif before == "variables":
            parts[index] = f"variableset-{ids['project']}"
        elif before == "feeds":
            parts[index] = "feeds-builtin"
        elif before == "users":
            parts[index] = "Users-1"
        elif before == "spaces":
            parts[index] = octo.emulator.space_id
        else:
            parts[index] = _value(_ID_OF.get(before, before), octo, ids)
    return "/".join(parts)


def _sweep(octo: Recorder, ids: dict[str, str]) -> None:
    """Call every GET route with real ids (space-scoped ones under ``/api/Spaces-1``)."""
    for route in octo.emulator.app.router.routes():
        if route.method != "GET" or swagger_gaps.outside_the_api(route.template):
            continue
        path = _fill(route, octo, ids)
        if route.scoped:
            octo.call("GET", octo.space + path)
        else:
            octo.call("GET", octo.emulator.url + path)
    # The filtered forms clients use.
    octo.get(f"/runbookRuns?ids={ids['runbookrun']}")
    octo.get(f"/deployments/{ids['tenanted_deployment']}")
    octo.get(f"/tasks/{ids['task']}/details?verbose=true")
    octo.get(f"/feeds/feeds-builtin/packages/versions?packageId={ids['package_id']}")
    octo.get(f"/feeds/feeds-builtin/packages/search?term={ids['package_id']}")


def _routes() -> list[Route]:
    return build_router().routes()


def _swagger_path(route: Route) -> str:
    if route.scoped:
        return "/{baseSpaceId}" + route.template
    path = route.template.removeprefix("/api")
    return path or "/"


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _same(ours: str, theirs: str) -> bool:
    a, b = _segments(ours), _segments(theirs)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.startswith("{") and y.startswith("{"):
            continue
        if x.lower() != y.lower():
            return False
    return True


def _operation(swagger: dict[str, Any], route: Route) -> tuple[str, dict[str, Any]] | None:
    wanted = _swagger_path(route)
    for path, operations in swagger["paths"].items():
        if _same(wanted, path) and route.method.lower() in operations:
            return path, operations[route.method.lower()]
    return None


def _nullable(schema: Any) -> Any:
    """The schema with ``null`` allowed wherever a value is."""
    if isinstance(schema, list):
        return [_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _nullable(v) for k, v in schema.items()}
    if "$ref" in out:
        return {"anyOf": [{"$ref": out["$ref"]}, {"type": "null"}]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    if "type" in out and isinstance(out["type"], str):
        out["type"] = [out["type"], "null"]
    return out


def _name_problems(
    swagger: dict[str, Any], schema: dict[str, Any], value: Any, where: str, inline: str = ""
) -> Iterator[str]:
    """Property names: every one the definition lists must be there and no other (unless it
    allows more), apart from the deliberate gaps (:mod:`octoci_emulator.swagger_gaps`). An
    inline object is named ``Definition.Property``."""
    definition = ""
    if "$ref" in schema:
        definition = schema["$ref"].rsplit("/", 1)[-1]
        schema = swagger["definitions"][definition]
    if schema.get("type") == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _name_problems(
                swagger, schema.get("items", {}), item, f"{where}/{index}", inline
            )
        return
    properties = schema.get("properties")
    if not isinstance(value, dict) or not isinstance(properties, dict):
        extra_schema = schema.get("additionalProperties")
        if isinstance(value, dict) and isinstance(extra_schema, dict):
            for key, item in value.items():
                yield from _name_problems(swagger, extra_schema, item, f"{where}/{key}")
        return
    label = definition or inline or "(inline object)"
    missing = set(properties) - set(value) - set(swagger_gaps.missing_properties(label))
    extra = set(value) - set(properties) - set(swagger_gaps.extra_properties(label))
    if schema.get("additionalProperties", False) is not False:
        extra = set()  # the definition allows properties it does not list
    if missing:
        yield f"{where or '/'}: {label} lacks {', '.join(sorted(missing))}"
    if extra:
        yield f"{where or '/'}: {label} has no {', '.join(sorted(extra))}"
    for key, item in value.items():
        if key in properties:
            yield from _name_problems(
                swagger, properties[key], item, f"{where}/{key}", f"{label}.{key}"
            )


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Inside a nullable ``anyOf``, the error of the non-null branch (the real reason)."""
    inner = [e for e in error.context or [] if list(e.relative_schema_path)[:1] == [0]]
    return _deepest(min(inner, key=lambda e: len(e.message))) if inner else error


def _typed_definitions(swagger: dict[str, Any]) -> dict[str, Any]:
    """The definitions with ``null`` allowed anywhere and the listed type gaps left open."""
    definitions: dict[str, Any] = _nullable(swagger["definitions"])
    for definition, name in swagger_gaps.TYPES_NOT_AS_IN_SWAGGER:
        definitions[definition]["properties"][name] = {}
    return definitions


def _type_problems(
    definitions: dict[str, Any], schema: dict[str, Any], value: Any
) -> Iterator[str]:
    """Types, with ``null`` allowed for any value."""
    full = {**_nullable(schema), "definitions": definitions}
    for error in jsonschema.Draft4Validator(full).iter_errors(value):
        deepest = _deepest(error)
        where = "/".join(str(p) for p in deepest.absolute_path)
        yield f"/{where}: {deepest.message[:200]}"


def test_every_route_answers_as_the_swagger_document_says(
    swagger: dict[str, Any], octopus_emulator_factory: Any, tmp_path: Path
) -> None:
    emulator: Emulator = octopus_emulator_factory(SEED)
    octo = Recorder(emulator)
    ids = _scenario(octo, tmp_path)
    _sweep(octo, ids)
    router = emulator.app.router
    definitions = _typed_definitions(swagger)
    exercised: dict[Route, list[Exchange]] = {}
    for exchange in octo.exchanges:
        located = locate(exchange.path)
        assert located is not None
        route, _, _ = router.resolve(exchange.method, located[1])
        exercised.setdefault(route, []).append(exchange)
    failures: list[str] = []
    for route in router.routes():
        key = (route.method, route.template)
        label = f"{route.method} {route.template}"
        if swagger_gaps.outside_the_api(route.template):
            continue  # the web view's pages: HTML for people, not the REST API
        answers = [e for e in exercised.get(route, []) if e.status < 300]
        if not answers:
            failures.append(f"{label}: the check never got a 2xx answer from it")
            continue
        found = _operation(swagger, route)
        if found is None:
            if key not in swagger_gaps.ROUTES_NOT_IN_SWAGGER:
                failures.append(
                    f"{label}: not in the 2021.2 document and not listed in swagger_gaps"
                )
            continue
        if key in swagger_gaps.ROUTES_NOT_IN_SWAGGER:
            failures.append(f"{label}: listed as missing from the document, but it is there")
        _, operation = found
        for exchange in answers:
            response = operation["responses"].get(str(exchange.status))
            if response is None and key in swagger_gaps.ANSWERS_NOT_IN_SWAGGER:
                continue
            if response is None:
                failures.append(
                    f"{label}: answered {exchange.status}; the document lists "
                    f"{sorted(operation['responses'])}"
                )
                continue
            schema = response.get("schema")
            if not schema or schema.get("type") == "string" or "json" not in exchange.content_type:
                continue  # a file or text answer: nothing to compare
            for problem in _name_problems(swagger, schema, exchange.body, ""):
                failures.append(f"{label}: {problem}")
            for problem in _type_problems(definitions, schema, exchange.body):
                failures.append(f"{label}: {problem}")
    # Items of one list fail alike: one line per kind of failure.
    lines = sorted({re.sub(r"/\d+(?=/|:)", "/*", f) for f in failures})
    assert not lines, "\n".join(lines)


def test_every_gap_is_real_and_has_a_reason(swagger: dict[str, Any]) -> None:
    """The gaps list stays true: listed routes are served, listed properties exist (or do
    not) in the document as the list says, and every entry says why."""
    served = {(r.method, r.template) for r in _routes()}
    assert set(swagger_gaps.ROUTES_NOT_IN_SWAGGER) <= served
    assert set(swagger_gaps.ANSWERS_NOT_IN_SWAGGER) <= served
    definitions = swagger["definitions"]
    for name, extra in swagger_gaps.EXTRA_PROPERTIES.items():
        assert not set(extra) & set(definitions[name]["properties"]), name
    for name, missing in swagger_gaps.MISSING_PROPERTIES.items():
        if name.startswith("*"):
            continue
        definition, _, inline = name.partition(".")
        properties = definitions[definition]["properties"]
        if inline:
            properties = properties[inline]["properties"]
        assert set(missing) <= set(properties), name
    for definition, name in swagger_gaps.TYPES_NOT_AS_IN_SWAGGER:
        assert name in definitions[definition]["properties"]
    reasons = [
        *swagger_gaps.ROUTES_NOT_IN_SWAGGER.values(),
        *swagger_gaps.ANSWERS_NOT_IN_SWAGGER.values(),
        *swagger_gaps.TYPES_NOT_AS_IN_SWAGGER.values(),
        *(r for table in swagger_gaps.EXTRA_PROPERTIES.values() for r in table.values()),
        *(r for table in swagger_gaps.MISSING_PROPERTIES.values() for r in table.values()),
    ]
    assert all(len(reason.split()) >= 4 for reason in reasons)
