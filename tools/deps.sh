#!/bin/sh
# Installs every Debian package madoguchi needs to build, run, test and
# benchmark. Idempotent: packages already present are skipped quickly.
# Usage: tools/deps.sh [build|test|bench]   (default: test = everything for make test)
set -eu
level=${1:-test}

BUILD="build-essential pkg-config libmicrohttpd-dev libsqlite3-dev sqlite3 libjansson-dev \
libmecab-dev mecab mecab-ipadic-utf8 unidic-mecab libyaml-dev libzip-dev libxml2-dev libsodium-dev"
TEST="$BUILD curl libreoffice-calc-nogui chromium fonts-noto-cjk groonga-bin groonga-tokenizer-mecab"
# Node.js runs the HTTP and browser tests; use the machine's own if it has
# one (a newer Node from another source must not be replaced by Debian's).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	TEST="$TEST nodejs npm"
fi
BENCH="$TEST wrk"

case "$level" in
build) want=$BUILD ;;
test) want=$TEST ;;
bench) want=$BENCH ;;
*) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing$missing"
$SUDO apt-get update -qq
# Installing unidic-mecab switches Debian's default MeCab dictionary; madoguchi
# always names its dictionary directory, so that switch does not matter to us.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
