#!/usr/bin/env bash
# Runs every test suite, each to its end even when another fails, then prints one line per suite
# and exits 1 if any failed: a Python failure cannot hide the Go, TypeScript and Java results.
#
#   bash tests/suites.sh [SUITE ...]     (go-build gateway-build typescript-build java-build python
#                                         go gateway typescript java; all, in this order, by default)
#
# Called by `make test` after `make setup`. The clients' tests start a real server from
# .venv/bin/govreport.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=.venv/bin
# The clients are built first: tests/test_clients.py (in the Python suite) runs them too.
declare -A RUN=(
  [go-build]="make --no-print-directory -C clients/go build"
  [gateway-build]="make --no-print-directory -C gateway build"
  [typescript-build]="cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run build"
  [java-build]="cd clients/java && mvn -B -q -DskipTests package"
  [python]="$BIN/pytest -q"
  [go]="make --no-print-directory -C clients/go test"
  [gateway]="make --no-print-directory -C gateway test"
  [typescript]="cd clients/typescript && npm test"
  [java]="cd clients/java && mvn -B -q test"
)
ALL=(go-build gateway-build typescript-build java-build python go gateway typescript java)
ORDER=("${ALL[@]}")
[ $# -gt 0 ] && ORDER=("$@")

summary=()
failed=0
for suite in "${ORDER[@]}"; do
  command=${RUN[$suite]:-}
  if [ -z "$command" ]; then
    echo "suites.sh: no suite named $suite (${ALL[*]})" >&2
    exit 2
  fi
  echo "== $suite: $command"
  started=$(date +%s)
  log=$(mktemp)
  ( eval "$command" ) 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  seconds=$(( $(date +%s) - started ))
  # The last line that counts tests, when the runner prints one (pytest, go test, node, maven).
  counts=$(grep -E '([0-9]+ (passed|failed|errors?))|^ok |^FAIL|^# (pass|fail)|Tests run:' "$log" \
    | tail -n 1 | tr -s ' ' | cut -c1-100)
  rm -f "$log"
  if [ "$rc" -eq 0 ]; then status=passed; else status="FAILED (exit $rc)"; failed=1; fi
  summary+=("$(printf '%-17s %-16s %5ss  %s' "$suite" "$status" "$seconds" "$counts")")
done

echo
echo "== test suites"
printf '%s\n' "${summary[@]}"
exit "$failed"
