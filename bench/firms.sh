#!/bin/sh
# Benchmark of the firm-level network (issue 9; not a test): `lode generate firms` builds a
# synthetic network of NODES firms and LINKS links from the store's baseline and runs one
# scenario on it for 52 weeks, one run (at the means), with the simulation engine of
# `lode simulate` (src/engines/simulate.c, lode_sim_opts.firms), then the same scenario on the
# country network for comparison. The same process measures this machine's copy bandwidth
# (best of 5 memcpy of 256 MiB, read + write counted, far larger than any cache) just before
# the simulation, so the traffic ratio is against the bandwidth of the same session.
#
# Scenario (written below): the Australian mine outage of scenarios/australia-loss.json plus a
# 10 % rise of final demand in every country and material from week 8 for 26 weeks, so that
# every material, hence every one of the NODES firms, is simulated every week (a scenario
# that reaches few materials leaves the other firms at baseline, unsimulated).
#
# Floor (issue 9): 1 000 000 nodes and 5 000 000 links, 52 weeks, one run, under 20 s wall
# (start-up + generation + both simulations) and under 4 GiB peak RSS.
# Reported: node-weeks per second of the simulation, estimated memory traffic of the weekly
# step (bytes per node-week and per link-week, counted in src/engines/simulate.c) per second
# of simulation, and its ratio to the measured copy bandwidth.
#
# usage: bench/firms.sh [SCENARIO.json]
# env: LODE (default bin/lode), NODES (1000000), LINKS (5000000), SEED (1)
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
NODES=${NODES:-1000000}
LINKS=${LINKS:-5000000}
SEED=${SEED:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -ge 1 ]; then
    SCEN=$1
else
    SCEN=$tmp/bench-firms.json
    cat >"$SCEN" <<'JSON'
{
  "name": "bench-firms",
  "description": "scenarios/australia-loss.json at its mode (26 weeks) and a 10 % rise of every final demand from week 8 for 26 weeks: reaches every material.",
  "weeks": 52,
  "outages": [
    {"country": "AUS", "material": "REO_conc", "severity": 1, "start_wk": 0, "duration_wk": 26},
    {"country": "AUS", "material": "Li_mine", "severity": 1, "start_wk": 0, "duration_wk": 26},
    {"country": "AUS", "material": "Co_mine", "severity": 1, "start_wk": 0, "duration_wk": 26},
    {"country": "AUS", "material": "Ni_mine", "severity": 1, "start_wk": 0, "duration_wk": 26},
    {"country": "AUS", "material": "Sb_mine", "severity": 1, "start_wk": 0, "duration_wk": 26}
  ],
  "demand_shocks": [{"change": 0.1, "start_wk": 8, "duration_wk": 26}]
}
JSON
fi
"$LODE" --db "$tmp/b.db" init >/dev/null 2>&1
python3 - "$LODE" "$tmp/b.db" "$SCEN" "$NODES" "$LINKS" "$SEED" <<'PY'
import resource, subprocess, sys, time
LODE, DB, SCEN, NODES, LINKS, SEED = sys.argv[1:]
t0 = time.perf_counter()
p = subprocess.Popen([LODE, "--db", DB, "generate", "firms", "--nodes", NODES, "--links", LINKS,
                      "--seed", SEED, "--simulate", SCEN],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out, errb = p.communicate()
wall = time.perf_counter() - t0
if p.returncode != 0:
    raise SystemExit("failed: " + errb.decode())
rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(out.decode(), end="")
print(f"wall_s {wall:.2f}\npeak_rss_mib {rss_mib:.0f}")
ok = wall < 20 and rss_mib < 4096
print(f"floor (< 20 s, < 4096 MiB): {'met' if ok else 'MISSED'}; "
      f"wall {wall / 20:.2f} x floor, RSS {rss_mib / 4096:.2f} x floor")
sys.exit(0 if ok else 1)
PY
