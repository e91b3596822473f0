"""``GET /api/v1/runs`` latency at 1,000 and at 1,000,000 runs in one environment (a file
database, as the CLI server keeps): the first page and a deep page, unfiltered and with a task
and a tag filter, and the process's peak RSS. The first 1,000 runs are created through the batch
API as a user would; the rest are written in bulk through the store with the same trigger rules
(1,000,000 through the HTTP batch API would take ten minutes).

Run: .venv/bin/python bench/bench_list.py [max_runs]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measure, row  # noqa: E402

from trigger_emulator import Config, LocalEmulator  # noqa: E402
from trigger_emulator.core import trigger_rules  # noqa: E402
from trigger_emulator.core.schemas import TriggerBody  # noqa: E402


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


def populate_bulk(emu: LocalEmulator, count: int, start: int, chunk: int = 5000) -> None:
    env = emu._call(emu.engine.environment_for_key(emu.secret_key))

    def write(tx, now, first: int, n: int) -> None:
        runs = []
        for i in range(first, first + n):
            body = TriggerBody.model_validate({"payload": {"i": i}, "options": {"tags": [f"t{i % 100}"]}})
            runs.append(trigger_rules.prepare(env, f"task-{i % 10}", body, now, dev_default_ttl="10m").run)
        tx.insert_runs(runs)

    for offset in range(start, start + count, chunk):
        n = min(chunk, start + count - offset)
        emu._call(emu.engine.unit(lambda tx, now: write(tx, now, offset, n)))


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
    big = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(batch_rate_limit=None, database=str(Path(tmp) / "list.sqlite3"))
        with LocalEmulator(config) as emu, emu.client() as api:
            populate(api, 1000, 0)
            small = timings(api)
            populate_bulk(emu, big - 1000, 1000)
            large = timings(api)
            rss = peak_rss_mib()
    print(f"runs.list latency, 1,000 runs vs {big:,} runs in one environment, file database (median)")
    for name in small:
        print(row(f"{name} @ {big:,}", large[name], small[name], "of @ 1,000"))
    print(f"worst ratio: {max(large[n] / small[n] for n in small):.2f}x (target <= 2x)")
    print(f"peak RSS of the process (emulator + load generator): {rss:.1f} MiB (target < 150 MB)")


if __name__ == "__main__":
    main()
