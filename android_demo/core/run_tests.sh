#!/usr/bin/env bash
# Compile the Android demo's pure-Java core and run its JUnit 4 tests without Gradle or Android.
# Usage: android_demo/core/run_tests.sh     (needs javac/java 17+ and JUnit 4: apt-get install junit4)
# The last line is always "N passed, N failed"; the exit status is non-zero on any failure.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
junit="${JUNIT_JAR:-/usr/share/java/junit4.jar}"
hamcrest="${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}"
for tool in javac java; do
    command -v "$tool" >/dev/null || { echo "$tool not found: install a JDK 17+"; echo "0 passed, 1 failed"; exit 2; }
done
for jar in "$junit" "$hamcrest"; do
    [ -f "$jar" ] || { echo "$jar not found: apt-get install junit4 libhamcrest-java"; echo "0 passed, 1 failed"; exit 2; }
done

out="$here/build/plain-java"
rm -rf "$out" && mkdir -p "$out/main" "$out/test"
cp_test="$out/main:$out/test:$here/src/test/resources:$junit:$hamcrest"
if ! javac --release 17 -Xlint:all -Werror -d "$out/main" $(find "$here/src/main/java" -name '*.java') \
   || ! javac --release 17 -Xlint:all -Werror -cp "$cp_test" -d "$out/test" $(find "$here/src/test/java" -name '*.java'); then
    echo "compilation failed"
    echo "0 passed, 1 failed"
    exit 1
fi

classes=$(cd "$here/src/test/java" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
log="$out/junit.log"
java -cp "$cp_test" org.junit.runner.JUnitCore $classes | tee "$log"
status=${PIPESTATUS[0]}

. "$here/../junit_summary.sh"
junit_summary "$log" "$status"
