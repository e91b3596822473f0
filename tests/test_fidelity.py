"""Issue #19: the behaviours where the emulator answered differently from production, each
pinned over the wire to production's answer (or, where production is plainly buggy, to the
emulator's listed answer and to production's behind its setting). Production's answers are
from the server source and its own zod/V8 versions (notes in the issue)."""

import json
from datetime import datetime, timedelta

import pytest

from trigger_emulator import Config, LocalEmulator

TRIGGER = "/api/v1/tasks/{}/trigger"
NDJSON = {"content-type": "application/x-ndjson"}


def trigger(api, task="t", **options):
    r = api.post(TRIGGER.format(task), json={"payload": {"n": 1}, "options": options})
    assert r.status_code == 200, r.text
    return r.json()


def listed(api, run_id):
    return next(item for item in api.get("/api/v1/runs").json()["data"] if item["id"] == run_id)


def lines(*items):
    return "".join(json.dumps(item) + "\n" for item in items).encode()


def batch(api, *items):
    """A v3 batch of ``items`` (NDJSON lines without their index); returns its id."""
    batch_id = api.post("/api/v3/batches", json={"runCount": len(items)}).json()["id"]
    r = api.post(f"/api/v3/batches/{batch_id}/items", content=lines(*({"index": i, **item} for i, item in enumerate(items))),
                 headers=NDJSON)
    assert r.json()["sealed"] is True, r.text
    return batch_id


@pytest.fixture
def production_bugs():
    """An emulator answering production's buggy behaviours too (every setting that offers one)."""
    config = Config(metadata_get="raw", run_results="production", bad_input="production", strict_versions=True)
    with LocalEmulator(config) as emu, emu.client() as api:
        yield emu, api


class TestItem1IdempotencyKeyAfterFailure:
    """A failed or expired run keeps its key until the next trigger with it, or a reset."""

    def test_a_failed_run_keeps_its_key_and_reset_answers_the_key(self, emu, api):
        run_id = trigger(api, idempotencyKey="K")["id"]
        emu.fail(run_id)
        assert listed(api, run_id)["idempotencyKey"] == "K"
        assert api.get(f"/api/v3/runs/{run_id}").json()["idempotencyKey"] == "K"
        r = api.post("/api/v1/idempotencyKeys/K/reset", json={"taskIdentifier": "t"})
        assert (r.status_code, r.json()) == (200, {"id": "K"})
        r = api.post("/api/v1/idempotencyKeys/K/reset", json={"taskIdentifier": "t"})
        assert (r.status_code, r.json()) == (404, {"error": "No runs found with idempotency key: K and task: t"})
        assert "idempotencyKey" not in listed(api, run_id)

    def test_the_next_trigger_releases_it(self, emu, api):
        old = trigger(api, idempotencyKey="K")["id"]
        emu.fail(old, status="CRASHED")
        again = trigger(api, idempotencyKey="K")
        assert again["id"] != old and again["isCached"] is False
        assert "idempotencyKey" not in listed(api, old)
        assert "idempotencyKey" not in api.get(f"/api/v3/runs/{old}").json()
        assert listed(api, again["id"])["idempotencyKey"] == "K"

    def test_options_keep_showing_the_users_key_after_release(self, emu, api):
        options = {"idempotencyKey": "hash-of-K", "idempotencyKeyOptions": {"key": "K", "scope": "global"}}
        old = trigger(api, **options)["id"]
        emu.fail(old)
        trigger(api, **options)
        assert api.get(f"/api/v3/runs/{old}").json()["idempotencyKey"] == "K"  # options are never cleared
        assert "idempotencyKey" not in listed(api, old)  # the list shows the stored column only

    def test_an_expired_run_keeps_its_key_until_the_next_trigger(self, emu, api):
        run_id = trigger(api, idempotencyKey="K", ttl="1m")["id"]
        emu.advance(minutes=2)
        assert listed(api, run_id)["status"] == "EXPIRED" and listed(api, run_id)["idempotencyKey"] == "K"
        assert trigger(api, idempotencyKey="K")["id"] != run_id

    def test_cancelled_and_completed_runs_keep_answering_for_the_key(self, emu, api):
        cancelled = trigger(api, idempotencyKey="C")["id"]
        emu.cancel(cancelled)
        assert trigger(api, idempotencyKey="C") == {"id": cancelled, "isCached": True}
        done = trigger(api, idempotencyKey="D")["id"]
        emu.complete(done)
        assert trigger(api, idempotencyKey="D") == {"id": done, "isCached": True}


