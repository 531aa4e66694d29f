"""The steps of a run: one small module per phase, shared by every command.

A :class:`~octoci.steps.plan.Plan` is an ordered list of steps; each step takes its typed inputs
(a frozen dataclass), adds what it did to the :class:`~octoci.model.RunReport` and reports only
through the one :class:`~octoci.steps.reporter.Reporter` (result lines, ``[n/total]`` log groups,
the live status line, warnings, the ``--json`` document, outputs and summary). ``octoci push``
runs a one-step plan, ``octoci release create --deploy-to`` a two-step plan, ``octoci publish``
the many-step plan :mod:`octoci.publish.pipeline` builds.

* :mod:`~octoci.steps.pack` - write packages;
* :mod:`~octoci.steps.push` - push package files;
* :mod:`~octoci.steps.build_info` - push build information;
* :mod:`~octoci.steps.release` - create a release;
* :mod:`~octoci.steps.deploy` - deploy, promote, run a runbook;
* :mod:`~octoci.steps.wait` - wait for server tasks.

Importing this package imports nothing heavy; the step modules import the Octopus client.
"""

from __future__ import annotations
