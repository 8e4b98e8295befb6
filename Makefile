# Cashdesk: a newcomer needs two commands on a fresh Debian/Ubuntu machine:
#   make run    install what is missing, build, start the desktop app on the demo database
#   make test   install what is missing, run every check CI runs
# Everything else here is a helper those two call. `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

# Cargo's build directory lives outside the clone, in a per-user cache. CI runs every submission
# in a fresh clone: with ./target inside it, each run would start cold (the Tauri + WebKit +
# sqlx dependency tree takes several minutes and ~2-3 GB to build on 2 cores); a directory
# under $HOME survives between clones on the same machine, so a CI run only rebuilds what
# changed. Override it like any make variable (`make test CARGO_TARGET_DIR=target`) or from the
# environment.
export CARGO_TARGET_DIR ?= $(if $(HOME),$(HOME)/.cache/cashdesk/target,$(CURDIR)/target)

# Never stop to ask: CI has no terminal and no stdin.
export DEBIAN_FRONTEND := noninteractive

UI        := ui
NPM_STAMP := $(UI)/node_modules/.cashdesk-npm-ci.stamp
UI_LOCK   := $(wildcard $(UI)/package-lock.json)
TAURI     := $(UI)/node_modules/.bin/tauri
DEBUG_DIR := $(CARGO_TARGET_DIR)/debug
APP       := $(DEBUG_DIR)/cashdesk-app
CTL       := $(DEBUG_DIR)/cashdeskctl
BRIDGE    := $(DEBUG_DIR)/cashdesk-bridge
LEDGER    := $(DEBUG_DIR)/cashdesk-ledger
RELEASE_APP := $(CARGO_TARGET_DIR)/release/cashdesk-app
ARTIFACTS := $(CURDIR)/artifacts

# Tools cargo installs (not apt): kept in a per-user cache like the build directory, so a fresh
# clone does not build them again. tauri-driver bridges WebDriver to WebKitWebDriver for the
# desktop tests; its version is pinned.
TOOLS_DIR ?= $(if $(HOME),$(HOME)/.cache/cashdesk/tools,$(CURDIR)/.tools)
TAURI_DRIVER_VERSION := 2.1.0
TAURI_DRIVER := $(TOOLS_DIR)/tauri-driver-$(TAURI_DRIVER_VERSION)/bin/tauri-driver

# The built UI (ui/dist) is rebuilt when any of its inputs is newer than it.
UI_INPUTS := $(shell find $(UI)/src $(UI)/public -type f 2>/dev/null) \
             $(wildcard $(UI)/index.html $(UI)/vite.config.ts $(UI)/tsconfig*.json $(UI)/package.json)

# The Tauri CLI picks the "frontend dir" (where beforeBuildCommand runs) by searching for a
# package.json; name both directories explicitly so it never guesses.
TAURI_ENV := TAURI_APP_PATH=$(CURDIR)/src-tauri TAURI_FRONTEND_PATH=$(CURDIR)/$(UI)
# Every `tauri build` here embeds ui/dist as make's ui-build rule leaves it (rebuilt only when its
# inputs changed), instead of the CLI's beforeBuildCommand building it again each time.
# The .deb also carries cashdeskctl (a new counter is set up with `cashdeskctl init`), built in the
# same profile and added through the bundler's `files` map, whose path is only known here. Every
# build passes it, bundling or not: the app embeds its configuration, so a build with a different
# one would compile the app again.
PROFILE ?= release
DEB_FILES = {"bundle":{"linux":{"deb":{"files":{"/usr/bin/cashdeskctl":"$(CARGO_TARGET_DIR)/$(PROFILE)/cashdeskctl"}}}}}
TAURI_BUILD = $(TAURI_ENV) $(TAURI) build --config '{"build":{"beforeBuildCommand":null}}' --config '$(DEB_FILES)'

define DEMO_LOGINS
Demo log-ins (演示账号):
  cashier1  Cashier#2026   收费员
  super1    Super#2026     值班长
  finance1  Finance#2026   财务复核
  admin     Admin#2026     管理员
endef
export DEMO_LOGINS

.PHONY: help
help: ## Show the two commands and the helpers
	@echo "Cashdesk: two commands on a fresh Debian/Ubuntu machine:"
	@echo "  make run    install what is missing, build, start the desktop app on demo data"
	@echo "  make test   install what is missing, run every check (lint, Rust, UI, end-to-end)"
	@echo
	@echo "Helpers:"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | grep -vE '^(help|run|test):' \
	  | awk -F':.*## ' '{ printf "  make %-13s %s\n", $$1, $$2 }'
	@echo
	@echo "Cargo builds into CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)"

# ---------------------------------------------------------------------------------------------
# Installing what is missing (each a no-op on the second run)

.PHONY: deps deps-system deps-npm
deps: deps-system deps-npm ## Install missing system packages and npm packages

deps-system: ## Install missing Debian packages (scripts/system-packages.txt), check Rust and Node
	@scripts/install-system-deps.sh

