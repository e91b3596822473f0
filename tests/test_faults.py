"""Fault injection, the global rate limiter and request idempotency."""


import httpx
import pytest

URL = "/api/v1/tasks/t/trigger"


class TestFaults:
    def test_next_n_calls_then_normal_and_no_state_change(self, emu, api):
        emu.faults.add(api="trigger", status=500, times=2)
        for _ in range(2):
            r = api.post(URL, json={})
            assert (r.status_code, r.json()) == (500, {"error": "Internal Server Error"})
        assert emu.runs() == []  # a failed trigger creates no run
        assert api.post(URL, json={}).status_code == 200
        assert len(emu.runs()) == 1

    def test_latency_then_the_answer_with_the_run_stored(self, emu, api):
        # The slow request waits on the event loop (in process: it goes on as a task); the
        # requests after it answer at once, each from the state the one before left.
        emu.faults.add(api="trigger", latency_ms=30, times=1)
        slow = api.post(URL, json={"payload": 1})
        fast = api.post(URL, json={"payload": 2})
        assert (slow.status_code, fast.status_code) == (200, 200)
        assert [run.payload for run in emu.runs()] == [1, 2]
        assert api.get(f"/api/v3/runs/{slow.json()['id']}").json()["payload"] == 1

    def test_in_process_calls_under_uvloops_event_loop_policy(self, emu, api):
        uvloop = pytest.importorskip("uvloop")
        import asyncio
        import threading

        answers = []
        emu.faults.add(api="trigger", latency_ms=5, times=1)  # one waits on the loop, one does not
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        try:  # a new thread gets a new private loop: uvloop's
            worker = threading.Thread(target=lambda: answers.extend(api.post(URL, json={"payload": n}) for n in (1, 2)))
            worker.start()
            worker.join(30)
        finally:
            asyncio.set_event_loop_policy(None)
        assert [r.status_code for r in answers] == [200, 200]
        assert [run.payload for run in emu.runs()] == [1, 2]

    def test_over_http_with_path_pattern_and_clear(self, emu, api):
        r = api.post("/__emulator/faults", json={"method": "POST", "path": "/api/v1/tasks/*/trigger", "status": 503, "times": 1})
        fault_id = r.json()["id"]
        assert api.get("/__emulator/faults").json()["faults"][0]["id"] == fault_id
        assert api.post(URL, json={}).status_code == 503
        api.post("/__emulator/faults", json={"path": "/api/v3/runs/*", "status": 404})
        assert api.delete("/__emulator/faults").json() == {"ok": True}
        assert api.get("/__emulator/faults").json() == {"faults": []}

    def test_every_nth_and_task_match(self, emu, api):
        emu.faults.add(api="trigger", task="flaky", status=409, every=3)
        statuses = [api.post("/api/v1/tasks/flaky/trigger", json={}).status_code for _ in range(6)]
        assert statuses == [200, 200, 409, 200, 200, 409]
        assert api.post(URL, json={}).status_code == 200  # another task is untouched

    def test_seeded_probability_is_reproducible(self, emu, api):
        def pattern():
            emu.faults.clear()
            emu.faults.add(api="trigger", status=500, probability=0.5, seed=7)
            return [api.post(URL, json={}).status_code for _ in range(20)]

        first = pattern()
        assert first == pattern() and 500 in first and 200 in first

    def test_headers_bodies_and_retry_hints(self, emu, api):
        emu.faults.add(api="trigger", status=429, reset_in_ms=1500, retry_after_s=2, times=1)
        r = api.post(URL, json={})
        now = int(emu.now().timestamp() * 1000)
        assert r.status_code == 429 and 1000 <= int(r.headers["x-ratelimit-reset"]) - now <= 2000
        assert r.headers["retry-after"] == "2"
        emu.faults.add(api="trigger", status=400, should_retry=True, body={"error": "try again"}, times=1)
        r = api.post(URL, json={})
        assert (r.status_code, r.headers["x-should-retry"], r.json()) == (400, "true", {"error": "try again"})
        emu.faults.add(api="trigger", status=502, body="<html>bad gateway</html>", content_type="text/html", times=1)
        r = api.post(URL, json={})
        assert r.status_code == 502 and r.text == "<html>bad gateway</html>"

    def test_dropped_connection(self, emu, api):
        emu.faults.add(api="trigger", drop=True, times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            api.post(URL, json={})
        assert emu.runs() == []

    def test_bad_rules_are_400(self, api):
        for spec in ({"status": 200}, {"api": "nope", "status": 500}, {}, {"status": 500, "times": 0},
                     {"status": 500, "probability": 2}, {"status": "500"}, {"status": 500, "whatever": 1}):
            r = api.post("/__emulator/faults", json=spec)
            assert r.status_code == 400 and r.json()["error"], spec


class TestRequestIdempotency:
    def test_a_retry_after_a_lost_answer_returns_the_first_run(self, emu, api):
        emu.faults.add(api="trigger", lose_response=True, times=1)
        headers = {"x-trigger-request-idempotency-key": "6f1c7c1e-2b1a-4c1e-9a57-0c4f3d1e2b3a"}
        with pytest.raises(httpx.RemoteProtocolError):
            api.post(URL, json={"payload": 1}, headers=headers)
        assert len(emu.runs()) == 1  # it was processed
        retried = api.post(URL, json={"payload": 1}, headers=headers).json()
        assert retried == {"id": emu.runs()[0].id, "isCached": False}
        assert len(emu.runs()) == 1
        emu.advance(hours=25)  # the cache lasts 24 hours
        assert api.post(URL, json={"payload": 1}, headers=headers).json()["id"] != retried["id"]

    def test_production_no_op_setting(self, emu, api):
        emu.config.request_idempotency = False
        headers = {"x-trigger-request-idempotency-key": "same"}
        first = api.post(URL, json={}, headers=headers).json()["id"]
        assert api.post(URL, json={}, headers=headers).json()["id"] != first


class TestGlobalRateLimiter:
    def test_headers_on_every_admitted_api_answer(self, emu, api):
        r = api.post(URL, json={})
        assert int(r.headers["x-ratelimit-limit"]) >= 750
        assert int(r.headers["x-ratelimit-reset"]) > int(emu.now().timestamp() * 1000) - 1
        assert "x-ratelimit-limit" not in api.get("/healthz").headers

    def test_production_preset_429_and_clock_refill(self, emu, api):
        emu.rate_limit({"limit": 3, "refill": 2, "interval_ms": 10_000})
        assert [api.get("/api/v1/runs").headers["x-ratelimit-remaining"] for _ in range(3)] == ["2", "1", "0"]
        r = api.post(URL, json={})
        assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json; charset=utf-8"
        body = r.json()
        assert body["title"] == "Rate Limit Exceeded" and body["limit"] == 3 and body["remaining"] == 0
        assert body["error"] == body["detail"] and body["detail"].startswith("Rate limit exceeded 0/3 requests remaining.")
        assert emu.runs() == []
        emu.advance(seconds=10)
        assert api.post(URL, json={}).status_code == 200
        with emu.client(headers={"Authorization": "Bearer tr_dev_another"}) as other:
            assert other.post(URL, json={}).status_code == 200  # per caller

    def test_packets_are_exempt_and_presets(self, emu, api):
        emu.rate_limit({"limit": 1, "refill": 1, "interval_ms": 60_000})
        api.get("/api/v1/runs")
        assert api.put("/api/v2/packets/a.json").status_code == 200
        emu.rate_limit("production")
        assert api.get("/api/v1/runs").headers["x-ratelimit-limit"] == "750"
        emu.rate_limit(None)
        assert "x-ratelimit-limit" not in api.get("/api/v1/runs").headers
        assert api.post("/__emulator/rate-limits", json={"api": "bogus"}).status_code == 400
        assert api.post("/__emulator/rate-limits", json={"api": {"limit": 5, "refill": 1}}).json()["api"] == [5, 1, 10000]
