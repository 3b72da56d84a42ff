# Dealpane developer tasks. Run `make` (or `make help`) for the list.

PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
PORT_DEFAULT := 5000
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help

.PHONY: help
help:
	@echo "Dealpane make targets:"
	@echo "  make venv    create .venv and install the package with test extras (pip install -e '.[test]')"
	@echo "  make demo    run the demo server: .venv/bin/dealpane demo --port \$${PORT:-$(PORT_DEFAULT)}"
	@echo "  make test    run pytest against a throwaway PostgreSQL (tools/with-postgres.sh)"
	@echo "               extra pytest arguments: make test PYTEST_ARGS='-k foo -x'"
	@echo "  make clean   remove .venv and caches"

.PHONY: venv
venv: $(STAMP)

# Re-install only when pyproject.toml is newer than the stamp (or the venv is gone).
$(STAMP): pyproject.toml
	@if [ ! -x "$(VENV_PY)" ]; then \
		echo "creating $(VENV)"; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(VENV_PY) -m pip install --quiet --upgrade pip
	$(VENV_PY) -m pip install --quiet -e '.[test]'
	@touch $@

# npm packages: the unified-manifest JSON schema (tests) and the pane's browser libraries.
NODE_STAMP := node_modules/.installed

.PHONY: node
node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm not found: installing Debian's nodejs and npm"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Headless Chromium for the browser tests: Debian's package (Playwright drives it; it never
# downloads a browser of its own).
CHROMIUM_STAMP := .venv/.chromium

.PHONY: chromium
chromium: $(CHROMIUM_STAMP)

$(CHROMIUM_STAMP): | $(STAMP)
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation fonts-dejavu-core >/dev/null; \
	fi
	@touch $@

.PHONY: demo
demo: venv node
	$(VENV)/bin/dealpane demo --port $${PORT:-$(PORT_DEFAULT)}

.PHONY: test
test: venv node chromium
	bash tools/with-postgres.sh $(VENV_PY) -m pytest $(PYTEST_ARGS)

.PHONY: clean
clean:
	rm -rf $(VENV) node_modules .pytest_cache build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	find . -path ./.git -prune -o -type f -name '*.py[co]' -exec rm -f {} +
