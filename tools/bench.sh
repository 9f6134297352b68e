#!/usr/bin/env bash
# `make bench`: throughput, latency, memory, scaling and import speed of
# madoguchi next to Groonga (see tools/bench/README.md). Prints a table and
# writes build/bench/results.json. Settings via BENCH_* environment variables
# (tools/bench/bench.py). Never part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tools/bench/bench.py "$@"
