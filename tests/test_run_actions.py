"""Cancel, reschedule, replay (runs.md §4.3-4.5) and outcome control (/__emulator/runs/...)."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

URL = "/api/v1/tasks/my-task/trigger"


class TestCancel:
    def test_cancels_and_is_idempotent(self, api, trigger):
        run_id = trigger()
        for _ in range(2):
            r = api.post(f"/api/v2/runs/{run_id}/cancel")
            assert (r.status_code, r.json()) == (200, {"id": run_id})
        body = api.get(f"/api/v3/runs/{run_id}").json()
        assert body["status"] == "CANCELED"
        assert (body["isCompleted"], body["isFailed"], body["isCancelled"]) == (True, True, True)
        assert body["error"] == {"message": "Canceled by user"}

    def test_finished_run_is_left_alone(self, emu, api, trigger):
        run_id = trigger()
        emu.complete(run_id, {"ok": True})
        assert api.post(f"/api/v2/runs/{run_id}/cancel").json() == {"id": run_id}
        assert emu.run(run_id).status == "COMPLETED"

    def test_delayed_run_never_enqueues(self, emu, api, trigger):
        run_id = trigger(delay="1m")
        api.post(f"/api/v2/runs/{run_id}/cancel")
        emu.advance(hours=1)
        assert emu.run(run_id).status == "CANCELED"

    def test_cascades_to_children(self, emu, api, trigger):
        parent = trigger()
        child = trigger(parentRunId=parent)
        grandchild = trigger(parentRunId=child)
        api.post(f"/api/v2/runs/{parent}/cancel")
        assert {emu.run(r).status for r in (parent, child, grandchild)} == {"CANCELED"}
        related = api.get(f"/api/v3/runs/{grandchild}").json()
        assert related["depth"] == 2
        assert related["relatedRuns"]["parent"]["id"] == child
        assert related["relatedRuns"]["root"]["id"] == parent

    def test_errors(self, api):
        r = api.post("/api/v2/runs/run_cmissing00000000000000000/cancel")
        assert (r.status_code, r.json()) == (404, {"error": "Resource not found"})
        r = api.get("/api/v2/runs/run_x/cancel")  # the route exports no loader: Remix's 400
        assert (r.status_code, r.json(), r.headers["x-remix-error"]) == (400, {"message": "Unexpected Server Error"}, "yes")


class TestReschedule:
    @freeze_time("2030-01-01", real_asyncio=True)
    def test_moves_a_delayed_run_and_returns_it(self, emu, api, trigger):
        run_id = trigger(delay="1h")
        r = api.post(f"/api/v1/runs/{run_id}/reschedule", json={"delay": "2h"})
        assert r.status_code == 200
        body = r.json()
        assert body["id"] == run_id and body["status"] == "DELAYED" and "relatedRuns" in body
        assert emu.run(run_id).delayed_until == emu.run(run_id).created_at + timedelta(hours=2)
        emu.advance(hours=1, minutes=30)
        assert emu.run(run_id).status == "DELAYED"
        emu.advance(minutes=31)
        assert emu.run(run_id).status == "QUEUED"

    def test_accepts_an_iso_date(self, emu, api, trigger):
        run_id = trigger(delay="1h")
        at = (emu.now() + timedelta(days=2)).replace(microsecond=0)
        api.post(f"/api/v1/runs/{run_id}/reschedule", json={"delay": at.isoformat()})
        assert emu.run(run_id).delayed_until == at

    @pytest.mark.parametrize("body, status, message", [
        ({"delay": "soon"}, 400, "Invalid delay: soon"),
        ({"delay": "2001-01-01T00:00:00Z"}, 400, "Invalid delay: 2001-01-01T00:00:00Z"),
        ({}, 400, "Invalid request body"),
        ({"delay": {"x": 1}}, 400, "Invalid request body"),
    ])
    def test_bad_delays(self, api, trigger, body, status, message):
        run_id = trigger(delay="1h")
        r = api.post(f"/api/v1/runs/{run_id}/reschedule", json=body)
        assert (r.status_code, r.json()) == (status, {"error": message})

    def test_not_delayed_and_missing(self, api, trigger):
        queued = trigger()
        r = api.post(f"/api/v1/runs/{queued}/reschedule", json={"delay": "1h"})
        assert (r.status_code, r.json()) == (400, {"error": "Cannot reschedule a run that is not delayed"})
        r = api.post("/api/v1/runs/run_cmissing00000000000000000/reschedule", json={"delay": "1h"})
        assert (r.status_code, r.json()) == (404, {"error": "Run not found"})
        r = api.post("/api/v1/runs/run_cmissing00000000000000000/reschedule", json={"delay": "junk"})
        assert r.json() == {"error": "Invalid delay: junk"}  # checked before the lookup

    def test_legacy_auth_wording(self, emu):
        with emu.client(headers={"Authorization": "Bearer nope"}) as c:
            r = c.post("/api/v1/runs/run_x/reschedule", json={"delay": "1h"})
            assert (r.status_code, r.json()) == (401, {"error": "Invalid or missing API Key"})


class TestReplay:
    def test_copies_what_the_contract_lists(self, emu, api):
        original = api.post(URL, json={
            "payload": {"p": 1},
            "options": {"tags": ["a"], "metadata": {"seed": 1}, "machine": "small-2x", "queue": {"name": "q"},
                        "idempotencyKey": "k", "delay": "1h", "ttl": "1h", "test": True, "concurrencyKey": "c"},
        }).json()["id"]
        emu.cancel(original)
        r = api.post(f"/api/v1/runs/{original}/replay")
        assert r.status_code == 200 and set(r.json()) == {"id"}
        new = emu.run(r.json()["id"])
        assert new.id != original
        assert (new.task, new.payload, new.tags, new.metadata, new.machine, new.queue, new.is_test) == (
            "my-task", {"p": 1}, ["a"], {"seed": 1}, "small-2x", "q", True)
        assert (new.status, new.idempotency_key, new.delayed_until, new.ttl) == ("QUEUED", None, None, "10m")
        assert emu.run(original).status == "CANCELED"

    def test_missing_and_method(self, api):
        r = api.post("/api/v1/runs/run_cmissing00000000000000000/replay")
        assert (r.status_code, r.json()) == (404, {"error": "Resource not found"})
        r = api.put("/api/v1/runs/run_x/replay")
        assert (r.status_code, r.json(), r.headers["allow"]) == (405, {"error": "Method not allowed"}, "POST")
        r = api.get("/api/v1/runs/run_x/replay")
        assert (r.status_code, r.json()) == (400, {"message": "Unexpected Server Error"})


class TestOutcomeControl:
    @freeze_time("2030-01-01", real_asyncio=True)
    def test_start_complete_over_http(self, emu, api, trigger):
        run_id = trigger()
        emu.advance(seconds=1)
        started = api.post(f"/__emulator/runs/{run_id}/start").json()
        assert started["status"] == "EXECUTING" and started["attemptCount"] == 1 and started["isExecuting"]
        emu.advance(seconds=2)
        done = api.post(f"/__emulator/runs/{run_id}/complete", json={"output": {"url": "x"}}).json()
        assert done["status"] == "COMPLETED" and done["output"] == {"url": "x"} and done["isSuccess"]
        assert done["durationMs"] == 2000 and done["finishedAt"] and done["startedAt"]

    def test_fail_and_illegal_moves(self, emu, api, trigger):
        run_id = trigger()
        failed = api.post(f"/__emulator/runs/{run_id}/fail", json={"error": {"message": "boom"}}).json()
        assert failed["status"] == "FAILED" and failed["error"]["message"] == "boom" and "output" not in failed
        again = api.post(f"/__emulator/runs/{run_id}/complete", json={"output": 1})
        assert again.status_code == 409
        assert again.json() == {"error": f"Cannot complete run {run_id}: it is FAILED"}
        canceled = trigger()
        api.post(f"/api/v2/runs/{canceled}/cancel")
        assert api.post(f"/__emulator/runs/{canceled}/complete").status_code == 409

    def test_needs_the_runs_environment_key(self, emu, api, trigger):
        run_id = trigger()
        with emu.client(headers={"Authorization": "Bearer tr_dev_intruder"}) as other:
            assert other.post(f"/__emulator/runs/{run_id}/complete").status_code == 404
        assert emu.run(run_id).status == "QUEUED"

    def test_python_api_outcomes(self, emu, trigger):
        run_id = trigger()
        run = emu.fail(run_id, {"message": "nope", "name": "TypeError"}, status="CRASHED")
        assert run.status == "CRASHED" and run.error == {"message": "nope", "name": "TypeError", "stackTrace": ""}
        with pytest.raises(KeyError):
            emu.run("run_cnothere")


class TestClockControl:
    def test_get_advance_set_and_never_backwards(self, emu, api, trigger):
        now = api.get("/__emulator/clock").json()["now"]
        assert now.endswith("Z")
        run_id = trigger(delay="90m")
        advanced = api.post("/__emulator/clock", json={"advance": "1h30m"}).json()["now"]
        assert advanced > now
        assert emu.run(run_id).status == "QUEUED"
        r = api.post("/__emulator/clock", json={"set": "2001-01-01T00:00:00Z"})
        assert r.status_code == 400 and "never moves backwards" in r.json()["error"]
        target = (emu.now() + timedelta(days=3)).replace(microsecond=0)
        assert api.post("/__emulator/clock", json={"set": target.isoformat()}).json()["now"].startswith(
            target.strftime("%Y-%m-%dT%H:%M:%S"))
        for bad in ({"advance": "soon"}, {"advance": -5}, {}, {"set": 5}):
            assert api.post("/__emulator/clock", json=bad).status_code == 400, bad
        assert api.post("/__emulator/clock", content=b"{x", headers={"content-type": "application/json"}).status_code == 400

    def test_reset_wipes_everything(self, emu, api, trigger):
        run_id = trigger()
        assert api.post("/__emulator/reset").json() == {"ok": True}
        assert emu.runs() == []
        assert api.get(f"/api/v3/runs/{run_id}").status_code == 404
        assert api.post(URL, json={}).status_code == 200  # keys work again afterwards
