"""``trigger.dev dev`` killed with SIGKILL: its watchdog reports the runs in flight, which the
emulator cancels; a restarted CLI picks up the runs queued meanwhile, and registers a new
version when a task file changes."""

from __future__ import annotations

import os
import time

import httpx
import pytest

from dev_worker_helpers import HAVE_CLI, project_copy, trigger, wait_for, wait_for_snapshot
from trigger_emulator import LocalEmulator

pytestmark = pytest.mark.skipif(
    not HAVE_CLI and not os.environ.get("CI"),
    reason="needs node and `npm ci` in tests/worker-project (scripts/setup.sh --with-sdk installs it)",
)


def test_sigkill_cancels_in_flight_runs_and_a_restart_picks_up_queued_ones(tmp_path):
    project = project_copy(tmp_path)
    with LocalEmulator() as emu:
        first = emu.dev_worker(project)
        with httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {emu.worker_key}"}, timeout=10) as api:
            try:
                in_flight = trigger(api, "slow")
                wait_for_snapshot(api, in_flight, "EXECUTING")
                first.kill()
                killed = time.monotonic()
                run = wait_for(api, in_flight, timeout=15)
                assert run["status"] == "CANCELED" and run["error"]["message"] == "Dev session ended (CLI exited)"
                print(f"canceled {time.monotonic() - killed:.1f} s after the kill")
                queued = trigger(api, "hello", {"name": "later"})
                time.sleep(1.5)
                assert api.get(f"/api/v3/runs/{queued}").json()["status"] == "QUEUED"
            finally:
                first.stop()
            second = emu.dev_worker(project)
            try:
                assert second.worker["id"] != first.worker["id"]
                second_version = second.worker["version"]
                run = wait_for(api, queued, timeout=30)
                assert run["status"] == "COMPLETED" and run["output"] == {"greeting": "Hello, later!"}
                # An edited task file: the CLI rebuilds, registers a new version and runs the new task.
                with open(project / "src" / "trigger" / "tasks.ts", "a") as source:
                    source.write('\nexport const added = task({ id: "added", run: async () => ({ added: true }) });\n')
                rebuilt = second.wait_for_rebuild()
                assert "added" in rebuilt["tasks"] and rebuilt["version"] != second_version
                assert wait_for(api, trigger(api, "added"), timeout=30)["output"] == {"added": True}
            finally:
                second.stop()