class TestItem2PreFailedBatchItems:
    """An item that cannot trigger becomes a created (pre-failed) run, not a batch error."""

    def test_v3_batch(self, emu, api):
        batch_id = batch(api, {"task": "t", "payload": {"a": 1}},
                         {"task": "t", "payload": {"b": 2}, "options": {"tags": [str(i) for i in range(11)]}},
                         {"task": "t"})
        v2 = api.get(f"/api/v2/batches/{batch_id}").json()
        assert len(v2["runs"]) == 3 and v2["processing"]["errors"] == [] and v2["status"] == "PENDING"
        failed = api.get(f"/api/v3/runs/{v2['runs'][1]}").json()
        assert (failed["status"], failed["payload"], failed["tags"]) == ("SYSTEM_FAILURE", {"b": 2}, [])
        assert failed["error"] == {"message": "trigger.dev internal error (BATCH_ITEM_COULD_NOT_TRIGGER)"}
        for run_id in v2["runs"]:
            if run_id != v2["runs"][1]:
                emu.fail(run_id)  # outcomes do not move the counts: they count created runs
        v1 = api.get(f"/api/v1/batches/{batch_id}").json()
        assert (v1["status"], v1["successfulRunCount"], v1["failedRunCount"]) == ("COMPLETED", 3, 0)
        assert "errors" not in v1

    def test_one_request_v2_batch_records_no_processing(self, emu, api):
        r = api.post("/api/v2/tasks/batch", json={"items": [
            {"task": "t", "payload": 1}, {"task": "t", "options": {"tags": [str(i) for i in range(11)]}}]})
        batch_id = r.json()["id"]
        v2 = api.get(f"/api/v2/batches/{batch_id}").json()
        assert "processingCompletedAt" not in v2 and v2["processing"] == {"errors": []}
        assert [api.get(f"/api/v3/runs/{x}").json()["status"] for x in v2["runs"]] == ["QUEUED", "SYSTEM_FAILURE"]
        v1 = api.get(f"/api/v1/batches/{batch_id}").json()
        assert "successfulRunCount" not in v1 and "failedRunCount" not in v1
        emu.complete(v2["runs"][0])
        assert api.get(f"/api/v2/batches/{batch_id}").json()["status"] == "COMPLETED"

    def test_an_oversized_item_is_a_pre_failed_run_with_an_empty_object_payload(self, emu, api):
        batch_id = api.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
        body = b'{"index":0,"task":"big","payload":"' + b"x" * 3_200_000 + b'"}\n'
        api.post(f"/api/v3/batches/{batch_id}/items", content=body, headers=NDJSON)
        run = api.get(f"/api/v3/runs/{api.get(f'/api/v2/batches/{batch_id}').json()['runs'][0]}").json()
        assert (run["status"], run["payload"]) == ("SYSTEM_FAILURE", {})
        assert run["error"] == {"message": "trigger.dev internal error (PAYLOAD_TOO_LARGE)"}

    def test_an_oversized_line_without_an_index_takes_its_position(self, emu, api):
        batch_id = api.post("/api/v3/batches", json={"runCount": 2}).json()["id"]
        body = b'{"index":0,"task":"t"}\n{"task":"big","payload":"' + b"x" * 3_200_000 + b'"}\n'
        r = api.post(f"/api/v3/batches/{batch_id}/items", content=body, headers=NDJSON)
        assert r.json()["sealed"] is True
        runs = api.get(f"/api/v2/batches/{batch_id}").json()["runs"]
        assert emu.run(runs[1]).status == "SYSTEM_FAILURE" and emu.run(runs[1]).task == "big"


DURATIONS = 'Supported formats: {number}s, {number}m, {number}h or {number}hr, {number}d, {number}w, optionally combined (for example "2h30m").'
NOT_A_DATE = "debounce.delay must be a duration, not a date, because it is re-applied every time the run is pushed back. "


