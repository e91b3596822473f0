"""A reference point: "enqueue one message and read it back" through moto's in-process SQS
mock via boto3, beside one trigger + retrieve through trigger-emulator in process (httpx,
intercepted at its transport), and the same two httpx calls answered by bare respx routes
(the floor under any in-process answer); all measured in this run, in alternating rounds.

Run: .venv/bin/python bench/bench_peer.py   (needs `pip install "moto[sqs]" boto3`)
     .venv/bin/python bench/bench_peer.py --instructions
         the same round trips counted in CPU instructions under valgrind's callgrind: the same
         count on every run whatever else the machine does (a few minutes; needs valgrind)
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

import httpx
import respx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measure, row  # noqa: E402

from trigger_emulator import LocalEmulator  # noqa: E402

SIDES = ("moto", "emulator", "floor")


def roundtrips(stack: ExitStack) -> dict[str, tuple[Callable[[], None], Callable[[], None], Callable[[], None]]]:
    """Per side: (start, one round trip, stop)."""
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        raise SystemExit('needs: pip install "moto[sqs]" boto3')
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    stack.enter_context(mock_aws())
    emu = stack.enter_context(LocalEmulator())
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="bench")["QueueUrl"]

    def moto_roundtrip() -> None:
        sqs.send_message(QueueUrl=queue, MessageBody='{"n": 1}')
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"][0]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=got["ReceiptHandle"])

    client = httpx.Client(base_url="https://api.trigger.dev", headers={"Authorization": f"Bearer {emu.secret_key}"})

    def trigger_and_retrieve() -> None:
        run_id = client.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}}).json()["id"]
        assert client.get(f"/api/v3/runs/{run_id}").status_code == 200

    floor_router = respx.mock(assert_all_called=False)
    floor_router.post("https://api.trigger.dev/api/v1/tasks/t/trigger").respond(json={"id": "run_x", "isCached": False})
    floor_router.get("https://api.trigger.dev/api/v3/runs/run_x").respond(json={"id": "run_x"})
    nothing = lambda: None  # noqa: E731
    return {
        "moto": (nothing, moto_roundtrip, nothing),
        "emulator": (emu.intercept, trigger_and_retrieve, emu.stop_intercepting),
        "floor": (floor_router.start, trigger_and_retrieve, floor_router.stop),
    }


def timed() -> None:
    with ExitStack() as stack:
        sides = roundtrips(stack)
        samples: dict[str, list[float]] = {side: [] for side in SIDES}
        for _ in range(7):  # alternating rounds: the three sample the same minutes of a drifting machine
            for side, (start, roundtrip, stop) in sides.items():
                start()
                try:
                    samples[side].append(measure(roundtrip, repeat=1, number=100 if side == "moto" else 200))
                finally:
                    stop()
    moto_s, emu_s, floor_s = (statistics.median(samples[side]) for side in SIDES)
    ratios = sorted(e / m for e, m in zip(samples["emulator"], samples["moto"]))
    print(row("moto SQS: send + receive + delete (boto3)", moto_s))
    print(row("trigger-emulator: trigger + retrieve (httpx)", emu_s, moto_s, "of moto"))
    print(row("floor: the same two calls to bare respx routes", floor_s, moto_s, "of moto"))
    print(f"ratio: {emu_s / moto_s:.2f}x of moto's round trip (rounds {ratios[0]:.2f}x-{ratios[-1]:.2f}x; target <= 0.2x;"
          f" the respx floor alone is {floor_s / moto_s:.2f}x)")


def run_rounds(side: str, count: int) -> None:
    """In a child under callgrind: warm up, then ``count`` round trips of ``side``."""
    with ExitStack() as stack:
        start, roundtrip, _ = roundtrips(stack)[side]
        start()
        for _ in range(20 + count):
            roundtrip()
        sys.stdout.flush()
        os._exit(0)  # what closing costs is not the round trips'


def instructions(side: str, count: int) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--rounds", side, str(count)],
        capture_output=True, text=True, check=True,
    ).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def counted() -> None:
    """Instructions per round trip: a run with 50 more round trips than another, the
    difference divided by 50 (start-up and imports cancel out)."""
    per_round = {side: (instructions(side, 70) - instructions(side, 20)) / 50 for side in SIDES}
    moto = per_round["moto"]
    for side, name in zip(SIDES, ("moto SQS: send + receive + delete", "trigger-emulator: trigger + retrieve",
                                  "floor: the same two calls to bare respx routes")):
        print(f"{name:<58} {per_round[side] / 1e6:8.2f} M instructions   {per_round[side] / moto:5.2f}x of moto")


def main() -> None:
    if sys.argv[1:2] == ["--rounds"]:
        run_rounds(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ["--instructions"]:
        counted()
    else:
        timed()


if __name__ == "__main__":
    main()
