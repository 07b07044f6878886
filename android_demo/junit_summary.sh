# Sourced by android_demo's test scripts: turns a JUnit 4 console log into the plain "N passed, M failed" line.
# junit_summary LOG STATUS: JUnit 4 ends with "OK (N tests)" or "Tests run: N,  Failures: M"; a non-zero exit
# STATUS with no failure counted (a crash) counts as one failure. Returns non-zero unless everything passed.
junit_summary() {
    local log=$1 status=$2 ok summary total failed
    if ok=$(grep -oE '^OK \([0-9]+ tests?\)' "$log"); then
        total=$(grep -oE '[0-9]+' <<<"$ok"); failed=0
    elif summary=$(grep -oE '^Tests run: [0-9]+, +Failures: [0-9]+' "$log"); then
        total=$(grep -oE '[0-9]+' <<<"$summary" | head -1); failed=$(grep -oE '[0-9]+' <<<"$summary" | tail -1)
    else
        total=1; failed=1
    fi
    [ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1 && total=$((total > 0 ? total : 1))
    echo "$((total - failed)) passed, $failed failed"
    [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
}
