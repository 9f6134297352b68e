#!/usr/bin/env python3
"""`make bench`: chat throughput, latency, memory, scaling and import speed of
madoguchi, side by side with Groonga's HTTP server on the same queries.

Prints a table and writes build/bench/results.json. Everything runs on
127.0.0.1; every wait is bounded. Settings (environment):

  BENCH_DURATION=20s       measured wrk run per connection count
  BENCH_WARMUP=5s          wrk warm-up per server (not measured)
  BENCH_THREADS=2          wrk threads
  BENCH_CONNS=16,64        connection counts of the main comparison
  BENCH_REPEAT=3           interleaved madoguchi/Groonga runs per count (medians)
  BENCH_SCALE=1000,10000,100000   knowledge-base sizes for the scaling runs
  BENCH_SCALE_DURATION=10s BENCH_SCALE_CONNS=16 BENCH_SCALE_GROONGA=1
  BENCH_PROFILE=1 BENCH_PROFILE_DURATION=10s   perf CPU split (needs perf)
  BENCH_PROFILE_SCALE=10000  also profile the scaling run of this size ("" = no)
  BENCH_DICDIR=DIR         MeCab dictionary for the imports (default: madoguchi's)
  BENCH_SECTIONS=import,chat,groonga,scale,profile   run only some parts
  BENCH_DATA=../shared/data/pref-faq   kb.tsv + dev-queries.tsv
  BENCH_BOT=pref           bot id used for the benchmark knowledge bases
  BENCH_SERVER_THREADS=N   madoguchi-server worker threads (default: its own, one per core)
  BENCH_SERVER_ARGS=...    extra arguments for madoguchi-server
  BENCH_CHAT_EXPECT='"reply":'  substring every 2xx chat body must contain
  MDG_BIN, MDG_SERVER      binaries (default build/madoguchi, build/madoguchi-server)

`bench.py --report` prints the table of the last build/bench/results.json again.
"""
import contextlib
import datetime
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import groonga_peer  # noqa: E402

OUT = os.path.join(ROOT, "build", "bench")
WORK = os.path.join(OUT, "work")
REPLAY = os.path.join(HERE, "replay.lua")
GEN = os.path.join(HERE, "gen_kb.py")


def env(name, default):
    return os.environ.get(name, default)


def seconds(s):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", s.strip())
    if not m:
        sys.exit(f"bench: bad duration {s!r}")
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "ms" else v * 60 if m.group(2) == "m" else v


CFG = {
    "duration": env("BENCH_DURATION", "20s"),
    "warmup": env("BENCH_WARMUP", "5s"),
    "threads": int(env("BENCH_THREADS", "2")),
    "conns": [int(c) for c in env("BENCH_CONNS", "16,64").split(",") if c],
    "repeat": max(1, int(env("BENCH_REPEAT", "3"))),
    "scale": [int(c) for c in env("BENCH_SCALE", "1000,10000,100000").split(",") if c],
    "scale_duration": env("BENCH_SCALE_DURATION", "10s"),
    "scale_conns": int(env("BENCH_SCALE_CONNS", "16")),
    "scale_groonga": env("BENCH_SCALE_GROONGA", "1") == "1",
    "profile": env("BENCH_PROFILE", "1") == "1",
    "profile_duration": env("BENCH_PROFILE_DURATION", "10s"),
    "profile_scale": env("BENCH_PROFILE_SCALE", "10000"),
    "dicdir": env("BENCH_DICDIR", ""),
    "sections": set(env("BENCH_SECTIONS", "import,chat,groonga,scale,profile").split(",")),
    "data": env("BENCH_DATA", os.path.join(ROOT, "..", "shared", "data", "pref-faq")),
    "bot": env("BENCH_BOT", "pref"),
    "server_args": shlex.split(env("BENCH_SERVER_ARGS", "")),
    "chat_expect": env("BENCH_CHAT_EXPECT", '"reply":'),
    "server_threads": env("BENCH_SERVER_THREADS", ""),
    "bin": env("MDG_BIN", os.path.join(ROOT, "build", "madoguchi")),
    "server": env("MDG_SERVER", os.path.join(ROOT, "build", "madoguchi-server")),
}

TARGETS = {
    "throughput_vs_groonga": 3.0,   # x Groonga's req/s
    "p99_ms_16": 5.0,
    "rss_mib_10k": 64,
    "rss_mib_100k": 256,
    "p99_ms_100k": 10.0,
    "import_xlsx_10k_s": 2.0,
    "ready_ms_10k": 200.0,
}

# Processes this run started; stopped in finally, by handle only.
CHILDREN = []


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, urllib.error.URLError):
        return None


