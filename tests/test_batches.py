"""Batch APIs through HTTP: create, stream, seal, retrieve, limits and idempotency."""

import json

import pytest

from trigger_emulator import Config
from trigger_emulator import LocalEmulator

NDJSON = {"content-type": "application/x-ndjson"}


def lines(*items):
    return "".join(json.dumps(item) + "\n" for item in items).encode()


def create(api, run_count, **extra):
    return api.post("/api/v3/batches", json={"runCount": run_count, **extra})


def stream(api, batch_id, content, headers=NDJSON):
    return api.post(f"/api/v3/batches/{batch_id}/items", content=content, headers=headers)


class TestCreate:
    def test_answer_and_headers(self, api):
        r = create(api, 2, taskIdentifiers=["a"], idempotencyKey="k")
        assert r.status_code == 202
        body = r.json()
        assert body["runCount"] == 2 and body["isCached"] is False and body["idempotencyKey"] == "k"
        assert body["id"].startswith("batch_c") and len(body["id"]) == 31
        claims = json.loads(r.headers["x-trigger-jwt-claims"])
        assert set(claims) == {"sub", "pub"}
        assert r.headers["x-trigger-jwt"].count(".") == 2

    @pytest.mark.parametrize("body, message", [
        ({"runCount": 0}, 'Validation error: Number must be greater than 0 at "runCount"'),
        ({"runCount": -1}, 'Validation error: Number must be greater than 0 at "runCount"'),
        ({}, 'Validation error: Required at "runCount"'),
        ({"runCount": 1001}, "Batch runCount of 1001 exceeds maximum allowed of 1000."),
        ({"runCount": 2, "taskIdentifiers": []}, 'Validation error: Array must contain at least 1 element(s) at "taskIdentifiers"'),
    ])
    def test_400s(self, api, body, message):
        r = api.post("/api/v3/batches", json=body)
        assert (r.status_code, r.json()) == (400, {"error": message})

    def test_413_over_128_kib(self, api):
        r = create(api, 1, idempotencyKeyOptions={"key": "x" * 140_000, "scope": "global"})
        assert (r.status_code, r.json()) == (413, {"error": "Request body too large"})

    def test_idempotent_create_answers_the_first_batch(self, api):
        first = create(api, 2, idempotencyKey="nightly").json()
        again = create(api, 2, idempotencyKey="nightly")
        assert again.status_code == 200
        assert again.json() == {"id": first["id"], "runCount": 2, "isCached": True, "idempotencyKey": "nightly"}

    def test_idempotent_create_in_production_parity_mode_is_422(self):
        with LocalEmulator(Config(batch_idempotency="reject")) as emu, emu.client() as api:
            create(api, 2, idempotencyKey="nightly")
            again = create(api, 2, idempotencyKey="nightly")
            assert again.status_code == 422
            assert again.json() == {"error": "Cannot create batch as it has already been created with the same idempotency key."}

    def test_rate_limit_429_and_clock_refill(self, emu, api):
        assert create(api, 1000).status_code == 202
        assert create(api, 200).status_code == 202  # 1200 burst
        r = create(api, 150)
        assert r.status_code == 429
        assert r.json()["error"].startswith("Batch rate limit exceeded. Limit resets at ")
        now_ms = int(emu.now().timestamp() * 1000)
        assert r.headers["x-ratelimit-limit"] == "1200" and r.headers["x-ratelimit-remaining"] == "0"
        reset = int(r.headers["x-ratelimit-reset"])
        assert 10_000 < reset - now_ms <= 20_000  # two refills of 100 are needed
        assert r.headers["retry-after"] in {"11", "12", "13", "14", "15", "16", "17", "18", "19", "20"}
        emu.advance(seconds=10)
        assert create(api, 150).status_code == 429
        emu.advance(seconds=10)
        assert create(api, 150).status_code == 202
        assert create(api, 1001).status_code == 400  # over 1000 is a 400 before the limiter

    def test_rate_limit_is_per_environment(self, emu, api):
        create(api, 1000)
        create(api, 200)
        with emu.client(headers={"Authorization": "Bearer tr_dev_other"}) as other:
            assert create(other, 1000).status_code == 202


