# obs: the observability bundle as code. `make build` writes build/<env>/, `make test` runs every test.
# The interpreter of the venv: the operating system's python3 when it is 3.11 or newer and can make venvs (distributions build
# CPython with profile-guided and link-time optimisation; a version manager's default build, e.g. pyenv's
# without PYTHON_CONFIGURE_OPTS, runs obs ~15-20% slower: docs/scale.md), else the first python3 on PATH.
# `make PYTHON=...` chooses another.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
            && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
OUT ?= build
STAMP := $(VENV)/.installed
# Go (for the collector builder) where Debian/the Go tarball put it, even in a minimal CI shell.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: install build check lint test tools prometheus promtool amtool promtool3 otelcol jaeger vmalert vmalert-tool kustomize thanos docs bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The tools validation needs (promtool, amtool, otelcol) come from `obs tools install`, the command a
# platform team's repo uses too: Debian packages where apt-get runs as root, else `go install` into
# ~/.cache/obs ($OBS_CACHE_DIR). This repo builds otelcol with every registered component
# (--all-components: the tests exercise them all; one binary then serves every bundle) and a
# Prometheus 3 promtool beside Debian's 2.x, so the tests prove the rules load on both; Jaeger v2 (go get
# -tool) runs the generated Jaeger configs; vmalert and vmalert-tool (VictoriaMetrics v1.151.0) are a
# second rule engine; Thanos (built through a wrapper module: its go.mod has replace directives) runs the
# fleet end-to-end test; kustomize builds every overlay. Cold on 2 cores, CPU time / 2: see docs/tools.md.
# Later runs reuse the cache. `obs tools` shows what is there.
TOOLS := $(BIN)/obs tools install --all-components

# The Prometheus server the end-to-end tests run: Debian's package (which also brings promtool).
prometheus:
	@command -v prometheus >/dev/null || { \
	  echo "installing prometheus (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

promtool otelcol promtool3 amtool jaeger vmalert vmalert-tool kustomize thanos: install
	$(TOOLS) $@

tools: install prometheus
	$(TOOLS) --with-promtool3 --with-jaeger --with-thanos
	$(TOOLS) vmalert vmalert-tool kustomize

build: install
	$(TOOLS) --with-jaeger
	$(BIN)/obs build --out $(OUT)

check: install
	$(BIN)/obs build --out $(OUT) --check

# ruff (lint) over obs/, tests/ and bench/, mypy (types) over obs/, both configured and pinned in pyproject.toml.
lint: install
	$(BIN)/ruff check obs tests bench
	$(BIN)/mypy

test: install lint tools
	$(BIN)/pytest -q

# The API reference generated from the docstrings with pdoc, in docs/api/ (generated, not committed).
docs: install
	$(BIN)/python docs/api.py docs/api

# Synthetic bundles of 10/100/1,000 services against Sloth v0.16 (built with go into the obs cache),
# then the reference bundle's render/write targets. BENCH_SIZES / BENCH_VALIDATE_SIZES choose sizes.
# Also Prometheus rule-evaluation cost, obs vs Sloth (bench/evaluation.py, ~15 min; BENCH_EVAL_SERVICES=
# empty skips it).
bench: install promtool prometheus
	$(BIN)/python bench/run.py
	$(BIN)/python tests/bench_build.py

clean:
	rm -rf $(OUT) $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
