#!/usr/bin/env python3
"""Groonga as the comparison peer for `make eval` and `make bench`.

What a Japanese team would set up without madoguchi: Debian's Groonga 13
(groonga-bin + groonga-tokenizer-mecab), one table of Q&A, a lexicon with
TokenMecab and NormalizerAuto, one positional index per searched column,
and `select` with

    match_columns  scorer_tf_idf(question) * 2 || scorer_tf_idf(answer)
    query          "w1" OR "w2" OR ...   (the message's content words)
    sort_keys      -_score
    limit          10 (eval) / 5 (bench, with question and answer)

The question weight (x2) is the best of 1/2/3/5/10 for Groonga on the dev
queries (SR@1 .48/.51/.50/.48/.46), so the comparison does not handicap it.

Content words are nouns (not pronouns, numbers, suffixes or dependent
nouns), independent verbs and adjectives in their base forms, from MeCab
with IPAdic over the NFKC-normalised message (half-width katakana and
full-width alphanumerics folded, as NormalizerAuto does on the index side).

Groonga has no decline mechanism: the decision is "answer" when anything
matched and "none" when nothing did. Out-of-scope queries are therefore only
"declined" when none of their words occurs anywhere in the knowledge base.

Used by tools/eval.py (run()) and tools/bench (build_db(), select_path()).
"""
import csv
import json
import os
import subprocess
import sys
import unicodedata
import urllib.parse

IPADIC = "/var/lib/mecab/dic/ipadic-utf8"
MATCH_COLUMNS = "scorer_tf_idf(question) * 2 || scorer_tf_idf(answer)"
# Independent verbs too general to say anything about the need.
STOP_VERBS = {"する", "ある", "いる", "なる", "いう", "できる", "れる", "られる"}
NOUN_SKIP = {"非自立", "代名詞", "数", "接尾", "特殊"}
TABLE = "QA"

DESCRIPTION = ("Groonga 13, TokenMecab + NormalizerAuto, "
               f"match_columns '{MATCH_COLUMNS}', OR of content words; "
               "no decline mechanism (decision 'answer' on any hit, 'none' on no hit)")


def read_kb(path):
    """Rows of the benchmark TSV as dicts (id, question, answer, category)."""
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row for row in r]


def content_words(queries):
    """One list of content words per query, from a single MeCab run."""
    norm = [unicodedata.normalize("NFKC", q).replace("\n", " ").replace("\r", " ")
            for q in queries]
    p = subprocess.run(["mecab", "-r", "/dev/null", "-d", IPADIC],
                       input="\n".join(norm) + "\n", capture_output=True,
                       text=True, check=True)
    out, cur = [], []
    for line in p.stdout.splitlines():
        if line == "EOS":
            out.append(list(dict.fromkeys(cur)))
            cur = []
            continue
        surface, _, feat = line.partition("\t")
        f = feat.split(",")
        if len(f) < 7:
            continue
        base = f[6] if f[6] != "*" else surface
        # IPAdic tags stray symbols ("?", "-") as サ変接続 nouns.
        if not any(unicodedata.category(ch)[0] in "LN" for ch in base):
            continue
        pos, sub = f[0], f[1]
        if pos == "名詞" and sub not in NOUN_SKIP:
            cur.append(base)
        elif pos == "動詞" and sub == "自立" and base not in STOP_VERBS:
            cur.append(base)
        elif pos == "形容詞" and sub == "自立":
            cur.append(base)
    assert len(out) == len(queries), (len(out), len(queries))
    return out


def groonga_query(words):
    """Groonga query syntax: each word a quoted phrase, OR-ed. Inside quotes
    only '"' and '\\' are special (escaped with a backslash)."""
    quoted = []
    for w in words:
        w = w.replace("\\", "\\\\").replace('"', '\\"')
        quoted.append(f'"{w}"')
    return " OR ".join(quoted)


