"""POST /api/v1/tasks/{task}/trigger: the route pipeline, validation and the 200 answer."""

import json
import re

import jwt
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

URL = "/api/v1/tasks/my-task/trigger"


def test_new_run_answer_and_jwt_headers(emu, api):
    r = api.post(URL, json={"payload": {"a": 1}})
    assert r.status_code == 200
    body = r.json()
    assert body["isCached"] is False
    assert re.fullmatch(r"run_c[0-9a-z]{24}", body["id"])
    claims = json.loads(r.headers["x-trigger-jwt-claims"])
    assert claims["pub"] is True
    assert claims["scopes"] == [f"read:runs:{body['id']}", f"write:inputStreams:{body['id']}"]
    token = jwt.decode(
        r.headers["x-trigger-jwt"], emu.secret_key, algorithms=["HS256"],
        audience="https://api.trigger.dev", issuer="https://id.trigger.dev",
    )
    assert token["sub"] == claims["sub"] and token["scopes"] == claims["scopes"]
    assert token["exp"] - token["iat"] == 3600


def test_unknown_task_is_queued_on_its_default_queue(emu, api):
    run_id = api.post("/api/v1/tasks/never-deployed/trigger", json={}).json()["id"]
    run = emu.run(run_id)
    assert (run.status, run.queue, run.task) == ("QUEUED", "task/never-deployed", "never-deployed")


def test_task_ids_are_url_decoded(emu, api):
    run_id = api.post("/api/v1/tasks/emails%2Fwelcome%20v2/trigger", json={}).json()["id"]
    assert emu.run(run_id).task == "emails/welcome v2"


def test_body_size_limits(api):
    too_big = api.post(URL, content=b'{"payload":"' + b"x" * 3_145_728 + b'"}', headers={"content-type": "application/json"})
    assert (too_big.status_code, too_big.json()) == (413, {"error": "Request body too large"})

    def chunked():
        yield b'{"payload":1}'

    no_length = api.post(URL, content=chunked())
    assert (no_length.status_code, no_length.json()) == (413, {"error": "Request body too large"})


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Request body is empty"),
        (b"{not json", "Invalid JSON"),
        (b"null", "Invalid JSON"),
        (b"false", "Invalid JSON"),
        (b"0", "Invalid JSON"),
        (b'""', "Invalid JSON"),
        (b'{"payload": NaN}', "Invalid JSON"),
        (b'{"payload": "\xff"}', "Invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "Invalid JSON"),
    ],
)
def test_unparseable_bodies(api, content, message):
    r = api.post(URL, content=content, headers={"content-type": "application/json"})
    assert (r.status_code, r.json()) == (400, {"error": message})


@pytest.mark.parametrize(
    "body, message",
    [
        ([], "Validation error: Expected object, received array"),
        ({"options": None}, 'Validation error: Expected object, received null at "options"'),
        ({"options": {"ttl": None}}, 'Validation error: Expected string, received null at "options.ttl", or Expected number, received null at "options.ttl"'),
        ({"options": {"machine": "huge"}}, "Validation error: Invalid enum value. Expected 'micro' | 'small-1x' | 'small-2x' | 'medium-1x' | 'medium-2x' | 'large-1x' | 'large-2x', received 'huge' at \"options.machine\""),
        ({"options": {"tags": ["ok", "x" * 129]}}, 'Validation error: Tags must be less than 128 characters at "options.tags[1]"'),
        ({"options": {"idempotencyKey": "k" * 2049}}, 'Validation error: idempotencyKey must be 2048 characters or less at "options.idempotencyKey"'),
        ({"options": {"maxAttempts": "3", "test": 1}}, 'Validation error: Expected number, received string at "options.maxAttempts"; Expected boolean, received number at "options.test"'),
        ({"options": {"queue": {}}}, 'Validation error: Required at "options.queue.name"'),
        ({"options": {"debounce": {"key": "k"}}}, 'Validation error: Required at "options.debounce.delay"'),
        ({"options": {"payloadType": "application/store"}}, 'Validation error: payload must be a non-empty string when options.payloadType is application/store at "payload"'),
    ],
)
def test_validation_errors_read_like_zod(api, body, message):
    r = api.post(URL, json=body)
    assert (r.status_code, r.json()) == (400, {"error": message})


