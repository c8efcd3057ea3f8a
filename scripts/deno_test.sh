#!/usr/bin/env bash
# Lints, type-checks and tests the Deno edge functions (supabase/functions), then prints one summary line
# "N passed, N failed": `deno test` ends with "ok | N passed | 0 failed", which CI does not read as a count.
# A failed fmt/lint/check stage counts as one more failure, so the line never says "0 failed" when this exits 1.
# Usage (from anywhere): bash scripts/deno_test.sh [extra deno test args]
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
functions="$root/supabase/functions"
deno="${DENO:-$root/tools/node_modules/.bin/deno}"
if [[ ! -x "$deno" ]]; then
    deno="$(command -v deno || true)"
fi
if [[ -z "$deno" ]]; then
    echo "deno not found: run 'make setup' (installs tools/node_modules/.bin/deno) or set DENO" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# Deno finds supabase/functions/deno.json (imports, lint and fmt settings) from the working directory.
cd "$functions" || exit 1
export NO_COLOR=1

stage_failures=0
run_stage() {
    local name="$1"
    shift
    echo "== deno $name"
    if ! "$@"; then
        echo "deno $name FAILED" >&2
        stage_failures=$((stage_failures + 1))
    fi
}

mapfile -t sources < <(find . -name '*.ts' -not -path './node_modules/*' | sort)

run_stage "fmt --check" "$deno" fmt --check
run_stage "lint" "$deno" lint
run_stage "check" "$deno" check --frozen "${sources[@]}"

echo "== deno test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Tests only talk to capture servers they start on 127.0.0.1 (and to an unreachable 127.0.0.1:1 database).
"$deno" test --frozen --allow-net=127.0.0.1 --allow-env "$@" 2>&1 | tee "$log"
test_status=${PIPESTATUS[0]}

summary="$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)"
if [[ -n "$summary" ]]; then
    passed="$(sed -E 's/^[A-Za-z]+ \| ([0-9]+) passed.*/\1/' <<<"$summary")"
    failed="$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")"
else
    # deno test did not get as far as running tests (a type error, a missing module): one failure.
    passed=0
    failed=1
fi
if [[ $test_status -ne 0 && $failed -eq 0 ]]; then
    failed=1
fi
failed=$((failed + stage_failures))

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