class TestItem3DebounceOrder:
    @pytest.mark.parametrize("options, message", [
        ({"debounce": {"key": "k", "delay": ""}}, "Debounce requires a valid delay duration. Provided: "),
        ({"debounce": {"key": "k", "delay": "abc"}}, "Debounce requires a valid delay duration. Provided: abc"),
        ({"debounce": {"key": "k", "delay": "2099-01-01"}}, f"Invalid debounce delay: 2099-01-01. {NOT_A_DATE}{DURATIONS}"),
        ({"debounce": {"key": "k", "delay": "2020-01-01"}}, "Debounce requires a valid delay duration. Provided: 2020-01-01"),
        ({"delay": "10s", "debounce": {"key": "k", "delay": "abc"}}, f"Invalid debounce delay: abc. {DURATIONS}"),
        ({"delay": "10s", "debounce": {"key": "k", "delay": "2020-01-01"}}, f"Invalid debounce delay: 2020-01-01. {DURATIONS}"),
        ({"delay": "10s", "debounce": {"key": "k", "delay": "2099-01-01"}}, f"Invalid debounce delay: 2099-01-01. {NOT_A_DATE}{DURATIONS}"),
        ({"delay": "abc", "debounce": {"key": "k", "delay": "5s"}}, "Debounce requires a valid delay duration. Provided: 5s"),
        ({"delay": "", "debounce": {"key": "k", "delay": "5s"}}, "Debounce requires a valid delay duration. Provided: 5s"),
        ({"debounce": {"key": "k", "delay": "5s", "maxDelay": "5s"}},
         "debounce.maxDelay (5s) must be longer than debounce.delay (5s). A debounced run is only pushed back while it "
         "stays inside maxDelay, so with these values every trigger would create its own run."),
        ({"debounce": {"key": "k", "delay": "0s", "maxDelay": "0s"}},
         "debounce.maxDelay (0s) must be longer than debounce.delay (0s). A debounced run is only pushed back while it "
         "stays inside maxDelay, so with these values every trigger would create its own run."),
        ({"debounce": {"key": "k", "delay": "5s", "maxDelay": "1x"}}, f"Invalid debounce maxDelay: 1x. {DURATIONS}"),
    ])
    def test_422s_in_the_servers_order(self, api, options, message):
        r = api.post(TRIGGER.format("t"), json={"options": options})
        assert (r.status_code, r.json()) == (422, {"error": message})

    def test_zero_seconds_is_valid_and_queues_at_once(self, api):
        first = trigger(api, debounce={"key": "k", "delay": "0s"})
        run = api.get(f"/api/v3/runs/{first['id']}").json()
        assert run["status"] == "QUEUED" and run["delayedUntil"] == run["createdAt"]
        # no longer DELAYED, so the next trigger with the key is a new run
        assert trigger(api, debounce={"key": "k", "delay": "0s"})["id"] != first["id"]
        assert trigger(api, debounce={"key": "k", "delay": "0s", "maxDelay": "1s"})["isCached"] is False

    def test_an_explicit_delay_wins_for_the_first_run(self, api):
        run_id = trigger(api, delay="1h", debounce={"key": "k", "delay": "5s"})["id"]
        run = api.get(f"/api/v3/runs/{run_id}").json()
        delayed = datetime.fromisoformat(run["delayedUntil"]) - datetime.fromisoformat(run["createdAt"])
        assert run["status"] == "DELAYED" and delayed == timedelta(hours=1)


LOCKED = "Task locked to version '{}', but no worker found with that version."


