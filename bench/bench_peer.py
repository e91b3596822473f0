"""A reference point: "enqueue one message and read it back" through moto's in-process SQS
mock via boto3, beside one trigger + retrieve through trigger-emulator in process (httpx routed
by respx), both measured in this run.

Run: .venv/bin/python bench/bench_peer.py   (needs `pip install "moto[sqs]" boto3`)
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

import httpx
import respx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measure, row  # noqa: E402

from trigger_emulator import LocalEmulator  # noqa: E402


def main() -> None:
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        raise SystemExit('needs: pip install "moto[sqs]" boto3')
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(), LocalEmulator() as emu:
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="bench")["QueueUrl"]

        def moto_roundtrip() -> None:
            sqs.send_message(QueueUrl=queue, MessageBody='{"n": 1}')
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"][0]
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=got["ReceiptHandle"])

        client = httpx.Client(base_url="https://api.trigger.dev", headers={"Authorization": f"Bearer {emu.secret_key}"})

        def emulator_roundtrip() -> None:
            run_id = client.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}}).json()["id"]
            assert client.get(f"/api/v3/runs/{run_id}").status_code == 200

        # The floor under any in-process answer: the same two httpx calls answered by bare
        # respx routes with canned bodies (no emulator at all).
        floor_router = respx.mock(assert_all_called=False)
        floor_router.post("https://api.trigger.dev/api/v1/tasks/t/trigger").respond(json={"id": "run_x", "isCached": False})
        floor_router.get("https://api.trigger.dev/api/v3/runs/run_x").respond(json={"id": "run_x"})

        def bare_roundtrip() -> None:
            run_id = client.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}}).json()["id"]
            assert client.get(f"/api/v3/runs/{run_id}").status_code == 200

        def emulated() -> float:
            emu.intercept()
            try:
                return measure(emulator_roundtrip, repeat=1, number=200)
            finally:
                emu.stop_intercepting()

        def floor() -> float:
            with floor_router:
                return measure(bare_roundtrip, repeat=1, number=200)

        # Alternating rounds, so the three sample the same minutes of a machine whose speed drifts.
        samples: dict[str, list[float]] = {"moto": [], "emulator": [], "floor": []}
        for _ in range(7):
            samples["moto"].append(measure(moto_roundtrip, repeat=1, number=100))
            samples["emulator"].append(emulated())
            samples["floor"].append(floor())
        moto_s, emu_s, floor_s = (statistics.median(samples[k]) for k in ("moto", "emulator", "floor"))
        ratios = sorted(e / m for e, m in zip(samples["emulator"], samples["moto"]))
    print(row("moto SQS: send + receive + delete (boto3)", moto_s))
    print(row("trigger-emulator: trigger + retrieve (httpx)", emu_s, moto_s, "of moto"))
    print(row("floor: the same two calls to bare respx routes", floor_s, moto_s, "of moto"))
    print(f"ratio: {emu_s / moto_s:.2f}x of moto's round trip (rounds {ratios[0]:.2f}x-{ratios[-1]:.2f}x; target <= 0.2x;"
          f" the respx floor alone is {floor_s / moto_s:.2f}x)")


if __name__ == "__main__":
    main()
