#!/bin/sh
# tests/web/run.sh: the dashboard end to end. Builds web/dist, makes a throwaway
# store and an API key for JPN, starts `lode serve` on a free loopback port, waits for
# /api/health, then runs tests/web/dashboard.mjs in headless Chromium (Playwright). Prints
# PASS/FAIL lines and "dashboard: N passed, N failed"; exits non-zero on any failure. The
# server is always stopped. Screenshots: build/web-shots/<page>.png.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lode="$root/bin/lode"
chromium=${CHROMIUM:-/usr/bin/chromium}

fail() { echo "FAIL dashboard-setup: $*"; echo "dashboard: 0 passed, 1 failed"; exit 1; }

[ -x "$lode" ] || fail "no $lode (run make)"
command -v node >/dev/null 2>&1 || fail "node not found (tools/setup.sh installs nodejs)"
[ -x "$chromium" ] || fail "no Chromium at $chromium"
# The packages once (make web does the same); the bundle always, so the test sees the
# current web/src (a build takes well under a second).
if [ ! -d "$root/web/node_modules/playwright-core" ] || [ ! -d "$root/web/node_modules/esbuild" ]; then
    (cd "$root/web" && npm ci --no-audit --no-fund >/dev/null) || fail "npm ci in web/ failed"
fi
(cd "$root/web" && node build.mjs >/dev/null) || fail "cannot build web/dist (web/build.mjs)"


tmp=$(mktemp -d "${TMPDIR:-/tmp}/lode-web.XXXXXX") || fail "mktemp"
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db="$tmp/t.db"
"$lode" --db "$db" init >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log"; fail "lode init"; }
key=$("$lode" --db "$db" keys add JPN --name "JOGMEC" 2>"$tmp/keys.log") || { cat "$tmp/keys.log"; fail "lode keys add"; }
[ -n "$key" ] || fail "lode keys add printed no key"

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})') || fail "no free port"
"$lode" --db "$db" serve --port "$port" --bind 127.0.0.1 --web "$root/web/dist" --scenarios "$root/scenarios" >"$tmp/serve.log" 2>&1 &
pid=$!

url="http://127.0.0.1:$port"
i=0
until node -e 'fetch(process.argv[1]+"/api/health").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url" 2>/dev/null; do
    i=$((i + 1))
    if ! kill -0 "$pid" 2>/dev/null; then cat "$tmp/serve.log"; pid=""; fail "lode serve exited"; fi
    [ $i -lt 150 ] || { cat "$tmp/serve.log"; fail "no /api/health after 30 s"; }
    sleep 0.2
done

LODE_URL="$url" LODE_KEY="$key" CHROMIUM="$chromium" SHOTS_DIR="${SHOTS_DIR:-$root/build/web-shots}" \
    node "$here/dashboard.mjs"
rc=$?
if [ $rc -ne 0 ]; then
    echo "--- lode serve log (last 40 lines)"
    tail -n 40 "$tmp/serve.log"
fi
exit $rc
