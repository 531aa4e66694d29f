"""What the core contributes to a run's output variables and job summary, from a :class:`RunReport`."""

from __future__ import annotations

import json

from octoci.model import RunReport

__all__ = ["format_size", "report_outputs", "report_summary"]


def format_size(size: int) -> str:
    """A byte count for people: ``1.5 MiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def report_outputs(report: RunReport) -> dict[str, str]:
    """Output variables: the packages (the first one also singly, for the common one-package job),
    the build information's version, the release, each deployment's state and the server tasks
    (``server_task_ids`` for ``octoci task wait``, ``server_tasks`` as JSON)."""
    outputs: dict[str, str] = {}
    if report.space:
        outputs["octopus_space"] = report.space
    if report.packages:
        first = report.packages[0]
        outputs["package_id"] = first.id
        outputs["package_version"] = first.version
        outputs["package_path"] = first.path.as_posix()
        outputs["package_ids"] = ",".join(p.id for p in report.packages)
        outputs["package_files"] = ",".join(p.path.name for p in report.packages)
    if report.release is not None:
        outputs["release_version"] = report.release.version
        if report.release.url:
            outputs["release_url"] = report.release.url
    if report.build_information_records:
        outputs["build_information_version"] = report.build_information_records[0].version
    if report.deployments:
        outputs["deployment_states"] = ",".join(
            f"{d.environment}{'/' + d.tenant if d.tenant else ''}={d.state}"
            for d in report.deployments
        )
        outputs["server_task_ids"] = ",".join(d.task_id for d in report.deployments)
        # The official deploy action's shape, camelCase.
        outputs["server_tasks"] = json.dumps(
            [
                {
                    "serverTaskId": d.task_id,
                    "environmentName": d.environment,
                    "tenantName": d.tenant,
                }
                for d in report.deployments
            ]
        )
    return outputs


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_summary(report: RunReport) -> str | None:
    """A Markdown summary: packages, build information, release and deployments."""
    sections: list[str] = []
    if report.packages:
        rows = ["| Package | Version | Size | Result |", "| --- | --- | --- | --- |"]
        for p in report.packages:
            result = {True: "pushed", False: "already there", None: "packed"}[p.pushed]
            if p.delta and p.size:
                result += f" (delta, {format_size(p.bytes_sent)} sent)"
            rows.append(
                f"| {_cell(p.id)} | {_cell(p.version)} | {format_size(p.size)} | {result} |"
            )
        sections.append("\n".join(rows))
    if report.build_information is not None and report.build_information_pushed:
        info = report.build_information
        sections.append(
            f"Build information for {', '.join(report.build_information_pushed)}: "
            f"build {info.build_number or '?'} on {info.branch or '?'}, "
            f"{len(info.commits)} commit{'s' if len(info.commits) != 1 else ''}."
        )
    if report.release is not None:
        r = report.release
        name = f"[{r.project} {r.version}]({r.url})" if r.url else f"{r.project} {r.version}"
        sections.append(f"Release {name} {r.created_by}.")
    if report.deployments:
        rows = ["| Environment | Tenant | State |", "| --- | --- | --- |"]
        for d in report.deployments:
            env = f"[{_cell(d.environment)}]({d.url})" if d.url else _cell(d.environment)
            rows.append(f"| {env} | {_cell(d.tenant) or '-'} | {_cell(d.state) or '-'} |")
        sections.append("\n".join(rows))
    if report.warnings:
        sections.append("\n".join(f"- ⚠ {_cell(w)}" for w in report.warnings))
    if not sections:
        return None
    return "### Octopus Deploy\n\n" + "\n\n".join(sections) + "\n"