def start(cmd, ready_url, logname, limit=60.0):
    """Starts cmd, polls ready_url until 200. Returns (proc, seconds to ready)."""
    logf = open(os.path.join(WORK, logname), "ab")
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    logf.close()
    CHILDREN.append(p)
    deadline = t0 + limit
    while time.perf_counter() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited with {p.returncode} (see {WORK}/{logname})")
        if http_status(ready_url, timeout=0.5) == 200:
            return p, time.perf_counter() - t0
        time.sleep(0.002)
    stop(p)
    raise RuntimeError(f"{cmd[0]} not ready after {limit:.0f} s (see {WORK}/{logname})")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    if p in CHILDREN:
        CHILDREN.remove(p)


def proc_status(pid):
    """VmRSS, VmHWM (peak), RssAnon (heap, stacks), RssFile (mapped files:
    the MeCab dictionary, the database) in KiB."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


class RssSampler:
    """Samples /proc/PID/status every 200 ms in a thread: the kernel keeps
    the peak of the total (VmHWM) but not of its anonymous part."""

    def __init__(self, pid):
        self.pid, self.max = pid, {}
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_ev.wait(0.2):
            for k, v in proc_status(self.pid).items():
                self.max[k] = max(v, self.max.get(k, 0))

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *a):
        self.stop_ev.set()
        self.t.join(timeout=5)


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


# ---------------------------------------------------------------- wrk

def cpu_busy():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


def wrk(url, reqfile, conns, duration, expect="", pid=None):
    cmd = ["wrk", f"-t{min(CFG['threads'], conns)}", f"-c{conns}", f"-d{duration}",
           "--latency", "--timeout", "5s", "-s", REPLAY, url, "--", reqfile, expect]
    cpu0 = cpu_seconds(pid) if pid else None
    sys0, ru0 = cpu_busy(), resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=seconds(duration) + 60)
    sys1, ru1 = cpu_busy(), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1 = cpu_seconds(pid) if pid else None
    m = re.search(r"^BENCH_JSON (\{.*\})$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stdout[-500:]} {p.stderr[-500:]}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    lat = r["latency_us"]
    res = {
        "connections": conns,
        "threads": min(CFG["threads"], conns),
        "duration_s": round(secs, 2),
        "requests": r["requests"],
        "rps": round(r["requests"] / secs, 1),
        "p50_ms": lat["p50"] / 1000, "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000, "p999_ms": lat["p999"] / 1000,
        "max_ms": lat["max"] / 1000, "mean_ms": round(lat["mean"] / 1000, 3),
        "non2xx": r["non2xx"], "bad_body": r["bad_body"],
        "socket_errors": r["errors"],
        "mb_read": round(r["bytes"] / 1e6, 1),
    }
    if cpu0 is not None and cpu1 is not None and r["requests"]:
        res["server_cpu_us_per_req"] = round((cpu1 - cpu0) * 1e6 / r["requests"], 1)
        # Cores kept busy by everything except the server and wrk: other
        # work on a shared machine, which the figures above suffer from.
        busy = (sys1[0] - sys0[0]) / os.sysconf("SC_CLK_TCK")
        wrk_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        res["other_load_cores"] = round(max(0.0, busy - (cpu1 - cpu0) - wrk_cpu) / secs, 2)
        res["wrk_cores"] = round(wrk_cpu / secs, 2)
    return res


# ---------------------------------------------------------------- data

def dev_queries():
    path = os.path.join(CFG["data"], "dev-queries.tsv")
    with open(path, encoding="utf-8") as f:
        f.readline()
        return [l.split("\t")[0] for l in f.read().splitlines() if l.split("\t")[0]]


def write_chat_requests(queries, path):
    with open(path, "w", encoding="utf-8") as f:
        for q in queries:
            body = json.dumps({"message": q}, ensure_ascii=False)
            f.write(f"POST\t/v1/bots/{CFG['bot']}/chat\t{body}\n")
    return len(queries)


def write_groonga_requests(queries, path):
    """Top 5 with question and answer, Groonga's query cache bypassed. A
    query without content words is never sent (a team would not call
    Groonga for it)."""
    words = groonga_peer.content_words(queries)
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for w in words:
            if w:
                f.write("GET\t" + groonga_peer.select_path(
                    w, limit=5, output_columns="_key,_score,question,answer",
                    cache=False) + "\n")
                n += 1
    return n


def timed(cmd, limit=900):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()[-800:]}")
    return dt


def mdg_import(db, src):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    extra = ["--dicdir", CFG["dicdir"]] if CFG["dicdir"] else []
    return timed([CFG["bin"], "import", "--db", db, "--bot", CFG["bot"]] + extra + [src])


def make_xlsx(tsv, db, out):
    """A 10k-row .xlsx: the project's own writer, else LibreOffice."""
    try:
        timed([CFG["bin"], "export", "--db", db, "--bot", CFG["bot"], out])
        return "madoguchi export"
    except RuntimeError as e:
        log(f"madoguchi export failed ({e}); trying LibreOffice")
    csv_path = os.path.splitext(out)[0] + ".csv"
    subprocess.run([sys.executable, GEN, os.path.join(CFG["data"], "kb.tsv"), "10000",
                    csv_path], check=True, timeout=120)
    subprocess.run(["soffice", "--headless", "--infilter=CSV:44,34,76,1",
                    "--convert-to", "xlsx", "--outdir", os.path.dirname(out), csv_path],
                   check=True, capture_output=True, timeout=300)
    return "LibreOffice"


