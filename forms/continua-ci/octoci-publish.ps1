# octoci's Continua CI step for Windows agents (a PowerShell action): publish to Octopus Deploy
# with octoci (pinned release 0.1.0). Inputs and outputs as in octoci-publish.sh beside it.
$ErrorActionPreference = 'Stop'
if (-not (Get-Command octoci -ErrorAction SilentlyContinue) -or (octoci --version) -ne 'octoci 0.1.0') {
    py -m venv .octoci; if ($LASTEXITCODE) { exit $LASTEXITCODE }
    .octoci\Scripts\pip install --quiet "octoci[continua]==0.1.0"; if ($LASTEXITCODE) { exit $LASTEXITCODE }
    $env:PATH = "$PWD\.octoci\Scripts;$env:PATH"
}
octoci publish
exit $LASTEXITCODE
