@echo off
rem octoci's Continua CI step for Windows agents (an Execute Program action running cmd /c):
rem publish to Octopus Deploy with octoci (pinned release 0.1.0). Inputs and outputs as in
rem octoci-publish.sh beside it.
octoci --version 2>nul | findstr /x /c:"octoci 0.1.0" >nul || (py -m venv .octoci && .octoci\Scripts\pip install --quiet "octoci[continua]==0.1.0" && set "PATH=%CD%\.octoci\Scripts;%PATH%") || exit /b 1
octoci publish
