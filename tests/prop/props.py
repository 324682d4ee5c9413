"""Properties of lode's answers on the bundled data, checked over every country and material.

Run by tests/prop/run.sh as: props.py LODE DB. Prints one PASS/FAIL line per property."""
import csv
import json
import subprocess
import sys

LODE, DB = sys.argv[1], sys.argv[2]
failed = 0


def lode(*args, rc=0):
    p = subprocess.run([LODE, "--db", DB, *args], capture_output=True, text=True)
    if p.returncode != rc:
        raise AssertionError(f"lode {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def prop(name):
    def wrap(fn):
        global failed
        try:
            fn()
            print(f"PASS {name}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL {name}: {e}")
        return fn
    return wrap


risk = json.loads(lode("--json", "risk"))["materials"]
by_mat = {r["material"]: r for r in risk}
countries = [r["iso3"] for r in csv.DictReader(open("data/countries.csv", encoding="utf-8"))
             if r["kind"] == "country"]


@prop("risk: fields in range for every material")
def _():
    assert risk, "no materials"
    for r in risk:
        assert 0 <= r["hhi"] <= 10000 + 1e-6, r
        assert 0 <= r["top1_share"] <= r["top3_share"] + 1e-12 <= 1 + 1e-9, r
        assert 0 <= r["wgi_hhi"] <= 10 + 1e-9, r
        assert r["world_t"] > 0, r
        assert (r["top1_share"] * 100) ** 2 <= r["hhi"] + 1e-6, r  # HHI >= the top share squared


@prop("risk: China's top-1 share of NdPr oxide and of NdFeB magnets above 0.8")
def _():
    for m in ("NdPr_oxide", "NdFeB_magnet"):
        r = by_mat[m]
        assert r["top1_country"] == "CHN" and r["top1_share"] > 0.8, r


@prop("risk: --material and --stage filter")
def _():
    one = json.loads(lode("--json", "risk", "--material", "Ga"))["materials"]
    assert [r["material"] for r in one] == ["Ga"], one
    mine = json.loads(lode("--json", "risk", "--stage", "mine"))["materials"]
    assert mine and all(r["stage"] == "mine" for r in mine), mine


@prop("exposure: origin shares sum to 1 at every stage, for every country")
def _():
    n = 0
    for c in countries + ["EUU"]:  # a region: its member states taken as one
        doc = json.loads(lode("--json", "exposure", "--country", c))
        for m in doc["materials"]:
            assert 0 <= m["import_reliance"] <= 1, (c, m["material"])
            if m["supply_t"] <= 0:
                continue
            s = sum(o["share"] for o in m["origins"])
            assert abs(s - 1) < 1e-6, (c, m["material"], s)
            for st in m["stages"]:
                s = sum(o["share"] for o in st["origins"])
                assert abs(s - 1) < 1e-6, (c, m["material"], st["material"], s)
                n += 1
    assert n > 100, n


def share(origins, c):
    return sum(o["share"] for o in origins if o["country"] == c)


@prop("exposure: Japan's magnets are more Chinese at the oxide stage than at the magnet stage")
def _():
    doc = json.loads(lode("--json", "exposure", "--country", "JPN"))
    mag = next(m for m in doc["materials"] if m["material"] == "NdFeB_magnet")
    stages = {s["material"]: s for s in mag["stages"]}
    at_magnet = share(stages["NdFeB_magnet"]["origins"], "CHN")
    at_oxide = share(stages["NdPr_oxide"]["origins"], "CHN")
    assert at_oxide > at_magnet, (at_oxide, at_magnet)


@prop("check: every reference resolves and the baseline balances")
def _():
    doc = json.loads(lode("--json", "check"))
    assert doc["violations"] == 0, doc["violations"]
    assert doc["references"] > 1000, doc["references"]
    for b in doc["balance"]:
        lhs = b["production_t"] + b["imports_t"]
        rhs = b["use_t"] + b["exports_t"]
        assert abs(lhs - rhs) <= 1e-6 * max(lhs, 1), b


@prop("bad usage exits 1, unknown country exits 1")
def _():
    lode("risk", "--bogus", rc=1)
    lode("exposure", rc=1)
    lode("exposure", "--country", "XXX", rc=1)
    lode("exposure", "--country", "ROW", rc=1)  # an aggregate, not a country
    lode("nosuchcommand", rc=1)


sys.exit(1 if failed else 0)
