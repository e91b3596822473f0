"""Queues over HTTP and from Python (management.md §6)."""

import pytest

QUEUES = "/api/v1/queues"


def test_queues_appear_from_runs_and_declared_tasks(emu, api, trigger):
    assert api.get(QUEUES).json() == {"data": [], "pagination": {"currentPage": 1, "totalPages": 0, "count": 0}}
    trigger("send-email")
    trigger("send-email")
    trigger("resize", queue={"name": "media/images"})
    emu.declare_task("report", concurrency_limit=4)
    body = api.get(QUEUES).json()
    assert [(q["name"], q["type"]) for q in body["data"]] == [("media/images", "custom"), ("report", "task"), ("send-email", "task")]
    assert body["pagination"] == {"currentPage": 1, "totalPages": 1, "count": 3}
    email = body["data"][2]
    assert email == {
        "id": email["id"], "name": "send-email", "type": "task", "running": 0, "queued": 2, "paused": False,
        "concurrencyLimit": None,
        "concurrency": {"current": None, "base": None, "override": None, "overriddenBy": None, "overriddenAt": None},
        "releaseConcurrencyOnWaitpoint": True, "concurrencyLimitOverridePercent": None,
    }
    assert email["id"].startswith("queue_") and len(email["id"]) == len("queue_") + 21
    assert body["data"][1]["concurrencyLimit"] == 4


def test_list_pagination_and_query_errors(emu, api):
    for i in range(5):
        emu.declare_task(f"t{i}")
    page = api.get(QUEUES, params={"perPage": 2, "page": 3}).json()
    assert [q["name"] for q in page["data"]] == ["t4"]
    assert page["pagination"] == {"currentPage": 3, "totalPages": 3, "count": 5}
    response = api.get(QUEUES, params={"page": "0"})
    assert response.status_code == 400
    assert response.json() == {"error": "Query Error", "details": [
        {"code": "too_small", "minimum": 0, "type": "number", "inclusive": False, "exact": False,
         "message": "Number must be greater than 0", "path": ["page"]}]}
    assert len(api.get(QUEUES, params={"perPage": "1000"}).json()["data"]) == 5  # capped at 100


def test_retrieve_by_id_task_and_custom_name(api, trigger):
    trigger("my-task", queue={"name": "my/queue id"})
    trigger("my-task")
    listed = {q["name"]: q for q in api.get(QUEUES).json()["data"]}
    custom = listed["my/queueid"]  # the server keeps [A-Za-z0-9_-/] only
    assert api.get(f"{QUEUES}/{custom['id']}").json()["name"] == "my/queueid"
    assert api.get(f"{QUEUES}/{custom['id']}", params={"type": "id"}).json()["id"] == custom["id"]
    # the SDK sends encodeURIComponent(name.replace("/", "%2F")): my%252Fqueueid
    assert api.get(f"{QUEUES}/my%252Fqueueid", params={"type": "custom"}).json()["id"] == custom["id"]
    assert api.get(f"{QUEUES}/my-task", params={"type": "task"}).json()["id"] == listed["my-task"]["id"]
    assert api.get(f"{QUEUES}/task%252Fmy-task", params={"type": "task"}).json()["name"] == "my-task"


def test_retrieve_errors(api):
    response = api.get(f"{QUEUES}/queue_nope")
    assert response.status_code == 404 and response.json() == {"error": "queue-not-found"}
    assert "x-should-retry" not in response.headers
    response = api.get(f"{QUEUES}/x", params={"type": "foo"})
    assert response.status_code == 400
    assert response.json() == {"error": "Query Error", "details": [
        {"received": "foo", "code": "invalid_enum_value", "options": ["task", "custom", "id"], "path": ["type"],
         "message": "Invalid enum value. Expected 'task' | 'custom' | 'id', received 'foo'"}]}


def test_pause_and_resume(emu, api, trigger):
    trigger("work")
    response = api.post(f"{QUEUES}/work/pause", json={"type": "task", "action": "pause"})
    assert response.status_code == 200
    item = response.json()
    assert item["paused"] is True and item["queued"] == 1 and "concurrencyLimitOverridePercent" not in item
    assert api.post(f"{QUEUES}/{item['id']}/pause", json={"action": "pause"}).json()["paused"] is True  # idempotent
    assert api.get(f"{QUEUES}/{item['id']}").json()["paused"] is True
    assert api.post(f"{QUEUES}/{item['id']}/pause", json={"type": "id", "action": "resume"}).json()["paused"] is False


def test_pause_errors(api):
    response = api.post(f"{QUEUES}/nope/pause", json={"type": "task", "action": "pause"})
    assert response.status_code == 404 and response.json() == {"error": "queue-not-found"}
    response = api.post(f"{QUEUES}/nope/pause", json={"type": "task"})
    assert response.status_code == 400 and response.json() == {"error": 'Validation error: Required at "action"'}
    response = api.get(f"{QUEUES}/nope/pause")
    assert response.status_code == 405 and response.content == b""


