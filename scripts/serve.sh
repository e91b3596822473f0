#!/usr/bin/env bash
# Sets up (first run only) and starts the emulator: scripts/serve.sh [--port 3030] [--db FILE] ...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/trigger-emulator serve "$@"
