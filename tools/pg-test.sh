#!/bin/sh
# pg-test.sh: run a command against a throwaway PostgreSQL server.
#   sh tools/pg-test.sh COMMAND [ARG...]
# Starts a private cluster in a fresh temporary directory (initdb + pg_ctl from Debian's
# postgresql package), listening only on a unix socket in that directory (no TCP), runs
# COMMAND with LODE_TEST_PG set to a connection URI for an empty database, then stops the
# cluster and removes the directory, whatever happens. Exits with COMMAND's status.
# initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
# PGBIN picks the server binaries (default: the newest /usr/lib/postgresql/*/bin).
# PG_TEST_DURABLE=1 keeps fsync on (benchmarks); tests run with fsync off. PG_TEST_OPTS adds
# server options (e.g. "-c log_min_duration_statement=0"); PG_TEST_LOG=FILE keeps a copy of the server log.
set -eu

if [ $# -eq 0 ]; then
    echo "usage: sh tools/pg-test.sh COMMAND [ARG...]" >&2
    exit 1
fi
if [ -z "${PGBIN:-}" ]; then
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && PGBIN=$d
    done
fi
if [ -z "${PGBIN:-}" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
    echo "FAIL pg-test: PostgreSQL server not found (no initdb and pg_ctl under" \
        "${PGBIN:-/usr/lib/postgresql/*/bin}); install Debian's postgresql package" >&2
    exit 1
fi

as=""
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "FAIL pg-test: running as root needs the postgres user (initdb refuses root)" >&2
        exit 1
    fi
    as="runuser -u postgres --"
fi

# A short path: the socket's full name must fit in 107 bytes.
dir=$(mktemp -d /tmp/lode-pg.XXXXXX)
cleanup() {
    $as "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
[ -n "$as" ] && chown postgres: "$dir"

if ! $as "$PGBIN/initdb" -D "$dir/data" -U lode --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    echo "FAIL pg-test: initdb failed" >&2
    exit 1
fi
fsync="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${PG_TEST_DURABLE:-0}" = 1 ] && fsync=""
# shellcheck disable=SC2086 # $fsync is a list of options
if ! $as "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses= -k $dir $fsync ${PG_TEST_OPTS:-}" start >/dev/null; then
    cat "$dir/server.log" >&2
    echo "FAIL pg-test: the server did not start" >&2
    exit 1
fi
if ! $as "$PGBIN/psql" -X -q -h "$dir" -U lode -d postgres -c "CREATE DATABASE lode_test" \
    >/dev/null; then
    echo "FAIL pg-test: cannot create the test database" >&2
    exit 1
fi

LODE_TEST_PG="postgresql:///lode_test?host=$dir&user=lode"
export LODE_TEST_PG
status=0
"$@" || status=$?
[ -n "${PG_TEST_LOG:-}" ] && cp "$dir/server.log" "$PG_TEST_LOG"
exit $status
