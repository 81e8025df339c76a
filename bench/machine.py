"""The machine every benchmark report names: architecture, cores, memory, Python and (where Spark ran) its version."""

from __future__ import annotations

import os
import platform


def machine(spark_master: str | None = None) -> str:
    """`x86_64, 2 cores, 24 GiB, Python 3.11.7`, and `, Spark 4.0.2 local[2]` when `spark_master` is given."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    described = f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"
    if spark_master is None:
        return described
    import pyspark

    return f"{described}, Spark {pyspark.__version__} {spark_master}"
