#!/bin/sh
# Builds the sample database: every bundled sample bot with its Q&A (and,
# as they are added below, its flows). The database is built in a
# temporary file next to OUT and renamed into place only when complete, so
# OUT is never half-built. Stop a server using OUT before rebuilding it.
#
# Usage: tools/make-sample.sh MADOGUCHI-BINARY OUT.db
set -eu
[ $# -eq 2 ] || { echo "usage: $0 MADOGUCHI-BINARY OUT.db" >&2; exit 2; }
bin=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
sample=$root/kb/sample
tmp="$out.tmp.$$"

cleanup() { rm -f "$tmp" "$tmp-wal" "$tmp-shm" "$tmp-journal"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$(dirname "$out")"
cleanup

# resident: the public bot for residents; staff: the internal helpdesk
# (API key required).
"$bin" import --db "$tmp" --bot resident "$sample/resident.tsv"
"$bin" import --db "$tmp" --bot staff --internal "$sample/staff.tsv"

# kyukyu: the emergency consultation (救急相談), a public bot whose Q&A are
# the symptom entries, each starting its triage flow.
"$bin" import --db "$tmp" --bot kyukyu "$sample/kyukyu.tsv"

# Decision trees (flows). The resident bot includes the consultation's
# flows (include_bots: [kyukyu]), so residents reach it from their own chat
# (the flow `kyukyu` has trigger phrases such as 「救急相談」「急に具合が悪く
# なった」); kyukyu's flows are therefore imported first.
"$bin" flows import --db "$tmp" --bot kyukyu "$sample/flows-kyukyu.yaml"
"$bin" flows import --db "$tmp" --bot resident "$sample/flows-resident.yaml"
"$bin" flows import --db "$tmp" --bot staff "$sample/flows-staff.yaml"
# Red flags (signs of a life-threatening emergency), checked first in every bot.
"$bin" flows redflags --db "$tmp" "$sample/redflags.yaml"

if [ -e "$tmp-wal" ] && [ -s "$tmp-wal" ]; then
	echo "$0: $tmp-wal was not checkpointed" >&2
	exit 1
fi
# A WAL left by a server that used the previous OUT must not be replayed
# into the new database.
rm -f "$out-wal" "$out-shm"
mv -f "$tmp" "$out"
echo "sample database: $out"
