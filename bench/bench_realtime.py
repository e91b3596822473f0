"""Realtime long-polls against ``trigger-emulator serve``: the server's RSS while 1,000 live
polls (one per run, as 1,000 open ``useRealtimeRun`` pages would hold) wait idle, beside the
same server's RSS before any poll (the baseline, same run); how long one state change (the
clock passing the runs' TTL: one unit of work expiring all 1,000) takes to answer all of them;
and the RSS after each of several rounds, half of them ended by the clients hanging up, to show
that answered or abandoned waiters leave nothing behind.

Run: .venv/bin/python bench/bench_realtime.py [polls] [rounds]
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_server import free_port, rss_kib, wait_up  # noqa: E402

KEY = "tr_dev_realtimeBenchKey000000001"


def make_runs(client: httpx.Client, count: int) -> list[tuple[str, str, str]]:
    """``count`` queued runs (one batch) and each run's snapshot handle and offset."""
    lines = "".join(json.dumps({"index": i, "task": "page", "payload": {"i": i}}) + "\n" for i in range(count))
    batch = client.post("/api/v3/batches", json={"runCount": count}).json()["id"]
    client.post(f"/api/v3/batches/{batch}/items", content=lines.encode(), headers={"content-type": "application/x-ndjson"})
    run_ids = client.get(f"/api/v2/batches/{batch}").json()["runs"]
    out = []
    for run_id in run_ids:
        first = client.get(f"/realtime/v1/runs/{run_id}", params={"offset": "-1", "log": "full"})
        out.append((run_id, first.headers["electric-handle"], first.headers["electric-offset"]))
    return out


async def open_poll(port: int, run: tuple[str, str, str]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    run_id, handle, offset = run
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    path = f"/realtime/v1/runs/{run_id}?handle={handle}&live=true&log=full&offset={offset}"
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
                 f"Connection: close\r\n\r\n".encode())
    await writer.drain()
    return reader, writer


async def answer(reader: asyncio.StreamReader) -> bytes:
    return await reader.read()  # Connection: close, so the body ends with the connection


async def round_trip(port: int, runs: list, client: httpx.Client, server_pid: int, hang_up: bool) -> tuple[int, float, float]:
    """Open one poll per run, measure RSS once all wait, then end them: by a state change or
    by the clients hanging up. Returns (RSS while waiting in KiB, seconds until all waited,
    seconds until all were answered or freed)."""
    start = time.perf_counter()
    polls = await asyncio.gather(*(open_poll(port, run) for run in runs))
    while (await asyncio.to_thread(client.get, "/__emulator/realtime")).json()["waiting"] < len(runs):
        await asyncio.sleep(0.01)
    registered = time.perf_counter() - start
    waiting_rss = rss_kib(server_pid, "VmRSS")
    elapsed = 0.0
    if hang_up:
        start = time.perf_counter()
        for _, writer in polls:
            writer.transport.abort()
        while (await asyncio.to_thread(client.get, "/__emulator/realtime")).json()["waiting"]:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - start
    else:
        start = time.perf_counter()
        await asyncio.to_thread(client.post, "/__emulator/clock", json={"advance": "11m"})
        bodies = await asyncio.gather(*(answer(reader) for reader, _ in polls))
        elapsed = time.perf_counter() - start
        assert all(b"EXPIRED" in body for body in bodies), bodies[0][:300]
        for _, writer in polls:
            writer.close()
    return waiting_rss, registered, elapsed


def main() -> None:
    polls = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "trigger_emulator", "serve", "--port", str(port),
                                   "--db", str(Path(tmp) / "rt.sqlite3"), "--key", KEY, "--batch-rate-limit", "off",
                                   "--rate-limit", "off"], stdout=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_up(url + "/healthz")
            results = []
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
                make_runs(client, polls)  # warm every code path once before the baseline
                baseline = rss_kib(server.pid, "VmRSS")
                for n in range(rounds):
                    runs = make_runs(client, polls)
                    before = rss_kib(server.pid, "VmRSS")
                    waiting, registered, elapsed = asyncio.run(round_trip(port, runs, client, server.pid, hang_up=n % 2 == 1))
                    after = rss_kib(server.pid, "VmRSS")
                    results.append((n, before, waiting, after, registered, elapsed, n % 2 == 1))
        finally:
            server.terminate()
            server.wait()

    print(f"realtime long-polls against trigger-emulator serve: {polls:,} idle live polls, one per run")
    print(f"  baseline: server RSS before any poll            {baseline / 1024:8.1f} MiB")
    for n, before, waiting, after, registered, elapsed, hung_up in results:
        ended = (f"clients hung up, all freed in {elapsed * 1000:5.0f} ms" if hung_up
                 else f"one clock move answered all in {elapsed * 1000:5.0f} ms")
        print(f"  round {n + 1}: {before / 1024:6.1f} MiB before, {waiting / 1024:6.1f} MiB with {polls:,} waiting "
              f"({waiting / baseline:4.2f}x baseline; all waiting after {registered * 1000:5.0f} ms), "
              f"{after / 1024:6.1f} MiB after ({after / baseline:4.2f}x); {ended}")
    growth = results[-1][3] - results[0][3]
    print(f"  RSS after the last round vs the first: {growth / 1024:+.1f} MiB over {rounds - 1} more rounds "
          f"({growth / max(1, (rounds - 1) * polls) * 1024:.0f} bytes per finished poll)")


if __name__ == "__main__":
    main()
