"""What the core contributes to a run's output variables and job summary, from a :class:`RunReport`."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence

from octoci.files import display_path
from octoci.model import Deployment, RunReport

__all__ = [
    "FINAL_TASK_STATES",
    "aligned_columns",
    "format_size",
    "outputs_line",
    "report_outputs",
    "report_summary",
    "status_text",
    "summary_as_text",
]


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
    (``server_task_ids`` for ``octoci task wait``, ``server_tasks`` as JSON).

    The official tools' names come alongside octoci's own, so that a pipeline migrating from them
    reads the same outputs: ``package_file_path`` and ``package_filename`` (the pack actions),
    ``release_number`` (create-release), ``server_tasks`` (the deploy and runbook actions) and,
    once every task has ended, ``task_state`` (await-task) and ``completed_successfully``.
    """
    outputs: dict[str, str] = {}
    if report.space:
        outputs["octopus_space"] = report.space
    if report.packages:
        first = report.packages[0]
        outputs["package_id"] = first.id
        outputs["package_version"] = first.version
        # Paths as printable text: a folder name that is not UTF-8 cannot be an output as it is.
        outputs["package_path"] = display_path(first.path.as_posix())
        outputs["package_ids"] = ",".join(p.id for p in report.packages)
        outputs["package_files"] = ",".join(display_path(p.path.name) for p in report.packages)
        # The official pack actions' names: the full path, and the file name alone.
        outputs["package_file_path"] = display_path(first.path.absolute())
        outputs["package_filename"] = display_path(first.path.name)
    if report.release is not None:
        outputs["release_version"] = report.release.version
        outputs["release_number"] = report.release.version  # the create-release action's name
        if report.release.url:
            outputs["release_url"] = report.release.url
    if report.build_information_records:
        outputs["build_information_version"] = report.build_information_records[0].version
    if report.deployments:
        outputs["deployment_states"] = ",".join(
            # A task that deploys nothing (octoci task wait on any task) is named by its id.
            f"{d.environment or d.task_id}{'/' + d.tenant if d.tenant else ''}={d.state}"
            for d in report.deployments
        )
        outputs["server_task_ids"] = ",".join(d.task_id for d in report.deployments)
        # The official deploy and runbook actions' shape, camelCase; tenantName only for a
        # tenanted deployment, as the run-runbook action gives it.
        outputs["server_tasks"] = json.dumps(
            [
                {
                    "serverTaskId": d.task_id,
                    "environmentName": d.environment,
                    **({"tenantName": d.tenant} if d.tenant else {}),
                }
                for d in report.deployments
            ]
        )
        outputs.update(_final_task_outputs(report.deployments))
    return outputs


#: The states a task ends in (Octopus's ``TaskState``, as the await-task action names them).
FINAL_TASK_STATES = frozenset({"Success", "Failed", "Canceled", "TimedOut"})


def _final_task_outputs(deployments: Sequence[Deployment]) -> dict[str, str]:
    """``task_state`` and ``completed_successfully`` once every task has ended (nothing while
    one is still queued or running: an unfinished state is no answer to "did it work?").

    With several tasks ``task_state`` is ``Success`` only when all succeeded, else the state of
    the first that did not, so a condition on ``task_state == 'Success'`` means every task.
    """
    states = [d.state for d in deployments]
    if not states or not all(state in FINAL_TASK_STATES for state in states):
        return {}
    unsuccessful = [state for state in states if state != "Success"]
    return {
        "task_state": unsuccessful[0] if unsuccessful else "Success",
        "completed_successfully": "false" if unsuccessful else "true",
    }


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


# ---------------------------------------------------------------------------------- terminal
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_SEPARATOR_ROW = re.compile(r"^\|(\s*:?-+:?\s*\|)+$")


def summary_as_text(markdown: str) -> str:
    """The job summary (the Markdown :func:`report_summary` and plugins write) as plain text for a
    terminal: headings as lines, tables with aligned columns (a link's address at the end of
    its row), links in text as ``text (address)``, the rest as it is."""
    lines: list[str] = []
    table: list[list[str]] = []
    for line in markdown.rstrip("\n").splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            if not _SEPARATOR_ROW.match(stripped.replace(" ", "")):
                table.append(_table_cells(stripped))
            continue
        if table:
            lines.extend(aligned_columns(table))
            table = []
        heading = stripped.lstrip("#")
        if stripped.startswith("#") and heading.startswith(" "):
            lines.append(heading.strip())
        else:
            lines.append(_LINK.sub(r"\1 (\2)", line))
    lines.extend(aligned_columns(table))
    return "\n".join(lines) + "\n"


def _table_cells(row: str) -> list[str]:
    """One table row's cells, unescaped; the row's link addresses as a last cell."""
    cells = [c.strip().replace("\x00", "|") for c in row.replace("\\|", "\x00")[1:-1].split("|")]
    addresses = [m.group(2) for c in cells for m in _LINK.finditer(c)]
    cells = [_LINK.sub(r"\1", c) for c in cells]
    return [*cells, *addresses]


def aligned_columns(rows: list[list[str]]) -> list[str]:
    """Rows of cells as lines with aligned columns (two spaces between), for a terminal."""
    widths = [
        max(len(r[i]) if i < len(r) else 0 for r in rows)
        for i in range(max(map(len, rows), default=0))
    ]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]


def outputs_line(outputs: Mapping[str, str]) -> str:
    """The output variables as one line for a terminal: ``outputs: release_version=1.2.3 ...``
    (a value with spaces or quotes quoted as a shell would)."""
    return "outputs: " + " ".join(f"{name}={shlex.quote(value)}" for name, value in outputs.items())


def status_text(report: RunReport) -> str | None:
    """The one line a build server shows as the build's status (TeamCity's ``buildStatus``,
    Azure's ``task.complete``, AppVeyor's and Continua's messages): what the run did, in the
    order it did it.

    ``Released Shop 1.2.3; Dev: Success, Test: Failed`` for a release and its deployments; else
    the packages (``Pushed Acme.Web 1.2.3``, ``Pushed 3 packages``) or the build information.
    ``None`` when the run did nothing to tell (a dry run, a failure before any result).
    """
    if report.dry_run:
        return None
    parts: list[str] = []
    if report.release is not None:
        r = report.release
        parts.append(f"{'Released' if r.created else 'Release'} {r.project} {r.version}")
    elif report.packages:
        parts.append(_packages_status(report))
    elif report.build_information_pushed:
        parts.append(f"Build information for {', '.join(report.build_information_pushed)}")
    if report.deployments:
        parts.append(
            ", ".join(
                f"{d.environment or d.task_id}{' / ' + d.tenant if d.tenant else ''}: "
                f"{d.state or 'Queued'}"
                for d in report.deployments
            )
        )
    text = "; ".join(part for part in parts if part)
    return " ".join(text.split()) or None


def _packages_status(report: RunReport) -> str:
    """``Pushed Acme.Web 1.2.3`` (one package), ``Pushed 3 packages`` (several), with ``Packed``
    when none was pushed and the packages that failed counted."""
    packages = report.packages
    verb = "Packed" if all(p.pushed is None for p in packages) else "Pushed"
    text = (
        f"{verb} {packages[0].id} {packages[0].version}"
        if len(packages) == 1
        else f"{verb} {len(packages)} packages"
    )
    if report.failed_packages:
        text += f", {len(report.failed_packages)} failed"
    return text
