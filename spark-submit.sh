#!/usr/bin/env bash
# Launch a udp job with spark-submit: ./spark-submit.sh --env local|emr|emr-serverless [--dry-run] jobs/<stage>.py [job args]
# Run ./spark-submit.sh --help for every option. The logic lives in udp/launch.py (standard library only).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# UDP_PYTHON picks the interpreter (and so the venv's Spark); default: the project's .venv, else python3.
python="${UDP_PYTHON:-$here/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m udp.launch "$@"
