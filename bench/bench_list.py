"""``GET /api/v1/runs`` latency at 1,000 and at 100,000 runs in one environment: the first
page and a deep page, unfiltered and with a task filter. Runs are created through the batch
API (1,000 per batch), as a user would.

Run: .venv/bin/python bench/bench_list.py [max_runs]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measure, row  # noqa: E402

from trigger_emulator import Config  # noqa: E402
from trigger_emulator import LocalEmulator  # noqa: E402


def populate(api, count: int, start: int) -> None:
    for offset in range(start, start + count, 1000):
        n = min(1000, start + count - offset)
        items = "".join(
            json.dumps({"index": i, "task": f"task-{(offset + i) % 10}", "payload": {"i": offset + i},
                        "options": {"tags": [f"t{(offset + i) % 100}"]}}) + "\n"
            for i in range(n)
        ).encode()
        batch_id = api.post("/api/v3/batches", json={"runCount": n}).json()["id"]
        assert api.post(f"/api/v3/batches/{batch_id}/items", content=items,
                        headers={"content-type": "application/x-ndjson"}).json()["sealed"]


def timings(api) -> dict[str, float]:
    deep_cursor = None
    params = {"page[size]": 10, "filter[taskIdentifier]": "task-3"}
    for _ in range(8):  # eight pages in: a deep page
        page = api.get("/api/v1/runs", params={**params, **({"page[after]": deep_cursor} if deep_cursor else {})}).json()
        deep_cursor = page["pagination"]["next"]
    return {
        "first page (25)": measure(lambda: api.get("/api/v1/runs"), repeat=7, number=5),
        "first page, task filter (10)": measure(lambda: api.get("/api/v1/runs", params=params), repeat=7, number=5),
        "page 9, task filter (10)": measure(
            lambda: api.get("/api/v1/runs", params={**params, "page[after]": deep_cursor}), repeat=7, number=5),
        "first page, tag filter (25)": measure(lambda: api.get("/api/v1/runs", params={"filter[tag]": "t7"}), repeat=7, number=5),
    }


def main() -> None:
    big = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with LocalEmulator(Config(batch_rate_limit=None)) as emu, emu.client() as api:
        populate(api, 1000, 0)
        small = timings(api)
        populate(api, big - 1000, 1000)
        large = timings(api)
    print(f"runs.list latency, 1,000 runs vs {big:,} runs in one environment (median)")
    for name in small:
        print(row(f"{name} @ {big:,}", large[name], small[name], "of @ 1,000"))
    print(f"worst ratio: {max(large[n] / small[n] for n in small):.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
