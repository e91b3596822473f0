"""Issue #14 finding 1: lone UTF-16 surrogates and NUL characters. ``JSON.parse`` accepts both
("\\ud83d" is what ``JSON.stringify`` writes for a string cut inside an emoji); production
stores them losslessly where it ``JSON.stringify``s the value and fails (500) in raw text
columns. The emulator stores the first kind losslessly, refuses the second with a 422 naming
the field, and never stores what it cannot read back: every run stays readable."""

import json

import pytest

URL = "/api/v1/tasks/t/trigger"
SURROGATE = "\\ud83d"  # as JSON text: the six characters JSON.stringify writes
UNSTORABLE = "contains an unpaired UTF-16 surrogate, which Trigger.dev cannot store"
NUL_UNSTORABLE = "contains a NUL character, which Trigger.dev cannot store"
JSON_HEADERS = {"content-type": "application/json"}


def raw(api, method, path, text):
    """Send ``text`` verbatim, so the JSON escapes reach the server as a client wrote them."""
    return api.request(method, path, content=text.encode(), headers=JSON_HEADERS)


def assert_readable(api, run_ids):
    """Retrieve, both lists, the dashboard list and every run page answer, and every JSON
    answer is valid UTF-8 JSON."""
    for run_id in run_ids:
        r = api.get(f"/api/v3/runs/{run_id}")
        assert r.status_code == 200, r.text
        json.loads(r.content.decode("utf-8"))
        assert api.get(f"/runs/{run_id}").status_code == 200
    for path in ("/api/v1/runs", "/api/v1/projects/proj_x/runs", "/", "/batches"):
        r = api.get(path)
        assert r.status_code == 200, (path, r.text)
        r.content.decode("utf-8")


@pytest.fixture
def good_run(api):
    return api.post(URL, json={"payload": {"ok": 1}, "options": {"tags": ["ok"], "delay": "1h"}}).json()["id"]


@pytest.mark.parametrize("options, field", [
    ('{"tags": ["ok", "bad%s"]}', "options.tags[1]"),
    ('{"tags": "bad%s"}', "options.tags"),
    ('{"idempotencyKey": "k%s"}', "options.idempotencyKey"),
    ('{"concurrencyKey": "c%s"}', "options.concurrencyKey"),
    ('{"ttl": "1h%s"}', "options.ttl"),
    ('{"lockToVersion": "v%s"}', "options.lockToVersion"),
    ('{"parentRunId": "run_%s"}', "options.parentRunId"),
    ('{"payloadType": "text/%s"}', "options.payloadType"),
    ('{"idempotencyKeyOptions": {"key": "k%s", "scope": "global"}}', "options.idempotencyKeyOptions.key"),
    ('{"debounce": {"key": "d%s", "delay": "1m"}}', "options.debounce.key"),
    ('{"metadata": "{\\"m\\": 1}%s", "metadataType": "application/super+json"}', "options.metadata"),
])
def test_a_surrogate_in_a_raw_text_option_is_refused_and_nothing_is_poisoned(api, good_run, options, field):
    r = raw(api, "POST", URL, '{"payload": 1, "options": %s}' % (options % SURROGATE))
    assert (r.status_code, r.json()) == (422, {"error": f"{field} {UNSTORABLE}"})
    assert_readable(api, [good_run])
    assert len(api.get("/api/v1/runs").json()["data"]) == 1


def test_options_production_only_parses_or_sanitizes_take_a_surrogate(emu, api):
    r = raw(api, "POST", URL, '{"options": {"queue": {"name": "q%s"}, "delay": "1h%s", "idempotencyKeyTTL": "1d%s"}}' % ((SURROGATE,) * 3))
    assert r.status_code == 200, r.text
    run = emu.run(r.json()["id"])
    assert run.queue == "q" and run.status == "QUEUED"  # the queue name is sanitized, the bad delay ignored
    assert_readable(api, [run.id])


def test_a_surrogate_in_a_raw_string_payload_is_refused(api, good_run):
    r = raw(api, "POST", URL, '{"payload": "{\\"json\\": \\"x%s\\"}", "options": {"payloadType": "application/super+json"}}' % SURROGATE)
    assert (r.status_code, r.json()) == (422, {"error": f"payload {UNSTORABLE}"})
    assert_readable(api, [good_run])


@pytest.mark.parametrize("body", [
    '{"payload": {"s": "x%s", "%s": ["\\udc00"]}}',
    '{"payload": "x%s"}',
    '{"payload": 1, "options": {"metadata": {"m": "%s"}}}',
    '{"payload": 1, "options": {"metadata": {"%s": 1}, "metadataType": "application/json"}}',
])
def test_json_values_keep_a_surrogate_losslessly_as_production_does(api, good_run, body):
    r = raw(api, "POST", URL, body.replace("%s", SURROGATE))
    assert r.status_code == 200, r.text
    run_id = r.json()["id"]
    shown = api.get(f"/api/v3/runs/{run_id}")
    assert SURROGATE.encode() in shown.content  # written back as JSON.stringify writes it
    sent = json.loads(body.replace("%s", SURROGATE))
    answer = shown.json()
    if "metadata" in sent.get("options", {}):
        assert answer["metadata"] == sent["options"]["metadata"]
    else:
        assert answer["payload"] == sent["payload"]
    assert_readable(api, [good_run, run_id])


