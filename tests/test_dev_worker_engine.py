"""The dev worker's engine routes driven by hand (no Node): the contract's answers to good and
bad requests, the snapshot chain, waits on the emulator clock, and persistence across a restart."""

from __future__ import annotations

import httpx
import pytest

from conftest import start_server, stop_server

PAT = {"Authorization": "Bearer tr_pat_emulatorlocal0000000000000000000000"}
TEXT = {"content-type": "text/plain;charset=UTF-8"}


def manifest(*tasks: str) -> dict:
    return {"localOnly": True, "engine": "V2", "supportsLazyAttempts": True,
            "metadata": {"packageVersion": "4.8.3", "cliPackageVersion": "4.8.3", "contentHash": "abc",
                         "tasks": [{"id": t, "filePath": f"src/trigger/{t}.ts", "maxDuration": 300} for t in tasks]}}


def register(api, *tasks: str) -> dict:
    answer = api.post("/api/v1/projects/proj_x/background-workers", json=manifest(*tasks))
    assert answer.status_code == 200, answer.text
    return answer.json()


def dequeue(api, worker_id: str) -> list[dict]:
    answer = api.post("/engine/v1/dev/dequeue", content=f'{{"currentWorker":"{worker_id}","oldWorkers":[]}}', headers=TEXT)
    assert answer.status_code == 200, answer.text
    return answer.json()["dequeuedMessages"]


def start(api, run_id: str, snapshot_id: str) -> httpx.Response:
    return api.post(f"/engine/v1/dev/runs/{run_id}/snapshots/{snapshot_id}/attempts/start", content='{"isWarmStart":false}', headers=TEXT)


def complete(api, run_id: str, snapshot_id: str, completion: dict) -> httpx.Response:
    return api.post(f"/engine/v1/dev/runs/{run_id}/snapshots/{snapshot_id}/attempts/complete", json={"completion": completion})


def latest(api, run_id: str) -> dict:
    answer = api.get(f"/engine/v1/dev/runs/{run_id}/snapshots/latest")
    assert answer.status_code == 200, answer.text
    return answer.json()["execution"]


def running(api, trigger, task="hello", **options) -> tuple[str, dict]:
    """A run of ``task`` dequeued and started by a fresh worker: ``(run id, start answer)``."""
    worker = register(api, task, "hello")
    run_id = trigger(task, {"n": 1}, **options)
    message = next(m for m in dequeue(api, worker["id"]) if m["run"]["friendlyId"] == run_id)
    answer = start(api, run_id, message["snapshot"]["friendlyId"])
    assert answer.status_code == 200, answer.text
    return run_id, answer.json()


def test_login_and_project_answers_satisfy_the_cli(emu, api):
    assert api.get("/api/v2/whoami", headers={"Authorization": "Bearer tr_dev_nope"}).status_code == 401
    who = api.get("/api/v2/whoami", headers=PAT).json()
    assert "@" in who["email"] and who["dashboardUrl"]
    project = api.get("/api/v1/projects/proj_anything/dev", headers=PAT).json()
    assert project["apiKey"] == emu.worker_key and project["apiUrl"] and project["projectId"]
    config = api.get("/engine/v1/dev/config").json()
    assert config["dequeueIntervalWithoutRun"] == 1000 and config["maxConcurrentRuns"] == 10 and config["engineUrl"]
    variables = api.get("/api/v1/projects/proj_x/envvars").json()["variables"]
    assert variables["TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT"].endswith("/otel")


