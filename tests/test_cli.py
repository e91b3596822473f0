"""``trigger-emulator serve``: a real server process on a SQLite file."""

import signal

import httpx

from conftest import start_server, stop_server


def test_state_survives_a_restart_and_ctrl_c_exits_cleanly(tmp_path):
    db = tmp_path / "state.sqlite3"
    first = start_server(db)
    headers = {"Authorization": f"Bearer {first.key}"}
    run_id = httpx.post(f"{first.url}/api/v1/tasks/t/trigger", json={"payload": {"keep": 1}}, headers=headers).json()["id"]
    stop_server(first, signal.SIGINT)
    assert first.process.returncode == 0
    output = first.process.stdout.read()
    assert "TRIGGER_SECRET_KEY=" + first.key in output and "TRIGGER_API_URL=" + first.url in output

    second = start_server(db)
    try:
        body = httpx.get(f"{second.url}/api/v3/runs/{run_id}", headers=headers).json()
        assert body["id"] == run_id and body["payload"] == {"keep": 1}
        again = httpx.post(f"{second.url}/api/v1/tasks/t/trigger", json={}, headers=headers)
        assert again.status_code == 200
        assert httpx.get(f"{second.url}/healthz").status_code == 200
        assert httpx.get(f"{second.url}/nope").json() == {"error": "Not found"}
    finally:
        stop_server(second)


def test_clock_control_over_http_in_server_mode(tmp_path):
    srv = start_server(tmp_path / "s.sqlite3")
    try:
        headers = {"Authorization": f"Bearer {srv.key}"}
        run_id = httpx.post(f"{srv.url}/api/v1/tasks/t/trigger", json={"options": {"delay": "1h"}}, headers=headers).json()["id"]
        httpx.post(f"{srv.url}/__emulator/clock", json={"advance": "1h"})
        assert httpx.get(f"{srv.url}/api/v3/runs/{run_id}", headers=headers).json()["status"] == "QUEUED"
    finally:
        stop_server(srv)


def test_check_sdk_against_another_emulator_reports_every_scenario(tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    contract = Path(__file__).parent / "contract" / "node_modules"
    if (shutil.which("node") is None or not contract.exists()) and not os.environ.get("CI"):
        pytest.skip("needs node and npm ci in tests/contract")
    srv = start_server(tmp_path / "target.sqlite3")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "trigger_emulator", "check-sdk", "--base-url", srv.url, "--key", srv.key, "errors", "batch_small"],
            capture_output=True, text=True, timeout=300,
        )
    finally:
        stop_server(srv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok    errors" in done.stdout and "ok    batch_small" in done.stdout
