"""List, tags, metadata, idempotency-key reset, results and packets, through HTTP."""

import base64
import hashlib

import pytest
from freezegun import freeze_time

URL = "/api/v1/tasks/{}/trigger"


def trig(api, task="t", **options):
    body = {"options": options} if options else {}
    return api.post(URL.format(task), json=body).json()["id"]


def ids(api, **params):
    r = api.get("/api/v1/runs", params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["data"]]


class TestList:
    def test_newest_first_default_size_and_item_shape(self, emu, api):
        made = [trig(api) for _ in range(30)]
        r = api.get("/api/v1/runs").json()
        assert [i["id"] for i in r["data"]] == made[::-1][:25]
        assert set(r["pagination"]) == {"next"}
        item = r["data"][0]
        assert item["env"]["name"] == "dev" and item["env"]["id"]
        assert item["status"] == "QUEUED" and "payload" not in item and "relatedRuns" not in item
        assert None not in item.values()

    def test_forward_and_backward_pagination_sees_every_run_once(self, emu, api):
        made = [trig(api) for _ in range(23)]
        seen, pages, cursor = [], 0, None
        while True:
            params = {"page[size]": 5, **({"page[after]": cursor} if cursor else {})}
            page = api.get("/api/v1/runs", params=params).json()
            seen += [i["id"] for i in page["data"]]
            pages += 1
            assert ("previous" in page["pagination"]) == (cursor is not None)
            cursor = page["pagination"].get("next")
            if cursor is None:
                break
        assert pages == 5 and seen == made[::-1]
        # walk back from the last page with page[before] (the SDK also sends page[after]; before wins)
        back, cursor = [], page["pagination"]["previous"]
        while cursor:
            page = api.get("/api/v1/runs", params={"page[size]": 5, "page[before]": cursor, "page[after]": "x"}).json()
            back = [i["id"] for i in page["data"]] + back
            cursor = page["pagination"].get("previous")
        assert back + [i for i in seen[-3:]] == made[::-1]

    def test_filters(self, emu, api):
        a = trig(api, "alpha", tags=["red"], machine="micro", test=True)
        b = trig(api, "beta", tags=["blue", "red"], queue={"name": "q1"}, lockToVersion="v2")
        c = trig(api, "beta", delay="1h")
        emu.complete(b, 1)
        assert ids(api, **{"filter[taskIdentifier]": "beta"}) == [c, b]
        assert ids(api, **{"filter[taskIdentifier]": "alpha,beta"}) == [c, b, a]
        assert ids(api, **{"filter[tag]": "red"}) == [b, a]
        assert ids(api, **{"filter[tag]": "blue,green"}) == [b]
        assert ids(api, **{"filter[tag]": "red,blue"}) == [b, a]  # any of the tags, each run once
        assert ids(api, **{"filter[status]": "QUEUED"}) == [a]  # not DELAYED
        assert ids(api, **{"filter[status]": "DELAYED,COMPLETED"}) == [c, b]
        assert ids(api, **{"filter[machine]": "micro"}) == [a]
        assert ids(api, **{"filter[queue]": "q1"}) == [b]
        assert ids(api, **{"filter[queue]": "task/alpha"}) == [a]
        assert ids(api, **{"filter[version]": "v2"}) == [b]
        assert ids(api, **{"filter[isTest]": "true"}) == [a]
        assert ids(api, **{"filter[isTest]": "false"}) == [c, b]
        assert ids(api, **{"filter[schedule]": "sched_x"}) == []
        assert ids(api, **{"filter[batch]": "batch_nope"}) == []

    def test_batch_filter(self, emu, api):
        trig(api)
        r = api.post("/api/v2/tasks/batch", json={"items": [{"task": "x"}, {"task": "y"}]}).json()
        runs = api.get(f"/api/v2/batches/{r['id']}").json()["runs"]
        assert ids(api, **{"filter[batch]": r["id"]}) == runs[::-1]

    @freeze_time("2030-06-01", real_asyncio=True)
    def test_time_window(self, emu, api):
        old = trig(api, ttl=0)
        emu.advance(days=8)
        new = trig(api, ttl=0)
        assert ids(api) == [new]  # the default 7-day window
        assert ids(api, **{"filter[createdAt][period]": "9d"}) == [new, old]
        assert ids(api, **{"filter[createdAt][period]": "2 weeks"}) == [new, old]
        assert ids(api, **{"filter[createdAt][period]": "nonsense"}) == [new, old]  # silently no filter
        from_ms = int(emu.now().timestamp() * 1000) - 86_400_000 * 9
        assert ids(api, **{"filter[createdAt][from]": str(from_ms)}) == [new, old]
        assert ids(api, **{"filter[createdAt][from]": str(from_ms), "filter[createdAt][to]": "2030-06-02T00:00:00Z"}) == [old]

    @pytest.mark.parametrize("params, path, message", [
        ({"page[size]": "101"}, "page[size]", "Number must be less than or equal to 100"),
        ({"page[size]": "0"}, "page[size]", "Number must be greater than 0"),
        ({"page[size]": "abc"}, "page[size]", "Expected number, received nan"),
        ({"filter[status]": "QUEUED,NOPE,BAD"}, "filter[status]", "Invalid status values: NOPE, BAD"),
        ({"filter[isTest]": "yes"}, "filter[isTest]", "Invalid value for isTest: yes"),
        ({"filter[machine]": "huge"}, "filter[machine]", "Invalid machine values: huge"),
        ({"filter[createdAt][from]": "not a date"}, "filter[createdAt][from]", "Invalid date"),
    ])
    def test_query_errors(self, api, params, path, message):
        r = api.get("/api/v1/runs", params=params)
        assert r.status_code == 400
        body = r.json()
        assert body["error"] == "Query Error"
        assert body["details"][0]["path"] == [path] and body["details"][0]["message"] == message

    def test_list_shows_the_hash_and_is_scoped_to_the_environment(self, emu, api):
        digest = hashlib.sha256(b"order-42").hexdigest()
        trig(api, idempotencyKey=digest, idempotencyKeyOptions={"key": "order-42", "scope": "global"})
        assert api.get("/api/v1/runs").json()["data"][0]["idempotencyKey"] == digest
        with emu.client(headers={"Authorization": "Bearer tr_prod_other"}) as other:
            assert other.get("/api/v1/runs").json() == {"data": [], "pagination": {}}
            trig(other)
            assert other.get("/api/v1/projects/proj_x/runs", params={"filter[env]": "prod"}).json()["data"][0]["env"]["name"] == "prod"
            assert other.get("/api/v1/projects/proj_x/runs", params={"filter[env]": "dev"}).json()["data"] == []

    def test_one_tag_pages_in_list_order(self, emu, api):
        made = [trig(api, "alpha" if i % 3 else "beta", tags=["t", "t"] if i % 2 else ["t"]) for i in range(7)]
        trig(api, tags=["other"])
        seen, cursor = [], None
        while True:
            params = {"filter[tag]": "t", "page[size]": 2, **({"page[after]": cursor} if cursor else {})}
            page = api.get("/api/v1/runs", params=params).json()
            seen += [i["id"] for i in page["data"]]
            cursor = page["pagination"].get("next")
            if cursor is None:
                break
        assert seen == made[::-1]  # a tag sent twice lists its run once
        back = api.get("/api/v1/runs", params={"filter[tag]": "t", "page[size]": 2, "page[before]": made[2]}).json()
        assert [i["id"] for i in back["data"]] == [made[4], made[3]]
        beta = api.get("/api/v1/runs", params={"filter[tag]": "t", "filter[taskIdentifier]": "beta"}).json()
        assert [i["id"] for i in beta["data"]] == [made[6], made[3], made[0]]

    def test_final_runs_show_finished_at(self, emu, api):
        run_id = trig(api)
        api.post(f"/api/v2/runs/{run_id}/cancel")
        item = api.get("/api/v1/runs").json()["data"][0]
        assert item["status"] == "CANCELED" and item["finishedAt"]


