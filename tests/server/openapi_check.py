#!/usr/bin/env python3
"""openapi_check.py: api/openapi.json against what `lode serve` really answers (issue 8).

Usage: python3 tests/server/openapi_check.py path/to/lode

Starts its own server on a fresh store (two keys: JPN and USA), loads /api/openapi.json and
calls every documented operation with the document's examples, validating each answer's body
against the schema documented for its status (an answer whose status the document does not
list fails). Also: the document's parameters against the server's table specs[]
(src/server/request.c), out-of-range and unknown parameters answered 400, undocumented paths
404 and undocumented methods 405 as JSON errors, 401 without a key on every secured
operation, one job per job command (and one that fails) polled until it ends. Prints one
PASS/FAIL line per check, then "N passed, N failed"; exits 1 on any failure. Python 3.11
standard library only; the server is always stopped.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JOB_DEADLINE_S = 120

results = []  # (ok, name, detail)


def check(name, ok, detail=""):
    results.append((bool(ok), name, detail))
    line = ("PASS " if ok else "FAIL ") + name
    if not ok and detail:
        line += ": " + detail
    print(line, flush=True)
    return bool(ok)


# ---- a small JSON-schema validator (the OpenAPI 3.0 subset the document uses) -------------

class Validator:
    def __init__(self, doc):
        self.doc = doc

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise KeyError("only local $ref: " + ref)
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def errors(self, value, schema, path="$", out=None, limit=12):
        """Every way value breaks schema (up to limit), as 'path: what' strings."""
        if out is None:
            out = []
        if len(out) >= limit:
            return out
        if "$ref" in schema:
            return self.errors(value, self.resolve(schema["$ref"]), path, out, limit)
        if value is None:
            if not schema.get("nullable", False) and schema != {}:
                out.append(f"{path}: null but not nullable")
            return out
        t = schema.get("type")
        if t is not None and not type_ok(value, t):
            out.append(f"{path}: {type_name(value)} where {t} is documented")
            return out
        if "enum" in schema and value not in schema["enum"]:
            out.append(f"{path}: {short(value)} not in enum {schema['enum']}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema:
                lo = schema["minimum"]
                if value < lo or (schema.get("exclusiveMinimum") and value == lo):
                    out.append(f"{path}: {value} below minimum {lo}")
            if "maximum" in schema:
                hi = schema["maximum"]
                if value > hi or (schema.get("exclusiveMaximum") and value == hi):
                    out.append(f"{path}: {value} above maximum {hi}")
        if isinstance(value, str) and "pattern" in schema:
            if re.search(schema["pattern"], value) is None:
                out.append(f"{path}: {short(value)} does not match {schema['pattern']}")
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for k in schema.get("required", []):
                if k not in value:
                    out.append(f"{path}: required field '{k}' missing")
            extra = schema.get("additionalProperties", True)
            for k, v in value.items():
                if k in props:
                    self.errors(v, props[k], f"{path}.{k}", out, limit)
                elif extra is False:
                    out.append(f"{path}: field '{k}' not documented")
                elif isinstance(extra, dict):
                    self.errors(v, extra, f"{path}.{k}", out, limit)
        if isinstance(value, list) and "items" in schema:
            for i, v in enumerate(value):
                self.errors(v, schema["items"], f"{path}[{i}]", out, limit)
                if len(out) >= limit:
                    break
        if "oneOf" in schema:
            tries = [self.errors(value, s, path, [], limit) for s in schema["oneOf"]]
            fits = sum(1 for e in tries if not e)
            if fits != 1:
                near = min(tries, key=len) if fits == 0 else []
                out.append(f"{path}: matches {fits} of the oneOf schemas, not 1"
                           + (" (nearest: " + "; ".join(near[:3]) + ")" if near else ""))
        if "anyOf" in schema:
            if all(self.errors(value, s, path, [], 1) for s in schema["anyOf"]):
                out.append(f"{path}: matches none of the anyOf schemas")
        return out


def type_ok(v, t):
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    if t == "string":
        return isinstance(v, str)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "integer":
        return (isinstance(v, int) and not isinstance(v, bool)) or (
            isinstance(v, float) and v.is_integer())
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    raise ValueError("unknown schema type " + repr(t))


def type_name(v):
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
            float: "number"}.get(type(v), type(v).__name__)


def short(v):
    s = json.dumps(v)
    return s if len(s) <= 60 else s[:57] + "..."


# ---- the server ---------------------------------------------------------------------------

class Server:
    def __init__(self, lode):
        self.lode = os.path.abspath(lode)
        self.dir = tempfile.mkdtemp(prefix="lode-openapi-")
        # LODE_SERVE_DB: another store (a PostgreSQL URI from tools/pg-test.sh), else SQLite.
        self.db = os.environ.get("LODE_SERVE_DB") or os.path.join(self.dir, "t.db")
        self.proc = None
        self.port = None
        self.log = []

    def key(self, ally, name):
        r = subprocess.run([self.lode, "--db", self.db, "keys", "add", ally, "--name", name],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"lode keys add {ally}: {r.stderr.strip()}")
        return r.stdout.strip()

    def start(self):
        env = dict(os.environ, TMPDIR=self.dir)
        self.proc = subprocess.Popen(
            [self.lode, "--db", self.db, "serve", "--port", "0", "--threads", "2"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if line == "":
                break
            self.log.append(line)
            m = re.search(r"listening on http://[0-9.]+:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            raise RuntimeError("the server did not start: " + "".join(self.log)[-500:])
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, key=None, body=None, headers=None):
        """(status, content type, parsed JSON or None, raw text)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = "Bearer " + key
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            raw = r.read().decode("utf-8", "replace")
            ctype = r.getheader("Content-Type", "")
        finally:
            c.close()
        try:
            parsed = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            parsed = None
        return r.status, ctype, parsed, raw


