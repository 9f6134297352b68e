#!/usr/bin/env python3
"""Per-request CPU split from a `perf record --call-graph dwarf` profile.

    cpu_split.py PERF.data BINARY [--json OUT]

Every sample is charged to the first frame, walking from the leaf towards
main(), that belongs to a component: libc, the dynamic loader, libstdc++
and the kernel are "transparent", so a malloc() called by jansson counts as
JSON, a write() issued by the logger as logging and a recv() in
libmicrohttpd as HTTP. Frames of madoguchi's own code are mapped to their
source file (from the binary's debug info, `nm -l`), so static helpers land
in the right module. Samples whose whole stack is transparent (e.g. a
thread waking in epoll) are reported as "kernel/libc (unattributed)".
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

TRANSPARENT = ("inlined", "[kernel.kallsyms]", "libc.so", "libc-", "ld-linux", "libstdc++",
               "libgcc_s", "libm.so", "[unknown]", "[vdso]", "libpthread")

# Source file (relative path inside the repo) -> component.
FILE_RULES = [
    (r"^nlp/norm\.c$", "normalisation"),
    (r"^nlp/(tok|fts5_mecab)\.c$", "MeCab"),
    (r"^nlp/synonyms\.c$", "synonyms"),
    (r"^nlp/", "nlp (other)"),
    (r"^kb/kb_search\.c$", "search + re-rank (own code)"),
    (r"^kb/", "knowledge base (other own code)"),
    (r"^server/.*(log|mask|audit)", "logging + masking"),
    (r"^server/.*(http|route|main|server)", "HTTP (server code)"),
    (r"^server/.*chat", "chat handler"),
    (r"^server/", "server (other)"),
    (r"^tools/", "CLI"),
]
DSO_RULES = [
    ("libmicrohttpd", "HTTP (libmicrohttpd)"),
    ("libjansson", "JSON (jansson)"),
    ("libmecab", "MeCab"),
    ("libyaml", "config (yaml)"),
    ("libsodium", "crypto (libsodium)"),
    ("libcrypto", "crypto (openssl)"),
    ("libz", "compression"),
    ("libxml2", "xml"),
]


def symbol_files(binary, root):
    """Map function symbol -> repo-relative source file, via nm -l."""
    out = {}
    try:
        p = subprocess.run(["nm", "-l", "--defined-only", binary], capture_output=True,
                           text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return out
    for line in p.stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[1] not in "tTwW":
            continue
        name, loc = parts[2], parts[3]
        path = loc.rsplit(":", 1)[0]
        if path.startswith(root + "/"):
            path = path[len(root) + 1:]
        out[name] = path
        out[name.split(".")[0]] = path  # foo.part.0 / foo.constprop.0
    return out


def classify(sym, dso, files, exe_name):
    base = os.path.basename(dso)
    for key, comp in DSO_RULES:
        if key in base:
            return comp
    if "libsqlite3" in base:
        # Debian strips libsqlite3's static symbols, so FTS5 internals cannot
        # be told from B-tree/VDBE work by name; split() names the caller.
        return "SQLite/FTS5"
    if base == exe_name or base.startswith("madoguchi"):
        f = files.get(sym) or files.get(sym.split(".")[0])
        for pat, comp in FILE_RULES:
            if f and re.search(pat, f):
                return comp
        if sym.startswith("sqlite3"):
            return "SQLite/FTS5"  # statically linked or inlined wrapper
        return "madoguchi (other)"
    if any(t in dso for t in TRANSPARENT):
        return None
    return "other libraries"


FRAME = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


def split(perf_data, binary, root):
    files = symbol_files(binary, root)
    exe = os.path.basename(binary)
    p = subprocess.run(["perf", "script", "-i", perf_data, "-F", "comm,tid,ip,sym,dso"],
                       capture_output=True, text=True)
    comp = collections.Counter()
    leaf = collections.Counter()
    total = 0
    stack = []
    own = (exe,)

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        # An inlined frame shares the address of the next real frame: give it
        # that frame's object, so inlined static helpers keep their names.
        # Static helpers inlined away have no symbol: use the file of the
        # function they were inlined into.
        fixed, nxt, host = [], None, None
        for sym, dso in reversed(stack):
            if dso == "inlined":
                dso = nxt or dso
                if host and sym not in files:
                    files[sym] = files.get(host)
            else:
                nxt, host = dso, sym
            fixed.append((sym, dso))
        fixed.reverse()
        c, at = None, 0
        for at, (sym, dso) in enumerate(fixed):
            c = classify(sym, dso, files, exe)
            if c:
                break
        if c == "SQLite/FTS5":
            caller = next((s for s, d in fixed[at:] if os.path.basename(d) in own
                           and "@plt" not in s and not s.startswith("sqlite3")), "?")
            c = f"SQLite/FTS5 <- {caller}()"
        comp[c or "kernel/libc (unattributed)"] += 1
        s, d = stack[0]
        leaf[f"{s} [{os.path.basename(d)}]"] += 1
        stack.clear()

    for line in p.stdout.splitlines():
        if not line.strip():
            flush()
            continue
        m = FRAME.match(line)
        if m:
            stack.append((m.group(2), m.group(3)))
        else:
            flush()  # a new sample header
    flush()
    if total == 0:
        return {"samples": 0, "components": {}, "top_leaf": []}
    return {
        "samples": total,
        "components": {k: round(100.0 * v / total, 1) for k, v in comp.most_common()},
        "top_leaf": [[k, round(100.0 * v / total, 1)] for k, v in leaf.most_common(15)],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("perf_data")
    ap.add_argument("binary")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    ap.add_argument("--json")
    a = ap.parse_args()
    r = split(a.perf_data, a.binary, a.root)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=2, ensure_ascii=False)
    print(f"{r['samples']} samples")
    for k, v in r["components"].items():
        print(f"  {v:5.1f}%  {k}")
    print("hottest leaf functions:")
    for k, v in r["top_leaf"]:
        print(f"  {v:5.1f}%  {k}")


if __name__ == "__main__":
    sys.exit(main())