def select_path(words, limit=10, output_columns="_key,_score", cache=True):
    """The /d/select request for a message's content words (URI form, which
    both the stdio and the HTTP interface accept). cache=False bypasses
    Groonga's query cache (the benchmark measures searching, not caching)."""
    params = {
        "table": TABLE,
        "match_columns": MATCH_COLUMNS,
        "query": groonga_query(words),
        "sort_keys": "-_score",
        "output_columns": output_columns,
        "limit": str(limit),
    }
    if not cache:
        params["cache"] = "no"
    return "/d/select?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def schema_commands():
    return [
        f"table_create {TABLE} TABLE_HASH_KEY ShortText",
        f"column_create {TABLE} question COLUMN_SCALAR Text",
        f"column_create {TABLE} answer COLUMN_SCALAR Text",
        f"column_create {TABLE} category COLUMN_SCALAR ShortText",
        "table_create Terms TABLE_PAT_KEY ShortText "
        "--default_tokenizer TokenMecab --normalizer NormalizerAuto",
        f"column_create Terms qa_question COLUMN_INDEX|WITH_POSITION {TABLE} question",
        f"column_create Terms qa_answer COLUMN_INDEX|WITH_POSITION {TABLE} answer",
    ]


def _check(outputs, what):
    for line in outputs:
        if not line.strip():
            continue
        o = json.loads(line)
        if o[0][0] != 0:
            raise RuntimeError(f"groonga {what}: {o[0]}")


def build_db(kb_tsv_path, db_path, rows=None):
    """Creates a Groonga database at db_path holding the Q&A. The indexes are
    built after loading (faster than incremental indexing)."""
    rows = rows if rows is not None else read_kb(kb_tsv_path)
    cmds = schema_commands()[:4]
    cmds.append(f"load --table {TABLE}")
    cmds.append("[")
    for i, r in enumerate(rows):
        rec = {"_key": r["id"], "question": r["question"], "answer": r["answer"],
               "category": r.get("category", "")}
        cmds.append(json.dumps(rec, ensure_ascii=False) + ("," if i + 1 < len(rows) else ""))
    cmds.append("]")
    cmds += schema_commands()[4:]
    p = subprocess.run(["groonga", "-n", db_path], input="\n".join(cmds) + "\n",
                       capture_output=True, text=True, check=True)
    _check(p.stdout.splitlines(), "schema/load")
    return len(rows)


def run(kb_tsv_path, queries, tmpdir):
    """eval.py's peer: [(decision, [ids])] aligned with queries [(query, grades)]."""
    db = os.path.join(tmpdir, "groonga", "qa.grn")
    os.makedirs(os.path.dirname(db), exist_ok=True)
    build_db(kb_tsv_path, db)
    words = content_words([q for q, _ in queries])
    todo = [i for i, w in enumerate(words) if w]
    cmds = [select_path(words[i], limit=10) for i in todo]
    runs = [("none", [])] * len(queries)
    if cmds:
        p = subprocess.run(["groonga", db], input="\n".join(cmds) + "\n",
                           capture_output=True, text=True, check=True)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        assert len(lines) == len(cmds), (len(lines), len(cmds))
        for i, line in zip(todo, lines):
            o = json.loads(line)
            if o[0][0] != 0:
                raise RuntimeError(f"groonga select for {queries[i][0]!r}: {o[0]}")
            recs = o[1][0][2:]  # [[n_hits], [columns], rows...]
            ids = [r[0] for r in recs]
            runs[i] = ("answer" if ids else "none", ids)
    print(f"groonga peer: {DESCRIPTION}", file=sys.stderr)
    return runs


if __name__ == "__main__":
    # Debug: print the content words and Groonga query of each line of stdin.
    qs = [l.rstrip("\n") for l in sys.stdin]
    for q, w in zip(qs, content_words(qs)):
        print(f"{q}\t{groonga_query(w)}")
