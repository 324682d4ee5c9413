#!/bin/sh
# bench/serve.sh: `lode serve` under load from wrk on loopback (issue 8: a cached GET, 2 cores,
# 64 connections, 30 s; floor 10,000 requests/s with no errors, memory flat; p50/p99 latency).
# The measured request is GET /api/risk with a key (signed in, answered from the cache: the
# first request fills it). The reference run, side by side on the same server: GET
# /api/health, the cheapest answer the server gives (no key, a constant body), so the ratio
# says what signing in and a 13 KB body cost. Memory: the server's RSS after a warm-up and
# after the 30 s run (flat = no growth per request). wrk and the server share the 2 cores.
# DURATION=S shortens the runs (default 30).
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
DUR=${DURATION:-30}
command -v wrk >/dev/null || { echo "bench/serve.sh: wrk not found (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
key=$("$LODE" --db "$tmp/t.db" keys add JPN --name bench 2>/dev/null)
"$LODE" --db "$tmp/t.db" serve --port 0 --threads 2 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/log"; exit 1; }
url=http://127.0.0.1:$port
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
curl -sf -H "Authorization: Bearer $key" "$url/api/risk" >/dev/null
bytes=$(curl -sf -H "Authorization: Bearer $key" "$url/api/risk" | wc -c)
# warm-up: 5 s of the measured request
wrk -t2 -c64 -d5s -H "Authorization: Bearer $key" "$url/api/risk" >/dev/null
rss0=$(rss)
run() { # name, path, extra wrk args...
    name=$1 path=$2
    shift 2
    wrk -t2 -c64 -d"${DUR}s" --latency "$@" "$url$path" >"$tmp/$name"
    rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/$name")
    p50=$(awk '$1 == "50%" {print $2}' "$tmp/$name")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/$name")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$tmp/$name")
    sockerr=$(awk '/Socket errors/ {print}' "$tmp/$name")
    echo "$name $rps $p50 $p99 ${non2xx:-0} ${sockerr:-none}"
}
echo "wrk -t2 -c64 -d${DUR}s on loopback, lode serve --threads 2 (2 cores shared with wrk)"
printf '%-34s %12s %9s %9s %7s  %s\n' request "requests/s" p50 p99 non-2xx "socket errors"
m=$(run risk /api/risk -H "Authorization: Bearer $key")
rss1=$(rss)
r=$(run health /api/health)
for line in "$m" "$r"; do
    set -- $line
    label="GET /api/risk (key, cached, ${bytes} B)"
    [ "$1" = health ] && label="GET /api/health (reference)"
    shift
    rps=$1 p50=$2 p99=$3 bad=$4
    shift 4
    printf '%-34s %12s %9s %9s %7s  %s\n' "$label" "$rps" "$p50" "$p99" "$bad" "$*"
done
set -- $m
mrps=$2 mbad=$5
set -- $r
echo "ratio measured/reference (requests/s): $(awk -v a="$mrps" -v b="$2" 'BEGIN {printf "%.2f", a / b}')"
echo "server RSS: $rss0 KiB after warm-up, $rss1 KiB after the ${DUR} s run ($(awk -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%+.1f%%", 100 * (b - a) / a}'))"
ok=$(awk -v a="$mrps" -v e="$mbad" 'BEGIN {print (a >= 10000 && e == 0) ? "met" : "NOT met"}')
echo "floor 10,000 requests/s with no errors: $ok"