class TestItem5LockToVersion:
    def test_any_version_until_one_is_deployed(self, emu, api):
        assert trigger(api, lockToVersion="20240101.1")["isCached"] is False  # the permissive default
        assert emu.deploy("20250101.1") == ["20250101.1"]
        r = api.post(TRIGGER.format("t"), json={"options": {"lockToVersion": "20240101.1"}})
        assert (r.status_code, r.json()) == (422, {"error": LOCKED.format("20240101.1")})
        run_id = trigger(api, lockToVersion="20250101.1")["id"]
        assert api.get(f"/api/v3/runs/{run_id}").json()["version"] == "20250101.1"
        assert trigger(api, lockToVersion="")["isCached"] is False  # "" locks nothing
        emu.versions = []
        assert trigger(api, lockToVersion="20240101.1")["isCached"] is False

    def test_the_control_route_is_per_environment(self, emu, api):
        r = api.post("/__emulator/versions", json={"versions": ["v1", "v2"]})
        assert (r.status_code, r.json()) == (200, {"environment": "dev", "versions": ["v1", "v2"]})
        assert api.get("/__emulator/versions").json()["versions"] == ["v1", "v2"]
        assert api.post("/__emulator/versions", json={"versions": ["v3"], "replace": True}).json()["versions"] == ["v3"]
        assert api.post(TRIGGER.format("t"), json={"options": {"lockToVersion": "v1"}}).status_code == 422
        with emu.client(headers={"Authorization": "Bearer tr_prod_otherenvironment1"}) as prod:
            assert prod.post(TRIGGER.format("t"), json={"options": {"lockToVersion": "v1"}}).status_code == 200
        assert api.post("/__emulator/versions", json={"versions": "v1"}).status_code == 400
        assert api.delete("/__emulator/versions").json()["versions"] == []

    def test_strict_versions_is_productions_no_worker_at_all(self, production_bugs):
        emu, api = production_bugs
        r = api.post(TRIGGER.format("t"), json={"options": {"lockToVersion": "20250101.1"}})
        assert (r.status_code, r.json()) == (422, {"error": LOCKED.format("20250101.1")})

    def test_a_cached_hit_answers_before_the_version_check(self, emu, api):
        first = trigger(api, idempotencyKey="K")["id"]
        emu.deploy("v1")
        assert trigger(api, idempotencyKey="K", lockToVersion="v9") == {"id": first, "isCached": True}

    def test_in_a_batch_it_is_a_pre_failed_run(self, emu, api):
        emu.deploy("v1")
        batch_id = batch(api, {"task": "t", "options": {"lockToVersion": "v9"}}, {"task": "t", "options": {"lockToVersion": "v1"}})
        runs = api.get(f"/api/v2/batches/{batch_id}").json()["runs"]
        assert [api.get(f"/api/v3/runs/{r}").json()["status"] for r in runs] == ["SYSTEM_FAILURE", "QUEUED"]


class TestItem6EmptyIdempotencyKey:
    def test_stored_never_looked_up_and_the_second_one_fails(self, api):
        first = trigger(api, idempotencyKey="")
        assert api.get(f"/api/v3/runs/{first['id']}").json()["idempotencyKey"] == ""
        assert "idempotencyKey" not in listed(api, first["id"])
        r = api.post(TRIGGER.format("t"), json={"options": {"idempotencyKey": ""}})
        assert (r.status_code, r.json()) == (422, {"error": "Failed to trigger t after 2 attempts."})
        assert trigger(api, "other-task", idempotencyKey="")["isCached"] is False

    def test_an_empty_header_hides_the_body_key(self, api):
        first = api.post(TRIGGER.format("t"), json={"options": {"idempotencyKey": "K"}}, headers={"idempotency-key": ""}).json()
        second = trigger(api, idempotencyKey="K")
        assert second["id"] != first["id"] and second["isCached"] is False


class TestItem7CancelBeforeStart:
    def test_a_never_started_run_has_no_finished_at(self, emu, api):
        run_id = trigger(api, delay="1h")["id"]
        api.post(f"/api/v2/runs/{run_id}/cancel")
        run = api.get(f"/api/v3/runs/{run_id}").json()
        assert run["status"] == "CANCELED" and "finishedAt" not in run and "startedAt" not in run
        item = listed(api, run_id)
        assert item["finishedAt"] == item["updatedAt"]  # the list falls back to updatedAt

    def test_a_started_run_is_finished_when_cancelled(self, emu, api):
        run_id = trigger(api)["id"]
        emu.start(run_id)
        api.post(f"/api/v2/runs/{run_id}/cancel")
        assert "finishedAt" in api.get(f"/api/v3/runs/{run_id}").json()


class TestItem8MetadataGet:
    def test_parsed_by_default_raw_as_production_behind_the_setting(self, api, production_bugs):
        run_id = trigger(api, metadata={"a": 1})["id"]
        assert api.get(f"/api/v1/runs/{run_id}/metadata").json() == {"metadata": {"a": 1}, "metadataType": "application/json"}
        _, prod = production_bugs
        with_metadata = trigger(prod, metadata={"a": 1})["id"]
        without = trigger(prod)["id"]
        assert prod.get(f"/api/v1/runs/{with_metadata}/metadata").json() == {
            "metadata": '{"a":1}', "metadataType": "application/json"}
        assert prod.get(f"/api/v1/runs/{without}/metadata").json() == {"metadata": None, "metadataType": "application/json"}


