#!/bin/sh
# The whole test suite, as `make check` runs it. Builds the plain and the sanitized binaries,
# runs every group, counts results and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0
fail=0

group() { # name, command...
    name=$1
    shift
    echo "== $name"
    if "$@" >"$log/out" 2>&1; then
        status=ok
    else
        status=failed
    fi
    cat "$log/out"
    # Runners print one "PASS x" / "FAIL x" line per test; cmocka prints its own totals.
    p=$(grep -c '^PASS ' "$log/out")
    f=$(grep -c '^FAIL ' "$log/out")
    cp=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/out" | awk '{s+=$1} END {print s+0}')
    cf=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/out" | awk '{s+=$1} END {print s+0}')
    pass=$((pass + p + cp))
    fail=$((fail + f + cf))
    if [ "$status" = failed ] && [ $((f + cf)) -eq 0 ]; then
        echo "FAIL $name (exit status)"
        fail=$((fail + 1))
    fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
group "build" make -j"$JOBS" all
group "build (clang)" make -j"$JOBS" CC=clang B=build-clang build-clang/bin/lode
group "build (ASan+UBSan)" make -j"$JOBS" SAN=1 build-san/bin/lode
group "unit tests (ASan+UBSan)" make -j"$JOBS" SAN=1 unit
group "store tests on PostgreSQL (ASan+UBSan)" sh tools/pg-test.sh sh -c 'rc=0; LODE_TEST_STORE=$LODE_TEST_PG build-san/tests/test_store || rc=1; LODE=$PWD/build-san/bin/lode sh tests/store/pg_cli.sh || rc=1; exit $rc'
group "threaded simulation (TSan)" make -j"$JOBS" tsan
group "MPI simulation, K = 1, 2, 3 (loopback)" make mpi-test
group "end-to-end tests (ASan+UBSan)" make SAN=1 cli-test
group "property tests" make SAN=1 prop-test
group "HTTP API: every endpoint x every ally, bad input, OpenAPI (ASan+UBSan)" make SAN=1 serve-test
group "HTTP API on a PostgreSQL store: OpenAPI checks (ASan+UBSan)" sh tools/pg-test.sh sh -c 'LODE_SERVE_DB=$LODE_TEST_PG LODE=$PWD/build-san/bin/lode sh tests/server/openapi.sh'
group "HTTP server under load (TSan)" make -j"$JOBS" serve-tsan
group "dashboard (Playwright, Chromium)" sh tests/web/run.sh
group "derived tables match the method" sh -c './bin/lode derive --check && echo "PASS derive --check"'
group "fuzzers" sh fuzz/run.sh "${FUZZ_SECONDS:-20}"
echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