class TestStream:
    def test_sealed_in_one_request_and_runs_in_index_order(self, emu, api):
        batch_id = create(api, 3).json()["id"]
        r = stream(api, batch_id, lines(
            {"index": 2, "task": "t", "payload": '{"json":{"n":2}}', "options": {"payloadType": "application/super+json"}},
            {"index": 0, "task": "t", "payload": "zero", "options": {"payloadType": "text/plain"}},
            {"index": 1, "task": "u", "payload": '{"n":1}'},
        ))
        assert r.json() == {"id": batch_id, "itemsAccepted": 3, "itemsDeduplicated": 0, "sealed": True, "runCount": 3}
        retrieved = api.get(f"/api/v2/batches/{batch_id}").json()
        assert retrieved["status"] == "PENDING" and retrieved["runCount"] == 3
        assert [emu.run(r).payload for r in retrieved["runs"]] == ["zero", {"n": 1}, {"n": 2}]
        assert retrieved["processing"]["errors"] == [] and "completedAt" in retrieved["processing"]

    def test_partial_then_complete_with_dedup(self, emu, api):
        batch_id = create(api, 3).json()["id"]
        first = stream(api, batch_id, lines({"index": 0, "task": "t", "payload": 1}, {"index": 1, "task": "t", "payload": 1}))
        assert first.json() == {"id": batch_id, "itemsAccepted": 2, "itemsDeduplicated": 0, "sealed": False,
                                "enqueuedCount": 2, "expectedCount": 3, "runCount": 3}
        assert api.get(f"/api/v2/batches/{batch_id}").json()["runs"] == []
        assert emu.runs() == []
        # the SDK re-sends everything; a differing duplicate is ignored (first wins)
        again = stream(api, batch_id, lines({"index": 0, "task": "t", "payload": 99}, {"index": 1, "task": "t", "payload": 1},
                                            {"index": 2, "task": "t", "payload": 1}))
        assert again.json()["itemsAccepted"] == 1 and again.json()["itemsDeduplicated"] == 2 and again.json()["sealed"]
        assert emu.runs()[0].payload == 1
        sealed = stream(api, batch_id, lines({"index": 0, "task": "t"}))
        assert sealed.json() == {"id": batch_id, "itemsAccepted": 0, "itemsDeduplicated": 0, "sealed": True, "runCount": 3}

    def test_three_partial_requests_count_what_each_added(self, emu, api):
        batch_id = create(api, 5).json()["id"]
        item = lambda i, payload=None: {"index": i, "task": "t", "payload": i if payload is None else payload}  # noqa: E731
        assert stream(api, batch_id, lines(item(0), item(1))).json()["itemsAccepted"] == 2
        second = stream(api, batch_id, lines(item(1, 99), item(2), item(2, 98))).json()
        assert (second["itemsAccepted"], second["itemsDeduplicated"], second["sealed"], second["enqueuedCount"]) == (1, 2, False, 3)
        third = stream(api, batch_id, lines(item(4), item(3), item(4, 97))).json()
        assert (third["itemsAccepted"], third["itemsDeduplicated"], third["sealed"]) == (2, 1, True)
        assert [run.payload for run in emu.runs()] == [0, 1, 2, 3, 4]

    def test_chunked_body_without_content_length(self, emu, api):
        batch_id = create(api, 2).json()["id"]

        def chunks():
            yield b'{"index":0,"task":"t","pay'
            yield b'load":1}\n\n   \n{"index":1,"task":"t"}'  # blank lines skipped, last line without \n

        r = stream(api, batch_id, chunks())
        assert r.json()["sealed"] is True and len(emu.runs()) == 2

    def test_errors(self, api):
        batch_id = create(api, 2).json()["id"]
        r = stream(api, batch_id, lines({"index": 0, "task": "t"}), headers={"content-type": "application/json"})
        assert (r.status_code, r.json()) == (415, {"error": "Content-Type must be application/x-ndjson or application/ndjson"})
        r = stream(api, batch_id, b'{"index":0,"task":"t"}\n{oops\n')
        assert r.status_code == 400 and r.json()["error"].startswith("Invalid JSON at line 2: ")
        r = stream(api, batch_id, lines({"index": 5, "task": "t"}))
        assert (r.status_code, r.json()) == (422, {"error": "Item index 5 exceeds batch runCount 2"})
        r = stream(api, batch_id, lines({"index": 1}))
        issue = ('[\n  {\n    "code": "invalid_type",\n    "expected": "string",\n    "received": "undefined",\n'
                 '    "path": [\n      "task"\n    ],\n    "message": "Required"\n  }\n]')
        assert (r.status_code, r.json()) == (422, {"error": f"Invalid item at index 1: {issue}"})
        r = stream(api, batch_id, lines({"task": "t"}))
        assert r.json()["error"].startswith("Invalid item at unknown index: [\n")
        r = stream(api, batch_id, b'{"index":1,"task":"t","payload":"\xff"}\n')
        assert (r.status_code, r.json()) == (
            400, {"error": "Invalid UTF-8 at line 1: The encoded data was not valid for encoding utf-8"})
        # the item accepted before the first error stays enqueued
        done = stream(api, batch_id, lines({"index": 1, "task": "t"}))
        assert done.json()["itemsDeduplicated"] == 0 and done.json()["sealed"] is True
        r = stream(api, "batch_cnothere00000000000000000", lines({"index": 0, "task": "t"}))
        assert (r.status_code, r.json()) == (422, {"error": "Batch batch_cnothere00000000000000000 not found"})
        r = stream(api, "nounderscore", lines({"index": 0, "task": "t"}))
        assert (r.status_code, r.json()) == (422, {"error": "Invalid batchFriendlyId: nounderscore"})
        r = api.get(f"/api/v3/batches/{batch_id}/items")
        assert (r.status_code, r.json()) == (405, {"error": "Method not allowed. Use POST to stream batch items."})

    def test_other_environment_cannot_stream(self, emu, api):
        batch_id = create(api, 1).json()["id"]
        with emu.client(headers={"Authorization": "Bearer tr_dev_other"}) as other:
            r = stream(other, batch_id, lines({"index": 0, "task": "t"}))
            assert (r.status_code, r.json()) == (422, {"error": f"Batch {batch_id} not found"})
            assert other.get(f"/api/v2/batches/{batch_id}").status_code == 404

    def test_failing_items_become_pre_failed_runs(self, emu, api):
        batch_id = create(api, 3).json()["id"]
        stream(api, batch_id, lines(
            {"index": 0, "task": "t", "options": {"tags": [str(i) for i in range(11)]}},
            {"index": 1, "task": "t", "options": {"debounce": {"key": "k", "delay": "soon"}}},
            {"index": 2, "task": "t", "payload": 1},
        ))
        retrieved = api.get(f"/api/v2/batches/{batch_id}").json()
        assert len(retrieved["runs"]) == 3
        runs = [api.get(f"/api/v3/runs/{r}").json() for r in retrieved["runs"]]
        assert [run["status"] for run in runs] == ["SYSTEM_FAILURE", "SYSTEM_FAILURE", "QUEUED"]
        # a pre-failed run is a created run, not a batch error
        assert retrieved["processing"]["errors"] == []
        assert emu.run(retrieved["runs"][0]).error == {
            "message": "trigger.dev internal error (BATCH_ITEM_COULD_NOT_TRIGGER)"}
        assert runs[0]["payload"] == "" and "tags" in runs[0] and runs[0]["tags"] == []

    def test_oversized_line_is_a_pre_failed_item(self, emu, api):
        batch_id = create(api, 1).json()["id"]
        big = b'{"index":0,"task":"big","payload":"' + b"x" * 3_200_000 + b'"}\n'
        r = stream(api, batch_id, big)
        assert r.json()["sealed"] is True and r.json()["itemsAccepted"] == 1
        run = emu.runs()[0]
        assert run.status == "SYSTEM_FAILURE" and run.task == "big" and run.payload == {}
        assert api.get(f"/api/v2/batches/{batch_id}").json()["processing"]["errors"] == []

    def test_item_idempotency_keys_and_batch_completion(self, emu, api):
        existing = api.post("/api/v1/tasks/t/trigger", json={"options": {"idempotencyKey": "k1"}}).json()["id"]
        batch_id = create(api, 2).json()["id"]
        stream(api, batch_id, lines({"index": 0, "task": "t", "options": {"idempotencyKey": "k1"}},
                                    {"index": 1, "task": "t", "options": {"idempotencyKey": "k2"}}))
        runs = api.get(f"/api/v2/batches/{batch_id}").json()["runs"]
        assert runs[0] == existing and runs[1] != existing
        for run_id in runs:
            emu.complete(run_id, {"ok": True})
        assert api.get(f"/api/v2/batches/{batch_id}").json()["status"] == "COMPLETED"
        v1 = api.get(f"/api/v1/batches/{batch_id}").json()
        assert v1["status"] == "COMPLETED" and v1["successfulRunCount"] == 2 and "processing" not in v1 and "errors" not in v1

    def test_runs_listed_in_item_order_whoever_answered_them(self, emu, api):
        first = create(api, 2).json()["id"]
        stream(api, first, lines({"index": 1, "task": "t", "options": {"idempotencyKey": "shared"}}))
        stream(api, first, lines({"index": 0, "task": "t", "payload": 0}))  # completes it: the second request seals
        first_runs = api.get(f"/api/v2/batches/{first}").json()["runs"]
        assert [emu.run(r).payload for r in first_runs] == [0, None] and len(set(first_runs)) == 2
        second = create(api, 3).json()["id"]
        sealed = stream(api, second, lines(
            {"index": 2, "task": "t", "options": {"idempotencyKey": "own"}},
            {"index": 0, "task": "t", "options": {"idempotencyKey": "shared"}},  # answered by the first batch's run
            {"index": 1, "task": "t", "options": {"idempotencyKey": "own"}},  # answered by this batch's index 2
        )).json()
        assert sealed["sealed"] and sealed["itemsAccepted"] == 3
        runs = api.get(f"/api/v2/batches/{second}").json()["runs"]
        assert runs[0] == first_runs[1]
        assert runs[1] == runs[2] and runs[1] not in first_runs
        assert api.get(f"/api/v2/batches/{first}").json()["runs"] == first_runs  # the first batch's view unchanged
        again = stream(api, second, lines({"index": 0, "task": "t"})).json()  # a late item changes nothing
        assert again["sealed"] and again["itemsAccepted"] == 0
        assert api.get(f"/api/v2/batches/{second}").json()["runs"] == runs

    def test_items_of_one_task_make_runs_of_their_own(self, emu, api):
        batch_id = create(api, 4).json()["id"]
        stream(api, batch_id, lines({"index": 0, "task": "t", "payload": {"n": 0}}, {"index": 1, "task": "t"},
                                    {"index": 2, "task": "t", "payload": "two"}, {"index": 3, "task": "t", "payload": {"n": 3}}))
        runs = api.get(f"/api/v2/batches/{batch_id}").json()["runs"]
        assert [emu.run(r).payload for r in runs] == [{"n": 0}, None, "two", {"n": 3}]
        assert api.post(f"/api/v2/runs/{runs[0]}/cancel").status_code == 200
        assert api.post(f"/api/v1/runs/{runs[3]}/tags", json={"tags": ["only-three"]}).status_code == 200
        statuses = [api.get(f"/api/v3/runs/{r}").json() for r in runs]
        assert [s["status"] for s in statuses] == ["CANCELED", "QUEUED", "QUEUED", "QUEUED"]
        assert [s["tags"] for s in statuses] == [[], [], [], ["only-three"]]
        assert len(set(runs)) == 4

    def test_runs_keep_item_order_whatever_fields_they_leave_empty(self, emu, api):
        # Items with and without a payload, tags or a TTL are written with different statements
        # (their NULLs differ); the runs still come in item order.
        items = []
        for i in range(12):
            item = {"index": i, "task": "mixed"}
            if i % 2:
                item["payload"] = {"i": i}
            if i % 3 == 0:
                item["options"] = {"tags": [f"t{i}"], "ttl": "1h"}
            items.append(item)
        batch_id = create(api, 12).json()["id"]
        assert stream(api, batch_id, lines(*items)).json()["sealed"]
        runs = emu.runs()
        assert [run.payload for run in runs] == [{"i": i} if i % 2 else None for i in range(12)]
        assert [run.tags for run in runs] == [[f"t{i}"] if i % 3 == 0 else [] for i in range(12)]
        assert api.get(f"/api/v2/batches/{batch_id}").json()["runs"] == [run.id for run in runs]
        assert [api.get(f"/api/v3/runs/{run.id}").json()["ttl"] for run in runs[:4]] == ["1h", "10m", "10m", "1h"]

    def test_a_1000_item_batch(self, emu, api):
        batch_id = create(api, 1000).json()["id"]
        r = stream(api, batch_id, lines(*({"index": i, "task": "bulk", "payload": {"i": i}} for i in range(1000))))
        assert r.json()["itemsAccepted"] == 1000 and r.json()["sealed"]
        retrieved = api.get(f"/api/v2/batches/{batch_id}").json()
        assert len(set(retrieved["runs"])) == 1000
        assert emu.run(retrieved["runs"][999]).payload == {"i": 999}


