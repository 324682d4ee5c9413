#!/bin/sh
# MPI Monte Carlo (issue 9): `mpirun -n K lode simulate SCENARIO --mpi` for K = 1, 2, 3 on
# loopback must print the digest, and the whole --json output, of the single-process run of
# the same binary, for every shipped scenario; also with fewer runs than ranks (a rank with
# no runs) and with one run (each distribution's mean). One PASS/FAIL line per comparison.
#
# usage: tests/mpi/run.sh    env: LODE (an MPI-built lode; default build-mpi/bin/lode),
#        RUNS (200), THREADS (2 per rank), MPIRUN (mpirun)
set -u
cd "$(dirname "$0")/../.."
LODE=${LODE:-$PWD/build-mpi/bin/lode}
RUNS=${RUNS:-200}
THREADS=${THREADS:-2}
MPIRUN=${MPIRUN:-mpirun}
# Root in containers; several ranks on few cores; no network but loopback.
MPIOPTS="--allow-run-as-root --oversubscribe --mca btl self,vader,tcp --mca btl_tcp_if_include lo"
export OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
fail=0

if ! command -v "$MPIRUN" >/dev/null 2>&1; then
    echo "FAIL mpi: $MPIRUN not found (apt-get install openmpi-bin libopenmpi-dev)"
    exit 1
fi
if ! "$LODE" --db "$tmp/b.db" init >/dev/null 2>"$tmp/err"; then
    echo "FAIL mpi: $LODE init: $(cat "$tmp/err")"
    exit 1
fi

# check NAME ARGS...: single process vs K = 1, 2, 3
check() {
    name=$1
    shift
    if ! "$LODE" --db "$tmp/b.db" --json simulate "$@" --threads "$THREADS" >"$tmp/ref.json" \
        2>"$tmp/err"; then
        echo "FAIL mpi $name: single-process run failed: $(cat "$tmp/err")"
        fail=1
        return
    fi
    ref=$(sed -n 's/.*"digest":[[:space:]]*"\([0-9a-f]*\)".*/\1/p' "$tmp/ref.json")
    for k in 1 2 3; do
        # shellcheck disable=SC2086
        if ! timeout 300 "$MPIRUN" $MPIOPTS -n "$k" "$LODE" --db "$tmp/b.db" --json simulate \
            "$@" --threads "$THREADS" --mpi >"$tmp/k.json" 2>"$tmp/err"; then
            echo "FAIL mpi $name K=$k: mpirun failed: $(head -c 400 "$tmp/err")"
            fail=1
            continue
        fi
        got=$(sed -n 's/.*"digest":[[:space:]]*"\([0-9a-f]*\)".*/\1/p' "$tmp/k.json")
        if [ -z "$ref" ] || [ "$got" != "$ref" ]; then
            echo "FAIL mpi $name K=$k: digest $got, single process $ref"
            fail=1
        elif ! cmp -s "$tmp/ref.json" "$tmp/k.json"; then
            echo "FAIL mpi $name K=$k: same digest but the --json output differs"
            fail=1
        else
            echo "PASS mpi $name K=$k digest $got"
        fi
    done
}

for sc in scenarios/*.json; do
    check "$(basename "$sc" .json) runs=$RUNS" "$sc" --runs "$RUNS"
done
check "china-ree-stop runs=2 (a rank with no runs)" scenarios/china-ree-stop.json --runs 2
check "china-ree-stop runs=1 (means)" scenarios/china-ree-stop.json --runs 1

# Without MPI built in, --mpi is a usage error (exit 1) naming the cause.
if [ -x bin/lode ] && [ "$(cd "$(dirname bin/lode)" && pwd)/lode" != "$LODE" ]; then
    bin/lode --db "$tmp/b.db" simulate scenarios/zero.json --mpi >/dev/null 2>"$tmp/err"
    st=$?
    if [ "$st" -eq 1 ] && grep -q "MPI was not built in" "$tmp/err"; then
        echo "PASS mpi: --mpi without MPI is a usage error"
    elif [ "$st" -eq 0 ]; then
        echo "PASS mpi: bin/lode has MPI built in (usage-error check skipped)"
    else
        echo "FAIL mpi: bin/lode --mpi without MPI: exit $st, $(cat "$tmp/err")"
        fail=1
    fi
fi
exit $fail
