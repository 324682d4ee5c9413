#!/bin/sh
# Benchmark of `lode invest` (not a test).
#
# 1. The bundled project list (data/projects.csv) against the bundled scenario set
#    (scenarios/*.json) at three budgets. Each project's benefit is simulated once per
#    scenario and reused by the three portfolio solves (permitting as is, -25 %, -50 %); the
#    benchmark prints how many simulations that took against the count without the cache.
#    CBC's nodes and solve time are printed with two references solved on the same model: the
#    LP relaxation (CBC on the relaxed model) and, when built in, GLPK's MILP; times are
#    ratios, since these machines are shared and noisy. Floor (issue 6): the whole command
#    under 30 s wall.
# 2. A stress case for the MILP: the bundled data plus N synthetic candidate projects (allied
#    countries, the dataset's materials, capex, capacity, status and permitting drawn from a
#    fixed seed) against scenarios/china-ree-stop.json, so that CBC has a real tree to search
#    and the permitting cuts change the portfolio. GLPK must find the same optimum.
#
# usage: bench/invest.sh
# env: LODE (default bin/lode), REPEAT (3, medians), N (synthetic projects, 80), RUNS (50)
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$LODE" "$tmp" <<'EOF'
import csv, json, os, random, shutil, statistics, subprocess, sys, time

LODE, TMP = sys.argv[1], sys.argv[2]
REPEAT = int(os.environ.get("REPEAT", "3"))
N = int(os.environ.get("N", "80"))
RUNS = os.environ.get("RUNS", "50")


def run(args, env):
    t0 = time.perf_counter()
    p = subprocess.run([LODE, "--json", "invest"] + args, capture_output=True, text=True,
                       env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): lode invest {' '.join(args)}: {p.stderr}")
    return wall, json.loads(p.stdout)


def report(d, wall):
    S, U = len(d["scenarios"]), len(d["candidates"])
    nplans = len(d["plans"])
    uncached = nplans * S * (1 + U) + S
    print(f"  wall {wall:.2f} s (median); {d['simulations']} simulations with the benefit cache, "
          f"{uncached} without it ({nplans} plans x {S} scenarios x (1 + {U} candidates) + "
          f"{S} joint)")
    print("  permitting  chosen                          removed (t)  CBC nodes  CBC (s)   "
          "LP relax (s)  CBC/LP   GLPK (s)  CBC/GLPK  GLPK agrees")
    ok = True
    for p in d["plans"]:
        c, r = p["cbc"], p["reference"]
        lp_s, g_s, g_t = r["lp_relaxation_time_s"], r["glpk_time_s"], r["glpk_t"]
        ratio_lp = c["time_s"] / lp_s if lp_s else float("nan")
        ratio_g = c["time_s"] / g_s if g_s else float("nan")
        agree = "-" if g_t is None else (
            "yes" if abs(g_t - p["removed_t"]) <= 1e-6 * (1 + abs(p["removed_t"])) else "NO")
        ok = ok and agree != "NO"
        chosen = ",".join(p["chosen"]) or "(none)"
        if len(chosen) > 30:
            chosen = f"{len(p['chosen'])} projects"
        cut = "as is" if p["permit_cut"] == 0 else f"-{100 * p['permit_cut']:.0f} %"
        print(f"  {cut:<10}  {chosen:<30}  {p['removed_t']:11.5g}  {c['nodes']:9d}  "
              f"{c['time_s']:7.4f}  {lp_s if lp_s is not None else float('nan'):12.5f}  "
              f"{ratio_lp:6.1f}x  {g_s if g_s is not None else float('nan'):8.4f}  "
              f"{ratio_g:7.2f}x  {agree}")
    c = d["plans"][0]["cbc"]
    print(f"  model: {c['columns']} columns, {c['rows']} rows, {c['nonzeros']} nonzeros")
    return ok


# ---- 1. bundled projects and scenarios -------------------------------------------------------
env = dict(os.environ, LODE_DB=os.path.join(TMP, "bundled.db"))
subprocess.run([LODE, "init"], env=env, capture_output=True)
ok = True
print(f"1. bundled data/projects.csv against every scenarios/*.json, {RUNS} runs per random "
      f"scenario, {REPEAT} runs each, medians")
for budget in ["500m", "2bn", "5bn"]:
    runs = [run(["--budget", budget, "--runs", RUNS], env) for _ in range(REPEAT)]
    wall = statistics.median(w for w, _ in runs)
    d = runs[-1][1]
    print(f"\nbudget {budget}: {len(d['projects'])} projects, {len(d['candidates'])} candidates")
    ok = report(d, wall) and ok
    met = wall < 30
    ok = ok and met
    print(f"  floor (under 30 s wall): {'met' if met else 'NOT MET'}")

# ---- 2. synthetic candidates -----------------------------------------------------------------
data = os.path.join(TMP, "data")
shutil.copytree("data", data)
shutil.copytree("scenarios", os.path.join(TMP, "scenarios"))
rng = random.Random(1)
allies = ["USA", "JPN", "AUS", "CAN", "FRA", "DEU", "KOR", "GBR", "EST", "FIN", "SWE", "NOR"]
mats = {"NdPr_oxide": (500, 6000), "NdPr_metal": (300, 5000), "NdFeB_magnet": (500, 10000),
        "Dy_oxide": (50, 800), "Tb_oxide": (10, 200), "REO_sep": (1000, 20000)}
stages = [("construction", "construction", None), ("permitted; pre-construction", "permitted",
                                                    None),
          ("development", "feasibility", 18), ("development", "pre-FID", 30),
          ("development", "planned", 8)]
path = os.path.join(data, "projects.csv")
with open(path, newline="") as f:
    head = next(csv.reader(f))
with open(path, "a", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    for i in range(N):
        m = rng.choice(sorted(mats))
        lo, hi = mats[m]
        stage, status, permit = rng.choice(stages)
        row = {"id": f"SYN-{i:03d}", "name": f"synthetic project {i}", "operator": "bench",
               "country": rng.choice(allies), "material": m, "stage": stage,
               "capacity_tpa": str(rng.randint(lo, hi)),
               "capex_usd_m": str(rng.randint(50, 1500)), "status": status,
               "start_year": str(rng.randint(2026, 2031)),
               "permitting_months": "" if permit is None else str(permit + rng.randint(-6, 6)),
               "gov_support": "", "source": "derived:bench/invest.sh synthetic candidate",
               "confidence": "derived", "note": ""}
        w.writerow([row.get(h, "") for h in head])
env = dict(os.environ, LODE_DATA=data, LODE_DB=os.path.join(TMP, "synthetic.db"),
           LODE_SCENARIOS=os.path.join(TMP, "scenarios"))
subprocess.run([LODE, "init"], env=env, capture_output=True)
print(f"\n2. bundled projects + {N} synthetic candidates against china-ree-stop, "
      f"{RUNS} runs, budget 5bn, window 12 months")
runs = [run(["--budget", "5bn", "--months", "12", "--scenario", "china-ree-stop", "--runs", RUNS],
            env) for _ in range(REPEAT)]
wall = statistics.median(w for w, _ in runs)
ok = report(runs[-1][1], wall) and ok
sys.exit(0 if ok else 1)
EOF