def test_a_file_from_before_ordered_tags_keeps_its_tag_filter(tmp_path):
    import sqlite3

    from trigger_emulator import Config, LocalEmulator

    path = tmp_path / "old.sqlite3"
    with LocalEmulator(Config(database=str(path))) as emu, emu.client() as api:
        made = [trig(api, tags=["t", "t"] if i % 2 else ["t", "u"]) for i in range(4)]
        key = emu.secret_key
    conn = sqlite3.connect(path)  # the run_tags of earlier versions: no created_at, a row per tag sent
    conn.executescript("""
        DROP INDEX run_tags_order; DROP TABLE run_tags;
        CREATE TABLE run_tags (run_id TEXT NOT NULL, env_id TEXT NOT NULL, tag TEXT NOT NULL);
        CREATE INDEX run_tags_lookup ON run_tags (env_id, tag, run_id);
        CREATE INDEX run_tags_run ON run_tags (run_id);
        INSERT INTO run_tags SELECT r.id, r.env_id, t.value FROM runs r, json_each(r.tags) t;
        CREATE TRIGGER runs_tags_insert AFTER INSERT ON runs BEGIN
            INSERT INTO run_tags (run_id, env_id, tag) SELECT NEW.id, NEW.env_id, value FROM json_each(NEW.tags);
        END;
        CREATE TRIGGER runs_tags_update AFTER UPDATE OF tags ON runs WHEN NEW.tags IS NOT OLD.tags BEGIN
            DELETE FROM run_tags WHERE run_id = OLD.id;
            INSERT INTO run_tags (run_id, env_id, tag) SELECT NEW.id, NEW.env_id, value FROM json_each(NEW.tags);
        END;
    """)
    conn.close()
    with LocalEmulator(Config(database=str(path)), secret_key=key) as emu, emu.client() as api:
        later = trig(api, tags=["t", "t"])
        assert ids(api, **{"filter[tag]": "t"}) == [later, *made[::-1]]  # each run once, newest first
        assert ids(api, **{"filter[tag]": "u"}) == [made[2], made[0]]
        assert ids(api, **{"filter[tag]": "t", "page[size]": 2, "page[after]": made[3]}) == [made[2], made[1]]
        api.post(f"/api/v1/runs/{made[1]}/tags", json={"tags": ["u"]})
        assert ids(api, **{"filter[tag]": "u"}) == [made[2], made[1], made[0]]
        assert ids(api, **{"filter[tag]": "t,u"}) == [later, *made[::-1]]


