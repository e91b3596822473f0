"""Issue #14 findings 2 and 3: far-future dates, huge numbers, hostile cursors and deep JSON
never answer 500 and never leave a run, a list or the dashboard unreadable."""

import base64
import datetime
import json

import pytest

URL = "/api/v1/tasks/t/trigger"


def readable(api, run_ids=()):
    for run_id in run_ids:
        assert api.get(f"/api/v3/runs/{run_id}").status_code == 200
        assert api.get(f"/runs/{run_id}").status_code == 200
    for path in ("/api/v1/runs", "/"):
        assert api.get(path).status_code == 200, path


@pytest.mark.parametrize("delay, shown", [
    (260_000_000_000_000, "+010209-01-27T06:13:20.000Z"),
    (8_640_000_000_000_000, "+275760-09-13T00:00:00.000Z"),
])
def test_a_far_future_delay_is_stored_and_shown_as_javascript_shows_it(emu, api, delay, shown):
    run_id = api.post(URL, json={"options": {"delay": delay}}).json()["id"]
    answer = api.get(f"/api/v3/runs/{run_id}").json()
    assert answer["status"] == "DELAYED" and answer["delayedUntil"] == shown
    assert api.get("/api/v1/runs").json()["data"][0]["delayedUntil"] == shown
    readable(api, [run_id])
    # Python's datetime ends in year 9999: the Python API shows the last millisecond it can.
    assert emu.run(run_id).delayed_until == datetime.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)


def test_another_environments_far_future_run_does_not_break_the_dashboard(emu, api):
    with emu.client(headers={"Authorization": "Bearer tr_dev_someoneElse"}) as other:
        run_id = other.post(URL, json={"options": {"delay": 260_000_000_000_000}}).json()["id"]
    readable(api, [api.post(URL, json={}).json()["id"]])
    env_id = emu.run(run_id).env_id
    for path in (f"/runs/{run_id}", f"/?env={env_id}", f"/?env={env_id}&partial=rows"):
        assert api.get(path).status_code == 200, path


@pytest.mark.parametrize("delay", ["8.64e15", "8640000000000000", "2.6e14", "-8.64e15"])
def test_reschedule_out_of_the_storable_range_is_an_invalid_delay_and_changes_nothing(api, delay):
    run_id = api.post(URL, json={"options": {"delay": "1h"}}).json()["id"]
    before = api.get(f"/api/v3/runs/{run_id}").json()["delayedUntil"]
    r = api.post(f"/api/v1/runs/{run_id}/reschedule", content=('{"delay": %s}' % delay).encode(),
                 headers={"content-type": "application/json"})
    shown = {"8.64e15": "8640000000000000", "2.6e14": "260000000000000", "-8.64e15": "-8640000000000000"}.get(delay, delay)
    assert (r.status_code, r.json()) == (400, {"error": f"Invalid delay: {shown}"})
    assert api.get(f"/api/v3/runs/{run_id}").json()["delayedUntil"] == before
    readable(api, [run_id])


