#!/bin/sh
# Continua CI: an "Execute Program" or shell action of a stage, with OCTOPUS_URL and
# OCTOPUS_API_KEY set as (secure) configuration variables passed to the environment.
# octoci's outputs become build variables through @@continua[setBuildVariable] messages;
# define release_version and deployment_states as variables to receive them.
set -eu
pip install "octoci[continua]"
octoci publish --deploy-to Dev --wait
