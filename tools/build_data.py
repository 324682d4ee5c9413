#!/usr/bin/env python3
"""Build Lodestone's bundled dataset (data/*.csv and data/datapackage.json).

Usage: python3 tools/build_data.py [RAW_DIR]

RAW_DIR defaults to ../shared/data relative to the repository root. The script reads the raw
public figures there (read-only), writes one CSV per model table into data/ and the
Frictionless descriptor data/datapackage.json, then validates every CSV it wrote against that
descriptor (types, required fields, minimum/maximum, enums, primary keys, foreign keys and the
semicolon lists that cannot be foreign keys). Python 3 standard library only; deterministic:
two runs give identical bytes. What each table holds and what changed from the raw files is in
docs/dataset.md.
"""

import csv
import json
import os
import re
import sys
from decimal import Decimal, ROUND_HALF_EVEN

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "data")

FLAGS = ["verified", "secondary", "secondary_low", "derived", "derived_low", "recalled",
         "recalled_low"]
LOW = {"recalled", "recalled_low", "derived_low", "secondary_low"}

USGS_DR = ("USGS Mineral Commodity Summaries 2025 data release (doi:10.5066/P13XCP3R)")

# Report lines collected while building (printed at the end; docs/dataset.md summarises them).
REPORT = []


def report(msg):
    REPORT.append(msg)


# ---------------------------------------------------------------------------------------------
# I/O


