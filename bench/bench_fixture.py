"""Per-test cost of the ``trigger_emulator`` fixture against a bare respx mock, measured in
the same run: (a) set-up + teardown alone, (b) set-up + one trigger + assert_triggered +
teardown. Driven through pytest itself (pytester-like subprocess runs would time pytest).

Run: .venv/bin/python bench/bench_fixture.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

N = 400
SUITE = textwrap.dedent(
    f'''
    import time, httpx, pytest
    TIMES = {{}}
    CLIENT = httpx.Client()  # one client: creating one costs ~30 ms of TLS set-up on its own

    @pytest.fixture(autouse=True)
    def _clock(request):
        start = time.perf_counter()
        yield
        TIMES.setdefault(request.node.originalname, []).append(time.perf_counter() - start)

    def pytest_sessionfinish():
        pass

    @pytest.mark.parametrize("n", range({N}))
    def test_bare_respx(respx_mock, n):
        pass

    @pytest.mark.parametrize("n", range({N}))
    def test_emulator_fixture(trigger_emulator, n):
        pass

    @pytest.mark.parametrize("n", range({N}))
    def test_bare_respx_trigger(respx_mock, n):
        respx_mock.post("https://api.trigger.dev/api/v1/tasks/t/trigger").respond(json={{"id": "run_x", "isCached": False}})
        r = CLIENT.post("https://api.trigger.dev/api/v1/tasks/t/trigger", json={{"payload": {{"n": n}}}})
        assert r.json()["id"] == "run_x" and respx_mock.calls.call_count == 1

    @pytest.mark.parametrize("n", range({N}))
    def test_emulator_trigger(trigger_emulator, n):
        CLIENT.post("https://api.trigger.dev/api/v1/tasks/t/trigger",
                   headers={{"Authorization": "Bearer " + trigger_emulator.secret_key}}, json={{"payload": {{"n": n}}}})
        trigger_emulator.assert_triggered("t", payload={{"n": n}})

    def test_zz_report():
        import json
        print("TIMES=" + json.dumps({{k: v for k, v in TIMES.items()}}))
    '''
)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_bench_fixture.py"
        path.write_text(SUITE)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:randomly", str(path)],
            capture_output=True, text=True, cwd=tmp,
        )
    line = next((l[l.index("TIMES="):] for l in done.stdout.splitlines() if "TIMES=" in l), None)
    if line is None:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(1)
    import json

    times = {k: statistics.median(v[20:]) for k, v in json.loads(line[6:]).items()}  # skip warm-up
    base, emu = times["test_bare_respx"], times["test_emulator_fixture"]
    print(f"{'fixture set-up + teardown (median of ' + str(N - 20) + ')':<58} respx {base * 1000:7.3f} ms   emulator {emu * 1000:7.3f} ms   "
          f"overhead {(emu - base) * 1000:6.3f} ms (target < 2 ms)")
    base, emu = times["test_bare_respx_trigger"], times["test_emulator_trigger"]
    print(f"{'set-up + one trigger + assert + teardown':<58} respx {base * 1000:7.3f} ms   emulator {emu * 1000:7.3f} ms   "
          f"ratio {emu / base:5.2f}x")


if __name__ == "__main__":
    main()
