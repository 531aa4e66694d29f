#!/bin/bash
# octoci's Continua CI step for Linux agents: publish to Octopus Deploy with octoci (pinned
# release 0.1.0). Use it as the script of a Shell action (or run it with bash from an Execute
# Program action). It must run under bash: Debian's and Ubuntu's /bin/sh (dash) drops every
# variable whose name has a dot, and Continua names its variables ContinuaCI.*.
#
# Inputs are configuration variables passed to the environment under octoci's own names:
# OCTOPUS_URL, OCTOPUS_API_KEY (a secure variable), and any OCTOCI_* setting (OCTOCI_DEPLOY_TO,
# OCTOCI_PROJECT, ...); octoci.toml in the workspace does the rest. octoci sets its outputs with
# @@continua[setBuildVariable]: define release_version, release_url and deployment_states as
# configuration variables to receive them.
set -eu
if [ "$(octoci --version 2>/dev/null)" != "octoci 0.1.0" ]; then
  python3 -m venv .octoci
  .octoci/bin/pip install --quiet "octoci[continua]==0.1.0"
  PATH="$PWD/.octoci/bin:$PATH"
fi
octoci publish
