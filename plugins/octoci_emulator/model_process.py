"""A project's deployment process, its variables, its release-creation settings and runbook
snapshots: the parts of the model that are changed with ``PUT`` on a fixed id.

Deployment processes and variable sets carry a ``Version``: a ``PUT`` that names an older one
is refused (someone changed it since it was read), as Octopus refuses it.
"""

from __future__ import annotations

import uuid
from typing import Any

from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.feeds import BUILT_IN_FEED, find_feed
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.model_checks import Checks, as_body, plain
from octoci_emulator.model_writes import AUDIT, links
from octoci_emulator.store import Document, Store

__all__ = [
    "check_auto_create_release",
    "create_runbook_snapshot",
    "new_process",
    "new_variable_set",
    "public_variable_set",
    "release_creation_strategy",
    "update_process",
    "update_variables",
    "versioning_strategy",
]

_PACKAGE_ID = "Octopus.Action.Package.PackageId"
_FEED_ID = "Octopus.Action.Package.FeedId"
VARIABLE_TYPES = (
    "String",
    "Sensitive",
    "Certificate",
    "AmazonWebServicesAccount",
    "AzureAccount",
    "GoogleCloudAccount",
    "UsernamePasswordAccount",
    "GenericOidcAccount",
    "WorkerPool",
)
_SCOPES = ("Environment", "Role", "Machine", "Channel", "Action", "TenantTag", "ProcessOwner")
_DEFAULT_VERSION_TEMPLATE = (
    "#{Octopus.Version.LastMajor}.#{Octopus.Version.LastMinor}.#{Octopus.Version.NextPatch}"
)


def _new_id() -> str:
    return str(uuid.uuid4())


def new_process(project: Document) -> Document:
    """An empty deployment process for a new project."""
    process_id = project["DeploymentProcessId"]
    return {
        "Id": process_id,
        "SpaceId": project["SpaceId"],
        "ProjectId": project["Id"],
        "Version": 0,
        "LastSnapshotId": None,
        "Steps": [],
        **AUDIT,
        "Links": links(project["SpaceId"], "deploymentprocesses", process_id),
    }


def new_variable_set(project: Document) -> Document:
    """An empty variable set for a new project."""
    set_id = project["VariableSetId"]
    return {
        "Id": set_id,
        "SpaceId": project["SpaceId"],
        "OwnerId": project["Id"],
        "Version": 0,
        "Variables": [],
        "_Values": {},
        **AUDIT,
        "Links": links(project["SpaceId"], "variables", set_id),
    }


def _check_version(checks: Checks, body: CIDict, current: Document, message: str) -> None:
    if "Version" in body and checks.integer(body, "Version", 0) != current["Version"]:
        raise BadRequest(message)


def update_process(store: Store, space_id: str, process_id: str, body: Any) -> Document:
    """Replace the steps of deployment process ``process_id`` (``PUT deploymentprocesses``)."""
    body = as_body(body)
    with store.transaction():
        current = store.get("deploymentprocess", process_id)
        if current is None or current["SpaceId"] != space_id:
            raise NotFound(f"The deployment process '{process_id}' doesn't exist.")
        checks = Checks(store, space_id)
        _check_version(
            checks,
            body,
            current,
            "The deployment process was changed by someone else since you read it: get it "
            "again and make your change on that.",
        )
        steps = _steps(checks, body)
        checks.done()
        process = {**current, "Steps": steps, "Version": current["Version"] + 1}
        store.put("deploymentprocess", process)
    return process


def _steps(checks: Checks, body: CIDict) -> list[Document]:
    steps = []
    action_names: set[str] = set()
    step_names: set[str] = set()
    for step in checks.objects(body, "Steps"):
        name = checks.name(step, "step")
        if name.lower() in step_names:
            checks.fail(f"Two steps are named '{name}': step names must be unique.")
        step_names.add(name.lower())
        actions = checks.objects(step, "Actions")
        if not actions:
            checks.fail(f"The step '{name}' needs at least one action.")
        stored_actions = []
        for action in actions:
            action_name = checks.name(action, "action")
            if action_name.lower() in action_names:
                checks.fail(f"Two actions are named '{action_name}': action names must be unique.")
            action_names.add(action_name.lower())
            stored_actions.append(_action(checks, action, action_name))
        steps.append(
            {
                **plain(step),
                "Id": checks.text(step, "Id") or _new_id(),
                "Name": name,
                "Properties": plain(checks.obj(step, "Properties")) or {},
                "Condition": checks.text(step, "Condition", "Success"),
                "StartTrigger": checks.text(step, "StartTrigger", "StartAfterPrevious"),
                "PackageRequirement": checks.text(step, "PackageRequirement", "LetOctopusDecide"),
                "Actions": stored_actions,
            }
        )
    return steps


