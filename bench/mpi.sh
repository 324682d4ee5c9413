#!/bin/sh
# Benchmark of `lode simulate --mpi` (not a test; issue 9): the bundled dataset, 52 weeks,
# RUNS Monte Carlo runs of a shipped scenario under mpirun with 1 and 2 processes of THREADS
# threads each, on loopback. Reports the median wall time of each, the 1 -> 2 process
# speed-up (the figure the issue asks for), the cost of the MPI path against a plain
# single-process run on the same threads, and checks that the three digests agree.
#
# usage: bench/mpi.sh [SCENARIO.json]   (default: scenarios/china-ree-stop.json)
# env: LODE (an MPI-built lode, default build-mpi/bin/lode), RUNS (10000), THREADS (1 per
#      process), REPEAT (3: the runs interleaved, the median kept)
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/build-mpi/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
"$LODE" --db "$tmp/b.db" init 2>/dev/null
python3 - "$LODE" "$tmp/b.db" "${1:-scenarios/china-ree-stop.json}" <<'PY'
import os, re, statistics, subprocess, sys, time

LODE, DB, SC = sys.argv[1:4]
RUNS = os.environ.get("RUNS", "10000")
THREADS = os.environ.get("THREADS", "1")
REPEAT = int(os.environ.get("REPEAT", "3"))
MPI = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
       "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo"]
SIM = [LODE, "--db", DB, "simulate", SC, "--runs", RUNS, "--threads", THREADS]
cases = {"plain": SIM, "mpi K=1": MPI + ["-n", "1"] + SIM + ["--mpi"],
         "mpi K=2": MPI + ["-n", "2"] + SIM + ["--mpi"]}
wall = {k: [] for k in cases}
digest = {}
for _ in range(REPEAT):
    for name, cmd in cases.items():
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall[name].append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}: {p.stderr[-400:]}")
        digest[name] = re.search(r"digest ([0-9a-f]+)", p.stdout).group(1)
med = {k: statistics.median(v) for k, v in wall.items()}
print(f"lode simulate {SC}: {RUNS} runs, 52 weeks, {THREADS} thread(s) per process, "
      f"{os.cpu_count()} CPUs, median of {REPEAT}")
for k in cases:
    print(f"  {k:8s} {med[k]:7.2f} s wall   digest {digest[k][:16]}")
print(f"  speed-up 1 -> 2 processes: {med['mpi K=1'] / med['mpi K=2']:.2f}x "
      f"(ideal 2.00x; start-up, model load and the receive and reduction on rank 0 are serial)")
print(f"  MPI path against plain on one process: {med['mpi K=1'] / med['plain']:.2f}x")
same = len(set(digest.values())) == 1
print(f"  digests {'agree' if same else 'DIFFER'}")
sys.exit(0 if same else 1)
PY
