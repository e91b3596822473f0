"""Golden fixtures: replay each recorded SDK scenario's requests against a fresh in-process
emulator and compare the normalized answers. A change to any wire answer fails here and shows
up as a reviewable diff after ``fixtures/record.py``."""

import json
from pathlib import Path

import pytest

from trigger_emulator import Config
from trigger_emulator import LocalEmulator
from trigger_emulator.api.recording import Normalizer

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "sdk-4.8.3").glob("*.json"))


def test_there_are_fixtures():
    assert len(FIXTURES) >= 8


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_replay_matches_the_recording(path):
    fixture = json.loads(path.read_text())
    live = Normalizer()
    with LocalEmulator(Config()) as emu, emu.client() as api:
        for number, recorded in enumerate(fixture["exchanges"]):
            request = recorded["request"]
            target = live.restore(request["path"]) + ("?" + live.restore(request["query"]) if request["query"] else "")
            headers = {"content-type": request["content_type"]} if request["content_type"] else {}
            response = api.request(request["method"], target, content=live.restore(request["body"]).encode(), headers=headers)
            got = live.exchange({
                "request": {**request, "path": live.restore(request["path"]), "query": live.restore(request["query"]),
                            "body": live.restore(request["body"])},
                "response": {"status": response.status_code, "headers": dict(response.headers), "body": response.text},
            })["response"]
            got["headers"] = {k: v for k, v in got["headers"].items() if k in recorded["response"]["headers"] or k in (
                "content-type", "x-should-retry", "allow", "retry-after")}
            assert got == recorded["response"], f"exchange {number}: {request['method']} {request['path']}"
