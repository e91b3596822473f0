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
if [ "${1:-}" = "--with-sdk" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for the SDK contract tests (Node 18+)" >&2
    exit 1
  fi
  (cd tests/contract && npm ci --no-audit --no-fund --loglevel=error)
fi