def _action(checks: Checks, action: CIDict, name: str) -> Document:
    action_type = checks.text(action, "ActionType")
    if not action_type:
        checks.fail(f"The action '{name}' needs an ActionType (for example Octopus.Script).")
    properties = plain(checks.obj(action, "Properties")) or {}
    packages = []
    for package in checks.objects(action, "Packages"):
        package_id = checks.text(package, "PackageId")
        feed_id = checks.text(package, "FeedId", BUILT_IN_FEED)
        if not package_id:
            checks.fail(f"A package of the action '{name}' has no PackageId.")
        feed = find_feed(checks.store, str(checks.space_id), feed_id)
        if feed is None or feed["Id"].lower() != feed_id.lower():
            # Octopus's wording (the Octopus CLI reports it for a process naming a lost feed).
            checks.fail(f"Could not find a feed with ID {feed_id}, which is used by step: {name}")
        else:
            feed_id = feed["Id"]
        packages.append(
            {
                **plain(package),
                "Id": checks.text(package, "Id") or _new_id(),
                "Name": checks.text(package, "Name"),
                "PackageId": package_id,
                "FeedId": feed_id,
                "AcquisitionLocation": checks.text(package, "AcquisitionLocation", "Server"),
                "Properties": plain(checks.obj(package, "Properties")) or {},
            }
        )
    for field in ("Environments", "ExcludedEnvironments"):
        checks.all_existing("environment", checks.strings(action, field), "environment")
    checks.all_existing("channel", checks.strings(action, "Channels"), "channel")
    return {
        **_ACTION_DEFAULTS,
        "CanBeUsedForProjectVersioning": bool(packages),
        **plain(action),
        "Id": checks.text(action, "Id") or _new_id(),
        "Name": name,
        "ActionType": action_type,
        "IsDisabled": checks.flag(action, "IsDisabled"),
        "Properties": properties,
        "Packages": packages,
    }


#: What an action has when the client leaves it out (the Octopus UI sends all of it).
_ACTION_DEFAULTS: dict[str, Any] = {
    "Notes": None,
    "IsRequired": False,
    "Condition": "Success",
    "Container": {"Image": None, "FeedId": None},
    "WorkerPoolId": None,
    "WorkerPoolVariable": None,
    "Environments": [],
    "ExcludedEnvironments": [],
    "Channels": [],
    "TenantTags": [],
    "Links": {},
    **AUDIT,
}


def package_step(name: str, package_id: str, feed_id: str = BUILT_IN_FEED) -> dict[str, Any]:
    """A deploy-a-package step (``Octopus.TentaclePackage``) as the Octopus UI creates it,
    taking its package from ``feed_id``."""
    return {
        "Name": name,
        "Actions": [
            {
                "Name": name,
                "ActionType": "Octopus.TentaclePackage",
                "Properties": {_PACKAGE_ID: package_id, _FEED_ID: feed_id},
                "Packages": [{"Name": "", "PackageId": package_id, "FeedId": feed_id}],
            }
        ],
    }


# -- release creation settings ------------------------------------------------------------------


def release_creation_strategy(checks: Checks, body: CIDict, project_id: str) -> Document:
    """``ReleaseCreationStrategy`` in Octopus's spelling (clients send other casings)."""
    strategy = checks.obj(body, "ReleaseCreationStrategy") or CIDict({})
    package = checks.obj(strategy, "ReleaseCreationPackage")
    return {
        "ChannelId": checks.text(strategy, "ChannelId") or None,
        "ReleaseCreationPackage": None
        if package is None
        else {
            "DeploymentAction": checks.text(package, "DeploymentAction"),
            "PackageReference": checks.text(package, "PackageReference"),
        },
        "ReleaseCreationPackageStepId": checks.text(strategy, "ReleaseCreationPackageStepId")
        or None,
    }


