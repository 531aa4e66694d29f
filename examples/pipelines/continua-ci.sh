#!/bin/bash
# Continua CI: a Shell action of a stage (Linux agent), with OCTOPUS_URL and OCTOPUS_API_KEY set
# as (secure) configuration variables passed to the environment. bash, not sh: Debian's and
# Ubuntu's sh (dash) drops every ContinuaCI.* variable (their names have dots), and the run
# would look local, not like a Continua build.
# octoci's outputs become build variables through @@continua[setBuildVariable] messages;
# define release_version and deployment_states as variables to receive them.
set -eu
pip install "octoci[continua]==0.1.0"
octoci publish --deploy-to Dev --wait