class TestRetrieve:
    def test_unknown_batch(self, api):
        r = api.get("/api/v2/batches/batch_cmissing0000000000000000")
        assert (r.status_code, r.json(), r.headers["x-should-retry"]) == (404, {"error": "Not found"}, "true")


class TestLegacyRoutes:
    def test_v2_tasks_batch(self, emu, api):
        r = api.post("/api/v2/tasks/batch", json={"items": [{"task": "a", "payload": {"x": 1}}, {"task": "b"}]})
        assert r.status_code == 202
        body = r.json()
        assert body["isCached"] is False and body["runCount"] == 2 and "x-trigger-jwt" in r.headers
        runs = api.get(f"/api/v2/batches/{body['id']}").json()["runs"]
        assert [emu.run(x).task for x in runs] == ["a", "b"]
        assert emu.run(runs[0]).payload == {"x": 1}

    @pytest.mark.parametrize("items, message", [
        ([], "Batch cannot be triggered with no items"),
        ([{"task": "a"}] * 501, "Batch size of 501 is too large. Maximum allowed batch size is 500."),
    ])
    def test_v2_and_v1_limits(self, api, items, message):
        for path in ("/api/v2/tasks/batch", "/api/v1/tasks/batch"):
            r = api.post(path, json={"items": items})
            assert (r.status_code, r.json()) == (400, {"error": message})

    def test_v1_multi_task_production_shape(self, api):
        r = api.post("/api/v1/tasks/batch", json={"items": [{"task": "a", "options": {"idempotencyKey": "x"}}, {"task": "b"}]},
                     headers={"idempotency-key": "batch-1"})
        assert r.status_code == 202
        body = r.json()
        assert body["isCached"] is False and body["idempotencyKey"] == "batch-1"
        assert [(x["taskIdentifier"], x["isCached"]) for x in body["runs"]] == [("a", False), ("b", False)]
        assert body["runs"][0]["idempotencyKey"] == "x"
        again = api.post("/api/v1/tasks/batch", json={"items": [{"task": "a"}]}, headers={"idempotency-key": "batch-1"}).json()
        assert again["id"] == body["id"] and again["isCached"] is True

    def test_v1_per_task(self, emu, api):
        r = api.post("/api/v1/tasks/resize/batch", json={"items": [{"payload": {"n": 1}}, {"payload": {"n": 2}, "options": {"tags": ["x"]}}]})
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"batchId", "runs"} and len(body["runs"]) == 2
        assert [emu.run(x).payload for x in body["runs"]] == [{"n": 1}, {"n": 2}]
        assert api.post("/api/v1/tasks/resize/batch", json={"items": []}).json() == {"error": "No items to trigger"}
        too_many = api.post("/api/v1/tasks/resize/batch", json={"items": [{}] * 101})
        assert too_many.json() == {"error": "Too many items. Maximum allowed batch size is 100."}
        wrong = api.put("/api/v1/tasks/resize/batch", json={"items": [{}]})
        assert (wrong.status_code, wrong.json(), wrong.headers["allow"]) == (405, {"error": "Method not allowed"}, "POST")
        no_loader = api.get("/api/v1/tasks/resize/batch")  # the route exports no loader
        assert (no_loader.status_code, no_loader.json()) == (400, {"message": "Unexpected Server Error"})

    def test_docs_compat_answers_as_the_public_docs(self):
        with LocalEmulator(Config(compat="docs")) as emu, emu.client() as api:
            r = api.post("/api/v1/tasks/batch", json={"items": [{"task": "a"}] * 600})
            assert r.status_code == 200
            assert set(r.json()) == {"batchId", "runs"} and len(r.json()["runs"]) == 600
            r = api.post("/api/v1/tasks/t/batch", json={"items": [{}] * 1000})
            assert r.status_code == 200 and len(r.json()["runs"]) == 1000
