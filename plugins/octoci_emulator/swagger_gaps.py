"""Where the emulator deliberately answers differently from Octopus's Swagger document (2021.2):
routes the document lacks, and properties it lists that the emulator leaves out (or the other way
round), each with its reason. The Swagger check (``tests/emulator/test_swagger.py``) allows
exactly these differences and nothing else.
"""

from __future__ import annotations

__all__ = [
    "ANSWERS_NOT_IN_SWAGGER",
    "EXTRA_PROPERTIES",
    "MISSING_PROPERTIES",
    "ROUTES_NOT_IN_SWAGGER",
    "TYPES_NOT_AS_IN_SWAGGER",
    "extra_properties",
    "missing_properties",
    "outside_the_api",
]

_EXECUTIONS = (
    "the Executions API, added in Octopus 2022.3 (after this document); shapes from "
    "api-client.ts's createReleaseV1/deploy*V1/runbookRunV1"
)
_CONTROL = "the emulator's own control route (not part of Octopus)"
_OIDC = (
    "OIDC token exchange (Octopus 2024.1+, after this document); shape from RFC 8693 and "
    "the official login action"
)
_NEWER = "newer than 2021.2: Octopus's current API reference lists it"

#: ``(method, route template)`` -> why the 2021.2 document does not have it.
ROUTES_NOT_IN_SWAGGER: dict[tuple[str, str], str] = {
    ("POST", "/releases/create/v1"): _EXECUTIONS,
    ("POST", "/deployments/create/untenanted/v1"): _EXECUTIONS,
    ("POST", "/deployments/create/tenanted/v1"): _EXECUTIONS,
    ("POST", "/runbook-runs/create/v1"): _EXECUTIONS,
    ("POST", "/runbook-runs/git/create/v1"): (
        "the Executions API's Git runbook run (after this document); shape from "
        "go-octopusdeploy's GitRunbookRunCommandV1 (the runbook-runs/create/v1 body plus GitRef)"
    ),
    ("GET", "/api/capabilities"): (
        "added with the Executions API in 2022.3; shape from api-client.ts's capability.ts"
    ),
    ("GET", "/environments/v2"): (
        "added after 2021.2 (ephemeral environments); shape from api-client.ts's "
        "environmentV2Repository.ts"
    ),
    ("GET", "/deploymentprocesses/all"): (
        "the model lists every collection the same way (also /all); Octopus 2021.2 has no "
        "deploymentprocesses/all, and no client asks for it"
    ),
    ("GET", "/runbookSnapshots/all"): (
        "the model lists every collection the same way (also /all); Octopus 2021.2 has no "
        "runbookSnapshots/all, and no client asks for it"
    ),
    ("GET", "/projects/{id}/variables"): (
        _NEWER + " (a project's variables by project, for version-controlled projects)"
    ),
    ("GET", "/.well-known/openid-configuration"): _OIDC,
    ("POST", "/token/v1"): _OIDC,
    ("POST", "/api/token/v1"): _OIDC,
    ("GET", "/__emulator/faults"): _CONTROL,
    ("POST", "/__emulator/faults"): _CONTROL,
    ("DELETE", "/__emulator/faults"): _CONTROL,
    ("POST", "/__emulator/tasks/{id}/finish"): _CONTROL,
}

#: ``(method, route template)`` -> why its answer is not the one the document lists.
ANSWERS_NOT_IN_SWAGGER: dict[tuple[str, str], str] = {
    ("GET", "/api/users/me"): "the document lists no answer for it (the operation is incomplete)",
    ("GET", "/api/users/{id}/spaces"): "the document lists only its 400 answer",
    ("PUT", "/api/spaces/{id}"): (
        "answers 200 with the space, as every other PUT in the document does; the document "
        "says 201 for this one"
    ),
    ("DELETE", "/packages/{id}"): (
        "answers 204 No Content (nothing to return); the document says 200 without a schema"
    ),
    ("DELETE", "/build-information/{id}"): (
        "answers 204 No Content (nothing to return); the document says 200 without a schema"
    ),
}

_AUDIT = (
    "audit fields: the emulator keeps no audit trail (Octopus fills them in on write); no "
    "client reads them"
)
_ENVELOPE = "the collection envelope's own id and audit fields; no client reads them"

