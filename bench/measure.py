"""Timing and peak memory of lode against reference runs; see bench/run.sh.
Each command runs REPEAT times; the median wall time and the largest peak RSS are kept."""
import os
import resource
import statistics
import subprocess
import sys
import time

LODE, TMP = sys.argv[1], sys.argv[2]
REPEAT = int(os.environ.get("REPEAT", "5"))


def run(cmd, setup=None):
    walls, rss = [], 0
    for _ in range(REPEAT):
        if setup:
            setup()
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        walls.append(time.perf_counter() - t0)
        rss = max(rss, ru.ru_maxrss)  # KiB
        if p.returncode != 0:
            raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}: {p.stderr.read().decode()}")
    return statistics.median(walls), rss / 1024


db = os.path.join(TMP, "b.db")
subprocess.run([LODE, "--db", db, "init"], check=True, stderr=subprocess.DEVNULL)
tables = [l.split()[0] for l in subprocess.run(["sqlite3", db, ".tables"], capture_output=True,
                                                 text=True, check=True).stdout.split()]
ref_sql = ";".join(f'SELECT * FROM "{t}"' for t in tables if t != "lode_meta")

print("benchmark                          lode (s)  ref (s)  ratio  lode peak RSS (MiB)")
w, r = run([LODE, "--db", db, "risk"])
wr, _ = run(["sqlite3", db, ref_sql])
print(f"risk, bundled data                 {w:8.3f} {wr:8.3f} {w / wr:6.2f}  {r:8.1f}")
w, r = run([LODE, "--db", db, "exposure", "--country", "JPN"])
print(f"exposure --country JPN             {w:8.3f} {wr:8.3f} {w / wr:6.2f}  {r:8.1f}")

big = os.path.join(TMP, "trade.csv")
subprocess.run([sys.executable, "bench/gen_trade.py", big, os.environ.get("ROWS", "1000000")],
               check=True)
idb = os.path.join(TMP, "i.db")
refdb = os.path.join(TMP, "ref.db")


def fresh():
    subprocess.run(["cp", db, idb], check=True)


def fresh_ref():
    if os.path.exists(refdb):
        os.remove(refdb)


w, r = run([LODE, "--db", idb, "import", big], setup=fresh)
wr, _ = run(["sqlite3", refdb, f".import --csv {big} trade"], setup=fresh_ref)
size = os.path.getsize(big) / 2**20
print(f"import 1M-row trade.csv ({size:.0f} MiB) {w:8.3f} {wr:8.3f} {w / wr:6.2f}  {r:8.1f}")
print(f"  floor: under 5 s and 500 MiB: {'met' if w < 5 and r < 500 else 'NOT MET'}")
