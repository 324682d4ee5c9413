#!/bin/sh
# tests/server/tsan.sh LODE: `lode serve` built with ThreadSanitizer under concurrent load:
# jobs running in the worker (simulate with its own threads, respond with the LP solver) while
# wrk hammers a computed per-viewer GET (stockpile, which takes the LP lock too) and the job
# list, and keys are revoked and re-read. Fails on any ThreadSanitizer report or server crash.
set -u
lode=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lode-tsan.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
key=$("$lode" --db "$tmp/t.db" keys add JPN 2>/dev/null)
other=$("$lode" --db "$tmp/t.db" keys add DEU 2>/dev/null)
TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1" \
    "$lode" --db "$tmp/t.db" serve --port 0 --threads 2 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 300); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/log"; echo "FAIL tsan: server did not start"; exit 1; }
url=http://127.0.0.1:$port
auth="Authorization: Bearer $key"
for _ in 1 2; do
    curl -s -H "$auth" -X POST -d '{"command":"simulate","params":{"scenario":"china-ree-stop","runs":200,"weeks":30}}' \
        "$url/api/jobs" >/dev/null
    curl -s -H "$auth" -X POST -d '{"command":"simulate","params":{"scenario":"china-ree-stop","runs":200}}' \
        "$url/api/jobs" >/dev/null
    curl -s -H "$auth" -X POST -d '{"command":"respond","params":{"scenario":"china-ree-stop","alliance":"G7"}}' \
        "$url/api/jobs" >/dev/null
done
wrk -t2 -c16 -d6s -H "$auth" "$url/api/stockpile?alliance=G7&runs=5" >"$tmp/wrk1" &
w1=$!
wrk -t1 -c8 -d6s -H "$auth" "$url/api/jobs" >"$tmp/wrk2" &
w2=$!
"$lode" --db "$tmp/t.db" keys revoke "$(echo "$other" | cut -d_ -f2)" 2>/dev/null
wait "$w1" "$w2"
sleep 1
done=$(curl -s -H "$auth" "$url/api/jobs" | grep -o '"state":"[a-z]*"' | sort | uniq -c | tr '\n' ' ')
kill "$pid"
wait "$pid"
rc=$?
pid=
reports=$(grep -c "WARNING: ThreadSanitizer" "$tmp/log")
if [ "$reports" -ne 0 ]; then
    grep -A30 "WARNING: ThreadSanitizer" "$tmp/log" | head -80
    echo "FAIL serve under ThreadSanitizer: $reports reports"
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    tail -20 "$tmp/log"
    echo "FAIL serve under ThreadSanitizer: exit $rc"
    exit 1
fi
echo "PASS serve under ThreadSanitizer, concurrent GETs, jobs and a revocation (jobs: $done)"
