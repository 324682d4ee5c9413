"""Write a synthetic trade.csv of N rows (default 1,000,000) that passes every check of the
bundled package: real material and country ids, unique (material, exporter, importer, year)
keys, non-negative tonnes. Deterministic (fixed seed). Usage: gen_trade.py OUT [N]."""
import csv
import random
import sys

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
mats = [r["id"] for r in csv.DictReader(open("data/materials.csv", encoding="utf-8"))]
ctys = [r["iso3"] for r in csv.DictReader(open("data/countries.csv", encoding="utf-8"))]
rng = random.Random(42)
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["material", "exporter", "importer", "year", "tonnes", "source", "confidence", "note"])
    k = 0
    year = 1900
    while k < n:
        for m in mats:
            for e in ctys:
                for i in ctys:
                    if k == n:
                        break
                    w.writerow([m, e, i, year, f"{rng.uniform(0, 5e4):.3f}",
                                "synthetic benchmark row (bench/gen_trade.py)", "derived", ""])
                    k += 1
        year += 1
