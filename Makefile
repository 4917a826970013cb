# The commands the README gives. Each target sets up what it needs on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test test-sqlite test-postgres lint bench clean venv broker postgres chromium

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

broker: venv
	scripts/kafka.sh fetch

postgres:
	scripts/postgres.sh start

## The browser tests drive Debian's Chromium (never a browser Playwright downloads); installed when missing,
## with the DejaVu fonts the báo cáo PDFs embed.
chromium:
	@(test -x /usr/bin/chromium && test -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf) || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core)

## First command: broker, relays, consumers, three services and demo data; Ctrl-C stops it all.
dev: venv broker
	scripts/dev.sh

## Second command: lint, types and the whole suite against SQLite, then PostgreSQL.
test: venv broker postgres chromium lint test-sqlite test-postgres

test-sqlite: venv broker
	TIENPHONG_TEST_DB=sqlite $(PY) -m pytest -q -p no:cacheprovider --durations=15

test-postgres: venv broker postgres
	TIENPHONG_TEST_DB=postgresql $(PY) -m pytest -q -p no:cacheprovider --durations=15

lint: venv
	$(VENV)/bin/ruff check shared services tienphong tests bench
	$(VENV)/bin/mypy shared services tienphong

## Read-side figures at 10,000 and 1,000,000 events (prints them; takes a while on 2 cores).
bench: venv broker
	$(PY) bench/read_side.py --participants 1000
	$(PY) bench/read_side.py --participants 100000

clean:
	-scripts/kafka.sh stop
	rm -rf data
