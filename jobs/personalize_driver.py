"""Personalize driver job: plan | apply | status | teardown | compare over an export snapshot.

    ./spark-submit.sh --env local jobs/personalize_driver.py apply --conf conf/local.yaml
    ./spark-submit.sh --env emr --cluster-id j-XXXX --artifacts s3://bucket/udp/ jobs/personalize_driver.py apply \
        --conf conf/emr.yaml --snapshot 20260401T000000Z

The logic lives in udp.personalize.job (also run in-process by `udp personalize <command>`).
"""

from __future__ import annotations

import sys

from udp.personalize.job import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
