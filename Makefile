# Parley's two promises (see README): `make run` and `make test` on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130
BINARYEN_VERSION     := 132.0.0
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# wasm-opt from npm's binaryen (Debian's breaks hydration), moto's S3 server (for the S3
# storage tests) from its own venv, then cargo-installed tools.
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(CURDIR)/.tools/moto/bin:$(HOME)/.cargo/bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# The databases the store and cluster tests use (scripts/services.sh starts them).
export PARLEY_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export PARLEY_TEST_MYSQL_URL ?= mysql://root@127.0.0.1:3306

.PHONY: setup run build test test-rust test-e2e lint bench bench-cluster cluster

## Install whatever is missing: wasm target, cargo-leptos, wasm-bindgen, wasm-opt, Chromium, npm packages,
## moto's S3 server (a venv under .tools/moto: Debian's Python refuses system-wide pip installs).
setup:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q '$(CARGO_LEPTOS_VERSION)' \
	  || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --features no_downloads
	@wasm-bindgen --version 2>/dev/null | grep -q '$(WASM_BINDGEN_VERSION)' \
	  || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@wasm-opt --version 2>/dev/null | grep -q 'version 132' \
	  || npm install --prefix .tools --no-audit --no-fund --loglevel=error binaryen@$(BINARYEN_VERSION)
	@command -v chromium >/dev/null && [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] \
	  || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-zenhei fonts-noto-color-emoji; }
	@[ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ] \
	  || (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
	@command -v moto_server >/dev/null \
	  || { python3 -m venv .tools/moto && .tools/moto/bin/pip install --quiet 'moto[server]'; }

## Build (release) and serve on http://127.0.0.1:3000 with the embedded SQLite default.
run: setup
	cargo leptos serve --release

## Release build of the server binary and the WASM bundle.
build: setup
	cargo leptos build --release

## Every test suite: Rust (unit, store, HTTP) then Playwright in Chromium.
test: build test-rust test-e2e

test-rust:
	scripts/services.sh
	cargo test --workspace --no-fail-fast

test-e2e:
	cd end2end && npx playwright test

## Several nodes on one PostgreSQL and one Redis behind a small proxy, on http://127.0.0.1:8080
## (README, "Running several nodes"); CLUSTER_NODES, CLUSTER_PORT, DATABASE_URL, REDIS_URL.
cluster: build
	cargo build --release -p parley-proxy
	scripts/cluster.sh

## Formatting and lints, as CI checks them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown --features hydrate -- -D warnings
	python3 scripts/modgraph.py
	python3 scripts/modgraph.py app/src

## Issue 10's benchmark: Parley (SQLite, PostgreSQL, no persistence) against the Go and Node
## peer hubs, 3 runs each; writes docs/benchmarks.md and target/bench/*.json
## (BENCH_QUICK=1: one short run to try it).
bench:
	bash bench/run.sh

## Issue 11's benchmark: one node against two (PostgreSQL + Redis, behind parley-proxy);
## writes the "Two nodes against one" section of docs/benchmarks.md.
bench-cluster:
	bash bench/cluster.sh