class TestTags:
    def test_add(self, emu, api):
        run_id = trig(api, tags=["a"])
        r = api.post(f"/api/v1/runs/{run_id}/tags", json={"tags": ["b", "a", " "]})
        assert r.json() == {"message": "Successfully set 1 new tags."}
        assert api.post(f"/api/v1/runs/{run_id}/tags", json={"tags": "a"}).json() == {"message": "No new tags to add"}
        assert api.post("/api/v1/runs/run_cmissing/tags", json={"tags": [" "]}).json() == {"message": "No new tags to add"}
        assert emu.run(run_id).tags == ["a", "b"]
        assert ids(api, **{"filter[tag]": "b"}) == [run_id]  # the tag index follows added tags

    def test_errors(self, emu, api):
        run_id = trig(api, tags=[str(i) for i in range(8)])
        r = api.post(f"/api/v1/runs/{run_id}/tags", json={"tags": ["x", "y", "z"]})
        assert (r.status_code, r.json()) == (422, {"error": "Runs can only have 10 tags, you're trying to set 11. These tags have not been set: 'x', 'y', 'z'."})
        r = api.post("/api/v1/runs/run_cmissing/tags", json={"tags": ["x"]})
        assert (r.status_code, r.json()) == (404, {"error": "Run not found"})
        r = api.post(f"/api/v1/runs/{run_id}/tags", json={"tags": ["x" * 129]})
        assert r.status_code == 400 and r.json()["error"] == "Invalid request body" and r.json()["issues"]
        with emu.client(headers={"Authorization": "Bearer nope"}) as bad:
            assert bad.post(f"/api/v1/runs/{run_id}/tags", json={"tags": ["x"]}).json() == {"error": "Invalid or Missing API Key"}


