#!/bin/sh
# End-to-end tests of `lode` on the bundled data.
#  1. golden cases: tests/cli/<command>/<case>/{args,expected.out,expected.rc}; the command
#     runs as `lode --db <fresh store> $(cat args)`; GOLDEN=1 rewrites expected files.
#  2. the malformed-input corpus tests/bad/*/: import must fail with exit 2, print the
#     expected file:line:column message, and leave the store byte-for-byte unchanged.
#  3. round trip: init, export, and the CSVs equal data/ byte for byte.
# Prints one "PASS name" or "FAIL name" line per test.
set -u
cd "$(dirname "$0")/../.."
LODE=${LODE:-$PWD/bin/lode}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db" # never touch the user's default store
db="$tmp/base.db"
"$LODE" --db "$db" init 2>"$tmp/init.err" || { cat "$tmp/init.err"; echo "FAIL init"; exit 1; }
echo "PASS init"

# 1. golden cases
for dir in tests/cli/*/*/; do
    [ -f "$dir/args" ] || continue
    name=${dir#tests/cli/}
    name=${name%/}
    cp "$db" "$tmp/case.db"
    # shellcheck disable=SC2046
    (cd "$dir" && eval "\"$LODE\" --db \"$tmp/case.db\" $(cat args)") >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "${GOLDEN:-0}" = 1 ]; then
        cp "$tmp/out" "$dir/expected.out"
        echo "$rc" >"$dir/expected.rc"
        echo "PASS $name (golden written)"
        continue
    fi
    want_rc=$(cat "$dir/expected.rc" 2>/dev/null || echo 0)
    if [ "$rc" != "$want_rc" ]; then
        echo "FAIL $name: exit $rc, expected $want_rc"; sed 's/^/  /' "$tmp/err" | head -5
    elif ! cmp -s "$tmp/out" "$dir/expected.out"; then
        echo "FAIL $name: output differs from expected.out"; diff "$dir/expected.out" "$tmp/out" | head -20
    else
        echo "PASS $name"
    fi
done

# 2. malformed input corpus
[ -x tests/bad/make_huge.sh ] && sh tests/bad/make_huge.sh "$tmp/huge" >/dev/null 2>&1
"$LODE" --db "$db" export "$tmp/before" 2>/dev/null
for dir in tests/bad/*/ "$tmp"/huge/*/; do
    [ -f "$dir/expected" ] || continue
    name="bad/$(basename "$dir")"
    file=$(find "$dir" -maxdepth 1 -name '*.csv' | head -1)
    cp "$db" "$tmp/bad.db"
    "$LODE" --db "$tmp/bad.db" import "$file" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    want=$(head -1 "$dir/expected")
    rm -rf "$tmp/after"
    "$LODE" --db "$tmp/bad.db" export "$tmp/after" 2>/dev/null
    if [ "$rc" != 2 ]; then
        echo "FAIL $name: exit $rc, expected 2"; head -3 "$tmp/err"
    elif ! grep -qF -- "$want" "$tmp/err"; then
        echo "FAIL $name: message lacks '$want'"; head -3 "$tmp/err"
    elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        echo "FAIL $name: error is not one line"; cat "$tmp/err"
    elif ! diff -r "$tmp/before" "$tmp/after" >/dev/null; then
        echo "FAIL $name: the store changed"
    else
        echo "PASS $name"
    fi
done

# 3. round trip: the bundled CSVs come back byte for byte
ok=1
for f in data/*.csv; do
    cmp -s "$f" "$tmp/before/$(basename "$f")" || { ok=0; echo "  differs: $f"; }
done
[ $ok = 1 ] && echo "PASS export round trip" || echo "FAIL export round trip"

# 4. a good import replaces a table, and the answer changes accordingly
head -1 data/production.csv >"$tmp/production.csv"
grep -E '^(NdPr_oxide),' data/production.csv >>"$tmp/production.csv"
cp "$db" "$tmp/imp.db"
if "$LODE" --db "$tmp/imp.db" import "$tmp/production.csv" 2>"$tmp/err" &&
    "$LODE" --db "$tmp/imp.db" --csv risk 2>>"$tmp/err" | grep -q '^NdPr_oxide,' &&
    ! "$LODE" --db "$tmp/imp.db" --csv risk 2>>"$tmp/err" | grep -q '^REO_conc,'; then
    echo "PASS import replaces a table"
else
    echo "FAIL import replaces a table"; cat "$tmp/err"
fi
