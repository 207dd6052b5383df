# govreport — developer and CI entry points.
#
#   make setup   venv + editable install + generated stubs (idempotent, fast when nothing changed)
#   make demo    start a server, extract the bundled samples through it, stop it
#   make test    every suite (pytest, then each client built and its own tests), a summary line each
#   make clients build the three thin clients (generated code included)
#   make gateway build the HTTP/JSON gateway, gateway/bin/govreport-gateway (docs/http.md)
#   make image   build the container images (server, gateway) without a Docker engine (podman) and smoke-test them
#   make load    the load test: 16 clients for 5 minutes against one server (not part of make test)
#   make lint    ruff, mypy, import layers (lint-imports), buf lint, buf breaking against v1 as it first landed
#   make bench   timings and accuracy: docs/benchmarks.md (text, HTML, DOCX, PDF), docs/ocr-benchmarks.md (scans), docs/gateway-benchmarks.md
#   make clean   generated files and caches (keeps .venv; `make distclean` removes it too)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PROTOS := $(sort $(wildcard proto/govreport/v1/*.proto))
GEN_DIR := server/govreport/v1
GEN_MARKER := $(GEN_DIR)/service_pb2.py
SAMPLES := $(sort $(wildcard server/govreport/samples/*))

# Stamps are keyed on content, so a re-run (or a branch switch and back) does nothing.
INSTALL_KEY := $(shell cat pyproject.toml | sha256sum | cut -c1-16)
PROTO_KEY := $(shell cat $(PROTOS) proto/govreport/v1/service_config.json | sha256sum | cut -c1-16)
SYSDEPS_KEY := $(shell cat deploy/install-system-deps.sh | sha256sum | cut -c1-16)
INSTALL_STAMP := $(STAMPS)/install-$(INSTALL_KEY)
PROTO_STAMP := $(STAMPS)/proto-$(PROTO_KEY)
SYSDEPS_STAMP := $(STAMPS)/system-deps-$(SYSDEPS_KEY)

.PHONY: help setup system-deps proto demo test lint bench clean distclean FORCE clients test-clients gateway load image

help:
	@sed -n 's/^#   make /  make /p' Makefile

setup: $(SYSDEPS_STAMP) $(INSTALL_STAMP) $(PROTO_STAMP)

system-deps: $(SYSDEPS_STAMP)

$(SYSDEPS_STAMP): deploy/install-system-deps.sh
	bash deploy/install-system-deps.sh
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/system-deps-* && touch $@

$(VENV)/pyvenv.cfg:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "govreport needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

# Reinstalled when pyproject.toml changes or the venv is new.
$(INSTALL_STAMP): $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/install-* && touch $@

# Regenerated when a .proto changes, the install changes, or the stubs are gone.
ifeq ($(wildcard $(GEN_MARKER)),)
$(PROTO_STAMP): FORCE
endif
$(PROTO_STAMP): $(INSTALL_STAMP)
	$(MAKE) --no-print-directory proto-gen
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/proto-* && touch $@

.PHONY: proto-gen
proto-gen:
	mkdir -p $(GEN_DIR)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grpc_tools.protoc -Iproto \
	  --python_out=server --grpc_python_out=server --mypy_out=server --mypy_grpc_out=server \
	  $(PROTOS)
	cp proto/govreport/v1/service_config.json $(GEN_DIR)/

# Always regenerates.
proto: $(INSTALL_STAMP)
	$(MAKE) --no-print-directory proto-gen
	@mkdir -p $(STAMPS) && rm -f $(STAMPS)/proto-* && touch $(PROTO_STAMP)

FORCE:

# Starts `govreport serve` on a free localhost port, extracts the samples through it, and stops
# it again (also when something fails). Exit 1 from extract (findings) is not a failure here.
demo: setup
	@log=$$(mktemp); pid=""; \
	cleanup() { if [ -n "$$pid" ]; then kill -TERM "$$pid" 2>/dev/null || true; wait "$$pid" 2>/dev/null || true; fi; rm -f "$$log"; }; \
	trap cleanup EXIT INT TERM; \
	$(BIN)/govreport serve --host 127.0.0.1 --port 0 >"$$log" 2>&1 & pid=$$!; \
	addr=""; \
	for _ in $$(seq 1 100); do \
	  addr=$$(sed -n 's/^govreport listening on //p' "$$log"); \
	  [ -n "$$addr" ] && break; \
	  kill -0 "$$pid" 2>/dev/null || { cat "$$log" >&2; echo "demo: the server did not start" >&2; exit 1; }; \
	  sleep 0.1; \
	done; \
	[ -n "$$addr" ] || { cat "$$log" >&2; echo "demo: the server did not start" >&2; exit 1; }; \
	$(BIN)/govreport health --server "$$addr" --wait 15; \
	echo "== govreport extract --server $$addr --format table $(SAMPLES)"; \
	rc=0; $(BIN)/govreport extract --server "$$addr" --format table $(SAMPLES) || rc=$$?; \
	if [ "$$rc" -gt 1 ]; then echo "demo: extract failed (exit $$rc)" >&2; exit "$$rc"; fi; \
	echo "== demo done (extract exit $$rc: $$([ $$rc -eq 0 ] && echo 'no error findings' || echo 'some reports have error findings'))"

# Every suite runs to its end even when one fails; a summary line per suite closes the output.
test: setup
	bash tests/suites.sh

# The clients generate their code from proto/ with the venv's protoc (grpc_tools), so `setup` first.
clients: setup
	$(MAKE) -C clients/go build
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run build
	cd clients/java && mvn -B -q -DskipTests package

# The HTTP/JSON gateway (gateway/, docs/http.md): generates its Go code with the venv's protoc, so
# `setup` first. Its tests (make -C gateway test) are the gateway suites of tests/suites.sh.
gateway: setup
	$(MAKE) -C gateway build

# Each client's own tests start a real server from .venv/bin/govreport.
test-clients: clients
	$(MAKE) -C clients/go test
	cd clients/typescript && npm test
	cd clients/java && mvn -B -q test

load: setup
	$(BIN)/python bench/load.py

# deploy/image.sh: base from debootstrap, podman build --isolation=chroot, then `govreport serve`
# from the image's root filesystem under chroot, checked with the host's CLI. deploy/gateway/image.sh:
# the gateway's FROM scratch image, its binary run from its root filesystem, checked with curl.
image: setup
	bash deploy/image.sh
	bash deploy/gateway/image.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile
	$(BIN)/hadolint deploy/gateway/Dockerfile
	cd proto && ../$(BIN)/buf lint
	@# buf breaking: the protos must stay compatible with v1 as it first landed (the commit that
	@# added proto/buf.yaml), so no commit since, CI's clone of main included, can break clients.
	@base=$$(git log --diff-filter=A --format=%H -- proto/buf.yaml 2>/dev/null | tail -n 1); \
	if [ -n "$$base" ]; then \
	  echo "$(BIN)/buf breaking proto --against '.git#ref=$$base,subdir=proto'"; \
	  $(BIN)/buf breaking proto --against ".git#ref=$$base,subdir=proto"; \
	else \
	  echo "buf breaking: skipped (proto/ not committed yet)"; \
	fi

bench: setup
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ocr_bench.py --dpis 150,200,300
	$(MAKE) -C gateway build
	$(BIN)/python bench/gateway.py

clean:
	rm -rf $(STAMPS) $(GEN_DIR) .pytest_cache .mypy_cache .ruff_cache build dist server/*.egg-info
	$(MAKE) -C clients/go clean
	$(MAKE) -C gateway clean
	rm -rf clients/typescript/dist clients/typescript/dist-test clients/typescript/src/gen clients/java/target
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
