#!/usr/bin/env bash
# Launch a udp job with spark-submit: ./spark-submit.sh --env local|cluster|emr|emr-serverless [--dry-run] [--wait]
#   jobs/<stage>.py [job args]. Run ./spark-submit.sh --help for every option; the logic lives in udp/launch.py.
# It runs with udp's dependencies (pyyaml to resolve the configuration here, boto3 for EMR) from the project's .venv,
# or UDP_PYTHON; the checkout's udp package is used, never an installed one.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# UDP_PYTHON picks the interpreter (and so the venv's Spark); default: the project's .venv, else python3.
python="${UDP_PYTHON:-$here/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m udp.launch "$@"
