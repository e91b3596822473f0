"""The management families from Python (LocalEmulator, so the pytest fixture too): env vars,
handlers' os.environ, waitpoint tokens, declared schedules and assertions."""

import os
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time


def test_envvars_mapping_and_the_http_api_agree(emu, api):
    emu.envvars["API_URL"] = "https://example.com"
    emu.envvars.set("TOKEN", "s3cret", secret=True)
    assert dict(emu.envvars) == {"API_URL": "https://example.com", "TOKEN": "s3cret"}
    assert emu.envvars.secret("TOKEN") is True and "s3cret" not in repr(emu.envvars)
    listed = api.get("/api/v1/projects/p/envvars/dev").json()
    assert listed == [{"name": "API_URL", "value": "https://example.com", "isSecret": False},
                      {"name": "TOKEN", "value": "<redacted>", "isSecret": True}]
    del emu.envvars["API_URL"]
    assert list(emu.envvars) == ["TOKEN"]
    with pytest.raises(KeyError):
        del emu.envvars["NOPE"]
    with pytest.raises(ValueError, match="not allowed"):
        emu.envvars["TRIGGER_SECRET_KEY"] = "x"


def test_envvars_of_another_environment_are_separate(emu):
    emu.envvars["A"] = "dev"
    prod = emu.envvars.for_environment("prod")
    prod["A"] = "prod"
    assert emu.envvars["A"] == "dev" and prod["A"] == "prod"
    with pytest.raises(ValueError):
        emu.envvars.for_environment("moon")["A"] = "x"


def test_handlers_see_their_environments_variables(emu, trigger):
    seen = []
    emu.envvars["GREETING"] = "hello"
    emu.task("greet")(lambda payload: seen.append(os.environ.get("GREETING")))
    os.environ.pop("GREETING", None)
    trigger("greet")
    emu.execute()
    assert seen == ["hello"] and "GREETING" not in os.environ


def test_waitpoints_inspection_complete_and_timeout(emu, api):
    token = api.post("/api/v1/waitpoints/tokens", json={"timeout": "1h", "tags": ["order:1"]}).json()["id"]
    other = api.post("/api/v1/waitpoints/tokens", json={"idempotencyKey": "k"}).json()["id"]
    assert [t.id for t in emu.waitpoints()] == [token, other]
    assert [t.id for t in emu.waitpoints("WAITING")] == [token, other]
    done = emu.complete_token(other, {"approved": True})
    assert done.status == "COMPLETED" and done.output == {"approved": True} and done.idempotency_key == "k"
    emu.advance(hours=2)
    timed = emu.token(token)
    assert timed.status == "TIMED_OUT" and timed.output["code"] == "TRIGGER_WAITPOINT_TIMEOUT"
    assert timed.tags == ["order:1"] and timed.completed_at == timed.timeout_at
    assert emu.complete_token(token, 1).status == "TIMED_OUT"  # no-op once timed out
    assert api.get(f"/api/v1/waitpoints/tokens/{other}").json()["output"] == '{"json":{"approved":true}}'
    with pytest.raises(KeyError):
        emu.complete_token("waitpoint_nope")


def test_schedule_declares_and_fires_and_assert_scheduled(emu):
    with freeze_time("2025-01-01T00:00:00Z", real_asyncio=True):
        schedule = emu.schedule("report", "0 9 * * 1-5", timezone="Europe/London")
        assert schedule.type == "DECLARATIVE" and schedule.next_run == datetime(2025, 1, 1, 9, tzinfo=timezone.utc)
        assert emu.assert_scheduled("report", cron="0 9 * * 1-5").id == schedule.id
        with pytest.raises(AssertionError, match="Expected a schedule of 'report' with cron='0 10 \\* \\* \\*'"):
            emu.assert_scheduled("report", cron="0 10 * * *")
        emu.advance(days=7)
        runs = emu.runs("report")
        assert [r.payload["timestamp"][:10] for r in runs] == [
            "2025-01-01", "2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"]
        assert emu.schedules("report")[0].last_run == datetime(2025, 1, 7, 9, tzinfo=timezone.utc)
        with pytest.raises(ValueError, match="Invalid cron expression"):
            emu.schedule("report", "every day")
        with pytest.raises(ValueError, match="Invalid IANA timezone"):
            emu.schedule("report", "0 9 * * *", timezone="Asia/Kolkata")


def test_declared_queue_and_scheduled_runs_use_it(emu):
    with freeze_time("2025-01-01T00:00:00Z", real_asyncio=True):
        emu.declare_task("sync", scheduled=True, queue="integrations", concurrency_limit=2)
        emu.schedule("sync", "*/30 * * * *")
        emu.advance(minutes=31)
        assert [r.queue for r in emu.runs("sync")] == ["integrations"]
        [queue] = emu.queues()
        assert (queue.name, queue.type, queue.concurrency_limit, queue.queued) == ("integrations", "custom", 2, 1)
