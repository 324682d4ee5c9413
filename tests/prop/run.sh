#!/bin/sh
# Property tests on the bundled data: see props.py. Prints "PASS x" / "FAIL x" lines.
set -u
cd "$(dirname "$0")/../.."
LODE=${LODE:-$PWD/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
"$LODE" --db "$tmp/p.db" init 2>/dev/null || { echo "FAIL prop init"; exit 1; }
python3 tests/prop/props.py "$LODE" "$tmp/p.db"; rc=$?
python3 tests/prop/sim_props.py "$LODE" "$tmp/p.db" || rc=1
exit $rc