def groonga_load(tsv, db_dir):
    shutil.rmtree(db_dir, ignore_errors=True)
    os.makedirs(db_dir)
    db = os.path.join(db_dir, "qa.grn")
    rows = groonga_peer.read_kb(tsv)
    t0 = time.perf_counter()
    groonga_peer.build_db(tsv, db, rows)
    return db, time.perf_counter() - t0


# ---------------------------------------------------------------- sections

NO_CACHE = ["search_cache: 0"]


def server_config(extra=()):
    """The server configuration of the benchmark: defaults, except that the
    per-address rate limit is raised out of reach (wrk is one address; the
    limiter still runs on every request), the access log is on (one stderr
    line per request, to a file) and the state secret is fixed. The turn
    log with masking is always on. `extra`: more top-level lines (NO_CACHE
    turns the result cache off)."""
    path = os.path.join(WORK, "bench-nocache.yaml" if extra else "bench.yaml")
    lines = ['secret: "madoguchi-bench-secret-not-for-production-0123"',
             "limits:", "  rate: 1000000", "  burst: 1000000",
             "log:", "  level: info", "  access: true"] + list(extra)
    if CFG["server_threads"]:
        lines.append(f"threads: {int(CFG['server_threads'])}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def server_cmd(db, port, extra=()):
    return ([CFG["server"], "--config", server_config(extra), "--db", db,
             "--listen", f"127.0.0.1:{port}"] + CFG["server_args"])


def scrape_metrics(base):
    """Counters of interest from /metrics (turn log written/dropped,
    responses by status)."""
    out = {}
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
            text = r.read().decode()
    except (OSError, urllib.error.URLError):
        return out
    for line in text.splitlines():
        m = re.match(r'^(madoguchi_turnlog_\w+|madoguchi_http_requests_total\{route="chat",'
                     r'status="\d+"\})\s+(\S+)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def groonga_cmd(db, port):
    # -s: the same HTTP server as -d, kept in the foreground so that this
    # script owns its pid (RSS, CPU, clean stop).
    return ["groonga", "-s", "--protocol", "http", "--bind-address", "127.0.0.1",
            "--port", str(port), "--log-path", os.path.join(WORK, "groonga.log"), db]


def memory(idle, after, peak):
    """RSS figures of a server session, KiB: idle right after start-up,
    peak (kernel high-water mark), anonymous/file-backed parts at their
    sampled peaks, and idle again after the load."""
    return {"rss_idle_kib": idle.get("VmRSS"), "rss_idle_anon_kib": idle.get("RssAnon"),
            "rss_peak_kib": after.get("VmHWM"),
            "rss_peak_anon_kib": peak.get("RssAnon"), "rss_peak_file_kib": peak.get("RssFile"),
            "rss_after_kib": after.get("VmRSS"), "rss_after_anon_kib": after.get("RssAnon")}


class Session:
    """One server under test: started on a free 127.0.0.1 port, RSS sampled
    from start-up to result(), stopped on exit."""

    def __init__(self, kind, db, name, extra=()):
        self.kind, self.db, self.name, self.runs, self.extra = kind, db, name, [], extra
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.expect = CFG["chat_expect"] if kind == "madoguchi" else "[[0,"
        self.reqfile = os.path.join(WORK, "chat.req" if kind == "madoguchi" else "groonga.req")

    def __enter__(self):
        if self.kind == "madoguchi":
            cmd, ready_url = server_cmd(self.db, self.port, self.extra), self.base + "/readyz"
        else:
            cmd, ready_url = groonga_cmd(self.db, self.port), self.base + "/d/status"
        self.p, self.ready = start(cmd, ready_url, f"{self.name}.log")
        time.sleep(0.3)
        self.idle = proc_status(self.p.pid)
        self.smp = RssSampler(self.p.pid).__enter__()
        return self

    def warm(self, conns):
        if seconds(CFG["warmup"]) > 0:
            wrk(self.base, self.reqfile, conns, CFG["warmup"], self.expect)

    def run(self, conns, duration):
        log(f"  {self.kind}: wrk -c{conns} -d{duration}")
        r = wrk(self.base, self.reqfile, conns, duration, self.expect, self.p.pid)
        if self.p.poll() is not None:
            raise RuntimeError(f"{self.kind} died during the run (see {WORK}/{self.name}.log)")
        self.runs.append(r)
        return r

    def result(self):
        self.smp.__exit__()
        time.sleep(1.0)
        out = memory(self.idle, proc_status(self.p.pid), self.smp.max)
        out.update({"ready_ms": round(self.ready * 1000, 1), "runs": aggregate(self.runs)})
        if self.kind == "madoguchi":
            out["metrics"] = scrape_metrics(self.base)
        return out

    def profile(self, conns):
        return perf_profile(self.p.pid, self.base, self.reqfile, conns)

    def __exit__(self, *a):
        self.smp.__exit__()
        stop(self.p)


def aggregate(runs):
    """One entry per connection count: the median of each figure over the
    repeats (error counts summed), the single runs under "repeats"."""
    out = []
    for c in dict.fromkeys(r["connections"] for r in runs):
        rs = [r for r in runs if r["connections"] == c]
        if len(rs) == 1:
            out.append(rs[0])
            continue
        agg = dict(rs[0])
        for k, v in rs[0].items():
            if isinstance(v, (int, float)) and k not in ("connections", "threads"):
                vals = sorted(r[k] for r in rs)
                agg[k] = (sum(vals) if k in ("requests", "non2xx", "bad_body")
                          else vals[len(vals) // 2])
        agg["socket_errors"] = {k: sum(r["socket_errors"][k] for r in rs)
                                for k in rs[0]["socket_errors"]}
        agg["repeats"] = rs
        out.append(agg)
    return out


def single_session(kind, db, conns, duration, name, profile=False, extra=()):
    """Start, warm up, one measured run per connection count, result."""
    with Session(kind, db, name, extra) as s:
        s.warm(max(conns))
        for c in conns:
            s.run(c, duration)
        out = s.result()
        if profile:
            out["profile"] = s.profile(conns[0])
        return out


def perf_profile(pid, base, reqfile, conns):
    if not shutil.which("perf"):
        return {"skipped": "perf not installed"}
    data = os.path.join(WORK, "perf.data")
    dur = seconds(CFG["profile_duration"])
    log(f"  perf record -p {pid} for {dur:.0f} s under wrk -c{conns}")
    perf = subprocess.Popen(["perf", "record", "-q", "-F", "299", "--call-graph",
                             "dwarf,8192", "-p", str(pid), "-o", data, "--",
                             "sleep", str(dur)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    CHILDREN.append(perf)
    try:
        load = wrk(base, reqfile, conns, f"{dur + 1:.0f}s", CFG["chat_expect"], pid)
        _, err = perf.communicate(timeout=dur + 60)
    finally:
        if perf.poll() is None:
            stop(perf)
        elif perf in CHILDREN:
            CHILDREN.remove(perf)
    if perf.returncode != 0 or not os.path.exists(data):
        return {"skipped": f"perf failed: {err.decode(errors='replace')[-300:]}"}
    sys.path.insert(0, HERE)
    import cpu_split  # tools/bench/cpu_split.py
    r = cpu_split.split(data, CFG["server"], ROOT, src=os.path.join(WORK, "src"))
    r["under_load"] = {k: load[k] for k in ("connections", "rps", "p99_ms",
                                             "server_cpu_us_per_req") if k in load}
    cpu = load.get("server_cpu_us_per_req")
    if cpu:
        r["us_per_request"] = {k: round(cpu * v / 100, 1) for k, v in r["components"].items()}
    return r


# ---------------------------------------------------------------- report

def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except OSError:
        mem = 0

    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=10).stdout.splitlines()[0].strip()
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"
    try:
        commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    return {"cpu": model, "cores": os.cpu_count(), "mem_mib": mem, "commit": commit,
            "kernel": platform.release(), "groonga": ver(["groonga", "--version"]),
            "wrk": ver(["wrk", "--version"]),
            "sqlite": ver(["sqlite3", "--version"]).split(" ")[0],
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def mib(kib):
    return f"{kib / 1024:.1f}" if kib else "-"


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def run_at(session, conns):
    if not session:
        return None
    return next((r for r in session["runs"] if r["connections"] == conns), None)


def verdict(ok):
    return "-" if ok is None else ("met" if ok else "MISSED")


def targets(res):
    t = []
    chat, gro = res.get("chat"), res.get("groonga")
    c16 = run_at(chat, 16)
    g16 = run_at(gro, 16)
    if c16 and g16:
        ratio = c16["rps"] / g16["rps"]
        t.append(("throughput >= 3x Groonga @16", f"{ratio:.2f}x",
                  ratio >= TARGETS["throughput_vs_groonga"]))
    if c16:
        t.append(("p99 <= 5 ms @16", f"{c16['p99_ms']:.2f} ms", c16["p99_ms"] <= TARGETS["p99_ms_16"]))
    n16 = run_at(res.get("chat_nocache"), 16)
    if n16 and g16:
        ratio = n16["rps"] / g16["rps"]
        t.append(("  the same, result cache off", f"{ratio:.2f}x, p99 {n16['p99_ms']:.2f} ms",
                  ratio >= TARGETS["throughput_vs_groonga"] and
                  n16["p99_ms"] <= TARGETS["p99_ms_16"]))
    scale = res.get("scale", {}).get("madoguchi", {})
    scale_def = res.get("scale", {}).get("madoguchi_defaults", {})
    sessions = ([x for x in (chat, res.get("chat_nocache")) if x] + list(scale.values()) +
                list(scale_def.values()))
    if sessions:
        runs = [r for s in sessions for r in s["runs"]]
        bad = sum(r["non2xx"] + r["bad_body"] + sum(r["socket_errors"].values()) for r in runs)
        dropped = sum(s.get("metrics", {}).get("madoguchi_turnlog_dropped_total", 0)
                      for s in sessions)
        t.append(("zero non-2xx (all madoguchi runs)",
                  f"{bad} of {sum(r['requests'] for r in runs)}; turn log dropped "
                  f"{dropped:.0f}", bad == 0))
    for size, key, lim in (("10000", "rss_mib_10k", 64), ("100000", "rss_mib_100k", 256)):
        s = scale.get(size)
        if s and s.get("rss_peak_kib"):
            t.append((f"RSS <= {lim} MiB with {int(size) // 1000}k Q&A",
                      f"{s['rss_peak_kib'] / 1024:.1f} MiB peak "
                      f"({mib(s.get('rss_peak_anon_kib'))} MiB anonymous)",
                      s["rss_peak_kib"] / 1024 <= lim))
    for label, s in (("p99 <= 10 ms with 100k Q&A", scale_def.get("100000")),
                     ("  the same, result cache off", scale.get("100000"))):
        if s:
            r = s["runs"][0]
            t.append((label, f"{r['p99_ms']:.2f} ms", r["p99_ms"] <= TARGETS["p99_ms_100k"]))
    imp = res.get("import", {})
    if "xlsx_10k_s" in imp:
        t.append(("import 10k .xlsx <= 2 s", f"{imp['xlsx_10k_s']:.2f} s",
                  imp["xlsx_10k_s"] <= TARGETS["import_xlsx_10k_s"]))
    s = scale.get("10000")
    if s:
        t.append(("start to ready <= 200 ms with 10k", f"{s['ready_ms']:.0f} ms",
                  s["ready_ms"] <= TARGETS["ready_ms_10k"]))
    return t


def report(res):
    L = []
    m = res["machine"]
    L.append(f"madoguchi bench — {m['cpu']}, {m['cores']} cores, {m['mem_mib']} MiB, "
             f"Linux {m['kernel']}, {m['date']}, load avg at start "
             f"{m['loadavg_at_start'][0]}")
    L.append(f"commit {m.get('commit', '?')}; wrk {CFG['threads']} threads, keep-alive, {CFG['duration']} per run after "
             f"{CFG['warmup']} warm-up, median of {CFG.get('repeat', 1)} interleaved runs; {res.get('n_queries', '?')} dev queries cycled "
             f"(new conversations); wrk shares the machine")
    chat, gro, nc = res.get("chat"), res.get("groonga"), res.get("chat_nocache")
    if chat or gro:
        L.append("")
        L.append(f"{'benchmark KB (' + str(res.get('kb_rows', '?')) + ' Q&A)':34}"
                 f"{'madoguchi':>12}{'Groonga':>12}{'ratio':>9}{'no cache':>12}{'ratio':>9}")
        for c in CFG["conns"]:
            a, b, a0 = run_at(chat, c), run_at(gro, c), run_at(nc, c)
            for key, label, sp in (("rps", "req/s", ".0f"), ("p50_ms", "p50 ms", ".2f"),
                                   ("p90_ms", "p90 ms", ".2f"), ("p99_ms", "p99 ms", ".2f"),
                                   ("server_cpu_us_per_req", "server CPU µs/req", ".0f"),
                                   ("other_load_cores", "other processes, cores", ".2f"),
                                   ("non2xx", "non-2xx", "d")):
                va = a.get(key) if a else None
                vb = b.get(key) if b else None
                v0 = a0.get(key) if a0 else None
                ratio = ratio0 = ""
                if key in ("rps", "p99_ms") and va and vb:
                    ratio = f"{va / vb:.2f}x"
                if key in ("rps", "p99_ms") and v0 and vb:
                    ratio0 = f"{v0 / vb:.2f}x"
                L.append(f"  {label + ' @' + str(c):32}{fmt(va, sp):>12}{fmt(vb, sp):>12}{ratio:>9}"
                         f"{fmt(v0, sp):>12}{ratio0:>9}")
        L.append(f"  {'RSS idle / peak MiB':32}"
                 f"{(mib(chat['rss_idle_kib']) + '/' + mib(chat['rss_peak_kib'])) if chat else '-':>12}"
                 f"{(mib(gro['rss_idle_kib']) + '/' + mib(gro['rss_peak_kib'])) if gro else '-':>12}")
        L.append(f"  {'  anonymous at peak MiB':32}{mib(chat and chat.get('rss_peak_anon_kib')):>12}"
                 f"{mib(gro and gro.get('rss_peak_anon_kib')):>12}")
        L.append(f"  {'  file-backed at peak MiB':32}{mib(chat and chat.get('rss_peak_file_kib')):>12}"
                 f"{mib(gro and gro.get('rss_peak_file_kib')):>12}")
        L.append(f"  {'start to ready ms':32}{fmt(chat and chat['ready_ms']):>12}"
                 f"{fmt(gro and gro['ready_ms']):>12}")
        if gro is not None and res.get("groonga_queries") is not None:
            L.append(f"  (Groonga: {res['groonga_queries']} of the queries have content words "
                     f"and are sent; top 5 with question and answer, query cache off: turning "
                     f"it on changes nothing measurable)")
        if nc:
            L.append("  (no cache: madoguchi with search_cache: 0, every message searched; "
                     "the defaults keep recent results per worker)")
    scale = res.get("scale")
    if scale:
        L.append("")
        L.append(f"scaling, {CFG['scale_conns']} connections, {CFG['scale_duration']}, "
                 f"madoguchi's result cache off (every message searched; '+ cache': the\n"
                 f"  defaults, largest size only):")
        L.append(f"  {'Q&A':>7} {'engine':10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
                 f"{'RSS idle':>10}{'RSS peak':>10}{'anon pk':>9}{'ready ms':>10}{'load s':>8}")
        for size in CFG["scale"]:
            for eng in ("madoguchi", "madoguchi_defaults", "groonga"):
                s = scale.get(eng, {}).get(str(size))
                if not s:
                    continue
                r = s["runs"][0]
                label = "+ cache" if eng == "madoguchi_defaults" else eng
                L.append(f"  {size:>7} {label:10}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}"
                         f"{r['p99_ms']:>9.2f}{mib(s['rss_idle_kib']):>10}"
                         f"{mib(s['rss_peak_kib']):>10}{mib(s.get('rss_peak_anon_kib')):>9}"
                         f"{s['ready_ms']:>10.0f}"
                         f"{fmt(s.get('load_s'), '.1f'):>8}")
    imp = res.get("import")
    if imp:
        L.append("")
        L.append("import (madoguchi import, CLI, includes MeCab indexing):")
        for k, label in (("tsv_bench_s", f"benchmark .tsv ({res.get('kb_rows')} rows)"),
                         ("tsv_1k_s", "1k .tsv"), ("tsv_10k_s", "10k .tsv"),
                         ("xlsx_10k_s", "10k .xlsx"), ("csv_100k_s", "100k .csv")):
            if k in imp:
                L.append(f"  {label:32}{imp[k]:>8.2f} s")
        for k, label in (("groonga_10k_s", "Groonga load 10k"),
                         ("groonga_100k_s", "Groonga load 100k")):
            if k in imp:
                L.append(f"  {label:32}{imp[k]:>8.2f} s")
    profs = []
    if chat and chat.get("profile"):
        profs.append((f"benchmark KB ({res.get('kb_rows')} Q&A)", chat["profile"]))
    if nc and nc.get("profile"):
        profs.append((f"benchmark KB ({res.get('kb_rows')} Q&A), result cache off",
                      nc["profile"]))
    for n, sess in (scale or {}).get("madoguchi", {}).items():
        if sess.get("profile"):
            profs.append((f"{n} Q&A", sess["profile"]))
    for what, prof in profs:
        if not prof.get("components"):
            L.append(f"\nprofile ({what}): {prof.get('skipped')}")
            continue
        L.append("")
        ul = prof.get("under_load", {})
        L.append(f"CPU split of madoguchi-server, {what}, under wrk -c{ul.get('connections')} "
                 f"({prof['samples']} perf samples, {fmt(ul.get('server_cpu_us_per_req'), '.0f')} "
                 f"µs CPU/request):")
        us = prof.get("us_per_request", {})
        for k, v in list(prof["components"].items())[:12]:
            L.append(f"  {v:5.1f}%  {fmt(us.get(k), '7.1f')} µs  {k}")
        for comp, rows in list(prof.get("sqlite_call_sites", {}).items())[:2]:
            L.append(f"  {comp}, by statement:")
            for loc, text, v in rows[:3]:
                L.append(f"      {v:5.1f}%  {loc}  {text}")
        if prof.get("own_functions"):
            L.append("  own code by function: " + ", ".join(
                f"{k.split(' [')[0]} {v}%" for k, v in prof["own_functions"][:6]))
        L.append("  hottest leaf functions: " + ", ".join(
            f"{k} {v}%" for k, v in prof["top_leaf"][:6]))
    t = targets(res)
    if t:
        L.append("")
        L.append("targets:")
        for name, value, ok in t:
            L.append(f"  {verdict(ok):7} {name:38} {value}")
    for note in res.get("notes", []):
        L.append(f"note: {note}")
    return "\n".join(L)


# ---------------------------------------------------------------- main

def main():
    if sys.argv[1:] == ["--report"]:  # reprint the last run's table
        with open(os.path.join(OUT, "results.json")) as f:
            res = json.load(f)
        CFG.update({k: v for k, v in res["config"].items() if k != "sections"})
        print(report(res))
        return
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found (tools/deps.sh bench)")
    secs = CFG["sections"]
    have_server = os.access(CFG["server"], os.X_OK)
    os.makedirs(OUT, exist_ok=True)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    # Run private copies of the binaries: a rebuild in the tree during the
    # run must neither change what is measured nor hide symbols from perf.
    os.makedirs(os.path.join(WORK, "bin"))
    for key in ("bin", "server"):
        if os.access(CFG[key], os.X_OK):
            copy = os.path.join(WORK, "bin", os.path.basename(CFG[key]))
            shutil.copy2(CFG[key], copy)
            CFG[key] = copy
    # ... and of the sources, to quote the profiled SQL call sites as built.
    for d in ("nlp", "kb", "server"):
        if os.path.isdir(os.path.join(ROOT, d)):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(WORK, "src", d),
                            ignore=shutil.ignore_patterns("*.o", "sample"))
    kb_tsv = os.path.join(CFG["data"], "kb.tsv")
    queries = dev_queries()
    res = {"machine": machine(), "config": {k: (sorted(v) if isinstance(v, set) else v)
                                            for k, v in CFG.items()},
           "targets": TARGETS, "notes": [], "n_queries": len(queries)}
    res["kb_rows"] = len(groonga_peer.read_kb(kb_tsv))
    chat_req = os.path.join(WORK, "chat.req")
    gro_req = os.path.join(WORK, "groonga.req")
    write_chat_requests(queries, chat_req)
    res["groonga_queries"] = write_groonga_requests(queries, gro_req)
    if not have_server:
        res["notes"].append(f"{CFG['server']} not built: chat, scaling and profile "
                            "sections skipped")

    t_start = time.perf_counter()
    dbs = {}
    try:
        # --- knowledge bases and import speed
        need_sizes = set(CFG["scale"]) if "scale" in secs else set()
        if "import" in secs:
            need_sizes |= {10000, 100000}
        imp = {}
        log("importing the benchmark knowledge base")
        dbs["bench"] = os.path.join(WORK, "bench.db")
        imp["tsv_bench_s"] = round(mdg_import(dbs["bench"], kb_tsv), 3)
        for n in sorted(need_sizes):
            tag = f"{n // 1000}k"
            ext = "csv" if n >= 100000 else "tsv"
            src = os.path.join(WORK, f"kb{tag}.{ext}")
            subprocess.run([sys.executable, GEN, kb_tsv, str(n), src], check=True, timeout=300)
            db = os.path.join(WORK, f"kb{tag}.db")
            log(f"importing {n} Q&A from .{ext}")
            imp[f"{ext}_{tag}_s"] = round(mdg_import(db, src), 3)
            if n == 10000 and "import" in secs:
                xlsx = os.path.join(WORK, "kb10k.xlsx")
                res["xlsx_writer"] = make_xlsx(src, db, xlsx)
                log("importing 10k Q&A from .xlsx (timed)")
                imp["xlsx_10k_s"] = round(mdg_import(db, xlsx), 3)
            dbs[n] = db
        res["import"] = imp

        # --- main comparison: both servers up, runs interleaved so that
        # both see the same background load on a shared machine
        with contextlib.ExitStack() as stack:
            m = m0 = g = None
            if "chat" in secs and have_server:
                log("madoguchi-server, benchmark KB (defaults, and result cache off)")
                m = stack.enter_context(Session("madoguchi", dbs["bench"], "server-bench"))
                m0 = stack.enter_context(Session("madoguchi", dbs["bench"],
                                                 "server-bench-nocache", NO_CACHE))
            if "groonga" in secs:
                gdb, gload = groonga_load(kb_tsv, os.path.join(WORK, "groonga-bench"))
                log("Groonga HTTP, benchmark KB")
                g = stack.enter_context(Session("groonga", gdb, "groonga-bench"))
            for s in (m, m0, g):
                if s:
                    s.warm(max(CFG["conns"]))
            for _ in range(CFG["repeat"]):
                for c in CFG["conns"]:
                    for s in (m, m0, g):
                        if s:
                            s.run(c, CFG["duration"])
            if m:
                res["chat"] = m.result()
                res["chat_nocache"] = m0.result()
            if g:
                res["groonga"] = g.result()
                res["groonga"]["load_s"] = round(gload, 3)
            if m and "profile" in secs and CFG["profile"]:
                if g:  # an idle peer, not a competitor, while profiling
                    g.__exit__()
                m0.__exit__()  # idle, one server profiled at a time
                res["chat"]["profile"] = m.profile(CFG["conns"][0])
                m.__exit__()
                m0 = stack.enter_context(Session("madoguchi", dbs["bench"],
                                                 "server-bench-nocache-profile", NO_CACHE))
                m0.warm(CFG["conns"][0])
                res["chat_nocache"]["profile"] = m0.profile(CFG["conns"][0])

        # --- scaling
        if "scale" in secs:
            sc = {"madoguchi": {}, "groonga": {}}
            res["scale"] = sc
            for n in CFG["scale"]:
                if have_server:
                    log(f"madoguchi-server, {n} Q&A")
                    # The engine's cost curve: result cache off (the dev
                    # queries repeat, a cache would hide the growth).
                    sc["madoguchi"][str(n)] = single_session(
                        "madoguchi", dbs[n], [CFG["scale_conns"]], CFG["scale_duration"],
                        f"server-{n}", profile="profile" in secs and CFG["profile"]
                        and CFG["profile_scale"] == str(n), extra=NO_CACHE)
                    if n == max(CFG["scale"]):
                        # The largest size with the defaults as well (the
                        # 100k latency target is for the service as shipped).
                        log(f"madoguchi-server, {n} Q&A, defaults")
                        sc.setdefault("madoguchi_defaults", {})[str(n)] = single_session(
                            "madoguchi", dbs[n], [CFG["scale_conns"]], CFG["scale_duration"],
                            f"server-{n}-defaults")
                if CFG["scale_groonga"]:
                    src = os.path.join(WORK, f"kb{n // 1000}k.{'csv' if n >= 100000 else 'tsv'}")
                    tsv = src
                    if src.endswith(".csv"):  # groonga_peer reads TSV
                        tsv = os.path.join(WORK, f"kb{n // 1000}k.tsv")
                        subprocess.run([sys.executable, GEN, kb_tsv, str(n), tsv],
                                       check=True, timeout=300)
                    log(f"Groonga, loading {n} Q&A")
                    gdb, gload = groonga_load(tsv, os.path.join(WORK, f"groonga-{n}"))
                    log(f"Groonga HTTP, {n} Q&A")
                    s = single_session("groonga", gdb, [CFG["scale_conns"]],
                                       CFG["scale_duration"], f"groonga-{n}")
                    s["load_s"] = round(gload, 2)
                    sc["groonga"][str(n)] = s
                    if n in (10000, 100000):
                        res["import"][f"groonga_{n // 1000}k_s"] = round(gload, 2)
                    shutil.rmtree(os.path.dirname(gdb), ignore_errors=True)
    finally:
        for p in list(CHILDREN):
            stop(p)
        res["elapsed_s"] = round(time.perf_counter() - t_start, 1)
        res["targets_status"] = [{"target": n, "value": v, "met": ok}
                                 for n, v, ok in targets(res)]
        path = os.path.join(OUT, "results.json")
        with open(path, "w") as f:
            json.dump(res, f, indent=2, ensure_ascii=False)
    print(report(res))
    print(f"(results: {os.path.relpath(path, ROOT)}; {res['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main()
