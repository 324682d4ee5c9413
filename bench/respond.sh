#!/bin/sh
# Benchmark of `lode respond` (not a test): the largest bundled alliance (most members in
# data/alliances.csv: MSP), 26 weeks, every material: a generated scenario in which China stops
# every export of every material of the dataset for the 26 weeks, and the shipped
# scenarios/china-ree-stop.json. The same model is solved by COIN-OR CLP and by GLPK (the
# independent reference): their objectives must agree to 1e-6 relative, and GLPK's solve time
# is printed as a ratio to CLP's, since these machines are shared and noisy. `--timing` splits
# each run into the simulation without a response, the LP solves and the re-simulation.
# Floor (issue 5): the whole command under 2 s wall with CLP.
#
# usage: bench/respond.sh [SCENARIO.json ...]
# env: LODE (default bin/lode), REPEAT (5: the two solvers interleaved, medians kept)
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
"$LODE" --db "$tmp/b.db" init 2>/dev/null
python3 - "$LODE" "$tmp/b.db" "$tmp" "$@" <<'EOF'
import csv, json, os, re, statistics, subprocess, sys, time

LODE, DB, TMP, scenarios = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
REPEAT = int(os.environ.get("REPEAT", "5"))

with open("data/alliances.csv", newline="") as f:
    alliances = list(csv.DictReader(f))
largest = max(alliances, key=lambda a: (len(a["members"].split(";")), a["id"]))
with open("data/materials.csv", newline="") as f:
    materials = [r["id"] for r in csv.DictReader(f)]

if not scenarios:
    every = os.path.join(TMP, "china-stops-everything.json")
    with open(every, "w") as f:
        json.dump({"name": "china-stops-everything",
                   "description": "benchmark: China stops every export of every material of "
                                  "the dataset to every destination for 26 weeks",
                   "weeks": 26,
                   "policies": [{"country": "CHN", "materials": materials, "kind": "ban",
                                 "targets": "all", "severity": 1, "start_wk": 0,
                                 "duration_wk": 26}]}, f)
    scenarios = [every, "scenarios/china-ree-stop.json"]

TIMING = re.compile(r"simulate ([0-9.]+) s, solve ([0-9.]+) s .*re-simulate ([0-9.]+) s")


def once(sc, solver):
    """Wall (s), (simulate, solve, re-simulate) seconds and the JSON result of one run."""
    t0 = time.perf_counter()
    p = subprocess.run([LODE, "--db", DB, "--json", "respond", sc, "--alliance", largest["id"],
                        "--weeks", "26", "--solver", solver, "--timing"],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): lode respond {sc} --solver {solver}: "
                         f"{p.stderr}")
    m = TIMING.search(p.stderr)
    if not m:
        raise SystemExit(f"no --timing line from lode respond: {p.stderr}")
    return wall, tuple(float(x) for x in m.groups()), json.loads(p.stdout)


ok = True
print(f"alliance {largest['id']} ({len(largest['members'].split(';'))} members, the largest of "
      f"data/alliances.csv), 26 weeks, {REPEAT} interleaved runs per solver, medians")
for sc in scenarios:
    got = {"clp": [], "glpk": []}
    for _ in range(REPEAT):
        for solver in got:
            got[solver].append(once(sc, solver))
    med = {}
    for solver, runs in got.items():
        med[solver] = (statistics.median(r[0] for r in runs),
                       tuple(statistics.median(r[1][i] for r in runs) for i in range(3)),
                       runs[-1][2])
    wc, (sc_, vc, rc_), dc = med["clp"]
    wg, (sg, vg, rg), dg = med["glpk"]
    mo = dc["model"]
    rel = abs(dc["objective"] - dg["objective"]) / max(1.0, abs(dc["objective"]))
    print(f"\n{os.path.basename(sc)}: model {mo['rows']} rows, {mo['cols']} columns, "
          f"{mo['nonzeros']} nonzeros ({mo['stages']} lexicographic stages); "
          f"{len(dc['deliveries'])} deliveries")
    print("  solver   wall (s)  simulate (s)  LP solves (s)  re-simulate (s)  objective")
    print(f"  clp      {wc:8.3f}  {sc_:12.4f}  {vc:13.4f}  {rc_:15.4f}  {dc['objective']:.10g}")
    print(f"  glpk     {wg:8.3f}  {sg:12.4f}  {vg:13.4f}  {rg:15.4f}  {dg['objective']:.10g}")
    print(f"  GLPK / CLP: LP solve time {vg / vc if vc > 0 else float('nan'):.2f}x, wall "
          f"{wg / wc:.2f}x; objectives differ by {rel:.2g} relative (must be <= 1e-6)")
    print(f"  unserved demand of the allies: {dc['unserved_before_t']:.6g} t without a "
          f"response, {dc['unserved_after_t']:.6g} t with the plan re-simulated "
          f"({dc['unserved_plan_t']:.6g} t by the LP's account)")
    met = wc < 2.0 and rel <= 1e-6
    ok = ok and met
    print(f"  floor (CLP under 2 s wall, objectives within 1e-6): {'met' if met else 'NOT MET'}")
sys.exit(0 if ok else 1)
EOF
