#!/usr/bin/env bash
# Installs what trigger-emulator needs into .venv, and with --with-sdk the official SDK for the
# contract tests and Chromium for the browser tests. Each step runs only when what it installs
# from has changed since the last run (pyproject.toml, a package-lock.json), so it is instant after the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
# up_to_date STAMPFILE FILES...: true when STAMPFILE holds the current hash of FILES.
up_to_date() { local file=$1; shift; [ -f "$file" ] && [ "$(cat "$file")" = "$(stamp_of "$@")" ]; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! up_to_date .venv/.setup-stamp pyproject.toml; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
  stamp_of pyproject.toml > .venv/.setup-stamp
fi

[ "${1:-}" = "--with-sdk" ] || exit 0

if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  # The dashboard's browser tests drive Debian's Chromium; install it where we may.
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: chromium and chromium-driver are not installed; the browser tests will be skipped" >&2
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is needed for the SDK contract tests (Node 18+)" >&2
  exit 1
fi
# Every Node package the tests use: npm ci in each folder with a lockfile, when it changed.
for dir in tests/*/; do
  dir=${dir%/}
  [ -f "$dir/package-lock.json" ] || continue
  if ! up_to_date "$dir/node_modules/.setup-stamp" "$dir/package-lock.json"; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    stamp_of "$dir/package-lock.json" > "$dir/node_modules/.setup-stamp"
  fi
done