class TestItem9Results:
    def test_results_from_run_state_by_default(self, emu, api):
        run_id = trigger(api)["id"]
        emu.complete(run_id, {"ok": True})
        assert api.get(f"/api/v1/runs/{run_id}/result").json() == {
            "ok": True, "id": run_id, "taskIdentifier": "t", "output": '{"ok":true}', "outputType": "application/json"}

    def test_production_answers_only_cancelled_runs(self, production_bugs):
        emu, api = production_bugs
        done, failed, cancelled = (trigger(api)["id"] for _ in range(3))
        emu.complete(done, 1)
        emu.fail(failed)
        api.post(f"/api/v2/runs/{cancelled}/cancel")
        for run_id in (done, failed):
            r = api.get(f"/api/v1/runs/{run_id}/result")
            assert (r.status_code, r.json()) == (404, {"error": "Run either doesn't exist or is not finished"})
        assert api.get(f"/api/v1/runs/{cancelled}/result").json() == {
            "ok": False, "id": cancelled, "taskIdentifier": "t", "error": {"type": "INTERNAL_ERROR", "code": "TASK_RUN_CANCELLED"}}
        batch_id = batch(api, {"task": "t"})
        assert api.get(f"/api/v1/batches/{batch_id}/results").json() == {"id": batch_id, "items": []}


def pretty(issues):
    return json.dumps(issues, indent=2)


class TestItem10ErrorStrings:
    @pytest.mark.parametrize("options, message", [
        ({"idempotencyKey": "k" * 2049}, 'idempotencyKey must be 2048 characters or less at "options.idempotencyKey"'),
        ({"ttl": -1}, 'Number must be greater than or equal to 0 at "options.ttl"'),
        ({"ttl": 1.5}, 'Expected integer, received float at "options.ttl"'),
        ({"ttl": -1.5}, 'Number must be greater than or equal to 0 at "options.ttl"; Expected integer, received float at "options.ttl"'),
        ({"ttl": True}, 'Expected string, received boolean at "options.ttl", or Expected number, received boolean at "options.ttl"'),
        ({"payloadType": "application/store", "ttl": -1},
         'Number must be greater than or equal to 0 at "options.ttl"; payload must be a non-empty string when '
         'options.payloadType is application/store at "payload"'),
        ({"payloadType": "application/store", "ttl": True},  # a type error aborts: no refinement after it
         'Expected string, received boolean at "options.ttl", or Expected number, received boolean at "options.ttl"'),
        ({"tags": [1]}, 'Expected string, received array at "options.tags", or Expected string, received number at "options.tags[0]"'),
        ({"externalDeploymentId": "x" * 129}, 'externalId must be at most 128 characters at "options.externalDeploymentId"'),
    ])
    def test_trigger_body_messages_are_zods(self, api, options, message):
        r = api.post(TRIGGER.format("t"), json={"options": options})
        assert (r.status_code, r.json()) == (400, {"error": f"Validation error: {message}"})

    def test_the_key_header_has_its_own_message(self, api):
        r = api.post(TRIGGER.format("t"), json={}, headers={"idempotency-key": "k" * 2049})
        assert (r.status_code, r.json()) == (400, {"error": "Headers Error", "details": [
            {"code": "too_big", "maximum": 2048, "type": "string", "inclusive": True, "exact": False,
             "message": "idempotency-key must be 2048 characters or less", "path": ["idempotency-key"]}]})

    def test_create_batch_key_and_headers(self, api):
        r = api.post("/api/v3/batches", json={"runCount": 1, "idempotencyKey": "k" * 2049})
        assert r.json() == {"error": 'Validation error: idempotencyKey must be 2048 characters or less at "idempotencyKey"'}
        r = api.post("/api/v3/batches", json={"runCount": 1}, headers={"idempotency-key": "k" * 2049})
        assert r.json()["details"][0]["message"] == "idempotency-key must be 2048 characters or less"

    @pytest.mark.parametrize("line, where, issues", [
        ({"index": -1, "task": "t"}, "index -1", [
            {"code": "too_small", "minimum": 0, "type": "number", "inclusive": True, "exact": False,
             "message": "Number must be greater than or equal to 0", "path": ["index"]}]),
        ({"index": 1.5, "task": "t"}, "index 1.5", [
            {"code": "invalid_type", "expected": "integer", "received": "float", "message": "Expected integer, received float",
             "path": ["index"]}]),
        ({"index": 1e21, "task": 5}, "index 1e+21", [  # 1e21 is an integer to JS, and printed as JS prints it
            {"code": "invalid_type", "expected": "string", "received": "number", "path": ["task"],
             "message": "Expected string, received number"}]),
        ({"index": "0", "task": "t"}, "unknown index", [
            {"code": "invalid_type", "expected": "number", "received": "string", "path": ["index"],
             "message": "Expected number, received string"}]),
        ([1], "unknown index", [
            {"code": "invalid_type", "expected": "object", "received": "array", "path": [], "message": "Expected object, received array"}]),
        ({"index": 0, "task": "t", "options": {"machine": "huge"}}, "index 0", [
            {"received": "huge", "code": "invalid_enum_value",
             "options": ["micro", "small-1x", "small-2x", "medium-1x", "medium-2x", "large-1x", "large-2x"],
             "path": ["options", "machine"],
             "message": "Invalid enum value. Expected 'micro' | 'small-1x' | 'small-2x' | 'medium-1x' | 'medium-2x' | "
                        "'large-1x' | 'large-2x', received 'huge'"}]),
    ])
    def test_ndjson_items_answer_zods_pretty_issue_array(self, api, line, where, issues):
        batch_id = api.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
        r = api.post(f"/api/v3/batches/{batch_id}/items", content=lines(line), headers=NDJSON)
        assert (r.status_code, r.json()) == (422, {"error": f"Invalid item at {where}: {pretty(issues)}"})

    def test_list_query_errors_are_zods_issues_in_schema_order(self, api):
        r = api.get("/api/v1/runs", params={"filter[machine]": "huge", "filter[createdAt][to]": "99999999999999999",
                                             "page[size]": "0.5"})
        assert (r.status_code, r.json()) == (400, {"error": "Query Error", "details": [
            {"code": "invalid_type", "expected": "integer", "received": "float", "message": "Expected integer, received float",
             "path": ["page[size]"]},
            {"code": "too_small", "minimum": 1, "type": "number", "inclusive": True, "exact": False,
             "message": "Number must be greater than or equal to 1", "path": ["page[size]"]},
            {"code": "invalid_date", "path": ["filter[createdAt][to]"], "message": "Invalid date"},
            {"code": "custom", "message": "Invalid machine values: huge", "path": ["filter[machine]"]}]})

    @pytest.mark.parametrize("params, ok", [
        ({"page[size]": "1e1"}, True), ({"page[size]": "0x0a"}, True), ({"page[size]": ""}, False),
        ({"page[size]": "Infinity"}, False), ({"filter[createdAt][from]": ""}, True), ({"filter[isTest]": ""}, True),
        ({"filter[createdAt][from]": "Jan 1 2020"}, True),
    ])
    def test_list_query_values_are_read_like_js(self, api, params, ok):
        assert (api.get("/api/v1/runs", params=params).status_code == 200) is ok

    def test_tags_route_answers_zods_raw_issues(self, api):
        run_id = trigger(api)["id"]
        r = api.post(f"/api/v1/runs/{run_id}/tags", json={})
        assert (r.status_code, r.json()) == (400, {"error": "Invalid request body", "issues": [
            {"code": "invalid_union", "unionErrors": [
                {"issues": [{"code": "invalid_type", "expected": "string", "received": "undefined", "path": ["tags"],
                             "message": "Required"}], "name": "ZodError"},
                {"issues": [{"code": "invalid_type", "expected": "array", "received": "undefined", "path": ["tags"],
                             "message": "Required"}], "name": "ZodError"}],
             "path": ["tags"], "message": "Invalid input"}]})
        r = api.post(f"/api/v1/runs/{run_id}/tags", json={"tags": ["x" * 129]})
        assert r.json()["issues"] == [{"code": "too_big", "maximum": 128, "type": "string", "inclusive": True, "exact": False,
                                       "message": "Tags must be less than 128 characters", "path": ["tags", 0]}]


