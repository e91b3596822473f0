"""The official Node SDK (@trigger.dev/sdk 4.8.3) against ``trigger-emulator serve``."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CONTRACT = Path(__file__).parent / "contract"

_HAVE_SDK = shutil.which("node") is not None and (CONTRACT / "node_modules" / "@trigger.dev" / "sdk").exists()
# In CI a missing SDK is a failure, not a skip: scripts/test.sh installs it.
pytestmark = pytest.mark.skipif(
    not _HAVE_SDK and not os.environ.get("CI"),
    reason="needs node and `npm ci` in tests/contract (scripts/test.sh installs both)",
)


def sdk(server, scenario, package="@trigger.dev/sdk"):
    env = {**os.environ, "TRIGGER_API_URL": server.url, "TRIGGER_SECRET_KEY": server.key, "SDK_PACKAGE": package}
    done = subprocess.run(
        ["node", "scenarios.mjs", scenario], cwd=CONTRACT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["ok"], out["error"]
    return out["result"]


def test_trigger_with_every_option_and_retrieve(server):
    result = sdk(server, "trigger_all_options")
    handle, run = result["handle"], result["run"]
    assert handle["id"].startswith("run_") and handle["publicAccessToken"].count(".") == 2
    assert result["againId"] == handle["id"]  # idempotent repeat
    assert run["status"] == "DELAYED" and run["taskIdentifier"] == "email-sender"
    assert run["payload"] == {"to": "a@example.com", "when": "2025-01-01T00:00:00.000Z", "n": 1}
    assert run["idempotencyKey"] == "order-42" and run["ttl"] == "1h"
    assert run["tags"] == ["a", "user:1"] and run["metadata"] == {"source": "contract"}
    assert result["plainRun"]["payload"] == "just text" and result["plainRun"]["ttl"] == "10m"


def test_delayed_run_is_queued_after_the_clock_moves(server):
    result = sdk(server, "delay_and_clock")
    before, after = result["before"], result["after"]
    assert before["status"] == "DELAYED" and before["isQueued"] is True
    from datetime import datetime, timedelta

    created = datetime.fromisoformat(before["createdAt"].replace("Z", "+00:00"))
    delayed = datetime.fromisoformat(before["delayedUntil"].replace("Z", "+00:00"))
    assert timedelta(minutes=59, seconds=59) <= delayed - created <= timedelta(hours=1, seconds=1)
    assert after["status"] == "QUEUED"


def test_reschedule_cancel_twice_and_replay(server):
    result = sdk(server, "reschedule_cancel_replay")
    assert result["rescheduled"]["status"] == "DELAYED"
    assert result["c1"] == result["c2"] == {"id": result["canceled"]["id"]}
    assert result["canceled"]["status"] == "CANCELED" and result["canceled"]["isCancelled"] is True
    assert "finishedAt" not in result["canceled"]  # cancelled before it started (issue #19 item 7)
    assert result["replayed"]["id"] != result["canceled"]["id"]
    assert result["replayRun"]["status"] == "QUEUED" and result["replayRun"]["payload"] == {"x": 1}


def test_outcomes_drive_poll(server):
    result = sdk(server, "outcomes")
    assert result["completed"]["status"] == "COMPLETED" and result["completed"]["output"] == {"done": True}
    assert result["failed"]["status"] == "FAILED" and result["failed"]["error"]["message"] == "boom"


def test_error_classes(server):
    result = sdk(server, "errors")
    assert result["tooManyTags"]["status"] == 422
    assert result["tooManyTags"]["message"] == "Runs can only have 10 tags, you're trying to set 11."
    assert result["missing"]["status"] == 404
    assert result["badMachine"]["status"] == 400 and "Invalid enum value" in result["badMachine"]["message"]


def test_batch_trigger_of_three(server):
    result = sdk(server, "batch_small")
    handle, retrieved = result["handle"], result["retrieved"]
    assert handle["batchId"].startswith("batch_") and handle["runCount"] == 3
    assert retrieved["runCount"] == 3 and len(retrieved["runs"]) == 3
    assert [run["payload"] for run in result["items"]] == [{"n": 0}, {"n": 1}, "two"]
    assert all(run["batchId"] == handle["batchId"] for run in result["items"])
    assert result["items"][1]["tags"] == ["second"]
    assert {run["triggerFunction"] for run in result["items"]} == {"batchTrigger"}


def test_batch_trigger_of_1000(server):
    result = sdk(server, "batch_1000")
    assert result["runCount"] == 1000 and result["runs"] == 1000 and result["distinct"] == 1000
    assert result["first"]["payload"] == {"n": 0} and result["last"]["payload"] == {"n": 999}


def test_batch_across_two_tasks(server):
    result = sdk(server, "batch_two_tasks")
    assert [run["taskIdentifier"] for run in result["items"]] == ["task-a", "task-b"]
    assert result["retrieved"]["status"] == "PENDING"


def test_batch_idempotency_key_returns_the_first_batch(server):
    result = sdk(server, "batch_idempotent")
    assert result["second"]["batchId"] == result["first"]["batchId"]
    assert len(result["retrieved"]["runs"]) == 2


def test_list_with_filters_returns_exactly_the_runs_made(server):
    result = sdk(server, "list_filters")
    assert sorted(result["listed"]) == sorted(result["made"]) and len(result["listed"]) == 3
    assert result["listed"] == result["made"][::-1]
    assert result["sample"]["env"]["name"] == "dev"


def test_for_await_pages_through_35_runs(server):
    assert sdk(server, "list_paging") == {"seen": 35, "distinct": 35}


def test_300_kib_payload_triggers_and_retrieves_intact(server):
    result = sdk(server, "large_payload")
    assert result == {"length": 300 * 1024, "at": "2025-01-01T00:00:00.000Z", "url": True}


def test_idempotency_key_reset_lets_a_key_trigger_anew(server):
    result = sdk(server, "idempotency_reset")
    assert result["cached"] == result["first"] and result["fresh"] != result["first"]


def test_sdk_retries_two_500s_and_creates_one_run(server):
    result = sdk(server, "retry_500_twice")
    assert result["listed"] == [result["id"]]
    assert result["elapsed"] >= 2500  # its backoff: 1000 ms, then 1600 ms


def test_sdk_waits_for_the_429_reset_then_succeeds(server):
    result = sdk(server, "retry_429_reset")
    assert result["listed"] == [result["id"]]
    assert 900 <= result["elapsed"] <= 4000  # reset in 1 s plus up to 1 s of the SDK's jitter


# Issue #19 through the SDK: items 1, 2, 4 and 5.
def test_a_failed_runs_key_stays_until_reset(server):
    result = sdk(server, "fidelity_key_after_failure")
    assert result["failedKey"] == "fail-me" and len(result["listedKey"]) == 64  # retrieve: the user's key; list: the hash
    # the first reset released it (200); the second finds no run holding it
    assert result["resetAgain"] == {"name": "NotFoundError", "status": 404, "message":
                                    f"No runs found with idempotency key: {result['listedKey']} and task: key-after-failure"}
    assert result["second"] != result["first"] and result["cached"] == result["second"]


def test_a_batch_item_that_cannot_trigger_is_a_pre_failed_run(server):
    result = sdk(server, "fidelity_batch_pre_failed")
    retrieved = result["retrieved"]
    assert len(retrieved["runs"]) == 2 and retrieved["processing"]["errors"] == []
    assert [run["status"] for run in result["items"]] == ["QUEUED", "SYSTEM_FAILURE"]
    failed = result["items"][1]
    assert failed["payload"] == {"n": 1} and failed["tags"] == [] and failed["isFailed"] is True
    assert failed["error"] == {"message": "trigger.dev internal error (BATCH_ITEM_COULD_NOT_TRIGGER)"}


def test_delay_strings_are_read_like_v8(server):
    result = sdk(server, "fidelity_dates")
    assert result["rfc"]["delayedUntil"] == "2099-01-01T10:00:00.000Z"
    assert result["legacy"]["delayedUntil"] == "2099-01-01T09:00:00.000Z"  # "GMT+0100"
    assert result["year"]["delayedUntil"] == "2049-01-01T00:00:00.000Z"  # a bare 49 is a year
    assert result["junk"]["status"] == "QUEUED" and "delayedUntil" not in result["junk"]
    assert result["duration"]["status"] == "DELAYED"
    assert result["rescheduled"]["delayedUntil"] == "2099-12-25T12:00:00.000Z"


def test_debounce_zero_seconds_and_the_422_order(server):
    result = sdk(server, "fidelity_debounce")
    assert result["first"]["status"] == "QUEUED" and result["second"] != result["first"]["id"]
    assert result["errors"] == [
        {"status": 422, "message": "Debounce requires a valid delay duration. Provided: abc"},
        {"status": 422, "message": "Invalid debounce delay: abc. Supported formats: {number}s, {number}m, {number}h or "
                                   '{number}hr, {number}d, {number}w, optionally combined (for example "2h30m").'},
    ]


def test_lock_to_version_needs_a_deployed_version(server):
    result = sdk(server, "fidelity_versions")
    assert result["run"]["version"] == "20250101.1"
    assert result["rejected"] == {"name": "UnprocessableEntityError", "status": 422, "message":
                                  "Task locked to version '20240101.1', but no worker found with that version."}


# The same scenarios with the oldest 4.x SDK that batches through POST /api/v2/tasks/batch.
OLD = "sdk-4.3.0"


def test_old_sdk_triggers_and_retrieves(server):
    result = sdk(server, "trigger_all_options", OLD)
    assert result["run"]["status"] == "DELAYED" and result["run"]["tags"] == ["a", "user:1"]
    assert result["againId"] == result["handle"]["id"]


def test_old_sdk_batches_through_v2(server):
    result = sdk(server, "batch_small", OLD)
    assert result["retrieved"]["runCount"] == 3 and len(result["items"]) == 3
    assert [run["payload"] for run in result["items"]] == [{"n": 0}, {"n": 1}, "two"]
    two = sdk(server, "batch_two_tasks", OLD)
    assert [run["taskIdentifier"] for run in two["items"]] == ["task-a", "task-b"]


def test_old_sdk_lifecycle_list_and_errors(server):
    result = sdk(server, "reschedule_cancel_replay", OLD)
    assert result["canceled"]["status"] == "CANCELED" and result["replayRun"]["status"] == "QUEUED"
    assert sdk(server, "list_paging", OLD) == {"seen": 35, "distinct": 35}
    assert sdk(server, "outcomes", OLD)["completed"]["output"] == {"done": True}
    assert sdk(server, "errors", OLD)["tooManyTags"]["status"] == 422


@pytest.mark.parametrize("tamper, expected", [
    (lambda body: body.pop("tags"), 'at "tags"'),
    (lambda body: body.update(idempotencyKey=None), "idempotencyKey"),
    (lambda body: body.update(status="RUNNING"), "status"),
])
def test_the_sdk_scenarios_catch_a_broken_answer(monkeypatch, tamper, expected):
    """The suite is only worth something if a wrong answer fails it: break retrieve's answer
    (a required field removed, null for an optional one, a bad enum) and the SDK must throw."""
    from trigger_emulator.api import presenters
    from trigger_emulator import LocalEmulator

    real = presenters.retrieve

    def broken(found, base_url, signer):
        body = real(found, base_url, signer)
        tamper(body)
        return body

    monkeypatch.setattr(presenters, "retrieve", broken)
    with LocalEmulator() as emu:
        url = emu.serve()
        env = {**os.environ, "TRIGGER_API_URL": url, "TRIGGER_SECRET_KEY": emu.secret_key}
        done = subprocess.run(["node", "scenarios.mjs", "delay_and_clock"], cwd=CONTRACT, env=env,
                              capture_output=True, text=True, timeout=120)
    out = json.loads(done.stdout)
    assert out["ok"] is False
    assert out["error"]["name"] == "ApiSchemaValidationError" and expected in out["error"]["message"]


# -- the management API (management.md) ------------------------------------------------------
def test_schedules_crud_through_the_sdk(server):
    result = sdk(server, "schedules_crud")
    created = result["created"]
    assert created["id"].startswith("sched_") and created["type"] == "IMPERATIVE" and created["active"] is True
    assert created["externalId"] == "user-1" and created["timezone"] == "Europe/London" and created["window"] == "30m"
    assert created["generator"] == {"type": "CRON", "expression": "0 * * * *", "description": "Every hour"}
    assert result["byId"]["id"] == result["byKey"]["id"] == result["again"]["id"] == created["id"]
    assert "externalId" not in result["again"] and result["again"]["timezone"] == "UTC"
    updated = result["updated"]
    assert updated["generator"]["expression"] == "30 6 * * 1-5" and updated["externalId"] == "user-2"
    assert result["deactivated"]["active"] is False and result["deactivated"]["nextRun"] is None
    assert result["activated"]["active"] is True and result["activated"]["nextRun"]
    assert len(result["firstPage"]["data"]) == 2
    assert len(result["seen"]) == len(set(result["seen"])) == result["firstPage"]["pagination"]["count"]
    assert result["deleted"] == {"id": created["id"]}
    errors = result["errors"]
    assert errors["badCron"]["status"] == 422
    assert errors["badCron"]["message"] == "Invalid cron expression: Constraint error, got value 61 expected range 0-59"
    assert errors["badTimezone"]["status"] == 422 and "Invalid IANA timezone: 'Asia/Kolkata'" in errors["badTimezone"]["message"]
    assert "is not a scheduled task" in errors["notScheduled"]["message"]
    assert "not found in project" in errors["unknownTask"]["message"]
    assert errors["missing"]["status"] == 404 and errors["missing"]["name"] == "NotFoundError"
    assert result["timezones"][0] == "UTC" and result["noUtc"] == result["timezones"][1:]


def test_scheduled_runs_carry_productions_payload_through_the_sdk(server):
    result = sdk(server, "schedule_fires")
    schedule, fired = result["schedule"], result["fired"]
    assert len(fired) == 3
    stamps = [run["payload"]["timestamp"] for run in fired]
    assert stamps == [run["createdAt"] for run in fired] == sorted(stamps)
    assert [run["payload"]["lastTimestamp"] for run in fired] == [None, *stamps[:2]]
    for run in fired:
        payload = run["payload"]
        assert payload["scheduleId"] == schedule["id"] and payload["externalId"] == "ext-9"
        assert payload["type"] == "IMPERATIVE" and payload["timezone"] == "UTC" and len(payload["upcoming"]) == 10
        assert run["schedule"]["id"] == schedule["id"] and run["schedule"]["externalId"] == "ext-9"
        assert run["taskIdentifier"] == "sdk-hourly"


def test_envvars_through_the_sdk(server):
    result = sdk(server, "envvars_crud")
    assert result["upload"] == {"success": True} and result["create"] == {"success": True}
    listed = {v["name"]: v for v in result["list"]}
    assert listed["SDK_A"] == {"name": "SDK_A", "value": "1", "isSecret": False}
    assert listed["SDK_SECRET"] == {"name": "SDK_SECRET", "value": "<redacted>", "isSecret": True}
    assert result["retrieve"] == {"name": "SDK_A", "value": "1", "isSecret": False}
    assert result["secret"]["value"] == "<redacted>"
    assert result["clash"]["status"] == 400 and "already set" in result["clash"]["message"]
    # the SDK's own bug (management.md §4.7): update outside a task never reaches the server
    assert result["updateBug"]["name"] == "ReferenceError" and "name is not defined" in result["updateBug"]["message"]
    assert result["del"] == {"success": True}
    assert result["missing"]["status"] == 404
    assert "SDK_B" not in {v["name"] for v in result["after"]}


def test_waitpoint_tokens_through_the_sdk(server):
    result = sdk(server, "waitpoint_tokens")
    token = result["token"]
    assert token["id"].startswith("waitpoint_") and token["isCached"] is False and token["publicAccessToken"].count(".") == 2
    assert result["cached"]["id"] == token["id"] and result["cached"]["isCached"] is True
    assert result["before"]["status"] == "WAITING" and result["before"]["tags"] == [result["tag"], "b"]
    assert result["completed"] == {"success": True}
    after = result["after"]
    assert after["status"] == "COMPLETED" and after["output"] == {"approved": True, "at": "2025-01-01T00:00:00.000Z"}
    assert result["timedOut"]["status"] == "TIMED_OUT"
    assert result["timedOut"]["error"]["name"] == "WaitpointTimeoutError"
    assert result["timedOut"]["error"]["message"].startswith("Waitpoint timed out at ")
    assert len(result["listed"]) == 2 and {t["status"] for t in result["listed"]} == {"COMPLETED", "TIMED_OUT"}
    assert result["waiting"] == 0


def test_queues_through_the_sdk(server):
    result = sdk(server, "queue_ops")
    own = result["own"]
    assert own["type"] == "task" and own["queued"] == 1 and own["concurrencyLimit"] == 5
    assert result["custom"]["name"] == "sdk-custom-queue" and result["custom"]["type"] == "custom"
    assert result["byId"]["id"] == own["id"] and own["name"] in result["names"]
    assert result["paused"]["paused"] is True and result["resumed"]["paused"] is False
    overridden = result["overridden"]
    assert overridden["concurrencyLimit"] == 2 and overridden["concurrency"]["base"] == 5
    assert result["reset"]["concurrencyLimit"] == 5 and result["reset"]["concurrency"]["override"] is None
    assert result["missing"]["status"] == 404
