"""Delay, TTL and debounce on the emulator's clock: time moves, nothing sleeps."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

URL = "/api/v1/tasks/my-task/trigger"


def status(api, run_id):
    return api.get(f"/api/v3/runs/{run_id}").json()


def test_delay_then_queue_then_ttl_in_one_jump(emu, api, trigger):
    run_id = trigger(delay="1h", ttl="5m")
    created = emu.run(run_id).created_at
    body = status(api, run_id)
    assert body["status"] == "DELAYED" and body["isQueued"] is True
    emu.advance(hours=2)  # crosses QUEUED at +1h and EXPIRED at +1h05m
    run = emu.run(run_id)
    assert run.status == "EXPIRED"
    assert [s for s, _ in run.events] == ["DELAYED", "PENDING", "EXPIRED"]
    assert run.events[1][1] == created + timedelta(hours=1)
    assert run.expired_at == created + timedelta(hours=1, minutes=5)
    body = status(api, run_id)
    assert body["expiredAt"] == body["finishedAt"]
    assert body["error"] == {"message": "Run expired because the TTL (5m) was reached"}
    assert body["isCompleted"] is False and body["isFailed"] is False  # the EXPIRED trap
    assert body["delayedUntil"]  # kept after the delay elapsed


def test_delayed_run_cannot_expire_before_it_is_queued(emu, trigger):
    run_id = trigger(delay="30m", ttl="1m")
    emu.advance(minutes=29)
    assert emu.run(run_id).status == "DELAYED"
    emu.advance(minutes=1)
    assert emu.run(run_id).status == "QUEUED"
    emu.advance(seconds=59)
    assert emu.run(run_id).status == "QUEUED"
    emu.advance(seconds=1)
    assert emu.run(run_id).status == "EXPIRED"


@pytest.mark.parametrize("delay", ["2001-01-01T00:00:00Z", "10", "soon", "1.5h"])
def test_past_dates_and_junk_mean_no_delay(emu, trigger, delay):
    assert emu.run(trigger(delay=delay)).status == "QUEUED"


def test_future_iso_date_delays_until_that_moment(emu, trigger):
    at = (emu.now() + timedelta(days=1)).replace(microsecond=0)
    run = emu.run(trigger(delay=at.isoformat().replace("+00:00", "Z")))
    assert run.status == "DELAYED" and run.delayed_until == at


def test_ttl_precedence(emu, api, trigger):
    assert emu.run(trigger()).ttl == "10m"  # dev default
    assert emu.run(trigger(ttl=90)).ttl == "1m30s"  # numeric seconds
    no_ttl = trigger(ttl=0)  # 0 disables, also the dev default
    assert emu.run(no_ttl).ttl is None
    junk = trigger(ttl="forever")  # stored, never fires
    emu.advance(days=30)
    assert emu.run(no_ttl).status == "QUEUED" and emu.run(junk).status == "QUEUED"


def test_zero_second_ttl_expires_as_soon_as_queued(emu, api, trigger):
    run_id = trigger(ttl="0s")
    assert status(api, run_id)["status"] == "EXPIRED"


def test_started_run_never_expires(emu, trigger):
    run_id = trigger(ttl="1m")
    emu.start(run_id)
    emu.advance(hours=1)
    assert emu.run(run_id).status == "EXECUTING"


def test_follows_freezegun_and_moves_it(api, trigger, emu):
    with freeze_time("2030-01-01T00:00:00Z", real_asyncio=True) as frozen:
        run_id = trigger(delay="1h")
        assert emu.run(run_id).created_at.isoformat() == "2030-01-01T00:00:00+00:00"
        frozen.tick(timedelta(hours=1))
        assert status(api, run_id)["status"] == "QUEUED"
        run_id = trigger(delay="1h")
        emu.advance(hours=1)  # moves freezegun's clock too
        from datetime import datetime, timezone
        assert datetime.now(timezone.utc).isoformat() == "2030-01-01T02:00:00+00:00"
        assert emu.run(run_id).status == "QUEUED"


def test_a_failed_request_does_not_hide_what_fell_due_before_it(api, trigger):
    """A write that fails rolls back the transitions applied at its start; the next request
    must apply them again (the in-memory due floor is forgotten with the rollback)."""
    with freeze_time("2030-01-01T00:00:00Z", real_asyncio=True) as frozen:
        run_id = trigger(delay="1h")
        frozen.tick(timedelta(hours=2))  # nothing looked at the clock since
        assert api.post("/api/v2/runs/run_nope/cancel").status_code == 404
        assert status(api, run_id)["status"] == "EXPIRED"  # queued at +1h, the dev TTL of 10m ran out


class TestDebounce:
    def post(self, api, **debounce):
        options = {"debounce": {"key": "user-1", "delay": "5s", **debounce}}
        return api.post(URL, json={"payload": {"n": debounce.pop("n", 0)}, "options": options})

    def test_pushes_the_same_run_later(self, emu, api):
        first = self.post(api).json()
        assert first["isCached"] is False
        run = emu.run(first["id"])
        assert run.status == "DELAYED"
        emu.advance(seconds=3)
        again = self.post(api).json()
        assert again == {"id": first["id"], "isCached": False}
        pushed = emu.run(first["id"]).delayed_until
        assert pushed > run.delayed_until and pushed.microsecond == 0  # quantized to 1 s
        emu.advance(seconds=5)
        assert emu.run(first["id"]).status == "QUEUED"
        third = self.post(api).json()  # the mapped run left DELAYED: a new run
        assert third["id"] != first["id"]

    def test_never_moves_earlier(self, emu, api):
        first = api.post(URL, json={"options": {"delay": "1h", "debounce": {"key": "k", "delay": "5s"}}}).json()["id"]
        before = emu.run(first).delayed_until
        assert self_post(api, key="k").json()["id"] == first
        assert emu.run(first).delayed_until == before

    def test_max_delay_bounds_from_creation(self, emu, api):
        first = self.post(api, maxDelay="10s").json()["id"]
        emu.advance(seconds=4)
        assert self.post(api, maxDelay="10s").json()["id"] == first
        emu.advance(seconds=4)
        second = self.post(api, maxDelay="10s").json()["id"]  # now+5s > created+10s
        assert second != first

    def test_trailing_mode_overwrites_data(self, emu, api):
        first = api.post(URL, json={"payload": {"n": 1}, "options": {"tags": ["a"], "machine": "micro",
                                                                        "debounce": {"key": "k", "delay": "5s", "mode": "trailing"}}}).json()["id"]
        api.post(URL, json={"payload": {"n": 2}, "options": {"tags": ["b"], "metadata": {"m": 2}, "machine": "large-1x",
                                                             "debounce": {"key": "k", "delay": "5s", "mode": "trailing"}}})
        run = emu.run(first)
        assert (run.payload, run.tags, run.metadata, run.machine) == ({"n": 2}, ["b"], {"m": 2}, "large-1x")

    def test_leading_mode_keeps_the_first_data(self, emu, api):
        first = api.post(URL, json={"payload": {"n": 1}, "options": {"debounce": {"key": "k", "delay": "5s"}}}).json()["id"]
        api.post(URL, json={"payload": {"n": 2}, "options": {"debounce": {"key": "k", "delay": "5s"}}})
        assert emu.run(first).payload == {"n": 1}

    def test_scope_is_environment_task_and_key(self, emu, api):
        a = self.post(api).json()["id"]
        other_task = api.post("/api/v1/tasks/other/trigger", json={"options": {"debounce": {"key": "user-1", "delay": "5s"}}}).json()["id"]
        with emu.client(headers={"Authorization": "Bearer tr_dev_someoneelse"}) as other_env:
            other = other_env.post(URL, json={"options": {"debounce": {"key": "user-1", "delay": "5s"}}}).json()["id"]
        assert len({a, other_task, other}) == 3

    @pytest.mark.parametrize("debounce, message", [
        ({"delay": "soon"}, "Debounce requires a valid delay duration. Provided: soon"),
        ({"delay": "2030-01-01T00:00:00Z"}, "Invalid debounce delay: 2030-01-01T00:00:00Z. debounce.delay must be a duration, not a date"),
        ({"delay": "5s", "maxDelay": "x"}, "Invalid debounce maxDelay: x."),
        ({"delay": "5s", "maxDelay": "5s"}, "debounce.maxDelay (5s) must be longer than debounce.delay (5s)."),
        ({"delay": "2020-01-01"}, "Debounce requires a valid delay duration. Provided: 2020-01-01"),
    ])
    def test_validation_422s(self, api, debounce, message):
        r = api.post(URL, json={"options": {"debounce": {"key": "k", **debounce}}})
        assert r.status_code == 422
        assert r.json()["error"].startswith(message)

    def test_idempotency_wins_over_debounce(self, api):
        first = api.post(URL, json={"options": {"idempotencyKey": "i", "debounce": {"key": "k", "delay": "5s"}}}).json()
        again = api.post(URL, json={"options": {"idempotencyKey": "i", "debounce": {"key": "k", "delay": "5s"}}}).json()
        assert again == {"id": first["id"], "isCached": True}


def self_post(api, key):
    return api.post(URL, json={"options": {"debounce": {"key": key, "delay": "5s"}}})