def test_a_run_goes_through_the_snapshot_chain(emu, api, trigger):
    worker = register(api, "hello")
    assert worker["version"].endswith(".1") and register(api, "hello")["version"].endswith(".2")
    run_id = trigger("hello", {"name": "x"})
    [message] = dequeue(api, worker["id"])
    assert message["snapshot"]["executionStatus"] == "PENDING_EXECUTING" and message["completedWaitpoints"] == []
    assert message["backgroundWorker"]["friendlyId"] == worker["id"] and message["run"]["friendlyId"] == run_id
    assert api.get(f"/api/v3/runs/{run_id}").json()["status"] == "DEQUEUED"
    assert dequeue(api, worker["id"]) == []
    started = start(api, run_id, message["snapshot"]["friendlyId"]).json()
    execution = started["execution"]
    assert started["run"]["attemptNumber"] == 1 and started["snapshot"]["executionStatus"] == "EXECUTING"
    assert execution["run"]["id"] == run_id and execution["run"]["payload"] == '{"name":"x"}'
    assert execution["task"] == {"id": "hello", "filePath": "src/trigger/hello.ts"}
    assert all(isinstance(v, str) for v in started["envVars"].values())
    assert api.get(f"/api/v3/runs/{run_id}").json()["status"] == "EXECUTING"
    snapshot = started["snapshot"]["friendlyId"]
    done = complete(api, run_id, snapshot, {"ok": True, "id": run_id, "output": '{"json":{"a":1}}',
                                             "outputType": "application/super+json"}).json()["result"]
    assert done["attemptStatus"] == "RUN_FINISHED" and done["snapshot"]["executionStatus"] == "FINISHED"
    run = api.get(f"/api/v3/runs/{run_id}").json()
    assert run["status"] == "COMPLETED" and run["output"] == {"a": 1} and run["attemptCount"] == 1
    assert latest(api, run_id)["snapshot"]["friendlyId"] == done["snapshot"]["friendlyId"]


def test_stale_snapshots_unknown_runs_and_bad_bodies_get_the_contract_answers(api, trigger):
    run_id, started = running(api, trigger)
    old = "snapshot_cold"
    stale = start(api, run_id, old)
    assert stale.status_code == 409 and stale.json() == {"error": "Snapshot changed inside startRunAttempt"}
    wrong = complete(api, run_id, old, {"ok": True, "id": run_id})
    assert wrong.status_code == 400 and wrong.json() == {"error": "Snapshot ID doesn't match the latest snapshot"}
    unknown = api.get("/engine/v1/dev/runs/run_nope/snapshots/latest")
    assert unknown.status_code == 401 and unknown.text == "You don't have permissions for this run"
    assert start(api, "run_nope", old).status_code == 401
    snapshot = started["snapshot"]["friendlyId"]
    path = f"/engine/v1/dev/runs/{run_id}/snapshots/{snapshot}/attempts/complete"
    assert api.post(path, content=b"{nope", headers=TEXT).json() == {"error": "Invalid JSON"}
    assert api.post(path, content=b"", headers=TEXT).json() == {"error": "Request body is empty"}
    bad = api.post(path, json={"completion": {"ok": "yes"}})
    assert bad.status_code == 400 and bad.json()["error"] == (
        'Validation error: Expected boolean, received string at "completion.ok"; Required at "completion.id"')
    assert api.post("/engine/v1/dev/dequeue", json={"currentWorker": 5}).status_code == 400
    assert api.post("/engine/v1/dev/dequeue", json={"currentWorker": "worker_unknown"}).json() == {"dequeuedMessages": []}
    assert api.post(f"/engine/v1/runs/{run_id}/wait/duration", json={"date": "soon"}).status_code == 400
    assert api.post("/engine/v1/dev/disconnect", content=b"[1]", headers=TEXT).status_code == 400
    assert api.post("/engine/v1/dev/dequeue", content=b'{"currentWorker":"w"}').status_code == 200
    assert api.get("/engine/v1/dev/config", headers={"Authorization": "Bearer nope"}).status_code == 401
    for body in (b"null", b"0", b'"x"', b"[]", b"{}", "\ud800".encode("utf-8", "surrogatepass")):
        for route in (path, "/engine/v1/dev/dequeue", "/engine/v1/dev/disconnect", f"/engine/v1/runs/{run_id}/wait/duration"):
            assert api.post(route, content=body, headers=TEXT).status_code == 400, (route, body)
    assert complete(api, run_id, snapshot, {"ok": True, "id": run_id}).status_code == 200
    finished = complete(api, run_id, latest(api, run_id)["snapshot"]["friendlyId"], {"ok": True, "id": run_id})
    assert finished.status_code == 400 and finished.json() == {"error": "Run is already finished"}


