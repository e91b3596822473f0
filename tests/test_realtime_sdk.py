"""The official SDK's realtime subscriptions against ``trigger-emulator serve`` (a file
database): each scenario makes the next state change only after the SDK yielded the previous
status, so every status must arrive, in order, in its own long-poll answer."""

import pytest

from test_sdk import pytestmark, sdk  # noqa: F401  (same skip rule as the other SDK tests)

NEW, V45, V43 = "@trigger.dev/sdk", "sdk-4.5", "sdk-4.3.0"


def statuses(result):
    return [seen["status"] for seen in result["seen"]]


def test_subscribe_to_run_sees_every_status_and_ends_when_the_run_finishes(server):
    result = sdk(server, "realtime_run")
    assert statuses(result) == ["DELAYED", "QUEUED", "EXECUTING", "COMPLETED"]
    assert result["ended"] == "itself"  # 4.8.x ends the loop on finishedAt
    assert [seen["finished"] for seen in result["seen"]] == [False, False, False, True]
    last = result["seen"][-1]
    assert last["output"] == {"ok": True} and last["isSuccess"] and last["isCompleted"]
    assert all(seen["payload"] == {"a": 1} and seen["createdAtIsDate"] for seen in result["seen"])
    assert all(seen["id"] == result["id"] and len(seen["tags"]) == 1 for seen in result["seen"])


@pytest.mark.parametrize("package", [V45, V43])
def test_older_sdks_see_the_same_statuses(server, package):
    # SDKs before 4.8 never end the loop themselves; the scenario breaks on finishedAt.
    result = sdk(server, "realtime_run", package)
    assert statuses(result) == ["DELAYED", "QUEUED", "EXECUTING", "COMPLETED"]
    assert result["ended"] == "break" and result["seen"][-1]["output"] == {"ok": True}


@pytest.mark.parametrize("package", [NEW, V45])
def test_subscribe_with_the_trigger_public_token(server, package):
    result = sdk(server, "realtime_run_public_token", package)
    assert statuses(result) == ["QUEUED", "FAILED"]
    assert result["seen"][-1]["error"]["message"] == "nope" and result["seen"][-1]["finished"]


@pytest.mark.parametrize("package", [NEW, V45])
def test_subscribe_to_a_tag_with_a_created_public_token(server, package):
    result = sdk(server, "realtime_tag", package)
    names = {run_id: name for name, run_id in result["ids"].items()}
    assert [(names[seen["id"]], seen["status"]) for seen in result["seen"]] == [
        ("a", "QUEUED"), ("b", "DELAYED"),            # the snapshot
        ("b", "QUEUED"),                              # the clock moved
        ("a", "EXECUTING"), ("a", "COMPLETED"),       # control API outcomes
        ("c", "QUEUED"),                              # a run triggered while subscribed
        ("b", "FAILED"), ("c", "CANCELED"),           # failure, then runs.cancel
    ]
    assert result["seen"][4]["output"] == "fine"
    assert "other" in result["seen"][0]["tags"] and len(result["seen"][0]["tags"]) == 2


@pytest.mark.parametrize("package", [NEW, V45])
def test_subscribe_to_a_batch_with_its_public_token(server, package):
    result = sdk(server, "realtime_batch", package)
    first, second = result["ids"]
    assert [(seen["id"], seen["status"]) for seen in result["seen"]] == [
        (first, "QUEUED"), (second, "QUEUED"), (first, "COMPLETED"), (second, "FAILED")]
    assert result["seen"][2]["output"] == {"i": 0}


def test_streams_written_by_the_sdk_writer_read_by_the_sdk_reader(server):
    result = sdk(server, "realtime_streams")
    tokens = [{"delta": t} for t in ["Hel", "lo", ", ", "wor", "ld"]]
    assert result["read"] == [*tokens, "[DONE]"]
    assert result["resumed"] == [tokens[4], "[DONE]"]  # streams.read({startIndex: 4})
    events = result["events"]
    assert events[0] == {"type": "run", "status": "EXECUTING", "realtimeStreams": ["ai"]}
    assert [e["chunk"] for e in events if e["type"] == "ai"] == [*tokens, "[DONE]"]
    assert events[-1] == {"type": "run", "status": "COMPLETED", "realtimeStreams": ["ai"]}
