# madoguchi — build, test, run, evaluate, benchmark.
#
#   make          release build: build/madoguchi, build/madoguchi-server
#   make run      build + sample database + serve http://127.0.0.1:8080
#   make test     ASan/UBSan build, every test level; ends "N passed, N failed"
#   make eval     retrieval quality on ../shared/data/pref-faq and the sample bots (with Groonga)
#   make bench    throughput/latency/memory benchmarks (with Groonga)

SHELL := /bin/bash
CC ?= cc
PKGS := libmicrohttpd sqlite3 jansson yaml-0.1 libzip libxml-2.0 libsodium
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lmecab -lpthread -lm

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-unused-parameter
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -g $(WARN) $(PKG_CFLAGS) -DMDG_DATADIR=\"$(CURDIR)\"
REL_CFLAGS = $(CFLAGS_BASE) -O2
ASAN_CFLAGS = $(CFLAGS_BASE) -O1 -Werror -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC := $(wildcard nlp/*.c kb/*.c)
TOOL_SRC := $(wildcard tools/*.c)
SERVER_SRC := $(wildcard server/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

B := build
REL_LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
ASAN_LIB_OBJ := $(LIB_SRC:%.c=$(B)/asan/obj/%.o)
HDRS := $(wildcard nlp/*.h kb/*.h server/*.h tools/*.h tests/unit/*.h)

DEPS_STAMP := $(B)/.deps-build
TEST_DEPS_STAMP := $(B)/.deps-test

.PHONY: all deps deps-test deps-bench test unit run sample eval bench clean format

all: $(DEPS_STAMP) $(B)/madoguchi $(B)/madoguchi-server

deps: $(DEPS_STAMP)
$(DEPS_STAMP): tools/deps.sh
	@mkdir -p $(B)
	tools/deps.sh build
	@touch $@
$(TEST_DEPS_STAMP): tools/deps.sh
	@mkdir -p $(B)
	tools/deps.sh test
	@touch $@ $(DEPS_STAMP)
deps-bench:
	tools/deps.sh bench

# --- release build ---
$(B)/obj/%.o: %.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(B)/libmadoguchi.a: $(REL_LIB_OBJ)
	ar rcs $@ $^
$(B)/madoguchi: $(TOOL_SRC:%.c=$(B)/obj/%.o) $(B)/libmadoguchi.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/madoguchi-server: $(SERVER_SRC:%.c=$(B)/obj/%.o) $(B)/libmadoguchi.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(PKG_LIBS)

# --- sanitizer build used by make test ---
$(B)/asan/obj/%.o: %.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@
$(B)/asan/libmadoguchi.a: $(ASAN_LIB_OBJ)
	ar rcs $@ $^
$(B)/asan/madoguchi: $(TOOL_SRC:%.c=$(B)/asan/obj/%.o) $(B)/asan/libmadoguchi.a
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/asan/madoguchi-server: $(SERVER_SRC:%.c=$(B)/asan/obj/%.o) $(B)/asan/libmadoguchi.a
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/asan/test_%: tests/unit/test_%.c $(B)/asan/libmadoguchi.a $(HDRS) | $(DEPS_STAMP)
	$(CC) $(ASAN_CFLAGS) -o $@ $< $(B)/asan/libmadoguchi.a $(PKG_LIBS)

UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(B)/asan/%)

# The server binary is built once server/ has sources (kept buildable at
# every commit while the service is developed).
ASAN_SERVER := $(if $(SERVER_SRC),$(B)/asan/madoguchi-server)

test: $(TEST_DEPS_STAMP) $(B)/asan/madoguchi $(ASAN_SERVER) $(UNIT_BINS)
	tests/run.sh

unit: $(UNIT_BINS)
	tests/run.sh unit

# --- sample data and the service ---
SAMPLE_SRC := $(wildcard kb/sample/*)
$(B)/sample.db: $(B)/madoguchi $(SAMPLE_SRC) tools/make-sample.sh
	tools/make-sample.sh $(B)/madoguchi $@
sample: $(B)/sample.db
run: all $(B)/sample.db
	$(B)/madoguchi-server --config server/madoguchi.yaml

# --- evaluation and benchmarks ---
eval: $(TEST_DEPS_STAMP) $(B)/madoguchi
	tools/eval.sh
bench: $(TEST_DEPS_STAMP) deps-bench all
	tools/bench.sh

format:
	clang-format -i $(wildcard nlp/*.[ch] kb/*.[ch] server/*.[ch] tools/*.[ch] tests/unit/*.[ch])

clean:
	rm -rf $(B)
