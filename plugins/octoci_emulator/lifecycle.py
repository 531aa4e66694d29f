"""Lifecycle progression: which phases a release has completed, where it may be deployed next,
and which environments deploy automatically.

A phase is complete when at least ``MinimumEnvironmentsBeforePromotion`` of its environments (all
of them when that is 0) have a successful deployment of the release. The first incomplete
mandatory phase is *Current*; later phases are *Pending* and closed to deployment. A lifecycle
without phases has one implicit phase per environment, in environment order (Octopus's Default
Lifecycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from octoci_emulator.resources import public
from octoci_emulator.store import Document, Store

__all__ = ["PhaseState", "Progression", "progression"]


@dataclass(frozen=True)
class PhaseState:
    """One phase of a release's progression."""

    phase: Document
    progress: str
    deployed: frozenset[str]
    #: ``(deployment, task)`` of every deployment of the release to the phase's environments.
    deployments: tuple[tuple[Document, Document], ...] = field(default=())

    @property
    def environments(self) -> list[str]:
        """Every environment id of the phase, automatic ones first."""
        return [*self.phase["AutomaticDeploymentTargets"], *self.phase["OptionalDeploymentTargets"]]


@dataclass(frozen=True)
class Progression:
    """A release's position in its lifecycle."""

    lifecycle: Document
    phases: list[PhaseState]

    def allowed(self, environment_id: str) -> bool:
        """True when the lifecycle lets the release be deployed to ``environment_id`` now."""
        return any(environment_id in p.environments for p in self.phases if p.progress != "Pending")

    def phase_of(self, environment_id: str) -> PhaseState | None:
        """The first phase that contains ``environment_id``."""
        return next((p for p in self.phases if environment_id in p.environments), None)

    def blocking_phase(self) -> PhaseState | None:
        """The phase that must be completed before the pending ones open."""
        return next(
            (p for p in self.phases if p.progress == "Current" and not p.phase["IsOptionalPhase"]),
            None,
        )

    def automatic_targets(self) -> list[str]:
        """Automatic environments of open phases that have no deployment of the release yet."""
        return [
            env
            for p in self.phases
            if p.progress != "Pending"
            for env in p.phase["AutomaticDeploymentTargets"]
            if env not in p.deployed
        ]

    def next_deployments(self) -> list[str]:
        """Environments of the current phases not yet deployed (Octopus's ``NextDeployments``)."""
        return [
            env
            for p in self.phases
            if p.progress == "Current"
            for env in p.environments
            if env not in p.deployed
        ]

    def resource(self) -> Document:
        """The ``LifecycleProgressionResource`` JSON."""
        current = self.blocking_phase()
        return {
            "Phases": [
                {
                    "Id": p.phase["Id"],
                    "Name": p.phase["Name"],
                    "Blocked": False,
                    "Progress": p.progress,
                    "AutomaticDeploymentTargets": p.phase["AutomaticDeploymentTargets"],
                    "OptionalDeploymentTargets": p.phase["OptionalDeploymentTargets"],
                    "MinimumEnvironmentsBeforePromotion": p.phase[
                        "MinimumEnvironmentsBeforePromotion"
                    ],
                    "IsOptionalPhase": p.phase["IsOptionalPhase"],
                    # PhaseDeploymentResource: the deployment and its task, as Octopus answers.
                    "Deployments": [
                        {"Deployment": public(deployment), "Task": public(task)}
                        for deployment, task in p.deployments
                    ],
                }
                for p in self.phases
            ],
            "NextDeployments": self.next_deployments(),
            "NextDeploymentsMinimumRequired": _required(current.phase) if current else 0,
            "Links": {},
        }


def _required(phase: Document) -> int:
    total = len(phase["AutomaticDeploymentTargets"]) + len(phase["OptionalDeploymentTargets"])
    minimum = int(phase["MinimumEnvironmentsBeforePromotion"])
    return min(minimum, total) if minimum else total


def _phases(store: Store, lifecycle: Document) -> list[Document]:
    if lifecycle["Phases"]:
        return list(lifecycle["Phases"])
    environments = sorted(
        store.list("environment", lifecycle["SpaceId"]), key=lambda e: (e["SortOrder"], e["Id"])
    )
    return [
        {
            "Id": f"{lifecycle['Id']}-{env['Id']}",
            "Name": env["Name"],
            "AutomaticDeploymentTargets": [],
            "OptionalDeploymentTargets": [env["Id"]],
            "MinimumEnvironmentsBeforePromotion": 0,
            "IsOptionalPhase": False,
        }
        for env in environments
    ]


def progression(store: Store, release: Document, lifecycle: Document) -> Progression:
    """Where ``release`` stands in ``lifecycle``, from its successful deployments."""
    succeeded: set[str] = set()
    by_environment: dict[str, list[tuple[Document, Document]]] = {}
    for deployment in store.list(
        "deployment", release["SpaceId"], lambda d: d["ReleaseId"] == release["Id"]
    ):
        task = store.get("task", deployment["TaskId"])
        if task is None:
            continue
        by_environment.setdefault(deployment["EnvironmentId"], []).append((deployment, task))
        if task["State"] == "Success":
            succeeded.add(deployment["EnvironmentId"])
    states = []
    closed = False
    for phase in _phases(store, lifecycle):
        envs = [*phase["AutomaticDeploymentTargets"], *phase["OptionalDeploymentTargets"]]
        deployed = frozenset(e for e in envs if e in succeeded)
        complete = len(deployed) >= _required(phase)
        if closed:
            progress = "Pending"
        else:
            progress = "Complete" if complete else "Current"
            if not complete and not phase["IsOptionalPhase"]:
                closed = True
        deployments = tuple(d for e in envs for d in by_environment.get(e, []))
        states.append(PhaseState(phase, progress, deployed, deployments))
    return Progression(lifecycle, states)
