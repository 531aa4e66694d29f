"""How an emulator behaves: API keys, OIDC issuers, task progression, issue trackers, faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_API_KEY",
    "MODEL_PERMISSIONS",
    "ApiKey",
    "EmulatorConfig",
    "FaultRule",
    "IssueTrackers",
    "OidcIssuer",
    "TaskOutcome",
    "TaskTiming",
]

#: The key an emulator accepts when none is configured. A test key, not a secret.
DEFAULT_API_KEY = "API-EMULATOR0000000000000000000"

#: The permissions writes to the model check, named as in Octopus (see ``api_writes``).
MODEL_PERMISSIONS: frozenset[str] = frozenset(
    {
        *(
            f"{kind}{verb}"
            for kind in ("Space", "ProjectGroup", "Environment", "Lifecycle", "TagSet")
            for verb in ("Create", "Edit", "Delete")
        ),
        *(
            f"{kind}{verb}"
            for kind in ("Project", "Tenant")
            for verb in ("Create", "Edit", "Delete")
        ),
        "ProcessEdit",
        "RunbookEdit",
        "VariableEdit",
    }
)

#: The permissions the emulator checks; a key without a ``permissions`` list has them all.
ALL_PERMISSIONS: frozenset[str] = MODEL_PERMISSIONS | frozenset(
    {
        "BuiltInFeedPush",
        "BuiltInFeedAdminister",
        "FeedEdit",
        "BuildInformationPush",
        "BuildInformationAdminister",
        "ReleaseCreate",
        "DeploymentCreate",
        "RunbookRunCreate",
        "TaskCancel",
        "InterruptionSubmit",
    }
)


@dataclass(frozen=True)
class ApiKey:
    """An accepted API key and what it may do (``None`` means every permission)."""

    key: str
    permissions: frozenset[str] | None = None

    def allows(self, permission: str) -> bool:
        """True when the key has ``permission``."""
        return self.permissions is None or permission in self.permissions


@dataclass(frozen=True)
class OidcIssuer:
    """A test OIDC issuer whose ID tokens the token-exchange endpoint accepts.

    Real issuers sign with RS256 and publish keys; without a crypto library the emulator verifies
    HS256 tokens signed with ``secret`` instead, which is what tests can mint with the standard
    library (see :func:`octoci_emulator.tokens.mint_id_token`).
    """

    issuer: str
    secret: str
    service_account_id: str
    subject: str = "*"


@dataclass(frozen=True)
class TaskOutcome:
    """How a task ends when it matches (every given field must match; empty fields match all)."""

    state: Literal["Success", "Failed", "TimedOut"] = "Success"
    error_message: str = ""
    project: str = ""
    environment: str = ""
    runbook: str = ""
    tenant: str = ""
    #: The outcome holds for the first ``times`` runs of the task's steps (0: every run). A
    #: guided-failure Retry runs them again, so ``times = 1`` fails once and then goes on.
    times: int = 0


@dataclass(frozen=True)
class TaskTiming:
    """How long tasks stay Queued and Executing; ``hold`` keeps them Queued until told otherwise."""

    queued_seconds: float = 0.5
    executing_seconds: float = 1.0
    hold: bool = False


@dataclass(frozen=True)
class IssueTrackers:
    """The issue-tracker extensions that turn commit messages into work items."""

    github: bool = True
    jira_base_url: str = ""
    azure_devops_url: str = ""


@dataclass(frozen=True)
class FaultRule:
    """One injected fault.

    ``action`` is one of ``delay`` (wait ``delay_seconds``, then answer normally), ``status``
    (answer ``status`` with an Octopus error body), ``throttle`` (429 with ``Retry-After``),
    ``drop`` (read about half the body, then close the connection), ``lose_response`` (do the work,
    then close without answering) or ``rate_limit`` (429 once ``limit`` matching requests were
    accepted within ``per_seconds``; refused ones do not count, and ``Retry-After`` says when the
    budget has room again). ``path`` is a regular expression searched in the path after ``/api``
    (``""`` matches every path but the emulator's own ``/__emulator/`` control routes);
    ``times`` limits how often the rule fires.
    """

    action: Literal["delay", "status", "throttle", "drop", "lose_response", "rate_limit"]
    path: str = ""
    method: str = ""
    status: int = 503
    delay_seconds: float = 0.0
    retry_after: int = 1
    times: int | None = None
    limit: int = 10
    per_seconds: float = 60.0


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything but the Octopus model (spaces, projects ...), which lives in the store."""

    api_keys: tuple[ApiKey, ...] = (ApiKey(DEFAULT_API_KEY),)
    oidc_issuers: tuple[OidcIssuer, ...] = ()
    tasks: TaskTiming = field(default_factory=TaskTiming)
    outcomes: tuple[TaskOutcome, ...] = ()
    issue_trackers: IssueTrackers = field(default_factory=IssueTrackers)
    faults: tuple[FaultRule, ...] = ()
    #: The server version in ``GET /api``; clients gate the Executions API on >= 2022.3.5512.
    version: str = "2024.2.9999"
    access_token_lifetime: int = 3600