# ---- helpers over the document ------------------------------------------------------------

def query_string(params):
    from urllib.parse import quote
    parts = []
    for name, v in params:
        vals = v if isinstance(v, list) else [v]
        for x in vals:
            if isinstance(x, bool):
                x = "true" if x else "false"
            parts.append(quote(name) + "=" + quote(str(x)))
    return ("?" + "&".join(parts)) if parts else ""


def fmt_number(x):
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


class Checker:
    def __init__(self, srv, doc, key, other_key):
        self.srv = srv
        self.doc = doc
        self.v = Validator(doc)
        self.key = key
        self.other_key = other_key
        self.called = set()

    def operations(self):
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "delete", "patch", "head", "options"):
                    yield path, method.upper(), op

    def secured(self, op):
        sec = op.get("security", self.doc.get("security", []))
        return bool(sec)

    def answer(self, name, op, method, url, key=None, body=None, expect=None):
        """Call, then check: status documented (and == expect if given), JSON error bodies,
        body valid against the documented schema. Returns (status, body) or None."""
        self.called.add(op["operationId"])
        try:
            status, ctype, body_out, raw = self.srv.request(method, url, key=key, body=body)
        except (OSError, http.client.HTTPException) as e:
            check(name, False, f"{method} {url}: {e}")
            return None
        resp = op["responses"].get(str(status))
        if resp is None:
            check(name, False, f"{method} {url} answered {status}, which the document does "
                               f"not list ({sorted(op['responses'])}): {raw[:200]}")
            return None
        if expect is not None and status != expect:
            check(name, False, f"{method} {url} answered {status}, expected {expect}: "
                               f"{raw[:300]}")
            return None
        if not ctype.startswith("application/json") or body_out is None:
            check(name, False, f"{method} {url}: {status} not JSON ({ctype}): {raw[:100]}")
            return None
        schema = resp["content"]["application/json"]["schema"]
        errs = self.v.errors(body_out, schema)
        if status >= 400 and not errs and body_out["error"]["status"] != status:
            errs = [f"error.status {body_out['error']['status']} != HTTP {status}"]
        if not check(name, not errs, f"{method} {url} {status}: " + "; ".join(errs)):
            return None
        return status, body_out

    def example_params(self, op):
        """Query parameters and path values from the examples: ([(name, value)], {path})."""
        query, path_vals = [], {}
        for p in op.get("parameters", []):
            if "example" not in p:
                continue
            if p["in"] == "query":
                query.append((p["name"], p["example"]))
            elif p["in"] == "path":
                path_vals[p["name"]] = p["example"]
        return query, path_vals


