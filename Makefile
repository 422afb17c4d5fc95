# obs: the observability bundle as code. `make build` writes build/<env>/, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= build
STAMP := $(VENV)/.installed
# Go (for the collector builder) where Debian/the Go tarball put it, even in a minimal CI shell.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: install build check test tools promtool promtool3 otelcol bench clean

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

# A Prometheus 3 promtool beside Debian's 2.x, so the tests prove the rules load on both.
# Cached outside the repo like the collector (cold `go install`: ~11 min on 2 cores).
promtool3: install
	@dest=$$($(BIN)/python -c 'from obs.tools import promtool3_path; print(promtool3_path().parent)'); \
	mod=$$($(BIN)/python -c 'from obs.tools import PROMTOOL3_MODULE; print(PROMTOOL3_MODULE)'); \
	if [ -x "$$dest/promtool" ]; then echo "promtool (Prometheus 3): $$dest/promtool (cached)"; \
	else echo "building promtool (Prometheus 3): go install $$mod"; \
	  mkdir -p "$$dest" && GOBIN="$$dest.tmp" go install "$$mod" && mv "$$dest.tmp/promtool" "$$dest/promtool" && rm -rf "$$dest.tmp"; fi

tools: promtool promtool3 otelcol

build: install promtool
	$(BIN)/obs build --out $(OUT)

check: install promtool
	$(BIN)/obs build --out $(OUT) --check

test: install tools
	$(BIN)/pytest -q

# Synthetic bundles of 10/100/1,000 services against Sloth v0.16 (built with go into the obs cache),
# then the reference bundle's render/write targets. BENCH_SIZES / BENCH_VALIDATE_SIZES choose sizes.
bench: install promtool
	$(BIN)/python bench/run.py
	$(BIN)/python tests/bench_build.py

clean:
	rm -rf $(OUT) $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
