# udp — the README's two commands are `make demo` and `make test`; each sets itself up first.
# Every target is idempotent: a second `make setup` does nothing slow (stamp files track what is installed).

PYTHON      ?= python3.11
VENV        := .venv
VENV_COMPAT := .venv-compat
JARS        := .jars
POM         := tools/delta-jars/pom.xml
MVN         := mvn -B -q -f $(POM)
PYTEST_ARGS ?=
DEMO_DIR    ?= demo

.PHONY: setup setup-compat test test-compat demo lint bench clean

setup: $(VENV)/.installed $(JARS)/spark-4.0/.fetched

setup-compat: $(VENV_COMPAT)/.installed $(JARS)/spark-3.5/.fetched

$(VENV)/.installed: setup.py
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[spark,dev]'
	touch $@

$(VENV_COMPAT)/.installed: setup.py
	test -x $(VENV_COMPAT)/bin/python || $(PYTHON) -m venv $(VENV_COMPAT)
	$(VENV_COMPAT)/bin/pip install -q -e '.[spark35,dev]'
	touch $@

# Delta jars for local Spark, from Maven Central through mvn (never committed). Profiles: spark40 | spark35.
$(JARS)/spark-4.0/.fetched: $(POM)
	rm -rf $(JARS)/spark-4.0
	$(MVN) -Pspark40 dependency:copy-dependencies -DincludeGroupIds=io.delta -DoutputDirectory=$(CURDIR)/$(JARS)/spark-4.0
	touch $@

$(JARS)/spark-3.5/.fetched: $(POM)
	rm -rf $(JARS)/spark-3.5
	$(MVN) -Pspark35 dependency:copy-dependencies -DincludeGroupIds=io.delta -DoutputDirectory=$(CURDIR)/$(JARS)/spark-3.5
	touch $@

# pytest exits 5 when it collected nothing: that is a broken selection, never a pass.
define run_pytest
	@$(1)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests ($(1)): failing" >&2; exit 1; fi; exit $$rc
endef

test: setup
	$(call run_pytest,$(VENV))

test-compat: setup-compat
	$(call run_pytest,$(VENV_COMPAT))

demo: setup
	$(VENV)/bin/python -m udp.demo --dir $(DEMO_DIR)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

$(VENV)/.bench-installed: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e '.[spark,dev,bench]'
	touch $@

# BENCH_ARGS=--quick for a few minutes at small sizes; the default sizes take an hour or more on 2 cores.
BENCH_ARGS ?=
bench: setup $(VENV)/.bench-installed
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf dist build *.egg-info $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