def test_a_retry_keeps_the_attempt_then_the_next_start_counts_it(api, trigger):
    run_id, started = running(api, trigger)
    error = {"type": "BUILT_IN_ERROR", "name": "Error", "message": "boom", "stackTrace": "Error: boom"}
    retry = complete(api, run_id, started["snapshot"]["friendlyId"],
                     {"ok": False, "id": run_id, "error": error, "retry": {"timestamp": 1, "delay": 100}}).json()["result"]
    assert retry["attemptStatus"] == "RETRY_IMMEDIATELY" and retry["run"]["attemptNumber"] == 1
    assert retry["snapshot"]["executionStatus"] == "EXECUTING"
    assert api.get(f"/api/v3/runs/{run_id}").json()["status"] == "EXECUTING"
    second = start(api, run_id, retry["snapshot"]["friendlyId"]).json()
    assert second["run"]["attemptNumber"] == 2
    failed = complete(api, run_id, second["snapshot"]["friendlyId"], {"ok": False, "id": run_id, "error": error}).json()
    assert failed["result"]["run"]["status"] == "COMPLETED_WITH_ERRORS"
    run = api.get(f"/api/v3/runs/{run_id}").json()
    assert run["status"] == "FAILED" and run["attemptCount"] == 2 and run["error"]["message"] == "boom"


def test_a_wait_for_duration_ends_on_the_emulator_clock(emu, api, trigger):
    import time

    run_id, started = running(api, trigger)
    date = time.time() * 1000 + 24 * 3600 * 1000
    from datetime import datetime, timezone

    iso = datetime.fromtimestamp(date / 1000, timezone.utc).isoformat().replace("+00:00", "Z")
    waited = api.post(f"/engine/v1/runs/{run_id}/wait/duration", content=f'{{"date":"{iso}"}}', headers=TEXT).json()
    assert waited["waitpoint"]["id"].startswith("waitpoint_")
    blocked = latest(api, run_id)
    assert blocked["snapshot"]["executionStatus"] == "EXECUTING_WITH_WAITPOINTS" and blocked["completedWaitpoints"] == []
    emu.advance(hours=23, minutes=59)
    assert latest(api, run_id)["snapshot"]["executionStatus"] == "EXECUTING_WITH_WAITPOINTS"
    emu.advance(minutes=1, seconds=1)
    resumed = latest(api, run_id)
    assert resumed["snapshot"]["executionStatus"] == "EXECUTING"
    assert resumed["snapshot"]["description"] == "Run was continued, whilst still executing."
    [wp] = resumed["completedWaitpoints"]
    assert wp["friendlyId"] == waited["waitpoint"]["id"] and wp["type"] == "DATETIME" and wp["outputIsError"] is False


def test_trigger_and_wait_blocks_the_parent_until_the_child_finishes(api, trigger):
    parent_id, started = running(api, trigger, "parent")
    child_id = trigger("hello", {"c": 1}, parentRunId=parent_id, resumeParentOnCompletion=True)
    assert latest(api, parent_id)["snapshot"]["executionStatus"] == "EXECUTING_WITH_WAITPOINTS"
    assert api.get(f"/api/v3/runs/{child_id}").json()["status"] == "QUEUED"  # no worker dequeued it
    api.post(f"/api/v2/runs/{child_id}/cancel")
    resumed = latest(api, parent_id)
    [wp] = resumed["completedWaitpoints"]
    assert wp["type"] == "RUN" and wp["completedByTaskRun"]["friendlyId"] == child_id and wp["outputIsError"] is True
    assert '"Canceled by user"' in wp["output"]


