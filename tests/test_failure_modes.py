"""Issue #14 findings 8 and 9: two processes on one file keep one clock and one set of
environments; a database that cannot be written fails loudly and loses nothing
acknowledged; a request cannot hold a connection or the CPU for long; fault rules are valid."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime

import httpx
import pytest

from conftest import start_server, stop_server
from trigger_emulator import Config, LocalEmulator

TRIGGER = "/api/v1/tasks/t/trigger"


def iso_ms(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


@pytest.fixture
def two(tmp_path):
    db = tmp_path / "shared.sqlite3"
    one, other = start_server(db), start_server(db)
    yield one, other
    stop_server(one)
    stop_server(other)


def test_advancing_one_process_moves_the_clock_of_both(two):
    one, other = two
    headers = {"Authorization": f"Bearer {one.key}"}
    assert httpx.post(f"{other.url}/__emulator/clock", json={"advance": "1h"}).status_code == 200
    run_id = httpx.post(f"{one.url}{TRIGGER}", json={"options": {"delay": "30m"}}, headers=headers).json()["id"]
    # The other process ticks (its GET applies what fell due): nothing it sees is due yet.
    clocks = [httpx.get(f"{url}/__emulator/clock").json()["now"] for url in (other.url, one.url)]
    assert abs(iso_ms(clocks[0]) - iso_ms(clocks[1])) < 5_000
    shown = httpx.get(f"{other.url}/api/v3/runs/{run_id}", headers=headers).json()
    assert shown["status"] == "DELAYED"
    assert iso_ms(shown["delayedUntil"]) - iso_ms(clocks[1]) > 25 * 60_000


def test_what_another_connection_made_due_is_applied_here(tmp_path):
    # Each emulator remembers that nothing is due (so its units skip the due queries) until
    # another connection writes the file: then it looks again.
    db = str(tmp_path / "shared.sqlite3")
    with LocalEmulator(Config(database=db)) as one, LocalEmulator(Config(database=db)) as other:
        one_api = one.client()
        other_api = other.client(headers={"Authorization": f"Bearer {one.secret_key}"})
        assert one_api.get("/api/v1/runs").status_code == 200  # nothing due: remembered
        waitpoint = other_api.post("/api/v1/waitpoints/tokens", json={"timeout": "1m"}).json()["id"]
        delayed = other_api.post(TRIGGER, json={"options": {"delay": "1m"}}).json()["id"]
        one.advance(minutes=2)
        assert one_api.get(f"/api/v3/runs/{delayed}").json()["status"] == "QUEUED"
        assert one_api.get(f"/api/v1/waitpoints/tokens/{waitpoint}").json()["status"] == "TIMED_OUT"
        assert other_api.get(f"/api/v3/runs/{delayed}").json()["status"] == "QUEUED"


def test_after_a_reset_through_one_process_a_key_means_one_environment_in_both(two):
    one, other = two
    headers = {"Authorization": f"Bearer {one.key}"}
    for url in (one.url, other.url):  # both processes know the key's environment
        httpx.post(f"{url}{TRIGGER}", json={}, headers=headers)
    assert httpx.post(f"{one.url}/__emulator/reset").status_code == 200
    made = [httpx.post(f"{url}{TRIGGER}", json={}, headers=headers).json()["id"] for url in (other.url, one.url)]
    for url in (one.url, other.url):
        listed = httpx.get(f"{url}/api/v1/runs", headers=headers).json()["data"]
        assert sorted(r["id"] for r in listed) == sorted(made), url


def _read_only(path) -> None:
    """Make a database file and its folder unwritable, even for root (chattr +i)."""
    os.chmod(path, 0o444)
    os.chmod(path.parent, 0o555)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("root needs chattr to make a file read-only")
        for target in (path, path.parent):
            if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode:
                pytest.skip("this filesystem has no immutable flag")


def _writable(path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        for target in (path.parent, path):
            subprocess.run(["chattr", "-i", str(target)], capture_output=True)
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)


def test_serving_a_read_only_database_exits_at_once_naming_the_cause(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "emulator.sqlite3"
    LocalEmulator(Config(database=str(db))).open().close()
    _read_only(db)
    command = [sys.executable, "-m", "trigger_emulator", "serve", "--port", "0", "--db", str(db)]
    try:
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import trigger_emulator.api.app, uvicorn"], timeout=60)  # start-up cost
        baseline = time.monotonic() - started
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - started
    finally:
        _writable(db)
    assert done.returncode == 1 and elapsed < baseline + 5  # no waiting on top of starting Python
    message = done.stderr.strip()
    assert "\n" not in message and "Traceback" not in done.stderr
    assert message.startswith(f"trigger-emulator: The emulator's database {db} cannot be written: ")
    assert "listening" not in done.stdout


def test_a_full_disk_answers_507_naming_it_and_loses_nothing_acknowledged(tmp_path):
    with LocalEmulator(Config(database=str(tmp_path / "full.sqlite3"))) as emu:
        api = emu.client()
        kept = [api.post(TRIGGER, json={"payload": i}).json()["id"] for i in range(5)]
        # SQLite's own limit on the database size stands in for a full disk (SQLITE_FULL).
        pages = emu._call(emu.engine.db.run(lambda tx: tx._conn.execute("PRAGMA page_count").fetchone()[0]))
        emu._call(emu.engine.db.run(lambda tx: tx._conn.execute(f"PRAGMA max_page_count = {pages}")))
        r = api.post(TRIGGER, json={"payload": "x" * 200_000, "options": {"idempotencyKey": "once"}})
        assert r.status_code == 507
        assert r.json() == {"error": "The emulator's database cannot be written: database or disk is full"}
        for run_id in kept:
            assert api.get(f"/api/v3/runs/{run_id}").status_code == 200
        assert len(api.get("/api/v1/runs").json()["data"]) == 5
        emu._call(emu.engine.db.run(lambda tx: tx._conn.execute("PRAGMA max_page_count = 1073741823")))
        again = api.post(TRIGGER, json={"payload": "x" * 200_000, "options": {"idempotencyKey": "once"}}).json()
        assert again["isCached"] is False  # the refused trigger took no key


def test_a_body_shorter_than_its_content_length_does_not_hold_the_connection():
    with LocalEmulator(Config(body_timeout_s=0.5)) as emu:
        url = emu.serve()
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"POST {TRIGGER} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {emu.secret_key}\r\n"
                         "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"payload\":".encode())
            started = time.monotonic()
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        assert time.monotonic() - started < 5
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert answer.split(b"\r\n\r\n", 1)[1] == b'{"error":"Request body not received in time"}'
        assert emu.runs() == []


def test_twenty_megabytes_of_newlines_cost_next_to_nothing(emu, api):
    batch_id = api.post("/api/v3/batches", json={"runCount": 1}).json()["id"]
    started = time.monotonic()
    r = api.post(f"/api/v3/batches/{batch_id}/items", content=b"\n" * 20_000_000 + b'{"index":0,"task":"t"}\n',
                 headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["sealed"] is True
    assert time.monotonic() - started < 3


def test_one_items_request_carries_at_most_the_batchs_run_count(emu, api):
    batch_id = api.post("/api/v3/batches", json={"runCount": 2}).json()["id"]
    lines = b'{"index":0,"task":"t"}\n' * 1000
    r = api.post(f"/api/v3/batches/{batch_id}/items", content=lines, headers={"content-type": "application/x-ndjson"})
    assert (r.status_code, r.json()) == (422, {"error": f"Too many items in one request: batch {batch_id} has 2 runs"})


@pytest.mark.parametrize("rule, message", [
    ({"status": 500, "headers": {"x-a": "1\r\nSet-Cookie: a=b"}}, "header 'x-a' has a value that is not a valid HTTP header value"),
    ({"status": 500, "headers": {"x a": "1"}}, "header name 'x a' is not a valid HTTP header name"),
    ({"status": 500, "headers": {"x-a": "snow \u2603"}}, "header 'x-a' has a value that is not a valid HTTP header value"),
    ({"status": 500, "content_type": "text/plain\nx: y"}, "content_type is not a valid HTTP header value"),
    ({"status": 500, "content_type": "text/plain", "body": "x\ud83d"}, "a text body cannot contain an unpaired UTF-16 surrogate"),
])
def test_fault_rules_that_would_break_the_connection_are_refused(api, rule, message):
    r = api.post("/__emulator/faults", content=json.dumps(rule).encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith(message)
    assert api.get("/__emulator/faults").json() == {"faults": []}
    assert api.post(TRIGGER, json={}).status_code == 200
