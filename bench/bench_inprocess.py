"""One trigger + one retrieve through httpx, in process: the emulator (respx routing httpx to
the ASGI app) against the floor of any in-process double, a bare respx route answering a canned
response, measured in the same run.

Run: .venv/bin/python bench/bench_inprocess.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import respx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measure, row  # noqa: E402

from trigger_emulator import LocalEmulator  # noqa: E402

BASE = "https://api.trigger.dev"
RUN = {"id": "run_cbench000000000000000000", "status": "QUEUED", "taskIdentifier": "t", "tags": []}


def main() -> None:
    client = httpx.Client(base_url=BASE, headers={"Authorization": "Bearer tr_dev_bench"})

    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post("/api/v1/tasks/t/trigger").respond(json={"id": RUN["id"], "isCached": False})
        mock.get(f"/api/v3/runs/{RUN['id']}").respond(json=RUN)

        def bare() -> None:
            run_id = client.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}}).json()["id"]
            assert client.get(f"/api/v3/runs/{run_id}").json()["status"] == "QUEUED"

        floor = measure(bare, repeat=7, number=300)

    with LocalEmulator() as emu:
        emu.intercept()
        client.headers["Authorization"] = f"Bearer {emu.secret_key}"

        def emulated() -> None:
            run_id = client.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}}).json()["id"]
            assert client.get(f"/api/v3/runs/{run_id}").json()["status"] == "QUEUED"

        value = measure(emulated, repeat=7, number=300)
        emu.stop_intercepting()
    print(row("trigger + retrieve, bare respx route (floor)", floor))
    print(row("trigger + retrieve, trigger-emulator in process", value, floor, "of the floor"))
    print(f"ratio: {value / floor:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