class TestItem11BearerPrefix:
    def test_only_the_exact_prefix_is_stripped(self, emu, api):
        run_id = trigger(api)["id"]
        with emu.client() as c:
            c.headers["Authorization"] = f"bearer {emu.secret_key}"
            assert c.post(TRIGGER.format("t"), json={}).json() == {"error": "Invalid API key"}
            assert c.post(f"/api/v1/runs/{run_id}/tags", json={"tags": "a"}).json() == {"error": "Invalid or Missing API Key"}
            assert c.post(f"/api/v1/runs/{run_id}/reschedule", json={"delay": "1h"}).json() == {
                "error": "Invalid or missing API Key"}
            c.headers["Authorization"] = f"Bearer  {emu.secret_key}"  # the route builder trims, legacy routes do not
            assert c.post(TRIGGER.format("t"), json={}).status_code == 200
            assert c.post(f"/api/v1/runs/{run_id}/tags", json={"tags": "a"}).status_code == 401


class TestItem12TtlHeader:
    @pytest.mark.parametrize("header", ["1x", "", "1h30m"])
    def test_an_invalid_header_falls_back_to_the_body(self, emu, api, header):
        body = {"options": {"idempotencyKey": "K", "idempotencyKeyTTL": "1s"}}
        first = api.post(TRIGGER.format("t"), json=body, headers={"idempotency-key-ttl": header}).json()["id"]
        emu.advance(seconds=2)  # the body's 1 s, not 30 days
        assert api.post(TRIGGER.format("t"), json=body).json()["id"] != first

    def test_a_valid_header_wins(self, emu, api):
        body = {"options": {"idempotencyKey": "K", "idempotencyKeyTTL": "1s"}}
        first = api.post(TRIGGER.format("t"), json=body, headers={"idempotency-key-ttl": "1h"}).json()["id"]
        emu.advance(seconds=2)
        assert api.post(TRIGGER.format("t"), json=body).json() == {"id": first, "isCached": True}


