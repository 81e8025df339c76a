"""Bronze ingest job: raw dumps -> bronze.<source> + bronze._quarantine + bronze._ingest_log (exactly once).

    ./spark-submit.sh --env local jobs/bronze_ingest.py --conf conf/local.yaml [--source crm]
    ./spark-submit.sh --env emr --cluster-id j-XXXX --artifacts s3://bucket/udp/ jobs/bronze_ingest.py

The logic lives in udp.bronze.job (also run in-process by `udp run bronze`).
"""

from __future__ import annotations

import sys

from udp.bronze.job import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