#: Swagger definition -> {property the emulator adds: why}. ``*`` applies to every definition.
EXTRA_PROPERTIES: dict[str, dict[str, str]] = {
    "SpaceResource": {"Slug": _NEWER},
    "ProjectGroupResource": {"Slug": _NEWER},
    "EnvironmentResource": {"Slug": _NEWER},
    "ChannelResource": {"Slug": _NEWER},
    "LifecycleResource": {"Slug": _NEWER},
    "ReleaseResource": {"SelectedGitResources": _NEWER + " (version-controlled projects)"},
    "ReleaseCreationStrategyResource": {
        "ReleaseCreationPackageStepId": _NEWER + " (api-client.ts's ReleaseCreationStrategy)"
    },
    "TaskResource": {
        "ProjectId": _NEWER,
        "EstimatedRemainingQueueDurationSeconds": _NEWER,
        "HasPendingPreconditions": _NEWER,
        "PendingInterruptionTypes": _NEWER + " (GuidedFailure, ManualIntervention ...)",
        "PendingPreconditionTypes": _NEWER,
    },
    "InterruptionResource": {"Type": _NEWER, "PullRequests": _NEWER},
    "FeedResource": dict.fromkeys(
        (
            "Slug",
            "IsBuiltInRepoSyncEnabled",
            "DeleteUnreleasedPackagesAfterDays",
            "DownloadAttempts",
            "DownloadRetryBackoffSeconds",
        ),
        "the built-in feed's own properties (api-client.ts's builtInFeed.ts); the document "
        "describes only the base FeedResource",
    ),
    "PackageResource": {
        "Hash": "the SHA-1 a pushed package's resource carries (PackageFromBuiltInFeedResource)",
        "PackageSizeBytes": "the size a pushed package's resource carries",
        "SpaceId": "every stored document names its space; clients ignore it",
    },
    "PackageFromBuiltInFeedResource": {
        "SpaceId": "every stored document names its space; clients ignore it"
    },
    "OctopusPackageVersionBuildInformationMappedResource": {
        "SpaceId": "every stored document names its space; clients ignore it"
    },
    # Version-controlled projects: the document's PersistenceSettingsResource is the base type;
    # the Git settings are its GitPersistenceSettings subtype, which the document does not list.
    "PersistenceSettingsResource": dict.fromkeys(
        (
            "Url",
            "DefaultBranch",
            "BasePath",
            "Credentials",
            "ProtectedDefaultBranch",
            "ProtectedBranchNamePatterns",
            "ConversionState",
        ),
        "a version-controlled project's Git settings (GitPersistenceSettingsResource, which the "
        "document leaves out; go-octopusdeploy's GitPersistenceSettings)",
    ),
    "RunbookRunResource": {
        "GitReference": _NEWER + " (a Git runbook's run: its GitRef and GitCommit)"
    },
}

# External feeds: the document's FeedResource is the base type; each feed type's own properties
# are in its subtypes (MavenFeedResource, AwsS3FeedResource ...), which the document leaves out.
EXTRA_PROPERTIES["FeedResource"].update(
    dict.fromkeys(
        (
            "FeedUri",
            "Username",
            "Password",
            "EnhancedMode",
            "ApiVersion",
            "RegistryPath",
            "Repository",
            "LayoutRegex",
            "Region",
            "AccessKey",
            "SecretKey",
            "UseMachineCredentials",
        ),
        "an external feed's own properties (the FeedResource subtypes, which the document leaves "
        "out; go-octopusdeploy's FeedResource lists them)",
    )
)

# Release options of the Executions API (issue 14): custom fields are a newer release property.
EXTRA_PROPERTIES["ReleaseResource"]["CustomFields"] = (
    _NEWER + " (custom fields of a release, defined by its channel)"
)

#: Swagger definition -> {property the document lists that the emulator leaves out: why}.
#: ``*`` applies to every definition, ``*Collection`` to every collection envelope.
MISSING_PROPERTIES: dict[str, dict[str, str]] = {
    "*": {"LastModifiedOn": _AUDIT, "LastModifiedBy": _AUDIT},
    "*Collection": {"Id": _ENVELOPE},
    "RootResource": {"Id": "the root document has no id of its own"},
    "SpaceRootResource": {"Id": "the space root document has no id of its own"},
    "TaskDetailsResource": {"Id": "the details document has no id of its own"},
    "VariableResource.Scope": dict.fromkeys(
        (
            "Action",
            "Channel",
            "Environment",
            "Machine",
            "ParentDeployment",
            "Private",
            "ProcessOwner",
            "Project",
            "Role",
            "TargetRole",
            "Tenant",
            "TenantTag",
            "Trigger",
            "User",
        ),
        "Octopus sends only the scopes a variable has (a scope specification is a dictionary); "
        "the document lists every possible one",
    ),
}

#: ``(definition, property)`` -> why its values do not have the type the document gives.
TYPES_NOT_AS_IN_SWAGGER: dict[tuple[str, str], str] = {
    ("DeploymentActionResource", "Properties"): (
        "Octopus serialises PropertyValueResource as a plain string (a sensitive one as an "
        "object); the document describes every value as the object"
    ),
    ("VariableResource", "Type"): (
        "Octopus sends the variable type's name ('String', 'Sensitive' ...); the document "
        "describes VariableType as an object"
    ),
    ("FeedResource", "FeedType"): (
        "the S3 and ArtifactoryGeneric feed types are newer than 2021.2's FeedType enum "
        "(go-octopusdeploy's feed_types.go lists them)"
    ),
    ("DeploymentStepResource", "Properties"): (
        "Octopus serialises PropertyValueResource as a plain string; the document describes "
        "every value as the object"
    ),
}


def _for(table: dict[str, dict[str, str]], definition: str) -> dict[str, str]:
    found = dict(table.get("*", {}))
    if definition.endswith("Collection"):
        found.update(table.get("*Collection", {}))
    found.update(table.get(definition, {}))
    return found


def extra_properties(definition: str) -> dict[str, str]:
    """The properties the emulator adds to ``definition``, with their reasons."""
    return _for(EXTRA_PROPERTIES, definition)


def missing_properties(definition: str) -> dict[str, str]:
    """The properties of ``definition`` the emulator leaves out, with their reasons."""
    return _for(MISSING_PROPERTIES, definition)


#: Route templates that are not Octopus's REST API: the web view's HTML pages (``/app...``, and
#: ``/``, which sends a browser there). The Swagger document describes only ``/api``.
WEB_VIEW_PREFIX = "/app"


def outside_the_api(template: str) -> bool:
    """True for the web view's routes, which the Swagger check leaves out (see above)."""
    return (
        template == "/" or template == WEB_VIEW_PREFIX or template.startswith(WEB_VIEW_PREFIX + "/")
    )
