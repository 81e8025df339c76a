"""Gold build job: silver -> gold.personalize_{interactions,items,users} + gold.customer_360, then preflight.

    ./spark-submit.sh --env local jobs/gold_build.py --conf conf/local.yaml
    ./spark-submit.sh --env emr --cluster-id j-XXXX --artifacts s3://bucket/udp/ jobs/gold_build.py

The logic lives in udp.gold.job (also run in-process by `udp run gold`).
"""

from __future__ import annotations

import sys

from udp.gold.job import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
