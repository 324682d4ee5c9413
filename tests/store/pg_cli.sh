#!/bin/sh
# pg_cli.sh: `lode --db <PostgreSQL URI>` behaves as the default SQLite store does. Run under
# tools/pg-test.sh (it sets LODE_TEST_PG); uses the schema lode_cli, dropped first, so reruns
# start clean.
#  1. risk --json, exposure --country JPN --json and check print exactly what the default
#     store prints (stdout and exit status); the store is built from data/ on first use.
#  2. export DIR equals data/ byte for byte.
#  3. every golden case of tests/cli/ gives its expected output on PostgreSQL too.
#  4. the malformed-input corpus tests/bad/*/: the same message and exit status as SQLite,
#     and the PostgreSQL store unchanged.
#  5. a libpq keyword string reaches the same store; an unreachable server is exit 4 with a
#     message that names the URI without its password.
# Prints one "PASS name" or "FAIL name" line per test. LODE picks the binary (default: the
# ASan+UBSan build if there is one, else bin/lode).
set -u
cd "$(dirname "$0")/../.."
if [ -z "${LODE_TEST_PG:-}" ]; then
    echo "FAIL pg_cli: LODE_TEST_PG is not set (run: sh tools/pg-test.sh sh $0)"
    exit 1
fi
if [ -z "${LODE:-}" ]; then
    LODE=$PWD/bin/lode
    [ -x build-san/bin/lode ] && LODE=$PWD/build-san/bin/lode
fi
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db" # the default SQLite store, private to this run

if ! "$PSQL" -X -q "$LODE_TEST_PG" -c "DROP SCHEMA IF EXISTS lode_cli CASCADE" \
    -c "CREATE SCHEMA lode_cli" >"$tmp/psql.err" 2>&1; then
    cat "$tmp/psql.err"
    echo "FAIL pg_cli: cannot reset the schema"
    exit 1
fi
case $LODE_TEST_PG in
*\?*) uri="$LODE_TEST_PG&options=-csearch_path%3Dlode_cli" ;;
*) uri="$LODE_TEST_PG?options=-csearch_path%3Dlode_cli" ;;
esac

# same NAME ARGS...: stdout and exit status on PostgreSQL equal those on the default store.
same() {
    name=$1
    shift
    "$LODE" "$@" >"$tmp/sqlite.out" 2>"$tmp/sqlite.err"
    src=$?
    "$LODE" --db "$uri" "$@" >"$tmp/pg.out" 2>"$tmp/pg.err"
    prc=$?
    if [ "$src" != "$prc" ]; then
        echo "FAIL $name: exit $prc on PostgreSQL, $src on SQLite"
        head -3 "$tmp/pg.err"
    elif ! cmp -s "$tmp/sqlite.out" "$tmp/pg.out"; then
        echo "FAIL $name: output differs"
        diff "$tmp/sqlite.out" "$tmp/pg.out" | head -10
    elif [ ! -s "$tmp/pg.out" ]; then
        echo "FAIL $name: no output"
    else
        echo "PASS $name"
    fi
}

# 1. the first command builds both stores from data/, with the same message
"$LODE" risk --json >/dev/null 2>"$tmp/build.sqlite"
"$LODE" --db "$uri" risk --json >/dev/null 2>"$tmp/build.pg"
if grep -q "built the store" "$tmp/build.pg" && cmp -s "$tmp/build.sqlite" "$tmp/build.pg"; then
    echo "PASS store built from data/ on first use"
else
    echo "FAIL store built from data/ on first use"
    cat "$tmp/build.sqlite" "$tmp/build.pg"
fi
same "risk --json" risk --json
same "exposure --country JPN --json" exposure --country JPN --json
same "check" check

