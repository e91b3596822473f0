"""A 1,000-item two-phase batch (create, NDJSON, sealed, every run readable) through the
in-process ASGI app, beside 1,000 single triggers measured in the same run.

Run: .venv/bin/python bench/bench_batch.py
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measure, row  # noqa: E402

from trigger_emulator import Config  # noqa: E402
from trigger_emulator import LocalEmulator  # noqa: E402

N = 1000


def main() -> None:
    with LocalEmulator(Config(batch_rate_limit=None)) as emu, emu.client() as api:
        items = "".join(json.dumps({"index": i, "task": "bench", "payload": {"i": i}}) + "\n" for i in range(N)).encode()

        def two_phase() -> None:
            batch_id = api.post("/api/v3/batches", json={"runCount": N}).json()["id"]
            sealed = api.post(f"/api/v3/batches/{batch_id}/items", content=items,
                              headers={"content-type": "application/x-ndjson"}).json()
            assert sealed["sealed"], sealed
            runs = api.get(f"/api/v2/batches/{batch_id}").json()["runs"]
            assert len(runs) == N
            assert api.get(f"/api/v3/runs/{runs[-1]}").status_code == 200

        def singles() -> None:
            for i in range(N):
                api.post("/api/v1/tasks/bench/trigger", json={"payload": {"i": i}})

        # alternating rounds, so both sample the same minutes of a machine whose speed drifts
        two_phase()
        singles()
        batch_times, single_times = [], []
        for _ in range(5):
            # a batch takes ~1/10 of the singles' time: three of them per round, their median
            batch_times.append(measure(two_phase, repeat=3, warmup=0))
            single_times.append(measure(singles, repeat=1, warmup=0))
        batch_s, single_s = statistics.median(batch_times), statistics.median(single_times)
    print(row(f"two-phase batch of {N} (create+items+retrieve)", batch_s, single_s, "of singles"))
    print(row(f"{N} single triggers", single_s))
    print(f"batch speed-up: {single_s / batch_s:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
