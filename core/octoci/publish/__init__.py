"""``octoci publish``: from build output to a deployed release in one step.

* :mod:`octoci.publish.pipeline` - plan, check the server, pack, push, build information,
  release, deploy, wait, promote;
* :mod:`octoci.publish.dryrun` - the connection ``--dry-run`` uses: reads pass, writes recorded;
* :mod:`octoci.publish.emulated` - the embedded emulator of ``--emulator``.

Settings come from :mod:`octoci.config`. Importing this package imports nothing heavy; the
modules above import the Octopus client (``requests``).
"""

from __future__ import annotations