def test_a_version_no_worker_registered_is_refused_like_production(api, trigger):
    register(api, "hello")
    response = api.post("/api/v1/tasks/hello/trigger", json={"payload": {}, "options": {"lockToVersion": "20990101.1"}})
    assert response.status_code == 422
    assert response.json() == {"error": "Task locked to version '20990101.1', but no worker found with that version."}


def test_a_locked_version_missing_the_task_waits_as_pending_version(api, trigger):
    old = register(api, "other")
    worker = register(api, "hello")
    run_id = trigger("hello", {}, lockToVersion=old["version"])
    assert dequeue(api, worker["id"]) == []
    assert api.get(f"/api/v3/runs/{run_id}").json()["status"] == "PENDING_VERSION"
    locked = trigger("hello", {}, lockToVersion=worker["version"])
    [message] = dequeue(api, old["id"])
    assert message["run"]["friendlyId"] == locked and message["backgroundWorker"]["friendlyId"] == worker["id"]


def test_disconnect_cancels_the_runs_it_names(api, trigger):
    run_id, _ = running(api, trigger)
    idle = trigger("hello", {})
    answer = api.post("/engine/v1/dev/disconnect", content=f'{{"runFriendlyIds":["{run_id}","run_nope"]}}', headers=TEXT)
    assert answer.json() == {"cancelled": 1}
    run = api.get(f"/api/v3/runs/{run_id}").json()
    assert run["status"] == "CANCELED" and run["error"]["message"] == "Dev session ended (CLI exited)"
    assert latest(api, run_id)["snapshot"]["executionStatus"] == "FINISHED"
    assert api.get(f"/api/v3/runs/{idle}").json()["status"] == "QUEUED"


def test_a_server_restart_loses_no_run_or_waitpoint(tmp_path):
    server = start_server(tmp_path / "state.sqlite3")
    headers = {"Authorization": f"Bearer {server.key}"}
    try:
        with httpx.Client(base_url=server.url, headers=headers) as api:
            project = api.get("/api/v1/projects/p/dev", headers=PAT).json()
            assert project["apiKey"] == server.key
            worker = register(api, "hello")
            run_id = api.post("/api/v1/tasks/hello/trigger", json={"payload": {}}).json()["id"]
            queued = api.post("/api/v1/tasks/hello/trigger", json={"payload": {}}).json()["id"]
            [message] = [m for m in dequeue(api, worker["id"]) if m["run"]["friendlyId"] == run_id][:1] or [None]
            assert message is not None
            started = start(api, run_id, message["snapshot"]["friendlyId"]).json()
            wp = api.post(f"/engine/v1/runs/{run_id}/wait/duration", json={"date": "2999-01-01T00:00:00Z"}).json()
        import signal

        stop_server(server, signal.SIGKILL)
        server = start_server(tmp_path / "state.sqlite3", key=server.key)
        with httpx.Client(base_url=server.url, headers=headers) as api:
            blocked = latest(api, run_id)
            assert blocked["snapshot"]["executionStatus"] == "EXECUTING_WITH_WAITPOINTS"
            assert blocked["run"]["attemptNumber"] == started["run"]["attemptNumber"]
            assert api.get(f"/api/v3/runs/{queued}").json()["status"] in ("QUEUED", "DEQUEUED")
            api.post("/__emulator/clock", json={"set": "2999-01-01T00:00:01Z"})
            assert latest(api, run_id)["completedWaitpoints"][0]["friendlyId"] == wp["waitpoint"]["id"]
    finally:
        stop_server(server)


