"""Gitea Actions and Forgejo Actions: GitHub-compatible runners on a self-hosted forge.

Both runners set ``GITHUB_ACTIONS=true`` and the ``GITHUB_*`` variables, the event payload file
and the ``$GITHUB_OUTPUT``/``$GITHUB_ENV``/``$GITHUB_STEP_SUMMARY`` files, and read the same
workflow commands, so the adapters reuse the GitHub Actions adapter and change only what the
forges do differently:

* detection: Gitea's act_runner adds ``GITEA_ACTIONS=true``; the Forgejo runner adds
  ``FORGEJO_ACTIONS=true`` and ``GITEA_ACTIONS=true`` both (so Forgejo is checked first);
* the run's page: Forgejo serves ``/{owner}/{repo}/actions/runs/{run number}``; current Gitea
  resolves ``/actions/runs/{id}`` by the run's id first (older Gitea, 1.21, took the number);
* commits: the push payload's ``commits`` (Gitea's webhook payload), else git; GitHub's REST
  API is not Gitea's, so the GitHub compare API is never called;
* secrets: ``GITEA_TOKEN``/``FORGEJO_TOKEN`` beside ``GITHUB_TOKEN``;
* OIDC ID tokens: the Forgejo runner serves GitHub's token endpoint
  (``ACTIONS_ID_TOKEN_REQUEST_URL``/``ACTIONS_ID_TOKEN_REQUEST_TOKEN``, ``&audience=``, answering
  ``{"value": ...}``) to a workflow or job with ``enable-openid-connect: true``
  (https://forgejo.org/docs/next/user/actions/security-openid-connect); Gitea has no such endpoint
  yet (go-gitea/gitea#26383 is open; #39052 proposes it under ``permissions: id-token: write``),
  so a Gitea job sees the variables only on a Gitea that adds it, and is read the same way.

Sources: https://docs.gitea.com/usage/actions/comparison (compatibility),
https://forgejo.org/docs/latest/user/actions/reference/ (contexts and variables), the Forgejo
runner's ``internal/app/run/runner.go`` (its marker variables), go-gitea/gitea#28621 and
shaftoe/pi-coding-agent-action#347 (run URLs).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import ClassVar

from octoci.model import BuildInformation, Commit
from octoci_plugins._env import first_value, is_true
from octoci_plugins.github_actions.adapter import SECRET_VARIABLES, GitHubActions
from octoci_plugins.github_actions.commits import commits_from_push_payload
from octoci_plugins.github_actions.oidc import request_id_token

__all__ = ["ForgejoActions", "GiteaActions"]

log = logging.getLogger("octoci")


class GiteaActions(GitHubActions):
    """Gitea Actions (Gitea 1.19+ with act_runner).

    Example::

        server = GiteaActions(os.environ, sys.stdout)
        server.build_information().build_url
        # 'https://gitea.acme.example/acme/shop/actions/runs/311'
    """

    name: ClassVar[str] = "gitea_actions"
    display_name: ClassVar[str] = "Gitea Actions"
    extra: ClassVar[str | None] = "gitea"
    docs_url: ClassVar[str] = "https://docs.gitea.com/usage/actions/comparison"
    #: This forge's own token variable, beside the GitHub-compatible ``GITHUB_TOKEN``.
    token_variables: ClassVar[tuple[str, ...]] = ("GITEA_TOKEN",)
    #: The variable whose value is in the URL of the run's page.
    run_url_variable: ClassVar[str] = "GITHUB_RUN_ID"
    #: What a job must declare for the runner to hand it the ID-token endpoint.
    id_token_hint: ClassVar[str] = (
        "does this Gitea issue ID tokens to Actions jobs, and does the job have "
        "'permissions: id-token: write'?"
    )

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``GITHUB_ACTIONS=true`` with ``GITEA_ACTIONS=true`` and no ``FORGEJO_ACTIONS``."""
        return (
            is_true(env, "GITHUB_ACTIONS")
            and is_true(env, "GITEA_ACTIONS")
            and not is_true(env, "FORGEJO_ACTIONS")
        )

    def build_information(self) -> BuildInformation:
        """The GitHub-compatible fields, with the run's URL on this forge (its server URL)."""
        info = super().build_information()
        run = first_value(self.env, self.run_url_variable)
        repo_url = info.vcs_root
        return info.replace(build_url=f"{repo_url}/actions/runs/{run}" if repo_url and run else "")

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """A push's commits from the event payload; otherwise ``None``: git over the payload's
        range (``before..after``, a pull request's base to head), or since the previous tag."""
        if self.event_name == "push" and not info.tag:
            listed = commits_from_push_payload(self.payload)
            if listed:
                # GitHub lists a push's commits oldest first; Gitea puts the head commit first.
                if listed[-1].id == info.vcs_commit_number and len(listed) > 1:
                    listed = listed[::-1]
                return [Commit(c.id, c.comment.rstrip("\n")) for c in listed]
            if listed is not None:
                return listed
        return None

    def id_token(self, audience: str) -> str | None:
        """An OIDC ID token from the forge's token endpoint (GitHub's protocol), masked; ``None``
        when the runner gave the job no endpoint."""
        token = request_id_token(
            self.env, audience, server=self.display_name, hint=self.id_token_hint
        )
        if token:
            self.mask(token)
        return token

    def secrets(self) -> list[str]:
        """The forge's job token (under each name the runner gives it) and the OIDC request
        token: the runner masks its secrets in the log, octoci must not write them either."""
        return self.secret_values(*SECRET_VARIABLES, *self.token_variables)


class ForgejoActions(GiteaActions):
    """Forgejo Actions (Forgejo with the Forgejo runner; Codeberg).

    Example::

        server = ForgejoActions(os.environ, sys.stdout)
        server.build_information().build_url
        # 'https://codeberg.org/acme/shop/actions/runs/57'
    """

    name: ClassVar[str] = "forgejo_actions"
    display_name: ClassVar[str] = "Forgejo Actions"
    extra: ClassVar[str | None] = "forgejo"
    docs_url: ClassVar[str] = "https://forgejo.org/docs/latest/user/actions/reference/"
    token_variables: ClassVar[tuple[str, ...]] = ("FORGEJO_TOKEN", "GITEA_TOKEN")
    run_url_variable: ClassVar[str] = "GITHUB_RUN_NUMBER"
    id_token_hint: ClassVar[str] = "does the workflow or job have 'enable-openid-connect: true'?"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``GITHUB_ACTIONS=true`` with ``FORGEJO_ACTIONS=true`` (Forgejo runner 7.0+)."""
        return is_true(env, "GITHUB_ACTIONS") and is_true(env, "FORGEJO_ACTIONS")
