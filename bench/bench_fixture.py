"""Per-test cost of the ``trigger_emulator`` fixture against a bare ``respx_mock``, as pytest
itself reports it (setup + call + teardown durations of each test, from
``pytest_runtest_logreport``), for the shape users write: a module-level ``httpx.Client``
created before any fixture, one trigger, one ``assert_triggered``. Also: ``assert_triggered``
with 10,000 stored runs of other tasks, and the set-up cost after many runs were made.

Run: .venv/bin/python bench/bench_fixture.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

N = 300
CONFTEST = textwrap.dedent(
    """
    import json, os
    DURATIONS = {}

    def pytest_runtest_logreport(report):
        name = report.nodeid.split("::")[-1].split("[")[0]
        DURATIONS.setdefault(name, {}).setdefault(report.nodeid, 0.0)
        DURATIONS[name][report.nodeid] += report.duration

    def pytest_sessionfinish(session):
        with open(os.environ["BENCH_OUT"], "w") as f:
            json.dump({k: list(v.values()) for k, v in DURATIONS.items()}, f)
    """
)
SUITE = textwrap.dedent(
    f'''
    import httpx, pytest
    CLIENT = httpx.Client()  # module level, as applications hold theirs
    URL = "https://api.trigger.dev/api/v1/tasks/t/trigger"

    @pytest.mark.parametrize("n", range({N}))
    def test_bare_respx(respx_mock, n):
        respx_mock.post(URL).respond(json={{"id": "run_x", "isCached": False}})
        r = CLIENT.post(URL, headers={{"Authorization": "Bearer tr_dev_x"}}, json={{"payload": {{"n": n}}}})
        assert r.json()["id"] == "run_x" and respx_mock.calls.call_count == 1

    @pytest.mark.parametrize("n", range({N}))
    def test_emulator(trigger_emulator, n):
        r = CLIENT.post(URL, headers={{"Authorization": "Bearer " + trigger_emulator.secret_key}},
                        json={{"payload": {{"n": n}}}})
        assert r.status_code == 200
        trigger_emulator.assert_triggered("t", payload={{"n": n}})

    @pytest.mark.parametrize("n", range({N}))
    def test_emulator_after_batches(trigger_emulator, n):
        # each test leaves 50 runs behind: isolation must not get slower as earlier tests made runs
        items = "\\n".join(f'{{{{"index": {{i}}, "task": "other", "payload": {{{{}}}}}}}}' for i in range(50))
        key = {{"Authorization": "Bearer " + trigger_emulator.secret_key}}
        batch = CLIENT.post("https://api.trigger.dev/api/v3/batches", headers=key, json={{"runCount": 50}}).json()
        CLIENT.post(f"https://api.trigger.dev/api/v3/batches/{{batch['id']}}/items", headers=key, content=items)
        CLIENT.post(URL, headers=key, json={{"payload": {{"n": n}}}})
        trigger_emulator.assert_triggered("t", payload={{"n": n}})
    '''
)
BIG = textwrap.dedent(
    """
    import time, httpx, json
    from trigger_emulator import LocalEmulator, Config

    with LocalEmulator(Config(batch_rate_limit=None)) as emu:
        api = emu.client()
        for start in range(0, 10_000, 1000):
            batch = api.post("/api/v3/batches", json={"runCount": 1000}).json()
            lines = "\\n".join(json.dumps({"index": i, "task": "other", "payload": {"i": start + i}}) for i in range(1000))
            api.post(f"/api/v3/batches/{batch['id']}/items", content=lines)
        api.post("/api/v1/tasks/t/trigger", json={"payload": {"n": 1}})
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            emu.assert_triggered("t", payload={"n": 1})
            times.append(time.perf_counter() - t0)
        times.sort()
        print(json.dumps({"assert_10k": times[len(times) // 2]}))
    """
)


ROUNDS = 3


def _run(tmp: str, selection: str) -> dict[str, list[float]]:
    out = Path(tmp, "durations.json")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-k", selection,
         "test_bench_fixture.py"],
        capture_output=True, text=True, cwd=tmp, env={**__import__("os").environ, "BENCH_OUT": str(out)},
    )
    if done.returncode != 0 or not out.exists():
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(1)
    return {k: v[20:] for k, v in json.loads(out.read_text()).items()}  # skip warm-up


def main() -> None:
    # The bare and the emulator tests run in separate pytest processes (one suite's patches
    # never help the other's), alternating for a few rounds so both sample the same minutes
    # of a shared machine whose speed drifts.
    durations: dict[str, list[float]] = {}
    after: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "conftest.py").write_text(CONFTEST)
        Path(tmp, "test_bench_fixture.py").write_text(SUITE)
        for _ in range(ROUNDS):
            for selection in ("test_bare_respx", "test_emulator and not after"):
                for name, values in _run(tmp, selection).items():
                    durations.setdefault(name, []).extend(values)
        after = _run(tmp, "after_batches")["test_emulator_after_batches"]
    durations["test_emulator_after_batches"] = after
    med = {k: statistics.median(v) * 1000 for k, v in durations.items()}
    base, emu, later = med["test_bare_respx"], med["test_emulator"], med["test_emulator_after_batches"]
    print(f"{'one trigger + assert_triggered, whole test (median)':<55} respx {base:6.3f} ms  emulator {emu:6.3f} ms  "
          f"ratio {emu / base:4.2f}x (target <= 1.5x)  overhead {emu - base:5.3f} ms (target < 1 ms)")
    first = statistics.median(after[:40]) * 1000
    last = statistics.median(after[-40:]) * 1000
    print(f"{'same after 50 more runs per test: first vs last 40 tests':<55} {first:6.3f} ms vs {last:6.3f} ms  "
          f"ratio {last / first:4.2f}x (isolation cost independent of earlier runs: ~1x)  [{later:6.3f} ms median]")
    big = subprocess.run([sys.executable, "-c", BIG], capture_output=True, text=True)
    if big.returncode != 0:
        print(big.stderr[-2000:])
        raise SystemExit(1)
    ms = json.loads(big.stdout.strip().splitlines()[-1])["assert_10k"] * 1000
    print(f"{'assert_triggered with 10,000 runs of other tasks stored':<55} {ms:6.3f} ms (target < 5 ms)")


if __name__ == "__main__":
    main()