# 2. export round trip
if "$LODE" --db "$uri" export "$tmp/export" 2>"$tmp/err"; then
    ok=1
    n=0
    for f in data/*.csv; do
        n=$((n + 1))
        cmp -s "$f" "$tmp/export/$(basename "$f")" || { ok=0; echo "  differs: $f"; }
    done
    extra=$(cd "$tmp/export" && for f in *; do [ -f "$OLDPWD/data/$f" ] || echo "$f"; done)
    [ -n "$extra" ] && { ok=0; echo "  not in data/: $extra"; }
    [ $ok = 1 ] && echo "PASS export equals data/ ($n files)" || echo "FAIL export equals data/"
else
    cat "$tmp/err"
    echo "FAIL export equals data/"
fi

# 3. golden cases (read-only commands) against PostgreSQL
for dir in tests/cli/*/*/; do
    [ -f "$dir/args" ] || continue
    name=${dir#tests/cli/}
    name=${name%/}
    # shellcheck disable=SC2046
    (cd "$dir" && eval "\"$LODE\" --db \"\$uri\" $(cat args)") >"$tmp/out" 2>"$tmp/err"
    rc=$?
    want_rc=$(cat "$dir/expected.rc" 2>/dev/null || echo 0)
    if [ "$rc" != "$want_rc" ]; then
        echo "FAIL golden $name on PostgreSQL: exit $rc, expected $want_rc"
        head -3 "$tmp/err"
    elif ! cmp -s "$tmp/out" "$dir/expected.out"; then
        echo "FAIL golden $name on PostgreSQL: output differs"
        diff "$dir/expected.out" "$tmp/out" | head -10
    else
        echo "PASS golden $name on PostgreSQL"
    fi
done

# 4. malformed input: same message and status as SQLite, PostgreSQL store unchanged
"$LODE" --db "$tmp/base.db" init 2>/dev/null
"$LODE" --db "$uri" export "$tmp/before" 2>/dev/null
for dir in tests/bad/*/; do
    [ -f "$dir/expected" ] || continue
    name="bad/$(basename "$dir") on PostgreSQL"
    file=$(find "$dir" -maxdepth 1 -name '*.csv' | head -1)
    cp "$tmp/base.db" "$tmp/bad.db"
    "$LODE" --db "$tmp/bad.db" import "$file" >/dev/null 2>"$tmp/sqlite.err"
    src=$?
    "$LODE" --db "$uri" import "$file" >/dev/null 2>"$tmp/pg.err"
    prc=$?
    rm -rf "$tmp/after"
    "$LODE" --db "$uri" export "$tmp/after" 2>/dev/null
    if [ "$prc" != 2 ] || [ "$src" != 2 ]; then
        echo "FAIL $name: exit $prc (SQLite $src), expected 2"
        head -3 "$tmp/pg.err"
    elif ! cmp -s "$tmp/sqlite.err" "$tmp/pg.err"; then
        echo "FAIL $name: message differs from SQLite's"
        cat "$tmp/sqlite.err" "$tmp/pg.err"
    elif ! diff -r "$tmp/before" "$tmp/after" >/dev/null; then
        echo "FAIL $name: the store changed"
    else
        echo "PASS $name"
    fi
done

# 5. a keyword string (when the URI is tools/pg-test.sh's socket form), and an unreachable
# server with a password in the URI
host=$(printf '%s\n' "$LODE_TEST_PG" | sed -n 's/.*[?&]host=\([^&]*\).*/\1/p')
db=$(printf '%s\n' "$LODE_TEST_PG" | sed -n 's|^postgres[a-z]*:///\([^?]*\).*|\1|p')
user=$(printf '%s\n' "$LODE_TEST_PG" | sed -n 's/.*[?&]user=\([^&]*\).*/\1/p')
if [ -n "$host" ] && [ -n "$db" ]; then
    kw="host=$host dbname=$db options=-csearch_path=lode_cli"
    [ -n "$user" ] && kw="$kw user=$user"
    "$LODE" --db "$kw" risk --json >"$tmp/kw.out" 2>"$tmp/kw.err"
    "$LODE" risk --json >"$tmp/sqlite.out" 2>/dev/null
    if cmp -s "$tmp/kw.out" "$tmp/sqlite.out" && [ ! -s "$tmp/kw.err" ]; then
        echo "PASS keyword-string URI reads the same store"
    else
        echo "FAIL keyword-string URI reads the same store"
        head -3 "$tmp/kw.err"
    fi
fi
"$LODE" --db "postgresql://lode:pa55word@127.0.0.1:1/x?connect_timeout=5" risk \
    >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 4 ] && grep -q "^lode: postgresql://lode@127.0.0.1:1/x?connect_timeout=5: " "$tmp/err" &&
    ! grep -q pa55word "$tmp/err"; then
    echo "PASS unreachable server: exit 4, URI without its password"
else
    echo "FAIL unreachable server: exit $rc"
    cat "$tmp/err"
fi
