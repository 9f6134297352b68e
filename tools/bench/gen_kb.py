#!/usr/bin/env python3
"""Deterministic larger knowledge bases for the scaling benchmark.

    gen_kb.py KB.tsv N OUT.{tsv,csv}

Row i < len(KB) is the benchmark row itself (so the dev queries keep their
answers at every size). Further rows are variants of benchmark row j for a
municipality m (a shared installation serving many towns): the question is
re-phrased around m with one of three templates, the answer keeps the first
sentence of row j and borrows one sentence from a neighbouring row, and the id
is `<id>-M<k>`. No randomness: the same N always gives the same file, and
every variant adds real new vocabulary (the municipality names) to the
index. Variant rows are shorter than the originals on purpose so that a
100k-row CSV stays well under the importer's 64 MiB file cap.
"""
import csv
import re
import sys

PLACES = ["青葉", "桜川", "若葉", "東山", "西原", "南浦", "北沢", "中央", "緑ヶ丘", "旭",
          "朝日", "大和", "富士見", "高原", "川口", "山田", "松本", "竹原", "梅田", "藤沢",
          "柳井", "杉並", "石川", "岩瀬"]
KINDS = ["市", "町", "村", "台市", "川町", "野市", "原村", "浜町", "岡市", "沢村"]
MUNIS = [p + k for k in KINDS for p in PLACES]  # 240 names
TEMPLATES = ["{m}では、{q}", "{q}（{m}在住）", "{m}の場合、{q}"]
SENT = re.compile(r"[^。]*。|[^。]+$")


def sentences(text):
    return [s for s in SENT.findall(text) if s.strip()]


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return list(r), r.fieldnames


def generate(rows, n):
    base = len(rows)
    for i in range(n):
        j, k = i % base, i // base
        r = rows[j]
        if k == 0:
            yield dict(r)
            continue
        m = MUNIS[(k - 1) % len(MUNIS)]
        q = TEMPLATES[(i + k) % len(TEMPLATES)].format(m=m, q=r["question"])
        own = sentences(r["answer"])[:1]
        # A neighbouring row: usually the same category, so the combined
        # answer reads like a plausible local variant.
        other = sentences(rows[(j + 1 + k % 3) % base]["answer"])
        borrowed = other[k % len(other)] if other else ""
        out = dict(r)
        out["id"] = f"{r['id']}-M{k:03d}"
        out["question"] = q
        out["answer"] = f"{m}にお住まいの方：" + "".join(own) + borrowed
        yield out


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen_kb.py KB.tsv N OUT.{tsv,csv}")
    rows, fields = read(sys.argv[1])
    n = int(sys.argv[2])
    if not 1 <= n <= 200000:
        sys.exit("gen_kb.py: N must be 1..200000")
    out = sys.argv[3]
    with open(out, "w", encoding="utf-8", newline="") as f:
        if out.endswith(".csv"):
            w = csv.DictWriter(f, fieldnames=fields, lineterminator="\r\n")
        else:
            w = csv.DictWriter(f, fieldnames=fields, delimiter="\t",
                               quoting=csv.QUOTE_NONE, escapechar=None,
                               lineterminator="\n")
        w.writeheader()
        for r in generate(rows, n):
            w.writerow(r)


if __name__ == "__main__":
    main()
