"""Issue #14 finding 4: public access tokens do exactly what production's RBAC ability lets
them (``buildJwtAbility`` with action aliases; ``checkAuth`` with any/every resources), on
every route that accepts one, with the contract's 403 bodies."""

import json

import httpx
import jwt
import pytest

from trigger_emulator.core import tokens

# Production signs with the environment's key whatever its length; so do these tests.
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")
URL = "/api/v1/tasks/{}/trigger"
FORBIDDEN = {"error": "Unauthorized", "code": "unauthorized", "param": "access_token", "type": "authorization"}


@pytest.fixture
def env_id(api):
    r = api.post(URL.format("warmup"), json={})
    return json.loads(r.headers["x-trigger-jwt-claims"])["sub"]


@pytest.fixture
def as_token(emu, env_id):
    """A client authorized by a token with ``scopes`` (signed with the environment's key)."""
    clients = []

    def make(scopes, **claims):
        token = tokens.mint(emu.secret_key, env_id, scopes, int(emu.now().timestamp()))
        if claims:
            payload = jwt.decode(token, options={"verify_signature": False})
            token = jwt.encode({**payload, **claims}, emu.secret_key, algorithm="HS256")
        client = httpx.Client(transport=httpx.MockTransport(emu.handle), base_url=emu.base_url,
                              headers={"Authorization": f"Bearer {token}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def trigger_token(emu, api):
    """The token a trigger answers with (read:runs:<id>, write:inputStreams:<id>), and its run."""
    r = api.post(URL.format("mine"), json={})
    client = httpx.Client(transport=httpx.MockTransport(emu.handle), base_url=emu.base_url,
                          headers={"Authorization": f"Bearer {r.headers['x-trigger-jwt']}"})
    yield client, r.json()["id"]
    client.close()


def test_a_trigger_token_cannot_list_the_environments_runs(api, trigger_token):
    client, _ = trigger_token
    api.post(URL.format("other"), json={})
    r = client.get("/api/v1/runs")
    assert (r.status_code, r.json()) == (403, FORBIDDEN)
    r = client.get("/api/v1/runs", params={"filter[taskIdentifier]": "mine"})
    assert (r.status_code, r.json()) == (403, FORBIDDEN)


def test_the_project_runs_route_refuses_public_tokens_like_a_pat_route(trigger_token):
    client, _ = trigger_token
    r = client.get("/api/v1/projects/proj_x/runs")
    assert (r.status_code, r.json()) == (401, {"error": "Invalid or Missing PAT"})


def test_a_trigger_token_cannot_cancel_runs(emu, api, trigger_token):
    client, own = trigger_token
    other = api.post(URL.format("other"), json={}).json()["id"]
    for run_id in (other, own, "run_doesnotexist"):  # an action: the 403 comes before the 404
        r = client.post(f"/api/v2/runs/{run_id}/cancel")
        assert (r.status_code, r.json()) == (403, FORBIDDEN), run_id
    assert emu.run(other).status == "QUEUED" and emu.run(own).status == "QUEUED"


def test_a_trigger_token_cannot_reset_idempotency_keys(emu, api, trigger_token):
    client, _ = trigger_token
    api.post(URL.format("other"), json={"options": {"idempotencyKey": "abc"}})
    r = client.post("/api/v1/idempotencyKeys/abc/reset", json={"taskIdentifier": "other"})
    assert (r.status_code, r.json()) == (403, FORBIDDEN)
    again = api.post(URL.format("other"), json={"options": {"idempotencyKey": "abc"}}).json()
    assert again["isCached"] is True  # the key still holds


def test_write_scopes_grant_what_they_name(emu, api, as_token):
    run_id = api.post(URL.format("other"), json={"options": {"idempotencyKey": "abc"}}).json()["id"]
    assert as_token(["write:runs:" + run_id]).post(f"/api/v2/runs/{run_id}/cancel").status_code == 200
    assert as_token(["write:runs:" + run_id]).post("/api/v1/idempotencyKeys/abc/reset",
                                                   json={"taskIdentifier": "other"}).status_code == 403
    assert as_token(["write:runs"]).post("/api/v1/idempotencyKeys/abc/reset",
                                         json={"taskIdentifier": "other"}).status_code == 200
    assert as_token(["write:tasks:other"]).post(f"/api/v2/runs/{run_id}/cancel").status_code == 200


@pytest.mark.parametrize("scopes, retrieve_other, trigger_mine", [
    (["read:runs:"], 200, 403),          # an empty id is type-level
    (["write:tasks"], 403, 200),         # write grants trigger (action alias)
    (["write:all"], 403, 200),
    (["read:all"], 200, 403),
    (["admin:runs"], 403, 403),          # only a bare "admin" is a wildcard
    (["admin"], 200, 200),
    ([], 403, 403),
    ([1, None, {"a": 1}], 403, 403),     # production throws on these (500); they grant nothing
    (["*:tasks:mine"], 403, 200),
])
def test_scope_grammar(api, as_token, scopes, retrieve_other, trigger_mine):
    other = api.post(URL.format("other"), json={}).json()["id"]
    client = as_token(scopes)
    assert client.get(f"/api/v3/runs/{other}").status_code == retrieve_other
    assert client.post(URL.format("mine"), json={}).status_code == trigger_mine


def test_list_scopes_need_every_filtered_task_or_a_type_level_grant(api, as_token):
    api.post(URL.format("a"), json={})
    only_a = as_token(["read:tasks:a"])
    assert only_a.get("/api/v1/runs", params={"filter[taskIdentifier]": "a"}).status_code == 200
    assert only_a.get("/api/v1/runs", params={"filter[taskIdentifier]": "a,b"}).json() == FORBIDDEN
    assert only_a.get("/api/v1/runs").status_code == 403
    assert as_token(["read:runs"]).get("/api/v1/runs", params={"filter[taskIdentifier]": "a,b"}).status_code == 200
    assert as_token(["read:tasks"]).get("/api/v1/runs").status_code == 200


def test_retrieve_grants_by_run_task_tag_or_batch_and_404_comes_first(api, as_token):
    run_id = api.post(URL.format("tagged"), json={"options": {"tags": ["team-a"]}}).json()["id"]
    for scopes in (["read:runs:" + run_id], ["read:tasks:tagged"], ["read:tags:team-a"]):
        assert as_token(scopes).get(f"/api/v3/runs/{run_id}").status_code == 200, scopes
    batch = api.post("/api/v1/tasks/batch", json={"items": [{"task": "b"}]}).json()
    batch_run = batch["runs"][0]["id"]
    assert as_token(["read:batch:" + batch["id"]]).get(f"/api/v3/runs/{batch_run}").status_code == 200
    assert as_token(["read:batch:" + batch["id"]]).get(f"/api/v3/runs/{run_id}").status_code == 403
    missing = as_token(["read:runs:run_x"]).get("/api/v3/runs/run_missing")
    assert missing.status_code == 404 and missing.headers["x-should-retry"] == "true"
    missing = as_token(["read:runs:run_x"]).get("/api/v2/batches/batch_missing")
    assert missing.status_code == 404


def test_a_parent_run_needs_write_on_it_or_its_task(api, as_token):
    parent = api.post(URL.format("parent-task"), json={}).json()["id"]
    body = {"options": {"parentRunId": parent}}
    r = as_token(["trigger:tasks:child"]).post(URL.format("child"), json=body)
    assert (r.status_code, r.json()) == (403, {"error": "Unauthorized"})
    for scopes in (["trigger:tasks:child", "write:runs:" + parent], ["trigger:tasks:child", "write:tasks:parent-task"],
                   ["write:tasks:child", "write:runs"]):
        assert as_token(scopes).post(URL.format("child"), json=body).status_code == 200, scopes
    r = as_token(["trigger:tasks:child", "write:tasks:parent-task"]).post(
        URL.format("child"), json={"options": {"parentRunId": "run_missing"}})
    assert (r.status_code, r.json()) == (403, {"error": "Unauthorized"})
    r = as_token(["batchTrigger:tasks:child"]).post("/api/v2/tasks/batch",
                                                     json={"items": [{"task": "child"}], "parentRunId": parent})
    assert (r.status_code, r.json()) == (403, {"error": "Unauthorized"})
    r = as_token(["batchTrigger:tasks"]).post("/api/v3/batches", json={"runCount": 1, "parentRunId": parent})
    assert (r.status_code, r.json()) == (403, {"error": "Unauthorized"})


def test_v3_batches_authorize_type_level_or_every_task(as_token):
    assert as_token(["batchTrigger:batch"]).post("/api/v3/batches", json={"runCount": 1}).status_code == 202
    assert as_token(["batchTrigger:tasks:a"]).post("/api/v3/batches", json={"runCount": 1}).json() == FORBIDDEN
    r = as_token(["batchTrigger:tasks:a"]).post("/api/v3/batches", json={"runCount": 1, "taskIdentifiers": ["a"]})
    assert r.status_code == 202
    r = as_token(["batchTrigger:tasks:a"]).post("/api/v3/batches", json={"runCount": 1, "taskIdentifiers": ["a", "b"]})
    assert r.json() == FORBIDDEN
    r = as_token(["write:batch"]).post("/api/v3/batches", json={"runCount": 1, "taskIdentifiers": ["a", "b"]})
    assert r.status_code == 202  # the type-level or-branch (and write aliases batchTrigger)


def test_v3_items_are_authorized_per_item_unless_the_token_can_write_the_batch(emu, api, as_token):
    ndjson = {"content-type": "application/x-ndjson"}
    batch_id = api.post("/api/v3/batches", json={"runCount": 2}).json()["id"]
    items = f"/api/v3/batches/{batch_id}/items"
    per_task = as_token(["write:tasks:a"])
    r = per_task.post(items, content=b'{"index":0,"task":"b"}\n', headers=ndjson)
    assert (r.status_code, r.json()) == (403, {"error": "Unauthorized"})
    r = per_task.post(items, content=b"", headers=ndjson)
    assert (r.status_code, r.json()) == (403, {"error": "Unauthorized"})
    assert per_task.post(items, content=b'{"index":0,"task":"a"}\n', headers=ndjson).json()["itemsAccepted"] == 1
    writer = as_token(["write:batch:" + batch_id])
    assert writer.post(items, content=b'{"index":1,"task":"z"}\n', headers=ndjson).json()["sealed"] is True
    assert len(emu.batch(batch_id).runs) == 2


def test_a_browser_batch_token_gets_write_batch_only_for_a_type_level_batch_trigger(api, as_token):
    browser = {"x-trigger-client": "browser"}

    def scopes_of(response):
        return jwt.decode(response.headers["x-trigger-jwt"], options={"verify_signature": False})["scopes"]

    own = api.post("/api/v3/batches", json={"runCount": 1}, headers=browser)
    assert scopes_of(own) == [f"read:batch:{own.json()['id']}", f"write:batch:{own.json()['id']}"]
    narrow = as_token(["batchTrigger:batch"]).post("/api/v3/batches", json={"runCount": 1}, headers=browser)
    assert scopes_of(narrow) == [f"read:batch:{narrow.json()['id']}"]
    wide = as_token(["batchTrigger:tasks"]).post("/api/v3/batches", json={"runCount": 1}, headers=browser)
    assert scopes_of(wide) == [f"read:batch:{wide.json()['id']}", f"write:batch:{wide.json()['id']}"]


def test_a_token_carries_its_realtime_claim_over_and_never_a_realtime_scope(as_token):
    r = as_token(["trigger:tasks:t", "realtime"], realtime={"skipColumns": ["payload"]}).post(URL.format("t"), json={})
    claims = json.loads(r.headers["x-trigger-jwt-claims"])
    assert claims["scopes"] == [f"read:runs:{r.json()['id']}", f"write:inputStreams:{r.json()['id']}"]
    assert claims["realtime"] == {"skipColumns": ["payload"]}
    assert jwt.decode(r.headers["x-trigger-jwt"], options={"verify_signature": False})["realtime"] == {"skipColumns": ["payload"]}


def test_the_per_task_batch_route_answers_with_a_batch_token(api):
    r = api.post("/api/v1/tasks/t/batch", json={"items": [{"payload": 1}]})
    assert r.status_code == 200
    assert json.loads(r.headers["x-trigger-jwt-claims"]) == {"sub": json.loads(r.headers["x-trigger-jwt-claims"])["sub"], "pub": True}
    scopes = jwt.decode(r.headers["x-trigger-jwt"], options={"verify_signature": False})["scopes"]
    assert scopes == [f"read:batch:{r.json()['batchId']}"]


def test_a_token_whose_subject_is_not_text_is_invalid(emu, env_id, as_token):
    for sub in (5, "cm\ud83d", None):
        token = jwt.encode({"sub": sub, "pub": True, "scopes": ["admin"], "iss": tokens.ISSUER, "aud": tokens.AUDIENCE},
                           emu.secret_key, algorithm="HS256")
        with httpx.Client(transport=httpx.MockTransport(emu.handle), base_url=emu.base_url) as client:
            r = client.get("/api/v1/runs", headers={"Authorization": f"Bearer {token}"})
        assert (r.status_code, r.json()) == (401, {"error": "Invalid Public Access Token"}), sub
