#!/bin/sh
# make_huge.sh OUTDIR: write the one case of the malformed-input corpus too big to commit, as
# OUTDIR/huge-line/{production.csv,expected}: a data row longer than the reader's limit
# (LODE_CSV_MAX_LINE, 1 MiB), its note cell holding 1100 KiB of "x". Test runners call this and
# then treat OUTDIR/*/ like tests/bad/*/.
set -eu
out=${1:?usage: make_huge.sh OUTDIR}/huge-line
mkdir -p "$out"
{
    printf 'material,country,year,tonnes,kind,source,confidence,note\n'
    printf 'REO_conc,CHN,2023,255000,mine,USGS MCS 2025,verified,'
    dd if=/dev/zero bs=1024 count=1100 2>/dev/null | tr '\000' x
    printf '\n'
} >"$out/production.csv"
printf "%s\n" ":2:8: field 'note': record longer than 1048576 bytes" >"$out/expected"
