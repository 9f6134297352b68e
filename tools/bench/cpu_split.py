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


def split(perf_data, binary, root, src=None):
    """src: a copy of the sources the binary was built from (default: root);
    call sites are quoted from it."""
    files = symbol_files(binary, root)
    exe = os.path.basename(binary)
    p = subprocess.run(["perf", "script", "-i", perf_data, "-F", "comm,tid,ip,sym,dso"],
                       capture_output=True, text=True)
    comp = collections.Counter()
    leaf = collections.Counter()
    total = 0
    stack = []
    own = (exe,)
    sites = collections.defaultdict(collections.Counter)
    own_fn = collections.Counter()

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        # An inlined frame shares the address of the next real frame: give it
        # that frame's object, so inlined static helpers keep their names.
        # Static helpers inlined away have no symbol: use the file of the
        # function they were inlined into.
        fixed, nxt, host, nip = [], None, None, None
        ips = [ip for ip, _, _ in stack]
        for ip, sym, dso in reversed(stack):
            if dso == "inlined":
                if ip == nip:
                    dso = nxt
                    if host and sym not in files and files.get(host):
                        files[sym] = files[host]
            else:
                nxt, host, nip = dso, sym, ip
            fixed.append((sym, dso))
        fixed.reverse()
        c, at = None, 0
        for at, (sym, dso) in enumerate(fixed):
            c = classify(sym, dso, files, exe)
            if c:
                break
        if c == "SQLite/FTS5":
            # Name the statement: the call site (return address) of the
            # first own frame above the SQLite frames, resolved to a line.
            site = next(((s, ip) for (s, d), ip in zip(fixed[at:], ips[at:])
                         if os.path.basename(d) in own and "@plt" not in s
                         and not s.startswith("sqlite3")), ("?", None))
            c = f"SQLite/FTS5 <- {site[0]}()"
            if site[1] is not None:
                sites[c][site[1]] += 1
        elif c and os.path.basename(fixed[at][1]) in own:
            own_fn[f"{fixed[at][0]}() [{c}]"] += 1
        comp[c or "kernel/libc (unattributed)"] += 1
        _, s, d = stack[0]
        leaf[f"{s} [{os.path.basename(d)}]"] += 1
        stack.clear()

    for line in p.stdout.splitlines():
        if not line.strip():
            flush()
            continue
        m = FRAME.match(line)
        if m:
            stack.append((m.group(1), m.group(2), m.group(3)))
        else:
            flush()  # a new sample header
    flush()
    if total == 0:
        return {"samples": 0, "components": {}, "top_leaf": []}
    return {
        "samples": total,
        "components": {k: round(100.0 * v / total, 1) for k, v in comp.most_common()},
        "sqlite_call_sites": call_sites(sites, binary, root, total, src or root),
        "own_functions": [[k, round(100.0 * v / total, 1)] for k, v in own_fn.most_common(10)],
        "top_leaf": [[k, round(100.0 * v / total, 1)] for k, v in leaf.most_common(15)],
    }


def call_sites(sites, binary, root, total, src):
    """{component: [[file:line, source text, % of all samples], ...]} for
    the SQLite components, via addr2line on the call sites' return
    addresses (the instruction after the call: look one byte back)."""
    ips = sorted({ip for c in sites.values() for ip in c})
    if not ips:
        return {}
    try:
        p = subprocess.run(["addr2line", "-e", binary] +
                           [hex(int(ip, 16) - 1) for ip in ips],
                           capture_output=True, text=True, timeout=60)
        locs = dict(zip(ips, p.stdout.splitlines()))
    except (OSError, subprocess.SubprocessError):
        return {}
    out = {}
    for comp, c in sites.items():
        merged = collections.Counter()
        for ip, n in c.items():
            merged[locs.get(ip, "?").split(" ")[0]] += n
        rows = []
        for loc, n in merged.most_common(4):
            path, _, line = loc.rpartition(":")
            text = ""
            rel = os.path.relpath(path, root) if os.path.isabs(path) else path
            try:
                with open(os.path.join(src, rel)) as f:
                    text = f.read().splitlines()[int(line) - 1].strip()
            except (OSError, ValueError, IndexError):
                pass
            if "sqlite3_" not in text:  # source moved on since the build
                text = ""
            rows.append([f"{rel}:{line}", text[:70], round(100.0 * n / total, 1)])
        out[comp] = rows
    return out


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
    for comp, rows in r.get("sqlite_call_sites", {}).items():
        print(f"  {comp}:")
        for loc, text, v in rows:
            print(f"      {v:5.1f}%  {loc}  {text}")
    print("own code by function (incl. libc it calls):")
    for k, v in r.get("own_functions", []):
        print(f"  {v:5.1f}%  {k}")
    print("hottest leaf functions:")
    for k, v in r["top_leaf"]:
        print(f"  {v:5.1f}%  {k}")


if __name__ == "__main__":
    sys.exit(main())