def test_the_machine_enum_error_quotes_a_surrogate_as_json_stringify_does(api):
    r = raw(api, "POST", URL, '{"options": {"machine": "x%s"}}' % SURROGATE)
    assert r.status_code == 400
    assert r.json()["error"].startswith("Validation error: Invalid enum value.")
    assert r.json()["error"].endswith("received 'x\ud83d' at \"options.machine\"")
    assert b"'x\\ud83d'" in r.content  # escaped in the body, so the answer is valid UTF-8


@pytest.mark.parametrize("options, stored", [
    ({"idempotencyKeyOptions": {"key": "acme\u0000inc", "scope": "global"}, "idempotencyKey": "h1"}, "acmeinc"),
])
def test_nul_is_stripped_from_the_keys_production_cleans(api, options, stored):
    run_id = api.post(URL, json={"options": options}).json()["id"]
    assert api.get(f"/api/v3/runs/{run_id}").json()["idempotencyKey"] == stored


def test_nul_in_a_debounce_key_is_stripped_so_the_cleaned_key_groups(api):
    first = api.post(URL, json={"options": {"debounce": {"key": "a\u0000b", "delay": "1m"}}}).json()["id"]
    second = api.post(URL, json={"options": {"debounce": {"key": "ab", "delay": "1m"}}}).json()["id"]
    assert first == second


@pytest.mark.parametrize("body, field", [
    ({"options": {"tags": ["a\u0000b"]}}, "options.tags[0]"),
    ({"options": {"idempotencyKey": "k\u0000"}}, "options.idempotencyKey"),
    ({"options": {"concurrencyKey": "c\u0000"}}, "options.concurrencyKey"),
    ({"payload": "a\u0000b", "options": {"payloadType": "text/plain"}}, "payload"),
])
def test_nul_in_a_raw_text_field_is_refused(api, body, field):
    r = api.post(URL, json=body)
    assert (r.status_code, r.json()) == (422, {"error": f"{field} {NUL_UNSTORABLE}"})


def test_nul_in_a_json_payload_is_kept(api):
    run_id = api.post(URL, json={"payload": {"s": "x\u0000y"}}).json()["id"]
    assert api.get(f"/api/v3/runs/{run_id}").json()["payload"] == {"s": "x\u0000y"}


def test_metadata_put_keeps_a_surrogate_and_every_reader_still_answers(api, good_run):
    r = raw(api, "PUT", f"/api/v1/runs/{good_run}/metadata", '{"metadata": {"m": "%s"}}' % SURROGATE)
    assert r.status_code == 200 and SURROGATE.encode() in r.content
    assert api.get(f"/api/v1/runs/{good_run}/metadata").json()["metadata"] == {"m": "\ud83d"}
    assert_readable(api, [good_run])


def test_outcomes_keep_a_surrogate_output_and_strip_nul_from_errors(emu, api, trigger):
    done, failed = trigger(), trigger()
    r = raw(api, "POST", f"/__emulator/runs/{done}/complete", '{"output": {"o": "%s"}}' % SURROGATE)
    assert r.status_code == 200 and r.json()["output"] == {"o": "\ud83d"}
    r = raw(api, "POST", f"/__emulator/runs/{failed}/fail", '{"error": {"message": "bo\\u0000om %s"}}' % SURROGATE)
    assert r.status_code == 200
    assert r.json()["error"]["message"] == "boom \ud83d"
    assert_readable(api, [done, failed])


def test_a_v2_batch_with_a_surrogate_tag_is_refused_before_anything_is_made(api, good_run):
    r = raw(api, "POST", "/api/v2/tasks/batch",
            '{"items": [{"task": "t"}, {"task": "t", "options": {"tags": ["x%s"]}}]}' % SURROGATE)
    assert (r.status_code, r.json()) == (422, {"error": f"items[1].options.tags[0] {UNSTORABLE}"})
    assert len(api.get("/api/v1/runs").json()["data"]) == 1
    assert_readable(api, [good_run])


def test_a_v1_batch_keeps_a_surrogate_json_payload(api):
    r = raw(api, "POST", "/api/v1/tasks/batch", '{"items": [{"task": "t", "payload": {"s": "x%s"}}]}' % SURROGATE)
    assert r.status_code == 202, r.text
    run_id = r.json()["runs"][0]["id"]
    assert api.get(f"/api/v3/runs/{run_id}").json()["payload"] == {"s": "x\ud83d"}
    assert_readable(api, [run_id])


def test_a_v3_batch_idempotency_key_with_a_surrogate_is_refused(api):
    r = raw(api, "POST", "/api/v3/batches", '{"runCount": 1, "idempotencyKey": "k%s"}' % SURROGATE)
    assert (r.status_code, r.json()) == (422, {"error": f"idempotencyKey {UNSTORABLE}"})