deps-npm: $(NPM_STAMP)

# npm ci only when ui/node_modules is older than the lock file (or missing).
$(NPM_STAMP): $(UI)/package.json $(UI_LOCK) | deps-system
	@if [ -f $(UI)/package-lock.json ]; then \
	  echo "npm ci in $(UI)/"; npm --prefix $(UI) ci --no-audit --no-fund; \
	else \
	  echo "warning: $(UI)/package-lock.json is missing; running npm install (commit the lock file)"; \
	  npm --prefix $(UI) install --no-audit --no-fund; \
	fi
	@touch $@

# ---------------------------------------------------------------------------------------------
# Building and running the desktop app

.PHONY: build
build: PROFILE = debug
build: deps ui-build ## Build the desktop app (UI + Rust) with the Tauri CLI, debug profile
	$(TAURI_BUILD) --debug --no-bundle

.PHONY: run
run: check-display build ## Start the desktop app on the demo database
	@echo
	@echo "$$DEMO_LOGINS"
	@echo
	$(APP) --demo

.PHONY: ledger-demo
ledger-demo: deps-system ## A demo central ledger on 127.0.0.1:8700 (throwaway PostgreSQL) and an enrolment code for DEMO-01
	cargo build -p cashdesk-ledger
	CASHDESK_LEDGER_BIN=$(CARGO_TARGET_DIR)/debug/cashdesk-ledger scripts/ledger-demo.sh

.PHONY: check-display
check-display:
	@if [ -z "$${DISPLAY:-}" ] && [ -z "$${WAYLAND_DISPLAY:-}" ]; then \
	  echo "make run: there is no screen here (neither DISPLAY nor WAYLAND_DISPLAY is set)." >&2; \
	  echo "  On a machine without a display, run the app on a virtual one (xvfb-run):" >&2; \
	  echo "    make run-headless            builds, starts it under xvfb-run, saves artifacts/app.png" >&2; \
	  echo "    make run-headless KEEP=1     ... and keeps it running until Ctrl-C" >&2; \
	  exit 1; \
	fi

.PHONY: run-headless
run-headless: build ## Start the app under xvfb-run, screenshot it to artifacts/app.png
	@echo "$$DEMO_LOGINS"
	scripts/run-headless.sh $(ARTIFACTS)/app.png $(APP) --demo

# ---------------------------------------------------------------------------------------------
# Checks

.PHONY: test
test: deps lint test-rust test-ui e2e e2e-desktop package-test api-check ## Run every check
	@echo "make test: all checks passed"

.PHONY: lint fmt-check clippy fmt
lint: fmt-check clippy ## rustfmt check and clippy (warnings are errors)

fmt-check: deps-system
	cargo fmt --all --check

clippy: deps-system
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## Format the Rust code in place
	cargo fmt --all

# The ledger's tests need a PostgreSQL: scripts/pg-throwaway.sh starts a throwaway cluster in a
# temporary directory (as user postgres when root), exports CASHDESK_TEST_PG=<its URL> for the
# command, and always stops and deletes it afterwards, pass or fail. Each test creates its own
# database on it (ledger/tests/support/pg.rs). Set CASHDESK_TEST_PG yourself to use another server.
PG_WITH := scripts/pg-throwaway.sh with

.PHONY: test-rust test-ledger
test-rust: deps-system ## Rust tests (core, shell, ledger on a throwaway PostgreSQL; includes the TypeScript bindings check)
	$(PG_WITH) cargo test --workspace

test-ledger: deps-system ## Only the ledger's tests, on a throwaway PostgreSQL
	$(PG_WITH) cargo test -p cashdesk-ledger

.PHONY: api-check
api-check: deps-system bins ## Schemathesis against the ledger's /openapi.json (throwaway PostgreSQL, a real token and session)
	@# The ledger as `bins` builds it: another cargo command (`-p cashdesk-ledger`, or `--workspace
	@# --bin cashdesk-ledger` alone) selects other packages, so resolves other features and rebuilds
	@# some 80 crates (2 min 13–16 s of a cold `make test`).
	CASHDESK_LEDGER_BIN=$(LEDGER) scripts/api-check.sh

.PHONY: test-ui
test-ui: deps ## UI unit tests (vitest)
	npm --prefix $(UI) test

$(UI)/dist/index.html: $(UI_INPUTS) $(NPM_STAMP)
	npm --prefix $(UI) run build
	@touch $@

.PHONY: ui-build
ui-build: $(UI)/dist/index.html ## Build the web UI into ui/dist

.PHONY: bins
# Only these three: a plain cargo build of cashdesk-app would replace the one `make build` made
# with a binary that loads the dev server URL instead of the bundled UI.
# One command for every debug build of them: cargo resolves features over the packages a command
# selects, so another selection would build some 80 crates again.
BINS_BUILD := cargo build --workspace --bin cashdeskctl --bin cashdesk-bridge --bin cashdesk-ledger
bins: deps-system ## Build cashdeskctl, cashdesk-bridge and cashdesk-ledger (what the end-to-end tests drive)
	$(BINS_BUILD)