def test_override_and_reset_keep_the_original_base(emu, api):
    emu.declare_task("limited", concurrency_limit=4)
    url = f"{QUEUES}/limited/concurrency"
    item = api.post(url + "/override", json={"type": "task", "concurrencyLimit": 2}).json()
    assert item["concurrencyLimit"] == 2 and "concurrencyLimitOverridePercent" not in item
    concurrency = item["concurrency"]
    assert concurrency["current"] == 2 and concurrency["base"] == 4 and concurrency["override"] == 2
    assert concurrency["overriddenBy"] is None and concurrency["overriddenAt"].endswith("Z")
    again = api.post(url + "/override", json={"type": "task", "concurrencyLimit": 1}).json()
    assert again["concurrency"]["base"] == 4  # re-overriding keeps the original base
    percent = api.post(url + "/override", json={"type": "task", "percent": 10}).json()
    assert percent["concurrencyLimit"] == 30  # 10% of the environment's 300
    assert api.get(f"{QUEUES}/limited", params={"type": "task"}).json()["concurrencyLimitOverridePercent"] == 10
    reset = api.post(url + "/reset", json={"type": "task"}).json()
    assert reset["concurrencyLimit"] == 4 and reset["concurrency"] == {
        "current": 4, "base": None, "override": None, "overriddenBy": None, "overriddenAt": None}
    response = api.post(url + "/reset", json={"type": "task"})
    assert response.status_code == 400 and response.json() == {"error": "Queue is not overridden"}


@pytest.mark.parametrize("body, error", [
    ({"type": "task"}, "Validation error: Provide exactly one of `concurrencyLimit` or `percent`"),
    ({"type": "task", "concurrencyLimit": 1, "percent": 5}, "Validation error: Provide exactly one of `concurrencyLimit` or `percent`"),
    ({"type": "task", "concurrencyLimit": -1}, 'Validation error: Number must be greater than or equal to 0 at "concurrencyLimit"'),
    ({"type": "task", "concurrencyLimit": 1.5}, 'Validation error: Expected integer, received float at "concurrencyLimit"'),
    ({"type": "foo", "concurrencyLimit": 1}, "Validation error: Invalid enum value. Expected 'task' | 'custom' | 'id', received 'foo' at \"type\""),
    ({"type": "task", "concurrencyLimit": 301}, "Concurrency limit (301) cannot exceed the environment limit (300)"),
])
def test_override_errors(emu, api, body, error):
    emu.declare_task("q")
    response = api.post(f"{QUEUES}/q/concurrency/override", json=body)
    assert response.status_code == 400 and response.json() == {"error": error}


def test_override_and_reset_404_say_queue_not_found(api):
    for path, body in (("override", {"concurrencyLimit": 1}), ("reset", {})):
        response = api.post(f"{QUEUES}/queue_nope/concurrency/{path}", json=body)
        assert response.status_code == 404 and response.json() == {"error": "Queue not found"}
    response = api.post(f"{QUEUES}/queue_nope/concurrency/reset", content=b"")
    assert response.status_code == 400 and response.json() == {"error": "Request body is empty"}


def test_retrieve_takes_a_public_token_with_read_queues(emu, api, trigger):
    from trigger_emulator.core import tokens

    trigger("t")
    env = emu._environment()
    token = tokens.mint(emu.secret_key, env.id, ["read:queues"], int(emu.now().timestamp()))
    with emu.client(headers={"Authorization": f"Bearer {token}"}) as browser:
        assert browser.get(f"{QUEUES}/t", params={"type": "task"}).json()["name"] == "t"
        assert browser.get(QUEUES).status_code == 401  # list takes secret keys only
    other = tokens.mint(emu.secret_key, env.id, ["read:runs"], int(emu.now().timestamp()))
    with emu.client(headers={"Authorization": f"Bearer {other}"}) as browser:
        assert browser.get(f"{QUEUES}/t", params={"type": "task"}).status_code == 403


def test_execute_skips_a_paused_queue_until_it_resumes(emu, trigger):
    done = []
    emu.task("work")(lambda payload: done.append(payload))
    trigger("work", {"n": 1})
    emu.pause_queue("work")
    assert emu.execute() == [] and done == []
    assert emu.runs("work")[0].status == "QUEUED"
    assert [q.paused for q in emu.queues()] == [True]
    emu.resume_queue("work")
    assert [r.status for r in emu.execute()] == ["COMPLETED"] and done == [{"n": 1}]


def test_python_queue_errors(emu):
    with pytest.raises(KeyError):
        emu.pause_queue("nothing")
    with pytest.raises(ValueError):
        emu.pause_queue("x", type="bogus")
