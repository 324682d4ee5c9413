#!/bin/sh
# bench/news.sh: throughput of `lode news` in MB/s on a generated multilingual corpus of at least
# 10 MB (bench/gen_news.py: articles in the 18 lexicon languages), reported next to reference
# runs over the same files on the same machine, as ratios, because these machines are shared
# and noisy: `wc -w` (splits words) and `iconv -f UTF-8 -t UTF-16` (decodes every character).
# The median of REPEAT runs (default 3) counts. Fails if lode news reads less than 2 MB/s.
# usage: sh bench/news.sh   (LODE=path/to/lode, MB=corpus size, REPEAT=runs)
set -eu
cd "$(dirname "$0")/.."
LODE=${LODE:-$PWD/bin/lode}
MB=${MB:-12}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LODE_DB="$tmp/default.db"
python3 bench/gen_news.py "$tmp/corpus" "$MB"
"$LODE" init >/dev/null 2>&1 # the store is built once, outside the timing
python3 - "$LODE" "$tmp/corpus" "${REPEAT:-3}" <<'PY'
import os, statistics, subprocess, sys, time
lode, corpus, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith('.txt'))
mb = sum(os.path.getsize(f) for f in files) / 1e6

def run(cmd, stdin_files=False):
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        if stdin_files:  # the reference tools read the same bytes from a pipe
            cat = subprocess.Popen(['cat'] + files, stdout=subprocess.PIPE)
            p = subprocess.run(cmd, stdin=cat.stdout, stdout=subprocess.DEVNULL)
            cat.wait()
        else:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit('failed (%d): %s' % (p.returncode, ' '.join(cmd[:3])))
    return statistics.median(walls)

w = run([lode, 'news'] + files)
wj = run([lode, '--json', 'news'] + files)
ww = run(['wc', '-w'], True)
wi = run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16'], True)
print('news corpus: %d articles, %.1f MB, 18 languages' % (len(files), mb))
print('benchmark                  time (s)    MB/s   ratio to wc -w   ratio to iconv')
print('lode news (table)          %8.3f  %6.2f   %14.1f   %14.1f' % (w, mb / w, w / ww, w / wi))
print('lode --json news           %8.3f  %6.2f   %14.1f   %14.1f' % (wj, mb / wj, wj / ww, wj / wi))
print('wc -w (reference)          %8.3f  %6.2f' % (ww, mb / ww))
print('iconv UTF-8 -> UTF-16 (ref)%8.3f  %6.2f' % (wi, mb / wi))
if mb / w < 2.0:
    raise SystemExit('FAIL news throughput %.2f MB/s is below the 2 MB/s floor' % (mb / w))
print('PASS news throughput %.2f MB/s (floor 2 MB/s)' % (mb / w))
PY
