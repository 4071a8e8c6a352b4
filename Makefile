# cmpd - the one entry point.  `make` builds build/cmpd and build/cmpctl (the client); `make run`
# and `make test` install what they need first (Debian packages, as root).  Underneath is CMake.

BUILD       ?= build
DEBUG_BUILD ?= build-debug
FUZZ_BUILD  ?= build-fuzz
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
DATA        ?= ./cmpd-data
FUZZ_TIME   ?= 60

# Debian packages the build, the tests (PostgreSQL and haproxy for the store and cluster tests),
# the scripts in bench/ (wrk; nginx, the ceiling of `make bench`) and `make run` need.
DEB_PACKAGES := build-essential cmake pkg-config clang clang-format libclang-rt-14-dev \
	libh2o-evloop-dev libyajl-dev libsqlite3-dev libpq-dev libssl-dev libcmocka-dev \
	libcurl4-openssl-dev sqlite3 curl openssl ca-certificates \
	postgresql postgresql-client haproxy wrk nginx

.PHONY: all deps build debug test test-release test-debug run bench fuzz format lint clean

all: build

deps:
	@scripts/deps.sh $(DEB_PACKAGES)

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

debug: deps
	@cmake -S . -B $(DEBUG_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMPD_SANITIZE=ON >/dev/null
	@cmake --build $(DEBUG_BUILD) -j $(JOBS)

# The whole suite: unit + end-to-end tests on the release build, then again under ASan/UBSan,
# then each fuzz target for a bounded time.  Ends with one summary line.
test: build debug
	@tests/run.sh

run: build
	@scripts/run.sh $(BUILD)/cmpd $(DATA)

# cmpd against nginx (the ceiling) and the npm peers, on SQLite and PostgreSQL, http and https:
# one table on standard output and in bench/results/latest.md (BENCHMARKS.md).  16-20 minutes;
# QUICK=1 for a 2-minute smoke run; settings in bench/run.sh's header.  Never fails on a number.
bench: build
	@CMPD_BIN=$(BUILD)/cmpd BENCH_CACHE=$${BENCH_CACHE:-$(BUILD)/bench-cache} bench/run.sh

fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMPD_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

lint:
	@scripts/lint.sh

clean:
	rm -rf $(BUILD) $(DEBUG_BUILD) $(FUZZ_BUILD)
