# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WORKBENCH := $(VENV)/bin/workbench
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run cluster test test-sqlite bench system-packages clean

## setup: virtualenv + Python packages, browser libraries from the npm lock file, Chromium
setup: $(VENV)/.installed node_modules/.installed system-packages

$(VENV)/.installed: pyproject.toml
	@echo "==> Python packages into $(VENV)/"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip >$(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@$(PY) -m pip install --quiet --progress-bar off -e '.[test]' >>$(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> Browser libraries from package-lock.json (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian packages the browser tests, the PDF reports (WeasyPrint: Pango, HarfBuzz) and the
# several-servers set-up (nginx, `make cluster`) need; installed only when missing. A freshly
# installed nginx is stopped at once: Debian starts it on port 80, and the cluster runs its own.
DEBIAN_PACKAGES := chromium fonts-noto-core fonts-noto-color-emoji libpango-1.0-0 \
	libpangoft2-1.0-0 libharfbuzz-subset0 nginx
system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "==> Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else \
	    echo "    cannot install without root; the browser tests will be skipped"; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  case "$$missing" in *" nginx"*) $$SUDO nginx -s quit >/dev/null 2>&1 || true;; esac; \
	fi

## run: migrate and seed the embedded SQLite database, then serve on http://$(HOST):$(PORT)
run: setup
	@$(WORKBENCH) db upgrade
	@$(WORKBENCH) seed --demo
	@echo "==> Serving the workbench on http://$(HOST):$(PORT) (gunicorn, 2 workers; Ctrl-C stops it)"
	@$(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py --bind $(HOST):$(PORT) --workers 2 \
	  --log-level warning 'workbench:create_app()'

## cluster: nginx on http://127.0.0.1:8080 in front of two gunicorn servers on one PostgreSQL and Redis
cluster: setup
	@$(PY) deploy/cluster.py --port 8080 --servers 2 --seed

## test: the whole suite on SQLite and on a fresh PostgreSQL database
test: setup
	@$(PY) -m tests.run_suites

test-sqlite: setup
	@$(PY) -m pytest

## bench: benchmarks against a bare Flask floor; writes benchmarks/RESULTS.md
bench: setup
	@$(PY) -m pip install --quiet --progress-bar off -e '.[test,bench]'
	@$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .hypothesis
