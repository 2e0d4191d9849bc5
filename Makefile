# One command to run the app, one to run the tests; both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup clean chromium dictionaries

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP) dictionaries

# apt-get install $(1) (packages and flags) when root on Debian, else print $(2): what is missing and why.
apt_install = if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	else echo "$(2)"; fi

# Bilingual dictionaries into English (FreeDict, Debian's dict-freedict-* packages) let a question in Danish,
# Dutch, Polish, Finnish, Swedish, French or Spanish find English articles by keyword too (kb/translation.py).
# Optional: without them search still runs, on the multilingual embeddings alone. `kb lemmas` then builds,
# once, the dictionary forms of their inflected words (kb/lemmas.py; a quarter minute, kept in index/lemmas).
DICTIONARIES := dan nld pol fin swe fra spa
dictionaries: $(STAMP)
	@missing=""; for code in $(DICTIONARIES); do \
	  [ -f /usr/share/dictd/freedict-$$code-eng.index ] || missing="$$missing dict-freedict-$$code-eng"; done; \
	if [ -n "$$missing" ]; then \
	  $(call apt_install,--no-install-recommends $$missing,dictionaries missing:$$missing (apt-get install them for cross-lingual keyword search)); fi
	$(BIN)/python -m kb lemmas

# The first run creates the account "admin" and prints its password once (python -m kb set-password admin
# changes it). Plain http on 127.0.0.1 cannot carry Secure cookies, so this local run turns them off.
run: $(STAMP) dictionaries
	$(BIN)/python -m kb create-user admin --role admin --if-missing --generate-password
	KB_SECURE_COOKIES=$${KB_SECURE_COOKIES:-0} $(BIN)/flask --app app run --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .

# Browser tests drive Debian's chromium (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(call apt_install,chromium,chromium missing: install Debian's chromium package to run the browser tests); }

test: $(STAMP) chromium dictionaries
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) instance index/current index/build-* .pytest_cache
