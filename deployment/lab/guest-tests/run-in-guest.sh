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
# failure (there is no "skip": a check that cannot run on the lab is broken). Checks see
# LAB_PROGRAM (this directory), LAB_RESULTS, LAB_CLASSPATH (every lib/*.jar and lib/*/
# directory) and bin/ on PATH (bin/lab-probe runs the Java probe). To add a test, drop a
# NN-name.sh into checks/.
set -u
LAB_PROGRAM=$(cd "$(dirname "$0")" && pwd)
LAB_RESULTS=${1:?usage: run-in-guest.sh RESULTS_DIR}
check_timeout=${LAB_CHECK_TIMEOUT:-300}

cp=""
for entry in "$LAB_PROGRAM"/lib/*.jar "$LAB_PROGRAM"/lib/*/; do
  [ -e "$entry" ] && cp="${cp:+$cp:}${entry%/}"
done
export LAB_PROGRAM LAB_RESULTS LAB_CLASSPATH="$cp" PATH="$LAB_PROGRAM/bin:$PATH"

mkdir -p "$LAB_RESULTS/checks" "$LAB_RESULTS/junit"
: > "$LAB_RESULTS/checks.txt"
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' | tr -d '\000-\010\013\014\016-\037'; }

passed=0 failed=0 cases="" total_start=$(date +%s.%N)
for check in "$LAB_PROGRAM"/checks/*.sh; do
  [ -f "$check" ] || continue
  name=$(basename "$check" .sh)
  out="$LAB_RESULTS/checks/$name.log"
  start=$(date +%s.%N)
  timeout --kill-after=10 "$check_timeout" bash "$check" >"$out" 2>&1
  rc=$?
  secs=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    line="PASS $name (${secs} s)"
    cases+="  <testcase classname=\"lab\" name=\"$name\" time=\"$secs\"/>"$'\n'
  else
    failed=$((failed + 1))
    why="exit status $rc"
    [ "$rc" -eq 124 ] && why="timed out after ${check_timeout} s"
    line="FAIL $name (${secs} s, $why): $(tail -n 1 "$out")"
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