def fill(path, vals):
    return re.sub(r"\{(\w+)\}", lambda m: str(vals[m.group(1)]), path)


# ---- specs[] of src/server/request.c --------------------------------------------------------

def read_specs():
    src = open(os.path.join(ROOT, "src", "server", "request.c")).read()
    consts = dict(re.findall(r"#define\s+(\w+)\s+([0-9.eE+]+)\s*$", src, re.M))
    body = src[src.index("static const pspec specs[]"):]
    body = body[:body.index("};")]
    rows = []
    pat = re.compile(r'\{"(\w+)",\s*"(\w+)",\s*(NULL|"[^"]*"),\s*(P_\w+),\s*([\w.+]+),\s*'
                     r'([\w.+]+),\s*(NULL|"[^"]*"),\s*([01])\}')
    for m in pat.finditer(body):
        cmd, name, _opt, kind, lo, hi, words, rep = m.groups()
        rows.append({"cmd": cmd, "name": name, "kind": kind,
                     "lo": float(consts.get(lo, lo)), "hi": float(consts.get(hi, hi)),
                     "words": None if words == "NULL" else words.strip('"').split("|"),
                     "repeat": rep == "1"})
    return rows


def spec_mismatch(spec, schema, in_job):
    """What differs between one specs[] row and the documented schema ('' if nothing)."""
    s = schema
    if spec["repeat"]:
        if in_job:
            alts = s.get("oneOf", [])
            arrs = [a for a in alts if a.get("type") == "array"]
            strs = [a for a in alts if a.get("type") == "string"]
            if not arrs or not strs:
                return "repeatable: documented as neither string nor array of strings"
            s = strs[0]
        else:
            if s.get("type") != "array":
                return "repeatable but not an array"
            s = s["items"]
    kind = spec["kind"]
    want = {"P_NAME": "string", "P_SCENARIO": "string", "P_POS_SCENARIO": "string",
            "P_INT": "integer", "P_NUM": "number", "P_ENUM": "string",
            "P_FLAG": "boolean", "P_DATE": "string"}[kind]
    if s.get("type") != want:
        return f"type {s.get('type')} where specs[] has {kind}"
    if kind in ("P_INT", "P_NUM"):
        if s.get("minimum") != spec["lo"] or s.get("maximum") != spec["hi"]:
            return (f"range [{s.get('minimum')}, {s.get('maximum')}] where specs[] has "
                    f"[{spec['lo']:g}, {spec['hi']:g}]")
    if kind == "P_ENUM" and s.get("enum") != spec["words"]:
        return f"enum {s.get('enum')} where specs[] has {spec['words']}"
    if kind in ("P_NAME", "P_SCENARIO", "P_POS_SCENARIO", "P_DATE") and "pattern" not in s:
        return "a name without the name pattern"
    return ""


# ---- the checks -----------------------------------------------------------------------------