def test_a_v3_item_with_a_surrogate_is_refused_and_the_batch_can_still_complete(api, good_run):
    batch_id = api.post("/api/v3/batches", json={"runCount": 2}).json()["id"]
    items = f"/api/v3/batches/{batch_id}/items"
    ndjson = {"content-type": "application/x-ndjson"}
    bad = ('{"index": 0, "task": "t"}\n{"index": 1, "task": "t", "options": {"tags": ["x%s"]}}\n' % SURROGATE).encode()
    r = api.post(items, content=bad, headers=ndjson)
    assert (r.status_code, r.json()) == (422, {"error": f"Invalid item at index 1: options.tags[0] {UNSTORABLE}"})
    r = api.post(items, content=b'{"index": 1, "task": "t", "options": {"tags": ["fine"]}}\n', headers=ndjson)
    assert r.status_code == 200 and r.json()["sealed"] is True
    runs = api.get(f"/api/v2/batches/{batch_id}").json()["runs"]
    assert len(runs) == 2
    assert_readable(api, [good_run, *runs])


def test_a_v3_item_whose_task_has_a_surrogate_is_refused(api):
    batch_id = api.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
    r = api.post(f"/api/v3/batches/{batch_id}/items", content=('{"index": 0, "task": "t%s"}\n' % SURROGATE).encode(),
                 headers={"content-type": "application/x-ndjson"})
    assert (r.status_code, r.json()) == (422, {"error": f"Invalid item at index 0: task {UNSTORABLE}"})


def test_tags_post_idempotency_reset_and_reschedule_never_fail(api, good_run):
    r = raw(api, "POST", f"/api/v1/runs/{good_run}/tags", '{"tags": ["x%s"]}' % SURROGATE)
    assert (r.status_code, r.json()) == (422, {"error": f"tags[0] {UNSTORABLE}"})
    r = raw(api, "POST", "/api/v1/idempotencyKeys/abc/reset", '{"taskIdentifier": "t%s"}' % SURROGATE)
    assert (r.status_code, r.json()) == (422, {"error": f"taskIdentifier {UNSTORABLE}"})
    r = raw(api, "POST", f"/api/v1/runs/{good_run}/reschedule", '{"delay": "1h%s"}' % SURROGATE)
    assert r.status_code == 400 and r.json() == {"error": "Invalid delay: 1h\ud83d"}
    assert_readable(api, [good_run])


def test_a_fault_rule_with_a_surrogate_in_its_body_is_listed(api):
    r = raw(api, "POST", "/__emulator/faults", '{"status": 503, "path": "/nowhere", "body": {"error": "x%s"}}' % SURROGATE)
    assert r.status_code == 200
    listed = api.get("/__emulator/faults")
    assert listed.status_code == 200 and listed.json()["faults"][0]["body"] == {"error": "x\ud83d"}


def test_the_test_form_refuses_a_surrogate_tag_and_renders(api):
    page = api.get("/test").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = api.post("/test", data={"csrf_token": token, "task": "t", "payload": "{}",
                                "options": '{"tags": ["x%s"]}' % SURROGATE})
    assert r.status_code == 400 and UNSTORABLE in r.text


def test_waitpoint_tokens_refuse_raw_text_they_cannot_store(api):
    for body, field in (('{"tags": ["x%s"]}', "tags[0]"), ('{"idempotencyKey": "k%s"}', "idempotencyKey"),
                        ('{"tags": "a\\u0000"}', "tags[0]")):
        r = raw(api, "POST", "/api/v1/waitpoints/tokens", body.replace("%s", SURROGATE))
        assert r.status_code == 422 and r.json()["error"].startswith(f"{field} contains"), r.text
    token = api.post("/api/v1/waitpoints/tokens", json={}).json()["id"]
    r = raw(api, "POST", f"/api/v1/waitpoints/tokens/{token}/complete", '{"data": "x%s"}' % SURROGATE)
    assert (r.status_code, r.json()) == (422, {"error": f"data {UNSTORABLE}"})
    r = raw(api, "POST", f"/api/v1/waitpoints/tokens/{token}/complete", '{"data": {"s": "x%s"}}' % SURROGATE)
    assert r.status_code == 200  # JSON data is kept losslessly
    shown = api.get(f"/api/v1/waitpoints/tokens/{token}")
    assert shown.status_code == 200 and SURROGATE.encode() in shown.content


def test_env_var_values_cannot_hold_a_lone_surrogate(api):
    base = "/api/v1/projects/proj_x/envvars/dev"
    r = raw(api, "POST", base, '{"name": "API_KEY", "value": "x%s"}' % SURROGATE)
    assert (r.status_code, r.json()) == (422, {"error": f"value {UNSTORABLE}"})
    assert api.post(base, json={"name": "API_KEY", "value": "x\u0000y"}).status_code == 200  # NUL is kept
    assert api.get(f"{base}/API_KEY").json()["value"] == "x\u0000y"
    assert api.get(base).status_code == 200
