#!/bin/sh
# Store benchmark (not a test): wall time of `lode import` on SQLite and on PostgreSQL, on the
# same machine in the same session, median of REPEAT runs (default 3):
#  1. the bundled data/ (every table, about 4,700 rows) into a store that already holds it;
#  2. a generated 1,000,000-row trade.csv (bench/gen_trade.py; ROWS overrides the count).
# PostgreSQL is a throwaway local cluster (tools/pg-test.sh) reached over its unix socket,
# with fsync on (PG_TEST_DURABLE=1), as SQLite's store syncs on commit too.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${LODE_TEST_PG:-}" ]; then
    PG_TEST_DURABLE=1 exec sh tools/pg-test.sh sh "$0" "$@"
fi
LODE=${LODE:-$PWD/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
python3 bench/gen_trade.py "$tmp/trade.csv" "${ROWS:-1000000}"
python3 - "$LODE" "$tmp" "$LODE_TEST_PG" <<'EOF'
import os, shutil, statistics, subprocess, sys, time

lode, tmp, pg = sys.argv[1:4]
repeat = int(os.environ.get("REPEAT", "3"))
sq = os.path.join(tmp, "s.db")
for db in (sq, pg):
    subprocess.run([lode, "--db", db, "init"], check=True, stderr=subprocess.DEVNULL)
shutil.copy(sq, sq + ".base")


def timed(db, path, fresh_sqlite):
    walls = []
    for _ in range(repeat):
        if fresh_sqlite:
            shutil.copy(sq + ".base", sq)
        else:  # start from the bundled trade table, as the SQLite copy does
            subprocess.run([lode, "--db", db, "import", "data/trade.csv"], check=True,
                           stderr=subprocess.DEVNULL)
        t0 = time.perf_counter()
        p = subprocess.run([lode, "--db", db, "import", path], stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - t0)
        if p.returncode:
            raise SystemExit(f"import failed: {p.stderr.decode()}")
    return statistics.median(walls)


big = os.path.join(tmp, "trade.csv")
rows = sum(1 for _ in open(big, "rb")) - 1
print(f"store import, median of {repeat} (s)     SQLite  PostgreSQL  ratio")
for name, path in (("bundled data/ (all tables)", "data"),
                   (f"trade.csv, {rows:,} rows", big)):
    s = timed(sq, path, True)
    p = timed(pg, path, False)
    print(f"{name:34} {s:8.3f} {p:11.3f} {p / s:6.2f}")
EOF
