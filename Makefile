# obs: the observability bundle as code. `make build` writes build/<env>/, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= build
STAMP := $(VENV)/.installed
# Go (for the collector builder) where Debian/the Go tarball put it, even in a minimal CI shell.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: install build check test tools prometheus promtool amtool promtool3 kustomize thanos otelcol docs bench clean

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
# Prometheus 3 promtool beside Debian's 2.x, so the tests prove the rules load on both, and Thanos for
# the fleet end-to-end test (built through a wrapper module: its go.mod has replace directives).
# Cold: otelcol ~13 min, promtool3 ~11 min, thanos ~5 CPU-minutes (20 min wall when other builds share
# the 2 cores); later runs reuse the cache.
# `obs tools` shows what is there.
TOOLS := $(BIN)/obs tools install --all-components

# The Prometheus server the end-to-end tests run: Debian's package (which also brings promtool).
prometheus:
	@command -v prometheus >/dev/null || { \
	  echo "installing prometheus (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

promtool otelcol promtool3 amtool kustomize thanos: install
	$(TOOLS) $@

tools: install prometheus
	$(TOOLS) --with-promtool3 --with-thanos
	$(TOOLS) kustomize

build: install
	$(TOOLS)
	$(BIN)/obs build --out $(OUT)

check: install
	$(BIN)/obs build --out $(OUT) --check

test: install tools
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