class TestItem13MissingBatch:
    @pytest.mark.parametrize("version", ["v1", "v2"])
    def test_a_missing_batch_may_be_retried(self, api, version):
        r = api.get(f"/api/{version}/batches/batch_cmissing0000000000000000")
        assert (r.status_code, r.json(), r.headers["x-should-retry"]) == (404, {"error": "Not found"}, "true")


class TestItem14BadInput:
    def test_non_json_tags_and_reschedule_bodies(self, api, production_bugs):
        run_id = trigger(api, delay="1h")["id"]
        for body in (b"{oops", b""):
            r = api.post(f"/api/v1/runs/{run_id}/tags", content=body)
            assert (r.status_code, r.json()) == (400, {"error": "Invalid request body"})
        r = api.post(f"/api/v1/runs/{run_id}/reschedule", content=b"{oops")
        assert (r.status_code, r.json()) == (400, {"error": "Invalid request body"})
        _, prod = production_bugs
        run_id = trigger(prod, delay="1h")["id"]
        r = prod.post(f"/api/v1/runs/{run_id}/tags", content=b"{oops")
        assert (r.status_code, r.json()) == (500, {"error": "Something went wrong, please try again."})
        r = prod.post(f"/api/v1/runs/{run_id}/reschedule", content=b"{oops")
        assert (r.status_code, r.text, r.headers["content-type"]) == (500, "Unexpected Server Error", "text/plain")

    def test_an_integer_past_a_doubles_range_is_invalid_json(self, api):
        body = '{"options": {"priority": 1%s}}' % ("0" * 400)
        r = api.post(TRIGGER.format("t"), content=body, headers={"content-type": "application/json"})
        assert (r.status_code, r.json()) == (400, {"error": "Invalid JSON"})

    def test_malformed_parent_run_id(self, api, production_bugs):
        r = api.post(TRIGGER.format("t"), json={"options": {"parentRunId": "run_a_b"}})
        assert (r.status_code, r.json()) == (400, {"error": "Invalid friendly ID format"})
        _, prod = production_bugs
        r = prod.post(TRIGGER.format("t"), json={"options": {"parentRunId": "abc"}})
        assert (r.status_code, r.json()) == (500, {"error": "Something went wrong"})

    def test_ndjson_that_is_not_utf8(self, api, production_bugs):
        batch_id = api.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
        r = api.post(f"/api/v3/batches/{batch_id}/items", content=b'{"index":0,"task":"\xff"}\n', headers=NDJSON)
        assert (r.status_code, r.json()) == (400, {"error": "Invalid UTF-8 at line 1: The encoded data was not valid for encoding utf-8"})
        _, prod = production_bugs
        batch_id = prod.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
        r = prod.post(f"/api/v3/batches/{batch_id}/items", content=b'{"index":0,"task":"\xff"}\n', headers=NDJSON)
        assert (r.status_code, r.json()) == (500, {"error": "Something went wrong"})


