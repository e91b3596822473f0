"""Shared by the dev-worker tests: a private copy of tests/worker-project (so two test
processes never share the CLI's ``.trigger/`` lock), and polling the API for a run."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).parent / "worker-project"
HAVE_CLI = shutil.which("node") is not None and (PROJECT / "node_modules" / "trigger.dev").exists()
FINAL = {"COMPLETED", "FAILED", "CANCELED", "CRASHED", "SYSTEM_FAILURE", "EXPIRED", "TIMED_OUT"}


def project_copy(tmp: Path) -> Path:
    """The worker project in ``tmp``, its node_modules linked, not copied."""
    target = tmp / "worker-project"
    shutil.copytree(PROJECT, target, ignore=shutil.ignore_patterns("node_modules", ".trigger"))
    os.symlink(PROJECT / "node_modules", target / "node_modules")
    return target


def trigger(client: httpx.Client, task: str, payload=None, **options) -> str:
    answer = client.post(f"/api/v1/tasks/{task}/trigger", json={"payload": payload if payload is not None else {}, "options": options})
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def wait_for(client: httpx.Client, run_id: str, statuses=FINAL, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/v3/runs/{run_id}").json()
        if run.get("status") in statuses:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"{run_id} is still {run.get('status')} after {timeout} s")
        time.sleep(0.05)


def latest_snapshot(client: httpx.Client, run_id: str) -> dict:
    """The run's engine state; ``{"snapshot": {"executionStatus": None}}`` before a worker took it."""
    answer = client.get(f"/engine/v1/dev/runs/{run_id}/snapshots/latest")
    if answer.status_code == 404:
        return {"snapshot": {"executionStatus": None}}
    return answer.json()["execution"]


def wait_for_snapshot(client: httpx.Client, run_id: str, status: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        execution = latest_snapshot(client, run_id)
        if execution["snapshot"]["executionStatus"] == status:
            return execution
        if time.monotonic() > deadline:
            raise AssertionError(f"{run_id} snapshot is {execution['snapshot']['executionStatus']}, not {status}")
        time.sleep(0.05)
