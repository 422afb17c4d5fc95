# obs: the observability bundle as code. `make build` writes build/<env>/, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= build
STAMP := $(VENV)/.installed
# Go (for the collector builder) where Debian/the Go tarball put it, even in a minimal CI shell.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: install build check test tools promtool otelcol bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# promtool and prometheus: Debian's package (the e2e test also needs the prometheus server).
promtool:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null || { \
	  echo "installing prometheus + promtool (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
	@promtool --version | head -1

# otelcol: built with the collector builder (`go install`ed on first use) from obs's reference manifest
# (obs/collector/registry.py), cached outside the repo in ~/.cache/obs/otelcol-<manifest hash>/
# (OBS_CACHE_DIR overrides), so every clone on this machine reuses it. Cold build ~5 min on 2 cores.
otelcol: install
	$(BIN)/python -m obs.collector

tools: promtool otelcol

build: install promtool
	$(BIN)/obs build --out $(OUT)

check: install promtool
	$(BIN)/obs build --out $(OUT) --check

test: install tools
	$(BIN)/pytest -q

bench: install
	$(BIN)/python tests/bench_build.py

clean:
	rm -rf $(OUT) $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
