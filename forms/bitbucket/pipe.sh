#!/usr/bin/env bash
# Entry point of octoci's Bitbucket pipe: the pipe's variables onto octoci's settings, then
# octoci publish in the clone. Bitbucket runs the pipe's container with the clone mounted as the
# working directory and the step's BITBUCKET_* variables (and, with oidc: true, its ID token).
set -euo pipefail

export_if_set() {
  # An empty pipe variable leaves the setting to octoci.toml and the defaults.
  if [ -n "${2:-}" ]; then
    export "$1=$2"
  fi
}

export_if_set OCTOCI_PROJECT "${PROJECT:-}"
export_if_set OCTOCI_DEPLOY_TO "${DEPLOY_TO:-}"
export_if_set OCTOCI_PROMOTE_TO "${PROMOTE_TO:-}"
export_if_set OCTOCI_WAIT "${WAIT:-true}"
export_if_set OCTOCI_VERSION "${VERSION:-}"

args=(publish)
if [ "${DEBUG:-false}" = "true" ]; then
  args=(--debug publish)
fi
cd "${BITBUCKET_CLONE_DIR:-.}"
exec octoci "${args[@]}"
