"""``trigger-emulator serve`` over loopback: triggers per second with 16 concurrent clients and
p50/p99 latency, beside a bare uvicorn app answering a canned JSON body (the same server
stack's floor) measured in the same run; then the server's peak RSS after 100,000 runs,
beside its RSS when idle.

Run: .venv/bin/python bench/bench_server.py [runs_for_memory]
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CONCURRENCY = 16
REQUESTS = 3000
CANNED_APP = '''
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"id":"run_cbench000000000000000000","isCached":false}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, key: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    counter = iter(range(REQUESTS))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, headers={"Authorization": f"Bearer {key}"}) as client:
        async def worker() -> None:
            for n in counter:
                start = time.perf_counter()
                r = await client.post("/api/v1/tasks/load/trigger", json={"payload": {"n": n}})
                latencies.append(time.perf_counter() - start)
                assert r.status_code == 200, r.text

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    return REQUESTS / elapsed, latencies


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"payload":{"n":1}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


MIXED_SCRIPT = """
local ids = {%s}
local counter = 0
function request()
  counter = counter + 1
  local pick = counter %% 10
  local headers = {["Authorization"] = "Bearer %s", ["Content-Type"] = "application/json"}
  if pick < 5 then
    return wrk.format("POST", "/api/v1/tasks/load/trigger", headers, '{"payload":{"n":1}}')
  elseif pick < 8 then
    return wrk.format("GET", "/api/v3/runs/" .. ids[(counter %% #ids) + 1], headers)
  else
    return wrk.format("GET", "/api/v1/runs?page%%5Bsize%%5D=10", headers)
  end
end
"""


def wrk(url: str, key: str, tmp: str, *, script: str | None = None, path: str = "/api/v1/tasks/load/trigger",
        connections: int = CONCURRENCY, seconds: int = 5) -> tuple[float, float, float] | None:
    """Throughput and p50/p99 (ms) from wrk (Debian's package), when it is installed: a load
    generator in C does not compete with the server for the GIL the way a Python client does."""
    import re
    import shutil

    if shutil.which("wrk") is None:
        return None
    lua = Path(tmp) / "load.lua"
    lua.write_text(script or WRK_SCRIPT % key)
    done = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(lua),
                           url + path], capture_output=True, text=True, timeout=60)
    out = done.stdout

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} failed answers")
    return rps, ms("50"), ms("99")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def start(command: list[str], tmp: str, health: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([*command, "--port", str(port)], cwd=tmp, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_up(url + health)
    return process, url


ROUNDS = 3


def main() -> None:
    memory_runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    key = "tr_dev_serverBenchKey00000000001"
    uvicorn = [sys.executable, "-m", "uvicorn", "canned:app", "--log-level", "warning"]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "canned.py").write_text(CANNED_APP)
        servers = {
            # uvicorn as the emulator runs it (httptools + uvloop, installed with it)
            "floor": start(uvicorn, tmp, "/"),
            # the floor as it was when issue #18 was filed: uvicorn without its C extras
            "h11": start([*uvicorn, "--http", "h11", "--loop", "asyncio"], tmp, "/"),
            "emulator": start([sys.executable, "-m", "trigger_emulator", "serve", "--db", str(Path(tmp) / "b.sqlite3"),
                               "--key", key, "--batch-rate-limit", "off"], tmp, "/healthz"),
        }
        mixed = None
        try:
            url = servers["emulator"][1]
            emulator_pid = servers["emulator"][0].pid
            idle_rss = rss_kib(emulator_pid, "VmRSS")
            loads: dict[str, list[tuple[float, float, float]]] = {name: [] for name in servers}
            for _ in range(ROUNDS):  # alternating rounds: the three sample the same minutes
                for name, (_, server_url) in servers.items():
                    measured = wrk(server_url, key, tmp, seconds=4)
                    if measured is not None:
                        loads[name].append(measured)
            if not loads["emulator"]:  # no wrk here: a Python client (it, not the server, is the limit)
                base_rps, base_lat = asyncio.run(load(servers["floor"][1], key))
                rps, lat = asyncio.run(load(url, key))
            for name in ("floor", "h11"):
                process, _ = servers.pop(name)
                process.terminate()
                process.wait()
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
                ids = [client.post("/api/v1/tasks/load/trigger", json={"payload": {}}).json()["id"] for _ in range(200)]
            mixed = wrk(url, key, tmp, script=MIXED_SCRIPT % (", ".join(f'"{i}"' for i in ids), key), path="/", connections=20)
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
                for offset in range(0, memory_runs, 1000):
                    lines = "".join(json.dumps({"index": i, "task": "mem", "payload": {"i": offset + i}}) + "\n" for i in range(1000))
                    batch = client.post("/api/v3/batches", json={"runCount": 1000}).json()["id"]
                    client.post(f"/api/v3/batches/{batch}/items", content=lines.encode(), headers={"content-type": "application/x-ndjson"})
                listed = client.get("/api/v1/runs", params={"page[size]": 100}).json()["data"]
                assert len(listed) == 100
            peak_rss = rss_kib(emulator_pid, "VmHWM")
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait()

    if loads["emulator"]:
        def median(name: str, i: int) -> float:
            return statistics.median(m[i] for m in loads[name])

        def ratios(floor: str) -> str:
            each = sorted(e[0] / f[0] for e, f in zip(loads["emulator"], loads[floor]))
            return f"{median('emulator', 0) / median(floor, 0):5.2f}x (rounds {each[0]:.2f}x-{each[-1]:.2f}x)"

        print(f"server over loopback, wrk: {CONCURRENCY} connections, {ROUNDS} alternating rounds of 4 s (medians)")
        for name, label in (("floor", "bare uvicorn canned JSON (floor)"), ("h11", "bare uvicorn, h11 + asyncio"),
                            ("emulator", "trigger-emulator serve (SQLite)")):
            print(f"  {label:<34} {median(name, 0):8.0f} req/s   p50 {median(name, 1):6.2f} ms   p99 {median(name, 2):6.2f} ms")
        print(f"  the emulator: {ratios('floor')} of the floor's throughput, {ratios('h11')} of the h11 floor's")
    else:
        print(f"server over loopback, Python httpx: {CONCURRENCY} concurrent clients, {REQUESTS} triggers each (no wrk)")
        print(f"  bare uvicorn canned JSON (floor)   {base_rps:8.0f} req/s   p50 {pct(base_lat, 50):6.2f} ms   p99 {pct(base_lat, 99):6.2f} ms")
        print(f"  trigger-emulator serve (SQLite)    {rps:8.0f} req/s   p50 {pct(lat, 50):6.2f} ms   p99 {pct(lat, 99):6.2f} ms"
              f"   {rps / base_rps:5.2f}x of the floor's throughput")
    if mixed:
        print(f"  mixed load, 20 connections (50% trigger, 30% retrieve, 20% list): {mixed[0]:8.0f} req/s   "
              f"p50 {mixed[1]:6.2f} ms   p99 {mixed[2]:6.2f} ms   (target >= 1,000 req/s, p99 < 30 ms)")
    print(f"  peak RSS after {memory_runs:,} runs: {peak_rss / 1024:.1f} MiB (idle: {idle_rss / 1024:.1f} MiB, "
          f"{peak_rss / max(idle_rss, 1):.2f}x)")


if __name__ == "__main__":
    main()
