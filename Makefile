# Grassroots Ledger — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
export FLASK_APP := webapp

.PHONY: run test test-sqlite test-postgres install translations migrate demo serve-https clean browser lighthouse pgclient bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Python's venv module is missing: installing python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

translations: install
	@$(BIN)/pybabel -q compile -d webapp/translations

migrate: install
	$(BIN)/flask migrate

demo: migrate
	$(BIN)/flask load-demo --if-empty

# The reminder sender runs beside the server (every 60 s) and stops with it.
run: translations demo
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C to stop); reminders go out every 60 s"
	@FLASK=$(BIN)/flask bash tools/send_reminders_loop.sh 60 & loop=$$!; \
	  trap 'kill $$loop 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Serve over HTTPS with a local certificate so a phone on the same network can use the
# camera and the service worker (see README).
serve-https: translations demo
	@mkdir -p instance
	@test -f instance/cert.pem || openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
	  -keyout instance/key.pem -out instance/cert.pem -subj "/CN=grassroots-ledger.local" \
	  -addext "subjectAltName=IP:$$(hostname -I | awk '{print $$1}'),DNS:localhost"
	SESSION_COOKIE_SECURE=1 $(BIN)/gunicorn -c gunicorn.conf.py -b 0.0.0.0:8443 --certfile instance/cert.pem \
	  --keyfile instance/key.pem 'webapp:create_app()'

browser:
	@bash tests/browser/ensure_chromium.sh

# Lighthouse (pinned in tools/lighthouse) for tests/browser/test_lighthouse.py.
lighthouse:
	@bash tools/lighthouse/ensure.sh

# pg_dump / pg_restore for `flask backup` on PostgreSQL (tests/test_backup.py uses them).
pgclient:
	@command -v pg_dump >/dev/null || { echo "Installing Debian's postgresql-client for backups"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }

test: translations browser lighthouse pgclient
	@bash tests/run_all.sh

# The benchmarks (not tests): they print figures. The check-in storm drives gunicorn with wrk.
bench: translations
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk for the check-in benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/checkin_storm.py
	$(BIN)/python bench/ledger_bench.py
	$(BIN)/python bench/roster_import.py
	$(BIN)/python bench/province.py --counties 20
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) instance/ledger.db* tests/browser/screenshots
