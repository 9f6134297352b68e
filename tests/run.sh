#!/usr/bin/env bash
# Runs every test level against the sanitizer build and prints one closing
# line "N passed, N failed". Usage: tests/run.sh [unit|http|browser ...]
set -u
cd "$(dirname "$0")/.."
levels=("$@")
[ ${#levels[@]} -eq 0 ] && levels=(unit http browser)

export MDG_BIN=${MDG_BIN:-$PWD/build/asan/madoguchi}
export MDG_SERVER=${MDG_SERVER:-$PWD/build/asan/madoguchi-server}
export MDG_ROOT=$PWD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
mkdir -p build/test-logs

pass=0
fail=0
failed_names=()

run_unit() {
	local t out rc p f
	for t in build/asan/test_*; do
		[ -x "$t" ] || continue
		out=$(timeout 300 "$t" 2>&1)
		rc=$?
		echo "$out" >"build/test-logs/$(basename "$t").log"
		p=$(grep -c '^ok ' <<<"$out")
		f=$(grep -c '^not ok ' <<<"$out")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1 # crashed or sanitizer report after the last check
			echo "$out" | tail -30
		fi
		grep '^not ok ' <<<"$out" | sed "s|^|$(basename "$t"): |"
		[ "$f" -gt 0 ] && failed_names+=("$(basename "$t")")
		pass=$((pass + p))
		fail=$((fail + f))
		echo "unit $(basename "$t"): $p passed, $f failed"
	done
}

run_node() { # $1 = level directory under tests/
	local dir=tests/$1 files out rc p f
	files=$(ls "$dir"/*.test.mjs 2>/dev/null)
	[ -z "$files" ] && return 0
	if [ "$1" = browser ] && [ ! -d tests/node_modules/playwright-core ]; then
		(cd tests && npm ci --no-audit --no-fund --silent) || {
			echo "browser: npm ci failed"
			fail=$((fail + 1))
			return
		}
	fi
	out=$(timeout 1800 node --test --test-concurrency=1 --test-reporter=tap $files 2>&1)
	rc=$?
	echo "$out" >"build/test-logs/$1.log"
	p=$(grep -E '^# pass ' <<<"$out" | awk '{print $3}')
	f=$(grep -E '^# fail ' <<<"$out" | awk '{print $3}')
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -gt 0 ]; then
		failed_names+=("$1")
		grep -E -B2 -A25 '^\s*not ok ' <<<"$out" | head -150
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	echo "$1: $p passed, $f failed"
}

for l in "${levels[@]}"; do
	case "$l" in
	unit) run_unit ;;
	http | browser) run_node "$l" ;;
	*) echo "unknown level $l" >&2; exit 2 ;;
	esac
done

[ ${#failed_names[@]} -gt 0 ] && echo "failing: ${failed_names[*]} (logs in build/test-logs/)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
