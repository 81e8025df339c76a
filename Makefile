# udp — the README's two commands are `make demo` and `make test`; each sets itself up first.
# Every target is idempotent: a second `make setup` does nothing slow (stamp files track what is installed).

PYTHON      ?= python3.11
VENV        := .venv
VENV_COMPAT := .venv-compat
VENV_RUNTIME := .venv-runtime
JARS        := .jars
POM         := tools/delta-jars/pom.xml
MVN         := mvn -B -q -f $(POM)
PYTEST_ARGS ?=
DEMO_DIR    ?= demo

.PHONY: setup setup-compat browser test test-fast test-recovery test-compat demo lint bench bench-scale clean rehearsal rehearsal-deps venv-archive

setup: $(VENV)/.installed $(JARS)/spark-4.0/.fetched

setup-compat: $(VENV_COMPAT)/.installed $(JARS)/spark-3.5/.fetched

# Chromium and its driver from Debian's packages, for the test that opens the run report in a real browser.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -q && apt-get install -y -q chromium chromium-driver; }

$(VENV)/.installed: setup.py
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[spark,dev,report]'
	touch $@

$(VENV_COMPAT)/.installed: setup.py
	test -x $(VENV_COMPAT)/bin/python || $(PYTHON) -m venv $(VENV_COMPAT)
	$(VENV_COMPAT)/bin/pip install -q -e '.[spark35,dev,report]'
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

# Hadoop's S3A connector for the rehearsal's s3a:// lake (a cluster's nodes have their own S3 connector; never shipped).
S3A_GROUPS := org.apache.hadoop,software.amazon.awssdk,com.amazonaws,org.wildfly.openssl
$(JARS)/s3a-spark-4.0/.fetched: $(POM)
	rm -rf $(JARS)/s3a-spark-4.0
	$(MVN) -Pspark40,s3a dependency:copy-dependencies -DincludeGroupIds=$(S3A_GROUPS) -DoutputDirectory=$(CURDIR)/$(JARS)/s3a-spark-4.0
	touch $@

# A Python with udp's runtime dependencies only (install_requires; not udp, not pyspark): what a cluster node has.
$(VENV_RUNTIME)/.installed: $(VENV)/.installed
	rm -rf $(VENV_RUNTIME)
	$(PYTHON) -m venv $(VENV_RUNTIME)
	$(VENV)/bin/python -c "import importlib.metadata as m; print('\n'.join(r for r in m.requires('udp') if 'extra ==' not in r))" > $(VENV_RUNTIME)/requirements.txt
	$(VENV_RUNTIME)/bin/pip install -q -r $(VENV_RUNTIME)/requirements.txt
	touch $@

# EMR Serverless: that Python packed with venv-pack (--venv-archive). Build it on the release's OS and architecture
# (Amazon Linux 2023, x86_64 or arm64) with the release's Python minor version: the archive links to that interpreter.
venv-archive: dist/udp-venv.tar.gz
dist/udp-venv.tar.gz: $(VENV_RUNTIME)/.installed
	mkdir -p dist
	rm -f $@
	$(VENV)/bin/venv-pack -p $(VENV_RUNTIME) -o $@ -q

# The production path on this machine: a Spark standalone cluster, moto's S3 API through s3a://, every stage
# submitted by ./spark-submit.sh in an empty environment (tests/rehearsal/rehearse.py; services stopped on exit).
# REHEARSAL_PRIVATE_TMP=1 (CI, where a test suite runs alongside) gives the rehearsal an empty /tmp of its own
# (tools/private-tmp; root only): its check that nothing was written to /tmp then sees its own processes only, not the
# suite's Spark and Hive scratch folders.
rehearsal-deps: setup $(JARS)/s3a-spark-4.0/.fetched dist/udp-venv.tar.gz

rehearsal: rehearsal-deps
	$(if $(filter 1,$(REHEARSAL_PRIVATE_TMP)),tools/private-tmp) $(VENV)/bin/python -m tests.rehearsal.rehearse $(REHEARSAL_ARGS)

# pytest exits 5 when it collected nothing: that is a broken selection, never a pass.
define run_pytest
	@$(1)/bin/pytest $(PYTEST_ARGS) $(2); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests ($(1)): failing" >&2; exit 1; fi; exit $$rc
endef

test: setup browser
	$(call run_pytest,$(VENV))

# The Spark 3.5 suite runs every test but the kill-and-resume recovery of silver (six silver runs, ~9 minutes):
# recovery is exercised once, on Spark 4, so that .ci/run stays within its time budget.
COMPAT_PYTEST_ARGS ?= --deselect tests/silver/test_silver_recovery.py

# Silver killed after every one of its commits, in a first and an incremental run, and resumed (22 silver runs, ~28
# minutes); `make test` resumes four of them (tests/silver/test_silver_recovery.py says which and why).
# The unit tests only (tests/unit: tiny inline frames, one Spark session, no end-to-end runs): the loop while working.
test-fast: setup
	$(call run_pytest,$(VENV),tests/unit)

test-recovery: setup
	$(call run_pytest,$(VENV),-m "" tests/silver/test_silver_recovery.py)

test-compat: setup-compat browser
	$(call run_pytest,$(VENV_COMPAT),$(COMPAT_PYTEST_ARGS))

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

# The whole pipeline on a generated retailer and then its next day, with a plain Spark copy as the baseline
# (bench/bench_scale.py). 100,000 customers by default; the goal size: BENCH_SCALE_ARGS="--customers 1000000
# --skus 1000000 --driver-memory 16g".
BENCH_SCALE_ARGS ?=
bench-scale: setup
	$(VENV)/bin/python bench/bench_scale.py $(BENCH_SCALE_ARGS)

clean:
	rm -rf dist build *.egg-info $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
