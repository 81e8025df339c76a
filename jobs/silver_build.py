"""Silver job: customer records -> matching -> clusters -> stable ids -> golden records; items; touch points.

    ./spark-submit.sh --env local jobs/silver_build.py --conf conf/local.yaml [--retrain] [--full]
    ./spark-submit.sh --env emr --cluster-id j-XXXX --artifacts s3://bucket/udp/ jobs/silver_build.py

The logic lives in udp.silver.job (also run in-process by `udp run silver`).
"""

from __future__ import annotations

import sys

from udp.silver.job import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
