#!/usr/bin/env bash
# Every benchmark, one after the other; each prints its figures beside a baseline measured in
# the same run. Not part of CI (timings on shared machines are noisy); see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install --quiet --disable-pip-version-check "moto[sqs]" boto3
py=.venv/bin/python
for b in bench_inprocess bench_fixture bench_batch bench_peer bench_server bench_dashboard bench_realtime bench_list; do
  echo "== $b"
  $py "bench/$b.py"
done
