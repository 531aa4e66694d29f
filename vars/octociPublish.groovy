// octociPublish - a Jenkins shared-library step: publish to Octopus Deploy with octoci.
//
//   @Library('octoci@v0.1.0') _
//   def outputs = octociPublish(server: 'https://octopus.example', project: 'Shop',
//                               deployTo: ['Dev'], wait: true)
//   echo "Released ${outputs.release_version}"
//
// Each argument becomes octoci's environment variable of the same setting (ARGUMENTS below);
// octoci.toml in the workspace supplies the rest. The Octopus API key comes from the secret-text
// credential `credentialsId` (default "octopus-api-key"), bound as OCTOPUS_API_KEY; the optional
// `jenkinsCredentialsId` (username with password: a Jenkins user and API token) lets octoci read
// the build's commits. The step installs the octoci release it pins (PINNED) in .octoci unless
// that release is already on PATH, runs `octoci publish` with `sh` on Unix agents and `bat` on
// Windows agents, returns the outputs as a map and puts the release link in the build's
// description.

import groovy.json.JsonSlurperClassic

// Argument -> octoci's environment variable (docs/reference/configuration.md).
@groovy.transform.Field
static final Map<String, String> ARGUMENTS = [
    server: 'OCTOPUS_URL',
    space: 'OCTOPUS_SPACE',
    project: 'OCTOCI_PROJECT',
    version: 'OCTOCI_VERSION',
    channel: 'OCTOCI_CHANNEL',
    deployTo: 'OCTOCI_DEPLOY_TO',
    promoteTo: 'OCTOCI_PROMOTE_TO',
    tenants: 'OCTOCI_TENANTS',
    wait: 'OCTOCI_WAIT',
    timeout: 'OCTOCI_TIMEOUT',
    packageFiles: 'OCTOCI_PACKAGE_FILES',
]

@groovy.transform.Field
static final String PINNED = '0.1.0'

@groovy.transform.Field
static final String OUTPUT_FILE = 'octoci-outputs.json'

Map call(Map config = [:]) {
    Set<String> known = ARGUMENTS.keySet() + ['credentialsId', 'jenkinsCredentialsId']
    List<String> unknown = config.keySet().findAll { !(it in known) } as List<String>
    if (unknown) {
        error("octociPublish: unknown argument(s) ${unknown.join(', ')}; known: ${known.join(', ')}")
    }
    List<String> environment = ["OCTOCI_OUTPUT_FILE=${OUTPUT_FILE}"]
    ARGUMENTS.each { String argument, String variable ->
        def value = config[argument]
        if (value != null) {
            // Lists are comma-separated, as octoci reads them.
            environment << "${variable}=${value instanceof Collection ? value.join(',') : value}"
        }
    }
    List bindings = [string(credentialsId: config.credentialsId ?: 'octopus-api-key',
                            variable: 'OCTOPUS_API_KEY')]
    if (config.jenkinsCredentialsId) {
        bindings << usernamePassword(credentialsId: config.jenkinsCredentialsId,
                                     usernameVariable: 'JENKINS_USER_ID',
                                     passwordVariable: 'JENKINS_API_TOKEN')
    }
    withEnv(environment) {
        withCredentials(bindings) {
            if (isUnix()) {
                sh '''
                    set -eu
                    if [ "$(octoci --version 2>/dev/null)" != "octoci 0.1.0" ]; then
                        python3 -m venv .octoci
                        .octoci/bin/pip install --quiet "octoci[jenkins]==0.1.0"
                        PATH="$PWD/.octoci/bin:$PATH"
                    fi
                    octoci publish
                '''
            } else {
                bat '''
                    @echo off
                    octoci --version 2>nul | findstr /x /c:"octoci 0.1.0" >nul || (py -m venv .octoci && .octoci\\Scripts\\pip install --quiet "octoci[jenkins]==0.1.0" && set "PATH=%CD%\\.octoci\\Scripts;%PATH%") || exit /b 1
                    octoci publish
                '''
            }
        }
    }
    Map outputs = new JsonSlurperClassic().parseText(readFile(OUTPUT_FILE)) as Map
    if (outputs.release_url) {
        currentBuild.description = "Octopus release ${outputs.release_version}: ${outputs.release_url}"
    }
    return outputs
}
