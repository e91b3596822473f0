"""Bad input never gets a 500 or a partial write; concurrency and crashes lose nothing."""

import asyncio
import json
import signal
import threading

import httpx
import pytest

from conftest import start_server, stop_server

URL = "/api/v1/tasks/t/trigger"


@pytest.mark.parametrize("method, path, content, headers", [
    ("POST", URL, b"\x00\x01\x02", {}),
    ("POST", URL, b'{"payload": "\\u0000nul", "options": {"tags": ["a\\u0000b"]}}', {}),
    ("POST", URL, b'{"payload": ' + b"[" * 5000 + b"]" * 5000 + b"}", {}),
    ("POST", URL, b'{"options": {"ttl": 1e400, "maxAttempts": 1e300, "priority": -1e308, "maxDuration": 1e309}}', {}),
    ("POST", URL, b'{"options": {"delay": 99999999999999999999999, "idempotencyKeyTTL": "99999999999999999999d"}}', {}),
    ("POST", URL, b'{"options": {"delay": "9999999999w", "ttl": "9999999999w"}}', {}),
    ("POST", URL, json.dumps({"options": {"tags": "x" * 5000}}).encode(), {}),
    ("POST", "/api/v1/tasks/%00%ff/trigger", b"{}", {}),
    ("POST", "/api/v3/batches", b'{"runCount": 1e400}', {}),
    ("POST", "/api/v3/batches", b'{"runCount": 2.5}', {}),
    ("GET", "/api/v1/runs?page[size]=1e999&page[after]=%00&filter[createdAt][from]=99999999999999999999999", b"", {}),
    ("GET", "/api/v1/runs?filter[createdAt][period]=" + "9" * 400 + "d", b"", {}),
    ("GET", "/api/v3/runs/" + "x" * 5000, b"", {}),
    ("POST", "/api/v1/runs/run_x/reschedule", b'{"delay": 1e400}', {}),
    ("PUT", "/api/v1/runs/run_x/metadata", b'{"operations": [{"type": "increment", "key": "k", "value": 1e308}]}', {}),
    ("POST", "/api/v1/idempotencyKeys/%ff%fe/reset", b'{"taskIdentifier": "t"}', {}),
    ("DELETE", "/api/v3/runs/run_x", b"", {}),
    ("PATCH", "/api/v1/nothing/here", b"", {}),
    ("POST", "/__emulator/clock", b'{"advance": 1e400}', {}),
    ("POST", "/__emulator/clock", b'{"set": "9999-99-99"}', {}),
    ("POST", "/__emulator/runs/run_x/explode", b"{}", {}),
])
def test_never_a_500(emu, api, method, path, content, headers):
    r = api.request(method, path, content=content, headers={"content-type": "application/json", **headers})
    assert 200 <= r.status_code < 500, r.text
    if r.status_code >= 400 and r.content:
        assert isinstance(r.json()["error"], str)


def test_numbers_past_every_limit_still_store(emu, api):
    r = api.post(URL, json={"options": {"maxAttempts": 10**30, "ttl": 10**30}})
    assert r.status_code == 200
    assert api.get(f"/api/v3/runs/{r.json()['id']}").status_code == 200


def test_a_rejected_batch_item_stream_leaves_no_runs(emu, api):
    batch_id = api.post("/api/v3/batches", json={"runCount": 2}).json()["id"]
    r = api.post(f"/api/v3/batches/{batch_id}/items", content=b'{"index":0,"task":"t"}\n{"index":7,"task":"t"}\n',
                 headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 422
    assert emu.runs() == [] and api.get(f"/api/v2/batches/{batch_id}").json()["runs"] == []


def test_50_concurrent_triggers_with_one_key_make_one_run(emu):
    async def burst():
        transport = httpx.MockTransport(lambda request: emu.handle(request))
        async with httpx.AsyncClient(transport=transport, base_url=emu.base_url,
                                     headers={"Authorization": f"Bearer {emu.secret_key}"}) as client:
            return await asyncio.gather(*(client.post(URL, json={"options": {"idempotencyKey": "same"}}) for _ in range(50)))

    # threads, so the requests really overlap inside the emulator
    results = []
    threads = [threading.Thread(target=lambda: results.extend(asyncio.run(burst()))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {r.json()["id"] for r in results}
    assert len(results) == 100 and len(ids) == 1
    assert sum(1 for r in results if r.json()["isCached"] is False) == 1
    assert len(emu.runs()) == 1


def test_two_server_processes_on_one_file_agree(tmp_path):
    db = tmp_path / "shared.sqlite3"
    one, two = start_server(db), start_server(db)
    try:
        headers = {"Authorization": f"Bearer {one.key}"}

        def fire(url, out):
            with httpx.Client(headers=headers) as c:
                out.extend(c.post(f"{url}/api/v1/tasks/t/trigger", json={"options": {"idempotencyKey": "k"}}).json()["id"]
                           for _ in range(30))

        out: list[str] = []
        threads = [threading.Thread(target=fire, args=(url, out)) for url in (one.url, two.url, one.url, two.url)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(out) == 120 and len(set(out)) == 1
        listed = httpx.get(f"{two.url}/api/v1/runs", headers=headers).json()["data"]
        assert [r["id"] for r in listed] == [out[0]]
    finally:
        stop_server(one)
        stop_server(two)


def test_sigkill_loses_nothing_acknowledged(tmp_path):
    db = tmp_path / "crash.sqlite3"
    server = start_server(db)
    headers = {"Authorization": f"Bearer {server.key}"}
    acknowledged = []
    with httpx.Client(headers=headers) as c:
        for i in range(40):
            acknowledged.append(c.post(f"{server.url}/api/v1/tasks/t/trigger", json={"payload": i}).json()["id"])
        batch = c.post(f"{server.url}/api/v3/batches", json={"runCount": 500}).json()["id"]
        lines = "".join(json.dumps({"index": i, "task": "b"}) + "\n" for i in range(500)).encode()
        sealed = c.post(f"{server.url}/api/v3/batches/{batch}/items", content=lines,
                        headers={"content-type": "application/x-ndjson"}).json()
    stop_server(server, signal.SIGKILL)
    again = start_server(db)
    try:
        with httpx.Client(headers=headers) as c:
            for run_id in acknowledged:
                assert c.get(f"{again.url}/api/v3/runs/{run_id}").status_code == 200
            runs = c.get(f"{again.url}/api/v2/batches/{batch}").json()["runs"]
            assert sealed["sealed"] and len(runs) == 500
    finally:
        stop_server(again)
