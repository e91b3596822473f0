"""A reference point: "enqueue one message and read it back" through moto's in-process SQS
mock via boto3, beside one trigger + retrieve through trigger-emulator in process (httpx routed
by respx), both measured in this run.

Run: .venv/bin/python bench/bench_peer.py   (needs `pip install "moto[sqs]" boto3`)
"""

from __future__ import annotations

import os
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
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="bench")["QueueUrl"]

        def moto_roundtrip() -> None:
            sqs.send_message(QueueUrl=queue, MessageBody='{"n": 1}')
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"][0]
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=got["ReceiptHandle"])

        moto_s = measure(moto_roundtrip, repeat=5, number=200)

    with LocalEmulator() as emu:
        emu.intercept()
        client = httpx.Client(base_url="https://api.trigger.dev", headers={"Authorization": f"Bearer {emu.secret_key}"})

        def emulator_roundtrip() -> None:
            run_id = client.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}}).json()["id"]
            assert client.get(f"/api/v3/runs/{run_id}").status_code == 200

        emu_s = measure(emulator_roundtrip, repeat=5, number=200)
        emu.stop_intercepting()
    # The floor under any in-process answer: the same two httpx calls answered by bare respx
    # routes with canned bodies (no emulator at all).
    with respx.mock(assert_all_called=False) as router:
        router.post("https://api.trigger.dev/api/v1/tasks/t/trigger").respond(json={"id": "run_x", "isCached": False})
        router.get("https://api.trigger.dev/api/v3/runs/run_x").respond(json={"id": "run_x"})
        client = httpx.Client(base_url="https://api.trigger.dev", headers={"Authorization": "Bearer tr_dev_x"})

        def bare_roundtrip() -> None:
            run_id = client.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}}).json()["id"]
            assert client.get(f"/api/v3/runs/{run_id}").status_code == 200

        floor_s = measure(bare_roundtrip, repeat=5, number=200)
    print(row("moto SQS: send + receive + delete (boto3)", moto_s))
    print(row("trigger-emulator: trigger + retrieve (httpx)", emu_s, moto_s, "of moto"))
    print(row("floor: the same two calls to bare respx routes", floor_s, moto_s, "of moto"))
    print(f"ratio: {emu_s / moto_s:.2f}x of moto's round trip (target <= 0.2x; the respx floor alone is {floor_s / moto_s:.2f}x)")


if __name__ == "__main__":
    main()
