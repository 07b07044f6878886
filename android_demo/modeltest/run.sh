#!/usr/bin/env bash
# The app's model path tested on the JVM (ModelPathTest): core prepares a real photo's faces, an
# exported .tflite runs on LiteRT's CompiledModel through its C API (libLiteRt.so of the ai-edge-litert
# wheel, called with Java's foreign-function API), and the pasted picture is compared with what
# `tfsr enhance` wrote for the same photo. make_fixture.py writes the model, photo, boxes and reference.
#
# Usage: android_demo/modeltest/run.sh
#   needs: a JDK 22+ ($JAVA22_HOME, default /usr/lib/jvm/temurin-25-jdk-amd64), the project's venv with
#   ai-edge-litert ($PY, default .venv/bin/python), JUnit 4 (apt-get install junit4 libhamcrest-java)
# The last line is "N passed, N failed"; the exit status is non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
demo="$(dirname "$here")"
repo="$(dirname "$demo")"
jdk="${JAVA22_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
py="${PY:-$repo/.venv/bin/python}"
junit="${JUNIT_JAR:-/usr/share/java/junit4.jar}"
hamcrest="${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}"
fail() { echo "modeltest: $1"; echo "0 passed, 1 failed"; exit 1; }

[ -x "$jdk/bin/java" ] || fail "no JDK 22+ at $jdk (set JAVA22_HOME): the foreign-function API needs one"
[ -x "$py" ] || fail "no Python at $py (set PY; make install creates .venv)"
for jar in "$junit" "$hamcrest"; do
    [ -f "$jar" ] || fail "$jar not found: apt-get install junit4 libhamcrest-java"
done
litert=$("$py" -c 'import ai_edge_litert, os; print(os.path.join(os.path.dirname(ai_edge_litert.__file__), "libLiteRt.so"))') \
    || fail "ai-edge-litert is not installed in $py"
[ -f "$litert" ] || fail "$litert not found: this ai-edge-litert wheel ships no C API library"

out="$here/build"
rm -rf "$out" && mkdir -p "$out/classes"
TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" "$py" "$here/make_fixture.py" "$out/fixture" || fail "make_fixture.py failed"
"$jdk/bin/javac" --release 22 -Xlint:all,-restricted -Werror -cp "$junit" -d "$out/classes" \
    $(find "$demo/core/src/main/java" "$here/src/test/java" -name '*.java') || fail "compilation failed"

log="$out/junit.log"
"$jdk/bin/java" --enable-native-access=ALL-UNNAMED -Dtfsr.fixture="$out/fixture" -Dtfsr.litert="$litert" \
    -cp "$out/classes:$junit:$hamcrest" org.junit.runner.JUnitCore dev.tfsr.modeltest.ModelPathTest 2>&1 \
    | grep -v '^INFO: \|^WARNING: \[' | tee "$log"
status=${PIPESTATUS[0]}
. "$here/../junit_summary.sh"
junit_summary "$log" "$status"
