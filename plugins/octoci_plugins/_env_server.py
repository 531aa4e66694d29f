"""What the adapters added for issue 17 share: reading stripped variables, and outputs through a
shell file the job sources (the way to hand values to a later command or step on servers that
take variables from the job's shell: AWS CodeBuild ``exported-variables``, Harness
``outputVariables``, Semaphore and Buddy commands run in one shell).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from octoci.server import CIServer
from octoci_plugins._env import first_value
from octoci_plugins.circleci.outputs import append_export

__all__ = ["ENV_FILE_NAME", "ENV_FILE_VARIABLE", "EnvServer", "sourced_env_file"]

log = logging.getLogger("octoci")

#: Where outputs go for servers that read them from the job's shell (``. ./octoci.env``).
ENV_FILE_VARIABLE = "OCTOCI_ENV_FILE"
ENV_FILE_NAME = "octoci.env"


def sourced_env_file(env: Mapping[str, str], base: Path) -> Path:
    """``OCTOCI_ENV_FILE`` (relative to ``base``), else ``octoci.env`` in ``base``."""
    chosen = env.get(ENV_FILE_VARIABLE, "").strip()
    path = Path(chosen) if chosen else Path(ENV_FILE_NAME)
    return path if path.is_absolute() else base / path


class EnvServer(CIServer):
    """A :class:`CIServer` with the helpers every adapter here uses; still abstract."""

    def _get(self, *names: str) -> str:
        """The first of ``names`` that is set and not blank, stripped; ``""`` when none is."""
        return first_value(self.env, *names)

    def _workspace(self) -> Path:
        """The folder outputs and summaries are written to (default: the working directory)."""
        return self.cwd

    def _source_outputs(self, name: str, value: str) -> None:
        """``export name='value'`` appended to the env file, which the job sources
        (``. ./octoci.env``) to have the value in its shell. A secret is left out with a
        warning: the file is a plain file in the workspace, which later steps may publish."""
        if self.redact(value) != value:
            log.warning(
                "output %s holds a secret, which octoci keeps out of %s; run octoci in the "
                "step that needs it",
                name,
                ENV_FILE_NAME,
            )
            return
        append_export(sourced_env_file(self.env, self._workspace()), name, value)
