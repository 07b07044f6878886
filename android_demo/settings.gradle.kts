// The tfsr Android demo: `core` is the pure-Java face arithmetic (tested without Android, see
// core/run_tests.sh), `app` the camera demo that uses it.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "tfsr-android-demo"
include(":core", ":app")
