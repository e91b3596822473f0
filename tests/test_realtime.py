"""Realtime run feeds over HTTP (contract realtime.md): snapshots, live long-polls woken by every
kind of state change, the Electric headers and value encodings, scopes, 409 must-refetch, and
long-polls ending on reset. A live poll runs in a thread; the test wakes it by changing state."""

import json
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from trigger_emulator import Config, LocalEmulator
from trigger_emulator.core import tokens

SCHEMA = (
    '{"id":{"type":"text"},"taskIdentifier":{"type":"text"},"createdAt":{"type":"timestamp"},'
    '"updatedAt":{"type":"timestamp"},"startedAt":{"type":"timestamp"},"delayUntil":{"type":"timestamp"},'
    '"queuedAt":{"type":"timestamp"},"expiredAt":{"type":"timestamp"},"completedAt":{"type":"timestamp"},'
    '"friendlyId":{"type":"text"},"number":{"type":"int4"},"isTest":{"type":"bool"},"status":{"type":"text"},'
    '"usageDurationMs":{"type":"int4"},"costInCents":{"type":"float8"},"baseCostInCents":{"type":"float8"},'
    '"ttl":{"type":"text"},"payload":{"type":"text"},"payloadType":{"type":"text"},"metadata":{"type":"text"},'
    '"metadataType":{"type":"text"},"output":{"type":"text"},"outputType":{"type":"text"},'
    '"runTags":{"type":"text","dims":1},"error":{"type":"jsonb"},"realtimeStreams":{"type":"text","dims":1}}'
)
UP_TO_DATE = {"headers": {"control": "up-to-date"}}


def waiting(emu, count=1):
    """Block until ``count`` realtime waiters are registered (no fixed sleep)."""
    deadline = time.monotonic() + 10
    while len(emu.engine.notifier) < count:
        assert time.monotonic() < deadline, "no long-poll is waiting"
        time.sleep(0.001)


@pytest.fixture
def poller(emu):
    """``poller(path, first_response, **params)`` starts a live poll in a thread; ``.result()``."""
    pool = ThreadPoolExecutor(4)
    clients = []

    def start(path, previous, headers=None, **params):
        client = emu.client(headers=headers or {})
        clients.append(client)
        query = {"handle": previous.headers["electric-handle"], "offset": previous.headers["electric-offset"],
                 "live": "true", "log": "full", "cursor": previous.headers.get("electric-cursor", ""), **params}
        return pool.submit(client.get, path, params=query)

    yield start
    pool.shutdown(wait=True)
    for client in clients:
        client.close()


