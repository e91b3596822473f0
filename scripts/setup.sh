#!/usr/bin/env bash
# Installs everything trigger-emulator needs into .venv (and the SDK for the contract tests).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
if [ "${1:-}" = "--with-sdk" ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  # The dashboard's browser tests drive Debian's Chromium; install it where we may.
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: chromium and chromium-driver are not installed; the dashboard browser tests will be skipped" >&2
  fi
fi
if [ "${1:-}" = "--with-sdk" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for the SDK contract tests (Node 18+)" >&2
    exit 1
  fi
  (cd tests/contract && npm ci --no-audit --no-fund --loglevel=error)
fi