class TestMetadata:
    def put(self, api, run_id, **body):
        return api.put(f"/api/v1/runs/{run_id}/metadata", json=body)

    def test_operations(self, emu, api):
        run_id = trig(api, metadata={"keep": 1, "n": 1, "list": [1, 2, 1]})
        r = self.put(api, run_id, operations=[
            {"type": "set", "key": "status", "value": "working"},
            {"type": "set", "key": "$.progress.pct", "value": 50},
            {"type": "increment", "key": "n", "value": 2},
            {"type": "increment", "key": "fresh", "value": -1},
            {"type": "append", "key": "log", "value": "a"},
            {"type": "append", "key": "log", "value": "b"},
            {"type": "append", "key": "keep", "value": 2},
            {"type": "remove", "key": "list", "value": 1},
            {"type": "delete", "key": "status"},
            {"type": "delete", "key": "$.progress.pct"},
        ])
        expected = {"keep": [1, 2], "n": 3, "list": [2], "progress": {"pct": 50}, "fresh": -1, "log": ["a", "b"]}
        assert r.status_code == 200 and r.json() == {"metadata": expected}
        assert api.get(f"/api/v1/runs/{run_id}/metadata").json() == {"metadata": expected, "metadataType": "application/json"}
        assert api.get(f"/api/v3/runs/{run_id}").json()["metadata"] == expected
        assert self.put(api, run_id, operations=[{"type": "update", "value": {"only": True}}]).json() == {"metadata": {"only": True}}
        assert self.put(api, run_id, metadata={"whole": 1}).json() == {"metadata": {"whole": 1}}
        assert self.put(api, run_id).json() == {"metadata": {}}
        assert emu.run(run_id).metadata == {"whole": 1}

    def test_parent_and_root_operations(self, emu, api):
        root = trig(api)
        child = trig(api, parentRunId=root)
        self.put(api, child, operations=[], parentOperations=[{"type": "increment", "key": "done", "value": 1}])
        self.put(api, root, operations=[], parentOperations=[{"type": "set", "key": "self", "value": True}])
        assert emu.run(root).metadata == {"done": 1, "self": True}

    def test_limits_and_errors(self, emu, api):
        run_id = trig(api)
        r = self.put(api, run_id, metadata={"big": "x" * 262_144})
        assert (r.status_code, r.json()) == (413, {"error": "Metadata exceeds maximum size of 262144 bytes"})
        r = self.put(api, run_id, operations=[{"type": "set", "key": "__proto__", "value": 1}])
        assert (r.status_code, r.json()) == (400, {"error": "Validation error: Metadata key may not reference __proto__, "
                                                            'constructor, or prototype at "operations[0].key"'})
        r = self.put(api, "run_cmissing", metadata={})
        assert (r.status_code, r.json()) == (404, {"error": "Task Run not found"})
        assert api.post(f"/api/v1/runs/{run_id}/metadata", json={}).json() == {"error": "Method not allowed"}
        assert api.get("/api/v1/runs/run_cmissing/metadata").json() == {"error": "Run not found"}

    def test_refused_an_hour_after_completion(self, emu, api):
        run_id = trig(api)
        emu.complete(run_id, None)
        emu.advance(minutes=59)
        assert self.put(api, run_id, metadata={"late": 1}).status_code == 200
        emu.advance(minutes=2)
        r = self.put(api, run_id, metadata={"later": 1})
        assert (r.status_code, r.json()) == (422, {"error": "Cannot update metadata for a completed run"})