def check_document(c):
    doc = c.doc
    check("doc: openapi 3.0.3", doc.get("openapi") == "3.0.3", str(doc.get("openapi")))
    bad = []

    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node:
                try:
                    c.v.resolve(node["$ref"])
                except (KeyError, TypeError):
                    bad.append(f"{where}: {node['$ref']}")
            for k, v in node.items():
                walk(v, where + "/" + k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")
    walk(doc, "#")
    check("doc: every $ref resolves", not bad, "; ".join(bad[:5]))
    probs = []
    ids = set()
    for path, method, op in c.operations():
        where = f"{method} {path}"
        if op.get("operationId") in ids or not op.get("operationId"):
            probs.append(where + ": operationId missing or repeated")
        ids.add(op.get("operationId"))
        if c.secured(op) and "401" not in op["responses"]:
            probs.append(where + ": secured without a 401 response")
        for status, r in op["responses"].items():
            if "application/json" not in r.get("content", {}):
                probs.append(f"{where} {status}: no application/json schema")
        for p in op.get("parameters", []):
            if "example" not in p:
                probs.append(f"{where}: parameter {p['name']} has no example")
            elif c.v.errors(p["example"], p["schema"]):
                probs.append(f"{where}: parameter {p['name']}'s example breaks its schema")
        for seg in re.findall(r"\{(\w+)\}", path):
            if not any(p["in"] == "path" and p["name"] == seg
                       for p in op.get("parameters", [])):
                probs.append(f"{where}: path parameter {seg} undocumented")
    check("doc: operations well formed (ids, 401s, JSON schemas, examples)", not probs,
          "; ".join(probs[:5]))
    schemes = doc.get("components", {}).get("securitySchemes", {})
    check("doc: bearer security scheme",
          any(s.get("type") == "http" and s.get("scheme") == "bearer"
              for s in schemes.values()), str(schemes))
    want = {("/api/health", "GET"), ("/api/openapi.json", "GET"), ("/api/whoami", "GET"),
            ("/api/scenarios", "GET"), ("/api/scenarios/{name}", "GET"),
            ("/api/data/{resource}", "GET"), ("/api/jobs", "GET"), ("/api/jobs", "POST"),
            ("/api/jobs/{id}", "GET")} | {("/api/" + e, "GET") for e in
                                          ("check", "risk", "exposure", "chokepoints",
                                           "market", "stockpile")} | {("/api/news", "POST")}
    have = {(p, m) for p, m, _ in c.operations()}
    check("doc: every route of the server documented", want <= have,
          str(sorted(want - have)))
    pkg = json.load(open(os.path.join(ROOT, "data", "datapackage.json")))
    names = [r["name"] for r in pkg["resources"]]
    op = doc["paths"]["/api/data/{resource}"]["get"]
    enum = op["parameters"][0]["schema"].get("enum")
    check("doc: data resources = datapackage.json resources", enum == names,
          f"{enum} vs {names}")


def check_specs(c):
    specs = read_specs()
    check("specs[]: read from src/server/request.c", len(specs) >= 40, f"{len(specs)} rows")
    schemas = c.doc["components"]["schemas"]
    for cmd in sorted({s["cmd"] for s in specs}):
        rows = [s for s in specs if s["cmd"] == cmd]
        probs = []
        get = c.doc["paths"].get("/api/" + cmd, {}).get("get")
        if get is not None:
            params = {p["name"]: p for p in get.get("parameters", []) if p["in"] == "query"}
            for s in rows:
                if s["name"] not in params:
                    probs.append(f"GET: {s['name']} undocumented")
                    continue
                m = spec_mismatch(s, params[s["name"]]["schema"], False)
                if m:
                    probs.append(f"GET {s['name']}: {m}")
            for n in set(params) - {s["name"] for s in rows}:
                probs.append(f"GET: {n} documented but not in specs[]")
        jobs = c.doc["components"]["schemas"]["JobRequest"]["x-params-by-command"]
        if cmd in jobs:
            props = c.v.resolve(jobs[cmd])["properties"]
            for s in rows:
                if s["name"] not in props:
                    probs.append(f"job: {s['name']} undocumented")
                    continue
                m = spec_mismatch(s, props[s["name"]], True)
                if m:
                    probs.append(f"job {s['name']}: {m}")
            for n in set(props) - {s["name"] for s in rows} - {"scenario_json"}:
                probs.append(f"job: {n} documented but not in specs[]")
        news = c.doc["paths"].get("/api/" + cmd, {}).get("post")
        if news is not None:  # a command answered at once to a POST: its params in the body
            body = c.v.resolve(news["requestBody"]["content"]["application/json"]["schema"]
                               ["$ref"])
            props = body["properties"]["params"]["properties"]
            for s in rows:
                if s["name"] not in props:
                    probs.append(f"POST: {s['name']} undocumented")
                    continue
                m = spec_mismatch(s, props[s["name"]], True)
                if m:
                    probs.append(f"POST {s['name']}: {m}")
            for n in set(props) - {s["name"] for s in rows}:
                probs.append(f"POST: {n} documented but not in specs[]")
        if get is None and cmd not in jobs and news is None:
            probs.append("command of specs[] documented nowhere")
        check(f"specs[] {cmd}: parameters, kinds and ranges documented", not probs,
              "; ".join(probs[:6]))
    jobs = set(schemas["JobRequest"]["x-params-by-command"])
    enum = set(schemas["JobRequest"]["properties"]["command"]["enum"])
    check("doc: job commands (JobRequest enum = params schemas)", jobs == enum,
          f"{sorted(jobs)} vs {sorted(enum)}")


def check_get_operations(c):
    for path, method, op in c.operations():
        if method != "GET" or "{id}" in path:
            continue
        query, pv = c.example_params(op)
        url = fill(path, pv) + query_string(query)
        key = c.key if c.secured(op) else None
        r = c.answer(f"{method} {path} with its examples", op, method, url, key=key,
                     expect=200)
        if r is not None and path == "/api/openapi.json":
            check("served /api/openapi.json is api/openapi.json", r[1] == c.doc_file,
                  "the server serves another document (built from another tree?)")


def check_news(c):
    """POST /api/news: its example answered and valid; bad bodies answered 400."""
    op = c.doc["paths"]["/api/news"]["post"]
    content = op["requestBody"]["content"]["application/json"]
    for name, ex in content["examples"].items():
        errs = c.v.errors(ex["value"], c.v.resolve(content["schema"]["$ref"]))
        check(f"POST /api/news example {name} fits NewsRequest", not errs, "; ".join(errs[:3]))
        r = c.answer(f"POST /api/news example {name} -> 200", op, "POST", "/api/news",
                     key=c.key, body=ex["value"], expect=200)
        if r is not None:
            names = [a["name"] for a in ex["value"]["articles"]]
            check("POST /api/news: an answer per article, named as sent",
                  [a["file"] for a in r[1]["articles"]] == names,
                  str([a["file"] for a in r[1]["articles"]]))
    for why, body in [("no articles", {"articles": []}),
                      ("a path as a name", {"articles": [{"name": "../x", "text": "a"}]}),
                      ("a name twice", {"articles": [{"name": "a", "text": "x"},
                                                     {"name": "a", "text": "y"}]}),
                      ("an unknown parameter", {"articles": [{"name": "a", "text": "x"}],
                                                "params": {"nosuch": 1}}),
                      ("a bad date", {"articles": [{"name": "a", "text": "x"}],
                                      "params": {"date": "2025-1-1"}})]:
        c.answer(f"POST /api/news with {why} -> 400", op, "POST", "/api/news", key=c.key,
                 body=body, expect=400)


def check_all_values(c):
    """Every table and every shipped scenario, not only the examples."""
    op = c.doc["paths"]["/api/data/{resource}"]["get"]
    bad = []
    for res in op["parameters"][0]["schema"]["enum"]:
        st, ctype, body, raw = c.srv.request("GET", "/api/data/" + res, key=c.key)
        errs = c.v.errors(body, op["responses"]["200"]["content"]["application/json"]
                          ["schema"]) if st == 200 else [f"status {st}: {raw[:100]}"]
        if not errs and body["resource"] != res:
            errs = ["resource " + body["resource"]]
        if errs:
            bad.append(f"{res}: {errs[0]}")
    check("GET /api/data/{resource}: every resource answers a valid table", not bad,
          "; ".join(bad[:4]))
    st, _, lst, _ = c.srv.request("GET", "/api/scenarios", key=c.key)
    op = c.doc["paths"]["/api/scenarios/{name}"]["get"]
    bad = []
    names = [s["name"] for s in (lst or {}).get("scenarios", [])]
    for n in names:
        st, _, body, raw = c.srv.request("GET", "/api/scenarios/" + n, key=c.key)
        errs = c.v.errors(body, c.v.resolve("#/components/schemas/Scenario")) \
            if st == 200 else [f"status {st}"]
        if errs:
            bad.append(f"{n}: {errs[0]}")
    check("GET /api/scenarios/{name}: every listed scenario answers", names and not bad,
          "; ".join(bad[:4]) or "no scenarios listed")
    c.answer("GET /api/scenarios/{name} unknown -> 404", op, "GET",
             "/api/scenarios/no-such-scenario", key=c.key, expect=404)
    op = c.doc["paths"]["/api/data/{resource}"]["get"]
    c.answer("GET /api/data/{resource} unknown -> 404", op, "GET", "/api/data/nosuch",
             key=c.key, expect=404)


def out_of_range(schema):
    """Values the schema forbids, as query strings: [(value, why)]."""
    bad = []
    t = schema.get("type")
    s = schema["items"] if t == "array" else schema
    t = s.get("type")
    if t in ("integer", "number"):
        lo, hi = s.get("minimum"), s.get("maximum")
        if hi is not None:
            step = max(1, abs(hi) * 1e-3)
            bad.append((fmt_number(int(hi + step) if t == "integer" else hi + step), "> max"))
        if lo is not None:
            bad.append((fmt_number(lo - 1 if t == "integer" else lo - 0.5), "< min"))
        bad.append(("abc", "not a number"))
        if t == "integer":
            bad.append(("1.5", "not whole"))
    if "enum" in s:
        bad.append(("nosuch", "not in enum"))
    if t == "boolean":
        bad.append(("maybe", "not a boolean"))
    if "pattern" in s:
        bad.append(("-x", "bad name"))
    return bad


def check_bad_parameters(c):
    for path, method, op in c.operations():
        if method != "GET" or not path.startswith("/api/") or "{" in path:
            continue
        qps = [p for p in op.get("parameters", []) if p["in"] == "query"]
        if not qps:
            if c.secured(op):
                c.answer(f"{method} {path}?x=1 -> 400 (takes no parameters)", op, method,
                         path + "?x=1", key=c.key, expect=400)
            continue
        wrong = []
        for p in qps:
            for val, why in out_of_range(p["schema"]):
                st, _, body, raw = c.srv.request(method, f"{path}?{p['name']}={val}",
                                                 key=c.key)
                if st != 400 or c.v.errors(body, c.v.resolve("#/components/schemas/Error")):
                    wrong.append(f"{p['name']}={val} ({why}) -> {st}")
        check(f"{method} {path}: out-of-range values answered 400", not wrong,
              "; ".join(wrong[:5]))
        c.answer(f"{method} {path}?nosuch=1 -> 400", op, method, path + "?nosuch=1",
                 key=c.key, expect=400)
        if any(not p["schema"].get("type") == "array" for p in qps):
            p = next(p for p in qps if p["schema"].get("type") != "array")
            q = query_string([(p["name"], p["example"])] * 2)
            c.answer(f"{method} {path}: a single parameter given twice -> 400", op, method,
                     path + q, key=c.key, expect=400)


def check_auth(c):
    for path, method, op in c.operations():
        if not c.secured(op):
            continue
        query, pv = c.example_params(op)
        pv.setdefault("id", "0123456789abcdef")
        url = fill(path, pv) + query_string(query)
        body = {"command": "chokepoints", "params": {"weeks": 1}} if method == "POST" else None
        c.answer(f"{method} {path} without a key -> 401", op, method, url, body=body,
                 expect=401)
        c.answer(f"{method} {path} with an unknown key -> 401", op, method, url,
                 key="lode_0000000000000000_" + "A" * 43, body=body, expect=401)
    for path, method, op in c.operations():
        if not c.secured(op):
            st, _, _, raw = c.srv.request(method, fill(path, {}))
            check(f"{method} {path} needs no key", st == 200, f"{st}: {raw[:100]}")


def check_not_found(c):
    err = c.v.resolve("#/components/schemas/Error")
    for url in ("/api/nosuch", "/api/risk/x", "/api", "/api/jobs/x/y", "/api/data/",
                "/api/scenarios/../risk"):
        st, ctype, body, raw = c.srv.request("GET", url, key=c.key)
        errs = c.v.errors(body, err) if body is not None else ["not JSON"]
        check(f"GET {url} (undocumented) -> 404 JSON", st == 404 and not errs
              and ctype.startswith("application/json"), f"{st} {ctype}: {raw[:120]}")
    for path, item in c.doc["paths"].items():
        documented = {m.upper() for m in item}
        pv = {"id": "0123456789abcdef"}
        for p in next(iter(item.values())).get("parameters", []):
            if p["in"] == "path":
                pv[p["name"]] = p["example"]
        for m in ("DELETE", "PUT", "POST"):
            if m in documented:
                continue
            st, ctype, body, raw = c.srv.request(m, fill(path, pv), key=c.key)
            errs = c.v.errors(body, err) if body is not None else ["not JSON"]
            ok = st == 405 and not errs
            check(f"{m} {path} (undocumented method) -> 405 JSON", ok,
                  f"{st}: {raw[:120]}")
            break  # one undocumented method per path


def job_params_errors(c, command, params):
    ref = c.doc["components"]["schemas"]["JobRequest"]["x-params-by-command"].get(command)
    if ref is None:
        return [f"no params schema for {command}"]
    return c.v.errors(params, {"$ref": ref})


def check_jobs(c):
    post = c.doc["paths"]["/api/jobs"]["post"]
    get_one = c.doc["paths"]["/api/jobs/{id}"]["get"]
    listing = c.doc["paths"]["/api/jobs"]["get"]
    by_cmd = c.doc["components"]["schemas"]["Job"]["x-result-by-command"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    req_schema = post["requestBody"]["content"]["application/json"]["schema"]
    commands = set(c.doc["components"]["schemas"]["JobRequest"]["properties"]["command"]
                   ["enum"])
    covered = {e["value"]["command"] for e in examples.values()}
    check("POST /api/jobs: an example per job command", covered == commands,
          f"missing {sorted(commands - covered)}")
    jobs = {}
    for name, ex in examples.items():
        body = ex["value"]
        errs = c.v.errors(body, req_schema) + job_params_errors(c, body["command"],
                                                                 body.get("params", {}))
        check(f"POST /api/jobs example {name} fits JobRequest and its params schema",
              not errs, "; ".join(errs[:3]))
        r = c.answer(f"POST /api/jobs example {name} -> 202", post, "POST", "/api/jobs",
                     key=c.key, body=body, expect=202)
        if r is not None:
            jobs[name] = (r[1]["id"], body["command"])
    # a job whose command fails: an unknown project for --require
    r = c.answer("POST /api/jobs invest requiring an unknown project -> 202", post, "POST",
                 "/api/jobs", key=c.key, expect=202,
                 body={"command": "invest", "params": {"budget": 1e9, "runs": 1,
                                                       "scenario": "china-ree-stop",
                                                       "require": "NO-SUCH-PROJECT"}})
    failing = r[1]["id"] if r else None

    # poll until every job ended, within the deadline
    pending = {jid for jid, _ in jobs.values()} | ({failing} if failing else set())
    final = {}
    deadline = time.time() + JOB_DEADLINE_S
    while pending and time.time() < deadline:
        for jid in sorted(pending):
            st, _, body, raw = c.srv.request("GET", "/api/jobs/" + jid, key=c.key)
            if st != 200:
                final[jid] = (st, body, raw)
                pending.discard(jid)
            elif body.get("state") in ("done", "failed"):
                final[jid] = (st, body, raw)
                pending.discard(jid)
        if pending:
            time.sleep(0.2)
    check(f"jobs ended within {JOB_DEADLINE_S} s", not pending, f"{len(pending)} still on")

    for name, (jid, cmd) in jobs.items():
        r = c.answer(f"GET /api/jobs/{{id}} {name}: a valid job document", get_one, "GET",
                     "/api/jobs/" + jid, key=c.key, expect=200)
        if r is None:
            continue
        job = r[1]
        ok = job["state"] == "done" and job["command"] == cmd and job["id"] == jid
        check(f"job {name}: done", ok,
              f"state {job['state']}: {json.dumps(job.get('error'))[:300]}")
        if job["state"] == "done":
            errs = c.v.errors(job.get("result"), {"$ref": by_cmd[cmd]}, "$.result")
            check(f"job {name}: result fits {by_cmd[cmd].rsplit('/', 1)[-1]}", not errs,
                  "; ".join(errs))
            p = job["progress"]
            # total is 0 for commands that report no runs; else a done job did them all
            check(f"job {name}: progress of a done job complete",
                  p["done"] == p["total"] if p["total"] > 0 else p["done"] == 0,
                  json.dumps(p))
    if failing:
        r = c.answer("GET /api/jobs/{id} of the failing job: a valid job document", get_one,
                     "GET", "/api/jobs/" + failing, key=c.key, expect=200)
        if r is not None:
            job = r[1]
            check("failing job: state failed with error.status 400",
                  job["state"] == "failed" and "error" in job and "result" not in job
                  and job["error"]["status"] == 400, json.dumps(job)[:300])
    r = c.answer("GET /api/jobs lists the caller's jobs", listing, "GET", "/api/jobs",
                 key=c.key, expect=200)
    if r is not None:
        ids = {j["id"] for j in r[1]["jobs"]}
        want = {jid for jid, _ in jobs.values()} | ({failing} if failing else set())
        check("GET /api/jobs holds every job submitted", want <= ids,
              f"missing {sorted(want - ids)}")
    r = c.answer("GET /api/jobs for another ally: none of JPN's jobs", listing, "GET",
                 "/api/jobs", key=c.other_key, expect=200)
    if r is not None:
        check("another ally's job list is empty", r[1]["jobs"] == [], json.dumps(r[1])[:200])
    if jobs:
        jid = next(iter(jobs.values()))[0]
        c.answer("GET /api/jobs/{id} of another ally's job -> 404", get_one, "GET",
                 "/api/jobs/" + jid, key=c.other_key, expect=404)
    c.answer("GET /api/jobs/{id} unknown (the document's example) -> 404", get_one, "GET",
             "/api/jobs/0123456789abcdef", key=c.key, expect=404)
    for why, body in (("a command not run as a job", {"command": "risk"}),
                      ("an unknown parameter", {"command": "simulate",
                                                "params": {"scenario": "zero", "x": 1}}),
                      ("no scenario", {"command": "simulate", "params": {"runs": 1}}),
                      ("runs out of range", {"command": "simulate",
                                             "params": {"scenario": "zero",
                                                        "runs": 1000001}}),
                      ("an unknown field", {"command": "simulate", "x": 1}),
                      ("not JSON", b"{")):
        c.answer(f"POST /api/jobs with {why} -> 400", post, "POST", "/api/jobs", key=c.key,
                 body=body, expect=400)
    c.answer("POST /api/jobs over 256 KiB -> 413", post, "POST", "/api/jobs", key=c.key,
             body=b'{"command":"simulate","params":{"scenario":"' + b"a" * 270000 + b'"}}',
             expect=413)


def main():
    if len(sys.argv) != 2:
        print("usage: openapi_check.py path/to/lode", file=sys.stderr)
        return 2
    doc_path = os.path.join(ROOT, "api", "openapi.json")
    try:
        doc_file = json.load(open(doc_path))
    except (OSError, json.JSONDecodeError) as e:
        check("api/openapi.json is JSON", False, str(e))
        return 1
    srv = Server(sys.argv[1])
    try:
        key = srv.key("JPN", "JOGMEC")
        other = srv.key("USA", "DLA")
        srv.start()
        st, ctype, doc, raw = srv.request("GET", "/api/openapi.json")
        if not check("GET /api/openapi.json answers the document", st == 200 and doc,
                     f"{st}: {raw[:200]}"):
            return 1
        c = Checker(srv, doc, key, other)
        c.doc_file = doc_file
        check_document(c)
        check_specs(c)
        check_get_operations(c)
        check_all_values(c)
        check_news(c)
        check_jobs(c)
        check_bad_parameters(c)
        check_auth(c)
        check_not_found(c)
        ops = {op["operationId"] for _, _, op in c.operations()}
        check("every documented operation was called", ops <= c.called,
              f"not called: {sorted(ops - c.called)}")
        alive = srv.proc.poll() is None
        check("the server still runs", alive, "".join(srv.log)[-400:])
    except Exception as e:  # a crash of the checker is a failure too, never a pass
        check("checker ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        srv.stop()
    passed = sum(1 for ok, _, _ in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
