// Plain Java, no Android imports: the same sources run under core/run_tests.sh (javac + JUnit) and
// under Gradle (`./gradlew :core:test`), against the golden vectors in src/test/resources/golden.
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

dependencies {
    testImplementation(libs.junit)
}
