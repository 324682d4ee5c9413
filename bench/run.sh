#!/bin/sh
# Benchmarks (not tests): each figure is reported next to a reference run on the same
# machine in the same session, as a ratio, because these machines are shared and noisy.
#  1. `lode risk` on the bundled data vs reading the same store's tables with the sqlite3 CLI.
#  2. `lode import` of a generated 1,000,000-row trade.csv (validated: types, keys,
#     references) vs sqlite3's own unvalidated `.import --csv` of the same file.
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
python3 bench/measure.py "$LODE" "$tmp"
# The other engines' benchmarks, each with its own reference runs and floors.
for b in simulate respond invest news firms serve store_pg; do
    echo
    echo "== bench/$b.sh"
    LODE="$LODE" sh "bench/$b.sh"
done
