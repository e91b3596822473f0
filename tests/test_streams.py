"""Realtime streams (contract realtime.md §8, v1): the write routes a task uses, the SSE read
over a real socket, the control route and ``LocalEmulator.stream``; and what a served emulator
does with waiters when a client leaves or the server shuts down."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from trigger_emulator import Config, LocalEmulator
from test_realtime import UP_TO_DATE, rows, snapshot, trigger, waiting


@pytest.fixture
def served():
    with LocalEmulator() as emu:
        url = emu.serve()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {emu.secret_key}"}, timeout=30) as api:
            yield emu, api


def events(response, count):
    """The first ``count`` SSE events of a streamed response as ``(id, data)``."""
    out, current = [], {}
    for line in response.iter_lines():
        if line.startswith("id: "):
            current["id"] = line[4:]
        elif line.startswith("data: "):
            current["data"] = line[6:]
        elif line == "" and current:
            out.append((current.get("id"), current.get("data")))
            current = {}
            if len(out) == count:
                return out
    return out


# -- writing, as a task does ----------------------------------------------------------------
def test_create_ingest_head_and_append(emu, api):
    run_id, _ = trigger(api)
    emu.start(run_id)
    created = api.put(f"/realtime/v1/streams/{run_id}/self/ai")
    assert (created.status_code, created.json()) == (202, {"version": "v1"})
    assert rows(snapshot(api, f"/realtime/v1/runs/{run_id}"))[0]["value"]["realtimeStreams"] == '{"ai"}'
    body = b'{"delta":"He"}\n{"delta":"llo"}\n\n{"delta":"!"}\n'
    ingest = api.post(f"/realtime/v1/streams/{run_id}/self/ai", content=body,
                      headers={"X-Client-Id": "c1", "X-Resume-From-Chunk": "0", "X-Stream-Version": "v1"})
    assert ingest.status_code == 200 and ingest.content == b""
    head = api.head(f"/realtime/v1/streams/{run_id}/self/ai", headers={"X-Client-Id": "c1"})
    assert (head.status_code, head.headers["x-last-chunk-index"]) == (200, "2")
    other = api.head(f"/realtime/v1/streams/{run_id}/self/ai", headers={"X-Client-Id": "c2"})
    assert other.headers["x-last-chunk-index"] == "-1"
    resumed = api.post(f"/realtime/v1/streams/{run_id}/self/ai", content=b'{"delta":"?"}',
                       headers={"X-Client-Id": "c1", "X-Resume-From-Chunk": "3"})
    assert resumed.status_code == 200
    assert api.head(f"/realtime/v1/streams/{run_id}/self/ai", headers={"X-Client-Id": "c1"}).headers["x-last-chunk-index"] == "3"
    appended = api.post(f"/realtime/v1/streams/{run_id}/self/ai/append", content="plain text")
    assert (appended.status_code, appended.json()) == (200, {"ok": True})
    records = emu._call(emu.services.streams.records(run_id, "ai"))
    assert [r.data for r in records] == ['{"delta":"He"}', '{"delta":"llo"}', '{"delta":"!"}', '{"delta":"?"}', '"plain text"']


def test_write_route_errors(emu, api):
    run_id, _ = trigger(api)
    path = f"/realtime/v1/streams/{run_id}"
    assert api.put(f"/realtime/v1/streams/run_cnope00000000000000000000/self/ai").text == "Run not found"
    missing = api.put(f"{path}/parent/ai")
    assert (missing.status_code, missing.text, missing.headers["content-type"]) == (404, "Target not found", "text/plain; charset=utf-8")
    bad_target = api.put(f"{path}/sibling/ai")
    assert bad_target.status_code == 400 and bad_target.json()["error"] == "Params Error"
    assert bad_target.json()["details"][0]["message"] == "Invalid enum value. Expected 'self' | 'parent' | 'root', received 'sibling'"
    bad_resume = api.post(f"{path}/self/ai", content=b"{}\n", headers={"X-Resume-From-Chunk": "-1"})
    assert (bad_resume.status_code, bad_resume.text) == (400, "Invalid X-Resume-From-Chunk header value: -1")
    get = api.get(f"{path}/self/ai")
    assert (get.status_code, get.text) == (405, "Only HEAD requests are allowed for this endpoint")
    emu.complete(run_id)
    done = api.put(f"{path}/self/ai")
    assert (done.status_code, done.text) == (400, "Cannot initialize a realtime stream on a completed run")
    late = api.post(f"{path}/self/ai/append", content="x")
    assert (late.status_code, late.text) == (400, "Cannot append to a realtime stream on a completed run")
    too_big = api.post(f"{path}/self/ai/append", content="x" * (512 * 1024 + 1))
    assert (too_big.status_code, too_big.json()) == (413, {"error": "Request body too large"})
    _, token = trigger(api)
    jwt = api.put(f"{path}/self/ai", headers={"Authorization": f"Bearer {token}"})
    assert (jwt.status_code, jwt.json()) == (401, {"error": "Invalid API key"})


def test_streams_target_the_parent_and_the_root(emu, api):
    root, _ = trigger(api)
    child = api.post("/api/v1/tasks/child/trigger", json={"options": {"parentRunId": root}}).json()["id"]
    grandchild = api.post("/api/v1/tasks/child/trigger", json={"options": {"parentRunId": child}}).json()["id"]
    assert api.put(f"/realtime/v1/streams/{grandchild}/parent/s").status_code == 202
    assert api.post(f"/realtime/v1/streams/{grandchild}/root/s/append", content="r").status_code == 200
    assert emu.run(child) and rows(snapshot(api, f"/realtime/v1/runs/{child}"))[0]["value"]["realtimeStreams"] == '{"s"}'
    assert rows(snapshot(api, f"/realtime/v1/runs/{root}"))[0]["value"]["realtimeStreams"] == '{"s"}'
    assert [r.data for r in emu._call(emu.services.streams.records(root, "s"))] == ['"r"']


def test_input_streams(emu, api):
    run_id, token = trigger(api)
    sent = api.post(f"/realtime/v1/streams/{run_id}/input/answers", json={"data": {"choice": 2}},
                    headers={"Authorization": f"Bearer {token}"})  # the trigger token has write:inputStreams
    assert (sent.status_code, sent.json()) == (200, {"ok": True})
    assert [r.data for r in emu._call(emu.services.streams.records(run_id, "$trigger.input:answers"))] == ['{"choice":2}']
    bad = api.post(f"/realtime/v1/streams/{run_id}/input/answers", content=b"[1]", headers={"content-type": "application/json"})
    assert (bad.status_code, bad.json()) == (400, {"ok": False, "error": "Invalid request body"})
    gone = api.post("/realtime/v1/streams/run_cnope00000000000000000000/input/answers", json={"data": 1})
    assert (gone.status_code, gone.json()) == (404, {"ok": False, "error": "Run not found"})
    other, _ = trigger(api)
    denied = api.post(f"/realtime/v1/streams/{other}/input/answers", json={"data": 1},
                      headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    emu.start(run_id)  # a started run gets completedAt when cancelled (one that never started does not)
    emu.cancel(run_id)
    late = api.post(f"/realtime/v1/streams/{run_id}/input/answers", json={"data": 1})
    assert (late.status_code, late.json()) == (400, {"ok": False, "error": "Cannot send to input stream on a completed run"})


def test_control_route_and_python_method_write_json_lines(emu, api):
    run_id, _ = trigger(api)
    written = api.post(f"/__emulator/runs/{run_id}/streams/ai", json={"chunks": [{"t": "a"}, "b", 3]})
    assert (written.status_code, written.json()) == (200, {"ok": True, "written": 3})
    assert emu.stream(run_id, "ai", (token for token in ["c", "d"])) == 2
    assert emu.stream(run_id, "empty", []) == 0
    records = emu._call(emu.services.streams.records(run_id, "ai"))
    assert [r.data for r in records] == ['{"t":"a"}', '"b"', "3", '"c"', '"d"'] and [r.idx for r in records] == [0, 1, 2, 3, 4]
    assert rows(snapshot(api, f"/realtime/v1/runs/{run_id}"))[0]["value"]["realtimeStreams"] == '{"ai","empty"}'
    assert api.post(f"/__emulator/runs/{run_id}/streams/ai", json={"chunk": 1}).status_code == 400
    with pytest.raises(KeyError):
        emu.stream("run_cnope00000000000000000000", "ai", [1])


def test_sse_read_in_process_answers_the_records_when_idle():
    # In process the whole answer is collected: the stream ends after its idle timeout.
    with LocalEmulator(Config(realtime_stream_timeout=0.05)) as emu, emu.client() as api:
        run_id, token = trigger(api)
        emu.stream(run_id, "ai", [{"delta": "a"}, "b"])
        response = api.get(f"/realtime/v1/streams/{run_id}/ai", headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        assert [line[6:] for line in response.text.splitlines() if line.startswith("data: ")] == ['{"delta":"a"}', '"b"']


# -- reading over a socket ------------------------------------------------------------------
def test_sse_read_follows_the_stream_and_resumes_from_last_event_id(served):
    emu, api = served
    run_id, token = trigger(api)
    emu.stream(run_id, "ai", [{"delta": "a"}, {"delta": "b"}])
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream", "Timeout-Seconds": "60"}
    with api.stream("GET", f"/realtime/v1/streams/{run_id}/ai", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache" and "content-length" not in response.headers
        lines = response.iter_lines()
        first = []
        for line in lines:  # the two stored records
            if line.startswith("data: "):
                first.append(line[6:])
            if len(first) == 2:
                break
        assert first == ['{"delta":"a"}', '{"delta":"b"}']
        waiting(emu)
        emu.stream(run_id, "ai", ["live"])  # written while the reader waits: sent at once
        for line in lines:
            if line.startswith("data: "):
                assert line == 'data: "live"'
                break
    with api.stream("GET", f"/realtime/v1/streams/{run_id}/ai", headers={**headers, "Last-Event-ID": "0"}) as response:
        got = events(response, 2)
    assert [data for _, data in got] == ['{"delta":"b"}', '"live"']
    assert all(event_id.split("-")[1].isdigit() for event_id, _ in got) and got[0][0].endswith("-1")
    with api.stream("GET", f"/realtime/v1/streams/{run_id}/ai", headers={**headers, "Last-Event-ID": got[0][0]}) as response:
        assert events(response, 1) == [got[1]]


def test_sse_read_errors(served):
    emu, api = served
    run_id, _ = trigger(api)
    for value, message in (("-5", "Timeout seconds must be greater than 0"), ("601", "Timeout seconds must be less than 600")):
        bad = api.get(f"/realtime/v1/streams/{run_id}/ai", headers={"Timeout-Seconds": value})
        assert (bad.status_code, bad.text) == (400, message)
    missing = api.get("/realtime/v1/streams/run_cnope00000000000000000000/ai")
    assert (missing.status_code, missing.json()) == (404, {"error": "Not found"})
    other, _ = trigger(api)
    _, token = trigger(api)
    denied = api.get(f"/realtime/v1/streams/{other}/ai", headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    bad_input = api.get(f"/realtime/v1/streams/{run_id}/input/x", headers={"Timeout-Seconds": "soon"})
    assert (bad_input.status_code, bad_input.text) == (400, "Invalid timeout seconds")


def test_sse_read_ends_after_its_idle_timeout():
    with LocalEmulator(Config(realtime_stream_timeout=0)) as emu:
        url = emu.serve()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {emu.secret_key}"}, timeout=30) as api:
            run_id, _ = trigger(api)
            emu.stream(run_id, "ai", ["only"])
            response = api.get(f"/realtime/v1/streams/{run_id}/ai")  # the whole body: the server closes it
            assert response.status_code == 200 and response.text.endswith('data: "only"\n\n')


# -- waiters and the connection ---------------------------------------------------------------
def _raw_live_poll(url, path, key):
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode())
    return sock


def test_a_closed_connection_frees_its_waiter(served):
    emu, api = served
    run_id, _ = trigger(api)
    first = snapshot(api, f"/realtime/v1/runs/{run_id}")
    path = (f"/realtime/v1/runs/{run_id}?live=true&handle={first.headers['electric-handle']}"
            f"&offset={first.headers['electric-offset']}")
    socks = [_raw_live_poll(emu.url, path, emu.secret_key) for _ in range(3)]
    socks.append(_raw_live_poll(emu.url, f"/realtime/v1/streams/{run_id}/ai", emu.secret_key))
    waiting(emu, 4)
    for sock in socks:
        sock.close()
    deadline = time.monotonic() + 10
    while len(emu.engine.notifier):
        assert time.monotonic() < deadline, "waiters outlived their connections"
        time.sleep(0.005)


def test_shutdown_ends_open_long_polls_and_streams():
    emu = LocalEmulator().open()
    url = emu.serve()
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {emu.secret_key}"}, timeout=30)
    run_id, _ = trigger(api)
    first = snapshot(api, f"/realtime/v1/runs/{run_id}")
    with ThreadPoolExecutor(2) as pool:
        poll = pool.submit(api.get, f"/realtime/v1/runs/{run_id}", params={
            "live": "true", "handle": first.headers["electric-handle"], "offset": first.headers["electric-offset"]})
        stream = pool.submit(api.get, f"/realtime/v1/streams/{run_id}/ai")
        waiting(emu, 2)
        started = time.monotonic()
        emu.close()
        assert time.monotonic() - started < 5  # not the 20 s poll or the 60 s stream timeout
        assert poll.result(5).json() == [UP_TO_DATE]
        assert stream.result(5).status_code == 200
    api.close()


def test_the_cli_server_ends_held_polls_when_it_stops(tmp_path):
    import signal

    from conftest import start_server, stop_server

    server = start_server(tmp_path / "cli.sqlite3")
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.key}"}, timeout=30) as api:
            run_id, _ = trigger(api)
            first = snapshot(api, f"/realtime/v1/runs/{run_id}")
            with ThreadPoolExecutor(1) as pool:
                poll = pool.submit(api.get, f"/realtime/v1/runs/{run_id}", params={
                    "live": "true", "handle": first.headers["electric-handle"], "offset": first.headers["electric-offset"]})
                while api.get("/__emulator/realtime").json()["waiting"] < 1:
                    time.sleep(0.005)
                started = time.monotonic()
                stop_server(server, signal.SIGINT)
                assert poll.result(10).json() == [UP_TO_DATE]
                assert time.monotonic() - started < 10 and server.process.returncode is not None
    finally:
        if server.process.poll() is None:
            stop_server(server)


def test_an_older_database_file_is_migrated(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with LocalEmulator(Config(database=str(path))) as emu, emu.client() as api:
        old_run, _ = trigger(api)
        key = emu.secret_key
    conn = sqlite3.connect(path)  # make it a file from before realtime: no realtime columns
    conn.execute("DROP INDEX runs_env_version")
    for column in ("realtime_streams", "version", "created_version"):
        conn.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    conn.commit()
    conn.close()
    with LocalEmulator(Config(database=str(path)), secret_key=key) as emu, emu.client() as api:
        assert [m["value"]["friendlyId"] for m in rows(snapshot(api, "/realtime/v1/runs"))] == [old_run]
        emu.stream(old_run, "ai", ["x"])
        assert rows(snapshot(api, f"/realtime/v1/runs/{old_run}"))[0]["value"]["realtimeStreams"] == '{"ai"}'