def test_a_test_completing_a_running_task_tells_the_worker_it_finished(emu, api, trigger):
    run_id, started = running(api, trigger)
    emu.complete(run_id, {"from": "python"})
    execution = latest(api, run_id)
    assert execution["snapshot"]["executionStatus"] == "FINISHED" and execution["run"]["status"] == "COMPLETED_SUCCESSFULLY"
    late = complete(api, run_id, execution["snapshot"]["friendlyId"], {"ok": True, "id": run_id})
    assert late.status_code == 400 and late.json() == {"error": "Run is already finished"}
    assert api.get(f"/api/v3/runs/{run_id}").json()["output"] == {"from": "python"}


def test_waitpoint_tokens_complete_once_and_time_out_on_the_clock(emu, api, trigger):
    created = api.post("/api/v1/waitpoints/tokens", json={"timeout": "1h", "idempotencyKey": "k", "tags": ["a"]})
    assert created.status_code == 200 and created.headers["x-trigger-jwt"].count(".") == 2
    token = created.json()["id"]
    assert api.post("/api/v1/waitpoints/tokens", json={"idempotencyKey": "k"}).json()["isCached"] is True
    assert api.get(f"/api/v1/waitpoints/tokens/{token}").json()["status"] == "WAITING"
    run_id, _ = running(api, trigger)
    assert api.post(f"/engine/v1/runs/{run_id}/waitpoints/tokens/{token}/wait", json={}).json() == {"success": True}
    assert api.post(f"/engine/v1/runs/{run_id}/waitpoints/tokens/waitpoint_nope/wait", json={}).status_code == 404
    emu.advance(hours=1, seconds=1)
    [wp] = latest(api, run_id)["completedWaitpoints"]
    assert wp["type"] == "MANUAL" and wp["outputIsError"] is True and "TRIGGER_WAITPOINT_TIMEOUT" in wp["output"]
    assert api.get(f"/api/v1/waitpoints/tokens/{token}").json()["status"] == "TIMED_OUT"
    assert api.post(f"/api/v1/waitpoints/tokens/{token}/complete", json={"data": 1}).json() == {"success": True}
    assert api.get(f"/api/v1/waitpoints/tokens/{token}").json()["status"] == "TIMED_OUT"
    other = emu.create_token(env_key=emu.secret_key)
    assert emu.complete_token(other, {"ok": True}).status == "COMPLETED"
    done = api.get(f"/api/v1/waitpoints/tokens/{other.id}").json()
    assert done["status"] == "COMPLETED" and done["output"] == '{"json":{"ok":true}}' and done["outputType"] == "application/super+json"
    assert api.post("/api/v1/waitpoints/tokens/waitpoint_nope/complete", json={}).status_code == 404


def test_serve_prints_the_access_token_and_keeps_the_worker_key_across_restarts(tmp_path):
    import os
    import re
    import socket
    import subprocess
    import sys
    import time

    def serve() -> tuple[subprocess.Popen, str]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "TRIGGER_SECRET_KEY"}
        process = subprocess.Popen([sys.executable, "-m", "trigger_emulator", "serve", "--port", str(port), "--db",
                                    str(tmp_path / "s.sqlite3")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    return process, url
            except httpx.TransportError:
                time.sleep(0.05)
        process.kill()
        raise AssertionError("serve did not start")

    def stop(process: subprocess.Popen) -> str:
        process.terminate()
        return process.communicate(timeout=15)[0]

    process, url = serve()
    key = httpx.get(url + "/api/v1/projects/p/dev", headers=PAT).json()["apiKey"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as api:
        register(api, "hello")
    printed = stop(process)
    assert f"export TRIGGER_SECRET_KEY={key}" in printed
    assert re.search(r"export TRIGGER_ACCESS_TOKEN=tr_pat_\w+", printed)
    process, url = serve()
    try:
        assert httpx.get(url + "/api/v1/projects/p/dev", headers=PAT).json()["apiKey"] == key
    finally:
        assert f"export TRIGGER_SECRET_KEY={key}" in stop(process)
