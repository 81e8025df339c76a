"""Gold export job: the gold tables -> import-ready Personalize CSVs, schemas and a manifest under paths.export.

    ./spark-submit.sh --env local jobs/gold_export.py --conf conf/local.yaml [--snapshot ID] [--force]
    ./spark-submit.sh --env emr --cluster-id j-XXXX --artifacts s3://bucket/udp/ jobs/gold_export.py --snapshot s1

The logic lives in udp.gold.commands (also run in-process by `udp export`).
"""

from __future__ import annotations

import sys

from udp.gold.commands import export_main as main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
