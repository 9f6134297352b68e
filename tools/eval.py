#!/usr/bin/env python3
"""Retrieval-quality evaluation: `make eval`.

Imports the benchmark knowledge base into a temporary database, runs the
development queries through `madoguchi search --jsonl` and prints SR@1/3/5,
MRR, nDCG@10 and decline rates (in-scope wrongly declined, out-of-scope
correctly declined). With --sample, the same for each bundled sample bot
(kb/sample/<bot>.tsv) on its own queries (kb/sample/eval-<bot>.tsv). With --groonga, the same metrics for Debian's Groonga
(TokenMecab, scorer_tf_idf) on the same data are printed side by side
(see tools/groonga_peer.py). With --kana, every word written with kanji in
the queries is first replaced by its reading in hiragana (IPADIC), as a
phone user who does not convert would type it: a robustness check of
reading-based matching (in-scope and out-of-scope alike).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_queries(path):
    out = []
    with open(path, encoding="utf-8") as f:
        header = f.readline()
        assert header.startswith("query"), header
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            q, _, rel = line.partition("\t")
            grades = {}
            for item in filter(None, rel.split(",")):
                i, _, g = item.partition(":")
                grades[i.strip()] = int(g or 1)
            out.append((q, grades))
    return out


IPADIC = "/var/lib/mecab/dic/ipadic-utf8"


def to_kana(queries):
    """Queries with each kanji word replaced by its hiragana reading."""
    text = "".join(q.replace("\n", " ") + "\n" for q, _ in queries)
    out = subprocess.run(["mecab", "-d", IPADIC, "-F", "%m\t%H\n", "-U", "%m\t\n",
                          "-E", "EOS\n"], input=text, capture_output=True, text=True,
                         check=True).stdout
    kana, cur = [], ""
    for line in out.splitlines():
        if line == "EOS":
            kana.append(cur)
            cur = ""
            continue
        surface, _, feat = line.partition("\t")
        f = feat.split(",")
        reading = f[7] if len(f) > 7 and f[7] != "*" else ""
        if reading and any("\u3400" <= c <= "\u9fff" for c in surface):
            surface = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c
                              for c in reading)
        cur += surface
    assert len(kana) == len(queries), (len(kana), len(queries))
    return [(k, g) for k, (_, g) in zip(kana, queries)]


def metrics(queries, runs):
    """runs: list of (decision, [ids]) aligned with queries."""
    n_in = n_out = 0
    sr = {1: 0, 3: 0, 5: 0}
    mrr = ndcg = 0.0
    wrong_decl = right_decl = 0
    for (q, grades), (decision, ids) in zip(queries, runs):
        if not grades:
            n_out += 1
            right_decl += decision == "none"
            continue
        n_in += 1
        wrong_decl += decision == "none"
        rel_ranks = [r for r, i in enumerate(ids) if grades.get(i, 0) >= 1]
        for k in sr:
            sr[k] += bool(rel_ranks and rel_ranks[0] < k)
        if rel_ranks:
            mrr += 1.0 / (rel_ranks[0] + 1)
        dcg = sum((2 ** grades.get(i, 0) - 1) / math.log2(r + 2)
                  for r, i in enumerate(ids[:10]))
        ideal = sorted(grades.values(), reverse=True)[:10]
        idcg = sum((2 ** g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
        ndcg += dcg / idcg if idcg else 0
    return {
        "queries_in_scope": n_in,
        "queries_out_of_scope": n_out,
        "SR@1": sr[1] / n_in, "SR@3": sr[3] / n_in, "SR@5": sr[5] / n_in,
        "MRR": mrr / n_in, "nDCG@10": ndcg / n_in,
        "in_scope_declined": wrong_decl / n_in,
        "out_of_scope_declined": right_decl / n_out if n_out else 0.0,
    }


def run_madoguchi(binary, kb, queries, dicdir, tmp, import_args=()):
    db = os.path.join(tmp, "eval.db")
    env = dict(os.environ)
    cmd = [binary, "import", "--db", db, "--bot", "eval", kb, *import_args]
    if dicdir:
        cmd += ["--dicdir", dicdir]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    p = subprocess.run([binary, "search", "--db", db, "--bot", "eval", "--top",
                        "10", "--jsonl"], input="\n".join(q for q, _ in queries) + "\n",
                       capture_output=True, text=True, check=True, env=env)
    lines = p.stdout.splitlines()
    assert len(lines) == len(queries), (len(lines), len(queries))
    runs = []
    for line in lines:
        o = json.loads(line)
        runs.append((o["decision"], [r["id"] for r in o["results"]]))
    return runs


KEYS = ["SR@1", "SR@3", "SR@5", "MRR", "nDCG@10", "in_scope_declined",
        "out_of_scope_declined"]

# The bundled sample bots and their own query sets (kb/sample/eval-*.tsv,
# written from the answers by someone who never ran the engine): a second,
# independent check that a method generalises beyond pref-faq.
SAMPLE_BOTS = ["resident", "staff"]


def evaluate(a, kb, queries, tmp, import_args):
    """{system name: metrics} for one knowledge base and its queries."""
    if a.kana:
        queries = to_kana(queries)
    results = {}
    for d in a.dicdir or [None]:
        name = "madoguchi" + (f" ({os.path.basename(d)})" if d else "")
        runs = run_madoguchi(a.bin, kb, queries, d, tmp, import_args)
        results[name] = metrics(queries, runs)
        os.remove(os.path.join(tmp, "eval.db"))
        if a.failures:
            for (q, g), (dec, ids) in zip(queries, runs):
                top = ids[0] if ids else "-"
                if g and (not ids or g.get(top, 0) < 1 or dec == "none"):
                    print(f"MISS [{dec}] {q}  want={sorted(g)} got={ids[:3]}")
                if not g and dec != "none":
                    print(f"OOS  [{dec}] {q}  got={ids[:3]}")
    if a.groonga:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import groonga_peer
        runs = groonga_peer.run(kb, queries, tmp)
        results["Groonga (TokenMecab, tf-idf)"] = metrics(queries, runs)
    return results


def print_table(title, results):
    names = list(results)
    print(title)
    print(f"{'metric':24}" + "".join(f"{n:>32}" for n in names))
    for k in KEYS:
        print(f"{k:24}" + "".join(f"{results[n][k]:>32.3f}" for n in names))
    first = results[names[0]]
    print(f"({first['queries_in_scope']} in-scope and {first['queries_out_of_scope']} "
          f"out-of-scope queries)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "madoguchi"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "pref-faq"))
    ap.add_argument("--dicdir", action="append", default=None,
                    help="MeCab dictionary directory (repeat to compare)")
    ap.add_argument("--groonga", action="store_true")
    ap.add_argument("--failures", action="store_true", help="list missed queries")
    ap.add_argument("--json", help="write results to this file")
    ap.add_argument("--kana", action="store_true",
                    help="type the queries' kanji words in hiragana first")
    ap.add_argument("--no-synonyms", action="store_true",
                    help="import without the synonym dictionary")
    ap.add_argument("--synonyms", help="import with this synonym dictionary instead")
    ap.add_argument("--sample", action="store_true",
                    help="also evaluate the bundled sample bots on kb/sample/eval-*.tsv")
    ap.add_argument("--sample-only", action="store_true",
                    help="evaluate only the bundled sample bots")
    a = ap.parse_args()
    import_args = (["--no-synonyms"] if a.no_synonyms else
                   ["--synonyms", a.synonyms] if a.synonyms else [])
    sets = []
    if not a.sample_only:
        sets.append(("pref-faq (../shared/data/pref-faq)", os.path.join(a.data, "kb.tsv"),
                     os.path.join(a.data, "dev-queries.tsv")))
    if a.sample or a.sample_only:
        for bot in SAMPLE_BOTS:
            sets.append((f"sample bot {bot} (kb/sample/eval-{bot}.tsv)",
                         os.path.join(ROOT, "kb", "sample", f"{bot}.tsv"),
                         os.path.join(ROOT, "kb", "sample", f"eval-{bot}.tsv")))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (title, kb, qpath) in enumerate(sets):
            work = os.path.join(tmp, f"set{i}")
            os.mkdir(work)
            results = evaluate(a, kb, read_queries(qpath), work, import_args)
            if i:
                print()
            print_table(title, results)
            out[title] = results
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
