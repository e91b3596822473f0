"""The ``trigger_dev_worker`` pytest fixture, as an application's test suite uses it."""

from __future__ import annotations

import os

import pytest

from dev_worker_helpers import HAVE_CLI, project_copy

pytestmark = pytest.mark.skipif(
    not HAVE_CLI and not os.environ.get("CI"),
    reason="needs node and `npm ci` in tests/worker-project (scripts/setup.sh --with-sdk installs it)",
)


def test_an_application_test_triggers_a_real_task_and_asserts_its_output(pytester, tmp_path):
    project = project_copy(tmp_path)
    pytester.makeini(f"[pytest]\ntrigger_emulator_worker_project = {project}\n")
    pytester.makepyfile(
        """
        import os, time
        import httpx

        def test_hello(trigger_dev_worker, trigger_emulator):
            assert "hello" in trigger_dev_worker.worker["tasks"]
            headers = {"Authorization": "Bearer " + os.environ["TRIGGER_SECRET_KEY"]}
            base = os.environ["TRIGGER_API_URL"]
            run_id = httpx.post(base + "/api/v1/tasks/hello/trigger", json={"payload": {"name": "app"}},
                                headers=headers).json()["id"]
            for _ in range(600):
                run = trigger_emulator.run(run_id)
                if run.status == "COMPLETED":
                    break
                time.sleep(0.05)
            assert run.output == {"greeting": "Hello, app!"}

        def test_a_second_test_reuses_the_worker(trigger_dev_worker, trigger_emulator):
            assert trigger_emulator.secret_key == trigger_emulator.worker_key
            assert any(w["live"] for w in trigger_emulator.workers())
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=2)
