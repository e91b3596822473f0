"""The dashboard at 100,000 runs, served by ``trigger-emulator serve`` on a file database: how
long each page takes (median over 20 loads, the list page measured beside the same page at
1,000 runs), and how much an open dashboard tab (polling the run list once a second, as the
page does) changes the API's trigger throughput under wrk (or a Python load when wrk is absent).

Run: .venv/bin/python bench/bench_dashboard.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_list import populate, populate_bulk  # noqa: E402
from bench_server import free_port, wait_up, wrk  # noqa: E402

from trigger_emulator import Config, LocalEmulator  # noqa: E402

KEY = "tr_dev_dashboardBenchKey0000001"
PAGES = {"runs list": "/", "runs list, polled rows": "/?partial=rows", "runs list, status filter": "/?status=COMPLETED",
         "batches": "/batches", "test form": "/test"}


def page_times(url: str, run_id: str) -> dict[str, float]:
    out = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        for name, path in {**PAGES, "one run": f"/runs/{run_id}"}.items():
            samples = []
            for _ in range(21):
                start = time.perf_counter()
                assert client.get(path).status_code == 200, path
                samples.append(time.perf_counter() - start)
            out[name] = statistics.median(samples[1:])
    return out


def serve(db: Path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "trigger_emulator", "serve", "--port", str(port), "--db", str(db),
                                "--key", KEY, "--batch-rate-limit", "off"], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_up(url + "/healthz")
    return process, url


def populated(db: Path, count: int) -> str:
    with LocalEmulator(Config(database=str(db), batch_rate_limit=None), secret_key=KEY) as emu, emu.client() as api:
        populate(api, min(count, 1000), 0)
        if count > 1000:
            populate_bulk(emu, count - 1000, 1000)
        return emu.runs("task-3")[-1].id


def with_a_tab(url: str, load):
    """``load()`` while a dashboard tab polls the run list once a second, as the page does."""
    stop = threading.Event()

    def tab() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                client.get("/?partial=rows")
                stop.wait(1.0)

    poller = threading.Thread(target=tab)
    poller.start()
    try:
        return load()
    finally:
        stop.set()
        poller.join()


def main() -> None:
    big = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1000, big):
            db = Path(tmp) / f"d{count}.sqlite3"
            run_id = populated(db, count)
            process, url = serve(db)
            try:
                results[count] = page_times(url, run_id)
                if count == big:
                    # alternating rounds without and with a tab, so both sample the same minutes
                    quiet_rounds, watched_rounds = [], []
                    for _ in range(3):
                        quiet_rounds.append(wrk(url, KEY, tmp, seconds=3))
                        watched_rounds.append(with_a_tab(url, lambda: wrk(url, KEY, tmp, seconds=3)))
                    quiet = watched = None
                    if all(quiet_rounds) and all(watched_rounds):
                        quiet = statistics.median(r[0] for r in quiet_rounds)
                        watched = statistics.median(r[0] for r in watched_rounds)
            finally:
                process.terminate()
                process.wait()
    print(f"dashboard pages at {big:,} runs, served from a file database (median of 20)")
    for name, value in results[big].items():
        base = results[1000][name]
        print(f"  {name:<28} {value * 1000:8.2f} ms   ({base * 1000:6.2f} ms at 1,000 runs, {value / base:4.2f}x)  target < 50 ms")
    if quiet and watched:
        change = (watched - quiet) / quiet * 100
        print(f"API triggers/s under wrk, medians of 3 alternating rounds: no dashboard {quiet:.0f}, with a dashboard "
              f"tab polling {watched:.0f} ({change:+.1f}%, target within 10%)")


if __name__ == "__main__":
    main()
