"""Generate a multilingual news corpus for bench/news.sh: N MB of articles in the 18 lexicon
languages, built deterministically (seeded) from the sentences of the test articles in
tests/news/, with dates, amounts and sentence order varied so that no two articles are the same.

usage: python3 bench/gen_news.py OUTDIR [MB]   (default 12 MB)"""
import os
import random
import re
import sys

out, mb = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 12.0
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'news')
rng = random.Random(20251028)
pool = {}  # language -> sentences
for name in sorted(os.listdir(here)):
    if not name.endswith('.txt'):
        continue
    text = open(os.path.join(here, name), encoding='utf-8').read()
    head, _, body = text.partition('\n\n')
    lang = re.search(r'\((\w\w)\)', head)
    lang = lang.group(1) if lang else name.rsplit('_', 1)[-1][:2]
    # sentences: split after . ! ? 。 and keep the mark
    for s in re.split(r'(?<=[.!?。])\s*', body.replace('\n', ' ')):
        if len(s.strip()) > 20:
            pool.setdefault(lang, []).append(s.strip())
langs = sorted(pool)
os.makedirs(out, exist_ok=True)
total, i = 0, 0
while total < mb * 1e6:
    lang = langs[i % len(langs)]
    s = pool[lang]
    n = rng.randint(6, 60)
    body = []
    for k in range(n):
        sent = rng.choice(s)
        # vary the numbers so that amounts and dates differ between articles
        sent = re.sub(r'\d+', lambda m: str(int(m.group()) + rng.randint(0, 3)) if len(m.group()) < 4 else m.group(), sent)
        body.append(sent)
        if k % 5 == 4:
            body.append('\n\n')
    art = 'Date: 2025-%02d-%02d\nSource: bench %d\nTitle: %s\n\n%s\n' % (
        rng.randint(1, 12), rng.randint(1, 28), i % 97, rng.choice(s)[:120],
        ' '.join(body).replace(' \n\n ', '\n\n'))
    data = art.encode('utf-8')
    with open(os.path.join(out, 'a%05d_%s.txt' % (i, lang)), 'wb') as f:
        f.write(data)
    total += len(data)
    i += 1
print('%d articles, %.1f MB in %s' % (i, total / 1e6, out))