def read(raw, name):
    """Rows of a raw CSV as dicts; the BOM of the USGS files is stripped (utf-8-sig)."""
    with open(os.path.join(raw, name), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in list(r):
            if k is None:
                raise SystemExit("%s: a row has more cells than the header" % name)
    return rows


def write(name, header, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return len(rows)


# ---------------------------------------------------------------------------------------------
# Confidence flags

CONF_RE = re.compile(r"confidence=([A-Za-z_]+)(?:\s*\([^)]*\))?(?:\s*\+\s*([A-Za-z_]+))?")
INFERRED = {}  # table -> number of rows whose flag was inferred (no flag in the raw note)


def flag_of(note):
    """The confidence flag written in a raw note, normalised to FLAGS, or None.

    "computed" reads as derived. A combined flag ("secondary (...) + derived (...)",
    "computed+recalled") is derived, or derived_low when one part is recalled or low.
    "moderate" (one agreements row) is outside the vocabulary and reads as secondary_low."""
    m = CONF_RE.search(note)
    if not m:
        return None
    norm = {"computed": "derived", "moderate": "secondary_low"}
    a = norm.get(m.group(1), m.group(1))
    b = m.group(2)
    if b:
        b = norm.get(b, b)
        a = "derived_low" if (a in LOW or b in LOW) else "derived"
    if a not in FLAGS:
        raise SystemExit("unknown confidence flag %r in note %r" % (m.group(1), note[:80]))
    return a


def conf(table, note, default):
    f = flag_of(note)
    if f is None:
        INFERRED[table] = INFERRED.get(table, 0) + 1
        return default
    return f


def expand_as_above(rows, col):
    """Replace 'same as above' / 'as above' / 'X (as above)' in column col by the text it
    points to, so that every row carries its own full text."""
    prev = []
    for r in rows:
        v = r[col]
        if v in ("same as above", "as above"):
            if not prev:
                raise SystemExit("'%s' with nothing above" % v)
            r[col] = prev[-1]
        elif v.endswith(" (as above)"):
            stem = v[: -len(" (as above)")]
            hit = [p for p in prev if p.startswith(stem)]
            if not hit:
                raise SystemExit("cannot resolve %r" % v)
            r[col] = hit[-1]
        prev.append(r[col])


# ---------------------------------------------------------------------------------------------
# Tables


def build_materials(raw):
    rows = []
    for r in read(raw, "materials.csv"):
        rows.append({"id": r["id"], "name": r["name"], "stage": r["stage"], "unit": r["unit"],
                     "hs_codes": r["hs_codes"], "source": r["source"],
                     "confidence": conf("materials", r["note"], "secondary"),
                     "note": r["note"]})
    return rows


PSEUDO_COUNTRIES = [
    {"iso3": "EUU", "name": "European Union (EU-27 aggregate)", "kind": "region",
     "memberships": "",
     "source": "Lodestone aggregate code: EUU = EU-27 aggregate as used in WITS/Comtrade "
               "(../shared/data/SOURCES-policy.md, conventions); its member states are the "
               "rows of this table tagged EU",
     "confidence": "derived",
     "note": "Pseudo-row added by tools/build_data.py: not an ISO 3166 country. Used by "
             "trade_published.csv (EU imports) and stockpiles.csv (RESourceEU). No membership "
             "tags: the EU takes part in the G7 plan, the G20 and the MSP as a bloc, but "
             "tagging it would double-count its member states."},
    {"iso3": "ROW", "name": "Rest of world (residual of published world total)",
     "kind": "residual", "memberships": "",
     "source": "Lodestone residual code: ROW = published world total minus the sum of the "
               "listed countries (../shared/data/SOURCES-production.md, Method)",
     "confidence": "derived",
     "note": "Pseudo-row added by tools/build_data.py: not an ISO 3166 country. Used by "
             "production.csv residual rows (clamped at 0 when the rounded world total is below "
             "the sum of the listed countries)."},
    {"iso3": "WLD", "name": "World total", "kind": "world", "memberships": "",
     "source": "Lodestone aggregate code: WLD = world total as published (USGS MCS 'World total "
               "(rounded)', World Bank WDI world aggregate) "
               "(../shared/data/SOURCES-policy.md, conventions)",
     "confidence": "derived",
     "note": "Pseudo-row added by tools/build_data.py: not an ISO 3166 country. Used by "
             "production.csv world totals, trade_published.csv (world as partner), "
             "consumption.csv (world end-use shares), economy.csv (world aggregate) and "
             "stockpiles.csv (the IEA model row)."},
]


def build_countries(raw):
    rows = []
    for r in read(raw, "countries.csv"):
        rows.append({"iso3": r["iso3"], "name": r["name"], "kind": "country",
                     "memberships": r["memberships"], "source": r["source"],
                     "confidence": conf("countries", r["note"], "secondary"),
                     "note": r["note"]})
    have = {r["iso3"] for r in rows}
    for p in PSEUDO_COUNTRIES:
        if p["iso3"] in have:
            raise SystemExit("pseudo code %s already a raw country" % p["iso3"])
        rows.append(dict(p))
    rows.sort(key=lambda r: r["iso3"])
    return rows


def build_governance(raw):
    rows = []
    cols = [("voice", "wgi_voice"), ("stability", "wgi_stability"),
            ("effectiveness", "wgi_effectiveness"), ("regulatory", "wgi_regulatory"),
            ("rule_of_law", "wgi_rule_of_law"), ("corruption", "wgi_corruption")]
    for r in read(raw, "governance.csv"):
        row = {"iso3": r["country_iso3"], "year": r["year"]}
        for new, old in cols:
            row[new] = r[old]  # the raw strings, full precision, not reformatted
        row.update({"source": r["source"],
                    "confidence": conf("governance", r["note"], "secondary"),
                    "note": r["note"]})
        rows.append(row)
    return rows


# USGS MCS 2025 World Data release: commodity -> (material, divisor to the material's unit)
WD_COMMODITY = {"Rare earths": ("REO_conc", 1), "Lithium": ("Li_mine", 1),
                "Cobalt": ("Co_mine", 1), "Nickel": ("Ni_mine", 1),
                "Graphite": ("graphite_natural", 1), "Tungsten": ("W_conc", 1),
                "Antimony": ("Sb_mine", 1), "Gallium": ("Ga", 1000), "Gemanium": ("Ge", 1000)}
WD_COUNTRY = {
    "United States": "USA", "Australia": "AUS", "Bolivia": "BOL", "Burma": "MMR",
    "Canada": "CAN", "China": "CHN", "Guatemala": "GTM", "Iran": "IRN", "Kazakhstan": "KAZ",
    "Kyrgyzstan": "KGZ", "Laos": "LAO", "Mexico": "MEX", "Pakistan": "PAK", "Russia": "RUS",
    "Tajikistan": "TJK", "Turkey": "TUR", "Vietnam": "VNM", "Congo (Kinshasa)": "COD",
    "Cuba": "CUB", "Indonesia": "IDN", "Madagascar": "MDG", "New Caledonia": "NCL",
    "Papua New Guinea": "PNG", "Philippines": "PHL", "Japan": "JPN",
    "Korea, Republic of": "KOR", "Austria": "AUT", "Brazil": "BRA", "Germany": "DEU",
    "India": "IND", "Korea, North": "PRK", "Mozambique": "MOZ", "Norway": "NOR",
    "Sri Lanka": "LKA", "Tanzania": "TZA", "Ukraine": "UKR", "Argentina": "ARG",
    "Chile": "CHL", "Namibia": "NAM", "Portugal": "PRT", "Zimbabwe": "ZWE",
    "Greenland": "GRL", "Malaysia": "MYS", "Nigeria": "NGA", "South Africa": "ZAF",
    "Thailand": "THA", "Rwanda": "RWA", "Spain": "ESP", "Belgium": "BEL",
    "Other Countries": "OTHER"}


def world_data(raw):
    """{(material, iso3, year): (Decimal value in the material's unit, raw string, unit)} from
    MCS2025_World_Data.csv, for the commodities of WD_COMMODITY (production columns only)."""
    out = {}
    for r in read(raw, "usgs_mcs_2025/MCS2025_World_Data.csv"):
        com = r["COMMODITY"].strip()
        if com not in WD_COMMODITY:
            continue
        mat, div = WD_COMMODITY[com]
        name = r["COUNTRY"].strip()
        iso = "WLD" if name.startswith("World total") else WD_COUNTRY.get(name)
        if iso is None:
            raise SystemExit("World Data: unmapped country %r (%s)" % (name, com))
        for year, col in (("2023", "PROD_2023"), ("2024", "PROD_EST_ 2024")):
            v = r[col].strip()
            if v == "":
                continue
            out[(mat, iso, year)] = (Decimal(v) / div, v, r["UNIT_MEAS"].strip(), col)
    return out


def build_production(raw):
    wd = world_data(raw)
    prod, cap = [], []
    checked = matched = 0
    mismatches, missing = [], []
    for r in read(raw, "production.csv"):
        note = r["note"]
        row = {"material": r["material"], "country": r["country_iso3"], "year": r["year"],
               "tonnes": r["tonnes"], "kind": r["kind"], "source": r["source"],
               "confidence": conf("production", note, "secondary"), "note": note}
        if r["kind"] == "capacity":
            cap.append(row)
            continue
        usgs_table = r["source"].startswith("USGS Mineral Commodity Summaries 2025, ") or \
            r["source"].startswith("Not found in the named publication: the USGS")
        is_usgs_row = (r["material"], r["kind"]) in {
            ("REO_conc", "mine"), ("Li_mine", "mine"), ("Co_mine", "mine"),
            ("Ni_mine", "mine"), ("graphite_natural", "mine"), ("W_conc", "mine"),
            ("Sb_mine", "mine"), ("Ga", "refinery")} and usgs_table
        if is_usgs_row and row["country"] != "ROW":
            checked += 1
            key = (row["material"], row["country"], row["year"])
            if key in wd:
                v, s, unit, col = wd[key]
                if Decimal(row["tonnes"]) == v:
                    matched += 1
                else:
                    mismatches.append("%s %s %s: production.csv %s, data release %s %s" %
                                      (key + (row["tonnes"], s, unit)))
                    if row["confidence"] == "recalled":
                        # The data release is the primary source: replace a recalled value.
                        old = row["tonnes"]
                        row["tonnes"] = format(v.normalize(), "f")
                        row["confidence"] = "verified"
                        row["source"] = "%s, MCS2025_World_Data.csv, column %s" % (USGS_DR, col)
                        row["note"] = ("value replaced by tools/build_data.py from the data "
                                       "release (was %s, recalled); " % old) + note
                        report("production: replaced recalled %s %s %s %s -> %s" %
                               (key + (old, row["tonnes"])))
            else:
                missing.append("%s %s %s (%s)" % (key + (row["confidence"],)))
        prod.append(row)
    # What the data release has that production.csv does not (country rows only).
    have = {(r["material"], r["country"], r["year"]) for r in prod}
    extra = sorted(k for k in wd if k not in have and k[1] not in ("OTHER",)
                   and k[0] != "Ge")
    report("production: %d USGS country/world rows compared with MCS2025_World_Data.csv, "
           "%d identical" % (checked, matched))
    for m in mismatches:
        report("production: MISMATCH " + m)
    for m in missing:
        report("production: not in the data release: " + m)
    for k in extra:
        report("production: in the data release only: %s %s %s = %s" % (k + (wd[k][1],)))
    prod += complete_years(raw, prod, wd)
    return prod, cap


def complete_years(raw, prod, wd):
    """Rows that complete a year production.csv lists only partly (a world total but no
    residual, e.g. antimony 2024: China and the world only). Every data-release country that
    countries.csv knows gets its own row; the countries it does not know are summed into ROW.
    Only years the data release covers are completed; each new row cites it."""
    known = {r["iso3"] for r in read(raw, "countries.csv")}
    groups = {}
    for r in prod:
        groups.setdefault((r["material"], r["year"]), set()).add(r["country"])
    out = []
    for (mat, year), have in sorted(groups.items()):
        if "WLD" not in have or "ROW" in have:
            continue
        dr = sorted((iso, v) for (m, iso, y), v in wd.items()
                    if m == mat and y == year and iso not in ("WLD", "OTHER"))
        if not dr:
            continue
        rest = []
        for iso, (v, raw_s, unit, col) in dr:
            if iso in have:
                continue
            if iso not in known:
                rest.append((iso, v))
                continue
            out.append({"material": mat, "country": iso, "year": year,
                        "tonnes": format(v.normalize(), "f"), "kind": "mine",
                        "source": "%s, MCS2025_World_Data.csv, column %s" % (USGS_DR, col),
                        "confidence": "verified",
                        "note": "added by tools/build_data.py: production.csv lists only part of "
                                "this year; value from the data release (%s %s)" % (raw_s, unit)})
        total = sum((v for _, v in rest), Decimal(0))
        out.append({"material": mat, "country": "ROW", "year": year,
                    "tonnes": format(total.normalize(), "f") if total else "0", "kind": "mine",
                    "source": "%s, MCS2025_World_Data.csv" % USGS_DR,
                    "confidence": "derived",
                    "note": "ROW derived = sum of the data release's countries not in "
                            "countries.csv (%s); not WLD minus the listed countries, because "
                            "USGS's rounded world total is below their sum" %
                            ", ".join("%s %s" % (i, format(v.normalize(), "f")) for i, v in rest)})
        report("production: completed %s %s from the data release: %d rows" %
               (mat, year, len(out)))
    return out


def build_capacity(cap_rows):
    rows = []
    for r in cap_rows:
        if r["material"] == "NdFeB_magnet" and r["country"] == "USA":
            facility = ("MP Materials US magnet capacity (10X facility + Independence, "
                        "Fort Worth TX)")
        else:
            raise SystemExit("capacity row without a facility name: %r" % r)
        rows.append({"material": r["material"], "country": r["country"],
                     "facility": facility, "year": r["year"], "tpa": r["tonnes"],
                     "source": r["source"], "confidence": r["confidence"],
                     "note": r["note"]})
    return rows


HT_DY = Decimal("0.0459")  # t Dy2O3 per t high-temperature magnet (recipes.csv)


def build_recipes(raw, production):
    raw_rows = read(raw, "recipes.csv")
    # Grade share of high-temperature NdFeB: world Dy oxide / (world magnets x Dy intensity).
    def world(material):
        rows = [r for r in production if r["material"] == material and r["country"] == "WLD"]
        rows.sort(key=lambda r: r["year"])
        if not rows:
            raise SystemExit("no WLD row for %s" % material)
        return rows[-1]
    dy, mag = world("Dy_oxide"), world("NdFeB_magnet")
    share = (Decimal(dy["tonnes"]) / (Decimal(mag["tonnes"]) * HT_DY)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    std = Decimal(1) - share
    formula = ("high_temp share = world Dy_oxide production / (world NdFeB_magnet production "
               "x 0.0459 t Dy2O3 per t) = %s / (%s x 0.0459) = %s, using production.csv WLD rows "
               "Dy_oxide %s (%s) and NdFeB_magnet %s (%s), the only years published; standard "
               "= 1 - %s = %s. Assumes every tonne of Dy oxide goes into high-temperature "
               "magnets at the bulk-Dy intensity and ignores the %d-year gap between the two "
               "years, so it is an order of magnitude, not a statistic" %
               (dy["tonnes"], mag["tonnes"], share, dy["year"], dy["confidence"], mag["year"],
                mag["confidence"], share, std, int(dy["year"]) - int(mag["year"])))
    report("recipes: NdFeB grade shares high_temp %s, standard %s (%s)" % (share, std, formula))
    rows = []
    for r in raw_rows:
        out, inp, note = r["output_material"], r["input_material"], r["note"]
        raw_flag = flag_of(note)
        row = {"output": out, "input": inp, "t_per_t": r["tonnes_input_per_tonne_output"],
               "source": r["source"], "note": note,
               "confidence": conf("recipes", note, "secondary")}
        if out == "NdFeB_magnet":
            grade = "standard" if note.startswith("GRADE=standard") else "high_temp"
            if not (note.startswith("GRADE=standard") or note.startswith("GRADE=high-temp")):
                raise SystemExit("NdFeB recipe row without GRADE=: %r" % note[:60])
            row["grade"] = grade
            row["grade_share"] = str(std if grade == "standard" else share)
            row["source"] = ("derived:grade-share (%s); t_per_t from: %s" %
                             ("world Dy_oxide / (world NdFeB_magnet x 0.0459), production.csv "
                              "WLD rows", r["source"]))
            row["confidence"] = "derived_low"
            row["note"] = ("%s | grade_share: %s | t_per_t flag in the raw file: %s" %
                           (note, formula, raw_flag))
        else:
            row["grade"] = "standard"
            row["grade_share"] = "1"
        if inp == "REO_conc" and out in ("NdPr_oxide", "Dy_oxide", "Tb_oxide"):
            row["role"] = "content"
        else:
            row["role"] = "consumed"
        rows.append(row)
    return rows


def build_trade_published(raw):
    rows = read(raw, "trade.csv")
    expand_as_above(rows, "source")
    out = []
    for r in rows:
        out.append({"material": r["material"], "exporter": r["exporter_iso3"],
                    "importer": r["importer_iso3"], "period": r["year"],
                    "value": r["tonnes_or_share"], "unit": r["unit"], "source": r["source"],
                    "confidence": conf("trade_published", r["note"], "secondary"),
                    "note": r["note"]})
    return out


# end_use label for each consumption row, keyed by (material, country, year, value): the
# raw file has two rows with the same material, country, year and sector, so the end use
# (taken from the row's own note) is what tells them apart.
END_USE = {
    ("REO_conc", "USA", "2020", "6490"): "total",
    ("REO_conc", "USA", "2021", "7900"): "total",
    ("REO_conc", "USA", "2022", "10200"): "total",
    ("REO_conc", "USA", "2023", "10100"): "total",
    ("REO_conc", "USA", "2024", "6600"): "total",
    ("Sb", "USA", "2020", "22400"): "total",
    ("Sb", "USA", "2021", "27800"): "total",
    ("Sb", "USA", "2022", "23900"): "total",
    ("Sb", "USA", "2023", "20300"): "total",
    ("Sb", "USA", "2024", "24000"): "total",
    ("Ga", "USA", "2024", "0.79"): "integrated circuits",
    ("Ga", "USA", "2024", "0.2"): "optoelectronic devices",
    ("W_APT", "USA", "2024", "0.6"): "cemented carbide parts",
    ("Co_refined", "USA", "2024", "0.51"): "superalloys",
    ("Co_refined", "USA", "2024", "0.25"): "chemical applications",
    ("Co_refined", "USA", "2024", "0.15"): "other metallic applications",
    ("Co_refined", "USA", "2024", "0.09"): "cemented carbides",
    ("Ga", "JPN", "2021", "167"): "total",
    ("REO_conc", "JPN", "2024", "18835"): "total",
    ("Li_chem", "USA", "2024", "0.87"): "batteries",
    ("Li_chem", "USA", "2024", "0.05"): "ceramics and glass",
    ("Li_chem", "USA", "2024", "0.01"): "medical",
    ("Ni_refined", "USA", "2024", "0.85"): "stainless and alloy steel, nickel alloys",
    ("Ge", "WLD", "2022", "0.4"): "fiber optics",
    ("Ge", "WLD", "2022", "0.3"): "infrared optics",
    ("Ge", "WLD", "2022", "0.2"): "electronics and solar",
}

# USGS apparent-consumption rows checked against the data release's salient statistics.
CONSUMPTION_CHECK = {
    "REO_conc": ("mcs2025-rareee_salient.csv", "Consump_Compounds-Metals_t"),
    "Sb": ("mcs2025-antim_salient.csv", "Consump_t"),
}


def build_consumption(raw):
    rows = read(raw, "demand.csv")
    expand_as_above(rows, "source")
    salient = {}
    for mat, (fname, col) in CONSUMPTION_CHECK.items():
        for s in read(raw, "usgs_mcs_2025/" + fname):
            salient[(mat, s["Year"])] = (s[col], fname, col)
    out = []
    for r in rows:
        key = (r["material"], r["country_iso3_or_region"], r["year"], r["tonnes_or_share"])
        if key not in END_USE:
            raise SystemExit("consumption row without an end_use label: %r" % (key,))
        unit = "share" if r["note"].startswith("SHARE") else "t"
        note = r["note"]
        source = r["source"]
        flag = None
        if r["country_iso3_or_region"] == "JPN" and r["material"] == "REO_conc":
            flag = "secondary_low"  # secondary report, unit basis not stated (its own note)
        sk = (r["material"], r["year"])
        if r["country_iso3_or_region"] == "USA" and r["sector"] == "total" and sk in salient:
            v, fname, col = salient[sk]
            if Decimal(v) == Decimal(r["tonnes_or_share"]):
                flag = "verified"
                source = "%s; identical in %s, %s, column %s" % (source, USGS_DR, fname, col)
                note = note + (" Checked by tools/build_data.py: identical in the USGS data "
                               "release (%s, %s)." % (fname, col))
            else:
                report("consumption: MISMATCH %s %s: %s vs data release %s" %
                       (r["material"], r["year"], r["tonnes_or_share"], v))
        if flag is None:
            flag = conf("consumption", note, "secondary")
        elif flag_of(note) is None:
            INFERRED["consumption"] = INFERRED.get("consumption", 0) + 1
        out.append({"material": r["material"], "country": r["country_iso3_or_region"],
                    "year": r["year"], "value": r["tonnes_or_share"], "unit": unit,
                    "sector": r["sector"], "end_use": END_USE[key], "source": source,
                    "confidence": flag, "note": note})
    return out


# World Bank WDI, NV.IND.MANF.CD (Manufacturing, value added, current US$), as published in the
# verbatim DDF copy of WDI: GitHub open-numbers/ddf--open_numbers--world_development_indicators,
# datapoints/ddf--datapoints--nv_ind_manf_cd--by--geo--time.csv (countries) and
# ...--by--global--time.csv (world), commit 9bdfcf14fae73950177922c2d991e7357440b452
# (package created 2025-12-23). Year 2023 where the copy has it, else the latest year it has.
# Values are the strings of that file, unchanged. Not found: PRK and TWN (no WDI series).
WDI_MVA = [
    ("ARE", 2023, "49432811436.35126"), ("ARG", 2023, "107327116119.26472"),
    ("AUS", 2023, "91394419093.00163"), ("AUT", 2023, "82364468844.69363"),
    ("BDI", 2023, "428559272.22387"), ("BEL", 2023, "77919028592.5504"),
    ("BIH", 2023, "3663308926.63786"), ("BOL", 2023, "6194946642.54703"),
    ("BRA", 2023, "290394291870.2995"), ("CAF", 2023, "458742463.50069"),
    ("CAN", 2021, "187161913264.32767"), ("CHE", 2023, "159541341584.2135"),
    ("CHL", 2023, "31559957349.78261"), ("CHN", 2023, "4658788723542.83398"),
    ("COD", 2023, "5759166401.73726"), ("COL", 2023, "39812249549.52144"),
    ("CUB", 2020, "12020000000"), ("CZE", 2023, "70506177335.13039"),
    ("DEU", 2023, "864093661090.2113"), ("ECU", 2023, "16111918000"),
    ("ESP", 2023, "177349680274.51291"), ("EST", 2023, "4732644662.4295"),
    ("FIN", 2023, "42662534964.70664"), ("FRA", 2023, "298556108971.57391"),
    ("GBR", 2023, "281323871481.49799"), ("GEO", 2023, "2571597230.54619"),
    ("GIN", 2022, "2537658127.78817"), ("GRL", 2023, "90584456.25305"),
    ("HUN", 2023, "36495516230.59389"), ("IDN", 2023, "255961883712.7876"),
    ("IND", 2023, "473681396666.57721"), ("IRL", 2023, "169102906085.25592"),
    ("ISR", 2023, "60072289596.55683"), ("ITA", 2023, "358531268437.84949"),
    ("JPN", 2023, "867114001854.52405"), ("KAZ", 2023, "32175404952.15547"),
    ("KGZ", 2023, "1906956380.02522"), ("KOR", 2023, "469596698993.80579"),
    ("LAO", 2023, "1465155611.68838"), ("LKA", 2023, "15111243626.72265"),
    ("LTU", 2023, "11630980640.34726"), ("LUX", 2023, "3597130950.47653"),
    ("MAR", 2023, "23061805464.95372"), ("MDG", 2023, "2031023914.54377"),
    ("MEX", 2023, "367180887110.2569"), ("MMR", 2023, "17303040571.42857"),
    ("MNG", 2023, "1280093920.18597"), ("MOZ", 2023, "1489056057.23259"),
    ("MWI", 2023, "1710821143.61855"), ("MYS", 2023, "92069291629.67427"),
    ("NAM", 2023, "1371955466.64406"), ("NCL", 2017, "514071927.35594"),
    ("NGA", 2023, "45195964341.94122"), ("NLD", 2023, "118901704617.64915"),
    ("NOR", 2023, "29206689807.51035"), ("NZL", 2022, "22206042417.38969"),
    ("OMN", 2023, "9926322153.13084"), ("PAK", 2023, "45946890612.07711"),
    ("PER", 2023, "33688264358.43973"), ("PHL", 2023, "70935554391.40312"),
    ("PNG", 2023, "511689528.39894"), ("POL", 2023, "141836650542.05188"),
    ("PRT", 2023, "35315580633.25945"), ("QAT", 2023, "18456043956.04396"),
    ("ROU", 2023, "48253262794.30733"), ("RUS", 2023, "264043633899.52008"),
    ("RWA", 2023, "1367399160.35109"), ("SAU", 2023, "193653600000"),
    ("SGP", 2023, "85801185164.66371"), ("SRB", 2023, "10811074691.76134"),
    ("SVK", 2023, "22503901146.28667"), ("SWE", 2023, "77550847437.84915"),
    ("THA", 2023, "128869681157.12492"), ("TJK", 2023, "1789188553.67109"),
    ("TUR", 2023, "222184595472.19489"), ("TZA", 2023, "6637421603.34184"),
    ("UKR", 2023, "15064359718.84579"), ("USA", 2021, "2497131582000"),
    ("UZB", 2023, "19875264458.58999"), ("VNM", 2023, "104905366269.4902"),
    ("ZAF", 2023, "49511027220.01942"), ("ZMB", 2023, "2344942276.42188"),
    ("ZWE", 2023, "5480609201.23403"),
    ("WLD", 2023, "16441521079789.27148"),
]
WDI_SRC = ("World Bank, World Development Indicators, series NV.IND.MANF.CD 'Manufacturing, "
           "value added (current US$)' (CC BY 4.0); values as published in the verbatim DDF "
           "copy of WDI in GitHub open-numbers/ddf--open_numbers--world_development_indicators, "
           "%s (commit 9bdfcf14fae73950177922c2d991e7357440b452, package created 2025-12-23)")


def build_economy(countries):
    iso = {c["iso3"] for c in countries}
    rows = []
    for c, year, v in WDI_MVA:
        if c not in iso:
            raise SystemExit("economy: %s is not in countries.csv" % c)
        if c == "WLD":
            path = "datapoints/ddf--datapoints--nv_ind_manf_cd--by--global--time.csv (world)"
            note = ("World aggregate of the series, %d. Not a country: the allocation key is "
                    "the country rows; WLD minus their sum is the part of world manufacturing "
                    "in countries not listed (years differ for a few rows)." % year)
        else:
            path = ("datapoints/ddf--datapoints--nv_ind_manf_cd--by--geo--time.csv (row %s,%d)" %
                    (c.lower(), year))
            note = "Manufacturing value added, current US$, %d." % year
            if year != 2023:
                note += (" Latest year with a value in this WDI copy (no 2023 value"
                         "%s); mixing years slightly misstates this country's share." %
                         ("" if year == 2022 else " and no 2022 value"))
        rows.append({"country": c, "year": str(year), "indicator": "NV.IND.MANF.CD",
                     "value": v, "unit": "USD", "source": WDI_SRC % path,
                     "confidence": "verified", "note": note})
    rows.sort(key=lambda r: r["country"])
    return rows


def confidential_of(r):
    """yes when a national stockpile's holdings are not public (see docs/dataset.md)."""
    h = r["known_holdings"].lower()
    if r["holder_iso3"] in ("WLD", "EUU"):
        return "no"  # the IEA model row and the EU pilot are not national stocks
    if h == "" or "undisclosed" in h or "not disclosed" in h:
        return "yes"
    return "no"


def build_stockpiles(raw):
    rows = read(raw, "stockpiles.csv")
    expand_as_above(rows, "release_rules")
    out = []
    for r in rows:
        default = "secondary"
        if r["holder_iso3"] == "AUS":
            default = "secondary_low"  # '$1.2 billion' without a currency (its own note)
        out.append({"holder": r["holder_iso3"], "agency": r["agency"],
                    "scope": r["material_or_scope"], "target": r["target"],
                    "target_unit": r["target_unit"], "known_holdings": r["known_holdings"],
                    "as_of": r["as_of"], "release_rules": r["release_rules"],
                    "confidential": confidential_of(r), "source": r["source"],
                    "confidence": conf("stockpiles", r["note"], default), "note": r["note"]})
    return out


def build_policies(raw):
    out = []
    for r in read(raw, "policies.csv"):
        row = {k: r[k] for k in ("id", "title", "notice_no", "materials", "kind", "targets",
                                 "announced", "effective", "suspended_from", "ends",
                                 "severity_note", "source", "note")}
        row["country"] = r["country_iso3"]
        row["confidence"] = conf("policies", r["note"], "secondary")
        out.append(row)
    return out


def build_agreements(raw):
    out = []
    for r in read(raw, "agreements.csv"):
        row = dict(r)
        row["confidence"] = conf("agreements", r["note"], "secondary")
        out.append(row)
    return out


def build_alliances(agreements, countries, stockpiles):
    agr = {a["id"]: a for a in agreements}
    iea = [s for s in stockpiles if s["holder"] == "WLD" and s["agency"].startswith("IEA")]
    if len(iea) != 1:
        raise SystemExit("alliances: the IEA row of stockpiles.csv is missing")
    iea_ref = ("stockpiles.csv row holder WLD, agency '%s': \"%s\"" %
               (iea[0]["agency"], iea[0]["release_rules"]))

    def members_tagged(tag):
        return ";".join(c["iso3"] for c in countries if tag in c["memberships"].split(";"))

    rule_note = ("burden_rule=consumption is Lodestone's default, the IEA oil-stock rule "
                 "(%s); the agreement states no burden-sharing rule. stock_obligation_days "
                 "left blank: no source gives one for this alliance (the IEA's 90 days of net "
                 "imports applies to IEA members' oil stocks, not to this alliance)." % iea_ref)
    specs = [
        ("USA-JPN", "US-Japan critical minerals and rare earths framework",
         "USA-JPN-2025-CMRE", None, ""),
        ("USA-AUS", "US-Australia critical minerals and rare earths framework",
         "USA-AUS-2025-CMRE", None, ""),
        ("USA-UKR", "US-Ukraine Reconstruction Investment Fund", "USA-UKR-2025-URIF", None, ""),
        ("JPN-GBR", "Japan-UK critical minerals cooperation", "JPN-GBR-2026-01", None, ""),
        ("G7", "G7 (Critical Minerals Action Plan)", "G7-2025-CMAP", None,
         " Members = the parties of G7-2025-CMAP, the same seven countries tagged G7 in "
         "countries.csv; the EU also takes part but is not a member state."),
        ("MSP", "Minerals Security Partnership", "MSP-2022", "MSP",
         " Members = the countries tagged MSP in countries.csv (tags checked against the State "
         "Department partner list). agreements.csv MSP-2022 also lists ARG (Argentina, Aug 2024, "
         "from one Wikipedia revision, moderate confidence), which the checked tags do not "
         "carry, so ARG is left out; the EU is a partner but not included, to avoid counting "
         "its member states twice."),
        ("QUAD", "Quadrilateral Security Dialogue (Quad)", "", "QUAD",
         " Members = the countries tagged QUAD in countries.csv; there is no Quad minerals "
         "agreement in agreements.csv."),
    ]
    out = []
    for aid, name, agreement, tag, extra in specs:
        if tag:
            members = members_tagged(tag)
        else:
            members = agr[agreement]["parties"]
        if agreement:
            source = agr[agreement]["source"]
            conf_ = agr[agreement]["confidence"]
            if conf_ == "secondary_low" and tag:
                conf_ = "secondary"  # members come from the checked tags, not that row
        else:
            source = ("countries.csv memberships tag %s (list checked against Straits Times "
                      "13 Mar 2021 and Wikipedia 'Quadrilateral Security Dialogue')" % tag)
            conf_ = "secondary"
        out.append({"id": aid, "name": name, "members": members, "burden_rule": "consumption",
                    "stock_obligation_days": "", "agreement": agreement, "source": source,
                    "confidence": conf_, "note": rule_note + extra})
    return out


def build_projects(raw):
    out = []
    for r in read(raw, "projects.csv"):
        row = dict(r)
        row["country"] = row.pop("country_iso3")
        row["confidence"] = conf("projects", r["note"], "secondary")
        out.append(row)
    return out


# USGS MCS 2025 salient-statistics price columns: (file, column, material, unit, basis).
# Where prices.csv already carries the same series, its basis text is reused so that the
# same material + year + basis is recognised and not added twice.
SALIENT_PRICES = [
    ("mcs2025-cobal_salient.csv", "Price_Spot_dlb", "Co_refined", "USD/lb",
     "Cobalt, spot price, annual average (USGS salient column Price_Spot_dlb)"),
    ("mcs2025-cobal_salient.csv", "Price_LME_dlb", "Co_refined", "USD/lb",
     "Cobalt, LME cash price, annual average (USGS salient column Price_LME_dlb)"),
    ("mcs2025-galli_salient.csv", "Price_High-purity_dkg", "Ga", "USD/kg",
     "Gallium, high-purity, annual average (USGS salient column Price_High-purity_dkg)"),
    ("mcs2025-galli_salient.csv", "Price_Low-purity_dkg", "Ga", "USD/kg",
     "Gallium, low-purity, annual average (USGS salient column Price_Low-purity_dkg)"),
    ("mcs2025-germa_salient.csv", "Price_Metal_dkg", "Ge", "USD/kg",
     "Germanium metal, annual average (USGS salient column Price_Metal_dkg)"),
    ("mcs2025-germa_salient.csv", "Price_GeO2_dkg", "Ge", "USD/kg",
     "Germanium dioxide, annual average (USGS salient column Price_GeO2_dkg)"),
    ("mcs2025-tungs_salient.csv", "Price_WO3_dt", "W_APT", "USD/mtu WO3",
     "Tungsten, dollars per metric ton unit of WO3 (1 mtu WO3 = 7.93 kg W), annual average "
     "(USGS salient column Price_WO3_dt)"),
    ("mcs2025-graph_salient.csv", "Price_Flake_dt", "graphite_natural", "USD/t",
     "Natural graphite, flake, annual average (USGS salient column Price_Flake_dt)"),
    ("mcs2025-graph_salient.csv", "Price_Lump_dt", "graphite_natural", "USD/t",
     "Natural graphite, lump, annual average (USGS salient column Price_Lump_dt)"),
    ("mcs2025-graph_salient.csv", "Price_Amorphous_dt", "graphite_natural", "USD/t",
     "Natural graphite, amorphous, annual average (USGS salient column Price_Amorphous_dt)"),
    ("mcs2025-antim_salient.csv", "Price_Metal_dlb", "Sb", "USD/lb",
     "Antimony metal, New York dealer price, annual average"),
    ("mcs2025-lithium_salient.csv", "Price_dt", "Li_chem", "USD/t",
     "Battery-grade lithium carbonate, annual average"),
    ("mcs2025-nicke_salient.csv", "Price_dt", "Ni_refined", "USD/t",
     "LME nickel cash, annual average"),
    ("mcs2025-nicke_salient.csv", "Price_dlb", "Ni_refined", "USD/lb",
     "LME nickel cash, annual average"),
    ("mcs2025-rareee_salient.csv", "Price_Dy2O3_dkg", "Dy_oxide", "USD/kg",
     "Dysprosium oxide 99.5% min, annual average"),
    ("mcs2025-rareee_salient.csv", "Price_Nd2O3_dkg", "NdPr_oxide", "USD/kg",
     "Neodymium oxide 99.5% min, annual average (USGS uses Nd oxide; NdPr oxide trades at a "
     "similar level)"),
    ("mcs2025-rareee_salient.csv", "Price_TbO2_dkg", "Tb_oxide", "USD/kg",
     "Terbium oxide 99.99% min, annual average"),
]
SALIENT_NOTE = {
    "Price_WO3_dt": ("Unit: the MCS 2025 Tungsten chapter prints this price in dollars per "
                     "(dry) metric ton unit of WO3, 1 mtu WO3 containing 7.93 kg W (PDF text "
                     "quoted in GitHub nwyin/periodic-atlas verification/W.md); the column "
                     "name's 'dt' is not dollars per tonne. The column does not name the "
                     "product form; filed under W_APT as the tungsten price series."),
    "Price_Nd2O3_dkg": "USGS quotes Nd oxide; used as a proxy for NdPr oxide.",
    "Price_Metal_dlb": ("MCS 2025 prints 'Price, metal, average, dollars per pound'; this row "
                        "continues the prices.csv series from MCS 2022 (New York dealer basis), "
                        "with which it agrees on 2020 (2.67); 2021 stays at the MCS 2022 "
                        "estimate 5.2 (MCS 2025: 5.31)."),
}


def build_prices(raw):
    rows = []
    for r in read(raw, "prices.csv"):
        rows.append({"material": r["material"], "date": r["date"], "price": r["price"],
                     "unit": r["unit"], "basis": r["basis"], "source": r["source"],
                     "confidence": conf("prices", r["note"], "secondary"), "note": r["note"]})
    have = {(r["material"], r["date"], r["basis"]): r for r in rows}
    same_series = {(r["material"], r["date"], r["basis"]) for r in rows}
    added = skipped = 0
    for fname, col, mat, unit, basis in SALIENT_PRICES:
        for s in read(raw, "usgs_mcs_2025/" + fname):
            year, v = s["Year"], s[col].strip()
            if not ("2020" <= year <= "2024"):
                continue
            if v in ("", "NA", "W"):
                report("prices: %s %s %s is %r in the data release: not added" %
                       (fname, col, year, v))
                continue
            key = (mat, year, basis)
            if key in same_series:
                skipped += 1
                old = have.get(key)
                if old is not None and old["unit"] == unit and \
                        Decimal(old["price"]) != Decimal(v):
                    report("prices: kept prices.csv %s %s %s = %s; data release %s column %s "
                           "= %s" % (mat, year, unit, old["price"], fname, col, v))
                continue
            note = "Annual average from the USGS MCS 2025 salient statistics."
            if year == "2024":
                note += " 2024 = USGS estimate."
            if col in SALIENT_NOTE:
                note += " " + SALIENT_NOTE[col]
            rows.append({"material": mat, "date": year, "price": v, "unit": unit,
                         "basis": basis,
                         "source": "%s, %s, column %s" % (USGS_DR, fname, col),
                         "confidence": "verified", "note": note})
            same_series.add(key)
            added += 1
    report("prices: %d salient-statistics prices added, %d already in prices.csv "
           "(same material, year and basis)" % (added, skipped))
    return rows


def build_costs(raw):
    out = []
    for r in read(raw, "costs.csv"):
        p = r["producer_or_country"]
        if "(global)" in p:
            country = "WLD"
        elif "(USA" in p:
            country = "USA"
        else:
            raise SystemExit("costs: no country for producer %r" % p)
        out.append({"material": r["material"], "producer": p, "country": country,
                    "year": r["year"], "cost": r["cost"], "unit": r["unit"],
                    "source": r["source"], "confidence": conf("costs", r["note"], "secondary"),
                    "note": r["note"]})
    return out


EU_CRM_COLS = ["eu_material", "lodestone_materials", "stages_assessed",
               "eu_supply_basis_extraction", "eu_supply_basis_processing",
               "import_reliance_extraction_pct", "import_reliance_processing_pct", "eol_rir_pct",
               "si_sr", "si_ei"]
EU_TRADE_COLS = ["eu_material", "country_iso3", "stage", "scope", "t"]


def build_eu(raw, fname, cols, table):
    rows = read(raw, fname)
    expand_as_above(rows, "source")
    out = []
    for r in rows:
        row = {c: r[c] for c in cols}
        # tabulated by the open CritMAT project from the EC study: secondary
        row.update({"source": r["source"], "confidence": conf(table, r["note"], "secondary"),
                    "note": r["note"]})
        out.append(row)
    return out


# ---------------------------------------------------------------------------------------------
# The package descriptor


def F(name, type_, desc, unit=None, required=False, minimum=None, maximum=None, enum=None):
    f = {"name": name, "type": type_, "description": desc}
    if unit is not None:
        f["unit"] = unit
    c = {"required": required}
    if minimum is not None:
        c["minimum"] = minimum
    if maximum is not None:
        c["maximum"] = maximum
    if enum is not None:
        c["enum"] = enum
    f["constraints"] = c
    return f


def prov():
    return [
        F("source", "string", "Where the row's figures come from: publication, table, page or "
          "copy read; 'derived:' and the method when computed.", required=True),
        F("confidence", "string", "How the figures were obtained: verified (seen verbatim in "
          "the publication or a verbatim copy), secondary (quoted by a third party), "
          "secondary_low, derived (computed from verified/secondary inputs), derived_low "
          "(from at least one recalled or low input), recalled, recalled_low (not re-read at "
          "the source; verify before relying on it).", required=True, enum=FLAGS),
        F("note", "string", "The raw note, with caveats and the derivation where there is one."),
    ]


def mat_fk(field):
    return {"fields": field, "reference": {"resource": "materials", "fields": "id"}}


def cty_fk(field):
    return {"fields": field, "reference": {"resource": "countries", "fields": "iso3"}}


YEAR = "calendar year"


def resources():
    R = []

    def res(name, desc, fields, pk, fks=(), written=True):
        R.append({"name": name, "path": name + ".csv", "profile": "tabular-data-resource",
                  "description": desc, "format": "csv", "mediatype": "text/csv",
                  "encoding": "utf-8",
                  "schema": {"fields": fields + prov(), "missingValues": [""],
                             "primaryKey": pk, "foreignKeys": list(fks)},
                  "_written": written})

    res("materials", "One row per material at a stage (mine, refine, metal, component).", [
        F("id", "string", "Material id, e.g. REO_conc, NdPr_oxide, NdFeB_magnet.", required=True),
        F("name", "string", "Material name.", required=True),
        F("stage", "string", "Supply-chain stage.", required=True,
          enum=["mine", "refine", "metal", "component"]),
        F("unit", "string", "Short unit of every tonnage of this material in the dataset, e.g. "
          "'t REO', 't oxide', 't Li', 't LCE'.", required=True),
        F("hs_codes", "string", "HS 2022 6-digit headings, semicolon-separated."),
    ], ["id"])
    res("countries", "Countries (ISO 3166 alpha-3) and the pseudo-rows EUU, ROW and WLD, with "
        "memberships.", [
        F("iso3", "string", "ISO 3166 alpha-3 code, or EUU/ROW/WLD.", required=True),
        F("name", "string", "Name.", required=True),
        F("kind", "string", "country, region (EUU), residual (ROW) or world (WLD).",
          required=True, enum=["country", "region", "residual", "world"]),
        F("memberships", "string", "Semicolon list of tags: G7, QUAD, EU, NATO, MSP, IEA, "
          "IEA_ASSOC, OECD, APEC, G20, BRICS, SCO, AUKUS, US_FTA, US_CMA, ASEAN, AU, "
          "US_MIN_FRAMEWORK_2025."),
    ], ["iso3"])
    wgi = "World Bank WGI estimate (2024 update, for 2023), full precision as published"
    res("governance", "World Bank Worldwide Governance Indicators, six estimates per country.", [
        F("iso3", "string", "Country.", required=True),
        F("year", "integer", "Year the estimates refer to.", unit=YEAR, required=True),
        F("voice", "number", "Voice and Accountability (VA.EST). " + wgi, unit="WGI score",
          required=True),
        F("stability", "number", "Political Stability and Absence of Violence (PV.EST). " + wgi,
          unit="WGI score", required=True),
        F("effectiveness", "number", "Government Effectiveness (GE.EST). " + wgi,
          unit="WGI score", required=True),
        F("regulatory", "number", "Regulatory Quality (RQ.EST). " + wgi, unit="WGI score",
          required=True),
        F("rule_of_law", "number", "Rule of Law (RL.EST). " + wgi, unit="WGI score",
          required=True),
        F("corruption", "number", "Control of Corruption (CC.EST). " + wgi, unit="WGI score",
          required=True),
    ], ["iso3", "year"], [cty_fk("iso3")])
    res("production", "Production by material, country and year (mine, refinery, plant), "
        "incl. published world totals (WLD) and residuals (ROW).", [
        F("material", "string", "Material.", required=True),
        F("country", "string", "Producing country, WLD or ROW.", required=True),
        F("year", "integer", "Year.", unit=YEAR, required=True),
        F("tonnes", "number", "Production in the material's unit (materials.unit).",
          unit="t/yr (material unit)", required=True, minimum=0),
        F("kind", "string", "mine, refinery or plant.", required=True,
          enum=["mine", "refinery", "plant"]),
    ], ["material", "country", "year"], [mat_fk("material"), cty_fk("country")])
    res("capacity", "Production capacity of a country or named facility.", [
        F("material", "string", "Material.", required=True),
        F("country", "string", "Country.", required=True),
        F("facility", "string", "Facility or scope of the capacity figure.", required=True),
        F("year", "integer", "Year the capacity applies (planned capacity: target year).",
          unit=YEAR, required=True),
        F("tpa", "number", "Capacity in the material's unit per year.",
          unit="t/yr (material unit)", required=True, minimum=0),
    ], ["material", "country", "facility", "year"], [mat_fk("material"), cty_fk("country")])
    res("recipes", "Input per tonne of output (Leontief coefficients), by grade of the output.", [
        F("output", "string", "Output material.", required=True),
        F("input", "string", "Input material.", required=True),
        F("grade", "string", "Grade of the output: standard, or high_temp for NdFeB magnets "
          "with heavy rare earths.", required=True, enum=["standard", "high_temp"]),
        F("grade_share", "number", "Share of the output made in this grade (1 for "
          "single-grade outputs); the shares of an output's grades sum to 1.",
          unit="share 0-1", required=True, minimum=0, maximum=1),
        F("t_per_t", "number", "Tonnes of input (input's unit) per tonne of output (output's "
          "unit).", unit="t/t", required=True, minimum=0),
        F("role", "string", "consumed: the input is used up making the output; content: the "
          "coefficient says how much of the input carries this co-product, the input being "
          "consumed once by another recipe (REO_sep <- REO_conc).", required=True,
          enum=["consumed", "content"]),
    ], ["output", "input", "grade"], [mat_fk("output"), mat_fk("input")])
    res("trade_published", "Bilateral trade figures and import shares as published (not a "
        "complete matrix; the baseline matrix is trade.csv, derived).", [
        F("material", "string", "Material (aggregate REE statistics are filed under "
          "NdPr_oxide; see note).", required=True),
        F("exporter", "string", "Exporting country, or WLD for all origins.", required=True),
        F("importer", "string", "Importing country, EUU, or WLD for all destinations.",
          required=True),
        F("period", "string", "Period as published: a year, or YYYY-MM, 2025H1, 2025-01..07, "
          "2024-YTD (not annual).", required=True),
        F("value", "number", "Tonnes, or a share of the importer's imports (see unit).",
          unit="t or share 0-1 (column unit)", required=True, minimum=0),
        F("unit", "string", "t or share_of_importer_imports.", required=True,
          enum=["t", "share_of_importer_imports"]),
    ], ["material", "exporter", "importer", "period", "unit"],
        [mat_fk("material"), cty_fk("exporter"), cty_fk("importer")])
    res("consumption", "Published consumption: apparent consumption in tonnes, or shares of a "
        "country's consumption by end use and sector.", [
        F("material", "string", "Material (aggregate REE totals are filed under REO_conc).",
          required=True),
        F("country", "string", "Country, or WLD.", required=True),
        F("year", "integer", "Year.", unit=YEAR, required=True),
        F("value", "number", "Tonnes, or a share 0-1 of the country's consumption (see unit).",
          unit="t or share 0-1 (column unit)", required=True, minimum=0),
        F("unit", "string", "t or share.", required=True, enum=["t", "share"]),
        F("sector", "string", "total, or the priority sector the end use maps to.",
          required=True, enum=["total", "defence", "infrastructure", "health",
                               "energy_transition", "consumer"]),
        F("end_use", "string", "End use as the source names it ('total' for totals); "
          "disambiguates two end uses mapped to one sector.", required=True),
    ], ["material", "country", "year", "sector", "end_use"],
        [mat_fk("material"), cty_fk("country")])
    res("economy", "Allocation key for splitting world final demand among countries: "
        "manufacturing value added, current US$ (World Bank WDI NV.IND.MANF.CD).", [
        F("country", "string", "Country, or WLD for the world aggregate.", required=True),
        F("year", "integer", "Year of the value (2023, or the latest year published).",
          unit=YEAR, required=True),
        F("indicator", "string", "World Bank WDI series code.", required=True,
          enum=["NV.IND.MANF.CD"]),
        F("value", "number", "Value of the indicator.", unit="USD (current)", required=True,
          minimum=0),
        F("unit", "string", "Unit of value.", required=True, enum=["USD"]),
    ], ["country", "year", "indicator"], [cty_fk("country")])
    res("stockpiles", "Stockpile agencies, targets and known holdings.", [
        F("holder", "string", "Holding country, EUU, or WLD for the IEA model row.",
          required=True),
        F("agency", "string", "Agency or programme.", required=True),
        F("scope", "string", "Materials or scope covered (free text; may name Lodestone ids)."),
        F("target", "number", "Target or cap as the source states it (see target_unit).",
          unit="target_unit", minimum=0),
        F("target_unit", "string", "usd, tonnes or days.", enum=["usd", "tonnes", "days"]),
        F("known_holdings", "string", "Holdings as published (free text), or undisclosed."),
        F("as_of", "string", "Date of the information (YYYY, YYYY-MM or YYYY-MM-DD)."),
        F("release_rules", "string", "How and when stocks are released."),
        F("confidential", "string", "yes when a national stockpile's holdings are not public.",
          required=True, enum=["yes", "no"]),
    ], ["holder", "agency"], [cty_fk("holder")])
    res("policies", "Export controls and other measures, 2019-2026.", [
        F("id", "string", "Policy id.", required=True),
        F("country", "string", "Country taking the measure.", required=True),
        F("title", "string", "Title.", required=True),
        F("notice_no", "string", "Instrument or notice number."),
        F("materials", "string", "Semicolon list of material ids covered (empty: none of "
          "Lodestone's materials)."),
        F("kind", "string", "licence, ban, quota, tariff or other.", required=True,
          enum=["licence", "ban", "quota", "tariff", "other"]),
        F("targets", "string", "'all', or a semicolon list of targeted countries."),
        F("announced", "string", "Announcement date (YYYY-MM-DD or YYYY-MM)."),
        F("effective", "string", "Effective date (YYYY-MM-DD or YYYY-MM)."),
        F("suspended_from", "string", "Start of a suspension window, if suspended."),
        F("ends", "string", "End of the measure or of its suspension window; empty: "
          "open-ended."),
        F("severity_note", "string", "What is controlled and how strictly."),
    ], ["id"], [cty_fk("country")])
    res("agreements", "The 2022-2026 agreements on critical minerals and their commitments.", [
        F("id", "string", "Agreement id.", required=True),
        F("parties", "string", "Semicolon list of party countries.", required=True),
        F("title", "string", "Title.", required=True),
        F("signed", "string", "Date signed or announced (YYYY-MM-DD)."),
        F("place", "string", "Place."),
        F("commitments", "string", "Semicolon list of commitments."),
        F("money", "string", "Money committed, as stated."),
    ], ["id"])
    res("alliances", "Alliances defined by the agreements and memberships, with their "
        "burden-sharing rule.", [
        F("id", "string", "Alliance id (for --alliance).", required=True),
        F("name", "string", "Name.", required=True),
        F("members", "string", "Semicolon list of member countries.", required=True),
        F("burden_rule", "string", "How a joint response is shared: in proportion to "
          "consumption, to GDP, or equally.", required=True,
          enum=["consumption", "gdp", "equal"]),
        F("stock_obligation_days", "integer", "Stock each member must hold, in days of net "
          "imports; empty when no source gives one.", unit="days of net imports", minimum=0),
        F("agreement", "string", "The agreement defining the alliance (agreements.id), empty "
          "when membership comes from countries.csv tags only."),
    ], ["id"], [{"fields": "agreement",
                 "reference": {"resource": "agreements", "fields": "id"}}])
    res("projects", "Candidate mines, refineries and plants.", [
        F("id", "string", "Project id.", required=True),
        F("name", "string", "Name.", required=True),
        F("operator", "string", "Operator."),
        F("country", "string", "Country.", required=True),
        F("material", "string", "Material produced.", required=True),
        F("stage", "string", "Project stage as reported (free text)."),
        F("capacity_tpa", "number", "Capacity in the material's unit per year; empty when the "
          "source's unit differs (see note).", unit="t/yr (material unit)", minimum=0),
        F("capex_usd_m", "number", "Capital cost in USD million, where the source gives USD.",
          unit="USD million", minimum=0),
        F("status", "string", "Status."),
        F("start_year", "integer", "Start (or target start) year.", unit=YEAR),
        F("permitting_months", "number", "Permitting duration.", unit="months", minimum=0),
        F("gov_support", "string", "Government support, as reported."),
    ], ["id"], [cty_fk("country"), mat_fk("material")])
    res("prices", "Price series: annual averages, assessments, floors.", [
        F("material", "string", "Material.", required=True),
        F("date", "string", "YYYY (annual average) or YYYY-MM.", required=True),
        F("price", "number", "Price in unit.", unit="column unit", required=True, minimum=0),
        F("unit", "string", "Currency per quantity, e.g. USD/kg, USD/t, USD/lb, AUD/kg, "
          "USD/mtu WO3.", required=True),
        F("basis", "string", "Product, market and averaging; a published range is stored as "
          "its midpoint and the range is given here.", required=True),
    ], ["material", "date", "basis"], [mat_fk("material")])
    res("costs", "Production costs.", [
        F("material", "string", "Material.", required=True),
        F("producer", "string", "Producer as named by the source.", required=True),
        F("country", "string", "Producer's country, WLD for global figures.", required=True),
        F("year", "integer", "Year.", unit=YEAR, required=True),
        F("cost", "number", "Cost in unit.", unit="column unit", required=True, minimum=0),
        F("unit", "string", "Currency per quantity.", required=True),
    ], ["material", "producer", "year"], [mat_fk("material"), cty_fk("country")])
    res("eu_crm", "Inputs of the EU 2023 supply-risk assessment per EU material.", [
        F("eu_material", "string", "Material as named by the EU study.", required=True),
        F("lodestone_materials", "string", "Semicolon list of the Lodestone ids it maps to.",
          required=True),
        F("stages_assessed", "string", "E (extraction), P (processing) or E+P.",
          required=True, enum=["E", "P", "E+P"]),
        F("eu_supply_basis_extraction", "string", "Supply basis at extraction: GS+EU "
          "(global supply and EU sourcing) or GSonly.", enum=["GS+EU", "GSonly"]),
        F("eu_supply_basis_processing", "string", "Supply basis at processing.",
          enum=["GS+EU", "GSonly"]),
        F("import_reliance_extraction_pct", "number", "EU import reliance, extraction.",
          unit="percent 0-100", minimum=0, maximum=100),
        F("import_reliance_processing_pct", "number", "EU import reliance, processing.",
          unit="percent 0-100", minimum=0, maximum=100),
        F("eol_rir_pct", "number", "End-of-life recycling input rate.", unit="percent 0-100",
          minimum=0, maximum=100),
        F("si_sr", "number", "Substitution index for supply risk.", unit="index 0-1",
          minimum=0, maximum=1),
        F("si_ei", "number", "Substitution index for economic importance.", unit="index 0-1",
          required=True, minimum=0, maximum=1),
    ], ["eu_material"])
    res("eu_crm_trade", "EU 2023 trade-restriction parameter t per material, country, stage "
        "and scope.", [
        F("eu_material", "string", "EU material (eu_crm.eu_material).", required=True),
        F("country_iso3", "string", "Country.", required=True),
        F("stage", "string", "extraction or processing.", required=True,
          enum=["extraction", "processing"]),
        F("scope", "string", "global (global supply) or eu (EU sourcing).", required=True,
          enum=["global", "eu"]),
        F("t", "number", "Trade parameter t (>1 export restrictions, 0.8 EU trade-agreement "
          "partner).", unit="factor", required=True, minimum=0),
    ], ["eu_material", "country_iso3", "stage", "scope"],
        [cty_fk("country_iso3"),
         {"fields": "eu_material", "reference": {"resource": "eu_crm", "fields": "eu_material"}}])
    res("trade", "Baseline trade matrix, exporter to importer per material and year. Derived "
        "by the C engine (lode derive) from published totals and shares; not written by "
        "tools/build_data.py.", [
        F("material", "string", "Material.", required=True),
        F("exporter", "string", "Exporting country or ROW.", required=True),
        F("importer", "string", "Importing country or ROW.", required=True),
        F("year", "integer", "Year.", unit=YEAR, required=True),
        F("tonnes", "number", "Flow in the material's unit.", unit="t/yr (material unit)",
          required=True, minimum=0),
    ], ["material", "exporter", "importer", "year"],
        [mat_fk("material"), cty_fk("exporter"), cty_fk("importer")], written=False)
    res("demand", "Baseline final demand by country, material and sector with its priority "
        "class. Derived by the C engine (lode derive); not written by tools/build_data.py.", [
        F("material", "string", "Material.", required=True),
        F("country", "string", "Country or ROW.", required=True),
        F("sector", "string", "Priority sector, or unallocated.", required=True,
          enum=["defence", "infrastructure", "health", "energy_transition", "consumer",
                "unallocated"]),
        F("priority", "integer", "Priority class: 1 defence, 2 infrastructure, 3 health, "
          "4 energy transition, 5 consumer, 6 unallocated (the C engine's code for demand "
          "not allocated to a sector).", unit="rank 1-6", required=True, minimum=1,
          maximum=6),
        F("year", "integer", "Year.", unit=YEAR, required=True),
        F("tonnes", "number", "Final demand in the material's unit.",
          unit="t/yr (material unit)", required=True, minimum=0),
    ], ["material", "country", "sector", "year"], [mat_fk("material"), cty_fk("country")],
        written=False)
    res("firms", "Firms and facilities below countries: one row per firm making or using one "
        "material. Written by `lode generate firms` (synthetic, docs/firms.md) or supplied by "
        "the user; not part of the bundled dataset.", [
        F("id", "string", "Firm or facility id.", required=True),
        F("country", "string", "Country (or ROW) the firm is in.", required=True),
        F("material", "string", "Material the firm makes (capacity) and uses (demand).",
          required=True),
        F("capacity_tpa", "number", "Production capacity.", unit="t/yr (material unit)",
          required=True, minimum=0),
        F("demand_tpa", "number", "Use of the material (intermediate and final).",
          unit="t/yr (material unit)", required=True, minimum=0),
    ], ["id"], [cty_fk("country"), mat_fk("material")], written=False)
    res("firm_links", "Supplier-to-buyer links between firms: baseline tonnes per year of one "
        "material. Written by `lode generate firms` or supplied by the user.", [
        F("supplier", "string", "Supplying firm.", required=True),
        F("buyer", "string", "Buying firm.", required=True),
        F("material", "string", "Material shipped.", required=True),
        F("tonnes", "number", "Baseline flow on the link.", unit="t/yr (material unit)",
          required=True, minimum=0),
    ], ["supplier", "buyer", "material"],
        [{"fields": "supplier", "reference": {"resource": "firms", "fields": "id"}},
         {"fields": "buyer", "reference": {"resource": "firms", "fields": "id"}},
         mat_fk("material")], written=False)
    return R


SOURCES = [
    {"title": "U.S. Geological Survey, Mineral Commodity Summaries 2025",
     "path": "https://doi.org/10.3133/mcs2025"},
    {"title": "U.S. Geological Survey, Mineral Commodity Summaries 2025 data release "
              "(world production; salient statistics incl. prices)",
     "path": "https://doi.org/10.5066/P13XCP3R"},
    {"title": "World Bank, Worldwide Governance Indicators, 2024 update",
     "path": "https://www.worldbank.org/en/publication/worldwide-governance-indicators"},
    {"title": "World Bank, World Development Indicators, NV.IND.MANF.CD",
     "path": "https://data.worldbank.org/indicator/NV.IND.MANF.CD"},
    {"title": "European Commission, Study on the Critical Raw Materials for the EU 2023 "
              "(doi:10.2873/725585), as tabulated by the CritMAT project"},
    {"title": "IEA, Global Critical Minerals Outlook 2024 and 2025 (shares as quoted by "
              "public texts)", "path": "https://www.iea.org/reports/global-critical-minerals-outlook-2025"},
    {"title": "Official notices (MOFCOM/GAC, USTR, Federal Register, ARECOMS, ESDM), agreement "
              "texts (White House, US Treasury), company reports and press, as listed row by "
              "row in each table's source column"},
    {"title": "Raw compilation and its source lists: ../shared/data/SOURCES-production.md, "
              "SOURCES-policy.md"},
]


def package(res):
    pk = {"profile": "tabular-data-package", "name": "lodestone-default",
          "title": "Lodestone default dataset: critical-minerals supply security",
          "description": "The bundled dataset of Lodestone, built by tools/build_data.py from "
                         "public figures (see docs/dataset.md). Every row carries its source "
                         "and a confidence flag. trade.csv and demand.csv are derived by the "
                         "C engine (lode derive).",
          "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                        "path": "https://creativecommons.org/licenses/by/4.0/"}],
          "sources": SOURCES,
          "resources": [{k: v for k, v in r.items() if k != "_written"} for r in res]}
    return pk


# ---------------------------------------------------------------------------------------------
# Self-check: every written CSV against the descriptor

NUM_RE = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
INT_RE = re.compile(r"^-?\d+$")


def self_check(res):
    errors = []
    data = {}
    for r in res:
        path = os.path.join(OUT, r["path"])
        if not r["_written"] and not os.path.exists(path):
            continue  # trade.csv / demand.csv: checked too once lode derive has written them
        with open(path, "rb") as f:
            if f.read(3) == b"\xef\xbb\xbf":
                errors.append("%s has a BOM" % r["path"])
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            errors.append("%s is empty (no header)" % r["path"])
            continue
        names = [fd["name"] for fd in r["schema"]["fields"]]
        if rows[0] != names:
            errors.append("%s: header %r != schema %r" % (r["path"], rows[0], names))
        body = [dict(zip(rows[0], x)) for x in rows[1:]]
        for i, x in enumerate(rows[1:], 2):
            if len(x) != len(names):
                errors.append("%s:%d: %d cells, %d fields" % (r["path"], i, len(x), len(names)))
        data[r["name"]] = body
        for i, row in enumerate(body, 2):
            for fd in r["schema"]["fields"]:
                v = row.get(fd["name"], "")
                c = fd["constraints"]
                where = "%s:%d field %s" % (r["path"], i, fd["name"])
                if v == "":
                    if c.get("required"):
                        errors.append(where + ": required value is empty")
                    continue
                if fd["type"] in ("number", "integer"):
                    if not NUM_RE.match(v) or (fd["type"] == "integer" and not INT_RE.match(v)):
                        errors.append("%s: not a%s: %r" % (
                            where, "n integer" if fd["type"] == "integer" else " number", v))
                        continue
                    n = float(v)
                    if "minimum" in c and n < c["minimum"]:
                        errors.append("%s: %s < minimum %s" % (where, v, c["minimum"]))
                    if "maximum" in c and n > c["maximum"]:
                        errors.append("%s: %s > maximum %s" % (where, v, c["maximum"]))
                if "enum" in c and v not in c["enum"]:
                    errors.append("%s: %r not in %r" % (where, v, c["enum"]))
        pkf = r["schema"]["primaryKey"]
        seen = set()
        for i, row in enumerate(body, 2):
            k = tuple(row[f] for f in pkf)
            if any(x == "" for x in k):
                errors.append("%s:%d: empty primary-key field" % (r["path"], i))
            if k in seen:
                errors.append("%s:%d: duplicate primary key %r" % (r["path"], i, k))
            seen.add(k)
    for r in res:
        if r["name"] not in data:
            continue
        for fk in r["schema"]["foreignKeys"]:
            ref = fk["reference"]
            target = {row[ref["fields"]] for row in data[ref["resource"]]}
            for i, row in enumerate(data[r["name"]], 2):
                v = row[fk["fields"]]
                if v != "" and v not in target:
                    errors.append("%s:%d: %s=%r not in %s.%s" % (
                        r["path"], i, fk["fields"], v, ref["resource"], ref["fields"]))
    # Semicolon lists that cannot be foreign keys.
    mats = {x["id"] for x in data["materials"]}
    isos = {x["iso3"] for x in data["countries"]}
    lists = [("policies", "materials", mats, ()), ("policies", "targets", isos, ("all",)),
             ("agreements", "parties", isos, ()), ("alliances", "members", isos, ()),
             ("eu_crm", "lodestone_materials", mats, ())]
    for table, col, ok, extra in lists:
        for i, row in enumerate(data[table], 2):
            v = row[col]
            if v in extra:
                continue
            for item in v.split(";") if v else []:
                if item not in ok:
                    errors.append("%s.csv:%d: %s item %r does not resolve" % (table, i, col,
                                                                              item))
    # recipes: the grade shares of each output sum to 1
    sums = {}
    for row in data["recipes"]:
        sums.setdefault(row["output"], {})[row["grade"]] = Decimal(row["grade_share"])
    for out, g in sums.items():
        if sum(g.values()) != 1:
            errors.append("recipes: grade shares of %s sum to %s" % (out, sum(g.values())))
    # every pseudo code used is declared with the right kind
    kinds = {x["iso3"]: x["kind"] for x in data["countries"]}
    for code, kind in (("WLD", "world"), ("ROW", "residual"), ("EUU", "region")):
        if kinds.get(code) != kind:
            errors.append("countries: %s should be kind %s" % (code, kind))
    return errors, {k: len(v) for k, v in data.items()}


# ---------------------------------------------------------------------------------------------


def main(argv):
    raw = argv[1] if len(argv) > 1 else os.path.join(REPO, "..", "shared", "data")
    raw = os.path.abspath(raw)
    if not os.path.isfile(os.path.join(raw, "materials.csv")):
        raise SystemExit("no raw data at %s" % raw)
    os.makedirs(OUT, exist_ok=True)

    materials = build_materials(raw)
    countries = build_countries(raw)
    governance = build_governance(raw)
    production, cap_rows = build_production(raw)
    capacity = build_capacity(cap_rows)
    recipes = build_recipes(raw, production)
    trade_pub = build_trade_published(raw)
    consumption = build_consumption(raw)
    economy = build_economy(countries)
    stockpiles = build_stockpiles(raw)
    policies = build_policies(raw)
    agreements = build_agreements(raw)
    alliances = build_alliances(agreements, countries, stockpiles)
    projects = build_projects(raw)
    prices = build_prices(raw)
    costs = build_costs(raw)
    eu_crm = build_eu(raw, "eu_crm_2023_parameters.csv", EU_CRM_COLS, "eu_crm")
    eu_trade = build_eu(raw, "eu_crm_2023_trade_parameters.csv", EU_TRADE_COLS, "eu_crm_trade")

    tables = {"materials": materials, "countries": countries, "governance": governance,
              "production": production, "capacity": capacity, "recipes": recipes,
              "trade_published": trade_pub, "consumption": consumption, "economy": economy,
              "stockpiles": stockpiles, "policies": policies, "agreements": agreements,
              "alliances": alliances, "projects": projects, "prices": prices, "costs": costs,
              "eu_crm": eu_crm, "eu_crm_trade": eu_trade}
    res = resources()
    for r in res:
        if r["_written"]:
            header = [f["name"] for f in r["schema"]["fields"]]
            write(r["path"], header, tables[r["name"]])
    with open(os.path.join(OUT, "datapackage.json"), "w", encoding="utf-8",
              newline="\n") as f:
        json.dump(package(res), f, indent=2, ensure_ascii=False)
        f.write("\n")

    errors, counts = self_check(res)
    for line in REPORT:
        print(line)
    for t in sorted(INFERRED):
        print("confidence inferred (no flag in the raw note): %s %d rows" % (t, INFERRED[t]))
    for name in sorted(counts):
        print("%-16s %4d rows" % (name, counts[name]))
    if errors:
        for e in errors:
            print("CHECK FAILED: " + e, file=sys.stderr)
        return 1
    print("self-check: %d tables, every type, constraint, primary key and reference holds" %
          len(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
