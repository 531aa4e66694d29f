"""A connection for ``--dry-run``: reads go to the real server, writes are recorded, never sent.

The steps (:mod:`octoci.steps`) call the very client functions they call for real
(``create_release``, ``deploy_release``, ``push_build_information``) on a
:class:`DryRunConnection`, so the payloads a dry run prints are exactly the ones a real run
sends, and every lookup those functions make (project, channel, environments, tenants, existing
releases) runs against the server. Package uploads are compared with the stored packages instead
(:func:`octoci.octopus.packages.predict_push`) and recorded with :meth:`record_upload`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from octoci.errors import OctociError
from octoci.octopus.connection import Connection

__all__ = ["DRY_RUN_MARK", "DryRunConnection", "RecordedRequest"]

#: Marks the ids a dry run makes up (``Releases-dry-run-1``); never sent to the server.
DRY_RUN_MARK = "dry-run"
_READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class RecordedRequest:
    """A request a real run would send."""

    method: str
    path: str
    params: Mapping[str, Any]
    body: Any
    what: str

    def to_json(self) -> dict[str, Any]:
        """The ``--dry-run`` listing of this request."""
        data: dict[str, Any] = {"Method": self.method, "Path": self.path}
        if self.params:
            data["Query"] = dict(self.params)
        data["Body"] = self.body
        return data


class DryRunConnection(Connection):
    """Shares the real connection's session, settings and caches; refuses to change anything.

    Example::

        dry = DryRunConnection(connection)
        create_release(dry, request)       # looks the project up, records the POST
        dry.recorded[0].body               # the exact release payload
    """

    def __init__(self, real: Connection) -> None:
        # Resolve the space on the real connection first, so both see the same cached answer.
        real.root()
        real.space_id()
        # Deliberately no super().__init__(): this object *is* the real connection's state,
        # with the writing methods replaced.
        self.__dict__.update(real.__dict__)
        self.recorded: list[RecordedRequest] = []
        self._ids = itertools.count(1)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Reads pass through; anything else is a bug in the dry run and stops it."""
        if method.upper() not in _READS:
            raise OctociError(
                f"internal error: the dry run tried to send {method} {path}; nothing was changed"
            )
        return super().request(method, path, **kwargs)

    def post_json(self, path: str, body: Any, **options: Any) -> Any:
        """Record the POST (``what`` and ``params`` as the real one takes them; nothing is sent)
        and answer as Octopus would, with made-up ``dry-run`` ids."""
        params = dict(options.get("params") or {})
        self.recorded.append(RecordedRequest("POST", path, params, body, str(options["what"])))
        number = next(self._ids)
        if path.endswith("/releases/create/v1"):
            version = str(body.get("ReleaseVersion") or f"{DRY_RUN_MARK}-{number}")
            return {"ReleaseId": f"Releases-{DRY_RUN_MARK}-{number}", "ReleaseVersion": version}
        if "/deployments/create/" in path:
            environments = body.get("EnvironmentNames") or [body.get("EnvironmentName")]
            return {
                "DeploymentServerTasks": [
                    {
                        "ServerTaskId": f"ServerTasks-{DRY_RUN_MARK}-{number}-{index}",
                        "DeploymentId": f"Deployments-{DRY_RUN_MARK}-{number}-{index}",
                    }
                    for index, _ in enumerate(environments, start=1)
                ]
            }
        if path.endswith("/build-information"):
            return {"Id": f"BuildInformation-{DRY_RUN_MARK}-{number}", **body}
        return {}

    def record_upload(
        self, file_name: str, size: int, sha1: str, params: Mapping[str, Any]
    ) -> None:
        """Record the package upload a real run would send (the file's name, size and SHA-1
        stand for the multipart body)."""
        body = {"multipart/form-data": {"file": file_name, "Size": size, "Sha1": sha1}}
        self.recorded.append(
            RecordedRequest(
                "POST", self.space_path("/packages/raw"), dict(params), body, f"pushing {file_name}"
            )
        )

    def get_json(self, path: str, *, what: str, params: Mapping[str, Any] | None = None) -> Any:
        """Reads go to the server, except looking up the deployments this dry run made up."""
        ids = str((params or {}).get("ids", ""))
        if DRY_RUN_MARK in ids:
            return {"Items": []}
        return super().get_json(path, what=what, params=params)

    def close(self) -> None:
        """The real connection owns the session; its owner closes it."""