def versioning_strategy(checks: Checks, body: CIDict) -> Document:
    """``VersioningStrategy``: a template, or a donor package whose version releases take."""
    strategy = checks.obj(body, "VersioningStrategy") or CIDict({})
    donor = checks.obj(strategy, "DonorPackage")
    template = checks.text(strategy, "Template") or None
    if donor is None and template is None:
        template = _DEFAULT_VERSION_TEMPLATE
    return {
        "Template": template,
        "DonorPackage": None
        if donor is None
        else {
            "DeploymentAction": checks.text(donor, "DeploymentAction"),
            "PackageReference": checks.text(donor, "PackageReference"),
        },
        "DonorPackageStepId": checks.text(strategy, "DonorPackageStepId") or None,
    }


def check_auto_create_release(checks: Checks, project: Document) -> None:
    """Octopus's checks for Automatic Release Creation: a channel of the project and an enabled
    package action of its process that takes its package from the built-in feed."""
    strategy = project["ReleaseCreationStrategy"]
    channel_id = strategy["ChannelId"]
    if not channel_id:
        checks.fail("A channel ID must be provided to enable Automatic Release Creation.")
    else:
        channel = checks.store.get("channel", channel_id)
        if channel is None or channel["ProjectId"] != project["Id"]:
            checks.fail(
                "The specified Automatic Release Creation channel belongs to a different project."
            )
    wanted = (strategy["ReleaseCreationPackage"] or {}).get("DeploymentAction", "")
    if not wanted:
        checks.fail("A package step must be provided to enable Automatic Release Creation.")
        return
    process = checks.store.get("deploymentprocess", project["DeploymentProcessId"]) or {}
    actions = [a for s in process.get("Steps", []) for a in s["Actions"] if a.get("Packages")]
    action = next((a for a in actions if a["Name"].lower() == wanted.lower()), None)
    if action is None:
        checks.fail(
            "The package step provided could not be found in the project's deployment process "
            "(see Automatic Release Creation settings, via Project > Triggers)."
        )
    elif action["IsDisabled"]:
        checks.fail(
            "The package step provided is disabled (see Automatic Release Creation settings, via "
            "Project > Triggers)."
        )


# -- variables ----------------------------------------------------------------------------------


def public_variable_set(store: Store, variable_set: Document) -> Document:
    """A variable set as clients see it: sensitive values are never sent back, and
    ``ScopeValues`` lists what variables can be scoped to."""
    space_id = variable_set["SpaceId"]
    owner = variable_set["OwnerId"]
    channels = store.list("channel", space_id, lambda c: c["ProjectId"] == owner)
    return {
        **{k: v for k, v in variable_set.items() if not k.startswith("_")},
        "ScopeValues": {
            "Environments": [
                {"Id": e["Id"], "Name": e["Name"]} for e in store.list("environment", space_id)
            ],
            "Channels": [{"Id": c["Id"], "Name": c["Name"]} for c in channels],
            "Machines": [],
            "Roles": [],
            "Actions": [],
            "TenantTags": [],
            "Processes": [],
        },
    }


def update_variables(store: Store, space_id: str, set_id: str, body: Any) -> Document:
    """Replace the variables of set ``set_id`` (``PUT variables/{id}``).

    A sensitive variable sent back without a value (clients never receive one) keeps the value
    it has.
    """
    body = as_body(body)
    with store.transaction():
        current = store.get("variableset", set_id)
        if current is None or current["SpaceId"] != space_id:
            raise NotFound(f"The variable set '{set_id}' doesn't exist.")
        checks = Checks(store, space_id)
        _check_version(
            checks,
            body,
            current,
            "Changes to these variables could not be saved, because another user has made "
            "changes to the variables between when you started editing and when you saved your "
            "changes. Please reload or open a new tab to make your changes.",
        )
        variables, values = _variables(checks, body, current.get("_Values", {}))
        checks.done()
        updated = {
            **current,
            "Variables": variables,
            "_Values": values,
            "Version": current["Version"] + 1,
        }
        store.put("variableset", updated)
    return updated


