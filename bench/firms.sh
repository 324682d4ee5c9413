#!/bin/sh
# Benchmark of the firm-level network (issue 9; not a test): `lode generate firms` builds a
# synthetic network of NODES firms and LINKS links from the store's baseline and simulates a
# scenario on it for 52 weeks, one run. The same process measures this machine's copy
# bandwidth (best of 5 memcpy of 256 MiB, read + write counted) just before the simulation,
# so the traffic ratio is against the bandwidth of the same session.
# Floor (issue 9): 1 000 000 nodes and 5 000 000 links, 52 weeks, one run, under 20 s wall
# (generation + simulation + start-up) and under 4 GiB peak RSS.
# Reported: node-weeks per second of the simulation, estimated memory traffic of the weekly
# loop (bytes per node and per link, counted in src/engines/firm.c) over the simulation time,
# and its ratio to the copy bandwidth.
#
# usage: bench/firms.sh [SCENARIO.json]   (default: scenarios/australia-loss.json)
# env: LODE (default bin/lode), NODES (1000000), LINKS (5000000), SEED (1)
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
NODES=${NODES:-1000000}
LINKS=${LINKS:-5000000}
SEED=${SEED:-1}
SCEN=${1:-scenarios/australia-loss.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$LODE" --db "$tmp/b.db" init >/dev/null 2>&1
python3 - "$LODE" "$tmp/b.db" "$SCEN" "$NODES" "$LINKS" "$SEED" <<'PY'
import os, subprocess, sys, time
LODE, DB, SCEN, NODES, LINKS, SEED = sys.argv[1:]
t0 = time.perf_counter()
p = subprocess.Popen([LODE, "--db", DB, "generate", "firms", "--nodes", NODES, "--links", LINKS,
                      "--seed", SEED, "--simulate", SCEN],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out, errb = p.communicate()
wall = time.perf_counter() - t0
if p.returncode != 0:
    raise SystemExit("failed: " + errb.decode())
import resource
rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
kv = dict(l.split(" ", 1) for l in out.decode().splitlines() if " " in l)
print(out.decode(), end="")
print(f"wall_s {wall:.2f}\npeak_rss_mib {rss_mib:.0f}")
ok = wall < 20 and rss_mib < 4096
print(f"floor (< 20 s, < 4 GiB): {'met' if ok else 'MISSED'}")
sys.exit(0 if ok else 1)
PY