def trigger(api, task="rt-task", **options):
    body = {"payload": {"a": 1}, "options": options}
    response = api.post(f"/api/v1/tasks/{task}/trigger", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"], response.headers["x-trigger-jwt"]


def snapshot(api, path, **params):
    response = api.get(path, params={"log": "full", "offset": "-1", **params})
    assert response.status_code == 200, response.text
    return response


def rows(response):
    messages = response.json()
    assert messages[-1] == UP_TO_DATE
    return messages[:-1]


# -- the snapshot ---------------------------------------------------------------------------
def test_snapshot_is_one_insert_with_the_electric_encodings(emu, api):
    run_id, _ = trigger(api, tags=["b", 'say "hi"\\'], metadata={"m": 1})
    response = snapshot(api, f"/realtime/v1/runs/{run_id}")
    headers = response.headers
    assert headers["content-type"] == "application/json" and headers["cache-control"] == "no-store"
    assert headers["electric-schema"] == SCHEMA and headers["electric-up-to-date"] == "true"
    assert headers["electric-handle"] == "run-" + run_id[4:]
    assert headers["access-control-allow-origin"] == "*" and headers["access-control-expose-headers"] == "*"
    assert "electric-cursor" not in headers
    [message] = rows(response)
    assert message["key"] == f'"public"."TaskRun"/"{run_id[4:]}"' and message["headers"] == {"operation": "insert"}
    value = message["value"]
    assert list(value) == list(json.loads(SCHEMA))
    assert value["id"] == run_id[4:] and value["friendlyId"] == run_id and value["taskIdentifier"] == "rt-task"
    assert value["status"] == "PENDING" and value["isTest"] == "f" and value["ttl"] == "10m"
    assert value["createdAt"] == value["queuedAt"] and not value["createdAt"].endswith("Z")
    assert value["createdAt"] == emu.run(run_id).created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    assert value["runTags"] == '{"b","say \\"hi\\"\\\\"}'
    assert value["realtimeStreams"] == "{}" and value["error"] is None and value["output"] is None
    assert (value["payload"], value["payloadType"]) == ('{"a":1}', "application/json")
    assert (value["metadata"], value["metadataType"]) == ('{"m":1}', "application/json")
    assert (value["usageDurationMs"], value["costInCents"], value["baseCostInCents"]) == ("0", "0", "0")
    assert value["number"].isdigit() and value["startedAt"] is None and value["completedAt"] is None


def test_skip_columns_leave_the_row_and_the_schema_but_reserved_ones_stay(api):
    run_id, _ = trigger(api)
    response = snapshot(api, f"/realtime/v1/runs/{run_id}", skipColumns="payload,output,status,id,nope")
    schema = json.loads(response.headers["electric-schema"])
    [message] = rows(response)
    assert "payload" not in schema and "output" not in schema and "payload" not in message["value"]
    assert {"status", "id", "friendlyId", "createdAt", "taskIdentifier"} <= set(message["value"]) & set(schema)


def test_skip_columns_from_the_token_claim_win(emu, api):
    run_id, _ = trigger(api)
    env = emu.engine._environments[(emu.secret_key, None)]
    token = tokens.mint(emu.secret_key, env.id, [f"read:runs:{run_id}"], int(time.time()))
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    claims["realtime"] = {"skipColumns": ["metadata"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the emulator's keys are shorter than PyJWT recommends
        token = jwt.encode(claims, emu.secret_key, algorithm="HS256")
    response = api.get(f"/realtime/v1/runs/{run_id}", params={"offset": "-1", "skipColumns": "payload"},
                       headers={"Authorization": f"Bearer {token}"})
    [message] = rows(response)
    assert "metadata" not in message["value"] and "payload" in message["value"]


# -- live polls -----------------------------------------------------------------------------
def test_a_live_poll_is_held_until_the_run_changes_then_answers_with_an_update(emu, api, poller):
    run_id, _ = trigger(api)
    first = snapshot(api, f"/realtime/v1/runs/{run_id}")
    started = time.monotonic()
    pending = poller(f"/realtime/v1/runs/{run_id}", first)
    waiting(emu)
    emu.start(run_id)
    live = pending.result(10)
    assert time.monotonic() - started < 5  # woken, not the 20 s backstop
    assert live.status_code == 200 and live.headers["electric-handle"] == first.headers["electric-handle"]
    assert live.headers["electric-offset"] != first.headers["electric-offset"]
    assert live.headers["electric-cursor"].isdigit() and "electric-schema" not in live.headers
    [message] = rows(live)
    assert message["headers"] == {"operation": "update"}
    assert message["value"]["status"] == "EXECUTING" and message["value"]["startedAt"] is not None
    # the next poll from the new offset waits for the next change: completion, with completedAt
    pending = poller(f"/realtime/v1/runs/{run_id}", live)
    waiting(emu)
    emu.complete(run_id, {"ok": True})
    [done] = rows(pending.result(10))
    assert done["value"]["status"] == "COMPLETED_SUCCESSFULLY" and done["value"]["completedAt"] is not None
    assert (done["value"]["output"], done["value"]["outputType"]) == ('{"ok":true}', "application/json")
    assert len(emu.engine.notifier) == 0


def test_a_change_between_two_polls_is_answered_at_once():
    with LocalEmulator(Config(realtime_poll_timeout=30)) as emu, emu.client() as api:
        run_id, _ = trigger(api)
        first = snapshot(api, f"/realtime/v1/runs/{run_id}")
        emu.start(run_id)
        started = time.monotonic()
        live = api.get(f"/realtime/v1/runs/{run_id}", params={
            "handle": first.headers["electric-handle"], "offset": first.headers["electric-offset"], "live": "true"})
        assert time.monotonic() - started < 5
        assert rows(live)[0]["value"]["status"] == "EXECUTING"


def test_a_poll_with_no_change_answers_up_to_date_with_the_same_offset():
    with LocalEmulator(Config(realtime_poll_timeout=0)) as emu, emu.client() as api:
        run_id, _ = trigger(api)
        first = snapshot(api, f"/realtime/v1/runs/{run_id}")
        live = api.get(f"/realtime/v1/runs/{run_id}", params={
            "handle": first.headers["electric-handle"], "offset": first.headers["electric-offset"], "live": "true"})
        assert live.status_code == 200 and live.json() == [UP_TO_DATE]
        assert live.headers["electric-offset"] == first.headers["electric-offset"]
        assert live.headers["electric-cursor"].isdigit() and live.headers["electric-handle"] == first.headers["electric-handle"]


def test_completed_runs_keep_answering_polls():
    with LocalEmulator(Config(realtime_poll_timeout=0)) as emu, emu.client() as api:
        run_id, _ = trigger(api)
        emu.complete(run_id, 1)
        first = snapshot(api, f"/realtime/v1/runs/{run_id}")
        assert rows(first)[0]["value"]["status"] == "COMPLETED_SUCCESSFULLY"
        live = api.get(f"/realtime/v1/runs/{run_id}", params={
            "handle": first.headers["electric-handle"], "offset": first.headers["electric-offset"], "live": "true"})
        assert live.status_code == 200 and live.json() == [UP_TO_DATE]


def _delayed(api):
    return trigger(api, delay="1h", ttl="2h")[0]


# (setup, action, what the woken poll shows) for every way a run's state changes.
CHANGES = {
    "clock: delay ends": (_delayed, lambda emu, api, run: emu.advance(hours=1), ("status", "PENDING")),
    "clock: ttl expires": (lambda api: trigger(api, ttl="1m")[0], lambda emu, api, run: emu.advance(minutes=1),
                           ("status", "EXPIRED")),
    "control API start": (lambda api: trigger(api)[0], lambda emu, api, run: api.post(f"/__emulator/runs/{run}/start"),
                          ("status", "EXECUTING")),
    "control API fail": (lambda api: trigger(api)[0],
                         lambda emu, api, run: api.post(f"/__emulator/runs/{run}/fail", json={"error": "no"}),
                         ("status", "COMPLETED_WITH_ERRORS")),
    "control API expire": (lambda api: trigger(api)[0], lambda emu, api, run: api.post(f"/__emulator/runs/{run}/expire"),
                           ("status", "EXPIRED")),
    "clock via control API": (_delayed, lambda emu, api, run: api.post("/__emulator/clock", json={"advance": "1h"}),
                              ("status", "PENDING")),
    "cancel": (lambda api: trigger(api)[0], lambda emu, api, run: api.post(f"/api/v2/runs/{run}/cancel"),
               ("status", "CANCELED")),
    "reschedule": (_delayed, lambda emu, api, run: api.post(f"/api/v1/runs/{run}/reschedule", json={"delay": "3h"}),
                   ("delayUntil", "changed")),
    "metadata": (lambda api: trigger(api)[0],
                 lambda emu, api, run: api.put(f"/api/v1/runs/{run}/metadata", json={"metadata": {"p": 50}}),
                 ("metadata", '{"p":50}')),
    "tags": (lambda api: trigger(api)[0], lambda emu, api, run: api.post(f"/api/v1/runs/{run}/tags", json={"tags": ["new"]}),
             ("runTags", '{"new"}')),
    "dashboard complete": (lambda api: trigger(api)[0],
                           lambda emu, api, run: api.post(f"/runs/{run}/complete", data={"output": '{"x":1}'}),
                           ("status", "COMPLETED_SUCCESSFULLY")),
    # a handler's run starts, then completes: the poll answers with the first change, or with
    # the run as it is by then when both landed before the poller ran (it shows each run once)
    "python handler": (lambda api: trigger(api, "py-task")[0], lambda emu, api, run: emu.execute(),
                       ("status", {"EXECUTING", "COMPLETED_SUCCESSFULLY"})),
    "python stream": (lambda api: trigger(api)[0], lambda emu, api, run: emu.stream(run, "ai", ["t"]),
                      ("realtimeStreams", '{"ai"}')),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_kind_of_change_wakes_the_poll_at_once(emu, api, poller, change):
    setup, action, (column, expected) = CHANGES[change]
    emu.task("py-task")(lambda payload: {"done": payload})
    run_id = setup(api)
    first = snapshot(api, f"/realtime/v1/runs/{run_id}")
    before = rows(first)[0]["value"]
    started = time.monotonic()
    pending = poller(f"/realtime/v1/runs/{run_id}", first)
    waiting(emu)
    response = action(emu, api, run_id)
    assert getattr(response, "status_code", 200) in (200, 303), getattr(response, "text", "")
    [message] = rows(pending.result(10))
    assert time.monotonic() - started < 5
    value = message["value"]
    if expected == "changed":
        assert value[column] != before[column]
    elif isinstance(expected, set):
        assert value[column] in expected
    else:
        assert value[column] == expected
    assert value["updatedAt"] >= before["updatedAt"]


# -- the multi-run feeds --------------------------------------------------------------------
def test_tag_feed_holds_runs_with_every_tag_and_inserts_new_ones(emu, api, poller):
    both, _ = trigger(api, tags=["user:1", "org 2"])
    trigger(api, tags=["user:1"])  # only one of the tags
    first = snapshot(api, "/realtime/v1/runs", tags="user:1,org 2")
    assert first.headers["electric-handle"].startswith("runs_")
    assert [m["value"]["friendlyId"] for m in rows(first)] == [both]
    assert all(m["headers"]["operation"] == "insert" for m in rows(first))
    pending = poller("/realtime/v1/runs", first, tags="user:1,org 2")
    waiting(emu)
    new, _ = trigger(api, tags=["org 2", "user:1", "x"])
    [message] = rows(pending.result(10))
    assert message["value"]["friendlyId"] == new and message["headers"]["operation"] == "insert"
    again = poller("/realtime/v1/runs", pending.result(), tags="user:1,org 2")
    waiting(emu)
    emu.start(both)
    [update] = rows(again.result(10))
    assert (update["value"]["friendlyId"], update["headers"]["operation"]) == (both, "update")


def test_tag_feed_window_is_24h_at_most_and_follows_created_at(emu, api):
    old, _ = trigger(api, tags=["w"], ttl="1w")
    emu.advance(hours=25)
    recent, _ = trigger(api, tags=["w"])
    assert [m["value"]["friendlyId"] for m in rows(snapshot(api, "/realtime/v1/runs", tags="w"))] == [recent]
    assert [m["value"]["friendlyId"] for m in rows(snapshot(api, "/realtime/v1/runs", tags="w", createdAt="1w"))] == [recent]
    emu.advance(hours=2)
    assert rows(snapshot(api, "/realtime/v1/runs", tags="w", createdAt="1h")) == []
    # an unparseable window means no window at all (the Electric backend)
    everything = rows(snapshot(api, "/realtime/v1/runs", tags="w", createdAt="soon"))
    assert [m["value"]["friendlyId"] for m in everything] == [old, recent]


def test_tag_feed_without_tags_holds_the_environment_and_refuses_bad_tags(emu, api):
    one, _ = trigger(api)
    two, _ = trigger(api, tags=["t"])
    with LocalEmulator() as other, other.client() as other_api:
        trigger(other_api)
    assert [m["value"]["friendlyId"] for m in rows(snapshot(api, "/realtime/v1/runs"))] == [one, two]
    for tags, shown in (('a,"b', '"\\"b"'), ("a,,b", '""'), ("a\\b", '"a\\\\b"'), ("x\ty", '"x\\ty"')):
        bad = api.get("/realtime/v1/runs", params={"tags": tags})
        assert bad.status_code == 400
        assert bad.json() == {"error": "Query Error", "details": [
            {"code": "custom", "message": f"Invalid tag: {shown}", "path": ["tags"]}]}
    assert api.get("/realtime/v1/runs", params={"tags": "it's"}).status_code == 200


def test_batch_feed_holds_the_batch_runs(emu, api, poller):
    made = api.post("/api/v1/tasks/rt-task/batch", json={"items": [{"payload": 1}, {"payload": 2}]})
    assert made.status_code == 200, made.text
    batch_id, run_ids = made.json()["batchId"], made.json()["runs"]
    trigger(api)
    first = snapshot(api, f"/realtime/v1/batches/{batch_id}")
    assert first.headers["electric-handle"].startswith(f"batch_{batch_id}_")
    assert [m["value"]["friendlyId"] for m in rows(first)] == run_ids
    pending = poller(f"/realtime/v1/batches/{batch_id}", first)
    waiting(emu)
    emu.complete(run_ids[1], "ok")
    [message] = rows(pending.result(10))
    assert message["value"]["friendlyId"] == run_ids[1] and message["value"]["status"] == "COMPLETED_SUCCESSFULLY"
    missing = api.get("/realtime/v1/batches/batch_cnope00000000000000000000", params={"offset": "-1"})
    assert (missing.status_code, missing.json(), missing.headers["x-should-retry"]) == (404, {"error": "Not found"}, "true")


# -- auth -----------------------------------------------------------------------------------
def test_auth_errors(emu, api):
    run_id, _ = trigger(api)
    with httpx.Client(transport=httpx.MockTransport(emu.handle), base_url=emu.base_url) as bare:
        missing = bare.get(f"/realtime/v1/runs/{run_id}")
        assert (missing.status_code, missing.json()) == (401, {"error": "Invalid or Missing API key"})
        wrong = bare.get(f"/realtime/v1/runs/{run_id}", headers={"Authorization": "Bearer nope"})
        assert (wrong.status_code, wrong.json()) == (401, {"error": "Invalid API key"})
    unknown = api.get("/realtime/v1/runs/run_cnope00000000000000000000", params={"offset": "-1"})
    assert (unknown.status_code, unknown.json(), unknown.headers["x-should-retry"]) == (404, {"error": "Not found"}, "false")


def _token(emu, scopes):
    env = next(iter(emu.engine._environments.values()))
    return tokens.mint(emu.secret_key, env.id, scopes, int(time.time()))


@pytest.mark.parametrize("scope, run_ok, tag_ok, batch_ok", [
    ("read:runs:{run}", True, False, False),
    ("read:runs", True, True, True),
    ("read:tasks:rt-task", True, False, False),
    ("read:tags:t:1", True, True, False),
    ("read:tags", True, True, False),
    ("read:batch:{batch}", True, False, True),
    ("read:all", True, True, True),
    ("admin", True, True, True),
    ("write:runs:{run}", False, False, False),
])
def test_public_token_scopes(emu, api, scope, run_ok, tag_ok, batch_ok):
    made = api.post("/api/v1/tasks/rt-task/batch", json={"items": [{"payload": 1, "options": {"tags": ["t:1"]}}]}).json()
    run_id, batch_id = made["runs"][0], made["batchId"]
    token = _token(emu, [scope.format(run=run_id, batch=batch_id)])
    auth = {"Authorization": f"Bearer {token}"}
    for path, params, ok in ((f"/realtime/v1/runs/{run_id}", {}, run_ok), ("/realtime/v1/runs", {"tags": "t:1"}, tag_ok),
                             (f"/realtime/v1/batches/{batch_id}", {}, batch_ok)):
        response = api.get(path, params={"offset": "-1", **params}, headers=auth)
        assert response.status_code == (200 if ok else 403), (path, response.text)
        if not ok:
            assert response.json() == {"error": "Unauthorized", "code": "unauthorized", "param": "access_token",
                                        "type": "authorization"}


def test_the_trigger_token_reads_its_run_and_the_batch_token_its_batch(emu, api):
    run_id, token = trigger(api)
    assert api.get(f"/realtime/v1/runs/{run_id}", params={"offset": "-1"},
                   headers={"Authorization": f"Bearer {token}"}).status_code == 200
    made = api.post("/api/v2/tasks/batch", json={"items": [{"task": "rt-task", "payload": 1}]})
    batch_token = made.headers["x-trigger-jwt"]
    assert api.get(f"/realtime/v1/batches/{made.json()['id']}", params={"offset": "-1"},
                   headers={"Authorization": f"Bearer {batch_token}"}).status_code == 200


def test_create_public_token_claims(emu, api):
    response = api.post("/api/v1/auth/jwt/claims")
    env = next(iter(emu.engine._environments.values()))
    assert response.status_code == 200 and response.json() == {"sub": env.id, "pub": True}


def test_a_token_stays_valid_when_the_emulator_clock_moves(emu, api):
    run_id, token = trigger(api)
    emu.advance(days=2)
    assert api.get(f"/realtime/v1/runs/{run_id}", params={"offset": "-1"},
                   headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_cors_preflight_and_errors_carry_cors_headers(api):
    pre = api.options("/realtime/v1/runs/run_x", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization,trigger-version,x-trigger-electric-version"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "authorization" in pre.headers["access-control-allow-headers"]
    missing = api.get("/realtime/v1/runs/run_cnope00000000000000000000", headers={"Origin": "http://localhost:5173"})
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "http://localhost:5173"


# -- refetch, reset ---------------------------------------------------------------------------
def test_an_offset_ahead_of_the_database_must_refetch(api):
    run_id, _ = trigger(api)
    first = snapshot(api, f"/realtime/v1/runs/{run_id}")
    live = api.get(f"/realtime/v1/runs/{run_id}", params={
        "handle": first.headers["electric-handle"], "offset": "99999999_1", "live": "true"})
    assert live.status_code == 409 and live.json() == [{"headers": {"control": "must-refetch"}}]
    assert live.headers["content-type"] == "application/json" and live.headers["electric-handle"]


def test_reset_ends_waiting_polls(emu, api, poller):
    run_id, _ = trigger(api)
    first = snapshot(api, f"/realtime/v1/runs/{run_id}")
    tagged = snapshot(api, "/realtime/v1/runs")
    pending = [poller(f"/realtime/v1/runs/{run_id}", first), poller("/realtime/v1/runs", tagged)]
    waiting(emu, 2)
    started = time.monotonic()
    emu.reset()
    assert [p.result(10).json() for p in pending] == [[UP_TO_DATE], [UP_TO_DATE]]
    assert time.monotonic() - started < 5 and len(emu.engine.notifier) == 0
    assert api.get(f"/realtime/v1/runs/{run_id}", params={"offset": "-1"}).status_code == 404


def test_file_database_changes_wake_polls(tmp_path):
    with LocalEmulator(Config(database=str(tmp_path / "rt.sqlite3"))) as emu, emu.client() as api:
        run_id, _ = trigger(api)
        first = snapshot(api, f"/realtime/v1/runs/{run_id}")
        with ThreadPoolExecutor(1) as pool, emu.client() as other:
            pending = pool.submit(other.get, f"/realtime/v1/runs/{run_id}", params={
                "handle": first.headers["electric-handle"], "offset": first.headers["electric-offset"], "live": "true"})
            waiting(emu)
            emu.advance(timedelta(minutes=11))  # past the dev TTL: expired
            [message] = rows(pending.result(10))
        assert message["value"]["status"] == "EXPIRED" and message["value"]["expiredAt"] is not None


def test_odd_input_never_gets_a_500():
    with LocalEmulator(Config(realtime_poll_timeout=0, realtime_stream_timeout=0)) as emu, emu.client() as api:
        run_id, _ = trigger(api)
        many_tags = api.get("/realtime/v1/runs", params={"tags": ",".join(f"t{i}" for i in range(2000)), "offset": "-1"})
        assert many_tags.status_code == 200 and many_tags.json() == [UP_TO_DATE]  # no run has 2,000 tags
        odd = [
            api.get(f"/realtime/v1/runs/{run_id}", params={"offset": "x_y", "handle": "\u0100", "live": "true"}),
            api.get(f"/realtime/v1/runs/{run_id}", params={"offset": "9" * 40, "handle": "h", "live": "true"}),
            api.get("/realtime/v1/runs", params={"offset": "1_1", "handle": "runs_9999999999999999_x", "live": "true"}),
            api.get("/realtime/v1/runs", params={"createdAt": "9" * 200, "skipColumns": ",,," * 100}),
            api.get(f"/realtime/v1/streams/{run_id}/ai", headers={"Last-Event-ID": "9" * 40}),
            api.get(f"/realtime/v1/streams/{run_id}/ai", headers={"Last-Event-ID": "1-" + "9" * 40, "Timeout-Seconds": "1e9"}),
            api.post(f"/realtime/v1/streams/{run_id}/self/ai", content=b"1\n", headers={"X-Resume-From-Chunk": "9" * 40}),
            api.head(f"/realtime/v1/streams/{run_id}/self/ai"),
        ]
        assert [r.status_code for r in odd] == [200] * len(odd)
        assert all(r.headers.get("electric-handle", "").isascii() for r in odd[:4])
