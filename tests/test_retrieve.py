"""GET /api/v3/runs/{id} and the idempotency table, through HTTP."""

import pytest

URL = "/api/v1/tasks/my-task/trigger"
REQUIRED = {
    "id", "status", "taskIdentifier", "isQueued", "isExecuting", "isWaiting", "isCompleted", "isSuccess",
    "isFailed", "isCancelled", "isTest", "createdAt", "updatedAt", "tags", "costInCents", "baseCostInCents",
    "durationMs", "depth", "triggerFunction", "relatedRuns", "attemptCount", "attempts",
}


def test_retrieve_shape_of_a_queued_run(api, trigger):
    run_id = trigger(payload={"name": "x"}, tags=["user:1"], idempotencyKey="order-42")
    body = api.get(f"/api/v3/runs/{run_id}").json()
    assert REQUIRED <= body.keys()
    assert None not in body.values()
    assert body["status"] == "QUEUED" and body["isQueued"] is True
    assert not any(body[k] for k in ("isExecuting", "isWaiting", "isCompleted", "isSuccess", "isFailed", "isCancelled"))
    assert body["ttl"] == "10m" and body["payload"] == {"name": "x"} and body["idempotencyKey"] == "order-42"
    assert body["relatedRuns"] == {"children": []} and body["attempts"] == [] and body["attemptCount"] == 0
    for absent in ("startedAt", "finishedAt", "delayedUntil", "output", "error", "metadata", "version", "batchId"):
        assert absent not in body
    assert body["createdAt"].endswith("Z") and len(body["createdAt"]) == 24


def test_unknown_run_is_404_with_should_retry(api):
    r = api.get("/api/v3/runs/run_cdoesnotexist000000000000")
    assert (r.status_code, r.json(), r.headers["x-should-retry"]) == (404, {"error": "Not found"}, "true")


def test_staging_runs_have_no_default_ttl(emu):
    with emu.client(headers={"Authorization": "Bearer tr_prod_abc"}) as prod:
        run_id = prod.post(URL, json={}).json()["id"]
        assert "ttl" not in prod.get(f"/api/v3/runs/{run_id}").json()


@pytest.mark.parametrize(
    "payload, payload_type, shown",
    [
        ('{"json":{"when":"2025-01-01T00:00:00.000Z","n":1},"meta":{"values":{"when":["Date"]}}}',
         "application/super+json", {"when": "2025-01-01T00:00:00.000Z", "n": 1}),
        ("hello world", "text/plain", "hello world"),
        ({"a": [1, 2, {"b": None}]}, "application/json", {"a": [1, 2, {"b": None}]}),
        ("a json string", "application/json", "a json string"),
        ({"dropped": True}, "text/plain", None),  # a non-string with a non-JSON type is dropped
    ],
)
def test_payload_round_trips(emu, api, payload, payload_type, shown):
    run_id = api.post(URL, json={"payload": payload, "options": {"payloadType": payload_type}}).json()["id"]
    body = api.get(f"/api/v3/runs/{run_id}").json()
    if shown is None:
        assert "payload" not in body
    else:
        assert body["payload"] == shown
        assert emu.run(run_id).payload == shown


def test_no_payload_means_no_payload_field(api):
    run_id = api.post(URL, json={"options": {}}).json()["id"]
    assert "payload" not in api.get(f"/api/v3/runs/{run_id}").json()


class TestIdempotency:
    def test_same_key_same_task_is_cached_and_ignores_the_new_request(self, emu, api, trigger):
        first = trigger(payload={"v": 1}, idempotencyKey="k")
        r = api.post(URL, json={"payload": {"v": 2}, "options": {"idempotencyKey": "k", "tags": ["new"]}})
        assert r.json() == {"id": first, "isCached": True}
        assert "x-trigger-jwt" in r.headers
        assert emu.run(first).payload == {"v": 1} and emu.run(first).tags == []
        assert len(emu.runs()) == 1

    def test_same_key_other_task_is_independent(self, api, trigger):
        first = trigger(idempotencyKey="k")
        other = api.post("/api/v1/tasks/other/trigger", json={"options": {"idempotencyKey": "k"}}).json()
        assert other["id"] != first and other["isCached"] is False

    @pytest.mark.parametrize("finish, cached", [
        (lambda emu, run_id: emu.complete(run_id, {"ok": 1}), True),
        (lambda emu, run_id: emu.cancel(run_id), True),
        (lambda emu, run_id: emu.start(run_id), True),
        (lambda emu, run_id: emu.fail(run_id, "boom"), False),
        (lambda emu, run_id: emu.fail(run_id, "boom", status="CRASHED"), False),
        (lambda emu, run_id: emu.fail(run_id, "boom", status="SYSTEM_FAILURE"), False),
        (lambda emu, run_id: emu.fail(run_id, "boom", status="TIMED_OUT"), False),
        (lambda emu, run_id: emu.advance(minutes=11), False),  # EXPIRED releases the key
    ])
    def test_status_table(self, emu, api, trigger, finish, cached):
        first = trigger(idempotencyKey="k")
        finish(emu, first)
        again = api.post(URL, json={"options": {"idempotencyKey": "k"}}).json()
        assert again["isCached"] is cached
        assert (again["id"] == first) is cached

    def test_key_ttl_expiry_releases_the_key(self, emu, api, trigger):
        first = trigger(idempotencyKey="k", idempotencyKeyTTL="30s", ttl=0)
        emu.advance(seconds=29)
        assert api.post(URL, json={"options": {"idempotencyKey": "k"}}).json() == {"id": first, "isCached": True}
        emu.advance(seconds=2)
        again = api.post(URL, json={"options": {"idempotencyKey": "k"}}).json()
        assert again["isCached"] is False and again["id"] != first

    def test_bad_key_ttl_silently_means_30_days(self, emu, api, trigger):
        first = trigger(idempotencyKey="k", idempotencyKeyTTL="1h30m", ttl=0)
        emu.advance(days=29)
        assert api.post(URL, json={"options": {"idempotencyKey": "k"}}).json()["id"] == first
        emu.advance(days=2)
        assert api.post(URL, json={"options": {"idempotencyKey": "k"}}).json()["id"] != first

    def test_retrieve_shows_the_users_key_not_the_hash(self, api):
        digest = "a" * 64
        run_id = api.post(URL, json={"options": {"idempotencyKey": digest,
                                                 "idempotencyKeyOptions": {"key": "order-42", "scope": "run"}}}).json()["id"]
        assert api.get(f"/api/v3/runs/{run_id}").json()["idempotencyKey"] == "order-42"