class TestItem15Edges:
    def test_cached_hit_waiting_on_a_missing_parent(self, emu, api):
        trigger(api, idempotencyKey="K")
        options = {"idempotencyKey": "K", "parentRunId": "run_cmissing0000000000000000", "resumeParentOnCompletion": True}
        r = api.post(TRIGGER.format("t"), json={"options": options})
        assert (r.status_code, r.json()) == (404, {"error": "Parent run not found in the calling environment"})
        # without the cached hit a missing parent is ignored
        assert trigger(api, parentRunId="run_cmissing0000000000000000", resumeParentOnCompletion=True)["isCached"] is False

    def test_resume_parent_without_a_parent_is_trigger_and_wait(self, api):
        run_id = trigger(api, resumeParentOnCompletion=True)["id"]
        run = api.get(f"/api/v3/runs/{run_id}").json()
        assert (run["triggerFunction"], run["depth"]) == ("triggerAndWait", 0) and "parent" not in run["relatedRuns"]

    @pytest.mark.parametrize("value, ok", [("", True), (" ", True), ("0x10", True), ("1e3", True), ("Infinity", True),
                                           ("abc", False), ("nan", False), ("1_0", False), ("inf", False)])
    def test_span_link_header_is_js_number(self, api, value, ok):
        r = api.post(TRIGGER.format("t"), json={}, headers={"x-trigger-span-parent-as-link": value})
        if ok:
            assert r.status_code == 200
        else:
            assert (r.status_code, r.json()) == (400, {"error": "Headers Error", "details": [
                {"code": "invalid_type", "expected": "number", "received": "nan", "path": ["x-trigger-span-parent-as-link"],
                 "message": "Expected number, received nan"}]})

    def test_status_filter_is_split_without_trimming(self, api):
        r = api.get("/api/v1/runs", params={"filter[status]": "QUEUED, COMPLETED"})
        assert r.json()["details"] == [{"code": "custom", "message": "Invalid status values:  COMPLETED", "path": ["filter[status]"]}]
        run_id = trigger(api, tags=["a"])["id"]
        assert api.get("/api/v1/runs", params={"filter[tag]": "x, a"}).json()["data"] == []  # " a" is not "a"
        assert [r["id"] for r in api.get("/api/v1/runs", params={"filter[tag]": "x,a"}).json()["data"]] == [run_id]


class TestItem16WireDetails:
    def test_json_answers_carry_the_charset(self, api):
        assert api.get("/api/v1/runs").headers["content-type"] == "application/json; charset=utf-8"
        assert api.post(TRIGGER.format("t"), json={"options": {"ttl": True}}).headers["content-type"] == (
            "application/json; charset=utf-8")

    def test_missing_header_problem_is_pretty_printed(self, emu):
        with emu.client() as c:
            c.headers.pop("Authorization")
            r = c.post(TRIGGER.format("t"), json={})
        assert r.headers["content-type"] == "application/problem+json; charset=utf-8"
        assert r.text == json.dumps({"title": "Unauthorized", "status": 401,
                                     "type": "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/401",
                                     "detail": "No authorization header provided",
                                     "error": "No authorization header provided"}, indent=2)

    def test_verbs_as_remix_routes_them(self, emu, api):
        run_id = trigger(api, delay="1h")["id"]
        for verb in ("PUT", "PATCH", "DELETE"):
            r = api.request(verb, f"/api/v1/runs/{run_id}/tags", json={"tags": "x"})
            assert (r.status_code, r.json()) == (200, {"status": 405, "body": "Method Not Allowed"})
        assert emu.run(run_id).tags == []
        r = api.put(f"/api/v1/runs/{run_id}/reschedule", json={"delay": "2h"})
        assert (r.status_code, r.json()) == (200, {"status": 405, "body": "Method Not Allowed"})
        r = api.get(f"/api/v1/runs/{run_id}/tags")
        assert (r.status_code, r.json(), r.headers["x-remix-error"]) == (400, {"message": "Unexpected Server Error"}, "yes")
        assert api.delete(f"/api/v2/runs/{run_id}/cancel").json() == {"id": run_id}
        assert emu.run(run_id).status == "CANCELED"
        batch_id = api.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
        r = api.put(f"/api/v3/batches/{batch_id}/items", content=lines({"index": 0, "task": "t"}), headers=NDJSON)
        assert r.json()["sealed"] is True

    def test_get_on_an_action_route_is_an_empty_405(self, api):
        for path in (TRIGGER.format("t"), "/api/v1/idempotencyKeys/k/reset", "/api/v3/batches"):
            r = api.get(path)
            assert (r.status_code, r.content, r.headers.get("content-type")) == (405, b"", None)

    def test_queue_name_is_required(self, api):
        r = api.post(TRIGGER.format("t"), json={"options": {"queue": {}}})
        assert r.json() == {"error": 'Validation error: Required at "options.queue.name"'}
        assert api.post("/api/v3/batches", json={"runCount": 1001}).json() == {
            "error": "Batch runCount of 1001 exceeds maximum allowed of 1000."}
