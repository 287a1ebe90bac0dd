# The two set-up commands of the README: `make run` and `make test`.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: run test deps build build-app build-release build-asan web package bench fuzz format tidy clean cluster cluster-stop cluster-faults

# `make run` needs the one binary, not the test executables or benchmarks (`make build` builds
# those), so that a first run serves in minutes.
run: deps build-app web
	scripts/run.sh

test: deps
	scripts/test.sh

deps:
	scripts/install-deps.sh

build: build-release

# The web dashboard (web/dist): npm ci with the lock file, then the Vite build (docs/web.md).
web:
	scripts/web-build.sh

build-app:
	cmake -S . -B build/release $(GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/release -j $(JOBS) --target nexanest

build-release:
	cmake -S . -B build/release $(GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/release -j $(JOBS)

build-asan:
	cmake -S . -B build/asan $(GEN) -DCMAKE_BUILD_TYPE=Debug -DNN_SANITIZE=ON -DNN_BUILD_BENCH=OFF >/dev/null
	cmake --build build/asan -j $(JOBS)

# A Debian package (CPack) in build/release: binary, migrations, dashboard, systemd unit,
# example configuration (docs/operations.md "Install").
package: deps build-release web
	cd build/release && cpack -G DEB

# Scale-out on loopback (docs/scale-out.md): PostgreSQL primary + replica, pgbouncer, Redis,
# 3 instances behind haproxy, in CLUSTER_DIR until `make cluster-stop`.
CLUSTER_DIR ?= var/cluster
cluster: deps build-release
	scripts/cluster.sh start $(CLUSTER_DIR) $(CLUSTER_ARGS)

cluster-stop:
	scripts/cluster.sh stop $(CLUSTER_DIR)

cluster-faults: deps build-release
	scripts/cluster-faults.sh $(CLUSTER_DIR)

bench: deps build-release
	cmake --build build/release -j $(JOBS) --target benchmarks
	scripts/bench.sh

# libFuzzer targets (clang, build/fuzz): each runs FUZZ_SECONDS over its corpus (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy:
	git ls-files 'src/*.cpp' | xargs clang-tidy -p build/release --quiet

clean:
	rm -rf build