def _variables(
    checks: Checks, body: CIDict, old_values: dict[str, str]
) -> tuple[list[Document], dict[str, str]]:
    variables = []
    values: dict[str, str] = {}
    ids: set[str] = set()
    for variable in checks.objects(body, "Variables"):
        name = checks.name(variable, "variable")
        var_id = checks.text(variable, "Id") or _new_id()
        if var_id in ids:
            checks.fail("Variable ids must be unique.")
        ids.add(var_id)
        var_type = checks.choice(variable, "Type", VARIABLE_TYPES, "String")
        sensitive = checks.flag(variable, "IsSensitive") or var_type == "Sensitive"
        value = variable.get("Value")
        if value is not None and not isinstance(value, str):
            checks.fail(f"The value of the variable '{name}' must be a string or null.")
            value = None
        scope_body = checks.obj(variable, "Scope") or CIDict({})
        scope: dict[str, list[str]] = {}
        for key in scope_body:
            spelled = next((s for s in _SCOPES if s.lower() == key.lower()), None)
            if spelled is None:
                checks.fail(f"'{key}' is not a variable scope ({', '.join(_SCOPES)}).")
                continue
            scope[spelled] = checks.strings(scope_body, key)
        checks.all_existing("environment", scope.get("Environment", []), "environment")
        checks.all_existing("channel", scope.get("Channel", []), "channel")
        if sensitive:
            kept = value if value is not None else old_values.get(var_id)
            if kept is not None:
                values[var_id] = kept
            value = None
        variables.append(
            {
                "Id": var_id,
                "Name": name,
                "Value": value,
                "Description": checks.text(variable, "Description") or None,
                "Type": "Sensitive" if sensitive else var_type,
                "IsSensitive": sensitive,
                "IsEditable": checks.flag(variable, "IsEditable", True),
                "Prompt": plain(checks.obj(variable, "Prompt")),
                "Scope": scope,
            }
        )
    return variables, values


# -- runbook snapshots --------------------------------------------------------------------------


def create_runbook_snapshot(store: Store, space_id: str, body: Any, *, publish: bool) -> Document:
    """A snapshot of a runbook (``POST runbookSnapshots``); ``publish`` makes it the one runs use."""
    body = as_body(body)
    with store.transaction():
        checks = Checks(store, space_id)
        runbook = checks.existing("runbook", checks.text(body, "RunbookId"), "runbook")
        project_id = checks.text(body, "ProjectId")
        if (
            runbook is not None
            and project_id
            and project_id.lower() != runbook["ProjectId"].lower()
        ):
            checks.fail("The runbook belongs to another project.")
        checks.done()
        assert runbook is not None  # checked just above
        snapshot_id = store.next_id("RunbookSnapshots")
        snapshot = {
            "Id": snapshot_id,
            "SpaceId": space_id,
            "ProjectId": runbook["ProjectId"],
            "RunbookId": runbook["Id"],
            "Name": checks.text(body, "Name") or snapshot_id,
            "Notes": checks.text(body, "Notes") or None,
            "Assembled": None,
            "SelectedPackages": plain(checks.objects(body, "SelectedPackages")),
            "FrozenRunbookProcessId": f"{runbook['RunbookProcessId']}-{snapshot_id}",
            "FrozenProjectVariableSetId": f"variableset-{runbook['ProjectId']}-{snapshot_id}",
            "ProjectVariableSetSnapshotId": f"variableset-{runbook['ProjectId']}-{snapshot_id}",
            "LibraryVariableSetSnapshotIds": [],
            **AUDIT,
            "Links": links(space_id, "runbookSnapshots", snapshot_id),
        }
        store.put("runbooksnapshot", snapshot)
        if publish:
            store.put(
                "runbook",
                {**runbook, "PublishedRunbookSnapshotId": snapshot_id},
                key=f"{runbook['ProjectId']}|{runbook['Name'].lower()}",
            )
    return snapshot