class TestIdempotencyReset:
    def test_reset_lets_the_key_trigger_anew(self, emu, api):
        first = trig(api, idempotencyKey="k1")
        r = api.post("/api/v1/idempotencyKeys/k1/reset", json={"taskIdentifier": "t"})
        assert (r.status_code, r.json()) == (200, {"id": "k1"})
        again = api.post(URL.format("t"), json={"options": {"idempotencyKey": "k1"}}).json()
        assert again["isCached"] is False and again["id"] != first

    def test_errors(self, api):
        r = api.post("/api/v1/idempotencyKeys/nope/reset", json={"taskIdentifier": "t"})
        assert (r.status_code, r.json()) == (404, {"error": "No runs found with idempotency key: nope and task: t"})
        r = api.post("/api/v1/idempotencyKeys/nope/reset", json={"taskIdentifier": ""})
        assert (r.status_code, r.json()) == (400, {"error": 'Validation error: Task identifier is required at "taskIdentifier"'})


class TestResults:
    def test_run_and_batch_results(self, emu, api):
        ok, bad, canceled, pending = (trig(api) for _ in range(4))
        emu.complete(ok, {"v": 1})
        emu.fail(bad, "boom")
        emu.cancel(canceled)
        assert api.get(f"/api/v1/runs/{ok}/result").json() == {"ok": True, "id": ok, "taskIdentifier": "t", "output": '{"v":1}', "outputType": "application/json"}
        assert api.get(f"/api/v1/runs/{bad}/result").json()["error"]["message"] == "boom"
        assert api.get(f"/api/v1/runs/{canceled}/result").json()["error"] == {"type": "INTERNAL_ERROR", "code": "TASK_RUN_CANCELLED"}
        r = api.get(f"/api/v1/runs/{pending}/result")
        assert (r.status_code, r.json()) == (404, {"error": "Run either doesn't exist or is not finished"})
        batch = api.post("/api/v2/tasks/batch", json={"items": [{"task": "x"}, {"task": "y"}]}).json()["id"]
        first = api.get(f"/api/v2/batches/{batch}").json()["runs"][0]
        emu.complete(first, 5)
        assert [i["id"] for i in api.get(f"/api/v1/batches/{batch}/results").json()["items"]] == [first]
        assert api.get("/api/v1/batches/batch_cnope/results").json() == {"error": "Batch not found"}


class TestPackets:
    def test_300_kib_payload_through_the_packet_flow(self, emu, api):
        data = ('{"json":{"blob":"' + "x" * 300 * 1024 + '"}}').encode()
        presign = api.put("/api/v2/packets/trigger%2Fpacket_1%2Fpayload.json")
        assert presign.status_code == 200
        body = presign.json()
        assert body["storagePath"] == "trigger/packet_1/payload.json"
        upload = api.put(body["presignedUrl"], content=data, headers={"content-type": "application/super+json", "authorization": ""})
        assert upload.status_code == 200
        run_id = api.post(URL.format("big"), json={"payload": body["storagePath"],
                                                   "options": {"payloadType": "application/store", "payloadSize": len(data)}}).json()["id"]
        shown = api.get(f"/api/v3/runs/{run_id}").json()
        assert "payload" not in shown
        fetched = api.get(shown["payloadPresignedUrl"])
        assert fetched.content == data and fetched.headers["content-type"] == "application/super+json"

    def test_packets_need_a_key_and_are_per_environment(self, emu, api):
        with emu.client(headers={"Authorization": "Bearer nope"}) as bad:
            r = bad.put("/api/v2/packets/x.json")
            assert (r.status_code, r.json()) == (401, {"error": "Invalid or Missing API key"})
        url = api.put("/api/v2/packets/x.json").json()["presignedUrl"]
        api.put(url, content=b"mine")
        with emu.client(headers={"Authorization": "Bearer tr_dev_other"}) as other:
            other_url = other.put("/api/v2/packets/x.json").json()["presignedUrl"]
            assert other_url != url
            run_id = other.post(URL.format("t"), json={"payload": "x.json", "options": {"payloadType": "application/store"}}).json()["id"]
            assert other.get(other.get(f"/api/v3/runs/{run_id}").json()["payloadPresignedUrl"]).status_code == 404
        assert base64 and api.put("/api/v1/packets/x.json").json().keys() == {"presignedUrl"}
