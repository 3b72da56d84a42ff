# Dealpane developer tasks. Run `make` (or `make help`) for the list.

PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
LOCK        := requirements.lock
PORT_DEFAULT := 5000
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help

.PHONY: help
help:
	@echo "Dealpane make targets:"
	@echo "  make venv    create .venv: the locked versions from requirements.lock (hashes checked), then the package"
	@echo "  make lock    re-resolve requirements.lock from pyproject.toml (pins that still fit are kept;"
	@echo "               make lock UPGRADE=1 takes the newest releases), then run make venv and the tests"
	@echo "  make fuzz-long  the Schemathesis run with many examples (DEALPANE_FUZZ_EXAMPLES, default 200, random seed)"
	@echo "  make messages  add the server's new sentences to storage/locales/*/LC_MESSAGES/messages.po"
	@echo "  make demo    run the demo server: .venv/bin/dealpane demo --port \$${PORT:-$(PORT_DEFAULT)}"
	@echo "  make test    run pytest against a throwaway PostgreSQL (tools/with-postgres.sh)"
	@echo "               extra pytest arguments: make test PYTEST_ARGS='-k foo -x'"
	@echo "  make clean   remove .venv and caches"

.PHONY: venv
venv: $(STAMP)

# Re-install only when pyproject.toml or the lock is newer than the stamp (or the venv is gone).
# Every package, the test tools included, comes from requirements.lock at the pinned version and
# hash (pip refuses anything else); the package itself is then installed without dependencies, and
# `pip check` confirms that the lock satisfies what pyproject.toml asks for.
$(STAMP): pyproject.toml $(LOCK)
	@if [ ! -x "$(VENV_PY)" ]; then \
		echo "creating $(VENV)"; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(VENV_PY) -m pip install --quiet --upgrade pip
	$(VENV_PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(VENV_PY) -m pip install --quiet --no-deps -e .
	$(VENV_PY) -m pip check
	@touch $@

# requirements.lock: pip-tools resolves pyproject.toml with its test extra for this machine's Python
# (3.11, Linux) against PyPI alone (this machine's pip settings, local mirrors included, are left
# out so that the lock names only PyPI's files and hashes). Pins already in the lock are kept while
# they satisfy pyproject.toml; UPGRADE=1 re-resolves everything to the newest releases, and
# UPGRADE_PACKAGE=name moves one package. pip-tools lives in its own venv inside .venv.
PIP_TOOLS_VERSION := 7.7.0
LOCK_TOOLS        := $(VENV)/lock-tools

.PHONY: lock
lock:
	@if [ ! -x "$(LOCK_TOOLS)/bin/pip-compile" ]; then \
		$(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/python -m pip install --quiet pip-tools==$(PIP_TOOLS_VERSION); \
	fi
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
		$(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--extra test --no-emit-index-url --no-emit-find-links \
		$(if $(UPGRADE),--upgrade) $(if $(UPGRADE_PACKAGE),--upgrade-package $(UPGRADE_PACKAGE)) \
		--output-file $(LOCK) pyproject.toml
	@echo "requirements.lock written: run make venv and make test before committing it"

# The long Schemathesis run (tests/fuzz): many examples per operation and a random seed each time
# (CI runs a few examples with a fixed seed). DEALPANE_FUZZ_SEED=N replays a run.
DEALPANE_FUZZ_EXAMPLES ?= 200

.PHONY: fuzz-long
fuzz-long: venv
	DEALPANE_FUZZ_EXAMPLES=$(DEALPANE_FUZZ_EXAMPLES) DEALPANE_FUZZ_SEED=$${DEALPANE_FUZZ_SEED:-random} \
		bash tools/with-postgres.sh $(VENV_PY) -m pytest -p no:cacheprovider tests/fuzz -s

# npm packages: the unified-manifest JSON schema (tests) and the pane's browser libraries.
NODE_STAMP := node_modules/.installed

# MicrosoftAjax.js for the browser tests: office.js's host files load it from the Ajax CDN
# (https://ajax.aspnetcdn.com/ajax/3.5/MicrosoftAjax.js), and the tests serve it in the CDN's place.
# It is not on npm by itself: Microsoft's MicrosoftAjax.js is the first part of
# jsom/spo/msajaxbundle.debug.js in sp-jsom-node (MIT). Only that package's tarball is fetched
# (not installed: it would bring 150 packages). The debug build's own type-name checks
# (registerClass, registerInterface, registerNamespace, registerEnum) call eval(), which the
# release build served by the CDN does not (microsoft/MHA's copy, Scripts/MicrosoftAjax.js): those
# four, and only those, become the same lookup without eval, so that the file meets a CSP as the
# CDN's does. Both the verbatim extract and the result are checked against pinned SHA-256 sums.
# Rebuilt after every `npm ci` (which empties node_modules).
MSAJAX_DIR       := node_modules/.dealpane
MSAJAX           := $(MSAJAX_DIR)/MicrosoftAjax.js
MSAJAX_PACKAGE   := sp-jsom-node@3.0.3
MSAJAX_BUNDLE    := package/jsom/spo/msajaxbundle.debug.js
MSAJAX_DEBUG_SHA := 505e5b70ac27238f73455422ade3cd6df328e86a5f6c48fb7bdc17beeed39fbd
MSAJAX_SHA       := 8cdde56382541a63141b2994a9e65e628b5bcf73642bf9f8d0b3b0a33f059bc6

.PHONY: node
node: $(NODE_STAMP) $(MSAJAX)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm not found: installing Debian's nodejs and npm"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(MSAJAX): $(NODE_STAMP)
	rm -rf $(MSAJAX_DIR)/work && mkdir -p $(MSAJAX_DIR)/work
	cd $(MSAJAX_DIR)/work && npm pack $(MSAJAX_PACKAGE) --ignore-scripts --silent >/dev/null
	tar -xzf $(MSAJAX_DIR)/work/sp-jsom-node-3.0.3.tgz -C $(MSAJAX_DIR)/work $(MSAJAX_BUNDLE)
	sed -n '1,/^\/\/ MicrosoftAjaxApplicationServices\.js/p' $(MSAJAX_DIR)/work/$(MSAJAX_BUNDLE) | head -n -4 \
		> $(MSAJAX_DIR)/MicrosoftAjax.debug.js
	echo "$(MSAJAX_DEBUG_SHA)  $(MSAJAX_DIR)/MicrosoftAjax.debug.js" | sha256sum --check --quiet
	sed -E "s/parsedName = eval\((typeName|ns\.__typeName|name)\);/parsedName = \1.split('.').reduce(function (o, k) { return o[k]; }, window);/" \
		$(MSAJAX_DIR)/MicrosoftAjax.debug.js > $(MSAJAX_DIR)/work/MicrosoftAjax.js
	echo "$(MSAJAX_SHA)  $(MSAJAX_DIR)/work/MicrosoftAjax.js" | sha256sum --check --quiet
	mv $(MSAJAX_DIR)/work/MicrosoftAjax.js $@
	rm -rf $(MSAJAX_DIR)/work

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
	$(VENV)/bin/dealpane demo --port $${PORT:-$(PORT_DEFAULT)} --lang $${DEMO_LANG:-en}

.PHONY: test
test: venv node chromium
	bash tools/with-postgres.sh $(VENV_PY) -m pytest $(PYTEST_ARGS)

.PHONY: clean
clean:
	rm -rf $(VENV) node_modules .pytest_cache build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	find . -path ./.git -prune -o -type f -name '*.py[co]' -exec rm -f {} +

# The server's catalogues (storage/locales): extract every _(), ngettext(), N_() and template gettext into
# storage/locales/messages.pot, then add the msgids no .po of a language has yet to its messages.po
# (tools/messages.py; translations already there, in whichever area file, are kept). Translate the empty
# msgstr; tests/unit/test_server_catalogue.py checks every language.
.PHONY: messages
messages: venv
	$(VENV_PY) tools/messages.py
