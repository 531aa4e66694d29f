"""``octoci publish``: from build output to a deployed release in one step.

* :mod:`octoci.publish.pipeline` - the plan from the settings (version, package jobs, files),
  as the many-step plan of :mod:`octoci.steps`;
* :mod:`octoci.publish.emulated` - the embedded emulator of ``--emulator``.

The pre-flight and the dry-run connection are Octopus talk and live in :mod:`octoci.octopus`.

Settings come from :mod:`octoci.config`. Importing this package imports nothing heavy; the
modules above import the Octopus client (``requests``).
"""

from __future__ import annotations
