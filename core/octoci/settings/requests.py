"""From settings to what is asked of Octopus: the one mapping of the release and deployment
settings (:class:`~octoci.settings.Settings`) to a
:class:`~octoci.octopus.executions.ReleaseRequest` or
:class:`~octoci.octopus.executions.DeployRequest`, for ``publish`` and the single-step commands
alike, with every check that needs no server (exit code 2, one line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from octoci.errors import InputError

if TYPE_CHECKING:
    from octoci.config import ResolvedConfig
    from octoci.octopus.executions import DeployRequest, ReleaseRequest
    from octoci.settings.table import Settings

__all__ = [
    "check_no_deploy_options",
    "deploy_request",
    "given_deploy_options",
    "given_release_options",
    "masked_request_body",
    "parse_when",
    "release_request",
]

#: A pre-release tag as Octopus's versions write one (``beta``, ``rc.1``).
_PRERELEASE_TAG = re.compile(r"^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$")


def parse_when(text: str, flag: str) -> str:
    """An ISO 8601 date and time, with the local offset when it has none (``""`` stays ``""``)."""
    text = text.strip()
    if not text:
        return ""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{flag} {text!r} is not an ISO 8601 date and time (e.g. 2026-12-01T22:00:00+01:00)"
        ) from None
    return (when if when.tzinfo else when.astimezone()).isoformat()


def _project(settings: Settings) -> str:
    if not settings.project.strip():
        raise InputError("name the project: --project, OCTOCI_PROJECT or project in octoci.toml")
    return settings.project.strip()


def _names(items: Sequence[str], flag: str) -> tuple[str, ...]:
    names = tuple(item.strip() for item in items)
    if any(not name for name in names):
        raise InputError(f"{flag} needs a name; an empty one was given")
    return names


def _release_notes(config: ResolvedConfig) -> str:
    from octoci.files import read_text_file

    settings = config.settings
    if not settings.release_notes_file:
        return settings.release_notes
    if settings.release_notes:
        raise InputError("pass --release-notes or --release-notes-file, not both")
    return read_text_file(config.path_of(settings.release_notes_file), "the release notes file")


def _git_resources(items: Sequence[str]) -> tuple[str, ...]:
    for spec in items:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            raise InputError(
                f"--git-resource {spec!r}: write STEP:REF (e.g. 'Run Script:refs/heads/main') "
                "or STEP:RESOURCE:REF"
            )
    return tuple(items)


def release_request(config: ResolvedConfig, *, version: str, **fixed: Any) -> ReleaseRequest:
    """The release the settings describe, at ``version``; ``fixed`` are the request's fields that
    do not come from the settings table (``packages``, ``package_version``, the build's Git
    reference ...). Checked: exit code 2 on the first problem."""
    from octoci.octopus.executions import ReleaseRequest, parse_variables, validate_release_request

    settings = config.settings
    prerelease = settings.package_prerelease.strip()
    if prerelease and not _PRERELEASE_TAG.match(prerelease):
        raise InputError(
            f"--package-prerelease {prerelease!r} is not a pre-release tag (e.g. beta or rc.1)"
        )
    request = ReleaseRequest(
        project=_project(settings),
        version=version.strip(),
        channel=settings.channel.strip(),
        release_notes=_release_notes(config),
        ignore_if_exists=settings.release_exists == "use",
        git_ref=settings.git_ref.strip(),
        git_commit=settings.git_commit.strip(),
        ignore_channel_rules=settings.ignore_channel_rules,
        custom_fields=parse_variables(settings.custom_fields, "--custom-field"),
        git_resources=_git_resources(settings.git_resources),
        package_prerelease=prerelease,
        **fixed,
    )
    validate_release_request(request)
    return request


def given_release_options(settings: Settings) -> list[str]:
    """The flags of the release options ``settings`` sets (beyond project, version, channel and
    packages): what only a release octoci creates can carry."""
    given = {
        "--release-notes": settings.release_notes,
        "--release-notes-file": settings.release_notes_file,
        "--ignore-channel-rules": settings.ignore_channel_rules,
        "--custom-field": settings.custom_fields,
        "--git-resource": settings.git_resources,
        "--package-prerelease": settings.package_prerelease,
    }
    return [flag for flag, value in given.items() if value]


def given_deploy_options(settings: Settings, *, tenants: bool = True) -> list[str]:
    """The flags of the deployment options ``settings`` sets (``tenants=False``: but the tenants
    and tenant tags)."""
    given = {
        "--tenant": tenants and settings.tenants,
        "--tenant-tag": tenants and settings.tenant_tags,
        "--variable": settings.variables,
        "--guided-failure": settings.guided_failure is not None,
        "--force-package-download": settings.force_package_download,
        "--deploy-at": settings.deploy_at,
        "--deploy-at-expiry": settings.deploy_at_expiry,
        "--skip": settings.skip_steps,
        "--deployment-target": settings.deployment_targets,
        "--exclude-deployment-target": settings.excluded_targets,
        "--update-variables": settings.update_variables,
        "--deployment-freeze-name": settings.freeze_names,
        "--deployment-freeze-override-reason": settings.freeze_reason,
    }
    return [flag for flag, value in given.items() if value]


def check_no_deploy_options(config: ResolvedConfig, target_flag: str) -> None:
    """Refuse deployment options when nothing is deployed: they would be dropped in silence."""
    given = given_deploy_options(config.settings)
    if given:
        raise InputError(
            f"deployment options need {target_flag}: {', '.join(given)} given without it"
        )


def deploy_request(
    config: ResolvedConfig, environments: Sequence[str], *, version: str = ""
) -> DeployRequest:
    """The deployment (or runbook run) the settings describe, to ``environments`` of release
    ``version``. Checked: exit code 2 on the first problem."""
    from octoci.octopus.executions import DeployRequest, parse_variables

    settings = config.settings
    run_at = parse_when(settings.deploy_at, "--deploy-at")
    no_run_after = parse_when(settings.deploy_at_expiry, "--deploy-at-expiry")
    if no_run_after and not run_at:
        raise InputError("--deploy-at-expiry needs --deploy-at (it is when a queued task expires)")
    if no_run_after and datetime.fromisoformat(no_run_after) <= datetime.fromisoformat(run_at):
        raise InputError(
            f"--deploy-at-expiry {settings.deploy_at_expiry} is not after --deploy-at "
            f"{settings.deploy_at}"
        )
    targets = _names(settings.deployment_targets, "--deployment-target")
    excluded = _names(settings.excluded_targets, "--exclude-deployment-target")
    both = sorted({t.lower() for t in targets} & {t.lower() for t in excluded})
    if both:
        raise InputError(
            f"deployment target {', '.join(both)} is both in --deployment-target and "
            "--exclude-deployment-target; name it in one of them"
        )
    freezes = _names(settings.freeze_names, "--deployment-freeze-name")
    reason = settings.freeze_reason.strip()
    if freezes and not reason:
        raise InputError(
            "--deployment-freeze-name needs --deployment-freeze-override-reason (Octopus records "
            "why a freeze was overridden)"
        )
    if reason and not freezes:
        raise InputError(
            "--deployment-freeze-override-reason needs --deployment-freeze-name (the freezes to "
            "override)"
        )
    return DeployRequest(
        project=_project(settings),
        environments=tuple(e for e in environments if e.strip()),
        release_version=version,
        tenants=settings.tenants,
        tenant_tags=settings.tenant_tags,
        variables=parse_variables(settings.variables),
        guided_failure=settings.guided_failure,
        force_package_download=settings.force_package_download,
        run_at=run_at,
        skip_steps=_names(settings.skip_steps, "--skip"),
        specific_machines=targets,
        excluded_machines=excluded,
        no_run_after=no_run_after,
        update_variable_snapshot=settings.update_variables,
        freeze_names=freezes,
        freeze_reason=reason,
    )


def masked_request_body(body: Any) -> Any:
    """A request body as it may be shown (a dry run's requests): prompted variables' values
    masked, as they may be secrets; a body that is not a JSON object is shown as it is."""
    if not isinstance(body, Mapping):
        return body
    shown = dict(body)
    if isinstance(shown.get("Variables"), Mapping):
        shown["Variables"] = dict.fromkeys(shown["Variables"], "***")
    return shown
