#!/usr/bin/env bash
# Sets up everything (Python deps, the official Node SDK) and runs the whole test suite.
# Extra arguments go to pytest: scripts/test.sh -k idempotency -x
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-sdk
exec .venv/bin/python -m pytest "$@"