def test_priority_1e306_everywhere_a_run_is_made(emu, api):
    made = [api.post(URL, json={"options": {"priority": 1e306}}).json()["id"]]
    for path in ("/api/v1/tasks/batch", "/api/v2/tasks/batch"):
        r = api.post(path, json={"items": [{"task": "t", "options": {"priority": 1e306}},
                                           {"task": "t", "options": {"priority": -1e306}}]})
        assert r.status_code == 202, r.text
    batch_id = api.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
    r = api.post(f"/api/v3/batches/{batch_id}/items", content=b'{"index":0,"task":"t","options":{"priority":1e306}}\n',
                 headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["sealed"]
    page = api.get("/test").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = api.post("/test", data={"csrf_token": token, "task": "t", "payload": "{}", "options": '{"priority": 1e306}'})
    assert r.status_code == 303
    assert len(emu.runs()) == 7  # the form's run went to a new environment of its own
    readable(api, made)


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("value", [
    {"c": 10**30, "r": "run_x"}, {"c": 2**63, "r": "run_x"}, {"c": -(10**20), "r": "run_x"},
    {"c": 1e300, "r": "run_x"}, {"c": 8_640_000_000_000_001, "r": "run_x"}, {"c": True, "r": "run_x"},
    {"c": 1, "r": "run_\ud83d"}, {"c": 1, "r": "run_\u0000"}, {"c": 1, "r": 5}, {"c": [1], "r": {}},
])
@pytest.mark.parametrize("param", ["page[after]", "page[before]"])
def test_a_cursor_that_decodes_to_anything_is_never_a_500(api, trigger, value, param):
    trigger()
    r = api.get("/api/v1/runs", params={param: _cursor(value)})
    assert r.status_code == 200 and r.json() == {"data": [], "pagination": {}}


def nested(depth: int, leaf=1):
    text = '{"n":' * depth + json.dumps(leaf) + "}" * depth
    return json.loads(text)


def test_metadata_nested_300_levels_triggers_and_stays_readable(api):
    run_id = api.post(URL, json={"options": {"metadata": nested(300)}}).json()["id"]
    assert api.get(f"/api/v3/runs/{run_id}").json()["metadata"] == nested(300)
    readable(api, [run_id])


def test_metadata_put_nested_500_levels_keeps_the_list_readable(api, trigger):
    run_id = trigger()
    r = api.put(f"/api/v1/runs/{run_id}/metadata", json={"metadata": nested(500)})
    assert r.status_code == 200
    assert api.get("/api/v1/runs").json()["data"][0]["metadata"] == nested(500)
    readable(api, [run_id])


def test_metadata_operations_cannot_nest_past_the_json_limit(api, trigger):
    run_id = trigger()
    api.put(f"/api/v1/runs/{run_id}/metadata", json={"metadata": {"a": nested(505)}})
    deep_path = "$." + ".".join(["k"] * 20)
    r = api.put(f"/api/v1/runs/{run_id}/metadata", json={"operations": [{"type": "set", "key": deep_path, "value": {"a": nested(500)}}]})
    assert (r.status_code, r.json()) == (422, {"error": "Metadata cannot be nested more than 512 levels deep"})
    readable(api, [run_id])


@pytest.mark.parametrize("depth", [600, 10_000])
def test_json_nested_past_the_limit_is_invalid_json_before_parsing(api, depth):
    body = b'{"payload":' + b"[" * depth + b"]" * depth + b"}"
    r = api.post(URL, content=body, headers={"content-type": "application/json"})
    assert (r.status_code, r.json()) == (400, {"error": "Invalid JSON"})
    r = api.put("/api/v1/runs/run_x/metadata", content=b'{"metadata":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}",
                headers={"content-type": "application/json"})
    assert (r.status_code, r.json()) == (400, {"error": "Invalid JSON"})


def test_dashboard_forms_with_json_nested_10000_deep_answer_with_a_message(api, trigger):
    run_id = trigger()
    deep = "[" * 10_000 + "]" * 10_000
    page = api.get(f"/runs/{run_id}").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = api.post(f"/runs/{run_id}/complete", data={"csrf_token": token, "output": deep})
    assert r.status_code == 303 and "not+JSON" in r.headers["location"]
    r = api.post("/test", data={"csrf_token": token, "task": "t", "payload": deep, "options": "{}"})
    assert r.status_code == 400 and "JSON" in r.text
    r = api.post("/test", data={"csrf_token": token, "task": "t", "payload": "{}", "options": deep})
    assert r.status_code == 400
    readable(api, [run_id])


@pytest.mark.parametrize("body", [{"timeout": 1e306}, {"timeout": 2**70}, {"timeout": -1e306}])
def test_waitpoint_timeouts_past_javascripts_date_range_are_invalid_dates(api, body):
    r = api.post("/api/v1/waitpoints/tokens", json=body)
    assert (r.status_code, r.json()) == (400, {"error": 'Validation error: Expected string, received number at "timeout", '
                                                        'or Invalid date at "timeout"'})


def test_a_waitpoint_key_ttl_past_every_range_is_stored_and_readable(emu, api):
    r = api.post("/api/v1/waitpoints/tokens", json={"idempotencyKey": "k", "idempotencyKeyTTL": "99999999999999999d"})
    assert r.status_code == 200, r.text
    assert api.get(f"/api/v1/waitpoints/tokens/{r.json()['id']}").status_code == 200
    emu.advance(days=365)
    assert api.get(f"/api/v1/waitpoints/tokens/{r.json()['id']}").status_code == 200
    assert api.post("/api/v1/waitpoints/tokens", json={"idempotencyKey": "k"}).json()["isCached"] is True


@pytest.mark.parametrize("status", [{"a": 1}, ["FAILED"], 5, None])
def test_a_failure_status_of_the_wrong_type_is_a_400(api, trigger, status):
    run_id = trigger()
    r = api.post(f"/__emulator/runs/{run_id}/fail", json={"error": "boom", "status": status})
    assert r.status_code == 400 and r.json()["error"].startswith("status must be one of")


def test_numbers_are_written_back_as_javascript_writes_them(api):
    # JSON.stringify(JSON.parse(...)) in node 20 gives exactly the expected text
    sent = (b'{"payload": {"a": 1.0, "b": -0.0, "c": 1e21, "e": 100000000000000000000.0, "f": 9007199254740993, '
            b'"g": 12345678901234567890123, "h": 1.5, "k": 1e300, "l": -0, "m": 12, "n": "1.0 in a string"}}')
    run_id = api.post(URL, content=sent, headers={"content-type": "application/json"}).json()["id"]
    text = api.get(f"/api/v3/runs/{run_id}").text
    assert ('"payload":{"a":1,"b":0,"c":1e+21,"e":100000000000000000000,"f":9007199254740992,'
            '"g":1.2345678901234568e+22,"h":1.5,"k":1e+300,"l":0,"m":12,"n":"1.0 in a string"}') in text
    batch = api.post("/api/v3/batches", json={"runCount": 2}).json()["id"]
    for index in range(2):  # the first item is read back from storage when the second seals the batch
        line = b'{"index": %d, "task": "t", "payload": {"a": 2.0, "b": 9007199254740993}}\n' % index
        api.post(f"/api/v3/batches/{batch}/items", content=line, headers={"content-type": "application/x-ndjson"})
    for item in api.get(f"/api/v2/batches/{batch}").json()["runs"]:
        assert '"payload":{"a":2,"b":9007199254740992}' in api.get(f"/api/v3/runs/{item}").text
