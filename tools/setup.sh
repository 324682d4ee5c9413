#!/bin/sh
# Install the Debian packages Lodestone builds and tests with, if any is missing.
# Debian 12; runs apt-get as root (or through sudo).
set -eu
PKGS="build-essential clang libclang-rt-14-dev pkg-config libsqlite3-dev libcsv-dev libcjson-dev libutf8proc-dev
libcmocka-dev sqlite3 python3 librandom123-dev coinor-libclp-dev coinor-libcbc-dev libglpk-dev
libexttextcat-dev libexttextcat-data libstemmer-dev libopenmpi-dev openmpi-bin
libmicrohttpd-dev libsodium-dev libpq-dev postgresql wrk chromium iso-codes"
# Node.js and npm build the dashboard; a machine that has them already (perhaps not from
# Debian) keeps its own.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "setup: installing$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
