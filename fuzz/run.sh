#!/bin/sh
# fuzz/run.sh [SECONDS]: build each libFuzzer target fuzz/fuzz_<name>.c with ASan and UBSan into
# build-fuzz/ and run it for SECONDS (default 20) on a fresh seed corpus: fuzz/corpus/fuzz_<name>/
# plus data/*.csv (CSV target) or data/datapackage.json (datapackage target). Exits non-zero if
# any target fails to build or finds a crash; crash inputs are left in build-fuzz/crash-*.
# Prints one "PASS fuzz_<name>" or "FAIL fuzz_<name>" line per target.
set -eu
secs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build-fuzz
cc=${FUZZ_CC:-clang}
mkdir -p "$out"

cflags="-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=all -I$root/include $(pkg-config --cflags libcjson libutf8proc) \
-DLODE_DATADIR=\"$root/data\""
libs="$(pkg-config --libs libcjson libutf8proc) -lcsv -lm"
# only what the parsers need: the utilities and the table reader
srcs="$root/src/util/err.c $root/src/util/arena.c $root/src/util/buf.c $root/src/model/table.c"

status=0
# The scenario parser needs the model (it resolves ids) and the scenario reader.
model_srcs="$root/src/model/model.c $root/src/engines/scenario.c"
# The news targets need the model (material ids), the news engine, libexttextcat and libstemmer.
news_srcs="$root/src/model/model.c $(ls "$root"/src/engines/news*.c | tr '\n' ' ')"
news_flags="$(pkg-config --cflags --libs libexttextcat) -lstemmer"

for target in csv datapackage scenario news news_dates request; do
    bin=$out/fuzz_$target
    corpus=$out/corpus_$target
    extra=
    [ "$target" = scenario ] && extra=$model_srcs
    case $target in news | news_dates) extra="$news_srcs $news_flags" ;; esac
    # The HTTP request parsers of `lode serve`.
    [ "$target" = request ] && extra="$root/src/server/request.c"
    echo "== fuzz_$target: build"
    # shellcheck disable=SC2086 # word splitting of the flag lists is intended
    if ! $cc $cflags "$root/fuzz/fuzz_$target.c" $srcs $extra $libs -o "$bin"; then
        echo "FAIL fuzz_$target (build)"
        status=1
        continue
    fi
    rm -rf "$corpus"
    mkdir -p "$corpus"
    cp "$root/fuzz/corpus/fuzz_$target/"* "$corpus/" 2>/dev/null || true
    # CSV inputs are cut to 16 KiB (the big data files would slow every run down); the
    # datapackage target keeps the default, the size of the largest seed, so that the whole
    # real package is a seed.
    case $target in
    csv)
        cp "$root"/data/*.csv "$corpus/" 2>/dev/null || true
        maxlen=-max_len=16384
        ;;
    datapackage)
        cp "$root/data/datapackage.json" "$corpus/" 2>/dev/null || true
        maxlen=
        ;;
    news | news_dates)
        cp "$root"/tests/news/*.txt "$corpus/" 2>/dev/null || true
        maxlen=-max_len=8192
        ;;
    request)
        maxlen=-max_len=4096
        ;;
    scenario)
        cp "$root"/scenarios/*.json "$root"/tests/bad_scenarios/*.json "$corpus/" 2>/dev/null || true
        maxlen=
        ;;
    esac
    echo "== fuzz_$target: run ${secs}s on $(ls "$corpus" | wc -l) seeds"
    # shellcheck disable=SC2086 # $maxlen is empty or one flag
    if ! "$bin" $maxlen -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/crash-$target-" \
        "$corpus" 2>"$out/fuzz_$target.log"; then
        tail -n 60 "$out/fuzz_$target.log"
        echo "FAIL fuzz_$target (log: $out/fuzz_$target.log)"
        status=1
        continue
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz_$target.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/fuzz_$target.log")
    echo "PASS fuzz_$target ($runs runs, $rate exec/s, no crash)"
done
exit $status
