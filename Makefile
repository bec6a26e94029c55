# The two commands: `make run` (install what is needed, start the server with a demo county) and
# `make test` (install what is needed, run every check and test). `make bench` prints the figures.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
LISTEN ?= 127.0.0.1:8470

.PHONY: run serve test setup build bench package fmt lint clean

setup:
	@./scripts/setup.sh

build: setup
	cargo build --release -p zoufang-server -p zoufang-cli

run:
	LISTEN=$(LISTEN) ./scripts/run.sh

# The server alone with the demo county (no app window), e.g. on a township office machine.
serve: build
	@mkdir -p data
	./target/release/zoufang-server --db data/server.db serve --listen $(LISTEN) --blobs data/blobs --demo

test:
	./scripts/test.sh

# The .deb packages of the app and the server, into dist/ (see docs/packages.md).
package: setup
	./scripts/package.sh release

bench: setup
	cargo run --release -p zoufang-bench -- $(BENCH)

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf data dist
