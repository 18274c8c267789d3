#!/bin/bash
# The lab suite's runner, started inside the guest by lab-run with the results directory as
# its only argument. Runs every checks/*.sh in name order, each in its own bash with a time
# limit, and writes into the results directory:
#   checks/NAME.log        everything the check printed
#   checks.txt             one line per check: PASS NAME (seconds) or FAIL NAME (...)
#   junit/TEST-lab.xml     the same as a JUnit report
#   summary.txt            "lab: N passed, N failed"
# Exit status 0 only when at least one check ran and none failed.
#
# A check is a bash script that exits 0 when what it checks holds; anything else is a
# failure (there is no "skip": a check that cannot run on the lab is broken). Each runs with a
# time limit, LAB_CHECK_TIMEOUT seconds (default 480) or its own '# lab-check-timeout: N' line;
# a check that hangs is ended there, reported by name, and the next one runs. A JVM that crashes
# during a check (an hs_err_pid*.log in LAB_CRASH_DIRS, default / /tmp /root /var/tmp) is copied to jvm-crashes/
# and named on the check's line. Checks see
# LAB_PROGRAM (this directory), LAB_RESULTS, LAB_CLASSPATH (every lib/*.jar and lib/*/
# directory) and bin/ on PATH (bin/lab-probe runs the Java probe). To add a test, drop a
# NN-name.sh into checks/. Scripts in setup/ run first and prepare the lab (see below).
set -u
LAB_PROGRAM=$(cd "$(dirname "$0")" && pwd)
LAB_RESULTS=${1:?usage: run-in-guest.sh RESULTS_DIR}
default_timeout=${LAB_CHECK_TIMEOUT:-480}
# Where a crashing JVM leaves hs_err_pid*.log: its working directory, else /tmp.
crash_dirs=${LAB_CRASH_DIRS:-/ /tmp /root /var/tmp}

cp=""
for entry in "$LAB_PROGRAM"/lib/*.jar "$LAB_PROGRAM"/lib/*/; do
  [ -e "$entry" ] && cp="${cp:+$cp:}${entry%/}"
done
export LAB_PROGRAM LAB_RESULTS LAB_CLASSPATH="$cp" PATH="$LAB_PROGRAM/bin:$PATH"

mkdir -p "$LAB_RESULTS/checks" "$LAB_RESULTS/junit"
: > "$LAB_RESULTS/checks.txt"
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' | tr -d '\000-\010\013\014\016-\037'; }

passed=0 failed=0 cases="" total_start=$(date +%s.%N)
# Setup scripts prepare the lab itself (setup/*.sh, in name order, before any check). They are
# not checks: one that fails is a failed run, reported as 'FAIL setup/NAME', and no check runs.
for setup in "$LAB_PROGRAM"/setup/*.sh; do
  [ -f "$setup" ] || continue
  name=setup/$(basename "$setup" .sh)
  mkdir -p "$LAB_RESULTS/setup"
  out="$LAB_RESULTS/$name.log"
  start=$(date +%s.%N)
  timeout --kill-after=10 "$default_timeout" bash "$setup" >"$out" 2>&1
  rc=$?
  secs=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $name (${secs} s, exit status $rc): $(tail -n 1 "$out")" | tee -a "$LAB_RESULTS/checks.txt"
    echo "lab: 0 passed, 1 failed (setup failed)" | tee "$LAB_RESULTS/summary.txt"
    exit 1
  fi
  echo "SETUP $name (${secs} s): $(tail -n 1 "$out")" | tee -a "$LAB_RESULTS/checks.txt"
done
for check in "$LAB_PROGRAM"/checks/*.sh; do
  [ -f "$check" ] || continue
  name=$(basename "$check" .sh)
  out="$LAB_RESULTS/checks/$name.log"
  check_timeout=$(sed -n 's/^# lab-check-timeout: *\([0-9][0-9]*\) *$/\1/p' "$check" | head -n 1)
  check_timeout=${check_timeout:-$default_timeout}
  touch "$LAB_RESULTS/.check-started"
  start=$(date +%s.%N)
  timeout --kill-after=10 "$check_timeout" bash "$check" >"$out" 2>&1
  rc=$?
  secs=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
  # shellcheck disable=SC2086 # a list of directories
  crashes=$(find $crash_dirs -maxdepth 1 -name 'hs_err_pid*.log' -newer "$LAB_RESULTS/.check-started" 2>/dev/null | sort -u)
  crash_note=""
  if [ -n "$crashes" ]; then
    mkdir -p "$LAB_RESULTS/jvm-crashes"
    for f in $crashes; do cp "$f" "$LAB_RESULTS/jvm-crashes/$name-$(basename "$f")"; crash_note+=" $(basename "$f")"; done
    crash_note=" [JVM crash:$crash_note, in jvm-crashes/]"
  fi
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    line="PASS $name (${secs} s)$crash_note"
    cases+="  <testcase classname=\"lab\" name=\"$name\" time=\"$secs\"/>"$'\n'
  else
    failed=$((failed + 1))
    why="exit status $rc"
    [ "$rc" -eq 124 ] && why="timed out after ${check_timeout} s"
    line="FAIL $name (${secs} s, $why)$crash_note: $(tail -n 1 "$out")"
    cases+="  <testcase classname=\"lab\" name=\"$name\" time=\"$secs\"><failure message=\"$(echo "$why" | xml_escape)\">$(tail -n 40 "$out" | xml_escape)</failure></testcase>"$'\n'
  fi
  echo "$line" | tee -a "$LAB_RESULTS/checks.txt"
done

total=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $total_start}")
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuite name=\"lab\" tests=\"$((passed + failed))\" failures=\"$failed\" errors=\"0\" skipped=\"0\" time=\"$total\">"
  printf '%s' "$cases"
  echo '</testsuite>'
} > "$LAB_RESULTS/junit/TEST-lab.xml"
[ $((passed + failed)) -gt 0 ] || echo "no checks in $LAB_PROGRAM/checks" | tee -a "$LAB_RESULTS/checks.txt"
echo "lab: $passed passed, $failed failed" | tee "$LAB_RESULTS/summary.txt"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
