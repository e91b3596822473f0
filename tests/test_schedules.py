"""Schedules over HTTP (management.md §3): the validation pipeline and its exact strings, the three
response shapes, dedup upserts, PUT quirks, visibility, activation, timezones."""

import json
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time

SCHEDULES = "/api/v1/schedules"
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def at_2025(emu):
    with freeze_time(START, real_asyncio=True):
        yield emu


def create(api, **body):
    body = {"task": "nightly", "cron": "0 0 * * *", "deduplicationKey": "k1", **body}
    response = api.post(SCHEDULES, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_shape(at_2025, api):
    body = create(api, externalId="user-1", timezone="Europe/London", window="30m")
    assert list(body) == ["id", "type", "task", "active", "generator", "timezone", "window", "externalId",
                          "deduplicationKey", "environments", "nextRun", "nextRunEffectiveAt"]
    assert body["id"].startswith("sched_") and len(body["id"]) == len("sched_") + 21
    assert body["type"] == "IMPERATIVE" and body["task"] == "nightly" and body["active"] is True
    assert body["generator"] == {"type": "CRON", "expression": "0 0 * * *", "description": "At 12:00 AM"}
    assert body["timezone"] == "Europe/London" and body["window"] == "30m"
    assert body["externalId"] == "user-1" and body["deduplicationKey"] == "k1"
    [env] = body["environments"]
    assert list(env) == ["id", "shortcode", "type", "userName"] and env["type"] == "DEVELOPMENT"
    assert body["nextRun"] == "2025-01-02T00:00:00.000Z"
    effective = datetime.fromisoformat(body["nextRunEffectiveAt"].replace("Z", "+00:00"))
    assert 0 <= (effective - datetime(2025, 1, 2, tzinfo=timezone.utc)).total_seconds() < 30 * 60


def test_create_minimal_omits_unset_fields(at_2025, api):
    body = create(api, deduplicationKey="")
    assert "window" not in body and "externalId" not in body and "deduplicationKey" not in body
    assert body["timezone"] == "UTC"
    again = create(api, deduplicationKey="")  # "" makes a fresh schedule every time
    assert again["id"] != body["id"]


def test_create_with_an_existing_key_updates_that_schedule(at_2025, api):
    first = create(api, externalId="a", window="1h")
    second = create(api, cron="0 12 * * *", timezone="Asia/Tokyo")
    assert second["id"] == first["id"]
    assert second["generator"]["expression"] == "0 12 * * *" and second["timezone"] == "Asia/Tokyo"
    assert "externalId" not in second and "window" not in second  # omitted fields reset
    assert len(api.get(SCHEDULES).json()["data"]) == 1


def test_create_with_a_key_of_another_environment_moves_the_schedule(emu, at_2025, api):
    with emu.client(headers={"Authorization": "Bearer tr_prod_otherEnvironmentKey0001"}) as prod:
        theirs = prod.post(SCHEDULES, json={"task": "t", "cron": "0 * * * *", "deduplicationKey": "shared"}).json()
        assert prod.get(f"{SCHEDULES}/{theirs['id']}").status_code == 200
        mine = create(api, task="t", deduplicationKey="shared")
        assert mine["id"] == theirs["id"] and mine["environments"][0]["type"] == "DEVELOPMENT"
        assert prod.get(f"{SCHEDULES}/{theirs['id']}").status_code == 404
        assert prod.get(SCHEDULES).json()["data"] == []


@pytest.mark.parametrize("body, issues", [
    ({"task": "t", "cron": "* * * * *"},
     [{"code": "invalid_type", "expected": "string", "received": "undefined", "path": ["deduplicationKey"], "message": "Required"}]),
    ({"task": "t", "cron": "* * * * *", "deduplicationKey": "k", "window": "1d"},
     [{"code": "custom", "message": 'Schedule window must be a whole duration such as "30m" or "2h", or a percentage such as "30%"', "path": ["window"]}]),
    ({"task": "t", "cron": "* * * * *", "deduplicationKey": "k", "window": "25h"},
     [{"code": "custom", "message": "Schedule window duration cannot exceed 24 hours", "path": ["window"]}]),
    ({"task": "t", "cron": "* * * * *", "deduplicationKey": "k", "window": "101%"},
     [{"code": "custom", "message": "Schedule window percentage cannot exceed 100%", "path": ["window"]}]),
    ({"task": "t", "cron": "* * * * *", "deduplicationKey": "k", "window": 30},
     [{"code": "invalid_type", "expected": "string", "received": "number", "path": ["window"], "message": "Expected string, received number"}]),
    ({"task": "t", "cron": "* * * * *", "deduplicationKey": "k", "timezone": None},
     [{"code": "invalid_type", "expected": "string", "received": "null", "path": ["timezone"], "message": "Expected string, received null"}]),
    ([], [{"code": "invalid_type", "expected": "object", "received": "array", "path": [], "message": "Expected object, received array"}]),
])
def test_create_body_issues(api, body, issues):
    response = api.post(SCHEDULES, json=body)
    assert response.status_code == 400 and response.json() == {"error": "Invalid request body", "issues": issues}


@pytest.mark.parametrize("cron, reason", [
    ("0 0 * * * *", "CRON expressions with seconds are not allowed"),
    ("0  0 * * *", "CRON expressions with seconds are not allowed"),
    ("", "CRON expression is required"),
    ("61 * * * *", "Constraint error, got value 61 expected range 0-59"),
    ("a * * * *", "Invalid characters, got value: a"),
    ("0 0 31 2 *", "Invalid explicit day of month definition"),
    ("0 0 * * 8", "Constraint error, got value 8 expected range 0-7"),
    ("*/0 * * * *", "Constraint error, cannot repeat at every 0 time."),
])
def test_invalid_crons_are_422_with_the_libraries_words(api, cron, reason):
    response = api.post(SCHEDULES, json={"task": "t", "cron": cron, "deduplicationKey": "k"})
    assert response.status_code == 422 and response.json() == {"error": f"Invalid cron expression: {reason}"}


@pytest.mark.parametrize("cron", ["@daily", "0 0 * *"])
def test_crons_cronstrue_cannot_describe_are_a_422_not_a_500(api, cron):
    response = api.post(SCHEDULES, json={"task": "t", "cron": cron, "deduplicationKey": "k"})
    assert response.status_code == 422 and response.json()["error"].startswith("Invalid cron expression: ")


@pytest.mark.parametrize("tz", ["Asia/Kolkata", "US/Eastern", "Etc/UTC", "Nowhere/Special"])
def test_timezones_outside_the_cldr_list_are_refused(api, tz):
    response = api.post(SCHEDULES, json={"task": "t", "cron": "0 * * * *", "deduplicationKey": "k", "timezone": tz})
    assert response.status_code == 422
    assert response.json() == {"error": f"Invalid IANA timezone: '{tz}'. View the list of valid timezones at http://localhost:3030/timezones"}


def test_empty_timezone_skips_the_check_and_is_stored(at_2025, api):
    assert create(api, timezone="")["timezone"] == ""


def test_declared_tasks_gate_schedules(emu, api):
    assert api.post(SCHEDULES, json={"task": "anything", "cron": "0 * * * *", "deduplicationKey": "a"}).status_code == 200
    emu.declare_task("plain")
    emu.declare_task("cron-task", scheduled=True)
    response = api.post(SCHEDULES, json={"task": "missing", "cron": "0 * * * *", "deduplicationKey": "b"})
    assert response.status_code == 422 and response.json() == {"error": "Task with identifier missing not found in project."}
    response = api.post(SCHEDULES, json={"task": "plain", "cron": "0 * * * *", "deduplicationKey": "b"})
    assert response.status_code == 422 and response.json() == {"error": "Task with identifier plain is not a scheduled task."}
    assert api.post(SCHEDULES, json={"task": "cron-task", "cron": "0 * * * *", "deduplicationKey": "b"}).status_code == 200


def test_list_shape_and_pagination(at_2025, api):
    made = [create(api, deduplicationKey=f"k{i}", task=f"t{i}")["id"] for i in range(3)]
    api.post(f"{SCHEDULES}/{made[0]}/deactivate")
    body = api.get(SCHEDULES).json()
    assert [s["id"] for s in body["data"]] == made[::-1]
    assert body["pagination"] == {"currentPage": 1, "totalPages": 1, "count": 3}
    item = body["data"][-1]
    assert list(item) == ["id", "type", "task", "generator", "timezone", "deduplicationKey", "externalId", "active",
                          "nextRun", "nextRunEffectiveAt", "environments"]
    assert item["externalId"] is None and item["active"] is False
    assert item["nextRun"] == "2025-01-02T00:00:00.000Z"  # a date even while inactive
    assert list(item["environments"][0]) == ["id", "type", "slug", "userName"]
    page = api.get(SCHEDULES, params={"perPage": 2, "page": 2}).json()
    assert [s["id"] for s in page["data"]] == [made[0]]
    assert page["pagination"] == {"currentPage": 2, "totalPages": 2, "count": 3}


@pytest.mark.parametrize("params, issues", [
    ({"page": "0"}, [{"code": "too_small", "minimum": 0, "type": "number", "inclusive": False, "exact": False,
                      "message": "Number must be greater than 0", "path": ["page"]}]),
    ({"perPage": "abc"}, [{"code": "invalid_type", "expected": "number", "received": "nan", "path": ["perPage"],
                           "message": "Expected number, received nan"}]),
])
def test_list_parameter_issues(api, params, issues):
    response = api.get(SCHEDULES, params=params)
    assert response.status_code == 400 and response.json() == {"error": "Invalid request parameters", "issues": issues}


def test_retrieve_shape_by_id_and_by_dedup_key(at_2025, api):
    made = create(api, externalId="x")
    body = api.get(f"{SCHEDULES}/{made['id']}").json()
    assert list(body) == ["id", "type", "task", "active", "nextRun", "nextRunEffectiveAt", "generator", "timezone",
                          "externalId", "deduplicationKey", "environments"]
    assert list(body["environments"][0]) == ["id", "type"]
    assert api.get(f"{SCHEDULES}/k1").json()["id"] == made["id"]
    response = api.get(f"{SCHEDULES}/sched_nothere")
    assert response.status_code == 404 and response.json() == {"error": "Schedule not found"}
    assert "x-should-retry" not in response.headers


def test_activate_and_deactivate_answer_the_retrieve_shape(at_2025, api):
    made = create(api)
    off = api.post(f"{SCHEDULES}/{made['id']}/deactivate").json()
    assert off["active"] is False and off["nextRun"] is None and off["nextRunEffectiveAt"] is None
    assert api.post(f"{SCHEDULES}/{made['id']}/deactivate").json()["active"] is False  # idempotent
    on = api.post(f"{SCHEDULES}/{made['id']}/activate").json()
    assert on["active"] is True and on["nextRun"] == "2025-01-02T00:00:00.000Z"
    assert api.post(f"{SCHEDULES}/sched_nothere/activate").status_code == 404
    quirk = api.put(f"{SCHEDULES}/{made['id']}/activate")
    assert quirk.status_code == 200 and quirk.json() == {"status": 405, "body": "Method Not Allowed"}


def test_update_is_a_full_replacement_that_never_changes_the_task(emu, at_2025, api):
    emu.declare_task("nightly", scheduled=True)
    emu.declare_task("other", scheduled=True)
    made = create(api, externalId="x", timezone="Europe/Paris", window="2h")
    response = api.put(f"{SCHEDULES}/{made['id']}", json={"task": "other", "cron": "0 6 * * *"})
    body = response.json()
    assert response.status_code == 200 and body["id"] == made["id"] and body["task"] == "nightly"
    assert body["timezone"] == "UTC" and "externalId" not in body and "window" not in body
    assert body["deduplicationKey"] == "k1"
    response = api.put(f"{SCHEDULES}/{made['id']}", json={"task": "missing", "cron": "0 6 * * *"})
    assert response.status_code == 422  # the task is still checked


def test_update_of_an_unknown_id_creates_a_new_schedule(at_2025, api):
    response = api.put(f"{SCHEDULES}/sched_doesnotexist000000000", json={"task": "t", "cron": "0 * * * *"})
    body = response.json()
    assert response.status_code == 200 and body["id"] != "sched_doesnotexist000000000"
    assert "deduplicationKey" not in body
    assert api.get(f"{SCHEDULES}/{body['id']}").status_code == 200


def test_update_errors(emu, at_2025, api):
    made = create(api)
    response = api.put(f"{SCHEDULES}/{made['id']}", json={"cron": "0 * * * *"})
    assert response.status_code == 400 and response.json()["issues"][0]["path"] == ["task"]
    with emu.client(headers={"Authorization": "Bearer tr_prod_otherEnvironmentKey0001"}) as prod:
        response = prod.put(f"{SCHEDULES}/{made['id']}", json={"task": "t", "cron": "0 * * * *"})
    assert response.status_code == 404 and response.json() == {"error": "Schedule not found"}
    declared = emu.schedule("reports", "0 9 * * *")
    response = api.put(f"{SCHEDULES}/{declared.id}", json={"task": "reports", "cron": "0 10 * * *"})
    assert response.status_code == 422 and response.json() == {"error": "Cannot update a declarative schedule"}


def test_delete(emu, at_2025, api):
    made = create(api)
    with emu.client(headers={"Authorization": "Bearer tr_prod_otherEnvironmentKey0001"}) as prod:
        assert prod.delete(f"{SCHEDULES}/{made['id']}").status_code == 404  # hidden there
    response = api.delete(f"{SCHEDULES}/{made['id']}")
    assert response.status_code == 200 and response.json() == {"id": made["id"]}
    response = api.delete(f"{SCHEDULES}/{made['id']}")
    assert response.status_code == 404 and response.json() == {"error": "Schedule not found"}
    declared = emu.schedule("reports", "0 9 * * *")
    assert api.delete(f"{SCHEDULES}/{declared.id}").json() == {"id": declared.id}  # declarative too


def test_legacy_auth_and_method_quirks(emu):
    with emu.client(headers={"Authorization": "Bearer tr_dev_"}) as client:
        response = client.get(SCHEDULES)
    assert response.status_code == 401 and response.json() == {"error": "Invalid or Missing API Key"}
    with emu.client(headers={"Authorization": "Bearer "}) as client:
        assert client.get(SCHEDULES).json() == {"error": "Invalid or Missing API Key"}
    with emu.client() as client:
        quirk = client.patch(SCHEDULES, json={})
        assert quirk.status_code == 200 and quirk.json() == {"status": 405, "body": "Method Not Allowed"}
        response = client.post(SCHEDULES, content=b"{oops")
        assert response.status_code == 400 and response.json() == {"error": "Invalid request body"}


def test_timezones(emu):
    with emu.client() as client:
        del client.headers["Authorization"]
        body = client.get("/api/v1/timezones").json()
        without = client.get("/api/v1/timezones", params={"excludeUtc": "true"}).json()["timezones"]
        other = client.get("/api/v1/timezones", params={"excludeUtc": "1"}).json()["timezones"]
    zones = body["timezones"]
    assert zones[0] == "UTC" and zones[1:] == sorted(zones[1:])
    assert "Asia/Calcutta" in zones and "Asia/Kolkata" not in zones and "US/Eastern" not in zones
    assert without == zones[1:] and other == zones


def test_declarative_schedules_over_the_control_api(emu, at_2025, api):
    response = api.post("/__emulator/schedules", json={"task": "digest", "cron": "0 8 * * 1", "timezone": "Europe/London"})
    body = response.json()
    assert response.status_code == 200 and body["type"] == "DECLARATIVE" and "deduplicationKey" not in body
    again = api.post("/__emulator/schedules", json={"task": "digest", "cron": "0 9 * * 1"}).json()
    assert again["id"] == body["id"] and again["timezone"] == "UTC"
    assert api.post("/__emulator/schedules", json={"task": "digest", "cron": "nope"}).status_code == 400
    assert [t["id"] for t in api.get("/__emulator/tasks").json()["tasks"]] == ["digest"]
    listed = api.get(SCHEDULES).json()["data"]
    assert [s["id"] for s in listed] == [body["id"]]
    assert json.loads(json.dumps(listed))[0]["type"] == "DECLARATIVE"


def test_timezones_preflight_and_no_key_on_schedules(emu):
    with emu.client() as client:
        del client.headers["Authorization"]
        response = client.options("/api/v1/timezones", headers={"Origin": "https://app.example"})
        assert response.status_code == 200 and response.json() == {}
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        response = client.get(SCHEDULES)
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