.PHONY: e2e
e2e: deps bins ui-build ## End-to-end tests: the built UI in headless Chromium against the bridge
	@mkdir -p $(ARTIFACTS)
	CASHDESKCTL=$(CTL) CASHDESK_BRIDGE=$(BRIDGE) CASHDESK_LEDGER=$(LEDGER) E2E_ARTIFACTS=$(ARTIFACTS) \
	  npm --prefix $(UI) run e2e

# ---------------------------------------------------------------------------------------------
# The desktop app as it ships, in its own window

$(TAURI_DRIVER): | deps-system
	cargo install tauri-driver --locked --version $(TAURI_DRIVER_VERSION) --root $(TOOLS_DIR)/tauri-driver-$(TAURI_DRIVER_VERSION)

.PHONY: tauri-driver
tauri-driver: $(TAURI_DRIVER)

.PHONY: e2e-desktop
e2e-desktop: deps build tauri-driver bins ## The main journeys in the built app's own window (tauri-driver, WebKitWebDriver, Xvfb); screenshots in artifacts/desktop/
	@# The ledger from `bins`, the one build of it every test shares (see api-check).
	@mkdir -p $(ARTIFACTS)/desktop
	CASHDESK_APP=$(APP) TAURI_DRIVER=$(TAURI_DRIVER) CASHDESK_LEDGER=$(LEDGER) E2E_ARTIFACTS=$(ARTIFACTS)/desktop \
	  npm --prefix $(UI) run e2e-desktop

.PHONY: build-release
build-release: PROFILE = release
build-release: deps ui-build ## Build the desktop app with the release profile (Tauri CLI, UI embedded), no installer
	$(TAURI_BUILD) --no-bundle

.PHONY: bench-desktop
bench-desktop: build-release tauri-driver ## Start time, memory and key-to-paint of the release app in its window (docs/desktop-bench.md)
	@mkdir -p $(ARTIFACTS)/desktop
	CASHDESK_APP=$(RELEASE_APP) TAURI_DRIVER=$(TAURI_DRIVER) \
	  node scripts/bench-desktop.mjs --json $(ARTIFACTS)/desktop/bench.json $(BENCH_ARGS)

# Installers. The Tauri bundler writes them under $(CARGO_TARGET_DIR)/<profile>/bundle/.
# PROFILE=debug bundles the debug build `make build` made (what `make test` checks, in seconds);
# the default, release, is what a counter installs.
BUNDLE_FLAGS = $(if $(filter debug,$(PROFILE)),--debug,)
BUNDLE_DIR = $(CARGO_TARGET_DIR)/$(PROFILE)/bundle

.PHONY: package package-deb package-appimage package-test
package: package-deb package-appimage ## Installers: a .deb and an AppImage (release; PROFILE=debug for a quick one)

package-deb: deps ui-build ## The .deb alone (the app and cashdeskctl)
	@# Debug: as `make bins` builds it; release: as the app's build, whose core it reuses.
	$(if $(filter debug,$(PROFILE)),$(BINS_BUILD),cargo build --release --bin cashdeskctl)
	$(TAURI_BUILD) $(BUNDLE_FLAGS) --bundles deb

# The AppImage bundler downloads linuxdeploy and its AppImage plugin on first use (into
# ~/.cache/tauri); without that download it fails, and says so.
package-appimage: deps ui-build ## The AppImage alone (needs linuxdeploy: downloaded by the Tauri bundler)
	$(TAURI_BUILD) $(BUNDLE_FLAGS) --bundles appimage

package-test: PROFILE = debug
package-test: package-deb ## Install the .deb into a scratch root (dpkg -x), check it, run the installed binary's --version
	scripts/package-test.sh $(BUNDLE_DIR)/deb

.PHONY: bench
bench: deps-system ## Benchmarks: look-up, payment commit, receipt; ledger push/pull (throwaway PostgreSQL)
	cargo bench --bench lookup
	cargo bench --bench collect
	cargo bench --bench receipt
	$(PG_WITH) cargo bench -p cashdesk-ledger --bench push_vs_copy --bench concurrent_terminals --bench first_pull --bench refund_list

# ---------------------------------------------------------------------------------------------
# Cleaning

.PHONY: clean-data
clean-data: ## Delete the demo database (the next `make run` seeds a new one) and artifacts/
	@dir="$${CASHDESK_DATA_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/cashdesk}"; \
	echo "removing $$dir/cashdesk.sqlite* and $(ARTIFACTS)"; \
	rm -f "$$dir"/cashdesk.sqlite "$$dir"/cashdesk.sqlite-wal "$$dir"/cashdesk.sqlite-shm
	rm -rf $(ARTIFACTS)

.PHONY: clean
clean: ## Remove build outputs: ui/dist, artifacts/ and CARGO_TARGET_DIR
	rm -rf $(UI)/dist $(ARTIFACTS)
	cargo clean
