// .teamcity/settings.kts - build, then publish to Octopus with octoci.
import jetbrains.buildServer.configs.kotlin.*
import jetbrains.buildServer.configs.kotlin.buildSteps.script

version = "2024.03"

project {
    buildType(Publish)
}

object Publish : BuildType({
    name = "Publish to Octopus"
    params {
        param("env.OCTOPUS_URL", "https://octopus.example")
        password("env.OCTOPUS_API_KEY", "credentialsJSON:octopus-api-key")
        // The outputs, set with ##teamcity[setParameter]: later steps read %release_version%.
        param("release_version", "")
        param("deployment_states", "")
    }
    vcs {
        root(DslContext.settingsRoot)
    }
    steps {
        script {
            name = "Publish"
            scriptContent = """
                pip install "octoci[teamcity]==0.1.0"
                octoci publish --deploy-to Dev --wait
            """.trimIndent()
        }
        script {
            name = "Report"
            scriptContent = """
                echo "Released %release_version% (%deployment_states%)"
            """.trimIndent()
        }
    }
})
