#!/bin/sh
# Benchmark of `lode simulate` (not a test): the bundled dataset, 52 weeks, 10 000 Monte Carlo
# runs of a shipped scenario, on 1 and 2 threads. Every figure is printed next to a reference
# run on the same machine in the same session, as a ratio, because these machines are shared
# and noisy: the 2-thread run against the 1-thread run (speed-up), and each run against a
# 1-run baseline of the same scenario (start-up, store and result cost). Memory: peak RSS,
# and its growth with runs against the percentile store the engine reports (the only part
# that may grow with runs).
# Floor (issue 4): under 10 s wall on 2 threads, at least 1.7x faster than on 1 thread.
#
# usage: bench/simulate.sh [SCENARIO.json ...]   (default: scenarios/china-ree-stop.json)
# env: LODE (default bin/lode), RUNS (10000), REPEAT (5: the three runs interleaved, median
#      wall and CPU and the largest RSS kept)
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
"$LODE" --db "$tmp/b.db" init 2>/dev/null
[ $# -gt 0 ] || set -- scenarios/china-ree-stop.json
python3 - "$LODE" "$tmp/b.db" "$tmp" "$@" <<'EOF'
import json, os, statistics, subprocess, sys, time

LODE, DB, TMP, scenarios = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
RUNS = int(os.environ.get("RUNS", "10000"))
REPEAT = int(os.environ.get("REPEAT", "5"))


def once(args):
    """Wall (s), CPU (s), peak RSS (MiB) and the JSON result of one lode --json simulate."""
    out = os.path.join(TMP, "out.json")
    with open(out, "w") as f:
        t0 = time.perf_counter()
        p = subprocess.Popen([LODE, "--db", DB, "--json", "simulate", *args], stdout=f,
                             stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: lode simulate {' '.join(args)}: {p.stderr.read().decode()}")
    # The few fields needed, read in a child: this process must stay small, since a forked
    # child's peak RSS counts what it held before exec.
    doc = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sys; d = json.load(open(sys.argv[1])); "
         "print(json.dumps({k: d[k] for k in ('digest', 'node_weeks', 'percentile_cells')}))",
         out], capture_output=True, text=True, check=True).stdout)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, doc


def pair(args):
    """Wall (s) of two lode processes started together, each with args: what this machine
    gives two independent single-threaded jobs (a ceiling for the 2-thread speed-up)."""
    t0 = time.perf_counter()
    ps = [subprocess.Popen([LODE, "--db", DB, "--csv", "simulate", *args],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
          for _ in range(2)]
    for p in ps:
        if p.wait() != 0:
            raise SystemExit(f"failed: lode simulate {' '.join(args)}")
    return time.perf_counter() - t0


def runs(arg_sets):
    """The runs of arg_sets interleaved REPEAT times (so a noisy moment hits all alike):
    per set, median wall, median CPU, largest RSS, last JSON result."""
    got = [[] for _ in arg_sets]
    for _ in range(REPEAT):
        for i, args in enumerate(arg_sets):
            got[i].append(once(args) if args[0] != "pair" else (pair(args[1:]), 0, 0, None))
    return [(statistics.median(g[0] for g in r), statistics.median(g[1] for g in r),
             max(g[2] for g in r), r[-1][3]) for r in got]


ok = True
for sc in scenarios:
    base = ["--weeks", "52", sc]
    (w1r, c1r, m1r, d1r), (w1, c1, m1, d1), (w2, c2, m2, d2), (wp, _, _, _) = runs([
        base + ["--runs", "1", "--threads", "1"],
        base + ["--runs", str(RUNS), "--threads", "1"],
        base + ["--runs", str(RUNS), "--threads", "2"],
        ["pair"] + base + ["--runs", str(RUNS // 2), "--threads", "1"]])
    same = d1["digest"] == d2["digest"]
    nw = d1["node_weeks"]
    store = d1["percentile_cells"] * RUNS * 8 / 2**20
    print(f"{os.path.basename(sc)}: 52 weeks, {RUNS} runs, {nw / RUNS:.0f} node-weeks a run "
          f"({nw / RUNS / 52:.0f} nodes of the materials the scenario reaches)")
    print("  run                       wall (s)  x 1-run  CPU (s)  node-weeks/s  "
          "peak RSS (MiB)  x 1-run")
    print(f"  1 run, 1 thread (ref)     {w1r:8.3f}  {1:7.1f}  {c1r:7.2f}  "
          f"{d1r['node_weeks'] / w1r:12.3g}  {m1r:14.1f}  {1:7.2f}")
    print(f"  {RUNS} runs, 1 thread      {w1:8.3f}  {w1 / w1r:7.1f}  {c1:7.2f}  {nw / w1:12.3g}  "
          f"{m1:14.1f}  {m1 / m1r:7.2f}")
    print(f"  {RUNS} runs, 2 threads     {w2:8.3f}  {w2 / w1r:7.1f}  {c2:7.2f}  {nw / w2:12.3g}  "
          f"{m2:14.1f}  {m2 / m1r:7.2f}")
    print(f"  speed-up on 2 threads: {w1 / w2:.2f}x (ref: the 1-thread run); digests "
          f"{'identical' if same else 'DIFFER'}")
    print(f"  this machine's own ceiling: two 1-thread processes of {RUNS // 2} runs at once take "
          f"{wp:.3f} s, {w1 / wp:.2f}x the 1-thread run")
    print(f"  memory growth with runs: {m1 - m1r:.1f} MiB for {RUNS - 1} more runs; the "
          f"percentile store is {store:.1f} MiB ({d1['percentile_cells']} numbers a run)")
    met = w2 < 10 and w1 / w2 >= 1.7 and same
    ok = ok and met
    print(f"  floor (under 10 s on 2 threads, >= 1.7x, same digest): {'met' if met else 'NOT MET'}")
sys.exit(0 if ok else 1)
EOF