def test_unknown_option_keys_are_stripped_not_rejected(emu, api):
    r = api.post(URL, json={"payload": 1, "options": {"concurrency": ["x"], "whatever": True}, "extra": 1})
    assert r.status_code == 200
    assert emu.run(r.json()["id"]).options == {}


def test_tag_rules(emu, api):
    eleven = [f"t{i}" for i in range(11)]
    r = api.post(URL, json={"options": {"tags": eleven}})
    assert (r.status_code, r.json()) == (422, {"error": "Runs can only have 10 tags, you're trying to set 11."})
    # counted before blank tags are dropped
    r = api.post(URL, json={"options": {"tags": ["a"] * 10 + [" "]}})
    assert r.status_code == 422
    run_id = api.post(URL, json={"options": {"tags": ["b", " ", "a", "b", "x" * 128]}}).json()["id"]
    assert api.get(f"/api/v3/runs/{run_id}").json()["tags"] == ["a", "b", "b", "x" * 128]
    single = api.post(URL, json={"options": {"tags": "solo"}}).json()["id"]
    assert emu.run(single).tags == ["solo"]


def test_header_idempotency_key_validation_and_precedence(emu, api):
    r = api.post(URL, json={}, headers={"idempotency-key": "k" * 2049})
    assert r.status_code == 400 and r.json()["error"] == "Headers Error"
    assert r.json()["details"][0]["path"] == ["idempotency-key"]
    first = api.post(URL, json={"options": {"idempotencyKey": "body"}}, headers={"idempotency-key": "header"}).json()
    again = api.post(URL, json={"options": {"idempotencyKey": "header"}}).json()
    assert again == {"id": first["id"], "isCached": True}
    bad_engine = api.post(URL, json={}, headers={"x-trigger-engine-version": "V3"})
    assert bad_engine.status_code == 400 and bad_engine.json()["error"] == "Headers Error"


def test_metadata_limit_is_413(api):
    big = {"blob": "x" * 262_144}
    r = api.post(URL, json={"options": {"metadata": big}})
    assert (r.status_code, r.json()) == (413, {"error": "Metadata exceeds maximum size of 262144 bytes"})


def test_methods(api):
    get = api.get(URL)
    assert get.status_code == 405 and get.content == b""
    options = api.options(URL, headers={"origin": "https://app.example"})
    assert options.status_code == 200 and options.json() == {}
    assert options.headers["access-control-allow-origin"] == "https://app.example"
    # any other verb behaves like POST (no method check on action routes)
    assert api.put(URL, json={}).status_code == 200


def test_cors_headers_expose_the_jwt(api):
    r = api.post(URL, json={}, headers={"origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-trigger-jwt" in r.headers["access-control-expose-headers"]


def test_every_option_is_stored(emu, api):
    options = {
        "payloadType": "application/json", "payloadSize": 10, "idempotencyKey": "abc", "idempotencyKeyTTL": "1h",
        "idempotencyKeyOptions": {"key": "order-42", "scope": "global"}, "delay": "5m", "ttl": 3600,
        "tags": ["x"], "metadata": {"m": 1}, "queue": {"name": "q!!1", "concurrencyLimit": 3},
        "concurrencyKey": 42, "machine": "large-2x", "maxAttempts": 3, "maxDuration": 1, "priority": 1.5,
        "test": True, "region": "eu", "lockToVersion": "20250101.1",
    }
    run_id = api.post(URL, json={"payload": {"p": True}, "options": options}).json()["id"]
    run = emu.run(run_id)
    assert run.options["concurrencyKey"] == "42"
    assert (run.queue, run.machine, run.max_attempts, run.ttl, run.is_test) == ("q1", "large-2x", 3, "1h", True)
    assert run.idempotency_key == "order-42" and run.metadata == {"m": 1} and run.status == "DELAYED"
    shown = api.get(f"/api/v3/runs/{run_id}").json()
    assert shown["version"] == "20250101.1" and shown["isTest"] is True and shown["metadata"] == {"m": 1}
