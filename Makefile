# Parley: the two Quickstart commands are `make run` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
DATA_DIR ?= data
HOST ?= 127.0.0.1
PORT ?= 8080
JOBS ?= 2
CMAKE_FLAGS ?=

PARLEY := $(BUILD_DIR)/src/app/parley

.PHONY: all deps build run test test-all test-slow bench fuzz fuzz-short deb clean

all: build

# Debian packages, and the front end's npm packages (web/, tests/web/) from their package-lock.json files.
deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPARLEY_WERROR=ON $(CMAKE_FLAGS)

# Also builds the admin app and the widget (npm run build in web/, compiled into the binary by src/web).
build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run.sh "$(PARLEY)" "$(DATA_DIR)" "$(HOST)" "$(PORT)"

# The default suite: unit and integration tests (with the web app's Vitest and headless-Chromium suites, which save
# screenshots in test-artifacts/screenshots/), a short fuzz slice; about 15 minutes on 2 cores at most.
test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -LE slow
	@scripts/test-extra.sh "$(BUILD_DIR)"

# Long suites (soak, load, long fuzzing) that are not part of `make test`.
test-slow: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L slow

# The Debian package (binary, /etc/parley/parley.toml, /var/lib/parley, hardened systemd unit) in $(BUILD_DIR)/deb/.
deb: build
	@scripts/build-deb.sh "$(BUILD_DIR)"

bench: build
	@scripts/bench.sh "$(BUILD_DIR)"

fuzz:
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

clean:
	rm -rf $(BUILD_DIR)
