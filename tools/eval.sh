#!/usr/bin/env bash
# `make eval`: retrieval quality of madoguchi and, side by side, Debian's
# Groonga (tools/groonga_peer.py) on ../shared/data/pref-faq, then on the
# bundled sample bots with their own queries (kb/sample/eval-*.tsv). Writes
# build/eval/results.json. Extra arguments go to tools/eval.py.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/eval
exec python3 tools/eval.py --groonga --sample --json build/eval/results.json "$@"
