"""Properties of `lode simulate` and `lode chokepoints` on the bundled data, with every scenario
shipped in scenarios/ (docs/simulate.md).

Run by tests/prop/run.sh as: sim_props.py LODE DB. Prints one PASS/FAIL line per property.
SIM_PROPS_RUNS (default 200) sets the Monte Carlo runs of the random scenarios."""
import glob
import json
import os
import subprocess
import sys
import tempfile

LODE, DB = sys.argv[1], sys.argv[2]
RUNS = os.environ.get("SIM_PROPS_RUNS", "200")
failed = 0
SCENARIOS = sorted(glob.glob("scenarios/*.json"))
tmpdir = tempfile.mkdtemp(prefix="sim_props.")


def lode(*args, rc=0):
    p = subprocess.run([LODE, "--db", DB, *args], capture_output=True, text=True)
    if p.returncode != rc:
        raise AssertionError(f"lode {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def sim(path, *args):
    return json.loads(lode("--json", "simulate", path, *args))


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


def is_random(node):
    """Does a scenario (parsed JSON) draw anything at random?"""
    if isinstance(node, dict):
        if "dist" in node and node.get("dist") != "fixed":
            return True
        return any(is_random(v) for v in node.values())
    if isinstance(node, list):
        return any(is_random(v) for v in node)
    return False


def total(doc):
    return sum(r["mean_t"] for r in doc["shortfall"])


def variant(base, name, edit):
    """Write a copy of scenario `base` changed by edit(doc) and return its path."""
    with open(base, encoding="utf-8") as f:
        doc = json.load(f)
    edit(doc)
    path = os.path.join(tmpdir, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


@prop("simulate: every shipped scenario runs, with mass balance <= 1e-6 t on every run")
def _():
    assert SCENARIOS, "no scenarios/*.json"
    for path in SCENARIOS:
        with open(path, encoding="utf-8") as f:
            runs = RUNS if is_random(json.load(f)) else "1"
        d = sim(path, "--runs", runs)
        err = d["mass_balance_max_error_t"]
        assert 0 <= err <= 1e-6, f"{path}: largest balance error {err} t"
        assert d["runs"] == int(runs) and d["weeks"] >= 1, path
        assert len(d["digest"]) == 64, path
        for r in d["shortfall"]:
            assert 0 <= r["p5_t"] <= r["p50_t"] <= r["p95_t"], (path, r)
            assert r["mean_t"] >= 0, (path, r)
        for r in d["price_index"]:
            assert r["mean"] >= 1, (path, r)


@prop("simulate: zero.json gives exactly zero shortfall, baseline exports and prices")
def _():
    d = sim("scenarios/zero.json")
    assert d["shortfall"], "no shortfall rows"
    assert all(r["mean_t"] == 0 and r["p95_t"] == 0 for r in d["shortfall"]), "shortfall"
    assert all(r["mean_t"] == 0 for r in d["week_shortfall"]), "week shortfall"
    assert all(r["mean_t"] == 0 for r in d["sector_shortfall"]), "sector shortfall"
    assert all(r["mean"] == 1 for r in d["price_index"]), "price index"
    assert all(r["mean_t"] == r["baseline_t"] for r in d["exports"]), "exports"
    assert d["exhaustion"] == [], "exhaustion"


@prop("simulate: a scenario whose shocks never start gives zero shortfall")
def _():
    def late(doc):
        for key in ("policies", "outages", "demand_shocks"):
            for item in doc.get(key, []):
                item["start_wk"] = 1000
                if key == "policies":
                    item["announce_wk"] = 0
    for path in SCENARIOS:
        if path.endswith("zero.json"):
            continue
        v = variant(path, "late-" + os.path.basename(path)[:-5], late)
        d = sim(v, "--runs", "3")
        assert total(d) == 0, f"{path} with start_wk 1000: {total(d)} t"


@prop("simulate: a stronger shock never gives less shortfall (severity, approval, duration)")
def _():
    def is_licence(item):
        return item.get("kind") == "licence" or "approval_rate" in item

    def set_all(key, value):
        def edit(doc):
            for k in ("policies", "outages"):
                for item in doc.get(k, []):
                    if key == "approval_rate" and not is_licence(item):
                        continue
                    item[key] = value
                    # a licence takes severity or approval_rate, not both
                    item.pop("severity" if key == "approval_rate" else "approval_rate", None)
        return edit
    cases = []
    for path in SCENARIOS:
        if path.endswith("zero.json"):
            continue
        name = os.path.basename(path)[:-5]
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        licence = any(is_licence(p) for p in doc.get("policies", []))
        sev = [variant(path, f"{name}-sev{i}", set_all("severity", i / 4)) for i in range(5)]
        cases.append((path, "severity 0..1", sev))
        dur = [variant(path, f"{name}-dur{w}", set_all("duration_wk", w))
               for w in (0, 4, 13, 26, 52)]
        cases.append((path, "duration 0..52 weeks", dur))
        if licence:
            appr = [variant(path, f"{name}-appr{i}", set_all("approval_rate", 1 - i / 4))
                    for i in range(5)]
            cases.append((path, "approval rate 1..0", appr))
    for path, what, paths in cases:
        last = None
        for v in paths:
            t = total(sim(v, "--runs", "1"))
            assert last is None or t >= last - 1e-6 * max(1.0, last), \
                f"{path}, {what}: {os.path.basename(v)} gives {t} t, less than {last} t"
            last = t
        assert last > 0, f"{path}, {what}: the strongest shock gives no shortfall"


@prop("simulate: --threads 1, 2 and 3 give the same digest")
def _():
    for path in SCENARIOS:
        digests = {t: sim(path, "--runs", "64", "--threads", t)["digest"] for t in ("1", "2", "3")}
        assert len(set(digests.values())) == 1, f"{path}: {digests}"


@prop("simulate: the seed changes a random scenario's digest, and only the seed")
def _():
    path = "scenarios/china-ree-stop.json"
    a = sim(path, "--runs", "32", "--seed", "7")["digest"]
    b = sim(path, "--runs", "32", "--seed", "7")["digest"]
    c = sim(path, "--runs", "32", "--seed", "8")["digest"]
    assert a == b, "same seed, different digest"
    assert a != c, "different seed, same digest"


@prop("simulate: bad input is exit 2 naming the file and JSON path; usage exit 1")
def _():
    bad = os.path.join(tmpdir, "bad.json")
    with open(bad, "w", encoding="utf-8") as f:
        f.write('{"weeks": 52, "policies": [{"id": "NO-SUCH-POLICY"}]}')
    p = subprocess.run([LODE, "--db", DB, "simulate", bad], capture_output=True, text=True)
    assert p.returncode == 2, p.returncode
    assert bad in p.stderr and "policies[0]" in p.stderr, p.stderr
    for args in (["simulate"], ["simulate", bad, "--runs", "0"], ["simulate", bad, "--bogus"]):
        p = subprocess.run([LODE, "--db", DB, *args], capture_output=True, text=True)
        assert p.returncode == 1, (args, p.returncode)


@prop("chokepoints: ranked by allied shortfall, same at 1 and 2 threads, alliance subset")
def _():
    one = json.loads(lode("--json", "chokepoints", "--weeks", "13", "--threads", "1"))
    two = json.loads(lode("--json", "chokepoints", "--weeks", "13", "--threads", "2"))
    assert one == two, "thread count changed the ranking"
    cp = one["chokepoints"]
    assert cp, "no chokepoints"
    s = [c["allied_shortfall_t"] for c in cp]
    assert s == sorted(s, reverse=True), "not ranked"
    assert all(c["allied_shortfall_t"] == c["total_shortfall_t"] for c in cp), "all countries"
    g7 = json.loads(lode("--json", "chokepoints", "--weeks", "13", "--alliance", "G7"))
    assert all(c["allied_shortfall_t"] <= c["total_shortfall_t"] + 1e-6
               for c in g7["chokepoints"]), "allied above total"
    lode("chokepoints", "--alliance", "NO-SUCH-ALLIANCE", rc=1)


sys.exit(1 if failed else 0)
